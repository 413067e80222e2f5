/* Files written whole or not at all: a write that fails (here a file size limit, as a full
 * disk would) leaves what was there and no partial file; a device is written to, never
 * replaced; a new file is 0600. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/safefile.h"

static char dir[] = "/tmp/cpd-safefile-XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static int entries(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_whole_or_not_at_all(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    char path[128], text[64];
    snprintf(path, sizeof(path), "%s/report.pdf", dir);
    write_file(path, "the good one");
    /* Fails part-way: the old file stays, nothing else is left. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, small = {16384, 16384};
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_max = old.rlim_max;
    struct safefile f;
    assert_int_equal(safefile_open(&f, path), SAFEFILE_OK);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    for (int i = 0; i < 4096; i++)
        fputs("0123456789abcdef", f.f);
    assert_int_equal(safefile_close(&f, true), SAFEFILE_EWRITE);
    setrlimit(RLIMIT_FSIZE, &old);
    read_file(path, text, sizeof(text));
    assert_string_equal(text, "the good one");
    assert_int_equal(entries(), 1);
    /* Abandoned (the report failed before it was written): the same. */
    assert_int_equal(safefile_open(&f, path), SAFEFILE_OK);
    fputs("half", f.f);
    assert_int_equal(safefile_close(&f, false), SAFEFILE_OK);
    read_file(path, text, sizeof(text));
    assert_string_equal(text, "the good one");
    assert_int_equal(entries(), 1);
    /* Written whole: replaced, 0600. */
    assert_int_equal(safefile_open(&f, path), SAFEFILE_OK);
    fputs("the new one", f.f);
    assert_int_equal(safefile_close(&f, true), SAFEFILE_OK);
    read_file(path, text, sizeof(text));
    assert_string_equal(text, "the new one");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(entries(), 1);
    /* A device: written to, its failure said, never replaced by a file. */
    assert_int_equal(safefile_open(&f, "/dev/full"), SAFEFILE_OK);
    fputs("x", f.f);
    assert_int_equal(safefile_close(&f, true), SAFEFILE_EWRITE);
    assert_int_equal(stat("/dev/full", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    /* Nowhere to write. */
    assert_int_equal(safefile_open(&f, "/nonexistent/dir/r.pdf"), SAFEFILE_EOPEN);
    assert_int_equal(safefile_open(&f, ""), SAFEFILE_EOPEN);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_whole_or_not_at_all)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
