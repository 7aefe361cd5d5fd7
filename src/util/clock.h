/* clock.h — the one monotonic clock: CLOCK_MONOTONIC read in one place, for durations,
 * deadlines and phase timings (never for wall-clock times, which are CLOCK_REALTIME:
 * time_now_us in transform, the log's timestamps). It never goes backwards and does not
 * jump with settimeofday/NTP steps, so a difference of two readings is an elapsed time. */
#ifndef MATERIA_CLOCK_H
#define MATERIA_CLOCK_H

#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC (an arbitrary origin: only differences mean anything). */
int64_t clock_mono_ns(void);

/* The same clock in milliseconds (phase timings in debug logs). */
static inline double clock_mono_ms(void)
{
    return (double)clock_mono_ns() / 1e6;
}

#endif
