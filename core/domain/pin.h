/* pin.h — trainer PIN rules, pure: the format, and the lockout (5 wrong PINs lock the trainer
 * out for 5 minutes), with the time passed in. The argon2id check itself is crypto_pin_verify. */
#ifndef CPD_PIN_H
#define CPD_PIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain/crypto.h"

#define PIN_MIN_DIGITS   4
#define PIN_MAX_DIGITS   6
#define PIN_MAX_FAILURES 5
#define PIN_LOCK_US      (INT64_C(5) * 60 * 1000000)

/* A trainer's PIN as stored: its argon2id hash and the lockout state. */
struct pin_record {
    char hash[CRYPTO_PIN_HASH_MAX];
    int failures;
    int64_t locked_until_us;
};

enum pin_verdict { PIN_ACCEPTED, PIN_REJECTED, PIN_LOCKED };

bool pin_format_ok(const char *pin);
bool pin_locked(const struct pin_record *record, int64_t now_us);
/* Records one attempt whose hash check gave `matches`; a locked record is judged PIN_LOCKED
 * whatever the PIN (so a locked-out guesser learns nothing). Updates failures and lock. */
enum pin_verdict pin_judge(struct pin_record *record, bool matches, int64_t now_us);
int pin_attempts_left(const struct pin_record *record);

#endif
