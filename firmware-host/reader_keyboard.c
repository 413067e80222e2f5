/* USB keyboard-wedge readers: they type the UID and Enter into whatever has focus. The kiosk's
 * UI takes the typed text and feeds each line here; the same normalisation as every reader,
 * with the configured format (hex/decimal) and byte order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/error.h"
#include "firmware-host/reader_impl.h"

static int keyboard_start(struct reader *r)
{
    reader_emit(r, READER_UP, NULL, NULL);
    return READER_OK;
}

static int keyboard_feed(struct reader *r, const char *line)
{
    struct uid uid;
    int err = uid_parse(line, r->cfg.keyboard_format, r->cfg.keyboard_byte_order, &uid);
    if (err != UID_OK) {
        /* The log never gets a whole UID: only the length and the last 4 characters. */
        char reason[160];
        size_t n = strlen(line);
        snprintf(reason, sizeof(reason), "keyboard reader: %s (%zu characters, ending \"%s\")",
                 cpd_strerror(err), n, n > 4 ? line + n - 4 : line);
        reader_emit(r, READER_REJECTED, NULL, reason);
        return READER_EINVAL;
    }
    reader_emit(r, READER_CARD, &uid, NULL);
    return READER_OK;
}

static const struct reader_ops keyboard_ops = {.start = keyboard_start, .feed = keyboard_feed};

int reader_keyboard_open(struct reader *r, char *why, size_t cap)
{
    (void)why;
    (void)cap;
    r->ops = &keyboard_ops;
    return READER_OK;
}
