/* base: what every module may use: the element count of an array and the clocks. */
#ifndef PRODUCT_SEARCH_BASE_H
#define PRODUCT_SEARCH_BASE_H

#include <stdint.h>
#include <time.h>

/* Elements of an array (not a pointer). */
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Monotonic time in nanoseconds: durations, never wall-clock time. */
static inline uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Coarse monotonic time in milliseconds (a few ms resolution, a fraction of
 * clock_ns()'s cost): deadlines checked on every request. */
static inline long long clock_coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
