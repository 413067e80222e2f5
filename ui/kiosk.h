/* kiosk.h — the kiosk's behaviour, without a window: taps, trainer mode, timeouts → a view.
 *
 * app.c feeds it badges, touches/keys (as view actions) and the time, and asks it for the view
 * model to draw. Nothing here draws or reads a clock: time is passed in (tests inject it, the
 * demo runs its own clock). Every badge tap is decided and committed (tapflow) before the view
 * says anything; when the commit fails, the view says so — never "signed in". One thread. */
#ifndef CPD_KIOSK_H
#define CPD_KIOSK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain/rules.h"
#include "core/domain/uid.h"
#include "core/store/store.h"
#include "ui/input.h"
#include "core/services/report.h"
#include "ui/view.h"

#define KIOSK_PROMPT_US (INT64_C(30) * 1000000) /* PIN pad, choose screen: give up */

struct kiosk_options {
    struct store *store;
    const struct rules *rules;
    const char *site;         /* shown on screen, and where a session without a location is */
    int result_seconds;       /* a result stays up this long */
    int evaluation_seconds;   /* a sign-out asks "How useful was tonight?" this long; 0: never */
    const char *fire_wardens; /* staff numbers (spaces or commas): their tap offers the roll call */
    bool can_print;           /* a printer is configured: the roll call has Print */
    /* A keyboard-wedge reader types here: a printable key is the reader's, never a person's
     * (SDL gives the key before its text, so a scan's first character would press a button —
     * answer the evaluation of the person before, approve, undo). Touch is the kiosk's input;
     * Enter, Escape, Backspace and the page keys still work. */
    bool keys_are_a_reader;
    const uint8_t *site_key;
    const char *clock_state; /* written into events: "synced", "unsynced", "demo" */
    const char *boot_id;     /* this boot's (clock_boot_id), for the clock check; "" in the demo */
};

/* What the app knows about the world outside: shown in the status chips and banners. */
struct kiosk_status {
    bool reader_up;
    char reader_text[192]; /* "Reader ready", or why it is down (the chip says it plainly) */
    enum view_tone sync_tone;
    char sync_text[64];
    bool sync_available; /* "Sync now" can run (else greyed out with sync_why) */
    char sync_why[128];
    char sync_detail[256]; /* for trainer mode's status page: last sent, waiting, last error */
    bool clock_ok;
    char clock_text[64];
};

enum kiosk_sound { KIOSK_SOUND_NONE, KIOSK_SOUND_OK, KIOSK_SOUND_WARNING, KIOSK_SOUND_ERROR };

struct kiosk;

int kiosk_new(const struct kiosk_options *options, struct kiosk **out);
void kiosk_free(struct kiosk *kiosk);

void kiosk_badge(struct kiosk *kiosk, const struct uid *uid, int64_t now_us, int64_t mono_us);
void kiosk_action(struct kiosk *kiosk, struct view_action action, int64_t now_us, int64_t mono_us);
/* A key on the screen shown: digits pick buttons / enter PIN digits, Enter, Escape, pages. */
struct view_action kiosk_key_action(const struct kiosk *kiosk, enum gfx_key key, char ch);
/* Timeouts and the minute tick; also sweeps forgotten sign-outs. */
void kiosk_tick(struct kiosk *kiosk, int64_t now_us, int64_t mono_us);
/* The next wall time at which the view changes by itself (a timeout, the next minute). */
int64_t kiosk_deadline(const struct kiosk *kiosk, int64_t now_us);
void kiosk_set_status(struct kiosk *kiosk, const struct kiosk_status *status);
/* A message the app wants shown as a banner (e.g. "Sync failed: …"); "" clears it. */
void kiosk_set_notice(struct kiosk *kiosk, enum view_tone tone, const char *text);
void kiosk_view(struct kiosk *kiosk, int64_t now_us, int width, int height, struct view *out);
/* The tone for the last outcome, once. */
enum kiosk_sound kiosk_take_sound(struct kiosk *kiosk);
enum view_screen kiosk_screen(const struct kiosk *kiosk);
/* True once Print was touched on the roll call (cleared by reading): the app prints
 * kiosk_roll_call() and tells kiosk_printed how it went. */
bool kiosk_take_print_request(struct kiosk *kiosk);
const struct report *kiosk_roll_call(const struct kiosk *kiosk);
void kiosk_printed(struct kiosk *kiosk, bool ok, const char *why, int64_t now_us);
/* True once the trainer pressed "Sync now" (the app runs it and clears this). */
bool kiosk_take_sync_request(struct kiosk *kiosk);

#endif
