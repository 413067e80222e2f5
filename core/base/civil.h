/* civil.h — calendar arithmetic on local civil dates and times of day.
 *
 * Pure: no time zone database, no clock. A civil_day counts days since 1970-01-01 in the
 * proleptic Gregorian calendar; times of day are minutes since midnight. Parsers return 0 or
 * -1 and never touch *out on failure. */
#ifndef CPD_CIVIL_H
#define CPD_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

typedef int32_t civil_day;

#define CIVIL_DATE_LEN 11 /* "YYYY-MM-DD" + NUL */

civil_day civil_from_ymd(int year, int month, int day);
void civil_to_ymd(civil_day day, int *year, int *month, int *mday);
bool civil_ymd_valid(int year, int month, int day);

/* 0 = Monday … 6 = Sunday. */
enum { CIVIL_MONDAY, CIVIL_SATURDAY = 5, CIVIL_SUNDAY = 6 };
int civil_weekday(civil_day day);
const char *civil_weekday_name(int weekday); /* "Monday" */
const char *civil_weekday_abbr(int weekday); /* "Mon" */
const char *civil_month_abbr(int month);     /* 1 → "Jan" */
/* Accepts a full or three-letter English weekday name, any case; -1 if none. */
int civil_weekday_parse(const char *name);

/* Strict "YYYY-MM-DD" with a real calendar date. */
int civil_parse_date(const char *text, civil_day *out);
/* Strict "HH:MM", 00:00–23:59. */
int civil_parse_hhmm(const char *text, int *minutes_out);

void civil_format_date(civil_day day, char out[CIVIL_DATE_LEN]);
/* "Thu 21 Sep" */
void civil_format_short(civil_day day, char out[16]);

#endif
