/* spec: the experiment description harness-guest reads (guest/SCHEMA.md). */
#ifndef GUEST_SPEC_H
#define GUEST_SPEC_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "herror.h"

#define SPEC_MAX_WORKLOADS 64

/* A workload run inside a container of harness-runtime (runtime/README.md).
 * Zero limits are not asked for. */
struct spec_container {
	char *name;             /* the container's name */
	char *rootfs;           /* resolved: a directory or a tarball */
	char *rootfs_given;     /* "busybox" or the path in the spec */
	uint64_t cpu_weight;
	int64_t cpu_quota_us;
	uint64_t cpu_period_us;
	char *cpuset;
	uint64_t memory_max, memory_high, pids_max;
	uint64_t kmon_soft, kmon_hard;
	char *hostname;         /* NULL: the name */
	bool read_only;         /* the root mounted read-only */
	bool network;           /* a veth on the supervisor's bridge */
	char *ip;               /* with network: this address, else the next free */
	bool has_claims;        /* Banker's admission (refused when unsafe) */
	uint64_t claim_memory, claim_cpu_milli, claim_pids;
	cJSON *asked;           /* the spec's container object, for the output */
};

struct spec_workload {
	char *name;
	char *program;          /* resolved absolute path */
	char *program_name;     /* as given in the spec */
	char **argv;            /* argv[0] = program_name, NULL-terminated */
	char **envp_extra;      /* "K=V" strings from "env", NULL-terminated */
	int nice;
	bool has_cpus;
	cpu_set_t cpus;
	char *cpus_text;
	bool expect_stall;      /* a stall is the expected outcome (deadlock) */
	double stall_timeout_s; /* this workload's bound; 0 = never judged stalled */
	struct spec_container *container;   /* NULL: run directly */
	char *program_in_container;         /* where the program is seen inside */
};

struct spec {
	char *experiment;
	double duration_s;
	double sample_hz;
	double stall_timeout_s;
	double grace_s;         /* after duration_s, before SIGTERM */
	double kill_after_s;    /* after SIGTERM, before SIGKILL */
	char *bindir;           /* harness-guest's own directory */
	char *runtime_bin;      /* harness-runtime, when a workload uses a container */
	size_t nworkloads;
	struct spec_workload workloads[SPEC_MAX_WORKLOADS];
};

/* Validate and load a parsed spec. bindir resolves plain program names;
 * $HARNESS_RUNTIME (default bindir/harness-runtime) and
 * $HARNESS_GUEST_ROOTFS_DIR (default bindir/../rootfs) serve containers.
 * On failure returns a negative errno (-EINVAL for a bad value) with one
 * message naming the key in err. */
int spec_load(struct spec *spec, const cJSON *json, const char *bindir, struct herror *err);
void spec_free(struct spec *spec);

/* Parse a Linux cpulist ("0-3,6"); -EINVAL when malformed. */
int spec_parse_cpulist(const char *text, cpu_set_t *set);

#endif
