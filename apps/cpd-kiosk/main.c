/* cpd-kiosk: the full-screen badge sign-in terminal. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/base/utf8.h"
#include "apps/cpd-kiosk/app.h"
#include "firmware-host/reader.h"
#include "core/domain/crypto.h"
#include "core/base/zone.h"

static const char usage[] =
    "usage: cpd-kiosk [--config FILE] [--windowed] [--size WxH] [--demo [--data-dir DIR]]\n"
    "\n"
    "  --config FILE   kiosk.ini (default: $CPD_KIOSK_CONFIG, else the installed\n"
    "                  /etc/cpd-kiosk/kiosk.ini when it exists, else built-in defaults)\n"
    "  --windowed      a window instead of full screen (default size 1280x800)\n"
    "  --size WxH      the window's size, e.g. 800x480\n"
    "  --demo          a temporary database with the 2023-24 programme and a demo roster,\n"
    "                  demo badges on keys 1-9 and a demo clock (see the key legend)\n"
    "  --data-dir DIR  where the demo's data files are (default: $CPD_DATA_DIR, else data/\n"
    "                  next to the program, else the installed share/cpd-kiosk/data)\n"
    "\n"
    "Needs a display (or: xvfb-run -a cpd-kiosk --demo). SIGUSR1 writes a screenshot PNG next\n"
    "to the database (or to $CPD_KIOSK_SCREENSHOT). Exit status: 0 ok, 1 failure, 2 usage.\n";

struct config_problems {
    char first[600];
    int n;
};

static void print_config_problem(void *ctx, const char *file, int line, const char *message)
{
    struct config_problems *p = ctx;
    (void)file;
    (void)line;
    log_line(LOG_ERROR, "%s", message);
    if (p && p->n++ == 0)
        utf8_copy(p->first, sizeof(p->first), message);
}

static int parse(int argc, char **argv, struct app_options *o, const char **config)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"windowed", no_argument, NULL, 'w'},
                                            {"size", required_argument, NULL, 's'},
                                            {"demo", no_argument, NULL, 'd'},
                                            {"data-dir", required_argument, NULL, 'D'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            *config = optarg;
            break;
        case 'w':
            o->fullscreen = false;
            break;
        case 's':
            if (sscanf(optarg, "%dx%d", &o->width, &o->height) != 2 || o->width < 320 ||
                o->height < 240 || o->width > 7680 || o->height > 4320) {
                log_line(LOG_ERROR, "--size: expected WxH like 1280x800, got \"%s\"", optarg);
                return 2;
            }
            o->fullscreen = false;
            break;
        case 'd':
            o->demo = true;
            break;
        case 'D':
            o->data_dir = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    reader_prepare_process(); /* before any thread */
    log_init("cpd-kiosk");
    struct app_options *o = calloc(1, sizeof(*o));
    struct kiosk_keys *keys = calloc(1, sizeof(*keys));
    if (!o || !keys || crypto_init() != CRYPTO_OK) {
        log_line(LOG_ERROR, "cannot initialise (out of memory or no entropy)");
        return 1;
    }
    const char *config = getenv("CPD_KIOSK_CONFIG");
    o->started_mono_us = clock_monotonic_us();
    config_default(&o->cfg);
    o->width = 1280;
    o->height = 800;
    o->fullscreen = true;
    int status = parse(argc, argv, o, &config);
    if (!config || !config[0])
        config = config_installed_path();
    bool windowed_flag = !o->fullscreen;
    if (status != 0)
        goto out;
    status = 1;
    struct config_problems problems = {.n = 0};
    if (config && config[0] &&
        config_load(&o->cfg, config, print_config_problem, &problems) != CONFIG_OK) {
        /* Not a blank screen and a restart loop: the kiosk stays up and says what is wrong. */
        if (problems.n == 0)
            utf8_copy(problems.first, sizeof(problems.first), config);
        utf8_printf(o->config_error, sizeof(o->config_error), "%s%s", problems.first,
                    problems.n > 1 ? " (more in the log)" : "");
        o->config_path = config;
    }
    o->fullscreen = windowed_flag ? false : o->cfg.display.fullscreen;
    int log_err = o->cfg.kiosk.log_file[0] ? log_to_file(o->cfg.kiosk.log_file) : LOG_OK;
    if (log_err != LOG_OK) { /* the kiosk still works: its lines go to standard error */
        int why_errno = errno;
        log_line(LOG_ERROR, "%s %s ([kiosk] log_file)%s%s: logging to standard error instead",
                 cpd_strerror(log_err), o->cfg.kiosk.log_file, log_err == LOG_EOPEN ? ": " : "",
                 log_err == LOG_EOPEN ? strerror(why_errno) : "");
    }
    if (zone_set(o->cfg.kiosk.timezone) != ZONE_OK) {
        log_line(LOG_ERROR, "unknown time zone \"%s\"", o->cfg.kiosk.timezone);
        goto out;
    }
    o->keys = keys;
    char why[512];
    if (o->demo && !o->config_error[0] &&
        demo_prepare(&o->demo_state, &o->cfg, o->data_dir, why, sizeof(why)) != 0) {
        log_line(LOG_ERROR, "demo: %s", why);
        goto out;
    }
    status = app_run(o);
out:
    store_close(o->store);
    if (o->demo)
        demo_remove(&o->demo_state);
    keys_wipe(keys);
    free(keys);
    free(o);
    return status < 0 ? 0 : status;
}
