/* A damaged kiosk store, salvaged: the input is a list of damage done to a real store of
 * FUZZ_KIOSK's (made once per process: the template kiosk and 40 more events, the newest 12 only
 * in its WAL, with its receipts). Then salvage_run into a fresh store of the same kiosk — which
 * reads the file and every WAL frame page by page (core/store/pagescan.c), through SQLite on a
 * private copy, and the receipts — and must account for every seq exactly, never say
 * "everything" with anything unread, and leave the store it added to verifying.
 *
 * The input: byte 0, flags — 1 no WAL, 2 no receipts, 4 cut the file, 8 cut the WAL (at the
 * 24-bit offset that follows, for each cut asked for, in that order); then patches, each
 * [file: 0 database, 1 WAL, 2 receipts][24-bit offset][length][bytes]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/services/salvage.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILES 3
static const char *const suffix[FILES] = {"", "-wal", "-receipts"};

struct blob {
    uint8_t *bytes;
    size_t size;
};
static struct blob source[FILES];

static void slurp(const char *path, struct blob *out)
{
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0)
        fuzz_die("%s: cannot read it", path);
    long n = ftell(f);
    rewind(f);
    out->bytes = malloc((size_t)n + 1);
    out->size = (size_t)n;
    if (!out->bytes || fread(out->bytes, 1, (size_t)n, f) != (size_t)n)
        fuzz_die("%s: cannot read it", path);
    fclose(f);
}

/* The store to damage: the kiosk template, 40 events more (fixed uuids: the same bytes in every
 * run), the last 12 only in the WAL, copied while it is open as a broken kiosk's disk is. */
static void make_source(void)
{
    struct store *s = fuzz_store_fresh(FUZZ_STORE_KIOSK);
    for (int i = 0; i < 40; i++) {
        struct event e;
        char person[16];
        snprintf(person, sizeof(person), "BIT%04d", 1 + i % 12);
        if (event_make(&e, i % 3 ? EV_ALREADY_IN : EV_NO_SESSION, person, NULL,
                       1696233600000000 + (int64_t)(i + 2) * 60000000, 1000002 + i, "synced",
                       NULL) != EVENT_OK)
            fuzz_die("event_make");
        snprintf(e.uuid, sizeof(e.uuid), "00000000-0000-4000-8000-%012d", i + 3);
        if (store_append_event(s, &e) != STORE_OK)
            fuzz_die("store_append_event: %s", store_message(s));
        if (i == 27) { /* the first 30 events folded into the file */
            store_close(s);
            char why[256], path[256];
            fuzz_path(path, sizeof(path), "work.db");
            if (store_open(path, &s, why, sizeof(why)) != STORE_OK ||
                store_set_signer(s, FUZZ_KIOSK, fuzz_keys()->sign_sk) != STORE_OK)
                fuzz_die("reopening the source: %s", why);
        }
    }
    for (int f = 0; f < FILES; f++) {
        char path[300];
        fuzz_path(path, sizeof(path), "work.db");
        strcat(path, suffix[f]);
        slurp(path, &source[f]);
    }
    store_close(s);
    if (source[1].size == 0)
        fuzz_die("the source has no WAL");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    make_source();
    char tmp[256];
    fuzz_path(tmp, sizeof(tmp), "");
    setenv("TMPDIR", tmp, 1); /* salvage's private copies, on the scratch dir */
    return 0;
}

static uint32_t u24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct blob file[FILES];
    bool present[FILES] = {true, !(data[0] & 1), !(data[0] & 2)};
    for (int f = 0; f < FILES; f++) {
        file[f].size = source[f].size;
        file[f].bytes = malloc(source[f].size + 1);
        if (!file[f].bytes)
            fuzz_die("out of memory");
        memcpy(file[f].bytes, source[f].bytes, source[f].size);
    }
    size_t at = 1;
    for (int f = 0; f < 2; f++) { /* the cuts: database, WAL */
        if (!(data[0] & (4 << f)) || at + 3 > size)
            continue;
        uint32_t cut = u24(data + at);
        at += 3;
        if (cut < file[f].size)
            file[f].size = cut;
    }
    while (at + 5 <= size) {
        int f = data[at] % FILES;
        uint32_t off = u24(data + at + 1);
        size_t len = data[at + 4];
        at += 5;
        if (len > size - at)
            len = size - at;
        for (size_t i = 0; i < len && off + i < file[f].size; i++)
            file[f].bytes[off + i] = data[at + i];
        at += len;
    }
    char damaged[256], rest[300];
    fuzz_path(damaged, sizeof(damaged), "damaged.db");
    for (int f = 0; f < FILES; f++) {
        char path[300];
        snprintf(path, sizeof(path), "%s%s", damaged, suffix[f]);
        unlink(path);
        if (present[f])
            fuzz_write_file(path, file[f].bytes, file[f].size);
        free(file[f].bytes);
    }
    snprintf(rest, sizeof(rest), "%s.rest.csv", damaged);
    unlink(rest);

    struct store *target = fuzz_store_fresh(FUZZ_STORE_KIOSK);
    struct salvage_options o = {.damaged_path = damaged,
                                .rest_path = rest,
                                .target = target,
                                .kiosk_id = FUZZ_KIOSK,
                                .pk = fuzz_keys()->sign_pk};
    struct salvage_result *res = calloc(1, sizeof(*res));
    char why[512];
    if (!res)
        fuzz_die("out of memory");
    int err = salvage_run(&o, res, why, sizeof(why));
    const struct salvage_report *r = &res->report;
    fuzz_say("salvage: %s %s: events %lld–%lld, %lld added, %lld there, %lld rest, %lld "
             "unreadable%s",
             cpd_strerror(err), why, (long long)r->first, (long long)r->last, (long long)r->added,
             (long long)r->present, (long long)r->rest, (long long)r->unreadable,
             r->everything ? ", everything" : "");
    if (err == STORE_OK && !res->refusal && r->readable && r->last >= r->first &&
        r->added + r->present + r->rest + r->unreadable != r->last - r->first + 1)
        fuzz_die("events %lld–%lld, but %lld added, %lld there, %lld rest, %lld unreadable",
                 (long long)r->first, (long long)r->last, (long long)r->added,
                 (long long)r->present, (long long)r->rest, (long long)r->unreadable);
    if (r->everything && (r->unreadable || r->rest || r->rest_rows))
        fuzz_die("\"everything\" with %lld unreadable and %lld rows left", (long long)r->unreadable,
                 (long long)r->rest_rows);
    struct store_verify_report v;
    if (store_verify(target, fuzz_keys()->sign_pk, &v) != STORE_OK || v.first_bad_seq)
        fuzz_die("the store salvaged into does not verify at seq %lld", (long long)v.first_bad_seq);
    if (err == STORE_OK && !res->refusal && v.events != 2 + r->added)
        fuzz_die("%lld events in the store after adding %lld to 2", (long long)v.events,
                 (long long)r->added);
    store_close(target);
    free(res);
    return 0;
}
