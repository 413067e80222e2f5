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
    /* 8: each person's forgotten sign-outs the kiosk closed, which every tap asks about: a
     * partial index, so the tap's cost does not grow with the person's history and no other
     * event pays for it */
    "CREATE INDEX events_auto_close ON events(person, seq) WHERE type = 'auto_close';",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "schema version and migrations disagree");

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

int read_user_version(struct store *s, int *version)
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
struct store *store_alloc(const char *path)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->receipts_fd = -1;
    snprintf(s->path, sizeof(s->path), "%s", path);
    return s;
}

int st_errno(int e, bool writing)
{
    if (e == ENOSPC || e == EDQUOT)
        return STORE_EFULL;
    if (e == EACCES || e == EPERM || e == EROFS)
        return writing ? STORE_EPERM : STORE_ENOREAD;
    return STORE_EIO;
}

/* The directory or file that could not be made or opened: its code, and what cpd_strerror does
 * not already say (ENOSPC is all of "disk is full"). */
static int prepare_failed(struct store *s, const char *what, int e)
{
    if (e == ENOSPC)
        snprintf(s->message, sizeof(s->message), "cannot create %s", what);
    else
        snprintf(s->message, sizeof(s->message), "%s: %s", what, strerror(e));
    return st_errno(e, true);
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
    if (count == 0) {
        s->busy_since_us = now;
        s->lock_waits++;
    }
    if (now - s->busy_since_us > s->longest_lock_wait_us)
        s->longest_lock_wait_us = now - s->busy_since_us;
    if (now - s->busy_since_us >= (int64_t)BUSY_TIMEOUT_MS * 1000)
        return 0; /* SQLITE_BUSY: STORE_EBUSY for the caller */
    clock_sleep_us(BUSY_POLL_US);
    return 1;
}

void store_lock_waits(const struct store *s, struct store_lock_waits *out)
{
    out->count = s->lock_waits;
    out->longest_us = s->longest_lock_wait_us;
}

/* An open that failed: the reason for the caller, the half-open store gone. */
int open_failed(struct store *s, int err, char *why, size_t why_cap)
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
