/* The attendance projection, event by event: what each type does to a person's row at a
 * session, and that a void counts nothing until a new sign-in starts the row afresh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/domain/projection.h"

static struct event ev(enum event_type type, int64_t wall_us, const char *payload)
{
    struct event e;
    assert_int_equal(event_make(&e, type, "BIT0001", "au2-in-class-support", wall_us, wall_us,
                                "synced", payload),
                     EVENT_OK);
    return e;
}

static void test_taps_and_corrections(void **state)
{
    (void)state;
    struct attendance row;
    projection_row_init(&row, 1, 2);
    struct event e = ev(EV_SIGN_IN, 100, "{\"late\":true}");
    assert_true(projection_apply(&row, &e));
    assert_int_equal(row.in_us, 100);
    assert_true(row.flags & ATT_LATE);
    e = ev(EV_ALREADY_IN, 150, "{}");
    assert_false(projection_affects(EV_ALREADY_IN));
    e = ev(EV_MANUAL_SIGN_OUT, 900, "{\"at_us\":800,\"by\":\"x\",\"reason\":\"y\"}");
    assert_true(projection_apply(&row, &e));
    assert_int_equal(row.out_us, 800); /* the time the correction states, not when it was made */
    assert_true(row.flags & ATT_MANUAL_OUT);
    e = ev(EV_CORRECTION, 950, "{\"credits_q\":4}");
    assert_true(projection_apply(&row, &e));
    assert_int_equal(row.override_q, 4);
    e = ev(EV_CORRECTION, 960, "{\"credits_q\":99999}"); /* out of range: ignored */
    assert_false(projection_apply(&row, &e));
    e = ev(EV_APPROVE, 970, "{}");
    assert_true(projection_apply(&row, &e));
    assert_true(row.flags & ATT_APPROVED);
    e = ev(EV_APPROVE, 980, "{}");
    assert_false(projection_apply(&row, &e)); /* twice: no change */
}

static void test_a_void_counts_nothing_until_a_new_sign_in(void **state)
{
    (void)state;
    struct attendance row;
    projection_row_init(&row, 1, 2);
    struct event e = ev(EV_SIGN_IN, 100, "{\"late\":false}");
    projection_apply(&row, &e);
    assert_true(projection_affects(EV_VOID_ATTENDANCE));
    e = ev(EV_VOID_ATTENDANCE, 500, "{\"by\":\"x\",\"reason\":\"wrong session\"}");
    assert_true(projection_apply(&row, &e));
    assert_true(row.flags & ATT_VOID);
    assert_int_equal(row.out_us, 500); /* closed: not in the building, nothing to sweep */
    /* Signed in again (the right person after all): a fresh row, the void gone. */
    e = ev(EV_SIGN_IN, 700, "{\"late\":true}");
    assert_true(projection_apply(&row, &e));
    assert_false(row.flags & ATT_VOID);
    assert_int_equal(row.in_us, 700);
    assert_int_equal(row.out_us, 0);
    assert_int_equal(row.override_q, -1);
    assert_true(row.flags & ATT_LATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taps_and_corrections),
        cmocka_unit_test(test_a_void_counts_nothing_until_a_new_sign_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
