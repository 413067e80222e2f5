#include "core/domain/uid.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *const uid_text_format_names[UID_TEXT_COUNT] = {"auto", "hex", "decimal"};
const char *const uid_byte_order_names[UID_ORDER_COUNT] = {"msb-first", "lsb-first"};

static bool valid_len(size_t len)
{
    return len == 4 || len == 7 || len == 10;
}

static bool is_separator(char c)
{
    return c == ':' || c == '-' || c == ' ' || c == '.';
}

static void reverse(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = b[i];
        b[i] = b[n - 1 - i];
        b[n - 1 - i] = t;
    }
}

/* Trims blanks at both ends into buf; returns the trimmed length. */
/* The text without surrounding blanks; SIZE_MAX when it does not fit: a longer text is never a
 * UID, and cutting it could leave a different, valid one (a padded 7-byte UID read as 4). */
static size_t trim_copy(const char *text, char *buf, size_t cap)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n >= cap)
        return SIZE_MAX;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return n;
}

static enum uid_text_format guess_format(const char *s, size_t n)
{
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return UID_TEXT_HEX;
    bool digits_only = true;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            digits_only = false;
    }
    if (!digits_only || n == 8 || n == 14 || n == 20)
        return UID_TEXT_HEX;
    return UID_TEXT_DECIMAL;
}

static int parse_hex(const char *s, struct uid *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    uint8_t bytes[UID_MAX_BYTES + 1];
    size_t nbytes = 0;
    int nibbles = 0;
    int group = 0; /* hex digits since the last separator */
    unsigned value = 0;
    for (; *s; s++) {
        if (is_separator(*s)) {
            /* "4:A2" — a lone nibble before a separator is its own byte; "A23:" is a typo
             * (an odd group of 3+ digits), not two bytes. */
            if (group > 1 && group % 2 != 0)
                return UID_ELENGTH;
            if (nibbles == 1)
                nibbles = 2;
            group = 0;
        } else if (isxdigit((unsigned char)*s)) {
            int c = toupper((unsigned char)*s);
            value = (value << 4) | (unsigned)(isdigit(c) ? c - '0' : c - 'A' + 10);
            nibbles++;
            group++;
        } else {
            return UID_ECHAR;
        }
        if (nibbles == 2) {
            if (nbytes == UID_MAX_BYTES)
                return UID_ELENGTH;
            bytes[nbytes++] = (uint8_t)value;
            value = 0;
            nibbles = 0;
        }
    }
    if (nibbles != 0)
        return UID_ELENGTH;
    return uid_from_bytes(bytes, nbytes, out);
}

static int parse_decimal(const char *s, struct uid *out)
{
    uint64_t value = 0;
    const uint64_t limit = (UINT64_C(1) << 56) - 1;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return UID_ECHAR;
        value = value * 10 + (uint64_t)(*s - '0');
        if (value > limit)
            return UID_ERANGE;
    }
    size_t len = value > UINT32_MAX ? 7 : 4;
    uint8_t bytes[7];
    for (size_t i = 0; i < len; i++)
        bytes[i] = (uint8_t)(value >> (8 * (len - 1 - i)));
    return uid_from_bytes(bytes, len, out);
}

int uid_parse(const char *text, enum uid_text_format format, enum uid_byte_order order,
              struct uid *out)
{
    char buf[96];
    size_t n = trim_copy(text, buf, sizeof(buf));
    if (n == 0)
        return UID_EEMPTY;
    if (n == SIZE_MAX)
        return UID_ELENGTH;
    if (format == UID_TEXT_AUTO)
        format = guess_format(buf, n);
    struct uid parsed;
    int rc = format == UID_TEXT_DECIMAL ? parse_decimal(buf, &parsed) : parse_hex(buf, &parsed);
    if (rc != UID_OK)
        return rc;
    if (order == UID_ORDER_LSB_FIRST)
        reverse(parsed.bytes, parsed.len);
    *out = parsed;
    return UID_OK;
}

int uid_from_bytes(const uint8_t *bytes, size_t len, struct uid *out)
{
    if (!valid_len(len))
        return UID_ELENGTH;
    memset(out, 0, sizeof(*out));
    memcpy(out->bytes, bytes, len);
    out->len = (uint8_t)len;
    return UID_OK;
}

void uid_to_hex(const struct uid *uid, char out[UID_HEX_LEN])
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i = 0;
    for (; i < uid->len && i < UID_MAX_BYTES; i++) {
        out[2 * i] = digits[uid->bytes[i] >> 4];
        out[2 * i + 1] = digits[uid->bytes[i] & 0x0F];
    }
    out[2 * i] = '\0';
}

void uid_last4(const struct uid *uid, char out[5])
{
    char hex[UID_HEX_LEN];
    uid_to_hex(uid, hex);
    size_t n = strlen(hex);
    memcpy(out, hex + (n >= 4 ? n - 4 : 0), n >= 4 ? 5 : n + 1);
}

bool uid_is_random(const struct uid *uid)
{
    return uid->len == 4 && uid->bytes[0] == 0x08;
}
