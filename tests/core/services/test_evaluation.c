/* "How useful was tonight?": one answer per person and session from someone who was there,
 * counted per session; the report's counts and averages. A real SQLite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/services/corrections.h"
#include "core/services/evaluation.h"
#include "tests/support/testutil.h"

#define GARETH "04-3B-19-D2-6A-71-81" /* BIT0004 */
#define MEGAN  "C2:7F:3A:E5"          /* BIT0007 */
#define JOANNE "9b1f6c3d"             /* BIT0009 */

static int setup(void **state)
{
    struct testkiosk *k = calloc(1, sizeof(*k));
    testkiosk_open(k, true);
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    testkiosk_close(*state);
    free(*state);
    return 0;
}

static void attend(struct testkiosk *k, const char *badge, const char *day)
{
    char in[32], out[32];
    snprintf(in, sizeof(in), "%s 15:10", day);
    snprintf(out, sizeof(out), "%s 18:15", day);
    assert_int_equal(test_tap(k, badge, in, NULL, NULL), TAP_SIGNED_IN);
    assert_int_equal(test_tap(k, badge, out, NULL, NULL), TAP_SIGNED_OUT);
}

static int answer(struct testkiosk *k, const char *staff_no, const char *code, int score)
{
    struct person p;
    struct session s;
    assert_int_equal(store_person_by_staff_no(k->store, staff_no, &p), STORE_OK);
    assert_int_equal(store_session_by_code(k->store, code, &s), STORE_OK);
    return evaluation_record(k->store, "test", &p, &s, score, s.end_us + 60000000, 0);
}

static int64_t events(struct testkiosk *k)
{
    int64_t n = 0;
    assert_int_equal(store_count(k->store, "events", &n), STORE_OK);
    return n;
}

static void test_one_answer_from_someone_who_was_there(void **state)
{
    struct testkiosk *k = *state;
    attend(k, GARETH, "2023-09-13");
    int64_t before;
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-1", 0), STORE_EINVALID);
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-1", 6), STORE_EINVALID);
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-1", -2147483647 - 1), STORE_EINVALID);
    assert_int_equal(answer(k, "BIT0007", "cpi-autumn-1", 5), STORE_EINVALID); /* not there */
    assert_int_equal(test_tap(k, MEGAN, "2023-09-14 15:10", NULL, NULL), TAP_SIGNED_IN);
    assert_int_equal(answer(k, "BIT0007", "cpi-autumn-2", 5), STORE_EINVALID); /* still in */
    before = events(k);
    assert_int_equal(events(k), before);
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-1", 4), STORE_OK);
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-1", 1), STORE_EINVALID); /* first stands */
    assert_int_equal(events(k), before + 1);
    struct evaluation_tally t;
    assert_int_equal(evaluation_tally_of(k->store, "cpi-autumn-1", &t), STORE_OK);
    assert_int_equal(t.answers, 1);
    assert_int_equal(t.count[3], 1);
    char words[80];
    evaluation_words(&t, words, sizeof(words));
    assert_string_equal(words, "1 answer, average 4.0 of 5");
    /* It is an event like any other: in the chain, verified. */
    struct event e;
    assert_int_equal(store_last_event_of(k->store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_EVALUATION);
    assert_string_equal(e.payload, "{\"score\":4}");
    assert_int_equal(store_rebuild_projections(k->store), STORE_OK);
}

static void test_the_report_counts_and_averages(void **state)
{
    struct testkiosk *k = *state;
    attend(k, GARETH, "2023-09-13");
    attend(k, MEGAN, "2023-09-13");
    attend(k, JOANNE, "2023-09-13");
    attend(k, GARETH, "2023-09-14");
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-1", 5), STORE_OK);
    assert_int_equal(answer(k, "BIT0007", "cpi-autumn-1", 4), STORE_OK);
    assert_int_equal(answer(k, "BIT0009", "cpi-autumn-1", 4), STORE_OK);
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-2", 2), STORE_OK);
    struct report r;
    assert_int_equal(report_evaluations(k->store, test_at("2023-09-30 12:00"), &r), STORE_OK);
    assert_int_equal(r.n_rows, 2);
    assert_string_equal(r.rows[0].cells[0], "2023-09-13");
    assert_string_equal(r.rows[0].cells[2], "cpi-autumn-1");
    assert_string_equal(r.rows[0].cells[3], "3");
    assert_string_equal(r.rows[0].cells[4], "4.3"); /* 13 / 3, rounded */
    const char *counts[] = {"0", "0", "0", "2", "1"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(r.rows[0].cells[5 + i], counts[i]);
    assert_string_equal(r.rows[1].cells[2], "cpi-autumn-2");
    assert_string_equal(r.rows[1].cells[4], "2.0");
    assert_string_equal(r.lines[1], "2 sessions, 4 answers, average 3.8");
    report_free(&r);
    /* As of the evening of the 13th: the 14th's answer is not there yet. */
    assert_int_equal(report_evaluations(k->store, test_at("2023-09-13 23:00"), &r), STORE_OK);
    assert_int_equal(r.n_rows, 1);
    report_free(&r);
    /* None at all: said so, not an empty table with no words. */
    assert_int_equal(report_evaluations(k->store, test_at("2023-09-13 12:00"), &r), STORE_OK);
    assert_int_equal(r.n_rows, 0);
    assert_string_equal(r.lines[1], "0 sessions, 0 answers");
    report_free(&r);
    /* Joanne's attendance voided (tapped into the wrong session): her answer no longer counts. */
    struct person joanne;
    struct session s1;
    assert_int_equal(store_person_by_staff_no(k->store, "BIT0009", &joanne), STORE_OK);
    assert_int_equal(store_session_by_code(k->store, "cpi-autumn-1", &s1), STORE_OK);
    struct correction c = {.store = k->store,
                           .rules = &k->rules,
                           .by = "office",
                           .reason = "wrong session",
                           .clock_state = "test",
                           .now_us = test_at("2023-09-15 09:00")};
    const char *why = "";
    assert_int_equal(correct_void(&c, &joanne, &s1, &why), STORE_OK);
    struct evaluation_tally t;
    assert_int_equal(evaluation_tally_of(k->store, "cpi-autumn-1", &t), STORE_OK);
    assert_int_equal(t.answers, 2);
    assert_int_equal(t.sum, 9);
}

/* Two answers from one person for one session (two kiosks' events merged, as on the ledger's
 * copy): the first counts, once. */
static void test_a_second_answer_elsewhere_counts_once(void **state)
{
    struct testkiosk *k = *state;
    attend(k, GARETH, "2023-09-13");
    assert_int_equal(answer(k, "BIT0004", "cpi-autumn-1", 2), STORE_OK);
    struct event e;
    assert_int_equal(event_make(&e, EV_EVALUATION, "BIT0004", "cpi-autumn-1",
                                test_at("2023-09-13 18:30"), 0, "test", "{\"score\":5}"),
                     EVENT_OK);
    assert_int_equal(store_append_event(k->store, &e), STORE_OK);
    struct evaluation_tally t;
    assert_int_equal(evaluation_tally_of(k->store, "cpi-autumn-1", &t), STORE_OK);
    assert_int_equal(t.answers, 1);
    assert_int_equal(t.sum, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_answer_from_someone_who_was_there, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_report_counts_and_averages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_second_answer_elsewhere_counts_once, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
