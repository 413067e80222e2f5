#include "core/store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/domain/projection.h"

/* ---- programme --------------------------------------------------------------------------- */

int store_course_upsert(struct store *s, const struct course_row *c, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_COURSE_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, c->code);
    st_bind_text(st, 2, c->period);
    st_bind_text(st, 3, c->category);
    st_bind_text(st, 4, c->title);
    st_bind_text(st, 5, domain_delivery_code(c->delivery));
    st_bind_text(st, 6, domain_kind_code(c->kind));
    if (c->credits_q >= 0)
        sqlite3_bind_int(st, 7, c->credits_q);
    st_bind_text(st, 8, c->group);
    st_bind_text(st, 9, domain_frequency_code(c->frequency));
    st_bind_text(st, 10, c->due);
    st_bind_text(st, 11, c->note);
    return st_run_returning_id(s, st, id_out);
}

int store_course_by_code(struct store *s, const char *code, struct course_row *c, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    char text[32];
    int err = st_prepare(s, ST_COURSE_BY_CODE, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, code);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    memset(c, 0, sizeof(*c));
    if (id_out)
        *id_out = sqlite3_column_int64(st, 0);
    st_column_text(st, 1, c->code, sizeof(c->code));
    st_column_text(st, 2, c->period, sizeof(c->period));
    st_column_text(st, 3, c->category, sizeof(c->category));
    st_column_text(st, 4, c->title, sizeof(c->title));
    st_column_text(st, 5, text, sizeof(text));
    c->delivery =
        (enum delivery)(domain_delivery_parse(text) < 0 ? 0 : domain_delivery_parse(text));
    st_column_text(st, 6, text, sizeof(text));
    c->kind = (enum course_kind)(domain_kind_parse(text) < 0 ? 0 : domain_kind_parse(text));
    c->credits_q = sqlite3_column_int(st, 7);
    st_column_text(st, 8, c->group, sizeof(c->group));
    st_column_text(st, 9, text, sizeof(text));
    c->frequency =
        (enum frequency)(domain_frequency_parse(text) < 0 ? 0 : domain_frequency_parse(text));
    st_column_text(st, 10, c->due, sizeof(c->due));
    st_column_text(st, 11, c->note, sizeof(c->note));
    st_done(st);
    return STORE_OK;
}

int store_session_upsert(struct store *s, int64_t course_id, const struct session *x,
                         int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_SESSION_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, course_id);
    sqlite3_bind_int(st, 2, x->date);
    sqlite3_bind_int(st, 3, x->start_min);
    sqlite3_bind_int(st, 4, x->end_min);
    sqlite3_bind_int64(st, 5, x->start_us);
    sqlite3_bind_int64(st, 6, x->end_us);
    st_bind_text(st, 7, x->location);
    return st_run_returning_id(s, st, id_out);
}

static int session_one(struct store *s, sqlite3_stmt *st, struct session *out)
{
    int err = st_step_one(s, st);
    if (err != STORE_OK)
        return err;
    st_read_session(st, 0, out);
    st_done(st);
    return STORE_OK;
}

int store_session_by_code(struct store *s, const char *code, struct session *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_SESSION_BY_CODE, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, code);
    return session_one(s, st, out);
}

int store_session_by_id(struct store *s, int64_t id, struct session *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_SESSION_BY_ID, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, id);
    return session_one(s, st, out);
}

int store_next_session(struct store *s, int64_t from_us, struct session *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_NEXT_SESSION, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, from_us);
    return session_one(s, st, out);
}

static int session_list(struct store *s, sqlite3_stmt *st, struct session *out, size_t cap,
                        size_t *n)
{
    *n = 0;
    FOR_EACH_ROW(s, st, (*n < cap ? (st_read_session(st, 0, &out[(*n)++]), 0) : STORE_ETOOMANY));
}

int store_sessions_between(struct store *s, int64_t from_us, int64_t to_us, struct session *out,
                           size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_SESSIONS_BETWEEN, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, from_us);
    sqlite3_bind_int64(st, 2, to_us);
    return session_list(s, st, out, cap, n);
}

int store_package_sessions(struct store *s, struct session *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_PACKAGE_SESSIONS, &st);
    if (err != STORE_OK)
        return err;
    return session_list(s, st, out, cap, n);
}

static int mandatory_row(sqlite3_stmt *st, struct mandatory_course *out, size_t cap, size_t *n)
{
    if (*n >= cap)
        return STORE_ETOOMANY;
    struct mandatory_course *m = &out[(*n)++];
    char freq[32];
    m->course_id = sqlite3_column_int64(st, 0);
    st_column_text(st, 1, m->title, sizeof(m->title));
    st_column_text(st, 2, freq, sizeof(freq));
    int f = domain_frequency_parse(freq);
    m->frequency = f < 0 ? FREQ_NONE : (enum frequency)f;
    st_column_text(st, 3, m->group, sizeof(m->group));
    return 0;
}

int store_mandatory_courses(struct store *s, struct mandatory_course *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_MANDATORY, &st);
    if (err != STORE_OK)
        return err;
    *n = 0;
    FOR_EACH_ROW(s, st, mandatory_row(st, out, cap, n));
}

/* ---- bookings and external credits ------------------------------------------------------- */

int store_booking_add(struct store *s, int64_t person_id, int64_t session_id)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BOOKING_ADD, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    return st_run(s, st);
}

int store_booked(struct store *s, int64_t person_id, int64_t session_id, bool *booked)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BOOKED, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    err = st_step_one(s, st);
    *booked = err == STORE_OK;
    if (err == STORE_OK)
        st_done(st);
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

int store_external_upsert(struct store *s, const struct external_row *x)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EXTERNAL_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, x->person_id);
    sqlite3_bind_int64(st, 2, x->course_id);
    st_bind_text(st, 3, domain_source_code(x->source));
    sqlite3_bind_int(st, 4, x->date);
    sqlite3_bind_int(st, 5, x->credits_q);
    st_bind_text(st, 6, x->certificate);
    sqlite3_bind_int(st, 7, x->directed ? 1 : 0);
    st_bind_text(st, 8, x->note);
    return st_run(s, st);
}

int store_external_get(struct store *s, int64_t person_id, int64_t course_id, civil_day date,
                       struct external_row *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EXTERNAL_GET, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, course_id);
    sqlite3_bind_int(st, 3, date);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    char source[32];
    memset(out, 0, sizeof(*out));
    out->person_id = person_id;
    out->course_id = course_id;
    out->date = date;
    st_column_text(st, 0, source, sizeof(source));
    int src = domain_source_parse(source);
    out->source = src < 0 ? SOURCE_LIVE_TEAMS : (enum external_source)src;
    out->credits_q = sqlite3_column_int(st, 1);
    st_column_text(st, 2, out->certificate, sizeof(out->certificate));
    out->directed = sqlite3_column_int(st, 3) != 0;
    st_column_text(st, 4, out->note, sizeof(out->note));
    st_done(st);
    return STORE_OK;
}

static int external_row(sqlite3_stmt *st, struct external_credit *out, size_t cap, size_t *n)
{
    if (*n >= cap)
        return STORE_ETOOMANY;
    struct external_credit *x = &out[(*n)++];
    char source[32];
    memset(x, 0, sizeof(*x));
    x->course_id = sqlite3_column_int64(st, 0);
    st_column_text(st, 1, x->course_code, sizeof(x->course_code));
    st_column_text(st, 2, x->title, sizeof(x->title));
    st_column_text(st, 3, x->group, sizeof(x->group));
    st_column_text(st, 4, source, sizeof(source));
    int src = domain_source_parse(source);
    x->source = src < 0 ? SOURCE_LIVE_TEAMS : (enum external_source)src;
    x->date = (civil_day)sqlite3_column_int(st, 5);
    x->credits_q = sqlite3_column_int(st, 6);
    x->has_certificate = sqlite3_column_int(st, 7) != 0;
    x->directed = sqlite3_column_int(st, 8) != 0;
    x->has_reason = sqlite3_column_int(st, 9) != 0;
    char code[32];
    st_column_text(st, 10, code, sizeof(code));
    int kind = domain_kind_parse(code);
    x->kind = kind < 0 ? KIND_SINGLE : (enum course_kind)kind;
    st_column_text(st, 11, code, sizeof(code));
    int delivery = domain_delivery_parse(code);
    x->delivery = delivery < 0 ? DELIVERY_FACE_TO_FACE : (enum delivery)delivery;
    x->printed_q = sqlite3_column_int(st, 12);
    st_column_text(st, 13, code, sizeof(code));
    x->repeatable = domain_category_repeatable(code);
    x->has_session = sqlite3_column_type(st, 14) != SQLITE_NULL;
    x->session_date = (civil_day)sqlite3_column_int(st, 14);
    x->voided = sqlite3_column_int(st, 15) != 0;
    return 0;
}

int store_external_for(struct store *s, int64_t person_id, struct external_credit *out, size_t cap,
                       size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EXTERNAL_FOR, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    *n = 0;
    FOR_EACH_ROW(s, st, external_row(st, out, cap, n));
}
