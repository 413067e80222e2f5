/* CPI Initial and MAPA completion (report.h): each person × cohort or block worked out as a
 * typed record first — what they did of each session, the status, the award, where they could
 * still complete — and only then written as the report's cells. */
#include "core/services/completion.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/grow.h"
#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/credits.h"
#include "core/domain/tap.h"
#include "core/services/lists.h"
#include "core/services/report.h"
#include "core/services/report_internal.h"
#include "core/services/tapflow.h"

struct completion_ctx {
    const struct rules *rules;
    enum course_kind kind;
    int64_t at;
    const struct session *sessions; /* the kind's sessions, by start */
    size_t n_sessions;
    struct completion_list *out;
    int err;
};

/* The entry of person × group, made on first sight. */
static struct completion_entry *entry_of(struct completion_ctx *c, const struct person *p,
                                         const char *group)
{
    struct completion_list *l = c->out;
    for (size_t i = 0; i < l->n; i++) {
        if (l->list[i].person.id == p->id && strcmp(l->list[i].group, group) == 0)
            return &l->list[i];
    }
    struct completion_entry *grown = grow(l->list, &l->cap, l->n, sizeof(*grown), 32);
    if (!grown) {
        c->err = STORE_ENOMEM;
        return NULL;
    }
    l->list = grown;
    struct completion_entry *e = &l->list[l->n++];
    memset(e, 0, sizeof(*e));
    e->person = *p;
    utf8_copy(e->group, sizeof(e->group), group);
    return e;
}

/* Which of its group's sessions this one is (0-based). */
static int part_of(const struct completion_ctx *c, const struct session *s)
{
    int part = 0;
    for (size_t i = 0; i < c->n_sessions && c->sessions[i].id != s->id; i++)
        part += strcmp(c->sessions[i].group, s->group) == 0;
    return part < COMPLETION_PARTS_MAX ? part : COMPLETION_PARTS_MAX - 1;
}

struct completion_visit {
    struct completion_ctx *c;
    const struct session *session;
};

static int completion_attended(void *ctx, const struct person *p, const struct attendance *stored)
{
    struct completion_visit *v = ctx;
    const struct session *s = v->session;
    struct attendance now = tap_attendance_as_of(v->c->rules, s, stored, v->c->at);
    const struct attendance *a = &now;
    bool counts = a->in_us && a->in_us <= v->c->at && !(a->flags & ATT_VOID);
    struct completion_entry *e = counts ? entry_of(v->c, p, s->group) : NULL;
    if (!e)
        return v->c->err ? CPD_STOP : 0;
    int part = part_of(v->c, s);
    if (credits_attendance_complete(v->c->rules, s, a)) {
        e->marks[part] = PART_DONE;
    } else if (a->out_us == 0) {
        e->marks[part] = PART_SIGNED_IN;
    } else if (a->flags & ATT_NO_SIGNOUT) {
        e->marks[part] = PART_NO_SIGN_OUT;
    } else if (a->flags & ATT_LATE) {
        e->marks[part] = PART_LATE;
        e->minutes[part] = (int)((a->in_us - s->start_us) / US_PER_MIN);
    } else {
        e->marks[part] = PART_LEFT_EARLY;
        e->minutes[part] = (int)((s->end_us - a->out_us) / US_PER_MIN);
    }
    return 0;
}

static int completion_booked(void *ctx, const struct person *p, int unused)
{
    (void)unused;
    struct completion_visit *v = ctx;
    struct completion_entry *e = entry_of(v->c, p, v->session->group);
    if (!e)
        return CPD_STOP;
    int part = part_of(v->c, v->session);
    if (e->marks[part] == PART_NONE)
        e->marks[part] = v->session->end_us < v->c->at ? PART_MISSED : PART_BOOKED;
    return 0;
}

/* The later groups of the kind that have not started by then: where one can still complete. */
static void later_groups(const struct completion_ctx *c, const char *group, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < c->n_sessions; i++) {
        const struct session *s = &c->sessions[i];
        bool first_of_group = true;
        for (size_t j = 0; j < i && first_of_group; j++)
            first_of_group = strcmp(c->sessions[j].group, s->group) != 0;
        if (first_of_group && strcmp(s->group, group) != 0 && s->start_us > c->at)
            report_append(out, cap, "%s", s->group);
    }
}

bool completion_needs_review(enum part_mark mark)
{
    return mark == PART_NO_SIGN_OUT || mark == PART_LATE || mark == PART_LEFT_EARLY;
}

static void completion_status(const struct completion_ctx *c, struct completion_entry *e,
                              const struct credit_summary *s)
{
    const struct package_progress *p = NULL;
    bool awarded_elsewhere = false;
    for (size_t i = 0; i < s->n_packages; i++) {
        if (strcmp(s->packages[i].group, e->group) == 0)
            p = &s->packages[i];
        else if (s->packages[i].kind == c->kind && s->packages[i].awarded)
            awarded_elsewhere = true;
    }
    int parts = c->out->parts;
    e->online_done = p && p->online_done;
    /* A session of their cohort that is over and they did not attend is missed, booked or not:
     * the cohort can no longer be completed. */
    for (size_t i = 0; i < c->n_sessions; i++) {
        const struct session *x = &c->sessions[i];
        int part = part_of(c, x);
        if (strcmp(x->group, e->group) == 0 && x->end_us <= c->at &&
            (e->marks[part] == PART_NONE || e->marks[part] == PART_BOOKED))
            e->marks[part] = PART_MISSED;
    }
    bool missed = false, review = false;
    for (int k = 0; k < parts; k++) {
        missed |= e->marks[k] == PART_MISSED;
        review |= completion_needs_review(e->marks[k]);
    }
    bool awarded = p && p->awarded;
    e->awarded_q = awarded ? p->credits_q : 0;
    e->status = awarded  ? COMPLETION_COMPLETE
                : missed ? COMPLETION_MISSING
                : review ? COMPLETION_REVIEW
                         : COMPLETION_IN_PROGRESS;
    if (!awarded && !awarded_elsewhere && missed)
        later_groups(c, e->group, e->later, sizeof(e->later));
}

/* ---- the words, last ------------------------------------------------------------------------ */

static void mark_cell(struct report_row *row, int col, enum part_mark mark, int minutes)
{
    switch (mark) {
    case PART_NONE:
        report_cell(row, col, "-");
        break;
    case PART_BOOKED:
        report_cell(row, col, "booked");
        break;
    case PART_SIGNED_IN:
        report_cell(row, col, "signed in");
        break;
    case PART_DONE:
        report_cell(row, col, "done");
        break;
    case PART_NO_SIGN_OUT:
        report_cell(row, col, "review: no sign-out");
        break;
    case PART_LATE:
        report_cell(row, col, "review: late %d min", minutes);
        break;
    case PART_LEFT_EARLY:
        report_cell(row, col, "review: left early %d min", minutes);
        break;
    case PART_MISSED:
        report_cell(row, col, "missed");
        break;
    }
}

static const char *status_words(enum completion_status status)
{
    switch (status) {
    case COMPLETION_COMPLETE:
        return "complete";
    case COMPLETION_MISSING:
        return "missing a session";
    case COMPLETION_REVIEW:
        return "needs review";
    case COMPLETION_IN_PROGRESS:
        break;
    }
    return "in progress";
}

/* Name, staff no, group, the sessions (MAPA: two days and the online part), status, credits
 * awarded, where one could still complete. */
static void entry_row(struct report_row *row, enum course_kind kind, int parts,
                      const struct completion_entry *e)
{
    int col = 3;
    char q[16] = "0";
    report_cell(row, 0, "%s", e->person.name);
    report_cell(row, 1, "%s", e->person.staff_no);
    report_cell(row, 2, "%s", e->group);
    for (int k = 0; k < parts; k++, col++)
        mark_cell(row, col, e->marks[k], e->minutes[k]);
    if (kind == KIND_MAPA_BLOCK)
        report_cell(row, col++, "%s", e->online_done ? "done" : "-");
    if (e->status == COMPLETION_COMPLETE)
        rules_format_quarters(e->awarded_q, q);
    report_cell(row, col++, "%s", status_words(e->status));
    report_cell(row, col++, "%s", q);
    report_cell(row, col, "%s", e->later);
}

void completion_free(struct completion_list *l)
{
    free(l->list);
    memset(l, 0, sizeof(*l));
}

int completion_find(struct store *store, const struct rules *rules, enum course_kind kind,
                    const char *group, int64_t at_us, struct completion_list *out)
{
    struct session *all = NULL;
    struct credit_summary s = {0};
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    int err = lists_package_sessions(store, &all, &n);
    size_t m = 0; /* the kind's sessions only, in place */
    bool group_known = group == NULL;
    for (size_t i = 0; i < n; i++) {
        if (all[i].kind == kind)
            all[m++] = all[i];
        if (group && all[i].kind == kind && strcmp(all[i].group, group) == 0)
            group_known = true;
    }
    if (err == STORE_OK && !group_known)
        err = STORE_ENOTFOUND;
    /* What the programme says a cohort or block is: its first's sessions and credits. */
    for (size_t i = 0; i < m; i++) {
        out->parts += strcmp(all[i].group, all[0].group) == 0;
        out->credits_q = all[0].credits_q;
    }
    if (out->parts > COMPLETION_PARTS_MAX)
        out->parts = COMPLETION_PARTS_MAX;
    struct completion_ctx c = {
        .rules = rules, .kind = kind, .at = at_us, .sessions = all, .n_sessions = m, .out = out};
    for (size_t i = 0; i < m && err == STORE_OK; i++) {
        struct completion_visit v = {&c, &all[i]};
        err = store_register_each(store, all[i].id, completion_attended, &v);
        if (err == STORE_OK || err == CPD_STOP)
            err = c.err ? c.err : store_bookings_of(store, all[i].id, completion_booked, &v);
        if (err == CPD_STOP)
            err = c.err;
    }
    /* One cohort (block) asked for: only its entries, after they told where one could
     * complete. */
    size_t kept = 0;
    for (size_t i = 0; i < out->n && err == STORE_OK; i++) {
        err = tapflow_summary(store, rules, out->list[i].person.id, at_us, &s);
        if (err == STORE_OK)
            completion_status(&c, &out->list[i], &s);
        if (err == STORE_OK && (!group || strcmp(out->list[i].group, group) == 0))
            out->list[kept++] = out->list[i];
    }
    out->n = kept;
    credits_summary_free(&s);
    free(all);
    if (err != STORE_OK)
        completion_free(out);
    return err;
}

int report_completion(struct store *store, const struct rules *rules, enum course_kind kind,
                      const char *group, int64_t at_us, struct report *out)
{
    static const char *const cpi[] = {
        "Name",      "Staff no",  "Cohort", "Session 1",       "Session 2",
        "Session 3", "Session 4", "Status", "Credits awarded", "Can still complete in"};
    static const char *const mapa[] = {"Name",   "Staff no",        "Block",
                                       "Day 1",  "Day 2",           "Online part",
                                       "Status", "Credits awarded", "Can still complete in"};
    struct completion_list list;
    memset(out, 0, sizeof(*out));
    bool is_mapa = kind == KIND_MAPA_BLOCK;
    out->n_columns =
        is_mapa ? (int)(sizeof(mapa) / sizeof(mapa[0])) : (int)(sizeof(cpi) / sizeof(cpi[0]));
    memcpy(out->columns, is_mapa ? mapa : cpi, (size_t)out->n_columns * sizeof(cpi[0]));
    int err = completion_find(store, rules, kind, group, at_us, &list);
    int complete = 0, parts = is_mapa ? 2 : 4; /* the report's columns */
    for (size_t i = 0; i < list.n && err == STORE_OK; i++) {
        struct report_row *row = report_add_row(out);
        if (!row) {
            err = STORE_ENOMEM;
            break;
        }
        entry_row(row, kind, parts, &list.list[i]);
        complete += list.list[i].status == COMPLETION_COMPLETE;
    }
    char q[16] = "0";
    rules_format_quarters(list.credits_q, q);
    int sessions = list.parts;
    completion_free(&list);
    if ((err = report_made(out, err)) != STORE_OK)
        return err;
    char when[24];
    zone_format_local(at_us, when);
    out->wide = true;
    snprintf(out->title, sizeof(out->title), "%s completion",
             is_mapa ? "MAPA Refresher" : "CPI Initial Training");
    if (is_mapa)
        report_add_line(out, "As of %s: a block of %d days and the online part give %s credits",
                        when, sessions, q);
    else
        report_add_line(out, "As of %s: all %d sessions of one cohort give %s credits", when,
                        sessions, q);
    report_add_line(out, "%zu %s × %s, %d complete", out->n_rows,
                    out->n_rows == 1 ? "person" : "people", is_mapa ? "block" : "cohort", complete);
    return STORE_OK;
}
