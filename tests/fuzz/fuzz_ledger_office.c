/* Head office reading the ledger (fake_libpq.c), the first byte choosing how:
 *   i  sync_copy for an import (records with badges) into a scratch store
 *   p  sync_copy for a programme import (… and every kiosk's events)
 *   r  sync_copy for reports (records, events), then every report from the copy, as
 *      cpd-admin report --ledger makes them
 *   v  ledger_verify: every kiosk's chain against the keyring (an "@keyring" section is the
 *      keyring file, else FUZZ_KIOSK's key) and the checkpoints (an "@checkpoints" section)
 *   n  ledger_init: the schema's version, the migrations' answers, the schema's digest
 * (any other byte: one of them by its value). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/services/report.h"
#include "sync/ledger/ledger.h"
#include "sync/sync.h"
#include "sync/sync_pg.h"
#include "tests/sync/fake_libpq.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char keyring_path[256], checkpoints_path[256], init_keyring_path[256];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    fuzz_path(keyring_path, sizeof(keyring_path), "keyring");
    fuzz_path(checkpoints_path, sizeof(checkpoints_path), "checkpoints");
    fuzz_path(init_keyring_path, sizeof(init_keyring_path), "init-keyring");
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        fuzz_die("cannot open /dev/null");
    return 0;
}

static void on_line(void *ctx, const char *line, bool bad)
{
    (void)ctx;
    fuzz_touch(line);
    fuzz_say("verify: %s%s", bad ? "BAD " : "", line);
    for (const char *p = line; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            fuzz_die("a control character in verify's line \"%s\"", line);
    }
}

/* One report, written out as text and CSV, freed. */
static void written(const char *what, int err, struct report *rep)
{
    fuzz_say("%s: %s, %zu rows", what, cpd_strerror(err), rep->n_rows);
    if (err == STORE_OK) {
        report_write_text(rep, devnull);
        report_write_csv(rep, devnull);
    }
    report_free(rep);
    memset(rep, 0, sizeof(*rep));
}

/* What cpd-admin report --ledger makes from the copy, as of the end of the 2023-24 year. */
static void reports(struct store *s)
{
    const struct rules *rules = fuzz_rules();
    int64_t at = 1719792000000000; /* 2024-07-01 */
    struct report rep = {0};
    written("statements", report_statements(s, rules, at, -1, true, NULL, &rep), &rep);
    written("statements by item", report_statements(s, rules, at, TERM_SUMMER, false, NULL, &rep),
            &rep);
    written("due", report_due(s, rules, at, 60, NULL, &rep), &rep);
    written("at risk", report_at_risk(s, rules, 1700000000000000, NULL, &rep), &rep);
    written("CPI", report_completion(s, rules, KIND_CPI_INITIAL, NULL, at, &rep), &rep);
    written("MAPA", report_completion(s, rules, KIND_MAPA_BLOCK, NULL, at, &rep), &rep);
    struct session sessions[8];
    size_t n = 0;
    int err = store_sessions_between(s, 0, INT64_MAX, sessions, 8, &n);
    for (size_t i = 0; (err == STORE_OK || err == STORE_ETOOMANY) && i < n; i++) {
        written("register", report_register(s, rules, "Site", sessions[i].code, at, &rep), &rep);
        written("evacuation", report_evacuation(s, rules, "Site", sessions[i].start_us, &rep),
                &rep);
    }
}

static void copy(enum sync_copy_for purpose)
{
    struct store *s = fuzz_store_fresh(FUZZ_STORE_EMPTY);
    struct pg *pg = NULL;
    struct sync_skipped skipped;
    char why[512] = "";
    int err =
        sync_connect(&(struct sync_options){.conninfo = "dbname=fuzz"}, &pg, why, sizeof(why));
    if (err == SYNC_OK)
        err = sync_copy(pg, s, purpose, INT64_MIN,
                        purpose == SYNC_COPY_FOR_REPORTS ? &skipped : NULL, why, sizeof(why));
    fuzz_touch(why);
    fuzz_say("copy: %s: %s", cpd_strerror(err), why);
    pg_close(pg);
    if (err == SYNC_OK && purpose == SYNC_COPY_FOR_REPORTS)
        reports(s);
    store_close(s);
}

/* The keyring: the script's, or one holding FUZZ_KIOSK's key from seq 1. */
static int load_keyring(struct ledger_keyring *ring)
{
    const char *text = fake_pg_text("keyring");
    char why[512] = "";
    if (text) {
        fuzz_write_file(keyring_path, (const uint8_t *)text, strlen(text));
        int err = ledger_keyring_load(keyring_path, ring, why, sizeof(why));
        fuzz_touch(why);
        fuzz_say("keyring: %s: %s", cpd_strerror(err), why);
        return err;
    }
    ring->keys = calloc(1, sizeof(*ring->keys));
    if (!ring->keys)
        fuzz_die("out of memory");
    snprintf(ring->keys[0].kiosk, sizeof(ring->keys[0].kiosk), "%s", FUZZ_KIOSK);
    ring->keys[0].from_seq = 1;
    memcpy(ring->keys[0].pk, fuzz_keys()->sign_pk, sizeof(ring->keys[0].pk));
    ring->n = ring->cap = 1;
    snprintf(ring->schema, sizeof(ring->schema), "%s", FAKE_PG_SCHEMA_DIGEST);
    return SYNC_OK;
}

static void verify(void)
{
    struct ledger_keyring ring = {0};
    if (load_keyring(&ring) == SYNC_OK) {
        const char *checkpoints = fake_pg_text("checkpoints");
        if (checkpoints)
            fuzz_write_file(checkpoints_path, (const uint8_t *)checkpoints, strlen(checkpoints));
        struct ledger_target t = {.conninfo = "dbname=fuzz"};
        struct ledger_verify_report report;
        char why[512] = "";
        int err = ledger_verify(&t, &ring, checkpoints ? checkpoints_path : NULL, on_line, NULL,
                                &report, why, sizeof(why));
        fuzz_touch(why);
        fuzz_say("verify: %s: %s", cpd_strerror(err), why);
    }
    ledger_keyring_free(&ring);
}

static void init(void)
{
    struct ledger_target t = {.conninfo = "dbname=fuzz"};
    struct ledger_init init = {.keyring = init_keyring_path};
    char why[512] = "";
    unlink(init_keyring_path); /* init appends the schema's digest to it */
    int err = ledger_init(&t, &init, why, sizeof(why));
    fuzz_touch(why);
    fuzz_say("init: %s: %s (schema %d to %d)", cpd_strerror(err), why, init.from, init.to);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char modes[] = "iprvn";
    const char *mode = memchr(modes, data[0], sizeof(modes) - 1);
    char m = mode ? *mode : modes[data[0] % (sizeof(modes) - 1)];
    fake_pg_load(data, size);
    if (m == 'i')
        copy(SYNC_COPY_FOR_IMPORT);
    else if (m == 'p')
        copy(SYNC_COPY_FOR_PROGRAMME);
    else if (m == 'r')
        copy(SYNC_COPY_FOR_REPORTS);
    else if (m == 'v')
        verify();
    else
        init();
    fake_pg_unload();
    return 0;
}
