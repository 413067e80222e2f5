/* completion.h — CPI Initial and MAPA completion as typed records: for each person × cohort
 * (CPI) or block (MAPA) they attended or were booked on, what they did of each session, the
 * status, the award, where they could still complete; and what the programme says a cohort or
 * block is (its sessions, its credits). The report (report_completion) and the trainer's CPI
 * grid make their words and glyphs from these, never from each other's text. */
#ifndef CPD_COMPLETION_H
#define CPD_COMPLETION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain/rules.h"
#include "core/store/store.h"

#define COMPLETION_PARTS_MAX 4 /* sessions a cohort or block has at most: CPI 4, MAPA 2 */
#define COMPLETION_LATER_MAX 320

/* What one person did of one session of their cohort or block. */
enum part_mark {
    PART_NONE,
    PART_BOOKED,
    PART_SIGNED_IN,
    PART_DONE,
    PART_NO_SIGN_OUT, /* review */
    PART_LATE,        /* review */
    PART_LEFT_EARLY,  /* review */
    PART_MISSED,
};

enum completion_status {
    COMPLETION_IN_PROGRESS,
    COMPLETION_REVIEW,  /* a session attended but flagged: a trainer should verify it */
    COMPLETION_MISSING, /* a session is over and was not attended: this one cannot complete */
    COMPLETION_COMPLETE,
};

struct completion_entry {
    struct person person;
    char group[DOMAIN_CODE_MAX];
    enum part_mark marks[COMPLETION_PARTS_MAX];
    int minutes[COMPLETION_PARTS_MAX]; /* late or early by */
    bool online_done;                  /* MAPA's online part */
    enum completion_status status;
    int awarded_q;
    char later[COMPLETION_LATER_MAX]; /* cohorts or blocks one could still complete in, "; " */
};

struct completion_list {
    struct completion_entry *list; /* in the order first seen: by session, then register */
    size_t n, cap;
    int parts;     /* the sessions of a cohort or block, from the programme */
    int credits_q; /* its credits, from the programme */
};

/* As of at_us; group: one cohort or block only (STORE_ENOTFOUND when the programme has none of
 * the kind by that id), or NULL for all. The caller frees with completion_free. */
int completion_find(struct store *store, const struct rules *rules, enum course_kind kind,
                    const char *group, int64_t at_us, struct completion_list *out);
void completion_free(struct completion_list *list);
bool completion_needs_review(enum part_mark mark);

#endif
