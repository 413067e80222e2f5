#include "core/base/strcopy.h"

#include <string.h>

int strcopy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (cap == 0)
        return STRCOPY_ETRUNC;
    if (n >= cap) {
        dst[0] = '\0';
        return STRCOPY_ETRUNC;
    }
    memcpy(dst, src, n + 1);
    return 0;
}
