#include "core/services/evaluation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/civil.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/payload.h"

struct answered {
    const char *session;
    bool found;
};

static int find_answer(void *ctx, const struct event *e)
{
    struct answered *a = ctx;
    a->found |= e->type == EV_EVALUATION && strcmp(e->session, a->session) == 0;
    return 0;
}

int evaluation_record(struct store *store, const char *clock_state, const struct person *person,
                      const struct session *session, int score, int64_t now_us, int64_t mono_us)
{
    if (score < 1 || score > EVALUATION_SCORES)
        return STORE_EINVALID;
    struct attendance a;
    int err = store_attendance_get(store, person->id, session->id, &a);
    if (err == STORE_ENOTFOUND ||
        (err == STORE_OK && (a.in_us == 0 || a.out_us == 0 || (a.flags & ATT_VOID))))
        return STORE_EINVALID; /* only someone who was there, and has left, says how it was */
    struct answered answered = {.session = session->code};
    if (err == STORE_OK)
        err = store_events_of(store, person->staff_no, find_answer, &answered);
    if (err != STORE_OK)
        return err;
    if (answered.found)
        return STORE_EINVALID;
    struct payload_field f[] = {PAYLOAD_INT_FIELD("score", score)};
    char payload[EVENT_PAYLOAD_MAX];
    struct event e;
    if (payload_write(payload, sizeof(payload), f, 1) != PAYLOAD_OK ||
        event_make(&e, EV_EVALUATION, person->staff_no, session->code, now_us, mono_us, clock_state,
                   payload) != EVENT_OK)
        return STORE_EINVALID;
    return store_append_event(store, &e);
}

/* A recorded answer's score, or 0 when the event carries none that makes sense. */
static int score_of(const struct event *e)
{
    int64_t score = 0;
    if (e->type != EV_EVALUATION || payload_get_int(e->payload, "score", &score) != PAYLOAD_OK ||
        score < 1 || score > EVALUATION_SCORES)
        return 0;
    return (int)score;
}

static void count(struct evaluation_tally *t, int score)
{
    t->answers++;
    t->count[score - 1]++;
    t->sum += score;
}

/* The answers that count: up to at_us, of one session (or all), the first of each person for
 * a session (another kiosk's second answer does not count twice), and not for an attendance
 * voided since (they were not there). */
struct answer {
    char person[DOMAIN_CODE_MAX];
    char session[DOMAIN_CODE_MAX];
    int score;
};

struct answers {
    int64_t at_us;
    const char *session; /* NULL: every session */
    struct answer *list;
    size_t n, cap;
    int err;
};

static int collect(void *ctx, const struct event *e)
{
    struct answers *a = ctx;
    int score = score_of(e);
    if (!score || e->wall_us > a->at_us || (a->session && strcmp(e->session, a->session) != 0))
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->list[i].person, e->person) == 0 &&
            strcmp(a->list[i].session, e->session) == 0)
            return 0; /* the first answer stands */
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        struct answer *grown = realloc(a->list, cap * sizeof(*grown));
        if (!grown) {
            a->err = STORE_ENOMEM;
            return CPD_STOP;
        }
        a->list = grown;
        a->cap = cap;
    }
    struct answer *x = &a->list[a->n++];
    utf8_copy(x->person, sizeof(x->person), e->person);
    utf8_copy(x->session, sizeof(x->session), e->session);
    x->score = score;
    return 0;
}

static int still_attended(struct store *store, const struct answer *x, bool *yes)
{
    struct person p;
    struct session s;
    struct attendance a;
    int err = store_person_by_staff_no(store, x->person, &p);
    if (err == STORE_OK)
        err = store_session_by_code(store, x->session, &s);
    if (err == STORE_OK)
        err = store_attendance_get(store, p.id, s.id, &a);
    *yes = err == STORE_OK && a.in_us != 0 && !(a.flags & ATT_VOID);
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

static int answers_of(struct store *store, int64_t at_us, const char *session, struct answers *out)
{
    *out = (struct answers){.at_us = at_us, .session = session};
    int err = store_events_of_type(store, EV_EVALUATION, collect, out);
    if (err == CPD_STOP || err == STORE_OK)
        err = out->err;
    size_t keep = 0;
    for (size_t i = 0; i < out->n && err == STORE_OK; i++) {
        bool yes = false;
        err = still_attended(store, &out->list[i], &yes);
        if (yes)
            out->list[keep++] = out->list[i];
    }
    out->n = keep;
    return err;
}

int evaluation_tally_of(struct store *store, const char *session_code, struct evaluation_tally *out)
{
    memset(out, 0, sizeof(*out));
    utf8_copy(out->session, sizeof(out->session), session_code);
    struct answers a;
    int err = answers_of(store, INT64_MAX, session_code, &a);
    for (size_t i = 0; i < a.n && err == STORE_OK; i++)
        count(out, a.list[i].score);
    free(a.list);
    return err;
}

/* "4.3": the average to one decimal, rounded half up. */
static void average(const struct evaluation_tally *t, char out[16])
{
    int tenths = t->answers ? (t->sum * 10 + t->answers / 2) / t->answers : 0;
    snprintf(out, 16, "%d.%d", tenths / 10, tenths % 10);
}

void evaluation_words(const struct evaluation_tally *t, char *out, size_t cap)
{
    char avg[16];
    average(t, avg);
    if (t->answers == 0)
        snprintf(out, cap, "%s", "");
    else
        snprintf(out, cap, "%d %s, average %s of %d", t->answers,
                 t->answers == 1 ? "answer" : "answers", avg, EVALUATION_SCORES);
}

/* The answers, per session, in the order sessions were first answered. */
static int tally_sessions(const struct answers *a, struct evaluation_tally **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct evaluation_tally *list = a->n ? calloc(a->n, sizeof(*list)) : NULL;
    if (a->n && !list)
        return STORE_ENOMEM;
    for (size_t i = 0; i < a->n; i++) {
        size_t k = 0;
        while (k < *n && strcmp(list[k].session, a->list[i].session) != 0)
            k++;
        if (k == *n)
            utf8_copy(list[(*n)++].session, sizeof(list[0].session), a->list[i].session);
        count(&list[k], a->list[i].score);
    }
    *out = list;
    return STORE_OK;
}

struct dated {
    struct evaluation_tally tally;
    struct session session;
};

static int by_start(const void *a, const void *b)
{
    const struct dated *x = a, *y = b;
    if (x->session.start_us != y->session.start_us)
        return x->session.start_us < y->session.start_us ? -1 : 1;
    return strcmp(x->session.code, y->session.code);
}

int report_evaluations(struct store *store, int64_t at_us, struct report *out)
{
    static const char *const columns[] = {
        "Date", "Session", "Programme id", "Answers", "Average", "1", "2", "3", "4", "5"};
    memset(out, 0, sizeof(*out));
    out->n_columns = (int)(sizeof(columns) / sizeof(columns[0]));
    memcpy(out->columns, columns, sizeof(columns));
    struct answers given;
    struct {
        struct evaluation_tally *list;
        size_t n;
    } t = {NULL, 0};
    struct dated *rows = NULL;
    int err = answers_of(store, at_us, NULL, &given);
    if (err == STORE_OK)
        err = tally_sessions(&given, &t.list, &t.n);
    free(given.list);
    if (err == STORE_OK && t.n && !(rows = calloc(t.n, sizeof(*rows))))
        err = STORE_ENOMEM;
    for (size_t i = 0; i < t.n && err == STORE_OK; i++) {
        rows[i].tally = t.list[i];
        err = store_session_by_code(store, t.list[i].session, &rows[i].session);
        if (err == STORE_ENOTFOUND) { /* no longer in the programme: still counted, by name */
            utf8_copy(rows[i].session.code, sizeof(rows[i].session.code), t.list[i].session);
            utf8_copy(rows[i].session.title, sizeof(rows[i].session.title), t.list[i].session);
            err = STORE_OK;
        }
    }
    if (err == STORE_OK && t.n > 1)
        qsort(rows, t.n, sizeof(*rows), by_start);
    int answers = 0, sum = 0;
    for (size_t i = 0; i < t.n && err == STORE_OK; i++) {
        struct report_row *row = report_add_row(out);
        if (!row) {
            err = STORE_ENOMEM;
            break;
        }
        const struct evaluation_tally *x = &rows[i].tally;
        char text[16] = "";
        if (rows[i].session.start_us)
            civil_format_date(rows[i].session.date, text);
        report_cell(row, 0, "%s", text);
        report_cell(row, 1, "%s", rows[i].session.title);
        report_cell(row, 2, "%s", rows[i].session.code);
        report_cell(row, 3, "%d", x->answers);
        average(x, text);
        report_cell(row, 4, "%s", text);
        for (int s = 0; s < EVALUATION_SCORES; s++)
            report_cell(row, 5 + s, "%d", x->count[s]);
        answers += x->answers;
        sum += x->sum;
    }
    free(rows);
    free(t.list);
    if ((err = report_made(out, err)) != STORE_OK)
        return err;
    snprintf(out->title, sizeof(out->title), "Session evaluations");
    out->wide = true;
    char asof[24];
    zone_format_local(at_us, asof);
    report_add_line(out,
                    "\"How useful was tonight?\", answered at sign-out: 1 not useful … 5 very "
                    "useful; as of %s",
                    asof);
    struct evaluation_tally all = {.answers = answers, .sum = sum};
    char avg[16];
    average(&all, avg);
    report_add_line(
        out, "%zu %s, %d %s%s%s", out->n_rows, out->n_rows == 1 ? "session" : "sessions", answers,
        answers == 1 ? "answer" : "answers", answers ? ", average " : "", answers ? avg : "");
    return STORE_OK;
}
