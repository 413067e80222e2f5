/* salvage_internal.h — what salvage's two files share (core/services/salvage*.c only): the
 * candidates found, the index entries, and the run's state. */
#ifndef CPD_SALVAGE_INTERNAL_H
#define CPD_SALVAGE_INTERNAL_H

#include <stdio.h>

#include "core/services/salvage.h"

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
    bool receipts_kept; /* the damaged store's mark: it wrote receipts, so their file is due */
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

/* Gathering (salvage_evidence.c): everything read, candidates checked with this kiosk's key,
 * rows under damaged numbers put back; the claims weighed (first and last); whose store it is
 * (true: refused, res says why). */
int gather(struct salvage *v);
void weigh_claims(struct salvage *v);
bool refused(struct salvage *v);
/* A candidate's hash, chain link and signature checked; its event read again; an index's entry
 * for seq (NULL when none). */
void check_event(struct salvage *v, const struct event *e, struct candidate *c);
int load(struct salvage *v, const struct candidate *c, struct event *e);
const struct entry *entry_for(const struct entries *list, int64_t seq);
/* Receipts by seq (qsort, bsearch). */
int by_receipt(const void *a, const void *b);

#endif
