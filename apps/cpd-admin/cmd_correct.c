/* cpd-admin correct: the office puts a record right, each correction an event with who and why
 * (core/services/corrections.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/cpd-admin/admin.h"
#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/zone.h"
#include "core/services/corrections.h"

static const char help[] =
    "usage: cpd-admin correct KIND STAFF_NO SESSION --by WHO --reason TEXT [options]\n"
    "Puts a record right with an event naming who corrected it and why (never an update):\n"
    "  credits   --credits N       set the session's credits outright (at most as printed)\n"
    "  approve                     full credit for a late, early or unclosed attendance\n"
    "  sign-in   --at TIME [--out TIME]\n"
    "                              attended, as a paper register shows\n"
    "  sign-out  --at TIME         a missed sign-out\n"
    "  void                        recorded by mistake (the wrong session): counts nothing\n"
    "  unbook                      cancel a booking that no longer holds\n"
    "  badge     (LAST4 for SESSION) a lost or replaced badge: refused from now on\n"
    "  credit    (PROGRAMME for SESSION) --date DATE\n"
    "                              void a credit recorded elsewhere (as imported)\n"
    "SESSION is the programme id (for badge: the badge's last 4 hex digits, cpd-admin badges).\n"
    "--by names who makes the correction; --reason is one line. The statement (cpd-admin\n"
    "credits) shows it at once; the next sync sends it to head office.\n" ADMIN_TIME_HELP;

struct correct_options {
    const char *by, *reason, *credits, *at, *out, *date;
};

static int parse_time(const char *option, const char *text, int64_t *out)
{
    if (text)
        return admin_parse_time(option, text, out);
    admin_error("--%s: give the local time, TIME", option);
    return EXIT_USAGE;
}

static int run(const char *kind, const struct correction *c, const struct person *p,
               const struct session *s, const struct correct_options *o, const char **why)
{
    int64_t in = 0, out = 0;
    int q = 0;
    if (strcmp(kind, "credits") == 0) {
        if (!o->credits || rules_parse_quarters(o->credits, &q) != 0) {
            admin_error("--credits: expected a number of credits in quarters (1.5)");
            return EXIT_USAGE;
        }
        return correct_credits(c, p, s, q, why);
    }
    if (strcmp(kind, "approve") == 0)
        return correct_approve(c, p, s, why);
    if (strcmp(kind, "void") == 0)
        return correct_void(c, p, s, why);
    if (strcmp(kind, "unbook") == 0)
        return correct_cancel_booking(c, p, s, why);
    if (strcmp(kind, "sign-out") == 0)
        return parse_time("at", o->at, &out) ? EXIT_USAGE : correct_sign_out(c, p, s, out, why);
    if (strcmp(kind, "sign-in") == 0) {
        if (parse_time("at", o->at, &in) || (o->out && parse_time("out", o->out, &out)))
            return EXIT_USAGE;
        return correct_sign_in(c, p, s, in, out, why);
    }
    admin_usage(help);
    return EXIT_USAGE;
}

int cmd_correct(struct admin *a, int argc, char **argv)
{
    struct correct_options o = {0};
    const struct admin_option table[] = {
        {"by", true, &o.by}, {"reason", true, &o.reason}, {"credits", true, &o.credits},
        {"at", true, &o.at}, {"out", true, &o.out},       {"date", true, &o.date},
        {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (first + 3 != argc) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    const char *kind = argv[first], *staff_no = argv[first + 1], *code = argv[first + 2];
    struct person p;
    struct session s;
    if (admin_open_store(a) != 0 || admin_load_keys(a, true, false) != 0 ||
        admin_person(a, staff_no, &p) != 0)
        return 1;
    bool badge = strcmp(kind, "badge") == 0, credit = strcmp(kind, "credit") == 0;
    civil_day date = 0;
    if (credit && (!o.date || civil_parse_date(o.date, &date) != 0)) {
        admin_error("--date: expected the credit's date YYYY-MM-DD");
        return EXIT_USAGE;
    }
    int err = badge || credit ? STORE_OK : store_session_by_code(a->store, code, &s);
    if (err != STORE_OK) {
        admin_error("%s: %s", code,
                    err == STORE_ENOTFOUND ? "no dated session with this programme id"
                                           : cpd_strerror(err));
        return 1;
    }
    struct correction c = {.store = a->store,
                           .rules = &a->cfg.rules,
                           .by = o.by,
                           .reason = o.reason,
                           .clock_state = "unsynced",
                           .now_us = clock_wall_us(),
                           .mono_us = clock_monotonic_us()};
    const char *why = "";
    err = badge    ? correct_revoke_badge(&c, &p, code, &why)
          : credit ? correct_void_credit(&c, &p, code, date, &why)
                   : run(kind, &c, &p, &s, &o, &why);
    if (err == EXIT_USAGE)
        return EXIT_USAGE;
    if (err != STORE_OK) {
        admin_error("%s %s %s: %s", kind, staff_no, code, why[0] ? why : cpd_strerror(err));
        return 1;
    }
    printf("%s %s at %s: corrected by %s (%s)\n", kind, p.name, badge || credit ? code : s.code,
           o.by, o.reason);
    return 0;
}
