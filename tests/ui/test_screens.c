/* screens.c without a window: every screen's draw list at the three sizes the kiosk must serve,
 * checked for what people need — legible text, the three cues of every state, touch targets,
 * contrast — and that nothing falls off the screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui/screens.h"

static const int sizes[3][2] = {{1920, 1080}, {1280, 800}, {800, 480}};
static struct screen_out out;

static void base(struct view *v, enum view_screen screen, int w, int h)
{
    memset(v, 0, sizeof(*v));
    v->screen = screen;
    v->width = w;
    v->height = h;
    strcpy(v->clock, "15:41");
    strcpy(v->date, "Wednesday 13 Sep 2023");
    strcpy(v->site, "Central Office");
    v->reader = (struct view_status){TONE_V_OK, "Reader ready"};
    v->sync = (struct view_status){TONE_V_NEUTRAL, "Sync not set up"};
    v->time_status = (struct view_status){TONE_V_OK, "Clock synced"};
}

static const struct draw_cmd *find_text(const char *needle)
{
    for (int i = 0; i < out.draw.n; i++) {
        const struct draw_cmd *c = &out.draw.cmds[i];
        if (c->kind == DRAW_TEXT && strstr(c->text, needle))
            return c;
    }
    return NULL;
}

/* Every command inside the window, no overflow, body text ≥ 4 % of the height. */
static void assert_sane(const struct view *v)
{
    assert_false(out.draw.overflow);
    assert_true(out.draw.n > 3);
    for (int i = 0; i < out.draw.n; i++) {
        const struct draw_cmd *c = &out.draw.cmds[i];
        assert_true(c->box.x >= 0 && c->box.y >= 0);
        assert_true(c->box.x + c->box.w <= v->width);
        assert_true(c->box.y + c->box.h <= v->height);
    }
    assert_true(screens_body_px(v->height) * 100 >= 4 * v->height);
}

static void test_idle(void **state)
{
    (void)state;
    struct view v;
    for (int s = 0; s < 3; s++) {
        base(&v, SCREEN_IDLE, sizes[s][0], sizes[s][1]);
        strcpy(v.prompt, "Tap your badge");
        v.sessions[0] =
            (struct view_session){true, "15:15–18:15", "CPI Initial Training", "Central Office"};
        v.sessions[1] =
            (struct view_session){false, "16:00–17:00", "Effective school evaluation", "Room 2"};
        v.n_sessions = 2;
        strcpy(v.legend[0], "1–9  tap a demo badge");
        v.n_legend = 1;
        screens_build(&v, &out);
        assert_sane(&v);
        const struct draw_cmd *clock = find_text("15:41");
        assert_non_null(clock);
        assert_true(clock->px >= sizes[s][1] / 6); /* the large clock */
        assert_non_null(find_text("Tap your badge"));
        assert_non_null(find_text("CPI Initial Training"));
        assert_non_null(find_text("Open"));
        assert_non_null(find_text("Next"));
        assert_non_null(find_text("Reader ready"));
        assert_non_null(find_text("Sync not set up"));
        assert_non_null(find_text("1–9  tap a demo badge"));
        assert_int_equal(screens_hit(&out, 10, 10).kind, ACT_NONE);
    }
}

static void test_results_carry_colour_icon_and_word(void **state)
{
    (void)state;
    static const struct {
        enum view_tone tone;
        const char *headline, *icon, *word;
    } cases[] = {{TONE_V_OK, "Signed in", "\u2714", "OK"},
                 {TONE_V_WARNING, "Leaving early? Tap again to sign out", "\u26A0", "Warning"},
                 {TONE_V_ERROR, "Badge not recognised — ask a trainer", "\u2716", "Error"},
                 {TONE_V_INFO, "Already signed in", "\u2139", "Info"}};
    struct view v;
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            base(&v, SCREEN_RESULT, sizes[s][0], sizes[s][1]);
            v.tone = cases[i].tone;
            strcpy(v.headline, cases[i].headline);
            strcpy(v.lines[0], "Gareth Lomax");
            strcpy(v.lines[1], "CPI 3 of 4 — next Thu 21 Sep 15:15");
            v.n_lines = 2;
            v.show_credits = true;
            v.credits_q = 30;
            v.target_q = 64;
            v.term_q[0] = 30;
            v.seconds_left = 4;
            screens_build(&v, &out);
            assert_sane(&v);
            const struct draw_cmd *head = find_text(cases[i].headline);
            assert_non_null(head);
            assert_true(head->px >= screens_body_px(sizes[s][1])); /* larger than body */
            assert_non_null(find_text(cases[i].icon));
            /* The headline says it in words; the tone's word is not repeated under it. */
            for (int c = 0; c < out.draw.n; c++)
                assert_false(out.draw.cmds[c].kind == DRAW_TEXT &&
                             strcmp(out.draw.cmds[c].text, cases[i].word) == 0);
            assert_non_null(find_text("7.5 / 16 credits this year"));
            assert_non_null(find_text("Autumn 7.5"));
            assert_non_null(find_text("CPI 3 of 4"));
            assert_non_null(find_text("4 s"));
            /* The tone band is the tone's colour, somewhere under the top bar. */
            bool band = false;
            struct rgba fill = screens_tone_fill(cases[i].tone);
            for (int c = 0; c < out.draw.n; c++) {
                const struct draw_cmd *cmd = &out.draw.cmds[c];
                band |= cmd->kind == DRAW_FILL && cmd->box.w == sizes[s][0] &&
                        memcmp(&cmd->color, &fill, sizeof(fill)) == 0;
            }
            assert_true(band);
            /* Touching a result screen dismisses it. */
            assert_int_equal(screens_hit(&out, sizes[s][0] / 2, sizes[s][1] / 2).kind, ACT_OK);
        }
    }
}

static void test_contrast_is_wcag_aa(void **state)
{
    (void)state;
    /* A greyed-out button's words stay readable. */
    assert_true(screens_contrast(screens_disabled_fill(), screens_disabled_text()) >= 4.5);
    for (int t = TONE_V_OK; t <= TONE_V_NEUTRAL; t++) {
        double ratio = screens_contrast(screens_tone_fill((enum view_tone)t),
                                        screens_tone_text((enum view_tone)t));
        if (ratio < 4.5)
            fail_msg("tone %d: contrast %.2f < 4.5", t, ratio);
    }
    struct rgba black = {0, 0, 0, 255}, white = {255, 255, 255, 255};
    assert_true(screens_contrast(black, white) > 20.9);
}

static void test_choose_buttons_are_touch_targets(void **state)
{
    (void)state;
    struct view v;
    for (int s = 0; s < 3; s++) {
        base(&v, SCREEN_CHOOSE, sizes[s][0], sizes[s][1]);
        strcpy(v.title, "Which session are you here for, Tom Haslam?");
        v.buttons[0] = (struct view_button){"The role of the in class support", "15:45–17:15", true,
                                            TONE_V_INFO};
        v.buttons[1] =
            (struct view_button){"Effective school evaluation", "16:00–17:00", true, TONE_V_INFO};
        v.n_buttons = 2;
        screens_build(&v, &out);
        assert_sane(&v);
        assert_non_null(find_text("1.  The role of the in class support"));
        assert_non_null(find_text("2.  Effective school evaluation"));
        int hits[2] = {0, 0};
        for (int i = 0; i < out.n_hot; i++) {
            if (out.hot[i].action.kind == ACT_BUTTON) {
                hits[out.hot[i].action.index]++;
                /* A finger's worth: at least 7 % of the height tall. */
                assert_true(out.hot[i].box.h * 100 >= 7 * sizes[s][1]);
                struct rect b = out.hot[i].box;
                struct view_action a = screens_hit(&out, b.x + b.w / 2, b.y + b.h / 2);
                assert_int_equal(a.kind, ACT_BUTTON);
                assert_int_equal(a.index, out.hot[i].action.index);
            }
        }
        assert_int_equal(hits[0], 1);
        assert_int_equal(hits[1], 1);
    }
}

static void test_pin_pad_and_disabled_menu_items(void **state)
{
    (void)state;
    struct view v;
    for (int s = 0; s < 3; s++) {
        base(&v, SCREEN_PIN, sizes[s][0], sizes[s][1]);
        strcpy(v.title, "Trainer mode: Rachel Greenhalgh");
        v.pin_digits = 3;
        strcpy(v.pin_message, "Wrong PIN — 4 tries left");
        screens_build(&v, &out);
        assert_sane(&v);
        int digits = 0, ok = 0, erase = 0, circles = 0;
        for (int i = 0; i < out.n_hot; i++) {
            digits += out.hot[i].action.kind == ACT_DIGIT;
            ok += out.hot[i].action.kind == ACT_OK;
            erase += out.hot[i].action.kind == ACT_ERASE;
        }
        for (int i = 0; i < out.draw.n; i++)
            circles += out.draw.cmds[i].kind == DRAW_CIRCLE;
        assert_int_equal(digits, 10);
        assert_int_equal(ok, 1);
        assert_int_equal(erase, 1);
        assert_int_equal(circles, 3); /* one filled dot per digit typed, never the digits */
        assert_non_null(find_text("Wrong PIN — 4 tries left"));
        /* Locked out: the keys take nothing. */
        v.pin_locked = true;
        screens_build(&v, &out);
        digits = ok = 0;
        for (int i = 0; i < out.n_hot; i++) {
            digits += out.hot[i].action.kind == ACT_DIGIT;
            ok += out.hot[i].action.kind == ACT_OK;
        }
        assert_int_equal(digits + ok, 0);

        base(&v, SCREEN_MENU, sizes[s][0], sizes[s][1]);
        strcpy(v.title, "Trainer mode");
        v.buttons[0] = (struct view_button){"Register", "", true, TONE_V_INFO};
        v.buttons[1] = (struct view_button){"Sync now", "Sync is not set up", false, TONE_V_INFO};
        v.n_buttons = 2;
        screens_build(&v, &out);
        assert_sane(&v);
        assert_non_null(find_text("Sync is not set up"));
        for (int i = 0; i < out.n_hot; i++)
            assert_false(out.hot[i].action.kind == ACT_BUTTON && out.hot[i].action.index == 1);
    }
}

static void test_tables_page(void **state)
{
    (void)state;
    struct view v;
    for (int s = 0; s < 3; s++) {
        base(&v, SCREEN_TABLE, sizes[s][0], sizes[s][1]);
        strcpy(v.title, "Evacuation list: everyone signed in now");
        v.n_columns = 3;
        strcpy(v.columns[0], "Name");
        strcpy(v.columns[1], "Session");
        strcpy(v.columns[2], "Signed in");
        int per_page = screens_rows_per_page(sizes[s][0], sizes[s][1]);
        assert_true(per_page >= 3);
        v.total_rows = 40;
        v.first_row = per_page;
        for (int i = 0; i < per_page; i++) {
            snprintf(v.rows[i].cells[0], sizeof(v.rows[i].cells[0]), "Person %d", per_page + i);
            v.rows[i].selectable = true;
            v.rows[i].tone = TONE_V_WARNING;
        }
        v.n_rows = per_page;
        screens_build(&v, &out);
        assert_sane(&v);
        assert_non_null(find_text("Previous"));
        assert_non_null(find_text("Next"));
        char count[32];
        snprintf(count, sizeof(count), "%d–%d of 40", per_page + 1, 2 * per_page);
        assert_non_null(find_text(count));
        bool row0 = false;
        for (int i = 0; i < out.n_hot; i++)
            row0 |= out.hot[i].action.kind == ACT_ROW && out.hot[i].action.index == per_page;
        assert_true(row0);
        /* The first page of a list longer than a screen, as the panel gives it (every row from
         * first on): Next is there to touch, and the count says how many are shown. */
        v.first_row = 0;
        v.total_rows = per_page + 4;
        v.n_rows = per_page + 4;
        for (int i = 0; i < v.n_rows; i++)
            snprintf(v.rows[i].cells[0], sizeof(v.rows[i].cells[0]), "Person %d", i);
        screens_build(&v, &out);
        assert_null(find_text("Previous"));
        assert_non_null(find_text("Next"));
        bool next = false;
        for (int i = 0; i < out.n_hot; i++)
            next |= out.hot[i].action.kind == ACT_PAGE_DOWN;
        assert_true(next);
        snprintf(count, sizeof(count), "1–%d of %d", per_page, per_page + 4);
        assert_non_null(find_text(count));
        /* The last page: no Next. */
        v.first_row = per_page;
        v.n_rows = 4;
        screens_build(&v, &out);
        assert_null(find_text("Next"));
    }
}

/* The next session on another day: its day and time get the room they need (a bold
 * "Thu 14 Sep 15:15" is about 8 body heights wide), the title what is left. */
static void test_idle_next_session_in_full(void **state)
{
    (void)state;
    struct view v;
    for (int s = 0; s < 3; s++) {
        base(&v, SCREEN_IDLE, sizes[s][0], sizes[s][1]);
        v.n_sessions = 1;
        strcpy(v.sessions[0].when, "Thu 14 Sep 15:15");
        strcpy(v.sessions[0].title, "CPI Initial Training");
        screens_build(&v, &out);
        assert_sane(&v);
        const struct draw_cmd *when = find_text("Thu 14 Sep 15:15");
        assert_non_null(when);
        assert_true(when->box.w >= when->px * 8);
        const struct draw_cmd *title = find_text("CPI Initial Training");
        assert_true(title->box.x >= when->box.x + when->box.w);
    }
}

static void test_banner_and_long_text(void **state)
{
    (void)state;
    struct view v;
    base(&v, SCREEN_IDLE, 800, 480);
    v.has_banner = true;
    v.banner_tone = TONE_V_ERROR;
    strcpy(v.banner, "Reader: cannot open the reader — a trainer can still sign people in");
    /* A title longer than the buffer is cut on a whole character, never mid-UTF-8. */
    for (size_t i = 0; i + 3 < sizeof(v.sessions[0].title); i += 3)
        memcpy(v.sessions[0].title + i, "\u2013", 3);
    v.n_sessions = 1;
    screens_build(&v, &out);
    assert_sane(&v);
    assert_non_null(find_text("Reader: cannot open the reader"));
    for (int i = 0; i < out.draw.n; i++) {
        const unsigned char *t = (const unsigned char *)out.draw.cmds[i].text;
        size_t n = strlen((const char *)t);
        if (n >= 3 && t[n - 1] >= 0x80)
            assert_true((t[n - 3] & 0xF0) == 0xE0); /* ends on a whole 3-byte character */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_results_carry_colour_icon_and_word),
        cmocka_unit_test(test_contrast_is_wcag_aa),
        cmocka_unit_test(test_choose_buttons_are_touch_targets),
        cmocka_unit_test(test_pin_pad_and_disabled_menu_items),
        cmocka_unit_test(test_tables_page),
        cmocka_unit_test(test_idle_next_session_in_full),
        cmocka_unit_test(test_banner_and_long_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
