/* cpd-admin report KIND: reports as text (a terminal) or CSV (Excel) — core/services/report.h. */
#include <stdio.h>
#include <string.h>

#include "apps/cpd-admin/admin.h"
#include "core/base/error.h"
#include "core/services/report.h"

static const char help[] =
    "usage: cpd-admin report register --session ID [--format text|csv] [--output FILE]\n"
    "Reports from the kiosk's records, every figure from the credits engine:\n"
    "  register --session ID   everyone who attended the session (in, out, late / left early /\n"
    "                          no sign-out with minutes, entries by hand and corrections with\n"
    "                          who and why, credits), who was booked but absent, who came\n"
    "                          without a booking, and the counts\n"
    "--format text (the default) or csv (UTF-8 with a BOM, one header row: opens in Excel);\n"
    "--output FILE writes there instead of standard output.\n";

int cmd_report(struct admin *a, int argc, char **argv)
{
    const char *session = NULL, *format = NULL, *output = NULL;
    const struct admin_option table[] = {{"session", true, &session},
                                         {"format", true, &format},
                                         {"output", true, &output},
                                         {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    bool csv = format && strcmp(format, "csv") == 0;
    if (first + 1 != argc || strcmp(argv[first], "register") != 0 || !session ||
        (format && !csv && strcmp(format, "text") != 0)) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    if (admin_open_store(a) != 0)
        return 1;
    struct report r;
    int err = report_register(a->store, &a->cfg.rules, a->cfg.kiosk.site, session, &r);
    if (err == STORE_ENOTFOUND) {
        admin_error("--session %s: no dated session with this programme id", session);
        return 1;
    }
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        return 1;
    }
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
        admin_error("--output %s: cannot write there", output);
        report_free(&r);
        return 1;
    }
    err = csv ? report_write_csv(&r, out) : report_write_text(&r, out);
    if (output && fclose(out) != 0 && err == STORE_OK)
        err = CSVFILE_EIO;
    report_free(&r);
    if (err != STORE_OK) {
        admin_error("%s: %s", output ? output : "standard output", cpd_strerror(err));
        return 1;
    }
    return 0;
}
