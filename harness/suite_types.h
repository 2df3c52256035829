/* What a suite file says, once parsed: its guests, its experiments and the
 * settings they vary. Types only; suite.h parses files into them. */
#ifndef HARNESS_SUITE_TYPES_H
#define HARNESS_SUITE_TYPES_H

#include <stdbool.h>
#include <stddef.h>

struct experiment;

#define SUITE_NAME_MAX 64
#define SUITE_MAX_RUNS 10000

/* A libvirt host of the suite (hosts:). Without hosts: the suite has one,
 * "local", at the harness's own libvirt URI (uri NULL). */
struct host_def {
	char *name;		/* local, h2 */
	char *uri;		/* qemu+tcp://169.254.77.2/system; NULL: the local default */
	char *address;		/* where other hosts reach its migration port, or NULL */
	int line;
};

struct guest_def {
	char *name;		/* vm1 */
	char *host;		/* the host it runs on (a hosts: name); NULL: the first */
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
	int repeats;		/* this experiment's own repeats, or -1: the suite's */
	int warmup;		/* this experiment's own warm-ups, or -1: the suite's */
	int line;
};

/* The order of a plan's runs. */
enum plan_order {
	ORDER_SHUFFLED,		/* each round of repeats visits every combination in a seeded random order */
	ORDER_SEQUENTIAL,	/* each combination's repeats back to back, in the suite's order */
};

struct suite {
	char *name;
	char *path;		/* the file it came from */
	int repeats;		/* with repeats_auto: the most (repeats: {max}) */
	bool repeats_auto;	/* repeats: auto: stop once the CIs are narrow enough */
	int repeats_min;	/* repeats: auto: at least this many rounds */
	double target_ci;	/* repeats: auto: the relative 95% CI half-width to reach */
	enum plan_order order;
	unsigned long seed;	/* the shuffle's seed, when seed_set */
	bool seed_set;
	int warmup;		/* unrecorded runs before the first recorded one */
	int boot_timeout_s;
	bool fresh_per_run;	/* fresh_guests: per-run: every run's guests start afresh (restored or cold) */
	int rerun_disturbed;	/* rerun_disturbed: runs again a run host_noise marked disturbed, at most this often */
	struct host_def *hosts;	/* at least one after parsing */
	size_t nhosts;
	bool parallel_hosts;	/* parallel: hosts: the plan's runs spread over every host at once */
	bool pool_hosts;	/* pool_hosts: true: statistics pool the runs of different hosts */
	struct guest_def *guests;
	size_t nguests;
	struct experiment_def *exps;
	size_t nexps;
};

/* An experiment's repeats and warm-ups: its own where it sets them, else the
 * suite's. */
static inline int experiment_repeats(const struct suite *s, const struct experiment_def *e)
{
	return e->repeats >= 0 ? e->repeats : s->repeats;
}

static inline int experiment_warmup(const struct suite *s, const struct experiment_def *e)
{
	return e->warmup >= 0 ? e->warmup : s->warmup;
}

#endif
