#include "supervisor.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "banker.h"
#include "cgroup.h"
#include "kmon.h"
#include "logpipe.h"
#include "net.h"
#include "oci.h"
#include "proto.h"
#include "secfilter.h"
#include "setup.h"
#include "spec.h"
#include "util.h"

#define MAX_CONTAINERS 256
#define MAX_WAITERS    16
#define CLIENT_TIMEOUT_S 5
#define MAX_PENDING    32

extern char **environ;

enum cstate { ST_CREATED, ST_QUEUED, ST_RUNNING, ST_EXITED, ST_KILLED, ST_OOM_KILLED, ST_FAILED };
static const char *const state_names[] = {
	"created", "queued", "running", "exited", "killed", "oom-killed", "failed",
};

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
	int kmon_registered, kmon_killed;
	int pidfd;				/* adopted after a restart */
	int waiters[MAX_WAITERS];
	int nwaiters;
	uint64_t queued_seq;
};

static struct {
	const struct supervisor_config *cfg;
	struct ctr c[MAX_CONTAINERS];
	uint32_t next_id;
	uint64_t queue_seq;
	int listen_fd, sig_fd, notify_rd, notify_wr, kmon_fd;
	int stopping;
	int net_ready;
} sv;

static struct ctr *find(const char *name)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (sv.c[i].used && !strcmp(sv.c[i].spec.name, name))
			return &sv.c[i];
	return NULL;
}

static int is_active(const struct ctr *c)
{
	return c->used && (c->state == ST_RUNNING || c->state == ST_CREATED);
}

static int has_ended(const struct ctr *c)
{
	return c->state >= ST_EXITED;
}

static void ctr_dir(const struct ctr *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/containers/%s", sv.cfg->state_dir, c->spec.name);
}

/* ---------- state on disk ---------- */

static cJSON *ctr_to_json(const struct ctr *c)
{
	cJSON *o = cJSON_CreateObject();
	char ip[INET_ADDRSTRLEN];

	cJSON_AddStringToObject(o, "name", c->spec.name);
	cJSON_AddNumberToObject(o, "id", c->id);
	cJSON_AddStringToObject(o, "state", state_names[c->state]);
	cJSON_AddNumberToObject(o, "pid", c->pid);
	cJSON_AddNumberToObject(o, "pid_starttime", (double)c->pid_starttime);
	cJSON_AddNumberToObject(o, "created", (double)c->created);
	cJSON_AddNumberToObject(o, "started", (double)c->started);
	cJSON_AddNumberToObject(o, "ended", (double)c->ended);
	if (has_ended(c)) {
		cJSON_AddNumberToObject(o, "exit_code", c->exit_code);
		cJSON_AddNumberToObject(o, "signal", c->term_signal);
	}
	if (c->reason[0])
		cJSON_AddStringToObject(o, "reason", c->reason);
	cJSON_AddStringToObject(o, "rootfs_dir", c->rootfs_dir);
	cJSON_AddBoolToObject(o, "rootfs_extracted", c->rootfs_extracted);
	if (c->cgroup[0])
		cJSON_AddStringToObject(o, "cgroup", c->cgroup);
	if (c->addr && inet_ntop(AF_INET, &c->addr, ip, sizeof(ip)))
		cJSON_AddStringToObject(o, "ip", ip);
	if (c->host_if[0])
		cJSON_AddStringToObject(o, "host_if", c->host_if);
	cJSON_AddItemToObject(o, "spec", spec_to_json(&c->spec));
	return o;
}

static void save_state(const struct ctr *c)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct rt_err err = { 0 };
	cJSON *o = ctr_to_json(c);
	char *text = cJSON_Print(o);

	ctr_dir(c, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	if (!text || write_file_atomic(path, text, strlen(text), &err) < 0)
		fprintf(stderr, "harness-runtime: cannot save state of '%s': %s\n", c->spec.name,
			err.msg[0] ? err.msg : "out of memory");
	free(text);
	cJSON_Delete(o);
}

static unsigned long long proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read_all(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (!p)
		return 0;
	/* Field 22 is starttime; after ')' come fields 3.. */
	p++;
	for (int field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &st);
	return st;
}

static struct ctr *alloc_ctr(void)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (!sv.c[i].used) {
			memset(&sv.c[i], 0, sizeof(sv.c[i]));
			sv.c[i].used = 1;
			sv.c[i].pidfd = -1;
			sv.c[i].id = ++sv.next_id;
			spec_init(&sv.c[i].spec);
			return &sv.c[i];
		}
	return NULL;
}

static void load_one(const char *name)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	struct rt_err err = { 0 };
	cJSON *o, *v;
	struct ctr *c;

	snprintf(path, sizeof(path), "%s/containers/%s/state.json", sv.cfg->state_dir, name);
	if (read_file(path, 1 << 20, &text, NULL, &err) < 0) {
		fprintf(stderr, "harness-runtime: skipping container '%s': %s\n", name, err.msg);
		return;
	}
	o = cJSON_Parse(text);
	if (!o || !(c = alloc_ctr())) {
		fprintf(stderr, "harness-runtime: skipping container '%s': unreadable state\n", name);
		cJSON_Delete(o);
		return;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "spec");
	if (spec_from_json(v, &c->spec, &err) < 0) {
		fprintf(stderr, "harness-runtime: skipping container '%s': %s\n", name, err.msg);
		spec_free(&c->spec);
		c->used = 0;
		cJSON_Delete(o);
		return;
	}
#define NUM(k) ((v = cJSON_GetObjectItemCaseSensitive(o, k)) && cJSON_IsNumber(v) ? v->valuedouble : 0)
#define STR(k, dst) do { v = cJSON_GetObjectItemCaseSensitive(o, k); \
		if (cJSON_IsString(v)) snprintf(dst, sizeof(dst), "%s", v->valuestring); } while (0)
	c->pid = (pid_t)NUM("pid");
	c->pid_starttime = (unsigned long long)NUM("pid_starttime");
	c->created = (time_t)NUM("created");
	c->started = (time_t)NUM("started");
	c->ended = (time_t)NUM("ended");
	c->exit_code = (int)NUM("exit_code");
	c->term_signal = (int)NUM("signal");
	STR("reason", c->reason);
	STR("rootfs_dir", c->rootfs_dir);
	STR("cgroup", c->cgroup);
	STR("host_if", c->host_if);
	c->rootfs_extracted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "rootfs_extracted"));
	v = cJSON_GetObjectItemCaseSensitive(o, "state");
	c->state = ST_FAILED;
	for (unsigned i = 0; cJSON_IsString(v) && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(v->valuestring, state_names[i]))
			c->state = (enum cstate)i;
#undef NUM
#undef STR
	cJSON_Delete(o);
	c->log_done = 1;
	if (c->state == ST_RUNNING || c->state == ST_CREATED) {
		/* Not our child any more: watch it through a pidfd. */
		if (c->pid > 0 && proc_starttime(c->pid) == c->pid_starttime &&
		    (c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0)) >= 0) {
			snprintf(c->reason, sizeof(c->reason), "adopted after a supervisor restart; exit status unknown");
		} else {
			c->state = ST_EXITED;
			c->exit_code = -1;
			c->ended = time(NULL);
			snprintf(c->reason, sizeof(c->reason), "ended while the supervisor was down; exit status unknown");
		}
		save_state(c);
	} else if (c->state == ST_QUEUED) {
		c->state = ST_FAILED;
		snprintf(c->reason, sizeof(c->reason), "was queued when the supervisor stopped");
		save_state(c);
	}
}

static void load_all(void)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/containers", sv.cfg->state_dir);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && name_is_valid(e->d_name))
			load_one(e->d_name);
	closedir(d);
}

/* ---------- admission control ---------- */

static void ctr_alloc_vector(const struct container_spec *s, uint64_t *v)
{
	v[0] = s->limits.memory_max;
	v[1] = s->limits.cpu_quota_us ? (uint64_t)s->limits.cpu_quota_us * 1000 / s->limits.cpu_period_us : 0;
	v[2] = s->limits.pids_max;
	if (s->claims.hold_memory > v[0])
		v[0] = s->claims.hold_memory;
	if (s->claims.hold_cpu_milli > v[1])
		v[1] = s->claims.hold_cpu_milli;
	if (s->claims.hold_pids > v[2])
		v[2] = s->claims.hold_pids;
}

static void ctr_claim_vector(const struct container_spec *s, uint64_t *v)
{
	v[0] = s->claims.memory;
	v[1] = s->claims.cpu_milli;
	v[2] = s->claims.pids;
}

/* Builds the banker state over active declared containers; idx maps
 * banker rows to containers. */
static void build_banker(struct banker *b, struct ctr **idx)
{
	memset(b, 0, sizeof(*b));
	b->nres = 3;
	memcpy(b->available, sv.cfg->capacity, sizeof(sv.cfg->capacity));
	for (int i = 0; i < MAX_CONTAINERS && b->nproc < BANKER_MAX_PROCS - 1; i++) {
		struct ctr *c = &sv.c[i];
		uint64_t a[3];

		if (!is_active(c) || !c->spec.claims.declared)
			continue;
		ctr_claim_vector(&c->spec, b->max[b->nproc]);
		ctr_alloc_vector(&c->spec, a);
		for (int r = 0; r < 3; r++) {
			b->alloc[b->nproc][r] = a[r];
			b->available[r] = b->available[r] > a[r] ? b->available[r] - a[r] : 0;
		}
		idx[b->nproc++] = c;
	}
}

/* 1 admitted, 0 unsafe now (reason set), negative: can never be admitted. */
static int admission_check(const struct container_spec *s, char *reason, size_t rlen, struct rt_err *err)
{
	static const char *const res_names[] = { "memory", "cpu", "pids" };
	struct banker b;
	struct ctr *idx[BANKER_MAX_PROCS];
	uint64_t claim[3], req[3];
	int p, r;

	if (!s->claims.declared)
		return 1;
	if (!sv.cfg->have_capacity)
		return rt_failx(err, EINVAL, "container '%s' declares claims but the supervisor has no --capacity", s->name);
	ctr_claim_vector(s, claim);
	ctr_alloc_vector(s, req);
	for (int i = 0; i < 3; i++)
		if (claim[i] > sv.cfg->capacity[i])
			return rt_failx(err, ENOSPC, "the %s claim of '%s' (%llu) exceeds the capacity (%llu)",
					res_names[i], s->name, (unsigned long long)claim[i],
					(unsigned long long)sv.cfg->capacity[i]);
	build_banker(&b, idx);
	if (b.nproc >= BANKER_MAX_PROCS - 1)
		return rt_failx(err, ENOSPC, "too many containers under admission control");
	p = b.nproc++;
	memcpy(b.max[p], claim, sizeof(claim));
	r = banker_request_is_safe(&b, p, req, NULL);
	if (r == 1)
		return 1;
	if (r < 0)
		return rt_failx(err, EINVAL, "inconsistent claims for '%s'", s->name);
	for (int i = 0; i < 3; i++)
		if (req[i] > b.available[i]) {
			snprintf(reason, rlen, "not enough %s available now (%llu asked, %llu free)", res_names[i],
				 (unsigned long long)req[i], (unsigned long long)b.available[i]);
			return 0;
		}
	snprintf(reason, rlen, "no safe sequence would remain if '%s' were admitted", s->name);
	return 0;
}

static cJSON *safe_sequence_json(void)
{
	struct banker b;
	struct ctr *idx[BANKER_MAX_PROCS];
	int seq[BANKER_MAX_PROCS];
	cJSON *o;

	if (!sv.cfg->have_capacity)
		return cJSON_CreateNull();
	build_banker(&b, idx);
	if (banker_safe_sequence(&b, seq) != 1)
		return cJSON_CreateString("unsafe");
	o = cJSON_CreateArray();
	for (int i = 0; i < b.nproc; i++)
		cJSON_AddItemToArray(o, cJSON_CreateString(idx[seq[i]]->spec.name));
	return o;
}

/* ---------- replies ---------- */

static void reply(int fd, cJSON *o)
{
	struct rt_err err = { 0 };

	if (proto_send(fd, PROTO_KIND_RESPONSE, o, &err) < 0)
		fprintf(stderr, "harness-runtime: cannot answer a client: %s\n", err.msg);
	cJSON_Delete(o);
}

static void reply_error(int fd, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 0);
	cJSON_AddStringToObject(o, "error", msg);
	reply(fd, o);
}

static cJSON *ok_obj(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 1);
	return o;
}

static void add_status(cJSON *o, const struct ctr *c)
{
	cJSON_AddStringToObject(o, "name", c->spec.name);
	cJSON_AddStringToObject(o, "state", state_names[c->state]);
	cJSON_AddNumberToObject(o, "pid", c->pid);
	if (c->started)
		cJSON_AddNumberToObject(o, "uptime_s", (double)((has_ended(c) ? c->ended : time(NULL)) - c->started));
	if (has_ended(c)) {
		cJSON_AddNumberToObject(o, "exit_code", c->exit_code);
		if (c->term_signal)
			cJSON_AddNumberToObject(o, "signal", c->term_signal);
	}
	if (c->reason[0])
		cJSON_AddStringToObject(o, "reason", c->reason);
}

static void answer_waiters(struct ctr *c)
{
	if (!has_ended(c) || !c->log_done)
		return;
	for (int i = 0; i < c->nwaiters; i++) {
		cJSON *o = ok_obj();

		add_status(o, c);
		reply(c->waiters[i], o);
		close(c->waiters[i]);
	}
	c->nwaiters = 0;
}

/* ---------- launching ---------- */

static int extract_tarball(struct ctr *c, struct rt_err *err)
{
	char dir[PATH_MAX];
	char *argv[] = { "tar", "-xf", c->spec.rootfs, "-C", c->rootfs_dir, NULL };
	pid_t pid;
	int status, r;

	ctr_dir(c, dir, sizeof(dir));
	if ((size_t)snprintf(c->rootfs_dir, sizeof(c->rootfs_dir), "%s/rootfs", dir) >= sizeof(c->rootfs_dir))
		return rt_failx(err, ENAMETOOLONG, "state directory path too long: '%s'", dir);
	if ((r = mkdir_p(c->rootfs_dir, 0755, err)) < 0)
		return r;
	r = posix_spawnp(&pid, "tar", NULL, NULL, argv, environ);
	if (r)
		return rt_fail(err, r, "cannot run tar to unpack '%s'", c->spec.rootfs);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		remove_tree(c->rootfs_dir);
		return rt_failx(err, EIO, "cannot unpack root filesystem '%s' (tar failed)", c->spec.rootfs);
	}
	c->rootfs_extracted = 1;
	return 0;
}

static int resolve_rootfs(struct ctr *c, struct rt_err *err)
{
	struct stat st;

	if (stat(c->spec.rootfs, &st) < 0)
		return rt_fail(err, errno, "cannot use root filesystem '%s'", c->spec.rootfs);
	if (S_ISDIR(st.st_mode)) {
		snprintf(c->rootfs_dir, sizeof(c->rootfs_dir), "%s", c->spec.rootfs);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return extract_tarball(c, err);
	return rt_failx(err, EINVAL, "root filesystem '%s' is neither a directory nor a tarball", c->spec.rootfs);
}

static uint32_t allocate_addr(const struct container_spec *s, struct rt_err *err)
{
	uint32_t net = ntohl(sv.cfg->subnet), size = sv.cfg->prefix >= 31 ? 0 : 1u << (32 - sv.cfg->prefix);
	uint32_t want;

	if (s->ip[0]) {
		inet_pton(AF_INET, s->ip, &want);
		uint32_t h = ntohl(want);
		if ((h & ~(size - 1)) != net || h == net || h == net + 1 || h == net + size - 1) {
			rt_failx(err, EINVAL, "address %s is not a free host address of the private subnet", s->ip);
			return 0;
		}
		for (int i = 0; i < MAX_CONTAINERS; i++)
			if (is_active(&sv.c[i]) && sv.c[i].addr == want) {
				rt_failx(err, EADDRINUSE, "address %s is used by '%s'", s->ip, sv.c[i].spec.name);
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
	rt_failx(err, EADDRNOTAVAIL, "no free address left in the private subnet");
	return 0;
}

/* /etc/hosts for a networked container: every networked container by name. */
static int write_hosts(struct ctr *self, char *path, size_t len, struct rt_err *err)
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
	return write_file_atomic(path, buf, n, err);
}

static void default_env(struct container_spec *s)
{
	if (s->envc)
		return;
	s->env[s->envc++] = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	s->env[s->envc++] = strdup("HOME=/root");
	s->env[s->envc] = NULL;
}

static int launch(struct ctr *c, struct rt_err *err)
{
	struct spawn_params p = { .spec = &c->spec, .cgroup_fd = -1 };
	struct sock_fprog seccomp = { 0 };
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, sync_fd = -1, r;
	char dir[PATH_MAX], logpath[PATH_MAX + 8], hosts[PATH_MAX + 8];
	pid_t pid;

	if (c->spec.kmon_requested && !kmon_available())
		return rt_failx(err, ENODEV, "kernel memory monitor limits asked for, but /dev/memwatch does not exist");
	ctr_dir(c, dir, sizeof(dir));
	if (!c->rootfs_dir[0] && (r = resolve_rootfs(c, err)) < 0)
		return r;
	p.rootfs_dir = c->rootfs_dir;
	if (spec_wants_cgroup(&c->spec) &&
	    (r = cgroup_create(sv.cfg->cgroup_root, c->spec.name, &c->spec.limits, &p.cgroup_fd, c->cgroup, err)) < 0)
		return r;
	if (p.cgroup_fd >= 0 && (r = cgroup_device_filter(p.cgroup_fd, err)) < 0)
		goto fail;
	if ((r = secfilter_build(&c->spec, &seccomp, err)) < 0)
		goto fail;
	p.seccomp = &seccomp;
	p.userns = c->spec.userns;
	if (c->spec.network) {
		if (!sv.net_ready) {
			uint32_t gw = htonl(ntohl(sv.cfg->subnet) + 1);
			if ((r = net_ensure_bridge(sv.cfg->bridge, gw, sv.cfg->prefix, err)) < 0)
				goto fail;
			sv.net_ready = 1;
		}
		if (!(c->addr = allocate_addr(&c->spec, err))) {
			r = -err->code;
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
		r = rt_fail(err, errno, "cannot create log pipes for '%s'", c->spec.name);
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

static void forget(struct ctr *c)
{
	char dir[PATH_MAX];

	ctr_dir(c, dir, sizeof(dir));
	if (c->cgroup[0])
		cgroup_remove(c->cgroup);
	if (c->host_if[0])
		net_detach(c->host_if);
	if (c->pidfd >= 0)
		close(c->pidfd);
	remove_tree(dir);
	spec_free(&c->spec);
	c->used = 0;
}

static void try_queued(void);

static void container_ended(struct ctr *c, int status)
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

static void reap_children(void)
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
	struct rt_err err = { 0 };

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
		struct rt_err err = { 0 };
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

/* ---------- requests ---------- */

static void handle_start(int fd, struct proto_request *req, int *keep_open)
{
	struct rt_err err = { 0 };
	char reason[600] = "", dir[PATH_MAX];
	struct ctr *c, *old = find(req->name);
	cJSON *o;
	int r;

	if (old) {
		snprintf(err.msg, sizeof(err.msg), "container '%s' already exists (state %s)", req->name,
			 state_names[old->state]);
		reply_error(fd, err.msg);
		return;
	}
	if (req->spec.bundle[0]) {
		if ((r = oci_load_bundle(req->spec.bundle, &req->spec, &err)) < 0 ||
		    (r = spec_validate(&req->spec, &err)) < 0) {
			reply_error(fd, err.msg);
			return;
		}
	}
	if (access(req->spec.rootfs, F_OK) < 0) {
		rt_fail(&err, errno, "cannot use root filesystem '%s'", req->spec.rootfs);
		reply_error(fd, err.msg);
		return;
	}
	if (spec_wants_cgroup(&req->spec) && cgroup_check_root(sv.cfg->cgroup_root, &err) < 0) {
		reply_error(fd, err.msg);
		return;
	}
	r = admission_check(&req->spec, reason, sizeof(reason), &err);
	if (r < 0 || (r == 0 && !req->spec.admit_queue)) {
		if (r == 0)
			snprintf(err.msg, sizeof(err.msg), "admission refused for '%s': %s", req->name, reason);
		reply_error(fd, err.msg);
		return;
	}
	if (!(c = alloc_ctr())) {
		reply_error(fd, "too many containers: remove ended ones with rm");
		return;
	}
	c->spec = req->spec;
	spec_init(&req->spec);	/* ownership of argv/env moved */
	c->created = time(NULL);
	ctr_dir(c, dir, sizeof(dir));
	if (mkdir_p(dir, 0700, &err) < 0) {
		spec_free(&c->spec);
		c->used = 0;
		reply_error(fd, err.msg);
		return;
	}
	if (r == 0) {
		c->state = ST_QUEUED;
		c->queued_seq = ++sv.queue_seq;
		snprintf(c->reason, sizeof(c->reason), "queued: %s", reason);
		save_state(c);
	} else if (launch(c, &err) < 0) {
		forget(c);
		reply_error(fd, err.msg);
		return;
	}
	if (req->wait && c->nwaiters < MAX_WAITERS) {
		c->waiters[c->nwaiters++] = fd;
		*keep_open = 1;
		return;
	}
	o = ok_obj();
	add_status(o, c);
	reply(fd, o);
}

static void handle_stop(int fd, struct proto_request *req, int *keep_open)
{
	struct ctr *c = find(req->name);
	char msg[256];

	if (!c) {
		snprintf(msg, sizeof(msg), "no such container '%s'", req->name);
		reply_error(fd, msg);
		return;
	}
	if (c->state == ST_QUEUED) {
		c->state = ST_FAILED;
		c->ended = time(NULL);
		c->log_done = 1;
		snprintf(c->reason, sizeof(c->reason), "stopped while queued");
		save_state(c);
	} else if (c->state == ST_RUNNING && c->pidfd < 0) {
		int grace = req->grace_s >= 0 ? req->grace_s : c->spec.stop_grace_s;

		c->stop_requested = 1;
		kill(c->pid, grace ? SIGTERM : SIGKILL);
		if (!c->kill_deadline)
			c->kill_deadline = now_ns() + (uint64_t)grace * 1000000000ull;
	} else if (c->state == ST_RUNNING) {
		c->stop_requested = 1;
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
	}
	if (!has_ended(c) && c->nwaiters < MAX_WAITERS) {
		c->waiters[c->nwaiters++] = fd;
		*keep_open = 1;
		return;
	}
	if (c->nwaiters || !has_ended(c)) {
		reply_error(fd, "too many clients waiting for this container");
		return;
	}
	cJSON *o = ok_obj();
	add_status(o, c);
	reply(fd, o);
}

static cJSON *limits_json(const struct container_spec *s)
{
	cJSON *all = spec_to_json(s);
	cJSON *l = cJSON_DetachItemFromObject(all, "limits");

	cJSON_Delete(all);
	return l;
}

static void handle_ps(int fd)
{
	cJSON *o = ok_obj(), *a = cJSON_AddArrayToObject(o, "containers");

	for (int i = 0; i < MAX_CONTAINERS; i++) {
		struct ctr *c = &sv.c[i];
		cJSON *e;

		if (!c->used)
			continue;
		e = cJSON_CreateObject();
		add_status(e, c);
		cJSON_AddItemToObject(e, "limits", limits_json(&c->spec));
		if (c->cgroup[0]) {
			cJSON *u = cJSON_AddObjectToObject(e, "usage");
			cgroup_usage(c->cgroup, u);
		}
		cJSON_AddItemToArray(a, e);
	}
	cJSON_AddItemToObject(o, "safe_sequence", safe_sequence_json());
	reply(fd, o);
}

static void handle_inspect(int fd, struct proto_request *req)
{
	struct ctr *c = find(req->name);
	char msg[256], dir[PATH_MAX], logp[PATH_MAX + 8];
	cJSON *o, *k;

	if (!c) {
		snprintf(msg, sizeof(msg), "no such container '%s'", req->name);
		reply_error(fd, msg);
		return;
	}
	o = ok_obj();
	cJSON_AddItemToObject(o, "container", ctr_to_json(c));
	if (c->started)
		cJSON_AddNumberToObject(cJSON_GetObjectItem(o, "container"), "uptime_s",
					(double)((has_ended(c) ? c->ended : time(NULL)) - c->started));
	ctr_dir(c, dir, sizeof(dir));
	snprintf(logp, sizeof(logp), "%s/log", dir);
	cJSON_AddStringToObject(cJSON_GetObjectItem(o, "container"), "log", logp);
	if (c->cgroup[0]) {
		cJSON *u = cJSON_AddObjectToObject(o, "usage");
		cgroup_usage(c->cgroup, u);
	}
	k = cJSON_AddObjectToObject(o, "kernel_monitor");
	if (!kmon_available())
		cJSON_AddStringToObject(k, "status", "no kernel memory monitor (/dev/memwatch missing)");
	else if (!c->kmon_registered)
		cJSON_AddStringToObject(k, "status", "not registered (no kernel monitor limits asked for)");
	else if (c->state == ST_RUNNING)
		kmon_describe(c->pid, k);
	else
		cJSON_AddStringToObject(k, "status", c->kmon_killed ? "killed at the hard limit" : "ended");
	reply(fd, o);
}

#define LOG_CHUNK (128 * 1024)

static void handle_logs(int fd, struct proto_request *req)
{
	struct ctr *c = find(req->name);
	char msg[256], dir[PATH_MAX], path[PATH_MAX + 8];
	cleanup_free char *buf = NULL;
	cleanup_close int lf = -1;
	ssize_t n = 0;
	struct stat st;
	cJSON *o;

	if (!c) {
		snprintf(msg, sizeof(msg), "no such container '%s'", req->name);
		reply_error(fd, msg);
		return;
	}
	ctr_dir(c, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	buf = malloc(LOG_CHUNK + 1);
	lf = open(path, O_RDONLY | O_CLOEXEC);
	if (buf && lf >= 0 && fstat(lf, &st) == 0) {
		/* A rotation restarts the file: offsets past its end start over. */
		uint64_t off = req->offset > (uint64_t)st.st_size ? 0 : req->offset;

		n = pread(lf, buf, LOG_CHUNK, (off_t)off);
		if (n < 0)
			n = 0;
		/* JSON strings end at NUL; cut there. */
		buf[n] = '\0';
		n = (ssize_t)strlen(buf);
		req->offset = off + (uint64_t)n;
	}
	o = ok_obj();
	cJSON_AddStringToObject(o, "data", buf ? buf : "");
	cJSON_AddNumberToObject(o, "next", (double)req->offset);
	cJSON_AddBoolToObject(o, "ended", has_ended(c) && c->log_done);
	reply(fd, o);
}

static void handle_remove(int fd, struct proto_request *req)
{
	struct ctr *c = find(req->name);
	char msg[256];

	if (!c) {
		snprintf(msg, sizeof(msg), "no such container '%s'", req->name);
		reply_error(fd, msg);
		return;
	}
	if (!has_ended(c) || !c->log_done) {
		snprintf(msg, sizeof(msg), "container '%s' is %s; stop it first", req->name, state_names[c->state]);
		reply_error(fd, msg);
		return;
	}
	forget(c);
	reply(fd, ok_obj());
}

static int peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void handle_request(int fd, const char *payload, uint32_t len)
{
	struct rt_err err = { 0 };
	struct proto_request req;
	int keep_open = 0;

	if (proto_decode_request(payload, len, &req, &err) < 0) {
		reply_error(fd, err.msg);
		close(fd);
		return;
	}
	switch (req.op) {
	case OP_START: handle_start(fd, &req, &keep_open); break;
	case OP_STOP: handle_stop(fd, &req, &keep_open); break;
	case OP_PS: handle_ps(fd); break;
	case OP_LOGS: handle_logs(fd, &req); break;
	case OP_INSPECT: handle_inspect(fd, &req); break;
	case OP_REMOVE: handle_remove(fd, &req); break;
	case OP_WAIT: {
		struct ctr *c = find(req.name);
		if (!c) {
			reply_error(fd, "no such container");
		} else if (c->nwaiters < MAX_WAITERS && !(has_ended(c) && c->log_done)) {
			c->waiters[c->nwaiters++] = fd;
			keep_open = 1;
		} else {
			cJSON *o = ok_obj();
			add_status(o, c);
			reply(fd, o);
		}
		break;
	}
	case OP_SHUTDOWN:
		sv.stopping = 1;
		reply(fd, ok_obj());
		break;
	}
	proto_request_free(&req);
	if (!keep_open)
		close(fd);
}

/* ---------- clients ---------- */

/* Requests are read without blocking, many at once, each within one
 * deadline for the whole request: a client trickling bytes holds nobody
 * and is cut off CLIENT_TIMEOUT_S after it connected. */
static struct pending {
	int fd;				/* -1: free slot */
	uint64_t deadline;		/* monotonic ns */
	unsigned char hdr[PROTO_HEADER_SIZE];
	size_t got;			/* bytes of header, then of payload */
	uint32_t len;			/* payload length once the header is in */
	char *payload;
} pend[MAX_PENDING];

static void pending_drop(struct pending *p, const char *msg)
{
	if (msg)
		reply_error(p->fd, msg);
	close(p->fd);
	free(p->payload);
	*p = (struct pending){ .fd = -1 };
}

static void client_accept(int fd)
{
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
	struct pending *p = NULL;

	/* Replies are written blocking, bounded by the send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!peer_allowed(fd)) {
		reply_error(fd, "permission denied: the supervisor only answers root or its own user");
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_PENDING && !p; i++)
		if (pend[i].fd < 0)
			p = &pend[i];
	if (!p) {
		reply_error(fd, "too many clients at once: try again");
		close(fd);
		return;
	}
	*p = (struct pending){ .fd = fd, .deadline = now_ns() + CLIENT_TIMEOUT_S * 1000000000ull };
}

/* Reads what has arrived; dispatches the request once it is whole. */
static void client_readable(struct pending *p)
{
	struct rt_err err = { 0 };

	for (;;) {
		int in_header = !p->payload;
		char *dst = in_header ? (char *)p->hdr + p->got : p->payload + p->got;
		size_t want = in_header ? PROTO_HEADER_SIZE - p->got : p->len - p->got;
		ssize_t n = recv(p->fd, dst, want, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			pending_drop(p, NULL);	/* gone mid-request: nothing to answer */
			return;
		}
		p->got += (size_t)n;
		if (in_header && p->got == PROTO_HEADER_SIZE) {
			if (proto_parse_header(p->hdr, PROTO_KIND_REQUEST, &p->len, &err) < 0) {
				pending_drop(p, err.msg);
				return;
			}
			if (!(p->payload = malloc(p->len + 1))) {
				pending_drop(p, "out of memory");
				return;
			}
			p->got = 0;
		} else if (!in_header && p->got == p->len) {
			int fd = p->fd;
			char *payload = p->payload;
			uint32_t len = p->len;

			payload[len] = '\0';
			*p = (struct pending){ .fd = -1 };
			handle_request(fd, payload, len);
			free(payload);
			return;
		}
	}
}

/* ---------- the loop ---------- */

static int open_socket(struct rt_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;
	mode_t old;

	if (strlen(sv.cfg->socket_path) >= sizeof(sa.sun_path))
		return rt_failx(err, ENAMETOOLONG, "socket path too long: '%s'", sv.cfg->socket_path);
	memcpy(sa.sun_path, sv.cfg->socket_path, strlen(sv.cfg->socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rt_fail(err, errno, "cannot create socket");
	/* A live supervisor answers; a stale socket file does not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return rt_failx(err, EADDRINUSE, "a supervisor is already listening on '%s'", sv.cfg->socket_path);
	}
	unlink(sv.cfg->socket_path);
	old = umask(0177);	/* mode 0600 from the moment it exists */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		return rt_fail(err, e, "cannot bind '%s'", sv.cfg->socket_path);
	}
	umask(old);
	chmod(sv.cfg->socket_path, 0600);
	if (listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return rt_fail(err, e, "cannot listen on '%s'", sv.cfg->socket_path);
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
			uint64_t d = now_ns() + (uint64_t)c->spec.stop_grace_s * 1000000000ull;
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
		if (now_ns() >= deadline)
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

int supervisor_run(const struct supervisor_config *cfg)
{
	struct rt_err err = { 0 };
	char path[PATH_MAX];
	sigset_t mask;
	int np[2];

	memset(&sv, 0, sizeof(sv));
	sv.cfg = cfg;
	for (int i = 0; i < MAX_PENDING; i++)
		pend[i] = (struct pending){ .fd = -1 };
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
	load_all();
	fprintf(stderr, "harness-runtime: supervisor listening on %s (state %s, cgroups under %s, kernel monitor %s)\n",
		cfg->socket_path, cfg->state_dir, cfg->cgroup_root, sv.kmon_fd >= 0 ? "present" : "absent");

	while (!sv.stopping) {
		struct pollfd pfd[4 + MAX_CONTAINERS + MAX_PENDING];
		struct ctr *pidfd_owner[MAX_CONTAINERS];
		struct pending *pend_owner[MAX_PENDING];
		int n = 0, npid = 0, npend = 0, timeout = -1;
		uint64_t now = now_ns();

		pfd[n++] = (struct pollfd){ .fd = sv.listen_fd, .events = POLLIN };
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
		for (int i = 0; i < MAX_PENDING; i++) {
			struct pending *p = &pend[i];
			int ms;

			if (p->fd < 0)
				continue;
			if (p->deadline <= now) {
				pending_drop(p, "request not complete within the time limit");
				continue;
			}
			ms = (int)((p->deadline - now) / 1000000) + 1;
			if (timeout < 0 || ms < timeout)
				timeout = ms;
			pend_owner[npend++] = p;
		}
		for (int i = 0; i < npend; i++)
			pfd[n++] = (struct pollfd){ .fd = pend_owner[i]->fd, .events = POLLIN };
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
			pid_t kp;

			while (kmon_read_event(sv.kmon_fd, &kp) >= 0)
				for (int i = 0; i < MAX_CONTAINERS; i++)
					if (sv.c[i].used && sv.c[i].pid == kp && sv.c[i].state == ST_RUNNING)
						sv.c[i].kmon_killed = 1;
		}
		for (int i = 0; i < npid; i++)
			if (pfd[4 + i].revents)
				container_ended(pidfd_owner[i], -1);
		for (int i = 0; i < npend; i++)
			if (pfd[4 + npid + i].revents && pend_owner[i]->fd >= 0)
				client_readable(pend_owner[i]);
		if (pfd[0].revents) {
			int cfd = accept4(sv.listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0)
				client_accept(cfd);
		}
	}
	for (int i = 0; i < MAX_PENDING; i++)
		if (pend[i].fd >= 0)
			pending_drop(&pend[i], "the supervisor is stopping");
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
	close(sv.listen_fd);
	unlink(cfg->socket_path);
	fprintf(stderr, "harness-runtime: supervisor stopped\n");
	return 0;
}
