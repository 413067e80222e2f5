/* Salvage on a matrix of fixed damage (no random byte without a fixed seed), each case on a
 * copy of one real store: 120 events checkpointed into the file, then 20 more only in its WAL
 * (the kiosk holding its connection). Where each event lives is read independently of the code
 * under test, through SQLite's own dbstat (the events table's leaves in key order, and how many
 * cells each holds). Every case checks that each seq is accounted for exactly — added, already
 * there, left for the office, or named as unreadable — and that "everything" is said only when
 * it is true; the store salvaged into verifies. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/services/salvage.h"
#include "tests/support/testutil.h"

#define N_FILE 120
#define N_WAL  20
#define PAGE   4096

struct leaf {
    long page;
    int64_t from, to;
};

static struct testkiosk k;
static char file_dir[600], wal_dir[600], other_dir[600], twin_dir[600];
static struct leaf leaves[64];
static int n_leaves;
static long root_events, root_meta, root_uuid, root_person;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    if (system(cmd) != 0)
        fail_msg("failed: %s", cmd);
}

/* One number from the sqlite3 shell. */
static long query_long(const char *db, const char *sql)
{
    char cmd[2048], out[64] = "";
    snprintf(cmd, sizeof(cmd), "sqlite3 -readonly '%s' \"%s\"", db, sql);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, sizeof(out), p));
    pclose(p);
    return atol(out);
}

static void append_events(int n, int first)
{
    for (int i = 0; i < n; i++) {
        struct event e = {
            .type = EV_NO_SESSION, .wall_us = test_at("2023-09-13 15:00") + i, .mono_us = 1 + i};
        snprintf(e.person, sizeof(e.person), "BIT%04d", (first + i) % 37);
        snprintf(e.clock, sizeof(e.clock), "synced");
        /* some weight, so the table has a dozen leaves under an interior root */
        snprintf(e.payload, sizeof(e.payload), "{\"note\":\"%0*d\"}", 200, first + i);
        assert_int_equal(store_append_event(k.store, &e), STORE_OK);
    }
}

/* The events table's leaves in key order (dbstat's path), and the seqs each holds. */
static void read_layout(const char *db)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "sqlite3 -readonly '%s' \"SELECT pageno, ncell FROM dbstat WHERE name = 'events' AND "
             "pagetype = 'leaf' ORDER BY path\"",
             db);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    long page = 0, cells = 0;
    int64_t next = 1;
    n_leaves = 0;
    while (fscanf(p, "%ld|%ld", &page, &cells) == 2 && n_leaves < 64) {
        leaves[n_leaves++] = (struct leaf){page, next, next + cells - 1};
        next += cells;
    }
    pclose(p);
    assert_int_equal(next - 1, N_FILE);
    assert_true(n_leaves >= 8);
    root_events = query_long(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'events'");
    root_meta = query_long(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'meta'");
    root_uuid = query_long(db, "SELECT rootpage FROM sqlite_schema WHERE name = "
                               "'sqlite_autoindex_events_1'");
    root_person = query_long(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'events_person'");
}

static int group_setup(void **state)
{
    (void)state;
    testkiosk_open(&k, false);
    append_events(N_FILE, 1);
    store_close(k.store); /* checkpointed: everything in the file */
    snprintf(file_dir, sizeof(file_dir), "%s/file", k.dir);
    sh("mkdir -m 700 '%s' && cp '%s' '%s-receipts' '%s/'", file_dir, k.db_path, k.db_path,
       file_dir);
    char why[256];
    assert_int_equal(store_open(k.db_path, &k.store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(k.store, "test-kiosk", k.keys.sign_sk), STORE_OK);
    append_events(N_WAL, N_FILE + 1);
    /* Copied while open, as a kiosk's disk is found: the newest events only in the WAL. */
    snprintf(wal_dir, sizeof(wal_dir), "%s/wal", k.dir);
    sh("mkdir -m 700 '%s' && cp '%s' '%s-wal' '%s-receipts' '%s/' && test -s '%s/kiosk.db-wal'",
       wal_dir, k.db_path, k.db_path, k.db_path, wal_dir, wal_dir);
    /* Another kiosk's store, its newest events in its WAL too. */
    struct kiosk_keys other_keys;
    char sign[700], site[700], other_db[700];
    bool made_sign, made_site;
    snprintf(other_dir, sizeof(other_dir), "%s/other", k.dir);
    snprintf(sign, sizeof(sign), "%s/kiosk.key", other_dir);
    snprintf(site, sizeof(site), "%s/site.key", other_dir);
    snprintf(other_db, sizeof(other_db), "%s/kiosk.db", other_dir);
    sh("mkdir -m 700 '%s'", other_dir);
    assert_int_equal(keys_init(sign, site, NULL, &made_sign, &made_site), KEYS_OK);
    assert_int_equal(keys_load_sign(sign, &other_keys), KEYS_OK);
    struct store *other = NULL;
    assert_int_equal(store_open(other_db, &other, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(other, "another-kiosk", other_keys.sign_sk), STORE_OK);
    struct store *mine = k.store;
    k.store = other;
    append_events(N_FILE + N_WAL, 1);
    k.store = mine;
    sh("cd '%s' && cp kiosk.db-wal other.db-wal", other_dir); /* while it is open */
    store_close(other);
    keys_wipe(&other_keys);
    /* A twin: a second kiosk set up with this kiosk's id but its own key, taps in its WAL. */
    snprintf(twin_dir, sizeof(twin_dir), "%s/twin", k.dir);
    snprintf(sign, sizeof(sign), "%s/kiosk.key", twin_dir);
    snprintf(site, sizeof(site), "%s/site.key", twin_dir);
    snprintf(other_db, sizeof(other_db), "%s/kiosk.db", twin_dir);
    sh("mkdir -m 700 '%s'", twin_dir);
    assert_int_equal(keys_init(sign, site, NULL, &made_sign, &made_site), KEYS_OK);
    assert_int_equal(keys_load_sign(sign, &other_keys), KEYS_OK);
    assert_int_equal(store_open(other_db, &other, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(other, "test-kiosk", other_keys.sign_sk), STORE_OK);
    k.store = other;
    append_events(N_FILE + N_WAL, 1);
    k.store = mine;
    sh("cd '%s' && cp kiosk.db-wal twin.db-wal", twin_dir); /* while it is open */
    store_close(other);
    keys_wipe(&other_keys);
    char db[700];
    snprintf(db, sizeof(db), "%s/kiosk.db", file_dir);
    read_layout(db);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    testkiosk_close(&k);
    return 0;
}

/* ---- damage -------------------------------------------------------------------------------- */

/* Bytes at off: zeros (seed 0) or a fixed pseudo-random sequence. */
static void overwrite(const char *path, long off, long len, unsigned seed)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    unsigned char buf[PAGE];
    uint32_t x = seed;
    for (long i = 0; i < len && i < PAGE; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = seed ? (unsigned char)(x >> 24) : 0;
    }
    assert_int_equal(pwrite(fd, buf, (size_t)len, off), len);
    close(fd);
}

static void damage_page(const char *db, long page, unsigned seed)
{
    overwrite(db, (page - 1) * PAGE, PAGE, seed);
}

struct outcome {
    struct salvage_result res;
    int err;
    char why[512];
    char dir[700];
    int64_t target_events;
    long rest_lines;
};

/* A copy of src, damaged by fn, salvaged into a new store of this kiosk (or into target). */
typedef void (*damage_fn)(const char *db, const char *dir);

static void salvage_case(const char *name, const char *src, damage_fn damage, const char *kiosk,
                         const uint8_t *pk, struct store *target, struct outcome *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->dir, sizeof(out->dir), "%s/%s", k.dir, name);
    sh("mkdir -m 700 '%s' && cp '%s'/kiosk.db* '%s/'", out->dir, src, out->dir);
    char db[800], rest[800], new_db[800], why[256];
    snprintf(db, sizeof(db), "%s/kiosk.db", out->dir);
    snprintf(rest, sizeof(rest), "%s/rest.csv", out->dir);
    snprintf(new_db, sizeof(new_db), "%s/new.db", out->dir);
    if (damage)
        damage(db, out->dir);
    struct store *t = target;
    if (!t) {
        assert_int_equal(store_open(new_db, &t, why, sizeof(why)), STORE_OK);
        assert_int_equal(store_set_signer(t, "test-kiosk", k.keys.sign_sk), STORE_OK);
    }
    struct salvage_options o = {.damaged_path = db,
                                .rest_path = rest,
                                .target = t,
                                .kiosk_id = kiosk ? kiosk : "test-kiosk",
                                .pk = pk ? pk : k.keys.sign_pk};
    out->err = salvage_run(&o, &out->res, out->why, sizeof(out->why));
    struct store_verify_report v;
    assert_int_equal(store_verify(t, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.first_bad_seq, 0);
    out->target_events = v.events;
    if (!target)
        store_close(t);
    FILE *f = fopen(rest, "r");
    char line[4096];
    while (f && fgets(line, sizeof(line), f))
        out->rest_lines++;
    if (f)
        fclose(f);
    const struct salvage_report *r = &out->res.report;
    print_message("%-22s %s: events %lld–%lld: %lld added, %lld there, %lld rest, %lld "
                  "unreadable, %lld rows; %s\n",
                  name, out->err ? out->why : "ok", (long long)r->first, (long long)r->last,
                  (long long)r->added, (long long)r->present, (long long)r->rest,
                  (long long)r->unreadable, (long long)r->rest_rows,
                  r->everything ? "everything" : "not everything");
    /* Every case: each seq has exactly one fate, and the rest file holds every row counted. */
    if (out->err == STORE_OK && !out->res.refusal && r->readable) {
        assert_int_equal(r->added + r->present + r->rest + r->unreadable, r->last - r->first + 1);
        assert_int_equal(out->rest_lines, r->rest_rows ? r->rest_rows + 1 : 0);
        bool claims_hold = true;
        for (int s = 0; s < SALVAGE_SOURCES; s++)
            claims_hold &= !r->claims[s].known || r->claims[s].believed || r->claims[s].explained;
        assert_int_equal(r->everything, r->added + r->present == r->last - r->first + 1 &&
                                            r->rest_rows == 0 && r->disbelieved == 0 &&
                                            claims_hold && r->receipts_differ == 0 &&
                                            !r->receipts_missing);
    }
}

static void expect(const struct outcome *o, int64_t added, int64_t rest, int64_t unreadable,
                   bool everything)
{
    const struct salvage_report *r = &o->res.report;
    assert_int_equal(o->err, STORE_OK);
    assert_int_equal(o->res.refusal, SALVAGE_DONE);
    assert_int_equal(r->added, added);
    assert_int_equal(r->rest, rest);
    assert_int_equal(r->unreadable, unreadable);
    assert_int_equal(r->everything, everything);
    assert_int_equal(o->target_events, added);
}

/* ---- the matrix ---------------------------------------------------------------------------- */

static void test_whole_stores_come_over_whole(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("whole-file", file_dir, NULL, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, true);
    assert_int_equal(o.res.report.last, N_FILE);
    salvage_case("whole-wal", wal_dir, NULL, NULL, NULL, NULL, &o);
    expect(&o, N_FILE + N_WAL, 0, 0, true);
    for (int s = 0; s < SALVAGE_SOURCES; s++) {
        const struct salvage_claim *c = &o.res.report.claims[s];
        if (s != SALVAGE_LEDGER && s != SALVAGE_THIS_STORE) { /* never synced; a new store */
            assert_true(c->known);
            assert_true(c->believed);
            assert_int_equal(c->highest, N_FILE + N_WAL);
        }
    }
}

static const struct leaf *damaged_leaf;

static void zero_leaf(const char *db, const char *dir)
{
    (void)dir;
    damage_page(db, damaged_leaf->page, 0);
}

static void garbage_leaf(const char *db, const char *dir)
{
    (void)dir;
    damage_page(db, damaged_leaf->page, 20231113);
}

/* A leaf lost: its events are named (the indexes and receipts still list them); before it
 * every event joins; after it the chain is broken, so they wait in the rest file. */
static void test_a_lost_leaf_first_middle_last(void **state)
{
    (void)state;
    const struct leaf *which[] = {&leaves[0], &leaves[n_leaves / 2], &leaves[n_leaves - 1]};
    const char *names[] = {"first-leaf", "middle-leaf", "last-leaf"};
    for (int i = 0; i < 3; i++) {
        for (int garbage = 0; garbage < 2; garbage++) {
            struct outcome o;
            char name[64];
            snprintf(name, sizeof(name), "%s-%s", names[i], garbage ? "garbage" : "zeroed");
            damaged_leaf = which[i];
            salvage_case(name, file_dir, garbage ? garbage_leaf : zero_leaf, NULL, NULL, NULL, &o);
            int64_t lost = which[i]->to - which[i]->from + 1;
            expect(&o, which[i]->from - 1, N_FILE - which[i]->to, lost, false);
            assert_int_equal(o.res.report.last, N_FILE);
            /* each unreadable one has a row of its own: the indexes named it */
            assert_int_equal(o.res.report.rest_rows, N_FILE - which[i]->to + lost);
            assert_int_equal(o.res.report.unreadable_shown[0].from, which[i]->from);
            assert_int_equal(o.res.report.unreadable_shown[0].to, which[i]->to);
        }
    }
}

static long damaged_page;

static void zero_page(const char *db, const char *dir)
{
    (void)dir;
    damage_page(db, damaged_page, 0);
}

/* Pages that hold no event: the b-tree's root, the meta page, each index's root, page 1 (the
 * header and the schema). The leaves survive them, so everything comes over. */
static void test_pages_above_the_leaves(void **state)
{
    (void)state;
    const long pages[] = {root_events, root_meta, root_uuid, root_person, 1};
    const char *names[] = {"events-root", "meta-page", "uuid-root", "person-root", "page-1"};
    for (int i = 0; i < 5; i++) {
        struct outcome o;
        damaged_page = pages[i];
        salvage_case(names[i], file_dir, zero_page, NULL, NULL, NULL, &o);
        expect(&o, N_FILE, 0, 0, true);
        assert_int_equal(o.res.report.last, N_FILE);
    }
}

static long cut_at;

static void cut_file(const char *db, const char *dir)
{
    (void)dir;
    assert_int_equal(truncate(db, cut_at), 0);
}

/* A file cut at a page boundary before the last leaf, mid-way through it, and mid-way through
 * its very last page (SQLite pads a short page with zeros): the receipts say how many there
 * were, and what was cut is named. */
static void test_a_file_cut_short(void **state)
{
    (void)state;
    const struct leaf *last = &leaves[n_leaves - 1];
    struct outcome o;
    cut_at = (last->page - 1) * PAGE;
    salvage_case("cut-at-page", file_dir, cut_file, NULL, NULL, NULL, &o);
    int64_t lost = 0, first_lost = N_FILE + 1;
    for (int i = 0; i < n_leaves; i++) {
        if (leaves[i].page >= last->page) {
            lost += leaves[i].to - leaves[i].from + 1;
            if (leaves[i].from < first_lost)
                first_lost = leaves[i].from;
        }
    }
    expect(&o, first_lost - 1, N_FILE - (first_lost - 1) - lost, lost, false);
    assert_int_equal(o.res.report.last, N_FILE);

    /* Mid-way through a full leaf: a page fills from its end, so its first events are cut off
     * and the chain stops there; its newest ones, in the half kept, are read (and wait). */
    const struct leaf *mid = &leaves[n_leaves / 2];
    cut_at = (mid->page - 1) * PAGE + PAGE / 2;
    salvage_case("cut-mid-page", file_dir, cut_file, NULL, NULL, NULL, &o);
    const struct salvage_report *r = &o.res.report;
    assert_int_equal(o.err, STORE_OK);
    assert_int_equal(r->last, N_FILE);
    assert_false(r->everything);
    assert_int_equal(r->added, mid->from - 1);
    assert_true(r->unreadable >= 1 && r->rest >= 1);
    assert_int_equal(r->unreadable_shown[0].from, mid->from);

    struct stat st;
    char db[700];
    snprintf(db, sizeof(db), "%s/kiosk.db", file_dir);
    assert_int_equal(stat(db, &st), 0);
    cut_at = st.st_size - 2000; /* a short last page, whatever it holds */
    salvage_case("short-last-page", file_dir, cut_file, NULL, NULL, NULL, &o);
    assert_int_equal(o.err, STORE_OK);
    assert_int_equal(o.res.report.last, N_FILE);
}

static void wal_zeroed(const char *db, const char *dir)
{
    (void)db;
    sh("cd '%s' && dd if=/dev/zero of=kiosk.db-wal bs=1 count=$(stat -c %%s kiosk.db-wal) "
       "conv=notrunc 2>/dev/null",
       dir);
}

static void wal_torn(const char *db, const char *dir)
{
    (void)db;
    char wal[800];
    snprintf(wal, sizeof(wal), "%s/kiosk.db-wal", dir);
    struct stat st;
    assert_int_equal(stat(wal, &st), 0);
    long frames = (st.st_size - 32) / (24 + PAGE);
    /* the page of the middle frame, half of it garbage: SQLite stops replaying there */
    overwrite(wal, 32 + frames / 2 * (24 + PAGE) + 24 + PAGE / 4, PAGE / 2, 77);
}

static void wal_cut(const char *db, const char *dir)
{
    (void)db;
    sh("cd '%s' && truncate -s -100 kiosk.db-wal", dir);
}

static void wal_missing(const char *db, const char *dir)
{
    (void)db;
    sh("cd '%s' && rm kiosk.db-wal", dir);
}

/* The newest taps live only in the WAL. Zeroed or missing, they are gone, and the receipts
 * name each one; torn or cut, every frame still whole is read — each page was written again
 * with every later commit, so what SQLite stops replaying is still found. */
static void test_a_damaged_wal(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("wal-zeroed", wal_dir, wal_zeroed, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, N_WAL, false);
    assert_int_equal(o.res.report.last, N_FILE + N_WAL);
    assert_int_equal(o.res.report.unreadable_shown[0].from, N_FILE + 1);
    assert_int_equal(o.res.report.unreadable_shown[0].to, N_FILE + N_WAL);
    salvage_case("wal-missing", wal_dir, wal_missing, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, N_WAL, false);
    salvage_case("wal-torn", wal_dir, wal_torn, NULL, NULL, NULL, &o);
    expect(&o, N_FILE + N_WAL, 0, 0, true);
    salvage_case("wal-cut", wal_dir, wal_cut, NULL, NULL, NULL, &o);
    assert_int_equal(o.err, STORE_OK);
    assert_int_equal(o.res.report.last, N_FILE + N_WAL);
    assert_int_equal(o.res.report.added + o.res.report.unreadable, N_FILE + N_WAL);
}

static void jump_a_number(const char *db, const char *dir)
{
    (void)dir;
    sh("sqlite3 '%s' \"DROP TRIGGER events_no_update; UPDATE events SET seq = 34359738257 "
       "WHERE seq = 60\"",
       db);
}

static void damage_first_kiosk_id(const char *db, const char *dir)
{
    (void)dir;
    /* seq 1's row: its uuid, then its kiosk id: one letter of the id changed */
    char uuid[64];
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "sqlite3 -readonly '%s' \"SELECT uuid FROM events WHERE seq = 1\"",
             db);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(uuid, sizeof(uuid), p));
    pclose(p);
    uuid[strcspn(uuid, "\n")] = '\0';
    sh("off=$(grep -obaF '%stest-kiosk' '%s' | head -1 | cut -d: -f1) && test -n \"$off\" && "
       "printf 'T' | dd of='%s' bs=1 seek=$((off + 36)) conv=notrunc 2>/dev/null",
       uuid, db, db);
}

static void high_water_damaged(const char *db, const char *dir)
{
    (void)dir;
    sh("sqlite3 '%s' \"UPDATE meta SET value = '34359738257' WHERE key = 'events_high_water'\"",
       db);
}

static void not_a_database(const char *db, const char *dir)
{
    (void)dir;
    sh("printf 'hello, not a database' > '%s' && rm -f '%s-receipts'", db, db);
}

/* Damaged numbers and fields: a row's number jumped far away is put back by its hash (its
 * content names the event before it); one damaged field is damage, not another kiosk; a
 * high-water mark no other source supports is noted and keeps "everything" from being said; a
 * file that is no database says so. */
static void test_damaged_numbers_and_fields(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("jumped-number", file_dir, jump_a_number, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, true);
    assert_int_equal(o.res.report.renumbered, 1);
    assert_true(o.res.report.claims[SALVAGE_MAX_SEQ].explained);

    salvage_case("damaged-first-field", file_dir, damage_first_kiosk_id, NULL, NULL, NULL, &o);
    expect(&o, 0, N_FILE, 0, false);
    assert_int_equal(o.res.report.gap_after, 1);

    salvage_case("high-water-damaged", file_dir, high_water_damaged, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, false);
    assert_false(o.res.report.claims[SALVAGE_HIGH_WATER].believed);
    assert_int_equal(o.res.report.last, N_FILE);

    salvage_case("not-a-database", file_dir, not_a_database, NULL, NULL, NULL, &o);
    assert_int_equal(o.err, STORE_OK);
    assert_false(o.res.report.readable);
    assert_false(o.res.report.everything);
}

/* Another kiosk's store, or this kiosk's with another key: refused before anything is done. */
static void test_another_kiosks_store_is_refused(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("other-kiosk", file_dir, NULL, "another-kiosk", NULL, NULL, &o);
    assert_int_equal(o.res.refusal, SALVAGE_REFUSED_OTHER_KIOSK);
    assert_string_equal(o.res.refused_kiosk, "test-kiosk");
    assert_int_equal(o.target_events, 0);
    assert_int_equal(o.rest_lines, 0);
    uint8_t other_pk[CRYPTO_SIGN_PK_BYTES];
    memcpy(other_pk, k.keys.sign_pk, sizeof(other_pk));
    other_pk[0] ^= 1;
    salvage_case("wrong-key", file_dir, NULL, NULL, other_pk, NULL, &o);
    assert_int_equal(o.res.refusal, SALVAGE_REFUSED_WRONG_KEY);
    assert_int_equal(o.res.refused_seq, 1);
    assert_int_equal(o.target_events, 0);
}

/* Salvaged twice into one store: first a copy with its last leaf lost, then a whole one — the
 * second finds the first's events already there and adds the rest. */
static void test_what_is_already_here_is_counted_as_such(void **state)
{
    (void)state;
    char new_db[800], why[256];
    snprintf(new_db, sizeof(new_db), "%s/twice.db", k.dir);
    struct store *t = NULL;
    assert_int_equal(store_open(new_db, &t, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(t, "test-kiosk", k.keys.sign_sk), STORE_OK);
    struct outcome o;
    damaged_leaf = &leaves[n_leaves - 1];
    salvage_case("twice-1", file_dir, zero_leaf, NULL, NULL, t, &o);
    int64_t first = o.res.report.added;
    assert_int_equal(first, damaged_leaf->from - 1);
    salvage_case("twice-2", wal_dir, NULL, NULL, NULL, t, &o);
    assert_int_equal(o.res.report.present, first);
    assert_int_equal(o.res.report.added, N_FILE + N_WAL - first);
    assert_true(o.res.report.everything);
    store_close(t);
}

/* The value of the newest events_high_water found in a file, set to nines (the same length:
 * the record stays whole) — a damaged number in one cell. */
static void nines_in_the_newest_mark(const char *path)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    static unsigned char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    const char key[] = "events_high_water";
    long at = -1;
    for (size_t i = 0; i + sizeof(key) <= n; i++) {
        if (memcmp(buf + i, key, sizeof(key) - 1) == 0)
            at = (long)(i + sizeof(key) - 1);
    }
    assert_true(at > 0);
    for (long i = at; i < (long)n && buf[i] >= '0' && buf[i] <= '9'; i++)
        buf[i] = '9';
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void wal_mark_damaged(const char *db, const char *dir)
{
    (void)db;
    char wal[800];
    snprintf(wal, sizeof(wal), "%s/kiosk.db-wal", dir);
    nines_in_the_newest_mark(wal);
}

/* One damaged number in the WAL (the newest high-water mark, 999 for 140) counts once: the
 * mark in a frame is the same source as in the file. Noted, not counted up to. */
static void test_one_damaged_number_in_the_wal_counts_once(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("wal-mark-damaged", wal_dir, wal_mark_damaged, NULL, NULL, NULL, &o);
    expect(&o, N_FILE + N_WAL, 0, 0, false);
    assert_int_equal(o.res.report.last, N_FILE + N_WAL);
    assert_false(o.res.report.claims[SALVAGE_HIGH_WATER].believed);
    assert_int_equal(o.res.report.claims[SALVAGE_WAL].highest, N_FILE + N_WAL);
}

static void guid_staff_numbers(const char *db, const char *dir)
{
    (void)dir;
    struct store *s = NULL;
    char why[256];
    assert_int_equal(store_open(db, &s, why, sizeof(why)), STORE_OK);
    for (int i = 0; i < 300; i++) {
        struct person p = {.active = true};
        int64_t id = 0;
        snprintf(p.staff_no, sizeof(p.staff_no), "%08x-%04x-4%03x-8%03x-%012x", i, i, i, i, i);
        snprintf(p.name, sizeof(p.name), "Person %d", i);
        snprintf(p.academy, sizeof(p.academy), "Academy");
        assert_int_equal(store_person_upsert(s, &p, &id), STORE_OK);
    }
    store_close(s);
}

/* Staff numbers that are GUIDs: the people index's entries look like the events' uuid index's,
 * and are not taken for them (an index is read from its own root). */
static void test_guid_staff_numbers_are_not_events(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("guid-staff", file_dir, guid_staff_numbers, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, true);
    assert_int_equal(o.res.report.last, N_FILE);
}

static void new_versions_over_a_lost_wal(const char *db, const char *dir)
{
    /* The WAL lost; the kiosk (receipts moved aside) signs five new events with numbers its
     * receipts gave to others; the receipts put back. */
    sh("cd '%s' && rm kiosk.db-wal && mv kiosk.db-receipts receipts.keep", dir);
    struct store *s = NULL;
    char why[256];
    assert_int_equal(store_open(db, &s, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(s, "test-kiosk", k.keys.sign_sk), STORE_OK);
    struct store *mine = k.store;
    k.store = s;
    append_events(5, 900);
    k.store = mine;
    store_close(s);
    sh("cd '%s' && mv receipts.keep kiosk.db-receipts", dir);
}

/* Events under numbers the receipts acknowledged as others: they join (they are the file's
 * chain), but "everything" is not said — the acknowledged ones are gone, and named. */
static void test_receipts_name_the_acknowledged_version(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("new-versions", wal_dir, new_versions_over_a_lost_wal, NULL, NULL, NULL, &o);
    expect(&o, N_FILE + 5, 0, N_WAL - 5, false);
    assert_int_equal(o.res.report.receipts_differ, 5);
    assert_int_equal(o.res.report.first_receipt_differ, N_FILE + 1);
}

static void page_size_damaged(const char *db, const char *dir)
{
    (void)dir;
    FILE *f = fopen(db, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 16, SEEK_SET), 0);
    assert_int_equal(fwrite("\x80\x00", 1, 2, f), 2); /* 32768: a size, but not this file's */
    fclose(f);
}

static void foreign_wal(const char *db, const char *dir)
{
    (void)db;
    sh("cp '%s/other.db-wal' '%s/kiosk.db-wal'", other_dir, dir);
}

static void fifo_database(const char *db, const char *dir)
{
    (void)dir;
    sh("rm -f '%s' && mkfifo '%s'", db, db);
}

static void fifo_receipts(const char *db, const char *dir)
{
    (void)db;
    sh("cd '%s' && rm kiosk.db-receipts && mkfifo kiosk.db-receipts", dir);
}

/* A damaged page-size field (the pages say which size they are), another kiosk's WAL beside
 * this kiosk's file (refused: its taps are not this kiosk's), and FIFOs in place of the files
 * (refused at once, never waited on). */
static void test_a_wrong_size_a_foreign_wal_and_fifos(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("page-size", file_dir, page_size_damaged, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, true);
    assert_true(o.res.report.scan.page_size_guessed);
    salvage_case("foreign-wal", file_dir, foreign_wal, NULL, NULL, NULL, &o);
    assert_int_equal(o.err, STORE_OK);
    assert_int_equal(o.res.refusal, SALVAGE_REFUSED_FOREIGN_WAL);
    assert_string_equal(o.res.refused_kiosk, "another-kiosk");
    assert_int_equal(o.target_events, 0);
    salvage_case("fifo-database", file_dir, fifo_database, NULL, NULL, NULL, &o);
    assert_int_not_equal(o.err, STORE_OK);
    assert_non_null(strstr(o.why, "not a regular file"));
    salvage_case("fifo-receipts", file_dir, fifo_receipts, NULL, NULL, NULL, &o);
    assert_int_not_equal(o.err, STORE_OK);
    assert_non_null(strstr(o.why, "not a regular file"));
}

static void receipts_gone(const char *db, const char *dir)
{
    (void)dir;
    sh("rm '%s-receipts'", db);
}

static void receipts_and_wal_gone(const char *db, const char *dir)
{
    (void)dir;
    sh("rm '%s-receipts' '%s-wal'", db, db);
}

/* A well-formed receipt line (its check right) appended: seq and a hash of one repeated hex
 * digit. */
static void append_receipt(const char *db, const char *seq, char digit)
{
    sh("line=\"%s $(printf '%%064d' 0 | tr 0 '%c')\" && "
       "printf '%%s %%s\\n' \"$line\" $(printf '%%s' \"$line\" | sha256sum | cut -c1-8) "
       ">> '%s-receipts'",
       seq, digit, db);
}

static void receipt_far_away(const char *db, const char *dir)
{
    (void)dir;
    append_receipt(db, "999999999999", 'a');
}

static void receipt_twice(const char *db, const char *dir)
{
    (void)dir;
    sh("tail -n 1 '%s-receipts' >> '%s-receipts'", db, db);
}

static void receipt_twice_differently(const char *db, const char *dir)
{
    (void)dir;
    append_receipt(db, "100", 'b');
}

static void twin_wal(const char *db, const char *dir)
{
    (void)db;
    sh("cp '%s/twin.db-wal' '%s/kiosk.db-wal'", twin_dir, dir);
}

/* The receipts as evidence, attacked: gone (with or without the WAL) — "everything" cannot be
 * said, since acknowledged taps after the last event read cannot be counted; one forged line
 * far beyond the rest — named, never believed, and salvage ends (it walked every number up to
 * it); a line written twice counts once; two lines naming one seq differently are news; a WAL
 * of this kiosk's id that none of this kiosk's key verifies (a twin set up with the same id) is
 * refused before anything is copied. */
static void test_receipts_gone_forged_doubled_and_a_twins_wal(void **state)
{
    (void)state;
    struct outcome o;
    salvage_case("receipts-gone", file_dir, receipts_gone, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, false);
    assert_true(o.res.report.receipts_missing);
    salvage_case("receipts-wal-gone", wal_dir, receipts_and_wal_gone, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, false);
    assert_true(o.res.report.receipts_missing);
    salvage_case("receipt-far-away", file_dir, receipt_far_away, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, false);
    assert_int_equal(o.res.report.last, N_FILE);
    assert_true(o.res.report.claims[SALVAGE_RECEIPTS].known);
    assert_false(o.res.report.claims[SALVAGE_RECEIPTS].believed);
    salvage_case("receipt-twice", file_dir, receipt_twice, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, true);
    salvage_case("receipt-conflict", file_dir, receipt_twice_differently, NULL, NULL, NULL, &o);
    expect(&o, N_FILE, 0, 0, false);
    assert_int_equal(o.res.report.receipts_differ, 1);
    assert_int_equal(o.res.report.first_receipt_differ, 100);
    salvage_case("twin-wal", file_dir, twin_wal, NULL, NULL, NULL, &o);
    assert_int_equal(o.err, STORE_OK);
    assert_int_equal(o.res.refusal, SALVAGE_REFUSED_WAL_KEY);
    assert_int_equal(o.target_events, 0);
}

/* A rest file that cannot be made (its folder is not there) stops salvage before anything is
 * added: what could not join would otherwise have nowhere to go. */
static void test_no_rest_file_no_salvage(void **state)
{
    (void)state;
    char db[700], new_db[700], why[512];
    snprintf(db, sizeof(db), "%s/kiosk.db", file_dir);
    snprintf(new_db, sizeof(new_db), "%s/no-rest.db", k.dir);
    struct store *t = NULL;
    assert_int_equal(store_open(new_db, &t, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(t, "test-kiosk", k.keys.sign_sk), STORE_OK);
    struct salvage_options o = {.damaged_path = db,
                                .rest_path = "/nonexistent/folder/rest.csv",
                                .target = t,
                                .kiosk_id = "test-kiosk",
                                .pk = k.keys.sign_pk};
    struct salvage_result *res = calloc(1, sizeof(*res));
    assert_non_null(res);
    assert_int_equal(salvage_run(&o, res, why, sizeof(why)), STORE_EPERM);
    assert_non_null(strstr(why, "/nonexistent/folder/rest.csv"));
    assert_int_equal(res->report.added, 0);
    int64_t tip = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    assert_int_equal(store_chain_tip(t, &tip, hash), STORE_OK);
    assert_int_equal(tip, 0);
    free(res);
    store_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stores_come_over_whole),
        cmocka_unit_test(test_a_lost_leaf_first_middle_last),
        cmocka_unit_test(test_pages_above_the_leaves),
        cmocka_unit_test(test_a_file_cut_short),
        cmocka_unit_test(test_a_damaged_wal),
        cmocka_unit_test(test_damaged_numbers_and_fields),
        cmocka_unit_test(test_another_kiosks_store_is_refused),
        cmocka_unit_test(test_what_is_already_here_is_counted_as_such),
        cmocka_unit_test(test_one_damaged_number_in_the_wal_counts_once),
        cmocka_unit_test(test_guid_staff_numbers_are_not_events),
        cmocka_unit_test(test_receipts_name_the_acknowledged_version),
        cmocka_unit_test(test_a_wrong_size_a_foreign_wal_and_fifos),
        cmocka_unit_test(test_receipts_gone_forged_doubled_and_a_twins_wal),
        cmocka_unit_test(test_no_rest_file_no_salvage),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
