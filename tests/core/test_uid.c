/* UID normalisation: every form a reader or a person produces, one normal form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "uid.h"

static void assert_normal(const char *text, enum uid_text_format format, enum uid_byte_order order,
                          const char *want)
{
    struct uid u;
    char hex[UID_HEX_LEN];
    int rc = uid_parse(text, format, order, &u);
    if (rc != UID_OK)
        fail_msg("\"%s\": %s", text, uid_strerror(rc));
    uid_to_hex(&u, hex);
    assert_string_equal(hex, want);
}

static void assert_refused(const char *text, enum uid_text_format format, int want)
{
    struct uid u = {.len = 99};
    assert_int_equal(uid_parse(text, format, UID_ORDER_MSB_FIRST, &u), want);
    assert_int_equal(u.len, 99); /* untouched */
}

static void test_hex_forms(void **state)
{
    (void)state;
    const char *forms[] = {"04:A2:3B:1C:5D:6E:80", "04a23b1c5d6e80",   "04-A2-3B-1C-5D-6E-80",
                           "04 a2 3b 1c 5d 6e 80", "0x04A23B1C5D6E80", "  04A23B1C5D6E80\n"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        assert_normal(forms[i], UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
    assert_normal("3F:22:91:0C", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, "3F22910C");
    assert_normal("4:a2:3b:1c", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, "04A23B1C");
    assert_normal("0102030405060708090A", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST,
                  "0102030405060708090A");
    /* Digits only, 8 of them: hex (a 4-byte UID), not the number 12345678. */
    assert_normal("12345678", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "12345678");
    assert_normal("3F:22:91:0C", UID_TEXT_HEX, UID_ORDER_LSB_FIRST, "0C91223F");
}

static void test_decimal_forms(void **state)
{
    (void)state;
    /* 0x3F22910C = 1059229964 */
    assert_normal("1059229964", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "3F22910C");
    assert_normal("1059229964", UID_TEXT_DECIMAL, UID_ORDER_LSB_FIRST, "0C91223F");
    assert_normal("12345678", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "00BC614E");
    /* 0x04A23B1C5D6E80 = 1304274669497984 (7 bytes) */
    assert_normal("1304274669497984", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
    assert_refused("72057594037927936", UID_TEXT_DECIMAL, UID_ERANGE); /* 2^56 */
}

static void test_refusals(void **state)
{
    (void)state;
    assert_refused("", UID_TEXT_AUTO, UID_EEMPTY);
    assert_refused("   ", UID_TEXT_HEX, UID_EEMPTY);
    assert_refused("04A23B", UID_TEXT_HEX, UID_ELENGTH);       /* 3 bytes */
    assert_refused("04A23B1C5D", UID_TEXT_HEX, UID_ELENGTH);   /* 5 bytes */
    assert_refused("04A23B1C5D6E", UID_TEXT_HEX, UID_ELENGTH); /* 6 bytes */
    assert_refused("04A23B1C5", UID_TEXT_HEX, UID_ELENGTH);    /* odd nibble */
    assert_refused("04A23B1C5D6E8011223344", UID_TEXT_HEX, UID_ELENGTH);
    assert_refused("04:G2:3B:1C", UID_TEXT_HEX, UID_ECHAR);
    assert_refused("badge!", UID_TEXT_AUTO, UID_ECHAR);
    assert_refused("12a4", UID_TEXT_DECIMAL, UID_ECHAR);
    assert_string_equal(uid_strerror(UID_ELENGTH), "a UID has 4, 7 or 10 bytes");
}

static void test_random_uids_and_last4(void **state)
{
    (void)state;
    struct uid u;
    char last4[5];
    assert_int_equal(uid_parse("08:12:34:56", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    assert_true(uid_is_random(&u));
    assert_int_equal(uid_parse("04:08:34:56", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    assert_false(uid_is_random(&u));
    assert_int_equal(uid_parse("08:12:34:56:78:9A:BC", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u),
                     UID_OK);
    assert_false(uid_is_random(&u)); /* only 4-byte UIDs can be random */
    uid_last4(&u, last4);
    assert_string_equal(last4, "9ABC");
    const uint8_t raw[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    assert_int_equal(uid_from_bytes(raw, 4, &u), UID_OK);
    uid_last4(&u, last4);
    assert_string_equal(last4, "BEEF");
    assert_int_equal(uid_from_bytes(raw, 3, &u), UID_ELENGTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_forms),
        cmocka_unit_test(test_decimal_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_random_uids_and_last4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
