/* import_internal.h — what the per-format importers share (not part of the public API). */
#ifndef CPD_IMPORT_INTERNAL_H
#define CPD_IMPORT_INTERNAL_H

#include "core/services/csvfile.h"
#include "core/services/import.h"

#define IMPORT_MAX_COLUMNS 24

struct import_ctx {
    const char *path;
    const struct csv_table *table;
    const struct import_options *opt;
    struct import_result *result;
    struct store *store;
    int col[IMPORT_MAX_COLUMNS]; /* column index of each expected name */
    int store_error;             /* first database failure: stops the import */
};

#if defined(__GNUC__)
#define IMPORT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define IMPORT_PRINTF(a, b)
#endif

void import_error(struct import_ctx *c, int line, const char *fmt, ...) IMPORT_PRINTF(3, 4);
void import_warning(struct import_ctx *c, int line, const char *fmt, ...) IMPORT_PRINTF(3, 4);
/* The row's field for expected column i ("" when the row is short). */
const char *import_field(const struct import_ctx *c, const struct csv_row *row, int i);
/* Notes a database failure on a row; returns it. */
int import_store_failed(struct import_ctx *c, int line, int err, const char *what);
/* "yes"/"no" → bool; -1 when neither. */
int import_yes_no(const char *text);
/* Copies text into a fixed field; false (and an error naming the column) when it is too long. */
bool import_copy(struct import_ctx *c, int line, const char *column, char *out, size_t cap,
                 const char *text);
/* [A-Za-z0-9-] plus extra characters allowed by the caller, 1–63 long. */
bool import_is_code(const char *text, const char *extra);

/* Writes item i of items; STORE_OK or the failure, reported (with its line) by the callee. */
typedef int (*import_write_fn)(struct import_ctx *c, void *items, size_t i);
/* Writes items [0, n) in order, in short transactions of their own (import.h), pausing after
 * each so that a waiting tap gets the lock. *done: the items committed, which stay when a later
 * one fails; the failure is returned, and a note says what was and was not written. what: NULL
 * for the file's rows, else what the items are ("leavers marked inactive"), written after all
 * the rows. */
int import_write(struct import_ctx *c, const char *what, size_t n, import_write_fn write_one,
                 void *items, size_t *done);

/* Each checks every row (reading the store, never writing it), then — with no error and not
 * on a dry run — writes them with import_write, sets result->written, and reports. */
void import_programme_rows(struct import_ctx *c);
void import_roster_rows(struct import_ctx *c);
void import_bookings_rows(struct import_ctx *c);
void import_credits_rows(struct import_ctx *c);

#endif
