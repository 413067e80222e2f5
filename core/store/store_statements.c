/* The SQL of every prepared statement of the store, by its id (store_internal.h). Only these
 * run, each prepared once per connection (st_prepare); values are always bound, never
 * formatted in. */
#include "core/store/store_internal.h"

#include <stdio.h>

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
                            " AND seq >= ?2 ORDER BY seq DESC",
    /* The literal type matches events_auto_close's WHERE, so SQLite uses that index. */
    [ST_LAST_AUTO_CLOSE_OF] = "SELECT seq FROM events WHERE person = ?1 AND type = 'auto_close'"
                              " ORDER BY seq DESC LIMIT 1",
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

/* What SQLite plans for the queries a tap and its summary run (bench and tests check that no
 * big table is scanned). */
int store_explain_summary(struct store *s, char *out, size_t cap)
{
    static const enum stmt_id ids[] = {
        ST_ATT_OF,      ST_EXTERNAL_FOR,     ST_PACKAGE_SESSIONS,  ST_LAST_EVENT_OF,
        ST_BADGE_OWNER, ST_EVENTS_OF_NEWEST, ST_LAST_AUTO_CLOSE_OF};
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
