/* Card placed in the PN532 emulator → event from our reader, against a bare libnfc loop on the
 * same emulator with the same poll_ms, in the same run; removal likewise; the floor of one
 * select round trip; the CPU of the reader with no card. The emulator runs as its own process
 * (build/pn532-emu), so this process's CPU is the reader's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/reader/bare_nfc.h"
#include "firmware-host/reader.h"

struct sync_point {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int cards, removals;
    int64_t at_us;
};

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void bump(struct sync_point *s, int present)
{
    pthread_mutex_lock(&s->lock);
    if (present)
        s->cards++;
    else
        s->removals++;
    s->at_us = now_us();
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void on_reader(void *ctx, const struct reader_event *e)
{
    if (e->kind == READER_CARD || e->kind == READER_REMOVED)
        bump(ctx, e->kind == READER_CARD);
}

static void on_bare(void *ctx, int present)
{
    bump(ctx, present);
}

/* Waits until the counter reaches want; returns the time it did. */
static int64_t wait_count(struct sync_point *s, int *counter, int want)
{
    pthread_mutex_lock(&s->lock);
    while (*counter < want)
        pthread_cond_wait(&s->cond, &s->lock);
    int64_t at = s->at_us;
    pthread_mutex_unlock(&s->lock);
    return at;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct(int64_t *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return v[(int)(p * (n - 1))] / 1000.0;
}

struct run {
    int64_t *place, *removal;
};

/* The card kinds measured: MIFARE Classic, and an ISO 14443-4 card (SAK 20, a DESFire). */
static const char *const kinds[2][2] = {{"classic", "3F22910C"}, {"iso14443-4", "04A23B1C5D6E80"}};

/* Presents a card of kind k n times at a random phase of the poll; records both latencies
 * (counting on from the events already seen). */
static void present(FILE *emu, struct sync_point *s, int n, int poll_ms, int k, struct run *out)
{
    int before = s->cards;
    for (int i = 0; i < n; i++) {
        usleep((useconds_t)(rand() % (poll_ms * 1000)));
        fprintf(emu, "place %s %s\n", kinds[k][1], kinds[k][0]);
        fflush(emu);
        int64_t t0 = now_us();
        out->place[i] = wait_count(s, &s->cards, before + i + 1) - t0;
        usleep((useconds_t)(rand() % (poll_ms * 1000)));
        fputs("remove\n", emu);
        fflush(emu);
        t0 = now_us();
        out->removal[i] = wait_count(s, &s->removals, before + i + 1) - t0;
    }
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(void)
{
    reader_prepare_process(); /* before any thread */
    int n = getenv("CPD_BENCH_PRESENTATIONS") ? atoi(getenv("CPD_BENCH_PRESENTATIONS")) : 500;
    int idle_s = getenv("CPD_BENCH_IDLE_S") ? atoi(getenv("CPD_BENCH_IDLE_S")) : 60;
    const int poll_ms = 50;
    char link[64], cmd[256], connstring[128];
    snprintf(link, sizeof(link), "/tmp/cpd-bench-pn532-%d", (int)getpid());
    snprintf(cmd, sizeof(cmd), "%s/pn532-emu %s >/dev/null", CPD_BINARY_DIR, link);
    snprintf(connstring, sizeof(connstring), "pn532_uart:%s", link);
    FILE *emu = popen(cmd, "w");
    for (int i = 0; i < 100 && access(link, F_OK) != 0; i++)
        usleep(20000);
    if (!emu || access(link, F_OK) != 0) {
        fprintf(stderr, "bench_reader: cannot start the emulator\n");
        return 1;
    }
    setenv("LIBNFC_LOG_LEVEL", "0", 0);
    struct run ours[2], bare[2];
    for (int k = 0; k < 2; k++) {
        ours[k] = (struct run){calloc(n, 8), calloc(n, 8)};
        bare[k] = (struct run){calloc(n, 8), calloc(n, 8)};
    }

    struct sync_point s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    struct reader_options cfg = {.driver = READER_DRIVER_LIBNFC, .poll_ms = poll_ms};
    snprintf(cfg.connstring, sizeof(cfg.connstring), "%s", connstring);
    struct reader *r = NULL;
    if (reader_open(&cfg, false, on_reader, &s, &r, NULL, 0) != READER_OK ||
        reader_start(r) != READER_OK) {
        fprintf(stderr, "bench_reader: cannot open the reader\n");
        return 1;
    }
    for (int k = 0; k < 2; k++)
        present(emu, &s, n, poll_ms, k, &ours[k]);
    /* Idle, then a card held: our reader polling; this process's CPU is the reader thread's. */
    double cpu0 = cpu_seconds();
    sleep((unsigned)idle_s);
    double idle_cpu = (cpu_seconds() - cpu0) / idle_s * 100;
    fprintf(emu, "place %s %s\n", kinds[1][1], kinds[1][0]);
    fflush(emu);
    usleep(200000);
    cpu0 = cpu_seconds();
    sleep((unsigned)idle_s);
    double held_cpu = (cpu_seconds() - cpu0) / idle_s * 100;
    fputs("remove\n", emu);
    fflush(emu);
    usleep(300000);
    reader_close(r);

    struct sync_point sb = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    struct bare_nfc *b = NULL;
    if (bare_nfc_start(connstring, poll_ms, on_bare, &sb, &b) != 0) {
        fprintf(stderr, "bench_reader: bare libnfc loop failed\n");
        return 1;
    }
    for (int k = 0; k < 2; k++)
        present(emu, &sb, n, poll_ms, k, &bare[k]);
    bare_nfc_stop(b);
    fputs("place 3F22910C\n", emu);
    fflush(emu);
    usleep(100000);
    double floor_us = bare_nfc_select_floor(connstring, 200);
    fputs("quit\n", emu);
    pclose(emu);

    printf("poll_ms %d, %d presentations of each kind\n", poll_ms, n);
    double worst = 0;
    for (int k = 0; k < 2; k++) {
        double o50 = pct(ours[k].place, n, 0.5), o99 = pct(ours[k].place, n, 0.99);
        double b50 = pct(bare[k].place, n, 0.5), b99 = pct(bare[k].place, n, 0.99);
        double r50 = pct(ours[k].removal, n, 0.5), r99 = pct(ours[k].removal, n, 0.99);
        double br50 = pct(bare[k].removal, n, 0.5), br99 = pct(bare[k].removal, n, 0.99);
        printf("%-10s card → event    ours p50 %6.1f ms  p99 %6.1f ms | bare libnfc p50 %6.1f ms "
               " p99 %6.1f ms | ratio p50 %.2f × p99 %.2f ×\n",
               kinds[k][0], o50, o99, b50, b99, o50 / b50, o99 / b99);
        printf("%-10s removal → event ours p50 %6.1f ms  p99 %6.1f ms | bare libnfc p50 %6.1f ms "
               " p99 %6.1f ms | ratio p50 %.2f × p99 %.2f ×\n",
               kinds[k][0], r50, r99, br50, br99, r50 / br50, r99 / br99);
        worst = o99 / b99 > worst ? o99 / b99 : worst;
    }
    printf("floor: one select round trip %.2f ms\n", floor_us / 1000);
    printf("reader CPU over %d s: no card %.3f %%, a card held %.3f %% of one core (goal < 0.5 "
           "%%)\n",
           idle_s, idle_cpu, held_cpu);
    printf("headline: card→event p99 is at most %.2f × a bare libnfc loop (goal ≤ 1.1 ×); CPU "
           "%.3f %% idle, %.3f %% held\n",
           worst, idle_cpu, held_cpu);
    return 0;
}
