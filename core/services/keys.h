/* keys.h — the kiosk's two key files.
 *
 *   signing key (kiosk.key): Ed25519, signs every event; made per kiosk by `cpd-admin kiosk
 *     init`; its public half is registered in the ledger.
 *   site key (site.key): keys the badge UID hash; the same for every kiosk of a site (head office
 *     hands it out), so the same badge hashes the same everywhere.
 * Both are lower-case hex on one line, mode 0600. A configured path of "" means the file of that
 * name next to the database. Caller owns struct kiosk_keys (wipe it with keys_wipe). */
#ifndef CPD_KEYS_H
#define CPD_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#include "core/domain/crypto.h"

struct kiosk_keys {
    uint8_t sign_sk[CRYPTO_SIGN_SK_BYTES];
    uint8_t sign_pk[CRYPTO_SIGN_PK_BYTES];
    uint8_t site[CRYPTO_SITE_KEY_BYTES];
};

/* The key file's path: configured, or file_name next to the database. KEYS_ETOOLONG (out
 * empty) when it does not fit cap: never a cut path, which would name another file. */
int keys_resolve(const char *configured, const char *database, const char *file_name, char *out,
                 size_t cap);
/* Creates the missing key files (never overwrites). site_key_hex, when not NULL, is the site
 * key to install instead of a fresh one (KEYS_EEXIST if a different one is there). */
int keys_init(const char *sign_path, const char *site_path, const char *site_key_hex,
              bool *made_sign, bool *made_site);
/* The signing key file alone, made when missing (never overwritten): head office's key. */
int keys_init_sign(const char *path, bool *made);
int keys_load_sign(const char *path, struct kiosk_keys *keys);
int keys_load_site(const char *path, struct kiosk_keys *keys);
void keys_wipe(struct kiosk_keys *keys);

#endif
