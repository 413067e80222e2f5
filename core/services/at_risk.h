/* at_risk.h — who is at risk as of a moment, as typed records (core/domain/risk.h): each
 * person's risk and ways back, against what the rest of the year offers, loaded from the store
 * once for everyone. The report (report_at_risk), the statements' risk column and the
 * trainer's screen all make their words from these. The caller frees with at_risk_free. */
#ifndef CPD_AT_RISK_H
#define CPD_AT_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain/risk.h"
#include "core/services/report.h"
#include "core/store/store.h"

/* What the rest of the year offers as of a moment: offer's sessions are owned here. */
struct at_risk_offer {
    struct risk_offer offer;
    struct session *coming, *packages;
};
int at_risk_offer_load(struct store *store, const struct rules *rules, int64_t at_us,
                       struct at_risk_offer *out);
void at_risk_offer_free(struct at_risk_offer *offer);

struct at_risk_person {
    struct person person;
    struct risk risk; /* its indexes point into the list's offer */
};

/* The people filter covers who are at risk, most urgent first (cannot reach, then a term at
 * 0), by name within each. */
struct at_risk {
    struct at_risk_offer later;
    struct at_risk_person *people;
    size_t n, cap;
    size_t covered; /* the people looked at */
};
int at_risk_find(struct store *store, const struct rules *rules, int64_t at_us,
                 const struct report_filter *filter, struct at_risk *out);
void at_risk_free(struct at_risk *list);

#endif
