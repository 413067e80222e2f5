/* The keyboard-wedge and scripted readers: normalisation with the configured format and byte
 * order, garbage rejected with a reason, and scripts with their errors named by file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/firmware-host/events.h"
#include "firmware-host/reader.h"

static struct events ev;

static struct reader *keyboard(enum uid_text_format format, enum uid_byte_order order)
{
    struct reader_options cfg = {
        .driver = READER_DRIVER_KEYBOARD, .keyboard_format = format, .keyboard_byte_order = order};
    struct reader *r = NULL;
    events_init(&ev);
    assert_int_equal(reader_open(&cfg, false, events_on, &ev, &r, NULL, 0), READER_OK);
    assert_int_equal(reader_start(r), READER_OK);
    assert_true(events_wait(&ev, READER_UP, 0, 100, NULL));
    return r;
}

static void assert_card(int index, const char *hex)
{
    struct reader_event e;
    char got[UID_HEX_LEN];
    assert_true(events_wait(&ev, READER_CARD, index, 100, &e));
    uid_to_hex(&e.uid, got);
    assert_string_equal(got, hex);
}

static void test_keyboard_hex_and_decimal(void **state)
{
    (void)state;
    struct reader *r = keyboard(UID_TEXT_HEX, UID_ORDER_MSB_FIRST);
    assert_int_equal(reader_type(r, "04a23b1c5d6e80\n", 0), READER_OK);
    assert_card(0, "04A23B1C5D6E80");
    assert_int_equal(reader_type(r, "12345678\n", 0), READER_OK); /* hex, as configured */
    assert_card(1, "12345678");
    reader_close(r);

    r = keyboard(UID_TEXT_DECIMAL, UID_ORDER_MSB_FIRST);
    assert_int_equal(reader_type(r, "1059229964\n", 0), READER_OK);
    assert_card(0, "3F22910C");
    reader_close(r);

    /* Many wedge readers type the 4 bytes reversed, as one decimal number. */
    r = keyboard(UID_TEXT_DECIMAL, UID_ORDER_LSB_FIRST);
    assert_int_equal(reader_type(r, "1059229964\n", 0), READER_OK);
    assert_card(0, "0C91223F");
    reader_close(r);

    r = keyboard(UID_TEXT_HEX, UID_ORDER_LSB_FIRST);
    assert_int_equal(reader_type(r, "0C91223F\n", 0), READER_OK);
    assert_card(0, "3F22910C");
    reader_close(r);
}

/* The wedge's line is bounded and must be typed in one go: an over-long line, or one the reader
 * stopped typing in the middle of, is dropped and said so, never cut into a UID or kept to prefix
 * the next badge. */
static void test_keyboard_line_is_bounded_and_times_out(void **state)
{
    (void)state;
    struct reader *r = keyboard(UID_TEXT_HEX, UID_ORDER_MSB_FIRST);
    struct reader_event e;
    /* In pieces, as SDL delivers it; CRLF is one Enter. */
    assert_false(reader_typing(r, 0));
    assert_int_equal(reader_type(r, "04A2", 0), READER_OK);
    assert_true(reader_typing(r, 10000));
    assert_int_equal(reader_type(r, "3B1C", 20000), READER_OK);
    assert_int_equal(reader_type(r, "5D6E80\r\n", 40000), READER_OK);
    assert_false(reader_typing(r, 40000));
    assert_card(0, "04A23B1C5D6E80");
    /* 200 characters whose first 8 are a UID: too long, not cut to the UID. */
    char line[256];
    memset(line, '0', 200);
    memcpy(line, "3F22910C", 8);
    line[200] = '\0';
    assert_int_equal(reader_type(r, line, 100000), READER_OK);
    assert_int_equal(reader_type(r, "\n", 100000), READER_EINVAL);
    assert_true(events_wait(&ev, READER_REJECTED, 0, 100, &e));
    assert_non_null(strstr(e.reason, "too long for a UID (200 characters"));
    /* Half a UID, then nothing for a second: dropped at the next key; the next badge reads. */
    assert_int_equal(reader_type(r, "12345", 200000), READER_OK);
    assert_true(reader_typing(r, 200000 + READER_KEYBOARD_GAP_US));
    assert_false(reader_typing(r, 200001 + READER_KEYBOARD_GAP_US));
    assert_int_equal(reader_type(r, "3F22910C\n", 1200000), READER_EINVAL);
    assert_true(events_wait(&ev, READER_REJECTED, 1, 100, &e));
    assert_non_null(strstr(e.reason, "a line without its Enter, dropped (5 characters"));
    assert_card(1, "3F22910C");
    assert_int_equal(events_count(&ev, READER_CARD), 2);
    reader_close(r);
}

static void test_keyboard_garbage_is_rejected(void **state)
{
    (void)state;
    struct reader *r = keyboard(UID_TEXT_HEX, UID_ORDER_MSB_FIRST);
    static const char *const garbage[] = {"hello\n", "04A23B\n", "\x1b[2J\n", "04:A2:3B:1C:5D\n"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(reader_type(r, garbage[i], 0), READER_EINVAL);
        struct reader_event e;
        assert_true(events_wait(&ev, READER_REJECTED, i, 100, &e));
        assert_non_null(strstr(e.reason, "keyboard reader: "));
        assert_null(strchr(e.reason, '\x1b'));
    }
    assert_int_equal(events_count(&ev, READER_CARD), 0);
    reader_close(r);
}

static struct reader *sim(const char *script_text, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/cpd-sim-%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(script_text, f);
    fclose(f);
    struct reader_options cfg = {.driver = READER_DRIVER_SIM};
    snprintf(cfg.script, sizeof(cfg.script), "%s", path);
    struct reader *r = NULL;
    events_init(&ev);
    assert_int_equal(reader_open(&cfg, false, events_on, &ev, &r, NULL, 0), READER_OK);
    assert_int_equal(reader_start(r), READER_OK);
    return r;
}

static void test_sim_script(void **state)
{
    (void)state;
    char path[128];
    struct reader *r = sim("# a demo evening\n"
                           "place 04-3B-19-D2-6A-71-81\n"
                           "sleep 50\n"
                           "remove\n"
                           "\n"
                           "unplug\n"
                           "replug\n"
                           "place 08:12:34:56\n",
                           path, sizeof(path));
    struct reader_event e;
    assert_true(events_wait(&ev, READER_UP, 0, 2000, NULL));
    assert_card(0, "043B19D26A7181");
    assert_true(events_wait(&ev, READER_REMOVED, 0, 2000, NULL));
    assert_true(events_wait(&ev, READER_DOWN, 0, 2000, &e));
    assert_string_equal(e.reason, "reader unplugged (simulated)");
    assert_true(events_wait(&ev, READER_UP, 1, 2000, NULL));
    assert_true(events_wait(&ev, READER_CARD, 1, 2000, &e));
    assert_true(e.random);
    reader_close(r);
    unlink(path);
}

static void test_sim_errors_name_the_line(void **state)
{
    (void)state;
    char path[128], want[256];
    struct reader *r = sim("place 04A23B1C5D6E80\n"
                           "tap 1234\n"
                           "place zz\n"
                           "sleep soon\n"
                           "remove\n",
                           path, sizeof(path));
    struct reader_event e;
    assert_true(events_wait(&ev, READER_REMOVED, 0, 2000, NULL));
    assert_true(events_wait(&ev, READER_REJECTED, 0, 100, &e));
    snprintf(want, sizeof(want), "%s:2: unknown command \"tap\"", path);
    assert_non_null(strstr(e.reason, want));
    assert_true(events_wait(&ev, READER_REJECTED, 1, 100, &e));
    snprintf(want, sizeof(want), "%s:3: place: not a hex or decimal UID", path);
    assert_string_equal(e.reason, want);
    assert_true(events_wait(&ev, READER_REJECTED, 2, 100, &e));
    snprintf(want, sizeof(want), "%s:4: sleep: expected milliseconds, got \"soon\"", path);
    assert_string_equal(e.reason, want);
    assert_int_equal(events_count(&ev, READER_CARD), 1);
    reader_close(r);
    unlink(path);
}

static void test_sim_fifo_and_missing_script(void **state)
{
    (void)state;
    char fifo[128], why[256];
    snprintf(fifo, sizeof(fifo), "/tmp/cpd-sim-%d.fifo", (int)getpid());
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct reader_options cfg = {.driver = READER_DRIVER_SIM};
    snprintf(cfg.script, sizeof(cfg.script), "%s", fifo);
    struct reader *r = NULL;
    events_init(&ev);
    assert_int_equal(reader_open(&cfg, false, events_on, &ev, &r, why, sizeof(why)), READER_OK);
    assert_int_equal(reader_start(r), READER_OK);
    for (int writer = 0; writer < 2; writer++) { /* writers come and go */
        FILE *f = fopen(fifo, "w");
        assert_non_null(f);
        fprintf(f, "place 3F22910C\nremove\n");
        fclose(f);
        assert_true(events_wait(&ev, READER_CARD, writer, 3000, NULL));
    }
    int64_t t0 = events_now_us();
    reader_close(r); /* prompt, though nothing is being written */
    assert_true(events_now_us() - t0 < 1000000);
    unlink(fifo);
    snprintf(cfg.script, sizeof(cfg.script), "/nonexistent/script");
    assert_int_equal(reader_open(&cfg, false, events_on, &ev, &r, why, sizeof(why)), READER_EOPEN);
    assert_string_equal(why, "/nonexistent/script: No such file or directory");
}

static void test_an_unknown_driver_is_refused(void **state)
{
    (void)state;
    /* Never a silent fall-back to libnfc (or anything else). */
    struct reader_options cfg = {.driver = READER_DRIVER_COUNT};
    struct reader *r = NULL;
    char why[128];
    assert_int_equal(reader_open(&cfg, false, NULL, NULL, &r, why, sizeof(why)), READER_ENODRIVER);
    assert_null(r);
    assert_non_null(strstr(why, "unknown reader driver"));
    assert_string_equal(reader_driver_name(READER_DRIVER_SIM), "sim");
    assert_string_equal(reader_driver_name(READER_DRIVER_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyboard_hex_and_decimal),
        cmocka_unit_test(test_keyboard_line_is_bounded_and_times_out),
        cmocka_unit_test(test_keyboard_garbage_is_rejected),
        cmocka_unit_test(test_sim_script),
        cmocka_unit_test(test_sim_errors_name_the_line),
        cmocka_unit_test(test_sim_fifo_and_missing_script),
        cmocka_unit_test(test_an_unknown_driver_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
