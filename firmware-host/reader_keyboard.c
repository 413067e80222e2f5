/* USB keyboard-wedge readers: they type the UID and Enter into whatever has focus. The kiosk's
 * UI hands each piece of typed text here as it comes; a line is assembled in a bounded buffer
 * and, at Enter, normalised as every reader's UID is, with the configured format (hex/decimal)
 * and byte order. A line too long, or one the reader stopped typing in the middle of, is dropped
 * and said so: never cut into a UID, never kept to prefix the next badge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/error.h"
#include "core/base/utf8.h"
#include "firmware-host/reader_impl.h"

struct keyboard {
    char line[READER_KEYBOARD_MAX + 1];
    size_t len;      /* kept in line */
    size_t typed;    /* typed since the last Enter, kept or not */
    int64_t last_us; /* when the last of it came */
};

static int keyboard_start(struct reader *r)
{
    reader_emit(r, READER_UP, NULL, NULL);
    return READER_OK;
}

static void reject(struct reader *r, const char *why, size_t typed, const char *line)
{
    /* The log never gets a whole UID: only the length and the last 4 characters. */
    char reason[200], tail[32];
    size_t n = strlen(line);
    utf8_printable(tail, sizeof(tail), n > 4 ? line + n - 4 : line); /* no escape reaches a log */
    snprintf(reason, sizeof(reason), "keyboard reader: %s (%zu characters, ending \"%s\")", why,
             typed, tail);
    reader_emit(r, READER_REJECTED, NULL, reason);
}

static int finish_line(struct reader *r, struct keyboard *k)
{
    int err = READER_OK;
    struct uid uid;
    if (k->typed > READER_KEYBOARD_MAX) {
        reject(r, "too long for a UID", k->typed, k->line);
        err = READER_EINVAL;
    } else {
        int parsed = uid_parse(k->line, r->cfg.keyboard_format, r->cfg.keyboard_byte_order, &uid);
        if (parsed != UID_OK) {
            reject(r, cpd_strerror(parsed), k->typed, k->line);
            err = READER_EINVAL;
        } else {
            reader_emit(r, READER_CARD, &uid, NULL);
        }
    }
    k->len = k->typed = 0;
    k->line[0] = '\0';
    return err;
}

static bool stale(const struct keyboard *k, int64_t mono_us)
{
    return k->typed > 0 && mono_us - k->last_us > READER_KEYBOARD_GAP_US;
}

static int keyboard_type(struct reader *r, const char *text, int64_t mono_us)
{
    struct keyboard *k = r->backend;
    int err = READER_OK;
    if (stale(k, mono_us)) {
        reject(r, "a line without its Enter, dropped", k->typed, k->line);
        k->len = k->typed = 0;
        k->line[0] = '\0';
        err = READER_EINVAL;
    }
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            if (k->typed > 0 && finish_line(r, k) != READER_OK)
                err = READER_EINVAL;
            continue;
        }
        if (k->len < READER_KEYBOARD_MAX) {
            k->line[k->len++] = *p;
            k->line[k->len] = '\0';
        }
        k->typed++;
        k->last_us = mono_us;
    }
    return err;
}

static bool keyboard_typing(const struct reader *r, int64_t mono_us)
{
    const struct keyboard *k = r->backend;
    return k->typed > 0 && !stale(k, mono_us);
}

static void keyboard_destroy(struct reader *r)
{
    free(r->backend);
    r->backend = NULL;
}

static const struct reader_ops keyboard_ops = {.start = keyboard_start,
                                               .type = keyboard_type,
                                               .typing = keyboard_typing,
                                               .destroy = keyboard_destroy};

int reader_keyboard_open(struct reader *r, char *why, size_t cap)
{
    r->backend = calloc(1, sizeof(struct keyboard));
    if (!r->backend) {
        if (why && cap)
            snprintf(why, cap, "out of memory");
        return READER_ENOMEM;
    }
    r->ops = &keyboard_ops;
    return READER_OK;
}
