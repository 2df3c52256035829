#include "guestrun.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "doc.h"
#include "progress.h"
#include "provision.h"

int guestrun_check_guest(const char *value, const struct suite *s, char *why, size_t whylen)
{
	size_t off;

	for (size_t i = 0; i < s->nguests; i++)
		if (strcmp(s->guests[i].name, value) == 0)
			return 0;
	off = (size_t)snprintf(why, whylen, "'%s' is not a guest of the suite (guests: ", value);
	for (size_t i = 0; i < s->nguests && off < whylen; i++)
		off += (size_t)snprintf(why + off, whylen - off, "%s%s", i ? ", " : "", s->guests[i].name);
	if (off < whylen)
		snprintf(why + off, whylen - off, ")");
	return -EINVAL;
}

struct guest *guestrun_pick(const struct exp_run *x, struct herror *err)
{
	const char *name = exp_setting_value(x, "guest");
	struct provision *pv = x->pv;

	if (pv->nguests == 0) {
		error_setx(err, EINVAL, "the suite has no guest to run %s in", x->def->type);
		return NULL;
	}
	if (name == NULL)
		return &pv->guests[0];
	for (size_t i = 0; i < pv->nguests; i++)
		if (strcmp(pv->guests[i].def->name, name) == 0)
			return &pv->guests[i];
	error_setx(err, EINVAL, "no guest '%s' in the suite", name);
	return NULL;
}

int guestrun_run(struct guest *g, cJSON *spec, double timeout_s, cJSON **out, struct herror *err)
{
	cleanup_free char *text = cJSON_PrintUnformatted(spec);
	const char *argv[] = { "-", NULL };
	struct agent_exec_result res = { 0 };
	double t0 = mono_s(), expected = guestrun_num(spec, (const char *const[]){ "duration_s", NULL });
	double delay = 0.1;
	int pid, r = 0;

	*out = NULL;
	pid = agent_exec_start(g->dom, GUESTRUN_RUNNER, argv, text, err);
	if (pid < 0)
		return pid;
	for (;;) {
		if (agent_exec_status(g->dom, pid, &res, err) < 0)
			return -err->status;
		if (res.exited)
			break;
		agent_exec_result_free(&res);
		if (mono_s() - t0 > timeout_s)
			return error_setx(err, ETIMEDOUT, "the runner in '%s' was still running after %.0f s", g->dom_name,
					timeout_s);
		if (!sleep_unless_stopped(delay))
			return error_setx(err, EINTR, "interrupted while the runner in '%s' ran", g->dom_name);
		progress_phase("running in the guest", mono_s() - t0, isfinite(expected) ? expected : 0);
		if (delay < 0.5)
			delay *= 2;
	}
	*out = res.out ? cJSON_Parse(res.out) : NULL;
	if (*out == NULL)
		r = error_setx(err, EIO, "the runner in '%s' printed no JSON (exit %d): %.300s", g->dom_name,
			     res.exit_code, res.err_text ? res.err_text : "");
	else if (res.exit_code == 2)
		r = error_setx(err, EINVAL, "the runner in '%s' refused the spec: %.300s", g->dom_name, res.out);
	agent_exec_result_free(&res);
	return r;
}

cJSON *guestrun_guest_json(const struct guest *g, cJSON *doc)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "guest"), "kernel");

	cJSON_AddStringToObject(o, "name", g->def->name);
	cJSON_AddStringToObject(o, "domain", g->dom_name);
	cJSON_AddStringToObject(o, "image", g->img.name ? g->img.name : g->def->image);
	cJSON_AddBoolToObject(o, "standing", g->standing);
	cJSON_AddStringToObject(o, "kernel", cJSON_IsString(k) ? k->valuestring : "");
	if (g->def->host)
		cJSON_AddStringToObject(o, "host", g->def->host);
	return o;
}

cJSON *guestrun_workload(cJSON *spec, const char *name, const char *program, const char *const *args)
{
	cJSON *wls = cJSON_GetObjectItemCaseSensitive(spec, "workloads");
	cJSON *wl = cJSON_CreateObject(), *a;

	if (wls == NULL)
		wls = cJSON_AddArrayToObject(spec, "workloads");
	cJSON_AddStringToObject(wl, "name", name);
	cJSON_AddStringToObject(wl, "program", program);
	a = cJSON_AddArrayToObject(wl, "args");
	for (size_t i = 0; args && args[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(args[i]));
	cJSON_AddItemToArray(wls, wl);
	return wl;
}

cJSON *guestrun_doc_workload(cJSON *doc, const char *name)
{
	cJSON *w;

	cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(doc, "workloads")) {
		cJSON *n = cJSON_GetObjectItemCaseSensitive(w, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return w;
	}
	return NULL;
}

double guestrun_num(cJSON *root, const char *const *path)
{
	cJSON *j = root;

	for (size_t i = 0; path[i] && j; i++)
		j = cJSON_GetObjectItemCaseSensitive(j, path[i]);
	return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

cJSON *guestrun_num_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

bool guestrun_report_guest(FILE *f, cJSON *first)
{
	cJSON *g = cJSON_GetObjectItemCaseSensitive(first, "guest");

	if (first == NULL) {
		fputs(" No successful run.\n", f);
		return false;
	}
	fputs(" In guest ", f);
	doc_text(f, doc_jstr(g, "name", "?"));
	fputs(" (kernel ", f);
	doc_text(f, doc_jstr(g, "kernel", "?"));
	return true;
}
