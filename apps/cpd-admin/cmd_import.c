/* cpd-admin import KIND FILE [--dry-run] [--accept-changes] */
#include <stdio.h>
#include <string.h>

#include "core/base/error.h"
#include "apps/cpd-admin/admin.h"
#include "core/services/import.h"

static const char help[] =
    "usage: cpd-admin import programme|roster|bookings|credits FILE [--dry-run] "
    "[--accept-changes] [--replace]\n"
    "Imports a CSV file (formats: docs/data-formats.md). Every line is checked first: when any\n"
    "has an error, nothing is written. Then it is written in short transactions, so that the\n"
    "kiosk's taps never wait long; a failure while writing (a full disk) keeps what was written\n"
    "before it and says how much: run the same import again to finish it. Every problem is\n"
    "printed as FILE:LINE: error|warning|note: ...\n"
    "--dry-run checks everything and writes nothing. A programme that changes the times or\n"
    "credits of a session people attended names them and is refused unless --accept-changes.\n"
    "--replace: the file is the whole record. Bookings and credits the store holds and the\n"
    "file no longer does are cancelled or voided by a correction event naming the file; active\n"
    "people a roster no longer has are marked inactive as leavers (their records are kept).\n"
    "Without it, they are only counted (and named) in a warning.\n"
    "Exit status 1 when there is any error.\n";

static void print_problem(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

int cmd_import(struct admin *a, int argc, char **argv)
{
    const char *flag = NULL, *accept = NULL, *replace = NULL;
    const struct admin_option table[] = {{"dry-run", false, &flag},
                                         {"accept-changes", false, &accept},
                                         {"replace", false, &replace},
                                         {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    bool dry_run = flag != NULL;
    int kind = first + 2 == argc ? import_kind_parse(argv[first]) : -1;
    if (kind < 0) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    const char *path = argv[first + 1];
    if (admin_open_store(a) != 0)
        return 1;
    /* --replace writes correction events: the kiosk's key signs them. */
    if ((kind == IMPORT_ROSTER || replace) &&
        admin_load_keys(a, replace != NULL, kind == IMPORT_ROSTER) != 0)
        return 1;
    struct import_options o = {.dry_run = dry_run,
                               .accept_changes = accept != NULL,
                               .replace = replace != NULL,
                               .rules = &a->cfg.rules,
                               .site_key = kind == IMPORT_ROSTER ? a->keys.site : NULL,
                               .report = print_problem};
    struct import_result r;
    int err = import_file(a->store, (enum import_kind)kind, path, &o, &r);
    if (err == IMPORT_ENOFILE || err == IMPORT_ENOKEY)
        return 1;
    if (err != IMPORT_OK && r.written > 0) /* a failure while writing: the note says more */
        printf("%s: %d rows, %d errors, %d warnings: %d written before the failure; run the "
               "same import again to finish it\n",
               path, r.rows, r.errors, r.warnings, r.written);
    else
        printf("%s: %d rows, %d errors, %d warnings: %s\n", path, r.rows, r.errors, r.warnings,
               err != IMPORT_OK ? "nothing imported"
               : dry_run        ? "dry run, nothing written"
                                : "imported");
    if (err != IMPORT_OK && err != IMPORT_EINVALID)
        admin_error("%s", cpd_strerror(err));
    return err == IMPORT_OK ? 0 : 1;
}
