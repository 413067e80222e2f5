/* config.h — kiosk.ini loaded into one validated struct.
 *
 * config_default() fills every key with its documented default (design.md §9, brochure rules,
 * 2023-24 term dates); config_load() overlays a file on top of that. Unknown sections and keys,
 * and values that fail validation, are errors: each is reported through the report callback as
 * one line "FILE:LINE: [section] key: expected …, got "…"" and config_load() returns
 * CONFIG_EINVALID after reading the whole file (so every problem is counted; the first
 * CONFIG_REPORT_MAX are listed, then one line says how many more). A path that is not a
 * regular file (CONFIG_ENOTFILE; a symbolic link to one is fine) or is larger than
 * CONFIG_FILE_MAX (CONFIG_ETOOBIG) is refused with one line, unread. The struct is plain data,
 * owned by the caller; config_load() allocates only while it runs. Not thread-safe. */
#ifndef CPD_CONFIG_H
#define CPD_CONFIG_H

#include <stdbool.h>

#include "core/base/error.h"

#include "core/domain/rules.h"
#include "core/domain/uid.h"
#include "firmware-host/reader.h"
#include "sync/sync_options.h"

#define CONFIG_PATH_MAX 512
#define CONFIG_TEXT_MAX 128
/* kiosk.ini is a regular file of at most this many bytes (the example has about 6 KiB). */
#define CONFIG_FILE_MAX (64 * 1024)
/* Problems reported one by one; any more are counted in one last line. */
#define CONFIG_REPORT_MAX 30

struct config_kiosk {
    char id[CONFIG_TEXT_MAX];       /* kiosk id in the ledger, [A-Za-z0-9_-], e.g. "central-1" */
    char site[CONFIG_TEXT_MAX];     /* shown on screen, default location of sessions */
    char trust[CONFIG_TEXT_MAX];    /* the trust's name, at the top of every printed report */
    char timezone[CONFIG_TEXT_MAX]; /* IANA name, e.g. "Europe/London" */
    char database[CONFIG_PATH_MAX]; /* SQLite file */
    char key_file[CONFIG_PATH_MAX]; /* Ed25519 signing key; "" = next to the database */
    char site_key_file[CONFIG_PATH_MAX]; /* badge hashing key; "" = next to the database */
    char log_file[CONFIG_PATH_MAX];      /* "" = stderr */
    char fire_wardens[CONFIG_TEXT_MAX];  /* staff numbers whose tap offers the roll call */
    char printer[CONFIG_TEXT_MAX];       /* CUPS queue for the roll call's Print; "" = none */
};

struct config_display {
    bool fullscreen;
    char font[CONFIG_TEXT_MAX]; /* fontconfig pattern, "DejaVu Sans" */
    bool sound;
    int result_seconds;     /* a result screen stays this long, 2–30 */
    bool evaluation;        /* the sign-out screen asks "How useful was tonight?" */
    int evaluation_seconds; /* … for this long, 3–30 */
};

struct config {
    char source[CONFIG_PATH_MAX]; /* file loaded, "" for the embedded defaults */
    struct config_kiosk kiosk;
    struct reader_options reader;
    struct rules rules; /* [rules] and [terms] */
    struct config_display display;
    struct sync_options sync;
};

/* One problem found while loading; file and line name where it is. */
typedef void (*config_report_fn)(void *ctx, const char *file, int line, const char *message);

void config_default(struct config *cfg);
int config_load(struct config *cfg, const char *path, config_report_fn report, void *ctx);
/* The installed kiosk.ini (/etc/cpd-kiosk/kiosk.ini for a package built with prefix /usr) when
 * it exists, else NULL: what the programs read when neither --config nor $CPD_KIOSK_CONFIG
 * says otherwise, so a technician's `cpd-admin` reads the kiosk's own configuration. */
const char *config_installed_path(void);

#endif
