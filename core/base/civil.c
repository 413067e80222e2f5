#include "core/base/civil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const weekday_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                             "Friday", "Saturday", "Sunday"};
static const char *const month_abbrs[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days-from-civil after Howard Hinnant's algorithm: exact for the whole int32 range we use. */
civil_day civil_from_ymd(int year, int month, int day)
{
    int y = month <= 2 ? year - 1 : year;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (civil_day)(era * 146097 + doe - 719468);
}

void civil_to_ymd(civil_day day, int *year, int *month, int *mday)
{
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *mday = d;
}

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

bool civil_ymd_valid(int year, int month, int day)
{
    static const int days_in_month[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1)
        return false;
    int limit = days_in_month[month - 1] + (month == 2 && is_leap(year));
    return day <= limit;
}

int civil_weekday(civil_day day)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int w = (int)((day + 3) % 7);
    return w < 0 ? w + 7 : w;
}

const char *civil_weekday_name(int weekday)
{
    return weekday >= 0 && weekday < 7 ? weekday_names[weekday] : "?";
}

const char *civil_weekday_abbr(int weekday)
{
    static const char *const abbrs[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    return weekday >= 0 && weekday < 7 ? abbrs[weekday] : "?";
}

const char *civil_month_abbr(int month)
{
    return month >= 1 && month <= 12 ? month_abbrs[month - 1] : "?";
}

int civil_weekday_parse(const char *name)
{
    for (int i = 0; i < 7; i++) {
        if (strcasecmp(name, weekday_names[i]) == 0 || strcasecmp(name, civil_weekday_abbr(i)) == 0)
            return i;
    }
    return -1;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

int civil_parse_date(const char *text, civil_day *out)
{
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-' || !all_digits(text, 4) ||
        !all_digits(text + 5, 2) || !all_digits(text + 8, 2))
        return -1;
    int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    int m = (text[5] - '0') * 10 + (text[6] - '0');
    int d = (text[8] - '0') * 10 + (text[9] - '0');
    if (!civil_ymd_valid(y, m, d))
        return -1;
    *out = civil_from_ymd(y, m, d);
    return 0;
}

int civil_parse_hhmm(const char *text, int *minutes_out)
{
    if (strlen(text) != 5 || text[2] != ':' || !all_digits(text, 2) || !all_digits(text + 3, 2))
        return -1;
    int h = (text[0] - '0') * 10 + (text[1] - '0');
    int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    *minutes_out = h * 60 + m;
    return 0;
}

void civil_format_date(civil_day day, char out[CIVIL_DATE_LEN])
{
    int y, m, d;
    civil_to_ymd(day, &y, &m, &d);
    char tmp[48]; /* room for any int, so the compiler can prove no truncation */
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
    snprintf(out, CIVIL_DATE_LEN, "%.10s", tmp);
}

void civil_format_short(civil_day day, char out[16])
{
    int y, m, d;
    civil_to_ymd(day, &y, &m, &d);
    snprintf(out, 16, "%s %d %s", civil_weekday_abbr(civil_weekday(day)), d % 100,
             civil_month_abbr(m));
}
