/* The whole program as it runs on a kiosk: cpd-kiosk --demo in a real X window (Xvfb), a badge
 * tapped through the simulated reader (a FIFO), the tap found in the database, a screenshot of
 * the window checked, and a clean stop on SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cairo.h>
#include <cmocka.h>

#include "tests/pn532/pn532_emu.h"
#include "tests/support/testutil.h"

static char dir[256];
static pid_t xvfb, kiosk;
static int display;

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The programs under test: this build's, or the installed ones when CPD_TEST_PROGRAMS names
 * their directory (tests/package/check-installed runs this test on the installed package). */
static const char *programs(void)
{
    const char *installed = getenv("CPD_TEST_PROGRAMS");
    return installed && installed[0] ? installed : CPD_BINARY_DIR;
}

/* The shipped data the same way: CPD_TEST_DATA, else the source tree's. */
static const char *data(void)
{
    const char *installed = getenv("CPD_TEST_DATA");
    return installed && installed[0] ? installed : CPD_SOURCE_DIR "/data";
}

/* Runs argv as user (setting it when it is not ours) with exactly env — plus the sanitizers'
 * options and suppressions of the test's own environment (tests/CMakeLists.txt), so the program is
 * checked as the test is — output to log. */
static pid_t spawn_as(char *const argv[], char *const env[], const char *log, uid_t user,
                      gid_t group)
{
    static const char *const sanitizer_vars[] = {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"};
    char *full[32], vars[3][1024];
    size_t n = 0;
    for (; env[n] && n < 28; n++)
        full[n] = env[n];
    for (size_t i = 0; i < 3; i++) {
        const char *value = getenv(sanitizer_vars[i]);
        if (value && (size_t)snprintf(vars[i], sizeof(vars[i]), "%s=%s", sanitizer_vars[i], value) <
                         sizeof(vars[i]))
            full[n++] = vars[i];
    }
    full[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        if (geteuid() != user &&
            (setgroups(0, NULL) != 0 || setgid(group) != 0 || setuid(user) != 0))
            _exit(126);
        execve(argv[0], argv, full);
        _exit(127);
    }
    return pid;
}

static pid_t spawn(char *const argv[], char *const env[], const char *log)
{
    return spawn_as(argv, env, log, geteuid(), getegid());
}

/* Waits up to ms for path to exist (and hold text, when text is not NULL). */
static bool wait_for(const char *path, const char *text, int ms, char *line, size_t cap)
{
    for (int waited = 0; waited < ms; waited += 50, sleep_ms(50)) {
        struct stat st;
        if (!text && stat(path, &st) == 0)
            return true; /* existence is enough (and a socket cannot be fopen'd) */
        FILE *f = text ? fopen(path, "r") : NULL;
        if (!f)
            continue;
        char buf[512];
        bool found = text == NULL;
        while (!found && fgets(buf, sizeof(buf), f)) {
            if (strstr(buf, text)) {
                found = true;
                if (line)
                    snprintf(line, cap, "%s", buf);
            }
        }
        fclose(f);
        if (found)
            return true;
    }
    return false;
}

static const char *xvfb_size = "1280x800x24";

static int start_xvfb(void)
{
    const char *xvfb_bin = "/usr/bin/Xvfb";
    if (access(xvfb_bin, X_OK) != 0)
        fail_msg("Xvfb is not installed (Debian: xvfb)");
    display = 90 + getpid() % 100;
    char disp[16], log[512], sock[64];
    snprintf(disp, sizeof(disp), ":%d", display);
    snprintf(log, sizeof(log), "%s/xvfb.log", dir);
    snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", display);
    char *argv[] = {(char *)xvfb_bin,  disp,        "-screen", "0",
                    (char *)xvfb_size, "-nolisten", "tcp",     NULL};
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    xvfb = spawn(argv, env, log);
    assert_true(wait_for(sock, NULL, 10000, NULL, 0));
    return 0;
}

static int setup(void **state)
{
    (void)state;
    test_tempdir(dir, sizeof(dir));
    return start_xvfb();
}

static int teardown(void **state)
{
    (void)state;
    if (kiosk > 0)
        kill(kiosk, SIGKILL);
    if (xvfb > 0) {
        kill(xvfb, SIGTERM);
        waitpid(xvfb, NULL, 0);
    }
    test_rmtree(dir);
    return 0;
}

/* cpd-kiosk --demo --windowed on ini, on the test's display, screenshots to shot, standard
 * output and error to log. */
static pid_t spawn_demo(const char *ini, const char *shot, const char *log)
{
    char kiosk_bin[512], env_display[32], env_shot[600], env_tmp[300];
    snprintf(kiosk_bin, sizeof(kiosk_bin), "%s/cpd-kiosk", programs());
    snprintf(env_display, sizeof(env_display), "DISPLAY=:%d", display);
    snprintf(env_shot, sizeof(env_shot), "CPD_KIOSK_SCREENSHOT=%s", shot);
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", dir);
    char *argv[] = {kiosk_bin, "--demo", "--windowed", "--config", (char *)ini, NULL};
    char *env[] = {env_display,          env_shot, env_tmp, "SDL_AUDIODRIVER=dummy",
                   "PATH=/usr/bin:/bin", NULL};
    return spawn(argv, env, log);
}

static int64_t count_sign_ins(const char *db)
{
    struct store *s = NULL;
    char why[256];
    if (store_open(db, &s, why, sizeof(why)) != STORE_OK)
        return -1;
    struct event e;
    int64_t n = store_last_event_of(s, "BIT0004", &e) == STORE_OK && e.type == EV_SIGN_IN;
    store_close(s);
    return n;
}

static void test_demo_kiosk_under_xvfb(void **state)
{
    (void)state;
    char fifo[512], ini[512], log[512], shot[512], text[1024];
    snprintf(fifo, sizeof(fifo), "%s/reader.fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(text, sizeof(text),
             "[reader]\ndriver = sim\nscript = %s\n[display]\nsound = false\nfullscreen = false\n",
             fifo);
    test_write_file(dir, "smoke.ini", text, ini, sizeof(ini));
    snprintf(log, sizeof(log), "%s/kiosk.log", dir);
    snprintf(shot, sizeof(shot), "%s/screen.png", dir);
    kiosk = spawn_demo(ini, shot, log);

    char line[512] = "";
    if (!wait_for(log, "demo database ", 20000, line, sizeof(line)))
        fail_msg("the kiosk did not start; its log:\n%s", log);
    char db[512];
    snprintf(db, sizeof(db), "%s", strstr(line, "demo database ") + strlen("demo database "));
    db[strcspn(db, "\n")] = '\0';

    /* Tap Gareth's badge on the simulated reader. */
    int fd = -1;
    for (int waited = 0; fd < 0 && waited < 10000; waited += 50) {
        fd = open(fifo, O_WRONLY | O_NONBLOCK);
        if (fd < 0)
            sleep_ms(50);
    }
    assert_true(fd >= 0);
    const char *script = "place 04-3B-19-D2-6A-71-81\nsleep 200\nremove\n";
    assert_int_equal(write(fd, script, strlen(script)), (ssize_t)strlen(script));
    close(fd);
    int64_t n = 0;
    for (int waited = 0; n != 1 && waited < 10000; waited += 100, sleep_ms(100))
        n = count_sign_ins(db);
    assert_int_equal(n, 1);

    /* What is on the screen now: the green "Signed in" band. */
    assert_int_equal(kill(kiosk, SIGUSR1), 0);
    assert_true(wait_for(log, "screenshot ", 10000, NULL, 0));
    cairo_surface_t *png = cairo_image_surface_create_from_png(shot);
    assert_int_equal(cairo_surface_status(png), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(png), h = cairo_image_surface_get_height(png);
    int stride = cairo_image_surface_get_stride(png);
    const unsigned char *data = cairo_image_surface_get_data(png);
    uint32_t band = *(const uint32_t *)(data + (size_t)(h * 8 / 100 + 6) * stride + (w - 6) * 4);
    cairo_surface_destroy(png);
    assert_int_equal(band & 0xFFFFFF, 0x1B7A34); /* screens_tone_fill(TONE_V_OK) */
    char keep[600];
    snprintf(keep, sizeof(keep), "%s/smoke-signed-in.png", CPD_BINARY_DIR);
    rename(shot, keep);

    /* A clean stop. */
    assert_int_equal(kill(kiosk, SIGTERM), 0);
    int status = 0;
    pid_t done = 0;
    for (int waited = 0; done == 0 && waited < 10000; waited += 50, sleep_ms(50))
        done = waitpid(kiosk, &status, WNOHANG);
    assert_int_equal(done, kiosk);
    kiosk = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat st;
    assert_int_not_equal(stat(db, &st), 0); /* the demo cleaned up its temporary database */
}

/* Under systemd (Type=notify, WatchdogSec=): READY=1 once the screen is up, WATCHDOG=1 from the
 * UI loop at least every half period while it runs, and STOPPING=1 on the way out — through a
 * socket standing in for systemd's, as sd_notify finds it ($NOTIFY_SOCKET). */
static void test_tells_systemd_it_is_ready_and_alive(void **state)
{
    (void)state;
    char sock_path[300], ini[512], log[512], text[256];
    snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(sock >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    assert_true(strlen(sock_path) < sizeof(addr.sun_path));
    memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
    assert_int_equal(bind(sock, (struct sockaddr *)&addr, sizeof(addr)), 0);
    snprintf(text, sizeof(text), "[reader]\ndriver = keyboard\n[display]\nsound = false\n");
    test_write_file(dir, "notify.ini", text, ini, sizeof(ini));
    snprintf(log, sizeof(log), "%s/notify.log", dir);
    char kiosk_bin[512], env_display[32], env_tmp[300], env_sock[320];
    snprintf(kiosk_bin, sizeof(kiosk_bin), "%s/cpd-kiosk", programs());
    snprintf(env_display, sizeof(env_display), "DISPLAY=:%d", display);
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", dir);
    snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", sock_path);
    char *argv[] = {kiosk_bin, "--demo", "--windowed", "--config", ini, NULL};
    char *env[] = {
        env_display,          env_tmp, env_sock, "WATCHDOG_USEC=400000", "SDL_AUDIODRIVER=dummy",
        "PATH=/usr/bin:/bin", NULL};
    kiosk = spawn(argv, env, log);
    int ready = 0, pings = 0, pings_after_ready = 0;
    int64_t first_ping = 0, last_ping = 0;
    struct timeval tv = {0, 200000};
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (pings_after_ready >= 6 || now.tv_sec - start.tv_sec > 20)
            break;
        char msg[512];
        ssize_t n = recv(sock, msg, sizeof(msg) - 1, 0);
        if (n <= 0)
            continue;
        msg[n] = '\0';
        if (strstr(msg, "READY=1")) {
            ready++;
            assert_non_null(strstr(msg, "STATUS=")); /* what the screen says */
        }
        if (strstr(msg, "WATCHDOG=1")) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            last_ping = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
            if (!first_ping)
                first_ping = last_ping;
            pings++;
            pings_after_ready += ready > 0;
        }
    }
    assert_int_equal(ready, 1);
    assert_true(pings_after_ready >= 6);
    /* Every half period (200 ms) or more often, even with nothing on the screen changing. */
    assert_true(last_ping - first_ping <= (int64_t)(pings - 1) * 260);
    assert_int_equal(kill(kiosk, SIGTERM), 0);
    int status = 0;
    assert_int_equal(waitpid(kiosk, &status, 0), kiosk);
    kiosk = 0;
    bool stopping = false;
    char msg[512];
    ssize_t n;
    while ((n = recv(sock, msg, sizeof(msg) - 1, MSG_DONTWAIT)) > 0) {
        msg[n] = '\0';
        stopping |= strstr(msg, "STOPPING=1") != NULL;
    }
    close(sock);
    assert_true(stopping);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int count_lines(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    char buf[512];
    int n = 0;
    while (f && fgets(buf, sizeof(buf), f))
        n += strstr(buf, text) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* The colour just under the top bar at the right edge (a banner or the tone band) of a fresh
 * screenshot. */
static uint32_t look(const char *log, const char *shot)
{
    int before = count_lines(log, "screenshot ");
    assert_int_equal(kill(kiosk, SIGUSR1), 0);
    for (int waited = 0; count_lines(log, "screenshot ") == before && waited < 10000; waited += 50)
        sleep_ms(50);
    cairo_surface_t *png = cairo_image_surface_create_from_png(shot);
    assert_int_equal(cairo_surface_status(png), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(png), h = cairo_image_surface_get_height(png);
    const unsigned char *data = cairo_image_surface_get_data(png);
    int stride = cairo_image_surface_get_stride(png);
    uint32_t colour = *(const uint32_t *)(data + (size_t)(h * 8 / 100 + 6) * stride + (w - 6) * 4);
    cairo_surface_destroy(png);
    return colour & 0xFFFFFF;
}

/* Starts the kiosk with an ini; once `ready` is in its log, looks at the screen until it shows
 * `want` there (up to 10 s: machines are slow sometimes), stops it and returns what it saw. */
static uint32_t run_and_look(const char *ini_text, bool demo, const char *ready, uint32_t want,
                             char *log_out, size_t cap)
{
    char ini[512], log[512], shot[512];
    test_write_file(dir, "case.ini", ini_text, ini, sizeof(ini));
    snprintf(log, sizeof(log), "%s/case.log", dir);
    snprintf(shot, sizeof(shot), "%s/case.png", dir);
    unlink(shot);
    char kiosk_bin[512], env_display[32], env_shot[600], env_tmp[300];
    snprintf(kiosk_bin, sizeof(kiosk_bin), "%s/cpd-kiosk", programs());
    snprintf(env_display, sizeof(env_display), "DISPLAY=:%d", display);
    snprintf(env_shot, sizeof(env_shot), "CPD_KIOSK_SCREENSHOT=%s", shot);
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", dir);
    char *argv[] = {kiosk_bin, "--windowed", "--config", ini, demo ? "--demo" : NULL, NULL};
    char *env[] = {env_display,          env_shot, env_tmp, "SDL_AUDIODRIVER=dummy",
                   "PATH=/usr/bin:/bin", NULL};
    kiosk = spawn(argv, env, log);
    if (!wait_for(log, ready, 20000, log_out, cap))
        fail_msg("\"%s\" not in %s", ready, log);
    uint32_t colour = 0;
    for (int tries = 0; tries < 50 && (colour = look(log, shot)) != want; tries++)
        sleep_ms(200);
    kill(kiosk, SIGTERM);
    int status = 0;
    assert_int_equal(waitpid(kiosk, &status, 0), kiosk);
    kiosk = 0;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return colour;
}

static void test_no_database_says_out_of_order(void **state)
{
    (void)state;
    char line[512];
    uint32_t c = run_and_look("[kiosk]\ndatabase = /proc/version/kiosk.db\n[reader]\n"
                              "driver = keyboard\n[display]\nsound = false\n",
                              false, "cannot start: Database /proc/version/kiosk.db", 0xB3261E,
                              line, sizeof(line));
    assert_int_equal(c, 0xB3261E); /* the red band of "Out of order" */
}

/* A kiosk.ini the kiosk cannot run with: "Out of order" with the reason, not a blank screen and
 * a restart loop. */
static void test_a_bad_config_says_out_of_order(void **state)
{
    (void)state;
    char line[512];
    uint32_t c = run_and_look("[kiosk]\nsite = Room 1 ;x\n[reader]\ndriver = keyboard\n"
                              "[display]\nsound = false\n",
                              false, "cannot start: kiosk.ini: ", 0xB3261E, line, sizeof(line));
    assert_int_equal(c, 0xB3261E); /* the red band of "Out of order" */
    assert_non_null(strstr(line, "case.ini:2: a ';' after a space would start a comment"));
}

/* Another kiosk's key in place of this one's: out of order with the reason, nothing signed. */
static void test_a_foreign_key_says_out_of_order(void **state)
{
    (void)state;
    char cmd[2048], line[512], ini_text[600];
    snprintf(cmd, sizeof(cmd),
             /* Built-in defaults, whatever kiosk.ini is installed on this machine. */
             "cd '%s' && mkdir -m 700 k other && export CPD_KIOSK_CONFIG=/dev/null && "
             "A='%s/cpd-admin' && "
             "$A --database k/kiosk.db kiosk init >/dev/null && "
             "$A --database k/kiosk.db import programme '%s/programme-2023-24.csv' "
             ">/dev/null 2>&1 && $A --database k/kiosk.db import roster "
             "'%s/demo-roster.csv' >/dev/null 2>&1 && "
             "$A --database k/kiosk.db tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 15:40' "
             ">/dev/null && $A --database other/kiosk.db kiosk init >/dev/null && "
             "cp other/kiosk.key k/kiosk.key",
             dir, programs(), data(), data());
    assert_int_equal(system(cmd), 0);
    snprintf(ini_text, sizeof(ini_text),
             "[kiosk]\ndatabase = %s/k/kiosk.db\n[reader]\ndriver = keyboard\n"
             "[display]\nsound = false\n",
             dir);
    uint32_t c = run_and_look(ini_text, false, "not the key this kiosk's records were made with",
                              0xB3261E, line, sizeof(line));
    assert_int_equal(c, 0xB3261E); /* the red band of "Out of order" */
    assert_non_null(strstr(line, "Restore it from backup"));
}

/* Acknowledged taps the database no longer holds (an older copy put back over it; a lost WAL
 * looks the same): the kiosk's start-up check names them from the receipts beside the file and
 * signs nothing on top — out of order, with the seqs. */
static void test_missing_acknowledged_taps_say_out_of_order(void **state)
{
    (void)state;
    char cmd[2048], line[512], ini_text[600];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && mkdir -m 700 behind && export CPD_KIOSK_CONFIG=/dev/null && "
             "A='%s/cpd-admin' && D=behind/kiosk.db && "
             "$A --database $D kiosk init >/dev/null && "
             "$A --database $D import programme '%s/programme-2023-24.csv' >/dev/null 2>&1 && "
             "$A --database $D import roster '%s/demo-roster.csv' >/dev/null 2>&1 && "
             "$A --database $D tap --badge 04:5A:2B:72:1C:6E:80 --at '2023-11-27 15:40' "
             ">/dev/null && cp $D behind/old.db && "
             "$A --database $D tap --badge C2:7F:3A:E5 --at '2023-11-27 15:41' >/dev/null && "
             "$A --database $D tap --badge 9b1f6c3d --at '2023-11-27 15:42' >/dev/null && "
             "cp behind/old.db $D",
             dir, programs(), data(), data());
    assert_int_equal(system(cmd), 0);
    snprintf(ini_text, sizeof(ini_text),
             "[kiosk]\ndatabase = %s/behind/kiosk.db\n[reader]\ndriver = keyboard\n"
             "[display]\nsound = false\n",
             dir);
    uint32_t c = run_and_look(ini_text, false, "acknowledged taps 2–3 are missing", 0xB3261E, line,
                              sizeof(line));
    assert_int_equal(c, 0xB3261E); /* the red band of "Out of order" */
    assert_non_null(strstr(line, "cpd-admin sync takes them back"));
}

static void test_missing_font_falls_back_with_a_banner(void **state)
{
    (void)state;
    char line[512];
    uint32_t c = run_and_look("[display]\nfont = No Such Font Family\nsound = false\n"
                              "[reader]\ndriver = keyboard\n",
                              true, "is not installed: showing", 0xF2B705, line, sizeof(line));
    assert_non_null(strstr(line, "Font \"No Such Font Family\" is not installed"));
    assert_int_equal(c, 0xF2B705); /* the amber warning banner */
}

static void test_reader_script_missing_shows_reader_down(void **state)
{
    (void)state;
    char line[512];
    uint32_t c = run_and_look("[reader]\ndriver = sim\nscript = /nonexistent/reader.fifo\n"
                              "[display]\nsound = false\n",
                              true, "reader down: Reader: cannot open the reader", 0xB3261E, line,
                              sizeof(line));
    assert_int_equal(c, 0xB3261E); /* the red reader banner */
}

/* [kiosk] log_file: each line is in the file as soon as it is logged, whole, so a kiosk killed
 * outright (SIGKILL: no exit, no flush) leaves everything it said there. */
static void test_log_file_lines_survive_a_kill(void **state)
{
    (void)state;
    char ini[512], text[1024], file[512], out[512], shot[512];
    snprintf(file, sizeof(file), "%s/kiosk-file.log", dir);
    snprintf(out, sizeof(out), "%s/stderr.log", dir);
    snprintf(shot, sizeof(shot), "%s/case.png", dir);
    snprintf(text, sizeof(text),
             "[kiosk]\nlog_file = %s\n[reader]\ndriver = keyboard\n[display]\nsound = false\n",
             file);
    test_write_file(dir, "logfile.ini", text, ini, sizeof(ini));
    kiosk = spawn_demo(ini, shot, out);
    if (!wait_for(file, "demo database ", 20000, NULL, 0))
        fail_msg("\"demo database\" never reached %s while the kiosk ran (its stderr: %s)", file,
                 out);
    /* A line logged later, while it runs, arrives as promptly. */
    assert_int_equal(kill(kiosk, SIGUSR1), 0);
    if (!wait_for(file, "screenshot ", 10000, NULL, 0))
        fail_msg("the screenshot's line never reached %s while the kiosk ran", file);
    assert_int_equal(kill(kiosk, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(kiosk, &status, 0), kiosk);
    kiosk = 0;
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* Every line whole: a newline last, and the program's name only at the start of one
     * (a library's own line, SDL's say, may be there too, whole as well). */
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char line[4200];
    int lines = 0, demo = 0, screenshots = 0;
    while (fgets(line, sizeof(line), f)) {
        lines += strncmp(line, "cpd-kiosk: ", 11) == 0;
        if (!strchr(line, '\n') || strstr(line + 1, "cpd-kiosk: "))
            fail_msg("not a whole log line in %s: \"%s\"", file, line);
        demo += strstr(line, "demo database ") != NULL;
        screenshots += strstr(line, "screenshot ") != NULL;
    }
    fclose(f);
    assert_true(lines >= 2);
    assert_int_equal(demo, 1);
    assert_int_equal(screenshots, 1);
}

/* A FIFO as [kiosk] log_file (nobody reading it): the kiosk neither hangs opening it nor stops;
 * it says why on standard error and logs there. */
static void test_a_fifo_as_the_log_file_hangs_nothing(void **state)
{
    (void)state;
    char ini[512], text[1024], fifo[512], out[512], shot[512];
    snprintf(fifo, sizeof(fifo), "%s/kiosk.fifo", dir);
    snprintf(out, sizeof(out), "%s/stderr.log", dir);
    snprintf(shot, sizeof(shot), "%s/case.png", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(text, sizeof(text),
             "[kiosk]\nlog_file = %s\n[reader]\ndriver = keyboard\n[display]\nsound = false\n",
             fifo);
    test_write_file(dir, "fifolog.ini", text, ini, sizeof(ini));
    kiosk = spawn_demo(ini, shot, out);
    if (!wait_for(out, "not a regular file", 20000, NULL, 0))
        fail_msg("no word of the FIFO on standard error (%s)", out);
    if (!wait_for(out, "demo database ", 20000, NULL, 0))
        fail_msg("the kiosk did not go on after refusing the FIFO (%s)", out);
    assert_int_equal(kill(kiosk, SIGTERM), 0);
    int status = 0;
    assert_int_equal(waitpid(kiosk, &status, 0), kiosk);
    kiosk = 0;
    unlink(fifo);
}

/* The real reader path: libnfc and the PN532 emulator, into the kiosk, into the database. */
static void test_kiosk_with_a_libnfc_reader(void **state)
{
    (void)state;
    char link[512], ini[1024], line[512];
    snprintf(link, sizeof(link), "%s/pn532", dir);
    struct pn532_emu *emu = NULL;
    assert_int_equal(pn532_emu_start(link, &emu), 0);
    snprintf(ini, sizeof(ini),
             "[reader]\ndriver = libnfc\nconnstring = pn532_uart:%s\n[display]\nsound = false\n",
             link);
    struct pn532_card gareth = pn532_card_iso14443_4("04:3B:19:D2:6A:71:81");
    pn532_emu_place(emu, &gareth);
    uint32_t c = run_and_look(ini, true, "demo database ", 0x1B7A34, line, sizeof(line));
    pn532_emu_stop(emu);
    assert_int_equal(c, 0x1B7A34); /* green: signed in */
}

/* The kiosk's window as the X server has it (not as SDL thinks it is). */
static bool window_geometry(int *w, int *h, int *x, int *y)
{
    char cmd[128], buf[512];
    snprintf(cmd, sizeof(cmd), "xwininfo -display :%d -root -tree 2>/dev/null", display);
    FILE *p = popen(cmd, "r");
    bool found = false;
    while (p && !found && fgets(buf, sizeof(buf), p)) {
        const char *at = strstr(buf, "\"CPD Kiosk\"");
        at = at ? strchr(at, ')') : NULL;
        found = at && sscanf(at + 1, " %dx%d+%d+%d", w, h, x, y) == 4;
    }
    if (p)
        pclose(p);
    return found;
}

/* Full screen with no window manager (as on a kiosk): the window is the display's own size, and
 * the whole of it is drawn — the top bar reaches the right edge and the background the bottom. */
static void fills_the_display(int want_w, int want_h)
{
    char line[512], log[512], shot[512];
    snprintf(log, sizeof(log), "%s/case.log", dir);
    snprintf(shot, sizeof(shot), "%s/case.png", dir);
    char kiosk_bin[512], env_display[32], env_shot[600], env_tmp[300], ini[512];
    test_write_file(dir, "full.ini", "[display]\nsound = false\n", ini, sizeof(ini));
    snprintf(kiosk_bin, sizeof(kiosk_bin), "%s/cpd-kiosk", programs());
    snprintf(env_display, sizeof(env_display), "DISPLAY=:%d", display);
    snprintf(env_shot, sizeof(env_shot), "CPD_KIOSK_SCREENSHOT=%s", shot);
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", dir);
    char *argv[] = {kiosk_bin, "--demo", "--config", ini, NULL};
    char *env[] = {env_display,          env_shot, env_tmp, "SDL_AUDIODRIVER=dummy",
                   "PATH=/usr/bin:/bin", NULL};
    kiosk = spawn(argv, env, log);
    if (!wait_for(log, "demo database ", 20000, line, sizeof(line)))
        fail_msg("the kiosk did not start; see %s", log);
    int w = 0, h = 0, x = -1, y = -1;
    for (int tries = 0; tries < 50 && !(w == want_w && h == want_h && x == 0 && y == 0); tries++) {
        if (!window_geometry(&w, &h, &x, &y) || w != want_w || h != want_h || x || y)
            sleep_ms(200);
    }
    assert_int_equal(w, want_w);
    assert_int_equal(h, want_h);
    assert_int_equal(x, 0);
    assert_int_equal(y, 0);
    w = h = 0;
    uint32_t corner = 0, top_right = 0;
    for (int tries = 0; tries < 50 && (w != want_w || h != want_h); tries++) {
        look(log, shot);
        cairo_surface_t *png = cairo_image_surface_create_from_png(shot);
        assert_int_equal(cairo_surface_status(png), CAIRO_STATUS_SUCCESS);
        w = cairo_image_surface_get_width(png);
        h = cairo_image_surface_get_height(png);
        const unsigned char *data = cairo_image_surface_get_data(png);
        int stride = cairo_image_surface_get_stride(png);
        top_right = *(const uint32_t *)(data + (size_t)4 * stride + (w - 4) * 4) & 0xFFFFFF;
        corner = *(const uint32_t *)(data + (size_t)(h - 4) * stride + (w - 4) * 4) & 0xFFFFFF;
        cairo_surface_destroy(png);
        if (w != want_w || h != want_h)
            sleep_ms(200);
    }
    kill(kiosk, SIGTERM);
    int status = 0;
    assert_int_equal(waitpid(kiosk, &status, 0), kiosk);
    kiosk = 0;
    assert_int_equal(w, want_w);
    assert_int_equal(h, want_h);
    assert_int_not_equal(top_right, 0); /* drawn to the edge: no black border */
    assert_int_not_equal(corner, 0);
    char keep[600];
    snprintf(keep, sizeof(keep), "%s/smoke-full-%dx%d.png", CPD_BINARY_DIR, want_w, want_h);
    rename(shot, keep);
}

/* The kiosk session of cpd-kiosk.service: the kiosk inside cage, Debian's Wayland kiosk
 * compositor, as an ordinary user (cage refuses root), here on wlroots' headless backend (no
 * display or seat in CI). It fills cage's output, whatever size that is, on its own. */
static void test_full_screen_in_cage(void **state)
{
    (void)state;
    const char *cage = "/usr/bin/cage";
    if (access(cage, X_OK) != 0)
        fail_msg("cage is not installed (Debian: cage, with xwayland)");
    char run[300], log[512], shot[400], kiosk_bin[512];
    snprintf(run, sizeof(run), "%s/cage", dir);
    snprintf(log, sizeof(log), "%s/cage.log", dir);
    snprintf(shot, sizeof(shot), "%s/shot.png", run);
    snprintf(kiosk_bin, sizeof(kiosk_bin), "%s/cpd-kiosk", programs());
    /* The user the kiosk runs as: nobody when the tests run as root. */
    uid_t user = geteuid() == 0 ? 65534 : geteuid();
    gid_t group = geteuid() == 0 ? 65534 : getegid();
    assert_int_equal(chmod(dir, 0711), 0);
    assert_int_equal(mkdir(run, 0700), 0);
    assert_int_equal(chown(run, user, group), 0);
    char env_home[320], env_run[340], env_tmp[320], env_shot[440];
    snprintf(env_home, sizeof(env_home), "HOME=%s", run);
    snprintf(env_run, sizeof(env_run), "XDG_RUNTIME_DIR=%s", run);
    snprintf(env_tmp, sizeof(env_tmp), "TMPDIR=%s", run);
    snprintf(env_shot, sizeof(env_shot), "CPD_KIOSK_SCREENSHOT=%s", shot);
    char ini[512];
    test_write_file(run, "cage.ini", "[reader]\ndriver = keyboard\n[display]\nsound = false\n", ini,
                    sizeof(ini));
    assert_int_equal(chmod(ini, 0644), 0);
    char *argv[] = {(char *)cage, "-d", "--", kiosk_bin, "--demo", "--config", ini, NULL};
    char *env[] = {env_home,
                   env_run,
                   env_tmp,
                   env_shot,
                   "WLR_BACKENDS=headless",
                   "WLR_LIBINPUT_NO_DEVICES=1",
                   "WLR_RENDERER=pixman",
                   "SDL_VIDEODRIVER=wayland",
                   "SDL_AUDIODRIVER=dummy",
                   "PATH=/usr/bin:/bin",
                   NULL};
    kiosk = spawn_as(argv, env, log, user, group);
    if (!wait_for(log, "first frame after", 20000, NULL, 0))
        fail_msg("the kiosk did not start in cage; see %s", log);
    /* cage's child is the kiosk: ask it for a screenshot. */
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "pkill -USR1 -P %d -x cpd-kiosk", (int)kiosk);
    assert_int_equal(system(cmd), 0);
    if (!wait_for(log, "screenshot ", 10000, NULL, 0))
        fail_msg("no screenshot; see %s", log);
    cairo_surface_t *png = cairo_image_surface_create_from_png(shot);
    assert_int_equal(cairo_surface_status(png), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(png), h = cairo_image_surface_get_height(png);
    const unsigned char *data = cairo_image_surface_get_data(png);
    int stride = cairo_image_surface_get_stride(png);
    uint32_t bar = *(const uint32_t *)(data + 4 * (size_t)stride + 4 * 4) & 0xFFFFFF;
    uint32_t page = *(const uint32_t *)(data + (size_t)(h * 3 / 4) * stride + 8) & 0xFFFFFF;
    cairo_surface_destroy(png);
    /* wlroots' headless output is 1280x720: the kiosk filled it, with no window around it. */
    assert_int_equal(w, 1280);
    assert_int_equal(h, 720);
    assert_true(((bar >> 16) & 0xFF) < 0x50 && ((bar >> 8) & 0xFF) < 0x50); /* the dark top bar */
    assert_true(((page >> 16) & 0xFF) > 0xD0);                              /* the light page */
    /* Stopping cage stops the kiosk, cleanly. */
    assert_int_equal(kill(kiosk, SIGTERM), 0);
    int status = 0;
    assert_int_equal(waitpid(kiosk, &status, 0), kiosk);
    kiosk = 0;
    char left[96];
    snprintf(left, sizeof(left), "pgrep -u %u -x cpd-kiosk >/dev/null", (unsigned)user);
    int gone = 0;
    for (int waited = 0; waited < 10000 && !gone; waited += 100, sleep_ms(100))
        gone = system(left) != 0;
    assert_true(gone);
}

static int setup_small(void **state)
{
    xvfb_size = "800x480x24";
    return setup(state);
}

static int setup_large(void **state)
{
    xvfb_size = "1920x1080x24";
    return setup(state);
}

static void test_full_screen_at_800x480_without_a_window_manager(void **state)
{
    (void)state;
    fills_the_display(800, 480);
}

static void test_full_screen_at_1920x1080_without_a_window_manager(void **state)
{
    (void)state;
    fills_the_display(1920, 1080);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_demo_kiosk_under_xvfb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tells_systemd_it_is_ready_and_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_screen_in_cage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_database_says_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_bad_config_says_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_foreign_key_says_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_acknowledged_taps_say_out_of_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_font_falls_back_with_a_banner, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reader_script_missing_shows_reader_down, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kiosk_with_a_libnfc_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_file_lines_survive_a_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_fifo_as_the_log_file_hangs_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_screen_at_800x480_without_a_window_manager,
                                        setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_full_screen_at_1920x1080_without_a_window_manager,
                                        setup_large, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
