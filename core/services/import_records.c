/* The bookings and external-credits importers: rows that refer to people and the programme. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/services/import_internal.h"

#include "core/base/clock.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/credits.h"
#include "core/services/corrections.h"
#include "core/services/lists.h"

/* The person named in a row, reported when unknown. */
static bool find_person(struct import_ctx *c, int line, const char *staff_no, struct person *out)
{
    int err = store_person_by_staff_no(c->store, staff_no, out);
    if (err == STORE_ENOTFOUND)
        import_error(c, line, "staff_no: unknown person \"%s\" (import the roster first)",
                     staff_no);
    else if (err != STORE_OK)
        import_store_failed(c, line, err, "cannot look up the person");
    return err == STORE_OK;
}

/* Each row's key, to report repeats: "staff_no\x1fcode\x1fdate". */
static int find_repeat(char **keys, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (keys[i] && strcmp(keys[i], key) == 0)
            return (int)i;
    }
    return -1;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

/* What the store holds that the file no longer does, when the file is the whole record: found
 * while checking, cancelled or voided (--replace) after the rows are written, and counted. */
struct missing_item {
    struct person person;
    struct session session;     /* a booking's */
    char code[DOMAIN_CODE_MAX]; /* a credit's programme id */
    civil_day date;             /* … and date */
};

struct missing {
    bool credits;
    struct missing_item *items;
    size_t n;
    int corrected; /* cancelled or voided by this import */
    char reason[192];
    struct correction fix;
};

/* Once every row of a bookings or credits file is checked without an error: what the file no
 * longer has, the rows (n items), then --replace's corrections, and what was done. */
static void write_records(struct import_ctx *c, struct missing *m, size_t n,
                          import_write_fn write_one, void *items);

enum { B_STAFF_NO, B_SESSION };

/* A booking to write: both ends found in the store. */
struct booking {
    int line;
    int64_t person_id, session_id;
};

static int write_booking(struct import_ctx *c, void *items, size_t i)
{
    const struct booking *b = &((const struct booking *)items)[i];
    int err = store_booking_add(c->store, b->person_id, b->session_id);
    if (err != STORE_OK)
        import_store_failed(c, b->line, err, "cannot store the booking");
    return err;
}

/* Checks one row; adds the booking to write to items (a repeat of an earlier line adds none). */
static void check_booking(struct import_ctx *c, size_t i, char **keys, struct booking *items,
                          size_t *n_items)
{
    const struct csv_row *row = &c->table->rows[i + 1];
    const char *staff_no = import_field(c, row, B_STAFF_NO);
    const char *code = import_field(c, row, B_SESSION);
    char key[160];
    snprintf(key, sizeof(key), "%s\x1f%s", staff_no, code);
    int first = find_repeat(keys, i, key);
    keys[i] = strdup(key);
    if (first >= 0) {
        import_warning(c, row->line, "the same booking as line %d", c->table->rows[first + 1].line);
        return;
    }
    struct person p;
    struct session s;
    bool have_person = find_person(c, row->line, staff_no, &p);
    int err = store_session_by_code(c->store, code, &s);
    if (err == STORE_ENOTFOUND) {
        struct course_row course;
        bool undated = store_course_by_code(c->store, code, &course, NULL) == STORE_OK;
        import_error(c, row->line, "session: %s \"%s\"",
                     undated ? "not a dated session:" : "unknown session", code);
    } else if (err != STORE_OK) {
        import_store_failed(c, row->line, err, "cannot look up the session");
    } else if (have_person) {
        items[(*n_items)++] = (struct booking){row->line, p.id, s.id};
    }
}

void import_bookings_rows(struct import_ctx *c)
{
    size_t n = c->table->n_rows - 1, n_items = 0;
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    struct booking *items = calloc(n ? n : 1, sizeof(*items));
    struct missing m = {.credits = false};
    if (!keys || !items) {
        import_error(c, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && !c->store_error; i++)
        check_booking(c, i, keys, items, &n_items);
    write_records(c, &m, n_items, write_booking, items);
out:
    free(m.items);
    free(items);
    if (keys)
        free_keys(keys, n);
}

enum { X_STAFF_NO, X_SOURCE, X_PROGRAMME, X_DATE, X_CREDITS, X_CERTIFICATE, X_DIRECTED, X_NOTE };

/* Validates one external credit; false when it has an error. */
static bool parse_credit(struct import_ctx *c, const struct csv_row *row, struct external_row *x,
                         struct course_row *course)
{
    int line = row->line;
    int errors = c->result->errors;
    struct person p;
    if (find_person(c, line, import_field(c, row, X_STAFF_NO), &p))
        x->person_id = p.id;
    int source = domain_source_parse(import_field(c, row, X_SOURCE));
    if (source < 0)
        import_error(c, line, "source: expected live-teams, prerecorded or mandatory, got \"%s\"",
                     import_field(c, row, X_SOURCE));
    x->source = source < 0 ? SOURCE_LIVE_TEAMS : (enum external_source)source;
    const char *code = import_field(c, row, X_PROGRAMME);
    int err = store_course_by_code(c->store, code, course, &x->course_id);
    if (err == STORE_ENOTFOUND)
        import_error(c, line, "programme: unknown programme id \"%s\"", code);
    else if (err != STORE_OK)
        import_store_failed(c, line, err, "cannot look up the programme");
    const char *date = import_field(c, row, X_DATE);
    civil_day today = 0;
    int minute = 0;
    zone_utc_to_local(clock_wall_us(), &today, &minute, NULL);
    if (civil_parse_date(date, &x->date) != 0)
        import_error(c, line, "date: expected a real date YYYY-MM-DD, got \"%s\"", date);
    else if (x->date > today + 1) /* a day's grace for time zones */
        import_error(c, line, "date: %s is in the future: training is recorded once done", date);
    const char *credits = import_field(c, row, X_CREDITS);
    if (rules_parse_quarters(credits, &x->credits_q) != 0)
        import_error(c, line,
                     "credits: expected a number of credits in quarters (1.5), got "
                     "\"%s\"",
                     credits);
    import_copy(c, line, "certificate", x->certificate, sizeof(x->certificate),
                import_field(c, row, X_CERTIFICATE));
    int directed = import_yes_no(import_field(c, row, X_DIRECTED));
    if (directed < 0)
        import_error(c, line, "directed: expected yes or no, got \"%s\"",
                     import_field(c, row, X_DIRECTED));
    x->directed = directed == 1;
    import_copy(c, line, "note", x->note, sizeof(x->note), import_field(c, row, X_NOTE));
    return c->result->errors == errors;
}

/* The record as the engine will see it: the row and what the programme says of its course. */
static int as_credit(struct import_ctx *c, const struct external_row *x,
                     const struct course_row *course, struct external_credit *out)
{
    struct session s;
    memset(out, 0, sizeof(*out));
    out->course_id = x->course_id;
    utf8_copy(out->course_code, sizeof(out->course_code), course->code);
    utf8_copy(out->title, sizeof(out->title), course->title);
    utf8_copy(out->group, sizeof(out->group), course->group);
    out->source = x->source;
    out->date = x->date;
    out->credits_q = x->credits_q;
    out->has_certificate = x->certificate[0] != '\0';
    out->directed = x->directed;
    out->has_reason = x->note[0] != '\0';
    out->kind = course->kind;
    out->delivery = course->delivery;
    out->printed_q = course->credits_q;
    out->repeatable = domain_category_repeatable(course->category);
    int err = store_session_by_code(c->store, course->code, &s);
    out->has_session = err == STORE_OK;
    out->session_date = out->has_session ? s.date : 0;
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

/* What the engine would refuse is refused here, naming the course as the programme has it. */
static void check_credit(struct import_ctx *c, int line, const struct external_credit *x)
{
    const char *why = "";
    if (credits_external_acceptable(x, &why))
        return;
    char printed[16] = "none";
    if (x->printed_q >= 0)
        rules_format_quarters(x->printed_q, printed);
    import_error(c, line, "programme: \"%s\" (%s, credits printed: %s): %s", x->course_code,
                 domain_delivery_name(x->delivery), printed, why);
}

static void warn_credit(struct import_ctx *c, int line, const struct external_credit *x)
{
    const struct terms *terms = &c->opt->rules->terms;
    if (rules_term_of(terms, x->date) < 0)
        import_warning(c, line, "date: outside the credit year's terms: it will not count");
    if (x->delivery == DELIVERY_PRERECORDED && !x->has_certificate &&
        (x->source != SOURCE_MANDATORY || x->directed))
        import_warning(c, line,
                       "certificate: pre-recorded training without a certificate will "
                       "not count");
    if (x->source == SOURCE_MANDATORY && !x->directed)
        import_warning(c, line,
                       "directed: mandatory training not directed outside hours will "
                       "not count");
}

/* The same person, course and date imported again with other values would change a record
 * without a word: refused (naming what changes) unless the import accepts changes. */
static void check_overwrite(struct import_ctx *c, int line, const struct external_row *x)
{
    struct external_row old;
    int err = store_external_get(c->store, x->person_id, x->course_id, x->date, &old);
    if (err == STORE_ENOTFOUND)
        return;
    if (err != STORE_OK) {
        import_store_failed(c, line, err, "cannot read the stored credit");
        return;
    }
    const char *what = old.credits_q != x->credits_q                  ? "credits"
                       : strcmp(old.certificate, x->certificate) != 0 ? "certificate"
                       : old.source != x->source                      ? "source"
                       : old.directed != x->directed                  ? "directed"
                       : strcmp(old.note, x->note) != 0               ? "note"
                                                                      : NULL;
    if (!what)
        return;
    char was[16], now[16];
    rules_format_quarters(old.credits_q, was);
    rules_format_quarters(x->credits_q, now);
    if (c->opt->accept_changes)
        import_warning(c, line,
                       "%s: replaces the recorded %s credits (certificate \"%s\") with %s "
                       "(\"%s\") (accepted)",
                       what, was, old.certificate, now, x->certificate);
    else
        import_error(c, line,
                     "%s: already recorded with %s credits (certificate \"%s\"); this "
                     "row would change it — import with --accept-changes if that is right",
                     what, was, old.certificate);
}

/* A course counts once a credit year ("Any 1 hour" items and dated sessions aside): a second
 * record of it — in this file or already stored, under any of its half-term ids — is an
 * error, not a silent zero. */
struct seen_credit {
    int64_t person_id;
    int line;
    struct external_credit x;
    char certificate[DOMAIN_CODE_MAX];
};

static bool same_course_this_year(const struct import_ctx *c, const struct external_credit *a,
                                  const struct external_credit *b)
{
    const struct terms *terms = &c->opt->rules->terms;
    return !a->repeatable && !a->has_session && strcmp(a->title, b->title) == 0 &&
           rules_term_of(terms, a->date) >= 0 && rules_term_of(terms, b->date) >= 0 &&
           !(a->course_id == b->course_id && a->date == b->date);
}

static void check_once_a_year(struct import_ctx *c, int line, int64_t person_id,
                              const struct external_credit *x, const struct seen_credit *seen,
                              size_t n_seen)
{
    char day[16];
    for (size_t i = 0; i < n_seen; i++) {
        if (seen[i].person_id == person_id && same_course_this_year(c, x, &seen[i].x)) {
            import_error(c, line,
                         "programme: \"%s\" is the course of line %d (%s): a course "
                         "counts once a year",
                         x->course_code, seen[i].line, seen[i].x.course_code);
            return;
        }
    }
    struct external_credit *stored = NULL;
    size_t n = 0;
    int err = lists_external_for(c->store, person_id, &stored, &n);
    if (err != STORE_OK) {
        import_store_failed(c, line, err, "cannot read the person's credits");
        n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (same_course_this_year(c, x, &stored[i])) {
            civil_format_date(stored[i].date, day);
            import_error(c, line,
                         "programme: \"%s\" is already recorded this year (%s on %s): "
                         "a course counts once a year",
                         x->course_code, stored[i].course_code, day);
            break;
        }
    }
    free(stored);
}

/* A repeatable item ("Any 1 hour of TES training") is listed per half-term: each hour under
 * the listing of its own half-term, each with a certificate of its own. */
static void check_repeatable(struct import_ctx *c, int line, const struct external_credit *x,
                             const struct course_row *course, const struct external_row *row,
                             const struct seen_credit *seen, size_t n_seen)
{
    if (!x->repeatable)
        return;
    int half = rules_half_term_parse(course->period);
    int actual = rules_half_term_of(&c->opt->rules->terms, x->date);
    if (half >= 0 && actual >= 0 && half != actual)
        import_error(c, line, "date: in %s, but \"%s\" is the %s listing: use %s's",
                     rules_half_term_name(actual), course->code, rules_half_term_name(half),
                     rules_half_term_name(actual));
    for (size_t i = 0; row->certificate[0] && i < n_seen; i++) {
        if (seen[i].person_id == row->person_id && seen[i].x.repeatable &&
            strcmp(seen[i].certificate, row->certificate) == 0) {
            import_error(c, line, "certificate: \"%s\" is already line %d's: each hour has its own",
                         row->certificate, seen[i].line);
            return;
        }
    }
}

/* A credit to write, checked. */
struct credit_write {
    int line;
    struct external_row row;
};

static int write_credit(struct import_ctx *c, void *items, size_t i)
{
    const struct credit_write *x = &((const struct credit_write *)items)[i];
    int err = store_external_upsert(c->store, &x->row);
    if (err != STORE_OK)
        import_store_failed(c, x->line, err, "cannot store the credit");
    return err;
}

/* What checking the credits keeps from row to row. */
struct credit_check {
    char **keys;              /* each row's key, to report repeats */
    struct seen_credit *seen; /* the rows checked so far, for once a year and certificates */
    size_t n_seen;
    struct credit_write *items; /* the rows to write */
    size_t n_items;
};

static void check_credit_row(struct import_ctx *c, size_t i, struct credit_check *k)
{
    const struct csv_row *row = &c->table->rows[i + 1];
    struct external_row x = {0};
    struct course_row course;
    struct external_credit credit;
    if (!parse_credit(c, row, &x, &course))
        return;
    int err = as_credit(c, &x, &course, &credit);
    if (err != STORE_OK) {
        import_store_failed(c, row->line, err, "cannot look up the session");
        return;
    }
    char key[200];
    snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", import_field(c, row, X_STAFF_NO),
             import_field(c, row, X_PROGRAMME), import_field(c, row, X_DATE));
    int first = find_repeat(k->keys, i, key);
    k->keys[i] = strdup(key);
    if (first >= 0) {
        import_error(c, row->line,
                     "duplicate: the same person, programme id and date as "
                     "line %d",
                     c->table->rows[first + 1].line);
        return;
    }
    int errors = c->result->errors;
    check_credit(c, row->line, &credit);
    check_once_a_year(c, row->line, x.person_id, &credit, k->seen, k->n_seen);
    check_repeatable(c, row->line, &credit, &course, &x, k->seen, k->n_seen);
    check_overwrite(c, row->line, &x);
    if (c->result->errors == errors)
        warn_credit(c, row->line, &credit);
    k->seen[k->n_seen] = (struct seen_credit){x.person_id, row->line, credit, ""};
    utf8_copy(k->seen[k->n_seen++].certificate, sizeof(k->seen[0].certificate), x.certificate);
    k->items[k->n_items++] = (struct credit_write){row->line, x};
}

void import_credits_rows(struct import_ctx *c)
{
    size_t n = c->table->n_rows - 1;
    struct credit_check k = {.keys = calloc(n ? n : 1, sizeof(*k.keys)),
                             .seen = calloc(n ? n : 1, sizeof(*k.seen)),
                             .items = calloc(n ? n : 1, sizeof(*k.items))};
    struct missing m = {.credits = true};
    if (!k.keys || !k.seen || !k.items) {
        import_error(c, 0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && !c->store_error; i++)
        check_credit_row(c, i, &k);
    write_records(c, &m, k.n_items, write_credit, k.items);
out:
    free(m.items);
    free(k.items);
    free(k.seen);
    if (k.keys)
        free_keys(k.keys, n);
}

/* ---- the file as the whole record ----------------------------------------------------------- */

struct stored_key {
    char staff_no[DOMAIN_CODE_MAX];
    char code[DOMAIN_CODE_MAX];
    civil_day date;
};

struct stored_keys {
    struct stored_key *keys;
    size_t n, cap;
    int err;
};

static int keep_key(struct stored_keys *k, const char *staff_no, const char *code, civil_day date)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 64;
        struct stored_key *grown = realloc(k->keys, cap * sizeof(*grown));
        if (!grown) {
            k->err = STORE_ENOMEM;
            return CPD_STOP;
        }
        k->keys = grown;
        k->cap = cap;
    }
    struct stored_key *key = &k->keys[k->n++];
    utf8_copy(key->staff_no, sizeof(key->staff_no), staff_no);
    utf8_copy(key->code, sizeof(key->code), code);
    key->date = date;
    return 0;
}

static int keep_credit(void *ctx, const char *staff_no, const char *code,
                       const struct external_row *row)
{
    return keep_key(ctx, staff_no, code, row->date);
}

static int keep_booking(void *ctx, const char *staff_no, const char *code)
{
    return keep_key(ctx, staff_no, code, 0);
}

static bool in_file(const struct import_ctx *c, const struct stored_key *key, bool dated)
{
    enum { STAFF, CODE, DATE };
    int cols[3] = {dated ? X_STAFF_NO : B_STAFF_NO, dated ? X_PROGRAMME : B_SESSION, X_DATE};
    for (size_t i = 1; i < c->table->n_rows; i++) {
        const struct csv_row *row = &c->table->rows[i];
        civil_day date = 0;
        if (strcmp(import_field(c, row, cols[STAFF]), key->staff_no) == 0 &&
            strcmp(import_field(c, row, cols[CODE]), key->code) == 0 &&
            (!dated ||
             (civil_parse_date(import_field(c, row, cols[DATE]), &date) == 0 && date == key->date)))
            return true;
    }
    return false;
}

/* What the store holds that the file no longer does (its people still known), from the store
 * as it is before the import writes: the file's own rows are not among them either way. */
static void find_missing(struct import_ctx *c, struct missing *m)
{
    struct stored_keys k = {0};
    int err = m->credits ? store_external_each(c->store, keep_credit, &k)
                         : store_bookings_each(c->store, keep_booking, &k);
    err = err == STORE_OK || err == CPD_STOP ? k.err : err;
    size_t cap = 0;
    for (size_t i = 0; i < k.n && err == STORE_OK; i++) {
        const struct stored_key *key = &k.keys[i];
        struct missing_item x = {.date = key->date};
        if (in_file(c, key, m->credits) ||
            store_person_by_staff_no(c->store, key->staff_no, &x.person) != STORE_OK ||
            (!m->credits && store_session_by_code(c->store, key->code, &x.session) != STORE_OK))
            continue;
        utf8_copy(x.code, sizeof(x.code), key->code);
        if (m->n == cap) {
            cap = cap ? 2 * cap : 16;
            struct missing_item *grown = realloc(m->items, cap * sizeof(*grown));
            if (!grown) {
                err = STORE_ENOMEM;
                break;
            }
            m->items = grown;
        }
        m->items[m->n++] = x;
    }
    if (err != STORE_OK)
        import_store_failed(c, 0, err,
                            m->credits ? "cannot read the stored credits"
                                       : "cannot read the stored bookings");
    free(k.keys);
}

static int write_correction(struct import_ctx *c, void *items, size_t i)
{
    struct missing *m = items;
    struct missing_item *x = &m->items[i];
    const char *why = "";
    int rc = m->credits ? correct_void_credit(&m->fix, &x->person, x->code, x->date, &why)
                        : correct_cancel_booking(&m->fix, &x->person, &x->session, &why);
    if (rc == STORE_EINVALID) /* voided or cancelled already */
        return STORE_OK;
    if (rc != STORE_OK)
        return import_store_failed(c, 0, rc,
                                   m->credits ? "cannot void a credit the file no longer has"
                                              : "cannot cancel a booking the file no longer has");
    m->corrected++;
    return STORE_OK;
}

/* With --replace: each cancelled or voided by a correction event naming the file, written in
 * short transactions like the rows. */
static void correct_missing(struct import_ctx *c, struct missing *m)
{
    if (!c->opt->replace || c->opt->dry_run || m->n == 0)
        return;
    const char *base = strrchr(c->path, '/');
    /* The reason names the file: printable, and cut to leave room for the words around it, so
     * a long or odd file name can never make the correction itself invalid (and skipped). */
    char name[96];
    utf8_printable(name, sizeof(name), base ? base + 1 : c->path);
    utf8_printf(m->reason, sizeof(m->reason), "not in %s (the file is the whole record)", name);
    m->fix = (struct correction){.store = c->store,
                                 .rules = c->opt->rules,
                                 .by = "import",
                                 .reason = m->reason,
                                 .clock_state = "unsynced",
                                 .now_us = clock_wall_us(),
                                 .mono_us = clock_monotonic_us()};
    size_t done = 0;
    import_write(c, m->credits ? "credits voided" : "bookings cancelled", m->n, write_correction, m,
                 &done);
}

static void report_missing(struct import_ctx *c, const struct missing *m)
{
    const char *what = m->credits ? "credits are" : "bookings are";
    if (m->n && c->opt->corrections_elsewhere)
        import_warning(c, 0,
                       "%zu stored %s not in this file: kept; to %s one, correct it at a kiosk"
                       " (cpd-admin correct %s …, synced like a tap)",
                       m->n, what, m->credits ? "void" : "cancel",
                       m->credits ? "credit" : "unbook");
    else if (m->n && (!c->opt->replace || c->opt->dry_run))
        import_warning(c, 0, "%zu stored %s not in this file: import with --replace to %s them",
                       m->n, what, m->credits ? "void" : "cancel");
    else if (m->corrected)
        import_warning(c, 0, "%d stored %s not in this file: %s by a correction naming it",
                       m->corrected, m->credits ? "credits" : "bookings",
                       m->credits ? "voided" : "cancelled");
}

static void write_records(struct import_ctx *c, struct missing *m, size_t n,
                          import_write_fn write_one, void *items)
{
    size_t done = 0;
    if (c->result->errors == 0 && !c->store_error)
        find_missing(c, m);
    if (c->result->errors == 0 && !c->opt->dry_run) {
        int err = import_write(c, NULL, n, write_one, items, &done);
        c->result->written = (int)done;
        if (err == STORE_OK)
            correct_missing(c, m);
    }
    if (c->result->errors == 0)
        report_missing(c, m);
}
