/* Who is at risk (report.h), in words made last from the typed records (at_risk.h). */
#include "core/services/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- at risk -------------------------------------------------------------------------------- */

/* Adds ", TITLE DAY" to a list when it fits with room left to say what did not; false when
 * not (the caller then says how many more). */
static bool list_item(char *out, size_t cap, const struct session *s)
{
    char item[REPORT_CELL], day[16];
    civil_format_short(s->date, day);
    size_t used = strlen(out);
    bool first = used == 0 || out[used - 1] == ' ';
    int n = snprintf(item, sizeof(item), "%s%s %s", first ? "" : ", ", s->title, day);
    if (n < 0 || used + (size_t)n + 16 >= cap) /* 16: room for " and 99 more" */
        return false;
    memcpy(out + used, item, (size_t)n + 1);
    return true;
}

/* The listed sessions (indexes into coming) as many as fit, then " and N more" with extra. */
static void session_list(char *out, size_t cap, const struct session *coming, const size_t *at,
                         size_t n, size_t extra)
{
    size_t left = extra;
    for (size_t i = 0; i < n; i++)
        left += left > 0 || !list_item(out, cap, &coming[at[i]]);
    size_t used = strlen(out);
    if (left > 0)
        snprintf(out + used, cap - used, " and %zu more", left);
}

/* The other ways: a CPI cohort or MAPA block still to start (its sessions and credits as the
 * programme gives them), and the pre-recorded headroom. */
static void other_ways(const struct risk *r, char *out, size_t cap)
{
    char day[16], q[16];
    out[0] = '\0';
    if (r->cpi.first) {
        civil_format_short(r->cpi.first->date, day);
        report_quarters(r->cpi.credits_q, q);
        report_append(out, cap, "or CPI Initial Training from %s (%d sessions, %s credits)", day,
                      r->cpi.sessions, q);
    }
    if (r->mapa.first) {
        civil_format_short(r->mapa.first->date, day);
        report_quarters(r->mapa.credits_q, q);
        report_append(out, cap,
                      "or MAPA Refresher from %s (%d days and the online part, %s "
                      "credits)",
                      day, r->mapa.sessions, q);
    }
    if (r->prerecorded_headroom_q > 0) {
        report_quarters(r->prerecorded_headroom_q, q);
        report_append(out, cap, "pre-recorded training: up to %s more", q);
    }
}

/* "attend 2: A Mon 29 Jan, B Tue 30 Jan; or CPI Initial Training from …" */
static void way_back_text(const struct risk *r, const struct session *coming, char *out, size_t cap)
{
    char others[REPORT_CELL];
    other_ways(r, others, sizeof(others));
    out[0] = '\0';
    size_t room = cap > strlen(others) + 3 ? cap - strlen(others) - 3 : 0;
    if (r->n_way_back == 0 || room == 0) {
        utf8_copy(out, cap, others);
        return;
    }
    if (r->kind == RISK_CANNOT_REACH)
        snprintf(out, room, "the most left: ");
    else
        snprintf(out, room, "attend %zu%s: ", r->n_way_back, r->way_back_cut ? " or more" : "");
    session_list(out, room, coming, r->way_back, r->n_way_back, 0);
    if (others[0]) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "; %s", others);
    }
}

/* "cannot reach 16 this year", or "the Spring term ends at 0 unless they attend one of: A Mon
 * 29 Jan, B Tue 30 Jan, …" */
static void risk_text(const struct rules *rules, const struct risk *r, const struct session *coming,
                      char *out, size_t cap)
{
    char target[16];
    if (r->kind == RISK_CANNOT_REACH) {
        report_quarters(rules->target_quarters, target);
        snprintf(out, cap, "cannot reach %s this year", target);
        return;
    }
    snprintf(out, cap,
             "the %s term ends at 0 unless they attend one of: ", rules_term_name(r->term_at_risk));
    session_list(out, cap, coming, r->term_sessions, r->n_term_sessions, r->term_sessions_more);
}

int report_at_risk(struct store *store, const struct rules *rules, int64_t at_us,
                   const struct report_filter *filter, struct report *out)
{
    static const char *const columns[] = {"Urgency",       "Academy", "Name",
                                          "Staff no",      "Credits", "Needed",
                                          "Most possible", "Risk",    "The way back"};
    struct at_risk list;
    memset(out, 0, sizeof(*out));
    out->n_columns = (int)(sizeof(columns) / sizeof(columns[0]));
    memcpy(out->columns, columns, sizeof(columns));
    int err = at_risk_find(store, rules, at_us, filter, &list);
    const struct session *coming = list.later.offer.coming;
    for (size_t i = 0; i < list.n && err == STORE_OK; i++) {
        const struct at_risk_person *x = &list.people[i];
        struct report_row *row = report_add_row(out);
        if (!row) {
            err = STORE_ENOMEM;
            break;
        }
        char q[16], text[REPORT_CELL];
        report_cell(row, 0, "%d", x->risk.kind == RISK_CANNOT_REACH ? 1 : 2);
        report_cell(row, 1, "%s", x->person.academy);
        report_cell(row, 2, "%s", x->person.name);
        report_cell(row, 3, "%s", x->person.staff_no);
        report_quarters(x->risk.total_q, q);
        report_cell(row, 4, "%s", q);
        report_quarters(x->risk.needed_q, q);
        report_cell(row, 5, "%s", q);
        report_quarters(x->risk.reachable_q, q);
        report_cell(row, 6, "%s", q);
        risk_text(rules, &x->risk, coming, text, sizeof(text));
        report_cell(row, 7, "%s", text);
        way_back_text(&x->risk, coming, text, sizeof(text));
        report_cell(row, 8, "%s", text);
    }
    at_risk_free(&list);
    if ((err = report_made(out, err)) != STORE_OK)
        return err;
    char when[24];
    zone_format_local(at_us, when);
    snprintf(out->title, sizeof(out->title), "Who is at risk");
    out->wide = true;
    report_add_line(out,
                    "As of %s, with the sessions still to come this year, the pre-recorded "
                    "headroom and the CPI and MAPA courses not started yet",
                    when);
    report_add_line(out, "%zu at risk (1: cannot reach the target; 2: a term ending at 0)",
                    out->n_rows);
    return STORE_OK;
}
