/* sync_status.h — what the status chips and the "Sync now" button say about syncing: pure, from
 * the facts the app gathers (sync state in the store, events waiting, a sync running). */
#ifndef CPD_SYNC_STATUS_H
#define CPD_SYNC_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "ui/kiosk.h"

struct sync_facts {
    bool configured;
    bool running;
    int64_t last_success_us; /* 0: never */
    int64_t waiting;         /* events the ledger does not have yet */
    char last_error[160];
    bool has_offset;
    int64_t clock_offset_ms; /* ledger − kiosk */
    int clock_warn_s;
};

/* Fills the sync fields of status, and the clock ones when the ledger's clock disagrees. */
void sync_status_fill(const struct sync_facts *facts, int64_t now_us, struct kiosk_status *status);

#endif
