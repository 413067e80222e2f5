/* What head office sends back at each sync (sync.h): the roster, badges, programme, bookings
 * and credits pulled since the kiosk's cursor and applied in one local transaction; and whole
 * copies of the ledger for reports and imports (sync_copy). */
#include "sync/sync_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/strcopy.h"
#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "sync/sync_office.h"

/* ---- pull -------------------------------------------------------------------------------- */

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
                 const char *identity, const char *upto, const struct signed_pull *signed_records,
                 int64_t now_us)
{
    static int (*const appliers[PULL_CREDITS])(struct store *, const struct pg_result *) = {
        apply_people, apply_badges, apply_courses, apply_sessions, apply_bookings};
    int err = store_begin(s);
    for (int k = 0; k < PULL_CREDITS && err == STORE_OK; k++)
        err = appliers[k](s, res[k]);
    if (err == STORE_OK)
        err = apply_credits(s, res[PULL_CREDITS], full_credits);
    if (err == STORE_OK && signed_records)
        err = sync_signed_keep(s, signed_records, res, now_us);
    if (err == STORE_OK)
        err = store_meta_set(s, META_CURSOR, upto);
    if (err == STORE_OK && identity)
        err = store_meta_set(s, META_LEDGER, identity);
    if (err == STORE_OK)
        return store_commit(s);
    store_rollback(s);
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

/* A row changed with its txid set back (the touch trigger off for a moment) never reaches a
 * pull from the cursor, so every kiosk also pulls everything at least this often, and whenever
 * head office has signed a record since: what it then lacks or holds differently is named. */
#define WHOLE_PULL_EVERY_US (20 * US_PER_HOUR)

static bool whole_pull_due(struct store *s, int64_t now_us)
{
    int64_t last = 0;
    if (sync_meta_int_checked(s, META_WHOLE, &last) != STORE_OK)
        return true;
    return now_us - last >= WHOLE_PULL_EVERY_US || now_us < last; /* a clock put back: too */
}

/* Pulls everything the ledger holds since the store's cursor into the store (one local
 * transaction). identity: the ledger's (from cpd.kiosk_status), remembered with the cursor. */
int sync_pull(struct pg *pg, struct store *s, const char *identity, const char *office_key_hex,
              struct sync_report *r, char *why, size_t cap)
{
    char since[32] = "0", upto[32] = "0";
    struct pg_result *res[PULL_KINDS] = {0}, *bound = NULL;
    struct signed_pull *signed_records = NULL;
    bool checked = office_key_hex && office_key_hex[0];
    int64_t now_us = clock_wall_us();
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
    int result = sync_from_pg(err, pg);
    if (result == SYNC_OK && checked)
        result = sync_signed_load(pg, s, office_key_hex, &signed_records, why, cap);
    r->whole_pull = r->full_pull || whole_pull_due(s, now_us) ||
                    (signed_records && sync_signed_newer(s, signed_records));
    if (r->whole_pull)
        strcopy(since, sizeof(since), "0");
    const char *params[2] = {since, upto};
    for (int k = 0; k < PULL_KINDS && result == SYNC_OK; k++)
        result = sync_from_pg(pg_exec(pg, pull_sql[k], 2, params, &res[k], why, cap), pg);
    if (result == SYNC_OK && checked)
        result = sync_signed_check(pg, signed_records, res, params, r->whole_pull, why, cap);
    pg_exec(pg, result == SYNC_OK ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, why,
            result == SYNC_OK ? cap : 0);
    if (result == SYNC_OK) {
        int store_err = apply(s, res, false, identity, upto, signed_records, now_us);
        if (store_err == STORE_OK && signed_records)
            store_err = sync_signed_remember(s, signed_records);
        if (store_err == STORE_OK && r->whole_pull)
            store_err = sync_meta_put_int(s, META_WHOLE, now_us);
        if (store_err != STORE_OK)
            result = sync_store_failed(store_err, "applying what the ledger sent", why, cap);
        for (int k = 0; k < PULL_KINDS; k++)
            r->pulled[k] = pg_rows(res[k]);
    }
    for (int k = 0; k < PULL_KINDS; k++)
        pg_clear(res[k]);
    sync_signed_free(signed_records);
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
        store_err = apply(s, res, true, NULL, "0", NULL, 0);
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
