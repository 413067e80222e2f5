/* sync.h — one sync with the central ledger: check the schema, record the clock offset, push
 * this kiosk's events in seq order (resumable: the ledger's acknowledgement is stored locally
 * after each batch), then pull roster, badges, programme, bookings and external credits since
 * the cursor and apply them locally in one transaction with the new cursor. A kill at any point
 * loses nothing: the next run re-sends from the last acknowledgement and the ledger skips what it
 * already has. */
#ifndef CPD_SYNC_H
#define CPD_SYNC_H

#include <stdint.h>

#include "../config/config.h"
#include "store.h"

#define LEDGER_SCHEMA_VERSION 1

enum sync_error {
    SYNC_OK = 0,
    SYNC_EUNREACHABLE = -1, /* the ledger did not answer */
    SYNC_EAUTH = -2,        /* the ledger refused the login */
    SYNC_ESCHEMA = -3,      /* the ledger's schema is too old or too new for this kiosk */
    SYNC_ETAMPER = -4,      /* an event in the ledger differs from the kiosk's copy */
    SYNC_EREJECTED = -5,    /* the ledger refused an event (chain, hash or signature) */
    SYNC_ESTORE = -6,       /* the local database failed */
    SYNC_ECONFIG = -7,      /* [sync] not set up, or the password file is unusable */
    SYNC_EPERM = -8,        /* permission denied (not a registered kiosk role?) */
    SYNC_EQUERY = -9,       /* any other ledger error */
};

struct sync_report {
    int schema;
    int64_t clock_offset_ms; /* ledger clock − kiosk clock */
    int64_t pushed;          /* events the ledger took this time */
    int64_t acked_seq;       /* the highest seq the ledger holds */
    int64_t waiting;         /* local events it does not hold yet */
    int pulled[6];           /* people, badges, courses, sessions, bookings, credits */
};

typedef void (*sync_progress_fn)(void *ctx, int64_t done, int64_t total);

int sync_run(const struct config *cfg, struct store *store, sync_progress_fn progress, void *ctx,
             struct sync_report *report, char *why, size_t cap);
const char *sync_strerror(int err);
/* Reads the password file, refusing one that others can read. */
int sync_read_password(const char *path, char *out, size_t cap, char *why, size_t why_cap);
/* Pulls everything the ledger holds since the store's cursor into the store (one local
 * transaction). For ledger_import's scratch store; sync_run does it for kiosks. */
struct pg;
int sync_pull(struct pg *pg, struct store *store, struct sync_report *report, char *why,
              size_t cap);
int sync_from_pg(int pg_error, const struct pg *pg);
/* What the last sync left in the store's meta table, for the screen and cpd-admin. */
struct sync_state {
    int64_t last_success_us; /* 0: never */
    int64_t acked_seq;
    int64_t clock_offset_ms;
    char last_error[160];
};
int sync_state_read(struct store *store, struct sync_state *out);

#endif
