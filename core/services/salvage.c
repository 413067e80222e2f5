/* Salvage (salvage.h): gather every piece of evidence first, then decide each seq once, in
 * order, from the first event the damaged store held to the last. */
#include "core/services/salvage_internal.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/strcopy.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/services/csvfile.h"

/* Events adopted per transaction of this store. */
#define BATCH 256

static const char *const source_names[SALVAGE_SOURCES] = {
    [SALVAGE_HIGH_WATER] = "the high-water mark", [SALVAGE_MAX_SEQ] = "max(seq)",
    [SALVAGE_ROWS] = "the events read",           [SALVAGE_UUID_INDEX] = "the uuid index",
    [SALVAGE_PERSON_INDEX] = "the person index",  [SALVAGE_WAL] = "the WAL",
    [SALVAGE_RECEIPTS] = "the tap receipts",      [SALVAGE_LEDGER] = "what the ledger acknowledged",
    [SALVAGE_THIS_STORE] = "this store",
};

const char *salvage_source_name(enum salvage_source source)
{
    return source < SALVAGE_SOURCES ? source_names[source] : "?";
}

/* The receipt of seq: the hash the kiosk acknowledged for it (NULL when none). */
static const struct store_receipt *receipt_for(const struct salvage *v, int64_t seq)
{
    struct store_receipt key = {.seq = seq};
    return v->receipts.n ? bsearch(&key, v->receipts.items, v->receipts.n, sizeof(key), by_receipt)
                         : NULL;
}

/* An event added or already here that its receipt names otherwise: acknowledged as another. */
static void compare_receipt(struct salvage *v, int64_t seq, const uint8_t hash[])
{
    const struct store_receipt *receipt = receipt_for(v, seq);
    if (receipt && memcmp(receipt->hash, hash, CRYPTO_HASH_BYTES) != 0 &&
        v->r->receipts_differ++ == 0)
        v->r->first_receipt_differ = seq;
}

/* When the unreadable events were: between the whole events read on either side of them. */
static void window(const struct salvage *v, char *out, size_t cap)
{
    char from[24] = "", to[24] = "";
    if (v->before_us)
        zone_format_local(v->before_us, from);
    if (v->after_us)
        zone_format_local(v->after_us, to);
    if (from[0] && to[0])
        snprintf(out, cap, " (between %s and %s)", from, to);
    else if (from[0] || to[0])
        snprintf(out, cap, " (%s %s)", from[0] ? "after" : "before", from[0] ? from : to);
    else
        out[0] = '\0';
}

/* ---- the rest file ------------------------------------------------------------------------ */

/* The rest file of a salvage under way, for salvage_remove_on_signal: one cut short by a signal
 * is not the office's list (a rerun makes the whole one). */
static char rest_under_way[4096];
static volatile sig_atomic_t rest_is_under_way;

void salvage_remove_on_signal(void)
{
    if (rest_is_under_way)
        unlink(rest_under_way);
    rest_is_under_way = 0;
}

static int rest_open(struct salvage *v)
{
    static const char *const header[] = {"seq",     "uuid",       "kiosk",   "type", "person",
                                         "session", "local_time", "payload", "why"};
    if (v->rest)
        return STORE_OK;
    int fd = open(v->o->rest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    v->rest = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (v->rest && snprintf(rest_under_way, sizeof(rest_under_way), "%s", v->o->rest_path) <
                       (int)sizeof(rest_under_way))
        rest_is_under_way = 1;
    if (!v->rest) {
        snprintf(v->why, v->why_cap, "%s: %s", v->o->rest_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return STORE_EPERM;
    }
    return csvfile_write_row(v->rest, header, sizeof(header) / sizeof(header[0])) == CSVFILE_OK
               ? STORE_OK
               : STORE_EIO;
}

static int rest_row(struct salvage *v, const struct event *e, const char *why)
{
    int err = rest_open(v);
    if (err != STORE_OK)
        return err;
    char seq[24], when[24] = "";
    snprintf(seq, sizeof(seq), "%" PRId64, e->seq);
    if (e->wall_us)
        zone_format_local(e->wall_us, when);
    const char *type = e->type < EV_TYPE_COUNT ? event_type_code(e->type) : "";
    const char *fields[] = {seq,        e->uuid, e->kiosk,   type, e->person,
                            e->session, when,    e->payload, why};
    v->r->rest_rows++;
    if (csvfile_write_cells(v->rest, fields, sizeof(fields) / sizeof(fields[0])) != CSVFILE_OK) {
        snprintf(v->why, v->why_cap, "%s: cannot write", v->o->rest_path);
        return STORE_EIO;
    }
    return STORE_OK;
}

/* The unreadable seqs run so far, as one row: nothing of them is known but their numbers. */
static int flush_unreadable(struct salvage *v)
{
    struct salvage_range g = v->pending;
    if (!g.from)
        return STORE_OK;
    v->pending.from = 0;
    struct event e = {.seq = g.from, .type = EV_TYPE_COUNT};
    char why[256], when[96];
    window(v, when, sizeof(when));
    if (g.to > g.from)
        snprintf(why, sizeof(why),
                 "could not be read: the %" PRId64 " events %" PRId64 "–%" PRId64 "%s",
                 g.to - g.from + 1, g.from, g.to, when);
    else
        snprintf(why, sizeof(why), "could not be read%s", when);
    return rest_row(v, &e, why);
}

static void note_range(struct salvage *v, int64_t seq)
{
    struct salvage_report *r = v->r;
    struct salvage_range *last = r->unreadable_ranges && r->unreadable_ranges <= SALVAGE_SHOWN
                                     ? &r->unreadable_shown[r->unreadable_ranges - 1]
                                     : NULL;
    if (last && last->to == seq - 1) {
        last->to = seq;
        return;
    }
    if (r->unreadable_ranges > 0 && r->unreadable_ranges > SALVAGE_SHOWN)
        return; /* counted below, not shown */
    if (r->unreadable_ranges < SALVAGE_SHOWN)
        r->unreadable_shown[r->unreadable_ranges] = (struct salvage_range){seq, seq};
    r->unreadable_ranges++;
}

/* A seq nothing of which could be read: its number, and what the indexes and receipts still
 * say of it (uuid, person, the hash acknowledged), for the office to find it on paper. */
static int unreadable(struct salvage *v, int64_t seq)
{
    v->r->unreadable++;
    note_range(v, seq);
    const struct entry *uuid = entry_for(&v->uuids, seq), *person = entry_for(&v->persons, seq);
    const struct store_receipt *receipt = receipt_for(v, seq);
    if (!uuid && !person && !receipt) {
        if (v->pending.from && v->pending.to == seq - 1) {
            v->pending.to = seq;
            return STORE_OK;
        }
        int err = flush_unreadable(v);
        v->pending = (struct salvage_range){seq, seq};
        return err;
    }
    int err = flush_unreadable(v);
    struct event e = {.seq = seq, .type = EV_TYPE_COUNT};
    if (uuid)
        strcopy(e.uuid, sizeof(e.uuid), uuid->key); /* a uuid entry's key is a uuid's length */
    if (person)
        strcopy(e.person, sizeof(e.person), person->key);
    char why[320], when[96];
    window(v, when, sizeof(when));
    if (receipt) {
        char hex[2 * CRYPTO_HASH_BYTES + 1];
        crypto_hex(hex, receipt->hash, CRYPTO_HASH_BYTES);
        snprintf(why, sizeof(why),
                 "could not be read%s; acknowledged, its receipt's hash is %.16s…", when, hex);
    } else {
        snprintf(why, sizeof(why), "could not be read%s", when);
    }
    return err == STORE_OK ? rest_row(v, &e, why) : err;
}

static int rest_candidate(struct salvage *v, const struct candidate *c, const char *why)
{
    struct event e;
    char more[320];
    int err = flush_unreadable(v);
    if (err == STORE_OK && load(v, c, &e) != STORE_OK) {
        memset(&e, 0, sizeof(e));
        e.seq = c->seq;
        e.type = EV_TYPE_COUNT;
    }
    /* A damaged row's fields may be the damage: what the person index says of it. */
    const struct entry *person = c->hash_ok ? NULL : entry_for(&v->persons, c->seq);
    if (person && strcmp(person->key, e.person) != 0) {
        char shown[3 * DOMAIN_CODE_MAX];
        utf8_printable(shown, sizeof(shown), person->key);
        snprintf(more, sizeof(more), "%s (the person index says %s)", why, shown);
        why = more;
    }
    return err == STORE_OK ? rest_row(v, &e, why) : err;
}

/* ---- deciding each seq -------------------------------------------------------------------- */

static int by_seq(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    /* the rows to prefer first: whole, signed by this kiosk */
    int px = x->sig_ok * 2 + x->hash_ok, py = y->sig_ok * 2 + y->hash_ok;
    return py - px;
}

static int adopt(struct salvage *v, const struct candidate *c)
{
    struct event e;
    int err = load(v, c, &e);
    if (err == STORE_OK && v->batch == 0)
        err = store_begin(v->o->target);
    if (err == STORE_OK)
        err = store_adopt_event(v->o->target, &e, v->o->pk);
    if (err == STORE_OK && ++v->batch == BATCH) {
        v->batch = 0;
        err = store_commit(v->o->target);
    }
    if (err != STORE_OK) {
        if (v->batch)
            store_rollback(v->o->target);
        v->r->added -= v->batch;
        v->batch = 0;
        snprintf(v->why, v->why_cap, "adding seq %" PRId64 " to this store: %s%s%s", c->seq,
                 cpd_strerror(err), store_message(v->o->target)[0] ? ": " : "",
                 store_message(v->o->target));
        return err;
    }
    v->tip = c->seq;
    memcpy(v->tip_hash, c->hash, CRYPTO_HASH_BYTES);
    v->r->added++;
    compare_receipt(v, c->seq, c->hash);
    return STORE_OK;
}

static const char *why_not(const struct salvage *v, const struct candidate *c, char *buf,
                           size_t cap)
{
    if (!c->hash_ok)
        return "damaged: its content does not match its hash";
    if (!c->ours)
        return "another kiosk's id";
    if (!c->sig_ok)
        return "does not verify with this kiosk's key";
    if (v->r->gap_after && v->r->gap_after < c->seq) {
        snprintf(buf, cap, "comes after seq %" PRId64 ", which could not join this store's chain",
                 v->r->gap_after);
        return buf;
    }
    return "does not continue this store's chain";
}

/* The seq already in this store: the same event, another one, or nothing read to compare. */
static int already_here(struct salvage *v, int64_t seq, const struct candidate *c, size_t n)
{
    struct event here;
    int err = store_event_at(v->o->target, seq, &here);
    if (err != STORE_OK) {
        snprintf(v->why, v->why_cap, "reading seq %" PRId64 " of this store: %s", seq,
                 cpd_strerror(err));
        return err;
    }
    v->r->present++;
    compare_receipt(v, seq, here.hash);
    for (size_t i = 0; i < n; i++) {
        if (c[i].hash_ok && memcmp(c[i].hash, here.hash, CRYPTO_HASH_BYTES) != 0 &&
            (err = rest_candidate(v, &c[i],
                                  "differs from the event with the same number in this store")) !=
                STORE_OK)
            return err;
    }
    return STORE_OK;
}

static void break_chain(struct salvage *v, int64_t seq)
{
    if (!v->r->gap_after)
        v->r->gap_after = seq;
}

/* One seq after this store's chain: joined when a whole row of it continues the chain (and no
 * earlier seq broke it); otherwise what was read of it goes to the rest file. */
static int decide(struct salvage *v, int64_t seq, const struct candidate *c, size_t n)
{
    if (n == 0) {
        break_chain(v, seq);
        return unreadable(v, seq);
    }
    /* Of the versions that continue the chain: the one its receipt names, if any. */
    const struct store_receipt *receipt = receipt_for(v, seq);
    size_t pick = n;
    for (size_t i = 0; i < n && !v->r->gap_after; i++) {
        bool joins =
            c[i].sig_ok && c[i].ours && memcmp(c[i].prev, v->tip_hash, CRYPTO_HASH_BYTES) == 0;
        if (joins &&
            (pick == n || (receipt && memcmp(c[i].hash, receipt->hash, CRYPTO_HASH_BYTES) == 0)))
            pick = i;
    }
    int err = STORE_OK;
    if (pick < n) {
        err = flush_unreadable(v);
        if (err == STORE_OK)
            err = adopt(v, &c[pick]);
    } else {
        v->r->rest++;
        break_chain(v, seq);
    }
    /* What else was read of this number: each whole version that was not added, or (when
     * none is whole) the first damaged row, for the office. */
    for (size_t i = 0; err == STORE_OK && i < n; i++) {
        char buf[128];
        bool shown = c[i].hash_ok
                         ? pick == n || memcmp(c[i].hash, c[pick].hash, CRYPTO_HASH_BYTES) != 0
                         : pick == n && i == 0;
        if (shown)
            err = rest_candidate(v, &c[i],
                                 pick < n ? "another event with this number (the one that "
                                            "continues the chain was added)"
                                          : why_not(v, &c[i], buf, sizeof(buf)));
    }
    return err;
}

/* Rows of seq read by SQLite alone (seq = N), when the pages held none whole. */
static size_t read_directly(struct salvage *v, int64_t seq, struct candidate *out)
{
    struct event e;
    if (!v->damaged || store_event_at(v->damaged, seq, &e) != STORE_OK || e.seq != seq)
        return 0;
    memset(out, 0, sizeof(*out));
    check_event(v, &e, out);
    out->from_sql = true;
    return out->hash_ok ? 1 : 0;
}

static int decide_all(struct salvage *v)
{
    if (v->n > 1)
        qsort(v->c, v->n, sizeof(*v->c), by_seq);
    struct salvage_report *r = v->r;
    int64_t lo = r->first;
    for (size_t i = 0; i < v->n; i++) {
        if (v->c[i].hash_ok && v->c[i].seq >= 1 && v->c[i].seq < lo)
            lo = v->c[i].seq; /* found below where the chain started: purged there, here still */
    }
    r->first = r->last ? lo : r->first;
    size_t at = 0;
    int err = STORE_OK;
    for (int64_t seq = r->first; err == STORE_OK && seq <= r->last; seq++) {
        while (at < v->n && v->c[at].seq < seq)
            at++;
        size_t n = 0;
        while (at + n < v->n && v->c[at + n].seq == seq)
            n++;
        if (v->after_us && at < v->n && v->c[at].seq == seq)
            v->after_us = 0; /* reached it: look for the next one on */
        for (size_t j = at; !v->after_us && j < v->n; j++)
            v->after_us =
                v->c[j].hash_ok && v->c[j].ours && v->c[j].seq > seq ? v->c[j].wall_us : 0;
        struct candidate direct;
        const struct candidate *cands = n ? v->c + at : NULL;
        bool whole = n > 0 && cands[0].hash_ok;
        if (whole && cands[0].ours)
            v->before_us = cands[0].wall_us;
        if (!whole && seq > v->tip && read_directly(v, seq, &direct)) {
            cands = &direct;
            n = 1;
        }
        err = seq <= v->tip ? already_here(v, seq, cands, n) : decide(v, seq, cands, n);
    }
    if (err == STORE_OK)
        err = flush_unreadable(v);
    if (err == STORE_OK && v->batch) {
        err = store_commit(v->o->target);
        if (err != STORE_OK) {
            r->added -= v->batch;
            snprintf(v->why, v->why_cap, "committing to this store: %s", cpd_strerror(err));
        }
        v->batch = 0;
    }
    return err;
}

/* ---- the run ------------------------------------------------------------------------------ */

int salvage_run(const struct salvage_options *o, struct salvage_result *res, char *why,
                size_t why_cap)
{
    memset(res, 0, sizeof(*res));
    if (why && why_cap)
        why[0] = '\0';
    struct salvage v = {.o = o, .res = res, .r = &res->report, .why = why, .why_cap = why_cap};
    /* The rest file first: one that cannot be made stops it before anything is done. */
    int err = rest_open(&v);
    if (err == STORE_OK)
        err = gather(&v);
    if (err == STORE_OK && !refused(&v)) {
        weigh_claims(&v);
        err = decide_all(&v);
    }
    struct salvage_report *r = &res->report;
    bool claims_hold = true;
    for (int s = 0; s < SALVAGE_SOURCES; s++)
        claims_hold &= !r->claims[s].known || r->claims[s].believed || r->claims[s].explained;
    r->everything = err == STORE_OK && !res->refusal && r->readable && claims_hold &&
                    r->rest_rows == 0 && r->unreadable == 0 && r->disbelieved == 0 &&
                    r->receipts_differ == 0 && !r->receipts_missing &&
                    r->added + r->present == (r->last >= r->first ? r->last - r->first + 1 : 0);
    if (v.rest && fclose(v.rest) != 0 && err == STORE_OK) {
        snprintf(why, why_cap, "%s: %s", o->rest_path, strerror(errno));
        err = STORE_EIO;
    }
    rest_is_under_way = 0;
    if (v.rest && r->rest_rows == 0)
        unlink(o->rest_path); /* made up front; nothing for the office after all */
    pagescan_close(v.scan);
    store_close(v.damaged);
    store_receipts_free(&v.receipts);
    free(v.c);
    free(v.table);
    free(v.uuids.items);
    free(v.persons.items);
    free(v.damaged_numbers);
    return err;
}
