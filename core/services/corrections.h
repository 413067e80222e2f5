/* corrections.h — putting a person's record right, for the office (cpd-admin correct) and any
 * other caller: set a session's credits, approve a flagged session, record a sign-in from a
 * paper register, record a missed sign-out, void an attendance recorded by mistake. Each is an
 * event naming who corrected it and why — never an update — committed before the call
 * returns, or nothing at all; rebuild, the ledger sync and every statement see it like any
 * other event. Refused (STORE_EINVALID, *why says what) when it would not make sense. */
#ifndef CPD_CORRECTIONS_H
#define CPD_CORRECTIONS_H

#include <stdint.h>

#include "core/store/store.h"

struct correction {
    struct store *store;
    const struct rules *rules;
    const char *by;          /* who corrects: a name or staff number, written into the event */
    const char *reason;      /* why: required, one line */
    const char *clock_state; /* "synced", "unsynced", … */
    int64_t now_us, mono_us; /* when the correction is made (not the time it is about) */
};

/* Sets the credits of an attendance outright (quarters, at most the session's printed
 * credits; not for CPI or MAPA sessions, which are approved instead). */
int correct_credits(const struct correction *c, const struct person *person,
                    const struct session *session, int credits_q, const char **why);
/* Approves full credit for an attendance a trainer checked (late, early, no sign-out). */
int correct_approve(const struct correction *c, const struct person *person,
                    const struct session *session, const char **why);
/* Undoes an approval (a correction with withdrawn: true): the attendance needs a trainer's
 * review again. Refused when it is not approved. */
int correct_withdraw_approval(const struct correction *c, const struct person *person,
                              const struct session *session, const char **why);
/* Attended, as a paper register shows: in at in_us, out at out_us (0: not known). */
int correct_sign_in(const struct correction *c, const struct person *person,
                    const struct session *session, int64_t in_us, int64_t out_us, const char **why);
/* A missed sign-out, at out_us. */
int correct_sign_out(const struct correction *c, const struct person *person,
                     const struct session *session, int64_t out_us, const char **why);
/* An attendance recorded by mistake (tapped into the wrong session): it counts nothing. */
int correct_void(const struct correction *c, const struct person *person,
                 const struct session *session, const char **why);

/* A credit recorded elsewhere (programme id and date, as imported) voided: it counts nothing,
 * and importing the same row again does not bring it back. */
int correct_void_credit(const struct correction *c, const struct person *person,
                        const char *programme, civil_day date, const char **why);
/* A booking that no longer holds: the person is not expected at the session (the register
 * stops listing them as "booked — not here"); a bookings import does not bring it back. */
int correct_cancel_booking(const struct correction *c, const struct person *person,
                           const struct session *session, const char **why);
/* A badge reported lost or replaced (last4 as cpd-admin badges shows it): refused from now on
 * with "This badge was replaced — ask a trainer"; enrol the new one as usual. */
int correct_revoke_badge(const struct correction *c, const struct person *person, const char *last4,
                         const char **why);

#endif
