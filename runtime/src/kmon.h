/* The hook to the project's kernel memory monitor (kmod/, /dev/memwatch):
 * registers a container's init with soft and hard RSS limits. */
#ifndef RT_KMON_H
#define RT_KMON_H

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

/* Reads one event; 1 with *killed_pid set for a KILLED event, 0 for other
 * events, negative errno when none is ready. */
int kmon_read_event(int fd, pid_t *killed_pid);

#endif
