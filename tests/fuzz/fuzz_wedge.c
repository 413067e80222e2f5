/* Keyboard-wedge input: the first byte picks the format and byte order; the rest is what the
 * reader types, in pieces separated by NUL bytes, each followed by one byte of time passing
 * (× 10 ms, so a pause past READER_KEYBOARD_GAP_US happens). A badge is only ever read at an
 * Enter, with a UID of a valid length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware-host/reader.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    const char *piece; /* being typed now */
    int cards, rejected;
};

static void on_event(void *ctx, const struct reader_event *e)
{
    struct seen *s = ctx;
    fuzz_touch(e->reason);
    if (e->kind == READER_REJECTED)
        s->rejected++;
    if (e->kind != READER_CARD)
        return;
    s->cards++;
    if (e->uid.len != 4 && e->uid.len != 7 && e->uid.len != 10)
        fuzz_die("a card with a UID of %u bytes", e->uid.len);
    if (!s->piece || !strpbrk(s->piece, "\r\n"))
        fuzz_die("a card read without an Enter in \"%s\"", s->piece ? s->piece : "(start)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct reader_options cfg = {
        .driver = READER_DRIVER_KEYBOARD,
        .keyboard_format = (enum uid_text_format)(data[0] % UID_TEXT_COUNT),
        .keyboard_byte_order = (enum uid_byte_order)((data[0] / UID_TEXT_COUNT) % UID_ORDER_COUNT)};
    struct seen seen = {0};
    struct reader *r = NULL;
    if (reader_open(&cfg, (data[0] & 0x80) != 0, on_event, &seen, &r, NULL, 0) != READER_OK ||
        reader_start(r) != READER_OK)
        fuzz_die("cannot open a keyboard reader");
    char *text = fuzz_cstring(data + 1, size - 1);
    size_t n = size - 1, at = 0;
    int64_t now = 1000000;
    while (at <= n) {
        char *piece = text + at;
        size_t len = strlen(piece);
        seen.piece = piece;
        (void)reader_type(r, piece, now);
        (void)reader_typing(r, now);
        at += len + 1; /* past the NUL */
        if (at < n)
            now += 10000 * (int64_t)(unsigned char)text[at++];
    }
    reader_close(r);
    free(text);
    return 0;
}
