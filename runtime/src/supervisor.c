#include "supervisor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cgroup.h"
#include "kmon.h"
#include "logpipe.h"
#include "net.h"
#include "sv_state.h"
#include "sv_reply.h"
#include "sv_launch.h"
#include "sv_clients.h"

static int open_socket(struct herror *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;
	mode_t old;

	if (strlen(sv.cfg->socket_path) >= sizeof(sa.sun_path))
		return error_setx(err, ENAMETOOLONG, "socket path too long: '%s'", sv.cfg->socket_path);
	memcpy(sa.sun_path, sv.cfg->socket_path, strlen(sv.cfg->socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_set(err, errno, "cannot create socket");
	/* A live supervisor answers; a stale socket file does not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return error_setx(err, EADDRINUSE, "a supervisor is already listening on '%s'", sv.cfg->socket_path);
	}
	unlink(sv.cfg->socket_path);
	old = umask(0177);	/* mode 0600 from the moment it exists */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		return error_set(err, e, "cannot bind '%s'", sv.cfg->socket_path);
	}
	umask(old);
	chmod(sv.cfg->socket_path, 0600);
	if (listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return error_set(err, e, "cannot listen on '%s'", sv.cfg->socket_path);
	}
	return fd;
}

static void stop_all(void)
{
	uint64_t deadline = 0;

	for (int i = 0; i < MAX_CONTAINERS; i++) {
		struct ctr *c = &sv.c[i];

		if (!c->used)
			continue;
		if (c->state == ST_QUEUED) {
			c->state = ST_FAILED;
			snprintf(c->reason, sizeof(c->reason), "supervisor stopped while queued");
			c->log_done = 1;
			save_state(c);
			answer_waiters(c);
		} else if (c->state == ST_RUNNING && c->pidfd < 0) {
			c->stop_requested = 1;
			kill(c->pid, SIGTERM);
			uint64_t d = mono_ns() + (uint64_t)c->spec.stop_grace_s * 1000000000ull;
			if (d > deadline)
				deadline = d;
		}
	}
	/* Grace period, then SIGKILL; reap everything before leaving. */
	for (;;) {
		int left = 0;

		reap_children();
		for (int i = 0; i < MAX_CONTAINERS; i++)
			if (sv.c[i].used && sv.c[i].state == ST_RUNNING && sv.c[i].pidfd < 0)
				left++;
		if (!left)
			break;
		if (mono_ns() >= deadline)
			for (int i = 0; i < MAX_CONTAINERS; i++)
				if (sv.c[i].used && sv.c[i].state == ST_RUNNING && sv.c[i].pidfd < 0)
					kill(sv.c[i].pid, SIGKILL);
		usleep(20000);
	}
}

void supervisor_config_init(struct supervisor_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "/run/harness-runtime");
	snprintf(c->cgroup_root, sizeof(c->cgroup_root), "%s", CGROUP_DEFAULT_ROOT);
	c->log_max = 8ull << 20;
	snprintf(c->bridge, sizeof(c->bridge), "hrt-br0");
	inet_pton(AF_INET, "10.88.0.0", &c->subnet);
	c->prefix = 24;
}

/* Without a cgroup v2 hierarchy there is no device filter: containers
 * then rely on nodev mounts and the missing CAP_MKNOD alone. Said once at
 * start, and in every inspect. A kernel that cannot load the filter makes
 * every start fail with the reason (launch). */
static void check_device_control(void)
{
	struct herror err = { 0 };

	if (cgroup_check_root(sv.cfg->cgroup_root, &err) < 0) {
		snprintf(sv.no_device_filter, sizeof(sv.no_device_filter), "%s", err.msg);
		fprintf(stderr, "harness-runtime: warning: no device controller: %s; containers get no cgroup device "
				"filter, only nodev mounts and the missing CAP_MKNOD keep device nodes out\n", err.msg);
	} else if (cgroup_device_filter_probe(&err) < 0) {
		fprintf(stderr, "harness-runtime: warning: no device controller: %s; every start will be refused\n",
			err.msg);
	}
}

int supervisor_run(const struct supervisor_config *cfg)
{
	uint64_t accept_paused_until = 0;
	struct herror err = { 0 };
	char path[PATH_MAX];
	sigset_t mask;
	int np[2];

	memset(&sv, 0, sizeof(sv));
	sv.cfg = cfg;
	clients_init();
	sv.kmon_fd = -1;
	snprintf(path, sizeof(path), "%s/containers", cfg->state_dir);
	if (mkdir_p(path, 0700, &err) < 0) {
		fprintf(stderr, "harness-runtime: %s\n", err.msg);
		return 1;
	}
	chmod(cfg->state_dir, 0700);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sv.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sv.sig_fd < 0 || pipe2(np, O_CLOEXEC) < 0) {
		fprintf(stderr, "harness-runtime: cannot set up signal handling: %s\n", strerror(errno));
		return 1;
	}
	sv.notify_rd = np[0];
	sv.notify_wr = np[1];
	if ((sv.listen_fd = open_socket(&err)) < 0) {
		fprintf(stderr, "harness-runtime: %s\n", err.msg);
		return 1;
	}
	/* The log threads start after the signal mask so they inherit it. */
	if (logsys_start(sv.notify_wr, &err) < 0) {
		fprintf(stderr, "harness-runtime: %s\n", err.msg);
		return 1;
	}
	sv.kmon_fd = kmon_open_events();
	check_device_control();
	load_all();
	fprintf(stderr, "harness-runtime: supervisor listening on %s (state %s, cgroups under %s, kernel monitor %s)\n",
		cfg->socket_path, cfg->state_dir, cfg->cgroup_root, sv.kmon_fd >= 0 ? "present" : "absent");

	while (!sv.stopping) {
		struct pollfd pfd[4 + MAX_CONTAINERS + MAX_CLIENTS];
		struct ctr *pidfd_owner[MAX_CONTAINERS];
		struct client *client_owner[MAX_CLIENTS];
		int n = 0, npid = 0, ncl = 0, timeout = -1;
		uint64_t now = mono_ns();

		pfd[n++] = (struct pollfd){ .fd = now < accept_paused_until ? -1 : sv.listen_fd, .events = POLLIN };
		if (now < accept_paused_until)
			timeout = (int)((accept_paused_until - now) / 1000000) + 1;
		pfd[n++] = (struct pollfd){ .fd = sv.sig_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sv.notify_rd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sv.kmon_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CONTAINERS; i++) {
			struct ctr *c = &sv.c[i];

			if (c->used && c->pidfd >= 0 && c->state == ST_RUNNING) {
				pidfd_owner[npid++] = c;
				pfd[n++] = (struct pollfd){ .fd = c->pidfd, .events = POLLIN };
			}
			if (c->used && c->state == ST_RUNNING && c->kill_deadline) {
				if (c->kill_deadline <= now) {
					kill(c->pid, SIGKILL);
					c->kill_deadline = 0;
				} else {
					int ms = (int)((c->kill_deadline - now) / 1000000) + 1;
					if (timeout < 0 || ms < timeout)
						timeout = ms;
				}
			}
		}
		clients_expire(now, &timeout);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd >= 0)
				client_owner[ncl++] = &clients[i];
		for (int i = 0; i < ncl; i++)
			pfd[n++] = (struct pollfd){ .fd = client_owner[i]->fd,
						    .events = client_poll_events(client_owner[i]) };
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "harness-runtime: poll failed: %s\n", strerror(errno));
			break;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			while (read(sv.sig_fd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo != SIGCHLD) {
					fprintf(stderr, "harness-runtime: signal %d from pid %u, stopping\n",
						si.ssi_signo, si.ssi_pid);
					sv.stopping = 1;
				}
			reap_children();
		}
		if (pfd[2].revents) {
			uint32_t id;

			if (read_all(sv.notify_rd, &id, sizeof(id)) == sizeof(id))
				for (int i = 0; i < MAX_CONTAINERS; i++)
					if (sv.c[i].used && sv.c[i].id == id) {
						sv.c[i].log_done = 1;
						answer_waiters(&sv.c[i]);
					}
		}
		if (sv.kmon_fd >= 0 && pfd[3].revents) {
			struct kmon_event ev;

			/* The module's own record of each warning and kill: what
			 * inspect reports (dmesg's copy is rate-limited). */
			while (kmon_read_event(sv.kmon_fd, &ev) >= 0)
				for (int i = 0; i < MAX_CONTAINERS; i++) {
					struct ctr *k = &sv.c[i];

					/* The pidfd may have told of the end first. */
					if (!k->used || !k->kmon_registered || k->pid != ev.pid)
						continue;
					if (ev.type == KMON_KILLED) {
						if (k->state == ST_RUNNING)
							k->kmon_killed = 1;
						k->kmon_killed_ev = ev;
					} else if (ev.type == KMON_WARNED && k->kmon_warned_ev.type == 0) {
						k->kmon_warned_ev = ev;
					}
				}
		}
		for (int i = 0; i < npid; i++)
			if (pfd[4 + i].revents)
				container_ended(pidfd_owner[i], -1);
		/* A slot freed by one client may already hold another: act only
		 * on the connection that was polled. */
		for (int i = 0; i < ncl; i++)
			if (pfd[4 + npid + i].revents && client_owner[i]->fd == pfd[4 + npid + i].fd)
				client_ready(client_owner[i], pfd[4 + npid + i].revents);
		/* A burst of connections at once, but a bounded one per round. */
		for (int i = 0; pfd[0].revents && i < 16; i++) {
			int cfd = accept4(sv.listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0) {
				client_accept(cfd);
			} else {
				/* Out of descriptors: the pending ones wait a moment
				 * rather than spin the loop. */
				if (errno == EMFILE || errno == ENFILE) {
					fprintf(stderr, "harness-runtime: cannot accept a client: %s\n", strerror(errno));
					accept_paused_until = mono_ns() + 100000000ull;
				}
				break;
			}
		}
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && !clients[i].waiting_on)
			client_drop(&clients[i], "the supervisor is stopping");
	stop_all();
	logsys_stop();
	/* Log ends that arrived during shutdown. */
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (sv.c[i].used) {
			sv.c[i].log_done = 1;
			answer_waiters(&sv.c[i]);
			if (sv.c[i].cgroup[0] && has_ended(&sv.c[i]))
				cgroup_remove(sv.c[i].cgroup);
		}
	/* The bridge it made goes with it (its containers' veths are gone):
	 * nothing of the private network outlives the supervisor. */
	if (sv.bridge_created && net_detach(cfg->bridge) < 0)
		fprintf(stderr, "harness-runtime: cannot remove bridge '%s'\n", cfg->bridge);
	/* Waiters have their answer queued; what the sockets do not take
	 * now is lost with the supervisor. */
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_drop(&clients[i], NULL);
	close(sv.listen_fd);
	unlink(cfg->socket_path);
	fprintf(stderr, "harness-runtime: supervisor stopped\n");
	return 0;
}
