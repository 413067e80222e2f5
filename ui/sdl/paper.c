#include "ui/sdl/paper.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <string.h>

#include "core/base/utf8.h"
#include "core/domain/rules.h"

int paper_write_png(const char *path, const uint32_t *pixels, int w, int h)
{
    /* cairo's RGB24 is native-endian 0x??RRGGBB: the same words, alpha ignored. */
    cairo_surface_t *s = cairo_image_surface_create_for_data((unsigned char *)(uintptr_t)pixels,
                                                             CAIRO_FORMAT_RGB24, w, h, w * 4);
    int rc = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS &&
                     cairo_surface_write_to_png(s, path) == CAIRO_STATUS_SUCCESS
                 ? PAPER_OK
                 : PAPER_EWRITE;
    cairo_surface_destroy(s);
    return rc;
}

/* ---- PDF ------------------------------------------------------------------------------------ */

/* A4 in points; the margins keep clear of what printers cannot reach. */
#define A4_SHORT   595.276
#define A4_LONG    841.890
#define MARGIN     36.0
#define FONT       "DejaVu Sans"
#define TABLE_PT   8.0
#define TABLE_LEAD 9.6 /* a table line; 60 one-line rows fit a portrait page */
#define CELL_PAD   3.0
#define CHART_W    190.0
#define CHART_H    78.0
#define SIGN_SPACE 60.0

struct sheet {
    cairo_t *cr;
    const struct report *report;
    const struct paper_header *header;
    double w, h;
    bool draw; /* false: the first pass, which only counts pages */
    int page, pages;
    double y;
    int first_col; /* columns before it are in the section's heading */
    double col_w[REPORT_COLUMNS];
    const struct report_section *section; /* the one being printed, or NULL */
};

static void font(cairo_t *cr, double size, bool bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *text)
{
    char safe[REPORT_LINE * 3];
    cairo_text_extents_t e;
    utf8_printable(safe, sizeof(safe), text);
    cairo_text_extents(cr, safe, &e);
    return e.x_advance;
}

static void show(struct sheet *s, double x, double y, const char *text)
{
    if (!s->draw)
        return;
    char safe[REPORT_LINE * 3];
    utf8_printable(safe, sizeof(safe), text); /* cairo refuses invalid UTF-8: a blank page */
    cairo_move_to(s->cr, x, y);
    cairo_show_text(s->cr, safe);
}

static bool fits(cairo_t *cr, char *buf, const char *text, size_t n, double width)
{
    memcpy(buf, text, n);
    buf[n] = '\0';
    return text_width(cr, buf) <= width;
}

/* The bytes of text that fit in width from its start: whole words where it can, else whole
 * characters, at least one (so a long word breaks instead of disappearing). */
static size_t fitting(cairo_t *cr, const char *text, double width)
{
    char buf[REPORT_LINE];
    size_t n = strlen(text), best = 0;
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && text[i] != ' ')
            continue;
        if (!fits(cr, buf, text, i, width))
            break;
        best = i;
    }
    if (best > 0 || n == 0)
        return best;
    size_t one = 1; /* one word wider than the column: as many characters as fit */
    while (one < n && ((unsigned char)text[one] & 0xC0) == 0x80)
        one++;
    best = one;
    for (size_t i = one; i < n;) {
        size_t next = i + 1;
        while (next < n && ((unsigned char)text[next] & 0xC0) == 0x80)
            next++;
        if (!fits(cr, buf, text, next, width))
            break;
        best = i = next;
    }
    return best;
}

/* Draws text wrapped to width from (x, y baseline); the number of lines it takes. */
static int wrapped(struct sheet *s, const char *raw, double x, double y, double width, double lead)
{
    char line[REPORT_LINE], safe[REPORT_LINE];
    utf8_printable(safe, sizeof(safe), raw);
    const char *text = safe;
    int lines = 0;
    while (*text) {
        size_t n = fitting(s->cr, text, width);
        memcpy(line, text, n);
        line[n] = '\0';
        show(s, x, y + lines * lead, line);
        lines++;
        text += n;
        while (*text == ' ')
            text++;
    }
    return lines ? lines : 1;
}

static void rule(struct sheet *s, double y, double grey, double width)
{
    if (!s->draw)
        return;
    cairo_set_source_rgb(s->cr, grey, grey, grey);
    cairo_set_line_width(s->cr, width);
    cairo_move_to(s->cr, MARGIN, y);
    cairo_line_to(s->cr, s->w - MARGIN, y);
    cairo_stroke(s->cr);
    cairo_set_source_rgb(s->cr, 0, 0, 0);
}

static void shade(struct sheet *s, double y, double height, double grey)
{
    if (!s->draw)
        return;
    cairo_set_source_rgb(s->cr, grey, grey, grey);
    cairo_rectangle(s->cr, MARGIN, y, s->w - 2 * MARGIN, height);
    cairo_fill(s->cr);
    cairo_set_source_rgb(s->cr, 0, 0, 0);
}

static void report_lines(struct sheet *s);

/* The band every page has: trust and site, generated at, the title and the report's lines;
 * "page N of M" below. */
static void new_page(struct sheet *s)
{
    if (s->page > 0 && s->draw)
        cairo_show_page(s->cr);
    s->page++;
    char text[REPORT_CELL + 32];
    font(s->cr, 8.5, true);
    utf8_printf(text, sizeof(text), "%s · %s", s->header->trust, s->header->site);
    show(s, MARGIN, MARGIN + 8, text);
    font(s->cr, 8.5, false);
    snprintf(text, sizeof(text), "Generated %s", s->header->generated);
    show(s, s->w - MARGIN - text_width(s->cr, text), MARGIN + 8, text);
    font(s->cr, 14, true);
    s->y = MARGIN + 8 + 6 + 14;
    s->y += (wrapped(s, s->report->title, MARGIN, s->y, s->w - 2 * MARGIN, 17) - 1) * 17;
    rule(s, s->y + 5, 0, 0.8);
    s->y += 5 + 14;
    report_lines(s); /* when, what and the counts: on every page, each may be read alone */
    font(s->cr, 7.5, false);
    snprintf(text, sizeof(text), "Page %d of %d", s->page, s->pages);
    show(s, s->w - MARGIN - text_width(s->cr, text), s->h - MARGIN + 10, text);
    show(s, MARGIN, s->h - MARGIN + 10, s->report->title);
}

static double bottom(const struct sheet *s)
{
    return s->h - MARGIN - 6;
}

/* Columns get what they need if they all fit; otherwise the narrow ones keep theirs and the
 * rest share what is left equally, wrapping (water-filling). */
static void column_widths(struct sheet *s)
{
    const struct report *r = s->report;
    double need[REPORT_COLUMNS] = {0}, avail = s->w - 2 * MARGIN;
    bool fixed[REPORT_COLUMNS] = {false};
    int open = 0;
    for (int c = s->first_col; c < r->n_columns; c++) {
        font(s->cr, TABLE_PT, true);
        need[c] = text_width(s->cr, r->columns[c]);
        font(s->cr, TABLE_PT, false);
        for (size_t i = 0; i < r->n_rows; i++) {
            double w = text_width(s->cr, r->rows[i].cells[c]);
            need[c] = w > need[c] ? w : need[c];
        }
        need[c] += 2 * CELL_PAD;
        open++;
    }
    for (bool changed = true; changed && open > 0;) {
        changed = false;
        double share = avail / open;
        for (int c = s->first_col; c < r->n_columns; c++) {
            if (!fixed[c] && need[c] <= share) {
                fixed[c] = true;
                s->col_w[c] = need[c];
                avail -= need[c];
                open--;
                changed = true;
            }
        }
    }
    for (int c = s->first_col; c < r->n_columns; c++) {
        if (!fixed[c])
            s->col_w[c] = avail / open;
    }
}

/* A row's lines (the tallest cell) — measured, and drawn when draw is set. */
static int row_lines(struct sheet *s, const char *const *cells, double y, bool draw)
{
    bool was = s->draw;
    s->draw = was && draw;
    double x = MARGIN;
    int most = 1;
    for (int c = s->first_col; c < s->report->n_columns; c++) {
        int n = wrapped(s, cells[c], x + CELL_PAD, y + TABLE_PT, s->col_w[c] - 2 * CELL_PAD,
                        TABLE_LEAD);
        most = n > most ? n : most;
        x += s->col_w[c];
    }
    s->draw = was;
    return most;
}

static void table_header(struct sheet *s)
{
    font(s->cr, TABLE_PT, true);
    int lines = row_lines(s, s->report->columns, s->y, false);
    double height = lines * TABLE_LEAD + 3;
    shade(s, s->y, height, 0.82);
    row_lines(s, s->report->columns, s->y + 1, true);
    s->y += height;
    font(s->cr, TABLE_PT, false);
}

static void section_top(struct sheet *s, bool continued);

/* Starts a page for what follows: the section's heading again when one is being printed. */
static void continue_on_new_page(struct sheet *s)
{
    new_page(s);
    if (s->section)
        section_top(s, true);
    table_header(s);
}

static void table_rows(struct sheet *s, size_t first, size_t n)
{
    const char *cells[REPORT_COLUMNS];
    font(s->cr, TABLE_PT, false);
    for (size_t i = first; i < first + n; i++) {
        for (int c = 0; c < s->report->n_columns; c++)
            cells[c] = s->report->rows[i].cells[c];
        double height = row_lines(s, cells, s->y, false) * TABLE_LEAD + 1;
        if (s->y + height > bottom(s))
            continue_on_new_page(s);
        if ((i - first) % 2 == 1)
            shade(s, s->y, height, 0.93);
        row_lines(s, cells, s->y, true);
        s->y += height;
    }
    rule(s, s->y, 0.5, 0.5);
    s->y += 4;
    if (n == 0) {
        font(s->cr, 9, false);
        show(s, MARGIN + CELL_PAD, s->y + 9, "Nothing to list.");
        s->y += 14;
    }
}

static void bar(struct sheet *s, double x, double y, double w, double h, bool dashed)
{
    if (!s->draw)
        return;
    cairo_rectangle(s->cr, x, y, w, h);
    if (!dashed) {
        cairo_set_source_rgb(s->cr, 0.35, 0.35, 0.35);
        cairo_fill_preserve(s->cr);
        cairo_set_source_rgb(s->cr, 0, 0, 0);
    }
    const double dash[] = {2.0};
    cairo_set_dash(s->cr, dash, dashed ? 1 : 0, 0);
    cairo_set_line_width(s->cr, 0.8);
    cairo_stroke(s->cr);
    cairo_set_dash(s->cr, NULL, 0, 0);
}

/* Credits by term against an even pace to the target, and the year against the target. */
static void chart(struct sheet *s, const struct report_section *sec, double x, double y)
{
    char q[16], text[64];
    double pace = sec->target_q / 3.0, top = pace * 1.5;
    for (int t = 0; t < TERM_COUNT; t++)
        top = sec->term_q[t] > top ? sec->term_q[t] : top;
    double base = y + CHART_H - 30, scale = (CHART_H - 42) / (top > 0 ? top : 1), slot = 44;
    font(s->cr, 7, false);
    for (int t = 0; t < TERM_COUNT; t++) {
        double bx = x + t * slot, height = sec->term_q[t] * scale;
        bar(s, bx + 8, base - height, slot - 18, height > 0 ? height : 0.1, false);
        rules_format_quarters(sec->term_q[t], q);
        snprintf(text, sizeof(text), "%s%s", q, sec->term_breach[t] ? " BREACH" : "");
        font(s->cr, 7, sec->term_breach[t]);
        show(s, bx + 4, base - height - 3, text);
        font(s->cr, 7, false);
        show(s, bx + 6, base + 9, rules_term_name(t));
    }
    if (s->draw) { /* the pace line: a third of the target each term */
        const double dash[] = {3.0, 2.0};
        cairo_set_dash(s->cr, dash, 2, 0);
        cairo_set_line_width(s->cr, 0.6);
        cairo_move_to(s->cr, x, base - pace * scale);
        cairo_line_to(s->cr, x + 3 * slot, base - pace * scale);
        cairo_stroke(s->cr);
        cairo_set_dash(s->cr, NULL, 0, 0);
    }
    show(s, x + 3 * slot + 2, base - pace * scale + 2, "a third");
    show(s, x + 3 * slot + 2, base - pace * scale + 10, "of target");
    /* The year: a bar filled as far as the credits go. */
    double yw = 3 * slot, filled = sec->target_q > 0 ? (double)sec->total_q / sec->target_q : 1;
    filled = filled > 1 ? 1 : filled;
    bar(s, x, base + 14, yw, 7, true);
    if (filled > 0)
        bar(s, x, base + 14, yw * filled, 7, false);
    char target[16];
    rules_format_quarters(sec->total_q, q);
    rules_format_quarters(sec->target_q, target);
    snprintf(text, sizeof(text), "%s of %s", q, target);
    show(s, x + yw + 4, base + 20, text);
}

static void section_top(struct sheet *s, bool continued)
{
    const struct report_section *sec = s->section;
    char heading[REPORT_CELL + 16];
    utf8_printf(heading, sizeof(heading), "%s%s", sec->heading, continued ? " (continued)" : "");
    font(s->cr, 11, true);
    s->y += 2;
    s->y += wrapped(s, heading, MARGIN, s->y + 11, s->w - 2 * MARGIN, 14) * 14 + 4;
    if (continued)
        return;
    double top = s->y, text_w = s->w - 2 * MARGIN - CHART_W - 12;
    font(s->cr, 8.5, false);
    for (int i = 0; i < sec->n_lines; i++)
        s->y += wrapped(s, sec->lines[i], MARGIN, s->y + 9, text_w, 11) * 11;
    chart(s, sec, s->w - MARGIN - CHART_W + 10, top);
    s->y = s->y > top + CHART_H ? s->y : top + CHART_H;
    s->y += 6;
}

static void report_lines(struct sheet *s)
{
    font(s->cr, 9, false);
    for (int i = 0; i < s->report->n_lines; i++)
        s->y += wrapped(s, s->report->lines[i], MARGIN, s->y, s->w - 2 * MARGIN, 11.5) * 11.5;
    s->y += 2;
}

static void signature(struct sheet *s)
{
    if (s->y + SIGN_SPACE > bottom(s)) {
        s->section = NULL;
        new_page(s);
    }
    static const char *const labels[] = {"Trainer (name)", "Signature", "Date"};
    double x = MARGIN, w = (s->w - 2 * MARGIN) / 3, line_y = s->y + 36;
    font(s->cr, 8.5, false);
    for (int i = 0; i < 3; i++, x += w) {
        if (s->draw) {
            cairo_set_line_width(s->cr, 0.6);
            cairo_move_to(s->cr, x, line_y);
            cairo_line_to(s->cr, x + w - 16, line_y);
            cairo_stroke(s->cr);
        }
        show(s, x, line_y + 10, labels[i]);
    }
    s->y = line_y + 16;
}

static void lay_out(struct sheet *s)
{
    const struct report *r = s->report;
    s->page = 0;
    s->section = NULL;
    new_page(s);
    if (r->n_sections == 0) {
        table_header(s);
        table_rows(s, 0, r->n_rows);
    }
    for (size_t i = 0; i < r->n_sections; i++) {
        if (i > 0)
            new_page(s);
        s->section = &r->sections[i];
        section_top(s, false);
        table_header(s);
        table_rows(s, s->section->first_row, s->section->n_rows);
    }
    if (r->signature)
        signature(s);
}

static cairo_status_t to_stream(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

int paper_write_pdf(const struct report *report, const struct paper_header *header, FILE *out,
                    int *pages)
{
    double w = report->wide ? A4_LONG : A4_SHORT, h = report->wide ? A4_SHORT : A4_LONG;
    cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(to_stream, out, w, h);
    cairo_t *cr = cairo_create(surface);
    struct sheet s = {.cr = cr, .report = report, .header = header, .w = w, .h = h};
    s.first_col = report->n_sections > 0 ? report->section_columns : 0;
    font(cr, TABLE_PT, false);
    int err = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? PAPER_OK : PAPER_EWRITE;
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    if (err == PAPER_OK && !(fe.height > 0))
        err = PAPER_EFONT;
    if (err == PAPER_OK) {
        column_widths(&s);
        lay_out(&s); /* counts the pages, so each can say "of M" */
        s.pages = s.page;
        s.draw = true;
        lay_out(&s);
        cairo_show_page(cr);
        /* cairo stops drawing at its first error: a page it gave up on is not a page. */
        cairo_status_t status = cairo_status(cr);
        if (status != CAIRO_STATUS_SUCCESS)
            err = status == CAIRO_STATUS_WRITE_ERROR ? PAPER_EWRITE : PAPER_EDRAW;
    }
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    cairo_status_t status = cairo_surface_status(surface);
    if (err == PAPER_OK && status != CAIRO_STATUS_SUCCESS)
        err = status == CAIRO_STATUS_WRITE_ERROR ? PAPER_EWRITE : PAPER_EDRAW;
    cairo_surface_destroy(surface);
    if (pages)
        *pages = err == PAPER_OK ? s.pages : 0;
    return err;
}
