/* sync_internal.h — what the sync's files share (sync/sync*.c only): the store's metadata the
 * sync keeps, and saying a local failure. */
#ifndef CPD_SYNC_INTERNAL_H
#define CPD_SYNC_INTERNAL_H

#include "sync/sync.h"
#include "sync/sync_pg.h"

#define FIELDS       12
#define META_ACKED   "ledger_acked_seq"
#define META_CURSOR  "ledger_pull_cursor"
#define META_SUCCESS "sync_last_success_us"
#define META_OFFSET  "clock_offset_ms"
#define META_ERROR   "sync_last_error"
#define META_LEDGER  "ledger_identity"
#define META_WHOLE   "ledger_whole_pull_us" /* this kiosk's clock at its last whole pull */
/* head office's time on the newest signed roster this kiosk took: never an older one after */
#define META_ROSTER_AT "office_roster_at_us"
/* 10000-01-01 00:00 UTC in µs since the epoch: no clock shows it. */
#define LEDGER_TIME_END_US INT64_C(253402300800000000)

/* A number kept in the store's metadata (0 when never written or unreadable). */
int64_t sync_meta_int(struct store *s, const char *key);
/* The same, with the store's error when it cannot be read — a decision must not be taken on a
 * 0 that was really a failed read. */
int sync_meta_int_checked(struct store *s, const char *key, int64_t *out);
int sync_meta_put_int(struct store *s, const char *key, int64_t value);
/* A failure of the local store, said once with the store's own reason ("disk is full") after
 * what the sync was doing: SYNC_ESTORE. */
int sync_store_failed(int store_err, const char *doing, char *why, size_t cap);
/* What a pull reads from the ledger, in order; a pull's results are indexed by it. */
enum pull_kind {
    PULL_PEOPLE,
    PULL_BADGES,
    PULL_COURSES,
    PULL_SESSIONS,
    PULL_BOOKINGS,
    PULL_CREDITS,
    PULL_KINDS
};
/* Head office's newest signed records a pull is checked against (sync_signed.c). */
struct signed_pull;
/* Head office's newest signed record of each kind (office_key_hex: its public key, 64 hex
 * digits), read on pg in the pull's own snapshot, each signature checked; refused
 * (SYNC_ETAMPER, named in why) when one is not signed or is older than this kiosk took. *out:
 * the records, for the calls below and sync_signed_free (also after a failure). */
int sync_signed_load(struct pg *pg, struct store *s, const char *office_key_hex,
                     struct signed_pull **out, char *why, size_t cap);
/* Whether head office signed a record since this kiosk last took one of its kind. */
bool sync_signed_newer(struct store *s, const struct signed_pull *sp);
/* Each row of res (pulled over range, the pull's since and upto) against its kind's record,
 * and each badge a kiosk enrolled since against that kiosk's signed event (read on pg in the
 * same snapshot): the first that differs named in why (SYNC_ETAMPER). complete (a whole
 * pull): every row a record names must also be in res. */
int sync_signed_check(struct pg *pg, struct signed_pull *sp,
                      struct pg_result *const res[PULL_KINDS], const char *const range[2],
                      bool complete, char *why, size_t cap);
/* The rows of res the check found turned off since head office signed them on — another
 * kiosk's revocation, void or cancellation — kept in the store for good (in the pull's own
 * local transaction), so the ledger cannot turn them back on here. */
int sync_signed_keep(struct store *s, const struct signed_pull *sp,
                     struct pg_result *const res[PULL_KINDS], int64_t now_us);
/* Head office's time on each record the pull took, kept: an older one is refused after. */
int sync_signed_remember(struct store *s, const struct signed_pull *sp);
void sync_signed_free(struct signed_pull *sp);
/* The roster, programme, bookings and credits since the cursor kept with the ledger's
 * identity, applied in one local transaction (sync_pull.c). office_key_hex (not ""): the
 * people and badges pulled are first checked against head office's newest signed roster, and
 * refused (SYNC_ETAMPER, nothing applied) where they differ. */
int sync_pull(struct pg *pg, struct store *s, const char *identity, const char *office_key_hex,
              struct sync_report *r, char *why, size_t cap);
/* This store's event seq (STORE_ENOTFOUND when none); the reason a chain diverged, both hashes
 * named (sync.c). */
int sync_local_event(struct store *s, int64_t seq, struct event *e);
void sync_diverged(char *why, size_t cap, int64_t seq, const uint8_t *ledger, const uint8_t *kiosk);
/* Takes back this kiosk's events from..to from the ledger (sync_heal.c). */
int sync_heal(struct pg *pg, struct store *s, const char *kiosk, const uint8_t pk[], int64_t from,
              int64_t to, struct sync_report *r, char *why, size_t cap);

#endif
