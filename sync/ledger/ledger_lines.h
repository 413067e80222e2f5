/* ledger_lines.h — head office's tables as lines (sync/ledger only): each row one line,
 * "table<TAB>field<TAB>…" with its fields escaped, the lines sorted so that a row is found by
 * its key (its table and identifying fields) by halving. Head office's records hold them;
 * the projection (ledger_office.c) replays the kiosks' events on them. */
#ifndef CPD_LEDGER_LINES_H
#define CPD_LEDGER_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "sync/ledger/ledger_internal.h"
#include "sync/sync_pg.h"

enum office_table {
    T_PEOPLE,
    T_BADGES,
    T_COURSES,
    T_SESSIONS,
    T_BOOKINGS,
    T_CREDITS,
    T_SEEN, /* no table: the credits as kiosks pull them (credits_seen records) */
    T_COUNT
};

#define MASK(t) (1u << (t))

/* The table's name in schema cpd; NULL for credits_seen, which no table holds. */
const char *office_table_stored(enum office_table t);

struct lines {
    char **v;
    size_t n, cap;
};

void lines_free(struct lines *l);
int lines_add(struct lines *l, const char *text, size_t len);
void lines_sort(struct lines *l);
/* The table a line is of, by its first field; T_COUNT when none. */
enum office_table lines_table_of(const char *line);
/* The line whose key is key (with its tab), in sorted lines; -1 when none. */
long lines_find(const struct lines *l, const char *key);
/* The line at i with its last field (active) set to active. */
int lines_set_active(struct lines *l, long i, bool active);
/* The live rows of the tables in mask, sorted. */
int lines_read(struct pg *pg, unsigned mask, struct lines *out, char *why, size_t cap);
/* Each row that differs between the live lines and the expected, to fn; how many. */
size_t lines_compare(const struct lines *live, const struct lines *want, office_difference_fn fn,
                     void *ctx);

#endif
