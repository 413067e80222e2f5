/* The clock check: a dead real-time clock, a jump to 2099 and back, a jump of an hour in
 * mid-session, a reboot, the DST nights, and the ledger's time as the evidence that lets taps
 * resume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/base/zone.h"
#include "core/domain/clockcheck.h"

#define MIN (INT64_C(60) * 1000000)

static struct rules rules;

static int64_t at(const char *local)
{
    int64_t us = 0;
    assert_int_equal(zone_parse_local(local, &us), ZONE_OK);
    return us;
}

static struct clock_evidence evidence_after_tap(int64_t wall, int64_t mono)
{
    return (struct clock_evidence){
        .rules = &rules,
        .last_tap = {.known = true, .this_boot = true, .wall_us = wall, .mono_us = mono}};
}

static void test_a_dead_clock_and_a_jump_are_refused(void **state)
{
    (void)state;
    struct clock_evidence none = {.rules = &rules};
    assert_int_equal(clock_check(&none, at("2023-09-13 15:40"), 5 * MIN), CLOCK_OK);
    assert_int_equal(clock_check(&none, 0, 5 * MIN), CLOCK_BEFORE_YEAR); /* 1970 at boot */
    assert_int_equal(clock_check(&none, at("2023-07-10 09:00"), 5 * MIN), CLOCK_OK); /* margin */
    int64_t t = at("2023-11-27 15:40"), m = 1000 * MIN;
    struct clock_evidence ev = evidence_after_tap(t, m);
    /* A minute later, by both clocks. */
    assert_int_equal(clock_check(&ev, t + MIN, m + MIN), CLOCK_OK);
    /* Jumped to 2099 a minute later. */
    assert_int_equal(clock_check(&ev, at("2099-11-27 15:41"), m + MIN), CLOCK_FAR_AHEAD);
    /* An hour ahead in mid-session: too little to be "far", but the clocks disagree. */
    assert_int_equal(clock_check(&ev, t + 61 * MIN, m + MIN), CLOCK_DISAGREES);
    assert_int_equal(clock_check(&ev, t - 59 * MIN, m + MIN), CLOCK_DISAGREES);
    /* Back again: believed again, by itself. */
    assert_int_equal(clock_check(&ev, t + 2 * MIN, m + 2 * MIN), CLOCK_OK);
    /* A few minutes of NTP correction is not a jump. */
    assert_int_equal(clock_check(&ev, t + 62 * MIN, m + 60 * MIN), CLOCK_OK);
}

static void test_a_reboot_is_not_a_jump(void **state)
{
    (void)state;
    int64_t t = at("2023-11-27 17:10");
    struct clock_evidence ev = evidence_after_tap(t, 3000 * MIN);
    ev.last_tap.this_boot = false; /* switched off overnight, on again in the morning */
    assert_int_equal(clock_check(&ev, at("2023-11-28 15:30"), 20 * MIN), CLOCK_OK);
    /* Even when this boot's monotonic time has passed the old one's. */
    ev.last_tap.mono_us = 2 * MIN;
    assert_int_equal(clock_check(&ev, at("2023-11-28 15:30"), 20 * MIN), CLOCK_OK);
    /* But 2099 is still far ahead of the last tap. */
    assert_int_equal(clock_check(&ev, at("2099-01-01 12:00"), 20 * MIN), CLOCK_FAR_AHEAD);
}

static void test_the_dst_nights_are_not_jumps(void **state)
{
    (void)state;
    /* The clocks go back on 2023-10-29 and forward on 2024-03-31: local time jumps, UTC and
     * the monotonic clock do not. */
    const char *nights[2][2] = {{"2023-10-29 00:50", "2023-10-29 03:10"},
                                {"2024-03-31 00:50", "2024-03-31 03:10"}};
    for (int i = 0; i < 2; i++) {
        int64_t before = at(nights[i][0]), after = at(nights[i][1]);
        struct clock_evidence ev = evidence_after_tap(before, 100 * MIN);
        assert_int_equal(clock_check(&ev, after, 100 * MIN + (after - before)), CLOCK_OK);
    }
}

static void test_the_ledger_is_the_evidence(void **state)
{
    (void)state;
    /* The kiosk's clock ran an hour fast since boot; its taps looked consistent. The sync
     * measured the ledger's time: the clock disagrees with it, so taps stop ... */
    int64_t truth = at("2023-11-27 15:00"), m = 500 * MIN;
    struct clock_evidence ev = evidence_after_tap(truth + 60 * MIN, m - 10 * MIN);
    ev.ledger =
        (struct clock_reading){.known = true, .this_boot = true, .wall_us = truth, .mono_us = m};
    assert_int_equal(clock_check(&ev, truth + 61 * MIN, m + MIN), CLOCK_DISAGREES);
    /* ... until the clock is put right. */
    assert_int_equal(clock_check(&ev, truth + MIN, m + MIN), CLOCK_OK);
    assert_string_equal(clock_verdict_code(CLOCK_DISAGREES), "disagrees");
    assert_non_null(clock_verdict_text(CLOCK_BEFORE_YEAR));
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    rules_default(&rules);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_dead_clock_and_a_jump_are_refused),
        cmocka_unit_test(test_a_reboot_is_not_a_jump),
        cmocka_unit_test(test_the_dst_nights_are_not_jumps),
        cmocka_unit_test(test_the_ledger_is_the_evidence),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
