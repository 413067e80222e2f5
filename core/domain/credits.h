/* credits.h — the credits engine: one person's year, from attendance and external credits.
 *
 * Pure: the caller passes the person's attendance (with its sessions), their external credits,
 * the programme's package sessions (CPI Initial cohorts, MAPA blocks) and mandatory courses, and
 * today's date. The rules (brochure, design.md §2–3) live here and nowhere else: head-office
 * reports run this same code. The summary is caller-owned and holds every item, package and
 * renewal of the year however many there are (its lists grow; none is ever cut): start it
 * zeroed, reuse it as often as you like, release it with credits_summary_free. */
#ifndef CPD_CREDITS_H
#define CPD_CREDITS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain/domain.h"
#include "core/domain/rules.h"

#define CREDITS_DUE_SOON_DAYS 30
#define CREDITS_UNPRINTED_MAX_Q                                                                    \
    (8 * QUARTERS_PER_CREDIT) /* a day, for a course without credits                               \
                               */

enum item_status {
    ITEM_COUNTED,     /* full credits */
    ITEM_REVIEW,      /* counted as computed, flagged for a trainer (partial, no sign-out) */
    ITEM_ZERO,        /* hub / department meeting: recorded, 0 credits */
    ITEM_PENDING,     /* part of a CPI / MAPA package not yet complete */
    ITEM_CAPPED,      /* pre-recorded beyond the yearly cap: (partly) not counted */
    ITEM_NOT_COUNTED, /* no certificate, not directed, no credits printed, outside the year */
    ITEM_OPEN,        /* still signed in */
};

struct credit_item {
    civil_day date;
    char code[DOMAIN_CODE_MAX];
    char title[DOMAIN_TITLE_MAX];
    int credits_q; /* what counts towards the total */
    int term;      /* TERM_*, -1 outside the year */
    enum item_status status;
    const char *note; /* static text: why not counted / flagged, "" otherwise */
    bool prerecorded; /* pre-recorded training: needs a certificate, counts against the cap */
    enum delivery delivery;
};

struct package_progress {
    char group[DOMAIN_CODE_MAX];
    enum course_kind kind; /* KIND_CPI_INITIAL or KIND_MAPA_BLOCK */
    char title[DOMAIN_TITLE_MAX];
    int sessions_total;
    int sessions_done;   /* attended within the windows or approved by a trainer */
    int sessions_review; /* attended but flagged: counts once a trainer approves */
    bool online_needed;  /* MAPA: the online part is required */
    bool online_done;
    bool awarded;
    int credits_q; /* the package's credits (13 for CPI, 10 for MAPA) */
    bool has_next;
    struct session next; /* the group's next session after today (a copy) */
};

enum due_status { DUE_OK, DUE_SOON, DUE_OVERDUE, DUE_NEVER };

struct due_item {
    char title[DOMAIN_TITLE_MAX];
    enum frequency frequency;
    civil_day last_done; /* valid when status != DUE_NEVER */
    civil_day due;       /* valid when status != DUE_NEVER; = last_done without a cycle */
    enum due_status status;
};

struct credit_summary {
    int target_q;
    int total_q;
    int term_q[TERM_COUNT];
    bool term_ended[TERM_COUNT];
    bool term_breach[TERM_COUNT]; /* ended with 0 credits: reported to the office */
    int prerecorded_claimed_q;    /* certified pre-recorded credits claimed this year */
    int prerecorded_counted_q;    /* … of which count (≤ the cap) */
    int review_count;             /* items a trainer should look at */
    struct credit_item *items;    /* by date */
    size_t n_items;
    struct package_progress *packages;
    size_t n_packages;
    struct due_item *due;
    size_t n_due;
    size_t items_cap, packages_cap, due_cap; /* allocated, kept for the next summary */
};

struct credits_input {
    const struct rules *rules;
    civil_day today;
    /* The time asked about (UTC µs; 0: not given). A sign-out forgotten by then — the checkout
     * window has passed — counts as the kiosk's sweep will record it: closed at the end,
     * flagged, whether or not the sweep has run yet. */
    int64_t now_us;
    /* rows[i] is the person's attendance at sessions[i]. */
    const struct session *sessions;
    const struct attendance *rows;
    size_t n_rows;
    const struct external_credit *external;
    size_t n_external;
    /* Every CPI Initial and MAPA block session of the programme (any person). */
    const struct session *package_sessions;
    size_t n_package_sessions;
    const struct mandatory_course *mandatory;
    size_t n_mandatory;
};

/* CREDITS_OK, or CREDITS_ENOMEM with out emptied (n_* 0, totals 0): never half a year. */
int credits_summarise(const struct credits_input *in, struct credit_summary *out);
/* Empties a summary (nothing counted) and keeps its memory for the next one. */
void credits_summary_clear(struct credit_summary *summary);
void credits_summary_free(struct credit_summary *summary);

/* Whether a credit recorded elsewhere (not at the kiosk) can stand, judged against its course
 * in the programme: the right source for the course's delivery, no more than its printed
 * credits, 0 for meetings, a reason where nothing is printed, the session's own date, and
 * never a classroom session (those are attendance: the kiosk, or a trainer by hand). The
 * importer refuses what this refuses, on the kiosk and on the ledger alike; the engine, handed
 * one anyway (an older store, a ledger row), does not count it. *why: static text. */
bool credits_external_acceptable(const struct external_credit *x, const char **why);

/* Credits of one attendance at a single session, and whether it needs a trainer's review. */
int credits_for_attendance(const struct rules *rules, const struct session *session,
                           const struct attendance *row, bool *review);
/* Within the late and early windows, or approved by a trainer. */
bool credits_attendance_complete(const struct rules *rules, const struct session *session,
                                 const struct attendance *row);
civil_day credits_add_months(civil_day day, int months);

/* The forecast: what a person can still earn this year, from their summary and what is still to
 * come — dated sessions with credits (one of any that overlap), the pre-recorded headroom under
 * the cap, a CPI cohort or MAPA block not started yet. */
#define CREDITS_WAY_BACK_MAX 8
struct forecast_input {
    const struct rules *rules;
    civil_day today;
    const struct credit_summary *summary;
    const struct session *coming; /* after now, by start: the sessions one could attend */
    size_t n_coming;
    bool cpi_open, mapa_open; /* a cohort / block not started yet, and no award this year */
};
struct forecast {
    int needed_q;                          /* to the target */
    int reachable_q;                       /* the most the year can still come to */
    bool cannot_reach;                     /* reachable below the target */
    int term_at_risk;                      /* a term still running at 0 credits (TERM_*), -1 none */
    size_t way_back[CREDITS_WAY_BACK_MAX]; /* indexes into coming: the fewest sessions that do */
    size_t n_way_back;
    bool way_back_cut; /* more are needed than listed */
};
void credits_forecast(const struct forecast_input *in, struct forecast *out);
const char *credits_item_status_name(enum item_status status);
const char *credits_due_status_name(enum due_status status);

#endif
