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

#endif
