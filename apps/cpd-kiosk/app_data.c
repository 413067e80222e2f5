/* The kiosk's database and keys, opened and checked before a tap can be taken: this kiosk's
 * store, its own signing key, the site key its badges were enrolled with, and no acknowledged
 * tap missing from it (its receipts). */
#include "apps/cpd-kiosk/app.h"

#include <string.h>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/base/utf8.h"
#include "apps/cpd-kiosk/demo.h"

/* The database and the keys; why says what is wrong (for the screen and the log). */
int app_open_data(struct app_options *o, char *why, size_t cap)
{
    char reason[400] = "", sign[CONFIG_PATH_MAX], site[CONFIG_PATH_MAX];
    const char *db = o->cfg.kiosk.database;
    int err = store_open(db, &o->store, reason, sizeof(reason));
    if (err != STORE_OK) {
        utf8_printf(why, cap, "Database %s: %s%s%s", db, cpd_strerror(err), reason[0] ? ": " : "",
                    reason);
        return -1;
    }
    char owner[CONFIG_TEXT_MAX] = "";
    if (store_meta_get(o->store, "kiosk_id", owner, sizeof(owner)) == STORE_OK && owner[0] &&
        strcmp(owner, o->cfg.kiosk.id) != 0) {
        /* Its taps would carry this id inside another kiosk's chain. */
        utf8_printf(why, cap,
                    "Database %s belongs to kiosk \"%s\", and kiosk.ini says \"%s\": put [kiosk] "
                    "id back, or give this kiosk its own database",
                    db, owner, o->cfg.kiosk.id);
        goto fail;
    }
    err = keys_resolve(o->cfg.kiosk.key_file, db, "kiosk.key", sign, sizeof(sign));
    if (err == KEYS_OK)
        err = keys_resolve(o->cfg.kiosk.site_key_file, db, "site.key", site, sizeof(site));
    if (err == KEYS_OK)
        err = keys_load_sign(sign, o->keys);
    const char *which = sign;
    if (err == KEYS_OK) {
        err = keys_load_site(site, o->keys);
        which = site;
    }
    if (err != KEYS_OK) {
        utf8_printf(why, cap, "Kiosk key %s: %s", which, cpd_strerror(err));
        goto fail;
    }
    /* Never sign with a key that is not this store's, nor on top of an edited chain; never
     * hash badges with a site key they were not enrolled with. */
    err = store_set_signer(o->store, o->cfg.kiosk.id, o->keys->sign_sk);
    which = sign;
    if (err == STORE_OK) {
        err = store_site_key_check(o->store, o->keys->site, true);
        which = site;
    }
    if (err != STORE_OK) {
        utf8_printf(why, cap, "Kiosk key %s: %s (%s). Restore it from backup (docs/keys.md)", which,
                    cpd_strerror(err), store_message(o->store));
        goto fail;
    }
    /* Taps it acknowledged that the file no longer holds (a lost WAL, an old copy put back):
     * signing now would give their numbers to other taps. */
    int64_t missing_from = 0, missing_to = 0;
    if (store_behind_receipts(o->store, &missing_from, &missing_to)) {
        utf8_printf(why, cap,
                    /* The words first: the screen shows one line of it. */
                    "Database: acknowledged taps %lld–%lld are missing from it, its receipts "
                    "list them. If the ledger has them, cpd-admin sync takes them back; "
                    "otherwise docs/recovery.md (%s)",
                    (long long)missing_from, (long long)missing_to, db);
        goto fail;
    }
    if (o->demo &&
        demo_seed(&o->demo_state, o->store, &o->cfg, o->keys->site, reason, sizeof(reason)) != 0) {
        utf8_printf(why, cap, "Demo data: %s", reason);
        goto fail;
    }
    if (o->demo)
        log_line(LOG_INFO, "demo database %s", db);
    return 0;
fail:
    store_close(o->store);
    o->store = NULL;
    return -1;
}
