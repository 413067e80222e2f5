/* log.h — the programs' log: one line per message on standard error, with its priority. Under
 * systemd (JOURNAL_STREAM names our standard error) each line starts with "<N>", so the journal
 * files it as an error, a warning, a notice or information (`journalctl -p warning`); anywhere
 * else (a terminal, [kiosk] log_file) it is plain "cpd-kiosk: text". */
#ifndef CPD_LOG_H
#define CPD_LOG_H

enum log_priority { LOG_ERROR = 3, LOG_WARNING = 4, LOG_NOTICE = 5, LOG_INFO = 6 };

/* The program's name, the start of every line; looks whether standard error is the journal
 * (again after standard error was reopened onto a log file). */
void log_init(const char *program);
void log_line(enum log_priority priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
