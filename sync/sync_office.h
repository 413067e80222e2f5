/* sync_office.h — head office's signed records (ledger schema 8), as both sides read them:
 * how a record is hashed (head office signs the hash), how a field is spelt in a record's
 * lines, and a kiosk's check of the roster it pulls against the newest signed roster record.
 * Head office writes and verifies the log in sync/ledger/ledger_office.c. */
#ifndef CPD_SYNC_OFFICE_H
#define CPD_SYNC_OFFICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain/crypto.h"

/* SHA-256 of prev, then "cpd office log 1\n<seq>\n<kind>\n<at_us>\n<tips>\n<body digest hex>"
 * (the body by its own SHA-256, in hex). out is all zeros when memory runs out: it matches no
 * record, so nothing is trusted on it. */
void office_record_hash(const uint8_t prev[CRYPTO_HASH_BYTES], int64_t seq, const char *kind,
                        int64_t at_us, const char *tips, const char *body_digest_hex,
                        uint8_t out[CRYPTO_HASH_BYTES]);
/* Field i (0: the table) of a record's line (which ends at a newline or the string's end),
 * into out; false when the line has fewer fields or the field does not fit cap. */
bool office_field(const char *line, int i, char *out, size_t cap);
/* A value as a record's line holds it: backslash, tab, newline and carriage return escaped;
 * false when it does not fit cap (never cut). */
bool office_escape(char *out, size_t cap, const char *in);
/* The line of lines (n of them, sorted as head office sorts a record's) that starts with key
 * (its fields up to and with a tab), by halving; -1 when none. */
long office_find_line(const char *const *lines, size_t n, const char *key);

#endif
