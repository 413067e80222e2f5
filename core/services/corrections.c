#include "core/services/corrections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/error.h"
#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/domain/credits.h"
#include "core/domain/crypto.h"
#include "core/domain/payload.h"
#include "core/services/lists.h"

#define REASON_MAX 200

/* One line of plain text: valid UTF-8, no control characters, no bidirectional overrides or
 * isolates (which make a printed line read otherwise than it is), and not blank. */
static bool one_line(const char *text)
{
    return utf8_plain(text) && text[strspn(text, " ")] != '\0';
}

/* Who and why are the point of a correction: both present, each one plain line. */
static bool who_and_why(const struct correction *c, const char **why)
{
    if (!c->by || !c->by[0] || strlen(c->by) >= DOMAIN_NAME_MAX || !one_line(c->by))
        *why = "say who corrects it (--by): a name or staff number, one line";
    else if (!c->reason || !c->reason[0])
        *why = "a correction needs its reason (--reason)";
    else if (strlen(c->reason) > REASON_MAX || !one_line(c->reason))
        *why = "the reason is one line of plain text, at most 200 characters";
    else
        return true;
    return false;
}

/* The events of one correction, in one transaction. */
static int commit(const struct correction *c, const struct event *events, size_t n)
{
    int err = store_begin(c->store);
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        struct event e = events[i];
        err = store_append_event(c->store, &e);
    }
    if (err == STORE_OK)
        return store_commit(c->store);
    store_rollback(c->store);
    return err;
}

static int make(const struct correction *c, enum event_type type, const struct person *person,
                const struct session *session, const struct payload_field *extra, size_t n_extra,
                struct event *out)
{
    struct payload_field f[6];
    size_t n = 0;
    for (size_t i = 0; i < n_extra && n < 4; i++)
        f[n++] = extra[i];
    f[n++] = PAYLOAD_STR_FIELD("by", c->by);
    f[n++] = PAYLOAD_STR_FIELD("reason", c->reason);
    char payload[EVENT_PAYLOAD_MAX];
    if (payload_write(payload, sizeof(payload), f, n) != PAYLOAD_OK ||
        event_make(out, type, person->staff_no, session ? session->code : NULL, c->now_us,
                   c->mono_us, c->clock_state, payload) != EVENT_OK)
        return STORE_EINVALID;
    return STORE_OK;
}

/* The attendance a correction is about; *why when there is none. */
static int attendance_of(const struct correction *c, const struct person *person,
                         const struct session *session, struct attendance *out, const char **why)
{
    int err = store_attendance_get(c->store, person->id, session->id, out);
    if (err == STORE_ENOTFOUND ||
        (err == STORE_OK && (out->in_us == 0 || (out->flags & ATT_VOID)))) {
        *why = "no attendance of this person at this session (record it with sign-in first)";
        return STORE_EINVALID;
    }
    return err;
}

int correct_credits(const struct correction *c, const struct person *person,
                    const struct session *session, int credits_q, const char **why)
{
    struct attendance a;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    if (session->kind == KIND_CPI_INITIAL || session->kind == KIND_MAPA_BLOCK) {
        *why = "a CPI or MAPA session counts as part of its course: approve it instead";
        return STORE_EINVALID;
    }
    if (domain_kind_zero_credit(session->kind)) {
        *why = "a hub or department meeting is directed time: 0 credits";
        return STORE_EINVALID;
    }
    if (credits_q < 0 || (session->credits_q >= 0 && credits_q > session->credits_q)) {
        *why = "more credits than the programme prints for the session";
        return STORE_EINVALID;
    }
    int err = attendance_of(c, person, session, &a, why);
    if (err != STORE_OK)
        return err;
    struct payload_field f[] = {PAYLOAD_INT_FIELD("credits_q", credits_q)};
    struct event e;
    err = make(c, EV_CORRECTION, person, session, f, 1, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}

int correct_approve(const struct correction *c, const struct person *person,
                    const struct session *session, const char **why)
{
    struct attendance a;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    int err = attendance_of(c, person, session, &a, why);
    if (err == STORE_OK && a.out_us == 0) {
        *why = "still signed in: record the sign-out first";
        err = STORE_EINVALID;
    }
    if (err == STORE_OK && domain_kind_zero_credit(session->kind)) {
        *why = "a hub or department meeting is directed time: nothing to approve";
        err = STORE_EINVALID;
    }
    struct event e;
    if (err == STORE_OK)
        err = make(c, EV_APPROVE, person, session, NULL, 0, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}

int correct_withdraw_approval(const struct correction *c, const struct person *person,
                              const struct session *session, const char **why)
{
    struct attendance a;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    int err = attendance_of(c, person, session, &a, why);
    if (err == STORE_OK && !(a.flags & ATT_APPROVED)) {
        *why = "not approved: nothing to undo";
        err = STORE_EINVALID;
    }
    struct payload_field f[] = {PAYLOAD_BOOL_FIELD("withdrawn", true)};
    struct event e;
    if (err == STORE_OK)
        err = make(c, EV_CORRECTION, person, session, f, 1, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}

/* A time a correction states about a session: inside its sign-in and checkout windows. */
static bool within_session(const struct correction *c, const struct session *s, int64_t at)
{
    const struct rules *r = c->rules;
    return at >= s->start_us - r->open_before_min * US_PER_MIN &&
           at <= s->end_us + r->checkout_after_min * US_PER_MIN;
}

/* Someone is in one place at a time: the person's other attendance over [in, out]. */
static int overlaps_another(const struct correction *c, const struct person *person,
                            const struct session *session, int64_t in_us, int64_t out_us,
                            const char **why)
{
    bool found = false;
    int err = lists_at_another_session(c->store, person->id, session, in_us, out_us, &found);
    if (err == STORE_OK && found) {
        *why = "the person was at another session then (void that one first if it was wrong)";
        err = STORE_EINVALID;
    }
    return err;
}

int correct_sign_in(const struct correction *c, const struct person *person,
                    const struct session *session, int64_t in_us, int64_t out_us, const char **why)
{
    struct attendance a;
    const struct rules *r = c->rules;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    if (!domain_session_recordable(session)) {
        *why = "not a session the kiosk records (Live Teams and pre-recorded training are "
               "imported as credits)";
        return STORE_EINVALID;
    }
    if (!within_session(c, session, in_us) || in_us > session->end_us ||
        (out_us != 0 && (out_us <= in_us || !within_session(c, session, out_us)))) {
        *why = "the times are not within the session's sign-in and checkout windows";
        return STORE_EINVALID;
    }
    if (in_us > c->now_us || out_us > c->now_us) {
        *why = "a time in the future";
        return STORE_EINVALID;
    }
    int err = store_attendance_get(c->store, person->id, session->id, &a);
    if (err == STORE_OK && a.in_us != 0 && !(a.flags & ATT_VOID)) {
        *why = "already signed in to this session (correct the sign-out, or void it first)";
        return STORE_EINVALID;
    }
    if (err != STORE_OK && err != STORE_ENOTFOUND)
        return err;
    if ((err = overlaps_another(c, person, session, in_us, out_us, why)) != STORE_OK)
        return err;
    struct payload_field in[] = {
        PAYLOAD_INT_FIELD("at_us", in_us),
        PAYLOAD_BOOL_FIELD("late", in_us > session->start_us + r->late_after_min * US_PER_MIN)};
    struct payload_field out[] = {
        PAYLOAD_INT_FIELD("at_us", out_us),
        PAYLOAD_BOOL_FIELD("early", out_us < session->end_us - r->early_before_min * US_PER_MIN)};
    struct event e[2];
    err = make(c, EV_MANUAL_SIGN_IN, person, session, in, 2, &e[0]);
    if (err == STORE_OK && out_us != 0)
        err = make(c, EV_MANUAL_SIGN_OUT, person, session, out, 2, &e[1]);
    return err == STORE_OK ? commit(c, e, out_us != 0 ? 2 : 1) : err;
}

int correct_sign_out(const struct correction *c, const struct person *person,
                     const struct session *session, int64_t out_us, const char **why)
{
    struct attendance a;
    const struct rules *r = c->rules;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    int err = attendance_of(c, person, session, &a, why);
    if (err != STORE_OK)
        return err;
    if (out_us <= a.in_us || !within_session(c, session, out_us) || out_us > c->now_us) {
        *why = "the time is not after the sign-in and within the session's checkout window";
        return STORE_EINVALID;
    }
    /* A sign-out recorded by the person (or a trainer) is a fact, not a gap: changing it would
     * turn an early departure into a full session without an approval. Only a missed one — open,
     * or closed by the kiosk's sweep — is recorded here. */
    if (a.out_us != 0 && !(a.flags & ATT_NO_SIGNOUT)) {
        *why = "already signed out: approve it if the session counts in full, or void it and "
               "record it again";
        return STORE_EINVALID;
    }
    struct payload_field f[] = {
        PAYLOAD_INT_FIELD("at_us", out_us),
        PAYLOAD_BOOL_FIELD("early", out_us < session->end_us - r->early_before_min * US_PER_MIN)};
    struct event e;
    err = make(c, EV_MANUAL_SIGN_OUT, person, session, f, 2, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}

int correct_void(const struct correction *c, const struct person *person,
                 const struct session *session, const char **why)
{
    struct attendance a;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    int err = attendance_of(c, person, session, &a, why);
    struct event e;
    if (err == STORE_OK)
        err = make(c, EV_VOID_ATTENDANCE, person, session, NULL, 0, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}

struct badge_search {
    const char *staff_no, *last4;
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    char last4_found[8];
    int n;
};

static int match_badge(void *ctx, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4,
                       const char *staff_no)
{
    struct badge_search *b = ctx;
    if (strcmp(staff_no, b->staff_no) != 0 || strcasecmp(last4, b->last4) != 0)
        return 0;
    memcpy(b->hash, hash, CRYPTO_BADGE_HASH_BYTES);
    snprintf(b->last4_found, sizeof(b->last4_found), "%s", last4);
    b->n++;
    return 0;
}

int correct_revoke_badge(const struct correction *c, const struct person *person, const char *last4,
                         const char **why)
{
    struct badge_search b = {.staff_no = person->staff_no, .last4 = last4};
    bool revoked = false;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    int err = store_badge_hashes_each(c->store, match_badge, &b);
    if (err != STORE_OK && err != CPD_STOP)
        return err;
    if (b.n != 1) {
        *why = b.n == 0 ? "no badge of this person ends in these 4 hex digits (cpd-admin badges)"
                        : "more than one badge of this person ends so: ask head office";
        return STORE_EINVALID;
    }
    if ((err = store_badge_revoked(c->store, b.hash, &revoked)) != STORE_OK)
        return err;
    if (revoked) {
        *why = "this badge is already revoked";
        return STORE_EINVALID;
    }
    char hex[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    crypto_hex(hex, b.hash, sizeof(b.hash));
    struct payload_field f[] = {PAYLOAD_STR_FIELD("badge", b.last4_found),
                                PAYLOAD_STR_FIELD("badge_hash", hex)};
    struct event e;
    err = make(c, EV_BADGE_REVOKED, person, NULL, f, 2, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}

/* Whether the stored credit of this course and date is voided already. */
static int credit_voided(const struct correction *c, const struct person *person, int64_t course_id,
                         civil_day date, bool *voided)
{
    struct external_credit *list = NULL;
    size_t n = 0;
    *voided = false;
    int err = lists_external_for(c->store, person->id, &list, &n);
    for (size_t i = 0; i < n && err == STORE_OK; i++)
        *voided |= list[i].course_id == course_id && list[i].date == date && list[i].voided;
    free(list);
    return err;
}

int correct_void_credit(const struct correction *c, const struct person *person,
                        const char *programme, civil_day date, const char **why)
{
    struct course_row course;
    struct external_row row;
    int64_t course_id = 0;
    bool voided = false;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    int err = store_course_by_code(c->store, programme, &course, &course_id);
    if (err == STORE_OK)
        err = store_external_get(c->store, person->id, course_id, date, &row);
    if (err == STORE_ENOTFOUND) {
        *why = "no credit of this person for this programme id on this date (cpd-admin credits)";
        return STORE_EINVALID;
    }
    if (err == STORE_OK)
        err = credit_voided(c, person, course_id, date, &voided);
    if (err == STORE_OK && voided) {
        *why = "this credit is already voided";
        err = STORE_EINVALID;
    }
    if (err != STORE_OK)
        return err;
    char day[CIVIL_DATE_LEN];
    civil_format_date(date, day);
    struct payload_field f[] = {PAYLOAD_STR_FIELD("programme", course.code),
                                PAYLOAD_STR_FIELD("date", day)};
    struct event e;
    err = make(c, EV_CREDIT_VOIDED, person, NULL, f, 2, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}

int correct_cancel_booking(const struct correction *c, const struct person *person,
                           const struct session *session, const char **why)
{
    bool booked = false;
    *why = "";
    if (!who_and_why(c, why))
        return STORE_EINVALID;
    int err = store_booked(c->store, person->id, session->id, &booked);
    if (err == STORE_OK && !booked) {
        *why = "no booking of this person on this session (or it is cancelled already)";
        err = STORE_EINVALID;
    }
    struct event e;
    if (err == STORE_OK)
        err = make(c, EV_BOOKING_CANCELLED, person, session, NULL, 0, &e);
    return err == STORE_OK ? commit(c, &e, 1) : err;
}
