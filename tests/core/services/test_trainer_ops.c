/* What a trainer does to the records, as a service both programs call: each act is an event
 * with who and why, committed, and it works on the next tap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/domain/payload.h"
#include "core/services/trainer_ops.h"
#include "tests/support/testutil.h"

struct fixture {
    struct testkiosk k;
    struct person trainer, staff;
    struct session session;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    testkiosk_open(&f->k, true);
    assert_int_equal(store_person_by_staff_no(f->k.store, "BIT0010", &f->trainer), STORE_OK);
    assert_int_equal(store_person_by_staff_no(f->k.store, "BIT0004", &f->staff), STORE_OK);
    assert_int_equal(store_session_by_code(f->k.store, "cpi-autumn-1", &f->session), STORE_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    testkiosk_close(&f->k);
    free(f);
    return 0;
}

static struct trainer_act act(struct fixture *f, const char *local)
{
    return (struct trainer_act){.store = f->k.store,
                                .rules = &f->k.rules,
                                .trainer = &f->trainer,
                                .clock_state = "synced",
                                .now_us = test_at(local),
                                .mono_us = 1};
}

static int last_event(void *ctx, const struct event *e)
{
    memcpy(ctx, e, sizeof(*e));
    return 0;
}

static void test_sign_in_and_out_by_hand(void **state)
{
    struct fixture *f = *state;
    bool flagged = true;
    struct trainer_act a = act(f, "2023-09-13 15:20");
    assert_int_equal(
        trainer_sign_by_hand(&a, true, &f->staff, &f->session, "Forgot badge", 0, &flagged),
        STORE_OK);
    assert_false(flagged); /* 15:20 is within the grace of a 15:15 start */
    struct event e;
    assert_int_equal(store_events_each(f->k.store, 1, last_event, &e), STORE_OK);
    assert_int_equal(e.type, EV_MANUAL_SIGN_IN);
    assert_string_equal(e.person, "BIT0004");
    assert_string_equal(e.session, "cpi-autumn-1");
    char who[32], why[64];
    assert_int_equal(payload_get_str(e.payload, "trainer", who, sizeof(who)), PAYLOAD_OK);
    assert_int_equal(payload_get_str(e.payload, "reason", why, sizeof(why)), PAYLOAD_OK);
    assert_string_equal(who, "BIT0010");
    assert_string_equal(why, "Forgot badge");
    a = act(f, "2023-09-13 17:00");
    assert_int_equal(
        trainer_sign_by_hand(&a, false, &f->staff, &f->session, "Badge lost", 0, &flagged),
        STORE_OK);
    assert_true(flagged); /* an hour before the end */
    struct attendance at;
    assert_int_equal(store_attendance_get(f->k.store, f->staff.id, f->session.id, &at), STORE_OK);
    assert_int_equal(at.in_us, test_at("2023-09-13 15:20"));
    assert_int_equal(at.out_us, test_at("2023-09-13 17:00"));
    /* A reason too long for an event is refused whole, and nothing is recorded. */
    char long_reason[2000];
    memset(long_reason, 'x', sizeof(long_reason) - 1);
    long_reason[sizeof(long_reason) - 1] = '\0';
    int64_t before = 0, after = 0;
    assert_int_equal(store_count(f->k.store, "events", &before), STORE_OK);
    assert_int_not_equal(
        trainer_sign_by_hand(&a, false, &f->staff, &f->session, long_reason, 0, &flagged),
        STORE_OK);
    assert_int_equal(store_count(f->k.store, "events", &after), STORE_OK);
    assert_int_equal(after, before);
}

/* "Arrived before the kiosk was on": the time they really came, within the session's window,
 * never in the future, never a sign-out before the sign-in. */
static void test_by_hand_at_a_time(void **state)
{
    struct fixture *f = *state;
    bool flagged = true;
    struct trainer_act a = act(f, "2023-09-13 15:50");
    int64_t before = 0, after = 0;
    assert_int_equal(store_count(f->k.store, "events", &before), STORE_OK);
    const char *refused[] = {"2023-09-13 15:51", "2023-09-13 14:44", "2023-09-12 15:15"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_int_equal(trainer_sign_by_hand(&a, true, &f->staff, &f->session, "Forgot badge",
                                              test_at(refused[i]), &flagged),
                         STORE_EINVALID);
    assert_int_equal(store_count(f->k.store, "events", &after), STORE_OK);
    assert_int_equal(after, before);
    assert_int_equal(trainer_sign_by_hand(&a, true, &f->staff, &f->session,
                                          "Arrived before the kiosk was on",
                                          test_at("2023-09-13 15:10"), &flagged),
                     STORE_OK);
    assert_false(flagged); /* on time, though recorded at 15:50 */
    struct attendance at;
    assert_int_equal(store_attendance_get(f->k.store, f->staff.id, f->session.id, &at), STORE_OK);
    assert_int_equal(at.in_us, test_at("2023-09-13 15:10"));
    assert_false(at.flags & ATT_LATE);
    a = act(f, "2023-09-13 19:00");
    assert_int_equal(trainer_sign_by_hand(&a, false, &f->staff, &f->session, "Left",
                                          test_at("2023-09-13 15:05"), &flagged),
                     STORE_EINVALID); /* before they came */
    assert_int_equal(trainer_sign_by_hand(&a, false, &f->staff, &f->session, "Left",
                                          test_at("2023-09-13 18:15"), &flagged),
                     STORE_OK);
    assert_false(flagged);
    assert_int_equal(store_attendance_get(f->k.store, f->staff.id, f->session.id, &at), STORE_OK);
    assert_int_equal(at.out_us, test_at("2023-09-13 18:15"));
}

/* One place at a time: not signed in by hand to a session while at another one then. */
static void test_by_hand_not_in_two_places(void **state)
{
    struct fixture *f = *state;
    /* Sarah taps into the in-class support session, 27 November. */
    assert_int_equal(test_tap(&f->k, "04:5A:2B:72:1C:6E:80", "2023-11-27 15:40", NULL, NULL),
                     TAP_SIGNED_IN);
    struct person sarah;
    struct session evaluation;
    assert_int_equal(store_person_by_staff_no(f->k.store, "BIT0001", &sarah), STORE_OK);
    assert_int_equal(store_session_by_code(f->k.store, "au2-school-evaluation", &evaluation),
                     STORE_OK);
    int64_t before = 0, after = 0;
    assert_int_equal(store_count(f->k.store, "events", &before), STORE_OK);
    bool flagged = false;
    struct trainer_act a = act(f, "2023-11-27 15:50");
    assert_int_equal(
        trainer_sign_by_hand(&a, true, &sarah, &evaluation, "Forgot badge", 0, &flagged),
        STORE_ECONSTRAINT);
    assert_int_equal(store_count(f->k.store, "events", &after), STORE_OK);
    assert_int_equal(after, before);
}

static void test_approve_only_what_needs_it(void **state)
{
    struct fixture *f = *state;
    /* Late into session 1 (flagged), on time into session 2. */
    test_tap(&f->k, "04-3B-19-D2-6A-71-81", "2023-09-13 15:40", NULL, NULL);
    test_tap(&f->k, "04-3B-19-D2-6A-71-81", "2023-09-13 18:15", NULL, NULL);
    test_tap(&f->k, "04-3B-19-D2-6A-71-81", "2023-09-14 15:10", NULL, NULL);
    test_tap(&f->k, "04-3B-19-D2-6A-71-81", "2023-09-14 18:15", NULL, NULL);
    int approved = -1;
    struct trainer_act a = act(f, "2023-09-14 18:20");
    assert_int_equal(trainer_approve_cpi(&a, &f->staff, &approved), STORE_OK);
    assert_int_equal(approved, 1);
    assert_int_equal(trainer_approve_cpi(&a, &f->staff, &approved), STORE_OK);
    assert_int_equal(approved, 0); /* nothing left to approve */
}

static void test_an_enrolled_badge_signs_in(void **state)
{
    struct fixture *f = *state;
    struct uid uid;
    assert_int_equal(uid_parse("04:AB:CD:EF:01:23:45", UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid),
                     UID_OK);
    char last4[5];
    struct trainer_act a = act(f, "2023-09-13 15:00");
    assert_int_equal(trainer_enrol_badge(&a, &f->staff, &uid, f->k.keys.site, last4), STORE_OK);
    assert_string_equal(last4, "2345");
    assert_int_equal(test_tap(&f->k, "04:AB:CD:EF:01:23:45", "2023-09-13 15:10", NULL, NULL),
                     TAP_SIGNED_IN);
    /* Someone else's badge cannot be enrolled over: refused, and no event. */
    struct person other;
    assert_int_equal(store_person_by_staff_no(f->k.store, "BIT0005", &other), STORE_OK);
    int64_t before = 0, after = 0;
    assert_int_equal(store_count(f->k.store, "events", &before), STORE_OK);
    assert_int_equal(trainer_enrol_badge(&a, &other, &uid, f->k.keys.site, last4),
                     STORE_ECONSTRAINT);
    assert_int_equal(store_count(f->k.store, "events", &after), STORE_OK);
    assert_int_equal(after, before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sign_in_and_out_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_by_hand_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_by_hand_not_in_two_places, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approve_only_what_needs_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_enrolled_badge_signs_in, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
