/* log.h — the programs' log: one line per message on standard error, with its priority. Under
 * systemd (JOURNAL_STREAM names our standard error) each line starts with "<N>", so the journal
 * files it as an error, a warning, a notice or information (`journalctl -p warning`); anywhere
 * else (a terminal, [kiosk] log_file) it is plain "cpd-kiosk: text".
 *
 * Each line reaches standard error whole, with one write(2), the moment it is logged: nothing
 * waits in a buffer to be lost in a crash, and lines logged by several threads never mix. */
#ifndef CPD_LOG_H
#define CPD_LOG_H

enum log_priority { LOG_ERROR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6 };

/* The program's name, the start of every line; looks whether standard error is the journal. */
void log_init(const char *program);
/* Standard error (descriptor 2: this log, and whatever else writes there — SDL, libnfc) from
 * now on appended to path, created if need be. LOG_OK, LOG_ENOTFILE (a FIFO, a device: refused,
 * never waited on), or LOG_EOPEN with errno saying why and standard error as it was. Call it before
 * other threads start. */
int log_to_file(const char *path);
/* A message longer than a line holds (4 KiB) is cut on a whole character, ending in "…". */
void log_line(enum log_priority priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
