/* clockcheck.h — whether the kiosk's wall clock can be believed for a tap. No tap is decided,
 * and no forgotten sign-out closed, on a clock that is before the configured credit year (a
 * dead real-time clock says 1970), far ahead of the newest believed reading (a jump to 2099),
 * or that disagrees with the monotonic clock by more than a few minutes since the newest
 * reading of this boot. The readings are the last tap decided on a believed clock and the last
 * sync, whose measured offset to the ledger's clock says what the time really was then: the
 * ledger is the evidence that lets taps resume once a clock is put right. Pure. */
#ifndef CPD_CLOCKCHECK_H
#define CPD_CLOCKCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/domain/rules.h"

#define CLOCK_BEFORE_YEAR_DAYS 60  /* earlier than the year's first day − this */
#define CLOCK_AHEAD_DAYS       400 /* later than the newest reading + this */
#define CLOCK_DRIFT_US         (INT64_C(5) * 60000000) /* wall vs monotonic since a reading */

/* A moment both clocks were read: the wall time it really was, and the monotonic time. */
struct clock_reading {
    bool known;
    bool this_boot; /* mono_us is comparable with now's */
    int64_t wall_us, mono_us;
};

struct clock_evidence {
    const struct rules *rules;
    struct clock_reading last_tap; /* the last tap decided on a believed clock */
    struct clock_reading ledger;   /* the last sync: the ledger's time then */
    int64_t newest_event_wall_us;  /* the newest event not refused for its clock (0: none) */
};

enum clock_verdict { CLOCK_OK, CLOCK_BEFORE_YEAR, CLOCK_FAR_AHEAD, CLOCK_DISAGREES };

enum clock_verdict clock_check(const struct clock_evidence *evidence, int64_t wall_us,
                               int64_t mono_us);
/* Plain words for the log, trainer mode and cpd-admin. */
const char *clock_verdict_text(enum clock_verdict verdict);
/* "before_year", "far_ahead", "disagrees" (in the refused tap's event). */
const char *clock_verdict_code(enum clock_verdict verdict);

#endif
