/* import.h — CSV importers for the programme, the roster, bookings and external credits.
 *
 * Formats: docs/data-formats.md. Every problem is reported as one line
 * "FILE:LINE: error|warning|note: message" through the report callback. An import checks
 * every row first — fields, duplicates, and everything it refers to in the store — without
 * holding the store's write lock: with any error, or with dry_run, nothing is written (a dry
 * run checks exactly what a real run would). Only then is it written, in short transactions
 * (each a few milliseconds of writing, with a pause after it) so that the kiosk's taps never
 * wait long for it. A failure while writing (a full disk) leaves the transactions committed
 * before it: result->written says how many rows, a note says so, and running the same import
 * again finishes it — every row is stored by its key, so a row written twice is the same row. */
#ifndef CPD_IMPORT_H
#define CPD_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/error.h"

#include "core/domain/crypto.h"
#include "core/domain/rules.h"
#include "core/store/store.h"

enum import_kind { IMPORT_PROGRAMME, IMPORT_ROSTER, IMPORT_BOOKINGS, IMPORT_CREDITS };

typedef void (*import_report_fn)(void *ctx, const char *line);

struct import_options {
    bool dry_run;
    /* Programme: a change to the times or credits of a session people already attended
     * changes what they earned; refused (with who) unless accepted. */
    bool accept_changes;
    /* Bookings, credits: the file is the whole record. A stored row it no longer has is
     * cancelled or voided by a correction event naming the file (the store needs its signer);
     * without it such rows are only counted in a warning. */
    bool replace;
    /* Head office's ledger, where a file never voids or cancels (a kiosk's corrections do):
     * the warning about stored rows a file lacks says so, instead of offering replace. */
    bool corrections_elsewhere;
    const struct rules *rules;
    const uint8_t *site_key; /* CRYPTO_SITE_KEY_BYTES; roster only */
    import_report_fn report;
    void *report_ctx;
    /* The most rows one transaction writes; 0: IMPORT_BATCH_ROWS. A transaction also ends
     * after IMPORT_BATCH_US of writing, whichever comes first. */
    int batch_rows;
};

#define IMPORT_BATCH_ROWS 1000
#define IMPORT_BATCH_US   5000 /* of writing in one transaction (its commit comes on top) */
/* The pause after each transaction: longer than the store's look for a free lock (every 1 ms,
 * core/store/store_open.c), so a tap waiting for the lock takes it here instead of the import
 * taking it straight back. A 60,000-row roster makes about 130 transactions here: a quarter of
 * a second of pauses. */
#define IMPORT_YIELD_US 2000

struct import_result {
    int errors;
    int warnings;
    int rows; /* data rows read */
    /* Rows written: 0 on a dry run or when any row has an error; all of them but a repeat of
     * an earlier line (bookings) on success; those committed before it on a failure while
     * writing — they stay. */
    int written;
};

/* Returns IMPORT_OK, IMPORT_E*, or a STORE_E* code from the database. */
int import_file(struct store *store, enum import_kind kind, const char *path,
                const struct import_options *options, struct import_result *result);
int import_kind_parse(const char *name);
#endif
