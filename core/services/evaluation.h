/* evaluation.h — "How useful was tonight?": one answer per person and session, a score of 1 to
 * 5, recorded as its own event (evaluation) after the sign-out it follows, and counted for
 * trainers (tonight's answers) and for the office (the evaluations report). Store codes. */
#ifndef CPD_EVALUATION_H
#define CPD_EVALUATION_H

#include <stdint.h>

#include "core/services/report.h"
#include "core/store/store.h"

#define EVALUATION_SCORES 5

struct evaluation_tally {
    char session[DOMAIN_CODE_MAX];
    int answers;
    int count[EVALUATION_SCORES]; /* count[0]: how many said 1 */
    int sum;
};

/* Records the person's answer for the session they attended and signed out of. STORE_EINVALID
 * for a score outside 1–5, for someone not (or no longer) signed out of it, and for a second
 * answer (the first stands); nothing is recorded then. Counting (tally, report) takes the first
 * answer of each person for a session — another kiosk's second does not count twice — and none
 * for an attendance voided since. */
int evaluation_record(struct store *store, const char *clock_state, const struct person *person,
                      const struct session *session, int score, int64_t now_us, int64_t mono_us);
/* The answers given for one session. */
int evaluation_tally_of(struct store *store, const char *session_code,
                        struct evaluation_tally *out);
/* "7 answers, average 4.3 of 5"; "" when there are none. */
void evaluation_words(const struct evaluation_tally *tally, char *out, size_t cap);
/* Every session with answers up to at_us, in date order: the count, the average and how many
 * gave each score. */
int report_evaluations(struct store *store, int64_t at_us, struct report *out);

#endif
