/* cpd-admin sync, ledger init|add-kiosk|import, and verify --ledger: the central ledger. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/error.h"
#include "sync/ledger/ledger.h"
#include "apps/cpd-admin/admin.h"
#include "core/domain/crypto.h"

static int fail(int err, const char *why)
{
    return admin_ledger_fail(err, why);
}

/* ---- sync -------------------------------------------------------------------------------- */

static void progress_bar(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    admin_progress("pushing events", done, total);
}

static const char sync_help[] =
    "usage: cpd-admin sync\n"
    "Syncs with the central ledger ([sync] in kiosk.ini): pushes this kiosk's events (exactly\n"
    "once, resumable), pulls the roster, badges, programme, bookings and external credits, and\n"
    "records the ledger's clock offset. A progress bar on a terminal, quiet when piped.\n"
    "Before pushing it compares the ledger's chain tip with its own: a kiosk restored from an\n"
    "old backup takes its own events back; a ledger that lost events gets them again (exit 8);\n"
    "the same seq with another hash (a cloned kiosk) stops with exit 6.\n"
    "Then synced events older than [sync] keep_synced_days are purged here, by the ledger's\n"
    "clock; a purge refused (the clocks disagree, or it would reach into this credit year) is\n"
    "said on stderr and the sync still succeeds.\n"
    "Exit status: 0 ok, 1 failure, 2 usage, 3 ledger unreachable, 4 login refused, 5 schema\n"
    "too old or too new, 6 tampering, divergence or an event refused by the ledger, 7 TLS\n"
    "certificate or host name failure, 8 synced after re-sending events the ledger had lost, 9\n"
    "synced after taking back events this disk never committed (restored whole, or a clone).\n";

int cmd_sync(struct admin *a, int argc, char **argv)
{
    int usage = admin_no_arguments(argc, argv, sync_help);
    if (usage >= 0)
        return usage;
    if (admin_open_store(a) != 0 || admin_load_keys(a, true, false) != 0)
        return 1;
    struct sync_report r;
    char why[512];
    int err = sync_run(&a->cfg.sync, a->store, isatty(STDERR_FILENO) ? progress_bar : NULL, NULL,
                       &r, why, sizeof(why));
    if (err != SYNC_OK)
        return fail(err, why);
    if (r.healed)
        printf("restored: took back %" PRId64 " of this kiosk's own events from the ledger "
               "(this store was behind it); the chain goes on from seq %" PRId64 "\n",
               r.healed, r.acked_seq);
    if (r.full_pull)
        printf("pulled everything again: the ledger was restored or is another one\n");
    printf("synced: %" PRId64 " events pushed (ledger holds up to seq %" PRId64 ", %" PRId64
           " waiting); pulled %d people, %d badges, %d courses, %d sessions, %d bookings, %d "
           "credits; ledger clock %+" PRId64 " ms\n",
           r.pushed, r.acked_seq, r.waiting, r.pulled[0], r.pulled[1], r.pulled[2], r.pulled[3],
           r.pulled[4], r.pulled[5], r.clock_offset_ms);
    char purge[512];
    sync_purge_text(&r, &a->cfg.sync, purge, sizeof(purge));
    if (r.purge == SYNC_PURGE_RAN && purge[0])
        printf("%s\n", purge);
    else if (purge[0]) /* refused or failed: the sync itself succeeded */
        admin_error("WARNING: %s", purge);
    if (r.adopted_unreceipted) {
        admin_error("WARNING: %" PRId64 " of the events taken back (seqs %" PRId64 "–%" PRId64
                    ") were never committed on this disk (no receipt names them): either this "
                    "whole disk was put back from a backup, or another copy of this kiosk (a "
                    "clone, with its key) tapped as it. If it was not restored, tell head office "
                    "at once",
                    r.adopted_unreceipted, r.unreceipted_from, r.unreceipted_to);
        return EXIT_ADOPTED;
    }
    if (r.resent_from) {
        admin_error("WARNING: the ledger had lost seqs %" PRId64 "–%" PRId64
                    " that it had acknowledged (restored from a backup, or events removed): "
                    "re-sent them; tell head office",
                    r.resent_from, r.resent_to);
        return EXIT_RESENT;
    }
    return 0;
}

/* ---- ledger ------------------------------------------------------------------------------ */

static const char ledger_help[] =
    "usage: cpd-admin ledger init|add-kiosk|add-office|rotate-key|checkpoint|import --conninfo "
    "CONNINFO [...]\n"
    "  ledger init [--keyring FILE] [--office-key FILE]\n"
    "                                     create or migrate the ledger schema (as its owner,\n"
    "                                     after a superuser's CREATE EXTENSION cpd_ledger);\n"
    "                                     --office-key: head office's signing key (made when\n"
    "                                     missing; its public half into the keyring)\n"
    "  ledger add-kiosk ID --public-key HEX --kiosk-password-file FILE --keyring FILE\n"
    "       [--statement-timeout S] [--idle-timeout S] [--connections N]\n"
    "                                     register a kiosk, its key and its login role\n"
    "  ledger add-office NAME --office-password-file FILE\n"
    "                                     an office login (cpd_office_NAME) for reports\n"
    "  ledger rotate-key ID --public-key HEX --reason TEXT --keyring FILE [--from-seq N]\n"
    "                                     a new key for the kiosk's events from N on\n"
    "  ledger checkpoint                  print each kiosk's last seq and hash (keep it apart)\n"
    "  ledger import KIND FILE --office-key FILE [--checkpoints FILE] [--dry-run] [--replace]\n"
    "       [--accept-changes]            import programme | roster | bookings | credits;\n"
    "                                     --checkpoints: the signed record's checkpoint is\n"
    "                                     appended there (keep it with the others);\n"
    "                                     --replace (roster): people not in it become leavers;\n"
    "                                     --accept-changes: as for a kiosk's import (a programme\n"
    "                                     change to what people attended names them); each\n"
    "                                     import is a record signed with head office's key\n"
    "Connect as the ledger's owner; --password-file FILE (mode 0600) for the password.\n"
    "The keyring (written 0600, appended to) is the trust anchor of verify --ledger: keep it\n"
    "away from the database server. Exit status as for sync.\n";

struct ledger_args {
    const char *conninfo, *password_file, *public_key, *kiosk_password_file, *keyring;
    const char *checkpoints, *reason, *from_seq, *office_password_file, *office_key;
    int statement_timeout_s, idle_timeout_s, connections;
    bool dry_run, replace, accept_changes;
    int first;
};

/* A whole number in [min, max]; -1 when it is not. */
static int number(const char *s, int min, int max)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= min && v <= max ? (int)v : -1;
}

static int ledger_args(int argc, char **argv, struct ledger_args *o)
{
    const char *statement = NULL, *idle = NULL, *connections = NULL, *dry_run = NULL,
               *replace = NULL, *accept = NULL, *ledger = NULL;
    const struct admin_option table[] = {{"conninfo", true, &o->conninfo},
                                         {"ledger", true, &ledger},
                                         {"password-file", true, &o->password_file},
                                         {"public-key", true, &o->public_key},
                                         {"kiosk-password-file", true, &o->kiosk_password_file},
                                         {"office-password-file", true, &o->office_password_file},
                                         {"keyring", true, &o->keyring},
                                         {"office-key", true, &o->office_key},
                                         {"checkpoints", true, &o->checkpoints},
                                         {"reason", true, &o->reason},
                                         {"from-seq", true, &o->from_seq},
                                         {"statement-timeout", true, &statement},
                                         {"idle-timeout", true, &idle},
                                         {"connections", true, &connections},
                                         {"dry-run", false, &dry_run},
                                         {"replace", false, &replace},
                                         {"accept-changes", false, &accept},
                                         {NULL, false, NULL}};
    /* Help and usage errors are printed by the caller, with the right text. */
    int rc = admin_options(argc, argv, table, NULL, &o->first);
    if (rc != 0)
        return rc < 0 ? -1 : EXIT_USAGE;
    if (ledger)
        o->conninfo = ledger;
    o->dry_run = dry_run != NULL;
    o->replace = replace != NULL;
    o->accept_changes = accept != NULL;
    o->statement_timeout_s = statement ? number(statement, 1, 3600) : 60;
    o->idle_timeout_s = idle ? number(idle, 1, 3600) : 30;
    o->connections = connections ? number(connections, 1, 20) : 2;
    if (o->statement_timeout_s < 0 || o->idle_timeout_s < 0 || o->connections < 0)
        return EXIT_USAGE;
    return o->conninfo ? 0 : EXIT_USAGE;
}

static int target_of(struct admin *a, const struct ledger_args *o, struct ledger_target *t,
                     char *password, size_t cap)
{
    char why[300];
    int rc = admin_ledger_conninfo(o->conninfo);
    if (rc != 0)
        return rc;
    t->conninfo = o->conninfo;
    t->password = NULL;
    t->office_key = o->office_key;
    t->checkpoints = o->checkpoints;
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
                             const char *path, const struct ledger_args *args)
{
    bool dry_run = args->dry_run, replace = args->replace;
    char why[2048];
    if (replace && kind != IMPORT_ROSTER) {
        admin_error("--replace on the ledger: the roster only (a kiosk's corrections void "
                    "credits and cancel bookings)");
        return EXIT_USAGE;
    }
    if (kind == IMPORT_ROSTER && admin_load_keys(a, false, true) != 0)
        return 1;
    struct import_options o = {.dry_run = dry_run,
                               .replace = replace,
                               .accept_changes = args->accept_changes,
                               .rules = &a->cfg.rules,
                               .site_key = kind == IMPORT_ROSTER ? a->keys.site : NULL,
                               .report = print_problem};
    struct import_result r;
    int err = ledger_import(t, (enum import_kind)kind, path, &o, &r, why, sizeof(why));
    if (err != SYNC_OK && err != SYNC_ECONFIG)
        return fail(err, why);
    bool written = r.written > 0 || (err == SYNC_OK && !dry_run);
    printf("%s: %d rows, %d errors, %d warnings: %s\n", path, r.rows, r.errors, r.warnings,
           written   ? "imported into the ledger"
           : dry_run ? "dry run, nothing written"
                     : "nothing imported");
    if (written && args->checkpoints && err == SYNC_OK)
        printf("head office's signed record of it is checkpointed in %s\n", args->checkpoints);
    else if (written && !args->checkpoints)
        printf("not checkpointed (no --checkpoints FILE): until the next ledger checkpoint, the "
               "owner could take this import back unseen\n");
    if (err != SYNC_OK && r.errors == 0)
        admin_error("%s", why); /* not the file's own lines: say why */
    return err == SYNC_OK ? 0 : 1;
}

static bool public_key_ok(const char *hex)
{
    uint8_t pk[CRYPTO_SIGN_PK_BYTES];
    if (hex && strlen(hex) == 2 * CRYPTO_SIGN_PK_BYTES && crypto_unhex(pk, sizeof(pk), hex) == 0)
        return true;
    admin_error("--public-key: expected 64 hex digits (cpd-admin kiosk init prints it)");
    return false;
}

static int add_kiosk(const struct ledger_target *t, const struct ledger_args *o, const char *id,
                     char *why, size_t cap)
{
    char kiosk_password[256], role[128];
    if (!public_key_ok(o->public_key))
        return EXIT_USAGE;
    int err = sync_read_password(o->kiosk_password_file, kiosk_password, sizeof(kiosk_password),
                                 why, cap);
    struct ledger_kiosk k = {.id = id,
                             .public_key_hex = o->public_key,
                             .password = kiosk_password,
                             .statement_timeout_s = o->statement_timeout_s,
                             .idle_in_transaction_s = o->idle_timeout_s,
                             .connections = o->connections};
    if (err == SYNC_OK)
        err = ledger_add_kiosk(t, &k, o->keyring, role, sizeof(role), why, cap);
    crypto_wipe(kiosk_password, sizeof(kiosk_password));
    if (err != SYNC_OK)
        return fail(err, why);
    printf("kiosk %s registered; its login role is %s; its key is in %s\n", id, role, o->keyring);
    return 0;
}

static int add_office(const struct ledger_target *t, const struct ledger_args *o, const char *name,
                      char *why, size_t cap)
{
    char password[256], role[128];
    int err = sync_read_password(o->office_password_file, password, sizeof(password), why, cap);
    if (err == SYNC_OK)
        err = ledger_add_office(t, name, password, role, sizeof(role), why, cap);
    crypto_wipe(password, sizeof(password));
    if (err != SYNC_OK)
        return fail(err, why);
    printf("office login %s created: it reads the cpd.office_* views\n", role);
    return 0;
}

static int rotate_key(const struct ledger_target *t, const struct ledger_args *o, const char *id,
                      char *why, size_t cap)
{
    int64_t from = 0, applies = 0;
    if (!public_key_ok(o->public_key))
        return EXIT_USAGE;
    if (o->from_seq && (from = strtoll(o->from_seq, NULL, 10)) < 1) {
        admin_error("--from-seq: expected a seq of 1 or more");
        return EXIT_USAGE;
    }
    int err =
        ledger_rotate_key(t, id, o->public_key, o->reason, from, o->keyring, &applies, why, cap);
    if (err != SYNC_OK)
        return fail(err, why);
    printf("kiosk %s: events from seq %" PRId64 " on are checked with the new key (%s); "
           "recorded in the ledger and in %s\n",
           id, applies, o->reason, o->keyring);
    return 0;
}

static void print_line(void *ctx, const char *line, bool bad)
{
    (void)ctx;
    (void)bad;
    printf("%s\n", line);
}

/* Which subcommands take which arguments: n positional words, and what must be given. */
static bool ledger_usage_ok(const char *what, int n, const struct ledger_args *o)
{
    if (strcmp(what, "init") == 0 || strcmp(what, "checkpoint") == 0)
        return n == 1;
    if (strcmp(what, "add-kiosk") == 0)
        return n == 2 && o->public_key && o->kiosk_password_file && o->keyring;
    if (strcmp(what, "add-office") == 0)
        return n == 2 && o->office_password_file;
    if (strcmp(what, "rotate-key") == 0)
        return n == 2 && o->public_key && o->reason && o->reason[0] && o->keyring;
    return strcmp(what, "import") == 0 && n == 3;
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
    if (rc != 0 || !ledger_usage_ok(what, argc - o.first, &o)) {
        admin_usage(ledger_help);
        return EXIT_USAGE;
    }
    struct ledger_target t;
    char password[256] = "", why[2048] = "";
    if ((rc = target_of(a, &o, &t, password, sizeof(password))) != 0)
        return rc;
    int err = SYNC_OK;
    if (strcmp(what, "init") == 0) {
        struct ledger_init init = {
            .keyring = o.keyring, .office_key = o.office_key, .say = print_line};
        err = ledger_init(&t, &init, why, sizeof(why));
        if (err == SYNC_OK && init.from == init.to)
            printf("ledger schema %d is current; hardening re-applied\n", init.to);
        else if (err == SYNC_OK)
            printf("ledger schema %d → %d; hardening applied\n", init.from, init.to);
        if (err == SYNC_OK && o.keyring)
            printf("the schema's digest is in %s\n", o.keyring);
        rc = err == SYNC_OK ? 0 : fail(err, why);
    } else if (strcmp(what, "add-kiosk") == 0) {
        rc = add_kiosk(&t, &o, argv[o.first + 1], why, sizeof(why));
    } else if (strcmp(what, "add-office") == 0) {
        rc = add_office(&t, &o, argv[o.first + 1], why, sizeof(why));
    } else if (strcmp(what, "rotate-key") == 0) {
        rc = rotate_key(&t, &o, argv[o.first + 1], why, sizeof(why));
    } else if (strcmp(what, "checkpoint") == 0) {
        err = ledger_checkpoint(&t, print_line, NULL, why, sizeof(why));
        rc = err == SYNC_OK ? 0 : fail(err, why);
    } else {
        int kind = import_kind_parse(argv[o.first + 1]);
        rc = kind < 0 ? (admin_usage(ledger_help), EXIT_USAGE)
                      : ledger_import_cmd(a, &t, kind, argv[o.first + 2], &o);
    }
    crypto_wipe(password, sizeof(password));
    return rc;
}

/* ---- verify --ledger --------------------------------------------------------------------- */

int cmd_verify_ledger(struct admin *a, int argc, char **argv)
{
    struct ledger_args o = {0};
    int rc = ledger_args(argc, argv, &o);
    if (rc != 0 || o.first != argc || !o.keyring) {
        admin_usage("usage: cpd-admin verify --ledger CONNINFO --keyring FILE [--checkpoints FILE]"
                    " [--password-file FILE]");
        return EXIT_USAGE;
    }
    struct ledger_target t;
    struct ledger_keyring ring;
    char password[256] = "", why[2048] = "";
    if ((rc = target_of(a, &o, &t, password, sizeof(password))) != 0)
        return rc;
    int err = ledger_keyring_load(o.keyring, &ring, why, sizeof(why));
    struct ledger_verify_report r = {0};
    if (err == SYNC_OK)
        err = ledger_verify(&t, &ring, o.checkpoints, print_line, NULL, &r, why, sizeof(why));
    crypto_wipe(password, sizeof(password));
    ledger_keyring_free(&ring);
    if (err != SYNC_OK)
        return fail(err, why);
    if (r.bad_kiosks || r.bad_other) {
        admin_error("%d of %d kiosks' records and %d findings in the schema, privileges or head"
                    " office's rows do not verify",
                    r.bad_kiosks, r.kiosks, r.bad_other);
        return EXIT_TAMPER;
    }
    printf("%d kiosk%s, %" PRId64 " event%s, %d checkpoint%s, head office's rows: all verified"
           " against the keyring\n",
           r.kiosks, r.kiosks == 1 ? "" : "s", r.events, r.events == 1 ? "" : "s", r.checkpoints,
           r.checkpoints == 1 ? "" : "s");
    return 0;
}
