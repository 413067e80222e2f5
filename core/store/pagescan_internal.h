/* pagescan_internal.h — what the page reader's two files share (core/store/pagescan*.c only):
 * the reader's state, SQLite's file-format constants, and the page images. */
#ifndef CPD_PAGESCAN_INTERNAL_H
#define CPD_PAGESCAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store/pagescan.h"

#define FILE_HEADER_BYTES  100
#define WAL_HEADER_BYTES   32
#define FRAME_HEADER_BYTES 24
#define DEFAULT_PAGE_SIZE  4096
#define MAX_COLUMNS        16
/* Longer than any row of the store (events are under 2 KiB): a damaged length. */
#define MAX_PAYLOAD (256 * 1024)

enum page_type {
    PAGE_INDEX_INTERIOR = 0x02,
    PAGE_TABLE_INTERIOR = 0x05,
    PAGE_INDEX_LEAF = 0x0A,
    PAGE_TABLE_LEAF = 0x0D,
};

struct frame_ref {
    uint32_t page;
    uint32_t frame;
};

struct pagescan {
    int db_fd, wal_fd;
    uint32_t page_size, usable;
    bool page_size_known, page_size_guessed, schema_read;
    int64_t file_pages, wal_frames, other_pages;
    struct frame_ref *frames; /* every WAL frame, by page then frame */
    size_t n_frames;
    uint32_t root_person, root_uuid; /* the events' indexes, as the schema names them */
    uint32_t max_page;
    uint8_t *page;    /* the image being read */
    uint8_t *payload; /* a payload gathered from overflow pages */
    uint8_t *other;   /* an overflow page's image */
    struct event event;
};

/* Big-endian numbers, as the file format writes them. */
static inline uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Page images (pagescan_file.c): exactly n bytes at off (zeros past the end of a cut file);
 * the image of at into buf (-1: there is none); the newest image of a page (its last WAL
 * frame, else the file's); every image of a page, the file's first. */
int read_at(int fd, uint8_t *buf, size_t n, int64_t off);
int read_image(struct pagescan *s, const struct pagescan_at *at, uint8_t *buf);
int newest_image(struct pagescan *s, uint32_t page, uint8_t *buf);
size_t images_of(const struct pagescan *s, uint32_t page, struct pagescan_at *out, size_t cap);
/* The roots of the events' indexes, from the schema on page 1 (pagescan.c). */
int read_schema(struct pagescan *s);

#endif
