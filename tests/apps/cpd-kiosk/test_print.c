/* The roll call to the office printer: a PDF handed to `lp -d PRINTER` (a stand-in lp on PATH
 * that keeps what it was given), its refusal said in its own words, no lp said plainly, and an
 * lp that hangs given up on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "apps/cpd-kiosk/print.h"
#include "tests/support/testutil.h"

static char dir[256];

static void fake_lp(const char *body)
{
    char path[512], text[1024];
    snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
    test_write_file(dir, "lp", text, path, sizeof(path));
    assert_int_equal(chmod(path, 0755), 0);
    char env[600];
    snprintf(env, sizeof(env), "%s:/usr/bin:/bin", dir);
    setenv("PATH", env, 1);
}

static void roll(struct report *r)
{
    memset(r, 0, sizeof(*r));
    static const char *const cols[] = {"Name", "Staff no", "Accounted for"};
    memcpy(r->columns, cols, sizeof(cols));
    r->n_columns = 3;
    snprintf(r->title, sizeof(r->title), "Roll call");
    struct report_row *row = report_add_row(r);
    assert_non_null(row);
    report_cell(row, 0, "Megan Crompton");
    report_cell(row, 1, "BIT0007");
    report_cell(row, 2, "\u2714 here");
}

static const struct paper_header header = {"Bolton Impact Trust", "Central Office",
                                           "2023-09-13 15:40"};

static char tmpdir_was[512], path_was[2048];

static int setup(void **state)
{
    (void)state;
    test_tempdir(dir, sizeof(dir));
    setenv("TMPDIR", dir, 1); /* where print.c makes its file: seen to be removed */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(dir);
    if (tmpdir_was[0])
        setenv("TMPDIR", tmpdir_was, 1);
    else
        unsetenv("TMPDIR");
    setenv("PATH", path_was, 1);
    return 0;
}

static void test_queued_with_lp(void **state)
{
    (void)state;
    char body[800];
    snprintf(body, sizeof(body),
             "echo \"$@\" > '%s/args'; for f; do last=$f; done; cp \"$last\" '%s/printed.pdf'", dir,
             dir);
    fake_lp(body);
    struct report r;
    roll(&r);
    char why[256] = "";
    assert_int_equal(print_report(&r, &header, "Office_Laser", why, sizeof(why)), 0);
    report_free(&r);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && grep -q '^-d Office_Laser -t CPD roll call -- %s/cpd-print-' args && "
             "pdftotext printed.pdf - | grep -q 'Megan Crompton' && "
             "test -z \"$(ls cpd-print-* 2>/dev/null)\"",
             dir, dir);
    assert_int_equal(system(cmd), 0); /* given to lp, then removed */
}

static void test_refused_in_lps_words(void **state)
{
    (void)state;
    fake_lp("printf 'lp: The printer or class does not exist.\\033[2J\\n' >&2; exit 1");
    struct report r;
    roll(&r);
    char why[256] = "";
    assert_int_equal(print_report(&r, &header, "Nowhere", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "lp: The printer or class does not exist."));
    assert_null(strchr(why, '\033')); /* shown, never obeyed */
    /* No lp at all. */
    setenv("PATH", "/nonexistent", 1);
    assert_int_equal(print_report(&r, &header, "Office", why, sizeof(why)), -1);
    assert_string_equal(why, "lp is not installed (Debian: cups-client)");
    report_free(&r);
}

/* lp's last word after a blank line or a flood, and a child of lp that keeps the pipe open:
 * said, and the kiosk does not wait on the child. */
static void test_what_lp_says_whatever_it_does(void **state)
{
    (void)state;
    fake_lp("printf '\\nlp: Unable to connect to server\\n\\n' >&2; exit 1");
    struct report r;
    roll(&r);
    char why[256] = "";
    assert_int_equal(print_report(&r, &header, "Office", why, sizeof(why)), -1);
    assert_string_equal(why, "lp: Unable to connect to server");
    fake_lp("head -c 200000 /dev/zero | tr '\\0' x >&2; echo >&2; echo 'lp: flooded' >&2; exit 1");
    assert_int_equal(print_report(&r, &header, "Office", why, sizeof(why)), -1);
    assert_string_equal(why, "lp: flooded");
    fake_lp("(sleep 30 &) ; echo 'lp: error' >&2; exit 1");
    time_t t0 = time(NULL);
    assert_int_equal(print_report(&r, &header, "Office", why, sizeof(why)), -1);
    assert_true(time(NULL) - t0 < 5);
    assert_string_equal(why, "lp: error");
    report_free(&r);
}

static void test_a_hung_lp_is_given_up(void **state)
{
    (void)state;
    fake_lp("exec sleep 60");
    struct report r;
    roll(&r);
    char why[256] = "";
    assert_int_equal(print_report(&r, &header, "Office", why, sizeof(why)), -1);
    assert_string_equal(why, "lp did not finish in 10 seconds (is CUPS running?)");
    report_free(&r);
}

int main(void)
{
    const char *t = getenv("TMPDIR"), *p = getenv("PATH");
    snprintf(tmpdir_was, sizeof(tmpdir_was), "%s", t ? t : "");
    snprintf(path_was, sizeof(path_was), "%s", p ? p : "/usr/bin:/bin");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queued_with_lp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_in_lps_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_what_lp_says_whatever_it_does, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_hung_lp_is_given_up, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
