/* container: the bundle and the supervisor requests for one workload.
 * The process in the container is `harness-guest --exec-workload`, which
 * puts stdout and stderr into files of the shared directory and executes
 * the workload: the runtime's log cuts lines at 4096 bytes and merges the
 * two streams, and a workload's document is one line, often longer. */
#include "container.h"
#include "hcleanup.h"
#include "hfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REQUEST_TIMEOUT_S 5

static cJSON *bind_mount(const char *source, const char *destination, bool readonly)
{
	cJSON *m = cJSON_CreateObject(), *o;

	cJSON_AddStringToObject(m, "destination", destination);
	cJSON_AddStringToObject(m, "type", "bind");
	cJSON_AddStringToObject(m, "source", source);
	o = cJSON_AddArrayToObject(m, "options");
	cJSON_AddItemToArray(o, cJSON_CreateString("bind"));
	cJSON_AddItemToArray(o, cJSON_CreateString(readonly ? "ro" : "rw"));
	cJSON_AddItemToArray(o, cJSON_CreateString("nosuid"));
	cJSON_AddItemToArray(o, cJSON_CreateString("nodev"));
	return m;
}

static cJSON *bundle_config(const struct spec *spec, const struct spec_workload *w, const char *dir)
{
	const struct spec_container *c = w->container;
	cJSON *cfg = cJSON_CreateObject(), *proc, *args, *env, *root, *mounts;
	char skel[340];

	cJSON_AddStringToObject(cfg, "ociVersion", "1.0.2");
	proc = cJSON_AddObjectToObject(cfg, "process");
	args = cJSON_AddArrayToObject(proc, "args");
	cJSON_AddItemToArray(args, cJSON_CreateString("/opt/harness/bin/harness-guest"));
	cJSON_AddItemToArray(args, cJSON_CreateString("--exec-workload"));
	cJSON_AddItemToArray(args, cJSON_CreateString(CONTAINER_DIR "/out"));
	cJSON_AddItemToArray(args, cJSON_CreateString(CONTAINER_DIR "/err"));
	cJSON_AddItemToArray(args, cJSON_CreateString(w->has_cpus ? w->cpus_text : "-"));
	cJSON_AddItemToArray(args, cJSON_CreateString(w->program_in_container));
	for (char **a = w->argv; *a; a++)
		cJSON_AddItemToArray(args, cJSON_CreateString(*a));
	env = cJSON_AddArrayToObject(proc, "env");
	cJSON_AddItemToArray(env, cJSON_CreateString("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	cJSON_AddItemToArray(env, cJSON_CreateString("WL_STATE_FILE=" CONTAINER_DIR "/state"));
	for (char **e = w->envp_extra; *e; e++)
		cJSON_AddItemToArray(env, cJSON_CreateString(*e));
	cJSON_AddStringToObject(proc, "cwd", "/");
	root = cJSON_AddObjectToObject(cfg, "root");
	cJSON_AddStringToObject(root, "path", c->rootfs);
	if (c->read_only)
		cJSON_AddTrueToObject(root, "readonly");
	cJSON_AddStringToObject(cfg, "hostname", c->hostname ? c->hostname : c->name);
	mounts = cJSON_AddArrayToObject(cfg, "mounts");
	/* The runtime creates only the last level of a mount point: /opt and
	 * /run must exist in the root, /opt/harness comes from the skeleton. */
	snprintf(skel, sizeof(skel), "%s/skel", dir);
	cJSON_AddItemToArray(mounts, bind_mount(skel, "/opt/harness", true));
	cJSON_AddItemToArray(mounts, bind_mount(spec->bindir, "/opt/harness/bin", true));
	if (strncmp(w->program_in_container, "/opt/harness/bin/", 17) != 0) {
		/* The program's directory: the runtime bind-mounts directories. */
		char *pdir = strdup(w->program), *slash;
		if (!pdir)
			abort();
		slash = strrchr(pdir, '/');
		if (slash && slash != pdir)
			*slash = '\0';
		else
			pdir[1] = '\0';
		cJSON_AddItemToArray(mounts, bind_mount(pdir, "/opt/harness/extra", true));
		free(pdir);
	}
	cJSON_AddItemToArray(mounts, bind_mount(dir, CONTAINER_DIR, false));
	return cfg;
}

cJSON *container_limits_json(const struct spec_container *c)
{
	static const char *const keys[] = { "cpu_weight", "cpu_max", "cpuset", "memory_max", "memory_high",
					    "pids_max", "kmon_soft", "kmon_hard", NULL };
	cJSON *o = cJSON_CreateObject();

	for (const char *const *k = keys; *k; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->asked, *k);
		if (v)
			cJSON_AddItemToObject(o, *k, cJSON_Duplicate(v, 1));
	}
	return o;
}

int container_start(const struct rt_supervisor *sv, const struct spec *spec, const struct spec_workload *w,
		    const char *dir, pid_t *pid, struct herror *err)
{
	const struct spec_container *c = w->container;
	char bundle[340], path[360];
	cJSON *cfg, *req, *s, *lim, *resp;
	const cJSON *p;
	cleanup_free char *text = NULL;
	int r;

	static const char *const subdirs[] = { "bundle", "skel", "skel/bin", "skel/extra", NULL };

	for (const char *const *d = subdirs; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *d);
		if (mkdir(path, 0755) < 0)
			return error_set(err, errno, "cannot create '%s'", path);
	}
	snprintf(bundle, sizeof(bundle), "%s/bundle", dir);
	cfg = bundle_config(spec, w, dir);
	text = cJSON_Print(cfg);
	cJSON_Delete(cfg);
	if (!text)
		abort();
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	r = write_file(path, text, strlen(text), 0600, err);
	if (r < 0)
		return r;

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "start");
	cJSON_AddFalseToObject(req, "wait");
	s = cJSON_AddObjectToObject(req, "spec");
	cJSON_AddStringToObject(s, "name", c->name);
	cJSON_AddStringToObject(s, "bundle", bundle);
	/* Lowering nice needs CAP_SYS_NICE, which the container does not keep. */
	if (w->nice)
		cJSON_AddNumberToObject(s, "nice", w->nice);
	lim = cJSON_AddObjectToObject(s, "limits");
	if (c->cpu_weight)
		cJSON_AddNumberToObject(lim, "cpu_weight", (double)c->cpu_weight);
	if (c->cpu_quota_us) {
		cJSON_AddNumberToObject(lim, "cpu_quota_us", (double)c->cpu_quota_us);
		cJSON_AddNumberToObject(lim, "cpu_period_us", (double)c->cpu_period_us);
	}
	if (c->cpuset)
		cJSON_AddStringToObject(lim, "cpuset_cpus", c->cpuset);
	if (c->memory_max)
		cJSON_AddNumberToObject(lim, "memory_max", (double)c->memory_max);
	if (c->memory_high)
		cJSON_AddNumberToObject(lim, "memory_high", (double)c->memory_high);
	if (c->pids_max)
		cJSON_AddNumberToObject(lim, "pids_max", (double)c->pids_max);
	if (c->network) {
		cJSON_AddTrueToObject(s, "network");
		if (c->ip)
			cJSON_AddStringToObject(s, "ip", c->ip);
	}
	if (c->has_claims) {
		/* A start the Banker's algorithm finds unsafe is refused (the
		 * runtime's reason is the error); the runner does not queue. */
		cJSON *cl = cJSON_AddObjectToObject(s, "claims");
		if (c->claim_memory)
			cJSON_AddNumberToObject(cl, "memory", (double)c->claim_memory);
		if (c->claim_cpu_milli)
			cJSON_AddNumberToObject(cl, "cpu_milli", (double)c->claim_cpu_milli);
		if (c->claim_pids)
			cJSON_AddNumberToObject(cl, "pids", (double)c->claim_pids);
		cJSON_AddStringToObject(s, "admit", "refuse");
	}
	if (c->kmon_hard) {
		cJSON *k = cJSON_AddObjectToObject(s, "kmon");
		cJSON_AddNumberToObject(k, "soft", (double)c->kmon_soft);
		cJSON_AddNumberToObject(k, "hard", (double)c->kmon_hard);
	}
	/* Unpacking a tarball root takes a moment: a longer bound than for other requests. */
	resp = rt_request(sv->socket_path, req, 60, err);
	cJSON_Delete(req);
	if (!resp)
		return -EIO;
	p = cJSON_GetObjectItemCaseSensitive(resp, "pid");
	if (!cJSON_IsNumber(p) || p->valuedouble <= 1) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "state");
		r = error_setx(err, EIO, "the runtime started container '%s' but gave no init pid (state %s)", c->name,
			       cJSON_IsString(st) ? st->valuestring : "unknown");
		cJSON_Delete(resp);
		return r;
	}
	*pid = (pid_t)p->valuedouble;
	cJSON_Delete(resp);
	return 0;
}

int container_ns_pid(pid_t pid)
{
	char path[64], line[256];
	cleanup_fclose FILE *f = NULL;
	int ns = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6) == 0) {
			/* The last field is the innermost namespace. */
			char *last = strrchr(line, '\t');
			if (!last)
				last = strrchr(line, ' ');
			if (last)
				ns = atoi(last + 1);
			break;
		}
	}
	return ns;
}

static cJSON *name_request(const char *op, const char *name)
{
	cJSON *req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "op", op);
	cJSON_AddStringToObject(req, "name", name);
	return req;
}

static void copy_status(const cJSON *resp, cJSON *out, int *exit_code, int *signal)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "state");
	const cJSON *ec = cJSON_GetObjectItemCaseSensitive(resp, "exit_code");
	const cJSON *sg = cJSON_GetObjectItemCaseSensitive(resp, "signal");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(resp, "reason");

	if (cJSON_IsString(st))
		cJSON_ReplaceItemInObject(out, "state", cJSON_CreateString(st->valuestring));
	if (cJSON_IsString(why))
		cJSON_ReplaceItemInObject(out, "reason", cJSON_CreateString(why->valuestring));
	if (cJSON_IsNumber(sg) && sg->valuedouble > 0)
		*signal = (int)sg->valuedouble;
	else if (cJSON_IsNumber(ec))
		*exit_code = (int)ec->valuedouble;
}

int container_finish(const struct rt_supervisor *sv, const struct spec_workload *w, cJSON *out,
		     int *exit_code, int *signal, struct herror *err)
{
	const char *name = w->container->name;
	struct herror why = { 0 };
	cJSON *req, *resp;

	cJSON_AddStringToObject(out, "state", "unknown");
	cJSON_AddNullToObject(out, "reason");
	cJSON_AddNullToObject(out, "usage");
	req = name_request("wait", name);
	resp = rt_request(sv->socket_path, req, REQUEST_TIMEOUT_S, &why);
	cJSON_Delete(req);
	if (!resp) {
		/* Still running (an init that survived SIGKILL?): the runtime's stop. */
		error_clear(&why);
		req = name_request("stop", name);
		cJSON_AddNumberToObject(req, "grace", 0);
		resp = rt_request(sv->socket_path, req, REQUEST_TIMEOUT_S, &why);
		cJSON_Delete(req);
	}
	if (!resp)
		return error_setx(err, why.status, "cannot learn how container '%s' ended: %s", name, why.msg);
	copy_status(resp, out, exit_code, signal);
	cJSON_Delete(resp);

	req = name_request("inspect", name);
	resp = rt_request(sv->socket_path, req, REQUEST_TIMEOUT_S, NULL);
	cJSON_Delete(req);
	if (resp) {
		cJSON *u = cJSON_DetachItemFromObjectCaseSensitive(resp, "usage");
		cJSON *k = cJSON_GetObjectItemCaseSensitive(resp, "kernel_monitor");
		if (u)
			cJSON_ReplaceItemInObject(out, "usage", u);
		/* The memwatch module's own warning and kill, when it acted. */
		if (cJSON_GetObjectItemCaseSensitive(k, "warned") || cJSON_GetObjectItemCaseSensitive(k, "killed"))
			cJSON_AddItemToObject(out, "kernel_monitor",
					      cJSON_DetachItemFromObjectCaseSensitive(resp, "kernel_monitor"));
		cJSON_Delete(resp);
	}

	req = name_request("rm", name);
	resp = rt_request(sv->socket_path, req, REQUEST_TIMEOUT_S, err);
	cJSON_Delete(req);
	if (!resp)
		return error_wrap(err, "cannot remove container '%s'", name);
	cJSON_Delete(resp);
	return 0;
}
