/* Trust-wide reports read from head office's ledger (issue 24): the real `cpd-admin report KIND
 * --ledger` as an office login, on a ledger holding a credit year of taps for every person and
 * an earlier year of the same size, against `psql \copy` of the year's rows in the same run.
 * Targets: 5,000 people × one year in under 10 s and under 300 MB on the office PC. Sizes:
 * CPD_BENCH_REPORT_PEOPLE, _SESSIONS (a person's mean a year), _YEARS (of taps, to 2023-24),
 * _KIOSKS, _RUNS, _SEED;
 * CPD_BENCH_REPORT_HOLD=1 keeps the loaded ledger up for profiling. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/base/civil.h"
#include "core/base/tempdir.h"
#include "core/base/timeunits.h"
#include "core/base/zone.h"
#include "core/domain/crypto.h"
#include "core/domain/event.h"
#include "core/domain/payload.h"
#include "core/services/import.h"
#include "core/services/keys.h"
#include "core/store/store.h"
#include "sync/ledger/ledger.h"
#include "tests/support/pgserver.h"

#define ACADEMIES   8
#define MAX_KIOSKS  16
#define MAX_RUNS    9
#define OFFICE_PW   "office-pw-0123456789"
#define EARLIER_DAY 364 /* an earlier year: the same programme 52 weeks before, same weekdays */

static const char *const academies[ACADEMIES] = {
    "Riverside Academy",  "Moorside Academy", "Hollins Brook Academy", "Kingsway Academy",
    "Castle Hill School", "Oakfield Academy", "Valley Park Academy",   "St Anne's Academy"};

/* The reports an office runs over everyone; at-risk as of the spring term, when it matters. */
struct kind {
    const char *name;
    const char *args[4];
};
static const struct kind kinds[] = {
    {"statements --summary", {"statements", "--summary", NULL}},
    {"statements", {"statements", NULL}},
    {"at-risk", {"at-risk", "--at", "2024-02-01 12:00", NULL}},
    {"due", {"due", NULL}},
};
#define KINDS (sizeof(kinds) / sizeof(kinds[0]))

struct session_row {
    char code[64];
    civil_day date;
    int start_min, end_min;
};

struct tap {
    int64_t wall_us;
    int person, session, minutes;
    bool out, flag; /* flag: late (in) or early (out) */
};

struct taps {
    struct tap *list;
    size_t n, cap;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* The server and the files stopped and removed on any way out: the machine is shared. */
static struct pgserver server;
static char dir[128]; /* under $TMPDIR (core/base/tempdir.c; a longer one is refused) */
static bool made_dir;

static int clean_up(void)
{
    char rm[160];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    pgserver_destroy(&server);
    return made_dir && system(rm) != 0 ? -1 : 0;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_reports: %s: %s\n", what, why);
    clean_up();
    exit(1);
}

static int env_int(const char *name, int fallback, int lo, int hi)
{
    const char *v = getenv(name);
    int n = v && v[0] ? atoi(v) : fallback;
    if (n < lo || n > hi) {
        fprintf(stderr, "bench_reports: %s=%s: expected %d–%d\n", name, v, lo, hi);
        exit(2);
    }
    return n;
}

/* splitmix64: the same data for the same seed on every machine. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int below(uint64_t *state, int n)
{
    return (int)(next_random(state) % (uint64_t)n);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0)
        die("write", path);
}

static void staff_no(int person, char out[16])
{
    snprintf(out, 16, "T%05d", person + 1);
}

/* A roster of people at eight academies, each with a 7-byte badge UID of their own. */
static void write_roster(const char *path, int people)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die("roster", path);
    fputs("staff_no,name,academy,role,active,badge_uid\n", f);
    for (int i = 0; i < people; i++) {
        char no[16];
        staff_no(i, no);
        fprintf(f, "%s,Person %05d Bench,%s,%s,yes,04:%02X:%02X:%02X:%02X:6E:80\n", no, i + 1,
                academies[i % ACADEMIES], i % 50 == 0 ? "trainer" : "staff", (i >> 24) & 0xff,
                (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    }
    if (fclose(f) != 0)
        die("roster", path);
}

static void quiet(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

static void import(const struct ledger_target *t, enum import_kind kind, const char *path,
                   const uint8_t *site_key)
{
    struct rules rules;
    rules_default(&rules);
    struct import_options o = {.rules = &rules, .site_key = site_key, .report = quiet};
    struct import_result r;
    char why[512];
    if (ledger_import(t, kind, path, &o, &r, why, sizeof(why)) != SYNC_OK)
        die(path, why);
}

/* The programme's dated sessions, as the ledger holds them. */
static int load_sessions(const struct pgserver *pg, struct session_row *out, int cap)
{
    static char text[1 << 16];
    if (pgserver_psql(pg,
                      "SELECT code, to_char(date, 'YYYY-MM-DD'), to_char(start_time, 'HH24:MI'),"
                      " to_char(end_time, 'HH24:MI') FROM cpd.sessions WHERE date IS NOT NULL"
                      " AND start_time IS NOT NULL AND end_time IS NOT NULL ORDER BY code;",
                      text, sizeof(text)) != 0)
        die("sessions", text);
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < cap; line = strtok(NULL, "\n")) {
        char date[16], start[8], end[8];
        struct session_row *s = &out[n];
        if (sscanf(line, "%63[^|]|%15[^|]|%7[^|]|%7s", s->code, date, start, end) == 4 &&
            civil_parse_date(date, &s->date) == 0 && civil_parse_hhmm(start, &s->start_min) == 0 &&
            civil_parse_hhmm(end, &s->end_min) == 0 && s->end_min > s->start_min)
            n++;
    }
    return n;
}

static void add_tap(struct taps *t, struct tap tap)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->list = realloc(t->list, t->cap * sizeof(*t->list));
        if (!t->list)
            die("taps", "out of memory");
    }
    t->list[t->n++] = tap;
}

static int64_t local_us(civil_day day, int minute)
{
    int64_t us = 0;
    if (zone_local_to_utc(day, minute, &us) != ZONE_OK)
        die("zone", "a session time that does not exist");
    return us;
}

/* One person's year: sign-in and sign-out at each of `count` sessions on different days
 * (nobody is at two at once), now and then late or leaving early, the way taps come. */
static void person_year(uint64_t *rng, int person, int count, int shift_days,
                        const struct session_row *sessions, int n_sessions, struct taps *t)
{
    int order[256], taken = 0;
    civil_day days[256];
    for (int i = 0; i < n_sessions; i++)
        order[i] = i;
    for (int i = 0; i < n_sessions && taken < count; i++) {
        int j = i + below(rng, n_sessions - i), s = order[j];
        order[j] = order[i];
        order[i] = s;
        bool clash = false;
        for (int k = 0; k < taken && !clash; k++)
            clash = days[k] == sessions[s].date;
        if (clash)
            continue;
        days[taken++] = sessions[s].date;
        const struct session_row *x = &sessions[s];
        civil_day day = x->date - shift_days;
        bool late = below(rng, 100) < 8, early = below(rng, 100) < 5;
        int in_min = late ? x->start_min + 12 + below(rng, 20) : x->start_min - 1 - below(rng, 12);
        int out_min = early ? x->end_min - 20 - below(rng, 20) : x->end_min + below(rng, 8);
        int64_t in = local_us(day, in_min) + below(rng, 60) * INT64_C(1000000);
        int64_t out = local_us(day, out_min) + below(rng, 60) * INT64_C(1000000);
        int from = in_min > x->start_min ? in_min : x->start_min;
        int to = out_min < x->end_min ? out_min : x->end_min;
        add_tap(t, (struct tap){in, person, s, 0, false, late});
        add_tap(t, (struct tap){out, person, s, to - from, true, early});
    }
}

static int by_wall(const void *a, const void *b)
{
    const struct tap *x = a, *y = b;
    if (x->wall_us != y->wall_us)
        return x->wall_us < y->wall_us ? -1 : 1;
    return x->person != y->person ? x->person - y->person : (int)x->out - (int)y->out;
}

struct kiosk {
    char id[32], dir[300];
    struct store *store;
    struct config cfg;
    struct taps taps;
    size_t next; /* the first of taps not pushed yet */
};

static void kiosk_open(struct kiosk *k, int i, const char *base, const struct pgserver *pg,
                       const struct ledger_target *owner, const char *keyring)
{
    char db[400], sign[400], site[400], pw[400], why[512], role[128], pk[65];
    snprintf(k->id, sizeof(k->id), "bench-%d", i + 1);
    snprintf(k->dir, sizeof(k->dir), "%s/%s", base, k->id);
    snprintf(db, sizeof(db), "%s/kiosk.db", k->dir);
    snprintf(sign, sizeof(sign), "%s/kiosk.key", k->dir);
    snprintf(site, sizeof(site), "%s/site.key", k->dir);
    snprintf(pw, sizeof(pw), "%s/ledger.pw", k->dir);
    bool a, b;
    struct kiosk_keys keys;
    if (mkdir(k->dir, 0700) != 0 || keys_init(sign, site, NULL, &a, &b) != KEYS_OK ||
        keys_load_sign(sign, &keys) != KEYS_OK)
        die("kiosk keys", k->dir);
    if (store_open(db, &k->store, why, sizeof(why)) != STORE_OK ||
        store_set_signer(k->store, k->id, keys.sign_sk) != STORE_OK)
        die("kiosk store", why);
    crypto_hex(pk, keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
    keys_wipe(&keys);
    char password[64];
    snprintf(password, sizeof(password), "pw-%s-0123456789", k->id);
    struct ledger_kiosk lk = {k->id, pk, password, 600, 60, 2};
    if (ledger_add_kiosk(owner, &lk, keyring, role, sizeof(role), why, sizeof(why)) != SYNC_OK)
        die("add kiosk", why);
    write_file(pw, password, 0600);
    config_default(&k->cfg);
    snprintf(k->cfg.sync.conninfo, sizeof(k->cfg.sync.conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s", pg->port, role);
    snprintf(k->cfg.sync.password_file, sizeof(k->cfg.sync.password_file), "%s", pw);
    snprintf(k->cfg.sync.sslmode, sizeof(k->cfg.sync.sslmode), "disable");
    snprintf(k->cfg.sync.channel_binding, sizeof(k->cfg.sync.channel_binding), "disable");
    k->cfg.sync.batch = 10000;
    k->cfg.sync.keep_synced_days = 36500; /* the taps are years old: keep them here too */
}

/* The kiosk's taps before until_us not signed yet, into its chain in wall-time order (sorted
 * once), then pushed as its nightly sync does. */
static void kiosk_tap_and_push(struct kiosk *k, const struct session_row *sessions,
                               int64_t until_us)
{
    char why[512];
    if (k->next == 0)
        qsort(k->taps.list, k->taps.n, sizeof(*k->taps.list), by_wall);
    if (store_begin(k->store) != STORE_OK)
        die("append", k->id);
    for (; k->next < k->taps.n && k->taps.list[k->next].wall_us < until_us; k->next++) {
        const struct tap *t = &k->taps.list[k->next];
        char no[16], payload[64];
        staff_no(t->person, no);
        struct payload_field f[2] = {PAYLOAD_BOOL_FIELD(t->out ? "early" : "late", t->flag),
                                     PAYLOAD_INT_FIELD("minutes", t->minutes)};
        struct event e;
        if (payload_write(payload, sizeof(payload), f, t->out ? 2 : 1) != PAYLOAD_OK ||
            event_make(&e, t->out ? EV_SIGN_OUT : EV_SIGN_IN, no, sessions[t->session].code,
                       t->wall_us, (int64_t)k->next + 1, "synced", payload) != EVENT_OK ||
            store_append_event(k->store, &e) != STORE_OK)
            die("append", k->id);
    }
    if (store_commit(k->store) != STORE_OK)
        die("append", k->id);
    struct sync_report r;
    if (sync_run(&k->cfg.sync, k->store, NULL, NULL, &r, why, sizeof(why)) != SYNC_OK)
        die("push", why);
}

struct run {
    double s, cpu_s; /* wall; user + system: what the other work on this machine cannot add to */
    long rss_kb;
};

static int by_time(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    return x->s < y->s ? -1 : x->s > y->s;
}

static int by_cpu(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    return x->cpu_s < y->cpu_s ? -1 : x->cpu_s > y->cpu_s;
}

/* The real binary as a child, its output into a file and its errors into a log: the exit
 * status, the wall time and the child's peak RSS (wait4). */
static int run_child(char *const argv[], const char *output, const char *log, struct run *out)
{
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int to = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (to < 0 || err < 0 || dup2(to, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return -1;
    out->s = now_s() - t0;
    out->cpu_s =
        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    out->rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void print_log(const char *log)
{
    char line[512];
    FILE *f = fopen(log, "r");
    while (f && fgets(line, sizeof(line), f))
        fprintf(stderr, "  %s", line);
    if (f)
        fclose(f);
}

/* Lines of the last report's output: that it listed people, not nothing. */
static long lines_of(const char *path)
{
    long n = 0;
    int c;
    FILE *f = fopen(path, "r");
    while (f && (c = getc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

static int64_t count_of(const struct pgserver *pg, const char *sql)
{
    char out[256];
    if (pgserver_psql(pg, sql, out, sizeof(out)) != 0)
        die("count", out);
    return strtoll(out, NULL, 10);
}

int main(void)
{
    int people = env_int("CPD_BENCH_REPORT_PEOPLE", 5000, 1, 1000000);
    int per_year = env_int("CPD_BENCH_REPORT_SESSIONS", 20, 1, 60);
    int n_kiosks = env_int("CPD_BENCH_REPORT_KIOSKS", 4, 1, MAX_KIOSKS);
    int runs = env_int("CPD_BENCH_REPORT_RUNS", 3, 1, MAX_RUNS);
    int years = env_int("CPD_BENCH_REPORT_YEARS", 2, 1, 10); /* the one asked and those before */
    uint64_t seed = (uint64_t)env_int("CPD_BENCH_REPORT_SEED", 24, 0, 1 << 30), rng = seed;
    printf("%d people, ~%d sessions each a year (%d–%d), %d credit years to 2023-24, %d kiosks, "
           "%d runs a report, seed %" PRIu64 " (CPD_BENCH_REPORT_PEOPLE, _SESSIONS, _YEARS, "
           "_KIOSKS, _RUNS, _SEED)\n",
           people, per_year, per_year / 2, per_year + per_year / 2, years, n_kiosks, runs, seed);
    fflush(stdout);

    char why[512], role[128], out[1024];
    if (crypto_init() != CRYPTO_OK || zone_set("Europe/London") != ZONE_OK ||
        pgserver_start(&server) != 0)
        die("setup", "PostgreSQL did not start");
    if (!(made_dir = tempdir_make(dir, sizeof(dir), "cpd-bench-reports") == 0))
        die("mkdtemp", dir);
    char keyring[300], office_key[300], sign[300], site[300], roster[300], office_pw[300], ini[300],
        log[300], output[300];
    snprintf(keyring, sizeof(keyring), "%s/keyring", dir);
    snprintf(office_key, sizeof(office_key), "%s/head-office.key", dir);
    snprintf(sign, sizeof(sign), "%s/office-sign.key", dir);
    snprintf(site, sizeof(site), "%s/site.key", dir);
    snprintf(roster, sizeof(roster), "%s/roster.csv", dir);
    snprintf(office_pw, sizeof(office_pw), "%s/office.pw", dir);
    snprintf(ini, sizeof(ini), "%s/kiosk.ini", dir);
    snprintf(log, sizeof(log), "%s/report.log", dir);
    snprintf(output, sizeof(output), "%s/report.csv", dir);

    /* Head office as docs/head-office.md sets it up: init with its key, the programme and the
     * roster imported (signed), kiosks registered, an office login for the reports. */
    double t0 = now_s();
    struct ledger_target owner = {.conninfo = server.conninfo,
                                  .password = server.password,
                                  .timeout_s = 30,
                                  .office_key = office_key};
    struct ledger_init init = {.keyring = keyring, .office_key = office_key};
    if (ledger_init(&owner, &init, why, sizeof(why)) != SYNC_OK)
        die("ledger init", why);
    bool made_sign, made_site;
    struct kiosk_keys keys;
    if (keys_init(sign, site, NULL, &made_sign, &made_site) != KEYS_OK ||
        keys_load_site(site, &keys) != KEYS_OK)
        die("site key", site);
    write_roster(roster, people);
    import(&owner, IMPORT_PROGRAMME, CPD_DATA_DIR "/programme-2023-24.csv", keys.site);
    import(&owner, IMPORT_ROSTER, roster, keys.site);
    keys_wipe(&keys);
    if (ledger_add_office(&owner, "bench", OFFICE_PW, role, sizeof(role), why, sizeof(why)) !=
        SYNC_OK)
        die("add office", why);
    write_file(office_pw, OFFICE_PW, 0600);
    /* The office PC's kiosk.ini: the defaults (credit year 2023-09-01 – 2024-08-31), never
     * whatever this machine has installed. */
    write_file(ini, "[kiosk]\ntimezone = Europe/London\n", 0600);
    static struct session_row sessions[256];
    int n_sessions = load_sessions(&server, sessions, 256);
    if (n_sessions < per_year + per_year / 2)
        die("sessions", "the programme has fewer dated sessions than a person attends");
    double setup = now_s() - t0;

    /* Two credit years of taps: each person at their academy's kiosk, the earlier year first
     * (the same programme 52 weeks before). */
    t0 = now_s();
    struct kiosk *kiosk = calloc((size_t)n_kiosks, sizeof(*kiosk));
    if (!kiosk)
        die("kiosks", "out of memory");
    for (int i = 0; i < n_kiosks; i++)
        kiosk_open(&kiosk[i], i, dir, &server, &owner, keyring);
    for (int year = 0; year < years; year++) {
        for (int p = 0; p < people; p++) {
            int count = per_year / 2 + below(&rng, per_year + 1);
            person_year(&rng, p, count, (years - 1 - year) * EARLIER_DAY, sessions, n_sessions,
                        &kiosk[p % ACADEMIES % n_kiosks].taps);
        }
    }
    /* Pushed a month at a time, every kiosk in turn, so the ledger's rows lie in time order as
     * years of nightly syncs leave them (what the planner's choice of index depends on). */
    int first_year = 2023 - (years - 1), months = 12 * years;
    for (int m = 1; m <= months + 1; m++) {
        int y = first_year + (8 + m) / 12, month = (8 + m) % 12 + 1;
        int64_t until = m > months ? INT64_MAX : local_us(civil_from_ymd(y, month, 1), 0);
        for (int i = 0; i < n_kiosks; i++)
            kiosk_tap_and_push(&kiosk[i], sessions, until);
    }
    double push = now_s() - t0;

    /* What the ledger holds against what the report's year is. */
    int64_t year_from = local_us(civil_from_ymd(2023, 9, 1), 0);
    char sql[1024];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM cpd.events WHERE wall_us >= %" PRId64 ";",
             year_from);
    int64_t in_year = count_of(&server, sql);
    int64_t all = count_of(&server, "SELECT count(*) FROM cpd.events;");
    printf("setup (ledger, programme, roster of %d): %.1f s; taps signed and pushed by %d kiosks: "
           "%.1f s\n",
           people, setup, n_kiosks, push);
    printf("the ledger holds %" PRId64 " events; the credit year 2023-24 has %" PRId64
           " (%.0f%%): the %" PRId64 " of the years before should not be read\n",
           all, in_year, all ? 100.0 * in_year / all : 0, all - in_year);
    fflush(stdout);

    /* The baseline: the bare cost of reading the year's rows, the report's own query through
     * psql \copy as the same office login. */
    char query[512];
    snprintf(query, sizeof(query),
             "SELECT seq, uuid, type, person, session, wall_us, 0, clock, payload,"
             " repeat('00', 32), repeat('00', 32), repeat('00', 64), kiosk FROM cpd.office_events"
             " WHERE wall_us >= %" PRId64 " ORDER BY kiosk, seq",
             year_from);
    snprintf(sql, sizeof(sql), "\\copy (%s) TO '/dev/null'\n", query);
    struct run copy[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        t0 = now_s();
        if (pgserver_psql_as(&server, role, OFFICE_PW, sql, out, sizeof(out)) != 0)
            die("\\copy", out);
        copy[r] = (struct run){now_s() - t0, 0, 0};
    }
    qsort(copy, (size_t)runs, sizeof(copy[0]), by_time);
    double copy_s = copy[runs / 2].s;
    printf("psql \\copy of the year's %" PRId64 " rows as the office login: median %.2f s "
           "(min %.2f, max %.2f)\n",
           in_year, copy_s, copy[0].s, copy[runs - 1].s);

    /* Whether the earlier year is read: PostgreSQL's plan for the report's query, and how many
     * rows its scan read only to throw away. */
    static char plan[8192];
    char explain[1024];
    snprintf(explain, sizeof(explain), "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) %s;", query);
    if (pgserver_psql_as(&server, role, OFFICE_PW, explain, plan, sizeof(plan)) != 0)
        die("explain", plan);
    long removed = 0, loops = 1; /* a node's counts are each loop's (a parallel worker's) */
    for (char *line = strtok(plan, "\n"); line; line = strtok(NULL, "\n")) {
        const char *at = strstr(line, "Rows Removed by Filter: "), *l = strstr(line, "loops=");
        loops = l ? atol(l + strlen("loops=")) : loops;
        removed += at ? atol(at + strlen("Rows Removed by Filter: ")) * loops : 0;
        printf("  plan: %s\n", line);
    }
    printf("the report's query read %" PRId64 " rows of the year and %ld more it threw away "
           "(the years before: %s)\n",
           in_year, removed, removed ? "read" : "not read");

    /* Each report through the real cpd-admin, as the office runs it. */
    char conninfo[256];
    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s sslmode=disable", server.port, role);
    /* For profiling by hand (perf record -g cpd-admin …): the loaded ledger kept up, with the
     * command line in a file, until that file is removed. */
    if (getenv("CPD_BENCH_REPORT_HOLD")) {
        char hold[400];
        snprintf(hold, sizeof(hold), "%s/hold", dir);
        FILE *h = fopen(hold, "w");
        if (!h)
            die("hold", hold);
        fprintf(h,
                "%s/cpd-admin --config %s report statements --summary --format csv --ledger '%s'"
                " --password-file %s\n",
                CPD_BINARY_DIR, ini, conninfo, office_pw);
        fclose(h);
        printf("holding: the command is in %s; remove it to go on\n", hold);
        fflush(stdout);
        while (access(hold, F_OK) == 0)
            sleep(1);
    }
    double worst_median = 0, worst_s = 0;
    long worst_kb = 0;
    const char *worst_kind = "", *fat_kind = "";
    bool fast = true; /* every report's median under 10 s (a run's max says how noisy it was) */
    for (size_t k = 0; k < KINDS; k++) {
        char *argv[16];
        int a = 0;
        argv[a++] = CPD_BINARY_DIR "/cpd-admin";
        argv[a++] = "--config";
        argv[a++] = ini;
        argv[a++] = "report";
        for (int i = 0; kinds[k].args[i]; i++)
            argv[a++] = (char *)kinds[k].args[i];
        char *tail[] = {"--format", "csv", "--ledger", conninfo, "--password-file", office_pw};
        for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
            argv[a++] = tail[i];
        argv[a] = NULL;
        struct run rs[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            int rc = run_child(argv, output, log, &rs[r]);
            if (rc != 0) {
                fprintf(stderr, "bench_reports: report %s: exit %d\n", kinds[k].name, rc);
                print_log(log);
                die("report", kinds[k].name);
            }
        }
        long rss = 0;
        for (int r = 0; r < runs; r++)
            rss = rs[r].rss_kb > rss ? rs[r].rss_kb : rss;
        qsort(rs, (size_t)runs, sizeof(rs[0]), by_cpu);
        double cpu = rs[runs / 2].cpu_s;
        qsort(rs, (size_t)runs, sizeof(rs[0]), by_time);
        double median = rs[runs / 2].s;
        printf("report %-20s (%6ld lines): wall min %5.2f, median %5.2f, max %5.2f s; CPU median "
               "%5.2f s; max RSS %4ld MB; %4.1f × \\copy; under 10 s: %s, under 300 MB: %s\n",
               kinds[k].name, lines_of(output), rs[0].s, median, rs[runs - 1].s, cpu, rss / 1024,
               median / copy_s, median < 10 ? "yes" : "no", rss < 300 * 1024 ? "yes" : "no");
        fflush(stdout);
        fast = fast && median < 10;
        if (median > worst_median) {
            worst_median = median;
            worst_s = rs[runs - 1].s;
            worst_kind = kinds[k].name;
        }
        if (rss > worst_kb) {
            worst_kb = rss;
            fat_kind = kinds[k].name;
        }
    }
    printf("headline: trust-wide reports of %d people × one year (%" PRId64 " of %" PRId64
           " events): slowest %s median %.2f s, max %.2f s (under 10 s: %s), largest %s %ld MB "
           "(under 300 MB: %s); %.1f × psql \\copy of the year's rows\n",
           people, in_year, all, worst_kind, worst_median, worst_s, fast ? "yes" : "no", fat_kind,
           worst_kb / 1024, worst_kb < 300 * 1024 ? "yes" : "no", worst_median / copy_s);
    for (int i = 0; i < n_kiosks; i++) {
        store_close(kiosk[i].store);
        free(kiosk[i].taps.list);
    }
    free(kiosk);
    return clean_up() == 0 ? 0 : 1;
}
