/* tapflow.h — one tap from badge to committed event: gathers the facts from the store, asks the
 * pure tap decision, appends its event (durably: synchronous=FULL) and gathers what the screen
 * shows. Used by cpd-kiosk and `cpd-admin tap` alike. When tapflow_tap returns an error nothing
 * was committed and the caller must say so, never "signed in".
 *
 * struct tap_result is large (it holds a credit summary): allocate it. */
#ifndef CPD_TAPFLOW_H
#define CPD_TAPFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain/credits.h"
#include "core/store/store.h"
#include "core/domain/tap.h"
#include "core/domain/uid.h"

struct tapflow {
    struct store *store;
    const struct rules *rules;
    const uint8_t *site_key; /* CRYPTO_SITE_KEY_BYTES */
    const char *clock_state; /* written into each event: "synced", "unsynced", … */
    /* This boot's id (clock_boot_id; "" when unknown, as in the demo). NULL: the times given
     * are not this machine's clocks (cpd-admin tap --at): checked, never kept as a reading. */
    const char *boot_id;
};

struct tap_result {
    struct tap_decision decision; /* its session pointers point into this struct */
    bool has_person;
    struct person person;
    char last4[5];
    struct session session; /* decision.session, copied */
    struct session choices[TAP_MAX_CHOICES];
    bool has_next; /* the next session the kiosk records (no session open) */
    struct session next;
    int64_t seq;              /* the committed event */
    enum clock_verdict clock; /* what the clock check said (not CLOCK_OK: TAP_CLOCK_WRONG) */
    int64_t now_us;
    bool has_attendance; /* a sign-out: tonight's attendance as it stands now */
    struct attendance attendance;
    bool forgot_sign_out;     /* their last sign-out was forgotten and closed: say so, once */
    struct session forgotten; /* … in this session */
    bool has_summary;
    struct credit_summary summary; /* staff taps: the person's year */
};

/* chosen_session_id: the session picked on the choose screen, 0 for a plain tap. out: zeroed
 * before its first tap ({0} or calloc), reused for any number, released with
 * tapflow_result_free. */
int tapflow_tap(const struct tapflow *flow, const struct uid *uid, int64_t now_us, int64_t mono_us,
                int64_t chosen_session_id, struct tap_result *out);
/* tapflow_tap's two halves. commit: decided and committed (durable when it returns STORE_OK);
 * describe: after the commit, what the screen shows besides the outcome (the next session,
 * the person's year). A failure in describe does not undo the tap: the screen shows the
 * outcome without the summary. */
int tapflow_commit(const struct tapflow *flow, const struct uid *uid, int64_t now_us,
                   int64_t mono_us, int64_t chosen_session_id, struct tap_result *out);
void tapflow_describe(const struct tapflow *flow, struct tap_result *out);
/* Auto-closes forgotten sign-outs whose checkout window has passed; *closed counts them. */
int tapflow_sweep(const struct tapflow *flow, int64_t now_us, int64_t mono_us, int *closed);
void tapflow_result_free(struct tap_result *result);
/* Whether the clock can be believed now (core/domain/clockcheck.h), from the store's record of
 * the last believed tap and the last sync. Taps and the sweep use it; so can a status line. */
int tapflow_clock(const struct tapflow *flow, int64_t now_us, int64_t mono_us,
                  enum clock_verdict *verdict);
/* A person's credit summary as of now (out: as credits_summarise's). */
int tapflow_summary(struct store *store, const struct rules *rules, int64_t person_id,
                    int64_t now_us, struct credit_summary *out);
/* The package (CPI / MAPA) the session belongs to, in the summary; NULL if none. */
const struct package_progress *tapflow_package_of(const struct tap_result *result);

#endif
