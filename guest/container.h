/* container: one workload run inside a container of harness-runtime.
 * The bundle bind-mounts harness-guest's directory read-only on
 * /opt/harness/bin and the workload's own directory DIR read-write on
 * /run/harness-guest, where the workload's stdout, stderr and state file
 * are DIR/out, DIR/err and DIR/state, as for a workload run directly. */
#ifndef GUEST_CONTAINER_H
#define GUEST_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include "rtclient.h"
#include "spec.h"

#define CONTAINER_DIR "/run/harness-guest"

/* Write DIR/bundle/config.json and start the container (not waiting for
 * it); *pid is the host pid of its init, which is the workload. The
 * runtime's own message is in err on failure. */
int container_start(const struct rt_supervisor *sv, const struct spec *spec, const struct spec_workload *w,
		    const char *dir, pid_t *pid, struct herror *err);

/* The pid of a process in its innermost PID namespace (NSpid), -1 if unknown. */
int container_ns_pid(pid_t pid);

/* Once the init has ended or been killed: its status from the supervisor
 * (bounded wait; a container still running is stopped), its cgroup usage,
 * then the container is removed. Fills *exit_code or *signal when known,
 * and "state", "reason", "usage" into out. Returns 0, or -errno with the
 * failed step in err (the container may then be left to the supervisor's
 * shutdown). */
int container_finish(const struct rt_supervisor *sv, const struct spec_workload *w, cJSON *out,
		     int *exit_code, int *signal, struct herror *err);

/* The limits the spec asked for, as an object of the spec's keys. */
cJSON *container_limits_json(const struct spec_container *c);

#endif
