#include "core/base/safefile.h"

#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int safefile_open(struct safefile *sf, const char *path)
{
    memset(sf, 0, sizeof(*sf));
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(sf->path))
        return SAFEFILE_EOPEN;
    memcpy(sf->path, path, n + 1);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device or a pipe (/dev/stdout, a FIFO): written straight to, never replaced. */
        sf->f = fopen(path, "w");
        return sf->f ? SAFEFILE_OK : SAFEFILE_EOPEN;
    }
    snprintf(sf->tmp, sizeof(sf->tmp), "%s.XXXXXX", path);
    int fd = mkstemp(sf->tmp); /* 0600, beside it: the rename stays on one file system */
    if (fd < 0)
        return SAFEFILE_EOPEN;
    sf->f = fdopen(fd, "w");
    if (!sf->f) {
        close(fd);
        unlink(sf->tmp);
        return SAFEFILE_EOPEN;
    }
    return SAFEFILE_OK;
}

int safefile_close(struct safefile *sf, bool ok)
{
    if (!sf->f)
        return SAFEFILE_EWRITE;
    bool direct = sf->tmp[0] == '\0';
    errno = 0;
    bool written =
        ok && fflush(sf->f) == 0 && !ferror(sf->f) && (direct || fsync(fileno(sf->f)) == 0);
    sf->os_error = ok && !written ? (errno ? errno : EIO) : 0;
    written = fclose(sf->f) == 0 && written;
    sf->f = NULL;
    if (direct)
        return written || !ok ? SAFEFILE_OK : SAFEFILE_EWRITE;
    if (written && rename(sf->tmp, sf->path) == 0) {
        /* The rename itself on disk: the directory's entry is flushed too. */
        char dir[sizeof(sf->path)];
        memcpy(dir, sf->path, sizeof(dir));
        int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
        bool synced = fd >= 0 && fsync(fd) == 0;
        if (fd >= 0)
            close(fd);
        return synced ? SAFEFILE_OK : SAFEFILE_EWRITE;
    }
    sf->os_error = sf->os_error ? sf->os_error : errno;
    unlink(sf->tmp);
    return ok ? SAFEFILE_EWRITE : SAFEFILE_OK;
}
