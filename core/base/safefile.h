/* safefile.h — a file written whole or not at all: created beside its final name (mode 0600:
 * reports hold personal data), flushed to disk, then renamed over it; on any failure the
 * partial file is removed and whatever was there before is left as it was. A path that is a
 * device or a pipe (/dev/stdout, a FIFO) is written straight to, never replaced. */
#ifndef CPD_SAFEFILE_H
#define CPD_SAFEFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "core/base/error.h"

struct safefile {
    FILE *f; /* write here */
    char path[1024];
    char tmp[1040]; /* "" when written straight to */
    int os_error;   /* after a failed close: the system's errno (ENOSPC, EFBIG, EIO …) */
};

/* SAFEFILE_OK, or SAFEFILE_EOPEN (the path too long, or no file can be created there). */
int safefile_open(struct safefile *file, const char *path);
/* Flushes, fsyncs and renames it into place: SAFEFILE_OK, or SAFEFILE_EWRITE with the
 * temporary file removed. ok false: abandons it (removed) and returns SAFEFILE_OK. */
int safefile_close(struct safefile *file, bool ok);

#endif
