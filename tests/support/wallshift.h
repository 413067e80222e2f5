/* wallshift.h — the test process's wall clock moved, to play a kiosk whose clock is wrong
 * against a real ledger that knows the time. wallshift.c defines clock_gettime itself, so link
 * it only into a test executable: there it stands in for libc's for the whole process (the
 * kiosk's clock_wall_us included). CLOCK_REALTIME moves; monotonic clocks never do. Nothing
 * here is for the product. */
#ifndef CPD_WALLSHIFT_H
#define CPD_WALLSHIFT_H

#include <stdint.h>

/* From now on the wall clock reads us later (earlier when negative); 0 puts it right. */
void wallshift_set(int64_t us);

#endif
