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

/* ---- what head office sends (sync) and exports (ledger import) --------------------------- */

int store_badge_put(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4,
                    int64_t person_id)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BADGE_PUT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    st_bind_text(st, 2, last4);
    sqlite3_bind_int64(st, 3, person_id);
    sqlite3_bind_int64(st, 4, clock_wall_us());
    return st_run(s, st);
}

int store_badge_remove(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES])
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BADGE_DELETE, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    return st_run(s, st);
}

int store_booking_remove(struct store *s, int64_t person_id, int64_t session_id)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BOOKING_DELETE, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    return st_run(s, st);
}

int store_external_remove(struct store *s, int64_t person_id, int64_t course_id, civil_day date)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EXTERNAL_DELETE, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, course_id);
    sqlite3_bind_int(st, 3, date);
    return st_run(s, st);
}

static int course_row_cb(struct store *s, sqlite3_stmt *st, store_course_fn fn, void *ctx)
{
    char code[DOMAIN_CODE_MAX];
    struct course_row c;
    struct session x;
    st_column_text(st, 0, code, sizeof(code));
    bool dated = sqlite3_column_type(st, 1) != SQLITE_NULL;
    /* Separate statements: ST_COURSES_ALL stays on its row meanwhile. */
    if (store_course_by_code(s, code, &c, NULL) != STORE_OK ||
        (dated && store_session_by_id(s, sqlite3_column_int64(st, 1), &x) != STORE_OK))
        return STORE_EINTERNAL;
    return fn(ctx, &c, dated ? &x : NULL);
}

int store_courses_each(struct store *s, store_course_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_COURSES_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, course_row_cb(s, st, fn, ctx));
}

static int badge_all_cb(sqlite3_stmt *st, store_badge_hash_fn fn, void *ctx)
{
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    char last4[8], staff_no[DOMAIN_CODE_MAX];
    st_column_blob(st, 0, hash, sizeof(hash));
    st_column_text(st, 1, last4, sizeof(last4));
    st_column_text(st, 2, staff_no, sizeof(staff_no));
    return fn(ctx, hash, last4, staff_no);
}

int store_badge_hashes_each(struct store *s, store_badge_hash_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BADGES_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, badge_all_cb(st, fn, ctx));
}

static int booking_all_cb(sqlite3_stmt *st, store_booking_fn fn, void *ctx)
{
    char staff_no[DOMAIN_CODE_MAX], code[DOMAIN_CODE_MAX];
    st_column_text(st, 0, staff_no, sizeof(staff_no));
    st_column_text(st, 1, code, sizeof(code));
    return fn(ctx, staff_no, code);
}

int store_bookings_each(struct store *s, store_booking_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BOOKINGS_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, booking_all_cb(st, fn, ctx));
}

static int external_all_cb(sqlite3_stmt *st, store_external_fn fn, void *ctx)
{
    char staff_no[DOMAIN_CODE_MAX], code[DOMAIN_CODE_MAX], source[32];
    struct external_row x = {0};
    st_column_text(st, 0, staff_no, sizeof(staff_no));
    st_column_text(st, 1, code, sizeof(code));
    st_column_text(st, 2, source, sizeof(source));
    int src = domain_source_parse(source);
    x.source = src < 0 ? SOURCE_LIVE_TEAMS : (enum external_source)src;
    x.date = (civil_day)sqlite3_column_int(st, 3);
    x.credits_q = sqlite3_column_int(st, 4);
    st_column_text(st, 5, x.certificate, sizeof(x.certificate));
    x.directed = sqlite3_column_int(st, 6) != 0;
    st_column_text(st, 7, x.note, sizeof(x.note));
    return fn(ctx, staff_no, code, &x);
}

int store_external_each(struct store *s, store_external_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_EXTERNAL_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, external_all_cb(st, fn, ctx));
}

/* A revocation, void or cancellation another kiosk made, taken from a pull (seq 0 beside this
 * store's own projected ones; store.h). */
int store_revocation_taken(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                           int64_t at_us)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_REVOCATION_PUT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, 0);
    sqlite3_bind_int64(st, 3, at_us);
    return st_run(s, st);
}

int store_credit_void_taken(struct store *s, const char *staff_no, const char *course_code,
                            civil_day date)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_CREDIT_VOID_PUT, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, staff_no);
    st_bind_text(st, 2, course_code);
    sqlite3_bind_int(st, 3, date);
    sqlite3_bind_int64(st, 4, 0);
    return st_run(s, st);
}

int store_booking_cancel_taken(struct store *s, const char *staff_no, const char *session_code)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BOOKING_CANCEL_PUT, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, staff_no);
    st_bind_text(st, 2, session_code);
    sqlite3_bind_int64(st, 3, 0);
    return st_run(s, st);
}
