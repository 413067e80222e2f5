#define _GNU_SOURCE
#include "tests/support/wallshift.h"

#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic int64_t shift_us;

void wallshift_set(int64_t us)
{
    atomic_store(&shift_us, us);
}

/* libc's clock_gettime, through the system call (the vDSO's entry is libc's own), with the
 * shift added to the wall clocks. */
int clock_gettime(clockid_t id, struct timespec *ts)
{
    if (syscall(SYS_clock_gettime, id, ts) != 0)
        return -1;
    int64_t shift = atomic_load(&shift_us);
    if (shift && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
        int64_t ns = (int64_t)ts->tv_nsec + (shift % 1000000) * 1000;
        int64_t s = (int64_t)ts->tv_sec + shift / 1000000 + ns / 1000000000;
        ns %= 1000000000;
        if (ns < 0) {
            ns += 1000000000;
            s--;
        }
        ts->tv_sec = (time_t)s;
        ts->tv_nsec = (long)ns;
    }
    return 0;
}
