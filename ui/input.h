/* input.h — the keys the kiosk understands, whatever delivers them (SDL in ui/sdl/, tests,
 * the demo). Pure data. */
#ifndef CPD_INPUT_H
#define CPD_INPUT_H

enum gfx_key {
    KEY_NONE,
    KEY_ENTER,
    KEY_ESCAPE,
    KEY_BACKSPACE,
    KEY_UP,
    KEY_DOWN,
    KEY_PAGE_UP,
    KEY_PAGE_DOWN,
    KEY_TAB,
    KEY_CHAR,     /* a printable key: gfx_input.ch */
    KEY_F1 = 100, /* F1 … F12 are KEY_F1 + 0 … 11 */
};

#endif
