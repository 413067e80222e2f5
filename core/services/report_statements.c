/* Every person's year (report.h): what is due, and the statements (a row a person, or a
 * page a person with every item). */
#include "core/services/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/grow.h"
#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/credits.h"
#include "core/domain/payload.h"
#include "core/domain/tap.h"
#include "core/services/at_risk.h"
#include "core/services/lists.h"
#include "core/services/report_internal.h"
#include "core/services/tapflow.h"

/* ---- every person's year ----------------------------------------------------------------- */

static int by_academy_name_course(const void *a, const void *b)
{
    const struct report_row *x = a, *y = b;
    int c = strcoll(x->cells[0], y->cells[0]);
    c = c ? c : strcoll(x->cells[1], y->cells[1]);
    c = c ? c : strcmp(x->cells[2], y->cells[2]);
    return c ? c : strcoll(x->cells[3], y->cells[3]);
}

int report_due(struct store *store, const struct rules *rules, int64_t at_us, int within_days,
               const struct report_filter *filter, struct report *out)
{
    static const char *const columns[] = {"Academy",   "Name",      "Staff no", "Course",
                                          "Frequency", "Last done", "Due",      "Status"};
    struct report_people ps = {.filter = filter};
    struct credit_summary s = {0};
    civil_day today;
    int minute;
    memset(out, 0, sizeof(*out));
    out->n_columns = (int)(sizeof(columns) / sizeof(columns[0]));
    memcpy(out->columns, columns, sizeof(columns));
    zone_utc_to_local(at_us, &today, &minute, NULL);
    int err = report_people_load(store, &ps);
    for (size_t i = 0; i < ps.n && err == STORE_OK; i++) {
        report_told(filter, i, ps.n);
        err = tapflow_summary(store, rules, ps.list[i].id, at_us, &s);
        for (size_t d = 0; d < s.n_due && err == STORE_OK; d++) {
            const struct due_item *due = &s.due[d];
            bool shown = due->status == DUE_OVERDUE || due->status == DUE_NEVER ||
                         (due->status != DUE_NEVER && due->due - today <= within_days);
            if (!shown)
                continue;
            struct report_row *row = report_add_row(out);
            if (!row) {
                err = STORE_ENOMEM;
                break;
            }
            report_cell(row, 0, "%s", ps.list[i].academy);
            report_cell(row, 1, "%s", ps.list[i].name);
            report_cell(row, 2, "%s", ps.list[i].staff_no);
            report_cell(row, 3, "%s", due->title);
            report_cell(row, 4, "%s", domain_frequency_code(due->frequency));
            if (due->status != DUE_NEVER) {
                report_date_cell(row, 5, due->last_done);
                report_date_cell(row, 6, due->due);
            }
            if (due->status == DUE_OVERDUE || due->status == DUE_NEVER)
                report_cell(row, 7, "%s", credits_due_status_name(due->status));
            else
                report_cell(row, 7, "due in %d days", (int)(due->due - today));
        }
    }
    credits_summary_free(&s);
    free(ps.list);
    if ((err = report_made(out, err)) != STORE_OK)
        return err;
    /* By academy, name and course: the same order here and on the ledger's copy. */
    if (out->n_rows > 1)
        qsort(out->rows, out->n_rows, sizeof(out->rows[0]), by_academy_name_course);
    char date[CIVIL_DATE_LEN];
    civil_format_date(today, date);
    snprintf(out->title, sizeof(out->title), "Mandatory training due");
    out->wide = true;
    report_add_line(out, "As of %s: due within %d days, overdue, or not recorded", date,
                    within_days);
    report_add_line(out, "%zu %s", out->n_rows, out->n_rows == 1 ? "renewal" : "renewals");
    return STORE_OK;
}

/* One row a person: figures in columns of their own (so a spreadsheet can add them up), the
 * terms that ended at 0 by name, and the forecast's risk in a few words. */
static void summary_row(struct report_row *row, const struct person *p,
                        const struct credit_summary *s, const struct risk *r,
                        const struct rules *rules)
{
    char q[16];
    report_cell(row, 0, "%s", p->academy);
    report_cell(row, 1, "%s", p->name);
    report_cell(row, 2, "%s", p->staff_no);
    report_quarters(s->total_q, q);
    report_cell(row, 3, "%s", q);
    char breaches[REPORT_CELL] = "";
    for (int t = 0; t < TERM_COUNT; t++) {
        report_quarters(s->term_q[t], q);
        report_cell(row, 4 + t, "%s", q);
        if (s->term_breach[t])
            report_append(breaches, sizeof(breaches), "%s", rules_term_name(t));
    }
    report_cell(row, 7, "%s", breaches);
    report_cell(row, 8, "%d", s->review_count);
    report_quarters(s->target_q > s->total_q ? s->target_q - s->total_q : 0, q);
    report_cell(row, 9, "%s", q);
    char target[16];
    report_quarters(rules->target_quarters, target);
    if (r->kind == RISK_CANNOT_REACH)
        report_cell(row, 10, "cannot reach %s", target);
    else if (r->kind == RISK_TERM_AT_ZERO)
        report_cell(row, 10, "%s term at 0", rules_term_name(r->term_at_risk));
}

/* The person's page: the totals, each term, the pre-recorded cap, what awaits review, CPI and
 * MAPA progress and the mandatory training due, with the chart's figures. */
static void statement_section(struct report_section *sec, const struct person *p,
                              const struct credit_summary *s, civil_day today)
{
    char q[16], need[16], line[REPORT_LINE] = "";
    utf8_printf(sec->heading, sizeof(sec->heading), "%s — %s, %s", p->name, p->staff_no,
                p->academy);
    report_quarters(s->total_q, q);
    report_quarters(s->target_q > s->total_q ? s->target_q - s->total_q : 0, need);
    rules_format_quarters(s->target_q, line);
    report_section_line(sec, "Credits this year: %s of %s (%s still needed)", q, line, need);
    line[0] = '\0';
    for (int t = 0; t < TERM_COUNT; t++) {
        report_quarters(s->term_q[t], q);
        report_append(line, sizeof(line), "%s %s%s", rules_term_name(t), q,
                      s->term_breach[t] ? " (BREACH: ended at 0)" : "");
        sec->term_q[t] = s->term_q[t];
        sec->term_breach[t] = s->term_breach[t];
    }
    report_section_line(sec, "%s", line);
    sec->total_q = s->total_q;
    sec->target_q = s->target_q;
    if (s->prerecorded_claimed_q > 0) {
        char counted[16];
        report_quarters(s->prerecorded_claimed_q, q);
        report_quarters(s->prerecorded_counted_q, counted);
        report_section_line(sec, "Pre-recorded: %s claimed, %s counted (the cap applied)", q,
                            counted);
    }
    line[0] = '\0';
    for (size_t i = 0; i < s->n_packages; i++) {
        const struct package_progress *pk = &s->packages[i];
        if (pk->sessions_done + pk->sessions_review == 0 && !pk->awarded)
            continue; /* a cohort or block they never came to */
        report_append(
            line, sizeof(line), "%s %d of %d%s%s", pk->title, pk->sessions_done, pk->sessions_total,
            pk->online_needed ? (pk->online_done ? " + online" : " (online part missing)") : "",
            pk->awarded ? " — awarded" : "");
    }
    if (line[0])
        report_section_line(sec, "%s", line);
    report_section_line(sec, "Awaiting review: %d %s", s->review_count,
                        s->review_count == 1 ? "item" : "items");
    /* Mandatory training: overdue and due soon by name and date; never recorded as one list. */
    char never[REPORT_LINE] = "";
    line[0] = '\0';
    for (size_t d = 0; d < s->n_due; d++) {
        const struct due_item *due = &s->due[d];
        char date[CIVIL_DATE_LEN];
        civil_format_date(due->due, date);
        if (due->status == DUE_NEVER)
            report_append(never, sizeof(never), "%s", due->title);
        else if (due->status == DUE_OVERDUE)
            report_append(line, sizeof(line), "%s (overdue since %s)", due->title, date);
        else if (due->due - today <= 30)
            report_append(line, sizeof(line), "%s (due %s)", due->title, date);
    }
    report_section_line(sec, "Mandatory training due: %s", line[0] ? line : "none within 30 days");
    if (never[0])
        report_section_line(sec, "Mandatory training not recorded: %s", never);
}

/* A person's entries by hand and corrections, for the items they are about: a session (by its
 * code) or a credit recorded elsewhere (its programme code and date). */
struct corrections_of {
    struct correction_note {
        char code[DOMAIN_CODE_MAX];
        civil_day date; /* 0: about a session */
        char text[REPORT_CELL];
    } * list;
    size_t n, cap;
    int err;
};

static int collect_correction(void *ctx, const struct event *e)
{
    struct corrections_of *c = ctx;
    if (!event_by_hand(e->type) || e->type == EV_BADGE_REVOKED)
        return 0;
    struct correction_note *grown = grow(c->list, &c->cap, c->n, sizeof(*grown), 8);
    if (!grown) {
        c->err = STORE_ENOMEM;
        return CPD_STOP;
    }
    c->list = grown;
    struct correction_note *note = &c->list[c->n];
    memset(note, 0, sizeof(*note));
    utf8_copy(note->code, sizeof(note->code), e->session);
    char date[CIVIL_DATE_LEN + 4];
    if (e->type == EV_CREDIT_VOIDED &&
        (payload_get_str(e->payload, "programme", note->code, sizeof(note->code)) != PAYLOAD_OK ||
         payload_get_str(e->payload, "date", date, sizeof(date)) != PAYLOAD_OK ||
         civil_parse_date(date, &note->date) != 0))
        return 0; /* a malformed one is about nothing (verify still checks its seal) */
    char who[DOMAIN_NAME_MAX], why[REPORT_CELL];
    event_who_and_why(e, who, sizeof(who), why, sizeof(why));
    utf8_printf(note->text, sizeof(note->text), "%s by %s: %s", event_by_hand_words(e->type),
                who[0] ? who : "?", why);
    c->n++;
    return 0;
}

/* The item's note: why the engine counted it so, then the corrections about it. */
static void item_note(const struct corrections_of *c, const struct credit_item *it, char *out)
{
    utf8_copy(out, REPORT_CELL, it->note);
    for (size_t i = 0; i < c->n; i++) {
        const struct correction_note *note = &c->list[i];
        bool about = strcmp(note->code, it->code) == 0 && (!note->date || note->date == it->date);
        if (about)
            report_append(out, REPORT_CELL, "%s", note->text);
    }
}

static int item_rows(struct report *out, struct store *store, const struct person *p,
                     const struct credit_summary *s, int term)
{
    struct corrections_of c = {0};
    int err = store_events_of(store, p->staff_no, collect_correction, &c);
    err = err == CPD_STOP || err == STORE_OK ? c.err : err;
    int running_q = 0;
    for (size_t i = 0; i < s->n_items; i++) {
        const struct credit_item *it = &s->items[i];
        running_q += it->credits_q;
        if (term >= 0 && it->term != term)
            continue;
        struct report_row *row = err == STORE_OK ? report_add_row(out) : NULL;
        if (!row) {
            err = err == STORE_OK ? STORE_ENOMEM : err;
            break;
        }
        char q[16];
        report_cell(row, 0, "%s", p->academy);
        report_cell(row, 1, "%s", p->name);
        report_cell(row, 2, "%s", p->staff_no);
        report_date_cell(row, 3, it->date);
        report_cell(row, 4, "%s", it->title);
        report_cell(row, 5, "%s", domain_delivery_name(it->delivery));
        report_cell(row, 6, "%s", it->term >= 0 ? rules_term_name(it->term) : "");
        report_quarters(it->credits_q, q);
        report_cell(row, 7, "%s", q);
        report_quarters(running_q, q);
        report_cell(row, 8, "%s", q);
        report_cell(row, 9, "%s", credits_item_status_name(it->status));
        char note[REPORT_CELL];
        item_note(&c, it, note);
        report_cell(row, 10, "%s", note);
    }
    free(c.list);
    return err;
}

int report_statements(struct store *store, const struct rules *rules, int64_t at_us, int term,
                      bool summary, const struct report_filter *filter, struct report *out)
{
    static const char *const per_person[] = {"Academy",   "Name",         "Staff no", "Credits",
                                             "Autumn",    "Spring",       "Summer",   "Breaches",
                                             "To review", "Still needed", "At risk"};
    static const char *const per_item[] = {"Academy", "Name",     "Staff no", "Date",
                                           "Item",    "Delivery", "Term",     "Credits",
                                           "Total",   "Status",   "Note"};
    struct report_people ps = {.filter = filter};
    struct credit_summary s = {0};
    civil_day today;
    int minute;
    memset(out, 0, sizeof(*out));
    zone_utc_to_local(at_us, &today, &minute, NULL);
    if (summary) {
        out->n_columns = (int)(sizeof(per_person) / sizeof(per_person[0]));
        memcpy(out->columns, per_person, sizeof(per_person));
        out->wide = true;
    } else {
        out->n_columns = (int)(sizeof(per_item) / sizeof(per_item[0]));
        memcpy(out->columns, per_item, sizeof(per_item));
        out->section_columns = 3;
    }
    struct at_risk_offer later = {0};
    int err = summary ? at_risk_offer_load(store, rules, at_us, &later) : STORE_OK;
    if (err == STORE_OK)
        err = report_people_load(store, &ps);
    int behind = 0;
    for (size_t i = 0; i < ps.n && err == STORE_OK; i++) {
        report_told(filter, i, ps.n);
        err = tapflow_summary(store, rules, ps.list[i].id, at_us, &s);
        if (err == STORE_OK && summary) {
            struct report_row *row = report_add_row(out);
            struct risk r;
            risk_assess(&later.offer, &s, &r);
            if (!row)
                err = STORE_ENOMEM;
            else
                summary_row(row, &ps.list[i], &s, &r, rules);
        } else if (err == STORE_OK) {
            struct report_section *sec = report_add_section(out);
            err = sec ? item_rows(out, store, &ps.list[i], &s, term) : STORE_ENOMEM;
            if (err == STORE_OK) {
                sec->n_rows = out->n_rows - sec->first_row;
                statement_section(sec, &ps.list[i], &s, today);
            }
        }
        behind += err == STORE_OK && s.total_q < s.target_q;
    }
    credits_summary_free(&s);
    at_risk_offer_free(&later);
    size_t people = ps.n;
    free(ps.list);
    if ((err = report_made(out, err)) != STORE_OK)
        return err;
    char when[24];
    zone_format_local(at_us, when);
    snprintf(out->title, sizeof(out->title), "Statements: %s",
             term >= 0 ? rules_term_name(term) : "the year");
    report_add_line(out, "As of %s, every figure from the credits engine", when);
    report_add_line(out, "%zu %s, %d below the target so far", people,
                    people == 1 ? "person" : "people", behind);
    return STORE_OK;
}
