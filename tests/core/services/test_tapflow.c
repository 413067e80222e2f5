/* One tap from badge to committed event, end to end: a real SQLite store with the shipped
 * 2023-24 programme, the demo roster, bookings and credits; taps at local Europe/London times;
 * what the screen would say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/domain/payload.h"
#include "core/services/corrections.h"
#include "core/services/lists.h"
#include "core/services/tap_text.h"
#include "tests/support/testutil.h"
#include "core/base/zone.h"

/* Demo badges (data/demo-roster.csv). */
#define SARAH   "04:5A:2B:72:1C:6E:80" /* BIT0001, booked on au2-in-class-support */
#define DANIEL  "3F:22:91:0C"          /* BIT0002, booked on au2-school-evaluation */
#define PRIYA   "A7C41E92"             /* BIT0003, nine pre-recorded credits */
#define MEGAN   "C2:7F:3A:E5"          /* BIT0007, booked on the autumn CPI cohort */
#define TOM     "04D7E2A2B95C81"       /* BIT0008, booked on neither 27 Nov session */
#define JOANNE  "9b1f6c3d"             /* BIT0009, booked on the autumn CPI cohort */
#define RACHEL  "04:B2:5E:1A:83:4C:80" /* BIT0010, trainer */
#define KEVIN   "6A:3C:D1:58"          /* BIT0013, inactive */
#define UNKNOWN "04:11:22:33:44:55:66"
#define PHONE   "08:12:34:56"

struct fixture {
    struct testkiosk k;
    struct tap_result r;
    struct credit_summary s;
    struct tap_text t;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
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

static struct person person(struct fixture *f, const char *staff_no)
{
    struct person p;
    assert_int_equal(store_person_by_staff_no(f->k.store, staff_no, &p), STORE_OK);
    return p;
}

static struct session session(struct fixture *f, const char *code)
{
    struct session s;
    assert_int_equal(store_session_by_code(f->k.store, code, &s), STORE_OK);
    return s;
}

static struct attendance attendance(struct fixture *f, const char *staff_no, const char *code)
{
    struct attendance a;
    assert_int_equal(
        store_attendance_get(f->k.store, person(f, staff_no).id, session(f, code).id, &a),
        STORE_OK);
    return a;
}

static bool has_attendance(struct fixture *f, const char *staff_no, const char *code)
{
    struct attendance a;
    int err = store_attendance_get(f->k.store, person(f, staff_no).id, session(f, code).id, &a);
    assert_true(err == STORE_OK || err == STORE_ENOTFOUND);
    return err == STORE_OK;
}

static int64_t events(struct fixture *f)
{
    int64_t n = -1;
    assert_int_equal(store_count(f->k.store, "events", &n), STORE_OK);
    return n;
}

static void summary(struct fixture *f, const char *staff_no, const char *at)
{
    assert_int_equal(
        tapflow_summary(f->k.store, &f->k.rules, person(f, staff_no).id, test_at(at), &f->s),
        STORE_OK);
}

static const struct package_progress *package(const struct credit_summary *s, const char *group)
{
    for (size_t i = 0; i < s->n_packages; i++) {
        if (strcmp(s->packages[i].group, group) == 0)
            return &s->packages[i];
    }
    fail_msg("no package %s", group);
    return NULL;
}

static const struct credit_item *item(const struct credit_summary *s, const char *code)
{
    for (size_t i = 0; i < s->n_items; i++) {
        if (strcmp(s->items[i].code, code) == 0)
            return &s->items[i];
    }
    fail_msg("no item %s", code);
    return NULL;
}

/* The last event of a type (seq order), copied into *out; false when there is none. */
struct find_ctx {
    enum event_type type;
    bool found;
    struct event e;
};

static int find_one(void *ctx, const struct event *e)
{
    struct find_ctx *c = ctx;
    if (e->type == c->type) {
        c->e = *e;
        c->found = true;
    }
    return 0;
}

static bool last_event(struct fixture *f, enum event_type type, struct event *out)
{
    struct find_ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->type = type;
    assert_int_equal(store_events_each(f->k.store, 1, find_one, c), STORE_OK);
    bool found = c->found;
    if (found)
        *out = c->e;
    free(c);
    return found;
}

static const char *text(struct fixture *f)
{
    tap_text_build(&f->r, &f->t);
    return f->t.headline;
}

static bool has_line(const struct tap_text *t, const char *want)
{
    for (int i = 0; i < t->n_lines; i++) {
        if (strcmp(t->lines[i], want) == 0)
            return true;
    }
    return false;
}

static void expect_line(const struct tap_text *t, const char *want)
{
    if (has_line(t, want))
        return;
    for (int i = 0; i < t->n_lines; i++)
        print_message("  line %d: %s\n", i, t->lines[i]);
    fail_msg("no line \"%s\"", want);
}

/* Signs in at 15:05 and out at 18:16 on a CPI day; checks the sign-in screen's CPI line. */
static void attend_cpi_day(struct fixture *f, const char *badge, const char *day,
                           const char *cpi_line)
{
    char in[32], out[32];
    snprintf(in, sizeof(in), "%s 15:05", day);
    snprintf(out, sizeof(out), "%s 18:16", day);
    assert_int_equal(test_tap(&f->k, badge, in, NULL, &f->r), TAP_SIGNED_IN);
    assert_false(f->r.decision.late);
    assert_string_equal(text(f), "Signed in");
    assert_string_equal(f->t.lines[0], "Joanne Tattersall");
    assert_string_equal(f->t.lines[1], "CPI Initial Training, 15:15–18:15");
    assert_string_equal(f->t.lines[2], cpi_line);
    assert_int_equal(test_tap(&f->k, badge, out, NULL, &f->r), TAP_SIGNED_OUT);
    assert_false(f->r.decision.early);
    assert_int_equal(f->r.decision.minutes, 180);
}

static void test_cpi_three_of_four_is_nothing_four_is_thirteen(void **state)
{
    struct fixture *f = *state;
    attend_cpi_day(f, JOANNE, "2023-09-13", "CPI 1 of 4 — next Thu 14 Sep 15:15");
    attend_cpi_day(f, JOANNE, "2023-09-14", "CPI 2 of 4 — next Wed 20 Sep 15:15");
    attend_cpi_day(f, JOANNE, "2023-09-20", "CPI 3 of 4 — next Thu 21 Sep 15:15");
    summary(f, "BIT0009", "2023-09-20 19:00");
    const struct package_progress *p = package(&f->s, "cpi-autumn");
    assert_int_equal(p->sessions_total, 4);
    assert_int_equal(p->sessions_done, 3);
    assert_false(p->awarded);
    assert_string_equal(p->next.code, "cpi-autumn-4");
    assert_int_equal(f->s.total_q, 0);
    assert_int_equal(item(&f->s, "cpi-autumn-3")->status, ITEM_PENDING);
    /* The 3rd sign-out says so too. */
    assert_string_equal(text(f), "Signed out");
    expect_line(&f->t, "180 minutes tonight: it counts when the whole course is done");
    expect_line(&f->t, "CPI 3 of 4 — next Thu 21 Sep 15:15");
    expect_line(&f->t, "0 / 16 credits this year (Autumn 0 · Spring 0 · Summer 0)");

    attend_cpi_day(f, JOANNE, "2023-09-21", "CPI 4 of 4");
    summary(f, "BIT0009", "2023-09-21 19:00");
    p = package(&f->s, "cpi-autumn");
    assert_int_equal(p->sessions_done, 4);
    assert_true(p->awarded);
    assert_int_equal(f->s.total_q, 13 * 4);
    assert_int_equal(f->s.term_q[TERM_AUTUMN], 13 * 4);
    assert_int_equal(item(&f->s, "cpi-autumn")->credits_q, 13 * 4);
    /* The last sign-out's screen. */
    assert_string_equal(text(f), "Signed out");
    expect_line(&f->t, "180 minutes tonight: CPI complete: 13 credits");
    expect_line(&f->t, "CPI complete: 4 of 4");
    expect_line(&f->t, "13 / 16 credits this year (Autumn 13 · Spring 0 · Summer 0)");
    assert_int_equal(f->t.credits_line, f->t.n_lines - 1);
}

static void test_a_missed_cpi_session_is_not_made_up_by_the_other_cohort(void **state)
{
    struct fixture *f = *state;
    attend_cpi_day(f, JOANNE, "2023-09-13", "CPI 1 of 4 — next Thu 14 Sep 15:15");
    attend_cpi_day(f, JOANNE, "2023-09-14", "CPI 2 of 4 — next Wed 20 Sep 15:15");
    /* Spring cohort sessions 3 and 4. Not booked, and a department meeting (24 Jan) and a hub
     * (25 Jan) open at the same time: she is asked and chooses. */
    assert_int_equal(test_tap(&f->k, JOANNE, "2024-01-24 15:05", NULL, &f->r), TAP_CHOOSE);
    assert_int_equal(f->r.decision.n_choices, 2);
    assert_string_equal(f->r.choices[0].code, "cpi-spring-3");
    assert_string_equal(f->r.choices[1].code, "dept-quality-of-education-2024-01-24");
    assert_int_equal(test_tap(&f->k, JOANNE, "2024-01-24 15:05:05", "cpi-spring-3", &f->r),
                     TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "cpi-spring-3");
    assert_int_equal(test_tap(&f->k, JOANNE, "2024-01-24 18:16", NULL, &f->r), TAP_SIGNED_OUT);
    assert_int_equal(test_tap(&f->k, JOANNE, "2024-01-25 15:05", NULL, &f->r), TAP_CHOOSE);
    assert_int_equal(test_tap(&f->k, JOANNE, "2024-01-25 15:05:05", "cpi-spring-4", &f->r),
                     TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, JOANNE, "2024-01-25 18:16", NULL, &f->r), TAP_SIGNED_OUT);
    assert_false(f->r.decision.early);
    summary(f, "BIT0009", "2024-01-26 09:00");
    assert_int_equal(package(&f->s, "cpi-autumn")->sessions_done, 2);
    assert_int_equal(package(&f->s, "cpi-spring")->sessions_done, 2);
    assert_int_equal(f->s.total_q, 0);
}

static void test_ninth_prerecorded_credit_does_not_count(void **state)
{
    struct fixture *f = *state;
    summary(f, "BIT0003", "2024-07-20 09:00");
    assert_int_equal(f->s.prerecorded_claimed_q, 9 * 4);
    assert_int_equal(f->s.prerecorded_counted_q, 8 * 4);
    assert_int_equal(f->s.total_q, 8 * 4);
    const struct credit_item *ninth = item(&f->s, "sp2-any-tes-hour");
    assert_int_equal(ninth->status, ITEM_CAPPED);
    assert_int_equal(ninth->credits_q, 0);
    assert_int_equal(item(&f->s, "sp1-any-tes-hour")->credits_q, 4);
    assert_int_equal(f->s.term_q[TERM_AUTUMN], 7 * 4);
    assert_int_equal(f->s.term_q[TERM_SPRING], 1 * 4);
    /* No summer credits and the summer term has ended: a breach to report. */
    assert_true(f->s.term_breach[TERM_SUMMER]);
    assert_false(f->s.term_breach[TERM_AUTUMN]);
    /* Her screen on a tap with nothing open. */
    assert_int_equal(test_tap(&f->k, PRIYA, "2024-07-20 09:00", NULL, &f->r), TAP_NO_SESSION);
    assert_string_equal(text(f), "No session open now");
    expect_line(&f->t, "8 / 16 credits this year (Autumn 7 · Spring 1 · Summer 0)");
}

/* The tap in its two halves: committed first (the event is on disk, nothing described yet),
 * then described; a result reused for the next tap starts from nothing of the last one. */
static void test_commit_then_describe(void **state)
{
    struct fixture *f = *state;
    struct uid uid;
    assert_int_equal(uid_parse(SARAH, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid), UID_OK);
    int64_t before = events(f), at = test_at("2023-11-27 15:40");
    assert_int_equal(tapflow_commit(&f->k.flow, &uid, at, at, 0, &f->r), STORE_OK);
    assert_int_equal(f->r.decision.outcome, TAP_SIGNED_IN);
    assert_int_equal(events(f), before + 1);
    assert_false(f->r.has_summary);
    tapflow_describe(&f->k.flow, &f->r);
    assert_true(f->r.has_summary);
    assert_true(f->r.summary.n_items > 0);
    /* A trainer's tap reuses the result: no summary, and none of Sarah's left in it. */
    assert_int_equal(uid_parse(RACHEL, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid), UID_OK);
    assert_int_equal(tapflow_tap(&f->k.flow, &uid, at + 1000000, at + 1000000, 0, &f->r), STORE_OK);
    assert_int_equal(f->r.decision.outcome, TAP_TRAINER);
    assert_false(f->r.has_summary);
    assert_int_equal(f->r.summary.n_items, 0);
    assert_int_equal(f->r.summary.total_q, 0);
}

/* The programme's lists come whole, however long (the brochure has 82 sessions; the list
 * starts at 16 and grows). */
static void test_programme_lists_are_whole(void **state)
{
    struct fixture *f = *state;
    struct session *all = NULL, *packages = NULL;
    size_t n = 0, n_packages = 0;
    int64_t sessions = 0;
    assert_int_equal(store_count(f->k.store, "sessions", &sessions), STORE_OK);
    assert_int_equal(lists_sessions_between(f->k.store, 0, INT64_MAX / 2, &all, &n), STORE_OK);
    assert_true(sessions > 16);
    assert_int_equal((int64_t)n, sessions);
    for (size_t i = 1; i < n; i++)
        assert_true(all[i - 1].start_us <= all[i].start_us);
    assert_int_equal(lists_package_sessions(f->k.store, &packages, &n_packages), STORE_OK);
    assert_int_equal(n_packages, 16); /* 2 CPI cohorts × 4, 4 MAPA blocks × 2 */
    free(all);
    free(packages);
}

/* A tap with both clocks given (test_tap gives the wall time as the monotonic one too). */
static enum tap_outcome tap_clocks(struct fixture *f, const char *badge, int64_t wall, int64_t mono,
                                   const char *chosen)
{
    struct uid uid;
    assert_int_equal(uid_parse(badge, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid), UID_OK);
    int64_t chosen_id = chosen ? session(f, chosen).id : 0;
    assert_int_equal(tapflow_tap(&f->k.flow, &uid, wall, mono, chosen_id, &f->r), STORE_OK);
    return f->r.decision.outcome;
}

#define MINUTES(n) ((int64_t)(n)*60 * 1000000)

/* One tap on a clock jumped to 2099 must not close everyone's attendance, nor be decided;
 * the next tap on the right clock carries on as if it never happened. A dead real-time clock
 * (1970) records every tap as refused, not as "no session". */
static void test_a_wrong_clock_decides_nothing_and_closes_nobody(void **state)
{
    struct fixture *f = *state;
    f->k.flow.boot_id = "boot-1";
    int64_t in = test_at("2024-01-24 15:05"), mono = INT64_C(3600) * 1000000;
    assert_int_equal(tap_clocks(f, JOANNE, in, mono, NULL), TAP_CHOOSE);
    assert_int_equal(tap_clocks(f, JOANNE, in + 5000000, mono + 5000000, "cpi-spring-3"),
                     TAP_SIGNED_IN);
    int64_t before = events(f);
    /* Megan taps at 15:10 by the monotonic clock, 2099 by the wall clock. */
    int64_t jumped = test_at("2099-01-24 15:10");
    assert_int_equal(tap_clocks(f, MEGAN, jumped, mono + MINUTES(5), NULL), TAP_CLOCK_WRONG);
    assert_int_equal(events(f), before + 1); /* the refusal itself, and nothing else */
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "", &e), STORE_OK);
    assert_int_equal(e.type, EV_CLOCK_REFUSED);
    assert_int_equal(e.wall_us, jumped);
    char clock[32];
    assert_int_equal(payload_get_str(e.payload, "clock", clock, sizeof(clock)), PAYLOAD_OK);
    assert_string_equal(clock, "far_ahead");
    struct tap_text t;
    tap_text_build(&f->r, &t);
    assert_string_equal(t.headline, "The kiosk's clock is wrong");
    assert_string_equal(t.lines[0], "Please sign the paper register and tell a trainer.");
    /* Joanne is still in: nobody was auto-closed by 2099. */
    struct attendance a = attendance(f, "BIT0009", "cpi-spring-3");
    assert_int_equal(a.out_us, 0);
    int closed = -1;
    assert_int_equal(tapflow_sweep(&f->k.flow, jumped, mono + MINUTES(6), &closed), STORE_OK);
    assert_int_equal(closed, 0);
    assert_int_equal(attendance(f, "BIT0009", "cpi-spring-3").out_us, 0);
    /* An hour fast in mid-session: not far ahead, but the clocks disagree. */
    assert_int_equal(tap_clocks(f, JOANNE, in + MINUTES(70), mono + MINUTES(7), NULL),
                     TAP_CLOCK_WRONG);
    /* The clock put right: her tap at 15:13 is a repeat tap, as it should be. */
    assert_int_equal(tap_clocks(f, JOANNE, in + MINUTES(8), mono + MINUTES(8), NULL),
                     TAP_ALREADY_IN);
    /* A reboot with a dead clock: 1970. Refused, not "no session". */
    f->k.flow.boot_id = "boot-2";
    assert_int_equal(tap_clocks(f, MEGAN, 5 * 1000000, 5 * 1000000, NULL), TAP_CLOCK_WRONG);
    assert_int_equal(f->r.clock, CLOCK_BEFORE_YEAR);
}

static void test_concurrent_27_november_booked(void **state)
{
    struct fixture *f = *state;
    /* Both face-to-face sessions are open (from 15:15 and 15:30); the Live Teams one at the
     * same time is not the kiosk's. Sarah booked the in-class support session. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:35", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "au2-in-class-support");
    assert_false(f->r.decision.late);
    /* Daniel booked the other. */
    assert_int_equal(test_tap(&f->k, DANIEL, "2023-11-27 15:36", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "au2-school-evaluation");
    assert_true(has_attendance(f, "BIT0001", "au2-in-class-support"));
    assert_false(has_attendance(f, "BIT0001", "au2-school-evaluation"));
    assert_true(has_attendance(f, "BIT0002", "au2-school-evaluation"));
}

static void test_concurrent_27_november_not_booked(void **state)
{
    struct fixture *f = *state;
    int64_t before = events(f);
    assert_int_equal(test_tap(&f->k, TOM, "2023-11-27 15:36", NULL, &f->r), TAP_CHOOSE);
    assert_int_equal(f->r.decision.n_choices, 2);
    assert_string_equal(f->r.choices[0].code, "au2-in-class-support");
    assert_string_equal(f->r.choices[1].code, "au2-school-evaluation");
    assert_false(has_attendance(f, "BIT0008", "au2-in-class-support"));
    assert_false(has_attendance(f, "BIT0008", "au2-school-evaluation"));
    assert_int_equal(events(f), before + 1);
    struct event e;
    assert_true(last_event(f, EV_CHOOSE_PROMPT, &e));
    assert_string_equal(e.person, "BIT0008");
    assert_string_equal(e.payload, "{\"choices\":\"au2-in-class-support,au2-school-evaluation\"}");
    assert_string_equal(text(f), "Which session are you here for?");
    assert_string_equal(f->t.lines[0], "Tom Haslam");
    assert_string_equal(f->t.lines[1], "1. The role of the in class support (15:45)");
    assert_string_equal(f->t.lines[2], "2. Effective school evaluation (16:00)");
    /* His choice signs him in. */
    assert_int_equal(test_tap(&f->k, TOM, "2023-11-27 15:36:05", "au2-school-evaluation", &f->r),
                     TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "au2-school-evaluation");
    struct attendance a = attendance(f, "BIT0008", "au2-school-evaluation");
    assert_int_equal(a.in_us, test_at("2023-11-27 15:36:05"));
    assert_int_equal(a.out_us, 0);
    assert_false(has_attendance(f, "BIT0008", "au2-in-class-support"));
    /* Before the 16:00 session opens there is nothing to ask. */
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-11-27 15:20", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "au2-in-class-support");
}

static void test_repeat_tap_changes_nothing(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:41", NULL, &f->r), TAP_SIGNED_IN);
    struct attendance before = attendance(f, "BIT0001", "au2-in-class-support");
    int64_t n = events(f);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:41:40", NULL, &f->r), TAP_ALREADY_IN);
    assert_int_equal(f->r.decision.since_us, test_at("2023-11-27 15:41"));
    struct attendance after = attendance(f, "BIT0001", "au2-in-class-support");
    assert_memory_equal(&before, &after, sizeof(before));
    assert_int_equal(events(f), n + 1); /* the tap itself is on record */
    struct event e;
    assert_true(last_event(f, EV_ALREADY_IN, &e));
    int64_t since = 0;
    assert_int_equal(payload_get_int(e.payload, "since_us", &since), PAYLOAD_OK);
    assert_int_equal(since, test_at("2023-11-27 15:41"));
    assert_string_equal(text(f), "Already signed in");
    assert_string_equal(f->t.lines[0], "Sarah Whitworth — signed in at 15:41");
    /* Signed in early: a tap before the start is the same. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:44", NULL, &f->r), TAP_ALREADY_IN);
    assert_int_equal(events(f), n + 2);
    after = attendance(f, "BIT0001", "au2-in-class-support");
    assert_memory_equal(&before, &after, sizeof(before));
}

static void test_leaving_early_needs_a_confirming_tap(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:40", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30", NULL, &f->r), TAP_CONFIRM_LEAVE);
    assert_string_equal(text(f), "Leaving early? Tap again to sign out");
    assert_string_equal(f->t.lines[0], "Sarah Whitworth — the session ends at 17:15");
    assert_int_equal(attendance(f, "BIT0001", "au2-in-class-support").out_us, 0);
    struct event e;
    assert_true(last_event(f, EV_LEAVE_PROMPT, &e));
    assert_string_equal(e.session, "au2-in-class-support");
    /* Confirmed within 10 s. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30:08", NULL, &f->r), TAP_SIGNED_OUT);
    assert_true(f->r.decision.early);
    assert_int_equal(f->r.decision.minutes, 45);
    struct attendance a = attendance(f, "BIT0001", "au2-in-class-support");
    assert_int_equal(a.out_us, test_at("2023-11-27 16:30:08"));
    assert_true(a.flags & ATT_EARLY);
    assert_false(a.flags & ATT_LATE);
    assert_true(last_event(f, EV_SIGN_OUT, &e));
    assert_string_equal(e.payload, "{\"early\":true,\"minutes\":45}");
    assert_string_equal(text(f), "Signed out early");
    assert_int_equal(f->t.tone, TONE_WARNING);
    expect_line(&f->t, "45 minutes tonight: 0.75 credits once a trainer has checked it");
    /* 45 minutes of a 1.5-credit session: 0.75, for review. */
    assert_int_equal(item(&f->r.summary, "au2-in-class-support")->credits_q, 3);
    assert_int_equal(item(&f->r.summary, "au2-in-class-support")->status, ITEM_REVIEW);
}

static void test_a_late_confirmation_asks_again(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:40", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30", NULL, &f->r), TAP_CONFIRM_LEAVE);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30:11", NULL, &f->r), TAP_CONFIRM_LEAVE);
    assert_int_equal(attendance(f, "BIT0001", "au2-in-class-support").out_us, 0);
    /* Someone else's tap in between does not disturb her prompt. */
    assert_int_equal(test_tap(&f->k, TOM, "2023-11-27 16:30:13", NULL, &f->r), TAP_CHOOSE);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:30:15", NULL, &f->r), TAP_SIGNED_OUT);
    assert_true(f->r.decision.early);
}

static void test_sign_out_near_the_end_is_not_early(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:40", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 17:06", NULL, &f->r), TAP_SIGNED_OUT);
    assert_false(f->r.decision.early);
    assert_int_equal(f->r.decision.minutes, 81);
    assert_string_equal(text(f), "Signed out");
    expect_line(&f->t, "81 minutes tonight: 1.5 credits");
    /* And after: already out. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 17:30", NULL, &f->r), TAP_ALREADY_OUT);
    assert_int_equal(f->r.decision.since_us, test_at("2023-11-27 17:06"));
    assert_string_equal(text(f), "Already signed out");
    assert_string_equal(f->t.lines[0], "Sarah Whitworth — signed out at 17:06");
}

static void test_forgotten_sign_out_is_closed_and_flagged(void **state)
{
    struct fixture *f = *state;
    struct session s = session(f, "cpi-autumn-1");
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 15:10", NULL, &f->r), TAP_SIGNED_IN);
    /* Within the checkout window nothing happens to it. */
    assert_int_equal(test_tap(&f->k, PRIYA, "2023-09-13 19:14", NULL, &f->r), TAP_NO_SESSION);
    assert_int_equal(attendance(f, "BIT0007", "cpi-autumn-1").out_us, 0);
    struct event e;
    assert_false(last_event(f, EV_AUTO_CLOSE, &e));
    /* From end + 60 min the next tap, anyone's (here an unknown badge), closes it at the end. */
    assert_int_equal(test_tap(&f->k, UNKNOWN, "2023-09-13 19:15", NULL, &f->r), TAP_UNKNOWN_BADGE);
    struct attendance a = attendance(f, "BIT0007", "cpi-autumn-1");
    assert_int_equal(a.in_us, test_at("2023-09-13 15:10"));
    assert_int_equal(a.out_us, s.end_us);
    assert_true(a.flags & ATT_NO_SIGNOUT);
    assert_true(last_event(f, EV_AUTO_CLOSE, &e));
    assert_string_equal(e.person, "BIT0007");
    assert_string_equal(e.session, "cpi-autumn-1");
    assert_int_equal(e.wall_us, test_at("2023-09-13 19:15"));
    int64_t closed = 0;
    assert_int_equal(payload_get_int(e.payload, "closed_us", &closed), PAYLOAD_OK);
    assert_int_equal(closed, s.end_us);
    /* Closed once: a later sweep finds nothing. */
    int n = -1;
    assert_int_equal(tapflow_sweep(&f->k.flow, test_at("2023-09-13 20:00"), 0, &n), STORE_OK);
    assert_int_equal(n, 0);
    /* Her next tap is a new day. */
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-14 15:05", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(f->r.session.code, "cpi-autumn-2");
    /* … where she is told, once. */
    text(f);
    expect_line(&f->t, "Last time you didn't sign out (CPI Initial Training, Wed 13 Sep 15:15) — "
                       "a trainer will check it");
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-14 15:07", NULL, &f->r), TAP_ALREADY_IN);
    text(f);
    for (int i = 0; i < f->t.n_lines; i++)
        assert_null(strstr(f->t.lines[i], "didn't sign out"));
    /* The CPI session without a sign-out waits for a trainer before it counts. */
    summary(f, "BIT0007", "2023-09-14 09:00");
    assert_int_equal(package(&f->s, "cpi-autumn")->sessions_done, 0);
    assert_int_equal(package(&f->s, "cpi-autumn")->sessions_review, 1);
    assert_int_equal(f->s.review_count, 1);
}

static int fold_all(void *ctx, const struct event *e)
{
    tap_forgotten_fold(ctx, e);
    return 0;
}

static uint32_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*seed >> 33);
}

/* "Last time you didn't sign out" on 300 generated histories (seeded, CPD_SEED to replay):
 * the tap reads only the newest auto-close, by its own index, and the events since; it must
 * say what the whole history folded from the first event says. Histories mix auto-closes of
 * two sessions, prompts, results and runs of trainers' fixes longer than the backward fold
 * keeps. */
static void test_the_forgotten_notice_agrees_with_the_whole_history(void **state)
{
    struct fixture *f = *state;
    static const enum event_type types[] = {
        EV_AUTO_CLOSE,      EV_AUTO_CLOSE, EV_LEAVE_PROMPT, EV_CHOOSE_PROMPT,
        EV_APPROVE,         EV_CORRECTION, EV_CORRECTION,   EV_MANUAL_SIGN_OUT,
        EV_VOID_ATTENDANCE, EV_SIGN_IN,    EV_ALREADY_OUT,  EV_LEAVE_PROMPT};
    static const char *const codes[] = {"cpi-autumn-1", "cpi-autumn-2"};
    const char *replay = getenv("CPD_SEED");
    uint64_t seed = replay ? strtoull(replay, NULL, 10) : 20261207;
    print_message("seed %llu (CPD_SEED to replay)\n", (unsigned long long)seed);
    int told = 0;
    for (int round = 0; round < 300; round++) {
        char local[32];
        snprintf(local, sizeof(local), "2023-08-%02d %02d:%02d", 1 + round / 20,
                 8 + (round % 20) / 2, (round % 2) * 30);
        int64_t at = test_at(local) - 20 * 60 * 1000000LL;
        int n = (int)(next_random(&seed) % 6);
        if (next_random(&seed) % 10 == 0)
            n += TAP_FORGOTTEN_FIXES + 2; /* a long run, mostly fixes */
        assert_int_equal(store_begin(f->k.store), STORE_OK);
        for (int i = 0; i < n; i++) {
            enum event_type type =
                i >= 6 && next_random(&seed) % 4 != 0
                    ? EV_CORRECTION
                    : types[next_random(&seed) % (sizeof(types) / sizeof(*types))];
            struct event e = {.type = type, .wall_us = at + i * 1000000, .mono_us = at + i};
            snprintf(e.person, sizeof(e.person), "BIT0008");
            snprintf(e.session, sizeof(e.session), "%s", codes[next_random(&seed) % 2]);
            snprintf(e.clock, sizeof(e.clock), "synced");
            snprintf(e.payload, sizeof(e.payload), "{}");
            assert_int_equal(store_append_event(f->k.store, &e), STORE_OK);
        }
        assert_int_equal(store_commit(f->k.store), STORE_OK);
        struct tap_forgotten want = {0};
        assert_int_equal(store_events_of(f->k.store, "BIT0008", fold_all, &want), STORE_OK);
        assert_int_equal(test_tap(&f->k, TOM, local, NULL, &f->r), TAP_NO_SESSION);
        if (f->r.forgot_sign_out != want.pending)
            fail_msg("round %d: the tap says %d, the whole history %d", round, f->r.forgot_sign_out,
                     want.pending);
        if (want.pending) {
            assert_string_equal(f->r.forgotten.code, want.session);
            told++;
        }
    }
    /* Both answers were asked often enough to mean something. */
    assert_true(told > 20 && told < 280);
}

static void test_sweep_closes_every_forgotten_sign_out(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:40", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, DANIEL, "2023-11-27 15:50", NULL, &f->r), TAP_SIGNED_IN);
    int n = -1;
    /* 18:00: school evaluation (ends 17:00) is due, in-class support (17:15) not yet. */
    assert_int_equal(tapflow_sweep(&f->k.flow, test_at("2023-11-27 18:00"), 0, &n), STORE_OK);
    assert_int_equal(n, 1);
    assert_true(attendance(f, "BIT0002", "au2-school-evaluation").flags & ATT_NO_SIGNOUT);
    assert_int_equal(attendance(f, "BIT0001", "au2-in-class-support").out_us, 0);
    assert_int_equal(tapflow_sweep(&f->k.flow, test_at("2023-11-27 18:15"), 0, &n), STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(attendance(f, "BIT0001", "au2-in-class-support").out_us,
                     session(f, "au2-in-class-support").end_us);
    /* Arrived on time, never signed out: full credits, flagged for review. */
    summary(f, "BIT0001", "2023-11-27 18:15");
    assert_int_equal(item(&f->s, "au2-in-class-support")->credits_q, 6);
    assert_int_equal(item(&f->s, "au2-in-class-support")->status, ITEM_REVIEW);
    assert_string_equal(item(&f->s, "au2-in-class-support")->note, "no sign-out");
    /* Sarah's next tap tells her; Daniel's does not, once a trainer has put his right. */
    struct person daniel = person(f, "BIT0002");
    struct session evaluation = session(f, "au2-school-evaluation");
    struct correction fix = {.store = f->k.store,
                             .rules = f->k.flow.rules,
                             .by = "BIT0010",
                             .reason = "stayed to the end",
                             .clock_state = "test",
                             .now_us = test_at("2023-11-27 18:20")};
    const char *why = NULL;
    assert_int_equal(correct_approve(&fix, &daniel, &evaluation, &why), STORE_OK);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-28 09:00", NULL, &f->r), TAP_NO_SESSION);
    text(f);
    expect_line(&f->t, "Last time you didn't sign out (The role of the in class support, Mon 27 "
                       "Nov 15:45) — a trainer will check it");
    assert_int_equal(test_tap(&f->k, DANIEL, "2023-11-28 09:00", NULL, &f->r), TAP_NO_SESSION);
    text(f);
    for (int i = 0; i < f->t.n_lines; i++)
        assert_null(strstr(f->t.lines[i], "didn't sign out"));
}

/* Late into a CPI session: the sign-out is amber and says plainly that a trainer checks
 * tonight (a CPI session counts with the course, so its item never says "review" itself). */
static void test_a_late_cpi_evening_says_a_trainer_checks_it(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, JOANNE, "2023-09-13 15:40", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, JOANNE, "2023-09-13 18:16", NULL, &f->r), TAP_SIGNED_OUT);
    assert_string_equal(text(f), "Signed out — a trainer will check tonight");
    assert_int_equal(f->t.tone, TONE_WARNING);
    expect_line(&f->t, "155 minutes tonight: a trainer checks tonight, then it counts when the "
                       "whole course is done");
    /* On time: green, and the plain course line. */
    assert_int_equal(test_tap(&f->k, JOANNE, "2023-09-14 15:10", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, JOANNE, "2023-09-14 18:16", NULL, &f->r), TAP_SIGNED_OUT);
    assert_string_equal(text(f), "Signed out");
    assert_int_equal(f->t.tone, TONE_OK);
}

static void test_late_arrival_gets_partial_credit(void **state)
{
    struct fixture *f = *state;
    /* au2-in-class-support runs 15:45–17:15 for 1.5 credits. */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:04", NULL, &f->r), TAP_SIGNED_IN);
    assert_true(f->r.decision.late);
    assert_string_equal(text(f), "Signed in — late");
    assert_int_equal(f->t.tone, TONE_WARNING);
    struct event e;
    assert_true(last_event(f, EV_SIGN_IN, &e));
    assert_string_equal(e.payload, "{\"late\":true}");
    assert_true(attendance(f, "BIT0001", "au2-in-class-support").flags & ATT_LATE);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 17:15", NULL, &f->r), TAP_SIGNED_OUT);
    assert_false(f->r.decision.early);
    assert_int_equal(f->r.decision.minutes, 71);
    /* 16:04–17:15 = 71 minutes → rounded down to 1 credit, for a trainer to review. */
    const struct credit_item *it = item(&f->r.summary, "au2-in-class-support");
    assert_int_equal(it->credits_q, 4);
    assert_int_equal(it->status, ITEM_REVIEW);
    assert_int_equal(f->r.summary.review_count, 1);
    assert_string_equal(text(f), "Signed out — a trainer will check tonight");
    assert_int_equal(f->t.tone, TONE_WARNING);
    expect_line(&f->t, "71 minutes tonight: 1 credit once a trainer has checked it");
}

static void test_random_uid_is_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, PHONE, "2023-09-13 15:05", NULL, &f->r), TAP_RANDOM_UID);
    assert_false(f->r.has_person);
    assert_false(f->r.has_summary);
    assert_string_equal(text(f), "Please use your staff badge");
    assert_string_equal(f->t.lines[0], "Phones and bank cards can't be used to sign in.");
    assert_int_equal(f->t.tone, TONE_ERROR);
    struct event e;
    assert_true(last_event(f, EV_RANDOM_UID, &e));
    assert_int_equal(e.seq, 1);
    assert_string_equal(e.person, "");
    assert_string_equal(e.session, "");
    assert_string_equal(e.payload, "{}");
    assert_int_equal(events(f), 1);
}

static void test_random_uid_accepted_when_configured(void **state)
{
    struct fixture *f = *state;
    f->k.rules.accept_random_uids = true;
    /* Not enrolled: an unknown badge (which a trainer could enrol). */
    assert_int_equal(test_tap(&f->k, PHONE, "2023-09-13 15:05", NULL, &f->r), TAP_UNKNOWN_BADGE);
    assert_string_equal(f->r.last4, "3456");
    /* Enrolled to Tom: his badge. */
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "08123456", f->k.keys.site);
    assert_int_equal(store_badge_add(f->k.store, person(f, "BIT0008").id, hash, "3456"), STORE_OK);
    assert_int_equal(test_tap(&f->k, PHONE, "2023-09-13 15:06", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(f->r.person.staff_no, "BIT0008");
    assert_string_equal(f->r.session.code, "cpi-autumn-1");
    /* Refused again once the config says so, enrolled or not. */
    f->k.rules.accept_random_uids = false;
    assert_int_equal(test_tap(&f->k, PHONE, "2023-09-13 18:10", NULL, &f->r), TAP_RANDOM_UID);
    assert_int_equal(attendance(f, "BIT0008", "cpi-autumn-1").out_us, 0);
}

static void test_unknown_badge(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, UNKNOWN, "2023-09-13 15:05", NULL, &f->r), TAP_UNKNOWN_BADGE);
    assert_false(f->r.has_person);
    assert_string_equal(f->r.last4, "5566");
    assert_string_equal(text(f), "Badge not recognised — ask a trainer");
    assert_string_equal(f->t.lines[0], "Badge …5566");
    struct event e;
    assert_true(last_event(f, EV_UNKNOWN_BADGE, &e));
    char badge[8], hash_hex[2 * CRYPTO_BADGE_HASH_BYTES + 1], want[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    assert_int_equal(payload_get_str(e.payload, "badge", badge, sizeof(badge)), PAYLOAD_OK);
    assert_string_equal(badge, "5566");
    assert_int_equal(payload_get_str(e.payload, "badge_hash", hash_hex, sizeof(hash_hex)),
                     PAYLOAD_OK);
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    crypto_badge_hash(hash, "04112233445566", f->k.keys.site);
    crypto_hex(want, hash, sizeof(hash));
    assert_string_equal(hash_hex, want);
    /* The UID itself is never written down. */
    assert_null(strstr(e.payload, "04112233445566"));
    assert_null(strstr(e.payload, "112233"));
}

static void test_inactive_person(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, KEVIN, "2023-09-13 15:05", NULL, &f->r), TAP_INACTIVE);
    assert_true(f->r.has_person);
    assert_false(f->r.has_summary);
    assert_string_equal(text(f), "Badge not active — ask a trainer");
    assert_string_equal(f->t.lines[0], "Kevin Horrocks");
    assert_false(has_attendance(f, "BIT0013", "cpi-autumn-1"));
    struct event e;
    assert_true(last_event(f, EV_INACTIVE_BADGE, &e));
    assert_string_equal(e.person, "BIT0013");
}

static void test_trainer_badge(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, RACHEL, "2023-09-13 15:05", NULL, &f->r), TAP_TRAINER);
    assert_false(f->r.has_summary);
    assert_string_equal(text(f), "Trainer badge — enter your PIN");
    assert_string_equal(f->t.lines[0], "Rachel Greenhalgh");
    assert_false(has_attendance(f, "BIT0010", "cpi-autumn-1"));
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0010", &e), STORE_OK);
    assert_int_equal(e.type, EV_TRAINER_BADGE);
}

static void test_no_session_shows_the_next(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, PRIYA, "2023-09-13 12:00", NULL, &f->r), TAP_NO_SESSION);
    assert_true(f->r.has_next);
    assert_string_equal(f->r.next.code, "cpi-autumn-1");
    assert_string_equal(text(f), "No session open now");
    assert_string_equal(f->t.lines[0], "Priya Chaudhry");
    assert_string_equal(f->t.lines[1], "Next: CPI Initial Training, Wed 13 Sep 15:15");
    /* 14:44 is 31 minutes before the start: still nothing open. */
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 14:44", NULL, &f->r), TAP_NO_SESSION);
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 14:46", NULL, &f->r), TAP_SIGNED_IN);
}

static void test_signed_in_screen(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 15:00", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(text(f), "Signed in");
    assert_int_equal(f->t.tone, TONE_OK);
    assert_int_equal(f->t.n_lines, 4);
    assert_string_equal(f->t.lines[0], "Megan Crompton");
    assert_string_equal(f->t.lines[1], "CPI Initial Training, 15:15–18:15");
    assert_string_equal(f->t.lines[2], "CPI 1 of 4 — next Thu 14 Sep 15:15");
    assert_string_equal(f->t.lines[3], "0 / 16 credits this year (Autumn 0 · Spring 0 · Summer 0)");
    assert_int_equal(f->t.credits_line, 3);
    /* She leaves early: the session waits for a trainer, and the count does not go back. */
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 17:00", NULL, &f->r), TAP_CONFIRM_LEAVE);
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 17:00:05", NULL, &f->r), TAP_SIGNED_OUT);
    assert_string_equal(text(f), "Signed out early");
    assert_string_equal(f->t.lines[3],
                        "CPI 1 of 4 (1 for a trainer to check) — next Thu 14 Sep 15:15");
    /* A single session: no package line; Sarah's Live Teams credit of 29 Nov is not in the
     * total yet on the 27th (a statement is as of its date). */
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 15:41", NULL, &f->r), TAP_SIGNED_IN);
    assert_string_equal(text(f), "Signed in");
    assert_int_equal(f->t.n_lines, 3);
    assert_string_equal(f->t.lines[1], "The role of the in class support, 15:45–17:15");
    assert_string_equal(f->t.lines[2], "0 / 16 credits this year (Autumn 0 · Spring 0 · Summer 0)");
}

/* Every person's attendance rows, in a fixed order, for comparing projections. */
struct snapshot {
    struct session sessions[64];
    struct attendance rows[64];
    size_t n;
};

static void snapshot(struct fixture *f, struct snapshot *out)
{
    static const char *const staff[] = {"BIT0001", "BIT0002", "BIT0003", "BIT0004", "BIT0005",
                                        "BIT0006", "BIT0007", "BIT0008", "BIT0009", "BIT0010",
                                        "BIT0011", "BIT0012", "BIT0013"};
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(staff) / sizeof(staff[0]); i++) {
        size_t n = 0;
        assert_int_equal(store_attendance_of(f->k.store, person(f, staff[i]).id,
                                             out->sessions + out->n, out->rows + out->n,
                                             64 - out->n, &n),
                         STORE_OK);
        out->n += n;
    }
}

static void test_rebuild_gives_the_same_attendance(void **state)
{
    struct fixture *f = *state;
    /* An evening of everything: on time, late, early with confirmation, a choice, a forgotten
     * sign-out, repeat taps and refusals. */
    attend_cpi_day(f, JOANNE, "2023-09-13", "CPI 1 of 4 — next Thu 14 Sep 15:15");
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 15:30", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, MEGAN, "2023-09-13 15:30:20", NULL, &f->r), TAP_ALREADY_IN);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 16:04", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, TOM, "2023-11-27 15:50", NULL, &f->r), TAP_CHOOSE);
    assert_int_equal(test_tap(&f->k, TOM, "2023-11-27 15:50:04", "au2-in-class-support", &f->r),
                     TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, DANIEL, "2023-11-27 15:55", NULL, &f->r), TAP_SIGNED_IN);
    assert_int_equal(test_tap(&f->k, DANIEL, "2023-11-27 16:20", NULL, &f->r), TAP_CONFIRM_LEAVE);
    assert_int_equal(test_tap(&f->k, DANIEL, "2023-11-27 16:20:03", NULL, &f->r), TAP_SIGNED_OUT);
    assert_int_equal(test_tap(&f->k, SARAH, "2023-11-27 17:15", NULL, &f->r), TAP_SIGNED_OUT);
    assert_int_equal(test_tap(&f->k, KEVIN, "2023-11-27 17:16", NULL, &f->r), TAP_INACTIVE);
    assert_int_equal(test_tap(&f->k, PHONE, "2023-11-27 17:17", NULL, &f->r), TAP_RANDOM_UID);
    /* Tom forgets; the next tap after 18:15 closes his. */
    assert_int_equal(test_tap(&f->k, PRIYA, "2023-11-27 18:20", NULL, &f->r), TAP_NO_SESSION);
    struct event e;
    assert_true(last_event(f, EV_AUTO_CLOSE, &e));
    assert_string_equal(e.person, "BIT0008");

    struct snapshot *before = calloc(1, sizeof(*before));
    struct snapshot *after = calloc(1, sizeof(*after));
    assert_non_null(before);
    assert_non_null(after);
    snapshot(f, before);
    assert_int_equal(before->n, 5); /* Sarah, Daniel, Megan, Tom, Joanne */
    int64_t n_events = events(f);
    assert_int_equal(store_rebuild_projections(f->k.store), STORE_OK);
    snapshot(f, after);
    assert_int_equal(after->n, before->n);
    for (size_t i = 0; i < before->n; i++) {
        assert_string_equal(after->sessions[i].code, before->sessions[i].code);
        assert_memory_equal(&after->rows[i], &before->rows[i], sizeof(before->rows[i]));
    }
    assert_int_equal(events(f), n_events); /* rebuilding appends nothing */
    /* The rows say what happened. */
    struct attendance a = attendance(f, "BIT0002", "au2-school-evaluation");
    assert_true(a.flags & ATT_EARLY);
    assert_int_equal(a.out_us, test_at("2023-11-27 16:20:03"));
    a = attendance(f, "BIT0008", "au2-in-class-support");
    assert_true(a.flags & ATT_NO_SIGNOUT);
    /* Megan's CPI session of 13 Sep was closed by the first tap of 27 Nov. */
    a = attendance(f, "BIT0007", "cpi-autumn-1");
    assert_int_equal(a.flags, ATT_LATE | ATT_NO_SIGNOUT); /* she came at 15:30 */
    assert_int_equal(a.out_us, session(f, "cpi-autumn-1").end_us);
    a = attendance(f, "BIT0001", "au2-in-class-support");
    assert_int_equal(a.flags, ATT_LATE);
    /* And the chain is whole. */
    struct store_verify_report r;
    assert_int_equal(store_verify(f->k.store, f->k.keys.sign_pk, &r), STORE_OK);
    assert_int_equal(r.first_bad_seq, 0);
    assert_int_equal(r.events, n_events);
    free(before);
    free(after);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_cpi_three_of_four_is_nothing_four_is_thirteen),
        T(test_a_missed_cpi_session_is_not_made_up_by_the_other_cohort),
        T(test_ninth_prerecorded_credit_does_not_count),
        T(test_commit_then_describe),
        T(test_programme_lists_are_whole),
        T(test_a_wrong_clock_decides_nothing_and_closes_nobody),
        T(test_concurrent_27_november_booked),
        T(test_concurrent_27_november_not_booked),
        T(test_repeat_tap_changes_nothing),
        T(test_leaving_early_needs_a_confirming_tap),
        T(test_a_late_confirmation_asks_again),
        T(test_sign_out_near_the_end_is_not_early),
        T(test_forgotten_sign_out_is_closed_and_flagged),
        T(test_sweep_closes_every_forgotten_sign_out),
        T(test_the_forgotten_notice_agrees_with_the_whole_history),
        T(test_late_arrival_gets_partial_credit),
        T(test_a_late_cpi_evening_says_a_trainer_checks_it),
        T(test_random_uid_is_refused),
        T(test_random_uid_accepted_when_configured),
        T(test_unknown_badge),
        T(test_inactive_person),
        T(test_trainer_badge),
        T(test_no_session_shows_the_next),
        T(test_signed_in_screen),
        T(test_rebuild_gives_the_same_attendance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
