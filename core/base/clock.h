/* clock.h — the two clocks, in µs: the wall clock (UTC since the epoch: what events record)
 * and the monotonic one (orders events, times waits; never jumps). The one place that reads
 * them. Thread-safe. */
#ifndef CPD_CLOCK_H
#define CPD_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CLOCK_BOOT_ID_LEN 40

int64_t clock_wall_us(void);
int64_t clock_monotonic_us(void);
/* This boot's id (Linux's random boot_id): monotonic times compare only within one boot. ""
 * when it cannot be read (then no two readings are taken to be of one boot). */
void clock_boot_id(char out[CLOCK_BOOT_ID_LEN]);
/* Sleeps about us (at least us unless a signal arrives): for short waits such as polling. */
void clock_sleep_us(int64_t us);
/* The monotonic time us from now, for pthread_cond_timedwait on a CLOCK_MONOTONIC condition. */
struct timespec clock_monotonic_after(int64_t us);

#endif
