#include "core/services/report.h"
#include "core/services/report_internal.h"
#include "core/services/at_risk.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/credits.h"
#include "core/domain/payload.h"
#include "core/domain/tap.h"
#include "core/services/csvfile.h"
#include "core/services/lists.h"
#include "core/services/tapflow.h"

/* What an unset cell holds: never freed. */
static const char no_text[] = "";

static void row_free(struct report_row *row)
{
    for (int c = 0; c < REPORT_COLUMNS; c++) {
        if (row->cells[c] != no_text)
            free((char *)row->cells[c]); /* report_cell's own copy */
        row->cells[c] = no_text;
    }
}

void report_truncate(struct report *r, size_t n)
{
    while (r->n_rows > n)
        row_free(&r->rows[--r->n_rows]);
}

void report_free(struct report *r)
{
    report_truncate(r, 0);
    free(r->rows);
    free(r->sections);
    memset(r, 0, sizeof(*r));
}

struct report_row *report_add_row(struct report *r)
{
    if (r->n_rows == r->cap_rows) {
        size_t cap = r->cap_rows ? 2 * r->cap_rows : 32;
        struct report_row *grown = realloc(r->rows, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        r->rows = grown;
        r->cap_rows = cap;
    }
    struct report_row *row = &r->rows[r->n_rows++];
    row->short_of_memory = false;
    for (int c = 0; c < REPORT_COLUMNS; c++)
        row->cells[c] = no_text;
    return row;
}

void report_cell(struct report_row *row, int col, const char *fmt, ...)
{
    char text[REPORT_CELL];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
        text[0] = '\0';
    va_end(ap);
    utf8_fix_tail(text); /* display text: cut on a character boundary */
    char *copy = text[0] ? strdup(text) : NULL;
    if (text[0] && !copy) {
        row->short_of_memory = true;
        return;
    }
    if (row->cells[col] != no_text)
        free((char *)row->cells[col]);
    row->cells[col] = copy ? copy : no_text;
}

void report_time_cell(struct report_row *row, int col, int64_t us)
{
    char text[24];
    zone_format_local(us, text);
    report_cell(row, col, "%s", text);
}

void report_date_cell(struct report_row *row, int col, civil_day day)
{
    char text[16];
    civil_format_date(day, text);
    report_cell(row, col, "%s", text);
}

int report_rows_whole(const struct report *r)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        if (r->rows[i].short_of_memory)
            return STORE_ENOMEM;
    }
    return STORE_OK;
}

static struct report_section *add_section(struct report *r)
{
    if (r->n_sections == r->cap_sections) {
        size_t cap = r->cap_sections ? 2 * r->cap_sections : 16;
        struct report_section *grown = realloc(r->sections, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        r->sections = grown;
        r->cap_sections = cap;
    }
    struct report_section *section = &r->sections[r->n_sections++];
    memset(section, 0, sizeof(*section));
    section->first_row = r->n_rows;
    return section;
}

/* Lines are a fixed few, written by this file: one more than fits is a bug, so it shows. */
static void vline(char lines[][REPORT_LINE], int *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vline(char lines[][REPORT_LINE], int *n, const char *fmt, va_list ap)
{
    if (*n == REPORT_LINES) {
        snprintf(lines[REPORT_LINES - 1], REPORT_LINE, "(more lines than a report holds)");
        return;
    }
    vsnprintf(lines[*n], REPORT_LINE, fmt, ap);
    utf8_fix_tail(lines[(*n)++]);
}

void report_add_line(struct report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(r->lines, &r->n_lines, fmt, ap);
    va_end(ap);
}

static void section_line(struct report_section *section, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void section_line(struct report_section *section, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(section->lines, &section->n_lines, fmt, ap);
    va_end(ap);
}

/* "Anne Marie Smith-Jones" sorts under "Smith-Jones", then the whole name. */
static const char *surname(const char *name)
{
    const char *space = strrchr(name, ' ');
    return space ? space + 1 : name;
}

static int by_surname(const void *a, const void *b)
{
    const struct report_row *x = a, *y = b;
    int c = strcoll(surname(x->cells[0]), surname(y->cells[0])); /* the name is first */
    return c ? c : strcoll(x->cells[0], y->cells[0]);
}

/* ---- the register -------------------------------------------------------------------------- */

enum { R_NAME, R_STAFF, R_ACADEMY, R_BOOKED, R_IN, R_OUT, R_FLAGS, R_CREDITS, R_BY_HAND };

struct register_ctx {
    struct store *store;
    const struct rules *rules;
    const struct session *session;
    int64_t at; /* as of */
    struct report *report;
    int attended, absent, unbooked;
    int err;
};

/* Entries by hand and corrections at this session, "who: why; …", from the person's events. */
struct by_hand {
    const char *session;
    char text[REPORT_CELL];
};

static int note_by_hand(void *ctx, const struct event *e)
{
    struct by_hand *b = ctx;
    if (strcmp(e->session, b->session) != 0 || !event_by_hand(e->type))
        return 0;
    char who[DOMAIN_NAME_MAX], why[REPORT_CELL];
    event_who_and_why(e, who, sizeof(who), why, sizeof(why));
    size_t used = strlen(b->text);
    snprintf(b->text + used, sizeof(b->text) - used, "%s%s by %s: %s", used ? "; " : "",
             event_by_hand_words(e->type), who[0] ? who : "?", why);
    utf8_fix_tail(b->text);
    return 0;
}

void report_append(char *text, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(text);
    if (used && used + 2 < cap) {
        memcpy(text + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + used, cap - used, fmt, ap);
    va_end(ap);
    utf8_fix_tail(text);
}

static void flags_of(const struct register_ctx *c, const struct attendance *a, bool booked,
                     char *out, size_t cap)
{
    const struct session *s = c->session;
    out[0] = '\0';
    if (a->flags & ATT_VOID)
        report_append(out, cap, "voided");
    if (a->flags & ATT_LATE)
        report_append(out, cap, "late %d min", (int)((a->in_us - s->start_us) / US_PER_MIN));
    if (a->out_us == 0 && !(a->flags & ATT_VOID))
        report_append(out, cap, "still signed in");
    else if (a->flags & ATT_NO_SIGNOUT)
        report_append(out, cap, "no sign-out (closed at the end)");
    else if (a->flags & ATT_EARLY)
        report_append(out, cap, "left early %d min", (int)((s->end_us - a->out_us) / US_PER_MIN));
    if (a->flags & ATT_APPROVED)
        report_append(out, cap, "approved");
    if (!booked)
        report_append(out, cap, "came without booking");
}

static void credits_of(const struct register_ctx *c, const struct attendance *a, char *out,
                       size_t cap)
{
    const struct session *s = c->session;
    bool review = false;
    char q[16];
    if (a->flags & ATT_VOID) {
        snprintf(out, cap, "0");
    } else if (s->kind == KIND_CPI_INITIAL || s->kind == KIND_MAPA_BLOCK) {
        snprintf(out, cap, "%s",
                 credits_attendance_complete(c->rules, s, a) ? "with the course"
                                                             : "with the course, once reviewed");
    } else if (a->out_us == 0) {
        snprintf(out, cap, "-");
    } else {
        rules_format_quarters(credits_for_attendance(c->rules, s, a, &review), q);
        snprintf(out, cap, "%s%s", q, review ? " (review)" : "");
    }
}

static struct report_row *person_row(struct register_ctx *c, const struct person *p, bool booked)
{
    struct report_row *row = report_add_row(c->report);
    if (!row) {
        c->err = STORE_ENOMEM;
        return NULL;
    }
    report_cell(row, R_NAME, "%s", p->name);
    report_cell(row, R_STAFF, "%s", p->staff_no);
    report_cell(row, R_ACADEMY, "%s", p->academy);
    report_cell(row, R_BOOKED, "%s", booked ? "yes" : "no");
    struct by_hand b = {.session = c->session->code};
    int err = store_events_of(c->store, p->staff_no, note_by_hand, &b);
    if (err != STORE_OK && err != CPD_STOP)
        c->err = err;
    report_cell(row, R_BY_HAND, "%s", b.text);
    return row;
}

static int attended_row(void *ctx, const struct person *p, const struct attendance *stored)
{
    struct register_ctx *c = ctx;
    bool booked = false;
    if (stored->in_us == 0 || stored->in_us > c->at)
        return 0;
    struct attendance now = tap_attendance_as_of(c->rules, c->session, stored, c->at);
    const struct attendance *a = &now;
    int err = store_booked(c->store, p->id, c->session->id, &booked);
    struct report_row *row = err == STORE_OK ? person_row(c, p, booked) : NULL;
    if (!row) {
        c->err = err != STORE_OK ? err : c->err;
        return CPD_STOP;
    }
    report_time_cell(row, R_IN, a->in_us);
    report_time_cell(row, R_OUT, a->out_us);
    char text[REPORT_CELL];
    flags_of(c, a, booked, text, sizeof(text));
    report_cell(row, R_FLAGS, "%s", text);
    credits_of(c, a, text, sizeof(text));
    report_cell(row, R_CREDITS, "%s", text);
    c->attended += !(a->flags & ATT_VOID);
    c->unbooked += !booked && !(a->flags & ATT_VOID);
    return 0;
}

static int booked_row(void *ctx, const struct person *p, int unused)
{
    (void)unused;
    struct register_ctx *c = ctx;
    struct attendance a;
    int err = store_attendance_get(c->store, p->id, c->session->id, &a);
    if (err == STORE_OK && a.in_us != 0)
        return 0; /* in the list already */
    if (err != STORE_OK && err != STORE_ENOTFOUND) {
        c->err = err;
        return CPD_STOP;
    }
    struct report_row *row = person_row(c, p, true);
    if (!row)
        return CPD_STOP;
    report_cell(row, R_FLAGS, "booked, absent");
    report_cell(row, R_CREDITS, "0");
    c->absent++;
    return 0;
}

int report_register(struct store *store, const struct rules *rules, const char *site,
                    const char *session_code, int64_t at_us, struct report *out)
{
    static const char *const columns[] = {"Name",   "Staff no", "Academy",
                                          "Booked", "In",       "Out",
                                          "Flags",  "Credits",  "By hand and corrections"};
    struct session s;
    memset(out, 0, sizeof(*out));
    int err = store_session_by_code(store, session_code, &s);
    if (err != STORE_OK)
        return err;
    struct register_ctx c = {
        .store = store, .rules = rules, .session = &s, .at = at_us, .report = out};
    out->wide = out->signature = true;
    out->n_columns = (int)(sizeof(columns) / sizeof(columns[0]));
    memcpy(out->columns, columns, sizeof(columns));
    char start[24], end[8], credits[16] = "no";
    zone_format_local(s.start_us, start);
    zone_format_hhmm(s.end_us, end);
    if (s.credits_q >= 0)
        rules_format_quarters(s.credits_q, credits);
    utf8_printf(out->title, sizeof(out->title), "Register: %s", s.title);
    report_add_line(out, "Session %s, %s–%s, %s (%s %s)", s.code, start, end,
                    s.location[0] ? s.location : site, credits,
                    s.credits_q == QUARTERS_PER_CREDIT ? "credit printed" : "credits printed");
    err = store_register_each(store, s.id, attended_row, &c);
    size_t attended_rows = out->n_rows;
    if (err == STORE_OK || err == CPD_STOP)
        err = c.err ? c.err : store_bookings_of(store, s.id, booked_row, &c);
    if (err == CPD_STOP)
        err = c.err;
    if (err == STORE_OK)
        err = report_rows_whole(out);
    if (err != STORE_OK) {
        report_free(out);
        return err;
    }
    /* Those who came, then those booked who did not, each by surname as on a paper register. */
    if (attended_rows > 1)
        qsort(out->rows, attended_rows, sizeof(out->rows[0]), by_surname);
    if (out->n_rows - attended_rows > 1)
        qsort(out->rows + attended_rows, out->n_rows - attended_rows, sizeof(out->rows[0]),
              by_surname);
    report_add_line(out, "%d attended (%d without a booking) · %d booked but absent", c.attended,
                    c.unbooked, c.absent);
    return STORE_OK;
}

/* ---- the evacuation list ------------------------------------------------------------------- */

enum { E_NAME, E_STAFF, E_ROLE, E_SESSION, E_ROOM, E_SINCE };

struct evacuation_ctx {
    const struct rules *rules;
    const struct session *session;
    const char *site;
    int64_t at;
    struct report *report;
    int err;
};

static int in_building(void *ctx, const struct person *p, const struct attendance *a)
{
    struct evacuation_ctx *c = ctx;
    /* A sign-out forgotten by then (the checkout window has passed) is closed by the kiosk's
     * sweep: that person left, as in every other report. */
    struct attendance then = tap_attendance_as_of(c->rules, c->session, a, c->at);
    if (then.in_us == 0 || then.out_us != 0 || (then.flags & ATT_VOID))
        return 0;
    struct report_row *row = report_add_row(c->report);
    if (!row) {
        c->err = STORE_ENOMEM;
        return CPD_STOP;
    }
    report_cell(row, E_NAME, "%s", p->name);
    report_cell(row, E_STAFF, "%s", p->staff_no);
    report_cell(row, E_ROLE, "%s", p->trainer ? "trainer" : "staff");
    report_cell(row, E_SESSION, "%s", c->session->title);
    report_cell(row, E_ROOM, "%s", c->session->location[0] ? c->session->location : c->site);
    report_time_cell(row, E_SINCE, a->in_us);
    return 0;
}

/* Trainers are not signed in (their badge opens trainer mode), but they are in the building:
 * one who tapped their badge here since the sessions on now opened (less an hour to set up) is
 * listed, with the session and the time of that tap. */
struct trainers_ctx {
    struct store *store;
    int64_t from, to;
    const struct session *session; /* on now */
    const char *site;
    struct report *report;
    int err;
};

static int trainer_here(void *ctx, const struct event *e)
{
    struct trainers_ctx *c = ctx;
    struct person p;
    if (e->wall_us < c->from || e->wall_us > c->to ||
        store_person_by_staff_no(c->store, e->person, &p) != STORE_OK || !p.active)
        return 0;
    for (size_t i = 0; i < c->report->n_rows; i++) {
        struct report_row *row = &c->report->rows[i];
        if (strcmp(row->cells[E_STAFF], p.staff_no) == 0) {
            if (strcmp(row->cells[E_ROLE], "trainer") == 0) /* a later tap: the latest time */
                report_time_cell(row, E_SINCE, e->wall_us);
            return 0;
        }
    }
    struct report_row *row = report_add_row(c->report);
    if (!row) {
        c->err = STORE_ENOMEM;
        return CPD_STOP;
    }
    report_cell(row, E_NAME, "%s", p.name);
    report_cell(row, E_STAFF, "%s", p.staff_no);
    report_cell(row, E_ROLE, "trainer");
    report_cell(row, E_SESSION, "%s", c->session->title);
    report_cell(row, E_ROOM, "%s", c->session->location[0] ? c->session->location : c->site);
    report_time_cell(row, E_SINCE, e->wall_us);
    return 0;
}

static int trainers_in_building(struct store *store, const struct rules *rules,
                                const struct session *sessions, size_t n, const char *site,
                                int64_t at_us, struct report *out)
{
    const struct session *on = NULL;
    int64_t from = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t opens = sessions[i].start_us - rules->open_before_min * US_PER_MIN;
        int64_t closes = sessions[i].end_us + rules->checkout_after_min * US_PER_MIN;
        if (opens <= at_us && at_us <= closes && (!on || opens < from)) {
            on = &sessions[i];
            from = opens;
        }
    }
    if (!on)
        return STORE_OK;
    struct trainers_ctx c = {.store = store,
                             .from = from - 60 * US_PER_MIN,
                             .to = at_us,
                             .session = on,
                             .site = site,
                             .report = out};
    int err = store_events_of_type(store, EV_TRAINER_BADGE, trainer_here, &c);
    return err == CPD_STOP || err == STORE_OK ? c.err : err;
}

int report_evacuation(struct store *store, const struct rules *rules, const char *site,
                      int64_t at_us, struct report *out)
{
    /* The last column is for the fire warden's tick, on paper. */
    static const char *const columns[] = {"Name", "Staff no",  "Role",         "Session",
                                          "Room", "Signed in", "Accounted for"};
    struct session *sessions = NULL;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    out->n_columns = (int)(sizeof(columns) / sizeof(columns[0]));
    memcpy(out->columns, columns, sizeof(columns));
    /* Every session someone could still be in at that time. */
    int64_t day = INT64_C(24) * 60 * US_PER_MIN;
    int err = lists_sessions_between(store, at_us - day,
                                     at_us + rules->open_before_min * US_PER_MIN, &sessions, &n);
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        struct evacuation_ctx c = {
            .rules = rules, .session = &sessions[i], .site = site, .at = at_us, .report = out};
        err = store_register_each(store, sessions[i].id, in_building, &c);
        if (err == CPD_STOP || c.err)
            err = c.err ? c.err : STORE_OK;
    }
    if (err == STORE_OK)
        err = trainers_in_building(store, rules, sessions, n, site, at_us, out);
    free(sessions);
    if (err == STORE_OK)
        err = report_rows_whole(out);
    if (err != STORE_OK) {
        report_free(out);
        return err;
    }
    if (out->n_rows > 1)
        qsort(out->rows, out->n_rows, sizeof(out->rows[0]), by_surname);
    /* One line a person, even signed into two sessions at once. */
    size_t keep = 0;
    for (size_t i = 0; i < out->n_rows; i++) {
        bool seen = false;
        for (size_t j = 0; j < keep && !seen; j++)
            seen = strcmp(out->rows[j].cells[E_STAFF], out->rows[i].cells[E_STAFF]) == 0;
        if (!seen)
            out->rows[keep++] = out->rows[i];
    }
    out->n_rows = keep;
    char when[24];
    zone_format_local(at_us, when);
    snprintf(out->title, sizeof(out->title), "Evacuation list: %s", site);
    report_add_line(out, "Everyone signed in for CPD by the kiosk's records at %s", when);
    report_add_line(out, "%zu %s in the building", out->n_rows,
                    out->n_rows == 1 ? "person" : "people");
    return STORE_OK;
}

/* ---- every person's year ----------------------------------------------------------------- */

static void quarters(int q, char *out)
{
    rules_format_quarters(q, out);
}

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
    if (err == STORE_OK)
        err = report_rows_whole(out);
    if (err != STORE_OK) {
        report_free(out);
        return err;
    }
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
    quarters(s->total_q, q);
    report_cell(row, 3, "%s", q);
    char breaches[REPORT_CELL] = "";
    for (int t = 0; t < TERM_COUNT; t++) {
        quarters(s->term_q[t], q);
        report_cell(row, 4 + t, "%s", q);
        if (s->term_breach[t])
            report_append(breaches, sizeof(breaches), "%s", rules_term_name(t));
    }
    report_cell(row, 7, "%s", breaches);
    report_cell(row, 8, "%d", s->review_count);
    quarters(s->target_q > s->total_q ? s->target_q - s->total_q : 0, q);
    report_cell(row, 9, "%s", q);
    char target[16];
    quarters(rules->target_quarters, target);
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
    quarters(s->total_q, q);
    quarters(s->target_q > s->total_q ? s->target_q - s->total_q : 0, need);
    rules_format_quarters(s->target_q, line);
    section_line(sec, "Credits this year: %s of %s (%s still needed)", q, line, need);
    line[0] = '\0';
    for (int t = 0; t < TERM_COUNT; t++) {
        quarters(s->term_q[t], q);
        report_append(line, sizeof(line), "%s %s%s", rules_term_name(t), q,
                      s->term_breach[t] ? " (BREACH: ended at 0)" : "");
        sec->term_q[t] = s->term_q[t];
        sec->term_breach[t] = s->term_breach[t];
    }
    section_line(sec, "%s", line);
    sec->total_q = s->total_q;
    sec->target_q = s->target_q;
    if (s->prerecorded_claimed_q > 0) {
        char counted[16];
        quarters(s->prerecorded_claimed_q, q);
        quarters(s->prerecorded_counted_q, counted);
        section_line(sec, "Pre-recorded: %s claimed, %s counted (the cap applied)", q, counted);
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
        section_line(sec, "%s", line);
    section_line(sec, "Awaiting review: %d %s", s->review_count,
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
    section_line(sec, "Mandatory training due: %s", line[0] ? line : "none within 30 days");
    if (never[0])
        section_line(sec, "Mandatory training not recorded: %s", never);
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
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        struct correction_note *grown = realloc(c->list, cap * sizeof(*grown));
        if (!grown) {
            c->err = STORE_ENOMEM;
            return CPD_STOP;
        }
        c->list = grown;
        c->cap = cap;
    }
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
        quarters(it->credits_q, q);
        report_cell(row, 7, "%s", q);
        quarters(running_q, q);
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
            struct report_section *sec = add_section(out);
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
    if (err == STORE_OK)
        err = report_rows_whole(out);
    if (err != STORE_OK) {
        report_free(out);
        return err;
    }
    char when[24];
    zone_format_local(at_us, when);
    snprintf(out->title, sizeof(out->title), "Statements: %s",
             term >= 0 ? rules_term_name(term) : "the year");
    report_add_line(out, "As of %s, every figure from the credits engine", when);
    report_add_line(out, "%zu %s, %d below the target so far", people,
                    people == 1 ? "person" : "people", behind);
    return STORE_OK;
}

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
        quarters(r->cpi.credits_q, q);
        report_append(out, cap, "or CPI Initial Training from %s (%d sessions, %s credits)", day,
                      r->cpi.sessions, q);
    }
    if (r->mapa.first) {
        civil_format_short(r->mapa.first->date, day);
        quarters(r->mapa.credits_q, q);
        report_append(out, cap,
                      "or MAPA Refresher from %s (%d days and the online part, %s "
                      "credits)",
                      day, r->mapa.sessions, q);
    }
    if (r->prerecorded_headroom_q > 0) {
        quarters(r->prerecorded_headroom_q, q);
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
        quarters(rules->target_quarters, target);
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
        quarters(x->risk.total_q, q);
        report_cell(row, 4, "%s", q);
        quarters(x->risk.needed_q, q);
        report_cell(row, 5, "%s", q);
        quarters(x->risk.reachable_q, q);
        report_cell(row, 6, "%s", q);
        risk_text(rules, &x->risk, coming, text, sizeof(text));
        report_cell(row, 7, "%s", text);
        way_back_text(&x->risk, coming, text, sizeof(text));
        report_cell(row, 8, "%s", text);
    }
    at_risk_free(&list);
    if (err == STORE_OK)
        err = report_rows_whole(out);
    if (err != STORE_OK) {
        report_free(out);
        return err;
    }
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

/* ---- writing ------------------------------------------------------------------------------- */

static int column_width(const struct report *r, int col)
{
    int w = utf8_width(r->columns[col]);
    for (size_t i = 0; i < r->n_rows; i++) {
        int cw = utf8_width(r->rows[i].cells[col]);
        w = cw > w ? cw : w;
    }
    return w;
}

/* Text as a terminal should get it: nothing in a name can move the cursor or retitle it. */
static void put_printable(FILE *out, const char *text)
{
    char safe[REPORT_LINE * 3];
    utf8_printable(safe, sizeof(safe), text);
    fputs(safe, out);
}

static void padded(FILE *out, const char *text, int width, bool last)
{
    put_printable(out, text);
    for (int i = utf8_width(text); !last && i < width + 2; i++)
        fputc(' ', out);
}

int report_write_text(const struct report *r, FILE *out)
{
    int widths[REPORT_COLUMNS];
    put_printable(out, r->title);
    fputc('\n', out);
    for (int i = 0; i < r->n_lines; i++) {
        put_printable(out, r->lines[i]);
        fputc('\n', out);
    }
    fputc('\n', out);
    for (int c = 0; c < r->n_columns; c++) {
        widths[c] = column_width(r, c);
        padded(out, r->columns[c], widths[c], c == r->n_columns - 1);
    }
    fputc('\n', out);
    for (size_t i = 0; i < r->n_rows; i++) {
        for (int c = 0; c < r->n_columns; c++)
            padded(out, r->rows[i].cells[c], widths[c], c == r->n_columns - 1);
        fputc('\n', out);
    }
    return ferror(out) ? CSVFILE_EIO : STORE_OK;
}

int report_write_csv(const struct report *r, FILE *out)
{
    const char *row[REPORT_COLUMNS];
    if (fputs("\xEF\xBB\xBF", out) == EOF) /* the BOM: Excel reads UTF-8 */
        return CSVFILE_EIO;
    int err = csvfile_write_row(out, r->columns, (size_t)r->n_columns);
    for (size_t i = 0; i < r->n_rows && err == CSVFILE_OK; i++) {
        for (int c = 0; c < r->n_columns; c++)
            row[c] = r->rows[i].cells[c];
        err = csvfile_write_cells(out, row, (size_t)r->n_columns);
    }
    return err == CSVFILE_OK ? STORE_OK : err;
}
