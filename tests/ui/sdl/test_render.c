/* Real SDL rendering, offscreen (SDL_VIDEODRIVER=offscreen, software renderer): every screen at
 * 1920×1080, 1280×800 and 800×480, from real kiosk states on a real store. Each frame is read
 * back, checked (not blank, the tone band in its colour, text drawn in it) and kept as a PNG:
 * build/screens/, or $CPD_SCREENS_DIR (docs/screens, by `./run screens`), with an index page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <SDL.h>
#include <cmocka.h>

#include "core/base/error.h"
#include "core/services/corrections.h"
#include "ui/sdl/fontfind.h"
#include "config/config.h"
#include "ui/kiosk.h"
#include "ui/sdl/paper.h"
#include "ui/sdl/render_sdl.h"
#include "ui/screens.h"
#include "tests/support/testutil.h"

#define S INT64_C(1000000)

static const int sizes[3][2] = {{1920, 1080}, {1280, 800}, {800, 480}};

struct shot {
    const char *name;
    const char *caption;
};

struct fixture {
    struct testkiosk k;
    struct config cfg;
    struct kiosk *kiosk;
    int64_t now;
    struct gfx *gfx;
    struct view view;
    struct screen_out out;
    char dir[512];
    FILE *index;
    char *words; /* the table of every screen's words, for the end of the index */
    size_t words_len;
    FILE *words_f;
    int size;
};

static struct fixture *F;

static void badge(const char *text)
{
    struct uid u;
    assert_int_equal(uid_parse(text, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &u), UID_OK);
    kiosk_badge(F->kiosk, &u, F->now, F->now);
}

static void at(const char *local)
{
    F->now = test_at(local);
    kiosk_tick(F->kiosk, F->now, F->now);
}

static void act(enum view_action_kind kind, int index)
{
    kiosk_action(F->kiosk, (struct view_action){kind, index}, F->now, F->now);
}

static uint32_t rgb(struct rgba c)
{
    return (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
}

/* Renders the kiosk's current view, checks it, writes the PNG. */
/* A cell of the words table: '|' and newlines would break the row. */
static void cell(FILE *f, const char *text)
{
    fputs(" ", f);
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            fputs("\\|", f);
        else
            fputc(*p == '\n' ? ' ' : *p, f);
    }
    fputs(" |", f);
}

/* One row of the words table: what the screen says, in the order it says it. */
static void words_row(const char *name, const struct view *v)
{
    FILE *f = F->words_f;
    fprintf(f, "| [%s](#%s) |", name, name);
    cell(f, v->has_banner ? v->banner : "");
    char said[VIEW_TEXT * (VIEW_LINES + VIEW_BUTTONS + 6)] = "";
    const char *parts[VIEW_LINES + VIEW_BUTTONS + 6];
    int n = 0;
    bool titled = v->screen != SCREEN_RESULT && v->screen != SCREEN_MESSAGE &&
                  v->screen != SCREEN_FATAL && v->screen != SCREEN_IDLE;
    if (v->screen == SCREEN_IDLE)
        parts[n++] = v->prompt;
    if (titled) {
        parts[n++] = v->title;
        parts[n++] = v->subtitle;
    }
    for (int i = 0; i < v->n_buttons; i++)
        parts[n++] = v->buttons[i].label;
    if (v->headline[0])
        parts[n++] = v->headline;
    for (int i = 0; i < v->n_lines && n < VIEW_LINES + 3; i++)
        parts[n++] = v->lines[i];
    if (v->screen == SCREEN_PIN && v->pin_message[0])
        parts[n++] = v->pin_message;
    for (int i = 0; i < n; i++) {
        if (!parts[i][0])
            continue;
        size_t len = strlen(said);
        snprintf(said + len, sizeof(said) - len, "%s%s", len ? " · " : "", parts[i]);
    }
    cell(f, said);
    fputs("\n", f);
}

static void shoot(const char *name, const char *caption)
{
    int w = sizes[F->size][0], h = sizes[F->size][1];
    kiosk_view(F->kiosk, F->now, w, h, &F->view);
    screens_build(&F->view, &F->out);
    assert_false(F->out.draw.overflow);
    assert_int_equal(gfx_present(F->gfx, &F->out.draw), GFX_OK);
    uint32_t *px = NULL;
    int pw = 0, ph = 0;
    assert_int_equal(gfx_read_pixels(F->gfx, &px, &pw, &ph), GFX_OK);
    assert_int_equal(pw, w);
    assert_int_equal(ph, h);
    /* Not blank: many colours (antialiased text), and the top bar's dark colour at its corner. */
    int distinct = 0;
    uint32_t seen[64];
    for (int i = 0; i < w * h && distinct < 64; i += 97) {
        uint32_t c = px[i] & 0xFFFFFF;
        bool known = false;
        for (int k = 0; k < distinct; k++)
            known |= seen[k] == c;
        if (!known)
            seen[distinct++] = c;
    }
    assert_true(distinct >= 8);
    assert_int_equal(px[2 * w + 2] & 0xFFFFFF, 0x262A30);
    if (F->view.screen == SCREEN_RESULT || F->view.screen == SCREEN_MESSAGE) {
        /* The tone band right under the top bar (and banner) is the tone's colour … */
        int top = h * 8 / 100 + (F->view.has_banner ? screens_body_px(h) * 2 : 0);
        uint32_t band = rgb(screens_tone_fill(F->view.tone));
        assert_int_equal(px[(top + 4) * w + w - 4] & 0xFFFFFF, band);
        /* … and has the headline drawn in it: pixels in the text colour. */
        uint32_t ink = rgb(screens_tone_text(F->view.tone));
        int inked = 0;
        for (int y = top; y < top + h / 5; y++)
            for (int x = w / 5; x < w * 3 / 4; x++)
                inked += (px[y * w + x] & 0xFFFFFF) == ink;
        assert_true(inked > w / 10);
    }
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s-%dx%d.png", F->dir, name, w, h);
    assert_int_equal(paper_write_png(path, px, w, h), 0);
    free(px);
    if (F->words_f && F->size == 1)
        words_row(name, &F->view);
    if (F->index && F->size == 1)
        fprintf(F->index,
                "### %s\n\n![%s](%s-1280x800.png)\n\n%s — also at [1920×1080](%s-1920x1080.png) "
                "and [800×480](%s-800x480.png).\n\n",
                caption, caption, name, caption, name, name);
}

static int open_fixture(int size)
{
    F = calloc(1, sizeof(*F));
    F->size = size;
    testkiosk_open(&F->k, true);
    config_default(&F->cfg);
    struct kiosk_options o = {.store = F->k.store,
                              .rules = &F->cfg.rules,
                              .site = F->cfg.kiosk.site,
                              .result_seconds = F->cfg.display.result_seconds,
                              .evaluation_seconds = 8,   /* [display] evaluation = true */
                              .fire_wardens = "BIT0007", /* [kiosk] fire_wardens */
                              .can_print = true,         /* [kiosk] printer */
                              .site_key = F->k.keys.site,
                              .clock_state = "synced"};
    assert_int_equal(kiosk_new(&o, &F->kiosk), STORE_OK);
    struct person rachel;
    char hash[CRYPTO_PIN_HASH_MAX];
    store_person_by_staff_no(F->k.store, "BIT0010", &rachel);
    crypto_pin_hash(hash, "2468");
    store_pin_set(F->k.store, rachel.id, hash, 1);
    char regular[1024], bold[1024], why[256];
    assert_int_equal(fontfind("DejaVu Sans", false, regular, sizeof(regular)), 0);
    assert_int_equal(fontfind("DejaVu Sans", true, bold, sizeof(bold)), 0);
    struct gfx_options g = {.width = sizes[size][0],
                            .height = sizes[size][1],
                            .font_regular = regular,
                            .font_bold = bold};
    int err = gfx_open(&g, &F->gfx, why, sizeof(why));
    if (err != GFX_OK)
        fail_msg("gfx_open: %s: %s", cpd_strerror(err), why);
    const char *dir = getenv("CPD_SCREENS_DIR");
    snprintf(F->dir, sizeof(F->dir), "%s", dir && dir[0] ? dir : CPD_BINARY_DIR "/screens");
    mkdir(F->dir, 0755);
    if (size == 1) {
        char path[1100];
        snprintf(path, sizeof(path), "%s/README.md", F->dir);
        F->index = fopen(path, "w");
        F->words_f = open_memstream(&F->words, &F->words_len);
        if (F->index)
            fprintf(F->index, "# The kiosk's screens\n\nRendered by `tests/ui/sdl/test_render.c` "
                              "(real SDL, offscreen) from real kiosk states on the demo data. "
                              "Regenerate with `./run screens`.\n\n");
    }
    return 0;
}

static void close_fixture(void)
{
    if (F->words_f)
        fclose(F->words_f);
    if (F->index && F->words) {
        fprintf(F->index,
                "## Every screen's words in one place\n\nWhat each screen above says, "
                "in order, so the wording can be reviewed together (staff see these "
                "in a hurry: plain words, no codes, no configuration).\n\n"
                "| Screen | Banner | What it says |\n|---|---|---|\n%s\n",
                F->words);
    }
    free(F->words);
    if (F->index)
        fclose(F->index);
    gfx_close(F->gfx);
    kiosk_free(F->kiosk);
    testkiosk_close(&F->k);
    free(F);
}

static void type_pin(const char *pin)
{
    for (const char *p = pin; *p; p++)
        act(ACT_DIGIT, *p - '0');
}

static void every_screen(void)
{
    at("2023-09-13 15:00");
    shoot("idle", "Idle: the clock, the open session, reader, sync and clock status");
    badge("04-3B-19-D2-6A-71-81");
    shoot("signed-in", "Signed in: name, session, CPI progress, credits this year");
    F->now += 20 * S;
    badge("04-3B-19-D2-6A-71-81");
    shoot("already-in", "Already signed in (a repeat tap changes nothing)");
    at("2023-09-13 16:30");
    badge("04-3B-19-D2-6A-71-81");
    shoot("leaving-early", "Leaving early? A second tap within 10 seconds confirms");
    at("2023-09-13 18:10");
    badge("C2:7F:3A:E5");
    shoot("fire-warden", "A fire warden's tap: signed in as ever, the roll call one touch away");
    at("2023-09-13 18:12");
    badge("04-3B-19-D2-6A-71-81");
    shoot("signed-out", "Signed out: minutes attended, credits earned; how useful was tonight? "
                        "(when [display] evaluation is on)");
    act(ACT_BUTTON, 3);
    shoot("evaluated", "An answer given: thanks, and back to idle in 2 s");
    at("2023-09-13 15:40");
    badge("9b1f6c3d");
    shoot("signed-in-late", "Signed in late: amber, with the word and the icon");
    at("2023-11-27 15:36");
    badge("04D7E2A2B95C81");
    shoot("choose", "Two sessions open, none booked: choose by touch, mouse or number key");
    act(ACT_BACK, 0); /* Cancel: the next badge would wait for the choice */
    at("2023-09-13 12:00");
    badge("A7C41E92");
    shoot("no-session", "No session open: the next session and the person's credits");
    at("2023-09-13 21:00");
    act(ACT_OK, 0);
    at("2023-09-13 21:01");
    shoot("idle-next", "Idle after the evening: the next session with its day, in full");
    at("2023-09-13 12:00");
    badge("04:11:22:33:44:55:66");
    shoot("unknown-badge", "Unknown badge: the last 4 hex digits, for enrolling on the spot");
    badge("08:A1:B2:C3");
    shoot("random-uid", "A phone or bank card: it changes its number");
    badge("6A:3C:D1:58");
    shoot("inactive", "A leaver's badge");
    at("2023-09-13 15:20");
    badge("04:B2:5E:1A:83:4C:80");
    type_pin("11");
    shoot("pin-pad", "Trainer badge: the PIN pad (digits never shown)");
    act(ACT_OK, 0);
    shoot("pin-too-short", "PIN pad: too few digits");
    for (int i = 0; i < 2; i++)
        act(ACT_ERASE, 0);
    type_pin("2468");
    act(ACT_OK, 0);
    shoot("trainer-menu", "Trainer menu (sync greyed out with the reason until it is set up)");
    act(ACT_BUTTON, 8);
    shoot("trainer-status", "Kiosk status: the reader, sync, clock and database in detail");
    act(ACT_BACK, 0);
    act(ACT_BUTTON, 0);
    shoot("register", "Register of the open session: in, late, booked but not here");
    act(ACT_BACK, 0);
    act(ACT_BUTTON, 1);
    shoot("cpi-grid", "CPI grid: cohort × 4 sessions, who is at risk of missing 13 credits");
    act(ACT_BACK, 0);
    act(ACT_BUTTON, 2);
    shoot("at-risk", "Who is at risk: today's people who may not reach 16 credits");
    act(ACT_ROW, 0);
    shoot("at-risk-detail", "Who is at risk: a person touched, the whole risk and the way back");
    act(ACT_BACK, 0); /* to the list */
    act(ACT_BACK, 0); /* to the menu */
    act(ACT_BUTTON, 3);
    shoot("manual-pick-person", "Sign in by hand: pick the person (booked people first)");
    act(ACT_EXTRA, 0);
    for (const char *c = "ow"; *c; c++)
        act(ACT_CHAR, *c);
    shoot("manual-find", "Find a name: the on-screen keyboard");
    act(ACT_OK, 0);
    shoot("manual-found", "The names with what was typed");
    act(ACT_ROW, 0);
    shoot("manual-reason", "Sign in by hand: the reason, recorded with the trainer");
    act(ACT_BUTTON, 5);
    for (const char *c = "came in with the site team"; *c; c++)
        act(ACT_CHAR, *c);
    shoot("manual-note", "\"Other\": a short note, typed on screen");
    act(ACT_OK, 0);
    act(ACT_BUTTON, 1);
    shoot("manual-confirm", "Sign in by hand: when, then yes — nothing is recorded before");
    act(ACT_BUTTON, 0);
    shoot("manual-done", "Signed in by hand: Undo, or Done");
    act(ACT_OK, 0);
    act(ACT_BUTTON, 6);
    shoot("evacuation", "Roll call: everyone in the building, the trainer first, by surname");
    act(ACT_ROW, 1);
    shoot("evacuation-ticked", "Roll call: a name touched is ticked, and the counts follow");
    act(ACT_BACK, 0);
    act(ACT_BUTTON, 5);
    shoot("enrol-wait", "Enrol a badge: tap it");
    act(ACT_BACK, 0);
    act(ACT_BACK, 0);
    struct kiosk_status st = {.reader_up = false,
                              .reader_text = "Reader not answering (ttyUSB0 unplugged?)",
                              .sync_tone = TONE_V_NEUTRAL,
                              .sync_text = "Taps kept here",
                              .sync_why = "Sync to head office is not set up ([sync] conninfo)",
                              .clock_ok = true,
                              .clock_text = "Clock synced"};
    kiosk_set_status(F->kiosk, &st);
    shoot("reader-down", "Reader down: said on screen; trainers can still sign people in");
    st.reader_up = true;
    snprintf(st.reader_text, sizeof(st.reader_text), "Reader ready");
    st.clock_ok = false;
    snprintf(st.clock_text, sizeof(st.clock_text), "Clock not synced");
    kiosk_set_status(F->kiosk, &st);
    shoot("clock-unsynced", "The clock is not synchronised");
    st.clock_ok = true;
    kiosk_set_status(F->kiosk, &st);
    struct store *other = NULL;
    char why[256];
    assert_int_equal(store_open(F->k.db_path, &other, why, sizeof(why)), STORE_OK);
    assert_int_equal(store_begin(other), STORE_OK);
    badge("04:5A:2B:72:1C:6E:80");
    shoot("not-recorded", "The database could not save the tap: never \"signed in\"");
    store_rollback(other);
    store_close(other);
    /* Sarah's old badge, reported lost and replaced. */
    struct person sarah;
    assert_int_equal(store_person_by_staff_no(F->k.store, "BIT0001", &sarah), STORE_OK);
    struct correction c = {.store = F->k.store,
                           .rules = &F->cfg.rules,
                           .by = "Rachel Greenhalgh",
                           .reason = "lost, replaced",
                           .clock_state = "synced",
                           .now_us = F->now};
    const char *refused = "";
    assert_int_equal(correct_revoke_badge(&c, &sarah, "6E80", &refused), STORE_OK);
    F->now += 30 * S;
    badge("04:5A:2B:72:1C:6E:80");
    shoot("badge-replaced", "A badge reported lost and replaced: refused, plainly");
    /* The clock jumped to 2099: nothing is counted, and the paper register is the way. */
    at("2099-09-13 15:20");
    badge("04-3B-19-D2-6A-71-81");
    shoot("clock-wrong", "The kiosk's clock cannot be believed: taps refused, sign the paper");
}

static void test_every_screen_at(int size)
{
    open_fixture(size);
    every_screen();
    assert_true(gfx_cached_textures(F->gfx) > 10); /* text textures are cached */
    close_fixture();
}

static void test_1280x800(void **state)
{
    (void)state;
    test_every_screen_at(1);
}

static void test_1920x1080(void **state)
{
    (void)state;
    test_every_screen_at(0);
}

static void test_800x480(void **state)
{
    (void)state;
    test_every_screen_at(2);
}

/* The three tones, generated and queued on SDL's (dummy) audio device; silence when muted. */
static void test_tones(void **state)
{
    (void)state;
    char regular[1024], why[256];
    assert_int_equal(fontfind("DejaVu Sans", false, regular, sizeof(regular)), 0);
    for (int sound = 0; sound < 2; sound++) {
        struct gfx *g = NULL;
        struct gfx_options o = {
            .width = 320, .height = 240, .font_regular = regular, .sound = sound == 1};
        assert_int_equal(gfx_open(&o, &g, why, sizeof(why)), GFX_OK);
        int ok = gfx_tone(g, GFX_TONE_OK), warn = gfx_tone(g, GFX_TONE_WARNING),
            err = gfx_tone(g, GFX_TONE_ERROR);
        if (sound) {
            assert_true(gfx_has_audio(g));
            assert_true(ok > 0 && warn > 0 && err > 0);
            assert_true(ok != warn && warn != err); /* distinct shapes */
        } else {
            assert_int_equal(ok + warn + err, 0);
        }
        gfx_close(g);
    }
}

static void push_finger(Uint32 type, float x, float y)
{
    SDL_Event e;
    SDL_zero(e);
    e.type = type;
    e.tfinger.x = x;
    e.tfinger.y = y;
    assert_int_equal(SDL_PushEvent(&e), 1);
}

/* How SDL reports a touch: the finger, and a copy as a mouse click. */
static void push_touch(Uint32 finger, Uint32 mouse, float x, float y, int w, int h)
{
    push_finger(finger, x, y);
    SDL_Event e;
    SDL_zero(e);
    e.type = mouse;
    e.button.which = SDL_TOUCH_MOUSEID;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.x = (int)(x * (float)w);
    e.button.y = (int)(y * (float)h);
    assert_int_equal(SDL_PushEvent(&e), 1);
}

/* Everything gfx_wait has for us now. */
static int drain(struct gfx *g, struct gfx_input *in, int cap)
{
    int n = 0;
    struct gfx_input one;
    while (gfx_wait(g, 50, &one) == 1) {
        if (one.kind == INPUT_EXPOSE || one.kind == INPUT_RESIZE)
            continue;
        if (n < cap)
            in[n] = one;
        n++;
    }
    return n;
}

/* A touch is one tap (not two: SDL's mouse copy is dropped), where the finger went down; a
 * swipe up is the next page, down the previous; a mouse click is a tap too. */
static void test_touch(void **state)
{
    (void)state;
    char regular[1024], bold[1024], why[256];
    assert_int_equal(fontfind("DejaVu Sans", false, regular, sizeof(regular)), 0);
    assert_int_equal(fontfind("DejaVu Sans", true, bold, sizeof(bold)), 0);
    struct gfx_options o = {
        .width = 1280, .height = 800, .font_regular = regular, .font_bold = bold};
    struct gfx *g = NULL;
    assert_int_equal(gfx_open(&o, &g, why, sizeof(why)), GFX_OK);
    struct gfx_input in[8];
    drain(g, in, 8);
    push_touch(SDL_FINGERDOWN, SDL_MOUSEBUTTONDOWN, 0.25f, 0.5f, 1280, 800);
    push_touch(SDL_FINGERUP, SDL_MOUSEBUTTONUP, 0.25f, 0.5f, 1280, 800);
    assert_int_equal(drain(g, in, 8), 1);
    assert_int_equal(in[0].kind, INPUT_POINTER);
    assert_int_equal(in[0].x, 320);
    assert_int_equal(in[0].y, 400);
    push_finger(SDL_FINGERDOWN, 0.5f, 0.8f);
    push_finger(SDL_FINGERUP, 0.5f, 0.3f);
    assert_int_equal(drain(g, in, 8), 1);
    assert_int_equal(in[0].kind, INPUT_KEY);
    assert_int_equal(in[0].key, KEY_PAGE_DOWN);
    push_finger(SDL_FINGERDOWN, 0.5f, 0.3f);
    push_finger(SDL_FINGERUP, 0.5f, 0.8f);
    assert_int_equal(drain(g, in, 8), 1);
    assert_int_equal(in[0].key, KEY_PAGE_UP);
    SDL_Event e;
    SDL_zero(e);
    e.type = SDL_MOUSEBUTTONDOWN;
    e.button.button = SDL_BUTTON_LEFT;
    e.button.x = 100;
    e.button.y = 200;
    SDL_PushEvent(&e);
    e.type = SDL_MOUSEBUTTONUP;
    SDL_PushEvent(&e);
    assert_int_equal(drain(g, in, 8), 1);
    assert_int_equal(in[0].kind, INPUT_POINTER);
    assert_int_equal(in[0].x, 100);
    gfx_close(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tones),    cmocka_unit_test(test_touch),
        cmocka_unit_test(test_1280x800), cmocka_unit_test(test_1920x1080),
        cmocka_unit_test(test_800x480),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
