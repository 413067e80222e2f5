/* tempdir.h — a private scratch folder where the user keeps temporary files: under $TMPDIR
 * when it is set, /tmp otherwise (a kiosk's or an office PC's /tmp may be small, or a RAM disk
 * shared with others). */
#ifndef CPD_TEMPDIR_H
#define CPD_TEMPDIR_H

#include <stddef.h>

/* Makes a new folder "<$TMPDIR or /tmp>/<name>-XXXXXX", mode 0700, and puts its path in out.
 * 0, or an errno value (out then holds the path it tried, for the message); ENAMETOOLONG
 * when the path does not fit cap. */
int tempdir_make(char *out, size_t cap, const char *name);

#endif
