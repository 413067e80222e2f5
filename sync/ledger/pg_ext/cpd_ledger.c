/* cpd_ledger — the PostgreSQL extension behind the ledger's checks (CREATE EXTENSION cpd_ledger,
 * once, by a superuser). PostgreSQL has no Ed25519, and the event hash is the kiosk's own code:
 * this module links core/event.c and core/crypto.c (libsodium), so the ledger checks an event
 * with exactly the function that sealed it. Pure: no table access, no side effects. */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "core/domain/crypto.h"
#include "core/domain/event.h"
#include "core/domain/payload.h"
#include "sync/ledger/pg_ext/cpd_guard.h"

PG_MODULE_MAGIC;

void _PG_init(void);
PGDLLEXPORT Datum cpd_ed25519_verify(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum cpd_event_hash(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum cpd_check_events(PG_FUNCTION_ARGS);

/* What one push may carry; the kiosk sends 1,000 at a time by default. */
#define MAX_BATCH 10000

#define CP_CHAIN     MAKE_SQLSTATE('C', 'P', '0', '0', '2')
#define CP_HASH      MAKE_SQLSTATE('C', 'P', '0', '0', '3')
#define CP_SIGNATURE MAKE_SQLSTATE('C', 'P', '0', '0', '4')
#define CP_MALFORMED MAKE_SQLSTATE('C', 'P', '0', '0', '5')

void _PG_init(void)
{
    if (crypto_init() != CRYPTO_OK)
        elog(ERROR, "cpd_ledger: libsodium could not initialise");
    cpd_guard_init();
}

PG_FUNCTION_INFO_V1(cpd_ed25519_verify);

Datum cpd_ed25519_verify(PG_FUNCTION_ARGS)
{
    bytea *sig = PG_GETARG_BYTEA_PP(0);
    bytea *msg = PG_GETARG_BYTEA_PP(1);
    bytea *pk = PG_GETARG_BYTEA_PP(2);
    if (VARSIZE_ANY_EXHDR(sig) != CRYPTO_SIG_BYTES || VARSIZE_ANY_EXHDR(pk) != CRYPTO_SIGN_PK_BYTES)
        PG_RETURN_BOOL(false);
    PG_RETURN_BOOL(crypto_verify_digest((const uint8_t *)VARDATA_ANY(sig),
                                        (const uint8_t *)VARDATA_ANY(msg), VARSIZE_ANY_EXHDR(msg),
                                        (const uint8_t *)VARDATA_ANY(pk)) == CRYPTO_OK);
}

/* ---- one event from SQL values ----------------------------------------------------------- */

/* Copies a text value into a fixed field; false when it does not fit (never cut). */
static bool copy_text(char *dst, size_t cap, text *t)
{
    size_t n = VARSIZE_ANY_EXHDR(t);
    if (n >= cap || memchr(VARDATA_ANY(t), '\0', n))
        return false;
    memcpy(dst, VARDATA_ANY(t), n);
    dst[n] = '\0';
    return true;
}

static bool copy_bytes(uint8_t *dst, size_t len, bytea *b)
{
    if (VARSIZE_ANY_EXHDR(b) != len)
        return false;
    memcpy(dst, VARDATA_ANY(b), len);
    return true;
}

PG_FUNCTION_INFO_V1(cpd_event_hash);

/* cpd_ledger.event_hash(prev, kiosk, seq, uuid, type, person, session, wall_us, mono_us, clock,
 * payload): what event_seal() computes; NULL for a value the kiosk could never have sealed. */
Datum cpd_event_hash(PG_FUNCTION_ARGS)
{
    struct event e;
    memset(&e, 0, sizeof(e));
    int type = -1;
    char code[DOMAIN_CODE_MAX];
    e.seq = PG_GETARG_INT64(2);
    e.wall_us = PG_GETARG_INT64(7);
    e.mono_us = PG_GETARG_INT64(8);
    bool ok = copy_bytes(e.prev_hash, CRYPTO_HASH_BYTES, PG_GETARG_BYTEA_PP(0)) &&
              copy_text(e.kiosk, sizeof(e.kiosk), PG_GETARG_TEXT_PP(1)) &&
              copy_text(e.uuid, sizeof(e.uuid), PG_GETARG_TEXT_PP(3)) &&
              copy_text(code, sizeof(code), PG_GETARG_TEXT_PP(4)) &&
              (type = event_type_parse(code)) >= 0 &&
              copy_text(e.person, sizeof(e.person), PG_GETARG_TEXT_PP(5)) &&
              copy_text(e.session, sizeof(e.session), PG_GETARG_TEXT_PP(6)) &&
              copy_text(e.clock, sizeof(e.clock), PG_GETARG_TEXT_PP(9)) &&
              copy_text(e.payload, sizeof(e.payload), PG_GETARG_TEXT_PP(10));
    char canonical[EVENT_CANONICAL_MAX];
    int len =
        ok ? (e.type = (enum event_type)type, event_canonical(&e, canonical, sizeof(canonical)))
           : -1;
    if (len < 0)
        PG_RETURN_NULL();
    bytea *out = palloc(VARHDRSZ + CRYPTO_HASH_BYTES);
    SET_VARSIZE(out, VARHDRSZ + CRYPTO_HASH_BYTES);
    crypto_sha256((uint8_t *)VARDATA(out), e.prev_hash, CRYPTO_HASH_BYTES, canonical, (size_t)len);
    PG_RETURN_BYTEA_P(out);
}

/* ---- a whole batch ----------------------------------------------------------------------- */

enum column {
    C_SEQ,
    C_UUID,
    C_TYPE,
    C_PERSON,
    C_SESSION,
    C_WALL,
    C_MONO,
    C_CLOCK,
    C_PAYLOAD,
    C_PREV,
    C_HASH,
    C_SIG,
    C_COUNT
};

struct columns {
    Datum *values[C_COUNT];
    int n;
};

static const Oid column_type[C_COUNT] = {INT8OID, TEXTOID, TEXTOID, TEXTOID,  TEXTOID,  INT8OID,
                                         INT8OID, TEXTOID, TEXTOID, BYTEAOID, BYTEAOID, BYTEAOID};

/* One array argument: one-dimensional, of the expected type, no NULL element; ereports what is
 * not. */
static void unpack_array(FunctionCallInfo fcinfo, int arg, Oid type, Datum **values, int *n)
{
    if (PG_ARGISNULL(arg))
        ereport(ERROR, (errcode(CP_MALFORMED), errmsg("push: argument %d is NULL", arg + 1)));
    ArrayType *a = PG_GETARG_ARRAYTYPE_P(arg);
    bool *nulls = NULL;
    if (ARR_NDIM(a) > 1 || ARR_ELEMTYPE(a) != type)
        ereport(ERROR, (errcode(CP_MALFORMED), errmsg("push: argument %d is malformed", arg + 1)));
    if (type == INT8OID)
        deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, values, &nulls, n);
    else
        deconstruct_array(a, type, -1, false, TYPALIGN_INT, values, &nulls, n);
    for (int k = 0; k < *n; k++) {
        if (nulls[k])
            ereport(ERROR, (errcode(CP_MALFORMED),
                            errmsg("push: element %d of argument %d is NULL", k + 1, arg + 1)));
    }
}

/* Unpacks the twelve parallel arrays; every one the same length. */
static void unpack(FunctionCallInfo fcinfo, int first_arg, struct columns *c)
{
    c->n = -1;
    for (int i = 0; i < C_COUNT; i++) {
        int n = 0;
        unpack_array(fcinfo, first_arg + i, column_type[i], &c->values[i], &n);
        if (c->n >= 0 && n != c->n)
            ereport(ERROR, (errcode(CP_MALFORMED), errmsg("push: the arrays differ in length")));
        c->n = n;
    }
    if (c->n > MAX_BATCH)
        ereport(ERROR, (errcode(CP_MALFORMED),
                        errmsg("push: %d events in one batch (at most %d)", c->n, MAX_BATCH)));
}

/* Event k of the batch as the kiosk sealed it; ereports what cannot be an event. */
static void event_at(const struct columns *c, int k, const char *kiosk, struct event *e)
{
    memset(e, 0, sizeof(*e));
    char code[DOMAIN_CODE_MAX];
    e->seq = DatumGetInt64(c->values[C_SEQ][k]);
    e->wall_us = DatumGetInt64(c->values[C_WALL][k]);
    e->mono_us = DatumGetInt64(c->values[C_MONO][k]);
    snprintf(e->kiosk, sizeof(e->kiosk), "%s", kiosk);
    int type = -1;
#define TEXT_AT(col)  DatumGetTextPP(c->values[col][k])
#define BYTES_AT(col) DatumGetByteaPP(c->values[col][k])
    const char *bad = !copy_text(e->uuid, sizeof(e->uuid), TEXT_AT(C_UUID)) ? "uuid"
                      : !copy_text(code, sizeof(code), TEXT_AT(C_TYPE))     ? "type"
                      : (type = event_type_parse(code)) < 0                 ? "type (unknown)"
                      : !copy_text(e->person, sizeof(e->person), TEXT_AT(C_PERSON))    ? "person"
                      : !copy_text(e->session, sizeof(e->session), TEXT_AT(C_SESSION)) ? "session"
                      : !copy_text(e->clock, sizeof(e->clock), TEXT_AT(C_CLOCK))       ? "clock"
                      : !copy_text(e->payload, sizeof(e->payload), TEXT_AT(C_PAYLOAD))
                          ? "payload (too long)"
                      : !copy_bytes(e->prev_hash, CRYPTO_HASH_BYTES, BYTES_AT(C_PREV)) ? "prev_hash"
                      : !copy_bytes(e->hash, CRYPTO_HASH_BYTES, BYTES_AT(C_HASH))      ? "hash"
                      : !copy_bytes(e->sig, CRYPTO_SIG_BYTES, BYTES_AT(C_SIG))         ? "signature"
                                                                                       : NULL;
#undef TEXT_AT
#undef BYTES_AT
    if (!bad && payload_check_object(e->payload) != PAYLOAD_OK)
        bad = "payload (not a JSON object)";
    if (!bad) {
        e->type = (enum event_type)type;
        bad = event_insane_field(e); /* what no kiosk writes: it would stop every report */
    }
    if (bad)
        ereport(ERROR, (errcode(CP_MALFORMED),
                        errmsg("event seq %lld: malformed %s", (long long)e->seq, bad)));
    e->type = (enum event_type)type;
}

/* The key that signs seq: the newest whose range starts at or before it. */
static const uint8_t *key_for(int64 seq, Datum *froms, Datum *keys, int n_keys)
{
    const uint8_t *best = NULL;
    int64 best_from = 0;
    for (int i = 0; i < n_keys; i++) {
        int64 from = DatumGetInt64(froms[i]);
        bytea *k = DatumGetByteaPP(keys[i]);
        if (from <= seq && (!best || from >= best_from) &&
            VARSIZE_ANY_EXHDR(k) == CRYPTO_SIGN_PK_BYTES) {
            best = (const uint8_t *)VARDATA_ANY(k);
            best_from = from;
        }
    }
    return best;
}

PG_FUNCTION_INFO_V1(cpd_check_events);

/* cpd_ledger.check_events(kiosk, last_seq, last_hash, key_from bigint[], keys bytea[],
 * seq[], uuid[], type[], person[], session[], wall[], mono[], clock[], payload[], prev[],
 * hash[], sig[]) → the number of new events (those after last_seq), once every one of them is
 * well-formed, continues the chain (seq and prev_hash), hashes to its hash and carries the
 * signature of the kiosk's key for its seq. Events at or before last_seq are the caller's to
 * compare. Raises CP002 chain, CP003 hash, CP004 signature, CP005 malformed. */
Datum cpd_check_events(PG_FUNCTION_ARGS)
{
    char kiosk[EVENT_KIOSK_MAX];
    /* Not STRICT: a NULL anywhere is an error, never a skipped check. */
    for (int arg = 0; arg < PG_NARGS(); arg++) {
        if (PG_ARGISNULL(arg))
            ereport(ERROR, (errcode(CP_MALFORMED), errmsg("push: argument %d is NULL", arg + 1)));
    }
    if (!copy_text(kiosk, sizeof(kiosk), PG_GETARG_TEXT_PP(0)))
        ereport(ERROR, (errcode(CP_MALFORMED), errmsg("push: kiosk id too long")));
    int64 last_seq = PG_GETARG_INT64(1);
    struct event_chain chain = {.last_seq = last_seq};
    if (!copy_bytes(chain.last_hash, CRYPTO_HASH_BYTES, PG_GETARG_BYTEA_PP(2)))
        ereport(ERROR,
                (errcode(CP_MALFORMED), errmsg("push: the ledger's chain tip is malformed")));
    Datum *froms, *keys;
    int n_from, n_keys;
    unpack_array(fcinfo, 3, INT8OID, &froms, &n_from);
    unpack_array(fcinfo, 4, BYTEAOID, &keys, &n_keys);
    if (n_from != n_keys)
        ereport(ERROR, (errcode(CP_MALFORMED), errmsg("push: key ranges are malformed")));
    struct columns c;
    unpack(fcinfo, 5, &c);
    int fresh = 0;
    for (int k = 0; k < c.n; k++) {
        struct event e;
        event_at(&c, k, kiosk, &e);
        if (e.seq <= last_seq)
            continue;
        const uint8_t *pk = key_for(e.seq, froms, keys, n_keys);
        if (!pk)
            ereport(ERROR,
                    (errcode(CP_SIGNATURE), errmsg("event seq %lld: kiosk %s has no key for it",
                                                   (long long)e.seq, kiosk)));
        int64 expected = chain.last_seq + 1;
        int rc = event_chain_next(&chain, &e, pk);
        if (rc == EVENT_ESEQ || rc == EVENT_ECHAIN)
            ereport(ERROR, (errcode(CP_CHAIN),
                            errmsg("chain break: event seq %lld does not follow seq %lld of "
                                   "kiosk %s",
                                   (long long)e.seq, (long long)(expected - 1), kiosk)));
        if (rc == EVENT_EHASH || rc == EVENT_ETOOBIG)
            ereport(ERROR,
                    (errcode(CP_HASH),
                     errmsg("event seq %lld: hash does not match its content", (long long)e.seq)));
        if (rc != EVENT_OK)
            ereport(ERROR,
                    (errcode(CP_SIGNATURE), errmsg("event seq %lld: signature is not kiosk %s's",
                                                   (long long)e.seq, kiosk)));
        fresh++;
    }
    PG_RETURN_INT32(fresh);
}
