/* Reports against brochure sessions: the register of 27 Nov 2023's in-class support session,
 * golden, in CSV (as Excel reads it) and as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/services/corrections.h"
#include "core/services/at_risk.h"
#include "core/services/report.h"
#include "core/services/tapflow.h"
#include "tests/support/testutil.h"

#define SARAH "04:5A:2B:72:1C:6E:80" /* BIT0001, booked */
#define TOM   "04D7E2A2B95C81"       /* BIT0008, not booked */

static char *write_all(const struct report *r, bool csv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(csv ? report_write_csv(r, out) : report_write_text(r, out), STORE_OK);
    fclose(out);
    return text;
}

/* The autumn CPI cohort: Joanne at all four sessions, Megan at the first three. */
static const char *const cpi_autumn_days[4] = {"2023-09-13", "2023-09-14", "2023-09-20",
                                               "2023-09-21"};

static void attend_cpi_autumn(struct testkiosk *k)
{
    char in[32], out[32];
    for (int d = 0; d < 4; d++) {
        snprintf(in, sizeof(in), "%s 15:10", cpi_autumn_days[d]);
        snprintf(out, sizeof(out), "%s 18:16", cpi_autumn_days[d]);
        assert_int_equal(test_tap(k, "9b1f6c3d", in, NULL, NULL), TAP_SIGNED_IN);
        assert_int_equal(test_tap(k, "9b1f6c3d", out, NULL, NULL), TAP_SIGNED_OUT);
        if (d < 3) {
            assert_int_equal(test_tap(k, "C2:7F:3A:E5", in, NULL, NULL), TAP_SIGNED_IN);
            assert_int_equal(test_tap(k, "C2:7F:3A:E5", out, NULL, NULL), TAP_SIGNED_OUT);
        }
    }
}

static void test_register_golden(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    /* Sarah late at 15:58, never out (the office corrects it); Tom unbooked, leaves at 16:50 and
     * confirms; Hannah and Priya booked, absent. */
    assert_int_equal(test_tap(&k, SARAH, "2023-11-27 15:58", NULL, NULL), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, TOM, "2023-11-27 15:40", "au2-in-class-support", NULL),
                     TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, TOM, "2023-11-27 16:50", NULL, NULL), TAP_CONFIRM_LEAVE);
    assert_int_equal(test_tap(&k, TOM, "2023-11-27 16:50:05", NULL, NULL), TAP_SIGNED_OUT);
    struct person sarah;
    struct session s;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0001", &sarah), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "au2-in-class-support", &s), STORE_OK);
    struct correction c = {.store = k.store,
                           .rules = &k.rules,
                           .by = "J Smith (office)",
                           .reason = "forgot to tap, left at the end",
                           .now_us = test_at("2023-11-28 09:00"),
                           .mono_us = test_at("2023-11-28 09:00")};
    const char *why = "";
    assert_int_equal(correct_sign_out(&c, &sarah, &s, test_at("2023-11-27 17:15"), &why), STORE_OK);

    struct report r;
    assert_int_equal(report_register(k.store, &k.rules, "Central Office", "au2-in-class-support",
                                     test_at("2024-07-20 09:00"), &r),
                     STORE_OK);
    char *csv = write_all(&r, true);
    const char *golden =
        "\xEF\xBB\xBF"
        "\"Name\",\"Staff no\",\"Academy\",\"Booked\",\"In\",\"Out\",\"Flags\",\"Credits\","
        "\"By hand and corrections\"\r\n"
        "\"Tom Haslam\",\"BIT0008\",\"Kingsway Academy\",\"no\",\"2023-11-27 15:40\","
        "\"2023-11-27 16:50\",\"left early 24 min; came without booking\",\"1 (review)\",\"\"\r\n"
        "\"Sarah Whitworth\",\"BIT0001\",\"Riverside Academy\",\"yes\",\"2023-11-27 15:58\","
        "\"2023-11-27 17:15\",\"late 13 min\",\"1.25 (review)\","
        "\"signed out by hand by J Smith (office): forgot to tap, left at the end\"\r\n"
        "\"Priya Chaudhry\",\"BIT0003\",\"Hollins Brook Academy\",\"yes\",\"\",\"\","
        "\"booked, absent\",\"0\",\"\"\r\n"
        "\"Hannah Pickering\",\"BIT0005\",\"Riverside Academy\",\"yes\",\"\",\"\","
        "\"booked, absent\",\"0\",\"\"\r\n";
    assert_string_equal(csv, golden);
    char *text = write_all(&r, false);
    assert_non_null(strstr(text, "Register: The role of the in class support\n"
                                 "Session au2-in-class-support, 2023-11-27 15:45–17:15, Central "
                                 "Office (1.5 credits printed)\n"
                                 "2 attended (1 without a booking) · 2 booked but absent\n"));
    free(csv);
    free(text);
    report_free(&r);
    assert_int_equal(report_register(k.store, &k.rules, "x", "no-such-session", 0, &r),
                     STORE_ENOTFOUND);

    /* The evacuation list at 16:00: both, by surname; at 16:55 Tom has gone. */
    assert_int_equal(
        report_evacuation(k.store, &k.rules, "Central Office", test_at("2023-11-27 16:00"), &r),
        STORE_OK);
    csv = write_all(&r, true);
    assert_string_equal(csv, "\xEF\xBB\xBF\"Name\",\"Staff no\",\"Role\",\"Session\",\"Room\","
                             "\"Signed in\",\"Accounted for\"\r\n"
                             "\"Tom Haslam\",\"BIT0008\",\"staff\",\"The role of the in class "
                             "support\",\"Central Office\",\"2023-11-27 15:40\",\"\"\r\n"
                             "\"Sarah Whitworth\",\"BIT0001\",\"staff\",\"The role of the in "
                             "class support\",\"Central Office\",\"2023-11-27 15:58\",\"\"\r\n");
    assert_string_equal(r.lines[1], "2 people in the building");
    free(csv);
    report_free(&r);
    assert_int_equal(
        report_evacuation(k.store, &k.rules, "Central Office", test_at("2023-11-27 16:55"), &r),
        STORE_OK);
    assert_int_equal(r.n_rows, 1);
    assert_string_equal(r.rows[0].cells[0], "Sarah Whitworth");
    assert_string_equal(r.lines[1], "1 person in the building");
    report_free(&r);
    testkiosk_close(&k);
}

/* A forgotten sign-out, as of different times: in the building and "still signed in" during
 * the checkout window; after it, gone from the evacuation list and "no sign-out (closed at the
 * end)" on the register, whether or not the kiosk's sweep has run. */
static void test_a_forgotten_sign_out_as_of_then(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    assert_int_equal(test_tap(&k, "5D:E1:07:B4", "2023-11-27 15:44", NULL, NULL), TAP_SIGNED_IN);
    struct report r;
    assert_int_equal(report_register(k.store, &k.rules, "Central Office", "au2-in-class-support",
                                     test_at("2023-11-27 16:30"), &r),
                     STORE_OK);
    assert_string_equal(r.rows[0].cells[0], "Hannah Pickering");
    assert_string_equal(r.rows[0].cells[6], "still signed in");
    report_free(&r);
    assert_int_equal(report_register(k.store, &k.rules, "Central Office", "au2-in-class-support",
                                     test_at("2023-11-28 09:00"), &r),
                     STORE_OK);
    assert_string_equal(r.rows[0].cells[5], "2023-11-27 17:15");
    assert_string_equal(r.rows[0].cells[6], "no sign-out (closed at the end)");
    assert_non_null(strstr(r.rows[0].cells[7], "review"));
    report_free(&r);
    /* Before she came, she is not on it at all (only as booked). */
    assert_int_equal(report_register(k.store, &k.rules, "Central Office", "au2-in-class-support",
                                     test_at("2023-11-27 15:00"), &r),
                     STORE_OK);
    assert_string_equal(r.rows[0].cells[6], "booked, absent");
    report_free(&r);
    assert_int_equal(
        report_evacuation(k.store, &k.rules, "Central Office", test_at("2023-11-27 18:10"), &r),
        STORE_OK);
    assert_int_equal(r.n_rows, 1);
    report_free(&r);
    assert_int_equal(
        report_evacuation(k.store, &k.rules, "Central Office", test_at("2023-11-27 18:20"), &r),
        STORE_OK);
    assert_int_equal(r.n_rows, 0);
    report_free(&r);
    /* Sarah signs out at 17:16; the next day's tap runs the kiosk's sweep, which closes
     * Hannah's attendance. Asked about the evening, neither later fact is there yet: at 16:30
     * both are still signed in, at 17:30 Hannah is still in the building. */
    assert_int_equal(test_tap(&k, SARAH, "2023-11-27 15:58", NULL, NULL), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, SARAH, "2023-11-27 17:16", NULL, NULL), TAP_SIGNED_OUT);
    assert_int_equal(test_tap(&k, TOM, "2023-11-28 15:40", NULL, NULL), TAP_NO_SESSION);
    struct attendance swept;
    struct person hannah;
    struct session in_class;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0005", &hannah), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "au2-in-class-support", &in_class), STORE_OK);
    assert_int_equal(store_attendance_get(k.store, hannah.id, in_class.id, &swept), STORE_OK);
    assert_true(swept.flags & ATT_NO_SIGNOUT); /* the sweep ran */
    assert_int_equal(report_register(k.store, &k.rules, "Central Office", "au2-in-class-support",
                                     test_at("2023-11-27 16:30"), &r),
                     STORE_OK);
    assert_int_equal(r.n_rows, 3); /* and Priya, booked, absent */
    for (size_t i = 0; i < r.n_rows; i++) {
        if (strcmp(r.rows[i].cells[1], "BIT0003") == 0)
            continue;
        assert_string_equal(r.rows[i].cells[5], ""); /* no sign-out yet */
        assert_string_equal(r.rows[i].cells[6], strcmp(r.rows[i].cells[0], "Sarah Whitworth")
                                                    ? "still signed in"
                                                    : "late 13 min; still signed in");
    }
    report_free(&r);
    assert_int_equal(
        report_evacuation(k.store, &k.rules, "Central Office", test_at("2023-11-27 17:30"), &r),
        STORE_OK);
    assert_int_equal(r.n_rows, 1);
    assert_string_equal(r.rows[0].cells[0], "Hannah Pickering");
    report_free(&r);
    /* The evening's credits as of 16:30 are not yet counted; at the end of the year they are. */
    struct credit_summary sum = {0};
    assert_int_equal(
        tapflow_summary(k.store, &k.rules, hannah.id, test_at("2023-11-27 16:30"), &sum), STORE_OK);
    assert_int_equal(sum.total_q, 12); /* her Online Safety certificate only */
    assert_int_equal(
        tapflow_summary(k.store, &k.rules, hannah.id, test_at("2024-07-20 09:00"), &sum), STORE_OK);
    assert_int_equal(sum.total_q, 12 + 6);
    credits_summary_free(&sum);
    testkiosk_close(&k);
}

/* Statements and renewals for everyone, from the engine: Priya over the pre-recorded cap with
 * an empty summer (a breach), her items of the autumn; who is due. */
static void test_statements_and_due(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    struct report r;
    int64_t at = test_at("2024-07-20 09:00");
    assert_int_equal(report_statements(k.store, &k.rules, at, -1, true, NULL, &r), STORE_OK);
    char *csv = write_all(&r, true);
    assert_non_null(
        strstr(csv, "\"Hollins Brook Academy\",\"Priya Chaudhry\",\"BIT0003\","
                    "\"8\",\"7\",\"1\",\"0\",\"Summer\",\"0\",\"8\",\"cannot reach 16\"\r\n"));
    assert_string_equal(r.lines[1], "12 people, 12 below the target so far");
    free(csv);
    report_free(&r);
    assert_int_equal(report_statements(k.store, &k.rules, at, TERM_AUTUMN, false, NULL, &r),
                     STORE_OK);
    csv = write_all(&r, true);
    assert_non_null(strstr(csv, "\"Priya Chaudhry\",\"BIT0003\",\"2023-10-03\",\"Adverse "
                                "Childhood Experiences\",\"Pre-recorded\",\"Autumn\",\"2\",\"2\","
                                "\"counted\",\"\"\r\n"));
    assert_null(strstr(csv, "2024-01-22")); /* her spring hour is not in the autumn */
    free(csv);
    report_free(&r);
    /* One person, one academy. */
    struct report_filter only_priya = {.staff_no = "BIT0003"};
    assert_int_equal(report_statements(k.store, &k.rules, at, -1, true, &only_priya, &r), STORE_OK);
    assert_int_equal(r.n_rows, 1);
    report_free(&r);
    struct report_filter kingsway = {.academy = "Kingsway Academy"};
    assert_int_equal(report_statements(k.store, &k.rules, at, -1, true, &kingsway, &r), STORE_OK);
    for (size_t i = 0; i < r.n_rows; i++)
        assert_string_equal(r.rows[i].cells[0], "Kingsway Academy");
    assert_true(r.n_rows > 1);
    report_free(&r);
    /* Dan's KCSIE of 14 Sep 2023 is due on 14 Sep 2024: 30 days from 15 Aug. */
    assert_int_equal(report_due(k.store, &k.rules, test_at("2024-08-15 09:00"), 30, NULL, &r),
                     STORE_OK);
    csv = write_all(&r, true);
    assert_non_null(strstr(csv, "\"BIT0002\",\"KCSIE Knowledge check\",\"annual\",\"2023-09-14\","
                                "\"2024-09-14\",\"due in 30 days\"\r\n"));
    free(csv);
    report_free(&r);
    testkiosk_close(&k);
}

/* CPI: Joanne attends all four autumn sessions (13 credits); Megan misses the fourth and can
 * still complete in the spring cohort; Gareth came late to one (a trainer should look). */
static void test_cpi_completion(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    attend_cpi_autumn(&k);
    char in[32], out[32];
    snprintf(in, sizeof(in), "%s 15:40", cpi_autumn_days[0]);
    snprintf(out, sizeof(out), "%s 18:16", cpi_autumn_days[0]);
    assert_int_equal(test_tap(&k, "04-3B-19-D2-6A-71-81", in, NULL, NULL), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, "04-3B-19-D2-6A-71-81", out, NULL, NULL), TAP_SIGNED_OUT);
    struct report r;
    assert_int_equal(report_completion(k.store, &k.rules, KIND_CPI_INITIAL, NULL,
                                       test_at("2023-09-22 09:00"), &r),
                     STORE_OK);
    char *csv = write_all(&r, true);
    assert_non_null(strstr(csv, "\"Joanne Tattersall\",\"BIT0009\",\"cpi-autumn\",\"done\","
                                "\"done\",\"done\",\"done\",\"complete\",\"13\",\"\"\r\n"));
    assert_non_null(strstr(csv, "\"Megan Crompton\",\"BIT0007\",\"cpi-autumn\",\"done\","
                                "\"done\",\"done\",\"missed\",\"missing a session\",\"0\","
                                "\"cpi-spring\"\r\n"));
    assert_non_null(strstr(csv, "\"Gareth Lomax\",\"BIT0004\",\"cpi-autumn\",\"review: late "
                                "25 min\""));
    free(csv);
    report_free(&r);
    /* Joanne also comes to the spring cohort's third session only: its first two are over, so
     * that cohort cannot be completed — missed, booked or not. As of before she came, her
     * spring row does not exist yet. */
    assert_int_equal(test_tap(&k, "9b1f6c3d", "2024-01-24 15:10", "cpi-spring-3", NULL),
                     TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, "9b1f6c3d", "2024-01-24 18:16", NULL, NULL), TAP_SIGNED_OUT);
    assert_int_equal(report_completion(k.store, &k.rules, KIND_CPI_INITIAL, "cpi-spring",
                                       test_at("2024-01-24 19:00"), &r),
                     STORE_OK);
    csv = write_all(&r, true);
    assert_non_null(strstr(csv, "\"Joanne Tattersall\",\"BIT0009\",\"cpi-spring\",\"missed\","
                                "\"missed\",\"done\",\"-\",\"missing a session\",\"0\",\"\"\r\n"));
    free(csv);
    report_free(&r);
    assert_int_equal(report_completion(k.store, &k.rules, KIND_CPI_INITIAL, "cpi-spring",
                                       test_at("2024-01-20 09:00"), &r),
                     STORE_OK);
    csv = write_all(&r, true);
    assert_null(strstr(csv, "Joanne Tattersall"));
    free(csv);
    report_free(&r);
    /* One cohort: only its rows; a cohort the programme does not have is not found. */
    assert_int_equal(report_completion(k.store, &k.rules, KIND_CPI_INITIAL, "cpi-spring",
                                       test_at("2023-09-22 09:00"), &r),
                     STORE_OK);
    for (size_t i = 0; i < r.n_rows; i++)
        assert_string_equal(r.rows[i].cells[2], "cpi-spring");
    assert_false(r.n_rows > 0 && strcmp(r.rows[0].cells[1], "BIT0009") == 0);
    report_free(&r);
    assert_int_equal(report_completion(k.store, &k.rules, KIND_CPI_INITIAL, "cpi-autumn",
                                       test_at("2023-09-22 09:00"), &r),
                     STORE_OK);
    assert_true(r.n_rows >= 3);
    report_free(&r);
    assert_int_equal(report_completion(k.store, &k.rules, KIND_CPI_INITIAL, "mapa-1",
                                       test_at("2023-09-22 09:00"), &r),
                     STORE_ENOTFOUND);
    testkiosk_close(&k);
}

/* MAPA: two days and the online part (its days print no times: booked, not tapped). Joanne
 * is booked on both days of block 1: before it, booked and in progress; after it, both missed
 * and blocks 2, 3 and 4 are where she could still complete. */
static void test_mapa_completion(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    struct person joanne;
    struct session day;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0009", &joanne), STORE_OK);
    static const char *const codes[] = {"mapa-1-day1", "mapa-1-day2"};
    for (int d = 0; d < 2; d++) {
        assert_int_equal(store_session_by_code(k.store, codes[d], &day), STORE_OK);
        assert_int_equal(store_booking_add(k.store, joanne.id, day.id), STORE_OK);
    }
    static const struct {
        const char *at, *row;
    } cases[] = {
        {"2024-04-20 09:00", "\"Joanne Tattersall\",\"BIT0009\",\"mapa-1\",\"booked\",\"booked\","
                             "\"-\",\"in progress\",\"0\",\"\"\r\n"},
        {"2024-04-29 09:00", "\"Joanne Tattersall\",\"BIT0009\",\"mapa-1\",\"missed\",\"missed\","
                             "\"-\",\"missing a session\",\"0\",\"mapa-2; mapa-3; mapa-4\"\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct report r;
        assert_int_equal(
            report_completion(k.store, &k.rules, KIND_MAPA_BLOCK, NULL, test_at(cases[i].at), &r),
            STORE_OK);
        assert_int_equal(r.n_columns, 9);
        assert_string_equal(r.columns[5], "Online part");
        char *csv = write_all(&r, true);
        if (!strstr(csv, cases[i].row))
            fail_msg("MAPA as of %s:\n%s", cases[i].at, csv);
        free(csv);
        report_free(&r);
    }
    testkiosk_close(&k);
}

static void test_at_risk(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    struct report r;
    assert_int_equal(report_at_risk(k.store, &k.rules, test_at("2024-06-01 09:00"), NULL, &r),
                     STORE_OK);
    char *csv = write_all(&r, true);
    /* In June nobody with nothing yet can make 16 from what is left. */
    assert_non_null(strstr(csv, "\"1\",\"Kingsway Academy\",\"Chloe Barlow\",\"BIT0012\",\"0\","
                                "\"16\",\"12.5\",\"cannot reach 16 this year\",\"the most left: "));
    free(csv);
    report_free(&r);
    /* In January it is the spring term at 0 that comes first, with its sessions named. */
    assert_int_equal(report_at_risk(k.store, &k.rules, test_at("2024-01-10 09:00"), NULL, &r),
                     STORE_OK);
    csv = write_all(&r, true);
    assert_non_null(strstr(csv, "\"2\",\"Kingsway Academy\",\"Chloe Barlow\",\"BIT0012\",\"0\","
                                "\"16\",\"49\",\"the Spring term ends at 0 unless they attend one "
                                "of: Creating a culture of wellbeing Mon 29 Jan,"));
    assert_non_null(strstr(csv, " and 5 more\""));
    free(csv);
    /* The report's rows and the kiosk's list are made from the same typed records: the same
     * people in the same order, the urgency and the term from the record, never from words. */
    struct at_risk list;
    assert_int_equal(at_risk_find(k.store, &k.rules, test_at("2024-01-10 09:00"), NULL, &list),
                     STORE_OK);
    assert_int_equal(list.n, r.n_rows);
    for (size_t i = 0; i < list.n; i++) {
        const struct at_risk_person *x = &list.people[i];
        assert_string_equal(r.rows[i].cells[3], x->person.staff_no);
        assert_string_equal(r.rows[i].cells[0], x->risk.kind == RISK_CANNOT_REACH ? "1" : "2");
        if (x->risk.kind == RISK_TERM_AT_ZERO) {
            char words[64];
            snprintf(words, sizeof(words), "the %s term ends at 0",
                     rules_term_name(x->risk.term_at_risk));
            assert_non_null(strstr(r.rows[i].cells[7], words));
            assert_true(x->risk.n_term_sessions > 0);
            assert_non_null(strstr(r.rows[i].cells[7],
                                   list.later.offer.coming[x->risk.term_sessions[0]].title));
        }
    }
    at_risk_free(&list);
    report_free(&r);
    /* The target is the config's: with 20, the report says 20, never 16. */
    k.rules.target_quarters = 20 * QUARTERS_PER_CREDIT;
    assert_int_equal(report_at_risk(k.store, &k.rules, test_at("2024-06-01 09:00"), NULL, &r),
                     STORE_OK);
    csv = write_all(&r, true);
    assert_non_null(strstr(csv, "\"cannot reach 20 this year\""));
    assert_null(strstr(csv, "reach 16"));
    free(csv);
    report_free(&r);
    testkiosk_close(&k);
}

/* Whatever a record holds (a ledger row, an old store), what the report writes is inert: no
 * formula for a spreadsheet, no escape sequence for a terminal. */
static void test_writers_make_hostile_text_inert(void **state)
{
    (void)state;
    static const char *const cols[] = {"Name", "Credits"};
    struct report r = {.n_columns = 2};
    memcpy(r.columns, cols, sizeof(cols));
    snprintf(r.title, sizeof(r.title), "Title \x1b[2J");
    static const char *const names[] = {"=cmd|' /C calc'!A0",   "+SUM(A1)",     "@SUM(A1)", "-2+3",
                                        "Eve \x1b]0;pwned\x07", "Bad \xff byte"};
    static const char *const credits[] = {"-1.5", "-", "1", "+2", "\t3", "-inf"};
    for (int i = 0; i < 6; i++) {
        struct report_row *row = report_add_row(&r);
        assert_non_null(row);
        report_cell(row, 0, "%s", names[i]);
        report_cell(row, 1, "%s", credits[i]);
    }
    char *csv = write_all(&r, true);
    assert_non_null(strstr(csv, "\"'=cmd|' /C calc'!A0\",\"-1.5\"\r\n"));
    assert_non_null(strstr(csv, "\"'+SUM(A1)\",\"-\"\r\n"));
    assert_non_null(strstr(csv, "\"'@SUM(A1)\",\"1\"\r\n"));
    assert_non_null(strstr(csv, "\"'-2+3\",\"+2\"\r\n"));
    assert_non_null(strstr(csv, "\"Eve \xEF\xBF\xBD]0;pwned\xEF\xBF\xBD\",\"\xEF\xBF\xBD"
                                "3\"\r\n"));
    assert_non_null(strstr(csv, "\"Bad \xEF\xBF\xBD byte\",\"'-inf\"\r\n"));
    assert_null(strchr(csv, '\x1b'));
    char *text = write_all(&r, false);
    assert_null(strchr(text, '\x1b'));
    assert_null(strchr(text, '\x07'));
    assert_null(strstr(text, "\xff"));
    free(csv);
    free(text);
    report_free(&r);
}

/* The file's text, or "" when it does not exist yet. */
static char *read_golden(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/data/golden/%s", CPD_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    char *text = calloc(1, 1 << 16);
    assert_non_null(text);
    if (f) {
        size_t n = fread(text, 1, (1 << 16) - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return text;
}

/* Compares a report's CSV with its golden file; CPD_WRITE_GOLDEN=1 rewrites the file instead
 * (then read it, line by line, before committing it). */
static void assert_golden(const struct report *r, const char *name)
{
    char *csv = write_all(r, true);
    if (getenv("CPD_WRITE_GOLDEN")) {
        char path[512];
        snprintf(path, sizeof(path), "%s/tests/data/golden/%s", CPD_SOURCE_DIR, name);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(csv, f);
        fclose(f);
    }
    char *golden = read_golden(name);
    if (strcmp(csv, golden) != 0)
        fail_msg("%s differs from tests/data/golden/%s:\n%s", name, name, csv);
    free(golden);
    free(csv);
}

/* A year built from the brochure's sessions through the real tap flow, corrections and the demo
 * files, and its reports compared whole with golden CSVs: Joanne completes CPI (13 credits);
 * Megan misses the fourth session; Priya goes over the pre-recorded cap; Sarah forgets to sign
 * out and the office corrects it; Tom's credits are set by hand; most have a term at 0; Chloe
 * can no longer reach 16 by June, but in January could by attending named sessions. */
static void test_a_seeded_year_golden(void **state)
{
    (void)state;
    struct testkiosk k;
    testkiosk_open(&k, true);
    attend_cpi_autumn(&k);
    assert_int_equal(test_tap(&k, SARAH, "2023-11-27 15:40", NULL, NULL), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, TOM, "2023-11-27 15:40", "au2-in-class-support", NULL),
                     TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, TOM, "2023-11-27 17:16", NULL, NULL), TAP_SIGNED_OUT);
    assert_int_equal(test_tap(&k, "3F:22:91:0C", "2024-01-29 15:40", NULL, NULL), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&k, "3F:22:91:0C", "2024-01-29 17:16", NULL, NULL), TAP_SIGNED_OUT);
    struct person sarah, tom;
    struct session s;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0001", &sarah), STORE_OK);
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0008", &tom), STORE_OK);
    assert_int_equal(store_session_by_code(k.store, "au2-in-class-support", &s), STORE_OK);
    struct correction c = {.store = k.store,
                           .rules = &k.rules,
                           .by = "J Smith (office)",
                           .reason = "paper register, 27 Nov",
                           .now_us = test_at("2023-11-28 09:00"),
                           .mono_us = test_at("2023-11-28 09:00")};
    const char *why = "";
    assert_int_equal(correct_sign_out(&c, &sarah, &s, test_at("2023-11-27 17:15"), &why), STORE_OK);
    assert_int_equal(correct_credits(&c, &tom, &s, 4, &why), STORE_OK);
    /* Imran's Teams credit was someone else's report: voided, with who and why. */
    struct person imran;
    assert_int_equal(store_person_by_staff_no(k.store, "BIT0006", &imran), STORE_OK);
    c.reason = "Teams report was another person's";
    c.now_us = c.mono_us = test_at("2024-02-05 09:00");
    assert_int_equal(correct_void_credit(&c, &imran, "sp1-grievance-disciplinary",
                                         civil_from_ymd(2024, 2, 1), &why),
                     STORE_OK);
    struct report r;
    assert_int_equal(
        report_statements(k.store, &k.rules, test_at("2024-07-20 09:00"), -1, true, NULL, &r),
        STORE_OK);
    assert_golden(&r, "statements-summary-2024-07-20.csv");
    report_free(&r);
    assert_int_equal(
        report_statements(k.store, &k.rules, test_at("2024-07-20 09:00"), -1, false, NULL, &r),
        STORE_OK);
    assert_golden(&r, "statements-items-2024-07-20.csv");
    report_free(&r);
    assert_int_equal(report_completion(k.store, &k.rules, KIND_CPI_INITIAL, NULL,
                                       test_at("2023-09-22 09:00"), &r),
                     STORE_OK);
    assert_golden(&r, "completion-cpi-2023-09-22.csv");
    report_free(&r);
    assert_int_equal(report_at_risk(k.store, &k.rules, test_at("2024-01-10 09:00"), NULL, &r),
                     STORE_OK);
    assert_golden(&r, "at-risk-2024-01-10.csv");
    report_free(&r);
    assert_int_equal(report_at_risk(k.store, &k.rules, test_at("2024-06-01 09:00"), NULL, &r),
                     STORE_OK);
    assert_golden(&r, "at-risk-2024-06-01.csv");
    report_free(&r);
    assert_int_equal(report_due(k.store, &k.rules, test_at("2024-07-20 09:00"), 60, NULL, &r),
                     STORE_OK);
    assert_golden(&r, "due-2024-07-20.csv");
    report_free(&r);
    testkiosk_close(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_golden),
        cmocka_unit_test(test_a_seeded_year_golden),
        cmocka_unit_test(test_a_forgotten_sign_out_as_of_then),
        cmocka_unit_test(test_writers_make_hostile_text_inert),
        cmocka_unit_test(test_statements_and_due),
        cmocka_unit_test(test_cpi_completion),
        cmocka_unit_test(test_mapa_completion),
        cmocka_unit_test(test_at_risk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
