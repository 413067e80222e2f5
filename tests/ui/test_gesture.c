/* Touch gestures: a tap acts where the finger went down, a vertical swipe pages, anything
 * else does nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ui/gesture.h"

#define H 800

static enum gesture_kind stroke(int x0, int y0, int x1, int y1, int *tx, int *ty)
{
    struct gesture g = {0};
    gesture_press(&g, 1, x0, y0);
    return gesture_release(&g, 1, x1, y1, H, tx, ty);
}

static void test_a_tap_acts_where_it_went_down(void **state)
{
    (void)state;
    int x = -1, y = -1;
    assert_int_equal(stroke(300, 400, 300, 400, &x, &y), GESTURE_TAP);
    assert_int_equal(x, 300);
    assert_int_equal(y, 400);
    /* A shaky finger (up to a fortieth of the screen) still taps, where it went down. */
    assert_int_equal(stroke(300, 400, 318, 385, &x, &y), GESTURE_TAP);
    assert_int_equal(x, 300);
    assert_int_equal(y, 400);
    assert_int_not_equal(stroke(300, 400, 330, 400, &x, &y), GESTURE_TAP);
}

static void test_a_vertical_swipe_pages(void **state)
{
    (void)state;
    int x = 0, y = 0;
    assert_int_equal(stroke(400, 600, 410, 300, &x, &y), GESTURE_SWIPE_UP);
    assert_int_equal(stroke(400, 300, 380, 600, &x, &y), GESTURE_SWIPE_DOWN);
    assert_int_equal(stroke(400, 600, 400, 600 - H / 10, &x, &y), GESTURE_SWIPE_UP);
    /* Too short to be a swipe, too long to be a tap: nothing. */
    assert_int_equal(stroke(400, 600, 400, 600 - H / 10 + 1, &x, &y), GESTURE_NONE);
    /* Sideways, or diagonal: nothing (a list pages only up and down). */
    assert_int_equal(stroke(100, 400, 700, 400, &x, &y), GESTURE_NONE);
    assert_int_equal(stroke(100, 600, 400, 300, &x, &y), GESTURE_NONE);
}

static void test_presses_pair_with_releases(void **state)
{
    (void)state;
    struct gesture g = {0};
    int x = 0, y = 0;
    assert_int_equal(gesture_release(&g, 1, 10, 10, H, &x, &y), GESTURE_NONE); /* no press */
    gesture_press(&g, 1, 100, 100);
    gesture_press(&g, 2, 500, 700); /* a second finger: ignored */
    assert_int_equal(gesture_release(&g, 2, 500, 700, H, &x, &y), GESTURE_NONE); /* its release */
    assert_int_equal(gesture_release(&g, 1, 100, 100, H, &x, &y), GESTURE_TAP);
    assert_int_equal(x, 100);
    assert_int_equal(y, 100);
    /* The screen changed under the finger: its release does nothing. */
    gesture_press(&g, 1, 300, 300);
    gesture_cancel(&g);
    assert_int_equal(gesture_release(&g, 1, 300, 300, H, &x, &y), GESTURE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_tap_acts_where_it_went_down),
        cmocka_unit_test(test_a_vertical_swipe_pages),
        cmocka_unit_test(test_presses_pair_with_releases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
