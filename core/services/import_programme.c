/* The programme importer: the brochure's sessions, courses, packages and meetings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain/domain.h"
#include "core/services/import_internal.h"
#include "core/base/zone.h"

enum {
    C_ID,
    C_PERIOD,
    C_CATEGORY,
    C_TITLE,
    C_DELIVERY,
    C_CREDITS,
    C_DATE,
    C_WEEKDAY,
    C_START,
    C_END,
    C_LOCATION,
    C_KIND,
    C_GROUP,
    C_FREQUENCY,
    C_DUE,
    C_NOTE
};

/* Hub and department meetings print only a start: they last an hour. */
#define MEETING_MINUTES 60
/* MAPA classroom days print no times: 6.5 h over 2 sessions, twilight from 15:15. */
#define MAPA_DAY_START   (15 * 60 + 15)
#define MAPA_DAY_MINUTES 195

static const char *const categories[] = {
    "teaching-learning", "leadership", "hr-admin",  "behaviour-safeguarding",
    "flexible-online",   "cpi",        "mandatory", "hub",
    "department"};

struct prow {
    int line;
    struct course_row course;
    char location[DOMAIN_NAME_MAX];
    bool dated, timed;
    civil_day date;
    int start, end;
    int64_t start_us, end_us; /* timed: in UTC */
};

static bool known_category(const char *text)
{
    for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
        if (strcmp(text, categories[i]) == 0)
            return true;
    }
    return false;
}

static void format_minutes(int minutes, char out[24])
{
    if (minutes % 60 == 0)
        snprintf(out, 24, "%d h", minutes / 60);
    else if (minutes < 60)
        snprintf(out, 24, "%d min", minutes);
    else
        snprintf(out, 24, "%d h %d min", minutes / 60, minutes % 60);
}

/* Is the date where the period it is printed under says it should be? */
static void check_period(struct import_ctx *c, const struct prow *p)
{
    const struct terms *terms = &c->opt->rules->terms;
    const char *period = p->course.period;
    char date[CIVIL_DATE_LEN];
    civil_format_date(p->date, date);
    if (p->date < terms->year.first || p->date > terms->year.last) {
        import_warning(c, p->line, "date %s is outside the credit year", date);
        return;
    }
    int half = rules_half_term_parse(period);
    int actual_half = rules_half_term_of(terms, p->date);
    if (half >= 0 && half != actual_half) {
        import_warning(c, p->line, "date %s falls in %s, not in %s where it is printed", date,
                       rules_half_term_name(actual_half), rules_half_term_name(half));
        return;
    }
    bool teaching = false;
    for (int i = 0; i < HALF_COUNT; i++)
        teaching |= p->date >= terms->half[i].first && p->date <= terms->half[i].last;
    if (!teaching)
        import_warning(c, p->line, "date %s falls in a school holiday (after %s)", date,
                       rules_half_term_name(actual_half));
    for (int t = 0; t < TERM_COUNT; t++) {
        char lower[16];
        snprintf(lower, sizeof(lower), "%s", rules_term_name(t));
        lower[0] = (char)(lower[0] - 'A' + 'a');
        if (strcmp(period, lower) == 0 && rules_term_of(terms, p->date) != t)
            import_warning(c, p->line,
                           "date %s falls in the %s term, not in the %s term where "
                           "it is printed",
                           date, rules_term_name(rules_term_of(terms, p->date)),
                           rules_term_name(t));
    }
}

static bool valid_period(const char *text)
{
    return rules_half_term_parse(text) >= 0 || strcmp(text, "autumn") == 0 ||
           strcmp(text, "spring") == 0 || strcmp(text, "summer") == 0 || strcmp(text, "year") == 0;
}

/* One of a fixed set of words; a word outside it is reported with the set. Returns -1 then. */
static int parse_choice(struct import_ctx *c, const struct csv_row *row, int line, int column,
                        int (*parse)(const char *), const char *field, const char *expected)
{
    const char *value = import_field(c, row, column);
    int choice = parse(value);
    if (choice < 0)
        import_error(c, line, "unknown %s \"%s\" (expected %s)", field, value, expected);
    return choice;
}

/* The fields that name things: id, period, category, delivery, kind, frequency. */
static void parse_names(struct import_ctx *c, const struct csv_row *row, struct prow *p)
{
    struct course_row *k = &p->course;
    const char *id = import_field(c, row, C_ID);
    if (!import_is_code(id, NULL))
        import_error(c, p->line, "id: expected 1–63 characters a-z, 0-9 or '-', got \"%s\"", id);
    import_copy(c, p->line, "id", k->code, sizeof(k->code), id);
    const char *period = import_field(c, row, C_PERIOD);
    if (!valid_period(period))
        import_error(c, p->line,
                     "period: expected autumn1 … summer2, autumn, spring, summer or "
                     "year, got \"%s\"",
                     period);
    import_copy(c, p->line, "period", k->period, sizeof(k->period), period);
    const char *category = import_field(c, row, C_CATEGORY);
    if (!known_category(category))
        import_error(c, p->line, "unknown category \"%s\"", category);
    import_copy(c, p->line, "category", k->category, sizeof(k->category), category);
    const char *title = import_field(c, row, C_TITLE);
    if (!title[0])
        import_error(c, p->line, "title: missing");
    import_copy(c, p->line, "title", k->title, sizeof(k->title), title);
    int delivery = parse_choice(c, row, p->line, C_DELIVERY, domain_delivery_parse, "delivery",
                                "face-to-face, live-teams or prerecorded");
    k->delivery = delivery < 0 ? DELIVERY_FACE_TO_FACE : (enum delivery)delivery;
    int kind = parse_choice(c, row, p->line, C_KIND, domain_kind_parse, "kind",
                            "single, cpi_initial, mapa_block, hub, department, prerecorded or "
                            "mandatory");
    k->kind = kind < 0 ? KIND_SINGLE : (enum course_kind)kind;
    int freq = parse_choice(c, row, p->line, C_FREQUENCY, domain_frequency_parse, "frequency",
                            "annual, 2-yearly, 3-yearly or initial-then-annual");
    k->frequency = freq < 0 ? FREQ_NONE : (enum frequency)freq;
    if (k->kind == KIND_MANDATORY && k->frequency == FREQ_NONE && freq >= 0)
        import_warning(c, p->line, "mandatory training without a frequency: no renewal date");
    if (k->kind != KIND_MANDATORY && k->frequency != FREQ_NONE)
        import_error(c, p->line, "frequency is for mandatory training only");
    import_copy(c, p->line, "group", k->group, sizeof(k->group), import_field(c, row, C_GROUP));
    if ((k->kind == KIND_CPI_INITIAL || k->kind == KIND_MAPA_BLOCK) && !k->group[0])
        import_error(c, p->line, "group: a %s session needs its cohort or block",
                     domain_kind_code(k->kind));
    import_copy(c, p->line, "location", p->location, sizeof(p->location),
                import_field(c, row, C_LOCATION));
    import_copy(c, p->line, "due", k->due, sizeof(k->due), import_field(c, row, C_DUE));
    import_copy(c, p->line, "note", k->note, sizeof(k->note), import_field(c, row, C_NOTE));
}

static void parse_credits(struct import_ctx *c, const struct csv_row *row, struct prow *p)
{
    const char *credits = import_field(c, row, C_CREDITS);
    p->course.credits_q = -1;
    if (credits[0] && rules_parse_quarters(credits, &p->course.credits_q) != 0)
        import_error(c, p->line,
                     "credits: expected a number of credits in quarters (1.5), got "
                     "\"%s\"",
                     credits);
    else if (!credits[0] && !domain_kind_zero_credit(p->course.kind))
        import_warning(c, p->line, "no credits printed for \"%s\"", p->course.title);
}

/* Date, printed weekday and times; fills in what the brochure leaves out, saying so. */
static void parse_when(struct import_ctx *c, const struct csv_row *row, struct prow *p)
{
    const char *date = import_field(c, row, C_DATE);
    const char *weekday = import_field(c, row, C_WEEKDAY);
    const char *start = import_field(c, row, C_START);
    const char *end = import_field(c, row, C_END);
    if (date[0] && civil_parse_date(date, &p->date) != 0) {
        import_error(c, p->line, "date: expected a real date YYYY-MM-DD, got \"%s\"", date);
        return;
    }
    p->dated = date[0] != '\0';
    if (start[0] && civil_parse_hhmm(start, &p->start) != 0)
        import_error(c, p->line, "start: expected HH:MM, got \"%s\"", start);
    if (end[0] && civil_parse_hhmm(end, &p->end) != 0)
        import_error(c, p->line, "end: expected HH:MM, got \"%s\"", end);
    int printed = weekday[0] ? civil_weekday_parse(weekday) : -1;
    if (weekday[0] && printed < 0)
        import_error(c, p->line, "weekday: expected a day name, got \"%s\"", weekday);
    if (!p->dated) {
        if (p->course.kind != KIND_PRERECORDED && p->course.kind != KIND_MANDATORY)
            import_warning(c, p->line,
                           "no date printed for \"%s\": stored as a course, the kiosk "
                           "cannot record it",
                           p->course.title);
        return;
    }
    if (printed >= 0 && printed != civil_weekday(p->date))
        import_warning(c, p->line, "printed weekday %s but %s is a %s", weekday, date,
                       civil_weekday_name(civil_weekday(p->date)));
    check_period(c, p);
    bool meeting = domain_kind_zero_credit(p->course.kind);
    if (start[0] && !end[0] && meeting) {
        p->end = p->start + MEETING_MINUTES;
    } else if (!start[0] && !end[0] && p->course.kind == KIND_MAPA_BLOCK) {
        p->start = MAPA_DAY_START;
        p->end = MAPA_DAY_START + MAPA_DAY_MINUTES;
        /* A twilight time is a weekday's: on a weekend day it is surely not the real one. */
        int wd = civil_weekday(p->date);
        bool weekend = wd == CIVIL_SATURDAY || wd == CIVIL_SUNDAY;
        import_warning(c, p->line,
                       "no time printed: assumed 15:15–18:30 (6.5 classroom hours "
                       "over 2 sessions)%s%s%s",
                       weekend ? " — but it is a " : "", weekend ? civil_weekday_name(wd) : "",
                       weekend ? ": put the real time in the file" : "");
    } else if (!start[0] || !end[0]) {
        import_warning(c, p->line,
                       "no %s time printed: stored as a course, the kiosk cannot "
                       "record it",
                       start[0] ? "end" : "start");
        return;
    }
    if (p->end <= p->start) {
        import_error(c, p->line, "end %s is not after start %s", end, start);
        return;
    }
    if (zone_local_to_utc(p->date, p->start, &p->start_us) != ZONE_OK ||
        zone_local_to_utc(p->date, p->end, &p->end_us) != ZONE_OK) {
        import_error(c, p->line, "date and time cannot be placed in the time zone");
        return;
    }
    p->timed = true;
}

static void check_duration(struct import_ctx *c, const struct prow *p)
{
    int minutes = p->end - p->start;
    if (p->course.kind != KIND_SINGLE || !p->timed || p->course.credits_q < 0 ||
        p->course.credits_q * 15 == minutes)
        return;
    char credits[16], length[24];
    rules_format_quarters(p->course.credits_q, credits);
    format_minutes(minutes, length);
    import_warning(c, p->line, "%s credits printed for a %s session (%02d:%02d–%02d:%02d)", credits,
                   length, p->start / 60, p->start % 60, p->end / 60, p->end % 60);
}

static void check_duplicates(struct import_ctx *c, const struct prow *rows, size_t n)
{
    const struct prow *p = &rows[n];
    for (size_t i = 0; i < n; i++) {
        const struct prow *q = &rows[i];
        if (p->course.code[0] && strcmp(p->course.code, q->course.code) == 0)
            import_error(c, p->line, "duplicate id \"%s\" (first on line %d)", p->course.code,
                         q->line);
        else if (p->dated && q->dated && p->date == q->date && p->start == q->start &&
                 strcmp(p->course.title, q->course.title) == 0)
            import_warning(c, p->line, "the same session as line %d", q->line);
    }
}

/* A package's printed credits against its classroom hours (plus MAPA's online part). */
static void check_groups(struct import_ctx *c, const struct prow *rows, size_t n)
{
    int online_q = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].course.group, "mapa") == 0 && rows[i].course.credits_q > 0)
            online_q += rows[i].course.credits_q;
    }
    for (size_t i = 0; i < n; i++) {
        const struct prow *first = &rows[i];
        enum course_kind kind = first->course.kind;
        if (kind != KIND_CPI_INITIAL && kind != KIND_MAPA_BLOCK)
            continue;
        bool seen = false;
        int minutes = 0, sessions = 0;
        for (size_t k = 0; k < n && !seen; k++)
            seen = k < i && strcmp(rows[k].course.group, first->course.group) == 0;
        for (size_t k = i; k < n && !seen; k++) {
            const struct prow *p = &rows[k];
            if (strcmp(p->course.group, first->course.group) != 0)
                continue;
            sessions++;
            minutes += p->timed ? p->end - p->start : 0;
            if (p->course.credits_q != first->course.credits_q)
                import_warning(c, p->line, "%s: credits differ from line %d of the same group",
                               p->course.group, first->line);
        }
        int extra = kind == KIND_MAPA_BLOCK ? online_q : 0;
        if (seen || first->course.credits_q < 0 ||
            minutes + extra * 15 == first->course.credits_q * 15)
            continue;
        char credits[16], length[24], online[16];
        rules_format_quarters(first->course.credits_q, credits);
        format_minutes(minutes, length);
        rules_format_quarters(extra, online);
        import_warning(c, first->line,
                       "%s: %d sessions give %s in the classroom%s%s%s but %s "
                       "credits are printed",
                       first->course.group, sessions, length, extra ? " + " : "",
                       extra ? online : "", extra ? " h online" : "", credits);
    }
}

/* Two sessions at the same time: someone booked on both can attend only one (CPI on 20 Sep
 * against the Science department meeting). Said once, on the later line. */
static void check_clashes(struct import_ctx *c, const struct prow *rows, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        const struct prow *b = &rows[j];
        for (size_t i = 0; i < j && b->timed; i++) {
            const struct prow *a = &rows[i];
            if (!a->timed || a->date != b->date || a->start >= b->end || b->start >= a->end)
                continue;
            import_warning(c, b->line,
                           "clashes with line %d, \"%s\" (%02d:%02d–%02d:%02d): someone booked "
                           "on both can attend only one",
                           a->line, a->course.title, a->start / 60, a->start % 60, a->end / 60,
                           a->end % 60);
        }
    }
}

/* Who attended a session whose times or credits the file changes: their credits change. */
struct affected {
    char names[512];
    int n;
};

static int note_attendee(void *ctx, const struct person *p, const struct attendance *a)
{
    struct affected *x = ctx;
    if (a->in_us == 0 || (a->flags & ATT_VOID))
        return 0;
    size_t used = strlen(x->names);
    /* A cut list says it was cut: the count is whole, the names stop at ten. */
    if (x->n < 10)
        snprintf(x->names + used, sizeof(x->names) - used, "%s%s", x->n ? ", " : "", p->name);
    x->n++;
    return 0;
}

static void check_change(struct import_ctx *c, const struct prow *p)
{
    struct session old;
    if (!p->timed || store_session_by_code(c->store, p->course.code, &old) != STORE_OK)
        return;
    bool times = old.start_us != p->start_us || old.end_us != p->end_us;
    bool credits = old.credits_q != p->course.credits_q;
    if (!times && !credits)
        return;
    struct affected x = {.n = 0};
    int err = store_register_each(c->store, old.id, note_attendee, &x);
    if (err != STORE_OK && err != CPD_STOP) {
        import_store_failed(c, p->line, err, "cannot read who attended the session");
        return;
    }
    if (x.n == 0)
        return;
    char more[32] = "";
    if (x.n > 10)
        snprintf(more, sizeof(more), " and %d more", x.n - 10);
    const char *what = times && credits ? "times and credits" : times ? "times" : "credits";
    if (c->opt->accept_changes)
        import_warning(c, p->line,
                       "%s: its %s change, and with them the credits of %d %s who "
                       "attended: %s%s (accepted)",
                       p->course.code, what, x.n, x.n == 1 ? "person" : "people", x.names, more);
    else
        import_error(c, p->line,
                     "%s: its %s would change the credits of %d %s who attended: "
                     "%s%s — import with --accept-changes if that is right",
                     p->course.code, what, x.n, x.n == 1 ? "person" : "people", x.names, more);
}

static int write_row(struct import_ctx *c, void *items, size_t i)
{
    const struct prow *p = &((const struct prow *)items)[i];
    int64_t course_id = 0;
    int err = store_course_upsert(c->store, &p->course, &course_id);
    if (err != STORE_OK)
        return import_store_failed(c, p->line, err, "cannot store the course");
    if (!p->timed)
        return STORE_OK;
    struct session s = {.date = p->date,
                        .start_min = p->start,
                        .end_min = p->end,
                        .start_us = p->start_us,
                        .end_us = p->end_us};
    snprintf(s.code, sizeof(s.code), "%s", p->course.code);
    snprintf(s.location, sizeof(s.location), "%s", p->location);
    int64_t id = 0;
    err = store_session_upsert(c->store, course_id, &s, &id);
    if (err != STORE_OK)
        import_store_failed(c, p->line, err, "cannot store the session");
    return err;
}

void import_programme_rows(struct import_ctx *c)
{
    size_t n = c->table->n_rows - 1, done = 0;
    struct prow *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows) {
        import_error(c, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct csv_row *row = &c->table->rows[i + 1];
        struct prow *p = &rows[i];
        p->line = row->line;
        parse_names(c, row, p);
        parse_credits(c, row, p);
        parse_when(c, row, p);
        check_duration(c, p);
        check_duplicates(c, rows, i);
    }
    check_groups(c, rows, n);
    check_clashes(c, rows, n);
    for (size_t i = 0; i < n && !c->store_error; i++)
        check_change(c, &rows[i]);
    if (c->result->errors == 0 && !c->opt->dry_run) {
        import_write(c, NULL, n, write_row, rows, &done);
        c->result->written = (int)done;
    }
    free(rows);
}
