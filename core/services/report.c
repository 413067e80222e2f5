/* The table model (report.h, report_internal.h) — rows of cells, lines, sections — and its
 * writers for a terminal and for CSV; each report's maker is in a file of its own. */
#include "core/services/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/services/csvfile.h"
#include "core/services/report_internal.h"

/* What an unset cell holds: never freed. */
static const char no_text[] = "";

static void row_free(struct report_row *row)
{
    for (int c = 0; c < REPORT_COLUMNS; c++) {
        if (row->cells[c] != no_text)
            free((char *)row->cells[c]); /* report_cell's own copy */
        row->cells[c] = no_text;
    }
}

void report_truncate(struct report *r, size_t n)
{
    while (r->n_rows > n)
        row_free(&r->rows[--r->n_rows]);
}

void report_free(struct report *r)
{
    report_truncate(r, 0);
    free(r->rows);
    free(r->sections);
    memset(r, 0, sizeof(*r));
}

struct report_row *report_add_row(struct report *r)
{
    if (r->n_rows == r->cap_rows) {
        size_t cap = r->cap_rows ? 2 * r->cap_rows : 32;
        struct report_row *grown = realloc(r->rows, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        r->rows = grown;
        r->cap_rows = cap;
    }
    struct report_row *row = &r->rows[r->n_rows++];
    row->short_of_memory = false;
    for (int c = 0; c < REPORT_COLUMNS; c++)
        row->cells[c] = no_text;
    return row;
}

void report_cell(struct report_row *row, int col, const char *fmt, ...)
{
    char text[REPORT_CELL];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
        text[0] = '\0';
    va_end(ap);
    utf8_fix_tail(text); /* display text: cut on a character boundary */
    char *copy = text[0] ? strdup(text) : NULL;
    if (text[0] && !copy) {
        row->short_of_memory = true;
        return;
    }
    if (row->cells[col] != no_text)
        free((char *)row->cells[col]);
    row->cells[col] = copy ? copy : no_text;
}

int report_made(struct report *r, int err)
{
    if (err == STORE_OK)
        err = report_rows_whole(r);
    if (err != STORE_OK)
        report_free(r);
    return err;
}

void report_time_cell(struct report_row *row, int col, int64_t us)
{
    char text[24];
    zone_format_local(us, text);
    report_cell(row, col, "%s", text);
}

void report_date_cell(struct report_row *row, int col, civil_day day)
{
    char text[16];
    civil_format_date(day, text);
    report_cell(row, col, "%s", text);
}

int report_rows_whole(const struct report *r)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        if (r->rows[i].short_of_memory)
            return STORE_ENOMEM;
    }
    return STORE_OK;
}

struct report_section *report_add_section(struct report *r)
{
    if (r->n_sections == r->cap_sections) {
        size_t cap = r->cap_sections ? 2 * r->cap_sections : 16;
        struct report_section *grown = realloc(r->sections, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        r->sections = grown;
        r->cap_sections = cap;
    }
    struct report_section *section = &r->sections[r->n_sections++];
    memset(section, 0, sizeof(*section));
    section->first_row = r->n_rows;
    return section;
}

/* Lines are a fixed few, written by this file: one more than fits is a bug, so it shows. */
static void vline(char lines[][REPORT_LINE], int *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vline(char lines[][REPORT_LINE], int *n, const char *fmt, va_list ap)
{
    if (*n == REPORT_LINES) {
        snprintf(lines[REPORT_LINES - 1], REPORT_LINE, "(more lines than a report holds)");
        return;
    }
    vsnprintf(lines[*n], REPORT_LINE, fmt, ap);
    utf8_fix_tail(lines[(*n)++]);
}

void report_add_line(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(r->lines, &r->n_lines, fmt, ap);
    va_end(ap);
}

void report_section_line(struct report_section *section, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(section->lines, &section->n_lines, fmt, ap);
    va_end(ap);
}

/* "Anne Marie Smith-Jones" sorts under "Smith-Jones", then the whole name. */
static const char *surname(const char *name)
{
    const char *space = strrchr(name, ' ');
    return space ? space + 1 : name;
}

int report_by_surname(const void *a, const void *b)
{
    const struct report_row *x = a, *y = b;
    int c = strcoll(surname(x->cells[0]), surname(y->cells[0])); /* the name is first */
    return c ? c : strcoll(x->cells[0], y->cells[0]);
}

void report_append(char *text, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(text);
    if (used && used + 2 < cap) {
        memcpy(text + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + used, cap - used, fmt, ap);
    va_end(ap);
    utf8_fix_tail(text);
}

void report_quarters(int q, char *out)
{
    rules_format_quarters(q, out);
}

/* ---- writing ------------------------------------------------------------------------------- */

static int column_width(const struct report *r, int col)
{
    int w = utf8_width(r->columns[col]);
    for (size_t i = 0; i < r->n_rows; i++) {
        int cw = utf8_width(r->rows[i].cells[col]);
        w = cw > w ? cw : w;
    }
    return w;
}

/* Text as a terminal should get it: nothing in a name can move the cursor or retitle it. */
static void put_printable(FILE *out, const char *text)
{
    char safe[REPORT_LINE * 3];
    utf8_printable(safe, sizeof(safe), text);
    fputs(safe, out);
}

static void padded(FILE *out, const char *text, int width, bool last)
{
    put_printable(out, text);
    for (int i = utf8_width(text); !last && i < width + 2; i++)
        fputc(' ', out);
}

int report_write_text(const struct report *r, FILE *out)
{
    int widths[REPORT_COLUMNS];
    put_printable(out, r->title);
    fputc('\n', out);
    for (int i = 0; i < r->n_lines; i++) {
        put_printable(out, r->lines[i]);
        fputc('\n', out);
    }
    fputc('\n', out);
    for (int c = 0; c < r->n_columns; c++) {
        widths[c] = column_width(r, c);
        padded(out, r->columns[c], widths[c], c == r->n_columns - 1);
    }
    fputc('\n', out);
    for (size_t i = 0; i < r->n_rows; i++) {
        for (int c = 0; c < r->n_columns; c++)
            padded(out, r->rows[i].cells[c], widths[c], c == r->n_columns - 1);
        fputc('\n', out);
    }
    return ferror(out) ? CSVFILE_EIO : STORE_OK;
}

int report_write_csv(const struct report *r, FILE *out)
{
    const char *row[REPORT_COLUMNS];
    if (fputs("\xEF\xBB\xBF", out) == EOF) /* the BOM: Excel reads UTF-8 */
        return CSVFILE_EIO;
    int err = csvfile_write_row(out, r->columns, (size_t)r->n_columns);
    for (size_t i = 0; i < r->n_rows && err == CSVFILE_OK; i++) {
        for (int c = 0; c < r->n_columns; c++)
            row[c] = r->rows[i].cells[c];
        err = csvfile_write_cells(out, row, (size_t)r->n_columns);
    }
    return err == CSVFILE_OK ? STORE_OK : err;
}
