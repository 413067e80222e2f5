/* The kiosk's behaviour on a real store with the brochure data, the clock injected: taps and
 * their screens, the choose screen, the PIN lockout, auto-lock, and trainer mode's actions
 * recorded as events with the trainer and the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/services/evaluation.h"
#include "ui/kiosk.h"
#include "core/domain/payload.h"
#include "core/domain/pin.h"
#include "ui/sync_status.h"
#include "tests/support/powercut_vfs.h"
#include "tests/support/testutil.h"

#define GARETH "04-3B-19-D2-6A-71-81"
#define TOM    "04D7E2A2B95C81"
#define RACHEL "04:B2:5E:1A:83:4C:80"
#define MEGAN  "C2:7F:3A:E5" /* BIT0007, booked on the autumn CPI cohort */
#define JOANNE "9b1f6c3d"    /* BIT0009, likewise */
#define S      INT64_C(1000000)

struct fixture {
    struct testkiosk k;
    struct config cfg;
    struct kiosk *kiosk;
    struct view v;
    int64_t now;
};

static void new_kiosk_with(struct fixture *f, int evaluation_seconds, const char *wardens,
                           bool can_print)
{
    kiosk_free(f->kiosk);
    struct kiosk_options o = {.store = f->k.store,
                              .fire_wardens = wardens,
                              .can_print = can_print,
                              .rules = &f->cfg.rules,
                              .site = f->cfg.kiosk.site,
                              .result_seconds = f->cfg.display.result_seconds,
                              .evaluation_seconds = evaluation_seconds,
                              .site_key = f->k.keys.site,
                              .clock_state = "synced",
                              .boot_id = "test-boot"};
    assert_int_equal(kiosk_new(&o, &f->kiosk), STORE_OK);
}

static void new_kiosk(struct fixture *f, int evaluation_seconds)
{
    new_kiosk_with(f, evaluation_seconds, NULL, false);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    testkiosk_open(&f->k, true);
    config_default(&f->cfg);
    new_kiosk(f, 0);
    /* Rachel's PIN is 2468. */
    struct person rachel;
    char hash[CRYPTO_PIN_HASH_MAX];
    assert_int_equal(store_person_by_staff_no(f->k.store, "BIT0010", &rachel), STORE_OK);
    assert_int_equal(crypto_pin_hash(hash, "2468"), CRYPTO_OK);
    assert_int_equal(store_pin_set(f->k.store, rachel.id, hash, 1), STORE_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    kiosk_free(f->kiosk);
    testkiosk_close(&f->k);
    free(f);
    return 0;
}

static void at(struct fixture *f, const char *local)
{
    f->now = test_at(local);
    kiosk_tick(f->kiosk, f->now, f->now);
}

static void later(struct fixture *f, int64_t us)
{
    f->now += us;
    kiosk_tick(f->kiosk, f->now, f->now);
}

static const struct view *view(struct fixture *f)
{
    kiosk_view(f->kiosk, f->now, 1280, 800, &f->v);
    return &f->v;
}

static void badge(struct fixture *f, const char *text)
{
    struct uid u;
    assert_int_equal(uid_parse(text, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    kiosk_badge(f->kiosk, &u, f->now, f->now);
}

static void act(struct fixture *f, enum view_action_kind kind, int index)
{
    kiosk_action(f->kiosk, (struct view_action){kind, index}, f->now, f->now);
}

static int button(struct fixture *f, const char *label)
{
    const struct view *v = view(f);
    for (int i = 0; i < v->n_buttons; i++) {
        if (strstr(v->buttons[i].label, label))
            return i;
    }
    fail_msg("no button \"%s\" on screen %d", label, v->screen);
    return -1;
}

static int row(struct fixture *f, const char *name)
{
    const struct view *v = view(f);
    for (int i = 0; i < v->n_rows; i++) {
        if (strstr(v->rows[i].cells[0], name))
            return v->first_row + i;
    }
    fail_msg("no row \"%s\"", name);
    return -1;
}

static void type_pin(struct fixture *f, const char *pin)
{
    for (const char *p = pin; *p; p++)
        act(f, ACT_DIGIT, *p - '0');
    act(f, ACT_OK, 0);
}

static void unlock(struct fixture *f)
{
    badge(f, RACHEL);
    assert_int_equal(view(f)->screen, SCREEN_PIN);
    type_pin(f, "2468");
    assert_int_equal(view(f)->screen, SCREEN_MENU);
}

static void test_tap_shows_result_then_idle(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:00");
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    assert_int_equal(f->v.n_sessions, 1);
    assert_true(f->v.sessions[0].open);
    assert_string_equal(f->v.sessions[0].title, "CPI Initial Training");
    badge(f, GARETH);
    const struct view *v = view(f);
    assert_int_equal(v->screen, SCREEN_RESULT);
    assert_int_equal(v->tone, TONE_V_OK);
    assert_string_equal(v->headline, "Signed in");
    assert_string_equal(v->lines[0], "Gareth Lomax");
    assert_string_equal(v->lines[2], "CPI 1 of 4 — next Thu 14 Sep 15:15");
    assert_true(v->show_credits);
    assert_int_equal(v->target_q, 64);
    assert_int_equal(v->seconds_left, 5);
    assert_int_equal(kiosk_take_sound(f->kiosk), KIOSK_SOUND_OK);
    assert_int_equal(kiosk_take_sound(f->kiosk), KIOSK_SOUND_NONE);
    assert_int_equal(kiosk_deadline(f->kiosk, f->now), f->now + 1 * S);
    later(f, 4 * S);
    assert_int_equal(view(f)->screen, SCREEN_RESULT);
    later(f, 1 * S);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
}

static void test_choose_by_touch(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-11-27 15:36");
    badge(f, TOM);
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    assert_int_equal(f->v.n_buttons, 2);
    act(f, ACT_BUTTON, button(f, "Effective school evaluation"));
    assert_int_equal(view(f)->screen, SCREEN_RESULT);
    assert_string_equal(f->v.headline, "Signed in");
    assert_non_null(strstr(f->v.lines[1], "Effective school evaluation"));
    at(f, "2023-11-27 15:40");
    badge(f, "04:5A:2B:72:1C:6E:80"); /* Sarah: booked, no question */
    assert_int_equal(view(f)->screen, SCREEN_RESULT);
    /* Unanswered, the choose screen counts down, gives up after 30 s and says so to whoever
     * looks next: Megan (booked on neither) was not signed in. */
    at(f, "2023-11-27 15:41");
    badge(f, "C2:7F:3A:E5");
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    assert_int_equal(f->v.seconds_left, 30);
    assert_non_null(strstr(f->v.subtitle, "you are not signed in until you do"));
    later(f, 31 * S);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    assert_true(f->v.has_banner);
    assert_string_equal(f->v.banner, "Megan Crompton was not signed in: no session was chosen — "
                                     "please tap again");
    later(f, 21 * S); /* and the notice goes by itself */
    assert_false(view(f)->has_banner);
    /* The next badge comes before she chooses: it waits its turn, and she keeps her screen. */
    badge(f, "C2:7F:3A:E5");
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    badge(f, "04:5A:2B:72:1C:6E:80");
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    assert_string_equal(f->v.banner,
                        "Another badge is waiting: it is done as soon as this choice is made");
    act(f, ACT_BUTTON, 0);
    assert_string_equal(view(f)->headline, "Signed in"); /* Megan, as she chose */
    act(f, ACT_OK, 0);
    assert_int_equal(view(f)->screen, SCREEN_RESULT); /* then Sarah's tap, as it came */
    assert_string_equal(f->v.headline, "Already signed in");
    assert_false(f->v.has_banner);
    /* Waiting through a choice nobody makes: done when it times out; the notice about the one
     * who walked away is for the idle screen, not over the next person's result. */
    at(f, "2023-11-27 15:45");
    badge(f, GARETH); /* booked on neither */
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    badge(f, "04:5A:2B:72:1C:6E:80");
    later(f, 31 * S);
    assert_int_equal(view(f)->screen, SCREEN_RESULT);
    assert_false(f->v.has_banner);
    later(f, 6 * S);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    assert_non_null(strstr(f->v.banner, "Gareth Lomax was not signed in"));
}

static void test_pin_lockout(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:00");
    badge(f, RACHEL);
    assert_int_equal(view(f)->screen, SCREEN_PIN);
    for (int i = 1; i < PIN_MAX_FAILURES; i++) {
        type_pin(f, "1111");
        assert_int_equal(view(f)->screen, SCREEN_PIN);
        assert_non_null(strstr(f->v.pin_message, "Wrong PIN"));
    }
    type_pin(f, "1111");
    assert_non_null(strstr(view(f)->pin_message, "locked until 15:05"));
    assert_int_equal(kiosk_take_sound(f->kiosk), KIOSK_SOUND_ERROR);
    /* The right PIN does nothing while locked, even after leaving and coming back. */
    act(f, ACT_BACK, 0);
    later(f, 60 * S);
    badge(f, RACHEL);
    assert_true(view(f)->pin_locked); /* said at once, the keys greyed */
    assert_non_null(strstr(f->v.pin_message, "locked until 15:05"));
    type_pin(f, "2468");
    assert_int_equal(view(f)->screen, SCREEN_PIN);
    assert_int_equal(f->v.pin_digits, 0); /* digits are not taken */
    assert_non_null(strstr(f->v.pin_message, "locked until 15:05"));
    later(f, 4 * 60 * S);
    badge(f, RACHEL);
    type_pin(f, "2468");
    assert_int_equal(view(f)->screen, SCREEN_MENU);
}

static void test_trainer_mode_locks_after_a_minute(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:00");
    unlock(f);
    later(f, 30 * S);
    act(f, ACT_BUTTON, button(f, "CPI grid")); /* (the roll call stays longer: below) */
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    later(f, 59 * S);
    assert_int_equal(view(f)->screen, SCREEN_TABLE); /* a touch 59 s ago */
    later(f, 2 * S);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    /* Locked: touches no longer reach trainer mode. */
    act(f, ACT_BUTTON, 0);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    /* And a badge tapped in trainer mode ends it too (the kiosk is public). */
    unlock(f);
    badge(f, GARETH);
    assert_int_equal(view(f)->screen, SCREEN_RESULT);
    act(f, ACT_OK, 0);
    act(f, ACT_BUTTON, 0);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
}

static void test_manual_sign_in_is_its_own_event(void **state)
{
    struct fixture *f = *state;
    struct event e0;
    at(f, "2023-09-13 15:20");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_non_null(strstr(f->v.title, "CPI Initial Training"));
    /* Booked people first: Chloe (no badge) is booked on the CPI cohort. */
    assert_string_equal(f->v.rows[0].cells[2], "Booked");
    act(f, ACT_ROW, row(f, "Chloe Barlow"));
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    act(f, ACT_BUTTON, button(f, "Forgot badge"));
    /* Nothing yet: the trainer sees what will be recorded, and when, and says yes. */
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    assert_string_equal(f->v.title, "Sign Chloe Barlow in by hand?");
    assert_string_equal(f->v.subtitle, "CPI Initial Training · Forgot badge");
    int64_t events = 0;
    assert_int_equal(store_count(f->k.store, "events", &events), STORE_OK);
    assert_int_not_equal(store_last_event_of(f->k.store, "BIT0012", &e0), STORE_OK);
    act(f, ACT_BUTTON, button(f, "Sign in at 15:20"));
    assert_int_equal(view(f)->screen, SCREEN_MESSAGE);
    assert_string_equal(f->v.headline, "Signed in by hand");
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0012", &e), STORE_OK);
    assert_int_equal(e.type, EV_MANUAL_SIGN_IN);
    assert_string_equal(e.session, "cpi-autumn-1");
    char trainer[32], reason[64];
    int64_t at_us = 0;
    bool late = true;
    assert_int_equal(payload_get_str(e.payload, "trainer", trainer, sizeof(trainer)), PAYLOAD_OK);
    assert_string_equal(trainer, "BIT0010");
    assert_int_equal(payload_get_str(e.payload, "reason", reason, sizeof(reason)), PAYLOAD_OK);
    assert_string_equal(reason, "Forgot badge");
    assert_int_equal(payload_get_int(e.payload, "at_us", &at_us), PAYLOAD_OK);
    assert_int_equal(at_us, f->now);
    assert_int_equal(payload_get_bool(e.payload, "late", &late), PAYLOAD_OK);
    assert_false(late);
    struct person chloe;
    struct session s;
    struct attendance a;
    store_person_by_staff_no(f->k.store, "BIT0012", &chloe);
    store_session_by_code(f->k.store, "cpi-autumn-1", &s);
    assert_int_equal(store_attendance_get(f->k.store, chloe.id, s.id, &a), STORE_OK);
    assert_int_equal(a.in_us, f->now);
    assert_true(a.flags & ATT_MANUAL_IN);
    /* She is now on the register and the evacuation list; and can be signed out by hand. */
    act(f, ACT_BUTTON, button(f, "Done"));
    assert_int_equal(view(f)->screen, SCREEN_MENU);
    act(f, ACT_BUTTON, button(f, "Register"));
    row(f, "Chloe Barlow");
    act(f, ACT_BACK, 0);
    act(f, ACT_BUTTON, button(f, "Evacuation list"));
    row(f, "Chloe Barlow");
    act(f, ACT_BACK, 0);
    later(f, 30 * S);
    act(f, ACT_BUTTON, button(f, "Sign someone out"));
    act(f, ACT_ROW, row(f, "Chloe Barlow"));
    act(f, ACT_BUTTON, button(f, "Reader not working"));
    assert_string_equal(view(f)->title, "Sign Chloe Barlow out by hand?");
    act(f, ACT_BUTTON, button(f, "Sign out at 15:20 (early)"));
    assert_string_equal(view(f)->headline, "Signed out by hand");
    for (int i = 0; i < f->v.n_buttons; i++)
        assert_null(strstr(f->v.buttons[i].label, "Undo")); /* put right from the register */
    assert_int_equal(store_last_event_of(f->k.store, "BIT0012", &e), STORE_OK);
    assert_int_equal(e.type, EV_MANUAL_SIGN_OUT);
    assert_int_equal(payload_get_bool(e.payload, "early", &late), PAYLOAD_OK);
    assert_true(late);
}

/* Cancel records nothing; the time moves in 5-minute steps within the session's window and
 * never past now; someone who came before the kiosk was on starts at the session's start. */
static void test_by_hand_asks_when_and_can_be_cancelled(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:32");
    unlock(f);
    int64_t before = 0, after = 0;
    assert_int_equal(store_count(f->k.store, "events", &before), STORE_OK);
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    act(f, ACT_ROW, row(f, "Chloe Barlow"));
    act(f, ACT_BUTTON, button(f, "Forgot badge"));
    act(f, ACT_BACK, 0); /* Cancel */
    assert_int_equal(view(f)->screen, SCREEN_MENU);
    assert_int_equal(store_count(f->k.store, "events", &after), STORE_OK);
    assert_int_equal(after, before);
    /* Later is greyed at now; earlier steps back. */
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    act(f, ACT_ROW, row(f, "Chloe Barlow"));
    act(f, ACT_BUTTON, button(f, "Forgot badge"));
    assert_false(view(f)->buttons[button(f, "5 minutes later")].enabled);
    button(f, "Sign in at 15:32 (late)");
    act(f, ACT_BUTTON, button(f, "5 minutes earlier"));
    act(f, ACT_BUTTON, button(f, "5 minutes earlier"));
    act(f, ACT_BUTTON, button(f, "5 minutes earlier"));
    act(f, ACT_BUTTON, button(f, "Sign in at 15:17"));
    struct event e;
    int64_t at_us = 0;
    bool late = true;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0012", &e), STORE_OK);
    assert_int_equal(payload_get_int(e.payload, "at_us", &at_us), PAYLOAD_OK);
    assert_int_equal(at_us, test_at("2023-09-13 15:17"));
    assert_int_equal(payload_get_bool(e.payload, "late", &late), PAYLOAD_OK);
    assert_false(late);
    act(f, ACT_BUTTON, button(f, "Done"));
    /* Came before the kiosk was on: the start, and earlier only to the window's opening. */
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    act(f, ACT_ROW, row(f, "Megan Crompton"));
    act(f, ACT_BUTTON, button(f, "Arrived before the kiosk was on"));
    button(f, "Sign in at 15:15");
    for (int i = 0; i < 20 && view(f)->buttons[button(f, "5 minutes earlier")].enabled; i++)
        act(f, ACT_BUTTON, button(f, "5 minutes earlier"));
    button(f, "Sign in at 14:45"); /* 30 minutes before the start: the window opens */
    act(f, ACT_BUTTON, button(f, "At the start, 15:15"));
    act(f, ACT_BUTTON, button(f, "Sign in at 15:15"));
    assert_string_equal(view(f)->headline, "Signed in by hand");
}

/* Undo right after a sign-in by hand: voided, with who and why; she is not on the roll call. */
static void test_a_sign_in_by_hand_can_be_undone(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:20");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    act(f, ACT_ROW, row(f, "Chloe Barlow"));
    act(f, ACT_BUTTON, button(f, "Forgot badge"));
    act(f, ACT_BUTTON, button(f, "Sign in at 15:20"));
    act(f, ACT_BUTTON, button(f, "Undo"));
    assert_string_equal(view(f)->headline, "Undone");
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0012", &e), STORE_OK);
    assert_int_equal(e.type, EV_VOID_ATTENDANCE);
    char by[64];
    assert_int_equal(payload_get_str(e.payload, "by", by, sizeof(by)), PAYLOAD_OK);
    assert_string_equal(by, "Rachel Greenhalgh");
    act(f, ACT_OK, 0);
    act(f, ACT_BUTTON, button(f, "Evacuation list"));
    for (int i = 0; i < f->v.n_rows; i++)
        assert_null(strstr(f->v.rows[i].cells[0], "Chloe"));
    /* … and she can still be signed in, properly, afterwards. */
    act(f, ACT_BACK, 0);
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    act(f, ACT_ROW, row(f, "Chloe Barlow"));
}

/* Signed in by hand over an attendance they already had: no Undo (voiding it would lose their
 * real time here); put right from the register instead. */
static void test_no_undo_over_a_real_attendance(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:10");
    badge(f, GARETH);
    at(f, "2023-09-13 16:00");
    badge(f, GARETH);
    later(f, 2 * S);
    badge(f, GARETH); /* signed out early */
    at(f, "2023-09-13 16:30");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    act(f, ACT_BUTTON, button(f, "Forgot badge"));
    act(f, ACT_BUTTON, button(f, "Sign in at 16:30"));
    assert_string_equal(view(f)->headline, "Signed in by hand");
    for (int i = 0; i < f->v.n_buttons; i++)
        assert_null(strstr(f->v.buttons[i].label, "Undo"));
}

static void type(struct fixture *f, const char *text)
{
    for (const char *p = text; *p; p++)
        act(f, ACT_CHAR, (unsigned char)*p);
}

/* "Other" asks for a note on the on-screen keyboard; the list is searched the same way. */
static void test_other_takes_a_note_and_lists_find_names(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:20");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Sign someone in"));
    assert_string_equal(view(f)->extra_label, "Find a name");
    act(f, ACT_EXTRA, 0);
    assert_int_equal(view(f)->screen, SCREEN_KEYBOARD);
    type(f, "TATx");
    act(f, ACT_ERASE, 0);
    assert_string_equal(view(f)->entry, "TAT");
    act(f, ACT_OK, 0);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_int_equal(f->v.total_rows, 1);
    assert_string_equal(f->v.rows[0].cells[0], "Joanne Tattersall");
    assert_string_equal(f->v.subtitle, "Names with \u201cTAT\u201d: 1 — touch one");
    /* Nothing typed: everyone again. */
    act(f, ACT_EXTRA, 0);
    for (int i = 0; i < 3; i++)
        act(f, ACT_ERASE, 0);
    act(f, ACT_OK, 0);
    assert_true(view(f)->total_rows > 1);
    act(f, ACT_ROW, row(f, "Joanne Tattersall"));
    act(f, ACT_BUTTON, button(f, "Other"));
    assert_int_equal(view(f)->screen, SCREEN_KEYBOARD);
    act(f, ACT_OK, 0); /* an empty note is not a reason */
    assert_int_equal(view(f)->screen, SCREEN_KEYBOARD);
    assert_non_null(strstr(f->v.entry_hint, "Please type a short note"));
    type(f, "  came with  the fire\twarden\x1b");
    assert_string_equal(view(f)->entry, "came with the firewarden");
    act(f, ACT_OK, 0);
    assert_string_equal(view(f)->subtitle,
                        "CPI Initial Training · Other: came with the firewarden");
    act(f, ACT_BUTTON, button(f, "Sign in at"));
    struct event e;
    char reason[128];
    assert_int_equal(store_last_event_of(f->k.store, "BIT0009", &e), STORE_OK);
    assert_int_equal(payload_get_str(e.payload, "reason", reason, sizeof(reason)), PAYLOAD_OK);
    assert_string_equal(reason, "Other: came with the firewarden");
}

/* Evaluations: asked only after the sign-out is committed, one touch answers it, anything else
 * skips it, a second badge is a tap like any other, and a failure costs the sign-out nothing. */
static void test_how_useful_was_tonight(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:10");
    badge(f, GARETH);
    at(f, "2023-09-13 18:15");
    badge(f, GARETH);
    /* Off by default: no question. */
    assert_string_equal(view(f)->headline, "Signed out");
    assert_int_equal(f->v.n_buttons, 0);
    new_kiosk(f, 8);
    at(f, "2023-09-14 15:10");
    badge(f, GARETH);
    at(f, "2023-09-14 18:15");
    badge(f, GARETH);
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_SIGN_OUT); /* committed before the question is shown */
    assert_string_equal(view(f)->headline, "Signed out");
    assert_string_equal(f->v.title, "How useful was tonight?");
    assert_int_equal(f->v.n_buttons, 5);
    assert_int_equal(f->v.seconds_left, 8);
    assert_int_equal(kiosk_key_action(f->kiosk, KEY_CHAR, '4').kind, ACT_BUTTON);
    {
        /* … but not with a keyboard-wedge reader, whose scans type digits here. */
        struct kiosk *k = f->kiosk;
        struct kiosk_options o = {.store = f->k.store,
                                  .rules = &f->cfg.rules,
                                  .site = f->cfg.kiosk.site,
                                  .result_seconds = 5,
                                  .evaluation_seconds = 8,
                                  .keys_are_a_reader = true,
                                  .site_key = f->k.keys.site,
                                  .clock_state = "synced",
                                  .boot_id = "test-boot"};
        assert_int_equal(kiosk_new(&o, &f->kiosk), STORE_OK);
        for (char c = '0'; c <= '9'; c++)
            assert_int_equal(kiosk_key_action(f->kiosk, KEY_CHAR, c).kind, ACT_NONE);
        assert_int_equal(kiosk_key_action(f->kiosk, KEY_ESCAPE, 0).kind, ACT_BACK);
        kiosk_free(f->kiosk);
        f->kiosk = k;
    }
    act(f, ACT_BUTTON, 3);
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_EVALUATION);
    assert_string_equal(e.session, "cpi-autumn-2");
    assert_string_equal(e.payload, "{\"score\":4}");
    assert_int_equal(view(f)->n_buttons, 0);
    assert_string_equal(f->v.lines[f->v.n_lines - 1], "Thank you for your answer");
    later(f, 3 * S);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    /* Skipped: a touch anywhere else; nothing recorded. */
    struct evaluation_tally t;
    assert_int_equal(evaluation_tally_of(f->k.store, "cpi-autumn-1", &t), STORE_OK);
    assert_int_equal(t.answers, 0);
    at(f, "2023-09-20 15:10");
    badge(f, MEGAN);
    at(f, "2023-09-20 18:15");
    badge(f, MEGAN);
    assert_int_equal(view(f)->n_buttons, 5);
    act(f, ACT_OK, 0);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    assert_int_equal(store_last_event_of(f->k.store, "BIT0007", &e), STORE_OK);
    assert_int_equal(e.type, EV_SIGN_OUT);
    /* The next badge while the question is up is a tap like any other. */
    at(f, "2023-09-20 15:12");
    badge(f, JOANNE);
    at(f, "2023-09-20 18:16");
    badge(f, JOANNE);
    assert_int_equal(view(f)->n_buttons, 5);
    badge(f, GARETH);
    assert_int_equal(view(f)->n_buttons, 0);
    assert_int_equal(evaluation_tally_of(f->k.store, "cpi-autumn-3", &t), STORE_OK);
    assert_int_equal(t.answers, 0);
    /* The store cannot take the answer: said plainly; the sign-out stands. */
    at(f, "2023-09-21 15:10");
    badge(f, MEGAN);
    at(f, "2023-09-21 18:15");
    badge(f, MEGAN);
    struct store *other = NULL;
    char why[256];
    assert_int_equal(store_open(f->k.db_path, &other, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_begin(other), STORE_OK);
    act(f, ACT_BUTTON, 4);
    store_rollback(other);
    store_close(other);
    assert_string_equal(view(f)->lines[f->v.n_lines - 1],
                        "Your answer was not saved — your sign-out was");
    assert_int_equal(store_last_event_of(f->k.store, "BIT0007", &e), STORE_OK);
    assert_int_equal(e.type, EV_SIGN_OUT);
    /* A trainer sees tonight's answers on the register. */
    at(f, "2023-09-14 18:20");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Register"));
    assert_non_null(strstr(view(f)->subtitle, "evaluations: 1 answer, average 4.0 of 5"));
}

/* A fire warden's badge (configured) signs them in as ever and puts the roll call one touch
 * away, without a PIN: the list and its ticks only, Back locks, no auto-lock for 30 minutes;
 * Print hands the list, ticks and all, to the app. */
static void test_a_fire_warden_opens_the_roll_call(void **state)
{
    struct fixture *f = *state;
    new_kiosk_with(f, 8, "BIT0099, BIT0004", true);
    at(f, "2023-09-13 15:05");
    unlock(f); /* Rachel, running tonight's session, tapped her trainer badge */
    act(f, ACT_BACK, 0);
    at(f, "2023-09-13 15:10");
    badge(f, MEGAN);
    assert_false(view(f)->roll_call_button); /* not a warden */
    badge(f, GARETH);
    assert_string_equal(view(f)->headline, "Signed in");
    assert_true(f->v.roll_call_button);
    act(f, ACT_ROLL_CALL, 0);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_string_equal(f->v.title, "Roll call: everyone in the building for CPD");
    assert_string_equal(f->v.rows[0].cells[0], "Gareth Lomax");
    assert_string_equal(f->v.rows[0].cells[1], "taking it");
    assert_string_equal(f->v.rows[1].cells[0], "Megan Crompton");
    /* The trainer running the session is on it too, from her badge's tap. */
    int rachel = row(f, "Rachel Greenhalgh") - f->v.first_row;
    assert_string_equal(f->v.rows[rachel].cells[2], "since 15:05");
    assert_string_equal(f->v.extra_label, "Print");
    act(f, ACT_ROW, row(f, "Megan Crompton"));
    view(f);
    /* Ticked, she moves below those still to find. */
    assert_string_equal(f->v.rows[1].cells[0], "Rachel Greenhalgh");
    assert_string_equal(f->v.rows[2].cells[0], "Megan Crompton");
    assert_string_equal(f->v.rows[2].cells[4], "\u2714 here");
    assert_non_null(strstr(f->v.subtitle, "2 accounted for · 1 still to find"));
    /* Print: the app is asked, with the list as it stands. */
    assert_false(kiosk_take_print_request(f->kiosk));
    act(f, ACT_EXTRA, 0);
    assert_true(kiosk_take_print_request(f->kiosk));
    assert_false(kiosk_take_print_request(f->kiosk));
    const struct report *r = kiosk_roll_call(f->kiosk);
    bool megan = false;
    for (size_t i = 0; i < r->n_rows; i++) {
        if (strcmp(r->rows[i].cells[1], "BIT0007") == 0)
            megan = strcmp(r->rows[i].cells[6], "\u2714 here") == 0;
    }
    assert_true(megan);
    kiosk_printed(f->kiosk, false, "lp: The printer or class does not exist.", f->now);
    assert_non_null(strstr(view(f)->subtitle, "not printed: lp: The printer or class does not"));
    kiosk_printed(f->kiosk, true, "", f->now);
    assert_non_null(strstr(view(f)->subtitle, "sent to the printer at 15:10"));
    act(f, ACT_EXTRA, 0); /* touched again at once: one copy */
    assert_false(kiosk_take_print_request(f->kiosk));
    later(f, 16 * S);
    act(f, ACT_EXTRA, 0);
    assert_true(kiosk_take_print_request(f->kiosk));
    /* Nothing else behind it: no menu; it stays up through a long drill. */
    later(f, 90 * 60 * S);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    act(f, ACT_BACK, 0);
    assert_int_equal(view(f)->screen, SCREEN_IDLE);
    /* Opened again: the ticks are as they were. */
    badge(f, GARETH);
    act(f, ACT_ROLL_CALL, 0);
    assert_string_equal(view(f)->rows[row(f, "Megan Crompton") - f->v.first_row].cells[4],
                        "\u2714 here");
    /* Without a printer there is no Print. */
    new_kiosk_with(f, 0, "BIT0004", false);
    badge(f, GARETH);
    act(f, ACT_ROLL_CALL, 0);
    assert_string_equal(view(f)->extra_label, "");
}

/* The register says why each row needs a trainer, with the minutes, and counts who is in. */
static void test_register_says_why_with_minutes(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:40");
    badge(f, JOANNE); /* 25 minutes late */
    at(f, "2023-09-13 15:10");
    badge(f, GARETH);
    at(f, "2023-09-13 16:30");
    badge(f, GARETH);
    later(f, 2 * S);
    badge(f, GARETH); /* confirmed: 1 h 45 early */
    assert_string_equal(view(f)->headline, "Signed out early");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Register"));
    view(f);
    assert_string_equal(f->v.rows[row(f, "Gareth Lomax") - f->v.first_row].cells[1],
                        "In 15:10–16:30 — left 1 h 45 early");
    assert_string_equal(f->v.rows[row(f, "Joanne Tattersall") - f->v.first_row].cells[1],
                        "In 15:40 — arrived 25 min late");
    /* Two came, one left: one in now (counted from the records, not the rows' words). */
    if (strncmp(f->v.subtitle, "1 in now · 1 late · ", strlen("1 in now · 1 late · ")) != 0)
        fail_msg("the register's head count: %s", f->v.subtitle);
}

/* The year's target is kiosk.ini's ([rules] target_credits), never a 16 typed into words:
 * with 20, the menu, the at-risk list and a person's way back all say 20. */
static void test_the_target_comes_from_the_config(void **state)
{
    struct fixture *f = *state;
    int kept = f->cfg.rules.target_quarters;
    f->cfg.rules.target_quarters = 20 * QUARTERS_PER_CREDIT;
    at(f, "2024-01-29 15:30");
    unlock(f);
    view(f);
    bool said = false;
    for (int i = 0; i < f->v.n_buttons; i++) {
        said |= strstr(f->v.buttons[i].detail, "may not reach 20 credits") != NULL;
        assert_null(strstr(f->v.buttons[i].detail, "16"));
    }
    assert_true(said);
    act(f, ACT_BUTTON, button(f, "Who is at risk"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_string_equal(f->v.rows[0].cells[1], "0 of 20");
    act(f, ACT_ROW, row(f, "Daniel Ashworth"));
    assert_string_equal(view(f)->title, "Daniel Ashworth: 0 of 20 credits so far");
    for (int i = 0; i < f->v.n_rows; i++)
        assert_null(strstr(f->v.rows[i].cells[0], "16 credits"));
    f->cfg.rules.target_quarters = kept;
}

/* The at-risk forecast for the people of today's sessions, most urgent first, with the way
 * back; on a day without a session it says so. */
static void test_who_is_at_risk_tonight(void **state)
{
    struct fixture *f = *state;
    at(f, "2024-01-29 15:30");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Who is at risk"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_string_equal(f->v.title, "Who is at risk: the people at today's sessions");
    /* Daniel, booked tonight, has nothing this spring: tonight's session is his way out. */
    assert_int_equal(f->v.total_rows, 1);
    assert_string_equal(f->v.rows[0].cells[0], "Daniel Ashworth");
    assert_string_equal(f->v.rows[0].cells[1], "0 of 16");
    assert_string_equal(f->v.rows[0].cells[2], "Spring term at 0");
    assert_int_equal(f->v.rows[0].tone, TONE_V_WARNING);
    assert_string_equal(f->v.subtitle, "1 of the 1 people at today's sessions is at risk · touch "
                                       "a name for the way back");
    /* Touched: the whole of it, a session a row; Back goes back to the list. */
    act(f, ACT_ROW, row(f, "Daniel Ashworth"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_string_equal(f->v.title, "Daniel Ashworth: 0 of 16 credits so far");
    assert_string_equal(f->v.rows[0].cells[0],
                        "The Spring term ends at 0 unless they attend one of:");
    assert_string_equal(f->v.rows[1].cells[0], "    Creating a culture of wellbeing Mon 29 Jan");
    bool way_back = false, more = false;
    for (int i = 0; i < f->v.n_rows; i++) {
        way_back |= strcmp(f->v.rows[i].cells[0], "The way back: attend 8 or more:") == 0;
        if (strstr(f->v.rows[i].cells[0], "Feedback and questioning"))
            assert_non_null(strstr(f->v.rows[i].cells[0], " Thu 8 Feb")); /* never cut */
        more |= strstr(f->v.rows[i].cells[0], " and ") == f->v.rows[i].cells[0] + 3;
        if (strncmp(f->v.rows[i].cells[0], "    ", 4) == 0)
            assert_null(strstr(f->v.rows[i].cells[0], ", ")); /* one session a row */
    }
    assert_true(way_back);
    /* Every spring session he could still attend, a row each (from the typed record: nothing
     * cut to fit a sentence), before the way back. */
    int spring = 0;
    for (int i = 1; i < f->v.n_rows && strncmp(f->v.rows[i].cells[0], "    ", 4) == 0; i++)
        spring++;
    assert_int_equal(spring, 9);
    assert_false(more);
    bool cpi = false;
    for (int i = 0; i < f->v.n_rows; i++)
        cpi |= strcmp(f->v.rows[i].cells[0], "Pre-recorded training: up to 8 more") == 0;
    assert_true(cpi);  /* the other ways back, a row each */
    bool mapa = false; /* its days and credits from the programme */
    for (int i = 0; i < f->v.n_rows; i++)
        mapa |= strcmp(f->v.rows[i].cells[0], "Or MAPA Refresher from Fri 26 Apr (2 days and the "
                                              "online part, 10 credits)") == 0;
    assert_true(mapa);
    act(f, ACT_BACK, 0);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_string_equal(f->v.title, "Who is at risk: the people at today's sessions");
    /* Once he is signed in and out tonight, his spring is not at 0 any more. */
    act(f, ACT_BACK, 0);
    act(f, ACT_BACK, 0); /* the menu's Lock */
    badge(f, "3F:22:91:0C");
    at(f, "2024-01-29 17:16");
    badge(f, "3F:22:91:0C");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Who is at risk"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_int_equal(f->v.total_rows, 0);
    assert_string_equal(f->v.subtitle, "0 of the 1 people at today's sessions are at risk · touch "
                                       "a name for the way back");
    act(f, ACT_BACK, 0);
    at(f, "2024-01-27 15:30"); /* a Saturday */
    act(f, ACT_BUTTON, button(f, "Who is at risk"));
    assert_string_equal(view(f)->headline, "No session today");
}

/* A fire drill: the roll call lists everyone in the building by surname (the trainer taking it
 * first, accounted for), a touch ticks a name and the counts follow, and it stays up while
 * the warden works through it (not the menu's 60 seconds). */
static void test_a_roll_call(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:10");
    badge(f, GARETH);
    badge(f, "9b1f6c3d"); /* Joanne */
    at(f, "2023-09-13 15:30");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Evacuation list"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_string_equal(f->v.title, "Roll call: everyone in the building for CPD");
    assert_string_equal(f->v.rows[0].cells[0], "Rachel Greenhalgh");
    assert_string_equal(f->v.rows[0].cells[1], "taking it");
    assert_string_equal(f->v.rows[1].cells[0], "Gareth Lomax");
    assert_string_equal(f->v.rows[2].cells[0], "Joanne Tattersall");
    assert_string_equal(f->v.rows[1].cells[2], "since 15:10");
    assert_int_equal(f->v.rows[1].tone, TONE_V_NEUTRAL);
    assert_non_null(strstr(f->v.subtitle, "3 in the building at 15:30 · 1 accounted for · 2 "
                                          "still to find"));
    act(f, ACT_ROW, row(f, "Joanne Tattersall"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_non_null(strstr(f->v.subtitle, "2 accounted for · 1 still to find"));
    const struct view_row *joanne = &f->v.rows[row(f, "Joanne Tattersall") - f->v.first_row];
    assert_string_equal(joanne->cells[4], "\u2714 here");
    assert_int_equal(joanne->tone, TONE_V_OK);
    /* Five minutes without a touch: still the roll call, ticks kept. */
    later(f, 5 * 60 * S);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_non_null(strstr(f->v.subtitle, "2 accounted for"));
    /* A second touch unticks (a mistaken tick is put right). */
    act(f, ACT_ROW, row(f, "Joanne Tattersall"));
    assert_non_null(strstr(view(f)->subtitle, "1 accounted for · 2 still to find"));
    act(f, ACT_ROW, row(f, "Joanne Tattersall"));
    /* No auto-lock while it is open: an hour untouched, still there. */
    later(f, 60 * 60 * S);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    /* Someone leaving taps their badge: the kiosk says what it did, then the roll call is back
     * with its ticks (the people passing the kiosk in a drill are many). */
    badge(f, GARETH);
    assert_int_equal(view(f)->screen, SCREEN_RESULT);
    later(f, 10 * S);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_string_equal(f->v.title, "Roll call: everyone in the building for CPD");
    assert_non_null(strstr(f->v.subtitle, "accounted for"));
    assert_string_equal(f->v.rows[row(f, "Joanne Tattersall") - f->v.first_row].cells[4],
                        "\u2714 here");
    /* A touch on the result also goes back to it. */
    badge(f, GARETH);
    act(f, ACT_OK, 0);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
}

/* On the register a trainer puts an evening right where it happened: the missed sign-out at
 * the end, then approval of a late arrival — each a correction event with their name and why;
 * Back and "Not now" record nothing. */
static void test_putting_the_register_right(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:30"); /* Gareth, 15 minutes late */
    badge(f, GARETH);
    at(f, "2023-09-13 18:20"); /* he left without tapping out */
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Register"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    assert_string_equal(f->v.title, "Put right: Gareth Lomax");
    assert_false(f->v.buttons[button(f, "Approve in full")].enabled); /* still open */
    act(f, ACT_BACK, 0);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_SIGN_IN);
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    act(f, ACT_BUTTON, button(f, "Signed out at the end (18:15)"));
    assert_string_equal(view(f)->headline, "Put right");
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_MANUAL_SIGN_OUT);
    char who[64], why[64];
    event_who_and_why(&e, who, sizeof(who), why, sizeof(why));
    assert_string_equal(who, "Rachel Greenhalgh");
    assert_string_equal(why, "left at the end without tapping out");
    act(f, ACT_OK, 0); /* back to the register */
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    assert_true(f->v.buttons[button(f, "Approve in full")].enabled);
    act(f, ACT_BUTTON, button(f, "Approve in full"));
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_APPROVE);
    act(f, ACT_BUTTON, button(f, "Undo"));
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_CORRECTION);
    act(f, ACT_OK, 0);
    assert_int_equal(view(f)->screen, SCREEN_TABLE); /* the register again */
    assert_true(strstr(f->v.title, "Register") != NULL);
}

static void test_enrol_a_badge_on_the_spot(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:10");
    badge(f, "04:11:22:33:44:55:66");
    assert_string_equal(view(f)->headline, "Badge not recognised — ask a trainer");
    assert_string_equal(f->v.lines[0], "Badge …5566");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Enrol a badge"));
    assert_string_equal(view(f)->headline, "Tap the new badge on the reader");
    badge(f, GARETH); /* already someone's */
    assert_string_equal(view(f)->headline, "This badge is already enrolled");
    act(f, ACT_OK, 0);
    act(f, ACT_BUTTON, button(f, "Enrol a badge"));
    badge(f, "04:11:22:33:44:55:66");
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_non_null(strstr(f->v.title, "…5566"));
    act(f, ACT_ROW, row(f, "Chloe Barlow"));
    assert_string_equal(view(f)->headline, "Badge enrolled");
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0012", &e), STORE_OK);
    assert_int_equal(e.type, EV_BADGE_ENROLLED);
    /* Locked again, the badge signs Chloe in. */
    act(f, ACT_OK, 0);
    act(f, ACT_BACK, 0);
    badge(f, "04:11:22:33:44:55:66");
    assert_string_equal(view(f)->headline, "Signed in");
    assert_string_equal(f->v.lines[0], "Chloe Barlow");
}

/* Gareth lost his badge: the new one is enrolled to him and replaces the old, which is refused
 * from then on; "Not now" records nothing. */
static void test_a_lost_badge_replaced_on_the_spot(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:10");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Enrol a badge"));
    badge(f, "04:11:22:33:44:55:77");
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    assert_string_equal(f->v.title, "Gareth Lomax has a badge already");
    act(f, ACT_BUTTON, button(f, "Not now"));
    assert_int_equal(view(f)->screen, SCREEN_MENU);
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_ENOTFOUND);
    act(f, ACT_BUTTON, button(f, "Enrol a badge"));
    badge(f, "04:11:22:33:44:55:77");
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    act(f, ACT_BUTTON, button(f, "Replace badge …7181"));
    assert_string_equal(view(f)->headline, "Badge replaced");
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_BADGE_REVOKED);
    act(f, ACT_OK, 0);
    act(f, ACT_BACK, 0);
    badge(f, GARETH);
    assert_string_equal(view(f)->headline, "This badge was replaced — ask a trainer");
    at(f, "2023-09-13 15:11");
    badge(f, "04:11:22:33:44:55:77");
    assert_string_equal(view(f)->headline, "Signed in");
    assert_string_equal(f->v.lines[0], "Gareth Lomax");
}

static void test_cpi_grid_and_verification(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:30"); /* Gareth 15 minutes late */
    badge(f, GARETH);
    at(f, "2023-09-13 18:10");
    badge(f, GARETH);
    at(f, "2023-09-14 15:00");
    unlock(f);
    act(f, ACT_BUTTON, button(f, "CPI grid"));
    /* The cohort's sessions and credits as the programme gives them. */
    assert_string_equal(view(f)->title,
                        "CPI Initial Training: 4 sessions, all needed for 13 credits");
    int r = row(f, "Gareth Lomax");
    const struct view_row *gareth = &f->v.rows[r - f->v.first_row];
    assert_non_null(strstr(gareth->cells[2], "review"));
    assert_string_equal(gareth->cells[1], "autumn");
    assert_int_equal(gareth->tone, TONE_V_WARNING);
    assert_true(gareth->selectable);
    /* Megan was booked on session 1 and never came: at risk. */
    const struct view_row *megan = &f->v.rows[row(f, "Megan Crompton") - f->v.first_row];
    assert_non_null(strstr(megan->cells[2], "missed"));
    assert_true(row(f, "Megan Crompton") < row(f, "Gareth Lomax")); /* at risk first */
    assert_int_equal(megan->tone, TONE_V_ERROR);
    /* A touch asks first, saying which session and why it was flagged; "Not now" records
     * nothing. */
    act(f, ACT_ROW, r);
    assert_int_equal(view(f)->screen, SCREEN_CHOOSE);
    assert_string_equal(f->v.title, "Verify Gareth Lomax's CPI sessions?");
    assert_string_equal(f->v.buttons[0].label, "Approve");
    assert_string_equal(f->v.buttons[0].detail, "Wed 13 Sep: arrived 15 min late");
    act(f, ACT_BUTTON, button(f, "Not now"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    act(f, ACT_BACK, 0); /* Cancel: the grid again, not the menu */
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    assert_non_null(strstr(f->v.title, "CPI Initial Training"));
    struct event e;
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_not_equal(e.type, EV_APPROVE);
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    act(f, ACT_BUTTON, button(f, "Approve"));
    assert_string_equal(view(f)->headline, "Verified");
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_APPROVE);
    /* Undo: a correction with who and why; the session waits for a trainer again, and the
     * grid is back. */
    act(f, ACT_BUTTON, button(f, "Undo"));
    assert_string_equal(view(f)->headline, "Undone");
    assert_int_equal(store_last_event_of(f->k.store, "BIT0004", &e), STORE_OK);
    assert_int_equal(e.type, EV_CORRECTION);
    assert_non_null(strstr(e.payload, "\"withdrawn\":true"));
    assert_non_null(strstr(e.payload, "\"by\":\"Rachel Greenhalgh\""));
    act(f, ACT_OK, 0);
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    gareth = &f->v.rows[row(f, "Gareth Lomax") - f->v.first_row];
    assert_string_not_equal(gareth->cells[2], "\u2714");
    /* Approved again, and Done goes back to the grid. */
    act(f, ACT_ROW, row(f, "Gareth Lomax"));
    act(f, ACT_BUTTON, button(f, "Approve"));
    act(f, ACT_BUTTON, button(f, "Done"));
    assert_int_equal(view(f)->screen, SCREEN_TABLE);
    gareth = &f->v.rows[row(f, "Gareth Lomax") - f->v.first_row];
    assert_string_equal(gareth->cells[2], "\u2714");
    /* The events alone give the same. */
    assert_int_equal(store_rebuild_projections(f->k.store), STORE_OK);
}

static void test_a_tap_that_cannot_be_saved_says_so(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:00");
    /* Another process holds the write lock longer than the busy timeout. */
    struct store *other = NULL;
    char why[256];
    assert_int_equal(store_open(f->k.db_path, &other, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_begin(other), STORE_OK);
    badge(f, GARETH);
    const struct view *v = view(f);
    assert_int_equal(v->screen, SCREEN_RESULT);
    assert_int_equal(v->tone, TONE_V_ERROR);
    assert_string_equal(v->headline, "Not recorded — please tap again");
    assert_true(v->has_banner);
    assert_non_null(strstr(v->banner, "The kiosk cannot save taps"));
    assert_null(strstr(v->banner, "locked")); /* the details are for trainer mode */
    assert_int_equal(kiosk_take_sound(f->kiosk), KIOSK_SOUND_ERROR);
    store_rollback(other);
    store_close(other);
    int64_t n = -1;
    assert_int_equal(store_count(f->k.store, "events", &n), STORE_OK);
    assert_int_equal(n, 0);
    /* It works again, and the banner goes. */
    badge(f, GARETH);
    assert_string_equal(view(f)->headline, "Signed in");
    assert_false(f->v.has_banner);
    /* What went wrong stays on trainer mode's status page, for whoever looks into it. */
    later(f, INT64_C(20000000));
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Kiosk status"));
    assert_non_null(strstr(view(f)->lines[3], "Database: taps are being saved normally (last "
                                              "problem: the tap was not recorded: database is "
                                              "locked"));
}

/* The kiosk on a VFS that can fail (tests/support/powercut_vfs.h): it stays installed for the
 * rest of the process, so this test runs last. */
static int setup_faulty_disk(void **state)
{
    assert_int_equal(powercut_vfs_install(), 0);
    return setup(state);
}

/* A full disk, then an fsync that fails (EIO): each tap says "Not recorded", counts nothing,
 * and the kiosk says what is wrong on its status page; once the fault goes, the next tap works. */
static void test_a_full_disk_or_a_failing_fsync_is_said_and_recovered_from(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:00");
    int64_t before = -1, n = -1;
    assert_int_equal(store_count(f->k.store, "events", &before), STORE_OK);
    for (int fault = 0; fault < 2; fault++) {
        if (fault == 0)
            powercut_vfs_fail_writes(0, -1);
        else
            powercut_vfs_fail_syncs(0, -1);
        badge(f, GARETH);
        const struct view *v = view(f);
        assert_int_equal(v->tone, TONE_V_ERROR);
        assert_string_equal(v->headline, "Not recorded — please tap again");
        assert_true(v->has_banner);
        assert_non_null(strstr(v->banner, "The kiosk cannot save taps"));
        powercut_vfs_fail_writes(0, 0);
        powercut_vfs_fail_syncs(0, 0);
        assert_int_equal(store_count(f->k.store, "events", &n), STORE_OK);
        assert_int_equal(n, before);
        later(f, 10 * S);
    }
    assert_true(powercut_vfs_faults() > 0);
    /* The fault gone: the next tap is recorded, and the banner goes. */
    badge(f, GARETH);
    assert_string_equal(view(f)->headline, "Signed in");
    assert_false(f->v.has_banner);
    assert_int_equal(store_count(f->k.store, "events", &n), STORE_OK);
    assert_int_equal(n, before + 1);
    later(f, 20 * S);
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Kiosk status"));
    assert_non_null(strstr(view(f)->lines[3], "last problem: the tap was not recorded: "));
}

static void test_a_pin_attempt_that_cannot_be_saved_opens_nothing(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:00");
    badge(f, RACHEL);
    assert_int_equal(view(f)->screen, SCREEN_PIN);
    /* The store cannot record the attempt: even the right PIN does not open trainer mode
     * (a lockout that a failed write forgets would let someone guess on). */
    struct store *other = NULL;
    char why[256];
    assert_int_equal(store_open(f->k.db_path, &other, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_begin(other), STORE_OK);
    type_pin(f, "2468");
    assert_int_equal(view(f)->screen, SCREEN_PIN);
    assert_non_null(strstr(f->v.pin_message, "Cannot record the PIN attempt"));
    assert_int_equal(kiosk_take_sound(f->kiosk), KIOSK_SOUND_ERROR);
    store_rollback(other);
    store_close(other);
    type_pin(f, "2468");
    assert_int_equal(view(f)->screen, SCREEN_MENU);
}

/* A tap on a clock that jumped to 2099: the screen says the clock is wrong and what to do,
 * never "signed in", and the banner stays until the clock is right again. */
static void test_a_wrong_clock_is_said_in_plain_words(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:20");
    badge(f, GARETH);
    assert_string_equal(view(f)->headline, "Signed in");
    at(f, "2099-09-13 15:21");
    badge(f, GARETH);
    const struct view *v = view(f);
    assert_int_equal(v->screen, SCREEN_RESULT);
    assert_int_equal(v->tone, TONE_V_ERROR);
    assert_string_equal(v->headline, "The kiosk's clock is wrong");
    assert_string_equal(v->lines[0], "Please sign the paper register and tell a trainer.");
    assert_true(v->has_banner);
    assert_non_null(strstr(v->banner, "taps are not counted"));
    assert_string_equal(v->time_status.text, "Clock wrong");
    assert_int_equal(kiosk_take_sound(f->kiosk), KIOSK_SOUND_ERROR);
    at(f, "2023-09-13 15:23");
    assert_false(view(f)->has_banner);
    badge(f, GARETH); /* in mid-session: the real answer again, not the clock */
    assert_string_equal(view(f)->headline, "Leaving early? Tap again to sign out");
}

static void test_keys(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-11-27 15:36");
    badge(f, TOM);
    struct view_action a = kiosk_key_action(f->kiosk, KEY_CHAR, '2');
    assert_int_equal(a.kind, ACT_BUTTON);
    assert_int_equal(a.index, 1);
    assert_int_equal(kiosk_key_action(f->kiosk, KEY_ESCAPE, 0).kind, ACT_BACK);
    act(f, ACT_BACK, 0);
    badge(f, RACHEL);
    a = kiosk_key_action(f->kiosk, KEY_CHAR, '7');
    assert_int_equal(a.kind, ACT_DIGIT);
    assert_int_equal(a.index, 7);
    assert_int_equal(kiosk_key_action(f->kiosk, KEY_BACKSPACE, 0).kind, ACT_ERASE);
    assert_int_equal(kiosk_key_action(f->kiosk, KEY_ENTER, 0).kind, ACT_OK);
}

/* The reader stops: plain words on the public screen (no device names), and the idle prompt
 * no longer asks for a tap that cannot work. */
static void test_a_reader_down_is_said_plainly(void **state)
{
    struct fixture *f = *state;
    at(f, "2023-09-13 15:00");
    struct kiosk_status st = {.reader_up = false,
                              .reader_text = "Reader: /dev/ttyUSB0: No such file or directory",
                              .sync_tone = TONE_V_NEUTRAL,
                              .sync_text = "Taps kept here",
                              .clock_ok = true,
                              .clock_text = "Clock OK"};
    kiosk_set_status(f->kiosk, &st);
    const struct view *v = view(f);
    assert_string_equal(v->reader.text, "Reader not working");
    assert_string_equal(v->prompt, "Badge reader not working");
    assert_true(v->has_banner);
    assert_null(strstr(v->banner, "ttyUSB"));
    assert_non_null(strstr(v->banner, "sign the paper register and tell a trainer"));
    /* The device's own reason is on trainer mode's status page (touch still works). */
    unlock(f);
    act(f, ACT_BUTTON, button(f, "Kiosk status"));
    v = view(f);
    assert_int_equal(v->screen, SCREEN_MESSAGE);
    assert_string_equal(v->headline, "Kiosk status");
    assert_string_equal(
        v->lines[0], "Badge reader: not working — Reader: /dev/ttyUSB0: No such file or directory");
    assert_non_null(strstr(v->lines[1], "Sync: Taps kept here"));
    assert_string_equal(v->lines[3], "Database: taps are being saved normally");
    act(f, ACT_BACK, 0);
    assert_int_equal(view(f)->screen, SCREEN_MENU);
    act(f, ACT_BACK, 0); /* the menu's Lock */
    st.reader_up = true;
    snprintf(st.reader_text, sizeof(st.reader_text), "Reader ready");
    kiosk_set_status(f->kiosk, &st);
    assert_string_equal(view(f)->prompt, "Tap your badge");
}

static void test_sync_status(void **state)
{
    (void)state;
    struct kiosk_status s = {.clock_ok = true};
    int64_t now = test_at("2023-09-14 09:00");
    struct sync_facts f = {.configured = false};
    sync_status_fill(&f, now, &s);
    assert_string_equal(s.sync_text, "Taps kept here");
    assert_false(s.sync_available);
    assert_non_null(strstr(s.sync_why, "[sync] conninfo"));
    f = (struct sync_facts){.configured = true, .waiting = 3};
    sync_status_fill(&f, now, &s);
    assert_string_equal(s.sync_text, "Never synced · 3 waiting");
    assert_int_equal(s.sync_tone, TONE_V_WARNING);
    assert_true(s.sync_available);
    f.last_success_us = test_at("2023-09-14 02:14");
    f.waiting = 0;
    sync_status_fill(&f, now, &s);
    assert_string_equal(s.sync_text, "Synced 02:14");
    assert_int_equal(s.sync_tone, TONE_V_OK);
    f.last_success_us = test_at("2023-09-11 02:14");
    sync_status_fill(&f, now, &s);
    assert_string_equal(s.sync_text, "Synced 3 days ago");
    assert_int_equal(s.sync_tone, TONE_V_WARNING);
    snprintf(f.last_error, sizeof(f.last_error), "the ledger did not answer");
    f.waiting = 12;
    sync_status_fill(&f, now, &s);
    assert_string_equal(s.sync_text, "Sync failed · 12 waiting");
    assert_int_equal(s.sync_tone, TONE_V_ERROR);
    f.running = true;
    sync_status_fill(&f, now, &s);
    assert_false(s.sync_available);
    assert_string_equal(s.sync_why, "A sync is running");
    /* The ledger's clock 75 s ahead of ours, warn past 60 s. */
    f = (struct sync_facts){.configured = true,
                            .has_offset = true,
                            .clock_offset_ms = 75000,
                            .clock_warn_s = 60,
                            .last_success_us = now};
    s.clock_ok = true;
    sync_status_fill(&f, now, &s);
    assert_false(s.clock_ok);
    assert_string_equal(s.clock_text, "Clock 75 s behind the ledger");
    f.clock_offset_ms = 59000;
    s.clock_ok = true;
    sync_status_fill(&f, now, &s);
    assert_true(s.clock_ok);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_tap_shows_result_then_idle),
        T(test_choose_by_touch),
        T(test_pin_lockout),
        T(test_trainer_mode_locks_after_a_minute),
        T(test_manual_sign_in_is_its_own_event),
        T(test_by_hand_asks_when_and_can_be_cancelled),
        T(test_a_sign_in_by_hand_can_be_undone),
        T(test_no_undo_over_a_real_attendance),
        T(test_other_takes_a_note_and_lists_find_names),
        T(test_how_useful_was_tonight),
        T(test_a_fire_warden_opens_the_roll_call),
        T(test_register_says_why_with_minutes),
        T(test_who_is_at_risk_tonight),
        T(test_the_target_comes_from_the_config),
        T(test_a_roll_call),
        T(test_putting_the_register_right),
        T(test_enrol_a_badge_on_the_spot),
        T(test_a_lost_badge_replaced_on_the_spot),
        T(test_cpi_grid_and_verification),
        T(test_a_tap_that_cannot_be_saved_says_so),
        T(test_a_pin_attempt_that_cannot_be_saved_opens_nothing),
        T(test_a_wrong_clock_is_said_in_plain_words),
        T(test_keys),
        T(test_a_reader_down_is_said_plainly),
        cmocka_unit_test(test_sync_status),
        /* Last: its VFS stays installed. */
        cmocka_unit_test_setup_teardown(
            test_a_full_disk_or_a_failing_fsync_is_said_and_recovered_from, setup_faulty_disk,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
