/* Looking at a store without touching it (store_open_readonly, store_open_damaged): a private
 * copy of the file and its WAL in $TMPDIR, taken again while the file changes under it, so
 * nothing is created or changed beside what may be the evidence of a broken disk, and a running
 * kiosk's store is seen at one consistent moment. */
#include "core/store/store_internal.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/tempdir.h"
#include "core/base/utf8.h"

/* Copies src to a new file dst (0600); *os receives errno on failure. */
static int copy_file(const char *src, const char *dst, int *os)
{
    char buf[65536];
    struct stat st;
    /* A regular file only: a FIFO or a device would block or never end. */
    int in = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC), out = -1, rc = -1;
    if (in >= 0 && (fstat(in, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(in);
        in = -1;
        errno = ENODEV;
    }
    if (in >= 0)
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    while (in >= 0 && out >= 0) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n == 0 ? 0 : -1;
            break;
        }
        ssize_t w = 0;
        while (w < n) {
            ssize_t k = write(out, buf + w, (size_t)(n - w));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                if (k == 0)
                    errno = ENOSPC;
                break;
            }
            w += k;
        }
        if (w < n)
            break;
    }
    *os = rc == 0 ? 0 : errno;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && rc == 0) {
        *os = errno;
        rc = -1;
    }
    return rc;
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ino == b->st_ino;
}

static const char *const copy_names[] = {"/look.db", "/look.db-wal", "/look.db-shm",
                                         "/look.db-journal"};

/* The private copies made and not yet removed, for store_look_remove_on_signal: a program
 * stopped by a signal must not leave a copy of everyone's taps in $TMPDIR. */
enum { COPIES = 4 };
static char copies[COPIES][sizeof(((struct store *)0)->private_dir)];
static volatile sig_atomic_t copy_used[COPIES];

static void copy_register(const char *dir, bool on)
{
    for (int i = 0; i < COPIES; i++) {
        if (on && !copy_used[i]) {
            snprintf(copies[i], sizeof(copies[i]), "%s", dir);
            copy_used[i] = 1;
            return;
        }
        if (!on && copy_used[i] && strcmp(copies[i], dir) == 0) {
            copy_used[i] = 0;
            return;
        }
    }
}

void store_look_remove_on_signal(void)
{
    for (int i = 0; i < COPIES; i++) {
        if (!copy_used[i])
            continue;
        size_t n = strlen(copies[i]);
        for (size_t j = 0; j < sizeof(copy_names) / sizeof(copy_names[0]); j++) {
            char name[sizeof(copies[i]) + 32];
            size_t m = strlen(copy_names[j]);
            if (n + m >= sizeof(name))
                continue;
            memcpy(name, copies[i], n); /* no snprintf: this runs in a signal handler */
            memcpy(name + n, copy_names[j], m + 1);
            unlink(name);
        }
        rmdir(copies[i]);
        copy_used[i] = 0;
    }
}

void remove_private_copy(struct store *s)
{
    const char *const *names = copy_names;
    if (!s->private_dir[0])
        return;
    copy_register(s->private_dir, false);
    for (size_t i = 0; i < sizeof(copy_names) / sizeof(copy_names[0]); i++) {
        char name[4096 + 32];
        snprintf(name, sizeof(name), "%s%s", s->private_dir, names[i]);
        unlink(name);
    }
    rmdir(s->private_dir);
    s->private_dir[0] = '\0';
}

/* The file and its WAL copied into a private folder (0700 under $TMPDIR), WAL first, again if
 * the file changed meanwhile (a running kiosk's checkpoint): a copy SQLite may replay the WAL
 * into and make its index beside, while the original and the folder it is in stay untouched. */
static int private_copy(struct store *s, const char *path, const char *wal, char *copy, size_t cap)
{
    int e = tempdir_make(s->private_dir, sizeof(s->private_dir), "cpd-look");
    if (e != 0) {
        utf8_printf(s->message, sizeof(s->message),
                    "cannot make a private copy to read it in %s: %s (set TMPDIR to a folder "
                    "with room)",
                    s->private_dir, strerror(e));
        s->private_dir[0] = '\0';
        return st_errno(e, true);
    }
    copy_register(s->private_dir, true);
    char copy_wal[4096 + 32];
    if (snprintf(copy, cap, "%s/look.db", s->private_dir) >= (int)cap ||
        snprintf(copy_wal, sizeof(copy_wal), "%s/look.db-wal", s->private_dir) >=
            (int)sizeof(copy_wal)) {
        snprintf(s->message, sizeof(s->message), "TMPDIR is too long a path");
        return STORE_EINVALID;
    }
    for (int attempt = 0;; attempt++) {
        struct stat before, after;
        int os = 0;
        const char *failed = path;
        unlink(copy);
        unlink(copy_wal);
        if (stat(path, &before) != 0)
            os = errno;
        else if (copy_file(wal, copy_wal, &os) != 0 && os != ENOENT) /* none: checkpointed */
            failed = os == ENOSPC || os == EDQUOT ? s->private_dir : wal;
        else if ((os = 0) != 0 || copy_file(path, copy, &os) != 0)
            failed = os == ENOSPC || os == EDQUOT ? s->private_dir : path;
        else if (stat(path, &after) != 0)
            os = errno;
        if (os) {
            utf8_printf(s->message, sizeof(s->message), "%s: %s", failed,
                        os == ENODEV ? "not a regular file" : strerror(os));
            return st_errno(os, false);
        }
        if (same_stat(&before, &after))
            return STORE_OK;
        if (attempt == 4) {
            snprintf(s->message, sizeof(s->message),
                     "%s kept changing while it was copied: try again, or stop the kiosk first",
                     path);
            return STORE_EBUSY;
        }
    }
}

/* Read only, and strictly so: nothing is created or changed beside the file (it may be the
 * evidence of a broken disk). It is read from a private copy of it and its WAL: SQLite needs
 * to write beside a WAL it reads, and a file without one may be a running kiosk's. */
static int open_readonly(const char *path, bool damaged, struct store **out, char *why,
                         size_t why_cap)
{
    *out = NULL;
    if (why && why_cap)
        why[0] = '\0';
    struct store *s = store_alloc(path);
    if (!s)
        return STORE_ENOMEM;
    int err = STORE_OK, version = 0, rc;
    char wal[4096 + 8], copy[4096 + 32];
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        snprintf(s->message, sizeof(s->message), "cannot read %s: %s", path,
                 e == EINVAL ? "not a regular file" : strerror(e));
        err = e == EACCES || e == EPERM ? STORE_ENOREAD : e == ENOENT ? STORE_ENOTFOUND : STORE_EIO;
        if (fd >= 0)
            close(fd);
        goto fail;
    }
    close(fd);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    /* Always a copy: even a file without a WAL may be a running kiosk's, written under it. */
    err = private_copy(s, path, wal, copy, sizeof(copy));
    if (err != STORE_OK)
        goto fail;
    rc = sqlite3_open_v2(copy, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK && !damaged) {
        err = st_fail(s, rc);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    err = damaged ? STORE_OK : store_quick_check(s);
    if (err == STORE_OK)
        err = st_exec(s, "PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;");
    if (err != STORE_OK && damaged)
        err = STORE_OK; /* salvage reads what it can, row by row */
    if (err == STORE_OK && !damaged)
        err = read_user_version(s, &version);
    if (err == STORE_OK && !damaged && version != STORE_SCHEMA_VERSION) {
        snprintf(s->message, sizeof(s->message),
                 "schema version %d, this program reads %d: open it read-write once to upgrade "
                 "it",
                 version, STORE_SCHEMA_VERSION);
        err = STORE_EVERSION;
    }
    if (err != STORE_OK)
        goto fail;
    s->dir_private = true; /* nothing is written, so nothing is exposed by us */
    *out = s;
    return STORE_OK;
fail:
    return open_failed(s, err, why, why_cap);
}

int store_open_readonly(const char *path, struct store **out, char *why, size_t why_cap)
{
    return open_readonly(path, false, out, why, why_cap);
}

int store_open_damaged(const char *path, struct store **out, char *why, size_t why_cap)
{
    return open_readonly(path, true, out, why, why_cap);
}
