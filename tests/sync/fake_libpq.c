/* fake_libpq.c — the libpq calls sync/sync_pg.c makes, answered from a script (fake_libpq.h).
 *
 * Results are real PGresults, made with libpq's own PQmakeEmptyPGresult and PQsetvalue, so
 * PQgetvalue and the rest keep libpq's rules: NULL outside the result, "" for an SQL NULL.
 *
 * The script is sections, one line per row:
 *   @NAME                 the next result of the statement called NAME (the table below)
 *   @NAME !STATE [TEXT]   ... fails instead, with that SQLSTATE ("down": the connection is lost)
 *   value<TAB>value…      a row; \N alone is NULL; \t \n \r \\ are escapes, and \@ starts
 *                         a line with '@'
 * A statement is known by a piece of its SQL, which also fixes its columns, as the ledger's
 * schema does (a row with fewer values gets NULLs), and its rows as the SQL does (a SELECT of
 * values gives one row, a LIMIT no more); a statement run again takes the next section of its
 * name, or, past the last, the table's fallback.
 * A script (PQexec: migrations) takes the next "@script" section, whatever its SQL. A statement
 * the table does not know stops the run: the table is behind sync.c or ledger.c. */
#include "tests/sync/fake_libpq.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

enum rows {
    ROWS_ANY,  /* a set-returning function or a table: any number */
    ROWS_ONE,  /* SELECT f(): exactly one */
    ROWS_SOME, /* a LEFT JOIN from one row: at least one */
    ROWS_NONE, /* SELECT … WHERE false */
};

static const struct statement {
    const char *name;
    const char *sql; /* a piece of the SQL no other statement has */
    int columns;     /* 0: a command */
    enum rows rows;
    const char *fallback; /* the row when the script has no (more) sections; NULL: none */
    size_t limit;         /* the SQL's LIMIT: never more rows than that (0: none) */
} statements[] = {
    /* the kiosk's sync (sync/sync.c) */
    {"schema", "SELECT cpd.schema()", 1, ROWS_ONE, "10", 0},
    /* 2023-09-28 15:40 BST: the ledger_kiosk target taps then, on a clock the ledger agrees with */
    {"server_time", "SELECT cpd.server_time_us()", 1, ROWS_ONE, "1695912000000000", 0},
    {"kiosk_status", "FROM cpd.kiosk_status()", 4, ROWS_ANY,
     "0\t0000000000000000000000000000000000000000000000000000000000000000\tledger/cluster"
     "\t" FAKE_PG_KIOSK,
     0},
    {"own_keys", "FROM cpd.own_keys()", 2, ROWS_ANY, NULL, 16},
    {"own_events", "FROM cpd.pull_own_events(", 12, ROWS_ANY, NULL, 0},
    {"push", "SELECT cpd.push_events(", 1, ROWS_ONE, "2", 0},
    {"upto", "SELECT cpd.pull_upto()", 1, ROWS_ONE, "1000", 0},
    {"people", "FROM cpd.pull_people(", 5, ROWS_ANY, NULL, 0},
    {"office_record", "FROM cpd.pull_office_record($1)", 7, ROWS_ANY, NULL, 1},
    {"badges", "FROM cpd.pull_badges(", 4, ROWS_ANY, NULL, 0},
    {"courses", "FROM cpd.pull_courses(", 11, ROWS_ANY, NULL, 0},
    {"sessions", "FROM cpd.pull_sessions(", 5, ROWS_ANY, NULL, 0},
    {"bookings", "FROM cpd.pull_bookings(", 3, ROWS_ANY, NULL, 0},
    {"credits", "FROM cpd.pull_external_credits(", 9, ROWS_ANY, NULL, 0},
    {"enrolments", "FROM cpd.pull_enrolments(", 15, ROWS_ANY, NULL, 0},
    /* head office's copy (sync_copy) */
    {"office_people", "FROM cpd.office_people", 5, ROWS_ANY, NULL, 0},
    {"office_badges", "FROM cpd.badges ORDER BY", 4, ROWS_ANY, NULL, 0},
    {"office_courses", "FROM cpd.office_courses", 11, ROWS_ANY, NULL, 0},
    {"office_sessions", "FROM cpd.office_sessions", 5, ROWS_ANY, NULL, 0},
    {"office_bookings", "FROM cpd.office_bookings", 3, ROWS_ANY, NULL, 0},
    {"office_credits", "FROM cpd.office_external_credits", 9, ROWS_ANY, NULL, 0},
    {"office_events", "FROM cpd.office_events", 13, ROWS_ANY, NULL, 0},
    {"nothing", "SELECT NULL WHERE false", 1, ROWS_NONE, NULL, 0},
    /* head office's verify (sync/ledger/ledger.c) */
    {"kiosks", "FROM cpd.kiosks UNION ALL", 5, ROWS_ANY, NULL, 0},
    {"events", "FROM cpd.events WHERE kiosk = $1 AND seq > $2", 12, ROWS_ANY, NULL, 10000},
    {"kiosk_keys", "FROM cpd.kiosk_keys", 2, ROWS_ANY, NULL, 0},
    {"checkpoint", "LEFT JOIN cpd.events", 2, ROWS_SOME, NULL, 0},
    {"strays", "WHERE kiosk IS NULL OR seq IS NULL", 2, ROWS_ANY, NULL, 0},
    {"counts", "count(DISTINCT seq)", 4, ROWS_ANY, NULL, 0},
    {"fingerprint", "SELECT encode(sha256(", 1, ROWS_ONE, FAKE_PG_SCHEMA_DIGEST, 0},
    {"schema_lines", "SELECT x FROM (", 1, ROWS_ANY, "rel fake", 0},
    {"privileges", "roles AS (SELECT oid, rolname", 5, ROWS_ANY, NULL, 0},
    {"objects", "WITH sys AS (SELECT oid FROM pg_namespace", 3, ROWS_ANY, NULL, 0},
    /* head office's records (sync/ledger/ledger_office.c) */
    {"office_count", "count(*) FROM cpd.office_log", 1, ROWS_ONE, "0", 0},
    {"office_head", "ORDER BY seq DESC LIMIT 1", 2, ROWS_ANY, NULL, 1},
    {"office_log", "FROM cpd.office_log ORDER BY seq", 8, ROWS_ANY, NULL, 0},
    {"office_body", "SELECT body FROM cpd.office_log", 1, ROWS_ANY, NULL, 0},
    {"office_events", "max(received_at) OVER (PARTITION BY kiosk", 6, ROWS_ANY, NULL, 0},
    {"office_seen", "coalesce(max(seq) FILTER", 1, ROWS_ONE, "t", 0},
    {"office_keep_lists", "WITH voids AS (SELECT DISTINCT person", 2, ROWS_ANY, NULL, 0},
    {"office_tips", "string_agg(id || ':'", 1, ROWS_ONE, "", 0},
    {"office_lock", "LOCK TABLE cpd.office_log", 0, ROWS_NONE, NULL, 0},
    {"office_insert", "INSERT INTO cpd.office_log", 0, ROWS_NONE, NULL, 0},
    {"lines_people", "SELECT 'people'", 1, ROWS_ANY, NULL, 0},
    {"lines_badges", "SELECT 'badges'", 1, ROWS_ANY, NULL, 0},
    {"lines_courses", "SELECT 'courses'", 1, ROWS_ANY, NULL, 0},
    {"lines_sessions", "SELECT 'sessions'", 1, ROWS_ANY, NULL, 0},
    {"lines_bookings", "SELECT 'bookings'", 1, ROWS_ANY, NULL, 0},
    {"lines_credits", "SELECT 'external_credits'", 1, ROWS_ANY, NULL, 0},
    /* every admin connection's first statement */
    {"search_path", "SET search_path = pg_catalog, pg_temp", 0, ROWS_NONE, NULL, 0},
    /* head office's init (ledger_init; its migrations are scripts, below) */
    {"has_schema", "to_regclass('cpd.schema_version')", 1, ROWS_ONE, "t", 0},
    {"version", "SELECT version FROM cpd.schema_version", 1, ROWS_ANY, "10", 0},
    /* transactions */
    {"begin", "BEGIN", 0, ROWS_NONE, NULL, 0},
    {"commit", "COMMIT", 0, ROWS_NONE, NULL, 0},
    {"rollback", "ROLLBACK", 0, ROWS_NONE, NULL, 0},
};
#define N_STATEMENTS (sizeof(statements) / sizeof(statements[0]))

struct row {
    char **values; /* NULL: SQL NULL */
    size_t n;
};

struct section {
    const char *name;
    const char *fail; /* "STATE [TEXT]", or NULL: succeeds */
    char *text;       /* its lines, as a file's */
    struct row *rows;
    size_t n_rows;
    bool used;
};

struct pg_conn { /* PGconn is opaque to its callers: this is the fake's */
    bool down;
    char message[256];
};

/* The harness's state (one script at a time, one thread). */
static struct {
    char *script; /* the input, cut in place into the values */
    struct section *sections;
    size_t n_sections;
    const PGresult *error_result; /* the failed result PQresultErrorField describes */
    char error_state[8];
    char error_message[128];
} fake;

/* The fake itself failing (out of memory, a statement it does not know): never a finding. */
static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fake_libpq: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, n * size);
    if (!q)
        die("out of memory");
    return q;
}

/* Reads every byte of a string sync_pg.c passes (ASan checks it ends). */
static void touch(const char *s)
{
    volatile size_t n = strlen(s);
    (void)n;
}

/* Unescapes s[0..len) in place and ends it; NULL for \N. */
static char *field(char *s, size_t len)
{
    if (len == 2 && s[0] == '\\' && s[1] == 'N')
        return NULL;
    size_t w = 0;
    for (size_t r = 0; r < len; r++) {
        char c = s[r];
        if (c == '\\' && r + 1 < len) {
            char e = s[++r];
            c = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e;
        }
        s[w++] = c;
    }
    s[w] = '\0';
    return s;
}

static void add_row(struct section *sec, char *line, size_t len)
{
    struct row row = {0};
    for (size_t start = 0;;) {
        char *tab = memchr(line + start, '\t', len - start);
        size_t end = tab ? (size_t)(tab - line) : len;
        row.values = grow(row.values, row.n + 1, sizeof(*row.values));
        row.values[row.n++] = field(line + start, end - start);
        if (!tab)
            break;
        start = end + 1;
    }
    sec->rows = grow(sec->rows, sec->n_rows + 1, sizeof(*sec->rows));
    sec->rows[sec->n_rows++] = row;
}

/* "@NAME [!FAIL]" */
static void add_section(char *line, size_t len)
{
    line[len] = '\0';
    fake.sections = grow(fake.sections, fake.n_sections + 1, sizeof(*fake.sections));
    struct section *sec = &fake.sections[fake.n_sections++];
    memset(sec, 0, sizeof(*sec));
    char *space = strchr(line, ' ');
    if (space) {
        *space = '\0';
        sec->fail = space[1] == '!' ? space + 2 : NULL;
    }
    sec->name = line + 1;
    sec->text = grow(NULL, 1, 1);
    sec->text[0] = '\0';
}

/* The line as a file's line ("\@" at its start is a line starting with '@'). */
static void add_text(struct section *sec, const char *line, size_t len)
{
    if (len >= 2 && line[0] == '\\' && line[1] == '@') {
        line++;
        len--;
    }
    size_t used = strlen(sec->text);
    sec->text = grow(sec->text, used + len + 2, 1);
    memcpy(sec->text + used, line, len);
    sec->text[used + len] = '\n';
    sec->text[used + len + 1] = '\0';
}

void fake_pg_load(const uint8_t *data, size_t size)
{
    fake_pg_unload();
    fake.script = grow(NULL, size + 1, 1);
    memcpy(fake.script, data, size);
    fake.script[size] = '\0';
    for (size_t at = 0; at < size;) {
        char *line = fake.script + at;
        char *nl = memchr(line, '\n', size - at);
        size_t len = nl ? (size_t)(nl - line) : size - at;
        if (len > 0 && line[0] == '@') {
            add_section(line, len);
        } else if (fake.n_sections > 0) { /* lines before the first section: comments */
            struct section *sec = &fake.sections[fake.n_sections - 1];
            add_text(sec, line, len);
            add_row(sec, line, len);
        }
        at += len + (nl ? 1 : 0);
    }
}

void fake_pg_unload(void)
{
    for (size_t i = 0; i < fake.n_sections; i++) {
        for (size_t r = 0; r < fake.sections[i].n_rows; r++)
            free(fake.sections[i].rows[r].values);
        free(fake.sections[i].rows);
        free(fake.sections[i].text);
    }
    free(fake.sections);
    free(fake.script);
    memset(&fake, 0, sizeof(fake));
}

const char *fake_pg_text(const char *name)
{
    for (size_t i = 0; i < fake.n_sections; i++) {
        if (strcmp(fake.sections[i].name, name) == 0)
            return fake.sections[i].text;
    }
    return NULL;
}

static struct section *next_section(const char *name)
{
    for (size_t i = 0; i < fake.n_sections; i++) {
        struct section *sec = &fake.sections[i];
        if (!sec->used && strcmp(sec->name, name) == 0) {
            sec->used = true;
            return sec;
        }
    }
    return NULL;
}

static const struct statement *statement_of(const char *sql)
{
    for (size_t i = 0; i < N_STATEMENTS; i++) {
        if (strstr(sql, statements[i].sql))
            return &statements[i];
    }
    die("no statement for: %.200s (add it to tests/sync/fake_libpq.c)", sql);
}

static PGresult *failed(PGconn *conn, const char *fail)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_FATAL_ERROR);
    if (!res)
        die("out of memory");
    const char *text = strchr(fail, ' ');
    size_t state_len = text ? (size_t)(text - fail) : strlen(fail);
    snprintf(fake.error_state, sizeof(fake.error_state), "%.*s", (int)state_len, fail);
    snprintf(fake.error_message, sizeof(fake.error_message), "%s", text ? text + 1 : "failed");
    snprintf(conn->message, sizeof(conn->message), "ERROR:  %s\n", fake.error_message);
    if (strcmp(fake.error_state, "down") == 0) {
        conn->down = true;
        fake.error_state[0] = '\0'; /* a lost connection has no SQLSTATE */
    }
    fake.error_result = res;
    return res;
}

static void put_row(PGresult *res, int row, int columns, const struct row *values)
{
    for (int c = 0; c < columns; c++) {
        char *v = values && (size_t)c < values->n ? values->values[c] : NULL;
        if (!PQsetvalue(res, row, c, v, v ? (int)strlen(v) : -1))
            die("PQsetvalue failed");
    }
}

/* What pg_exec_script's scripts (migrations, hardening) get: "@script" sections, in order. */
static const struct statement script = {"script", "", 0, ROWS_NONE, NULL, 0};

static PGresult *answer(PGconn *conn, const struct statement *st)
{
    fake.error_result = NULL;
    struct section *sec = next_section(st->name);
    if (conn->down)
        return NULL; /* as libpq does once the connection is gone */
    if (sec && sec->fail)
        return failed(conn, sec->fail);
    PGresult *res = PQmakeEmptyPGresult(NULL, st->columns ? PGRES_TUPLES_OK : PGRES_COMMAND_OK);
    if (!res)
        die("out of memory");
    if (st->columns == 0)
        return res;
    PGresAttDesc cols[16];
    for (int c = 0; c < st->columns; c++)
        cols[c] = (PGresAttDesc){.name = "c", .format = 0, .typid = 25 /* text */, .typlen = -1};
    if (!PQsetResultAttrs(res, st->columns, cols))
        die("PQsetResultAttrs failed");
    struct row fallback = {0};
    char *fallback_values[16], fallback_text[256];
    if (!sec && st->fallback) {
        snprintf(fallback_text, sizeof(fallback_text), "%s", st->fallback);
        char *save = NULL;
        for (char *v = strtok_r(fallback_text, "\t", &save); v && fallback.n < 16;
             v = strtok_r(NULL, "\t", &save))
            fallback_values[fallback.n++] = v;
        fallback.values = fallback_values;
    }
    const struct row *rows = sec ? sec->rows : fallback.n ? &fallback : NULL;
    size_t n = sec ? sec->n_rows : fallback.n ? 1 : 0;
    if (st->rows == ROWS_NONE)
        n = 0;
    else if (st->rows == ROWS_ONE && n > 1)
        n = 1;
    if (st->limit && n > st->limit)
        n = st->limit;
    for (size_t r = 0; r < n; r++)
        put_row(res, (int)r, st->columns, &rows[r]);
    if (n == 0 && (st->rows == ROWS_ONE || st->rows == ROWS_SOME))
        put_row(res, 0, st->columns, NULL); /* one row of NULLs */
    return res;
}

/* ---- the calls sync_pg.c makes ------------------------------------------------------------ */

PGconn *PQconnectdbParams(const char *const *keywords, const char *const *values, int expand_dbname)
{
    (void)expand_dbname;
    for (int i = 0; keywords[i]; i++)
        touch(values[i]);
    PGconn *conn = calloc(1, sizeof(*conn));
    if (!conn)
        return NULL;
    struct section *sec = next_section("connect"); /* "@connect !down TEXT": TEXT is why */
    if (sec && sec->fail) {
        conn->down = true;
        const char *text = strchr(sec->fail, ' ');
        snprintf(conn->message, sizeof(conn->message), "%s\n", text ? text + 1 : "refused");
    }
    return conn;
}

ConnStatusType PQstatus(const PGconn *conn)
{
    return !conn || conn->down ? CONNECTION_BAD : CONNECTION_OK;
}

char *PQerrorMessage(const PGconn *conn)
{
    return conn ? (char *)conn->message : "";
}

void PQfinish(PGconn *conn)
{
    free(conn);
}

PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                       const char *const *paramValues, const int *paramLengths,
                       const int *paramFormats, int resultFormat)
{
    (void)paramTypes;
    (void)paramLengths;
    (void)paramFormats;
    (void)resultFormat;
    for (int i = 0; i < nParams; i++) {
        if (paramValues[i])
            touch(paramValues[i]);
    }
    return answer(conn, statement_of(command));
}

PGresult *PQexec(PGconn *conn, const char *query)
{
    touch(query);
    return answer(conn, &script);
}

char *PQresultErrorField(const PGresult *res, int fieldcode)
{
    if (!res || res != fake.error_result)
        return NULL;
    if (fieldcode == PG_DIAG_SQLSTATE)
        return fake.error_state;
    if (fieldcode == PG_DIAG_MESSAGE_PRIMARY)
        return fake.error_message;
    return NULL;
}

char *PQencryptPasswordConn(PGconn *conn, const char *passwd, const char *user,
                            const char *algorithm)
{
    (void)passwd;
    (void)user;
    (void)algorithm;
    snprintf(conn->message, sizeof(conn->message), "no verifiers from a fake ledger\n");
    return NULL;
}
