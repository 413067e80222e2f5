/* Trainer mode: the menu, the register, the CPI grid, signing in and out by hand, enrolling a
 * badge, the evacuation list. Every change is an event with the trainer's identity and reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/utf8.h"
#include "core/domain/crypto.h"
#include "core/domain/credits.h"
#include "core/services/trainer_ops.h"
#include "ui/kiosk_internal.h"
#include "core/domain/payload.h"
#include "core/domain/tap.h"
#include "core/base/zone.h"

#define US_PER_MIN INT64_C(60000000)

enum menu_item {
    M_REGISTER,
    M_CPI,
    M_SIGN_IN,
    M_SIGN_OUT,
    M_ENROL,
    M_EVACUATION,
    M_SYNC,
    M_LOCK,
    M_COUNT
};

static const char *const reasons[] = {"Forgot badge",
                                      "Badge not working",
                                      "Reader not working",
                                      "Arrived before the kiosk was on",
                                      "Tapped into the wrong session",
                                      "Other (trainer's note)"};
#define N_REASONS ((int)(sizeof(reasons) / sizeof(reasons[0])))

static void button(struct kiosk *k, int64_t id, const char *label, const char *detail, bool enabled,
                   enum view_tone tone)
{
    if (k->n_buttons == VIEW_BUTTONS)
        return;
    struct view_button *b = &k->buttons[k->n_buttons];
    utf8_printf(b->label, sizeof(b->label), "%s", label);
    utf8_printf(b->detail, sizeof(b->detail), "%s", detail);
    b->enabled = enabled;
    b->tone = tone;
    k->button_ids[k->n_buttons++] = id;
}

void trainer_lock(struct kiosk *k)
{
    k->unlocked = false;
    k->flow_kind = FLOW_NONE;
    k->step = STEP_NONE;
    k->pin_len = 0;
    crypto_wipe(k->pin, sizeof(k->pin));
}

void trainer_open_menu(struct kiosk *k, int64_t now)
{
    k->flow_kind = FLOW_NONE;
    k->step = STEP_NONE;
    k->n_buttons = 0;
    utf8_printf(k->title, sizeof(k->title), "Trainer mode — %s", k->trainer.name);
    utf8_printf(k->subtitle, sizeof(k->subtitle), "Locks after 60 seconds without a touch");
    button(k, M_REGISTER, "Register", "Who is here for tonight's session", true, TONE_V_INFO);
    button(k, M_CPI, "CPI grid", "Cohorts × 4 sessions: verify, see who is at risk", true,
           TONE_V_INFO);
    button(k, M_SIGN_IN, "Sign someone in", "By hand, with a reason", true, TONE_V_INFO);
    button(k, M_SIGN_OUT, "Sign someone out", "By hand, with a reason", true, TONE_V_INFO);
    button(k, M_ENROL, "Enrol a badge", "Tap the new badge, pick the person", true, TONE_V_INFO);
    button(k, M_EVACUATION, "Evacuation list", "Everyone signed in now", true, TONE_V_WARNING);
    button(k, M_SYNC, "Sync now",
           k->status.sync_available ? "Send events to head office, fetch the roster"
                                    : k->status.sync_why,
           k->status.sync_available, TONE_V_INFO);
    button(k, M_LOCK, "Lock", "Leave trainer mode", true, TONE_V_NEUTRAL);
    kiosk_enter(k, KM_MENU, now + KIOSK_TRAINER_IDLE_US);
}

/* ---- lists ------------------------------------------------------------------------------- */

static void list_start(struct kiosk *k, const char *title, const char *const *columns, int n)
{
    utf8_printf(k->title, sizeof(k->title), "%s", title);
    k->subtitle[0] = '\0';
    k->n_columns = n;
    for (int i = 0; i < n; i++)
        utf8_printf(k->columns[i], sizeof(k->columns[i]), "%s", columns[i]);
    k->n_items = 0;
    k->n_cut = 0;
    k->first = 0;
}

static struct kiosk_item *list_add(struct kiosk *k, int64_t id)
{
    if (k->n_items == KIOSK_LIST_MAX) {
        k->n_cut++;
        return NULL;
    }
    struct kiosk_item *it = &k->items[k->n_items++];
    memset(it, 0, sizeof(*it));
    it->id = id;
    it->tone = TONE_V_NEUTRAL;
    return it;
}

static struct kiosk_item *list_find(struct kiosk *k, int64_t id)
{
    for (int i = 0; i < k->n_items; i++) {
        if (k->items[i].id == id)
            return &k->items[i];
    }
    return NULL;
}

/* ---- which session ----------------------------------------------------------------------- */

/* Today's recordable sessions whose sign-in or checkout window is open now. */
static int current_sessions(struct kiosk *k, int64_t now, struct session *out, int cap)
{
    struct session found[16];
    size_t n = 0;
    const struct rules *r = k->opt.rules;
    int err = store_sessions_between(k->opt.store, now - r->checkout_after_min * US_PER_MIN,
                                     now + r->open_before_min * US_PER_MIN, found, 16, &n);
    if (err != STORE_OK) {
        kiosk_store_failed(k, err, "cannot read the programme");
        return 0;
    }
    int m = 0;
    for (size_t i = 0; i < n && m < cap; i++) {
        if (domain_session_recordable(&found[i]))
            out[m++] = found[i];
    }
    return m;
}

static void ask_session(struct kiosk *k, const struct session *s, int n, int64_t now);
static void after_session(struct kiosk *k, int64_t now);

static void start_flow(struct kiosk *k, enum kiosk_flow flow, int64_t now)
{
    struct session s[VIEW_BUTTONS];
    k->flow_kind = flow;
    int n = current_sessions(k, now, s, VIEW_BUTTONS);
    if (n == 0) {
        kiosk_message(k, TONE_V_INFO, "No session is open now", now);
        kiosk_message_line(k,
                           "Sessions open %d minutes before they start and close %d minutes "
                           "after they end.",
                           k->opt.rules->open_before_min, k->opt.rules->checkout_after_min);
        return;
    }
    if (n == 1) {
        k->session = s[0];
        after_session(k, now);
        return;
    }
    ask_session(k, s, n, now);
}

static void ask_session(struct kiosk *k, const struct session *s, int n, int64_t now)
{
    k->step = STEP_SESSION;
    k->n_buttons = 0;
    utf8_printf(k->title, sizeof(k->title), "Which session?");
    k->subtitle[0] = '\0';
    for (int i = 0; i < n; i++) {
        char a[8], z[8], detail[VIEW_TEXT];
        kiosk_format_time(s[i].start_us, a);
        kiosk_format_time(s[i].end_us, z);
        utf8_printf(detail, sizeof(detail), "%s–%s", a, z);
        button(k, s[i].id, s[i].title, detail, true, TONE_V_INFO);
    }
    kiosk_enter(k, KM_BUTTONS, now + KIOSK_TRAINER_IDLE_US);
}

/* ---- register ---------------------------------------------------------------------------- */

static void describe(const struct attendance *a, char *status, size_t cap, enum view_tone *tone)
{
    char in[8], out[8];
    kiosk_format_time(a->in_us, in);
    kiosk_format_time(a->out_us, out);
    const char *by_hand = a->flags & (ATT_MANUAL_IN | ATT_MANUAL_OUT) ? ", by hand" : "";
    *tone = TONE_V_OK;
    if (a->out_us == 0) {
        utf8_printf(status, cap, "In %s%s%s", in, a->flags & ATT_LATE ? " (late)" : "", by_hand);
        if (a->flags & ATT_LATE)
            *tone = TONE_V_WARNING;
    } else if (a->flags & ATT_NO_SIGNOUT) {
        utf8_printf(status, cap, "In %s, no sign-out", in);
        *tone = TONE_V_WARNING;
    } else {
        utf8_printf(status, cap, "%s %s%s%s", a->flags & ATT_EARLY ? "Left early" : "Out", out,
                    a->flags & ATT_LATE ? " (came late)" : "", by_hand);
        if (a->flags & (ATT_EARLY | ATT_LATE))
            *tone = TONE_V_WARNING;
    }
}

static int register_row(void *ctx, const struct person *p, const struct attendance *a)
{
    struct kiosk *k = ctx;
    struct kiosk_item *it = list_add(k, p->id);
    if (!it)
        return 0; /* counted in n_cut: the list says how many it could not show */
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", p->name);
    describe(a, it->cells[1], sizeof(it->cells[1]), &it->tone);
    utf8_printf(it->cells[2], sizeof(it->cells[2]), "%s", p->academy);
    it->selectable = k->flow_kind == FLOW_SIGN_OUT && a->in_us != 0 && a->out_us == 0;
    return 0;
}

static int booked_row(void *ctx, const struct person *p, int unused)
{
    (void)unused;
    struct kiosk *k = ctx;
    if (list_find(k, p->id))
        return 0;
    struct kiosk_item *it = list_add(k, p->id);
    if (!it)
        return 0; /* counted in n_cut: the list says how many it could not show */
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", p->name);
    utf8_printf(it->cells[1], sizeof(it->cells[1]), "Booked — not here");
    utf8_printf(it->cells[2], sizeof(it->cells[2]), "%s", p->academy);
    it->tone = TONE_V_INFO;
    return 0;
}

static void show_register(struct kiosk *k, int64_t now)
{
    static const char *const cols[] = {"Name", "Status", "Academy"};
    char title[VIEW_TEXT], a[8], z[8];
    kiosk_format_time(k->session.start_us, a);
    kiosk_format_time(k->session.end_us, z);
    utf8_printf(title, sizeof(title), "Register: %s, %s–%s", k->session.title, a, z);
    list_start(k, title, cols, 3);
    int err = store_register_each(k->opt.store, k->session.id, register_row, k);
    if (err == STORE_OK || err == CPD_STOP)
        err = store_bookings_of(k->opt.store, k->session.id, booked_row, k);
    if (err != STORE_OK && err != CPD_STOP)
        kiosk_store_failed(k, err, "cannot read the register");
    int in = 0, late = 0, missing = 0;
    for (int i = 0; i < k->n_items; i++) {
        in += strncmp(k->items[i].cells[1], "In ", 3) == 0;
        late += strstr(k->items[i].cells[1], "late") != NULL;
        missing += strncmp(k->items[i].cells[1], "Booked", 6) == 0;
    }
    utf8_printf(k->subtitle, sizeof(k->subtitle), "%d in now · %d late · %d booked but not here",
                in, late, missing);
    k->step = STEP_NONE;
    kiosk_enter(k, KM_LIST, now + KIOSK_TRAINER_IDLE_US);
}

/* ---- evacuation -------------------------------------------------------------------------- */

static int evacuation_row(void *ctx, const struct person *p, const struct session *s,
                          const struct attendance *a)
{
    struct kiosk *k = ctx;
    struct kiosk_item *it = list_add(k, p->id);
    if (!it)
        return 0; /* counted in n_cut: the list says how many it could not show */
    char in[8];
    kiosk_format_time(a->in_us, in);
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", p->name);
    utf8_printf(it->cells[1], sizeof(it->cells[1]), "%s", s->title);
    utf8_printf(it->cells[2], sizeof(it->cells[2]), "since %s", in);
    utf8_printf(it->cells[3], sizeof(it->cells[3]), "%s",
                s->location[0] ? s->location : k->opt.site);
    it->tone = TONE_V_WARNING;
    return 0;
}

static void show_evacuation(struct kiosk *k, int64_t now)
{
    static const char *const cols[] = {"Name", "Session", "Signed in", "Room"};
    list_start(k, "Evacuation list: everyone signed in now", cols, 4);
    int err = store_open_attendance_each(k->opt.store, INT64_MAX, evacuation_row, k);
    if (err != STORE_OK && err != CPD_STOP)
        kiosk_store_failed(k, err, "cannot read who is in");
    char at[8];
    kiosk_format_time(now, at);
    utf8_printf(k->subtitle, sizeof(k->subtitle), "%d people in the building for CPD at %s",
                k->n_items + k->n_cut, at);
    kiosk_enter(k, KM_LIST, now + KIOSK_TRAINER_IDLE_US);
}

/* ---- CPI grid ---------------------------------------------------------------------------- */

struct cpi_ctx {
    struct kiosk *k;
    int column; /* which of the cohort's sessions, 1–4 */
    const struct session *session;
    int64_t now;
    char group[DOMAIN_CODE_MAX];
};

static struct kiosk_item *cpi_person(struct cpi_ctx *c, const struct person *p)
{
    /* One row per person and cohort: ids are person ids, the cohort is in cells[0]. */
    for (int i = 0; i < c->k->n_items; i++) {
        struct kiosk_item *it = &c->k->items[i];
        const char *cohort = strncmp(c->group, "cpi-", 4) == 0 ? c->group + 4 : c->group;
        if (it->id == p->id && strstr(it->cells[0], cohort))
            return it;
    }
    struct kiosk_item *it = list_add(c->k, p->id);
    if (!it)
        return NULL;
    const char *cohort = strncmp(c->group, "cpi-", 4) == 0 ? c->group + 4 : c->group;
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s (%s)", p->name, cohort);
    for (int s = 1; s <= 4; s++)
        utf8_printf(it->cells[s], sizeof(it->cells[s]), "–");
    return it;
}

static int cpi_attended(void *ctx, const struct person *p, const struct attendance *a)
{
    struct cpi_ctx *c = ctx;
    struct kiosk_item *it = cpi_person(c, p);
    if (!it || c->column > 4)
        return 0;
    const char *mark = a->out_us == 0 ? "\u25CF in"
                       : credits_attendance_complete(c->k->opt.rules, c->session, a)
                           ? "\u2714"
                           : "\u26A0 review";
    utf8_printf(it->cells[c->column], sizeof(it->cells[c->column]), "%s", mark);
    return 0;
}

static int cpi_booked(void *ctx, const struct person *p, int unused)
{
    (void)unused;
    struct cpi_ctx *c = ctx;
    struct kiosk_item *it = cpi_person(c, p);
    if (it && c->column <= 4 && strcmp(it->cells[c->column], "–") == 0)
        utf8_printf(it->cells[c->column], sizeof(it->cells[c->column]), "%s",
                    c->session->end_us < c->now ? "\u2716 missed" : "booked");
    return 0;
}

static void cpi_status(struct kiosk_item *it)
{
    int done = 0, review = 0, missed = 0;
    for (int s = 1; s <= 4; s++) {
        done += strcmp(it->cells[s], "\u2714") == 0;
        review += strstr(it->cells[s], "review") != NULL;
        missed += strstr(it->cells[s], "missed") != NULL;
    }
    it->selectable = review > 0;
    if (done == 4) {
        utf8_printf(it->cells[5], sizeof(it->cells[5]), "Complete");
        it->tone = TONE_V_OK;
    } else if (missed) {
        utf8_printf(it->cells[5], sizeof(it->cells[5]), "At risk");
        it->tone = TONE_V_ERROR;
    } else if (review) {
        utf8_printf(it->cells[5], sizeof(it->cells[5]), "Verify %d", review);
        it->tone = TONE_V_WARNING;
    } else {
        utf8_printf(it->cells[5], sizeof(it->cells[5]), "%d of 4", done);
    }
}

static void show_cpi(struct kiosk *k, int64_t now)
{
    static const char *const cols[] = {"Name (cohort)", "1", "2", "3", "4", "Status"};
    list_start(k, "CPI Initial Training: 4 sessions, all needed for 13 credits", cols, 6);
    struct session sessions[64];
    size_t n = 0;
    int err = store_package_sessions(k->opt.store, sessions, 64, &n);
    char last_group[DOMAIN_CODE_MAX] = "";
    int column = 0;
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        if (sessions[i].kind != KIND_CPI_INITIAL)
            continue;
        column = strcmp(last_group, sessions[i].group) == 0 ? column + 1 : 1;
        utf8_printf(last_group, sizeof(last_group), "%s", sessions[i].group);
        struct cpi_ctx c = {.k = k, .column = column, .session = &sessions[i], .now = now};
        utf8_printf(c.group, sizeof(c.group), "%s", sessions[i].group);
        err = store_register_each(k->opt.store, sessions[i].id, cpi_attended, &c);
        if (err == STORE_OK)
            err = store_bookings_of(k->opt.store, sessions[i].id, cpi_booked, &c);
    }
    if (err != STORE_OK)
        kiosk_store_failed(k, err, "cannot read the CPI sessions");
    int at_risk = 0, complete = 0;
    for (int i = 0; i < k->n_items; i++) {
        cpi_status(&k->items[i]);
        at_risk += k->items[i].tone == TONE_V_ERROR;
        complete += k->items[i].tone == TONE_V_OK;
    }
    utf8_printf(k->subtitle, sizeof(k->subtitle),
                "%d complete · %d at risk of missing their 13 credits · touch a row to verify",
                complete, at_risk);
    k->flow_kind = FLOW_CPI;
    k->step = STEP_CONFIRM;
    kiosk_enter(k, KM_LIST, now + KIOSK_TRAINER_IDLE_US);
}

/* ---- events by hand ---------------------------------------------------------------------- */

/* The trainer, now, acting through the services (trainer_ops.h). */
static struct trainer_act act(const struct kiosk *k, int64_t now, int64_t mono)
{
    return (struct trainer_act){.store = k->opt.store,
                                .rules = k->opt.rules,
                                .trainer = &k->trainer,
                                .clock_state = k->opt.clock_state,
                                .now_us = now,
                                .mono_us = mono};
}

static void approve_cpi(struct kiosk *k, int64_t person_id, int64_t now, int64_t mono)
{
    struct person p;
    int approved = 0;
    struct trainer_act a = act(k, now, mono);
    int err = store_person_by_id(k->opt.store, person_id, &p);
    if (err == STORE_OK)
        err = trainer_approve_cpi(&a, &p, &approved);
    if (err != STORE_OK) {
        kiosk_store_failed(k, err, "the approval was not recorded");
        kiosk_message(k, TONE_V_ERROR, "Not recorded", now);
        kiosk_message_line(k, "%s", k->store_text);
        return;
    }
    kiosk_message(k, TONE_V_OK, "Verified", now);
    kiosk_message_line(k, "%s: %d CPI session%s approved by %s.", p.name, approved,
                       approved == 1 ? "" : "s", k->trainer.name);
}

static int person_row(void *ctx, const struct person *p, int badges)
{
    struct kiosk *k = ctx;
    if (!p->active)
        return 0;
    bool booked = false;
    struct attendance a;
    if (k->flow_kind == FLOW_SIGN_IN) {
        if (store_attendance_get(k->opt.store, p->id, k->session.id, &a) == STORE_OK &&
            a.in_us != 0 && a.out_us == 0)
            return 0; /* already in */
        store_booked(k->opt.store, p->id, k->session.id, &booked);
    }
    struct kiosk_item *it = list_add(k, p->id);
    if (!it)
        return 0; /* counted in n_cut: the list says how many it could not show */
    utf8_printf(it->cells[0], sizeof(it->cells[0]), "%s", p->name);
    utf8_printf(it->cells[1], sizeof(it->cells[1]), "%s", p->academy);
    if (k->flow_kind == FLOW_ENROL)
        utf8_printf(it->cells[2], sizeof(it->cells[2]), "%d badge%s", badges,
                    badges == 1 ? "" : "s");
    else
        utf8_printf(it->cells[2], sizeof(it->cells[2]), "%s", booked ? "Booked" : "");
    it->tone = booked ? TONE_V_INFO : TONE_V_NEUTRAL;
    it->selectable = true;
    return 0;
}

/* Booked people first, then by name (the store gives them by name). */
static int booked_first(const void *a, const void *b)
{
    const struct kiosk_item *x = a, *y = b;
    bool bx = x->cells[2][0] == 'B', by = y->cells[2][0] == 'B';
    if (bx != by)
        return bx ? -1 : 1;
    return strcmp(x->cells[0], y->cells[0]);
}

static void ask_person(struct kiosk *k, int64_t now)
{
    static const char *const cols[] = {"Name", "Academy", ""};
    char title[VIEW_TEXT];
    k->step = STEP_PERSON;
    if (k->flow_kind == FLOW_SIGN_OUT) {
        utf8_printf(title, sizeof(title), "Sign out by hand: %s", k->session.title);
        static const char *const out_cols[] = {"Name", "Status", "Academy"};
        list_start(k, title, out_cols, 3);
        int err = store_register_each(k->opt.store, k->session.id, register_row, k);
        if (err != STORE_OK && err != CPD_STOP)
            kiosk_store_failed(k, err, "cannot read the register");
        int keep = 0;
        for (int i = 0; i < k->n_items; i++) {
            if (k->items[i].selectable)
                k->items[keep++] = k->items[i];
        }
        k->n_items = keep;
        utf8_printf(k->subtitle, sizeof(k->subtitle), "Touch the person who is leaving");
    } else {
        if (k->flow_kind == FLOW_ENROL)
            utf8_printf(title, sizeof(title), "Enrol badge …%s: whose is it?",
                        (char[5]){0}); /* filled below */
        else
            utf8_printf(title, sizeof(title), "Sign in by hand: %s", k->session.title);
        list_start(k, title, cols, 3);
        if (k->flow_kind == FLOW_ENROL) {
            char last4[5];
            uid_last4(&k->enrol_uid, last4);
            utf8_printf(k->title, sizeof(k->title), "Enrol badge …%s: whose is it?", last4);
        }
        int err = store_people_each(k->opt.store, person_row, k);
        if (err != STORE_OK && err != CPD_STOP)
            kiosk_store_failed(k, err, "cannot read the roster");
        qsort(k->items, (size_t)k->n_items, sizeof(k->items[0]), booked_first);
        utf8_printf(k->subtitle, sizeof(k->subtitle), "Touch the person (booked people first)");
    }
    kiosk_enter(k, KM_LIST, now + KIOSK_TRAINER_IDLE_US);
}

static void ask_reason(struct kiosk *k, int64_t now)
{
    k->step = STEP_REASON;
    k->n_buttons = 0;
    utf8_printf(k->title, sizeof(k->title), "Why by hand? %s", k->person.name);
    utf8_printf(k->subtitle, sizeof(k->subtitle), "%s by %s", k->session.title, k->trainer.name);
    for (int i = 0; i < N_REASONS; i++)
        button(k, i, reasons[i], "", true, TONE_V_INFO);
    kiosk_enter(k, KM_BUTTONS, now + KIOSK_TRAINER_IDLE_US);
}

static void record_by_hand(struct kiosk *k, int reason, int64_t now, int64_t mono)
{
    bool in = k->flow_kind == FLOW_SIGN_IN, flag = false;
    struct trainer_act a = act(k, now, mono);
    int err = trainer_sign_by_hand(&a, in, &k->person, &k->session, reasons[reason], &flag);
    if (err != STORE_OK) {
        kiosk_store_failed(k, err, "the sign-in by hand was not recorded");
        kiosk_message(k, TONE_V_ERROR, "Not recorded", now);
        kiosk_message_line(k, "%s", k->store_text);
        return;
    }
    kiosk_store_ok(k);
    char at[8];
    kiosk_format_time(now, at);
    kiosk_message(k, TONE_V_OK, in ? "Signed in by hand" : "Signed out by hand", now);
    kiosk_message_line(k, "%s", k->person.name);
    kiosk_message_line(k, "%s, at %s%s", k->session.title, at,
                       flag ? (in ? " (late)" : " (early)") : "");
    kiosk_message_line(k, "Reason: %s — recorded by %s", reasons[reason], k->trainer.name);
}

/* ---- enrolling a badge ------------------------------------------------------------------- */

bool trainer_badge(struct kiosk *k, const struct uid *uid, int64_t now, int64_t mono)
{
    (void)mono;
    if (k->flow_kind != FLOW_ENROL || k->step != STEP_BADGE)
        return false;
    k->trainer_seen_us = now;
    char last4[5];
    uid_last4(uid, last4);
    if (uid_is_random(uid) && !k->opt.rules->accept_random_uids) {
        kiosk_message(k, TONE_V_ERROR, "This card changes its number", now);
        kiosk_message_line(k, "It cannot be a badge: use a staff badge.");
        return true;
    }
    char hex[UID_HEX_LEN];
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    uid_to_hex(uid, hex);
    crypto_badge_hash(hash, hex, k->opt.site_key);
    int64_t owner = 0;
    int err = store_badge_lookup(k->opt.store, hash, &owner);
    if (err == STORE_OK) {
        struct person p = {0};
        bool known = store_person_by_id(k->opt.store, owner, &p) == STORE_OK;
        kiosk_message(k, TONE_V_WARNING, "This badge is already enrolled", now);
        kiosk_message_line(k, "Badge …%s belongs to %s.", last4, known ? p.name : "someone else");
        return true;
    }
    k->enrol_uid = *uid;
    ask_person(k, now);
    return true;
}

static void enrol(struct kiosk *k, int64_t now, int64_t mono)
{
    char last4[5];
    struct trainer_act a = act(k, now, mono);
    int err = trainer_enrol_badge(&a, &k->person, &k->enrol_uid, k->opt.site_key, last4);
    if (err != STORE_OK) {
        kiosk_store_failed(k, err, "the badge was not enrolled");
        kiosk_message(k, TONE_V_ERROR, "Not enrolled", now);
        kiosk_message_line(k, "%s", k->store_text);
        return;
    }
    kiosk_message(k, TONE_V_OK, "Badge enrolled", now);
    kiosk_message_line(k, "Badge …%s now signs in %s.", last4, k->person.name);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static void after_session(struct kiosk *k, int64_t now)
{
    switch (k->flow_kind) {
    case FLOW_REGISTER:
        show_register(k, now);
        break;
    case FLOW_SIGN_IN:
    case FLOW_SIGN_OUT:
        ask_person(k, now);
        break;
    default:
        trainer_open_menu(k, now);
        break;
    }
}

static void menu_action(struct kiosk *k, int item, int64_t now)
{
    switch (item) {
    case M_REGISTER:
        start_flow(k, FLOW_REGISTER, now);
        break;
    case M_CPI:
        show_cpi(k, now);
        break;
    case M_SIGN_IN:
        start_flow(k, FLOW_SIGN_IN, now);
        break;
    case M_SIGN_OUT:
        start_flow(k, FLOW_SIGN_OUT, now);
        break;
    case M_ENROL:
        k->flow_kind = FLOW_ENROL;
        k->step = STEP_BADGE;
        kiosk_message(k, TONE_V_INFO, "Tap the new badge on the reader", now);
        kiosk_message_line(k, "Then pick the person it belongs to.");
        break;
    case M_EVACUATION:
        k->flow_kind = FLOW_EVACUATION;
        show_evacuation(k, now);
        break;
    case M_SYNC:
        k->sync_requested = true;
        kiosk_message(k, TONE_V_INFO, "Sync started", now);
        kiosk_message_line(k, "Events go to head office and the roster comes back, in the "
                              "background: the kiosk keeps working.");
        kiosk_message_line(k, "The sync chip at the top shows how it went.");
        break;
    default:
        trainer_lock(k);
        kiosk_enter(k, KM_IDLE, 0);
        break;
    }
}

static void list_action(struct kiosk *k, struct view_action a, int64_t now, int64_t mono)
{
    int page = k->per_page > 0 ? k->per_page : 8;
    if (a.kind == ACT_PAGE_DOWN && k->first + page < k->n_items)
        k->first += page;
    else if (a.kind == ACT_PAGE_UP)
        k->first = k->first > page ? k->first - page : 0;
    if (a.kind != ACT_ROW || a.index < 0 || a.index >= k->n_items || !k->items[a.index].selectable)
        return;
    const struct kiosk_item *it = &k->items[a.index];
    if (k->flow_kind == FLOW_CPI) {
        approve_cpi(k, it->id, now, mono);
        return;
    }
    if (k->step != STEP_PERSON || store_person_by_id(k->opt.store, it->id, &k->person) != STORE_OK)
        return;
    if (k->flow_kind == FLOW_ENROL)
        enrol(k, now, mono);
    else
        ask_reason(k, now);
}

void trainer_action(struct kiosk *k, struct view_action a, int64_t now, int64_t mono)
{
    k->until_us = now + KIOSK_TRAINER_IDLE_US;
    if (a.kind == ACT_BACK) {
        if (k->mode == KM_MENU) {
            trainer_lock(k);
            kiosk_enter(k, KM_IDLE, 0);
        } else {
            trainer_open_menu(k, now);
        }
        return;
    }
    switch (k->mode) {
    case KM_MENU:
        if (a.kind == ACT_BUTTON && a.index < k->n_buttons && k->buttons[a.index].enabled)
            menu_action(k, (int)k->button_ids[a.index], now);
        break;
    case KM_BUTTONS:
        if (a.kind != ACT_BUTTON || a.index >= k->n_buttons)
            break;
        if (k->step == STEP_SESSION &&
            store_session_by_id(k->opt.store, k->button_ids[a.index], &k->session) == STORE_OK)
            after_session(k, now);
        else if (k->step == STEP_REASON)
            record_by_hand(k, (int)k->button_ids[a.index], now, mono);
        break;
    case KM_LIST:
        list_action(k, a, now, mono);
        break;
    case KM_MESSAGE:
        if (a.kind == ACT_OK || a.kind == ACT_BUTTON)
            trainer_open_menu(k, now);
        break;
    default:
        break;
    }
}

void trainer_view(const struct kiosk *k, struct view *v)
{
    utf8_printf(v->title, sizeof(v->title), "%s", k->title);
    if (k->n_cut && k->mode == KM_LIST)
        utf8_printf(v->subtitle, sizeof(v->subtitle), "%s — only the first %d shown, %d more",
                    k->subtitle, k->n_items, k->n_cut);
    else
        utf8_printf(v->subtitle, sizeof(v->subtitle), "%s", k->subtitle);
    switch (k->mode) {
    case KM_MENU:
    case KM_BUTTONS:
        v->screen = k->mode == KM_MENU ? SCREEN_MENU : SCREEN_CHOOSE;
        memcpy(v->buttons, k->buttons, sizeof(v->buttons));
        v->n_buttons = k->n_buttons;
        break;
    case KM_LIST:
        v->screen = SCREEN_TABLE;
        v->n_columns = k->n_columns;
        memcpy(v->columns, k->columns, sizeof(v->columns));
        v->first_row = k->first;
        v->total_rows = k->n_items;
        for (int i = k->first; i < k->n_items && v->n_rows < VIEW_ROWS; i++) {
            struct view_row *row = &v->rows[v->n_rows++];
            memcpy(row->cells, k->items[i].cells, sizeof(row->cells));
            row->tone = k->items[i].tone;
            row->selectable = k->items[i].selectable;
        }
        break;
    default:
        v->screen = SCREEN_MESSAGE;
        v->tone = k->msg_tone;
        utf8_printf(v->headline, sizeof(v->headline), "%s", k->msg_head);
        for (int i = 0; i < k->n_msg; i++)
            utf8_printf(v->lines[i], VIEW_TEXT, "%s", k->msg_lines[i]);
        v->n_lines = k->n_msg;
        break;
    }
}
