/* ledger.h — head office's side: create and migrate the ledger schema, register kiosks, import
 * the roster and programme into it (with the same importers and checks as a kiosk), and verify
 * every kiosk's chain and signatures. Used by cpd-admin ledger … and verify --ledger. */
#ifndef CPD_LEDGER_H
#define CPD_LEDGER_H

#include <stdint.h>

#include "import.h"
#include "sync.h"

struct ledger_target {
    const char *conninfo;
    const char *password; /* NULL: from the conninfo, ~/.pgpass or the environment */
    int timeout_s;
};

/* Applies the migrations the ledger lacks, each in one transaction. module: the path of the
 * cpd_ledger module ("$libdir/cpd_ledger" when installed). */
int ledger_init(const struct ledger_target *t, const char *module, int *from, int *to, char *why,
                size_t cap);
/* Registers (or re-keys, while it has pushed nothing) a kiosk and its login role. */
int ledger_add_kiosk(const struct ledger_target *t, const char *id, const char *public_key_hex,
                     const char *kiosk_password, char *role_out, size_t role_cap, char *why,
                     size_t cap);
/* Imports a CSV (docs/data-formats.md) into the ledger: checked by the kiosk's own importer in a
 * scratch store, then written in one ledger transaction. */
int ledger_import(const struct ledger_target *t, enum import_kind kind, const char *path,
                  const struct import_options *options, struct import_result *result, char *why,
                  size_t cap);

struct ledger_verify_report {
    int kiosks;
    int64_t events;
    int bad_kiosks;
};
typedef void (*ledger_verify_fn)(void *ctx, const char *kiosk, int64_t events,
                                 int64_t first_bad_seq, int error);
int ledger_verify(const struct ledger_target *t, ledger_verify_fn fn, void *ctx,
                  struct ledger_verify_report *report, char *why, size_t cap);

/* The migrations, embedded at build time from sync/sql/NNN_*.sql. */
extern const char *const ledger_migrations[];
extern const int ledger_migration_count;

#endif
