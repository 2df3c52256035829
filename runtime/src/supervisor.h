/* The long-running supervisor: owns every container, answers the CLI on a
 * UNIX socket (mode 0600, peer credentials checked), reaps every child,
 * keeps state on disk, and stops all containers when it is told to stop. */
#ifndef RT_SUPERVISOR_H
#define RT_SUPERVISOR_H

#include <stdint.h>

struct supervisor_config {
	char state_dir[1024];	/* default /run/harness-runtime */
	char socket_path[1100];	/* default STATE/sock */
	char cgroup_root[1024];	/* default /sys/fs/cgroup/harness */
	uint64_t log_max;	/* bytes per log file before rotation */
	int have_capacity;
	uint64_t capacity[3];	/* memory bytes, cpu milli, pids */
	char bridge[16];	/* bridge for the private network */
	uint32_t subnet;	/* network byte order */
	int prefix;
};

void supervisor_config_init(struct supervisor_config *c);

/* Runs until SIGTERM/SIGINT or a shutdown request; returns the exit status. */
int supervisor_run(const struct supervisor_config *c);

#endif
