/* Creating a container's init process, in crun's order: clone into new
 * namespaces (and straight into the cgroup), wait for the supervisor's go
 * over a socket pair, private mount propagation, bind the root, fresh /proc
 * and minimal /dev, pivot_root(".", ".") and detach the old root, hostname,
 * close inherited fds, reduced capabilities, no_new_privs, exec. */
#ifndef RT_SETUP_H
#define RT_SETUP_H

#include <sys/types.h>
#include <linux/filter.h>
#include "spec.h"
#include "util.h"

struct spawn_params {
	const struct container_spec *spec;
	const char *rootfs_dir;		/* directory to pivot into */
	int cgroup_fd;			/* -1: stay in the supervisor's cgroup */
	int stdout_fd, stderr_fd;	/* write ends of the log pipes */
	const char *hosts_file;		/* bind-mounted on /etc/hosts, or NULL */
	/* Private network: eth0 address, prefix length and gateway, in
	 * network byte order; addr 0 means loopback only. */
	uint32_t net_addr, net_gateway;
	int net_prefix;
	int userns;			/* CLONE_NEWUSER, root mapped to USERNS_HOST_ID */
	const struct sock_fprog *seccomp;	/* installed last, or NULL */
};

/* --userns: container ids 0..USERNS_SIZE-1 are these host ids. */
#define USERNS_HOST_ID 100000u
#define USERNS_SIZE    65536u

/* Writes the child's uid_map and gid_map (before container_release). */
int container_map_ids(pid_t pid, struct herror *err);

/* Clones the init process; it waits on *sync_fd for container_release. */
int container_clone(const struct spawn_params *p, pid_t *pid, int *sync_fd, struct herror *err);

/* Lets the child run its set-up and exec; returns once exec succeeded or
 * with the child's own error message (the child is then reaped). */
int container_release(pid_t pid, int sync_fd, struct herror *err);

/* Names of the capabilities a container keeps in its bounding set. */
extern const char *const spawn_kept_caps[];

#endif
