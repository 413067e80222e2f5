/* cpd-admin salvage: what can still be read out of a damaged store, into this kiosk's store
 * (core/services/salvage.h does the work; this says what it found). docs/recovery.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/error.h"
#include "core/services/salvage.h"
#include "apps/cpd-admin/admin.h"

static const char help[] =
    "usage: cpd-admin salvage DAMAGED.db [--rest FILE.csv]\n"
    "Copies every event of a damaged kiosk store that can still be read and that verifies with\n"
    "this kiosk's key into this kiosk's store (the configured one, or --database), in order\n"
    "from where its chain ends; the next sync sends them to the ledger. How many events there\n"
    "were is read from every source the damaged file and its receipts hold; every one of them\n"
    "is accounted for: added, already there, or in FILE.csv (default: DAMAGED.db.rest.csv) for\n"
    "the office — with what could be read of it, or its number when nothing could. The damaged\n"
    "files are only read. Exit 0 when everything is now in this store, 1 when not.\n"
    "See docs/recovery.md.\n";

static void print_claims(const char *damaged, const struct salvage_report *r)
{
    if (r->last < r->first) {
        printf("%s: nothing in it says it held any event\n", damaged);
        return;
    }
    printf("%s: held events %" PRId64 "–%" PRId64 " (", damaged, r->first, r->last);
    const char *sep = "";
    for (int s = 0; s < SALVAGE_SOURCES; s++) {
        const struct salvage_claim *c = &r->claims[s];
        if (c->known && c->believed) {
            printf("%s%s: %" PRId64, sep, salvage_source_name((enum salvage_source)s), c->highest);
            sep = ", ";
        }
    }
    printf(")\n");
}

static void print_notes(const struct salvage_report *r)
{
    for (int s = 0; s < SALVAGE_SOURCES; s++) {
        const struct salvage_claim *c = &r->claims[s];
        if (c->known && c->explained)
            printf("note: %s says %" PRId64 ": the number of a damaged row, whose content says "
                   "it is another\n",
                   salvage_source_name((enum salvage_source)s), c->highest);
        else if (c->known && !c->believed)
            printf("note: %s says %" PRId64 ", which nothing else supports: not counted (a "
                   "damaged number?), so not everything can be said to be here\n",
                   salvage_source_name((enum salvage_source)s), c->highest);
    }
    if (r->disbelieved)
        printf("note: %" PRId64 " index entr%s name%s a seq past %" PRId64
               ", which nothing else supports (damaged entries?)\n",
               r->disbelieved, r->disbelieved == 1 ? "y" : "ies", r->disbelieved == 1 ? "s" : "",
               r->last);
    if (r->renumbered)
        printf("%" PRId64 " event%s found under a damaged row number, put back by %s hash\n",
               r->renumbered, r->renumbered == 1 ? " was" : "s were",
               r->renumbered == 1 ? "its" : "their");
    if (r->purged_below > 1)
        printf("events before seq %" PRId64 " were purged there after the ledger had them\n",
               r->purged_below);
}

static void print_unreadable(const struct salvage_report *r, const char *rest)
{
    printf("the %" PRId64 " that could not be read: seq ", r->unreadable);
    for (int64_t i = 0; i < r->unreadable_ranges && i < SALVAGE_SHOWN; i++) {
        const struct salvage_range *g = &r->unreadable_shown[i];
        if (g->to > g->from)
            printf("%s%" PRId64 "–%" PRId64, i ? ", " : "", g->from, g->to);
        else
            printf("%s%" PRId64, i ? ", " : "", g->from);
    }
    printf("%s (each is listed in %s)\n", r->unreadable_ranges > SALVAGE_SHOWN ? ", …" : "", rest);
}

static int report(struct admin *a, const char *damaged, const char *rest,
                  const struct salvage_result *res)
{
    const struct salvage_report *r = &res->report;
    if (res->refusal == SALVAGE_REFUSED_OTHER_KIOSK) {
        admin_error("event %" PRId64 " is kiosk \"%s\"'s, and this store is \"%s\"'s: salvage "
                    "into a store made with that kiosk's id and key (docs/recovery.md); nothing "
                    "was copied",
                    res->refused_seq, res->refused_kiosk, a->cfg.kiosk.id);
        return 1;
    }
    if (res->refusal == SALVAGE_REFUSED_WRONG_KEY) {
        admin_error("event %" PRId64 " does not verify with the key in %s (nor does any other "
                    "event there): salvage with this kiosk's own key file; nothing was copied",
                    res->refused_seq, a->sign_key_path);
        return 1;
    }
    if (res->refusal == SALVAGE_REFUSED_FOREIGN_WAL) {
        admin_error("%s-wal holds kiosk \"%s\"'s events (seq %" PRId64 " the first), and the "
                    "database beside it is this kiosk's: that WAL is another database's. Move it "
                    "away and salvage again (docs/recovery.md); nothing was copied",
                    damaged, res->refused_kiosk, res->refused_seq);
        return 1;
    }
    if (res->refusal == SALVAGE_REFUSED_WAL_KEY) {
        admin_error("%s-wal holds events of this kiosk's id (seq %" PRId64 " the first) of which "
                    "none verifies with the key in %s: another kiosk set up with the same id wrote "
                    "it. Move it away and salvage again (docs/recovery.md); nothing was copied",
                    damaged, res->refused_seq, a->sign_key_path);
        return 1;
    }
    if (!r->readable && r->last < r->first) {
        admin_error("%s: not a database: nothing in it could be read, and nothing beside it "
                    "says it held any event",
                    damaged);
        return 1;
    }
    if (!r->readable)
        printf("%s: not a database: nothing in it could be read — but its receipts say what it "
               "held\n",
               damaged);
    print_claims(damaged, r);
    int64_t total = r->last >= r->first ? r->last - r->first + 1 : 0;
    printf("%" PRId64 " accounted for: %" PRId64 " added to %s, %" PRId64 " were already there",
           total, r->added, a->cfg.kiosk.database, r->present);
    if (r->rest)
        printf(", %" PRId64 " read but could not join the chain", r->rest);
    if (r->unreadable)
        printf(", %" PRId64 " could not be read", r->unreadable);
    printf("\n");
    if (r->unreadable)
        print_unreadable(r, rest);
    if (r->gap_after && r->rest)
        printf("seq %" PRId64 " could not join, so this store's chain stops before it: the %" PRId64
               " read from there on %s in %s\n",
               r->gap_after, r->rest, r->rest == 1 ? "is" : "are", rest);
    if (r->receipts_differ)
        printf("%" PRId64 " of the events here %s not the one%s acknowledged with that number "
               "(the first: seq %" PRId64 "): the acknowledged ones are lost — their receipts "
               "are in %s-receipts\n",
               r->receipts_differ, r->receipts_differ == 1 ? "is" : "are",
               r->receipts_differ == 1 ? "" : "s", r->first_receipt_differ, damaged);
    if (r->receipts_missing)
        printf("%s-receipts is missing, though this store kept receipts: taps acknowledged "
               "after the last event read cannot be counted, so this cannot say it has "
               "everything (docs/recovery.md)\n",
               damaged);
    print_notes(r);
    if (r->everything) {
        printf("every event of the damaged store is now in this one%s (its roster, programme, "
               "bookings, credits and PINs are not events: docs/recovery.md)\n",
               a->cfg.sync.conninfo[0] ? "; sync sends them to the ledger" : "");
        return 0;
    }
    if (r->rest_rows)
        printf("not everything is here: give %s (%" PRId64 " row%s) to the office "
               "(docs/recovery.md)\n",
               rest, r->rest_rows, r->rest_rows == 1 ? "" : "s");
    return 1;
}

int cmd_salvage(struct admin *a, int argc, char **argv)
{
    const char *rest = NULL;
    int first = 0;
    const struct admin_option table[] = {{"rest", true, &rest}, {NULL, false, NULL}};
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (first != argc - 1) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    const char *damaged_path = argv[first];
    char rest_path[CONFIG_PATH_MAX + 16];
    snprintf(rest_path, sizeof(rest_path), "%s.rest.csv", damaged_path);
    const char *v_rest = rest ? rest : rest_path;
    struct stat st;
    if (lstat(v_rest, &st) == 0) { /* a symbolic link too, dangling or not */
        admin_error("%s already exists: move it away, or name another file with --rest", v_rest);
        return 1;
    }
    char why[512];
    if (admin_open_store(a) != 0 || admin_load_keys(a, true, false) != 0)
        return 1;
    struct salvage_options o = {.damaged_path = damaged_path,
                                .rest_path = v_rest,
                                .target = a->store,
                                .kiosk_id = a->cfg.kiosk.id,
                                .pk = a->keys.sign_pk};
    struct salvage_result *res = calloc(1, sizeof(*res));
    if (!res) {
        admin_error("out of memory");
        return 1;
    }
    int err = salvage_run(&o, res, why, sizeof(why));
    if (err != STORE_OK) {
        admin_error("%s%s%s", cpd_strerror(err), why[0] ? ": " : "", why);
        /* What was added stays added: the chain is whole up to it. */
        if (res->report.added)
            printf("%" PRId64 " events were added before it stopped\n", res->report.added);
        free(res);
        return 1;
    }
    rc = report(a, damaged_path, v_rest, res);
    free(res);
    return rc;
}
