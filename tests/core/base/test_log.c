/* The log: journald priorities only when standard error is the journal's stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/log.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priorities_only_for_the_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
