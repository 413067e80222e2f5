/* report.h — reports for trainers, the office and head office, as tables: a title, a few
 * lines about it, columns and rows. Every figure comes from the credits engine (credits.h),
 * never from a second implementation; report_write_* turn a table into text or CSV. The table
 * owns its rows; report_free releases them. Store codes as errors. */
#ifndef CPD_REPORT_H
#define CPD_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/domain/rules.h"
#include "core/store/store.h"

#define REPORT_COLUMNS 12
#define REPORT_CELL    320
#define REPORT_LINE    640 /* a line about the report or a section */
#define REPORT_LINES   6

/* A row's cells, each its own text on the heap (a row costs what it says, not 12 × 320
 * bytes: a trust's statements are 100,000s of rows), "" until set. Set only through
 * report_cell. */
struct report_row {
    const char *cells[REPORT_COLUMNS];
    bool short_of_memory; /* a cell could not be set: its maker returns STORE_ENOMEM */
};

/* A run of rows about one person (statements): printed on a page of its own with a heading,
 * a few lines and the credits by term as a chart; text and CSV ignore it. */
struct report_section {
    size_t first_row, n_rows;
    char heading[REPORT_CELL];
    char lines[REPORT_LINES][REPORT_LINE];
    int n_lines;
    int term_q[TERM_COUNT]; /* the chart: credits by term against the target */
    bool term_breach[TERM_COUNT];
    int total_q, target_q;
};

struct report {
    char title[REPORT_CELL];
    char lines[REPORT_LINES][REPORT_LINE]; /* about the report: when, what, the counts */
    int n_lines;
    const char *columns[REPORT_COLUMNS];
    int n_columns;
    struct report_row *rows;
    size_t n_rows, cap_rows;
    /* How it prints: across the page; a signature line at the end (registers); sections,
     * whose first `section_columns` columns their heading already says. */
    bool wide;
    bool signature;
    struct report_section *sections;
    size_t n_sections, cap_sections;
    int section_columns;
};

void report_free(struct report *report);
/* For a report built elsewhere (evaluation.c): an empty row (NULL: out of memory), a line. */
struct report_row *report_add_row(struct report *report);
/* Sets cell col of row to the formatted text, cut at REPORT_CELL bytes on a character
 * boundary (display text). Out of memory: the cell keeps what it had and the row says so. */
void report_cell(struct report_row *row, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* STORE_ENOMEM when a cell of any row could not be set, else STORE_OK. */
int report_rows_whole(const struct report *report);
/* The end of a report's making: err, or STORE_ENOMEM when a cell could not be set; the report
 * freed when it is not STORE_OK (nothing half-made is returned). */
int report_made(struct report *report, int err);
/* Drops rows from the end, down to n (their cells freed). */
void report_truncate(struct report *report, size_t n);
void report_add_line(struct report *report, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whom a report about people covers: one person, one academy, a list of people, or (all NULL)
 * everyone; and
 * whom to tell how far it has got (NULL: nobody). */
struct report_filter {
    const char *staff_no;
    const char *academy;
    const int64_t *person_ids; /* only these (n_person_ids of them), when not NULL */
    size_t n_person_ids;
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
};

/* A session's register as of at_us (a sign-out forgotten by then closed at the end, as the
 * kiosk's sweep will): everyone who attended (times in and out, late / early / no sign-out
 * with minutes, entries by hand and corrections with who and why, the credits), everyone
 * booked who did not come, and who came without a booking; the counts. */
int report_register(struct store *store, const struct rules *rules, const char *site,
                    const char *session_code, int64_t at_us, struct report *out);

/* Everyone in the building for CPD at at_us by the kiosk's records (signed in, not yet out,
 * by badge or by hand, trainers too), by surname, with the session and room, and the count. */
int report_evacuation(struct store *store, const struct rules *rules, const char *site,
                      int64_t at_us, struct report *out);

/* Mandatory training due within `within_days` of at_us, overdue, or never recorded, for every
 * active person, by academy then name (the renewal cycles of the brochure, from the engine). */
int report_due(struct store *store, const struct rules *rules, int64_t at_us, int within_days,
               const struct report_filter *filter, struct report *out);

/* The year for every active person as of at_us, from the engine: one row per person (summary:
 * credits, each term, breaches, items to review) or one row per item of the term asked
 * (term: TERM_* or -1 for the whole year). */
int report_statements(struct store *store, const struct rules *rules, int64_t at_us, int term,
                      bool summary, const struct report_filter *filter, struct report *out);

/* CPI Initial (kind KIND_CPI_INITIAL) or MAPA (KIND_MAPA_BLOCK) completion as of at_us: each
 * person × cohort (block) they attended or were booked on, each session done, needing review
 * (with why), missed or booked (MAPA: and the online part), whether the course's credits are
 * awarded, and which later cohort or block they could still complete. group: one cohort or
 * block only (its programme id, e.g. "cpi-autumn"; STORE_ENOTFOUND when there is none), or
 * NULL for all. */
int report_completion(struct store *store, const struct rules *rules, enum course_kind kind,
                      const char *group, int64_t at_us, struct report *out);

/* Who is at risk as of at_us, most urgent first: who can no longer reach the target with what
 * is still to come, and who will end the current term at 0 unless they attend one of its
 * remaining sessions — each with the fewest sessions that would do it. */
int report_at_risk(struct store *store, const struct rules *rules, int64_t at_us,
                   const struct report_filter *filter, struct report *out);

/* Plain text for a terminal: the title, the lines, aligned columns. */
int report_write_text(const struct report *report, FILE *out);
/* CSV that opens right in Excel: UTF-8 with a BOM, one header row, ISO dates. */
int report_write_csv(const struct report *report, FILE *out);

#endif
