#include "core/store/store.h"

#include "core/base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/domain/projection.h"

#define BUSY_TIMEOUT_MS 5000

/* ---- schema ------------------------------------------------------------------------------ */

/* Migration N takes user_version from N-1 to N; each runs in one transaction. Never edit a
 * shipped migration: add the next one. */
static const char *const migrations[] = {
    /* 1: the foundation */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE people("
    "  id INTEGER PRIMARY KEY,"
    "  staff_no TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  academy TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('staff', 'trainer')),"
    "  active INTEGER NOT NULL CHECK (active IN (0, 1)));"
    "CREATE TABLE badges("
    "  id INTEGER PRIMARY KEY,"
    "  uid_hash BLOB NOT NULL UNIQUE CHECK (length(uid_hash) = 32),"
    "  last4 TEXT NOT NULL,"
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  added_us INTEGER NOT NULL);"
    "CREATE INDEX badges_person ON badges(person_id);"
    "CREATE TABLE courses("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  period TEXT NOT NULL,"
    "  category TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  delivery TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  credits_q INTEGER CHECK (credits_q IS NULL OR credits_q >= 0),"
    "  grp TEXT NOT NULL DEFAULT '',"
    "  frequency TEXT NOT NULL DEFAULT '',"
    "  due TEXT NOT NULL DEFAULT '',"
    "  note TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE sessions("
    "  id INTEGER PRIMARY KEY,"
    "  course_id INTEGER NOT NULL UNIQUE REFERENCES courses(id),"
    "  date INTEGER NOT NULL,"
    "  start_min INTEGER NOT NULL,"
    "  end_min INTEGER NOT NULL,"
    "  start_us INTEGER NOT NULL,"
    "  end_us INTEGER NOT NULL,"
    "  location TEXT NOT NULL DEFAULT '',"
    "  CHECK (end_us > start_us));"
    "CREATE INDEX sessions_start ON sessions(start_us);"
    "CREATE TABLE bookings("
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
    "  PRIMARY KEY (person_id, session_id)) WITHOUT ROWID;"
    "CREATE TABLE external_credits("
    "  id INTEGER PRIMARY KEY,"
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  course_id INTEGER NOT NULL REFERENCES courses(id),"
    "  source TEXT NOT NULL,"
    "  date INTEGER NOT NULL,"
    "  credits_q INTEGER NOT NULL CHECK (credits_q >= 0),"
    "  certificate TEXT NOT NULL DEFAULT '',"
    "  directed INTEGER NOT NULL DEFAULT 0,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  UNIQUE (person_id, course_id, date));"
    "CREATE TABLE events("
    "  seq INTEGER PRIMARY KEY,"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  kiosk TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  person TEXT NOT NULL,"
    "  session TEXT NOT NULL,"
    "  wall_us INTEGER NOT NULL,"
    "  mono_us INTEGER NOT NULL,"
    "  clock TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  prev_hash BLOB NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  sig BLOB NOT NULL);"
    "CREATE INDEX events_person ON events(person, seq);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TABLE attendance("
    "  person_id INTEGER NOT NULL REFERENCES people(id),"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
    "  in_us INTEGER NOT NULL,"
    "  out_us INTEGER NOT NULL,"
    "  flags INTEGER NOT NULL,"
    "  override_q INTEGER NOT NULL,"
    "  PRIMARY KEY (person_id, session_id)) WITHOUT ROWID;"
    "CREATE INDEX attendance_session ON attendance(session_id);"
    "CREATE INDEX attendance_open ON attendance(session_id) WHERE in_us <> 0 AND out_us = 0;"
    "CREATE INDEX external_person ON external_credits(person_id);",
    /* 2: trainer PINs (argon2id hashes) and their lockout, kept across restarts */
    "CREATE TABLE trainer_pins("
    "  person_id INTEGER PRIMARY KEY REFERENCES people(id),"
    "  pin_hash TEXT NOT NULL,"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  locked_until_us INTEGER NOT NULL DEFAULT 0,"
    "  set_us INTEGER NOT NULL);"
    "CREATE INDEX bookings_session ON bookings(session_id);",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "schema version and migrations disagree");

/* ---- prepared statements ----------------------------------------------------------------- */

#define PERSON_COLS "p.id, p.staff_no, p.name, p.academy, p.role, p.active"
#define SESSION_COLS                                                                               \
    "s.id, c.code, c.title, s.location, c.grp, c.kind, c.delivery, coalesce(c.credits_q, -1), "    \
    "s.date, s.start_min, s.end_min, s.start_us, s.end_us"
#define SESSION_FROM " FROM sessions s JOIN courses c ON c.id = s.course_id"
#define EVENT_COLS                                                                                 \
    "seq, uuid, kiosk, type, person, session, wall_us, mono_us, clock, payload, prev_hash, "       \
    "hash, sig"
#define ATT_COLS "a.person_id, a.session_id, a.in_us, a.out_us, a.flags, a.override_q"

enum stmt_id {
    ST_META_GET,
    ST_META_SET,
    ST_PERSON_UPSERT,
    ST_PERSON_BY_STAFF,
    ST_PERSON_BY_ID,
    ST_PEOPLE,
    ST_BADGE_OWNER,
    ST_BADGE_INSERT,
    ST_BADGES,
    ST_COURSE_UPSERT,
    ST_COURSE_BY_CODE,
    ST_SESSION_UPSERT,
    ST_SESSION_BY_CODE,
    ST_SESSION_BY_ID,
    ST_SESSIONS_BETWEEN,
    ST_NEXT_SESSION,
    ST_PACKAGE_SESSIONS,
    ST_MANDATORY,
    ST_BOOKING_ADD,
    ST_BOOKED,
    ST_EXTERNAL_UPSERT,
    ST_EXTERNAL_FOR,
    ST_LAST_EVENT,
    ST_EVENT_INSERT,
    ST_EVENTS_FROM,
    ST_LAST_EVENT_OF,
    ST_ATT_GET,
    ST_ATT_PUT,
    ST_ATT_OF,
    ST_ATT_OPEN,
    ST_REGISTER,
    ST_BOOKINGS_OF,
    ST_PIN_GET,
    ST_PIN_SET,
    ST_PIN_ATTEMPTS,
    ST_BADGE_PUT,
    ST_BADGE_DELETE,
    ST_BOOKING_DELETE,
    ST_EXTERNAL_DELETE,
    ST_COURSES_ALL,
    ST_BADGES_ALL,
    ST_BOOKINGS_ALL,
    ST_EXTERNAL_ALL,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_PERSON_UPSERT] =
        "INSERT INTO people(staff_no, name, academy, role, active) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT(staff_no) DO UPDATE SET name = excluded.name, academy = excluded.academy,"
        " role = excluded.role, active = excluded.active RETURNING id",
    [ST_PERSON_BY_STAFF] = "SELECT " PERSON_COLS " FROM people p WHERE p.staff_no = ?1",
    [ST_PERSON_BY_ID] = "SELECT " PERSON_COLS " FROM people p WHERE p.id = ?1",
    [ST_PEOPLE] = "SELECT " PERSON_COLS ", (SELECT count(*) FROM badges b WHERE b.person_id = p.id)"
                  " FROM people p ORDER BY p.name, p.staff_no",
    [ST_BADGE_OWNER] = "SELECT person_id FROM badges WHERE uid_hash = ?1",
    [ST_BADGE_INSERT] =
        "INSERT INTO badges(uid_hash, last4, person_id, added_us) VALUES (?1, ?2, ?3, ?4)",
    [ST_BADGES] = "SELECT " PERSON_COLS ", b.last4, b.added_us FROM badges b"
                  " JOIN people p ON p.id = b.person_id ORDER BY p.name, b.id",
    [ST_COURSE_UPSERT] =
        "INSERT INTO courses(code, period, category, title, delivery, kind, credits_q, grp,"
        " frequency, due, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT(code) DO UPDATE SET period = excluded.period, category = excluded.category,"
        " title = excluded.title, delivery = excluded.delivery, kind = excluded.kind,"
        " credits_q = excluded.credits_q, grp = excluded.grp, frequency = excluded.frequency,"
        " due = excluded.due, note = excluded.note RETURNING id",
    [ST_COURSE_BY_CODE] = "SELECT id, code, period, category, title, delivery, kind,"
                          " coalesce(credits_q, -1), grp, frequency, due, note"
                          " FROM courses WHERE code = ?1",
    [ST_SESSION_UPSERT] =
        "INSERT INTO sessions(course_id, date, start_min, end_min, start_us, end_us, location)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(course_id) DO UPDATE SET"
        " date = excluded.date, start_min = excluded.start_min, end_min = excluded.end_min,"
        " start_us = excluded.start_us, end_us = excluded.end_us, location = excluded.location"
        " RETURNING id",
    [ST_SESSION_BY_CODE] = "SELECT " SESSION_COLS SESSION_FROM " WHERE c.code = ?1",
    [ST_SESSION_BY_ID] = "SELECT " SESSION_COLS SESSION_FROM " WHERE s.id = ?1",
    /* Sessions last less than a day: bound the index range by it. */
    [ST_SESSIONS_BETWEEN] =
        "SELECT " SESSION_COLS SESSION_FROM " WHERE s.start_us BETWEEN ?1 - 86400000000 AND ?2"
        " AND s.end_us >= ?1 ORDER BY s.start_us, c.code",
    [ST_NEXT_SESSION] = "SELECT " SESSION_COLS SESSION_FROM
                        " WHERE s.start_us >= ?1 AND c.delivery = 'face-to-face'"
                        " ORDER BY s.start_us, c.code LIMIT 1",
    [ST_PACKAGE_SESSIONS] = "SELECT " SESSION_COLS SESSION_FROM
                            " WHERE c.kind IN ('cpi_initial', 'mapa_block') ORDER BY s.start_us",
    [ST_MANDATORY] = "SELECT id, title, frequency FROM courses WHERE kind = 'mandatory'"
                     " ORDER BY id",
    [ST_BOOKING_ADD] = "INSERT OR IGNORE INTO bookings(person_id, session_id) VALUES (?1, ?2)",
    [ST_BOOKED] = "SELECT 1 FROM bookings WHERE person_id = ?1 AND session_id = ?2",
    [ST_EXTERNAL_UPSERT] =
        "INSERT INTO external_credits(person_id, course_id, source, date, credits_q, certificate,"
        " directed, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(person_id, course_id, date) DO UPDATE SET source = excluded.source,"
        " credits_q = excluded.credits_q, certificate = excluded.certificate,"
        " directed = excluded.directed, note = excluded.note",
    [ST_EXTERNAL_FOR] = "SELECT x.course_id, c.code, c.title, c.grp, x.source, x.date,"
                        " x.credits_q, x.certificate <> '', x.directed"
                        " FROM external_credits x JOIN courses c ON c.id = x.course_id"
                        " WHERE x.person_id = ?1 ORDER BY x.date, x.id",
    [ST_LAST_EVENT] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
    [ST_EVENT_INSERT] = "INSERT INTO events(" EVENT_COLS ")"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_EVENTS_FROM] = "SELECT " EVENT_COLS " FROM events WHERE seq >= ?1 ORDER BY seq",
    [ST_LAST_EVENT_OF] = "SELECT " EVENT_COLS " FROM events WHERE person = ?1"
                         " ORDER BY seq DESC LIMIT 1",
    [ST_ATT_GET] = "SELECT " ATT_COLS " FROM attendance a"
                   " WHERE a.person_id = ?1 AND a.session_id = ?2",
    [ST_ATT_PUT] = "INSERT INTO attendance(person_id, session_id, in_us, out_us, flags, override_q)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(person_id, session_id) DO UPDATE"
                   " SET in_us = excluded.in_us, out_us = excluded.out_us, flags = excluded.flags,"
                   " override_q = excluded.override_q",
    [ST_ATT_OF] = "SELECT " SESSION_COLS ", " ATT_COLS " FROM attendance a"
                  " JOIN sessions s ON s.id = a.session_id JOIN courses c ON c.id = s.course_id"
                  " WHERE a.person_id = ?1 ORDER BY s.start_us",
    [ST_ATT_OPEN] = "SELECT " PERSON_COLS ", " SESSION_COLS ", " ATT_COLS " FROM attendance a"
                    " JOIN sessions s ON s.id = a.session_id JOIN courses c ON c.id = s.course_id"
                    " JOIN people p ON p.id = a.person_id"
                    " WHERE a.in_us <> 0 AND a.out_us = 0 AND s.end_us <= ?1 ORDER BY s.end_us",
    [ST_REGISTER] = "SELECT " PERSON_COLS ", " ATT_COLS " FROM attendance a"
                    " JOIN people p ON p.id = a.person_id WHERE a.session_id = ?1"
                    " ORDER BY p.name",
    [ST_BOOKINGS_OF] = "SELECT " PERSON_COLS " FROM bookings b JOIN people p ON p.id = b.person_id"
                       " WHERE b.session_id = ?1 ORDER BY p.name",
    [ST_PIN_GET] = "SELECT pin_hash, failures, locked_until_us FROM trainer_pins"
                   " WHERE person_id = ?1",
    [ST_PIN_SET] =
        "INSERT INTO trainer_pins(person_id, pin_hash, failures, locked_until_us, set_us)"
        " VALUES (?1, ?2, 0, 0, ?3) ON CONFLICT(person_id) DO UPDATE SET"
        " pin_hash = excluded.pin_hash, failures = 0, locked_until_us = 0,"
        " set_us = excluded.set_us",
    [ST_PIN_ATTEMPTS] = "UPDATE trainer_pins SET failures = ?2, locked_until_us = ?3"
                        " WHERE person_id = ?1",
    [ST_BADGE_PUT] =
        "INSERT INTO badges(uid_hash, last4, person_id, added_us) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(uid_hash) DO UPDATE SET last4 = excluded.last4,"
        " person_id = excluded.person_id",
    [ST_BADGE_DELETE] = "DELETE FROM badges WHERE uid_hash = ?1",
    [ST_BOOKING_DELETE] = "DELETE FROM bookings WHERE person_id = ?1 AND session_id = ?2",
    [ST_EXTERNAL_DELETE] = "DELETE FROM external_credits"
                           " WHERE person_id = ?1 AND course_id = ?2 AND date = ?3",
    [ST_COURSES_ALL] =
        "SELECT c.code, s.id FROM courses c LEFT JOIN sessions s ON s.course_id = c.id"
        " ORDER BY c.id",
    [ST_BADGES_ALL] = "SELECT b.uid_hash, b.last4, p.staff_no FROM badges b"
                      " JOIN people p ON p.id = b.person_id ORDER BY b.id",
    [ST_BOOKINGS_ALL] =
        "SELECT p.staff_no, c.code FROM bookings b JOIN people p ON p.id = b.person_id"
        " JOIN sessions s ON s.id = b.session_id JOIN courses c ON c.id = s.course_id"
        " ORDER BY p.staff_no, c.code",
    [ST_EXTERNAL_ALL] = "SELECT p.staff_no, c.code, x.source, x.date, x.credits_q, x.certificate,"
                        " x.directed, x.note FROM external_credits x"
                        " JOIN people p ON p.id = x.person_id JOIN courses c ON c.id = x.course_id"
                        " ORDER BY x.id",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT];
    int txn_depth;
    bool dir_private;
    bool has_signer;
    char kiosk[EVENT_KIOSK_MAX];
    uint8_t sk[CRYPTO_SIGN_SK_BYTES];
    char message[256];
};

/* ---- errors ------------------------------------------------------------------------------ */

const char *store_message(const struct store *store)
{
    return store ? store->message : "";
}

bool store_dir_private(const struct store *store)
{
    return store->dir_private;
}

static int map_sqlite(int rc)
{
    switch (rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return STORE_OK;
    case SQLITE_NOMEM:
        return STORE_ENOMEM;
    case SQLITE_IOERR:
        return STORE_EIO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return STORE_ECORRUPT;
    case SQLITE_FULL:
        return STORE_EFULL;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_AUTH:
        return STORE_EPERM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_EBUSY;
    case SQLITE_CONSTRAINT:
        return STORE_ECONSTRAINT;
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        return STORE_EINVALID;
    default:
        return STORE_EINTERNAL;
    }
}

/* Records SQLite's message for the log and maps the code. */
static int fail(struct store *s, int rc)
{
    snprintf(s->message, sizeof(s->message), "%s", s->db ? sqlite3_errmsg(s->db) : "");
    return map_sqlite(rc);
}

/* ---- statement helpers ------------------------------------------------------------------- */

static int prepare(struct store *s, enum stmt_id id, sqlite3_stmt **out)
{
    if (!s->stmts[id]) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->stmts[id], NULL);
        if (rc != SQLITE_OK)
            return fail(s, rc);
    }
    *out = s->stmts[id];
    return STORE_OK;
}

/* Steps to the end; the statement is reset either way. */
static int run(struct store *s, sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    int err = rc == SQLITE_DONE ? STORE_OK : fail(s, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
    sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

static void column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void read_person(sqlite3_stmt *st, int c, struct person *p)
{
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(st, c);
    column_text(st, c + 1, p->staff_no, sizeof(p->staff_no));
    column_text(st, c + 2, p->name, sizeof(p->name));
    column_text(st, c + 3, p->academy, sizeof(p->academy));
    p->trainer = strcmp((const char *)sqlite3_column_text(st, c + 4), "trainer") == 0;
    p->active = sqlite3_column_int(st, c + 5) != 0;
}
#define PERSON_NCOLS 6

static void read_session(sqlite3_stmt *st, int c, struct session *x)
{
    char code[32];
    memset(x, 0, sizeof(*x));
    x->id = sqlite3_column_int64(st, c);
    column_text(st, c + 1, x->code, sizeof(x->code));
    column_text(st, c + 2, x->title, sizeof(x->title));
    column_text(st, c + 3, x->location, sizeof(x->location));
    column_text(st, c + 4, x->group, sizeof(x->group));
    column_text(st, c + 5, code, sizeof(code));
    int kind = domain_kind_parse(code);
    x->kind = kind < 0 ? KIND_SINGLE : (enum course_kind)kind;
    column_text(st, c + 6, code, sizeof(code));
    int delivery = domain_delivery_parse(code);
    x->delivery = delivery < 0 ? DELIVERY_FACE_TO_FACE : (enum delivery)delivery;
    x->credits_q = sqlite3_column_int(st, c + 7);
    x->date = (civil_day)sqlite3_column_int(st, c + 8);
    x->start_min = sqlite3_column_int(st, c + 9);
    x->end_min = sqlite3_column_int(st, c + 10);
    x->start_us = sqlite3_column_int64(st, c + 11);
    x->end_us = sqlite3_column_int64(st, c + 12);
}
#define SESSION_NCOLS 13

static void read_attendance(sqlite3_stmt *st, int c, struct attendance *a)
{
    a->person_id = sqlite3_column_int64(st, c);
    a->session_id = sqlite3_column_int64(st, c + 1);
    a->in_us = sqlite3_column_int64(st, c + 2);
    a->out_us = sqlite3_column_int64(st, c + 3);
    a->flags = (unsigned)sqlite3_column_int(st, c + 4);
    a->override_q = sqlite3_column_int(st, c + 5);
}

static void column_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t len)
{
    const void *b = sqlite3_column_blob(st, i);
    memset(out, 0, len);
    if (b && (size_t)sqlite3_column_bytes(st, i) == len)
        memcpy(out, b, len);
}

static void read_event(sqlite3_stmt *st, struct event *e)
{
    char type[32];
    memset(e, 0, sizeof(*e));
    e->seq = sqlite3_column_int64(st, 0);
    column_text(st, 1, e->uuid, sizeof(e->uuid));
    column_text(st, 2, e->kiosk, sizeof(e->kiosk));
    column_text(st, 3, type, sizeof(type));
    int t = event_type_parse(type);
    e->type = t < 0 ? EV_TYPE_COUNT : (enum event_type)t;
    column_text(st, 4, e->person, sizeof(e->person));
    column_text(st, 5, e->session, sizeof(e->session));
    e->wall_us = sqlite3_column_int64(st, 6);
    e->mono_us = sqlite3_column_int64(st, 7);
    column_text(st, 8, e->clock, sizeof(e->clock));
    column_text(st, 9, e->payload, sizeof(e->payload));
    column_blob(st, 10, e->prev_hash, sizeof(e->prev_hash));
    column_blob(st, 11, e->hash, sizeof(e->hash));
    column_blob(st, 12, e->sig, sizeof(e->sig));
}

/* Steps a statement expected to give at most one row: STORE_ENOTFOUND when none. */
static int step_one(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    int err = rc == SQLITE_DONE ? STORE_ENOTFOUND : fail(s, rc);
    done(st);
    return err;
}

/* ---- open, migrate, close ---------------------------------------------------------------- */

static int exec(struct store *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(s->message, sizeof(s->message), "%s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return map_sqlite(rc);
    }
    return STORE_OK;
}

static int read_user_version(struct store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc);
    rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW ? STORE_OK : fail(s, rc);
    if (err == STORE_OK)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return err;
}

static int migrate(struct store *s)
{
    int version = 0;
    int err = read_user_version(s, &version);
    if (err != STORE_OK)
        return err;
    if (version > N_MIGRATIONS) {
        snprintf(s->message, sizeof(s->message), "schema version %d, this program knows %d",
                 version, N_MIGRATIONS);
        return STORE_EVERSION;
    }
    for (int v = version + 1; v <= N_MIGRATIONS; v++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v);
        err = exec(s, "BEGIN IMMEDIATE");
        if (err == STORE_OK)
            err = exec(s, migrations[v - 1]);
        if (err == STORE_OK)
            err = exec(s, bump);
        if (err == STORE_OK)
            err = exec(s, "COMMIT");
        if (err != STORE_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return err;
        }
    }
    return STORE_OK;
}

int store_quick_check(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc);
    int err = STORE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (!line || strcmp(line, "ok") != 0) {
            snprintf(s->message, sizeof(s->message), "quick_check: %s", line ? line : "?");
            err = STORE_ECORRUPT;
            break;
        }
    }
    if (err == STORE_OK && rc != SQLITE_DONE)
        err = fail(s, rc);
    sqlite3_finalize(st);
    return err;
}

/* The file is created 0600 before SQLite opens it (SQLite gives -wal and -shm the same mode);
 * a missing directory is created 0700. */
static int prepare_file(struct store *s, const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    const char *dir = dirname(copy);
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || mkdir(dir, 0700) != 0) {
            snprintf(s->message, sizeof(s->message), "%s: %s", dir, strerror(errno));
            return errno == EACCES || errno == EROFS ? STORE_EPERM : STORE_EIO;
        }
        stat(dir, &st);
    }
    s->dir_private = (st.st_mode & 0077) == 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(s->message, sizeof(s->message), "%s: %s", path, strerror(errno));
        return errno == EACCES || errno == EROFS ? STORE_EPERM : STORE_EIO;
    }
    int err = fchmod(fd, 0600) == 0 || errno == EPERM ? STORE_OK : STORE_EIO;
    close(fd);
    return err;
}

int store_open(const char *path, struct store **out, char *why, size_t why_cap)
{
    *out = NULL;
    if (why && why_cap)
        why[0] = '\0';
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return STORE_ENOMEM;
    int err = prepare_file(s, path);
    if (err != STORE_OK)
        goto fail;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = fail(s, rc);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    err = store_quick_check(s);
    if (err == STORE_OK)
        err = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                      " PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;");
    if (err == STORE_OK)
        err = migrate(s);
    if (err != STORE_OK)
        goto fail;
    *out = s;
    return STORE_OK;
fail:
    if (err == STORE_EINTERNAL || err == STORE_OK)
        err = STORE_EIO;
    if (why && why_cap)
        snprintf(why, why_cap, "%s", s->message);
    store_close(s);
    return err;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close_v2(s->db);
    crypto_wipe(s->sk, sizeof(s->sk));
    free(s);
}

int store_schema_version(struct store *s, int *version)
{
    return read_user_version(s, version);
}

/* ---- transactions ------------------------------------------------------------------------ */

int store_begin(struct store *s)
{
    if (s->txn_depth++ > 0)
        return STORE_OK;
    int err = exec(s, "BEGIN IMMEDIATE");
    if (err != STORE_OK)
        s->txn_depth = 0;
    return err;
}

int store_commit(struct store *s)
{
    if (s->txn_depth == 0)
        return STORE_EINTERNAL;
    if (--s->txn_depth > 0)
        return STORE_OK;
    int err = exec(s, "COMMIT");
    if (err != STORE_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

int store_rollback(struct store *s)
{
    if (s->txn_depth == 0)
        return STORE_EINTERNAL;
    s->txn_depth = 0;
    return exec(s, "ROLLBACK");
}

/* ---- meta -------------------------------------------------------------------------------- */

int store_meta_get(struct store *s, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_META_GET, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, key);
    err = step_one(s, st);
    if (err != STORE_OK)
        return err;
    column_text(st, 0, out, cap);
    done(st);
    return STORE_OK;
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_META_SET, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    return run(s, st);
}

/* ---- people and badges ------------------------------------------------------------------- */

/* Runs a statement with RETURNING id. */
static int run_returning_id(struct store *s, sqlite3_stmt *st, int64_t *id_out)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        int err = fail(s, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc);
        done(st);
        return err;
    }
    if (id_out)
        *id_out = sqlite3_column_int64(st, 0);
    return run(s, st);
}

int store_person_upsert(struct store *s, const struct person *p, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_PERSON_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, p->staff_no);
    bind_text(st, 2, p->name);
    bind_text(st, 3, p->academy);
    bind_text(st, 4, p->trainer ? "trainer" : "staff");
    sqlite3_bind_int(st, 5, p->active ? 1 : 0);
    return run_returning_id(s, st, id_out);
}

static int person_by(struct store *s, enum stmt_id id, sqlite3_stmt **stp)
{
    return prepare(s, id, stp);
}

int store_person_by_staff_no(struct store *s, const char *staff_no, struct person *out)
{
    sqlite3_stmt *st = NULL;
    int err = person_by(s, ST_PERSON_BY_STAFF, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, staff_no);
    if ((err = step_one(s, st)) != STORE_OK)
        return err;
    read_person(st, 0, out);
    done(st);
    return STORE_OK;
}

int store_person_by_id(struct store *s, int64_t id, struct person *out)
{
    sqlite3_stmt *st = NULL;
    int err = person_by(s, ST_PERSON_BY_ID, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, id);
    if ((err = step_one(s, st)) != STORE_OK)
        return err;
    read_person(st, 0, out);
    done(st);
    return STORE_OK;
}

/* Steps every row through fn; a non-zero return from fn stops early and is passed on. */
#define FOR_EACH_ROW(s, st, body)                                                                  \
    do {                                                                                           \
        int rc_;                                                                                   \
        int stop_ = 0;                                                                             \
        while (!stop_ && (rc_ = sqlite3_step(st)) == SQLITE_ROW) {                                 \
            stop_ = (body);                                                                        \
        }                                                                                          \
        int err_ = stop_ ? stop_ : (rc_ == SQLITE_DONE ? STORE_OK : fail((s), rc_));               \
        done(st);                                                                                  \
        return err_;                                                                               \
    } while (0)

static int people_row(sqlite3_stmt *st, store_person_fn fn, void *ctx)
{
    struct person p;
    read_person(st, 0, &p);
    return fn(ctx, &p, sqlite3_column_int(st, PERSON_NCOLS));
}

int store_people_each(struct store *s, store_person_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_PEOPLE, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, people_row(st, fn, ctx));
}

int store_badge_lookup(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                       int64_t *person_id)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BADGE_OWNER, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    if ((err = step_one(s, st)) != STORE_OK)
        return err;
    *person_id = sqlite3_column_int64(st, 0);
    done(st);
    return STORE_OK;
}

int store_badge_add(struct store *s, int64_t person_id, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES],
                    const char *last4)
{
    int64_t owner = 0;
    int err = store_badge_lookup(s, hash, &owner);
    if (err == STORE_OK)
        return owner == person_id ? STORE_OK : STORE_ECONSTRAINT;
    if (err != STORE_ENOTFOUND)
        return err;
    sqlite3_stmt *st = NULL;
    if ((err = prepare(s, ST_BADGE_INSERT, &st)) != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    bind_text(st, 2, last4);
    sqlite3_bind_int64(st, 3, person_id);
    sqlite3_bind_int64(st, 4, clock_wall_us());
    return run(s, st);
}

static int badge_row(sqlite3_stmt *st, store_badge_fn fn, void *ctx)
{
    struct person p;
    char last4[8];
    read_person(st, 0, &p);
    column_text(st, PERSON_NCOLS, last4, sizeof(last4));
    return fn(ctx, &p, last4, sqlite3_column_int64(st, PERSON_NCOLS + 1));
}

int store_badges_each(struct store *s, store_badge_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BADGES, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, badge_row(st, fn, ctx));
}

/* ---- programme --------------------------------------------------------------------------- */

int store_course_upsert(struct store *s, const struct course_row *c, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_COURSE_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, c->code);
    bind_text(st, 2, c->period);
    bind_text(st, 3, c->category);
    bind_text(st, 4, c->title);
    bind_text(st, 5, domain_delivery_code(c->delivery));
    bind_text(st, 6, domain_kind_code(c->kind));
    if (c->credits_q >= 0)
        sqlite3_bind_int(st, 7, c->credits_q);
    bind_text(st, 8, c->group);
    bind_text(st, 9, domain_frequency_code(c->frequency));
    bind_text(st, 10, c->due);
    bind_text(st, 11, c->note);
    return run_returning_id(s, st, id_out);
}

int store_course_by_code(struct store *s, const char *code, struct course_row *c, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    char text[32];
    int err = prepare(s, ST_COURSE_BY_CODE, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, code);
    if ((err = step_one(s, st)) != STORE_OK)
        return err;
    memset(c, 0, sizeof(*c));
    if (id_out)
        *id_out = sqlite3_column_int64(st, 0);
    column_text(st, 1, c->code, sizeof(c->code));
    column_text(st, 2, c->period, sizeof(c->period));
    column_text(st, 3, c->category, sizeof(c->category));
    column_text(st, 4, c->title, sizeof(c->title));
    column_text(st, 5, text, sizeof(text));
    c->delivery =
        (enum delivery)(domain_delivery_parse(text) < 0 ? 0 : domain_delivery_parse(text));
    column_text(st, 6, text, sizeof(text));
    c->kind = (enum course_kind)(domain_kind_parse(text) < 0 ? 0 : domain_kind_parse(text));
    c->credits_q = sqlite3_column_int(st, 7);
    column_text(st, 8, c->group, sizeof(c->group));
    column_text(st, 9, text, sizeof(text));
    c->frequency =
        (enum frequency)(domain_frequency_parse(text) < 0 ? 0 : domain_frequency_parse(text));
    column_text(st, 10, c->due, sizeof(c->due));
    column_text(st, 11, c->note, sizeof(c->note));
    done(st);
    return STORE_OK;
}

int store_session_upsert(struct store *s, int64_t course_id, const struct session *x,
                         int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_SESSION_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, course_id);
    sqlite3_bind_int(st, 2, x->date);
    sqlite3_bind_int(st, 3, x->start_min);
    sqlite3_bind_int(st, 4, x->end_min);
    sqlite3_bind_int64(st, 5, x->start_us);
    sqlite3_bind_int64(st, 6, x->end_us);
    bind_text(st, 7, x->location);
    return run_returning_id(s, st, id_out);
}

static int session_one(struct store *s, sqlite3_stmt *st, struct session *out)
{
    int err = step_one(s, st);
    if (err != STORE_OK)
        return err;
    read_session(st, 0, out);
    done(st);
    return STORE_OK;
}

int store_session_by_code(struct store *s, const char *code, struct session *out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_SESSION_BY_CODE, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, code);
    return session_one(s, st, out);
}

int store_session_by_id(struct store *s, int64_t id, struct session *out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_SESSION_BY_ID, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, id);
    return session_one(s, st, out);
}

int store_next_session(struct store *s, int64_t from_us, struct session *out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_NEXT_SESSION, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, from_us);
    return session_one(s, st, out);
}

static int session_list(struct store *s, sqlite3_stmt *st, struct session *out, size_t cap,
                        size_t *n)
{
    *n = 0;
    FOR_EACH_ROW(s, st, (*n < cap ? (read_session(st, 0, &out[(*n)++]), 0) : STORE_ETOOMANY));
}

int store_sessions_between(struct store *s, int64_t from_us, int64_t to_us, struct session *out,
                           size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_SESSIONS_BETWEEN, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, from_us);
    sqlite3_bind_int64(st, 2, to_us);
    return session_list(s, st, out, cap, n);
}

int store_package_sessions(struct store *s, struct session *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_PACKAGE_SESSIONS, &st);
    if (err != STORE_OK)
        return err;
    return session_list(s, st, out, cap, n);
}

static int mandatory_row(sqlite3_stmt *st, struct mandatory_course *out, size_t cap, size_t *n)
{
    if (*n >= cap)
        return STORE_ETOOMANY;
    struct mandatory_course *m = &out[(*n)++];
    char freq[32];
    m->course_id = sqlite3_column_int64(st, 0);
    column_text(st, 1, m->title, sizeof(m->title));
    column_text(st, 2, freq, sizeof(freq));
    int f = domain_frequency_parse(freq);
    m->frequency = f < 0 ? FREQ_NONE : (enum frequency)f;
    return 0;
}

int store_mandatory_courses(struct store *s, struct mandatory_course *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_MANDATORY, &st);
    if (err != STORE_OK)
        return err;
    *n = 0;
    FOR_EACH_ROW(s, st, mandatory_row(st, out, cap, n));
}

int store_count(struct store *s, const char *table, int64_t *n)
{
    static const char *const allowed[] = {"people",   "badges",           "courses", "sessions",
                                          "bookings", "external_credits", "events",  "attendance"};
    char sql[96];
    bool ok = false;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        ok |= strcmp(table, allowed[i]) == 0;
    if (!ok)
        return STORE_EINVALID;
    /* The table name comes from the fixed list above, never from input. */
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(s, rc);
    rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW ? STORE_OK : fail(s, rc);
    if (err == STORE_OK)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return err;
}

/* ---- bookings and external credits ------------------------------------------------------- */

int store_booking_add(struct store *s, int64_t person_id, int64_t session_id)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BOOKING_ADD, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    return run(s, st);
}

int store_booked(struct store *s, int64_t person_id, int64_t session_id, bool *booked)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BOOKED, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    err = step_one(s, st);
    *booked = err == STORE_OK;
    if (err == STORE_OK)
        done(st);
    return err == STORE_ENOTFOUND ? STORE_OK : err;
}

int store_external_upsert(struct store *s, const struct external_row *x)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_EXTERNAL_UPSERT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, x->person_id);
    sqlite3_bind_int64(st, 2, x->course_id);
    bind_text(st, 3, domain_source_code(x->source));
    sqlite3_bind_int(st, 4, x->date);
    sqlite3_bind_int(st, 5, x->credits_q);
    bind_text(st, 6, x->certificate);
    sqlite3_bind_int(st, 7, x->directed ? 1 : 0);
    bind_text(st, 8, x->note);
    return run(s, st);
}

static int external_row(sqlite3_stmt *st, struct external_credit *out, size_t cap, size_t *n)
{
    if (*n >= cap)
        return STORE_ETOOMANY;
    struct external_credit *x = &out[(*n)++];
    char source[32];
    memset(x, 0, sizeof(*x));
    x->course_id = sqlite3_column_int64(st, 0);
    column_text(st, 1, x->course_code, sizeof(x->course_code));
    column_text(st, 2, x->title, sizeof(x->title));
    column_text(st, 3, x->group, sizeof(x->group));
    column_text(st, 4, source, sizeof(source));
    int src = domain_source_parse(source);
    x->source = src < 0 ? SOURCE_LIVE_TEAMS : (enum external_source)src;
    x->date = (civil_day)sqlite3_column_int(st, 5);
    x->credits_q = sqlite3_column_int(st, 6);
    x->has_certificate = sqlite3_column_int(st, 7) != 0;
    x->directed = sqlite3_column_int(st, 8) != 0;
    return 0;
}

int store_external_for(struct store *s, int64_t person_id, struct external_credit *out, size_t cap,
                       size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_EXTERNAL_FOR, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    *n = 0;
    FOR_EACH_ROW(s, st, external_row(st, out, cap, n));
}

/* ---- attendance projection --------------------------------------------------------------- */

int store_attendance_get(struct store *s, int64_t person_id, int64_t session_id,
                         struct attendance *out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_ATT_GET, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    if ((err = step_one(s, st)) != STORE_OK)
        return err;
    read_attendance(st, 0, out);
    done(st);
    return STORE_OK;
}

static int attendance_put(struct store *s, const struct attendance *a)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_ATT_PUT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, a->person_id);
    sqlite3_bind_int64(st, 2, a->session_id);
    sqlite3_bind_int64(st, 3, a->in_us);
    sqlite3_bind_int64(st, 4, a->out_us);
    sqlite3_bind_int(st, 5, (int)a->flags);
    sqlite3_bind_int(st, 6, a->override_q);
    return run(s, st);
}

static int attendance_row(sqlite3_stmt *st, struct session *sessions, struct attendance *rows,
                          size_t cap, size_t *n)
{
    if (*n >= cap)
        return STORE_ETOOMANY;
    read_session(st, 0, &sessions[*n]);
    read_attendance(st, SESSION_NCOLS, &rows[*n]);
    (*n)++;
    return 0;
}

int store_attendance_of(struct store *s, int64_t person_id, struct session *sessions,
                        struct attendance *rows, size_t cap, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_ATT_OF, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    *n = 0;
    FOR_EACH_ROW(s, st, attendance_row(st, sessions, rows, cap, n));
}

static int open_row(sqlite3_stmt *st, store_open_fn fn, void *ctx)
{
    struct person p;
    struct session x;
    struct attendance a;
    read_person(st, 0, &p);
    read_session(st, PERSON_NCOLS, &x);
    read_attendance(st, PERSON_NCOLS + SESSION_NCOLS, &a);
    return fn(ctx, &p, &x, &a);
}

int store_open_attendance_each(struct store *s, int64_t ended_before_us, store_open_fn fn,
                               void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_ATT_OPEN, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, ended_before_us);
    FOR_EACH_ROW(s, st, open_row(st, fn, ctx));
}

static int register_row(sqlite3_stmt *st, store_register_fn fn, void *ctx)
{
    struct person p;
    struct attendance a;
    read_person(st, 0, &p);
    read_attendance(st, PERSON_NCOLS, &a);
    return fn(ctx, &p, &a);
}

int store_register_each(struct store *s, int64_t session_id, store_register_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_REGISTER, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, session_id);
    FOR_EACH_ROW(s, st, register_row(st, fn, ctx));
}

static int booking_row(sqlite3_stmt *st, store_person_fn fn, void *ctx)
{
    struct person p;
    read_person(st, 0, &p);
    return fn(ctx, &p, 0);
}

int store_bookings_of(struct store *s, int64_t session_id, store_person_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BOOKINGS_OF, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, session_id);
    FOR_EACH_ROW(s, st, booking_row(st, fn, ctx));
}

/* ---- what head office sends (sync) and exports (ledger import) --------------------------- */

int store_badge_put(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4,
                    int64_t person_id)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BADGE_PUT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    bind_text(st, 2, last4);
    sqlite3_bind_int64(st, 3, person_id);
    sqlite3_bind_int64(st, 4, clock_wall_us());
    return run(s, st);
}

int store_badge_remove(struct store *s, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES])
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BADGE_DELETE, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_blob(st, 1, hash, CRYPTO_BADGE_HASH_BYTES, SQLITE_TRANSIENT);
    return run(s, st);
}

int store_booking_remove(struct store *s, int64_t person_id, int64_t session_id)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BOOKING_DELETE, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, session_id);
    return run(s, st);
}

int store_external_remove(struct store *s, int64_t person_id, int64_t course_id, civil_day date)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_EXTERNAL_DELETE, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int64(st, 2, course_id);
    sqlite3_bind_int(st, 3, date);
    return run(s, st);
}

static int course_row_cb(struct store *s, sqlite3_stmt *st, store_course_fn fn, void *ctx)
{
    char code[DOMAIN_CODE_MAX];
    struct course_row c;
    struct session x;
    column_text(st, 0, code, sizeof(code));
    bool dated = sqlite3_column_type(st, 1) != SQLITE_NULL;
    /* Separate statements: ST_COURSES_ALL stays on its row meanwhile. */
    if (store_course_by_code(s, code, &c, NULL) != STORE_OK ||
        (dated && store_session_by_id(s, sqlite3_column_int64(st, 1), &x) != STORE_OK))
        return STORE_EINTERNAL;
    return fn(ctx, &c, dated ? &x : NULL);
}

int store_courses_each(struct store *s, store_course_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_COURSES_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, course_row_cb(s, st, fn, ctx));
}

static int badge_all_cb(sqlite3_stmt *st, store_badge_hash_fn fn, void *ctx)
{
    uint8_t hash[CRYPTO_BADGE_HASH_BYTES];
    char last4[8], staff_no[DOMAIN_CODE_MAX];
    column_blob(st, 0, hash, sizeof(hash));
    column_text(st, 1, last4, sizeof(last4));
    column_text(st, 2, staff_no, sizeof(staff_no));
    return fn(ctx, hash, last4, staff_no);
}

int store_badge_hashes_each(struct store *s, store_badge_hash_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BADGES_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, badge_all_cb(st, fn, ctx));
}

static int booking_all_cb(sqlite3_stmt *st, store_booking_fn fn, void *ctx)
{
    char staff_no[DOMAIN_CODE_MAX], code[DOMAIN_CODE_MAX];
    column_text(st, 0, staff_no, sizeof(staff_no));
    column_text(st, 1, code, sizeof(code));
    return fn(ctx, staff_no, code);
}

int store_bookings_each(struct store *s, store_booking_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_BOOKINGS_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, booking_all_cb(st, fn, ctx));
}

static int external_all_cb(sqlite3_stmt *st, store_external_fn fn, void *ctx)
{
    char staff_no[DOMAIN_CODE_MAX], code[DOMAIN_CODE_MAX], source[32];
    struct external_row x = {0};
    column_text(st, 0, staff_no, sizeof(staff_no));
    column_text(st, 1, code, sizeof(code));
    column_text(st, 2, source, sizeof(source));
    int src = domain_source_parse(source);
    x.source = src < 0 ? SOURCE_LIVE_TEAMS : (enum external_source)src;
    x.date = (civil_day)sqlite3_column_int(st, 3);
    x.credits_q = sqlite3_column_int(st, 4);
    column_text(st, 5, x.certificate, sizeof(x.certificate));
    x.directed = sqlite3_column_int(st, 6) != 0;
    column_text(st, 7, x.note, sizeof(x.note));
    return fn(ctx, staff_no, code, &x);
}

int store_external_each(struct store *s, store_external_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_EXTERNAL_ALL, &st);
    if (err != STORE_OK)
        return err;
    FOR_EACH_ROW(s, st, external_all_cb(st, fn, ctx));
}

/* ---- trainer PINs ------------------------------------------------------------------------ */

int store_pin_get(struct store *s, int64_t person_id, struct pin_record *out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_PIN_GET, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    if ((err = step_one(s, st)) != STORE_OK)
        return err;
    column_text(st, 0, out->hash, sizeof(out->hash));
    out->failures = sqlite3_column_int(st, 1);
    out->locked_until_us = sqlite3_column_int64(st, 2);
    done(st);
    return STORE_OK;
}

int store_pin_set(struct store *s, int64_t person_id, const char *hash, int64_t now_us)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_PIN_SET, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    bind_text(st, 2, hash);
    sqlite3_bind_int64(st, 3, now_us);
    return run(s, st);
}

int store_pin_attempts(struct store *s, int64_t person_id, int failures, int64_t locked_until_us)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_PIN_ATTEMPTS, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, person_id);
    sqlite3_bind_int(st, 2, failures);
    sqlite3_bind_int64(st, 3, locked_until_us);
    return run(s, st);
}

/* Folds one event into the attendance row it concerns. Events about people or sessions this
 * store does not know (yet) change no row: the event itself is still the record. */
static int project(struct store *s, const struct event *e)
{
    if (!projection_affects(e->type))
        return STORE_OK;
    struct person p;
    struct session x;
    int err = store_person_by_staff_no(s, e->person, &p);
    if (err == STORE_OK)
        err = store_session_by_code(s, e->session, &x);
    if (err == STORE_ENOTFOUND)
        return STORE_OK;
    if (err != STORE_OK)
        return err;
    struct attendance row;
    err = store_attendance_get(s, p.id, x.id, &row);
    if (err == STORE_ENOTFOUND)
        projection_row_init(&row, p.id, x.id);
    else if (err != STORE_OK)
        return err;
    return projection_apply(&row, e) ? attendance_put(s, &row) : STORE_OK;
}

/* ---- events ------------------------------------------------------------------------------ */

int store_set_signer(struct store *s, const char *kiosk, const uint8_t sk[CRYPTO_SIGN_SK_BYTES])
{
    if (strlen(kiosk) >= sizeof(s->kiosk) || kiosk[0] == '\0')
        return STORE_EINVALID;
    snprintf(s->kiosk, sizeof(s->kiosk), "%s", kiosk);
    memcpy(s->sk, sk, CRYPTO_SIGN_SK_BYTES);
    s->has_signer = true;
    return STORE_OK;
}

static int chain_tip(struct store *s, int64_t *seq, uint8_t hash[CRYPTO_HASH_BYTES])
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_LAST_EVENT, &st);
    if (err != STORE_OK)
        return err;
    err = step_one(s, st);
    if (err == STORE_ENOTFOUND) {
        *seq = 0;
        memset(hash, 0, CRYPTO_HASH_BYTES);
        return STORE_OK;
    }
    if (err != STORE_OK)
        return err;
    *seq = sqlite3_column_int64(st, 0);
    column_blob(st, 1, hash, CRYPTO_HASH_BYTES);
    done(st);
    return STORE_OK;
}

static int insert_event(struct store *s, const struct event *e)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_EVENT_INSERT, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, e->seq);
    bind_text(st, 2, e->uuid);
    bind_text(st, 3, e->kiosk);
    bind_text(st, 4, event_type_code(e->type));
    bind_text(st, 5, e->person);
    bind_text(st, 6, e->session);
    sqlite3_bind_int64(st, 7, e->wall_us);
    sqlite3_bind_int64(st, 8, e->mono_us);
    bind_text(st, 9, e->clock);
    bind_text(st, 10, e->payload);
    sqlite3_bind_blob(st, 11, e->prev_hash, CRYPTO_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 12, e->hash, CRYPTO_HASH_BYTES, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 13, e->sig, CRYPTO_SIG_BYTES, SQLITE_TRANSIENT);
    return run(s, st);
}

/* Inside the transaction the caller began: the sealed event and its projection, committed
 * together, or (err set, or either failing) neither. */
static int store_and_project(struct store *s, const struct event *e, int err)
{
    if (err == STORE_OK)
        err = insert_event(s, e);
    if (err == STORE_OK)
        err = project(s, e);
    if (err == STORE_OK)
        return store_commit(s);
    store_rollback(s);
    return err;
}

int store_append_event(struct store *s, struct event *e)
{
    if (!s->has_signer)
        return STORE_ENOSIGNER;
    if (e->type >= EV_TYPE_COUNT || e->wall_us <= 0)
        return STORE_EINVALID;
    if (e->payload[0] == '\0')
        snprintf(e->payload, sizeof(e->payload), "{}");
    if (e->uuid[0] == '\0')
        event_new_uuid(e->uuid);
    snprintf(e->kiosk, sizeof(e->kiosk), "%s", s->kiosk);
    int err = store_begin(s);
    if (err != STORE_OK)
        return err;
    uint8_t prev[CRYPTO_HASH_BYTES];
    int64_t last_seq = 0;
    err = chain_tip(s, &last_seq, prev);
    if (err == STORE_OK) {
        e->seq = last_seq + 1;
        err = event_seal(e, prev, s->sk) == EVENT_OK ? STORE_OK : STORE_EINVALID;
    }
    return store_and_project(s, e, err);
}

int store_signer(const struct store *s, char *kiosk, size_t cap, uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    if (!s->has_signer)
        return STORE_ENOSIGNER;
    if (strlen(s->kiosk) >= cap)
        return STORE_EINVALID;
    memcpy(kiosk, s->kiosk, strlen(s->kiosk) + 1);
    crypto_sign_public_of(s->sk, pk);
    return STORE_OK;
}

int store_chain_tip(struct store *s, int64_t *seq, uint8_t hash[CRYPTO_HASH_BYTES])
{
    return chain_tip(s, seq, hash);
}

int store_adopt_event(struct store *s, const struct event *e,
                      const uint8_t pk[CRYPTO_SIGN_PK_BYTES])
{
    if (!s->has_signer || strcmp(e->kiosk, s->kiosk) != 0)
        return STORE_ENOSIGNER;
    int err = store_begin(s);
    if (err != STORE_OK)
        return err;
    struct event_chain chain;
    err = chain_tip(s, &chain.last_seq, chain.last_hash);
    if (err == STORE_OK && event_chain_next(&chain, e, pk) != EVENT_OK)
        err = STORE_EINVALID;
    return store_and_project(s, e, err);
}

static int event_row(sqlite3_stmt *st, store_event_fn fn, void *ctx)
{
    struct event e;
    read_event(st, &e);
    return fn(ctx, &e);
}

int store_events_each(struct store *s, int64_t from_seq, store_event_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_EVENTS_FROM, &st);
    if (err != STORE_OK)
        return err;
    sqlite3_bind_int64(st, 1, from_seq);
    FOR_EACH_ROW(s, st, event_row(st, fn, ctx));
}

int store_last_event_of(struct store *s, const char *staff_no, struct event *out)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(s, ST_LAST_EVENT_OF, &st);
    if (err != STORE_OK)
        return err;
    bind_text(st, 1, staff_no);
    if ((err = step_one(s, st)) != STORE_OK)
        return err;
    read_event(st, out);
    done(st);
    return STORE_OK;
}

/* ---- rebuild and verify ------------------------------------------------------------------ */

static int rebuild_one(void *ctx, const struct event *e)
{
    return project(ctx, e);
}

int store_rebuild_projections(struct store *s)
{
    int err = store_begin(s);
    if (err != STORE_OK)
        return err;
    err = exec(s, "DELETE FROM attendance");
    /* A second statement object: ST_EVENTS_FROM stays busy while project() runs others. */
    sqlite3_stmt *st = NULL;
    if (err == STORE_OK) {
        int rc = sqlite3_prepare_v2(s->db, stmt_sql[ST_EVENTS_FROM], -1, &st, NULL);
        err = rc == SQLITE_OK ? STORE_OK : fail(s, rc);
    }
    if (err == STORE_OK) {
        sqlite3_bind_int64(st, 1, 1);
        int rc;
        while (err == STORE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct event e;
            read_event(st, &e);
            err = rebuild_one(s, &e);
        }
        if (err == STORE_OK && rc != SQLITE_DONE)
            err = fail(s, rc);
    }
    sqlite3_finalize(st);
    if (err == STORE_OK)
        return store_commit(s);
    store_rollback(s);
    return err;
}

struct verify_ctx {
    struct event_chain chain;
    const uint8_t *pk;
    struct store_verify_report *report;
};

static int verify_one(void *ctx, const struct event *e)
{
    struct verify_ctx *v = ctx;
    v->report->events++;
    int err = e->type >= EV_TYPE_COUNT ? EVENT_EHASH : event_chain_next(&v->chain, e, v->pk);
    if (err != EVENT_OK) {
        v->report->first_bad_seq = e->seq;
        v->report->error = err;
        return 1; /* stop: everything after the first bad event is suspect */
    }
    return 0;
}

int store_verify(struct store *s, const uint8_t pk[CRYPTO_SIGN_PK_BYTES],
                 struct store_verify_report *report)
{
    memset(report, 0, sizeof(*report));
    struct verify_ctx v = {.pk = pk, .report = report};
    event_chain_start(&v.chain);
    int err = store_events_each(s, 1, verify_one, &v);
    return err == 1 ? STORE_OK : err;
}

int store_explain_summary(struct store *s, char *out, size_t cap)
{
    static const enum stmt_id ids[] = {ST_ATT_OF, ST_EXTERNAL_FOR, ST_PACKAGE_SESSIONS,
                                       ST_LAST_EVENT_OF, ST_BADGE_OWNER};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char sql[2048];
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", stmt_sql[ids[i]]);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
            return fail(s, rc);
        while (sqlite3_step(st) == SQLITE_ROW && used + 1 < cap) {
            int n = snprintf(out + used, cap - used, "%d: %s\n", (int)i,
                             (const char *)sqlite3_column_text(st, 3));
            used += n > 0 ? (size_t)n : 0;
            if (used >= cap)
                used = cap - 1;
        }
        sqlite3_finalize(st);
    }
    return STORE_OK;
}
