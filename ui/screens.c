#include "ui/screens.h"

#include "core/base/utf8.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct rgba page_bg = {245, 246, 248, 255};
static const struct rgba ink = {26, 29, 33, 255};
static const struct rgba ink_soft = {74, 80, 89, 255};
static const struct rgba panel = {255, 255, 255, 255};
static const struct rgba rule = {200, 205, 212, 255};
static const struct rgba bar_bg = {38, 42, 48, 255};
static const struct rgba white = {255, 255, 255, 255};
/* Greyed out, yet readable: 4.6:1 on the disabled button's grey (WCAG AA). */
static const struct rgba disabled = {98, 104, 112, 255};

struct rgba screens_disabled_text(void)
{
    return disabled;
}

struct rgba screens_disabled_fill(void)
{
    return (struct rgba){232, 234, 237, 255};
}

struct rgba screens_tone_fill(enum view_tone tone)
{
    switch (tone) {
    case TONE_V_OK:
        return (struct rgba){27, 122, 52, 255}; /* green */
    case TONE_V_INFO:
        return (struct rgba){30, 94, 168, 255}; /* blue */
    case TONE_V_WARNING:
        return (struct rgba){242, 183, 5, 255}; /* amber: dark text */
    case TONE_V_ERROR:
        return (struct rgba){179, 38, 30, 255}; /* red */
    default:
        return (struct rgba){70, 76, 86, 255};
    }
}

struct rgba screens_tone_text(enum view_tone tone)
{
    return tone == TONE_V_WARNING ? ink : white;
}

const char *screens_tone_icon(enum view_tone tone)
{
    switch (tone) {
    case TONE_V_OK:
        return "\u2714";
    case TONE_V_INFO:
        return "\u2139";
    case TONE_V_WARNING:
        return "\u26A0";
    case TONE_V_ERROR:
        return "\u2716";
    default:
        return "\u2022";
    }
}

static double channel(uint8_t c)
{
    double s = c / 255.0;
    return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

static double luminance(struct rgba c)
{
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

double screens_contrast(struct rgba a, struct rgba b)
{
    double la = luminance(a), lb = luminance(b);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

int screens_body_px(int height)
{
    int px = height * 50 / 1000; /* 5 %: secondary text at 85 % stays above the 4 % floor */
    return px < 16 ? 16 : px;
}

/* ---- building blocks --------------------------------------------------------------------- */

struct layout {
    struct screen_out *out;
    int w, h;
    int body;   /* body text px */
    int margin; /* page margin px */
    int top;    /* height of the top bar */
};

static struct draw_cmd *add(struct layout *L, enum draw_kind kind, struct rect box,
                            struct rgba color)
{
    struct draw_list *d = &L->out->draw;
    if (d->n == DRAW_MAX_CMDS) {
        d->overflow = true;
        return NULL;
    }
    struct draw_cmd *c = &d->cmds[d->n++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->box = box;
    c->color = color;
    return c;
}

static void fill(struct layout *L, struct rect box, struct rgba color, int radius)
{
    struct draw_cmd *c = add(L, DRAW_FILL, box, color);
    if (c)
        c->px = radius;
}

static void frame(struct layout *L, struct rect box, struct rgba color, int thickness)
{
    struct draw_cmd *c = add(L, DRAW_FRAME, box, color);
    if (c)
        c->px = thickness;
}

static void text(struct layout *L, struct rect box, const char *s, int px, struct rgba color,
                 enum draw_align align, bool bold)
{
    if (!s || !s[0])
        return;
    struct draw_cmd *c = add(L, DRAW_TEXT, box, color);
    if (!c)
        return;
    c->px = px;
    c->align = align;
    c->bold = bold;
    utf8_copy(c->text, sizeof(c->text), s);
}

static void hot(struct layout *L, struct rect box, enum view_action_kind kind, int index)
{
    struct screen_out *o = L->out;
    if (o->n_hot < SCREENS_MAX_HOT)
        o->hot[o->n_hot++] = (struct hot_zone){box, {kind, index}};
}

static struct rect R(int x, int y, int w, int h) {
    return (struct rect){x, y, w, h};
}

/* Icon in a circle, the tone's colour: one of the three cues (colour, icon, word). */
static void
tone_badge(struct layout *L, struct rect box, enum view_tone tone)
{
    struct draw_cmd *c = add(L, DRAW_CIRCLE, box, screens_tone_text(tone));
    (void)c;
    text(L, box, screens_tone_icon(tone), box.h * 62 / 100, screens_tone_fill(tone), ALIGN_CENTER,
         true);
}

static void chip(struct layout *L, int x, int y, int w, int h, const struct view_status *s)
{
    fill(L, R(x, y, w, h), screens_tone_fill(s->tone), h / 4);
    char label[96];
    utf8_printf(label, sizeof(label), "%s %s", screens_tone_icon(s->tone), s->text);
    text(L, R(x + h / 4, y, w - h / 2, h), label, h * 55 / 100, screens_tone_text(s->tone),
         ALIGN_CENTER, false);
}

/* The bar on every screen: site, status chips (reader, sync, clock), the time. */
static void top_bar(struct layout *L, const struct view *v)
{
    int h = L->top, m = L->margin;
    fill(L, R(0, 0, L->w, h), bar_bg, 0);
    int px = h * 42 / 100;
    text(L, R(m, 0, L->w / 4, h), v->site, px, white, ALIGN_LEFT, true);
    int chip_h = h * 60 / 100, chip_y = (h - chip_h) / 2;
    int clock_w = L->w / 10;
    int chip_w = (L->w - L->w / 4 - clock_w - 4 * m) / 3;
    int x = L->w / 4 + m;
    const struct view_status *chips[3] = {&v->reader, &v->sync, &v->time_status};
    for (int i = 0; i < 3; i++, x += chip_w + m / 2)
        chip(L, x, chip_y, chip_w, chip_h, chips[i]);
    if (v->screen != SCREEN_IDLE)
        text(L, R(L->w - m - clock_w, 0, clock_w, h), v->clock, px, white, ALIGN_RIGHT, true);
}

static int banner(struct layout *L, const struct view *v, int y)
{
    if (!v->has_banner)
        return y;
    int h = L->body * 2;
    fill(L, R(0, y, L->w, h), screens_tone_fill(v->banner_tone), 0);
    tone_badge(L, R(L->margin, y + h / 8, h * 3 / 4, h * 3 / 4), v->banner_tone);
    /* The icon and the colour say how bad it is; the words say only what is wrong. */
    text(L, R(L->margin + h, y, L->w - 2 * L->margin - h, h), v->banner, L->body,
         screens_tone_text(v->banner_tone), ALIGN_LEFT, true);
    return y + h;
}

static void legend(struct layout *L, const struct view *v)
{
    if (v->n_legend == 0)
        return;
    int px = L->h * 26 / 1000 < 12 ? 12 : L->h * 26 / 1000;
    int per_row = (v->n_legend + 1) / 2;
    int line = px * 14 / 10;
    int y = L->h - 2 * line - L->margin / 2;
    fill(L, R(0, y - line / 4, L->w, 2 * line + L->margin / 2 + line / 4),
         (struct rgba){226, 230, 235, 255}, 0);
    int col_w = (L->w - 2 * L->margin) / per_row;
    for (int i = 0; i < v->n_legend; i++) {
        int row = i / per_row, col = i % per_row;
        text(L, R(L->margin + col * col_w, y + row * line, col_w, line), v->legend[i], px, ink_soft,
             ALIGN_LEFT, false);
    }
}

/* ---- screens ----------------------------------------------------------------------------- */

static void idle(struct layout *L, const struct view *v, int y)
{
    int clock_px = L->h * 20 / 100;
    text(L, R(0, y + L->h / 40, L->w, clock_px * 12 / 10), v->clock, clock_px, ink, ALIGN_CENTER,
         true);
    y += L->h / 40 + clock_px * 12 / 10;
    text(L, R(0, y, L->w, L->body * 14 / 10), v->date, L->body, ink_soft, ALIGN_CENTER, false);
    y += L->body * 16 / 10;
    int prompt_px = L->h * 6 / 100;
    fill(L, R(L->w / 5, y, L->w * 3 / 5, prompt_px * 17 / 10), screens_tone_fill(TONE_V_INFO),
         prompt_px / 3);
    text(L, R(L->w / 5, y, L->w * 3 / 5, prompt_px * 17 / 10), v->prompt, prompt_px, white,
         ALIGN_CENTER, true);
    y += prompt_px * 2;
    int line = L->body * 15 / 10;
    int x = L->margin * 2, w = L->w - 4 * L->margin;
    /* "15:15–18:15" fits a fifth; "Thu 14 Sep 15:15" (the next session, another day) needs
     * more, and the title gives it up. */
    int when_w = w / 5;
    for (int i = 0; i < v->n_sessions; i++) {
        if (strlen(v->sessions[i].when) > 13)
            when_w = w * 3 / 10;
    }
    for (int i = 0; i < v->n_sessions; i++, y += line) {
        const struct view_session *s = &v->sessions[i];
        struct view_status tag = {s->open ? TONE_V_OK : TONE_V_NEUTRAL, ""};
        utf8_printf(tag.text, sizeof(tag.text), "%s", s->open ? "Open" : "Next");
        chip(L, x, y + line / 10, w / 9, line * 8 / 10, &tag);
        text(L, R(x + w / 9 + L->margin / 2, y, when_w, line), s->when, L->body, ink, ALIGN_LEFT,
             true);
        char what[VIEW_TEXT + 80];
        utf8_printf(what, sizeof(what), "%s%s%s", s->title, s->room[0] ? "  ·  " : "", s->room);
        text(L, R(x + w / 9 + when_w + L->margin, y, w - w / 9 - when_w - L->margin, line), what,
             L->body, ink, ALIGN_LEFT, false);
    }
}

/* The tone band: icon, word and headline, large. */
static int tone_band(struct layout *L, enum view_tone tone, const char *headline, int y)
{
    int h = L->h * 20 / 100;
    fill(L, R(0, y, L->w, h), screens_tone_fill(tone), 0);
    int icon = h * 70 / 100;
    tone_badge(L, R(L->margin * 2, y + (h - icon) / 2, icon, icon), tone);
    int x = L->margin * 3 + icon;
    /* The headline is the word ("Signed in — late"): no "OK / Warning" under it to read. */
    text(L, R(x, y + h * 15 / 100, L->w - x - L->margin, h * 70 / 100), headline, h * 36 / 100,
         screens_tone_text(tone), ALIGN_LEFT, true);
    return y + h;
}

static int credits_bar(struct layout *L, const struct view *v, int y)
{
    char total[16], target[16], label[96], terms[128];
    int q = v->credits_q, t = v->target_q > 0 ? v->target_q : 1;
    utf8_printf(total, sizeof(total), "%d%s", q / 4,
                (const char *[]){"", ".25", ".5", ".75"}[q % 4]);
    utf8_printf(target, sizeof(target), "%d%s", t / 4,
                (const char *[]){"", ".25", ".5", ".75"}[t % 4]);
    utf8_printf(label, sizeof(label), "%s / %s credits this year", total, target);
    int x = L->margin * 2, w = L->w - 4 * L->margin, h = L->body * 12 / 10;
    text(L, R(x, y, w, L->body * 14 / 10), label, L->body, ink, ALIGN_LEFT, true);
    y += L->body * 14 / 10;
    fill(L, R(x, y, w, h), (struct rgba){222, 226, 231, 255}, h / 2);
    int done = q >= t ? w : (int)((long long)w * q / t);
    if (done > 0)
        fill(L, R(x, y, done < h ? h : done, h), screens_tone_fill(TONE_V_OK), h / 2);
    frame(L, R(x, y, w, h), ink_soft, 1);
    y += h + L->body / 3;
    if (v->n_buttons > 0)
        return y; /* the evaluation needs the room: the terms are on the next tap's screen */
    char a[16], s[16], u[16];
    const char *frac[] = {"", ".25", ".5", ".75"};
    utf8_printf(a, sizeof(a), "%d%s", v->term_q[0] / 4, frac[v->term_q[0] % 4]);
    utf8_printf(s, sizeof(s), "%d%s", v->term_q[1] / 4, frac[v->term_q[1] % 4]);
    utf8_printf(u, sizeof(u), "%d%s", v->term_q[2] / 4, frac[v->term_q[2] % 4]);
    utf8_printf(terms, sizeof(terms), "Autumn %s  ·  Spring %s  ·  Summer %s", a, s, u);
    text(L, R(x, y, w, L->body * 13 / 10), terms, L->body * 85 / 100, ink_soft, ALIGN_LEFT, false);
    return y + L->body * 14 / 10;
}

static void lines_block(struct layout *L, const struct view *v, int y)
{
    int x = L->margin * 2, w = L->w - 4 * L->margin;
    for (int i = 0; i < v->n_lines; i++) {
        int px = i == 0 ? L->body * 13 / 10 : L->body;
        text(L, R(x, y, w, px * 14 / 10), v->lines[i], px, ink, ALIGN_LEFT, i == 0);
        y += px * 14 / 10;
    }
    if (v->show_credits)
        credits_bar(L, v, y + L->body / 3);
    if (v->seconds_left > 0) {
        char s[32];
        utf8_printf(s, sizeof(s), "%d s", v->seconds_left);
        text(L, R(L->w - L->margin - L->w / 8, L->h - L->body * 2, L->w / 8, L->body * 3 / 2), s,
             L->body * 8 / 10, ink_soft, ALIGN_RIGHT, false);
    }
}

static void button(struct layout *L, struct rect box, const struct view_button *b, int index,
                   bool numbered)
{
    struct rgba bg = b->enabled ? panel : screens_disabled_fill();
    fill(L, box, bg, L->body / 3);
    frame(L, box, b->enabled ? screens_tone_fill(b->tone) : disabled, L->body / 8 + 1);
    char label[128];
    if (numbered)
        utf8_printf(label, sizeof(label), "%d.  %s", index + 1, b->label);
    else
        utf8_printf(label, sizeof(label), "%s", b->label);
    int pad = L->body / 2;
    /* The detail is a hint: where the button is too short for it, the label alone, unclipped. */
    bool two = b->detail[0] != '\0' && box.h >= L->body * 16 / 10;
    int top_h = two ? box.h * 55 / 100 : box.h;
    int label_px = two && box.h * 48 / 100 < L->body ? box.h * 48 / 100 : L->body;
    int detail_px =
        two && box.h * 30 / 100 < L->body * 75 / 100 ? box.h * 30 / 100 : L->body * 75 / 100;
    int lift = two ? box.h / 16 : 0; /* clear of the frame */
    text(L, R(box.x + pad, box.y + lift, box.w - 2 * pad, top_h), label, label_px,
         b->enabled ? ink : disabled, ALIGN_LEFT, true);
    if (two)
        text(L, R(box.x + pad, box.y + top_h - box.h / 20, box.w - 2 * pad, box.h - top_h),
             b->detail, detail_px, b->enabled ? ink_soft : disabled, ALIGN_LEFT, false);
    if (b->enabled)
        hot(L, box, ACT_BUTTON, index);
}

static int title_block(struct layout *L, const struct view *v, int y)
{
    int px = L->body * 14 / 10;
    text(L, R(L->margin * 2, y, L->w - 4 * L->margin, px * 14 / 10), v->title, px, ink, ALIGN_LEFT,
         true);
    y += px * 14 / 10;
    if (v->subtitle[0]) {
        text(L, R(L->margin * 2, y, L->w - 4 * L->margin, L->body * 13 / 10), v->subtitle,
             L->body * 85 / 100, ink_soft, ALIGN_LEFT, false);
        y += L->body * 13 / 10;
    }
    return y + L->body / 3;
}

static void back_button(struct layout *L, const char *label)
{
    int h = L->body * 2, w = L->w / 5;
    struct rect box = R(L->w - L->margin - w, L->h - h - L->margin, w, h);
    fill(L, box, (struct rgba){70, 76, 86, 255}, L->body / 3);
    text(L, box, label, L->body, white, ALIGN_CENTER, true);
    hot(L, box, ACT_BACK, 0);
}

static void buttons_screen(struct layout *L, const struct view *v, int y, bool numbered)
{
    y = title_block(L, v, y);
    int cols = v->screen == SCREEN_MENU && v->n_buttons > 4 ? 2 : 1;
    int bottom = L->h - L->body * 3 - L->margin;
    int rows = (v->n_buttons + cols - 1) / cols;
    int gap = L->body / 2;
    int bh = rows ? (bottom - y - gap * rows) / rows : 0;
    if (bh > L->body * 3)
        bh = L->body * 3;
    int bw = (L->w - 4 * L->margin - (cols - 1) * gap) / cols;
    for (int i = 0; i < v->n_buttons; i++) {
        int r = i / cols, c = i % cols;
        button(L, R(L->margin * 2 + c * (bw + gap), y + r * (bh + gap), bw, bh), &v->buttons[i], i,
               numbered);
    }
    if (v->seconds_left > 0) { /* how long the choice waits */
        char left[48];
        utf8_printf(left, sizeof(left), "%d s left to choose", v->seconds_left);
        text(L, R(L->margin * 2, L->h - L->body * 2 - L->margin, L->w / 2, L->body * 3 / 2), left,
             L->body * 9 / 10, ink_soft, ALIGN_LEFT, false);
    }
    back_button(L, v->screen == SCREEN_MENU ? "Lock" : "Cancel");
}

int screens_rows_per_page(int width, int height)
{
    (void)width;
    int body = screens_body_px(height);
    int top = height * 8 / 100;
    int usable = height - top - body * 14 / 10 * 2 - body * 3 - body * 3;
    int n = usable / (body * 15 / 10);
    return n < 3 ? 3 : n > VIEW_ROWS ? VIEW_ROWS : n;
}

static void table_screen(struct layout *L, const struct view *v, int y)
{
    y = title_block(L, v, y);
    int x = L->margin * 2, w = L->w - 4 * L->margin;
    int line = L->body * 15 / 10;
    int ncol = v->n_columns > 0 ? v->n_columns : 1;
    /* The first column (a name) gets twice the room of the others. */
    int unit = w / (ncol + 1);
    fill(L, R(x, y, w, line), (struct rgba){226, 230, 235, 255}, 0);
    for (int c = 0; c < v->n_columns; c++) {
        int cx = x + (c == 0 ? 0 : unit * (c + 1)), cw = c == 0 ? 2 * unit : unit;
        text(L, R(cx + L->body / 3, y, cw - L->body / 3, line), v->columns[c], L->body * 85 / 100,
             ink, ALIGN_LEFT, true);
    }
    y += line;
    int per_page = screens_rows_per_page(L->w, L->h);
    for (int i = 0; i < v->n_rows && i < per_page; i++, y += line) {
        const struct view_row *row = &v->rows[i];
        bool flagged = row->tone != TONE_V_NEUTRAL;
        fill(L, R(x, y, w, line), i % 2 ? page_bg : panel, 0);
        if (flagged)
            fill(L, R(x, y, L->body / 3, line), screens_tone_fill(row->tone), 0);
        for (int c = 0; c < v->n_columns; c++) {
            int cx = x + (c == 0 ? 0 : unit * (c + 1)), cw = c == 0 ? 2 * unit : unit;
            text(L, R(cx + L->body * 2 / 3, y, cw - L->body * 2 / 3, line), row->cells[c], L->body,
                 ink, ALIGN_LEFT, c == 0);
        }
        frame(L, R(x, y + line - 1, w, 1), rule, 1);
        if (row->selectable)
            hot(L, R(x, y, w, line), ACT_ROW, v->first_row + i);
    }
    if (v->n_rows == 0)
        text(L, R(x, y, w, line), "Nobody here yet", L->body, ink_soft, ALIGN_LEFT, false);
    int h = L->body * 2, bw = L->w / 7;
    int by = L->h - h - L->margin;
    if (v->extra_label[0]) { /* between the count and Back */
        struct rect find = R(L->margin * 4 + 3 * bw, by, bw * 13 / 10, h);
        fill(L, find, panel, L->body / 3);
        frame(L, find, screens_tone_fill(TONE_V_INFO), 2);
        text(L, find, v->extra_label, L->body * 85 / 100, ink, ALIGN_CENTER, true);
        hot(L, find, ACT_EXTRA, 0);
    }
    if (v->first_row > 0) {
        struct rect up = R(L->margin * 2, by, bw, h);
        frame(L, up, ink_soft, 2);
        text(L, up, "\u25B2 Previous", L->body * 85 / 100, ink, ALIGN_CENTER, false);
        hot(L, up, ACT_PAGE_UP, 0);
    }
    int shown = v->n_rows < per_page ? v->n_rows : per_page; /* rows that fit, not rows given */
    if (v->first_row + shown < v->total_rows) {
        struct rect down = R(L->margin * 3 + bw, by, bw, h);
        frame(L, down, ink_soft, 2);
        text(L, down, "\u25BC Next", L->body * 85 / 100, ink, ALIGN_CENTER, false);
        hot(L, down, ACT_PAGE_DOWN, 0);
    }
    char count[48];
    int last = v->first_row + shown;
    utf8_printf(count, sizeof(count), "%d–%d of %d", v->total_rows ? v->first_row + 1 : 0, last,
                v->total_rows);
    text(L, R(L->margin * 4 + 2 * bw, by, bw, h), count, L->body * 8 / 10, ink_soft, ALIGN_LEFT,
         false);
    back_button(L, "Back");
}

/* Letters, digits and a little punctuation: enough for a note or a name; a real keyboard
 * types the same. The last row: Cancel, Space, Erase, Done. */
static void keyboard_screen(struct layout *L, const struct view *v, int y)
{
    static const char *const rows[] = {"1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-.,"};
    y = title_block(L, v, y);
    int x = L->margin * 2, w = L->w - 4 * L->margin;
    int field_h = L->body * 16 / 10;
    fill(L, R(x, y, w, field_h), panel, L->body / 4);
    frame(L, R(x, y, w, field_h), screens_tone_fill(TONE_V_INFO), 2);
    char shown[VIEW_TEXT + 8];
    utf8_printf(shown, sizeof(shown), "%s\u258F", v->entry); /* the text and a caret */
    text(L, R(x + L->body / 2, y, w - L->body, field_h), shown, L->body, ink, ALIGN_LEFT, false);
    y += field_h;
    text(L, R(x, y, w, L->body * 12 / 10), v->entry_hint, L->body * 8 / 10, ink_soft, ALIGN_LEFT,
         false);
    y += L->body * 13 / 10;
    int gap = L->body / 5;
    int key_h = (L->h - L->margin - y) / 5 - gap;
    int key_w = (w - 9 * gap) / 10;
    for (int r = 0; r < 4; r++) {
        for (int c = 0; rows[r][c]; c++) {
            struct rect key = R(x + c * (key_w + gap), y + r * (key_h + gap), key_w, key_h);
            char label[2] = {rows[r][c], '\0'};
            fill(L, key, panel, L->body / 4);
            frame(L, key, ink_soft, 2);
            text(L, key, label, key_h * 5 / 10, ink, ALIGN_CENTER, true);
            hot(L, key, ACT_CHAR, (unsigned char)rows[r][c]);
        }
    }
    int ry = y + 4 * (key_h + gap);
    struct {
        const char *label;
        int span;
        enum view_action_kind kind;
        int index;
    } last[] = {{"Cancel", 2, ACT_BACK, 0},
                {"Space", 4, ACT_CHAR, ' '},
                {"\u232B Erase", 2, ACT_ERASE, 0},
                {"Done", 2, ACT_OK, 0}};
    int kx = x;
    for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++) {
        int kw = last[i].span * key_w + (last[i].span - 1) * gap;
        struct rect key = R(kx, ry, kw, key_h);
        bool done = last[i].kind == ACT_OK;
        fill(L, key, done ? screens_tone_fill(TONE_V_OK) : panel, L->body / 4);
        frame(L, key, ink_soft, 2);
        text(L, key, last[i].label, L->body * 85 / 100, done ? white : ink, ALIGN_CENTER, true);
        hot(L, key, last[i].kind, last[i].index);
        kx += kw + gap;
    }
}

/* "How useful was tonight?" and five large buttons along the bottom of a sign-out; the rest
 * of the screen still dismisses it (skipping costs nothing). */
static void evaluation_strip(struct layout *L, const struct view *v)
{
    int x = L->margin * 2, w = L->w - 4 * L->margin - L->w / 10; /* clear of the countdown */
    int bh = L->body * 24 / 10, qh = L->body * 14 / 10, gap = L->body / 2;
    int y = L->h - L->margin - bh - qh;
    text(L, R(x, y, w, qh), v->title, L->body * 11 / 10, ink, ALIGN_LEFT, true);
    y += qh;
    int bw = (w - (v->n_buttons - 1) * gap) / v->n_buttons;
    if (bw > L->body * 7)
        bw = L->body * 7;
    for (int i = 0; i < v->n_buttons; i++) {
        const struct view_button *b = &v->buttons[i];
        struct rect box = R(x + i * (bw + gap), y, bw, bh);
        fill(L, box, panel, L->body / 3);
        frame(L, box, screens_tone_fill(TONE_V_INFO), L->body / 8 + 1);
        int label_h = b->detail[0] ? bh * 62 / 100 : bh;
        text(L, R(box.x, box.y, box.w, label_h), b->label, L->body * 13 / 10, ink, ALIGN_CENTER,
             true);
        if (b->detail[0])
            text(L, R(box.x, box.y + label_h - bh / 10, box.w, bh - label_h), b->detail,
                 L->body * 7 / 10, ink_soft, ALIGN_CENTER, false);
        hot(L, box, ACT_BUTTON, i);
    }
}

/* A fire warden's tap: the roll call one touch away, large and amber, bottom right. */
static void roll_call_button(struct layout *L)
{
    int h = L->body * 26 / 10, w = L->w / 4;
    struct rect box = R(L->w - L->margin - w, L->h - h - L->margin - L->body * 2, w, h);
    fill(L, box, screens_tone_fill(TONE_V_WARNING), L->body / 3);
    frame(L, box, ink, 2);
    text(L, box, "Roll call", L->body * 12 / 10, screens_tone_text(TONE_V_WARNING), ALIGN_CENTER,
         true);
    hot(L, box, ACT_ROLL_CALL, 0);
}

/* A message's actions (Undo, Done), along the bottom, the last at the right where Back is. */
static void message_buttons(struct layout *L, const struct view *v)
{
    int h = L->body * 2, w = L->w / 4, y = L->h - h - L->margin;
    for (int i = 0; i < v->n_buttons; i++) {
        const struct view_button *b = &v->buttons[i];
        struct rect box = R(L->w - (v->n_buttons - i) * (w + L->margin), y, w, h);
        bool primary = b->tone == TONE_V_OK;
        fill(L, box, primary ? screens_tone_fill(TONE_V_OK) : panel, L->body / 3);
        frame(L, box, ink_soft, 2);
        text(L, box, b->label, L->body, primary ? white : ink, ALIGN_CENTER, true);
        if (b->enabled)
            hot(L, box, ACT_BUTTON, i);
    }
}

static void pin_screen(struct layout *L, const struct view *v, int y)
{
    y = title_block(L, v, y);
    int dot = L->body;
    /* As many boxes as a PIN has digits so far, at least the shortest PIN's 4. */
    int boxes = v->pin_digits > 4 ? v->pin_digits : 4;
    int dots_w = boxes * dot * 2;
    int dx = (L->w - dots_w) / 2;
    for (int i = 0; i < boxes; i++) {
        struct rect box = R(dx + i * dot * 2, y, dot, dot);
        if (i < v->pin_digits)
            add(L, DRAW_CIRCLE, box, ink);
        else
            frame(L, box, ink_soft, 2);
    }
    y += dot * 2;
    text(L, R(0, y, L->w, L->body * 14 / 10), v->pin_message, L->body * 9 / 10,
         screens_tone_fill(TONE_V_ERROR), ALIGN_CENTER, true);
    y += L->body * 16 / 10;
    int bottom = L->h - L->margin;
    int key_h = (bottom - y) / 4 - L->body / 4;
    int key_w = key_h * 2;
    if (key_w * 3 > L->w / 2)
        key_w = L->w / 6;
    int kx = (L->w - 3 * key_w - 2 * (L->body / 4)) / 2;
    static const char *const labels[12] = {"1", "2", "3", "4",      "5", "6",
                                           "7", "8", "9", "\u232B", "0", "OK"};
    for (int i = 0; i < 12; i++) {
        int r = i / 3, c = i % 3;
        struct rect box =
            R(kx + c * (key_w + L->body / 4), y + r * (key_h + L->body / 4), key_w, key_h);
        bool ok = i == 11;
        if (v->pin_locked) { /* greyed, and nothing to touch */
            fill(L, box, screens_disabled_fill(), L->body / 3);
            text(L, box, labels[i], key_h * 45 / 100, screens_disabled_text(), ALIGN_CENTER, true);
            continue;
        }
        fill(L, box, ok ? screens_tone_fill(TONE_V_OK) : panel, L->body / 3);
        frame(L, box, ink_soft, 2);
        text(L, box, labels[i], key_h * 45 / 100, ok ? white : ink, ALIGN_CENTER, true);
        if (i == 9)
            hot(L, box, ACT_ERASE, 0);
        else if (ok)
            hot(L, box, ACT_OK, 0);
        else
            hot(L, box, ACT_DIGIT, i == 10 ? 0 : i + 1);
    }
    back_button(L, "Cancel");
}

void screens_build(const struct view *v, struct screen_out *out)
{
    memset(out, 0, sizeof(*out));
    struct layout L = {.out = out, .w = v->width, .h = v->height};
    L.body = screens_body_px(v->height);
    L.margin = v->width / 48;
    L.top = v->height * 8 / 100;
    out->draw.background = page_bg;
    top_bar(&L, v);
    int y = banner(&L, v, L.top);
    switch (v->screen) {
    case SCREEN_IDLE:
        idle(&L, v, y);
        legend(&L, v);
        break;
    case SCREEN_RESULT:
    case SCREEN_MESSAGE:
    case SCREEN_FATAL:
        y = tone_band(&L, v->tone, v->headline, y);
        lines_block(&L, v, y + L.body / 2);
        if (v->screen == SCREEN_MESSAGE && v->n_buttons == 0)
            back_button(&L, "Done"); /* what is done is done: nothing here undoes it */
        else if (v->screen == SCREEN_MESSAGE)
            message_buttons(&L, v);
        if (v->screen == SCREEN_RESULT)
            hot(&L, R(0, L.top, L.w, L.h - L.top), ACT_OK, 0);
        if (v->screen == SCREEN_RESULT && v->n_buttons > 0)
            evaluation_strip(&L, v);
        if (v->screen == SCREEN_RESULT && v->roll_call_button)
            roll_call_button(&L);
        break;
    case SCREEN_CHOOSE:
    case SCREEN_MENU:
        buttons_screen(&L, v, y + L.body / 2, v->screen == SCREEN_CHOOSE);
        break;
    case SCREEN_TABLE:
        table_screen(&L, v, y + L.body / 2);
        break;
    case SCREEN_PIN:
        pin_screen(&L, v, y + L.body / 2);
        break;
    case SCREEN_KEYBOARD:
        keyboard_screen(&L, v, y + L.body / 2);
        break;
    default:
        break;
    }
}

struct view_action screens_hit(const struct screen_out *out, int x, int y)
{
    /* Later zones are drawn on top: search from the end. */
    for (int i = out->n_hot - 1; i >= 0; i--) {
        const struct rect *b = &out->hot[i].box;
        if (x >= b->x && x < b->x + b->w && y >= b->y && y < b->y + b->h)
            return out->hot[i].action;
    }
    return (struct view_action){ACT_NONE, 0};
}
