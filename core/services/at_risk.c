#include "core/services/at_risk.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/grow.h"
#include "core/base/zone.h"
#include "core/services/lists.h"
#include "core/services/report_internal.h"
#include "core/services/tapflow.h"

void at_risk_offer_free(struct at_risk_offer *o)
{
    free(o->coming);
    free(o->packages);
    memset(o, 0, sizeof(*o));
}

int at_risk_offer_load(struct store *store, const struct rules *rules, int64_t at_us,
                       struct at_risk_offer *o)
{
    int64_t year_end = 0;
    int minute;
    size_t n_coming = 0, n_packages = 0;
    memset(o, 0, sizeof(*o));
    o->offer.rules = rules;
    o->offer.at_us = at_us;
    zone_utc_to_local(at_us, &o->offer.today, &minute, NULL);
    zone_local_to_utc(rules->terms.year.last, 24 * 60 - 1, &year_end);
    int err = lists_sessions_between(store, at_us, year_end, &o->coming, &n_coming);
    if (err == STORE_OK)
        err = lists_package_sessions(store, &o->packages, &n_packages);
    size_t m = 0; /* still to start */
    for (size_t i = 0; i < n_coming; i++) {
        if (o->coming[i].start_us > at_us)
            o->coming[m++] = o->coming[i];
    }
    o->offer.coming = o->coming;
    o->offer.n_coming = m;
    o->offer.packages = o->packages;
    o->offer.n_packages = n_packages;
    if (err != STORE_OK)
        at_risk_offer_free(o);
    return err;
}

void at_risk_free(struct at_risk *l)
{
    at_risk_offer_free(&l->later);
    free(l->people);
    memset(l, 0, sizeof(*l));
}

static int by_urgency(const void *a, const void *b)
{
    const struct at_risk_person *x = a, *y = b;
    if (x->risk.kind != y->risk.kind)
        return x->risk.kind == RISK_CANNOT_REACH ? -1 : 1;
    return strcoll(x->person.name, y->person.name);
}

static int add(struct at_risk *l, const struct person *p, const struct risk *r)
{
    struct at_risk_person *grown = grow(l->people, &l->cap, l->n, sizeof(*grown), 32);
    if (!grown)
        return STORE_ENOMEM;
    l->people = grown;
    l->people[l->n++] = (struct at_risk_person){.person = *p, .risk = *r};
    return STORE_OK;
}

int at_risk_find(struct store *store, const struct rules *rules, int64_t at_us,
                 const struct report_filter *filter, struct at_risk *out)
{
    struct report_people ps = {.filter = filter};
    struct credit_summary s = {0};
    memset(out, 0, sizeof(*out));
    int err = at_risk_offer_load(store, rules, at_us, &out->later);
    if (err == STORE_OK)
        err = report_people_load(store, &ps);
    for (size_t i = 0; i < ps.n && err == STORE_OK; i++) {
        report_told(filter, i, ps.n);
        err = tapflow_summary(store, rules, ps.list[i].id, at_us, &s);
        struct risk r;
        if (err == STORE_OK)
            risk_assess(&out->later.offer, &s, &r);
        if (err == STORE_OK && r.kind != RISK_NONE)
            err = add(out, &ps.list[i], &r);
    }
    out->covered = ps.n;
    credits_summary_free(&s);
    free(ps.list);
    if (err != STORE_OK) {
        at_risk_free(out);
        return err;
    }
    if (out->n > 1)
        qsort(out->people, out->n, sizeof(out->people[0]), by_urgency);
    return STORE_OK;
}
