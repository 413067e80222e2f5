#include "core/domain/rules.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const half_names[HALF_COUNT] = {"Autumn 1", "Autumn 2", "Spring 1",
                                                   "Spring 2", "Summer 1", "Summer 2"};
static const char *const half_codes[HALF_COUNT] = {"autumn1", "autumn2", "spring1",
                                                   "spring2", "summer1", "summer2"};

void rules_default(struct rules *rules)
{
    /* Term dates: the usual Bolton LA pattern for 2023-24 (see deploy/kiosk.ini.example for
     * the source and the assumption); a trust sets its own in kiosk.ini [terms]. */
    static const int half_dates[HALF_COUNT][6] = {
        {2023, 9, 4, 2023, 10, 20}, {2023, 10, 30, 2023, 12, 20}, {2024, 1, 4, 2024, 2, 9},
        {2024, 2, 19, 2024, 3, 28}, {2024, 4, 15, 2024, 5, 24},   {2024, 6, 3, 2024, 7, 19},
    };
    memset(rules, 0, sizeof(*rules));
    rules->open_before_min = 30;
    rules->late_after_min = 10;
    rules->early_before_min = 10;
    rules->checkout_after_min = 60;
    rules->repeat_tap_s = 60;
    rules->confirm_leave_s = 10;
    rules->target_quarters = 16 * QUARTERS_PER_CREDIT;
    rules->prerecorded_cap_quarters = 8 * QUARTERS_PER_CREDIT;
    rules->accept_random_uids = false;
    rules->terms.year.first = civil_from_ymd(2023, 9, 1);
    rules->terms.year.last = civil_from_ymd(2024, 8, 31);
    for (int i = 0; i < HALF_COUNT; i++) {
        const int *d = half_dates[i];
        rules->terms.half[i].first = civil_from_ymd(d[0], d[1], d[2]);
        rules->terms.half[i].last = civil_from_ymd(d[3], d[4], d[5]);
    }
}

int rules_half_term_of(const struct terms *terms, civil_day day)
{
    if (day < terms->year.first || day > terms->year.last || day > terms->half[HALF_COUNT - 1].last)
        return -1;
    int found = HALF_AUTUMN1;
    for (int i = 0; i < HALF_COUNT; i++) {
        if (terms->half[i].first <= day)
            found = i;
    }
    return found;
}

int rules_term_of(const struct terms *terms, civil_day day)
{
    int half = rules_half_term_of(terms, day);
    return half < 0 ? -1 : half / 2;
}

civil_day rules_credit_year_first(civil_day year_first, civil_day day)
{
    int y0, month, mday, year, m, d;
    civil_to_ymd(year_first, &y0, &month, &mday);
    civil_to_ymd(day, &year, &m, &d);
    civil_day first = civil_from_ymd(year, month, mday);
    return first <= day ? first : civil_from_ymd(year - 1, month, mday);
}

const char *rules_half_term_name(int half)
{
    return half >= 0 && half < HALF_COUNT ? half_names[half] : "?";
}

const char *rules_half_term_code(int half)
{
    return half >= 0 && half < HALF_COUNT ? half_codes[half] : "?";
}

const char *rules_term_name(int term)
{
    static const char *const names[TERM_COUNT] = {"Autumn", "Spring", "Summer"};
    return term >= 0 && term < TERM_COUNT ? names[term] : "?";
}

int rules_half_term_parse(const char *code)
{
    for (int i = 0; i < HALF_COUNT; i++) {
        if (strcmp(code, half_codes[i]) == 0)
            return i;
    }
    return -1;
}

void rules_format_quarters(int quarters, char out[16])
{
    static const char *const fractions[4] = {"", ".25", ".5", ".75"};
    const char *sign = quarters < 0 ? "-" : "";
    int q = quarters < 0 ? -quarters : quarters;
    snprintf(out, 16, "%s%d%s", sign, q / QUARTERS_PER_CREDIT, fractions[q % QUARTERS_PER_CREDIT]);
}

int rules_parse_quarters(const char *text, int *quarters_out)
{
    int whole = 0;
    size_t i = 0;
    if (!isdigit((unsigned char)text[0]))
        return -1;
    for (; isdigit((unsigned char)text[i]); i++) {
        whole = whole * 10 + (text[i] - '0');
        if (whole > 999)
            return -1;
    }
    int frac = 0;
    if (text[i] == '.') {
        const char *f = text + i + 1;
        if (strcmp(f, "0") == 0 || strcmp(f, "00") == 0)
            frac = 0;
        else if (strcmp(f, "25") == 0)
            frac = 1;
        else if (strcmp(f, "5") == 0 || strcmp(f, "50") == 0)
            frac = 2;
        else if (strcmp(f, "75") == 0)
            frac = 3;
        else
            return -1;
    } else if (text[i] != '\0') {
        return -1;
    }
    *quarters_out = whole * QUARTERS_PER_CREDIT + frac;
    return 0;
}
