/* reader.h — one interface for every badge reader backend.
 *
 *   libnfc   — a PN532/PN533 on a serial line or USB (reader_libnfc.c; issue 7)
 *   keyboard — a USB reader that types the UID and Enter: the UI feeds each typed line
 *   sim      — a script of place/remove/unplug/replug/sleep lines from a file or FIFO
 *
 * Events are delivered through the callback given to reader_open(), ON THE READER'S THREAD
 * (for keyboard: on the thread calling reader_type). The callback must be quick and thread-safe
 * (the kiosk copies the event into a queue and wakes its UI thread). No SDL or SQLite here.
 * The caller owns the struct reader; reader_close() stops the thread first. */
#ifndef CPD_READER_H
#define CPD_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#include "core/domain/uid.h"

#define READER_PATH_MAX 512

enum reader_driver {
    READER_DRIVER_LIBNFC,
    READER_DRIVER_KEYBOARD,
    READER_DRIVER_SIM,
    READER_DRIVER_COUNT
};
/* Their names in kiosk.ini's [reader] driver (core/base/names.h). */
extern const char *const reader_driver_names[READER_DRIVER_COUNT];

/* What [reader] in kiosk.ini sets (config/ fills it; the reader never reads the config). */
struct reader_options {
    enum reader_driver driver;
    char connstring[READER_PATH_MAX];     /* libnfc, e.g. "pn532_uart:/dev/ttyUSB0" */
    char script[READER_PATH_MAX];         /* sim: script file or FIFO */
    int poll_ms;                          /* pause between select rounds, 10–1000 */
    int debounce_ms;                      /* same UID ignored this long after removal, 0–10000 */
    enum uid_text_format keyboard_format; /* hex | decimal | auto */
    enum uid_byte_order keyboard_byte_order;
};

enum reader_event_kind {
    READER_CARD,     /* a card was presented: uid (normalised), random flag */
    READER_REMOVED,  /* the card was taken away */
    READER_UP,       /* the reader answers (again) */
    READER_DOWN,     /* the reader is gone or failing: reason */
    READER_REJECTED, /* input that is not a UID (keyboard readers): reason */
};

struct reader_event {
    enum reader_event_kind kind;
    struct uid uid;
    bool random;
    char reason[160];
    int64_t mono_us; /* when it happened (CLOCK_MONOTONIC) */
};

typedef void (*reader_event_fn)(void *ctx, const struct reader_event *event);

struct reader;

/* Sets what libnfc reads from the environment (never scan for other devices): call once at
 * the start of main(), before any thread exists (setenv is not thread-safe). */
void reader_prepare_process(void);
/* Opens the configured backend; why (may be NULL) gets a one-line reason on failure. */
int reader_open(const struct reader_options *cfg, bool accept_random, reader_event_fn fn, void *ctx,
                struct reader **out, char *why, size_t why_cap);
/* Starts the reader's thread (keyboard: nothing to start). */
int reader_start(struct reader *reader);
/* Keyboard backend: text the reader typed, as it comes (UTF-8, any length); '\n' or '\r' is its
 * Enter, which ends a UID. A line of more than READER_KEYBOARD_MAX characters, or one the reader
 * stopped typing for READER_KEYBOARD_GAP_US before its Enter, is dropped and reported as
 * READER_REJECTED (and READER_EINVAL returned), never cut into a UID or kept to prefix the next.
 * Not for other backends (READER_EINVAL). */
#define READER_KEYBOARD_MAX    96
#define READER_KEYBOARD_GAP_US 500000
int reader_type(struct reader *reader, const char *text, int64_t mono_us);
/* Keyboard backend: whether a line is being typed now (its keys belong to it, not the screen). */
bool reader_typing(const struct reader *reader, int64_t mono_us);
/* Stops the thread (promptly: an I/O in flight is aborted) and frees everything. */
void reader_close(struct reader *reader);
const char *reader_driver_name(enum reader_driver driver);

#endif
