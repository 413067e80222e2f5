/* tap_text.h — the words a result screen shows for a tap, shared by the kiosk's view model and
 * `cpd-admin tap`. Pure formatting (times shown in the configured zone via zone.h). */
#ifndef CPD_TAP_TEXT_H
#define CPD_TAP_TEXT_H

#include "core/services/tapflow.h"

#define TAP_TEXT_LINES 8
#define TAP_TEXT_LEN   192

enum tap_tone { TONE_OK, TONE_INFO, TONE_WARNING, TONE_ERROR };

struct tap_text {
    enum tap_tone tone;
    char headline[TAP_TEXT_LEN]; /* "Signed in" */
    char lines[TAP_TEXT_LINES][TAP_TEXT_LEN];
    int n_lines;
    int credits_line; /* index of the "… / 16 credits this year" line, -1 when none */
};

void tap_text_build(const struct tap_result *result, struct tap_text *out);
/* "CPI 3 of 4 — next Thu 21 Sep 15:15" for a package; "" when the session is not in one. */
void tap_text_package(const struct package_progress *p, int in_progress, char *out, size_t cap);
/* "7.5 / 16 credits this year (Autumn 7.5 · Spring 0 · Summer 0)" */
void tap_text_credits(const struct credit_summary *s, char *out, size_t cap);
const char *tap_text_tone_name(enum tap_tone tone);

#endif
