#include "core/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/error.h"
#include "core/base/utf8.h"

#define LOG_LINE_MAX 4096

static const char *program_name = "cpd";
static bool to_journal;

/* systemd sets JOURNAL_STREAM to the device and inode of the stream it connected: only when
 * standard error is still that stream do "<N>" prefixes mean anything. */
static bool stderr_is_journal(void)
{
    const char *stream = getenv("JOURNAL_STREAM");
    unsigned long long dev = 0, ino = 0;
    struct stat st;
    return stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *program)
{
    program_name = program;
    to_journal = stderr_is_journal();
}

int log_to_file(const char *path)
{
    /* Not freopen(): a reopened stderr is fully buffered (lines held until exit, lost in a
     * crash), and a failed freopen leaves no stderr to say so on. The descriptor is swapped
     * under the FILE instead, which stays unbuffered as stderr starts. */
    /* O_NONBLOCK: a FIFO with no reader must not hang the start (it is refused just after). */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0666);
    if (fd < 0)
        return errno == ENXIO ? LOG_ENOTFILE : LOG_EOPEN; /* ENXIO: a FIFO nobody reads */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return LOG_ENOTFILE;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        close(fd);
        return LOG_EOPEN;
    }
    fflush(stderr);
    int rc = dup2(fd, 2) == 2 ? LOG_OK : LOG_EOPEN;
    int saved = errno;
    close(fd);
    errno = saved;
    to_journal = stderr_is_journal();
    return rc;
}

/* All of buf, retrying a write cut short by a signal. */
static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(2, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to say it */
        buf += n;
        len -= (size_t)n;
    }
}

void log_line(enum log_priority priority, const char *fmt, ...)
{
    static const char cut[] = "…\n";
    char line[LOG_LINE_MAX];
    int head = to_journal ? snprintf(line, sizeof(line), "<%d>%s: ", (int)priority, program_name)
                          : snprintf(line, sizeof(line), "%s: ", program_name);
    if (head < 0 || (size_t)head >= sizeof(line) - sizeof(cut))
        head = 0;
    size_t room = sizeof(line) - (size_t)head - 1; /* the newline's byte */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + head, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    size_t len;
    if ((size_t)n < room) {
        len = (size_t)head + (size_t)n;
        line[len++] = '\n';
    } else {
        /* Cut on purpose, and visibly. */
        line[sizeof(line) - sizeof(cut)] = '\0';
        utf8_fix_tail(line + head);
        len = strlen(line);
        memcpy(line + len, cut, sizeof(cut) - 1);
        len += sizeof(cut) - 1;
    }
    write_all(line, len); /* one write: the line whole, never mixed with another thread's */
}
