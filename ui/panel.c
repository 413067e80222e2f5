#include "ui/panel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/error.h"
#include "core/base/utf8.h"
#include "ui/screens.h"

int panel_init(struct panel *p, int list_cap)
{
    memset(p, 0, sizeof(*p));
    p->kind = PANEL_MESSAGE;
    if (list_cap > 0) {
        p->items = calloc((size_t)list_cap, sizeof(*p->items));
        if (!p->items)
            return STORE_ENOMEM;
        p->list_cap = list_cap;
    }
    return STORE_OK;
}

void panel_free(struct panel *p)
{
    free(p->items);
    p->items = NULL;
    p->list_cap = 0;
}

void panel_buttons(struct panel *p, enum panel_kind kind, const char *title, const char *subtitle)
{
    p->kind = kind;
    utf8_printf(p->title, sizeof(p->title), "%s", title);
    utf8_printf(p->subtitle, sizeof(p->subtitle), "%s", subtitle);
    p->n_buttons = 0;
}

void panel_button(struct panel *p, int64_t id, const char *label, const char *detail, bool enabled,
                  enum view_tone tone)
{
    if (p->n_buttons == VIEW_BUTTONS)
        return;
    struct view_button *b = &p->buttons[p->n_buttons];
    utf8_printf(b->label, sizeof(b->label), "%s", label);
    utf8_printf(b->detail, sizeof(b->detail), "%s", detail);
    b->enabled = enabled;
    b->tone = tone;
    p->button_ids[p->n_buttons++] = id;
}

bool panel_button_id(const struct panel *p, int index, int64_t *id)
{
    if (index < 0 || index >= p->n_buttons || !p->buttons[index].enabled)
        return false;
    *id = p->button_ids[index];
    return true;
}

void panel_list(struct panel *p, const char *title, const char *const *columns, int n)
{
    p->kind = PANEL_LIST;
    utf8_printf(p->title, sizeof(p->title), "%s", title);
    p->subtitle[0] = '\0';
    p->n_columns = n;
    for (int i = 0; i < n; i++)
        utf8_printf(p->columns[i], sizeof(p->columns[i]), "%s", columns[i]);
    p->n_items = 0;
    p->n_cut = 0;
    p->first = 0;
    p->extra_label[0] = '\0';
}

struct panel_item *panel_list_add(struct panel *p, int64_t id)
{
    if (p->n_items == p->list_cap) {
        p->n_cut++;
        return NULL;
    }
    struct panel_item *it = &p->items[p->n_items++];
    memset(it, 0, sizeof(*it));
    it->id = id;
    it->tone = TONE_V_NEUTRAL;
    return it;
}

struct panel_item *panel_list_find(struct panel *p, int64_t id)
{
    for (int i = 0; i < p->n_items; i++) {
        if (p->items[i].id == id)
            return &p->items[i];
    }
    return NULL;
}

const struct panel_item *panel_selectable(const struct panel *p, int index)
{
    if (p->kind != PANEL_LIST || index < 0 || index >= p->n_items || !p->items[index].selectable)
        return NULL;
    return &p->items[index];
}

void panel_message(struct panel *p, enum view_tone tone, const char *head)
{
    p->kind = PANEL_MESSAGE;
    p->msg_tone = tone;
    utf8_printf(p->msg_head, sizeof(p->msg_head), "%s", head);
    p->n_msg = 0;
    p->n_buttons = 0;
}

void panel_message_line(struct panel *p, const char *fmt, ...)
{
    if (p->n_msg == VIEW_LINES)
        return;
    char *line = p->msg_lines[p->n_msg++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, VIEW_TEXT, fmt, ap);
    va_end(ap);
    utf8_fix_tail(line); /* display text, cut on purpose: but never half a character */
}

void panel_keyboard(struct panel *p, const char *title, const char *subtitle, const char *initial,
                    int max)
{
    p->kind = PANEL_KEYBOARD;
    utf8_printf(p->title, sizeof(p->title), "%s", title);
    utf8_printf(p->subtitle, sizeof(p->subtitle), "%s", subtitle);
    p->entry_max = max > 0 && max < (int)sizeof(p->entry) ? max : (int)sizeof(p->entry) - 1;
    utf8_printf(p->entry, sizeof(p->entry), "%.*s", p->entry_max, initial);
    utf8_fix_tail(p->entry);
    p->entry_hint[0] = '\0';
    p->n_buttons = 0;
}

bool panel_entry_type(struct panel *p, char ch)
{
    size_t n = strlen(p->entry);
    if (ch < 32 || ch > 126 || (int)n >= p->entry_max ||
        (ch == ' ' && (n == 0 || p->entry[n - 1] == ' ')))
        return false; /* no leading or double spaces: a note is one tidy line */
    p->entry[n] = ch;
    p->entry[n + 1] = '\0';
    return true;
}

void panel_entry_erase(struct panel *p)
{
    size_t n = strlen(p->entry);
    while (n > 0 && ((unsigned char)p->entry[n - 1] & 0xC0) == 0x80)
        n--; /* a whole character, not a byte of one */
    if (n > 0)
        n--;
    p->entry[n] = '\0';
}

void panel_page(struct panel *p, enum view_action_kind kind)
{
    int page = p->per_page > 0 ? p->per_page : 8;
    if (kind == ACT_PAGE_DOWN && p->first + page < p->n_items)
        p->first += page;
    else if (kind == ACT_PAGE_UP)
        p->first = p->first > page ? p->first - page : 0;
}

struct view_action panel_key_action(const struct panel *p, enum gfx_key key, char ch)
{
    struct view_action none = {ACT_NONE, 0};
    if (p->kind == PANEL_KEYBOARD) { /* a real keyboard types as the on-screen one does */
        if (key == KEY_CHAR)
            return (struct view_action){ACT_CHAR, (unsigned char)ch};
        if (key == KEY_BACKSPACE)
            return (struct view_action){ACT_ERASE, 0};
        if (key == KEY_ENTER)
            return (struct view_action){ACT_OK, 0};
        return key == KEY_ESCAPE ? (struct view_action){ACT_BACK, 0} : none;
    }
    switch (key) {
    case KEY_ESCAPE:
        return (struct view_action){ACT_BACK, 0};
    case KEY_PAGE_UP:
        return (struct view_action){ACT_PAGE_UP, 0};
    case KEY_PAGE_DOWN:
        return (struct view_action){ACT_PAGE_DOWN, 0};
    case KEY_CHAR:
        if (ch < '1' || ch > '9')
            return none;
        if (p->kind == PANEL_MENU || p->kind == PANEL_BUTTONS)
            return (struct view_action){ACT_BUTTON, ch - '1'};
        if (p->kind == PANEL_LIST)
            return (struct view_action){ACT_ROW, p->first + ch - '1'};
        return none;
    default:
        return none;
    }
}

enum view_screen panel_screen(const struct panel *p)
{
    static const enum view_screen screens[] = {
        [PANEL_MENU] = SCREEN_MENU,         [PANEL_BUTTONS] = SCREEN_CHOOSE,
        [PANEL_LIST] = SCREEN_TABLE,        [PANEL_MESSAGE] = SCREEN_MESSAGE,
        [PANEL_KEYBOARD] = SCREEN_KEYBOARD,
    };
    return screens[p->kind];
}

static void list_view(const struct panel *p, struct view *v)
{
    v->n_columns = p->n_columns;
    memcpy(v->columns, p->columns, sizeof(v->columns));
    v->first_row = p->first;
    v->total_rows = p->n_items;
    for (int i = p->first; i < p->n_items && v->n_rows < VIEW_ROWS; i++) {
        struct view_row *row = &v->rows[v->n_rows++];
        memcpy(row->cells, p->items[i].cells, sizeof(row->cells));
        row->tone = p->items[i].tone;
        row->selectable = p->items[i].selectable;
    }
}

void panel_view(struct panel *p, struct view *v)
{
    p->per_page = screens_rows_per_page(v->width, v->height);
    v->screen = panel_screen(p);
    utf8_printf(v->title, sizeof(v->title), "%s", p->title);
    if (p->n_cut && p->kind == PANEL_LIST)
        utf8_printf(v->subtitle, sizeof(v->subtitle), "%s — only the first %d shown, %d more",
                    p->subtitle, p->n_items, p->n_cut);
    else
        utf8_printf(v->subtitle, sizeof(v->subtitle), "%s", p->subtitle);
    switch (p->kind) {
    case PANEL_MENU:
    case PANEL_BUTTONS:
        memcpy(v->buttons, p->buttons, sizeof(v->buttons));
        v->n_buttons = p->n_buttons;
        break;
    case PANEL_LIST:
        list_view(p, v);
        utf8_printf(v->extra_label, sizeof(v->extra_label), "%s", p->extra_label);
        break;
    case PANEL_KEYBOARD:
        utf8_printf(v->entry, sizeof(v->entry), "%s", p->entry);
        utf8_printf(v->entry_hint, sizeof(v->entry_hint), "%s", p->entry_hint);
        break;
    case PANEL_MESSAGE:
        v->tone = p->msg_tone;
        utf8_printf(v->headline, sizeof(v->headline), "%s", p->msg_head);
        for (int i = 0; i < p->n_msg; i++)
            utf8_printf(v->lines[i], VIEW_TEXT, "%s", p->msg_lines[i]);
        v->n_lines = p->n_msg;
        memcpy(v->buttons, p->buttons, sizeof(v->buttons)); /* a message's actions, if any */
        v->n_buttons = p->n_buttons;
        break;
    }
}
