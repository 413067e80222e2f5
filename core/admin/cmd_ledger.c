/* cpd-admin sync, ledger init|add-kiosk|import, and verify --ledger: the central ledger. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../sync/ledger.h"
#include "admin.h"
#include "crypto.h"

/* Exit statuses of sync and the ledger commands, beyond 0/1/2. */
enum { EXIT_UNREACHABLE = 3, EXIT_AUTH = 4, EXIT_SCHEMA = 5, EXIT_TAMPER = 6 };

static int exit_status(int err)
{
    switch (err) {
    case SYNC_OK:
        return 0;
    case SYNC_EUNREACHABLE:
        return EXIT_UNREACHABLE;
    case SYNC_EAUTH:
        return EXIT_AUTH;
    case SYNC_ESCHEMA:
        return EXIT_SCHEMA;
    case SYNC_ETAMPER:
    case SYNC_EREJECTED:
        return EXIT_TAMPER;
    default:
        return 1;
    }
}

static int fail(int err, const char *why)
{
    admin_error("%s%s%s", sync_strerror(err), why[0] ? ": " : "", why);
    return exit_status(err);
}

/* ---- sync -------------------------------------------------------------------------------- */

static void progress_bar(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    int width = 40, filled = total > 0 ? (int)(done * width / total) : width;
    fprintf(stderr, "\rpushing events [%.*s%*s] %" PRId64 "/%" PRId64, filled,
            "########################################", width - filled, "", done, total);
    if (done >= total)
        fputc('\n', stderr);
}

static const char sync_help[] =
    "usage: cpd-admin sync\n"
    "Syncs with the central ledger ([sync] in kiosk.ini): pushes this kiosk's events (exactly\n"
    "once, resumable), pulls the roster, badges, programme, bookings and external credits, and\n"
    "records the ledger's clock offset. A progress bar on a terminal, quiet when piped.\n"
    "Exit status: 0 ok, 1 failure, 2 usage, 3 ledger unreachable, 4 login refused, 5 schema\n"
    "too old or too new, 6 tampering or an event refused by the ledger.\n";

int cmd_sync(struct admin *a, int argc, char **argv)
{
    if (admin_wants_help(argc, argv)) {
        fputs(sync_help, stdout);
        return 0;
    }
    if (argc != 1) {
        admin_usage(sync_help);
        return EXIT_USAGE;
    }
    if (admin_open_store(a) != 0)
        return 1;
    struct sync_report r;
    char why[512];
    int err = sync_run(&a->cfg, a->store, isatty(STDERR_FILENO) ? progress_bar : NULL, NULL, &r,
                       why, sizeof(why));
    if (err != SYNC_OK)
        return fail(err, why);
    printf("synced: %" PRId64 " events pushed (ledger holds up to seq %" PRId64 ", %" PRId64
           " waiting); pulled %d people, %d badges, %d courses, %d sessions, %d bookings, %d "
           "credits; ledger clock %+" PRId64 " ms\n",
           r.pushed, r.acked_seq, r.waiting, r.pulled[0], r.pulled[1], r.pulled[2], r.pulled[3],
           r.pulled[4], r.pulled[5], r.clock_offset_ms);
    return 0;
}

/* ---- ledger ------------------------------------------------------------------------------ */

static const char ledger_help[] =
    "usage: cpd-admin ledger init|add-kiosk|import --conninfo CONNINFO [...]\n"
    "  ledger init [--module PATH]        create or migrate the ledger schema (module: the\n"
    "                                     cpd_ledger.so path; default $libdir/cpd_ledger)\n"
    "  ledger add-kiosk ID --public-key HEX --kiosk-password-file FILE\n"
    "                                     register a kiosk and its login role\n"
    "  ledger import KIND FILE [--dry-run] import programme | roster | bookings | credits\n"
    "Connect as the ledger's owner; --password-file FILE (mode 0600) for the password.\n"
    "Exit status as for sync.\n";

struct ledger_args {
    const char *conninfo, *password_file, *module, *public_key, *kiosk_password_file;
    bool dry_run;
    int first;
};

static int ledger_args(int argc, char **argv, struct ledger_args *o)
{
    static const struct option options[] = {{"conninfo", required_argument, NULL, 'c'},
                                            {"password-file", required_argument, NULL, 'p'},
                                            {"module", required_argument, NULL, 'm'},
                                            {"public-key", required_argument, NULL, 'k'},
                                            {"kiosk-password-file", required_argument, NULL, 'K'},
                                            {"ledger", required_argument, NULL, 'c'},
                                            {"dry-run", no_argument, NULL, 'n'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o->conninfo = optarg;
            break;
        case 'p':
            o->password_file = optarg;
            break;
        case 'm':
            o->module = optarg;
            break;
        case 'k':
            o->public_key = optarg;
            break;
        case 'K':
            o->kiosk_password_file = optarg;
            break;
        case 'n':
            o->dry_run = true;
            break;
        case 'h':
            return -1;
        default:
            return EXIT_USAGE;
        }
    }
    o->first = optind;
    return o->conninfo ? 0 : EXIT_USAGE;
}

static int target_of(struct admin *a, const struct ledger_args *o, struct ledger_target *t,
                     char *password, size_t cap)
{
    char why[300];
    t->conninfo = o->conninfo;
    t->password = NULL;
    t->timeout_s = a->cfg.sync.connect_timeout_s;
    if (!o->password_file)
        return 0;
    int err = sync_read_password(o->password_file, password, cap, why, sizeof(why));
    if (err != SYNC_OK)
        return fail(err, why);
    t->password = password;
    return 0;
}

static void print_problem(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static int ledger_import_cmd(struct admin *a, const struct ledger_target *t, int kind,
                             const char *path, bool dry_run)
{
    char why[512];
    if (kind == IMPORT_ROSTER && admin_load_keys(a, false, true) != 0)
        return 1;
    struct import_options o = {.dry_run = dry_run,
                               .rules = &a->cfg.rules,
                               .site_key = kind == IMPORT_ROSTER ? a->keys.site : NULL,
                               .report = print_problem};
    struct import_result r;
    int err = ledger_import(t, (enum import_kind)kind, path, &o, &r, why, sizeof(why));
    if (err != SYNC_OK && err != SYNC_ECONFIG)
        return fail(err, why);
    printf("%s: %d rows, %d errors, %d warnings: %s\n", path, r.rows, r.errors, r.warnings,
           err != SYNC_OK ? "nothing imported"
           : dry_run      ? "dry run, nothing written"
                          : "imported into the ledger");
    return err == SYNC_OK ? 0 : 1;
}

int cmd_ledger(struct admin *a, int argc, char **argv)
{
    struct ledger_args o = {0};
    int rc = ledger_args(argc, argv, &o);
    if (rc < 0) {
        fputs(ledger_help, stdout);
        return 0;
    }
    const char *what = o.first < argc ? argv[o.first] : "";
    int n = argc - o.first;
    if (rc != 0 ||
        !((strcmp(what, "init") == 0 && n == 1) ||
          (strcmp(what, "add-kiosk") == 0 && n == 2 && o.public_key && o.kiosk_password_file) ||
          (strcmp(what, "import") == 0 && n == 3))) {
        admin_usage(ledger_help);
        return EXIT_USAGE;
    }
    struct ledger_target t;
    char password[256] = "", why[512] = "";
    if ((rc = target_of(a, &o, &t, password, sizeof(password))) != 0)
        return rc;
    int err = SYNC_OK;
    if (strcmp(what, "init") == 0) {
        int from = 0, to = 0;
        err = ledger_init(&t, o.module ? o.module : "$libdir/cpd_ledger", &from, &to, why,
                          sizeof(why));
        if (err == SYNC_OK)
            printf("ledger schema %d%s%d\n", from, from == to ? " is current: " : " → ", to);
    } else if (strcmp(what, "add-kiosk") == 0) {
        char kiosk_password[256], role[128];
        uint8_t pk[CRYPTO_SIGN_PK_BYTES];
        if (crypto_unhex(pk, sizeof(pk), o.public_key) != 0) {
            admin_error("--public-key: expected 64 hex digits (cpd-admin kiosk init prints it)");
            return EXIT_USAGE;
        }
        err = sync_read_password(o.kiosk_password_file, kiosk_password, sizeof(kiosk_password), why,
                                 sizeof(why));
        if (err == SYNC_OK)
            err = ledger_add_kiosk(&t, argv[o.first + 1], o.public_key, kiosk_password, role,
                                   sizeof(role), why, sizeof(why));
        crypto_wipe(kiosk_password, sizeof(kiosk_password));
        if (err == SYNC_OK)
            printf("kiosk %s registered; its login role is %s\n", argv[o.first + 1], role);
    } else {
        int kind = import_kind_parse(argv[o.first + 1]);
        crypto_wipe(password, 0);
        if (kind < 0) {
            admin_usage(ledger_help);
            return EXIT_USAGE;
        }
        rc = ledger_import_cmd(a, &t, kind, argv[o.first + 2], o.dry_run);
        crypto_wipe(password, sizeof(password));
        return rc;
    }
    crypto_wipe(password, sizeof(password));
    return err == SYNC_OK ? 0 : fail(err, why);
}

/* ---- verify --ledger --------------------------------------------------------------------- */

static void print_kiosk(void *ctx, const char *kiosk, int64_t events, int64_t bad, int error)
{
    (void)ctx;
    if (bad)
        printf("kiosk %s: event %" PRId64 ": %s (after %" PRId64 " good events)\n", kiosk, bad,
               event_strerror(error), events - 1);
    else
        printf("kiosk %s: %" PRId64 " events: hash chain and signatures verified\n", kiosk, events);
}

int cmd_verify_ledger(struct admin *a, int argc, char **argv)
{
    struct ledger_args o = {0};
    int rc = ledger_args(argc, argv, &o);
    if (rc != 0 || o.first != argc) {
        admin_usage("usage: cpd-admin verify --ledger CONNINFO [--password-file FILE]");
        return EXIT_USAGE;
    }
    struct ledger_target t;
    char password[256] = "", why[512] = "";
    if ((rc = target_of(a, &o, &t, password, sizeof(password))) != 0)
        return rc;
    struct ledger_verify_report r;
    int err = ledger_verify(&t, print_kiosk, NULL, &r, why, sizeof(why));
    crypto_wipe(password, sizeof(password));
    if (err != SYNC_OK)
        return fail(err, why);
    if (r.bad_kiosks) {
        admin_error("%d of %d kiosks' chains are broken in the ledger", r.bad_kiosks, r.kiosks);
        return EXIT_TAMPER;
    }
    printf("%d kiosks, %" PRId64 " events: all verified\n", r.kiosks, r.events);
    return 0;
}
