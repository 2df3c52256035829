/* Suite files (YAML): which guests, which experiments, which settings to
 * vary, how many repeats. The format is documented in README.md. */
#ifndef HARNESS_SUITE_H
#define HARNESS_SUITE_H

#include <stddef.h>

#include "util.h"

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

/* One run of the plan: an experiment with one value per axis. */
struct plan_run {
	size_t exp;		/* index into suite->exps */
	const char **values;	/* one per axis of that experiment */
	int repeat;		/* 1-based; 0 for a warm-up run */
	char *id;		/* stable name: 003-cpu-contention-shares=2048:1024-r2 */
};

struct plan {
	struct plan_run *runs;
	size_t nruns;
};

/* Parse and validate a suite file; on error, err names file, line and key. */
int suite_load(const char *path, struct suite **out, struct herr *err);
/* Parse from memory (tests); name stands for the file in messages. */
int suite_parse(const char *name, const char *text, size_t len, struct suite **out, struct herr *err);
void suite_free(struct suite *s);
/* Find a suite: an existing path, or NAME in the suites directory. */
char *suite_resolve(const char *name_or_path, const char *suites_dir);

/* experiments x axes' values x (warm-up + repeats), in a stable order. */
int plan_build(const struct suite *s, struct plan *p);
void plan_free(struct plan *p);
/* The value of an axis in a run, or NULL. */
const char *plan_value(const struct suite *s, const struct plan_run *r, const char *key);
const struct guest_def *suite_guest(const struct suite *s, const char *name);

/* Known experiment types and their axes (for validation and --help). */
const char *const *experiment_axes(const char *type);
bool experiment_known(const char *type);

#endif
