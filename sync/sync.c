#include "core/base/clock.h"
#include "core/base/error.h"
#include "sync/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/domain/crypto.h"
#include "core/domain/rules.h"
#include "core/base/strcopy.h"
#include "core/base/utf8.h"
#include "sync/sync_pg.h"
#include "core/base/zone.h"

#define FIELDS       12
#define META_ACKED   "ledger_acked_seq"
#define META_CURSOR  "ledger_pull_cursor"
#define META_SUCCESS "sync_last_success_us"
#define META_OFFSET  "clock_offset_ms"
#define META_ERROR   "sync_last_error"
#define META_LEDGER  "ledger_identity"
#define HEAL_PAGE    1000 /* own events fetched from the ledger at a time, into memory */
#define HEAL_BATCH   200  /* … and written per local transaction: all a tap may wait for */
#define US_PER_DAY   (INT64_C(86400) * 1000000)
/* 10000-01-01 00:00 UTC in µs since the epoch. */
#define LEDGER_TIME_END_US INT64_C(253402300800000000)

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

static int64_t meta_int(struct store *s, const char *key)
{
    char v[64];
    return store_meta_get(s, key, v, sizeof(v)) == STORE_OK ? strtoll(v, NULL, 10) : 0;
}

/* A number kept in the store's metadata (0 when never written); the store's error when it
 * cannot be read — a decision must not be taken on a 0 that was really a failed read. */
static int meta_int_checked(struct store *s, const char *key, int64_t *out)
{
    char v[64];
    int err = store_meta_get(s, key, v, sizeof(v));
    *out = err == STORE_OK ? strtoll(v, NULL, 10) : 0;
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

static int meta_put_int(struct store *s, const char *key, int64_t value)
{
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, value);
    return store_meta_set(s, key, v);
}

/* A failure of the local store, said once with the store's own reason ("disk is full", "disk
 * I/O error") after what the sync was doing: the caller's code says only that it was local. */
static int store_failed(int store_err, const char *doing, char *why, size_t cap)
{
    snprintf(why, cap, "%s: %s", doing, cpd_strerror(store_err));
    return SYNC_ESTORE;
}

int sync_state_read(struct store *s, struct sync_state *out)
{
    memset(out, 0, sizeof(*out));
    out->last_success_us = meta_int(s, META_SUCCESS);
    out->acked_seq = meta_int(s, META_ACKED);
    out->clock_offset_ms = meta_int(s, META_OFFSET);
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
    int stored = meta_put_int(s, META_OFFSET, r->clock_offset_ms);
    if (stored == STORE_OK)
        stored = store_meta_set(s, STORE_META_CLOCK_LEDGER, reading);
    return stored == STORE_OK ? SYNC_OK
                              : store_failed(stored, "recording the ledger's clock", why, cap);
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
static int local_event(struct store *s, int64_t seq, struct event *e)
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

static void diverged(char *why, size_t cap, int64_t seq, const uint8_t *ledger,
                     const uint8_t *kiosk)
{
    char theirs[2 * CRYPTO_HASH_BYTES + 1], ours[2 * CRYPTO_HASH_BYTES + 1];
    crypto_hex(theirs, ledger, CRYPTO_HASH_BYTES);
    crypto_hex(ours, kiosk, CRYPTO_HASH_BYTES);
    snprintf(why, cap,
             "seq %" PRId64 ": the ledger holds hash %s, this kiosk %s (a cloned kiosk or an "
             "edited store: stop both and ask head office)",
             seq, theirs, ours);
}

/* This kiosk's keys by seq, as the ledger has registered them (cpd.own_keys); the current key
 * when the ledger lists none. */
struct own_keys {
    int64_t from[16];
    uint8_t pk[16][CRYPTO_SIGN_PK_BYTES];
    int n;
};

static int read_own_keys(struct pg *pg, struct own_keys *k, char *why, size_t cap)
{
    struct pg_result *res = NULL;
    int err = sync_from_pg(pg_exec(pg,
                                   "SELECT from_seq, encode(public_key, 'hex')"
                                   " FROM cpd.own_keys() ORDER BY from_seq DESC LIMIT 16",
                                   0, NULL, &res, why, cap),
                           pg);
    k->n = 0;
    for (int i = 0; err == SYNC_OK && i < pg_rows(res); i++) {
        k->from[k->n] = strtoll(pg_value(res, i, 0), NULL, 10);
        if (crypto_unhex(k->pk[k->n], CRYPTO_SIGN_PK_BYTES, pg_value(res, i, 1)) == 0)
            k->n++;
    }
    pg_clear(res);
    return err;
}

static const uint8_t *own_key_for(const struct own_keys *k, int64_t seq, const uint8_t *current)
{
    for (int i = 0; i < k->n; i++) { /* newest first */
        if (k->from[i] <= seq)
            return k->pk[i];
    }
    return current;
}

/* One page of this kiosk's own events from the ledger, seqs next.. (at most HEAL_PAGE, none
 * past to), into caller-owned page[]; *n how many. Each must be the seq that follows. */
static int heal_fetch(struct pg *pg, const char *kiosk, int64_t next, int64_t to,
                      struct event *page, int *n, char *why, size_t cap)
{
    char after[24], rows[24];
    int64_t want = to - next + 1 < HEAL_PAGE ? to - next + 1 : HEAL_PAGE;
    snprintf(after, sizeof(after), "%" PRId64, next - 1);
    snprintf(rows, sizeof(rows), "%" PRId64, want);
    const char *params[2] = {after, rows};
    struct pg_result *res = NULL;
    int err = sync_from_pg(pg_exec(pg,
                                   "SELECT seq, uuid, type, person, session, wall_us, mono_us,"
                                   " clock, payload, encode(prev_hash, 'hex'),"
                                   " encode(hash, 'hex'), encode(sig, 'hex')"
                                   " FROM cpd.pull_own_events($1::bigint, $2::integer)",
                                   2, params, &res, why, cap),
                           pg);
    *n = 0;
    int rows_sent = err == SYNC_OK ? pg_rows(res) : 0;
    if (err == SYNC_OK && (rows_sent == 0 || rows_sent > want)) {
        snprintf(why, cap,
                 "the ledger said it holds this kiosk's events up to seq %" PRId64
                 " but sent %d after seq %s (%" PRId64 " asked for)",
                 to, rows_sent, after, want);
        err = SYNC_EREJECTED;
    }
    for (int i = 0; err == SYNC_OK && i < rows_sent; i++) {
        if (sync_event_from_row(res, i, kiosk, &page[i]) != 0 || page[i].seq != next + i) {
            snprintf(why, cap,
                     "taking back seq %" PRId64 " from the ledger: it sent a malformed event or "
                     "another seq",
                     next + i);
            err = SYNC_ETAMPER;
        }
    }
    if (err == SYNC_OK)
        *n = rows_sent;
    pg_clear(res);
    return err;
}

/* Taken back so far, in words: "seqs 5–7 were taken back", "none was taken back". */
static void taken_back_text(int64_t from, int64_t upto, char *out, size_t cap)
{
    if (upto < from)
        snprintf(out, cap, "none was taken back");
    else
        snprintf(out, cap, "seqs %" PRId64 "–%" PRId64 " were taken back", from, upto);
}

/* The chain moved while the heal was away (tip: the store's newest seq, past the batch's
 * first): events another sync took back from the ledger meanwhile are the ledger's own and
 * are skipped (*skip); any other event there took a seq the ledger already holds — a tap
 * recorded during the heal — and the chains fork: stop, overwrite nothing. */
static int heal_moved(struct store *s, const struct event *e, int n, int64_t tip, int64_t from,
                      int64_t to, int *skip, char *why, size_t cap)
{
    *skip = 0;
    for (; *skip < n && e[*skip].seq <= tip; ++*skip) {
        struct event mine;
        int stored = local_event(s, e[*skip].seq, &mine);
        if (stored != STORE_OK)
            return store_failed(stored, "reading an event recorded during the heal", why, cap);
        if (memcmp(mine.hash, e[*skip].hash, CRYPTO_HASH_BYTES) != 0) {
            char taken[96];
            taken_back_text(from, e[*skip].seq - 1, taken, sizeof(taken));
            snprintf(why, cap,
                     "seq %" PRId64 ": while this kiosk was taking back seqs %" PRId64 "–%" PRId64
                     " from the ledger, another event (a tap?) was recorded here as seq %" PRId64
                     ", which the ledger holds as a different event: this kiosk's chain now "
                     "forks from the ledger's there. Nothing was overwritten: %s, and the new "
                     "event is kept here. Stop the kiosk and tell head office "
                     "(docs/head-office.md, the ledger is ahead)",
                     e[*skip].seq, from, to, e[*skip].seq, taken);
            return SYNC_EDIVERGED;
        }
    }
    return SYNC_OK;
}

/* One short local transaction: the events e[0..n) appended, each checked to continue the chain
 * and to carry the signature of this kiosk's key for its seq — after the store's tip is checked
 * to be where the heal left it. */
static int heal_write(struct store *s, const struct own_keys *keys, const uint8_t pk[],
                      const struct event *e, int n, int64_t from, int64_t to, struct sync_report *r,
                      char *why, size_t cap)
{
    int64_t tip = 0;
    uint8_t tip_hash[CRYPTO_HASH_BYTES];
    int skip = 0, err = SYNC_OK;
    int stored = store_begin(s);
    if (stored != STORE_OK)
        return store_failed(stored, "taking back this kiosk's events", why, cap);
    stored = store_chain_tip(s, &tip, tip_hash);
    if (stored != STORE_OK)
        err = store_failed(stored, "reading this kiosk's chain tip", why, cap);
    else if (tip >= e[0].seq)
        err = heal_moved(s, e, n, tip, from, to, &skip, why, cap);
    else if (tip != e[0].seq - 1) {
        snprintf(why, cap,
                 "this kiosk's chain ends at seq %" PRId64 " while seq %" PRId64 " was to be "
                 "taken back next: the database changed under the sync; nothing more was taken",
                 tip, e[0].seq);
        err = SYNC_ESTORE;
    } else if (tip > 0 && memcmp(e[0].prev_hash, tip_hash, CRYPTO_HASH_BYTES) != 0) {
        /* The ledger's history grew from another tip: another store wrote it (a clone). */
        diverged(why, cap, tip, e[0].prev_hash, tip_hash);
        err = SYNC_EDIVERGED;
    }
    for (int i = skip; err == SYNC_OK && i < n; i++) {
        stored = store_adopt_event(s, &e[i], own_key_for(keys, e[i].seq, pk));
        if (stored == STORE_EINVALID) {
            snprintf(why, cap,
                     "taking back seq %" PRId64 " from the ledger: it does not continue this "
                     "kiosk's chain or is not signed by its key",
                     e[i].seq);
            err = SYNC_ETAMPER;
        } else if (stored != STORE_OK) {
            err = store_failed(stored, "taking back this kiosk's events", why, cap);
        }
    }
    if (err == SYNC_OK && (stored = store_commit(s)) != STORE_OK)
        err = store_failed(stored, "taking back this kiosk's events", why, cap);
    if (err != SYNC_OK)
        store_rollback(s);
    else
        r->healed += n - skip;
    return err;
}

/* A kiosk restored from an old backup: the ledger holds its events from..to that the store
 * lost, and the chain goes on from there once they are back. Like the pull, the heal fetches
 * before it writes: a page of events into memory, then short local transactions of HEAL_BATCH,
 * so the local write lock is never held across a round trip and a tap waits at most for one
 * batch. What is written stays if a later page fails (the events are this kiosk's own,
 * verified; the next sync goes on from them). A tap recorded meanwhile takes a seq the ledger
 * holds: the heal sees the tip moved and stops (heal_moved). */
static int heal(struct pg *pg, struct store *s, const char *kiosk, const uint8_t pk[], int64_t from,
                int64_t to, struct sync_report *r, char *why, size_t cap)
{
    struct own_keys keys;
    struct event *page = NULL;
    int err = read_own_keys(pg, &keys, why, cap);
    if (err == SYNC_OK && !(page = calloc(HEAL_PAGE, sizeof(*page)))) {
        snprintf(why, cap, "out of memory for %d events taken back from the ledger", HEAL_PAGE);
        err = SYNC_ESTORE;
    }
    for (int64_t next = from; err == SYNC_OK && next <= to;) {
        int n = 0;
        err = heal_fetch(pg, kiosk, next, to, page, &n, why, cap);
        for (int i = 0; err == SYNC_OK && i < n; i += HEAL_BATCH)
            err = heal_write(s, &keys, pk, page + i, n - i < HEAL_BATCH ? n - i : HEAL_BATCH, from,
                             to, r, why, cap);
        next += n;
    }
    free(page);
    return err;
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
        return store_failed(stored, "reading this kiosk's chain tip", why, cap);
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
    if (st->last_seq > 0 && st->last_seq <= local_seq) {
        struct event e;
        if ((stored = local_event(s, st->last_seq, &e)) != STORE_OK)
            return store_failed(stored, "reading the event the ledger ends with", why, cap);
        if (memcmp(e.hash, st->last_hash, CRYPTO_HASH_BYTES) != 0) {
            diverged(why, cap, st->last_seq, st->last_hash, e.hash);
            return SYNC_EDIVERGED;
        }
    }
    if (st->last_seq > local_seq)
        return heal(pg, s, kiosk, pk, local_seq + 1, st->last_seq, r, why, cap);
    int64_t acked = 0;
    char known[128] = "";
    int meta = meta_int_checked(s, META_ACKED, &acked);
    if (meta == STORE_OK) {
        meta = store_meta_get(s, META_LEDGER, known, sizeof(known));
        meta = meta == STORE_ENOTFOUND ? STORE_OK : meta;
    }
    if (meta != STORE_OK)
        return store_failed(meta, "reading what the ledger acknowledged", why, cap);
    bool same_ledger = known[0] == '\0' || strcmp(known, st->identity) == 0;
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
        err = store_failed(stored, "reading this kiosk's chain tip", why, cap);
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
            err = store_failed(rc, "reading the events to push", why, cap);
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
    stored = meta_put_int(s, META_ACKED, acked);
    if (stored != STORE_OK && err == SYNC_OK)
        err = store_failed(stored, "recording what the ledger acknowledged", why, cap);
    r->pushed = acked - start;
    r->acked_seq = acked;
    r->waiting = total > acked ? total - acked : 0;
    for (int i = 0; i < FIELDS; i++)
        free(b.text[i]);
    return err;
}

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
static int sync_pull(struct pg *pg, struct store *s, const char *identity, struct sync_report *r,
                     char *why, size_t cap)
{
    char since[32] = "0", upto[32] = "0";
    struct pg_result *res[PULL_KINDS] = {0}, *bound = NULL;
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
    pg_exec(pg, err == PG_OK ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, why, err == PG_OK ? cap : 0);
    if (result == SYNC_OK) {
        int store_err = apply(s, res, false, identity, upto);
        if (store_err != STORE_OK)
            result = store_failed(store_err, "applying what the ledger sent", why, cap);
        for (int k = 0; k < PULL_KINDS; k++)
            r->pulled[k] = pg_rows(res[k]);
    }
    for (int k = 0; k < PULL_KINDS; k++)
        pg_clear(res[k]);
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
static const char copy_events_sql[] =
    "SELECT seq, uuid, type, person, session, wall_us, 0, clock, payload, repeat('00', 32),"
    " repeat('00', 32), repeat('00', 64), kiosk FROM cpd.office_events ORDER BY kiosk, seq";

/* Each kiosk's events in its own order, merged by wall time (a kiosk's clock may have been
 * wrong, so its seq order is kept and only the kiosks are interleaved). */
static int merge_kiosks(const struct pg_result *res, struct event *out, char *why, size_t cap)
{
    int n = pg_rows(res), streams = 0;
    int *head = calloc((size_t)n + 1, sizeof(int)), *end = calloc((size_t)n + 1, sizeof(int));
    int err = head && end ? SYNC_OK : SYNC_ESTORE;
    for (int i = 0; i < n && err == SYNC_OK; i++) {
        if (i == 0 || strcmp(pg_value(res, i, 12), pg_value(res, i - 1, 12)) != 0)
            head[streams++] = i;
        end[streams - 1] = i + 1;
    }
    for (int k = 0; k < n && err == SYNC_OK; k++) {
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
        int row = head[best]++;
        /* Taken as the ledger holds it (it checked the signatures on push), but for a time no
         * kiosk appends — before 1970 or after 9999; a refused tap records its clock as it
         * read: the reports' sums with it would overflow. */
        const struct event *e = &out[k];
        if (sync_event_from_row(res, row, pg_value(res, row, 12), &out[k]) != 0 ||
            (e->type != EV_CLOCK_REFUSED &&
             (e->wall_us <= 0 || e->wall_us >= LEDGER_TIME_END_US))) {
            snprintf(why, cap, "the ledger's event %s seq %s does not fit an event",
                     pg_value(res, row, 12), pg_value(res, row, 0));
            err = SYNC_EQUERY;
        }
    }
    free(head);
    free(end);
    return err;
}

int sync_copy(struct pg *pg, struct store *s, enum sync_copy_for purpose, char *why, size_t cap)
{
    struct pg_result *res[PULL_KINDS] = {0}, *events = NULL;
    struct event *list = NULL;
    bool reports = purpose == SYNC_COPY_FOR_REPORTS;
    bool events_too = purpose != SYNC_COPY_FOR_IMPORT;
    int err =
        pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, why, cap);
    for (int k = 0; k < PULL_KINDS && err == PG_OK; k++)
        err = pg_exec(pg, reports && k == PULL_BADGES ? no_badges_sql : copy_sql[k], 0, NULL,
                      &res[k], why, cap);
    if (err == PG_OK)
        err = pg_exec(pg, events_too ? copy_events_sql : "SELECT NULL WHERE false", 0, NULL,
                      &events, why, cap);
    int result = sync_from_pg(err, pg);
    pg_exec(pg, err == PG_OK ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, why, err == PG_OK ? cap : 0);
    int store_err = STORE_OK;
    if (result == SYNC_OK)
        store_err = apply(s, res, true, NULL, "0");
    if (result == SYNC_OK && store_err == STORE_OK && events_too) {
        list = calloc((size_t)pg_rows(events) + 1, sizeof(*list));
        result = list ? merge_kiosks(events, list, why, cap) : SYNC_ESTORE;
        if (!list)
            snprintf(why, cap, "out of memory for %d events", pg_rows(events));
    }
    if (result == SYNC_OK && store_err == STORE_OK && events_too)
        store_err = store_copy_events(s, list, (size_t)pg_rows(events));
    if (store_err != STORE_OK)
        result = store_failed(store_err, "copying the ledger into the report's store", why, cap);
    free(list);
    for (int k = 0; k < PULL_KINDS; k++)
        pg_clear(res[k]);
    pg_clear(events);
    return result;
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
        err = store_failed(stored, "this kiosk's signing key", why, cap);
    int64_t unknown = store_unprojected(s);
    if (err == SYNC_OK)
        err = reconcile(pg, s, &st, kiosk, pk, r, why, cap);
    if (err == SYNC_OK)
        err = push(pg, s, &st, o->batch, progress, ctx, r, why, cap);
    if (err == SYNC_OK)
        err = sync_pull(pg, s, st.identity, r, why, cap);
    /* Events taken back before the roster and programme arrived (a new disk) changed no
     * attendance then: fold them in now that the people and sessions are known. Only then: a
     * rebuild holds the write lock for all the events, and a tap would wait behind it. */
    if (err == SYNC_OK && r->healed > 0 && store_unprojected(s) > unknown &&
        (stored = store_rebuild_projections(s)) != STORE_OK)
        err = store_failed(stored, "rebuilding attendance from the events taken back", why, cap);
    pg_close(pg);
    if (err == SYNC_OK)
        retain(o, s, &lc, r);
    int meta = STORE_OK;
    if (err == SYNC_OK) {
        meta = meta_put_int(s, META_SUCCESS, clock_wall_us());
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
        err = store_failed(meta, "recording the sync locally", why, cap);
    return err;
}
