/* tempdir.c — see tempdir.h. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include "core/base/tempdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int tempdir_make(char *out, size_t cap, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(out, cap, "%s/%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", name);
    if (n < 0 || (size_t)n >= cap)
        return ENAMETOOLONG;
    return mkdtemp(out) ? 0 : errno;
}
