#define _GNU_SOURCE /* posix_openpt, ptsname_r */
#include "tests/pn532/pn532_emu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TFI_HOST 0xD4
#define TFI_PN   0xD5

struct pn532_emu {
    pthread_t thread;
    pthread_mutex_t lock;
    int master, slave; /* -1 when hung up */
    char link[512];
    bool stopping;
    bool has_card;
    struct pn532_card card;
    bool silent;
    bool corrupt_next;
    int slow_ms;
    bool realistic; /* replies take the time a real PN532 at 115200 baud takes */
    int work_us;    /* … for the command being answered */
    bool target;    /* a target is listed (InListPassiveTarget found one, not released) */
    bool hold;
    bool auto_rats; /* SetParameters' fAutomaticRATS: a SAK 20 card is taken to layer 4 */
    bool layer4;    /* the selected card was (it answers ISO14443-4 blocks) */
    struct pn532_stats stats;
    uint8_t regs[65536];
    uint8_t in[1024];
    size_t in_len;
    int wake_pipe[2]; /* wakes the thread for stop/replug */
};

/* ---- cards ------------------------------------------------------------------------------- */

static size_t parse_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    unsigned v;
    while (n < cap && sscanf(hex, "%2x", &v) == 1) {
        out[n++] = (uint8_t)v;
        hex += 2;
        while (*hex == ':' || *hex == ' ' || *hex == '-')
            hex++;
        if (!*hex)
            break;
    }
    return n;
}

static struct pn532_card card(const char *uid_hex, uint8_t a0, uint8_t a1, uint8_t sak)
{
    struct pn532_card c = {.atqa = {a0, a1}, .sak = sak};
    c.uid_len = parse_hex(uid_hex, c.uid, sizeof(c.uid));
    return c;
}

struct pn532_card pn532_card_kind(const char *uid_hex, uint8_t atqa0, uint8_t atqa1, uint8_t sak)
{
    return card(uid_hex, atqa0, atqa1, sak);
}

struct pn532_card pn532_card_classic(const char *uid_hex)
{
    return card(uid_hex, 0x00, 0x04, 0x08);
}

struct pn532_card pn532_card_iso14443_4(const char *uid_hex)
{
    return card(uid_hex, 0x03, 0x44, 0x20);
}

struct pn532_card pn532_card_ultralight(const char *uid_hex)
{
    return card(uid_hex, 0x00, 0x44, 0x00);
}

/* ---- the pty ----------------------------------------------------------------------------- */

static int open_pty(struct pn532_emu *e)
{
    char path[256];
    e->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (e->master < 0 || grantpt(e->master) != 0 || unlockpt(e->master) != 0 ||
        ptsname_r(e->master, path, sizeof(path)) != 0)
        return -1;
    /* Hold the slave open: without it the master reads EIO whenever libnfc closes its fd. */
    e->slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (e->slave < 0)
        return -1;
    struct termios t;
    tcgetattr(e->slave, &t);
    cfmakeraw(&t);
    tcsetattr(e->slave, TCSANOW, &t);
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp", e->link);
    unlink(tmp);
    if (symlink(path, tmp) != 0 || rename(tmp, e->link) != 0)
        return -1;
    return 0;
}

static void close_pty(struct pn532_emu *e)
{
    if (e->slave >= 0)
        close(e->slave);
    if (e->master >= 0)
        close(e->master);
    e->slave = e->master = -1;
}

/* ---- frames ------------------------------------------------------------------------------ */

static const uint8_t ack[6] = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};

static size_t build_frame(uint8_t *out, const uint8_t *data, size_t n, bool corrupt)
{
    size_t len = n + 1; /* TFI + data */
    size_t i = 0;
    out[i++] = 0x00;
    out[i++] = 0x00;
    out[i++] = 0xFF;
    out[i++] = (uint8_t)len;
    out[i++] = (uint8_t)(0x100 - len);
    out[i++] = TFI_PN;
    uint8_t sum = TFI_PN;
    for (size_t k = 0; k < n; k++) {
        out[i++] = data[k];
        sum = (uint8_t)(sum + data[k]);
    }
    out[i++] = (uint8_t)(0x100 - sum + (corrupt ? 1 : 0));
    out[i++] = 0x00;
    return i;
}

static void write_all(int fd, const uint8_t *buf, size_t n)
{
    while (n > 0 && fd >= 0) {
        ssize_t w = write(fd, buf, n);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return;
        }
        buf += w;
        n -= (size_t)w;
    }
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* ACK and the reply in one write (libnfc reads both). */
static void reply(struct pn532_emu *e, const uint8_t *data, size_t n)
{
    uint8_t out[300];
    pthread_mutex_lock(&e->lock);
    bool corrupt = e->corrupt_next;
    e->corrupt_next = false;
    int slow = e->slow_ms;
    bool hold = e->hold;
    int fd = e->master;
    e->stats.commands++;
    e->stats.held += hold;
    pthread_mutex_unlock(&e->lock);
    memcpy(out, ack, sizeof(ack));
    if (hold) { /* acknowledged, never answered: only the host's abort ends it */
        write_all(fd, out, sizeof(ack));
        return;
    }
    size_t len = sizeof(ack) + build_frame(out + sizeof(ack), data, n, corrupt);
    pthread_mutex_lock(&e->lock);
    bool realistic = e->realistic;
    int work_us = e->work_us;
    pthread_mutex_unlock(&e->lock);
    if (realistic) { /* the ACK at once; the reply after the chip's work and the line's time */
        write_all(fd, out, sizeof(ack));
        int line_us = (int)((len - sizeof(ack)) * 87); /* 10 bits a byte at 115200 baud */
        struct timespec t = {0, (long)(work_us + line_us) * 1000L};
        nanosleep(&t, NULL);
        write_all(fd, out + sizeof(ack), len - sizeof(ack));
    } else if (slow > 0) {
        write_all(fd, out, sizeof(ack));
        sleep_ms(slow);
        write_all(fd, out + sizeof(ack), len - sizeof(ack));
    } else {
        write_all(fd, out, len);
    }
}

static void error_frame(struct pn532_emu *e)
{
    static const uint8_t err[8] = {0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};
    uint8_t out[14];
    memcpy(out, ack, sizeof(ack));
    memcpy(out + sizeof(ack), err, sizeof(err));
    write_all(e->master, out, sizeof(out));
}

/* ---- commands ---------------------------------------------------------------------------- */

static size_t target_data(const struct pn532_card *c, bool ats, uint8_t *out)
{
    size_t i = 0;
    out[i++] = 0x01; /* target number */
    out[i++] = c->atqa[0];
    out[i++] = c->atqa[1];
    out[i++] = c->sak;
    out[i++] = (uint8_t)c->uid_len;
    memcpy(out + i, c->uid, c->uid_len);
    i += c->uid_len;
    if (ats) { /* RATS sent, as the chip does only when fAutomaticRATS is set: the ATS */
        static const uint8_t ats_bytes[] = {0x05, 0x78, 0x80, 0x70, 0x02};
        memcpy(out + i, ats_bytes, sizeof(ats_bytes));
        i += sizeof(ats_bytes);
    }
    return i;
}

static void in_list_passive_target(struct pn532_emu *e, const uint8_t *d, size_t n)
{
    uint8_t out[64] = {0x4B, 0x00};
    size_t len = 2;
    pthread_mutex_lock(&e->lock);
    struct pn532_card c = e->card;
    bool present = e->has_card;
    e->stats.selects++;
    pthread_mutex_unlock(&e->lock);
    /* d: MaxTg BrTy [initiator data: the UID to re-select, for presence checks; libnfc puts the
     * cascade tag 88 before each level of a 7- or 10-byte UID] */
    uint8_t cascaded[16];
    size_t clen = 0;
    if (c.uid_len == 4) {
        memcpy(cascaded, c.uid, 4);
        clen = 4;
    } else if (c.uid_len == 7) {
        cascaded[0] = 0x88;
        memcpy(cascaded + 1, c.uid, 7);
        clen = 8;
    } else if (c.uid_len == 10) {
        cascaded[0] = 0x88;
        memcpy(cascaded + 1, c.uid, 3);
        cascaded[4] = 0x88;
        memcpy(cascaded + 5, c.uid + 3, 7);
        clen = 12;
    }
    bool wanted = n < 3 || (n - 2 == c.uid_len && memcmp(d + 2, c.uid, c.uid_len) == 0) ||
                  (n - 2 == clen && memcmp(d + 2, cascaded, clen) == 0);
    if (n >= 3) {
        pthread_mutex_lock(&e->lock);
        e->stats.presence_checks++;
        pthread_mutex_unlock(&e->lock);
    }
    pthread_mutex_lock(&e->lock);
    /* The chip's time: a REQA/anticollision round, one more select per cascade level. */
    e->work_us = 1500 + (present && wanted ? 1200 * (c.uid_len == 4   ? 1
                                                     : c.uid_len == 7 ? 2
                                                                      : 3)
                                           : 0);
    e->target = present && wanted && n >= 2 && d[1] == 0x00;
    pthread_mutex_unlock(&e->lock);
    if (present && wanted && n >= 2 && d[1] == 0x00) {
        pthread_mutex_lock(&e->lock);
        e->layer4 = e->auto_rats && (c.sak & 0x20);
        bool ats = e->layer4;
        pthread_mutex_unlock(&e->lock);
        out[1] = 0x01;
        len = 2 + target_data(&c, ats, out + 2);
    }
    reply(e, out, len);
}

static bool card_present(struct pn532_emu *e)
{
    pthread_mutex_lock(&e->lock);
    bool present = e->has_card;
    e->stats.presence_checks++;
    pthread_mutex_unlock(&e->lock);
    return present;
}

static bool listed(struct pn532_emu *e)
{
    pthread_mutex_lock(&e->lock);
    bool t = e->target;
    e->work_us = 3000; /* an exchange with the card */
    pthread_mutex_unlock(&e->lock);
    return t;
}

static void command(struct pn532_emu *e, const uint8_t *d, size_t n)
{
    pthread_mutex_lock(&e->lock);
    e->work_us = 300; /* most commands: the chip's own work is quick */
    pthread_mutex_unlock(&e->lock);
    uint8_t out[64];
    size_t len = 0;
    uint8_t cmd = d[0];
    d++;
    n--;
    switch (cmd) {
    case 0x00: /* Diagnose: echo */
        out[len++] = 0x01;
        memcpy(out + len, d, n < 60 ? n : 60);
        len += n < 60 ? n : 60;
        break;
    case 0x02: /* GetFirmwareVersion: PN532 v1.6 */
        memcpy(out, (uint8_t[]){0x03, 0x32, 0x01, 0x06, 0x07}, 5);
        len = 5;
        break;
    case 0x06: /* ReadRegister: one byte per 2-byte address */
        out[len++] = 0x07;
        for (size_t i = 0; i + 1 < n && len < sizeof(out); i += 2)
            out[len++] = e->regs[(d[i] << 8) | d[i + 1]];
        break;
    case 0x08: /* WriteRegister: address (2) + value triples */
        for (size_t i = 0; i + 2 < n; i += 3)
            e->regs[(d[i] << 8) | d[i + 1]] = d[i + 2];
        out[len++] = 0x09;
        break;
    case 0x12: /* SetParameters: flags; bit 4 is fAutomaticRATS */
        pthread_mutex_lock(&e->lock);
        e->auto_rats = n >= 1 && (d[0] & 0x10);
        pthread_mutex_unlock(&e->lock);
        out[len++] = 0x13;
        break;
    case 0x14: /* SAMConfiguration */
    case 0x32: /* RFConfiguration */
        out[len++] = (uint8_t)(cmd + 1);
        break;
    case 0x44: /* InDeselect */
    case 0x52: /* InRelease */
        pthread_mutex_lock(&e->lock);
        e->target = false;
        e->layer4 = false;
        pthread_mutex_unlock(&e->lock);
        out[len++] = (uint8_t)(cmd + 1);
        out[len++] = 0x00;
        break;
    case 0x16: /* PowerDown */
        out[len++] = (uint8_t)(cmd + 1);
        out[len++] = 0x00;
        break;
    case 0x4A:
        in_list_passive_target(e, d, n);
        return;
    case 0x42: /* InCommunicateThru: ISO14443-4 presence check (B2) */
        out[len++] = 0x43;
        if (!listed(e)) { /* the chip's own refusal: no target to talk to */
            out[len++] = 0x27;
            break;
        }
        /* Only a card taken to layer 4 answers an R(NAK); at layer 3 it stays silent. */
        if (n >= 1 && d[0] == 0xB2 && card_present(e) && e->layer4) {
            out[len++] = 0x00;
            out[len++] = 0xA2;
        } else {
            out[len++] = 0x01; /* nothing answered */
        }
        break;
    case 0x40: /* InDataExchange: Ultralight presence check (READ page 0) */
        out[len++] = 0x41;
        if (!listed(e)) { /* "not acceptable in the current context": no target listed */
            out[len++] = 0x27;
            break;
        }
        /* READ page 0: an Ultralight / NTAG (ATQA 00 44, SAK 00) answers; others do not. */
        if (n >= 3 && d[1] == 0x30 && card_present(e) && e->card.atqa[0] == 0x00 &&
            e->card.atqa[1] == 0x44 && e->card.sak == 0x00) {
            out[len++] = 0x00;
            memcpy(out + len, e->card.uid, 16 < sizeof(e->card.uid) ? 16 : sizeof(e->card.uid));
            len += sizeof(e->card.uid);
            memset(out + len, 0, 6);
            len += 6;
        } else {
            out[len++] = 0x01;
        }
        break;
    default:
        fprintf(stderr, "pn532-emu: UNKNOWN COMMAND 0x%02X (%zu bytes of data) -> error frame\n",
                cmd, n);
        pthread_mutex_lock(&e->lock);
        e->stats.unknown++;
        pthread_mutex_unlock(&e->lock);
        error_frame(e);
        return;
    }
    reply(e, out, len);
}

/* Consumes complete frames from the input buffer. */
static void parse(struct pn532_emu *e)
{
    for (;;) {
        size_t i = 0;
        /* The wake-up preamble (55 55 00 …) and any noise before a start code. */
        while (i + 1 < e->in_len && !(e->in[i] == 0x00 && e->in[i + 1] == 0xFF))
            i++;
        if (i + 1 >= e->in_len) {
            if (e->in_len > 0 && e->in[e->in_len - 1] == 0x00) {
                e->in[0] = 0x00;
                e->in_len = 1;
            } else {
                e->in_len = 0;
            }
            return;
        }
        size_t start = i + 2; /* after 00 FF */
        if (e->in_len < start + 2)
            goto keep;
        uint8_t len = e->in[start], lcs = e->in[start + 1];
        if (len == 0x00 && lcs == 0xFF) { /* the host's ACK: abort the pending command */
            pthread_mutex_lock(&e->lock);
            e->stats.aborts++;
            pthread_mutex_unlock(&e->lock);
            memmove(e->in, e->in + start + 2, e->in_len - start - 2);
            e->in_len -= start + 2;
            continue;
        }
        if ((uint8_t)(len + lcs) != 0 || len == 0) { /* not a frame: skip this start code */
            memmove(e->in, e->in + start, e->in_len - start);
            e->in_len -= start;
            continue;
        }
        if (e->in_len < start + 2 + len + 1)
            goto keep;
        const uint8_t *body = e->in + start + 2;
        uint8_t sum = 0;
        for (size_t k = 0; k < len; k++)
            sum = (uint8_t)(sum + body[k]);
        bool ok = body[0] == TFI_HOST && (uint8_t)(sum + body[len]) == 0 && len >= 2;
        uint8_t frame[256];
        memcpy(frame, body + 1, len - 1);
        size_t used = start + 2 + len + 1;
        if (used < e->in_len && e->in[used] == 0x00)
            used++; /* postamble */
        memmove(e->in, e->in + used, e->in_len - used);
        e->in_len -= used;
        pthread_mutex_lock(&e->lock);
        bool silent = e->silent;
        pthread_mutex_unlock(&e->lock);
        if (!ok)
            fprintf(stderr, "pn532-emu: bad frame from the host (checksum or TFI)\n");
        else if (!silent)
            command(e, frame, len - 1);
        continue;
    keep:
        if (i > 0) {
            memmove(e->in, e->in + i, e->in_len - i);
            e->in_len -= i;
        }
        return;
    }
}

static void *emu_thread(void *arg)
{
    struct pn532_emu *e = arg;
    for (;;) {
        pthread_mutex_lock(&e->lock);
        bool stop = e->stopping;
        int fd = e->master;
        pthread_mutex_unlock(&e->lock);
        if (stop)
            break;
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                              {.fd = e->wake_pipe[0], .events = POLLIN}};
        int n = poll(p, 2, 200);
        if (n <= 0)
            continue;
        if (p[1].revents) {
            char b[16];
            if (read(e->wake_pipe[0], b, sizeof(b)) < 0) {
                /* nothing to do: the wake-up is the point */
            }
            continue;
        }
        if (fd < 0 || !(p[0].revents & POLLIN))
            continue;
        ssize_t got = read(fd, e->in + e->in_len, sizeof(e->in) - e->in_len);
        if (got <= 0)
            continue;
        e->in_len += (size_t)got;
        parse(e);
        if (e->in_len == sizeof(e->in))
            e->in_len = 0;
    }
    return NULL;
}

static void wake(struct pn532_emu *e)
{
    if (write(e->wake_pipe[1], "x", 1) < 0) {
        /* the pipe is full: the thread is awake anyway */
    }
}

int pn532_emu_start(const char *link_path, struct pn532_emu **out)
{
    struct pn532_emu *e = calloc(1, sizeof(*e));
    if (!e)
        return -1;
    e->master = e->slave = -1;
    snprintf(e->link, sizeof(e->link), "%s", link_path);
    pthread_mutex_init(&e->lock, NULL);
    e->auto_rats = true; /* the chip's own default, until SetParameters says otherwise */
    if (pipe2(e->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0 || open_pty(e) != 0 ||
        pthread_create(&e->thread, NULL, emu_thread, e) != 0) {
        close_pty(e);
        free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void pn532_emu_stop(struct pn532_emu *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->stopping = true;
    pthread_mutex_unlock(&e->lock);
    wake(e);
    pthread_join(e->thread, NULL);
    close_pty(e);
    unlink(e->link);
    close(e->wake_pipe[0]);
    close(e->wake_pipe[1]);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void pn532_emu_place(struct pn532_emu *e, const struct pn532_card *c)
{
    pthread_mutex_lock(&e->lock);
    e->card = *c;
    e->has_card = true;
    pthread_mutex_unlock(&e->lock);
}

void pn532_emu_remove(struct pn532_emu *e)
{
    pthread_mutex_lock(&e->lock);
    e->has_card = false;
    pthread_mutex_unlock(&e->lock);
}

void pn532_emu_silent(struct pn532_emu *e, bool silent)
{
    pthread_mutex_lock(&e->lock);
    e->silent = silent;
    pthread_mutex_unlock(&e->lock);
}

void pn532_emu_hangup(struct pn532_emu *e)
{
    pthread_mutex_lock(&e->lock);
    close_pty(e);
    pthread_mutex_unlock(&e->lock);
    unlink(e->link);
    wake(e);
}

int pn532_emu_replug(struct pn532_emu *e)
{
    pthread_mutex_lock(&e->lock);
    close_pty(e);
    e->in_len = 0;
    int rc = open_pty(e);
    pthread_mutex_unlock(&e->lock);
    wake(e);
    return rc;
}

void pn532_emu_corrupt_next(struct pn532_emu *e)
{
    pthread_mutex_lock(&e->lock);
    e->corrupt_next = true;
    pthread_mutex_unlock(&e->lock);
}

void pn532_emu_slow(struct pn532_emu *e, int delay_ms)
{
    pthread_mutex_lock(&e->lock);
    e->slow_ms = delay_ms;
    pthread_mutex_unlock(&e->lock);
}

void pn532_emu_realistic(struct pn532_emu *e, bool on)
{
    pthread_mutex_lock(&e->lock);
    e->realistic = on;
    pthread_mutex_unlock(&e->lock);
}

void pn532_emu_hold(struct pn532_emu *e, bool hold)
{
    pthread_mutex_lock(&e->lock);
    e->hold = hold;
    pthread_mutex_unlock(&e->lock);
}

void pn532_emu_stats(struct pn532_emu *e, struct pn532_stats *out)
{
    pthread_mutex_lock(&e->lock);
    *out = e->stats;
    pthread_mutex_unlock(&e->lock);
}
