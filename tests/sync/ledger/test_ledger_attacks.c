/* Attacks on the ledger, each its own test, against a real PostgreSQL 15 set up as
 * docs/head-office.md says (a non-superuser owner): a kiosk login trying to run code as the
 * owner or to push what its kiosk never signed, an owner rewriting history behind the
 * keyring's and the checkpoints' back, kiosks and ledgers restored from backups, a cloned
 * kiosk, a kiosk holding a transaction open, and the roster flowing on after a restore. */
#include <inttypes.h>
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

#include "core/base/clock.h"
#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include <libpq-fe.h>

#include "core/services/corrections.h"
#include "tests/support/ledgerfix.h"
#include "tests/support/testutil.h"

static void owner_sql(const char *sql)
{
    char out[2048];
    if (pgserver_psql(&server, sql, out, sizeof(out)) != 0)
        fail_msg("as the owner: %s\n%s", sql, out);
}

static long owner_count(const char *sql)
{
    char out[256];
    if (pgserver_psql(&server, sql, out, sizeof(out)) != 0)
        fail_msg("as the owner: %s\n%s", sql, out);
    return atol(out);
}

/* The first line of what the owner's query prints. */
static void owner_value(const char *sql, char *out, size_t cap)
{
    if (pgserver_psql(&server, sql, out, cap) != 0)
        fail_msg("as the owner: %s\n%s", sql, out);
    out[strcspn(out, "\n")] = '\0';
}

/* cpd-admin with args, its output (stdout and stderr) into out: its exit status. */
static int run_admin(const char *args, char *out, size_t cap);

/* What verify --ledger (against the keyring, and the checkpoints file when given) says. */
static char findings[16384];

static void collect(void *ctx, const char *line, bool bad)
{
    (void)ctx;
    size_t used = strlen(findings);
    snprintf(findings + used, sizeof(findings) - used, "%s %s\n", bad ? "BAD" : "ok ", line);
}

static int verify_all(const char *checkpoints)
{
    struct ledger_target t = admin();
    struct ledger_keyring ring;
    struct ledger_verify_report r;
    char why[512];
    findings[0] = '\0';
    assert_int_equal(ledger_keyring_load(keyring, &ring, why, sizeof(why)), SYNC_OK);
    int err = ledger_verify(&t, &ring, checkpoints, collect, NULL, &r, why, sizeof(why));
    ledger_keyring_free(&ring);
    if (err != SYNC_OK)
        fail_msg("verify: %s", why);
    return r.bad_kiosks + r.bad_other;
}

static void assert_finding(const char *text)
{
    if (!strstr(findings, text)) {
        fprintf(stderr, "expected \"%s\" in:\n%s", text, findings);
        fail();
    }
}

/* A session as the kiosk's login. */
static struct pg *as_kiosk(struct tkiosk *k)
{
    struct pg *pg = NULL;
    char why[512];
    if (connect_as(k->cfg.sync.conninfo, k->kiosk_password, &pg, why, sizeof(why)) != PG_OK)
        fail_msg("login as %s: %s", k->id, why);
    return pg;
}

/* The login's sessions without the extension's guard, as a login made before extension 1.1
 * had them: what stands behind the guard is tested on its own. (The guard comes back when a
 * function of the extension is first called in the session, or with add-kiosk.) */
static void without_guard(const char *role)
{
    char cmd[512], out[1024];
    snprintf(cmd, sizeof(cmd),
             "psql -X -q -d cpd -c 'ALTER ROLE %s RESET session_preload_libraries'", role);
    if (pgserver_shell_super(&server, cmd, out, sizeof(out)) != 0)
        fail_msg("without the guard: %s", out);
}

static void push_expecting(struct tkiosk *k, struct raw_batch *b, const char *error)
{
    char why[512];
    int err = raw_push(k->cfg.sync.conninfo, k->kiosk_password, b, NULL, why, sizeof(why));
    if (err == PG_OK || !strstr(why, error))
        fail_msg("push: expected \"%s\", got %d \"%s\"", error, err, why);
    raw_free(b);
}

/* A kiosk given head office's public key checks the people and badges it pulls against head
 * office's newest signed roster: a badge the owner moved to someone else (Gareth's badge
 * signing in Tom) or a renamed person is refused, nothing taken, and the kiosk keeps what it
 * had; put back, the pull goes through. A badge enrolled at a kiosk since (staff) is taken; a
 * wrong key is named. (First of all: later tests change rows behind head office's back.) */
static void test_a_kiosk_checks_head_offices_signature_on_the_roster(void **state)
{
    (void)state;
    struct kiosk_keys office;
    assert_int_equal(keys_load_sign(office_key, &office), KEYS_OK);
    char office_hex[2 * CRYPTO_SIGN_PK_BYTES + 1];
    crypto_hex(office_hex, office.sign_pk, CRYPTO_SIGN_PK_BYTES);
    keys_wipe(&office);
    struct tkiosk k, other;
    kiosk_open(&k, "signed-roster");
    kiosk_open(&other, "signed-enrol");
    snprintf(k.cfg.sync.office_public_key, sizeof(k.cfg.sync.office_public_key), "%s", office_hex);
    struct sync_report r;
    must_sync(&k, &r);
    assert_true(r.pulled[0] > 0 && r.pulled[1] > 0);
    /* doctor says whether the kiosk checks (a kiosk.ini without the key: it does not). */
    char script[512], ini[512], args[1200], text[4096];
    static char said[16384];
    test_write_file(k.dir, "reader.script", "sleep 5000\n", script, sizeof(script));
    for (int with_key = 0; with_key < 2; with_key++) {
        snprintf(text, sizeof(text),
                 "[kiosk]\nid = %s\ndatabase = %s\n[sync]\nconninfo = %s\npassword_file = %s\n"
                 "sslmode = disable\nchannel_binding = disable\nconnect_timeout_s = 5\n"
                 "office_public_key = %s\n[reader]\ndriver = sim\nscript = %s\n",
                 k.id, k.cfg.kiosk.database, k.cfg.sync.conninfo, k.cfg.sync.password_file,
                 with_key ? office_hex : "", script);
        test_write_file(k.dir, "doctor.ini", text, ini, sizeof(ini));
        snprintf(args, sizeof(args), "--config '%s' doctor", ini);
        run_admin(args, said, sizeof(said));
        if (!strstr(said, with_key ? "(roster, programme, bookings, credits) is checked against"
                                   : "is not checked against head office's signature")) {
            fprintf(stderr, "%s", said);
            fail_msg("doctor, %s the key", with_key ? "with" : "without");
        }
    }
    /* A badge enrolled at another kiosk since the record: taken. */
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "04A1B2C3D4E5F6", other.keys.site);
    char hex[65], sql[1024], why[1024];
    crypto_hex(hex, hash, sizeof(hash));
    struct event e = {.type = EV_BADGE_ENROLLED, .wall_us = test_at("2023-09-13 15:05")};
    snprintf(e.person, sizeof(e.person), "BIT0002");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"badge\":\"E5F6\",\"badge_hash\":\"%s\",\"trainer\":\"BIT0012\"}", hex);
    assert_int_equal(store_append_event(other.store, &e), STORE_OK);
    must_sync(&other, NULL);
    must_sync(&k, &r);
    assert_int_equal(r.pulled[1], 1);
    /* That badge moved to another member of staff: no kiosk's signed enrolment gives it to
     * them, refused; with an enrolment event forged for them (no kiosk's signature): refused. */
    for (int m = 0; m < 2; m++) {
        if (m == 0)
            snprintf(sql, sizeof(sql),
                     "UPDATE cpd.badges SET staff_no = 'BIT0006' WHERE uid_hash ="
                     " decode('%s', 'hex');",
                     hex);
        else
            snprintf(sql, sizeof(sql),
                     "INSERT INTO cpd.events (kiosk, seq, uuid, type, person, session, wall_us,"
                     " mono_us, clock, payload, prev_hash, hash, sig) SELECT kiosk, 900000,"
                     " gen_random_uuid(), type, 'BIT0006', session, wall_us, mono_us, clock,"
                     " payload, prev_hash, hash, sig FROM cpd.events WHERE type ="
                     " 'badge_enrolled' AND payload LIKE '%%%s%%';"
                     " UPDATE cpd.badges SET staff_no = 'BIT0006' WHERE uid_hash ="
                     " decode('%s', 'hex');",
                     hex, hex);
        owner_sql(sql);
        assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
        if (!strstr(why, "of BIT0006 from the ledger is in no roster head office signed, and no"
                         " kiosk's signed enrolment gives it to them"))
            fail_msg("an enrolled badge moved (%d): %s", m, why);
        snprintf(sql, sizeof(sql),
                 "UPDATE cpd.badges SET staff_no = 'BIT0002' WHERE uid_hash = decode('%s', 'hex');"
                 " ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
                 " DELETE FROM cpd.events WHERE seq = 900000;"
                 " ALTER TABLE cpd.events ENABLE TRIGGER append_only;",
                 hex);
        owner_sql(sql);
        must_sync(&k, &r);
    }
    /* That badge turned off in the ledger (as another kiosk's revocation would), then on
     * again by the owner: this kiosk kept it off for good. */
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.badges SET active = false WHERE uid_hash = decode('%s', 'hex');", hex);
    owner_sql(sql);
    must_sync(&k, &r);
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.badges SET active = true WHERE uid_hash = decode('%s', 'hex');", hex);
    owner_sql(sql);
    must_sync(&k, &r);
    bool kept_off = false;
    assert_int_equal(store_badge_revoked(k.store, hash, &kept_off), STORE_OK);
    assert_true(kept_off);
    /* Gareth's badge moved to Imran behind head office's back: refused, nothing taken. */
    char badge[80];
    if (pgserver_psql(&server,
                      "SELECT encode(uid_hash, 'hex') FROM cpd.badges WHERE staff_no = 'BIT0004'"
                      " AND enrolled_by IS NULL ORDER BY uid_hash LIMIT 1;",
                      badge, sizeof(badge)) != 0)
        fail_msg("%s", badge);
    badge[strcspn(badge, "\n")] = '\0';
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.badges SET staff_no = 'BIT0006' WHERE uid_hash = decode('%s', 'hex');",
             badge);
    owner_sql(sql);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "of BIT0006 from the ledger is not as head office signed the roster"))
        fail_msg("the moved badge: %s", why);
    uint8_t moved[CRYPTO_BADGE_HASH_BYTES];
    assert_int_equal(crypto_unhex(moved, sizeof(moved), badge), 0);
    int64_t id = 0;
    struct person p;
    assert_int_equal(store_badge_lookup(k.store, moved, &id), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &p), STORE_OK);
    assert_int_equal(id, p.id);
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.badges SET staff_no = 'BIT0004' WHERE uid_hash = decode('%s', 'hex');",
             badge);
    owner_sql(sql);
    must_sync(&k, &r);
    /* A renamed person: refused; put back: through. */
    owner_sql("UPDATE cpd.people SET name = name || ' ' WHERE staff_no = 'BIT0003';");
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "person BIT0003 from the ledger is not as head office signed the roster"))
        fail_msg("the renamed person: %s", why);
    owner_sql("UPDATE cpd.people SET name = rtrim(name) WHERE staff_no = 'BIT0003';");
    must_sync(&k, &r);
    /* The newest roster record removed and a row put back to match the older one: the kiosk
     * took the newer already, and refuses the older. (Put back after.) */
    if (import_text(IMPORT_ROSTER,
                    "staff_no,name,academy,role,active,badge_uid\n"
                    "BIT0007,Megan Crompton,Hollins Brook Academy,staff,yes,C2:7F:3A:E5\n",
                    why, sizeof(why)) != SYNC_OK)
        fail_msg("a roster import: %s", why);
    must_sync(&k, &r);
    owner_sql("CREATE TABLE public.kept AS SELECT * FROM cpd.office_log WHERE kind = 'roster'"
              " AND seq = (SELECT max(seq) FROM cpd.office_log);"
              " ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.office_log WHERE seq = (SELECT seq FROM public.kept);"
              " UPDATE cpd.people SET name = name WHERE staff_no = 'BIT0003';");
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "is older than one this kiosk already took"))
        fail_msg("an older roster: %s", why);
    owner_sql("INSERT INTO cpd.office_log SELECT * FROM public.kept; DROP TABLE public.kept;"
              " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;");
    must_sync(&k, &r);
    /* Another key than head office's. */
    k.cfg.sync.office_public_key[0] = k.cfg.sync.office_public_key[0] == 'a' ? 'b' : 'a';
    owner_sql("UPDATE cpd.people SET name = name WHERE staff_no = 'BIT0003';");
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "is not signed by head office's key"))
        fail_msg("another key: %s", why);
    kiosk_close(&k);
    kiosk_close(&other);
}

/* A badge a kiosk revoked (reported lost) stays off when head office imports the same roster
 * again: the lost badge never works again on any kiosk, and verify agrees. (Early: the import
 * needs the roster as head office signed it.) */
static void test_a_revoked_badge_stays_off_after_a_roster_import(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "revoker");
    must_sync(&k, NULL);
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "3F22910C", k.keys.site);
    char hex[65], why[2048], sql[512];
    crypto_hex(hex, hash, sizeof(hash));
    struct event e = {.type = EV_BADGE_REVOKED, .wall_us = test_at("2023-09-20 15:05")};
    snprintf(e.person, sizeof(e.person), "BIT0002");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"badge\":\"910C\",\"badge_hash\":\"%s\",\"by\":\"BIT0012\",\"reason\":\"lost\"}",
             hex);
    assert_int_equal(store_append_event(k.store, &e), STORE_OK);
    must_sync(&k, NULL);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM cpd.badges WHERE uid_hash = decode('%s', 'hex') AND active;",
             hex);
    assert_int_equal(owner_count(sql), 0);
    if (import_text(IMPORT_ROSTER,
                    "staff_no,name,academy,role,active,badge_uid\n"
                    "BIT0002,Daniel Ashworth,Moorside Academy,staff,yes,3F:22:91:0C\n",
                    why, sizeof(why)) != SYNC_OK)
        fail_msg("the roster again: %s", why);
    assert_int_equal(owner_count(sql), 0);
    verify_all(NULL);
    if (strstr(findings, "BAD office rows"))
        fail_msg("%s", strstr(findings, "BAD office rows"));
    kiosk_close(&k);
}

/* ---- a kiosk login against the owner's rights --------------------------------------------- */

static void test_temp_objects_cannot_run_as_the_owner(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "temp-attack");
    add_events(&k, 2);
    char why[512], role[96];
    assert_int_equal(ledger_kiosk_role(k.id, role, sizeof(role)), SYNC_OK);
    /* First line of defence: the guard lets a kiosk login call the ledger's functions only. */
    struct pg *pg = as_kiosk(&k);
    assert_int_equal(
        pg_exec(pg, "CREATE TEMP TABLE push_batch (n bigint)", 0, NULL, NULL, why, sizeof(why)),
        PG_EPERM);
    assert_non_null(strstr(why, "may only call the ledger's functions"));
    pg_close(pg);
    /* Second, without the guard: no TEMP for PUBLIC, no CREATE on public. */
    without_guard(role);
    pg = as_kiosk(&k);
    assert_int_equal(
        pg_exec(pg, "CREATE TEMP TABLE push_batch (n bigint)", 0, NULL, NULL, why, sizeof(why)),
        PG_EPERM);
    assert_null(strstr(why, "may only call"));
    assert_int_equal(
        pg_exec(pg, "CREATE TABLE public.kiosks (x int)", 0, NULL, NULL, why, sizeof(why)),
        PG_EPERM);
    pg_close(pg);
    /* Third: even with TEMP granted, nothing the login creates is used by the functions:
     * temp tables named like ours and temp functions named like built-ins, each of which would
     * make the login a trainer if it ever ran as the owner. (A trigger would need plpgsql,
     * which the ledger's database does not give logins at all.) */
    char grant[256];
    snprintf(grant, sizeof(grant), "GRANT TEMPORARY ON DATABASE cpd TO %s;", role);
    owner_sql(grant);
    pg = as_kiosk(&k);
    assert_int_equal(pg_exec(pg,
                             "CREATE FUNCTION pg_temp.evil() RETURNS trigger LANGUAGE plpgsql AS"
                             " $$ BEGIN RETURN NULL; END $$",
                             0, NULL, NULL, why, sizeof(why)),
                     PG_EPERM);
    assert_non_null(strstr(why, "permission denied for language plpgsql"));
    static const char *const setup[] = {
        "CREATE TEMP TABLE push_batch (n bigint, seq bigint, uuid uuid, type text, person text,"
        " session text, wall_us bigint, mono_us bigint, clock text, payload text,"
        " prev_hash bytea, hash bytea, sig bytea)",
        "CREATE TEMP TABLE kiosks (id text, role name, last_seq bigint)",
        "CREATE TEMP TABLE events (kiosk text, seq bigint)",
        "CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql AS"
        " $$ INSERT INTO cpd.people (staff_no, name, academy, role)"
        " VALUES ('EVIL', 'Evil', 'X', 'trainer') RETURNING 'epoch'::timestamptz $$",
        "CREATE FUNCTION pg_temp.cardinality(anyarray) RETURNS integer LANGUAGE sql AS"
        " $$ INSERT INTO cpd.people (staff_no, name, academy, role)"
        " VALUES ('EVIL', 'Evil', 'X', 'trainer') RETURNING 0 $$",
        "CREATE FUNCTION pg_temp.array_agg(bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT 1 $$",
    };
    for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
        if (pg_exec(pg, setup[i], 0, NULL, NULL, why, sizeof(why)) != PG_OK)
            fail_msg("%s: %s", setup[i], why);
    }
    /* The push goes through and stores the events; the trap never fires. */
    struct raw_batch b = {0};
    for (int seq = 1; seq <= 2; seq++) {
        struct event e;
        local_event(&k, seq, &e);
        raw_add(&b, &e);
    }
    int err = raw_push_in(pg, &b, NULL, why, sizeof(why));
    raw_free(&b);
    if (err != PG_OK)
        fail_msg("push with temp objects around: %s", why);
    pg_close(pg);
    snprintf(grant, sizeof(grant), "REVOKE TEMPORARY ON DATABASE cpd FROM %s;", role);
    owner_sql(grant);
    assert_int_equal(owner_count("SELECT count(*) FROM cpd.people WHERE staff_no = 'EVIL';"), 0);
    assert_int_equal(ledger_events("temp-attack"), 2);
    kiosk_close(&k);
}

static void test_every_security_definer_function_pins_its_search_path(void **state)
{
    (void)state;
    /* The rule, checked on the catalogue: every SECURITY DEFINER function of ours (schema cpd
     * and the extension's) sets search_path to pg_catalog first and pg_temp last. */
    char out[4096];
    assert_int_equal(pgserver_psql(&server,
                                   "SELECT p.oid::regprocedure || ' ' ||"
                                   " coalesce(array_to_string(p.proconfig, ';'), '(none)')"
                                   " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                                   " WHERE p.prosecdef AND n.nspname IN ('cpd', 'cpd_ledger')"
                                   " AND NOT (p.proconfig @> ARRAY["
                                   "'search_path=pg_catalog, cpd, pg_temp']"
                                   " OR p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']);",
                                   out, sizeof(out)),
                     0);
    if (out[0])
        fail_msg("SECURITY DEFINER functions without a pinned search_path:\n%s", out);
    /* And there are such functions to check (the query is not vacuous). */
    assert_true(owner_count("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid ="
                            " p.pronamespace WHERE p.prosecdef AND n.nspname = 'cpd';") >= 10);
}

static void test_a_kiosk_cannot_read_or_push_for_another(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "own-a");
    kiosk_open(&b, "own-b");
    add_events(&a, 3);
    must_sync(&a, NULL);
    /* b asks for its own events back: it gets b's (none), never a's. */
    struct pg *pg = as_kiosk(&b);
    struct pg_result *r = NULL;
    char why[512];
    assert_int_equal(
        pg_exec(pg, "SELECT seq FROM cpd.pull_own_events(0, 1000)", 0, NULL, &r, why, sizeof(why)),
        PG_OK);
    assert_int_equal(pg_rows(r), 0);
    pg_clear(r);
    /* Its status is its own. */
    assert_int_equal(pg_exec(pg, "SELECT kiosk, last_seq FROM cpd.kiosk_status()", 0, NULL, &r, why,
                             sizeof(why)),
                     PG_OK);
    assert_string_equal(pg_value(r, 0, 0), "own-b");
    assert_string_equal(pg_value(r, 0, 1), "0");
    pg_clear(r);
    pg_close(pg);
    /* a's events pushed by b are b's to the ledger: they do not hash as b's. */
    long acked = 0;
    int err = push_events_of(&a, b.cfg.sync.conninfo, b.kiosk_password, 1, 3, NULL, &acked, why,
                             sizeof(why));
    assert_int_equal(err, PG_EQUERY);
    assert_non_null(strstr(why, "hash does not match"));
    assert_int_equal(ledger_events("own-b"), 0);
    kiosk_close(&a);
    kiosk_close(&b);
}

/* ---- what a kiosk login pushes ------------------------------------------------------------ */

/* Events 1..n of the kiosk, sealed again with another key (as someone with the kiosk's
 * password but not its key would). */
static void forged(struct tkiosk *k, int n, struct event *out)
{
    uint8_t pk[CRYPTO_SIGN_PK_BYTES], sk[CRYPTO_SIGN_SK_BYTES];
    crypto_sign_keypair_new(pk, sk);
    for (int i = 0; i < n; i++) {
        local_event(k, i + 1, &out[i]);
        assert_int_equal(event_seal(&out[i], out[i].prev_hash, sk), EVENT_OK);
    }
}

static void test_forged_and_malformed_events_are_refused(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "forged");
    add_events(&k, 3);
    struct event e[3], f[3];
    for (int i = 0; i < 3; i++)
        local_event(&k, i + 1, &e[i]);
    forged(&k, 3, f);
    struct raw_batch b = {0};
    struct raw_fields x;

    /* Signed with another key. */
    raw_add(&b, &f[0]);
    push_expecting(&k, &b, "event seq 1: signature is not kiosk forged's");
    /* A good tip over a forged middle event (the old check looked at the tip only). */
    raw_add(&b, &e[0]);
    raw_add(&b, &f[1]);
    raw_add(&b, &e[2]);
    push_expecting(&k, &b, "event seq 2: signature is not kiosk forged's");
    /* No signature at all: NULL, and all zeros. */
    raw_event_fields(&e[0], &x);
    x.v[11] = NULL;
    raw_add_fields(&b, x.v);
    push_expecting(&k, &b, "is NULL");
    raw_event_fields(&e[0], &x);
    char zeros[140] = "\\x";
    memset(zeros + 2, '0', 128);
    x.v[11] = zeros;
    raw_add_fields(&b, x.v);
    push_expecting(&k, &b, "signature is not");
    /* Reordered, and with a gap. */
    raw_add(&b, &e[1]);
    raw_add(&b, &e[0]);
    push_expecting(&k, &b, "chain break");
    raw_add(&b, &e[0]);
    raw_add(&b, &e[2]);
    push_expecting(&k, &b, "chain break: event seq 3 does not follow seq 1");
    /* An event type no kiosk writes. */
    raw_event_fields(&e[0], &x);
    x.v[2] = "grant_trainer";
    raw_add_fields(&b, x.v);
    push_expecting(&k, &b, "malformed type (unknown)");
    /* A 5 MB payload. */
    char *big = malloc(5 * 1024 * 1024 + 1);
    memset(big, 'x', 5 * 1024 * 1024);
    big[5 * 1024 * 1024] = '\0';
    raw_event_fields(&e[0], &x);
    x.v[8] = big;
    raw_add_fields(&b, x.v);
    push_expecting(&k, &b, "malformed payload (too long)");
    free(big);
    /* Content changed under a valid signature: the hash gives it away. */
    raw_event_fields(&e[0], &x);
    x.v[3] = "BIT0099";
    raw_add_fields(&b, x.v);
    push_expecting(&k, &b, "hash does not match");
    /* Arrays of different lengths; more events than a batch may carry. */
    raw_add(&b, &e[0]);
    raw_append_element(&b, 0, "2");
    push_expecting(&k, &b, "the arrays differ in length");
    for (int i = 0; i < 10001; i++)
        raw_add(&b, &e[0]);
    push_expecting(&k, &b, "10001 events in one batch");
    /* Nothing of it was stored; the kiosk's own sync still works. */
    assert_int_equal(ledger_events("forged"), 0);
    must_sync(&k, NULL);
    assert_int_equal(ledger_events("forged"), 3);
    kiosk_close(&k);
}

/* ---- an owner rewriting history ----------------------------------------------------------- */

/* A push of seqs alone ({1,2,3}, every other array empty) for seqs the ledger already holds
 * is one plain "malformed" error, never taken for tampering. */
static void test_a_malformed_push_is_one_plain_error(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "shapeless");
    add_events(&k, 3);
    must_sync(&k, NULL);
    struct raw_batch b = {0};
    struct event e;
    local_event(&k, 1, &e);
    raw_add(&b, &e);
    raw_append_element(&b, 0, "2");
    raw_append_element(&b, 0, "3");
    push_expecting(&k, &b, "push: malformed batch (the arrays differ in length)");
    assert_int_equal(ledger_events("shapeless"), 3);
    kiosk_close(&k);
}

/* A trust-wide report's copy reads the credit year asked: the ledger's events from before it
 * (last year's taps) are not copied, those from it on all are. */
static void test_a_report_copy_reads_only_the_year_asked(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "two-years");
    assert_int_equal(store_begin(k.store), STORE_OK);
    for (int i = 0; i < 4; i++) {
        struct event e = {.type = EV_NO_SESSION,
                          .wall_us = test_at(i < 3 ? "2022-10-03 12:00" : "2023-09-14 12:00") + i,
                          .mono_us = i};
        snprintf(e.person, sizeof(e.person), "BIT0001");
        snprintf(e.clock, sizeof(e.clock), "synced");
        assert_int_equal(store_append_event(k.store, &e), STORE_OK);
    }
    assert_int_equal(store_commit(k.store), STORE_OK);
    must_sync(&k, NULL);
    int64_t from = test_at("2023-09-01 00:00");
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM cpd.events WHERE wall_us >= %lld;",
             (long long)from);
    long in_year = owner_count(sql);
    struct ledger_target t = admin();
    struct ledger_copy copy;
    char why[512];
    if (ledger_copy_open(&t, &copy, from, why, sizeof(why)) != SYNC_OK)
        fail_msg("copy: %s", why);
    int64_t copied = 0, two_years = 0;
    assert_int_equal(store_count(copy.store, "events", &copied), STORE_OK);
    ledger_copy_close(&copy);
    assert_int_equal(copied, in_year);
    if (ledger_copy_open(&t, &copy, INT64_MIN, why, sizeof(why)) != SYNC_OK)
        fail_msg("copy: %s", why);
    assert_int_equal(store_count(copy.store, "events", &two_years), STORE_OK);
    ledger_copy_close(&copy);
    assert_int_equal(two_years, owner_count("SELECT count(*) FROM cpd.events;"));
    assert_int_equal(two_years - copied, owner_count("SELECT count(*) FROM cpd.events WHERE"
                                                     " wall_us < 1693522800000000;"));
    assert_true(two_years - copied >= 3);
    kiosk_close(&k);
}

static void test_truncate_is_refused(void **state)
{
    (void)state;
    char out[1024];
    assert_int_not_equal(pgserver_psql(&server, "TRUNCATE cpd.events;", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "events is append-only"));
}

static void to_file(void *ctx, const char *line, bool bad)
{
    (void)bad;
    fprintf(ctx, "%s\n", line);
}

/* What a head office keeps nightly, apart from the ledger. */
static void write_checkpoints(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct ledger_target t = admin();
    char why[512];
    assert_int_equal(ledger_checkpoint(&t, to_file, f, why, sizeof(why)), SYNC_OK);
    fclose(f);
}

static void test_tail_and_middle_deletions_are_named(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "tail");
    add_events(&k, 10);
    must_sync(&k, NULL);
    char cp[512];
    snprintf(cp, sizeof(cp), "%s/checkpoints", k.dir);
    write_checkpoints(cp);
    verify_all(cp);
    assert_finding("ok  kiosk tail: 10 events: chain and signatures verified");
    /* The owner deletes the last three events behind the trigger's back. */
    owner_sql("ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.events WHERE kiosk = 'tail' AND seq > 7;"
              " ALTER TABLE cpd.events ENABLE TRIGGER append_only;");
    verify_all(cp);
    assert_finding("BAD kiosk tail: the chain ends at seq 7 but the ledger recorded last_seq 10:"
                   " events 8–10 are missing");
    assert_finding("BAD kiosk tail: event 10 of the checkpoint of ");
    /* ... and covers it up in the kiosk's record too: the checkpoint still knows. */
    owner_sql("UPDATE cpd.kiosks SET last_seq = 7, last_hash = (SELECT hash FROM cpd.events"
              " WHERE kiosk = 'tail' AND seq = 7) WHERE id = 'tail';");
    verify_all(NULL);
    assert_finding("ok  kiosk tail: 7 events");
    verify_all(cp);
    assert_finding("BAD kiosk tail: event 10 of the checkpoint of ");
    assert_finding("is missing (the ledger's chain ends at 7)");
    /* A hole in the middle. */
    owner_sql("ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.events WHERE kiosk = 'tail' AND seq = 4;"
              " ALTER TABLE cpd.events ENABLE TRIGGER append_only;");
    verify_all(NULL);
    assert_finding("BAD kiosk tail: event 5: sequence gap (after 3 good events)");
    kiosk_close(&k);
}

static void test_a_swapped_key_is_named(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "swapped");
    add_events(&k, 4);
    must_sync(&k, NULL);
    /* The owner re-signs the history with a key of their own, consistently everywhere in the
     * database: only the keyring outside it tells. */
    struct event f[4];
    forged(&k, 4, f);
    char sql[4096] = "ALTER TABLE cpd.events DISABLE TRIGGER append_only;", hex[140];
    for (int i = 0; i < 4; i++) {
        crypto_hex(hex, f[i].sig, 64);
        size_t used = strlen(sql);
        snprintf(sql + used, sizeof(sql) - used,
                 " UPDATE cpd.events SET sig = decode('%s', 'hex') WHERE kiosk = 'swapped'"
                 " AND seq = %d;",
                 hex, i + 1);
    }
    strcat(sql, " ALTER TABLE cpd.events ENABLE TRIGGER append_only;");
    owner_sql(sql);
    verify_all(NULL);
    assert_finding("BAD kiosk swapped: event 1: signature does not verify");
    kiosk_close(&k);
}

static void test_a_key_changed_in_the_database_is_named(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "rekeyed");
    add_events(&k, 2);
    must_sync(&k, NULL);
    owner_sql("UPDATE cpd.kiosks SET public_key = decode(repeat('ab', 32), 'hex')"
              " WHERE id = 'rekeyed';"
              " UPDATE cpd.kiosk_keys SET public_key = decode(repeat('ab', 32), 'hex')"
              " WHERE kiosk = 'rekeyed';");
    verify_all(NULL);
    assert_finding("BAD kiosk rekeyed: the ledger's public key differs from the keyring's");
    kiosk_close(&k);
}

/* The owner lowers a kiosk's last_seq and gives it a new key from seq 1 with rotate-key: the
 * ledger takes it, and the keyring gets it, but verify with the checkpoints taken before names
 * the key that re-keys events a checkpoint saw. */
static void test_rotate_key_cannot_re_key_checkpointed_events(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "rekey-all");
    add_events(&k, 3);
    must_sync(&k, NULL);
    char cp[512];
    snprintf(cp, sizeof(cp), "%s/checkpoints", k.dir);
    write_checkpoints(cp);
    verify_all(cp);
    assert_null(strstr(findings, "BAD kiosk rekey-all"));
    owner_sql("UPDATE cpd.kiosks SET last_seq = 0 WHERE id = 'rekey-all';");
    struct ledger_target t = admin();
    char why[512], pk[2 * CRYPTO_SIGN_PK_BYTES + 1];
    memset(pk, 'c', sizeof(pk) - 1);
    pk[sizeof(pk) - 1] = '\0';
    int64_t from = 0;
    if (ledger_rotate_key(&t, "rekey-all", pk, "re-sign everything", 1, keyring, &from, why,
                          sizeof(why)) != SYNC_OK)
        fail_msg("rotate-key: %s", why);
    assert_int_equal(from, 1);
    verify_all(cp);
    assert_finding("BAD kiosk rekey-all: the keyring's key from seq 1 (written ");
    assert_finding(") re-keys events up to 3 that the checkpoint of ");
    kiosk_close(&k);
}

static void test_ghost_kiosks_are_named(void **state)
{
    (void)state;
    /* A kiosk registered in the database only, and events of a kiosk that was never
     * registered anywhere. */
    struct tkiosk g;
    kiosk_open(&g, "ghost-src");
    add_events(&g, 1);
    struct event e;
    local_event(&g, 1, &e);
    char hash[65], prev[65], sig[129], sql[2048];
    crypto_hex(hash, e.hash, 32);
    crypto_hex(prev, e.prev_hash, 32);
    crypto_hex(sig, e.sig, 64);
    owner_sql("INSERT INTO cpd.kiosks (id, public_key, role) VALUES ('ghost',"
              " decode(repeat('cd', 32), 'hex'), 'cpd_kiosk_ghost');");
    snprintf(sql, sizeof(sql),
             "INSERT INTO cpd.events (kiosk, seq, uuid, type, person, session, wall_us, mono_us,"
             " clock, payload, prev_hash, hash, sig) VALUES ('phantom', 1,"
             " gen_random_uuid(), 'sign_in', 'BIT0001', '', 1, 1, 'synced', '{}',"
             " decode('%s', 'hex'), decode('%s', 'hex'), decode('%s', 'hex'));",
             prev, hash, sig);
    owner_sql(sql);
    verify_all(NULL);
    assert_finding("BAD kiosk ghost: registered in the ledger but not in the keyring");
    assert_finding("BAD kiosk phantom: has events but not in the keyring");
    /* And a kiosk in the keyring that the ledger forgot. */
    char why[512];
    assert_int_equal(ledger_keyring_append(keyring, "forgotten", 1, hash, "test", why, sizeof(why)),
                     SYNC_OK);
    verify_all(NULL);
    assert_finding("BAD kiosk forgotten: in the keyring but unknown to the ledger");
    kiosk_close(&g);
}

/* ---- backups ------------------------------------------------------------------------------ */

static void test_a_kiosk_restored_from_an_old_backup_heals(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "restored");
    add_events(&k, 2);
    char backup[512];
    snprintf(backup, sizeof(backup), "%s/backup.db", k.dir);
    store_close(k.store);
    kiosk_copy_file(k.cfg.kiosk.database, backup);
    kiosk_reopen(&k);
    add_events(&k, 2);
    must_sync(&k, NULL);
    assert_int_equal(ledger_events("restored"), 4);
    /* The disk dies; last week's backup goes back in. */
    store_close(k.store);
    kiosk_copy_file(backup, k.cfg.kiosk.database);
    kiosk_reopen(&k);
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.healed, 2);
    assert_int_equal(r.adopted_unreceipted, 0); /* its receipts name them: its own, quietly */
    assert_int_equal(r.pushed, 0);
    struct store_verify_report v;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.events, 4);
    assert_int_equal(v.first_bad_seq, 0);
    /* The next tap continues the chain, and its sync succeeds. */
    add_events(&k, 1);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 1);
    assert_int_equal(ledger_events("restored"), 5);
    kiosk_close(&k);
}

static int run_admin(const char *args, char *out, size_t cap)
{
    char cmd[4300];
    snprintf(cmd, sizeof(cmd), "'%s/cpd-admin' %s 2>&1", CPD_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void kiosk_ini(struct tkiosk *k, char *path, size_t cap)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "[kiosk]\nid = %s\ndatabase = %s\n[sync]\nconninfo = %s\npassword_file = %s\n"
             "sslmode = disable\nchannel_binding = disable\nconnect_timeout_s = 5\n",
             k->id, k->cfg.kiosk.database, k->cfg.sync.conninfo, k->cfg.sync.password_file);
    test_write_file(k->dir, "kiosk.ini", text, path, cap);
}

/* The whole disk copied to a second machine; only the copy taps. The original takes the
 * copy's events back at its next sync (they continue its chain, signed by its key), but its
 * receipts never named them: cpd-admin sync says so loudly with exit status 9. */
static void test_an_original_that_takes_a_clones_events_says_so(void **state)
{
    (void)state;
    struct tkiosk a;
    kiosk_open(&a, "quiet-original");
    add_events(&a, 2);
    must_sync(&a, NULL);
    struct tkiosk b = a;
    test_tempdir(b.dir, sizeof(b.dir));
    snprintf(b.cfg.kiosk.database, sizeof(b.cfg.kiosk.database), "%s/kiosk.db", b.dir);
    store_close(a.store);
    char from[600], to[600];
    kiosk_copy_file(a.cfg.kiosk.database, b.cfg.kiosk.database);
    snprintf(from, sizeof(from), "%s-receipts", a.cfg.kiosk.database);
    snprintf(to, sizeof(to), "%s-receipts", b.cfg.kiosk.database);
    kiosk_copy_file(from, to);
    snprintf(from, sizeof(from), "%s/kiosk.key", a.dir);
    snprintf(to, sizeof(to), "%s/kiosk.key", b.dir);
    kiosk_copy_file(from, to);
    kiosk_reopen(&a);
    kiosk_reopen(&b);
    add_events(&b, 3);
    must_sync(&b, NULL);
    store_close(a.store);
    char ini[512], args[1024], out[4096];
    kiosk_ini(&a, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' sync", ini);
    int status = run_admin(args, out, sizeof(out));
    if (status != 9 || !strstr(out, "3 of the events taken back (seqs 3–5) were never committed"
                                    " on this disk"))
        fail_msg("the original's sync: %d %s", status, out);
    kiosk_reopen(&a);
    store_close(b.store);
    test_rmtree(b.dir);
    kiosk_close(&a);
}

static void test_a_ledger_that_lost_events_is_fed_again_loudly(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "refed");
    add_events(&k, 10);
    must_sync(&k, NULL);
    /* The ledger comes back from a backup taken after seq 5. */
    owner_sql("ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.events WHERE kiosk = 'refed' AND seq > 5;"
              " ALTER TABLE cpd.events ENABLE TRIGGER append_only;"
              " UPDATE cpd.kiosks SET last_seq = 5, last_hash = (SELECT hash FROM cpd.events"
              " WHERE kiosk = 'refed' AND seq = 5) WHERE id = 'refed';");
    char ini[512], args[1024], out[2048];
    kiosk_ini(&k, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' sync", ini);
    assert_int_equal(run_admin(args, out, sizeof(out)), 8);
    if (!strstr(out, "WARNING: the ledger had lost seqs 6–10 that it had acknowledged"))
        fail_msg("cpd-admin sync said:\n%s", out);
    assert_int_equal(ledger_events("refed"), 10);
    /* Whole again: the next sync is quiet. */
    assert_int_equal(run_admin(args, out, sizeof(out)), 0);
    kiosk_close(&k);
}

static void test_a_cloned_kiosk_is_named(void **state)
{
    (void)state;
    struct tkiosk a;
    kiosk_open(&a, "cloned");
    add_events(&a, 3);
    must_sync(&a, NULL);
    /* Someone copies the kiosk's disk — store, keys and password — to a second machine. */
    struct tkiosk b = a;
    test_tempdir(b.dir, sizeof(b.dir));
    snprintf(b.cfg.kiosk.database, sizeof(b.cfg.kiosk.database), "%s/kiosk.db", b.dir);
    store_close(a.store);
    kiosk_copy_file(a.cfg.kiosk.database, b.cfg.kiosk.database);
    char from[300], to[300];
    snprintf(from, sizeof(from), "%s/kiosk.key", a.dir);
    snprintf(to, sizeof(to), "%s/kiosk.key", b.dir);
    kiosk_copy_file(from, to);
    kiosk_reopen(&a);
    kiosk_reopen(&b);
    /* Both go on tapping, differently. */
    add_events(&a, 2);
    add_events(&b, 3);
    must_sync(&a, NULL);
    char why[512];
    struct sync_report r;
    assert_int_equal(sync_now(&b, &r, why, sizeof(why)), SYNC_EDIVERGED);
    /* doctor on the clone says so, with the seq (it said all was well). */
    char script[512], ini[512], args[1200], text[4096];
    static char said[16384];
    test_write_file(b.dir, "reader.script", "sleep 5000\n", script, sizeof(script));
    snprintf(text, sizeof(text),
             "[kiosk]\nid = %s\ndatabase = %s\n[sync]\nconninfo = %s\npassword_file = %s\n"
             "sslmode = disable\nchannel_binding = disable\nconnect_timeout_s = 5\n"
             "[reader]\ndriver = sim\nscript = %s\n",
             b.id, b.cfg.kiosk.database, b.cfg.sync.conninfo, b.cfg.sync.password_file, script);
    test_write_file(b.dir, "doctor.ini", text, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    assert_int_equal(run_admin(args, said, sizeof(said)), 2);
    if (!strstr(said, "diverged: seq "))
        fail_msg("doctor on a diverged clone: %s", said);
    struct event ea, eb;
    char ha[65], hb[65];
    local_event(&a, 5, &ea);
    local_event(&b, 5, &eb);
    crypto_hex(ha, ea.hash, 32);
    crypto_hex(hb, eb.hash, 32);
    char want[300];
    snprintf(want, sizeof(want), "seq 5: the ledger holds hash %s, this kiosk %s", ha, hb);
    if (!strstr(why, want))
        fail_msg("expected \"%s\" in \"%s\"", want, why);
    /* The clone that is behind is named too (at the seq where the chains part). */
    must_sync(&a, NULL);
    add_events(&a, 3); /* a at 8 in the ledger, b at 6 */
    must_sync(&a, NULL);
    store_close(b.store);
    store_close(a.store);
    kiosk_copy_file(a.cfg.kiosk.database, b.cfg.kiosk.database); /* the whole disk: receipts too */
    char receipts_a[600], receipts_b[600];
    snprintf(receipts_a, sizeof(receipts_a), "%s-receipts", a.cfg.kiosk.database);
    snprintf(receipts_b, sizeof(receipts_b), "%s-receipts", b.cfg.kiosk.database);
    kiosk_copy_file(receipts_a, receipts_b);
    kiosk_reopen(&a);
    kiosk_reopen(&b);
    add_events(&a, 1);
    must_sync(&a, NULL);
    add_events(&b, 1); /* both at 9 locally, different 9s; then a pushes 10 */
    add_events(&a, 1);
    must_sync(&a, NULL);
    assert_int_equal(sync_now(&b, &r, why, sizeof(why)), SYNC_EDIVERGED);
    if (!strstr(why, "seq 9: the ledger holds hash"))
        fail_msg("the clone behind: %s", why);
    assert_int_equal(ledger_events("cloned"), 10);
    /* cpd-admin sync says so with exit status 6. */
    char out[2048];
    kiosk_ini(&b, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' sync", ini);
    int status = run_admin(args, out, sizeof(out));
    if (status != 6 || !strstr(out, "DIVERGED"))
        fail_msg("cpd-admin sync of the clone: %d %s", status, out);
    store_close(b.store);
    test_rmtree(b.dir);
    kiosk_close(&a);
}

/* ---- limits -------------------------------------------------------------------------------- */

/* The holder's login pushes its first event inside a transaction it keeps open (its own
 * timeouts off, if asked); head office adds staff_no; the waiter's pull cannot see it yet. */
static struct pg *hold_a_push_open(struct tkiosk *holder, struct tkiosk *waiter, bool no_limits,
                                   const char *staff_no)
{
    char why[512], sql[256];
    struct pg *pg = as_kiosk(holder);
    static const char *const own[] = {"SET statement_timeout = 0",
                                      "SET idle_in_transaction_session_timeout = 0"};
    for (size_t i = 0; no_limits && i < sizeof(own) / sizeof(own[0]); i++)
        assert_int_equal(pg_exec(pg, own[i], 0, NULL, NULL, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_exec(pg, "BEGIN", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    struct raw_batch b = {0};
    struct event e;
    local_event(holder, 1, &e);
    raw_add(&b, &e);
    assert_int_equal(raw_push_in(pg, &b, NULL, why, sizeof(why)), PG_OK);
    raw_free(&b);
    snprintf(sql, sizeof(sql),
             "INSERT INTO cpd.people (staff_no, name, academy, role)"
             " VALUES ('%s', 'Stella Hold', 'Riverside Academy', 'staff');",
             staff_no);
    owner_sql(sql);
    struct person p;
    must_sync(waiter, NULL);
    assert_int_equal(store_person_by_staff_no(waiter->store, staff_no, &p), STORE_ENOTFOUND);
    return pg;
}

static void test_a_kiosk_holding_a_transaction_stalls_no_one_for_long(void **state)
{
    (void)state;
    struct tkiosk slow, other;
    kiosk_idle_timeout_s = 2;
    kiosk_open(&slow, "holder");
    kiosk_idle_timeout_s = 30;
    kiosk_open(&other, "waiter");
    add_events(&slow, 1);
    must_sync(&other, NULL);
    /* The holder takes a transaction id and sits on it; the other kiosk cannot see past it. */
    char why[512];
    struct pg *pg = hold_a_push_open(&slow, &other, false, "STALL1");
    struct person p;
    /* The server ends the idle transaction after its limit; the pull flows again. */
    sleep(3);
    must_sync(&other, NULL);
    assert_int_equal(store_person_by_staff_no(other.store, "STALL1", &p), STORE_OK);
    assert_int_not_equal(pg_exec(pg, "SELECT 1", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    pg_close(pg);
    assert_int_equal(ledger_events("holder"), 0); /* rolled back */
    /* Every kiosk login carries its limits. */
    char out[1024];
    assert_int_equal(pgserver_psql(&server,
                                   "SELECT r.rolconnlimit || ' ' || array_to_string(s.setconfig,"
                                   " ',') FROM pg_roles r JOIN pg_db_role_setting s ON"
                                   " s.setrole = r.oid WHERE r.rolname = 'cpd_kiosk_waiter';",
                                   out, sizeof(out)),
                     0);
    assert_non_null(strstr(out, "statement_timeout=60s"));
    assert_non_null(strstr(out, "idle_in_transaction_session_timeout=30s"));
    assert_int_equal(atoi(out), 4);
    kiosk_close(&slow);
    kiosk_close(&other);
}

static void test_dump_and_restore_keeps_pulls_flowing(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "survivor");
    add_events(&k, 5);
    must_sync(&k, NULL);
    /* docs/head-office.md, "Backups": the roles, then the database. */
    char dir[256], cmd[2048], out[4096];
    test_tempdir(dir, sizeof(dir));
    chmod(dir, 0777);
    /* As the page writes them (umask 077: a dump holds everyone's records and the logins'
     * verifiers), as the superuser. */
    snprintf(cmd, sizeof(cmd),
             "sh -c 'umask 077 && pg_dumpall --globals-only -f %s/globals.sql' &&"
             " sh -c 'umask 077 && pg_dump -Fc -d cpd -f %s/cpd.dump'",
             dir, dir);
    if (pgserver_shell_super(&server, cmd, out, sizeof(out)) != 0)
        fail_msg("backup: %s", out);
    static const char *const dumps[] = {"globals.sql", "cpd.dump"};
    for (int i = 0; i < 2; i++) {
        char path[600];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, dumps[i]);
        assert_int_equal(stat(path, &st), 0);
        if ((st.st_mode & 0777) != 0600)
            fail_msg("%s is written %o, not 0600", dumps[i], (unsigned)(st.st_mode & 0777));
    }
    /* A stolen backup cannot sign: no kiosk's secret key, nor head office's, nor the site key,
     * nor a login's password is in it (threat-model.md, "A stolen backup"). */
    snprintf(cmd, sizeof(cmd), "pg_restore -f %s/cpd.sql %s/cpd.dump", dir, dir);
    if (pgserver_shell_super(&server, cmd, out, sizeof(out)) != 0)
        fail_msg("pg_restore to text: %s", out);
    struct kiosk_keys office;
    assert_int_equal(keys_load_sign(office_key, &office), KEYS_OK);
    char secrets[4][2 * CRYPTO_SIGN_SK_BYTES + 1];
    crypto_hex(secrets[0], k.keys.sign_sk, 32); /* the seed: the secret half */
    crypto_hex(secrets[1], office.sign_sk, 32);
    snprintf(secrets[2], sizeof(secrets[2]), "%s", site_key_hex);
    snprintf(secrets[3], sizeof(secrets[3]), "%s", k.kiosk_password);
    keys_wipe(&office);
    static const char *const texts[] = {"globals.sql", "cpd.sql"};
    for (int i = 0; i < 2; i++) {
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, texts[i]);
        size_t len = 0;
        char *text = test_read_all(path, &len);
        assert_non_null(text);
        assert_true(strstr(text, "cpd.events") || strstr(text, "SCRAM-SHA-256"));
        for (int j = 0; j < 4; j++) {
            if (strstr(text, secrets[j]))
                fail_msg("secret %d is in the backup's %s", j, texts[i]);
        }
        free(text);
    }
    /* Three more taps the old server acknowledged after the backup: lost with it. */
    add_events(&k, 3);
    must_sync(&k, NULL);
    struct pgserver fresh;
    assert_int_equal(pgserver_start_empty(&fresh), 0);
    snprintf(cmd, sizeof(cmd),
             "psql -X -q -f %s/globals.sql >/dev/null 2>&1;"
             " pg_restore --create -d postgres %s/cpd.dump",
             dir, dir);
    if (pgserver_shell_super(&fresh, cmd, out, sizeof(out)) != 0)
        fail_msg("restore: %s", out);
    /* The kiosk is pointed at the new server. */
    snprintf(k.cfg.sync.conninfo, sizeof(k.cfg.sync.conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=cpd_kiosk_survivor", fresh.port);
    struct sync_report r;
    must_sync(&k, &r);
    assert_true(r.full_pull);
    /* The same ledger in another cluster: what it lost is re-sent, and said (exit 8). */
    assert_int_equal(r.pushed, 3);
    assert_int_equal(r.resent_from, 6);
    assert_int_equal(r.resent_to, 8);
    /* A change at head office after the restore reaches the kiosk. */
    char sql[512];
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.people SET name = 'Gareth Restored' WHERE staff_no = 'BIT0004';");
    assert_int_equal(pgserver_psql_as(&fresh, "cpd_owner", server.password, sql, out, sizeof(out)),
                     0);
    must_sync(&k, &r);
    assert_false(r.full_pull);
    assert_int_equal(r.pulled[0], 1);
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &p), STORE_OK);
    assert_string_equal(p.name, "Gareth Restored");
    /* The restored ledger takes new events and verifies against the keyring. */
    add_events(&k, 2);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 2);
    struct ledger_target t = {
        .conninfo = fresh.conninfo, .password = server.password, .timeout_s = 10};
    snprintf(cmd, sizeof(cmd), "host=127.0.0.1 port=%d dbname=cpd user=cpd_owner sslmode=disable",
             fresh.port);
    t.conninfo = cmd;
    struct ledger_keyring ring;
    struct ledger_verify_report v;
    char why[512];
    assert_int_equal(ledger_keyring_load(keyring, &ring, why, sizeof(why)), SYNC_OK);
    findings[0] = '\0';
    assert_int_equal(ledger_verify(&t, &ring, NULL, collect, NULL, &v, why, sizeof(why)), SYNC_OK);
    ledger_keyring_free(&ring);
    assert_finding("ok  kiosk survivor: 10 events: chain and signatures verified");
    if (strstr(findings, "BAD schema"))
        fail_msg("the restored schema does not match its digest:\n%s", findings);
    /* The restored database keeps its hardening. */
    assert_int_equal(pgserver_psql_as(&fresh, "cpd_kiosk_survivor", k.kiosk_password,
                                      "CREATE TEMP TABLE x (y int);", out, sizeof(out)) != 0,
                     true);
    assert_non_null(strstr(out, "permission denied"));
    pgserver_destroy(&fresh);
    test_rmtree(dir);
    kiosk_close(&k);
}

/* ---- what flows ----------------------------------------------------------------------------- */

static void test_an_enrolment_reaches_every_kiosk(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "enrol-a");
    kiosk_open(&b, "enrol-b");
    must_sync(&a, NULL);
    must_sync(&b, NULL);
    /* A trainer at kiosk a enrols a new badge for Gareth (BIT0004). */
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "04AABBCCDDEEFF", a.keys.site);
    char hex[65];
    crypto_hex(hex, hash, sizeof(hash));
    struct event e = {.type = EV_BADGE_ENROLLED, .wall_us = test_at("2023-09-13 15:05")};
    snprintf(e.person, sizeof(e.person), "BIT0004");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"trainer\":\"BIT0012\",\"badge\":\"EEFF\",\"badge_hash\":\"%s\"}", hex);
    assert_int_equal(store_append_event(a.store, &e), STORE_OK);
    must_sync(&a, NULL);
    struct sync_report r;
    must_sync(&b, &r);
    assert_int_equal(r.pulled[1], 1);
    int64_t id = 0;
    struct person p;
    assert_int_equal(store_badge_lookup(b.store, hash, &id), STORE_OK);
    assert_int_equal(store_person_by_staff_no(b.store, "BIT0004", &p), STORE_OK);
    assert_int_equal(id, p.id);
    /* An enrolment of a badge head office already gave someone (BIT0005's, from the roster)
     * changes nothing. */
    uint8_t given[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(given, "5DE107B4", a.keys.site);
    crypto_hex(hex, given, sizeof(given));
    e = (struct event){.type = EV_BADGE_ENROLLED, .wall_us = test_at("2023-09-13 15:06")};
    snprintf(e.person, sizeof(e.person), "BIT0006");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"trainer\":\"BIT0012\",\"badge\":\"07B4\",\"badge_hash\":\"%s\"}", hex);
    assert_int_equal(store_append_event(a.store, &e), STORE_OK);
    must_sync(&a, NULL);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM cpd.badges WHERE uid_hash = decode('%s', 'hex')"
             " AND staff_no = 'BIT0005';",
             hex);
    assert_int_equal(owner_count(sql), 1);
    kiosk_close(&a);
    kiosk_close(&b);
}

static void test_kiosks_pull_only_what_they_show_and_the_office_reads_views(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "minimal");
    must_sync(&k, NULL);
    struct pg *pg = as_kiosk(&k);
    char why[512];
    assert_int_equal(pg_exec(pg, "SELECT certificate FROM cpd.pull_external_credits('0', '0')", 0,
                             NULL, NULL, why, sizeof(why)),
                     PG_EQUERY);
    assert_int_equal(pg_exec(pg, "SELECT note FROM cpd.pull_external_credits('0', '0')", 0, NULL,
                             NULL, why, sizeof(why)),
                     PG_EQUERY);
    pg_close(pg);
    /* The demo credits have certificate numbers at head office; the kiosk knows only that
     * there is one. */
    char out[1024];
    assert_true(owner_count("SELECT count(*) FROM cpd.external_credits WHERE certificate <> '';") >
                0);
    struct person p;
    struct external_credit x[64];
    size_t n = 0;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0003", &p), STORE_OK);
    assert_int_equal(store_external_for(k.store, p.id, x, 64, &n), STORE_OK);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++)
        assert_true(x[i].has_certificate || x[i].source != SOURCE_PRERECORDED);
    /* An office login reads the report views and nothing else. */
    pg = NULL;
    char verifier[512];
    assert_int_equal(connect_as(server.conninfo, server.password, &pg, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_scram_verifier(pg, "cpd_office_reports", "office-pw-0123456789", verifier,
                                       sizeof(verifier), why, sizeof(why)),
                     PG_OK);
    const char *v[] = {verifier};
    assert_int_equal(pg_exec(pg,
                             "SELECT cpd_ledger.create_login('office', 'cpd_office_reports', $1)",
                             1, v, NULL, why, sizeof(why)),
                     PG_OK);
    /* The same function refuses to touch a role that is not such a login. */
    assert_int_equal(pg_exec(pg, "SELECT cpd_ledger.create_login('office', 'cpd_owner', $1)", 1, v,
                             NULL, why, sizeof(why)),
                     PG_EQUERY);
    assert_int_equal(pg_exec(pg, "SELECT cpd_ledger.create_login('kiosk', 'cpd_kiosk_x', 'plain')",
                             0, NULL, NULL, why, sizeof(why)),
                     PG_EQUERY);
    assert_non_null(strstr(why, "SCRAM-hashed"));
    pg_close(pg);
    assert_int_equal(pgserver_psql_as(&server, "cpd_office_reports", "office-pw-0123456789",
                                      "SELECT count(*) FROM cpd.office_people;", out, sizeof(out)),
                     0);
    assert_true(atoi(out) >= 13);
    static const char *const closed[] = {
        "SELECT count(*) FROM cpd.people;", "SELECT count(*) FROM cpd.badges;",
        "SELECT count(*) FROM cpd.events;", "SELECT count(*) FROM cpd.kiosks;"};
    for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++) {
        assert_int_not_equal(pgserver_psql_as(&server, "cpd_office_reports", "office-pw-0123456789",
                                              closed[i], out, sizeof(out)),
                             0);
        assert_non_null(strstr(out, "permission denied"));
    }
    /* The events the office reads carry no badge hash (schema 7); the ledger holds them. */
    assert_true(owner_count("SELECT count(*) FROM cpd.events WHERE payload LIKE '%badge_hash%';") >
                0);
    assert_int_equal(pgserver_psql_as(&server, "cpd_office_reports", "office-pw-0123456789",
                                      "SELECT count(*) || ' ' || count(*) FILTER (WHERE payload"
                                      " LIKE '%badge_hash%') FROM cpd.office_events WHERE type IN"
                                      " ('badge_enrolled', 'unknown_badge', 'badge_revoked');",
                                      out, sizeof(out)),
                     0);
    if (atoi(out) == 0 || !strstr(out, " 0"))
        fail_msg("the office's events (with badge events, none with a hash): %s", out);
    kiosk_close(&k);
}

static void test_a_login_can_be_given_a_new_password_or_turned_off(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "lost-pw");
    must_sync(&k, NULL);
    /* A new password: add-kiosk again with the same key. */
    char pk[65], why[512], role[96];
    crypto_hex(pk, k.keys.sign_pk, sizeof(k.keys.sign_pk));
    struct ledger_target t = admin();
    struct ledger_kiosk lk = {k.id, pk, "a-new-password", 60, 30, 2};
    assert_int_equal(ledger_add_kiosk(&t, &lk, keyring, role, sizeof(role), why, sizeof(why)),
                     SYNC_OK);
    struct sync_report r;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EAUTH);
    char pwpath[512];
    test_write_file(k.dir, "ledger.pw", "a-new-password", pwpath, sizeof(pwpath));
    chmod(pwpath, 0600);
    must_sync(&k, NULL);
    /* Turned off: no login at all. The owner cannot turn off anything else this way. */
    owner_sql("SELECT cpd_ledger.disable_login('cpd_kiosk_lost_pw');");
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EAUTH);
    /* A new password turns it on again. */
    assert_int_equal(ledger_add_kiosk(&t, &lk, keyring, role, sizeof(role), why, sizeof(why)),
                     SYNC_OK);
    must_sync(&k, NULL);
    owner_sql("SELECT cpd_ledger.disable_login('cpd_kiosk_lost_pw');");
    char out[1024];
    assert_int_not_equal(
        pgserver_psql(&server, "SELECT cpd_ledger.disable_login('cpd_owner');", out, sizeof(out)),
        0);
    assert_non_null(strstr(out, "is not a kiosk or office login"));
    kiosk_close(&k);
}

static void test_the_extension_is_the_owners_and_refuses_nulls(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "ext-nulls");
    char why[512];
    struct pg *pg = as_kiosk(&k);
    /* The batch check took a NULL key array and crashed the server; now nobody but the owner
     * may call it, and it refuses NULLs. */
    static const char *const call =
        "SELECT cpd_ledger.check_events('x', 0, decode(repeat('00', 32), 'hex'), '{1}',"
        " ARRAY[NULL]::bytea[], '{1}', '{u}', '{sign_in}', '{p}', '{s}', '{1}', '{1}', '{c}',"
        " '{x}', ARRAY[decode(repeat('00', 32), 'hex')], ARRAY[decode(repeat('00', 32), 'hex')],"
        " ARRAY[decode(repeat('00', 64), 'hex')])";
    assert_int_equal(pg_exec(pg, call, 0, NULL, NULL, why, sizeof(why)), PG_EPERM);
    /* No transaction id and no large objects outside our functions either. */
    assert_int_equal(pg_exec(pg, "SELECT pg_current_xact_id()", 0, NULL, NULL, why, sizeof(why)),
                     PG_EPERM);
    assert_int_equal(pg_exec(pg, "SELECT lo_from_bytea(0, 'x')", 0, NULL, NULL, why, sizeof(why)),
                     PG_EPERM);
    assert_int_equal(pg_exec(pg, "SELECT lo_create(0)", 0, NULL, NULL, why, sizeof(why)), PG_EPERM);
    pg_close(pg);
    char out[1024], sql[1200];
    snprintf(sql, sizeof(sql), "%s;", call);
    assert_int_not_equal(pgserver_psql(&server, sql, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "is NULL"));
    assert_int_not_equal(
        pgserver_psql(&server,
                      "SELECT cpd_ledger.check_events(NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL,"
                      " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
                      out, sizeof(out)),
        0);
    assert_non_null(strstr(out, "is NULL"));
    /* The server is still up. */
    assert_int_equal(owner_count("SELECT 1;"), 1);
    kiosk_close(&k);
}

static void test_a_kiosk_that_turns_off_its_own_limits_is_ended(void **state)
{
    (void)state;
    struct tkiosk slow, other;
    kiosk_open(&slow, "limitless");
    kiosk_open(&other, "patient");
    add_events(&slow, 1);
    must_sync(&other, NULL);
    owner_sql("UPDATE cpd.ledger SET stall_limit_s = 2;");
    /* Without the guard (which refuses SET), the holder switches its timeouts off, takes a
     * transaction id through a push and sits. */
    without_guard("cpd_kiosk_limitless");
    char why[512];
    struct pg *pg = hold_a_push_open(&slow, &other, true, "STALL2");
    struct person p;
    /* Past the ledger's limit, the next sync of any kiosk ends the holder; its own pull then
     * flows (the one after, since this one's snapshot was taken before). */
    sleep(3);
    must_sync(&other, NULL);
    must_sync(&other, NULL);
    assert_int_equal(store_person_by_staff_no(other.store, "STALL2", &p), STORE_OK);
    assert_int_not_equal(pg_exec(pg, "SELECT 1", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    pg_close(pg);
    owner_sql("UPDATE cpd.ledger SET stall_limit_s = 60;");
    kiosk_close(&slow);
    kiosk_close(&other);
}

/* repeat('x', 16) called by the fast-path protocol (libpq's PQfn: no statement, nothing parsed)
 * as role: the server's error ("" when the call went through). Any function the login may
 * execute could be called so — repeat('x', 400000000) too — but PQfn copies the result into a
 * buffer of the caller's, with no size: a short one, so a call that goes through fails the
 * test instead of overrunning it. */
static void fast_path_repeat(const char *role, const char *password, char *error, size_t cap)
{
    char oid[32], conninfo[512];
    owner_value("SELECT 'repeat(text,integer)'::regprocedure::oid;", oid, sizeof(oid));
    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s password=%s sslmode=disable", server.port,
             role, password);
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("login as %s: %s", role, PQerrorMessage(conn));
    static char result[64];
    int result_len = 0;
    PQArgBlock args[2] = {{.len = 1, .isint = 0, .u.ptr = (int *)"x"},
                          {.len = 4, .isint = 1, .u.integer = 16}};
    PGresult *res = PQfn(conn, (int)strtol(oid, NULL, 10), (int *)result, &result_len, 0, args, 2);
    snprintf(error, cap, "%s",
             PQresultStatus(res) == PGRES_COMMAND_OK ? "" : PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(conn);
}

/* A copied kiosk password alone (no key): whatever it sends, the server bounds what it costs —
 * the guard refuses everything but the sync's calls, so no 10 GB of temp files, no 400 MB
 * string, no SET, no DO; the limits it asks for at connection are overridden; other kiosks are
 * served throughout. An office login keeps its statement limit whatever it SETs. */
/* SELECT $1::text with the parameter typed as type_oid by the client (libpq's paramTypes):
 * the server's error, or "" when it answered. */
static void typed_parameter(const char *role, const char *password, unsigned type_oid,
                            const char *value, char *error, size_t cap)
{
    char conninfo[512];
    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s password=%s sslmode=disable", server.port,
             role, password);
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("login as %s: %s", role, PQerrorMessage(conn));
    Oid types[] = {type_oid};
    const char *values[] = {value};
    PGresult *res = PQexecParams(conn, "SELECT $1::text", 1, types, values, NULL, NULL, 0);
    snprintf(error, cap, "%s",
             PQresultStatus(res) == PGRES_TUPLES_OK ? "" : PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(conn);
}

static void test_a_copied_kiosk_password_cannot_exhaust_the_server(void **state)
{
    (void)state;
    struct tkiosk k, other;
    kiosk_idle_timeout_s = 2;
    kiosk_open(&k, "copied");
    kiosk_idle_timeout_s = 30;
    kiosk_open(&other, "serving");
    add_events(&k, 2);
    char why[512];
    struct pg *pg = as_kiosk(&k);
    static const char *const refused[] = {
        "SELECT count(*) FROM (SELECT g FROM generate_series(1, 1000000000) g ORDER BY g DESC) s",
        "SELECT length(repeat('x', 400000000))",
        "SELECT repeat(cpd.schema()::text, 100000000)",
        "SELECT cpd.schema() FROM generate_series(1, 100000000)",
        "SELECT * FROM cpd.pull_people('0', '1') p, generate_series(1, 100000) g",
        "SELECT * FROM cpd.pull_people('0', '1') ORDER BY (SELECT 1)",
        "WITH x AS (SELECT cpd.schema()) SELECT * FROM x",
        "SELECT pg_sleep(3600)",
        "SET statement_timeout = 0",
        "SET LOCAL work_mem = '1GB'",
        "RESET ALL",
        "SELECT set_config('statement_timeout', '0', false)",
        "DO $$ BEGIN PERFORM 1; END $$",
        "ALTER ROLE cpd_kiosk_copied SET statement_timeout = 0",
        "COPY (SELECT 1) TO STDOUT",
        "SELECT * FROM cpd.kiosks",
        "PREPARE p AS SELECT 1",
        "SELECT CASE WHEN true THEN cpd.schema() END",
        "SELECT * FROM cpd.pull_people('0', '1') a, cpd.pull_people('0', '1') b",
        "SELECT cpd.schema()::text || 'a' || 'a' || 'a' || 'a' || 'a'",
        /* what the catalogue holds, told by a cast (of a name that exists: one that does not
         * fails while the statement is parsed, before the guard: threat-model.md) */
        "SELECT 'cpd_kiosk'::regrole",
        "SELECT 'cpd.events'::regclass::oid",
        "SELECT 'pg_read_file(text)'::regprocedure FROM cpd.schema()",
        /* a constant longer than any the sync sends */
        "SELECT * FROM cpd.pull_office_record('roster' || repeat('x', 300))",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (pg_exec(pg, refused[i], 0, NULL, NULL, why, sizeof(why)) != PG_EPERM ||
            !strstr(why, "may only call the ledger's functions"))
            fail_msg("%s: not refused by the guard (%s)", refused[i], why);
    }
    /* A padded cast folded by the planner, which does not look at the statement timeout: 300
     * of ''::char(10485760) held a backend at a gigabyte for four minutes. Refused for both
     * logins, before planning. */
    char padded[8192];
    size_t used = (size_t)snprintf(padded, sizeof(padded), "SELECT ");
    for (int i = 0; i < 300; i++)
        used +=
            (size_t)snprintf(padded + used, sizeof(padded) - used, "''::char(10485760)::text, ");
    snprintf(padded + used, sizeof(padded) - used, "1 LIMIT 0");
    int64_t before = clock_monotonic_us();
    if (pg_exec(pg, padded, 0, NULL, NULL, why, sizeof(why)) == PG_OK ||
        !strstr(why, "may not make a char(n) or bit(n) value longer than 1024"))
        fail_msg("300 padded casts: not refused (%s)", why);
    assert_true(clock_monotonic_us() - before < 10 * US_PER_S);
    if (pg_exec(pg, "SELECT B'1'::bit(2000000) FROM cpd.schema()", 0, NULL, NULL, why,
                sizeof(why)) == PG_OK ||
        !strstr(why, "char(n) or bit(n)"))
        fail_msg("a padded bit string: not refused (%s)", why);
    /* A parameter copied by ||: $1 || $1 || … made one megabyte into gigabytes. */
    const char *megabyte[] = {"x"};
    if (pg_exec(pg, "SELECT * FROM cpd.pull_office_record($1::text || $1)", 1, megabyte, NULL, why,
                sizeof(why)) != PG_EPERM ||
        !strstr(why, "joins a parameter with ||"))
        fail_msg("a parameter joined with ||: not refused by the guard (%s)", why);
    pg_close(pg);
    /* What the sync sends still goes through, and the other kiosk was served meanwhile. */
    must_sync(&k, NULL);
    must_sync(&other, NULL);
    assert_int_equal(ledger_events("copied"), 2);
    /* Limits asked for at connection are overridden: its idle-in-transaction limit (2 s) ends a
     * session that asked for none. */
    char sql[512], out[2048];
    snprintf(sql, sizeof(sql),
             "BEGIN;\nSELECT cpd.schema();\n\\! sleep 3\nSELECT 'still here' FROM cpd.schema();\n");
    setenv("PGOPTIONS",
           "-c idle_in_transaction_session_timeout=0 -c statement_timeout=0 -c work_mem=1GB", 1);
    int rc = pgserver_psql_as(&server, "cpd_kiosk_copied", k.kiosk_password, sql, out, sizeof(out));
    unsetenv("PGOPTIONS");
    if (rc == 0 || strstr(out, "still here"))
        fail_msg("a session that asked for no idle limit kept its transaction: %s", out);
    assert_non_null(strstr(out, "idle-in-transaction timeout"));
    /* Connections held open and silent (all 4 its limit allows) end at its idle limit (2 s),
     * so they keep the kiosk out no longer; one that asked to stay does not either. */
    struct pg *silent[4];
    for (int i = 0; i < 4; i++)
        silent[i] = as_kiosk(&k);
    if (sync_now(&k, NULL, why, sizeof(why)) == SYNC_OK)
        fail_msg("a fifth connection got in past the login's limit of 4");
    sleep(3);
    must_sync(&k, NULL);
    for (int i = 0; i < 4; i++)
        pg_close(silent[i]);
    setenv("PGOPTIONS", "-c idle_session_timeout=0", 1);
    rc =
        pgserver_psql_as(&server, "cpd_kiosk_copied", k.kiosk_password,
                         "\\! sleep 4\nSELECT 'still here' FROM cpd.schema();\n", out, sizeof(out));
    unsetenv("PGOPTIONS");
    if (rc == 0 || strstr(out, "still here"))
        fail_msg("a silent session that asked for no idle limit stayed: %s", out);
    /* An office login: SET cannot lift its statement limit (here 1 s); its temp files are
     * capped. */
    struct pg *owner = NULL;
    char verifier[512];
    assert_int_equal(connect_as(server.conninfo, server.password, &owner, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_scram_verifier(owner, "cpd_office_hurried", "hurried-pw-0123456789",
                                       verifier, sizeof(verifier), why, sizeof(why)),
                     PG_OK);
    const char *v[] = {verifier};
    assert_int_equal(pg_exec(owner,
                             "SELECT cpd_ledger.create_login('office', 'cpd_office_hurried', $1,"
                             " 1, 30, 2)",
                             1, v, NULL, why, sizeof(why)),
                     PG_OK);
    pg_close(owner);
    rc = pgserver_psql_as(&server, "cpd_office_hurried", "hurried-pw-0123456789",
                          "SHOW temp_file_limit;\nSET statement_timeout = 0;\n", out, sizeof(out));
    if (rc == 0 || !strstr(out, "limits are head office's") || !strstr(out, "1GB"))
        fail_msg("an office login set its statement limit: %s", out);
    setenv("PGOPTIONS", "-c statement_timeout=0", 1);
    rc = pgserver_psql_as(&server, "cpd_office_hurried", "hurried-pw-0123456789",
                          "SELECT set_config('statement_timeout', '0', false);\n"
                          "SELECT pg_sleep(5);\n",
                          out, sizeof(out));
    unsetenv("PGOPTIONS");
    if (rc == 0 || !strstr(out, "limits are head office's (set_config)"))
        fail_msg("an office login lifted its statement limit: %s", out);
    rc = pgserver_psql_as(&server, "cpd_office_hurried", "hurried-pw-0123456789",
                          "SELECT length(''::char(10485760)::text);\n", out, sizeof(out));
    if (rc == 0 || !strstr(out, "may not make a char(n) or bit(n) value longer than 1024"))
        fail_msg("an office login padded a value: %s", out);
    /* … nor its work memory for the rest of one statement (a sort then held 256 MB). */
    rc = pgserver_psql_as(&server, "cpd_office_hurried", "hurried-pw-0123456789",
                          "SELECT count(*) FROM (SELECT set_config('work_mem', '1000000', true)) s"
                          " CROSS JOIN LATERAL (SELECT g FROM generate_series(1, 10) g ORDER BY g"
                          " DESC) x;\n",
                          out, sizeof(out));
    if (rc == 0 || !strstr(out, "limits are head office's (set_config)"))
        fail_msg("an office login raised its work memory within a statement: %s", out);
    /* Another role taken at connection (role=) or by SET ROLE, or a larger hash table: the
     * login is still the session's, and its limits hold. */
    setenv("PGOPTIONS", "-c role=cpd_office", 1);
    rc = pgserver_psql_as(&server, "cpd_office_hurried", "hurried-pw-0123456789",
                          "SET statement_timeout = 0;\n", out, sizeof(out));
    unsetenv("PGOPTIONS");
    if (rc == 0 || !strstr(out, "limits are head office's"))
        fail_msg("an office login under its group's role lifted its limit: %s", out);
    static const char *const office_sets[] = {"SET ROLE cpd_office;\n",
                                              "SET hash_mem_multiplier = 1000;\n",
                                              "SET SESSION AUTHORIZATION cpd_office_hurried;\n"};
    for (int i = 0; i < 3; i++) {
        rc = pgserver_psql_as(&server, "cpd_office_hurried", "hurried-pw-0123456789",
                              office_sets[i], out, sizeof(out));
        if (rc == 0 || !strstr(out, "limits are head office's"))
            fail_msg("an office login ran %s: %s", office_sets[i], out);
    }
    setenv("PGOPTIONS", "-c role=cpd_kiosk", 1);
    rc = pgserver_psql_as(&server, "cpd_kiosk_copied", k.kiosk_password,
                          "SELECT count(*) FROM pg_class;\n", out, sizeof(out));
    unsetenv("PGOPTIONS");
    if (rc == 0 || !strstr(out, "a kiosk login may only call the ledger's functions"))
        fail_msg("a kiosk login under its group's role ran a query: %s", out);
    /* Neither login prepares a transaction (it would hold its locks and snapshot past the
     * session, with no limit), nor calls a function by the fast path, which no statement
     * carries for the guard to see. */
    rc = pgserver_psql_as(&server, "cpd_kiosk_copied", k.kiosk_password,
                          "BEGIN;\nSELECT cpd.schema();\nPREPARE TRANSACTION 'kept';\n", out,
                          sizeof(out));
    if (rc == 0 || !strstr(out, "may not prepare a transaction"))
        fail_msg("a kiosk login prepared a transaction: %s", out);
    rc = pgserver_psql_as(&server, "cpd_office_hurried", "hurried-pw-0123456789",
                          "BEGIN;\nSELECT 1;\nPREPARE TRANSACTION 'kept';\n", out, sizeof(out));
    if (rc == 0 || !strstr(out, "may not prepare a transaction"))
        fail_msg("an office login prepared a transaction: %s", out);
    /* A parameter the client types regclass or regrole: looked up in the catalogue as it is
     * bound (outside review: OIDs 16384 on listed every relation). Refused as parsed. */
    static const unsigned catalogue_types[] = {2205 /* regclass */, 4096 /* regrole */};
    for (size_t i = 0; i < sizeof(catalogue_types) / sizeof(catalogue_types[0]); i++) {
        typed_parameter("cpd_kiosk_copied", k.kiosk_password, catalogue_types[i],
                        i == 0 ? "1260" : "cpd_kiosk", out, sizeof(out));
        if (!strstr(out, "has a parameter of a type the sync never sends"))
            fail_msg("a parameter typed %u: %s", catalogue_types[i], out[0] ? out : "answered");
    }
    fast_path_repeat("cpd_kiosk_copied", k.kiosk_password, out, sizeof(out));
    if (!strstr(out, "may not call a function by the fast-path protocol"))
        fail_msg("a kiosk login's fast-path call: %s", out[0] ? out : "went through");
    fast_path_repeat("cpd_office_hurried", "hurried-pw-0123456789", out, sizeof(out));
    if (!strstr(out, "may not call a function by the fast-path protocol"))
        fail_msg("an office login's fast-path call: %s", out[0] ? out : "went through");
    must_sync(&k, NULL); /* the sync itself is untouched */
    kiosk_close(&k);
    kiosk_close(&other);
}

/* A login made before the guard existed (or whose setting a superuser removed) gets it back
 * from the next ledger init, which head office runs after every upgrade. */
static void test_ledger_init_gives_every_login_the_guard(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "older");
    without_guard("cpd_kiosk_older");
    static const char guarded[] =
        "SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
        " WHERE r.rolname = 'cpd_kiosk_older'"
        " AND s.setconfig @> ARRAY['session_preload_libraries=cpd_ledger'];";
    assert_int_equal(owner_count(guarded), 0);
    struct ledger_target t = admin();
    struct ledger_init init = {.keyring = keyring};
    char why[512];
    if (ledger_init(&t, &init, why, sizeof(why)) != SYNC_OK)
        fail_msg("ledger init: %s", why);
    assert_int_equal(owner_count(guarded), 1);
    struct pg *pg = as_kiosk(&k);
    assert_int_equal(pg_exec(pg, "SELECT repeat('x', 9)", 0, NULL, NULL, why, sizeof(why)),
                     PG_EPERM);
    pg_close(pg);
    must_sync(&k, NULL);
    kiosk_close(&k);
}

/* verify --ledger while kiosks push: one snapshot, so a kiosk's record and its chain are read
 * at the same moment and a push in between is no "tampering". Four kiosks push 30 batches each
 * from child processes while verify runs again and again. */
static void test_verify_raises_no_false_alarm_while_kiosks_push(void **state)
{
    (void)state;
    enum { KIOSKS = 4, BATCHES = 30 };
    struct tkiosk k[KIOSKS];
    for (int i = 0; i < KIOSKS; i++) {
        char id[32];
        snprintf(id, sizeof(id), "busy-%d", i);
        kiosk_open(&k[i], id);
        add_events(&k[i], 3);
        must_sync(&k[i], NULL);
    }
    /* (Other tests' kiosks in this ledger were tampered with on purpose: only ours count.) */
    verify_all(NULL);
    assert_null(strstr(findings, "BAD kiosk busy-"));
    pid_t pids[KIOSKS];
    for (int i = 0; i < KIOSKS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char why[512];
            for (int b = 0; b < BATCHES; b++) {
                add_events(&k[i], 5);
                if (sync_now(&k[i], NULL, why, sizeof(why)) != SYNC_OK)
                    _exit(1);
            }
            _exit(0);
        }
    }
    int rounds = 0, running = KIOSKS, status[KIOSKS] = {0};
    bool done[KIOSKS] = {false};
    while (running > 0) {
        verify_all(NULL);
        if (strstr(findings, "BAD kiosk busy-"))
            fail_msg("verify named a kiosk while it pushed:\n%s", findings);
        rounds++;
        for (int i = 0; i < KIOSKS; i++) {
            if (!done[i] && waitpid(pids[i], &status[i], WNOHANG) == pids[i]) {
                done[i] = true;
                running--;
            }
        }
    }
    for (int i = 0; i < KIOSKS; i++) {
        assert_true(WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0);
        assert_int_equal(ledger_events(k[i].id), 3 + 5 * BATCHES);
        kiosk_close(&k[i]);
    }
    assert_true(rounds >= 2);
    verify_all(NULL);
    assert_null(strstr(findings, "BAD kiosk busy-"));
    assert_non_null(strstr(findings, "kiosk busy-3: 153 events: chain and signatures verified"));
}

static void test_what_a_login_sets_for_itself_goes_with_add_kiosk(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "self-set");
    char why[512], role[96];
    /* The guard refuses it; */
    struct pg *pg = as_kiosk(&k);
    assert_int_equal(pg_exec(pg, "ALTER ROLE cpd_kiosk_self_set SET work_mem = '1GB'", 0, NULL,
                             NULL, why, sizeof(why)),
                     PG_EPERM);
    pg_close(pg);
    /* without it, with only the password: settings for the role, and for the role in this
     * database. */
    without_guard("cpd_kiosk_self_set");
    pg = as_kiosk(&k);
    static const char *const own[] = {
        "ALTER ROLE cpd_kiosk_self_set SET default_transaction_read_only = on",
        "ALTER ROLE cpd_kiosk_self_set IN DATABASE cpd SET client_encoding = 'WIN1252'"};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        assert_int_equal(pg_exec(pg, own[i], 0, NULL, NULL, why, sizeof(why)), PG_OK);
    pg_close(pg);
    /* The kiosk sets its own session: it still pushes, and text arrives as UTF-8. */
    owner_sql("UPDATE cpd.people SET name = 'Zoë Ashworth–Smith' WHERE staff_no = 'BIT0006';");
    add_events(&k, 1);
    must_sync(&k, NULL);
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0006", &p), STORE_OK);
    assert_string_equal(p.name, "Zoë Ashworth–Smith");
    /* Head office's add-kiosk (same key, same or new password) clears both. */
    char pk[65];
    crypto_hex(pk, k.keys.sign_pk, sizeof(k.keys.sign_pk));
    struct ledger_target t = admin();
    struct ledger_kiosk lk = {k.id, pk, k.kiosk_password, 60, 30, 4};
    assert_int_equal(ledger_add_kiosk(&t, &lk, keyring, role, sizeof(role), why, sizeof(why)),
                     SYNC_OK);
    assert_int_equal(owner_count("SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r"
                                 " ON r.oid = s.setrole WHERE r.rolname = 'cpd_kiosk_self_set'"
                                 " AND s.setdatabase <> 0;"),
                     0);
    char out[1024];
    assert_int_equal(pgserver_psql(&server,
                                   "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting"
                                   " s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname ="
                                   " 'cpd_kiosk_self_set';",
                                   out, sizeof(out)),
                     0);
    assert_null(strstr(out, "read_only"));
    assert_non_null(strstr(out, "session_preload_libraries=cpd_ledger")); /* the guard is back */
    must_sync(&k, NULL);
    kiosk_close(&k);
}

static void test_another_ledger_in_the_cluster_cannot_touch_our_logins(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "ours");
    char cmd[1024], out[4096];
    /* A second ledger database in the same cluster, with an owner of its own. */
    snprintf(
        cmd, sizeof(cmd),
        "psql -X -q -v owner=other_owner -v db=cpd2 -f %s/sync/ledger/pg_ext/ledger-superuser.sql"
        " && psql -X -q -c \"ALTER ROLE other_owner PASSWORD 'other-pw'\"",
        CPD_SOURCE_DIR);
    if (pgserver_shell_super(&server, cmd, out, sizeof(out)) != 0)
        fail_msg("second ledger: %s", out);
    snprintf(cmd, sizeof(cmd),
             "PGPASSWORD=other-pw psql -X -q -At -h 127.0.0.1 -p %d -U other_owner -d cpd2 -c"
             " \"SELECT cpd_ledger.create_login('kiosk', 'cpd_kiosk_ours',"
             " 'SCRAM-SHA-256\\$4096:c2FsdA==\\$a2V5:c2VydmVy')\" 2>&1",
             server.port);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_not_equal(WEXITSTATUS(pclose(p)), 0);
    if (!strstr(out, "belongs to another ledger database"))
        fail_msg("the other ledger's owner re-passworded our kiosk: %s", out);
    snprintf(cmd, sizeof(cmd),
             "PGPASSWORD=other-pw psql -X -q -At -h 127.0.0.1 -p %d -U other_owner -d cpd2 -c"
             " \"SELECT cpd_ledger.disable_login('cpd_kiosk_ours')\" 2>&1",
             server.port);
    p = popen(cmd, "r");
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_not_equal(WEXITSTATUS(pclose(p)), 0);
    assert_non_null(strstr(out, "is not a kiosk or office login"));
    must_sync(&k, NULL); /* untouched */
    kiosk_close(&k);
}

static void test_a_stolen_key_still_cannot_do_everything(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "thief");
    kiosk_open(&b, "victim");
    /* A badge "enrolled" for a trainer (Rachel, BIT0010) by a kiosk: not taken into the roster
     * (a trainer's badge opens trainer mode; head office gives those). */
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "04CAFEBABE0001", a.keys.site);
    char hex[65], sql[512];
    crypto_hex(hex, hash, sizeof(hash));
    struct event e = {.type = EV_BADGE_ENROLLED, .wall_us = test_at("2023-09-13 15:05")};
    snprintf(e.person, sizeof(e.person), "BIT0010");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"trainer\":\"BIT0011\",\"badge\":\"0001\",\"badge_hash\":\"%s\"}", hex);
    assert_int_equal(store_append_event(a.store, &e), STORE_OK);
    must_sync(&a, NULL);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM cpd.badges WHERE uid_hash = decode('%s', 'hex');", hex);
    assert_int_equal(owner_count(sql), 0);
    /* An event whose payload is not a JSON object. */
    struct event bad = {.type = EV_NO_SESSION, .wall_us = test_at("2023-09-13 15:06")};
    snprintf(bad.clock, sizeof(bad.clock), "synced");
    snprintf(bad.payload, sizeof(bad.payload), "xxxx");
    assert_int_equal(store_append_event(a.store, &bad), STORE_OK);
    char why[512];
    struct sync_report r;
    assert_int_equal(sync_now(&a, &r, why, sizeof(why)), SYNC_EREJECTED);
    assert_non_null(strstr(why, "payload (not a JSON object)"));
    /* Taking the victim's next uuid blocks nobody: uuids are unique per kiosk. */
    add_events(&b, 1);
    struct event next;
    local_event(&b, 1, &next);
    struct tkiosk c;
    kiosk_open(&c, "squatter");
    struct event squat = {.type = EV_NO_SESSION, .wall_us = test_at("2023-09-13 15:07")};
    snprintf(squat.uuid, sizeof(squat.uuid), "%s", next.uuid);
    snprintf(squat.clock, sizeof(squat.clock), "synced");
    assert_int_equal(store_append_event(c.store, &squat), STORE_OK);
    must_sync(&c, NULL);
    must_sync(&b, &r);
    assert_int_equal(r.pushed, 1);
    kiosk_close(&a);
    kiosk_close(&b);
    kiosk_close(&c);
}

/* Events correctly signed (a stolen key) with fields no kiosk writes: refused on push, each with
 * its field named — the ledger's reports read every event, and one at wall time -1 stopped
 * them all for good; a voided credit dated 30 February failed the whole push in a trigger. */
static void test_fields_no_kiosk_writes_are_refused_by_name(void **state)
{
    (void)state;
    static const struct {
        const char *kiosk, *field;
        enum event_type type;
        int64_t wall_us, mono_us;
    } cases[] = {
        {"early", "malformed wall_us", EV_NO_SESSION, -1, 0},
        {"late", "malformed wall_us", EV_NO_SESSION, EVENT_TIME_END_US, 0},
        {"backwards", "malformed mono_us", EV_NO_SESSION, 1695917700000000, -5},
        {"feb30", "malformed payload date", EV_CREDIT_VOIDED, 1695917700000000, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tkiosk k;
        kiosk_open(&k, cases[i].kiosk);
        add_events(&k, 1);
        /* Its first event, made into what no kiosk writes and sealed again with its own key. */
        struct event e;
        local_event(&k, 1, &e);
        e.type = cases[i].type;
        e.wall_us = cases[i].wall_us;
        e.mono_us = cases[i].mono_us;
        snprintf(e.payload, sizeof(e.payload), "%s",
                 e.type == EV_CREDIT_VOIDED ? "{\"programme\":\"x\",\"date\":\"2023-02-30\","
                                              "\"by\":\"a\",\"reason\":\"b\"}"
                                            : "{}");
        assert_int_equal(event_seal(&e, e.prev_hash, k.keys.sign_sk), EVENT_OK);
        struct raw_batch b = {0};
        raw_add(&b, &e);
        push_expecting(&k, &b, cases[i].field);
        assert_int_equal(ledger_events(cases[i].kiosk), 0);
        kiosk_close(&k);
    }
}

static void test_a_hidden_key_row_is_named(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "hidden-key");
    add_events(&k, 2);
    must_sync(&k, NULL);
    owner_sql("INSERT INTO cpd.kiosk_keys (kiosk, from_seq, public_key, reason) VALUES"
              " ('hidden-key', 11, decode(repeat('ef', 32), 'hex'), 'quietly');");
    verify_all(NULL);
    assert_finding("BAD kiosk hidden-key: the ledger's key from seq 11 is not the keyring's");
    assert_finding("BAD kiosk hidden-key: the keyring holds 1 keys for it, the ledger 2");
    /* A kiosk whose record was removed while its events stay. */
    owner_sql("DELETE FROM cpd.kiosk_keys WHERE kiosk = 'hidden-key';"
              " DELETE FROM cpd.kiosks WHERE id = 'hidden-key';");
    verify_all(NULL);
    assert_finding("BAD kiosk hidden-key: has events but no record in the ledger (cpd.kiosks)");
    kiosk_close(&k);
}

static void test_rows_from_the_ledger_are_checked_not_cut(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "rows");
    must_sync(&k, NULL);
    /* A display name longer than the kiosk keeps: shown cut, on a whole character. */
    owner_sql("INSERT INTO cpd.people (staff_no, name, academy, role) VALUES ('LONG1',"
              " repeat('Ä', 300), 'Riverside Academy', 'staff');");
    must_sync(&k, NULL);
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "LONG1", &p), STORE_OK);
    assert_true(strlen(p.name) > 0 && strlen(p.name) < sizeof(p.name));
    assert_true(utf8_valid(p.name));
    /* A key longer than the kiosk keeps cannot be cut (it would name someone else): the pull
     * is refused whole, and says so. */
    owner_sql("INSERT INTO cpd.people (staff_no, name, academy, role) VALUES (repeat('X', 100),"
              " 'Too Long', 'Riverside Academy', 'staff');");
    char why[512];
    struct sync_report r;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ESTORE);
    assert_non_null(strstr(why, "applying what the ledger sent"));
    owner_sql("DELETE FROM cpd.people WHERE staff_no = repeat('X', 100);");
    must_sync(&k, NULL);
    kiosk_close(&k);
}

static void test_no_login_can_fill_the_disk_or_hold_back_the_pull(void **state)
{
    (void)state;
    struct tkiosk k, other;
    kiosk_open(&k, "flooder");
    kiosk_open(&other, "bystander");
    must_sync(&other, NULL);
    char why[512], verifier[512];
    struct pg *pg = as_kiosk(&k);
    static const char *const refused[] = {
        "SELECT pg_logical_emit_message(true, 'x', 'y')",
        "SELECT pg_logical_emit_message(false, 'x', convert_to('y', 'UTF8'))",
        "SELECT pg_notify('c', 'x')", "DO $$ BEGIN PERFORM 1; END $$"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (pg_exec(pg, refused[i], 0, NULL, NULL, why, sizeof(why)) != PG_EPERM)
            fail_msg("%s: allowed (%s)", refused[i], why);
    }
    pg_close(pg);
    /* An office login sitting in a transaction is ended by the next sync past the limit. */
    struct pg *owner = NULL;
    assert_int_equal(connect_as(server.conninfo, server.password, &owner, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_scram_verifier(owner, "cpd_office_sitter", "sitter-pw-0123456789", verifier,
                                       sizeof(verifier), why, sizeof(why)),
                     PG_OK);
    const char *v[] = {verifier};
    assert_int_equal(pg_exec(owner,
                             "SELECT cpd_ledger.create_login('office', 'cpd_office_sitter', $1)", 1,
                             v, NULL, why, sizeof(why)),
                     PG_OK);
    pg_close(owner);
    owner_sql("UPDATE cpd.ledger SET stall_limit_s = 2;");
    without_guard("cpd_office_sitter"); /* which refuses its SET of the idle limit */
    char office[300];
    snprintf(office, sizeof(office), "host=127.0.0.1 port=%d dbname=cpd user=cpd_office_sitter",
             server.port);
    struct pg *sitter = NULL;
    assert_int_equal(connect_as(office, "sitter-pw-0123456789", &sitter, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_exec(sitter, "SET idle_in_transaction_session_timeout = 0", 0, NULL, NULL,
                             why, sizeof(why)),
                     PG_OK);
    assert_int_equal(pg_exec(sitter, "BEGIN", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    assert_int_equal(
        pg_exec(sitter, "SELECT count(*) FROM cpd.office_people", 0, NULL, NULL, why, sizeof(why)),
        PG_OK);
    sleep(3);
    must_sync(&other, NULL);
    assert_int_not_equal(pg_exec(sitter, "SELECT 1", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    pg_close(sitter);
    owner_sql("UPDATE cpd.ledger SET stall_limit_s = 60;");
    /* A transaction in another database of the cluster does not hold back our pull. */
    char cmd[1024], out[2048];
    snprintf(cmd, sizeof(cmd),
             "psql -X -q -c 'CREATE DATABASE elsewhere' && psql -X -q -d elsewhere -c"
             " 'CREATE TABLE t (x int)' && (psql -X -q -d elsewhere -c 'BEGIN' -c"
             " 'INSERT INTO t VALUES (1)' -c 'SELECT pg_sleep(8)' >/dev/null 2>&1 &) && sleep 1");
    if (pgserver_shell_super(&server, cmd, out, sizeof(out)) != 0)
        fail_msg("elsewhere: %s", out);
    owner_sql("INSERT INTO cpd.people (staff_no, name, academy, role)"
              " VALUES ('ELSE1', 'Elsa Where', 'Riverside Academy', 'staff');");
    must_sync(&other, NULL);
    struct person p;
    assert_int_equal(store_person_by_staff_no(other.store, "ELSE1", &p), STORE_OK);
    kiosk_close(&k);
    kiosk_close(&other);
}

static void test_held_sessions_end_with_add_kiosk(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "crowded"); /* 4 connections */
    char why[512], role[96];
    struct pg *held[4];
    for (int i = 0; i < 4; i++)
        held[i] = as_kiosk(&k);
    struct sync_report r;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EAUTH);
    assert_non_null(strstr(why, "too many connections"));
    char pk[65];
    crypto_hex(pk, k.keys.sign_pk, sizeof(k.keys.sign_pk));
    struct ledger_target t = admin();
    struct ledger_kiosk lk = {k.id, pk, k.kiosk_password, 60, 30, 4};
    assert_int_equal(ledger_add_kiosk(&t, &lk, keyring, role, sizeof(role), why, sizeof(why)),
                     SYNC_OK);
    must_sync(&k, NULL);
    for (int i = 0; i < 4; i++)
        pg_close(held[i]);
    kiosk_close(&k);
}

static void test_stray_rows_and_shared_keys_are_named(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "strays");
    add_events(&k, 2);
    must_sync(&k, NULL);
    /* One key, two kiosks: refused. */
    char pk[65], why[512], role[96];
    crypto_hex(pk, k.keys.sign_pk, sizeof(k.keys.sign_pk));
    struct ledger_target t = admin();
    struct ledger_kiosk twin = {"strays-twin", pk, "twin-pw-0123456789", 60, 30, 2};
    assert_int_equal(ledger_add_kiosk(&t, &twin, keyring, role, sizeof(role), why, sizeof(why)),
                     SYNC_EREFUSED);
    assert_non_null(strstr(why, "already kiosk strays's"));
    int64_t from = 0;
    assert_int_equal(
        ledger_rotate_key(&t, "strays", pk, "same key", 0, keyring, &from, why, sizeof(why)),
        SYNC_EREFUSED);
    /* A weak password is refused before anything is sent. */
    struct ledger_kiosk weak = {"strays-weak", "ab", "short", 60, 30, 2};
    assert_int_equal(ledger_add_kiosk(&t, &weak, keyring, role, sizeof(role), why, sizeof(why)),
                     SYNC_ECONFIG);
    /* The owner slips in a row no chain walk would reach. */
    owner_sql("ALTER TABLE cpd.events DROP CONSTRAINT events_seq_check;"
              " INSERT INTO cpd.events SELECT kiosk, 0, gen_random_uuid(), type, person, session,"
              " wall_us, mono_us, clock, payload, prev_hash, hash, sig FROM cpd.events"
              " WHERE kiosk = 'strays' AND seq = 1;");
    verify_all(NULL);
    assert_finding("BAD kiosk strays: 1 events outside any chain (no kiosk or no valid seq)");
    assert_finding("BAD kiosk strays: 3 rows for a chain of 2 events");
    owner_sql("ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.events WHERE kiosk = 'strays' AND seq = 0;"
              " ALTER TABLE cpd.events ENABLE TRIGGER append_only;"
              " ALTER TABLE cpd.events ADD CONSTRAINT events_seq_check CHECK (seq > 0);");
    kiosk_close(&k);
}

static void test_a_changed_rule_of_the_schema_is_named(void **state)
{
    (void)state;
    verify_all(NULL);
    if (strstr(findings, "BAD schema"))
        fail_msg("the schema was already flagged:\n%s", findings);
    /* The owner makes the office's view show sign-ins that are in no chain. */
    owner_sql("CREATE OR REPLACE VIEW cpd.office_events AS SELECT kiosk, seq, uuid, type, person,"
              " session, wall_us, clock, payload, received_at FROM cpd.events UNION ALL SELECT"
              " 'north-2', 4, gen_random_uuid(), 'sign_in', 'BIT0006', 'cpi-autumn-1', 1, 'synced',"
              " '{}', now();");
    verify_all(NULL);
    assert_finding("BAD schema: its rules (constraints, views, functions, triggers, indexes) are"
                   " not what ledger init left");
    /* Put back exactly as init made it: the digest is whole again. */
    owner_sql("CREATE OR REPLACE VIEW cpd.office_events AS SELECT kiosk, seq, uuid, type, person,"
              " session, wall_us, clock, (payload::jsonb - 'badge_hash')::text AS payload,"
              " received_at FROM cpd.events;");
    verify_all(NULL);
    assert_null(strstr(findings, "BAD schema"));
}

/* The schema is proved, never blessed: with the append-only trigger off and the event types'
 * CHECK dropped, ledger init (which the docs say to run after a restore or a stray GRANT)
 * refuses, naming both, and writes nothing into the keyring; verify names each too. Put back,
 * init passes again and the keyring is as it was. */
static void test_ledger_init_proves_the_schema_and_never_blesses_it(void **state)
{
    (void)state;
    char before[8192] = "", after[8192] = "";
    FILE *f = fopen(keyring, "r");
    assert_non_null(f);
    size_t n = fread(before, 1, sizeof(before) - 1, f);
    before[n] = '\0';
    fclose(f);
    char out[2048];
    assert_int_equal(pgserver_psql(&server,
                                   "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE"
                                   " conname = 'events_type_check';",
                                   out, sizeof(out)),
                     0);
    char check[2200];
    out[strcspn(out, "\n")] = '\0';
    snprintf(check, sizeof(check), "ALTER TABLE cpd.events ADD CONSTRAINT events_type_check %s;",
             out);
    owner_sql("ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
              " ALTER TABLE cpd.events DROP CONSTRAINT events_type_check;");
    struct ledger_target t = admin();
    struct ledger_init init = {.keyring = keyring};
    char why[1024];
    assert_int_equal(ledger_init(&t, &init, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "append_only") || !strstr(why, "events_type_check") ||
        !strstr(why, "nothing was changed or written"))
        fail_msg("ledger init did not name both: %s", why);
    f = fopen(keyring, "r");
    assert_non_null(f);
    n = fread(after, 1, sizeof(after) - 1, f);
    after[n] = '\0';
    fclose(f);
    assert_string_equal(after, before);
    verify_all(NULL);
    assert_finding("BAD schema: no longer as ledger init made it: trg CREATE TRIGGER append_only");
    assert_finding(
        "BAD schema: no longer as ledger init made it: con cpd.events events_type_check");
    /* Put back: proved again. */
    owner_sql("ALTER TABLE cpd.events ENABLE TRIGGER append_only;");
    owner_sql(check);
    if (ledger_init(&t, &init, why, sizeof(why)) != SYNC_OK)
        fail_msg("ledger init after putting it back: %s", why);
    verify_all(NULL);
    assert_null(strstr(findings, "BAD schema"));
}

static void super_sql(const char *sql)
{
    char cmd[1024], out[1024];
    snprintf(cmd, sizeof(cmd), "psql -X -q -v ON_ERROR_STOP=1 -d cpd -c \"%s\"", sql);
    if (pgserver_shell_super(&server, cmd, out, sizeof(out)) != 0)
        fail_msg("as a superuser: %s\n%s", sql, out);
}

static void read_keyring(char *out, size_t cap)
{
    FILE *f = fopen(keyring, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static char repaired[2048];

static void collect_repair(void *ctx, const char *line, bool bad)
{
    (void)ctx;
    (void)bad;
    size_t used = strlen(repaired);
    snprintf(repaired + used, sizeof(repaired) - used, "%s\n", line);
}

/* Privileges outside schema cpd that no migration gives: a superuser's stray GRANT of plpgsql,
 * of lo_creat and of pg_read_all_data to a kiosk login survive no ledger init (refused by
 * name, nothing changed, the keyring as it was) and verify names each; a stray the owner
 * granted (TEMPORARY on the database) is taken back by ledger init, said, and verify is clean
 * again. */
static void test_stray_privileges_are_refused_or_taken_back(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "strayed");
    char before[8192], after[8192], why[2048];
    read_keyring(before, sizeof(before));
    super_sql("GRANT USAGE ON LANGUAGE plpgsql TO cpd_kiosk_strayed;"
              " GRANT EXECUTE ON FUNCTION pg_catalog.lo_creat(integer) TO cpd_kiosk_strayed;"
              " GRANT pg_read_all_data TO cpd_kiosk_strayed;"
              " GRANT EXECUTE ON FUNCTION pg_catalog.pg_notify(text, text) TO PUBLIC;");
    struct ledger_target t = admin();
    struct ledger_init init = {.keyring = keyring};
    assert_int_equal(ledger_init(&t, &init, why, sizeof(why)), SYNC_ETAMPER);
    /* The first three by name, and how many more (verify lists every one). */
    if (!strstr(why, "USAGE ON LANGUAGE plpgsql to cpd_kiosk_strayed") ||
        !strstr(why, "EXECUTE ON FUNCTION lo_creat(integer) to cpd_kiosk_strayed") ||
        !strstr(why, "and 1 more") || !strstr(why, "nothing was changed"))
        fail_msg("ledger init did not name the strays: %s", why);
    read_keyring(after, sizeof(after));
    assert_string_equal(after, before);
    verify_all(NULL);
    assert_finding("BAD privileges: USAGE ON LANGUAGE plpgsql to cpd_kiosk_strayed");
    assert_finding("BAD privileges: EXECUTE ON FUNCTION lo_creat(integer) to cpd_kiosk_strayed");
    assert_finding("BAD privileges: membership in pg_read_all_data to cpd_kiosk_strayed");
    assert_finding("BAD privileges: EXECUTE ON FUNCTION pg_notify(text,text) to PUBLIC");
    assert_finding("BAD privileges: membership in pg_read_all_data to cpd_kiosk_strayed");
    super_sql("REVOKE USAGE ON LANGUAGE plpgsql FROM cpd_kiosk_strayed;"
              " REVOKE EXECUTE ON FUNCTION pg_catalog.lo_creat(integer) FROM cpd_kiosk_strayed;"
              " REVOKE pg_read_all_data FROM cpd_kiosk_strayed;"
              " REVOKE EXECUTE ON FUNCTION pg_catalog.pg_notify(text, text) FROM PUBLIC;");
    /* What only a superuser can do to a login besides grants: a setting for this database
     * that outranks create_login's (the guard off, temp files unlimited), an attribute, a
     * function given to everyone. */
    super_sql("ALTER ROLE cpd_kiosk_strayed IN DATABASE cpd SET temp_file_limit = -1;"
              " ALTER ROLE cpd_office CREATEDB;"
              " GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_file(text) TO PUBLIC;");
    assert_int_equal(ledger_init(&t, &init, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "attribute CREATEDB to cpd_office") ||
        !strstr(why, "EXECUTE ON FUNCTION pg_read_file(text) to PUBLIC") ||
        !strstr(why, "setting temp_file_limit=-1 in database cpd to cpd_kiosk_strayed"))
        fail_msg("ledger init did not name the superuser's changes: %s", why);
    verify_all(NULL);
    assert_finding(
        "BAD privileges: setting temp_file_limit=-1 in database cpd to "
        "cpd_kiosk_strayed (granted by a superuser) is given by no migration; a "
        "superuser takes it back: ALTER ROLE cpd_kiosk_strayed IN DATABASE cpd RESET ALL");
    super_sql("ALTER ROLE cpd_kiosk_strayed IN DATABASE cpd RESET ALL;"
              " ALTER ROLE cpd_office NOCREATEDB;"
              " REVOKE EXECUTE ON FUNCTION pg_catalog.pg_read_file(text) FROM PUBLIC;");
    /* The owner's own stray: ledger init takes it back and says so. */
    owner_sql("GRANT TEMPORARY ON DATABASE cpd TO cpd_kiosk_strayed;"
              " GRANT CREATE ON SCHEMA public TO cpd_kiosk_strayed;"
              " ALTER DATABASE cpd SET work_mem = '1GB';");
    verify_all(NULL);
    assert_finding("BAD privileges: TEMPORARY ON DATABASE cpd to cpd_kiosk_strayed");
    /* A setting for the whole database (default_transaction_read_only = on stops every push). */
    assert_finding("BAD privileges: setting work_mem=1GB for database cpd to every login");
    repaired[0] = '\0';
    init.say = collect_repair;
    if (ledger_init(&t, &init, why, sizeof(why)) != SYNC_OK)
        fail_msg("ledger init with the owner's stray: %s", why);
    if (!strstr(repaired, "repaired: TEMPORARY ON DATABASE cpd to cpd_kiosk_strayed") ||
        !strstr(repaired, "repaired: CREATE ON SCHEMA public to cpd_kiosk_strayed") ||
        !strstr(repaired, "repaired: setting work_mem=1GB for database cpd to every login"))
        fail_msg("not said: %s", repaired);
    verify_all(NULL);
    assert_null(strstr(findings, "BAD privileges"));
    assert_int_equal(owner_count("SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a"
                                 " WHERE d.datname = 'cpd' AND a.grantee ="
                                 " 'cpd_kiosk_strayed'::regrole AND a.privilege_type ="
                                 " 'TEMPORARY';"),
                     0);
    must_sync(&k, NULL);
    kiosk_close(&k);
}

/* Inside schema cpd, what no migration makes is a rule of the schema too: a rule that turns
 * a badge's revocation into nothing, a column's own grant and row security are each named by
 * verify and refused by ledger init; dropped again, both are clean. */
static void test_a_rule_a_column_grant_or_row_security_is_named(void **state)
{
    (void)state;
    owner_sql("CREATE RULE keep_badges AS ON UPDATE TO cpd.badges DO INSTEAD NOTHING;"
              " GRANT SELECT (staff_no) ON cpd.badges TO cpd_office;"
              " ALTER TABLE cpd.people ENABLE ROW LEVEL SECURITY;"
              " CREATE POLICY hide ON cpd.people USING (academy <> 'North');");
    verify_all(NULL);
    assert_finding("BAD schema: not made by ledger init: rule CREATE RULE keep_badges");
    assert_finding("BAD schema: not made by ledger init: colacl badges staff_no");
    assert_finding("BAD schema: not made by ledger init: rls people true");
    assert_finding("BAD schema: not made by ledger init: pol people hide");
    struct ledger_target t = admin();
    struct ledger_init init = {.keyring = keyring};
    char why[2048];
    assert_int_equal(ledger_init(&t, &init, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "colacl badges staff_no") || !strstr(why, "nothing was changed"))
        fail_msg("ledger init did not name what differs: %s", why);
    owner_sql("DROP RULE keep_badges ON cpd.badges; REVOKE SELECT (staff_no) ON cpd.badges FROM"
              " cpd_office; DROP POLICY hide ON cpd.people;"
              " ALTER TABLE cpd.people DISABLE ROW LEVEL SECURITY;");
    verify_all(NULL);
    assert_null(strstr(findings, "BAD schema"));
    if (ledger_init(&t, &init, why, sizeof(why)) != SYNC_OK)
        fail_msg("ledger init after dropping them: %s", why);
}

/* verify's lines about head office's rows, alone. */
static void office_findings(char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *at = findings; (at = strstr(at, "BAD office rows")) != NULL;) {
        size_t n = strcspn(at, "\n");
        if (used + n + 2 < cap) {
            memcpy(out + used, at, n);
            used += n;
            out[used++] = '\n';
            out[used] = '\0';
        }
        at += n;
    }
}

static void assert_office_as(const char *baseline)
{
    char now[8192];
    office_findings(now, sizeof(now));
    if (strcmp(now, baseline) == 0)
        return;
    /* Only what is new or gone, so the message stays readable. */
    for (char *line = strtok(now, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(baseline, line))
            fprintf(stderr, "new: %.600s\n", line);
    }
    fail_msg("head office's rows are not as before (the lines above)");
}

/* Head office's own rows are as provable as the events: verify recomputes them from head
 * office's signed records and the kiosks' events, and names an inflated credit, a changed
 * certificate and a badge moved to someone else (Gareth's badge signing in Tom); an import
 * onto them is refused, writing nothing; put back, both are clean. A revocation a rule turned
 * into nothing is named as the row it left active. A record changed after it was signed, or
 * one the owner added with a key of their own, is named. */
static void test_head_offices_rows_are_proved(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "office-rows");
    must_sync(&k, NULL);
    /* Earlier tests' owner wrote some people straight into the table: those stand as they are
     * (the baseline); this test's own changes come and go on top. */
    verify_all(NULL);
    char baseline[8192];
    office_findings(baseline, sizeof(baseline));
    if (strstr(baseline, "rows: external_credits") || strstr(baseline, "rows: badges") ||
        strstr(baseline, "rows: head office's records:"))
        fail_msg("credits or badges already flagged:\n%.2000s", baseline);
    char credit[256], badge[256], why[2048], want_sql[512];
    owner_value("SELECT staff_no || ' ' || programme || ' ' || date FROM cpd.external_credits"
                " ORDER BY 1 LIMIT 1;",
                credit, sizeof(credit));
    owner_value("SELECT encode(uid_hash, 'hex') FROM cpd.badges WHERE staff_no = 'BIT0004'"
                " ORDER BY uid_hash LIMIT 1;",
                badge, sizeof(badge));
    char certificate[256];
    snprintf(want_sql, sizeof(want_sql),
             "SELECT certificate FROM cpd.external_credits WHERE staff_no || ' ' || programme"
             " || ' ' || date = '%s';",
             credit);
    owner_value(want_sql, certificate, sizeof(certificate));
    owner_sql("UPDATE cpd.external_credits SET credits_q = credits_q + 40,"
              " certificate = 'FORGED-1' WHERE staff_no || ' ' || programme || ' ' || date ="
              " (SELECT staff_no || ' ' || programme || ' ' || date FROM cpd.external_credits"
              " ORDER BY 1 LIMIT 1);"
              " UPDATE cpd.badges SET staff_no = 'BIT0006' WHERE uid_hash = (SELECT uid_hash"
              " FROM cpd.badges WHERE staff_no = 'BIT0004' ORDER BY uid_hash LIMIT 1);");
    verify_all(NULL);
    char want[600];
    snprintf(want, sizeof(want), "BAD office rows: external_credits %s: the ledger holds [",
             credit);
    assert_finding(want);
    assert_finding("FORGED-1");
    snprintf(want, sizeof(want), "BAD office rows: badges %s: the ledger holds [", badge);
    assert_finding(want);
    /* An import onto the changed rows would sign them: refused, nothing written. */
    long records = owner_count("SELECT count(*) FROM cpd.office_log;");
    assert_int_equal(import_text(IMPORT_CREDITS,
                                 "staff_no,source,programme,date,credits,certificate,directed,"
                                 "note\nBIT0007,prerecorded,au1-aces,2023-10-04,2,T-1,no,\n",
                                 why, sizeof(why)),
                     SYNC_ETAMPER);
    if (!strstr(why, "differ from head office's signed records") || !strstr(why, "FORGED-1") ||
        !strstr(why, "nothing was imported"))
        fail_msg("the import did not say why: %s", why);
    assert_int_equal(owner_count("SELECT count(*) FROM cpd.office_log;"), records);
    assert_int_equal(owner_count("SELECT count(*) FROM cpd.external_credits WHERE date ="
                                 " '2023-10-04' AND programme = 'au1-aces';"),
                     0);
    /* Put back: clean, and the import goes in. */
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.external_credits SET credits_q = credits_q - 40, certificate = '%s'"
             " WHERE staff_no || ' ' || programme || ' ' || date = '%s';"
             " UPDATE cpd.badges SET staff_no = 'BIT0004' WHERE uid_hash = decode('%s', 'hex');",
             certificate, credit, badge);
    owner_sql(sql);
    verify_all(NULL);
    assert_office_as(baseline);
    if (import_text(IMPORT_CREDITS,
                    "staff_no,source,programme,date,credits,certificate,directed,"
                    "note\nBIT0007,prerecorded,au1-aces,2023-10-04,2,T-1,no,\n",
                    why, sizeof(why)) != SYNC_OK)
        fail_msg("the import after putting back: %s", why);
    /* The ledger keeps credits a file lacks, and says how to void one (--replace is refused). */
    if (!strstr(import_said, "stored credits are not in this file: kept; to void one, correct it"
                             " at a kiosk (cpd-admin correct credit"))
        fail_msg("the import's warning:\n%s", import_said);
    assert_int_equal(owner_count("SELECT count(*) FROM cpd.office_log;"),
                     records + 2); /* the credits and what kiosks see of them */
    verify_all(NULL);
    assert_office_as(baseline);
    /* A rule that turns a kiosk's revocation into nothing leaves the badge on: named. */
    owner_sql("CREATE RULE keep_on AS ON UPDATE TO cpd.badges DO INSTEAD NOTHING;");
    struct event e = {.type = EV_BADGE_REVOKED, .wall_us = test_at("2023-09-14 15:05")};
    snprintf(e.person, sizeof(e.person), "BIT0004");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"badge\":\"0000\",\"badge_hash\":\"%s\",\"by\":\"BIT0012\",\"reason\":"
             "\"lost\"}",
             badge);
    assert_int_equal(store_append_event(k.store, &e), STORE_OK);
    must_sync(&k, NULL);
    verify_all(NULL);
    snprintf(want, sizeof(want), "BAD office rows: badges %s: the ledger holds [", badge);
    assert_finding(want);
    assert_finding("| true] where head office's records give [");
    owner_sql("DROP RULE keep_on ON cpd.badges;");
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.badges SET active = false WHERE uid_hash = decode('%s', 'hex');", badge);
    owner_sql(sql);
    verify_all(NULL);
    assert_office_as(baseline);
    /* A record changed after it was signed; one added by the owner with another key. */
    owner_sql("ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
              " UPDATE cpd.office_log SET body = replace(body, E'\\tT-1\\t', E'\\tT-9\\t')"
              " WHERE seq = (SELECT max(seq) FROM cpd.office_log WHERE kind = 'credits');");
    verify_all(NULL);
    assert_finding("BAD office rows: head office's records: record ");
    assert_finding("(credits) was changed after it was signed");
    owner_sql("UPDATE cpd.office_log SET body = replace(body, E'\\tT-9\\t', E'\\tT-1\\t')"
              " WHERE seq = (SELECT max(seq) FROM cpd.office_log WHERE kind = 'credits');"
              " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;");
    verify_all(NULL);
    assert_office_as(baseline);
    /* The owner appends a record hashed as head office hashes (the bytes are public) but
     * signed with a key of their own. */
    owner_sql("INSERT INTO cpd.office_log SELECT seq + 1, 'credits', at_us + 1, tips, body,"
              " hash, sha256(hash || convert_to('cpd office log 1' || E'\\n' || (seq + 1) ||"
              " E'\\n' || 'credits' || E'\\n' || (at_us + 1) || E'\\n' || tips || E'\\n' ||"
              " encode(sha256(convert_to(body, 'UTF8')), 'hex'), 'UTF8')),"
              " decode(repeat('ab', 64), 'hex') FROM cpd.office_log ORDER BY seq DESC LIMIT 1;");
    verify_all(NULL);
    assert_finding("(credits) is not signed by head office's key");
    owner_sql("ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.office_log WHERE seq = (SELECT max(seq) FROM cpd.office_log);"
              " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;");
    verify_all(NULL);
    assert_office_as(baseline);
    kiosk_close(&k);
}

static void test_a_new_disk_after_a_key_change_takes_its_history_back(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "new-disk");
    add_events(&k, 3);
    must_sync(&k, NULL);
    /* The disk dies; the new one has an empty store and a new key, which head office
     * registers from the ledger's next seq. */
    store_close(k.store);
    char db[300], why[512];
    snprintf(db, sizeof(db), "%s/new.db", k.dir);
    assert_int_equal(store_open(db, &k.store, why, sizeof(why)), STORE_OK);
    snprintf(k.cfg.kiosk.database, sizeof(k.cfg.kiosk.database), "%s", db);
    uint8_t pk[CRYPTO_SIGN_PK_BYTES], sk[CRYPTO_SIGN_SK_BYTES];
    crypto_sign_keypair_new(pk, sk);
    assert_int_equal(store_set_signer(k.store, k.id, sk), STORE_OK);
    char hex[65];
    crypto_hex(hex, pk, sizeof(pk));
    struct ledger_target t = admin();
    int64_t from = 0;
    assert_int_equal(
        ledger_rotate_key(&t, k.id, hex, "disk replaced", 0, keyring, &from, why, sizeof(why)),
        SYNC_OK);
    assert_int_equal(from, 4);
    /* It takes its old events back (signed with the old key) and goes on with the new. */
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.healed, 3);
    /* A restart: the store knows its events up to 3 are the old key's, and signs on. */
    assert_int_equal(store_set_signer(k.store, k.id, sk), STORE_OK);
    add_events(&k, 1);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 1);
    verify_all(NULL);
    assert_finding("ok  kiosk new-disk: 4 events: chain and signatures verified");
    kiosk_close(&k);
}

/* ---- the way to the ledger ------------------------------------------------------------- */

static void test_tls_failures_are_named(void **state)
{
    (void)state;
    assert_int_equal(pgserver_enable_tls(&server, "ledger.test"), 0);
    struct tkiosk k;
    kiosk_open(&k, "tls");
    add_events(&k, 1);
    char ca[300], why[512];
    snprintf(ca, sizeof(ca), "%s/ca.crt", server.dir);
    snprintf(k.cfg.sync.sslmode, sizeof(k.cfg.sync.sslmode), "verify-full");
    snprintf(k.cfg.sync.channel_binding, sizeof(k.cfg.sync.channel_binding), "require");
    snprintf(k.cfg.sync.sslrootcert, sizeof(k.cfg.sync.sslrootcert), "%s", ca);
    /* The certificate names ledger.test, the kiosk dials 127.0.0.1. */
    struct sync_report r;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETLS);
    assert_non_null(strstr(why, "does not match host name"));
    /* A root certificate that did not sign the server's. */
    char other[512];
    test_write_file(k.dir, "other-ca.crt", "", other, sizeof(other));
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout"
             " /dev/null -out '%s' -days 1 -subj /CN=impostor 2>/dev/null",
             other);
    assert_int_equal(system(cmd), 0);
    snprintf(k.cfg.sync.conninfo, sizeof(k.cfg.sync.conninfo),
             "host=ledger.test hostaddr=127.0.0.1 port=%d dbname=cpd user=cpd_kiosk_tls",
             server.port);
    snprintf(k.cfg.sync.sslrootcert, sizeof(k.cfg.sync.sslrootcert), "%s", other);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETLS);
    assert_non_null(strstr(why, "certificate verify failed"));
    /* cpd-admin says which it is, with its own exit status. */
    char ini[512], args[1024], out[2048], text[4096];
    snprintf(text, sizeof(text),
             "[kiosk]\nid = tls\ndatabase = %s\n[sync]\nconninfo = %s\npassword_file = %s\n"
             "sslmode = verify-full\nsslrootcert = %s\nchannel_binding = require\n",
             k.cfg.kiosk.database, k.cfg.sync.conninfo, k.cfg.sync.password_file, other);
    test_write_file(k.dir, "kiosk.ini", text, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' sync", ini);
    assert_int_equal(run_admin(args, out, sizeof(out)), 7);
    assert_non_null(strstr(out, "TLS certificate or host name did not check out"));
    /* The right root and the right name: through, with SCRAM bound to the channel. */
    snprintf(k.cfg.sync.sslrootcert, sizeof(k.cfg.sync.sslrootcert), "%s", ca);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 1);
    /* Channel binding required without TLS is refused, not silently dropped. */
    snprintf(k.cfg.sync.sslmode, sizeof(k.cfg.sync.sslmode), "disable");
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETLS);
    assert_non_null(strstr(why, "channel binding"));
    kiosk_close(&k);
}

/* A server certificate signed with Ed25519: SCRAM's channel binding needs a hash of the
 * certificate that Ed25519 does not define, so libpq cannot bind. The kiosk says it is the
 * certificate (TLS, exit 7 for cpd-admin), with what to do, not that the ledger is down.
 * (After test_tls_failures_are_named: TLS on; the EC certificate is put back after.) */
static void test_an_ed25519_server_certificate_is_named(void **state)
{
    (void)state;
    char cmd[2048], out[2048], why[1024];
    snprintf(cmd, sizeof(cmd),
             "cd %s && openssl req -x509 -newkey ed25519 -nodes -keyout ed-ca.key -out"
             " ed-ca.crt -days 2 -subj /CN=cpd-test-ed25519-ca 2>/dev/null && chmod 644"
             " ed-ca.crt && openssl req -newkey ed25519 -nodes -keyout data/server.key -out"
             " server.csr -subj /CN=ledger.test 2>/dev/null && openssl x509 -req -in server.csr"
             " -CA ed-ca.crt -CAkey ed-ca.key -CAcreateserial -out data/server.crt -days 2"
             " -extfile san.ext 2>/dev/null && chmod 600 data/server.key",
             server.dir);
    if (pgserver_shell_super(&server, cmd, out, sizeof(out)) != 0)
        fail_msg("an Ed25519 certificate: %s", out);
    if (pgserver_shell_super(&server,
                             "PGSSLMODE=disable psql -X -q -c 'SELECT pg_reload_conf()'"
                             " >/dev/null && sleep 0.5",
                             out, sizeof(out)) != 0)
        fail_msg("reload: %s", out);
    struct tkiosk k;
    kiosk_open(&k, "ed25519");
    snprintf(k.cfg.sync.conninfo, sizeof(k.cfg.sync.conninfo),
             "host=ledger.test hostaddr=127.0.0.1 port=%d dbname=cpd user=cpd_kiosk_ed25519",
             server.port);
    snprintf(k.cfg.sync.sslmode, sizeof(k.cfg.sync.sslmode), "verify-full");
    snprintf(k.cfg.sync.channel_binding, sizeof(k.cfg.sync.channel_binding), "require");
    snprintf(k.cfg.sync.sslrootcert, sizeof(k.cfg.sync.sslrootcert), "%s/ed-ca.crt", server.dir);
    struct sync_report r;
    int err = sync_now(&k, &r, why, sizeof(why));
    if (err != SYNC_ETLS || !strstr(why, "Ed25519"))
        fail_msg("an Ed25519 certificate: %d %s", err, why);
    kiosk_close(&k);
    assert_int_equal(pgserver_enable_tls(&server, "ledger.test"), 0);
}

/* Head office's commands are as strict as a kiosk: a connection string that says nothing of TLS
 * gets verify-full and channel binding (so a server it cannot check is refused, exit 7, never a
 * silent plaintext login); one that weakens them explicitly works and says so on screen; one
 * holding a password (shown by ps) is refused. (After test_tls_failures_are_named: TLS on.) */
static void test_admin_connections_are_as_strict_as_a_kiosks(void **state)
{
    (void)state;
    char dir[] = "/tmp/cpd-strict-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pw[600], args[2048];
    static char out[1 << 16];
    test_write_file(dir, "owner.pw", server.password, pw, sizeof(pw));
    assert_int_equal(chmod(pw, 0600), 0);
    /* Nothing said of TLS, no CA given: the server's certificate cannot be checked: refused. */
    snprintf(args, sizeof(args),
             "ledger checkpoint --conninfo 'host=127.0.0.1 port=%d dbname=cpd user=cpd_owner'"
             " --password-file '%s'",
             server.port, pw);
    assert_int_equal(run_admin(args, out, sizeof(out)), 7);
    /* The CA and the certificate's name: through, nothing to say. */
    snprintf(args, sizeof(args),
             "ledger checkpoint --conninfo 'host=ledger.test hostaddr=127.0.0.1 port=%d"
             " dbname=cpd user=cpd_owner sslrootcert=%s/ca.crt' --password-file '%s'",
             server.port, server.dir, pw);
    if (run_admin(args, out, sizeof(out)) != 0)
        fail_msg("%s", strlen(out) > 600 ? out + strlen(out) - 600 : out);
    assert_null(strstr(out, "note:"));
    /* Weakened on purpose: through, and said. */
    snprintf(args, sizeof(args),
             "ledger checkpoint --conninfo 'host=127.0.0.1 port=%d dbname=cpd user=cpd_owner"
             " sslmode=require' --password-file '%s'",
             server.port, pw);
    if (run_admin(args, out, sizeof(out)) != 0)
        fail_msg("%s", strlen(out) > 600 ? out + strlen(out) - 600 : out);
    assert_non_null(strstr(out, "note: sslmode=require, as you asked"));
    /* A password in the string: refused before anything is sent. */
    snprintf(args, sizeof(args),
             "verify --ledger 'host=127.0.0.1 port=%d dbname=cpd user=cpd_owner password=%s"
             " sslmode=require' --keyring '%s'",
             server.port, server.password, keyring);
    assert_int_equal(run_admin(args, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "a password in the connection string is shown"));
    assert_null(strstr(out, server.password));
    unlink(pw);
    rmdir(dir);
}

/* Head office's log cannot be cut back or emptied unnoticed: the newest record deleted (the
 * rows rolled back to an older signed state) is named against the checkpoints, which carry
 * the log's head; an emptied log is not signed afresh by ledger init, which knows from the
 * keyring that records existed. (Last: it leaves the log broken.) */
static void test_head_offices_log_cannot_be_cut_back_or_emptied(void **state)
{
    (void)state;
    char cp[512], why[1024];
    snprintf(cp, sizeof(cp), "%s/office-checkpoints", office_dir);
    write_checkpoints(cp);
    long newest = owner_count("SELECT max(seq) FROM cpd.office_log;");
    owner_sql("ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.office_log WHERE seq = (SELECT max(seq) FROM cpd.office_log);"
              " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;");
    verify_all(cp);
    assert_null(strstr(findings, "BAD kiosk @office")); /* the log's line is no kiosk's */
    char want[200];
    snprintf(want, sizeof(want), "BAD office rows: head office's record %ld of the checkpoint of ",
             newest);
    assert_finding(want);
    owner_sql("ALTER TABLE cpd.office_log DISABLE TRIGGER append_only_truncate;"
              " TRUNCATE cpd.office_log;"
              " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only_truncate;");
    struct ledger_target t = admin();
    struct ledger_init init = {.keyring = keyring, .office_key = office_key};
    assert_int_equal(ledger_init(&t, &init, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "already holds head office's key: its records were removed"))
        fail_msg("ledger init on an emptied log: %s", why);
    assert_int_equal(owner_count("SELECT count(*) FROM cpd.office_log;"), 0);
    verify_all(NULL);
    assert_finding("BAD office rows: head office's log holds no record");
}

/* The owner cannot import without head office's key: with none, nothing is imported; with a
 * key of their own, the import is refused before it writes (the log is not signed by it), and
 * the rows and the log are as before. */
static void test_no_import_without_head_offices_key(void **state)
{
    (void)state;
    char path[512], why[1024], own[512];
    snprintf(path, sizeof(path), "%s/import.csv", office_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("staff_no,source,programme,date,credits,certificate,directed,note\n"
          "BIT0005,prerecorded,au1-aces,2023-10-05,2,OWN-1,no,\n",
          f);
    fclose(f);
    long records = owner_count("SELECT count(*) FROM cpd.office_log;");
    long credits = owner_count("SELECT count(*) FROM cpd.external_credits;");
    struct rules rules;
    rules_default(&rules);
    struct import_options o = {.rules = &rules, .report = NULL};
    struct import_result r;
    struct ledger_target t = admin();
    t.office_key = NULL;
    assert_int_equal(ledger_import(&t, IMPORT_CREDITS, path, &o, &r, why, sizeof(why)),
                     SYNC_ECONFIG);
    if (!strstr(why, "every import is signed by head office: --office-key FILE"))
        fail_msg("no key: %s", why);
    snprintf(own, sizeof(own), "%s/owners-own.key", office_dir);
    bool made = false;
    assert_int_equal(keys_init_sign(own, &made), KEYS_OK);
    t.office_key = own;
    int err = ledger_import(&t, IMPORT_CREDITS, path, &o, &r, why, sizeof(why));
    if (err != SYNC_ETAMPER || !strstr(why, "is not signed by head office's key"))
        fail_msg("the owner's own key: %s", why);
    assert_int_equal(owner_count("SELECT count(*) FROM cpd.office_log;"), records);
    assert_int_equal(owner_count("SELECT count(*) FROM cpd.external_credits;"), credits);
    unlink(own);
}

/* One kiosk's events are replayed in its own order, whatever order the owner gives their
 * received_at (not under their hashes): a badge enrolled then revoked stays revoked, so an
 * owner who swaps the two times and turns the badge back on is named. */
static void test_one_kiosks_events_are_replayed_in_its_own_order(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "in-order");
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "04C1C2C3C4C5C6", k.keys.site);
    char hex[65], sql[1024], first[64], second[64];
    crypto_hex(hex, hash, sizeof(hash));
    struct event e = {.type = EV_BADGE_ENROLLED, .wall_us = test_at("2023-09-13 15:05")};
    snprintf(e.person, sizeof(e.person), "BIT0002");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"badge\":\"C5C6\",\"badge_hash\":\"%s\",\"trainer\":\"BIT0012\"}", hex);
    assert_int_equal(store_append_event(k.store, &e), STORE_OK);
    must_sync(&k, NULL);
    struct event v = {.type = EV_BADGE_REVOKED, .wall_us = test_at("2023-09-14 15:05")};
    snprintf(v.person, sizeof(v.person), "BIT0002");
    snprintf(v.clock, sizeof(v.clock), "synced");
    snprintf(v.payload, sizeof(v.payload),
             "{\"badge\":\"C5C6\",\"badge_hash\":\"%s\",\"by\":\"BIT0012\",\"reason\":\"lost\"}",
             hex);
    assert_int_equal(store_append_event(k.store, &v), STORE_OK);
    must_sync(&k, NULL);
    verify_all(NULL);
    assert_null(strstr(findings, hex));
    snprintf(sql, sizeof(sql),
             "SELECT received_at FROM cpd.events WHERE kiosk = 'in-order' AND type ="
             " 'badge_enrolled';");
    owner_value(sql, first, sizeof(first));
    snprintf(sql, sizeof(sql),
             "SELECT received_at FROM cpd.events WHERE kiosk = 'in-order' AND type ="
             " 'badge_revoked';");
    owner_value(sql, second, sizeof(second));
    snprintf(sql, sizeof(sql),
             "ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
             " UPDATE cpd.events SET received_at = '%s'::timestamptz - interval '1 hour'"
             " WHERE kiosk = 'in-order' AND type = 'badge_revoked';"
             " ALTER TABLE cpd.events ENABLE TRIGGER append_only;"
             " DELETE FROM cpd.revoked_badges WHERE uid_hash = decode('%s', 'hex');"
             " UPDATE cpd.badges SET active = true WHERE uid_hash = decode('%s', 'hex');",
             first, hex, hex);
    owner_sql(sql);
    verify_all(NULL);
    char want[200];
    snprintf(want, sizeof(want), "BAD office rows: badges %s: the ledger holds [", hex);
    assert_finding(want);
    /* … and the revocation no longer kept, which the next roster import would undo. */
    snprintf(want, sizeof(want),
             "office rows: revoked_badges %s: a kiosk's event made it, but the ledger no longer"
             " keeps it",
             hex);
    assert_finding(want);
    snprintf(sql, sizeof(sql),
             "ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
             " UPDATE cpd.events SET received_at = '%s' WHERE kiosk = 'in-order' AND type ="
             " 'badge_revoked';"
             " ALTER TABLE cpd.events ENABLE TRIGGER append_only;"
             " INSERT INTO cpd.revoked_badges VALUES (decode('%s', 'hex'));"
             " UPDATE cpd.badges SET active = false WHERE uid_hash = decode('%s', 'hex');",
             second, hex, hex);
    owner_sql(sql);
    verify_all(NULL);
    assert_null(strstr(findings, hex));
    kiosk_close(&k);
}

/* The kiosk with head office's key set, as docs/head-office.md says. */
static void kiosk_checking(struct tkiosk *k, const char *id)
{
    struct kiosk_keys office;
    assert_int_equal(keys_load_sign(office_key, &office), KEYS_OK);
    kiosk_open(k, id);
    crypto_hex(k->cfg.sync.office_public_key, office.sign_pk, CRYPTO_SIGN_PK_BYTES);
    keys_wipe(&office);
}

/* What a kiosk's sync refuses (why holds want) while the owner's change is in; after undo,
 * the sync goes through again. */
static void refused_until_undone(struct tkiosk *k, const char *change, const char *want,
                                 const char *undo)
{
    struct sync_report r;
    char why[1024];
    owner_sql(change);
    int err = sync_now(k, &r, why, sizeof(why));
    if (err != SYNC_ETAMPER || !strstr(why, want))
        fail_msg("after \"%s\": %s (expected \"%s\")", change, why, want);
    owner_sql(undo);
    must_sync(k, &r);
}

/* A ledger whose log was written before schema 9 (no credits_seen record): verify names it, a
 * kiosk checking signatures takes nothing (the credits differ from the older one it finds), and
 * ledger init --office-key signs what kiosks see
 * of the newest signed credits record — never of the rows as they are, so a credit inflated
 * before the init is still refused. (First: on the fixture's own first records.) */
static void test_ledger_init_signs_what_kiosks_see_of_an_older_log(void **state)
{
    (void)state;
    char kind[64], why[1024];
    owner_value("SELECT kind FROM cpd.office_log ORDER BY seq DESC LIMIT 1;", kind, sizeof(kind));
    assert_string_equal(kind, "credits_seen");
    owner_sql("ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
              " DELETE FROM cpd.office_log WHERE seq = (SELECT max(seq) FROM cpd.office_log);"
              " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;");
    verify_all(NULL);
    assert_finding("no credits_seen record follows record ");
    struct tkiosk k;
    kiosk_checking(&k, "older-log");
    struct sync_report r;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    /* It has only the credits_seen of the first record, older than the credits now. */
    if (!strstr(why, "from the ledger is not as head office signed the credits"))
        fail_msg("no current credits_seen record: %s", why);
    owner_sql("UPDATE cpd.external_credits SET credits_q = credits_q + 40 WHERE staff_no ="
              " 'BIT0003' AND programme = 'au1-aces';");
    struct ledger_target t = admin();
    struct ledger_init init = {.keyring = keyring, .office_key = office_key};
    if (ledger_init(&t, &init, why, sizeof(why)) != SYNC_OK)
        fail_msg("ledger init: %s", why);
    owner_value("SELECT kind FROM cpd.office_log ORDER BY seq DESC LIMIT 1;", kind, sizeof(kind));
    assert_string_equal(kind, "credits_seen");
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "credit BIT0003 au1-aces 2023-10-03 from the ledger is not as head office"
                     " signed the credits"))
        fail_msg("the credit inflated before the init: %s", why);
    owner_sql("UPDATE cpd.external_credits SET credits_q = credits_q - 40 WHERE staff_no ="
              " 'BIT0003' AND programme = 'au1-aces';");
    must_sync(&k, &r);
    assert_true(r.pulled[5] > 0);
    verify_all(NULL);
    assert_null(strstr(findings, "BAD office rows"));
    kiosk_close(&k);
}

/* The programme, bookings and credits a kiosk pulls are checked against head office's
 * signature like the roster: a course's credits, a session's time, a booking and a credit
 * changed behind head office's back are each refused, the whole pull with them; a booking
 * cancelled and a credit voided at a kiosk since are taken; a certificate number changed is
 * not the kiosk's to see (it pulls only that there is one): verify names it. */
static void test_a_kiosk_checks_head_offices_signature_on_everything_it_pulls(void **state)
{
    (void)state;
    struct tkiosk k, other;
    kiosk_checking(&k, "checks-all");
    kiosk_open(&other, "cancels");
    struct sync_report r;
    must_sync(&k, &r);
    assert_true(r.pulled[2] > 0 && r.pulled[3] > 0 && r.pulled[4] > 0 && r.pulled[5] > 0);
    refused_until_undone(
        &k, "UPDATE cpd.courses SET credits_q = credits_q + 4 WHERE code = 'au2-in-class-support';",
        "course au2-in-class-support from the ledger is not as head office signed the programme",
        "UPDATE cpd.courses SET credits_q = credits_q - 4 WHERE code = 'au2-in-class-support';");
    refused_until_undone(
        &k,
        "UPDATE cpd.sessions SET start_time = start_time - interval '1 hour'"
        " WHERE code = 'au2-in-class-support';",
        "session au2-in-class-support from the ledger is not as head office signed the programme",
        "UPDATE cpd.sessions SET start_time = start_time + interval '1 hour'"
        " WHERE code = 'au2-in-class-support';");
    refused_until_undone(
        &k,
        "INSERT INTO cpd.bookings (staff_no, session) VALUES ('BIT0006', 'au2-in-class-support');",
        "booking BIT0006 au2-in-class-support from the ledger is not as head office signed the"
        " bookings",
        "UPDATE cpd.bookings SET active = false WHERE staff_no = 'BIT0006' AND session ="
        " 'au2-in-class-support'; DELETE FROM cpd.bookings WHERE staff_no = 'BIT0006' AND"
        " session = 'au2-in-class-support';");
    refused_until_undone(
        &k,
        "UPDATE cpd.external_credits SET credits_q = credits_q + 40 WHERE staff_no = 'BIT0003'"
        " AND programme = 'au2-cpi-online';",
        "credit BIT0003 au2-cpi-online 2023-11-14 from the ledger is not as head office signed"
        " the credits",
        "UPDATE cpd.external_credits SET credits_q = credits_q - 40 WHERE staff_no = 'BIT0003'"
        " AND programme = 'au2-cpi-online';");
    char certificate[128], sql[512];
    owner_value("SELECT certificate FROM cpd.external_credits WHERE staff_no = 'BIT0003' AND"
                " programme = 'au2-cpi-online';",
                certificate, sizeof(certificate));
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.external_credits SET certificate = '%s' WHERE staff_no = 'BIT0003' AND"
             " programme = 'au2-cpi-online';",
             certificate);
    refused_until_undone(&k,
                         "UPDATE cpd.external_credits SET certificate = '' WHERE staff_no ="
                         " 'BIT0003' AND programme = 'au2-cpi-online';",
                         "credit BIT0003 au2-cpi-online 2023-11-14 from the ledger is not as head"
                         " office signed the credits",
                         sql);
    /* Another number: the kiosk sees only that there is one; verify names the change. */
    owner_sql("UPDATE cpd.external_credits SET certificate = 'OTHER-1' WHERE staff_no = 'BIT0003'"
              " AND programme = 'au2-cpi-online';");
    must_sync(&k, &r);
    verify_all(NULL);
    assert_finding("BAD office rows: external_credits BIT0003 au2-cpi-online 2023-11-14: the"
                   " ledger holds [");
    owner_sql(sql);
    /* A cancellation and a void at another kiosk: taken. */
    must_sync(&other, NULL);
    struct person sarah, priya;
    struct session in_class;
    const char *said = "";
    assert_int_equal(store_person_by_staff_no(other.store, "BIT0001", &sarah), STORE_OK);
    assert_int_equal(store_person_by_staff_no(other.store, "BIT0003", &priya), STORE_OK);
    assert_int_equal(store_session_by_code(other.store, "au2-in-class-support", &in_class),
                     STORE_OK);
    struct correction c = {.store = other.store,
                           .rules = &other.cfg.rules,
                           .by = "J Smith (office)",
                           .reason = "rang in",
                           .clock_state = "synced",
                           .now_us = test_at("2023-11-28 09:00"),
                           .mono_us = test_at("2023-11-28 09:00")};
    assert_int_equal(correct_cancel_booking(&c, &sarah, &in_class, &said), STORE_OK);
    assert_int_equal(
        correct_void_credit(&c, &priya, "au1-lgbt-awareness", civil_from_ymd(2023, 10, 10), &said),
        STORE_OK);
    must_sync(&other, NULL);
    must_sync(&k, &r);
    assert_int_equal(r.pulled[4], 1);
    assert_true(r.pulled[5] >= 1); /* the void, and the certificate put back */
    /* Turned back on by the owner (keep lists emptied to match): this kiosk took them off for
     * good, so they stay off here; verify names both. */
    struct person sarah_here, priya_here;
    struct session in_class_here;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0001", &sarah_here), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0003", &priya_here), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "au2-in-class-support", &in_class_here),
                     STORE_OK);
    owner_sql("CREATE TABLE public.kept_v AS SELECT * FROM cpd.voided_credits;"
              " CREATE TABLE public.kept_c AS SELECT * FROM cpd.cancelled_bookings;"
              " DELETE FROM cpd.voided_credits; DELETE FROM cpd.cancelled_bookings;"
              " UPDATE cpd.bookings SET active = true WHERE staff_no = 'BIT0001' AND session ="
              " 'au2-in-class-support';"
              " UPDATE cpd.external_credits SET active = true WHERE staff_no = 'BIT0003' AND"
              " programme = 'au1-lgbt-awareness';");
    must_sync(&k, &r);
    assert_int_equal(r.pulled[4], 1);
    bool booked = true;
    assert_int_equal(store_booked(k.store, sarah_here.id, in_class_here.id, &booked), STORE_OK);
    assert_false(booked);
    struct external_credit xs[64];
    size_t n_xs = 0;
    assert_int_equal(store_external_for(k.store, priya_here.id, xs, 64, &n_xs), STORE_OK);
    bool voided = false;
    for (size_t i = 0; i < n_xs; i++)
        voided |= strcmp(xs[i].course_code, "au1-lgbt-awareness") == 0 && xs[i].voided;
    assert_true(voided);
    verify_all(NULL);
    assert_finding("BAD office rows: bookings BIT0001 au2-in-class-support");
    assert_finding("BAD office rows: external_credits BIT0003 au1-lgbt-awareness");
    owner_sql("UPDATE cpd.bookings SET active = false WHERE staff_no = 'BIT0001' AND session ="
              " 'au2-in-class-support';"
              " UPDATE cpd.external_credits SET active = false WHERE staff_no = 'BIT0003' AND"
              " programme = 'au1-lgbt-awareness';"
              " INSERT INTO cpd.voided_credits SELECT * FROM public.kept_v;"
              " INSERT INTO cpd.cancelled_bookings SELECT * FROM public.kept_c;"
              " DROP TABLE public.kept_v; DROP TABLE public.kept_c;");
    must_sync(&k, &r);
    /* A credit whose note is as long as the importer allows (backslashes doubled in the
     * record): in what kiosks see, and taken. */
    char csv[1024], why[1024];
    int used = snprintf(csv, sizeof(csv), "%s",
                        "staff_no,source,programme,date,credits,certificate,directed,note\n"
                        "BIT0005,prerecorded,au1-lgbt-awareness,2023-10-12,1,C-9,no,");
    for (int i = 0; i < 250; i++)
        used += snprintf(csv + used, sizeof(csv) - (size_t)used, "a\\");
    snprintf(csv + used, sizeof(csv) - (size_t)used, "\n");
    if (import_text(IMPORT_CREDITS, csv, why, sizeof(why)) != SYNC_OK)
        fail_msg("a credit with a long note: %s", why);
    must_sync(&k, &r);
    assert_true(r.pulled[5] >= 1);
    /* What kiosks see of the credits, a line added in the log: not signed. */
    static const char forged[] = "E'credits_seen\\tBIT0003\\tforged\\t2023-10-01\\tprerecorded"
                                 "\\t40\\ttrue\\tfalse\\tfalse\\ttrue\\n'";
    char edit[1024];
    snprintf(edit, sizeof(edit),
             "ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
             " UPDATE cpd.office_log SET body = body || %s WHERE seq = (SELECT max(seq) FROM"
             " cpd.office_log WHERE kind = 'credits_seen');"
             " UPDATE cpd.people SET name = name WHERE staff_no = 'BIT0003';",
             forged);
    owner_sql(edit);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "the ledger's credits record ") ||
        !strstr(why, "is not signed by head office's key"))
        fail_msg("an edited credits_seen record: %s", why);
    verify_all(NULL);
    assert_finding("(credits_seen) was changed after it was signed");
    snprintf(edit, sizeof(edit),
             "UPDATE cpd.office_log SET body = left(body, -length(%s)) WHERE seq = (SELECT"
             " max(seq) FROM cpd.office_log WHERE kind = 'credits_seen');"
             " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;",
             forged);
    owner_sql(edit);
    must_sync(&k, &r);
    /* What keeps that void and that cancellation through head office's next import, emptied
     * by the owner (the import would bring them back, signed), or given a row no kiosk's event
     * made: named. */
    owner_sql("CREATE TABLE public.kept_voids AS SELECT * FROM cpd.voided_credits;"
              " CREATE TABLE public.kept_cancels AS SELECT * FROM cpd.cancelled_bookings;"
              " DELETE FROM cpd.voided_credits; DELETE FROM cpd.cancelled_bookings;"
              " INSERT INTO cpd.voided_credits VALUES ('BIT0005', 'au1-aces', '2023-10-05');");
    verify_all(NULL);
    assert_finding("office rows: voided_credits BIT0003 au1-lgbt-awareness 2023-10-10: a kiosk's"
                   " event made it, but the ledger no longer keeps it");
    assert_finding("office rows: cancelled_bookings BIT0001 au2-in-class-support: a kiosk's event"
                   " made it, but the ledger no longer keeps it");
    assert_finding("office rows: voided_credits BIT0005 au1-aces 2023-10-05: kept by the ledger,"
                   " but no kiosk's event made it");
    /* … and head office's next import refuses to sign over it. */
    if (import_text(IMPORT_BOOKINGS, "staff_no,session\nBIT0001,au2-in-class-support\n", why,
                    sizeof(why)) != SYNC_ETAMPER ||
        !strstr(why, "kept revocations, voids and cancellations differ from the kiosks' events"))
        fail_msg("an import over emptied keep lists: %s", why);
    owner_sql("DELETE FROM cpd.voided_credits;"
              " INSERT INTO cpd.voided_credits SELECT * FROM public.kept_voids;"
              " INSERT INTO cpd.cancelled_bookings SELECT * FROM public.kept_cancels;"
              " DROP TABLE public.kept_voids; DROP TABLE public.kept_cancels;");
    verify_all(NULL);
    assert_null(strstr(findings, "voided_credits"));
    assert_null(strstr(findings, "cancelled_bookings"));
    kiosk_close(&k);
    kiosk_close(&other);
}

/* A change the owner hides from the kiosks' cursor (the row's txid set back with the touch
 * trigger off for a moment) reaches every kiosk at its next whole pull: a day after the last,
 * or as soon as head office signs a record. A row the record names that the ledger no longer
 * sends (deleted behind head office's back) stops the whole pull, nothing taken. */
static void test_a_change_hidden_from_the_cursor_reaches_every_kiosk(void **state)
{
    (void)state;
    struct tkiosk k, other;
    kiosk_checking(&k, "whole-pulls");
    kiosk_open(&other, "hides-nothing");
    struct sync_report r;
    must_sync(&k, &r);
    assert_true(r.whole_pull); /* the first */
    must_sync(&k, &r);
    assert_false(r.whole_pull);
    must_sync(&other, NULL);
    char hex[80], last4[16], sql[1024], why[1024];
    owner_value("SELECT encode(uid_hash, 'hex') FROM cpd.badges WHERE staff_no = 'BIT0006' AND"
                " active AND enrolled_by IS NULL ORDER BY uid_hash LIMIT 1;",
                hex, sizeof(hex));
    snprintf(sql, sizeof(sql), "SELECT last4 FROM cpd.badges WHERE uid_hash = decode('%s', 'hex');",
             hex);
    owner_value(sql, last4, sizeof(last4));
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    int64_t id = 0;
    assert_int_equal(crypto_unhex(hash, sizeof(hash), hex), 0);
    assert_int_equal(store_badge_lookup(k.store, hash, &id), STORE_OK);
    /* Lost, says the other kiosk; the owner sets the row's txid back. */
    struct event e = {.type = EV_BADGE_REVOKED, .wall_us = test_at("2023-11-20 15:05")};
    snprintf(e.person, sizeof(e.person), "BIT0006");
    snprintf(e.clock, sizeof(e.clock), "synced");
    snprintf(e.payload, sizeof(e.payload),
             "{\"badge\":\"%s\",\"badge_hash\":\"%s\",\"by\":\"BIT0012\",\"reason\":\"lost\"}",
             last4, hex);
    assert_int_equal(store_append_event(other.store, &e), STORE_OK);
    must_sync(&other, NULL);
    snprintf(sql, sizeof(sql),
             "ALTER TABLE cpd.badges DISABLE TRIGGER touch;"
             " UPDATE cpd.badges SET txid = '3'::xid8 WHERE uid_hash = decode('%s', 'hex');"
             " ALTER TABLE cpd.badges ENABLE TRIGGER touch;",
             hex);
    owner_sql(sql);
    must_sync(&k, &r);
    assert_false(r.whole_pull);
    assert_int_equal(store_badge_lookup(k.store, hash, &id), STORE_OK); /* not yet: the gap */
    /* A day on: everything pulled, the revocation taken. */
    char day_ago[32];
    snprintf(day_ago, sizeof(day_ago), "%" PRId64, clock_wall_us() - 21 * US_PER_HOUR);
    assert_int_equal(store_meta_set(k.store, "ledger_whole_pull_us", day_ago), STORE_OK);
    must_sync(&k, &r);
    assert_true(r.whole_pull);
    assert_int_equal(store_badge_lookup(k.store, hash, &id), STORE_ENOTFOUND);
    /* Turned back on by the owner: this kiosk took the revocation for good, and refuses the
     * badge still; verify names it. */
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.badges SET active = true WHERE uid_hash = decode('%s', 'hex');", hex);
    owner_sql(sql);
    must_sync(&k, &r);
    bool revoked = false;
    assert_int_equal(store_badge_revoked(k.store, hash, &revoked), STORE_OK);
    assert_true(revoked);
    verify_all(NULL);
    assert_finding("BAD office rows: badges ");
    snprintf(sql, sizeof(sql),
             "UPDATE cpd.badges SET active = false WHERE uid_hash = decode('%s', 'hex');", hex);
    owner_sql(sql);
    /* A clock put back: a whole pull too. */
    snprintf(day_ago, sizeof(day_ago), "%" PRId64, clock_wall_us() + 5 * US_PER_HOUR);
    assert_int_equal(store_meta_set(k.store, "ledger_whole_pull_us", day_ago), STORE_OK);
    must_sync(&k, &r);
    assert_true(r.whole_pull);
    /* A signed person duplicated by a table inheriting the ledger's (and another hidden, so the
     * count still matches): the whole pull refuses, nothing taken. */
    owner_sql("CREATE TABLE public.people_dup () INHERITS (cpd.people);"
              " INSERT INTO public.people_dup SELECT * FROM ONLY cpd.people WHERE staff_no ="
              " 'BIT0001';");
    assert_int_equal(store_meta_set(k.store, "ledger_whole_pull_us", "0"), STORE_OK);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "the ledger sent person BIT0001 twice"))
        fail_msg("a duplicated person: %s", why);
    owner_sql("DROP TABLE public.people_dup;");
    /* A badge the roster names, deleted: the whole pull refuses, nothing taken. */
    owner_sql(
        "CREATE TABLE public.kept_badge AS SELECT * FROM cpd.badges WHERE staff_no ="
        " 'BIT0009' AND enrolled_by IS NULL;"
        " DELETE FROM cpd.badges WHERE uid_hash IN (SELECT uid_hash FROM public.kept_badge);");
    assert_int_equal(store_meta_set(k.store, "ledger_whole_pull_us", "0"), STORE_OK);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "badges rows head office signed in its roster: rows were removed or hidden"))
        fail_msg("a deleted badge: %s", why);
    owner_sql("INSERT INTO cpd.badges SELECT * FROM public.kept_badge;"
              " DROP TABLE public.kept_badge;");
    must_sync(&k, &r);
    assert_true(r.whole_pull);
    /* Head office signs a record: the next sync pulls everything. */
    must_sync(&k, &r);
    assert_false(r.whole_pull);
    if (import_text(IMPORT_BOOKINGS, "staff_no,session\nBIT0009,au2-in-class-support\n", why,
                    sizeof(why)) != SYNC_OK)
        fail_msg("a bookings import: %s", why);
    must_sync(&k, &r);
    assert_true(r.whole_pull);
    assert_true(r.pulled[0] > 10);
    kiosk_close(&k);
    kiosk_close(&other);
}

/* What no migration makes, in the ledger's database: an owner's schema with a function in it,
 * a table and a function beside the ledger, a type and an operator in schema cpd, and a
 * superuser's event trigger and publication. Verify names each with the statement that drops
 * it; ledger init refuses, naming them, and changes nothing; dropped, both pass again. */
static void test_objects_no_migration_makes_are_named(void **state)
{
    (void)state;
    owner_sql("CREATE SCHEMA side;"
              " CREATE FUNCTION side.helper() RETURNS int LANGUAGE sql AS 'SELECT 1';"
              " CREATE TABLE public.notes (x int);"
              " CREATE FUNCTION public.later(int) RETURNS int LANGUAGE sql AS 'SELECT $1';"
              " CREATE TYPE cpd.mood AS ENUM ('ok');"
              " CREATE FUNCTION public.same(cpd.mood, cpd.mood) RETURNS boolean LANGUAGE sql"
              " AS 'SELECT true';"
              " CREATE OPERATOR cpd.=== (LEFTARG = cpd.mood, RIGHTARG = cpd.mood,"
              " FUNCTION = public.same);"
              " CREATE SEQUENCE cpd.zseq; CREATE STATISTICS cpd.zst ON staff_no, name FROM"
              " cpd.people; CREATE COLLATION cpd.zc (provider = icu, locale = 'und');"
              " CREATE TEXT SEARCH CONFIGURATION public.zts (COPY = pg_catalog.simple);");
    super_sql("CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS"
              " 'BEGIN END'; CREATE EVENT TRIGGER quiet ON ddl_command_end EXECUTE FUNCTION"
              " public.on_ddl(); CREATE PUBLICATION everything FOR ALL TABLES;");
    verify_all(NULL);
    assert_finding("BAD objects: SCHEMA side (owner cpd_owner) is made by no migration and does"
                   " not belong in the ledger's database: DROP SCHEMA side CASCADE");
    assert_finding("BAD objects: FUNCTION side.helper() (owner cpd_owner)");
    assert_finding("BAD objects: TABLE public.notes (owner cpd_owner)");
    assert_finding("BAD objects: FUNCTION public.later(integer) (owner cpd_owner)");
    assert_finding("BAD objects: TYPE cpd.mood (owner cpd_owner)");
    assert_finding("BAD objects: OPERATOR cpd.===(cpd.mood,cpd.mood)");
    assert_finding("BAD objects: EVENT TRIGGER quiet");
    assert_finding("BAD objects: PUBLICATION everything");
    assert_finding("BAD objects: SEQUENCE cpd.zseq");
    assert_finding("BAD objects: STATISTICS cpd.zst");
    assert_finding("BAD objects: COLLATION cpd.zc");
    assert_finding("BAD objects: TEXT SEARCH CONFIGURATION public.zts");
    struct ledger_target t = admin();
    struct ledger_init init = {.keyring = keyring};
    char why[2048];
    assert_int_equal(ledger_init(&t, &init, why, sizeof(why)), SYNC_ETAMPER);
    if (!strstr(why, "the ledger's database holds objects no migration makes: COLLATION cpd.zc") ||
        !strstr(why, "more (verify --ledger lists them all)") ||
        !strstr(why, "nothing was changed"))
        fail_msg("ledger init over foreign objects: %s", why);
    super_sql("DROP EVENT TRIGGER quiet; DROP FUNCTION public.on_ddl(); DROP PUBLICATION"
              " everything;");
    owner_sql("DROP SCHEMA side CASCADE; DROP TABLE public.notes; DROP FUNCTION public.later(int);"
              " DROP TYPE cpd.mood CASCADE; DROP SEQUENCE cpd.zseq; DROP STATISTICS cpd.zst;"
              " DROP COLLATION cpd.zc; DROP TEXT SEARCH CONFIGURATION public.zts;");
    if (ledger_init(&t, &init, why, sizeof(why)) != SYNC_OK)
        fail_msg("ledger init once they are dropped: %s", why);
    verify_all(NULL);
    assert_null(strstr(findings, "BAD objects"));
}

/* An import the owner takes back before the next checkpoint (its record deleted, the rows put
 * back): with --checkpoints, the import itself anchored its record outside the ledger, so
 * verify names the missing record at once. */
static void test_an_import_is_checkpointed_as_it_is_made(void **state)
{
    (void)state;
    char path[400], checkpoints[400], why[1024];
    snprintf(checkpoints, sizeof(checkpoints), "%s/import-checkpoints", office_dir);
    unlink(checkpoints);
    test_write_file(office_dir, "roster-megan.csv",
                    "staff_no,name,academy,role,active,badge_uid\n"
                    "BIT0007,Megan Crompton,Hollins Brook Academy,staff,yes,C2:7F:3A:E5\n",
                    path, sizeof(path));
    uint8_t site[CRYPTO_SITE_KEY_BYTES];
    assert_int_equal(crypto_unhex(site, sizeof(site), site_key_hex), 0);
    struct rules rules;
    rules_default(&rules);
    struct import_options o = {.rules = &rules, .site_key = site, .accept_changes = true};
    struct import_result r;
    struct ledger_target t = admin();
    t.checkpoints = checkpoints;
    if (ledger_import(&t, IMPORT_ROSTER, path, &o, &r, why, sizeof(why)) != SYNC_OK)
        fail_msg("the import: %s", why);
    char seq[32], line[256];
    owner_value("SELECT max(seq) FROM cpd.office_log;", seq, sizeof(seq));
    FILE *f = fopen(checkpoints, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    char want[128];
    snprintf(want, sizeof(want), "@office %s ", seq);
    if (strncmp(line, want, strlen(want)) != 0)
        fail_msg("the import's checkpoint: %s (the log ends at %s)", line, seq);
    struct stat st;
    assert_int_equal(stat(checkpoints, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    verify_all(checkpoints);
    assert_null(strstr(findings, "BAD"));
    char sql[512];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE public.kept AS SELECT * FROM cpd.office_log WHERE seq = %s;"
             " ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
             " DELETE FROM cpd.office_log WHERE seq = %s;"
             " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;",
             seq, seq);
    owner_sql(sql);
    verify_all(checkpoints);
    snprintf(want, sizeof(want), "head office's record %s of the checkpoint of", seq);
    assert_finding(want);
    owner_sql("ALTER TABLE cpd.office_log DISABLE TRIGGER append_only;"
              " INSERT INTO cpd.office_log SELECT * FROM public.kept; DROP TABLE public.kept;"
              " ALTER TABLE cpd.office_log ENABLE TRIGGER append_only;");
    verify_all(checkpoints);
    assert_null(strstr(findings, "BAD"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ledger_init_signs_what_kiosks_see_of_an_older_log),
        cmocka_unit_test(test_a_kiosk_checks_head_offices_signature_on_the_roster),
        cmocka_unit_test(test_a_kiosk_checks_head_offices_signature_on_everything_it_pulls),
        cmocka_unit_test(test_a_change_hidden_from_the_cursor_reaches_every_kiosk),
        cmocka_unit_test(test_a_revoked_badge_stays_off_after_a_roster_import),
        cmocka_unit_test(test_an_import_is_checkpointed_as_it_is_made),
        cmocka_unit_test(test_a_changed_rule_of_the_schema_is_named),
        cmocka_unit_test(test_ledger_init_proves_the_schema_and_never_blesses_it),
        cmocka_unit_test(test_objects_no_migration_makes_are_named),
        cmocka_unit_test(test_temp_objects_cannot_run_as_the_owner),
        cmocka_unit_test(test_every_security_definer_function_pins_its_search_path),
        cmocka_unit_test(test_a_kiosk_cannot_read_or_push_for_another),
        cmocka_unit_test(test_forged_and_malformed_events_are_refused),
        cmocka_unit_test(test_a_malformed_push_is_one_plain_error),
        cmocka_unit_test(test_a_report_copy_reads_only_the_year_asked),
        cmocka_unit_test(test_truncate_is_refused),
        cmocka_unit_test(test_tail_and_middle_deletions_are_named),
        cmocka_unit_test(test_a_swapped_key_is_named),
        cmocka_unit_test(test_a_key_changed_in_the_database_is_named),
        cmocka_unit_test(test_rotate_key_cannot_re_key_checkpointed_events),
        cmocka_unit_test(test_ghost_kiosks_are_named),
        cmocka_unit_test(test_a_kiosk_restored_from_an_old_backup_heals),
        cmocka_unit_test(test_a_ledger_that_lost_events_is_fed_again_loudly),
        cmocka_unit_test(test_an_original_that_takes_a_clones_events_says_so),
        cmocka_unit_test(test_a_cloned_kiosk_is_named),
        cmocka_unit_test(test_a_kiosk_holding_a_transaction_stalls_no_one_for_long),
        cmocka_unit_test(test_dump_and_restore_keeps_pulls_flowing),
        cmocka_unit_test(test_an_enrolment_reaches_every_kiosk),
        cmocka_unit_test(test_kiosks_pull_only_what_they_show_and_the_office_reads_views),
        cmocka_unit_test(test_a_login_can_be_given_a_new_password_or_turned_off),
        cmocka_unit_test(test_the_extension_is_the_owners_and_refuses_nulls),
        cmocka_unit_test(test_a_kiosk_that_turns_off_its_own_limits_is_ended),
        cmocka_unit_test(test_a_copied_kiosk_password_cannot_exhaust_the_server),
        cmocka_unit_test(test_ledger_init_gives_every_login_the_guard),
        cmocka_unit_test(test_verify_raises_no_false_alarm_while_kiosks_push),
        cmocka_unit_test(test_fields_no_kiosk_writes_are_refused_by_name),
        cmocka_unit_test(test_what_a_login_sets_for_itself_goes_with_add_kiosk),
        cmocka_unit_test(test_another_ledger_in_the_cluster_cannot_touch_our_logins),
        cmocka_unit_test(test_a_stolen_key_still_cannot_do_everything),
        cmocka_unit_test(test_a_hidden_key_row_is_named),
        cmocka_unit_test(test_rows_from_the_ledger_are_checked_not_cut),
        cmocka_unit_test(test_no_login_can_fill_the_disk_or_hold_back_the_pull),
        cmocka_unit_test(test_held_sessions_end_with_add_kiosk),
        cmocka_unit_test(test_stray_rows_and_shared_keys_are_named),
        cmocka_unit_test(test_a_new_disk_after_a_key_change_takes_its_history_back),
        cmocka_unit_test(test_tls_failures_are_named),
        cmocka_unit_test(test_admin_connections_are_as_strict_as_a_kiosks),
        cmocka_unit_test(test_an_ed25519_server_certificate_is_named),
        cmocka_unit_test(test_stray_privileges_are_refused_or_taken_back),
        cmocka_unit_test(test_a_rule_a_column_grant_or_row_security_is_named),
        cmocka_unit_test(test_head_offices_rows_are_proved),
        cmocka_unit_test(test_no_import_without_head_offices_key),
        cmocka_unit_test(test_one_kiosks_events_are_replayed_in_its_own_order),
        cmocka_unit_test(test_head_offices_log_cannot_be_cut_back_or_emptied),
    };
    return cmocka_run_group_tests(tests, ledgerfix_setup, ledgerfix_teardown);
}
