/* risk.h — who is at risk, as data: from a person's year (credits.h) and what the rest of the
 * year offers, whether they can no longer reach the target or a running term will end at 0,
 * and each way back — the sessions, a CPI cohort or MAPA block still to start (its sessions
 * and credits as the programme gives them), the pre-recorded headroom. Pure: the caller loads
 * the sessions and turns the result into words (report.c, the trainer's screen). */
#ifndef CPD_RISK_H
#define CPD_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain/credits.h"

enum risk_kind {
    RISK_NONE,
    RISK_CANNOT_REACH, /* the most the year can still come to is below the target */
    RISK_TERM_AT_ZERO, /* a term still running will end at 0 unless they attend one of it */
};

#define RISK_SESSIONS_MAX 16 /* sessions listed of a term at risk; the rest counted */

/* A course still to start that could be taken instead: its first session and what the
 * programme says it is (sessions, credits). */
struct risk_package {
    const struct session *first; /* NULL: none open */
    int sessions;
    int credits_q;
};

struct risk {
    enum risk_kind kind;
    int total_q, needed_q, reachable_q;
    int term_at_risk; /* TERM_* (RISK_TERM_AT_ZERO), -1 otherwise */
    /* the term's sessions that would keep it off 0: indexes into the sessions still to come */
    size_t term_sessions[RISK_SESSIONS_MAX];
    size_t n_term_sessions;
    size_t term_sessions_more; /* beyond those listed */
    /* the fewest sessions that reach the target (cannot reach: the most that is left) */
    size_t way_back[CREDITS_WAY_BACK_MAX];
    size_t n_way_back;
    bool way_back_cut; /* more are needed than listed */
    struct risk_package cpi, mapa;
    int prerecorded_headroom_q; /* pre-recorded credits that would still count (0: none) */
};

/* What the rest of the year offers everyone as of at_us (today: its local day). */
struct risk_offer {
    const struct rules *rules;
    civil_day today;
    int64_t at_us;
    const struct session *coming; /* sessions still to start, by start */
    size_t n_coming;
    const struct session *packages; /* every CPI and MAPA session, by start */
    size_t n_packages;
};

/* One person's risk from their summary as of the offer's moment. */
void risk_assess(const struct risk_offer *offer, const struct credit_summary *summary,
                 struct risk *out);

#endif
