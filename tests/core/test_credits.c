/* The credits engine on hand-built records: packages, caps, directed training, terms, renewals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "credits.h"

#define US_PER_MIN INT64_C(60000000)

static struct rules rules;
static struct credit_summary summary;

static int setup(void **state)
{
    (void)state;
    rules_default(&rules);
    return 0;
}

/* A session on a date, start and end in minutes of the day; µs as if UTC (the engine only
 * compares them). */
static struct session session(int64_t id, const char *code, enum course_kind kind,
                              const char *group, int credits_q, civil_day day, int start, int end)
{
    struct session s = {.id = id,
                        .kind = kind,
                        .delivery = DELIVERY_FACE_TO_FACE,
                        .credits_q = credits_q,
                        .date = day,
                        .start_min = start,
                        .end_min = end};
    snprintf(s.code, sizeof(s.code), "%s", code);
    snprintf(s.title, sizeof(s.title), "%s", code);
    snprintf(s.group, sizeof(s.group), "%s", group);
    s.start_us = (int64_t)day * 1440 * US_PER_MIN + start * US_PER_MIN;
    s.end_us = (int64_t)day * 1440 * US_PER_MIN + end * US_PER_MIN;
    return s;
}

static struct attendance attended(const struct session *s, int late_min, int early_min)
{
    return (struct attendance){.person_id = 1,
                               .session_id = s->id,
                               .in_us = s->start_us + late_min * US_PER_MIN,
                               .out_us = s->end_us - early_min * US_PER_MIN,
                               .override_q = -1};
}

static struct external_credit external(const char *code, const char *group,
                                       enum external_source source, civil_day day, int credits_q,
                                       bool certificate, bool directed)
{
    struct external_credit x = {.source = source,
                                .date = day,
                                .credits_q = credits_q,
                                .has_certificate = certificate,
                                .directed = directed};
    snprintf(x.course_code, sizeof(x.course_code), "%s", code);
    snprintf(x.title, sizeof(x.title), "%s", code);
    snprintf(x.group, sizeof(x.group), "%s", group);
    return x;
}

static civil_day D(int y, int m, int d)
{
    return civil_from_ymd(y, m, d);
}

static void test_single_session_windows(void **state)
{
    (void)state;
    /* "The role of the in class support", 15:45–17:15, 1.5 credits. */
    struct session s = session(1, "in-class", KIND_SINGLE, "", 6, D(2023, 11, 27), 945, 1035);
    bool review = true;
    struct attendance a = attended(&s, 10, 10); /* exactly at the windows' edges */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 6);
    assert_false(review);
    a = attended(&s, 19, 0); /* 16:04: 71 min → 1 credit */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 4);
    assert_true(review);
    a = attended(&s, 0, 46); /* left 16:29: 44 min → 0.5 */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 2);
    a.flags |= ATT_APPROVED;
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 6);
    assert_false(review);
    a.override_q = 5;
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 5);
    a = attended(&s, -20, -30); /* early and stayed late: never more than printed */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 6);
    a.out_us = 0; /* still in */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 0);
}

static void summarise(const struct session *sessions, const struct attendance *rows, size_t n,
                      const struct external_credit *ext, size_t n_ext,
                      const struct session *packages, size_t n_packages, civil_day today)
{
    struct credits_input in = {.rules = &rules,
                               .today = today,
                               .sessions = sessions,
                               .rows = rows,
                               .n_rows = n,
                               .external = ext,
                               .n_external = n_ext,
                               .package_sessions = packages,
                               .n_package_sessions = n_packages};
    credits_summarise(&in, &summary);
}

static void test_cpi_needs_all_four_of_one_cohort(void **state)
{
    (void)state;
    struct session cpi[8];
    for (int i = 0; i < 4; i++) {
        char code[32];
        snprintf(code, sizeof(code), "cpi-a-%d", i + 1);
        cpi[i] =
            session(10 + i, code, KIND_CPI_INITIAL, "cpi-a", 52, D(2023, 9, 13 + i), 915, 1095);
        snprintf(code, sizeof(code), "cpi-b-%d", i + 1);
        cpi[4 + i] =
            session(20 + i, code, KIND_CPI_INITIAL, "cpi-b", 52, D(2024, 1, 17 + i), 915, 1095);
    }
    /* Two from each cohort: 0. */
    struct session s[4] = {cpi[0], cpi[1], cpi[6], cpi[7]};
    struct attendance a[4];
    for (int i = 0; i < 4; i++)
        a[i] = attended(&s[i], 0, 0);
    summarise(s, a, 4, NULL, 0, cpi, 8, D(2024, 2, 1));
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.n_packages, 2);
    assert_int_equal(summary.packages[0].sessions_done, 2);
    assert_false(summary.packages[0].awarded);
    /* All four of cohort a, one of them 20 minutes late: 3 done, 1 for review. */
    struct session t[4] = {cpi[0], cpi[1], cpi[2], cpi[3]};
    for (int i = 0; i < 4; i++)
        a[i] = attended(&t[i], i == 2 ? 20 : 0, 0);
    summarise(t, a, 4, NULL, 0, cpi, 8, D(2023, 9, 20));
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.packages[0].sessions_done, 3);
    assert_int_equal(summary.packages[0].sessions_review, 1);
    assert_int_equal(summary.review_count, 1);
    /* A trainer approves it: 13 credits, dated on the last session, in the autumn. */
    a[2].flags |= ATT_APPROVED;
    summarise(t, a, 4, NULL, 0, cpi, 8, D(2023, 9, 20));
    assert_true(summary.packages[0].awarded);
    assert_int_equal(summary.total_q, 52);
    assert_int_equal(summary.term_q[TERM_AUTUMN], 52);
}

static void test_mapa_block_plus_online_part(void **state)
{
    (void)state;
    struct session mapa[2] = {
        session(30, "mapa-1-day1", KIND_MAPA_BLOCK, "mapa-1", 40, D(2024, 4, 26), 915, 1110),
        session(31, "mapa-1-day2", KIND_MAPA_BLOCK, "mapa-1", 40, D(2024, 4, 27), 915, 1110)};
    struct attendance a[2] = {attended(&mapa[0], 0, 0), attended(&mapa[1], 0, 0)};
    struct external_credit online =
        external("mapa-online", "mapa", SOURCE_PRERECORDED, D(2024, 4, 22), 14, true, false);
    /* Block without the online part: nothing yet. */
    summarise(mapa, a, 2, NULL, 0, mapa, 2, D(2024, 5, 1));
    assert_int_equal(summary.total_q, 0);
    assert_false(summary.packages[0].awarded);
    assert_true(summary.packages[0].online_needed);
    /* Online part without the block: pending, 0. */
    summarise(mapa, a, 1, &online, 1, mapa, 2, D(2024, 5, 1));
    assert_int_equal(summary.total_q, 0);
    /* Both: 6.5 classroom + 3.5 online = 10. */
    summarise(mapa, a, 2, &online, 1, mapa, 2, D(2024, 5, 1));
    assert_true(summary.packages[0].awarded);
    assert_int_equal(summary.total_q, 40);
    assert_int_equal(summary.prerecorded_counted_q, 14);
}

static void test_prerecorded_cap_in_date_order(void **state)
{
    (void)state;
    struct external_credit x[5] = {
        external("ace", "", SOURCE_PRERECORDED, D(2023, 10, 3), 8, true, false),
        external("lgbt", "", SOURCE_PRERECORDED, D(2023, 10, 10), 4, true, false),
        external("cpi-online", "", SOURCE_PRERECORDED, D(2023, 11, 14), 12, true, false),
        external("tes-1", "", SOURCE_PRERECORDED, D(2024, 1, 22), 10, true, false),
        external("tes-2", "", SOURCE_PRERECORDED, D(2024, 3, 5), 4, false, false)};
    summarise(NULL, NULL, 0, x, 5, NULL, 0, D(2024, 3, 10));
    /* 2 + 1 + 3 + 2.5 = 8.5 claimed with certificates; 8 count, the last in part. */
    assert_int_equal(summary.prerecorded_claimed_q, 34);
    assert_int_equal(summary.prerecorded_counted_q, 32);
    assert_int_equal(summary.total_q, 32);
    assert_int_equal(summary.items[3].status, ITEM_CAPPED);
    assert_int_equal(summary.items[3].credits_q, 8);
    assert_int_equal(summary.items[4].status, ITEM_NOT_COUNTED); /* no certificate */
    assert_int_equal(summary.term_q[TERM_AUTUMN], 24);
    assert_int_equal(summary.term_q[TERM_SPRING], 8);
}

static void test_directed_mandatory_and_meetings(void **state)
{
    (void)state;
    struct external_credit x[3] = {
        external("online-safety", "", SOURCE_MANDATORY, D(2023, 10, 17), 12, true, true),
        external("kcsie", "", SOURCE_MANDATORY, D(2023, 9, 14), 4, true, false),
        external("window", "", SOURCE_LIVE_TEAMS, D(2023, 11, 29), 4, false, false)};
    struct session hub = session(40, "hub", KIND_HUB, "", -1, D(2023, 10, 5), 930, 990);
    struct attendance a = attended(&hub, 0, 0);
    summarise(&hub, &a, 1, x, 3, NULL, 0, D(2023, 12, 1));
    assert_int_equal(summary.total_q, 16); /* 3 directed + 1 Live Teams; not KCSIE, not hub */
    bool zero = false;
    for (size_t i = 0; i < summary.n_items; i++)
        zero |= summary.items[i].status == ITEM_ZERO;
    assert_true(zero);
}

static void test_terms_and_breaches(void **state)
{
    (void)state;
    struct external_credit x =
        external("tes", "", SOURCE_PRERECORDED, D(2023, 10, 1), 4, true, false);
    summarise(NULL, NULL, 0, &x, 1, NULL, 0, D(2024, 2, 1));
    assert_false(summary.term_breach[TERM_AUTUMN]);
    assert_false(summary.term_breach[TERM_SPRING]); /* still running */
    summarise(NULL, NULL, 0, &x, 1, NULL, 0, D(2024, 4, 2));
    assert_true(summary.term_ended[TERM_SPRING]);
    assert_true(summary.term_breach[TERM_SPRING]);
    /* Outside the credit year: recorded, not counted. */
    x.date = D(2024, 9, 2);
    summarise(NULL, NULL, 0, &x, 1, NULL, 0, D(2024, 4, 2));
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.items[0].status, ITEM_NOT_COUNTED);
}

static void test_renewal_due_dates(void **state)
{
    (void)state;
    struct mandatory_course m[4] = {{.course_id = 1, .frequency = FREQ_ANNUAL},
                                    {.course_id = 2, .frequency = FREQ_2_YEARLY},
                                    {.course_id = 3, .frequency = FREQ_3_YEARLY},
                                    {.course_id = 4, .frequency = FREQ_ANNUAL}};
    struct external_credit x[3] = {
        external("kcsie", "", SOURCE_MANDATORY, D(2023, 9, 14), 4, true, false),
        external("cyber", "", SOURCE_MANDATORY, D(2022, 1, 10), 4, true, false),
        external("l1", "", SOURCE_MANDATORY, D(2021, 9, 1), 0, true, false)};
    x[0].course_id = 1;
    x[1].course_id = 2;
    x[2].course_id = 3;
    struct credits_input in = {.rules = &rules,
                               .today = D(2024, 8, 20),
                               .external = x,
                               .n_external = 3,
                               .mandatory = m,
                               .n_mandatory = 4};
    credits_summarise(&in, &summary);
    assert_int_equal(summary.n_due, 4);
    assert_int_equal(summary.due[0].due, D(2024, 9, 14));
    assert_int_equal(summary.due[0].status, DUE_SOON);
    assert_int_equal(summary.due[1].due, D(2024, 1, 10));
    assert_int_equal(summary.due[1].status, DUE_OVERDUE);
    assert_int_equal(summary.due[2].due, D(2024, 9, 1));
    assert_int_equal(summary.due[2].status, DUE_SOON);
    assert_int_equal(summary.due[3].status, DUE_NEVER);
    assert_int_equal(credits_add_months(D(2024, 1, 31), 1), D(2024, 2, 29));
    assert_int_equal(credits_add_months(D(2024, 2, 29), 12), D(2025, 2, 28));
    assert_int_equal(credits_add_months(D(2023, 11, 30), 3), D(2024, 2, 29));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_session_windows),
        cmocka_unit_test(test_cpi_needs_all_four_of_one_cohort),
        cmocka_unit_test(test_mapa_block_plus_online_part),
        cmocka_unit_test(test_prerecorded_cap_in_date_order),
        cmocka_unit_test(test_directed_mandatory_and_meetings),
        cmocka_unit_test(test_terms_and_breaches),
        cmocka_unit_test(test_renewal_due_dates),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
