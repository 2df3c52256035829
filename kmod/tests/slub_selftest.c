// SPDX-License-Identifier: GPL-2.0
/*
 * slub_selftest: the negative control of the in-guest memory-debugging
 * check (kmod/tests/guest-init.sh). Loading it writes one byte past the end
 * of a kmalloc object and frees it: with slub_debug=FZ the kernel must
 * report the overwritten red zone (KFENCE reports it instead when it
 * happens to sample the allocation). Test-only: never installed in images.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>

static int __init slub_selftest_init(void)
{
	/* A kmalloc cache's own size: the byte after it is red zone, not slack. */
	const size_t size = 64;
	char *p;

	p = kmalloc(size, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	OPTIMIZER_HIDE_VAR(p);	/* the overflow is the point: no bounds warning */
	p[size] = 0x5a;
	kfree(p);
	return 0;
}

static void __exit slub_selftest_exit(void)
{
}

module_init(slub_selftest_init);
module_exit(slub_selftest_exit);

MODULE_DESCRIPTION("Writes past a kmalloc object once, to prove slub_debug reports it");
MODULE_AUTHOR("harness project");
MODULE_LICENSE("GPL");
