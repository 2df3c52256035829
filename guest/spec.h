/* spec: the experiment description harness-guest reads (guest/SCHEMA.md). */
#ifndef GUEST_SPEC_H
#define GUEST_SPEC_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define SPEC_MAX_WORKLOADS 64

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
};

struct spec {
	char *experiment;
	double duration_s;
	double sample_hz;
	double stall_timeout_s;
	double grace_s;         /* after duration_s, before SIGTERM */
	double kill_after_s;    /* after SIGTERM, before SIGKILL */
	size_t nworkloads;
	struct spec_workload workloads[SPEC_MAX_WORKLOADS];
};

/* Validate and load a parsed spec. bindir resolves plain program names.
 * On failure returns -EINVAL and writes one message naming the key to err. */
int spec_load(struct spec *spec, const cJSON *json, const char *bindir, char *err, size_t errlen);
void spec_free(struct spec *spec);

/* Parse a Linux cpulist ("0-3,6"); -EINVAL when malformed. */
int spec_parse_cpulist(const char *text, cpu_set_t *set);

#endif
