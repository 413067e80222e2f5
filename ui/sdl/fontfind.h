/* fontfind.h — a font file for a family name, through fontconfig (the only includer). */
#ifndef CPD_FONTFIND_H
#define CPD_FONTFIND_H

#include <stdbool.h>
#include <stddef.h>

/* Finds the file of family (e.g. "DejaVu Sans"), bold or regular. Returns 0, or -1 when no
 * installed font has that family (fontconfig's nearest substitute is not accepted: a kiosk must
 * say its font is missing rather than render in something unreadable). */
int fontfind(const char *family, bool bold, char *path, size_t cap);
/* Whatever fontconfig offers for a sans-serif face (the family it is goes into family_out):
 * the fallback when the configured font is missing, with a banner saying so. */
int fontfind_any(bool bold, char *path, size_t cap, char *family_out, size_t family_cap);

#endif
