/* Sync against a real PostgreSQL 15 started for this test on 127.0.0.1: round trips, exactly
 * once, failures that lose nothing, tampering found, roles that can do nothing but push and pull
 * their own, two kiosks at once, and a pull cursor that never skips a late commit. */
#include <pthread.h>
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

#include "core/domain/crypto.h"
#include "core/services/keys.h"
#include "core/services/report.h"
#include "sync/ledger/ledger.h"
#include "core/domain/credits.h"
#include "core/services/corrections.h"
#include "core/services/evaluation.h"
#include "tests/support/ledgerfix.h"
#include "tests/support/pgserver.h"
#include "tests/support/powercut_vfs.h"
#include "sync/sync_pg.h"
#include "tests/support/testutil.h"
#include "tests/support/wallshift.h"
#include "core/base/clock.h"
#include "core/base/zone.h"

static void test_round_trip(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "round-trip");
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.schema, LEDGER_SCHEMA_VERSION);
    assert_int_equal(r.pulled[0], 13); /* people */
    assert_int_equal(r.pulled[1], 12); /* badges */
    assert_int_equal(r.pulled[2], 118);
    assert_int_equal(r.pulled[4], 29);
    assert_int_equal(r.pulled[5], 12); /* the demo's 11, and test_reports_from_the_ledger's */
    assert_true(r.clock_offset_ms > -5000 && r.clock_offset_ms < 5000);
    /* The pulled roster works: a demo badge signs its owner in. */
    struct tapflow flow = {k.store, &k.cfg.rules, k.keys.site, "synced", NULL};
    struct tap_result *tr = calloc(1, sizeof(*tr));
    struct uid uid;
    uid_parse("04-3B-19-D2-6A-71-81", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
    int64_t now = test_at("2023-09-13 15:00");
    assert_int_equal(tapflow_tap(&flow, &uid, now, now, 0, tr), STORE_OK);
    assert_int_equal(tr->decision.outcome, TAP_SIGNED_IN);
    tapflow_result_free(tr);
    free(tr);
    add_events(&k, 250);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 251);
    assert_int_equal(r.acked_seq, 251);
    assert_int_equal(r.waiting, 0);
    assert_int_equal(r.pulled[0], 0); /* nothing new to pull */
    assert_int_equal(ledger_events("round-trip"), 251);
    /* Again: nothing to do. */
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 0);
    struct sync_state st;
    sync_state_read(k.store, &st);
    assert_int_equal(st.acked_seq, 251);
    assert_true(st.last_success_us > 0);
    assert_string_equal(st.last_error, "");
    /* A change at head office reaches the kiosk. */
    char why[2048];
    if (import_text(IMPORT_ROSTER,
                    "staff_no,name,academy,role,active,badge_uid\n"
                    "BIT0004,Gareth Lomax-Hart,Kingsway Academy,staff,yes,04-3B-19-D2-6A-71-81\n",
                    why, sizeof(why)) != SYNC_OK)
        fail_msg("roster import: %s", why);
    must_sync(&k, &r);
    assert_int_equal(r.pulled[0], 1);
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &p), STORE_OK);
    assert_string_equal(p.name, "Gareth Lomax-Hart");
    assert_ledger_verifies();
    kiosk_close(&k);
}

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static int64_t year_of(struct tkiosk *k, const char *staff_no)
{
    struct person p;
    struct credit_summary s = {0};
    assert_int_equal(store_person_by_staff_no(k->store, staff_no, &p), STORE_OK);
    assert_int_equal(
        tapflow_summary(k->store, &k->cfg.rules, p.id, test_at("2024-07-20 09:00"), &s), STORE_OK);
    int64_t total = s.total_q;
    credits_summary_free(&s);
    return total;
}

/* Corrections are events like any other: they go to head office (schema 2 takes the void
 * event), and a new disk that takes the kiosk's history back has the same corrected year. */
static void test_corrections_reach_the_ledger_and_come_back(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "corrections");
    must_sync(&k, NULL);
    struct tapflow flow = {k.store, &k.cfg.rules, k.keys.site, "synced", NULL};
    struct tap_result *tr = calloc(1, sizeof(*tr));
    struct uid uid;
    uid_parse("04:5A:2B:72:1C:6E:80", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid); /* Sarah */
    int64_t at = test_at("2023-11-27 15:40");
    assert_int_equal(tapflow_tap(&flow, &uid, at, at, 0, tr), STORE_OK);
    uid_parse("3F:22:91:0C", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid); /* Daniel */
    assert_int_equal(tapflow_tap(&flow, &uid, at, at, 0, tr), STORE_OK);
    tapflow_result_free(tr);
    free(tr);
    struct person sarah, daniel, tom;
    struct session in_class, evaluation;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0001", &sarah), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0002", &daniel), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0008", &tom), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "au2-in-class-support", &in_class), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "au2-school-evaluation", &evaluation),
                     STORE_OK);
    struct correction c = {.store = k.store,
                           .rules = &k.cfg.rules,
                           .by = "J Smith (office)",
                           .reason = "paper register, 27 Nov",
                           .clock_state = "synced",
                           .now_us = test_at("2023-11-28 09:00"),
                           .mono_us = test_at("2023-11-28 09:00")};
    const char *why = "";
    assert_int_equal(correct_sign_out(&c, &sarah, &in_class, test_at("2023-11-27 17:15"), &why),
                     STORE_OK);
    assert_int_equal(correct_void(&c, &daniel, &evaluation, &why), STORE_OK);
    assert_int_equal(correct_sign_in(&c, &tom, &in_class, test_at("2023-11-27 15:45"),
                                     test_at("2023-11-27 17:15"), &why),
                     STORE_OK);
    assert_int_equal(correct_credits(&c, &tom, &in_class, 4, &why), STORE_OK);
    assert_int_equal(correct_revoke_badge(&c, &daniel, "910C", &why), STORE_OK);
    struct person priya;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0003", &priya), STORE_OK);
    int64_t priya_before = year_of(&k, "BIT0003");
    assert_int_equal(correct_void_credit(&c, &priya, "au1-aces", civil_from_ymd(2023, 10, 3), &why),
                     STORE_OK);
    assert_int_equal(correct_cancel_booking(&c, &sarah, &in_class, &why), STORE_OK);
    int64_t before[4] = {year_of(&k, "BIT0001"), year_of(&k, "BIT0002"), year_of(&k, "BIT0008"),
                         year_of(&k, "BIT0003")};
    /* The 2-credit ACE voided: 9 claimed (8 counted, the cap) becomes 7. */
    assert_int_equal(priya_before, 4 * 8);
    assert_int_equal(before[3], 4 * 7);
    assert_int_equal(before[0], 10); /* 1.5 + her Live Teams credit */
    assert_int_equal(before[1], 0);  /* voided */
    assert_int_equal(before[2], 4);  /* set to 1 */
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 10);
    assert_int_equal(ledger_events("corrections"), 10);
    /* The revoked badge is inactive in the roster every kiosk pulls. */
    char out[256];
    assert_int_equal(pgserver_psql(&server,
                                   "SELECT active FROM cpd.badges WHERE staff_no = 'BIT0002';", out,
                                   sizeof(out)),
                     0);
    assert_non_null(strstr(out, "f"));
    struct tkiosk other;
    kiosk_open(&other, "corrections-2");
    must_sync(&other, NULL);
    uint8_t daniel_hash[CRYPTO_BADGE_HASH_BYTES];
    int64_t owner = 0;
    crypto_badge_hash(daniel_hash, "3F22910C", other.keys.site);
    assert_int_equal(store_badge_lookup(other.store, daniel_hash, &owner), STORE_ENOTFOUND);
    /* So are the voided credit and the cancelled booking (schema 4): Priya's year is the
     * same there, and Sarah is not booked there either — even after head office imports its
     * credits and bookings files again. */
    assert_int_equal(year_of(&other, "BIT0003"), before[3]);
    bool booked_there = true;
    struct person sarah_there;
    struct session in_class_there;
    assert_int_equal(store_person_by_staff_no(other.store, "BIT0001", &sarah_there), STORE_OK);
    assert_int_equal(store_session_by_code(other.store, "au2-in-class-support", &in_class_there),
                     STORE_OK);
    assert_int_equal(store_booked(other.store, sarah_there.id, in_class_there.id, &booked_there),
                     STORE_OK);
    assert_false(booked_there);
    struct ledger_target head_office = admin();
    struct import_options io = {.rules = &other.cfg.rules, .report = print_line};
    struct import_result ir;
    char path[512], why_import[512];
    static const char *const again[] = {"demo-credits.csv", "demo-bookings.csv"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", CPD_DATA_DIR, again[i]);
        int rc = ledger_import(&head_office, i ? IMPORT_BOOKINGS : IMPORT_CREDITS, path, &io, &ir,
                               why_import, sizeof(why_import));
        if (rc != SYNC_OK)
            fail_msg("%s: %s", again[i], why_import);
    }
    must_sync(&other, NULL);
    assert_int_equal(year_of(&other, "BIT0003"), before[3]);
    assert_int_equal(store_booked(other.store, sarah_there.id, in_class_there.id, &booked_there),
                     STORE_OK);
    assert_false(booked_there);
    kiosk_close(&other);
    assert_ledger_verifies();
    /* The disk dies; a new one, with the kiosk's key restored, takes its history back. */
    store_close(k.store);
    char db[300], err[512];
    snprintf(db, sizeof(db), "%s/new.db", k.dir);
    assert_int_equal(store_open(db, &k.store, err, sizeof(err)), STORE_OK);
    snprintf(k.cfg.kiosk.database, sizeof(k.cfg.kiosk.database), "%s", db);
    assert_int_equal(store_set_signer(k.store, k.id, k.keys.sign_sk), STORE_OK);
    must_sync(&k, &r);
    assert_int_equal(r.healed, 10);
    assert_int_equal(year_of(&k, "BIT0003"), before[3]);
    bool booked = true;
    assert_int_equal(store_booked(k.store, sarah.id, in_class.id, &booked), STORE_OK);
    assert_false(booked);
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    bool revoked = false;
    crypto_badge_hash(hash, "3F22910C", k.keys.site);
    assert_int_equal(store_badge_revoked(k.store, hash, &revoked), STORE_OK);
    assert_true(revoked);
    assert_int_equal(year_of(&k, "BIT0001"), before[0]);
    assert_int_equal(year_of(&k, "BIT0002"), before[1]);
    assert_int_equal(year_of(&k, "BIT0008"), before[2]);
    kiosk_close(&k);
}

static char *statements_csv(struct store *store, const struct rules *rules)
{
    struct report r;
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(
        report_statements(store, rules, test_at("2024-07-20 09:00"), -1, true, NULL, &r), STORE_OK);
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(report_write_csv(&r, out), STORE_OK);
    fclose(out);
    report_free(&r);
    return text;
}

/* The CSV line of a staff number. */
static void csv_line_of(const char *csv, const char *staff_no, char out[512])
{
    char key[32];
    snprintf(key, sizeof(key), "\"%s\"", staff_no);
    const char *at = strstr(csv, key);
    assert_non_null(at);
    while (at > csv && at[-1] != '\n')
        at--;
    size_t n = strcspn(at, "\r\n");
    assert_true(n < 512);
    memcpy(out, at, n);
    out[n] = '\0';
}

#define HANNAH "5D:E1:07:B4" /* BIT0005 */

static void tap_at(struct tkiosk *k, const char *badge, const char *when, enum tap_outcome want)
{
    struct tapflow flow = {k->store, &k->cfg.rules, k->keys.site, "synced", NULL};
    struct tap_result *tr = calloc(1, sizeof(*tr));
    struct uid uid;
    uid_parse(badge, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
    int64_t at = test_at(when);
    assert_int_equal(tapflow_tap(&flow, &uid, at, at, 0, tr), STORE_OK);
    if (tr->decision.outcome != want)
        fail_msg("%s at %s: outcome %d, expected %d", badge, when, tr->decision.outcome, want);
    tapflow_result_free(tr);
    free(tr);
}

/* cpd-admin report --ledger: head office's office login copies what the report views hold into
 * a scratch store, and the reports come out as the kiosk's own for the same events — then,
 * trust-wide, with a second kiosk's sign-out the first kiosk never saw. Runs first, on a ledger
 * no other kiosk has written to yet. */
static void test_reports_from_the_ledger(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "report-a");
    /* Head office records Megan's HR briefing (a course with no credits printed: it counts
     * only with a reason, and kiosks learn that there is one, never what it says). */
    char path[512], why_import[512];
    test_write_file(a.dir, "hr.csv",
                    "staff_no,source,programme,date,credits,certificate,directed,note\n"
                    "BIT0007,live-teams,su1-hr-processes,2024-05-14,1,,no,HR briefing on Teams\n",
                    path, sizeof(path));
    struct import_options io = {.rules = &a.cfg.rules, .report = NULL};
    struct import_result ir;
    struct ledger_target owner = admin();
    assert_int_equal(
        ledger_import(&owner, IMPORT_CREDITS, path, &io, &ir, why_import, sizeof(why_import)),
        SYNC_OK);
    must_sync(&a, NULL);
    tap_at(&a, "04:5A:2B:72:1C:6E:80", "2023-11-27 15:40", TAP_SIGNED_IN); /* Sarah */
    tap_at(&a, "3F:22:91:0C", "2023-11-27 15:41", TAP_SIGNED_IN);          /* Daniel */
    tap_at(&a, "3F:22:91:0C", "2023-11-27 17:20", TAP_SIGNED_OUT);
    tap_at(&a, "A7C41E92", "2024-01-29 16:00", TAP_SIGNED_IN); /* Priya, late */
    struct person daniel;
    struct session in_class;
    assert_int_equal(store_person_by_staff_no(a.store, "BIT0002", &daniel), STORE_OK);
    assert_int_equal(store_session_by_code(a.store, "au2-school-evaluation", &in_class), STORE_OK);
    struct correction c = {.store = a.store,
                           .rules = &a.cfg.rules,
                           .by = "J Smith (office)",
                           .reason = "left at 16:30 by the register",
                           .clock_state = "synced",
                           .now_us = test_at("2023-11-28 09:00"),
                           .mono_us = test_at("2023-11-28 09:00")};
    const char *why = "";
    assert_int_equal(correct_credits(&c, &daniel, &in_class, 3, &why), STORE_OK);
    must_sync(&a, NULL);
    /* The office's login, as docs/head-office.md makes it. */
    char role[96], err[512];
    assert_int_equal(ledger_add_office(&owner, "statements", "office-pw-0123456789", role,
                                       sizeof(role), err, sizeof(err)),
                     SYNC_OK);
    char conninfo[256];
    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s sslmode=disable", server.port, role);
    struct ledger_target office = {
        .conninfo = conninfo, .password = "office-pw-0123456789", .timeout_s = 10};
    struct ledger_copy copy;
    assert_int_equal(ledger_copy_open(&office, &copy, INT64_MIN, err, sizeof(err)), SYNC_OK);
    char *from_kiosk = statements_csv(a.store, &a.cfg.rules);
    char *from_ledger = statements_csv(copy.store, &a.cfg.rules);
    assert_string_equal(from_ledger, from_kiosk);
    assert_non_null(strstr(from_ledger, "\"Daniel Ashworth\",\"BIT0002\",\"0.75\""));
    assert_non_null(strstr(from_ledger, "\"Megan Crompton\",\"BIT0007\",\"1\""));
    free(from_ledger);
    /* The copy is for reading: it can never become a kiosk's store and sign. */
    assert_int_equal(store_set_signer(copy.store, "report-a", a.keys.sign_sk), STORE_EINVALID);
    char dir[sizeof(copy.dir)];
    snprintf(dir, sizeof(dir), "%s", copy.dir);
    ledger_copy_close(&copy);
    struct stat st;
    assert_int_equal(stat(dir, &st), -1); /* removed */
    /* Hannah's evening is recorded at the other kiosk: trust-wide, each person's year is the
     * one their kiosk's events give — Daniel's from the first, Hannah's from the second. */
    kiosk_open(&b, "report-b");
    must_sync(&b, NULL);
    tap_at(&b, HANNAH, "2023-11-27 15:44", TAP_SIGNED_IN);
    tap_at(&b, HANNAH, "2023-11-27 17:16", TAP_SIGNED_OUT);
    must_sync(&b, NULL);
    assert_int_equal(ledger_copy_open(&office, &copy, INT64_MIN, err, sizeof(err)), SYNC_OK);
    from_ledger = statements_csv(copy.store, &a.cfg.rules);
    ledger_copy_close(&copy);
    char *from_b = statements_csv(b.store, &b.cfg.rules);
    char line[3][512];
    csv_line_of(from_ledger, "BIT0005", line[0]);
    csv_line_of(from_b, "BIT0005", line[1]);
    csv_line_of(from_kiosk, "BIT0005", line[2]);
    assert_string_equal(line[0], line[1]);
    assert_string_not_equal(line[0], line[2]);
    csv_line_of(from_ledger, "BIT0002", line[0]);
    csv_line_of(from_kiosk, "BIT0002", line[2]);
    assert_string_equal(line[0], line[2]);
    free(from_b);
    free(from_kiosk);
    free(from_ledger);
    /* The same through cpd-admin, as head office runs it; a wrong password is exit 4. */
    char cmd[2048], out[8192];
    test_write_file(a.dir, "office.pw", "office-pw-0123456789", err, sizeof(err));
    chmod(err, 0600);
    snprintf(cmd, sizeof(cmd),
             "CPD_KIOSK_DB=/nonexistent/k.db '%s/cpd-admin' report statements --summary "
             "--at '2024-07-20 09:00' --ledger '%s' --password-file '%s' 2>&1",
             CPD_BINARY_DIR, conninfo, err);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(out, "Daniel Ashworth"));
    test_write_file(a.dir, "wrong.pw", "not-the-password-0", err, sizeof(err));
    chmod(err, 0600);
    snprintf(cmd, sizeof(cmd),
             "CPD_KIOSK_DB=/nonexistent/k.db '%s/cpd-admin' report statements --ledger '%s' "
             "--password-file '%s' >/dev/null 2>&1",
             CPD_BINARY_DIR, conninfo, err);
    int status = system(cmd);
    assert_int_equal(WEXITSTATUS(status), 4);
    kiosk_close(&a);
    kiosk_close(&b);
}

static void test_same_batch_twice_is_stored_once(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "twice");
    add_events(&k, 3);
    char why[512];
    long acked = 0;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(push_events_of(&k, k.cfg.sync.conninfo, k.kiosk_password, 1, 3, NULL,
                                        &acked, why, sizeof(why)),
                         PG_OK);
        assert_int_equal(acked, 3);
        assert_int_equal(ledger_events("twice"), 3);
    }
    /* The same uuids with different content: tampering, and nothing changes. */
    int err = push_events_of(&k, k.cfg.sync.conninfo, k.kiosk_password, 1, 3, "BIT0001", &acked,
                             why, sizeof(why));
    assert_int_equal(err, PG_EQUERY);
    assert_non_null(strstr(why, "tampering"));
    assert_int_equal(ledger_events("twice"), 3);
    kiosk_close(&k);
}

static void test_failures_lose_nothing(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "failures");
    add_events(&k, 40);
    char why[512], out[256];
    struct sync_report r;
    /* Wrong password. */
    char saved[CONFIG_PATH_MAX];
    snprintf(saved, sizeof(saved), "%s", k.cfg.sync.password_file);
    char bad[512];
    test_write_file(k.dir, "bad.pw", "not-the-password", bad, sizeof(bad));
    chmod(bad, 0600);
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", bad);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EAUTH);
    assert_non_null(strstr(why, "password authentication failed"));
    /* A password file others can read is refused before anything is sent. */
    chmod(bad, 0644);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ECONFIG);
    assert_non_null(strstr(why, "readable by others"));
    /* So is one owned by someone else (as root here: hand it to nobody), or not a file. */
    chmod(bad, 0600);
    if (geteuid() == 0) {
        assert_int_equal(chown(bad, 65534, 65534), 0);
        assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ECONFIG);
        assert_non_null(strstr(why, "not by this user"));
        assert_int_equal(chown(bad, 0, 0), 0);
    }
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", k.dir);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ECONFIG);
    assert_non_null(strstr(why, "not a regular file"));
    /* A FIFO is refused at once, not waited on; an empty file is named. */
    char fifo[300], empty[512];
    snprintf(fifo, sizeof(fifo), "%s/pw.fifo", k.dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", fifo);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ECONFIG);
    assert_non_null(strstr(why, "not a regular file"));
    test_write_file(k.dir, "empty.pw", "", empty, sizeof(empty));
    chmod(empty, 0600);
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", empty);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ECONFIG);
    assert_non_null(strstr(why, "empty"));
    /* 0400 is fine: the wrong password is then what the ledger refuses. */
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", bad);
    chmod(bad, 0400);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EAUTH);
    snprintf(k.cfg.sync.password_file, sizeof(k.cfg.sync.password_file), "%s", saved);
    /* The wrong schema version, both ways. */
    assert_int_equal(
        pgserver_psql(&server, "UPDATE cpd.schema_version SET version = 99;", out, sizeof(out)), 0);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ESCHEMA);
    assert_non_null(strstr(why, "newer than this kiosk knows"));
    char older[96], current[96];
    snprintf(older, sizeof(older), "UPDATE cpd.schema_version SET version = %d;",
             LEDGER_SCHEMA_VERSION - 1);
    snprintf(current, sizeof(current), "UPDATE cpd.schema_version SET version = %d;",
             LEDGER_SCHEMA_VERSION);
    assert_int_equal(pgserver_psql(&server, older, out, sizeof(out)), 0);
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_ESCHEMA);
    assert_non_null(strstr(why, "too old"));
    assert_int_equal(pgserver_psql(&server, current, out, sizeof(out)), 0);
    /* The server down: a clear error, quickly, and the events are still here. */
    assert_int_equal(pgserver_stop_server(&server), 0);
    k.cfg.sync.connect_timeout_s = 2;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EUNREACHABLE);
    struct sync_state st;
    sync_state_read(k.store, &st);
    assert_non_null(strstr(st.last_error, "the ledger did not answer"));
    assert_int_equal(pgserver_restart(&server), 0);
    int64_t local = 0;
    assert_int_equal(store_count(k.store, "events", &local), STORE_OK);
    assert_int_equal(local, 40);
    assert_int_equal(ledger_events("failures"), 0);
    /* cpd-admin sync says so too, with its exit status. */
    char ini[512], cmd[1200], text[1200];
    snprintf(text, sizeof(text),
             "[kiosk]\nid = failures\n[sync]\nconninfo = %s\npassword_file = "
             "%s\nconnect_timeout_s = 2\nsslmode = disable\nchannel_binding = disable\n",
             k.cfg.sync.conninfo, k.cfg.sync.password_file);
    test_write_file(k.dir, "kiosk.ini", text, ini, sizeof(ini));
    snprintf(cmd, sizeof(cmd), "'%s/cpd-admin' --config '%s' --database '%s' sync 2>&1",
             CPD_BINARY_DIR, ini, k.cfg.kiosk.database);
    assert_int_equal(pgserver_stop_server(&server), 0);
    FILE *p = popen(cmd, "r");
    size_t n = fread(text, 1, sizeof(text) - 1, p);
    text[n] = '\0';
    assert_int_equal(WEXITSTATUS(pclose(p)), 3);
    assert_non_null(strstr(text, "cpd-admin: the ledger did not answer: "));
    assert_int_equal(pgserver_restart(&server), 0);
    /* The next sync catches up. */
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 40);
    assert_int_equal(ledger_events("failures"), 40);
    kiosk_close(&k);
}

static void test_an_edited_event_is_found(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "edited");
    add_events(&k, 10);
    char out[512];
    must_sync(&k, NULL);
    assert_ledger_verifies();
    assert_int_equal(pgserver_psql(&server,
                                   "ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
                                   " UPDATE cpd.events SET person = 'BIT0009'"
                                   " WHERE kiosk = 'edited' AND seq = 4;"
                                   " ALTER TABLE cpd.events ENABLE TRIGGER append_only;",
                                   out, sizeof(out)),
                     0);
    /* cpd-admin verify --ledger, as the office would run it. */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "'%s/cpd-admin' verify --ledger '%s' --password-file '%s' --keyring '%s' 2>&1",
             CPD_BINARY_DIR, server.conninfo, server.password_file, keyring);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    assert_int_equal(WEXITSTATUS(status), 6);
    if (!strstr(out, "kiosk edited: event 4: hash does not match the event's content"))
        fail_msg("verify --ledger said:\n%s", out);
    /* The append-only trigger holds otherwise, even for the owner. */
    assert_int_not_equal(
        pgserver_psql(&server, "DELETE FROM cpd.events WHERE kiosk = 'edited';", out, sizeof(out)),
        0);
    assert_non_null(strstr(out, "append-only"));
    /* Put it back for the other tests' verify. */
    assert_int_equal(pgserver_psql(&server,
                                   "ALTER TABLE cpd.events DISABLE TRIGGER append_only;"
                                   " UPDATE cpd.events SET person = 'BIT0004'"
                                   " WHERE kiosk = 'edited' AND seq = 4;"
                                   " ALTER TABLE cpd.events ENABLE TRIGGER append_only;",
                                   out, sizeof(out)),
                     0);
    assert_ledger_verifies();
    kiosk_close(&k);
}

static void test_kiosk_roles_can_only_push_and_pull_their_own(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "role-a");
    kiosk_open(&b, "role-b");
    add_events(&a, 3);
    char why[512];
    struct pg *pg = NULL;
    assert_int_equal(connect_as(b.cfg.sync.conninfo, b.kiosk_password, &pg, why, sizeof(why)),
                     PG_OK);
    static const char *const forbidden[] = {
        "SELECT count(*) FROM cpd.events",
        "SELECT * FROM cpd.people",
        "UPDATE cpd.kiosks SET last_seq = 0",
        "DELETE FROM cpd.events",
        "INSERT INTO cpd.people (staff_no, name, academy, role) VALUES ('X', 'X', 'X', 'staff')",
        "SELECT cpd.register_kiosk('evil', decode(repeat('00', 32), 'hex'), 'x')",
        "SELECT cpd.rotate_key('role-a', decode(repeat('00', 32), 'hex'), 'x', NULL)",
        "SELECT cpd_ledger.create_login('kiosk', 'cpd_kiosk_evil', 'x')",
        "SELECT cpd_ledger.cluster_id()",
        "SELECT * FROM cpd.office_people",
        "CREATE TEMP TABLE t (x int)",
        "CREATE TABLE public.t (x int)"};
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        assert_int_equal(pg_exec(pg, forbidden[i], 0, NULL, NULL, why, sizeof(why)), PG_EPERM);
        assert_non_null(strstr(why, "permission denied"));
    }
    pg_close(pg);
    /* Kiosk b pushing kiosk a's events: stored as b's they would not hash, so they are refused. */
    long acked = 0;
    int err = push_events_of(&a, b.cfg.sync.conninfo, b.kiosk_password, 1, 3, NULL, &acked, why,
                             sizeof(why));
    assert_int_equal(err, PG_EQUERY);
    assert_non_null(strstr(why, "hash does not match"));
    assert_int_equal(ledger_events("role-a"), 0);
    assert_int_equal(ledger_events("role-b"), 0);
    kiosk_close(&a);
    kiosk_close(&b);
}

static void test_a_kiosk_signing_with_another_key_is_refused(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "wrong-key");
    add_events(&k, 5);
    /* Another key for a registered kiosk is refused by add-kiosk; head office can only change
     * it with rotate-key and a reason — and then this kiosk's own signatures no longer pass. */
    uint8_t pk[CRYPTO_SIGN_PK_BYTES], sk[CRYPTO_SIGN_SK_BYTES];
    crypto_sign_keypair_new(pk, sk);
    char hex[2 * CRYPTO_SIGN_PK_BYTES + 1], why[512], role[128];
    crypto_hex(hex, pk, sizeof(pk));
    struct ledger_target t = admin();
    struct ledger_kiosk lk = {"wrong-key", hex, k.kiosk_password, 60, 30, 2};
    assert_int_equal(ledger_add_kiosk(&t, &lk, keyring, role, sizeof(role), why, sizeof(why)),
                     SYNC_EREFUSED);
    assert_non_null(strstr(why, "registered with another key"));
    int64_t from = 0;
    int err = ledger_rotate_key(&t, "wrong-key", hex, "", 0, keyring, &from, why, sizeof(why));
    if (err != SYNC_ECONFIG)
        fail_msg("rotate-key without a reason: %d %s", err, why);
    assert_non_null(strstr(why, "--reason: one line"));
    /* A reason on two lines would not fit the keyring: refused before anything changes. */
    err = ledger_rotate_key(&t, "wrong-key", hex, "a\nb", 0, keyring, &from, why, sizeof(why));
    assert_int_equal(err, SYNC_ECONFIG);
    err = ledger_rotate_key(&t, "wrong-key", hex, "test: key swapped", 0, keyring, &from, why,
                            sizeof(why));
    if (err != SYNC_OK)
        fail_msg("rotate-key: %s", why);
    assert_int_equal(from, 1);
    struct sync_report r;
    assert_int_equal(sync_now(&k, &r, why, sizeof(why)), SYNC_EREJECTED);
    assert_non_null(strstr(why, "signature is not kiosk wrong-key's"));
    assert_int_equal(ledger_events("wrong-key"), 0);
    kiosk_close(&k);
}

struct racer {
    struct tkiosk *k;
    int err;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    char why[512];
    for (int i = 0; i < 5 && r->err == SYNC_OK; i++)
        r->err = sync_now(r->k, NULL, why, sizeof(why));
    if (r->err != SYNC_OK)
        fprintf(stderr, "%s: %s\n", r->k->id, why);
    return NULL;
}

static void test_two_kiosks_at_once(void **state)
{
    (void)state;
    struct tkiosk a, b;
    kiosk_open(&a, "race-a");
    kiosk_open(&b, "race-b");
    add_events(&a, 300);
    add_events(&b, 300);
    struct racer ra = {&a, SYNC_OK}, rb = {&b, SYNC_OK};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, race, &ra);
    pthread_create(&tb, NULL, race, &rb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(ra.err, SYNC_OK);
    assert_int_equal(rb.err, SYNC_OK);
    assert_int_equal(ledger_events("race-a"), 300);
    assert_int_equal(ledger_events("race-b"), 300);
    assert_ledger_verifies();
    kiosk_close(&a);
    kiosk_close(&b);
}

static void test_pull_never_skips_a_late_commit(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "late-commit");
    char why[512];
    must_sync(&k, NULL);
    /* T1 starts first (older transaction id) and writes Late; T2 writes Early and commits. */
    struct pg *t1 = NULL, *t2 = NULL;
    assert_int_equal(connect_as(server.conninfo, server.password, &t1, why, sizeof(why)), PG_OK);
    assert_int_equal(connect_as(server.conninfo, server.password, &t2, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_exec(t1, "BEGIN", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_exec(t1,
                             "INSERT INTO cpd.people (staff_no, name, academy, role)"
                             " VALUES ('LATE1', 'Late Committer', 'Riverside Academy', 'staff')",
                             0, NULL, NULL, why, sizeof(why)),
                     PG_OK);
    assert_int_equal(pg_exec(t2,
                             "INSERT INTO cpd.people (staff_no, name, academy, role)"
                             " VALUES ('EARLY1', 'Early Committer', 'Riverside Academy', 'staff')",
                             0, NULL, NULL, why, sizeof(why)),
                     PG_OK);
    /* The kiosk pulls while T1 is open: it must not move its cursor past T1. */
    struct sync_report r;
    must_sync(&k, &r);
    struct person p;
    assert_int_equal(store_person_by_staff_no(k.store, "LATE1", &p), STORE_ENOTFOUND);
    assert_int_equal(pg_exec(t1, "COMMIT", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    must_sync(&k, &r);
    assert_int_equal(store_person_by_staff_no(k.store, "LATE1", &p), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "EARLY1", &p), STORE_OK);
    /* Written behind head office's records (to test the cursor alone): taken out again. */
    assert_int_equal(pg_exec(t1, "DELETE FROM cpd.people WHERE staff_no IN ('LATE1', 'EARLY1')", 0,
                             NULL, NULL, why, sizeof(why)),
                     PG_OK);
    pg_close(t1);
    pg_close(t2);
    kiosk_close(&k);
}

/* A replacement kiosk's first event, the anchor to the retired chain, is taken by the ledger
 * like every other (schema 5). */
static void test_an_anchor_reaches_the_ledger(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "anchored");
    struct event e;
    assert_int_equal(event_make(&e, EV_CHAIN_ANCHOR, NULL, NULL, test_at("2024-01-08 08:00"),
                                test_at("2024-01-08 08:00"), "unsynced",
                                "{\"kiosk\":\"central-1\",\"seq\":2,\"hash\":\"00\"}"),
                     EVENT_OK);
    assert_int_equal(store_append_event(k.store, &e), STORE_OK);
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 1);
    assert_int_equal(ledger_events("anchored"), 1);
    kiosk_close(&k);
}

/* Retention: once the ledger holds them, events older than keep_synced_days go from the kiosk;
 * its chain still verifies, the next syncs push and pull as before, and the ledger keeps all. */
static void test_synced_old_events_are_purged_here(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "retained");
    add_events(&k, 40); /* in 2023, years before today */
    k.cfg.sync.keep_synced_days = 400;
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 40);
    assert_int_equal(r.purged, 39); /* all but the newest, which anchors the chain */
    assert_int_equal(ledger_events("retained"), 40);
    struct store_verify_report v;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.first_bad_seq, 0);
    assert_int_equal(v.purged_below, 40);
    /* A tap now, and the syncs after it: pushed once, nothing lost or doubled at head office. */
    add_events(&k, 5);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 5);
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 0);
    assert_int_equal(ledger_events("retained"), 45);
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.first_bad_seq, 0);
    assert_ledger_verifies();
    kiosk_close(&k);
}

static int64_t count_of(struct tkiosk *k, const char *table)
{
    int64_t n = -1;
    assert_int_equal(store_count(k->store, table, &n), STORE_OK);
    return n;
}

#define GARETH "04-3B-19-D2-6A-71-81"

/* The kiosk: its clock at 2099 syncs with a ledger that knows the time. The sync
 * succeeds and pushes; the purge, which by 2099's reckoning would take 8 of its 9 events and
 * every attendance row (and rebuild could not bring Gareth's CPI session back), takes nothing
 * and says why. Put right, the next sync purges by the ledger's clock. */
static void test_a_kiosk_clock_at_2099_purges_nothing(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "clock-2099");
    must_sync(&k, NULL); /* the roster */
    tap_at(&k, GARETH, "2023-09-13 15:10", TAP_SIGNED_IN);
    tap_at(&k, GARETH, "2023-09-13 18:15", TAP_SIGNED_OUT);
    add_events(&k, 7);
    k.cfg.sync.keep_synced_days = 730; /* kiosk.ini's default */
    assert_int_equal(count_of(&k, "events"), 9);
    assert_int_equal(count_of(&k, "attendance"), 1);
    wallshift_set(test_at("2099-01-24 15:10") - clock_wall_us());
    struct sync_report r;
    char why[512], text[512];
    int err = sync_now(&k, &r, why, sizeof(why));
    wallshift_set(0);
    if (err != SYNC_OK)
        fail_msg("sync at 2099: %s: %s", cpd_strerror(err), why);
    assert_int_equal(r.pushed, 9);
    assert_true(r.clock_offset_ms < -INT64_C(60) * 365 * 86400 * 1000);
    assert_int_equal(count_of(&k, "events"), 9);
    assert_int_equal(count_of(&k, "attendance"), 1);
    assert_int_equal(r.purged, 0);
    assert_int_equal(r.purge, SYNC_PURGE_CLOCK);
    sync_purge_text(&r, &k.cfg.sync, text, sizeof(text));
    if (!strstr(text, "nothing was purged here: this kiosk's clock is ") ||
        !strstr(text, " years ahead of the ledger's") || !strstr(text, "clock_warn_s (60 s)"))
        fail_msg("said: %s", text);
    /* The clock put right: 2023's events are older than 730 days by the ledger's clock too. */
    must_sync(&k, &r);
    assert_int_equal(r.purge, SYNC_PURGE_RAN);
    assert_int_equal(r.purged, 8);
    assert_int_equal(count_of(&k, "attendance"), 0);
    sync_purge_text(&r, &k.cfg.sync, text, sizeof(text));
    assert_string_equal(text, "purged 8 synced events older than 730 days here (the ledger "
                              "keeps them)");
    kiosk_close(&k);
}

/* A session of the kiosk's own on day (15:30–17:00) and Gareth's attendance at it. */
static void attend_on(struct tkiosk *k, civil_day day, struct session *x)
{
    struct course_row c = {.code = "retention-now",
                           .title = "Behaviour that challenges",
                           .delivery = DELIVERY_FACE_TO_FACE,
                           .kind = KIND_SINGLE,
                           .credits_q = 6};
    int64_t course_id = 0, id = 0;
    assert_int_equal(store_course_upsert(k->store, &c, &course_id), STORE_OK);
    *x = (struct session){.code = "retention-now", .date = day, .start_min = 930, .end_min = 1020};
    assert_int_equal(zone_local_to_utc(day, x->start_min, &x->start_us), ZONE_OK);
    assert_int_equal(zone_local_to_utc(day, x->end_min, &x->end_us), ZONE_OK);
    assert_int_equal(store_session_upsert(k->store, course_id, x, &id), STORE_OK);
    x->id = id;
    char date[CIVIL_DATE_LEN], when[32];
    civil_format_date(day, date);
    snprintf(when, sizeof(when), "%s 15:35", date);
    tap_at(k, GARETH, when, TAP_SIGNED_IN);
    snprintf(when, sizeof(when), "%s 17:00", date);
    tap_at(k, GARETH, when, TAP_SIGNED_OUT);
}

/* Attendance of the credit year the ledger's clock is in stays, however short keep_synced_days
 * is made (kiosk.ini allows no less than 400; the sync refuses even so). */
static void test_a_purge_into_this_credit_year_is_refused(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "this-year");
    must_sync(&k, NULL); /* the roster */
    civil_day today;
    int minutes, seconds;
    zone_utc_to_local(clock_wall_us(), &today, &minutes, &seconds);
    /* The credit year began ten days ago ([terms] year_start's day and month); Gareth came
     * to a session five days ago. */
    k.cfg.sync.credit_year_first = today - 10;
    struct session x;
    attend_on(&k, today - 5, &x);
    struct person gareth;
    struct attendance row;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &gareth), STORE_OK);
    assert_int_equal(store_attendance_get(k.store, gareth.id, x.id, &row), STORE_OK);
    k.cfg.sync.keep_synced_days = 2;
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(store_attendance_get(k.store, gareth.id, x.id, &row), STORE_OK);
    assert_int_equal(count_of(&k, "events"), 2);
    assert_int_equal(r.purged, 0);
    assert_int_equal(r.purge, SYNC_PURGE_THIS_YEAR);
    char text[512], date[CIVIL_DATE_LEN], expected[64];
    sync_purge_text(&r, &k.cfg.sync, text, sizeof(text));
    civil_format_date(today - 10, date);
    snprintf(expected, sizeof(expected), "the credit year that began on %s", date);
    if (!strstr(text, "nothing was purged here: keeping synced events for 2 days") ||
        !strstr(text, expected))
        fail_msg("said: %s", text);
    /* Had the year begun after that session, the same purge would go ahead, attendance and
     * all: the refusal was the year's. */
    k.cfg.sync.credit_year_first = today - 1;
    must_sync(&k, &r);
    assert_int_equal(r.purge, SYNC_PURGE_RAN);
    assert_int_equal(r.purged, 1);
    assert_int_equal(store_attendance_get(k.store, gareth.id, x.id, &row), STORE_ENOTFOUND);
    kiosk_close(&k);
}

/* An evaluation reaches the ledger and head office's report of it is the kiosk's (schema 6);
 * one whose score is not 1–5 is refused there even with the kiosk's own signature. */
static void test_evaluations_reach_the_ledger(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "evaluated");
    must_sync(&k, NULL);
    tap_at(&k, "04-3B-19-D2-6A-71-81", "2023-09-13 15:10", TAP_SIGNED_IN); /* Gareth */
    tap_at(&k, "04-3B-19-D2-6A-71-81", "2023-09-13 18:15", TAP_SIGNED_OUT);
    struct person gareth;
    struct session s;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0004", &gareth), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "cpi-autumn-1", &s), STORE_OK);
    assert_int_equal(evaluation_record(k.store, "synced", &gareth, &s, 5,
                                       test_at("2023-09-13 18:16"), test_at("2023-09-13 18:16")),
                     STORE_OK);
    must_sync(&k, NULL);
    char role[96], err[512], conninfo[256];
    struct ledger_target owner = admin();
    assert_int_equal(ledger_add_office(&owner, "evaluations", "office-pw-0123456789", role,
                                       sizeof(role), err, sizeof(err)),
                     SYNC_OK);
    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%d dbname=cpd user=%s sslmode=disable", server.port, role);
    struct ledger_target office = {
        .conninfo = conninfo, .password = "office-pw-0123456789", .timeout_s = 10};
    struct ledger_copy copy;
    assert_int_equal(ledger_copy_open(&office, &copy, INT64_MIN, err, sizeof(err)), SYNC_OK);
    struct report here, there;
    int64_t at = test_at("2024-07-20 12:00");
    assert_int_equal(report_evaluations(k.store, at, &here), STORE_OK);
    assert_int_equal(report_evaluations(copy.store, at, &there), STORE_OK);
    ledger_copy_close(&copy);
    assert_true(there.n_rows >= 1);
    bool found = false;
    for (size_t i = 0; i < there.n_rows; i++) {
        if (strcmp(there.rows[i].cells[2], "cpi-autumn-1") == 0) {
            found = true;
            assert_string_equal(there.rows[i].cells[3], here.rows[0].cells[3]);
            assert_string_equal(there.rows[i].cells[9], "1"); /* one gave 5 */
        }
    }
    assert_true(found);
    report_free(&here);
    report_free(&there);
    /* A score the kiosk's code would never write, signed all the same: refused. */
    struct event e;
    assert_int_equal(event_make(&e, EV_EVALUATION, "BIT0004", "cpi-autumn-1",
                                test_at("2023-09-13 18:17"), test_at("2023-09-13 18:17"), "synced",
                                "{\"score\":9}"),
                     EVENT_OK);
    assert_int_equal(store_append_event(k.store, &e), STORE_OK);
    char why[512];
    assert_int_not_equal(sync_now(&k, NULL, why, sizeof(why)), SYNC_OK);
    assert_non_null(strstr(why, "events_evaluation_check"));
    kiosk_close(&k);
}

static char collected[8192];

static void collect_line(void *ctx, const char *line)
{
    (void)ctx;
    size_t used = strlen(collected);
    snprintf(collected + used, sizeof(collected) - used, "%s\n", line);
}

/* Head office's roster as the whole record: a person it no longer has becomes a leaver in the
 * ledger (inactive, kept), and every kiosk refuses their badge after its next sync. Late: it
 * changes the roster the other tests pull. */
static void test_a_roster_as_the_whole_record_on_the_ledger(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "leavers");
    must_sync(&k, NULL);
    char path[512], why[512], out[256];
    snprintf(path, sizeof(path), "%s/roster.csv", k.dir);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "grep -v BIT0013 '%s/demo-roster.csv' | grep -v BIT0004 > '%s'",
             CPD_DATA_DIR, path);
    assert_int_equal(system(cmd), 0);
    struct ledger_target owner = admin();
    struct import_options io = {.rules = &k.cfg.rules, .site_key = k.keys.site, .replace = true};
    struct import_result ir;
    assert_int_equal(ledger_import(&owner, IMPORT_ROSTER, path, &io, &ir, why, sizeof(why)),
                     SYNC_OK);
    assert_int_equal(pgserver_psql(&server,
                                   "SELECT staff_no, active FROM cpd.people WHERE staff_no IN "
                                   "('BIT0004', 'BIT0001') ORDER BY 1;",
                                   out, sizeof(out)),
                     0);
    assert_non_null(strstr(out, "BIT0001|t"));
    assert_non_null(strstr(out, "BIT0004|f"));
    must_sync(&k, NULL);
    tap_at(&k, "04-3B-19-D2-6A-71-81", "2023-09-13 15:00", TAP_INACTIVE); /* Gareth */
    /* Hannah attends 27 Nov at this kiosk; head office then moves the session's start: the
     * ledger's import names her (from the kiosks' events it holds) and needs
     * --accept-changes, as a kiosk's import would. */
    tap_at(&k, "5D:E1:07:B4", "2023-11-27 15:44", TAP_SIGNED_IN);
    tap_at(&k, "5D:E1:07:B4", "2023-11-27 17:16", TAP_SIGNED_OUT);
    must_sync(&k, NULL);
    snprintf(path, sizeof(path), "%s/programme.csv", k.dir);
    snprintf(cmd, sizeof(cmd),
             "sed 's/^\\(au2-in-class-support,.*\\),15:45,17:15,/\\1,16:00,17:15,/' "
             "'%s/programme-2023-24.csv' > '%s' && grep -q '2023-11-27,,16:00,17:15' '%s'",
             CPD_DATA_DIR, path, path);
    assert_int_equal(system(cmd), 0);
    struct import_options po = {.rules = &k.cfg.rules, .report = collect_line};
    collected[0] = '\0';
    assert_int_equal(ledger_import(&owner, IMPORT_PROGRAMME, path, &po, &ir, why, sizeof(why)),
                     SYNC_ECONFIG);
    if (!strstr(collected, "Hannah Pickering") || !strstr(collected, "--accept-changes"))
        fail_msg("expected Hannah named, in:\n%s", collected);
    po.accept_changes = true;
    assert_int_equal(ledger_import(&owner, IMPORT_PROGRAMME, path, &po, &ir, why, sizeof(why)),
                     SYNC_OK);
    assert_int_equal(pgserver_psql(&server,
                                   "SELECT to_char(start_time, 'HH24:MI') FROM cpd.sessions "
                                   "WHERE code = 'au2-in-class-support';",
                                   out, sizeof(out)),
                     0);
    assert_non_null(strstr(out, "16:00"));
    kiosk_close(&k);
}

/* A kiosk restored from a backup taken after its first `kept` events: the ledger holds `lost`
 * more, which its next sync takes back. full (may be NULL) gets a copy of the store from
 * before the restore. The backup holds the tap receipts of its day (kiosk.db*), put back with
 * it — unless newer_receipts, as when only the database file is put back over a disk that
 * kept them. */
static void restored_kiosk(struct tkiosk *k, const char *id, int kept, int lost, char *full,
                           size_t cap, bool newer_receipts)
{
    char backup[300], receipts[600], backup_receipts[300];
    kiosk_open(k, id);
    must_sync(k, NULL); /* the roster, in the backup too */
    add_events(k, kept);
    must_sync(k, NULL);
    snprintf(backup, sizeof(backup), "%s/backup.db", k->dir);
    snprintf(backup_receipts, sizeof(backup_receipts), "%s/backup.db-receipts", k->dir);
    snprintf(receipts, sizeof(receipts), "%s-receipts", k->cfg.kiosk.database);
    store_close(k->store);
    kiosk_copy_file(k->cfg.kiosk.database, backup);
    kiosk_copy_file(receipts, backup_receipts);
    kiosk_reopen(k);
    add_events(k, lost);
    must_sync(k, NULL);
    store_close(k->store);
    if (full) {
        snprintf(full, cap, "%s/full.db", k->dir);
        kiosk_copy_file(k->cfg.kiosk.database, full);
    }
    kiosk_copy_file(backup, k->cfg.kiosk.database);
    if (!newer_receipts)
        kiosk_copy_file(backup_receipts, receipts);
    kiosk_reopen(k);
}

/* A sync on a connection of its own (as the kiosk's sync thread has), against a ledger whose
 * events table the owner holds locked: the heal's first fetch waits for it. */
struct stalled_sync {
    struct tkiosk *k;
    struct pg *owner;
    pthread_t thread;
    int err;
    struct sync_report r;
    char why[1024];
};

static void *stalled_sync_run(void *arg)
{
    struct stalled_sync *t = arg;
    struct store *mine = NULL;
    t->err = store_open(t->k->cfg.kiosk.database, &mine, t->why, sizeof(t->why)) == STORE_OK &&
                     store_set_signer(mine, t->k->id, t->k->keys.sign_sk) == STORE_OK
                 ? sync_run(&t->k->cfg.sync, mine, NULL, NULL, &t->r, t->why, sizeof(t->why))
                 : SYNC_ESTORE;
    store_close(mine);
    return NULL;
}

/* Sessions waiting for a lock on cpd.events (the owner's own lock is granted). */
static int waiting_on_events(struct pg *owner)
{
    struct pg_result *res = NULL;
    char why[512];
    int n = -1;
    if (pg_exec(owner,
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
                " AND relation = 'cpd.events'::regclass",
                0, NULL, &res, why, sizeof(why)) == PG_OK)
        n = atoi(pg_value(res, 0, 0));
    pg_clear(res);
    return n;
}

/* Locks the ledger's events, starts the sync, and returns once it waits on the lock (false
 * when it never came to, within 20 s). */
static bool stall_a_sync(struct stalled_sync *t, struct tkiosk *k)
{
    char why[512];
    memset(t, 0, sizeof(*t));
    t->k = k;
    assert_int_equal(connect_as(server.conninfo, server.password, &t->owner, why, sizeof(why)),
                     SYNC_OK);
    assert_int_equal(pg_exec(t->owner, "BEGIN", 0, NULL, NULL, why, sizeof(why)), PG_OK);
    assert_int_equal(pg_exec(t->owner, "LOCK TABLE cpd.events IN ACCESS EXCLUSIVE MODE", 0, NULL,
                             NULL, why, sizeof(why)),
                     PG_OK);
    assert_int_equal(pthread_create(&t->thread, NULL, stalled_sync_run, t), 0);
    for (int i = 0; i < 2000; i++) {
        if (waiting_on_events(t->owner) > 0)
            return true;
        usleep(10000);
    }
    return false;
}

/* Ends the stall once it has lasted at least min_us, and waits for the sync to finish. */
static void end_the_stall(struct stalled_sync *t, int64_t since_us, int64_t min_us)
{
    char why[512];
    int64_t left = since_us + min_us - clock_monotonic_us();
    if (left > 0)
        usleep((useconds_t)left);
    pg_exec(t->owner, "ROLLBACK", 0, NULL, NULL, why, sizeof(why));
    pthread_join(t->thread, NULL);
    pg_close(t->owner);
}

/* Gareth taps at 15:10 on the kiosk's own connection, as the kiosk would: what the store
 * answered, what the screen would say, the event's seq, and how long the tap took. */
struct timed_tap {
    int err;
    enum tap_outcome outcome;
    int64_t seq;
    int64_t took_us;
};

static struct timed_tap gareth_taps(struct tkiosk *k)
{
    struct tapflow flow = {k->store, &k->cfg.rules, k->keys.site, "synced", NULL};
    struct tap_result *tr = calloc(1, sizeof(*tr));
    assert_non_null(tr);
    struct uid uid;
    uid_parse(GARETH, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
    int64_t at = test_at("2023-09-13 15:10");
    int64_t start = clock_monotonic_us();
    struct timed_tap t = {.err = tapflow_tap(&flow, &uid, at, at, 0, tr)};
    t.took_us = clock_monotonic_us() - start;
    t.outcome = tr->decision.outcome;
    t.seq = tr->seq;
    tapflow_result_free(tr);
    free(tr);
    return t;
}

/* A restored kiosk heals against a ledger that stalls for 3 s; a tap on the kiosk's own
 * connection meanwhile is recorded at once — the heal holds no local lock while it waits on
 * the ledger. The tap took the seq the ledger's next event has: the heal sees the chain moved
 * and stops, saying so; nothing is overwritten, the tap is kept, the chain verifies. */
static void test_a_tap_during_a_stalled_heal_waits_for_nothing(void **state)
{
    (void)state;
    struct tkiosk k;
    restored_kiosk(&k, "tap-in-heal", 5, 450, NULL, 0, false);
    struct stalled_sync t;
    int64_t stalled_at = clock_monotonic_us();
    bool stalled = stall_a_sync(&t, &k);
    struct timed_tap tap = stalled ? gareth_taps(&k) : (struct timed_tap){.err = STORE_EINTERNAL};
    bool still_stalled = waiting_on_events(t.owner) > 0;
    end_the_stall(&t, stalled_at, 3000000);
    assert_true(stalled);
    if (tap.err != STORE_OK || tap.took_us > 200000)
        fail_msg("the tap during the heal: %s after %lld ms", cpd_strerror(tap.err),
                 (long long)(tap.took_us / 1000));
    assert_true(still_stalled); /* the tap was during the stall */
    assert_int_equal(tap.outcome, TAP_SIGNED_IN);
    assert_int_equal(t.err, SYNC_EDIVERGED);
    if (!strstr(t.why, "seq 6: while this kiosk was taking back seqs 6–455 from the ledger, "
                       "another event (a tap?) was recorded here as seq 6") ||
        !strstr(t.why, "none was taken back"))
        fail_msg("said: %s", t.why);
    assert_int_equal(t.r.healed, 0);
    struct store_verify_report v;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.events, 6);
    assert_int_equal(v.first_bad_seq, 0);
    assert_int_equal(ledger_events("tap-in-heal"), 455);
    /* The next sync stops too, naming the seq where the chains part. */
    char why[512];
    assert_int_equal(sync_now(&k, NULL, why, sizeof(why)), SYNC_EDIVERGED);
    assert_non_null(strstr(why, "seq 6: "));
    kiosk_close(&k);
}

/* The database put back without the receipts that outlived it: they say seqs 6–455 were
 * acknowledged, so a tap before they are back is refused at once — nothing waits and nothing
 * forks — while the heal takes them all back; then the kiosk taps again. */
static void test_newer_receipts_keep_a_restored_kiosk_from_forking(void **state)
{
    (void)state;
    struct tkiosk k;
    restored_kiosk(&k, "receipts-kept", 5, 450, NULL, 0, true);
    int64_t from = 0, to = 0;
    assert_true(store_behind_receipts(k.store, &from, &to));
    assert_int_equal(from, 6);
    assert_int_equal(to, 455);
    struct stalled_sync t;
    bool stalled = stall_a_sync(&t, &k);
    struct timed_tap tap = stalled ? gareth_taps(&k) : (struct timed_tap){.err = STORE_EINTERNAL};
    end_the_stall(&t, clock_monotonic_us(), 0);
    assert_true(stalled);
    assert_int_equal(tap.err, STORE_EMISSING);
    assert_true(tap.took_us < 200000);
    if (t.err != SYNC_OK)
        fail_msg("the heal: %s: %s", cpd_strerror(t.err), t.why);
    assert_int_equal(t.r.healed, 450);
    assert_false(store_behind_receipts(k.store, &from, &to));
    tap = gareth_taps(&k);
    assert_int_equal(tap.err, STORE_OK);
    assert_int_equal(tap.seq, 456);
    struct store_verify_report v;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.events, 456);
    assert_int_equal(v.first_bad_seq, 0);
    kiosk_close(&k);
}

/* What another sync would write: the ledger's events first..last, as the store held them
 * before the restore (full), taken back on the kiosk's own connection. */
static int take_back(struct tkiosk *k, const char *full, int64_t first, int64_t last)
{
    struct store *before = NULL;
    char why[512];
    int err = store_open_readonly(full, &before, why, sizeof(why));
    for (int64_t seq = first; seq <= last && err == STORE_OK; seq++) {
        struct event e;
        err = store_event_at(before, seq, &e);
        if (err == STORE_OK)
            err = store_adopt_event(k->store, &e, k->keys.sign_pk);
    }
    store_close(before);
    return err;
}

/* Another sync took back the first events of the heal while it waited on the ledger (as the
 * kiosk's sync and cpd-admin's nightly one might): they are the ledger's own, so the heal
 * skips them and takes back the rest, batch by batch. */
static void test_a_heal_skips_what_another_sync_took_back(void **state)
{
    (void)state;
    struct tkiosk k;
    char full[300];
    restored_kiosk(&k, "heal-twice", 5, 450, full, sizeof(full), false);
    struct stalled_sync t;
    bool stalled = stall_a_sync(&t, &k);
    int adopted = stalled ? take_back(&k, full, 6, 10) : STORE_EINTERNAL;
    end_the_stall(&t, clock_monotonic_us(), 0);
    assert_true(stalled);
    assert_int_equal(adopted, STORE_OK);
    if (t.err != SYNC_OK)
        fail_msg("the heal: %s: %s", cpd_strerror(t.err), t.why);
    assert_int_equal(t.r.healed, 445);
    struct store_verify_report v;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.events, 455);
    assert_int_equal(v.first_bad_seq, 0);
    add_events(&k, 1);
    struct sync_report r;
    must_sync(&k, &r);
    assert_int_equal(r.pushed, 1);
    assert_int_equal(ledger_events("heal-twice"), 456);
    kiosk_close(&k);
}

/* Part of the heal done (here by another sync), then a tap: the heal skips what matches the
 * ledger and stops where the tap took the ledger's next seq, naming it and what was taken
 * back; everything written stays and verifies. */
static void test_a_tap_after_part_of_a_heal_stops_it_there(void **state)
{
    (void)state;
    struct tkiosk k;
    char full[300];
    restored_kiosk(&k, "tap-mid-heal", 5, 450, full, sizeof(full), false);
    struct stalled_sync t;
    bool stalled = stall_a_sync(&t, &k);
    int adopted = stalled ? take_back(&k, full, 6, 10) : STORE_EINTERNAL;
    struct timed_tap tap =
        adopted == STORE_OK ? gareth_taps(&k) : (struct timed_tap){.err = adopted};
    end_the_stall(&t, clock_monotonic_us(), 0);
    assert_true(stalled);
    assert_int_equal(tap.err, STORE_OK);
    assert_int_equal(tap.outcome, TAP_SIGNED_IN);
    assert_int_equal(t.err, SYNC_EDIVERGED);
    if (!strstr(t.why, "seq 11: while this kiosk was taking back seqs 6–455") ||
        !strstr(t.why, "seqs 6–10 were taken back"))
        fail_msg("said: %s", t.why);
    struct store_verify_report v;
    assert_int_equal(store_verify(k.store, k.keys.sign_pk, &v), STORE_OK);
    assert_int_equal(v.events, 11);
    assert_int_equal(v.first_bad_seq, 0);
    assert_int_equal(ledger_events("tap-mid-heal"), 455);
    kiosk_close(&k);
}

/* Every write of this process's SQLite can be failed from here on (tests/support/powercut_vfs.h,
 * single-threaded): installed for the last test only. */
static int setup_faulty_disk(void **state)
{
    (void)state;
    return powercut_vfs_install() == 0 ? 0 : -1;
}

static int occurrences(const char *text, const char *word)
{
    int n = 0;
    for (const char *at = strstr(text, word); at; at = strstr(at + 1, word))
        n++;
    return n;
}

/* The disk fills at each write a sync makes in turn (the clock's record, the acknowledgement,
 * the pull, the sync's own record): each time the sync fails saying the disk is full, once, as
 * the store said it — never only "the local database failed" — and with space back the next
 * sync goes through and nothing was lost or sent twice. */
static void test_a_full_disk_during_a_sync_is_said(void **state)
{
    (void)state;
    struct tkiosk k;
    kiosk_open(&k, "full-disk");
    add_events(&k, 3);
    const char *full = cpd_strerror(STORE_EFULL);
    int failed = 0, err = SYNC_ESTORE;
    struct sync_report r;
    char why[512], line[1024];
    for (int after = 0; after < 500 && err != SYNC_OK; after++) {
        powercut_vfs_fail_writes(after, -1);
        err = sync_now(&k, &r, why, sizeof(why));
        powercut_vfs_fail_writes(0, 0);
        if (err == SYNC_OK)
            break;
        failed++;
        snprintf(line, sizeof(line), "%s: %s", cpd_strerror(err), why); /* cpd-admin's line */
        if (err != SYNC_ESTORE || occurrences(line, full) != 1)
            fail_msg("a full disk after %d writes said: %s", after, line);
    }
    assert_int_equal(err, SYNC_OK);
    assert_true(failed >= 4); /* the clock, the acknowledgement, the pull, the sync's record */
    assert_true(powercut_vfs_faults() > 0);
    must_sync(&k, &r);
    assert_int_equal(r.acked_seq, 3);
    assert_int_equal(ledger_events("full-disk"), 3);
    kiosk_close(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reports_from_the_ledger),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_corrections_reach_the_ledger_and_come_back),
        cmocka_unit_test(test_same_batch_twice_is_stored_once),
        cmocka_unit_test(test_failures_lose_nothing),
        cmocka_unit_test(test_an_edited_event_is_found),
        cmocka_unit_test(test_kiosk_roles_can_only_push_and_pull_their_own),
        cmocka_unit_test(test_a_kiosk_signing_with_another_key_is_refused),
        cmocka_unit_test(test_two_kiosks_at_once),
        cmocka_unit_test(test_pull_never_skips_a_late_commit),
        cmocka_unit_test(test_an_anchor_reaches_the_ledger),
        cmocka_unit_test(test_evaluations_reach_the_ledger),
        cmocka_unit_test(test_synced_old_events_are_purged_here),
        cmocka_unit_test(test_a_kiosk_clock_at_2099_purges_nothing),
        cmocka_unit_test(test_a_purge_into_this_credit_year_is_refused),
        cmocka_unit_test(test_a_tap_during_a_stalled_heal_waits_for_nothing),
        cmocka_unit_test(test_newer_receipts_keep_a_restored_kiosk_from_forking),
        cmocka_unit_test(test_a_heal_skips_what_another_sync_took_back),
        cmocka_unit_test(test_a_tap_after_part_of_a_heal_stops_it_there),
        cmocka_unit_test(test_a_roster_as_the_whole_record_on_the_ledger),
        cmocka_unit_test_setup(test_a_full_disk_during_a_sync_is_said, setup_faulty_disk),
    };
    return cmocka_run_group_tests(tests, ledgerfix_setup, ledgerfix_teardown);
}
