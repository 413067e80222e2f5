#include "ui/sdl/png.h"

#include <cairo.h>

int png_write(const char *path, const uint32_t *pixels, int w, int h)
{
    /* cairo's RGB24 is native-endian 0x??RRGGBB: the same words, alpha ignored. */
    cairo_surface_t *s = cairo_image_surface_create_for_data((unsigned char *)(uintptr_t)pixels,
                                                             CAIRO_FORMAT_RGB24, w, h, w * 4);
    int rc = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS &&
                     cairo_surface_write_to_png(s, path) == CAIRO_STATUS_SUCCESS
                 ? 0
                 : -1;
    cairo_surface_destroy(s);
    return rc;
}
