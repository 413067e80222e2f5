#include "apps/cpd-kiosk/print.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/base/error.h"
#include "core/base/utf8.h"

extern char **environ;

#define LP_WAIT_MS 10000

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* The report as a PDF in a 0600 file of its own; 0 or -1 with why. */
static int write_pdf(const struct report *r, const struct paper_header *h, char *path,
                     size_t path_cap, char *why, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, path_cap, "%s/cpd-print-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        utf8_printf(why, cap, "cannot make the file to print: %s", strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        return -1;
    }
    int err = paper_write_pdf(r, h, f, NULL);
    bool written = fflush(f) == 0 && !ferror(f);
    fclose(f);
    if (err != 0 || !written) {
        utf8_printf(why, cap, "cannot write the file to print: %s",
                    err ? cpd_strerror(err) : strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

/* What lp says on standard error: read as it comes (never blocking — a child of lp may keep
 * the pipe open — and never letting a full pipe stall lp), the last 1 KB kept. */
struct said {
    char buf[1024];
    size_t len;
};

static void drain(int fd, struct said *s)
{
    char chunk[512];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) { /* a chunk is smaller than buf */
        if (s->len + (size_t)n > sizeof(s->buf) - 1) {
            size_t drop = s->len + (size_t)n - (sizeof(s->buf) - 1);
            memmove(s->buf, s->buf + drop, s->len - drop);
            s->len -= drop;
        }
        memcpy(s->buf + s->len, chunk, (size_t)n);
        s->len += (size_t)n;
        s->buf[s->len] = '\0';
    }
}

/* Its last non-empty line, for why: shown, never obeyed. */
static void last_line(const struct said *s, char *out, size_t cap)
{
    char text[sizeof(s->buf)];
    memcpy(text, s->buf, s->len + 1);
    char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        *--end = '\0';
    char *line = strrchr(text, '\n');
    utf8_printable(out, cap, line ? line + 1 : text);
}

int print_report(const struct report *r, const struct paper_header *h, const char *printer,
                 char *why, size_t cap)
{
    char path[512];
    if (write_pdf(r, h, path, sizeof(path), why, cap) != 0)
        return -1;
    int err_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int rc = -1;
    pid_t pid = -1;
    if (pipe(err_pipe) != 0 || fcntl(err_pipe[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(err_pipe[1], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(err_pipe[0], F_SETFL, O_NONBLOCK) != 0) {
        utf8_printf(why, cap, "cannot start lp: %s", strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"lp", "-d", (char *)printer, "-t", "CPD roll call", "--", path, NULL};
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0); /* its own group: a timeout stops lp and its children */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    int spawned = posix_spawnp(&pid, "lp", &actions, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    struct said said = {.len = 0};
    close(err_pipe[1]);
    err_pipe[1] = -1;
    if (spawned != 0) {
        utf8_printf(why, cap, "%s",
                    spawned == ENOENT ? "lp is not installed (Debian: cups-client)"
                                      : strerror(spawned));
        goto out;
    }
    int status = 0;
    pid_t done = 0;
    for (int waited = 0; (done = waitpid(pid, &status, WNOHANG)) == 0 && waited < LP_WAIT_MS;
         waited += 20) {
        drain(err_pipe[0], &said);
        sleep_ms(20);
    }
    drain(err_pipe[0], &said);
    if (done == 0) { /* the scheduler does not answer: not the kiosk's to wait for */
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        utf8_printf(why, cap, "lp did not finish in %d seconds (is CUPS running?)",
                    LP_WAIT_MS / 1000);
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char line[256];
        last_line(&said, line, sizeof(line));
        utf8_printf(why, cap, "%s", line[0] ? line : "lp failed");
        goto out;
    }
    rc = 0;
out:
    posix_spawn_file_actions_destroy(&actions);
    if (err_pipe[0] >= 0)
        close(err_pipe[0]);
    if (err_pipe[1] >= 0)
        close(err_pipe[1]);
    unlink(path);
    return rc;
}
