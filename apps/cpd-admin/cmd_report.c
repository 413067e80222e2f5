/* cpd-admin report KIND: reports as text (a terminal), CSV (Excel) or PDF (paper), from this
 * kiosk's store or head office's ledger — core/services/report.h, ui/sdl/paper.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/cpd-admin/admin.h"
#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/safefile.h"
#include "core/base/utf8.h"
#include "core/base/zone.h"
#include "core/domain/crypto.h"
#include "core/services/evaluation.h"
#include "core/services/report.h"
#include "sync/ledger/ledger.h"
#include "ui/sdl/paper.h"

static const char help[] =
    "usage: cpd-admin report register --session ID | evacuation | due [--within DAYS] | "
    "statements [--term T] [--summary] | completion --course cpi|mapa [--cohort ID] | at-risk "
    "| evaluations [--at TIME] "
    "[--format text|csv|pdf] [--output FILE] [--ledger CONNINFO [--password-file FILE]]\n"
    "Reports from the kiosk's records, every figure from the credits engine:\n"
    "  register --session ID   everyone who attended the session (in, out, late / left early /\n"
    "                          no sign-out with minutes, entries by hand and corrections with\n"
    "                          who and why, credits), who was booked but absent, who came\n"
    "                          without a booking, and the counts\n"
    "  evacuation [--at TIME]  everyone in the building for CPD by the kiosk's records, by\n"
    "                          surname, with session, room and since when; the count (TIME:\n"
    "                          local \"YYYY-MM-DD HH:MM\", default now)\n"
    "  due [--within DAYS]     mandatory training due within DAYS (30), overdue or not\n"
    "                          recorded, per active person, by academy\n"
    "  statements [--term autumn|spring|summer|year] [--summary]\n"
    "                          every active person's items of the term (or year) as of --at;\n"
    "                          --summary: one row a person (credits, each term with BREACH\n"
    "                          for an ended term at 0, items to review, still needed)\n"
    "  completion --course cpi|mapa [--cohort ID]\n"
    "                          each person × cohort (block): every session done, to review\n"
    "                          (why), missed or booked; credits awarded; where one who missed\n"
    "                          a session can still complete\n"
    "  at-risk                 who can no longer reach the year's target, and who ends\n"
    "                          this term at 0\n"
    "                          unless they attend, most urgent first, each with the fewest\n"
    "                          sessions that would do it\n"
    "  evaluations             per session, the answers to \"How useful was tonight?\" (asked\n"
    "                          at sign-out when [display] evaluation is on): how many, the\n"
    "                          average and how many gave each score 1-5\n"
    "--person STAFF_NO, --academy NAME (due, statements, at-risk): only them. An option a\n"
    "report does not take is a usage error, and so is a filter that matches nobody.\n"
    "--at TIME: as of then, within the credit year; without it, now (after the year has\n"
    "ended: the year as it ended, said in the report).\n"
    "--format text (the default), csv (UTF-8 with a BOM, one header row: opens in Excel) or\n"
    "pdf (A4 with the trust, site, time generated and page numbers; statements a person a\n"
    "page with a chart of credits by term; registers with a signature line);\n"
    "--output FILE writes there instead of standard output.\n"
    "--ledger CONNINFO runs the report trust-wide on head office's ledger (an office login,\n"
    "cpd-admin ledger add-office; --password-file FILE, mode 0600, for its password): what\n"
    "its report views hold is copied into a temporary local store first. Exit status 0 ok,\n"
    "1 failure, 2 usage, 3-7 as for sync when the ledger fails.\n"
    "A progress bar on a terminal for reports over everyone, quiet when piped.\n" ADMIN_TIME_HELP;

static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    if (total >= 200) /* a bar only for runs long enough to wonder about */
        admin_progress("people", (int64_t)done, (int64_t)total);
}

enum kind {
    K_REGISTER,
    K_EVACUATION,
    K_DUE,
    K_STATEMENTS,
    K_COMPLETION,
    K_AT_RISK,
    K_EVALUATIONS,
    K_COUNT
};
static const char *const kinds[K_COUNT] = {"register",   "evacuation", "due",        "statements",
                                           "completion", "at-risk",    "evaluations"};

struct request {
    enum kind kind;
    const char *session, *format, *output, *at, *within, *term, *summary, *course, *person,
        *academy, *ledger, *password_file, *cohort;
    bool csv, pdf;
    int days, term_index; /* -1: the year */
    enum course_kind course_kind;
    int64_t when;
    char note[160]; /* a line the report gets about when it is as of ("" for none) */
};

/* An option given to a kind it means nothing to is a mistake, not something to ignore. */
static bool applies(const struct request *q, const char *name, const char *value,
                    unsigned kinds_mask)
{
    if (!value || (kinds_mask & (1u << q->kind)))
        return true;
    admin_error("--%s does not apply to report %s", name, kinds[q->kind]);
    return false;
}

#define B(k) (1u << (k))

static int check_options(const struct request *q)
{
    bool ok = applies(q, "session", q->session, B(K_REGISTER)) &&
              applies(q, "within", q->within, B(K_DUE)) &&
              applies(q, "term", q->term, B(K_STATEMENTS)) &&
              applies(q, "summary", q->summary, B(K_STATEMENTS)) &&
              applies(q, "course", q->course, B(K_COMPLETION)) &&
              applies(q, "cohort", q->cohort, B(K_COMPLETION)) &&
              applies(q, "person", q->person, B(K_DUE) | B(K_STATEMENTS) | B(K_AT_RISK)) &&
              applies(q, "academy", q->academy, B(K_DUE) | B(K_STATEMENTS) | B(K_AT_RISK));
    return ok ? 0 : EXIT_USAGE;
}

/* When the report is as of: --at, or now. The year's reports are about the credit year: a
 * time outside it is a mistake, except now after the year has ended, which asks for the year
 * as it ended (said in the report). */
static int parse_when(struct admin *a, struct request *q)
{
    const struct date_range *year = &a->cfg.rules.terms.year;
    char from[CIVIL_DATE_LEN], to[CIVIL_DATE_LEN];
    civil_format_date(year->first, from);
    civil_format_date(year->last, to);
    q->when = clock_wall_us();
    if (q->at && admin_parse_time("at", q->at, &q->when) != 0)
        return EXIT_USAGE;
    civil_day day;
    int minute;
    zone_utc_to_local(q->when, &day, &minute, NULL);
    if (q->kind == K_EVACUATION || (day >= year->first && day <= year->last))
        return 0;
    if (q->at) {
        admin_error("--at \"%s\": outside the credit year %s – %s ([terms] in kiosk.ini)", q->at,
                    from, to);
        return EXIT_USAGE;
    }
    if (day < year->first) {
        admin_error("today is before the credit year %s – %s ([terms] in kiosk.ini): give --at",
                    from, to);
        return EXIT_USAGE;
    }
    zone_local_to_utc(year->last, 24 * 60 - 1, &q->when);
    snprintf(q->note, sizeof(q->note),
             "The credit year %s – %s has ended: this is the year as it ended", from, to);
    return 0;
}

/* The options' values: 0, or EXIT_USAGE after one line naming the problem. */
static int parse_values(struct admin *a, struct request *q)
{
    if (q->format && !(q->csv = strcmp(q->format, "csv") == 0) &&
        !(q->pdf = strcmp(q->format, "pdf") == 0) && strcmp(q->format, "text") != 0) {
        admin_error("--format \"%s\": expected text, csv or pdf", q->format);
        return EXIT_USAGE;
    }
    if (q->kind == K_REGISTER && !q->session) {
        admin_error("report register: give --session ID (the programme's id of the session)");
        return EXIT_USAGE;
    }
    bool cpi = q->course && strcmp(q->course, "cpi") == 0;
    if (q->kind == K_COMPLETION && !cpi && !(q->course && strcmp(q->course, "mapa") == 0)) {
        admin_error("report completion: --course \"%s\": expected cpi or mapa",
                    q->course ? q->course : "");
        return EXIT_USAGE;
    }
    q->course_kind = cpi ? KIND_CPI_INITIAL : KIND_MAPA_BLOCK;
    char *end = NULL;
    long days = q->within ? strtol(q->within, &end, 10) : 30;
    if (q->within && (*end != '\0' || days < 0 || days > 3650)) {
        admin_error("--within \"%s\": expected a number of days (0–3650)", q->within);
        return EXIT_USAGE;
    }
    q->days = (int)days;
    static const char *const terms[] = {"autumn", "spring", "summer", "year"};
    q->term_index = -2;
    for (int t = 0; q->term && t < 4; t++)
        q->term_index = strcmp(q->term, terms[t]) == 0 ? (t == 3 ? -1 : t) : q->term_index;
    if (q->term && q->term_index == -2) {
        admin_error("--term \"%s\": expected autumn, spring, summer or year", q->term);
        return EXIT_USAGE;
    }
    q->term_index = q->term_index == -2 ? -1 : q->term_index;
    if (q->ledger && !q->ledger[0]) {
        admin_error("--ledger: give the ledger's connection (host=… dbname=cpd user=…)");
        return EXIT_USAGE;
    }
    if (q->password_file && !q->ledger) {
        admin_error("--password-file is for --ledger");
        return EXIT_USAGE;
    }
    if (q->pdf && !q->output && isatty(STDOUT_FILENO)) {
        admin_error("--format pdf: give --output FILE (a PDF is not for a terminal)");
        return EXIT_USAGE;
    }
    return parse_when(a, q);
}

/* Only people the store has: a filter that matches nobody is a mistake, not "0 people". */
static int known(void *ctx, const struct person *p, int badges)
{
    (void)badges;
    const char *academy = ctx;
    return p->active && strcmp(p->academy, academy) == 0 ? CPD_STOP : 0;
}

static int check_filter(struct store *store, const struct request *q)
{
    struct person p;
    if (q->person && store_person_by_staff_no(store, q->person, &p) != STORE_OK) {
        admin_error("--person %s: no person with this staff number", q->person);
        return 1;
    }
    if (q->academy && store_people_each(store, known, (void *)q->academy) != CPD_STOP) {
        admin_error("--academy \"%s\": no active person at this academy", q->academy);
        return 1;
    }
    return 0;
}

static int run(struct store *store, const struct rules *rules, const char *site,
               const struct request *q, struct report *r)
{
    const struct report_filter filter = {
        .staff_no = q->person, .academy = q->academy, .progress = progress};
    switch (q->kind) {
    case K_REGISTER:
        return report_register(store, rules, site, q->session, q->when, r);
    case K_EVACUATION:
        return report_evacuation(store, rules, site, q->when, r);
    case K_DUE:
        return report_due(store, rules, q->when, q->days, &filter, r);
    case K_COMPLETION:
        return report_completion(store, rules, q->course_kind, q->cohort, q->when, r);
    case K_AT_RISK:
        return report_at_risk(store, rules, q->when, &filter, r);
    case K_EVALUATIONS:
        return report_evaluations(store, q->when, r);
    default:
        return report_statements(store, rules, q->when, q->term_index, q->summary != NULL, &filter,
                                 r);
    }
}

/* The report to --output (written beside it, renamed once whole) or standard output. */
static int write_out(struct admin *a, const struct request *q, const struct report *r)
{
    struct safefile file;
    if (q->output && safefile_open(&file, q->output) != SAFEFILE_OK) {
        admin_error("--output %s: cannot write there", q->output);
        return 1;
    }
    FILE *out = q->output ? file.f : stdout;
    int err;
    errno = 0;
    if (q->pdf) {
        char generated[24];
        zone_format_local(clock_wall_us(), generated);
        const struct paper_header header = {.trust = a->cfg.kiosk.trust,
                                            .site = q->ledger ? "every kiosk (the central ledger)"
                                                              : a->cfg.kiosk.site,
                                            .generated = generated};
        err = paper_write_pdf(r, &header, out, NULL);
    } else {
        err = q->csv ? report_write_csv(r, out) : report_write_text(r, out);
    }
    int writer_errno = errno; /* what the failing write said, before anything else runs */
    errno = 0;
    bool stream_failed = fflush(out) != 0 || ferror(out);
    int os_error = stream_failed ? (errno ? errno : writer_errno ? writer_errno : EIO) : 0;
    if (stream_failed) /* the disk said no, whatever the writer made of it */
        err = SAFEFILE_EWRITE;
    int closed = q->output ? safefile_close(&file, err == STORE_OK) : SAFEFILE_OK;
    os_error = os_error ? os_error : (q->output ? file.os_error : 0);
    err = err == STORE_OK ? closed : err;
    if (err != STORE_OK) {
        admin_error("%s: %s%s%s", q->output ? q->output : "standard output", cpd_strerror(err),
                    os_error ? ": " : "", os_error ? strerror(os_error) : "");
        return 1;
    }
    return 0;
}

/* The ledger's report views, copied into a temporary store: 0, or the exit status. */
static int copy_ledger(struct admin *a, const struct request *q, struct ledger_copy *copy)
{
    const char *conninfo = q->ledger, *password_file = q->password_file;
    /* Only the credit year's events (and the evacuation's last two days, whenever it is): a
     * ledger holding years of taps is read for the year asked, not copied whole. */
    int64_t from_us = INT64_MIN;
    zone_local_to_utc(a->cfg.rules.terms.year.first, 0, &from_us);
    if (q->kind == K_EVACUATION && q->when - 2 * 86400 * INT64_C(1000000) < from_us)
        from_us = q->when - 2 * 86400 * INT64_C(1000000);
    char password[256] = "", why[512] = "";
    struct ledger_target t = {.conninfo = conninfo, .timeout_s = a->cfg.sync.connect_timeout_s};
    int err = SYNC_OK;
    int rc = admin_ledger_conninfo(conninfo);
    if (rc != 0)
        return rc;
    if (password_file) {
        err = sync_read_password(password_file, password, sizeof(password), why, sizeof(why));
        t.password = password;
    }
    if (err == SYNC_OK)
        err = ledger_copy_open(&t, copy, from_us, why, sizeof(why));
    crypto_wipe(password, sizeof(password));
    if (err == SYNC_OK && copy->skipped.n > 0)
        fprintf(stderr,
                "cpd-admin: %" PRId64 " of the ledger's events %s left out of these reports: no "
                "kiosk writes %s (the first: %s); verify --ledger names who signed %s\n",
                copy->skipped.n, copy->skipped.n == 1 ? "is" : "are",
                copy->skipped.n == 1 ? "it" : "them", copy->skipped.first,
                copy->skipped.n == 1 ? "it" : "them");
    return err == SYNC_OK ? 0 : admin_ledger_fail(err, why);
}

int cmd_report(struct admin *a, int argc, char **argv)
{
    struct request q = {0};
    const struct admin_option table[] = {
        {"session", true, &q.session},  {"at", true, &q.at},
        {"within", true, &q.within},    {"term", true, &q.term},
        {"summary", false, &q.summary}, {"course", true, &q.course},
        {"format", true, &q.format},    {"output", true, &q.output},
        {"person", true, &q.person},    {"academy", true, &q.academy},
        {"ledger", true, &q.ledger},    {"password-file", true, &q.password_file},
        {"cohort", true, &q.cohort},    {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    const char *kind = first + 1 == argc ? argv[first] : NULL;
    q.kind = K_COUNT;
    for (int k = 0; kind && k < K_COUNT; k++)
        q.kind = strcmp(kind, kinds[k]) == 0 ? (enum kind)k : q.kind;
    if (q.kind == K_COUNT) {
        if (kind)
            admin_error("unknown report \"%s\": expected register, evacuation, due, statements, "
                        "completion, at-risk or evaluations",
                        kind);
        else
            admin_usage(help);
        return EXIT_USAGE;
    }
    if ((rc = check_options(&q)) != 0 || (rc = parse_values(a, &q)) != 0)
        return rc;
    struct ledger_copy copy = {0};
    if (q.ledger && (rc = copy_ledger(a, &q, &copy)) != 0)
        return rc;
    if (!q.ledger && admin_open_store(a) != 0)
        return 1;
    struct store *store = q.ledger ? copy.store : a->store;
    struct report r = {0};
    int err = STORE_OK;
    rc = check_filter(store, &q);
    if (rc == 0)
        err = run(store, &a->cfg.rules, a->cfg.kiosk.site, &q, &r);
    ledger_copy_close(&copy);
    if (rc != 0)
        return rc;
    if (err == STORE_ENOTFOUND) {
        if (q.cohort)
            admin_error("--cohort %s: no %s with this programme id", q.cohort,
                        q.course_kind == KIND_CPI_INITIAL ? "CPI cohort" : "MAPA block");
        else
            admin_error("--session %s: no dated session with this programme id", q.session);
        return 1;
    }
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        return 1;
    }
    if (q.ledger) {
        char title[sizeof(r.title)];
        memcpy(title, r.title, sizeof(title));
        utf8_printf(r.title, sizeof(r.title), "%s — every kiosk (the central ledger)", title);
    }
    if (q.note[0] && r.n_lines < REPORT_LINES)
        utf8_printf(r.lines[r.n_lines++], REPORT_LINE, "%s", q.note);
    rc = write_out(a, &q, &r);
    report_free(&r);
    return rc;
}
