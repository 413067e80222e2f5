/* bare_nfc.h — the baseline: a plain libnfc loop (select, pause poll_ms, select …, presence
 * checks with the same pause) with none of our reader around it. Bench code only. */
#ifndef CPD_BARE_NFC_H
#define CPD_BARE_NFC_H

#include <stdint.h>

typedef void (*bare_nfc_fn)(void *ctx, int present); /* 1 card found, 0 card gone */

struct bare_nfc;
int bare_nfc_start(const char *connstring, int poll_ms, bare_nfc_fn fn, void *ctx,
                   struct bare_nfc **out);
void bare_nfc_stop(struct bare_nfc *b);
/* The mean time of one select round trip with a card present, in µs (the floor). */
double bare_nfc_select_floor(const char *connstring, int rounds);

#endif
