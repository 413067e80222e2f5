/* csvfile.h — a CSV file read whole into rows that remember their line numbers (libcsv; the
 * only file including csv.h). Strict RFC 4180 quoting; blank lines are skipped; a UTF-8 BOM is
 * dropped. The table owns every string; csvfile_free releases it all. */
#ifndef CPD_CSVFILE_H
#define CPD_CSVFILE_H

#include <stddef.h>
#include <stdio.h>

#include "core/base/error.h"

struct csv_row {
    int line; /* 1-based line the row starts on */
    char **fields;
    size_t n_fields;
};

struct csv_table {
    struct csv_row *rows; /* rows[0] is the header */
    size_t n_rows;
};

/* On failure why gets "cannot open: No such file" or "line 7: a quoted field opened here never
 * closes (a \" is missing)" — the line where it opened, not the end of the file. */
int csvfile_read(const char *path, struct csv_table *out, char *why, size_t why_cap);
void csvfile_free(struct csv_table *table);
/* Index of the header column called name, or -1. */
int csvfile_column(const struct csv_table *table, const char *name);
/* Writes one row, each field quoted (libcsv's csv_fwrite), CRLF-terminated as RFC 4180 and
 * Excel want. CSVFILE_EIO when the write fails. */
int csvfile_write_row(FILE *out, const char *const *fields, size_t n);
/* The same for cells a spreadsheet will open: each made printable (core/base/utf8.h) and never
 * a formula — text starting with = + - @ (or a tab or carriage return) gets a leading
 * apostrophe, which Excel and LibreOffice show as text (OWASP's advice), unless it is a plain
 * number like "-1.5". CSVFILE_ENOMEM, CSVFILE_EIO. */
int csvfile_write_cells(FILE *out, const char *const *fields, size_t n);

#endif
