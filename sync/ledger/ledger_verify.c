/* verify --ledger: every kiosk's chain and signatures against the keyring, the checkpoints,
 * the schema's rules, the privileges outside it and head office's own rows, in one snapshot. */
#include "sync/ledger/ledger_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/strcopy.h"
#include "core/domain/crypto.h"
#include "core/domain/event.h"
#include "core/services/keys.h"
#include "sync/sync_pg.h"

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
        int err = ledger_exec(v->pg,
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
            const uint8_t *pk = ledger_keyring_key(v->ring, kiosk, e.seq);
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
    const uint8_t *ring = ledger_keyring_key(v->ring, kiosk, INT64_MAX);
    if (ring && memcmp(ring, pk, sizeof(pk)) != 0)
        say(v, true, "kiosk %s: the ledger's public key differs from the keyring's", kiosk);
    /* Every key the ledger checks pushes with, from the seq it applies, is the keyring's. */
    const char *params[1] = {kiosk};
    struct pg_result *r = NULL;
    int err = ledger_exec(v->pg,
                          "SELECT from_seq, encode(public_key, 'hex') FROM cpd.kiosk_keys"
                          " WHERE kiosk = $1 ORDER BY from_seq",
                          1, params, &r, why, cap);
    if (err != SYNC_OK)
        return err;
    size_t in_ledger = (size_t)pg_rows(r);
    for (size_t j = 0; j < in_ledger; j++) {
        int64_t from = strtoll(pg_value(r, (int)j, 0), NULL, 10);
        uint8_t key[CRYPTO_SIGN_PK_BYTES];
        const uint8_t *ours = ledger_keyring_key(v->ring, kiosk, from);
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
        int err = ledger_exec(v->pg,
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
            !ledger_keyring_has(v->ring,
                                c->kiosk)) { /* "@office": head office's log (verify_office) */
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
    int err =
        ledger_exec(v->pg,
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
    err =
        ledger_exec(v->pg,
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

/* One kept revocation, void or cancellation that differs from the kiosks' events. */
static void say_keep_difference(void *ctx, const char *what, bool invented)
{
    say(ctx, true, "office rows: %s: %s", what,
        invented ? "kept by the ledger, but no kiosk's event made it"
                 : "a kiosk's event made it, but the ledger no longer keeps it (the next import"
                   " would bring the row back)");
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
        err = ledger_exec(v->pg,
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
    size_t kept = 0;
    if (err == SYNC_OK)
        err = office_keep_lists(v->pg, say_keep_difference, v, &kept, why, cap);
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

/* Each object in the ledger's database that no migration makes. */
static int verify_foreign(struct verifier *v, char *why, size_t cap)
{
    struct pg_result *res = NULL;
    int err = foreign_objects_read(v->pg, &res, why, cap);
    for (int i = 0; err == SYNC_OK && i < pg_rows(res); i++) {
        v->kiosk_bad = false;
        say(v, true,
            "objects: %s (owner %s) is made by no migration and does not belong in the ledger's"
            " database: %s",
            pg_value(res, i, 0), pg_value(res, i, 1), pg_value(res, i, 2));
        v->report->bad_other++;
    }
    pg_clear(res);
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
        err = ledger_connect(t, &v.pg, why, cap);
    /* One snapshot for everything read: kiosks pushing meanwhile move their records and chains
     * together, never one without the other (that read as tampering). */
    if (err == SYNC_OK)
        err = ledger_exec(v.pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL,
                          why, cap);
    /* Every kiosk the ledger has a record or events of. */
    if (err == SYNC_OK)
        err = ledger_exec(
            v.pg,
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
        if (!ledger_keyring_has(ring, kiosk))
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
        err = verify_foreign(&v, why, cap);
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
        err = ledger_finish(v.pg, err, why, cap);
    free(v.checkpoints);
    pg_clear(k);
    pg_close(v.pg);
    return err;
}
