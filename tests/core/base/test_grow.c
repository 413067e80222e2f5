/* An array that doubles as it fills: room for every item, the items kept, and a size that
 * would overflow refused with the array left as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/base/grow.h"

static void test_room_for_each_item_and_the_items_kept(void **state)
{
    (void)state;
    int *items = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 1000; n++) {
        int *grown = grow(items, &cap, n, sizeof(*items), 4);
        assert_non_null(grown);
        items = grown;
        assert_true(cap > n);
        items[n] = (int)n;
    }
    assert_int_equal(cap, 1024); /* 4, 8, … doubled */
    for (size_t n = 0; n < 1000; n++)
        assert_int_equal(items[n], (int)n);
    assert_ptr_equal(grow(items, &cap, 1000, sizeof(*items), 4), items); /* room already */
    free(items);
}

static void test_an_overflowing_size_is_refused(void **state)
{
    (void)state;
    char one = 0;
    size_t cap = SIZE_MAX / 2 + 1;
    assert_null(grow(&one, &cap, cap, 1, 4)); /* doubling would wrap */
    assert_int_equal(cap, SIZE_MAX / 2 + 1);
    cap = SIZE_MAX / 16;
    assert_null(grow(&one, &cap, cap, 16, 4)); /* cap × size would overflow */
    assert_int_equal(cap, SIZE_MAX / 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_for_each_item_and_the_items_kept),
        cmocka_unit_test(test_an_overflowing_size_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
