#include "core/services/tapflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/timeunits.h"
#include "core/base/zone.h"
#include "core/domain/payload.h"
#include "core/services/lists.h"

#define MAX_MANDATORY 64

/* The facts tap_decide needs, loaded from the store. */
struct near {
    struct session *all; /* every session around now; the recordable ones copied below */
    struct session *sessions;
    size_t n_sessions;
    struct attendance *rows;
    size_t n_rows;
    int64_t *booked;
    size_t n_booked;
};

static void free_near(struct near *near)
{
    free(near->all);
    free(near->sessions);
    free(near->rows);
    free(near->booked);
}

/* However many sessions are on around now: the list grows, the tap is never refused for it. */
static int load_near(const struct tapflow *f, const struct person *p, int64_t now,
                     struct near *near)
{
    size_t n = 0;
    int64_t from = now - f->rules->checkout_after_min * US_PER_MIN;
    int64_t to = now + f->rules->open_before_min * US_PER_MIN;
    int err = lists_sessions_between(f->store, from, to, &near->all, &n);
    const struct session *all = near->all;
    if (err == STORE_OK && n > 0) {
        near->sessions = calloc(n, sizeof(*near->sessions));
        near->rows = calloc(n, sizeof(*near->rows));
        near->booked = calloc(n, sizeof(*near->booked));
        if (!near->sessions || !near->rows || !near->booked)
            err = STORE_ENOMEM;
    }
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        if (!domain_session_recordable(&all[i]))
            continue;
        near->sessions[near->n_sessions++] = all[i];
        struct attendance row;
        err = store_attendance_get(f->store, p->id, all[i].id, &row);
        if (err == STORE_OK && !(row.flags & ATT_VOID)) /* a voided one is as if never made */
            near->rows[near->n_rows++] = row;
        if (err == STORE_ENOTFOUND)
            err = STORE_OK;
        bool booked = false;
        if (err == STORE_OK)
            err = store_booked(f->store, p->id, all[i].id, &booked);
        if (booked)
            near->booked[near->n_booked++] = all[i].id;
    }
    return err;
}

static void copy_sessions(struct tap_result *r)
{
    if (r->decision.session) {
        r->session = *r->decision.session;
        r->decision.session = &r->session;
    }
    for (size_t i = 0; i < r->decision.n_choices; i++) {
        r->choices[i] = *r->decision.choices[i];
        r->decision.choices[i] = &r->choices[i];
    }
}

static int write_payload(const struct tap_result *r, const uint8_t *badge_hash, char *out,
                         size_t cap)
{
    const struct tap_decision *d = &r->decision;
    char hash_hex[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    char choices[TAP_MAX_CHOICES * DOMAIN_CODE_MAX] = "";
    struct payload_field fields[4];
    size_t n = 0;
    switch (d->outcome) {
    case TAP_SIGNED_IN:
        fields[n++] = PAYLOAD_BOOL_FIELD("late", d->late);
        break;
    case TAP_SIGNED_OUT:
        fields[n++] = PAYLOAD_BOOL_FIELD("early", d->early);
        fields[n++] = PAYLOAD_INT_FIELD("minutes", d->minutes);
        break;
    case TAP_ALREADY_IN:
    case TAP_ALREADY_OUT:
        fields[n++] = PAYLOAD_INT_FIELD("since_us", d->since_us);
        break;
    case TAP_CHOOSE:
        for (size_t i = 0, used = 0; i < d->n_choices && used < sizeof(choices); i++)
            used += (size_t)snprintf(choices + used, sizeof(choices) - used, "%s%s", i ? "," : "",
                                     d->choices[i]->code);
        fields[n++] = PAYLOAD_STR_FIELD("choices", choices);
        break;
    case TAP_UNKNOWN_BADGE:
        crypto_hex(hash_hex, badge_hash, CRYPTO_BADGE_HASH_BYTES);
        fields[n++] = PAYLOAD_STR_FIELD("badge", r->last4);
        fields[n++] = PAYLOAD_STR_FIELD("badge_hash", hash_hex);
        break;
    case TAP_REVOKED:
        fields[n++] = PAYLOAD_STR_FIELD("badge", r->last4);
        fields[n++] = PAYLOAD_BOOL_FIELD("revoked", true);
        break;
    case TAP_CLOCK_WRONG:
        /* Both clocks are in the event itself; the badge, so the paper register can be
         * matched to it. */
        crypto_hex(hash_hex, badge_hash, CRYPTO_BADGE_HASH_BYTES);
        fields[n++] = PAYLOAD_STR_FIELD("clock", clock_verdict_code(r->clock));
        fields[n++] = PAYLOAD_STR_FIELD("badge", r->last4);
        fields[n++] = PAYLOAD_STR_FIELD("badge_hash", hash_hex);
        break;
    default:
        break;
    }
    return payload_write(out, cap, fields, n) == PAYLOAD_OK ? STORE_OK : STORE_EINVALID;
}

static int commit_event(const struct tapflow *f, struct tap_result *r, const uint8_t *badge_hash,
                        int64_t mono)
{
    char payload[EVENT_PAYLOAD_MAX];
    struct event e;
    int err = write_payload(r, badge_hash, payload, sizeof(payload));
    if (err == STORE_OK &&
        event_make(&e, r->decision.event_type, r->has_person ? r->person.staff_no : NULL,
                   r->decision.session ? r->decision.session->code : NULL, r->now_us, mono,
                   f->clock_state, payload) != EVENT_OK)
        err = STORE_EINVALID;
    if (err == STORE_OK)
        err = store_append_event(f->store, &e);
    r->seq = err == STORE_OK ? e.seq : 0;
    return err;
}

/* ---- the clock ---------------------------------------------------------------------------- */

static void read_reading(const struct tapflow *f, const char *key, struct clock_reading *out)
{
    char text[128], boot[CLOCK_BOOT_ID_LEN];
    long long wall = 0, mono = 0;
    *out = (struct clock_reading){0};
    if (store_meta_get(f->store, key, text, sizeof(text)) != STORE_OK ||
        sscanf(text, "%39s %lld %lld", boot, &wall, &mono) != 3)
        return;
    out->known = true;
    out->this_boot = f->boot_id && f->boot_id[0] && strcmp(boot, f->boot_id) == 0;
    out->wall_us = wall;
    out->mono_us = mono;
}

int tapflow_clock(const struct tapflow *f, int64_t now_us, int64_t mono_us,
                  enum clock_verdict *verdict)
{
    struct clock_evidence ev = {.rules = f->rules};
    read_reading(f, STORE_META_CLOCK_TAP, &ev.last_tap);
    read_reading(f, STORE_META_CLOCK_LEDGER, &ev.ledger);
    int err = store_newest_believed_wall(f->store, &ev.newest_event_wall_us);
    *verdict = clock_check(&ev, now_us, mono_us);
    return err;
}

/* The tap just decided on a believed clock: the next one is checked against it. */
static int remember_reading(const struct tapflow *f, int64_t now_us, int64_t mono_us)
{
    char text[128];
    snprintf(text, sizeof(text), "%s %lld %lld", f->boot_id && f->boot_id[0] ? f->boot_id : "-",
             (long long)now_us, (long long)mono_us);
    return store_meta_set(f->store, STORE_META_CLOCK_TAP, text);
}

/* ---- deciding ------------------------------------------------------------------------------ */

static int forgotten_sign_out(const struct tapflow *f, struct tap_result *r);

/* Finds who the badge belongs to and what the tap means; fills r->decision. */
static int decide(const struct tapflow *f, const struct uid *uid, int64_t chosen,
                  enum clock_verdict clock, struct tap_result *r,
                  uint8_t hash[CRYPTO_BADGE_HASH_BYTES], struct near *near)
{
    char hex[UID_HEX_LEN];
    uid_to_hex(uid, hex);
    uid_last4(uid, r->last4);
    crypto_badge_hash(hash, hex, f->site_key);
    struct tap_facts facts = {
        .rules = f->rules, .now_us = r->now_us, .chosen_session_id = chosen, .clock = clock};
    if (clock != CLOCK_OK || (uid_is_random(uid) && !f->rules->accept_random_uids)) {
        facts.badge = BADGE_RANDOM;
        tap_decide(&facts, &r->decision);
        return STORE_OK;
    }
    int64_t person_id = 0;
    bool revoked = false;
    int err = store_badge_revoked(f->store, hash, &revoked);
    if (err == STORE_OK && revoked) {
        facts.badge = BADGE_REVOKED;
        tap_decide(&facts, &r->decision);
        return STORE_OK;
    }
    if (err == STORE_OK)
        err = store_badge_lookup(f->store, hash, &person_id);
    if (err == STORE_OK)
        err = store_person_by_id(f->store, person_id, &r->person);
    if (err == STORE_ENOTFOUND) {
        facts.badge = BADGE_UNKNOWN;
        tap_decide(&facts, &r->decision);
        return STORE_OK;
    }
    if (err != STORE_OK)
        return err;
    r->has_person = true;
    facts.badge = BADGE_KNOWN;
    facts.person = &r->person;
    if ((err = load_near(f, &r->person, r->now_us, near)) != STORE_OK)
        return err;
    facts.sessions = near->sessions;
    facts.n_sessions = near->n_sessions;
    facts.attendance = near->rows;
    facts.n_attendance = near->n_rows;
    facts.booked_session_ids = near->booked;
    facts.n_booked = near->n_booked;
    struct event last;
    err = store_last_event_of(f->store, r->person.staff_no, &last);
    if (err == STORE_OK && last.type == EV_LEAVE_PROMPT) {
        struct session s;
        if (store_session_by_code(f->store, last.session, &s) == STORE_OK) {
            facts.prompt_session_id = s.id;
            facts.prompt_at_us = last.wall_us;
        }
    } else if (err != STORE_OK && err != STORE_ENOTFOUND) {
        return err;
    }
    if (!r->person.trainer && (err = forgotten_sign_out(f, r)) != STORE_OK)
        return err;
    tap_decide(&facts, &r->decision);
    return STORE_OK;
}

static int fold_forgotten(void *ctx, const struct event *e)
{
    tap_forgotten_fold(ctx, e);
    return 0;
}

static int fold_forgotten_back(void *ctx, const struct event *e)
{
    return tap_forgotten_fold_back(ctx, e) ? CPD_STOP : 0;
}

/* Whether this tap is the first they make since a forgotten sign-out was closed for them: their
 * newest auto-close found by its own index (most people have none: nothing more is read), then
 * their events since it read newest first, usually one (the cost of a tap must not grow with a
 * person's history); in order from the first only when trainers' corrections came after more
 * than it keeps. */
static int forgotten_sign_out(const struct tapflow *f, struct tap_result *r)
{
    struct tap_forgotten_back back = {0};
    struct tap_forgotten state = {0};
    int64_t closed_at = 0;
    int err = store_last_auto_close_of(f->store, r->person.staff_no, &closed_at);
    if (err == STORE_ENOTFOUND)
        return STORE_OK;
    if (err == STORE_OK)
        err = store_events_of_newest_first(f->store, r->person.staff_no, closed_at,
                                           fold_forgotten_back, &back);
    err = err == CPD_STOP ? STORE_OK : err;
    if (err == STORE_OK && back.overflow)
        err = store_events_of(f->store, r->person.staff_no, fold_forgotten, &state);
    else
        state = back.result;
    if (err != STORE_OK || !state.pending)
        return err;
    err = store_session_by_code(f->store, state.session, &r->forgotten);
    r->forgot_sign_out = err == STORE_OK;
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

static int sweep(const struct tapflow *f, int64_t now_us, int64_t mono_us, int *closed);

int tapflow_commit(const struct tapflow *f, const struct uid *uid, int64_t now_us, int64_t mono_us,
                   int64_t chosen_session_id, struct tap_result *r)
{
    struct credit_summary summary = r->summary; /* its memory, kept for this tap's summary */
    credits_summary_clear(&summary);
    memset(r, 0, sizeof(*r));
    r->summary = summary;
    r->now_us = now_us;
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    struct near *near = calloc(1, sizeof(*near));
    if (!near)
        return STORE_ENOMEM;
    /* One transaction from the sweep to the event: the tap is decided on what it sees, and
     * the store takes one lock and one sync instead of one per statement. */
    int closed = 0;
    int err = store_begin(f->store);
    if (err == STORE_OK)
        err = tapflow_clock(f, now_us, mono_us, &r->clock);
    /* A wrong clock closes nobody's attendance: the sweep runs on a believed clock only. */
    if (err == STORE_OK && r->clock == CLOCK_OK)
        err = sweep(f, now_us, mono_us, &closed);
    if (err == STORE_OK)
        err = decide(f, uid, chosen_session_id, r->clock, r, hash, near);
    if (err == STORE_OK) {
        copy_sessions(r);
        err = commit_event(f, r, hash, mono_us);
    }
    /* Only a tap on this machine's own clock is a reading (not cpd-admin tap --at). */
    if (err == STORE_OK && r->clock == CLOCK_OK && f->boot_id)
        err = remember_reading(f, now_us, mono_us);
    if (err == STORE_OK)
        err = store_commit(f->store);
    else
        store_rollback(f->store);
    free_near(near);
    free(near);
    return err;
}

void tapflow_describe(const struct tapflow *f, struct tap_result *r)
{
    if (r->decision.outcome == TAP_NO_SESSION)
        r->has_next = store_next_session(f->store, r->now_us, &r->next) == STORE_OK;
    if (r->decision.outcome == TAP_SIGNED_OUT && r->has_person)
        r->has_attendance =
            store_attendance_get(f->store, r->person.id, r->session.id, &r->attendance) == STORE_OK;
    if (r->has_person && !r->person.trainer && r->person.active)
        r->has_summary =
            tapflow_summary(f->store, f->rules, r->person.id, r->now_us, &r->summary) == STORE_OK;
}

int tapflow_tap(const struct tapflow *f, const struct uid *uid, int64_t now_us, int64_t mono_us,
                int64_t chosen_session_id, struct tap_result *r)
{
    int err = tapflow_commit(f, uid, now_us, mono_us, chosen_session_id, r);
    if (err == STORE_OK)
        tapflow_describe(f, r);
    return err;
}

struct sweep_ctx {
    const struct tapflow *flow;
    int64_t now, mono;
    int closed;
    int err;
    struct event events[16];
    size_t n;
};

static int collect_forgotten(void *ctx, const struct person *p, const struct session *s,
                             const struct attendance *row)
{
    struct sweep_ctx *c = ctx;
    if (!tap_is_forgotten(c->flow->rules, s, row, c->now))
        return 0;
    if (c->n == sizeof(c->events) / sizeof(c->events[0]))
        return CPD_STOP; /* the rest on the next sweep */
    struct payload_field fields[] = {PAYLOAD_INT_FIELD("closed_us", s->end_us),
                                     PAYLOAD_STR_FIELD("reason", "no_sign_out")};
    char payload[EVENT_PAYLOAD_MAX];
    if (payload_write(payload, sizeof(payload), fields, 2) != PAYLOAD_OK ||
        event_make(&c->events[c->n], EV_AUTO_CLOSE, p->staff_no, s->code, c->now, c->mono,
                   c->flow->clock_state, payload) != EVENT_OK) {
        c->err = STORE_EINVALID;
        return CPD_STOP;
    }
    c->n++;
    return 0;
}

static int sweep(const struct tapflow *f, int64_t now_us, int64_t mono_us, int *closed)
{
    struct sweep_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return STORE_ENOMEM;
    c->flow = f;
    c->now = now_us;
    c->mono = mono_us;
    int64_t cutoff = now_us - f->rules->checkout_after_min * US_PER_MIN;
    int err = store_open_attendance_each(f->store, cutoff, collect_forgotten, c);
    if (err == CPD_STOP)
        err = c->err;
    for (size_t i = 0; i < c->n && err == STORE_OK; i++)
        err = store_append_event(f->store, &c->events[i]);
    *closed = err == STORE_OK ? (int)c->n : 0;
    free(c);
    return err;
}

int tapflow_sweep(const struct tapflow *f, int64_t now_us, int64_t mono_us, int *closed)
{
    enum clock_verdict clock = CLOCK_OK;
    *closed = 0;
    int err = tapflow_clock(f, now_us, mono_us, &clock);
    return err == STORE_OK && clock == CLOCK_OK ? sweep(f, now_us, mono_us, closed) : err;
}

/* What a credit summary reads. A person's attendance and credits recorded elsewhere grow with
 * the years, the programme's packages with its cohorts: those lists grow until they hold
 * everything (never the oldest-first cut that would lose this year); the mandatory courses are
 * bounded and an overflow is an error. */
struct summary_inputs {
    struct session *sessions;
    struct attendance *rows;
    struct external_credit *external;
    struct session *package;
    struct mandatory_course mandatory[MAX_MANDATORY];
};

int tapflow_summary(struct store *store, const struct rules *rules, int64_t person_id,
                    int64_t now_us, struct credit_summary *out)
{
    credits_summary_clear(out);
    struct summary_inputs *in = calloc(1, sizeof(*in));
    if (!in)
        return STORE_ENOMEM;
    struct credits_input ci = {.rules = rules, .mandatory = in->mandatory};
    int minutes = 0;
    zone_utc_to_local(now_us, &ci.today, &minutes, NULL);
    ci.now_us = now_us;
    int err = lists_attendance_of(store, person_id, &in->sessions, &in->rows, &ci.n_rows);
    if (err == STORE_OK)
        err = lists_external_for(store, person_id, &in->external, &ci.n_external);
    if (err == STORE_OK)
        err = lists_package_sessions(store, &in->package, &ci.n_package_sessions);
    if (err == STORE_OK)
        err = store_mandatory_courses(store, in->mandatory, MAX_MANDATORY, &ci.n_mandatory);
    if (err == STORE_OK) {
        /* As of now_us, a credit recorded elsewhere and dated later has not happened yet: not
         * counted, not listed, not weighed against the cap or a course's parts (attendance is
         * taken as of now_us by the engine itself: tap_attendance_as_of). */
        size_t kept = 0;
        for (size_t i = 0; i < ci.n_external; i++) {
            if (in->external[i].date <= ci.today)
                in->external[kept++] = in->external[i];
        }
        ci.n_external = kept;
        ci.package_sessions = in->package;
        ci.sessions = in->sessions;
        ci.rows = in->rows;
        ci.external = in->external;
        err = credits_summarise(&ci, out);
    }
    free(in->sessions);
    free(in->rows);
    free(in->external);
    free(in->package);
    free(in);
    return err;
}

void tapflow_result_free(struct tap_result *r)
{
    if (r)
        credits_summary_free(&r->summary);
}

const struct package_progress *tapflow_package_of(const struct tap_result *r)
{
    if (!r->has_summary || !r->decision.session || !r->decision.session->group[0])
        return NULL;
    for (size_t i = 0; i < r->summary.n_packages; i++) {
        if (strcmp(r->summary.packages[i].group, r->decision.session->group) == 0)
            return &r->summary.packages[i];
    }
    return NULL;
}
