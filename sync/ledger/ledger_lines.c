/* ledger_lines.c — see ledger_lines.h. */
#include "sync/ledger/ledger_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync_office.h"

/* A field as a line holds it: backslash, tab, newline and carriage return escaped, so a
 * field can never end a line or a field early. */
#define F(x)                                                                                       \
    "replace(replace(replace(replace(" x ", chr(92), chr(92) || chr(92)), chr(9), chr(92) ||"      \
    " 't'), chr(10), chr(92) || 'n'), chr(13), chr(92) || 'r')"
#define TAB " || chr(9) || "
#define NUL "chr(92) || 'N'"

/* Each table's rows as lines: its name, the fields that identify the row, the rest (active
 * last where a kiosk's event can turn it off). Dates and times spelt by to_char, the same
 * whatever DateStyle the owner's role sets. */
static const struct {
    const char *name;
    int key_fields;
    const char *lines_sql;
} tables[T_COUNT] = {
    [T_PEOPLE] = {"people", 1,
                  "SELECT 'people'" TAB F("staff_no") TAB F("name") TAB F("academy") TAB F("role")
                      TAB "active::text FROM cpd.people"},
    [T_BADGES] = {"badges", 1,
                  "SELECT 'badges'" TAB "encode(uid_hash, 'hex')" TAB F("last4") TAB F("staff_no")
                      TAB "coalesce(" F("enrolled_by") ", " NUL ")" TAB
                                                       "active::text FROM cpd.badges"},
    [T_COURSES] = {"courses", 1,
                   "SELECT 'courses'" TAB F("code") TAB F("period") TAB F("category") TAB F("title")
                       TAB F("delivery") TAB F("kind") TAB
                   "coalesce(credits_q::text, " NUL ")" TAB F("grp") TAB F("frequency") TAB F("due")
                       TAB F("note") " FROM cpd.courses"},
    [T_SESSIONS] = {"sessions", 1,
                    "SELECT 'sessions'" TAB F("code") TAB
                    "to_char(date, 'YYYY-MM-DD')" TAB "to_char(start_time, 'HH24:MI:SS')" TAB
                    "to_char(end_time, 'HH24:MI:SS')" TAB F("location") " FROM cpd.sessions"},
    [T_BOOKINGS] = {"bookings", 2,
                    "SELECT 'bookings'" TAB F("staff_no") TAB F("session") TAB
                    "active::text FROM cpd.bookings"},
    [T_CREDITS] = {"external_credits", 3,
                   "SELECT 'external_credits'" TAB F("staff_no") TAB F("programme") TAB
                   "to_char(date, 'YYYY-MM-DD')" TAB F("source") TAB
                   "credits_q::text" TAB F("certificate") TAB "directed::text" TAB F("note") TAB
                   "active::text FROM cpd.external_credits"},
    /* staff_no, programme, date, source, credits_q, has a certificate, directed, the note
     * gives a reason, active: what cpd.pull_external_credits gives a kiosk. */
    [T_SEEN] = {"credits_seen", 3, NULL},
};

const char *office_table_stored(enum office_table t)
{
    return t < T_COUNT && tables[t].lines_sql ? tables[t].name : NULL;
}

void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

int lines_add(struct lines *l, const char *text, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **grown = realloc(l->v, cap * sizeof(*grown));
        if (!grown)
            return SYNC_ESTORE;
        l->v = grown;
        l->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return SYNC_ESTORE;
    memcpy(copy, text, len);
    copy[len] = '\0';
    l->v[l->n++] = copy;
    return SYNC_OK;
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void lines_sort(struct lines *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), by_text);
}

/* The table a line is of, by its first field; T_COUNT when none. */
enum office_table lines_table_of(const char *line)
{
    size_t n = strcspn(line, "\t");
    for (int t = 0; t < T_COUNT; t++) {
        if (strlen(tables[t].name) == n && strncmp(line, tables[t].name, n) == 0)
            return (enum office_table)t;
    }
    return T_COUNT;
}

/* The length of the line's key: its table and identifying fields, with the tab after them (so
 * that lines sorted whole are sorted by key). 0 when the line has no such fields. */
static size_t key_length(const char *line)
{
    enum office_table t = lines_table_of(line);
    if (t == T_COUNT)
        return 0;
    size_t at = 0;
    for (int tabs = 0; tabs <= tables[t].key_fields; tabs++) {
        const char *tab = strchr(line + at, '\t');
        if (!tab)
            return 0;
        at = (size_t)(tab - line) + 1;
    }
    return at;
}

/* The line whose key is key (with its tab), in sorted lines; -1 when none. */
long lines_find(const struct lines *l, const char *key)
{
    return office_find_line((const char *const *)l->v, l->n, key);
}

/* The line at i with its last field (active) set to active. */
int lines_set_active(struct lines *l, long i, bool active)
{
    char *line = l->v[i], *last = strrchr(line, '\t');
    if (!last)
        return SYNC_OK;
    size_t keep = (size_t)(last - line) + 1;
    char *next = malloc(keep + 6);
    if (!next)
        return SYNC_ESTORE;
    memcpy(next, line, keep);
    memcpy(next + keep, active ? "true" : "false", active ? 5 : 6);
    free(line);
    l->v[i] = next;
    return SYNC_OK;
}

/* The live rows of the tables in mask. */
int lines_read(struct pg *pg, unsigned mask, struct lines *out, char *why, size_t cap)
{
    int err = SYNC_OK;
    for (int t = 0; err == SYNC_OK && t < T_COUNT; t++) {
        if (!(mask & MASK(t)) || !tables[t].lines_sql)
            continue;
        struct pg_result *r = NULL;
        err = sync_from_pg(pg_exec(pg, tables[t].lines_sql, 0, NULL, &r, why, cap), pg);
        for (int i = 0; err == SYNC_OK && i < pg_rows(r); i++) {
            const char *line = pg_value(r, i, 0);
            err = lines_add(out, line, strlen(line));
        }
        pg_clear(r);
    }
    if (err == SYNC_ESTORE)
        snprintf(why, cap, "out of memory for head office's rows");
    lines_sort(out);
    return err;
}

/* Two lines by key: the same order as the whole lines (a key ends with a tab, lower than any
 * character an escaped field holds but control characters, which sort the same either way). */
static int key_cmp(const char *a, const char *b)
{
    size_t ka = key_length(a), kb = key_length(b);
    ka = ka ? ka : strlen(a);
    kb = kb ? kb : strlen(b);
    int c = memcmp(a, b, ka < kb ? ka : kb);
    return c ? c : (ka > kb) - (ka < kb);
}

/* Each row that differs between the live lines and the expected, to fn; how many. */
size_t lines_compare(const struct lines *live, const struct lines *want, office_difference_fn fn,
                     void *ctx)
{
    size_t i = 0, j = 0, n = 0;
    while (i < live->n || j < want->n) {
        const char *a = i < live->n ? live->v[i] : NULL, *b = j < want->n ? want->v[j] : NULL;
        int c = !a ? 1 : !b ? -1 : key_cmp(a, b);
        if (c == 0 && strcmp(a, b) == 0) {
            i++;
            j++;
            continue;
        }
        n++;
        fn(ctx, c <= 0 ? a : NULL, c >= 0 ? b : NULL);
        i += c <= 0;
        j += c >= 0;
    }
    return n;
}

/* A line's fields from i on, " | " between them, into out. */
static void fields_from(const char *line, size_t from, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *c = line + from; *c && o + 4 < cap; c++) {
        if (*c == '\t') {
            memcpy(out + o, " | ", 3);
            o += 3;
        } else {
            out[o++] = *c;
        }
    }
    out[o] = '\0';
}

void office_describe(const char *live, const char *expected, char *out, size_t cap)
{
    const char *line = live ? live : expected;
    size_t key = key_length(line);
    char name[400], have[700] = "", want[700] = "";
    snprintf(name, sizeof(name), "%.*s", key ? (int)key - 1 : 0, line);
    for (char *c = name; *c; c++)
        *c = *c == '\t' ? ' ' : *c;
    if (live)
        fields_from(live, key, have, sizeof(have));
    if (expected)
        fields_from(expected, key, want, sizeof(want));
    if (live && expected)
        snprintf(out, cap, "%s: the ledger holds [%s] where head office's records give [%s]", name,
                 have, want);
    else if (live)
        snprintf(out, cap, "%s: in the ledger [%s] but in no record of head office's", name, have);
    else
        snprintf(out, cap, "%s: in head office's records [%s] but missing from the ledger", name,
                 want);
}
