/* The roster importer: people and their badges (stored as keyed hashes only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/error.h"
#include "core/domain/crypto.h"
#include "core/services/import_internal.h"
#include "core/domain/uid.h"

enum { C_STAFF_NO, C_NAME, C_ACADEMY, C_ROLE, C_ACTIVE, C_BADGE };

struct rrow {
    int line;
    struct person person;
    bool has_badge;
    struct uid uid;
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
};

static void parse_row(struct import_ctx *c, const struct csv_row *row, struct rrow *r)
{
    struct person *p = &r->person;
    const char *staff_no = import_field(c, row, C_STAFF_NO);
    if (!import_is_code(staff_no, "_"))
        import_error(c, r->line,
                     "staff_no: expected 1–63 letters, digits, '-' or '_', got "
                     "\"%s\"",
                     staff_no);
    import_copy(c, r->line, "staff_no", p->staff_no, sizeof(p->staff_no), staff_no);
    if (!import_field(c, row, C_NAME)[0])
        import_error(c, r->line, "name: missing");
    import_copy(c, r->line, "name", p->name, sizeof(p->name), import_field(c, row, C_NAME));
    import_copy(c, r->line, "academy", p->academy, sizeof(p->academy),
                import_field(c, row, C_ACADEMY));
    const char *role = import_field(c, row, C_ROLE);
    if (strcmp(role, "staff") != 0 && strcmp(role, "trainer") != 0)
        import_error(c, r->line, "role: expected staff or trainer, got \"%s\"", role);
    p->trainer = strcmp(role, "trainer") == 0;
    int active = import_yes_no(import_field(c, row, C_ACTIVE));
    if (active < 0)
        import_error(c, r->line, "active: expected yes or no, got \"%s\"",
                     import_field(c, row, C_ACTIVE));
    p->active = active == 1;
    const char *badge = import_field(c, row, C_BADGE);
    if (!badge[0])
        return;
    int err = uid_parse(badge, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &r->uid);
    if (err != UID_OK) {
        import_error(c, r->line, "badge_uid: %s, got \"%s\"", cpd_strerror(err), badge);
        return;
    }
    if (uid_is_random(&r->uid) && !c->opt->rules->accept_random_uids) {
        import_error(c, r->line,
                     "badge_uid: a random UID (08…) changes at every tap and cannot "
                     "be a badge");
        return;
    }
    char hex[UID_HEX_LEN];
    uid_to_hex(&r->uid, hex);
    crypto_badge_hash(r->hash, hex, c->opt->site_key);
    r->has_badge = true;
}

/* Duplicates by sorting (a 60,000-row roster in well under a second, not quadratic): rows with
 * the same key sort together, earliest line first, and each later one is named with the first. */
struct duplicate {
    int line, first;
    bool badge; /* the same badge, else the same staff_no */
    const char *staff_no;
};

static int row_line(const struct rrow *a, const struct rrow *b)
{
    return (a->line > b->line) - (a->line < b->line);
}

static bool same_staff_no(const struct rrow *a, const struct rrow *b)
{
    return strcmp(a->person.staff_no, b->person.staff_no) == 0;
}

static bool same_badge(const struct rrow *a, const struct rrow *b)
{
    return a->has_badge && b->has_badge && memcmp(a->hash, b->hash, sizeof(a->hash)) == 0;
}

static int by_staff_no_then_line(const void *a, const void *b)
{
    const struct rrow *x = *(const struct rrow *const *)a, *y = *(const struct rrow *const *)b;
    int d = strcmp(x->person.staff_no, y->person.staff_no);
    return d ? d : row_line(x, y);
}

static int by_badge_then_line(const void *a, const void *b)
{
    const struct rrow *x = *(const struct rrow *const *)a, *y = *(const struct rrow *const *)b;
    if (x->has_badge != y->has_badge)
        return x->has_badge ? -1 : 1;
    int d = memcmp(x->hash, y->hash, sizeof(x->hash));
    return d ? d : row_line(x, y);
}

static int by_line(const void *a, const void *b)
{
    const struct duplicate *x = a, *y = b;
    if (x->line != y->line)
        return (x->line > y->line) - (x->line < y->line);
    return (int)x->badge - (int)y->badge;
}

/* Adds each row of order (sorted by key) equal to its group's first to found. */
static void note_duplicates(const struct rrow **order, size_t n, bool badge,
                            bool (*same)(const struct rrow *, const struct rrow *),
                            struct duplicate *found, size_t *n_found)
{
    for (size_t i = 1, first = 0; i < n; i++) {
        if (!same(order[i], order[first])) {
            first = i;
            continue;
        }
        found[(*n_found)++] = (struct duplicate){.line = order[i]->line,
                                                 .first = order[first]->line,
                                                 .badge = badge,
                                                 .staff_no = order[i]->person.staff_no};
    }
}

static void check_duplicates(struct import_ctx *c, const struct rrow *rows, size_t n)
{
    const struct rrow **order = calloc(n ? n : 1, sizeof(*order));
    struct duplicate *found = calloc(2 * n + 1, sizeof(*found));
    size_t n_found = 0;
    if (!order || !found) {
        import_error(c, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = &rows[i];
    if (n > 1)
        qsort(order, n, sizeof(*order), by_staff_no_then_line);
    note_duplicates(order, n, false, same_staff_no, found, &n_found);
    if (n > 1)
        qsort(order, n, sizeof(*order), by_badge_then_line);
    note_duplicates(order, n, true, same_badge, found, &n_found);
    if (n_found > 1)
        qsort(found, n_found, sizeof(*found), by_line);
    for (size_t i = 0; i < n_found; i++) {
        if (found[i].badge)
            import_error(c, found[i].line, "badge_uid: the same badge as line %d", found[i].first);
        else
            import_error(c, found[i].line, "duplicate staff_no \"%s\" (first on line %d)",
                         found[i].staff_no, found[i].first);
    }
out:
    free(order);
    free(found);
}

/* Badges the store has enrolled already: whose each is, by hash. */
struct enrolled {
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    char staff_no[DOMAIN_CODE_MAX];
};

struct enrolled_list {
    struct enrolled *list;
    size_t n, cap;
    int err;
};

static int by_hash(const void *a, const void *b)
{
    return memcmp(((const struct enrolled *)a)->hash, ((const struct enrolled *)b)->hash,
                  CRYPTO_BADGE_HASH_BYTES);
}

static int note_enrolled(void *ctx, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4,
                         const char *staff_no)
{
    (void)last4;
    struct enrolled_list *e = ctx;
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 256;
        struct enrolled *grown = realloc(e->list, cap * sizeof(*grown));
        if (!grown) {
            e->err = STORE_ENOMEM;
            return CPD_STOP;
        }
        e->list = grown;
        e->cap = cap;
    }
    struct enrolled *x = &e->list[e->n++];
    memcpy(x->hash, hash, CRYPTO_BADGE_HASH_BYTES);
    snprintf(x->staff_no, sizeof(x->staff_no), "%s", staff_no);
    return 0;
}

/* A badge the store has enrolled to somebody else is refused here, before anything is written
 * (writing it would fail half way): one pass over the stored badges, sorted, not a query a row. */
static void check_enrolled(struct import_ctx *c, const struct rrow *rows, size_t n)
{
    struct enrolled_list e = {0};
    int err = store_badge_hashes_each(c->store, note_enrolled, &e);
    err = err == STORE_OK || err == CPD_STOP ? e.err : err;
    if (err != STORE_OK) {
        import_store_failed(c, 0, err, "cannot read the enrolled badges");
        goto out;
    }
    if (e.n > 1)
        qsort(e.list, e.n, sizeof(*e.list), by_hash);
    for (size_t i = 0; i < n && e.n; i++) {
        const struct rrow *r = &rows[i];
        struct enrolled key;
        if (!r->has_badge)
            continue;
        memcpy(key.hash, r->hash, sizeof(key.hash));
        const struct enrolled *holder = bsearch(&key, e.list, e.n, sizeof(*e.list), by_hash);
        if (!holder || strcmp(holder->staff_no, r->person.staff_no) == 0)
            continue;
        char last4[5];
        uid_last4(&r->uid, last4);
        import_error(c, r->line, "badge_uid: badge …%s is already enrolled to %s", last4,
                     holder->staff_no);
    }
out:
    free(e.list);
}

static int write_row(struct import_ctx *c, void *items, size_t i)
{
    const struct rrow *r = &((const struct rrow *)items)[i];
    int64_t id = 0;
    int err = store_person_upsert(c->store, &r->person, &id);
    if (err != STORE_OK)
        return import_store_failed(c, r->line, err, "cannot store the person");
    if (!r->has_badge)
        return STORE_OK;
    char last4[5];
    uid_last4(&r->uid, last4);
    err = store_badge_add(c->store, id, r->hash, last4);
    /* Checked before writing; enrolled since by someone else (a trainer at the kiosk). */
    if (err == STORE_ECONSTRAINT)
        import_error(c, r->line, "badge_uid: badge …%s was enrolled to someone else meanwhile",
                     last4);
    else if (err != STORE_OK)
        import_store_failed(c, r->line, err, "cannot store the badge");
    return err;
}

/* Active people the store has and the file does not: leavers, when the file is the whole
 * roster (--replace), marked inactive (their records stay); otherwise named in a warning. */
struct leavers {
    const char **in_file; /* the file's staff numbers, sorted */
    size_t n_rows;
    struct person *list;
    size_t n, cap;
    int err;
};

static int by_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int by_staff_no(const void *a, const void *b)
{
    return strcmp(((const struct person *)a)->staff_no, ((const struct person *)b)->staff_no);
}

static int note_leaver(void *ctx, const struct person *p, int badges)
{
    (void)badges;
    struct leavers *l = ctx;
    if (!p->active)
        return 0;
    const char *key = p->staff_no;
    if (bsearch(&key, l->in_file, l->n_rows, sizeof(*l->in_file), by_text))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct person *grown = realloc(l->list, cap * sizeof(*grown));
        if (!grown) {
            l->err = STORE_ENOMEM;
            return CPD_STOP;
        }
        l->list = grown;
        l->cap = cap;
    }
    l->list[l->n++] = *p;
    return 0;
}

/* The leavers, from the store as it is before the import writes: the file's own people are
 * not among them either way. */
static void find_leavers(struct import_ctx *c, const struct rrow *rows, size_t n, struct leavers *l)
{
    l->in_file = calloc(n ? n : 1, sizeof(*l->in_file));
    l->n_rows = n;
    if (!l->in_file) {
        import_error(c, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        l->in_file[i] = rows[i].person.staff_no;
    if (n > 1)
        qsort(l->in_file, n, sizeof(*l->in_file), by_text);
    int err = store_people_each(c->store, note_leaver, l);
    err = err == STORE_OK || err == CPD_STOP ? l->err : err;
    if (err != STORE_OK)
        import_store_failed(c, 0, err, "cannot read who the store has");
    else if (l->n > 1)
        qsort(l->list, l->n, sizeof(*l->list), by_staff_no);
}

static int write_leaver(struct import_ctx *c, void *items, size_t i)
{
    struct person p = ((const struct leavers *)items)->list[i];
    int64_t id = 0;
    p.active = false;
    int err = store_person_upsert(c->store, &p, &id);
    if (err != STORE_OK)
        import_store_failed(c, 0, err, "cannot mark a leaver inactive");
    return err;
}

/* Said once the rows (and, with --replace, the leavers) are written. */
static void report_leavers(struct import_ctx *c, const struct rrow *rows, size_t n,
                           const struct leavers *l)
{
    bool replace = c->opt->replace && !c->opt->dry_run;
    char names[256] = "", more[32] = "";
    size_t shown = 0, trainers = 0;
    for (size_t i = 0; i < l->n; i++) {
        trainers += l->list[i].trainer;
        size_t used = strlen(names);
        if (used + strlen(l->list[i].staff_no) + 8 < sizeof(names)) {
            snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
                     l->list[i].staff_no);
            shown++;
        }
    }
    if (shown < l->n)
        snprintf(more, sizeof(more), " and %zu more", l->n - shown);
    if (l->n && !c->opt->replace)
        import_warning(c, 0,
                       "%zu active people are not in this file (%s%s): import with --replace "
                       "if it is the whole roster, to mark them as leavers",
                       l->n, names, more);
    else if (l->n)
        import_warning(c, 0,
                       "%zu people not in this file %s inactive as leavers (%s%s); their "
                       "records are kept",
                       l->n, replace ? "marked" : "would be marked", names, more);
    bool trainer_left = false;
    for (size_t i = 0; i < n; i++)
        trainer_left |= rows[i].person.trainer && rows[i].person.active;
    if (c->opt->replace && trainers && !trainer_left)
        import_warning(c, 0,
                       "no active trainer is left (%zu of the leavers are trainers): nobody can "
                       "open trainer mode until one is in the roster again",
                       trainers);
}

void import_roster_rows(struct import_ctx *c)
{
    size_t n = c->table->n_rows - 1, done = 0;
    struct leavers l = {0};
    struct rrow *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows) {
        import_error(c, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].line = c->table->rows[i + 1].line;
        parse_row(c, &c->table->rows[i + 1], &rows[i]);
    }
    check_duplicates(c, rows, n);
    if (!c->store_error)
        check_enrolled(c, rows, n);
    if (c->result->errors == 0)
        find_leavers(c, rows, n, &l);
    if (c->result->errors == 0 && !c->opt->dry_run) {
        int err = import_write(c, NULL, n, write_row, rows, &done);
        c->result->written = (int)done;
        if (err == STORE_OK && c->opt->replace)
            import_write(c, "leavers marked inactive", l.n, write_leaver, &l, &done);
    }
    if (c->result->errors == 0)
        report_leavers(c, rows, n, &l);
    crypto_wipe(rows, n * sizeof(*rows));
    free(rows);
    free(l.list);
    free(l.in_file);
}
