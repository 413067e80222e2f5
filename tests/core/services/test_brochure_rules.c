/* The rules, end to end, on the real brochure sessions and the demo roster: real SQLite store,
 * real imports, taps decided and committed as the kiosk does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/domain/payload.h"
#include "core/services/tap_text.h"
#include "tests/support/testutil.h"

/* Demo badges (data/demo-roster.csv). */
#define SARAH  "04:5A:2B:72:1C:6E:80" /* BIT0001, booked on au2-in-class-support */
#define PRIYA  "A7C41E92"             /* BIT0003, nine pre-recorded credits */
#define GARETH "04-3B-19-D2-6A-71-81" /* BIT0004, booked on the autumn CPI cohort */
#define MEGAN  "C2:7F:3A:E5"          /* BIT0007 */
#define TOM    "04D7E2A2B95C81"       /* BIT0008, booked on neither 27 Nov session */
#define KEVIN  "6A:3C:D1:58"          /* BIT0013, inactive */
#define RACHEL "04:B2:5E:1A:83:4C:80" /* BIT0010, trainer */

struct fixture {
    struct testkiosk k;
    struct tap_result r;
    struct credit_summary s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    testkiosk_open(&f->k, true);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    testkiosk_close(&f->k);
    tapflow_result_free(&f->r);
    credits_summary_free(&f->s);
    free(f);
    return 0;
}

static void summary(struct fixture *f, const char *staff_no, const char *at)
{
    struct person p;
    assert_int_equal(store_person_by_staff_no(f->k.store, staff_no, &p), STORE_OK);
    assert_int_equal(tapflow_summary(f->k.store, &f->k.rules, p.id, test_at(at), &f->s), STORE_OK);
}

static const struct package_progress *package(struct fixture *f, const char *group)
{
    for (size_t i = 0; i < f->s.n_packages; i++) {
        if (strcmp(f->s.packages[i].group, group) == 0)
            return &f->s.packages[i];
    }
    fail_msg("no package %s", group);
    return NULL;
}

/* Signs in at 15:05 and out at 18:10 on a CPI day. */
static void attend_cpi_day(struct fixture *f, const char *badge, const char *day)
{
    char in[32], out[32];
    snprintf(in, sizeof(in), "%s 15:05", day);
    snprintf(out, sizeof(out), "%s 18:10", day);
    assert_int_equal(test_tap(&f->k, badge, in, NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, badge, out, NULL, &f->r), TAP_SIGNED_OUT);
    assert_false(f->r.decision.early);
}

static void test_cpi_three_of_four_is_nothing_four_is_thirteen(void **state)
{
    struct fixture *f = *state;
    attend_cpi_day(f, GARETH, "2023-09-13");
    attend_cpi_day(f, GARETH, "2023-09-14");
    attend_cpi_day(f, GARETH, "2023-09-20");
    summary(f, "BIT0004", "2023-09-20 19:00");
    const struct package_progress *p = package(f, "cpi-autumn");
    assert_int_equal(p->sessions_done, 3);
    assert_int_equal(p->sessions_total, 4);
    assert_false(p->awarded);
    assert_true(p->has_next);
    assert_string_equal(p->next.code, "cpi-autumn-4");
    assert_int_equal(f->s.total_q, 0);

    attend_cpi_day(f, GARETH, "2023-09-21");
    summary(f, "BIT0004", "2023-09-21 19:00");
    p = package(f, "cpi-autumn");
    assert_int_equal(p->sessions_done, 4);
    assert_true(p->awarded);
    assert_int_equal(f->s.total_q, 13 * 4);
    assert_int_equal(f->s.term_q[TERM_AUTUMN], 13 * 4);
    /* The screen after the last sign-out says so. */
    struct tap_text t;
    tap_text_build(&f->r, &t);
    assert_string_equal(t.headline, "Signed out");
    bool complete = false, credits = false;
    for (int i = 0; i < t.n_lines; i++) {
        complete |= strstr(t.lines[i], "CPI complete: 4 of 4") != NULL;
        credits |= strstr(t.lines[i], "13 / 16 credits this year (Autumn 13 · Spring 0 · "
                                      "Summer 0)") != NULL;
    }
    assert_true(complete);
    assert_true(credits);
}

static void test_cpi_progress_line_on_sign_in(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, GARETH, "2023-09-13 15:00", NULL, &f->r), TAP_SIGNED_IN);
    struct tap_text t;
    tap_text_build(&f->r, &t);
    assert_string_equal(t.headline, "Signed in");
    assert_string_equal(t.lines[0], "Gareth Lomax");
    assert_string_equal(t.lines[1], "CPI Initial Training, 15:15–18:15");
    assert_string_equal(t.lines[2], "CPI 1 of 4 — next Thu 14 Sep 15:15");
    assert_string_equal(t.lines[3], "0 / 16 credits this year (Autumn 0 · Spring 0 · Summer 0)");
}

static void test_ninth_prerecorded_credit_does_not_count(void **state)
{
    struct fixture *f = *state;
    summary(f, "BIT0003", "2024-07-20 09:00");
    assert_int_equal(f->s.prerecorded_claimed_q, 9 * 4);
    assert_int_equal(f->s.prerecorded_counted_q, 8 * 4);
    assert_int_equal(f->s.total_q, 8 * 4);
    bool capped = false;
    for (size_t i = 0; i < f->s.n_items; i++)
        capped |= f->s.items[i].status == ITEM_CAPPED && f->s.items[i].credits_q == 0;
    assert_true(capped);
    /* No summer credits and the summer term has ended: a breach to report. */
    assert_true(f->s.term_breach[TERM_SUMMER]);
    assert_false(f->s.term_breach[TERM_AUTUMN]);
}

static void test_concurrent_27_november_with_and_without_booking(void **state)
{
    struct fixture *f = *state;
    /* Both sessions open (15:15 and 15:30 + 30 min windows): Sarah booked one of them. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:35", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "au2-in-class-support");
    /* Tom booked neither: he is asked, then his choice signs him in. */
    assert_int_equal(test_tap(&f->k, TOM, "2023-11-27 15:36", NULL, &f->r), TAP_CHOOSE);
    assert_int_equal(f->r.decision.n_choices, 2);
    assert_string_equal(f->r.choices[0].code, "au2-in-class-support");
    assert_string_equal(f->r.choices[1].code, "au2-school-evaluation");
    assert_int_equal(test_tap(&f->k, TOM, "2023-11-27 15:36:05", "au2-school-evaluation", &f->r),
                     TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "au2-school-evaluation");
    /* Before the second session opens only one is open: no question. */
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-11-27 15:20", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "au2-in-class-support");
}

static void test_repeat_tap_changes_nothing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:40", NULL, &f->r), TAP_SIGNED_IN);
    struct person p;
    struct session s;
    struct attendance before, after;
    store_person_by_staff_no(f->k.store, "BIT0001", &p);
    store_session_by_code(f->k.store, "au2-in-class-support", &s);
    assert_int_equal(store_attendance_get(f->k.store, p.id, s.id, &before), STORE_OK);
    int64_t events_before = 0, events_after = 0;
    store_count(f->k.store, "events", &events_before);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:40:30", NULL, &f->r), TAP_ALREADY_IN);
    assert_int_equal(f->r.decision.since_us, test_at("2023-11-27 15:40"));
    assert_int_equal(store_attendance_get(f->k.store, p.id, s.id, &after), STORE_OK);
    assert_memory_equal(&before, &after, sizeof(before));
    store_count(f->k.store, "events", &events_after);
    assert_int_equal(events_after, events_before + 1); /* the tap itself is on record */
}

static void test_leaving_early_needs_a_confirming_tap(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:40", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30", NULL, &f->r), TAP_CONFIRM_LEAVE);
    /* Too late to confirm: asked again. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30:15", NULL, &f->r), TAP_CONFIRM_LEAVE);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30:20", NULL, &f->r), TAP_SIGNED_OUT);
    assert_true(f->r.decision.early);
    assert_int_equal(f->r.decision.minutes, 45);
    /* 45 minutes of a 1.5-credit session: 0.75 credits, for a trainer to review. */
    summary(f, "BIT0001", "2023-11-28 09:00");
    bool found = false;
    for (size_t i = 0; i < f->s.n_items; i++) {
        if (strcmp(f->s.items[i].code, "au2-in-class-support") == 0) {
            assert_int_equal(f->s.items[i].credits_q, 3);
            assert_int_equal(f->s.items[i].status, ITEM_REVIEW);
            found = true;
        }
    }
    assert_true(found);
    /* A tap just after: already out. Later, with the other 27 Nov session still open, she is
     * asked rather than moved into it. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30:50", NULL, &f->r), TAP_ALREADY_OUT);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:35", NULL, &f->r), TAP_CHOOSE);
    assert_int_equal(f->r.decision.n_choices, 1);
    assert_string_equal(f->r.choices[0].code, "au2-school-evaluation");
    /* After both end, within checkout: already out. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 17:20", NULL, &f->r), TAP_ALREADY_OUT);
}

static void test_late_arrival_gets_partial_credit(void **state)
{
    struct fixture *f = *state;
    /* au2-in-class-support runs 15:45–17:15 for 1.5 credits. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:04", NULL, &f->r), TAP_SIGNED_IN);
    assert_true(f->r.decision.late);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 17:14", NULL, &f->r), TAP_SIGNED_OUT);
    assert_false(f->r.decision.early);
    summary(f, "BIT0001", "2023-11-28 09:00");
    for (size_t i = 0; i < f->s.n_items; i++) {
        if (strcmp(f->s.items[i].code, "au2-in-class-support") == 0) {
            /* 16:04–17:14 = 70 minutes → rounded down to 1 credit. */
            assert_int_equal(f->s.items[i].credits_q, 4);
            assert_int_equal(f->s.items[i].status, ITEM_REVIEW);
            return;
        }
    }
    fail_msg("no item for the session");
}

static void test_forgotten_sign_out_is_closed_and_flagged(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 15:10", NULL, &f->r), TAP_SIGNED_IN);
    /* Within the checkout window nothing happens to it. */
    assert_int_equal(test_tap(&f->k, TOM, "2023-09-13 19:10", NULL, &f->r), TAP_NO_SESSION);
    struct person p;
    struct session s;
    struct attendance a;
    store_person_by_staff_no(f->k.store, "BIT0007", &p);
    store_session_by_code(f->k.store, "cpi-autumn-1", &s);
    assert_int_equal(store_attendance_get(f->k.store, p.id, s.id, &a), STORE_OK);
    assert_int_equal(a.out_us, 0);
    /* After end + 60 min the next tap (anyone's) closes it at the scheduled end. */
    assert_int_equal(test_tap(&f->k, TOM, "2023-09-13 19:16", NULL, &f->r), TAP_NO_SESSION);
    assert_int_equal(store_attendance_get(f->k.store, p.id, s.id, &a), STORE_OK);
    assert_int_equal(a.out_us, s.end_us);
    assert_true(a.flags & ATT_NO_SIGNOUT);
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0007", &e), STORE_OK);
    assert_int_equal(e.type, EV_AUTO_CLOSE);
    /* A CPI session without sign-out waits for a trainer before it counts. */
    summary(f, "BIT0007", "2023-09-14 09:00");
    assert_int_equal(package(f, "cpi-autumn")->sessions_done, 0);
    assert_int_equal(package(f, "cpi-autumn")->sessions_review, 1);
    assert_int_equal(f->s.review_count, 1);
}

static void test_badges_that_do_not_sign_in(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, "08:12:34:56", "2023-09-13 15:00", NULL, &f->r),
                     TAP_RANDOM_UID);
    struct event e;
    int64_t n = 0;
    store_count(f->k.store, "events", &n);
    assert_int_equal(n, 1);
    assert_int_equal(test_tap(&f->k, "04:11:22:33:44:55:66", "2023-09-13 15:00", NULL, &f->r),
                     TAP_UNKNOWN_BADGE);
    assert_string_equal(f->r.last4, "5566");
    assert_int_equal(test_tap(&f->k, KEVIN, "2023-09-13 15:00", NULL, &f->r), TAP_INACTIVE);
    assert_int_equal(test_tap(&f->k, RACHEL, "2023-09-13 15:00", NULL, &f->r), TAP_TRAINER);
    assert_int_equal(store_last_event_of(f->k.store, "BIT0010", &e), STORE_OK);
    assert_int_equal(e.type, EV_TRAINER_BADGE);
    /* With random UIDs allowed, the phone is just an unknown badge. */
    f->k.rules.accept_random_uids = true;
    assert_int_equal(test_tap(&f->k, "08:12:34:56", "2023-09-13 15:01", NULL, &f->r),
                     TAP_UNKNOWN_BADGE);
    struct store_verify_report r;
    assert_int_equal(store_verify(f->k.store, f->k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(r.events, 5);
}

static void test_no_session_shows_the_next(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, PRIYA, "2023-09-13 12:00", NULL, &f->r), TAP_NO_SESSION);
    assert_true(f->r.has_next);
    assert_string_equal(f->r.next.code, "cpi-autumn-1");
    struct tap_text t;
    tap_text_build(&f->r, &t);
    assert_string_equal(t.headline, "No session open now");
    assert_string_equal(t.lines[1], "Next: CPI Initial Training, Wed 13 Sep 15:15");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_cpi_three_of_four_is_nothing_four_is_thirteen),
        T(test_cpi_progress_line_on_sign_in),
        T(test_ninth_prerecorded_credit_does_not_count),
        T(test_concurrent_27_november_with_and_without_booking),
        T(test_repeat_tap_changes_nothing),
        T(test_leaving_early_needs_a_confirming_tap),
        T(test_late_arrival_gets_partial_credit),
        T(test_forgotten_sign_out_is_closed_and_flagged),
        T(test_badges_that_do_not_sign_in),
        T(test_no_session_shows_the_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
