/* tap.h — what one badge tap means: the decision of design.md §3, as a pure function.
 *
 * The caller gathers the facts (who the badge belongs to, the sessions around now, the person's
 * attendance and bookings, their last leaving-early prompt) and passes the time in; tap_decide
 * returns exactly one outcome and the event to append for it. Nothing is read or written here. */
#ifndef CPD_TAP_H
#define CPD_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain/domain.h"
#include "core/domain/event.h"
#include "core/domain/clockcheck.h"
#include "core/domain/rules.h"

#define TAP_MAX_CHOICES 8

enum badge_state { BADGE_KNOWN, BADGE_UNKNOWN, BADGE_RANDOM, BADGE_REVOKED };

enum tap_outcome {
    TAP_SIGNED_IN,
    TAP_SIGNED_OUT,
    TAP_ALREADY_IN,
    TAP_ALREADY_OUT,
    TAP_CONFIRM_LEAVE,
    TAP_CHOOSE,
    TAP_NO_SESSION,
    TAP_UNKNOWN_BADGE,
    TAP_RANDOM_UID,
    TAP_INACTIVE,
    TAP_TRAINER,
    TAP_CLOCK_WRONG, /* the kiosk's clock cannot be believed: nothing decided */
    TAP_REVOKED,     /* a badge reported lost or replaced */
    TAP_OUTCOME_COUNT
};

struct tap_facts {
    const struct rules *rules;
    int64_t now_us;
    enum badge_state badge;
    const struct person *person; /* BADGE_KNOWN only */
    /* Recordable sessions whose sign-in or checkout window may contain now. */
    const struct session *sessions;
    size_t n_sessions;
    /* The person's attendance rows for those sessions (any order; missing = never in). */
    const struct attendance *attendance;
    size_t n_attendance;
    const int64_t *booked_session_ids;
    size_t n_booked;
    /* The person's last leaving-early prompt (session id 0 when none). */
    int64_t prompt_session_id;
    int64_t prompt_at_us;
    /* The session picked on the choose screen, 0 for a plain tap. */
    int64_t chosen_session_id;
    /* Whether now can be believed (clockcheck.h): when not, nothing else counts. */
    enum clock_verdict clock;
};

struct tap_decision {
    enum tap_outcome outcome;
    enum event_type event_type;
    const struct session *session; /* the session concerned, NULL when none */
    bool late;                     /* TAP_SIGNED_IN */
    bool early;                    /* TAP_SIGNED_OUT */
    int minutes;                   /* TAP_SIGNED_OUT: minutes attended within the session */
    int64_t since_us;              /* TAP_ALREADY_IN / TAP_ALREADY_OUT: when that happened */
    const struct session *choices[TAP_MAX_CHOICES];
    size_t n_choices;
};

void tap_decide(const struct tap_facts *facts, struct tap_decision *out);

/* Is this session open for sign-in at now (start − open window ≤ now < end)? */
bool tap_session_open(const struct rules *rules, const struct session *session, int64_t now_us);
/* Signed in, never out, and the checkout window (end + checkout) has passed. */
bool tap_is_forgotten(const struct rules *rules, const struct session *session,
                      const struct attendance *row, int64_t now_us);
/* The attendance as it stood at `at`: a sign-in made later not made yet (in_us 0); a sign-out
 * made later — or the sweep's close of a forgotten one while its checkout window was still
 * open — not made yet; then a sign-out forgotten by then closed at the end and flagged, as the
 * sweep will record it. Corrections stay: they are the truth about then. */
struct attendance tap_attendance_as_of(const struct rules *rules, const struct session *session,
                                       const struct attendance *row, int64_t at);
/* Minutes of [in, out] that fall within [start, end]. */
int tap_minutes_within(const struct session *session, int64_t in_us, int64_t out_us);
const char *tap_outcome_code(enum tap_outcome outcome);

/* Whether a person should be told, at this tap, that their last sign-out was forgotten and
 * closed for them: fold their events in order into it. An auto-close sets it; a tap whose result
 * they saw, or a trainer putting that attendance right, clears it (so it is said once). */
struct tap_forgotten {
    bool pending;
    char session[DOMAIN_CODE_MAX]; /* the session closed for them */
};
void tap_forgotten_fold(struct tap_forgotten *state, const struct event *e);
/* The same answer, read newest first, so a tap need not read a person's whole history: feed
 * their events newest first until it returns true (decided; usually at the first). A tap whose
 * result they saw decides "no"; an auto-close decides "yes" unless a trainer put that
 * attendance right after it. Should more trainer corrections come first than it keeps, it
 * gives up (overflow): fold all of them in order instead. */
#define TAP_FORGOTTEN_FIXES 8
struct tap_forgotten_back {
    struct tap_forgotten result;
    char fixed[TAP_FORGOTTEN_FIXES][DOMAIN_CODE_MAX]; /* sessions put right, newer than now */
    size_t n_fixed;
    bool overflow;
};
bool tap_forgotten_fold_back(struct tap_forgotten_back *state, const struct event *e);

#endif
