/* The credits engine on copies of brochure sessions: windows and partial credit, CPI cohorts,
 * MAPA blocks, the pre-recorded cap, directed training, meetings, terms and renewals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/timeunits.h"
#include "core/base/zone.h"
#include "core/domain/credits.h"

#define Q(credits) ((int)((credits)*QUARTERS_PER_CREDIT))

static struct rules rules;
static struct credit_summary summary;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    rules_default(&rules);
    credits_summary_free(&summary); /* the previous test's; zeroes it */
    return 0;
}

static civil_day D(int y, int m, int d)
{
    return civil_from_ymd(y, m, d);
}

/* Local time on a day → UTC µs. */
static int64_t at(civil_day day, int h, int m, int s)
{
    int64_t us = 0;
    assert_int_equal(zone_local_to_utc(day, h * 60 + m, &us), ZONE_OK);
    return us + s * US_PER_S;
}

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
    s.start_us = at(day, start / 60, start % 60, 0);
    s.end_us = at(day, end / 60, end % 60, 0);
    return s;
}

#define HM(h, m) ((h)*60 + (m))

/* "The role of the in class support", Mon 27 Nov 2023 15:45–17:15, 1.5 credits. */
static struct session in_class(void)
{
    return session(1, "au2-in-class-support", KIND_SINGLE, "", Q(1.5), D(2023, 11, 27), HM(15, 45),
                   HM(17, 15));
}

/* The four sessions of each CPI Initial cohort, 15:15–18:15, 13 credits for all four. */
static const int cpi_dates[2][4][3] = {
    {{2023, 9, 13}, {2023, 9, 14}, {2023, 9, 20}, {2023, 9, 21}},
    {{2024, 1, 17}, {2024, 1, 18}, {2024, 1, 24}, {2024, 1, 25}},
};

static void cpi_cohorts(struct session out[8])
{
    const char *groups[2] = {"cpi-autumn", "cpi-spring"};
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < 4; i++) {
            char code[32];
            snprintf(code, sizeof(code), "%s-%d", groups[c], i + 1);
            const int *d = cpi_dates[c][i];
            out[c * 4 + i] = session(10 + c * 4 + i, code, KIND_CPI_INITIAL, groups[c], Q(13),
                                     D(d[0], d[1], d[2]), HM(15, 15), HM(18, 15));
        }
    }
}

/* The four MAPA blocks of two days each (the importer assumes 15:15–18:30). */
static void mapa_blocks(struct session out[8])
{
    static const int days[4][2] = {{26, 27}, {3, 4}, {10, 11}, {17, 18}};
    for (int b = 0; b < 4; b++) {
        for (int k = 0; k < 2; k++) {
            char code[32], group[16];
            snprintf(code, sizeof(code), "mapa-%d-day%d", b + 1, k + 1);
            snprintf(group, sizeof(group), "mapa-%d", b + 1);
            civil_day day = D(2024, b == 0 ? 4 : 5, days[b][k]);
            out[b * 2 + k] = session(30 + b * 2 + k, code, KIND_MAPA_BLOCK, group, Q(10), day,
                                     HM(15, 15), HM(18, 30));
        }
    }
}

static struct attendance attended_at(const struct session *s, int64_t in_us, int64_t out_us)
{
    return (struct attendance){
        .person_id = 1, .session_id = s->id, .in_us = in_us, .out_us = out_us, .override_q = -1};
}

/* late_min after the start, early_min before the end. */
static struct attendance attended(const struct session *s, int late_min, int early_min)
{
    return attended_at(s, s->start_us + late_min * US_PER_MIN, s->end_us - early_min * US_PER_MIN);
}

static struct external_credit external(const char *code, const char *group,
                                       enum external_source source, civil_day day, int credits_q,
                                       bool certificate, bool directed)
{
    /* The course as the programme has it: the delivery the source implies, the credits as
     * printed (tests of the checks change these). */
    static const enum delivery delivery[SOURCE_COUNT] = {[SOURCE_LIVE_TEAMS] = DELIVERY_LIVE_TEAMS,
                                                         [SOURCE_PRERECORDED] =
                                                             DELIVERY_PRERECORDED,
                                                         [SOURCE_MANDATORY] = DELIVERY_PRERECORDED};
    static const enum course_kind kind[SOURCE_COUNT] = {[SOURCE_LIVE_TEAMS] = KIND_SINGLE,
                                                        [SOURCE_PRERECORDED] = KIND_PRERECORDED,
                                                        [SOURCE_MANDATORY] = KIND_MANDATORY};
    struct external_credit x = {.source = source,
                                .date = day,
                                .credits_q = credits_q,
                                .has_certificate = certificate,
                                .directed = directed,
                                .kind = kind[source],
                                .delivery = delivery[source],
                                .printed_q = credits_q,
                                .repeatable = strstr(code, "any-tes-hour") != NULL};
    snprintf(x.course_code, sizeof(x.course_code), "%s", code);
    snprintf(x.title, sizeof(x.title), "%s", code);
    snprintf(x.group, sizeof(x.group), "%s", group);
    return x;
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
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
}

static const struct credit_item *item(const char *code)
{
    for (size_t i = 0; i < summary.n_items; i++) {
        if (strcmp(summary.items[i].code, code) == 0)
            return &summary.items[i];
    }
    fail_msg("no item %s", code);
    return NULL;
}

static const struct package_progress *package(const char *group)
{
    for (size_t i = 0; i < summary.n_packages; i++) {
        if (strcmp(summary.packages[i].group, group) == 0)
            return &summary.packages[i];
    }
    fail_msg("no package %s", group);
    return NULL;
}

/* ---- one attendance ---- */

static void test_full_credits_within_grace(void **state)
{
    (void)state;
    struct session s = in_class();
    bool review = true;
    struct attendance a = attended(&s, 0, 0);
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.5));
    assert_false(review);
    assert_true(credits_attendance_complete(&rules, &s, &a));
    a = attended(&s, 10, 10); /* 15:55–17:05: exactly at the windows' edges */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.5));
    assert_false(review);
    a = attended(&s, -20, -30); /* early and stayed late: never more than printed */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.5));
    assert_false(review);
}

static void test_late_arrival_rounds_down_to_the_quarter(void **state)
{
    (void)state;
    struct session s = in_class();
    const civil_day day = D(2023, 11, 27);
    bool review = false;
    /* 16:04–17:15: 71 minutes → 1 credit, flagged. */
    struct attendance a = attended_at(&s, at(day, 16, 4, 0), at(day, 17, 15, 0));
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1));
    assert_true(review);
    assert_false(credits_attendance_complete(&rules, &s, &a));
    /* One second past the grace: 15:55:01–17:15 is 79 minutes → 1.25. */
    a = attended_at(&s, at(day, 15, 55, 1), at(day, 17, 15, 0));
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.25));
    assert_true(review);
    /* 16:30–17:15: 45 minutes → 0.75. */
    a = attended_at(&s, at(day, 16, 30, 0), at(day, 17, 15, 0));
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(0.75));
    /* 17:01–17:15: 14 minutes → 0, still for review. */
    a = attended_at(&s, at(day, 17, 1, 0), at(day, 17, 15, 0));
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 0);
    assert_true(review);
}

static void test_early_leave_rounds_down_to_the_quarter(void **state)
{
    (void)state;
    struct session s = in_class();
    const civil_day day = D(2023, 11, 27);
    bool review = false;
    struct attendance a = attended_at(&s, at(day, 15, 40, 0), at(day, 16, 29, 0)); /* 44 min */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(0.5));
    assert_true(review);
    a = attended_at(&s, at(day, 15, 40, 0), at(day, 17, 4, 59)); /* 79 min 59 s */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.25));
    assert_true(review);
    /* Late and early: 16:00–16:45, 45 minutes. */
    a = attended_at(&s, at(day, 16, 0, 0), at(day, 16, 45, 0));
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(0.75));
}

static void test_trainer_approval_and_correction(void **state)
{
    (void)state;
    struct session s = in_class();
    bool review = false;
    struct attendance a = attended(&s, 19, 0); /* 16:04 */
    a.flags = ATT_LATE | ATT_APPROVED;
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.5));
    assert_false(review);
    assert_true(credits_attendance_complete(&rules, &s, &a));
    /* A correction sets the credits, whatever else is true. */
    a.override_q = Q(1.25);
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.25));
    assert_false(review);
    a = attended(&s, 0, 0);
    a.override_q = 0;
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 0);
    /* Approval of something never signed out is not completion. */
    a = attended(&s, 0, 0);
    a.out_us = 0;
    a.flags = ATT_APPROVED;
    assert_false(credits_attendance_complete(&rules, &s, &a));
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 0);
}

static void test_no_sign_out(void **state)
{
    (void)state;
    struct session s = in_class();
    bool review = false;
    /* Auto-closed at the end after arriving on time: full credits, but a trainer looks. */
    struct attendance a = attended(&s, 0, 0);
    a.flags = ATT_NO_SIGNOUT;
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.5));
    assert_true(review);
    assert_false(credits_attendance_complete(&rules, &s, &a));
    /* Arrived at 16:04, closed at 17:15: 71 minutes. */
    a = attended(&s, 19, 0);
    a.flags = ATT_NO_SIGNOUT | ATT_LATE;
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1));
    assert_true(review);
}

/* A forgotten sign-out is shown closed and flagged in a statement asked after its checkout
 * window, before any tap has made the kiosk's sweep run; while the window is open it is
 * "still signed in". */
static void test_a_forgotten_sign_out_shows_closed_without_a_tap(void **state)
{
    (void)state;
    struct session s = in_class();
    struct attendance a = attended(&s, 0, 0);
    a.out_us = 0; /* never signed out, never swept */
    struct credits_input in = {.rules = &rules,
                               .today = s.date,
                               .sessions = &s,
                               .rows = &a,
                               .n_rows = 1,
                               .now_us = s.end_us + 30 * 60 * US_PER_S};
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(item("au2-in-class-support")->status, ITEM_OPEN);
    in.now_us = s.end_us + 61 * 60 * US_PER_S; /* the checkout window (60 min) has passed */
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(item("au2-in-class-support")->status, ITEM_REVIEW);
    assert_string_equal(item("au2-in-class-support")->note, "no sign-out");
    assert_int_equal(summary.total_q, Q(1.5));
    assert_int_equal(summary.review_count, 1);
    in.now_us = 0; /* no time given: as recorded */
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(item("au2-in-class-support")->status, ITEM_OPEN);
}

static void test_nothing_to_count(void **state)
{
    (void)state;
    struct session s = in_class();
    bool review = true;
    struct attendance a = attended(&s, 0, 0);
    a.out_us = 0; /* still in */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 0);
    assert_false(review);
    a = attended(&s, 0, 0);
    a.in_us = 0;
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 0);
    s.credits_q = -1; /* the brochure printed none */
    a = attended(&s, 0, 0);
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), 0);
    a.override_q = Q(1);
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1));
}

static void test_non_default_windows(void **state)
{
    (void)state;
    rules.late_after_min = 5;
    rules.early_before_min = 20;
    struct session s = in_class();
    bool review = false;
    struct attendance a = attended(&s, 6, 0);
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.25)); /* 84 min */
    assert_true(review);
    a = attended(&s, 5, 20);
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1.5));
    assert_false(review);
    a = attended(&s, 0, 21); /* 69 min */
    assert_int_equal(credits_for_attendance(&rules, &s, &a, &review), Q(1));
    assert_true(review);
}

/* ---- a year of items ---- */

static void test_summary_items(void **state)
{
    (void)state;
    struct session s[5] = {
        session(1, "au1-curriculum-conversation", KIND_SINGLE, "", Q(1.5), D(2023, 9, 25),
                HM(15, 45), HM(17, 15)),
        in_class(),
        session(3, "hub-safeguarding-2023-10-05", KIND_HUB, "", -1, D(2023, 10, 5), HM(15, 30),
                HM(16, 30)),
        session(4, "dept-sen-2023-10-17", KIND_DEPARTMENT, "", -1, D(2023, 10, 17), HM(16, 30),
                HM(17, 30)),
        session(5, "su1-understanding-attachment", KIND_SINGLE, "", -1, D(2024, 5, 1), HM(16, 0),
                HM(17, 0)),
    };
    struct attendance a[5] = {attended(&s[0], 0, 0), attended(&s[1], 19, 0), attended(&s[2], 0, 0),
                              attended(&s[3], 0, 0), attended(&s[4], 0, 0)};
    summarise(s, a, 5, NULL, 0, NULL, 0, D(2024, 5, 2));
    assert_int_equal(summary.n_items, 5);
    assert_int_equal(summary.target_q, Q(16));
    assert_int_equal(item("au1-curriculum-conversation")->status, ITEM_COUNTED);
    assert_int_equal(item("au1-curriculum-conversation")->credits_q, Q(1.5));
    assert_int_equal(item("au2-in-class-support")->status, ITEM_REVIEW);
    assert_int_equal(item("au2-in-class-support")->credits_q, Q(1));
    assert_string_equal(item("au2-in-class-support")->note, "partial: late or left early");
    /* Hubs and department meetings are recorded with 0 credits. */
    assert_int_equal(item("hub-safeguarding-2023-10-05")->status, ITEM_ZERO);
    assert_int_equal(item("hub-safeguarding-2023-10-05")->credits_q, 0);
    assert_int_equal(item("dept-sen-2023-10-17")->status, ITEM_ZERO);
    assert_int_equal(item("dept-sen-2023-10-17")->credits_q, 0);
    assert_int_equal(item("su1-understanding-attachment")->status, ITEM_NOT_COUNTED);
    assert_int_equal(summary.total_q, Q(2.5));
    assert_int_equal(summary.term_q[TERM_AUTUMN], Q(2.5));
    assert_int_equal(summary.review_count, 1);
    /* Items come in date order. */
    for (size_t i = 1; i < summary.n_items; i++)
        assert_true(summary.items[i - 1].date <= summary.items[i].date);
    /* Still signed in: shown, not counted. */
    a[0].out_us = 0;
    summarise(s, a, 1, NULL, 0, NULL, 0, D(2023, 9, 25));
    assert_int_equal(summary.items[0].status, ITEM_OPEN);
    assert_int_equal(summary.total_q, 0);
    /* A hub even with a (wrong) correction on it stays at 0. */
    a[2].override_q = Q(1);
    summarise(&s[2], &a[2], 1, NULL, 0, NULL, 0, D(2023, 10, 6));
    assert_int_equal(summary.items[0].status, ITEM_ZERO);
    assert_int_equal(summary.total_q, 0);
}

/* ---- CPI Initial ---- */

static void attend_cpi(const struct session *cpi, int cohort, const int *which, int n,
                       struct session *s, struct attendance *a)
{
    for (int i = 0; i < n; i++) {
        s[i] = cpi[cohort * 4 + which[i]];
        a[i] = attended(&s[i], 0, 0);
    }
}

static void test_cpi_three_of_four_is_nothing(void **state)
{
    (void)state;
    struct session cpi[8], s[4];
    struct attendance a[4];
    cpi_cohorts(cpi);
    attend_cpi(cpi, 0, (const int[]){0, 1, 2}, 3, s, a);
    summarise(s, a, 3, NULL, 0, cpi, 8, D(2023, 9, 20));
    const struct package_progress *p = package("cpi-autumn");
    assert_int_equal(p->kind, KIND_CPI_INITIAL);
    assert_int_equal(p->sessions_total, 4);
    assert_int_equal(p->sessions_done, 3);
    assert_int_equal(p->sessions_review, 0);
    assert_false(p->awarded);
    assert_int_equal(p->credits_q, Q(13));
    assert_true(p->has_next);
    assert_string_equal(p->next.code, "cpi-autumn-4");
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.n_items, 3);
    for (size_t i = 0; i < summary.n_items; i++) {
        assert_int_equal(summary.items[i].status, ITEM_PENDING);
        assert_int_equal(summary.items[i].credits_q, 0);
        assert_string_equal(summary.items[i].note, "counts when the course is complete");
    }
    /* Skipping a session in the middle is no different. */
    attend_cpi(cpi, 0, (const int[]){0, 1, 3}, 3, s, a);
    summarise(s, a, 3, NULL, 0, cpi, 8, D(2023, 9, 22));
    assert_int_equal(summary.total_q, 0);
    assert_false(package("cpi-autumn")->awarded);
}

static void test_cpi_four_of_four_is_thirteen(void **state)
{
    (void)state;
    struct session cpi[8], s[4];
    struct attendance a[4];
    cpi_cohorts(cpi);
    attend_cpi(cpi, 0, (const int[]){0, 1, 2, 3}, 4, s, a);
    summarise(s, a, 4, NULL, 0, cpi, 8, D(2023, 9, 22));
    const struct package_progress *p = package("cpi-autumn");
    assert_int_equal(p->sessions_done, 4);
    assert_true(p->awarded);
    assert_false(package("cpi-spring")->awarded);
    assert_int_equal(summary.total_q, Q(13));
    assert_int_equal(summary.term_q[TERM_AUTUMN], Q(13));
    /* The award is its own item, dated on the last session. */
    const struct credit_item *award = item("cpi-autumn");
    assert_int_equal(award->credits_q, Q(13));
    assert_int_equal(award->status, ITEM_COUNTED);
    assert_int_equal(award->date, D(2023, 9, 21));
    assert_int_equal(item("cpi-autumn-4")->credits_q, 0);
    /* The spring cohort, with arrivals at the 10-minute edge. */
    attend_cpi(cpi, 1, (const int[]){0, 1, 2, 3}, 4, s, a);
    a[2] = attended(&s[2], 10, 10);
    summarise(s, a, 4, NULL, 0, cpi, 8, D(2024, 2, 1));
    assert_true(package("cpi-spring")->awarded);
    assert_int_equal(summary.term_q[TERM_SPRING], Q(13));
    assert_int_equal(summary.total_q, Q(13));
}

static void test_cpi_both_cohorts_award_once(void **state)
{
    (void)state;
    struct session cpi[8];
    struct attendance a[8];
    cpi_cohorts(cpi);
    for (int i = 0; i < 8; i++)
        a[i] = attended(&cpi[i], 0, 0);
    summarise(cpi, a, 8, NULL, 0, cpi, 8, D(2024, 2, 1));
    assert_int_equal(summary.total_q, Q(13));
}

static void test_cpi_mixed_cohorts_give_nothing(void **state)
{
    (void)state;
    struct session cpi[8];
    cpi_cohorts(cpi);
    struct session s[4] = {cpi[0], cpi[1], cpi[6], cpi[7]};
    struct attendance a[4];
    for (int i = 0; i < 4; i++)
        a[i] = attended(&s[i], 0, 0);
    summarise(s, a, 4, NULL, 0, cpi, 8, D(2024, 2, 1));
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.n_packages, 2);
    assert_int_equal(package("cpi-autumn")->sessions_done, 2);
    assert_int_equal(package("cpi-spring")->sessions_done, 2);
    assert_false(package("cpi-autumn")->awarded);
    assert_false(package("cpi-spring")->awarded);
}

static void test_cpi_late_session_is_review_not_done(void **state)
{
    (void)state;
    struct session cpi[8], s[4];
    struct attendance a[4];
    cpi_cohorts(cpi);
    attend_cpi(cpi, 0, (const int[]){0, 1, 2, 3}, 4, s, a);
    a[2] = attended(&s[2], 20, 0); /* 15:35 on 20 Sep */
    summarise(s, a, 4, NULL, 0, cpi, 8, D(2023, 9, 22));
    const struct package_progress *p = package("cpi-autumn");
    assert_int_equal(p->sessions_done, 3);
    assert_int_equal(p->sessions_review, 1);
    assert_false(p->awarded);
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.review_count, 1);
    assert_int_equal(item("cpi-autumn-3")->status, ITEM_PENDING);
    assert_string_equal(item("cpi-autumn-3")->note, "needs a trainer's review to count");
    /* Left early at the last session, too. */
    a[3] = attended(&s[3], 0, 30);
    summarise(s, a, 4, NULL, 0, cpi, 8, D(2023, 9, 22));
    assert_int_equal(package("cpi-autumn")->sessions_review, 2);
    assert_int_equal(summary.review_count, 2);
    /* A trainer approves both: 13 credits. */
    a[2].flags |= ATT_APPROVED;
    a[3].flags |= ATT_APPROVED;
    summarise(s, a, 4, NULL, 0, cpi, 8, D(2023, 9, 22));
    assert_true(package("cpi-autumn")->awarded);
    assert_int_equal(summary.total_q, Q(13));
    assert_int_equal(summary.review_count, 0);
}

/* ---- MAPA Refresher ---- */

static void test_mapa_block_and_online_part_give_ten(void **state)
{
    (void)state;
    struct session mapa[8];
    mapa_blocks(mapa);
    struct attendance a[2] = {attended(&mapa[0], 0, 0), attended(&mapa[1], 0, 0)};
    struct external_credit online =
        external("mapa-online", "mapa", SOURCE_PRERECORDED, D(2024, 4, 22), Q(3.5), true, false);
    summarise(mapa, a, 2, &online, 1, mapa, 8, D(2024, 5, 1));
    const struct package_progress *p = package("mapa-1");
    assert_true(p->awarded);
    assert_true(p->online_needed);
    assert_true(p->online_done);
    assert_int_equal(p->sessions_done, 2);
    assert_int_equal(p->sessions_total, 2);
    assert_int_equal(summary.total_q, Q(10));
    assert_int_equal(item("mapa-1")->credits_q, Q(6.5)); /* classroom */
    assert_int_equal(item("mapa-1")->date, D(2024, 4, 27));
    assert_int_equal(item("mapa-online")->credits_q, Q(3.5));
    assert_int_equal(item("mapa-online")->status, ITEM_COUNTED);
    assert_int_equal(summary.prerecorded_counted_q, Q(3.5));
    assert_int_equal(summary.term_q[TERM_SUMMER], Q(10));
    /* The day rows say where their credits went. */
    assert_string_equal(item("mapa-1-day1")->note, "counted in the course's award");
    /* The online part typed as 1 credit is not the programme's 3.5: refused, and so the block
     * is not complete (it would otherwise say "10 awarded" while counting 7.5). */
    struct external_credit short_online = online;
    short_online.credits_q = Q(1);
    summarise(mapa, a, 2, &short_online, 1, mapa, 8, D(2024, 5, 1));
    assert_false(package("mapa-1")->awarded);
    assert_int_equal(summary.total_q, 0);
    /* A later block works the same way. */
    struct attendance b[2] = {attended(&mapa[6], 0, 0), attended(&mapa[7], 0, 0)};
    summarise(&mapa[6], b, 2, &online, 1, mapa, 8, D(2024, 5, 20));
    assert_true(package("mapa-4")->awarded);
    assert_int_equal(summary.total_q, Q(10));
}

static void test_mapa_without_the_online_part_is_pending(void **state)
{
    (void)state;
    struct session mapa[8];
    mapa_blocks(mapa);
    struct attendance a[2] = {attended(&mapa[0], 0, 0), attended(&mapa[1], 0, 0)};
    summarise(mapa, a, 2, NULL, 0, mapa, 8, D(2024, 5, 1));
    const struct package_progress *p = package("mapa-1");
    assert_false(p->awarded);
    assert_false(p->online_done);
    assert_int_equal(p->sessions_done, 2);
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(item("mapa-1-day1")->status, ITEM_PENDING);
    assert_int_equal(item("mapa-1-day2")->status, ITEM_PENDING);
    /* An online part without a certificate does not complete it. */
    struct external_credit online =
        external("mapa-online", "mapa", SOURCE_PRERECORDED, D(2024, 4, 22), Q(3.5), false, false);
    summarise(mapa, a, 2, &online, 1, mapa, 8, D(2024, 5, 1));
    assert_false(package("mapa-1")->awarded);
    assert_int_equal(summary.total_q, 0);
    /* The online part alone: pending, 0. */
    online.has_certificate = true;
    summarise(NULL, NULL, 0, &online, 1, mapa, 8, D(2024, 5, 1));
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(item("mapa-online")->status, ITEM_PENDING);
    assert_int_equal(item("mapa-online")->credits_q, 0);
    /* One day of a block plus the online part: still nothing. */
    summarise(mapa, a, 1, &online, 1, mapa, 8, D(2024, 5, 1));
    assert_int_equal(summary.total_q, 0);
    /* Day 1 of one block and day 2 of another are not a block. */
    struct session mixed[2] = {mapa[0], mapa[3]};
    struct attendance m[2] = {attended(&mixed[0], 0, 0), attended(&mixed[1], 0, 0)};
    summarise(mixed, m, 2, &online, 1, mapa, 8, D(2024, 5, 20));
    assert_int_equal(summary.total_q, 0);
}

/* ---- pre-recorded cap ---- */

/* Priya's certificates (data/demo-credits.csv): 2 + 1 + 3 + 1 + 1 + 1 = 9. */
static void priya(struct external_credit x[6])
{
    x[0] = external("au1-aces", "", SOURCE_PRERECORDED, D(2023, 10, 3), Q(2), true, false);
    x[1] =
        external("au1-lgbt-awareness", "", SOURCE_PRERECORDED, D(2023, 10, 10), Q(1), true, false);
    x[2] = external("au2-cpi-online", "", SOURCE_PRERECORDED, D(2023, 11, 14), Q(3), true, false);
    x[3] = external("au2-any-tes-hour", "", SOURCE_PRERECORDED, D(2023, 12, 4), Q(1), true, false);
    x[4] = external("sp1-any-tes-hour", "", SOURCE_PRERECORDED, D(2024, 1, 22), Q(1), true, false);
    x[5] = external("sp2-any-tes-hour", "", SOURCE_PRERECORDED, D(2024, 3, 5), Q(1), true, false);
}

static void test_prerecorded_nine_count_eight(void **state)
{
    (void)state;
    struct external_credit x[6];
    priya(x);
    summarise(NULL, NULL, 0, x, 6, NULL, 0, D(2024, 7, 20));
    assert_int_equal(summary.prerecorded_claimed_q, Q(9));
    assert_int_equal(summary.prerecorded_counted_q, Q(8));
    assert_int_equal(summary.total_q, Q(8));
    assert_int_equal(item("sp2-any-tes-hour")->status, ITEM_CAPPED);
    assert_int_equal(item("sp2-any-tes-hour")->credits_q, 0);
    assert_string_equal(item("sp2-any-tes-hour")->note, "over the pre-recorded cap");
    assert_int_equal(item("sp1-any-tes-hour")->status, ITEM_COUNTED);
    assert_int_equal(summary.term_q[TERM_AUTUMN], Q(7));
    assert_int_equal(summary.term_q[TERM_SPRING], Q(1));
    /* Given in any order, the cap still applies in date order. */
    struct external_credit r[6];
    for (int i = 0; i < 6; i++)
        r[i] = x[5 - i];
    summarise(NULL, NULL, 0, r, 6, NULL, 0, D(2024, 7, 20));
    assert_int_equal(item("sp2-any-tes-hour")->credits_q, 0);
    assert_int_equal(summary.term_q[TERM_SPRING], Q(1));
    /* Live Teams is not pre-recorded: not capped. */
    struct external_credit y[7];
    memcpy(y, x, sizeof(x));
    y[6] = external("sp1-grievance-disciplinary", "", SOURCE_LIVE_TEAMS, D(2024, 2, 1), Q(2), false,
                    false);
    summarise(NULL, NULL, 0, y, 7, NULL, 0, D(2024, 7, 20));
    assert_int_equal(summary.total_q, Q(10));
}

static void test_prerecorded_crossing_item_counts_in_part(void **state)
{
    (void)state;
    struct external_credit x[5] = {
        external("au1-aces", "", SOURCE_PRERECORDED, D(2023, 10, 3), Q(2), true, false),
        external("au1-lgbt-awareness", "", SOURCE_PRERECORDED, D(2023, 10, 10), Q(1), true, false),
        external("au2-cpi-online", "", SOURCE_PRERECORDED, D(2023, 11, 14), Q(3), true, false),
        external("sp1-aces", "", SOURCE_PRERECORDED, D(2024, 1, 22), Q(2.5), true, false),
        external("sp2-any-tes-hour", "", SOURCE_PRERECORDED, D(2024, 3, 5), Q(1), false, false)};
    summarise(NULL, NULL, 0, x, 5, NULL, 0, D(2024, 3, 10));
    /* 2 + 1 + 3 + 2.5 = 8.5 certified; 8 count, the last in part. */
    assert_int_equal(summary.prerecorded_claimed_q, Q(8.5));
    assert_int_equal(summary.prerecorded_counted_q, Q(8));
    assert_int_equal(summary.total_q, Q(8));
    assert_int_equal(item("sp1-aces")->status, ITEM_CAPPED);
    assert_int_equal(item("sp1-aces")->credits_q, Q(2));
    /* No certificate: not counted, not claimed, and a trainer should ask for it. */
    assert_int_equal(item("sp2-any-tes-hour")->status, ITEM_NOT_COUNTED);
    assert_int_equal(item("sp2-any-tes-hour")->credits_q, 0);
    assert_string_equal(item("sp2-any-tes-hour")->note, "no certificate");
    assert_int_equal(summary.review_count, 1);
    assert_int_equal(summary.term_q[TERM_AUTUMN], Q(6));
    assert_int_equal(summary.term_q[TERM_SPRING], Q(2));
    /* A smaller cap from config. */
    rules.prerecorded_cap_quarters = Q(4);
    summarise(NULL, NULL, 0, x, 5, NULL, 0, D(2024, 3, 10));
    assert_int_equal(summary.prerecorded_counted_q, Q(4));
    assert_int_equal(item("au2-cpi-online")->credits_q, Q(1));
    assert_int_equal(item("sp1-aces")->credits_q, 0);
}

static void test_prerecorded_from_another_year_does_not_use_the_cap(void **state)
{
    (void)state;
    /* Certificates from last summer are history (kept for renewals), not this year's cap. */
    struct external_credit x[2] = {
        external("su2-aces", "", SOURCE_PRERECORDED, D(2023, 7, 10), Q(8), true, false),
        external("au1-aces", "", SOURCE_PRERECORDED, D(2023, 10, 3), Q(2), true, false)};
    summarise(NULL, NULL, 0, x, 2, NULL, 0, D(2023, 11, 1));
    assert_int_equal(item("su2-aces")->status, ITEM_NOT_COUNTED);
    assert_string_equal(item("su2-aces")->note, "outside the credit year");
    assert_int_equal(item("au1-aces")->status, ITEM_COUNTED);
    assert_int_equal(item("au1-aces")->credits_q, Q(2));
    assert_int_equal(summary.prerecorded_counted_q, Q(2));
    assert_int_equal(summary.total_q, Q(2));
}

/* ---- directed training and meetings ---- */

static void test_mandatory_counts_only_when_directed(void **state)
{
    (void)state;
    struct external_credit x[3] = {
        external("mand-online-safety", "", SOURCE_MANDATORY, D(2023, 10, 17), Q(3), true, true),
        external("mand-kcsie", "", SOURCE_MANDATORY, D(2023, 9, 14), Q(1), true, false),
        external("au2-window-of-tolerance", "", SOURCE_LIVE_TEAMS, D(2023, 11, 29), Q(1), false,
                 false)};
    summarise(NULL, NULL, 0, x, 3, NULL, 0, D(2023, 12, 1));
    assert_int_equal(summary.total_q, Q(4)); /* 3 directed + 1 Live Teams; not KCSIE */
    assert_int_equal(item("mand-online-safety")->status, ITEM_COUNTED);
    assert_int_equal(item("mand-online-safety")->credits_q, Q(3));
    assert_int_equal(item("mand-kcsie")->status, ITEM_NOT_COUNTED);
    assert_int_equal(item("mand-kcsie")->credits_q, 0);
    assert_string_equal(item("mand-kcsie")->note, "mandatory training not directed outside hours");
    assert_int_equal(item("au2-window-of-tolerance")->status, ITEM_COUNTED);
    /* Pre-recorded mandatory training is pre-recorded training: it uses the cap. */
    assert_int_equal(summary.prerecorded_claimed_q, Q(3));
    /* A record from 2020 is outside the year before it is anything else. */
    x[1].date = D(2020, 9, 14);
    summarise(NULL, NULL, 0, x, 3, NULL, 0, D(2023, 12, 1));
    assert_string_equal(item("mand-kcsie")->note, "outside the credit year");
}

/* ---- credits recorded elsewhere, judged against the programme ---- */

static struct external_credit titled(struct external_credit x, const char *title)
{
    snprintf(x.title, sizeof(x.title), "%s", title);
    return x;
}

/* Each anomaly found importing brochure sessions: refused by the check the importer uses, and
 * not counted by the engine if it got into a store anyway. */
static void test_external_credits_are_held_to_the_programme(void **state)
{
    (void)state;
    const char *why = "";
    /* "The window of tolerance": Live Teams, 1 credit; 5 typed. */
    struct external_credit window = external("au2-window-of-tolerance", "", SOURCE_LIVE_TEAMS,
                                             D(2023, 11, 29), Q(5), false, false);
    window.printed_q = Q(1);
    window.has_session = true;
    window.session_date = D(2023, 11, 29);
    assert_false(credits_external_acceptable(&window, &why));
    assert_string_equal(why, "more credits than the programme prints for the course");
    window.credits_q = Q(1);
    assert_true(credits_external_acceptable(&window, &why));
    assert_string_equal(why, "");
    /* The grievance session (1 Feb) recorded on another date too. */
    struct external_credit grievance = external("sp1-grievance-disciplinary", "", SOURCE_LIVE_TEAMS,
                                                D(2024, 2, 8), Q(2), false, false);
    grievance.has_session = true;
    grievance.session_date = D(2024, 2, 1);
    assert_false(credits_external_acceptable(&grievance, &why));
    assert_string_equal(why, "not the date of the course's session");
    /* A hub meeting (face to face, 0 credits) sent in as Live Teams. */
    struct external_credit hub =
        external("hub-safeguarding", "", SOURCE_LIVE_TEAMS, D(2024, 1, 24), Q(1), false, false);
    hub.kind = KIND_HUB;
    hub.delivery = DELIVERY_FACE_TO_FACE;
    hub.printed_q = 0;
    assert_false(credits_external_acceptable(&hub, &why));
    hub.delivery = DELIVERY_LIVE_TEAMS; /* a hub held on Teams still gives nothing */
    assert_false(credits_external_acceptable(&hub, &why));
    assert_string_equal(why, "a hub or department meeting is directed time: 0 credits");
    /* A face-to-face session (the kiosk's to record) sent in as well. */
    struct external_credit f2f = external("au2-in-class-support", "", SOURCE_LIVE_TEAMS,
                                          D(2023, 11, 27), Q(1.5), false, false);
    f2f.delivery = DELIVERY_FACE_TO_FACE;
    assert_false(credits_external_acceptable(&f2f, &why));
    f2f.kind = KIND_CPI_INITIAL;
    assert_false(credits_external_acceptable(&f2f, &why));
    /* Sources that do not match the course. */
    struct external_credit ace =
        external("au1-aces", "", SOURCE_LIVE_TEAMS, D(2023, 10, 3), Q(2), true, false);
    ace.delivery = DELIVERY_PRERECORDED;
    assert_false(credits_external_acceptable(&ace, &why));
    struct external_credit kcsie =
        external("mand-kcsie", "", SOURCE_PRERECORDED, D(2023, 9, 14), Q(1), true, true);
    kcsie.kind = KIND_MANDATORY;
    assert_false(credits_external_acceptable(&kcsie, &why));
    assert_string_equal(why, "mandatory training is recorded with source mandatory");
    struct external_credit notmand =
        external("au1-aces", "", SOURCE_MANDATORY, D(2023, 10, 3), Q(2), true, true);
    notmand.kind = KIND_PRERECORDED;
    assert_false(credits_external_acceptable(&notmand, &why));
    /* A course printed without credits: only with a reason. */
    struct external_credit level1 = external("mand-level1-safeguarding-f2f", "", SOURCE_MANDATORY,
                                             D(2023, 9, 5), Q(2.5), false, true);
    level1.delivery = DELIVERY_FACE_TO_FACE;
    level1.printed_q = -1;
    assert_false(credits_external_acceptable(&level1, &why));
    level1.has_reason = true;
    assert_true(credits_external_acceptable(&level1, &why));
    /* MAPA's online part is 3.5 in the programme; 10 typed. */
    struct external_credit online =
        external("mapa-online", "mapa", SOURCE_PRERECORDED, D(2024, 4, 20), Q(10), true, false);
    online.printed_q = Q(3.5);
    assert_false(credits_external_acceptable(&online, &why));

    /* The engine, handed them all (as a ledger row or an older store might): none counts, the
     * office is told why, and the acceptable ones count. */
    struct external_credit all[] = {window, grievance, hub, f2f, ace, kcsie, notmand, online};
    all[0].credits_q = Q(5);
    summarise(NULL, NULL, 0, all, 8, NULL, 0, D(2024, 7, 1));
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.review_count, 8);
    for (size_t i = 0; i < summary.n_items; i++) {
        assert_int_equal(summary.items[i].status, ITEM_NOT_COUNTED);
        assert_int_equal(summary.items[i].credits_q, 0);
        assert_true(summary.items[i].note[0] != '\0');
    }
}

/* A course printed without credits takes at most a day's; a statement as of a date counts
 * nothing dated after it, and a completion dated later renews nothing yet. */
static void test_bounds_and_the_date_asked(void **state)
{
    (void)state;
    const char *why = "";
    struct external_credit level1 = external("mand-level1-safeguarding-f2f", "", SOURCE_MANDATORY,
                                             D(2023, 9, 5), Q(50), false, true);
    level1.delivery = DELIVERY_FACE_TO_FACE;
    level1.printed_q = -1;
    level1.has_reason = true;
    assert_false(credits_external_acceptable(&level1, &why));
    assert_non_null(strstr(why, "8 credits"));
    level1.credits_q = Q(8);
    assert_true(credits_external_acceptable(&level1, &why));
    struct mandatory_course m = {.course_id = 9, .frequency = FREQ_ANNUAL};
    struct external_credit x[2] = {
        external("window", "", SOURCE_LIVE_TEAMS, D(2023, 11, 29), Q(1), false, false),
        external("mand-equality", "", SOURCE_MANDATORY, D(2099, 1, 1), Q(1), true, true)};
    x[1].course_id = 9;
    struct credits_input in = {.rules = &rules,
                               .today = D(2023, 10, 1),
                               .external = x,
                               .n_external = 2,
                               .mandatory = &m,
                               .n_mandatory = 1};
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(summary.total_q, 0);
    assert_string_equal(item("window")->note, "after the date asked");
    assert_int_equal(summary.due[0].status, DUE_NEVER); /* 2099 is no completion yet */
    in.today = D(2023, 12, 1);
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(summary.total_q, Q(1));
}

/* Adverse Childhood Experiences is listed each half-term: done three times, it counts once.
 * "Any 1 hour of TES training" is each hour its own credit. */
static void test_a_course_done_again_counts_once_a_year(void **state)
{
    (void)state;
    struct external_credit x[] = {
        titled(external("au1-aces", "", SOURCE_PRERECORDED, D(2023, 10, 3), Q(2), true, false),
               "Adverse Childhood Experiences"),
        titled(external("au2-aces", "", SOURCE_PRERECORDED, D(2023, 11, 7), Q(2), true, false),
               "Adverse Childhood Experiences"),
        titled(external("sp1-aces", "", SOURCE_PRERECORDED, D(2024, 1, 9), Q(2), true, false),
               "Adverse Childhood Experiences"),
        titled(
            external("au1-any-tes-hour", "", SOURCE_PRERECORDED, D(2023, 10, 4), Q(1), true, false),
            "Any 1 hour of TES training"),
        titled(
            external("au2-any-tes-hour", "", SOURCE_PRERECORDED, D(2023, 11, 8), Q(1), true, false),
            "Any 1 hour of TES training"),
    };
    summarise(NULL, NULL, 0, x, 5, NULL, 0, D(2024, 7, 1));
    assert_int_equal(summary.total_q, Q(4)); /* 2 + 1 + 1, not 8 */
    assert_int_equal(item("au1-aces")->status, ITEM_COUNTED);
    assert_int_equal(item("au2-aces")->status, ITEM_NOT_COUNTED);
    assert_string_equal(item("au2-aces")->note,
                        "already counted this year: the same course done again");
    assert_int_equal(item("sp1-aces")->credits_q, 0);
    assert_int_equal(item("au2-any-tes-hour")->status, ITEM_COUNTED);
    /* Whichever order they come in, the earliest one counts. */
    struct external_credit rev[] = {x[2], x[1], x[0]};
    summarise(NULL, NULL, 0, rev, 3, NULL, 0, D(2024, 7, 1));
    assert_int_equal(summary.total_q, Q(2));
    assert_int_equal(item("au1-aces")->status, ITEM_COUNTED);
    /* The first one without its certificate does not count, so the next one does. */
    x[0].has_certificate = false;
    summarise(NULL, NULL, 0, x, 3, NULL, 0, D(2024, 7, 1));
    assert_int_equal(item("au1-aces")->status, ITEM_NOT_COUNTED);
    assert_int_equal(item("au2-aces")->status, ITEM_COUNTED);
    assert_int_equal(summary.total_q, Q(2));
    /* Last year's ACEs (kept for the record) do not stop this year's. */
    x[0].has_certificate = true;
    x[0].date = D(2023, 3, 1);
    summarise(NULL, NULL, 0, x, 2, NULL, 0, D(2024, 7, 1));
    assert_int_equal(item("au2-aces")->status, ITEM_COUNTED);
}

/* Online items alone cannot make the year: pre-recorded mandatory training needs its
 * certificate and uses the 8-credit cap like any pre-recorded course; Live Teams does not. */
static void test_online_items_cannot_make_the_year_alone(void **state)
{
    (void)state;
    struct external_credit x[] = {
        external("mand-online-safety", "", SOURCE_MANDATORY, D(2023, 10, 17), Q(3), true, true),
        external("mand-fgm", "", SOURCE_MANDATORY, D(2023, 10, 18), Q(1), false, true),
        external("au1-aces", "", SOURCE_PRERECORDED, D(2023, 10, 3), Q(2), true, false),
        external("au1-lgbt", "", SOURCE_PRERECORDED, D(2023, 10, 10), Q(1), true, false),
        external("au2-cpi-online", "", SOURCE_PRERECORDED, D(2023, 11, 14), Q(3), true, false),
        external("mand-level1-safeguarding-online", "", SOURCE_MANDATORY, D(2023, 9, 20), Q(2),
                 true, true),
        external("mand-gdpr", "", SOURCE_MANDATORY, D(2024, 2, 1), Q(1), false, true),
    };
    x[6].delivery = DELIVERY_LIVE_TEAMS; /* GDPR is on Live Teams: no certificate, no cap */
    summarise(NULL, NULL, 0, x, 7, NULL, 0, D(2024, 7, 1));
    assert_string_equal(item("mand-fgm")->note, "no certificate");
    assert_int_equal(summary.prerecorded_claimed_q, Q(11)); /* 2 + 2 + 1 + 3 + 3 */
    assert_int_equal(summary.prerecorded_counted_q, Q(8));
    assert_int_equal(summary.total_q, Q(9)); /* 8 capped + GDPR */
    assert_int_equal(item("mand-gdpr")->status, ITEM_COUNTED);
}

/* ---- terms ---- */

static void test_per_term_split(void **state)
{
    (void)state;
    struct external_credit x[6] = {
        external("a", "", SOURCE_LIVE_TEAMS, D(2023, 9, 1), Q(1), false, false), /* before term */
        external("b", "", SOURCE_LIVE_TEAMS, D(2023, 10, 25), Q(1.5), false, false), /* half-term */
        external("c", "", SOURCE_LIVE_TEAMS, D(2023, 12, 27), Q(0.25), false, false), /* Xmas */
        external("d", "", SOURCE_LIVE_TEAMS, D(2024, 1, 4), Q(2), false, false),
        external("e", "", SOURCE_LIVE_TEAMS, D(2024, 4, 2), Q(1), false, false), /* Easter */
        external("f", "", SOURCE_LIVE_TEAMS, D(2024, 7, 19), Q(0.75), false, false)};
    summarise(NULL, NULL, 0, x, 6, NULL, 0, D(2024, 8, 31));
    assert_int_equal(summary.term_q[TERM_AUTUMN], Q(2.75));
    assert_int_equal(summary.term_q[TERM_SPRING], Q(3));
    assert_int_equal(summary.term_q[TERM_SUMMER], Q(0.75));
    assert_int_equal(summary.total_q, Q(6.5));
    assert_int_equal(item("a")->term, TERM_AUTUMN);
    assert_int_equal(item("e")->term, TERM_SPRING);
    assert_int_equal(item("f")->term, TERM_SUMMER);
    for (int t = 0; t < TERM_COUNT; t++) {
        assert_true(summary.term_ended[t]);
        assert_false(summary.term_breach[t]);
    }
    /* The summer holiday is after the summer term: recorded, not counted for the year. */
    x[5].date = D(2024, 7, 20);
    summarise(NULL, NULL, 0, x, 6, NULL, 0, D(2024, 8, 31));
    assert_int_equal(summary.term_q[TERM_SUMMER], 0);
    assert_int_equal(item("f")->status, ITEM_NOT_COUNTED);
    assert_int_equal(item("f")->term, -1);
    x[5].date = D(2024, 7, 19);
    /* Outside the credit year: recorded, not counted. */
    x[0].date = D(2024, 9, 2);
    summarise(NULL, NULL, 0, x, 1, NULL, 0, D(2024, 4, 2));
    assert_int_equal(summary.total_q, 0);
    assert_int_equal(summary.items[0].term, -1);
    assert_int_equal(summary.items[0].status, ITEM_NOT_COUNTED);
}

static void test_a_term_ended_with_nothing_is_a_breach(void **state)
{
    (void)state;
    struct external_credit x =
        external("au1-aces", "", SOURCE_PRERECORDED, D(2023, 10, 3), Q(2), true, false);
    /* 1 Feb: autumn ended with credits, spring still running. */
    summarise(NULL, NULL, 0, &x, 1, NULL, 0, D(2024, 2, 1));
    assert_true(summary.term_ended[TERM_AUTUMN]);
    assert_false(summary.term_breach[TERM_AUTUMN]);
    assert_false(summary.term_ended[TERM_SPRING]);
    assert_false(summary.term_breach[TERM_SPRING]);
    /* On the last day of the spring term it has not ended yet … */
    summarise(NULL, NULL, 0, &x, 1, NULL, 0, D(2024, 3, 28));
    assert_false(summary.term_breach[TERM_SPRING]);
    /* … the day after, it has, with 0 credits. */
    summarise(NULL, NULL, 0, &x, 1, NULL, 0, D(2024, 3, 29));
    assert_true(summary.term_ended[TERM_SPRING]);
    assert_true(summary.term_breach[TERM_SPRING]);
    assert_false(summary.term_breach[TERM_SUMMER]);
    /* Nothing all year, seen in the summer holidays: three breaches. */
    summarise(NULL, NULL, 0, NULL, 0, NULL, 0, D(2024, 7, 22));
    for (int t = 0; t < TERM_COUNT; t++)
        assert_true(summary.term_breach[t]);
    /* 0-credit meetings do not prevent a breach. */
    struct session hub = session(3, "hub-safeguarding-2024-01-25", KIND_HUB, "", -1, D(2024, 1, 25),
                                 HM(15, 30), HM(16, 30));
    struct attendance a = attended(&hub, 0, 0);
    summarise(&hub, &a, 1, &x, 1, NULL, 0, D(2024, 4, 2));
    assert_true(summary.term_breach[TERM_SPRING]);
}

/* ---- renewals ---- */

static void test_renewal_due_dates(void **state)
{
    (void)state;
    struct mandatory_course m[6] = {{.course_id = 1, .frequency = FREQ_ANNUAL},
                                    {.course_id = 2, .frequency = FREQ_2_YEARLY},
                                    {.course_id = 3, .frequency = FREQ_3_YEARLY},
                                    {.course_id = 4, .frequency = FREQ_ANNUAL},
                                    {.course_id = 5, .frequency = FREQ_INITIAL_ANNUAL},
                                    {.course_id = 6, .frequency = FREQ_2_YEARLY}};
    snprintf(m[0].title, sizeof(m[0].title), "KCSIE Knowledge check");
    struct external_credit x[6] = {
        external("mand-kcsie", "", SOURCE_MANDATORY, D(2022, 9, 12), Q(1), true, false),
        external("mand-kcsie", "", SOURCE_MANDATORY, D(2023, 9, 14), Q(1), true, false),
        external("mand-cyber-security", "", SOURCE_MANDATORY, D(2022, 1, 10), Q(1), true, false),
        external("mand-level1-safeguarding-f2f", "", SOURCE_MANDATORY, D(2021, 9, 1), 0, true,
                 false),
        external("mand-prevent-awareness", "", SOURCE_MANDATORY, D(2023, 9, 19), Q(0.5), true,
                 false),
        external("mand-fgm", "", SOURCE_MANDATORY, D(2023, 9, 20), Q(1), true, false)};
    int ids[6] = {1, 1, 2, 3, 5, 6};
    for (int i = 0; i < 6; i++)
        x[i].course_id = ids[i];
    struct credits_input in = {.rules = &rules,
                               .today = D(2024, 8, 15),
                               .external = x,
                               .n_external = 6,
                               .mandatory = m,
                               .n_mandatory = 6};
    credits_summarise(&in, &summary);
    assert_int_equal(summary.n_due, 6);
    assert_string_equal(summary.due[0].title, "KCSIE Knowledge check");
    /* Annual, the latest completion counts: 14 Sep 2024, 30 days away → due soon. */
    assert_int_equal(summary.due[0].last_done, D(2023, 9, 14));
    assert_int_equal(summary.due[0].due, D(2024, 9, 14));
    assert_int_equal(summary.due[0].status, DUE_SOON);
    /* 2-yearly, done Jan 2022: overdue since 10 Jan 2024. */
    assert_int_equal(summary.due[1].due, D(2024, 1, 10));
    assert_int_equal(summary.due[1].status, DUE_OVERDUE);
    /* 3-yearly, done 1 Sep 2021: due 1 Sep 2024, 17 days away. */
    assert_int_equal(summary.due[2].due, D(2024, 9, 1));
    assert_int_equal(summary.due[2].status, DUE_SOON);
    /* Never done. */
    assert_int_equal(summary.due[3].status, DUE_NEVER);
    assert_int_equal(summary.due[3].frequency, FREQ_ANNUAL);
    /* Initial then annual: a year after the initial course, 35 days away → ok. */
    assert_int_equal(summary.due[4].due, D(2024, 9, 19));
    assert_int_equal(summary.due[4].status, DUE_OK);
    /* 2-yearly, done Sep 2023: fine for a year yet. */
    assert_int_equal(summary.due[5].due, D(2025, 9, 20));
    assert_int_equal(summary.due[5].status, DUE_OK);
    /* The 30-day edge, and the due day itself. */
    in.today = D(2024, 8, 15) - 1; /* 31 days before 14 Sep */
    credits_summarise(&in, &summary);
    assert_int_equal(summary.due[0].status, DUE_OK);
    in.today = D(2024, 9, 14);
    credits_summarise(&in, &summary);
    assert_int_equal(summary.due[0].status, DUE_SOON);
    in.today = D(2024, 9, 15);
    credits_summarise(&in, &summary);
    assert_int_equal(summary.due[0].status, DUE_OVERDUE);
    assert_string_equal(credits_due_status_name(DUE_OVERDUE), "overdue");
    assert_string_equal(credits_due_status_name(DUE_NEVER), "not recorded");
}

/* Prevent Awareness is "initial then refresher annually": once the refresher is done, the
 * awareness course is not overdue — the refresher renews it. */
static void test_the_prevent_refresher_renews_the_awareness_course(void **state)
{
    (void)state;
    struct mandatory_course m[2] = {
        {.course_id = 5, .title = "Prevent Awareness", .frequency = FREQ_INITIAL_ANNUAL},
        {.course_id = 6, .title = "Prevent Refresher", .frequency = FREQ_ANNUAL}};
    snprintf(m[0].group, sizeof(m[0].group), "prevent");
    snprintf(m[1].group, sizeof(m[1].group), "prevent");
    struct external_credit x[2] = {external("mand-prevent-awareness", "prevent", SOURCE_MANDATORY,
                                            D(2022, 9, 10), Q(0.5), true, false),
                                   external("mand-prevent-refresher", "prevent", SOURCE_MANDATORY,
                                            D(2023, 9, 12), Q(0.5), true, false)};
    x[0].course_id = 5;
    x[1].course_id = 6;
    struct credits_input in = {.rules = &rules,
                               .today = D(2024, 8, 15),
                               .external = x,
                               .n_external = 2,
                               .mandatory = m,
                               .n_mandatory = 2};
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(summary.due[0].last_done, D(2023, 9, 12));
    assert_int_equal(summary.due[0].due, D(2024, 9, 12));
    assert_int_equal(summary.due[0].status, DUE_SOON); /* 28 days away: not overdue */
    assert_int_equal(summary.due[1].status, DUE_SOON);
    /* Without the group (as before), the awareness course alone is overdue. */
    m[0].group[0] = '\0';
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(summary.due[0].status, DUE_OVERDUE);
}

static void test_mandatory_without_a_cycle_is_never_overdue(void **state)
{
    (void)state;
    /* The importer accepts mandatory training without a frequency ("no renewal date"). */
    struct mandatory_course m = {.course_id = 7, .frequency = FREQ_NONE};
    struct external_credit x =
        external("mand-once", "", SOURCE_MANDATORY, D(2023, 9, 4), Q(1), true, false);
    x.course_id = 7;
    struct credits_input in = {.rules = &rules,
                               .today = D(2024, 8, 15),
                               .external = &x,
                               .n_external = 1,
                               .mandatory = &m,
                               .n_mandatory = 1};
    credits_summarise(&in, &summary);
    assert_int_equal(summary.n_due, 1);
    assert_int_equal(summary.due[0].last_done, D(2023, 9, 4));
    assert_int_equal(summary.due[0].status, DUE_OK);
    in.n_external = 0;
    credits_summarise(&in, &summary);
    assert_int_equal(summary.due[0].status, DUE_NEVER);
}

/* Hundreds of small items — a person who attended a quarter-hour briefing every day for years,
 * plus as many directed mandatory credits — are all counted: no list is cut, so no credit is
 * lost, and the same summary reused for a shorter year holds just that year. */
static void test_hundreds_of_items_are_all_counted(void **state)
{
    (void)state;
    enum { N = 300 };
    struct session *s = calloc(N, sizeof(*s));
    struct attendance *a = calloc(N, sizeof(*a));
    struct external_credit *x = calloc(N, sizeof(*x));
    struct mandatory_course *m = calloc(N, sizeof(*m));
    assert_true(s && a && x && m);
    civil_day day = D(2023, 9, 1);
    for (int i = 0; i < N; i++) {
        char code[32];
        snprintf(code, sizeof(code), "brief-%d", i);
        /* Two a day, on the days inside the year's terms. */
        while (i % 2 == 0 && rules_term_of(&rules.terms, ++day) < 0)
            ;
        s[i] = session(1000 + i, code, KIND_SINGLE, "", Q(0.25), day, HM(15, 45), HM(16, 0));
        a[i] = attended(&s[i], 0, 0);
        x[i] = external(code, "", SOURCE_LIVE_TEAMS, day, Q(0.25), false, false);
        x[i].course_id = 5000 + i;
        m[i] = (struct mandatory_course){.course_id = 5000 + i, .frequency = FREQ_ANNUAL};
        snprintf(m[i].title, sizeof(m[i].title), "%s", code);
    }
    struct credits_input in = {.rules = &rules,
                               .today = D(2024, 8, 31),
                               .sessions = s,
                               .rows = a,
                               .n_rows = N,
                               .external = x,
                               .n_external = N,
                               .mandatory = m,
                               .n_mandatory = N};
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(summary.n_items, 2 * N);
    assert_int_equal(summary.total_q, 2 * N * Q(0.25)); /* 150 credits, not a cut 64 */
    assert_int_equal(summary.n_due, N);
    int sum = 0;
    for (int t = 0; t < TERM_COUNT; t++)
        sum += summary.term_q[t];
    assert_int_equal(sum, summary.total_q);
    for (size_t i = 1; i < summary.n_items; i++)
        assert_true(summary.items[i - 1].date <= summary.items[i].date);
    in.n_rows = 3;
    in.n_external = 0;
    in.n_mandatory = 0;
    assert_int_equal(credits_summarise(&in, &summary), CREDITS_OK);
    assert_int_equal(summary.n_items, 3);
    assert_int_equal(summary.total_q, 3 * Q(0.25));
    assert_int_equal(summary.n_due, 0);
    free(s);
    free(a);
    free(x);
    free(m);
}

/* The forecast: what can still be earned — one of two sessions that overlap, the pre-recorded
 * headroom, a CPI cohort not started — and the fewest sessions that get there. */
static void test_the_forecast(void **state)
{
    (void)state;
    struct credit_summary s = {0};
    s.target_q = Q(16);
    s.total_q = Q(12);
    s.term_q[TERM_SPRING] = 0;
    s.prerecorded_counted_q = Q(8); /* no headroom */
    struct session coming[3] = {
        session(1, "a", KIND_SINGLE, "", Q(1.5), D(2024, 1, 29), HM(15, 45), HM(17, 15)),
        session(2, "b", KIND_SINGLE, "", Q(1), D(2024, 1, 29), HM(16, 0), HM(17, 0)),
        session(3, "c", KIND_SINGLE, "", Q(2), D(2024, 2, 1), HM(15, 35), HM(17, 45))};
    struct forecast_input in = {
        .rules = &rules, .today = D(2024, 1, 10), .summary = &s, .coming = coming, .n_coming = 3};
    struct forecast f;
    credits_forecast(&in, &f);
    assert_int_equal(f.needed_q, Q(4));
    assert_int_equal(f.reachable_q, Q(15.5)); /* 12 + 1.5 + 2: b overlaps a */
    assert_true(f.cannot_reach);
    assert_int_equal(f.term_at_risk, TERM_SPRING);
    assert_int_equal(f.n_way_back, 2); /* c then a: b clashes with a */
    assert_int_equal(f.way_back[0], 2);
    assert_int_equal(f.way_back[1], 0);
    in.cpi_open = true; /* a spring cohort still to come: 13 more possible */
    credits_forecast(&in, &f);
    assert_false(f.cannot_reach);
    s.term_q[TERM_SPRING] = Q(1);
    credits_forecast(&in, &f);
    assert_int_equal(f.term_at_risk, -1);
}

static void test_add_months(void **state)
{
    (void)state;
    assert_int_equal(credits_add_months(D(2024, 1, 31), 1), D(2024, 2, 29));
    assert_int_equal(credits_add_months(D(2023, 1, 31), 1), D(2023, 2, 28));
    assert_int_equal(credits_add_months(D(2024, 2, 29), 12), D(2025, 2, 28));
    assert_int_equal(credits_add_months(D(2024, 2, 29), 24), D(2026, 2, 28));
    assert_int_equal(credits_add_months(D(2024, 2, 29), 48), D(2028, 2, 29));
    assert_int_equal(credits_add_months(D(2023, 11, 30), 3), D(2024, 2, 29));
    assert_int_equal(credits_add_months(D(2024, 3, 31), 1), D(2024, 4, 30));
    assert_int_equal(credits_add_months(D(2023, 12, 31), 2), D(2024, 2, 29));
    assert_int_equal(credits_add_months(D(2023, 9, 14), 12), D(2024, 9, 14));
    assert_int_equal(credits_add_months(D(2023, 9, 14), 36), D(2026, 9, 14));
    assert_int_equal(credits_add_months(D(2023, 12, 15), 1), D(2024, 1, 15));
    assert_int_equal(credits_add_months(D(2023, 9, 14), 0), D(2023, 9, 14));
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(credits_item_status_name(ITEM_COUNTED), "counted");
    assert_string_equal(credits_item_status_name(ITEM_REVIEW), "review");
    assert_string_equal(credits_item_status_name(ITEM_ZERO), "0 credits");
    assert_string_equal(credits_item_status_name(ITEM_OPEN), "signed in");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
    const struct CMUnitTest tests[] = {
        T(test_full_credits_within_grace),
        T(test_late_arrival_rounds_down_to_the_quarter),
        T(test_early_leave_rounds_down_to_the_quarter),
        T(test_trainer_approval_and_correction),
        T(test_no_sign_out),
        T(test_a_forgotten_sign_out_shows_closed_without_a_tap),
        T(test_nothing_to_count),
        T(test_non_default_windows),
        T(test_summary_items),
        T(test_cpi_three_of_four_is_nothing),
        T(test_cpi_four_of_four_is_thirteen),
        T(test_cpi_both_cohorts_award_once),
        T(test_cpi_mixed_cohorts_give_nothing),
        T(test_cpi_late_session_is_review_not_done),
        T(test_mapa_block_and_online_part_give_ten),
        T(test_mapa_without_the_online_part_is_pending),
        T(test_prerecorded_nine_count_eight),
        T(test_prerecorded_crossing_item_counts_in_part),
        T(test_prerecorded_from_another_year_does_not_use_the_cap),
        T(test_mandatory_counts_only_when_directed),
        T(test_external_credits_are_held_to_the_programme),
        T(test_a_course_done_again_counts_once_a_year),
        T(test_bounds_and_the_date_asked),
        T(test_online_items_cannot_make_the_year_alone),
        T(test_per_term_split),
        T(test_a_term_ended_with_nothing_is_a_breach),
        T(test_renewal_due_dates),
        T(test_the_prevent_refresher_renews_the_awareness_course),
        T(test_mandatory_without_a_cycle_is_never_overdue),
        T(test_hundreds_of_items_are_all_counted),
        T(test_the_forecast),
        T(test_add_months),
        T(test_status_names),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    credits_summary_free(&summary);
    return failed;
}
