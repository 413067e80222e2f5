/* The bookings and external-credits importers: rows that refer to people and the programme. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/services/import_internal.h"

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

enum { B_STAFF_NO, B_SESSION };

void import_bookings_rows(struct import_ctx *c)
{
    size_t n = c->table->n_rows - 1;
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys) {
        import_error(c, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n && !c->store_error; i++) {
        const struct csv_row *row = &c->table->rows[i + 1];
        const char *staff_no = import_field(c, row, B_STAFF_NO);
        const char *code = import_field(c, row, B_SESSION);
        char key[160];
        snprintf(key, sizeof(key), "%s\x1f%s", staff_no, code);
        int first = find_repeat(keys, i, key);
        keys[i] = strdup(key);
        if (first >= 0) {
            import_warning(c, row->line, "the same booking as line %d",
                           c->table->rows[first + 1].line);
            continue;
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
            continue;
        }
        if (err != STORE_OK) {
            import_store_failed(c, row->line, err, "cannot look up the session");
            continue;
        }
        if (have_person && c->result->errors == 0) {
            err = store_booking_add(c->store, p.id, s.id);
            if (err != STORE_OK)
                import_store_failed(c, row->line, err, "cannot store the booking");
        }
    }
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
    if (civil_parse_date(date, &x->date) != 0)
        import_error(c, line, "date: expected a real date YYYY-MM-DD, got \"%s\"", date);
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

static void warn_credit(struct import_ctx *c, int line, const struct external_row *x,
                        const struct course_row *course)
{
    const struct terms *terms = &c->opt->rules->terms;
    if (x->date < terms->year.first || x->date > terms->year.last)
        import_warning(c, line, "date is outside the credit year: it will not count");
    if (x->source == SOURCE_PRERECORDED && !x->certificate[0])
        import_warning(c, line, "pre-recorded training without a certificate will not count");
    if (x->source == SOURCE_MANDATORY && course->kind != KIND_MANDATORY)
        import_warning(c, line, "source mandatory but \"%s\" is not mandatory training",
                       course->code);
    if (x->source == SOURCE_LIVE_TEAMS && course->delivery != DELIVERY_LIVE_TEAMS)
        import_warning(c, line, "source live-teams but \"%s\" is delivered %s", course->code,
                       domain_delivery_name(course->delivery));
    if (course->credits_q >= 0 && x->credits_q > course->credits_q &&
        course->kind != KIND_MANDATORY && strcmp(course->group, "mapa") != 0)
        import_warning(c, line, "more credits than the programme prints for \"%s\"", course->code);
}

void import_credits_rows(struct import_ctx *c)
{
    size_t n = c->table->n_rows - 1;
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    if (!keys) {
        import_error(c, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n && !c->store_error; i++) {
        const struct csv_row *row = &c->table->rows[i + 1];
        struct external_row x = {0};
        struct course_row course;
        if (!parse_credit(c, row, &x, &course))
            continue;
        char key[200];
        snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", import_field(c, row, X_STAFF_NO),
                 import_field(c, row, X_PROGRAMME), import_field(c, row, X_DATE));
        int first = find_repeat(keys, i, key);
        keys[i] = strdup(key);
        if (first >= 0) {
            import_error(c, row->line,
                         "duplicate: the same person, programme id and date as "
                         "line %d",
                         c->table->rows[first + 1].line);
            continue;
        }
        warn_credit(c, row->line, &x, &course);
        if (c->result->errors == 0) {
            int err = store_external_upsert(c->store, &x);
            if (err != STORE_OK)
                import_store_failed(c, row->line, err, "cannot store the credit");
        }
    }
    free_keys(keys, n);
}
