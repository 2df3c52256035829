#include "sv_launch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "kmon.h"
#include "logpipe.h"
#include "net.h"
#include "secfilter.h"
#include "setup.h"
#include "sv_state.h"
#include "sv_admit.h"
#include "sv_reply.h"
#include "sv_clients.h"

extern char **environ;

static int extract_tarball(struct ctr *c, struct herror *err)
{
	char dir[PATH_MAX];
	char *argv[] = { "tar", "-xf", c->spec.rootfs, "-C", c->rootfs_dir, NULL };
	pid_t pid;
	int status, r;

	ctr_dir(c, dir, sizeof(dir));
	if ((size_t)snprintf(c->rootfs_dir, sizeof(c->rootfs_dir), "%s/rootfs", dir) >= sizeof(c->rootfs_dir))
		return error_setx(err, ENAMETOOLONG, "state directory path too long: '%s'", dir);
	if ((r = mkdir_p(c->rootfs_dir, 0755, err)) < 0)
		return r;
	r = posix_spawnp(&pid, "tar", NULL, NULL, argv, environ);
	if (r)
		return error_set(err, r, "cannot run tar to unpack '%s'", c->spec.rootfs);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		remove_tree(c->rootfs_dir, NULL);
		return error_setx(err, EIO, "cannot unpack root filesystem '%s' (tar failed)", c->spec.rootfs);
	}
	c->rootfs_extracted = 1;
	return 0;
}

static int resolve_rootfs(struct ctr *c, struct herror *err)
{
	struct stat st;

	if (stat(c->spec.rootfs, &st) < 0)
		return error_set(err, errno, "cannot use root filesystem '%s'", c->spec.rootfs);
	if (S_ISDIR(st.st_mode)) {
		snprintf(c->rootfs_dir, sizeof(c->rootfs_dir), "%s", c->spec.rootfs);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return extract_tarball(c, err);
	return error_setx(err, EINVAL, "root filesystem '%s' is neither a directory nor a tarball", c->spec.rootfs);
}

static uint32_t allocate_addr(const struct container_spec *s, struct herror *err)
{
	uint32_t net = ntohl(sv.cfg->subnet), size = sv.cfg->prefix >= 31 ? 0 : 1u << (32 - sv.cfg->prefix);
	uint32_t want;

	if (s->ip[0]) {
		inet_pton(AF_INET, s->ip, &want);
		uint32_t h = ntohl(want);
		if ((h & ~(size - 1)) != net || h == net || h == net + 1 || h == net + size - 1) {
			error_setx(err, EINVAL, "address %s is not a free host address of the private subnet", s->ip);
			return 0;
		}
		for (int i = 0; i < MAX_CONTAINERS; i++)
			if (is_active(&sv.c[i]) && sv.c[i].addr == want) {
				error_setx(err, EADDRINUSE, "address %s is used by '%s'", s->ip, sv.c[i].spec.name);
				return 0;
			}
		return want;
	}
	/* .1 is the bridge; hand out .2 upwards. */
	for (uint32_t h = net + 2; h < net + size - 1; h++) {
		int taken = 0;

		for (int i = 0; i < MAX_CONTAINERS && !taken; i++)
			taken = is_active(&sv.c[i]) && sv.c[i].addr == htonl(h);
		if (!taken)
			return htonl(h);
	}
	error_setx(err, EADDRNOTAVAIL, "no free address left in the private subnet");
	return 0;
}

/* /etc/hosts for a networked container: every networked container by name. */
static int write_hosts(struct ctr *self, char *path, size_t len, struct herror *err)
{
	char dir[PATH_MAX], buf[16384], ip[INET_ADDRSTRLEN];
	size_t n = 0;

	ctr_dir(self, dir, sizeof(dir));
	snprintf(path, len, "%s/hosts", dir);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "127.0.0.1\tlocalhost\n");
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		struct ctr *c = &sv.c[i];

		if ((c == self || is_active(c)) && c->addr && n < sizeof(buf) - 128 &&
		    inet_ntop(AF_INET, &c->addr, ip, sizeof(ip)))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\t%s\n", ip, c->spec.name);
	}
	return write_file_atomic(path, buf, n, 0600, err);
}

static void default_env(struct container_spec *s)
{
	if (s->envc)
		return;
	s->env[s->envc++] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	s->env[s->envc++] = strdup("HOME=/root");
	s->env[s->envc] = NULL;
}

int launch(struct ctr *c, struct herror *err)
{
	struct spawn_params p = { .spec = &c->spec, .cgroup_fd = -1 };
	struct sock_fprog seccomp = { 0 };
	struct herror ignored = { 0 };
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, sync_fd = -1, r;
	char dir[PATH_MAX], logpath[PATH_MAX + 8], hosts[PATH_MAX + 8];
	pid_t pid;

	if (c->spec.kmon_requested && !kmon_available())
		return error_setx(err, ENODEV, "kernel memory monitor limits asked for, but /dev/memwatch does not exist");
	ctr_dir(c, dir, sizeof(dir));
	if (!c->rootfs_dir[0] && (r = resolve_rootfs(c, err)) < 0)
		return r;
	p.rootfs_dir = c->rootfs_dir;
	/* With limits a cgroup is a must; without, one is made whenever the
	 * hierarchy is there, so that the device filter holds everywhere. */
	if ((spec_wants_cgroup(&c->spec) || cgroup_check_root(sv.cfg->cgroup_root, &ignored) == 0) &&
	    (r = cgroup_create(sv.cfg->cgroup_root, c->spec.name, &c->spec.limits, &p.cgroup_fd, c->cgroup, err)) < 0)
		return r;
	if (p.cgroup_fd >= 0 && (r = cgroup_device_filter(p.cgroup_fd, err)) < 0)
		goto fail;
	c->device_filter = p.cgroup_fd >= 0;
	if ((r = secfilter_build(&c->spec, &seccomp, err)) < 0)
		goto fail;
	p.seccomp = &seccomp;
	p.userns = c->spec.userns;
	if (c->spec.network) {
		if (!sv.net_ready) {
			uint32_t gw = htonl(ntohl(sv.cfg->subnet) + 1);
			bool created = false;

			if ((r = net_ensure_bridge(sv.cfg->bridge, gw, sv.cfg->prefix, &created, err)) < 0)
				goto fail;
			sv.bridge_created = created;
			sv.net_ready = 1;
		}
		if (!(c->addr = allocate_addr(&c->spec, err))) {
			r = -err->status;
			goto fail;
		}
		p.net_addr = c->addr;
		p.net_gateway = htonl(ntohl(sv.cfg->subnet) + 1);
		p.net_prefix = sv.cfg->prefix;
		if ((r = write_hosts(c, hosts, sizeof(hosts), err)) < 0)
			goto fail;
		p.hosts_file = hosts;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = error_set(err, errno, "cannot create log pipes for '%s'", c->spec.name);
		goto fail;
	}
	p.stdout_fd = out[1];
	p.stderr_fd = errp[1];
	default_env(&c->spec);
	if ((r = container_clone(&p, &pid, &sync_fd, err)) < 0)
		goto fail;
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	c->pid = pid;
	if (c->spec.network) {
		snprintf(c->host_if, sizeof(c->host_if), "hrt%u", c->id);
		if ((r = net_attach_container(sv.cfg->bridge, c->host_if, pid, err)) < 0) {
			c->host_if[0] = '\0';
			goto fail_child;
		}
	}
	if (c->spec.userns && (r = container_map_ids(pid, err)) < 0)
		goto fail_child;
	if (c->spec.kmon_requested) {
		if ((r = kmon_register(pid, c->spec.kmon_soft, c->spec.kmon_hard, err)) < 0)
			goto fail_child;
		c->kmon_registered = 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	if ((r = container_release(pid, sync_fd, err)) < 0) {
		sync_fd = -1;
		goto fail_logs;
	}
	sync_fd = -1;
	c->pid_starttime = proc_starttime(pid);
	if ((r = log_stream_open(logpath, sv.cfg->log_max, out[0], errp[0], c->id, err)) < 0) {
		/* Without a reader the container would block on a full pipe. */
		kill(pid, SIGKILL);
		goto fail;
	}
	c->log_done = 0;
	c->state = ST_RUNNING;
	c->started = time(NULL);
	c->reason[0] = '\0';
	if (p.cgroup_fd >= 0)
		close(p.cgroup_fd);
	secfilter_free(&seccomp);
	save_state(c);
	return 0;

fail_child:
	close(sync_fd);	/* the child sees EOF and exits without running anything */
	sync_fd = -1;
	waitpid(pid, NULL, 0);
fail_logs:
	c->pid = 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (p.cgroup_fd >= 0)
		close(p.cgroup_fd);
	secfilter_free(&seccomp);
	if (c->host_if[0])
		net_detach(c->host_if);
	c->host_if[0] = '\0';
	c->addr = 0;
	if (c->cgroup[0])
		cgroup_remove(c->cgroup);
	c->cgroup[0] = '\0';
	return r;
}

void forget(struct ctr *c)
{
	char dir[PATH_MAX];

	while (c->nwaiters > 0)
		client_drop(c->waiters[0], "the container was removed");
	ctr_dir(c, dir, sizeof(dir));
	if (c->cgroup[0])
		cgroup_remove(c->cgroup);
	if (c->host_if[0])
		net_detach(c->host_if);
	if (c->pidfd >= 0)
		close(c->pidfd);
	remove_tree(dir, NULL);
	spec_free(&c->spec);
	c->used = 0;
}

static void try_queued(void);

void container_ended(struct ctr *c, int status)
{
	c->ended = time(NULL);
	c->kill_deadline = 0;
	if (status == -1) {
		c->state = ST_EXITED;
		c->exit_code = -1;
	} else if (WIFEXITED(status)) {
		c->state = ST_EXITED;
		c->exit_code = WEXITSTATUS(status);
	} else {
		c->term_signal = WTERMSIG(status);
		c->exit_code = 128 + c->term_signal;
		c->state = ST_KILLED;
		if (c->cgroup[0] && cgroup_oom_killed(c->cgroup)) {
			c->state = ST_OOM_KILLED;
			snprintf(c->reason, sizeof(c->reason), "killed by the kernel's OOM killer (memory.max)");
		} else if (c->kmon_killed) {
			snprintf(c->reason, sizeof(c->reason), "killed by the kernel memory monitor (hard limit)");
		} else if (c->stop_requested) {
			snprintf(c->reason, sizeof(c->reason), "stopped on request");
		}
	}
	if (c->host_if[0]) {
		net_detach(c->host_if);
		c->host_if[0] = '\0';
	}
	save_state(c);
	answer_waiters(c);
	try_queued();
}

void reap_children(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_CONTAINERS; i++) {
			struct ctr *c = &sv.c[i];

			if (c->used && c->pid == pid && c->state == ST_RUNNING) {
				container_ended(c, status);
				break;
			}
		}
	}
}

static void start_queued_or_fail(struct ctr *c)
{
	struct herror err = { 0 };

	if (launch(c, &err) < 0) {
		c->state = ST_FAILED;
		c->ended = time(NULL);
		c->log_done = 1;
		snprintf(c->reason, sizeof(c->reason), "%s", err.msg);
		save_state(c);
		answer_waiters(c);
	}
}

static void try_queued(void)
{
	for (;;) {
		struct ctr *best = NULL;
		struct herror err = { 0 };
		char reason[600];

		for (int i = 0; i < MAX_CONTAINERS; i++)
			if (sv.c[i].used && sv.c[i].state == ST_QUEUED &&
			    (!best || sv.c[i].queued_seq < best->queued_seq))
				best = &sv.c[i];
		if (!best || sv.stopping)
			return;
		/* FIFO: a later start never overtakes the head of the queue. */
		if (admission_check(&best->spec, reason, sizeof(reason), &err) != 1)
			return;
		start_queued_or_fail(best);
	}
}
