#include "core/base/zone.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/base/timeunits.h"

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

/* ---- local times as people write them -------------------------------------------------- */

/* A local time as written: the civil second it names (counted as if it were UTC) and what
 * follows it ("" when nothing does). */
struct written {
    int64_t civil_s;
    const char *suffix;
};

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* What may follow a local time: a UTC offset "+01:00", or an abbreviation as zone databases
 * write them, letters ("BST") or a signed number of hours and minutes ("+03", "-0330"). */
static bool suffix_form(const char *s)
{
    size_t n = strlen(s);
    bool sign = s[0] == '+' || s[0] == '-';
    if (sign && n == 6 && digits(s + 1, 2) && s[3] == ':' && digits(s + 4, 2))
        return true;
    if (sign && (n == 3 || n == 5) && digits(s + 1, (int)n - 1))
        return true;
    return n >= 2 && n <= 10 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == n;
}

/* "YYYY-MM-DD HH:MM[:SS]" and the suffix after it, if any (checked here for its form only). */
static int read_written(const char *text, struct written *w)
{
    size_t n = strlen(text);
    if (n < 16 || !digits(text, 4) || text[4] != '-' || !digits(text + 5, 2) || text[7] != '-' ||
        !digits(text + 8, 2) || (text[10] != ' ' && text[10] != 'T') || !digits(text + 11, 2) ||
        text[13] != ':' || !digits(text + 14, 2))
        return ZONE_ESYNTAX;
    char date[11], hhmm[6];
    memcpy(date, text, 10);
    date[10] = '\0';
    memcpy(hhmm, text + 11, 5);
    hhmm[5] = '\0';
    const char *rest = text + 16;
    int seconds = 0;
    if (rest[0] == ':') {
        if (!digits(rest + 1, 2))
            return ZONE_ESYNTAX;
        seconds = (rest[1] - '0') * 10 + (rest[2] - '0');
        rest += 3;
    }
    if (*rest == ' ' && rest[1])
        rest++;
    if (*rest && !suffix_form(rest))
        return ZONE_ESYNTAX;
    civil_day day;
    int minutes;
    if (civil_parse_date(date, &day) != 0 || civil_parse_hhmm(hhmm, &minutes) != 0 || seconds > 59)
        return ZONE_EDATE;
    w->civil_s = (int64_t)day * S_PER_DAY + minutes * 60 + seconds;
    w->suffix = rest;
    return ZONE_OK;
}

/* The reading of local civil second civil_s at UTC second t, if t is one (the local clock
 * shows civil_s then); false when it is not, or the C library cannot say. */
static bool reading_at(int64_t civil_s, int64_t t, struct zone_reading *r)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return false;
    int64_t shown =
        (int64_t)civil_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * S_PER_DAY +
        tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    if (shown != civil_s)
        return false;
    r->utc_us = t * US_PER_S;
    r->offset_s = (int)tm.tm_gmtoff;
    snprintf(r->abbr, sizeof(r->abbr), "%s", tm.tm_zone ? tm.tm_zone : "");
    return true;
}

/* Every instant the local clock shows civil_s: for each UTC offset in force within a day and
 * more either side (no zone is further than 26 hours from UTC; every half hour is looked at,
 * so no offset kept for longer is missed), whether that offset puts the clock there. Whatever
 * the zone, and whether or not the change is summer time. */
static int readings_of(int64_t civil_s, struct zone_reading out[2])
{
    int offsets[8], n_offsets = 0, n = 0;
    for (int64_t k = -27 * 3600; k <= 27 * 3600; k += 1800) {
        time_t tt = (time_t)(civil_s + k);
        struct tm tm;
        if (!localtime_r(&tt, &tm))
            return -1;
        bool seen = false;
        for (int i = 0; i < n_offsets; i++)
            seen |= offsets[i] == (int)tm.tm_gmtoff;
        if (!seen && n_offsets < 8)
            offsets[n_offsets++] = (int)tm.tm_gmtoff;
    }
    for (int i = 0; i < n_offsets; i++) {
        struct zone_reading r;
        if (!reading_at(civil_s, civil_s - offsets[i], &r))
            continue;
        if (n == 2)
            return -1; /* three instants for one local time: no zone does that */
        out[n++] = r;
    }
    if (n == 2 && out[1].utc_us < out[0].utc_us) {
        struct zone_reading t = out[0];
        out[0] = out[1];
        out[1] = t;
    }
    return n;
}

/* Whether suffix names reading r: its UTC offset ("+HH:MM", "+HHMM" or "+HH", compared as
 * seconds), or the zone's abbreviation for it. */
static bool suffix_names(const char *suffix, const struct zone_reading *r)
{
    size_t n = strlen(suffix);
    if ((suffix[0] == '+' || suffix[0] == '-') && (n == 3 || n == 5 || n == 6)) {
        const char *mm = n == 6 ? suffix + 4 : n == 5 ? suffix + 3 : NULL; /* form: suffix_form */
        int seconds = ((suffix[1] - '0') * 10 + (suffix[2] - '0')) * 3600 +
                      (mm ? ((mm[0] - '0') * 10 + (mm[1] - '0')) * 60 : 0);
        if ((suffix[0] == '-' ? -seconds : seconds) == r->offset_s)
            return true;
    }
    return r->abbr[0] && strcasecmp(suffix, r->abbr) == 0;
}

void zone_format_offset(int offset_s, char out[8])
{
    int a = offset_s < 0 ? -offset_s : offset_s;
    snprintf(out, 8, "%c%02d:%02d", offset_s < 0 ? '-' : '+', a / 3600 % 100, a / 60 % 60);
}

/* The text read, and its readings here. */
static int readings_of_text(const char *text, struct written *w, struct zone_reading out[2], int *n)
{
    int rc = read_written(text, w);
    if (rc != ZONE_OK)
        return rc;
    *n = readings_of(w->civil_s, out);
    return *n < 0 ? ZONE_ERANGE : ZONE_OK;
}

int zone_local_readings(const char *text, struct zone_reading out[2], int *n)
{
    struct written w;
    return readings_of_text(text, &w, out, n);
}

int zone_parse_local(const char *text, int64_t *utc_us)
{
    struct written w;
    struct zone_reading r[2];
    int n = 0;
    int rc = readings_of_text(text, &w, r, &n);
    if (rc != ZONE_OK)
        return rc;
    if (n == 0)
        return ZONE_EGAP;
    if (!w.suffix[0]) {
        if (n == 2)
            return ZONE_EAMBIGUOUS;
        *utc_us = r[0].utc_us;
        return ZONE_OK;
    }
    int chosen = -1, named = 0;
    for (int i = 0; i < n; i++) {
        if (suffix_names(w.suffix, &r[i])) {
            chosen = i;
            named++;
        }
    }
    if (named == 0)
        return ZONE_EOFFSET;
    if (named == 2)
        return ZONE_EAMBIGUOUS; /* one abbreviation for both: only the offset tells them apart */
    *utc_us = r[chosen].utc_us;
    return ZONE_OK;
}
