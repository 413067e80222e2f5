/* sync.h — one sync with the central ledger: check the schema, record the clock offset, push
 * this kiosk's events in seq order (resumable: the ledger's acknowledgement is stored locally
 * after each batch), then pull roster, badges, programme, bookings and external credits since
 * the cursor and apply them locally in one transaction with the new cursor. A kill at any point
 * loses nothing: the next run re-sends from the last acknowledgement and the ledger skips what it
 * already has. */
#ifndef CPD_SYNC_H
#define CPD_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/error.h"

#include "sync/sync_options.h"
#include "core/store/store.h"

#define LEDGER_SCHEMA_VERSION 10

/* What became of the retention purge that follows a successful sync (docs/privacy.md). It is
 * timed by the ledger's clock, never the kiosk's own, and a refusal does not fail the sync: the
 * events are safe at head office either way. */
enum sync_purge {
    SYNC_PURGE_OFF,       /* not run: keep_synced_days is 0, or the sync failed */
    SYNC_PURGE_RAN,       /* ran: purged says how many events went (0: none was old enough) */
    SYNC_PURGE_CLOCK,     /* refused: this kiosk's clock and the ledger's disagree by more than
                             clock_warn_s (the events' own times came from that clock) */
    SYNC_PURGE_THIS_YEAR, /* refused: it would take attendance of the current credit year */
    SYNC_PURGE_FAILED,    /* the local database failed (purge_error): nothing was deleted */
};

struct sync_report {
    int schema;
    int64_t clock_offset_ms;     /* ledger clock − kiosk clock */
    int64_t pushed;              /* events the ledger took this time */
    int64_t acked_seq;           /* the highest seq the ledger holds */
    int64_t waiting;             /* local events it does not hold yet */
    int pulled[6];               /* people, badges, courses, sessions, bookings, credits */
    int64_t healed;              /* own events taken back from the ledger (restored kiosk) */
    int64_t adopted_unreceipted; /* of them, seqs this store has no receipt of (never */
    int64_t unreceipted_from;    /* committed here: the whole disk restored, or a clone */
    int64_t unreceipted_to;      /* signing as this kiosk) */
    int64_t resent_from;         /* > 0: the ledger had lost seqs resent_from..resent_to, */
    int64_t resent_to;           /*      which this sync sent again */
    bool full_pull;              /* another ledger, or a restored one: everything was pulled */
    bool whole_pull;             /* everything was pulled (full_pull, a record head office
                                  * signed since, or a day since the last) and, with
                                  * office_public_key, held whole against the records */
    int64_t purged;              /* synced events older than keep_synced_days, deleted here */
    enum sync_purge purge;
    int purge_error;         /* SYNC_PURGE_FAILED: the store's code */
    int64_t purge_before_us; /* the purge's cutoff by the ledger's clock (0: none was taken) */
    int64_t year_first_us;   /* the current credit year's start by the ledger's clock (0: none) */
};

/* What became of the purge in plain words, for cpd-admin sync and the kiosk's log: how many
 * went, or why none did and what to do; "" when there is nothing to say (off, or nothing
 * old enough). */
void sync_purge_text(const struct sync_report *report, const struct sync_options *options,
                     char *out, size_t cap);

typedef void (*sync_progress_fn)(void *ctx, int64_t done, int64_t total);

int sync_run(const struct sync_options *options, struct store *store, sync_progress_fn progress,
             void *ctx, struct sync_report *report, char *why, size_t cap);
/* Reads the password file, refusing one that is not a regular file owned by this user with
 * mode 0600 or 0400. */
int sync_read_password(const char *path, char *out, size_t cap, char *why, size_t why_cap);
struct pg;
/* Whether the ledger's chain of this kiosk (the login's) ends with this store's event at that
 * seq — doctor's check, changing nothing: SYNC_EDIVERGED saying both hashes when not. */
int sync_compare(struct pg *pg, struct store *store, char *why, size_t cap);
/* Copies what head office holds into an empty store, in one local transaction, with every
 * certificate and note as it is: for head office's imports (roster with its badges, programme,
 * bookings, credits: the owner's login), checked there by the kiosk's own importer (with the
 * events for a programme, whose changes name the people they affect); for
 * cpd-admin report --ledger (the same without badges, and every kiosk's events: an office
 * login is enough), the same reports trust-wide. */
enum sync_copy_for {
    SYNC_COPY_FOR_IMPORT,    /* the records with badges (the owner's login) */
    SYNC_COPY_FOR_PROGRAMME, /* … and every kiosk's events: who attended what a change moves */
    SYNC_COPY_FOR_REPORTS,   /* the records without badges, and the events (an office login) */
};
/* Events of the ledger no kiosk writes (event_insane_field: signed with a stolen key, say), left
 * out of a copy for reports and named, rather than stopping every report for good. NULL: such
 * an event refuses the whole copy (head office's imports). */
struct sync_skipped {
    int64_t n;
    char first[160]; /* "kiosk K seq N (wall_us)" */
};
/* events_from_us: only the events from then on (INT64_MIN: every one). */
int sync_copy(struct pg *pg, struct store *store, enum sync_copy_for purpose,
              int64_t events_from_us, struct sync_skipped *skipped, char *why, size_t cap);
/* Connects as [sync] says: password from its file, TLS options, timeout. */
int sync_connect(const struct sync_options *sync, struct pg **pg, char *why, size_t cap);
int sync_from_pg(int pg_error, const struct pg *pg);
/* Row i of a query returning seq, uuid, type, person, session, wall_us, mono_us, clock,
 * payload, prev_hash, hash, sig (the three in hex) as kiosk's event: 0, or -1 when a field is
 * unknown or does not fit. */
struct pg_result;
struct event;
int sync_event_from_row(const struct pg_result *r, int i, const char *kiosk, struct event *e);
/* What the last sync left in the store's meta table, for the screen and cpd-admin. */
struct sync_state {
    int64_t last_success_us; /* 0: never */
    int64_t acked_seq;
    int64_t clock_offset_ms;
    char last_error[160];
};
int sync_state_read(struct store *store, struct sync_state *out);

#endif
