#include "core/store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/utf8.h"
#include "core/domain/projection.h"

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
    /* 3: the programme by kind — every tap's summary reads the CPI and MAPA sessions and the
     * mandatory courses, which were full scans of the programme */
    "CREATE INDEX courses_kind ON courses(kind, id);",
    /* 4: badges reported lost or replaced, projected from badge_revoked events (kept apart
     * from badges, which the roster pull rewrites) */
    "CREATE TABLE badge_revocations("
    "  uid_hash BLOB PRIMARY KEY CHECK (length(uid_hash) = 32),"
    "  seq INTEGER NOT NULL,"
    "  revoked_us INTEGER NOT NULL) WITHOUT ROWID;",
    /* 5: credits recorded elsewhere that a correction voided, projected from credit_voided
     * events by the stable ids (staff number, programme id, date): an import never undoes it */
    "CREATE TABLE credit_voids("
    "  staff_no TEXT NOT NULL,"
    "  course_code TEXT NOT NULL,"
    "  date INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (staff_no, course_code, date)) WITHOUT ROWID;",
    /* 6: bookings a correction cancelled, projected from booking_cancelled events by staff
     * number and programme id: a bookings import never brings one back */
    "CREATE TABLE booking_cancellations("
    "  staff_no TEXT NOT NULL,"
    "  session_code TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (staff_no, session_code)) WITHOUT ROWID;",
    /* 7: retention (store_purge): events below meta purge_below — synced, and older than
     * [sync] keep_synced_days — may be deleted; every other delete is still refused */
    "DROP TRIGGER events_no_delete;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    "  WHEN OLD.seq >= coalesce((SELECT CAST(value AS INTEGER) FROM meta"
    "                            WHERE key = 'purge_below'), 1)"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "schema version and migrations disagree");

const char *const stmt_sql[ST_COUNT] = {
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
    [ST_MANDATORY] = "SELECT id, title, frequency, grp FROM courses WHERE kind = 'mandatory'"
                     " ORDER BY id",
    [ST_EXTERNAL_GET] =
        "SELECT source, credits_q, certificate, directed, note FROM external_credits"
        " WHERE person_id = ?1 AND course_id = ?2 AND date = ?3",
    [ST_BOOKING_ADD] = "INSERT OR IGNORE INTO bookings(person_id, session_id) VALUES (?1, ?2)",
    [ST_BOOKED] = "SELECT 1 FROM bookings b JOIN people p ON p.id = b.person_id"
                  " JOIN sessions s ON s.id = b.session_id JOIN courses c ON c.id = s.course_id"
                  " WHERE b.person_id = ?1 AND b.session_id = ?2 AND NOT EXISTS (SELECT 1 FROM"
                  " booking_cancellations x WHERE x.staff_no = p.staff_no"
                  " AND x.session_code = c.code)",
    [ST_EXTERNAL_UPSERT] =
        "INSERT INTO external_credits(person_id, course_id, source, date, credits_q, certificate,"
        " directed, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(person_id, course_id, date) DO UPDATE SET source = excluded.source,"
        " credits_q = excluded.credits_q, certificate = excluded.certificate,"
        " directed = excluded.directed, note = excluded.note",
    [ST_EXTERNAL_FOR] = "SELECT x.course_id, c.code, c.title, c.grp, x.source, x.date,"
                        " x.credits_q, x.certificate <> '', x.directed, x.note <> '', c.kind,"
                        " c.delivery, coalesce(c.credits_q, -1), c.category, s.date,"
                        " EXISTS (SELECT 1 FROM credit_voids v JOIN people p ON p.id = x.person_id"
                        "  WHERE v.staff_no = p.staff_no AND v.course_code = c.code"
                        "  AND v.date = x.date)"
                        " FROM external_credits x JOIN courses c ON c.id = x.course_id"
                        " LEFT JOIN sessions s ON s.course_id = c.id"
                        " WHERE x.person_id = ?1 ORDER BY x.date, x.id",
    [ST_LAST_EVENT] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
    [ST_EVENT_INSERT] = "INSERT INTO events(" EVENT_COLS ")"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_EVENTS_FROM] = "SELECT " EVENT_COLS " FROM events WHERE seq >= ?1 ORDER BY seq",
    [ST_EVENT_AT] = "SELECT " EVENT_COLS " FROM events WHERE seq = ?1",
    [ST_EVENT_AFTER] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT 1",
    [ST_FIRST_SINCE] = "SELECT min(seq) FROM events WHERE wall_us >= ?1",
    [ST_PURGE_EVENTS] = "DELETE FROM events WHERE seq < ?1",
    [ST_PURGE_ATTENDANCE] = "DELETE FROM attendance WHERE session_id IN"
                            " (SELECT id FROM sessions WHERE end_us < ?1)",
    /* A rebuild: what events from seq ?1 on projected (before it, a purge took the events). */
    [ST_CLEAR_REVOCATIONS] = "DELETE FROM badge_revocations WHERE seq >= ?1",
    [ST_CLEAR_VOIDS] = "DELETE FROM credit_voids WHERE seq >= ?1",
    [ST_CLEAR_CANCELLATIONS] = "DELETE FROM booking_cancellations WHERE seq >= ?1",
    [ST_LAST_EVENT_OF] = "SELECT " EVENT_COLS " FROM events WHERE person = ?1"
                         " ORDER BY seq DESC LIMIT 1",
    [ST_EVENTS_OF] = "SELECT " EVENT_COLS " FROM events WHERE person = ?1 ORDER BY seq",
    [ST_EVENTS_OF_NEWEST] = "SELECT " EVENT_COLS " FROM events WHERE person = ?1"
                            " ORDER BY seq DESC",
    [ST_EVENTS_OF_TYPE] = "SELECT " EVENT_COLS " FROM events WHERE type = ?1 ORDER BY seq",
    [ST_REVOCATION_PUT] =
        "INSERT OR IGNORE INTO badge_revocations(uid_hash, seq, revoked_us) VALUES (?1, ?2, ?3)",
    [ST_REVOKED] = "SELECT 1 FROM badge_revocations WHERE uid_hash = ?1",
    [ST_BOOKING_CANCEL_PUT] = "INSERT OR IGNORE INTO booking_cancellations(staff_no,"
                              " session_code, seq) VALUES (?1, ?2, ?3)",
    [ST_CREDIT_VOID_PUT] = "INSERT OR IGNORE INTO credit_voids(staff_no, course_code, date, seq)"
                           " VALUES (?1, ?2, ?3, ?4)",
    [ST_NEWEST_BELIEVED] = "SELECT wall_us FROM events WHERE type <> 'clock_refused'"
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
    [ST_BOOKINGS_OF] =
        "SELECT " PERSON_COLS " FROM bookings b JOIN people p ON p.id = b.person_id"
        " JOIN sessions s ON s.id = b.session_id JOIN courses c ON c.id = s.course_id"
        " WHERE b.session_id = ?1 AND NOT EXISTS (SELECT 1 FROM"
        " booking_cancellations x WHERE x.staff_no = p.staff_no"
        " AND x.session_code = c.code) ORDER BY p.name",
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
        " WHERE NOT EXISTS (SELECT 1 FROM booking_cancellations x WHERE x.staff_no = p.staff_no"
        " AND x.session_code = c.code) ORDER BY p.staff_no, c.code",
    [ST_EXTERNAL_ALL] = "SELECT p.staff_no, c.code, x.source, x.date, x.credits_q, x.certificate,"
                        " x.directed, x.note FROM external_credits x"
                        " JOIN people p ON p.id = x.person_id JOIN courses c ON c.id = x.course_id"
                        " WHERE NOT EXISTS (SELECT 1 FROM credit_voids v WHERE v.staff_no ="
                        " p.staff_no AND v.course_code = c.code AND v.date = x.date)"
                        " ORDER BY x.id",
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

/* The system's errno under an I/O error or a file SQLite could not open, else 0. */
static int system_errno(struct store *s, int rc)
{
    int primary = rc & 0xFF;
    return s->db && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN)
               ? sqlite3_system_errno(s->db)
               : 0;
}

/* Records what SQLite says for the log and the caller's why — only what cpd_strerror will not
 * already say: SQLite's own words for a code ("disk I/O error", "database or disk is full")
 * would say it twice — and maps the code. A full disk shows as SQLITE_FULL from a write, but
 * as an I/O error from growing the -shm or an fsync, or as "unable to open" from creating a
 * file, with errno ENOSPC (EDQUOT: the user's quota) underneath. */
static int note_failure(struct store *s, int rc, const char *msg)
{
    int sys = system_errno(s, rc);
    bool generic = strcmp(msg, sqlite3_errstr(rc)) == 0 ||
                   (s->db && strcmp(msg, sqlite3_errstr(sqlite3_extended_errcode(s->db))) == 0);
    if (generic && sys != 0 && sys != ENOSPC && sys != EIO)
        msg = strerror(sys); /* the system's words say more: "Permission denied" */
    else if (generic)
        msg = "";
    snprintf(s->message, sizeof(s->message), "%s", msg);
    return sys == ENOSPC || sys == EDQUOT ? STORE_EFULL : map_sqlite(rc);
}

int st_fail(struct store *s, int rc)
{
    return note_failure(s, rc, s->db ? sqlite3_errmsg(s->db) : "");
}

/* ---- statement helpers ------------------------------------------------------------------- */

int st_prepare(struct store *s, enum stmt_id id, sqlite3_stmt **out)
{
    if (!s->stmts[id]) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->stmts[id], NULL);
        if (rc != SQLITE_OK)
            return st_fail(s, rc);
    }
    *out = s->stmts[id];
    return STORE_OK;
}

/* Steps to the end; the statement is reset either way. */
int st_run(struct store *s, sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    int err = rc == SQLITE_DONE ? STORE_OK : st_fail(s, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

void st_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

void st_bind_text(sqlite3_stmt *st, int i, const char *text)
{
    sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

void st_column_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    /* Every row of every list comes through here: a copy, not a format. */
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    bool cut = n >= cap;
    if (cut)
        n = cap - 1;
    if (n > 0)
        memcpy(out, t, n);
    out[n] = '\0';
    if (cut)
        utf8_fix_tail(out);
}

void st_read_person(sqlite3_stmt *st, int c, struct person *p)
{
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(st, c);
    st_column_text(st, c + 1, p->staff_no, sizeof(p->staff_no));
    st_column_text(st, c + 2, p->name, sizeof(p->name));
    st_column_text(st, c + 3, p->academy, sizeof(p->academy));
    p->trainer = strcmp((const char *)sqlite3_column_text(st, c + 4), "trainer") == 0;
    p->active = sqlite3_column_int(st, c + 5) != 0;
}

void st_read_session(sqlite3_stmt *st, int c, struct session *x)
{
    char code[32];
    memset(x, 0, sizeof(*x));
    x->id = sqlite3_column_int64(st, c);
    st_column_text(st, c + 1, x->code, sizeof(x->code));
    st_column_text(st, c + 2, x->title, sizeof(x->title));
    st_column_text(st, c + 3, x->location, sizeof(x->location));
    st_column_text(st, c + 4, x->group, sizeof(x->group));
    st_column_text(st, c + 5, code, sizeof(code));
    int kind = domain_kind_parse(code);
    x->kind = kind < 0 ? KIND_SINGLE : (enum course_kind)kind;
    st_column_text(st, c + 6, code, sizeof(code));
    int delivery = domain_delivery_parse(code);
    x->delivery = delivery < 0 ? DELIVERY_FACE_TO_FACE : (enum delivery)delivery;
    x->credits_q = sqlite3_column_int(st, c + 7);
    x->date = (civil_day)sqlite3_column_int(st, c + 8);
    x->start_min = sqlite3_column_int(st, c + 9);
    x->end_min = sqlite3_column_int(st, c + 10);
    x->start_us = sqlite3_column_int64(st, c + 11);
    x->end_us = sqlite3_column_int64(st, c + 12);
}

void st_read_attendance(sqlite3_stmt *st, int c, struct attendance *a)
{
    a->person_id = sqlite3_column_int64(st, c);
    a->session_id = sqlite3_column_int64(st, c + 1);
    a->in_us = sqlite3_column_int64(st, c + 2);
    a->out_us = sqlite3_column_int64(st, c + 3);
    a->flags = (unsigned)sqlite3_column_int(st, c + 4);
    a->override_q = sqlite3_column_int(st, c + 5);
}

void st_column_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t len)
{
    const void *b = sqlite3_column_blob(st, i);
    memset(out, 0, len);
    if (b && (size_t)sqlite3_column_bytes(st, i) == len)
        memcpy(out, b, len);
}

void st_read_event(sqlite3_stmt *st, struct event *e)
{
    char type[32];
    memset(e, 0, sizeof(*e));
    e->seq = sqlite3_column_int64(st, 0);
    st_column_text(st, 1, e->uuid, sizeof(e->uuid));
    st_column_text(st, 2, e->kiosk, sizeof(e->kiosk));
    st_column_text(st, 3, type, sizeof(type));
    int t = event_type_parse(type);
    e->type = t < 0 ? EV_TYPE_COUNT : (enum event_type)t;
    st_column_text(st, 4, e->person, sizeof(e->person));
    st_column_text(st, 5, e->session, sizeof(e->session));
    e->wall_us = sqlite3_column_int64(st, 6);
    e->mono_us = sqlite3_column_int64(st, 7);
    st_column_text(st, 8, e->clock, sizeof(e->clock));
    st_column_text(st, 9, e->payload, sizeof(e->payload));
    st_column_blob(st, 10, e->prev_hash, sizeof(e->prev_hash));
    st_column_blob(st, 11, e->hash, sizeof(e->hash));
    st_column_blob(st, 12, e->sig, sizeof(e->sig));
}

/* Steps a statement expected to give at most one row: STORE_ENOTFOUND when none. */
int st_step_one(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return STORE_OK;
    int err = rc == SQLITE_DONE ? STORE_ENOTFOUND : st_fail(s, rc);
    st_done(st);
    return err;
}

/* ---- open, migrate, close ---------------------------------------------------------------- */

int st_exec(struct store *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int err = note_failure(s, rc, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return err;
    }
    return STORE_OK;
}

static int read_user_version(struct store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return st_fail(s, rc);
    rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW ? STORE_OK : st_fail(s, rc);
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
        err = st_exec(s, "BEGIN IMMEDIATE");
        if (err == STORE_OK)
            err = st_exec(s, migrations[v - 1]);
        if (err == STORE_OK)
            err = st_exec(s, bump);
        if (err == STORE_OK)
            err = st_exec(s, "COMMIT");
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
        return st_fail(s, rc);
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
        err = st_fail(s, rc);
    sqlite3_finalize(st);
    return err;
}

/* A store not yet opened: the path kept (its receipts are named after it), no files. */
static struct store *store_alloc(const char *path)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->receipts_fd = -1;
    snprintf(s->path, sizeof(s->path), "%s", path);
    return s;
}

/* The directory or file that could not be made or opened: its code, and what cpd_strerror does
 * not already say (ENOSPC is all of "disk is full"). */
static int prepare_failed(struct store *s, const char *what, int e)
{
    if (e == ENOSPC)
        snprintf(s->message, sizeof(s->message), "cannot create %s", what);
    else
        snprintf(s->message, sizeof(s->message), "%s: %s", what, strerror(e));
    return e == ENOSPC || e == EDQUOT  ? STORE_EFULL
           : e == EACCES || e == EROFS ? STORE_EPERM
                                       : STORE_EIO;
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
        if (errno != ENOENT || mkdir(dir, 0700) != 0)
            return prepare_failed(s, dir, errno);
        stat(dir, &st);
    }
    s->dir_private = (st.st_mode & 0077) == 0;
    /* Never through a symbolic link: whoever may write the directory could point it at a file
     * of root's, which the chmod below would then change. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == ELOOP) {
        snprintf(s->message, sizeof(s->message),
                 "%s: a symbolic link (the database must be a file of its own)", path);
        return STORE_EIO;
    }
    if (fd < 0)
        return prepare_failed(s, path, errno);
    int err = fchmod(fd, 0600) == 0 || errno == EPERM ? STORE_OK : STORE_EIO;
    close(fd);
    return err;
}

/* Waiting for another connection's write lock (an import, the sync, the kiosk itself): a look
 * every millisecond, for up to BUSY_TIMEOUT_MS. SQLite's own busy_timeout sleeps longer and
 * longer, up to 100 ms a time, so a tap behind an import that commits in short transactions
 * slept through the gaps between them and waited seconds; a short poll finds the first gap
 * (the importer leaves one longer than this after each commit, IMPORT_YIELD_US), so a
 * tap waits for about one of the other's transactions (docs/architecture.md). */
#define BUSY_POLL_US 1000

static int busy_wait(void *arg, int count)
{
    struct store *s = arg;
    int64_t now = clock_monotonic_us();
    if (count == 0)
        s->busy_since_us = now;
    if (now - s->busy_since_us >= (int64_t)BUSY_TIMEOUT_MS * 1000)
        return 0; /* SQLITE_BUSY: STORE_EBUSY for the caller */
    clock_sleep_us(BUSY_POLL_US);
    return 1;
}

/* An open that failed: the reason for the caller, the half-open store gone. */
static int open_failed(struct store *s, int err, char *why, size_t why_cap)
{
    if (err == STORE_EINTERNAL || err == STORE_OK)
        err = STORE_EIO;
    if (why && why_cap)
        snprintf(why, why_cap, "%s", s->message);
    store_close(s);
    return err;
}

int store_open(const char *path, struct store **out, char *why, size_t why_cap)
{
    *out = NULL;
    if (why && why_cap)
        why[0] = '\0';
    struct store *s = store_alloc(path);
    if (!s)
        return STORE_ENOMEM;
    int err = prepare_file(s, path);
    if (err != STORE_OK)
        goto fail;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = st_fail(s, rc);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_handler(s->db, busy_wait, s);
    err = store_quick_check(s);
    if (err == STORE_OK)
        err = st_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                         " PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;");
    if (err == STORE_OK)
        err = migrate(s);
    if (err != STORE_OK)
        goto fail;
    *out = s;
    return STORE_OK;
fail:
    return open_failed(s, err, why, why_cap);
}

/* ---- looking without touching ------------------------------------------------------------ */

static int errno_store_code(int e)
{
    return e == EACCES || e == EPERM    ? STORE_ENOREAD
           : e == ENOSPC || e == EDQUOT ? STORE_EFULL
                                        : STORE_EIO;
}

/* Copies src to a new file dst (0600); *os receives errno on failure. */
static int copy_file(const char *src, const char *dst, int *os)
{
    char buf[65536];
    struct stat st;
    /* A regular file only: a FIFO or a device would block or never end. */
    int in = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC), out = -1, rc = -1;
    if (in >= 0 && (fstat(in, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(in);
        in = -1;
        errno = ENODEV;
    }
    if (in >= 0)
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    while (in >= 0 && out >= 0) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n == 0 ? 0 : -1;
            break;
        }
        ssize_t w = 0;
        while (w < n) {
            ssize_t k = write(out, buf + w, (size_t)(n - w));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                if (k == 0)
                    errno = ENOSPC;
                break;
            }
            w += k;
        }
        if (w < n)
            break;
    }
    *os = rc == 0 ? 0 : errno;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && rc == 0) {
        *os = errno;
        rc = -1;
    }
    return rc;
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ino == b->st_ino;
}

void remove_private_copy(struct store *s)
{
    static const char *const names[] = {"/look.db", "/look.db-wal", "/look.db-shm",
                                        "/look.db-journal"};
    if (!s->private_dir[0])
        return;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char name[4096 + 32];
        snprintf(name, sizeof(name), "%s%s", s->private_dir, names[i]);
        unlink(name);
    }
    rmdir(s->private_dir);
    s->private_dir[0] = '\0';
}

/* The file and its WAL copied into a private folder (0700 under $TMPDIR), WAL first, again if
 * the file changed meanwhile (a running kiosk's checkpoint): a copy SQLite may replay the WAL
 * into and make its index beside, while the original and the folder it is in stay untouched. */
static int private_copy(struct store *s, const char *path, const char *wal, char *copy, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s->private_dir, sizeof(s->private_dir), "%s/cpd-look-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(s->private_dir)) {
        int e = errno;
        snprintf(s->message, sizeof(s->message),
                 "cannot make a private copy to read it in %s: %s (set TMPDIR to a folder with "
                 "room)",
                 tmp && tmp[0] ? tmp : "/tmp", strerror(e));
        s->private_dir[0] = '\0';
        return errno_store_code(e) == STORE_ENOREAD ? STORE_EPERM : errno_store_code(e);
    }
    char copy_wal[4096 + 32];
    if (snprintf(copy, cap, "%s/look.db", s->private_dir) >= (int)cap ||
        snprintf(copy_wal, sizeof(copy_wal), "%s/look.db-wal", s->private_dir) >=
            (int)sizeof(copy_wal)) {
        snprintf(s->message, sizeof(s->message), "TMPDIR is too long a path");
        return STORE_EINVALID;
    }
    for (int attempt = 0;; attempt++) {
        struct stat before, after;
        int os = 0;
        const char *failed = path;
        unlink(copy);
        unlink(copy_wal);
        if (stat(path, &before) != 0)
            os = errno;
        else if (copy_file(wal, copy_wal, &os) != 0 && os != ENOENT) /* none: checkpointed */
            failed = os == ENOSPC || os == EDQUOT ? s->private_dir : wal;
        else if ((os = 0) != 0 || copy_file(path, copy, &os) != 0)
            failed = os == ENOSPC || os == EDQUOT ? s->private_dir : path;
        else if (stat(path, &after) != 0)
            os = errno;
        if (os) {
            utf8_printf(s->message, sizeof(s->message), "%s: %s", failed,
                        os == ENODEV ? "not a regular file" : strerror(os));
            return errno_store_code(os);
        }
        if (same_stat(&before, &after))
            return STORE_OK;
        if (attempt == 4) {
            snprintf(s->message, sizeof(s->message),
                     "%s kept changing while it was copied: try again, or stop the kiosk first",
                     path);
            return STORE_EBUSY;
        }
    }
}

/* Read only, and strictly so: nothing is created or changed beside the file (it may be the
 * evidence of a broken disk). It is read from a private copy of it and its WAL: SQLite needs
 * to write beside a WAL it reads, and a file without one may be a running kiosk's. */
static int open_readonly(const char *path, bool damaged, struct store **out, char *why,
                         size_t why_cap)
{
    *out = NULL;
    if (why && why_cap)
        why[0] = '\0';
    struct store *s = store_alloc(path);
    if (!s)
        return STORE_ENOMEM;
    int err = STORE_OK, version = 0, rc;
    char wal[4096 + 8], copy[4096 + 32];
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = fd < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        snprintf(s->message, sizeof(s->message), "cannot read %s: %s", path,
                 e == EINVAL ? "not a regular file" : strerror(e));
        err = e == EACCES || e == EPERM ? STORE_ENOREAD : e == ENOENT ? STORE_ENOTFOUND : STORE_EIO;
        if (fd >= 0)
            close(fd);
        goto fail;
    }
    close(fd);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    /* Always a copy: even a file without a WAL may be a running kiosk's, written under it. */
    err = private_copy(s, path, wal, copy, sizeof(copy));
    if (err != STORE_OK)
        goto fail;
    rc = sqlite3_open_v2(copy, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK && !damaged) {
        err = st_fail(s, rc);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    err = damaged ? STORE_OK : store_quick_check(s);
    if (err == STORE_OK)
        err = st_exec(s, "PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;");
    if (err != STORE_OK && damaged)
        err = STORE_OK; /* salvage reads what it can, row by row */
    if (err == STORE_OK && !damaged)
        err = read_user_version(s, &version);
    if (err == STORE_OK && !damaged && version != N_MIGRATIONS) {
        snprintf(s->message, sizeof(s->message),
                 "schema version %d, this program reads %d: open it read-write once to upgrade "
                 "it",
                 version, N_MIGRATIONS);
        err = STORE_EVERSION;
    }
    if (err != STORE_OK)
        goto fail;
    s->dir_private = true; /* nothing is written, so nothing is exposed by us */
    *out = s;
    return STORE_OK;
fail:
    return open_failed(s, err, why, why_cap);
}

int store_open_readonly(const char *path, struct store **out, char *why, size_t why_cap)
{
    return open_readonly(path, false, out, why, why_cap);
}

int store_open_damaged(const char *path, struct store **out, char *why, size_t why_cap)
{
    return open_readonly(path, true, out, why, why_cap);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    sqlite3_close_v2(s->db);
    remove_private_copy(s);
    if (s->receipts_fd >= 0)
        close(s->receipts_fd);
    free(s->pending);
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
    int err = st_exec(s, "BEGIN IMMEDIATE");
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
    int err = st_exec(s, "COMMIT");
    if (err != STORE_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        receipts_drop(s);
        return err;
    }
    /* Committed; acknowledged only once its receipts are on disk too. */
    return receipts_flush(s);
}

int store_rollback(struct store *s)
{
    if (s->txn_depth == 0)
        return STORE_EINTERNAL;
    s->txn_depth = 0;
    receipts_drop(s);
    return st_exec(s, "ROLLBACK");
}

/* ---- meta -------------------------------------------------------------------------------- */

int store_meta_get(struct store *s, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_META_GET, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, key);
    err = st_step_one(s, st);
    if (err != STORE_OK)
        return err;
    st_column_text(st, 0, out, cap);
    st_done(st);
    return STORE_OK;
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;
    int err = st_prepare(s, ST_META_SET, &st);
    if (err != STORE_OK)
        return err;
    st_bind_text(st, 1, key);
    st_bind_text(st, 2, value);
    return st_run(s, st);
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
        return st_fail(s, rc);
    rc = sqlite3_step(st);
    int err = rc == SQLITE_ROW ? STORE_OK : st_fail(s, rc);
    if (err == STORE_OK)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return err;
}

int store_explain_summary(struct store *s, char *out, size_t cap)
{
    static const enum stmt_id ids[] = {ST_ATT_OF,        ST_EXTERNAL_FOR, ST_PACKAGE_SESSIONS,
                                       ST_LAST_EVENT_OF, ST_BADGE_OWNER,  ST_EVENTS_OF_NEWEST};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char sql[2048];
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", stmt_sql[ids[i]]);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
            return st_fail(s, rc);
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
