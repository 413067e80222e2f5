#include "core/services/csvfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "core/base/utf8.h"

struct reader {
    struct csv_table *table;
    struct csv_row row; /* the row being assembled */
    size_t row_cap;
    int line;      /* line being fed */
    int row_start; /* line of the current row's first field, 0 before it */
    size_t rows_cap;
    unsigned long fields_seen; /* fields and rows ended so far */
    int quote_line;            /* where the quoted field still open began */
    int failed;
};

static void on_field(void *data, size_t len, void *priv)
{
    struct reader *r = priv;
    r->fields_seen++;
    if (r->failed)
        return;
    if (r->row.n_fields == 0 && r->row_start == 0)
        r->row_start = r->line;
    if (r->row.n_fields == r->row_cap) {
        size_t cap = r->row_cap ? 2 * r->row_cap : 16;
        char **grown = realloc(r->row.fields, cap * sizeof(*grown));
        if (!grown) {
            r->failed = CSVFILE_ENOMEM;
            return;
        }
        r->row.fields = grown;
        r->row_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        r->failed = CSVFILE_ENOMEM;
        return;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    /* A NUL would end the text early, silently: it becomes DEL, which every field's check
     * refuses as a control character, so the line is named instead. */
    for (char *nul = memchr(copy, '\0', len); nul;
         nul = memchr(nul, '\0', len - (size_t)(nul - copy)))
        *nul = '\x7f';
    r->row.fields[r->row.n_fields++] = copy;
}

static void on_row(int terminator, void *priv)
{
    struct reader *r = priv;
    (void)terminator;
    r->fields_seen++;
    if (r->failed)
        return;
    struct csv_table *t = r->table;
    if (t->n_rows == r->rows_cap) {
        size_t cap = r->rows_cap ? 2 * r->rows_cap : 64;
        struct csv_row *grown = realloc(t->rows, cap * sizeof(*grown));
        if (!grown) {
            r->failed = CSVFILE_ENOMEM;
            return;
        }
        t->rows = grown;
        r->rows_cap = cap;
    }
    r->row.line = r->row_start ? r->row_start : r->line;
    t->rows[t->n_rows++] = r->row;
    memset(&r->row, 0, sizeof(r->row));
    r->row_cap = 0;
    r->row_start = 0;
}

static void free_row(struct csv_row *row)
{
    for (size_t i = 0; i < row->n_fields; i++)
        free(row->fields[i]);
    free(row->fields);
}

void csvfile_free(struct csv_table *t)
{
    for (size_t i = 0; i < t->n_rows; i++)
        free_row(&t->rows[i]);
    free(t->rows);
    t->rows = NULL;
    t->n_rows = 0;
}

int csvfile_read(const char *path, struct csv_table *out, char *why, size_t why_cap)
{
    memset(out, 0, sizeof(*out));
    struct reader r = {.table = out};
    struct csv_parser parser;
    char *line = NULL;
    size_t line_cap = 0;
    int err = CSVFILE_OK;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_cap, "cannot open: %s", strerror(errno));
        return CSVFILE_EOPEN;
    }
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(f);
        return CSVFILE_ENOMEM;
    }
    ssize_t n;
    /* Fed a line at a time so that each row knows the line it starts on. */
    while (!r.failed && (n = getline(&line, &line_cap, f)) >= 0) {
        r.line++;
        const char *start = line;
        if (r.line == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            start += 3;
            n -= 3;
        }
        bool was_quoted = parser.quoted;
        unsigned long seen = r.fields_seen;
        if (csv_parse(&parser, start, (size_t)n, on_field, on_row, &r) != (size_t)n) {
            snprintf(why, why_cap,
                     "line %d: a quote in the wrong place (a field with a \" in it is quoted "
                     "whole, each \" inside doubled)",
                     r.line);
            err = CSVFILE_EPARSE;
            goto out;
        }
        /* libcsv only knows the quote is unterminated at the end of the file: remember where
         * the quoted field still open at this line's end began. */
        if (parser.quoted && (!was_quoted || r.fields_seen != seen))
            r.quote_line = r.line;
    }
    if (!r.failed && csv_fini(&parser, on_field, on_row, &r) != 0) {
        if (parser.quoted)
            snprintf(why, why_cap,
                     "line %d: a quoted field opened here never closes (a \" is missing)",
                     r.quote_line ? r.quote_line : r.line);
        else
            snprintf(why, why_cap, "line %d: %s", r.line, csv_strerror(csv_error(&parser)));
        err = CSVFILE_EPARSE;
        goto out;
    }
    if (r.failed) {
        snprintf(why, why_cap, "out of memory");
        err = r.failed;
        goto out;
    }
    if (out->n_rows == 0) {
        snprintf(why, why_cap, "empty file: expected a header line");
        err = CSVFILE_EEMPTY;
    }
out:
    free_row(&r.row);
    free(line);
    csv_free(&parser);
    fclose(f);
    if (err != CSVFILE_OK)
        csvfile_free(out);
    return err;
}

int csvfile_column(const struct csv_table *t, const char *name)
{
    if (t->n_rows == 0)
        return -1;
    for (size_t i = 0; i < t->rows[0].n_fields; i++) {
        if (strcmp(t->rows[0].fields[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* Digits with at most one decimal point ("1.5"), nothing else: no inf, nan or hex. */
static bool plain_number(const char *t)
{
    size_t digits = strspn(t, "0123456789");
    if (t[digits] == '.')
        digits += 1 + strspn(t + digits + 1, "0123456789");
    return digits > 0 && t[digits] == '\0' && strcmp(t, ".") != 0;
}

/* text as a spreadsheet should get it, in a new string (NULL when out of memory). */
static char *spreadsheet_cell(const char *text)
{
    size_t cap = 3 * strlen(text) + 3; /* each byte may become U+FFFD's 3 */
    char *out = malloc(cap + 1);
    if (!out)
        return NULL;
    utf8_printable(out + 1, cap, text);
    bool formula = out[1] != '\0' && strchr("=+-@\t\r", out[1]);
    if (formula && (out[1] == '-' || out[1] == '+'))
        formula = !plain_number(out + 2) && strcmp(out + 1, "-") != 0;
    if (!formula)
        memmove(out, out + 1, strlen(out + 1) + 1);
    else
        out[0] = '\'';
    return out;
}

int csvfile_write_cells(FILE *out, const char *const *fields, size_t n)
{
    int err = CSVFILE_OK;
    char **cells = calloc(n ? n : 1, sizeof(*cells));
    if (!cells)
        return CSVFILE_ENOMEM;
    for (size_t i = 0; i < n && err == CSVFILE_OK; i++) {
        cells[i] = spreadsheet_cell(fields[i] ? fields[i] : "");
        if (!cells[i])
            err = CSVFILE_ENOMEM;
    }
    if (err == CSVFILE_OK)
        err = csvfile_write_row(out, (const char *const *)cells, n);
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
    return err;
}

int csvfile_write_row(FILE *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *f = fields[i] ? fields[i] : "";
        if ((i > 0 && fputc(',', out) == EOF) || csv_fwrite(out, f, strlen(f)) != 0)
            return CSVFILE_EIO;
    }
    return fputs("\r\n", out) == EOF ? CSVFILE_EIO : CSVFILE_OK;
}
