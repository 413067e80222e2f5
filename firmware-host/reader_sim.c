/* The scripted reader: lines from a file or a FIFO, for tests, benchmarks and the demo.
 *
 *   place UID     a card is presented (any UID form cpd-admin accepts)
 *   remove        the card is taken away
 *   unplug        the reader goes silent (reader down)
 *   replug        it answers again (reader up)
 *   sleep MS      wait
 *   # comment     ignored, as are blank lines
 *
 * A FIFO is read as writers come and go; a file is read once. Bad lines are reported as
 * READER_REJECTED naming script:line, and skipped. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/error.h"
#include "firmware-host/reader_impl.h"

#define POLL_MS 100

struct sim {
    bool fifo;
    int fd;
    int line;
    char buf[1024];
    size_t used;
};

static void run_line(struct reader *r, struct sim *s, char *text)
{
    char where[READER_PATH_MAX + 64];
    snprintf(where, sizeof(where), "%s:%d", r->cfg.script, s->line);
    while (isspace((unsigned char)*text))
        text++;
    text[strcspn(text, "\r\n")] = '\0';
    if (!*text || *text == '#')
        return;
    char *arg = text + strcspn(text, " \t");
    if (*arg)
        *arg++ = '\0';
    while (isspace((unsigned char)*arg))
        arg++;
    char reason[READER_PATH_MAX + 160];
    if (strcmp(text, "place") == 0) {
        struct uid uid;
        int err = uid_parse(arg, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
        if (err == UID_OK) {
            reader_emit(r, READER_CARD, &uid, NULL);
            return;
        }
        snprintf(reason, sizeof(reason), "%s: place: %s", where, cpd_strerror(err));
    } else if (strcmp(text, "remove") == 0 && !*arg) {
        reader_emit(r, READER_REMOVED, NULL, NULL);
        return;
    } else if (strcmp(text, "unplug") == 0 && !*arg) {
        reader_emit(r, READER_DOWN, NULL, "reader unplugged (simulated)");
        return;
    } else if (strcmp(text, "replug") == 0 && !*arg) {
        reader_emit(r, READER_UP, NULL, NULL);
        return;
    } else if (strcmp(text, "sleep") == 0) {
        char *end = NULL;
        long ms = strtol(arg, &end, 10);
        if (end != arg && !*end && ms >= 0 && ms <= 3600000) {
            reader_nap(&r->stop, ms);
            return;
        }
        snprintf(reason, sizeof(reason), "%s: sleep: expected milliseconds, got \"%s\"", where,
                 arg);
    } else {
        snprintf(reason, sizeof(reason),
                 "%s: unknown command \"%s\" (expected place, remove, unplug, replug, sleep)",
                 where, text);
    }
    reader_emit(r, READER_REJECTED, NULL, reason);
}

/* Hands every complete line in the buffer to run_line. */
static void run_lines(struct reader *r, struct sim *s, bool flush)
{
    char *start = s->buf;
    char *nl;
    while ((nl = memchr(start, '\n', s->used - (size_t)(start - s->buf))) != NULL) {
        *nl = '\0';
        s->line++;
        run_line(r, s, start);
        start = nl + 1;
    }
    size_t left = s->used - (size_t)(start - s->buf);
    if (flush && left) {
        s->buf[s->used] = '\0';
        s->line++;
        run_line(r, s, start);
        left = 0;
    } else if (left == sizeof(s->buf) - 1) {
        left = 0; /* an endless line: drop it */
    }
    memmove(s->buf, start, left);
    s->used = left;
}

static int open_script(struct reader *r, struct sim *s)
{
    s->fd = open(r->cfg.script, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    return s->fd < 0 ? -1 : 0;
}

static void sim_run(struct reader *r)
{
    struct sim *s = r->backend;
    reader_emit(r, READER_UP, NULL, NULL);
    while (!reader_stopping(&r->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int n = poll(&p, 1, POLL_MS);
        if (n <= 0)
            continue;
        ssize_t got = read(s->fd, s->buf + s->used, sizeof(s->buf) - 1 - s->used);
        if (got > 0) {
            s->used += (size_t)got;
            run_lines(r, s, false);
        } else if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
            run_lines(r, s, true);
            if (!s->fifo) {
                /* The script is over: the reader stays up, with nothing more to say. */
                while (reader_nap(&r->stop, 1000))
                    ;
                break;
            }
            /* The FIFO's writer went away: wait for the next one. */
            close(s->fd);
            if (open_script(r, s) != 0) {
                reader_emit(r, READER_DOWN, NULL, "the simulated reader's FIFO is gone");
                break;
            }
            reader_nap(&r->stop, POLL_MS);
        }
    }
}

static void sim_destroy(struct reader *r)
{
    struct sim *s = r->backend;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

static const struct reader_ops sim_ops = {.run = sim_run, .destroy = sim_destroy};

int reader_sim_open(struct reader *r, char *why, size_t cap)
{
    struct sim *s = calloc(1, sizeof(*s));
    if (!s)
        return READER_ENOMEM;
    s->fd = -1;
    struct stat st;
    if (!r->cfg.script[0] || open_script(r, s) != 0 || fstat(s->fd, &st) != 0) {
        snprintf(why, cap, "%s: %s", r->cfg.script[0] ? r->cfg.script : "(no script)",
                 r->cfg.script[0] ? strerror(errno) : "[reader] script is not set");
        r->backend = s;
        sim_destroy(r);
        return READER_EOPEN;
    }
    s->fifo = S_ISFIFO(st.st_mode);
    r->backend = s;
    r->ops = &sim_ops;
    return READER_OK;
}
