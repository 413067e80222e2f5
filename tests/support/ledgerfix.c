/* ledgerfix.c — see ledgerfix.h. */
#include "core/base/error.h"
#include "tests/support/ledgerfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tests/support/testutil.h"
#include "core/base/zone.h"

struct pgserver server;
char site_key_hex[2 * CRYPTO_SITE_KEY_BYTES + 1];
char office_dir[256];
char keyring[300];
char office_key[300];
int kiosk_idle_timeout_s = 30;

struct ledger_target admin(void)
{
    return (struct ledger_target){.conninfo = server.conninfo,
                                  .password = server.password,
                                  .timeout_s = 10,
                                  .office_key = office_key};
}

static void quiet(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

int ledgerfix_setup(void **state)
{
    (void)state;
    assert_int_equal(crypto_init(), CRYPTO_OK);
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    if (pgserver_start(&server) != 0)
        return -1;
    char why[512];
    struct ledger_target t = admin();
    /* Head office: its keyring, the site key, and the demo roster and programme. */
    test_tempdir(office_dir, sizeof(office_dir));
    snprintf(keyring, sizeof(keyring), "%s/keyring", office_dir);
    snprintf(office_key, sizeof(office_key), "%s/head-office.key", office_dir);
    struct ledger_init init = {.keyring = keyring, .office_key = office_key};
    if (ledger_init(&t, &init, why, sizeof(why)) != 0) {
        fprintf(stderr, "ledger init: %s\n", why);
        return -1;
    }
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

int ledgerfix_teardown(void **state)
{
    (void)state;
    pgserver_destroy(&server);
    test_rmtree(office_dir);
    return 0;
}

void kiosk_open(struct tkiosk *k, const char *id)
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
    snprintf(k->kiosk_password, sizeof(k->kiosk_password), "pw-%s-0123456789", id);
    char pk[2 * CRYPTO_SIGN_PK_BYTES + 1];
    crypto_hex(pk, k->keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
    struct ledger_target t = admin();
    struct ledger_kiosk lk = {id, pk, k->kiosk_password, 60, kiosk_idle_timeout_s, 4};
    int err = ledger_add_kiosk(&t, &lk, keyring, role, sizeof(role), why, sizeof(why));
    if (err != SYNC_OK)
        fail_msg("add-kiosk %s: %s", id, why);
    snprintf(k->cfg.sync.conninfo, sizeof(k->cfg.sync.conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s", server.port, role);
    /* Loopback without TLS here; the TLS test turns it on. */
    snprintf(k->cfg.sync.sslmode, sizeof(k->cfg.sync.sslmode), "disable");
    snprintf(k->cfg.sync.channel_binding, sizeof(k->cfg.sync.channel_binding), "disable");
    char pwpath[512];
    test_write_file(k->dir, "ledger.pw", k->kiosk_password, pwpath, sizeof(pwpath));
    chmod(pwpath, 0600);
    snprintf(k->cfg.sync.password_file, sizeof(k->cfg.sync.password_file), "%s", pwpath);
    k->cfg.sync.batch = 100;
    /* The tests' taps are in 2023-24, years before today: kept, unless a test asks for the
     * retention purge (test_sync's test_synced_old_events_are_purged_here). */
    k->cfg.sync.keep_synced_days = 3650;
}

void kiosk_close(struct tkiosk *k)
{
    store_close(k->store);
    keys_wipe(&k->keys);
    test_rmtree(k->dir);
}

void kiosk_copy_file(const char *from, const char *to)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'", from, to, to, to);
    assert_int_equal(system(cmd), 0);
}

void kiosk_reopen(struct tkiosk *k)
{
    char why[512];
    assert_int_equal(store_open(k->cfg.kiosk.database, &k->store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(k->store, k->id, k->keys.sign_sk), STORE_OK);
}

int sync_now(struct tkiosk *k, struct sync_report *r, char *why, size_t cap)
{
    struct sync_report local;
    char scratch[512];
    return sync_run(&k->cfg.sync, k->store, NULL, NULL, r ? r : &local, why ? why : scratch,
                    why ? cap : sizeof(scratch));
}

void must_sync(struct tkiosk *k, struct sync_report *r)
{
    char why[512];
    int err = sync_now(k, r, why, sizeof(why));
    if (err != SYNC_OK)
        fail_msg("sync of %s: %s: %s", k->id, cpd_strerror(err), why);
}

/* n events that change nothing but the chain: enough to exercise pushing. */
void add_events(struct tkiosk *k, int n)
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

long ledger_events(const char *kiosk)
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

void assert_ledger_verifies(void)
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
    assert_int_equal(r.bad_other, 0);
}

char import_said[8192];

static void print_report(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "import: %s\n", line);
    size_t used = strlen(import_said);
    snprintf(import_said + used, sizeof(import_said) - used, "%s\n", line);
}

int import_text(enum import_kind kind, const char *csv, char *why, size_t cap)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/import.csv", office_dir);
    import_said[0] = '\0';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(csv, f);
    fclose(f);
    uint8_t site[CRYPTO_SITE_KEY_BYTES];
    assert_int_equal(crypto_unhex(site, sizeof(site), site_key_hex), 0);
    struct rules rules;
    rules_default(&rules);
    struct import_options o = {
        .rules = &rules, .site_key = site, .accept_changes = true, .report = print_report};
    struct import_result r;
    struct ledger_target t = admin();
    return ledger_import(&t, kind, path, &o, &r, why, cap);
}

int connect_as(const char *conninfo, const char *password, struct pg **pg, char *why, size_t cap)
{
    struct pg_options o = {.password = password, .timeout_s = 5, .sslmode = "disable"};
    return pg_connect(conninfo, &o, pg, why, cap);
}

static int take_event(void *ctx, const struct event *e)
{
    memcpy(ctx, e, sizeof(*e));
    return 1; /* the first one only */
}

void local_event(struct tkiosk *k, int64_t seq, struct event *e)
{
    memset(e, 0, sizeof(*e));
    store_events_each(k->store, seq, take_event, e);
    assert_int_equal(e->seq, seq);
}

void raw_append_element(struct raw_batch *b, int c, const char *value)
{
    size_t need = b->len[c] + (value ? 2 * strlen(value) : 4) + 8;
    if (need > b->cap[c]) {
        b->cap[c] = need * 2;
        b->text[c] = realloc(b->text[c], b->cap[c]);
        assert_non_null(b->text[c]);
    }
    char *p = b->text[c] + b->len[c];
    *p++ = b->n == 0 ? '{' : ',';
    if (!value) {
        memcpy(p, "NULL", 4);
        p += 4;
    } else {
        *p++ = '"';
        for (const char *v = value; *v; v++) {
            if (*v == '"' || *v == '\\')
                *p++ = '\\';
            *p++ = *v;
        }
        *p++ = '"';
    }
    *p = '\0';
    b->len[c] = (size_t)(p - b->text[c]);
}

void raw_add_fields(struct raw_batch *b, const char *const fields[RAW_FIELDS])
{
    for (int c = 0; c < RAW_FIELDS; c++)
        raw_append_element(b, c, fields[c]);
    b->n++;
}

void raw_event_fields(const struct event *e, struct raw_fields *f)
{
    snprintf(f->seq, sizeof(f->seq), "%lld", (long long)e->seq);
    snprintf(f->wall, sizeof(f->wall), "%lld", (long long)e->wall_us);
    snprintf(f->mono, sizeof(f->mono), "%lld", (long long)e->mono_us);
    strcpy(f->prev, "\\x");
    crypto_hex(f->prev + 2, e->prev_hash, 32);
    strcpy(f->hash, "\\x");
    crypto_hex(f->hash + 2, e->hash, 32);
    strcpy(f->sig, "\\x");
    crypto_hex(f->sig + 2, e->sig, 64);
    const char *v[RAW_FIELDS] = {f->seq,    e->uuid,    event_type_code(e->type),
                                 e->person, e->session, f->wall,
                                 f->mono,   e->clock,   e->payload,
                                 f->prev,   f->hash,    f->sig};
    memcpy(f->v, v, sizeof(v));
}

void raw_add(struct raw_batch *b, const struct event *e)
{
    struct raw_fields f;
    raw_event_fields(e, &f);
    raw_add_fields(b, f.v);
}

void raw_free(struct raw_batch *b)
{
    for (int c = 0; c < RAW_FIELDS; c++)
        free(b->text[c]);
    memset(b, 0, sizeof(*b));
}

int raw_push_in(struct pg *pg, struct raw_batch *b, long *acked, char *why, size_t cap)
{
    char *closed[RAW_FIELDS];
    for (int c = 0; c < RAW_FIELDS; c++) {
        closed[c] = malloc(b->len[c] + 3);
        assert_non_null(closed[c]);
        snprintf(closed[c], b->len[c] + 3, "%s}", b->n ? b->text[c] : "{");
    }
    struct pg_result *res = NULL;
    int err = pg_exec(pg,
                      "SELECT cpd.push_events($1::bigint[], $2::uuid[], $3::text[], $4::text[],"
                      " $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[],"
                      " $10::bytea[], $11::bytea[], $12::bytea[])",
                      RAW_FIELDS, (const char *const *)closed, &res, why, cap);
    for (int c = 0; c < RAW_FIELDS; c++)
        free(closed[c]);
    if (err == PG_OK && acked)
        *acked = atol(pg_value(res, 0, 0));
    pg_clear(res);
    return err;
}

int raw_push(const char *conninfo, const char *password, struct raw_batch *b, long *acked,
             char *why, size_t cap)
{
    struct pg *pg = NULL;
    int err = connect_as(conninfo, password, &pg, why, cap);
    if (err == PG_OK)
        err = raw_push_in(pg, b, acked, why, cap);
    pg_close(pg);
    return err;
}

int push_events_of(struct tkiosk *k, const char *conninfo, const char *password, int64_t first,
                   int64_t last, const char *override_person, long *acked, char *why, size_t cap)
{
    struct raw_batch b = {0};
    for (int64_t seq = first; seq <= last; seq++) {
        struct event e;
        local_event(k, seq, &e);
        if (override_person)
            snprintf(e.person, sizeof(e.person), "%s", override_person);
        raw_add(&b, &e);
    }
    int err = raw_push(conninfo, password, &b, acked, why, cap);
    raw_free(&b);
    return err;
}
