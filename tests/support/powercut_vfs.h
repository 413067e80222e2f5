/* powercut_vfs.h — a SQLite VFS for tests that knows what a power cut would leave on disk, and
 * can fail writes and syncs on demand.
 *
 * powercut_vfs_install() registers "powercut" as the default VFS of the calling process (it
 * wraps "unix"). From then on every database, WAL and rollback journal SQLite opens keeps a
 * "durable image" next to it (PATH.durable): what the disk would hold if the power went now.
 * A write goes to the file (the page cache) and waits in memory; only a sync copies what
 * waited into the image. The process that wrote it is then killed, and another process (the
 * test's parent) calls powercut_apply(): the files become their images, i.e. everything that
 * was written but not synced is gone. The model and what it simplifies are described at the
 * top of powercut_vfs.c.
 *
 * One thread; the state is the process's (a VFS is). Nothing here is for the product. */
#ifndef CPD_POWERCUT_VFS_H
#define CPD_POWERCUT_VFS_H

#include <stdint.h>

/* SQLITE_OK, or SQLite's code when the unix VFS is missing or registering fails. Call it
 * before the first connection is opened; calling it again does nothing. */
int powercut_vfs_install(void);

enum powercut_mode {
    POWERCUT_SYNCED, /* only what was synced survives */
    POWERCUT_TORN,   /* what was synced, and any subset of the 512-byte sectors written since */
};

/* After the writer is dead: db_path, db_path-wal and db_path-journal become what the power cut
 * left of them (a file that was not opened through the VFS since the last apply or discard
 * stays as it is); db_path-shm is removed; the images are removed. rng (TORN only; may be NULL
 * for SYNCED) is the state of the sector coin flips, advanced. 0, or -1 with errno set. */
int powercut_apply(const char *db_path, enum powercut_mode mode, uint64_t *rng);
/* After the writer is dead and the power stayed on: the files are what they are (the page
 * cache reaches the disk in the end); only the images are removed. 0, or -1 with errno. */
int powercut_discard(const char *db_path);

/* Faults, for the files above only (never temp files): the next after calls pass, then n fail
 * (n < 0: every one until the knob is set again; n == 0: none fail).
 * A failed write returns SQLITE_FULL (a full disk) and writes nothing. A failed sync returns
 * SQLITE_IOERR_FSYNC (fsync's EIO) and makes nothing durable: what was written stays in the
 * file, unsynced. A failed -shm mapping (one that may grow the -shm) returns
 * SQLITE_IOERR_SHMSIZE with errno ENOSPC, as the unix VFS does on a full disk. */
void powercut_vfs_fail_writes(int after, int n);
void powercut_vfs_fail_syncs(int after, int n);
void powercut_vfs_fail_shm(int after, int n);
/* How many writes and syncs have been failed since the VFS was installed. */
long powercut_vfs_faults(void);

#endif
