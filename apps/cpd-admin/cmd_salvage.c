/* cpd-admin salvage: what can still be read out of a damaged store, into this kiosk's store.
 * Every readable event of the damaged file is checked with this kiosk's key and joins this
 * store's chain in order (store_adopt_event), from where the chain ends; the next sync pushes
 * it. What cannot join (after an unreadable event, or not verifying) is written to a CSV file
 * for the office, never dropped unsaid. docs/recovery.md. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/error.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/services/csvfile.h"
#include "apps/cpd-admin/admin.h"

/* Failed reads in a row that end the search: the rest of the file cannot be read at all. */
#define MAX_UNREADABLE_IN_A_ROW 10000
/* A jump in the numbers larger than this is a damaged number, not lost events. */
#define MAX_GAP    1000000
#define SHOWN_SEQS 10

static const char help[] =
    "usage: cpd-admin salvage DAMAGED.db [--rest FILE.csv]\n"
    "Copies every event of a damaged kiosk store that can still be read and that verifies with\n"
    "this kiosk's key into this kiosk's store (the configured one, or --database), in order\n"
    "from where its chain ends; the next sync sends them to the ledger. Events that cannot\n"
    "join the chain (after an unreadable one, or not verifying) are written to FILE.csv\n"
    "(default: DAMAGED.db.rest.csv) for the office. Exit 0 when everything was copied, 1 when\n"
    "something could not be. See docs/recovery.md.\n";

struct salvage {
    struct admin *a;
    struct store *damaged;
    FILE *rest;
    const char *rest_path;
    int64_t read, adopted, present, unreadable, left;
    int64_t gap_at; /* the first seq that could not join, 0 while none */
    char unreadable_seqs[256];
    int shown;
    int stopped; /* the error that stopped the reading, 0 when it reached the end */
    int64_t last_read;
};

static int rest_row(struct salvage *v, const struct event *e, const char *why);

/* Events from..to that could not be read: one row of the rest file says which, so the office
 * knows which taps are gone (the paper register covers them). */
static int note_unreadable(struct salvage *v, int64_t from, int64_t to, int64_t tip)
{
    struct event e = {.seq = from, .type = EV_TYPE_COUNT};
    char why[96];
    if (to > from)
        snprintf(why, sizeof(why), "could not be read: the %" PRId64 " events %" PRId64 "–%" PRId64,
                 to - from + 1, from, to);
    else
        snprintf(why, sizeof(why), "could not be read");
    int err = rest_row(v, &e, why);
    v->left--; /* counted as unreadable, not as left over */
    v->unreadable += to - from + 1;
    if (!v->gap_at && to > tip)
        v->gap_at = from > tip ? from : tip + 1;
    size_t used = strlen(v->unreadable_seqs);
    if (v->shown++ < SHOWN_SEQS) {
        if (to > from)
            snprintf(v->unreadable_seqs + used, sizeof(v->unreadable_seqs) - used,
                     "%s%" PRId64 "–%" PRId64, used ? ", " : "", from, to);
        else
            snprintf(v->unreadable_seqs + used, sizeof(v->unreadable_seqs) - used, "%s%" PRId64,
                     used ? ", " : "", from);
    }
    return err;
}

/* The rest file, created on first use: 0600, never over an existing file. */
static int rest_row(struct salvage *v, const struct event *e, const char *why)
{
    static const char *const header[] = {"seq",     "uuid",       "kiosk",   "type", "person",
                                         "session", "local_time", "payload", "why"};
    if (!v->rest) {
        int fd = open(v->rest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        v->rest = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!v->rest) {
            admin_error("%s: %s", v->rest_path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return 1;
        }
        if (csvfile_write_row(v->rest, header, sizeof(header) / sizeof(header[0])) != CSVFILE_OK)
            return 1;
    }
    char seq[24], when[24];
    snprintf(seq, sizeof(seq), "%" PRId64, e->seq);
    if (e->wall_us)
        zone_format_local(e->wall_us, when);
    else
        when[0] = '\0';
    const char *type = e->type < EV_TYPE_COUNT ? event_type_code(e->type) : "";
    const char *fields[] = {seq,        e->uuid, e->kiosk,   type, e->person,
                            e->session, when,    e->payload, why};
    v->left++;
    return csvfile_write_cells(v->rest, fields, sizeof(fields) / sizeof(fields[0])) == CSVFILE_OK
               ? 0
               : 1;
}

/* One readable event of the damaged store: already here, joined, or left for the office. */
static int take(struct salvage *v, const struct event *e, int64_t tip)
{
    struct admin *a = v->a;
    bool first = v->adopted + v->present + v->left == 0;
    if (strcmp(e->kiosk, a->cfg.kiosk.id) != 0) {
        if (!first) /* one damaged field, among this kiosk's events */
            return rest_row(v, e, "another kiosk's id");
        char shown[64];
        utf8_printable(shown, sizeof(shown), e->kiosk);
        admin_error("event %" PRId64 " is kiosk \"%s\"'s, and this store is \"%s\"'s: salvage "
                    "into a store made with that kiosk's id and key (docs/recovery.md); nothing "
                    "was copied",
                    e->seq, shown, a->cfg.kiosk.id);
        return -1;
    }
    if (e->seq <= tip) {
        struct event here;
        int err = store_event_at(a->store, e->seq, &here);
        if (err == STORE_OK && memcmp(here.hash, e->hash, sizeof(here.hash)) == 0) {
            v->present++;
            return 0;
        }
        return rest_row(v, e, "differs from the event with the same number in this store");
    }
    int err = event_check(e, a->keys.sign_pk);
    if (err == EVENT_ESIG && first) {
        /* Whole, but not signed with this key — at the first one already: the wrong key far
         * more likely than a forged store. (A hash that does not match is damage.) */
        admin_error("event %" PRId64 " does not verify with the key in %s (%s): salvage with "
                    "this kiosk's own key file; nothing was copied",
                    e->seq, a->sign_key_path, cpd_strerror(err));
        return -1;
    }
    if (err != EVENT_OK)
        return rest_row(v, e, cpd_strerror(err));
    if (v->gap_at)
        return rest_row(v, e, "comes after an event that could not be read");
    err = store_adopt_event(a->store, e, a->keys.sign_pk);
    if (err != STORE_OK) {
        v->gap_at = e->seq;
        return rest_row(v, e, "does not continue this store's chain");
    }
    v->adopted++;
    return 0;
}

static int run(struct salvage *v)
{
    int64_t tip = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    int err = store_chain_tip(v->a->store, &tip, hash);
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        return 1;
    }
    /* From each event to the next one there is: a damaged page makes the seeks into its range
     * fail, and they are skipped one number at a time; a file nothing can be read of stops after
     * MAX_UNREADABLE_IN_A_ROW failed seeks, saying so. */
    int64_t at = 0, last = 0, failed = 0;
    for (;;) {
        struct event e;
        err = store_event_after(v->damaged, at, &e);
        if (err == STORE_ENOTFOUND)
            break;
        if (err != STORE_OK) {
            if (++failed > MAX_UNREADABLE_IN_A_ROW) {
                v->stopped = err;
                break;
            }
            at++;
            continue;
        }
        failed = 0;
        if (e.seq - last > MAX_GAP) {
            /* A number no chain could reach from here (a damaged field): the event is the
             * office's to look at, and the numbering goes on from where it was. */
            if (rest_row(v, &e, "its number does not follow the others") != 0)
                return 1;
            v->read++;
            at = e.seq;
            continue;
        }
        if (e.seq > last + 1 && note_unreadable(v, last + 1, e.seq - 1, tip) != 0)
            return 1;
        v->read++;
        if (take(v, &e, tip) != 0)
            return 1;
        last = at = v->last_read = e.seq;
    }
    if (v->stopped && note_unreadable(v, last + 1, at, tip) != 0)
        return 1;
    return 0;
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
    struct salvage v = {.a = a, .rest_path = rest ? rest : rest_path};
    struct stat st;
    if (lstat(v.rest_path, &st) == 0) { /* a symbolic link too, dangling or not */
        admin_error("%s already exists: move it away, or name another file with --rest",
                    v.rest_path);
        return 1;
    }
    char why[256];
    int err = store_open_damaged(damaged_path, &v.damaged, why, sizeof(why));
    if (err != STORE_OK) {
        admin_error("%s: %s%s%s", damaged_path, cpd_strerror(err), why[0] ? ": " : "", why);
        return 1;
    }
    rc = admin_open_store(a) != 0 || admin_load_keys(a, true, false) != 0 ? 1 : run(&v);
    if (v.rest && fclose(v.rest) != 0) {
        admin_error("%s: %s", v.rest_path, strerror(errno));
        rc = 1;
    }
    store_close(v.damaged);
    if (rc != 0)
        return rc;
    printf("%s: %" PRId64 " events read; %" PRId64 " added to %s, %" PRId64 " were already there\n",
           damaged_path, v.read, v.adopted, a->cfg.kiosk.database, v.present);
    if (v.unreadable)
        printf("%" PRId64 " could not be read (seq %s%s; every one is listed in %s)\n",
               v.unreadable, v.unreadable_seqs, v.unreadable > SHOWN_SEQS ? ", …" : "",
               v.rest_path);
    if (v.left)
        printf("%" PRId64 " could not join the chain and are in %s, for the office to enter as "
               "corrections (docs/recovery.md)\n",
               v.left, v.rest_path);
    if (v.stopped)
        printf("the file could not be read past event %" PRId64
               " (%s): nothing more can be got out "
               "of it\n",
               v.read ? v.last_read : 0, cpd_strerror(v.stopped));
    if (!v.unreadable && !v.left)
        printf("everything in the damaged store is now in this one; sync sends it to the ledger\n");
    return v.unreadable || v.left ? 1 : 0;
}
