#include "config.h"

#include <stdio.h>
#include <string.h>

/* Transitional: config_load is being written (see issue 4); only the defaults exist yet. */
void config_default(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->kiosk.id, sizeof(cfg->kiosk.id), "central-1");
    snprintf(cfg->kiosk.site, sizeof(cfg->kiosk.site), "Central Office");
    snprintf(cfg->kiosk.timezone, sizeof(cfg->kiosk.timezone), "Europe/London");
    snprintf(cfg->kiosk.database, sizeof(cfg->kiosk.database), "/var/lib/cpd-kiosk/kiosk.db");
    cfg->reader.driver = READER_DRIVER_LIBNFC;
    snprintf(cfg->reader.connstring, sizeof(cfg->reader.connstring), "pn532_uart:/dev/ttyUSB0");
    cfg->reader.poll_ms = 50;
    cfg->reader.debounce_ms = 1500;
    cfg->reader.keyboard_format = UID_TEXT_HEX;
    cfg->reader.keyboard_byte_order = UID_ORDER_MSB_FIRST;
    rules_default(&cfg->rules);
    cfg->display.fullscreen = true;
    snprintf(cfg->display.font, sizeof(cfg->display.font), "DejaVu Sans");
    cfg->display.sound = true;
    cfg->display.result_seconds = 5;
    cfg->sync.batch = 1000;
    cfg->sync.connect_timeout_s = 10;
    cfg->sync.clock_warn_s = 60;
}

int config_load(struct config *cfg, const char *path, config_report_fn report, void *ctx)
{
    (void)cfg;
    (void)path;
    (void)report;
    (void)ctx;
    return CONFIG_EINVALID;
}

const char *config_strerror(int err)
{
    switch (err) {
    case CONFIG_OK:
        return "ok";
    case CONFIG_ENOENT:
        return "cannot open the configuration file";
    case CONFIG_EINVALID:
        return "invalid configuration";
    case CONFIG_ENOMEM:
        return "out of memory";
    default:
        return "unknown configuration error";
    }
}
