/* salvage.h — what can still be got out of a damaged kiosk store, into this kiosk's store, with
 * every event the damaged store ever held accounted for (cpd-admin salvage, docs/recovery.md).
 *
 * How many events there were is learnt from every independent source the damaged file and its
 * neighbours hold — the high-water mark (as SQLite reads it, and in every page and WAL frame it
 * was ever written to), max(seq), the rows read, each index, the WAL's frames, the tap receipts
 * kept outside the file, what the ledger acknowledged, and the events this store already took
 * back from the ledger. Each seq is then read directly: through SQLite (seq = N), and page by
 * page from the file and every WAL frame (core/store/pagescan.h), so a broken b-tree hides
 * nothing its surviving leaves hold. Every seq ends as added (verified with this kiosk's key,
 * continuing this store's chain), already there, in the rest file with what could be read of it,
 * or named as unreadable with its number — and "everything" is said only when every seq was
 * added or already there. Bounded: each source is read once, each seq looked at once, and a
 * number no other evidence supports is noted, never counted up to. */
#ifndef CPD_SALVAGE_H
#define CPD_SALVAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/error.h"

#include "core/domain/event.h"
#include "core/store/pagescan.h"
#include "core/store/store.h"

/* The sources of how many events there were. */
enum salvage_source {
    SALVAGE_HIGH_WATER,   /* meta events_high_water, read by SQLite or found in any page */
    SALVAGE_MAX_SEQ,      /* SQLite's max(seq) */
    SALVAGE_ROWS,         /* the events rows read whole (their hash checks) */
    SALVAGE_UUID_INDEX,   /* the uuid index's entries */
    SALVAGE_PERSON_INDEX, /* events_person's entries */
    SALVAGE_WAL,          /* what the WAL's frames hold (rows, marks, entries) */
    SALVAGE_RECEIPTS,     /* DAMAGED.db-receipts */
    SALVAGE_LEDGER,       /* meta ledger_acked_seq: what the ledger acknowledged */
    SALVAGE_THIS_STORE,   /* this store's chain: events taken back from the ledger */
    SALVAGE_SOURCES
};
/* "the high-water mark", "max(seq)", … */
const char *salvage_source_name(enum salvage_source source);

struct salvage_claim {
    bool known;      /* the source could be read and said something */
    int64_t highest; /* the highest seq it names */
    bool believed;   /* counted: supported by the rows read, or by another source */
    bool explained;  /* not counted, and known why: the number of a row whose content (its
                        hash) says it is another — a damaged row number, put back */
};

#define SALVAGE_SHOWN 10

struct salvage_range {
    int64_t from, to;
};

struct salvage_report {
    struct salvage_claim claims[SALVAGE_SOURCES];
    int64_t first, last;     /* the events the damaged store held: first..last (0, 0: none) */
    int64_t purged_below;    /* events before it were purged there, after the ledger had them */
    int64_t added, present;  /* into this store; already in it */
    int64_t rest;            /* read (whole or in part) but could not join: in the rest file */
    int64_t unreadable;      /* nothing of them could be read: named in the rest file */
    int64_t rest_rows;       /* rows written to the rest file */
    int64_t renumbered;      /* found under a damaged row number, put back by their hash */
    int64_t damaged_rows;    /* rows whose content does not match their hash */
    int64_t disbelieved;     /* index entries whose seq nothing else supports */
    int64_t receipts_differ; /* added or already here, but acknowledged as another event; or two
                                receipts naming one seq differently */
    int64_t first_receipt_differ;
    bool receipts_missing; /* the damaged store kept receipts, and their file is not there */
    struct salvage_range unreadable_shown[SALVAGE_SHOWN]; /* the first ranges */
    int64_t unreadable_ranges;
    int64_t gap_after; /* the first seq that could not join: everything after it went to rest */
    bool readable;     /* SQLite or the page reader recognised a database at all */
    bool sqlite_opened;
    struct pagescan_info scan;
    bool everything; /* every seq first..last was added or already there, and no source named
                        more than that */
};

struct salvage_options {
    const char *damaged_path;
    const char *rest_path; /* created 0600 on first use, never over an existing file */
    struct store *target;  /* this kiosk's store, its signer set */
    const char *kiosk_id;
    const uint8_t *pk; /* this kiosk's public key */
};

/* Why nothing was copied (SALVAGE_* codes live in the services' store block as plain ints). */
enum salvage_refusal {
    SALVAGE_DONE = 0,
    SALVAGE_REFUSED_OTHER_KIOSK, /* whole events, all another kiosk's: refused_kiosk names it */
    SALVAGE_REFUSED_WRONG_KEY,   /* whole events of this kiosk id, none verifying with pk */
    SALVAGE_REFUSED_FOREIGN_WAL, /* this kiosk's file beside another kiosk's WAL */
    SALVAGE_REFUSED_WAL_KEY,     /* this kiosk's file, a WAL of its id whose events none verify */
};

struct salvage_result {
    struct salvage_report report;
    enum salvage_refusal refusal;
    int64_t refused_seq;
    char refused_kiosk[EVENT_KIOSK_MAX];
};

/* STORE_OK with result filled (refusal says when nothing was copied because the store is not
 * this kiosk's), or an error: the damaged file unreadable (STORE_ENOREAD, STORE_ENOTFOUND), the
 * rest file (STORE_EPERM: it exists or cannot be made; why names it), this store failing. */
/* For a signal handler (async-signal-safe): removes the rest file of a salvage cut short. */
void salvage_remove_on_signal(void);
int salvage_run(const struct salvage_options *options, struct salvage_result *result, char *why,
                size_t why_cap);

#endif
