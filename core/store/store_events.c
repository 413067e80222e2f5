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
#include "core/domain/payload.h"
#include "core/domain/projection.h"

/* ---- attendance projection --------------------------------------------------------------- */

int store_attendance_get(struct store *s, int64_t person_id, int64_t session_id,
                         struct attendance *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_ATT_GET, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    st_read_attendance(st, 0, out);
    st_done(st);
    return STORE_OK;
}

static int attendance_put(struct store *s, const struct attendance *a)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_ATT_PUT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, a->person_id);
    sqlite3_bind_int64(st, 2, a->session_id);
    sqlite3_bind_int64(st, 3, a->in_us);
    sqlite3_bind_int64(st, 4, a->out_us);
    sqlite3_bind_int(st, 5, (int)a->flags);
    sqlite3_bind_int(st, 6, a->override_q);
    return st_run(s, st);
}

static int attendance_row(sqlite3_stmt *st, struct session *sessions, struct attendance *rows,
                          size_t cap, size_t *n)
{
    if (*n >= cap)
        return STORE_ETOOMANY;
    st_read_session(st, 0, &sessions[*n]);
    st_read_attendance(st, SESSION_NCOLS, &rows[*n]);
    (*n)++;
    return 0;
}

int store_attendance_of(struct store *s, int64_t person_id, struct session *sessions,
                        struct attendance *rows, size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_ATT_OF, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    *n = 0;
    FOR_EACH_ROW(s, st, attendance_row(st, sessions, rows, cap, n));
}

static int open_row(sqlite3_stmt *st, store_open_fn fn, void *ctx)
{
    struct person p;
    struct session x;
    struct attendance a;
    st_read_person(st, 0, &p);
    st_read_session(st, PERSON_NCOLS, &x);
    st_read_attendance(st, PERSON_NCOLS + SESSION_NCOLS, &a);
    return fn(ctx, &p, &x, &a);
}

int store_open_attendance_each(struct store *s, int64_t ended_before_us, store_open_fn fn,
                               void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_ATT_OPEN, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, ended_before_us);
    FOR_EACH_ROW(s, st, open_row(st, fn, ctx));
}

static int register_row(sqlite3_stmt *st, store_register_fn fn, void *ctx)
{
    struct person p;
    struct attendance a;
    st_read_person(st, 0, &p);
    st_read_attendance(st, PERSON_NCOLS, &a);
    return fn(ctx, &p, &a);
}

int store_register_each(struct store *s, int64_t session_id, store_register_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_REGISTER, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, session_id);
    FOR_EACH_ROW(s, st, register_row(st, fn, ctx));
}

static int booking_row(sqlite3_stmt *st, store_person_fn fn, void *ctx)
{
    struct person p;
    st_read_person(st, 0, &p);
    return fn(ctx, &p, 0);
}

int store_bookings_of(struct store *s, int64_t session_id, store_person_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BOOKINGS_OF, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, session_id);
    FOR_EACH_ROW(s, st, booking_row(st, fn, ctx));
}

/* Folds one event into the attendance row it concerns. Events about people or sessions this
 * store does not know (yet) change no row: the event itself is still the record. */
/* A revoked badge, from its event: refused from then on, whatever the roster says. */
static int project_revocation(struct store *s, const struct event *e)
{
    char hex[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    if (payload_get_str(e->payload, "badge_hash", hex, sizeof(hex)) != PAYLOAD_OK ||
        crypto_unhex(hash, sizeof(hash), hex) != CRYPTO_OK)
        return STORE_OK; /* a malformed one revokes nothing (verify still checks its seal) */
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_REVOCATION_PUT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, e->seq);
    sqlite3_bind_int64(st, 3, e->wall_us);
    return st_run(s, st);
}

/* A voided credit, from its event, by the ids an import keeps: programme id and date. */
static int project_credit_void(struct store *s, const struct event *e)
{
    char code[DOMAIN_CODE_MAX], date[CIVIL_DATE_LEN + 4];
    civil_day day;
    if (payload_get_str(e->payload, "programme", code, sizeof(code)) != PAYLOAD_OK ||
        payload_get_str(e->payload, "date", date, sizeof(date)) != PAYLOAD_OK ||
        civil_parse_date(date, &day) != 0)
        return STORE_OK; /* a malformed one voids nothing (verify still checks its seal) */
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_CREDIT_VOID_PUT, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, e->person);
    st_bind_text(st, 2, code);
    sqlite3_bind_int(st, 3, day);
    sqlite3_bind_int64(st, 4, e->seq);
    return st_run(s, st);
}

static int project_booking_cancel(struct store *s, const struct event *e)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BOOKING_CANCEL_PUT, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, e->person);
    st_bind_text(st, 2, e->session);
    sqlite3_bind_int64(st, 3, e->seq);
    return st_run(s, st);
}

static int project(struct store *s, const struct event *e)
{
    if (e->type == EV_BOOKING_CANCELLED)
        return project_booking_cancel(s, e);
    if (e->type == EV_BADGE_REVOKED)
        return project_revocation(s, e);
    if (e->type == EV_CREDIT_VOIDED)
        return project_credit_void(s, e);
    if (!projection_affects(e->type))
        return STORE_OK;
    struct person p;
    struct session x;
    int err = store_person_by_staff_no(s, e->person, &p);
    if (err == STORE_OK)
        err = store_session_by_code(s, e->session, &x);
    if (err == STORE_ENOTFOUND) {
        s->unprojected++; /* a rebuild folds it in once they are known */
        return STORE_OK;
    }
    if (err != STORE_OK)
        return err;
    struct attendance row;
    err = store_attendance_get(s, p.id, x.id, &row);
    if (err == STORE_ENOTFOUND)
        projection_row_init(&row, p.id, x.id);
    else if (err != STORE_OK)
        return err;
    return projection_apply(&row, e) ? attendance_put(s, &row) : STORE_OK;
}

/* ---- events ------------------------------------------------------------------------------ */

int chain_tip(struct store *s, int64_t *seq, uint8_t hash[CRYPTO_HASH_BYTES])
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_LAST_EVENT, &st);
    if (err != STORE_OK)
        return err;
    err = st_step_one(s, st);
    if (err == STORE_ENOTFOUND) {
        *seq = 0;
        memset(hash, 0, CRYPTO_HASH_BYTES);
        return STORE_OK;
    }
    if (err != STORE_OK)
        return err;
    *seq = sqlite3_column_int64(st, 0);
    st_column_blob(st, 1, hash, CRYPTO_HASH_BYTES);
    st_done(st);
    return STORE_OK;
}

static int insert_event(struct store *s, const struct event *e)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EVENT_INSERT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, e->seq);
    st_bind_text(st, 2, e->uuid);
    st_bind_text(st, 3, e->kiosk);
    st_bind_text(st, 4, event_type_code(e->type));
    st_bind_text(st, 5, e->person);
    st_bind_text(st, 6, e->session);
    sqlite3_bind_int64(st, 7, e->wall_us);
    sqlite3_bind_int64(st, 8, e->mono_us);
    st_bind_text(st, 9, e->clock);
    st_bind_text(st, 10, e->payload);
    sqlite3_bind_blob(st, 11, e->prev_hash, CRYPTO_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 12, e->hash, CRYPTO_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 13, e->sig, CRYPTO_SIG_BYTES, SQLITE_TRANSIENT);
    return st_run(s, st);
}

/* Inside the transaction the caller began: the sealed event and its projection, committed
 * together, or (err set, or either failing) neither. */
static int raise_high_water(struct store *s, int64_t seq)
{
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)seq);
    return store_meta_set(s, META_HIGH_WATER, text);
}

static int store_and_project(struct store *s, const struct event *e, int err)
{
    if (err == STORE_OK)
        err = insert_event(s, e);
    if (err == STORE_OK)
        err = project(s, e);
    if (err == STORE_OK)
        err = raise_high_water(s, e->seq);
    /* Once a store keeps receipts, their absence is news (verify, doctor). */
    if (err == STORE_OK && !s->receipts_noted) {
        err = store_meta_set(s, META_RECEIPTS_KEPT, "1");
        s->receipts_noted = err == STORE_OK;
    }
    if (err == STORE_OK) {
        receipts_queue(s, e); /* written when the outermost transaction commits */
        return store_commit(s);
    }
    store_rollback(s);
    return err;
}

int store_append_event(struct store *s, struct event *e)
{
    if (!s->has_signer)
        return STORE_ENOSIGNER;
    /* A refused tap records the clock as it read, 1970 included. */
    if (e->type >= EV_TYPE_COUNT || (e->wall_us <= 0 && e->type != EV_CLOCK_REFUSED))
        return STORE_EINVALID;
    if (e->payload[0] == '\0')
        snprintf(e->payload, sizeof(e->payload), "{}");
    if (e->uuid[0] == '\0')
        event_new_uuid(e->uuid);
    snprintf(e->kiosk, sizeof(e->kiosk), "%s", s->kiosk);
    int err = store_begin(s);
    if (err != STORE_OK)
        return err;
    uint8_t prev[CRYPTO_HASH_BYTES];
    int64_t last_seq = 0;
    err = chain_tip(s, &last_seq, prev);
    if (err == STORE_OK)
        err = behind_receipts(s, last_seq, prev);
    if (err == STORE_OK) {
        e->seq = last_seq + 1;
        err = event_seal(e, prev, s->sk) == EVENT_OK ? STORE_OK : STORE_EINVALID;
    }
    return store_and_project(s, e, err);
}

int store_signer(const struct store *s, char *kiosk, size_t cap, uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    if (!s->has_signer)
        return STORE_ENOSIGNER;
    if (strlen(s->kiosk) >= cap)
        return STORE_EINVALID;
    memcpy(kiosk, s->kiosk, strlen(s->kiosk) + 1);
    crypto_sign_public_of(s->sk, pk);
    return STORE_OK;
}

int store_chain_tip(struct store *s, int64_t *seq, uint8_t hash[CRYPTO_HASH_BYTES])
{
    return chain_tip(s, seq, hash);
}

int store_copy_events(struct store *s, const struct event *events, size_t n)
{
    if (s->has_signer)
        return STORE_EINVALID;
    int err = store_begin(s);
    if (err != STORE_OK)
        return err;
    uint8_t tip[CRYPTO_HASH_BYTES];
    int64_t seq = 0;
    err = store_meta_set(s, META_LEDGER_COPY, "1");
    /* A copy writes a trust's year of events in one transaction: room for the indexes that
     * takes (uuid, person, attendance: ~20 MB for 5,000 people), which the default 2 MB cache
     * spilled to the WAL and read back, half the copy's time (bench/sync/reports). */
    if (err == STORE_OK)
        err = st_exec(s, "PRAGMA cache_size = -32768");
    if (err == STORE_OK)
        err = chain_tip(s, &seq, tip);
    for (size_t i = 0; i < n && err == STORE_OK; i++) {
        struct event e = events[i];
        e.seq = ++seq; /* the copy's own order; each event keeps its kiosk */
        err = insert_event(s, &e);
        if (err == STORE_OK)
            err = project(s, &e);
    }
    if (err == STORE_OK)
        return store_commit(s);
    store_rollback(s);
    return err;
}

int store_adopt_event(struct store *s, const struct event *e,
                      const uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    if (!s->has_signer || strcmp(e->kiosk, s->kiosk) != 0)
        return STORE_ENOSIGNER;
    int err = store_begin(s);
    if (err != STORE_OK)
        return err;
    struct event_chain chain;
    uint8_t own[CRYPTO_SIGN_PK_BYTES];
    err = chain_tip(s, &chain.last_seq, chain.last_hash);
    if (err == STORE_OK && event_chain_next(&chain, e, pk) != EVENT_OK)
        err = STORE_EINVALID;
    /* Signed with an earlier key of this kiosk (a new disk after a key change): the store's
     * own key signs only what comes after it. */
    crypto_sign_public_of(s->sk, own);
    if (err == STORE_OK && memcmp(own, pk, CRYPTO_SIGN_PK_BYTES) != 0 &&
        e->seq >= key_from_seq(s)) {
        char text[32];
        snprintf(text, sizeof(text), "%lld", (long long)(e->seq + 1));
        err = store_meta_set(s, "key_from_seq", text);
    }
    return store_and_project(s, e, err);
}

static int event_row(sqlite3_stmt *st, store_event_fn fn, void *ctx)
{
    struct event e;
    st_read_event(st, &e);
    return fn(ctx, &e);
}

int store_events_each(struct store *s, int64_t from_seq, store_event_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EVENTS_FROM, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, from_seq);
    FOR_EACH_ROW(s, st, event_row(st, fn, ctx));
}

static int one_event(struct store *s, int which, int64_t seq, struct event *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, which, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, seq);
    err = st_step_one(s, st);
    if (err != STORE_OK)
        return err;
    st_read_event(st, out);
    st_done(st);
    return STORE_OK;
}

int store_event_at(struct store *s, int64_t seq, struct event *out)
{
    return one_event(s, ST_EVENT_AT, seq, out);
}

int store_event_after(struct store *s, int64_t seq, struct event *out)
{
    return one_event(s, ST_EVENT_AFTER, seq, out);
}

int store_newest_believed_wall(struct store *s, int64_t *wall_us)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_NEWEST_BELIEVED, &st);
    if (err != STORE_OK)
        return err;
    *wall_us = 0;
    err = st_step_one(s, st);
    if (err != STORE_OK)
        return err == STORE_ENOTFOUND ? STORE_OK : err;
    *wall_us = sqlite3_column_int64(st, 0);
    st_done(st);
    return STORE_OK;
}

int store_events_of(struct store *s, const char *staff_no, store_event_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EVENTS_OF, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, staff_no);
    FOR_EACH_ROW(s, st, event_row(st, fn, ctx));
}

int store_events_of_newest_first(struct store *s, const char *staff_no, int64_t from_seq,
                                 store_event_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EVENTS_OF_NEWEST, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, staff_no);
    sqlite3_bind_int64(st, 2, from_seq);
    FOR_EACH_ROW(s, st, event_row(st, fn, ctx));
}

int store_last_auto_close_of(struct store *s, const char *staff_no, int64_t *seq)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_LAST_AUTO_CLOSE_OF, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, staff_no);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    *seq = sqlite3_column_int64(st, 0);
    st_done(st);
    return STORE_OK;
}

int store_events_of_type(struct store *s, enum event_type type, store_event_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EVENTS_OF_TYPE, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, event_type_code(type));
    FOR_EACH_ROW(s, st, event_row(st, fn, ctx));
}

int store_last_event_of(struct store *s, const char *staff_no, struct event *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_LAST_EVENT_OF, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, staff_no);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    st_read_event(st, out);
    st_done(st);
    return STORE_OK;
}

/* ---- rebuild and verify ------------------------------------------------------------------ */

static int rebuild_one(void *ctx, const struct event *e)
{
    return project(ctx, e);
}

/* Runs a statement whose one parameter is v; *changed (may be NULL) counts the rows it changed. */
static int run_with(struct store *s, enum stmt_id id, int64_t v, int64_t *changed)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, id, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, v);
    err = st_run(s, st);
    if (err == STORE_OK && changed)
        *changed = sqlite3_changes(s->db);
    return err;
}

int64_t store_unprojected(const struct store *s)
{
    return s->unprojected;
}

int store_rebuild_projections(struct store *s)
{
    int err = store_begin(s);
    if (err != STORE_OK)
        return err;
    /* A revoked badge, a voided credit, a cancelled booking are current state: the purged
     * events behind them stay in effect. Attendance is rebuilt from the events there are. */
    int64_t from = store_purged_below(s);
    err = st_exec(s, "DELETE FROM attendance");
    if (err == STORE_OK)
        err = run_with(s, ST_CLEAR_REVOCATIONS, from, NULL);
    if (err == STORE_OK)
        err = run_with(s, ST_CLEAR_VOIDS, from, NULL);
    if (err == STORE_OK)
        err = run_with(s, ST_CLEAR_CANCELLATIONS, from, NULL);
    /* A second statement object: ST_EVENTS_FROM stays busy while project() runs others. */
    sqlite3_stmt *st = NULL;
    if (err == STORE_OK) {
        int rc = sqlite3_prepare_v2(s->db, stmt_sql[ST_EVENTS_FROM], -1, &st, NULL);
        err = rc == SQLITE_OK ? STORE_OK : st_fail(s, rc);
    }
    if (err == STORE_OK) {
        sqlite3_bind_int64(st, 1, 1);
        int rc;
        while (err == STORE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct event e;
            st_read_event(st, &e);
            err = rebuild_one(s, &e);
        }
        if (err == STORE_OK && rc != SQLITE_DONE)
            err = st_fail(s, rc);
    }
    sqlite3_finalize(st);
    if (err == STORE_OK)
        return store_commit(s);
    store_rollback(s);
    return err;
}

struct verify_ctx {
    struct event_chain chain;
    const uint8_t *pk;
    struct store_verify_report *report;
};

static int verify_one(void *ctx, const struct event *e)
{
    struct verify_ctx *v = ctx;
    v->report->events++;
    int err = e->type >= EV_TYPE_COUNT ? EVENT_EHASH : event_chain_next(&v->chain, e, v->pk);
    if (err != EVENT_OK) {
        v->report->first_bad_seq = e->seq;
        v->report->error = err;
        return CPD_STOP; /* everything after the first bad event is suspect */
    }
    return 0;
}

#define META_PURGE_BELOW "purge_below"

static int64_t purge_below(struct store *s)
{
    char text[32];
    return store_meta_get(s, META_PURGE_BELOW, text, sizeof(text)) == STORE_OK ? atoll(text) : 1;
}

int store_verify(struct store *s, const uint8_t pk[CRYPTO_SIGN_PK_BYTES],
                 struct store_verify_report *report)
{
    memset(report, 0, sizeof(*report));
    struct verify_ctx v = {.pk = pk, .report = report};
    event_chain_start(&v.chain);
    int64_t from = purge_below(s);
    if (from > 1) {
        /* After a purge the chain starts at its anchor: the first event kept, whose signed
         * prev_hash names the last one purged (the ledger holds them all). */
        struct event anchor;
        report->purged_below = from;
        int err = store_event_at(s, from, &anchor);
        if (err == STORE_ENOTFOUND) {
            report->first_bad_seq = from;
            report->error = EVENT_ESEQ;
            return STORE_OK;
        }
        if (err != STORE_OK)
            return err;
        v.chain.last_seq = from - 1;
        memcpy(v.chain.last_hash, anchor.prev_hash, sizeof(v.chain.last_hash));
    }
    int err = store_events_each(s, from, verify_one, &v);
    return err == CPD_STOP ? STORE_OK : err;
}

int64_t store_purged_below(struct store *s)
{
    return purge_below(s);
}

int store_purge(struct store *s, int64_t keep_from, int64_t before_us, int64_t *purged)
{
    *purged = 0;
    sqlite3_stmt *st = NULL;
    int64_t first_recent = INT64_MAX, tip = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    int err = st_prepare(s, ST_FIRST_SINCE, &st);
    if (err == STORE_OK) {
        sqlite3_bind_int64(st, 1, before_us);
        err = st_step_one(s, st); /* min() always gives a row; a failed read is an error, never
                                     "nothing is recent" */
        if (err == STORE_OK && sqlite3_column_type(st, 0) != SQLITE_NULL)
            first_recent = sqlite3_column_int64(st, 0);
        if (err == STORE_OK)
            st_done(st);
    }
    if (err == STORE_OK)
        err = chain_tip(s, &tip, hash);
    /* The first event kept: never past the ledger's newest (sync compares it), never a recent
     * one, and never the tip (a store keeps at least its newest event, its chain's end). */
    int64_t keep = first_recent < keep_from ? first_recent : keep_from;
    if (keep > tip)
        keep = tip;
    if (err != STORE_OK || keep <= purge_below(s))
        return err;
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)keep);
    int64_t deleted = 0;
    err = store_begin(s);
    if (err == STORE_OK)
        err = store_meta_set(s, META_PURGE_BELOW, text);
    if (err == STORE_OK)
        err = run_with(s, ST_PURGE_EVENTS, keep, &deleted);
    if (err == STORE_OK)
        err = run_with(s, ST_PURGE_ATTENDANCE, before_us, NULL);
    if (err == STORE_OK)
        err = store_commit(s);
    else
        store_rollback(s);
    if (err == STORE_OK) {
        *purged = deleted;
        /* The receipts of what went: not needed, and kept only as long as the events. A
         * failure leaves the file as it was (bigger, nothing lost). */
        receipts_compact(s, keep);
    }
    return err;
}
