// SPDX-License-Identifier: GPL-2.0
/*
 * memwatch: the table of watched processes and the sampler that enforces
 * their limits.
 *
 * Each entry holds a reference to the process's struct pid, so a PID
 * number reused by another process is never mistaken for it. A delayed
 * work item samples every entry in process context while the table is not
 * empty; all table accesses happen in process context, under watch_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "memwatch_internal.h"

struct memwatch_watch {
	struct list_head node;
	struct pid *pid;	/* reference held by the entry */
	pid_t nr;		/* PID number as registered, for events */
	u64 soft_limit;
	u64 hard_limit;
	u64 rss;
	u64 peak_rss;
	u64 samples;
	u32 state;		/* enum memwatch_state */
};

static LIST_HEAD(watches);
static unsigned int watch_count;
static DEFINE_MUTEX(watch_lock);

static void memwatch_sample_all(struct work_struct *work);
static DECLARE_DELAYED_WORK(sampler, memwatch_sample_all);

static void memwatch_sampler_kick(void)
{
	/* A no-op while the work is pending; it re-arms itself while needed. */
	schedule_delayed_work(&sampler, msecs_to_jiffies(memwatch_interval_ms));
}

static struct memwatch_watch *memwatch_find(struct pid *pid)
{
	struct memwatch_watch *watch;

	lockdep_assert_held(&watch_lock);
	list_for_each_entry(watch, &watches, node)
		if (watch->pid == pid)
			return watch;
	return NULL;
}

static void memwatch_free(struct memwatch_watch *watch)
{
	put_pid(watch->pid);
	kfree(watch);
}

int memwatch_watch_add(struct pid *pid, pid_t nr, u64 soft, u64 hard, bool update)
{
	struct memwatch_watch *watch, *fresh;
	int ret = 0;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;

	mutex_lock(&watch_lock);
	watch = memwatch_find(pid);
	if (watch && !update) {
		ret = -EEXIST;
	} else if (watch) {
		/* New limits: a warned process may warn again, a killed one stays. */
		watch->soft_limit = soft;
		watch->hard_limit = hard;
		if (watch->state == MEMWATCH_STATE_WARNED)
			watch->state = MEMWATCH_STATE_WATCHED;
	} else if (update) {
		ret = -ENOENT;
	} else if (watch_count >= memwatch_max_entries) {
		ret = -ENOSPC;
	} else {
		fresh->pid = get_pid(pid);
		fresh->nr = nr;
		fresh->soft_limit = soft;
		fresh->hard_limit = hard;
		fresh->state = MEMWATCH_STATE_WATCHED;
		list_add_tail(&fresh->node, &watches);
		watch_count++;
		fresh = NULL;
		memwatch_sampler_kick();
	}
	mutex_unlock(&watch_lock);

	kfree(fresh);
	return ret;
}

int memwatch_watch_remove(struct pid *pid)
{
	struct memwatch_watch *watch;

	mutex_lock(&watch_lock);
	watch = memwatch_find(pid);
	if (watch) {
		list_del(&watch->node);
		watch_count--;
	}
	mutex_unlock(&watch_lock);

	if (!watch)
		return -ENOENT;
	memwatch_free(watch);
	return 0;
}

static void memwatch_fill_entry(const struct memwatch_watch *watch, pid_t vnr,
				struct memwatch_entry *entry)
{
	*entry = (struct memwatch_entry) {
		.pid = vnr,
		.state = watch->state,
		.rss = watch->rss,
		.peak_rss = watch->peak_rss,
		.soft_limit = watch->soft_limit,
		.hard_limit = watch->hard_limit,
		.samples = watch->samples,
	};
}

int memwatch_watch_query(struct pid *pid, struct memwatch_entry *entry)
{
	struct memwatch_watch *watch;
	int ret = -ENOENT;

	mutex_lock(&watch_lock);
	watch = memwatch_find(pid);
	if (watch) {
		memwatch_fill_entry(watch, pid_vnr(pid), entry);
		ret = 0;
	}
	mutex_unlock(&watch_lock);
	return ret;
}

u32 memwatch_watch_list(struct memwatch_entry *entries, u32 capacity, u32 *count)
{
	struct memwatch_watch *watch;
	u32 total = 0;
	pid_t vnr;

	*count = 0;
	mutex_lock(&watch_lock);
	list_for_each_entry(watch, &watches, node) {
		vnr = pid_vnr(watch->pid);
		if (!vnr)	/* not visible in the caller's PID namespace */
			continue;
		if (*count < capacity)
			memwatch_fill_entry(watch, vnr, &entries[(*count)++]);
		total++;
	}
	mutex_unlock(&watch_lock);
	return total;
}

/*
 * The address space of the thread group behind @pid, with a reference, or
 * NULL once the group has exited. Any live thread will do: the leader may
 * have exited (and dropped its mm) while the other threads run on.
 */
static struct mm_struct *memwatch_get_group_mm(struct pid *pid, char *comm)
{
	struct task_struct *leader, *thread;
	struct mm_struct *mm = NULL;

	rcu_read_lock();
	leader = pid_task(pid, PIDTYPE_TGID);
	if (leader) {
		/* What get_task_comm() does in recent kernels, for both. */
		strscpy_pad(comm, leader->comm, TASK_COMM_LEN);
		for_each_thread(leader, thread) {
			task_lock(thread);
			if (thread->mm) {
				mm = thread->mm;
				mmget(mm);
			}
			task_unlock(thread);
			if (mm)
				break;
		}
	}
	rcu_read_unlock();
	return mm;
}

bool memwatch_process_alive(struct pid *pid)
{
	char comm[TASK_COMM_LEN];
	struct mm_struct *mm;

	mm = memwatch_get_group_mm(pid, comm);
	if (!mm)
		return false;
	mmput(mm);
	return true;
}

static void memwatch_emit(const struct memwatch_watch *watch, u32 type, u64 limit, u64 now)
{
	struct memwatch_event event = {
		.type = type,
		.pid = watch->nr,
		.time_ns = now,
		.rss = watch->rss,
		.peak_rss = watch->peak_rss,
		.limit = limit,
	};

	memwatch_events_emit(&event);
}

/* Sample one entry; false when its process has exited. */
static bool memwatch_sample(struct memwatch_watch *watch)
{
	char comm[TASK_COMM_LEN];
	struct mm_struct *mm;
	u64 now;

	mm = memwatch_get_group_mm(watch->pid, comm);
	now = ktime_get_ns();
	if (!mm) {
		memwatch_emit(watch, MEMWATCH_EVENT_EXITED, 0, now);
		return false;
	}
	watch->rss = (u64)get_mm_rss(mm) << PAGE_SHIFT;
	/* May free the mm of a process that just exited: process context. */
	mmput(mm);

	watch->samples++;
	if (watch->rss > watch->peak_rss)
		watch->peak_rss = watch->rss;

	if (watch->state == MEMWATCH_STATE_WATCHED && watch->rss >= watch->soft_limit) {
		watch->state = MEMWATCH_STATE_WARNED;
		pr_warn_ratelimited("pid %d (%s): rss %llu bytes reached soft limit %llu\n",
				    watch->nr, comm, watch->rss, watch->soft_limit);
		memwatch_emit(watch, MEMWATCH_EVENT_WARNED, watch->soft_limit, now);
	}
	if (watch->state != MEMWATCH_STATE_KILLED && watch->rss >= watch->hard_limit) {
		watch->state = MEMWATCH_STATE_KILLED;
		kill_pid(watch->pid, SIGKILL, 1);
		pr_warn_ratelimited("pid %d (%s): rss %llu bytes reached hard limit %llu, killed\n",
				    watch->nr, comm, watch->rss, watch->hard_limit);
		memwatch_emit(watch, MEMWATCH_EVENT_KILLED, watch->hard_limit, now);
	}
	return true;
}

static void memwatch_sample_all(struct work_struct *work)
{
	struct memwatch_watch *watch, *next;
	LIST_HEAD(gone);

	mutex_lock(&watch_lock);
	list_for_each_entry_safe(watch, next, &watches, node) {
		if (!memwatch_sample(watch)) {
			list_move(&watch->node, &gone);
			watch_count--;
		}
		cond_resched();
	}
	if (!list_empty(&watches))
		memwatch_sampler_kick();
	mutex_unlock(&watch_lock);

	list_for_each_entry_safe(watch, next, &gone, node)
		memwatch_free(watch);
}

void memwatch_monitor_exit(void)
{
	struct memwatch_watch *watch, *next;

	/* Waits for a running sample and defeats its re-arming. */
	cancel_delayed_work_sync(&sampler);
	list_for_each_entry_safe(watch, next, &watches, node) {
		list_del(&watch->node);
		memwatch_free(watch);
	}
	watch_count = 0;
}
