/* What a suite file says, once parsed: its guests, its experiments and the
 * settings they vary. Types only; suite.h parses files into them. */
#ifndef HARNESS_SUITE_TYPES_H
#define HARNESS_SUITE_TYPES_H

#include <stddef.h>

struct experiment;

struct guest_def {
	char *name;		/* vm1 */
	char *image;		/* image recipe name: general, security */
	int vcpus;
	int memory_mib;
	char *disk_bus;		/* virtio, sata, scsi */
	char *disk_cache;	/* none, writeback, writethrough, directsync, unsafe */
	char *disk_io;		/* native, threads, io_uring, default */
	char *nic_model;	/* none, virtio, e1000 */
};

/* One setting an experiment varies, with the values to try. */
struct axis {
	char *key;
	char **values;
	size_t nvalues;
};

struct experiment_def {
	char *type;		/* cpu-contention */
	const struct experiment *ops;	/* its descriptor (experiment.h) */
	double duration_s;
	struct axis *axes;
	size_t naxes;
	int line;
};

struct suite {
	char *name;
	char *path;		/* the file it came from */
	int repeats;
	int warmup;		/* unrecorded runs before the first recorded one */
	int boot_timeout_s;
	struct guest_def *guests;
	size_t nguests;
	struct experiment_def *exps;
	size_t nexps;
};

#endif
