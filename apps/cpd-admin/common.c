#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base/error.h"
#include "core/base/zone.h"
#include "apps/cpd-admin/admin.h"
#include "sync/sync_pg.h"

void admin_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cpd-admin: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int admin_no_arguments(int argc, char **argv, const char *help)
{
    if (admin_wants_help(argc, argv)) {
        fputs(help, stdout);
        return 0;
    }
    if (argc != 1) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    return -1;
}

bool admin_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

static int open_store(struct admin *a, bool read_only)
{
    char why[256];
    const char *path = a->cfg.kiosk.database;
    int err = read_only ? store_open_readonly(path, &a->store, why, sizeof(why))
                        : store_open(path, &a->store, why, sizeof(why));
    if (err != STORE_OK) {
        admin_error("%s: %s%s%s%s", path, cpd_strerror(err), why[0] ? ": " : "", why,
                    err == STORE_ECORRUPT
                        ? " — what can still be read comes out with cpd-admin salvage "
                          "(docs/recovery.md)"
                        : "");
        return 1;
    }
    char kiosk[CONFIG_TEXT_MAX];
    if (store_meta_get(a->store, "kiosk_id", kiosk, sizeof(kiosk)) == STORE_OK &&
        strcmp(kiosk, a->cfg.kiosk.id) != 0) {
        admin_error("%s belongs to kiosk \"%s\" but the configuration says \"%s\"", path, kiosk,
                    a->cfg.kiosk.id);
        return 1;
    }
    if (!store_dir_private(a->store))
        fprintf(stderr,
                "cpd-admin: warning: the directory of %s is open to other users; "
                "keep kiosk data in a 0700 directory\n",
                path);
    return 0;
}

int admin_open_store(struct admin *a)
{
    return open_store(a, false);
}

int admin_open_store_readonly(struct admin *a)
{
    return open_store(a, true);
}

int admin_load_keys(struct admin *a, bool sign, bool site)
{
    int err = sign ? keys_load_sign(a->sign_key_path, &a->keys) : KEYS_OK;
    if (err != KEYS_OK) {
        admin_error("%s: %s", a->sign_key_path, cpd_strerror(err));
        return 1;
    }
    err = sign ? store_set_signer(a->store, a->cfg.kiosk.id, a->keys.sign_sk) : STORE_OK;
    if (err == STORE_EINVALID) {
        admin_error("bad kiosk id \"%s\"", a->cfg.kiosk.id);
        return 1;
    }
    if (err != STORE_OK && err != STORE_ETAMPERED && err != STORE_EKEY) {
        /* Not the key: the database or its receipts could not be read. */
        admin_error("%s: %s (%s); nothing was signed", a->cfg.kiosk.database, cpd_strerror(err),
                    store_message(a->store));
        return 1;
    }
    if (err != STORE_OK) {
        admin_error("%s: %s (%s); nothing was signed. %s (docs/keys.md)",
                    err == STORE_ETAMPERED ? a->cfg.kiosk.database : a->sign_key_path,
                    cpd_strerror(err), store_message(a->store),
                    err == STORE_ETAMPERED
                        ? "The database was changed outside the kiosk: restore it from backup, "
                          "or keep it as evidence and retire this kiosk id"
                        : "Restore the kiosk's own key file from backup");
        return 1;
    }
    err = site ? keys_load_site(a->site_key_path, &a->keys) : KEYS_OK;
    if (err != KEYS_OK) {
        admin_error("%s: %s", a->site_key_path, cpd_strerror(err));
        return 1;
    }
    /* Head office's commands have no kiosk store to check the key against. */
    err = site && a->store ? store_site_key_check(a->store, a->keys.site, sign) : STORE_OK;
    if (err != STORE_OK) {
        admin_error("%s: %s (%s). Restore the site key from backup or ask head office for it "
                    "(see docs/keys.md)",
                    a->site_key_path, cpd_strerror(err), store_message(a->store));
        return 1;
    }
    return 0;
}

int admin_person(struct admin *a, const char *staff_no, struct person *out)
{
    int err = store_person_by_staff_no(a->store, staff_no, out);
    if (err == STORE_ENOTFOUND)
        admin_error("no person with staff number \"%s\"", staff_no);
    else if (err != STORE_OK)
        admin_error("%s", cpd_strerror(err));
    return err == STORE_OK ? 0 : 1;
}

void admin_usage(const char *help)
{
    size_t n = strcspn(help, "\n");
    fprintf(stderr, "cpd-admin: %.*s (see --help)\n", (int)n, help);
}

int admin_options(int argc, char **argv, const struct admin_option *table, const char *help,
                  int *first)
{
    enum { MAX_OPTIONS = 24, FIRST_VAL = 256 };
    struct option options[MAX_OPTIONS + 2];
    int n = 0;
    for (; table[n].name; n++) {
        if (n == MAX_OPTIONS) {
            admin_error("internal: too many options");
            return 1;
        }
        options[n] =
            (struct option){table[n].name, table[n].has_value ? required_argument : no_argument,
                            NULL, FIRST_VAL + n};
        *table[n].value = NULL;
    }
    options[n] = (struct option){"help", no_argument, NULL, 'h'};
    options[n + 1] = (struct option){NULL, 0, NULL, 0};
    optind = 0; /* GNU getopt: start afresh for each subcommand */
    opterr = 0; /* one line of our own instead of getopt's */
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            if (help)
                fputs(help, stdout);
            return -1;
        }
        if (opt < FIRST_VAL || opt >= FIRST_VAL + n) {
            if (help)
                admin_usage(help);
            return EXIT_USAGE;
        }
        *table[opt - FIRST_VAL].value = table[opt - FIRST_VAL].has_value ? optarg : "";
    }
    *first = optind;
    return 0;
}

int admin_one_option(int argc, char **argv, const char *name, bool has_value, const char *help,
                     const char **value, int *first)
{
    const struct admin_option table[] = {{name, has_value, value}, {NULL, false, NULL}};
    return admin_options(argc, argv, table, help, first);
}

int admin_ledger_fail(int err, const char *why)
{
    admin_error("%s%s%s", cpd_strerror(err), why[0] ? ": " : "", why);
    switch (err) {
    case SYNC_EUNREACHABLE:
        return EXIT_UNREACHABLE;
    case SYNC_EAUTH:
        return EXIT_AUTH;
    case SYNC_ESCHEMA:
        return EXIT_SCHEMA;
    case SYNC_ETAMPER:
    case SYNC_EREJECTED:
    case SYNC_EDIVERGED:
        return EXIT_TAMPER;
    case SYNC_ETLS:
        return EXIT_TLS;
    default:
        return 1;
    }
}

int admin_ledger_conninfo(const char *conninfo)
{
    char note[256], why[300] = "";
    if (pg_conninfo_weakens(conninfo, note, sizeof(note), why, sizeof(why)) != PG_OK) {
        admin_error("the connection string: %s", why);
        return EXIT_USAGE;
    }
    if (note[0])
        fprintf(stderr, "cpd-admin: note: %s\n", note);
    return 0;
}

void admin_progress(const char *what, int64_t done, int64_t total)
{
    if (!isatty(STDERR_FILENO))
        return;
    int width = 40, filled = total > 0 ? (int)(done * width / total) : width;
    fprintf(stderr, "\r%s [%.*s%*s] %" PRId64 "/%" PRId64, what, filled,
            "########################################", width - filled, "", done, total);
    if (done >= total)
        fputc('\n', stderr);
}

int admin_parse_time(const char *option, const char *text, int64_t *out)
{
    int err = zone_parse_local(text, out);
    if (err == ZONE_OK)
        return 0;
    struct zone_reading r[2];
    int n = 0;
    char offset[2][8];
    if ((err == ZONE_EAMBIGUOUS || err == ZONE_EOFFSET) &&
        zone_local_readings(text, r, &n) == ZONE_OK && n > 0) {
        for (int i = 0; i < n; i++)
            zone_format_offset(r[i].offset_s, offset[i]);
        int plain = text[16] == ':' ? 19 : 16; /* the time without what followed it */
        if (err == ZONE_EAMBIGUOUS)
            admin_error("--%s \"%s\": %s, \"%.*s %s\" (%s, the first) or \"%.*s %s\" (%s, the "
                        "second)",
                        option, text, cpd_strerror(err), plain, text, offset[0], r[0].abbr, plain,
                        text, offset[1], r[1].abbr);
        else if (n == 1)
            admin_error("--%s \"%s\": %s: it is %s (%s)", option, text, cpd_strerror(err),
                        offset[0], r[0].abbr);
        else
            admin_error("--%s \"%s\": %s: it is %s (%s) the first time, %s (%s) the second", option,
                        text, cpd_strerror(err), offset[0], r[0].abbr, offset[1], r[1].abbr);
    } else {
        admin_error("--%s \"%s\": %s", option, text, cpd_strerror(err));
    }
    return EXIT_USAGE;
}
