/* What ledger.c shares with ledger_schema.c (the schema's rules, proved),
 * ledger_privileges.c (the privileges outside it, checked) and ledger_office.c (head office's
 * own rows, signed and recomputed). */
#ifndef CPD_LEDGER_INTERNAL_H
#define CPD_LEDGER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/domain/crypto.h"
#include "sync/ledger/ledger.h"

struct pg;
struct pg_result;

/* The ledger's owner (or an office login), strict TLS, search_path pinned (ledger.c). */
int ledger_connect(const struct ledger_target *t, struct pg **pg, char *why, size_t cap);
int ledger_exec(struct pg *pg, const char *sql, int n, const char *const *values,
                struct pg_result **out, char *why, size_t cap);
/* COMMIT when err is SYNC_OK, else ROLLBACK keeping err and its reason. */
int ledger_finish(struct pg *pg, int err, char *why, size_t cap);
/* The keyring's key for kiosk at seq (NULL: none), and whether it has any (ledger_keyring.c). */
const uint8_t *ledger_keyring_key(const struct ledger_keyring *ring, const char *kiosk,
                                  int64_t seq);
bool ledger_keyring_has(const struct ledger_keyring *ring, const char *kiosk);

/* The schema's rules: one line each (newlines escaped), in the database's order, and the
 * digest of them all that the keyring holds. */
struct schema_rules {
    char **lines;
    size_t n;
    char digest[65];
};
void schema_rules_free(struct schema_rules *rules);
/* The live schema's. */
int schema_rules_read(struct pg *pg, struct schema_rules *rules, char *why, size_t cap);
/* KEYRING.schema: the lines as ledger init built them, written 0600 whole or not at all. */
int schema_rules_path(const char *keyring, char *out, size_t cap);
int schema_rules_save(const char *keyring, const struct schema_rules *rules, char *why, size_t cap);
/* Loaded; none (n = 0, digest "") when the file is not there. */
int schema_rules_load(const char *keyring, struct schema_rules *rules, char *why, size_t cap);
/* Each line in one and not the other, to fn: "no longer as ledger init made it" (anchored, not
 * live) or "not made by ledger init" (live, not anchored). Returns how many. */
typedef void (*schema_difference_fn)(void *ctx, const char *what, const char *line);
size_t schema_rules_differences(const struct schema_rules *anchored,
                                const struct schema_rules *live, schema_difference_fn fn,
                                void *ctx);
/* ledger init's proof: the live schema against the keyring's anchor digest (and
 * KEYRING.schema, to name what differs). SYNC_OK when it is what init made (the lines saved
 * beside the keyring if they were not yet), SYNC_ETAMPER saying what is not. */
int schema_prove(struct pg *pg, const char *keyring, const char *anchor, char *why, size_t cap);
/* The schema as this init built it: its lines beside the keyring, its digest in it. */
int schema_anchor(struct pg *pg, const char *keyring, char *why, size_t cap);

/* A privilege outside schema cpd that no migration gives (ledger_privileges.c). */
struct privilege_stray {
    char what[400];    /* "USAGE ON LANGUAGE plpgsql", "membership in pg_read_all_data" */
    char grantee[128]; /* a cpd_kiosk/cpd_office role or PUBLIC */
    char grantor[128];
    bool owner_can_revoke;
    char revoke[700]; /* the statement that takes it back */
};
struct privilege_strays {
    struct privilege_stray *items;
    size_t n;
};
void privilege_strays_free(struct privilege_strays *strays);
/* Objects in the ledger's database that no migration makes (ledger_privileges.c): a row each
 * of what, its owner, the statement that drops it. */
int foreign_objects_read(struct pg *pg, struct pg_result **res, char *why, size_t cap);
/* The first three into out ("…; and N more"); how many there are. */
size_t foreign_objects_list(const struct pg_result *res, char *out, size_t cap);
int privilege_strays_read(struct pg *pg, struct privilege_strays *strays, char *why, size_t cap);
/* Takes back those the owner can, each said to fn (NULL: quietly). */
int privilege_strays_repair(struct pg *pg, const struct privilege_strays *strays, ledger_line_fn fn,
                            void *ctx, char *why, size_t cap);
/* Those only a superuser can take back, the first three named into out; how many. */
size_t privilege_strays_refused(const struct privilege_strays *strays, char *out, size_t cap);

/* Head office's records (ledger_office.c): a kind is what one import changes. */
enum office_kind {
    OFFICE_GENESIS, /* every kind at once: ledger init's first record */
    OFFICE_PROGRAMME,
    OFFICE_ROSTER,
    OFFICE_BOOKINGS,
    OFFICE_CREDITS,
    OFFICE_CREDITS_SEEN, /* the credits as kiosks pull them: written with each credits record */
    OFFICE_KINDS
};
enum office_kind office_kind_of_import(enum import_kind kind);
/* Head office's signing key from its file (a kiosk key file's format, 0600). */
int office_key_load(const char *path, uint8_t sk[CRYPTO_SIGN_SK_BYTES],
                    uint8_t pk[CRYPTO_SIGN_PK_BYTES], char *why, size_t cap);
/* How many records the log holds. */
int office_head(struct pg *pg, int64_t *records, char *why, size_t cap);
/* Whether the newest credits record is followed by its credits_seen record (a log from before
 * schema 9 has none). */
int office_seen_current(struct pg *pg, bool *current, char *why, size_t cap);
/* Takes the kind's tables (and the log) IN EXCLUSIVE MODE for the rest of the transaction:
 * kiosks read on; nothing else writes them until the record is in. */
int office_lock(struct pg *pg, enum office_kind kind, char *why, size_t cap);
/* One row that differs: the live line (NULL: missing) and the expected (NULL: not in head
 * office's records). Lines are "table<TAB>field<TAB>…", fields escaped. */
typedef void (*office_difference_fn)(void *ctx, const char *live, const char *expected);
/* The log's chain and signatures against pk (the first failure into bad, "" when none), then,
 * when they hold, the live tables of kind (OFFICE_GENESIS: every kind) against their
 * projection: each difference to fn, counted into *differences. */
int office_check(struct pg *pg, const uint8_t pk[CRYPTO_SIGN_PK_BYTES], enum office_kind kind,
                 office_difference_fn fn, void *ctx, size_t *differences, char *bad, size_t bad_cap,
                 char *why, size_t cap);
/* One kept revocation, void or cancellation (what: "revoked_badges <hash>", "voided_credits
 * <staff> <programme> <date>", "cancelled_bookings <staff> <session>") that no kiosk's event
 * made (invented), or that a kiosk's event made and the ledger no longer keeps. */
typedef void (*office_keep_fn)(void *ctx, const char *what, bool invented);
/* cpd.revoked_badges, cpd.voided_credits and cpd.cancelled_bookings (what keeps a kiosk's
 * revocations, voids and cancellations through head office's next import) against the
 * kiosks' own signed events: each difference to fn, counted into *differences. A revoked badge
 * no longer kept is named while it works again. */
int office_keep_lists(struct pg *pg, office_keep_fn fn, void *ctx, size_t *differences, char *why,
                      size_t cap);
/* One difference in words: "people BIT0003: the ledger holds [...] where head office's
 * records give [...]". */
void office_describe(const char *live, const char *expected, char *out, size_t cap);
/* Appends the record of the kind's tables as they are now, signed with sk; a credits record
 * is followed by its credits_seen record (*seq: the last). OFFICE_CREDITS_SEEN alone: the one
 * of the newest credits record (a ledger from before schema 9). */
int office_record(struct pg *pg, const uint8_t sk[CRYPTO_SIGN_SK_BYTES], enum office_kind kind,
                  int64_t *seq, char *why, size_t cap);

#endif
