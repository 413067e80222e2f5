/* store_internal.h — what the store's files share (core/store/ only): the connection and its
 * prepared statements, the row readers, and the one place that includes sqlite3.h. */
#ifndef CPD_STORE_INTERNAL_H
#define CPD_STORE_INTERNAL_H

#include <sqlite3.h>

#include "core/store/store.h"

#define BUSY_TIMEOUT_MS 5000

#define PERSON_COLS "p.id, p.staff_no, p.name, p.academy, p.role, p.active"
#define SESSION_COLS                                                                               \
    "s.id, c.code, c.title, s.location, c.grp, c.kind, c.delivery, coalesce(c.credits_q, -1), "    \
    "s.date, s.start_min, s.end_min, s.start_us, s.end_us"
#define SESSION_FROM " FROM sessions s JOIN courses c ON c.id = s.course_id"
#define EVENT_COLS                                                                                 \
    "seq, uuid, kiosk, type, person, session, wall_us, mono_us, clock, payload, prev_hash, "       \
    "hash, sig"
#define ATT_COLS "a.person_id, a.session_id, a.in_us, a.out_us, a.flags, a.override_q"

enum stmt_id {
    ST_META_GET,
    ST_META_SET,
    ST_PERSON_UPSERT,
    ST_PERSON_BY_STAFF,
    ST_PERSON_BY_ID,
    ST_PEOPLE,
    ST_BADGE_OWNER,
    ST_BADGE_INSERT,
    ST_BADGES,
    ST_COURSE_UPSERT,
    ST_COURSE_BY_CODE,
    ST_SESSION_UPSERT,
    ST_SESSION_BY_CODE,
    ST_SESSION_BY_ID,
    ST_SESSIONS_BETWEEN,
    ST_NEXT_SESSION,
    ST_PACKAGE_SESSIONS,
    ST_MANDATORY,
    ST_BOOKING_ADD,
    ST_BOOKED,
    ST_EXTERNAL_UPSERT,
    ST_EXTERNAL_GET,
    ST_EXTERNAL_FOR,
    ST_LAST_EVENT,
    ST_EVENT_INSERT,
    ST_EVENTS_FROM,
    ST_EVENT_AT,
    ST_EVENT_AFTER,
    ST_FIRST_SINCE,
    ST_PURGE_EVENTS,
    ST_PURGE_ATTENDANCE,
    ST_CLEAR_REVOCATIONS,
    ST_CLEAR_VOIDS,
    ST_CLEAR_CANCELLATIONS,
    ST_LAST_EVENT_OF,
    ST_EVENTS_OF,
    ST_EVENTS_OF_NEWEST,
    ST_LAST_AUTO_CLOSE_OF,
    ST_EVENTS_OF_TYPE,
    ST_REVOCATION_PUT,
    ST_NEWEST_BELIEVED,
    ST_CREDIT_VOID_PUT,
    ST_BOOKING_CANCEL_PUT,
    ST_REVOKED,
    ST_ATT_GET,
    ST_ATT_PUT,
    ST_ATT_OF,
    ST_ATT_OPEN,
    ST_REGISTER,
    ST_BOOKINGS_OF,
    ST_PIN_GET,
    ST_PIN_SET,
    ST_PIN_ATTEMPTS,
    ST_BADGE_PUT,
    ST_BADGE_DELETE,
    ST_BOOKING_DELETE,
    ST_EXTERNAL_DELETE,
    ST_COURSES_ALL,
    ST_BADGES_ALL,
    ST_BOOKINGS_ALL,
    ST_EXTERNAL_ALL,
    ST_COUNT
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT];
    int txn_depth;
    bool dir_private;
    bool has_signer;
    char kiosk[EVENT_KIOSK_MAX];
    uint8_t sk[CRYPTO_SIGN_SK_BYTES];
    char message[256];
    char path[4096];        /* the file as the caller named it: its receipts are beside it */
    char private_dir[4096]; /* a read-only open's private copy, removed at close ("" if none) */
    /* The tap receipts (store_receipts.c): the file, and the events of the open transaction. */
    int receipts_fd;
    struct store_receipt *pending;
    size_t n_pending, cap_pending;
    size_t n_committed; /* pending[0..n_committed) are committed, their receipts not yet written */
    bool pending_lost;
    bool receipts_noted; /* meta says this store keeps receipts */
    /* The highest receipt when the signer was set: nothing is signed below it (a store behind
     * what it acknowledged would fork its own chain); the sync may take those events back. */
    int64_t acked_high;
    uint8_t acked_hash[CRYPTO_HASH_BYTES];
    /* Waiting for another connection's write lock (store_open.c): when the current wait
     * began, and every wait so far (store_lock_waits). */
    int64_t busy_since_us;
    int64_t lock_waits, longest_lock_wait_us;
    int64_t unprojected; /* events stored here whose person or session was not known yet */
};

/* The highest seq this store ever wrote, kept beside the chain: newest events deleted (a
 * truncated or half-restored file) leave the tip below it, which the next open notices. */
#define META_HIGH_WATER "events_high_water"
/* Set once the store has written tap receipts. */
#define META_RECEIPTS_KEPT "receipts_kept"
/* Set in a copy of the ledger made for reports: it holds every kiosk's events, no chain. */
#define META_LEDGER_COPY "ledger_copy"

/* The chain (store_events.c, store_signer.c): its newest seq and hash; where events signed
 * with this kiosk's current key begin; STORE_EMISSING (or STORE_ETAMPERED) when signing after
 * tip would give an acknowledged number a second event. */
int chain_tip(struct store *s, int64_t *seq, uint8_t hash[CRYPTO_HASH_BYTES]);
int64_t key_from_seq(struct store *s);
int behind_receipts(struct store *s, int64_t tip, const uint8_t tip_hash[]);

/* The SQL of each statement (store_statements.c). */
extern const char *const stmt_sql[ST_COUNT];

#define PERSON_NCOLS  6
#define SESSION_NCOLS 13

#define FOR_EACH_ROW(s, st, body)                                                                  \
    do {                                                                                           \
        int rc_;                                                                                   \
        int stop_ = 0;                                                                             \
        while (!stop_ && (rc_ = sqlite3_step(st)) == SQLITE_ROW) {                                 \
            stop_ = (body);                                                                        \
        }                                                                                          \
        int err_ = stop_ ? stop_ : (rc_ == SQLITE_DONE ? STORE_OK : st_fail((s), rc_));            \
        st_done(st);                                                                               \
        return err_;                                                                               \
    } while (0)

void st_bind_text(sqlite3_stmt *st, int i, const char *text);
void st_column_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t len);
void st_column_text(sqlite3_stmt *st, int i, char *out, size_t cap);
void st_done(sqlite3_stmt *st);
int st_exec(struct store *s, const char *sql);
int st_fail(struct store *s, int rc);
int st_prepare(struct store *s, enum stmt_id id, sqlite3_stmt **out);
void st_read_attendance(sqlite3_stmt *st, int c, struct attendance *a);
void st_read_event(sqlite3_stmt *st, struct event *e);
void st_read_person(sqlite3_stmt *st, int c, struct person *p);
void st_read_session(sqlite3_stmt *st, int c, struct session *x);
int st_run(struct store *s, sqlite3_stmt *st);
int st_run_returning_id(struct store *s, sqlite3_stmt *st, int64_t *id_out);
int st_step_one(struct store *s, sqlite3_stmt *st);

/* The tap receipts (store_receipts.c): queued with each event inside a transaction, written
 * and fsynced when the outermost transaction commits, dropped when it rolls back. */
void receipts_queue(struct store *s, const struct event *e);
int receipts_flush(struct store *s);
void receipts_drop(struct store *s); /* the rolled-back transaction's */
/* After a purge: receipts below keep_from removed, the file replaced whole. */
int receipts_compact(struct store *s, int64_t keep_from);
/* Opening (store_open.c), shared with looking (store_look.c): a store not yet opened (its path
 * kept), an open that failed (the reason for the caller, the store freed), the schema version,
 * and a read-only open's private copy removed (store_look.c). */
struct store *store_alloc(const char *path);
/* The store's code for a system error: a full disk, a refusal (to write, or to read), else I/O. */
int st_errno(int e, bool writing);
int open_failed(struct store *s, int err, char *why, size_t why_cap);
int read_user_version(struct store *s, int *version);
void remove_private_copy(struct store *s);

#endif
