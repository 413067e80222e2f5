/* bare_sqlite.h — the baseline: one row inserted and committed with SQLite alone, in WAL with
 * synchronous=FULL, as our store does; no hashing, signing or projection. */
#ifndef CPD_BARE_SQLITE_H
#define CPD_BARE_SQLITE_H

#include <stdint.h>

struct bare;
int bare_open(const char *path, struct bare **out);
/* One INSERT in its own transaction; returns 0 on success. */
int bare_commit_one(struct bare *b, int64_t i);
/* The same, then one line appended to trace_fd and fdatasync'd, as a tap's receipt is: the
 * floor of a tap that leaves a trace outside the database (two syncs). */
int bare_commit_and_trace(struct bare *b, int64_t i, int trace_fd);
void bare_close(struct bare *b);

#endif
