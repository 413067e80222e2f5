/* timeunits.h — the lengths of time every layer counts in microseconds, defined once. */
#ifndef CPD_TIMEUNITS_H
#define CPD_TIMEUNITS_H

#include <stdint.h>

#define US_PER_MS   INT64_C(1000)
#define US_PER_S    INT64_C(1000000)
#define US_PER_MIN  (60 * US_PER_S)
#define US_PER_HOUR (60 * US_PER_MIN)
#define US_PER_DAY  (24 * US_PER_HOUR)
#define S_PER_DAY   INT64_C(86400)

#endif
