/* draw.h — the draw list: what screens.c asks the renderer to paint, as plain data.
 *
 * Coordinates are pixels from the top-left of the window. Text is UTF-8; the renderer fits it
 * into its box (shrinking the font down to 60 % when it does not fit, then ellipsising). */
#ifndef CPD_DRAW_H
#define CPD_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#define DRAW_MAX_CMDS 384
#define DRAW_TEXT_MAX 200

struct rgba {
    uint8_t r, g, b, a;
};

struct rect {
    int x, y, w, h;
};

enum draw_kind {
    DRAW_FILL,   /* filled rectangle, corners rounded by radius */
    DRAW_FRAME,  /* outline rectangle, thickness px */
    DRAW_TEXT,   /* text in a box */
    DRAW_CIRCLE, /* filled circle inscribed in the box */
};

enum draw_align { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT };

struct draw_cmd {
    enum draw_kind kind;
    struct rect box;
    struct rgba color;
    int px; /* DRAW_TEXT: font pixel height; DRAW_FRAME: thickness; DRAW_FILL: radius */
    bool bold;
    enum draw_align align;
    char text[DRAW_TEXT_MAX];
};

struct draw_list {
    struct rgba background;
    struct draw_cmd cmds[DRAW_MAX_CMDS];
    int n;
    bool overflow; /* more commands than fit: a bug in screens.c, tested */
};

#endif
