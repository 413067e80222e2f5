/* ledgerfix.h — the ledger tests' fixture: one real PostgreSQL 15 set up exactly as
 * docs/head-office.md says (the superuser's step, then everything as the ledger's owner), the
 * demo programme and roster imported into it, head office's keyring, and kiosks (a store, keys,
 * a login role) registered on it. Failures fail the test (cmocka). */
#ifndef CPD_LEDGERFIX_H
#define CPD_LEDGERFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/domain/crypto.h"
#include "core/services/keys.h"
#include "sync/ledger/ledger.h"
#include "tests/support/pgserver.h"
#include "sync/sync_pg.h"

extern struct pgserver server;
extern char site_key_hex[2 * CRYPTO_SITE_KEY_BYTES + 1];
extern char office_dir[256];
extern char keyring[300];        /* head office's keyring file */
extern char office_key[300];     /* head office's signing key file */
extern int kiosk_idle_timeout_s; /* the next kiosk_open's idle-in-transaction limit */

struct tkiosk {
    char id[32];
    char dir[256];
    struct store *store;
    struct kiosk_keys keys;
    struct config cfg;
    char kiosk_password[64];
};

/* cmocka group setup and teardown: the server, the schema, the data. */
int ledgerfix_setup(void **state);
int ledgerfix_teardown(void **state);
/* The ledger's owner, as cpd-admin ledger … connects. */
struct ledger_target admin(void);
/* A kiosk with its own store and keys, registered (add-kiosk, keyring) with a login. */
void kiosk_open(struct tkiosk *k, const char *id);
void kiosk_close(struct tkiosk *k);
/* A closed store's file copied whole (a backup, or its restore), without the -wal and -shm
 * that would belong to the file copied over. */
void kiosk_copy_file(const char *from, const char *to);
/* The kiosk's store opened again after kiosk_copy_file, signing as the kiosk. */
void kiosk_reopen(struct tkiosk *k);
int sync_now(struct tkiosk *k, struct sync_report *r, char *why, size_t cap);
void must_sync(struct tkiosk *k, struct sync_report *r);
/* n events that change nothing but the chain. */
void add_events(struct tkiosk *k, int n);
/* The ledger's count of the kiosk's events (checking no event twice and no gap). */
long ledger_events(const char *kiosk);
/* verify --ledger against the keyring finds nothing. */
void assert_ledger_verifies(void);
/* A CSV imported into the ledger as head office does (signed with its key). */
int import_text(enum import_kind kind, const char *csv, char *why, size_t cap);
/* What the last import_text's import reported, a line each. */
extern char import_said[8192];
int connect_as(const char *conninfo, const char *password, struct pg **pg, char *why, size_t cap);
/* Event seq of the kiosk's store. */
void local_event(struct tkiosk *k, int64_t seq, struct event *e);

/* A push built by hand, to try what a kiosk's own code would never send. */
#define RAW_FIELDS 12
struct raw_batch {
    char *text[RAW_FIELDS];
    size_t len[RAW_FIELDS], cap[RAW_FIELDS];
    int n;
};
struct raw_fields {
    char seq[24], wall[24], mono[24], prev[70], hash[70], sig[140];
    const char *v[RAW_FIELDS]; /* seq, uuid, type, person, session, wall, mono, clock, payload,
                                  prev, hash, sig — change any, NULL for SQL NULL */
};
void raw_event_fields(const struct event *e, struct raw_fields *f);
void raw_add_fields(struct raw_batch *b, const char *const fields[RAW_FIELDS]);
void raw_add(struct raw_batch *b, const struct event *e);
/* One more element in column c only (arrays of different lengths); NULL for SQL NULL. */
void raw_append_element(struct raw_batch *b, int c, const char *value);
void raw_free(struct raw_batch *b);
/* Calls cpd.push_events with the batch in an open session; *acked (may be NULL) its reply. */
int raw_push_in(struct pg *pg, struct raw_batch *b, long *acked, char *why, size_t cap);
/* The same as the given login, in a session of its own. */
int raw_push(const char *conninfo, const char *password, struct raw_batch *b, long *acked,
             char *why, size_t cap);
/* Pushes the store's events first..last (person replaced when override_person is set). */
int push_events_of(struct tkiosk *k, const char *conninfo, const char *password, int64_t first,
                   int64_t last, const char *override_person, long *acked, char *why, size_t cap);

#endif
