/* Reading a store's pages without SQLite (pagescan.h). Every offset and length read from the
 * file is checked against the page before it is used: the input is a damaged file. */
#include "core/store/pagescan_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the bytes ---------------------------------------------------------------------------- */

/* SQLite's varint at p (at most end - p bytes): its length, 0 when it runs off the end. */
static size_t varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < 9; i++) {
        if (p + i >= end)
            return 0;
        if (i == 8) {
            *v = x << 8 | p[i];
            return 9;
        }
        x = x << 7 | (p[i] & 0x7F);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* ---- cells and records -------------------------------------------------------------------- */

struct column {
    enum { COL_NULL, COL_INT, COL_FLOAT, COL_BLOB, COL_TEXT } type;
    int64_t i;
    const uint8_t *bytes;
    size_t len;
};

struct record {
    struct column cols[MAX_COLUMNS];
    size_t n;
};

/* Decodes a record; false when it is not one (a length or type that does not fit). */
static bool decode_record(const uint8_t *p, size_t n, struct record *r)
{
    const uint8_t *end = p + n;
    uint64_t header = 0;
    size_t k = varint(p, end, &header);
    if (!k || header < k || header > n)
        return false;
    const uint8_t *types = p + k, *types_end = p + header, *body = p + header;
    r->n = 0;
    while (types < types_end) {
        uint64_t t = 0;
        size_t used = varint(types, types_end, &t);
        if (!used || r->n == MAX_COLUMNS)
            return false;
        types += used;
        struct column *c = &r->cols[r->n++];
        static const size_t int_len[] = {0, 1, 2, 3, 4, 6, 8};
        size_t len = t <= 6    ? int_len[t]
                     : t == 7  ? 8
                     : t <= 9  ? 0
                     : t >= 12 ? (size_t)((t - 12) / 2)
                               : SIZE_MAX;
        if (len == SIZE_MAX || len > (size_t)(end - body))
            return false;
        c->bytes = body;
        c->len = len;
        if (t == 0) {
            c->type = COL_NULL;
        } else if (t <= 6 || t == 8 || t == 9) {
            c->type = COL_INT;
            int64_t v = t == 8 ? 0 : t == 9 ? 1 : (body[0] & 0x80 ? -1 : 0);
            for (size_t i = 0; t <= 6 && i < len; i++)
                v = (int64_t)((uint64_t)v << 8 | body[i]);
            c->i = v;
        } else if (t == 7) {
            c->type = COL_FLOAT;
        } else {
            c->type = t % 2 ? COL_TEXT : COL_BLOB;
        }
        body += len;
    }
    return true;
}

/* A text column copied whole into out, or false (too long: damage, never cut). */
static bool text_of(const struct column *c, char *out, size_t cap)
{
    if (c->type != COL_TEXT || c->len >= cap)
        return false;
    memcpy(out, c->bytes, c->len);
    out[c->len] = '\0';
    return strlen(out) == c->len; /* a NUL inside is damage */
}

static bool blob_of(const struct column *c, uint8_t *out, size_t len)
{
    if (c->type != COL_BLOB || c->len != len)
        return false;
    memcpy(out, c->bytes, len);
    return true;
}

/* An events row: (seq as the row id, so NULL here), uuid, kiosk, type, person, session,
 * wall_us, mono_us, clock, payload, prev_hash, hash, sig. */
static bool event_of(const struct record *r, int64_t rowid, struct event *e)
{
    char type[32];
    memset(e, 0, sizeof(*e));
    if (r->n != 13 || r->cols[0].type != COL_NULL || r->cols[6].type != COL_INT ||
        r->cols[7].type != COL_INT)
        return false;
    bool ok = text_of(&r->cols[1], e->uuid, sizeof(e->uuid)) &&
              text_of(&r->cols[2], e->kiosk, sizeof(e->kiosk)) &&
              text_of(&r->cols[3], type, sizeof(type)) &&
              text_of(&r->cols[4], e->person, sizeof(e->person)) &&
              text_of(&r->cols[5], e->session, sizeof(e->session)) &&
              text_of(&r->cols[8], e->clock, sizeof(e->clock)) &&
              text_of(&r->cols[9], e->payload, sizeof(e->payload)) &&
              blob_of(&r->cols[10], e->prev_hash, sizeof(e->prev_hash)) &&
              blob_of(&r->cols[11], e->hash, sizeof(e->hash)) &&
              blob_of(&r->cols[12], e->sig, sizeof(e->sig));
    if (!ok)
        return false;
    int t = event_type_parse(type);
    e->type = t < 0 ? EV_TYPE_COUNT : (enum event_type)t;
    e->seq = rowid;
    e->wall_us = r->cols[6].i;
    e->mono_us = r->cols[7].i;
    return true;
}

/* The part of a payload of n bytes kept on the page itself (the file format's formula). */
static size_t local_bytes(const struct pagescan *s, bool table_leaf, uint64_t n)
{
    uint64_t u = s->usable;
    uint64_t x = table_leaf ? u - 35 : (u - 12) * 64 / 255 - 23;
    if (n <= x)
        return (size_t)n;
    uint64_t m = (u - 12) * 32 / 255 - 23, k = m + (n - m) % (u - 4);
    return (size_t)(k <= x ? k : m);
}

/* The whole payload of a cell: on the page, or gathered along its overflow chain (each page's
 * newest image). NULL when it cannot be had. */
static const uint8_t *payload_of(struct pagescan *s, const uint8_t *start, const uint8_t *page_end,
                                 uint64_t n, bool table_leaf)
{
    size_t local = local_bytes(s, table_leaf, n);
    if (n > MAX_PAYLOAD || local > (size_t)(page_end - start))
        return NULL;
    if (local == n)
        return start;
    if ((size_t)(page_end - start) < local + 4)
        return NULL;
    memcpy(s->payload, start, local);
    size_t have = local;
    uint32_t next = be32(start + local);
    for (size_t hops = 0; have < n && next && hops <= MAX_PAYLOAD / 256; hops++) {
        if (next > s->max_page || newest_image(s, next, s->other) != 0)
            return NULL;
        size_t take = n - have < s->usable - 4 ? n - have : s->usable - 4;
        memcpy(s->payload + have, s->other + 4, take);
        have += take;
        next = be32(s->other);
    }
    return have == n ? s->payload : NULL;
}

struct page_view {
    uint8_t type;
    const uint8_t *page, *end, *cells; /* the image, where usable bytes end, the cell pointers */
    uint32_t n_cells;
    uint32_t right; /* interior pages: the right-most child */
};

static bool view_page(const struct pagescan *s, uint32_t page, const uint8_t *image,
                      struct page_view *v)
{
    size_t h = page == 1 ? FILE_HEADER_BYTES : 0;
    v->page = image;
    v->end = image + s->usable;
    v->type = image[h];
    bool interior = v->type == PAGE_INDEX_INTERIOR || v->type == PAGE_TABLE_INTERIOR;
    if (!interior && v->type != PAGE_INDEX_LEAF && v->type != PAGE_TABLE_LEAF)
        return false;
    v->n_cells = be16(image + h + 3);
    v->right = interior ? be32(image + h + 8) : 0;
    v->cells = image + h + (interior ? 12 : 8);
    return v->cells + 2 * (size_t)v->n_cells <= v->end;
}

struct cell {
    uint32_t child; /* interior pages */
    int64_t rowid;  /* table pages */
    const uint8_t *payload;
    size_t len;
};

/* Cell i of a page; false when it cannot be read (its offset or lengths are damaged). */
static bool cell_of(struct pagescan *s, const struct page_view *v, uint32_t i, struct cell *c)
{
    uint32_t off = be16(v->cells + 2 * (size_t)i);
    const uint8_t *p = v->page + off;
    memset(c, 0, sizeof(*c));
    if (off < 8 || p >= v->end)
        return false;
    if (v->type == PAGE_TABLE_INTERIOR || v->type == PAGE_INDEX_INTERIOR) {
        if (p + 4 > v->end)
            return false;
        c->child = be32(p);
        p += 4;
    }
    uint64_t n = 0, rowid = 0;
    size_t k;
    if (v->type == PAGE_TABLE_INTERIOR) {
        k = varint(p, v->end, &rowid);
        c->rowid = (int64_t)rowid;
        return k != 0;
    }
    if (!(k = varint(p, v->end, &n)))
        return false;
    p += k;
    if (v->type == PAGE_TABLE_LEAF) {
        if (!(k = varint(p, v->end, &rowid)))
            return false;
        p += k;
        c->rowid = (int64_t)rowid;
    }
    c->payload = payload_of(s, p, v->end, n, v->type == PAGE_TABLE_LEAF);
    c->len = (size_t)n;
    return c->payload != NULL;
}

/* ---- what a page holds -------------------------------------------------------------------- */

/* What a visit looks for: every page's events and meta rows, or one index's entries (its
 * pages known only by walking it from its root: other indexes share its entries' shape — a
 * staff number may be a GUID). */
enum looking_for { LOOK_ROWS, LOOK_PERSON_INDEX, LOOK_UUID_INDEX };

struct visit {
    pagescan_fn fn;
    void *ctx;
    enum looking_for look;
};

static bool is_uuid(const struct column *c)
{
    if (c->type != COL_TEXT || c->len != EVENT_UUID_LEN - 1)
        return false;
    for (size_t i = 0; i < c->len; i++) {
        char ch = (char)c->bytes[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return true;
}

static int found_index_entry(const struct record *r, const struct visit *v,
                             struct pagescan_found *f)
{
    char key[256], value[256];
    if (v->look == LOOK_PERSON_INDEX) { /* (person, seq) and the row id, which is seq */
        if (r->n != 3 || r->cols[1].type != COL_INT || r->cols[2].type != COL_INT ||
            r->cols[1].i != r->cols[2].i || !text_of(&r->cols[0], key, sizeof(key)))
            return 0;
        f->kind = PAGESCAN_INDEX_PERSON;
        f->seq = r->cols[1].i;
        f->key = key;
        return v->fn(v->ctx, f);
    }
    if (v->look == LOOK_UUID_INDEX) { /* (uuid) and the row id */
        if (r->n != 2 || !is_uuid(&r->cols[0]) || r->cols[1].type != COL_INT ||
            !text_of(&r->cols[0], key, sizeof(key)))
            return 0;
        f->kind = PAGESCAN_INDEX_UUID;
        f->seq = r->cols[1].i;
        f->key = key;
        return v->fn(v->ctx, f);
    }
    /* meta is the store's one table of two texts */
    if (r->n == 2 && text_of(&r->cols[0], key, 64) && text_of(&r->cols[1], value, sizeof(value))) {
        f->kind = PAGESCAN_META;
        f->key = key;
        f->value = value;
        return v->fn(v->ctx, f);
    }
    return 0;
}

/* Every row of one image; *children (may be NULL) collects an interior page's children. */
static int visit_image(struct pagescan *s, const struct pagescan_at *where, const struct visit *v,
                       uint32_t *children, size_t *n_children, size_t cap_children)
{
    struct page_view view;
    if (!view_page(s, where->page, s->page, &view))
        return 1; /* not a b-tree page: nothing to find on it */
    if (children && view.right && *n_children < cap_children)
        children[(*n_children)++] = view.right;
    for (uint32_t i = 0; i < view.n_cells; i++) {
        struct cell c;
        if (!cell_of(s, &view, i, &c))
            continue;
        if (children && c.child && *n_children < cap_children)
            children[(*n_children)++] = c.child;
        struct pagescan_found f = {.at = *where};
        f.at.cell = i;
        struct record r;
        if (view.type == PAGE_TABLE_INTERIOR || !decode_record(c.payload, c.len, &r))
            continue;
        int rc = 0;
        if (view.type == PAGE_TABLE_LEAF && v->look == LOOK_ROWS) {
            if (event_of(&r, c.rowid, &s->event)) {
                f.kind = PAGESCAN_EVENT;
                f.seq = c.rowid;
                f.event = &s->event;
                rc = v->fn(v->ctx, &f);
            }
        } else if (view.type == PAGE_INDEX_LEAF || view.type == PAGE_INDEX_INTERIOR) {
            rc = found_index_entry(&r, v, &f);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- the schema and the person index ------------------------------------------------------ */

/* A b-tree from its root, every image of every page reached, each page once: a damaged page
 * stops nothing but what only it leads to. */
static int walk(struct pagescan *s, uint32_t root, const struct visit *v)
{
    size_t cap = (size_t)s->max_page + 1, n_stack = 0;
    uint32_t *stack = malloc(cap * sizeof(*stack));
    uint8_t *seen = calloc(cap, 1);
    struct pagescan_at *images = malloc((s->n_frames + 1) * sizeof(*images));
    size_t cap_children = s->page_size / 2;
    uint32_t *children = malloc(cap_children * sizeof(*children));
    int rc = stack && seen && images && children ? 0 : STORE_ENOMEM;
    /* seen is set when a page is queued: each is queued once, so the stack never outgrows
     * the pages there are. */
    if (rc == 0 && root >= 1 && root <= s->max_page) {
        stack[n_stack++] = root;
        seen[root] = 1;
    }
    while (rc == 0 && n_stack > 0) {
        uint32_t page = stack[--n_stack];
        size_t n = images_of(s, page, images, s->n_frames + 1);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (read_image(s, &images[i], s->page) != 0)
                continue;
            size_t n_children = 0;
            rc = visit_image(s, &images[i], v, children, &n_children, cap_children);
            rc = rc == 1 ? 0 : rc;
            for (size_t c = 0; c < n_children; c++) {
                uint32_t child = children[c];
                if (child >= 1 && child <= s->max_page && !seen[child]) {
                    seen[child] = 1;
                    stack[n_stack++] = child;
                }
            }
        }
    }
    free(stack);
    free(seen);
    free(images);
    free(children);
    return rc;
}

/* sqlite_schema's rows are table rows on page 1's b-tree: (type, name, tbl_name, rootpage,
 * sql). Only the root of events_person is needed. */
int read_schema(struct pagescan *s)
{
    struct pagescan_at images[64];
    uint32_t pages[256];
    size_t n_pages = 0;
    pages[n_pages++] = 1;
    for (size_t p = 0; p < n_pages; p++) {
        size_t n = images_of(s, pages[p], images, 64);
        for (size_t i = 0; i < n; i++) {
            struct page_view view;
            if (read_image(s, &images[i], s->page) != 0 || !view_page(s, pages[p], s->page, &view))
                continue;
            if (view.right && n_pages < 256)
                pages[n_pages++] = view.right;
            for (uint32_t c = 0; c < view.n_cells; c++) {
                struct cell cell;
                struct record r;
                char type[16], name[64];
                if (!cell_of(s, &view, c, &cell))
                    continue;
                if (cell.child && n_pages < 256)
                    pages[n_pages++] = cell.child;
                if (view.type != PAGE_TABLE_LEAF || !decode_record(cell.payload, cell.len, &r) ||
                    r.n != 5 || !text_of(&r.cols[0], type, sizeof(type)) ||
                    !text_of(&r.cols[1], name, sizeof(name)) || r.cols[3].type != COL_INT)
                    continue;
                if (r.cols[3].i <= 0 || r.cols[3].i > s->max_page)
                    continue;
                if (strcmp(name, "events_person") == 0)
                    s->root_person = (uint32_t)r.cols[3].i;
                else if (strcmp(name, "sqlite_autoindex_events_1") == 0)
                    s->root_uuid = (uint32_t)r.cols[3].i;
                s->schema_read = s->root_person && s->root_uuid;
            }
        }
    }
    return 0;
}

/* ---- scanning ------------------------------------------------------------------------------ */

int pagescan_each(struct pagescan *s, pagescan_fn fn, void *ctx)
{
    struct visit v = {.fn = fn, .ctx = ctx};
    int rc = 0;
    s->other_pages = 0;
    for (int64_t p = 1; rc == 0 && p <= s->file_pages; p++) {
        struct pagescan_at at = {.source = PAGESCAN_FILE, .page = (uint32_t)p};
        if (read_image(s, &at, s->page) != 0)
            return STORE_EIO;
        rc = visit_image(s, &at, &v, NULL, NULL, 0);
        s->other_pages += rc == 1;
        rc = rc == 1 ? 0 : rc;
    }
    for (size_t i = 0; rc == 0 && i < s->n_frames; i++) {
        struct pagescan_at at = {
            .source = PAGESCAN_WAL, .page = s->frames[i].page, .frame = s->frames[i].frame};
        if (read_image(s, &at, s->page) != 0)
            return STORE_EIO;
        rc = visit_image(s, &at, &v, NULL, NULL, 0);
        s->other_pages += rc == 1;
        rc = rc == 1 ? 0 : rc;
    }
    if (rc == 0 && s->root_person) {
        v.look = LOOK_PERSON_INDEX;
        rc = walk(s, s->root_person, &v);
    }
    if (rc == 0 && s->root_uuid) {
        v.look = LOOK_UUID_INDEX;
        rc = walk(s, s->root_uuid, &v);
    }
    return rc;
}

struct one_event {
    uint32_t cell;
    struct event *out;
    bool found;
};

static int take_one(void *ctx, const struct pagescan_found *f)
{
    struct one_event *o = ctx;
    if (f->kind != PAGESCAN_EVENT || f->at.cell != o->cell)
        return 0;
    *o->out = *f->event;
    o->found = true;
    return CPD_STOP;
}

int pagescan_event_at(struct pagescan *s, const struct pagescan_at *at, struct event *out)
{
    struct one_event o = {.cell = at->cell, .out = out};
    struct visit v = {.fn = take_one, .ctx = &o};
    if (read_image(s, at, s->page) != 0)
        return STORE_ENOTFOUND;
    int rc = visit_image(s, at, &v, NULL, NULL, 0);
    return o.found ? STORE_OK : rc < 0 ? rc : STORE_ENOTFOUND;
}
