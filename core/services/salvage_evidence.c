/* Salvage's evidence (salvage.h): every row, mark and index entry the damaged file holds —
 * read page by page, through SQLite, and from the receipts beside it — gathered into distinct
 * candidates; rows under damaged numbers put back; each source's claim of how many events
 * there were weighed; and whose store it is. */
#include "core/services/salvage_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/grow.h"
#include "core/base/utf8.h"

/* Events a store may hold past its receipts: committed, and the process gone before their
 * receipts were written (never acknowledged). A number further than this beyond every event
 * read, every receipt and what the ledger gave back is believed only when another source
 * names the very same one: one damaged number is never counted up to. */
#define SLACK 64

/* ---- gathering ---------------------------------------------------------------------------- */

static uint64_t slot_of(int64_t rowid, const uint8_t *hash, size_t cap)
{
    uint64_t h = (uint64_t)rowid * 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < 8; i++)
        h ^= (uint64_t)hash[i] << (8 * i);
    return (h ^ h >> 29) & (cap - 1);
}

static int table_grow(struct salvage *v)
{
    size_t cap = v->table_cap ? 2 * v->table_cap : 4096;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (!t)
        return STORE_ENOMEM;
    for (size_t i = 0; i < v->n; i++) {
        uint64_t k = slot_of(v->c[i].rowid, v->c[i].hash, cap);
        while (t[k])
            k = (k + 1) & (cap - 1);
        t[k] = (uint32_t)(i + 1);
    }
    free(v->table);
    v->table = t;
    v->table_cap = cap;
    return STORE_OK;
}

void check_event(struct salvage *v, const struct event *e, struct candidate *c)
{
    c->seq = c->rowid = e->seq;
    c->wall_us = e->wall_us;
    memcpy(c->hash, e->hash, CRYPTO_HASH_BYTES);
    memcpy(c->prev, e->prev_hash, CRYPTO_HASH_BYTES);
    c->hash_ok = e->type < EV_TYPE_COUNT && event_check_hash(e) == EVENT_OK;
    c->ours = strcmp(e->kiosk, v->o->kiosk_id) == 0;
    c->sig_ok = c->hash_ok && event_check(e, v->o->pk) == EVENT_OK;
}

static int add_candidate(struct salvage *v, const struct event *e, const struct pagescan_at *at,
                         bool from_sql)
{
    if (2 * (v->n + 1) > v->table_cap && table_grow(v) != STORE_OK)
        return STORE_ENOMEM;
    uint64_t k = slot_of(e->seq, e->hash, v->table_cap);
    for (; v->table[k]; k = (k + 1) & (v->table_cap - 1)) {
        const struct candidate *c = &v->c[v->table[k] - 1];
        if (c->rowid == e->seq && memcmp(c->hash, e->hash, CRYPTO_HASH_BYTES) == 0)
            return STORE_OK; /* the same row in another image */
    }
    struct candidate *grown = grow(v->c, &v->cap, v->n, sizeof(*v->c), 1024);
    if (!grown)
        return STORE_ENOMEM;
    v->c = grown;
    struct candidate *c = &v->c[v->n];
    memset(c, 0, sizeof(*c));
    check_event(v, e, c);
    c->from_sql = from_sql;
    if (at)
        c->at = *at;
    v->table[k] = (uint32_t)(++v->n);
    return STORE_OK;
}

static int add_entry(struct entries *list, int64_t seq, const char *key)
{
    struct entry *grown = grow(list->items, &list->cap, list->n, sizeof(*list->items), 1024);
    if (!grown)
        return STORE_ENOMEM;
    list->items = grown;
    list->items[list->n].seq = seq;
    snprintf(list->items[list->n].key, sizeof(list->items[0].key), "%s", key);
    list->n++;
    return STORE_OK;
}

/* A meta value: digits only, or -1 (a damaged one is no evidence). */
static int64_t number_of(const char *text)
{
    int64_t n = 0;
    if (!text[0] || strlen(text) > 18)
        return -1;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

static void raise_to(int64_t *at, int64_t n)
{
    if (n > *at)
        *at = n;
}

static void take_meta(struct salvage *v, const char *key, const char *value)
{
    int64_t n = number_of(value);
    if (n < 0)
        return;
    if (strcmp(key, "events_high_water") == 0) {
        raise_to(&v->high_water, n);
    } else if (strcmp(key, "purge_below") == 0) {
        raise_to(&v->purge_below, n);
    } else if (strcmp(key, "ledger_acked_seq") == 0) {
        raise_to(&v->acked, n);
    } else if (strcmp(key, "receipts_kept") == 0) {
        v->receipts_kept = true;
    }
}

static int found(void *ctx, const struct pagescan_found *f)
{
    struct salvage *v = ctx;
    bool in_wal = f->at.source == PAGESCAN_WAL;
    switch (f->kind) {
    case PAGESCAN_EVENT: {
        /* What the WAL says is its whole rows alone: a mark or an index entry in a frame is
         * the same source as in the file, and must not count twice. */
        int err = add_candidate(v, f->event, &f->at, false);
        if (err == STORE_OK && in_wal && f->event->type < EV_TYPE_COUNT &&
            event_check_hash(f->event) == EVENT_OK && strcmp(f->event->kiosk, v->o->kiosk_id) == 0)
            raise_to(&v->wal_highest, f->seq);
        return err;
    }
    case PAGESCAN_META:
        take_meta(v, f->key, f->value);
        return 0;
    case PAGESCAN_INDEX_UUID:
    case PAGESCAN_INDEX_PERSON:
        if (f->seq <= 0)
            return 0;
        return add_entry(f->kind == PAGESCAN_INDEX_UUID ? &v->uuids : &v->persons, f->seq, f->key);
    }
    return 0;
}

static int sql_event(void *ctx, const struct event *e)
{
    return add_candidate(ctx, e, NULL, true);
}

/* What SQLite can still read: the marks, max(seq), and the rows in order up to the first
 * failure (each read may fail on its own: the file is damaged). */
static void gather_sql(struct salvage *v)
{
    static const char *const keys[] = {"events_high_water", "purge_below", "ledger_acked_seq",
                                       "receipts_kept"};
    char value[64];
    size_t before = v->n;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int err = store_meta_get(v->damaged, keys[i], value, sizeof(value));
        v->r->sqlite_opened |= err == STORE_OK || err == STORE_ENOTFOUND;
        if (err == STORE_OK)
            take_meta(v, keys[i], value);
    }
    int64_t max_seq = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    if (store_chain_tip(v->damaged, &max_seq, hash) == STORE_OK) {
        v->r->sqlite_opened = true;
        if (max_seq > 0)
            v->r->claims[SALVAGE_MAX_SEQ] =
                (struct salvage_claim){.known = true, .highest = max_seq};
    }
    store_events_each(v->damaged, 1, sql_event, v); /* up to the first row it cannot read */
    v->r->sqlite_opened |= v->n > before;
}

int load(struct salvage *v, const struct candidate *c, struct event *e)
{
    int err = c->from_sql ? store_event_at(v->damaged, c->rowid, e)
                          : pagescan_event_at(v->scan, &c->at, e);
    if (err == STORE_OK)
        e->seq = c->seq;
    return err;
}

static int by_number(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

struct known_hash {
    uint8_t hash[CRYPTO_HASH_BYTES];
    int64_t seq;
};

static int by_known_hash(const void *a, const void *b)
{
    return memcmp(((const struct known_hash *)a)->hash, ((const struct known_hash *)b)->hash,
                  CRYPTO_HASH_BYTES);
}

/* A row whose number was damaged: its content names the event before it (prev_hash), which
 * fixes its number; it is put back when its hash then checks. */
static int renumber(struct salvage *v)
{
    size_t n_ok = 0;
    struct known_hash *known = malloc((v->n ? v->n : 1) * sizeof(*known));
    if (!known)
        return STORE_ENOMEM;
    for (size_t i = 0; i < v->n; i++) {
        if (v->c[i].hash_ok) {
            memcpy(known[n_ok].hash, v->c[i].hash, CRYPTO_HASH_BYTES);
            known[n_ok++].seq = v->c[i].seq;
        }
    }
    qsort(known, n_ok, sizeof(*known), by_known_hash);
    for (size_t i = 0; i < v->n; i++) {
        struct candidate *c = &v->c[i];
        struct known_hash key;
        memcpy(key.hash, c->prev, CRYPTO_HASH_BYTES);
        const struct known_hash *before =
            c->hash_ok ? NULL : bsearch(&key, known, n_ok, sizeof(*known), by_known_hash);
        if (!before || before->seq + 1 == c->rowid)
            continue;
        struct candidate trial = *c;
        struct event e;
        trial.seq = before->seq + 1;
        if (load(v, &trial, &e) != STORE_OK)
            continue;
        check_event(v, &e, &trial);
        if (!trial.hash_ok)
            continue;
        trial.rowid = c->rowid;
        *c = trial;
        v->r->renumbered++;
        int64_t *grown =
            grow(v->damaged_numbers, &v->cap_damaged, v->n_damaged, sizeof(int64_t), 16);
        if (!grown) {
            free(known);
            return STORE_ENOMEM;
        }
        v->damaged_numbers = grown;
        v->damaged_numbers[v->n_damaged++] = c->rowid;
    }
    free(known);
    if (v->n_damaged > 1)
        qsort(v->damaged_numbers, v->n_damaged, sizeof(int64_t), by_number);
    return STORE_OK;
}

static int by_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void unique_entries(struct entries *list)
{
    if (list->n > 1)
        qsort(list->items, list->n, sizeof(*list->items), by_entry);
    size_t out = 0;
    for (size_t i = 0; i < list->n; i++) {
        if (out == 0 || list->items[out - 1].seq != list->items[i].seq)
            list->items[out++] = list->items[i];
    }
    list->n = out;
}

const struct entry *entry_for(const struct entries *list, int64_t seq)
{
    size_t lo = 0, hi = list->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (list->items[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < list->n && list->items[lo].seq == seq ? &list->items[lo] : NULL;
}

/* ---- how many there were ------------------------------------------------------------------ */

static void set_claim(struct salvage *v, enum salvage_source s, int64_t highest)
{
    if (highest > 0)
        v->r->claims[s] = (struct salvage_claim){.known = true, .highest = highest};
}

/* The number a row was found under when its content says it is another (put back). */
static bool damaged_number(const struct salvage *v, int64_t seq)
{
    return v->n_damaged &&
           bsearch(&seq, v->damaged_numbers, v->n_damaged, sizeof(seq), by_number) != NULL;
}

/* An index's highest seq, leaving out the damaged numbers of rows put back (an index lists a
 * row under the number it was found under). */
static int64_t index_highest(const struct salvage *v, const struct entries *list)
{
    for (size_t i = list->n; i > 0; i--) {
        if (!damaged_number(v, list->items[i - 1].seq))
            return list->items[i - 1].seq;
    }
    return 0;
}

/* Each source's highest seq. Believed when it is within SLACK of what is certain — the
 * highest of this kiosk's whole rows read, of the receipts, of what this store took back from
 * the ledger — or when another source names the very same number. */
void weigh_claims(struct salvage *v)
{
    struct salvage_report *r = v->r;
    int64_t rows = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (v->c[i].hash_ok && v->c[i].ours)
            raise_to(&rows, v->c[i].seq);
    }
    set_claim(v, SALVAGE_HIGH_WATER, v->high_water);
    set_claim(v, SALVAGE_ROWS, rows);
    set_claim(v, SALVAGE_UUID_INDEX, index_highest(v, &v->uuids));
    set_claim(v, SALVAGE_PERSON_INDEX, index_highest(v, &v->persons));
    set_claim(v, SALVAGE_WAL, v->wal_highest);
    set_claim(v, SALVAGE_RECEIPTS, v->receipts.highest);
    set_claim(v, SALVAGE_LEDGER, v->acked);
    set_claim(v, SALVAGE_THIS_STORE, v->tip);
    int64_t anchor = rows;
    raise_to(&anchor, v->tip);
    /* The receipts count as certain as far as they run on from it without a gap past SLACK:
     * a file is appended in order, so one line far beyond the rest is a damaged or forged one
     * (believed only if another source names it). Every seq salvage then walks is bounded. */
    for (size_t i = 0; i < v->receipts.n; i++) {
        if (v->receipts.items[i].seq <= anchor + SLACK)
            raise_to(&anchor, v->receipts.items[i].seq);
    }
    for (int s = 0; s < SALVAGE_SOURCES; s++) {
        struct salvage_claim *c = &r->claims[s];
        if (!c->known)
            continue;
        c->believed = c->highest <= anchor + SLACK;
        for (int t = 0; t < SALVAGE_SOURCES && !c->believed; t++)
            c->believed = t != s && r->claims[t].known && r->claims[t].highest == c->highest;
        c->explained = !c->believed && damaged_number(v, c->highest);
        if (c->believed)
            raise_to(&r->last, c->highest);
    }
    /* Index entries past every believed source: damaged entries, noted, never counted. */
    const struct entries *lists[] = {&v->uuids, &v->persons};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < lists[l]->n; i++) {
            int64_t seq = lists[l]->items[i].seq;
            r->disbelieved += seq > r->last && !damaged_number(v, seq);
        }
    }
    r->first = v->purge_below > 1 && v->purge_below <= r->last + 1 ? v->purge_below : 1;
    r->purged_below = r->first;
}

/* ---- whose store -------------------------------------------------------------------------- */

/* A store made with another kiosk's id or key is refused before anything is copied: whole
 * events (their hash checks) that are all another kiosk's, or none of which verify with pk. */
bool refused(struct salvage *v)
{
    size_t ours = 0, signed_ours = 0, foreign = 0, ours_in_file = 0, foreign_in_wal = 0;
    size_t signed_in_file = 0, ours_in_wal = 0, signed_in_wal = 0;
    const struct candidate *first_foreign = NULL, *first_ours = NULL;
    for (size_t i = 0; i < v->n; i++) {
        const struct candidate *c = &v->c[i];
        if (!c->hash_ok)
            continue;
        bool in_wal = !c->from_sql && c->at.source == PAGESCAN_WAL;
        ours_in_file += c->ours && !c->from_sql && !in_wal;
        signed_in_file += c->ours && c->sig_ok && !c->from_sql && !in_wal;
        foreign_in_wal += !c->ours && in_wal;
        ours_in_wal += c->ours && in_wal;
        signed_in_wal += c->ours && c->sig_ok && in_wal;
        if (!c->ours) {
            foreign++;
            if (!first_foreign || c->seq < first_foreign->seq)
                first_foreign = c;
            continue;
        }
        ours++;
        signed_ours += c->sig_ok;
        if (!first_ours || c->seq < first_ours->seq)
            first_ours = c;
    }
    struct salvage_result *res = v->res;
    if (ours == 0 && foreign > 0) {
        struct event e;
        res->refusal = SALVAGE_REFUSED_OTHER_KIOSK;
        res->refused_seq = first_foreign->seq;
        if (load(v, first_foreign, &e) == STORE_OK)
            utf8_printable(res->refused_kiosk, sizeof(res->refused_kiosk), e.kiosk);
        return true;
    }
    if (ours > 0 && signed_ours == 0) {
        res->refusal = SALVAGE_REFUSED_WRONG_KEY;
        res->refused_seq = first_ours->seq;
        return true;
    }
    /* The file this kiosk's, its WAL another's: put beside it by mistake. Reading them together
     * would hand the office another kiosk's taps as this one's. */
    if (ours_in_file > 0 && foreign_in_wal > 0) {
        struct event e;
        for (size_t i = 0; i < v->n && !res->refusal; i++) {
            const struct candidate *c = &v->c[i];
            if (c->hash_ok && !c->ours && !c->from_sql && c->at.source == PAGESCAN_WAL &&
                load(v, c, &e) == STORE_OK) {
                res->refusal = SALVAGE_REFUSED_FOREIGN_WAL;
                res->refused_seq = c->seq;
                utf8_printable(res->refused_kiosk, sizeof(res->refused_kiosk), e.kiosk);
            }
        }
        return true;
    }
    /* The same id, another key: a second kiosk set up with this id (its WAL copied here). One
     * damaged signature is damage; not one of the WAL's events verifying is another kiosk. */
    if (signed_in_file > 0 && ours_in_wal > 0 && signed_in_wal == 0) {
        res->refusal = SALVAGE_REFUSED_WAL_KEY;
        for (size_t i = 0; i < v->n; i++) {
            const struct candidate *c = &v->c[i];
            if (c->hash_ok && c->ours && !c->from_sql && c->at.source == PAGESCAN_WAL &&
                (!res->refused_seq || c->seq < res->refused_seq))
                res->refused_seq = c->seq;
        }
        return true;
    }
    return false;
}

int by_receipt(const void *a, const void *b)
{
    const struct store_receipt *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int gather(struct salvage *v)
{
    struct salvage_report *r = v->r;
    char why[256];
    int err = pagescan_open(v->o->damaged_path, &v->scan, v->why, v->why_cap);
    if (err != STORE_OK)
        return err;
    if (store_open_damaged(v->o->damaged_path, &v->damaged, why, sizeof(why)) != STORE_OK)
        v->damaged = NULL; /* nothing SQLite can read: the pages are read all the same */
    err = pagescan_each(v->scan, found, v);
    if (err != STORE_OK) {
        snprintf(v->why, v->why_cap, "reading %s: %s", v->o->damaged_path, cpd_strerror(err));
        return err;
    }
    pagescan_info(v->scan, &r->scan);
    if (v->damaged)
        gather_sql(v);
    err = store_receipts_read(v->o->damaged_path, &v->receipts, why, sizeof(why));
    if (err != STORE_OK && err != STORE_ENOTFOUND) {
        snprintf(v->why, v->why_cap, "%s", why);
        return err;
    }
    r->receipts_missing = err == STORE_ENOTFOUND && v->receipts_kept;
    if (v->receipts.n > 1)
        qsort(v->receipts.items, v->receipts.n, sizeof(*v->receipts.items), by_receipt);
    /* One receipt per seq: a line written twice counts once; two that disagree are news. */
    size_t kept = 0;
    for (size_t i = 0; i < v->receipts.n; i++) {
        const struct store_receipt *x = &v->receipts.items[i];
        if (kept > 0 && v->receipts.items[kept - 1].seq == x->seq) {
            if (memcmp(v->receipts.items[kept - 1].hash, x->hash, CRYPTO_HASH_BYTES) != 0 &&
                r->receipts_differ++ == 0)
                r->first_receipt_differ = x->seq;
            continue;
        }
        v->receipts.items[kept++] = *x;
    }
    v->receipts.n = kept;
    err = store_chain_tip(v->o->target, &v->tip, v->tip_hash);
    if (err != STORE_OK) {
        snprintf(v->why, v->why_cap, "this store: %s", cpd_strerror(err));
        return err;
    }
    r->readable = r->sqlite_opened || r->scan.page_size_known;
    for (size_t i = 0; i < v->n && !r->readable; i++)
        r->readable = v->c[i].hash_ok; /* a header lost, its rows found all the same */
    unique_entries(&v->uuids);
    unique_entries(&v->persons);
    return renumber(v);
}
