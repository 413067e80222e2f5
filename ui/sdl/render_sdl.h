/* render_sdl.h — the window, the painter, input, a wake-up from other threads, and tones.
 *
 * render_sdl.c is the only file that includes SDL headers: everything above it (screens.c,
 * app.c) sees draw lists and struct gfx_input. All calls but gfx_wake() belong to the thread
 * that opened the gfx (SDL's rule); gfx_wake() may be called from any thread. */
#ifndef CPD_RENDER_SDL_H
#define CPD_RENDER_SDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#include "ui/draw.h"
#include "ui/input.h"

struct gfx_options {
    bool fullscreen;
    int width, height;        /* windowed size (fullscreen: the display's) */
    const char *font_regular; /* font files (found with fontfind.c) */
    const char *font_bold;
    bool sound;
    const char *title;
};

enum gfx_input_kind {
    INPUT_KEY,
    INPUT_TEXT,
    INPUT_POINTER,
    INPUT_RESIZE,
    INPUT_WAKE,
    INPUT_EXPOSE,
    INPUT_QUIT
};

struct gfx_input {
    enum gfx_input_kind kind;
    enum gfx_key key;
    char ch;       /* KEY_CHAR: the key's character ('0'–'9', 'a'–'z', …) */
    char text[32]; /* INPUT_TEXT: UTF-8 typed (keyboard-wedge readers type here) */
    int x, y;      /* INPUT_POINTER: a tap (on release, where it went down) */
};

enum gfx_tone { GFX_TONE_OK, GFX_TONE_WARNING, GFX_TONE_ERROR };

struct gfx;

/* why gets one line naming what is missing (no display, font file, renderer). */
int gfx_open(const struct gfx_options *options, struct gfx **out, char *why, size_t cap);
void gfx_close(struct gfx *gfx);
void gfx_size(struct gfx *gfx, int *w, int *h);
/* Paints the list and presents it. */
int gfx_present(struct gfx *gfx, const struct draw_list *list);
/* Waits up to timeout_ms (-1: forever) for input; 1 with *in filled, 0 on timeout. */
int gfx_wait(struct gfx *gfx, int timeout_ms, struct gfx_input *in);
/* The screen changed under a finger still down: its release is not a tap on the new one. */
void gfx_cancel_press(struct gfx *gfx);
/* Any thread: makes gfx_wait return INPUT_WAKE. */
void gfx_wake(struct gfx *gfx);
/* A short tone; returns the bytes of audio queued (0 when sound is off or there is no audio
 * device: the kiosk works silently then, and said why in the log). */
int gfx_tone(struct gfx *gfx, enum gfx_tone tone);
bool gfx_has_audio(const struct gfx *gfx);
/* The last presented frame as 0xAARRGGBB pixels (malloc'd; caller frees). */
int gfx_read_pixels(struct gfx *gfx, uint32_t **pixels, int *w, int *h);
/* Text textures held in the cache (for tests and the bench). */
int gfx_cached_textures(const struct gfx *gfx);

#endif
