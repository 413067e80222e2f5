/* cpd-admin as its users run it: exit codes 0/1/2, one-line errors, and the commands working
 * together on a real database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core/base/civil.h"
#include "core/base/clock.h"
#include "core/domain/payload.h"
#include "tests/support/testutil.h"

static char dir[256];
static char output[65536];

/* Runs cpd-admin with CPD_KIOSK_DB in the test directory, and env (e.g. "VAR=1", or "") in its
 * environment; output holds stdout + stderr. */
static int admin_with(const char *env, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s CPD_KIOSK_DB='%s/kiosk.db' '%s/cpd-admin' %s 2>&1",
             CPD_SOURCE_DIR, env, dir, CPD_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(output, 1, sizeof(output) - 1, p);
    output[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int admin(const char *args)
{
    return admin_with("", args);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define assert_output_has(text)                                                                    \
    do {                                                                                           \
        if (!strstr(output, (text)))                                                               \
            fail_msg("expected \"%s\" in:\n%s", (text), output);                                   \
    } while (0)

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

/* verify and events only look: they work on a store nobody may write (a read-only file in a
 * read-only directory, run as nobody when the tests run as root), and tap says why it cannot. */
static void test_verify_and_events_on_a_read_only_store(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 15:20'"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 17:20'"), 0);
    sh("chmod 0444 '%s/kiosk.db' && chmod 0555 '%s'", dir, dir);
    const char *as =
        geteuid() == 0 ? "setpriv --reuid=nobody --regid=nogroup --clear-groups env" : "env";
    if (geteuid() == 0) { /* receipts it may not read: said, not compared, not a pass */
        assert_int_equal(admin_with(as, "verify"), 1);
        assert_output_has("2 events: hash chain and signatures verified");
        assert_output_has("kiosk.db-receipts: Permission denied — not compared");
    }
    sh("chmod 0444 '%s/kiosk.db-receipts'", dir);
    assert_int_equal(admin_with(as, "verify"), 0);
    assert_output_has("2 events: hash chain and signatures verified");
    assert_output_has("receipts: 2 acknowledged, none missing");
    assert_int_equal(admin_with(as, "events"), 0);
    assert_output_has("sign_in         BIT0001");
    assert_output_has("sign_out        BIT0001");
    assert_int_equal(admin_with(as, "tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 17:30'"), 1);
    assert_output_has("cannot write the database (permissions or read-only)");
    sh("chmod 0700 '%s' && chmod 0600 '%s/kiosk.db'", dir, dir);
    assert_int_equal(admin("verify"), 0);
    assert_output_has("2 events: hash chain and signatures verified");
}

/* Salvage through the real command: a store with a page of garbage in the middle of its events
 * (moved aside with its receipts, as docs/recovery.md says) — every event is accounted for:
 * joined, named as unreadable, or in the rest file; nothing dropped unsaid, and "everything"
 * only for a whole copy. The damage matrix itself is tests/core/services/test_salvage.c. */
static void test_salvage_a_damaged_store(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    for (int i = 0; i < 34; i++) {
        char args[160];
        snprintf(args, sizeof(args),
                 "tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-%02d %02d:%02d'", 20 + i / 11,
                 15 + i % 11 / 4, 10 + i % 4 * 12);
        assert_int_equal(admin(args), 0);
    }
    /* The second of the events table's leaf pages, overwritten with (seeded) garbage. */
    sh("cd '%s' && cp kiosk.db damaged.db && cp kiosk.db-receipts damaged.db-receipts && "
       "cp kiosk.db whole.db && cp kiosk.db-receipts whole.db-receipts && "
       "page=$(sqlite3 kiosk.db \"SELECT pageno FROM dbstat WHERE name = 'events' AND "
       "pagetype = 'leaf' ORDER BY path LIMIT 1 OFFSET 1\") && test -n \"$page\" && "
       "head -c 4096 /dev/zero | openssl enc -aes-128-ctr -K 00 -iv 00 -nosalt 2>/dev/null | "
       "dd of=damaged.db bs=4096 seek=$((page - 1)) conv=notrunc 2>/dev/null && "
       "mkdir -m 700 new other && cp kiosk.key site.key new/",
       dir);
    char args[1024];
    snprintf(args, sizeof(args), "--database '%s/damaged.db' verify", dir);
    assert_int_equal(admin(args), 1);
    snprintf(args, sizeof(args), "--database '%s/new/kiosk.db' kiosk init", dir);
    assert_int_equal(admin(args), 0);
    snprintf(args, sizeof(args), "--database '%s/new/kiosk.db' salvage '%s/damaged.db'", dir, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("damaged.db: held events 1–34 (the high-water mark: 34");
    assert_output_has("the tap receipts: 34");
    long total = 0, added = 0, present = -1, rest = 0, unreadable = 0;
    const char *p = strstr(output, " accounted for: ");
    assert_non_null(p);
    while (p > output && p[-1] != '\n')
        p--;
    assert_int_equal(sscanf(p, "%ld accounted for: %ld added to %*s %ld were already there", &total,
                            &added, &present),
                     3);
    const char *part = strstr(p, "read but could not join the chain");
    if (part) {
        while (part[-1] != ' ' || part[-2] < '0' || part[-2] > '9')
            part--;
        while (part[-1] != ',')
            part--;
        rest = atol(part);
    }
    part = strstr(p, " could not be read\n");
    assert_non_null(part);
    while (part[-1] >= '0' && part[-1] <= '9')
        part--;
    unreadable = atol(part);
    assert_int_equal(total, 34);
    assert_true(added > 0 && unreadable > 0 && present == 0);
    assert_int_equal(added + rest + unreadable, 34);
    assert_null(strstr(output, "every event of the damaged store is now in this one"));
    /* Every seq not added has a row of the rest file: its number at least. */
    char rest_path[600];
    snprintf(rest_path, sizeof(rest_path), "%s/damaged.db.rest.csv", dir);
    FILE *f = fopen(rest_path, "r");
    assert_non_null(f);
    char line[1024];
    bool listed[35] = {false};
    while (fgets(line, sizeof(line), f)) {
        long seq = 0, n = 0;
        if (sscanf(line, "\"%ld\"", &seq) != 1 || seq < 1 || seq > 34)
            continue;
        listed[seq] = true;
        const char *range = strstr(line, "could not be read: the ");
        if (range && sscanf(range, "could not be read: the %ld events", &n) == 1)
            for (long s = seq; s < seq + n && s <= 34; s++)
                listed[s] = true;
    }
    fclose(f);
    for (long s = added + 1; s <= 34; s++)
        assert_true(listed[s]);
    struct stat st;
    assert_int_equal(stat(rest_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(args, sizeof(args), "--database '%s/new/kiosk.db' verify", dir);
    assert_int_equal(admin(args), 0);
    char want[96];
    snprintf(want, sizeof(want), "%ld events: hash chain and signatures verified", added);
    assert_output_has(want);
    /* The evidence is only read: nothing was made or changed beside it. */
    sh("cd '%s' && test ! -e damaged.db-wal && test ! -e damaged.db-shm", dir);
    /* Again: the rest file is never overwritten. */
    snprintf(args, sizeof(args), "--database '%s/new/kiosk.db' salvage '%s/damaged.db'", dir, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("already exists: move it away, or name another file with --rest");
    /* An undamaged copy: everything joins, what the first run added is found there. */
    snprintf(args, sizeof(args), "--database '%s/new/kiosk.db' salvage '%s/whole.db'", dir, dir);
    assert_int_equal(admin(args), 0);
    snprintf(want, sizeof(want), "34 accounted for: %ld added to ", 34 - added);
    assert_output_has(want);
    snprintf(want, sizeof(want), "%ld were already there", added);
    assert_output_has(want);
    assert_output_has("every event of the damaged store is now in this one");
    snprintf(args, sizeof(args), "--database '%s/new/kiosk.db' verify", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("34 events: hash chain and signatures verified");
    /* A file that is no database, one cut after its second page (only the meta page: the
     * high-water mark says 34, nothing else is left), and one whose last row's number jumped
     * far away (put back by its hash): each ends, says what it found, bounded. */
    sh("cd '%s' && printf 'hello, not a database' > text.db && head -c 8192 kiosk.db > cut.db && "
       "cp whole.db jump.db && cp whole.db-receipts jump.db-receipts && sqlite3 jump.db \"DROP "
       "TRIGGER IF EXISTS events_no_update; "
       "UPDATE events SET seq = 4611686018427387904 WHERE seq = 34\" 2>/dev/null; true",
       dir);
    sh("cd '%s' && mkdir -m 700 new2 && cp kiosk.key site.key new2/", dir);
    snprintf(args, sizeof(args), "--database '%s/new2/kiosk.db' kiosk init", dir);
    assert_int_equal(admin(args), 0);
    static const char *const broken[] = {"text.db", "cut.db", "jump.db"};
    static const int exits[] = {1, 1, 0};
    static const char *const says[] = {
        "text.db: not a database: nothing in it could be read",
        "34 accounted for: 0 added to ",
        "1 event was found under a damaged row number, put back by its hash",
    };
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof(args),
                 "--database '%s/new2/kiosk.db' salvage '%s/%s' --rest '%s/%s.csv'", dir, dir,
                 broken[i], dir, broken[i]);
        assert_int_equal(admin(args), exits[i]);
        assert_output_has(says[i]);
        snprintf(rest_path, sizeof(rest_path), "%s/%s.csv", dir, broken[i]);
        if (stat(rest_path, &st) == 0)
            assert_true(st.st_size < 100000);
    }
    /* Another kiosk's key: refused before anything is done. */
    snprintf(args, sizeof(args), "--database '%s/other/kiosk.db' kiosk init", dir);
    assert_int_equal(admin(args), 0);
    snprintf(args, sizeof(args),
             "--database '%s/other/kiosk.db' salvage '%s/whole.db' --rest '%s/other/rest.csv'", dir,
             dir, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("event 1 does not verify with the key in ");
    assert_output_has("nothing was copied");
    snprintf(rest_path, sizeof(rest_path), "%s/other/rest.csv", dir);
    assert_int_not_equal(stat(rest_path, &st), 0);
}

/* Acknowledged taps the database no longer holds — an older copy put back, or its WAL lost
 * while the kiosk held it open — are named with their seqs by verify, doctor and the next tap,
 * from the receipts kept beside the file; nothing is signed over them. */
static void test_lost_acknowledged_taps_are_named(void **state)
{
    (void)state;
    char args[1200], ini[512], script[512], text[1024];
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 15:20'"), 0);
    sh("cd '%s' && cp kiosk.db old.db", dir);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 17:20'"), 0);
    assert_int_equal(admin("tap --badge C2:7F:3A:E5 --at '2023-11-27 17:21'"), 0);
    sh("cd '%s' && cp old.db kiosk.db", dir);
    assert_int_equal(admin("verify"), 1);
    assert_output_has("1 event: hash chain and signatures verified");
    assert_output_has("2 acknowledged events are missing from the database: seq 2–3");
    assert_int_equal(admin("tap --badge C2:7F:3A:E5 --at '2023-11-27 17:30'"), 1);
    assert_output_has("acknowledged events are missing from the database: seq 2–3, listed in its "
                      "receipts");
    test_write_file(dir, "reader.script", "sleep 5000\n", script, sizeof(script));
    snprintf(text, sizeof(text), "[reader]\ndriver = sim\nscript = %s\n", script);
    test_write_file(dir, "doctor.ini", text, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    assert_int_equal(admin(args), 2);
    assert_output_has("acknowledged events are missing from the database: seq 2–3");
    /* The same with the database moved away from its keys, as recovery.md has it: the
     * receipts are read without the key. */
    sh("cd '%s' && mkdir -m 700 nokey && cp kiosk.db kiosk.db-receipts nokey/", dir);
    snprintf(args, sizeof(args), "--config '%s' --database '%s/nokey/kiosk.db' doctor", ini, dir);
    assert_int_equal(admin(args), 2);
    assert_output_has("events 2–3 were acknowledged");
    /* The receipts gone too: nothing can show what was acknowledged, and that is said. */
    sh("cd '%s' && mv kiosk.db-receipts receipts.aside", dir);
    assert_int_equal(admin("verify"), 1);
    assert_output_has("its receipts are missing");
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    assert_int_equal(admin(args), 2);
    assert_output_has("kiosk.db-receipts) are missing");
    sh("cd '%s' && mv receipts.aside kiosk.db-receipts", dir);
    /* A fresh database where the old one's receipts were left behind: init says so. */
    sh("cd '%s' && mkdir -m 700 fresh && cp kiosk.key site.key kiosk.db-receipts fresh/", dir);
    snprintf(args, sizeof(args), "--database '%s/fresh/kiosk.db' kiosk init", dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("kiosk.db-receipts beside it lists acknowledged events 1–3 that this "
                      "database does not hold");

    /* The WAL: taps committed while another connection holds the store open stay in it. */
    sh("cd '%s' && mkdir -m 700 w && cp kiosk.key site.key w/", dir);
    snprintf(args, sizeof(args), "--database '%s/w/kiosk.db' kiosk init", dir);
    assert_int_equal(admin(args), 0);
    sh("cd '%s/w' && ( (echo 'SELECT count(*) FROM events;'; sleep 30) | sqlite3 kiosk.db "
       ">/dev/null & echo $! > holder.pid ) && sleep 0.3",
       dir);
    static const char *const badges[] = {"04:5A:2B:72:1C:6E:80", "C2:7F:3A:E5", "9b1f6c3d"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof(args),
                 "--database '%s/w/kiosk.db' tap --badge %s --at '2023-09-13 "
                 "15:2%d'",
                 dir, badges[i], i);
        assert_int_equal(admin(args), 0);
    }
    sh("cd '%s/w' && test -s kiosk.db-wal && mkdir -m 700 ev && cp kiosk.key site.key ev/ && "
       "cp kiosk.db kiosk.db-wal kiosk.db-receipts ev/ && kill $(cat holder.pid) && "
       "dd if=/dev/zero of=ev/kiosk.db-wal bs=1 count=$(stat -c %%s ev/kiosk.db-wal) "
       "conv=notrunc 2>/dev/null",
       dir);
    snprintf(args, sizeof(args), "--database '%s/w/ev/kiosk.db' verify", dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("3 acknowledged events are missing from the database: seq 1–3");
}

static void test_usage_and_help(void **state)
{
    (void)state;
    assert_int_equal(admin("--help"), 0);
    assert_output_has("usage: cpd-admin");
    assert_int_equal(admin(""), 2);
    assert_int_equal(admin("frobnicate"), 2);
    assert_output_has("cpd-admin: unknown command: frobnicate (see cpd-admin --help)\n");
    static const char *const commands[] = {"kiosk",   "import", "people", "badges", "tap",
                                           "credits", "events", "verify", "rebuild"};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char args[64];
        snprintf(args, sizeof(args), "%s --help", commands[i]);
        assert_int_equal(admin(args), 0);
        assert_output_has("usage: cpd-admin ");
    }
    assert_int_equal(admin("tap"), 2);
    assert_int_equal(admin("tap --badge zz:yy"), 2);
    assert_output_has("cpd-admin: --badge \"zz:yy\": not a hex or decimal UID");
    assert_int_equal(admin("import sausages x.csv"), 2);
    assert_output_has("cpd-admin: usage: cpd-admin import programme|roster|bookings|credits FILE");
    assert_int_equal(admin("events --from 0"), 2);
    assert_int_equal(admin("events --database x.db"), 2);
    /* Usage errors are one line. */
    assert_int_equal((int)(strchr(output, '\n') - output + 1), (int)strlen(output));
}

static void test_a_kiosk_from_init_to_verify(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_output_has("signing key: ");
    assert_output_has("(created)");
    assert_int_equal(admin("kiosk init"), 0); /* idempotent: keys kept */
    assert_output_has("(kept)");
    assert_int_equal(admin("import programme data/programme-2023-24.csv --dry-run"), 0);
    assert_output_has("dry run, nothing written");
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_output_has("data/programme-2023-24.csv:116: warning: printed weekday Wednesday but "
                      "2024-05-12 is a Sunday");
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("import bookings data/demo-bookings.csv"), 0);
    assert_int_equal(admin("import credits data/demo-credits.csv"), 0);
    assert_int_equal(admin("people"), 0);
    assert_output_has("Sarah Whitworth");
    assert_int_equal(admin("badges"), 0);
    assert_output_has("…6E80");
    assert_null(strstr(output, "045A2B721C6E80")); /* never the whole UID */

    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 15:20'"), 0);
    assert_output_has("Signed in  [ok, event 1]");
    assert_output_has("The role of the in class support, 15:45–17:15");
    assert_int_equal(admin("tap --badge 04D7E2A2B95C81 --at '2023-11-27 15:36'"), 0);
    assert_output_has("Which session are you here for?");
    assert_int_equal(admin("tap --badge 04D7E2A2B95C81 --at '2023-11-27 15:36:10' --session nope"),
                     1);
    assert_output_has("--session \"nope\": no such session");
    assert_int_equal(admin("tap --badge 08:A1:B2:C3 --at '2023-11-27 15:37'"), 0);
    assert_output_has("Please use your staff badge");
    assert_output_has("Phones and bank cards can't be used to sign in.");
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at 'yesterday'"), 2);

    assert_int_equal(admin("credits BIT0003 --at '2024-07-20 09:00'"), 0);
    assert_output_has("8 / 16 credits this year");
    assert_output_has("9 claimed, 8 counted");
    assert_int_equal(admin("credits NOBODY"), 1);
    assert_output_has("cpd-admin: no person with staff number \"NOBODY\"");
    /* Asked about 2025, the figures are 2023-24's, and the statement says so. */
    assert_int_equal(admin("credits BIT0003 --at '2025-03-01 09:00'"), 0);
    assert_output_has("as of 2025-03-01 09:00");
    assert_output_has("Credit year 2023-24 (2023-09-01 to 2024-08-31)");
    assert_output_has("NOTE: the date asked is outside this credit year");

    assert_int_equal(admin("trainer pin BIT0010 < /dev/null"), 1);
    assert_output_has("no PIN given on standard input");
    char pinfile[512], args[700];
    test_write_file(dir, "short.pin", "12\n", pinfile, sizeof(pinfile));
    snprintf(args, sizeof(args), "trainer pin BIT0010 < '%s'", pinfile);
    assert_int_equal(admin(args), 1);
    assert_output_has("a PIN is 4 to 6 digits");
    test_write_file(dir, "good.pin", "2468\n", pinfile, sizeof(pinfile));
    snprintf(args, sizeof(args), "trainer pin BIT0001 < '%s'", pinfile);
    assert_int_equal(admin(args), 1);
    assert_output_has("BIT0001 (Sarah Whitworth) is not an active trainer");
    snprintf(args, sizeof(args), "trainer pin BIT0010 < '%s'", pinfile);
    assert_int_equal(admin(args), 0);
    assert_output_has("PIN set for Rachel Greenhalgh (BIT0010)");
    assert_int_equal(admin("events"), 0);
    assert_output_has("random_uid");
    assert_int_equal(admin("verify"), 0);
    assert_output_has("3 events: hash chain and signatures verified");
    assert_int_equal(admin("rebuild"), 0);
    assert_output_has("attendance rebuilt from the events: 1 rows");

    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "sqlite3 '%s/kiosk.db' \"DROP TRIGGER events_no_update;"
             " UPDATE events SET payload = '{\\\"late\\\":false}' WHERE seq = 3;\"",
             dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(admin("verify"), 1);
    assert_output_has("cpd-admin: event 3: hash does not match the event's content");
}

static void test_bad_input_fails_cleanly(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    char path[512], args[600];
    test_write_file(dir, "bad.csv", "staff_no,session\nX,y\n", path, sizeof(path));
    snprintf(args, sizeof(args), "import bookings '%s'", path);
    assert_int_equal(admin(args), 1);
    assert_output_has("bad.csv:2: error: staff_no: unknown person \"X\"");
    assert_output_has("nothing imported");
    /* Names reach terminals, spreadsheets and paper: no control character, no invalid UTF-8,
     * no bidirectional override gets in — the line and the column are named. */
    static const char *const hostile[] = {"Eve \x1b]0;pwned\x07",    "Bad \xff byte",
                                          "Line\u2028\x0abreak",     "Mallory \xe2\x80\xae",
                                          "Over\xc0\xaflong",        "Surrogate \xed\xa0\x80",
                                          "Beyond \xf4\x90\x80\x80", "Mark \xe2\x80\x8f"};
    for (int i = 0; i < 8; i++) {
        char roster[256];
        snprintf(roster, sizeof(roster),
                 "staff_no,name,academy,role,active,badge_uid\nBIT9000,\"%s\",Kingsway,staff,"
                 "yes,\n",
                 hostile[i]);
        test_write_file(dir, "hostile.csv", roster, path, sizeof(path));
        snprintf(args, sizeof(args), "import roster '%s'", path);
        assert_int_equal(admin(args), 1);
        assert_output_has("hostile.csv:2: error: column 2 (name): not plain text");
        assert_output_has("nothing imported");
    }
    /* A NUL would cut the name short without a word: it is refused like any control. */
    sh("printf 'staff_no,name,academy,role,active,badge_uid\\nBIT9000,Nul\\000x Brown,Kingsway,"
       "staff,yes,\\n' > nul.csv");
    snprintf(args, sizeof(args), "import roster '%s/nul.csv'", dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("nul.csv:2: error: column 2 (name): not plain text");
    assert_int_equal(admin("import credits /nonexistent.csv"), 1);
    assert_output_has("/nonexistent.csv: error: cannot open: No such file or directory");
    test_write_file(dir, "kiosk.ini", "[kiosk]\nid = other-kiosk\n", path, sizeof(path));
    snprintf(args, sizeof(args), "--config '%s' people", path);
    assert_int_equal(admin(args), 1);
    assert_output_has("belongs to kiosk \"central-1\" but the configuration says "
                      "\"other-kiosk\"");
    /* A path that does not fit is refused, never cut to name another file. */
    char longdb[700] = "";
    snprintf(longdb, sizeof(longdb), "--database '%s/", dir);
    while (strlen(longdb) < 600)
        strcat(longdb, "d");
    strcat(longdb, "/kiosk.db' kiosk init");
    assert_int_equal(admin(longdb), 1);
    assert_output_has("the database path is longer than");
}

/* Runs a shell command in the test directory; it must succeed. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[2048], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s", dir, line);
    if (system(cmd) != 0)
        fail_msg("failed: %s", line);
}

static bool exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

#define TAP "tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 15:20'"

/* A lost key is restored, never replaced: following the tool's own advice must never leave
 * the history unverifiable or the badges unrecognised, and no other key signs. */
static void test_lost_keys_are_restored_never_replaced(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin(TAP), 0);
    sh("cp kiosk.key kiosk.key.bak && cp site.key site.key.bak");

    /* The signing key lost: init refuses to make a new one, and says what to do. */
    sh("rm kiosk.key");
    assert_int_equal(admin("kiosk init"), 1);
    assert_output_has("kiosk.key is missing, but this database holds 1 signed event");
    assert_output_has("Restore the key file from backup");
    assert_false(exists("kiosk.key"));
    sh("cp kiosk.key.bak kiosk.key");
    assert_int_equal(admin("verify"), 0);

    /* Another kiosk's key in its place: refused before anything is signed. */
    sh("mkdir other && CPD_KIOSK_DB=\"$PWD/other/k.db\" '%s/cpd-admin' kiosk init >/dev/null && "
       "cp other/kiosk.key kiosk.key",
       CPD_BINARY_DIR);
    assert_int_equal(admin(TAP), 1);
    assert_output_has("not the key this kiosk's records were made with");
    assert_output_has("nothing was signed");
    /* … even with the record of the key removed: the events themselves say whose they are. */
    sh("sqlite3 kiosk.db \"DELETE FROM meta WHERE key = 'public_key'\"");
    assert_int_equal(admin(TAP), 1);
    assert_output_has("the events are not signed with this key");
    sh("cp kiosk.key.bak kiosk.key");
    assert_int_equal(admin("verify"), 0);
    assert_output_has("1 event: hash chain and signatures verified"); /* nothing signed */

    assert_int_equal(admin(TAP), 0); /* its own key: signs again (and is on record again) */

    /* An edited newest event: nothing is signed on top of it. */
    sh("sqlite3 kiosk.db \"DROP TRIGGER events_no_update;"
       " UPDATE events SET wall_us = wall_us + 1 WHERE seq = 2;\"");
    assert_int_equal(admin(TAP), 1);
    assert_output_has("the newest events do not verify");
    assert_output_has("event 2 does not verify");
    sh("sqlite3 kiosk.db \"UPDATE events SET wall_us = wall_us - 1 WHERE seq = 2;\"");
    assert_int_equal(admin(TAP), 0);
    /* The newest event deleted: the next seq would be reused over it. */
    sh("sqlite3 kiosk.db \"DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = 3;\"");
    assert_int_equal(admin(TAP), 1);
    assert_output_has("events after seq 2 are missing");
    /* The high-water mark put back too: the receipts outside the file still say 3 was
     * acknowledged, so nothing is signed over it; only with them gone as well does it sign. */
    sh("sqlite3 kiosk.db \"UPDATE meta SET value = '2' WHERE key = 'events_high_water';\"");
    assert_int_equal(admin(TAP), 1);
    assert_output_has(
        "acknowledged events are missing from the database: seq 3, listed in its receipts");
    sh("mv kiosk.db-receipts kiosk.db-receipts.bak");
    assert_int_equal(admin(TAP), 0);

    /* The site key lost: badges were enrolled with it. */
    sh("rm site.key");
    assert_int_equal(admin("kiosk init"), 1);
    assert_output_has("site.key is missing, but 12 badges here were enrolled with it");
    assert_false(exists("site.key"));
    /* Never on the command line (ps shows it to every user). */
    assert_int_equal(admin("kiosk init --site-key "
                           "00000000000000000000000000000000000000000000000000000000000000aa"),
                     2);
    assert_output_has("a key on the command line is seen by every user of this machine");
    assert_false(exists("site.key"));
    sh("printf '%%s\\n' 00000000000000000000000000000000000000000000000000000000000000aa"
       " > wrong.key");
    char args[600];
    snprintf(args, sizeof(args), "kiosk init --site-key-file '%s/wrong.key'", dir);
    sh("chmod 0644 wrong.key");
    assert_int_equal(admin(args), 1);
    assert_output_has("not the site key this database's 12 badges were enrolled with");
    assert_output_has("wrong.key can be read by other users of this machine");
    sh("printf 'not a key\\n' > bad.key");
    snprintf(args, sizeof(args), "kiosk init --site-key-file '%s/bad.key'", dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("bad.key: expected the site key, 64 hex digits on one line");
    assert_false(exists("site.key"));
    sh("cp other/site.key site.key");
    assert_int_equal(admin(TAP), 1);
    assert_output_has("enrolled with another site key");
    sh("rm site.key && '%s/cpd-admin' --database kiosk.db kiosk init --site-key-file -"
       " < site.key.bak >/dev/null",
       CPD_BINARY_DIR);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 17:20'"), 0);
    assert_output_has("Sarah");
    assert_int_equal(admin("verify"), 0);
}

/* The office puts records right with cpd-admin correct: each an event with who and why, shown
 * in the statement, the same after rebuild; nonsense is refused with a reason and nothing is
 * written. */
static void test_corrections_from_the_office(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("import bookings data/demo-bookings.csv"), 0);
    assert_int_equal(admin(TAP), 0); /* Sarah in at 15:20, never out */
    assert_int_equal(admin("tap --badge 3F:22:91:0C --at '2023-11-27 15:36'"), 0); /* Daniel */
#define BY " --by 'J Smith (office)' --reason 'paper register, 27 Nov'"
    assert_int_equal(
        admin("correct sign-out BIT0001 au2-in-class-support --at '2023-11-27 17:15'" BY), 0);
    assert_output_has("sign-out Sarah Whitworth at au2-in-class-support: corrected by J Smith");
    /* Her sign-out is now a fact: a second "missed" one would turn it into something else. */
    assert_int_equal(
        admin("correct sign-out BIT0001 au2-in-class-support --at '2023-11-27 17:10'" BY), 1);
    assert_output_has("already signed out: approve it if the session counts in full");
    assert_int_equal(admin("correct void BIT0002 au2-school-evaluation" BY), 0);
    assert_int_equal(admin("correct sign-in BIT0008 au2-in-class-support --at '2023-11-27 15:45'"
                           " --out '2023-11-27 17:15'" BY),
                     0);
    assert_int_equal(admin("correct credits BIT0008 au2-in-class-support --credits 1" BY), 0);
    assert_int_equal(admin("correct approve BIT0008 au2-in-class-support" BY), 0);

    /* Refused, each with its reason, and nothing written. */
    assert_int_equal(admin("verify"), 0);
    assert_output_has("8 events: hash chain and signatures verified");
    assert_int_equal(admin("correct credits BIT0008 au2-in-class-support --credits 5" BY), 1);
    assert_output_has("more credits than the programme prints");
    assert_int_equal(admin("correct void BIT0008 au2-in-class-support --by 'J Smith'"), 1);
    assert_output_has("needs its reason");
    assert_int_equal(admin("correct void BIT0008 au2-in-class-support --reason x"), 1);
    assert_output_has("say who corrects it");
    assert_int_equal(
        admin("correct sign-in BIT0007 au2-in-class-support --at '2023-11-27 09:00'" BY), 1);
    assert_output_has("not within the session's sign-in and checkout windows");
    assert_int_equal(
        admin("correct sign-in BIT0001 au2-in-class-support --at '2023-11-27 15:45'" BY), 1);
    assert_output_has("already signed in");
    assert_int_equal(admin("correct approve BIT0007 au2-in-class-support" BY), 1);
    assert_output_has("no attendance of this person");
    assert_int_equal(admin("correct credits BIT0004 cpi-autumn-1 --credits 3" BY), 1);
    assert_output_has("approve it instead");
    assert_int_equal(admin("correct void BIT0008 au2-in-class-support --by x --reason $'a\nb'"), 1);
    assert_output_has("one line");
    assert_int_equal(
        admin("correct sign-in BIT0008 sp1-grievance-disciplinary --at '2024-02-01 15:40'" BY), 1);
    assert_output_has("not a session the kiosk records");
    assert_int_equal(admin("correct frobnicate BIT0008 au2-in-class-support" BY), 2);
    assert_int_equal(admin("correct sign-in BIT0008 au2-school-evaluation --at '2023-11-27 16:00'"
                           " --out '2023-11-27 17:00'" BY),
                     1);
    assert_output_has("at another session then");
    assert_int_equal(admin("correct credits BIT0002 hub-exams-2023-09-12 --credits 1" BY), 1);
    assert_output_has("directed time");
    assert_int_equal(admin("correct void BIT0008 au2-in-class-support --by x --reason '   '"), 1);
    assert_output_has("one line of plain text");
    assert_int_equal(
        admin("correct void BIT0008 au2-in-class-support --by x --reason $'ok \u202e gnorw'"), 1);
    assert_output_has("one line of plain text");
    assert_int_equal(admin("verify"), 0);
    assert_output_has("8 events: hash chain and signatures verified");

    /* The statements show them: who, why, and what counts. */
    assert_int_equal(admin("credits BIT0002 --at '2024-07-20 09:00'"), 0);
    assert_output_has("voided by a correction");
    assert_output_has("void_attendance");
    assert_output_has("by J Smith (office): paper register, 27 Nov");
    assert_int_equal(admin("credits BIT0008 --at '2024-07-20 09:00'"), 0);
    assert_output_has("1 / 16 credits this year");
    assert_output_has("manual_sign_in");
    char before[sizeof(output)];
    assert_int_equal(admin("credits BIT0001 --at '2024-07-20 09:00'"), 0);
    assert_output_has("1.5 / 16 credits this year");
    memcpy(before, output, sizeof(output));
    /* Sarah's badge is lost: refused from now on, also after a rebuild and a roster re-import
     * (the roster still lists it: the revocation is an event, not a roster row). */
    assert_int_equal(admin("correct badge BIT0001 6E80 --by 'J Smith (office)' --reason 'lost'"),
                     0);
    assert_int_equal(admin("correct badge BIT0001 6E80 --by x --reason again"), 1);
    assert_output_has("already revoked");
    assert_int_equal(admin("correct badge BIT0001 ffff --by x --reason y"), 1);
    assert_output_has("no badge of this person ends in these 4 hex digits");
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-28 15:20'"), 0);
    assert_output_has("This badge was replaced — ask a trainer");
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-28 15:21'"), 0);
    assert_output_has("This badge was replaced — ask a trainer");
    assert_int_equal(admin("credits BIT0001 --at '2024-07-20 09:00'"), 0);
    assert_output_has("badge_revoked");
    /* A credit recorded elsewhere, voided: it counts nothing, and importing the file again does
     * not bring it back. */
    assert_int_equal(admin("import credits data/demo-credits.csv"), 0);
    assert_int_equal(admin("credits BIT0003 --at '2024-07-20 09:00'"), 0);
    assert_output_has("8 / 16 credits this year");
    assert_int_equal(admin("correct credit BIT0003 au1-aces --date 2023-10-03" BY), 0);
    assert_int_equal(admin("correct credit BIT0003 au1-aces --date 2023-10-03" BY), 1);
    assert_output_has("already voided");
    assert_int_equal(admin("correct credit BIT0003 au1-aces --date 2023-10-04" BY), 1);
    assert_output_has("no credit of this person for this programme id on this date");
    assert_int_equal(admin("import credits data/demo-credits.csv"), 0);
    assert_int_equal(admin("credits BIT0003 --at '2024-07-20 09:00'"), 0);
    assert_output_has("7 / 16 credits this year");
    assert_output_has("voided by a correction");
    assert_output_has("credit_voided");
    char priya[sizeof(output)];
    memcpy(priya, output, sizeof(output));
    assert_int_equal(admin("rebuild"), 0);
    assert_int_equal(admin("credits BIT0003 --at '2024-07-20 09:00'"), 0);
    assert_string_equal(output, priya);
    /* Sarah's booking on the 27 Nov in-class session no longer holds: cancelled, and the
     * bookings file imported again does not bring it back. Tom was never booked on it. */
    assert_int_equal(admin("correct unbook BIT0008 au2-in-class-support" BY), 1);
    assert_output_has("no booking of this person");
    assert_int_equal(admin("correct unbook BIT0001 au2-in-class-support" BY), 0);
    assert_int_equal(admin("import bookings data/demo-bookings.csv"), 0);
    assert_int_equal(admin("correct unbook BIT0001 au2-in-class-support" BY), 1);
    assert_output_has("cancelled already");
    assert_int_equal(admin("events"), 0);
    assert_output_has("booking_cancelled");
    /* The register of the evening, for the trainer and the office. */
    assert_int_equal(admin("report register --session au2-in-class-support"), 0);
    assert_output_has("Register: The role of the in class support");
    assert_output_has("came without booking");
    char report[600];
    snprintf(report, sizeof(report),
             "report register --session au2-in-class-support --format csv --output '%s/r.csv'",
             dir);
    assert_int_equal(admin(report), 0);
    sh("head -c 3 r.csv | od -An -tx1 | grep -q 'ef bb bf' && grep -q 'J Smith (office)' r.csv");
    assert_int_equal(admin("report register --session nope"), 1);
    assert_output_has("--session nope: no dated session with this programme id");
    assert_int_equal(admin("report register"), 2);
    /* The same register printed: A4 across, the trust and site, the people and their flags, a
     * line for the trainer to sign; statements a person a page. */
    snprintf(report, sizeof(report),
             "report register --session au2-in-class-support --format pdf --output '%s/r.pdf'",
             dir);
    assert_int_equal(admin(report), 0);
    sh("pdfinfo r.pdf | grep -q '^Pages: *1$' && pdfinfo r.pdf | grep -q '841.89 x 595.276' && "
       "pdftotext -layout r.pdf r.txt && grep -q 'Bolton Impact Trust · Central Office' r.txt && "
       "grep -q 'Tom Haslam' r.txt && grep -q 'came without booking' r.txt && "
       "grep -q 'J Smith (office)' r.txt && grep -q 'Signature' r.txt");
    snprintf(report, sizeof(report),
             "report statements --at '2024-07-20 09:00' --format pdf --output '%s/s.pdf'", dir);
    assert_int_equal(admin(report), 0);
    sh("pdftotext -layout s.pdf s.txt && "
       "test \"$(pdfinfo s.pdf | sed -n 's/^Pages: *//p')\" = \"$(grep -c ' — BIT' s.txt)\" && "
       "grep -q 'Priya Chaudhry — BIT0003, Hollins Brook Academy' s.txt && "
       "grep -q 'voided by a correction' s.txt && grep -q 'Credits this year: 7 of 16' s.txt");
    /* A report that cannot be written: one line, exit 1 (the file itself: test_safefile). */
    sh("CPD_KIOSK_DB='%s/kiosk.db' '%s/cpd-admin' report statements --summary > /dev/full "
       "2> err.txt; test $? = 1 && grep -qx 'cpd-admin: standard output: could not write it all "
       "(disk full?): No space left on device' err.txt",
       dir, CPD_BINARY_DIR);
    assert_int_equal(admin("report statements --summary --format csv --output /dev/full"), 1);
    sh("test -c /dev/full"); /* a device is written to, never replaced */
    assert_int_equal(admin("report register --session au2-in-class-support --format pdf "
                           "--output /nonexistent/r.pdf"),
                     1);
    assert_output_has("--output /nonexistent/r.pdf: cannot write there");
    assert_int_equal(admin("report frobnicate --session au2-in-class-support"), 2);
    assert_int_equal(admin("report statements --summary --person BIT0001 --at '2024-07-20 09:00'"),
                     0);
    assert_output_has("1 person, 1 below the target so far");
    assert_output_has("Sarah Whitworth");
    assert_int_equal(admin("report statements --summary --at '2030-01-01 09:00'"), 2);
    assert_output_has("--at \"2030-01-01 09:00\": outside the credit year 2023-09-01 – 2024-08-31");
    assert_int_equal(admin("report at-risk --at '2023-08-31 23:00'"), 2);
    /* Evaluations (none here: this kiosk never asked), as text and as CSV. */
    assert_int_equal(admin("report evaluations --at '2024-07-20 09:00'"), 0);
    assert_output_has("Session evaluations");
    assert_output_has("0 sessions, 0 answers");
    assert_int_equal(admin("report evaluations --at '2024-07-20 09:00' --format csv"), 0);
    assert_output_has("\"Date\",\"Session\",\"Programme id\",\"Answers\",\"Average\",\"1\"");
    assert_int_equal(admin("report completion --course cpi --cohort nope"), 1);
    assert_output_has("--cohort nope: no CPI cohort with this programme id");
    /* Every mistake in one line that names it. */
    static const struct {
        const char *args, *said;
        int status;
    } mistakes[] = {
        {"report frobnicate", "unknown report \"frobnicate\": expected register, evacuation", 2},
        {"report statements --format xml", "--format \"xml\": expected text, csv or pdf", 2},
        {"report completion --course xyz", "--course \"xyz\": expected cpi or mapa", 2},
        {"report register", "report register: give --session ID", 2},
        {"report evacuation --person BIT0001", "--person does not apply to report evacuation", 2},
        {"report evaluations --session cpi-autumn-1",
         "--session does not apply to report evaluations", 2},
        {"report completion --course cpi --person BIT0004",
         "--person does not apply to report completion", 2},
        {"report statements --cohort cpi-autumn", "--cohort does not apply to report statements",
         2},
        {"report statements --person NOPE", "--person NOPE: no person with this staff number", 1},
        {"report due --academy 'No Such Academy'",
         "--academy \"No Such Academy\": no active person at this academy", 1},
        {"report statements --ledger ''", "--ledger: give the ledger's connection", 2},
        {"report statements --ledger 'bogusopt=1'", "invalid connection option \"bogusopt\"", 2},
        {"report statements --at '2024-03-31 01:30'", "that time does not exist here", 2},
    };
    for (size_t i = 0; i < sizeof(mistakes) / sizeof(mistakes[0]); i++) {
        assert_int_equal(admin(mistakes[i].args), mistakes[i].status);
        assert_output_has(mistakes[i].said);
        assert_int_equal((int)(strchr(output, '\n') - output + 1), (int)strlen(output));
    }
    /* Asked now, long after the 2023-24 year: the year as it ended, and said so. */
    assert_int_equal(admin("report statements --summary"), 0);
    assert_output_has("As of 2024-08-31 23:59");
    assert_output_has("The credit year 2023-09-01 – 2024-08-31 has ended");
    assert_int_equal(admin("report statements --term winter"), 2);
    assert_output_has("--term \"winter\": expected autumn, spring, summer or year");
    assert_int_equal(admin("credits BIT0001 --at '2024-07-20 09:00'"), 0);
    memcpy(before, output, sizeof(output));
    /* Rebuilt from the events alone: the same year. */
    assert_int_equal(admin("rebuild"), 0);
    assert_int_equal(admin("credits BIT0001 --at '2024-07-20 09:00'"), 0);
    assert_string_equal(output, before);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-28 15:22'"), 0);
    assert_output_has("This badge was replaced — ask a trainer");
#undef BY
}

/* Exactly one line of output, and it has text. */
static void one_line_with(const char *text)
{
    assert_output_has(text);
    assert_int_equal((int)(strchr(output, '\n') - output + 1), (int)strlen(output));
}

/* --at in Europe/London: 01:30 on the night the clocks go forward never happens and is refused;
 * on the night they go back it happens twice, and is taken only with which one it is — each
 * reading then recorded at its own instant. */
static void test_at_refuses_a_time_that_does_not_exist_and_asks_which(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2024-03-31 01:30'"), 2);
    one_line_with("cpd-admin: --at \"2024-03-31 01:30\": that time does not exist here (the "
                  "clocks go forward over it)");
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-10-29 01:30'"), 2);
    one_line_with("cpd-admin: --at \"2023-10-29 01:30\": that time happens twice here (the "
                  "clocks go back): say which, \"2023-10-29 01:30 +01:00\" (BST, the first) or "
                  "\"2023-10-29 01:30 +00:00\" (GMT, the second)");
    assert_int_equal(admin("credits BIT0001 --at '2023-10-29 01:30'"), 2);
    one_line_with("that time happens twice here");
    assert_int_equal(admin("report statements --at '2023-10-29 01:30'"), 2);
    one_line_with("that time happens twice here");
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2024-07-20 09:00 GMT'"), 2);
    one_line_with("--at \"2024-07-20 09:00 GMT\": that time here has another UTC offset or zone: "
                  "it is +01:00 (BST)");
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-10-29 01:30 BST'"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-10-29 01:30 +00:00'"), 0);
    /* Nothing was recorded for the refused ones; the two taps an hour apart. */
    char db[512], why[256];
    snprintf(db, sizeof(db), "%s/kiosk.db", dir);
    struct store *s = NULL;
    assert_int_equal(store_open_readonly(db, &s, why, sizeof(why)), STORE_OK);
    struct event first, second, none;
    assert_int_equal(store_event_at(s, 1, &first), STORE_OK);
    assert_int_equal(store_event_at(s, 2, &second), STORE_OK);
    assert_int_equal(store_event_at(s, 3, &none), STORE_ENOTFOUND);
    store_close(s);
    int64_t night = (int64_t)civil_from_ymd(2023, 10, 29) * 86400;
    assert_int_equal(first.wall_us, (night + 30 * 60) * INT64_C(1000000));  /* 00:30 UTC */
    assert_int_equal(second.wall_us, (night + 90 * 60) * INT64_C(1000000)); /* 01:30 UTC */
    /* --help says how to write which one. */
    assert_int_equal(admin("tap --help"), 0);
    assert_output_has("\"2023-10-29 01:30 +01:00\" or \"... BST\" for the");
}

/* The issue's own scenario through cpd-admin tap: one tap at 2099 closes nobody, and a dead
 * real-time clock (1970) is recorded as refused, not lost. */
static void test_a_jumped_clock_closes_nobody(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("import bookings data/demo-bookings.csv"), 0);
    assert_int_equal(admin("tap --badge 04-3B-19-D2-6A-71-81 --at '2023-09-13 15:10'"), 0);
    assert_output_has("Signed in");
    assert_int_equal(admin("tap --badge 9b1f6c3d --at '2099-09-13 15:12'"), 0);
    assert_output_has("The kiosk's clock is wrong");
    assert_int_equal(admin("events"), 0);
    assert_output_has("clock_refused");
    assert_null(strstr(output, "auto_close"));
    assert_int_equal(admin("tap --badge 04-3B-19-D2-6A-71-81 --at '2023-09-13 18:10'"), 0);
    assert_output_has("Signed out");
    assert_null(strstr(output, "Already signed out"));
    assert_int_equal(admin("tap --badge 9b1f6c3d --at '1970-01-01 01:00'"), 0); /* epoch 0 */
    assert_output_has("The kiosk's clock is wrong");
    assert_int_equal(admin("verify"), 0);
}

/* The newest event of the store in the test directory, read the store's own way. */
static struct event newest_event(void)
{
    char path[512], why[256];
    struct store *store = NULL;
    struct event e;
    int64_t seq = 0;
    uint8_t hash[CRYPTO_HASH_BYTES];
    snprintf(path, sizeof(path), "%s/kiosk.db", dir);
    assert_int_equal(store_open_readonly(path, &store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_chain_tip(store, &seq, hash), STORE_OK);
    assert_int_equal(store_event_at(store, seq, &e), STORE_OK);
    store_close(store);
    return e;
}

/* The store's record of the last tap on a believed clock: "BOOT_ID WALL_US MONO_US". */
static void set_last_tap_reading(const char *boot, int64_t wall_us, int64_t mono_us)
{
    char path[512], why[256], text[128];
    struct store *store = NULL;
    snprintf(path, sizeof(path), "%s/kiosk.db", dir);
    snprintf(text, sizeof(text), "%s %lld %lld", boot, (long long)wall_us, (long long)mono_us);
    assert_int_equal(store_open(path, &store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_meta_set(store, STORE_META_CLOCK_TAP, text), STORE_OK);
    store_close(store);
}

/* cpd-admin tap on this machine's own clock (no --at) is checked as the kiosk checks its taps:
 * it passes this boot's id and the monotonic clock, so a wall clock that moved an hour since
 * the last tap of this boot, either way, decides nothing. */
static void test_a_tap_on_the_machines_clock_is_checked_as_the_kiosks(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    char boot[CLOCK_BOOT_ID_LEN], reading[128];
    clock_boot_id(boot);
    assert_true(boot[0] != '\0'); /* Linux always has one */
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80"), 0);
    struct event e = newest_event();
    assert_int_not_equal(e.type, EV_CLOCK_REFUSED);
    /* The tap is a reading of this boot's clocks, for the next one to be checked against. */
    char path[512], why[256];
    struct store *store = NULL;
    snprintf(path, sizeof(path), "%s/kiosk.db", dir);
    assert_int_equal(store_open_readonly(path, &store, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_meta_get(store, STORE_META_CLOCK_TAP, reading, sizeof(reading)),
                     STORE_OK);
    store_close(store);
    assert_int_equal(strncmp(reading, boot, strlen(boot)), 0);
    assert_int_equal(reading[strlen(boot)], ' ');

    const int64_t hour = INT64_C(3600) * 1000000;
    for (int sign = -1; sign <= 1; sign += 2) {
        /* The last tap was a second ago by the monotonic clock, an hour away by the wall's. */
        set_last_tap_reading(boot, clock_wall_us() + sign * hour, clock_monotonic_us() - 1000000);
        assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80"), 0);
        e = newest_event();
        assert_int_equal(e.type, EV_CLOCK_REFUSED);
        char verdict[32];
        assert_int_equal(payload_get_str(e.payload, "clock", verdict, sizeof(verdict)), PAYLOAD_OK);
        assert_string_equal(verdict, "disagrees");
    }
    /* The same reading from another boot says nothing about this one's clock. */
    set_last_tap_reading("another-boot", clock_wall_us() + hour, clock_monotonic_us() - 1000000);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80"), 0);
    assert_int_not_equal(newest_event().type, EV_CLOCK_REFUSED);
    assert_int_equal(admin("verify"), 0);
}

/* Head office's file as the whole record: a row it no longer has is voided (or the booking
 * cancelled) by a correction event naming the file — only when asked to (--replace); without
 * it, a warning counts them. */
static void test_a_file_as_the_whole_record(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("import bookings data/demo-bookings.csv"), 0);
    assert_int_equal(admin("import credits data/demo-credits.csv"), 0);
    /* The same files without Priya's ACEs and without the first booking. */
    sh("grep -v au1-aces '%s/data/demo-credits.csv' > credits.csv && "
       "sed 2d '%s/data/demo-bookings.csv' > bookings.csv",
       CPD_SOURCE_DIR, CPD_SOURCE_DIR);
    char args[1024];
    snprintf(args, sizeof(args), "import credits '%s/credits.csv'", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("1 stored credits are not in this file: import with --replace to void them");
    assert_int_equal(admin("credits BIT0003 --at '2024-07-20 09:00'"), 0);
    assert_output_has("8 / 16 credits this year");
    snprintf(args, sizeof(args), "import credits '%s/credits.csv' --replace", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("1 stored credits not in this file: voided by a correction naming it");
    assert_int_equal(admin("credits BIT0003 --at '2024-07-20 09:00'"), 0);
    assert_output_has("7 / 16 credits this year");
    assert_output_has("by import: not in credits.csv (the file is the whole record)");
    assert_int_equal(admin(args), 0); /* again: nothing more to void */
    assert_null(strstr(output, "not in this file"));
    snprintf(args, sizeof(args), "import bookings '%s/bookings.csv' --replace", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("1 stored bookings not in this file: cancelled by a correction naming it");
    assert_int_equal(admin("events"), 0);
    assert_output_has("booking_cancelled");
    /* A roster without Martin (a leaver) and Chloe: named, then marked inactive with
     * --replace; their records stay, and Martin's badge no longer signs anyone in. */
    sh("grep -v -e BIT0011 -e BIT0012 '%s/data/demo-roster.csv' > roster.csv", CPD_SOURCE_DIR);
    snprintf(args, sizeof(args), "import roster '%s/roster.csv'", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("2 active people are not in this file (BIT0011, BIT0012): import with "
                      "--replace if it is the whole roster, to mark them as leavers");
    snprintf(args, sizeof(args), "import roster '%s/roster.csv' --replace --dry-run", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("2 people not in this file would be marked inactive as leavers");
    assert_int_equal(admin("people"), 0);
    assert_output_has("Martin Entwistle             Riverside Academy        trainer  active");
    snprintf(args, sizeof(args), "import roster '%s/roster.csv' --replace", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("2 people not in this file marked inactive as leavers (BIT0011, BIT0012); "
                      "their records are kept");
    assert_int_equal(admin("people"), 0);
    assert_output_has("Martin Entwistle             Riverside Academy        trainer  inactive");
    assert_int_equal(admin("tap --badge E4:0D:77:A9 --at '2024-01-29 15:40'"), 0);
    assert_output_has("Badge not active — ask a trainer");
    assert_int_equal(admin(args), 0); /* again: nobody more */
    assert_null(strstr(output, "not in this file"));
    /* A leaver's year is kept, and reported when asked for by staff number. */
    assert_int_equal(admin("report statements --summary --person BIT0011 --at '2024-07-20 09:00'"),
                     0);
    assert_output_has("Martin Entwistle");
    /* A roster without either trainer: said plainly. */
    sh("grep -v -e BIT0010 -e BIT0011 -e BIT0012 '%s/data/demo-roster.csv' > staff.csv",
       CPD_SOURCE_DIR);
    snprintf(args, sizeof(args), "import roster '%s/staff.csv' --replace --dry-run", dir);
    assert_int_equal(admin(args), 0);
    assert_output_has("no active trainer is left");
    assert_int_equal(admin("verify"), 0);
}

/* A report over many people shows a progress bar on a terminal (script(1) gives it one) and
 * nothing of it when piped; the report itself is the same. */
static void test_a_long_report_shows_progress_on_a_terminal(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    sh("{ echo staff_no,name,academy,role,active,badge_uid; i=0; while [ $i -lt 250 ]; do "
       "printf 'P%%04d,Person %%d,Kingsway Academy,staff,yes,\\n' $i $i; i=$((i+1)); done; } "
       "> roster.csv");
    char args[1024];
    snprintf(args, sizeof(args), "import roster '%s/roster.csv'", dir);
    assert_int_equal(admin(args), 0);
    sh("CPD_KIOSK_DB=\"$PWD/kiosk.db\" script -qec \"'%s/cpd-admin' report statements --summary "
       "--output piped.txt\" /dev/null > tty.txt 2>&1 && grep -q 'people \\[#' tty.txt && "
       "grep -q '250/250' tty.txt",
       CPD_BINARY_DIR);
    assert_int_equal(admin("report statements --summary"), 0);
    assert_null(strstr(output, "people ["));
    assert_output_has("250 people, 250 below the target so far");
    sh("grep -q '250 people, 250 below the target so far' piped.txt");
}

/* A signing key lost for good: the kiosk id is retired and its replacement's first event
 * anchors the old chain — verified first, refused when it does not verify, when the new
 * database has events already, or when the id is the same. */
/* reader-test: the banner before any event, a tap and its removal, exit 0; a reader that never
 * came up is exit 1 with its reason. */
/* doctor: one line per check, the fix with each problem, exit status by the worst. */
static void test_doctor(void **state)
{
    (void)state;
    char script[512], ini[512], text[1024], args[1200];
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80"), 0); /* now: the clock is believed */
    test_write_file(dir, "reader.script", "sleep 5000\n", script, sizeof(script));
    snprintf(text, sizeof(text), "[reader]\ndriver = sim\nscript = %s\n", script);
    test_write_file(dir, "doctor.ini", text, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    int rc = admin(args);
    assert_true(rc == 0 || rc == 1); /* a warning at most: the ledger is not configured */
    assert_output_has("ok       keys      ");
    assert_output_has("ok       database  ");
    assert_output_has("quick check ok, 1 event, the newest verifies with this kiosk's key");
    assert_output_has("ok       reader    sim ");
    assert_output_has("ok       fonts     \"DejaVu Sans\" regular and bold installed");
    assert_output_has("ok       disk      ");
    assert_output_has("warning  ledger    not configured");
    int lines = 0;
    for (const char *p = output; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 8); /* one line per check */
    /* Its newest event deleted outside the kiosk (the append-only trigger dropped first): the
     * kiosk would refuse to sign on it, and doctor says so. */
    sh("cd '%s' && mkdir -m 700 cut && cp kiosk.db kiosk.key site.key cut/ && sqlite3 cut/kiosk.db "
       "\"DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = (SELECT max(seq) FROM "
       "events)\"",
       dir);
    snprintf(args, sizeof(args), "--config '%s' --database '%s/cut/kiosk.db' doctor", ini, dir);
    assert_int_equal(admin(args), 2);
    assert_output_has("events after seq 0 are missing (it wrote 1) — changed outside the kiosk");
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    /* The store of another kiosk id: the kiosk refuses it, so doctor says so. */
    snprintf(text, sizeof(text), "[kiosk]\nid = lab-1\n[reader]\ndriver = sim\nscript = %s\n",
             script);
    test_write_file(dir, "other-id.ini", text, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    assert_int_equal(admin(args), 2);
    assert_output_has("belongs to kiosk \"central-1\", and the configuration says \"lab-1\"");
    /* A configuration the kiosk cannot start with is a failure too. */
    test_write_file(dir, "bad.ini", "[kiosk]\nsite = Room 1 ;x\n", ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    assert_int_equal(admin(args), 2);
    assert_output_has("FAILURE  config    ");
    snprintf(args, sizeof(args), "--config '%s/doctor.ini' doctor", dir);
    /* A key others can read: a failure, with the fix. */
    sh("chmod 0644 '%s/kiosk.key'", dir);
    assert_int_equal(admin(args), 2);
    assert_output_has("FAILURE  keys      ");
    assert_output_has("kiosk.key is mode 0644, open to other users; fix: chmod 600 ");
    sh("chmod 0600 '%s/kiosk.key'", dir);
    /* A reader that is not there, and a damaged database. */
    snprintf(text, sizeof(text), "[reader]\ndriver = libnfc\nconnstring = pn532_uart:%s/gone\n",
             dir);
    test_write_file(dir, "down.ini", text, ini, sizeof(ini));
    sh("cd '%s' && page=$(sqlite3 kiosk.db \"SELECT pageno FROM dbstat WHERE name = 'events' "
       "LIMIT 1\") && head -c 4096 /dev/zero | openssl enc -aes-128-ctr -K 01 -iv 00 -nosalt "
       "2>/dev/null | dd of=kiosk.db bs=4096 seek=$((page - 1)) "
       "conv=notrunc 2>/dev/null",
       dir);
    snprintf(args, sizeof(args), "--config '%s' doctor", ini);
    assert_int_equal(admin(args), 2);
    assert_output_has("FAILURE  reader    libnfc pn532_uart:");
    assert_output_has("device path gone (unplugged, or the udev rule is missing); fix: "
                      "docs/readers.md");
    assert_output_has("FAILURE  database  ");
    assert_output_has("fix: docs/recovery.md (cpd-admin salvage)");
}

static void test_reader_test(void **state)
{
    (void)state;
    char script[512], ini[512], text[1024], args[1200];
    test_write_file(dir, "reader.script", "place 04-3B-19-D2-6A-71-81\nsleep 200\nremove\n", script,
                    sizeof(script));
    snprintf(text, sizeof(text), "[reader]\ndriver = sim\nscript = %s\n", script);
    test_write_file(dir, "reader.ini", text, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' reader-test --seconds 2", ini);
    assert_int_equal(admin(args), 0);
    assert_int_equal(strncmp(output, "sim reader ", 11), 0); /* the banner comes first */
    assert_output_has("  card     …7181 (7 bytes)");
    assert_output_has("removed");
    assert_output_has("reader up");
    snprintf(text, sizeof(text), "[reader]\ndriver = libnfc\nconnstring = pn532_uart:%s/gone\n",
             dir);
    test_write_file(dir, "down.ini", text, ini, sizeof(ini));
    snprintf(args, sizeof(args), "--config '%s' reader-test --seconds 1", ini);
    assert_int_equal(admin(args), 1);
    assert_output_has("reader DOWN: ");
    assert_output_has("/gone: device path gone (unplugged, or the udev rule is missing)");
    assert_output_has("cpd-admin: the reader never came up (its reasons are above)");
    /* A reader that does not answer (the emulator, silent): our one line per change, and none
     * of libnfc's own — unless LIBNFC_LOG_LEVEL asks for them. */
    for (int loud = 0; loud < 2; loud++) {
        snprintf(text, sizeof(text),
                 "[reader]\ndriver = libnfc\nconnstring = pn532_uart:%s/emu%d\n", dir, loud);
        test_write_file(dir, "silent.ini", text, ini, sizeof(ini));
        sh("( (echo 'silent on'; sleep 6) | '%s/pn532-emu' '%s/emu%d' >/dev/null 2>&1 & ) && "
           "sleep 0.5",
           CPD_BINARY_DIR, dir, loud);
        snprintf(args, sizeof(args), "--config '%s' reader-test --seconds 2", ini);
        assert_int_equal(admin_with(loud ? "LIBNFC_LOG_LEVEL=1" : "", args), 1);
        assert_output_has("reader DOWN: ");
        assert_output_has("not answering — check the wiring");
        if (loud)
            assert_non_null(strstr(output, "pn53x_check_communication"));
        else
            assert_null(strstr(output, "libnfc."));
    }
}

static void test_a_retired_kiosk_is_anchored(void **state)
{
    (void)state;
    assert_int_equal(admin("kiosk init"), 0);
    assert_int_equal(admin("import programme data/programme-2023-24.csv"), 0);
    assert_int_equal(admin("import roster data/demo-roster.csv"), 0);
    assert_int_equal(admin("tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 15:40'"), 0);
    assert_int_equal(admin("tap --badge 3F:22:91:0C --at '2023-11-27 15:41'"), 0);
    sh("cp kiosk.db old.db && sqlite3 old.db 'SELECT seq, hex(hash) FROM events ORDER BY seq DESC "
       "LIMIT 1' > tip.txt && mkdir -m 700 new");
    char path[512], args[2048], db[300];
    snprintf(db, sizeof(db), "%s/new/k.db", dir);
    snprintf(args, sizeof(args), "[kiosk]\nid = central-2\ndatabase = %s\n", db);
    test_write_file(dir, "new.ini", args, path, sizeof(path));
    snprintf(args, sizeof(args), "--config '%s' --database '%s' kiosk init --anchor '%s/old.db'",
             path, db, dir);
    if (admin(args) != 0)
        fail_msg("%s", output);
    assert_output_has("anchored:    central-1, seq 2, hash ");
    snprintf(args, sizeof(args), "--config '%s' --database '%s' events", path, db);
    assert_int_equal(admin(args), 0);
    assert_output_has("chain_anchor");
    sh("tip=$(cut -d'|' -f2 tip.txt | tr A-F a-f) && sqlite3 new/k.db 'SELECT payload FROM events "
       "WHERE seq = 1' | grep -q \"\\\"hash\\\":\\\"$tip\\\"\"");
    snprintf(args, sizeof(args), "--config '%s' --database '%s' verify", path, db);
    assert_int_equal(admin(args), 0);
    /* Again on the same database: it has its first event already. */
    snprintf(args, sizeof(args), "--config '%s' --database '%s' kiosk init --anchor '%s/old.db'",
             path, db, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("this database has events already");
    /* The same id, or a chain that does not verify: refused, nothing written. */
    sh("rm -rf new2 && mkdir -m 700 new2");
    snprintf(db, sizeof(db), "%s/new2/k.db", dir);
    snprintf(args, sizeof(args), "[kiosk]\nid = central-1\ndatabase = %s\n", db);
    test_write_file(dir, "same.ini", args, path, sizeof(path));
    snprintf(args, sizeof(args), "--config '%s' --database '%s' kiosk init --anchor '%s/old.db'",
             path, db, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("give the new one its own [kiosk] id");
    sh("sqlite3 old.db \"DROP TRIGGER events_no_update; UPDATE events SET payload = "
       "'{\\\"x\\\":1}' WHERE seq = 1\" && rm -rf new3 && mkdir -m 700 new3");
    snprintf(db, sizeof(db), "%s/new3/k.db", dir);
    snprintf(args, sizeof(args), "[kiosk]\nid = central-3\ndatabase = %s\n", db);
    test_write_file(dir, "edited.ini", args, path, sizeof(path));
    snprintf(args, sizeof(args), "--config '%s' --database '%s' kiosk init --anchor '%s/old.db'",
             path, db, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("its chain does not verify at seq 1");
    sh("test ! -e new3/k.db && test ! -e new3/kiosk.key && test ! -e new3/site.key");
    /* Not a kiosk's database at all: said so, and the file is left as it was. */
    sh("printf 'hello' > text.db && sqlite3 other.db 'CREATE TABLE t(x)' && cp other.db "
       "other.orig && rm -rf new4 && mkdir -m 700 new4");
    snprintf(db, sizeof(db), "%s/new4/k.db", dir);
    snprintf(args, sizeof(args), "[kiosk]\nid = central-4\ndatabase = %s\n", db);
    test_write_file(dir, "other.ini", args, path, sizeof(path));
    snprintf(args, sizeof(args), "--config '%s' --database '%s' kiosk init --anchor '%s/text.db'",
             path, db, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("not a kiosk's database (not an SQLite file)");
    snprintf(args, sizeof(args), "--config '%s' --database '%s' kiosk init --anchor '%s/other.db'",
             path, db, dir);
    assert_int_equal(admin(args), 1);
    assert_output_has("not a kiosk's database (no kiosk id or key)");
    sh("cmp -s other.db other.orig && test ! -e new4/k.db");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_usage_and_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_kiosk_from_init_to_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_and_events_on_a_read_only_store, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_salvage_a_damaged_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_acknowledged_taps_are_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doctor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_keys_are_restored_never_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_corrections_from_the_office, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_jumped_clock_closes_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_refuses_a_time_that_does_not_exist_and_asks_which,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_tap_on_the_machines_clock_is_checked_as_the_kiosks,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_file_as_the_whole_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_long_report_shows_progress_on_a_terminal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_retired_kiosk_is_anchored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_test, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
