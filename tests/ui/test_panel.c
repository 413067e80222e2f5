/* panel.c, the list/buttons/message state the kiosk and trainer mode each own: a full list says
 * how much it cut, pages stay inside the list, keys map to what is on screen, a disabled
 * button cannot be picked and a cut message line never ends in half a character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/error.h"
#include "core/base/utf8.h"
#include "ui/panel.h"
#include "ui/screens.h"

static const char *const cols[] = {"Name", "Status"};

static void fill(struct panel *p, int n)
{
    panel_list(p, "People", cols, 2);
    for (int i = 0; i < n; i++) {
        struct panel_item *it = panel_list_add(p, 100 + i);
        if (it) {
            snprintf(it->cells[0], sizeof(it->cells[0]), "Person %d", i);
            it->selectable = i % 2 == 0;
        }
    }
}

static void full_list_says_what_it_cut(void **state)
{
    (void)state;
    struct panel p;
    assert_int_equal(panel_init(&p, 3), STORE_OK);
    fill(&p, 5);
    assert_int_equal(p.n_items, 3);
    assert_int_equal(p.n_cut, 2);
    snprintf(p.subtitle, sizeof(p.subtitle), "2 in now");
    struct view v = {.width = 800, .height = 480};
    panel_view(&p, &v);
    assert_int_equal(v.screen, SCREEN_TABLE);
    assert_string_equal(v.subtitle, "2 in now — only the first 3 shown, 2 more");
    assert_int_equal(v.total_rows, 3);
    assert_non_null(panel_list_find(&p, 102));
    assert_null(panel_list_find(&p, 103)); /* cut, so not findable either */
    /* A new list starts uncut. */
    fill(&p, 1);
    assert_int_equal(p.n_cut, 0);
    panel_free(&p);
}

static void pages_stay_inside_the_list(void **state)
{
    (void)state;
    struct panel p;
    assert_int_equal(panel_init(&p, 100), STORE_OK);
    fill(&p, 20);
    struct view v = {.width = 800, .height = 480};
    panel_view(&p, &v); /* remembers the rows per page of this size */
    int page = p.per_page;
    assert_true(page > 0 && page < 20);
    panel_page(&p, ACT_PAGE_DOWN);
    assert_int_equal(p.first, page);
    for (int i = 0; i < 10; i++)
        panel_page(&p, ACT_PAGE_DOWN);
    assert_true(p.first < 20);
    for (int i = 0; i < 10; i++)
        panel_page(&p, ACT_PAGE_UP);
    assert_int_equal(p.first, 0);
    /* Digit keys pick the rows on screen, by absolute index. */
    panel_page(&p, ACT_PAGE_DOWN);
    struct view_action a = panel_key_action(&p, KEY_CHAR, '2');
    assert_int_equal(a.kind, ACT_ROW);
    assert_int_equal(a.index, page + 1);
    assert_int_equal(panel_key_action(&p, KEY_CHAR, '0').kind, ACT_NONE);
    assert_int_equal(panel_key_action(&p, KEY_ESCAPE, 0).kind, ACT_BACK);
    /* Only selectable rows can be picked; nothing outside the list. */
    assert_non_null(panel_selectable(&p, 0));
    assert_null(panel_selectable(&p, 1));
    assert_null(panel_selectable(&p, -1));
    assert_null(panel_selectable(&p, 20));
    panel_free(&p);
}

static void disabled_buttons_cannot_be_picked(void **state)
{
    (void)state;
    struct panel p;
    int64_t id = -1;
    assert_int_equal(panel_init(&p, 0), STORE_OK);
    panel_buttons(&p, PANEL_MENU, "Menu", "");
    panel_button(&p, 7, "Register", "", true, TONE_V_INFO);
    panel_button(&p, 9, "Sync now", "not set up", false, TONE_V_INFO);
    assert_true(panel_button_id(&p, 0, &id));
    assert_int_equal(id, 7);
    assert_false(panel_button_id(&p, 1, &id));
    assert_false(panel_button_id(&p, 2, &id));
    assert_false(panel_button_id(&p, -1, &id));
    assert_int_equal(panel_screen(&p), SCREEN_MENU);
    struct view_action a = panel_key_action(&p, KEY_CHAR, '1');
    assert_int_equal(a.kind, ACT_BUTTON);
    assert_int_equal(a.index, 0);
    /* More buttons than a screen holds are not written past the end. */
    for (int i = 0; i < VIEW_BUTTONS + 5; i++)
        panel_button(&p, i, "x", "", true, TONE_V_INFO);
    assert_int_equal(p.n_buttons, VIEW_BUTTONS);
    /* A list action on a panel without a list finds nothing. */
    assert_null(panel_selectable(&p, 0));
    panel_free(&p);
}

static void message_lines_end_on_a_whole_character(void **state)
{
    (void)state;
    struct panel p;
    char long_name[VIEW_TEXT * 2];
    assert_int_equal(panel_init(&p, 0), STORE_OK);
    panel_message(&p, TONE_V_OK, "Verified");
    /* "é" is two bytes: one of them lands on the cut whichever parity the cut has. */
    size_t n = 0;
    while (n + 2 < sizeof(long_name) - 1) {
        long_name[n++] = (char)0xC3;
        long_name[n++] = (char)0xA9;
    }
    long_name[n] = '\0';
    panel_message_line(&p, "x%s", long_name);
    panel_message_line(&p, "%s", long_name);
    assert_true(utf8_valid(p.msg_lines[0]));
    assert_true(utf8_valid(p.msg_lines[1]));
    for (int i = 0; i < VIEW_LINES + 3; i++)
        panel_message_line(&p, "line %d", i);
    assert_int_equal(p.n_msg, VIEW_LINES);
    struct view v = {.width = 1280, .height = 800};
    panel_view(&p, &v);
    assert_int_equal(v.screen, SCREEN_MESSAGE);
    assert_string_equal(v.headline, "Verified");
    assert_int_equal(v.n_lines, VIEW_LINES);
    panel_free(&p);
}

/* The centre of the first hot zone for this action on the screen drawn, or false. */
static bool touch_point(const struct screen_out *out, enum view_action_kind kind, int *x, int *y)
{
    for (int i = 0; i < out->n_hot; i++) {
        if (out->hot[i].action.kind == kind) {
            *x = out->hot[i].box.x + out->hot[i].box.w / 2;
            *y = out->hot[i].box.y + out->hot[i].box.h / 2;
            return true;
        }
    }
    return false;
}

static bool drew(const struct screen_out *out, const char *text)
{
    for (int i = 0; i < out->draw.n; i++) {
        if (out->draw.cmds[i].kind == DRAW_TEXT && strcmp(out->draw.cmds[i].text, text) == 0)
            return true;
    }
    return false;
}

/* 8, 10 and 60 people at each size: touching Next (where it is drawn) until it is gone shows
 * every row exactly once, "x–y of N" is always what is on screen, and Previous comes back. */
static void every_row_is_reachable_by_touch(void **state)
{
    (void)state;
    static const int sizes[3][2] = {{1920, 1080}, {1280, 800}, {800, 480}};
    static const int people[] = {8, 10, 60};
    static struct screen_out out;
    struct panel p;
    assert_int_equal(panel_init(&p, 100), STORE_OK);
    for (int s = 0; s < 3; s++) {
        for (size_t k = 0; k < sizeof(people) / sizeof(people[0]); k++) {
            int n = people[k], seen[60] = {0}, pages = 0;
            fill(&p, n);
            for (;;) {
                struct view v = {.width = sizes[s][0], .height = sizes[s][1]};
                panel_view(&p, &v);
                screens_build(&v, &out);
                int per_page = screens_rows_per_page(v.width, v.height);
                int shown = v.n_rows < per_page ? v.n_rows : per_page;
                char count[32];
                snprintf(count, sizeof(count), "%d–%d of %d", v.first_row + 1, v.first_row + shown,
                         n);
                assert_true(drew(&out, count));
                for (int i = 0; i < shown; i++) {
                    int who = -1;
                    assert_int_equal(sscanf(v.rows[i].cells[0], "Person %d", &who), 1);
                    seen[who]++;
                }
                pages++;
                int x = 0, y = 0;
                if (!touch_point(&out, ACT_PAGE_DOWN, &x, &y))
                    break;
                struct view_action a = screens_hit(&out, x, y);
                assert_int_equal(a.kind, ACT_PAGE_DOWN);
                panel_page(&p, a.kind);
            }
            for (int i = 0; i < n; i++)
                assert_int_equal(seen[i], 1);
            int per_page = screens_rows_per_page(sizes[s][0], sizes[s][1]);
            assert_int_equal(pages, (n + per_page - 1) / per_page);
            if (pages > 1) { /* and back */
                struct view v = {.width = sizes[s][0], .height = sizes[s][1]};
                panel_view(&p, &v);
                screens_build(&v, &out);
                int x = 0, y = 0;
                assert_true(touch_point(&out, ACT_PAGE_UP, &x, &y));
                panel_page(&p, screens_hit(&out, x, y).kind);
                assert_int_equal(p.first, (pages - 2) * per_page);
            }
        }
    }
    panel_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_list_says_what_it_cut),
        cmocka_unit_test(pages_stay_inside_the_list),
        cmocka_unit_test(disabled_buttons_cannot_be_picked),
        cmocka_unit_test(message_lines_end_on_a_whole_character),
        cmocka_unit_test(every_row_is_reachable_by_touch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
