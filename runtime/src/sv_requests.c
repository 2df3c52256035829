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
#include "sv_clients.h"

static void handle_start(struct client *cl, struct proto_request *req)
{
	struct herror err = { 0 };
	char reason[600] = "", dir[PATH_MAX];
	struct ctr *c, *old = find(req->name);
	cJSON *o;
	int r;

	if (old) {
		snprintf(err.msg, sizeof(err.msg), "container '%s' already exists (state %s)", req->name,
			 state_names[old->state]);
		reply_error(cl, err.msg);
		return;
	}
	if (req->spec.bundle[0]) {
		if ((r = oci_load_bundle(req->spec.bundle, &req->spec, &err)) < 0 ||
		    (r = spec_validate(&req->spec, &err)) < 0) {
			reply_error(cl, err.msg);
			return;
		}
	}
	if (access(req->spec.rootfs, F_OK) < 0) {
		error_set(&err, errno, "cannot use root filesystem '%s'", req->spec.rootfs);
		reply_error(cl, err.msg);
		return;
	}
	if (spec_wants_cgroup(&req->spec) && cgroup_check_root(sv.cfg->cgroup_root, &err) < 0) {
		reply_error(cl, err.msg);
		return;
	}
	r = admission_check(&req->spec, reason, sizeof(reason), &err);
	if (r < 0 || (r == 0 && !req->spec.admit_queue)) {
		if (r == 0)
			snprintf(err.msg, sizeof(err.msg), "admission refused for '%s': %s", req->name, reason);
		reply_error(cl, err.msg);
		return;
	}
	if (!(c = alloc_ctr())) {
		reply_error(cl, "too many containers: remove ended ones with rm");
		return;
	}
	c->spec = req->spec;
	spec_init(&req->spec);	/* ownership of argv/env moved */
	c->created = time(NULL);
	ctr_dir(c, dir, sizeof(dir));
	if (mkdir_p(dir, 0700, &err) < 0) {
		spec_free(&c->spec);
		c->used = 0;
		reply_error(cl, err.msg);
		return;
	}
	if (r == 0) {
		c->state = ST_QUEUED;
		c->queued_seq = ++sv.queue_seq;
		snprintf(c->reason, sizeof(c->reason), "queued: %s", reason);
		save_state(c);
	} else if (launch(c, &err) < 0) {
		forget(c);
		reply_error(cl, err.msg);
		return;
	}
	if (req->wait && c->nwaiters < MAX_WAITERS) {
		client_hold(cl, c);
		return;
	}
	o = ok_obj();
	add_status(o, c);
	reply(cl, o);
}

static void handle_stop(struct client *cl, struct proto_request *req)
{
	struct ctr *c = find(req->name);
	char msg[256];

	if (!c) {
		snprintf(msg, sizeof(msg), "no such container '%s'", req->name);
		reply_error(cl, msg);
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
		client_hold(cl, c);
		return;
	}
	if (c->nwaiters || !has_ended(c)) {
		reply_error(cl, "too many clients waiting for this container");
		return;
	}
	cJSON *o = ok_obj();
	add_status(o, c);
	reply(cl, o);
}

static cJSON *limits_json(const struct container_spec *s)
{
	cJSON *all = spec_to_json(s);
	cJSON *l = cJSON_DetachItemFromObject(all, "limits");

	cJSON_Delete(all);
	return l;
}

static void handle_ps(struct client *cl)
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
	reply(cl, o);
}

static void handle_inspect(struct client *cl, struct proto_request *req)
{
	struct ctr *c = find(req->name);
	char msg[256], dir[PATH_MAX], logp[PATH_MAX + 8];
	cJSON *o, *k;

	if (!c) {
		snprintf(msg, sizeof(msg), "no such container '%s'", req->name);
		reply_error(cl, msg);
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
	reply(cl, o);
}

/* The bytes travel as they are, in a data frame after the response: a
 * chunk is as large as a frame may be, whatever the bytes. */
#define LOG_CHUNK PROTO_MAX_PAYLOAD

static void handle_logs(struct client *cl, struct proto_request *req)
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
		reply_error(cl, msg);
		return;
	}
	ctr_dir(c, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	if (!(buf = malloc(LOG_CHUNK))) {
		reply_error(cl, "out of memory");
		return;
	}
	lf = open(path, O_RDONLY | O_CLOEXEC);
	if (lf >= 0 && fstat(lf, &st) == 0) {
		/* A rotation restarts the file: offsets past its end start over. */
		uint64_t off = req->offset > (uint64_t)st.st_size ? 0 : req->offset;

		n = pread(lf, buf, LOG_CHUNK, (off_t)off);
		if (n < 0)
			n = 0;
		req->offset = off + (uint64_t)n;
	}
	o = ok_obj();
	cJSON_AddNumberToObject(o, "data_bytes", (double)n);
	cJSON_AddNumberToObject(o, "next", (double)req->offset);
	cJSON_AddBoolToObject(o, "ended", has_ended(c) && c->log_done);
	reply(cl, o);
	if (n > 0 && client_queue(cl, PROTO_KIND_DATA, buf, (size_t)n) < 0)
		fprintf(stderr, "harness-runtime: cannot send the log of '%s': out of memory\n", c->spec.name);
}

static void handle_remove(struct client *cl, struct proto_request *req)
{
	struct ctr *c = find(req->name);
	char msg[256];

	if (!c) {
		snprintf(msg, sizeof(msg), "no such container '%s'", req->name);
		reply_error(cl, msg);
		return;
	}
	if (!has_ended(c) || !c->log_done) {
		snprintf(msg, sizeof(msg), "container '%s' is %s; stop it first", req->name, state_names[c->state]);
		reply_error(cl, msg);
		return;
	}
	forget(c);
	reply(cl, ok_obj());
}

int peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == 0 || cred.uid == geteuid();
}

void handle_request(struct client *cl, const char *payload, uint32_t len)
{
	struct herror err = { 0 };
	struct proto_request req;

	if (proto_decode_request(payload, len, &req, &err) < 0) {
		reply_error(cl, err.msg);
		client_finish(cl);
		return;
	}
	switch (req.op) {
	case OP_START: handle_start(cl, &req); break;
	case OP_STOP: handle_stop(cl, &req); break;
	case OP_PS: handle_ps(cl); break;
	case OP_LOGS: handle_logs(cl, &req); break;
	case OP_INSPECT: handle_inspect(cl, &req); break;
	case OP_REMOVE: handle_remove(cl, &req); break;
	case OP_WAIT: {
		struct ctr *c = find(req.name);
		if (!c) {
			reply_error(cl, "no such container");
		} else if (c->nwaiters < MAX_WAITERS && !(has_ended(c) && c->log_done)) {
			client_hold(cl, c);
		} else {
			cJSON *o = ok_obj();
			add_status(o, c);
			reply(cl, o);
		}
		break;
	}
	case OP_SHUTDOWN:
		sv.stopping = 1;
		reply(cl, ok_obj());
		break;
	}
	proto_request_free(&req);
	client_finish(cl);
}
