/* The baseline measures SQLite itself, so it talks to SQLite directly (bench code only). */
#include "bench/core/bare_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

struct bare {
    sqlite3 *db;
    sqlite3_stmt *insert;
};

int bare_open(const char *path, struct bare **out)
{
    struct bare *b = calloc(1, sizeof(*b));
    if (!b || sqlite3_open(path, &b->db) != SQLITE_OK)
        goto fail;
    if (sqlite3_exec(b->db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                     " CREATE TABLE t(id INTEGER PRIMARY KEY, uuid TEXT, payload TEXT, h BLOB);",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(b->db,
                           "INSERT INTO t(uuid, payload, h) VALUES (hex(randomblob(16)),"
                           " '{\"late\":false}', randomblob(32))",
                           -1, &b->insert, NULL) != SQLITE_OK)
        goto fail;
    *out = b;
    return 0;
fail:
    bare_close(b);
    return -1;
}

int bare_commit_one(struct bare *b, int64_t i)
{
    (void)i;
    int rc = sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(b->insert) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    sqlite3_reset(b->insert);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : -1;
}

int bare_commit_and_trace(struct bare *b, int64_t i, int trace_fd)
{
    char line[96];
    int n = snprintf(line, sizeof(line), "%lld %064d\n", (long long)i, 0);
    if (bare_commit_one(b, i) != 0 || write(trace_fd, line, (size_t)n) != n)
        return -1;
    return fdatasync(trace_fd) == 0 ? 0 : -1;
}

void bare_close(struct bare *b)
{
    if (!b)
        return;
    sqlite3_finalize(b->insert);
    sqlite3_close(b->db);
    free(b);
}
