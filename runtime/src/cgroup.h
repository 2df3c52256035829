/* cgroup v2 for containers: one child group per container under a
 * configurable root (default /sys/fs/cgroup/harness). Never a silent run
 * without limits: when the hierarchy is unusable, creating fails. */
#ifndef RT_CGROUP_H
#define RT_CGROUP_H

#include <cjson/cJSON.h>
#include "spec.h"
#include "util.h"

#define CGROUP_DEFAULT_ROOT "/sys/fs/cgroup/harness"

/* 0 when root (or, if it does not exist yet, its parent) is on cgroup2. */
int cgroup_check_root(const char *root, struct herror *err);

/* Creates root/name with the limits written, returns an O_DIRECTORY fd
 * for clone3(CLONE_INTO_CGROUP) and the path in path (PATH_MAX bytes). */
int cgroup_create(const char *root, const char *name, const struct spec_limits *l,
		  int *dirfd, char *path, struct herror *err);

/* Attaches an eBPF device filter (BPF_PROG_TYPE_CGROUP_DEVICE) to the
 * group that allows only the standard devices of /dev and the ptys. */
int cgroup_device_filter(int cgroup_fd, struct herror *err);

/* Loads that program without attaching it: can this kernel filter devices? */
int cgroup_device_filter_probe(struct herror *err);

/* Adds cpu.stat usage, memory.current, memory.events and pids.current. */
void cgroup_usage(const char *path, cJSON *out);

/* Has the kernel OOM-killed a process of this group? */
int cgroup_oom_killed(const char *path);

/* Removes an empty group; best effort at container removal. */
int cgroup_remove(const char *path);

#endif
