/* Pushing 100,000 events to the ledger against `psql \copy` of the same rows into the same
 * server in the same run; and a kiosk's first pull of 10,000 people and badges. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/domain/crypto.h"
#include "core/services/keys.h"
#include "sync/ledger/ledger.h"
#include "tests/support/pgserver.h"
#include "sync/sync_pg.h"
#include "core/base/zone.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_sync: %s: %s\n", what, why);
    exit(1);
}

struct dump {
    FILE *f;
};

static int dump_event(void *ctx, const struct event *e)
{
    struct dump *d = ctx;
    char prev[65], hash[65], sig[129];
    crypto_hex(prev, e->prev_hash, 32);
    crypto_hex(hash, e->hash, 32);
    crypto_hex(sig, e->sig, 64);
    /* CSV for \copy: the payload is JSON with quotes, so quote it. */
    fprintf(d->f, "%s,%" PRId64 ",%s,%s,%s,%s,%" PRId64 ",%" PRId64 ",%s,\"", e->kiosk, e->seq,
            e->uuid, event_type_code(e->type), e->person, e->session, e->wall_us, e->mono_us,
            e->clock);
    for (const char *p = e->payload; *p; p++)
        fprintf(d->f, *p == '"' ? "\"\"" : "%c", *p);
    fprintf(d->f, "\",\\x%s,\\x%s,\\x%s\n", prev, hash, sig);
    return 0;
}

static int take_one(void *ctx, const struct event *e)
{
    memcpy(ctx, e, sizeof(*e));
    return 1;
}

int main(void)
{
    int n = getenv("CPD_BENCH_EVENTS") ? atoi(getenv("CPD_BENCH_EVENTS")) : 100000;
    int people = getenv("CPD_BENCH_PEOPLE") ? atoi(getenv("CPD_BENCH_PEOPLE")) : 10000;
    char why[512], role[128];
    struct pgserver pg;
    if (crypto_init() != CRYPTO_OK || zone_set("Europe/London") != ZONE_OK ||
        pgserver_start(&pg) != 0)
        die("setup", "PostgreSQL did not start");
    struct ledger_target admin = {
        .conninfo = pg.conninfo, .password = pg.password, .timeout_s = 10};
    struct ledger_init init = {0};
    if (ledger_init(&admin, &init, why, sizeof(why)))
        die("ledger init", why);
    char dir[] = "/tmp/cpd-bench-sync-XXXXXX", db[128], sign[128], site[128], pw[128];
    if (!mkdtemp(dir))
        die("mkdtemp", dir);
    snprintf(db, sizeof(db), "%s/kiosk.db", dir);
    snprintf(sign, sizeof(sign), "%s/kiosk.key", dir);
    snprintf(site, sizeof(site), "%s/site.key", dir);
    bool a, b;
    struct kiosk_keys keys;
    struct store *s = NULL;
    if (keys_init(sign, site, NULL, &a, &b) || keys_load_sign(sign, &keys) ||
        store_open(db, &s, why, sizeof(why)) || store_set_signer(s, "bench", keys.sign_sk))
        die("kiosk", why);
    char pk[65];
    crypto_hex(pk, keys.sign_pk, 32);
    if (ledger_add_kiosk(&admin,
                         &(struct ledger_kiosk){"bench", pk, "bench-pw-0123456789", 600, 30, 2},
                         NULL, role, sizeof(role), why, sizeof(why)))
        die("add kiosk", why);
    store_begin(s);
    for (int i = 0; i < n; i++) {
        struct event e = {.type = EV_ALREADY_IN, .wall_us = 1694613600000000 + i, .mono_us = i};
        snprintf(e.person, sizeof(e.person), "BIT%04d", 1 + i % 9);
        snprintf(e.session, sizeof(e.session), "cpi-autumn-1");
        snprintf(e.clock, sizeof(e.clock), "synced");
        snprintf(e.payload, sizeof(e.payload), "{\"since_us\":1694613600000000}");
        if (store_append_event(s, &e) != STORE_OK)
            die("append", "");
    }
    store_commit(s);

    /* Ours: cpd-admin sync's push, batches of 5000. */
    struct config cfg;
    config_default(&cfg);
    snprintf(cfg.sync.conninfo, sizeof(cfg.sync.conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s", pg.port, role);
    snprintf(pw, sizeof(pw), "%s/ledger.pw", dir);
    FILE *f = fopen(pw, "w");
    fputs("bench-pw-0123456789", f);
    fclose(f);
    chmod(pw, 0600);
    snprintf(cfg.sync.password_file, sizeof(cfg.sync.password_file), "%s", pw);
    snprintf(cfg.sync.sslmode, sizeof(cfg.sync.sslmode), "disable");
    snprintf(cfg.sync.channel_binding, sizeof(cfg.sync.channel_binding), "disable");
    cfg.sync.batch = getenv("CPD_BENCH_BATCH") ? atoi(getenv("CPD_BENCH_BATCH")) : 10000;
    struct sync_report r;
    double t0 = now_s();
    if (sync_run(&cfg.sync, s, NULL, NULL, &r, why, sizeof(why)) != SYNC_OK)
        die("sync", why);
    double ours = now_s() - t0;

    /* The baseline: the same rows, psql \copy into a table like cpd.events (its keys and
     * indexes too), in the same server. */
    char csv[128], out[512];
    snprintf(csv, sizeof(csv), "%s/events.csv", dir);
    struct dump d = {fopen(csv, "w")};
    store_events_each(s, 1, dump_event, &d);
    fclose(d.f);
    chmod(dir, 0755);
    chmod(csv, 0644);
    if (pgserver_psql(&pg, "CREATE TABLE copy_target (LIKE cpd.events INCLUDING ALL);", out,
                      sizeof(out)) != 0)
        die("copy table", out);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "\\copy copy_target (kiosk, seq, uuid, type, person, session, wall_us, mono_us,"
             " clock, payload, prev_hash, hash, sig) FROM '%s' WITH (FORMAT csv)\n",
             csv);
    t0 = now_s();
    if (pgserver_psql(&pg, sql, out, sizeof(out)) != 0)
        die("\\copy", out);
    double copy = now_s() - t0;

    /* A first pull of many people and badges. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO cpd.people (staff_no, name, academy, role) SELECT 'P' || i,"
             " 'Person ' || i, 'Academy ' || (i %% 12), 'staff' FROM generate_series(1, %d) i;"
             " INSERT INTO cpd.badges (uid_hash, last4, staff_no) SELECT sha256(('b' || i)::bytea),"
             " lpad(to_hex(i %% 65536), 4, '0'), 'P' || i FROM generate_series(1, %d) i;",
             people, people);
    if (pgserver_psql(&pg, sql, out, sizeof(out)) != 0)
        die("people", out);
    t0 = now_s();
    if (sync_run(&cfg.sync, s, NULL, NULL, &r, why, sizeof(why)) != SYNC_OK)
        die("pull", why);
    double pull = now_s() - t0;

    /* The floor: one Ed25519 verification per event (libsodium), which the server now does for
     * every event of every push, against \copy's whole cost per row. */
    struct event probe;
    store_events_each(s, 1, take_one, &probe);
    int probes = 2000;
    t0 = now_s();
    int ok = 0;
    for (int i = 0; i < probes; i++)
        ok += crypto_verify_digest(probe.sig, probe.hash, CRYPTO_HASH_BYTES, keys.sign_pk) ==
              CRYPTO_OK;
    double verify_us = (now_s() - t0) / probes * 1e6;
    double copy_us = copy / n * 1e6;
    printf("Ed25519 verification alone: %.1f µs an event (%d/%d verified); \\copy: %.1f µs a row;"
           " so at most %.2f × \\copy on one core while every signature is checked\n",
           verify_us, ok, probes, copy_us, copy_us / verify_us);
    printf("push of %d events: %.2f s (%.0f events/s), psql \\copy of the same rows: %.2f s "
           "(%.0f rows/s)\n",
           n, ours, n / ours, copy, n / copy);
    printf("first pull of %d people and %d badges: %.2f s (%d and %d rows applied)\n", people,
           people, pull, r.pulled[0], r.pulled[1]);
    printf("headline: push throughput = %.2f × psql \\copy (goal ≥ 0.5 ×)\n", copy / ours);
    store_close(s);
    pgserver_destroy(&pg);
    char rm[160];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    return system(rm) == 0 ? 0 : 1;
}
