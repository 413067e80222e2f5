/* store_fault.h — the store's last failure as the banner shows it: set by whichever part of
 * the kiosk met it (taps, the PIN pad, trainer mode), logged once, cleared by the next
 * success. The kiosk owns it; trainer mode is handed a pointer. */
#ifndef CPD_STORE_FAULT_H
#define CPD_STORE_FAULT_H

#include <stdbool.h>

#include "core/store/store.h"

struct store_fault {
    bool failed;
    char text[160]; /* "what: why — the store's detail" */
};

/* Records err met while doing what (e.g. "cannot read the register"), and logs it. */
void store_fault_set(struct store_fault *f, struct store *store, int err, const char *what);
void store_fault_clear(struct store_fault *f);

#endif
