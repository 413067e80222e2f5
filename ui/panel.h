/* panel.h — what a screen made of buttons, a list or a message holds between frames: its
 * title, its rows (paged), its buttons and their ids, its message lines. The kiosk (which
 * session?) and trainer mode each own one and neither reaches into the other's state; the
 * panel turns itself into the view (panel_view) and keys into actions (panel_key_action). */
#ifndef CPD_PANEL_H
#define CPD_PANEL_H

#include <stdbool.h>
#include <stdint.h>

#include "ui/input.h"
#include "ui/view.h"

enum panel_kind {
    PANEL_MENU,     /* buttons, drawn as a menu */
    PANEL_BUTTONS,  /* buttons: pick one (a session, a reason) */
    PANEL_LIST,     /* a table of rows, some selectable */
    PANEL_MESSAGE,  /* a headline and lines */
    PANEL_KEYBOARD, /* an on-screen keyboard and what is typed */
};

struct panel_item {
    int64_t id; /* whatever the owner keeps per row: a person or session id */
    char cells[VIEW_COLUMNS][VIEW_CELL];
    enum view_tone tone;
    bool selectable;
};

struct panel {
    enum panel_kind kind;
    char title[VIEW_TEXT];
    char subtitle[VIEW_TEXT];

    char columns[VIEW_COLUMNS][48];
    int n_columns;
    struct panel_item *items; /* list_cap of them, or NULL for a panel without a list */
    int list_cap;
    int n_items;
    int n_cut; /* rows that did not fit list_cap: the view says so */
    int first; /* the first row on screen */
    int per_page;

    struct view_button buttons[VIEW_BUTTONS];
    int64_t button_ids[VIEW_BUTTONS];
    int n_buttons;

    char extra_label[48]; /* a list's extra button ("Find a name", "Print"), "" for none */

    char entry[VIEW_TEXT];
    int entry_max; /* bytes */
    char entry_hint[VIEW_TEXT];

    enum view_tone msg_tone;
    char msg_head[VIEW_TEXT];
    char msg_lines[VIEW_LINES][VIEW_TEXT];
    int n_msg;
};

/* list_cap rows (0: buttons and messages only). CPD_ENOMEM. */
int panel_init(struct panel *p, int list_cap);
void panel_free(struct panel *p);

/* Buttons: start (kind PANEL_MENU or PANEL_BUTTONS), then add up to VIEW_BUTTONS. */
void panel_buttons(struct panel *p, enum panel_kind kind, const char *title, const char *subtitle);
void panel_button(struct panel *p, int64_t id, const char *label, const char *detail, bool enabled,
                  enum view_tone tone);
/* The id of an enabled button at index, or false. */
bool panel_button_id(const struct panel *p, int index, int64_t *id);

/* A list: start with its columns, add rows (NULL once full: counted in n_cut). */
void panel_list(struct panel *p, const char *title, const char *const *columns, int n);
struct panel_item *panel_list_add(struct panel *p, int64_t id);
struct panel_item *panel_list_find(struct panel *p, int64_t id);
/* The selectable row at an absolute index, or NULL. */
const struct panel_item *panel_selectable(const struct panel *p, int index);

/* A message: a headline (the title stays), then lines (beyond VIEW_LINES: dropped, none of
 * the callers writes that many). */
void panel_message(struct panel *p, enum view_tone tone, const char *head);
void panel_message_line(struct panel *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An on-screen keyboard: what is typed starts as initial, at most max bytes (< VIEW_TEXT). */
void panel_keyboard(struct panel *p, const char *title, const char *subtitle, const char *initial,
                    int max);
/* A printable ASCII character typed (others, and beyond max, are not taken: false). */
bool panel_entry_type(struct panel *p, char ch);
void panel_entry_erase(struct panel *p);

/* Page up/down through a list, by the rows that fit the window last drawn. */
void panel_page(struct panel *p, enum view_action_kind kind);
/* Keys on the panel: Escape is back, digits pick buttons or rows on screen, pages page. */
struct view_action panel_key_action(const struct panel *p, enum gfx_key key, char ch);
enum view_screen panel_screen(const struct panel *p);
/* Fills the screen-specific part of the view and remembers the rows per page of its size. */
void panel_view(struct panel *p, struct view *v);

#endif
