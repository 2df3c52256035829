// SPDX-License-Identifier: GPL-2.0
/*
 * memwatch: the ioctl commands of /dev/memwatch, with the argument checks
 * that lib/uapi/memwatch.h documents.
 */
#include <linux/align.h>
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "memwatch_internal.h"

/* The alignment of __u64 in the caller's ABI (4 for 32-bit x86). */
static unsigned long memwatch_user_align(void)
{
	return in_compat_syscall() ? sizeof(u32) : sizeof(u64);
}

static bool memwatch_limit_ok(u64 bytes)
{
	return bytes >= PAGE_SIZE && bytes <= MEMWATCH_LIMIT_MAX;
}

/*
 * The thread-group leader @nr names in the caller's PID namespace, with a
 * reference, or an error: -ESRCH when there is no such live process,
 * -EINVAL for a kernel thread.
 */
static struct pid *memwatch_get_process(pid_t nr)
{
	struct task_struct *task;
	struct pid *pid;
	int ret = 0;

	pid = find_get_pid(nr);
	if (!pid)
		return ERR_PTR(-ESRCH);
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task)
		ret = -ESRCH;	/* a thread that is not a leader, or gone */
	else if (task->flags & PF_KTHREAD)
		ret = -EINVAL;
	else if (!memwatch_process_alive(pid))
		ret = -ESRCH;	/* exiting or a zombie: nothing left to watch */
	if (task)
		put_task_struct(task);
	if (ret) {
		put_pid(pid);
		return ERR_PTR(ret);
	}
	return pid;
}

static long memwatch_ioctl_register(void __user *uarg)
{
	struct memwatch_register req;
	struct pid *pid;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || req.flags & ~MEMWATCH_REGISTER_FLAGS ||
	    req.pad || req.reserved[0] || req.reserved[1])
		return -EINVAL;
	if (req.pid <= 0 || !memwatch_limit_ok(req.soft_limit) ||
	    !memwatch_limit_ok(req.hard_limit) || req.soft_limit > req.hard_limit)
		return -EINVAL;

	pid = memwatch_get_process(req.pid);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	ret = memwatch_watch_add(pid, req.pid, req.soft_limit, req.hard_limit,
				 req.flags & MEMWATCH_REGISTER_UPDATE);
	put_pid(pid);
	return ret;
}

static long memwatch_ioctl_unregister(void __user *uarg)
{
	struct memwatch_unregister req;
	struct pid *pid;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || req.flags || req.pad || req.reserved)
		return -EINVAL;
	if (req.pid <= 0)
		return -EINVAL;

	/* An exited, unreaped or reused number: either way not ours. */
	pid = find_get_pid(req.pid);
	if (!pid)
		return -ENOENT;
	ret = memwatch_watch_remove(pid);
	put_pid(pid);
	return ret;
}

static long memwatch_ioctl_query(void __user *uarg)
{
	struct memwatch_query req;
	struct pid *pid;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || req.flags || req.pad || req.reserved)
		return -EINVAL;
	if (req.pid <= 0)
		return -EINVAL;

	pid = find_get_pid(req.pid);
	if (!pid)
		return -ENOENT;
	ret = memwatch_watch_query(pid, &req.entry);
	put_pid(pid);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static long memwatch_ioctl_list(void __user *uarg)
{
	struct memwatch_entry *entries = NULL;
	struct memwatch_list req;
	void __user *uentries;
	u32 capacity;
	long ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.size != sizeof(req) || req.flags || req.reserved ||
	    req.entry_size != sizeof(struct memwatch_entry) ||
	    !IS_ALIGNED(req.entries, memwatch_user_align()))
		return -EINVAL;
	uentries = u64_to_user_ptr(req.entries);

	/* Copied out after the table lock is dropped: a fault may sleep long. */
	capacity = min(req.capacity, memwatch_max_entries);
	if (capacity) {
		entries = kvcalloc(capacity, sizeof(*entries), GFP_KERNEL);
		if (!entries)
			return -ENOMEM;
	}
	req.total = memwatch_watch_list(entries, capacity, &req.count);
	if (req.count &&
	    copy_to_user(uentries, entries, array_size(req.count, sizeof(*entries))))
		ret = -EFAULT;
	else if (copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	kvfree(entries);
	return ret;
}

long memwatch_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/* Only known commands reach the argument checks: others are -ENOTTY. */
	switch (cmd) {
	case MEMWATCH_IOC_REGISTER:
	case MEMWATCH_IOC_UNREGISTER:
	case MEMWATCH_IOC_QUERY:
	case MEMWATCH_IOC_LIST:
		break;
	default:
		return -ENOTTY;
	}
	if (!IS_ALIGNED(arg, memwatch_user_align()))
		return -EINVAL;

	switch (cmd) {
	case MEMWATCH_IOC_REGISTER:
		return memwatch_ioctl_register(uarg);
	case MEMWATCH_IOC_UNREGISTER:
		return memwatch_ioctl_unregister(uarg);
	case MEMWATCH_IOC_QUERY:
		return memwatch_ioctl_query(uarg);
	default:
		return memwatch_ioctl_list(uarg);
	}
}
