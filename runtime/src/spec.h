/* What a container is asked to be: the request of `start`/`run` or an OCI
 * bundle, decoded and validated, before anything is created. */
#ifndef RT_SPEC_H
#define RT_SPEC_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "util.h"

#define SPEC_MAX_ARGS   256
#define SPEC_MAX_ENV    256
#define SPEC_MAX_MOUNTS 32
#define SPEC_MAX_STR    4096

struct spec_limits {
	uint64_t cpu_weight;	/* 1..10000, 0 = unset */
	int64_t cpu_quota_us;	/* cpu.max quota, 0 = unset */
	uint64_t cpu_period_us;	/* cpu.max period, default 100000 */
	char cpuset_cpus[128];	/* "" = unset */
	uint64_t memory_high;	/* bytes, 0 = unset */
	uint64_t memory_max;
	uint64_t pids_max;
};

/* Banker's algorithm claims: the most the container will ever hold. */
struct spec_claims {
	int declared;
	uint64_t memory;	/* bytes */
	uint64_t cpu_milli;	/* thousandths of a CPU */
	uint64_t pids;
	/* Held from the start when no cgroup limit says it (host tests,
	 * teaching): the allocation is the larger of limit and hold. */
	uint64_t hold_memory, hold_cpu_milli, hold_pids;
};

struct spec_mount {
	char destination[256];
	char type[32];
	char source[512];
	unsigned long flags;	/* MS_* */
	char data[256];
};

struct container_spec {
	char name[64];
	char rootfs[SPEC_MAX_STR];	/* directory or tarball */
	char bundle[SPEC_MAX_STR];	/* OCI bundle directory, "" when none */
	int readonly_rootfs;
	char hostname[64];
	char cwd[256];
	char *argv[SPEC_MAX_ARGS + 1];
	int argc;
	char *env[SPEC_MAX_ENV + 1];
	int envc;
	int nice;
	int has_nice;
	int network;		/* join the private bridge network */
	char ip[16];		/* requested IPv4 address, "" = allocate */
	struct spec_limits limits;
	struct spec_claims claims;
	int admit_queue;	/* 1: queue when unsafe, 0: refuse */
	uint64_t kmon_soft, kmon_hard;	/* kernel memory monitor limits, bytes */
	int kmon_requested;
	struct spec_mount mounts[SPEC_MAX_MOUNTS];
	int nmounts;
	int stop_grace_s;
	int userns;		/* own user namespace, root mapped to an unprivileged range */
	/* An OCI bundle's process.capabilities, when it gives them. */
	int has_caps;
	uint64_t caps[5];	/* indexed by enum capset */
	/* An OCI bundle's linux.seccomp (owned copy), NULL: the default filter. */
	cJSON *seccomp;
};

enum capset { CAPSET_BOUNDING, CAPSET_EFFECTIVE, CAPSET_PERMITTED, CAPSET_INHERITABLE, CAPSET_AMBIENT };

void spec_init(struct container_spec *s);
void spec_free(struct container_spec *s);

/* Fills s from the JSON object of a start request; every field is checked. */
int spec_from_json(const cJSON *obj, struct container_spec *s, struct herror *err);

/* The inverse, for the state file and for `inspect`. */
cJSON *spec_to_json(const struct container_spec *s);

/* Checks value ranges and consistency (memory.high <= memory.max, ...). */
int spec_validate(const struct container_spec *s, struct herror *err);

/* Does the spec ask for any cgroup limit? */
int spec_wants_cgroup(const struct container_spec *s);

/* "0.5" or "2" CPUs (at most 10^6), or "1500m", into thousandths of a
 * CPU; -EINVAL for anything else ("nan", "inf", "-1", "", " 1", "1e3"). */
int parse_cpus_milli(const char *s, uint64_t *out);

#endif
