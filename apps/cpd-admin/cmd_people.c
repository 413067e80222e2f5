/* cpd-admin people, badges: who the kiosk knows. */
#include <stdio.h>
#include <time.h>

#include "core/base/error.h"
#include "apps/cpd-admin/admin.h"
#include "core/base/zone.h"

static int print_person(void *ctx, const struct person *p, int badges)
{
    (void)ctx;
    printf("%-10s %-28s %-24s %-8s %-8s %d\n", p->staff_no, p->name, p->academy,
           p->trainer ? "trainer" : "staff", p->active ? "active" : "inactive", badges);
    return 0;
}

static int simple(struct admin *a, int argc, char **argv, const char *help)
{
    if (admin_wants_help(argc, argv)) {
        fputs(help, stdout);
        return -1;
    }
    if (argc != 1) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    return admin_open_store(a);
}

int cmd_people(struct admin *a, int argc, char **argv)
{
    int rc = simple(a, argc, argv, "usage: cpd-admin people\nLists everyone in the roster.\n");
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    printf("%-10s %-28s %-24s %-8s %-8s %s\n", "STAFF NO", "NAME", "ACADEMY", "ROLE", "STATUS",
           "BADGES");
    int err = store_people_each(a->store, print_person, NULL);
    if (err != STORE_OK)
        admin_error("%s", cpd_strerror(err));
    return err == STORE_OK ? 0 : 1;
}

static int print_badge(void *ctx, const struct person *p, const char *last4, int64_t added_us)
{
    (void)ctx;
    char when[32];
    zone_format_day_time(added_us, when);
    printf("…%-6s %-10s %-28s %s\n", last4, p->staff_no, p->name, when);
    return 0;
}

int cmd_badges(struct admin *a, int argc, char **argv)
{
    int rc = simple(a, argc, argv,
                    "usage: cpd-admin badges\nLists enrolled badges by their last 4 hex digits "
                    "(UIDs are stored only as keyed hashes).\n");
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    printf("%-7s %-10s %-28s %s\n", "BADGE", "STAFF NO", "NAME", "ENROLLED");
    int err = store_badges_each(a->store, print_badge, NULL);
    if (err != STORE_OK)
        admin_error("%s", cpd_strerror(err));
    return err == STORE_OK ? 0 : 1;
}
