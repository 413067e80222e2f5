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

static void write_row(struct import_ctx *c, const struct rrow *r)
{
    int64_t id = 0;
    int err = store_person_upsert(c->store, &r->person, &id);
    if (err != STORE_OK) {
        import_store_failed(c, r->line, err, "cannot store the person");
        return;
    }
    if (!r->has_badge)
        return;
    char last4[5];
    uid_last4(&r->uid, last4);
    err = store_badge_add(c->store, id, r->hash, last4);
    if (err == STORE_ECONSTRAINT) {
        int64_t owner = 0;
        struct person holder = {0};
        if (store_badge_lookup(c->store, r->hash, &owner) != STORE_OK ||
            store_person_by_id(c->store, owner, &holder) != STORE_OK)
            holder.staff_no[0] = '\0'; /* named as "someone else" */
        import_error(c, r->line, "badge_uid: badge …%s is already enrolled to %s", last4,
                     holder.staff_no[0] ? holder.staff_no : "someone else");
    } else if (err != STORE_OK) {
        import_store_failed(c, r->line, err, "cannot store the badge");
    }
}

/* Active people the store has and the file does not: leavers, when the file is the whole
 * roster (--replace), marked inactive (their records stay); otherwise named in a warning. */
struct leavers {
    const char **in_file; /* the file's staff numbers, sorted */
    bool *rows_trainer;   /* the file's active trainers, by row */
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

/* After the leavers go: is anyone in the file an active trainer? */
static bool any_trainer_left(const struct leavers *l)
{
    for (size_t i = 0; i < l->n_rows; i++) {
        if (l->rows_trainer[i])
            return true;
    }
    return false;
}

static void apply_leavers(struct import_ctx *c, const struct rrow *rows, size_t n)
{
    struct leavers l = {.in_file = calloc(n ? n : 1, sizeof(*l.in_file)), .n_rows = n};
    if (!l.in_file) {
        import_error(c, 0, "out of memory");
        return;
    }
    l.rows_trainer = calloc(n ? n : 1, sizeof(*l.rows_trainer));
    if (!l.rows_trainer) {
        free(l.in_file);
        import_error(c, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        l.in_file[i] = rows[i].person.staff_no;
        l.rows_trainer[i] = rows[i].person.trainer && rows[i].person.active;
    }
    if (n > 1)
        qsort(l.in_file, n, sizeof(*l.in_file), by_text);
    int err = store_people_each(c->store, note_leaver, &l);
    err = err == STORE_OK || err == CPD_STOP ? l.err : err;
    if (l.n > 1)
        qsort(l.list, l.n, sizeof(*l.list), by_staff_no);
    bool replace = c->opt->replace && !c->opt->dry_run;
    char names[256] = "", more[32] = "";
    size_t shown = 0, trainers = 0;
    for (size_t i = 0; i < l.n && err == STORE_OK; i++) {
        trainers += l.list[i].trainer;
        size_t used = strlen(names);
        if (used + strlen(l.list[i].staff_no) + 8 < sizeof(names)) {
            snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
                     l.list[i].staff_no);
            shown++;
        }
        if (replace) {
            int64_t id = 0;
            l.list[i].active = false;
            err = store_person_upsert(c->store, &l.list[i], &id);
        }
    }
    if (shown < l.n)
        snprintf(more, sizeof(more), " and %zu more", l.n - shown);
    if (err != STORE_OK)
        import_store_failed(c, 0, err, "cannot mark a leaver inactive");
    else if (l.n && !c->opt->replace)
        import_warning(c, 0,
                       "%zu active people are not in this file (%s%s): import with --replace "
                       "if it is the whole roster, to mark them as leavers",
                       l.n, names, more);
    else if (l.n)
        import_warning(c, 0,
                       "%zu people not in this file %s inactive as leavers (%s%s); their "
                       "records are kept",
                       l.n, replace ? "marked" : "would be marked", names, more);
    if (err == STORE_OK && c->opt->replace && trainers && !any_trainer_left(&l))
        import_warning(c, 0,
                       "no active trainer is left (%zu of the leavers are trainers): nobody can "
                       "open trainer mode until one is in the roster again",
                       trainers);
    free(l.list);
    free(l.in_file);
    free(l.rows_trainer);
}

void import_roster_rows(struct import_ctx *c)
{
    size_t n = c->table->n_rows - 1;
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
    for (size_t i = 0; i < n && c->result->errors == 0; i++)
        write_row(c, &rows[i]);
    if (c->result->errors == 0)
        apply_leavers(c, rows, n);
    crypto_wipe(rows, n * sizeof(*rows));
    free(rows);
}
