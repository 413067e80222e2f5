/* cpd_ledger — the PostgreSQL module behind cpd.ed25519_verify(): the ledger checks every pushed
 * event's Ed25519 signature with the kiosk's registered key (PostgreSQL has no Ed25519 of its
 * own). Built against postgresql-server-dev-15; uses our crypto.c (libsodium). */
#include "postgres.h"

#include "fmgr.h"

#include "crypto.h"

PG_MODULE_MAGIC;

void _PG_init(void);
PGDLLEXPORT Datum cpd_ed25519_verify(PG_FUNCTION_ARGS);

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
