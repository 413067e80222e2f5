#include "core/domain/crypto.h"

#include <string.h>

#include <sodium.h>

int crypto_init(void)
{
    return sodium_init() < 0 ? CRYPTO_EINIT : CRYPTO_OK;
}

void crypto_random(void *buf, size_t len)
{
    randombytes_buf(buf, len);
}

void crypto_sha256(uint8_t out[CRYPTO_HASH_BYTES], const void *a, size_t alen, const void *b,
                   size_t blen)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, a, alen);
    crypto_hash_sha256_update(&st, b, blen);
    crypto_hash_sha256_final(&st, out);
}

void crypto_sign_keypair_new(uint8_t pk[CRYPTO_SIGN_PK_BYTES], uint8_t sk[CRYPTO_SIGN_SK_BYTES])
{
    crypto_sign_ed25519_keypair(pk, sk);
}

void crypto_sign_public_of(const uint8_t sk[CRYPTO_SIGN_SK_BYTES], uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    crypto_sign_ed25519_sk_to_pk(pk, sk);
}

void crypto_sign_digest(uint8_t sig[CRYPTO_SIG_BYTES], const uint8_t *msg, size_t len,
                        const uint8_t sk[CRYPTO_SIGN_SK_BYTES])
{
    crypto_sign_ed25519_detached(sig, NULL, msg, len, sk);
}

int crypto_verify_digest(const uint8_t sig[CRYPTO_SIG_BYTES], const uint8_t *msg, size_t len,
                         const uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0 ? CRYPTO_OK : CRYPTO_EBADSIG;
}

void crypto_badge_hash(uint8_t out[CRYPTO_BADGE_HASH_BYTES], const char *uid_hex,
                       const uint8_t site_key[CRYPTO_SITE_KEY_BYTES])
{
    crypto_generichash(out, CRYPTO_BADGE_HASH_BYTES, (const unsigned char *)uid_hex,
                       strlen(uid_hex), site_key, CRYPTO_SITE_KEY_BYTES);
}

int crypto_pin_hash(char out[CRYPTO_PIN_HASH_MAX], const char *pin)
{
    _Static_assert(CRYPTO_PIN_HASH_MAX >= crypto_pwhash_STRBYTES, "PIN hash buffer too small");
    if (crypto_pwhash_str_alg(out, pin, strlen(pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return CRYPTO_ENOMEM;
    return CRYPTO_OK;
}

int crypto_pin_verify(const char *stored, const char *pin)
{
    return crypto_pwhash_str_verify(stored, pin, strlen(pin)) == 0 ? CRYPTO_OK : CRYPTO_EBADSIG;
}

void crypto_wipe(void *buf, size_t len)
{
    sodium_memzero(buf, len);
}

void crypto_hex(char *out, const uint8_t *bytes, size_t len)
{
    sodium_bin2hex(out, 2 * len + 1, bytes, len);
}

int crypto_unhex(uint8_t *out, size_t len, const char *hex)
{
    size_t got = 0;
    if (strlen(hex) != 2 * len)
        return -1;
    if (sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, NULL) != 0 || got != len)
        return -1;
    return 0;
}
