#include "core/base/clock.h"

#include <stdio.h>
#include <string.h>

#include "core/base/timeunits.h"

static int64_t read_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

int64_t clock_wall_us(void)
{
    return read_us(CLOCK_REALTIME);
}

int64_t clock_monotonic_us(void)
{
    return read_us(CLOCK_MONOTONIC);
}

void clock_boot_id(char out[CLOCK_BOOT_ID_LEN])
{
    out[0] = '\0';
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return;
    if (!fgets(out, CLOCK_BOOT_ID_LEN, f))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

void clock_sleep_us(int64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / US_PER_S),
                          .tv_nsec = (long)(us % US_PER_S) * 1000};
    nanosleep(&ts, NULL);
}

struct timespec clock_monotonic_after(int64_t us)
{
    int64_t at = read_us(CLOCK_MONOTONIC) + us;
    struct timespec ts = {.tv_sec = (time_t)(at / US_PER_S),
                          .tv_nsec = (long)(at % US_PER_S) * 1000};
    return ts;
}
