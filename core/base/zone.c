#include "core/base/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define US_PER_S INT64_C(1000000)

int zone_set(const char *tz_name)
{
    char path[512];
    if (!tz_name[0] || strstr(tz_name, ".."))
        return ZONE_EUNKNOWN;
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz_name);
    if (strcmp(tz_name, "UTC") != 0 && access(path, R_OK) != 0)
        return ZONE_EUNKNOWN;
    setenv("TZ", tz_name, 1);
    tzset();
    return ZONE_OK;
}

int zone_local_to_utc(civil_day day, int minutes, int64_t *utc_us)
{
    int y, m, d;
    civil_to_ymd(day, &y, &m, &d);
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = m - 1,
                    .tm_mday = d,
                    .tm_hour = minutes / 60,
                    .tm_min = minutes % 60,
                    .tm_isdst = -1};
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return ZONE_ERANGE;
    *utc_us = (int64_t)t * US_PER_S;
    return ZONE_OK;
}

void zone_utc_to_local(int64_t utc_us, civil_day *day, int *minutes, int *seconds)
{
    time_t t = (time_t)(utc_us / US_PER_S);
    struct tm tm;
    localtime_r(&t, &tm);
    *day = civil_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    *minutes = tm.tm_hour * 60 + tm.tm_min;
    if (seconds)
        *seconds = tm.tm_sec;
}

void zone_format_hhmm(int64_t utc_us, char out[6])
{
    civil_day day;
    int minutes;
    zone_utc_to_local(utc_us, &day, &minutes, NULL);
    unsigned m = (unsigned)minutes % (24u * 60u);
    snprintf(out, 6, "%02u:%02u", m / 60u, m % 60u);
}

void zone_format_day_time(int64_t utc_us, char out[32])
{
    civil_day day;
    int minutes;
    char date[16];
    zone_utc_to_local(utc_us, &day, &minutes, NULL);
    civil_format_short(day, date);
    snprintf(out, 32, "%s %02d:%02d", date, (minutes / 60) % 24, minutes % 60);
}

void zone_format_local(int64_t utc_us, char out[24])
{
    civil_day day;
    int minutes;
    char date[CIVIL_DATE_LEN];
    if (utc_us == 0) {
        out[0] = '\0';
        return;
    }
    zone_utc_to_local(utc_us, &day, &minutes, NULL);
    civil_format_date(day, date);
    snprintf(out, 24, "%s %02d:%02d", date, (minutes / 60) % 24, minutes % 60);
}

int zone_parse_local(const char *text, int64_t *utc_us)
{
    char date[11];
    char time[6];
    size_t n = strlen(text);
    if (n < 16 || (text[10] != ' ' && text[10] != 'T'))
        return ZONE_ERANGE;
    memcpy(date, text, 10);
    date[10] = '\0';
    memcpy(time, text + 11, 5);
    time[5] = '\0';
    int seconds = 0;
    if (n == 19 && text[16] == ':' && text[17] >= '0' && text[17] <= '5' && text[18] >= '0' &&
        text[18] <= '9')
        seconds = (text[17] - '0') * 10 + (text[18] - '0');
    else if (n != 16)
        return ZONE_ERANGE;
    civil_day day;
    int minutes;
    if (civil_parse_date(date, &day) != 0 || civil_parse_hhmm(time, &minutes) != 0)
        return ZONE_ERANGE;
    int rc = zone_local_to_utc(day, minutes, utc_us);
    if (rc == ZONE_OK)
        *utc_us += seconds * US_PER_S;
    return rc;
}
