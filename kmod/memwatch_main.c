// SPDX-License-Identifier: GPL-2.0
/*
 * memwatch: a kernel memory monitor for registered processes.
 *
 * Registered processes have a soft RSS limit (one warning) and a hard one
 * (SIGKILL); see lib/uapi/memwatch.h for the user-space API. This file
 * holds the module parameters, the misc device and its file operations.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "memwatch_internal.h"

unsigned int memwatch_interval_ms = 100;
module_param_named(interval_ms, memwatch_interval_ms, uint, 0444);
MODULE_PARM_DESC(interval_ms, "RSS sampling interval in milliseconds (1-60000, default 100)");

unsigned int memwatch_max_entries = 8192;
module_param_named(max_entries, memwatch_max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries, "most processes watched at once (1-1048576, default 8192)");

static int memwatch_open(struct inode *inode, struct file *file)
{
	int ret;

	ret = stream_open(inode, file);
	if (ret)
		return ret;
	return memwatch_events_open(file);
}

static int memwatch_release(struct inode *inode, struct file *file)
{
	return memwatch_events_release(file);
}

static const struct file_operations memwatch_fops = {
	.owner = THIS_MODULE,
	.open = memwatch_open,
	.release = memwatch_release,
	.read = memwatch_events_read,
	.poll = memwatch_events_poll,
	.unlocked_ioctl = memwatch_ioctl,
	/* Fixed-width structs and u64 pointers: identical for 32-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice memwatch_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "memwatch",
	.fops = &memwatch_fops,
	.mode = 0600,
};

static int __init memwatch_init(void)
{
	int ret;

	if (memwatch_interval_ms < 1 || memwatch_interval_ms > 60000) {
		pr_err("interval_ms=%u out of range 1-60000\n", memwatch_interval_ms);
		return -EINVAL;
	}
	if (memwatch_max_entries < 1 || memwatch_max_entries > 1048576) {
		pr_err("max_entries=%u out of range 1-1048576\n", memwatch_max_entries);
		return -EINVAL;
	}
	ret = misc_register(&memwatch_dev);
	if (ret) {
		pr_err("cannot register misc device: %d\n", ret);
		return ret;
	}
	pr_info("loaded, sampling every %u ms\n", memwatch_interval_ms);
	return 0;
}

static void __exit memwatch_exit(void)
{
	/* No file is open (each holds a module reference): no ioctl, no reader. */
	misc_deregister(&memwatch_dev);
	memwatch_monitor_exit();
	pr_info("unloaded\n");
}

module_init(memwatch_init);
module_exit(memwatch_exit);

MODULE_DESCRIPTION("Soft and hard RSS limits for registered processes");
MODULE_AUTHOR("harness project");
MODULE_LICENSE("GPL");
