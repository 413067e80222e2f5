#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/log.h"
#include "apps/cpd-kiosk/app.h"

#include "core/base/strcopy.h"
#include "core/base/utf8.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include "apps/cpd-kiosk/print.h"
#include "apps/cpd-kiosk/service.h"
#include "core/base/timeunits.h"
#include "core/base/zone.h"
#include "firmware-host/reader.h"
#include "sync/sync.h"
#include "ui/kiosk.h"
#include "ui/screens.h"
#include "ui/sdl/fontfind.h"
#include "ui/sdl/paper.h"
#include "ui/sdl/render_sdl.h"
#include "ui/sync_status.h"

#define QUEUE_SIZE 64

/* SIGUSR1 asks for a screenshot (support, tests). A thread waits for it with sigwait and wakes
 * the UI: no polling, and nothing unsafe in a signal handler. */
struct signals {
    pthread_t thread;
    bool running;
    atomic_bool stop;
    atomic_bool screenshot;
    struct gfx *gfx;
};

static void *signal_thread(void *arg)
{
    struct signals *s = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    while (!s->stop) {
        int sig = 0;
        if (sigwait(&set, &sig) == 0 && !s->stop) {
            s->screenshot = 1;
            gfx_wake(s->gfx);
        }
    }
    return NULL;
}

/* A sync runs on its own thread, with its own connection to the store: the screen never
 * freezes while head office is slow. */
struct syncer {
    pthread_t thread;
    bool running;
    atomic_bool finished;
    int err;
    char why[256];
    struct sync_report report;
    const struct config *cfg;
    const struct kiosk_keys *keys;
    struct gfx *gfx;
};

/* Reader events, from the reader's thread to the UI thread. */
struct queue {
    pthread_mutex_t lock;
    struct reader_event events[QUEUE_SIZE];
    int head, count;
    struct gfx *gfx;
};

struct app {
    struct service service; /* systemd: ready, and the watchdog fed from the UI loop */
    struct app_options *opt;
    struct gfx *gfx;
    struct kiosk *kiosk;
    struct reader *reader;
    struct queue queue;
    struct kiosk_status status;
    int64_t clock_offset_us; /* demo clock: wall = real + offset */
    struct view view, last;
    struct screen_out screen;
    struct signals signals;
    bool dirty;
    bool quit;
    char font_notice[256];
    long frames;
    struct syncer syncer;
};

/* Call before any other thread starts, so that they all inherit the blocked signal. */
static void block_sigusr1(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void on_reader_event(void *ctx, const struct reader_event *e)
{
    struct queue *q = ctx;
    pthread_mutex_lock(&q->lock);
    if (q->count < QUEUE_SIZE) {
        q->events[(q->head + q->count) % QUEUE_SIZE] = *e;
        q->count++;
    }
    pthread_mutex_unlock(&q->lock);
    if (q->gfx)
        gfx_wake(q->gfx);
}

static bool queue_pop(struct queue *q, struct reader_event *out)
{
    pthread_mutex_lock(&q->lock);
    bool got = q->count > 0;
    if (got) {
        *out = q->events[q->head];
        q->head = (q->head + 1) % QUEUE_SIZE;
        q->count--;
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

static int64_t app_now(const struct app *a)
{
    return clock_wall_us() + a->clock_offset_us;
}

/* Is the system clock disciplined by NTP? (adjtimex says TIME_ERROR when it is not.) */
static bool clock_synced(void)
{
    struct timex tx = {0};
    return adjtimex(&tx) != TIME_ERROR;
}

static void update_status(struct app *a)
{
    struct kiosk_status *s = &a->status;
    if (a->opt->demo) {
        s->clock_ok = true;
        utf8_printf(s->clock_text, sizeof(s->clock_text), "Demo clock");
    } else {
        s->clock_ok = clock_synced();
        utf8_printf(s->clock_text, sizeof(s->clock_text), "%s",
                    s->clock_ok ? "Clock synced" : "Clock not synced");
    }
    struct sync_state st;
    struct sync_facts f = {.configured = a->opt->cfg.sync.conninfo[0] != '\0',
                           .running = a->syncer.running,
                           .clock_warn_s = a->opt->cfg.sync.clock_warn_s};
    int64_t events = 0; /* the newest seq: after a retention purge, more than the rows kept */
    uint8_t tip_hash[CRYPTO_HASH_BYTES];
    if (sync_state_read(a->opt->store, &st) == STORE_OK &&
        store_chain_tip(a->opt->store, &events, tip_hash) == STORE_OK) {
        f.last_success_us = st.last_success_us;
        f.waiting = events > st.acked_seq ? events - st.acked_seq : 0;
        utf8_printf(f.last_error, sizeof(f.last_error), "%s", st.last_error);
        f.has_offset = st.last_success_us != 0 && !a->opt->demo;
        f.clock_offset_ms = st.clock_offset_ms;
    }
    sync_status_fill(&f, clock_wall_us(), s);
    kiosk_set_status(a->kiosk, s);
}

/* The roll call on the office printer, ticks and all; the list says how it went, the log why. */
static void print_roll_call(struct app *a, int64_t now)
{
    char generated[24], why[256] = "";
    zone_format_local(now, generated);
    const struct paper_header header = {
        .trust = a->opt->cfg.kiosk.trust, .site = a->opt->cfg.kiosk.site, .generated = generated};
    bool ok = print_report(kiosk_roll_call(a->kiosk), &header, a->opt->cfg.kiosk.printer, why,
                           sizeof(why)) == 0;
    if (ok)
        log_line(LOG_INFO, "roll call sent to printer %s", a->opt->cfg.kiosk.printer);
    else
        log_line(LOG_WARNING, "roll call not printed on %s: %s", a->opt->cfg.kiosk.printer, why);
    kiosk_printed(a->kiosk, ok, why, now);
    a->dirty = true;
}

static void *sync_thread(void *arg)
{
    struct syncer *y = arg;
    struct store *store = NULL;
    char why[sizeof(y->why)] = "";
    /* Its own connection, signed as this kiosk: a sync may take back this kiosk's own events. */
    int err = store_open(y->cfg->kiosk.database, &store, why, sizeof(why));
    if (err == STORE_OK) {
        err = store_set_signer(store, y->cfg->kiosk.id, y->keys->sign_sk);
        utf8_copy(why, sizeof(why), store_message(store));
    }
    if (err == STORE_OK) {
        y->err = sync_run(&y->cfg->sync, store, NULL, NULL, &y->report, y->why, sizeof(y->why));
    } else {
        /* What the database said ("disk is full"), not only that it failed. */
        utf8_printf(y->why, sizeof(y->why), "%s: %s%s%s", y->cfg->kiosk.database, cpd_strerror(err),
                    why[0] ? ": " : "", why);
        y->err = SYNC_ESTORE;
    }
    store_close(store);
    y->finished = true;
    gfx_wake(y->gfx);
    return NULL;
}

static void start_sync(struct app *a)
{
    struct syncer *y = &a->syncer;
    if (y->running || !a->opt->cfg.sync.conninfo[0] || a->opt->demo)
        return;
    y->cfg = &a->opt->cfg;
    y->keys = a->opt->keys;
    y->gfx = a->gfx;
    y->finished = false;
    y->running = pthread_create(&y->thread, NULL, sync_thread, y) == 0;
    update_status(a);
}

static void sync_finished(struct app *a)
{
    struct syncer *y = &a->syncer;
    if (!y->running || !y->finished)
        return;
    pthread_join(y->thread, NULL);
    y->running = false;
    char text[VIEW_TEXT];
    if (y->err == SYNC_OK) {
        utf8_printf(text, sizeof(text), "Sync done: %lld events sent to head office",
                    (long long)y->report.pushed);
        kiosk_set_notice(a->kiosk, TONE_V_OK, "");
    } else {
        utf8_printf(text, sizeof(text), "Sync failed: %s — %s", cpd_strerror(y->err), y->why);
        /* On screen the sync chip says it; the reason is for the log and trainer mode. */
        kiosk_set_notice(a->kiosk, TONE_V_ERROR,
                         "Could not send today's taps to head office — they are kept here safely");
    }
    log_line(y->err == 0 ? LOG_INFO : LOG_WARNING, "%s", text);
    /* The purge's own line: how many went, or why none did (the sync succeeded either way). */
    char purge[512];
    sync_purge_text(&y->report, &y->cfg->sync, purge, sizeof(purge));
    if (y->err == SYNC_OK && purge[0])
        log_line(y->report.purge == SYNC_PURGE_RAN ? LOG_INFO : LOG_WARNING, "%s", purge);
    if (y->err == SYNC_OK && y->report.adopted_unreceipted)
        log_line(LOG_WARNING,
                 "took back %lld events (seqs %lld-%lld) never committed on this disk: a whole"
                 " disk restored, or a clone of this kiosk tapping as it; tell head office",
                 (long long)y->report.adopted_unreceipted, (long long)y->report.unreceipted_from,
                 (long long)y->report.unreceipted_to);
    update_status(a);
}

static void reader_state(struct app *a, bool up, const char *why)
{
    a->status.reader_up = up;
    utf8_printf(a->status.reader_text, sizeof(a->status.reader_text), "%s",
                up ? "Reader ready" : why);
    if (!up)
        log_line(LOG_ERROR, "reader down: %s", why);
    kiosk_set_status(a->kiosk, &a->status);
}

static void open_reader(struct app *a)
{
    const struct config *cfg = &a->opt->cfg;
    char why[256] = "";
    a->queue.gfx = a->gfx;
    bool none = a->opt->demo && cfg->source[0] == '\0';
    if (none) { /* the demo without a config: the keys are the reader */
        reader_state(a, true, "");
        utf8_printf(a->status.reader_text, sizeof(a->status.reader_text), "Demo keys");
        kiosk_set_status(a->kiosk, &a->status);
        return;
    }
    int err = reader_open(&cfg->reader, cfg->rules.accept_random_uids, on_reader_event, &a->queue,
                          &a->reader, why, sizeof(why));
    if (err == READER_OK)
        err = reader_start(a->reader);
    if (err != READER_OK) {
        char text[300];
        utf8_printf(text, sizeof(text), "Reader: %s%s%s", cpd_strerror(err), why[0] ? ": " : "",
                    why);
        reader_state(a, false, text);
    }
}

static void drain_reader(struct app *a)
{
    struct reader_event e;
    while (queue_pop(&a->queue, &e)) {
        int64_t now = app_now(a);
        switch (e.kind) {
        case READER_CARD:
            kiosk_badge(a->kiosk, &e.uid, now, e.mono_us);
            break;
        case READER_UP:
            reader_state(a, true, "");
            break;
        case READER_DOWN:
            reader_state(a, false, e.reason[0] ? e.reason : "Reader not answering");
            break;
        case READER_REJECTED:
            log_line(LOG_NOTICE, "reader input ignored: %s", e.reason);
            break;
        default:
            break;
        }
    }
}

/* ---- the demo's keys --------------------------------------------------------------------- */

static bool demo_key(struct app *a, const struct gfx_input *in)
{
    struct demo *d = &a->opt->demo_state;
    enum view_screen screen = kiosk_screen(a->kiosk);
    bool tapping = screen == SCREEN_IDLE || screen == SCREEN_RESULT;
    int64_t now = app_now(a), mono = clock_monotonic_us();
    if (in->key == KEY_F1 + 9) { /* F10 */
        a->quit = true;
        return true;
    }
    if (in->key != KEY_CHAR)
        return false;
    char c = in->ch;
    if (tapping && c >= '1' && c <= '9') {
        kiosk_badge(a->kiosk, &d->badges[c - '1'], now, mono);
        return true;
    }
    switch (c) {
    case '0':
        if (!tapping)
            return false;
        kiosk_badge(a->kiosk, &d->trainer, now, mono);
        return true;
    case 'u':
        kiosk_badge(a->kiosk, &d->unknown, now, mono);
        return true;
    case 'r':
        kiosk_badge(a->kiosk, &d->phone, now, mono);
        return true;
    case 'n':
        a->clock_offset_us += 5 * US_PER_MIN;
        return true;
    case 'h':
        a->clock_offset_us += 60 * US_PER_MIN;
        return true;
    case 'j':
        a->clock_offset_us += demo_next_session(a->opt->store, now) - now;
        return true;
    default:
        return false;
    }
}

static void demo_legend(const struct app *a, struct view *v)
{
    static const char *const keys[] = {"1–9  tap a demo badge", ("0  trainer badge, PIN " DEMO_PIN),
                                       "U  unknown badge",      "R  phone (random UID)",
                                       "N  +5 minutes",         "H  +1 hour",
                                       "J  next session",       "F10  quit the demo"};
    if (!a->opt->demo || (v->screen != SCREEN_IDLE))
        return;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && v->n_legend < VIEW_LEGEND; i++)
        utf8_printf(v->legend[v->n_legend++], sizeof(v->legend[0]), "%s", keys[i]);
}

/* ---- input ------------------------------------------------------------------------------- */

/* A keyboard-wedge reader types into the kiosk: its text and its Enter go to the reader. */
static bool wedge(const struct app *a)
{
    return a->reader && a->opt->cfg.reader.driver == READER_DRIVER_KEYBOARD;
}

static void handle(struct app *a, const struct gfx_input *in)
{
    int64_t now = app_now(a), mono = clock_monotonic_us();
    switch (in->kind) {
    case INPUT_QUIT:
        a->quit = true;
        break;
    case INPUT_RESIZE:
    case INPUT_EXPOSE:
        a->dirty = true;
        break;
    case INPUT_WAKE:
        drain_reader(a);
        sync_finished(a);
        break;
    case INPUT_TEXT:
        if (wedge(a)) {
            reader_type(a->reader, in->text, mono);
            drain_reader(a);
        }
        break;
    case INPUT_POINTER:
        kiosk_action(a->kiosk, screens_hit(&a->screen, in->x, in->y), now, mono);
        break;
    case INPUT_KEY:
        if (wedge(a) && reader_typing(a->reader, mono)) {
            /* The reader is typing: its keys are its own, and it ends each UID with Enter. */
            if (in->key == KEY_ENTER)
                reader_type(a->reader, "\n", mono);
            drain_reader(a);
            break;
        }
        if (a->opt->demo && demo_key(a, in))
            break;
        kiosk_action(a->kiosk, kiosk_key_action(a->kiosk, in->key, in->ch), now, mono);
        break;
    }
}

/* ---- frames ------------------------------------------------------------------------------ */

static void save_screenshot(struct app *a)
{
    char path[CONFIG_PATH_MAX + 32];
    const char *env = getenv("CPD_KIOSK_SCREENSHOT");
    if (env && env[0] && strcopy(path, sizeof(path), env) != 0) {
        log_line(LOG_WARNING, "CPD_KIOSK_SCREENSHOT: path too long");
        return;
    }
    if (!(env && env[0]) &&
        keys_resolve("", a->opt->cfg.kiosk.database, "screen.png", path, sizeof(path)) != KEYS_OK) {
        log_line(LOG_WARNING, "screenshot: path too long");
        return;
    }
    uint32_t *pixels = NULL;
    int w = 0, h = 0;
    if (gfx_read_pixels(a->gfx, &pixels, &w, &h) == GFX_OK &&
        paper_write_png(path, pixels, w, h) == 0)
        log_line(LOG_INFO, "screenshot %s (%dx%d)", path, w, h);
    else
        log_line(LOG_WARNING, "cannot write a screenshot to %s", path);
    free(pixels);
}

static void frame(struct app *a, int64_t now)
{
    int w = 0, h = 0;
    gfx_size(a->gfx, &w, &h);
    kiosk_view(a->kiosk, now, w, h, &a->view);
    demo_legend(a, &a->view);
    if (!a->dirty && memcmp(&a->view, &a->last, sizeof(a->view)) == 0)
        return;
    /* Another screen under a finger still down (a badge, a timeout): its lift is not a touch on
     * the new one (a held "5" is not the next person's evaluation). The clock ticking is not
     * another screen. */
    if (a->view.screen != a->last.screen || strcmp(a->view.headline, a->last.headline) != 0 ||
        strcmp(a->view.title, a->last.title) != 0)
        gfx_cancel_press(a->gfx);
    screens_build(&a->view, &a->screen);
    gfx_present(a->gfx, &a->screen.draw);
    a->last = a->view;
    a->dirty = false;
    if (a->frames++ == 0) {
        log_line(LOG_INFO, "first frame after %lld ms",
                 (long long)(clock_monotonic_us() - a->opt->started_mono_us) / 1000);
        service_ready(&a->service, a->view.headline);
    }
    static const enum gfx_tone tones[] = {GFX_TONE_OK, GFX_TONE_OK, GFX_TONE_WARNING,
                                          GFX_TONE_ERROR};
    enum kiosk_sound sound = kiosk_take_sound(a->kiosk);
    if (sound != KIOSK_SOUND_NONE)
        gfx_tone(a->gfx, tones[sound]);
}

static int open_window(struct app *a)
{
    char regular[1024], bold[1024], why[512] = "", used[128] = "";
    const char *family = a->opt->cfg.display.font;
    if (fontfind(family, false, regular, sizeof(regular)) != 0) {
        /* Legible in some other face, and saying so, beats a kiosk that does not start. */
        if (fontfind_any(false, regular, sizeof(regular), used, sizeof(used)) != 0) {
            log_line(LOG_ERROR, "no font at all is installed (Debian: fonts-dejavu-core)");
            return 1;
        }
        utf8_printf(a->font_notice, sizeof(a->font_notice),
                    "Font \"%s\" is not installed: showing %s ([display] font)", family, used);
        log_line(LOG_WARNING, "%s", a->font_notice);
        family = used;
    }
    if (fontfind(family, true, bold, sizeof(bold)) != 0)
        memcpy(bold, regular, sizeof(bold)); /* the same size: a regular face for bold too */
    struct gfx_options o = {.fullscreen = a->opt->fullscreen,
                            .width = a->opt->width,
                            .height = a->opt->height,
                            .font_regular = regular,
                            .font_bold = bold,
                            .sound = a->opt->cfg.display.sound,
                            .title = "CPD Kiosk"};
    int err = gfx_open(&o, &a->gfx, why, sizeof(why));
    if (err == GFX_ENODISPLAY) {
        log_line(LOG_ERROR,
                 "no display (%s). Run it on the kiosk's screen, or under a virtual "
                 "one: xvfb-run -a cpd-kiosk --demo",
                 why);
        return 1;
    }
    if (err != GFX_OK) {
        log_line(LOG_ERROR, "%s: %s", cpd_strerror(err), why);
        return 1;
    }
    return 0;
}

/* Without its database or keys the kiosk cannot record a tap: it says so on the screen (and in
 * the log) and tries again every 30 seconds, instead of crashing or vanishing. */
/* Whether the kiosk can run: its configuration loads, and its database and keys open. */
static int data_ready(struct app *a, char *why, size_t cap, bool *restart)
{
    struct app_options *o = a->opt;
    if (o->config_error[0]) {
        struct config fresh;
        config_default(&fresh);
        if (config_load(&fresh, o->config_path, NULL, NULL) == CONFIG_OK) {
            log_line(LOG_NOTICE, "%s loads now: stopping, to be started again on it",
                     o->config_path);
            *restart = true;
            return 0;
        }
        utf8_printf(why, cap, "kiosk.ini: %s", o->config_error);
        return -1;
    }
    return app_open_data(o, why, cap);
}

static bool wait_for_data(struct app *a)
{
    char why[600];
    bool restart = false;
    while (data_ready(a, why, sizeof(why), &restart) != 0) {
        log_line(LOG_ERROR, "cannot start: %s", why);
        int w = 0, h = 0;
        gfx_size(a->gfx, &w, &h);
        struct view *v = &a->view;
        memset(v, 0, sizeof(*v));
        v->screen = SCREEN_FATAL;
        v->width = w;
        v->height = h;
        v->tone = TONE_V_ERROR;
        zone_format_hhmm(clock_wall_us(), v->clock);
        utf8_printf(v->site, sizeof(v->site), "%s", a->opt->cfg.kiosk.site);
        v->reader = (struct view_status){TONE_V_NEUTRAL, "Reader idle"};
        v->sync = (struct view_status){TONE_V_NEUTRAL, "Sync idle"};
        v->time_status = (struct view_status){TONE_V_NEUTRAL, "Clock"};
        utf8_printf(v->headline, sizeof(v->headline), "Out of order — taps cannot be recorded");
        utf8_printf(v->lines[0], VIEW_TEXT, "%s", why);
        utf8_printf(v->lines[1], VIEW_TEXT, "Please sign the paper register and tell the office.");
        utf8_printf(v->lines[2], VIEW_TEXT, "Trying again every 30 seconds.");
        v->n_lines = 3;
        screens_build(v, &a->screen);
        gfx_present(a->gfx, &a->screen.draw);
        /* Up and saying what is wrong is all it can be: ready, and alive (a restart would only
         * blank the screen). */
        service_ready(&a->service, v->headline);
        int64_t until = clock_monotonic_us() + 30 * US_PER_S;
        for (int64_t left; (left = until - clock_monotonic_us()) > 0;) {
            struct gfx_input in;
            service_alive(&a->service, clock_monotonic_us());
            int wait_ms = (int)(left / 1000) + 1, watchdog_ms = service_max_wait_ms(&a->service);
            if (watchdog_ms >= 0 && wait_ms > watchdog_ms)
                wait_ms = watchdog_ms;
            if (gfx_wait(a->gfx, wait_ms, &in) && in.kind == INPUT_QUIT)
                return false;
            if (a->signals.screenshot) {
                a->signals.screenshot = 0;
                save_screenshot(a);
            }
        }
    }
    return !restart;
}

int app_run(struct app_options *opt)
{
    struct app *a = calloc(1, sizeof(*a));
    if (!a)
        return 1;
    a->opt = opt;
    block_sigusr1();
    pthread_mutex_init(&a->queue.lock, NULL);
    int status = 1;
    if (open_window(a) != 0)
        goto out;
    service_init(&a->service);
    a->signals.gfx = a->gfx;
    a->signals.running = pthread_create(&a->signals.thread, NULL, signal_thread, &a->signals) == 0;
    if (!wait_for_data(a)) {
        status = 0;
        goto out;
    }
    /* The demo moves its clock on by keys: its monotonic time is not compared with it. */
    char boot_id[CLOCK_BOOT_ID_LEN] = "";
    if (!opt->demo)
        clock_boot_id(boot_id);
    struct kiosk_options ko = {
        .store = opt->store,
        .boot_id = boot_id,
        .rules = &opt->cfg.rules,
        .site = opt->cfg.kiosk.site,
        .result_seconds = opt->cfg.display.result_seconds,
        .evaluation_seconds = opt->cfg.display.evaluation ? opt->cfg.display.evaluation_seconds : 0,
        .fire_wardens = opt->cfg.kiosk.fire_wardens,
        .can_print = opt->cfg.kiosk.printer[0] != '\0',
        .keys_are_a_reader = opt->cfg.reader.driver == READER_DRIVER_KEYBOARD,
        .site_key = opt->keys->site,
        .clock_state = opt->demo        ? "demo"
                       : clock_synced() ? "synced"
                                        : "unsynced"};
    if (kiosk_new(&ko, &a->kiosk) != STORE_OK)
        goto out;
    if (opt->demo)
        a->clock_offset_us = opt->demo_state.start_us - clock_wall_us();
    update_status(a);
    if (a->font_notice[0]) /* the details are in the log */
        kiosk_set_notice(a->kiosk, TONE_V_WARNING,
                         "A stand-in font is in use — tell the office (the log says which)");
    open_reader(a);
    start_sync(a); /* catch up at start: the kiosk may have been off for days */
    a->dirty = true;
    int64_t last_status = 0;
    while (!a->quit) {
        int64_t now = app_now(a);
        service_alive(&a->service, clock_monotonic_us());
        kiosk_tick(a->kiosk, now, clock_monotonic_us());
        if (now - last_status >= US_PER_MIN) {
            update_status(a);
            last_status = now;
        }
        if (kiosk_take_sync_request(a->kiosk)) {
            kiosk_set_notice(a->kiosk, TONE_V_INFO, "");
            start_sync(a);
        }
        if (kiosk_take_print_request(a->kiosk))
            print_roll_call(a, now);
        frame(a, now);
        if (a->signals.screenshot) {
            a->signals.screenshot = 0;
            save_screenshot(a);
        }
        int64_t wait_us = kiosk_deadline(a->kiosk, now) - now;
        int timeout_ms = wait_us <= 0 ? 0 : (int)(wait_us / 1000) + 1;
        int watchdog_ms = service_max_wait_ms(&a->service);
        if (watchdog_ms >= 0 && timeout_ms > watchdog_ms)
            timeout_ms = watchdog_ms; /* round again in time to feed the watchdog */
        struct gfx_input in;
        if (gfx_wait(a->gfx, timeout_ms, &in))
            handle(a, &in);
    }
    status = 0;
    service_stopping();
out:
    reader_close(a->reader); /* stops its thread before the queue goes away */
    if (a->syncer.running)
        pthread_join(a->syncer.thread, NULL); /* a sync in flight ends within its timeouts */
    if (a->signals.running) {
        a->signals.stop = true;
        pthread_kill(a->signals.thread, SIGUSR1);
        pthread_join(a->signals.thread, NULL);
    }
    kiosk_free(a->kiosk);
    gfx_close(a->gfx);
    pthread_mutex_destroy(&a->queue.lock);
    free(a);
    return status;
}
