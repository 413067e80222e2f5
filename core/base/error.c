#include "core/base/error.h"

#include <stddef.h>

/* What a code of a block no case names says (a module's catch-all). */
static const struct {
    int base;
    const char *text;
} block_default[] = {
    {CPD_UID_BASE, "unknown UID error"},
    {CPD_EVENT_BASE, "unknown event error"},
    {CPD_STORE_BASE, "internal database error"},
    {CPD_KEYS_BASE, "cannot read or write the key file"},
    {CPD_READER_BASE, "unknown reader error"},
    {CPD_SYNC_BASE, "the ledger reported an error"},
    {CPD_CONFIG_BASE, "unknown configuration error"},
    {CPD_GFX_BASE, "out of memory"},
};

const char *cpd_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
    case UID_EEMPTY:
        return "no UID given";
    case UID_ECHAR:
        return "not a hex or decimal UID";
    case UID_ELENGTH:
        return "a UID has 4, 7 or 10 bytes";
    case UID_ERANGE:
        return "decimal UID too large for 7 bytes";
    case EVENT_ETOOBIG:
        return "event too large";
    case EVENT_EHASH:
        return "hash does not match the event's content";
    case EVENT_ESIG:
        return "signature does not verify";
    case EVENT_ECHAIN:
        return "chain broken: prev_hash is not the previous event's hash";
    case EVENT_ESEQ:
        return "sequence gap";
    case STORE_ENOMEM:
        return "out of memory";
    case STORE_EIO:
        return "disk I/O error";
    case STORE_ECORRUPT:
        return "database is damaged (integrity check failed)";
    case STORE_EFULL:
        return "disk is full";
    case STORE_EPERM:
        return "cannot write the database (permissions or read-only)";
    case STORE_EBUSY:
        return "database is locked by another process";
    case STORE_ENOTFOUND:
        return "not found";
    case STORE_ECONSTRAINT:
        return "refused: it would break a uniqueness or reference rule";
    case STORE_EVERSION:
        return "database was written by a newer version of this program";
    case STORE_ENOSIGNER:
        return "no kiosk signing key loaded (run cpd-admin kiosk init)";
    case STORE_EINVALID:
        return "invalid value";
    case STORE_ETOOMANY:
        return "more rows than the list holds";
    case CSVFILE_EIO:
        return "cannot write the file";
    case STRCOPY_ETRUNC:
        return "too long for its field";
    case LOG_EOPEN:
        return "cannot open the log file";
    case LOG_ENOTFILE:
        return "the log file is not a regular file (a FIFO or a device would block or fill)";
    case KEYS_ETOOLONG:
        return "the key file's path is too long";
    case STORE_EKEY:
        return "not the key this kiosk's records were made with";
    case STORE_ETAMPERED:
        return "the newest events do not verify: the database was changed outside the kiosk";
    case STORE_EMISSING:
        return "acknowledged events are missing from the database";
    case STORE_ENOREAD:
        return "cannot read the database (permissions)";
    case IMPORT_EINVALID:
        return "the file has errors; nothing was imported";
    case IMPORT_ENOFILE:
        return "cannot read the file as CSV";
    case IMPORT_ENOKEY:
        return "no site key (run: cpd-admin kiosk init)";
    case KEYS_ENOENT:
        return "key file missing (restore it from backup: docs/keys.md; a new kiosk: cpd-admin "
               "kiosk init)";
    case KEYS_EFORMAT:
        return "key file is not a key of the right length";
    case KEYS_EMODE:
        return "key file is readable by others (chmod 600 it)";
    case KEYS_EEXIST:
        return "a different key is already installed";
    case READER_EOPEN:
        return "cannot open the reader";
    case READER_EBUSY:
        return "the reader is in use by another process";
    case READER_ENOMEM:
        return "out of memory";
    case READER_ETHREAD:
        return "cannot start the reader thread";
    case READER_EINVAL:
        return "invalid reader configuration";
    case READER_ENODRIVER:
        return "this build has no such reader driver";
    case SYNC_EUNREACHABLE:
        return "the ledger did not answer";
    case SYNC_EAUTH:
        return "the ledger refused the login";
    case SYNC_ESCHEMA:
        return "the ledger's schema does not match this kiosk";
    case SYNC_ETAMPER:
        return "TAMPERING: what the ledger holds does not check out";
    case SYNC_EREJECTED:
        return "the ledger refused an event";
    case SYNC_ESTORE:
        return "the local database failed";
    case SYNC_ECONFIG:
        return "a setting or a file cannot be used";
    case SYNC_EPERM:
        return "permission denied by the ledger";
    case SYNC_EDIVERGED:
        return "DIVERGED: the ledger holds another event at a seq this kiosk has";
    case SYNC_ETLS:
        return "the ledger's TLS certificate or host name did not check out";
    case SYNC_EREFUSED:
        return "the ledger refused the change";
    case CONFIG_ENOENT:
        return "cannot open the configuration file";
    case CONFIG_EINVALID:
        return "invalid configuration";
    case CONFIG_ENOMEM:
        return "out of memory";
    case CONFIG_ENOTFILE:
        return "the configuration is not a regular file";
    case CONFIG_ETOOBIG:
        return "the configuration file is too large";
    case GFX_ENODISPLAY:
        return "no display";
    case GFX_EFONT:
        return "font not usable";
    case GFX_ERENDER:
        return "renderer failed";
    case ZONE_EUNKNOWN:
        return "unknown time zone";
    case ZONE_ERANGE:
        return "time out of range";
    case ZONE_ESYNTAX:
        return "expected a local time YYYY-MM-DD HH:MM[:SS], optionally followed by its UTC offset "
               "(+01:00) or zone (BST)";
    case ZONE_EDATE:
        return "no such date or time of day";
    case ZONE_EGAP:
        return "that time does not exist here (the clocks go forward over it)";
    case ZONE_EAMBIGUOUS:
        return "that time happens twice here (the clocks go back): say which";
    case ZONE_EOFFSET:
        return "that time here has another UTC offset or zone";
    case CRYPTO_EINIT:
        return "libsodium could not start";
    case CRYPTO_EBADSIG:
        return "signature does not verify";
    case CRYPTO_ENOMEM:
        return "out of memory";
    case PAYLOAD_ETOOBIG:
        return "payload too large";
    case PAYLOAD_EINVALID:
        return "payload is not valid JSON";
    case PAYLOAD_ENOTFOUND:
        return "no such payload field";
    case CSVFILE_EOPEN:
        return "cannot open the CSV file";
    case CSVFILE_EPARSE:
        return "not valid CSV";
    case CSVFILE_ENOMEM:
        return "out of memory";
    case CSVFILE_EEMPTY:
        return "the CSV file is empty";
    case PG_EUNREACHABLE:
        return "the ledger did not answer";
    case PG_EAUTH:
        return "the ledger refused the login";
    case PG_EQUERY:
        return "a ledger statement failed";
    case PG_EPERM:
        return "permission denied by the ledger";
    case PG_ENOMEM:
        return "out of memory";
    case PG_ECONNINFO:
        return "not a valid connection string (key=value pairs, e.g. host=… dbname=cpd user=…)";
    case PG_ETLS:
        return "the ledger's TLS certificate or host name did not check out";
    case GFX_ENOMEM:
    case CREDITS_ENOMEM:
        return "out of memory";
    case PAPER_EWRITE:
        return "could not write the document";
    case SAFEFILE_EOPEN:
        return "cannot create a file there";
    case SAFEFILE_EWRITE:
        return "could not write it all (disk full?)";
    case PAPER_EDRAW:
        return "could not draw the document (a bug: please report it with the report's name)";
    case PAPER_EFONT:
        return "no font to print with (fonts-dejavu-core)";
    default:
        break;
    }
    for (size_t i = 0; i < sizeof(block_default) / sizeof(block_default[0]); i++) {
        if (err < block_default[i].base && err > block_default[i].base - 100)
            return block_default[i].text;
    }
    return "unknown error";
}
