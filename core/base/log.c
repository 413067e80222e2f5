#include "core/base/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *program_name = "cpd";
static bool to_journal;

void log_init(const char *program)
{
    program_name = program;
    /* systemd sets JOURNAL_STREAM to the device and inode of the stream it connected: only when
     * standard error is still that stream do "<N>" prefixes mean anything. */
    const char *stream = getenv("JOURNAL_STREAM");
    unsigned long long dev = 0, ino = 0;
    struct stat st;
    to_journal = stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
                 (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_line(enum log_priority priority, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (to_journal)
        fprintf(stderr, "<%d>%s: %s\n", (int)priority, program_name, text);
    else
        fprintf(stderr, "%s: %s\n", program_name, text);
}
