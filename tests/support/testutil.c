#define _XOPEN_SOURCE 700 /* nftw */
#include "tests/support/testutil.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/domain/crypto.h"
#include "core/services/import.h"
#include "core/base/zone.h"

void test_tempdir(char *out, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/cpd-test-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(out));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_rmtree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void print_report(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "  import: %s\n", line);
}

static void import_data(struct testkiosk *k, enum import_kind kind, const char *file)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", CPD_DATA_DIR, file);
    struct import_options o = {.rules = &k->rules, .site_key = k->keys.site};
    struct import_result r;
    assert_int_equal(import_file(k->store, kind, path, &o, &r), IMPORT_OK);
    assert_int_equal(r.errors, 0);
    (void)print_report;
}

void testkiosk_open(struct testkiosk *k, bool with_data)
{
    memset(k, 0, sizeof(*k));
    assert_int_equal(crypto_init(), CRYPTO_OK);
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    test_tempdir(k->dir, sizeof(k->dir));
    snprintf(k->db_path, sizeof(k->db_path), "%s/kiosk.db", k->dir);
    char sign[512], site[512], why[256];
    snprintf(sign, sizeof(sign), "%s/kiosk.key", k->dir);
    snprintf(site, sizeof(site), "%s/site.key", k->dir);
    bool made_sign, made_site;
    assert_int_equal(keys_init(sign, site, NULL, &made_sign, &made_site), KEYS_OK);
    assert_int_equal(keys_load_sign(sign, &k->keys), KEYS_OK);
    assert_int_equal(keys_load_site(site, &k->keys), KEYS_OK);
    assert_int_equal(store_open(k->db_path, &k->store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(k->store, "test-kiosk", k->keys.sign_sk), STORE_OK);
    rules_default(&k->rules);
    k->flow = (struct tapflow){
        .store = k->store, .rules = &k->rules, .site_key = k->keys.site, .clock_state = "synced"};
    if (!with_data)
        return;
    import_data(k, IMPORT_PROGRAMME, "programme-2023-24.csv");
    import_data(k, IMPORT_ROSTER, "demo-roster.csv");
    import_data(k, IMPORT_BOOKINGS, "demo-bookings.csv");
    import_data(k, IMPORT_CREDITS, "demo-credits.csv");
}

void testkiosk_close(struct testkiosk *k)
{
    store_close(k->store);
    k->store = NULL;
    keys_wipe(&k->keys);
    test_rmtree(k->dir);
}

int64_t test_at(const char *local)
{
    int64_t us = 0;
    assert_int_equal(zone_parse_local(local, &us), ZONE_OK);
    return us;
}

enum tap_outcome test_tap(struct testkiosk *k, const char *uid_text, const char *local,
                          const char *chosen_code, struct tap_result *out)
{
    struct uid uid;
    assert_int_equal(uid_parse(uid_text, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid), UID_OK);
    int64_t chosen = 0;
    if (chosen_code) {
        struct session s;
        assert_int_equal(store_session_by_code(k->store, chosen_code, &s), STORE_OK);
        chosen = s.id;
    }
    struct tap_result *r = out ? out : calloc(1, sizeof(*r));
    assert_non_null(r);
    int64_t now = test_at(local);
    assert_int_equal(tapflow_tap(&k->flow, &uid, now, now, chosen, r), STORE_OK);
    enum tap_outcome outcome = r->decision.outcome;
    if (!out) {
        tapflow_result_free(r);
        free(r);
    }
    return outcome;
}

void test_write_file(const char *dir, const char *name, const char *text, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

char *test_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)size;
    return text;
}
