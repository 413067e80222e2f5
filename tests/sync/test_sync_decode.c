/* What a ledger may answer that the kiosk and head office must take without crashing: each case
 * an input the fuzz targets found (tests/fuzz/, docs/fuzzing.md), replayed against a ledger
 * without a server (fake_libpq.h) that says what the script says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/error.h"
#include "sync/ledger/ledger.h"
#include "sync/sync.h"
#include "sync/sync_pg.h"
#include "tests/support/testutil.h"
#include "tests/sync/fake_libpq.h"

/* One sync of test kiosk k against a ledger saying script. */
static int sync_of(struct testkiosk *k, const char *script, struct sync_report *r, char *why,
                   size_t cap)
{
    fake_pg_load((const uint8_t *)script, strlen(script));
    struct sync_options o = {.conninfo = "dbname=fake", .batch = 100};
    int err = sync_run(&o, k->store, NULL, NULL, r, why, cap);
    fake_pg_unload();
    return err;
}

/* The same for a fresh test kiosk (signer "test-kiosk", no data); clock_reading (NULL: not
 * wanted) gets the ledger's clock reading the sync kept ("" for none). */
static int sync_with(const char *script, struct sync_report *r, char *why, size_t cap,
                     char *clock_reading, size_t reading_cap)
{
    struct testkiosk k;
    testkiosk_open(&k, false);
    int err = sync_of(&k, script, r, why, cap);
    if (clock_reading &&
        store_meta_get(k.store, STORE_META_CLOCK_LEDGER, clock_reading, reading_cap) != STORE_OK)
        clock_reading[0] = '\0';
    testkiosk_close(&k);
    return err;
}

#define CHAIN_TIP_OF_TEST_KIOSK                                                                    \
    "@kiosk_status\n"                                                                              \
    "0\t0000000000000000000000000000000000000000000000000000000000000000\tl/c\ttest-kiosk\n"

/* cpd.kiosk_status() answers no row, or two: there is no chain tip to compare with, and the
 * sync stops there (it read row 0 of an empty result: a NULL into strtoll). */
static void test_a_kiosk_status_of_no_row_or_two_is_refused(void **state)
{
    (void)state;
    struct sync_report r;
    char why[512];
    assert_int_equal(sync_with("@kiosk_status\n", &r, why, sizeof(why), NULL, 0), SYNC_EQUERY);
    assert_non_null(strstr(why, "malformed"));
    const char *two = "@kiosk_status\n"
                      "0\t0000000000000000000000000000000000000000000000000000000000000000"
                      "\tl/c\ttest-kiosk\n"
                      "0\t0000000000000000000000000000000000000000000000000000000000000000"
                      "\tl/c\ttest-kiosk\n";
    assert_int_equal(sync_with(two, &r, why, sizeof(why), NULL, 0), SYNC_EQUERY);
    assert_int_equal(sync_with(CHAIN_TIP_OF_TEST_KIOSK, &r, why, sizeof(why), NULL, 0), SYNC_OK);
}

/* cpd.server_time_us() reading no time a clock can show: the offset overflowed (INT64_MIN
 * minus our time), and a reading of INT64_MAX kept as evidence overflowed the next tap's clock
 * check. Refused, and nothing kept. */
static void test_a_ledger_clock_outside_1970_to_9999_is_refused(void **state)
{
    (void)state;
    static const char *const times[] = {"-9223372036854775808", "9223372036854775807", "0",
                                        "253402300800000000"};
    struct sync_report r;
    char why[512], script[512], reading[128];
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        snprintf(script, sizeof(script), "@server_time\n%s\n" CHAIN_TIP_OF_TEST_KIOSK, times[i]);
        assert_int_equal(sync_with(script, &r, why, sizeof(why), reading, sizeof(reading)),
                         SYNC_EQUERY);
        assert_non_null(strstr(why, "no time between 1970 and 9999"));
        assert_string_equal(reading, "");
    }
    snprintf(script, sizeof(script), "@server_time\n253402300799999999\n" CHAIN_TIP_OF_TEST_KIOSK);
    assert_int_equal(sync_with(script, &r, why, sizeof(why), reading, sizeof(reading)), SYNC_OK);
    assert_non_null(strstr(reading, " 253402300799999999 "));
}

/* Head office's copy of a ledger for reports (sync_copy) into a fresh store at dir; *rows
 * gets the events the copy holds, last_skipped those it left out. */
static struct sync_skipped last_skipped;

static int copy_for_reports(const char *dir, const char *script, int64_t *rows, char *why,
                            size_t cap)
{
    struct store *copy = NULL;
    char path[600];
    snprintf(path, sizeof(path), "%s/copy.db", dir);
    unlink(path);
    assert_int_equal(store_open(path, &copy, why, cap), STORE_OK);
    fake_pg_load((const uint8_t *)script, strlen(script));
    struct pg *pg = NULL;
    int err = sync_connect(&(struct sync_options){.conninfo = "dbname=fake"}, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_copy(pg, copy, SYNC_COPY_FOR_REPORTS, INT64_MIN, &last_skipped, why, cap);
    pg_close(pg);
    fake_pg_unload();
    assert_int_equal(store_count(copy, "events", rows), STORE_OK);
    store_close(copy);
    return err;
}

/* A negative seq as the chain tip or as the push's acknowledgement: the push's counts
 * (acknowledged − start, total − start) overflowed. No seq: refused. */
static void test_a_negative_seq_from_the_ledger_is_refused(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    assert_non_null(k.store);
    test_tap(&k, "04:5A:2B:72:1C:6E:80", "2023-09-28 15:40", NULL, NULL); /* an event to push */
    struct sync_report r;
    char why[512];
    assert_int_equal(sync_of(&k,
                             "@kiosk_status\n-9223372036854775808\t"
                             "0000000000000000000000000000000000000000000000000000000000000000"
                             "\tl/c\ttest-kiosk\n",
                             &r, why, sizeof(why)),
                     SYNC_EQUERY);
    assert_non_null(strstr(why, "malformed"));
    assert_int_equal(
        sync_of(&k, CHAIN_TIP_OF_TEST_KIOSK "@push\n-9223372036854775808\n", &r, why, sizeof(why)),
        SYNC_EQUERY);
    assert_non_null(strstr(why, "acknowledged seq -9223372036854775808"));
    assert_int_equal(sync_of(&k, CHAIN_TIP_OF_TEST_KIOSK "@push\n1\n", &r, why, sizeof(why)),
                     SYNC_OK);
    assert_int_equal(r.pushed, 1);
    testkiosk_close(&k);
}

/* Credits the importers could never have read (999.75 at most, never negative) — a course or an
 * external credit of INT_MAX quarters overflowed the credits engine's sums at the next tap or
 * report. The pull (or head office's copy) is refused whole, nothing of it kept. */
static void test_credits_out_of_range_from_the_ledger_are_refused(void **state)
{
    (void)state;
    static const char *const courses[] = {"2147483647", "4000", "-4"};
    struct sync_report r;
    char why[512], script[1024];
    for (size_t i = 0; i < sizeof(courses) / sizeof(courses[0]); i++) {
        struct testkiosk k;
        testkiosk_open(&k, false);
        snprintf(script, sizeof(script),
                 CHAIN_TIP_OF_TEST_KIOSK
                 "@courses\nc1\tautumn1\tleadership\tOne\tface-to-face\tsingle\t%s\t\t\t\t\n",
                 courses[i]);
        assert_int_equal(sync_of(&k, script, &r, why, sizeof(why)), SYNC_ESTORE);
        struct course_row c;
        int64_t id;
        assert_int_equal(store_course_by_code(k.store, "c1", &c, &id), STORE_ENOTFOUND);
        testkiosk_close(&k);
    }
    /* 999.75 credits, and none printed (NULL), are what an import could hold. */
    struct testkiosk k;
    testkiosk_open(&k, false);
    assert_int_equal(sync_of(&k,
                             CHAIN_TIP_OF_TEST_KIOSK
                             "@courses\nc1\tautumn1\tleadership\tOne\tface-to-face\tsingle"
                             "\t3999\t\t\t\t\n"
                             "c2\tautumn1\tleadership\tTwo\tface-to-face\tsingle\t\\N\t\t\t\t\n",
                             &r, why, sizeof(why)),
                     SYNC_OK);
    struct course_row c;
    int64_t id;
    assert_int_equal(store_course_by_code(k.store, "c1", &c, &id), STORE_OK);
    assert_int_equal(c.credits_q, 3999);
    assert_int_equal(store_course_by_code(k.store, "c2", &c, &id), STORE_OK);
    assert_int_equal(c.credits_q, -1);
    testkiosk_close(&k);
    /* Head office's copy for reports: an external credit of INT_MAX quarters. */
    testkiosk_open(&k, false);
    const char *office = "@office_people\nS1\tAnn\tA\tstaff\tt\n"
                         "@office_courses\nc1\tautumn1\tleadership\tOne\tprerecorded"
                         "\tprerecorded\t4\t\t\t\t\n"
                         "@office_credits\nS1\tc1\t2023-10-03\tprerecorded\t2147483647\tX\tf\tt"
                         "\tnote\n";
    int64_t rows = -1;
    assert_int_equal(copy_for_reports(k.dir, office, &rows, why, sizeof(why)), SYNC_ESTORE);
    testkiosk_close(&k);
}

#define ZEROS_32 "0000000000000000000000000000000000000000000000000000000000000000"
#define ZEROS_64 ZEROS_32 ZEROS_32
/* A sign-out of S1 at session X1, as the copy reads cpd.office_events, at wall time "%s". */
#define SIGN_OUT_AT                                                                                \
    "@office_people\nS1\tAnn\tA\tstaff\tt\n"                                                       \
    "@office_courses\nX1\tautumn1\tleadership\tOne\tface-to-face\tsingle\t6\t\t\t\t\n"             \
    "@office_sessions\nX1\t2023-09-28\t15:45\t17:15\tR\n"                                          \
    "@office_events\n1\t00000000-0000-4000-8000-000000000001\tsign_out\tS1\tX1\t%s\t0\tsynced"     \
    "\t{\"early\":true}\t" ZEROS_32 "\t" ZEROS_32 "\t" ZEROS_64 "\tk1\n"

/* The copy for reports takes the ledger's events as the ledger checked them on push: a
 * sign-out at a time no kiosk appends (here 292 billion years before 1970) overflowed the
 * register's "left early N min", and stopped every report for good once refused whole. Left out
 * and named now (one signed with a stolen key must not stop the trust's reports); so is a
 * voided credit's impossible date. A refused tap may record any clock from 1970. */
static void test_an_event_at_no_time_a_kiosk_records_is_left_out_named(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, false);
    static const char *const walls[] = {"-9223372036854775807", "-1", "0", "253402300800000000"};
    char script[2048], why[512];
    int64_t rows = -1;
    for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++) {
        snprintf(script, sizeof(script), SIGN_OUT_AT, walls[i]);
        assert_int_equal(copy_for_reports(k.dir, script, &rows, why, sizeof(why)), SYNC_OK);
        assert_int_equal(rows, 0);
        assert_int_equal(last_skipped.n, 1);
        assert_string_equal(last_skipped.first, "kiosk k1 seq 1 (wall_us)");
    }
    static const char voided[] =
        "@office_people\nS1\tAnn\tA\tstaff\tt\n"
        "@office_events\n1\t00000000-0000-4000-8000-000000000001\tcredit_voided\tS1\t\t"
        "1695917700000000\t0\tsynced\t{\"programme\":\"c1\",\"date\":\"2023-02-30\","
        "\"by\":\"x\",\"reason\":\"y\"}\t" ZEROS_32 "\t" ZEROS_32 "\t" ZEROS_64 "\tk1\n";
    assert_int_equal(copy_for_reports(k.dir, voided, &rows, why, sizeof(why)), SYNC_OK);
    assert_int_equal(rows, 0);
    assert_string_equal(last_skipped.first, "kiosk k1 seq 1 (payload date)");
    snprintf(script, sizeof(script), SIGN_OUT_AT, "1695917700000000");
    assert_int_equal(copy_for_reports(k.dir, script, &rows, why, sizeof(why)), SYNC_OK);
    assert_int_equal(rows, 1);
    testkiosk_close(&k);
}

/* ledger_init on a ledger whose cpd.schema_version has no row (or two), or a number no migration
 * wrote: no version to migrate from, said so (it read row 0 of an empty result: a NULL into
 * atoi; a negative version indexed before the migrations: the fuzzer's crash). */
static void test_a_schema_version_of_no_row_is_refused(void **state)
{
    (void)state;
    static const char *const scripts[] = {"@has_schema\nt\n@version\n",
                                          "@has_schema\nt\n@version\n5\n6\n",
                                          "@has_schema\nt\n@version\n-744073709551615000\n",
                                          "@has_schema\nt\n@version\n-3\n",
                                          "@has_schema\nt\n@version\n0\n",
                                          "@has_schema\nt\n@version\n4x\n",
                                          "@has_schema\nt\n@version\n\\N\n",
                                          "@has_schema\nt\n@version\n99999999999\n"};
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        struct ledger_target t = {.conninfo = "dbname=fake"};
        struct ledger_init init = {0};
        char why[512];
        fake_pg_load((const uint8_t *)scripts[i], strlen(scripts[i]));
        assert_int_equal(ledger_init(&t, &init, why, sizeof(why)), SYNC_ESCHEMA);
        fake_pg_unload();
        assert_non_null(strstr(why, "cpd.schema_version holds"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_kiosk_status_of_no_row_or_two_is_refused),
        cmocka_unit_test(test_a_ledger_clock_outside_1970_to_9999_is_refused),
        cmocka_unit_test(test_a_negative_seq_from_the_ledger_is_refused),
        cmocka_unit_test(test_credits_out_of_range_from_the_ledger_are_refused),
        cmocka_unit_test(test_an_event_at_no_time_a_kiosk_records_is_left_out_named),
        cmocka_unit_test(test_a_schema_version_of_no_row_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
