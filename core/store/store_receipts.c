/* The tap receipts: a trace of every event this store committed, kept outside the database
 * file so that a lost or damaged WAL cannot take the evidence with it. After each commit that
 * added events, one line per event — "SEQ HASH\n", the hash in hex — is appended to
 * PATH-receipts and fsynced, before the caller is told the commit worked. verify, the kiosk's
 * start-up check and salvage compare it with the events there are (docs/recovery.md).
 *
 * Several processes may append (the kiosk, cpd-admin): each commit's lines go in one write()
 * to a file opened O_APPEND, so lines never interleave; they may arrive out of seq order, and
 * readers never assume an order. A line cut by a crash is the tail of a write that was never
 * acknowledged: the next append first ends it, so every line but a torn one parses. */
#include "core/store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/grow.h"
#include "core/base/readfully.h"
#include "core/base/utf8.h"

/* One line: up to 19 digits, a space, 64 hex digits, a space, the line's check (8 hex digits:
 * the first 4 bytes of SHA-256 over what comes before it), a newline. A line a bit flip
 * changed fails its check and counts as damaged — never as another acknowledged event. */
#define CHECK_HEX      8
#define LINE_MAX_BYTES (19 + 1 + 2 * CRYPTO_HASH_BYTES + 1 + CHECK_HEX + 1)
/* Larger is not a kiosk's receipts (a purge keeps them to the events the store holds). */
#define MAX_FILE_BYTES (256 * 1024 * 1024)
/* The start-up check reads the newest lines only: they hold the highest seqs written. */
#define TAIL_BYTES (64 * LINE_MAX_BYTES)

int store_receipts_path(const char *db_path, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s-receipts", db_path);
    return n > 0 && (size_t)n < cap ? STORE_OK : STORE_EINVALID;
}

void receipts_queue(struct store *s, const struct event *e)
{
    struct store_receipt *grown =
        grow(s->pending, &s->cap_pending, s->n_pending, sizeof(*s->pending), 8);
    if (!grown) {
        s->pending_lost = true; /* said at the flush: the commit then fails */
        return;
    }
    s->pending = grown;
    s->pending[s->n_pending].seq = e->seq;
    memcpy(s->pending[s->n_pending].hash, e->hash, CRYPTO_HASH_BYTES);
    s->n_pending++;
}

void receipts_drop(struct store *s)
{
    s->n_pending = s->n_committed;
    s->pending_lost = false;
}

/* A new file's name is durable only once its directory is synced. */
static int sync_directory_of(const char *path)
{
    char copy[4096 + 32];
    if (strlen(path) >= sizeof(copy))
        return -1;
    memcpy(copy, path, strlen(path) + 1);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int receipts_open(struct store *s, char *name, size_t cap)
{
    if (store_receipts_path(s->path, name, cap) != STORE_OK)
        return STORE_EINVALID;
    if (s->receipts_fd >= 0)
        return STORE_OK;
    /* Never through a symbolic link (as the database itself). */
    int fd = open(name, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        fd = open(name, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0 && sync_directory_of(name) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0)
        return st_errno(errno, true);
    s->receipts_fd = fd;
    return STORE_OK;
}

static bool same_file(int fd, const char *name)
{
    struct stat have, named;
    return fstat(fd, &have) == 0 && lstat(name, &named) == 0 && have.st_ino == named.st_ino &&
           have.st_dev == named.st_dev;
}

static int lock(int fd, int how)
{
    while (flock(fd, how) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* The file, locked shared for an append. A purge rewrites it under an exclusive lock and
 * renames the new one into place (receipts_compact): an fd of the file it replaced is noticed
 * here, after the lock, and the file opened again — no receipt is written where nobody looks. */
static int receipts_lock(struct store *s, char *name, size_t cap)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        int err = receipts_open(s, name, cap);
        if (err != STORE_OK)
            return err;
        if (lock(s->receipts_fd, LOCK_SH) != 0)
            return st_errno(errno, true);
        if (same_file(s->receipts_fd, name))
            return STORE_OK;
        flock(s->receipts_fd, LOCK_UN);
        close(s->receipts_fd);
        s->receipts_fd = -1;
    }
    errno = EAGAIN;
    return STORE_EBUSY;
}

/* Writes all of buf: a short write (a full disk) is an error, never half a line left. */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : ENOSPC;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static void line_check(const char *text, size_t n, char out[CHECK_HEX + 1]);

/* "SEQ HASH CHECK\n" into out (cap ≥ LINE_MAX_BYTES + 1); returns its length. */
static size_t format_line(const struct store_receipt *r, char *out, size_t cap)
{
    char hex[2 * CRYPTO_HASH_BYTES + 1], check[CHECK_HEX + 1];
    crypto_hex(hex, r->hash, CRYPTO_HASH_BYTES);
    int n = snprintf(out, cap, "%lld %s", (long long)r->seq, hex);
    line_check(out, (size_t)n, check);
    return (size_t)n + (size_t)snprintf(out + n, cap - (size_t)n, " %s\n", check);
}

int receipts_flush(struct store *s)
{
    s->n_committed = s->n_pending;
    if (s->pending_lost) {
        /* A receipt that could not even be queued: the commit is not acknowledged (it says
         * so); the others are written with the next one. */
        s->pending_lost = false;
        snprintf(s->message, sizeof(s->message), "out of memory for the tap receipts");
        return STORE_ENOMEM;
    }
    if (s->n_pending == 0)
        return STORE_OK;
    char name[4096 + 16];
    int err = receipts_lock(s, name, sizeof(name));
    if (err != STORE_OK) {
        utf8_printf(s->message, sizeof(s->message), "%s: %s", name, strerror(errno));
        return err;
    }
    size_t cap = s->n_pending * LINE_MAX_BYTES + 2, used = 0;
    char *buf = malloc(cap);
    struct stat st;
    int os = buf ? 0 : ENOMEM;
    if (!os && fstat(s->receipts_fd, &st) != 0)
        os = errno;
    if (!os) {
        /* A line a crash cut short is ended first, so it can never swallow this one. */
        char last = '\n';
        if (st.st_size > 0 && pread(s->receipts_fd, &last, 1, st.st_size - 1) != 1)
            os = errno ? errno : EIO;
        if (last != '\n')
            buf[used++] = '\n';
    }
    for (size_t i = 0; !os && i < s->n_pending; i++)
        used += format_line(&s->pending[i], buf + used, cap - used);
    if (!os)
        os = write_all(s->receipts_fd, buf, used);
    if (!os && fdatasync(s->receipts_fd) != 0)
        os = errno;
    free(buf);
    flock(s->receipts_fd, LOCK_UN);
    if (os) {
        /* Nothing half-written stays: the next commit writes these lines again with its own. */
        if (os != ENOMEM && ftruncate(s->receipts_fd, st.st_size) != 0) {
            close(s->receipts_fd);
            s->receipts_fd = -1;
        }
        utf8_printf(s->message, sizeof(s->message), "%s: %s", name, strerror(os));
        return os == ENOMEM ? STORE_ENOMEM : st_errno(os, true);
    }
    s->n_pending = s->n_committed = 0;
    return STORE_OK;
}

/* ---- reading ------------------------------------------------------------------------------ */

static int read_all(int fd, char **out, size_t *n);
static bool parse_line(const char *line, size_t n, struct store_receipt *out);

/* After a purge: the receipts of purged events go too (the chain starts at keep_from; the
 * ledger holds the rest), so the file stays the size of what the store holds. Written beside
 * it, synced and renamed into place, under the exclusive lock appenders wait on; lines that do
 * not parse are kept (evidence), a torn last line is not (never acknowledged). */
int receipts_compact(struct store *s, int64_t keep_from)
{
    char name[4096 + 16], tmp[4096 + 32];
    if (store_receipts_path(s->path, name, sizeof(name)) != STORE_OK)
        return STORE_EINVALID;
    snprintf(tmp, sizeof(tmp), "%s.new", name);
    int fd = open(name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? STORE_OK : st_errno(errno, true);
    char *text = NULL, *kept = NULL;
    size_t n = 0, used = 0;
    int os = lock(fd, LOCK_EX) == 0 && same_file(fd, name) ? 0 : errno ? errno : EAGAIN;
    if (!os && read_all(fd, &text, &n) != 0)
        os = errno ? errno : EIO;
    if (!os && !(kept = malloc(n + 1)))
        os = ENOMEM;
    for (size_t at = 0; !os && at < n;) {
        const char *nl = memchr(text + at, '\n', n - at);
        if (!nl)
            break; /* torn */
        size_t len = (size_t)(nl - (text + at));
        struct store_receipt one;
        if (len > 0 && !(parse_line(text + at, len, &one) && one.seq < keep_from)) {
            memcpy(kept + used, text + at, len + 1);
            used += len + 1;
        }
        at += len + 1;
    }
    int out = -1;
    if (!os && (out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        os = errno;
    if (!os && (write_all(out, kept, used) != 0 || fsync(out) != 0))
        os = errno ? errno : EIO;
    if (out >= 0 && close(out) != 0 && !os)
        os = errno;
    if (!os && (rename(tmp, name) != 0 || sync_directory_of(name) != 0))
        os = errno;
    if (os)
        unlink(tmp);
    flock(fd, LOCK_UN);
    close(fd);
    free(text);
    free(kept);
    if (s->receipts_fd >= 0) { /* the file it had is gone: the next append opens the new one */
        close(s->receipts_fd);
        s->receipts_fd = -1;
    }
    if (os)
        utf8_printf(s->message, sizeof(s->message), "%s: %s", name, strerror(os));
    return os ? st_errno(os, true) : STORE_OK;
}

/* The check of a line's text before it (its first n bytes). */
static void line_check(const char *text, size_t n, char out[CHECK_HEX + 1])
{
    uint8_t digest[CRYPTO_HASH_BYTES];
    crypto_sha256(digest, text, n, NULL, 0);
    crypto_hex(out, digest, CHECK_HEX / 2);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One line without its newline: "SEQ HASH CHECK", exactly, its check right. */
static bool parse_line(const char *line, size_t n, struct store_receipt *out)
{
    size_t i = 0;
    int64_t seq = 0;
    while (i < n && line[i] >= '0' && line[i] <= '9' && i < 18)
        seq = seq * 10 + (line[i++] - '0');
    if (i == 0 || seq <= 0 || i >= n || line[i] != ' ' ||
        n - i - 1 != 2 * CRYPTO_HASH_BYTES + 1 + CHECK_HEX || line[n - CHECK_HEX - 1] != ' ')
        return false;
    char check[CHECK_HEX + 1];
    line_check(line, n - CHECK_HEX - 1, check);
    if (memcmp(check, line + n - CHECK_HEX, CHECK_HEX) != 0)
        return false;
    const char *hex = line + i + 1;
    for (size_t k = 0; k < CRYPTO_HASH_BYTES; k++) {
        int hi = hexval(hex[2 * k]), lo = hexval(hex[2 * k + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out->hash[k] = (uint8_t)(hi << 4 | lo);
    }
    out->seq = seq;
    return true;
}

static int add(struct store_receipts *r, const struct store_receipt *one)
{
    struct store_receipt *grown = grow(r->items, &r->cap, r->n, sizeof(*r->items), 256);
    if (!grown)
        return STORE_ENOMEM;
    r->items = grown;
    r->items[r->n++] = *one;
    if (one->seq > r->highest)
        r->highest = one->seq;
    return STORE_OK;
}

/* Parses text[0..n): complete lines only; the text before the first newline is skipped when
 * partial (a tail read from the middle of the file). */
static int parse_text(struct store_receipts *r, const char *text, size_t n, bool partial_head,
                      int64_t line_no)
{
    size_t at = 0;
    if (partial_head) {
        const char *nl = memchr(text, '\n', n);
        at = nl ? (size_t)(nl - text) + 1 : n;
    }
    while (at < n) {
        const char *nl = memchr(text + at, '\n', n - at);
        if (!nl) {
            r->torn_tail = true; /* a write a crash cut: never acknowledged */
            break;
        }
        size_t len = (size_t)(nl - (text + at));
        struct store_receipt one;
        line_no++;
        if (len == 0) {
            /* the newline that ended a torn line */
        } else if (parse_line(text + at, len, &one)) {
            int err = add(r, &one);
            if (err != STORE_OK)
                return err;
        } else if (r->damaged_lines++ == 0) {
            r->first_damaged_line = line_no;
        }
        at += len + 1;
    }
    return STORE_OK;
}

/* n bytes from off; -1 (errno set, or 0 when the file is shorter) otherwise. */
static int read_span(int fd, char *buf, size_t n, off_t off)
{
    errno = 0;
    return read_fully(fd, buf, n, off) == (ssize_t)n ? 0 : -1;
}

static int read_all(int fd, char **out, size_t *n)
{
    struct stat st;
    *out = NULL;
    if (fstat(fd, &st) != 0)
        return -1;
    *n = (size_t)st.st_size;
    *out = malloc(*n ? *n : 1);
    if (!*out) {
        errno = ENOMEM;
        return -1;
    }
    return read_span(fd, *out, *n, 0);
}

static int read_receipts(const char *db_path, bool tail_only, struct store_receipts *out, char *why,
                         size_t why_cap)
{
    memset(out, 0, sizeof(*out));
    char name[4096 + 16];
    if (why && why_cap)
        why[0] = '\0';
    if (store_receipts_path(db_path, name, sizeof(name)) != STORE_OK)
        return STORE_EINVALID;
    /* A regular file of a sane size, never through a link: a FIFO would block, a device or
     * a huge file never end. */
    int fd = open(name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    int e = fd < 0 || fstat(fd, &st) != 0 ? errno
            : !S_ISREG(st.st_mode)        ? ENODEV
            : st.st_size > MAX_FILE_BYTES ? EFBIG
                                          : 0;
    if (e) {
        if (fd >= 0)
            close(fd);
        if (why && why_cap)
            utf8_printf(why, why_cap, "cannot read %s: %s", name,
                        e == ENODEV  ? "not a regular file"
                        : e == ELOOP ? "a symbolic link"
                        : e == EFBIG ? "larger than any kiosk's receipts (256 MiB)"
                                     : strerror(e));
        return e == ENOENT ? STORE_ENOTFOUND : e == EACCES ? STORE_ENOREAD : STORE_EIO;
    }
    out->exists = true;
    off_t from = tail_only && st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
    size_t n = (size_t)(st.st_size - from);
    char *text = malloc(n ? n : 1);
    int err = text ? STORE_OK : STORE_ENOMEM;
    if (err == STORE_OK && read_span(fd, text, n, from) != 0) {
        if (why && why_cap)
            utf8_printf(why, why_cap, "%s: %s", name, errno ? strerror(errno) : "cut short");
        err = STORE_EIO;
    }
    if (err == STORE_OK)
        err = parse_text(out, text, n, from > 0, 0);
    free(text);
    close(fd);
    if (err != STORE_OK)
        store_receipts_free(out);
    return err;
}

int store_receipts_read(const char *db_path, struct store_receipts *out, char *why, size_t cap)
{
    return read_receipts(db_path, false, out, why, cap);
}

int store_receipts_tail(const char *db_path, struct store_receipts *out, char *why, size_t cap)
{
    return read_receipts(db_path, true, out, why, cap);
}

void store_receipts_free(struct store_receipts *r)
{
    free(r->items);
    memset(r, 0, sizeof(*r));
}

/* ---- comparing --------------------------------------------------------------------------- */

int store_check_receipts(struct store *s, const struct store_receipts *r,
                         struct store_receipts_check *out)
{
    memset(out, 0, sizeof(*out));
    int64_t from = store_purged_below(s);
    for (size_t i = 0; i < r->n; i++) {
        const struct store_receipt *one = &r->items[i];
        out->receipts++;
        if (one->seq < from) /* purged after the ledger had it */
            continue;
        struct event e;
        int err = store_event_at(s, one->seq, &e);
        if (err == STORE_ENOTFOUND) {
            if (out->missing++ == 0 || one->seq < out->missing_low)
                out->missing_low = one->seq;
            if (one->seq > out->missing_high)
                out->missing_high = one->seq;
            continue;
        }
        if (err != STORE_OK)
            return err;
        if (memcmp(e.hash, one->hash, CRYPTO_HASH_BYTES) != 0 &&
            (out->differ++ == 0 || one->seq < out->first_differ))
            out->first_differ = one->seq;
    }
    return STORE_OK;
}

int store_unreceipted(struct store *s, int64_t from, int64_t to, int64_t *count, int64_t *first,
                      int64_t *last)
{
    *count = *first = *last = 0;
    if (to < from || !store_receipts_expected(s))
        return STORE_OK;
    if (to - from >= 50000000)
        return STORE_EINVALID; /* no kiosk wrote that many: the range itself is wrong */
    struct store_receipts r = {0};
    int err = store_receipts_read(s->path, &r, NULL, 0);
    if (err != STORE_OK && err != STORE_ENOTFOUND)
        return err;
    bool *seen = calloc((size_t)(to - from + 1), sizeof(*seen));
    if (!seen) {
        store_receipts_free(&r);
        return STORE_ENOMEM;
    }
    for (size_t i = 0; i < r.n; i++) {
        if (r.items[i].seq >= from && r.items[i].seq <= to)
            seen[r.items[i].seq - from] = true;
    }
    for (int64_t seq = from; seq <= to; seq++) {
        if (seen[seq - from])
            continue;
        if ((*count)++ == 0)
            *first = seq;
        *last = seq;
    }
    free(seen);
    store_receipts_free(&r);
    return STORE_OK;
}
