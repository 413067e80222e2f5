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

#endif
