/* A pull checked against head office's newest signed records (sync_internal.h): each person,
 * badge, course, session, booking and credit as head office signed it, or as a kiosk's own
 * signed event changed it since; read in the pull's own snapshot. */
#include "sync/sync_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/grow.h"
#include "core/base/strcopy.h"
#include "core/base/utf8.h"
#include "core/domain/event.h"
#include "core/domain/payload.h"
#include "sync/sync_office.h"

/* The signed records a kiosk checks its pull against (ledger schema 9), each with the meta key
 * holding head office's time on the newest the kiosk took. */
enum signed_kind { SIGNED_ROSTER, SIGNED_PROGRAMME, SIGNED_BOOKINGS, SIGNED_CREDITS, SIGNED_KINDS };
static const struct {
    const char *record; /* its kind in cpd.office_log */
    const char *name;   /* in messages */
    const char *meta;
} signed_kinds[SIGNED_KINDS] = {
    [SIGNED_ROSTER] = {"roster", "roster", META_ROSTER_AT},
    [SIGNED_PROGRAMME] = {"programme", "programme", "office_programme_at_us"},
    [SIGNED_BOOKINGS] = {"bookings", "bookings", "office_bookings_at_us"},
    [SIGNED_CREDITS] = {"credits_seen", "credits", "office_credits_at_us"},
};

/* The newest signed record of a kind: its body's lines ("people\t…", "badges\t…"), once its
 * hash and head office's signature are checked. */
struct signed_record {
    struct pg_result *res;
    const char *body;
    int64_t at_us;      /* head office's time on it */
    const char **lines; /* where each of the body's lines starts: in order, as head office
                         * sorted them, so a row's line is found by halving */
    size_t n;
    unsigned char *taken; /* a pulled row matched line i already: a second is a duplicate */
};

static void signed_record_free(struct signed_record *sr)
{
    pg_clear(sr->res);
    free(sr->lines);
    free(sr->taken);
    memset(sr, 0, sizeof(*sr));
}

static int signed_record(struct pg *pg, const uint8_t pk[CRYPTO_SIGN_PK_BYTES],
                         enum signed_kind kind, struct signed_record *out, char *why, size_t cap)
{
    uint8_t prev[CRYPTO_HASH_BYTES], hash[CRYPTO_HASH_BYTES], sig[CRYPTO_SIG_BYTES],
        want[CRYPTO_HASH_BYTES], digest[CRYPTO_HASH_BYTES];
    const char *params[] = {signed_kinds[kind].record};
    int err = sync_from_pg(pg_exec(pg,
                                   "SELECT seq, at_us, tips, body, encode(prev_hash, 'hex'),"
                                   " encode(hash, 'hex'), encode(sig, 'hex')"
                                   " FROM cpd.pull_office_record($1)",
                                   1, params, &out->res, why, cap),
                           pg);
    if (err != SYNC_OK)
        return err;
    if (pg_rows(out->res) != 1) {
        snprintf(why, cap,
                 "the ledger holds no %s signed by head office, so what this kiosk pulls cannot "
                 "be checked: nothing was taken from this pull (head office: ledger init "
                 "--office-key)",
                 signed_kinds[kind].name);
        return SYNC_ETAMPER;
    }
    const struct pg_result *r = out->res;
    char body_hex[2 * CRYPTO_HASH_BYTES + 1];
    out->body = pg_value(r, 0, 3);
    crypto_sha256(digest, out->body, strlen(out->body), NULL, 0);
    crypto_hex(body_hex, digest, sizeof(digest));
    bool fits = crypto_unhex(prev, sizeof(prev), pg_value(r, 0, 4)) == 0 &&
                crypto_unhex(hash, sizeof(hash), pg_value(r, 0, 5)) == 0 &&
                crypto_unhex(sig, sizeof(sig), pg_value(r, 0, 6)) == 0;
    if (fits)
        office_record_hash(prev, strtoll(pg_value(r, 0, 0), NULL, 10), signed_kinds[kind].record,
                           strtoll(pg_value(r, 0, 1), NULL, 10), pg_value(r, 0, 2), body_hex, want);
    if (!fits || memcmp(want, hash, sizeof(hash)) != 0 ||
        crypto_verify_digest(sig, hash, sizeof(hash), pk) != CRYPTO_OK) {
        snprintf(why, cap,
                 "the ledger's %s record %s is not signed by head office's key"
                 " ([sync] office_public_key): nothing was taken from this pull",
                 signed_kinds[kind].name, pg_value(r, 0, 0));
        return SYNC_ETAMPER;
    }
    out->at_us = strtoll(pg_value(r, 0, 1), NULL, 10);
    return SYNC_OK;
}

/* A ledger that serves an older signed record than this kiosk already took (the newest records
 * removed, rows put back to match them) is refused: head office's times only go forward. */
static int record_not_older(struct store *s, enum signed_kind kind, const struct signed_record *sr,
                            char *why, size_t cap)
{
    if (sr->at_us >= sync_meta_int(s, signed_kinds[kind].meta))
        return SYNC_OK;
    snprintf(why, cap,
             "the ledger's newest signed %s (record %s) is older than one this kiosk already "
             "took: head office's newer records were removed. Nothing was taken from this pull "
             "(head office: verify --ledger with the checkpoints)",
             signed_kinds[kind].name, pg_value(sr->res, 0, 0));
    return SYNC_ETAMPER;
}

/* The body's lines indexed (a roster of thousands is checked row by row). */
static int index_lines(struct signed_record *sr, char *why, size_t cap)
{
    size_t n = 0;
    for (const char *at = sr->body; *at; at++)
        n += *at == '\n';
    if (!(sr->lines = calloc(n + 1, sizeof(*sr->lines))) || !(sr->taken = calloc(n + 1, 1))) {
        snprintf(why, cap, "out of memory for head office's record (%zu lines)", n);
        return SYNC_ESTORE;
    }
    for (const char *at = sr->body; *at;) {
        sr->lines[sr->n++] = at;
        at += strcspn(at, "\n");
        at += *at == '\n';
    }
    return SYNC_OK;
}

/* The body's line whose key (with its tab) is key; NULL when none. */
static long signed_index(const struct signed_record *sr, const char *key)
{
    return office_find_line(sr->lines, sr->n, key);
}

static const char *signed_line(const struct signed_record *sr, const char *key)
{
    long i = signed_index(sr, key);
    return i < 0 ? NULL : sr->lines[i];
}

/* The signed line of key marked as pulled; false when a row of that key was pulled already
 * (a duplicate: a table inheriting the ledger's, say), which the caller refuses. */
static bool take(struct signed_record *sr, const char *key)
{
    long i = signed_index(sr, key);
    if (i < 0)
        return true;
    if (sr->taken[i])
        return false;
    sr->taken[i] = 1;
    return true;
}

static int duplicate(const char *noun, const char *key, const char *record, char *why, size_t cap)
{
    utf8_printf(why, cap,
                "the ledger sent %s %.64s twice where head office's %s has it once: nothing was "
                "taken from this pull (head office: verify --ledger)",
                noun, key, record);
    return SYNC_ETAMPER;
}

/* How a pulled column is spelt in a signed line: as text (escaped), a boolean ("true"), a
 * number that may be NULL ("\N"), a time the pull gives as HH:MM (the record: HH:MM:SS). */
enum spelling { AS_TEXT, AS_BOOL, AS_NULLABLE, AS_HHMM };

/* A pulled kind's rows as its signed lines: the table's name, then columns in the line's
 * order; the first key_fields identify the row. turned_off: a kiosk's event may have turned
 * the row's last field (active) off since head office signed it. */
struct line_shape {
    const char *table;
    const char *noun; /* in messages */
    int key_fields;
    bool turned_off;
    int n;
    struct {
        int col;
        enum spelling as;
    } f[11];
};

static const struct line_shape people_shape = {
    .table = "people",
    .noun = "person",
    .key_fields = 1,
    .n = 5,
    .f = {{0, AS_TEXT}, {1, AS_TEXT}, {2, AS_TEXT}, {3, AS_TEXT}, {4, AS_BOOL}}};
static const struct line_shape courses_shape = {.table = "courses",
                                                .noun = "course",
                                                .key_fields = 1,
                                                .n = 11,
                                                .f = {{0, AS_TEXT},
                                                      {1, AS_TEXT},
                                                      {2, AS_TEXT},
                                                      {3, AS_TEXT},
                                                      {4, AS_TEXT},
                                                      {5, AS_TEXT},
                                                      {6, AS_NULLABLE},
                                                      {7, AS_TEXT},
                                                      {8, AS_TEXT},
                                                      {9, AS_TEXT},
                                                      {10, AS_TEXT}}};
static const struct line_shape sessions_shape = {
    .table = "sessions",
    .noun = "session",
    .key_fields = 1,
    .n = 5,
    .f = {{0, AS_TEXT}, {1, AS_TEXT}, {2, AS_HHMM}, {3, AS_HHMM}, {4, AS_TEXT}}};
static const struct line_shape bookings_shape = {.table = "bookings",
                                                 .noun = "booking",
                                                 .key_fields = 2,
                                                 .turned_off = true, /* a cancellation at a kiosk */
                                                 .n = 3,
                                                 .f = {{0, AS_TEXT}, {1, AS_TEXT}, {2, AS_BOOL}}};
/* cpd.pull_external_credits: has_reason (8) comes after active (7); the line ends with active. */
static const struct line_shape credits_shape = {.table = "credits_seen",
                                                .noun = "credit",
                                                .key_fields = 3,
                                                .turned_off = true, /* a void at a kiosk */
                                                .n = 9,
                                                .f = {{0, AS_TEXT},
                                                      {1, AS_TEXT},
                                                      {2, AS_TEXT},
                                                      {3, AS_TEXT},
                                                      {4, AS_TEXT},
                                                      {5, AS_BOOL},
                                                      {6, AS_BOOL},
                                                      {8, AS_BOOL},
                                                      {7, AS_BOOL}}};

/* Row i as its signed line, and the line's key (with its tab), each in memory the caller
 * frees; false when memory runs out. Fields of any length: escaped, a value is at most twice
 * as long. */
static bool shaped_line(const struct line_shape *shape, const struct pg_result *res, int i,
                        char **line_out, char **key_out)
{
    size_t cap = strlen(shape->table) + 1;
    for (int k = 0; k < shape->n; k++)
        cap += 2 * strlen(pg_value(res, i, shape->f[k].col)) + 12;
    char *line = malloc(cap), *key = malloc(cap + 1);
    size_t used = line ? (size_t)snprintf(line, cap, "%s", shape->table) : 0;
    for (int k = 0; line && key && k < shape->n; k++) {
        int col = shape->f[k].col;
        const char *v = pg_value(res, i, col);
        line[used++] = '\t';
        switch (shape->f[k].as) {
        case AS_BOOL:
            used += (size_t)snprintf(line + used, cap - used, "%s", v[0] == 't' ? "true" : "false");
            break;
        case AS_NULLABLE:
            used +=
                (size_t)snprintf(line + used, cap - used, "%s", pg_null(res, i, col) ? "\\N" : v);
            break;
        case AS_HHMM:
            used += (size_t)snprintf(line + used, cap - used, "%.8s:00", v);
            break;
        case AS_TEXT:
            office_escape(line + used, cap - used, v); /* fits: cap allows each char twice */
            used += strlen(line + used);
            break;
        }
        if (k + 1 == shape->key_fields) {
            memcpy(key, line, used);
            key[used] = '\t';
            key[used + 1] = '\0';
        }
    }
    if (!line || !key) {
        free(line);
        free(key);
        return false;
    }
    line[used] = '\0';
    *line_out = line;
    *key_out = key;
    return true;
}

/* The rows of a pull turned off since head office signed them on: a kiosk's revocation, void
 * or cancellation, kept here for good (sync_signed_keep). */
struct row_list {
    size_t *at;
    size_t n, cap;
};

static bool row_list_add(struct row_list *l, size_t row)
{
    size_t *grown = grow(l->at, &l->cap, l->n, sizeof(*grown), 16);
    if (!grown)
        return false;
    l->at = grown;
    l->at[l->n++] = row;
    return true;
}

/* Whether the signed line (ending at a newline or the body's end) is exactly line. */
static bool line_is(const char *signed_at, const char *line)
{
    size_t n = strlen(line);
    return signed_at && strncmp(signed_at, line, n) == 0 &&
           (signed_at[n] == '\n' || signed_at[n] == '\0');
}

/* Each pulled row must be as head office signed it, or (turned_off) as signed but turned off
 * since by a kiosk's event. The first that is not, named in why. */
static int check_rows(struct signed_record *sr, enum signed_kind kind,
                      const struct line_shape *shape, const struct pg_result *res, size_t *signed_n,
                      struct row_list *off, char *why, size_t cap)
{
    *signed_n = (size_t)pg_rows(res); /* each row's key is its own and each must be signed */
    for (int i = 0; i < pg_rows(res); i++) {
        char *line = NULL, *key = NULL;
        if (!shaped_line(shape, res, i, &line, &key)) {
            snprintf(why, cap, "out of memory checking head office's %s", signed_kinds[kind].name);
            return SYNC_ESTORE;
        }
        const char *signed_at = signed_line(sr, key);
        if (signed_at && !take(sr, key)) {
            free(line);
            free(key);
            return duplicate(shape->noun, pg_value(res, i, 0), signed_kinds[kind].name, why, cap);
        }
        bool ok = line_is(signed_at, line), turned_off = false;
        size_t n = strlen(line);
        if (!ok && shape->turned_off && n > 6 && strcmp(line + n - 6, "\tfalse") == 0) {
            memcpy(line + n - 5, "true", 5); /* off since: signed on */
            ok = turned_off = line_is(signed_at, line);
        }
        free(line);
        free(key);
        if (turned_off && !row_list_add(off, (size_t)i)) {
            snprintf(why, cap, "out of memory checking head office's %s", signed_kinds[kind].name);
            return SYNC_ESTORE;
        }
        if (!ok) {
            utf8_printf(why, cap,
                        "%s %.64s%s%.64s%s%.16s from the ledger is not as head office signed the"
                        " %s: nothing was taken from this pull (head office: verify --ledger)",
                        shape->noun, pg_value(res, i, 0), shape->key_fields > 1 ? " " : "",
                        shape->key_fields > 1 ? pg_value(res, i, 1) : "",
                        shape->key_fields > 2 ? " " : "",
                        shape->key_fields > 2 ? pg_value(res, i, 2) : "", signed_kinds[kind].name);
            return SYNC_ETAMPER;
        }
    }
    return SYNC_OK;
}

/* The proof of each kiosk-enrolled badge pulled (cpd.pull_enrolments, schema 10): the event's
 * columns as sync_event_from_row reads them, then its kiosk, the badge's hash and the kiosk's
 * key at that seq; sorted by the badge's hash. */
static const char enrolments_sql[] =
    "SELECT seq, uuid, type, person, session, wall_us, mono_us, clock, payload,"
    " encode(prev_hash, 'hex'), encode(hash, 'hex'), encode(sig, 'hex'), kiosk,"
    " encode(uid_hash, 'hex'), encode(public_key, 'hex')"
    " FROM cpd.pull_enrolments($1::xid8, $2::xid8)";
enum { PROOF_KIOSK = 12, PROOF_BADGE = 13, PROOF_KEY = 14 };

/* The proof row of the badge whose hash is hex; -1 when none. */
static int proof_row(const struct pg_result *proofs, const char *hex)
{
    int lo = 0, hi = pg_rows(proofs);
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(pg_value(proofs, mid, PROOF_BADGE), hex);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Whether a kiosk's signed badge_enrolled event enrolled badge hex for staff_no: the event's
 * hash and signature right under the key the ledger holds for its kiosk at its seq. */
static bool enrolment_proved(const struct pg_result *proofs, const char *hex, const char *staff_no)
{
    int i = proof_row(proofs, hex);
    struct event e;
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    char named[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    return i >= 0 && sync_event_from_row(proofs, i, pg_value(proofs, i, PROOF_KIOSK), &e) == 0 &&
           e.type == EV_BADGE_ENROLLED && strcmp(e.person, staff_no) == 0 &&
           payload_get_str(e.payload, "badge_hash", named, sizeof(named)) == 0 &&
           strcmp(named, hex) == 0 &&
           crypto_unhex(pk, sizeof(pk), pg_value(proofs, i, PROOF_KEY)) == 0 &&
           event_check(&e, pk) == EVENT_OK;
}

/* Each pulled badge as signed, or turned off since (a kiosk's revocation), or not in the
 * record: enrolled at a kiosk since, of a member of staff (never a trainer), proved by that
 * kiosk's signed event. *signed_n: how many of them the record names. */
static int check_badges(struct signed_record *sr, const struct pg_result *badges,
                        const struct pg_result *proofs, size_t *signed_n, struct row_list *off,
                        char *why, size_t cap)
{
    char key[600], field[400], a[400], b[400], c[400];
    *signed_n = 0;
    for (int i = 0; i < pg_rows(badges); i++) {
        const char *hash = pg_value(badges, i, 0);
        bool on = pg_value(badges, i, 3)[0] == 't', ok = false, proved = true;
        snprintf(key, sizeof(key), "badges\t%.64s\t", hash);
        const char *signed_at = signed_line(sr, key);
        if (signed_at && !take(sr, key))
            return duplicate("badge", hash, "roster", why, cap);
        *signed_n += signed_at != NULL;
        if (signed_at) {
            bool signed_on =
                office_field(signed_at, 5, field, sizeof(field)) && strcmp(field, "true") == 0;
            ok = office_escape(a, sizeof(a), pg_value(badges, i, 1)) &&
                 office_escape(b, sizeof(b), pg_value(badges, i, 2)) &&
                 office_field(signed_at, 2, c, sizeof(c)) && strcmp(a, c) == 0 &&
                 office_field(signed_at, 3, c, sizeof(c)) && strcmp(b, c) == 0 &&
                 (signed_on || !on);
            if (ok && signed_on && !on && !row_list_add(off, (size_t)i)) {
                snprintf(why, cap, "out of memory checking head office's roster");
                return SYNC_ESTORE;
            }
        } else {
            ok = office_escape(b, sizeof(b), pg_value(badges, i, 2));
            snprintf(key, sizeof(key), "people\t%s\t", b);
            const char *person = ok ? signed_line(sr, key) : NULL;
            ok = person && office_field(person, 4, field, sizeof(field)) &&
                 strcmp(field, "staff") == 0;
            proved = ok && enrolment_proved(proofs, hash, pg_value(badges, i, 2));
            /* enrolled at a kiosk and off since: a kiosk's revocation, kept for good */
            if (ok && proved && !on && !row_list_add(off, (size_t)i)) {
                snprintf(why, cap, "out of memory checking head office's roster");
                return SYNC_ESTORE;
            }
        }
        if (!ok || !proved) {
            utf8_printf(why, cap,
                        "badge …%.4s of %.64s from the ledger is %s: nothing was taken from this "
                        "pull (head office: verify --ledger)",
                        pg_value(badges, i, 1), pg_value(badges, i, 2),
                        ok ? "in no roster head office signed, and no kiosk's signed enrolment"
                             " gives it to them"
                           : "not as head office signed the roster");
            return SYNC_ETAMPER;
        }
    }
    return SYNC_OK;
}

/* How many lines of table the record holds (its lines are sorted, so they are together). */
static size_t table_lines(const struct signed_record *sr, const char *table)
{
    size_t n = 0, len = strlen(table);
    for (size_t i = 0; i < sr->n; i++)
        n += strncmp(sr->lines[i], table, len) == 0 && sr->lines[i][len] == '\t';
    return n;
}

/* A full pull that lacks a row the record names: the row was deleted, or hidden from the pull,
 * behind head office's back (a revoked badge a kiosk would otherwise keep on). */
static int all_there(const struct signed_record *sr, enum signed_kind kind, const char *table,
                     size_t pulled, char *why, size_t cap)
{
    size_t want = table_lines(sr, table);
    if (pulled == want)
        return SYNC_OK;
    snprintf(why, cap,
             "the ledger sent %zu of the %zu %s rows head office signed in its %s: rows were "
             "removed or hidden behind its back. Nothing was taken from this pull (head office: "
             "verify --ledger)",
             pulled, want, table, signed_kinds[kind].name);
    return SYNC_ETAMPER;
}

struct signed_pull {
    struct signed_record r[SIGNED_KINDS];
    struct row_list off[PULL_KINDS]; /* by pulled kind: rows turned off since signed on */
};

int sync_signed_load(struct pg *pg, struct store *s, const char *office_key_hex,
                     struct signed_pull **out, char *why, size_t cap)
{
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    if (!(*out = calloc(1, sizeof(**out)))) {
        snprintf(why, cap, "out of memory checking head office's records");
        return SYNC_ESTORE;
    }
    if (strlen(office_key_hex) != 2 * CRYPTO_SIGN_PK_BYTES ||
        crypto_unhex(pk, sizeof(pk), office_key_hex)) {
        snprintf(why, cap, "[sync] office_public_key: expected head office's key, 64 hex digits");
        return SYNC_ECONFIG;
    }
    int err = SYNC_OK;
    for (int k = 0; k < SIGNED_KINDS && err == SYNC_OK; k++) {
        struct signed_record *sr = &(*out)->r[k];
        err = signed_record(pg, pk, (enum signed_kind)k, sr, why, cap);
        if (err == SYNC_OK)
            err = index_lines(sr, why, cap);
        if (err == SYNC_OK)
            err = record_not_older(s, (enum signed_kind)k, sr, why, cap);
    }
    return err;
}

bool sync_signed_newer(struct store *s, const struct signed_pull *sp)
{
    bool newer = false;
    for (int k = 0; k < SIGNED_KINDS; k++)
        newer |= sp->r[k].at_us > sync_meta_int(s, signed_kinds[k].meta);
    return newer;
}

/* Which record and shape each pulled kind is checked against (badges: check_badges). */
static const struct {
    enum signed_kind kind;
    const struct line_shape *shape;
} checked_as[PULL_KINDS] = {
    [PULL_PEOPLE] = {SIGNED_ROSTER, &people_shape},
    [PULL_BADGES] = {SIGNED_ROSTER, NULL},
    [PULL_COURSES] = {SIGNED_PROGRAMME, &courses_shape},
    [PULL_SESSIONS] = {SIGNED_PROGRAMME, &sessions_shape},
    [PULL_BOOKINGS] = {SIGNED_BOOKINGS, &bookings_shape},
    [PULL_CREDITS] = {SIGNED_CREDITS, &credits_shape},
};

int sync_signed_check(struct pg *pg, struct signed_pull *sp,
                      struct pg_result *const res[PULL_KINDS], const char *const range[2],
                      bool complete, char *why, size_t cap)
{
    struct pg_result *proofs = NULL;
    int err = sync_from_pg(pg_exec(pg, enrolments_sql, 2, range, &proofs, why, cap), pg);
    for (int k = 0; k < PULL_KINDS && err == SYNC_OK; k++) {
        enum signed_kind kind = checked_as[k].kind;
        const struct line_shape *shape = checked_as[k].shape;
        size_t signed_n = 0;
        struct row_list *off = &sp->off[k];
        off->n = 0;
        err = shape ? check_rows(&sp->r[kind], kind, shape, res[k], &signed_n, off, why, cap)
                    : check_badges(&sp->r[kind], res[k], proofs, &signed_n, off, why, cap);
        if (err == SYNC_OK && complete)
            err =
                all_there(&sp->r[kind], kind, shape ? shape->table : "badges", signed_n, why, cap);
    }
    pg_clear(proofs);
    return err;
}
int sync_signed_remember(struct store *s, const struct signed_pull *sp)
{
    int err = STORE_OK;
    for (int k = 0; k < SIGNED_KINDS && err == STORE_OK; k++) {
        char at[24];
        snprintf(at, sizeof(at), "%" PRId64, sp->r[k].at_us);
        err = store_meta_set(s, signed_kinds[k].meta, at);
    }
    return err;
}

int sync_signed_keep(struct store *s, const struct signed_pull *sp,
                     struct pg_result *const res[PULL_KINDS], int64_t now_us)
{
    int err = STORE_OK;
    const struct row_list *off = &sp->off[PULL_BADGES];
    for (size_t i = 0; i < off->n && err == STORE_OK; i++) {
        uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
        if (crypto_unhex(hash, sizeof(hash), pg_value(res[PULL_BADGES], (int)off->at[i], 0)))
            return STORE_EINVALID;
        err = store_revocation_taken(s, hash, now_us);
    }
    off = &sp->off[PULL_BOOKINGS];
    for (size_t i = 0; i < off->n && err == STORE_OK; i++) {
        int row = (int)off->at[i];
        err = store_booking_cancel_taken(s, pg_value(res[PULL_BOOKINGS], row, 0),
                                         pg_value(res[PULL_BOOKINGS], row, 1));
    }
    off = &sp->off[PULL_CREDITS];
    for (size_t i = 0; i < off->n && err == STORE_OK; i++) {
        int row = (int)off->at[i];
        civil_day date;
        if (civil_parse_date(pg_value(res[PULL_CREDITS], row, 2), &date) != 0)
            return STORE_EINVALID;
        err = store_credit_void_taken(s, pg_value(res[PULL_CREDITS], row, 0),
                                      pg_value(res[PULL_CREDITS], row, 1), date);
    }
    return err;
}

void sync_signed_free(struct signed_pull *sp)
{
    if (!sp)
        return;
    for (int k = 0; k < SIGNED_KINDS; k++)
        signed_record_free(&sp->r[k]);
    for (int k = 0; k < PULL_KINDS; k++)
        free(sp->off[k].at);
    free(sp);
}
