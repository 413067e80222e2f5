/* powercut_vfs.c — the "powercut" VFS: the unix VFS with a durable image of each file.
 *
 * The model. A file SQLite opens (main database, WAL, rollback journal; not the -shm, which
 * SQLite rebuilds after a crash and never syncs) has a durable image, PATH.durable: at the first
 * open in this process it is a copy of the file as it is (what was there before is taken to be
 * on disk). xWrite and xTruncate change the file and are remembered, in order, in memory;
 * xSync replays them onto the image and forgets them. A power cut (powercut_apply, run by
 * another process once the writer is dead) puts each image in place of its file: what was
 * written and not synced is lost. POWERCUT_TORN keeps, in addition, a random subset of the
 * 512-byte sectors that differ between file and image, and the length of either: the disk
 * wrote some of the page cache out, in any order, before the power went.
 *
 * What it simplifies, on purpose:
 * - Directory entries are durable at once: creating a file (an empty image), and deleting one
 *   (xDelete removes its image too), need no sync of the directory.
 * - A sync makes the whole file durable (data and size), whatever its flags; the real fsync is
 *   not made at all: the image is the disk, the test machine's own disk does not matter.
 * - A sync the process is killed in the middle of leaves a prefix of the waiting writes in the
 *   image: one of the states a real disk may be in.
 * - The copy made at open is written beside the image and renamed into place, so a process
 *   killed while copying leaves no image: the file, untouched, stays as it was.
 * - Super-journals (several attached databases) and temp files are passed through, untracked.
 * - A failed sync (fault injection) leaves the writes waiting; Linux may instead drop them
 *   (the page is marked clean after EIO), which only a power cut test would tell apart.
 *
 * One process, one thread: the state below is the process's, as the VFS registration is. */
#include "tests/support/powercut_vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define IMAGE_SUFFIX ".durable"
#define COPY_SUFFIX  ".durable.tmp"
#define SECTOR       512
#define PC_PATH_MAX  4096

/* A write (len ≥ 0) or a truncate to offset (len < 0) not synced yet. */
struct op {
    struct op *next;
    sqlite3_int64 offset;
    int len;
    unsigned char data[];
};

/* One file by its full path: its image and what waits for the next sync. */
struct node {
    struct node *next;
    char *path;
    int image_fd; /* -1: no image (deleted, or not made yet) */
    struct op *head;
    struct op **tail;
};

struct pc_file {
    sqlite3_file base;
    struct node *node;  /* NULL: passed through (temp files) */
    sqlite3_file *real; /* the unix VFS's file, right after this struct */
};

/* A fault knob: after calls pass, then n fail (n < 0: all of them). */
struct knob {
    int after;
    int n;
};

static struct {
    bool installed;
    sqlite3_vfs vfs;
    sqlite3_vfs *real;
    struct node *nodes;
    struct knob fail_writes;
    struct knob fail_syncs;
    struct knob fail_shm;
    long faults;
} pc;

static int path_with(char *out, const char *path, const char *suffix)
{
    int n = snprintf(out, PC_PATH_MAX, "%s%s", path, suffix);
    if (n < 0 || n >= PC_PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t offset)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
        offset += n;
    }
    return 0;
}

/* The image of path: a copy of what is there now (empty when there is nothing), written
 * beside it and renamed into place. Its descriptor in *fd_out. */
static int image_make(const char *path, int *fd_out)
{
    char image[PC_PATH_MAX], copy[PC_PATH_MAX];
    if (path_with(image, path, IMAGE_SUFFIX) != 0 || path_with(copy, path, COPY_SUFFIX) != 0)
        return -1;
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0 && errno != ENOENT)
        return -1;
    int out = open(copy, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = out < 0 ? -1 : 0;
    off_t at = 0;
    unsigned char buf[1 << 16];
    ssize_t n = 0;
    while (err == 0 && in >= 0 && (n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        err = n < 0 ? -1 : pwrite_all(out, buf, (size_t)n, at);
        at += n;
    }
    if (err == 0)
        err = rename(copy, image);
    if (in >= 0)
        close(in);
    if (err != 0 && out >= 0) {
        close(out);
        unlink(copy);
        out = -1;
    }
    *fd_out = out;
    return err;
}

static void ops_clear(struct node *node)
{
    while (node->head) {
        struct op *next = node->head->next;
        free(node->head);
        node->head = next;
    }
    node->tail = &node->head;
}

static struct node *node_find(const char *path)
{
    for (struct node *n = pc.nodes; n; n = n->next)
        if (strcmp(n->path, path) == 0)
            return n;
    return NULL;
}

/* The node of path, with its image made if it has none. NULL on failure. */
static struct node *node_get(const char *path)
{
    struct node *node = node_find(path);
    if (!node) {
        node = calloc(1, sizeof(*node));
        if (!node || !(node->path = strdup(path))) {
            free(node);
            return NULL;
        }
        node->image_fd = -1;
        node->tail = &node->head;
        node->next = pc.nodes;
        pc.nodes = node;
    }
    if (node->image_fd < 0 && image_make(path, &node->image_fd) != 0)
        return NULL;
    return node;
}

static int op_add(struct node *node, sqlite3_int64 offset, const void *data, int len)
{
    struct op *op = malloc(sizeof(*op) + (len > 0 ? (size_t)len : 0));
    if (!op)
        return SQLITE_IOERR_NOMEM;
    op->next = NULL;
    op->offset = offset;
    op->len = len;
    if (len > 0)
        memcpy(op->data, data, (size_t)len);
    *node->tail = op;
    node->tail = &op->next;
    return SQLITE_OK;
}

/* The sync: what waited reaches the image, in the order it was written. */
static int ops_apply(struct node *node)
{
    int err = 0;
    for (struct op *op = node->head; op && err == 0 && node->image_fd >= 0; op = op->next)
        err = op->len < 0
                  ? ftruncate(node->image_fd, (off_t)op->offset)
                  : pwrite_all(node->image_fd, op->data, (size_t)op->len, (off_t)op->offset);
    ops_clear(node);
    return err == 0 ? SQLITE_OK : SQLITE_IOERR_FSYNC;
}

/* Whether this call of a fault knob fails (and counts it). */
static bool fault_take(struct knob *knob)
{
    if (knob->n == 0)
        return false;
    if (knob->after > 0) {
        knob->after--;
        return false;
    }
    if (knob->n > 0)
        knob->n--;
    pc.faults++;
    return true;
}

/* ---- the file --------------------------------------------------------------------------- */

#define REAL(f) (((struct pc_file *)(f))->real)

static int pc_close(sqlite3_file *f)
{
    /* The node stays: what waits for a sync is still in the page cache, not on disk. */
    return REAL(f)->pMethods->xClose(REAL(f));
}

static int pc_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 offset)
{
    return REAL(f)->pMethods->xRead(REAL(f), buf, amt, offset);
}

static int pc_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 offset)
{
    struct node *node = ((struct pc_file *)f)->node;
    if (node && fault_take(&pc.fail_writes))
        return SQLITE_FULL;
    int rc = REAL(f)->pMethods->xWrite(REAL(f), buf, amt, offset);
    if (rc == SQLITE_OK && node)
        rc = op_add(node, offset, buf, amt);
    return rc;
}

static int pc_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct node *node = ((struct pc_file *)f)->node;
    int rc = REAL(f)->pMethods->xTruncate(REAL(f), size);
    if (rc == SQLITE_OK && node)
        rc = op_add(node, size, NULL, -1);
    return rc;
}

static int pc_sync(sqlite3_file *f, int flags)
{
    struct node *node = ((struct pc_file *)f)->node;
    if (!node)
        return REAL(f)->pMethods->xSync(REAL(f), flags);
    if (fault_take(&pc.fail_syncs)) {
        errno = EIO; /* what sqlite3_system_errno() reports, as after a real fsync */
        return SQLITE_IOERR_FSYNC;
    }
    return ops_apply(node);
}

static int pc_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int pc_lock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int pc_unlock(sqlite3_file *f, int level)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int pc_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int pc_file_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int pc_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int pc_device_characteristics(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

/* The -shm: the unix VFS's own business (it opens that file itself, never through xOpen). */
static int pc_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    if (REAL(f)->pMethods->iVersion < 2)
        return SQLITE_IOERR_SHMMAP;
    if (extend && fault_take(&pc.fail_shm)) {
        /* The unix VFS grows the -shm by writing to it: on a full disk that write fails and it
         * says so as an I/O error, with errno (sqlite3_system_errno) ENOSPC. */
        errno = ENOSPC;
        return SQLITE_IOERR_SHMSIZE;
    }
    return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}

static int pc_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    if (REAL(f)->pMethods->iVersion < 2)
        return SQLITE_IOERR_SHMLOCK;
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void pc_shm_barrier(sqlite3_file *f)
{
    if (REAL(f)->pMethods->iVersion >= 2)
        REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int pc_shm_unmap(sqlite3_file *f, int delete_flag)
{
    if (REAL(f)->pMethods->iVersion < 2)
        return SQLITE_OK;
    return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int pc_fetch(sqlite3_file *f, sqlite3_int64 offset, int amt, void **out)
{
    *out = NULL; /* no memory map: every write must come through pc_write anyway */
    (void)f;
    (void)offset;
    (void)amt;
    return SQLITE_OK;
}

static int pc_unfetch(sqlite3_file *f, sqlite3_int64 offset, void *p)
{
    (void)f;
    (void)offset;
    (void)p;
    return SQLITE_OK;
}

static const sqlite3_io_methods pc_io = {
    .iVersion = 3,
    .xClose = pc_close,
    .xRead = pc_read,
    .xWrite = pc_write,
    .xTruncate = pc_truncate,
    .xSync = pc_sync,
    .xFileSize = pc_file_size,
    .xLock = pc_lock,
    .xUnlock = pc_unlock,
    .xCheckReservedLock = pc_check_reserved,
    .xFileControl = pc_file_control,
    .xSectorSize = pc_sector_size,
    .xDeviceCharacteristics = pc_device_characteristics,
    .xShmMap = pc_shm_map,
    .xShmLock = pc_shm_lock,
    .xShmBarrier = pc_shm_barrier,
    .xShmUnmap = pc_shm_unmap,
    .xFetch = pc_fetch,
    .xUnfetch = pc_unfetch,
};

/* ---- the VFS ---------------------------------------------------------------------------- */

static int pc_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    struct pc_file *f = (struct pc_file *)file;
    file->pMethods = NULL;
    f->real = (sqlite3_file *)(f + 1);
    f->real->pMethods = NULL;
    f->node = NULL;
    const int tracked = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL;
    struct node *node = NULL;
    if (name && (flags & tracked)) {
        /* The image first: a file that does not exist yet has an empty one. */
        node = node_get(name);
        if (!node)
            return SQLITE_CANTOPEN;
    }
    int rc = pc.real->xOpen(pc.real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        return rc;
    }
    f->node = node;
    file->pMethods = &pc_io;
    return SQLITE_OK;
}

static int pc_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    int rc = pc.real->xDelete(pc.real, name, sync_dir);
    struct node *node = node_find(name);
    if (node) {
        ops_clear(node);
        if (node->image_fd >= 0)
            close(node->image_fd);
        node->image_fd = -1;
    }
    char image[PC_PATH_MAX];
    if (path_with(image, name, IMAGE_SUFFIX) == 0)
        unlink(image);
    return rc;
}

static int pc_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return pc.real->xAccess(pc.real, name, flags, out);
}

static int pc_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return pc.real->xFullPathname(pc.real, name, n, out);
}

static void *pc_dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return pc.real->xDlOpen(pc.real, name);
}

static void pc_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    pc.real->xDlError(pc.real, n, out);
}

static void (*pc_dlsym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void)
{
    (void)vfs;
    return pc.real->xDlSym(pc.real, handle, symbol);
}

static void pc_dlclose(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    pc.real->xDlClose(pc.real, handle);
}

static int pc_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return pc.real->xRandomness(pc.real, n, out);
}

static int pc_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return pc.real->xSleep(pc.real, us);
}

static int pc_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return pc.real->xCurrentTime(pc.real, out);
}

static int pc_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return pc.real->xGetLastError ? pc.real->xGetLastError(pc.real, n, out) : 0;
}

static int pc_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return pc.real->xCurrentTimeInt64(pc.real, out);
}

int powercut_vfs_install(void)
{
    if (pc.installed)
        return SQLITE_OK;
    int rc = sqlite3_initialize();
    if (rc != SQLITE_OK)
        return rc;
    pc.real = sqlite3_vfs_find("unix");
    if (!pc.real || pc.real->iVersion < 2)
        return SQLITE_ERROR;
    pc.vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct pc_file) + pc.real->szOsFile,
        .mxPathname = pc.real->mxPathname,
        .zName = "powercut",
        .xOpen = pc_open,
        .xDelete = pc_delete,
        .xAccess = pc_access,
        .xFullPathname = pc_full_pathname,
        .xDlOpen = pc_dlopen,
        .xDlError = pc_dlerror,
        .xDlSym = pc_dlsym,
        .xDlClose = pc_dlclose,
        .xRandomness = pc_randomness,
        .xSleep = pc_sleep,
        .xCurrentTime = pc_current_time,
        .xGetLastError = pc_get_last_error,
        .xCurrentTimeInt64 = pc_current_time_int64,
    };
    rc = sqlite3_vfs_register(&pc.vfs, 1);
    pc.installed = rc == SQLITE_OK;
    return rc;
}

void powercut_vfs_fail_writes(int after, int n)
{
    pc.fail_writes = (struct knob){.after = after, .n = n};
}

void powercut_vfs_fail_syncs(int after, int n)
{
    pc.fail_syncs = (struct knob){.after = after, .n = n};
}

void powercut_vfs_fail_shm(int after, int n)
{
    pc.fail_shm = (struct knob){.after = after, .n = n};
}

long powercut_vfs_faults(void)
{
    return pc.faults;
}

/* ---- after the writer is dead ------------------------------------------------------------ */

static const char *const suffixes[] = {"", "-wal", "-journal"};

static uint64_t rng_next(uint64_t *state)
{
    /* xorshift64*: enough for coin flips, and the same sequence from the same seed. */
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Du;
}

static ssize_t pread_full(int fd, unsigned char *buf, size_t len, off_t offset)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, offset + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Some of what the file holds beyond its image reached the disk: each sector that differs is
 * taken from the file or left as the image has it, and the length is either's. */
static int torn_merge(const char *path, const char *image, uint64_t *rng)
{
    int file_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (file_fd < 0)
        return errno == ENOENT ? 0 : -1;
    int image_fd = open(image, O_RDWR | O_CLOEXEC);
    struct stat fs, is;
    int err = image_fd < 0 || fstat(file_fd, &fs) != 0 || fstat(image_fd, &is) != 0 ? -1 : 0;
    off_t len = err == 0 && (rng_next(rng) & 1) ? fs.st_size : is.st_size;
    unsigned char a[SECTOR], b[SECTOR];
    for (off_t at = 0; err == 0 && at < len; at += SECTOR) {
        size_t n = (size_t)(len - at < SECTOR ? len - at : SECTOR);
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        if (pread_full(file_fd, a, n, at) < 0 || pread_full(image_fd, b, n, at) < 0)
            err = -1;
        else if (memcmp(a, b, n) != 0 && (rng_next(rng) & 1))
            err = pwrite_all(image_fd, a, n, at);
    }
    if (err == 0)
        err = ftruncate(image_fd, len);
    close(file_fd);
    if (image_fd >= 0)
        close(image_fd);
    return err;
}

static int settle(const char *db_path, bool cut, enum powercut_mode mode, uint64_t *rng)
{
    int err = 0;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char path[PC_PATH_MAX], image[PC_PATH_MAX], copy[PC_PATH_MAX];
        if (path_with(path, db_path, suffixes[i]) != 0 ||
            path_with(image, path, IMAGE_SUFFIX) != 0 || path_with(copy, path, COPY_SUFFIX) != 0)
            return -1;
        unlink(copy); /* a copy cut short: the file was not touched after it */
        if (access(image, F_OK) != 0)
            continue; /* not opened through the VFS: as it was */
        if (!cut) {
            err |= unlink(image);
            continue;
        }
        if (mode == POWERCUT_TORN && torn_merge(path, image, rng) != 0)
            err = -1;
        if (rename(image, path) != 0)
            err = -1;
    }
    char shm[PC_PATH_MAX];
    if (cut && path_with(shm, db_path, "-shm") == 0 && unlink(shm) != 0 && errno != ENOENT)
        err = -1;
    return err == 0 ? 0 : -1;
}

int powercut_apply(const char *db_path, enum powercut_mode mode, uint64_t *rng)
{
    uint64_t dummy = 0;
    return settle(db_path, true, mode, rng ? rng : &dummy);
}

int powercut_discard(const char *db_path)
{
    return settle(db_path, false, POWERCUT_SYNCED, NULL);
}
