/* strcopy.h — copying a string that must arrive whole (an event field, a path, a key, a
 * message to the ledger): a copy that does not fit is an error, never a silent cut. Pure. */
#ifndef CPD_STRCOPY_H
#define CPD_STRCOPY_H

#include <stddef.h>

#include "core/base/error.h" /* STRCOPY_ETRUNC */

/* Copies src into dst (cap bytes with the NUL): 0, or STRCOPY_ETRUNC when src is too long
 * (dst then holds the empty string, so a cut value can never be used by mistake). */
int strcopy(char *dst, size_t cap, const char *src);

#endif
