/* cpd_ledger's guard on kiosk and office sessions (cpd_guard.c). */
#ifndef CPD_GUARD_H
#define CPD_GUARD_H

/* Defines the per-login limits and installs the hook; called by the module's _PG_init. */
void cpd_guard_init(void);

#endif
