/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * memwatch: user-space API of the kernel memory monitor.
 *
 * The module creates the misc device /dev/memwatch. A privileged caller
 * registers a process with a soft and a hard limit on its resident set
 * (RSS, counted for the whole thread group because threads share one mm).
 * The module samples the RSS of every registered process periodically; the
 * first time the RSS reaches the soft limit it logs a warning and queues a
 * WARNED event, when it reaches the hard limit it sends SIGKILL to the
 * thread group and queues a KILLED event, and when the process has exited
 * it queues an EXITED event and forgets the entry. The sampling interval is
 * the module parameter interval_ms (default 100 ms): a process can run past
 * its hard limit by what it allocates within one interval.
 *
 * Rules shared by every ioctl (Documentation/process/botching-up-ioctls.rst):
 *  - the argument is a pointer to one of the structs below, aligned as
 *    __u64 is in the caller's ABI (8 bytes; 4 for 32-bit x86 callers); an
 *    unaligned pointer is refused with EINVAL;
 *  - the struct's first field, size, must equal sizeof() the struct as this
 *    header defines it (EINVAL otherwise): a later, longer version of a
 *    struct gets a new command number, so old binaries keep working;
 *  - every flag bit not defined here and every reserved or padding field
 *    must be zero (EINVAL otherwise);
 *  - an unknown command fails with ENOTTY;
 *  - PIDs are numbers in the caller's PID namespace; the module itself holds
 *    a reference to the process (struct pid), never the bare number, so a
 *    reused PID number is never confused with the registered process.
 *
 * Errors (negated errno values returned by the ioctl, i.e. -1 and errno set):
 *  EPERM   REGISTER or UNREGISTER without CAP_SYS_ADMIN
 *  EINVAL  bad size, flags, reserved field, alignment, or limits (zero,
 *          below one page, above MEMWATCH_LIMIT_MAX, soft above hard),
 *          or the PID names a kernel thread
 *  ESRCH   REGISTER of a PID that is not a live thread-group leader
 *  EEXIST  REGISTER of a process already registered (without
 *          MEMWATCH_REGISTER_UPDATE)
 *  ENOENT  UNREGISTER or QUERY of a process that is not registered, or
 *          REGISTER with MEMWATCH_REGISTER_UPDATE of one that is not
 *  ENOSPC  REGISTER while max_entries (module parameter) are registered
 *  EFAULT  the struct or the LIST buffer is not readable/writable
 *  ENOMEM  no memory for a new entry or the LIST copy
 *
 * Events: read() on the device returns whole struct memwatch_event records
 * (a buffer smaller than one record fails with EINVAL); it blocks until an
 * event is queued unless the file is O_NONBLOCK (EAGAIN). poll() reports
 * POLLIN while events are queued. Each open file has its own queue, which
 * receives the events that happen after open(); when it is full, newer
 * events are dropped and counted, and the next read() starts with one
 * MEMWATCH_EVENT_LOST record carrying the count. The queue holds 256
 * events. An open file pins the module: it cannot be unloaded meanwhile.
 */
#ifndef MEMWATCH_H
#define MEMWATCH_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define MEMWATCH_DEVICE		"/dev/memwatch"

/*
 * Not listed in ioctl-number.rst (out-of-tree module); the commands only
 * reach this device's file operations, and their numbers encode the struct
 * sizes, so a struct of another size is refused with ENOTTY.
 */
#define MEMWATCH_IOC_MAGIC	0xCA

/* Largest limit accepted: far beyond any RSS, small enough to be sane. */
#define MEMWATCH_LIMIT_MAX	_BITULL(50)

/* States reported by QUERY and LIST. */
enum memwatch_state {
	MEMWATCH_STATE_WATCHED = 1,	/* RSS below the soft limit so far */
	MEMWATCH_STATE_WARNED = 2,	/* soft limit reached once, warned */
	MEMWATCH_STATE_KILLED = 3,	/* hard limit reached, SIGKILL sent */
};

/* Event types of struct memwatch_event. */
enum memwatch_event_type {
	MEMWATCH_EVENT_WARNED = 1,	/* RSS reached the soft limit */
	MEMWATCH_EVENT_KILLED = 2,	/* RSS reached the hard limit, SIGKILL sent */
	MEMWATCH_EVENT_EXITED = 3,	/* process gone, entry removed */
	MEMWATCH_EVENT_LOST = 4,	/* queue was full, see memwatch_event.lost */
};

/*
 * REGISTER flag: change the limits of an already registered process; a
 * warned process may warn again under the new soft limit.
 */
#define MEMWATCH_REGISTER_UPDATE	_BITUL(0)
#define MEMWATCH_REGISTER_FLAGS		(MEMWATCH_REGISTER_UPDATE)

struct memwatch_register {
	__u32 size;		/* in: sizeof(struct memwatch_register) */
	__u32 flags;		/* in: MEMWATCH_REGISTER_* bits, others zero */
	__s32 pid;		/* in: thread-group leader, caller's namespace */
	__u32 pad;		/* must be zero */
	__u64 soft_limit;	/* in: bytes of RSS that trigger one warning */
	__u64 hard_limit;	/* in: bytes of RSS that trigger SIGKILL */
	__u64 reserved[2];	/* must be zero */
};

struct memwatch_unregister {
	__u32 size;		/* in: sizeof(struct memwatch_unregister) */
	__u32 flags;		/* in: no flags defined, must be zero */
	__s32 pid;		/* in: registered process, caller's namespace */
	__u32 pad;		/* must be zero */
	__u64 reserved;		/* must be zero */
};

/* One registered process, as QUERY and LIST report it. */
struct memwatch_entry {
	__s32 pid;		/* out: PID in the caller's namespace */
	__u32 state;		/* out: enum memwatch_state */
	__u64 rss;		/* out: bytes of RSS at the last sample */
	__u64 peak_rss;		/* out: highest RSS sampled, bytes */
	__u64 soft_limit;	/* out: bytes */
	__u64 hard_limit;	/* out: bytes */
	__u64 samples;		/* out: number of samples taken so far */
	__u64 reserved;		/* out: zero */
};

struct memwatch_query {
	__u32 size;		/* in: sizeof(struct memwatch_query) */
	__u32 flags;		/* in: no flags defined, must be zero */
	__s32 pid;		/* in: registered process, caller's namespace */
	__u32 pad;		/* must be zero */
	struct memwatch_entry entry;	/* out: its state; in: ignored */
	__u64 reserved;		/* must be zero */
};

/*
 * LIST copies up to capacity entries into the array at entries; processes
 * invisible in the caller's PID namespace are left out.
 */
struct memwatch_list {
	__u32 size;		/* in: sizeof(struct memwatch_list) */
	__u32 flags;		/* in: no flags defined, must be zero */
	__u32 entry_size;	/* in: sizeof(struct memwatch_entry) */
	__u32 capacity;		/* in: entries the array has room for */
	__u64 entries;		/* in: user pointer to the array, aligned */
	__u32 count;		/* out: entries written */
	__u32 total;		/* out: entries visible (may exceed capacity) */
	__u64 reserved;		/* must be zero */
};

/* Fixed-size record returned by read(). */
struct memwatch_event {
	__u32 type;		/* enum memwatch_event_type */
	__s32 pid;		/* PID as registered (registrant's namespace) */
	__u64 time_ns;		/* CLOCK_MONOTONIC time of the sample */
	__u64 rss;		/* bytes of RSS at that sample */
	__u64 peak_rss;		/* highest RSS sampled, bytes */
	__u64 limit;		/* limit reached (WARNED, KILLED), else 0 */
	__u32 lost;		/* LOST: number of events dropped, else 0 */
	__u32 reserved;		/* zero */
};

#define MEMWATCH_IOC_REGISTER \
	_IOW(MEMWATCH_IOC_MAGIC, 1, struct memwatch_register)
#define MEMWATCH_IOC_UNREGISTER \
	_IOW(MEMWATCH_IOC_MAGIC, 2, struct memwatch_unregister)
#define MEMWATCH_IOC_QUERY \
	_IOWR(MEMWATCH_IOC_MAGIC, 3, struct memwatch_query)
#define MEMWATCH_IOC_LIST \
	_IOWR(MEMWATCH_IOC_MAGIC, 4, struct memwatch_list)

#endif /* MEMWATCH_H */
