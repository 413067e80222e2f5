#include "core/services/trainer_ops.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/timeunits.h"
#include "core/domain/credits.h"
#include "core/domain/crypto.h"
#include "core/domain/payload.h"
#include "core/services/lists.h"

/* One event by the trainer about person (at session, when not NULL). */
static int record(const struct trainer_act *a, enum event_type type, const struct person *person,
                  const struct session *session, const struct payload_field *fields, size_t n)
{
    char payload[EVENT_PAYLOAD_MAX];
    struct event e;
    if (payload_write(payload, sizeof(payload), fields, n) != PAYLOAD_OK ||
        event_make(&e, type, person->staff_no, session ? session->code : NULL, a->now_us,
                   a->mono_us, a->clock_state, payload) != EVENT_OK)
        return STORE_EINVALID;
    return store_append_event(a->store, &e);
}

int trainer_sign_by_hand(const struct trainer_act *a, bool sign_in, const struct person *person,
                         const struct session *session, const char *reason, int64_t at_us,
                         bool *flagged)
{
    const struct rules *r = a->rules;
    if (at_us == 0)
        at_us = a->now_us;
    *flagged = false;
    if (at_us > a->now_us || at_us < session->start_us - r->open_before_min * US_PER_MIN ||
        at_us > session->end_us + r->checkout_after_min * US_PER_MIN)
        return STORE_EINVALID;
    struct attendance was;
    int err = store_attendance_get(a->store, person->id, session->id, &was);
    if (err != STORE_OK && err != STORE_ENOTFOUND)
        return err;
    bool there = err == STORE_OK && was.in_us != 0 && !(was.flags & ATT_VOID);
    if (!sign_in && there && at_us < was.in_us)
        return STORE_EINVALID; /* out before they came */
    /* One place at a time: not in by hand while they were at another session. */
    bool elsewhere = false;
    err = lists_at_another_session(a->store, person->id, session,
                                   sign_in ? at_us : (there ? was.in_us : at_us),
                                   sign_in ? 0 : at_us, &elsewhere);
    if (err != STORE_OK)
        return err;
    if (elsewhere)
        return STORE_ECONSTRAINT;
    *flagged = sign_in ? at_us > session->start_us + r->late_after_min * US_PER_MIN
                       : at_us < session->end_us - r->early_before_min * US_PER_MIN;
    struct payload_field f[] = {PAYLOAD_INT_FIELD("at_us", at_us),
                                PAYLOAD_STR_FIELD("trainer", a->trainer->staff_no),
                                PAYLOAD_STR_FIELD("reason", reason),
                                PAYLOAD_BOOL_FIELD(sign_in ? "late" : "early", *flagged)};
    return record(a, sign_in ? EV_MANUAL_SIGN_IN : EV_MANUAL_SIGN_OUT, person, session, f, 4);
}

int trainer_approve_cpi(const struct trainer_act *a, const struct person *person, int *approved)
{
    struct session *sessions = NULL;
    size_t n = 0;
    *approved = 0;
    int err = lists_package_sessions(a->store, &sessions, &n);
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        struct attendance at;
        if (sessions[i].kind != KIND_CPI_INITIAL ||
            store_attendance_get(a->store, person->id, sessions[i].id, &at) != STORE_OK ||
            at.out_us == 0 || credits_attendance_complete(a->rules, &sessions[i], &at))
            continue;
        struct payload_field f[] = {PAYLOAD_STR_FIELD("trainer", a->trainer->staff_no),
                                    PAYLOAD_STR_FIELD("reason", "verified by the trainer")};
        err = record(a, EV_APPROVE, person, &sessions[i], f, 2);
        *approved += err == STORE_OK;
    }
    free(sessions);
    return err;
}

int trainer_enrol_badge(const struct trainer_act *a, const struct person *person,
                        const struct uid *uid, const uint8_t *site_key, char last4[5])
{
    char hex[UID_HEX_LEN], hash_hex[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    uid_to_hex(uid, hex);
    uid_last4(uid, last4);
    crypto_badge_hash(hash, hex, site_key);
    crypto_hex(hash_hex, hash, sizeof(hash));
    /* The keyed hash travels in the event so that head office can add the badge to the
     * roster (it never sees the UID). */
    struct payload_field f[] = {PAYLOAD_STR_FIELD("trainer", a->trainer->staff_no),
                                PAYLOAD_STR_FIELD("badge", last4),
                                PAYLOAD_STR_FIELD("badge_hash", hash_hex)};
    /* The badge and its event together, or neither. */
    int err = store_begin(a->store);
    if (err == STORE_OK)
        err = store_badge_add(a->store, person->id, hash, last4);
    if (err == STORE_OK)
        err = record(a, EV_BADGE_ENROLLED, person, NULL, f, 3);
    if (err == STORE_OK)
        return store_commit(a->store);
    store_rollback(a->store);
    return err;
}
