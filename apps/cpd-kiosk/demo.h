/* demo.h — the embedded demo: a temporary database seeded with the 2023-24 programme and the
 * demo roster, trainers' PIN 1234, the demo badges on keys, and a clock that starts just before
 * the first CPI Initial session (Wed 13 Sep 2023, 15:00). */
#ifndef CPD_DEMO_H
#define CPD_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/store/store.h"
#include "core/domain/uid.h"

#define DEMO_BADGES 9
#define DEMO_PIN    "1234"

struct demo {
    char dir[256];
    char data_dir[512];             /* where the shipped data files were found */
    struct uid badges[DEMO_BADGES]; /* keys 1–9 */
    char names[DEMO_BADGES][64];
    struct uid trainer; /* key 0 */
    struct uid unknown; /* key U */
    struct uid phone;   /* key R: a random UID */
    int64_t start_us;   /* where the demo clock starts */
};

/* Finds the shipped data (data_dir: --data-dir, or NULL), makes the temporary directory,
 * points cfg at a database in it, makes the keys. */
int demo_prepare(struct demo *demo, struct config *cfg, const char *data_dir, char *why,
                 size_t cap);
/* Seeds the opened store: programme, roster, bookings, credits, trainer PINs. */
int demo_seed(struct demo *demo, struct store *store, const struct config *cfg,
              const uint8_t *site_key, char *why, size_t cap);
/* The next recordable session's start after now, minus 20 minutes (the "J" key). */
int64_t demo_next_session(struct store *store, int64_t now_us);
void demo_remove(struct demo *demo);
/* Where the shipped data files are, found at run time — the first of: the given directory
 * (--data-dir), $CPD_DATA_DIR, data/ next to the program (a build tree), the installed
 * share/cpd-kiosk/data — that holds the programme. why lists the places tried. */
int demo_find_data(const char *given, char *out, size_t cap, char *why, size_t why_cap);

#endif
