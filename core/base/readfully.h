/* readfully.h — n bytes of a file at an offset, read whole: short reads and interruptions
 * retried until n bytes or the end of the file. Pure libc. */
#ifndef CPD_READFULLY_H
#define CPD_READFULLY_H

#include <stddef.h>
#include <sys/types.h>

/* The bytes read (fewer than n only at the end of the file), or -1 with errno set. */
ssize_t read_fully(int fd, void *buf, size_t n, off_t off);

#endif
