/* Reports as PDF, read back with poppler (pdfinfo, pdftotext, pdftoppm) as a person would read
 * the printout: the pages, every name and figure, text that wraps instead of being cut, a
 * statement a page with its heading again when it runs on, and a write that fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/support/testutil.h"
#include "ui/sdl/paper.h"

static char dir[256];
static char text[1 << 20];

static const struct paper_header header = {
    .trust = "Bolton Impact Trust", .site = "Central Office", .generated = "2024-01-22 16:05"};

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

static struct report_row *row(struct report *r)
{
    struct report_row *x = report_add_row(r);
    assert_non_null(x);
    return x;
}

/* Writes the report to dir/name.pdf; its page count. */
static int write_pdf(const struct report *r, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.pdf", dir, name);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    int pages = -1;
    assert_int_equal(paper_write_pdf(r, &header, out, &pages), PAPER_OK);
    assert_int_equal(fclose(out), 0);
    return pages;
}

/* The output of a poppler command on dir/name.pdf, in text. */
static void poppler(const char *command, const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cd '%s' && %s '%s.pdf' %s 2>&1", dir, command, name,
             strncmp(command, "pdftotext", 9) == 0 ? "-" : "");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(text, 1, sizeof(text) - 1, p);
    text[n] = '\0';
    assert_int_equal(pclose(p), 0);
}

static int pdfinfo_pages(const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cd '%s' && pdfinfo '%s.pdf' | sed -n 's/^Pages: *//p'", dir, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int pages = -1;
    assert_int_equal(fscanf(p, "%d", &pages), 1);
    pclose(p);
    return pages;
}

#define assert_text_has(s)                                                                         \
    do {                                                                                           \
        if (!strstr(text, (s)))                                                                    \
            fail_msg("expected \"%s\" in the PDF's text:\n%.2000s", (s), text);                    \
    } while (0)

static void evacuation(struct report *r, int people)
{
    static const char *const columns[] = {"Name",    "Staff no", "Role",
                                          "Session", "Room",     "Signed in"};
    memset(r, 0, sizeof(*r));
    snprintf(r->title, sizeof(r->title), "Evacuation list: Central Office");
    snprintf(r->lines[r->n_lines++], REPORT_LINE, "Everyone signed in for CPD at 2024-01-22 16:05");
    snprintf(r->lines[r->n_lines++], REPORT_LINE, "%d people in the building", people);
    r->n_columns = 6;
    memcpy(r->columns, columns, sizeof(columns));
    for (int i = 0; i < people; i++) {
        struct report_row *x = row(r);
        report_cell(x, 0, "Person Number%03d", i);
        report_cell(x, 1, "BIT%04d", i);
        report_cell(x, 2, "staff");
        report_cell(x, 3, "Feedback and questioning");
        report_cell(x, 4, "Central Office");
        report_cell(x, 5, "2024-01-22 15:4%d", i % 10);
    }
}

/* The fire warden's list: 60 people on one printed page, every one of them on it. */
static void test_evacuation_fits_sixty_on_a_page(void **state)
{
    (void)state;
    struct report r;
    evacuation(&r, 60);
    assert_int_equal(write_pdf(&r, "evac"), 1);
    assert_int_equal(pdfinfo_pages("evac"), 1);
    poppler("pdfinfo", "evac");
    assert_text_has("595.276 x 841.89 pts (A4)");
    poppler("pdftotext -layout", "evac");
    assert_text_has("Bolton Impact Trust · Central Office");
    assert_text_has("Generated 2024-01-22 16:05");
    assert_text_has("60 people in the building");
    assert_text_has("Page 1 of 1");
    for (int i = 0; i < 60; i++) {
        char name[32];
        snprintf(name, sizeof(name), "Person Number%03d", i);
        assert_text_has(name);
    }
    report_free(&r);
    /* Twice as many: more pages, the header row and "of M" on each. */
    evacuation(&r, 150);
    int pages = write_pdf(&r, "evac150");
    assert_true(pages >= 3);
    assert_int_equal(pdfinfo_pages("evac150"), pages);
    poppler("pdftotext -layout", "evac150");
    char last[32];
    snprintf(last, sizeof(last), "Page %d of %d", pages, pages);
    assert_text_has(last);
    assert_text_has("Person Number149");
    report_free(&r);
}

/* A cell or a line too long for its column wraps onto more lines: its last word is printed. */
static void test_long_text_wraps_never_cut(void **state)
{
    (void)state;
    struct report r;
    evacuation(&r, 2);
    char note[REPORT_CELL] = "";
    size_t used = 0;
    while (used + 12 < REPORT_CELL - 10)
        used += (size_t)snprintf(note + used, sizeof(note) - used, "safeguarding ");
    snprintf(note + used, sizeof(note) - used, "LASTWORD");
    report_cell(&r.rows[1], 3, "%s", note);
    /* One word wider than any column: broken across lines, every character kept. */
    char word[201];
    memset(word, 'W', 200);
    word[200] = '\0';
    report_cell(&r.rows[0], 4, "%s", word);
    memset(r.lines[1], 0, REPORT_LINE);
    for (int i = 0; strlen(r.lines[1]) + 12 < REPORT_LINE - 12; i++)
        strcat(r.lines[1], "everybody ");
    strcat(r.lines[1], "ENDOFLINE");
    assert_int_equal(write_pdf(&r, "long"), 1);
    poppler("pdftotext -raw", "long");
    assert_text_has("LASTWORD");
    assert_text_has("ENDOFLINE");
    size_t ws = 0;
    for (const char *p = text; *p; p++)
        ws += *p == 'W';
    assert_true(ws >= 200);
    report_free(&r);
}

/* Statements: a person a page (more when it runs on, with the heading again), their lines and
 * the chart's figures; a register's signature line. */
static void test_sections_and_signature(void **state)
{
    (void)state;
    static const char *const columns[] = {"Academy", "Name",    "Staff no", "Date",
                                          "Item",    "Credits", "Total"};
    struct report r = {.n_columns = 7, .section_columns = 3};
    memcpy(r.columns, columns, sizeof(columns));
    snprintf(r.title, sizeof(r.title), "Statements: the year");
    r.sections = calloc(3, sizeof(*r.sections));
    assert_non_null(r.sections);
    r.n_sections = r.cap_sections = 3;
    static const char *const names[] = {"Sarah Whitworth", "Tom Haslam", "Priya Chaudhry"};
    static const size_t items[] = {3, 0, 120};
    for (int p = 0; p < 3; p++) {
        struct report_section *sec = &r.sections[p];
        sec->first_row = r.n_rows;
        sec->n_rows = items[p];
        snprintf(sec->heading, sizeof(sec->heading), "%s — BIT000%d, Riverside Academy", names[p],
                 p + 1);
        snprintf(sec->lines[sec->n_lines++], REPORT_LINE, "Credits this year: %d of 16", 4 * p);
        sec->term_q[0] = 16 * p;
        sec->term_breach[1] = p == 1;
        sec->total_q = 16 * p;
        sec->target_q = 64;
        for (size_t i = 0; i < items[p]; i++) {
            struct report_row *x = row(&r);
            report_cell(x, 1, "%s", names[p]);
            report_cell(x, 3, "2023-10-%02zu", 1 + i % 28);
            report_cell(x, 4, "Item %zu of %s", i, names[p]);
            report_cell(x, 5, "0.25");
        }
    }
    r.signature = true;
    int pages = write_pdf(&r, "statements");
    assert_true(pages >= 4); /* 120 items do not fit one page */
    assert_int_equal(pdfinfo_pages("statements"), pages);
    poppler("pdftotext -layout", "statements");
    assert_text_has("Sarah Whitworth — BIT0001, Riverside Academy");
    assert_text_has("Tom Haslam — BIT0002, Riverside Academy");
    assert_text_has("Nothing to list.");
    assert_text_has("Priya Chaudhry — BIT0003, Riverside Academy (continued)");
    assert_text_has("Item 119 of Priya Chaudhry");
    assert_text_has("Credits this year: 8 of 16");
    assert_text_has("0 BREACH"); /* Tom's spring, in words as well as a dashed bar */
    assert_text_has("8 of 16");  /* Priya's year on the chart */
    assert_text_has("Signature");
    /* The columns the heading says are not repeated on the page. */
    assert_null(strstr(text, "Academy  "));
    /* Pages render: each one has ink, and the first page's top carries the title. */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && pdftoppm -r 40 -gray -f 1 -l 1 statements.pdf page && ls page*.pgm", dir);
    FILE *p = popen(cmd, "r");
    char pgm[256] = "";
    assert_non_null(fgets(pgm, sizeof(pgm), p));
    pclose(p);
    pgm[strcspn(pgm, "\n")] = '\0';
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", dir, pgm);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    int w = 0, h = 0, max = 0;
    assert_int_equal(fscanf(f, "P5 %d %d %d", &w, &h, &max), 3);
    fgetc(f);
    unsigned char *px = malloc((size_t)w * (size_t)h);
    assert_int_equal(fread(px, 1, (size_t)w * (size_t)h, f), (size_t)w * (size_t)h);
    fclose(f);
    size_t dark_top = 0;
    for (int y = 0; y < h / 8; y++)
        for (int x = 0; x < w; x++)
            dark_top += px[y * w + x] < 128;
    assert_true(dark_top > 200);
    free(px);
    report_free(&r);
}

/* A name with a byte cairo would refuse prints as the rest of the page does: the page is
 * not blank and the write succeeds. */
static void test_a_bad_byte_does_not_blank_the_page(void **state)
{
    (void)state;
    struct report r;
    evacuation(&r, 3);
    report_cell(&r.rows[1], 0, "Bad \xff byte \x1b[2J Name");
    assert_int_equal(write_pdf(&r, "bad"), 1);
    poppler("pdftotext -layout", "bad");
    assert_text_has("Person Number000");
    assert_text_has("Person Number002");
    assert_text_has("byte");
    assert_text_has("Name");
    report_free(&r);
}

static void test_a_failed_write_says_so(void **state)
{
    (void)state;
    struct report r;
    evacuation(&r, 60);
    FILE *full = fopen("/dev/full", "wb");
    assert_non_null(full);
    setvbuf(full, NULL, _IONBF, 0);
    int pages = 7;
    assert_int_equal(paper_write_pdf(&r, &header, full, &pages), PAPER_EWRITE);
    assert_int_equal(pages, 0);
    fclose(full);
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_evacuation_fits_sixty_on_a_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_text_wraps_never_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sections_and_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_bad_byte_does_not_blank_the_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_write_says_so, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
