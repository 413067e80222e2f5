/* Local times as people write them (zone_parse_local): a time the clocks go forward over is
 * refused, one they go back over must say which of its two readings it means, by UTC offset or
 * zone abbreviation — in Europe/London, America/New_York, Australia/Lord_Howe (whose clocks
 * move by half an hour) and Europe/Moscow (one name for both offsets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/civil.h"
#include "core/base/error.h"
#include "core/base/zone.h"

#define S INT64_C(1000000)

/* A UTC instant, in µs. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return ((int64_t)civil_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * S;
}

static void parses_to(const char *text, int64_t want)
{
    int64_t got = 0;
    int rc = zone_parse_local(text, &got);
    if (rc != ZONE_OK)
        fail_msg("\"%s\": %s", text, cpd_strerror(rc));
    if (got != want)
        fail_msg("\"%s\": %lld s from the wanted instant", text, (long long)((got - want) / S));
}

static void refused(const char *text, int want)
{
    int64_t got = 12345;
    int rc = zone_parse_local(text, &got);
    if (rc != want)
        fail_msg("\"%s\": expected \"%s\", got \"%s\"", text, cpd_strerror(want), cpd_strerror(rc));
    assert_int_equal(got, 12345); /* untouched */
}

/* The readings a time has here, as "+01:00 BST, +00:00 GMT". */
static void readings_are(const char *text, const char *want)
{
    struct zone_reading r[2];
    int n = -1;
    assert_int_equal(zone_local_readings(text, r, &n), ZONE_OK);
    char got[96] = "", offset[8];
    for (int i = 0; i < n; i++) {
        zone_format_offset(r[i].offset_s, offset);
        size_t used = strlen(got);
        snprintf(got + used, sizeof(got) - used, "%s%s %s", i ? ", " : "", offset, r[i].abbr);
    }
    assert_string_equal(got, want);
}

static void test_london_spring_forward_is_refused(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    /* 2024-03-31: at 01:00 GMT the clocks go to 02:00 BST. */
    parses_to("2024-03-31 00:59", utc(2024, 3, 31, 0, 59, 0));
    refused("2024-03-31 01:00", ZONE_EGAP);
    refused("2024-03-31 01:30", ZONE_EGAP);
    refused("2024-03-31T01:59:59", ZONE_EGAP);
    /* Naming an offset does not make it happen. */
    refused("2024-03-31 01:30 +00:00", ZONE_EGAP);
    refused("2024-03-31 01:30 BST", ZONE_EGAP);
    parses_to("2024-03-31 02:00", utc(2024, 3, 31, 1, 0, 0));
    readings_are("2024-03-31 01:30", "");
    assert_string_equal(cpd_strerror(ZONE_EGAP),
                        "that time does not exist here (the clocks go forward over it)");
}

static void test_london_fall_back_asks_which(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    /* 2023-10-29: at 02:00 BST the clocks go back to 01:00 GMT; 01:00–01:59 happen twice. */
    parses_to("2023-10-29 00:59", utc(2023, 10, 28, 23, 59, 0));
    refused("2023-10-29 01:00", ZONE_EAMBIGUOUS);
    refused("2023-10-29 01:30", ZONE_EAMBIGUOUS);
    refused("2023-10-29T01:59:59", ZONE_EAMBIGUOUS);
    readings_are("2023-10-29 01:30", "+01:00 BST, +00:00 GMT");
    /* Which one, by UTC offset or by the zone's abbreviation (any case), with or without a
     * space. */
    parses_to("2023-10-29 01:30 +01:00", utc(2023, 10, 29, 0, 30, 0));
    /* The offset as date(1) and ISO 8601's basic form write it, too. */
    parses_to("2023-10-29 01:30 +0100", utc(2023, 10, 29, 0, 30, 0));
    parses_to("2023-10-29 01:30 +0000", utc(2023, 10, 29, 1, 30, 0));
    parses_to("2023-10-29 01:30 +01", utc(2023, 10, 29, 0, 30, 0));
    parses_to("2023-10-29 01:30 BST", utc(2023, 10, 29, 0, 30, 0));
    parses_to("2023-10-29T01:30+01:00", utc(2023, 10, 29, 0, 30, 0));
    parses_to("2023-10-29 01:30 +00:00", utc(2023, 10, 29, 1, 30, 0));
    parses_to("2023-10-29 01:30 gmt", utc(2023, 10, 29, 1, 30, 0));
    parses_to("2023-10-29 01:30:15 GMT", utc(2023, 10, 29, 1, 30, 15));
    /* An offset or zone it does not have here. */
    refused("2023-10-29 01:30 +02:00", ZONE_EOFFSET);
    refused("2023-10-29 01:30 CET", ZONE_EOFFSET);
    parses_to("2023-10-29 02:00", utc(2023, 10, 29, 2, 0, 0));
    assert_string_equal(cpd_strerror(ZONE_EAMBIGUOUS),
                        "that time happens twice here (the clocks go back): say which");
}

/* On any other day a suffix is optional, and must be right when given. */
static void test_london_ordinary_days(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    parses_to("2023-11-27 15:40", utc(2023, 11, 27, 15, 40, 0));
    parses_to("2023-11-27 15:40 GMT", utc(2023, 11, 27, 15, 40, 0));
    parses_to("2023-11-27 15:40 +00:00", utc(2023, 11, 27, 15, 40, 0));
    parses_to("2024-07-20 09:00", utc(2024, 7, 20, 8, 0, 0));
    parses_to("2024-07-20 09:00 +01:00", utc(2024, 7, 20, 8, 0, 0));
    refused("2024-07-20 09:00 GMT", ZONE_EOFFSET);
    refused("2023-11-27 15:40 +01:00", ZONE_EOFFSET);
    readings_are("2023-11-27 15:40", "+00:00 GMT");
    assert_string_equal(cpd_strerror(ZONE_EOFFSET),
                        "that time here has another UTC offset or zone");
}

static void test_what_is_not_a_local_time(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    static const char *const syntax[] = {"",
                                         "2023-11-27",
                                         "2023-11-27 15",
                                         "27/11/2023 15:40",
                                         "2023-11-27 15:40 ",
                                         "2023-11-27 15:40:",
                                         "2023-11-27 15:40:5",
                                         "2023-11-27 15:40 +1",
                                         "2023-11-27 15:40 +01:0",
                                         "2023-11-27 15:40 G",
                                         "2023-11-27 15:40 GMT+1",
                                         "2023-11-27 15:40  GMT",
                                         "2023-11-27 15:40 GMT extra"};
    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
        refused(syntax[i], ZONE_ESYNTAX);
    refused("2023-02-30 10:00", ZONE_EDATE);
    refused("2023-11-27 24:00", ZONE_EDATE);
    refused("2023-11-27 15:60", ZONE_EDATE);
    refused("2023-11-27 15:40:60", ZONE_EDATE);
    assert_string_equal(cpd_strerror(ZONE_EDATE), "no such date or time of day");
    assert_non_null(strstr(cpd_strerror(ZONE_ESYNTAX), "YYYY-MM-DD HH:MM[:SS]"));
}

/* New York: the same rules by another zone's offsets and names. */
static void test_new_york(void **state)
{
    (void)state;
    assert_int_equal(zone_set("America/New_York"), ZONE_OK);
    /* 2024-03-10: 02:00 EST → 03:00 EDT. */
    refused("2024-03-10 02:30", ZONE_EGAP);
    parses_to("2024-03-10 03:00", utc(2024, 3, 10, 7, 0, 0));
    /* 2023-11-05: 02:00 EDT → 01:00 EST. */
    refused("2023-11-05 01:30", ZONE_EAMBIGUOUS);
    readings_are("2023-11-05 01:30", "-04:00 EDT, -05:00 EST");
    parses_to("2023-11-05 01:30 -04:00", utc(2023, 11, 5, 5, 30, 0));
    parses_to("2023-11-05 01:30 EST", utc(2023, 11, 5, 6, 30, 0));
    refused("2023-11-05 01:30 GMT", ZONE_EOFFSET);
}

/* Lord Howe Island moves its clocks by half an hour: nothing assumes a whole hour, or that the
 * zone has letters for names (the zone database writes "+11" and "+1030"). */
static void test_lord_howe_half_hours(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Australia/Lord_Howe"), ZONE_OK);
    /* 2023-10-01: 02:00 (+10:30) → 02:30 (+11:00). */
    refused("2023-10-01 02:15", ZONE_EGAP);
    parses_to("2023-10-01 02:30", utc(2023, 9, 30, 15, 30, 0));
    /* 2024-04-07: 02:00 (+11:00) → 01:30 (+10:30); 01:30–01:59 happen twice. */
    refused("2024-04-07 01:45", ZONE_EAMBIGUOUS);
    readings_are("2024-04-07 01:45", "+11:00 +11, +10:30 +1030");
    parses_to("2024-04-07 01:45 +11:00", utc(2024, 4, 6, 14, 45, 0));
    parses_to("2024-04-07 01:45 +10:30", utc(2024, 4, 6, 15, 15, 0));
    parses_to("2024-04-07 01:45 +1030", utc(2024, 4, 6, 15, 15, 0));
    parses_to("2024-04-07 01:15", utc(2024, 4, 6, 14, 15, 0));
}

/* Moscow in 2014 went back for good from +04:00 to +03:00, calling both MSK: the name says
 * nothing there, the offset does. */
static void test_moscow_one_name_for_both(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/Moscow"), ZONE_OK);
    refused("2014-10-26 01:30", ZONE_EAMBIGUOUS);
    readings_are("2014-10-26 01:30", "+04:00 MSK, +03:00 MSK");
    refused("2014-10-26 01:30 MSK", ZONE_EAMBIGUOUS);
    parses_to("2014-10-26 01:30 +04:00", utc(2014, 10, 25, 21, 30, 0));
    parses_to("2014-10-26 01:30 +03:00", utc(2014, 10, 25, 22, 30, 0));
}

static void test_offsets_written(void **state)
{
    (void)state;
    char out[8];
    zone_format_offset(3600, out);
    assert_string_equal(out, "+01:00");
    zone_format_offset(0, out);
    assert_string_equal(out, "+00:00");
    zone_format_offset(-5 * 3600, out);
    assert_string_equal(out, "-05:00");
    zone_format_offset(-(3 * 3600 + 1800), out);
    assert_string_equal(out, "-03:30");
    zone_format_offset(5 * 3600 + 45 * 60, out);
    assert_string_equal(out, "+05:45");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_london_spring_forward_is_refused),
        cmocka_unit_test(test_london_fall_back_asks_which),
        cmocka_unit_test(test_london_ordinary_days),
        cmocka_unit_test(test_what_is_not_a_local_time),
        cmocka_unit_test(test_new_york),
        cmocka_unit_test(test_lord_howe_half_hours),
        cmocka_unit_test(test_moscow_one_name_for_both),
        cmocka_unit_test(test_offsets_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
