/* A scratch folder goes where the user keeps temporary files ($TMPDIR), private to its owner;
 * one that cannot be made, or whose path would not fit, says so. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/tempdir.h"

static void test_a_scratch_folder_is_made_under_tmpdir_and_private(void **state)
{
    (void)state;
    char base[] = "/tmp/cpd-test-tempdir-XXXXXX", dir[4096], want[4200];
    assert_non_null(mkdtemp(base));
    setenv("TMPDIR", base, 1);
    assert_int_equal(tempdir_make(dir, sizeof(dir), "cpd-report"), 0);
    snprintf(want, sizeof(want), "%s/cpd-report-", base);
    assert_int_equal(strncmp(dir, want, strlen(want)), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(rmdir(dir), 0);
    /* Where it cannot be made: the reason, and the path it tried. */
    char missing[4200];
    snprintf(missing, sizeof(missing), "%s/gone", base);
    setenv("TMPDIR", missing, 1);
    assert_int_equal(tempdir_make(dir, sizeof(dir), "cpd-report"), ENOENT);
    assert_non_null(strstr(dir, "/gone/cpd-report-"));
    /* A path that would not fit is refused, never cut. */
    assert_int_equal(tempdir_make(dir, 16, "cpd-report"), ENAMETOOLONG);
    /* Without TMPDIR: /tmp. */
    unsetenv("TMPDIR");
    assert_int_equal(tempdir_make(dir, sizeof(dir), "cpd-report"), 0);
    assert_int_equal(strncmp(dir, "/tmp/cpd-report-", 16), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(rmdir(base), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_scratch_folder_is_made_under_tmpdir_and_private),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
