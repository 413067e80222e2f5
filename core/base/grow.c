#include "core/base/grow.h"

#include <stdint.h>
#include <stdlib.h>

void *grow(void *items, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return items;
    size_t more = *cap ? 2 * *cap : first;
    if (more <= *cap || more > SIZE_MAX / size)
        return NULL;
    void *grown = realloc(items, more * size);
    if (grown)
        *cap = more;
    return grown;
}
