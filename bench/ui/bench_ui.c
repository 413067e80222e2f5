/* Tap → committed → frame presented, through the simulated reader and real SDL rendering
 * (offscreen), against a bare SQLite FULL commit measured in the same run. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "bench/core/bare_sqlite.h"
#include "core/domain/crypto.h"
#include "ui/sdl/fontfind.h"
#include "core/services/import.h"
#include "core/services/keys.h"
#include "config/config.h"
#include "ui/kiosk.h"
#include "firmware-host/reader.h"
#include "ui/sdl/render_sdl.h"
#include "ui/screens.h"
#include "core/base/zone.h"

struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct reader_event last;
    int cards;
};

static void on_event(void *ctx, const struct reader_event *e)
{
    struct waiter *w = ctx;
    if (e->kind != READER_CARD)
        return;
    pthread_mutex_lock(&w->lock);
    w->last = *e;
    w->cards++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct(int64_t *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return (double)v[(int)(p * (n - 1))] / 1000.0;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_ui: %s\n", what);
    exit(1);
}

static void quiet(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

static int rm(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s;
    (void)f;
    (void)w;
    return remove(p);
}

int main(void)
{
    reader_prepare_process(); /* before any thread */
    int taps = getenv("CPD_BENCH_TAPS") ? atoi(getenv("CPD_BENCH_TAPS")) : 1000;
    char dir[] = "/tmp/cpd-bench-ui-XXXXXX";
    if (crypto_init() != CRYPTO_OK || zone_set("Europe/London") != ZONE_OK || !mkdtemp(dir))
        die("setup");
    struct config cfg;
    config_default(&cfg);
    snprintf(cfg.kiosk.database, sizeof(cfg.kiosk.database), "%s/kiosk.db", dir);
    char sign[300], site[300], why[256], path[600];
    snprintf(sign, sizeof(sign), "%s/kiosk.key", dir);
    snprintf(site, sizeof(site), "%s/site.key", dir);
    struct kiosk_keys keys;
    bool a, b;
    struct store *store = NULL;
    if (keys_init(sign, site, NULL, &a, &b) || keys_load_sign(sign, &keys) ||
        keys_load_site(site, &keys) ||
        store_open(cfg.kiosk.database, &store, why, sizeof(why)) != STORE_OK)
        die("store");
    store_set_signer(store, "bench", keys.sign_sk);
    struct import_options io = {.rules = &cfg.rules, .site_key = keys.site, .report = quiet};
    const char *files[] = {"programme-2023-24.csv", "demo-roster.csv"};
    for (int i = 0; i < 2; i++) {
        struct import_result r;
        snprintf(path, sizeof(path), "%s/%s", CPD_DATA_DIR, files[i]);
        if (import_file(store, (enum import_kind)i, path, &io, &r) != IMPORT_OK)
            die(files[i]);
    }
    /* The window: offscreen, software rendering, as on a kiosk without a GPU. */
    setenv("SDL_VIDEODRIVER", "offscreen", 0);
    setenv("SDL_RENDER_DRIVER", "software", 0);
    setenv("SDL_AUDIODRIVER", "dummy", 0);
    char regular[1024], bold[1024];
    if (fontfind("DejaVu Sans", false, regular, sizeof(regular)) ||
        fontfind("DejaVu Sans", true, bold, sizeof(bold)))
        die("DejaVu Sans is not installed");
    struct gfx *gfx = NULL;
    struct gfx_options go = {
        .width = 1280, .height = 800, .font_regular = regular, .font_bold = bold};
    if (gfx_open(&go, &gfx, why, sizeof(why)) != GFX_OK)
        die(why);
    struct kiosk *kiosk = NULL;
    struct kiosk_options ko = {.store = store,
                               .rules = &cfg.rules,
                               .site = cfg.kiosk.site,
                               .result_seconds = cfg.display.result_seconds,
                               .site_key = keys.site,
                               .clock_state = "synced"};
    kiosk_new(&ko, &kiosk);
    /* The simulated reader on a FIFO. */
    char fifo[300];
    snprintf(fifo, sizeof(fifo), "%s/reader.fifo", dir);
    mkfifo(fifo, 0600);
    cfg.reader.driver = READER_DRIVER_SIM;
    snprintf(cfg.reader.script, sizeof(cfg.reader.script), "%s", fifo);
    struct waiter w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    struct reader *reader = NULL;
    if (reader_open(&cfg.reader, false, on_event, &w, &reader, why, sizeof(why)) != READER_OK ||
        reader_start(reader) != READER_OK)
        die(why);
    FILE *feed = fopen(fifo, "w");
    struct bare *bare = NULL;
    snprintf(path, sizeof(path), "%s/bare.db", dir);
    if (!feed || bare_open(path, &bare) != 0)
        die("fifo or bare sqlite");
    setvbuf(feed, NULL, _IONBF, 0);

    static const char *const badges[] = {
        "04:5A:2B:72:1C:6E:80", "3F:22:91:0C",    "A7C41E92", "04-3B-19-D2-6A-71-81", "5d e1 07 b4",
        "C2:7F:3A:E5",          "04D7E2A2B95C81", "9b1f6c3d", "04:11:22:33:44:55:66"};
    int64_t *lat = malloc((size_t)taps * sizeof(int64_t));
    int64_t *base = malloc((size_t)taps * sizeof(int64_t));
    int64_t t0 = 0;
    zone_parse_local("2023-09-13 14:50", &t0);
    static struct view view;
    static struct screen_out out;
    for (int i = 0; i < taps; i++) {
        int64_t now = t0 + (int64_t)(i / 9) * 20 * 1000000;
        int64_t start = clock_monotonic_us();
        pthread_mutex_lock(&w.lock);
        int before = w.cards;
        pthread_mutex_unlock(&w.lock);
        fprintf(feed, "place %s\nremove\n", badges[i % 9]);
        pthread_mutex_lock(&w.lock);
        while (w.cards == before)
            pthread_cond_wait(&w.cond, &w.lock);
        struct reader_event e = w.last;
        pthread_mutex_unlock(&w.lock);
        kiosk_badge(kiosk, &e.uid, now, e.mono_us);
        kiosk_view(kiosk, now, 1280, 800, &view);
        screens_build(&view, &out);
        gfx_present(gfx, &out.draw);
        lat[i] = clock_monotonic_us() - start;
        start = clock_monotonic_us();
        if (bare_commit_one(bare, i) != 0)
            die("bare commit");
        base[i] = clock_monotonic_us() - start;
        kiosk_action(kiosk, (struct view_action){ACT_OK, 0}, now, now); /* back to idle */
    }
    double p50 = pct(lat, taps, 0.5), p99 = pct(lat, taps, 0.99);
    double b50 = pct(base, taps, 0.5), b99 = pct(base, taps, 0.99);
    double frame = 1000.0 / 60.0;
    /* pct() gives milliseconds (the samples are µs). */
    printf("tap → committed → frame (%d taps): p50 %7.2f ms   p99 %7.2f ms\n", taps, p50, p99);
    printf("bare SQLite FULL commit:           p50 %7.2f ms   p99 %7.2f ms\n", b50, b99);
    printf("goal: p99 ≤ 3 × commit p99 + one 60 Hz frame = %.2f ms\n", 3 * b99 + frame);
    printf("headline: tap→frame p99 = %.2f × the goal (3 × bare commit p99 + 16.7 ms)\n",
           p99 / (3 * b99 + frame));
    reader_close(reader);
    fclose(feed);
    bare_close(bare);
    kiosk_free(kiosk);
    gfx_close(gfx);
    store_close(store);
    nftw(dir, rm, 16, FTW_DEPTH | FTW_PHYS);
    free(lat);
    free(base);
    return 0;
}
