/* The register of a session and the evacuation list (report.h): who came, who is here. */
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
    if ((err = report_made(out, err)) != STORE_OK)
        return err;
    /* Those who came, then those booked who did not, each by surname as on a paper register. */
    if (attended_rows > 1)
        qsort(out->rows, attended_rows, sizeof(out->rows[0]), report_by_surname);
    if (out->n_rows - attended_rows > 1)
        qsort(out->rows + attended_rows, out->n_rows - attended_rows, sizeof(out->rows[0]),
              report_by_surname);
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
    if ((err = report_made(out, err)) != STORE_OK)
        return err;
    if (out->n_rows > 1)
        qsort(out->rows, out->n_rows, sizeof(out->rows[0]), report_by_surname);
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
