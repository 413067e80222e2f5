/* cpd-admin reader-test: the configured reader's events, live, for an installer fitting one. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "firmware-host/reader.h"
#include "apps/cpd-admin/admin.h"

static const char help[] =
    "usage: cpd-admin reader-test [--seconds N (1-86400)] [--full-uid]\n"
    "Opens the configured reader ([reader] in kiosk.ini) and prints its events as they come —\n"
    "card present (UID masked to its last 4 hex digits unless --full-uid), card removed,\n"
    "reader up, reader down with the reason — until Ctrl-C (or N seconds). Stop the kiosk\n"
    "first: the reader can only be open in one process. Exit status 0 once the reader came up\n"
    "at least once, 1 when it never did (the last reason is printed).\n";

struct printer {
    bool full_uid;
    atomic_bool came_up; /* set from the reader's thread */
};

static void stamp(char out[32])
{
    int64_t now = clock_wall_us();
    time_t secs = (time_t)(now / 1000000);
    struct tm tm;
    localtime_r(&secs, &tm);
    snprintf(out, 32, "%02d:%02d:%02d.%03d", tm.tm_hour % 24, tm.tm_min % 60, tm.tm_sec % 61,
             (int)(now / 1000 % 1000));
}

static void print_event(void *ctx, const struct reader_event *e)
{
    struct printer *p = ctx;
    char when[32], hex[UID_HEX_LEN], last4[5];
    stamp(when);
    switch (e->kind) {
    case READER_CARD:
        uid_to_hex(&e->uid, hex);
        uid_last4(&e->uid, last4);
        printf("%s  card     %s%s (%d bytes)%s\n", when, p->full_uid ? "" : "…",
               p->full_uid ? hex : last4, e->uid.len,
               e->random ? "  RANDOM UID: a phone or bank card, not a badge" : "");
        break;
    case READER_REMOVED:
        printf("%s  removed\n", when);
        break;
    case READER_UP:
        atomic_store(&((struct printer *)ctx)->came_up, true);
        printf("%s  reader up\n", when);
        break;
    case READER_DOWN:
        printf("%s  reader DOWN: %s\n", when, e->reason);
        break;
    case READER_REJECTED:
        printf("%s  ignored: %s\n", when, e->reason);
        break;
    }
    fflush(stdout);
}

int cmd_reader_test(struct admin *a, int argc, char **argv)
{
    struct printer p = {.full_uid = false};
    atomic_init(&p.came_up, false);
    const char *seconds_text = NULL, *full_uid = NULL;
    const struct admin_option table[] = {
        {"seconds", true, &seconds_text}, {"full-uid", false, &full_uid}, {NULL, false, NULL}};
    int first = 0;
    int rc = admin_options(argc, argv, table, help, &first);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    long seconds = 0;
    char *end = NULL;
    if (first != argc || (seconds_text && ((seconds = strtol(seconds_text, &end, 10)) <= 0 ||
                                           *end || seconds > 86400))) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    p.full_uid = full_uid != NULL;
    const struct reader_options *cfg = &a->cfg.reader;
    if (cfg->driver == READER_DRIVER_KEYBOARD) {
        admin_error("a keyboard reader types into the kiosk's window: test it in a text editor");
        return 1;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before the reader's thread starts */
    struct reader *r = NULL;
    char why[512] = "";
    /* The banner first: every event comes after it. */
    printf("%s reader %s — tap a badge; Ctrl-C to stop\n", reader_driver_name(cfg->driver),
           cfg->driver == READER_DRIVER_SIM ? cfg->script : cfg->connstring);
    fflush(stdout);
    int err =
        reader_open(cfg, a->cfg.rules.accept_random_uids, print_event, &p, &r, why, sizeof(why));
    if (err == READER_OK)
        err = reader_start(r);
    if (err != READER_OK) {
        admin_error("%s reader: %s%s%s", reader_driver_name(cfg->driver), cpd_strerror(err),
                    why[0] ? ": " : "", why);
        reader_close(r);
        return 1;
    }
    if (seconds > 0)
        alarm((unsigned)seconds);
    int sig = 0;
    sigwait(&stop, &sig);
    reader_close(r);
    if (!atomic_load(&p.came_up)) {
        admin_error("the reader never came up (its reasons are above)");
        return 1;
    }
    return 0;
}
