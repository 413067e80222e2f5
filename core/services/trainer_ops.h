/* trainer_ops.h — what a trainer does to the records, for the kiosk's trainer mode and
 * cpd-admin alike: sign someone in or out by hand with a reason, approve flagged CPI sessions,
 * enrol a badge. Each is an event (who, when, why) — never an update — committed before the
 * call returns, or nothing at all. Store codes as errors. */
#ifndef CPD_TRAINER_OPS_H
#define CPD_TRAINER_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain/uid.h"
#include "core/store/store.h"

/* Who acts, and when. */
struct trainer_act {
    struct store *store;
    const struct rules *rules;
    const struct person *trainer;
    const char *clock_state; /* written into the events: "synced", "unsynced", "demo" */
    int64_t now_us, mono_us;
};

/* A sign-in (sign_in) or sign-out by hand at a session, at at_us (0: now) — when the person
 * really came or went, which may be before the kiosk was on. at_us must not be after now, nor
 * outside the session's sign-in window (start − open window … end + checkout window), nor (a
 * sign-out) before they came: else STORE_EINVALID and nothing is recorded. STORE_ECONSTRAINT
 * when they were at another session then (one place at a time). *flagged: late or early by the
 * rules. */
int trainer_sign_by_hand(const struct trainer_act *act, bool sign_in, const struct person *person,
                         const struct session *session, const char *reason, int64_t at_us,
                         bool *flagged);
/* Approves every CPI Initial session of the person that needs a review; *approved: how many. */
int trainer_approve_cpi(const struct trainer_act *act, const struct person *person, int *approved);
/* Enrols the badge for the person (its keyed hash; last4 out for the screen), with its event
 * carrying the hash so head office can add it to the roster. */
int trainer_enrol_badge(const struct trainer_act *act, const struct person *person,
                        const struct uid *uid, const uint8_t *site_key, char last4[5]);

#endif
