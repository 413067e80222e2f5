/* error.h — one error space for the whole program. 0 is success everywhere; every failure is
 * a negative code, and each module owns a block of a hundred of them (so a code means one thing
 * wherever it travels, and one module may pass another's up unchanged); cpd_strerror() names
 * any of them. A callback that wants to stop an iteration early, with nothing wrong, returns
 * CPD_STOP — a positive value, never confused with an error. Pure. */
#ifndef CPD_ERROR_H
#define CPD_ERROR_H

#define CPD_STOP 1

/* The blocks: a module's codes are its base minus 1 … 99. */
enum cpd_error_block {
    CPD_ZONE_BASE = -100,
    CPD_CRYPTO_BASE = -200,
    CPD_UID_BASE = -300,
    CPD_PAYLOAD_BASE = -400,
    CPD_EVENT_BASE = -500,
    CPD_STORE_BASE = -600,
    CPD_CSVFILE_BASE = -700,
    CPD_IMPORT_BASE = -800,
    CPD_KEYS_BASE = -900,
    CPD_READER_BASE = -1000,
    CPD_PG_BASE = -1100,
    CPD_SYNC_BASE = -1200,
    CPD_CONFIG_BASE = -1300,
    CPD_GFX_BASE = -1400,
    CPD_CREDITS_BASE = -1500,
    CPD_PAPER_BASE = -1600,
    CPD_FILE_BASE = -1700,
};

enum cpd_error {
    /* core/base/strcopy.c: the base block, -1 … -99 */
    STRCOPY_ETRUNC = -1, /* too long for its field: not copied */
    /* core/base/log.c: the log */
    LOG_OK = 0,
    LOG_EOPEN = -2,    /* the log file cannot be opened (errno says why) */
    LOG_ENOTFILE = -3, /* the log file is a FIFO, device or other non-regular file */
    /* core/base/zone.c: time zones */
    ZONE_OK = 0,
    ZONE_EUNKNOWN = -101,
    ZONE_ERANGE = -102,
    ZONE_ESYNTAX = -103,    /* not "YYYY-MM-DD HH:MM[:SS]" with an optional offset or zone */
    ZONE_EDATE = -104,      /* no such date, or no such time of day (2023-02-30, 24:00) */
    ZONE_EGAP = -105,       /* a local time the clocks go forward over: it never happens */
    ZONE_EAMBIGUOUS = -106, /* a local time the clocks go back over, without saying which */
    ZONE_EOFFSET = -107,    /* an offset or zone abbreviation that time does not have here */
    /* core/domain/crypto.c: libsodium */
    CRYPTO_OK = 0,
    CRYPTO_EINIT = -201,
    CRYPTO_EBADSIG = -202,
    CRYPTO_ENOMEM = -203,
    /* core/domain/uid.c: badge UIDs */
    UID_OK = 0,
    UID_EEMPTY = -301,  /* nothing but blanks */
    UID_ECHAR = -302,   /* a character that is not a digit, hex digit or separator */
    UID_ELENGTH = -303, /* not 4, 7 or 10 bytes */
    UID_ERANGE = -304,  /* a decimal number too large for a 7-byte UID */
    /* core/domain/payload.c: event payloads */
    PAYLOAD_OK = 0,
    PAYLOAD_ETOOBIG = -401,
    PAYLOAD_EINVALID = -402,
    PAYLOAD_ENOTFOUND = -403,
    /* core/domain/event.c: events and their chain */
    EVENT_OK = 0,
    EVENT_ETOOBIG = -501, /* a field does not fit the canonical buffer */
    EVENT_EHASH = -502,   /* hash does not match prev_hash + content */
    EVENT_ESIG = -503,    /* signature does not verify */
    EVENT_ECHAIN = -504,  /* prev_hash is not the previous event's hash */
    EVENT_ESEQ = -505,    /* seq is not the previous seq + 1 */
    /* core/store/: the local SQLite store */
    STORE_OK = 0,
    STORE_ENOMEM = -601,
    STORE_EIO = -602,         /* disk I/O error */
    STORE_ECORRUPT = -603,    /* not a database, or quick_check failed */
    STORE_EFULL = -604,       /* disk full */
    STORE_EPERM = -605,       /* cannot open or write: permissions, read-only file */
    STORE_EBUSY = -606,       /* locked by another process beyond the busy timeout */
    STORE_ENOTFOUND = -607,   /* no such row */
    STORE_ECONSTRAINT = -608, /* a uniqueness or reference rule refused the change */
    STORE_EVERSION = -609,    /* the file's schema is newer than this program */
    STORE_ENOSIGNER = -610,   /* appending an event needs the kiosk's signing key */
    STORE_EINVALID = -611,    /* a value out of range for its column */
    STORE_EINTERNAL = -612,
    STORE_ETOOMANY = -613,  /* more rows than the caller's list holds: it was filled, not cut */
    STORE_EKEY = -614,      /* a key that is not the one this store's records were made with */
    STORE_ETAMPERED = -615, /* the newest events do not verify: changed outside the kiosk */
    STORE_EMISSING = -616,  /* events the receipts say were acknowledged are not in the file */
    STORE_ENOREAD = -617,   /* the file cannot be read (permissions) */
    /* core/services/csvfile.c: CSV files */
    CSVFILE_OK = 0,
    CSVFILE_EOPEN = -701,
    CSVFILE_EPARSE = -702,
    CSVFILE_ENOMEM = -703,
    CSVFILE_EEMPTY = -704,
    CSVFILE_EIO = -705, /* a CSV could not be written */
    /* core/services/import*.c: imports */
    IMPORT_OK = 0,
    IMPORT_EINVALID = -801, /* the file had errors: each was reported; nothing written */
    IMPORT_ENOFILE = -802,  /* cannot open or parse the file as CSV (reported) */
    IMPORT_ENOKEY = -803,   /* the roster needs the site key */
    /* core/services/keys.c: key files */
    KEYS_OK = 0,
    KEYS_ENOENT = -901,  /* no key file: run cpd-admin kiosk init */
    KEYS_EFORMAT = -902, /* not a key of the right length */
    KEYS_EMODE = -903,   /* readable by others */
    KEYS_EIO = -904,
    KEYS_EEXIST = -905,   /* init would overwrite a different key */
    KEYS_ETOOLONG = -906, /* the key file's path does not fit */
    /* firmware-host/: badge readers */
    READER_OK = 0,
    READER_EOPEN = -1001, /* cannot open the device or script */
    READER_EBUSY = -1002, /* another process holds the device */
    READER_ENOMEM = -1003,
    READER_ETHREAD = -1004,
    READER_EINVAL = -1005,    /* bad configuration, or the call does not apply to this backend */
    READER_ENODRIVER = -1006, /* this build has no such backend */
    /* sync/sync_pg.c: libpq */
    PG_OK = 0,
    PG_EUNREACHABLE = -1101, /* no server answered (down, wrong host, firewall, timeout) */
    PG_EAUTH = -1102,        /* the server refused the login */
    PG_EQUERY = -1103,       /* a statement failed (pg_sqlstate says how) */
    PG_EPERM = -1104,        /* permission denied (SQLSTATE 42501) */
    PG_ENOMEM = -1105,
    PG_ETLS = -1106,      /* TLS failed: the server's certificate or host name did not check out */
    PG_ECONNINFO = -1107, /* the connection string itself is not valid */
    /* sync/: the ledger */
    SYNC_OK = 0,
    SYNC_EUNREACHABLE = -1201, /* the ledger did not answer */
    SYNC_EAUTH = -1202,        /* the ledger refused the login */
    SYNC_ESCHEMA = -1203,      /* the ledger's schema is too old or too new for this kiosk */
    SYNC_ETAMPER = -1204,      /* an event in the ledger differs from the kiosk's copy */
    SYNC_EREJECTED = -1205,    /* the ledger refused an event (chain, hash or signature) */
    SYNC_ESTORE = -1206,       /* the local database failed */
    SYNC_ECONFIG = -1207,   /* a setting or a file (password, keyring, checkpoints) is unusable */
    SYNC_EPERM = -1208,     /* permission denied (not a registered kiosk role?) */
    SYNC_EQUERY = -1209,    /* any other ledger error */
    SYNC_EDIVERGED = -1210, /* the ledger holds another event at a seq this kiosk has (clone) */
    SYNC_ETLS = -1211,      /* the ledger's certificate or host name did not check out */
    SYNC_EREFUSED = -1212,  /* the ledger refused a head-office change (a kiosk's key or id) */
    /* config/: kiosk.ini */
    CONFIG_OK = 0,
    CONFIG_ENOENT = -1301,   /* file could not be opened */
    CONFIG_EINVALID = -1302, /* one or more bad lines, each reported */
    CONFIG_ENOMEM = -1303,
    CONFIG_ENOTFILE = -1304, /* a directory, a device, a FIFO: not a regular file */
    CONFIG_ETOOBIG = -1305,  /* larger than any kiosk.ini (CONFIG_FILE_MAX) */
    /* ui/sdl/: the window */
    GFX_OK = 0,
    GFX_ENODISPLAY = -1401,
    GFX_EFONT = -1402,
    GFX_ERENDER = -1403,
    GFX_ENOMEM = -1404,
    /* core/domain/credits.c: the credits engine */
    CREDITS_OK = 0,
    CREDITS_ENOMEM = -1501,
    /* ui/sdl/paper.c: PNG and PDF */
    PAPER_OK = 0,
    PAPER_EWRITE = -1601, /* cairo could not write the file or stream */
    PAPER_EFONT = -1602,  /* no font to print with */
    PAPER_EDRAW = -1603,  /* cairo could not lay out or draw the document */
    /* core/base/safefile.c: files written whole or not at all */
    SAFEFILE_OK = 0,
    SAFEFILE_EOPEN = -1701,  /* cannot create a file there */
    SAFEFILE_EWRITE = -1702, /* writing, flushing or renaming it failed (disk full?) */
};

/* A short, plain description of any code (also "ok" for 0 and one for a code no module owns). */
const char *cpd_strerror(int err);

#endif
