/* The libnfc reader end to end: real libnfc (Debian's 1.8) talking to the PN532 emulator on a
 * pty, no hardware. Each test runs in its own process (ctest passes its name). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <nfc/nfc.h>

#include "tests/firmware-host/events.h"
#include "tests/pn532/pn532_emu.h"
#include "firmware-host/reader.h"

struct fixture {
    char dir[128];
    char link[256];
    struct pn532_emu *emu;
    struct events ev;
    struct reader *reader;
    struct reader_options cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/cpd-nfc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->link, sizeof(f->link), "%s/pn532", f->dir);
    assert_int_equal(pn532_emu_start(f->link, &f->emu), 0);
    events_init(&f->ev);
    f->cfg.driver = READER_DRIVER_LIBNFC;
    snprintf(f->cfg.connstring, sizeof(f->cfg.connstring), "pn532_uart:%s", f->link);
    f->cfg.poll_ms = 50;
    f->cfg.debounce_ms = 600;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    reader_close(f->reader);
    pn532_emu_stop(f->emu);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void start(struct fixture *f)
{
    char why[256];
    assert_int_equal(reader_open(&f->cfg, false, events_on, &f->ev, &f->reader, why, sizeof(why)),
                     READER_OK);
    assert_int_equal(reader_start(f->reader), READER_OK);
    assert_true(events_wait(&f->ev, READER_UP, 0, 5000, NULL));
}

static void place(struct fixture *f, struct pn532_card c)
{
    pn532_emu_place(f->emu, &c);
}

static void hex_of(const struct reader_event *e, char out[UID_HEX_LEN])
{
    uid_to_hex(&e->uid, out);
}

/* The card kinds a school may hand out, as a real PN532 reports them (automatic RATS off). */
static const struct {
    const char *what, *uid;
    uint8_t atqa0, atqa1, sak;
} kinds[] = {
    {"MIFARE Classic 1K, 4-byte", "3F22910C", 0x00, 0x04, 0x08},
    {"MIFARE Ultralight, 7-byte", "04A23B1C5D6E80", 0x00, 0x44, 0x00},
    {"NTAG213, 7-byte", "04B2C3D4E5F681", 0x00, 0x44, 0x00},
    {"DESFire EV1 (SAK 20), 7-byte", "04112233445566", 0x03, 0x44, 0x20},
    {"SmartMX (SAK 24), 4-byte", "A1B2C3D4", 0x03, 0x04, 0x24},
    {"MIFARE Plus SL2 (SAK 11), 7-byte", "04998877665544", 0x00, 0x44, 0x11},
    {"unknown (SAK 00, ATQA 00 04), 4-byte", "5E6F7A8B", 0x00, 0x04, 0x00},
    {"10-byte UID (SAK 20)", "0102030405060708090A", 0x03, 0x44, 0x20},
    {"random UID (a phone)", "08123456", 0x00, 0x04, 0x20},
};
#define N_KINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

/* Each kind once, placed and lifted (different UIDs: no debounce between them): one card event
 * and one removal each, and no reader-down. */
static void each_kind_once(struct fixture *f)
{
    for (int i = 0; i < N_KINDS; i++) {
        int c0 = events_count(&f->ev, READER_CARD), r0 = events_count(&f->ev, READER_REMOVED);
        int d0 = events_count(&f->ev, READER_DOWN);
        place(f, pn532_card_kind(kinds[i].uid, kinds[i].atqa0, kinds[i].atqa1, kinds[i].sak));
        if (!events_wait(&f->ev, READER_CARD, c0, 3000, NULL))
            fail_msg("%s: no card event", kinds[i].what);
        pn532_emu_remove(f->emu);
        if (!events_wait(&f->ev, READER_REMOVED, r0, 3000, NULL))
            fail_msg("%s: no removal", kinds[i].what);
        if (events_count(&f->ev, READER_CARD) != c0 + 1 || events_count(&f->ev, READER_DOWN) != d0)
            fail_msg("%s: more than one card event, or the reader went down", kinds[i].what);
    }
}

static void test_one_event_per_presentation(void **state)
{
    struct fixture *f = *state;
    start(f);
    place(f, pn532_card_classic("04A23B1C5D6E80"));
    struct reader_event e;
    assert_true(events_wait(&f->ev, READER_CARD, 0, 3000, &e));
    char hex[UID_HEX_LEN];
    hex_of(&e, hex);
    assert_string_equal(hex, "04A23B1C5D6E80");
    assert_false(e.random);
    events_sleep_ms(800); /* held on the reader: presence checks, no second event */
    assert_int_equal(events_count(&f->ev, READER_CARD), 1);
    assert_int_equal(events_count(&f->ev, READER_REMOVED), 0);
    struct pn532_stats s;
    pn532_emu_stats(f->emu, &s);
    assert_true(s.presence_checks >= 5);
    pn532_emu_remove(f->emu);
    assert_true(events_wait(&f->ev, READER_REMOVED, 0, 3000, NULL));
    events_sleep_ms(300);
    assert_int_equal(events_count(&f->ev, READER_REMOVED), 1);
    assert_int_equal(events_count(&f->ev, READER_CARD), 1);
    assert_int_equal(s.unknown, 0);
}

static void test_uid_lengths_kinds_and_random(void **state)
{
    struct fixture *f = *state;
    f->cfg.debounce_ms = 0;
    start(f);
    static const struct {
        const char *uid;
        int kind; /* 0 classic, 1 ISO14443-4, 2 ultralight */
        bool random;
    } cases[] = {{"3F22910C", 0, false},
                 {"04A23B1C5D6E80", 2, false},
                 {"0102030405060708090A", 1, false},
                 {"08123456", 0, true}};
    for (int i = 0; i < 4; i++) {
        struct pn532_card c = cases[i].kind == 1   ? pn532_card_iso14443_4(cases[i].uid)
                              : cases[i].kind == 2 ? pn532_card_ultralight(cases[i].uid)
                                                   : pn532_card_classic(cases[i].uid);
        place(f, c);
        struct reader_event e;
        assert_true(events_wait(&f->ev, READER_CARD, i, 3000, &e));
        char hex[UID_HEX_LEN];
        hex_of(&e, hex);
        assert_string_equal(hex, cases[i].uid);
        assert_int_equal(e.random, cases[i].random);
        pn532_emu_remove(f->emu);
        assert_true(events_wait(&f->ev, READER_REMOVED, i, 3000, NULL)); /* per card type */
    }
}

/* Three kinds the reader follows in different ways under libnfc's own check: Classic, a SAK 20
 * card left at layer 3, and one libnfc does not know. */
static struct pn532_card kind_card(int k, int n)
{
    static const char *const uids[2][3] = {{"3F22910C", "04112233445566", "5E6F7A8B"},
                                           {"A7C41E92", "04998877665544", "6A7B8C9D"}};
    return k == 0   ? pn532_card_classic(uids[n][0])
           : k == 1 ? pn532_card_kind(uids[n][1], 0x03, 0x44, 0x20)
                    : pn532_card_kind(uids[n][2], 0x00, 0x04, 0x00);
}

static void test_debounce(void **state)
{
    struct fixture *f = *state;
    start(f);
    for (int k = 0; k < 3; k++) {
        int c0 = events_count(&f->ev, READER_CARD), r0 = events_count(&f->ev, READER_REMOVED);
        struct pn532_card c = kind_card(k, 0);
        place(f, c);
        assert_true(events_wait(&f->ev, READER_CARD, c0, 3000, NULL));
        pn532_emu_remove(f->emu);
        assert_true(events_wait(&f->ev, READER_REMOVED, r0, 3000, NULL));
        place(f, c); /* back within debounce_ms (600): ignored */
        events_sleep_ms(300);
        assert_int_equal(events_count(&f->ev, READER_CARD), c0 + 1);
        pn532_emu_remove(f->emu);
        events_sleep_ms(800);
        /* … and its lifting is not reported either: nothing was reported placed. */
        assert_int_equal(events_count(&f->ev, READER_REMOVED), r0 + 1);
        place(f, c); /* after it: a new presentation */
        assert_true(events_wait(&f->ev, READER_CARD, c0 + 1, 3000, NULL));
        /* Another card is never debounced. */
        pn532_emu_remove(f->emu);
        assert_true(events_wait(&f->ev, READER_REMOVED, r0 + 1, 3000, NULL));
        place(f, kind_card(k, 1));
        assert_true(events_wait(&f->ev, READER_CARD, c0 + 2, 3000, NULL));
        pn532_emu_remove(f->emu);
        assert_true(events_wait(&f->ev, READER_REMOVED, r0 + 2, 3000, NULL));
        events_sleep_ms(700); /* past the debounce before the next kind */
    }
}

static void test_silent_reader_goes_down_and_comes_back(void **state)
{
    struct fixture *f = *state;
    start(f);
    pn532_emu_silent(f->emu, true);
    struct reader_event e;
    assert_true(events_wait(&f->ev, READER_DOWN, 0, 5000, &e));
    assert_true(strlen(e.reason) > 0);
    events_sleep_ms(2500); /* let the backoff reach its ceiling */
    pn532_emu_silent(f->emu, false);
    int64_t back = events_now_us();
    assert_true(events_wait(&f->ev, READER_UP, 1, 4000, &e));
    int64_t ms = (e.mono_us - back) / 1000;
    print_message("answering again → reader up in %lld ms\n", (long long)ms);
    assert_true(ms <= 2500);
    each_kind_once(f); /* back: every kind reads again */
}

/* Waits up to ms for a reader-down event whose reason has text in it. */
static bool down_saying(struct fixture *f, const char *text, int ms, struct reader_event *out)
{
    int64_t until = events_now_us() + (int64_t)ms * 1000;
    for (int skip = 0; events_now_us() < until; skip++) {
        int left = (int)((until - events_now_us()) / 1000);
        if (!events_wait(&f->ev, READER_DOWN, skip, left > 0 ? left : 1, out))
            return false;
        if (strstr(out->reason, text))
            return true;
    }
    return false;
}

/* The reason while down is the current one, for an installer to act on: a reader that stopped
 * answering, then its device gone, then back. One line per change, not one per retry. */
static void test_the_down_reason_follows_the_fault(void **state)
{
    struct fixture *f = *state;
    start(f);
    pn532_emu_silent(f->emu, true);
    struct reader_event e;
    assert_true(down_saying(f, "not answering — check the wiring", 8000, &e));
    int downs = events_count(&f->ev, READER_DOWN);
    events_sleep_ms(2500); /* retries with the same reason: no new lines */
    assert_int_equal(events_count(&f->ev, READER_DOWN), downs);
    pn532_emu_hangup(f->emu);
    assert_true(down_saying(f, "device path gone", 8000, &e));
    pn532_emu_silent(f->emu, false);
    assert_int_equal(pn532_emu_replug(f->emu), 0);
    assert_true(events_wait(&f->ev, READER_UP, 1, 5000, &e));
}

/* A badge left on the reader while it is unplugged and plugged back is the same tap, not a
 * second one (which could sign its owner out), and its lifting ends it; tapped again, it is a
 * new one. */
static void test_a_card_held_through_a_replug_is_one_tap(void **state)
{
    struct fixture *f = *state;
    start(f);
    for (int k = 0; k < 3; k++) {
        int c0 = events_count(&f->ev, READER_CARD), r0 = events_count(&f->ev, READER_REMOVED);
        int u0 = events_count(&f->ev, READER_UP), d0 = events_count(&f->ev, READER_DOWN);
        struct pn532_card c = kind_card(k, 0);
        place(f, c);
        assert_true(events_wait(&f->ev, READER_CARD, c0, 3000, NULL));
        pn532_emu_hangup(f->emu);
        assert_true(events_wait(&f->ev, READER_DOWN, d0, 5000, NULL));
        assert_int_equal(pn532_emu_replug(f->emu), 0);
        assert_true(events_wait(&f->ev, READER_UP, u0, 5000, NULL));
        events_sleep_ms(800);
        assert_int_equal(events_count(&f->ev, READER_CARD), c0 + 1);
        pn532_emu_remove(f->emu); /* the presentation ends: one removal */
        assert_true(events_wait(&f->ev, READER_REMOVED, r0, 3000, NULL));
        events_sleep_ms(800);
        assert_int_equal(events_count(&f->ev, READER_REMOVED), r0 + 1);
        assert_int_equal(events_count(&f->ev, READER_CARD), c0 + 1);
        place(f, c);
        assert_true(events_wait(&f->ev, READER_CARD, c0 + 1, 3000, NULL));
        pn532_emu_remove(f->emu);
        assert_true(events_wait(&f->ev, READER_REMOVED, r0 + 1, 3000, NULL));
        events_sleep_ms(700);
    }
    /* Lifted while the reader was away: the reader comes back to an empty field, and the
     * next tap of that card is a tap. */
    int c0 = events_count(&f->ev, READER_CARD), u0 = events_count(&f->ev, READER_UP);
    int d0 = events_count(&f->ev, READER_DOWN);
    place(f, kind_card(1, 0));
    assert_true(events_wait(&f->ev, READER_CARD, c0, 3000, NULL));
    pn532_emu_hangup(f->emu);
    assert_true(events_wait(&f->ev, READER_DOWN, d0, 5000, NULL));
    pn532_emu_remove(f->emu);
    assert_int_equal(pn532_emu_replug(f->emu), 0);
    assert_true(events_wait(&f->ev, READER_UP, u0, 5000, NULL));
    events_sleep_ms(700);
    place(f, kind_card(1, 0));
    assert_true(events_wait(&f->ev, READER_CARD, c0 + 1, 3000, NULL));
}

/* A reader that stalls or stops answering while a badge is held is the reader's fault, not a
 * lifted card: no removal, and no second tap when it answers again. */
static void test_a_card_held_while_the_reader_stalls(void **state)
{
    struct fixture *f = *state;
    start(f);
    place(f, pn532_card_kind("04112233445566", 0x03, 0x44, 0x20));
    assert_true(events_wait(&f->ev, READER_CARD, 0, 3000, NULL));
    pn532_emu_slow(f->emu, 400); /* late replies for a while */
    events_sleep_ms(1500);
    pn532_emu_slow(f->emu, 0);
    events_sleep_ms(500);
    assert_int_equal(events_count(&f->ev, READER_REMOVED), 0);
    pn532_emu_silent(f->emu, true); /* then no answer at all */
    assert_true(events_wait(&f->ev, READER_DOWN, 0, 5000, NULL));
    events_sleep_ms(500);
    pn532_emu_silent(f->emu, false);
    assert_true(events_wait(&f->ev, READER_UP, 1, 5000, NULL));
    events_sleep_ms(800);
    assert_int_equal(events_count(&f->ev, READER_CARD), 1);
    assert_int_equal(events_count(&f->ev, READER_REMOVED), 0);
    assert_int_equal(events_count(&f->ev, READER_DOWN), 1); /* one line for the fault */
    pn532_emu_remove(f->emu);
    assert_true(events_wait(&f->ev, READER_REMOVED, 0, 3000, NULL));
}

static void test_unplugged_and_replugged(void **state)
{
    struct fixture *f = *state;
    start(f);
    pn532_emu_hangup(f->emu);
    struct reader_event e;
    assert_true(events_wait(&f->ev, READER_DOWN, 0, 5000, &e));
    assert_int_equal(pn532_emu_replug(f->emu), 0);
    int64_t back = events_now_us();
    assert_true(events_wait(&f->ev, READER_UP, 1, 4000, &e));
    assert_true((e.mono_us - back) / 1000 <= 2500);
    each_kind_once(f);
}

static void test_corrupt_frame_and_slow_reply_survived(void **state)
{
    struct fixture *f = *state;
    start(f);
    for (int i = 0; i < 3; i++) {
        pn532_emu_corrupt_next(f->emu);
        events_sleep_ms(200);
    }
    pn532_emu_slow(f->emu, 200); /* slower than usual, within libnfc's timeouts */
    events_sleep_ms(400);
    pn532_emu_slow(f->emu, 0);
    place(f, pn532_card_classic("3F22910C"));
    assert_true(events_wait(&f->ev, READER_CARD, 0, 3000, NULL));
    assert_int_equal(events_count(&f->ev, READER_DOWN), 0);
    pn532_emu_slow(f->emu, 500); /* one reply too late (libnfc waits 350 ms): survived */
    events_sleep_ms(60);
    pn532_emu_slow(f->emu, 0);
    events_sleep_ms(1000);
    pn532_emu_remove(f->emu);
    assert_true(events_wait(&f->ev, READER_REMOVED, 0, 3000, NULL));
    assert_int_equal(events_count(&f->ev, READER_DOWN), 0);
    /* Every kind, with a corrupt reply in the middle of following each. */
    events_sleep_ms(700); /* past the debounce of the card just lifted */
    for (int i = 0; i < N_KINDS; i++) {
        int c0 = events_count(&f->ev, READER_CARD), r0 = events_count(&f->ev, READER_REMOVED);
        place(f, pn532_card_kind(kinds[i].uid, kinds[i].atqa0, kinds[i].atqa1, kinds[i].sak));
        assert_true(events_wait(&f->ev, READER_CARD, c0, 3000, NULL));
        pn532_emu_corrupt_next(f->emu);
        events_sleep_ms(200);
        assert_int_equal(events_count(&f->ev, READER_CARD), c0 + 1);
        assert_int_equal(events_count(&f->ev, READER_REMOVED), r0);
        pn532_emu_remove(f->emu);
        assert_true(events_wait(&f->ev, READER_REMOVED, r0, 3000, NULL));
    }
    assert_int_equal(events_count(&f->ev, READER_DOWN), 0);
}

/* A command the chip acknowledged and never answers: stopping must abort it rather than wait
 * for libnfc's own timeout. The proof is the host's abort frame reaching the chip, not a clock:
 * without nfc_abort_command the stop still returns, later, and no abort arrives. */
static long stat_of(struct pn532_emu *emu, size_t counter)
{
    struct pn532_stats st;
    pn532_emu_stats(emu, &st);
    long v;
    memcpy(&v, (const char *)&st + counter, sizeof(v));
    return v;
}

/* Waits up to ms for a counter to pass than. */
static bool wait_for_more(struct pn532_emu *emu, size_t counter, long than, int ms)
{
    for (int waited = 0; waited < ms; waited += 10) {
        if (stat_of(emu, counter) > than)
            return true;
        events_sleep_ms(10);
    }
    return stat_of(emu, counter) > than;
}

static void test_clean_stop_during_a_select(void **state)
{
    struct fixture *f = *state;
    /* On a machine running the whole suite, the held command can reach libnfc's own timeout
     * before the stop, and the reader is then between commands with nothing to abort: the
     * stop is tried again, up to three times. Without nfc_abort_command no try sees an abort. */
    bool aborted = false;
    for (int attempt = 0; attempt < 3 && !aborted; attempt++) {
        pn532_emu_hold(f->emu, false);
        start(f);
        events_sleep_ms(200); /* the reader is polling */
        long held = stat_of(f->emu, offsetof(struct pn532_stats, held));
        long aborts = stat_of(f->emu, offsetof(struct pn532_stats, aborts));
        pn532_emu_hold(f->emu, true);
        assert_true(wait_for_more(f->emu, offsetof(struct pn532_stats, held), held, 10000));
        reader_close(f->reader);
        f->reader = NULL;
        aborted = wait_for_more(f->emu, offsetof(struct pn532_stats, aborts), aborts, 3000);
    }
    assert_true(aborted);
}

static void test_a_second_process_is_refused(void **state)
{
    struct fixture *f = *state;
    start(f);
    struct events other;
    events_init(&other);
    struct reader *second = NULL;
    char why[256];
    assert_int_equal(reader_open(&f->cfg, false, events_on, &other, &second, why, sizeof(why)),
                     READER_OK);
    assert_int_equal(reader_start(second), READER_OK);
    struct reader_event e;
    assert_true(events_wait(&other, READER_DOWN, 0, 3000, &e));
    assert_non_null(strstr(e.reason, "is in use by another process"));
    reader_close(second);
    /* The first one is undisturbed. */
    place(f, pn532_card_classic("3F22910C"));
    assert_true(events_wait(&f->ev, READER_CARD, 0, 3000, NULL));
}

static void test_nfc_list_sees_the_emulated_card(void **state)
{
    struct fixture *f = *state;
    if (access("/usr/bin/nfc-list", X_OK) != 0)
        fail_msg("nfc-list is not installed (Debian: libnfc-bin)");
    place(f, pn532_card_classic("04A23B1C5D6E80"));
    char cmd[512], out[4096];
    snprintf(cmd, sizeof(cmd), "LIBNFC_DEFAULT_DEVICE='pn532_uart:%s' /usr/bin/nfc-list 2>&1",
             f->link);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    assert_int_equal(pclose(p), 0);
    if (!strstr(out, "04  a2  3b  1c  5d  6e  80"))
        fail_msg("nfc-list did not list the card:\n%s", out);
    assert_non_null(strstr(out, "1 ISO14443A passive target(s) found"));
    struct pn532_stats s;
    pn532_emu_stats(f->emu, &s);
    assert_int_equal(s.unknown, 0);
}

/* The card kinds a school may hand out, as a real PN532 reports them with automatic RATS off
 * (so no ATS, no layer 4): each held for a second is one card event and no reader-down, lifted
 * is one removal, and a re-tap after the debounce is a new tap. */
static void test_every_card_kind_once_per_presentation(void **state)
{
    struct fixture *f = *state;
    f->cfg.debounce_ms = 300;
    pn532_emu_realistic(f->emu, true); /* a real chip's timing, too */
    start(f);
    int cards = 0, removals = 0;
    for (int i = 0; i < N_KINDS; i++) {
        for (int tap = 0; tap < 2; tap++) {
            place(f, pn532_card_kind(kinds[i].uid, kinds[i].atqa0, kinds[i].atqa1, kinds[i].sak));
            struct reader_event e;
            if (!events_wait(&f->ev, READER_CARD, cards, 3000, &e))
                fail_msg("%s: no card event", kinds[i].what);
            char hex[UID_HEX_LEN];
            hex_of(&e, hex);
            assert_string_equal(hex, kinds[i].uid);
            events_sleep_ms(700); /* held: a dozen presence checks */
            if (events_count(&f->ev, READER_CARD) != cards + 1 ||
                events_count(&f->ev, READER_REMOVED) != removals ||
                events_count(&f->ev, READER_DOWN) != 0)
                fail_msg("%s held: %d card events, %d removals, %d reader-down", kinds[i].what,
                         events_count(&f->ev, READER_CARD) - cards,
                         events_count(&f->ev, READER_REMOVED) - removals,
                         events_count(&f->ev, READER_DOWN));
            cards++;
            pn532_emu_remove(f->emu);
            if (!events_wait(&f->ev, READER_REMOVED, removals, 3000, NULL))
                fail_msg("%s: no removal", kinds[i].what);
            removals++;
            events_sleep_ms(400); /* past the debounce: the next placing is a new tap */
            assert_int_equal(events_count(&f->ev, READER_REMOVED), removals);
        }
    }
    struct pn532_stats s;
    pn532_emu_stats(f->emu, &s);
    assert_int_equal(s.unknown, 0);
}

/* The emulator as strict as the chip, seen through libnfc itself: an exchange with no target
 * listed is refused (status 27), a SAK 20 card selected with automatic RATS off has no ATS, and
 * with it on it has one. */
static void test_the_emulator_refuses_as_the_chip_does(void **state)
{
    struct fixture *f = *state;
    nfc_context *ctx = NULL;
    nfc_init(&ctx);
    assert_non_null(ctx);
    nfc_connstring connstring; /* libnfc's own buffer size */
    snprintf(connstring, sizeof(connstring), "%s", f->cfg.connstring);
    nfc_device *dev = nfc_open(ctx, connstring);
    assert_non_null(dev);
    assert_true(nfc_initiator_init(dev) >= 0);
    assert_true(nfc_device_set_property_bool(dev, NP_INFINITE_SELECT, false) >= 0);
    const uint8_t read0[] = {0x30, 0x00};
    uint8_t rx[32];
    assert_true(nfc_initiator_transceive_bytes(dev, read0, 2, rx, sizeof(rx), 500) < 0);
    const nfc_modulation m = {.nmt = NMT_ISO14443A, .nbr = NBR_106};
    struct pn532_card desfire = pn532_card_kind("04112233445566", 0x03, 0x44, 0x20);
    place(f, desfire);
    nfc_target t;
    assert_int_equal(nfc_initiator_select_passive_target(dev, m, NULL, 0, &t), 1);
    assert_true(t.nti.nai.szAtsLen > 0); /* libnfc's default: automatic RATS on */
    assert_true(nfc_device_set_property_bool(dev, NP_AUTO_ISO14443_4, false) >= 0);
    assert_int_equal(nfc_initiator_select_passive_target(dev, m, NULL, 0, &t), 1);
    assert_int_equal((int)t.nti.nai.szAtsLen, 0);
    /* At layer 3, libnfc's own presence check for it fails: why the reader re-selects. */
    assert_int_not_equal(nfc_initiator_target_is_present(dev, &t), NFC_SUCCESS);
    nfc_close(dev);
    nfc_exit(ctx);
}

int main(int argc, char **argv)
{
    reader_prepare_process(); /* before any thread */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_one_event_per_presentation),
        T(test_uid_lengths_kinds_and_random),
        T(test_debounce),
        T(test_silent_reader_goes_down_and_comes_back),
        T(test_unplugged_and_replugged),
        T(test_corrupt_frame_and_slow_reply_survived),
        T(test_clean_stop_during_a_select),
        T(test_a_second_process_is_refused),
        T(test_nfc_list_sees_the_emulated_card),
        T(test_every_card_kind_once_per_presentation),
        T(test_the_down_reason_follows_the_fault),
        T(test_a_card_held_through_a_replug_is_one_tap),
        T(test_the_emulator_refuses_as_the_chip_does),
        T(test_a_card_held_while_the_reader_stalls),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
