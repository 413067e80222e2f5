/* Head office's side of the ledger (ledger.h): the connection every admin command makes, ledger
 * init (migrations, hardening, the schema's proof, head office's key and first records),
 * kiosks, office logins and their keys, and checkpoints. Imports, the keyring and verify are
 * each their own file. */
#include "core/base/error.h"
#include "sync/ledger/ledger_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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

int ledger_connect(const struct ledger_target *t, struct pg **pg, char *why, size_t cap)
{
    struct pg_options o = {.password = t->password, .timeout_s = t->timeout_s, .strict = true};
    int err = sync_from_pg(pg_connect(t->conninfo, &o, pg, why, cap), NULL);
    /* The owner may be the one verify checks: a search_path of its own choosing (a role
     * setting) could put its own encode or sha256 before the catalogue's. Nothing it made is
     * looked up by an unqualified name here. */
    if (err == SYNC_OK)
        err =
            sync_from_pg(pg_exec(*pg,
                                 /* a SET, not set_config(): the guard refuses that to
                                  * an office login */
                                 "SET search_path = pg_catalog, pg_temp", 0, NULL, NULL, why, cap),
                         *pg);
    return err;
}

int ledger_exec(struct pg *pg, const char *sql, int n, const char *const *values,
                struct pg_result **out, char *why, size_t cap)
{
    return sync_from_pg(pg_exec(pg, sql, n, values, out, why, cap), pg);
}

/* Ends the transaction: COMMIT when all went well, ROLLBACK (keeping the first reason) when
 * not. */
int ledger_finish(struct pg *pg, int err, char *why, size_t cap)
{
    if (err == SYNC_OK)
        return ledger_exec(pg, "COMMIT", 0, NULL, NULL, why, cap);
    char ignored[64];
    pg_exec(pg, "ROLLBACK", 0, NULL, NULL, ignored, sizeof(ignored));
    return err;
}

/* ---- init -------------------------------------------------------------------------------- */

static int current_version(struct pg *pg, int *version, char *why, size_t cap)
{
    struct pg_result *r = NULL;
    int err = ledger_exec(pg, "SELECT to_regclass('cpd.schema_version') IS NOT NULL", 0, NULL, &r,
                          why, cap);
    if (err != SYNC_OK)
        return err;
    bool exists = pg_value(r, 0, 0)[0] == 't';
    pg_clear(r);
    *version = 0;
    if (!exists)
        return SYNC_OK;
    err = ledger_exec(pg, "SELECT version FROM cpd.schema_version", 0, NULL, &r, why, cap);
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

/* Objects no migration makes, before anything is changed: refused by name (ledger init never
 * drops what someone else made). */
static int refuse_foreign(struct pg *pg, char *why, size_t cap)
{
    struct pg_result *res = NULL;
    int err = foreign_objects_read(pg, &res, why, cap);
    char list[1400];
    if (err == SYNC_OK && foreign_objects_list(res, list, sizeof(list)) > 0) {
        snprintf(why, cap,
                 "the ledger's database holds objects no migration makes: %s; nothing was "
                 "changed: drop them or move them to another database, then run ledger init "
                 "again",
                 list);
        err = SYNC_ETAMPER;
    }
    pg_clear(res);
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
        err = ledger_exec(pg, "BEGIN", 0, NULL, NULL, why, cap);
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
        for (int k = OFFICE_PROGRAMME; err == SYNC_OK && k < OFFICE_CREDITS_SEEN; k++)
            err = office_record(pg, sk, (enum office_kind)k, &seq, why, cap);
        if (err == SYNC_OK && init->say)
            init->say(init->ctx,
                      "head office's first record: the people, badges, programme, bookings and"
                      " credits as they are now, signed",
                      false);
    } else if (err == SYNC_OK) {
        char bad[300];
        size_t differences = 0;
        bool seen = true;
        /* A log from before schema 9: what kiosks see of its newest credits record, signed
         * (derived from that record, never from the rows as they are). */
        err = office_seen_current(pg, &seen, why, cap);
        if (err == SYNC_OK && !seen)
            err = office_record(pg, sk, OFFICE_CREDITS_SEEN, &seq, why, cap);
        if (err == SYNC_OK)
            err = office_check(pg, pk, OFFICE_GENESIS, ignore_difference, NULL, &differences, bad,
                               sizeof(bad), why, cap);
        if (err == SYNC_OK && bad[0]) {
            snprintf(why, cap, "head office's records: %s (with the key in %s)", bad,
                     init->office_key);
            err = SYNC_ETAMPER;
        }
        if (err == SYNC_OK && !seen && init->say)
            init->say(init->ctx,
                      "head office's record of the credits as kiosks see them, signed: kiosks"
                      " now check the programme, bookings and credits they pull too",
                      false);
    }
    crypto_wipe(sk, sizeof(sk));
    return ledger_finish(pg, err, why, cap);
}

int ledger_init(const struct ledger_target *t, struct ledger_init *init, char *why, size_t cap)
{
    struct pg *pg = NULL;
    struct ledger_keyring ring = {0};
    const char *keyring = init->keyring;
    int err = ledger_connect(t, &pg, why, cap);
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
    if (err == SYNC_OK)
        err = refuse_foreign(pg, why, cap);
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
    int err = ledger_connect(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_from_pg(
            pg_scram_verifier(pg, role, k->password, verifier, sizeof(verifier), why, cap), pg);
    if (err == SYNC_OK)
        err = ledger_exec(pg, "BEGIN", 0, NULL, NULL, why, cap);
    if (err == SYNC_OK) {
        const char *v[] = {k->id, k->public_key_hex, role};
        err = ledger_exec(pg, "SELECT cpd.register_kiosk($1, decode($2, 'hex'), $3)", 3, v, NULL,
                          why, cap);
        if (err == SYNC_OK) {
            const char *l[] = {role, verifier, limits[0], limits[1], limits[2]};
            err = ledger_exec(pg,
                              "SELECT cpd_ledger.create_login('kiosk', $1, $2, $3::integer,"
                              " $4::integer, $5::integer)",
                              5, l, NULL, why, cap);
        }
        /* The keyring before the commit: a key the ledger has, the keyring has too. */
        if (err == SYNC_OK && keyring)
            err =
                ledger_keyring_append(keyring, k->id, 1, k->public_key_hex, "registered", why, cap);
        err = ledger_finish(pg, err, why, cap);
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
    int err = ledger_connect(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_from_pg(
            pg_scram_verifier(pg, role, password, verifier, sizeof(verifier), why, cap), pg);
    const char *v[] = {role, verifier};
    if (err == SYNC_OK)
        err = ledger_exec(pg, "SELECT cpd_ledger.create_login('office', $1, $2)", 2, v, NULL, why,
                          cap);
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
    int err = ledger_connect(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = ledger_exec(pg, "BEGIN", 0, NULL, NULL, why, cap);
    if (err == SYNC_OK) {
        err = ledger_exec(pg, "SELECT cpd.rotate_key($1, decode($2, 'hex'), $3, $4::bigint)", 4, v,
                          &r, why, cap);
        if (err == SYNC_OK)
            *applies_from = strtoll(pg_value(r, 0, 0), NULL, 10);
        /* The keyring before the commit: a key the ledger has, the keyring has too. */
        if (err == SYNC_OK && keyring)
            err =
                ledger_keyring_append(keyring, id, *applies_from, public_key_hex, reason, why, cap);
        err = ledger_finish(pg, err, why, cap);
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
    int err = ledger_connect(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = ledger_exec(
            pg,
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
