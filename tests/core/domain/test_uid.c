/* UID normalisation: every form a reader or a person produces, one normal form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/error.h"
#include "core/domain/uid.h"

static void assert_normal(const char *text, enum uid_text_format format, enum uid_byte_order order,
                          const char *want)
{
    struct uid u;
    char hex[UID_HEX_LEN];
    int rc = uid_parse(text, format, order, &u);
    if (rc != UID_OK)
        fail_msg("\"%s\": %s", text, cpd_strerror(rc));
    uid_to_hex(&u, hex);
    assert_string_equal(hex, want);
    assert_int_equal(u.len, strlen(want) / 2);
}

static void assert_refused(const char *text, enum uid_text_format format, int want)
{
    struct uid u = {.len = 99};
    int rc = uid_parse(text, format, UID_ORDER_MSB_FIRST, &u);
    if (rc != want)
        fail_msg("\"%s\": got %d (%s), want %d (%s)", text, rc, cpd_strerror(rc), want,
                 cpd_strerror(want));
    assert_int_equal(u.len, 99); /* untouched */
}

static void test_hex_separators_and_case(void **state)
{
    (void)state;
    const char *forms[] = {"04:A2:3B:1C:5D:6E:80", "04a23b1c5d6e80",         "04-A2-3B-1C-5D-6E-80",
                           "04 a2 3b 1c 5d 6e 80", "04:a2:3B:1c:5D:6e:80",   "04.A2.3B.1C.5D.6E.80",
                           "  04A23B1C5D6E80\n",   "\t04-a2-3b-1c-5d-6e-80 "};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        assert_normal(forms[i], UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
        assert_normal(forms[i], UID_TEXT_HEX, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
    }
    /* The demo roster's spellings. */
    assert_normal("3F:22:91:0C", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "3F22910C");
    assert_normal("5d e1 07 b4", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "5DE107B4");
    assert_normal("04-3B-19-D2-6A-71-81", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "043B19D26A7181");
    /* Groups of two bytes, as some readers print them. */
    assert_normal("04A2 3B1C", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "04A23B1C");
    /* A lone leading nibble is its own byte. */
    assert_normal("4:a2:3b:1c", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, "04A23B1C");
    /* Digits only, 8/14/20 of them: hex (a 4/7/10-byte UID), not a decimal number. */
    assert_normal("12345678", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "12345678");
    assert_normal("04123456789012", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "04123456789012");
}

static void test_hex_prefix(void **state)
{
    (void)state;
    assert_normal("0x04A23B1C5D6E80", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
    assert_normal("0X3f22910c", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "3F22910C");
    assert_normal("0x3F:22:91:0C", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, "3F22910C");
    /* "0x" followed by digits only is still hex, whatever the digit count. */
    assert_normal("0x12345678", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "12345678");
}

static void test_lengths(void **state)
{
    (void)state;
    assert_normal("DEADBEEF", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, "DEADBEEF");
    assert_normal("04:A2:3B:1C:5D:6E:80", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
    assert_normal("0102030405060708090A", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST,
                  "0102030405060708090A");
    assert_normal("01:02:03:04:05:06:07:08:09:0a", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST,
                  "0102030405060708090A");
    assert_refused("04A23B", UID_TEXT_HEX, UID_ELENGTH);     /* 3 bytes */
    assert_refused("04A23B1C5D", UID_TEXT_HEX, UID_ELENGTH); /* 5 bytes */
    assert_refused("04:A2:3B:1C:5D", UID_TEXT_AUTO, UID_ELENGTH);
    assert_refused("04A23B1C5D6E", UID_TEXT_HEX, UID_ELENGTH); /* 6 bytes */
    assert_refused("04 A2 3B 1C 5D 6E", UID_TEXT_AUTO, UID_ELENGTH);
    assert_refused("0102030405060708", UID_TEXT_HEX, UID_ELENGTH);       /* 8 bytes */
    assert_refused("0102030405060708090A0B", UID_TEXT_HEX, UID_ELENGTH); /* 11 bytes */
    assert_refused("04A23B1C5D6E8011223344", UID_TEXT_HEX, UID_ELENGTH);
}

static void test_odd_nibbles(void **state)
{
    (void)state;
    assert_refused("04A23B1C5", UID_TEXT_HEX, UID_ELENGTH);
    assert_refused("04A23B1", UID_TEXT_HEX, UID_ELENGTH);
    assert_refused("0x04A23B1C5D6E8", UID_TEXT_AUTO, UID_ELENGTH);
    /* A group of three digits is a typo, not two bytes: this one would otherwise land on a
     * plausible 7-byte UID (04 5A 2B 72 01 C6 E8). */
    assert_refused("04:5A:2B:721:C6:E8", UID_TEXT_AUTO, UID_ELENGTH);
    assert_refused("04:5A:2B:72:1C:6E:800", UID_TEXT_AUTO, UID_ELENGTH);
    assert_refused("3F2 291 0C", UID_TEXT_HEX, UID_ELENGTH);
}

static void test_decimal_forms(void **state)
{
    (void)state;
    /* 0x3F22910C = 1059229964: a 4-byte UID as one number. */
    assert_normal("1059229964", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "3F22910C");
    assert_normal("1059229964", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "3F22910C");
    assert_normal(" 1059229964 ", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "3F22910C");
    /* Forced decimal: 8 digits are a number, zero-padded to 4 bytes. */
    assert_normal("12345678", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "00BC614E");
    assert_normal("0", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "00000000");
    assert_normal("4294967295", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "FFFFFFFF");
    /* One more than 4 bytes hold: a 7-byte UID. */
    assert_normal("4294967296", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "00000100000000");
    /* 0x04A23B1C5D6E80 = 1304274669497984 (7 bytes). */
    assert_normal("1304274669497984", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
    assert_normal("1304274669497984", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "04A23B1C5D6E80");
    /* 2^56 − 1: the largest 7-byte UID. */
    assert_normal("72057594037927935", UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST, "FFFFFFFFFFFFFF");
}

static void test_decimal_too_large(void **state)
{
    (void)state;
    assert_refused("72057594037927936", UID_TEXT_DECIMAL, UID_ERANGE); /* 2^56 */
    assert_refused("72057594037927936", UID_TEXT_AUTO, UID_ERANGE);
    assert_refused("99999999999999999999999999", UID_TEXT_DECIMAL, UID_ERANGE);
    assert_refused("18446744073709551616", UID_TEXT_DECIMAL, UID_ERANGE); /* 2^64: no wrap */
}

static void test_lsb_first(void **state)
{
    (void)state;
    /* Keyboard-wedge readers often type the bytes reversed. */
    assert_normal("0C:91:22:3F", UID_TEXT_HEX, UID_ORDER_LSB_FIRST, "3F22910C");
    assert_normal("0c91223f", UID_TEXT_AUTO, UID_ORDER_LSB_FIRST, "3F22910C");
    assert_normal("80:6E:5D:1C:3B:A2:04", UID_TEXT_AUTO, UID_ORDER_LSB_FIRST, "04A23B1C5D6E80");
    assert_normal("0A090807060504030201", UID_TEXT_HEX, UID_ORDER_LSB_FIRST,
                  "0102030405060708090A");
    /* Decimal typed LSB first: the number's bytes, reversed. */
    assert_normal("1059229964", UID_TEXT_DECIMAL, UID_ORDER_LSB_FIRST, "0C91223F");
    assert_normal("1304274669497984", UID_TEXT_DECIMAL, UID_ORDER_LSB_FIRST, "806E5D1C3BA204");
    /* Byte order does not rescue a bad length. */
    struct uid u;
    assert_int_equal(uid_parse("0C91223F11", UID_TEXT_HEX, UID_ORDER_LSB_FIRST, &u), UID_ELENGTH);
    /* Over-long text is refused whole, never cut into another valid UID (here: 8 hex digits,
     * then 90 blanks-that-are-not-blanks: separators). */
    char padded[200] = "3F22910C";
    memset(padded + 8, ':', 100);
    snprintf(padded + 108, sizeof(padded) - 108, "04A23B1C5D6E80");
    assert_int_equal(uid_parse(padded, UID_TEXT_HEX, UID_ORDER_MSB_FIRST, &u), UID_ELENGTH);
}

static void test_garbage(void **state)
{
    (void)state;
    assert_refused("04:G2:3B:1C", UID_TEXT_HEX, UID_ECHAR);
    assert_refused("04:G2:3B:1C", UID_TEXT_AUTO, UID_ECHAR);
    assert_refused("badge!", UID_TEXT_AUTO, UID_ECHAR);
    assert_refused("04_A2_3B_1C", UID_TEXT_AUTO, UID_ECHAR);
    assert_refused("04A23B1C;", UID_TEXT_AUTO, UID_ECHAR);
    assert_refused("12a4", UID_TEXT_DECIMAL, UID_ECHAR);
    assert_refused("-1059229964", UID_TEXT_DECIMAL, UID_ECHAR);
    assert_refused("1059 229 964", UID_TEXT_DECIMAL, UID_ECHAR);
    assert_refused("04A2\xC3\xA9"
                   "3B1C",
                   UID_TEXT_AUTO, UID_ECHAR); /* UTF-8 é */
}

static void test_empty(void **state)
{
    (void)state;
    assert_refused("", UID_TEXT_AUTO, UID_EEMPTY);
    assert_refused("   ", UID_TEXT_HEX, UID_EEMPTY);
    assert_refused(" \t\r\n", UID_TEXT_DECIMAL, UID_EEMPTY);
    assert_string_equal(cpd_strerror(UID_EEMPTY), "no UID given");
    assert_string_equal(cpd_strerror(UID_ECHAR), "not a hex or decimal UID");
    assert_string_equal(cpd_strerror(UID_ELENGTH), "a UID has 4, 7 or 10 bytes");
    assert_string_equal(cpd_strerror(UID_ERANGE), "decimal UID too large for 7 bytes");
    assert_string_equal(cpd_strerror(UID_OK), "ok");
    assert_string_equal(cpd_strerror(CPD_UID_BASE - 99), "unknown UID error");
    assert_string_equal(cpd_strerror(-99), "unknown error"); /* no module's code */
}

static void test_from_bytes(void **state)
{
    (void)state;
    struct uid u;
    char hex[UID_HEX_LEN];
    const uint8_t raw[10] = {0x04, 0xD7, 0xE2, 0xA2, 0xB9, 0x5C, 0x81, 0x01, 0x02, 0x03};
    assert_int_equal(uid_from_bytes(raw, 7, &u), UID_OK);
    uid_to_hex(&u, hex);
    assert_string_equal(hex, "04D7E2A2B95C81");
    assert_int_equal(uid_from_bytes(raw, 10, &u), UID_OK);
    uid_to_hex(&u, hex);
    assert_string_equal(hex, "04D7E2A2B95C81010203");
    for (size_t n = 0; n <= 10; n++) {
        int want = n == 4 || n == 7 || n == 10 ? UID_OK : UID_ELENGTH;
        assert_int_equal(uid_from_bytes(raw, n, &u), want);
    }
}

static void test_random_uids(void **state)
{
    (void)state;
    struct uid u;
    assert_int_equal(uid_parse("08:12:34:56", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    assert_true(uid_is_random(&u));
    assert_int_equal(uid_parse("08FFFFFF", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    assert_true(uid_is_random(&u));
    /* 08 must be the first byte as the reader reports it. */
    assert_int_equal(uid_parse("56:34:12:08", UID_TEXT_AUTO, UID_ORDER_LSB_FIRST, &u), UID_OK);
    assert_true(uid_is_random(&u));
    assert_int_equal(uid_parse("04:08:34:56", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    assert_false(uid_is_random(&u));
    assert_int_equal(uid_parse("09:12:34:56", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    assert_false(uid_is_random(&u));
    assert_int_equal(uid_parse("80:12:34:56", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    assert_false(uid_is_random(&u));
    /* Only 4-byte UIDs can be random. */
    assert_int_equal(uid_parse("08:12:34:56:78:9A:BC", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u),
                     UID_OK);
    assert_false(uid_is_random(&u));
    assert_int_equal(uid_parse("08123456789ABCDEF012", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u),
                     UID_OK);
    assert_false(uid_is_random(&u));
}

static void test_last4(void **state)
{
    (void)state;
    struct uid u;
    char last4[5];
    assert_int_equal(uid_parse("08:12:34:56:78:9a:bc", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u),
                     UID_OK);
    uid_last4(&u, last4);
    assert_string_equal(last4, "9ABC");
    const uint8_t raw[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    assert_int_equal(uid_from_bytes(raw, 4, &u), UID_OK);
    uid_last4(&u, last4);
    assert_string_equal(last4, "BEEF");
    assert_int_equal(uid_parse("04D7E2A2B95C81", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    uid_last4(&u, last4);
    assert_string_equal(last4, "5C81");
    /* The same card typed in any spelling shows the same last 4. */
    assert_int_equal(uid_parse("81 5c b9 a2 e2 d7 04", UID_TEXT_AUTO, UID_ORDER_LSB_FIRST, &u),
                     UID_OK);
    uid_last4(&u, last4);
    assert_string_equal(last4, "5C81");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_separators_and_case),
        cmocka_unit_test(test_hex_prefix),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_odd_nibbles),
        cmocka_unit_test(test_decimal_forms),
        cmocka_unit_test(test_decimal_too_large),
        cmocka_unit_test(test_lsb_first),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_from_bytes),
        cmocka_unit_test(test_random_uids),
        cmocka_unit_test(test_last4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
