#include "core/domain/clockcheck.h"

#include <stddef.h>

#include "core/base/timeunits.h"

/* The reading of this boot taken last. */
static const struct clock_reading *latest(const struct clock_evidence *ev, int64_t mono_us)
{
    const struct clock_reading *best = NULL;
    const struct clock_reading *all[2] = {&ev->last_tap, &ev->ledger};
    for (int i = 0; i < 2; i++) {
        const struct clock_reading *r = all[i];
        if (r->known && r->this_boot && r->mono_us <= mono_us &&
            (!best || r->mono_us > best->mono_us))
            best = r;
    }
    return best;
}

enum clock_verdict clock_check(const struct clock_evidence *ev, int64_t wall_us, int64_t mono_us)
{
    /* The credit year's first day at 00:00 UTC: a bound, not a calendar. */
    int64_t year_start = (int64_t)ev->rules->terms.year.first * US_PER_DAY;
    if (wall_us < year_start - CLOCK_BEFORE_YEAR_DAYS * US_PER_DAY)
        return CLOCK_BEFORE_YEAR;
    int64_t newest = ev->last_tap.known ? ev->last_tap.wall_us : 0;
    if (ev->ledger.known && ev->ledger.wall_us > newest)
        newest = ev->ledger.wall_us;
    if (ev->newest_event_wall_us > newest)
        newest = ev->newest_event_wall_us;
    if (newest && wall_us > newest + CLOCK_AHEAD_DAYS * US_PER_DAY)
        return CLOCK_FAR_AHEAD;
    const struct clock_reading *r = latest(ev, mono_us);
    if (r) {
        int64_t drift = (wall_us - r->wall_us) - (mono_us - r->mono_us);
        if (drift > CLOCK_DRIFT_US || drift < -CLOCK_DRIFT_US)
            return CLOCK_DISAGREES;
    }
    return CLOCK_OK;
}

const char *clock_verdict_text(enum clock_verdict v)
{
    switch (v) {
    case CLOCK_OK:
        return "the clock is plausible";
    case CLOCK_BEFORE_YEAR:
        return "the clock is before the credit year (has the real-time clock lost its time?)";
    case CLOCK_FAR_AHEAD:
        return "the clock is far ahead of the last tap and the last sync";
    case CLOCK_DISAGREES:
        return "the clock jumped: it disagrees with the time elapsed since the last tap or sync";
    }
    return "?";
}

const char *clock_verdict_code(enum clock_verdict v)
{
    static const char *const codes[] = {"ok", "before_year", "far_ahead", "disagrees"};
    return v <= CLOCK_DISAGREES ? codes[v] : "?";
}
