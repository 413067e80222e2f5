/* Calendar arithmetic and the rules' term lookup, against dates printed in the brochure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/base/civil.h"
#include "core/domain/rules.h"

static void test_round_trip_and_weekdays(void **state)
{
    (void)state;
    for (civil_day d = civil_from_ymd(1999, 1, 1); d < civil_from_ymd(2031, 1, 1); d++) {
        int y, m, dd;
        civil_to_ymd(d, &y, &m, &dd);
        assert_int_equal(civil_from_ymd(y, m, dd), d);
    }
    assert_int_equal(civil_from_ymd(1970, 1, 1), 0);
    /* Brochure: "Wednesday 13th ... September" 2023 (CPI), "Thursday 5.10.23" (hub). */
    assert_string_equal(civil_weekday_name(civil_weekday(civil_from_ymd(2023, 9, 13))),
                        "Wednesday");
    assert_string_equal(civil_weekday_name(civil_weekday(civil_from_ymd(2023, 10, 5))), "Thursday");
    /* The brochure prints "Wednesday 12.5.24": it was a Sunday. */
    assert_string_equal(civil_weekday_name(civil_weekday(civil_from_ymd(2024, 5, 12))), "Sunday");
    char buf[16];
    civil_format_short(civil_from_ymd(2023, 9, 21), buf);
    assert_string_equal(buf, "Thu 21 Sep");
}

static void test_parsers(void **state)
{
    (void)state;
    civil_day d = 7;
    assert_int_equal(civil_parse_date("2024-02-29", &d), 0);
    assert_int_equal(d, civil_from_ymd(2024, 2, 29));
    d = 7;
    assert_int_equal(civil_parse_date("2023-02-29", &d), -1);
    assert_int_equal(civil_parse_date("2023-9-1", &d), -1);
    assert_int_equal(civil_parse_date("2023-13-01", &d), -1);
    assert_int_equal(civil_parse_date("2023-04-31", &d), -1);
    assert_int_equal(d, 7);
    int min = -1;
    assert_int_equal(civil_parse_hhmm("15:45", &min), 0);
    assert_int_equal(min, 15 * 60 + 45);
    assert_int_equal(civil_parse_hhmm("24:00", &min), -1);
    assert_int_equal(civil_parse_hhmm("3.45", &min), -1);
    assert_int_equal(civil_weekday_parse("thursday"), 3);
    assert_int_equal(civil_weekday_parse("Thu"), 3);
    assert_int_equal(civil_weekday_parse("Thurs"), -1);
}

static void test_quarters(void **state)
{
    (void)state;
    char buf[16];
    rules_format_quarters(30, buf);
    assert_string_equal(buf, "7.5");
    rules_format_quarters(64, buf);
    assert_string_equal(buf, "16");
    rules_format_quarters(1, buf);
    assert_string_equal(buf, "0.25");
    int q = -1;
    assert_int_equal(rules_parse_quarters("1.5", &q), 0);
    assert_int_equal(q, 6);
    assert_int_equal(rules_parse_quarters("3.5", &q), 0);
    assert_int_equal(q, 14);
    assert_int_equal(rules_parse_quarters("0.3", &q), -1);
    assert_int_equal(rules_parse_quarters("-1", &q), -1);
    assert_int_equal(rules_parse_quarters("", &q), -1);
    assert_int_equal(rules_parse_quarters("two", &q), -1);
}

static void test_terms(void **state)
{
    (void)state;
    struct rules r;
    rules_default(&r);
    assert_int_equal(rules_half_term_of(&r.terms, civil_from_ymd(2023, 9, 13)), HALF_AUTUMN1);
    /* October half-term holiday belongs to Autumn 1; Christmas to Autumn 2. */
    assert_int_equal(rules_half_term_of(&r.terms, civil_from_ymd(2023, 10, 25)), HALF_AUTUMN1);
    assert_int_equal(rules_half_term_of(&r.terms, civil_from_ymd(2023, 12, 27)), HALF_AUTUMN2);
    assert_int_equal(rules_term_of(&r.terms, civil_from_ymd(2024, 3, 25)), TERM_SPRING);
    assert_int_equal(rules_term_of(&r.terms, civil_from_ymd(2024, 7, 19)), TERM_SUMMER);
    /* The summer holiday is after the summer term: not the year's. */
    assert_int_equal(rules_term_of(&r.terms, civil_from_ymd(2024, 7, 20)), -1);
    assert_int_equal(rules_term_of(&r.terms, civil_from_ymd(2024, 8, 20)), -1);
    assert_int_equal(rules_term_of(&r.terms, civil_from_ymd(2024, 9, 2)), -1);
    assert_int_equal(rules_half_term_parse("spring2"), HALF_SPRING2);
    assert_int_equal(rules_half_term_parse("spring"), -1);
}

/* Where a credit year begins, for any date: the configured year's first day, years later or
 * earlier (the retention purge asks with the ledger's date). */
static void test_credit_year_first(void **state)
{
    (void)state;
    civil_day first = civil_from_ymd(2023, 9, 1);
    assert_int_equal(rules_credit_year_first(first, civil_from_ymd(2023, 9, 1)), first);
    assert_int_equal(rules_credit_year_first(first, civil_from_ymd(2024, 8, 31)), first);
    assert_int_equal(rules_credit_year_first(first, civil_from_ymd(2026, 12, 7)),
                     civil_from_ymd(2026, 9, 1));
    assert_int_equal(rules_credit_year_first(first, civil_from_ymd(2027, 8, 31)),
                     civil_from_ymd(2026, 9, 1));
    assert_int_equal(rules_credit_year_first(first, civil_from_ymd(2099, 1, 24)),
                     civil_from_ymd(2098, 9, 1));
    assert_int_equal(rules_credit_year_first(first, civil_from_ymd(2021, 3, 1)),
                     civil_from_ymd(2020, 9, 1));
    /* A year that starts on another day keeps its day. */
    assert_int_equal(
        rules_credit_year_first(civil_from_ymd(2024, 9, 2), civil_from_ymd(2025, 9, 1)),
        civil_from_ymd(2024, 9, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_weekdays),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_quarters),
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_credit_year_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
