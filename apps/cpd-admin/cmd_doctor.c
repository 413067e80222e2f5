/* cpd-admin doctor: everything a kiosk needs, one line each — ok, warning or failure, with the
 * fix — for a technician after an install, or a monitoring check. Only looks: the store is
 * opened read only, the reader only while the kiosk is not holding it. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/zone.h"
#include "core/services/tapflow.h"
#include "firmware-host/reader.h"
#include "sync/sync.h"
#include "sync/sync_pg.h"
#include "ui/sdl/fontfind.h"
#include "apps/cpd-admin/admin.h"

static const char help[] =
    "usage: cpd-admin doctor\n"
    "Checks what this kiosk needs, one line each: the database (quick check, the newest event\n"
    "against the key), the key files and their modes, the reader, the fonts, the clock (and\n"
    "whether NTP keeps it), the ledger connection and its TLS, and the free disk space. Each\n"
    "line is ok, warning or FAILURE, with what to do. Stop the kiosk first to test the reader.\n"
    "Exit status as a monitoring check's: 0 all ok, 1 a warning, 2 a failure.\n";

enum level { OK, WARNING, FAILURE };

struct doctor {
    enum level worst;
};

static void line(struct doctor *d, enum level level, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void line(struct doctor *d, enum level level, const char *what, const char *fmt, ...)
{
    static const char *const words[] = {"ok", "warning", "FAILURE"};
    char text[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    printf("%-8s %-9s %s\n", words[level], what, text);
    if (level > d->worst)
        d->worst = level;
}

static void user_name(uid_t uid, char *out, size_t cap)
{
    struct passwd pw, *found = NULL;
    char buf[1024];
    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found)
        snprintf(out, cap, "%s", found->pw_name);
    else
        snprintf(out, cap, "uid %u", (unsigned)uid);
}

/* What is wrong with a file (or directory) only its owner may read, into problem; false when
 * nothing is. */
static bool not_private(const char *path, bool dir, char *problem, size_t cap)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(problem, cap, "%s: %s", path, strerror(errno));
        return true;
    }
    if (st.st_mode & 0077) {
        snprintf(problem, cap, "%s is mode %04o, open to other users; fix: chmod %s %s", path,
                 (unsigned)(st.st_mode & 07777), dir ? "700" : "600", path);
        return true;
    }
    if (st.st_uid != geteuid()) {
        /* Most often doctor run as root on files that rightly belong to the kiosk's user. */
        char owner[64], self[64];
        user_name(st.st_uid, owner, sizeof(owner));
        user_name(geteuid(), self, sizeof(self));
        snprintf(problem, cap,
                 "%s belongs to %s, and doctor runs as %s: the kiosk's files must belong to the "
                 "user it runs as; fix: run doctor as that user (runuser -u %s -- cpd-admin "
                 "doctor), or chown the file to it",
                 path, owner, self, owner);
        return true;
    }
    return false;
}

static void check_keys(struct doctor *d, struct admin *a, bool *have_sign)
{
    char problem[600];
    const char *paths[] = {a->sign_key_path, a->site_key_path};
    *have_sign = false;
    for (int i = 0; i < 2; i++) {
        if (not_private(paths[i], false, problem, sizeof(problem))) {
            line(d, FAILURE, "keys", "%s (the kiosk refuses such a key)", problem);
            return;
        }
    }
    int err = keys_load_sign(a->sign_key_path, &a->keys);
    if (err != KEYS_OK) {
        line(d, FAILURE, "keys", "%s: %s; fix: restore it from the backup (docs/keys.md)",
             a->sign_key_path, cpd_strerror(err));
        return;
    }
    *have_sign = true;
    err = keys_load_site(a->site_key_path, &a->keys);
    if (err != KEYS_OK)
        line(d, FAILURE, "keys",
             "%s: %s; fix: restore it from the backup, or ask head office "
             "for the site key (docs/keys.md)",
             a->site_key_path, cpd_strerror(err));
    else
        line(d, OK, "keys", "%s and %s, private", a->sign_key_path, a->site_key_path);
}

/* Whether the key file is the one the store recorded at kiosk init. */
static bool own_key(struct admin *a)
{
    char recorded[2 * CRYPTO_SIGN_PK_BYTES + 8], hex[2 * CRYPTO_SIGN_PK_BYTES + 1];
    crypto_hex(hex, a->keys.sign_pk, CRYPTO_SIGN_PK_BYTES);
    return store_meta_get(a->store, "public_key", recorded, sizeof(recorded)) == STORE_OK &&
           strcmp(recorded, hex) == 0;
}

/* Receipts the database says it wrote, and that are not beside it. */
static bool receipts_lost(struct admin *a, const char *path)
{
    struct store_receipts r;
    int err = store_receipts_tail(path, &r, NULL, 0);
    store_receipts_free(&r);
    return err == STORE_ENOTFOUND && store_receipts_expected(a->store);
}

/* The highest seq the receipts acknowledge (0: none), read without the kiosk's key: missing
 * acknowledged taps are named whether or not the key could be loaded. */
static int64_t receipts_highest(const char *path)
{
    struct store_receipts r;
    int64_t highest = store_receipts_tail(path, &r, NULL, 0) == STORE_OK ? r.highest : 0;
    store_receipts_free(&r);
    return highest;
}

static void check_store(struct doctor *d, struct admin *a, bool have_sign)
{
    const char *path = a->cfg.kiosk.database;
    char why[256], dir[CONFIG_PATH_MAX], problem[600] = "";
    snprintf(dir, sizeof(dir), "%s", path);
    int err = store_open_readonly(path, &a->store, why, sizeof(why));
    if (err != STORE_OK) {
        struct stat st;
        const char *fix = err == STORE_ECORRUPT ? "docs/recovery.md (cpd-admin salvage)"
                          : stat(path, &st) != 0 && errno == ENOENT
                              ? "cpd-admin kiosk init, as the kiosk's user, makes it"
                              : "the database must be readable by the kiosk's user: chown "
                                "cpd-kiosk: it, and run doctor as that user (runuser -u "
                                "cpd-kiosk -- cpd-admin doctor)";
        line(d, FAILURE, "database", "%s: %s%s%s; fix: %s", path, cpd_strerror(err),
             why[0] ? ": " : "", why, fix);
        return;
    }
    char owner[CONFIG_TEXT_MAX] = "";
    if (store_meta_get(a->store, "kiosk_id", owner, sizeof(owner)) == STORE_OK && owner[0] &&
        strcmp(owner, a->cfg.kiosk.id) != 0) {
        line(d, FAILURE, "database",
             "%s belongs to kiosk \"%s\", and the configuration says "
             "\"%s\": the kiosk refuses it; fix: put [kiosk] id back, or give this kiosk its own "
             "database",
             path, owner, a->cfg.kiosk.id);
        return;
    }
    int64_t tip = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    struct event newest;
    err = store_chain_tip(a->store, &tip, hash);
    if (err == STORE_OK && tip > 0)
        err = store_event_at(a->store, tip, &newest);
    int check =
        err == STORE_OK && tip > 0 && have_sign ? event_check(&newest, a->keys.sign_pk) : EVENT_OK;
    /* What the kiosk checks before it signs: the newest events, and none missing. */
    int tampered = err == STORE_OK && check == EVENT_OK && have_sign
                       ? store_check_tip(a->store, a->keys.sign_pk)
                       : STORE_OK;
    int64_t acknowledged = err == STORE_OK && !have_sign ? receipts_highest(path) : 0;
    if (err != STORE_OK)
        line(d, FAILURE, "database", "%s: reading the newest event: %s; fix: docs/recovery.md",
             path, cpd_strerror(err));
    else if (check != EVENT_OK && own_key(a))
        line(d, FAILURE, "database",
             "%s: the newest event (%" PRId64 ") does not verify with this kiosk's own key: %s — "
             "changed outside the kiosk; fix: docs/recovery.md (keep it as evidence, cpd-admin "
             "salvage)",
             path, tip, cpd_strerror(check));
    else if (check != EVENT_OK)
        line(d, FAILURE, "database",
             "%s: the newest event (%" PRId64 ") does not verify with "
             "%s: %s; fix: restore this kiosk's own key (docs/keys.md)",
             path, tip, a->sign_key_path, cpd_strerror(check));
    else if (acknowledged > tip)
        line(d, FAILURE, "database",
             "%s: %s: events %" PRId64 "–%" PRId64 " were acknowledged (%s-receipts) and are not "
             "in it; fix: docs/recovery.md",
             path, cpd_strerror(STORE_EMISSING), tip + 1, acknowledged, path);
    else if (tampered == STORE_EMISSING)
        line(d, FAILURE, "database", "%s: %s: %s; the kiosk signs nothing until they are back",
             path, cpd_strerror(tampered), store_message(a->store));
    else if (tampered == STORE_ETAMPERED)
        line(d, FAILURE, "database",
             "%s: %s — changed outside the kiosk, which refuses to sign "
             "on it; fix: docs/recovery.md (keep it as evidence, cpd-admin salvage)",
             path, store_message(a->store));
    else if (receipts_lost(a, path))
        line(d, FAILURE, "database",
             "%s: its tap receipts (%s-receipts) are missing, so nothing can show whether "
             "acknowledged taps are missing too; fix: put them back from where the database "
             "came from (docs/recovery.md)",
             path, path);
    else if (have_sign && store_site_key_check(a->store, a->keys.site, false) == STORE_EKEY)
        line(d, FAILURE, "database",
             "%s: the badges were enrolled with another site key than "
             "%s; fix: restore the site's own key (docs/keys.md)",
             path, a->site_key_path);
    else if (not_private(dirname(dir), true, problem, sizeof(problem)) ||
             not_private(path, false, problem, sizeof(problem)))
        line(d, WARNING, "database", "%s", problem);
    else if (tip == 0)
        line(d, OK, "database", "%s: quick check ok, no events yet", path);
    else
        line(d, OK, "database", "%s: quick check ok, %" PRId64 " event%s, the newest %s", path, tip,
             tip == 1 ? "" : "s",
             have_sign ? "verifies with this kiosk's key" : "not checked (no key)");
}

struct reader_seen {
    atomic_int state; /* 0 nothing yet, 1 up, 2 down */
    char reason[256];
};

static void reader_event(void *ctx, const struct reader_event *e)
{
    struct reader_seen *seen = ctx;
    if (atomic_load(&seen->state) != 0)
        return;
    if (e->kind == READER_UP || e->kind == READER_CARD) {
        atomic_store(&seen->state, 1);
    } else if (e->kind == READER_DOWN) {
        snprintf(seen->reason, sizeof(seen->reason), "%s", e->reason);
        atomic_store(&seen->state, 2);
    }
}

static void check_reader(struct doctor *d, const struct admin *a)
{
    const struct reader_options *cfg = &a->cfg.reader;
    const char *name = reader_driver_name(cfg->driver);
    if (cfg->driver == READER_DRIVER_KEYBOARD) {
        line(d, OK, "reader",
             "keyboard: it types into the kiosk's window (test it in a text "
             "editor)");
        return;
    }
    struct reader_seen seen = {.reason = ""};
    atomic_init(&seen.state, 0);
    struct reader *r = NULL;
    char why[512] = "";
    int err = reader_open(cfg, a->cfg.rules.accept_random_uids, reader_event, &seen, &r, why,
                          sizeof(why));
    if (err == READER_OK)
        err = reader_start(r);
    for (int i = 0; err == READER_OK && i < 100 && atomic_load(&seen.state) == 0; i++)
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    int state = atomic_load(&seen.state);
    reader_close(r);
    const char *where = cfg->driver == READER_DRIVER_SIM ? cfg->script : cfg->connstring;
    if (err != READER_OK)
        line(d, FAILURE, "reader", "%s %s: %s%s%s; fix: docs/readers.md", name, where,
             cpd_strerror(err), why[0] ? ": " : "", why);
    else if (state == 1)
        line(d, OK, "reader", "%s %s answered", name, where);
    else if (strstr(seen.reason, "in use"))
        line(d, WARNING, "reader",
             "%s %s: %s — the kiosk holds it while it runs; stop it "
             "(systemctl stop cpd-kiosk) to test the reader",
             name, where, seen.reason);
    else
        line(d, FAILURE, "reader", "%s %s: %s; fix: docs/readers.md", name, where,
             seen.reason[0] ? seen.reason : "did not answer within 5 s");
}

static void check_fonts(struct doctor *d, const struct admin *a)
{
    char path[1024], family[128];
    const char *font = a->cfg.display.font;
    if (fontfind(font, false, path, sizeof(path)) == 0 &&
        fontfind(font, true, path + 512, sizeof(path) - 512) == 0)
        line(d, OK, "fonts", "\"%s\" regular and bold installed", font);
    else if (fontfind_any(false, path, sizeof(path), family, sizeof(family)) == 0)
        line(d, WARNING, "fonts",
             "\"%s\" (regular and bold) is not installed: the kiosk shows "
             "\"%s\" with a banner; fix: apt-get install fonts-dejavu-core, or [display] font",
             font, family);
    else
        line(d, FAILURE, "fonts",
             "no font at all: the kiosk cannot draw; fix: apt-get install "
             "fonts-dejavu-core");
}

static void check_clock(struct doctor *d, struct admin *a)
{
    char boot[CLOCK_BOOT_ID_LEN];
    clock_boot_id(boot);
    enum clock_verdict verdict = CLOCK_OK;
    struct tapflow flow = {.store = a->store, .rules = &a->cfg.rules, .boot_id = boot};
    int err =
        a->store ? tapflow_clock(&flow, clock_wall_us(), clock_monotonic_us(), &verdict) : STORE_OK;
    struct timex tx = {.modes = 0};
    int state = adjtimex(&tx);
    char now[24];
    zone_format_local(clock_wall_us(), now);
    if (err == STORE_OK && verdict != CLOCK_OK)
        line(d, FAILURE, "clock",
             "%s: %s — taps are refused; fix: set the time "
             "(timedatectl set-ntp true)",
             now, clock_verdict_text(verdict));
    else if (state == TIME_ERROR || state < 0)
        line(d, WARNING, "clock",
             "%s, but not kept synchronised by NTP; fix: timedatectl "
             "set-ntp true (systemd-timesyncd)",
             now);
    else
        line(d, OK, "clock", "%s, synchronised", now);
}

static void check_ledger(struct doctor *d, const struct admin *a)
{
    const struct sync_options *o = &a->cfg.sync;
    if (!o->conninfo[0]) {
        line(d, WARNING, "ledger",
             "not configured: taps stay on this kiosk; fix: [sync] conninfo "
             "(docs/head-office.md)");
        return;
    }
    struct pg *pg = NULL;
    char why[512] = "", how[256] = "";
    int err = sync_connect(o, &pg, why, sizeof(why));
    if (err != 0) {
        line(d, FAILURE, "ledger", "%s; fix: docs/head-office.md", why[0] ? why : "cannot connect");
        return;
    }
    pg_describe(pg, how, sizeof(how));
    /* What the next sync would stop at: a ledger whose chain of this kiosk differs from it. */
    int compared = a->store ? sync_compare(pg, a->store, why, sizeof(why)) : SYNC_OK;
    pg_close(pg);
    if (compared == SYNC_EDIVERGED) {
        line(d, FAILURE, "ledger", "diverged: %s; fix: docs/recovery.md", why);
        return;
    }
    if (strcmp(o->sslmode, "verify-full") != 0)
        line(d, WARNING, "ledger",
             "connected (%s) with sslmode=%s: the server is not checked "
             "against its certificate; fix: [sync] sslmode = verify-full",
             how, o->sslmode);
    else
        line(d, OK, "ledger", "connected (%s), certificate verified", how);
    if (!o->office_public_key[0])
        line(d, WARNING, "signed",
             "what is pulled from the ledger is not checked against head office's signature; "
             "fix: [sync] office_public_key (ledger init prints it)");
    else
        line(d, OK, "signed",
             "what is pulled from the ledger (roster, programme, bookings, credits) is checked "
             "against head office's signature");
}

static void check_disk(struct doctor *d, const struct admin *a)
{
    char dir[CONFIG_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", a->cfg.kiosk.database);
    struct statvfs fs;
    if (statvfs(dirname(dir), &fs) != 0) {
        line(d, FAILURE, "disk", "%s: %s", dir, strerror(errno));
        return;
    }
    double free_mb = (double)fs.f_bavail * (double)fs.f_frsize / 1e6;
    double percent = fs.f_blocks ? 100.0 * (double)fs.f_bavail / (double)fs.f_blocks : 0;
    if (free_mb < 50)
        line(d, FAILURE, "disk",
             "%s: %.0f MB free — taps will soon be refused; fix: free space "
             "on this file system",
             dir, free_mb);
    else if (free_mb < 500 || percent < 5)
        line(d, WARNING, "disk", "%s: %.0f MB free (%.0f%%); fix: free space before it runs out",
             dir, free_mb, percent);
    else
        line(d, OK, "disk", "%s: %.0f MB free (%.0f%%)", dir, free_mb, percent);
}

int cmd_doctor(struct admin *a, int argc, char **argv)
{
    int usage = admin_no_arguments(argc, argv, help);
    if (usage >= 0)
        return usage;
    struct doctor d = {OK};
    bool have_sign = false;
    line(&d, OK, "config", "%s", a->cfg.source[0] ? a->cfg.source : "built-in defaults");
    check_keys(&d, a, &have_sign);
    check_store(&d, a, have_sign);
    check_clock(&d, a);
    check_disk(&d, a);
    check_reader(&d, a);
    check_fonts(&d, a);
    check_ledger(&d, a);
    return (int)d.worst;
}
