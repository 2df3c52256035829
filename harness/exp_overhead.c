/* overhead: the same cpu_hog bare in one guest and in a busybox
 * container of harness-runtime, alternately twice (throughput ratio of the
 * best of each), and the guest's boot against a container's start-to-exit. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "exp_containers.h"
#include "experiment.h"
#include "guestrun.h"
#include "progress.h"
#include "provision.h"

extern const struct experiment exp_overhead_info;

#define ROUNDS 2

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* cpu_hog's work units per second, bare or in a container. */
static int hog_rate(struct guest *g, double duration, bool container, double *ups, cJSON **trim, struct herror *err)
{
	char args[128];
	cJSON *spec = ctr_spec(exp_overhead_info.name, duration), *doc = NULL, *wl;
	static const char *const p_ups[] = { "output", "totals", "units_per_s", NULL };
	int r;

	snprintf(args, sizeof(args), "--threads 1 --duration %g", duration);
	ctr_workload(spec, "hog", "cpu_hog", args, "0", container);
	r = ctr_run_runner(g, spec, duration + 120, &doc, err);
	cJSON_Delete(spec);
	if (r < 0)
		return r;
	wl = ctr_doc_workload(doc, "hog");
	*ups = ctr_jnum(wl, p_ups);
	*trim = wl ? ctr_trim_workload(wl) : cJSON_CreateNull();
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok")) || !(*ups > 0)) {
		cleanup_free char *e = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
		r = error_setx(err, EIO, "cpu_hog %s in '%s' failed: %.400s", container ? "in a container" : "bare",
			     g->dom_name, e ? e : "?");
	}
	cJSON_Delete(doc);
	return r;
}

/* "Startup finished in 1.2s (kernel) + 1min 3.4s (userspace) = 1min 4.6s". */
static double systemd_total_s(const char *text)
{
	const char *eq = text ? strstr(text, " = ") : NULL;
	double total = 0, v;
	int used;

	if (eq == NULL)
		return NAN;
	for (const char *p = eq + 3; sscanf(p, "%lf%n", &v, &used) == 1; p += used) {
		p += used;
		used = 0;
		if (strncmp(p, "min", 3) == 0)
			total += 60 * v, used = 3;
		else if (strncmp(p, "ms", 2) == 0)
			total += v / 1000, used = 2;
		else if (*p == 's')
			total += v, used = 1;
		else
			break;
		while (p[used] == ' ')
			used++;
	}
	return total > 0 ? total : NAN;
}

static int overhead_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct guest *g = ctr_guest(x);
	double duration = ctr_duration(x, 10), bare = NAN, inside = NAN, starts_ms[1000];
	long starts = 10;
	size_t ns = 0;
	cleanup_free char *body = NULL, *script = NULL, *out = NULL, *sa = NULL;
	cJSON *tb = NULL, *tc = NULL, *list;
	int r;

	if (g == NULL)
		return error_setx(err, EINVAL, "overhead needs a guest");
	if (parse_long(exp_setting_value(x, "starts"), 1, 1000, &starts) < 0)
		return error_setx(err, EINVAL, "bad starts");
	ctr_record_guest(record, g);
	/* Bare and in a container, alternately, ROUNDS times; the best of each
	 * (a shared TCG host slows single runs by tens of percent). */
	cJSON *rb = cJSON_AddArrayToObject(record, "units_per_s_bare_runs");
	cJSON *rc = cJSON_AddArrayToObject(record, "units_per_s_container_runs");
	for (int round = 0; round < ROUNDS; round++) {
		double v;
		progress_phase("cpu_hog bare and in a container", 2 * round * duration, 2 * ROUNDS * duration);
		if ((r = hog_rate(g, duration, false, &v, &tb, err)) < 0)
			return r;
		cJSON_AddItemToArray(rb, cJSON_CreateNumber(v));
		bare = isfinite(bare) && bare > v ? bare : v;
		if (round == 0)
			cJSON_AddItemToObject(record, "bare", tb);
		else
			cJSON_Delete(tb);
		if ((r = hog_rate(g, duration, true, &v, &tc, err)) < 0)
			return r;
		cJSON_AddItemToArray(rc, cJSON_CreateNumber(v));
		inside = isfinite(inside) && inside > v ? inside : v;
		if (round == 0)
			cJSON_AddItemToObject(record, "container", tc);
		else
			cJSON_Delete(tc);
	}
	cJSON_AddNumberToObject(record, "units_per_s_bare", bare);
	cJSON_AddNumberToObject(record, "units_per_s_container", inside);
	cJSON_AddNumberToObject(record, "throughput_ratio", inside / bare);

	progress_phase("container start-to-exit", 0, 0);
	body = xasprintf("for i in $(seq %ld); do t=$(date +%%s%%N); $R run s$i $T/root --rm -- /bin/true >/dev/null "
			 "2>$T/err && echo \"start $(( ($(date +%%s%%N) - t) / 1000 ))\" || echo \"error start: $(head -c 200 "
			 "$T/err)\"; done", starts);
	script = ctr_sv_script("overhead", "", body);
	r = ctr_sh(g, script, 60 + 10.0 * (double)starts, &out, err);
	if (r < 0)
		return r;
	list = cJSON_AddArrayToObject(record, "start_ms");
	for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		double us;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "error ", 6) == 0)
			return error_setx(err, EIO, "in '%s': %.300s", g->dom_name, line + 6);
		if (sscanf(line, "start %lf", &us) == 1 && ns < 1000) {
			starts_ms[ns++] = us / 1000;
			cJSON_AddItemToArray(list, cJSON_CreateNumber(us / 1000));
		}
	}
	if (ns == 0)
		return error_setx(err, EIO, "no container start measured in '%s': %.300s", g->dom_name, out);
	qsort(starts_ms, ns, sizeof(double), cmp_double);
	double start_med = ns % 2 ? starts_ms[ns / 2] : (starts_ms[ns / 2 - 1] + starts_ms[ns / 2]) / 2;
	cJSON_AddNumberToObject(record, "container_start_ms", start_med);

	/* The guest's boot: domain start to agent when this run booted it, else
	 * what systemd measured (firmware, kernel and userspace) in the guest. */
	double boot = NAN;
	const char *how = "none";
	if (g->boot_s > 0) {
		boot = g->boot_s;
		how = "domain start to guest agent ready";
	} else if (ctr_sh(g, "systemd-analyze time 2>/dev/null | head -1", 30, &sa, err) >= 0) {
		boot = systemd_total_s(sa);
		how = "systemd-analyze time in the guest (kernel + userspace)";
	}
	cJSON_AddItemToObject(record, "vm_boot_s", ctr_num(boot));
	cJSON_AddStringToObject(record, "vm_boot_source", how);
	cJSON_AddItemToObject(record, "boot_over_start", ctr_num(boot * 1000 / start_med));
	return 0;
}

static int check_starts(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;

	if (parse_long(v, 1, 1000, &n) < 0) {
		snprintf(why, whylen, "'%s' must be a count 1..1000", v);
		return -EINVAL;
	}
	return 0;
}

static double overhead_estimate_s(const struct experiment_def *def)
{
	return 2 * ROUNDS * (def->duration_s > 0 ? def->duration_s : 10) + 50;
}

static void overhead_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	fprintf(d->f, " cpu_hog: %.0f work units/s bare, %.0f in a container: ratio %.3f (95%% CI %.3f\\(en%.3f). "
		      "Container start-to-exit of /bin/true %.1f ms (median); the guest's boot %.1f s, %.0f times "
		      "as long.\n",
		doc_jstat(grp, "units_per_s_bare", "mean"), doc_jstat(grp, "units_per_s_container", "mean"),
		doc_jstat(grp, "throughput_ratio", "mean"), doc_jstat(grp, "throughput_ratio", "ci95_low"),
		doc_jstat(grp, "throughput_ratio", "ci95_high"), doc_jstat(grp, "container_start_ms", "mean"),
		doc_jstat(grp, "vm_boot_s", "mean"), doc_jstat(grp, "boot_over_start", "mean"));
	if (nruns > 0) {
		fputs(".PP\nBoot measured as: ", d->f);
		doc_text(d->f, doc_jstr(runs[nruns - 1], "vm_boot_source", "?"));
		fputs(".\n", d->f);
	}
}

static const struct exp_setting overhead_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "starts", .help = "container start-to-exit runs for the start latency", .syntax = "1..1000",
	  .def = "10", .check = check_starts },
};

static const struct exp_metric overhead_metrics[] = {
	{ .name = "throughput_ratio", .scope = METRIC_PER_RUN, .path = { "throughput_ratio" }, .unit = "",
	  .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "cpu_hog in a container over bare" },
	{ .name = "units_per_s_bare", .scope = METRIC_PER_RUN, .path = { "units_per_s_bare" },
	  .unit = "work units/s", .better = +1, .use = METRIC_SUMMARY,
	  .help = "cpu_hog bare in the guest (best of 2 alternating runs)" },
	{ .name = "units_per_s_container", .scope = METRIC_PER_RUN, .path = { "units_per_s_container" },
	  .unit = "work units/s", .better = +1, .use = METRIC_SUMMARY,
	  .help = "cpu_hog in a container (best of 2 alternating runs)" },
	{ .name = "container_start_ms", .scope = METRIC_PER_RUN, .path = { "container_start_ms" }, .unit = "ms",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "median start-to-exit of /bin/true" },
	{ .name = "vm_boot_s", .scope = METRIC_PER_RUN, .path = { "vm_boot_s" }, .unit = "s", .better = -1,
	  .use = METRIC_SUMMARY, .help = "the guest's boot" },
	{ .name = "boot_over_start", .scope = METRIC_PER_RUN, .path = { "boot_over_start" }, .unit = "",
	  .better = 0, .use = METRIC_SUMMARY, .help = "VM boot over container start" },
};

const struct experiment exp_overhead_info = {
	.name = "overhead",
	.summary = "the same workload bare and in a container; VM boot against container start",
	.theory = "a container is processes with namespaces and a cgroup on the same kernel: CPU-bound work runs "
		  "at the same speed (ratio 1), and starting one costs milliseconds where booting a VM costs seconds",
	.guests = EXP_GUESTS_BORROWED,
	.settings = overhead_settings,
	.nsettings = sizeof(overhead_settings) / sizeof(overhead_settings[0]),
	.metrics = overhead_metrics,
	.nmetrics = sizeof(overhead_metrics) / sizeof(overhead_metrics[0]),
	.estimate_s = overhead_estimate_s,
	.run = overhead_run,
	.report_group = overhead_report_group,
};
