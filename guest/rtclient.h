/* rtclient: a client of harness-runtime's supervisor socket (protocol
 * version 1, runtime/README.md), and the supervisor the runner starts for
 * itself when none is running. */
#ifndef GUEST_RTCLIENT_H
#define GUEST_RTCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>
#include <cjson/cJSON.h>
#include "herror.h"

struct rt_supervisor {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char state_dir[256];
	char log_path[256];
	pid_t pid;              /* our own supervisor; 0 when a running one is used */
	bool up;
};

/* One request, its response within timeout_s (rtclient.c). Returns the
 * response object when it says "ok": true; otherwise NULL and the reason in
 * err (the supervisor's own "error" when it sent one). */
cJSON *rt_request(const char *socket_path, const cJSON *req, double timeout_s, struct herror *err);

/* Use the supervisor on $HARNESS_RUNTIME_SOCKET (default
 * /run/harness-runtime/sock) when one answers there; otherwise start
 * `runtime_bin supervisor` with its state and socket under workdir (and
 * --cgroup-root $HARNESS_GUEST_CGROUP_ROOT when set) and wait for it
 * (rtsupervisor.c). */
int rt_supervisor_up(struct rt_supervisor *sv, const char *runtime_bin, const char *workdir, struct herror *err);

/* Stop our own supervisor (shutdown, then SIGKILL after a bound); a shared
 * one is left alone. */
void rt_supervisor_down(struct rt_supervisor *sv);

#endif
