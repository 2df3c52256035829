/* Launching a container (root filesystem, cgroup and device filter,
 * seccomp, network, clone and release), its end, reaping and the queue. */
#ifndef RT_SV_LAUNCH_H
#define RT_SV_LAUNCH_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

/* Creates and starts the container; on failure everything is undone. */
int launch(struct ctr *c, struct herror *err);
/* Removes the container, its cgroup, interface and state directory. */
void forget(struct ctr *c);
/* Records the end (status from waitpid, -1: unknown) and starts queued ones. */
void container_ended(struct ctr *c, int status);
/* waitpid(-1, WNOHANG) until no child is left to reap. */
void reap_children(void);

#endif
