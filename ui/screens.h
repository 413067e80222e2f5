/* screens.h — view model → draw list, a pure function (no SDL, no I/O): testable without a
 * window. The layout derives from the view's width and height alone, so 1920×1080, 1280×800 and
 * 800×480 are all laid out from the same proportions. Also returns where touches land. */
#ifndef CPD_SCREENS_H
#define CPD_SCREENS_H

#include "ui/draw.h"
#include "ui/view.h"

#define SCREENS_MAX_HOT 64

struct hot_zone {
    struct rect box;
    struct view_action action;
};

struct screen_out {
    struct draw_list draw;
    struct hot_zone hot[SCREENS_MAX_HOT];
    int n_hot;
};

void screens_build(const struct view *view, struct screen_out *out);
/* The action under a point (touch or click), ACT_NONE when none. */
struct view_action screens_hit(const struct screen_out *out, int x, int y);
/* How many table rows fit one page at this size. */
int screens_rows_per_page(int width, int height);
/* Body text height in pixels at this size: at least 4 % of the height. */
int screens_body_px(int height);

/* The palette: tone colours with their text colour (WCAG AA contrast, checked in tests). */
struct rgba screens_tone_fill(enum view_tone tone);
struct rgba screens_tone_text(enum view_tone tone);
const char *screens_tone_icon(enum view_tone tone); /* "✔" "ℹ" "⚠" "✖" */
/* A greyed-out button: its background and its words. */
struct rgba screens_disabled_fill(void);
struct rgba screens_disabled_text(void);
/* WCAG 2 contrast ratio of two colours (1–21). */
double screens_contrast(struct rgba a, struct rgba b);

#endif
