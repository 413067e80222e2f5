/* grow.h — room for one more item in a malloc'd array that doubles as it fills. Pure libc. */
#ifndef CPD_GROW_H
#define CPD_GROW_H

#include <stddef.h>

/* items holds n of *cap items of size bytes (NULL and 0 at first). Returns the array with room
 * for item n — items itself while there is room, a larger copy (cap doubled, from first)
 * otherwise, *cap updated — or NULL when memory runs out, items then left as it was. */
void *grow(void *items, size_t *cap, size_t n, size_t size, size_t first);

#endif
