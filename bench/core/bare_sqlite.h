/* bare_sqlite.h — the baseline: one row inserted and committed with SQLite alone, in WAL with
 * synchronous=FULL, as our store does; no hashing, signing or projection. */
#ifndef CPD_BARE_SQLITE_H
#define CPD_BARE_SQLITE_H

#include <stdint.h>

struct bare;
int bare_open(const char *path, struct bare **out);
/* One INSERT in its own transaction; returns 0 on success. */
int bare_commit_one(struct bare *b, int64_t i);
void bare_close(struct bare *b);

#endif
