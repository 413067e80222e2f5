#include "core/domain/credits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/error.h"
#include "core/base/timeunits.h"
#include "core/domain/tap.h"

const char *credits_item_status_name(enum item_status status)
{
    static const char *const names[] = {"counted", "review",      "0 credits", "pending",
                                        "capped",  "not counted", "signed in"};
    return status <= ITEM_OPEN ? names[status] : "?";
}

const char *credits_due_status_name(enum due_status status)
{
    static const char *const names[] = {"ok", "due soon", "overdue", "not recorded"};
    return status <= DUE_NEVER ? names[status] : "?";
}

civil_day credits_add_months(civil_day day, int months)
{
    int y, m, d;
    civil_to_ymd(day, &y, &m, &d);
    int index = y * 12 + (m - 1) + months;
    y = index / 12;
    m = index % 12 + 1;
    while (d > 28 && !civil_ymd_valid(y, m, d))
        d--;
    return civil_from_ymd(y, m, d);
}

static bool within_windows(const struct rules *r, const struct session *s,
                           const struct attendance *row)
{
    return row->in_us <= s->start_us + r->late_after_min * US_PER_MIN &&
           row->out_us >= s->end_us - r->early_before_min * US_PER_MIN &&
           !(row->flags & ATT_NO_SIGNOUT);
}

bool credits_attendance_complete(const struct rules *r, const struct session *s,
                                 const struct attendance *row)
{
    if (row->in_us == 0 || row->out_us == 0 || (row->flags & ATT_VOID))
        return false;
    return (row->flags & ATT_APPROVED) || within_windows(r, s, row);
}

int credits_for_attendance(const struct rules *r, const struct session *s,
                           const struct attendance *row, bool *review)
{
    *review = false;
    if (row->flags & ATT_VOID)
        return 0;
    if (row->override_q >= 0)
        return row->override_q;
    if (s->credits_q < 0 || row->in_us == 0 || row->out_us == 0)
        return 0;
    if (credits_attendance_complete(r, s, row))
        return s->credits_q;
    *review = true;
    /* A forgotten sign-out was closed at the end: full credits if they arrived in time. */
    if ((row->flags & ATT_NO_SIGNOUT) && row->in_us <= s->start_us + r->late_after_min * US_PER_MIN)
        return s->credits_q;
    int minutes = 0;
    int64_t from = row->in_us > s->start_us ? row->in_us : s->start_us;
    int64_t to = row->out_us < s->end_us ? row->out_us : s->end_us;
    if (to > from)
        minutes = (int)((to - from) / US_PER_MIN);
    int q = minutes * QUARTERS_PER_CREDIT / 60; /* rounded down to the quarter hour */
    return q < s->credits_q ? q : s->credits_q;
}

/* reserve_all made room for every item the input can give. */
static struct credit_item *add_item(struct credit_summary *out, civil_day date, const char *code,
                                    const char *title)
{
    struct credit_item *it = &out->items[out->n_items++];
    memset(it, 0, sizeof(*it));
    it->date = date;
    snprintf(it->code, sizeof(it->code), "%s", code);
    snprintf(it->title, sizeof(it->title), "%s", title);
    it->note = "";
    return it;
}

static struct package_progress *package_for(struct credit_summary *out, const struct session *s)
{
    for (size_t i = 0; i < out->n_packages; i++) {
        if (strcmp(out->packages[i].group, s->group) == 0)
            return &out->packages[i];
    }
    struct package_progress *p = &out->packages[out->n_packages++];
    memset(p, 0, sizeof(*p));
    snprintf(p->group, sizeof(p->group), "%s", s->group);
    snprintf(p->title, sizeof(p->title), "%s", s->title);
    p->kind = s->kind;
    p->online_needed = s->kind == KIND_MAPA_BLOCK;
    return p;
}

static bool is_package(const struct session *s)
{
    return (s->kind == KIND_CPI_INITIAL || s->kind == KIND_MAPA_BLOCK) && s->group[0] != '\0';
}

/* rows[i] as of in->now_us (tap_attendance_as_of). */
static const struct attendance *row_as_of(const struct credits_input *in, size_t i,
                                          struct attendance *copy)
{
    if (in->now_us == 0)
        return &in->rows[i];
    *copy = tap_attendance_as_of(in->rules, &in->sessions[i], &in->rows[i], in->now_us);
    return copy;
}

/* Every CPI cohort and MAPA block of the programme, with the person's progress in it. */
static void count_packages(const struct credits_input *in, struct credit_summary *out)
{
    for (size_t i = 0; i < in->n_package_sessions; i++) {
        const struct session *s = &in->package_sessions[i];
        struct package_progress *p = is_package(s) ? package_for(out, s) : NULL;
        if (!p)
            continue;
        p->sessions_total++;
        if (s->credits_q > p->credits_q)
            p->credits_q = s->credits_q;
        if (s->date > in->today && (!p->has_next || s->start_us < p->next.start_us)) {
            p->next = *s;
            p->has_next = true;
        }
    }
    for (size_t i = 0; i < in->n_rows; i++) {
        const struct session *s = &in->sessions[i];
        struct package_progress *p = is_package(s) ? package_for(out, s) : NULL;
        struct attendance closed;
        const struct attendance *row = row_as_of(in, i, &closed);
        if (!p || row->in_us == 0)
            continue;
        if (credits_attendance_complete(in->rules, s, row))
            p->sessions_done++;
        else if (row->out_us != 0)
            p->sessions_review++;
    }
    for (size_t i = 0; i < in->n_external; i++) {
        const struct external_credit *x = &in->external[i];
        const char *why;
        if (strcmp(x->group, "mapa") == 0 && x->has_certificate &&
            credits_external_acceptable(x, &why)) {
            for (size_t k = 0; k < out->n_packages; k++)
                out->packages[k].online_done |= out->packages[k].kind == KIND_MAPA_BLOCK;
        }
    }
}

/* At most one CPI Initial and one MAPA award a year, whichever package completed first. */
static const struct package_progress *award_for(struct credit_summary *out, enum course_kind kind)
{
    for (size_t i = 0; i < out->n_packages; i++) {
        struct package_progress *p = &out->packages[i];
        if (p->kind == kind && p->sessions_total > 0 && p->sessions_done == p->sessions_total &&
            (!p->online_needed || p->online_done)) {
            p->awarded = true;
            return p;
        }
    }
    return NULL;
}

static civil_day last_session_date(const struct credits_input *in, const char *group)
{
    civil_day last = 0;
    for (size_t i = 0; i < in->n_rows; i++) {
        if (strcmp(in->sessions[i].group, group) == 0 && in->sessions[i].date > last)
            last = in->sessions[i].date;
    }
    return last;
}

static void add_session_items(const struct credits_input *in, struct credit_summary *out)
{
    const struct package_progress *cpi = award_for(out, KIND_CPI_INITIAL);
    const struct package_progress *mapa = award_for(out, KIND_MAPA_BLOCK);
    for (size_t i = 0; i < in->n_rows; i++) {
        const struct session *s = &in->sessions[i];
        struct attendance closed;
        const struct attendance *row = row_as_of(in, i, &closed);
        if (row->in_us == 0)
            continue;
        struct credit_item *it = add_item(out, s->date, s->code, s->title);
        it->delivery = s->delivery;
        bool review = false;
        if (row->flags & ATT_VOID) {
            it->status = ITEM_NOT_COUNTED;
            it->note = "voided by a correction";
        } else if (row->out_us == 0 && row->override_q < 0) {
            it->status = ITEM_OPEN;
        } else if (domain_kind_zero_credit(s->kind)) {
            it->status = ITEM_ZERO;
            it->note = "directed meeting";
        } else if (is_package(s)) {
            bool complete = credits_attendance_complete(in->rules, s, row);
            bool awarded = (cpi && strcmp(cpi->group, s->group) == 0) ||
                           (mapa && strcmp(mapa->group, s->group) == 0);
            it->status = awarded ? ITEM_ZERO : ITEM_PENDING;
            it->note = awarded    ? "counted in the course's award"
                       : complete ? "counts when the course is complete"
                                  : "needs a trainer's review to count";
            review = !complete;
        } else if (s->credits_q < 0 && row->override_q < 0) {
            it->status = ITEM_NOT_COUNTED;
            it->note = "no credits printed for this session";
        } else {
            it->credits_q = credits_for_attendance(in->rules, s, row, &review);
            it->status = review ? ITEM_REVIEW : ITEM_COUNTED;
            it->note = review ? (row->flags & ATT_NO_SIGNOUT ? "no sign-out"
                                                             : "partial: late or left early")
                              : "";
        }
        out->review_count += review;
    }
    /* The package awards, dated when the last of their sessions was attended. */
    const struct package_progress *awards[2] = {cpi, mapa};
    for (int k = 0; k < 2; k++) {
        const struct package_progress *p = awards[k];
        if (!p)
            continue;
        /* MAPA's award is its classroom part: the online part is its own item. */
        int classroom_q = p->credits_q;
        for (size_t i = 0; p->kind == KIND_MAPA_BLOCK && i < in->n_external; i++) {
            if (strcmp(in->external[i].group, "mapa") == 0 && in->external[i].printed_q > 0) {
                classroom_q -= in->external[i].printed_q;
                break;
            }
        }
        struct credit_item *it =
            add_item(out, last_session_date(in, p->group), p->group,
                     p->kind == KIND_CPI_INITIAL ? "CPI Initial Training (all 4 sessions)"
                                                 : "MAPA Refresher (block + online)");
        it->credits_q = classroom_q > 0 ? classroom_q : 0;
        it->status = ITEM_COUNTED;
    }
}

bool credits_external_acceptable(const struct external_credit *x, const char **why)
{
    bool mandatory = x->kind == KIND_MANDATORY;
    *why = "";
    if (x->kind == KIND_CPI_INITIAL || x->kind == KIND_MAPA_BLOCK)
        *why = "a CPI or MAPA classroom session counts as attendance (the kiosk, or a trainer "
               "by hand), not as a credit from elsewhere";
    else if (x->delivery == DELIVERY_FACE_TO_FACE && !mandatory)
        *why = "a face-to-face session counts as attendance (the kiosk, or a trainer by hand), "
               "not as a credit from elsewhere";
    else if ((x->source == SOURCE_MANDATORY) != mandatory)
        *why = mandatory ? "mandatory training is recorded with source mandatory"
                         : "source mandatory, but the course is not mandatory training";
    else if (x->source == SOURCE_LIVE_TEAMS && x->delivery != DELIVERY_LIVE_TEAMS)
        *why = "source live-teams, but the course is not delivered on Live Teams";
    else if (x->source == SOURCE_PRERECORDED && x->delivery != DELIVERY_PRERECORDED)
        *why = "source prerecorded, but the course is not pre-recorded";
    else if (domain_kind_zero_credit(x->kind) && x->credits_q > 0)
        *why = "a hub or department meeting is directed time: 0 credits";
    else if (x->printed_q < 0 && !x->has_reason)
        *why = "the programme prints no credits for this course: give the reason in the note";
    else if (x->printed_q < 0 && x->credits_q > CREDITS_UNPRINTED_MAX_Q)
        *why = "more than a day's training (8 credits) for a course printed without credits";
    else if (strcmp(x->group, "mapa") == 0 && x->credits_q != x->printed_q)
        *why = "MAPA's online part is the programme's credits, no more and no less";
    else if (x->printed_q >= 0 && x->credits_q > x->printed_q)
        *why = "more credits than the programme prints for the course";
    else if (x->has_session && x->date != x->session_date)
        *why = "not the date of the course's session";
    return (*why)[0] == '\0';
}

static bool in_year(const struct credits_input *in, civil_day day)
{
    return rules_term_of(&in->rules->terms, day) >= 0;
}

/* A course done twice in a year counts once (the "Any 1 hour" items excepted): the earlier
 * record that counts. "Before" is by date, then by input order. */
static bool counted_before(const struct credits_input *in, const struct credit_item *items,
                           size_t i)
{
    const struct external_credit *x = &in->external[i];
    if (x->repeatable || !in_year(in, x->date))
        return false;
    for (size_t j = 0; j < in->n_external; j++) {
        const struct external_credit *y = &in->external[j];
        bool before = y->date < x->date || (y->date == x->date && j < i);
        if (before && items[j].status == ITEM_COUNTED && in_year(in, y->date) &&
            strcmp(y->title, x->title) == 0)
            return true;
    }
    return false;
}

static void add_external_items(const struct credits_input *in, struct credit_summary *out,
                               const struct package_progress *mapa_award)
{
    struct credit_item *items = &out->items[out->n_items]; /* items[i] is external[i]'s */
    for (size_t i = 0; i < in->n_external; i++) {
        const struct external_credit *x = &in->external[i];
        struct credit_item *it = add_item(out, x->date, x->course_code, x->title);
        const char *why = "";
        it->credits_q = x->credits_q;
        it->status = ITEM_COUNTED;
        it->prerecorded = x->delivery == DELIVERY_PRERECORDED;
        it->delivery = x->delivery;
        if (x->voided) {
            it->status = ITEM_NOT_COUNTED;
            it->note = "voided by a correction";
        } else if (!credits_external_acceptable(x, &why)) {
            it->status = ITEM_NOT_COUNTED;
            it->note = why;
            out->review_count++;
        } else if (!in_year(in, x->date)) {
            /* First: a 2020 record is "outside the credit year", whatever else it lacks. */
            it->status = ITEM_NOT_COUNTED;
            it->note = "outside the credit year";
        } else if (strcmp(x->group, "mapa") == 0 && !mapa_award) {
            it->status = ITEM_PENDING;
            it->note = "counts when a MAPA block is complete";
        } else if (x->source == SOURCE_MANDATORY && !x->directed) {
            it->status = ITEM_NOT_COUNTED;
            it->note = "mandatory training not directed outside hours";
        } else if (it->prerecorded && !x->has_certificate) {
            it->status = ITEM_NOT_COUNTED;
            it->note = "no certificate";
            out->review_count++;
        }
    }
    for (size_t i = 0; i < in->n_external; i++) {
        if (items[i].status == ITEM_COUNTED && counted_before(in, items, i)) {
            items[i].status = ITEM_NOT_COUNTED;
            items[i].note = "already counted this year: the same course done again";
        }
    }
    for (size_t i = 0; i < in->n_external; i++) {
        if (items[i].status != ITEM_COUNTED && items[i].status != ITEM_CAPPED)
            items[i].credits_q = 0;
    }
}

static void sort_items_by_date(struct credit_summary *out)
{
    for (size_t i = 1; i < out->n_items; i++) {
        struct credit_item key = out->items[i];
        size_t j = i;
        for (; j > 0 && out->items[j - 1].date > key.date; j--)
            out->items[j] = out->items[j - 1];
        out->items[j] = key;
    }
}

/* The cap applies in date order: the credit that crosses it counts in part. Certificates from
 * other years (kept for renewals) are not this year's and do not use its cap. */
static void apply_prerecorded_cap(const struct credits_input *in, struct credit_summary *out)
{
    int left = in->rules->prerecorded_cap_quarters;
    for (size_t i = 0; i < out->n_items; i++) {
        struct credit_item *it = &out->items[i];
        if (it->status != ITEM_COUNTED || !it->prerecorded ||
            rules_term_of(&in->rules->terms, it->date) < 0)
            continue;
        out->prerecorded_claimed_q += it->credits_q;
        if (it->credits_q > left) {
            it->credits_q = left;
            it->status = ITEM_CAPPED;
            it->note = "over the pre-recorded cap";
        }
        left -= it->credits_q;
        out->prerecorded_counted_q += it->credits_q;
    }
}

static void total_by_term(const struct credits_input *in, struct credit_summary *out)
{
    const struct terms *terms = &in->rules->terms;
    for (size_t i = 0; i < out->n_items; i++) {
        struct credit_item *it = &out->items[i];
        it->term = rules_term_of(terms, it->date);
        if (it->date > in->today && it->credits_q > 0) {
            /* As of the date asked: what came later is not there yet. */
            it->credits_q = 0;
            it->status = ITEM_NOT_COUNTED;
            it->note = "after the date asked";
        }
        if (it->term < 0 && it->credits_q > 0) {
            it->credits_q = 0;
            it->status = ITEM_NOT_COUNTED;
            it->note = "outside the credit year";
        }
        if (it->term >= 0)
            out->term_q[it->term] += it->credits_q;
        out->total_q += it->credits_q;
    }
    for (int t = 0; t < TERM_COUNT; t++) {
        out->term_ended[t] = in->today > terms->half[2 * t + 1].last;
        out->term_breach[t] = out->term_ended[t] && out->term_q[t] == 0;
    }
}

static void list_due(const struct credits_input *in, struct credit_summary *out)
{
    for (size_t m = 0; m < in->n_mandatory; m++) {
        const struct mandatory_course *c = &in->mandatory[m];
        struct due_item *d = &out->due[out->n_due++];
        memset(d, 0, sizeof(*d));
        snprintf(d->title, sizeof(d->title), "%s", c->title);
        d->frequency = c->frequency;
        d->status = DUE_NEVER;
        for (size_t i = 0; i < in->n_external; i++) {
            const struct external_credit *x = &in->external[i];
            /* The course itself, or one of its group (the Prevent refresher renews the
             * awareness course it follows). */
            bool renews =
                x->date <= in->today &&
                (x->course_id == c->course_id ||
                 (c->group[0] && x->kind == KIND_MANDATORY && strcmp(x->group, c->group) == 0));
            if (renews && (d->status == DUE_NEVER || x->date > d->last_done)) {
                d->last_done = x->date;
                d->status = DUE_OK;
            }
        }
        d->due = d->last_done;
        int months = domain_frequency_months(c->frequency);
        if (d->status == DUE_NEVER || months == 0) /* no renewal cycle: done is done */
            continue;
        d->due = credits_add_months(d->last_done, months);
        if (in->today > d->due)
            d->status = DUE_OVERDUE;
        else if (d->due - in->today <= CREDITS_DUE_SOON_DAYS)
            d->status = DUE_SOON;
    }
}

static int reserve(void **array, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return CREDITS_OK;
    void *grown = realloc(*array, need * size);
    if (!grown)
        return CREDITS_ENOMEM;
    *array = grown;
    *cap = need;
    return CREDITS_OK;
}

/* Room for the most the input can give: an item per attendance and per external credit plus
 * the two package awards, a package per group, a renewal per mandatory course. Reserved up
 * front, so no step below can run out of room. */
static int reserve_all(const struct credits_input *in, struct credit_summary *out)
{
    size_t items = in->n_rows + in->n_external + 2;
    size_t packages = in->n_package_sessions + in->n_rows + 1;
    size_t due = in->n_mandatory + 1;
    int err = reserve((void **)&out->items, &out->items_cap, items, sizeof(*out->items));
    if (err == CREDITS_OK)
        err =
            reserve((void **)&out->packages, &out->packages_cap, packages, sizeof(*out->packages));
    if (err == CREDITS_OK)
        err = reserve((void **)&out->due, &out->due_cap, due, sizeof(*out->due));
    return err;
}

int credits_summarise(const struct credits_input *in, struct credit_summary *out)
{
    credits_summary_clear(out);
    int err = reserve_all(in, out);
    if (err != CREDITS_OK)
        return err;
    out->target_q = in->rules->target_quarters;
    count_packages(in, out);
    add_session_items(in, out);
    const struct package_progress *mapa = NULL;
    for (size_t i = 0; i < out->n_packages; i++) {
        if (out->packages[i].kind == KIND_MAPA_BLOCK && out->packages[i].awarded)
            mapa = &out->packages[i];
    }
    add_external_items(in, out, mapa);
    sort_items_by_date(out);
    apply_prerecorded_cap(in, out);
    total_by_term(in, out);
    list_due(in, out);
    return CREDITS_OK;
}

void credits_summary_clear(struct credit_summary *s)
{
    struct credit_summary keep = *s;
    memset(s, 0, sizeof(*s));
    s->items = keep.items;
    s->items_cap = keep.items_cap;
    s->packages = keep.packages;
    s->packages_cap = keep.packages_cap;
    s->due = keep.due;
    s->due_cap = keep.due_cap;
}

void credits_summary_free(struct credit_summary *s)
{
    free(s->items);
    free(s->packages);
    free(s->due);
    memset(s, 0, sizeof(*s));
}

static bool overlaps(const struct session *a, const struct session *b)
{
    return a->date == b->date && a->start_us < b->end_us && b->start_us < a->end_us;
}

static bool counts_for_forecast(const struct session *s)
{
    return s->credits_q > 0 && !domain_kind_zero_credit(s->kind) && !is_package(s) &&
           s->kind != KIND_PRERECORDED && s->kind != KIND_MANDATORY;
}

#define MAPA_ONLINE_Q 14 /* the brochure's 3.5 credits for MAPA's online part */

void credits_forecast(const struct forecast_input *in, struct forecast *out)
{
    const struct credit_summary *s = in->summary;
    const struct terms *terms = &in->rules->terms;
    memset(out, 0, sizeof(*out));
    out->term_at_risk = -1;
    out->needed_q = s->target_q > s->total_q ? s->target_q - s->total_q : 0;
    /* The most still possible: one of any overlapping sessions, the headroom, the packages. */
    int possible = 0;
    for (size_t i = 0; i < in->n_coming; i++) {
        const struct session *x = &in->coming[i];
        bool clash = false;
        for (size_t j = 0; j < i && !clash; j++)
            clash = counts_for_forecast(&in->coming[j]) && overlaps(x, &in->coming[j]);
        if (counts_for_forecast(x) && !clash && rules_term_of(terms, x->date) >= 0)
            possible += x->credits_q;
    }
    /* Pre-recorded training can be done any day until the summer term ends, not after. */
    int headroom = in->rules->prerecorded_cap_quarters - s->prerecorded_counted_q;
    if (rules_term_of(terms, in->today) >= 0)
        possible += headroom > 0 ? headroom : 0;
    possible += in->cpi_open ? 13 * QUARTERS_PER_CREDIT : 0;
    /* MAPA's 10 are the block's 6.5 and the 3.5 online part, a pre-recorded course whose
     * credits come out of the headroom above. */
    possible += in->mapa_open ? 10 * QUARTERS_PER_CREDIT - MAPA_ONLINE_Q : 0;
    out->reachable_q = s->total_q + possible;
    out->cannot_reach = out->reachable_q < s->target_q;
    int now = rules_term_of(terms, in->today);
    if (now >= 0 && !s->term_ended[now] && s->term_q[now] == 0)
        out->term_at_risk = now;
    /* The way back: the biggest non-clashing sessions first, until the need is met (or, for a
     * term at 0, the first one of that term). */
    int covered = 0;
    for (size_t round = 0; round < CREDITS_WAY_BACK_MAX && covered < out->needed_q; round++) {
        size_t best = in->n_coming;
        for (size_t i = 0; i < in->n_coming; i++) {
            const struct session *x = &in->coming[i];
            bool clash = false; /* with one taken already (itself included) */
            for (size_t j = 0; j < out->n_way_back && !clash; j++)
                clash = out->way_back[j] == i || overlaps(x, &in->coming[out->way_back[j]]);
            if (!clash && counts_for_forecast(x) && rules_term_of(terms, x->date) >= 0 &&
                (out->term_at_risk < 0 || out->n_way_back > 0 ||
                 rules_term_of(terms, x->date) == out->term_at_risk) &&
                (best == in->n_coming || x->credits_q > in->coming[best].credits_q))
                best = i;
        }
        if (best == in->n_coming)
            break;
        out->way_back[out->n_way_back++] = best;
        covered += in->coming[best].credits_q;
    }
    out->way_back_cut = covered < out->needed_q && out->n_way_back == CREDITS_WAY_BACK_MAX;
}
