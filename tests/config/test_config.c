/* kiosk.ini: defaults, the documented example, and every class of bad input named by line. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/error.h"
#include "config/config.h"
#include "tests/support/testutil.h"

static char dir[256];
static char reports[8192];
static int n_reports;

static void capture(void *ctx, const char *file, int line, const char *message)
{
    (void)ctx;
    (void)file;
    (void)line;
    size_t used = strlen(reports);
    snprintf(reports + used, sizeof(reports) - used, "%s\n", message);
    n_reports++;
}

static int setup(void **state)
{
    (void)state;
    test_tempdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(dir);
    return 0;
}

/* Loads text as kiosk.ini into cfg (starting from the defaults). */
static int load(struct config *cfg, const char *text, char *path, size_t cap)
{
    reports[0] = '\0';
    n_reports = 0;
    test_write_file(dir, "kiosk.ini", text, path, cap);
    config_default(cfg);
    return config_load(cfg, path, capture, NULL);
}

/* The report has exactly "PATH:LINE: rest". */
static void assert_report(const char *path, int line, const char *rest)
{
    char want[1024];
    snprintf(want, sizeof(want), "%s:%d: %s\n", path, line, rest);
    if (!strstr(reports, want)) {
        fprintf(stderr, "expected \"%s\" in:\n%s", want, reports); /* fail_msg would cut it */
        fail();
    }
}

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    config_default(&c);
    assert_string_equal(c.kiosk.id, "central-1");
    assert_string_equal(c.kiosk.timezone, "Europe/London");
    assert_int_equal(c.reader.driver, READER_DRIVER_LIBNFC);
    assert_string_equal(c.reader.connstring, "pn532_uart:/dev/cpd-reader");
    assert_int_equal(c.reader.poll_ms, 50);
    assert_int_equal(c.rules.open_before_min, 30);
    assert_int_equal(c.rules.late_after_min, 10);
    assert_int_equal(c.rules.early_before_min, 10);
    assert_int_equal(c.rules.checkout_after_min, 60);
    assert_int_equal(c.rules.target_quarters, 64);
    assert_int_equal(c.rules.prerecorded_cap_quarters, 32);
    assert_false(c.rules.accept_random_uids);
    assert_int_equal(c.rules.terms.half[HALF_AUTUMN1].first, civil_from_ymd(2023, 9, 4));
    assert_int_equal(c.rules.terms.half[HALF_SUMMER2].last, civil_from_ymd(2024, 7, 19));
    assert_true(c.display.fullscreen);
    assert_string_equal(c.display.font, "DejaVu Sans");
    assert_int_equal(c.sync.batch, 1000);
    assert_int_equal(c.sync.credit_year_first, civil_from_ymd(2023, 9, 1));
}

static void test_example_documents_the_defaults(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/deploy/kiosk.ini.example", CPD_SOURCE_DIR);
    struct config loaded, defaults;
    config_default(&loaded);
    config_default(&defaults);
    reports[0] = '\0';
    assert_int_equal(config_load(&loaded, path, capture, NULL), CONFIG_OK);
    assert_string_equal(reports, "");
    assert_string_equal(loaded.source, path);
    memset(loaded.source, 0, sizeof(loaded.source));
    assert_memory_equal(&loaded, &defaults, sizeof(loaded));
}

static void test_overrides_every_section(void **state)
{
    (void)state;
    char path[512];
    struct config c;
    assert_int_equal(load(&c,
                          "# comment\n[kiosk]\nid = hall-2\nsite = \"Main Hall\"\ntimezone = UTC\n"
                          "database = /srv/k.db\n[reader]\ndriver = keyboard\n"
                          "keyboard_format = decimal\nkeyboard_byte_order = lsb-first\n"
                          "accept_random_uids = yes\npoll_ms = 100\n[rules]\n"
                          "late_after_min = 5\ntarget_credits = 17.5\n[terms]\n"
                          "year_start = 2023-09-02\n"
                          "summer2_end = 2024-07-23\n[display]\nfullscreen = off\n"
                          "sound = 0\nresult_seconds = 8\n[sync]\n"
                          "conninfo = host=ledger dbname=cpd sslmode=verify-full\nbatch = 500\n",
                          path, sizeof(path)),
                     CONFIG_OK);
    assert_string_equal(reports, "");
    assert_string_equal(c.kiosk.id, "hall-2");
    assert_string_equal(c.kiosk.site, "Main Hall");
    assert_int_equal(c.reader.driver, READER_DRIVER_KEYBOARD);
    assert_int_equal(c.reader.keyboard_format, UID_TEXT_DECIMAL);
    assert_int_equal(c.reader.keyboard_byte_order, UID_ORDER_LSB_FIRST);
    assert_true(c.rules.accept_random_uids);
    assert_int_equal(c.reader.poll_ms, 100);
    assert_int_equal(c.rules.late_after_min, 5);
    assert_int_equal(c.rules.target_quarters, 70);
    assert_int_equal(c.rules.terms.half[HALF_SUMMER2].last, civil_from_ymd(2024, 7, 23));
    /* The sync's retention purge learns where each credit year begins. */
    assert_int_equal(c.sync.credit_year_first, civil_from_ymd(2023, 9, 2));
    assert_false(c.display.fullscreen);
    assert_false(c.display.sound);
    assert_int_equal(c.display.result_seconds, 8);
    assert_string_equal(c.sync.conninfo, "host=ledger dbname=cpd sslmode=verify-full");
    assert_int_equal(c.sync.batch, 500);
}

static void test_every_bad_value_class_is_named_by_line(void **state)
{
    (void)state;
    char path[512];
    struct config c;
    const char *text = "[kiosk]\n"                            /* 1 */
                       "id = central 1\n"                     /* 2 */
                       "timezone = Mars/Olympus\n"            /* 3 */
                       "[rules]\n"                            /* 4 */
                       "late_after_min = ten\n"               /* 5 */
                       "early_before_min = 500\n"             /* 6 */
                       "target_credits = 16.3\n"              /* 7 */
                       "colour = blue\n"                      /* 8 */
                       "late_after_min = 5\n"                 /* 9 */
                       "[reader]\n"                           /* 10 */
                       "driver = bluetooth\n"                 /* 11 */
                       "accept_random_uids = perhaps\n"       /* 12 */
                       "poll_ms = 50ms\n"                     /* 13 */
                       "[terms]\n"                            /* 14 */
                       "autumn1_start = 2023-02-30\n"         /* 15 */
                       "autumn2_start = 4th Sept\n"           /* 16 */
                       "[sounds]\n"                           /* 17 */
                       "volume = 11\n"                        /* 18 */
                       "[sync]\n"                             /* 19 */
                       "conninfo = host=x password=hunter2\n" /* 20 */
                       "sslmode = verify-all\n"               /* 21 */
                       "channel_binding = maybe\n"            /* 22 */
                       "this line has no equals sign\n";      /* 23 */
    assert_int_equal(load(&c, text, path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 2,
                  "[kiosk] id: expected 1–40 characters A-Z a-z 0-9 _ -, got "
                  "\"central 1\"");
    assert_report(path, 3,
                  "[kiosk] timezone: expected a time zone name from "
                  "/usr/share/zoneinfo, e.g. Europe/London, got \"Mars/Olympus\"");
    assert_report(path, 5, "[rules] late_after_min: expected 0–120 minutes, got \"ten\"");
    assert_report(path, 6, "[rules] early_before_min: expected 0–120 minutes, got \"500\"");
    assert_report(path, 7,
                  "[rules] target_credits: expected 0–100 credits in steps of 0.25, "
                  "got \"16.3\"");
    assert_report(path, 8, "[rules] colour: unknown key");
    assert_report(path, 9, "[rules] late_after_min: set twice (first on line 5)");
    assert_report(path, 11,
                  "[reader] driver: expected libnfc, keyboard or sim, got "
                  "\"bluetooth\"");
    assert_report(path, 12,
                  "[reader] accept_random_uids: expected true or false (yes/no, "
                  "on/off, 1/0), got \"perhaps\"");
    assert_report(path, 13, "[reader] poll_ms: expected 10–1000 milliseconds, got \"50ms\"");
    assert_report(path, 15,
                  "[terms] autumn1_start: expected a real date YYYY-MM-DD, got "
                  "\"2023-02-30\"");
    assert_report(path, 16,
                  "[terms] autumn2_start: expected a real date YYYY-MM-DD, got "
                  "\"4th Sept\"");
    assert_report(path, 17,
                  "[sounds]: unknown section (expected kiosk, reader, rules, terms, "
                  "display or sync)");
    assert_report(path, 20,
                  "[sync] conninfo: expected a libpq conninfo without a password (put "
                  "it in password_file), got a value with a password (not shown)");
    assert_report(path, 23,
                  "syntax error: expected \"key = value\" or \"[section]\", got "
                  "\"this line has no equals sign\"");
    assert_report(path, 21,
                  "[sync] sslmode: expected disable, allow, prefer, require, verify-ca or "
                  "verify-full, got \"verify-all\"");
    assert_report(path, 22,
                  "[sync] channel_binding: expected disable, prefer or require, got \"maybe\"");
    /* A password in a connection URI is refused too, and not shown. */
    struct config c2;
    char path2[512];
    assert_int_equal(load(&c2, "[sync]\nconninfo = postgresql://cpd_kiosk_x:hunter3@ledger/cpd\n",
                          path2, sizeof(path2)),
                     CONFIG_EINVALID);
    assert_non_null(strstr(reports, "got a value with a password (not shown)"));
    assert_null(strstr(reports, "hunter3"));
    assert_int_equal(
        load(&c2, "[sync]\nconninfo = postgresql://cpd_kiosk_x@ledger/cpd\n", path2, sizeof(path2)),
        CONFIG_OK);
    /* The printer goes to lp -d: an option or a path in its place is refused. */
    static const char *const printers[] = {"-h evil.example", "--help", "../etc", "a b", "q;rm"};
    for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++) {
        char ini[128];
        snprintf(ini, sizeof(ini), "[kiosk]\nprinter = %s\n", printers[i]);
        assert_int_equal(load(&c2, ini, path2, sizeof(path2)), CONFIG_EINVALID);
        assert_non_null(strstr(reports, "[kiosk] printer: expected a CUPS printer name"));
    }
    assert_int_equal(load(&c2,
                          "[kiosk]\nprinter = Office_Laser-2\nfire_wardens = BIT0010, "
                          "BIT0011\n",
                          path2, sizeof(path2)),
                     CONFIG_OK);
    assert_string_equal(c2.kiosk.printer, "Office_Laser-2");
    assert_int_equal(load(&c2, "[kiosk]\nfire_wardens = BIT0010; BIT0011\n", path2, sizeof(path2)),
                     CONFIG_EINVALID);
    /* A misspelt libnfc driver is named, with the ones there are. */
    assert_int_equal(load(&c2,
                          "[reader]\ndriver = libnfc\nconnstring = pn352_uart:/dev/cpd-reader\n",
                          path2, sizeof(path2)),
                     CONFIG_EINVALID);
    assert_non_null(strstr(reports, ":3: [reader] connstring: unknown libnfc driver \"pn352_uart\" "
                                    "(expected pn532_uart,"));
    assert_int_equal(load(&c2,
                          "[reader]\ndriver = libnfc\nconnstring = pn532_uart:/dev/cpd-reader\n",
                          path2, sizeof(path2)),
                     CONFIG_OK);
    /* USB readers are found by libnfc: the driver alone, or with its bus and device. */
    static const char *const usb[] = {"pn53x_usb", "pn53x_usb:", "acr122_usb:001:002"};
    for (size_t i = 0; i < sizeof(usb) / sizeof(usb[0]); i++) {
        char ini[160];
        snprintf(ini, sizeof(ini), "[reader]\ndriver = libnfc\nconnstring = %s\n", usb[i]);
        assert_int_equal(load(&c2, ini, path2, sizeof(path2)), CONFIG_OK);
    }
    static const char *const refused[] = {"pn532_uart:",         "pn532_uart:tmp/reader",
                                          "pn532_uart:/dev/x:0", "pn532_uart:/dev/x:99999999999",
                                          "acr122_pcsc:x",       "pcsc:"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char ini[160];
        snprintf(ini, sizeof(ini), "[reader]\ndriver = libnfc\nconnstring = %s\n", refused[i]);
        assert_int_equal(load(&c2, ini, path2, sizeof(path2)), CONFIG_EINVALID);
    }
    assert_int_equal(load(&c, text, path, sizeof(path)), CONFIG_EINVALID);
    /* A secret is never echoed, in any report. */
    assert_null(strstr(reports, "hunter2"));
    assert_int_equal(n_reports, 17); /* volume under the unknown section is not repeated */
}

static void test_cross_key_rules(void **state)
{
    (void)state;
    char path[512];
    struct config c;
    assert_int_equal(load(&c,
                          "[terms]\n"
                          "autumn1_end = 2023-11-01\n" /* 2: overlaps autumn2 */
                          "spring1_start = 2024-03-01\n"
                          "spring1_end = 2024-02-01\n" /* 4: end before start */
                          "[reader]\n"
                          "connstring = pn532_uart:/dev/serial/by-id/usb:1-port0\n" /* 6 */
                          "[kiosk]\nsite =\n",                                      /* 8 */
                          path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_report(path, 2,
                  "[terms] autumn2_start: expected after autumn1_end (half-terms in "
                  "order, not overlapping)");
    assert_report(path, 4, "[terms] spring1_end: expected on or after spring1_start");
    assert_report(path, 6,
                  "[reader] connstring: expected \"driver:/device[:baud]\" (an absolute device "
                  "path without ':', a baud rate of 1200–1000000), got "
                  "\"pn532_uart:/dev/serial/by-id/usb:1-port0\"");
    assert_report(path, 8, "[kiosk] site: expected a value, got \"\"");
    assert_int_equal(load(&c, "[reader]\ndriver = sim\n", path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 2, "[reader] script: expected a script file or FIFO when driver = sim");
    assert_int_equal(
        load(&c, "[reader]\nconnstring = pn532_uart:/dev/ttyS0:115200\n", path, sizeof(path)),
        CONFIG_OK);
}

static void test_too_long_and_missing_files(void **state)
{
    (void)state;
    char path[512];
    struct config c;
    char text[400];
    snprintf(text, sizeof(text), "[kiosk]\nid = %0150d\n", 7);
    assert_int_equal(load(&c, text, path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 2, "[kiosk] id: expected at most 127 characters, got 150");
    reports[0] = '\0';
    config_default(&c);
    assert_int_equal(config_load(&c, "/nonexistent/kiosk.ini", capture, NULL), CONFIG_ENOENT);
    assert_non_null(strstr(reports, "/nonexistent/kiosk.ini: cannot open: No such file"));
}

/* Loads n bytes (NULs and all) as kiosk.ini. */
static int load_bytes(struct config *cfg, const char *bytes, size_t n, char *path, size_t cap)
{
    reports[0] = '\0';
    n_reports = 0;
    snprintf(path, cap, "%s/kiosk.ini", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
    config_default(cfg);
    return config_load(cfg, path, capture, NULL);
}

/* A comment longer than inih's 200-byte chunks: its tail must not become a live key, and the
 * lines after it keep their numbers. */
static void test_a_long_comment_stays_a_comment(void **state)
{
    (void)state;
    char path[512], text[2048], pad[400];
    struct config c, defaults;
    config_default(&defaults);
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(text, sizeof(text),
             "[kiosk]\n# %s database = /tmp/EVIL.db\n; %s id = evil\n"
             "[reader]\n# %s accept_random_uids = true\n",
             pad, pad, pad);
    assert_int_equal(load(&c, text, path, sizeof(path)), CONFIG_OK);
    assert_string_equal(c.kiosk.database, defaults.kiosk.database);
    assert_string_equal(c.kiosk.id, defaults.kiosk.id);
    assert_int_equal(c.rules.accept_random_uids, defaults.rules.accept_random_uids);
    /* Line numbers after long lines are the file's own. */
    snprintf(text, sizeof(text), "[kiosk]\n# %s\n# %s%s\n[rules]\nlate_after_min = ten\n", pad, pad,
             pad);
    assert_int_equal(load(&c, text, path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 5, "[rules] late_after_min: expected 0–120 minutes, got \"ten\"");
    assert_int_equal(n_reports, 1);
    /* A setting's line too long for inih is refused whole, never read in pieces. */
    snprintf(text, sizeof(text), "[kiosk]\nsite = %s database = /tmp/EVIL.db\nid = x\n", pad);
    assert_int_equal(load(&c, text, path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 2, "the line is 430 bytes long; a setting's line may have at most 198");
    assert_int_equal(n_reports, 1);
}

static void test_text_rules(void **state)
{
    (void)state;
    char path[512];
    struct config c;
    /* A UTF-8 BOM (Notepad's) and CRLF line ends are accepted. */
    assert_int_equal(load(&c, "\xEF\xBB\xBF[kiosk]\r\nid = bom-kiosk\r\nsite = Salle Été\r\n", path,
                          sizeof(path)),
                     CONFIG_OK);
    assert_string_equal(c.kiosk.id, "bom-kiosk");
    assert_string_equal(c.kiosk.site, "Salle Été");
    /* Old Mac (CR-only) line ends would make the whole file one comment: refused. */
    assert_int_equal(load(&c, "; kiosk.ini\r[kiosk]\rid = evil\r", path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_report(path, 1,
                  "a carriage return inside the line: save the file with Unix (LF) or "
                  "Windows (CRLF) line ends");
    /* A comment is text too: an escape in it could hide the line above from `cat`. */
    assert_int_equal(load(&c, "[kiosk]\nid = real\n; \x1b[1A\x1b[2K hidden\n", path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_report(path, 3, "a control character in the line: kiosk.ini must be plain text");
    assert_int_equal(load(&c, "[kiosk]\n# a comment \xE2\x80\xAE reversed\n", path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_report(path, 2, "a control character in the line: kiosk.ini must be plain text");
    /* A password percent-encoded in a URI is still a password in the file. */
    assert_int_equal(load(&c, "[sync]\nconninfo = postgresql://h/db?user=u&pass%77ord=secret\n",
                          path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_null(strstr(reports, "secret"));
    /* Notepad's "Unicode" (UTF-16): one message saying what to do, not one per line. */
    static const char utf16[] = "\xFF\xFE[\0k\0i\0o\0s\0k\0]\0\r\0\n\0i\0d\0 \0=\0 \0x\0";
    assert_int_equal(load_bytes(&c, utf16, sizeof(utf16) - 1, path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 1, "saved as UTF-16 (\"Unicode\"): save the file as UTF-8");
    assert_int_equal(n_reports, 1);
    /* An indented line is a setting of its own, not a continuation of the one before. */
    assert_int_equal(load(&c, "[kiosk]\nsite = Room 1\n   id = indented\n", path, sizeof(path)),
                     CONFIG_OK);
    assert_string_equal(c.kiosk.site, "Room 1");
    assert_string_equal(c.kiosk.id, "indented");
    /* '#' inside a value is the value's. */
    assert_int_equal(load(&c, "[kiosk]\nsite = Room #3\n", path, sizeof(path)), CONFIG_OK);
    assert_string_equal(c.kiosk.site, "Room #3");
    /* A NUL would cut the value: it is an error at its line, and nothing is loaded. */
    static const char nul[] = "[kiosk]\nid = ok\nsite = Room\0 1\n";
    assert_int_equal(load_bytes(&c, nul, sizeof(nul) - 1, path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 3, "a NUL byte in the line: kiosk.ini must be plain text");
    assert_int_equal(load(&c, "[kiosk]\nsite = Room\x1b[2J 1\n", path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_report(path, 2, "a control character in the line: kiosk.ini must be plain text");
    assert_int_equal(load(&c,
                          "[kiosk]\nsite = Room \xE2\x80\xAE"
                          "1\n",
                          path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_report(path, 2, "a control character in the line: kiosk.ini must be plain text");
    assert_int_equal(load(&c, "[kiosk]\n\nsite = Caf\xE9\n", path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 3, "not UTF-8 text (save the file as UTF-8)");
    /* Inline comments are refused, never cut silently. */
    assert_int_equal(load(&c, "[kiosk]\nsite = Room 1 ;x\n", path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 2,
                  "a ';' after a space would start a comment, and comments go on a line of their "
                  "own: move it, or remove the ';'");
    assert_int_equal(load(&c, "[kiosk] ; the main one\nid = x\n", path, sizeof(path)),
                     CONFIG_EINVALID);
    assert_report(path, 1,
                  "[kiosk]: text after the closing ] (a comment goes on a line of its own)");
    assert_int_equal(n_reports, 1);
    assert_int_equal(load(&c, "[kiosk\nid = x\n", path, sizeof(path)), CONFIG_EINVALID);
    assert_report(path, 1, "syntax error: a section needs its closing ], got \"[kiosk\"");
    assert_int_equal(n_reports, 1);
}

static void test_failed_load_leaves_config_unchanged(void **state)
{
    (void)state;
    char path[512];
    struct config before, c;
    config_default(&before);
    assert_int_equal(
        load(&c, "[kiosk]\nid = good-id\n[rules]\nlate_after_min = -1\n", path, sizeof(path)),
        CONFIG_EINVALID);
    assert_memory_equal(&c, &before, sizeof(c));
    assert_string_equal(cpd_strerror(CONFIG_EINVALID), "invalid configuration");
}

/* config_load of path in a child watched from here: it must end within 5 s and stay under
 * 256 MB resident (before, /dev/zero grew without end and a FIFO waited for ever). The child's
 * reports and result come back through a file. */
static int bounded_load(const char *path)
{
    char back[512];
    snprintf(back, sizeof(back), "%s/reports.out", dir);
    reports[0] = '\0';
    n_reports = 0;
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct config c;
        config_default(&c);
        int rc = config_load(&c, path, capture, NULL);
        FILE *f = fopen(back, "w");
        if (!f || fprintf(f, "%d %d\n%s", rc, n_reports, reports) < 0 || fclose(f) != 0)
            _exit(3);
        _exit(0);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    for (;;) {
        pid_t done = waitpid(child, &status, WNOHANG);
        assert_true(done >= 0);
        if (done == child)
            break;
        char statm[64];
        long pages = 0, resident = 0;
        snprintf(statm, sizeof(statm), "/proc/%d/statm", (int)child);
        FILE *f = fopen(statm, "r");
        if (f) {
            if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
                resident = 0;
            fclose(f);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        double secs = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        long mb = resident * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
        if (secs > 5 || mb > 256) {
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
            fail_msg("loading %s: still running after %.1f s with %ld MB resident", path, secs, mb);
        }
        struct timespec tick = {0, 10 * 1000000L};
        nanosleep(&tick, NULL);
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    FILE *f = fopen(back, "r");
    assert_non_null(f);
    int rc = 0;
    assert_int_equal(fscanf(f, "%d %d\n", &rc, &n_reports), 2);
    size_t n = fread(reports, 1, sizeof(reports) - 1, f);
    reports[n] = '\0';
    fclose(f);
    unlink(back);
    return rc;
}

/* The one report, exactly "PATH: rest". */
static void assert_only_report(const char *path, const char *rest)
{
    char want[1024];
    snprintf(want, sizeof(want), "%s: %s\n", path, rest);
    if (n_reports != 1 || strcmp(reports, want) != 0) {
        fprintf(stderr, "expected only \"%s\", got %d report(s):\n%s", want, n_reports, reports);
        fail();
    }
}

/* kiosk.ini must be a regular file: each other kind is one clear line naming it, at once. */
static void test_a_link_to_dev_zero_is_refused(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/zero.ini", dir);
    assert_int_equal(symlink("/dev/zero", path), 0);
    assert_int_equal(bounded_load(path), CONFIG_ENOTFILE);
    assert_only_report(path, "a character device (the symbolic link leads to /dev/zero), not a "
                             "regular file: kiosk.ini must be a plain text file");
    assert_string_equal(cpd_strerror(CONFIG_ENOTFILE), "the configuration is not a regular file");
}

static void test_a_link_to_dev_urandom_is_refused(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/urandom.ini", dir);
    assert_int_equal(symlink("/dev/urandom", path), 0);
    assert_int_equal(bounded_load(path), CONFIG_ENOTFILE);
    assert_only_report(path, "a character device (the symbolic link leads to /dev/urandom), not "
                             "a regular file: kiosk.ini must be a plain text file");
}

/* A FIFO nobody writes to: refused, not waited on. */
static void test_a_fifo_is_refused(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/fifo.ini", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(bounded_load(path), CONFIG_ENOTFILE);
    assert_only_report(
        path, "a FIFO (named pipe), not a regular file: kiosk.ini must be a plain text file");
}

static void test_a_directory_is_refused(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/dir.ini", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(bounded_load(path), CONFIG_ENOTFILE);
    assert_only_report(path,
                       "a directory, not a regular file: kiosk.ini must be a plain text file");
}

/* The null device is the one exception: it reads as an empty file (the defaults). */
static void test_dev_null_is_the_defaults(void **state)
{
    (void)state;
    char path[512];
    struct config c, defaults;
    config_default(&defaults);
    assert_int_equal(bounded_load("/dev/null"), CONFIG_OK);
    assert_int_equal(n_reports, 0);
    snprintf(path, sizeof(path), "%s/null.ini", dir);
    assert_int_equal(symlink("/dev/null", path), 0);
    config_default(&c);
    assert_int_equal(config_load(&c, path, capture, NULL), CONFIG_OK);
    snprintf(defaults.source, sizeof(defaults.source), "%s", path);
    assert_memory_equal(&c, &defaults, sizeof(c));
}

/* A symbolic link to a regular file is followed (configuration tools link files into /etc):
 * what counts is the file it leads to. */
static void test_a_link_to_a_regular_file_is_read(void **state)
{
    (void)state;
    char path[512], target[512];
    test_write_file(dir, "real.ini", "[kiosk]\nsite = Linked\n", target, sizeof(target));
    snprintf(path, sizeof(path), "%s/linked.ini", dir);
    assert_int_equal(symlink(target, path), 0);
    struct config c;
    config_default(&c);
    reports[0] = '\0';
    n_reports = 0;
    assert_int_equal(config_load(&c, path, capture, NULL), CONFIG_OK);
    assert_int_equal(n_reports, 0);
    assert_string_equal(c.kiosk.site, "Linked");
}

/* Larger than any kiosk.ini: one line with the size and the limit, the file not parsed. */
static void test_a_file_over_64_kib_is_refused(void **state)
{
    (void)state;
    char path[512];
    size_t size = CONFIG_FILE_MAX;
    char *text = malloc(size + 2);
    assert_non_null(text);
    /* Exactly the limit, all comment lines: loads. */
    memset(text, 'x', size);
    for (size_t i = 0; i < size; i += 64) {
        text[i] = '#';
        text[(i + 63 < size ? i + 63 : size - 1)] = '\n';
    }
    text[size] = '\0';
    test_write_file(dir, "big.ini", text, path, sizeof(path));
    assert_int_equal(bounded_load(path), CONFIG_OK);
    assert_int_equal(n_reports, 0);
    /* One byte more: refused. */
    text[size] = '\n';
    text[size + 1] = '\0';
    test_write_file(dir, "big.ini", text, path, sizeof(path));
    free(text);
    assert_int_equal(bounded_load(path), CONFIG_ETOOBIG);
    assert_only_report(path, "65537 bytes, more than kiosk.ini may have (64 KiB): is it the "
                             "right file?");
    assert_string_equal(cpd_strerror(CONFIG_ETOOBIG), "the configuration file is too large");
}

/* A file of nothing but errors: the first 30 listed, then one line counting the rest. */
static void test_errors_stop_after_thirty_and_say_how_many_more(void **state)
{
    (void)state;
    char path[512];
    size_t cap = 16 * 1024;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, cap, "[kiosk]\n");
    for (int i = 0; i < 1000; i++)
        used += (size_t)snprintf(text + used, cap - used, "volume 11\n");
    test_write_file(dir, "bad.ini", text, path, sizeof(path));
    free(text);
    assert_int_equal(bounded_load(path), CONFIG_EINVALID);
    assert_int_equal(n_reports, CONFIG_REPORT_MAX + 1);
    assert_report(path, 2,
                  "syntax error: expected \"key = value\" or \"[section]\", got \"volume 11\"");
    assert_report(path, 31,
                  "syntax error: expected \"key = value\" or \"[section]\", got \"volume 11\"");
    char line32[600];
    snprintf(line32, sizeof(line32), "%s:32:", path);
    assert_null(strstr(reports, line32));
    char last[600];
    snprintf(last, sizeof(last), "%s: 970 more problems not shown (the first 30 are above)\n",
             path);
    assert_non_null(strstr(reports, last));
    assert_string_equal(reports + strlen(reports) - strlen(last), last);
    /* Exactly 30: no count line. */
    text = malloc(cap);
    assert_non_null(text);
    used = (size_t)snprintf(text, cap, "[kiosk]\n");
    for (int i = 0; i < CONFIG_REPORT_MAX; i++)
        used += (size_t)snprintf(text + used, cap - used, "volume 11\n");
    test_write_file(dir, "bad.ini", text, path, sizeof(path));
    free(text);
    assert_int_equal(bounded_load(path), CONFIG_EINVALID);
    assert_int_equal(n_reports, CONFIG_REPORT_MAX);
    assert_null(strstr(reports, "not shown"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_example_documents_the_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides_every_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_bad_value_class_is_named_by_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cross_key_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_long_and_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_load_leaves_config_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_long_comment_stays_a_comment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_link_to_dev_zero_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_link_to_dev_urandom_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_fifo_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_directory_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_link_to_a_regular_file_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dev_null_is_the_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_file_over_64_kib_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_stop_after_thirty_and_say_how_many_more, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
