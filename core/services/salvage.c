/* Salvage (salvage.h): gather every piece of evidence first, then decide each seq once, in
 * order, from the first event the damaged store held to the last. */
#include "core/services/salvage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/grow.h"
#include "core/base/strcopy.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/services/csvfile.h"

/* Events a store may hold past its receipts: committed, and the process gone before their
 * receipts were written (never acknowledged). A number further than this beyond every event
 * read, every receipt and what the ledger gave back is believed only when another source
 * names the very same one: one damaged number is never counted up to. */
#define SLACK 64
/* Events adopted per transaction of this store. */
#define BATCH 256

static const char *const source_names[SALVAGE_SOURCES] = {
    [SALVAGE_HIGH_WATER] = "the high-water mark", [SALVAGE_MAX_SEQ] = "max(seq)",
    [SALVAGE_ROWS] = "the events read",           [SALVAGE_UUID_INDEX] = "the uuid index",
    [SALVAGE_PERSON_INDEX] = "the person index",  [SALVAGE_WAL] = "the WAL",
    [SALVAGE_RECEIPTS] = "the tap receipts",      [SALVAGE_LEDGER] = "what the ledger acknowledged",
    [SALVAGE_THIS_STORE] = "this store",
};

const char *salvage_source_name(enum salvage_source source)
{
    return source < SALVAGE_SOURCES ? source_names[source] : "?";
}

/* One distinct row found (the same row in several images is one candidate). */
struct candidate {
    int64_t seq;   /* the number it belongs to (its row number, unless put back) */
    int64_t rowid; /* the number it was found under */
    uint8_t hash[CRYPTO_HASH_BYTES], prev[CRYPTO_HASH_BYTES];
    struct pagescan_at at;
    bool from_sql, hash_ok, sig_ok, ours;
    int64_t wall_us; /* when, for the office to find an unreadable neighbour on paper */
};

struct entry { /* an index entry */
    int64_t seq;
    char key[DOMAIN_CODE_MAX];
};

struct entries {
    struct entry *items;
    size_t n, cap;
};

struct salvage {
    const struct salvage_options *o;
    struct salvage_result *res;
    struct salvage_report *r;
    struct store *damaged; /* SQLite's view (a private copy), may be NULL */
    struct pagescan *scan;
    struct candidate *c;
    size_t n, cap;
    uint32_t *table; /* (rowid, hash) → index + 1 */
    size_t table_cap;
    struct entries uuids, persons;
    struct store_receipts receipts;
    int64_t high_water, purge_below, acked, wal_highest;
    int64_t tip;
    uint8_t tip_hash[CRYPTO_HASH_BYTES];
    int64_t batch;            /* adopted in the open transaction */
    int64_t *damaged_numbers; /* the row numbers of rows put back under another, sorted */
    size_t n_damaged, cap_damaged;
    FILE *rest;
    struct salvage_range pending; /* unreadable seqs not yet written (from 0: none) */
    int64_t before_us, after_us;  /* the whole events read around the current one (0: none) */
    char *why;
    size_t why_cap;
};

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

static void check_event(struct salvage *v, const struct event *e, struct candidate *c)
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
    static const char *const keys[] = {"events_high_water", "purge_below", "ledger_acked_seq"};
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

static int load(struct salvage *v, const struct candidate *c, struct event *e)
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

static int by_seq(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    /* the rows to prefer first: whole, signed by this kiosk */
    int px = x->sig_ok * 2 + x->hash_ok, py = y->sig_ok * 2 + y->hash_ok;
    return py - px;
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

static const struct entry *entry_for(const struct entries *list, int64_t seq)
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
static void weigh_claims(struct salvage *v)
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
    raise_to(&anchor, v->receipts.highest);
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

static int by_receipt(const void *a, const void *b)
{
    const struct store_receipt *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The receipt of seq: the hash the kiosk acknowledged for it (NULL when none). */
static const struct store_receipt *receipt_for(const struct salvage *v, int64_t seq)
{
    struct store_receipt key = {.seq = seq};
    return v->receipts.n ? bsearch(&key, v->receipts.items, v->receipts.n, sizeof(key), by_receipt)
                         : NULL;
}

/* An event added or already here that its receipt names otherwise: acknowledged as another. */
static void compare_receipt(struct salvage *v, int64_t seq, const uint8_t hash[])
{
    const struct store_receipt *receipt = receipt_for(v, seq);
    if (receipt && memcmp(receipt->hash, hash, CRYPTO_HASH_BYTES) != 0 &&
        v->r->receipts_differ++ == 0)
        v->r->first_receipt_differ = seq;
}

/* When the unreadable events were: between the whole events read on either side of them. */
static void window(const struct salvage *v, char *out, size_t cap)
{
    char from[24] = "", to[24] = "";
    if (v->before_us)
        zone_format_local(v->before_us, from);
    if (v->after_us)
        zone_format_local(v->after_us, to);
    if (from[0] && to[0])
        snprintf(out, cap, " (between %s and %s)", from, to);
    else if (from[0] || to[0])
        snprintf(out, cap, " (%s %s)", from[0] ? "after" : "before", from[0] ? from : to);
    else
        out[0] = '\0';
}

/* ---- the rest file ------------------------------------------------------------------------ */

static int rest_open(struct salvage *v)
{
    static const char *const header[] = {"seq",     "uuid",       "kiosk",   "type", "person",
                                         "session", "local_time", "payload", "why"};
    if (v->rest)
        return STORE_OK;
    int fd = open(v->o->rest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    v->rest = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!v->rest) {
        snprintf(v->why, v->why_cap, "%s: %s", v->o->rest_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return STORE_EPERM;
    }
    return csvfile_write_row(v->rest, header, sizeof(header) / sizeof(header[0])) == CSVFILE_OK
               ? STORE_OK
               : STORE_EIO;
}

static int rest_row(struct salvage *v, const struct event *e, const char *why)
{
    int err = rest_open(v);
    if (err != STORE_OK)
        return err;
    char seq[24], when[24] = "";
    snprintf(seq, sizeof(seq), "%" PRId64, e->seq);
    if (e->wall_us)
        zone_format_local(e->wall_us, when);
    const char *type = e->type < EV_TYPE_COUNT ? event_type_code(e->type) : "";
    const char *fields[] = {seq,        e->uuid, e->kiosk,   type, e->person,
                            e->session, when,    e->payload, why};
    v->r->rest_rows++;
    if (csvfile_write_cells(v->rest, fields, sizeof(fields) / sizeof(fields[0])) != CSVFILE_OK) {
        snprintf(v->why, v->why_cap, "%s: cannot write", v->o->rest_path);
        return STORE_EIO;
    }
    return STORE_OK;
}

/* The unreadable seqs run so far, as one row: nothing of them is known but their numbers. */
static int flush_unreadable(struct salvage *v)
{
    struct salvage_range g = v->pending;
    if (!g.from)
        return STORE_OK;
    v->pending.from = 0;
    struct event e = {.seq = g.from, .type = EV_TYPE_COUNT};
    char why[256], when[96];
    window(v, when, sizeof(when));
    if (g.to > g.from)
        snprintf(why, sizeof(why),
                 "could not be read: the %" PRId64 " events %" PRId64 "–%" PRId64 "%s",
                 g.to - g.from + 1, g.from, g.to, when);
    else
        snprintf(why, sizeof(why), "could not be read%s", when);
    return rest_row(v, &e, why);
}

static void note_range(struct salvage *v, int64_t seq)
{
    struct salvage_report *r = v->r;
    struct salvage_range *last = r->unreadable_ranges && r->unreadable_ranges <= SALVAGE_SHOWN
                                     ? &r->unreadable_shown[r->unreadable_ranges - 1]
                                     : NULL;
    if (last && last->to == seq - 1) {
        last->to = seq;
        return;
    }
    if (r->unreadable_ranges > 0 && r->unreadable_ranges > SALVAGE_SHOWN)
        return; /* counted below, not shown */
    if (r->unreadable_ranges < SALVAGE_SHOWN)
        r->unreadable_shown[r->unreadable_ranges] = (struct salvage_range){seq, seq};
    r->unreadable_ranges++;
}

/* A seq nothing of which could be read: its number, and what the indexes and receipts still
 * say of it (uuid, person, the hash acknowledged), for the office to find it on paper. */
static int unreadable(struct salvage *v, int64_t seq)
{
    v->r->unreadable++;
    note_range(v, seq);
    const struct entry *uuid = entry_for(&v->uuids, seq), *person = entry_for(&v->persons, seq);
    const struct store_receipt *receipt = receipt_for(v, seq);
    if (!uuid && !person && !receipt) {
        if (v->pending.from && v->pending.to == seq - 1) {
            v->pending.to = seq;
            return STORE_OK;
        }
        int err = flush_unreadable(v);
        v->pending = (struct salvage_range){seq, seq};
        return err;
    }
    int err = flush_unreadable(v);
    struct event e = {.seq = seq, .type = EV_TYPE_COUNT};
    if (uuid)
        strcopy(e.uuid, sizeof(e.uuid), uuid->key); /* a uuid entry's key is a uuid's length */
    if (person)
        strcopy(e.person, sizeof(e.person), person->key);
    char why[320], when[96];
    window(v, when, sizeof(when));
    if (receipt) {
        char hex[2 * CRYPTO_HASH_BYTES + 1];
        crypto_hex(hex, receipt->hash, CRYPTO_HASH_BYTES);
        snprintf(why, sizeof(why),
                 "could not be read%s; acknowledged, its receipt's hash is %.16s…", when, hex);
    } else {
        snprintf(why, sizeof(why), "could not be read%s", when);
    }
    return err == STORE_OK ? rest_row(v, &e, why) : err;
}

static int rest_candidate(struct salvage *v, const struct candidate *c, const char *why)
{
    struct event e;
    char more[320];
    int err = flush_unreadable(v);
    if (err == STORE_OK && load(v, c, &e) != STORE_OK) {
        memset(&e, 0, sizeof(e));
        e.seq = c->seq;
        e.type = EV_TYPE_COUNT;
    }
    /* A damaged row's fields may be the damage: what the person index says of it. */
    const struct entry *person = c->hash_ok ? NULL : entry_for(&v->persons, c->seq);
    if (person && strcmp(person->key, e.person) != 0) {
        char shown[3 * DOMAIN_CODE_MAX];
        utf8_printable(shown, sizeof(shown), person->key);
        snprintf(more, sizeof(more), "%s (the person index says %s)", why, shown);
        why = more;
    }
    return err == STORE_OK ? rest_row(v, &e, why) : err;
}

/* ---- deciding each seq -------------------------------------------------------------------- */

static int adopt(struct salvage *v, const struct candidate *c)
{
    struct event e;
    int err = load(v, c, &e);
    if (err == STORE_OK && v->batch == 0)
        err = store_begin(v->o->target);
    if (err == STORE_OK)
        err = store_adopt_event(v->o->target, &e, v->o->pk);
    if (err == STORE_OK && ++v->batch == BATCH) {
        v->batch = 0;
        err = store_commit(v->o->target);
    }
    if (err != STORE_OK) {
        if (v->batch)
            store_rollback(v->o->target);
        v->r->added -= v->batch;
        v->batch = 0;
        snprintf(v->why, v->why_cap, "adding seq %" PRId64 " to this store: %s%s%s", c->seq,
                 cpd_strerror(err), store_message(v->o->target)[0] ? ": " : "",
                 store_message(v->o->target));
        return err;
    }
    v->tip = c->seq;
    memcpy(v->tip_hash, c->hash, CRYPTO_HASH_BYTES);
    v->r->added++;
    compare_receipt(v, c->seq, c->hash);
    return STORE_OK;
}

static const char *why_not(const struct salvage *v, const struct candidate *c, char *buf,
                           size_t cap)
{
    if (!c->hash_ok)
        return "damaged: its content does not match its hash";
    if (!c->ours)
        return "another kiosk's id";
    if (!c->sig_ok)
        return "does not verify with this kiosk's key";
    if (v->r->gap_after && v->r->gap_after < c->seq) {
        snprintf(buf, cap, "comes after seq %" PRId64 ", which could not join this store's chain",
                 v->r->gap_after);
        return buf;
    }
    return "does not continue this store's chain";
}

/* The seq already in this store: the same event, another one, or nothing read to compare. */
static int already_here(struct salvage *v, int64_t seq, const struct candidate *c, size_t n)
{
    struct event here;
    int err = store_event_at(v->o->target, seq, &here);
    if (err != STORE_OK) {
        snprintf(v->why, v->why_cap, "reading seq %" PRId64 " of this store: %s", seq,
                 cpd_strerror(err));
        return err;
    }
    v->r->present++;
    compare_receipt(v, seq, here.hash);
    for (size_t i = 0; i < n; i++) {
        if (c[i].hash_ok && memcmp(c[i].hash, here.hash, CRYPTO_HASH_BYTES) != 0 &&
            (err = rest_candidate(v, &c[i],
                                  "differs from the event with the same number in this store")) !=
                STORE_OK)
            return err;
    }
    return STORE_OK;
}

static void break_chain(struct salvage *v, int64_t seq)
{
    if (!v->r->gap_after)
        v->r->gap_after = seq;
}

/* One seq after this store's chain: joined when a whole row of it continues the chain (and no
 * earlier seq broke it); otherwise what was read of it goes to the rest file. */
static int decide(struct salvage *v, int64_t seq, const struct candidate *c, size_t n)
{
    if (n == 0) {
        break_chain(v, seq);
        return unreadable(v, seq);
    }
    /* Of the versions that continue the chain: the one its receipt names, if any. */
    const struct store_receipt *receipt = receipt_for(v, seq);
    size_t pick = n;
    for (size_t i = 0; i < n && !v->r->gap_after; i++) {
        bool joins =
            c[i].sig_ok && c[i].ours && memcmp(c[i].prev, v->tip_hash, CRYPTO_HASH_BYTES) == 0;
        if (joins &&
            (pick == n || (receipt && memcmp(c[i].hash, receipt->hash, CRYPTO_HASH_BYTES) == 0)))
            pick = i;
    }
    int err = STORE_OK;
    if (pick < n) {
        err = flush_unreadable(v);
        if (err == STORE_OK)
            err = adopt(v, &c[pick]);
    } else {
        v->r->rest++;
        break_chain(v, seq);
    }
    /* What else was read of this number: each whole version that was not added, or (when
     * none is whole) the first damaged row, for the office. */
    for (size_t i = 0; err == STORE_OK && i < n; i++) {
        char buf[128];
        bool shown = c[i].hash_ok
                         ? pick == n || memcmp(c[i].hash, c[pick].hash, CRYPTO_HASH_BYTES) != 0
                         : pick == n && i == 0;
        if (shown)
            err = rest_candidate(v, &c[i],
                                 pick < n ? "another event with this number (the one that "
                                            "continues the chain was added)"
                                          : why_not(v, &c[i], buf, sizeof(buf)));
    }
    return err;
}

/* Rows of seq read by SQLite alone (seq = N), when the pages held none whole. */
static size_t read_directly(struct salvage *v, int64_t seq, struct candidate *out)
{
    struct event e;
    if (!v->damaged || store_event_at(v->damaged, seq, &e) != STORE_OK || e.seq != seq)
        return 0;
    memset(out, 0, sizeof(*out));
    check_event(v, &e, out);
    out->from_sql = true;
    return out->hash_ok ? 1 : 0;
}

static int decide_all(struct salvage *v)
{
    if (v->n > 1)
        qsort(v->c, v->n, sizeof(*v->c), by_seq);
    struct salvage_report *r = v->r;
    int64_t lo = r->first;
    for (size_t i = 0; i < v->n; i++) {
        if (v->c[i].hash_ok && v->c[i].seq >= 1 && v->c[i].seq < lo)
            lo = v->c[i].seq; /* found below where the chain started: purged there, here still */
    }
    r->first = r->last ? lo : r->first;
    size_t at = 0;
    int err = STORE_OK;
    for (int64_t seq = r->first; err == STORE_OK && seq <= r->last; seq++) {
        while (at < v->n && v->c[at].seq < seq)
            at++;
        size_t n = 0;
        while (at + n < v->n && v->c[at + n].seq == seq)
            n++;
        if (v->after_us && at < v->n && v->c[at].seq == seq)
            v->after_us = 0; /* reached it: look for the next one on */
        for (size_t j = at; !v->after_us && j < v->n; j++)
            v->after_us =
                v->c[j].hash_ok && v->c[j].ours && v->c[j].seq > seq ? v->c[j].wall_us : 0;
        struct candidate direct;
        const struct candidate *cands = n ? v->c + at : NULL;
        bool whole = n > 0 && cands[0].hash_ok;
        if (whole && cands[0].ours)
            v->before_us = cands[0].wall_us;
        if (!whole && seq > v->tip && read_directly(v, seq, &direct)) {
            cands = &direct;
            n = 1;
        }
        err = seq <= v->tip ? already_here(v, seq, cands, n) : decide(v, seq, cands, n);
    }
    if (err == STORE_OK)
        err = flush_unreadable(v);
    if (err == STORE_OK && v->batch) {
        err = store_commit(v->o->target);
        if (err != STORE_OK) {
            r->added -= v->batch;
            snprintf(v->why, v->why_cap, "committing to this store: %s", cpd_strerror(err));
        }
        v->batch = 0;
    }
    return err;
}

/* ---- whose store -------------------------------------------------------------------------- */

/* A store made with another kiosk's id or key is refused before anything is copied: whole
 * events (their hash checks) that are all another kiosk's, or none of which verify with pk. */
static bool refused(struct salvage *v)
{
    size_t ours = 0, signed_ours = 0, foreign = 0, ours_in_file = 0, foreign_in_wal = 0;
    const struct candidate *first_foreign = NULL, *first_ours = NULL;
    for (size_t i = 0; i < v->n; i++) {
        const struct candidate *c = &v->c[i];
        if (!c->hash_ok)
            continue;
        bool in_wal = !c->from_sql && c->at.source == PAGESCAN_WAL;
        ours_in_file += c->ours && !c->from_sql && !in_wal;
        foreign_in_wal += !c->ours && in_wal;
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
    return false;
}

/* ---- the run ------------------------------------------------------------------------------ */

static int gather(struct salvage *v)
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
    if (v->receipts.n > 1)
        qsort(v->receipts.items, v->receipts.n, sizeof(*v->receipts.items), by_receipt);
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

int salvage_run(const struct salvage_options *o, struct salvage_result *res, char *why,
                size_t why_cap)
{
    memset(res, 0, sizeof(*res));
    if (why && why_cap)
        why[0] = '\0';
    struct salvage v = {.o = o, .res = res, .r = &res->report, .why = why, .why_cap = why_cap};
    /* The rest file first: one that cannot be made stops it before anything is done. */
    int err = rest_open(&v);
    if (err == STORE_OK)
        err = gather(&v);
    if (err == STORE_OK && !refused(&v)) {
        weigh_claims(&v);
        err = decide_all(&v);
    }
    struct salvage_report *r = &res->report;
    bool claims_hold = true;
    for (int s = 0; s < SALVAGE_SOURCES; s++)
        claims_hold &= !r->claims[s].known || r->claims[s].believed || r->claims[s].explained;
    r->everything = err == STORE_OK && !res->refusal && r->readable && claims_hold &&
                    r->rest_rows == 0 && r->unreadable == 0 && r->disbelieved == 0 &&
                    r->receipts_differ == 0 &&
                    r->added + r->present == (r->last >= r->first ? r->last - r->first + 1 : 0);
    if (v.rest && fclose(v.rest) != 0 && err == STORE_OK) {
        snprintf(why, why_cap, "%s: %s", o->rest_path, strerror(errno));
        err = STORE_EIO;
    }
    if (v.rest && r->rest_rows == 0)
        unlink(o->rest_path); /* made up front; nothing for the office after all */
    pagescan_close(v.scan);
    store_close(v.damaged);
    store_receipts_free(&v.receipts);
    free(v.c);
    free(v.table);
    free(v.uuids.items);
    free(v.persons.items);
    free(v.damaged_numbers);
    return err;
}
