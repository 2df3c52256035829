/* Helpers of the container experiments (exp_containers.h); no descriptor. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "exp_containers.h"
#include "guestrun.h"
#include "image.h"
#include "provision.h"

struct guest *ctr_guest(const struct exp_run *x)
{
	struct herror ignored = { 0 };

	/* The suite's checks (guestrun_check_guest) refused unknown names. */
	return guestrun_pick(x, &ignored);
}

double ctr_duration(const struct exp_run *x, double def_s)
{
	return x->def->duration_s > 0 ? x->def->duration_s : def_s;
}

cJSON *ctr_spec(const char *experiment, double duration_s)
{
	cJSON *spec = cJSON_CreateObject();

	cJSON_AddStringToObject(spec, "experiment", experiment);
	cJSON_AddNumberToObject(spec, "duration_s", duration_s);
	cJSON_AddNumberToObject(spec, "sample_hz", CTR_SAMPLE_HZ);
	/* Containers start slower than processes (under TCG, by seconds): room
	 * for the workloads to end by themselves before the runner's SIGTERM. */
	cJSON_AddNumberToObject(spec, "grace_s", 10);
	cJSON_AddArrayToObject(spec, "workloads");
	return spec;
}

cJSON *ctr_workload(cJSON *spec, const char *name, const char *program, const char *args, const char *cpus,
		    bool container)
{
	cJSON *wl = cJSON_CreateObject(), *a = cJSON_CreateArray(), *c = NULL;
	cleanup_free char *copy = xstrdup(args ? args : "");
	char *save = NULL;

	cJSON_AddStringToObject(wl, "name", name);
	cJSON_AddStringToObject(wl, "program", program);
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		cJSON_AddItemToArray(a, cJSON_CreateString(tok));
	cJSON_AddItemToObject(wl, "args", a);
	if (cpus)
		cJSON_AddStringToObject(wl, "cpus", cpus);
	if (container) {
		c = cJSON_AddObjectToObject(wl, "container");
		cJSON_AddStringToObject(c, "rootfs", "busybox");
		cJSON_AddStringToObject(c, "name", name);
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(spec, "workloads"), wl);
	return c;
}

int ctr_run_runner(struct guest *g, cJSON *spec, double timeout_s, cJSON **doc, struct herror *err)
{
	struct agent_exec_result res = { 0 };
	cleanup_free char *text = cJSON_PrintUnformatted(spec);
	const char *argv[] = { "-", NULL };
	int r;

	*doc = NULL;
	r = agent_run(g->dom, CTR_RUNNER, argv, text, timeout_s, &res, err);
	if (r < 0)
		return r;
	*doc = res.out ? cJSON_Parse(res.out) : NULL;
	if (*doc == NULL)
		r = error_setx(err, EIO, "the runner in '%s' printed no JSON (exit %d): %.300s", g->dom_name,
			     res.exit_code, res.err_text ? res.err_text : "");
	agent_exec_result_free(&res);
	return r;
}

int ctr_sh(struct guest *g, const char *script, double timeout_s, char **out, struct herror *err)
{
	struct agent_exec_result res = { 0 };
	const char *argv[] = { "-c", script, NULL };
	int r;

	*out = NULL;
	r = agent_run(g->dom, "/bin/sh", argv, NULL, timeout_s, &res, err);
	if (r < 0)
		return r;
	*out = res.out ? res.out : xstrdup("");
	res.out = NULL;
	r = res.signal ? 128 + res.signal : res.exit_code;
	agent_exec_result_free(&res);
	return r;
}

int ctr_need_tool(struct guest *g, const char *tool, struct herror *err)
{
	cleanup_free char *script = xasprintf("command -v %s >/dev/null", tool);
	cleanup_free char *out = NULL;
	int r = ctr_sh(g, script, 60, &out, err);

	if (r > 0)
		return error_setx(err, ENOENT, "reference %s: no %s in guest '%s' (image '%s'): add it to the image "
				  "recipe's PACKAGES and rebuild the images", tool, tool, g->dom_name,
				  g->img.name ? g->img.name : g->def->image);
	return r < 0 ? r : 0;
}

cJSON *ctr_doc_workload(cJSON *doc, const char *name)
{
	cJSON *wl;

	cJSON_ArrayForEach(wl, cJSON_GetObjectItemCaseSensitive(doc, "workloads")) {
		cJSON *n = cJSON_GetObjectItemCaseSensitive(wl, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return wl;
	}
	return NULL;
}

double ctr_jnum(cJSON *o, const char *const *path)
{
	for (size_t i = 0; path[i] && o; i++)
		o = cJSON_GetObjectItemCaseSensitive(o, path[i]);
	return cJSON_IsNumber(o) ? o->valuedouble : NAN;
}

cJSON *ctr_num(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

void ctr_record_guest(cJSON *record, const struct guest *g)
{
	cJSON *o = cJSON_AddObjectToObject(record, "guest");

	cJSON_AddStringToObject(o, "name", g->def->name);
	cJSON_AddStringToObject(o, "domain", g->dom_name);
	cJSON_AddStringToObject(o, "image", g->img.name);
}

void ctr_record_errors(cJSON *record, cJSON *doc)
{
	cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "errors");

	cJSON_AddItemToObject(record, "runner_errors", cJSON_IsArray(e) ? cJSON_Duplicate(e, 1) : cJSON_CreateArray());
}

static void copy_key(cJSON *to, cJSON *from, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);

	if (v)
		cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, 1));
}

cJSON *ctr_trim_workload(cJSON *wl)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *c = cJSON_GetObjectItemCaseSensitive(wl, "container");
	cJSON *out = cJSON_GetObjectItemCaseSensitive(wl, "output");

	copy_key(o, wl, "name");
	copy_key(o, wl, "program");
	copy_key(o, wl, "exit_code");
	copy_key(o, wl, "signal");
	copy_key(o, wl, "elapsed_s");
	copy_key(o, wl, "pid");
	if (c) {
		copy_key(o, c, "init_pid");
		copy_key(o, c, "ns_pid");
		copy_key(o, c, "limits");
		copy_key(o, c, "state");
		copy_key(o, c, "reason");
		copy_key(o, c, "usage");
		copy_key(o, c, "kernel_monitor");
	}
	if (out)
		copy_key(o, out, "totals");
	copy_key(o, wl, "stderr_tail");
	return o;
}

int ctr_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v *= 1024.0; end++; break;
	case 'm': case 'M': v *= 1024.0 * 1024; end++; break;
	case 'g': case 'G': v *= 1024.0 * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end || v < 4096 || v > 1e15)
		return -EINVAL;
	*out = (unsigned long long)v;
	return 0;
}

int ctr_check_size(const char *v, const struct suite *s, char *why, size_t whylen)
{
	unsigned long long b;

	if (ctr_parse_size(v, &b) < 0) {
		snprintf(why, whylen, "'%s' must be a size of at least 4096 bytes, such as 64M", v);
		return -EINVAL;
	}
	return 0;
}

char *ctr_sv_script(const char *cg, const char *opts, const char *body)
{
	return xasprintf(
		"T=$(mktemp -d /tmp/ctr.XXXXXX) || exit 3; R=" CTR_RUNTIME "; export HARNESS_RUNTIME_SOCKET=$T/s/sock\n"
		"fin() { $R shutdown >/dev/null 2>&1; wait; rm -rf $T; rmdir /sys/fs/cgroup/%s 2>/dev/null; }\n"
		"trap fin EXIT\n"
		"$R supervisor --state-dir $T/s --cgroup-root /sys/fs/cgroup/%s %s </dev/null >$T/sv.log 2>&1 &\n"
		"for i in $(seq 100); do [ -S $T/s/sock ] && break; sleep 0.1; done\n"
		"[ -S $T/s/sock ] || { echo \"error supervisor: $(head -c 300 $T/sv.log)\"; exit 0; }\n"
		"mkdir -p $T/root && tar -xzf /opt/harness/rootfs/busybox.tar.gz -C $T/root || exit 3\n"
		"%s\n",
		cg, cg, opts, body);
}

const struct guest_def *ctr_values_guest(const struct exp_values *v)
{
	const char *name = exp_values_get(v, "guest");
	const struct suite *s = v->suite;

	if (s == NULL || s->nguests == 0)
		return NULL;
	if (name == NULL)
		return &s->guests[0];
	for (size_t i = 0; i < s->nguests; i++)
		if (strcmp(s->guests[i].name, name) == 0)
			return &s->guests[i];
	return NULL;
}

int ctr_image_has_package(const char *image, const char *pkg, char *list, size_t listlen)
{
	cleanup_free char *text = NULL;
	struct herror ignored = { 0 };
	size_t n = strlen(pkg);

	snprintf(list, listlen, "%s/images/%s/packages.txt", state_dir(), image);
	text = read_text(list, NULL, &ignored);
	if (text == NULL)
		return -ENOENT;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, pkg, n) == 0 && p[n] == ' ')
			return 1;
	return 0;
}
