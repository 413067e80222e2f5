/* Faults under the tap: the disk fills (a write fails with SQLITE_FULL) or fsync fails with
 * EIO (SQLITE_IOERR_FSYNC), through the powercut VFS (tests/support/powercut_vfs.h), at each
 * write or sync of a tap's commit in turn. tapflow_tap must return the error, and nothing it
 * did not acknowledge may be counted as stored: not the event, not the attendance, not after
 * a reopen. Once the fault clears the next tap succeeds and the store verifies. The same with
 * a checkpoint after every commit: a fault in the checkpoint (after the commit was synced)
 * fails no tap, and loses none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "tests/support/powercut_vfs.h"
#include "tests/support/testutil.h"

/* The newest connection (the store's), from an auto extension: to make it checkpoint often. */
static sqlite3 *last_db;

static int on_connection(sqlite3 *db, const char **err, const struct sqlite3_api_routines *api)
{
    (void)err;
    (void)api;
    last_db = db;
    return SQLITE_OK;
}

/* What the store says it holds. */
struct holding {
    int64_t tip;
    int64_t events;
    int64_t attendance;
};

static struct holding holding_of(struct store *s)
{
    struct holding h;
    uint8_t hash[CRYPTO_HASH_BYTES];
    assert_int_equal(store_chain_tip(s, &h.tip, hash), STORE_OK);
    assert_int_equal(store_count(s, "events", &h.events), STORE_OK);
    assert_int_equal(store_count(s, "attendance", &h.attendance), STORE_OK);
    return h;
}

static void assert_holding(const struct holding *a, const struct holding *b)
{
    assert_int_equal(a->tip, b->tip);
    assert_int_equal(a->events, b->events);
    assert_int_equal(a->attendance, b->attendance);
}

static void assert_verifies(struct testkiosk *k)
{
    assert_int_equal(store_quick_check(k->store), STORE_OK);
    struct store_verify_report r;
    assert_int_equal(store_verify(k->store, k->keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 0);
    int64_t before = 0, after = 0;
    assert_int_equal(store_count(k->store, "attendance", &before), STORE_OK);
    assert_int_equal(store_rebuild_projections(k->store), STORE_OK);
    assert_int_equal(store_count(k->store, "attendance", &after), STORE_OK);
    assert_int_equal(before, after);
}

static const char *const badges[] = {"04-3B-19-D2-6A-71-81", "C2:7F:3A:E5", "04:11:22:33:44:55:66"};

static int tap(struct testkiosk *k, int i, struct tap_result *r)
{
    struct uid uid;
    assert_int_equal(uid_parse(badges[i % 3], UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid), UID_OK);
    int64_t now = test_at("2023-09-13 17:55") + (int64_t)i * 11 * 1000000;
    return tapflow_tap(&k->flow, &uid, now, now, 0, r);
}

/* A tap that succeeded: its event is the newest, and only what it committed was added. */
static void assert_acknowledged(struct testkiosk *k, const struct holding *before,
                                const struct tap_result *r)
{
    struct holding now = holding_of(k->store);
    assert_int_equal(now.tip, r->seq);
    assert_true(now.tip > before->tip);
    assert_int_equal(now.events, before->events + (now.tip - before->tip));
}

typedef void (*fault_fn)(int after, int n);

/* Fails every call from the after-th on (of the knob's kind), for after = 0, 1, 2 … until a
 * tap goes through without meeting the fault. Returns how many taps the fault refused. */
static int fail_each(struct testkiosk *k, fault_fn fault, int expected_error, int *i, int *late)
{
    struct tap_result *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    int refused = 0;
    for (int after = 0; after < 200; after++) {
        struct holding before = holding_of(k->store);
        long faults = powercut_vfs_faults();
        fault(after, -1);
        int err = tap(k, (*i)++, r);
        /* The disk is still full (or still failing): a second tap fares no better. */
        int again = err == STORE_OK ? STORE_OK : tap(k, (*i)++, r);
        fault(0, 0);
        bool met = powercut_vfs_faults() > faults;
        if (err == STORE_OK) {
            /* Acknowledged: it must be there (a fault met after the commit, in a checkpoint,
             * does not undo it). */
            assert_acknowledged(k, &before, r);
            if (!met)
                break;
            (*late)++;
            continue;
        }
        assert_true(met);
        assert_int_equal(err, expected_error);
        assert_int_equal(again, expected_error);
        refused += 2;
        /* Nothing of the refused taps is counted: no event, no attendance. */
        struct holding after_fault = holding_of(k->store);
        assert_holding(&after_fault, &before);
        /* The fault cleared: the next tap goes through, and the store is whole. */
        assert_int_equal(tap(k, (*i)++, r), STORE_OK);
        assert_acknowledged(k, &before, r);
        assert_verifies(k);
    }
    tapflow_result_free(r);
    free(r);
    return refused;
}

/* And after a clean close and reopen, the store holds exactly what it said. */
static void reopen_and_check(struct testkiosk *k)
{
    struct holding before = holding_of(k->store);
    store_close(k->store);
    char why[256];
    assert_int_equal(store_open(k->db_path, &k->store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(k->store, "test-kiosk", k->keys.sign_sk), STORE_OK);
    k->flow.store = k->store;
    struct holding after = holding_of(k->store);
    assert_holding(&after, &before);
    assert_verifies(k);
}

/* Each write (or sync) of a tap in turn; ckpt: a checkpoint after every commit. */
static void fault_each(fault_fn fault, int expected_error, bool ckpt, const char *what)
{
    struct testkiosk k;
    testkiosk_open(&k, true);
    if (ckpt)
        assert_int_equal(sqlite3_wal_autocheckpoint(last_db, 1), SQLITE_OK);
    int i = 0, late = 0;
    long faults = powercut_vfs_faults();
    int refused = fail_each(&k, fault, expected_error, &i, &late);
    print_message("%s%s: %d taps refused, %d acknowledged with the fault met after the commit, "
                  "%ld calls failed, %d taps in all\n",
                  what, ckpt ? " (a checkpoint each commit)" : "", refused, late,
                  powercut_vfs_faults() - faults, i);
    assert_true(refused >= 2);
    assert_true(!ckpt || late > 0);
    reopen_and_check(&k);
    testkiosk_close(&k);
}

static void test_disk_full_at_each_write_refuses_the_tap(void **state)
{
    (void)state;
    fault_each(powercut_vfs_fail_writes, STORE_EFULL, false, "disk full");
}

static void test_fsync_eio_at_each_sync_refuses_the_tap(void **state)
{
    (void)state;
    fault_each(powercut_vfs_fail_syncs, STORE_EIO, false, "fsync EIO");
}

static void test_disk_full_in_checkpoints(void **state)
{
    (void)state;
    fault_each(powercut_vfs_fail_writes, STORE_EFULL, true, "disk full");
}

static void test_fsync_eio_in_checkpoints(void **state)
{
    (void)state;
    fault_each(powercut_vfs_fail_syncs, STORE_EIO, true, "fsync EIO");
}

/* A disk that stays full for a while: every tap says so, the store still reads (registers,
 * summaries), and the first tap once there is room again is recorded. */
static void test_disk_full_for_a_while_then_room(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    struct tap_result *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    int i = 0;
    assert_int_equal(tap(&k, i++, r), STORE_OK);
    struct holding before = holding_of(k.store);
    powercut_vfs_fail_writes(0, -1);
    for (int n = 0; n < 5; n++) {
        assert_int_equal(tap(&k, i++, r), STORE_EFULL);
        /* Said once: SQLite's "database or disk is full" would repeat "disk is full". */
        assert_string_equal(store_message(k.store), "");
    }
    struct holding during = holding_of(k.store);
    powercut_vfs_fail_writes(0, 0);
    assert_holding(&during, &before);
    assert_int_equal(tap(&k, i++, r), STORE_OK);
    assert_acknowledged(&k, &before, r);
    assert_verifies(&k);
    tapflow_result_free(r);
    free(r);
    reopen_and_check(&k);
    testkiosk_close(&k);
}

/* Opening a store on a full disk says "disk is full", and only that: whether SQLite met it as
 * SQLITE_FULL (writing a new store's first pages) or as an I/O error with errno ENOSPC
 * (growing the -shm of an existing store, which its last close removed). Before, the second
 * read "disk I/O error: disk I/O error". Once there is room the store opens. */
static void test_opening_on_a_full_disk_says_disk_full_once(void **state)
{
    (void)state;
    char dir[256], path[512], why[256];
    test_tempdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/kiosk.db", dir);
    struct store *s = NULL;
    long faults = powercut_vfs_faults();
    powercut_vfs_fail_writes(0, -1);
    int err = store_open(path, &s, why, sizeof(why));
    powercut_vfs_fail_writes(0, 0);
    assert_true(powercut_vfs_faults() > faults);
    assert_int_equal(err, STORE_EFULL);
    assert_null(s);
    assert_string_equal(why, "");
    assert_string_equal(cpd_strerror(err), "disk is full");
    assert_int_equal(store_open(path, &s, why, sizeof(why)), STORE_OK);
    store_close(s);
    s = NULL;
    faults = powercut_vfs_faults();
    powercut_vfs_fail_shm(0, -1);
    err = store_open(path, &s, why, sizeof(why));
    powercut_vfs_fail_shm(0, 0);
    assert_true(powercut_vfs_faults() > faults);
    assert_int_equal(err, STORE_EFULL);
    assert_null(s);
    assert_string_equal(why, "");
    assert_int_equal(store_open(path, &s, why, sizeof(why)), STORE_OK);
    store_close(s);
    test_rmtree(dir);
}

int main(void)
{
    /* Before the first connection: every store below is on the powercut VFS. */
    if (powercut_vfs_install() != SQLITE_OK ||
        sqlite3_auto_extension((void (*)(void))on_connection) != SQLITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full_at_each_write_refuses_the_tap),
        cmocka_unit_test(test_fsync_eio_at_each_sync_refuses_the_tap),
        cmocka_unit_test(test_disk_full_in_checkpoints),
        cmocka_unit_test(test_fsync_eio_in_checkpoints),
        cmocka_unit_test(test_disk_full_for_a_while_then_room),
        cmocka_unit_test(test_opening_on_a_full_disk_says_disk_full_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
