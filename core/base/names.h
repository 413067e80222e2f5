/* names.h — the one way an enum whose values are 0 … n-1 gets its names: a table of n strings,
 * read both ways. Pure. */
#ifndef CPD_NAMES_H
#define CPD_NAMES_H

/* The name of value, "?" when it is not 0 … n-1. */
const char *names_of(const char *const *names, int n, int value);
/* The value named, -1 when no name matches. */
int names_parse(const char *const *names, int n, const char *name);
/* "a, b or c" into out (cap bytes): what a message says was expected. */
const char *names_list(const char *const *names, int n, char *out, unsigned cap);

#endif
