/* crypto.h — the few primitives we need, all from libsodium (the only file including it).
 *
 * Thread-safe after crypto_init(). Keys and digests are caller-owned byte arrays. */
#ifndef CPD_CRYPTO_H
#define CPD_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#define CRYPTO_HASH_BYTES       32 /* SHA-256 */
#define CRYPTO_SIGN_PK_BYTES    32 /* Ed25519 public key */
#define CRYPTO_SIGN_SK_BYTES    64 /* Ed25519 secret key (seed + public key) */
#define CRYPTO_SIG_BYTES        64
#define CRYPTO_SITE_KEY_BYTES   32 /* key of the badge UID hash */
#define CRYPTO_BADGE_HASH_BYTES 32
#define CRYPTO_PIN_HASH_MAX     128

int crypto_init(void);
void crypto_random(void *buf, size_t len);
void crypto_sha256(uint8_t out[CRYPTO_HASH_BYTES], const void *a, size_t alen, const void *b,
                   size_t blen);
void crypto_sign_keypair_new(uint8_t pk[CRYPTO_SIGN_PK_BYTES], uint8_t sk[CRYPTO_SIGN_SK_BYTES]);
void crypto_sign_public_of(const uint8_t sk[CRYPTO_SIGN_SK_BYTES],
                           uint8_t pk[CRYPTO_SIGN_PK_BYTES]);
void crypto_sign_digest(uint8_t sig[CRYPTO_SIG_BYTES], const uint8_t *msg, size_t len,
                        const uint8_t sk[CRYPTO_SIGN_SK_BYTES]);
int crypto_verify_digest(const uint8_t sig[CRYPTO_SIG_BYTES], const uint8_t *msg, size_t len,
                         const uint8_t pk[CRYPTO_SIGN_PK_BYTES]);
/* Keyed BLAKE2b of a normalised UID: what the store keeps instead of the UID. */
void crypto_badge_hash(uint8_t out[CRYPTO_BADGE_HASH_BYTES], const char *uid_hex,
                       const uint8_t site_key[CRYPTO_SITE_KEY_BYTES]);
/* argon2id PIN hashes (crypto_pwhash_str, interactive limits). */
int crypto_pin_hash(char out[CRYPTO_PIN_HASH_MAX], const char *pin);
int crypto_pin_verify(const char *stored, const char *pin);
void crypto_wipe(void *buf, size_t len);
/* Lower-case hex of len bytes into out (2·len + 1). */
void crypto_hex(char *out, const uint8_t *bytes, size_t len);
int crypto_unhex(uint8_t *out, size_t len, const char *hex);

#endif
