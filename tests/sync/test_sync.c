/* Sync against a real PostgreSQL 15 started for this test on 127.0.0.1: round trips, exactly
 * once, failures that lose nothing, tampering found, roles that can do nothing but push and pull
 * their own, two kiosks at once, and a pull cursor that never skips a late commit. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto.h"
#include "keys.h"
#include "ledger.h"
#include "pgserver.h"
#include "sync_pg.h"
#include "testutil.h"
#include "zone.h"

static struct pgserver server;
static char site_key_hex[2 * CRYPTO_SITE_KEY_BYTES + 1];
static char office_dir[256];
static char keyring[300];

struct tkiosk {
    char id[32];
    char dir[256];
    struct store *store;
    struct kiosk_keys keys;
    struct config cfg;
    char kiosk_password[32];
};

static struct ledger_target admin(void)
{
    return (struct ledger_target){server.conninfo, server.password, 10};
}

static void quiet(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

static int group_setup(void **state)
{
    (void)state;
    assert_int_equal(crypto_init(), CRYPTO_OK);
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    if (pgserver_start(&server) != 0)
        return -1;
    char why[512];
    int from = 0, to = 0;
    struct ledger_target t = admin();
    if (ledger_init(&t, &from, &to, why, sizeof(why)) != 0) {
        fprintf(stderr, "ledger init: %s\n", why);
        return -1;
    }
    /* Head office: the site key, and the demo roster and programme in the ledger. */
    test_tempdir(office_dir, sizeof(office_dir));
    snprintf(keyring, sizeof(keyring), "%s/keyring", office_dir);
    char sign[300], site[300];
    snprintf(sign, sizeof(sign), "%s/office.key", office_dir);
    snprintf(site, sizeof(site), "%s/site.key", office_dir);
    bool a, b;
    struct kiosk_keys keys;
    assert_int_equal(keys_init(sign, site, NULL, &a, &b), KEYS_OK);
    assert_int_equal(keys_load_site(site, &keys), KEYS_OK);
    crypto_hex(site_key_hex, keys.site, CRYPTO_SITE_KEY_BYTES);
    struct rules rules;
    rules_default(&rules);
    static const char *const files[] = {"programme-2023-24.csv", "demo-roster.csv",
                                        "demo-bookings.csv", "demo-credits.csv"};
    for (int k = 0; k < 4; k++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", CPD_DATA_DIR, files[k]);
        struct import_options o = {.rules = &rules, .site_key = keys.site, .report = quiet};
        struct import_result r;
        if (ledger_import(&t, (enum import_kind)k, path, &o, &r, why, sizeof(why)) != SYNC_OK) {
            fprintf(stderr, "ledger import %s: %s\n", files[k], why);
            return -1;
        }
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    pgserver_destroy(&server);
    test_rmtree(office_dir);
    return 0;
}

static void kiosk_open(struct tkiosk *k, const char *id)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->id, sizeof(k->id), "%s", id);
    test_tempdir(k->dir, sizeof(k->dir));
    char db[300], sign[300], site[300], why[512], role[128];
    snprintf(db, sizeof(db), "%s/kiosk.db", k->dir);
    snprintf(sign, sizeof(sign), "%s/kiosk.key", k->dir);
    snprintf(site, sizeof(site), "%s/site.key", k->dir);
    bool a, b;
    assert_int_equal(keys_init(sign, site, site_key_hex, &a, &b), KEYS_OK);
    assert_int_equal(keys_load_sign(sign, &k->keys), KEYS_OK);
    assert_int_equal(keys_load_site(site, &k->keys), KEYS_OK);
    assert_int_equal(store_open(db, &k->store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(k->store, id, k->keys.sign_sk), STORE_OK);
    config_default(&k->cfg);
    snprintf(k->cfg.kiosk.id, sizeof(k->cfg.kiosk.id), "%s", id);
    snprintf(k->cfg.kiosk.database, sizeof(k->cfg.kiosk.database), "%s", db);
    snprintf(k->kiosk_password, sizeof(k->kiosk_password), "pw-%s", id);
    char pk[2 * CRYPTO_SIGN_PK_BYTES + 1];
    crypto_hex(pk, k->keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
    struct ledger_target t = admin();
    struct ledger_kiosk lk = {id, pk, k->kiosk_password, 60, 30, 4};
    int err = ledger_add_kiosk(&t, &lk, role, sizeof(role), why, sizeof(why));
    if (err != SYNC_OK)
        fail_msg("add-kiosk %s: %s", id, why);
    assert_int_equal(ledger_keyring_append(keyring, id, 1, pk, "registered", why, sizeof(why)),
                     SYNC_OK);
    snprintf(k->cfg.sync.conninfo, sizeof(k->cfg.sync.conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s", server.port, role);
    snprintf(k->cfg.sync.sslmode, sizeof(k->cfg.sync.sslmode), "disable");
    char pwpath[512];
    test_write_file(k->dir, "ledger.pw", k->kiosk_password, pwpath, sizeof(pwpath));
    chmod(pwpath, 0600);
    snprintf(k->cfg.sync.password_file, sizeof(k->cfg.sync.password_file), "%s", pwpath);
    k->cfg.sync.batch = 100;
}

static void kiosk_close(struct tkiosk *k)
{
    store_close(k->store);
    keys_wipe(&k->keys);
    test_rmtree(k->dir);
}

static int sync_now(struct tkiosk *k, struct sync_report *r, char *why, size_t cap)
{
    struct sync_report local;
    char scratch[512];
    return sync_run(&k->cfg, k->store, NULL, NULL, r ? r : &local, why ? why : scratch,
                    why ? cap : sizeof(scratch));
}

static void must_sync(struct tkiosk *k, struct sync_report *r)
{
    char why[512];
    int err = sync_now(k, r, why, sizeof(why));
    if (err != SYNC_OK)
        fail_msg("sync of %s: %s: %s", k->id, sync_strerror(err), why);
}

/* n events that change nothing but the chain: enough to exercise pushing. */
static void add_events(struct tkiosk *k, int n)
{
    int64_t t = test_at("2023-09-13 12:00");
    assert_int_equal(store_begin(k->store), STORE_OK);
    for (int i = 0; i < n; i++) {
        struct event e = {.type = EV_NO_SESSION, .wall_us = t + i * 1000000, .mono_us = i};
        snprintf(e.person, sizeof(e.person), "BIT%04d", 1 + i % 9);
        snprintf(e.clock, sizeof(e.clock), "synced");
        assert_int_equal(store_append_event(k->store, &e), STORE_OK);
    }
    assert_int_equal(store_commit(k->store), STORE_OK);
}

static long ledger_events(const char *kiosk)
{
    char sql[256], out[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) || ' ' || count(DISTINCT seq) || ' ' || coalesce(max(seq), 0)"
             " FROM cpd.events WHERE kiosk = '%s';",
             kiosk);
    assert_int_equal(pgserver_psql(&server, sql, out, sizeof(out)), 0);
    long count = 0, distinct = 0, max = 0;
    assert_int_equal(sscanf(out, "%ld %ld %ld", &count, &distinct, &max), 3);
    assert_int_equal(count, distinct); /* no event twice */
    assert_int_equal(count, max);      /* no gap */
    return count;
}

static void print_finding(void *ctx, const char *line, bool bad)
{
    (void)ctx;
    if (bad)
        fprintf(stderr, "verify: %s\n", line);
}

static void assert_ledger_verifies(void)
{
    struct ledger_target t = admin();
    struct ledger_verify_report r;
    struct ledger_keyring ring;
    char why[512];
    assert_int_equal(ledger_keyring_load(keyring, &ring, why, sizeof(why)), SYNC_OK);
    int err = ledger_verify(&t, &ring, NULL, print_finding, NULL, &r, why, sizeof(why));
    if (err != SYNC_OK)
        fail_msg("verify: %s", why);
    ledger_keyring_free(&ring);
    assert_int_equal(r.bad_kiosks, 0);
}

static int connect_as(const char *conninfo, const char *password, struct pg **pg, char *why,
                      size_t cap)
{
    struct pg_options o = {.password = password, .timeout_s = 5, .sslmode = "disable"};
    return pg_connect(conninfo, &o, pg, why, cap);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "round-trip");
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.schema, LEDGER_SCHEMA_VERSION);
    assert_int_equal(r.pulled[0], 13); /* people */
    assert_int_equal(r.pulled[1], 12); /* badges */
    assert_int_equal(r.pulled[2], 118);
    assert_int_equal(r.pulled[4], 29);
    assert_int_equal(r.pulled[5], 11);
    assert_true(r.clock_offset_ms > -5000 && r.clock_offset_ms < 5000);
    /* The pulled roster works: a demo badge signs its owner in. */
    struct tapflow flow = {k.store, &k.cfg.rules, k.keys.site, "synced"};
    struct tap_result *tr = malloc(sizeof(*tr));
    struct uid uid;
    uid_parse("04-3B-19-D2-6A-71-81", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
    int64_t now = test_at("2023-09-13 15:00");
    assert_int_equal(tapflow_tap(&flow, &uid, now, now, 0, tr), STORE_OK);
    assert_int_equal(tr->decision.outcome, TAP_SIGNED_IN);
    free(tr);
    add_events(&k, 250);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 251);
    assert_int_equal(r.acked_seq, 251);
    assert_int_equal(r.waiting, 0);
    assert_int_equal(r.pulled[0], 0); /* nothing new to pull */
    assert_int_equal(ledger_events("round-trip"), 251);
    /* Again: nothing to do. */
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 0);
    struct sync_state st;
    sync_state_read(k.store, &st);
    assert_int_equal(st.acked_seq, 251);
    assert_true(st.last_success_us > 0);
    assert_string_equal(st.last_error, "");
    /* A change at head office reaches the kiosk. */
    char out[256];
    assert_int_equal(pgserver_psql(&server,
                                   "UPDATE cpd.people SET name = 'Gareth Lomax-Hart'"
                                   " WHERE staff_no = 'BIT0004';",
                                   out, sizeof(out)),
                     0);
    must_sync(&k, &r);
    assert_int_equal(r.pulled[0], 1);
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &p), STORE_OK);
    assert_string_equal(p.name, "Gareth Lomax-Hart");
    assert_ledger_verifies();
    kiosk_close(&k);
}

static int take_event(void *ctx, const struct event *e)
{
    memcpy(ctx, e, sizeof(*e));
    return 1; /* the first one only */
}

/* Pushes this kiosk's events 1..n as the kiosk role, raw: for the exactly-once checks. */
static int push_raw(struct tkiosk *k, const char *role_conninfo, const char *password,
                    const char *override_person, char *why, size_t cap, long *acked)
{
    struct pg *pg = NULL;
    int err = connect_as(role_conninfo, password, &pg, why, cap);
    if (err != PG_OK)
        return err;
    char *text[12] = {0};
    size_t len[12] = {0}, capa[12] = {0};
    /* Events 1..3 as text arrays. */
    struct {
        char seq[24], wall[24], mono[24], prev[70], hash[70], sig[140];
    } f[3];
    for (int i = 0; i < 3; i++) {
        struct event e;
        memset(&e, 0, sizeof(e));
        store_events_each(k->store, i + 1, take_event, &e);
        snprintf(f[i].seq, sizeof(f[i].seq), "%lld", (long long)e.seq);
        snprintf(f[i].wall, sizeof(f[i].wall), "%lld", (long long)e.wall_us);
        snprintf(f[i].mono, sizeof(f[i].mono), "%lld", (long long)e.mono_us);
        strcpy(f[i].prev, "\\x");
        crypto_hex(f[i].prev + 2, e.prev_hash, 32);
        strcpy(f[i].hash, "\\x");
        crypto_hex(f[i].hash + 2, e.hash, 32);
        strcpy(f[i].sig, "\\x");
        crypto_hex(f[i].sig + 2, e.sig, 64);
        const char *fields[12] = {f[i].seq,
                                  e.uuid,
                                  event_type_code(e.type),
                                  override_person ? override_person : e.person,
                                  e.session,
                                  f[i].wall,
                                  f[i].mono,
                                  e.clock,
                                  e.payload,
                                  f[i].prev,
                                  f[i].hash,
                                  f[i].sig};
        for (int c = 0; c < 12; c++)
            pg_array_append(&text[c], &len[c], &capa[c], fields[c], i == 0);
    }
    struct pg_result *res = NULL;
    err = pg_exec(pg,
                  "SELECT cpd.push_events($1::bigint[], $2::uuid[], $3::text[], $4::text[],"
                  " $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::bytea[],"
                  " $11::bytea[], $12::bytea[])",
                  12, (const char *const *)text, &res, why, cap);
    if (err == PG_OK)
        *acked = atol(pg_value(res, 0, 0));
    pg_clear(res);
    pg_close(pg);
    for (int c = 0; c < 12; c++)
        free(text[c]);
    return err;
}

static void test_same_batch_twice_is_stored_once(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "twice");
    add_events(&k, 3);
    char why[512];
    long acked = 0;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(
            push_raw(&k, k.cfg.sync.conninfo, k.kiosk_password, NULL, why, sizeof(why), &acked),
            PG_OK);
        assert_int_equal(acked, 3);
        assert_int_equal(ledger_events("twice"), 3);
    }
    /* The same uuids with different content: tampering, and nothing changes. */
    int err =
        push_raw(&k, k.cfg.sync.conninfo, k.kiosk_password, "BIT0001", why, sizeof(why), &acked);
    assert_int_equal(err, PG_EQUERY);
    assert_non_null(strstr(why, "tampering"));
    assert_int_equal(ledger_events("twice"), 3);
    kiosk_close(&k);
}

static void test_failures_lose_nothing(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "failures");
    add_events(&k, 40);
    char why[512], out[256];
    struct sync_report r;
    /* Wrong password. */
    char saved[CONFIG_PATH_MAX];
    snprintf(saved, sizeof(saved), "%s", k.cfg.sync.password_file);
    char bad[512];
    test_write_file(k.dir, "bad.pw", "not-the-password", bad, sizeof(bad));
    chmod(bad, 0600);
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", bad);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EAUTH);
    assert_non_null(strstr(why, "password authentication failed"));
    /* A password file others can read is refused before anything is sent. */
    chmod(bad, 0644);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ECONFIG);
    assert_non_null(strstr(why, "readable by others"));
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", saved);
    /* The wrong schema version, both ways. */
    assert_int_equal(
        pgserver_psql(&server, "UPDATE cpd.schema_version SET version = 99;", out, sizeof(out)), 0);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ESCHEMA);
    assert_non_null(strstr(why, "newer than this kiosk knows"));
    assert_int_equal(
        pgserver_psql(&server, "UPDATE cpd.schema_version SET version = 0;", out, sizeof(out)), 0);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ESCHEMA);
    assert_non_null(strstr(why, "too old"));
    assert_int_equal(
        pgserver_psql(&server, "UPDATE cpd.schema_version SET version = 1;", out, sizeof(out)), 0);
    /* The server down: a clear error, quickly, and the events are still here. */
    assert_int_equal(pgserver_stop_server(&server), 0);
    k.cfg.sync.connect_timeout_s = 2;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EUNREACHABLE);
    struct sync_state st;
    sync_state_read(k.store, &st);
    assert_non_null(strstr(st.last_error, "the ledger did not answer"));
    assert_int_equal(pgserver_restart(&server), 0);
    int64_t local = 0;
    assert_int_equal(store_count(k.store, "events", &local), STORE_OK);
    assert_int_equal(local, 40);
    assert_int_equal(ledger_events("failures"), 0);
    /* cpd-admin sync says so too, with its exit status. */
    char ini[512], cmd[1200], text[1200];
    snprintf(text, sizeof(text),
             "[kiosk]\nid = failures\n[sync]\nconninfo = %s\npassword_file = "
             "%s\nconnect_timeout_s = 2\n",
             k.cfg.sync.conninfo, k.cfg.sync.password_file);
    test_write_file(k.dir, "kiosk.ini", text, ini, sizeof(ini));
    snprintf(cmd, sizeof(cmd), "'%s/cpd-admin' --config '%s' --database '%s' sync 2>&1",
             CPD_BINARY_DIR, ini, k.cfg.kiosk.database);
    assert_int_equal(pgserver_stop_server(&server), 0);
    FILE *p = popen(cmd, "r");
    size_t n = fread(text, 1, sizeof(text) - 1, p);
    text[n] = '\0';
    assert_int_equal(WEXITSTATUS(pclose(p)), 3);
    assert_non_null(strstr(text, "cpd-admin: the ledger did not answer: "));
    assert_int_equal(pgserver_restart(&server), 0);
    /* The next sync catches up. */
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 40);
    assert_int_equal(ledger_events("failures"), 40);
    kiosk_close(&k);
}

static void test_an_edited_event_is_found(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "edited");
    add_events(&k, 10);
    char out[512];
    must_sync(&k, NULL);
    assert_ledger_verifies();
    assert_int_equal(pgserver_psql(&server,
                                   "ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
                                   " UPDATE cpd.events SET person = 'BIT0009'"
                                   " WHERE kiosk = 'edited' AND seq = 4;"
                                   " ALTER TABLE cpd.events ENABLE TRIGGER append_only;",
                                   out, sizeof(out)),
                     0);
    /* cpd-admin verify --ledger, as the office would run it. */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "'%s/cpd-admin' verify --ledger '%s' --password-file '%s' --keyring '%s' 2>&1",
             CPD_BINARY_DIR, server.conninfo, server.password_file, keyring);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    assert_int_equal(WEXITSTATUS(status), 6);
    if (!strstr(out, "kiosk edited: event 4: hash does not match the event's content"))
        fail_msg("verify --ledger said:\n%s", out);
    /* The append-only trigger holds otherwise, even for the owner. */
    assert_int_not_equal(
        pgserver_psql(&server, "DELETE FROM cpd.events WHERE kiosk = 'edited';", out, sizeof(out)),
        0);
    assert_non_null(strstr(out, "append-only"));
    /* Put it back for the other tests' verify. */
    assert_int_equal(pgserver_psql(&server,
                                   "ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
                                   " UPDATE cpd.events SET person = 'BIT0004'"
                                   " WHERE kiosk = 'edited' AND seq = 4;"
                                   " ALTER TABLE cpd.events ENABLE TRIGGER append_only;",
                                   out, sizeof(out)),
                     0);
    assert_ledger_verifies();
    kiosk_close(&k);
}

static void test_kiosk_roles_can_only_push_and_pull_their_own(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "role-a");
    kiosk_open(&b, "role-b");
    add_events(&a, 3);
    char why[512];
    struct pg *pg = NULL;
    assert_int_equal(connect_as(b.cfg.sync.conninfo, b.kiosk_password, &pg, why, sizeof(why)),
                     PG_OK);
    static const char *const forbidden[] = {
        "SELECT count(*) FROM cpd.events",
        "SELECT * FROM cpd.people",
        "UPDATE cpd.kiosks SET last_seq = 0",
        "DELETE FROM cpd.events",
        "INSERT INTO cpd.people (staff_no, name, academy, role) VALUES ('X', 'X', 'X', 'staff')",
        "SELECT cpd.register_kiosk('evil', decode(repeat('00', 32), 'hex'), 'x')",
        "SELECT cpd.rotate_key('role-a', decode(repeat('00', 32), 'hex'), 'x', NULL)",
        "SELECT cpd_ledger.create_login('kiosk', 'cpd_kiosk_evil', 'x')",
        "SELECT cpd_ledger.cluster_id()",
        "SELECT * FROM cpd.office_people",
        "CREATE TEMP TABLE t (x int)",
        "CREATE TABLE public.t (x int)"};
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        assert_int_equal(pg_exec(pg, forbidden[i], 0, NULL, NULL, why, sizeof(why)), PG_EPERM);
        assert_non_null(strstr(why, "permission denied"));
    }
    pg_close(pg);
    /* Kiosk b pushing kiosk a's events: stored as b's they would not hash, so they are refused. */
    long acked = 0;
    int err = push_raw(&a, b.cfg.sync.conninfo, b.kiosk_password, NULL, why, sizeof(why), &acked);
    assert_int_equal(err, PG_EQUERY);
    assert_non_null(strstr(why, "hash does not match"));
    assert_int_equal(ledger_events("role-a"), 0);
    assert_int_equal(ledger_events("role-b"), 0);
    kiosk_close(&a);
    kiosk_close(&b);
}

static void test_a_kiosk_signing_with_another_key_is_refused(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "wrong-key");
    add_events(&k, 5);
    /* Another key for a registered kiosk is refused by add-kiosk; head office can only change
     * it with rotate-key and a reason — and then this kiosk's own signatures no longer pass. */
    uint8_t pk[CRYPTO_SIGN_PK_BYTES], sk[CRYPTO_SIGN_SK_BYTES];
    crypto_sign_keypair_new(pk, sk);
    char hex[2 * CRYPTO_SIGN_PK_BYTES + 1], why[512], role[128];
    crypto_hex(hex, pk, sizeof(pk));
    struct ledger_target t = admin();
    struct ledger_kiosk lk = {"wrong-key", hex, k.kiosk_password, 60, 30, 2};
    assert_int_equal(ledger_add_kiosk(&t, &lk, role, sizeof(role), why, sizeof(why)),
                     SYNC_EREJECTED);
    assert_non_null(strstr(why, "registered with another key"));
    int64_t from = 0;
    int err = ledger_rotate_key(&t, "wrong-key", hex, "", 0, &from, why, sizeof(why));
    if (err != SYNC_EREJECTED)
        fail_msg("rotate-key without a reason: %d %s", err, why);
    assert_non_null(strstr(why, "needs a reason"));
    err = ledger_rotate_key(&t, "wrong-key", hex, "test: key swapped", 0, &from, why, sizeof(why));
    if (err != SYNC_OK)
        fail_msg("rotate-key: %s", why);
    /* verify would name the swap until the keyring says so too (cpd-admin writes both). */
    assert_int_equal(ledger_keyring_append(keyring, "wrong-key", from, hex, "test: key swapped",
                                           why, sizeof(why)),
                     SYNC_OK);
    assert_int_equal(from, 1);
    struct sync_report r;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EREJECTED);
    assert_non_null(strstr(why, "signature is not kiosk wrong-key's"));
    assert_int_equal(ledger_events("wrong-key"), 0);
    kiosk_close(&k);
}

struct racer {
    struct tkiosk *k;
    int err;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    char why[512];
    for (int i = 0; i < 5 && r->err == SYNC_OK; i++)
        r->err = sync_now(r->k, NULL, why, sizeof(why));
    if (r->err != SYNC_OK)
        fprintf(stderr, "%s: %s\n", r->k->id, why);
    return NULL;
}

static void test_two_kiosks_at_once(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "race-a");
    kiosk_open(&b, "race-b");
    add_events(&a, 300);
    add_events(&b, 300);
    struct racer ra = {&a, SYNC_OK}, rb = {&b, SYNC_OK};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, race, &ra);
    pthread_create(&tb, NULL, race, &rb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(ra.err, SYNC_OK);
    assert_int_equal(rb.err, SYNC_OK);
    assert_int_equal(ledger_events("race-a"), 300);
    assert_int_equal(ledger_events("race-b"), 300);
    assert_ledger_verifies();
    kiosk_close(&a);
    kiosk_close(&b);
}

static void test_pull_never_skips_a_late_commit(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "late-commit");
    char why[512];
    must_sync(&k, NULL);
    /* T1 starts first (older transaction id) and writes Late; T2 writes Early and commits. */
    struct pg *t1 = NULL, *t2 = NULL;
    assert_int_equal(connect_as(server.conninfo, server.password, &t1, why, sizeof(why)), PG_OK);
    assert_int_equal(connect_as(server.conninfo, server.password, &t2, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_exec(t1, "BEGIN", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_exec(t1,
                             "INSERT INTO cpd.people (staff_no, name, academy, role)"
                             " VALUES ('LATE1', 'Late Committer', 'Riverside Academy', 'staff')",
                             0, NULL, NULL, why, sizeof(why)),
                     PG_OK);
    assert_int_equal(pg_exec(t2,
                             "INSERT INTO cpd.people (staff_no, name, academy, role)"
                             " VALUES ('EARLY1', 'Early Committer', 'Riverside Academy', 'staff')",
                             0, NULL, NULL, why, sizeof(why)),
                     PG_OK);
    /* The kiosk pulls while T1 is open: it must not move its cursor past T1. */
    struct sync_report r;
    must_sync(&k, &r);
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "LATE1", &p), STORE_ENOTFOUND);
    assert_int_equal(pg_exec(t1, "COMMIT", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    must_sync(&k, &r);
    assert_int_equal(store_person_by_staff_no(k.store, "LATE1", &p), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "EARLY1", &p), STORE_OK);
    pg_close(t1);
    pg_close(t2);
    kiosk_close(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_same_batch_twice_is_stored_once),
        cmocka_unit_test(test_failures_lose_nothing),
        cmocka_unit_test(test_an_edited_event_is_found),
        cmocka_unit_test(test_kiosk_roles_can_only_push_and_pull_their_own),
        cmocka_unit_test(test_a_kiosk_signing_with_another_key_is_refused),
        cmocka_unit_test(test_two_kiosks_at_once),
        cmocka_unit_test(test_pull_never_skips_a_late_commit),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
