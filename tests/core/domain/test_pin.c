/* Trainer PINs: format, argon2id hashes in the store, 5 wrong PINs lock for 5 minutes (an
 * injected clock), and the lock survives a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/domain/pin.h"
#include "tests/support/testutil.h"

#define S INT64_C(1000000)

static void test_format(void **state)
{
    (void)state;
    assert_true(pin_format_ok("1234"));
    assert_true(pin_format_ok("123456"));
    assert_false(pin_format_ok("123"));
    assert_false(pin_format_ok("1234567"));
    assert_false(pin_format_ok("12a4"));
    assert_false(pin_format_ok(""));
}

static void test_five_wrong_pins_lock_for_five_minutes(void **state)
{
    (void)state;
    struct pin_record r = {0};
    int64_t t = 1000 * S;
    for (int i = 1; i < PIN_MAX_FAILURES; i++) {
        assert_int_equal(pin_judge(&r, false, t + i * S), PIN_REJECTED);
        assert_int_equal(pin_attempts_left(&r), PIN_MAX_FAILURES - i);
    }
    assert_int_equal(pin_judge(&r, false, t + 10 * S), PIN_LOCKED);
    assert_int_equal(r.locked_until_us, t + 10 * S + PIN_LOCK_US);
    /* Even the right PIN is refused while locked. */
    assert_int_equal(pin_judge(&r, true, t + 10 * S + PIN_LOCK_US - 1), PIN_LOCKED);
    /* After five minutes: a fresh count, and the right PIN works. */
    assert_int_equal(pin_judge(&r, false, t + 10 * S + PIN_LOCK_US), PIN_REJECTED);
    assert_int_equal(r.failures, 1);
    assert_int_equal(pin_judge(&r, true, t + 20 * S + PIN_LOCK_US), PIN_ACCEPTED);
    assert_int_equal(r.failures, 0);
}

static void test_hashes_and_lock_are_stored(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    struct person rachel;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0010", &rachel), STORE_OK);
    struct pin_record r;
    assert_int_equal(store_pin_get(k.store, rachel.id, &r), STORE_ENOTFOUND);
    char hash[CRYPTO_PIN_HASH_MAX];
    assert_int_equal(crypto_pin_hash(hash, "2468"), CRYPTO_OK);
    assert_non_null(strstr(hash, "$argon2id$"));
    assert_int_equal(store_pin_set(k.store, rachel.id, hash, 1), STORE_OK);
    assert_int_equal(store_pin_get(k.store, rachel.id, &r), STORE_OK);
    assert_int_equal(crypto_pin_verify(r.hash, "2468"), CRYPTO_OK);
    assert_int_not_equal(crypto_pin_verify(r.hash, "2469"), CRYPTO_OK);
    assert_int_equal(store_pin_attempts(k.store, rachel.id, 5, 777), STORE_OK);
    /* A restart does not reset the lock. */
    store_close(k.store);
    char why[256];
    assert_int_equal(store_open(k.db_path, &k.store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_pin_get(k.store, rachel.id, &r), STORE_OK);
    assert_int_equal(r.failures, 5);
    assert_int_equal(r.locked_until_us, 777);
    /* Setting a new PIN clears it. */
    assert_int_equal(store_pin_set(k.store, rachel.id, hash, 2), STORE_OK);
    assert_int_equal(store_pin_get(k.store, rachel.id, &r), STORE_OK);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.locked_until_us, 0);
    testkiosk_close(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_five_wrong_pins_lock_for_five_minutes),
        cmocka_unit_test(test_hashes_and_lock_are_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
