/* A kiosk restored from an old backup takes its own events back from the ledger (sync.h): fetched
 * before anything is written, then written in short local transactions, each checking that the
 * chain did not move under it. */
#include "sync/sync_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAL_PAGE  1000 /* own events fetched from the ledger at a time, into memory */
#define HEAL_BATCH 200  /* … and written per local transaction: all a tap may wait for */

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
        int stored = sync_local_event(s, e[*skip].seq, &mine);
        if (stored != STORE_OK)
            return sync_store_failed(stored, "reading an event recorded during the heal", why, cap);
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
        return sync_store_failed(stored, "taking back this kiosk's events", why, cap);
    stored = store_chain_tip(s, &tip, tip_hash);
    if (stored != STORE_OK)
        err = sync_store_failed(stored, "reading this kiosk's chain tip", why, cap);
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
        sync_diverged(why, cap, tip, e[0].prev_hash, tip_hash);
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
            err = sync_store_failed(stored, "taking back this kiosk's events", why, cap);
        }
    }
    if (err == SYNC_OK && (stored = store_commit(s)) != STORE_OK)
        err = sync_store_failed(stored, "taking back this kiosk's events", why, cap);
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
int sync_heal(struct pg *pg, struct store *s, const char *kiosk, const uint8_t pk[], int64_t from,
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
