/* paper.h — what cairo writes (paper.c is the only cairo includer): the kiosk's screenshots as
 * PNG, and reports as A4 PDF — the trust's and site's name, the time generated and "page N of
 * M" on every page, columns that wrap rather than cut, a person's statement on a page of its
 * own with a chart of credits by term, and a signature line under a register. Black and grey
 * only, so it prints the same on any printer. */
#ifndef CPD_PAPER_H
#define CPD_PAPER_H

#include <stdint.h>
#include <stdio.h>

#include "core/base/error.h"
#include "core/services/report.h"

int paper_write_png(const char *path, const uint32_t *pixels, int w, int h);

struct paper_header {
    const char *trust;     /* "Bolton Impact Trust" */
    const char *site;      /* "Central Office" */
    const char *generated; /* "2026-12-01 13:40" */
};

/* Writes the report as a PDF to out; *pages (may be NULL) is how many it made. PAPER_* codes. */
int paper_write_pdf(const struct report *report, const struct paper_header *header, FILE *out,
                    int *pages);

#endif
