/* cpd-admin kiosk init: the database and this kiosk's keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/tempdir.h"
#include "core/domain/event.h"
#include "core/domain/payload.h"
#include "apps/cpd-admin/admin.h"

static const char help[] =
    "usage: cpd-admin kiosk init [--site-key-file FILE|-] [--anchor OLD.db]\n"
    "Creates the database (0600, in a 0700 directory) and, where missing, the kiosk's Ed25519\n"
    "signing key and the site's badge key (hex files, 0600). Never overwrites a key, and never\n"
    "makes a new one for a database whose events or badges were made with the old one (restore\n"
    "that from backup: docs/keys.md). Give the site key head office issued (64 hex digits on\n"
    "one line) with --site-key-file FILE, or - to read it from standard input, so every kiosk\n"
    "of the site hashes badges alike; never on the command line, where every user sees it.\n"
    "Prints the public key to register in the ledger.\n"
    "--anchor OLD.db: this kiosk replaces a retired one whose signing key was lost for good\n"
    "(docs/keys.md): the old database's chain is verified with its recorded key and this new\n"
    "kiosk's first event, chain_anchor, names its kiosk id, last seq, last hash and public key.\n";

/* A lost key is restored, never replaced: a new signing key would leave every signed event
 * unverifiable, a new site key every enrolled badge unrecognised. */
static int refuse_new_keys(struct admin *a, const char *site_key_hex)
{
    int64_t events = 0, badges = 0;
    uint8_t site[CRYPTO_SITE_KEY_BYTES];
    int err = store_count(a->store, "events", &events);
    if (err == STORE_OK)
        err = store_count(a->store, "badges", &badges);
    if (err != STORE_OK) {
        admin_error("cannot read the database: %s", cpd_strerror(err));
        return 1;
    }
    if (access(a->sign_key_path, F_OK) != 0 && events > 0) {
        admin_error("%s is missing, but this database holds %lld signed event%s: a new key "
                    "would leave them unverifiable. Restore the key file from backup; if it is "
                    "lost for good, retire this kiosk id and start a new one (docs/keys.md). No "
                    "key was made.",
                    a->sign_key_path, (long long)events, events == 1 ? "" : "s");
        return 1;
    }
    if (site_key_hex && crypto_unhex(site, sizeof(site), site_key_hex) == CRYPTO_OK &&
        store_site_key_check(a->store, site, false) != STORE_OK) {
        crypto_wipe(site, sizeof(site));
        admin_error("--site-key-file: not the site key this database's %lld badges were enrolled "
                    "with. No key was written.",
                    (long long)badges);
        return 1;
    }
    crypto_wipe(site, sizeof(site));
    if (access(a->site_key_path, F_OK) != 0 && !site_key_hex && badges > 0) {
        admin_error("%s is missing, but %lld badge%s here %s enrolled with it: a new key would "
                    "make every one \"not recognised\". Restore it from backup, or give head "
                    "office's site key with --site-key-file (docs/keys.md). No key was made.",
                    a->site_key_path, (long long)badges, badges == 1 ? "" : "s",
                    badges == 1 ? "was" : "were");
        return 1;
    }
    return 0;
}

/* The retired kiosk's chain, as the new one's first event will name it. */
struct anchor {
    char kiosk[EVENT_KIOSK_MAX];
    int64_t seq;
    char hash[2 * CRYPTO_HASH_BYTES + 1];
    char public_key[2 * CRYPTO_SIGN_PK_BYTES + 8];
};

/* Copies the old database to a scratch directory (opening a store migrates it: the original is
 * never touched) and opens the copy. */
static int open_copy(const char *path, char dir[4096], struct store **out, char *why, size_t cap)
{
    char copy[4096 + 16];
    if (tempdir_make(dir, 4096, "cpd-anchor") != 0)
        return STORE_EIO;
    snprintf(copy, sizeof(copy), "%s/old.db", dir);
    FILE *in = fopen(path, "rb"), *to = fopen(copy, "wb");
    char buf[65536];
    size_t n;
    int err = in && to ? STORE_OK : STORE_EIO;
    while (err == STORE_OK && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        err = fwrite(buf, 1, n, to) == n ? STORE_OK : STORE_EIO;
    if (in)
        fclose(in);
    if (to && fclose(to) != 0)
        err = STORE_EIO;
    return err == STORE_OK ? store_open(copy, out, why, cap) : err;
}

static void remove_copy(const char *dir)
{
    char path[128];
    static const char *const files[] = {"old.db", "old.db-wal", "old.db-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Checked before anything is written: a kiosk database whose whole chain verifies with its
 * recorded key, under another id than this kiosk's. */
static int check_anchor(const struct admin *a, const char *path, struct anchor *out)
{
    char head[16] = "", why[256] = "", dir[4096] = "";
    FILE *f = fopen(path, "rb");
    bool sqlite = f && fread(head, 1, sizeof(head), f) == sizeof(head) &&
                  memcmp(head, "SQLite format 3", 16) == 0;
    if (f)
        fclose(f);
    if (!f || !sqlite) {
        admin_error("--anchor %s: %s", path,
                    f ? "not a kiosk's database (not an SQLite file)" : "cannot read it");
        return 1;
    }
    struct store *old = NULL;
    uint8_t pk[CRYPTO_SIGN_PK_BYTES], tip[CRYPTO_HASH_BYTES];
    struct store_verify_report report = {0};
    int err = open_copy(path, dir, &old, why, sizeof(why));
    bool kiosk_db =
        err == STORE_OK &&
        store_meta_get(old, "kiosk_id", out->kiosk, sizeof(out->kiosk)) == STORE_OK &&
        store_meta_get(old, "public_key", out->public_key, sizeof(out->public_key)) == STORE_OK &&
        crypto_unhex(pk, sizeof(pk), out->public_key) == 0;
    if (kiosk_db)
        err = store_verify(old, pk, &report);
    if (kiosk_db && err == STORE_OK)
        err = store_chain_tip(old, &out->seq, tip);
    store_close(old);
    if (dir[0])
        remove_copy(dir);
    const char *problem = err != STORE_OK && !why[0] ? cpd_strerror(err)
                          : err != STORE_OK          ? why
                          : !kiosk_db                ? "not a kiosk's database (no kiosk id or key)"
                          : out->seq == 0            ? "it holds no events: nothing to anchor"
                                                     : NULL;
    if (problem) {
        admin_error("--anchor %s: %s", path, problem);
        return 1;
    }
    if (report.first_bad_seq) {
        admin_error("--anchor %s: its chain does not verify at seq %lld (%s): not anchored", path,
                    (long long)report.first_bad_seq, cpd_strerror(report.error));
        return 1;
    }
    if (strcmp(out->kiosk, a->cfg.kiosk.id) == 0) {
        admin_error("--anchor: the old kiosk is \"%s\" too; give the new one its own [kiosk] id",
                    out->kiosk);
        return 1;
    }
    crypto_hex(out->hash, tip, CRYPTO_HASH_BYTES);
    return 0;
}

/* This kiosk's first event: the anchor to the retired chain. */
static int write_anchor(struct admin *a, const struct anchor *old)
{
    char payload[EVENT_PAYLOAD_MAX];
    const struct payload_field f[] = {
        PAYLOAD_STR_FIELD("kiosk", old->kiosk), PAYLOAD_INT_FIELD("seq", old->seq),
        PAYLOAD_STR_FIELD("hash", old->hash), PAYLOAD_STR_FIELD("public_key", old->public_key)};
    struct event e;
    int err = payload_write(payload, sizeof(payload), f, 4) == PAYLOAD_OK &&
                      event_make(&e, EV_CHAIN_ANCHOR, NULL, NULL, clock_wall_us(),
                                 clock_monotonic_us(), "unsynced", payload) == EVENT_OK
                  ? store_append_event(a->store, &e)
                  : STORE_EINVALID;
    if (err != STORE_OK) {
        admin_error("cannot record the anchor: %s", cpd_strerror(err));
        return 1;
    }
    printf("anchored:    %s, seq %lld, hash %.16s…\n", old->kiosk, (long long)old->seq, old->hash);
    return 0;
}

static int kiosk_init(struct admin *a, const char *site_key, const char *anchor_path);

/* The site key from a file or standard input ("-"): 64 hex digits on its first line. */
static int read_site_key(const char *path, char out[2 * CRYPTO_SITE_KEY_BYTES + 1])
{
    char line[256] = "";
    uint8_t key[CRYPTO_SITE_KEY_BYTES];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    struct stat st;
    if (f && f != stdin && fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        admin_error("warning: --site-key-file %s can be read by other users of this machine: "
                    "remove the copy once the kiosk has it (shred -u %s)",
                    path, path);
    bool read = f && fgets(line, sizeof(line), f) != NULL;
    if (f && f != stdin)
        fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    int rc = 0;
    if (!f)
        admin_error("--site-key-file %s: cannot be read", path);
    if (!f || !read || strlen(line) != 2 * CRYPTO_SITE_KEY_BYTES ||
        crypto_unhex(key, sizeof(key), line) != CRYPTO_OK) {
        if (f)
            admin_error("--site-key-file %s: expected the site key, 64 hex digits on one line",
                        strcmp(path, "-") == 0 ? "(standard input)" : path);
        rc = 1;
    } else {
        memcpy(out, line, 2 * CRYPTO_SITE_KEY_BYTES + 1);
    }
    crypto_wipe(line, sizeof(line));
    crypto_wipe(key, sizeof(key));
    return rc;
}

int cmd_kiosk(struct admin *a, int argc, char **argv)
{
    const char *on_command_line = NULL, *site_key_file = NULL, *anchor_path = NULL;
    const struct admin_option table[] = {{"site-key", true, &on_command_line},
                                         {"site-key-file", true, &site_key_file},
                                         {"anchor", true, &anchor_path},
                                         {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (first != argc - 1 || strcmp(argv[first], "init") != 0) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    if (on_command_line) {
        admin_error("--site-key: a key on the command line is seen by every user of this "
                    "machine (ps): give it with --site-key-file FILE, or --site-key-file - on "
                    "standard input. Nothing was done.");
        return EXIT_USAGE;
    }
    char site_key_hex[2 * CRYPTO_SITE_KEY_BYTES + 1];
    const char *site_key = NULL;
    if (site_key_file) {
        if (read_site_key(site_key_file, site_key_hex) != 0)
            return 1;
        site_key = site_key_hex;
    }
    rc = kiosk_init(a, site_key, anchor_path);
    crypto_wipe(site_key_hex, sizeof(site_key_hex));
    return rc;
}

static int kiosk_init(struct admin *a, const char *site_key, const char *anchor_path)
{
    struct anchor old = {0};
    if (anchor_path && check_anchor(a, anchor_path, &old) != 0)
        return 1;
    if (admin_open_store(a) != 0 || refuse_new_keys(a, site_key) != 0)
        return 1;
    int64_t seq = 0;
    uint8_t tip[CRYPTO_HASH_BYTES];
    if (anchor_path && (store_chain_tip(a->store, &seq, tip) != STORE_OK || seq != 0)) {
        admin_error("--anchor: this database has events already; the anchor is a new kiosk's "
                    "first event");
        return 1;
    }
    bool made_sign = false, made_site = false;
    int err = keys_init(a->sign_key_path, a->site_key_path, site_key, &made_sign, &made_site);
    if (err != KEYS_OK) {
        admin_error("%s: %s", err == KEYS_EEXIST ? a->site_key_path : a->sign_key_path,
                    cpd_strerror(err));
        return 1;
    }
    /* A database without events takes a new signing key in place of the one on record. */
    if (made_sign && keys_load_sign(a->sign_key_path, &a->keys) == KEYS_OK) {
        char fresh[2 * CRYPTO_SIGN_PK_BYTES + 1];
        crypto_hex(fresh, a->keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
        if (store_meta_set(a->store, "public_key", fresh) != STORE_OK) {
            admin_error("cannot record the kiosk's key in the database");
            return 1;
        }
    }
    /* … and a new site key (none was enrolled with the old one) replaces its record. */
    if (made_site && store_meta_set(a->store, "site_key_check", "") != STORE_OK) {
        admin_error("cannot record the site key in the database");
        return 1;
    }
    if (admin_load_keys(a, true, true) != 0)
        return 1;
    /* Receipts of events this database never held: left behind by a database moved or
     * deleted. The kiosk would sign nothing here; said now, with what to do. */
    int64_t from = 0, to = 0;
    if (store_behind_receipts(a->store, &from, &to)) {
        admin_error("%s-receipts beside it lists acknowledged events %lld–%lld that this "
                    "database does not hold: they belong with the database they were recorded "
                    "in. Move the receipts away with that database (docs/recovery.md); if the "
                    "ledger has those events, cpd-admin sync takes them back instead",
                    a->cfg.kiosk.database, (long long)from, (long long)to);
        return 1;
    }
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
    printf("site key:    %s (%s)\n", a->site_key_path,
           !made_site ? "kept"
           : site_key ? "installed: head office's, as given"
                      : "created: a new one, for a lone kiosk");
    printf("public key:  %s\n", pk);
    return anchor_path ? write_anchor(a, &old) : 0;
}
