/* ledger.h — head office's side: create and migrate the ledger schema, register kiosks, import
 * the roster and programme into it (with the same importers and checks as a kiosk), and verify
 * every kiosk's chain and signatures. Used by cpd-admin ledger … and verify --ledger. */
#ifndef CPD_LEDGER_H
#define CPD_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain/crypto.h"

#include "core/services/import.h"
#include "sync/sync.h"

struct ledger_target {
    const char *conninfo;
    const char *password; /* NULL: from the conninfo, ~/.pgpass or the environment */
    int timeout_s;
    const char *office_key;  /* head office's signing key file: every import is signed with it */
    const char *checkpoints; /* ledger_import: the file the checkpoint of the record it signed is
                              * appended to, so the owner cannot take the import back unseen
                              * before the next checkpoint (NULL: none; said on screen) */
};

/* One line of output for the caller to print; bad lines are findings. */
typedef void (*ledger_line_fn)(void *ctx, const char *line, bool bad);

/* Applies the migrations the ledger lacks, each in one transaction, as the ledger's owner (the
 * cpd_ledger extension must exist: a superuser's CREATE EXTENSION, docs/head-office.md), then
 * the hardening, and writes the digest of the schema's rules into the keyring (NULL: none). A
 * schema already there is proved first, and privileges no migration gives are refused by name
 * (nothing changed) unless the owner can take them back: those are repaired, each said. */
struct ledger_init {
    const char *keyring;
    /* head office's signing key file, made when missing (said through say); its public half
     * goes into the keyring, and an empty log gets its first record: the rows as they are */
    const char *office_key;
    ledger_line_fn say; /* repairs, one line each (NULL: quietly) */
    void *ctx;
    int from, to; /* out: the schema version found and left */
};
int ledger_init(const struct ledger_target *t, struct ledger_init *init, char *why, size_t cap);

#define LEDGER_KIOSK_ID_MAX 40 /* the login role is cpd_kiosk_<id> */
#define LEDGER_PASSWORD_MIN 12 /* a login's password, at the least */
/* The login role of a kiosk id: cpd_kiosk_ + the id in lower case, '-' as '_'. */
int ledger_kiosk_role(const char *id, char *out, size_t cap);

struct ledger_kiosk {
    const char *id;
    const char *public_key_hex;
    const char *password; /* sent only as its SCRAM verifier */
    int statement_timeout_s, idle_in_transaction_s, connections;
};
/* Registers a kiosk with its first key and creates (or re-passwords) its login role, in one
 * transaction. Another key for an existing id is refused (rotate-key is the way). */
int ledger_add_kiosk(const struct ledger_target *t, const struct ledger_kiosk *kiosk,
                     const char *keyring, char *role_out, size_t role_cap, char *why, size_t cap);
/* An office login cpd_office_<name> that reads the report views (name: a-z 0-9 _). */
int ledger_add_office(const struct ledger_target *t, const char *name, const char *password,
                      char *role_out, size_t role_cap, char *why, size_t cap);
/* A new key for events from from_seq on (0: after what the ledger holds), with a reason (one
 * line). Both write the key into the keyring file (NULL: none) before their transaction
 * commits, so the ledger never holds a key the keyring lacks. */
int ledger_rotate_key(const struct ledger_target *t, const char *id, const char *public_key_hex,
                      const char *reason, int64_t from_seq, const char *keyring,
                      int64_t *applies_from, char *why, size_t cap);
/* A header, then one line per kiosk: "<kiosk> <last_seq> <last_hash> <UTC time>", to keep
 * outside the ledger and give to verify --checkpoints later; nothing when it fails. */
int ledger_checkpoint(const struct ledger_target *t, ledger_line_fn fn, void *ctx, char *why,
                      size_t cap);
/* Imports a CSV (docs/data-formats.md) into the ledger: checked by the kiosk's own importer in a
 * scratch store, then written in one ledger transaction. */
int ledger_import(const struct ledger_target *t, enum import_kind kind, const char *path,
                  const struct import_options *options, struct import_result *result, char *why,
                  size_t cap);

/* A temporary local store (0700 directory under /tmp) holding what the ledger's report views
 * hold — roster, programme, bookings, credits, every kiosk's events — so that the kiosk's own
 * reports run trust-wide (cpd-admin report --ledger). Read with an office login or the
 * owner's; ledger_copy_close removes it. */
struct ledger_copy {
    char dir[4096];
    struct store *store;
    struct sync_skipped skipped; /* the ledger's events left out: no kiosk writes them */
};
/* events_from_us: only the events from then on (the credit year asked; INT64_MIN: all). */
int ledger_copy_open(const struct ledger_target *t, struct ledger_copy *copy,
                     int64_t events_from_us, char *why, size_t cap);
void ledger_copy_close(struct ledger_copy *copy);

/* The keyring: every kiosk key head office has registered, in a file kept apart from the
 * database (written by add-kiosk and rotate-key), the trust anchor of verify. Loaded, a key
 * from a seq on replaces that kiosk's keys from that seq on (as rotate-key does). */
struct ledger_key {
    char kiosk[64];
    int64_t from_seq;
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    char when[32]; /* when it was written (UTC, ISO 8601): a key never re-keys what a checkpoint
                    * taken before it saw */
};
struct schema_rules;
struct ledger_keyring {
    struct ledger_key *keys;
    size_t n, cap;
    char schema[65]; /* the digest of the schema's rules ledger init left ("": none yet) */
    bool has_office; /* head office's public key ("@office" line) is there */
    uint8_t office_pk[CRYPTO_SIGN_PK_BYTES];
    struct schema_rules *rules; /* their lines (KEYRING.schema), NULL when not there */
};
int ledger_keyring_load(const char *path, struct ledger_keyring *ring, char *why, size_t cap);
void ledger_keyring_free(struct ledger_keyring *ring);
/* Appends one key (the file is created 0600) and fsyncs it. */
int ledger_keyring_append(const char *path, const char *kiosk, int64_t from_seq,
                          const char *public_key_hex, const char *reason, char *why, size_t cap);

struct ledger_verify_report {
    int kiosks;
    int64_t events;
    int bad_kiosks;  /* kiosks with any finding */
    int bad_other;   /* findings in the schema, privileges or head office's rows */
    int checkpoints; /* checkpoint lines checked */
};
/* Walks every kiosk's chain in the ledger against the keyring (never the database's own keys),
 * compares each kiosk's record and the checkpoints file (NULL: none) with it, and reports a line
 * per kiosk and per finding: a bad event, a key that differs from the keyring, a kiosk or
 * events not in the keyring, a chain that ends before its recorded last_seq, events missing or
 * rewritten since a checkpoint. */
int ledger_verify(const struct ledger_target *t, const struct ledger_keyring *ring,
                  const char *checkpoints, ledger_line_fn fn, void *ctx,
                  struct ledger_verify_report *report, char *why, size_t cap);

/* The migrations, embedded at build time from sync/ledger/sql/NNN_*.sql. */
extern const char *const ledger_migrations[];
extern const int ledger_migration_count;

#endif
