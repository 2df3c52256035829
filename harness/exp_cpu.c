/* cpu-contention: every guest saturates its vCPUs with cpu_hog; the host
 * samples each guest's CPU time; the record holds the measured share beside
 * the share the weights predict. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <dirent.h>

#include "agent.h"
#include "progress.h"
#include "run.h"
#include "virt.h"
#include "weights.h"

#define HOST_SAMPLE_S 0.5
#define RUNNER "/opt/harness/bin/harness-guest"

static int pin_guest(struct runctx *rc, struct guest *g, int cpu_or_all, struct herr *err)
{
	int maplen = VIR_CPU_MAPLEN(rc->host_cpus);
	cleanup_free unsigned char *map = xcalloc((size_t)maplen, 1);

	for (int c = 0; c < rc->host_cpus; c++)
		if (cpu_or_all < 0 || c == cpu_or_all)
			VIR_USE_CPU(map, c);
	for (int v = 0; v < g->def->vcpus; v++)
		if (virDomainPinVcpuFlags(g->dom, (unsigned)v, map, maplen, VIR_DOMAIN_AFFECT_LIVE) < 0)
			return herr_set(err, EIO, "cannot pin vCPU %d of '%s': %s", v, g->dom_name, virt_last_error());
	if (virDomainPinEmulator(g->dom, map, maplen, VIR_DOMAIN_AFFECT_LIVE) < 0)
		return herr_set(err, EIO, "cannot pin the emulator of '%s': %s", g->dom_name, virt_last_error());
	return 0;
}

static int renice_process(int pid, int nice, struct herr *err)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (d == NULL)
		return herr_sys(err, errno, "cannot list the threads of QEMU process %d", pid);
	while ((e = readdir(d))) {
		int tid = atoi(e->d_name);
		if (tid > 0 && setpriority(PRIO_PROCESS, (id_t)tid, nice) == 0)
			n++;
	}
	closedir(d);
	if (n == 0)
		return herr_set(err, EPERM, "cannot renice QEMU process %d", pid);
	/* libvirt starts each QEMU in its own session, so with autogroups on
	 * every guest is its own scheduling group and thread nice values only
	 * weigh inside it; the group's weight is the autogroup's nice (sched(7)). */
	cleanup_free char *ag = read_file("/proc/sys/kernel/sched_autogroup_enabled", NULL, NULL);
	if (ag && atoi(ag) == 1) {
		char val[16];
		cleanup_free char *agpath = xasprintf("/proc/%d/autogroup", pid);
		snprintf(val, sizeof(val), "%d\n", nice);
		if (write_file_plain(agpath, val, err) < 0)
			return -err->code;
	}
	return 0;
}

/* Apply one weight per guest; the mechanism was chosen when the guests came up. */
static int apply_weights(struct runctx *rc, const unsigned long *w, unsigned long *effective,
			 int *nice_out, struct herr *err)
{
	for (size_t i = 0; i < rc->nguests; i++) {
		struct guest *g = &rc->guests[i];

		if (rc->weights == WEIGHTS_CGROUP) {
			virTypedParameter p = { .type = VIR_TYPED_PARAM_ULLONG };
			snprintf(p.field, sizeof(p.field), "%s", VIR_DOMAIN_SCHEDULER_CPU_SHARES);
			p.value.ul = w[i];
			if (virDomainSetSchedulerParametersFlags(g->dom, &p, 1, VIR_DOMAIN_AFFECT_LIVE) < 0)
				return herr_set(err, EIO, "cannot set cpu_shares of '%s': %s", g->dom_name,
						virt_last_error());
			effective[i] = w[i];
			nice_out[i] = 0;
		} else {
			int pid = virt_domain_qemu_pid(g->dom, err);
			int nice = weight_to_nice(w[i]);
			if (pid < 0 || renice_process(pid, nice, err) < 0)
				return -err->code;
			/* Each busy vCPU thread carries the weight of its nice value. */
			effective[i] = nice_to_weight(nice) * (unsigned long)g->def->vcpus;
			nice_out[i] = nice;
		}
	}
	return 0;
}

static cJSON *runner_spec(const struct guest *g, double duration)
{
	cJSON *spec = cJSON_CreateObject();
	cJSON *wls = cJSON_AddArrayToObject(spec, "workloads");
	cJSON *wl = cJSON_CreateObject();
	cJSON *args = cJSON_CreateArray();
	char num[32];

	cJSON_AddStringToObject(spec, "experiment", "cpu-contention");
	cJSON_AddNumberToObject(spec, "duration_s", duration);
	cJSON_AddNumberToObject(spec, "sample_hz", 10);
	cJSON_AddStringToObject(wl, "name", "cpu");
	cJSON_AddStringToObject(wl, "program", "cpu_hog");
	snprintf(num, sizeof(num), "%d", g->def->vcpus);
	cJSON_AddItemToArray(args, cJSON_CreateString("--threads"));
	cJSON_AddItemToArray(args, cJSON_CreateString(num));
	snprintf(num, sizeof(num), "%g", duration);
	cJSON_AddItemToArray(args, cJSON_CreateString("--duration"));
	cJSON_AddItemToArray(args, cJSON_CreateString(num));
	cJSON_AddItemToObject(wl, "args", args);
	cJSON_AddItemToArray(wls, wl);
	return spec;
}

static double json_num(cJSON *root, const char *const *path)
{
	cJSON *j = root;

	for (size_t i = 0; path[i] && j; i++)
		j = cJSON_GetObjectItemCaseSensitive(j, path[i]);
	return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

static cJSON *num_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

int exp_cpu_contention(struct runctx *rc, const struct plan_run *run, cJSON *record, struct herr *err)
{
	const struct experiment_def *ex = &rc->suite->exps[run->exp];
	const char *shares = plan_value(rc->suite, run, "shares");
	const char *pinning = plan_value(rc->suite, run, "pinning");
	size_t n = rc->nguests;
	unsigned long w[16], eff[16];
	int nice[16], pids[16];
	double expected[16], measured[16], cpu_s[16];
	unsigned long long start_ns[16], prev_ns[16];
	cJSON *series, *ts, *share_series, *gl;
	double t0, duration = ex->duration_s;
	int r = 0;

	if (n > 16)
		return herr_set(err, EINVAL, "cpu-contention supports at most 16 guests");
	if (!pinning)
		pinning = "none";
	for (size_t i = 0; i < n; i++)
		w[i] = 1024;
	if (shares && weights_parse(shares, w, n) < 0)
		return herr_set(err, EINVAL, "bad shares '%s'", shares);

	/* Pinning: every guest on host CPU 0, one CPU each, or no pinning. */
	for (size_t i = 0; i < n; i++) {
		int cpu = strcmp(pinning, "same") == 0 ? 0 :
			  strcmp(pinning, "different") == 0 ? (int)(i % (size_t)rc->host_cpus) : -1;
		if (pin_guest(rc, &rc->guests[i], cpu, err) < 0)
			return -err->code;
	}
	if (apply_weights(rc, w, eff, nice, err) < 0)
		return -err->code;

	/* Who competes with whom decides what theory expects. */
	int total_vcpus = 0;
	for (size_t i = 0; i < n; i++)
		total_vcpus += rc->guests[i].def->vcpus;
	bool contended = strcmp(pinning, "same") == 0 ||
			 (strcmp(pinning, "none") == 0 && total_vcpus > rc->host_cpus);
	if (contended) {
		expected_shares(eff, n, expected);
	} else {
		unsigned long v[16];
		for (size_t i = 0; i < n; i++)
			v[i] = (unsigned long)rc->guests[i].def->vcpus;
		expected_shares(v, n, expected);
	}

	/* Start the runner in every guest, then sample the host side. */
	for (size_t i = 0; i < n; i++) {
		cJSON *spec = runner_spec(&rc->guests[i], duration);
		cleanup_free char *text = cJSON_PrintUnformatted(spec);
		const char *argv[] = { "-", NULL };
		cJSON_Delete(spec);
		pids[i] = agent_exec_start(rc->guests[i].dom, RUNNER, argv, text, err);
		if (pids[i] < 0)
			return pids[i];
	}
	t0 = now_mono();
	for (size_t i = 0; i < n; i++) {
		if (virt_domain_cpu_ns(rc->guests[i].dom, &start_ns[i], err) < 0)
			return -err->code;
		prev_ns[i] = start_ns[i];
	}
	series = cJSON_AddObjectToObject(record, "series");
	ts = cJSON_AddArrayToObject(series, "t");
	share_series = cJSON_AddObjectToObject(series, "host_cpu_share");
	for (size_t i = 0; i < n; i++)
		cJSON_AddArrayToObject(share_series, rc->guests[i].def->name);
	while (now_mono() - t0 < duration) {
		double delta[16], sum = 0;
		if (!sleep_unless_stopped(HOST_SAMPLE_S))
			return herr_set(err, EINTR, "interrupted while measuring");
		progress_phase("measuring", now_mono() - t0, duration);
		for (size_t i = 0; i < n; i++) {
			unsigned long long ns;
			if (virt_domain_cpu_ns(rc->guests[i].dom, &ns, err) < 0)
				return -err->code;
			delta[i] = (double)(ns - prev_ns[i]) / 1e9;
			prev_ns[i] = ns;
			sum += delta[i];
		}
		cJSON_AddItemToArray(ts, cJSON_CreateNumber(round((now_mono() - t0) * 1000) / 1000));
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(share_series, rc->guests[i].def->name),
					     cJSON_CreateNumber(sum > 0 ? delta[i] / sum : 0));
	}
	double total = 0, elapsed = now_mono() - t0;
	for (size_t i = 0; i < n; i++) {
		cpu_s[i] = (double)(prev_ns[i] - start_ns[i]) / 1e9;
		total += cpu_s[i];
	}
	for (size_t i = 0; i < n; i++)
		measured[i] = total > 0 ? cpu_s[i] / total : 0;

	gl = cJSON_AddArrayToObject(record, "guests");
	for (size_t i = 0; i < n; i++) {
		struct guest *g = &rc->guests[i];
		struct agent_exec_result res = { 0 };
		struct herr rerr = { 0 };
		cJSON *o = cJSON_CreateObject(), *out = NULL, *gs;

		progress_phase("collecting guest results", now_mono() - t0, duration);
		cJSON_AddStringToObject(o, "name", g->def->name);
		cJSON_AddStringToObject(o, "domain", g->dom_name);
		cJSON_AddStringToObject(o, "image", g->img.name);
		cJSON_AddBoolToObject(o, "standing", g->standing);
		cJSON_AddNumberToObject(o, "vcpus", g->def->vcpus);
		cJSON_AddNumberToObject(o, "weight", (double)w[i]);
		cJSON_AddNumberToObject(o, "effective_weight", (double)eff[i]);
		if (rc->weights == WEIGHTS_NICE)
			cJSON_AddNumberToObject(o, "nice", nice[i]);
		cJSON_AddNumberToObject(o, "host_cpu_s", cpu_s[i]);
		cJSON_AddNumberToObject(o, "host_cpu_util", elapsed > 0 ? cpu_s[i] / elapsed : 0);
		cJSON_AddNumberToObject(o, "measured_share", measured[i]);
		cJSON_AddNumberToObject(o, "expected_share", expected[i]);
		gs = cJSON_AddObjectToObject(o, "guest");
		if (agent_exec_wait(g->dom, pids[i], duration + 180, &res, &rerr) < 0) {
			cJSON_AddStringToObject(gs, "error", rerr.msg);
			r = herr_set(err, rerr.code, "%s", rerr.msg);
		} else {
			out = res.out ? cJSON_Parse(res.out) : NULL;
			if (out == NULL) {
				r = herr_set(err, EIO, "the runner in '%s' printed no JSON (exit %d): %.300s",
					     g->dom_name, res.exit_code, res.err_text ? res.err_text : "");
				cJSON_AddStringToObject(gs, "error", err->msg);
			} else {
				cJSON *wl = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "workloads"), 0);
				cJSON *wout = cJSON_GetObjectItemCaseSensitive(wl, "output");
				static const char *const ups[] = { "totals", "units_per_s", NULL };
				static const char *const steal[] = { "summary", "cpu", "steal_pct", NULL };
				static const char *const busy[] = { "summary", "cpu", "busy_pct", NULL };
				cJSON *ok = cJSON_GetObjectItemCaseSensitive(out, "ok");

				cJSON_AddItemToObject(gs, "units_per_s", num_or_null(json_num(wout, ups)));
				cJSON_AddItemToObject(gs, "steal_pct", num_or_null(json_num(out, steal)));
				cJSON_AddItemToObject(gs, "busy_pct", num_or_null(json_num(out, busy)));
				cJSON_AddBoolToObject(gs, "runner_ok", cJSON_IsTrue(ok));
				if (!cJSON_IsTrue(ok) && r == 0)
					r = herr_set(err, EIO, "the runner in '%s' reported failure: %.300s", g->dom_name,
						     res.out);
				/* The runner's whole document, for the report and later analysis. */
				cJSON_AddItemToObject(gs, "runner", out);
			}
		}
		agent_exec_result_free(&res);
		cJSON_AddItemToArray(gl, o);
	}
	cJSON_AddNumberToObject(record, "fairness_index", fairness_index(measured, expected, n));
	cJSON_AddBoolToObject(record, "contended", contended);
	cJSON_AddNumberToObject(record, "measured_s", elapsed);
	/* Leave the guests unpinned and at equal weight for the next run. */
	struct herr ignore = { 0 };
	for (size_t i = 0; i < n; i++) {
		w[i] = 1024;
		pin_guest(rc, &rc->guests[i], -1, &ignore);
	}
	apply_weights(rc, w, eff, nice, &ignore);
	return r;
}
