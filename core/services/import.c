#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/utf8.h"
#include "core/services/import_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct format {
    const char *name;
    const char *const *columns;
    size_t n_columns;
    void (*rows)(struct import_ctx *c);
};

static const char *const programme_columns[] = {
    "id",    "period", "category", "title", "delivery", "credits",   "date", "weekday",
    "start", "end",    "location", "kind",  "group",    "frequency", "due",  "note"};
static const char *const roster_columns[] = {"staff_no", "name",   "academy",
                                             "role",     "active", "badge_uid"};
static const char *const bookings_columns[] = {"staff_no", "session"};
static const char *const credits_columns[] = {"staff_no", "source",      "programme", "date",
                                              "credits",  "certificate", "directed",  "note"};

#define FORMAT(name, cols, fn)                                                                     \
    {                                                                                              \
        name, cols, sizeof(cols) / sizeof(cols[0]), fn                                             \
    }
static const struct format formats[] = {
    [IMPORT_PROGRAMME] = FORMAT("programme", programme_columns, import_programme_rows),
    [IMPORT_ROSTER] = FORMAT("roster", roster_columns, import_roster_rows),
    [IMPORT_BOOKINGS] = FORMAT("bookings", bookings_columns, import_bookings_rows),
    [IMPORT_CREDITS] = FORMAT("credits", credits_columns, import_credits_rows),
};

int import_kind_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(formats[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

static void report(struct import_ctx *c, int line, const char *severity, const char *fmt,
                   va_list ap) __attribute__((format(printf, 4, 0)));

static void report(struct import_ctx *c, int line, const char *severity, const char *fmt,
                   va_list ap)
{
    char message[512], shown[768], path[512];
    char out[1400];
    vsnprintf(message, sizeof(message), fmt, ap);
    /* Cell text is quoted in messages, and the file's name starts each: a line break or an
     * escape in either must not forge a line of the report or reach the terminal. */
    utf8_printable(shown, sizeof(shown), message);
    utf8_printable(path, sizeof(path), c->path);
    if (line > 0)
        snprintf(out, sizeof(out), "%s:%d: %s: %s", path, line, severity, shown);
    else
        snprintf(out, sizeof(out), "%s: %s: %s", path, severity, shown);
    if (c->opt->report)
        c->opt->report(c->opt->report_ctx, out);
}

void import_error(struct import_ctx *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, line, "error", fmt, ap);
    va_end(ap);
    c->result->errors++;
}

void import_warning(struct import_ctx *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, line, "warning", fmt, ap);
    va_end(ap);
    c->result->warnings++;
}

/* Said, not counted: what a failure left behind. */
static void import_note(struct import_ctx *c, const char *fmt, ...) IMPORT_PRINTF(2, 3);

static void import_note(struct import_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(c, 0, "note", fmt, ap);
    va_end(ap);
}

const char *import_field(const struct import_ctx *c, const struct csv_row *row, int i)
{
    int col = c->col[i];
    return col >= 0 && (size_t)col < row->n_fields ? row->fields[col] : "";
}

int import_store_failed(struct import_ctx *c, int line, int err, const char *what)
{
    import_error(c, line, "%s: %s%s%s", what, cpd_strerror(err),
                 store_message(c->store)[0] ? ": " : "", store_message(c->store));
    if (!c->store_error && err != STORE_ECONSTRAINT)
        c->store_error = err;
    return err;
}

int import_yes_no(const char *text)
{
    if (strcmp(text, "yes") == 0)
        return 1;
    if (strcmp(text, "no") == 0)
        return 0;
    return -1;
}

bool import_copy(struct import_ctx *c, int line, const char *column, char *out, size_t cap,
                 const char *text)
{
    if (strlen(text) >= cap) {
        import_error(c, line, "%s: longer than %zu characters", column, cap - 1);
        out[0] = '\0';
        return false;
    }
    if (!utf8_plain(text)) {
        /* Names and notes reach terminals, spreadsheets and printed pages. */
        import_error(c, line,
                     "%s: not plain text (an invalid UTF-8 byte, a control character such as "
                     "a line break or ESC, or a bidirectional override)",
                     column);
        out[0] = '\0';
        return false;
    }
    memcpy(out, text, strlen(text) + 1);
    return true;
}

bool import_is_code(const char *text, const char *extra)
{
    size_t n = strlen(text);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (!isalnum(ch) && ch != '-' && !(extra && strchr(extra, ch)))
            return false;
    }
    return true;
}

/* What a failure while writing left: the committed transactions stay, and the same import
 * run again finishes the job (every importer stores a row by its key: docs/data-formats.md). */
static void note_partial(struct import_ctx *c, const char *what, size_t done, size_t n)
{
    if (!what)
        import_note(c,
                    "%zu of the %zu rows to write were written before the failure, in "
                    "transactions of their own, and they stay; the rest were not. Run the same "
                    "import again to finish it: a row already written is written the same again",
                    done, n);
    else
        import_note(c,
                    "all %d of the file's rows were written, and %zu of %zu %s before the "
                    "failure; the rest were not. Run the same import again to finish it",
                    c->result->written, done, n, what);
}

int import_write(struct import_ctx *c, const char *what, size_t n, import_write_fn write_one,
                 void *items, size_t *done)
{
    size_t cap = c->opt->batch_rows > 0 ? (size_t)c->opt->batch_rows : IMPORT_BATCH_ROWS;
    int err = STORE_OK;
    *done = 0;
    while (*done < n) {
        if (*done > 0)
            clock_sleep_us(IMPORT_YIELD_US);
        err = store_begin(c->store);
        if (err != STORE_OK) {
            import_store_failed(c, 0, err, "cannot start a transaction");
            break;
        }
        /* The write lock is held from here to the commit: a few milliseconds, whatever the
         * rows cost (a slow disk, a busy machine), and never more than cap rows. */
        int64_t began = clock_monotonic_us();
        size_t i = *done;
        while (err == STORE_OK && i < n && i - *done < cap &&
               (i == *done || clock_monotonic_us() - began < IMPORT_BATCH_US))
            err = write_one(c, items, i++);
        if (err != STORE_OK) {
            store_rollback(c->store); /* this transaction only; a callee may have done it */
            break;
        }
        err = store_commit(c->store);
        if (err != STORE_OK) {
            import_store_failed(c, 0, err, "cannot commit");
            break;
        }
        *done = i;
    }
    if (err != STORE_OK)
        note_partial(c, what, *done, n);
    return err;
}

/* A header wider than any format by far is not one of ours; checked before anything that looks
 * at each pair of its columns. */
#define MAX_HEADER_COLUMNS 64

/* The header must name exactly the format's columns, in any order. */
static void map_columns(struct import_ctx *c, const struct format *f)
{
    const struct csv_row *header = &c->table->rows[0];
    if (header->n_fields > MAX_HEADER_COLUMNS) {
        import_error(c, header->line, "the header has %zu columns; a %s file has %zu",
                     header->n_fields, f->name, f->n_columns);
        return;
    }
    for (size_t i = 0; i < f->n_columns; i++) {
        c->col[i] = csvfile_column(c->table, f->columns[i]);
        if (c->col[i] < 0)
            import_error(c, header->line, "missing column \"%s\"", f->columns[i]);
    }
    for (size_t k = 0; k < header->n_fields; k++) {
        bool known = false;
        for (size_t i = 0; i < f->n_columns; i++)
            known |= strcmp(header->fields[k], f->columns[i]) == 0;
        if (!known)
            import_error(c, header->line, "unknown column \"%s\"", header->fields[k]);
        for (size_t j = 0; j < k; j++) {
            if (strcmp(header->fields[j], header->fields[k]) == 0) {
                import_error(c, header->line, "column \"%s\" appears twice (columns %zu and %zu)",
                             header->fields[k], j + 1, k + 1);
                break;
            }
        }
    }
}

/* Every cell is plain text, whatever its column: names and notes reach terminals, spreadsheets
 * and printed pages, and a NUL would cut a value short (csvfile.c makes it a DEL to be seen). */
static void check_cells(struct import_ctx *c)
{
    const struct csv_row *header = &c->table->rows[0];
    for (size_t r = 0; r < c->table->n_rows; r++) {
        const struct csv_row *row = &c->table->rows[r];
        for (size_t k = 0; k < row->n_fields; k++) {
            if (utf8_plain(row->fields[k]))
                continue;
            char column[96];
            if (r > 0 && k < header->n_fields && utf8_plain(header->fields[k]))
                snprintf(column, sizeof(column), "column %zu (%s)", k + 1, header->fields[k]);
            else
                snprintf(column, sizeof(column), "column %zu%s", k + 1, r ? "" : " of the header");
            import_error(c, row->line,
                         "%s: not plain text (a NUL, an invalid UTF-8 byte, a control "
                         "character such as a line break or ESC, or a bidirectional override)",
                         column);
        }
    }
}

static void check_widths(struct import_ctx *c)
{
    size_t width = c->table->rows[0].n_fields;
    for (size_t r = 1; r < c->table->n_rows; r++) {
        const struct csv_row *row = &c->table->rows[r];
        if (row->n_fields != width)
            import_error(c, row->line, "expected %zu fields as in the header, found %zu", width,
                         row->n_fields);
    }
}

int import_file(struct store *store, enum import_kind kind, const char *path,
                const struct import_options *opt, struct import_result *result)
{
    struct csv_table table;
    char why[256] = "";
    memset(result, 0, sizeof(*result));
    struct import_ctx c = {
        .path = path, .table = &table, .opt = opt, .result = result, .store = store};
    if ((size_t)kind >= sizeof(formats) / sizeof(formats[0]))
        return IMPORT_EINVALID;
    if (kind == IMPORT_ROSTER && !opt->site_key) {
        import_error(&c, 0, "%s", cpd_strerror(IMPORT_ENOKEY));
        return IMPORT_ENOKEY;
    }
    if (csvfile_read(path, &table, why, sizeof(why)) != CSVFILE_OK) {
        import_error(&c, 0, "%s", why);
        return IMPORT_ENOFILE;
    }
    result->rows = (int)table.n_rows - 1;
    /* No transaction here: the importer checks everything without the write lock, then
     * writes in short transactions of its own (import_write). */
    check_cells(&c);
    map_columns(&c, &formats[kind]);
    check_widths(&c);
    if (result->errors == 0)
        formats[kind].rows(&c);
    csvfile_free(&table);
    return c.store_error ? c.store_error : result->errors ? IMPORT_EINVALID : IMPORT_OK;
}
