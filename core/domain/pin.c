#include "core/domain/pin.h"

#include <ctype.h>
#include <string.h>

bool pin_format_ok(const char *pin)
{
    size_t n = strlen(pin);
    if (n < PIN_MIN_DIGITS || n > PIN_MAX_DIGITS)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)pin[i]))
            return false;
    }
    return true;
}

bool pin_locked(const struct pin_record *r, int64_t now_us)
{
    return r->locked_until_us > now_us;
}

enum pin_verdict pin_judge(struct pin_record *r, bool matches, int64_t now_us)
{
    if (pin_locked(r, now_us))
        return PIN_LOCKED;
    if (r->locked_until_us != 0) { /* a lock that has run out starts a fresh count */
        r->locked_until_us = 0;
        r->failures = 0;
    }
    if (matches) {
        r->failures = 0;
        return PIN_ACCEPTED;
    }
    if (++r->failures >= PIN_MAX_FAILURES) {
        r->locked_until_us = now_us + PIN_LOCK_US;
        return PIN_LOCKED;
    }
    return PIN_REJECTED;
}

int pin_attempts_left(const struct pin_record *r)
{
    int left = PIN_MAX_FAILURES - r->failures;
    return left < 0 ? 0 : left;
}
