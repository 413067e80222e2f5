/* What head office sends back at each sync (sync.h): the roster, badges, programme, bookings
 * and credits pulled since the kiosk's cursor and applied in one local transaction; and whole
 * copies of the ledger for reports and imports (sync_copy). */
#include "sync/sync_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/strcopy.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "sync/sync_office.h"

/* ---- pull -------------------------------------------------------------------------------- */

enum {
    PULL_PEOPLE,
    PULL_BADGES,
    PULL_COURSES,
    PULL_SESSIONS,
    PULL_BOOKINGS,
    PULL_CREDITS,
    PULL_KINDS
};

static const char *const pull_sql[PULL_KINDS] = {
    [PULL_PEOPLE] = "SELECT * FROM cpd.pull_people($1::xid8, $2::xid8)",
    [PULL_BADGES] = ("SELECT encode(uid_hash, 'hex'), last4, staff_no, active"
                     " FROM cpd.pull_badges($1::xid8, $2::xid8)"),
    "SELECT * FROM cpd.pull_courses($1::xid8, $2::xid8)",
    "SELECT * FROM cpd.pull_sessions($1::xid8, $2::xid8)",
    "SELECT * FROM cpd.pull_bookings($1::xid8, $2::xid8)",
    "SELECT * FROM cpd.pull_external_credits($1::xid8, $2::xid8)",
};

static bool yes(const char *v)
{
    return v[0] == 't';
}

/* Credits in quarters as the importers read them: 0 to 999.75 credits; SQL NULL (none
 * printed) is -1 where allowed. -2 for anything else: refused, as the credits engine's sums
 * would overflow on it. */
#define LEDGER_QUARTERS_MAX 3999
static int ledger_quarters(const struct pg_result *res, int row, int col, bool null_is_none)
{
    if (pg_null(res, row, col))
        return null_is_none ? -1 : -2;
    long q = strtol(pg_value(res, row, col), NULL, 10);
    return q >= 0 && q <= LEDGER_QUARTERS_MAX ? (int)q : -2;
}

static int person_id(struct store *s, const char *staff_no, int64_t *id)
{
    struct person p;
    int err = store_person_by_staff_no(s, staff_no, &p);
    if (err == STORE_OK)
        *id = p.id;
    return err;
}

static int apply_people(struct store *s, const struct pg_result *res)
{
    int err = STORE_OK;
    for (int i = 0; i < pg_rows(res) && err == STORE_OK; i++) {
        bool bad = false; /* a ledger value too long for its field: refused, never cut */
        struct person p = {0};
        bad |= strcopy(p.staff_no, sizeof(p.staff_no), pg_value(res, i, 0)) != 0;
        utf8_copy(p.name, sizeof(p.name), pg_value(res, i, 1));       /* display text */
        utf8_copy(p.academy, sizeof(p.academy), pg_value(res, i, 2)); /* display text */
        if (bad)
            return STORE_EINVALID;
        p.trainer = strcmp(pg_value(res, i, 3), "trainer") == 0;
        p.active = yes(pg_value(res, i, 4));
        int64_t id;
        err = store_person_upsert(s, &p, &id);
    }
    return err;
}

static int apply_badges(struct store *s, const struct pg_result *res)
{
    int err = STORE_OK;
    for (int i = 0; i < pg_rows(res) && err == STORE_OK; i++) {
        uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
        int64_t id = 0;
        if (crypto_unhex(hash, sizeof(hash), pg_value(res, i, 0)) != 0)
            return STORE_EINVALID;
        if (!yes(pg_value(res, i, 3)))
            err = store_badge_remove(s, hash);
        else if ((err = person_id(s, pg_value(res, i, 2), &id)) == STORE_OK)
            err = store_badge_put(s, hash, pg_value(res, i, 1), id);
    }
    return err;
}

static int apply_courses(struct store *s, const struct pg_result *res)
{
    int err = STORE_OK;
    for (int i = 0; i < pg_rows(res) && err == STORE_OK; i++) {
        bool bad = false; /* a ledger value too long for its field: refused, never cut */
        struct course_row c = {0};
        bad |= strcopy(c.code, sizeof(c.code), pg_value(res, i, 0)) != 0;
        utf8_copy(c.period, sizeof(c.period), pg_value(res, i, 1));     /* display text */
        utf8_copy(c.category, sizeof(c.category), pg_value(res, i, 2)); /* display text */
        utf8_copy(c.title, sizeof(c.title), pg_value(res, i, 3));       /* display text */
        if (bad)
            return STORE_EINVALID;
        int delivery = domain_delivery_parse(pg_value(res, i, 4));
        int kind = domain_kind_parse(pg_value(res, i, 5));
        int freq = domain_frequency_parse(pg_value(res, i, 8));
        if (delivery < 0 || kind < 0 || freq < 0)
            return STORE_EINVALID;
        c.delivery = (enum delivery)delivery;
        c.kind = (enum course_kind)kind;
        c.frequency = (enum frequency)freq;
        c.credits_q = ledger_quarters(res, i, 6, true);
        bad |= c.credits_q < -1; /* … and credits out of range */
        bad |= strcopy(c.group, sizeof(c.group), pg_value(res, i, 7)) != 0;
        utf8_copy(c.due, sizeof(c.due), pg_value(res, i, 9));    /* display text */
        utf8_copy(c.note, sizeof(c.note), pg_value(res, i, 10)); /* display text */
        if (bad)
            return STORE_EINVALID;
        int64_t id;
        err = store_course_upsert(s, &c, &id);
    }
    return err;
}

static int apply_sessions(struct store *s, const struct pg_result *res)
{
    int err = STORE_OK;
    for (int i = 0; i < pg_rows(res) && err == STORE_OK; i++) {
        bool bad = false; /* a ledger value too long for its field: refused, never cut */
        struct session x = {0};
        struct course_row c;
        int64_t course_id = 0;
        bad |= strcopy(x.code, sizeof(x.code), pg_value(res, i, 0)) != 0;
        utf8_copy(x.location, sizeof(x.location), pg_value(res, i, 4)); /* display text */
        if (bad || civil_parse_date(pg_value(res, i, 1), &x.date) != 0 ||
            civil_parse_hhmm(pg_value(res, i, 2), &x.start_min) != 0 ||
            civil_parse_hhmm(pg_value(res, i, 3), &x.end_min) != 0 ||
            zone_local_to_utc(x.date, x.start_min, &x.start_us) != ZONE_OK ||
            zone_local_to_utc(x.date, x.end_min, &x.end_us) != ZONE_OK)
            return STORE_EINVALID;
        err = store_course_by_code(s, x.code, &c, &course_id);
        int64_t id;
        if (err == STORE_OK)
            err = store_session_upsert(s, course_id, &x, &id);
    }
    return err;
}

static int apply_bookings(struct store *s, const struct pg_result *res)
{
    int err = STORE_OK;
    for (int i = 0; i < pg_rows(res) && err == STORE_OK; i++) {
        int64_t pid = 0;
        struct session x;
        err = person_id(s, pg_value(res, i, 0), &pid);
        if (err == STORE_OK)
            err = store_session_by_code(s, pg_value(res, i, 1), &x);
        if (err == STORE_OK)
            err = yes(pg_value(res, i, 2)) ? store_booking_add(s, pid, x.id)
                                           : store_booking_remove(s, pid, x.id);
    }
    return err;
}

/* A kiosk gets whether there is a certificate, never its number (cpd.pull_external_credits). */
#define CERTIFICATE_AT_HEAD_OFFICE "held at head office"
/* … nor the note, only that it says why (which an unprinted course needs to count). */
#define REASON_AT_HEAD_OFFICE "reason held at head office"

/* full: head office's own rows (certificate and note as they are); otherwise a kiosk's pull
 * (whether there is a certificate, whether the note says why). */
static int apply_credits(struct store *s, const struct pg_result *res, bool full)
{
    int err = STORE_OK;
    for (int i = 0; i < pg_rows(res) && err == STORE_OK; i++) {
        struct external_row x = {0};
        struct course_row c;
        int source = domain_source_parse(pg_value(res, i, 3));
        if (source < 0 || civil_parse_date(pg_value(res, i, 2), &x.date) != 0)
            return STORE_EINVALID;
        x.source = (enum external_source)source;
        x.credits_q = ledger_quarters(res, i, 4, false);
        bool bad = x.credits_q < 0; /* a ledger value out of range or too long: refused */
        if (full)
            bad |= strcopy(x.certificate, sizeof(x.certificate), pg_value(res, i, 5)) != 0;
        else if (yes(pg_value(res, i, 5)))
            strcopy(x.certificate, sizeof(x.certificate), CERTIFICATE_AT_HEAD_OFFICE);
        x.directed = yes(pg_value(res, i, 6));
        if (full)
            utf8_copy(x.note, sizeof(x.note), pg_value(res, i, 8)); /* display text */
        else if (pg_columns(res) > 8 && yes(pg_value(res, i, 8)))
            strcopy(x.note, sizeof(x.note), REASON_AT_HEAD_OFFICE);
        if (bad)
            return STORE_EINVALID;
        err = person_id(s, pg_value(res, i, 0), &x.person_id);
        if (err == STORE_OK)
            err = store_course_by_code(s, pg_value(res, i, 1), &c, &x.course_id);
        if (err == STORE_OK)
            err = yes(pg_value(res, i, 7))
                      ? store_external_upsert(s, &x)
                      : store_external_remove(s, x.person_id, x.course_id, x.date);
    }
    return err;
}

static int apply(struct store *s, struct pg_result *const *res, bool full_credits,
                 const char *identity, const char *upto)
{
    static int (*const appliers[PULL_CREDITS])(struct store *, const struct pg_result *) = {
        apply_people, apply_badges, apply_courses, apply_sessions, apply_bookings};
    int err = store_begin(s);
    for (int k = 0; k < PULL_CREDITS && err == STORE_OK; k++)
        err = appliers[k](s, res[k]);
    if (err == STORE_OK)
        err = apply_credits(s, res[PULL_CREDITS], full_credits);
    if (err == STORE_OK)
        err = store_meta_set(s, META_CURSOR, upto);
    if (err == STORE_OK && identity)
        err = store_meta_set(s, META_LEDGER, identity);
    if (err == STORE_OK)
        return store_commit(s);
    store_rollback(s);
    return err;
}

/* ---- head office's signature on what is pulled ------------------------------------------ */

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
};

static void signed_record_free(struct signed_record *sr)
{
    pg_clear(sr->res);
    free(sr->lines);
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
    if (!(sr->lines = calloc(n + 1, sizeof(*sr->lines)))) {
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
static const char *signed_line(const struct signed_record *sr, const char *key)
{
    size_t lo = 0, hi = sr->n, len = strlen(key);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(sr->lines[mid], key, len);
        if (c == 0)
            return sr->lines[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
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

/* Whether the signed line (ending at a newline or the body's end) is exactly line. */
static bool line_is(const char *signed_at, const char *line)
{
    size_t n = strlen(line);
    return signed_at && strncmp(signed_at, line, n) == 0 &&
           (signed_at[n] == '\n' || signed_at[n] == '\0');
}

/* Each pulled row must be as head office signed it, or (turned_off) as signed but turned off
 * since by a kiosk's event. The first that is not, named in why. */
static int check_rows(const struct signed_record *sr, enum signed_kind kind,
                      const struct line_shape *shape, const struct pg_result *res, char *why,
                      size_t cap)
{
    for (int i = 0; i < pg_rows(res); i++) {
        char *line = NULL, *key = NULL;
        if (!shaped_line(shape, res, i, &line, &key)) {
            snprintf(why, cap, "out of memory checking head office's %s", signed_kinds[kind].name);
            return SYNC_ESTORE;
        }
        const char *signed_at = signed_line(sr, key);
        bool ok = line_is(signed_at, line);
        size_t n = strlen(line);
        if (!ok && shape->turned_off && n > 6 && strcmp(line + n - 6, "\tfalse") == 0) {
            memcpy(line + n - 5, "true", 5); /* off since: signed on */
            ok = line_is(signed_at, line);
        }
        free(line);
        free(key);
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

/* Each pulled badge as signed, or turned off since (a kiosk's revocation), or not in the
 * record (a kiosk's enrolment since, of a member of staff: never a trainer's). */
static int check_badges(const struct signed_record *sr, const struct pg_result *badges, char *why,
                        size_t cap)
{
    char key[600], field[400], a[400], b[400], c[400];
    for (int i = 0; i < pg_rows(badges); i++) {
        const char *hash = pg_value(badges, i, 0);
        bool on = pg_value(badges, i, 3)[0] == 't', ok = false;
        snprintf(key, sizeof(key), "badges\t%.64s\t", hash);
        const char *signed_at = signed_line(sr, key);
        if (signed_at) {
            bool signed_on =
                office_field(signed_at, 5, field, sizeof(field)) && strcmp(field, "true") == 0;
            ok = office_escape(a, sizeof(a), pg_value(badges, i, 1)) &&
                 office_escape(b, sizeof(b), pg_value(badges, i, 2)) &&
                 office_field(signed_at, 2, c, sizeof(c)) && strcmp(a, c) == 0 &&
                 office_field(signed_at, 3, c, sizeof(c)) && strcmp(b, c) == 0 &&
                 (signed_on || !on);
        } else {
            /* Enrolled at a kiosk since: only a member of staff the record names. */
            ok = office_escape(b, sizeof(b), pg_value(badges, i, 2));
            snprintf(key, sizeof(key), "people\t%s\t", b);
            const char *person = ok ? signed_line(sr, key) : NULL;
            ok = person && office_field(person, 4, field, sizeof(field)) &&
                 strcmp(field, "staff") == 0;
        }
        if (!ok) {
            utf8_printf(why, cap,
                        "badge …%.4s of %.64s from the ledger is not as head office signed the "
                        "roster: nothing was taken from this pull (head office: verify --ledger)",
                        pg_value(badges, i, 1), pg_value(badges, i, 2));
            return SYNC_ETAMPER;
        }
    }
    return SYNC_OK;
}

/* Everything pulled (res, by PULL_ kind) against head office's newest signed records, read in
 * the pull's own snapshot so that the rows and the records are of one moment. */
static int check_signed(struct pg *pg, struct store *s, const char *key_hex,
                        struct pg_result *const *res, struct signed_record *sr, char *why,
                        size_t cap)
{
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    if (strlen(key_hex) != 2 * CRYPTO_SIGN_PK_BYTES || crypto_unhex(pk, sizeof(pk), key_hex)) {
        snprintf(why, cap, "[sync] office_public_key: expected head office's key, 64 hex digits");
        return SYNC_ECONFIG;
    }
    int err = SYNC_OK;
    for (int k = 0; k < SIGNED_KINDS && err == SYNC_OK; k++) {
        err = signed_record(pg, pk, (enum signed_kind)k, &sr[k], why, cap);
        if (err == SYNC_OK)
            err = index_lines(&sr[k], why, cap);
        if (err == SYNC_OK)
            err = record_not_older(s, (enum signed_kind)k, &sr[k], why, cap);
    }
    if (err == SYNC_OK)
        err = check_rows(&sr[SIGNED_ROSTER], SIGNED_ROSTER, &people_shape, res[PULL_PEOPLE], why,
                         cap);
    if (err == SYNC_OK)
        err = check_badges(&sr[SIGNED_ROSTER], res[PULL_BADGES], why, cap);
    if (err == SYNC_OK)
        err = check_rows(&sr[SIGNED_PROGRAMME], SIGNED_PROGRAMME, &courses_shape, res[PULL_COURSES],
                         why, cap);
    if (err == SYNC_OK)
        err = check_rows(&sr[SIGNED_PROGRAMME], SIGNED_PROGRAMME, &sessions_shape,
                         res[PULL_SESSIONS], why, cap);
    if (err == SYNC_OK)
        err = check_rows(&sr[SIGNED_BOOKINGS], SIGNED_BOOKINGS, &bookings_shape, res[PULL_BOOKINGS],
                         why, cap);
    if (err == SYNC_OK)
        err = check_rows(&sr[SIGNED_CREDITS], SIGNED_CREDITS, &credits_shape, res[PULL_CREDITS],
                         why, cap);
    return err;
}

/* Where the pull starts: the stored cursor, unless it belongs to another ledger or cluster
 * (a logical restore gives the same rows other transaction ids) or is ahead of the server. */
static void pull_start(struct store *s, const char *identity, char *since, size_t cap, bool *full)
{
    char known[128] = "";
    if (store_meta_get(s, META_CURSOR, since, cap) != STORE_OK)
        strcopy(since, cap, "0");
    if (identity && store_meta_get(s, META_LEDGER, known, sizeof(known)) == STORE_OK && known[0] &&
        strcmp(known, identity) != 0) {
        strcopy(since, cap, "0");
        *full = true;
    }
}

/* Pulls everything the ledger holds since the store's cursor into the store (one local
 * transaction). identity: the ledger's (from cpd.kiosk_status), remembered with the cursor. */
int sync_pull(struct pg *pg, struct store *s, const char *identity, const char *office_key_hex,
              struct sync_report *r, char *why, size_t cap)
{
    char since[32] = "0", upto[32] = "0";
    struct pg_result *res[PULL_KINDS] = {0}, *bound = NULL;
    struct signed_record records[SIGNED_KINDS] = {0};
    bool checked = office_key_hex && office_key_hex[0];
    pull_start(s, identity, since, sizeof(since), &r->full_pull);
    int err =
        pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, why, cap);
    if (err == PG_OK)
        err = pg_exec(pg, "SELECT cpd.pull_upto()::text", 0, NULL, &bound, why, cap);
    if (err == PG_OK && strcopy(upto, sizeof(upto), pg_value(bound, 0, 0)) != 0)
        err = PG_EQUERY;
    if (err == PG_OK && strtoull(since, NULL, 10) > strtoull(upto, NULL, 10)) {
        strcopy(since, sizeof(since), "0"); /* the server is behind our cursor: restored */
        r->full_pull = true;
    }
    const char *params[2] = {since, upto};
    for (int k = 0; k < PULL_KINDS && err == PG_OK; k++)
        err = pg_exec(pg, pull_sql[k], 2, params, &res[k], why, cap);
    int result = sync_from_pg(err, pg);
    if (result == SYNC_OK && checked)
        result = check_signed(pg, s, office_key_hex, res, records, why, cap);
    pg_exec(pg, result == SYNC_OK ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, why,
            result == SYNC_OK ? cap : 0);
    if (result == SYNC_OK) {
        int store_err = apply(s, res, false, identity, upto);
        for (int k = 0; k < SIGNED_KINDS && store_err == STORE_OK && checked; k++) {
            char at[24];
            snprintf(at, sizeof(at), "%" PRId64, records[k].at_us);
            store_err = store_meta_set(s, signed_kinds[k].meta, at);
        }
        if (store_err != STORE_OK)
            result = sync_store_failed(store_err, "applying what the ledger sent", why, cap);
        for (int k = 0; k < PULL_KINDS; k++)
            r->pulled[k] = pg_rows(res[k]);
    }
    for (int k = 0; k < PULL_KINDS; k++)
        pg_clear(res[k]);
    for (int k = 0; k < SIGNED_KINDS; k++)
        signed_record_free(&records[k]);
    pg_clear(bound);
    return result;
}

/* ---- a copy for reports ------------------------------------------------------------------- */

/* What head office holds, for a store of its own: the report views (every certificate and note
 * as they are, a voided credit kept so its credit_voided event shows it with who and why), the
 * badges only for head office's own imports (the owner's login; reports do not need them),
 * and, for reports, every kiosk's events as sync_event_from_row reads them plus the kiosk: the
 * hashes and signatures were checked by the ledger on push and are not copied. */
static const char *const copy_sql[PULL_KINDS] = {
    "SELECT staff_no, name, academy, role, active FROM cpd.office_people ORDER BY staff_no",
    "SELECT encode(uid_hash, 'hex'), last4, staff_no, active FROM cpd.badges ORDER BY uid_hash",
    ("SELECT code, period, category, title, delivery, kind, credits_q, grp, frequency, due, note"
     " FROM cpd.office_courses ORDER BY code"),
    ("SELECT code, to_char(date, 'YYYY-MM-DD'), to_char(start_time, 'HH24:MI'),"
     " to_char(end_time, 'HH24:MI'), location FROM cpd.office_sessions ORDER BY code"),
    "SELECT staff_no, session, active FROM cpd.office_bookings ORDER BY staff_no, session",
    ("SELECT staff_no, programme, to_char(date, 'YYYY-MM-DD'), source, credits_q, certificate,"
     " directed, active OR voided, note FROM cpd.office_external_credits"
     " ORDER BY staff_no, programme, date"),
};
static const char no_badges_sql[] = "SELECT NULL WHERE false";
/* Only the events from the first moment the reports ask about (the credit year's start): the
 * years before it stay in the ledger (index events_wall, schema 8). */
static const char copy_events_sql[] =
    "SELECT seq, uuid, type, person, session, wall_us, 0, clock, payload, repeat('00', 32),"
    " repeat('00', 32), repeat('00', 64), kiosk FROM cpd.office_events"
    " WHERE wall_us >= $1::bigint ORDER BY kiosk, seq";

/* Each kiosk's events in its own order, merged by wall time (a kiosk's clock may have been
 * wrong, so its seq order is kept and only the kiosks are interleaved): the rows' indexes in
 * that order, or NULL when out of memory. */
static int *merge_kiosks(const struct pg_result *res)
{
    int n = pg_rows(res), streams = 0;
    int *head = calloc((size_t)n + 1, sizeof(int)), *end = calloc((size_t)n + 1, sizeof(int));
    int *order = head && end ? calloc((size_t)n + 1, sizeof(int)) : NULL;
    for (int i = 0; i < n && order; i++) {
        if (i == 0 || strcmp(pg_value(res, i, 12), pg_value(res, i - 1, 12)) != 0)
            head[streams++] = i;
        end[streams - 1] = i + 1;
    }
    for (int k = 0; k < n && order; k++) {
        int best = -1;
        int64_t best_wall = 0;
        for (int st = 0; st < streams; st++) {
            if (head[st] == end[st])
                continue;
            int64_t wall = strtoll(pg_value(res, head[st], 5), NULL, 10);
            if (best < 0 || wall < best_wall) {
                best = st;
                best_wall = wall;
            }
        }
        order[k] = head[best]++;
    }
    free(head);
    free(end);
    return order;
}

/* Events converted and written at a time: a year of a trust's taps as events at once would
 * be hundreds of MB (an event holds room for a 1 KiB payload). */
#define COPY_CHUNK 1024

/* The ledger's events into the store in the merged order, in one local transaction. One that
 * does not fit an event is left out and named in skipped (NULL: refused). *store_err: the
 * store's error, when it failed. */
static int copy_events(struct store *s, const struct pg_result *res, struct sync_skipped *skipped,
                       int *store_err, char *why, size_t cap)
{
    int n = pg_rows(res);
    int *order = merge_kiosks(res);
    struct event *chunk = order ? calloc(COPY_CHUNK, sizeof(*chunk)) : NULL;
    size_t kept = 0;
    int err = chunk ? SYNC_OK : SYNC_ESTORE;
    if (!chunk)
        snprintf(why, cap, "out of memory for %d events", n);
    if (err == SYNC_OK)
        *store_err = store_begin(s);
    bool began = err == SYNC_OK && *store_err == STORE_OK;
    for (int k = 0; k < n && began && err == SYNC_OK && *store_err == STORE_OK; k++) {
        /* Taken as the ledger holds it (it checked the signatures on push), but for fields no
         * kiosk writes — a time before 1970 or after 9999 (the reports' sums with it would
         * overflow), a voided credit's impossible date. */
        int row = order[k];
        struct event *e = &chunk[kept];
        const char *field = sync_event_from_row(res, row, pg_value(res, row, 12), e) != 0
                                ? "a field"
                                : event_insane_field(e);
        if (field && !skipped) {
            snprintf(why, cap, "the ledger's event %s seq %s does not fit an event (%s)",
                     pg_value(res, row, 12), pg_value(res, row, 0), field);
            err = SYNC_EQUERY;
        } else if (field) {
            if (skipped->n++ == 0)
                utf8_printf(skipped->first, sizeof(skipped->first), "kiosk %s seq %s (%s)",
                            pg_value(res, row, 12), pg_value(res, row, 0), field);
        } else if (++kept == COPY_CHUNK) {
            *store_err = store_copy_events(s, chunk, kept);
            kept = 0;
        }
    }
    /* The rest, even none: store_copy_events also marks the store a copy. */
    if (began && err == SYNC_OK && *store_err == STORE_OK)
        *store_err = store_copy_events(s, chunk, kept);
    if (began && err == SYNC_OK && *store_err == STORE_OK)
        *store_err = store_commit(s);
    else if (began)
        store_rollback(s); /* nothing when a failed chunk has already rolled it back */
    free(chunk);
    free(order);
    return err;
}

int sync_copy(struct pg *pg, struct store *s, enum sync_copy_for purpose, int64_t events_from_us,
              struct sync_skipped *skipped, char *why, size_t cap)
{
    char from[24];
    snprintf(from, sizeof(from), "%" PRId64, events_from_us);
    const char *params[] = {from};
    if (skipped)
        memset(skipped, 0, sizeof(*skipped));
    struct pg_result *res[PULL_KINDS] = {0}, *events = NULL;
    bool reports = purpose == SYNC_COPY_FOR_REPORTS;
    bool events_too = purpose != SYNC_COPY_FOR_IMPORT;
    int err =
        pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, why, cap);
    for (int k = 0; k < PULL_KINDS && err == PG_OK; k++)
        err = pg_exec(pg, reports && k == PULL_BADGES ? no_badges_sql : copy_sql[k], 0, NULL,
                      &res[k], why, cap);
    if (err == PG_OK)
        err = events_too ? pg_exec(pg, copy_events_sql, 1, params, &events, why, cap)
                         : pg_exec(pg, "SELECT NULL WHERE false", 0, NULL, &events, why, cap);
    int result = sync_from_pg(err, pg);
    pg_exec(pg, err == PG_OK ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, why, err == PG_OK ? cap : 0);
    int store_err = STORE_OK;
    if (result == SYNC_OK)
        store_err = apply(s, res, true, NULL, "0");
    if (result == SYNC_OK && store_err == STORE_OK && events_too)
        result = copy_events(s, events, skipped, &store_err, why, cap);
    if (store_err != STORE_OK)
        result =
            sync_store_failed(store_err, "copying the ledger into the report's store", why, cap);
    for (int k = 0; k < PULL_KINDS; k++)
        pg_clear(res[k]);
    pg_clear(events);
    return result;
}
