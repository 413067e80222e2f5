/* What ledger.c shares with ledger_schema.c (the schema's rules, proved) and
 * ledger_privileges.c (the privileges outside it, checked). */
#ifndef CPD_LEDGER_INTERNAL_H
#define CPD_LEDGER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sync/ledger/ledger.h"

struct pg;

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
int privilege_strays_read(struct pg *pg, struct privilege_strays *strays, char *why, size_t cap);
/* Takes back those the owner can, each said to fn (NULL: quietly). */
int privilege_strays_repair(struct pg *pg, const struct privilege_strays *strays,
                            ledger_line_fn fn, void *ctx, char *why, size_t cap);
/* Those only a superuser can take back, the first three named into out; how many. */
size_t privilege_strays_refused(const struct privilege_strays *strays, char *out, size_t cap);

#endif
