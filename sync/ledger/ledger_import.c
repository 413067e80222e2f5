/* ledger import and report copies: head office's CSV checked by the kiosk's own importer in a
 * scratch store, then written in one ledger transaction with head office's signed record of
 * the result (ledger_office.c); and the temporary store trust-wide reports run on. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "sync/ledger/ledger_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/strcopy.h"
#include "core/base/tempdir.h"
#include "core/domain/crypto.h"
#include "core/domain/event.h"
#include "core/services/keys.h"
#include "sync/sync_pg.h"

/* ---- import ------------------------------------------------------------------------------ */

struct writer {
    struct pg *pg;
    char *why;
    size_t cap;
    int err;
    int rows;
};

static int put(struct writer *w, const char *sql, int n, const char *const *values)
{
    int err = pg_exec(w->pg, sql, n, values, NULL, w->why, w->cap);
    if (err != PG_OK) {
        w->err = sync_from_pg(err, w->pg);
        return CPD_STOP;
    }
    w->rows++;
    return 0;
}

static int put_course(void *ctx, const struct course_row *c, const struct session *s)
{
    char credits[16], date[CIVIL_DATE_LEN], start[8], end[8];
    snprintf(credits, sizeof(credits), "%d", c->credits_q);
    const char *course[] = {c->code,
                            c->period,
                            c->category,
                            c->title,
                            domain_delivery_code(c->delivery),
                            domain_kind_code(c->kind),
                            c->credits_q >= 0 ? credits : NULL,
                            c->group,
                            domain_frequency_code(c->frequency),
                            c->due,
                            c->note};
    if (put(ctx,
            "INSERT INTO cpd.courses (code, period, category, title, delivery, kind, credits_q,"
            " grp, frequency, due, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (code) DO UPDATE SET period = excluded.period,"
            " category = excluded.category, title = excluded.title, delivery = excluded.delivery,"
            " kind = excluded.kind, credits_q = excluded.credits_q, grp = excluded.grp,"
            " frequency = excluded.frequency, due = excluded.due, note = excluded.note"
            " WHERE (cpd.courses.period, cpd.courses.category, cpd.courses.title,"
            " cpd.courses.delivery, cpd.courses.kind, cpd.courses.credits_q, cpd.courses.grp,"
            " cpd.courses.frequency, cpd.courses.due, cpd.courses.note) IS DISTINCT FROM"
            " (excluded.period, excluded.category, excluded.title, excluded.delivery,"
            " excluded.kind, excluded.credits_q, excluded.grp, excluded.frequency, excluded.due,"
            " excluded.note)",
            11, course))
        return CPD_STOP;
    if (!s)
        return 0;
    civil_format_date(s->date, date);
    snprintf(start, sizeof(start), "%02d:%02d", s->start_min / 60 % 24, s->start_min % 60);
    snprintf(end, sizeof(end), "%02d:%02d", s->end_min / 60 % 24, s->end_min % 60);
    const char *session[] = {c->code, date, start, end, s->location};
    return put(ctx,
               "INSERT INTO cpd.sessions (code, date, start_time, end_time, location)"
               " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET date = excluded.date,"
               " start_time = excluded.start_time, end_time = excluded.end_time,"
               " location = excluded.location WHERE (cpd.sessions.date, cpd.sessions.start_time,"
               " cpd.sessions.end_time, cpd.sessions.location) IS DISTINCT FROM (excluded.date,"
               " excluded.start_time, excluded.end_time, excluded.location)",
               5, session);
}

static int put_person(void *ctx, const struct person *p, int badges)
{
    (void)badges;
    const char *v[] = {p->staff_no, p->name, p->academy, p->trainer ? "trainer" : "staff",
                       p->active ? "true" : "false"};
    return put(ctx,
               "INSERT INTO cpd.people (staff_no, name, academy, role, active)"
               " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (staff_no) DO UPDATE SET"
               " name = excluded.name, academy = excluded.academy, role = excluded.role,"
               " active = excluded.active WHERE (cpd.people.name, cpd.people.academy,"
               " cpd.people.role, cpd.people.active) IS DISTINCT FROM (excluded.name,"
               " excluded.academy, excluded.role, excluded.active)",
               5, v);
}

static int put_badge(void *ctx, const uint8_t hash[CRYPTO_BADGE_HASH_BYTES], const char *last4,
                     const char *staff_no)
{
    char hex[2 * CRYPTO_BADGE_HASH_BYTES + 1];
    crypto_hex(hex, hash, CRYPTO_BADGE_HASH_BYTES);
    const char *v[] = {hex, last4, staff_no};
    return put(ctx,
               /* a badge a kiosk revoked is not brought back on (schema 8) */
               "INSERT INTO cpd.badges (uid_hash, last4, staff_no, active) SELECT"
               " decode($1, 'hex'), $2, $3, NOT EXISTS (SELECT 1 FROM cpd.revoked_badges r"
               " WHERE r.uid_hash = decode($1, 'hex')) ON CONFLICT (uid_hash) DO UPDATE SET"
               " last4 = excluded.last4, staff_no = excluded.staff_no, active = excluded.active"
               " WHERE (cpd.badges.staff_no, cpd.badges.active) IS DISTINCT FROM"
               " (excluded.staff_no, excluded.active)",
               3, v);
}

static int put_booking(void *ctx, const char *staff_no, const char *session)
{
    const char *v[] = {staff_no, session};
    return put(ctx,
               /* a booking a kiosk cancelled is not brought back (schema 4) */
               "INSERT INTO cpd.bookings (staff_no, session) SELECT $1::text, $2::text"
               " WHERE NOT EXISTS (SELECT 1 FROM cpd.cancelled_bookings c"
               " WHERE c.staff_no = $1::text AND c.session = $2::text)"
               " ON CONFLICT (staff_no, session) DO UPDATE SET active = true"
               " WHERE NOT cpd.bookings.active",
               2, v);
}

static int put_credit(void *ctx, const char *staff_no, const char *code,
                      const struct external_row *x)
{
    char date[CIVIL_DATE_LEN], credits[16];
    civil_format_date(x->date, date);
    snprintf(credits, sizeof(credits), "%d", x->credits_q);
    const char *v[] = {staff_no,
                       code,
                       date,
                       domain_source_code(x->source),
                       credits,
                       x->certificate,
                       x->directed ? "true" : "false",
                       x->note};
    return put(ctx,
               /* a credit a kiosk voided is stored as sent but stays inactive (schema 4) */
               "INSERT INTO cpd.external_credits (staff_no, programme, date, source, credits_q,"
               " certificate, directed, note, active) SELECT $1::text, $2::text, $3::date,"
               " $4::text, $5::integer, $6::text, $7::boolean, $8::text, NOT EXISTS (SELECT 1"
               " FROM cpd.voided_credits v WHERE v.staff_no = $1::text AND v.programme = $2::text"
               " AND v.date = $3::date)"
               " ON CONFLICT (staff_no, programme, date) DO UPDATE SET source = excluded.source,"
               " credits_q = excluded.credits_q, certificate = excluded.certificate,"
               " directed = excluded.directed, note = excluded.note, active = excluded.active",
               8, v);
}

static int remove_tree(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The first three differences into a sentence, and how many. */
struct named {
    char text[1400];
    size_t n;
};

static void name_difference(void *ctx, const char *live, const char *expected)
{
    struct named *d = ctx;
    size_t used = strlen(d->text);
    if (d->n++ < 3 && used < sizeof(d->text)) {
        char one[900];
        office_describe(live, expected, one, sizeof(one));
        snprintf(d->text + used, sizeof(d->text) - used, "%s%s", used ? "; " : "", one);
    }
}

static void name_keep_difference(void *ctx, const char *what, bool invented)
{
    struct named *d = ctx;
    size_t used = strlen(d->text);
    if (d->n++ < 3 && used < sizeof(d->text))
        snprintf(d->text + used, sizeof(d->text) - used, "%s%s (%s)", used ? "; " : "", what,
                 invented ? "no kiosk's event made it" : "no longer kept");
}

/* Before an import writes: the kind's tables locked, and exactly what head office's records
 * and the kiosks' events make them, so the new record signs nothing someone else changed. */
static int office_before(struct pg *pg, enum office_kind kind,
                         const uint8_t pk[CRYPTO_SIGN_PK_BYTES], char *why, size_t cap)
{
    int64_t records = 0;
    int err = office_lock(pg, kind, why, cap);
    if (err == SYNC_OK)
        err = office_head(pg, &records, why, cap);
    if (err == SYNC_OK && records == 0) {
        snprintf(why, cap,
                 "head office's rows are not signed yet: run ledger init --office-key FILE"
                 " --keyring FILE first");
        return SYNC_ECONFIG;
    }
    struct named d = {.text = ""};
    char bad[300] = "";
    size_t n = 0;
    if (err == SYNC_OK)
        err = office_check(pg, pk, kind, name_difference, &d, &n, bad, sizeof(bad), why, cap);
    size_t kept = 0;
    if (err == SYNC_OK && !bad[0] && n == 0)
        err = office_keep_lists(pg, name_keep_difference, &d, &kept, why, cap);
    if (err == SYNC_OK && bad[0]) {
        snprintf(why, cap, "head office's records: %s; nothing was imported", bad);
        err = SYNC_ETAMPER;
    } else if (err == SYNC_OK && kept > 0) {
        snprintf(why, cap,
                 "the ledger's kept revocations, voids and cancellations differ from the kiosks'"
                 " events (%zu): %s%s; nothing was imported: put them back (verify --ledger lists"
                 " each) or restore",
                 kept, d.text, kept > 3 ? "; and more" : "");
        err = SYNC_ETAMPER;
    } else if (err == SYNC_OK && n > 0) {
        snprintf(why, cap,
                 "the ledger's rows differ from head office's signed records (%zu): %s%s; "
                 "nothing was imported: put them back (verify --ledger lists each) or restore",
                 n, d.text, n > 3 ? "; and more" : "");
        err = SYNC_ETAMPER;
    }
    return err;
}

/* Writes what the scratch store holds of this kind into the ledger, in one transaction, with
 * head office's record of the result. */
static int write_kind(struct pg *pg, struct store *scratch, enum import_kind kind,
                      const uint8_t sk[CRYPTO_SIGN_SK_BYTES],
                      const uint8_t pk[CRYPTO_SIGN_PK_BYTES], char *checkpoint,
                      size_t checkpoint_cap, char *why, size_t cap, int *rows)
{
    struct writer w = {.pg = pg, .why = why, .cap = cap};
    int err = sync_from_pg(pg_exec(pg, "BEGIN", 0, NULL, NULL, why, cap), pg);
    int rc = STORE_OK;
    enum office_kind office = office_kind_of_import(kind);
    if (err == SYNC_OK)
        err = office_before(pg, office, pk, why, cap);
    if (err == SYNC_OK) {
        switch (kind) {
        case IMPORT_PROGRAMME:
            rc = store_courses_each(scratch, put_course, &w);
            break;
        case IMPORT_ROSTER:
            rc = store_people_each(scratch, put_person, &w);
            if (rc == STORE_OK)
                rc = store_badge_hashes_each(scratch, put_badge, &w);
            break;
        case IMPORT_BOOKINGS:
            rc = store_bookings_each(scratch, put_booking, &w);
            break;
        case IMPORT_CREDITS:
            rc = store_external_each(scratch, put_credit, &w);
            break;
        }
        err = w.err ? w.err : rc != STORE_OK && rc != CPD_STOP ? SYNC_ESTORE : SYNC_OK;
    }
    int64_t seq = 0;
    if (err == SYNC_OK)
        err = office_record(pg, sk, office, &seq, why, cap);
    /* The record's checkpoint line, as ledger checkpoint writes head office's. */
    struct pg_result *line = NULL;
    char seq_text[24];
    snprintf(seq_text, sizeof(seq_text), "%" PRId64, seq);
    const char *params[] = {seq_text};
    if (err == SYNC_OK)
        err = sync_from_pg(
            pg_exec(pg,
                    "SELECT '@office ' || seq || ' ' || encode(hash, 'hex') || ' ' ||"
                    " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                    " FROM cpd.office_log WHERE seq = $1::bigint",
                    1, params, &line, why, cap),
            pg);
    if (err == SYNC_OK &&
        (pg_rows(line) != 1 || strcopy(checkpoint, checkpoint_cap, pg_value(line, 0, 0)) != 0)) {
        snprintf(why, cap, "head office's record %s is not in the ledger after writing it",
                 seq_text);
        err = SYNC_ETAMPER;
    }
    pg_clear(line);
    if (err == SYNC_OK) /* a commit refused (a deferred check) wrote nothing: said, not hidden */
        err = sync_from_pg(pg_exec(pg, "COMMIT", 0, NULL, NULL, why, cap), pg);
    else
        pg_exec(pg, "ROLLBACK", 0, NULL, NULL, NULL, 0);
    *rows = w.rows;
    return err;
}

/* The import's checkpoint line appended to the file (0600, synced); said why when not: the
 * import itself is in. */
static int checkpoint_append(const char *path, const char *line, char *why, size_t cap)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_t n = strlen(line);
    bool ok =
        fd >= 0 && write(fd, line, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    if (!ok)
        snprintf(why, cap,
                 "imported, but its checkpoint could not be added to %s (%s): run ledger "
                 "checkpoint >> %s now",
                 path, strerror(errno), path);
    if (fd >= 0)
        close(fd);
    return ok ? SYNC_OK : SYNC_ECONFIG;
}

int ledger_import(const struct ledger_target *t, enum import_kind kind, const char *path,
                  const struct import_options *options, struct import_result *result, char *why,
                  size_t cap)
{
    char dir[4096], db[4096 + 16];
    struct store *scratch = NULL;
    struct pg *pg = NULL;
    memset(result, 0, sizeof(*result));
    int made = tempdir_make(dir, sizeof(dir), "cpd-ledger-import");
    if (made != 0) {
        snprintf(why, cap,
                 "cannot make a scratch directory %s: %s (set TMPDIR to a folder with room)", dir,
                 strerror(made));
        return SYNC_ESTORE;
    }
    snprintf(db, sizeof(db), "%s/scratch.db", dir);
    uint8_t sk[CRYPTO_SIGN_SK_BYTES], pk[CRYPTO_SIGN_PK_BYTES];
    int err = SYNC_OK;
    if (!t->office_key && !options->dry_run) {
        snprintf(why, cap, "every import is signed by head office: --office-key FILE");
        err = SYNC_ECONFIG;
    } else if (t->office_key) {
        err = office_key_load(t->office_key, sk, pk, why, cap);
    }
    if (err == SYNC_OK)
        err = store_open(db, &scratch, why, cap) == STORE_OK ? SYNC_OK : SYNC_ESTORE;
    if (err == SYNC_OK)
        err = ledger_connect(t, &pg, why, cap);
    /* The ledger's people and programme first: the file is checked against them. */
    if (err == SYNC_OK)
        err = sync_copy(pg, scratch,
                        kind == IMPORT_PROGRAMME ? SYNC_COPY_FOR_PROGRAMME : SYNC_COPY_FOR_IMPORT,
                        INT64_MIN, NULL, why, cap);
    if (err == SYNC_OK) {
        struct import_options here = *options;
        here.corrections_elsewhere = true; /* --replace is the roster's only, here */
        int rc = import_file(scratch, kind, path, &here, result);
        if (rc != IMPORT_OK) {
            snprintf(why, cap, "%s", cpd_strerror(rc));
            err = SYNC_ECONFIG;
        }
    }
    /* Rows already in the ledger are rewritten only where something changed. */
    int rows = 0;
    char checkpoint[256] = "";
    if (err == SYNC_OK && !options->dry_run)
        err =
            write_kind(pg, scratch, kind, sk, pk, checkpoint, sizeof(checkpoint), why, cap, &rows);
    if (err == SYNC_OK && checkpoint[0] && t->checkpoints)
        err = checkpoint_append(t->checkpoints, checkpoint, why, cap);
    crypto_wipe(sk, sizeof(sk));
    result->written = options->dry_run ? 0 : rows;
    pg_close(pg);
    store_close(scratch);
    nftw(dir, remove_tree, 8, FTW_DEPTH | FTW_PHYS);
    return err;
}

int ledger_copy_open(const struct ledger_target *t, struct ledger_copy *copy,
                     int64_t events_from_us, char *why, size_t cap)
{
    char db[sizeof(copy->dir) + 16];
    struct pg *pg = NULL;
    memset(copy, 0, sizeof(*copy));
    int made = tempdir_make(copy->dir, sizeof(copy->dir), "cpd-report");
    if (made != 0) {
        snprintf(why, cap,
                 "cannot make a scratch directory %s: %s (set TMPDIR to a folder with room)",
                 copy->dir, strerror(made));
        copy->dir[0] = '\0';
        return SYNC_ESTORE;
    }
    snprintf(db, sizeof(db), "%s/ledger.db", copy->dir);
    int err = store_open(db, &copy->store, why, cap) == STORE_OK ? SYNC_OK : SYNC_ESTORE;
    if (err == SYNC_OK)
        err = ledger_connect(t, &pg, why, cap);
    if (err == SYNC_OK)
        err = sync_copy(pg, copy->store, SYNC_COPY_FOR_REPORTS, events_from_us, &copy->skipped, why,
                        cap);
    pg_close(pg);
    if (err != SYNC_OK)
        ledger_copy_close(copy);
    return err;
}

void ledger_copy_close(struct ledger_copy *copy)
{
    store_close(copy->store);
    if (copy->dir[0])
        nftw(copy->dir, remove_tree, 8, FTW_DEPTH | FTW_PHYS);
    memset(copy, 0, sizeof(*copy));
}
