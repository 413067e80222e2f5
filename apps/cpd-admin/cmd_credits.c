/* cpd-admin credits STAFF_NO: a person's year, as the office supervisor needs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "apps/cpd-admin/admin.h"
#include "core/domain/payload.h"
#include "core/services/tap_text.h"
#include "core/services/tapflow.h"
#include "core/base/zone.h"

static const char help[] =
    "usage: cpd-admin credits STAFF_NO [--at TIME]\n"
    "A person's credits this year: total against the target, the per-term split (a term that\n"
    "ended with 0 credits is flagged), the pre-recorded cap, CPI Initial and MAPA progress,\n"
    "every item and why it counts or not, and the mandatory training due. --at: as of then\n"
    "(default: now).\n" ADMIN_TIME_HELP;

static void print_packages(const struct credit_summary *s)
{
    for (size_t i = 0; i < s->n_packages; i++) {
        const struct package_progress *p = &s->packages[i];
        if (p->sessions_done + p->sessions_review == 0 && !p->awarded)
            continue;
        char line[256], credits[16];
        tap_text_package(p, 0, line, sizeof(line));
        rules_format_quarters(p->credits_q, credits);
        printf("%-12s %s — %s credits %s\n", p->group, line, credits,
               p->awarded ? "awarded" : "when complete");
    }
}

static void print_items(const struct credit_summary *s)
{
    printf("\nItems:\n");
    for (size_t i = 0; i < s->n_items; i++) {
        const struct credit_item *it = &s->items[i];
        char date[CIVIL_DATE_LEN], credits[16];
        civil_format_date(it->date, date);
        rules_format_quarters(it->credits_q, credits);
        printf("  %s  %-6s %-7s %-11s %.60s%s%s\n", date, credits,
               it->term >= 0 ? rules_term_name(it->term) : "-",
               credits_item_status_name(it->status), it->title, it->note[0] ? " — " : "", it->note);
    }
}

static void print_due(const struct credit_summary *s)
{
    if (s->n_due == 0)
        return;
    printf("\nMandatory training:\n");
    for (size_t i = 0; i < s->n_due; i++) {
        const struct due_item *d = &s->due[i];
        char last[CIVIL_DATE_LEN] = "-", due[CIVIL_DATE_LEN] = "-";
        if (d->status != DUE_NEVER) {
            civil_format_date(d->last_done, last);
            civil_format_date(d->due, due);
        }
        printf("  %-44.44s %-20s done %-10s due %-10s %s\n", d->title,
               domain_frequency_code(d->frequency), last, due, credits_due_status_name(d->status));
    }
}

/* Who put the record right, and why: the statement shows every correction and entry by hand. */
static int print_correction(void *ctx, const struct event *e)
{
    int *n = ctx;
    if (!event_by_hand(e->type))
        return 0;
    char by[DOMAIN_NAME_MAX], reason[256], when[32];
    event_who_and_why(e, by, sizeof(by), reason, sizeof(reason));
    zone_format_day_time(e->wall_us, when);
    if ((*n)++ == 0)
        printf("\nCorrections and entries by hand:\n");
    printf("  %-24s %-16s %-26s by %s: %s\n", e->session, event_type_code(e->type), when,
           by[0] ? by : "?", reason[0] ? reason : "(no reason given)");
    return 0;
}

/* Which year the figures are: the one configured ([terms]), said outright when the date asked
 * is not in it. */
static void print_year(const struct terms *terms, int64_t now)
{
    char first[CIVIL_DATE_LEN], last[CIVIL_DATE_LEN];
    civil_day day;
    int minute, y1, y2, m, d;
    zone_utc_to_local(now, &day, &minute, NULL);
    civil_format_date(terms->year.first, first);
    civil_format_date(terms->year.last, last);
    civil_to_ymd(terms->year.first, &y1, &m, &d);
    civil_to_ymd(terms->year.last, &y2, &m, &d);
    printf("Credit year %d-%02d (%s to %s)\n", y1, y2 % 100, first, last);
    if (day < terms->year.first || day > terms->year.last)
        printf("NOTE: the date asked is outside this credit year: the figures are %d-%02d's, "
               "not the year of the date (set [terms] in kiosk.ini for another year)\n",
               y1, y2 % 100);
}

static void print_summary(const struct person *p, const struct credit_summary *s, int64_t now,
                          const struct rules *rules)
{
    int cap_q = rules->prerecorded_cap_quarters;
    char line[256], counted[16], claimed[16], cap[16];
    char date[CIVIL_DATE_LEN], hhmm[8];
    civil_day day;
    int minute;
    zone_utc_to_local(now, &day, &minute, NULL);
    civil_format_date(day, date);
    zone_format_hhmm(now, hhmm);
    printf("%s (%s), %s — as of %s %s\n", p->name, p->staff_no, p->academy, date, hhmm);
    print_year(&rules->terms, now);
    tap_text_credits(s, line, sizeof(line));
    printf("%s\n", line);
    for (int t = 0; t < TERM_COUNT; t++) {
        if (s->term_breach[t])
            printf("BREACH: the %s term ended with 0 credits (credits must be spread over the "
                   "three terms)\n",
                   rules_term_name(t));
    }
    rules_format_quarters(s->prerecorded_counted_q, counted);
    rules_format_quarters(s->prerecorded_claimed_q, claimed);
    rules_format_quarters(cap_q, cap);
    printf("Pre-recorded: %s claimed, %s counted (at most %s a year)%s\n", claimed, counted, cap,
           s->prerecorded_claimed_q > s->prerecorded_counted_q ? ": cap reached" : "");
    print_packages(s);
    if (s->review_count)
        printf("%d item(s) need a trainer's review\n", s->review_count);
    print_items(s);
    print_due(s);
}

static int print_corrections(struct admin *a, const struct person *p)
{
    int n = 0;
    return store_events_of(a->store, p->staff_no, print_correction, &n);
}

int cmd_credits(struct admin *a, int argc, char **argv)
{
    const char *at = NULL;
    int first = 0;
    int rc = admin_one_option(argc, argv, "at", true, help, &at, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (first != argc - 1) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    int64_t now = clock_wall_us();
    if (at && admin_parse_time("at", at, &now) != 0)
        return EXIT_USAGE;
    struct person p;
    if (admin_open_store(a) != 0 || admin_person(a, argv[first], &p) != 0)
        return 1;
    struct credit_summary *s = calloc(1, sizeof(*s));
    int err = s ? tapflow_summary(a->store, &a->cfg.rules, p.id, now, s) : STORE_ENOMEM;
    if (err == STORE_OK)
        print_summary(&p, s, now, &a->cfg.rules);
    if (err == STORE_OK)
        err = print_corrections(a, &p);
    if (err != STORE_OK)
        admin_error("%s", cpd_strerror(err));
    if (s)
        credits_summary_free(s);
    free(s);
    return err == STORE_OK ? 0 : 1;
}
