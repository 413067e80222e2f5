/* cpd-admin: the kiosk's command-line tool for installers, trainers and the office. */
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/cpd-admin/admin.h"
#include "core/services/salvage.h"
#include "core/store/store.h"
#include "firmware-host/reader.h"
#include "core/domain/crypto.h"
#include "core/base/strcopy.h"
#include "core/base/zone.h"

static const char usage[] =
    "usage: cpd-admin [--config FILE] [--database FILE] COMMAND [ARGS]\n"
    "\n"
    "  kiosk init [--site-key-file F] create the database and this kiosk's keys\n"
    "  import KIND FILE [--dry-run]   import programme | roster | bookings | credits (CSV)\n"
    "  people                         list people\n"
    "  badges                         list enrolled badges (last 4 hex digits only)\n"
    "  tap --badge UID [--at TIME] [--session CODE]\n"
    "                                 tap a badge: decide, commit, print what the screen says\n"
    "  credits STAFF_NO [--at TIME]   a person's credits: terms, caps, CPI/MAPA, what is due\n"
    "  correct KIND STAFF_NO SESSION --by WHO --reason TEXT\n"
    "                                 put a record right: credits, approve, sign-in, sign-out,\n"
    "                                 void (each an event with who and why)\n"
    "  report KIND [--at TIME] [--format text|csv|pdf] [--output FILE] [--ledger CONNINFO]\n"
    "                                 register, evacuation, due, statements, completion,\n"
    "                                 at-risk, evaluations: here or trust-wide\n"
    "  events [--from SEQ]            list the event log\n"
    "  verify [--ledger CONNINFO --keyring FILE [--checkpoints FILE]]\n"
    "                                 check the event chain and signatures (here, or of every\n"
    "                                 kiosk in the central ledger against head office's keyring)\n"
    "  rebuild                        rebuild attendance from the events\n"
    "  salvage DAMAGED.db [--rest FILE.csv]\n"
    "                                 copy what can still be read of a damaged store into\n"
    "                                 this one (docs/recovery.md)\n"
    "  trainer pin STAFF_NO           set a trainer's PIN (read from standard input)\n"
    "  reader-test [--seconds N]      print the configured reader's events live\n"
    "  doctor                         check database, keys, reader, fonts, clock, ledger and\n"
    "                                 disk: one line each, with the fix\n"
    "  sync                           sync with the central ledger ([sync] in kiosk.ini)\n"
    "  ledger init|add-kiosk|add-office|rotate-key|checkpoint|import\n"
    "                                 set up, feed and anchor the central ledger (head office)\n"
    "\n"
    "The database is --database, else $CPD_KIOSK_DB, else [kiosk] database of the config\n"
    "(--config, else $CPD_KIOSK_CONFIG, else the installed /etc/cpd-kiosk/kiosk.ini when it\n"
    "exists, else built-in defaults). Every command takes --help. Exit status: 0 ok,\n"
    "1 failure, 2 usage.\n" ADMIN_TIME_HELP;

struct command {
    const char *name;
    int (*run)(struct admin *a, int argc, char **argv);
};

static const struct command commands[] = {
    {"kiosk", cmd_kiosk},     {"import", cmd_import},   {"people", cmd_people},
    {"badges", cmd_badges},   {"tap", cmd_tap},         {"credits", cmd_credits},
    {"correct", cmd_correct}, {"report", cmd_report},   {"events", cmd_events},
    {"verify", cmd_verify},   {"rebuild", cmd_rebuild}, {"salvage", cmd_salvage},
    {"doctor", cmd_doctor},   {"trainer", cmd_trainer}, {"reader-test", cmd_reader_test},
    {"sync", cmd_sync},       {"ledger", cmd_ledger},
};

static void print_config_problem(void *ctx, const char *file, int line, const char *message)
{
    (void)ctx;
    (void)file;
    (void)line;
    fprintf(stderr, "cpd-admin: %s\n", message);
}

/* Global options come before the command; returns the index of the command or -1. */
static int parse_globals(int argc, char **argv, const char **config, const char **database)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--database") == 0) &&
            i + 1 < argc) {
            *(strcmp(argv[i], "--config") == 0 ? config : database) = argv[i + 1];
            i++;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else {
            admin_error("unknown option %s (see cpd-admin --help)", argv[i]);
            return -1;
        }
    }
    return i < argc ? i : -1;
}

/* Stopped (Ctrl-C, systemctl, a timeout): no private copy of the taps left in $TMPDIR, no
 * half-written rest file; then the signal's own ending. */
static void on_stop(int sig)
{
    store_look_remove_on_signal();
    salvage_remove_on_signal();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    reader_prepare_process(); /* before any thread */
    /* A file size limit makes a write fail (EFBIG) rather than kill us mid-file: the file is
     * then removed and the failure said. */
    signal(SIGXFSZ, SIG_IGN);
    struct sigaction stop = {.sa_handler = on_stop};
    sigemptyset(&stop.sa_mask);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGHUP, &stop, NULL);
    const char *config_path = getenv("CPD_KIOSK_CONFIG");
    const char *database = getenv("CPD_KIOSK_DB");
    int at = parse_globals(argc, argv, &config_path, &database);
    if (!config_path || !config_path[0])
        config_path = config_installed_path();
    if (at < 0) {
        if (argc == 1)
            admin_usage(usage);
        return EXIT_USAGE;
    }
    struct admin *a = calloc(1, sizeof(*a));
    if (!a || crypto_init() != CRYPTO_OK) {
        admin_error("cannot initialise (out of memory or no entropy)");
        return 1;
    }
    int status = 1;
    config_default(&a->cfg);
    if (config_path && config_path[0] &&
        config_load(&a->cfg, config_path, print_config_problem, NULL) != CONFIG_OK) {
        if (strcmp(argv[at], "doctor") == 0) { /* a kiosk that cannot start is a failure */
            printf("FAILURE  config    %s: the errors above; fix: docs/config.md\n", config_path);
            status = 2;
        }
        goto out;
    }
    if (database && database[0] &&
        strcopy(a->cfg.kiosk.database, sizeof(a->cfg.kiosk.database), database) != 0) {
        admin_error("the database path is longer than %zu bytes",
                    sizeof(a->cfg.kiosk.database) - 1);
        goto out;
    }
    if (zone_set(a->cfg.kiosk.timezone) != ZONE_OK) {
        admin_error("unknown time zone \"%s\"", a->cfg.kiosk.timezone);
        goto out;
    }
    if (keys_resolve(a->cfg.kiosk.key_file, a->cfg.kiosk.database, "kiosk.key", a->sign_key_path,
                     sizeof(a->sign_key_path)) != KEYS_OK ||
        keys_resolve(a->cfg.kiosk.site_key_file, a->cfg.kiosk.database, "site.key",
                     a->site_key_path, sizeof(a->site_key_path)) != KEYS_OK) {
        admin_error("the key files' paths are too long (next to %s)", a->cfg.kiosk.database);
        goto out;
    }
    status = EXIT_USAGE;
    bool known = false;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[at], commands[i].name) == 0) {
            known = true;
            status = commands[i].run(a, argc - at, argv + at);
        }
    }
    if (!known)
        admin_error("unknown command: %s (see cpd-admin --help)", argv[at]);
out:
    store_close(a->store);
    keys_wipe(&a->keys);
    free(a);
    return status;
}
