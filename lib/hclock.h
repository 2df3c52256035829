/* hclock: the clocks every component reads. */
#ifndef HCOMMON_HCLOCK_H
#define HCOMMON_HCLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: durations, deadlines, sample times. */
uint64_t mono_ns(void);
/* CLOCK_MONOTONIC in seconds. */
double mono_s(void);
/* CLOCK_REALTIME in seconds since the epoch: timestamps for humans. */
double wall_s(void);
/* Sleep for s seconds (nothing when s <= 0); a signal may end it early. */
void sleep_s(double s);

#endif
