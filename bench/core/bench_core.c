/* Core benchmarks (issue 4): a tap (decision + durable commit) against a bare SQLite FULL
 * commit measured in the same run, and a credit summary with 1,000,000 events in the store. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/bare_sqlite.h"
#include "core/base/timeunits.h"
#include "core/base/zone.h"
#include "core/domain/crypto.h"
#include "core/services/import.h"
#include "core/services/keys.h"
#include "core/services/report.h"
#include "core/services/tapflow.h"
#include "core/store/store.h"
#include "ui/sdl/paper.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_us(int64_t *ns, size_t n, double p)
{
    qsort(ns, n, sizeof(*ns), cmp_i64);
    size_t i = (size_t)(p * (double)(n - 1));
    return (double)ns[i] / 1000.0;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_core: %s failed (%d)\n", what, err);
    exit(1);
}

struct kiosk {
    char dir[256];
    struct store *store;
    struct kiosk_keys keys;
    struct rules rules;
    struct tapflow flow;
};

static void quiet(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

static void kiosk_open(struct kiosk *k, const char *parent, const char *name)
{
    char path[512], sign[512], site[512], why[256];
    snprintf(k->dir, sizeof(k->dir), "%s/%s", parent, name);
    snprintf(path, sizeof(path), "%s/kiosk.db", k->dir);
    snprintf(sign, sizeof(sign), "%s/kiosk.key", k->dir);
    snprintf(site, sizeof(site), "%s/site.key", k->dir);
    int err = store_open(path, &k->store, why, sizeof(why));
    if (err != STORE_OK)
        die(why, err);
    bool a, b;
    if (keys_init(sign, site, NULL, &a, &b) != KEYS_OK || keys_load_sign(sign, &k->keys) ||
        keys_load_site(site, &k->keys))
        die("keys", -1);
    store_set_signer(k->store, "bench", k->keys.sign_sk);
    rules_default(&k->rules);
    k->flow = (struct tapflow){k->store, &k->rules, k->keys.site, "synced", NULL};
    struct import_options o = {.rules = &k->rules, .site_key = k->keys.site, .report = quiet};
    struct import_result r;
    const char *files[] = {"programme-2023-24.csv", "demo-roster.csv", "demo-bookings.csv",
                           "demo-credits.csv"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", CPD_DATA_DIR, files[i]);
        if ((err = import_file(k->store, (enum import_kind)i, path, &o, &r)) != IMPORT_OK)
            die(files[i], err);
    }
}

static const char *const badges[] = {"04:5A:2B:72:1C:6E:80", "3F:22:91:0C", "A7C41E92",
                                     "04-3B-19-D2-6A-71-81", "5d e1 07 b4", "C2:7F:3A:E5",
                                     "04D7E2A2B95C81",       "9b1f6c3d",    "04:11:22:33:44:55:66"};

struct tap_ratios {
    double commit50, commit99; /* decided + committed / bare commit */
    double whole50, whole99;   /* … and described (the screen's summary) / bare commit */
    double floor50, floor99;   /* decided + committed / (bare commit + a synced receipt) */
};

/* Taps and bare commits interleaved, so both see the same machine. */
static void bench_taps(struct kiosk *k, const char *parent, int n, struct tap_ratios *out)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/bare.db", parent);
    struct bare *bare = NULL;
    if (bare_open(path, &bare) != 0)
        die("bare sqlite", -1);
    int64_t *commit_ns = malloc((size_t)n * sizeof(int64_t));
    int64_t *whole_ns = malloc((size_t)n * sizeof(int64_t));
    int64_t *bare_ns = malloc((size_t)n * sizeof(int64_t));
    int64_t *floor_ns = malloc((size_t)n * sizeof(int64_t));
    struct tap_result *r = calloc(1, sizeof(*r));
    if (!commit_ns || !whole_ns || !bare_ns || !floor_ns || !r)
        die("memory", -1);
    /* The floor: a bare commit and a synced append beside it, as a tap's receipt is written. */
    char trace[600];
    snprintf(trace, sizeof(trace), "%s/bare.db-receipts", parent);
    int trace_fd = open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (trace_fd < 0)
        die("trace file", -1);
    int64_t t0 = 0;
    zone_parse_local("2023-09-13 14:50", &t0);
    for (int i = 0; i < n; i++) {
        struct uid uid;
        uid_parse(badges[i % 9], UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
        int64_t at = t0 + (int64_t)(i / 9) * 20 * US_PER_S;
        /* tapflow_tap, in its two halves: the tap is durable after the first. */
        int64_t start = now_ns();
        int err = tapflow_commit(&k->flow, &uid, at, at, 0, r);
        int64_t committed = now_ns();
        if (err != STORE_OK)
            die("tap", err);
        tapflow_describe(&k->flow, r);
        int64_t described = now_ns();
        commit_ns[i] = committed - start;
        whole_ns[i] = described - start;
        start = now_ns();
        if (bare_commit_one(bare, i) != 0)
            die("bare commit", -1);
        bare_ns[i] = now_ns() - start;
        start = now_ns();
        if (bare_commit_and_trace(bare, i, trace_fd) != 0)
            die("bare commit and trace", -1);
        floor_ns[i] = now_ns() - start;
    }
    close(trace_fd);
    double c50 = percentile_us(commit_ns, (size_t)n, 0.50),
           c99 = percentile_us(commit_ns, (size_t)n, 0.99);
    double w50 = percentile_us(whole_ns, (size_t)n, 0.50),
           w99 = percentile_us(whole_ns, (size_t)n, 0.99);
    double b50 = percentile_us(bare_ns, (size_t)n, 0.50),
           b99 = percentile_us(bare_ns, (size_t)n, 0.99);
    double f50 = percentile_us(floor_ns, (size_t)n, 0.50),
           f99 = percentile_us(floor_ns, (size_t)n, 0.99);
    printf("tap → decided + committed (%d taps): p50 %8.1f µs   p99 %8.1f µs\n", n, c50, c99);
    printf("tap → … + the screen's summary:      p50 %8.1f µs   p99 %8.1f µs\n", w50, w99);
    printf("bare SQLite FULL insert commit:      p50 %8.1f µs   p99 %8.1f µs\n", b50, b99);
    printf("… and a synced receipt beside it:    p50 %8.1f µs   p99 %8.1f µs  (the receipt: "
           "+%.1f µs at p50)\n",
           f50, f99, f50 - b50);
    printf("ratio decided + committed / floor:   p50 %8.2f ×    p99 %8.2f ×  (the floor: the "
           "two syncs a tap needs)\n",
           c50 / f50, c99 / f99);
    printf("ratio decided + committed / bare:    p50 %8.2f ×    p99 %8.2f ×\n", c50 / b50,
           c99 / b99);
    printf("ratio with the summary / bare:       p50 %8.2f ×    p99 %8.2f ×\n", w50 / b50,
           w99 / b99);
    bare_close(bare);
    free(commit_ns);
    free(whole_ns);
    free(bare_ns);
    free(floor_ns);
    tapflow_result_free(r);
    free(r);
    *out = (struct tap_ratios){c50 / b50, c99 / b99, w50 / b50, w99 / b99, c50 / f50, c99 / f99};
}

/* Bulk events: most are repeat taps (no projection change), one sign-in/out pair per person
 * per session so that attendance is realistic. */
static void fill_events(struct kiosk *k, int64_t total)
{
    struct person p = {.active = true};
    const int people = 1000;
    for (int i = 0; i < people; i++) {
        snprintf(p.staff_no, sizeof(p.staff_no), "X%05d", i);
        snprintf(p.name, sizeof(p.name), "Bench Person %d", i);
        snprintf(p.academy, sizeof(p.academy), "Bench Academy");
        int64_t id;
        if (store_person_upsert(k->store, &p, &id) != STORE_OK)
            die("person", -1);
    }
    struct session sessions[64];
    size_t n_sessions = 0;
    store_sessions_between(k->store, 0, INT64_MAX / 2, sessions, 64, &n_sessions);
    int64_t written = 0;
    while (written < total) {
        if (store_begin(k->store) != STORE_OK)
            die("begin", -1);
        for (int b = 0; b < 50000 && written < total; b++, written++) {
            struct event e = {.mono_us = written};
            const struct session *s = &sessions[written % (int64_t)n_sessions];
            int who = (int)(written % people);
            int phase = (int)((written / people) % 50);
            e.type = phase == 0 ? EV_SIGN_IN : phase == 1 ? EV_SIGN_OUT : EV_ALREADY_IN;
            e.wall_us = s->start_us + (phase == 1 ? s->end_us - s->start_us : 0);
            snprintf(e.person, sizeof(e.person), "X%05d", who);
            snprintf(e.session, sizeof(e.session), "%s", s->code);
            snprintf(e.clock, sizeof(e.clock), "synced");
            int err = store_append_event(k->store, &e);
            if (err != STORE_OK)
                die("append", err);
        }
        if (store_commit(k->store) != STORE_OK)
            die("commit", -1);
    }
}

static double bench_summary(struct kiosk *k, const char *label, int calls)
{
    int64_t *ns = malloc((size_t)calls * sizeof(int64_t));
    struct credit_summary *s = calloc(1, sizeof(*s));
    int64_t at = 0;
    zone_parse_local("2024-07-20 09:00", &at);
    for (int i = 0; i < calls; i++) {
        struct person p;
        char staff[16];
        snprintf(staff, sizeof(staff), "X%05d", (i * 37) % 1000);
        if (store_person_by_staff_no(k->store, staff, &p) != STORE_OK)
            die("lookup", -1);
        int64_t start = now_ns();
        if (tapflow_summary(k->store, &k->rules, p.id, at, s) != STORE_OK)
            die("summary", -1);
        ns[i] = now_ns() - start;
    }
    double p50 = percentile_us(ns, (size_t)calls, 0.5);
    printf("credit summary, %-22s p50 %8.1f µs   p99 %8.1f µs\n", label, p50,
           percentile_us(ns, (size_t)calls, 0.99));
    free(ns);
    if (s)
        credits_summary_free(s);
    free(s);
    return p50;
}

struct all_summaries {
    struct kiosk *k;
    int64_t at;
    struct credit_summary *s;
    int n;
};

static int summarise_one(void *ctx, const struct person *p, int n_badges)
{
    (void)n_badges;
    struct all_summaries *a = ctx;
    if (!p->active)
        return 0;
    if (tapflow_summary(a->k->store, &a->k->rules, p->id, a->at, a->s) != STORE_OK)
        die("summary", -1);
    a->n++;
    return 0;
}

/* Reports for everyone against their baseline in the same run: one credit summary per person,
 * which every figure of a statement or a forecast comes from. */
static void bench_reports(struct kiosk *k)
{
    int64_t at = 0;
    zone_parse_local("2024-01-10 09:00", &at);
    struct credit_summary s = {0};
    struct all_summaries all = {k, at, &s, 0};
    int64_t t0 = now_ns();
    if (store_people_each(k->store, summarise_one, &all) != STORE_OK)
        die("people", -1);
    int64_t base = now_ns() - t0;
    credits_summary_free(&s);
    FILE *null = fopen("/dev/null", "w");
    struct report r;
    t0 = now_ns();
    if (!null || report_statements(k->store, &k->rules, at, -1, true, NULL, &r) != STORE_OK ||
        report_write_csv(&r, null) != STORE_OK)
        die("statements", -1);
    int64_t statements = now_ns() - t0;
    report_free(&r);
    t0 = now_ns();
    if (report_at_risk(k->store, &k->rules, at, NULL, &r) != STORE_OK ||
        report_write_csv(&r, null) != STORE_OK)
        die("at-risk", -1);
    int64_t at_risk = now_ns() - t0;
    report_free(&r);
    /* Statements printed: a person a page (or more), against the same items as CSV. */
    if (report_statements(k->store, &k->rules, at, -1, false, NULL, &r) != STORE_OK)
        die("statements", -1);
    t0 = now_ns();
    if (report_write_csv(&r, null) != STORE_OK)
        die("statements csv", -1);
    int64_t items_csv = now_ns() - t0;
    const struct paper_header header = {"Bolton Impact Trust", "Central Office", "now"};
    int pages = 0;
    t0 = now_ns();
    if (paper_write_pdf(&r, &header, null, &pages) != PAPER_OK)
        die("statements pdf", -1);
    int64_t pdf = now_ns() - t0;
    report_free(&r);
    fclose(null);
    printf("one summary per person (%d people):  %8.1f ms\n", all.n, (double)base / 1e6);
    printf("statements CSV, everyone:           %8.1f ms  (%.2f × the summaries)\n",
           (double)statements / 1e6, (double)statements / (double)base);
    printf("at-risk CSV, everyone:              %8.1f ms  (%.2f × the summaries)\n",
           (double)at_risk / 1e6, (double)at_risk / (double)base);
    printf(
        "statements PDF, everyone:           %8.1f ms  %d pages, %.0f pages/s (%.1f × their CSV)\n",
        (double)pdf / 1e6, pages, pages / ((double)pdf / 1e9), (double)pdf / (double)items_csv);
}

/* A roster of n people, each with a badge, written to path. */
static void write_roster(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die(path, -1);
    fprintf(f, "staff_no,name,academy,role,active,badge_uid\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "B%06d,Person %d,Academy %d,staff,yes,04%06X%06X\n", i, i, i % 40, (unsigned)i,
                (unsigned)(i * 7919) & 0xffffffu);
    if (fclose(f) != 0)
        die(path, -1);
}

/* Importing a big roster against ten times a small one: 1.0 is linear, 10 quadratic. */
static void bench_roster(const char *parent, int rows)
{
    double seconds[2];
    int sizes[2] = {rows / 10, rows};
    for (int i = 0; i < 2; i++) {
        struct kiosk k;
        char name[32], csv[512];
        snprintf(name, sizeof(name), "roster%d", i);
        kiosk_open(&k, parent, name);
        snprintf(csv, sizeof(csv), "%s/roster.csv", k.dir);
        write_roster(csv, sizes[i]);
        struct import_options o = {.rules = &k.rules, .site_key = k.keys.site, .report = quiet};
        struct import_result r;
        int64_t t0 = now_ns();
        int err = import_file(k.store, IMPORT_ROSTER, csv, &o, &r);
        seconds[i] = (double)(now_ns() - t0) / 1e9;
        if (err != IMPORT_OK)
            die("roster import", err);
        store_close(k.store);
    }
    printf("roster import, %d rows:            %8.2f s  (%.2f × ten times %d rows; 1.0 is "
           "linear)\n",
           rows, seconds[1], seconds[1] / (10 * seconds[0]), rows / 10);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void)
{
    int taps = getenv("CPD_BENCH_TAPS") ? atoi(getenv("CPD_BENCH_TAPS")) : 10000;
    int64_t events = getenv("CPD_BENCH_EVENTS") ? atoll(getenv("CPD_BENCH_EVENTS")) : 1000000;
    /* $TMPDIR: the disk measured (on a tmpfs the syncs cost nothing, leaving the CPU). */
    char parent[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(parent, sizeof(parent), "%s/cpd-bench-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (crypto_init() != CRYPTO_OK || zone_set("Europe/London") != ZONE_OK || !mkdtemp(parent))
        die("setup", -1);
    struct kiosk tapk, small, big;
    kiosk_open(&tapk, parent, "taps");
    struct tap_ratios ratio;
    bench_taps(&tapk, parent, taps, &ratio);
    store_close(tapk.store);
    bench_roster(parent, getenv("CPD_BENCH_ROSTER") ? atoi(getenv("CPD_BENCH_ROSTER")) : 60000);

    kiosk_open(&small, parent, "small");
    fill_events(&small, 1000);
    double small50 = bench_summary(&small, "1,000 events:", 1000);
    bench_reports(&small);
    kiosk_open(&big, parent, "big");
    fill_events(&big, events);
    char label[64];
    snprintf(label, sizeof(label), "%lld events:", (long long)events);
    double big50 = bench_summary(&big, label, 1000);
    char plan[4096];
    store_explain_summary(big.store, plan, sizeof(plan));
    printf("summary with %lld events / with 1,000: %.2f × (query plan: %s)\n", (long long)events,
           big50 / small50,
           strstr(plan, "SCAN a") || strstr(plan, "SCAN events") ? "SCAN!" : "indexed");
    store_close(small.store);
    store_close(big.store);
    nftw(parent, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("headline: a tap decided + committed (its receipt synced too) costs %.2f × its floor "
           "(a bare SQLite FULL commit and a synced receipt) at p50, %.2f × at p99; %.2f × a "
           "bare commit alone; %.2f × with the screen's summary\n",
           ratio.floor50, ratio.floor99, ratio.commit50, ratio.whole50);
    return 0;
}
