/* print.h — a report to the office printer: written as a PDF (paper.h) to a private temporary
 * file and handed to CUPS with `lp -d PRINTER`, which queues it and returns; the file is removed
 * once lp has its copy. lp is given 10 seconds; a scheduler that does not answer is a failure,
 * said in why, never a hang of the kiosk. */
#ifndef CPD_PRINT_H
#define CPD_PRINT_H

#include <stddef.h>

#include "core/services/report.h"
#include "ui/sdl/paper.h"

/* 0 when queued; else -1 with why ("lp: The printer or class does not exist.", "lp is not
 * installed (Debian: cups-client)"). printer: a CUPS queue name, as config.c checks it. */
int print_report(const struct report *report, const struct paper_header *header,
                 const char *printer, char *why, size_t cap);

#endif
