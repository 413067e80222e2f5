/* zone.h — local civil time ↔ UTC for the configured time zone (Europe/London by default).
 *
 * The one place that consults the system's zone database (through the C library's TZ).
 * zone_set() changes the process's TZ: call it once at start-up, before other threads. */
#ifndef CPD_ZONE_H
#define CPD_ZONE_H

#include <stdint.h>

#include "core/base/error.h"

#include "core/base/civil.h"

int zone_set(const char *tz_name);
/* A local date and minute of the day to UTC µs (the later instant if it falls twice, the
 * shifted one if it falls into a spring-forward gap). */
int zone_local_to_utc(civil_day day, int minutes, int64_t *utc_us);
void zone_utc_to_local(int64_t utc_us, civil_day *day, int *minutes, int *seconds);
/* "15:45" */
void zone_format_hhmm(int64_t utc_us, char out[6]);
/* "Thu 21 Sep 15:15" */
void zone_format_day_time(int64_t utc_us, char out[32]);
/* "2023-11-27 15:40" (what zone_parse_local reads), or "" for 0: no time. */
void zone_format_local(int64_t utc_us, char out[24]);
/* Parses "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM[:SS]" local time. */
int zone_parse_local(const char *text, int64_t *utc_us);

#endif
