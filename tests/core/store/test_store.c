/* The SQLite store on real files: migrations, file modes, append-only events, verify, damage. */
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

#include "core/domain/payload.h"
#include "tests/support/testutil.h"

/* Runs the sqlite3 shell on a database, as an administrator (or an attacker) would. */
static int sqlite_shell(const char *db, const char *sql, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"%s\" 2>&1", db, sql);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void shell_output(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
}

static void append(struct testkiosk *k, enum event_type type, const char *person,
                   const char *session, int64_t wall_us)
{
    struct event e = {.type = type, .wall_us = wall_us, .mono_us = 1};
    snprintf(e.person, sizeof(e.person), "%s", person);
    snprintf(e.session, sizeof(e.session), "%s", session);
    snprintf(e.clock, sizeof(e.clock), "synced");
    assert_int_equal(store_append_event(k->store, &e), STORE_OK);
}

static void test_migrates_empty_file_with_private_modes(void **state)
{
    (void)state;
    char dir[256], path[512], why[256];
    test_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/kiosk/data.db", dir);
    struct store *s = NULL;
    assert_int_equal(store_open(path, &s, why, sizeof(why)), STORE_OK);
    int version = 0;
    assert_int_equal(store_schema_version(s, &version), STORE_OK);
    assert_int_equal(version, STORE_SCHEMA_VERSION);
    assert_true(store_dir_private(s));
    int64_t n = -1;
    assert_int_equal(store_count(s, "events", &n), STORE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_count(s, "events; DROP TABLE people", &n), STORE_EINVALID);
    store_close(s);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/kiosk", dir);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char wal[600];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    if (stat(wal, &st) == 0)
        assert_int_equal(st.st_mode & 0777, 0600);

    /* Opening again migrates nothing and keeps the data. */
    assert_int_equal(store_open(path, &s, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_schema_version(s, &version), STORE_OK);
    assert_int_equal(version, STORE_SCHEMA_VERSION);
    store_close(s);

    char out[512];
    assert_int_equal(sqlite_shell(path, "PRAGMA journal_mode;", out, sizeof(out)), 0);
    assert_string_equal(out, "wal\n");
    test_rmtree(dir);
}

static void test_newer_schema_and_damage_are_refused(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, false);
    store_close(k.store);
    k.store = NULL;
    char out[512], why[256];
    assert_int_equal(sqlite_shell(k.db_path, "PRAGMA user_version = 99;", out, sizeof(out)), 0);
    struct store *s = NULL;
    assert_int_equal(store_open(k.db_path, &s, why, sizeof(why)), STORE_EVERSION);
    assert_null(s);
    assert_non_null(strstr(why, "99"));

    char junk[512];
    test_write_file(k.dir, "junk.db", "this is not a database, it is a shopping list\n", junk,
                    sizeof(junk));
    assert_int_equal(store_open(junk, &s, why, sizeof(why)), STORE_ECORRUPT);
    assert_null(s);
    testkiosk_close(&k);
}

static void test_events_are_append_only(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    int64_t t = test_at("2023-09-13 15:00");
    append(&k, EV_SIGN_IN, "BIT0004", "cpi-autumn-1", t);
    append(&k, EV_SIGN_OUT, "BIT0004", "cpi-autumn-1", t + INT64_C(3) * 3600 * 1000000);
    char out[512];
    assert_int_not_equal(sqlite_shell(k.db_path,
                                      "UPDATE events SET person = 'BIT0001' WHERE seq = 1;", out,
                                      sizeof(out)),
                         0);
    assert_non_null(strstr(out, "append-only"));
    assert_int_not_equal(sqlite_shell(k.db_path, "DELETE FROM events;", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "append-only"));
    struct store_verify_report r;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.events, 2);
    assert_int_equal(r.first_bad_seq, 0);
    testkiosk_close(&k);
}

/* In a child that cannot write (nobody, when the tests run as root): opens path read only and
 * verifies it; exits with the number of events, or 100 + what failed. */
static void verify_as_reader(const char *path, const uint8_t *pk, int *events)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(101);
        struct store *s = NULL;
        char reason[256];
        int err = store_open_readonly(path, &s, reason, sizeof(reason));
        if (err != STORE_OK) {
            fprintf(stderr, "%s: %s\n", cpd_strerror(err), reason);
            _exit(102);
        }
        struct store_verify_report r;
        if (store_verify(s, pk, &r) != STORE_OK || r.first_bad_seq)
            _exit(103);
        struct event e = {.type = EV_SIGN_IN, .wall_us = 1, .mono_us = 1};
        if (store_append_event(s, &e) == STORE_OK)
            _exit(104); /* a read-only store took a write */
        store_close(s);
        _exit((int)r.events);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    *events = WEXITSTATUS(status);
}

/* A store nobody may write — a read-only file in a read-only directory, as a copy taken off a
 * broken kiosk is — opens read only and verifies, with or without the WAL it was left with. */
static void test_a_read_only_store_opens_and_verifies(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    int64_t t = test_at("2023-09-13 15:00");
    append(&k, EV_SIGN_IN, "BIT0004", "cpi-autumn-1", t);
    append(&k, EV_SIGN_OUT, "BIT0004", "cpi-autumn-1", t + INT64_C(3) * 3600 * 1000000);
    /* Copied while the store is open: the last events are only in its WAL. */
    char copy[300], cmd[4096];
    snprintf(copy, sizeof(copy), "%s/copy", k.dir);
    snprintf(cmd, sizeof(cmd),
             "mkdir '%s' && cp '%s' '%s-wal' '%s-shm' '%s/' && chmod 0444 '%s'/* && "
             "chmod 0555 '%s' && chmod 0755 '%s'",
             copy, k.db_path, k.db_path, k.db_path, copy, copy, copy, k.dir);
    assert_int_equal(system(cmd), 0);
    char path[700];
    snprintf(path, sizeof(path), "%s/kiosk.db", copy);
    struct stat st;
    snprintf(cmd, sizeof(cmd), "%s-wal", path);
    assert_int_equal(stat(cmd, &st), 0);
    assert_true(st.st_size > 0);
    int events = 0;
    verify_as_reader(path, k.keys.sign_pk, &events);
    assert_int_equal(events, 2);
    /* Closed cleanly (no WAL left), then made read-only. */
    store_close(k.store);
    k.store = NULL;
    snprintf(cmd, sizeof(cmd), "chmod 0755 '%s' && chmod 0444 '%s' && chmod 0555 '%s'", k.dir,
             k.db_path, k.dir);
    assert_int_equal(system(cmd), 0);
    verify_as_reader(k.db_path, k.keys.sign_pk, &events);
    assert_int_equal(events, 2);
    snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'", k.dir);
    assert_int_equal(system(cmd), 0);
    testkiosk_close(&k);
}

/* The receipts follow the purge: only the kept events' stay, rewritten under a lock another
 * connection's append waits on — its receipt lands in the new file, never in the one that was
 * replaced — and the store still checks clean against them. */
static void test_receipts_follow_the_purge(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    int64_t old = test_at("2021-09-13 15:00"), recent = test_at("2023-09-13 15:00");
    for (int i = 0; i < 6; i++)
        append(&k, i % 2 ? EV_SIGN_OUT : EV_SIGN_IN, "BIT0004", "cpi-autumn-1",
               (i < 4 ? old : recent) + (int64_t)i * 3600 * 1000000);
    /* A second connection (another program), which has written receipts already. */
    struct store *other = NULL;
    char why[256];
    assert_int_equal(store_open(k.db_path, &other, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(other, "test-kiosk", k.keys.sign_sk), STORE_OK);
    struct event e = {
        .type = EV_SIGN_IN, .wall_us = recent + 7200 * INT64_C(1000000), .mono_us = 1};
    snprintf(e.person, sizeof(e.person), "BIT0005");
    snprintf(e.clock, sizeof(e.clock), "synced");
    assert_int_equal(store_append_event(other, &e), STORE_OK); /* seq 7 */
    int64_t purged = 0;
    assert_int_equal(store_purge(k.store, 7, test_at("2023-01-01 00:00"), &purged), STORE_OK);
    assert_int_equal(purged, 4);
    struct event f = e;
    memset(f.uuid, 0, sizeof(f.uuid));
    assert_int_equal(store_append_event(other, &f), STORE_OK); /* seq 8, from the old fd */
    append(&k, EV_SIGN_OUT, "BIT0005", "cpi-autumn-1", recent + 9000 * INT64_C(1000000));
    struct store_receipts r;
    assert_int_equal(store_receipts_read(k.db_path, &r, why, sizeof(why)), STORE_OK);
    assert_int_equal(r.n, 5); /* 5, 6, 7 kept; 8 and 9 appended after */
    int64_t lowest = INT64_MAX;
    for (size_t i = 0; i < r.n; i++)
        lowest = r.items[i].seq < lowest ? r.items[i].seq : lowest;
    assert_int_equal(lowest, 5);
    assert_int_equal(r.highest, 9);
    struct store_receipts_check c;
    assert_int_equal(store_check_receipts(k.store, &r, &c), STORE_OK);
    assert_int_equal(c.missing, 0);
    assert_int_equal(c.differ, 0);
    store_receipts_free(&r);
    store_close(other);
    testkiosk_close(&k);
}

/* Verify on a running kiosk: another program commits all the while (a tap every few ms, its
 * receipt after each). Each look reads the receipts first, then a private copy of the store —
 * never an acknowledged event "missing" that was only committed after the copy, never a copy
 * torn between a checkpoint's writes. */
static void test_looking_at_a_store_being_written(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    append(&k, EV_SIGN_IN, "BIT0004", "cpi-autumn-1", test_at("2023-09-13 15:00"));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *w = NULL;
        char why[256];
        if (store_open(k.db_path, &w, why, sizeof(why)) != STORE_OK ||
            store_set_signer(w, "test-kiosk", k.keys.sign_sk) != STORE_OK)
            _exit(101);
        /* SQLite checkpoints every 1000 pages: a small WAL, so checkpoints happen often. */
        for (int i = 0; i < 4000; i++) {
            struct event e = {
                .type = EV_NO_SESSION, .wall_us = test_at("2023-09-13 15:00") + i, .mono_us = 1};
            snprintf(e.clock, sizeof(e.clock), "synced");
            if (store_append_event(w, &e) != STORE_OK)
                _exit(102);
        }
        store_close(w);
        _exit(0);
    }
    int looks = 0, status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        struct store_receipts r;
        struct store_receipts_check c;
        struct store *s = NULL;
        char why[256];
        assert_int_equal(store_receipts_read(k.db_path, &r, why, sizeof(why)), STORE_OK);
        int err = store_open_readonly(k.db_path, &s, why, sizeof(why));
        if (err == STORE_EBUSY) { /* it kept changing under five copies: said, not wrong */
            store_receipts_free(&r);
            continue;
        }
        if (err != STORE_OK)
            fail_msg("look %d: %s: %s", looks, cpd_strerror(err), why);
        assert_int_equal(store_check_receipts(s, &r, &c), STORE_OK);
        if (c.missing || c.differ)
            fail_msg("look %d: %lld missing (%lld–%lld), %lld differ", looks, (long long)c.missing,
                     (long long)c.missing_low, (long long)c.missing_high, (long long)c.differ);
        store_close(s);
        store_receipts_free(&r);
        looks++;
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    print_message("%d looks while 4000 events were committed\n", looks);
    assert_true(looks >= 5);
    testkiosk_close(&k);
}

/* Looking is strictly looking: a copy taken off a broken kiosk, with its WAL and without the
 * WAL's index, in a folder anyone may write, is read whole — the WAL's events included — and
 * afterwards the folder holds exactly the files it held, byte for byte (no -shm, no -wal
 * replayed or removed). A file the reader may not read says "cannot read". */
static void test_looking_creates_and_changes_nothing(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    int64_t t = test_at("2023-09-13 15:00");
    append(&k, EV_SIGN_IN, "BIT0004", "cpi-autumn-1", t);
    append(&k, EV_SIGN_OUT, "BIT0004", "cpi-autumn-1", t + INT64_C(3) * 3600 * 1000000);
    char copy[300], cmd[4096], path[700], listing[2][1024];
    snprintf(copy, sizeof(copy), "%s/evidence", k.dir);
    snprintf(path, sizeof(path), "%s/kiosk.db", copy);
    snprintf(cmd, sizeof(cmd),
             "mkdir -m 0777 '%s' && cp '%s' '%s-wal' '%s/' && cp -r '%s' '%s.orig' && "
             "test -s '%s-wal'",
             copy, k.db_path, k.db_path, copy, copy, copy, path);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "cd '%s' && ls -a", copy);
    shell_output(cmd, listing[0], sizeof(listing[0]));
    for (int damaged = 0; damaged < 2; damaged++) {
        struct store *s = NULL;
        char why[256];
        assert_int_equal(damaged ? store_open_damaged(path, &s, why, sizeof(why))
                                 : store_open_readonly(path, &s, why, sizeof(why)),
                         STORE_OK);
        struct event e;
        assert_int_equal(store_event_at(s, 2, &e), STORE_OK); /* only in the WAL */
        assert_int_equal(e.type, EV_SIGN_OUT);
        store_close(s);
    }
    shell_output(cmd, listing[1], sizeof(listing[1]));
    assert_string_equal(listing[0], listing[1]);
    snprintf(cmd, sizeof(cmd), "diff -r '%s' '%s.orig'", copy, copy);
    assert_int_equal(system(cmd), 0);
    /* Unreadable to this reader: said as such, not as a write failing. */
    if (geteuid() == 0) {
        snprintf(cmd, sizeof(cmd), "chmod 0600 '%s' && chown root '%s'", path, path);
        assert_int_equal(system(cmd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct store *s = NULL;
            char why[256] = "";
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(101);
            int err = store_open_readonly(path, &s, why, sizeof(why));
            _exit(err == STORE_ENOREAD && strstr(why, "cannot read") ? 0 : 102);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    testkiosk_close(&k);
}

/* Retention: synced events older than the limit go; the first one kept anchors the chain, so
 * verify still passes; nothing the ledger lacks and nothing recent goes; every other delete is
 * still refused. */
static void test_synced_old_events_are_purged_and_the_chain_still_verifies(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    int64_t old = test_at("2021-09-13 15:00"), recent = test_at("2023-09-13 15:00");
    /* A badge revoked long ago (seq 1): current state, which no purge or rebuild may undo. */
    uint8_t badge[CRYPTO_BADGE_HASH_BYTES];
    memset(badge, 0xab, sizeof(badge));
    char hex[2 * CRYPTO_BADGE_HASH_BYTES + 1], payload[128];
    crypto_hex(hex, badge, sizeof(badge));
    snprintf(payload, sizeof(payload), "{\"badge_hash\":\"%s\",\"last4\":\"ABAB\"}", hex);
    struct event revoked = {
        .type = EV_BADGE_REVOKED, .wall_us = old - 3600 * INT64_C(1000000), .mono_us = 1};
    snprintf(revoked.person, sizeof(revoked.person), "BIT0004");
    snprintf(revoked.clock, sizeof(revoked.clock), "synced");
    snprintf(revoked.payload, sizeof(revoked.payload), "%s", payload);
    assert_int_equal(store_append_event(k.store, &revoked), STORE_OK);
    for (int i = 0; i < 4; i++)
        append(&k, i % 2 ? EV_SIGN_OUT : EV_SIGN_IN, "BIT0004", "cpi-autumn-1",
               old + (int64_t)i * 3600 * 1000000);
    for (int i = 0; i < 5; i++)
        append(&k, i % 2 ? EV_SIGN_OUT : EV_SIGN_IN, "BIT0004", "cpi-autumn-1",
               recent + (int64_t)i * 3600 * 1000000);
    int64_t cutoff = test_at("2023-01-01 00:00"), purged = -1, n = 0;
    /* The ledger holds up to seq 3 only: seqs 4 and 5 are old but not synced, and stay. */
    assert_int_equal(store_purge(k.store, 3, cutoff, &purged), STORE_OK);
    assert_int_equal(purged, 2);
    assert_int_equal(store_count(k.store, "events", &n), STORE_OK);
    assert_int_equal(n, 8);
    struct store_verify_report r;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(r.events, 8);
    assert_int_equal(r.purged_below, 3);
    /* Synced up to 8: the old ones up to 5 go, the recent ones stay. */
    assert_int_equal(store_purge(k.store, 8, cutoff, &purged), STORE_OK);
    assert_int_equal(purged, 3);
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(r.events, 5);
    assert_int_equal(r.purged_below, 6);
    /* Nothing more to do, and nothing older than what is kept can be asked for again. */
    assert_int_equal(store_purge(k.store, 2, test_at("2030-01-01 00:00"), &purged), STORE_OK);
    assert_int_equal(purged, 0);
    /* Still append-only for everything kept. */
    char out[512];
    assert_int_not_equal(
        sqlite_shell(k.db_path, "DELETE FROM events WHERE seq = 6;", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "append-only"));
    /* The revocation stays in force, rebuilds included. */
    bool is_revoked = false;
    assert_int_equal(store_badge_revoked(k.store, badge, &is_revoked), STORE_OK);
    assert_true(is_revoked);
    assert_int_equal(store_rebuild_projections(k.store), STORE_OK);
    assert_int_equal(store_badge_revoked(k.store, badge, &is_revoked), STORE_OK);
    assert_true(is_revoked);
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 0);
    /* Reopened (the signer's checks) and verified again. */
    store_close(k.store);
    char why[256];
    assert_int_equal(store_open(k.db_path, &k.store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(k.store, "test-kiosk", k.keys.sign_sk), STORE_OK);
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 0);
    /* The anchor cannot be deleted out of band to hide events after it. */
    assert_int_not_equal(
        sqlite_shell(k.db_path, "DELETE FROM events WHERE seq = 10;", out, sizeof(out)), 0);
    testkiosk_close(&k);
}

static void test_an_edited_row_breaks_verify(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    int64_t t = test_at("2023-09-13 15:00");
    for (int i = 0; i < 5; i++)
        append(&k, EV_ALREADY_IN, "BIT0004", "cpi-autumn-1", t + i * 1000000);
    char out[512];
    /* Someone with the file drops the trigger and edits event 3. */
    assert_int_equal(sqlite_shell(k.db_path,
                                  "DROP TRIGGER events_no_update;"
                                  " UPDATE events SET wall_us = wall_us + 60000000 WHERE seq = 3;",
                                  out, sizeof(out)),
                     0);
    struct store_verify_report r;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 3);
    assert_int_equal(r.error, EVENT_EHASH);

    /* Re-hashing the edit is not enough: the signature (and the next link) give it away. */
    testkiosk_close(&k);
    testkiosk_open(&k, true);
    for (int i = 0; i < 3; i++)
        append(&k, EV_ALREADY_IN, "BIT0004", "cpi-autumn-1", t + i * 1000000);
    struct testkiosk other;
    testkiosk_open(&other, false);
    assert_int_equal(store_verify(k.store, other.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 1);
    assert_int_equal(r.error, EVENT_ESIG);
    testkiosk_close(&other);
    /* A deleted event breaks the chain at the next one. */
    assert_int_equal(
        sqlite_shell(k.db_path, "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 2;",
                     out, sizeof(out)),
        0);
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 3);
    assert_int_equal(r.error, EVENT_ESEQ);
    testkiosk_close(&k);
}

static void test_projection_rebuilds_from_events(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    int64_t t = test_at("2023-09-13 15:00");
    append(&k, EV_SIGN_IN, "BIT0004", "cpi-autumn-1", t);
    append(&k, EV_SIGN_IN, "BIT0007", "cpi-autumn-1", t + 600 * INT64_C(1000000));
    append(&k, EV_SIGN_OUT, "BIT0004", "cpi-autumn-1", t + 11000 * INT64_C(1000000));
    struct person p;
    struct session s;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &p), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "cpi-autumn-1", &s), STORE_OK);
    struct attendance before, after;
    assert_int_equal(store_attendance_get(k.store, p.id, s.id, &before), STORE_OK);
    assert_int_equal(before.in_us, t);
    assert_int_equal(before.out_us, t + 11000 * INT64_C(1000000));
    assert_int_equal(store_rebuild_projections(k.store), STORE_OK);
    assert_int_equal(store_attendance_get(k.store, p.id, s.id, &after), STORE_OK);
    assert_memory_equal(&before, &after, sizeof(before));
    int64_t rows = 0;
    assert_int_equal(store_count(k.store, "attendance", &rows), STORE_OK);
    assert_int_equal(rows, 2);
    testkiosk_close(&k);
}

static void test_a_list_that_does_not_fit_says_so(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    static const char *const codes[] = {"cpi-autumn-1", "cpi-autumn-2", "cpi-autumn-3"};
    static const char *const days[] = {"2023-09-13 15:10", "2023-09-14 15:10", "2023-09-20 15:10"};
    for (int i = 0; i < 3; i++)
        append(&k, EV_SIGN_IN, "BIT0004", codes[i], test_at(days[i]));
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &p), STORE_OK);
    struct session sessions[3];
    struct attendance rows[3];
    size_t n = 0;
    /* Two places for three rows: filled, and told — never a silently shorter list. */
    assert_int_equal(store_attendance_of(k.store, p.id, sessions, rows, 2, &n), STORE_ETOOMANY);
    assert_int_equal(n, 2);
    assert_int_equal(store_attendance_of(k.store, p.id, sessions, rows, 3, &n), STORE_OK);
    assert_int_equal(n, 3);
    struct session near[1];
    assert_int_equal(store_package_sessions(k.store, near, 1, &n), STORE_ETOOMANY);
    testkiosk_close(&k);
}

static int entries_in(const char *dir)
{
    char cmd[700], out[64];
    snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, sizeof(out), p));
    pclose(p);
    return atoi(out);
}

/* A read-only look copies the store (everyone's taps) into $TMPDIR; what a stopped program's
 * signal handler calls removes every copy still there, and the store closes after it all the
 * same. */
static void test_a_stopped_look_leaves_no_copy(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    char tmp[600], why[256];
    snprintf(tmp, sizeof(tmp), "%s/tmp", k.dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    const char *saved = getenv("TMPDIR");
    char *old = saved ? strdup(saved) : NULL;
    setenv("TMPDIR", tmp, 1);
    struct store *a = NULL, *b = NULL;
    assert_int_equal(store_open_readonly(k.db_path, &a, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_open_damaged(k.db_path, &b, why, sizeof(why)), STORE_OK);
    assert_int_equal(entries_in(tmp), 2);
    store_look_remove_on_signal();
    assert_int_equal(entries_in(tmp), 0);
    store_close(a);
    store_close(b);
    assert_int_equal(store_open_readonly(k.db_path, &a, why, sizeof(why)), STORE_OK);
    assert_int_equal(entries_in(tmp), 1);
    store_close(a); /* and a normal close still removes its own */
    assert_int_equal(entries_in(tmp), 0);
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    testkiosk_close(&k);
}

static void test_summary_queries_use_indexes(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    char plan[4096];
    assert_int_equal(store_explain_summary(k.store, plan, sizeof(plan)), STORE_OK);
    /* No full scan of the big tables; package sessions scan the small courses table. */
    assert_null(strstr(plan, "SCAN a"));
    assert_null(strstr(plan, "SCAN x"));
    assert_null(strstr(plan, "SCAN events"));
    assert_null(strstr(plan, "SCAN badges"));
    assert_non_null(strstr(plan, "USING"));
    /* A tap's "did they forget to sign out?" reads the person's newest auto-close by its own
     * index, not their history. */
    assert_non_null(strstr(plan, "INDEX events_auto_close"));
    testkiosk_close(&k);
}

static void test_badges_belong_to_one_person(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "04D7E2A2B95C81", k.keys.site); /* Tom's badge */
    struct person tom, sarah;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0008", &tom), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0001", &sarah), STORE_OK);
    int64_t owner = 0;
    assert_int_equal(store_badge_lookup(k.store, hash, &owner), STORE_OK);
    assert_int_equal(owner, tom.id);
    assert_int_equal(store_badge_add(k.store, tom.id, hash, "5C81"), STORE_OK);
    assert_int_equal(store_badge_add(k.store, sarah.id, hash, "5C81"), STORE_ECONSTRAINT);
    /* The UID itself is nowhere in the file. */
    char out[4096];
    assert_int_equal(
        sqlite_shell(k.db_path, "SELECT hex(uid_hash), last4 FROM badges;", out, sizeof(out)), 0);
    assert_null(strstr(out, "04D7E2A2B95C81"));
    assert_non_null(strstr(out, "5C81"));
    testkiosk_close(&k);
}

static void test_append_needs_a_signer_and_valid_event(void **state)
{
    (void)state;
    char dir[256], path[512], why[256];
    test_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/k.db", dir);
    struct store *s = NULL;
    assert_int_equal(store_open(path, &s, why, sizeof(why)), STORE_OK);
    struct event e = {.type = EV_NO_SESSION, .wall_us = 1};
    assert_int_equal(store_append_event(s, &e), STORE_ENOSIGNER);
    uint8_t pk[CRYPTO_SIGN_PK_BYTES], sk[CRYPTO_SIGN_SK_BYTES];
    crypto_sign_keypair_new(pk, sk);
    assert_int_equal(store_set_signer(s, "", sk), STORE_EINVALID);
    assert_int_equal(store_set_signer(s, "k1", sk), STORE_OK);
    e.wall_us = 0;
    assert_int_equal(store_append_event(s, &e), STORE_EINVALID);
    e.wall_us = 5;
    assert_int_equal(store_append_event(s, &e), STORE_OK);
    assert_int_equal(e.seq, 1);
    assert_string_equal(e.kiosk, "k1");
    assert_string_equal(e.payload, "{}");
    store_close(s);
    test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrates_empty_file_with_private_modes),
        cmocka_unit_test(test_newer_schema_and_damage_are_refused),
        cmocka_unit_test(test_events_are_append_only),
        cmocka_unit_test(test_an_edited_row_breaks_verify),
        cmocka_unit_test(test_synced_old_events_are_purged_and_the_chain_still_verifies),
        cmocka_unit_test(test_a_read_only_store_opens_and_verifies),
        cmocka_unit_test(test_looking_creates_and_changes_nothing),
        cmocka_unit_test(test_looking_at_a_store_being_written),
        cmocka_unit_test(test_receipts_follow_the_purge),
        cmocka_unit_test(test_projection_rebuilds_from_events),
        cmocka_unit_test(test_a_list_that_does_not_fit_says_so),
        cmocka_unit_test(test_summary_queries_use_indexes),
        cmocka_unit_test(test_a_stopped_look_leaves_no_copy),
        cmocka_unit_test(test_badges_belong_to_one_person),
        cmocka_unit_test(test_append_needs_a_signer_and_valid_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
