#define _XOPEN_SOURCE 700 /* nftw */
#include "core/base/clock.h"
#include "core/base/error.h"
#include "apps/cpd-kiosk/demo.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/strcopy.h"
#include "core/base/utf8.h"
#include "core/domain/crypto.h"
#include "core/services/csvfile.h"
#include "core/services/import.h"
#include "core/services/keys.h"
#include "core/base/zone.h"

static bool holds_programme(const char *dir)
{
    char path[1024];
    return dir && dir[0] &&
           snprintf(path, sizeof(path), "%s/programme-2023-24.csv", dir) < (int)sizeof(path) &&
           access(path, R_OK) == 0;
}

int demo_find_data(const char *given, char *out, size_t cap, char *why, size_t why_cap)
{
    char beside[1024] = "";
    ssize_t n = readlink("/proc/self/exe", beside, sizeof(beside) - 8);
    if (n > 0) {
        beside[n] = '\0';
        char *slash = strrchr(beside, '/');
        if (slash)
            memcpy(slash, "/data", sizeof("/data")); /* room kept above */
    }
    const char *env = getenv("CPD_DATA_DIR");
    const char *const places[] = {given, env, beside, CPD_INSTALLED_DATA_DIR};
    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        if (given && i > 0)
            break; /* an explicit --data-dir is the only place looked at */
        if (holds_programme(places[i]))
            return strcopy(out, cap, places[i]) == 0 ? 0 : -1;
    }
    utf8_printf(why, why_cap,
                "the demo data (programme-2023-24.csv) is not in %s%s%s%s%s (use --data-dir DIR)",
                given           ? given
                : env && env[0] ? env
                                : "",
                given || !(env && env[0]) ? "" : " ($CPD_DATA_DIR), ", given ? "" : beside,
                given ? "" : " or ", given ? "" : CPD_INSTALLED_DATA_DIR);
    return -1;
}

int demo_prepare(struct demo *d, struct config *cfg, const char *data_dir, char *why, size_t cap)
{
    memset(d, 0, sizeof(*d));
    if (demo_find_data(data_dir, d->data_dir, sizeof(d->data_dir), why, cap) != 0)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(d->dir, sizeof(d->dir), "%s/cpd-kiosk-demo-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(d->dir)) {
        snprintf(why, cap, "cannot make a temporary directory in %s", tmp ? tmp : "/tmp");
        return -1;
    }
    snprintf(cfg->kiosk.database, sizeof(cfg->kiosk.database), "%s/kiosk.db", d->dir);
    cfg->kiosk.key_file[0] = cfg->kiosk.site_key_file[0] = '\0';
    char sign[512], site[512];
    bool a, b;
    int err = keys_resolve("", cfg->kiosk.database, "kiosk.key", sign, sizeof(sign));
    if (err == KEYS_OK)
        err = keys_resolve("", cfg->kiosk.database, "site.key", site, sizeof(site));
    if (err == KEYS_OK)
        err = keys_init(sign, site, NULL, &a, &b);
    if (err != KEYS_OK) {
        snprintf(why, cap, "demo keys: %s", cpd_strerror(err));
        return -1;
    }
    uid_parse("04:11:22:33:44:55:66", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, &d->unknown);
    uid_parse("08:A1:B2:C3", UID_TEXT_HEX, UID_ORDER_MSB_FIRST, &d->phone);
    zone_parse_local("2023-09-13 15:00", &d->start_us);
    return 0;
}

static void quiet(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

/* The demo keys: the first nine people with badges, and the first trainer. */
static int read_badges(struct demo *d, const char *path, char *why, size_t cap)
{
    struct csv_table t;
    if (csvfile_read(path, &t, why, cap) != CSVFILE_OK)
        return -1;
    int name = csvfile_column(&t, "name"), role = csvfile_column(&t, "role");
    int uid = csvfile_column(&t, "badge_uid"), active = csvfile_column(&t, "active");
    int n = 0;
    bool have_trainer = false;
    for (size_t r = 1; r < t.n_rows && name >= 0 && role >= 0 && uid >= 0 && active >= 0; r++) {
        const struct csv_row *row = &t.rows[r];
        if ((size_t)uid >= row->n_fields || !row->fields[uid][0])
            continue;
        struct uid u;
        if (uid_parse(row->fields[uid], UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u) != UID_OK)
            continue;
        bool trainer = strcmp(row->fields[role], "trainer") == 0;
        if (trainer && !have_trainer) {
            d->trainer = u;
            have_trainer = true;
        } else if (!trainer && n < DEMO_BADGES && strcmp(row->fields[active], "yes") == 0) {
            d->badges[n] = u;
            snprintf(d->names[n], sizeof(d->names[n]), "%s", row->fields[name]);
            n++;
        }
    }
    csvfile_free(&t);
    if (n < DEMO_BADGES || !have_trainer) {
        snprintf(why, cap, "%s: needs nine staff with badges and a trainer", path);
        return -1;
    }
    return 0;
}

static int set_trainer_pins(struct store *s, char *why, size_t cap)
{
    char hash[CRYPTO_PIN_HASH_MAX];
    if (crypto_pin_hash(hash, DEMO_PIN) != CRYPTO_OK) {
        snprintf(why, cap, "cannot hash the demo PIN");
        return -1;
    }
    static const char *const trainers[] = {"BIT0010", "BIT0011"};
    for (int i = 0; i < 2; i++) {
        struct person p;
        if (store_person_by_staff_no(s, trainers[i], &p) == STORE_OK &&
            store_pin_set(s, p.id, hash, clock_wall_us()) != STORE_OK) {
            snprintf(why, cap, "cannot store the demo PIN");
            return -1;
        }
    }
    return 0;
}

int demo_seed(struct demo *d, struct store *s, const struct config *cfg, const uint8_t *site_key,
              char *why, size_t cap)
{
    static const char *const files[] = {"programme-2023-24.csv", "demo-roster.csv",
                                        "demo-bookings.csv", "demo-credits.csv"};
    struct import_options o = {.rules = &cfg->rules, .site_key = site_key, .report = quiet};
    for (int i = 0; i < 4; i++) {
        char path[1024];
        struct import_result r;
        snprintf(path, sizeof(path), "%s/%s", d->data_dir, files[i]);
        int err = import_file(s, (enum import_kind)i, path, &o, &r);
        if (err != IMPORT_OK) {
            snprintf(why, cap, "%s: %s", path, cpd_strerror(err));
            return -1;
        }
    }
    char roster[1024];
    snprintf(roster, sizeof(roster), "%s/demo-roster.csv", d->data_dir);
    if (read_badges(d, roster, why, cap) != 0)
        return -1;
    return set_trainer_pins(s, why, cap);
}

int64_t demo_next_session(struct store *s, int64_t now)
{
    struct session next;
    int64_t from = now + INT64_C(21) * 60 * 1000000; /* past the one about to start */
    if (store_next_session(s, from, &next) != STORE_OK)
        return now;
    return next.start_us - INT64_C(20) * 60 * 1000000;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void demo_remove(struct demo *d)
{
    if (d->dir[0])
        nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
