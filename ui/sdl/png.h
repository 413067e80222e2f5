/* png.h — writes 0xAARRGGBB pixels as a PNG file (cairo; the only includer). */
#ifndef CPD_PNG_H
#define CPD_PNG_H

#include <stdint.h>

int png_write(const char *path, const uint32_t *pixels, int w, int h);

#endif
