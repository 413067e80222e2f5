/* service.h — telling systemd how the kiosk is (libsystemd's sd_notify; service.c is the only
 * includer): ready once the first screen is up, and alive at least every half watchdog period
 * from the UI loop itself, so a hung loop stops the pings and systemd restarts the kiosk
 * (WatchdogSec= in cpd-kiosk.service). Outside systemd every call does nothing. */
#ifndef CPD_SERVICE_H
#define CPD_SERVICE_H

#include <stdint.h>

struct service {
    int64_t watchdog_us; /* WatchdogSec as the environment says, 0: none */
    int64_t last_ping_us;
    int ready;
};

void service_init(struct service *s);
/* The first screen is up. */
void service_ready(struct service *s, const char *status);
/* From each turn of the UI loop: pings the watchdog when it is due. */
void service_alive(struct service *s, int64_t mono_us);
/* The longest the UI loop may wait for input before it must come round again (ms), or -1. */
int service_max_wait_ms(const struct service *s);
void service_stopping(void);

#endif
