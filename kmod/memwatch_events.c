// SPDX-License-Identifier: GPL-2.0
/*
 * memwatch: event queues, one per open file, read with read() and poll().
 *
 * Producers (the sampler) are serialized by readers_lock, and each queue's
 * consumer by its read_lock, so the kfifo needs no lock of its own (it is
 * safe for one producer and one consumer at a time).
 */
#include <linux/atomic.h>
#include <linux/kfifo.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "memwatch_internal.h"

#define MEMWATCH_QUEUE_LEN 256	/* events per open file; a power of two */

struct memwatch_reader {
	struct list_head node;		/* in readers, under readers_lock */
	struct mutex read_lock;		/* one consumer at a time */
	wait_queue_head_t wait;
	atomic_t lost;			/* events dropped on a full queue */
	DECLARE_KFIFO(queue, struct memwatch_event, MEMWATCH_QUEUE_LEN);
};

static LIST_HEAD(readers);
static DEFINE_MUTEX(readers_lock);

int memwatch_events_open(struct file *file)
{
	struct memwatch_reader *reader;

	reader = kzalloc(sizeof(*reader), GFP_KERNEL);
	if (!reader)
		return -ENOMEM;
	mutex_init(&reader->read_lock);
	init_waitqueue_head(&reader->wait);
	atomic_set(&reader->lost, 0);
	INIT_KFIFO(reader->queue);
	file->private_data = reader;

	mutex_lock(&readers_lock);
	list_add_tail(&reader->node, &readers);
	mutex_unlock(&readers_lock);
	return 0;
}

int memwatch_events_release(struct file *file)
{
	struct memwatch_reader *reader = file->private_data;

	mutex_lock(&readers_lock);
	list_del(&reader->node);
	mutex_unlock(&readers_lock);
	mutex_destroy(&reader->read_lock);
	kfree(reader);
	return 0;
}

void memwatch_events_emit(const struct memwatch_event *event)
{
	struct memwatch_reader *reader;

	mutex_lock(&readers_lock);
	list_for_each_entry(reader, &readers, node) {
		if (!kfifo_put(&reader->queue, *event))
			atomic_inc(&reader->lost);
		wake_up_interruptible(&reader->wait);
	}
	mutex_unlock(&readers_lock);
}

static bool memwatch_reader_pending(struct memwatch_reader *reader)
{
	return !kfifo_is_empty(&reader->queue) || atomic_read(&reader->lost);
}

ssize_t memwatch_events_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct memwatch_reader *reader = file->private_data;
	const size_t record = sizeof(struct memwatch_event);
	unsigned int copied = 0;
	size_t done = 0;
	int lost;
	int ret;

	if (len < record)
		return -EINVAL;

	if (mutex_lock_interruptible(&reader->read_lock))
		return -ERESTARTSYS;

	while (!memwatch_reader_pending(reader)) {
		mutex_unlock(&reader->read_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(reader->wait, memwatch_reader_pending(reader));
		if (ret)
			return ret;
		if (mutex_lock_interruptible(&reader->read_lock))
			return -ERESTARTSYS;
	}

	lost = atomic_xchg(&reader->lost, 0);
	if (lost) {
		struct memwatch_event event = {
			.type = MEMWATCH_EVENT_LOST,
			.time_ns = ktime_get_ns(),
			.lost = lost,
		};

		if (copy_to_user(buf, &event, record)) {
			atomic_add(lost, &reader->lost);
			ret = -EFAULT;
			goto out;
		}
		done = record;
	}

	/* kfifo_to_user copies whole records only. */
	ret = kfifo_to_user(&reader->queue, buf + done, len - done, &copied);
	if (ret && !done)
		goto out;
	ret = done + copied;
out:
	mutex_unlock(&reader->read_lock);
	return ret;
}

__poll_t memwatch_events_poll(struct file *file, poll_table *wait)
{
	struct memwatch_reader *reader = file->private_data;

	poll_wait(file, &reader->wait, wait);
	return memwatch_reader_pending(reader) ? EPOLLIN | EPOLLRDNORM : 0;
}
