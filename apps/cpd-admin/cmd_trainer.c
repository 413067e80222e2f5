/* cpd-admin trainer pin STAFF_NO: sets a trainer's PIN (stored as an argon2id hash). */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/error.h"
#include "apps/cpd-admin/admin.h"
#include "core/domain/pin.h"
#include "core/base/zone.h"

static const char help[] =
    "usage: cpd-admin trainer pin STAFF_NO\n"
    "Sets the trainer's PIN for trainer mode: 4 to 6 digits, read from standard input (asked\n"
    "twice, not echoed, on a terminal). Stored only as an argon2id hash; setting it clears a\n"
    "lockout.\n";

/* One line from stdin without its newline; echo off on a terminal. */
static int read_pin(const char *prompt, char *out, size_t cap)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios saved, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(STDIN_FILENO, &saved);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *got = fgets(out, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fputc('\n', stderr);
    }
    if (!got)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int cmd_trainer(struct admin *a, int argc, char **argv)
{
    if (admin_wants_help(argc, argv)) {
        fputs(help, stdout);
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "pin") != 0) {
        admin_usage(help);
        return EXIT_USAGE;
    }
    struct person p;
    if (admin_open_store(a) != 0 || admin_person(a, argv[2], &p) != 0)
        return 1;
    if (!p.trainer || !p.active) {
        admin_error("%s (%s) is not an active trainer", p.staff_no, p.name);
        return 1;
    }
    char pin[32] = "", again[32] = "";
    int rc = 1;
    if (read_pin("New PIN: ", pin, sizeof(pin)) != 0) {
        admin_error("no PIN given on standard input");
        goto out;
    }
    if (!pin_format_ok(pin)) {
        admin_error("a PIN is %d to %d digits", PIN_MIN_DIGITS, PIN_MAX_DIGITS);
        goto out;
    }
    if (isatty(STDIN_FILENO) &&
        (read_pin("Again: ", again, sizeof(again)) != 0 || strcmp(pin, again) != 0)) {
        admin_error("the two PINs differ; nothing changed");
        goto out;
    }
    char hash[CRYPTO_PIN_HASH_MAX];
    if (crypto_pin_hash(hash, pin) != CRYPTO_OK) {
        admin_error("cannot hash the PIN (out of memory)");
        goto out;
    }
    int err = store_pin_set(a->store, p.id, hash, clock_wall_us());
    if (err != STORE_OK) {
        admin_error("%s", cpd_strerror(err));
        goto out;
    }
    printf("PIN set for %s (%s)\n", p.name, p.staff_no);
    rc = 0;
out:
    crypto_wipe(pin, sizeof(pin));
    crypto_wipe(again, sizeof(again));
    return rc;
}
