/* cpd-admin report KIND: reports as text (a terminal) or CSV (Excel) — core/services/report.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/cpd-admin/admin.h"
#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/safefile.h"
#include "core/base/zone.h"
#include "core/domain/crypto.h"
#include "core/services/report.h"
#include "sync/ledger/ledger.h"
#include "ui/sdl/paper.h"

static const char help[] =
    "usage: cpd-admin report register --session ID | evacuation | due [--within DAYS] | "
    "statements [--term T] [--summary] | completion --course cpi|mapa [--cohort ID] | at-risk "
    "[--at TIME] "
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
    "  at-risk                 who can no longer reach 16, and who ends this term at 0\n"
    "                          unless they attend, most urgent first, each with the fewest\n"
    "                          sessions that would do it\n"
    "--person STAFF_NO, --academy NAME (due, statements, at-risk): only them.\n"
    "--format text (the default), csv (UTF-8 with a BOM, one header row: opens in Excel) or\n"
    "pdf (A4 with the trust, site, time generated and page numbers; statements a person a\n"
    "page with a chart of credits by term; registers with a signature line);\n"
    "--output FILE writes there instead of standard output.\n"
    "--ledger CONNINFO runs the report trust-wide on head office's ledger (an office login,\n"
    "cpd-admin ledger add-office; --password-file FILE, mode 0600, for its password): what\n"
    "its report views hold is copied into a temporary local store first. Exit status 0 ok,\n"
    "1 failure, 2 usage, 3-7 as for sync when the ledger fails.\n"
    "A progress bar on a terminal for reports over everyone, quiet when piped.\n";

static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    if (total >= 200) /* a bar only for runs long enough to wonder about */
        admin_progress("people", (int64_t)done, (int64_t)total);
}

/* The ledger's report views, copied into a temporary store: 0, or the exit status. */
static int copy_ledger(struct admin *a, const char *conninfo, const char *password_file,
                       struct ledger_copy *copy)
{
    char password[256] = "", why[512] = "";
    struct ledger_target t = {.conninfo = conninfo, .timeout_s = a->cfg.sync.connect_timeout_s};
    int err = SYNC_OK;
    if (password_file) {
        err = sync_read_password(password_file, password, sizeof(password), why, sizeof(why));
        t.password = password;
    }
    if (err == SYNC_OK)
        err = ledger_copy_open(&t, copy, why, sizeof(why));
    crypto_wipe(password, sizeof(password));
    return err == SYNC_OK ? 0 : admin_ledger_fail(err, why);
}

int cmd_report(struct admin *a, int argc, char **argv)
{
    const char *session = NULL, *format = NULL, *output = NULL, *at = NULL, *within = NULL,
               *term_name = NULL, *summary = NULL, *course = NULL, *person = NULL, *academy = NULL,
               *ledger = NULL, *password_file = NULL, *cohort = NULL;
    const struct admin_option table[] = {
        {"session", true, &session},  {"at", true, &at},
        {"within", true, &within},    {"term", true, &term_name},
        {"summary", false, &summary}, {"course", true, &course},
        {"format", true, &format},    {"output", true, &output},
        {"person", true, &person},    {"academy", true, &academy},
        {"ledger", true, &ledger},    {"password-file", true, &password_file},
        {"cohort", true, &cohort},    {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    bool csv = format && strcmp(format, "csv") == 0, pdf = format && strcmp(format, "pdf") == 0;
    const char *kind = first + 1 == argc ? argv[first] : "";
    bool reg = strcmp(kind, "register") == 0, evac = strcmp(kind, "evacuation") == 0;
    bool due = strcmp(kind, "due") == 0, statements = strcmp(kind, "statements") == 0;
    bool completion = strcmp(kind, "completion") == 0, at_risk = strcmp(kind, "at-risk") == 0;
    bool cpi = course && strcmp(course, "cpi") == 0, mapa = course && strcmp(course, "mapa") == 0;
    if ((!reg && !evac && !due && !statements && !completion && !at_risk) || (reg && !session) ||
        (completion && !cpi && !mapa) || (format && !csv && !pdf && strcmp(format, "text") != 0)) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    char *end = NULL;
    long days = within ? strtol(within, &end, 10) : 30;
    if (within && (*end != '\0' || days < 0 || days > 3650)) {
        admin_error("--within \"%s\": expected a number of days (0–3650)", within);
        return EXIT_USAGE;
    }
    static const char *const terms[] = {"autumn", "spring", "summer", "year"};
    int term = -1;
    for (int t = 0; term_name && t < 4; t++)
        term = strcmp(term_name, terms[t]) == 0 ? (t == 3 ? -2 : t) : term;
    if (term_name && term == -1) {
        admin_error("--term \"%s\": expected autumn, spring, summer or year", term_name);
        return EXIT_USAGE;
    }
    int64_t when = clock_wall_us();
    if (at && zone_parse_local(at, &when) != ZONE_OK) {
        admin_error("--at \"%s\": expected local time YYYY-MM-DD HH:MM", at);
        return EXIT_USAGE;
    }
    /* The year's reports are about the credit year: a time outside it is a mistake. */
    const struct date_range *year = &a->cfg.rules.terms.year;
    civil_day day;
    int minute;
    zone_utc_to_local(when, &day, &minute, NULL);
    if (at && (statements || at_risk || completion || due) &&
        (day < year->first || day > year->last)) {
        char from[CIVIL_DATE_LEN], to[CIVIL_DATE_LEN];
        civil_format_date(year->first, from);
        civil_format_date(year->last, to);
        admin_error("--at \"%s\": outside the credit year %s – %s ([terms] in kiosk.ini)", at, from,
                    to);
        return EXIT_USAGE;
    }
    if (pdf && !output && isatty(STDOUT_FILENO)) {
        admin_error("--format pdf: give --output FILE (a PDF is not for a terminal)");
        return EXIT_USAGE;
    }
    if (password_file && !ledger) {
        admin_error("--password-file is for --ledger");
        return EXIT_USAGE;
    }
    struct ledger_copy copy = {0};
    const char *site = a->cfg.kiosk.site;
    if (ledger) {
        rc = copy_ledger(a, ledger, password_file, &copy);
        if (rc != 0)
            return rc;
        site = "the central ledger (every kiosk)";
    } else if (admin_open_store(a) != 0) {
        return 1;
    }
    struct store *store = ledger ? copy.store : a->store;
    struct report r;
    const struct rules *rules = &a->cfg.rules;
    const struct report_filter filter = {
        .staff_no = person, .academy = academy, .progress = progress};
    int err;
    if (reg)
        err = report_register(store, rules, site, session, &r);
    else if (evac)
        err = report_evacuation(store, rules, site, when, &r);
    else if (due)
        err = report_due(store, rules, when, (int)days, &filter, &r);
    else if (completion)
        err = report_completion(store, rules, cpi ? KIND_CPI_INITIAL : KIND_MAPA_BLOCK, cohort,
                                when, &r);
    else if (at_risk)
        err = report_at_risk(store, rules, when, &filter, &r);
    else
        err = report_statements(store, rules, when, term < 0 ? -1 : term, summary != NULL, &filter,
                                &r);
    ledger_copy_close(&copy);
    if (err == STORE_ENOTFOUND && cohort) {
        admin_error("--cohort %s: no %s with this programme id", cohort,
                    cpi ? "CPI cohort" : "MAPA block");
        return 1;
    }
    if (err == STORE_ENOTFOUND) {
        admin_error("--session %s: no dated session with this programme id", session);
        return 1;
    }
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        return 1;
    }
    /* A file is written beside its name and renamed into place only once whole. */
    struct safefile file;
    if (output && safefile_open(&file, output) != SAFEFILE_OK) {
        admin_error("--output %s: cannot write there", output);
        report_free(&r);
        return 1;
    }
    FILE *out = output ? file.f : stdout;
    if (pdf) {
        char generated[24];
        zone_format_local(clock_wall_us(), generated);
        const struct paper_header header = {
            .trust = a->cfg.kiosk.trust, .site = site, .generated = generated};
        err = paper_write_pdf(&r, &header, out, NULL);
    } else {
        err = csv ? report_write_csv(&r, out) : report_write_text(&r, out);
    }
    if (!output && err == STORE_OK && (fflush(stdout) != 0 || ferror(stdout)))
        err = SAFEFILE_EWRITE;
    int closed = output ? safefile_close(&file, err == STORE_OK) : SAFEFILE_OK;
    err = err == STORE_OK ? closed : err;
    report_free(&r);
    if (err != STORE_OK) {
        admin_error("%s: %s", output ? output : "standard output", cpd_strerror(err));
        return 1;
    }
    return 0;
}
