/* payload.h — an event's payload: a flat JSON object in one canonical spelling.
 *
 * Written with sorted keys and no blanks (jansson, the only file including it) so the same
 * fields always give the same bytes: the bytes are hashed and signed. Values are integers,
 * booleans or strings. Buffers are the caller's; no allocation escapes. */
#ifndef CPD_PAYLOAD_H
#define CPD_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

enum payload_type { PAYLOAD_INT, PAYLOAD_BOOL, PAYLOAD_STR };

struct payload_field {
    const char *key;
    enum payload_type type;
    int64_t i;     /* PAYLOAD_INT, PAYLOAD_BOOL (0/1) */
    const char *s; /* PAYLOAD_STR */
};

#define PAYLOAD_INT_FIELD(k, v)  ((struct payload_field){(k), PAYLOAD_INT, (v), NULL})
#define PAYLOAD_BOOL_FIELD(k, v) ((struct payload_field){(k), PAYLOAD_BOOL, (v) ? 1 : 0, NULL})
#define PAYLOAD_STR_FIELD(k, v)  ((struct payload_field){(k), PAYLOAD_STR, 0, (v)})

/* Writes {"a":1,"b":"x"} into out; PAYLOAD_ETOOBIG when it does not fit. */
int payload_write(char *out, size_t cap, const struct payload_field *fields, size_t n);
int payload_get_int(const char *payload, const char *key, int64_t *out);
int payload_get_bool(const char *payload, const char *key, bool *out);
int payload_get_str(const char *payload, const char *key, char *out, size_t cap);
/* PAYLOAD_OK when text is a JSON object in canonical spelling. */
int payload_check(const char *payload);
/* PAYLOAD_OK when text is a JSON object without duplicate keys (any spelling): what the ledger
 * accepts from a kiosk. */
int payload_check_object(const char *payload);

#endif
