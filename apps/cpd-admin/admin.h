/* admin.h — what cpd-admin's subcommands share: the loaded config, the store, the keys.
 *
 * Each subcommand is `int cmd_x(struct admin *a, int argc, char **argv)` returning the exit
 * status: 0 ok, 1 failure, 2 usage. Errors are one line on stderr, prefixed "cpd-admin: ". */
#ifndef CPD_ADMIN_H
#define CPD_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/services/keys.h"
#include "core/store/store.h"

#define EXIT_USAGE 2
/* Exit statuses of sync, the ledger commands and --ledger, beyond 0/1/2. */
enum {
    EXIT_UNREACHABLE = 3,
    EXIT_AUTH = 4,
    EXIT_SCHEMA = 5,
    EXIT_TAMPER = 6,
    EXIT_TLS = 7,
    EXIT_RESENT = 8,
    EXIT_ADOPTED = 9
};

struct admin {
    struct config cfg;
    struct store *store;
    struct kiosk_keys keys;
    char sign_key_path[CONFIG_PATH_MAX];
    char site_key_path[CONFIG_PATH_MAX];
};

#if defined(__GNUC__)
#define ADMIN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ADMIN_PRINTF(a, b)
#endif

void admin_error(const char *fmt, ...) ADMIN_PRINTF(1, 2);
/* Opens the configured database (creating and migrating it); 0 or 1 after saying why. */
/* Read only (core/store/store.h): for commands that only look, so they work on a read-only
 * store, a read-only mount or a copy. */
int admin_open_store_readonly(struct admin *a);
int admin_open_store(struct admin *a);
/* Loads the signing key (and tells the store) and/or the site key; 0 or 1 after saying why. */
int admin_load_keys(struct admin *a, bool sign, bool site);
/* One option of a subcommand: --name, with a value or not; *value gets it ("" for a flag given,
 * NULL when absent). A table ends with a NULL name. */
struct admin_option {
    const char *name;
    bool has_value;
    const char **value;
};
/* Parses a subcommand's argv by the table and --help: 0 with *first = the first positional
 * argument; -1 after printing help on stdout; EXIT_USAGE after a one-line usage on stderr
 * (help NULL: nothing printed, the caller says it). */
int admin_options(int argc, char **argv, const struct admin_option *table, const char *help,
                  int *first);
/* Parses a subcommand's argv with one option (name, with a value or not) and --help. Returns 0
 * with *value = its value ("" for a flag given, NULL when absent) and *first = the index of the
 * first positional argument; -1 after printing help on stdout; EXIT_USAGE after the help on
 * stderr. */
int admin_one_option(int argc, char **argv, const char *name, bool has_value, const char *help,
                     const char **value, int *first);
/* A usage error: the help's first line, as one line on stderr. */
void admin_usage(const char *help);
/* A subcommand that takes no arguments: 0 after printing help on stdout, EXIT_USAGE after the
 * one-line usage on stderr, -1 to go on. */
int admin_no_arguments(int argc, char **argv, const char *help);
/* True when argv asks for help ("-h" / "--help") anywhere. */
bool admin_wants_help(int argc, char **argv);
/* A ledger failure as one line; the exit status (3 unreachable, 4 login refused, 5 schema, 6
 * tampering or divergence, 7 TLS, 1 otherwise). */
int admin_ledger_fail(int err, const char *why);
/* A head office connection string: one holding a password refused (EXIT_USAGE, said); what it
 * weakens (sslmode other than verify-full, channel_binding other than require) said on
 * standard error. 0 to go on. */
int admin_ledger_conninfo(const char *conninfo);
/* "what [####    ] done/total" on stderr when it is a terminal, quiet when piped. */
void admin_progress(const char *what, int64_t done, int64_t total);
/* Looks a person up by staff number, saying so when unknown. */
int admin_person(struct admin *a, const char *staff_no, struct person *out);
/* --option TEXT as a local time (zone_parse_local): 0, or EXIT_USAGE after one line saying
 * exactly why not — for a time that happens twice, the two ways to write which. */
int admin_parse_time(const char *option, const char *text, int64_t *out);
/* What every --help says a TIME is. */
#define ADMIN_TIME_HELP                                                                            \
    "TIME is local \"YYYY-MM-DD HH:MM[:SS]\". A time that happens twice (the clocks go back)\n"    \
    "needs its UTC offset or zone after it: \"2023-10-29 01:30 +01:00\" or \"... BST\" for the\n"  \
    "first, \"... +00:00\" or \"... GMT\" for the second; a time the clocks go forward over is\n"  \
    "refused.\n"

int cmd_kiosk(struct admin *a, int argc, char **argv);
int cmd_salvage(struct admin *a, int argc, char **argv);
int cmd_doctor(struct admin *a, int argc, char **argv);
int cmd_import(struct admin *a, int argc, char **argv);
int cmd_people(struct admin *a, int argc, char **argv);
int cmd_badges(struct admin *a, int argc, char **argv);
int cmd_tap(struct admin *a, int argc, char **argv);
int cmd_credits(struct admin *a, int argc, char **argv);
int cmd_correct(struct admin *a, int argc, char **argv);
int cmd_report(struct admin *a, int argc, char **argv);
int cmd_events(struct admin *a, int argc, char **argv);
int cmd_verify(struct admin *a, int argc, char **argv);
int cmd_rebuild(struct admin *a, int argc, char **argv);
int cmd_trainer(struct admin *a, int argc, char **argv);
int cmd_reader_test(struct admin *a, int argc, char **argv);
int cmd_sync(struct admin *a, int argc, char **argv);
int cmd_ledger(struct admin *a, int argc, char **argv);
int cmd_verify_ledger(struct admin *a, int argc, char **argv);

#endif
