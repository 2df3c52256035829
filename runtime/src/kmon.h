/* The hook to the project's kernel memory monitor (kmod/, /dev/memwatch):
 * registers a container's init with soft and hard RSS limits. */
#ifndef RT_KMON_H
#define RT_KMON_H

#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include "util.h"

/* Does the device exist? */
int kmon_available(void);

/* Registers pid; -ENODEV with a clear message when there is no device. */
int kmon_register(pid_t pid, uint64_t soft, uint64_t hard, struct herror *err);

/* Adds the monitor's view of pid (state, rss, peak) to out, if registered. */
void kmon_describe(pid_t pid, cJSON *out);

/* An O_NONBLOCK event file, or -1 without the device. */
int kmon_open_events(void);

/* One event of the device, as struct memwatch_event has it. */
struct kmon_event {
	int type;		/* KMON_WARNED, KMON_KILLED, or 0 for others */
	pid_t pid;
	uint64_t time_ns;	/* CLOCK_MONOTONIC of the sample */
	uint64_t rss, peak_rss, limit;
};
#define KMON_WARNED 1
#define KMON_KILLED 2

/* Reads one event into ev: 0, or negative errno when none is ready. */
int kmon_read_event(int fd, struct kmon_event *ev);
/* {"rss", "peak_rss", "limit", "time_s"} of an event (time_s: CLOCK_MONOTONIC). */
cJSON *kmon_event_json(const struct kmon_event *ev);

#endif
