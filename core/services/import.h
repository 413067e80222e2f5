/* import.h — CSV importers for the programme, the roster, bookings and external credits.
 *
 * Formats: docs/data-formats.md. Every problem is reported as one line
 * "FILE:LINE: error|warning: message" through the report callback. An import runs in one
 * transaction: with any error, or with dry_run, it is rolled back and nothing is written;
 * otherwise it is committed whole. A dry run therefore checks exactly what a real run would. */
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
    const struct rules *rules;
    const uint8_t *site_key; /* CRYPTO_SITE_KEY_BYTES; roster only */
    import_report_fn report;
    void *report_ctx;
};

struct import_result {
    int errors;
    int warnings;
    int rows;    /* data rows read */
    int written; /* rows written (0 on a dry run or failure) */
};

/* Returns IMPORT_OK, IMPORT_E*, or a STORE_E* code from the database. */
int import_file(struct store *store, enum import_kind kind, const char *path,
                const struct import_options *options, struct import_result *result);
int import_kind_parse(const char *name);
#endif
