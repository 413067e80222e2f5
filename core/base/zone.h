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
/* One reading of a local time: the instant, and the UTC offset and zone abbreviation in force
 * then ("+01:00", "BST"). */
struct zone_reading {
    int64_t utc_us;
    int offset_s;  /* east of UTC */
    char abbr[16]; /* as the zone database names it; "" if it names none */
};

/* Parses local time "YYYY-MM-DD HH:MM[:SS]" (a 'T' may stand for the space), optionally
 * followed (after a space, or none) by which reading is meant: its UTC offset "+01:00" or its
 * zone abbreviation "BST" (any case). Fails with ZONE_ESYNTAX (not that form), ZONE_EDATE (no
 * such date or time of day), ZONE_EGAP (the clocks go forward over it: it never happens),
 * ZONE_EAMBIGUOUS (the clocks go back: it happens twice, and nothing says which) or
 * ZONE_EOFFSET (the offset or abbreviation is not one this time has here). */
int zone_parse_local(const char *text, int64_t *utc_us);
/* What a local time text (as zone_parse_local reads it, a suffix ignored) can mean here, for
 * saying which suffixes would settle it: 0 readings in a gap, 2 when it happens twice (the
 * earlier first), else 1. ZONE_OK, or zone_parse_local's error for a text it cannot read. */
int zone_local_readings(const char *text, struct zone_reading out[2], int *n);
/* "+01:00", "-05:00", "+05:30" */
void zone_format_offset(int offset_s, char out[8]);

#endif
