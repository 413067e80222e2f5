#include "apps/cpd-kiosk/service.h"

#include <stddef.h>

#include <systemd/sd-daemon.h>

void service_init(struct service *s)
{
    uint64_t usec = 0;
    s->watchdog_us = sd_watchdog_enabled(0, &usec) > 0 ? (int64_t)usec : 0;
    s->last_ping_us = 0;
    s->ready = 0;
}

void service_ready(struct service *s, const char *status)
{
    if (s->ready)
        return;
    s->ready = 1;
    sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void service_alive(struct service *s, int64_t mono_us)
{
    if (s->watchdog_us <= 0 || mono_us - s->last_ping_us < s->watchdog_us / 2)
        return;
    s->last_ping_us = mono_us;
    sd_notify(0, "WATCHDOG=1");
}

int service_max_wait_ms(const struct service *s)
{
    return s->watchdog_us > 0 ? (int)(s->watchdog_us / 2 / 1000) : -1;
}

void service_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}
