#define _XOPEN_SOURCE 700 /* nftw */
#include "core/base/error.h"
#include "sync/ledger/ledger_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain/crypto.h"
#include "core/domain/event.h"
#include "core/base/clock.h"
#include "core/base/strcopy.h"
#include "core/services/keys.h"
#include "sync/sync_pg.h"

static int connect_to(const struct ledger_target *t, struct pg **pg, char *why, size_t cap)
{
    struct pg_options o = {.password = t->password, .timeout_s = t->timeout_s, .strict = true};
    int err = sync_from_pg(pg_connect(t->conninfo, &o, pg, why, cap), NULL);
    /* The owner may be the one verify checks: a search_path of its own choosing (a role
     * setting) could put its own encode or sha256 before the catalogue's. Nothing it made is
     * looked up by an unqualified name here. */
    if (err == SYNC_OK)
        err = sync_from_pg(pg_exec(*pg,
                                   "SELECT pg_catalog.set_config('search_path', 'pg_catalog,"
                                   " pg_temp', false)",
                                   0, NULL, NULL, why, cap),
                           *pg);
    return err;
}

static int exec(struct pg *pg, const char *sql, int n, const char *const *values,
                struct pg_result **out, char *why, size_t cap)
{
    return sync_from_pg(pg_exec(pg, sql, n, values, out, why, cap), pg);
}

/* Ends the transaction: COMMIT when all went well, ROLLBACK (keeping the first reason) when
 * not. */
static int finish(struct pg *pg, int err, char *why, size_t cap)
{
    if (err == SYNC_OK)
        return exec(pg, "COMMIT", 0, NULL, NULL, why, cap);
    char ignored[64];
    pg_exec(pg, "ROLLBACK", 0, NULL, NULL, ignored, sizeof(ignored));
    return err;
}

/* ---- init -------------------------------------------------------------------------------- */

static int current_version(struct pg *pg, int *version, char *why, size_t cap)
{
    struct pg_result *r = NULL;
    int err =
        exec(pg, "SELECT to_regclass('cpd.schema_version') IS NOT NULL", 0, NULL, &r, why, cap);
    if (err != SYNC_OK)
        return err;
    bool exists = pg_value(r, 0, 0)[0] == 't';
    pg_clear(r);
    *version = 0;
    if (!exists)
        return SYNC_OK;
    err = exec(pg, "SELECT version FROM cpd.schema_version", 0, NULL, &r, why, cap);
    if (err != SYNC_OK)
        return err;
    /* One row, as every migration leaves it: without it there is no version to go on from. */
    char *end = NULL;
    long long v = pg_rows(r) == 1 ? strtoll(pg_value(r, 0, 0), &end, 10) : -1;
    if (pg_rows(r) == 1 && (!end || *end || v < 1 || v > INT_MAX)) {
        /* A number the migrations never wrote would index past them. */
        snprintf(why, cap,
                 "cpd.schema_version holds something other than a version ledger "
                 "init wrote (a whole number from 1)");
        err = SYNC_ESCHEMA;
    } else if (pg_rows(r) == 1) {
        *version = (int)v;
    } else {
        snprintf(why, cap,
                 "cpd.schema_version holds %d rows, not one: not a schema ledger init made",
                 pg_rows(r));
        err = SYNC_ESCHEMA;
    }
    pg_clear(r);
    return err;
}

/* Applied by every init, whatever the schema: a restore into a new database, or someone's
 * GRANT, may have undone it. Every login of the ledger gets the extension's guard (logins made
 * before extension 1.1 did not). Nobody but the owner makes objects here (no temp tables to shadow
 * ours, nothing in public); only this ledger's own kiosk and office logins connect (each is
 * given CONNECT by create_login; the groups are shared with other ledgers of the cluster). */
static const char harden_sql[] =
    "DO $$ BEGIN"
    " EXECUTE pg_catalog.format('REVOKE TEMPORARY, CONNECT ON DATABASE %I FROM PUBLIC,"
    "  cpd_kiosk, cpd_office', pg_catalog.current_database());"
    " REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
    " IF (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'cpd_ledger')"
    "  IS DISTINCT FROM '1.1' THEN RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE ="
    "  'the cpd_ledger extension is older than this program: as a superuser, in this database,"
    " ALTER EXTENSION cpd_ledger UPDATE'; END IF;"
    " PERFORM cpd_ledger.guard_logins();"
    " END $$";

/* Privileges no migration gives, before anything is changed: those only a superuser can take
 * back are refused by name. */
static int refuse_strays(struct pg *pg, char *why, size_t cap)
{
    struct privilege_strays strays = {0};
    int err = privilege_strays_read(pg, &strays, why, cap);
    char list[1400];
    if (err == SYNC_OK && privilege_strays_refused(&strays, list, sizeof(list)) > 0) {
        snprintf(why, cap,
                 "privileges no migration gives, which only a superuser can take back: %s; "
                 "nothing was changed: take them back, then run ledger init again",
                 list);
        err = SYNC_ETAMPER;
    }
    privilege_strays_free(&strays);
    return err;
}

/* After the hardening: the strays the owner can take back, taken back and said. */
static int repair_strays(struct pg *pg, const struct ledger_init *init, char *why, size_t cap)
{
    struct privilege_strays strays = {0};
    int err = privilege_strays_read(pg, &strays, why, cap);
    if (err == SYNC_OK)
        err = privilege_strays_repair(pg, &strays, init->say, init->ctx, why, cap);
    privilege_strays_free(&strays);
    return err == SYNC_OK ? refuse_strays(pg, why, cap) : err;
}

static void ignore_difference(void *ctx, const char *live, const char *expected)
{
    (void)ctx;
    (void)live;
    (void)expected;
}

/* Head office's key: made when missing, anchored in the keyring, and the log's first record
 * (the rows as they are) when it has none; a log signed by another key is refused. */
static int office_init(struct pg *pg, const struct ledger_init *init, char *why, size_t cap)
{
    uint8_t sk[CRYPTO_SIGN_SK_BYTES], pk[CRYPTO_SIGN_PK_BYTES];
    char pk_hex[2 * CRYPTO_SIGN_PK_BYTES + 1], line[700], ignored[256];
    bool made = false;
    struct ledger_keyring ring = {0};
    int64_t records = 0, seq = 0;
    int err = SYNC_OK;
    if (!init->keyring) {
        snprintf(why, cap, "--office-key needs --keyring: its public half is anchored there");
        return SYNC_ECONFIG;
    }
    int rc = keys_init_sign(init->office_key, &made);
    if (rc != KEYS_OK) {
        snprintf(why, cap, "%s: head office's signing key: %s", init->office_key, cpd_strerror(rc));
        return SYNC_ECONFIG;
    }
    if (made && init->say) {
        snprintf(line, sizeof(line),
                 "made head office's signing key %s (keep it off the database server, with the"
                 " keyring)",
                 init->office_key);
        init->say(init->ctx, line, false);
    }
    err = office_key_load(init->office_key, sk, pk, why, cap);
    crypto_hex(pk_hex, pk, sizeof(pk));
    bool anchored = false; /* the keyring already holds head office's key */
    if (err == SYNC_OK &&
        ledger_keyring_load(init->keyring, &ring, ignored, sizeof(ignored)) == SYNC_OK)
        anchored = ring.has_office;
    if (err == SYNC_OK && anchored && memcmp(ring.office_pk, pk, sizeof(pk)) != 0) {
        snprintf(why, cap,
                 "%s holds another head office key than %s: give the key this ledger's records"
                 " are signed with",
                 init->keyring, init->office_key);
        err = SYNC_ECONFIG;
    }
    ledger_keyring_free(&ring);
    if (err == SYNC_OK)
        err = ledger_keyring_append(init->keyring, "@office", 0, pk_hex, "head office's key", why,
                                    cap);
    if (err == SYNC_OK && init->say) {
        snprintf(line, sizeof(line),
                 "head office's public key: %s (each kiosk's [sync] office_public_key)", pk_hex);
        init->say(init->ctx, line, false);
    }
    if (err == SYNC_OK)
        err = exec(pg, "BEGIN", 0, NULL, NULL, why, cap);
    if (err == SYNC_OK)
        err = office_lock(pg, OFFICE_GENESIS, why, cap);
    if (err == SYNC_OK)
        err = office_head(pg, &records, why, cap);
    /* One record per kind, so that a kiosk can check the roster's alone (nothing else in it). */
    if (err == SYNC_OK && records == 0 && anchored) {
        /* The keyring holds head office's key: this ledger had signed records. An empty log
         * is one someone emptied; a first record now would sign whatever they left. */
        snprintf(why, cap,
                 "head office's log is empty, but %s already holds head office's key: its "
                 "records were removed. Nothing was signed: restore the ledger from a backup (or, "
                 "for a new ledger, start a new keyring)",
                 init->keyring);
        err = SYNC_ETAMPER;
    } else if (err == SYNC_OK && records == 0) {
        for (int k = OFFICE_PROGRAMME; err == SYNC_OK && k < OFFICE_KINDS; k++)
            err = office_record(pg, sk, (enum office_kind)k, &seq, why, cap);
        if (err == SYNC_OK && init->say)
            init->say(init->ctx,
                      "head office's first record: the people, badges, programme, bookings and"
                      " credits as they are now, signed",
                      false);
    } else if (err == SYNC_OK) {
        char bad[300];
        size_t differences = 0;
        err = office_check(pg, pk, OFFICE_GENESIS, ignore_difference, NULL, &differences, bad,
                           sizeof(bad), why, cap);
        if (err == SYNC_OK && bad[0]) {
            snprintf(why, cap, "head office's records: %s (with the key in %s)", bad,
                     init->office_key);
            err = SYNC_ETAMPER;
        }
    }
    crypto_wipe(sk, sizeof(sk));
    return finish(pg, err, why, cap);
}

int ledger_init(const struct ledger_target *t, struct ledger_init *init, char *why, size_t cap)
{
    struct pg *pg = NULL;
    struct ledger_keyring ring = {0};
    const char *keyring = init->keyring;
    int err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = current_version(pg, &init->from, why, cap);
    init->to = init->from;
    if (err == SYNC_OK && init->from > ledger_migration_count) {
        snprintf(why, cap, "the ledger is at schema %d, newer than this program (%d)", init->from,
                 ledger_migration_count);
        err = SYNC_ESCHEMA;
    }
    /* A schema already there is proved against the keyring before anything is done: init never
     * takes what it finds as the new truth. */
    if (err == SYNC_OK && keyring && init->from > 0) {
        char ignored[256];
        if (ledger_keyring_load(keyring, &ring, ignored, sizeof(ignored)) != SYNC_OK ||
            !ring.schema[0]) {
            snprintf(why, cap,
                     "%s holds no digest of this ledger's schema, so ledger init cannot prove the "
                     "schema it finds: give the keyring ledger init wrote for this ledger",
                     keyring);
            err = SYNC_ECONFIG;
        } else {
            err = schema_prove(pg, keyring, ring.schema, why, cap);
        }
    }
    if (err == SYNC_OK)
        err = refuse_strays(pg, why, cap);
    for (int v = init->from + 1; err == SYNC_OK && v <= ledger_migration_count; v++) {
        err = sync_from_pg(pg_exec_script(pg, ledger_migrations[v - 1], why, cap), pg);
        if (err == SYNC_OK)
            init->to = v;
    }
    if (err == SYNC_OK)
        err = sync_from_pg(pg_exec_script(pg, harden_sql, why, cap), pg);
    if (err == SYNC_OK)
        err = repair_strays(pg, init, why, cap);
    /* The schema as init left it, anchored in the keyring when this init built it. */
    if (err == SYNC_OK && keyring && init->to > init->from)
        err = schema_anchor(pg, keyring, why, cap);
    if (err == SYNC_OK && init->office_key)
        err = office_init(pg, init, why, cap);
    ledger_keyring_free(&ring);
    pg_close(pg);
    return err;
}

/* ---- kiosks and their keys --------------------------------------------------------------- */

int ledger_kiosk_role(const char *id, char *out, size_t cap)
{
    size_t n = strlen(id);
    if (n == 0 || n > LEDGER_KIOSK_ID_MAX || snprintf(out, cap, "cpd_kiosk_%s", id) >= (int)cap)
        return SYNC_ECONFIG;
    for (char *p = out + strlen("cpd_kiosk_"); *p; p++) {
        if (*p == '-')
            *p = '_';
        else if (isupper((unsigned char)*p))
            *p = (char)tolower((unsigned char)*p);
        else if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
            return SYNC_ECONFIG;
    }
    return SYNC_OK;
}

int ledger_add_kiosk(const struct ledger_target *t, const struct ledger_kiosk *k,
                     const char *keyring, char *role_out, size_t role_cap, char *why, size_t cap)
{
    char role[96], verifier[512], limits[3][16];
    if (strlen(k->password) < LEDGER_PASSWORD_MIN) {
        snprintf(why, cap,
                 "a kiosk's ledger password is at least %d characters (a random one: "
                 "openssl rand -base64 24)",
                 LEDGER_PASSWORD_MIN);
        return SYNC_ECONFIG;
    }
    if (ledger_kiosk_role(k->id, role, sizeof(role)) != SYNC_OK || strlen(role) >= role_cap) {
        snprintf(why, cap, "a kiosk id is 1–%d characters A-Z a-z 0-9 _ -", LEDGER_KIOSK_ID_MAX);
        return SYNC_ECONFIG;
    }
    snprintf(limits[0], sizeof(limits[0]), "%d", k->statement_timeout_s);
    snprintf(limits[1], sizeof(limits[1]), "%d", k->idle_in_transaction_s);
    snprintf(limits[2], sizeof(limits[2]), "%d", k->connections);
    struct pg *pg = NULL;
    int err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_from_pg(
            pg_scram_verifier(pg, role, k->password, verifier, sizeof(verifier), why, cap), pg);
    if (err == SYNC_OK)
        err = exec(pg, "BEGIN", 0, NULL, NULL, why, cap);
    if (err == SYNC_OK) {
        const char *v[] = {k->id, k->public_key_hex, role};
        err =
            exec(pg, "SELECT cpd.register_kiosk($1, decode($2, 'hex'), $3)", 3, v, NULL, why, cap);
        if (err == SYNC_OK) {
            const char *l[] = {role, verifier, limits[0], limits[1], limits[2]};
            err = exec(pg,
                       "SELECT cpd_ledger.create_login('kiosk', $1, $2, $3::integer,"
                       " $4::integer, $5::integer)",
                       5, l, NULL, why, cap);
        }
        /* The keyring before the commit: a key the ledger has, the keyring has too. */
        if (err == SYNC_OK && keyring)
            err =
                ledger_keyring_append(keyring, k->id, 1, k->public_key_hex, "registered", why, cap);
        err = finish(pg, err, why, cap);
    }
    crypto_wipe(verifier, sizeof(verifier));
    if (err == SYNC_OK)
        snprintf(role_out, role_cap, "%s", role);
    pg_close(pg);
    return err;
}

int ledger_add_office(const struct ledger_target *t, const char *name, const char *password,
                      char *role_out, size_t role_cap, char *why, size_t cap)
{
    char role[96], verifier[512];
    if (strlen(password) < LEDGER_PASSWORD_MIN) {
        snprintf(why, cap, "an office login's password is at least %d characters",
                 LEDGER_PASSWORD_MIN);
        return SYNC_ECONFIG;
    }
    int n = snprintf(role, sizeof(role), "cpd_office_%s", name);
    bool ok = n > 11 && (size_t)n < sizeof(role) && strlen(name) <= LEDGER_KIOSK_ID_MAX;
    for (const char *p = name; ok && *p; p++)
        ok = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_';
    if (!ok || strlen(role) >= role_cap) {
        snprintf(why, cap, "an office login name is 1–%d characters a-z 0-9 _",
                 LEDGER_KIOSK_ID_MAX);
        return SYNC_ECONFIG;
    }
    struct pg *pg = NULL;
    int err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_from_pg(
            pg_scram_verifier(pg, role, password, verifier, sizeof(verifier), why, cap), pg);
    const char *v[] = {role, verifier};
    if (err == SYNC_OK)
        err = exec(pg, "SELECT cpd_ledger.create_login('office', $1, $2)", 2, v, NULL, why, cap);
    crypto_wipe(verifier, sizeof(verifier));
    if (err == SYNC_OK)
        snprintf(role_out, role_cap, "%s", role);
    pg_close(pg);
    return err;
}

int ledger_rotate_key(const struct ledger_target *t, const char *id, const char *public_key_hex,
                      const char *reason, int64_t from_seq, const char *keyring,
                      int64_t *applies_from, char *why, size_t cap)
{
    char from[24];
    snprintf(from, sizeof(from), "%" PRId64, from_seq);
    const char *v[] = {id, public_key_hex, reason, from_seq > 0 ? from : NULL};
    if (!reason[0] || strlen(reason) > 500 || strpbrk(reason, "\r\n")) {
        snprintf(why, cap, "--reason: one line of 1–500 characters");
        return SYNC_ECONFIG;
    }
    struct pg *pg = NULL;
    struct pg_result *r = NULL;
    int err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = exec(pg, "BEGIN", 0, NULL, NULL, why, cap);
    if (err == SYNC_OK) {
        err = exec(pg, "SELECT cpd.rotate_key($1, decode($2, 'hex'), $3, $4::bigint)", 4, v, &r,
                   why, cap);
        if (err == SYNC_OK)
            *applies_from = strtoll(pg_value(r, 0, 0), NULL, 10);
        /* The keyring before the commit: a key the ledger has, the keyring has too. */
        if (err == SYNC_OK && keyring)
            err =
                ledger_keyring_append(keyring, id, *applies_from, public_key_hex, reason, why, cap);
        err = finish(pg, err, why, cap);
    }
    pg_clear(r);
    pg_close(pg);
    return err;
}

int ledger_checkpoint(const struct ledger_target *t, ledger_line_fn fn, void *ctx, char *why,
                      size_t cap)
{
    struct pg *pg = NULL;
    struct pg_result *r = NULL;
    int err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = exec(pg,
                   "SELECT id || ' ' || last_seq || ' ' || encode(last_hash, 'hex') || ' ' ||"
                   " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                   " FROM cpd.kiosks"
                   /* head office's own log: its newest record, so none can be taken back */
                   " UNION ALL (SELECT '@office ' || seq || ' ' || encode(hash, 'hex') || ' ' ||"
                   " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                   " FROM cpd.office_log ORDER BY seq DESC LIMIT 1) ORDER BY 1",
                   0, NULL, &r, why, cap);
    if (err == SYNC_OK)
        fn(ctx,
           "# cpd-admin ledger checkpoint: kiosk last_seq last_hash when (keep apart from the"
           " ledger)",
           false);
    for (int i = 0; err == SYNC_OK && i < pg_rows(r); i++)
        fn(ctx, pg_value(r, i, 0), false);
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
        return CPD_STOP;
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
        return CPD_STOP;
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
               /* a badge a kiosk revoked is not brought back on (schema 8) */
               "INSERT INTO cpd.badges (uid_hash, last4, staff_no, active) SELECT"
               " decode($1, 'hex'), $2, $3, NOT EXISTS (SELECT 1 FROM cpd.revoked_badges r"
               " WHERE r.uid_hash = decode($1, 'hex')) ON CONFLICT (uid_hash) DO UPDATE SET"
               " last4 = excluded.last4, staff_no = excluded.staff_no, active = excluded.active"
               " WHERE (cpd.badges.staff_no, cpd.badges.active) IS DISTINCT FROM"
               " (excluded.staff_no, excluded.active)",
               3, v);
}

static int put_booking(void *ctx, const char *staff_no, const char *session)
{
    const char *v[] = {staff_no, session};
    return put(ctx,
               /* a booking a kiosk cancelled is not brought back (schema 4) */
               "INSERT INTO cpd.bookings (staff_no, session) SELECT $1::text, $2::text"
               " WHERE NOT EXISTS (SELECT 1 FROM cpd.cancelled_bookings c"
               " WHERE c.staff_no = $1::text AND c.session = $2::text)"
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
               /* a credit a kiosk voided is stored as sent but stays inactive (schema 4) */
               "INSERT INTO cpd.external_credits (staff_no, programme, date, source, credits_q,"
               " certificate, directed, note, active) SELECT $1::text, $2::text, $3::date,"
               " $4::text, $5::integer, $6::text, $7::boolean, $8::text, NOT EXISTS (SELECT 1"
               " FROM cpd.voided_credits v WHERE v.staff_no = $1::text AND v.programme = $2::text"
               " AND v.date = $3::date)"
               " ON CONFLICT (staff_no, programme, date) DO UPDATE SET source = excluded.source,"
               " credits_q = excluded.credits_q, certificate = excluded.certificate,"
               " directed = excluded.directed, note = excluded.note, active = excluded.active",
               8, v);
}

static int remove_tree(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The first three differences into a sentence, and how many. */
struct named {
    char text[1400];
    size_t n;
};

static void name_difference(void *ctx, const char *live, const char *expected)
{
    struct named *d = ctx;
    size_t used = strlen(d->text);
    if (d->n++ < 3 && used < sizeof(d->text)) {
        char one[900];
        office_describe(live, expected, one, sizeof(one));
        snprintf(d->text + used, sizeof(d->text) - used, "%s%s", used ? "; " : "", one);
    }
}

/* Before an import writes: the kind's tables locked, and exactly what head office's records
 * and the kiosks' events make them, so the new record signs nothing someone else changed. */
static int office_before(struct pg *pg, enum office_kind kind,
                         const uint8_t pk[CRYPTO_SIGN_PK_BYTES], char *why, size_t cap)
{
    int64_t records = 0;
    int err = office_lock(pg, kind, why, cap);
    if (err == SYNC_OK)
        err = office_head(pg, &records, why, cap);
    if (err == SYNC_OK && records == 0) {
        snprintf(why, cap,
                 "head office's rows are not signed yet: run ledger init --office-key FILE"
                 " --keyring FILE first");
        return SYNC_ECONFIG;
    }
    struct named d = {.text = ""};
    char bad[300] = "";
    size_t n = 0;
    if (err == SYNC_OK)
        err = office_check(pg, pk, kind, name_difference, &d, &n, bad, sizeof(bad), why, cap);
    if (err == SYNC_OK && bad[0]) {
        snprintf(why, cap, "head office's records: %s; nothing was imported", bad);
        err = SYNC_ETAMPER;
    } else if (err == SYNC_OK && n > 0) {
        snprintf(why, cap,
                 "the ledger's rows differ from head office's signed records (%zu): %s%s; "
                 "nothing was imported: put them back (verify --ledger lists each) or restore",
                 n, d.text, n > 3 ? "; and more" : "");
        err = SYNC_ETAMPER;
    }
    return err;
}

/* Writes what the scratch store holds of this kind into the ledger, in one transaction, with
 * head office's record of the result. */
static int write_kind(struct pg *pg, struct store *scratch, enum import_kind kind,
                      const uint8_t sk[CRYPTO_SIGN_SK_BYTES],
                      const uint8_t pk[CRYPTO_SIGN_PK_BYTES], char *why, size_t cap, int *rows)
{
    struct writer w = {.pg = pg, .why = why, .cap = cap};
    int err = sync_from_pg(pg_exec(pg, "BEGIN", 0, NULL, NULL, why, cap), pg);
    int rc = STORE_OK;
    enum office_kind office = office_kind_of_import(kind);
    if (err == SYNC_OK)
        err = office_before(pg, office, pk, why, cap);
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
        err = w.err ? w.err : rc != STORE_OK && rc != CPD_STOP ? SYNC_ESTORE : SYNC_OK;
    }
    int64_t seq = 0;
    if (err == SYNC_OK)
        err = office_record(pg, sk, office, &seq, why, cap);
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
    memset(result, 0, sizeof(*result));
    if (!mkdtemp(dir)) {
        snprintf(why, cap, "cannot make a scratch directory");
        return SYNC_ESTORE;
    }
    snprintf(db, sizeof(db), "%s/scratch.db", dir);
    uint8_t sk[CRYPTO_SIGN_SK_BYTES], pk[CRYPTO_SIGN_PK_BYTES];
    int err = SYNC_OK;
    if (!t->office_key && !options->dry_run) {
        snprintf(why, cap, "every import is signed by head office: --office-key FILE");
        err = SYNC_ECONFIG;
    } else if (t->office_key) {
        err = office_key_load(t->office_key, sk, pk, why, cap);
    }
    if (err == SYNC_OK)
        err = store_open(db, &scratch, why, cap) == STORE_OK ? SYNC_OK : SYNC_ESTORE;
    if (err == SYNC_OK)
        err = connect_to(t, &pg, why, cap);
    /* The ledger's people and programme first: the file is checked against them. */
    if (err == SYNC_OK)
        err = sync_copy(pg, scratch,
                        kind == IMPORT_PROGRAMME ? SYNC_COPY_FOR_PROGRAMME : SYNC_COPY_FOR_IMPORT,
                        INT64_MIN, NULL, why, cap);
    if (err == SYNC_OK) {
        int rc = import_file(scratch, kind, path, options, result);
        if (rc != IMPORT_OK) {
            snprintf(why, cap, "%s", cpd_strerror(rc));
            err = SYNC_ECONFIG;
        }
    }
    /* Rows already in the ledger are rewritten only where something changed. */
    int rows = 0;
    if (err == SYNC_OK && !options->dry_run)
        err = write_kind(pg, scratch, kind, sk, pk, why, cap, &rows);
    crypto_wipe(sk, sizeof(sk));
    result->written = options->dry_run ? 0 : rows;
    pg_close(pg);
    store_close(scratch);
    nftw(dir, remove_tree, 8, FTW_DEPTH | FTW_PHYS);
    return err;
}

int ledger_copy_open(const struct ledger_target *t, struct ledger_copy *copy,
                     int64_t events_from_us, char *why, size_t cap)
{
    char db[sizeof(copy->dir) + 16];
    struct pg *pg = NULL;
    memset(copy, 0, sizeof(*copy));
    strcopy(copy->dir, sizeof(copy->dir), "/tmp/cpd-report-XXXXXX");
    if (!mkdtemp(copy->dir)) {
        snprintf(why, cap, "cannot make a scratch directory in /tmp");
        copy->dir[0] = '\0';
        return SYNC_ESTORE;
    }
    snprintf(db, sizeof(db), "%s/ledger.db", copy->dir);
    int err = store_open(db, &copy->store, why, cap) == STORE_OK ? SYNC_OK : SYNC_ESTORE;
    if (err == SYNC_OK)
        err = connect_to(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_copy(pg, copy->store, SYNC_COPY_FOR_REPORTS, events_from_us, &copy->skipped, why,
                        cap);
    pg_close(pg);
    if (err != SYNC_OK)
        ledger_copy_close(copy);
    return err;
}

void ledger_copy_close(struct ledger_copy *copy)
{
    store_close(copy->store);
    if (copy->dir[0])
        nftw(copy->dir, remove_tree, 8, FTW_DEPTH | FTW_PHYS);
    memset(copy, 0, sizeof(*copy));
}

/* ---- the keyring: kiosk keys kept outside the database --------------------------------- */

void ledger_keyring_free(struct ledger_keyring *k)
{
    if (k->rules)
        schema_rules_free(k->rules);
    free(k->rules);
    free(k->keys);
    memset(k, 0, sizeof(*k));
}

/* A key from a seq on replaces the kiosk's keys from that seq on, as cpd.rotate_key does in
 * the ledger: the keyring file is a history, this is what it says now. */
static int keyring_add(struct ledger_keyring *k, const struct ledger_key *key)
{
    size_t kept = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(k->keys[i].kiosk, key->kiosk) != 0 || k->keys[i].from_seq < key->from_seq)
            k->keys[kept++] = k->keys[i];
    }
    k->n = kept;
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 16;
        struct ledger_key *grown = realloc(k->keys, cap * sizeof(*grown));
        if (!grown)
            return SYNC_ESTORE;
        k->keys = grown;
        k->cap = cap;
    }
    k->keys[k->n++] = *key;
    return SYNC_OK;
}

/* "<kiosk> <from_seq> <public key hex> <when> <reason…>", or "@schema 0 <digest> <when> …"
 * (the schema as ledger init left it); '#' starts a comment line. */
static int keyring_line(char *line, struct ledger_key *key)
{
    char *save = NULL, *id = strtok_r(line, " \t", &save), *from = strtok_r(NULL, " \t", &save);
    char *pk = strtok_r(NULL, " \t\r\n", &save), *when = strtok_r(NULL, " \t\r\n", &save);
    char *end = NULL;
    if (!id || !from || !pk || strcopy(key->kiosk, sizeof(key->kiosk), id) != 0 ||
        strcopy(key->when, sizeof(key->when), when ? when : "") != 0)
        return -1;
    key->from_seq = strtoll(from, &end, 10);
    if (*end || key->from_seq < 1 || crypto_unhex(key->pk, sizeof(key->pk), pk) != 0)
        return -1;
    return 0;
}

int ledger_keyring_load(const char *path, struct ledger_keyring *k, char *why, size_t cap)
{
    memset(k, 0, sizeof(*k));
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return SYNC_ECONFIG;
    }
    char line[1024];
    int err = SYNC_OK;
    for (int no = 1; err == SYNC_OK && fgets(line, sizeof(line), f); no++) {
        struct ledger_key key;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, cap, "%s:%d: line too long", path, no);
            err = SYNC_ECONFIG;
        } else if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line)) {
            continue;
        } else if (strncmp(line, "@office 0 ", 10) == 0) {
            char *pk = line + 10;
            pk[strcspn(pk, " \t\r\n")] = '\0';
            if (crypto_unhex(k->office_pk, sizeof(k->office_pk), pk) != 0) {
                snprintf(why, cap, "%s:%d: an office line needs head office's 64-digit key", path,
                         no);
                err = SYNC_ECONFIG;
            }
            k->has_office = true;
        } else if (strncmp(line, "@schema 0 ", 10) == 0) {
            char *digest = line + 10;
            digest[strcspn(digest, " \t\r\n")] = '\0';
            if (strlen(digest) != 64 || strcopy(k->schema, sizeof(k->schema), digest) != 0) {
                snprintf(why, cap, "%s:%d: a schema line needs its 64-digit digest", path, no);
                err = SYNC_ECONFIG;
            }
        } else if (keyring_line(line, &key) != 0) {
            snprintf(why, cap, "%s:%d: expected \"KIOSK FROM_SEQ PUBLIC_KEY_HEX WHEN REASON\"",
                     path, no);
            err = SYNC_ECONFIG;
        } else {
            err = keyring_add(k, &key);
        }
    }
    fclose(f);
    /* The schema's lines as init built them (KEYRING.schema), to name what differs. */
    if (err == SYNC_OK && k->schema[0] && (k->rules = calloc(1, sizeof(*k->rules))) != NULL) {
        char ignored[256];
        if (schema_rules_load(path, k->rules, ignored, sizeof(ignored)) != SYNC_OK) {
            free(k->rules);
            k->rules = NULL;
        }
    }
    if (err != SYNC_OK)
        ledger_keyring_free(k);
    return err;
}

/* The keyring already says this kiosk's key from this seq is this one. */
static bool keyring_holds(const char *path, const char *kiosk, int64_t from_seq,
                          const char *public_key_hex)
{
    struct ledger_keyring ring;
    char ignored[256];
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    if (crypto_unhex(pk, sizeof(pk), public_key_hex) != 0 ||
        ledger_keyring_load(path, &ring, ignored, sizeof(ignored)) != SYNC_OK)
        return false;
    bool held = false;
    for (size_t i = 0; i < ring.n && !held; i++)
        held = strcmp(ring.keys[i].kiosk, kiosk) == 0 && ring.keys[i].from_seq == from_seq &&
               memcmp(ring.keys[i].pk, pk, sizeof(pk)) == 0;
    ledger_keyring_free(&ring);
    return held;
}

int ledger_keyring_append(const char *path, const char *kiosk, int64_t from_seq,
                          const char *public_key_hex, const char *reason, char *why, size_t cap)
{
    if (strcmp(kiosk, "@schema") == 0 || strcmp(kiosk, "@office") == 0) {
        struct ledger_keyring ring;
        char ignored[256], office[2 * CRYPTO_SIGN_PK_BYTES + 1] = "";
        bool loaded = ledger_keyring_load(path, &ring, ignored, sizeof(ignored)) == SYNC_OK;
        if (loaded && ring.has_office)
            crypto_hex(office, ring.office_pk, sizeof(ring.office_pk));
        bool same = loaded && strcmp(kiosk[1] == 's' ? ring.schema : office, public_key_hex) == 0;
        if (loaded)
            ledger_keyring_free(&ring);
        if (same)
            return SYNC_OK;
    } else if (keyring_holds(path, kiosk, from_seq, public_key_hex))
        return SYNC_OK; /* add-kiosk again (a new password): nothing new to anchor */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return SYNC_ECONFIG;
    }
    char line[1024], when[48], second[24];
    int64_t now_us = clock_wall_us();
    time_t now = (time_t)(now_us / 1000000);
    struct tm tm;
    /* to the microsecond: a checkpoint taken in the same second is told apart */
    strftime(second, sizeof(second), "%Y-%m-%dT%H:%M:%S", gmtime_r(&now, &tm));
    snprintf(when, sizeof(when), "%s.%06dZ", second, (int)(now_us % 1000000));
    int n = snprintf(line, sizeof(line), "%s %" PRId64 " %s %s %s\n", kiosk, from_seq,
                     public_key_hex, when, reason);
    int err = SYNC_OK;
    if (n < 0 || (size_t)n >= sizeof(line) || strchr(reason, '\n')) {
        snprintf(why, cap, "%s: the reason is too long or spans lines", path);
        err = SYNC_ECONFIG;
    } else if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        err = SYNC_ECONFIG;
    }
    close(fd);
    return err;
}

/* The key the keyring holds for kiosk at seq; NULL when it has none. */
static const uint8_t *keyring_key(const struct ledger_keyring *k, const char *kiosk, int64_t seq)
{
    const struct ledger_key *best = NULL;
    for (size_t i = 0; i < k->n; i++) {
        const struct ledger_key *key = &k->keys[i];
        if (strcmp(key->kiosk, kiosk) == 0 && key->from_seq <= seq &&
            (!best || key->from_seq >= best->from_seq))
            best = key;
    }
    return best ? best->pk : NULL;
}

static bool keyring_has(const struct ledger_keyring *k, const char *kiosk)
{
    return keyring_key(k, kiosk, INT64_MAX) != NULL;
}

/* ---- verify ------------------------------------------------------------------------------ */

struct checkpoint {
    char kiosk[64];
    int64_t seq;
    char hash[2 * CRYPTO_HASH_BYTES + 1];
    char when[32];
};

struct verifier {
    struct pg *pg;
    const struct ledger_keyring *ring;
    ledger_line_fn fn;
    void *ctx;
    struct ledger_verify_report *report;
    bool kiosk_bad;
    struct checkpoint *checkpoints;
    size_t n_checkpoints;
};

static void say(struct verifier *v, bool bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line to the caller; control characters (a kiosk id written by the owner, say) are shown
 * as '?', so no value can forge a line of the report. */
static void say(struct verifier *v, bool bad, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
    v->kiosk_bad |= bad;
    if (v->fn)
        v->fn(v->ctx, line, bad);
}

static void say_difference(void *ctx, const char *what, const char *line)
{
    say(ctx, true, "schema: %s: %.300s", what, line);
}

/* One kiosk's chain, a page at a time, each event against the keyring's key for its seq.
 * *broken: the walk stopped at a bad event. */
static int verify_chain(struct verifier *v, const char *kiosk, struct event_chain *chain,
                        bool *broken, char *why, size_t cap)
{
    char after[24] = "0";
    event_chain_start(chain);
    *broken = false;
    for (;;) {
        const char *params[2] = {kiosk, after};
        struct pg_result *r = NULL;
        int err = exec(v->pg,
                       "SELECT seq, uuid::text, type, person, session, wall_us, mono_us,"
                       " clock, payload, encode(prev_hash, 'hex'), encode(hash, 'hex'),"
                       " encode(sig, 'hex') FROM cpd.events WHERE kiosk = $1 AND seq > $2"
                       " ORDER BY seq LIMIT 10000",
                       2, params, &r, why, cap);
        if (err != SYNC_OK)
            return err;
        int n = pg_rows(r);
        for (int i = 0; i < n; i++) {
            struct event e;
            int bad = sync_event_from_row(r, i, kiosk, &e);
            const uint8_t *pk = keyring_key(v->ring, kiosk, e.seq);
            int rc = bad ? EVENT_EHASH : !pk ? EVENT_ESIG : event_chain_next(chain, &e, pk);
            v->report->events++;
            if (rc != EVENT_OK) {
                say(v, true, "kiosk %s: event %" PRId64 ": %s (after %" PRId64 " good events)",
                    kiosk, e.seq ? e.seq : chain->last_seq + 1,
                    !pk && !bad ? "no key in the keyring for this seq" : cpd_strerror(rc),
                    chain->last_seq);
                *broken = true;
                pg_clear(r);
                return SYNC_OK;
            }
            snprintf(after, sizeof(after), "%" PRId64, e.seq);
        }
        pg_clear(r);
        if (n < 10000)
            return SYNC_OK;
    }
}

/* The ledger's own record of the kiosk — its current key, its key history and its last seq
 * and hash — against the keyring and the chain. */
static int verify_record(struct verifier *v, const struct pg_result *k, int i,
                         const struct event_chain *chain, bool broken, char *why, size_t cap)
{
    const char *kiosk = pg_value(k, i, 0);
    uint8_t pk[CRYPTO_SIGN_PK_BYTES], last_hash[CRYPTO_HASH_BYTES];
    int64_t last_seq = strtoll(pg_value(k, i, 2), NULL, 10);
    if (crypto_unhex(pk, sizeof(pk), pg_value(k, i, 1)) != 0 ||
        crypto_unhex(last_hash, sizeof(last_hash), pg_value(k, i, 3)) != 0) {
        say(v, true, "kiosk %s: its record in the ledger is malformed", kiosk);
        return SYNC_OK;
    }
    const uint8_t *ring = keyring_key(v->ring, kiosk, INT64_MAX);
    if (ring && memcmp(ring, pk, sizeof(pk)) != 0)
        say(v, true, "kiosk %s: the ledger's public key differs from the keyring's", kiosk);
    /* Every key the ledger checks pushes with, from the seq it applies, is the keyring's. */
    const char *params[1] = {kiosk};
    struct pg_result *r = NULL;
    int err = exec(v->pg,
                   "SELECT from_seq, encode(public_key, 'hex') FROM cpd.kiosk_keys"
                   " WHERE kiosk = $1 ORDER BY from_seq",
                   1, params, &r, why, cap);
    if (err != SYNC_OK)
        return err;
    size_t in_ledger = (size_t)pg_rows(r);
    for (size_t j = 0; j < in_ledger; j++) {
        int64_t from = strtoll(pg_value(r, (int)j, 0), NULL, 10);
        uint8_t key[CRYPTO_SIGN_PK_BYTES];
        const uint8_t *ours = keyring_key(v->ring, kiosk, from);
        bool same = crypto_unhex(key, sizeof(key), pg_value(r, (int)j, 1)) == 0 && ours &&
                    memcmp(ours, key, sizeof(key)) == 0;
        if (!same)
            say(v, true, "kiosk %s: the ledger's key from seq %" PRId64 " is not the keyring's",
                kiosk, from);
    }
    size_t in_ring = 0;
    for (size_t q = 0; q < v->ring->n; q++)
        in_ring += strcmp(v->ring->keys[q].kiosk, kiosk) == 0;
    if (in_ring != in_ledger)
        say(v, true, "kiosk %s: the keyring holds %zu keys for it, the ledger %zu", kiosk, in_ring,
            in_ledger);
    pg_clear(r);
    if (broken)
        return SYNC_OK; /* the bad event is the finding; what follows it is not "missing" */
    if (chain->last_seq < last_seq)
        say(v, true,
            "kiosk %s: the chain ends at seq %" PRId64 " but the ledger recorded last_seq %" PRId64
            ": events %" PRId64 "–%" PRId64 " are missing",
            kiosk, chain->last_seq, last_seq, chain->last_seq + 1, last_seq);
    else if (chain->last_seq > last_seq ||
             (last_seq > 0 && memcmp(chain->last_hash, last_hash, sizeof(last_hash)) != 0))
        say(v, true, "kiosk %s: the chain's tip (seq %" PRId64 ") is not the ledger's record of it",
            kiosk, chain->last_seq);
    return SYNC_OK;
}

/* The checkpoints file, read whole before anything is verified: "<kiosk> <seq> <hash> <when>"
 * lines, '#' comments. */
static int load_checkpoints(struct verifier *v, const char *path, char *why, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return SYNC_ECONFIG;
    }
    char line[512];
    int err = SYNC_OK;
    size_t room = 0;
    for (int no = 1; err == SYNC_OK && fgets(line, sizeof(line), f); no++) {
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
            continue;
        char *save = NULL, *kiosk = strtok_r(line, " \t", &save);
        char *seq = strtok_r(NULL, " \t", &save), *hash = strtok_r(NULL, " \t\r\n", &save);
        char *when = strtok_r(NULL, " \t\r\n", &save), *end = NULL;
        uint8_t bytes[CRYPTO_HASH_BYTES];
        struct checkpoint c = {0};
        if (!kiosk || !seq || !hash || (c.seq = strtoll(seq, &end, 10)) < 0 || *end ||
            crypto_unhex(bytes, sizeof(bytes), hash) != 0 ||
            strcopy(c.kiosk, sizeof(c.kiosk), kiosk) != 0 ||
            strcopy(c.hash, sizeof(c.hash), hash) != 0 ||
            strcopy(c.when, sizeof(c.when), when ? when : "?") != 0) {
            snprintf(why, cap, "%s:%d: expected \"KIOSK SEQ HASH_HEX WHEN\"", path, no);
            err = SYNC_ECONFIG;
            break;
        }
        if (v->n_checkpoints == room) {
            room = room ? 2 * room : 64;
            struct checkpoint *grown = realloc(v->checkpoints, room * sizeof(*grown));
            if (!grown) {
                err = SYNC_ESTORE;
                break;
            }
            v->checkpoints = grown;
        }
        v->checkpoints[v->n_checkpoints++] = c;
    }
    fclose(f);
    return err;
}

/* Two UTC times as the keyring and checkpoints write them ("…T19:16:58.123456Z"; older
 * files to the second): later only when that is certain, never within one second of older
 * files. */
static bool written_after(const char *a, const char *b)
{
    if (strlen(a) < 19 || strlen(b) < 19)
        return false;
    int by_second = strncmp(a, b, 19);
    return by_second > 0 || (by_second == 0 && strlen(a) == strlen(b) && strcmp(a, b) > 0);
}

/* A key written into the keyring after a checkpoint must apply only after the events that
 * checkpoint saw: otherwise it re-keys history someone already kept (an owner who lowered the
 * kiosk's last_seq, then rotate-key --from-seq 1, re-signing every event). */
static void verify_key_after(struct verifier *v, const struct checkpoint *c)
{
    for (size_t i = 0; i < v->ring->n; i++) {
        const struct ledger_key *key = &v->ring->keys[i];
        if (strcmp(key->kiosk, c->kiosk) == 0 && key->from_seq <= c->seq &&
            written_after(key->when, c->when))
            say(v, true,
                "kiosk %s: the keyring's key from seq %" PRId64 " (written %s) re-keys events up"
                " to %" PRId64 " that the checkpoint of %s saw: a new key applies only after"
                " what is checkpointed",
                c->kiosk, key->from_seq, key->when, c->seq, c->when);
    }
}

/* This kiosk's checkpoints against the ledger: each event a checkpoint saw must still be there
 * with the same hash. */
static int verify_checkpoints_of(struct verifier *v, const char *kiosk, char *why, size_t cap)
{
    for (size_t i = 0; i < v->n_checkpoints; i++) {
        const struct checkpoint *c = &v->checkpoints[i];
        if (strcmp(c->kiosk, kiosk) != 0 || c->seq == 0)
            continue;
        char seq[24];
        snprintf(seq, sizeof(seq), "%" PRId64, c->seq);
        const char *params[2] = {kiosk, seq};
        struct pg_result *r = NULL;
        int err = exec(v->pg,
                       "SELECT encode(hash, 'hex'), (SELECT max(seq) FROM cpd.events WHERE"
                       " kiosk = $1) FROM (SELECT 1) one LEFT JOIN cpd.events ON kiosk = $1"
                       " AND seq = $2::bigint",
                       2, params, &r, why, cap);
        if (err != SYNC_OK)
            return err;
        v->report->checkpoints++;
        verify_key_after(v, c);
        if (pg_null(r, 0, 0))
            say(v, true,
                "kiosk %s: event %s of the checkpoint of %s is missing (the ledger's chain ends"
                " at %s)",
                kiosk, seq, c->when, pg_null(r, 0, 1) ? "0" : pg_value(r, 0, 1));
        else if (strcmp(pg_value(r, 0, 0), c->hash) != 0)
            say(v, true, "kiosk %s: event %s differs from the checkpoint of %s (rewritten)", kiosk,
                seq, c->when);
        pg_clear(r);
    }
    return SYNC_OK;
}

static bool listed(const struct pg_result *k, const char *kiosk)
{
    for (int j = 0; j < pg_rows(k); j++) {
        if (strcmp(pg_value(k, j, 0), kiosk) == 0)
            return true;
    }
    return false;
}

/* Kiosks the keyring or the checkpoints name that the ledger has nothing of. */
static void verify_unknown(struct verifier *v, const struct pg_result *k)
{
    for (size_t i = 0; i < v->ring->n; i++) {
        const char *kiosk = v->ring->keys[i].kiosk;
        bool seen = listed(k, kiosk);
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(v->ring->keys[j].kiosk, kiosk) == 0;
        if (!seen) {
            v->kiosk_bad = false;
            say(v, true, "kiosk %s: in the keyring but unknown to the ledger", kiosk);
            v->report->bad_kiosks++;
        }
    }
    for (size_t i = 0; i < v->n_checkpoints; i++) {
        const struct checkpoint *c = &v->checkpoints[i];
        if (c->seq > 0 && strcmp(c->kiosk, "@office") != 0 && !listed(k, c->kiosk) &&
            !keyring_has(v->ring, c->kiosk)) { /* "@office": head office's log (verify_office) */
            v->kiosk_bad = false;
            say(v, true, "kiosk %s: in the checkpoints but unknown to the ledger", c->kiosk);
            v->report->bad_kiosks++;
        }
    }
}

/* Rows no chain walk reaches (no kiosk, or a seq below 1: only possible once the owner dropped
 * a constraint) are invented history too; and each kiosk's rows must be exactly its chain. */
static int verify_strays(struct verifier *v, char *why, size_t cap)
{
    struct pg_result *r = NULL;
    int err = exec(v->pg,
                   "SELECT coalesce(kiosk, '(none)'), count(*) FROM cpd.events"
                   " WHERE kiosk IS NULL OR seq IS NULL OR seq < 1 GROUP BY kiosk ORDER BY 1",
                   0, NULL, &r, why, cap);
    if (err != SYNC_OK)
        return err;
    for (int i = 0; i < pg_rows(r); i++) {
        v->kiosk_bad = false;
        say(v, true, "kiosk %s: %s events outside any chain (no kiosk or no valid seq)",
            pg_value(r, i, 0), pg_value(r, i, 1));
        v->report->bad_kiosks++;
    }
    pg_clear(r);
    err = exec(v->pg,
               "SELECT kiosk, count(*), count(DISTINCT seq), max(seq) FROM cpd.events"
               " WHERE kiosk IS NOT NULL GROUP BY kiosk HAVING count(*) <> count(DISTINCT seq)"
               " OR count(*) <> max(seq)",
               0, NULL, &r, why, cap);
    if (err != SYNC_OK)
        return err;
    for (int i = 0; i < pg_rows(r); i++) {
        v->kiosk_bad = false;
        say(v, true, "kiosk %s: %s rows for a chain of %s events", pg_value(r, i, 0),
            pg_value(r, i, 1), pg_value(r, i, 3));
        v->report->bad_kiosks++;
    }
    pg_clear(r);
    return SYNC_OK;
}

static void say_office_difference(void *ctx, const char *live, const char *expected)
{
    struct verifier *v = ctx;
    char one[1200];
    office_describe(live, expected, one, sizeof(one));
    say(v, true, "office rows: %s", one);
}

/* Head office's records: their chain and signatures against the keyring's key, then every
 * row of the people, badges, programme, bookings and credits against their projection. */
static int verify_office(struct verifier *v, char *why, size_t cap)
{
    int64_t records = 0;
    int err = office_head(v->pg, &records, why, cap);
    v->kiosk_bad = false;
    if (err == SYNC_OK && !v->ring->has_office)
        say(v, true,
            "office rows: the keyring holds no head office key, so its own rows are not proved"
            " (ledger init --office-key FILE --keyring FILE)");
    else if (err == SYNC_OK && records == 0)
        say(v, true,
            "office rows: head office's log holds no record, so its own rows are not proved"
            " (ledger init --office-key FILE --keyring FILE)");
    if (err != SYNC_OK || v->kiosk_bad) {
        v->report->bad_other += v->kiosk_bad;
        return err;
    }
    /* The checkpoints' "@office" lines: each record they saw is there, unchanged. */
    for (size_t i = 0; err == SYNC_OK && i < v->n_checkpoints; i++) {
        const struct checkpoint *c = &v->checkpoints[i];
        if (strcmp(c->kiosk, "@office") != 0)
            continue;
        char seq[24];
        snprintf(seq, sizeof(seq), "%" PRId64, c->seq);
        const char *params[] = {seq};
        struct pg_result *r = NULL;
        err = exec(v->pg,
                   "SELECT encode(hash, 'hex') FROM (SELECT 1) one LEFT JOIN cpd.office_log"
                   " ON seq = $1::bigint",
                   1, params, &r, why, cap);
        if (err == SYNC_OK && pg_null(r, 0, 0))
            say(v, true,
                "office rows: head office's record %s of the checkpoint of %s is missing (the"
                " log holds %" PRId64 ")",
                seq, c->when, records);
        else if (err == SYNC_OK && strcmp(pg_value(r, 0, 0), c->hash) != 0)
            say(v, true, "office rows: head office's record %s differs from the checkpoint of %s",
                seq, c->when);
        pg_clear(r);
    }
    char bad[300] = "";
    size_t n = 0;
    if (err == SYNC_OK)
        err = office_check(v->pg, v->ring->office_pk, OFFICE_GENESIS, say_office_difference, v, &n,
                           bad, sizeof(bad), why, cap);
    if (err == SYNC_OK && bad[0])
        say(v, true, "office rows: head office's records: %s", bad);
    else if (err == SYNC_OK && n == 0 && !v->kiosk_bad)
        say(v, false,
            "office rows: %" PRId64 " records of head office, chain and signatures verified;"
            " people, badges, programme, bookings and credits as they make them",
            records);
    v->report->bad_other += v->kiosk_bad;
    return err;
}

/* Each privilege outside schema cpd that no migration gives. */
static int verify_privileges(struct verifier *v, char *why, size_t cap)
{
    struct privilege_strays strays = {0};
    int err = privilege_strays_read(v->pg, &strays, why, cap);
    for (size_t i = 0; err == SYNC_OK && i < strays.n; i++) {
        const struct privilege_stray *p = &strays.items[i];
        v->kiosk_bad = false;
        say(v, true, "privileges: %s to %s (granted by %s) is given by no migration; %s: %s",
            p->what, p->grantee, p->grantor,
            p->owner_can_revoke ? "ledger init takes it back" : "a superuser takes it back",
            p->revoke);
        v->report->bad_other++;
    }
    privilege_strays_free(&strays);
    return err;
}

int ledger_verify(const struct ledger_target *t, const struct ledger_keyring *ring,
                  const char *checkpoints, ledger_line_fn fn, void *ctx,
                  struct ledger_verify_report *report, char *why, size_t cap)
{
    memset(report, 0, sizeof(*report));
    struct verifier v = {.ring = ring, .fn = fn, .ctx = ctx, .report = report};
    struct pg_result *k = NULL;
    int err = checkpoints ? load_checkpoints(&v, checkpoints, why, cap) : SYNC_OK;
    if (err == SYNC_OK)
        err = connect_to(t, &v.pg, why, cap);
    /* One snapshot for everything read: kiosks pushing meanwhile move their records and chains
     * together, never one without the other (that read as tampering). */
    if (err == SYNC_OK)
        err =
            exec(v.pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, why, cap);
    /* Every kiosk the ledger has a record or events of. */
    if (err == SYNC_OK)
        err = exec(v.pg,
                   "SELECT id, encode(public_key, 'hex'), last_seq, encode(last_hash, 'hex'),"
                   " true FROM cpd.kiosks UNION ALL SELECT DISTINCT kiosk, NULL, NULL::bigint,"
                   " NULL, false FROM cpd.events WHERE kiosk NOT IN (SELECT id FROM cpd.kiosks)"
                   " ORDER BY 1",
                   0, NULL, &k, why, cap);
    for (int i = 0; err == SYNC_OK && i < pg_rows(k); i++) {
        const char *kiosk = pg_value(k, i, 0);
        bool registered = pg_value(k, i, 4)[0] == 't', broken = false;
        struct event_chain chain;
        v.kiosk_bad = false;
        report->kiosks++;
        if (!keyring_has(ring, kiosk))
            say(&v, true, "kiosk %s: %s but not in the keyring", kiosk,
                registered ? "registered in the ledger" : "has events");
        else if (!registered)
            say(&v, true, "kiosk %s: has events but no record in the ledger (cpd.kiosks)", kiosk);
        err = verify_chain(&v, kiosk, &chain, &broken, why, cap);
        if (err == SYNC_OK && registered)
            err = verify_record(&v, k, i, &chain, broken, why, cap);
        if (err == SYNC_OK)
            err = verify_checkpoints_of(&v, kiosk, why, cap);
        if (err == SYNC_OK && !v.kiosk_bad)
            say(&v, false, "kiosk %s: %" PRId64 " events: chain and signatures verified", kiosk,
                chain.last_seq);
        report->bad_kiosks += v.kiosk_bad;
    }
    if (err == SYNC_OK)
        verify_unknown(&v, k);
    if (err == SYNC_OK)
        err = verify_strays(&v, why, cap);
    if (err == SYNC_OK)
        err = verify_privileges(&v, why, cap);
    if (err == SYNC_OK)
        err = verify_office(&v, why, cap);
    struct schema_rules live = {0};
    if (err == SYNC_OK)
        err = schema_rules_read(v.pg, &live, why, cap);
    if (err == SYNC_OK && !ring->schema[0]) {
        v.kiosk_bad = false;
        say(&v, false, "schema: the keyring holds no digest of it (run ledger init --keyring)");
    } else if (err == SYNC_OK && strcmp(live.digest, ring->schema) != 0) {
        v.kiosk_bad = false;
        say(&v, true,
            "schema: its rules (constraints, views, functions, triggers, indexes) are not what "
            "ledger init left (digest %.12s…, the keyring's %.12s…)",
            live.digest, ring->schema);
        /* Each rule that differs, by name, when the keyring's lines are beside it. */
        if (ring->rules && strcmp(ring->rules->digest, ring->schema) == 0)
            schema_rules_differences(ring->rules, &live, say_difference, &v);
        report->bad_other++;
    }
    schema_rules_free(&live);
    if (v.pg)
        err = finish(v.pg, err, why, cap);
    free(v.checkpoints);
    pg_clear(k);
    pg_close(v.pg);
    return err;
}
