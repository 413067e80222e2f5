/* report_internal.h — what the reports share (report.c) and nobody else needs: "; "-joined
 * display text, times and dates as cells, the people a report covers. */
#ifndef CPD_REPORT_INTERNAL_H
#define CPD_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/civil.h"
#include "core/services/report.h"

/* Appends "; "-separated text (display text: cut on a character boundary if it overflows). */
void report_append(char *text, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A time (local, "YYYY-MM-DD HH:MM"; "" for none) or a date as a cell. */
void report_time_cell(struct report_row *row, int col, int64_t us);
void report_date_cell(struct report_row *row, int col, civil_day day);

/* Credits in quarters as the brochure writes them ("7.5"). */
void report_quarters(int q, char *out);
/* A new section (statements) starting at the next row; NULL when out of memory. */
struct report_section *report_add_section(struct report *report);
void report_section_line(struct report_section *section, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* qsort: rows whose first cell is a name, by surname, then the whole name. */
int report_by_surname(const void *a, const void *b);

/* The people a report covers (report_people.c): filter's, or every active person; by academy
 * then name. The caller frees list. */
struct report_people {
    const struct report_filter *filter;
    struct person *list;
    size_t n, cap;
    int err;
};
int report_people_load(struct store *store, struct report_people *people);
/* How far a report over everyone has got, for a progress bar (done == total at the end). */
void report_told(const struct report_filter *filter, size_t done, size_t total);

#endif
