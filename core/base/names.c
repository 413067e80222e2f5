#include "core/base/names.h"

#include <stdio.h>
#include <string.h>

const char *names_of(const char *const *names, int n, int value)
{
    return value >= 0 && value < n ? names[value] : "?";
}

int names_parse(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return i;
    }
    return -1;
}

const char *names_list(const char *const *names, int n, char *out, unsigned cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s",
                         i == 0       ? ""
                         : i == n - 1 ? " or "
                                      : ", ",
                         names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    return out;
}
