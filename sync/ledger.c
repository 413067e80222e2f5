#define _XOPEN_SOURCE 700 /* nftw */
#include "ledger.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "event.h"
#include "sync_pg.h"

static int connect_to(const struct ledger_target *t, struct pg **pg, char *why, size_t cap)
{
    return sync_from_pg(pg_connect(t->conninfo, t->password, t->timeout_s, pg, why, cap), NULL);
}

/* ---- init -------------------------------------------------------------------------------- */

static int current_version(struct pg *pg, int *version, char *why, size_t cap)
{
    struct pg_result *r = NULL;
    int err =
        pg_exec(pg, "SELECT to_regclass('cpd.schema_version') IS NOT NULL", 0, NULL, &r, why, cap);
    if (err != PG_OK)
        return sync_from_pg(err, pg);
    bool exists = pg_value(r, 0, 0)[0] == 't';
    pg_clear(r);
    *version = 0;
    if (!exists)
        return SYNC_OK;
    err = pg_exec(pg, "SELECT version FROM cpd.schema_version", 0, NULL, &r, why, cap);
    if (err != PG_OK)
        return sync_from_pg(err, pg);
    *version = atoi(pg_value(r, 0, 0));
    pg_clear(r);
    return SYNC_OK;
}

/* The migration's text with @MODULE@ replaced by the module path. */
static char *with_module(const char *sql, const char *module)
{
    size_t n = strlen(sql) + 16 * strlen(module) + 1;
    char *out = malloc(n);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = sql; *p;) {
        if (strncmp(p, "@MODULE@", 8) == 0 && (size_t)(o - out) + strlen(module) < n) {
            o += sprintf(o, "%s", module);
            p += 8;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

int ledger_init(const struct ledger_target *t, const char *module, int *from, int *to, char *why,
                size_t cap)
{
    struct pg *pg = NULL;
    int err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = current_version(pg, from, why, cap);
    *to = *from;
    if (err == SYNC_OK && *from > ledger_migration_count) {
        snprintf(why, cap, "the ledger is at schema %d, newer than this program (%d)", *from,
                 ledger_migration_count);
        err = SYNC_ESCHEMA;
    }
    for (int v = *from + 1; err == SYNC_OK && v <= ledger_migration_count; v++) {
        char *sql = with_module(ledger_migrations[v - 1], module);
        err = sql ? sync_from_pg(pg_exec_script(pg, sql, why, cap), pg) : SYNC_EQUERY;
        free(sql);
        if (err == SYNC_OK)
            *to = v;
    }
    pg_close(pg);
    return err;
}

int ledger_add_kiosk(const struct ledger_target *t, const char *id, const char *public_key_hex,
                     const char *kiosk_password, char *role_out, size_t role_cap, char *why,
                     size_t cap)
{
    struct pg *pg = NULL;
    struct pg_result *r = NULL;
    int err = connect_to(t, &pg, why, cap);
    const char *params[3] = {id, public_key_hex, kiosk_password};
    if (err == SYNC_OK)
        err = sync_from_pg(pg_exec(pg, "SELECT cpd.register_kiosk($1, decode($2, 'hex'), $3)", 3,
                                   params, &r, why, cap),
                           pg);
    if (err == SYNC_OK)
        snprintf(role_out, role_cap, "%s", pg_value(r, 0, 0));
    pg_clear(r);
    pg_close(pg);
    return err;
}

/* ---- import ------------------------------------------------------------------------------ */

struct writer {
    struct pg *pg;
    char *why;
    size_t cap;
    int err;
    int rows;
};

static int put(struct writer *w, const char *sql, int n, const char *const *values)
{
    int err = pg_exec(w->pg, sql, n, values, NULL, w->why, w->cap);
    if (err != PG_OK) {
        w->err = sync_from_pg(err, w->pg);
        return 1;
    }
    w->rows++;
    return 0;
}

static int put_course(void *ctx, const struct course_row *c, const struct session *s)
{
    char credits[16], date[CIVIL_DATE_LEN], start[8], end[8];
    snprintf(credits, sizeof(credits), "%d", c->credits_q);
    const char *course[] = {c->code,
                            c->period,
                            c->category,
                            c->title,
                            domain_delivery_code(c->delivery),
                            domain_kind_code(c->kind),
                            c->credits_q >= 0 ? credits : NULL,
                            c->group,
                            domain_frequency_code(c->frequency),
                            c->due,
                            c->note};
    if (put(ctx,
            "INSERT INTO cpd.courses (code, period, category, title, delivery, kind, credits_q,"
            " grp, frequency, due, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (code) DO UPDATE SET period = excluded.period,"
            " category = excluded.category, title = excluded.title, delivery = excluded.delivery,"
            " kind = excluded.kind, credits_q = excluded.credits_q, grp = excluded.grp,"
            " frequency = excluded.frequency, due = excluded.due, note = excluded.note"
            " WHERE (cpd.courses.period, cpd.courses.category, cpd.courses.title,"
            " cpd.courses.delivery, cpd.courses.kind, cpd.courses.credits_q, cpd.courses.grp,"
            " cpd.courses.frequency, cpd.courses.due, cpd.courses.note) IS DISTINCT FROM"
            " (excluded.period, excluded.category, excluded.title, excluded.delivery,"
            " excluded.kind, excluded.credits_q, excluded.grp, excluded.frequency, excluded.due,"
            " excluded.note)",
            11, course))
        return 1;
    if (!s)
        return 0;
    civil_format_date(s->date, date);
    snprintf(start, sizeof(start), "%02d:%02d", s->start_min / 60 % 24, s->start_min % 60);
    snprintf(end, sizeof(end), "%02d:%02d", s->end_min / 60 % 24, s->end_min % 60);
    const char *session[] = {c->code, date, start, end, s->location};
    return put(ctx,
               "INSERT INTO cpd.sessions (code, date, start_time, end_time, location)"
               " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET date = excluded.date,"
               " start_time = excluded.start_time, end_time = excluded.end_time,"
               " location = excluded.location WHERE (cpd.sessions.date, cpd.sessions.start_time,"
               " cpd.sessions.end_time, cpd.sessions.location) IS DISTINCT FROM (excluded.date,"
               " excluded.start_time, excluded.end_time, excluded.location)",
               5, session);
}

static int put_person(void *ctx, const struct person *p, int badges)
{
    (void)badges;
    const char *v[] = {p->staff_no, p->name, p->academy, p->trainer ? "trainer" : "staff",
                       p->active ? "true" : "false"};
    return put(ctx,
               "INSERT INTO cpd.people (staff_no, name, academy, role, active)"
               " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (staff_no) DO UPDATE SET"
               " name = excluded.name, academy = excluded.academy, role = excluded.role,"
               " active = excluded.active WHERE (cpd.people.name, cpd.people.academy,"
               " cpd.people.role, cpd.people.active) IS DISTINCT FROM (excluded.name,"
               " excluded.academy, excluded.role, excluded.active)",
               5, v);
}

static int put_badge(void *ctx, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4,
                     const char *staff_no)
{
    char hex[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    crypto_hex(hex, hash, CRYPTO_BADGE_HASH_BYTES);
    const char *v[] = {hex, last4, staff_no};
    return put(ctx,
               "INSERT INTO cpd.badges (uid_hash, last4, staff_no) VALUES (decode($1, 'hex'), $2,"
               " $3) ON CONFLICT (uid_hash) DO UPDATE SET last4 = excluded.last4,"
               " staff_no = excluded.staff_no, active = true WHERE (cpd.badges.staff_no,"
               " cpd.badges.active) IS DISTINCT FROM (excluded.staff_no, true)",
               3, v);
}

static int put_booking(void *ctx, const char *staff_no, const char *session)
{
    const char *v[] = {staff_no, session};
    return put(ctx,
               "INSERT INTO cpd.bookings (staff_no, session) VALUES ($1, $2)"
               " ON CONFLICT (staff_no, session) DO UPDATE SET active = true"
               " WHERE NOT cpd.bookings.active",
               2, v);
}

static int put_credit(void *ctx, const char *staff_no, const char *code,
                      const struct external_row *x)
{
    char date[CIVIL_DATE_LEN], credits[16];
    civil_format_date(x->date, date);
    snprintf(credits, sizeof(credits), "%d", x->credits_q);
    const char *v[] = {staff_no,
                       code,
                       date,
                       domain_source_code(x->source),
                       credits,
                       x->certificate,
                       x->directed ? "true" : "false",
                       x->note};
    return put(ctx,
               "INSERT INTO cpd.external_credits (staff_no, programme, date, source, credits_q,"
               " certificate, directed, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
               " ON CONFLICT (staff_no, programme, date) DO UPDATE SET source = excluded.source,"
               " credits_q = excluded.credits_q, certificate = excluded.certificate,"
               " directed = excluded.directed, note = excluded.note, active = true",
               8, v);
}

static int remove_tree(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Writes what the scratch store holds of this kind into the ledger, in one transaction. */
static int write_kind(struct pg *pg, struct store *scratch, enum import_kind kind, char *why,
                      size_t cap, int *rows)
{
    struct writer w = {.pg = pg, .why = why, .cap = cap};
    int err = sync_from_pg(pg_exec(pg, "BEGIN", 0, NULL, NULL, why, cap), pg);
    int rc = STORE_OK;
    if (err == SYNC_OK) {
        switch (kind) {
        case IMPORT_PROGRAMME:
            rc = store_courses_each(scratch, put_course, &w);
            break;
        case IMPORT_ROSTER:
            rc = store_people_each(scratch, put_person, &w);
            if (rc == STORE_OK)
                rc = store_badge_hashes_each(scratch, put_badge, &w);
            break;
        case IMPORT_BOOKINGS:
            rc = store_bookings_each(scratch, put_booking, &w);
            break;
        case IMPORT_CREDITS:
            rc = store_external_each(scratch, put_credit, &w);
            break;
        }
        err = w.err ? w.err : rc != STORE_OK && rc != 1 ? SYNC_ESTORE : SYNC_OK;
    }
    pg_exec(pg, err == SYNC_OK ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, err == SYNC_OK ? why : NULL,
            err == SYNC_OK ? cap : 0);
    *rows = w.rows;
    return err;
}

int ledger_import(const struct ledger_target *t, enum import_kind kind, const char *path,
                  const struct import_options *options, struct import_result *result, char *why,
                  size_t cap)
{
    char dir[] = "/tmp/cpd-ledger-import-XXXXXX", db[64];
    struct store *scratch = NULL;
    struct pg *pg = NULL;
    struct sync_report report;
    memset(result, 0, sizeof(*result));
    if (!mkdtemp(dir)) {
        snprintf(why, cap, "cannot make a scratch directory");
        return SYNC_ESTORE;
    }
    snprintf(db, sizeof(db), "%s/scratch.db", dir);
    int err = store_open(db, &scratch, why, cap) == STORE_OK ? SYNC_OK : SYNC_ESTORE;
    if (err == SYNC_OK)
        err = connect_to(t, &pg, why, cap);
    /* The ledger's people and programme first: the file is checked against them. */
    if (err == SYNC_OK)
        err = sync_pull(pg, scratch, &report, why, cap);
    if (err == SYNC_OK) {
        int rc = import_file(scratch, kind, path, options, result);
        if (rc != IMPORT_OK) {
            snprintf(why, cap, "%s", import_strerror(rc));
            err = SYNC_ECONFIG;
        }
    }
    /* Rows already in the ledger are rewritten only where something changed. */
    int rows = 0;
    if (err == SYNC_OK && !options->dry_run)
        err = write_kind(pg, scratch, kind, why, cap, &rows);
    result->written = options->dry_run ? 0 : rows;
    pg_close(pg);
    store_close(scratch);
    nftw(dir, remove_tree, 8, FTW_DEPTH | FTW_PHYS);
    return err;
}

/* ---- verify ------------------------------------------------------------------------------ */

static int read_event(const struct pg_result *r, int i, const char *kiosk, struct event *e)
{
    memset(e, 0, sizeof(*e));
    e->seq = strtoll(pg_value(r, i, 0), NULL, 10);
    snprintf(e->uuid, sizeof(e->uuid), "%s", pg_value(r, i, 1));
    snprintf(e->kiosk, sizeof(e->kiosk), "%s", kiosk);
    int type = event_type_parse(pg_value(r, i, 2));
    e->type = type < 0 ? EV_TYPE_COUNT : (enum event_type)type;
    snprintf(e->person, sizeof(e->person), "%s", pg_value(r, i, 3));
    snprintf(e->session, sizeof(e->session), "%s", pg_value(r, i, 4));
    e->wall_us = strtoll(pg_value(r, i, 5), NULL, 10);
    e->mono_us = strtoll(pg_value(r, i, 6), NULL, 10);
    snprintf(e->clock, sizeof(e->clock), "%s", pg_value(r, i, 7));
    snprintf(e->payload, sizeof(e->payload), "%s", pg_value(r, i, 8));
    if (crypto_unhex(e->prev_hash, sizeof(e->prev_hash), pg_value(r, i, 9)) != 0 ||
        crypto_unhex(e->hash, sizeof(e->hash), pg_value(r, i, 10)) != 0 ||
        crypto_unhex(e->sig, sizeof(e->sig), pg_value(r, i, 11)) != 0)
        return -1;
    return type < 0 ? -1 : 0;
}

/* One kiosk's chain, a page at a time. */
static int verify_kiosk(struct pg *pg, const char *kiosk, const uint8_t *pk, int64_t *events,
                        int64_t *bad_seq, int *bad_error, char *why, size_t cap)
{
    struct event_chain chain;
    event_chain_start(&chain);
    char after[24] = "0";
    *events = *bad_seq = 0;
    *bad_error = EVENT_OK;
    for (;;) {
        const char *params[2] = {kiosk, after};
        struct pg_result *r = NULL;
        int err = pg_exec(pg,
                          "SELECT seq, uuid::text, type, person, session, wall_us, mono_us,"
                          " clock, payload, encode(prev_hash, 'hex'), encode(hash, 'hex'),"
                          " encode(sig, 'hex') FROM cpd.events WHERE kiosk = $1 AND seq > $2"
                          " ORDER BY seq LIMIT 10000",
                          2, params, &r, why, cap);
        if (err != PG_OK)
            return sync_from_pg(err, pg);
        int n = pg_rows(r);
        for (int i = 0; i < n && !*bad_seq; i++) {
            struct event e;
            int rc =
                read_event(r, i, kiosk, &e) != 0 ? EVENT_EHASH : event_chain_next(&chain, &e, pk);
            (*events)++;
            if (rc != EVENT_OK) {
                *bad_seq = e.seq ? e.seq : chain.last_seq + 1;
                *bad_error = rc;
            }
            snprintf(after, sizeof(after), "%" PRId64, e.seq);
        }
        pg_clear(r);
        if (n < 10000 || *bad_seq)
            return SYNC_OK;
    }
}

int ledger_verify(const struct ledger_target *t, ledger_verify_fn fn, void *ctx,
                  struct ledger_verify_report *report, char *why, size_t cap)
{
    memset(report, 0, sizeof(*report));
    struct pg *pg = NULL;
    struct pg_result *kiosks = NULL;
    int err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_from_pg(pg_exec(pg,
                                   "SELECT id, encode(public_key, 'hex') FROM cpd.kiosks"
                                   " ORDER BY id",
                                   0, NULL, &kiosks, why, cap),
                           pg);
    for (int i = 0; err == SYNC_OK && i < pg_rows(kiosks); i++) {
        uint8_t pk[CRYPTO_SIGN_PK_BYTES];
        int64_t events = 0, bad = 0;
        int bad_error = EVENT_OK;
        if (crypto_unhex(pk, sizeof(pk), pg_value(kiosks, i, 1)) != 0) {
            snprintf(why, cap, "kiosk %s: malformed public key", pg_value(kiosks, i, 0));
            err = SYNC_EQUERY;
            break;
        }
        err = verify_kiosk(pg, pg_value(kiosks, i, 0), pk, &events, &bad, &bad_error, why, cap);
        report->kiosks++;
        report->events += events;
        report->bad_kiosks += bad != 0;
        if (err == SYNC_OK && fn)
            fn(ctx, pg_value(kiosks, i, 0), events, bad, bad_error);
    }
    pg_clear(kiosks);
    pg_close(pg);
    return err;
}
