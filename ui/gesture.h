/* gesture.h — a press and its release as a touch screen means them: a tap where the finger
 * went down, or a swipe up or down (the next or the previous page of a list). Pure: the SDL
 * layer feeds it pointer positions. */
#ifndef CPD_GESTURE_H
#define CPD_GESTURE_H

#include <stdbool.h>

enum gesture_kind { GESTURE_NONE, GESTURE_TAP, GESTURE_SWIPE_UP, GESTURE_SWIPE_DOWN };

struct gesture {
    bool down;
    long long finger; /* which finger (the mouse: -1) */
    int x, y;         /* where it went down */
};

/* A second finger while one is down is ignored, and so is its release. */
void gesture_press(struct gesture *g, long long finger, int x, int y);
/* The screen changed under a held press (a badge, a timeout): its release does nothing. */
void gesture_cancel(struct gesture *g);
/* height: the screen's. A swipe is a mostly vertical move of at least a tenth of it; a tap
 * moved less than a fortieth (a shaky finger still taps) and acts where it went down
 * (*tap_x, *tap_y); anything else — a slide sideways, a half-hearted drag — does nothing. */
enum gesture_kind gesture_release(struct gesture *g, long long finger, int x, int y, int height,
                                  int *tap_x, int *tap_y);

#endif
