/* Head office's own rows, as provable as the events (ledger schema 8). Each change head office
 * makes (an import, and the first record ledger init writes) is a record of cpd.office_log:
 * the whole state of the kind's tables as lines, every kiosk's chain tip it saw, chained by
 * hash and signed with head office's key (a file kept off the database server). The tables
 * are its projection: the newest record of a kind, then the kiosks' own signed events after
 * its tips (enrolments, revocations, voids, cancellations: the only rows a kiosk changes), in
 * the order the ledger took them. An import checks the live tables against that projection
 * before it writes and signs a new state, so a record never blesses what someone else
 * changed; verify does the same for every kind and names each row that differs. */
#include "sync/ledger/ledger_internal.h"
#include "sync/ledger/ledger_lines.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/strcopy.h"
#include "core/domain/crypto.h"
#include "core/domain/payload.h"
#include "core/services/keys.h"
#include "sync/sync_office.h"
#include "sync/sync_pg.h"

static const struct {
    const char *name;
    unsigned tables;
} kinds[OFFICE_KINDS] = {
    [OFFICE_GENESIS] = {"genesis", MASK(T_PEOPLE) | MASK(T_BADGES) | MASK(T_COURSES) |
                                       MASK(T_SESSIONS) | MASK(T_BOOKINGS) | MASK(T_CREDITS)},
    [OFFICE_PROGRAMME] = {"programme", MASK(T_COURSES) | MASK(T_SESSIONS)},
    [OFFICE_ROSTER] = {"roster", MASK(T_PEOPLE) | MASK(T_BADGES)},
    [OFFICE_BOOKINGS] = {"bookings", MASK(T_BOOKINGS)},
    [OFFICE_CREDITS] = {"credits", MASK(T_CREDITS)},
    [OFFICE_CREDITS_SEEN] = {"credits_seen", MASK(T_SEEN)},
};

enum office_kind office_kind_of_import(enum import_kind kind)
{
    switch (kind) {
    case IMPORT_PROGRAMME:
        return OFFICE_PROGRAMME;
    case IMPORT_ROSTER:
        return OFFICE_ROSTER;
    case IMPORT_BOOKINGS:
        return OFFICE_BOOKINGS;
    case IMPORT_CREDITS:
        break;
    }
    return OFFICE_CREDITS;
}

/* ---- the log ------------------------------------------------------------------------------- */

struct record {
    int64_t seq, at_us;
    enum office_kind kind;
    char *tips;
    char body_digest[2 * CRYPTO_HASH_BYTES + 1];
    uint8_t prev[CRYPTO_HASH_BYTES], hash[CRYPTO_HASH_BYTES], sig[CRYPTO_SIG_BYTES];
};

struct office_log {
    struct record *r;
    size_t n;
};

static void log_free(struct office_log *log)
{
    for (size_t i = 0; i < log->n; i++)
        free(log->r[i].tips);
    free(log->r);
    memset(log, 0, sizeof(*log));
}

/* What is hashed: the prev hash, then the record's fields and its body's digest. */
static void record_hash(const struct record *r, uint8_t out[CRYPTO_HASH_BYTES])
{
    office_record_hash(r->prev, r->seq, kinds[r->kind].name, r->at_us, r->tips, r->body_digest,
                       out);
}

static int kind_parse(const char *name)
{
    for (int k = 0; k < OFFICE_KINDS; k++) {
        if (strcmp(kinds[k].name, name) == 0)
            return k;
    }
    return -1;
}

/* Every record's header (its body by digest, hashed by the server's own sha256), in order. */
static int log_read(struct pg *pg, struct office_log *log, char *why, size_t cap)
{
    memset(log, 0, sizeof(*log));
    struct pg_result *r = NULL;
    int err = sync_from_pg(
        pg_exec(pg,
                "SELECT seq, kind, at_us, tips, encode(sha256(convert_to(body, 'UTF8')), 'hex'),"
                " encode(prev_hash, 'hex'), encode(hash, 'hex'), encode(sig, 'hex')"
                " FROM cpd.office_log ORDER BY seq",
                0, NULL, &r, why, cap),
        pg);
    int n = err == SYNC_OK ? pg_rows(r) : 0;
    if (n > 0 && !(log->r = calloc((size_t)n, sizeof(*log->r))))
        err = SYNC_ESTORE;
    for (int i = 0; err == SYNC_OK && i < n; i++) {
        struct record *rec = &log->r[i];
        int kind = kind_parse(pg_value(r, i, 1));
        rec->seq = strtoll(pg_value(r, i, 0), NULL, 10);
        rec->at_us = strtoll(pg_value(r, i, 2), NULL, 10);
        rec->kind = kind < 0 ? OFFICE_GENESIS : (enum office_kind)kind;
        if (!(rec->tips = strdup(pg_value(r, i, 3))))
            err = SYNC_ESTORE;
        log->n++;
        if (err == SYNC_OK &&
            (kind < 0 ||
             strcopy(rec->body_digest, sizeof(rec->body_digest), pg_value(r, i, 4)) != 0 ||
             crypto_unhex(rec->prev, sizeof(rec->prev), pg_value(r, i, 5)) != 0 ||
             crypto_unhex(rec->hash, sizeof(rec->hash), pg_value(r, i, 6)) != 0 ||
             crypto_unhex(rec->sig, sizeof(rec->sig), pg_value(r, i, 7)) != 0)) {
            snprintf(why, cap, "head office's record %" PRId64 " does not fit a record", rec->seq);
            err = SYNC_ETAMPER;
        }
    }
    if (err == SYNC_ESTORE)
        snprintf(why, cap, "out of memory for head office's records");
    pg_clear(r);
    if (err != SYNC_OK)
        log_free(log);
    return err;
}

/* Each record's place in the chain, its hash and its signature by head office's key: the
 * first that fails, described in bad (""). */
static void log_check(const struct office_log *log, const uint8_t pk[CRYPTO_SIGN_PK_BYTES],
                      char *bad, size_t cap)
{
    uint8_t prev[CRYPTO_HASH_BYTES] = {0}, hash[CRYPTO_HASH_BYTES];
    bad[0] = '\0';
    for (size_t i = 0; i < log->n; i++) {
        const struct record *r = &log->r[i];
        record_hash(r, hash);
        if (r->seq != (int64_t)i + 1)
            snprintf(bad, cap, "record %" PRId64 " stands where record %zu should", r->seq, i + 1);
        else if (memcmp(r->prev, prev, sizeof(prev)) != 0)
            snprintf(bad, cap, "record %" PRId64 " does not follow the one before it", r->seq);
        else if (memcmp(hash, r->hash, sizeof(hash)) != 0)
            snprintf(bad, cap, "record %" PRId64 " (%s) was changed after it was signed", r->seq,
                     kinds[r->kind].name);
        else if (crypto_verify_digest(r->sig, r->hash, sizeof(r->hash), pk) != CRYPTO_OK)
            snprintf(bad, cap, "record %" PRId64 " (%s) is not signed by head office's key", r->seq,
                     kinds[r->kind].name);
        if (bad[0])
            return;
        memcpy(prev, r->hash, sizeof(prev));
    }
}

/* The newest record holding the kind's state; NULL when there is none. */
static const struct record *newest_of(const struct office_log *log, enum office_kind kind)
{
    for (size_t i = log->n; i-- > 0;) {
        if (log->r[i].kind == kind || log->r[i].kind == OFFICE_GENESIS)
            return &log->r[i];
    }
    return NULL;
}

/* The seq of kiosk's tip in tips ("kiosk:seq:hash,…"); 0 when it had none then. */
static int64_t tip_of(const char *tips, const char *kiosk)
{
    size_t len = strlen(kiosk);
    for (const char *at = tips; *at;) {
        if (strncmp(at, kiosk, len) == 0 && at[len] == ':')
            return strtoll(at + len + 1, NULL, 10);
        const char *comma = strchr(at, ',');
        if (!comma)
            break;
        at = comma + 1;
    }
    return 0;
}

/* ---- the projection ------------------------------------------------------------------------ */

/* NNNN-NN-NN, the shape the trigger asks of a void's date before it uses it. */
static bool date_shaped(const char *date)
{
    static const char shape[] = "0000-00-00";
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        bool digit = date[i] >= '0' && date[i] <= '9';
        if (shape[i] == '0' ? !digit : date[i] != '-')
            return false;
    }
    return date[sizeof(shape) - 1] == '\0';
}

/* One kiosk event applied to the lines as the ledger's triggers apply it (schemas 2, 4, 8). */
static int apply_event(struct lines *l, const char *kiosk, const char *type, const char *person,
                       const char *session, const char *payload)
{
    char who[200], key[1200], hash[80] = "", badge[16] = "", programme[200] = "", date[16] = "";
    office_escape(who, sizeof(who), person);
    payload_get_str(payload, "badge_hash", hash, sizeof(hash));
    bool hash_ok = strlen(hash) == 64 && strspn(hash, "0123456789abcdef") == 64;
    if (strcmp(type, "badge_enrolled") == 0) {
        payload_get_str(payload, "badge", badge, sizeof(badge));
        char role[16];
        snprintf(key, sizeof(key), "people\t%s\t", who);
        long p = lines_find(l, key);
        if (!hash_ok || strlen(badge) != 4 || strspn(badge, "0123456789ABCDEF") != 4 || p < 0 ||
            !office_field(l->v[p], 4, role, sizeof(role)) || strcmp(role, "staff") != 0)
            return SYNC_OK;
        snprintf(key, sizeof(key), "badges\t%s\t", hash);
        if (lines_find(l, key) >= 0)
            return SYNC_OK;
        char line[800], by[120];
        office_escape(by, sizeof(by), kiosk);
        snprintf(line, sizeof(line), "badges\t%s\t%s\t%s\t%s\ttrue", hash, badge, who, by);
        int err = lines_add(l, line, strlen(line));
        lines_sort(l);
        return err;
    }
    long at = -1;
    if (strcmp(type, "badge_revoked") == 0 && hash_ok) {
        char holder[200];
        snprintf(key, sizeof(key), "badges\t%s\t", hash);
        at = lines_find(l, key);
        if (at >= 0 &&
            (!office_field(l->v[at], 3, holder, sizeof(holder)) || strcmp(holder, who) != 0))
            at = -1;
    } else if (strcmp(type, "credit_voided") == 0 &&
               payload_get_str(payload, "programme", programme, sizeof(programme)) == PAYLOAD_OK &&
               payload_get_str(payload, "date", date, sizeof(date)) == PAYLOAD_OK &&
               date_shaped(date)) {
        char prog[400];
        office_escape(prog, sizeof(prog), programme);
        snprintf(key, sizeof(key), "external_credits\t%s\t%s\t%s\t", who, prog, date);
        at = lines_find(l, key);
    } else if (strcmp(type, "booking_cancelled") == 0 && session[0]) {
        char s[200];
        office_escape(s, sizeof(s), session);
        snprintf(key, sizeof(key), "bookings\t%s\t%s\t", who, s);
        at = lines_find(l, key);
    }
    return at >= 0 ? lines_set_active(l, at, false) : SYNC_OK;
}

/* The kiosks' events that change a kind's tables (schemas 2, 4, 8); NULL: none does. */
static const char *kiosk_events_of(enum office_kind kind)
{
    switch (kind) {
    case OFFICE_ROSTER:
        return "{badge_enrolled,badge_revoked}";
    case OFFICE_BOOKINGS:
        return "{booking_cancelled}";
    case OFFICE_CREDITS:
        return "{credit_voided}";
    default:
        return NULL;
    }
}

/* The lines of the record's body of the tables in mask, its body read back checked against
 * the digest the chain holds. */
static int body_lines(struct pg *pg, const struct record *rec, unsigned mask, struct lines *out,
                      char *why, size_t cap)
{
    char seq[24];
    snprintf(seq, sizeof(seq), "%" PRId64, rec->seq);
    const char *params[] = {seq};
    struct pg_result *r = NULL;
    int err = sync_from_pg(pg_exec(pg, "SELECT body FROM cpd.office_log WHERE seq = $1::bigint", 1,
                                   params, &r, why, cap),
                           pg);
    uint8_t digest[CRYPTO_HASH_BYTES];
    char hex[2 * CRYPTO_HASH_BYTES + 1];
    if (err == SYNC_OK && pg_rows(r) != 1)
        err = SYNC_ETAMPER;
    if (err == SYNC_OK) {
        const char *body = pg_value(r, 0, 0);
        crypto_sha256(digest, body, strlen(body), NULL, 0);
        crypto_hex(hex, digest, sizeof(digest));
        if (strcmp(hex, rec->body_digest) != 0)
            err = SYNC_ETAMPER;
        for (const char *at = body; err == SYNC_OK && *at;) {
            size_t n = strcspn(at, "\n");
            enum office_table t = lines_table_of(at);
            if (t != T_COUNT && (mask & MASK(t)))
                err = lines_add(out, at, n);
            at += n + (at[n] == '\n');
        }
    }
    if (err == SYNC_ETAMPER)
        snprintf(why, cap, "head office's record %" PRId64 " read back differs from itself",
                 rec->seq);
    pg_clear(r);
    lines_sort(out);
    return err;
}

/* What the kind's tables must hold: the newest record's state, then the kiosks' events after
 * its tips, in the order the ledger took them. NULL newest: the tables must be empty. */
static int expected_lines(struct pg *pg, const struct record *newest, enum office_kind kind,
                          struct lines *out, char *why, size_t cap)
{
    memset(out, 0, sizeof(*out));
    if (!newest)
        return SYNC_OK;
    struct pg_result *ev = NULL;
    int err = body_lines(pg, newest, kinds[kind].tables, out, why, cap);
    const char *event_types[] = {kiosk_events_of(kind)};
    if (err == SYNC_OK && event_types[0])
        err = sync_from_pg(pg_exec(pg,
                                   /* in the order the ledger took them, but never one
                                    * kiosk's out of its own seq order (received_at is not
                                    * under the events' hashes) */
                                   "SELECT kiosk, seq, type, person, session, payload FROM"
                                   " (SELECT *, max(received_at) OVER (PARTITION BY kiosk"
                                   " ORDER BY seq) AS taken FROM cpd.events"
                                   " WHERE type = ANY ($1::text[])) e ORDER BY taken, kiosk, seq",
                                   1, event_types, &ev, why, cap),
                           pg);
    for (int i = 0; err == SYNC_OK && ev && i < pg_rows(ev); i++) {
        const char *kiosk = pg_value(ev, i, 0);
        if (strtoll(pg_value(ev, i, 1), NULL, 10) > tip_of(newest->tips, kiosk))
            err = apply_event(out, kiosk, pg_value(ev, i, 2), pg_value(ev, i, 3),
                              pg_value(ev, i, 4), pg_value(ev, i, 5));
    }
    pg_clear(ev);
    if (err == SYNC_ESTORE)
        snprintf(why, cap, "out of memory for head office's rows");
    if (err != SYNC_OK)
        lines_free(out);
    return err;
}

/* The credits' lines as a kiosk pulls them (credits_seen): whether there is a certificate and
 * whether the note gives a reason, never what they say. Fields are copied as they stand, of
 * any length (a note may be as long as the importer allows). */
static int seen_lines(const struct lines *credits, struct lines *out)
{
    int err = SYNC_OK;
    for (size_t i = 0; err == SYNC_OK && i < credits->n; i++) {
        const char *line = credits->v[i], *field[10];
        size_t len[10];
        int n = 0;
        for (const char *at = line; n < 10; n++) {
            field[n] = at;
            len[n] = strcspn(at, "\t");
            if (!at[len[n]])
                break;
            at += len[n] + 1;
        }
        if (n != 9)
            continue; /* not a credit's line (verify names its table's rows on their own) */
        size_t cap = strlen(line) + 32, used = 0;
        char *seen = malloc(cap);
        if (!seen)
            return SYNC_ESTORE;
        /* staff_no, programme, date, source, credits_q; certificate?; directed; note?; active */
        used += (size_t)snprintf(seen, cap, "credits_seen");
        for (int k = 1; k <= 9; k++) {
            if (k == 6 || k == 8)
                used +=
                    (size_t)snprintf(seen + used, cap - used, "\t%s", len[k] ? "true" : "false");
            else
                used += (size_t)snprintf(seen + used, cap - used, "\t%.*s", (int)len[k], field[k]);
        }
        err = lines_add(out, seen, used);
        free(seen);
    }
    lines_sort(out);
    return err;
}

/* The newest credits_seen record must follow the newest credits record and hold exactly its
 * rows as kiosks pull them: each row that differs to fn, counted; a missing or older record
 * into bad. */
static int check_seen(struct pg *pg, const struct office_log *log, office_difference_fn fn,
                      void *ctx, size_t *differences, char *bad, size_t bad_cap, char *why,
                      size_t cap)
{
    const struct record *credits = newest_of(log, OFFICE_CREDITS), *seen = NULL;
    for (size_t i = log->n; !seen && i-- > 0;)
        seen = log->r[i].kind == OFFICE_CREDITS_SEEN ? &log->r[i] : NULL;
    if (!credits)
        return SYNC_OK;
    if (!seen || seen->seq < credits->seq) {
        snprintf(bad, bad_cap,
                 "no credits_seen record follows record %" PRId64 " (credits): kiosks cannot"
                 " check the credits they pull (ledger init --office-key writes it)",
                 credits->seq);
        return SYNC_OK;
    }
    struct lines have = {0}, full = {0}, want = {0};
    int err = body_lines(pg, seen, MASK(T_SEEN), &have, why, cap);
    if (err == SYNC_OK)
        err = body_lines(pg, credits, MASK(T_CREDITS), &full, why, cap);
    if (err == SYNC_OK)
        err = seen_lines(&full, &want);
    if (err == SYNC_OK)
        *differences += lines_compare(&have, &want, fn, ctx);
    lines_free(&have);
    lines_free(&full);
    lines_free(&want);
    return err;
}

int office_check(struct pg *pg, const uint8_t pk[CRYPTO_SIGN_PK_BYTES], enum office_kind kind,
                 office_difference_fn fn, void *ctx, size_t *differences, char *bad, size_t bad_cap,
                 char *why, size_t cap)
{
    struct office_log log = {0};
    struct lines live = {0}, want = {0};
    *differences = 0;
    int err = log_read(pg, &log, why, cap);
    if (err == SYNC_OK)
        log_check(&log, pk, bad, bad_cap);
    for (int k = OFFICE_PROGRAMME; err == SYNC_OK && !bad[0] && k < OFFICE_KINDS; k++) {
        if (kind != OFFICE_GENESIS && kind != (enum office_kind)k)
            continue;
        if (k == OFFICE_CREDITS_SEEN) {
            err = check_seen(pg, &log, fn, ctx, differences, bad, bad_cap, why, cap);
            continue;
        }
        err = lines_read(pg, kinds[k].tables, &live, why, cap);
        if (err == SYNC_OK)
            err = expected_lines(pg, newest_of(&log, (enum office_kind)k), (enum office_kind)k,
                                 &want, why, cap);
        if (err == SYNC_OK)
            *differences += lines_compare(&live, &want, fn, ctx);
        lines_free(&live);
        lines_free(&want);
    }
    log_free(&log);
    return err;
}

/* What keeps a kiosk's revocations, voids and cancellations through head office's next import
 * (cpd.revoked_badges, cpd.voided_credits, cpd.cancelled_bookings), against the kiosks' own
 * signed events: a row no event made (it would turn a row off with nothing behind it), and an
 * event's row missing (the next import would bring the revoked, voided or cancelled row back,
 * under head office's signature). A revoked badge is missed only while it works again. */
static const char keep_lists_sql[] =
    "WITH voids AS (SELECT DISTINCT person AS staff_no, payload::jsonb ->> 'programme' AS"
    " programme, payload::jsonb ->> 'date' AS date FROM cpd.events WHERE type = 'credit_voided'"
    " AND payload::jsonb ->> 'programme' IS NOT NULL"
    " AND payload::jsonb ->> 'date' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),"
    " kept_voids AS (SELECT staff_no, programme, to_char(date, 'YYYY-MM-DD') AS date"
    " FROM cpd.voided_credits),"
    " cancels AS (SELECT DISTINCT person AS staff_no, session FROM cpd.events"
    " WHERE type = 'booking_cancelled' AND session <> ''),"
    " revokes AS (SELECT DISTINCT person AS staff_no, decode(payload::jsonb ->> 'badge_hash',"
    " 'hex') AS uid_hash FROM cpd.events WHERE type = 'badge_revoked'"
    " AND payload::jsonb ->> 'badge_hash' ~ '^[0-9a-f]{64}$')"
    " SELECT 'voided_credits ' || coalesce(k.staff_no, e.staff_no) || ' ' ||"
    " coalesce(k.programme, e.programme) || ' ' || coalesce(k.date, e.date),"
    " e.staff_no IS NULL FROM kept_voids k FULL JOIN voids e ON k.staff_no = e.staff_no AND"
    " k.programme = e.programme AND k.date = e.date WHERE k.staff_no IS NULL OR e.staff_no IS NULL"
    " UNION ALL SELECT 'cancelled_bookings ' || coalesce(k.staff_no, e.staff_no) || ' ' ||"
    " coalesce(k.session, e.session), e.staff_no IS NULL FROM cpd.cancelled_bookings k"
    " FULL JOIN cancels e ON k.staff_no = e.staff_no AND k.session = e.session"
    " WHERE k.staff_no IS NULL OR e.staff_no IS NULL"
    " UNION ALL SELECT 'revoked_badges ' || encode(k.uid_hash, 'hex'), true"
    " FROM cpd.revoked_badges k WHERE NOT EXISTS (SELECT 1 FROM revokes e"
    " WHERE e.uid_hash = k.uid_hash)"
    " UNION ALL SELECT 'revoked_badges ' || encode(b.uid_hash, 'hex'), false FROM cpd.badges b"
    " JOIN revokes e ON e.uid_hash = b.uid_hash AND e.staff_no = b.staff_no WHERE b.active"
    " AND NOT EXISTS (SELECT 1 FROM cpd.revoked_badges k WHERE k.uid_hash = b.uid_hash)"
    " ORDER BY 1";

int office_keep_lists(struct pg *pg, office_keep_fn fn, void *ctx, size_t *differences, char *why,
                      size_t cap)
{
    struct pg_result *r = NULL;
    int err = sync_from_pg(pg_exec(pg, keep_lists_sql, 0, NULL, &r, why, cap), pg);
    *differences = err == SYNC_OK ? (size_t)pg_rows(r) : 0;
    for (int i = 0; err == SYNC_OK && i < pg_rows(r); i++)
        fn(ctx, pg_value(r, i, 0), pg_value(r, i, 1)[0] == 't');
    pg_clear(r);
    return err;
}

int office_head(struct pg *pg, int64_t *records, char *why, size_t cap)
{
    struct pg_result *r = NULL;
    int err =
        sync_from_pg(pg_exec(pg, "SELECT count(*) FROM cpd.office_log", 0, NULL, &r, why, cap), pg);
    *records = err == SYNC_OK ? strtoll(pg_value(r, 0, 0), NULL, 10) : 0;
    pg_clear(r);
    return err;
}

int office_seen_current(struct pg *pg, bool *current, char *why, size_t cap)
{
    struct pg_result *r = NULL;
    int err =
        sync_from_pg(pg_exec(pg,
                             "SELECT coalesce(max(seq) FILTER (WHERE kind = 'credits_seen'), 0) >"
                             " coalesce(max(seq) FILTER (WHERE kind IN ('credits', 'genesis')), 0)"
                             " FROM cpd.office_log",
                             0, NULL, &r, why, cap),
                     pg);
    *current = err == SYNC_OK && pg_value(r, 0, 0)[0] == 't';
    pg_clear(r);
    return err;
}

int office_lock(struct pg *pg, enum office_kind kind, char *why, size_t cap)
{
    char sql[256] = "LOCK TABLE cpd.office_log";
    for (int t = 0; t < T_COUNT; t++) {
        const char *name = office_table_stored((enum office_table)t);
        if ((kinds[kind].tables & MASK(t)) && name) {
            size_t used = strlen(sql);
            snprintf(sql + used, sizeof(sql) - used, ", cpd.%s", name);
        }
    }
    size_t used = strlen(sql);
    snprintf(sql + used, sizeof(sql) - used, " IN EXCLUSIVE MODE");
    return sync_from_pg(pg_exec(pg, sql, 0, NULL, NULL, why, cap), pg);
}

/* Appends a record of kind holding lines (sorted), signed with sk, after the log's newest. */
static int write_record(struct pg *pg, const uint8_t sk[CRYPTO_SIGN_SK_BYTES],
                        enum office_kind kind, const struct lines *lines, int64_t *seq_out,
                        char *why, size_t cap)
{
    struct pg_result *tips = NULL, *head = NULL;
    struct record rec = {.kind = kind, .at_us = clock_wall_us()};
    char *body = NULL;
    int err = sync_from_pg(pg_exec(pg,
                                   "SELECT coalesce(string_agg(id || ':' || last_seq || ':' ||"
                                   " encode(last_hash, 'hex'), ',' ORDER BY id COLLATE \"C\"),"
                                   " '') FROM cpd.kiosks",
                                   0, NULL, &tips, why, cap),
                           pg);
    if (err == SYNC_OK)
        err = sync_from_pg(pg_exec(pg,
                                   "SELECT seq, encode(hash, 'hex') FROM cpd.office_log"
                                   " ORDER BY seq DESC LIMIT 1",
                                   0, NULL, &head, why, cap),
                           pg);
    size_t len = 0;
    for (size_t i = 0; err == SYNC_OK && i < lines->n; i++)
        len += strlen(lines->v[i]) + 1;
    if (err == SYNC_OK && !(body = malloc(len + 1))) {
        snprintf(why, cap, "out of memory for head office's record");
        err = SYNC_ESTORE;
    }
    if (err == SYNC_OK) {
        size_t at = 0;
        for (size_t i = 0; i < lines->n; i++) {
            size_t n = strlen(lines->v[i]);
            memcpy(body + at, lines->v[i], n);
            at += n;
            body[at++] = '\n';
        }
        body[at] = '\0';
        rec.tips = (char *)pg_value(tips, 0, 0);
        rec.seq = 1;
        if (pg_rows(head) == 1) {
            rec.seq = strtoll(pg_value(head, 0, 0), NULL, 10) + 1;
            crypto_unhex(rec.prev, sizeof(rec.prev), pg_value(head, 0, 1));
        }
        uint8_t digest[CRYPTO_HASH_BYTES];
        crypto_sha256(digest, body, at, NULL, 0);
        crypto_hex(rec.body_digest, digest, sizeof(digest));
        record_hash(&rec, rec.hash);
        crypto_sign_digest(rec.sig, rec.hash, sizeof(rec.hash), sk);
        char seq[24], at_us[24], prev[65], hash[65], sig[129];
        snprintf(seq, sizeof(seq), "%" PRId64, rec.seq);
        snprintf(at_us, sizeof(at_us), "%" PRId64, rec.at_us);
        crypto_hex(prev, rec.prev, sizeof(rec.prev));
        crypto_hex(hash, rec.hash, sizeof(rec.hash));
        crypto_hex(sig, rec.sig, sizeof(rec.sig));
        const char *v[] = {seq, kinds[kind].name, at_us, rec.tips, body, prev, hash, sig};
        err = sync_from_pg(pg_exec(pg,
                                   "INSERT INTO cpd.office_log (seq, kind, at_us, tips, body,"
                                   " prev_hash, hash, sig) VALUES ($1::bigint, $2, $3::bigint,"
                                   " $4, $5, decode($6, 'hex'), decode($7, 'hex'),"
                                   " decode($8, 'hex'))",
                                   8, v, NULL, why, cap),
                           pg);
        *seq_out = rec.seq;
    }
    free(body);
    pg_clear(tips);
    pg_clear(head);
    return err;
}

int office_record(struct pg *pg, const uint8_t sk[CRYPTO_SIGN_SK_BYTES], enum office_kind kind,
                  int64_t *seq_out, char *why, size_t cap)
{
    struct lines live = {0}, seen = {0};
    struct office_log log = {0};
    int err = SYNC_OK;
    if (kind == OFFICE_CREDITS_SEEN) { /* of the newest signed credits, never the live rows */
        const struct record *credits = NULL;
        err = log_read(pg, &log, why, cap);
        if (err == SYNC_OK && !(credits = newest_of(&log, OFFICE_CREDITS))) {
            snprintf(why, cap, "head office's log holds no credits record");
            err = SYNC_ETAMPER;
        }
        if (err == SYNC_OK)
            err = body_lines(pg, credits, MASK(T_CREDITS), &live, why, cap);
    } else {
        err = lines_read(pg, kinds[kind].tables, &live, why, cap);
        if (err == SYNC_OK)
            err = write_record(pg, sk, kind, &live, seq_out, why, cap);
    }
    if (err == SYNC_OK && (kind == OFFICE_CREDITS || kind == OFFICE_CREDITS_SEEN)) {
        err = seen_lines(&live, &seen);
        if (err == SYNC_ESTORE)
            snprintf(why, cap, "out of memory for head office's record");
        if (err == SYNC_OK)
            err = write_record(pg, sk, OFFICE_CREDITS_SEEN, &seen, seq_out, why, cap);
    }
    lines_free(&live);
    lines_free(&seen);
    log_free(&log);
    return err;
}

int office_key_load(const char *path, uint8_t sk[CRYPTO_SIGN_SK_BYTES],
                    uint8_t pk[CRYPTO_SIGN_PK_BYTES], char *why, size_t cap)
{
    struct kiosk_keys keys;
    int rc = keys_load_sign(path, &keys);
    if (rc == KEYS_OK) {
        memcpy(sk, keys.sign_sk, CRYPTO_SIGN_SK_BYTES);
        memcpy(pk, keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
    } else {
        snprintf(why, cap, "%s: head office's signing key: %s", path, cpd_strerror(rc));
    }
    keys_wipe(&keys);
    return rc == KEYS_OK ? SYNC_OK : SYNC_ECONFIG;
}
