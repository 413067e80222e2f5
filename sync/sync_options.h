/* sync_options.h — what [sync] in kiosk.ini sets for the sync (config/ fills it; the sync never
 * reads the config). Plain data. */
#ifndef CPD_SYNC_OPTIONS_H
#define CPD_SYNC_OPTIONS_H

#include "core/base/civil.h"

#define SYNC_PATH_MAX 512

struct sync_options {
    char conninfo[SYNC_PATH_MAX];      /* libpq conninfo without password */
    char password_file[SYNC_PATH_MAX]; /* owned by the kiosk's user, 0600 or 0400 */
    int batch;                         /* events per push batch, 1–10000 (the ledger's limit) */
    int connect_timeout_s;             /* 1–120 */
    int clock_warn_s;                  /* warn on screen past this offset, 1–3600 */
    int keep_synced_days;            /* synced events older than this are purged here, 400–3650 */
    civil_day credit_year_first;     /* [terms] year_start (config copies it): each credit year
                                        begins on its day and month (the purge never reaches into
                                        the ledger's current one, nor runs while the clocks are
                                        further apart than clock_warn_s) */
    char sslmode[16];                /* libpq sslmode; verify-full by default */
    char sslrootcert[SYNC_PATH_MAX]; /* the CA of the ledger's certificate ("": libpq's) */
    char channel_binding[16];        /* disable | prefer | require (default) */
    char office_public_key[80];      /* head office's key, 64 hex digits: the roster pulled is
                                      * checked against its signed record ("": not checked) */
};

#endif
