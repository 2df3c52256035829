/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memwatch: interfaces between the module's files. The user-space API is
 * memwatch.h; this header is private to the module.
 */
#ifndef MEMWATCH_INTERNAL_H
#define MEMWATCH_INTERNAL_H

#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/types.h>

#include "memwatch.h"

struct pid;

/* Module parameters (memwatch_main.c). */
extern unsigned int memwatch_interval_ms;
extern unsigned int memwatch_max_entries;

/* memwatch_monitor.c: the table of watched processes and its sampler. */

/* Watch @pid (the table takes a reference of its own). */
int memwatch_watch_add(struct pid *pid, pid_t nr, u64 soft, u64 hard, bool update);
/* Stop watching @pid; -ENOENT when it is not watched. */
int memwatch_watch_remove(struct pid *pid);
/* Fill @entry for @pid, with the PID number as the caller sees it. */
int memwatch_watch_query(struct pid *pid, struct memwatch_entry *entry);
/*
 * Copy up to @capacity entries visible in the caller's PID namespace into
 * @entries; returns the number visible in total (may exceed @capacity).
 */
u32 memwatch_watch_list(struct memwatch_entry *entries, u32 capacity, u32 *count);
/* Does a thread of @pid's thread group still have an address space? */
bool memwatch_process_alive(struct pid *pid);
/* Stop the sampler and drop every entry (module unload, no readers left). */
void memwatch_monitor_exit(void);

/* memwatch_events.c: per-open-file event queues. */

int memwatch_events_open(struct file *file);
int memwatch_events_release(struct file *file);
ssize_t memwatch_events_read(struct file *file, char __user *buf, size_t len, loff_t *ppos);
__poll_t memwatch_events_poll(struct file *file, poll_table *wait);
/* Queue a copy of @event for every open file. */
void memwatch_events_emit(const struct memwatch_event *event);

/* memwatch_ioctl.c */
long memwatch_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* MEMWATCH_INTERNAL_H */
