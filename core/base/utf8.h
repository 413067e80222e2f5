/* utf8.h — copying text into fixed buffers without cutting a character in half (a cut UTF-8
 * sequence is invalid text: the renderer would refuse the whole string). Pure. */
#ifndef CPD_UTF8_H
#define CPD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Copies as much of src as fits in cap bytes (with its NUL), ending on a character boundary. */
void utf8_copy(char *dst, size_t cap, const char *src);
/* Drops a partial character left at the end of s (after a truncating snprintf). */
void utf8_fix_tail(char *s);
bool utf8_valid(const char *s);
/* Plain text: valid UTF-8 with no control character (C0, DEL, C1) and no bidirectional
 * override or isolate (which make a line read otherwise than it is). */
bool utf8_plain(const char *s);
/* Copies src for a terminal, a CSV or a page: every invalid byte, control character and
 * bidirectional override replaced by U+FFFD (so it shows, and does nothing), cut to cap on a
 * whole character; true when anything was replaced or cut. */
bool utf8_printable(char *dst, size_t cap, const char *src);
/* Characters in s (code points, not bytes): the columns it takes on a terminal, near enough
 * for the Latin text of names and titles. */
int utf8_width(const char *s);
/* Display text only: formats into dst, cut on purpose to fit cap and ending on a whole
 * character; true when it was cut. Never for text a cut would change the meaning of (event
 * fields, paths, keys, messages to the ledger: core/base/strcopy.h). */
bool utf8_printf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
