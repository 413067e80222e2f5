#include "core/base/utf8.h"
#include "ui/sync_status.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/base/timeunits.h"
#include "core/base/zone.h"

void sync_status_fill(const struct sync_facts *f, int64_t now, struct kiosk_status *s)
{
    char when[32] = "", waiting[32] = "";
    s->sync_available = f->configured && !f->running;
    s->sync_why[0] = '\0';
    if (f->waiting > 0)
        utf8_printf(waiting, sizeof(waiting), " · %lld waiting", (long long)f->waiting);
    if (!f->configured) {
        s->sync_tone = TONE_V_NEUTRAL;
        utf8_printf(s->sync_text, sizeof(s->sync_text), "Taps kept here");
        utf8_printf(s->sync_why, sizeof(s->sync_why),
                    "Sync to head office is not set up ([sync] conninfo)");
    } else if (f->running) {
        s->sync_tone = TONE_V_INFO;
        utf8_printf(s->sync_text, sizeof(s->sync_text), "Syncing…%s", waiting);
        utf8_printf(s->sync_why, sizeof(s->sync_why), "A sync is running");
    } else if (f->last_error[0]) {
        s->sync_tone = TONE_V_ERROR;
        utf8_printf(s->sync_text, sizeof(s->sync_text), "Sync failed%s", waiting);
    } else if (f->last_success_us == 0) {
        s->sync_tone = TONE_V_WARNING;
        utf8_printf(s->sync_text, sizeof(s->sync_text), "Never synced%s", waiting);
    } else {
        int64_t age = now - f->last_success_us;
        if (age < 20 * US_PER_HOUR)
            zone_format_hhmm(f->last_success_us, when);
        else
            utf8_printf(when, sizeof(when), "%lld days ago",
                        (long long)((age + 12 * US_PER_HOUR) / (24 * US_PER_HOUR)));
        /* Nightly syncs: two nights missed is worth a warning. */
        s->sync_tone = age > 48 * US_PER_HOUR ? TONE_V_WARNING : TONE_V_OK;
        utf8_printf(s->sync_text, sizeof(s->sync_text), "Synced %s%s", when, waiting);
    }
    char last[32] = "never";
    if (f->last_success_us)
        zone_format_day_time(f->last_success_us, last);
    utf8_printf(s->sync_detail, sizeof(s->sync_detail), "%s%s%s · last sent %s · %lld waiting%s%s",
                s->sync_text, s->sync_why[0] ? " — " : "", s->sync_why, last, (long long)f->waiting,
                f->last_error[0] ? " · last error: " : "", f->last_error);
    if (f->has_offset && llabs(f->clock_offset_ms) > (long long)f->clock_warn_s * 1000) {
        s->clock_ok = false;
        utf8_printf(s->clock_text, sizeof(s->clock_text), "Clock %lld s %s the ledger",
                    llabs(f->clock_offset_ms) / 1000,
                    f->clock_offset_ms > 0 ? "behind" : "ahead of");
    }
}
