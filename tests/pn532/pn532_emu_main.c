/* pn532-emu: the emulator as a program, for installers' dry runs and for nfc-list.
 *
 *   pn532-emu LINK     prints "pn532_uart:LINK" and reads commands on stdin:
 *     place UID [classic|iso14443-4|ultralight] | place UID ATQA SAK (hex: 0344 20) |
 *     remove | silent on|off | hangup | replug | corrupt-next | slow MS | realistic on|off |
 *     stats | quit */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/pn532/pn532_emu.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pn532-emu LINK_PATH\n");
        return 2;
    }
    struct pn532_emu *e = NULL;
    if (pn532_emu_start(argv[1], &e) != 0) {
        fprintf(stderr, "pn532-emu: cannot create a pty at %s\n", argv[1]);
        return 1;
    }
    printf("pn532_uart:%s\n", argv[1]);
    fflush(stdout);
    char line[256];
    while (fgets(line, sizeof(line), stdin)) {
        char cmd[32] = "", arg[128] = "", kind[32] = "classic", sak[8] = "";
        if (sscanf(line, "%31s %127s %31s %7s", cmd, arg, kind, sak) < 1)
            continue;
        unsigned atqa = 0, sak_value = 0;
        if (strcmp(cmd, "place") == 0 && sak[0] && sscanf(kind, "%4x", &atqa) == 1 &&
            sscanf(sak, "%2x", &sak_value) == 1) { /* place UID ATQA SAK: any kind, e.g. 0344 20 */
            struct pn532_card c =
                pn532_card_kind(arg, (uint8_t)(atqa >> 8), (uint8_t)atqa, (uint8_t)sak_value);
            pn532_emu_place(e, &c);
        } else if (strcmp(cmd, "place") == 0) {
            struct pn532_card c = strcmp(kind, "iso14443-4") == 0   ? pn532_card_iso14443_4(arg)
                                  : strcmp(kind, "ultralight") == 0 ? pn532_card_ultralight(arg)
                                                                    : pn532_card_classic(arg);
            pn532_emu_place(e, &c);
        } else if (strcmp(cmd, "remove") == 0) {
            pn532_emu_remove(e);
        } else if (strcmp(cmd, "silent") == 0) {
            pn532_emu_silent(e, strcmp(arg, "on") == 0);
        } else if (strcmp(cmd, "hangup") == 0) {
            pn532_emu_hangup(e);
        } else if (strcmp(cmd, "replug") == 0) {
            pn532_emu_replug(e);
        } else if (strcmp(cmd, "corrupt-next") == 0) {
            pn532_emu_corrupt_next(e);
        } else if (strcmp(cmd, "realistic") == 0) {
            pn532_emu_realistic(e, strcmp(arg, "on") == 0);
        } else if (strcmp(cmd, "slow") == 0) {
            pn532_emu_slow(e, atoi(arg));
        } else if (strcmp(cmd, "stats") == 0) {
            struct pn532_stats s;
            pn532_emu_stats(e, &s);
            printf("commands %ld selects %ld presence %ld unknown %ld aborts %ld\n", s.commands,
                   s.selects, s.presence_checks, s.unknown, s.aborts);
            fflush(stdout);
        } else if (strcmp(cmd, "quit") == 0) {
            break;
        } else {
            fprintf(stderr, "pn532-emu: unknown control \"%s\"\n", cmd);
        }
    }
    pn532_emu_stop(e);
    return 0;
}
