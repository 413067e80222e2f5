/* cpd-admin tap: one real tap, decided, committed and described as the screen would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "apps/cpd-admin/admin.h"
#include "core/services/tap_text.h"
#include "core/base/zone.h"

static const char help[] =
    "usage: cpd-admin tap --badge UID [--at TIME] [--session CODE]\n"
    "Taps a badge as the kiosk would: the real tap decision and a durable commit, then prints\n"
    "what the screen would say. --at sets the local time (default: now, checked as the kiosk\n"
    "checks its clock: a jump since the last tap is refused); --session answers the\n"
    "choose-a-session screen. UID: hex with or without separators, or decimal.\n" ADMIN_TIME_HELP;

static int parse_args(int argc, char **argv, const char **badge, const char **at,
                      const char **session)
{
    const struct admin_option table[] = {
        {"badge", true, badge}, {"at", true, at}, {"session", true, session}, {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc;
    if (!*badge || first != argc) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    return 0;
}

static void print_result(const struct tap_result *r, const char *when)
{
    struct tap_text t;
    tap_text_build(r, &t);
    printf("%s  badge …%s  →  %s  [%s, event %lld]\n", when, r->last4, t.headline,
           tap_text_tone_name(t.tone), (long long)r->seq);
    for (int i = 0; i < t.n_lines; i++)
        printf("       %s\n", t.lines[i]);
}

int cmd_tap(struct admin *a, int argc, char **argv)
{
    const char *badge = NULL, *at = NULL, *session = NULL;
    int rc = parse_args(argc, argv, &badge, &at, &session);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct uid uid;
    int err = uid_parse(badge, UID_TEXT_AUTO, UID_ORDER_MSB_FIRST, &uid);
    if (err != UID_OK) {
        admin_error("--badge \"%s\": %s", badge, cpd_strerror(err));
        return EXIT_USAGE;
    }
    int64_t now = clock_wall_us();
    if (at && admin_parse_time("at", at, &now) != 0)
        return EXIT_USAGE;
    if (admin_open_store(a) != 0 || admin_load_keys(a, true, true) != 0)
        return 1;
    int64_t chosen = 0;
    if (session) {
        struct session s;
        if (store_session_by_code(a->store, session, &s) != STORE_OK) {
            admin_error("--session \"%s\": no such session", session);
            return 1;
        }
        chosen = s.id;
    }
    struct tap_result *r = calloc(1, sizeof(*r));
    if (!r) {
        admin_error("out of memory");
        return 1;
    }
    /* On this machine's own clock the tap is checked as the kiosk checks its taps: this boot's
     * id makes the monotonic clock comparable with the last reading, so a wall clock that moved
     * an hour is refused. --at is not this machine's clock: checked, never kept (boot_id NULL). */
    char boot_id[CLOCK_BOOT_ID_LEN] = "";
    if (!at)
        clock_boot_id(boot_id);
    struct tapflow flow = {.store = a->store,
                           .rules = &a->cfg.rules,
                           .site_key = a->keys.site,
                           .clock_state = at ? "set:--at" : "unsynced",
                           .boot_id = at ? NULL : boot_id};
    err = tapflow_tap(&flow, &uid, now, clock_monotonic_us(), chosen, r);
    if (err != STORE_OK) {
        admin_error("tap not recorded: %s%s%s", cpd_strerror(err),
                    store_message(a->store)[0] ? ": " : "", store_message(a->store));
    } else {
        char when[6];
        zone_format_hhmm(now, when);
        print_result(r, when);
    }
    tapflow_result_free(r);
    free(r);
    return err == STORE_OK ? 0 : 1;
}
