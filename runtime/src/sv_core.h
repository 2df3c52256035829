/* What the supervisor's parts share: a container's record and the one
 * supervisor instance. Internal to supervisor.c and its sv_*.c parts. */
#ifndef RT_SV_CORE_H
#define RT_SV_CORE_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "kmon.h"
#include "spec.h"
#include "supervisor.h"

#define MAX_CONTAINERS 256
#define MAX_WAITERS    16
#define CLIENT_TIMEOUT_S 5
#define MAX_CLIENTS    256	/* connections at once: reading, held or writing */

enum cstate { ST_CREATED, ST_QUEUED, ST_RUNNING, ST_EXITED, ST_KILLED, ST_OOM_KILLED, ST_FAILED };
extern const char *const state_names[];

struct client;

struct ctr {
	int used;
	uint32_t id;
	struct container_spec spec;
	enum cstate state;
	pid_t pid;
	unsigned long long pid_starttime;	/* tells a reused pid apart */
	time_t created, started, ended;
	int exit_code, term_signal;
	char reason[1024];			/* why killed / failed / queued */
	char rootfs_dir[PATH_MAX];
	int rootfs_extracted;
	char cgroup[PATH_MAX];
	char host_if[16];
	uint32_t addr;				/* network byte order, 0 = none */
	int log_done;
	int stop_requested;
	uint64_t kill_deadline;			/* monotonic ns, 0 = none */
	int device_filter;			/* the cgroup device filter is attached */
	int kmon_registered, kmon_killed;
	struct kmon_event kmon_warned_ev, kmon_killed_ev;	/* type 0: none yet */
	int pidfd;				/* adopted after a restart */
	struct client *waiters[MAX_WAITERS];	/* held until it ends (sv_clients.h) */
	int nwaiters;
	uint64_t queued_seq;
};

/* The supervisor's one instance (sv_state.c). */
struct sv_state {
	const struct supervisor_config *cfg;
	struct ctr c[MAX_CONTAINERS];
	uint32_t next_id;
	uint64_t queue_seq;
	int listen_fd, sig_fd, notify_rd, notify_wr, kmon_fd;
	int stopping;
	int net_ready;
	char no_device_filter[1024];	/* why containers get no device filter, "" when they do */
	bool bridge_created;	/* the private network's bridge is ours: removed when the supervisor stops */
};
extern struct sv_state sv;

#endif
