/* cpd_ledger — the PostgreSQL module behind cpd.ed25519_verify(): the ledger checks every pushed
 * event's Ed25519 signature with the kiosk's registered key (PostgreSQL has no Ed25519 of its
 * own). Built against postgresql-server-dev-15; uses our crypto.c (libsodium). */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "crypto.h"

PG_MODULE_MAGIC;

void _PG_init(void);
PGDLLEXPORT Datum cpd_ed25519_verify(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum cpd_event_hash(PG_FUNCTION_ARGS);

void _PG_init(void)
{
    if (crypto_init() != CRYPTO_OK)
        elog(ERROR, "cpd_ledger: libsodium could not initialise");
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

/* "<byte length>:<bytes>\n", as event_canonical() in core/event.c writes each field. */
static void put_field(StringInfo out, const char *bytes, int len)
{
    appendStringInfo(out, "%d:", len);
    appendBinaryStringInfo(out, bytes, len);
    appendStringInfoChar(out, '\n');
}

static void put_text(StringInfo out, text *t)
{
    put_field(out, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static void put_int(StringInfo out, int64 v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), INT64_FORMAT, v);
    put_field(out, num, n);
}

PG_FUNCTION_INFO_V1(cpd_event_hash);

/* cpd.event_hash(prev, kiosk, seq, uuid, type, person, session, wall_us, mono_us, clock,
 * payload): SHA-256 of prev followed by the canonical encoding. */
Datum cpd_event_hash(PG_FUNCTION_ARGS)
{
    bytea *prev = PG_GETARG_BYTEA_PP(0);
    StringInfoData canonical;
    initStringInfo(&canonical);
    put_text(&canonical, PG_GETARG_TEXT_PP(1));
    put_int(&canonical, PG_GETARG_INT64(2));
    for (int i = 3; i <= 6; i++)
        put_text(&canonical, PG_GETARG_TEXT_PP(i));
    put_int(&canonical, PG_GETARG_INT64(7));
    put_int(&canonical, PG_GETARG_INT64(8));
    put_text(&canonical, PG_GETARG_TEXT_PP(9));
    put_text(&canonical, PG_GETARG_TEXT_PP(10));
    bytea *out = palloc(VARHDRSZ + CRYPTO_HASH_BYTES);
    SET_VARSIZE(out, VARHDRSZ + CRYPTO_HASH_BYTES);
    crypto_sha256((uint8_t *)VARDATA(out), VARDATA_ANY(prev), VARSIZE_ANY_EXHDR(prev),
                  canonical.data, (size_t)canonical.len);
    pfree(canonical.data);
    PG_RETURN_BYTEA_P(out);
}
