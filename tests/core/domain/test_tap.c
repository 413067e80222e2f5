/* The tap decision (design.md §3), row by row, on hand-built copies of brochure sessions.
 *
 * Times are real: local Europe/London times turned into UTC µs by zone.c, so the BST offset of
 * September and November is what the kiosk would see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/timeunits.h"
#include "core/base/zone.h"
#include "core/domain/tap.h"

enum { CPI1 = 11, IN_CLASS = 21, SCHOOL_EVAL = 22, THIRD_ROOM = 23 };

static struct rules rules;
static struct person gareth;
static struct session sessions[4];
static size_t n_sessions;
static struct attendance rows[4];
static size_t n_rows;
static int64_t booked[4];
static size_t n_booked;
static struct tap_facts facts;
static struct tap_decision d;

/* Local Europe/London time → UTC µs. */
static int64_t at(int y, int mo, int day, int h, int mi, int s)
{
    int64_t us = 0;
    assert_int_equal(zone_local_to_utc(civil_from_ymd(y, mo, day), h * 60 + mi, &us), ZONE_OK);
    return us + s * US_PER_S;
}

/* 13 Sep 2023 is in BST (UTC+1), 27 Nov 2023 in GMT: zone.c knows which. */
#define SEP13(h, m, s) at(2023, 9, 13, (h), (m), (s))
#define NOV27(h, m, s) at(2023, 11, 27, (h), (m), (s))

static struct session make_session(int64_t id, const char *code, const char *title,
                                   enum course_kind kind, const char *group, int credits_q, int y,
                                   int mo, int day, int start_min, int end_min)
{
    struct session s = {.id = id,
                        .kind = kind,
                        .delivery = DELIVERY_FACE_TO_FACE,
                        .credits_q = credits_q,
                        .date = civil_from_ymd(y, mo, day),
                        .start_min = start_min,
                        .end_min = end_min};
    snprintf(s.code, sizeof(s.code), "%s", code);
    snprintf(s.title, sizeof(s.title), "%s", title);
    snprintf(s.group, sizeof(s.group), "%s", group);
    s.start_us = at(y, mo, day, start_min / 60, start_min % 60, 0);
    s.end_us = at(y, mo, day, end_min / 60, end_min % 60, 0);
    return s;
}

/* CPI Initial Training cohort 1 session 1: Wed 13 Sep 2023 15:15–18:15. */
static struct session cpi1(void)
{
    return make_session(CPI1, "cpi-autumn-1", "CPI Initial Training", KIND_CPI_INITIAL,
                        "cpi-autumn", 52, 2023, 9, 13, 15 * 60 + 15, 18 * 60 + 15);
}

/* The concurrent face-to-face sessions of Mon 27 Nov 2023. */
static struct session in_class(void)
{
    return make_session(IN_CLASS, "au2-in-class-support", "The role of the in class support",
                        KIND_SINGLE, "", 6, 2023, 11, 27, 15 * 60 + 45, 17 * 60 + 15);
}

static struct session school_eval(void)
{
    return make_session(SCHOOL_EVAL, "au2-school-evaluation", "Effective school evaluation",
                        KIND_SINGLE, "", 4, 2023, 11, 27, 16 * 60, 17 * 60);
}

/* Not in the brochure: a third room the same evening, for the "two booked" row. */
static struct session third_room(void)
{
    return make_session(THIRD_ROOM, "third-room", "A third room", KIND_SINGLE, "", 4, 2023, 11, 27,
                        16 * 60, 17 * 60);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(zone_set("Europe/London"), ZONE_OK);
    rules_default(&rules);
    gareth = (struct person){.id = 4, .active = true};
    strcpy(gareth.staff_no, "BIT0004");
    strcpy(gareth.name, "Gareth Lomax");
    n_sessions = n_rows = n_booked = 0;
    memset(&facts, 0, sizeof(facts));
    memset(&d, 0, sizeof(d));
    return 0;
}

static void add(struct session s)
{
    sessions[n_sessions++] = s;
}

static void book(int64_t session_id)
{
    booked[n_booked++] = session_id;
}

static void attended(int64_t session_id, int64_t in_us, int64_t out_us)
{
    rows[n_rows] = (struct attendance){.person_id = gareth.id,
                                       .session_id = session_id,
                                       .in_us = in_us,
                                       .out_us = out_us,
                                       .override_q = -1};
    n_rows++;
}

static void prompted(int64_t session_id, int64_t at_us)
{
    facts.prompt_session_id = session_id;
    facts.prompt_at_us = at_us;
}

/* Gareth's badge tapped at now. */
static enum tap_outcome tap_as(enum badge_state badge, const struct person *p, int64_t now,
                               int64_t chosen)
{
    facts.rules = &rules;
    facts.now_us = now;
    facts.badge = badge;
    facts.person = p;
    facts.sessions = sessions;
    facts.n_sessions = n_sessions;
    facts.attendance = rows;
    facts.n_attendance = n_rows;
    facts.booked_session_ids = booked;
    facts.n_booked = n_booked;
    facts.chosen_session_id = chosen;
    memset(&d, 0xA5, sizeof(d)); /* tap_decide must fill every field */
    tap_decide(&facts, &d);
    return d.outcome;
}

static enum tap_outcome tap(int64_t now)
{
    return tap_as(BADGE_KNOWN, &gareth, now, 0);
}

static void assert_session(const struct session *s, int64_t id)
{
    assert_non_null(s);
    assert_int_equal(s->id, id);
}

/* ---- signing in ---- */

static void test_sign_in_one_open_session(void **state)
{
    (void)state;
    add(cpi1());
    assert_int_equal(tap(SEP13(15, 5, 0)), TAP_SIGNED_IN);
    assert_int_equal(d.event_type, EV_SIGN_IN);
    assert_session(d.session, CPI1);
    assert_false(d.late);
    assert_false(d.early);
    assert_int_equal(d.n_choices, 0);
    /* At the start and up to start + 10 min: on time. */
    assert_int_equal(tap(SEP13(15, 15, 0)), TAP_SIGNED_IN);
    assert_false(d.late);
    assert_int_equal(tap(SEP13(15, 25, 0)), TAP_SIGNED_IN);
    assert_false(d.late);
}

static void test_sign_in_late_past_grace(void **state)
{
    (void)state;
    add(cpi1());
    assert_int_equal(tap(SEP13(15, 25, 1)), TAP_SIGNED_IN);
    assert_true(d.late);
    assert_int_equal(d.event_type, EV_SIGN_IN);
    assert_int_equal(tap(SEP13(17, 30, 0)), TAP_SIGNED_IN);
    assert_true(d.late);
    /* The last moment the session takes sign-ins. */
    assert_int_equal(tap(SEP13(18, 14, 59)), TAP_SIGNED_IN);
    assert_true(d.late);
}

static void test_sign_in_window_opens_30_min_before(void **state)
{
    (void)state;
    add(cpi1());
    assert_int_equal(tap(SEP13(14, 46, 0)), TAP_SIGNED_IN); /* 29 min before */
    assert_session(d.session, CPI1);
    assert_false(d.late);
    assert_int_equal(tap(SEP13(14, 45, 0)), TAP_SIGNED_IN); /* exactly 30 min before */
    assert_int_equal(tap(SEP13(14, 44, 59)), TAP_NO_SESSION);
    assert_int_equal(tap(SEP13(14, 44, 0)), TAP_NO_SESSION); /* 31 min before */
    assert_int_equal(d.event_type, EV_NO_SESSION);
    assert_null(d.session);
    const struct session *s = &sessions[0];
    assert_false(tap_session_open(&rules, s, SEP13(14, 44, 59)));
    assert_true(tap_session_open(&rules, s, SEP13(14, 45, 0)));
    assert_true(tap_session_open(&rules, s, SEP13(18, 14, 59)));
    assert_false(tap_session_open(&rules, s, SEP13(18, 15, 0)));
}

static void test_no_session_open(void **state)
{
    (void)state;
    assert_int_equal(tap(SEP13(12, 0, 0)), TAP_NO_SESSION); /* nothing near at all */
    assert_int_equal(d.event_type, EV_NO_SESSION);
    assert_null(d.session);
    add(cpi1());
    assert_int_equal(tap(SEP13(12, 0, 0)), TAP_NO_SESSION);
    /* After the end, never signed in: too late to sign in, nothing to sign out of. */
    assert_int_equal(tap(SEP13(18, 15, 0)), TAP_NO_SESSION);
    assert_int_equal(tap(SEP13(18, 40, 0)), TAP_NO_SESSION);
    assert_null(d.session);
}

/* ---- concurrent sessions ---- */

static void test_several_open_signs_into_the_booked_one(void **state)
{
    (void)state;
    add(in_class());
    add(school_eval());
    book(SCHOOL_EVAL); /* the second in the list */
    assert_int_equal(tap(NOV27(15, 50, 0)), TAP_SIGNED_IN);
    assert_session(d.session, SCHOOL_EVAL);
    assert_false(d.late);
    /* Booked on the first instead. */
    n_booked = 0;
    book(IN_CLASS);
    assert_int_equal(tap(NOV27(15, 50, 0)), TAP_SIGNED_IN);
    assert_session(d.session, IN_CLASS);
    /* A booked session a while in: late. */
    assert_int_equal(tap(NOV27(16, 0, 0)), TAP_SIGNED_IN);
    assert_true(d.late);
}

static void test_several_open_none_booked_asks(void **state)
{
    (void)state;
    add(in_class());
    add(school_eval());
    assert_int_equal(tap(NOV27(15, 36, 0)), TAP_CHOOSE);
    assert_int_equal(d.event_type, EV_CHOOSE_PROMPT);
    assert_null(d.session);
    assert_int_equal(d.n_choices, 2);
    assert_session(d.choices[0], IN_CLASS);
    assert_session(d.choices[1], SCHOOL_EVAL);
    /* Before the 16:00 session opens (15:30) only one is open: no question. */
    assert_int_equal(tap(NOV27(15, 29, 59)), TAP_SIGNED_IN);
    assert_session(d.session, IN_CLASS);
    /* Booked on a session that is not open yet does not count. */
    book(SCHOOL_EVAL);
    assert_int_equal(tap(NOV27(15, 29, 0)), TAP_SIGNED_IN);
    assert_session(d.session, IN_CLASS);
}

static void test_two_booked_asks_among_the_booked(void **state)
{
    (void)state;
    add(in_class());
    add(school_eval());
    add(third_room());
    book(IN_CLASS);
    book(THIRD_ROOM);
    assert_int_equal(tap(NOV27(15, 40, 0)), TAP_CHOOSE);
    assert_int_equal(d.n_choices, 2);
    assert_session(d.choices[0], IN_CLASS);
    assert_session(d.choices[1], THIRD_ROOM);
    /* None booked: all three are offered. */
    n_booked = 0;
    assert_int_equal(tap(NOV27(15, 40, 0)), TAP_CHOOSE);
    assert_int_equal(d.n_choices, 3);
}

static void test_chosen_session_signs_in(void **state)
{
    (void)state;
    add(in_class());
    add(school_eval());
    assert_int_equal(tap_as(BADGE_KNOWN, &gareth, NOV27(15, 36, 5), SCHOOL_EVAL), TAP_SIGNED_IN);
    assert_session(d.session, SCHOOL_EVAL);
    assert_int_equal(d.event_type, EV_SIGN_IN);
    assert_false(d.late);
    /* A choice beats a booking. */
    book(IN_CLASS);
    assert_int_equal(tap_as(BADGE_KNOWN, &gareth, NOV27(15, 36, 5), SCHOOL_EVAL), TAP_SIGNED_IN);
    assert_session(d.session, SCHOOL_EVAL);
    /* Chosen late is still late. */
    assert_int_equal(tap_as(BADGE_KNOWN, &gareth, NOV27(16, 11, 0), SCHOOL_EVAL), TAP_SIGNED_IN);
    assert_true(d.late);
    /* A choice of something not open is ignored: the tap decides as usual. */
    n_booked = 0;
    assert_int_equal(tap_as(BADGE_KNOWN, &gareth, NOV27(15, 36, 5), 999), TAP_CHOOSE);
    assert_int_equal(d.n_choices, 2);
}

/* ---- signed in ---- */

static void test_repeat_tap_within_a_minute_is_already_in(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(15, 50, 0), 0); /* 5 minutes after the start */
    assert_int_equal(tap(NOV27(15, 50, 1)), TAP_ALREADY_IN);
    assert_int_equal(d.event_type, EV_ALREADY_IN);
    assert_session(d.session, IN_CLASS);
    assert_int_equal(d.since_us, NOV27(15, 50, 0));
    assert_int_equal(tap(NOV27(15, 50, 59)), TAP_ALREADY_IN);
    /* A minute on, mid-session: that is a leaving tap. */
    assert_int_equal(tap(NOV27(15, 51, 0)), TAP_CONFIRM_LEAVE);
    /* Nothing in the facts was touched. */
    assert_int_equal(rows[0].in_us, NOV27(15, 50, 0));
    assert_int_equal(rows[0].out_us, 0);
}

static void test_tap_before_the_start_after_an_early_sign_in(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(15, 20, 0), 0);
    assert_int_equal(tap(NOV27(15, 40, 0)), TAP_ALREADY_IN);
    assert_int_equal(d.since_us, NOV27(15, 20, 0));
    assert_int_equal(tap(NOV27(15, 44, 59)), TAP_ALREADY_IN);
    assert_int_equal(tap(NOV27(15, 45, 0)), TAP_CONFIRM_LEAVE);
}

static void test_mid_session_tap_asks_to_confirm(void **state)
{
    (void)state;
    add(in_class());
    add(school_eval());
    attended(IN_CLASS, NOV27(15, 41, 0), 0);
    assert_int_equal(tap(NOV27(16, 30, 0)), TAP_CONFIRM_LEAVE);
    assert_int_equal(d.event_type, EV_LEAVE_PROMPT);
    assert_session(d.session, IN_CLASS); /* not a choice of the other open session */
    assert_int_equal(d.n_choices, 0);
    /* The last second before the early-leave window ends. */
    assert_int_equal(tap(NOV27(17, 4, 59)), TAP_CONFIRM_LEAVE);
}

static void test_confirming_tap_within_10_s_signs_out_early(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(15, 41, 0), 0);
    prompted(IN_CLASS, NOV27(16, 30, 0));
    assert_int_equal(tap(NOV27(16, 30, 4)), TAP_SIGNED_OUT);
    assert_int_equal(d.event_type, EV_SIGN_OUT);
    assert_session(d.session, IN_CLASS);
    assert_true(d.early);
    assert_int_equal(d.minutes, 45);                          /* 15:45 (not 15:41) to 16:30 */
    assert_int_equal(tap(NOV27(16, 30, 10)), TAP_SIGNED_OUT); /* exactly 10 s */
    assert_true(d.early);
    assert_int_equal(d.minutes, 45);
}

static void test_second_tap_after_11_s_prompts_again(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(15, 41, 0), 0);
    prompted(IN_CLASS, NOV27(16, 30, 0));
    assert_int_equal(tap(NOV27(16, 30, 11)), TAP_CONFIRM_LEAVE);
    assert_int_equal(d.event_type, EV_LEAVE_PROMPT);
    assert_int_equal(tap(NOV27(16, 45, 0)), TAP_CONFIRM_LEAVE);
    /* A prompt about another session confirms nothing. */
    prompted(SCHOOL_EVAL, NOV27(16, 30, 0));
    assert_int_equal(tap(NOV27(16, 30, 5)), TAP_CONFIRM_LEAVE);
    /* Nor does a prompt "from the future" (the wall clock stepped back). */
    prompted(IN_CLASS, NOV27(16, 30, 0));
    assert_int_equal(tap(NOV27(16, 29, 55)), TAP_CONFIRM_LEAVE);
}

static void test_tap_near_the_end_signs_out(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(15, 41, 0), 0);
    assert_int_equal(tap(NOV27(17, 5, 0)), TAP_SIGNED_OUT); /* end − 10 min */
    assert_int_equal(d.event_type, EV_SIGN_OUT);
    assert_false(d.early);
    assert_int_equal(d.minutes, 80);
    assert_int_equal(tap(NOV27(17, 14, 0)), TAP_SIGNED_OUT);
    assert_false(d.early);
    assert_int_equal(d.minutes, 89);
    /* A confirming tap is not needed, and a stale prompt changes nothing. */
    prompted(IN_CLASS, NOV27(16, 30, 0));
    assert_int_equal(tap(NOV27(17, 10, 0)), TAP_SIGNED_OUT);
    assert_false(d.early);
}

static void test_tap_after_the_end_within_checkout_signs_out(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(15, 41, 0), 0);
    assert_int_equal(tap(NOV27(17, 15, 0)), TAP_SIGNED_OUT);
    assert_false(d.early);
    assert_int_equal(d.minutes, 90); /* the whole session, no more */
    assert_int_equal(tap(NOV27(18, 14, 59)), TAP_SIGNED_OUT);
    assert_false(d.early);
    assert_int_equal(d.minutes, 90);
    /* From end + 60 min the sign-in is forgotten (auto-closed by the sweep): not "signed out". */
    assert_int_equal(tap(NOV27(18, 15, 0)), TAP_NO_SESSION);
}

static void test_late_arrival_signs_out_with_its_minutes(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(16, 4, 0), 0);
    assert_int_equal(tap(NOV27(17, 15, 0)), TAP_SIGNED_OUT);
    assert_false(d.early);
    assert_int_equal(d.minutes, 71);
}

static void test_signed_in_to_two_sessions_the_latest_counts(void **state)
{
    (void)state;
    add(in_class());
    add(school_eval());
    attended(IN_CLASS, NOV27(15, 40, 0), 0);
    attended(SCHOOL_EVAL, NOV27(15, 58, 0), 0);
    assert_int_equal(tap(NOV27(16, 30, 0)), TAP_CONFIRM_LEAVE);
    assert_session(d.session, SCHOOL_EVAL);
}

/* ---- signed out ---- */

static void test_tap_after_signing_out_is_already_out(void **state)
{
    (void)state;
    add(in_class());
    attended(IN_CLASS, NOV27(15, 41, 0), NOV27(17, 10, 0));
    assert_int_equal(tap(NOV27(17, 10, 30)), TAP_ALREADY_OUT);
    assert_int_equal(d.event_type, EV_ALREADY_OUT);
    assert_session(d.session, IN_CLASS);
    assert_int_equal(d.since_us, NOV27(17, 10, 0));
    assert_int_equal(tap(NOV27(17, 40, 0)), TAP_ALREADY_OUT);
    assert_int_equal(tap(NOV27(18, 14, 59)), TAP_ALREADY_OUT);
    /* After the checkout window the session is history. */
    assert_int_equal(tap(NOV27(18, 15, 0)), TAP_NO_SESSION);
    assert_null(d.session);
}

static void test_left_early_with_another_session_open(void **state)
{
    (void)state;
    add(in_class());
    add(school_eval());
    attended(IN_CLASS, NOV27(15, 41, 0), NOV27(16, 30, 10));
    /* Within the minute: the same tap again, not a move to the other room. */
    assert_int_equal(tap(NOV27(16, 30, 40)), TAP_ALREADY_OUT);
    assert_session(d.session, IN_CLASS);
    assert_int_equal(d.since_us, NOV27(16, 30, 10));
    /* Later: asked (only the open one is offered), never moved silently. */
    assert_int_equal(tap(NOV27(16, 35, 0)), TAP_CHOOSE);
    assert_int_equal(d.n_choices, 1);
    assert_session(d.choices[0], SCHOOL_EVAL);
    /* Booked on it, or choosing it: signed in. */
    assert_int_equal(tap_as(BADGE_KNOWN, &gareth, NOV27(16, 35, 5), SCHOOL_EVAL), TAP_SIGNED_IN);
    assert_session(d.session, SCHOOL_EVAL);
    assert_true(d.late);
    book(SCHOOL_EVAL);
    assert_int_equal(tap(NOV27(16, 35, 0)), TAP_SIGNED_IN);
    assert_session(d.session, SCHOOL_EVAL);
    /* But not within the minute of signing out, even when booked. */
    assert_int_equal(tap(NOV27(16, 30, 40)), TAP_ALREADY_OUT);
}

/* ---- badges ---- */

static void test_unknown_badge(void **state)
{
    (void)state;
    add(cpi1());
    assert_int_equal(tap_as(BADGE_UNKNOWN, NULL, SEP13(15, 5, 0), 0), TAP_UNKNOWN_BADGE);
    assert_int_equal(d.event_type, EV_UNKNOWN_BADGE);
    assert_null(d.session);
    /* "Known" without a person is not trusted. */
    assert_int_equal(tap_as(BADGE_KNOWN, NULL, SEP13(15, 5, 0), 0), TAP_UNKNOWN_BADGE);
}

static void test_random_uid(void **state)
{
    (void)state;
    add(cpi1());
    assert_int_equal(tap_as(BADGE_RANDOM, NULL, SEP13(15, 5, 0), 0), TAP_RANDOM_UID);
    assert_int_equal(d.event_type, EV_RANDOM_UID);
    assert_null(d.session);
    /* Allowed by config: no longer refused as random; not enrolled, so unknown … */
    rules.accept_random_uids = true;
    assert_int_equal(tap_as(BADGE_RANDOM, NULL, SEP13(15, 5, 0), 0), TAP_UNKNOWN_BADGE);
    assert_int_equal(d.event_type, EV_UNKNOWN_BADGE);
    /* … and once the caller has found it enrolled, a normal badge. */
    assert_int_equal(tap_as(BADGE_KNOWN, &gareth, SEP13(15, 5, 0), 0), TAP_SIGNED_IN);
    assert_session(d.session, CPI1);
}

static void test_inactive_person(void **state)
{
    (void)state;
    add(cpi1());
    attended(CPI1, SEP13(15, 5, 0), 0);
    struct person kevin = gareth;
    kevin.active = false;
    assert_int_equal(tap_as(BADGE_KNOWN, &kevin, SEP13(15, 30, 0), 0), TAP_INACTIVE);
    assert_int_equal(d.event_type, EV_INACTIVE_BADGE);
    assert_null(d.session);
    /* An inactive trainer is refused as inactive, not let into trainer mode. */
    kevin.trainer = true;
    assert_int_equal(tap_as(BADGE_KNOWN, &kevin, SEP13(15, 30, 0), 0), TAP_INACTIVE);
}

static void test_trainer_badge(void **state)
{
    (void)state;
    add(cpi1());
    struct person rachel = gareth;
    rachel.trainer = true;
    assert_int_equal(tap_as(BADGE_KNOWN, &rachel, SEP13(15, 5, 0), 0), TAP_TRAINER);
    assert_int_equal(d.event_type, EV_TRAINER_BADGE);
    assert_null(d.session);
    assert_int_equal(tap_as(BADGE_KNOWN, &rachel, SEP13(12, 0, 0), 0), TAP_TRAINER);
}

/* ---- helpers ---- */

static void test_forgotten_at_end_plus_checkout(void **state)
{
    (void)state;
    struct session s = cpi1();
    struct attendance row = {.session_id = CPI1, .in_us = SEP13(15, 5, 0), .override_q = -1};
    assert_false(tap_is_forgotten(&rules, &s, &row, SEP13(18, 15, 0)));
    assert_false(tap_is_forgotten(&rules, &s, &row, SEP13(19, 14, 59)));
    assert_true(tap_is_forgotten(&rules, &s, &row, SEP13(19, 15, 0)));
    assert_true(tap_is_forgotten(&rules, &s, &row, at(2023, 9, 14, 9, 0, 0)));
    row.out_us = SEP13(18, 10, 0); /* signed out: nothing to close */
    assert_false(tap_is_forgotten(&rules, &s, &row, SEP13(19, 15, 0)));
    struct attendance never = {.session_id = CPI1, .override_q = -1};
    assert_false(tap_is_forgotten(&rules, &s, &never, SEP13(19, 15, 0)));
}

static void test_minutes_within(void **state)
{
    (void)state;
    struct session s = in_class(); /* 15:45–17:15 */
    assert_int_equal(tap_minutes_within(&s, NOV27(15, 30, 0), NOV27(17, 40, 0)), 90);
    assert_int_equal(tap_minutes_within(&s, NOV27(16, 4, 0), NOV27(17, 15, 0)), 71);
    assert_int_equal(tap_minutes_within(&s, NOV27(16, 4, 30), NOV27(17, 15, 0)), 70);
    assert_int_equal(tap_minutes_within(&s, NOV27(15, 45, 0), NOV27(16, 29, 59)), 44);
    assert_int_equal(tap_minutes_within(&s, NOV27(15, 0, 0), NOV27(15, 40, 0)), 0);
    assert_int_equal(tap_minutes_within(&s, NOV27(17, 20, 0), NOV27(17, 40, 0)), 0);
    assert_int_equal(tap_minutes_within(&s, NOV27(16, 30, 0), NOV27(16, 0, 0)), 0);
    struct session c = cpi1();
    assert_int_equal(tap_minutes_within(&c, SEP13(15, 0, 0), SEP13(18, 30, 0)), 180);
}

static void test_outcome_codes(void **state)
{
    (void)state;
    assert_string_equal(tap_outcome_code(TAP_SIGNED_IN), "signed_in");
    assert_string_equal(tap_outcome_code(TAP_CONFIRM_LEAVE), "confirm_leave");
    assert_string_equal(tap_outcome_code(TAP_RANDOM_UID), "random_uid");
    assert_string_equal(tap_outcome_code(TAP_TRAINER), "trainer");
    assert_string_equal(tap_outcome_code(TAP_OUTCOME_COUNT), "?");
}

/* ---- windows from config ---- */

static void test_non_default_windows(void **state)
{
    (void)state;
    rules.open_before_min = 15;
    rules.late_after_min = 5;
    rules.early_before_min = 20;
    rules.checkout_after_min = 30;
    rules.repeat_tap_s = 30;
    rules.confirm_leave_s = 5;
    add(cpi1()); /* 15:15–18:15 */
    assert_int_equal(tap(SEP13(14, 59, 59)), TAP_NO_SESSION);
    assert_int_equal(tap(SEP13(15, 0, 0)), TAP_SIGNED_IN);
    assert_int_equal(tap(SEP13(15, 20, 0)), TAP_SIGNED_IN);
    assert_false(d.late);
    assert_int_equal(tap(SEP13(15, 20, 1)), TAP_SIGNED_IN);
    assert_true(d.late);
    attended(CPI1, SEP13(15, 30, 0), 0);
    assert_int_equal(tap(SEP13(15, 30, 29)), TAP_ALREADY_IN);
    assert_int_equal(tap(SEP13(15, 30, 30)), TAP_CONFIRM_LEAVE);
    prompted(CPI1, SEP13(16, 0, 0));
    assert_int_equal(tap(SEP13(16, 0, 5)), TAP_SIGNED_OUT);
    assert_true(d.early);
    assert_int_equal(d.minutes, 30);
    assert_int_equal(tap(SEP13(16, 0, 6)), TAP_CONFIRM_LEAVE);
    assert_int_equal(tap(SEP13(17, 54, 59)), TAP_CONFIRM_LEAVE);
    assert_int_equal(tap(SEP13(17, 55, 0)), TAP_SIGNED_OUT); /* end − 20 min */
    assert_false(d.early);
    assert_int_equal(tap(SEP13(18, 44, 59)), TAP_SIGNED_OUT);
    assert_int_equal(tap(SEP13(18, 45, 0)), TAP_NO_SESSION); /* end + 30: forgotten */
    assert_true(tap_is_forgotten(&rules, &sessions[0], &rows[0], SEP13(18, 45, 0)));
    assert_false(tap_is_forgotten(&rules, &sessions[0], &rows[0], SEP13(18, 44, 59)));
    /* Signed out: "already out" only until end + 30. */
    rows[0].out_us = SEP13(18, 0, 0);
    assert_int_equal(tap(SEP13(18, 44, 0)), TAP_ALREADY_OUT);
    assert_int_equal(tap(SEP13(18, 45, 0)), TAP_NO_SESSION);
}

static void test_bst_offset(void **state)
{
    (void)state;
    /* 15:15 BST on 13 Sep 2023 is 14:15 UTC; 15:45 GMT on 27 Nov 2023 is 15:45 UTC. */
    struct session c = cpi1();
    int64_t utc_day = (int64_t)civil_from_ymd(2023, 9, 13) * 86400 * US_PER_S;
    assert_int_equal(c.start_us, utc_day + (14 * 60 + 15) * US_PER_MIN);
    struct session s = in_class();
    utc_day = (int64_t)civil_from_ymd(2023, 11, 27) * 86400 * US_PER_S;
    assert_int_equal(s.start_us, utc_day + (15 * 60 + 45) * US_PER_MIN);
}

/* Read newest first, the answer is the one the fold in order gives: over 50,000 generated
 * histories (a fixed seed, so a failure replays), every event type, three sessions, runs of
 * trainers' corrections long enough to overflow what the backward reading keeps. */
static void test_forgotten_read_newest_first_agrees_with_in_order(void **state)
{
    (void)state;
    static const char *const codes[] = {"cpi-autumn-1", "cpi-autumn-2", "au2-evaluation", ""};
    uint64_t x = 20231113;
    long decided_at_first = 0, overflows = 0, yes = 0;
    for (int h = 0; h < 50000; h++) {
        struct event events[40];
        x = x * 6364136223846793005u + 1442695040888963407u;
        int n = (int)(x >> 59) + (int)((x >> 40) % 9); /* up to 39 */
        bool fix_run = (x >> 20) % 7 == 0;             /* corrections only, after an auto-close */
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            memset(&events[i], 0, sizeof(events[i]));
            events[i].type = fix_run && i > 0 ? (i % 2 ? EV_CORRECTION : EV_APPROVE)
                                              : (enum event_type)((x >> 33) % EV_TYPE_COUNT);
            snprintf(events[i].session, sizeof(events[i].session), "%s", codes[(x >> 50) % 4]);
            events[i].seq = i + 1;
        }
        if (fix_run && n > 0)
            events[0].type = EV_AUTO_CLOSE;
        struct tap_forgotten forward = {0};
        for (int i = 0; i < n; i++)
            tap_forgotten_fold(&forward, &events[i]);
        struct tap_forgotten_back back = {0};
        int read = 0;
        for (int i = n - 1; i >= 0; i--) {
            read++;
            if (tap_forgotten_fold_back(&back, &events[i]))
                break;
        }
        if (back.overflow) {
            overflows++;
            continue;
        }
        decided_at_first += read <= 1;
        yes += forward.pending;
        if (back.result.pending != forward.pending ||
            (forward.pending && strcmp(back.result.session, forward.session) != 0))
            fail_msg("history %d (%d events): in order %d %s, newest first %d %s", h, n,
                     forward.pending, forward.session, back.result.pending, back.result.session);
    }
    print_message("50000 histories: %ld told of a forgotten sign-out, %ld decided at the newest "
                  "event, %ld overflowed (read in order)\n",
                  yes, decided_at_first, overflows);
    assert_true(yes > 1000 && overflows > 100);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
    const struct CMUnitTest tests[] = {
        T(test_sign_in_one_open_session),
        T(test_forgotten_read_newest_first_agrees_with_in_order),
        T(test_sign_in_late_past_grace),
        T(test_sign_in_window_opens_30_min_before),
        T(test_no_session_open),
        T(test_several_open_signs_into_the_booked_one),
        T(test_several_open_none_booked_asks),
        T(test_two_booked_asks_among_the_booked),
        T(test_chosen_session_signs_in),
        T(test_repeat_tap_within_a_minute_is_already_in),
        T(test_tap_before_the_start_after_an_early_sign_in),
        T(test_mid_session_tap_asks_to_confirm),
        T(test_confirming_tap_within_10_s_signs_out_early),
        T(test_second_tap_after_11_s_prompts_again),
        T(test_tap_near_the_end_signs_out),
        T(test_tap_after_the_end_within_checkout_signs_out),
        T(test_late_arrival_signs_out_with_its_minutes),
        T(test_signed_in_to_two_sessions_the_latest_counts),
        T(test_tap_after_signing_out_is_already_out),
        T(test_left_early_with_another_session_open),
        T(test_unknown_badge),
        T(test_random_uid),
        T(test_inactive_person),
        T(test_trainer_badge),
        T(test_forgotten_at_end_plus_checkout),
        T(test_minutes_within),
        T(test_outcome_codes),
        T(test_non_default_windows),
        T(test_bst_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
