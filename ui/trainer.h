/* trainer.h — trainer mode, once the PIN pad (kiosk.c) has let a trainer in: the menu, the
 * register, the CPI grid, signing in and out by hand, enrolling a badge, the evacuation list.
 * Its own state and its own panel; what it changes it changes through core/services
 * (trainer_ops.h), so cpd-admin can do the same. Time is passed in; one thread. */
#ifndef CPD_TRAINER_H
#define CPD_TRAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain/rules.h"
#include "core/domain/uid.h"
#include "core/store/store.h"
#include "ui/input.h"
#include "core/services/report.h"
#include "ui/store_fault.h"
#include "ui/view.h"

#define TRAINER_IDLE_US (INT64_C(60) * 1000000) /* trainer mode locks after 60 s idle */
/* A roll call stays up until it is closed (12 h: a kiosk left on it overnight still locks), and
 * its ticks outlive trainer mode for ROLL_CALL_TICKS_US after the last one, so a roll call
 * closed or interrupted by a tap is opened again as it was. */
#define ROLL_CALL_IDLE_US  (INT64_C(12) * 3600 * 1000000)
#define ROLL_CALL_TICKS_US (INT64_C(2) * 3600 * 1000000)

struct trainer_options {
    struct store *store;
    const struct rules *rules;
    const char *site; /* where a session without a location is */
    const uint8_t *site_key;
    const char *clock_state;   /* written into events: "synced", "unsynced", "demo" */
    struct store_fault *fault; /* where a store failure is reported (the kiosk's banner) */
    bool can_print;            /* a printer is configured: the roll call has Print */
};

struct trainer;

int trainer_new(const struct trainer_options *options, struct trainer **out);
void trainer_free(struct trainer *trainer);

/* Opens trainer mode for this trainer (their PIN was accepted): the menu. */
void trainer_open(struct trainer *trainer, const struct person *who, int64_t now_us);
/* Opens the roll call alone, for a fire warden (no PIN: the list and its ticks, nothing else;
 * Back locks). */
void trainer_open_roll_call(struct trainer *trainer, const struct person *warden, int64_t now_us);
/* Whether the roll call is on screen (a badge tapped then is shown, then the roll call again). */
bool trainer_in_roll_call(const struct trainer *trainer);
/* Back to the roll call after a tap's result, as it was (ticks, page), refreshed. */
void trainer_resume_roll_call(struct trainer *trainer, int64_t now_us);
/* True once Print was touched on the roll call (cleared by reading); the list to print, its
 * last column saying who was ticked; then what came of it, said on the list. */
bool trainer_take_print_request(struct trainer *trainer);
const struct report *trainer_roll_call(const struct trainer *trainer);
void trainer_printed(struct trainer *trainer, bool ok, const char *why, int64_t now_us);
/* Locks it: whatever was in progress is dropped. */
void trainer_close(struct trainer *trainer);
bool trainer_is_open(const struct trainer *trainer);

void trainer_action(struct trainer *trainer, struct view_action action, int64_t now_us,
                    int64_t mono_us);
/* A badge tapped while a flow waits for one (enrol); false if it did not want it. */
bool trainer_badge(struct trainer *trainer, const struct uid *uid, int64_t now_us);
struct view_action trainer_key_action(const struct trainer *trainer, enum gfx_key key, char ch);
/* Locks after TRAINER_IDLE_US without a touch; a finished screen goes back to the menu. */
void trainer_tick(struct trainer *trainer, int64_t now_us);
/* The earlier of next and the time trainer mode changes by itself. */
int64_t trainer_deadline(const struct trainer *trainer, int64_t next_us);
enum view_screen trainer_screen(const struct trainer *trainer);
void trainer_view(struct trainer *trainer, struct view *v);

/* What trainer mode's status page shows: the details the public screen keeps to plain words. */
struct trainer_status {
    char reader[192];
    char sync[320];
    char clock[256];
};
void trainer_set_status(struct trainer *trainer, const struct trainer_status *status);

/* Whether "Sync now" can run, and why not (shown on the greyed-out button). */
void trainer_set_sync(struct trainer *trainer, bool available, const char *why);
/* True once the trainer pressed "Sync now" (cleared by reading). */
bool trainer_take_sync_request(struct trainer *trainer);

#endif
