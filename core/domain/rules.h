/* rules.h — the trust's CPD rules and the kiosk's time windows, as plain data.
 *
 * Filled from kiosk.ini by config/ (defaults from design.md §3 and the 2023-24 brochure) and
 * passed by pointer into the pure domain functions. Credits are counted in quarter credits
 * (1 credit = 4) so that 7.5 credits is exactly 30 and no rounding ever creeps in. */
#ifndef CPD_RULES_H
#define CPD_RULES_H

#include <stdbool.h>

#include "core/base/civil.h"

#define QUARTERS_PER_CREDIT 4

enum half_term {
    HALF_AUTUMN1,
    HALF_AUTUMN2,
    HALF_SPRING1,
    HALF_SPRING2,
    HALF_SUMMER1,
    HALF_SUMMER2,
    HALF_COUNT
};

enum term { TERM_AUTUMN, TERM_SPRING, TERM_SUMMER, TERM_COUNT };

struct date_range {
    civil_day first;
    civil_day last; /* inclusive */
};

struct terms {
    struct date_range year;             /* the credit year: 1 Sep – 31 Aug */
    struct date_range half[HALF_COUNT]; /* teaching weeks of each half-term */
};

struct rules {
    int open_before_min;    /* sign-in opens this long before the start */
    int late_after_min;     /* arriving later than start + this is "late" */
    int early_before_min;   /* leaving before end − this is "early" */
    int checkout_after_min; /* sign-out closes (and forgotten ones auto-close) end + this */
    int repeat_tap_s;       /* a second tap within this is the same tap */
    int confirm_leave_s;    /* a leaving-early prompt waits this long for its confirming tap */
    int target_quarters;    /* credits a year, in quarters (16 credits = 64) */
    int prerecorded_cap_quarters; /* at most this much from pre-recorded training a year */
    bool accept_random_uids;      /* take 4-byte 08… UIDs as badges (not advised) */
    struct terms terms;
};

/* The defaults: design.md §3 windows, 16 credits, 8 pre-recorded, 2023-24 term dates. */
void rules_default(struct rules *rules);

/* Which half-term or term a date belongs to. Holidays belong to the half-term before them;
 * dates in the credit year before the first half-term belong to it. -1 outside the year, and
 * after the summer term's last day: the summer holiday is not the year's to count. */
int rules_half_term_of(const struct terms *terms, civil_day day);
int rules_term_of(const struct terms *terms, civil_day day);
/* The first day of the credit year day falls in: the configured year's first day (1 Sep) in
 * day's year or the one before. Any year, not only the configured one: the retention purge asks
 * with the ledger's date, which may be years after the terms kiosk.ini was last given. */
civil_day rules_credit_year_first(civil_day year_first, civil_day day);

const char *rules_half_term_name(int half);  /* "Autumn 1" */
const char *rules_half_term_code(int half);  /* "autumn1" */
const char *rules_term_name(int term);       /* "Autumn" */
int rules_half_term_parse(const char *code); /* "autumn1" → HALF_AUTUMN1, -1 if unknown */

/* "7.5", "16", "0.25": quarters written as the shortest decimal. */
void rules_format_quarters(int quarters, char out[16]);
/* Parses "1.5", "2", "0.25", "3.5": non-negative multiples of 0.25 up to 999. */
int rules_parse_quarters(const char *text, int *quarters_out);

#endif
