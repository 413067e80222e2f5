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

/* ---- people and badges ------------------------------------------------------------------- */

/* Runs a statement with RETURNING id. */
int st_run_returning_id(struct store *s, sqlite3_stmt *st, int64_t *id_out)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int err = st_fail(s, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc);
        st_done(st);
        return err;
    }
    if (id_out)
        *id_out = sqlite3_column_int64(st, 0);
    return st_run(s, st);
}

int store_person_upsert(struct store *s, const struct person *p, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_PERSON_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, p->staff_no);
    st_bind_text(st, 2, p->name);
    st_bind_text(st, 3, p->academy);
    st_bind_text(st, 4, p->trainer ? "trainer" : "staff");
    sqlite3_bind_int(st, 5, p->active ? 1 : 0);
    return st_run_returning_id(s, st, id_out);
}

static int person_by(struct store *s, enum stmt_id id, sqlite3_stmt **stp)
{
    return st_prepare(s, id, stp);
}

int store_person_by_staff_no(struct store *s, const char *staff_no, struct person *out)
{
    sqlite3_stmt *st = NULL;
    int err = person_by(s, ST_PERSON_BY_STAFF, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, staff_no);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    st_read_person(st, 0, out);
    st_done(st);
    return STORE_OK;
}

int store_person_by_id(struct store *s, int64_t id, struct person *out)
{
    sqlite3_stmt *st = NULL;
    int err = person_by(s, ST_PERSON_BY_ID, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, id);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    st_read_person(st, 0, out);
    st_done(st);
    return STORE_OK;
}

/* Steps every row through fn; a non-zero return from fn stops early and is passed on. */

static int people_row(sqlite3_stmt *st, store_person_fn fn, void *ctx)
{
    struct person p;
    st_read_person(st, 0, &p);
    return fn(ctx, &p, sqlite3_column_int(st, PERSON_NCOLS));
}

int store_people_each(struct store *s, store_person_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_PEOPLE, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, people_row(st, fn, ctx));
}

int store_badge_lookup(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                       int64_t *person_id)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BADGE_OWNER, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    *person_id = sqlite3_column_int64(st, 0);
    st_done(st);
    return STORE_OK;
}

int store_badge_add(struct store *s, int64_t person_id, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                    const char *last4)
{
    int64_t owner = 0;
    int err = store_badge_lookup(s, hash, &owner);
    if (err == STORE_OK)
        return owner == person_id ? STORE_OK : STORE_ECONSTRAINT;
    if (err != STORE_ENOTFOUND)
        return err;
    sqlite3_stmt *st = NULL;
    if ((err = st_prepare(s, ST_BADGE_INSERT, &st)) != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    st_bind_text(st, 2, last4);
    sqlite3_bind_int64(st, 3, person_id);
    sqlite3_bind_int64(st, 4, clock_wall_us());
    return st_run(s, st);
}

static int badge_row(sqlite3_stmt *st, store_badge_fn fn, void *ctx)
{
    struct person p;
    char last4[8];
    st_read_person(st, 0, &p);
    st_column_text(st, PERSON_NCOLS, last4, sizeof(last4));
    return fn(ctx, &p, last4, sqlite3_column_int64(st, PERSON_NCOLS + 1));
}

int store_badges_each(struct store *s, store_badge_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_BADGES, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, badge_row(st, fn, ctx));
}

int store_badge_revoked(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], bool *revoked)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_REVOKED, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    err = st_step_one(s, st);
    *revoked = err == STORE_OK;
    if (err == STORE_OK)
        st_done(st);
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

/* ---- trainer PINs ------------------------------------------------------------------------ */

int store_pin_get(struct store *s, int64_t person_id, struct pin_record *out)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_PIN_GET, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    if ((err = st_step_one(s, st)) != STORE_OK)
        return err;
    st_column_text(st, 0, out->hash, sizeof(out->hash));
    out->failures = sqlite3_column_int(st, 1);
    out->locked_until_us = sqlite3_column_int64(st, 2);
    st_done(st);
    return STORE_OK;
}

int store_pin_set(struct store *s, int64_t person_id, const char *hash, int64_t now_us)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_PIN_SET, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    st_bind_text(st, 2, hash);
    sqlite3_bind_int64(st, 3, now_us);
    return st_run(s, st);
}

int store_pin_attempts(struct store *s, int64_t person_id, int failures, int64_t locked_until_us)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_PIN_ATTEMPTS, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int(st, 2, failures);
    sqlite3_bind_int64(st, 3, locked_until_us);
    return st_run(s, st);
}
