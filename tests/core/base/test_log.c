/* The log: journald priorities only when standard error is the journal's stream; a log file
 * gets each line whole and at once. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "core/base/error.h"
#include "core/base/log.h"
#include "tests/support/testutil.h"

/* Logs one line with standard error on a fresh file, JOURNAL_STREAM as journal says ("self":
 * that file's own device and inode), and returns what was written. */
static void logged(const char *journal, enum log_priority p, const char *text, char *out,
                   size_t cap)
{
    char path[] = "/tmp/cpd-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_int_equal(dup2(fd, 2), 2);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char self[64];
    snprintf(self, sizeof(self), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    if (journal)
        setenv("JOURNAL_STREAM", strcmp(journal, "self") == 0 ? self : journal, 1);
    else
        unsetenv("JOURNAL_STREAM");
    log_init("cpd-kiosk");
    log_line(p, "%s", text);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fdopen(fd, "r");
    assert_non_null(f);
    rewind(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(path);
}

static void test_priorities_only_for_the_journal(void **state)
{
    (void)state;
    char out[256];
    logged("self", LOG_ERROR, "reader down: gone", out, sizeof(out));
    assert_string_equal(out, "<3>cpd-kiosk: reader down: gone\n");
    logged("self", LOG_WARNING, "w", out, sizeof(out));
    assert_string_equal(out, "<4>cpd-kiosk: w\n");
    logged("self", LOG_INFO, "first frame after 9 ms", out, sizeof(out));
    assert_string_equal(out, "<6>cpd-kiosk: first frame after 9 ms\n");
    /* A terminal, or a log file standard error was reopened onto: plain lines. */
    logged(NULL, LOG_ERROR, "plain", out, sizeof(out));
    assert_string_equal(out, "cpd-kiosk: plain\n");
    logged("1:2", LOG_ERROR, "another stream", out, sizeof(out));
    assert_string_equal(out, "cpd-kiosk: another stream\n");
    logged("garbage", LOG_ERROR, "x", out, sizeof(out));
    assert_string_equal(out, "cpd-kiosk: x\n");
}

/* A process killed outright (no exit, no flush) leaves every line it logged in the file; a
 * line too long for the log is cut visibly, on a whole character. */
static void test_a_log_file_keeps_lines_through_a_kill(void **state)
{
    (void)state;
    char path[] = "/tmp/cpd-logfile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        unsetenv("JOURNAL_STREAM");
        log_init("cpd-kiosk");
        if (log_to_file(path) != LOG_OK)
            _exit(3);
        log_line(LOG_ERROR, "tap not recorded: %s", "disk is full");
        log_line(LOG_INFO, "second");
        char long_text[6000];
        memset(long_text, 'x', sizeof(long_text) - 3);
        memcpy(long_text + 4079, "é", 2); /* a character the cut falls inside */
        long_text[sizeof(long_text) - 1] = '\0';
        log_line(LOG_INFO, "%s", long_text);
        raise(SIGKILL);
        _exit(4);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    size_t len = 0;
    char *text = test_read_all(path, &len);
    unlink(path);
    const char *want = "cpd-kiosk: tap not recorded: disk is full\ncpd-kiosk: second\n";
    assert_memory_equal(text, want, strlen(want));
    /* Cut to 4 KiB with its newline, where the "é" would have been split: dropped whole. */
    const char *last = text + strlen(want);
    assert_int_equal(len - strlen(want), 11 + 4079 + strlen("…\n"));
    assert_memory_equal(last, "cpd-kiosk: ", 11);
    assert_int_equal(strspn(last + 11, "x"), 4079);
    assert_string_equal(last + 11 + 4079, "…\n");
    free(text);
}

/* A log file that cannot be opened leaves standard error where it was. */
static void test_a_log_file_that_cannot_open(void **state)
{
    (void)state;
    struct stat before, after;
    assert_int_equal(fstat(2, &before), 0);
    errno = 0;
    assert_int_equal(log_to_file("/nonexistent/dir/kiosk.log"), LOG_EOPEN);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(fstat(2, &after), 0);
    assert_true(before.st_dev == after.st_dev && before.st_ino == after.st_ino);
    assert_string_equal(cpd_strerror(LOG_EOPEN), "cannot open the log file");
}

/* A FIFO (nobody reading, or someone) or a device as the log file is refused at once: opening
 * a FIFO with no reader would hang the kiosk's start without a word, one with a reader could
 * block every line. Standard error is left as it was. */
static void test_a_log_file_that_is_no_regular_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/cpd-logfifo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char fifo[64];
    snprintf(fifo, sizeof(fifo), "%s/log", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct stat before, after;
    assert_int_equal(fstat(2, &before), 0);
    assert_int_equal(log_to_file(fifo), LOG_ENOTFILE);
    int reader = open(fifo, O_RDONLY | O_NONBLOCK); /* someone reading: still no file */
    assert_true(reader >= 0);
    assert_int_equal(log_to_file(fifo), LOG_ENOTFILE);
    close(reader);
    assert_int_equal(log_to_file("/dev/zero"), LOG_ENOTFILE);
    assert_int_equal(fstat(2, &after), 0);
    assert_true(before.st_dev == after.st_dev && before.st_ino == after.st_ino);
    unlink(fifo);
    rmdir(dir);
    assert_non_null(strstr(cpd_strerror(LOG_ENOTFILE), "not a regular file"));
}

enum { THREADS = 4, LINES = 300, TEXT = 3000 };

static void *log_many(void *arg)
{
    char text[TEXT + 1];
    memset(text, 'a' + (int)(intptr_t)arg, TEXT);
    text[TEXT] = '\0';
    for (int i = 0; i < LINES; i++)
        log_line(LOG_INFO, "%s", text);
    return NULL;
}

/* Lines logged by several threads at once arrive each whole, never mixed. */
static void test_threads_lines_never_mix(void **state)
{
    (void)state;
    char path[] = "/tmp/cpd-logfile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fflush(stderr);
    int saved = dup(2);
    unsetenv("JOURNAL_STREAM");
    log_init("t");
    assert_int_equal(log_to_file(path), LOG_OK);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, log_many, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    dup2(saved, 2);
    close(saved);
    size_t len = 0;
    char *text = test_read_all(path, &len);
    unlink(path);
    assert_int_equal(len, (size_t)THREADS * LINES * (3 + TEXT + 1));
    for (size_t at = 0; at < len; at += 3 + TEXT + 1) {
        assert_memory_equal(text + at, "t: ", 3);
        char c = text[at + 3];
        assert_true(c >= 'a' && c < 'a' + THREADS);
        for (size_t j = 0; j < TEXT; j++) {
            if (text[at + 3 + j] != c)
                fail_msg("line at byte %zu mixes two threads' text", at);
        }
        assert_int_equal(text[at + 3 + TEXT], '\n');
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priorities_only_for_the_journal),
        cmocka_unit_test(test_a_log_file_keeps_lines_through_a_kill),
        cmocka_unit_test(test_a_log_file_that_cannot_open),
        cmocka_unit_test(test_a_log_file_that_is_no_regular_file),
        cmocka_unit_test(test_threads_lines_never_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
