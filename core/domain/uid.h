/* uid.h — badge UIDs: parsing every form readers and people type, and the one normal form.
 *
 * The normal form is upper-case hex, no separators, in the byte order anticollision returns
 * (the order libnfc reports), 4, 7 or 10 bytes. Pure; no allocation. */
#ifndef CPD_UID_H
#define CPD_UID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#define UID_MAX_BYTES 10
#define UID_HEX_LEN   (UID_MAX_BYTES * 2 + 1)

struct uid {
    uint8_t bytes[UID_MAX_BYTES];
    uint8_t len; /* 4, 7 or 10 */
};

enum uid_text_format {
    UID_TEXT_AUTO,    /* hex if it has separators, a-f, "0x", or exactly 8/14/20 digits */
    UID_TEXT_HEX,     /* "04:A2:3B:1C", "04a23b1c", "04-A2-3B-1C", "04 a2 3b 1c" */
    UID_TEXT_DECIMAL, /* "1261711131": the UID as one unsigned number (4 or 7 bytes) */
    UID_TEXT_COUNT
};

enum uid_byte_order {
    UID_ORDER_MSB_FIRST, /* the text's first byte is the UID's first byte */
    UID_ORDER_LSB_FIRST, /* reversed: what many USB keyboard-wedge readers type */
    UID_ORDER_COUNT
};
/* Their names in kiosk.ini (core/base/names.h): "auto", "hex", "decimal"; "msb-first",
 * "lsb-first". */
extern const char *const uid_text_format_names[UID_TEXT_COUNT];
extern const char *const uid_byte_order_names[UID_ORDER_COUNT];

int uid_parse(const char *text, enum uid_text_format format, enum uid_byte_order order,
              struct uid *out);
int uid_from_bytes(const uint8_t *bytes, size_t len, struct uid *out);
void uid_to_hex(const struct uid *uid, char out[UID_HEX_LEN]);
/* The last 4 hex digits: what screens, logs and trainers see. */
void uid_last4(const struct uid *uid, char out[5]);
/* 4-byte UIDs starting 08 are random per ISO 14443-3: phones, some bank cards. */
bool uid_is_random(const struct uid *uid);

#endif
