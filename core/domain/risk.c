#include "core/domain/risk.h"

#include <string.h>

/* The first session of the next cohort or block of the kind not started by then, or NULL. */
static const struct session *package_next(const struct session *all, size_t n,
                                          enum course_kind kind, int64_t at)
{
    for (size_t i = 0; i < n; i++) {
        if (all[i].kind != kind || all[i].start_us <= at)
            continue;
        bool started = false;
        for (size_t j = 0; j < n && !started; j++)
            started = strcmp(all[j].group, all[i].group) == 0 && all[j].start_us <= at;
        if (!started)
            return &all[i];
    }
    return NULL;
}

static bool awarded(const struct credit_summary *s, enum course_kind kind)
{
    for (size_t i = 0; i < s->n_packages; i++) {
        if (s->packages[i].kind == kind && s->packages[i].awarded)
            return true;
    }
    return false;
}

/* The course of a cohort or block as the programme gives it: its sessions, its credits. */
static struct risk_package package_of(const struct risk_offer *o, const struct session *first)
{
    struct risk_package p = {.first = first};
    if (!first)
        return p;
    p.credits_q = first->credits_q;
    for (size_t i = 0; i < o->n_packages; i++)
        p.sessions += strcmp(o->packages[i].group, first->group) == 0;
    return p;
}

/* A session that would keep the term off 0 on its own: of that term, with credits, not part
 * of a course that counts only whole. */
static bool saves_term(const struct rules *rules, const struct session *s, int term)
{
    return rules_term_of(&rules->terms, s->date) == term && s->credits_q > 0 &&
           !domain_kind_zero_credit(s->kind) && s->kind != KIND_CPI_INITIAL &&
           s->kind != KIND_MAPA_BLOCK;
}

void risk_assess(const struct risk_offer *o, const struct credit_summary *s, struct risk *out)
{
    memset(out, 0, sizeof(*out));
    out->term_at_risk = -1;
    const struct session *cpi =
        awarded(s, KIND_CPI_INITIAL)
            ? NULL
            : package_next(o->packages, o->n_packages, KIND_CPI_INITIAL, o->at_us);
    const struct session *mapa =
        awarded(s, KIND_MAPA_BLOCK)
            ? NULL
            : package_next(o->packages, o->n_packages, KIND_MAPA_BLOCK, o->at_us);
    struct forecast_input fi = {.rules = o->rules,
                                .today = o->today,
                                .summary = s,
                                .coming = o->coming,
                                .n_coming = o->n_coming,
                                .cpi_open = cpi != NULL,
                                .mapa_open = mapa != NULL};
    struct forecast f;
    credits_forecast(&fi, &f);
    out->total_q = s->total_q;
    out->needed_q = f.needed_q;
    out->reachable_q = f.reachable_q;
    if (f.cannot_reach)
        out->kind = RISK_CANNOT_REACH;
    else if (f.term_at_risk >= 0)
        out->kind = RISK_TERM_AT_ZERO;
    else
        return;
    out->term_at_risk = f.cannot_reach ? -1 : f.term_at_risk;
    for (size_t i = 0; out->kind == RISK_TERM_AT_ZERO && i < o->n_coming; i++) {
        if (!saves_term(o->rules, &o->coming[i], f.term_at_risk))
            continue;
        if (out->n_term_sessions < RISK_SESSIONS_MAX)
            out->term_sessions[out->n_term_sessions++] = i;
        else
            out->term_sessions_more++;
    }
    memcpy(out->way_back, f.way_back, sizeof(f.way_back));
    out->n_way_back = f.n_way_back;
    out->way_back_cut = f.way_back_cut;
    out->cpi = package_of(o, cpi);
    out->mapa = package_of(o, mapa);
    int headroom = o->rules->prerecorded_cap_quarters - s->prerecorded_counted_q;
    if (headroom > 0 && rules_term_of(&o->rules->terms, o->today) >= 0)
        out->prerecorded_headroom_q = headroom;
}
