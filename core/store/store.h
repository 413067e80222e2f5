/* store.h — the kiosk's local SQLite store (store.c is the only file that includes sqlite3.h).
 *
 * One struct store per thread: a connection with WAL, synchronous=FULL (a commit is on disk
 * before it returns), foreign keys and a busy timeout; migrations by PRAGMA user_version, each
 * in one transaction; the file 0600 and `PRAGMA quick_check` at open. SQL only through prepared
 * statements. Every function returns STORE_OK or a negative STORE_E* code; store_message()
 * gives SQLite's text of the last failure for the log. Records are copied into caller-owned
 * structs; the store keeps no pointer to them.
 *
 * events is append-only (triggers refuse UPDATE and DELETE); store_append_event() seals each
 * event into the hash chain and folds it into the attendance projection in the same
 * transaction. */
#ifndef CPD_STORE_H
#define CPD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#include "core/domain/crypto.h"
#include "core/domain/domain.h"
#include "core/domain/event.h"
#include "core/domain/pin.h"

#define STORE_SCHEMA_VERSION 8

struct store;

/* On failure why (may be NULL) receives SQLite's or the system's reason, for the log. */
int store_open(const char *path, struct store **out, char *why, size_t why_cap);
/* The same, read only, for looking at a store (`verify`, `events`, `doctor`; a read-only mount,
 * evidence, a running kiosk's): read from a private copy of the file and its WAL in $TMPDIR,
 * removed at close — nothing is created, migrated or written beside the file; any write fails.
 * STORE_ENOREAD when it may not be read, STORE_EBUSY when it kept changing under five copies. */
int store_open_readonly(const char *path, struct store **out, char *why, size_t why_cap);
/* Read only, for getting what can still be read out of a damaged store (cpd-admin salvage): no
 * quick_check, no schema check; each read may fail on its own (STORE_ECORRUPT, STORE_EIO). */
int store_open_damaged(const char *path, struct store **out, char *why, size_t why_cap);
/* For a signal handler (async-signal-safe): removes the private copies the read-only and
 * damaged opens made and have not removed yet (a copy of everyone's taps in $TMPDIR). */
void store_look_remove_on_signal(void);
void store_close(struct store *store);
const char *store_message(const struct store *store);
/* false when the directory holding the file is readable or writable by others. */
bool store_dir_private(const struct store *store);
int store_schema_version(struct store *store, int *version);
/* How this connection has waited for another's write lock (an import, the sync) since it
 * opened: how many times, and the longest wait in µs (to the last look, within 1 ms). */
struct store_lock_waits {
    int64_t count;
    int64_t longest_us;
};
void store_lock_waits(const struct store *store, struct store_lock_waits *out);

/* Explicit transactions (BEGIN IMMEDIATE); store calls inside one join it. */
int store_begin(struct store *store);
int store_commit(struct store *store);
int store_rollback(struct store *store);

int store_meta_get(struct store *store, const char *key, char *out, size_t cap);
/* The clock readings the store keeps as evidence (core/domain/clockcheck.h), each
 * "BOOT_ID WALL_US MONO_US": the last tap decided on a believed clock, and the last sync (the
 * ledger's time then). */
#define STORE_META_CLOCK_TAP    "clock_last_tap"
#define STORE_META_CLOCK_LEDGER "clock_last_ledger"
int store_meta_set(struct store *store, const char *key, const char *value);

/* People and badges. */
int store_person_upsert(struct store *store, const struct person *person, int64_t *id_out);
int store_person_by_staff_no(struct store *store, const char *staff_no, struct person *out);
int store_person_by_id(struct store *store, int64_t id, struct person *out);
typedef int (*store_person_fn)(void *ctx, const struct person *person, int badges);
int store_people_each(struct store *store, store_person_fn fn, void *ctx);
/* STORE_ECONSTRAINT when the badge belongs to someone else; STORE_OK if already theirs. */
int store_badge_add(struct store *store, int64_t person_id,
                    const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4);
int store_badge_lookup(struct store *store, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                       int64_t *person_id);
/* True when a badge_revoked event refused this badge (lost, replaced). */
int store_badge_revoked(struct store *store, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                        bool *revoked);
typedef int (*store_badge_fn)(void *ctx, const struct person *person, const char *last4,
                              int64_t added_us);
int store_badges_each(struct store *store, store_badge_fn fn, void *ctx);

/* The programme: every row of the programme CSV is a course; dated ones have a session. */
struct course_row {
    char code[DOMAIN_CODE_MAX];
    char period[16];
    char category[32];
    char title[DOMAIN_TITLE_MAX];
    enum delivery delivery;
    enum course_kind kind;
    int credits_q; /* -1 when none printed */
    char group[DOMAIN_CODE_MAX];
    enum frequency frequency;
    char due[DOMAIN_NOTE_MAX];
    char note[DOMAIN_NOTE_MAX];
};
int store_course_upsert(struct store *store, const struct course_row *course, int64_t *id_out);
int store_course_by_code(struct store *store, const char *code, struct course_row *out,
                         int64_t *id_out);
/* Inserts or updates the session of course_id; session->code must equal the course's code. */
int store_session_upsert(struct store *store, int64_t course_id, const struct session *session,
                         int64_t *id_out);
int store_session_by_code(struct store *store, const char *code, struct session *out);
int store_session_by_id(struct store *store, int64_t id, struct session *out);
/* The list functions below fill out[0..cap) and return STORE_ETOOMANY when there are more rows
 * than that (never a silently shorter list): the caller grows its list or says so. */
/* Sessions with start_us ≤ to_us and end_us ≥ from_us, by start; *n ≤ cap. */
int store_sessions_between(struct store *store, int64_t from_us, int64_t to_us, struct session *out,
                           size_t cap, size_t *n);
/* The first session starting at or after from_us that the kiosk records. */
int store_next_session(struct store *store, int64_t from_us, struct session *out);
int store_package_sessions(struct store *store, struct session *out, size_t cap, size_t *n);
int store_mandatory_courses(struct store *store, struct mandatory_course *out, size_t cap,
                            size_t *n);
int store_count(struct store *store, const char *table, int64_t *n);

/* Bookings and external credits. */
int store_booking_add(struct store *store, int64_t person_id, int64_t session_id);
int store_booked(struct store *store, int64_t person_id, int64_t session_id, bool *booked);
struct external_row {
    int64_t person_id;
    int64_t course_id;
    enum external_source source;
    civil_day date;
    int credits_q;
    char certificate[DOMAIN_CODE_MAX];
    bool directed;
    char note[DOMAIN_NOTE_MAX];
};
int store_external_upsert(struct store *store, const struct external_row *row);
/* The stored record of this person, course and date; STORE_ENOTFOUND when there is none. */
int store_external_get(struct store *store, int64_t person_id, int64_t course_id, civil_day date,
                       struct external_row *out);
int store_external_for(struct store *store, int64_t person_id, struct external_credit *out,
                       size_t cap, size_t *n);

/* Events. The signer is needed to append; kiosk is the id written into each event. The key
 * must be the store's recorded key (recorded at first use) and the newest events must verify
 * with it: STORE_EKEY for another key, STORE_ETAMPERED for an edited chain (store_message says
 * which event) — nothing is ever signed on top of either. */
int store_set_signer(struct store *store, const char *kiosk,
                     const uint8_t sk[CRYPTO_SIGN_SK_BYTES]);
/* STORE_EKEY when the site key is not the one this store's badges were enrolled with; the
 * first key seen is recorded (a digest of it) when record is set. */
int store_site_key_check(struct store *store, const uint8_t key[CRYPTO_SITE_KEY_BYTES],
                         bool record);
/* Fills seq, kiosk, prev_hash, hash and sig (and uuid when empty), appends, projects. */
int store_append_event(struct store *store, struct event *event);
/* The signer's kiosk id and public key. */
int store_signer(const struct store *store, char *kiosk, size_t cap,
                 uint8_t pk[CRYPTO_SIGN_PK_BYTES]);
/* What store_set_signer checks before it signs anything, without signing: the newest events
 * verify with pk and none are missing below the highest seq ever written; STORE_ETAMPERED with
 * store_message saying which otherwise. Works on a read-only store (cpd-admin doctor). */
int store_check_tip(struct store *store, const uint8_t pk[CRYPTO_SIGN_PK_BYTES]);
/* The newest event's seq and hash (0 and zeros when there is none). */
int store_chain_tip(struct store *store, int64_t *seq, uint8_t hash[CRYPTO_HASH_BYTES]);
/* Appends an event this kiosk sealed earlier and lost (taken back from the ledger after a
 * restore from an old backup): it must be this kiosk's, continue the chain and verify with pk;
 * STORE_EINVALID otherwise. Projected like any other. */
int store_adopt_event(struct store *store, const struct event *event,
                      const uint8_t pk[CRYPTO_SIGN_PK_BYTES]);
/* A copy of the central ledger made for reports (cpd-admin report --ledger): every kiosk's
 * events as the ledger holds them (verified there when pushed), folded in the order given, in
 * one transaction. The copy numbers them itself and holds no chain, so it can never sign:
 * store_set_signer refuses it from then on. STORE_EINVALID on a store that signs. */
int store_copy_events(struct store *store, const struct event *events, size_t n);
typedef int (*store_event_fn)(void *ctx, const struct event *event);
int store_events_each(struct store *store, int64_t from_seq, store_event_fn fn, void *ctx);
/* The event numbered seq (STORE_ENOTFOUND when there is none). */
int store_event_at(struct store *store, int64_t seq, struct event *out);
/* The first event numbered after seq (STORE_ENOTFOUND when there is none). */
int store_event_after(struct store *store, int64_t seq, struct event *out);
/* The wall time of the newest event that was not a refused tap (0 when none). */
int store_newest_believed_wall(struct store *store, int64_t *wall_us);
/* The person's events, oldest first. */
int store_events_of(struct store *store, const char *staff_no, store_event_fn fn, void *ctx);
/* The same from seq from_seq on, newest first (fn returns CPD_STOP once it has read enough). */
int store_events_of_newest_first(struct store *store, const char *staff_no, int64_t from_seq,
                                 store_event_fn fn, void *ctx);
/* The seq of the person's newest auto_close event (a forgotten sign-out the kiosk closed), by
 * its own index: a tap asks it, whatever the person's history; STORE_ENOTFOUND if none. */
int store_last_auto_close_of(struct store *store, const char *staff_no, int64_t *seq);
/* The events of one type, oldest first. */
int store_events_of_type(struct store *store, enum event_type type, store_event_fn fn, void *ctx);
/* The person's most recent event (any type). */
int store_last_event_of(struct store *store, const char *staff_no, struct event *out);

/* The attendance projection. */
int store_attendance_get(struct store *store, int64_t person_id, int64_t session_id,
                         struct attendance *out);
/* rows[i] at sessions[i], every session the person has a row for, by date; *n ≤ cap. */
int store_attendance_of(struct store *store, int64_t person_id, struct session *sessions,
                        struct attendance *rows, size_t cap, size_t *n);
/* Signed in, not out, at sessions that ended at or before ended_before_us. */
typedef int (*store_open_fn)(void *ctx, const struct person *person, const struct session *session,
                             const struct attendance *row);
int store_open_attendance_each(struct store *store, int64_t ended_before_us, store_open_fn fn,
                               void *ctx);
/* Everyone at a session, for registers. */
typedef int (*store_register_fn)(void *ctx, const struct person *person,
                                 const struct attendance *row);
int store_register_each(struct store *store, int64_t session_id, store_register_fn fn, void *ctx);
/* Everyone booked on a session, by name (the person callback's badges argument is 0). */
int store_bookings_of(struct store *store, int64_t session_id, store_person_fn fn, void *ctx);
/* How many events stored through this connection changed no attendance because their person
 * or session was not known yet (a rebuild would fold them in). */
int64_t store_unprojected(const struct store *store);
/* Empties attendance and folds every event again, in one transaction. */
int store_rebuild_projections(struct store *store);

/* What head office sends (sync) and what the ledger import exports. */
int store_badge_put(struct store *store, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                    const char *last4, int64_t person_id);
/* A revocation, void or cancellation another kiosk made, as the ledger's rows showed it turned
 * off since head office signed it on (sync_signed.c): kept like this store's own (seq 0: no
 * event of this store's), so the row never comes back on here, whatever a later pull says. */
int store_revocation_taken(struct store *store, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                           int64_t at_us);
int store_credit_void_taken(struct store *store, const char *staff_no, const char *course_code,
                            civil_day date);
int store_booking_cancel_taken(struct store *store, const char *staff_no, const char *session_code);
int store_badge_remove(struct store *store, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES]);
int store_booking_remove(struct store *store, int64_t person_id, int64_t session_id);
int store_external_remove(struct store *store, int64_t person_id, int64_t course_id,
                          civil_day date);
/* Every course, with its session when it is dated (NULL otherwise). */
typedef int (*store_course_fn)(void *ctx, const struct course_row *course,
                               const struct session *session);
int store_courses_each(struct store *store, store_course_fn fn, void *ctx);
typedef int (*store_badge_hash_fn)(void *ctx, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                                   const char *last4, const char *staff_no);
int store_badge_hashes_each(struct store *store, store_badge_hash_fn fn, void *ctx);
typedef int (*store_booking_fn)(void *ctx, const char *staff_no, const char *session_code);
int store_bookings_each(struct store *store, store_booking_fn fn, void *ctx);
typedef int (*store_external_fn)(void *ctx, const char *staff_no, const char *course_code,
                                 const struct external_row *row);
int store_external_each(struct store *store, store_external_fn fn, void *ctx);

/* Trainer PINs: argon2id hashes and the lockout state (kept so a restart does not reset it). */
int store_pin_get(struct store *store, int64_t person_id, struct pin_record *out);
int store_pin_set(struct store *store, int64_t person_id, const char *hash, int64_t now_us);
int store_pin_attempts(struct store *store, int64_t person_id, int failures,
                       int64_t locked_until_us);

/* The tap receipts: PATH-receipts beside the database, one line "SEQ HASH" for every event the
 * store committed, appended and fsynced after the commit and before the caller hears it
 * worked — a trace of what was acknowledged that a lost or damaged WAL cannot take with it
 * (store_receipts.c, docs/recovery.md). Lines may be out of seq order; a line a crash cut is
 * never one that was acknowledged. */
struct store_receipt {
    int64_t seq;
    uint8_t hash[CRYPTO_HASH_BYTES];
};
struct store_receipts {
    struct store_receipt *items; /* in file order */
    size_t n, cap;
    int64_t highest; /* the highest seq (0 when none) */
    bool exists;     /* the file is there */
    bool torn_tail;  /* its last line was cut by a crash (never acknowledged) */
    int64_t damaged_lines, first_damaged_line;
};
int store_receipts_path(const char *db_path, char *out, size_t cap);
/* The whole file: STORE_ENOTFOUND when there is none; why (may be NULL) names the file. */
int store_receipts_read(const char *db_path, struct store_receipts *out, char *why, size_t cap);
/* Only its newest lines (the start-up check). */
int store_receipts_tail(const char *db_path, struct store_receipts *out, char *why, size_t cap);
void store_receipts_free(struct store_receipts *receipts);
/* Every receipt from where the chain starts (store_purged_below) against the events there are. */
struct store_receipts_check {
    int64_t receipts;
    int64_t missing, missing_low, missing_high; /* acknowledged, and not in the database */
    int64_t differ, first_differ;               /* in it, but another event than acknowledged */
};
int store_check_receipts(struct store *store, const struct store_receipts *receipts,
                         struct store_receipts_check *out);
/* True once the store has written receipts: a receipts file missing beside it is then lost. */
bool store_receipts_expected(struct store *store);
/* After store_set_signer: true when the receipts name events after this store's chain tip
 * (from..to) — a store behind what it acknowledged (its WAL lost, an old copy put back). It
 * signs nothing until the events are back (store_adopt_event, as the sync takes them from the
 * ledger): store_append_event says STORE_EMISSING. */
bool store_behind_receipts(struct store *store, int64_t *from, int64_t *to);

/* Of seqs from..to (events about to be taken back from the ledger), how many no receipt names,
 * and the first and last such: events this store never committed — the whole disk put back
 * from a backup, or another copy of this kiosk (a clone) that signed them. 0 when the store
 * keeps no receipts. */
int store_unreceipted(struct store *store, int64_t from, int64_t to, int64_t *count, int64_t *first,
                      int64_t *last);

/* Chain and signature check of every event. first_bad_seq is 0 when all is well. */
struct store_verify_report {
    int64_t events;
    int64_t first_bad_seq;
    int error;            /* EVENT_E* for the first bad event */
    int64_t purged_below; /* > 1: events before it were purged; the chain starts at it */
};
int store_verify(struct store *store, const uint8_t pk[CRYPTO_SIGN_PK_BYTES],
                 struct store_verify_report *report);
int store_quick_check(struct store *store);
/* Retention: deletes the events before the first one that is either not older than before_us
 * or not below keep_from (the newest seq the ledger holds: it and everything after stay), and
 * the attendance of sessions that ended before before_us. What the purged events made current
 * state — a revoked badge, a voided credit, a cancelled booking — stays, rebuilds included. The
 * first event kept is the chain's anchor: it is signed, and its prev_hash names the last one
 * purged, so verify goes on passing; meta purge_below says where the chain starts. *purged counts
 * the events deleted. */
int store_purge(struct store *store, int64_t keep_from, int64_t before_us, int64_t *purged);
/* Where the chain starts after purges (1 when nothing was purged). */
int64_t store_purged_below(struct store *store);
/* EXPLAIN QUERY PLAN of the queries behind a credit summary, one line each, for tests. */
int store_explain_summary(struct store *store, char *out, size_t cap);

#endif
