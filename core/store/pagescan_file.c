/* The page reader's access to the files (pagescan.h): the database file and its WAL opened as
 * regular files only, the page size found, every WAL frame indexed whatever its checksum, and
 * any page's images read. */
#include "core/store/pagescan_internal.h"

#include "core/base/readfully.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads exactly n bytes at off, zeros for what lies past the end of the file (a cut page). */
int read_at(int fd, uint8_t *buf, size_t n, int64_t off)
{
    ssize_t got = read_fully(fd, buf, n, (off_t)off);
    if (got < 0)
        return -1;
    memset(buf + got, 0, n - (size_t)got);
    return 0;
}

static int64_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
}

static bool valid_page_size(uint32_t n)
{
    return n >= 512 && n <= 65536 && (n & (n - 1)) == 0;
}

/* ---- page images -------------------------------------------------------------------------- */

static int64_t frame_offset(const struct pagescan *s, uint32_t frame)
{
    return WAL_HEADER_BYTES + (int64_t)(frame - 1) * (FRAME_HEADER_BYTES + s->page_size);
}

/* The image of at (a page of the file or a WAL frame) into buf; -1 when there is none. */
int read_image(struct pagescan *s, const struct pagescan_at *at, uint8_t *buf)
{
    if (at->source == PAGESCAN_WAL)
        return at->frame >= 1 && at->frame <= s->wal_frames
                   ? read_at(s->wal_fd, buf, s->page_size,
                             frame_offset(s, at->frame) + FRAME_HEADER_BYTES)
                   : -1;
    return at->page >= 1 && at->page <= s->file_pages
               ? read_at(s->db_fd, buf, s->page_size, (int64_t)(at->page - 1) * s->page_size)
               : -1;
}

static int by_page_then_frame(const void *a, const void *b)
{
    const struct frame_ref *x = a, *y = b;
    if (x->page != y->page)
        return x->page < y->page ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* The newest image of a page: its last WAL frame, else the file's. */
int newest_image(struct pagescan *s, uint32_t page, uint8_t *buf)
{
    struct frame_ref key = {.page = page, .frame = UINT32_MAX};
    size_t lo = 0, hi = s->n_frames;
    while (lo < hi) { /* the first frame_ref after (page, ∞) */
        size_t mid = (lo + hi) / 2;
        if (by_page_then_frame(&s->frames[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    struct pagescan_at at = {.source = PAGESCAN_FILE, .page = page};
    if (lo > 0 && s->frames[lo - 1].page == page)
        at = (struct pagescan_at){
            .source = PAGESCAN_WAL, .page = page, .frame = s->frames[lo - 1].frame};
    return read_image(s, &at, buf);
}

/* Every image of a page: the file's, then each WAL frame's (frames are sorted by page). */
size_t images_of(const struct pagescan *s, uint32_t page, struct pagescan_at *out, size_t cap)
{
    size_t n = 0, lo = 0, hi = s->n_frames;
    if (page <= s->file_pages && n < cap)
        out[n++] = (struct pagescan_at){.source = PAGESCAN_FILE, .page = page};
    while (lo < hi) { /* the first frame of this page */
        size_t mid = (lo + hi) / 2;
        if (s->frames[mid].page < page)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < s->n_frames && s->frames[i].page == page && n < cap; i++)
        out[n++] =
            (struct pagescan_at){.source = PAGESCAN_WAL, .page = page, .frame = s->frames[i].frame};
    return n;
}

/* A regular file, for reading: a FIFO or a device (which could block or never end) is
 * refused with ENODEV, never waited on. */
static int open_regular(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        errno = ENODEV;
        return -1;
    }
    return fd;
}

static int open_failed(const char *path, int e, char *why, size_t cap)
{
    if (why && cap)
        snprintf(why, cap, "cannot read %s: %s", path,
                 e == ENODEV ? "not a regular file" : strerror(e));
    return e == EACCES || e == EPERM ? STORE_ENOREAD : e == ENOENT ? STORE_ENOTFOUND : STORE_EIO;
}

/* How many of the first pages after page 1 look like b-tree pages at this page size: a page
 * type, and a cell count and content start that fit it. */
static int plausible_pages(struct pagescan *s, uint32_t size)
{
    int64_t pages = file_size(s->db_fd) / size;
    int score = 0;
    for (int64_t p = 2; p <= pages && p <= 65; p++) {
        uint8_t h[12];
        if (read_at(s->db_fd, h, sizeof(h), (p - 1) * (int64_t)size) != 0)
            break;
        bool interior = h[0] == PAGE_INDEX_INTERIOR || h[0] == PAGE_TABLE_INTERIOR;
        if (!interior && h[0] != PAGE_INDEX_LEAF && h[0] != PAGE_TABLE_LEAF)
            continue;
        uint32_t cells = be16(h + 3), content = be16(h + 5);
        content = content ? content : 65536;
        score += (interior ? 12u : 8u) + 2 * cells <= content && content <= size;
    }
    return score;
}

/* The page size: the file's header, else the WAL's, else SQLite's default — unless another
 * size makes clearly more of the file's pages read as b-tree pages (the header's field is
 * damaged). */
static void find_page_size(struct pagescan *s)
{
    uint8_t head[FILE_HEADER_BYTES];
    s->page_size = DEFAULT_PAGE_SIZE;
    uint32_t reserved = 0;
    if (read_at(s->db_fd, head, sizeof(head), 0) == 0 && memcmp(head, "SQLite format 3", 16) == 0) {
        uint32_t n = be16(head + 16);
        n = n == 1 ? 65536 : n;
        if (valid_page_size(n)) {
            s->page_size = n;
            s->page_size_known = true;
            reserved = head[20];
        }
    }
    uint8_t wal[WAL_HEADER_BYTES];
    if (!s->page_size_known && s->wal_fd >= 0 && read_at(s->wal_fd, wal, sizeof(wal), 0) == 0 &&
        (be32(wal) & 0xFFFFFFFEu) == 0x377F0682u && valid_page_size(be32(wal + 8))) {
        s->page_size = be32(wal + 8);
        s->page_size_known = true;
    }
    int best = plausible_pages(s, s->page_size);
    for (uint32_t size = 512; size <= 65536; size *= 2) {
        int score = size == s->page_size ? 0 : plausible_pages(s, size);
        if (score > 2 * best + 1) {
            best = score;
            s->page_size = size;
            s->page_size_guessed = true;
            reserved = 0;
        }
    }
    s->usable = s->page_size - (reserved < s->page_size / 2 ? reserved : 0);
}

/* Every frame of the WAL, valid or not: its checksums tell which commits SQLite would replay;
 * the events in it carry their own. */
static int index_wal(struct pagescan *s)
{
    if (s->wal_fd < 0)
        return STORE_OK;
    int64_t size = file_size(s->wal_fd), frame_bytes = FRAME_HEADER_BYTES + s->page_size;
    if (size <= WAL_HEADER_BYTES)
        return STORE_OK;
    s->wal_frames = (size - WAL_HEADER_BYTES + frame_bytes - 1) / frame_bytes;
    s->frames = malloc((size_t)s->wal_frames * sizeof(*s->frames));
    if (!s->frames)
        return STORE_ENOMEM;
    for (int64_t f = 1; f <= s->wal_frames; f++) {
        uint8_t head[FRAME_HEADER_BYTES];
        if (read_at(s->wal_fd, head, sizeof(head), frame_offset(s, (uint32_t)f)) != 0)
            return STORE_EIO;
        uint32_t page = be32(head);
        /* A zeroed or damaged frame header: which page it is is unknown. A WAL can grow the
         * file by at most one page a frame, so a larger number is damage too. */
        if (page == 0 || page > s->file_pages + s->wal_frames)
            continue;
        s->frames[s->n_frames++] = (struct frame_ref){.page = page, .frame = (uint32_t)f};
        if (page > s->max_page)
            s->max_page = page;
    }
    qsort(s->frames, s->n_frames, sizeof(*s->frames), by_page_then_frame);
    return STORE_OK;
}

int pagescan_open(const char *db_path, struct pagescan **out, char *why, size_t why_cap)
{
    *out = NULL;
    if (why && why_cap)
        why[0] = '\0';
    struct pagescan *s = calloc(1, sizeof(*s));
    if (!s)
        return STORE_ENOMEM;
    s->wal_fd = -1;
    s->db_fd = open_regular(db_path);
    if (s->db_fd < 0) {
        int err = open_failed(db_path, errno, why, why_cap);
        free(s);
        return err;
    }
    char wal[4096 + 8];
    int n = snprintf(wal, sizeof(wal), "%s-wal", db_path);
    if (n > 0 && (size_t)n < sizeof(wal)) {
        s->wal_fd = open_regular(wal);
        if (s->wal_fd < 0 && errno != ENOENT) {
            int err = open_failed(wal, errno, why, why_cap);
            pagescan_close(s);
            return err;
        }
    }
    find_page_size(s);
    s->file_pages = (file_size(s->db_fd) + s->page_size - 1) / s->page_size;
    s->max_page = (uint32_t)(s->file_pages < 0x7FFFFFFF ? s->file_pages : 0x7FFFFFFF);
    s->page = malloc(s->page_size);
    s->other = malloc(s->page_size);
    s->payload = malloc(MAX_PAYLOAD);
    int err = s->page && s->other && s->payload ? index_wal(s) : STORE_ENOMEM;
    if (err == STORE_OK)
        err = read_schema(s);
    if (err != STORE_OK) {
        pagescan_close(s);
        return err;
    }
    *out = s;
    return STORE_OK;
}

void pagescan_close(struct pagescan *s)
{
    if (!s)
        return;
    if (s->db_fd >= 0)
        close(s->db_fd);
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    free(s->frames);
    free(s->page);
    free(s->other);
    free(s->payload);
    free(s);
}

void pagescan_info(const struct pagescan *s, struct pagescan_info *out)
{
    *out = (struct pagescan_info){.page_size = s->page_size,
                                  .page_size_known = s->page_size_known,
                                  .page_size_guessed = s->page_size_guessed,
                                  .file_pages = s->file_pages,
                                  .wal_frames = s->wal_frames,
                                  .schema_read = s->schema_read,
                                  .other_pages = s->other_pages};
}
