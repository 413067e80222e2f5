/* app.h — the kiosk's event loop: window, reader thread, demo clock, the kiosk behaviour.
 *
 * The UI thread sleeps in gfx_wait until the next input or deadline (the next minute, a screen
 * timeout): no busy loop. The reader's thread only queues events and wakes it. Every frame is
 * built from the view model and painted only when it changed. */
#ifndef CPD_APP_H
#define CPD_APP_H

#include <stdbool.h>

#include "config/config.h"
#include "apps/cpd-kiosk/demo.h"
#include "core/services/keys.h"
#include "core/store/store.h"

struct app_options {
    struct config cfg;
    bool demo;
    const char *data_dir;   /* --data-dir, or NULL */
    struct demo demo_state; /* when demo */
    struct store *store;
    struct kiosk_keys *keys;
    bool fullscreen;
    int width, height;
    int64_t started_mono_us; /* when main() began: "first frame after … ms" is logged */
    /* kiosk.ini could not be loaded: the first problem (all are in the log). The kiosk shows
     * it as "Out of order" and looks at the file again every 30 s; once it loads, the kiosk
     * exits 0 so that systemd starts it again on the right configuration. */
    char config_error[600];
    const char *config_path;
};

/* Runs until the window is closed or SIGTERM/SIGINT; returns the exit status. */
int app_run(struct app_options *options);
/* The database and the keys (app_data.c): 0, or -1 with why saying what is wrong (for the
 * screen and the log); options->store is then NULL. */
int app_open_data(struct app_options *options, char *why, size_t cap);

#endif
