#include "sv_requests.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "cgroup.h"
#include "kmon.h"
#include "oci.h"
#include "sv_state.h"
#include "sv_admit.h"
#include "sv_reply.h"
#include "sv_launch.h"

static void handle_start(int fd, struct proto_request *req, int *keep_open)
{
	struct herror err = { 0 };
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
		error_set(&err, errno, "cannot use root filesystem '%s'", req->spec.rootfs);
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
			c->kill_deadline = mono_ns() + (uint64_t)grace * 1000000000ull;
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
	k = cJSON_AddObjectToObject(o, "devices");
	/* Always nodev; the filter only where the cgroup v2 hierarchy is. */
	cJSON_AddBoolToObject(k, "nodev", 1);
	cJSON_AddBoolToObject(k, "filter", c->device_filter);
	if (!c->device_filter)
		cJSON_AddStringToObject(k, "no_filter_because", sv.no_device_filter[0] ? sv.no_device_filter :
					"the container started before a supervisor restart or without a cgroup");
	k = cJSON_AddObjectToObject(o, "kernel_monitor");
	if (!kmon_available())
		cJSON_AddStringToObject(k, "status", "no kernel memory monitor (/dev/memwatch missing)");
	else if (!c->kmon_registered)
		cJSON_AddStringToObject(k, "status", "not registered (no kernel monitor limits asked for)");
	else if (c->state == ST_RUNNING)
		kmon_describe(c->pid, k);
	else
		cJSON_AddStringToObject(k, "status", c->kmon_killed ? "killed at the hard limit" : "ended");
	if (c->kmon_warned_ev.type)
		cJSON_AddItemToObject(k, "warned", kmon_event_json(&c->kmon_warned_ev));
	if (c->kmon_killed_ev.type)
		cJSON_AddItemToObject(k, "killed", kmon_event_json(&c->kmon_killed_ev));
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

int peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == 0 || cred.uid == geteuid();
}

void handle_request(int fd, const char *payload, uint32_t len)
{
	struct herror err = { 0 };
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
