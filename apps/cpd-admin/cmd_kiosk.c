/* cpd-admin kiosk init: the database and this kiosk's keys. */
#include <stdio.h>
#include <string.h>

#include "core/base/error.h"
#include "apps/cpd-admin/admin.h"

static const char help[] =
    "usage: cpd-admin kiosk init [--site-key HEX]\n"
    "Creates the database (0600, in a 0700 directory) and, where missing, the kiosk's Ed25519\n"
    "signing key and the site's badge key (hex files, 0600). Never overwrites a key. Give the\n"
    "site key head office issued with --site-key so every kiosk of the site hashes badges\n"
    "alike. Prints the public key to register in the ledger.\n";

int cmd_kiosk(struct admin *a, int argc, char **argv)
{
    const char *site_key = NULL;
    int first = 0;
    int rc = admin_one_option(argc, argv, "site-key", true, help, &site_key, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (first != argc - 1 || strcmp(argv[first], "init") != 0) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    if (admin_open_store(a) != 0)
        return 1;
    bool made_sign = false, made_site = false;
    int err = keys_init(a->sign_key_path, a->site_key_path, site_key, &made_sign, &made_site);
    if (err != KEYS_OK) {
        admin_error("%s: %s", err == KEYS_EEXIST ? a->site_key_path : a->sign_key_path,
                    cpd_strerror(err));
        return 1;
    }
    if (admin_load_keys(a, true, true) != 0)
        return 1;
    char pk[2 * CRYPTO_SIGN_PK_BYTES + 1];
    crypto_hex(pk, a->keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
    err = store_meta_set(a->store, "kiosk_id", a->cfg.kiosk.id);
    if (err == STORE_OK)
        err = store_meta_set(a->store, "public_key", pk);
    if (err != STORE_OK) {
        admin_error("cannot record the kiosk in the database: %s", cpd_strerror(err));
        return 1;
    }
    printf("kiosk:       %s\n", a->cfg.kiosk.id);
    printf("database:    %s\n", a->cfg.kiosk.database);
    printf("signing key: %s (%s)\n", a->sign_key_path, made_sign ? "created" : "kept");
    printf("site key:    %s (%s)\n", a->site_key_path, made_site ? "created" : "kept");
    printf("public key:  %s\n", pk);
    return 0;
}
