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

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

/* Each cpd-admin or superuser line of the script, as the page writes it, is in the page. */
static void assert_script_is_documented(void)
{
    char *page = read_all(CPD_SOURCE_DIR "/docs/head-office.md");
    char *script = read_all(CPD_SOURCE_DIR "/tests/sync/ledger/documented_setup.sh");
    int checked = 0;
    char *save = NULL;
    for (char *line = strtok_r(script, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char want[1024] = "";
        if (strncmp(line, "cpd-admin ", 10) == 0)
            snprintf(want, sizeof(want), "%s", line);
        else if (strncmp(line, "$SUPERUSER_PSQL -v", 18) == 0)
            snprintf(want, sizeof(want), "sudo -u postgres psql%s",
                     line + strlen("$SUPERUSER_PSQL"));
        if (!want[0])
            continue;
        char *share = strstr(want, "$SHARE");
        if (share) {
            char rest[1024];
            snprintf(rest, sizeof(rest), "%s", share + strlen("$SHARE"));
            snprintf(share, sizeof(want) - (size_t)(share - want), "/usr/local/share/cpd-kiosk%s",
                     rest);
        }
        if (!strstr(page, want))
            fail_msg("docs/head-office.md lacks the step:\n%s", want);
        checked++;
    }
    assert_int_equal(checked, 7);
    free(page);
    free(script);
}

static void copy_data(const char *dir, const char *from, const char *to)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/%s'", CPD_DATA_DIR, from, dir, to);
    assert_int_equal(system(cmd), 0);
}

static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
    copy_data(dir, "programme-2023-24.csv", "programme-2023-24.csv");
    copy_data(dir, "demo-roster.csv", "roster.csv");
    copy_data(dir, "demo-bookings.csv", "bookings.csv");
    copy_data(dir, "demo-credits.csv", "credits.csv");
    char office_sign[300], site[300], text[700];
    snprintf(office_sign, sizeof(office_sign), "%s/office.key", dir);
    snprintf(site, sizeof(site), "%s/site.key", dir);
    bool made_a, made_b;
    struct kiosk_keys office;
    assert_int_equal(keys_init(office_sign, site, NULL, &made_a, &made_b), KEYS_OK);
    assert_int_equal(keys_load_site(site, &office), KEYS_OK);
    snprintf(text, sizeof(text), "[kiosk]\nsite_key_file = %s\n", site);
    test_write_file(dir, "site.ini", text, path, sizeof(path));
    test_write_file(dir, "central-1.pw", "kiosk-secret-1", path, sizeof(path));
    chmod(path, 0600);
    /* The kiosk: cpd-admin kiosk init's keys, the site's key. */
    char sign[300], kiosk_site[300], site_hex[65], pk[65];
    snprintf(sign, sizeof(sign), "%s/kiosk.key", kiosk_dir);
    snprintf(kiosk_site, sizeof(kiosk_site), "%s/site.key", kiosk_dir);
    crypto_hex(site_hex, office.site, sizeof(office.site));
    struct kiosk_keys keys;
    assert_int_equal(keys_init(sign, kiosk_site, site_hex, &made_a, &made_b), KEYS_OK);
    assert_int_equal(keys_load_sign(sign, &keys), KEYS_OK);
    assert_int_equal(keys_load_site(kiosk_site, &keys), KEYS_OK);
    crypto_hex(pk, keys.sign_pk, sizeof(keys.sign_pk));
    /* Steps 2–5. */
    char ledger[256];
    snprintf(ledger, sizeof(ledger),
             "host=127.0.0.1 port=%d dbname=cpd user=cpd_owner sslmode=disable", pg.port);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && SUPERUSER_PSQL='env PGPASSWORD=%s psql -X -h 127.0.0.1 -p %d -U cpd_admin"
             " -d postgres' SHARE='%s' OWNER_PASSWORD='owner-secret' LEDGER='%s' KIOSK_KEY=%s"
             " PATH='%s':\"$PATH\" sh '%s/tests/sync/ledger/documented_setup.sh' 2>&1",
             dir, pg.super_password, pg.port, CPD_INSTALL_SHARE, ledger, pk, CPD_BINARY_DIR,
             CPD_SOURCE_DIR);
    if (run(cmd, out, sizeof(out)) != 0)
        fail_msg("the documented setup failed:\n%s", out);
    assert_non_null(
        strstr(out, "kiosk central-1 registered; its login role is cpd_kiosk_central_1"));
    /* The owner really is neither superuser nor CREATEROLE. */
    snprintf(cmd, sizeof(cmd),
             "PGPASSWORD=owner-secret psql -X -At -h 127.0.0.1 -p %d -U cpd_owner -d cpd -c"
             " \"SELECT rolsuper::text || rolcreaterole::text FROM pg_roles WHERE rolname ="
             " current_user\"",
             pg.port);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_string_equal(out, "falsefalse\n");
    /* The kiosk syncs with its login, as its kiosk.ini would say. */
    char db[300], why[512];
    snprintf(db, sizeof(db), "%s/kiosk.db", kiosk_dir);
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
        strstr(out, "1 kiosks, 1 events, 1 checkpoints: all verified against the keyring"));
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
