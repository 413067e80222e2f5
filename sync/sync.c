#include "core/base/clock.h"
#include "core/base/error.h"
#include "sync/sync_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/strcopy.h"
#include "core/base/timeunits.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/crypto.h"
#include "core/domain/rules.h"
#include "sync/sync_pg.h"

int sync_read_password(const char *path, char *out, size_t cap, char *why, size_t why_cap)
{
    /* O_NONBLOCK: a FIFO must be refused, not waited on (the mode check below refuses it). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(why, why_cap, "%s: %s", path, strerror(errno));
        return SYNC_ECONFIG;
    }
    struct stat st;
    int err = SYNC_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_cap, "%s: not a regular file", path);
        err = SYNC_ECONFIG;
    } else if (st.st_uid != geteuid()) {
        snprintf(why, why_cap, "%s: owned by uid %u, not by this user (uid %u)", path,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        err = SYNC_ECONFIG;
    } else if (st.st_mode & 0177) {
        snprintf(why, why_cap,
                 "%s: mode %03o, expected 0600 or 0400 (readable by others? chmod 600 it)", path,
                 (unsigned)(st.st_mode & 0777));
        err = SYNC_ECONFIG;
    } else {
        ssize_t n = read(fd, out, cap - 1);
        if (n < 0) {
            snprintf(why, why_cap, "%s: %s", path, strerror(errno));
            err = SYNC_ECONFIG;
        } else {
            out[n] = '\0';
            out[strcspn(out, "\r\n")] = '\0';
            if (!out[0]) {
                snprintf(why, why_cap, "%s: empty (the password is its first line)", path);
                err = SYNC_ECONFIG;
            }
        }
    }
    close(fd);
    return err;
}

int sync_from_pg(int err, const struct pg *pg)
{
    switch (err) {
    case PG_OK:
        return SYNC_OK;
    case PG_EUNREACHABLE:
        return SYNC_EUNREACHABLE;
    case PG_EAUTH:
        return SYNC_EAUTH;
    case PG_EPERM:
        return SYNC_EPERM;
    case PG_ETLS:
        return SYNC_ETLS;
    case PG_ECONNINFO:
        return SYNC_ECONFIG;
    default:
        break;
    }
    const char *state = pg ? pg_sqlstate(pg) : "";
    if (strcmp(state, "CP001") == 0 || strcmp(state, "23505") == 0)
        return SYNC_ETAMPER; /* 23505: a uuid the ledger already holds under another seq */
    if (strcmp(state, "CP006") == 0 || strcmp(state, "CP007") == 0)
        return SYNC_EREFUSED; /* register_kiosk, rotate_key */
    if (strncmp(state, "CP", 2) == 0)
        return SYNC_EREJECTED;
    if (strcmp(state, "3F000") == 0 || strcmp(state, "42883") == 0)
        return SYNC_ESCHEMA; /* no cpd schema, or no such function: not a ledger (yet) */
    return SYNC_EQUERY;
}

int64_t sync_meta_int(struct store *s, const char *key)
{
    char v[64];
    return store_meta_get(s, key, v, sizeof(v)) == STORE_OK ? strtoll(v, NULL, 10) : 0;
}

/* A number kept in the store's metadata (0 when never written); the store's error when it
 * cannot be read — a decision must not be taken on a 0 that was really a failed read. */
int sync_meta_int_checked(struct store *s, const char *key, int64_t *out)
{
    char v[64];
    int err = store_meta_get(s, key, v, sizeof(v));
    *out = err == STORE_OK ? strtoll(v, NULL, 10) : 0;
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

int sync_meta_put_int(struct store *s, const char *key, int64_t value)
{
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, value);
    return store_meta_set(s, key, v);
}

/* A failure of the local store, said once with the store's own reason ("disk is full", "disk
 * I/O error") after what the sync was doing: the caller's code says only that it was local. */
int sync_store_failed(int store_err, const char *doing, char *why, size_t cap)
{
    snprintf(why, cap, "%s: %s", doing, cpd_strerror(store_err));
    return SYNC_ESTORE;
}

int sync_state_read(struct store *s, struct sync_state *out)
{
    memset(out, 0, sizeof(*out));
    out->last_success_us = sync_meta_int(s, META_SUCCESS);
    out->acked_seq = sync_meta_int(s, META_ACKED);
    out->clock_offset_ms = sync_meta_int(s, META_OFFSET);
    if (store_meta_get(s, META_ERROR, out->last_error, sizeof(out->last_error)) != STORE_OK)
        out->last_error[0] = '\0';
    return STORE_OK;
}

/* ---- schema and clock -------------------------------------------------------------------- */

static int check_schema(struct pg *pg, struct sync_report *r, char *why, size_t cap)
{
    struct pg_result *res = NULL;
    int err = pg_exec(pg, "SELECT cpd.schema()", 0, NULL, &res, why, cap);
    if (err != PG_OK) {
        int e = sync_from_pg(err, pg);
        if (e == SYNC_ESCHEMA)
            snprintf(why, cap, "no ledger schema on this server (run: cpd-admin ledger init)");
        return e;
    }
    r->schema = atoi(pg_value(res, 0, 0));
    pg_clear(res);
    if (r->schema < LEDGER_SCHEMA_VERSION) {
        snprintf(why, cap,
                 "ledger schema %d is too old for this kiosk (needs %d): run "
                 "cpd-admin ledger init",
                 r->schema, LEDGER_SCHEMA_VERSION);
        return SYNC_ESCHEMA;
    }
    if (r->schema > LEDGER_SCHEMA_VERSION) {
        snprintf(why, cap,
                 "ledger schema %d is newer than this kiosk knows (%d): update the "
                 "kiosk",
                 r->schema, LEDGER_SCHEMA_VERSION);
        return SYNC_ESCHEMA;
    }
    return SYNC_OK;
}

/* The ledger's time as one sync read it, with our monotonic time at that moment: the ledger's
 * time later is that plus the monotonic time since, whatever our wall clock says. */
struct ledger_clock {
    int64_t server_us, mono_us;
};

/* The ledger's clock against ours, measured at the middle of one round trip. The ledger's
 * time, with our monotonic time at that moment, is kept as the evidence the kiosk's clock
 * check trusts most (core/domain/clockcheck.h); it also times the retention purge. */
static int clock_offset(struct pg *pg, struct store *s, struct sync_report *r,
                        struct ledger_clock *lc, char *why, size_t cap)
{
    struct pg_result *res = NULL;
    int64_t before = clock_wall_us(), mono_before = clock_monotonic_us();
    int err = pg_exec(pg, "SELECT cpd.server_time_us()", 0, NULL, &res, why, cap);
    int64_t after = clock_wall_us(), mono_after = clock_monotonic_us();
    if (err != PG_OK)
        return sync_from_pg(err, pg);
    int64_t server = strtoll(pg_value(res, 0, 0), NULL, 10);
    pg_clear(res);
    /* Kept as the clock check's evidence: only a time a clock can show, whose sums with ours
     * stay in range (an absurd one would overflow them). */
    if (server <= 0 || server >= LEDGER_TIME_END_US) {
        snprintf(why, cap, "the ledger's clock reads %" PRId64 " µs: no time between 1970 and 9999",
                 server);
        return SYNC_EQUERY;
    }
    r->clock_offset_ms = (server - (before + after) / 2) / 1000;
    lc->server_us = server;
    lc->mono_us = (mono_before + mono_after) / 2;
    char boot[CLOCK_BOOT_ID_LEN], reading[128];
    clock_boot_id(boot);
    snprintf(reading, sizeof(reading), "%s %" PRId64 " %" PRId64, boot[0] ? boot : "-", server,
             lc->mono_us);
    int stored = sync_meta_put_int(s, META_OFFSET, r->clock_offset_ms);
    if (stored == STORE_OK)
        stored = store_meta_set(s, STORE_META_CLOCK_LEDGER, reading);
    return stored == STORE_OK ? SYNC_OK
                              : sync_store_failed(stored, "recording the ledger's clock", why, cap);
}

/* ---- push -------------------------------------------------------------------------------- */

struct batch {
    int limit, n;
    int64_t last_seq;
    char *text[FIELDS];
    size_t len[FIELDS], cap[FIELDS];
    int err;
};

static void hex_field(char *out, const uint8_t *bytes, size_t n)
{
    out[0] = '\\';
    out[1] = 'x';
    crypto_hex(out + 2, bytes, n);
}

static int collect(void *ctx, const struct event *e)
{
    struct batch *b = ctx;
    char seq[24], wall[24], mono[24];
    char prev[2 * CRYPTO_HASH_BYTES + 3], hash[2 * CRYPTO_HASH_BYTES + 3];
    char sig[2 * CRYPTO_SIG_BYTES + 3];
    snprintf(seq, sizeof(seq), "%" PRId64, e->seq);
    snprintf(wall, sizeof(wall), "%" PRId64, e->wall_us);
    snprintf(mono, sizeof(mono), "%" PRId64, e->mono_us);
    hex_field(prev, e->prev_hash, CRYPTO_HASH_BYTES);
    hex_field(hash, e->hash, CRYPTO_HASH_BYTES);
    hex_field(sig, e->sig, CRYPTO_SIG_BYTES);
    const char *fields[FIELDS] = {seq,       e->uuid,    event_type_code(e->type),
                                  e->person, e->session, wall,
                                  mono,      e->clock,   e->payload,
                                  prev,      hash,       sig};
    for (int i = 0; i < FIELDS; i++) {
        if (pg_array_append(&b->text[i], &b->len[i], &b->cap[i], fields[i], b->n == 0) != PG_OK) {
            b->err = SYNC_ESTORE;
            return CPD_STOP;
        }
    }
    b->n++;
    b->last_seq = e->seq;
    return b->n == b->limit ? CPD_STOP : 0;
}

static const char push_sql[] =
    "SELECT cpd.push_events($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[],"
    " $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::bytea[], $11::bytea[],"
    " $12::bytea[])";

/* Sends the batch (empty arrays ask only for the acknowledgement); *acked gets the reply. */
static int send_batch(struct pg *pg, struct batch *b, int64_t *acked, char *why, size_t cap)
{
    const char *values[FIELDS];
    for (int i = 0; i < FIELDS; i++)
        values[i] = b->n ? b->text[i] : "{}";
    struct pg_result *res = NULL;
    int err = pg_exec(pg, push_sql, FIELDS, values, &res, why, cap);
    if (err != PG_OK)
        return sync_from_pg(err, pg);
    int64_t seq = strtoll(pg_value(res, 0, 0), NULL, 10);
    pg_clear(res);
    if (seq < 0) { /* no seq (and the counts from it would overflow) */
        snprintf(why, cap, "the ledger acknowledged seq %" PRId64, seq);
        return SYNC_EQUERY;
    }
    *acked = seq;
    return SYNC_OK;
}

/* The ledger's view of this kiosk (cpd.kiosk_status) and which ledger it is. */
struct ledger_status {
    char kiosk[EVENT_KIOSK_MAX]; /* whose login this is */
    int64_t last_seq;
    uint8_t last_hash[CRYPTO_HASH_BYTES];
    char identity[128]; /* "<ledger uuid>/<cluster id>" */
};

static int ledger_status(struct pg *pg, struct ledger_status *st, char *why, size_t cap)
{
    struct pg_result *res = NULL;
    int err = pg_exec(pg,
                      "SELECT last_seq, encode(last_hash, 'hex'), ledger_id || '/' || cluster_id,"
                      " kiosk FROM cpd.kiosk_status()",
                      0, NULL, &res, why, cap);
    if (err != PG_OK)
        return sync_from_pg(err, pg);
    /* One row, this login's kiosk: any other answer is no chain tip to compare with. */
    int bad = pg_rows(res) != 1;
    st->last_seq = bad ? 0 : strtoll(pg_value(res, 0, 0), NULL, 10);
    bad = bad || st->last_seq < 0 ||
          crypto_unhex(st->last_hash, sizeof(st->last_hash), pg_value(res, 0, 1)) != 0 ||
          strcopy(st->identity, sizeof(st->identity), pg_value(res, 0, 2)) != 0 ||
          strcopy(st->kiosk, sizeof(st->kiosk), pg_value(res, 0, 3)) != 0;
    pg_clear(res);
    if (bad) {
        snprintf(why, cap, "the ledger's chain tip for this kiosk is malformed");
        return SYNC_EQUERY;
    }
    return SYNC_OK;
}

static int take_first(void *ctx, const struct event *e)
{
    memcpy(ctx, e, sizeof(*e));
    return CPD_STOP;
}

/* This kiosk's own event at seq. */
int sync_local_event(struct store *s, int64_t seq, struct event *e)
{
    e->seq = 0;
    int rc = store_events_each(s, seq, take_first, e);
    if (rc != STORE_OK && rc != CPD_STOP)
        return rc;
    return e->seq == seq ? STORE_OK : STORE_ENOTFOUND;
}

int sync_event_from_row(const struct pg_result *r, int i, const char *kiosk, struct event *e)
{
    memset(e, 0, sizeof(*e));
    e->seq = strtoll(pg_value(r, i, 0), NULL, 10);
    int type = event_type_parse(pg_value(r, i, 2));
    e->type = type < 0 ? EV_TYPE_COUNT : (enum event_type)type;
    e->wall_us = strtoll(pg_value(r, i, 5), NULL, 10);
    e->mono_us = strtoll(pg_value(r, i, 6), NULL, 10);
    return type < 0 || strcopy(e->uuid, sizeof(e->uuid), pg_value(r, i, 1)) ||
                   strcopy(e->kiosk, sizeof(e->kiosk), kiosk) ||
                   strcopy(e->person, sizeof(e->person), pg_value(r, i, 3)) ||
                   strcopy(e->session, sizeof(e->session), pg_value(r, i, 4)) ||
                   strcopy(e->clock, sizeof(e->clock), pg_value(r, i, 7)) ||
                   strcopy(e->payload, sizeof(e->payload), pg_value(r, i, 8)) ||
                   crypto_unhex(e->prev_hash, sizeof(e->prev_hash), pg_value(r, i, 9)) != 0 ||
                   crypto_unhex(e->hash, sizeof(e->hash), pg_value(r, i, 10)) != 0 ||
                   crypto_unhex(e->sig, sizeof(e->sig), pg_value(r, i, 11)) != 0
               ? -1
               : 0;
}

void sync_diverged(char *why, size_t cap, int64_t seq, const uint8_t *ledger, const uint8_t *kiosk)
{
    char theirs[2 * CRYPTO_HASH_BYTES + 1], ours[2 * CRYPTO_HASH_BYTES + 1];
    crypto_hex(theirs, ledger, CRYPTO_HASH_BYTES);
    crypto_hex(ours, kiosk, CRYPTO_HASH_BYTES);
    snprintf(why, cap,
             "seq %" PRId64 ": the ledger holds hash %s, this kiosk %s (a cloned kiosk or an "
             "edited store: stop both and ask head office)",
             seq, theirs, ours);
}

/* The event the ledger's chain ends with is this store's at that seq (when the store has it):
 * SYNC_EDIVERGED, both hashes said, when not. */
static int same_tip(struct store *s, const struct ledger_status *st, int64_t local_seq, char *why,
                    size_t cap)
{
    if (st->last_seq <= 0 || st->last_seq > local_seq)
        return SYNC_OK;
    struct event e;
    int stored = sync_local_event(s, st->last_seq, &e);
    if (stored != STORE_OK)
        return sync_store_failed(stored, "reading the event the ledger ends with", why, cap);
    if (memcmp(e.hash, st->last_hash, CRYPTO_HASH_BYTES) != 0) {
        sync_diverged(why, cap, st->last_seq, st->last_hash, e.hash);
        return SYNC_EDIVERGED;
    }
    return SYNC_OK;
}

int sync_compare(struct pg *pg, struct store *s, char *why, size_t cap)
{
    struct ledger_status st;
    int64_t local_seq = 0;
    uint8_t local_hash[CRYPTO_HASH_BYTES];
    int err = ledger_status(pg, &st, why, cap);
    if (err != SYNC_OK)
        return err;
    int stored = store_chain_tip(s, &local_seq, local_hash);
    if (stored != STORE_OK)
        return sync_store_failed(stored, "reading this kiosk's chain tip", why, cap);
    return same_tip(s, &st, local_seq, why, cap);
}

/* Compares the ledger's chain tip with the store before anything is pushed: ahead (this kiosk
 * was restored from an old backup) heals; behind what it acknowledged (the ledger was restored
 * or lost events) is re-sent and reported; the same seq with another hash (a cloned kiosk, or
 * tampering) stops everything. */
static int reconcile(struct pg *pg, struct store *s, const struct ledger_status *st,
                     const char *kiosk, const uint8_t pk[], struct sync_report *r, char *why,
                     size_t cap)
{
    if (strcmp(st->kiosk, kiosk) != 0) {
        snprintf(why, cap,
                 "this login is kiosk %s's in the ledger, but this kiosk is %s: check [sync] "
                 "conninfo's user",
                 st->kiosk, kiosk);
        return SYNC_ECONFIG;
    }
    int64_t local_seq = 0;
    uint8_t local_hash[CRYPTO_HASH_BYTES];
    int stored = store_chain_tip(s, &local_seq, local_hash);
    if (stored != STORE_OK)
        return sync_store_failed(stored, "reading this kiosk's chain tip", why, cap);
    if (st->last_seq < store_purged_below(s) - 1) {
        /* It had these once: the purge only takes what the ledger acknowledged. */
        snprintf(why, cap,
                 "the ledger holds this kiosk's events only up to seq %" PRId64 ", and the "
                 "events up to %" PRId64 " were purged here after it had them: the ledger has "
                 "lost events (restored from an old backup?); tell head office, who must restore "
                 "them from the ledger's own backups",
                 st->last_seq, store_purged_below(s) - 1);
        return SYNC_EDIVERGED;
    }
    int same = same_tip(s, st, local_seq, why, cap);
    if (same != SYNC_OK)
        return same;
    if (st->last_seq > local_seq) {
        /* Events this store has no receipt of were never committed here: a whole disk put back
         * from a backup, or a clone that tapped as this kiosk. Said, never silent. */
        if (store_unreceipted(s, local_seq + 1, st->last_seq, &r->adopted_unreceipted,
                              &r->unreceipted_from, &r->unreceipted_to) != STORE_OK)
            r->adopted_unreceipted = 0;
        return sync_heal(pg, s, kiosk, pk, local_seq + 1, st->last_seq, r, why, cap);
    }
    int64_t acked = 0;
    char known[128] = "";
    int meta = sync_meta_int_checked(s, META_ACKED, &acked);
    if (meta == STORE_OK) {
        meta = store_meta_get(s, META_LEDGER, known, sizeof(known));
        meta = meta == STORE_ENOTFOUND ? STORE_OK : meta;
    }
    if (meta != STORE_OK)
        return sync_store_failed(meta, "reading what the ledger acknowledged", why, cap);
    /* The same ledger by its id, whatever cluster it is in now: a restore into a new cluster
     * (docs/head-office.md) is the same ledger, and what it lost is re-sent, said loudly. */
    size_t id_len = strcspn(st->identity, "/");
    bool same_ledger = known[0] == '\0' || (strncmp(known, st->identity, id_len) == 0 &&
                                            (known[id_len] == '/' || known[id_len] == '\0'));
    if (same_ledger && st->last_seq < acked) {
        r->resent_from = st->last_seq + 1;
        r->resent_to = acked;
    }
    return SYNC_OK;
}

static int push(struct pg *pg, struct store *s, const struct ledger_status *st, int limit,
                sync_progress_fn progress, void *ctx, struct sync_report *r, char *why, size_t cap)
{
    struct batch b = {.limit = limit > 0 ? limit : 1000};
    int64_t acked = st->last_seq, total = 0;
    int64_t start = acked;
    int err = SYNC_OK;
    uint8_t tip_hash[CRYPTO_HASH_BYTES];
    /* The newest seq, not the number of rows: after a retention purge they differ. */
    int stored = store_chain_tip(s, &total, tip_hash);
    if (stored != STORE_OK)
        err = sync_store_failed(stored, "reading this kiosk's chain tip", why, cap);
    while (err == SYNC_OK && acked < total) {
        b.n = 0;
        memset(b.len, 0, sizeof(b.len)); /* the buffers are reused, not their text */
        int rc = store_events_each(s, acked + 1, collect, &b);
        if (b.err) {
            snprintf(why, cap, "out of memory for a batch of %d events", b.limit);
            err = b.err;
            break;
        }
        if (rc != STORE_OK && rc != CPD_STOP) {
            err = sync_store_failed(rc, "reading the events to push", why, cap);
            break;
        }
        if (b.n == 0)
            break;
        int64_t sent_to = b.last_seq;
        err = send_batch(pg, &b, &acked, why, cap);
        if (err == SYNC_OK && acked < sent_to) {
            snprintf(why, cap, "the ledger kept events only up to seq %" PRId64 " of %" PRId64,
                     acked, sent_to);
            err = SYNC_EREJECTED;
        }
        if (progress)
            progress(ctx, acked - start, total - start);
    }
    /* Once, not per batch (each local write is an fsync): the ledger's own record is what the
     * next push starts from; this copy feeds the "events waiting" on screen and tells the next
     * sync whether the ledger lost what it had acknowledged. */
    stored = sync_meta_put_int(s, META_ACKED, acked);
    if (stored != STORE_OK && err == SYNC_OK)
        err = sync_store_failed(stored, "recording what the ledger acknowledged", why, cap);
    r->pushed = acked - start;
    r->acked_seq = acked;
    r->waiting = total > acked ? total - acked : 0;
    for (int i = 0; i < FIELDS; i++)
        free(b.text[i]);
    return err;
}

/* ---- retention --------------------------------------------------------------------------- */

/* Retention after a successful sync: what the ledger holds and is old enough goes from here
 * (docs/privacy.md). Old by the ledger's clock, never the kiosk's: a kiosk at 2099 would
 * otherwise purge everything. While the two clocks disagree beyond clock_warn_s nothing goes,
 * as the events' own times were written by the doubted clock; and a cutoff inside the credit
 * year the ledger's clock is in would take attendance that year's credits are counted from. */
static void retain(const struct sync_options *o, struct store *s, const struct ledger_clock *lc,
                   struct sync_report *r)
{
    if (o->keep_synced_days <= 0)
        return;
    int64_t limit_ms = (int64_t)o->clock_warn_s * 1000;
    if (r->clock_offset_ms > limit_ms || r->clock_offset_ms < -limit_ms) {
        r->purge = SYNC_PURGE_CLOCK;
        return;
    }
    int64_t now = lc->server_us + (clock_monotonic_us() - lc->mono_us);
    civil_day today, first;
    int minutes, seconds;
    zone_utc_to_local(now, &today, &minutes, &seconds);
    first = rules_credit_year_first(o->credit_year_first, today);
    if (zone_local_to_utc(first, 0, &r->year_first_us) != ZONE_OK)
        r->year_first_us = ((int64_t)first - 1) * US_PER_DAY; /* a day early: the safe side */
    r->purge_before_us = now - (int64_t)o->keep_synced_days * US_PER_DAY;
    if (r->purge_before_us > r->year_first_us) {
        r->purge = SYNC_PURGE_THIS_YEAR;
        return;
    }
    r->purge_error = store_purge(s, r->acked_seq, r->purge_before_us, &r->purged);
    r->purge = r->purge_error == STORE_OK ? SYNC_PURGE_RAN : SYNC_PURGE_FAILED;
}

/* "72 years", "3 days", "90 s": how far apart the clocks are, in its largest unit. */
static void duration_text(int64_t ms, char *out, size_t cap)
{
    static const struct {
        int64_t s;
        const char *one, *many;
    } units[] = {{31557600, "year", "years"},
                 {86400, "day", "days"},
                 {3600, "hour", "hours"},
                 {60, "minute", "minutes"}};
    int64_t sec = (ms < 0 ? -ms : ms) / 1000;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (sec >= units[i].s) {
            int64_t n = sec / units[i].s;
            snprintf(out, cap, "%" PRId64 " %s", n, n == 1 ? units[i].one : units[i].many);
            return;
        }
    }
    snprintf(out, cap, "%" PRId64 " s", sec);
}

void sync_purge_text(const struct sync_report *r, const struct sync_options *o, char *out,
                     size_t cap)
{
    char apart[32], year[CIVIL_DATE_LEN];
    civil_day day;
    int minutes, seconds;
    out[0] = '\0';
    switch (r->purge) {
    case SYNC_PURGE_OFF:
        break;
    case SYNC_PURGE_RAN:
        if (r->purged)
            snprintf(out, cap,
                     "purged %" PRId64 " synced events older than %d days here (the ledger keeps "
                     "them)",
                     r->purged, o->keep_synced_days);
        break;
    case SYNC_PURGE_CLOCK:
        duration_text(r->clock_offset_ms, apart, sizeof(apart));
        snprintf(out, cap,
                 "nothing was purged here: this kiosk's clock is %s %s the ledger's, more than "
                 "[sync] clock_warn_s (%d s) allows, so which events are old cannot be told; put "
                 "the clock right (cpd-admin doctor) and the next sync purges",
                 apart, r->clock_offset_ms < 0 ? "ahead of" : "behind", o->clock_warn_s);
        break;
    case SYNC_PURGE_THIS_YEAR:
        zone_utc_to_local(r->year_first_us, &day, &minutes, &seconds);
        civil_format_date(day, year);
        snprintf(out, cap,
                 "nothing was purged here: keeping synced events for %d days would delete "
                 "attendance of the credit year that began on %s (by the ledger's clock), which "
                 "this year's credits are counted from; keep_synced_days must reach back past it",
                 o->keep_synced_days, year);
        break;
    case SYNC_PURGE_FAILED:
        snprintf(out, cap, "nothing was purged here: the local database failed: %s",
                 cpd_strerror(r->purge_error));
        break;
    }
}

/* ---- the whole sync ---------------------------------------------------------------------- */

int sync_connect(const struct sync_options *c, struct pg **pg, char *why, size_t cap)
{
    if (!c->conninfo[0]) {
        snprintf(why, cap, "no [sync] conninfo in the configuration");
        return SYNC_ECONFIG;
    }
    char password[256] = "";
    int err = SYNC_OK;
    if (c->password_file[0])
        err = sync_read_password(c->password_file, password, sizeof(password), why, cap);
    struct pg_options o = {.password = password,
                           .timeout_s = c->connect_timeout_s,
                           .sslmode = c->sslmode,
                           .sslrootcert = c->sslrootcert,
                           .channel_binding = c->channel_binding};
    if (err == SYNC_OK)
        err = sync_from_pg(pg_connect(c->conninfo, &o, pg, why, cap), NULL);
    crypto_wipe(password, sizeof(password));
    return err;
}

int sync_run(const struct sync_options *o, struct store *s, sync_progress_fn progress, void *ctx,
             struct sync_report *r, char *why, size_t cap)
{
    memset(r, 0, sizeof(*r));
    why[0] = '\0';
    struct pg *pg = NULL;
    struct ledger_status st = {0};
    struct ledger_clock lc = {0};
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    char kiosk[EVENT_KIOSK_MAX];
    int err = sync_connect(o, &pg, why, cap);
    if (err == SYNC_OK)
        err = check_schema(pg, r, why, cap);
    if (err == SYNC_OK)
        err = clock_offset(pg, s, r, &lc, why, cap);
    if (err == SYNC_OK)
        err = ledger_status(pg, &st, why, cap);
    int stored = err == SYNC_OK ? store_signer(s, kiosk, sizeof(kiosk), pk) : STORE_OK;
    if (stored != STORE_OK)
        err = sync_store_failed(stored, "this kiosk's signing key", why, cap);
    int64_t unknown = store_unprojected(s);
    if (err == SYNC_OK)
        err = reconcile(pg, s, &st, kiosk, pk, r, why, cap);
    if (err == SYNC_OK)
        err = push(pg, s, &st, o->batch, progress, ctx, r, why, cap);
    if (err == SYNC_OK)
        err = sync_pull(pg, s, st.identity, o->office_public_key, r, why, cap);
    /* Events taken back before the roster and programme arrived (a new disk) changed no
     * attendance then: fold them in now that the people and sessions are known. Only then: a
     * rebuild holds the write lock for all the events, and a tap would wait behind it. */
    if (err == SYNC_OK && r->healed > 0 && store_unprojected(s) > unknown &&
        (stored = store_rebuild_projections(s)) != STORE_OK)
        err =
            sync_store_failed(stored, "rebuilding attendance from the events taken back", why, cap);
    pg_close(pg);
    if (err == SYNC_OK)
        retain(o, s, &lc, r);
    int meta = STORE_OK;
    if (err == SYNC_OK) {
        meta = sync_meta_put_int(s, META_SUCCESS, clock_wall_us());
        if (meta == STORE_OK)
            meta = store_meta_set(s, META_ERROR, "");
    } else {
        /* For the screen's status chip: cut on purpose, on a whole character. */
        char line[1024], shown[160];
        snprintf(line, sizeof(line), "%s: %s", cpd_strerror(err), why);
        utf8_copy(shown, sizeof(shown), line);
        meta = store_meta_set(s, META_ERROR, shown);
    }
    if (meta != STORE_OK && err == SYNC_OK)
        err = sync_store_failed(meta, "recording the sync locally", why, cap);
    return err;
}
