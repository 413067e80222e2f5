/* pagescan.h — a kiosk store's file and its WAL read page by page, without SQLite, for
 * salvage: where the b-tree SQLite follows from its root is broken (a damaged root or interior
 * page, a file cut short, a torn WAL), every leaf that survives still holds its rows, and every
 * frame of a WAL still holds the pages it was written with, whatever its checksums say.
 *
 * It finds rows by their shape, never trusting a length: events rows (every column of the
 * events table's type), meta rows (the high-water mark, where the chain starts), and the
 * entries of the events' two indexes (uuid and person), each by walking its b-tree from the
 * root the schema names: their entries' shapes are shared with other indexes (a staff number
 * may look like a uuid). What it finds
 * is evidence to check, not truth: every event is verified by its hash and signature by the
 * caller. Reads only; opens nothing for writing. The SQLite file format:
 * https://www.sqlite.org/fileformat2.html. */
#ifndef CPD_PAGESCAN_H
#define CPD_PAGESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#include "core/domain/event.h"

struct pagescan;

enum pagescan_source { PAGESCAN_FILE, PAGESCAN_WAL };

/* Where a row was found: enough to read it again. */
struct pagescan_at {
    enum pagescan_source source;
    uint32_t page;  /* the page's number in the database */
    uint32_t frame; /* the WAL frame holding that page (from 1); 0 in the file */
    uint32_t cell;  /* the cell on that page */
};

enum pagescan_kind {
    PAGESCAN_EVENT,        /* an events row; seq is its row number */
    PAGESCAN_META,         /* a meta row: key, value */
    PAGESCAN_INDEX_UUID,   /* an entry of the events' uuid index: key is the uuid */
    PAGESCAN_INDEX_PERSON, /* an entry of events_person: key is the person */
};

struct pagescan_found {
    enum pagescan_kind kind;
    struct pagescan_at at;
    int64_t seq;               /* EVENT and INDEX_*: the seq */
    const struct event *event; /* EVENT */
    const char *key;           /* META, INDEX_* */
    const char *value;         /* META */
};
/* Returns 0 to go on, CPD_STOP or an error code to stop. */
typedef int (*pagescan_fn)(void *ctx, const struct pagescan_found *found);

struct pagescan_info {
    uint32_t page_size;
    bool page_size_known;   /* from the file's header or the WAL's (else 4096 is assumed) */
    bool page_size_guessed; /* the header's did not fit the pages; another size did */
    int64_t file_pages;     /* a short last page counts */
    int64_t wal_frames;     /* a torn last frame counts */
    bool schema_read;       /* the roots of events_person found in the schema */
    int64_t other_pages;    /* pages and frames holding no b-tree page: free, overflow, damaged */
};

/* STORE_OK, STORE_ENOREAD (permissions), STORE_ENOTFOUND (no such file), STORE_EIO. A
 * missing WAL is no error. why (may be NULL) names the file. */
int pagescan_open(const char *db_path, struct pagescan **out, char *why, size_t why_cap);
void pagescan_close(struct pagescan *scan);
void pagescan_info(const struct pagescan *scan, struct pagescan_info *out);
/* Every page of the file, then every frame of the WAL, then the person index from its root:
 * each row as often as it is found (a page in the file and in three frames: four times). */
int pagescan_each(struct pagescan *scan, pagescan_fn fn, void *ctx);
/* The event found at at, read again (STORE_ENOTFOUND when it is not an events row). */
int pagescan_event_at(struct pagescan *scan, const struct pagescan_at *at, struct event *out);

#endif
