/* docs/head-office.md followed as written: a fresh PostgreSQL 15, the one superuser step, then
 * init, the imports and add-kiosk as a non-superuser owner (tests/sync/ledger/documented_setup.sh,
 * whose commands must stand in the page word for word); then a kiosk syncs with the login it was
 * given and head office verifies against its keyring and a checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/services/keys.h"
#include "sync/ledger/ledger.h"
#include "tests/support/pgserver.h"
#include "tests/support/testutil.h"
#include "core/base/zone.h"

/* Replaces every from in line (cap bytes) with to. */
static void replace_all(char *line, size_t cap, const char *from, const char *to)
{
    char out[2048] = "", *p = line, *hit;
    while ((hit = strstr(p, from))) {
        strncat(out, p, (size_t)(hit - p));
        strncat(out, to, sizeof(out) - strlen(out) - 1);
        p = hit + strlen(from);
    }
    strncat(out, p, sizeof(out) - strlen(out) - 1);
    assert_true(strlen(out) < cap);
    strcpy(line, out);
}

/* Every line of the script, but its comments and the lines marked "# test:", stands in the
 * page word for word (after the substitutions the script's header names). */
static void assert_script_is_documented(void)
{
    char *page = test_read_all(CPD_SOURCE_DIR "/docs/head-office.md", NULL);
    char *script = test_read_all(CPD_SOURCE_DIR "/tests/sync/ledger/documented_setup.sh", NULL);
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(script, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || strstr(line, "# test:"))
            continue;
        char want[2048];
        snprintf(want, sizeof(want), "%s", line);
        replace_all(want, sizeof(want), "$SUPERUSER_PSQL", "runuser -u postgres -- psql");
        replace_all(want, sizeof(want), "$SHARE", "/usr/local/share/cpd-kiosk");
        replace_all(want, sizeof(want), "$KIOSK_INI", "/etc/cpd-kiosk/kiosk.ini");
        if (!strstr(page, want))
            fail_msg("docs/head-office.md lacks the step:\n%s", want);
        checked++;
    }
    assert_int_equal(checked, 12);
    free(page);
    free(script);
}

static void copy_data(const char *dir, const char *from, const char *to)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/%s'", CPD_DATA_DIR, from, dir, to);
    assert_int_equal(system(cmd), 0);
}

/* Runs cmd to the end (all its output read, so it never dies of a full pipe); out keeps the
 * first cap - 1 bytes and says when the rest was cut. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    char rest[4096];
    size_t more = 0, got;
    while ((got = fread(rest, 1, sizeof(rest), p)) > 0)
        more += got;
    int status = pclose(p);
    if (more > 0 && n > 64)
        snprintf(out + n - 64, 64, "\n[… %zu more bytes not kept]\n", more);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void no_report(void *ctx, const char *file, int line, const char *message)
{
    fprintf(stderr, "%s:%d: %s\n", file, line, message);
    *(int *)ctx += 1;
}

/* The page's example of a kiosk's [sync] (the indented block from "[sync]" to the blank line
 * after it), as a kiosk.ini: loaded without a word. */
static void assert_sync_example_loads(const char *dir)
{
    char *page = test_read_all(CPD_SOURCE_DIR "/docs/head-office.md", NULL);
    const char *at = strstr(page, "\n       [sync]\n");
    assert_non_null(at);
    char ini[4096] = "", path[600];
    size_t used = 0;
    for (at++; *at && *at != '\n';) {
        size_t n = strcspn(at, "\n");
        assert_true(n > 7 && used + n < sizeof(ini));
        used += (size_t)snprintf(ini + used, sizeof(ini) - used, "%.*s\n", (int)(n - 7), at + 7);
        at += n + (at[n] == '\n');
    }
    free(page);
    test_write_file(dir, "example.ini", ini, path, sizeof(path));
    struct config cfg;
    config_default(&cfg);
    int complaints = 0;
    int err = config_load(&cfg, path, no_report, &complaints);
    if (err != 0 || complaints)
        fail_msg("the page's [sync] example does not load (%d):\n%s", err, ini);
    assert_true(cfg.sync.office_public_key[0] != '\0');
}

static void test_the_documented_setup_works_as_written(void **state)
{
    (void)state;
    assert_script_is_documented();
    assert_int_equal(crypto_init(), CRYPTO_OK);
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    struct pgserver pg;
    assert_int_equal(pgserver_start_empty(&pg), 0);
    /* Head office's working directory: the files the page names. */
    char dir[256], kiosk_dir[256], path[600], out[8192], cmd[4096];
    test_tempdir(dir, sizeof(dir));
    test_tempdir(kiosk_dir, sizeof(kiosk_dir));
    assert_sync_example_loads(dir);
    copy_data(dir, "programme-2023-24.csv", "programme-2023-24.csv");
    copy_data(dir, "demo-roster.csv", "roster.csv");
    copy_data(dir, "demo-bookings.csv", "bookings.csv");
    copy_data(dir, "demo-credits.csv", "credits.csv");
    test_write_file(dir, "central-1.pw", "kiosk-secret-1", path, sizeof(path));
    chmod(path, 0600);
    /* The kiosk's kiosk.ini: its id and database (its keys next to it). */
    char kiosk_ini[600], text[900], db[300];
    snprintf(db, sizeof(db), "%s/kiosk.db", kiosk_dir);
    snprintf(text, sizeof(text), "[kiosk]\nid = central-1\ndatabase = %s\n", db);
    test_write_file(kiosk_dir, "kiosk.ini", text, kiosk_ini, sizeof(kiosk_ini));
    /* Steps 3–7. */
    char ledger[256], office[256];
    snprintf(ledger, sizeof(ledger),
             "host=127.0.0.1 port=%d dbname=cpd user=cpd_owner sslmode=disable", pg.port);
    snprintf(office, sizeof(office),
             "host=127.0.0.1 port=%d dbname=cpd user=cpd_office_jane sslmode=disable", pg.port);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && SUPERUSER_PSQL='env PGPASSWORD=%s psql -X -h 127.0.0.1 -p %d -U cpd_admin"
             " -d postgres' SHARE='%s' OWNER_PASSWORD='owner-secret' LEDGER='%s' KIOSK_INI='%s'"
             " OFFICE_LEDGER='%s' PATH='%s':\"$PATH\" sh '%s/tests/sync/ledger/documented_setup.sh'"
             " 2>&1",
             dir, pg.super_password, pg.port, CPD_INSTALL_SHARE, ledger, kiosk_ini, office,
             CPD_BINARY_DIR, CPD_SOURCE_DIR);
    if (run(cmd, out, sizeof(out)) != 0) {
        size_t len = strlen(out);
        fail_msg("the documented setup failed (its last lines):\n%s",
                 out + (len > 1500 ? len - 1500 : 0));
    }
    assert_non_null(
        strstr(out, "kiosk central-1 registered; its login role is cpd_kiosk_central_1"));
    assert_non_null(strstr(out, "office login cpd_office_jane created"));
    /* Step 10: the office's statements, from the ledger (no events yet: the imports alone). */
    assert_non_null(strstr(out, "Statements: the year"));
    assert_non_null(strstr(out, "Priya Chaudhry"));
    /* The owner really is neither superuser nor CREATEROLE. */
    snprintf(cmd, sizeof(cmd),
             "PGPASSWORD=owner-secret psql -X -At -h 127.0.0.1 -p %d -U cpd_owner -d cpd -c"
             " \"SELECT rolsuper::text || rolcreaterole::text FROM pg_roles WHERE rolname ="
             " current_user\"",
             pg.port);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_string_equal(out, "falsefalse\n");
    /* The kiosk syncs with its login, as its kiosk.ini would say, with the keys kiosk init
     * made. */
    char sign[300], why[512];
    struct kiosk_keys keys;
    snprintf(sign, sizeof(sign), "%s/kiosk.key", kiosk_dir);
    assert_int_equal(keys_load_sign(sign, &keys), KEYS_OK);
    struct store *s = NULL;
    assert_int_equal(store_open(db, &s, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_set_signer(s, "central-1", keys.sign_sk), STORE_OK);
    struct event e = {.type = EV_NO_SESSION, .wall_us = test_at("2023-09-13 12:00")};
    snprintf(e.clock, sizeof(e.clock), "synced");
    assert_int_equal(store_append_event(s, &e), STORE_OK);
    struct config cfg;
    config_default(&cfg);
    snprintf(cfg.kiosk.id, sizeof(cfg.kiosk.id), "central-1");
    snprintf(cfg.sync.conninfo, sizeof(cfg.sync.conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=cpd_kiosk_central_1", pg.port);
    snprintf(cfg.sync.password_file, sizeof(cfg.sync.password_file), "%s/central-1.pw", dir);
    snprintf(cfg.sync.sslmode, sizeof(cfg.sync.sslmode), "disable");
    snprintf(cfg.sync.channel_binding, sizeof(cfg.sync.channel_binding), "disable");
    struct sync_report r;
    int err = sync_run(&cfg.sync, s, NULL, NULL, &r, why, sizeof(why));
    if (err != SYNC_OK)
        fail_msg("the kiosk's sync: %s", why);
    assert_int_equal(r.pushed, 1);
    assert_int_equal(r.pulled[0], 13);
    /* Head office's checks, as the page says. */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s/cpd-admin' ledger checkpoint --conninfo '%s' --password-file owner.pw"
             " >> checkpoints && '%s/cpd-admin' verify --ledger '%s' --password-file owner.pw"
             " --keyring keyring --checkpoints checkpoints 2>&1",
             dir, CPD_BINARY_DIR, ledger, CPD_BINARY_DIR, ledger);
    if (run(cmd, out, sizeof(out)) != 0)
        fail_msg("verify: %s", out);
    assert_non_null(
        strstr(out, "1 kiosk, 1 event, 1 checkpoint, head office's rows: all verified against the"
                    " keyring"));
    /* Four first records and four imports; each credits record followed by what kiosks see. */
    if (!strstr(out, "office rows: 10 records of head office, chain and signatures verified"))
        fail_msg("verify said:\n%s", out);
    store_close(s);
    keys_wipe(&keys);
    test_rmtree(dir);
    test_rmtree(kiosk_dir);
    pgserver_destroy(&pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_documented_setup_works_as_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
