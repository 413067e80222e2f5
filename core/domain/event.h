/* event.h — the append-only event record, its canonical encoding, hash chain and signature.
 *
 * Every tap and every trainer action is one event. An event's hash is
 * SHA-256(prev_hash ‖ canonical(event)), its signature Ed25519(hash) with the kiosk's key, so
 * editing, dropping or reordering any event breaks the chain from there on. The canonical
 * encoding (documented in docs/events.md, reproduced by the ledger) is, for each field in order
 * kiosk, seq, uuid, type, person, session, wall_us, mono_us, clock, payload:
 *   <decimal byte length> ":" <bytes> "\n"
 * Pure apart from crypto; no allocation. */
#ifndef CPD_EVENT_H
#define CPD_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#include "core/domain/crypto.h"
#include "core/domain/domain.h"

#define EVENT_UUID_LEN    37
#define EVENT_KIOSK_MAX   64
#define EVENT_CLOCK_MAX   32
#define EVENT_PAYLOAD_MAX 1024
#define EVENT_CANONICAL_MAX                                                                        \
    (EVENT_PAYLOAD_MAX + 2 * DOMAIN_CODE_MAX + EVENT_KIOSK_MAX + EVENT_CLOCK_MAX + 256)

enum event_type {
    EV_SIGN_IN,         /* badge tap signed a person in */
    EV_SIGN_OUT,        /* badge tap signed a person out ("early" in payload when confirmed) */
    EV_AUTO_CLOSE,      /* no sign-out by end + checkout window: closed at the end, flagged */
    EV_ALREADY_IN,      /* repeat tap: nothing changed */
    EV_ALREADY_OUT,     /* tap after signing out of the session: nothing changed */
    EV_LEAVE_PROMPT,    /* mid-session tap: asked to tap again to leave early */
    EV_CHOOSE_PROMPT,   /* several sessions open and none (or several) booked */
    EV_NO_SESSION,      /* nothing open to sign into */
    EV_UNKNOWN_BADGE,   /* badge not enrolled (payload: last4, badge hash) */
    EV_RANDOM_UID,      /* a phone or bank card with a random UID, refused */
    EV_INACTIVE_BADGE,  /* the person is no longer active */
    EV_TRAINER_BADGE,   /* a trainer's badge: PIN pad next */
    EV_MANUAL_SIGN_IN,  /* a trainer signed someone in (payload: trainer, reason, at_us) */
    EV_MANUAL_SIGN_OUT, /* a trainer signed someone out (payload: trainer, reason, at_us) */
    EV_APPROVE,         /* a trainer approved full credit for a flagged attendance */
    EV_CORRECTION,      /* a trainer set the credits of an attendance (payload: credits_q) */
    EV_BADGE_ENROLLED,  /* a badge enrolled on the spot (payload: trainer, last4) */
    EV_VOID_ATTENDANCE, /* an attendance recorded by mistake counts nothing (payload: by, reason) */
    EV_CLOCK_REFUSED,   /* a tap refused: the clock cannot be believed (payload: clock, badge) */
    EV_BADGE_REVOKED,   /* a lost or replaced badge refused from now on (badge_hash, by, reason) */
    EV_CREDIT_VOIDED,   /* a credit recorded elsewhere counts nothing (programme, date, by, why) */
    EV_BOOKING_CANCELLED, /* a booking that no longer holds (by, reason) */
    EV_CHAIN_ANCHOR,      /* the first event of a kiosk that replaced a retired one: the old chain's
                             kiosk, last seq, last hash and public key */
    EV_EVALUATION,        /* how useful tonight was, answered at sign-out (payload: score 1–5) */
    EV_TYPE_COUNT
};

struct event {
    int64_t seq; /* per kiosk, 1, 2, 3 … in commit order */
    char uuid[EVENT_UUID_LEN];
    char kiosk[EVENT_KIOSK_MAX];
    enum event_type type;
    char person[DOMAIN_CODE_MAX];  /* staff_no, "" when none */
    char session[DOMAIN_CODE_MAX]; /* session code, "" when none */
    int64_t wall_us;               /* UTC wall clock, µs since the epoch */
    int64_t mono_us;               /* CLOCK_MONOTONIC µs: orders events if the wall clock jumps */
    char clock[EVENT_CLOCK_MAX];   /* "synced", "unsynced", or "offset:+1234ms" */
    char payload[EVENT_PAYLOAD_MAX];
    uint8_t prev_hash[CRYPTO_HASH_BYTES];
    uint8_t hash[CRYPTO_HASH_BYTES];
    uint8_t sig[CRYPTO_SIG_BYTES];
};

const char *event_type_code(enum event_type type); /* "sign_in" */
int event_type_parse(const char *code);
/* An entry by hand or a correction: an event someone made on purpose, naming who and why. */
bool event_by_hand(enum event_type type);
/* What it did, in words for a report: "signed in by hand", "credit voided"; "" otherwise. */
const char *event_by_hand_words(enum event_type type);
/* Its who ("by", or the trainer's staff number) and why ("reason"); "" for what it lacks. */
void event_who_and_why(const struct event *event, char *who, size_t who_cap, char *why,
                       size_t why_cap);
/* A new event, before the store seals it (seq, uuid, hashes, signature): every field copied
 * whole, or EVENT_ETOOBIG when one does not fit (never cut). person, session: NULL or "" for
 * none; clock NULL for "unsynced"; payload NULL for "{}". The one way events are made. */
int event_make(struct event *event, enum event_type type, const char *person, const char *session,
               int64_t wall_us, int64_t mono_us, const char *clock, const char *payload);
/* Fresh random (version 4) UUID. */
void event_new_uuid(char out[EVENT_UUID_LEN]);
/* The canonical bytes; returns their length, or EVENT_ETOOBIG. */
int event_canonical(const struct event *event, char *out, size_t cap);
/* Sets prev_hash, hash and sig. */
int event_seal(struct event *event, const uint8_t prev_hash[CRYPTO_HASH_BYTES],
               const uint8_t sk[CRYPTO_SIGN_SK_BYTES]);
/* EVENT_OK when hash and signature are right for this event and its own prev_hash. */
int event_check(const struct event *event, const uint8_t pk[CRYPTO_SIGN_PK_BYTES]);
/* The hash alone (an event signed with a key not at hand: an earlier key of the kiosk). */
int event_check_hash(const struct event *event);
/* The first of the event's fields no kiosk writes, named ("wall_us", "payload date"), or NULL:
 * times from 1970 to 9999 (a tap refused for its clock records the clock as it read, from
 * 1970), a monotonic time not below zero, a credit_voided's date a real day. The ledger refuses
 * such an event (one signed with a stolen key would otherwise stop every report); readers of
 * the ledger skip it, named. */
const char *event_insane_field(const struct event *event);
#define EVENT_TIME_END_US INT64_C(253402300800000000) /* 10000-01-01 */

/* Walks a chain one event at a time: feed events in seq order. */
struct event_chain {
    int64_t last_seq;
    uint8_t last_hash[CRYPTO_HASH_BYTES];
};
void event_chain_start(struct event_chain *chain);
int event_chain_next(struct event_chain *chain, const struct event *event,
                     const uint8_t pk[CRYPTO_SIGN_PK_BYTES]);

#endif
