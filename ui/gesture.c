#include "ui/gesture.h"

#include <stdlib.h>

void gesture_press(struct gesture *g, long long finger, int x, int y)
{
    if (g->down)
        return;
    *g = (struct gesture){.down = true, .finger = finger, .x = x, .y = y};
}

void gesture_cancel(struct gesture *g)
{
    g->down = false;
}

enum gesture_kind gesture_release(struct gesture *g, long long finger, int x, int y, int height,
                                  int *tap_x, int *tap_y)
{
    if (!g->down || finger != g->finger)
        return GESTURE_NONE;
    g->down = false;
    int dx = abs(x - g->x), dy = y - g->y;
    int still = height / 40 > 4 ? height / 40 : 4;
    if (dx <= still && abs(dy) <= still) {
        *tap_x = g->x;
        *tap_y = g->y;
        return GESTURE_TAP;
    }
    if (abs(dy) >= height / 10 && abs(dy) > 2 * dx)
        return dy < 0 ? GESTURE_SWIPE_UP : GESTURE_SWIPE_DOWN;
    return GESTURE_NONE;
}
