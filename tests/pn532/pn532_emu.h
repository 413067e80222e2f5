/* pn532_emu.h — a PN532 on a pseudo-terminal that unmodified libnfc talks to through its
 * pn532_uart driver (design.md §6): frames, ACKs, the wake-up preamble, the commands libnfc sends
 * to open, initialise, select and check presence of MIFARE Classic, ISO14443-4 and Ultralight
 * cards. Anything else gets the error frame and a loud line on stderr.
 *
 * The emulator runs its own thread. Controls are thread-safe: place/remove a card, go silent
 * (an unplugged reader that still has its device node), hang up (the device node is gone),
 * replug (a new pty, with the link repointed), corrupt the next reply's checksum, reply slowly or
 * not at all.
 * The device is reached through a symlink (link_path) so that a replug keeps the same path. */
#ifndef CPD_PN532_EMU_H
#define CPD_PN532_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pn532_card {
    uint8_t uid[10];
    size_t uid_len; /* 4, 7 or 10 */
    uint8_t atqa[2];
    uint8_t sak; /* 0x08 MIFARE Classic 1K, 0x20 ISO14443-4, 0x00 Ultralight (ATQA 00 44) */
};

struct pn532_emu;

/* Starts an emulator; link_path becomes a symlink to its pty (libnfc opens
 * "pn532_uart:<link_path>"). */
int pn532_emu_start(const char *link_path, struct pn532_emu **out);
void pn532_emu_stop(struct pn532_emu *emu);

void pn532_emu_place(struct pn532_emu *emu, const struct pn532_card *card);
void pn532_emu_remove(struct pn532_emu *emu);
void pn532_emu_silent(struct pn532_emu *emu, bool silent);
void pn532_emu_hangup(struct pn532_emu *emu);
int pn532_emu_replug(struct pn532_emu *emu);
void pn532_emu_corrupt_next(struct pn532_emu *emu);
void pn532_emu_slow(struct pn532_emu *emu, int delay_ms);
/* Replies take a real PN532's time at 115200 baud: the ACK at once, the answer after the
 * chip's work (a select round, one more per cascade level; an exchange with the card) and the
 * bytes' time on the line. */
void pn532_emu_realistic(struct pn532_emu *emu, bool on);
/* Acknowledges every command and never answers it, as a wedged chip does. */
void pn532_emu_hold(struct pn532_emu *emu, bool hold);

/* Counters, for tests: commands answered, selects (InListPassiveTarget), unknown commands,
 * host aborts (a bare ACK from the host), commands held unanswered. */
struct pn532_stats {
    long commands;
    long selects;
    long presence_checks;
    long unknown;
    long aborts;
    long held;
};
void pn532_emu_stats(struct pn532_emu *emu, struct pn532_stats *out);

/* Any card: its UID (4, 7 or 10 bytes), ATQA and SAK as the chip reports them. */
struct pn532_card pn532_card_kind(const char *uid_hex, uint8_t atqa0, uint8_t atqa1, uint8_t sak);
/* Card presets. */
struct pn532_card pn532_card_classic(const char *uid_hex);    /* SAK 08, ATQA 00 04 */
struct pn532_card pn532_card_iso14443_4(const char *uid_hex); /* SAK 20, ATQA 03 44 */
struct pn532_card pn532_card_ultralight(const char *uid_hex); /* SAK 00, ATQA 00 44 */

#endif
