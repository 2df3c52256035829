/* What the container experiments (exp_proportional_share.c,
 * exp_memory_limits.c, exp_isolation.c) share: the runner spec with
 * containers, running the runner or a shell in one guest, and reading
 * the runner's document. The runner (guest/SCHEMA.md) starts its own
 * harness-runtime supervisor and removes every container at its end. */
#ifndef HARNESS_EXP_CONTAINERS_H
#define HARNESS_EXP_CONTAINERS_H

#include <cjson/cJSON.h>

#include "experiment.h"
#include "util.h"

struct guest;

#define CTR_RUNNER "/opt/harness/bin/harness-guest"
#define CTR_RUNTIME "/opt/harness/bin/harness-runtime"

/* The guest the container experiments run in: the run's "guest" setting
 * (GUESTRUN_GUEST_SETTING in each one's table), else the suite's first;
 * NULL when the suite has none. */
struct guest *ctr_guest(const struct exp_run *x);
/* The suite entry's duration, or def_s when it gives none. */
double ctr_duration(const struct exp_run *x, double def_s);
/* The runner's sampling rate in the container experiments. */
#define CTR_SAMPLE_HZ 10
/* {"experiment", "duration_s", "sample_hz" (CTR_SAMPLE_HZ), "workloads": []}. */
cJSON *ctr_spec(const char *experiment, double duration_s);
/* Append a workload; args is split at spaces; returns its "container"
 * object (rootfs busybox, name = the workload's) when container, else NULL. */
cJSON *ctr_workload(cJSON *spec, const char *name, const char *program, const char *args, const char *cpus,
		    bool container);
/* Run the runner with spec in g; *doc is its document even when the run had
 * errors (an expected kill is one); an error only when there is no document. */
int ctr_run_runner(struct guest *g, cJSON *spec, double timeout_s, cJSON **doc, struct herror *err);
/* Run /bin/sh -c script in g; *out its stdout (may be empty); returns its
 * exit status or a negative error. */
int ctr_sh(struct guest *g, const char *script, double timeout_s, char **out, struct herror *err);
/* 0 when g's image has the program tool; else an error that names the
 * guest, its image and the fix (a reference tool such as fio or iperf3). */
int ctr_need_tool(struct guest *g, const char *tool, struct herror *err);
/* The runner's entry for workload name, or NULL. */
cJSON *ctr_doc_workload(cJSON *doc, const char *name);
/* A number at a NULL-terminated path of keys, or NaN. */
double ctr_jnum(cJSON *o, const char *const *path);
cJSON *ctr_num(double v);
/* "guest": {"name", "domain", "image"} and "runner_errors" of doc into record. */
void ctr_record_guest(cJSON *record, const struct guest *g);
void ctr_record_errors(cJSON *record, cJSON *doc);
/* A workload's entry, trimmed for the record: name, exit_code, signal,
 * elapsed_s, state, reason, usage, output totals. */
cJSON *ctr_trim_workload(cJSON *wl);
/* Size settings: "64M" etc. (K, M, G: powers of 1024). */
int ctr_parse_size(const char *s, unsigned long long *out);
int ctr_check_size(const char *v, const struct suite *s, char *why, size_t whylen);



/* The suite guest a combination of settings runs in (its "guest", else
 * the suite's first), or NULL. */
const struct guest_def *ctr_values_guest(const struct exp_values *v);
/* Whether the built image has Debian package pkg (its packages.txt, "NAME
 * VERSION" lines, written by images/build-image): 1 or 0, or -ENOENT when
 * the image is not built; list is the file's path. */
int ctr_image_has_package(const char *image, const char *pkg, char *list, size_t listlen);

/* A /bin/sh script for the guest: a private harness-runtime supervisor
 * (state in a temporary directory $T, cgroup root /sys/fs/cgroup/<cg>, the
 * supervisor options opts), the busybox root unpacked in $T/root, $R the
 * runtime, then body; at exit the supervisor is shut down (its containers
 * with it), waited for, and $T and the cgroup removed. A supervisor that does
 * not come up prints "error supervisor: ...". */
char *ctr_sv_script(const char *cg, const char *opts, const char *body);
#endif
