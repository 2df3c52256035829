/* proportional-share: CPU-bound containers of harness-runtime on one CPU of
 * one guest, under cgroup v2 cpu.weight and cpu.max. Scenarios:
 * weights (two cpu_hog containers, expected share w_i / sum w), idle (the same
 * with an idle container of a large weight beside them: work conservation, the
 * shares do not change), cap (one container alone under cpu.max: capped even
 * with the CPU otherwise idle), io (a CPU-bound and an I/O-bound container at
 * equal weights). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "exp_containers.h"
#include "experiment.h"
#include "guestrun.h"
#include "progress.h"
#include "provision.h"
#include "theory.h"

extern const struct experiment exp_proportional_share_info;

#define IDLE_WEIGHT 10000

/* Tolerances (theory.h), for the shares and the capped utilization alike:
 * cgroup v2 weights and cpu.max held to 0.003 under TCG (0.747 to 0.750
 * against 0.75, 0.298 to 0.300 against 0.3); 0.015 for TCG's emulated
 * ticks, 0.01 under KVM. The sampling part: one of the runner's sampling
 * periods over the span measured (the span's ends are samples). */
static const struct tolerance_src share_tol = {
	.accel_kvm = 0.01, .accel_tcg = 0.015, .aa_sd = 0.002, .aa_duration_s = 10,
	.aa_from = "proportional-share weights 300:100 and cap 0.3, vm1, 3 runs each of 10 s under TCG, 2-CPU "
		   "host, 2026-12-07",
};

static int parse_weights(const char *v, long w[2])
{
	char tail;

	if (sscanf(v, "%ld:%ld%c", &w[0], &w[1], &tail) != 2 || w[0] < 1 || w[0] > 10000 || w[1] < 1 ||
	    w[1] > 10000)
		return -EINVAL;
	return 0;
}

/* CPU seconds of a container: its cgroup's usage, else what the workload counted. */
static double container_cpu_s(cJSON *wl)
{
	static const char *const usec[] = { "container", "usage", "cpu_usage_usec", NULL };
	static const char *const own[] = { "output", "totals", "cpu_s", NULL };
	double v = ctr_jnum(wl, usec);

	return isfinite(v) ? v / 1e6 : ctr_jnum(wl, own);
}

/* The runner samples every workload's cumulative CPU seconds on one clock:
 * the span in which wl ran (first sample with CPU time to its last), and its
 * CPU seconds at t (the last sample at or before t). */
static bool run_span(cJSON *wl, double *first, double *last)
{
	cJSON *s;

	*first = NAN;
	*last = NAN;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(wl, "samples")) {
		double t = doc_jnum(s, "t"), c = doc_jnum(s, "cpu_s");
		if (!isfinite(t) || !isfinite(c))
			continue;
		if (!isfinite(*first) && c > 0)
			*first = t;
		*last = t;
	}
	return isfinite(*first) && isfinite(*last) && *last > *first;
}

static double cpu_at(cJSON *wl, double t)
{
	cJSON *s;
	double v = NAN;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(wl, "samples")) {
		if (doc_jnum(s, "t") > t + 1e-9)
			break;
		v = doc_jnum(s, "cpu_s");
	}
	return v;
}

static cJSON *hog(cJSON *spec, const char *name, double duration, long weight)
{
	char args[128];
	cJSON *c;

	snprintf(args, sizeof(args), "--threads 1 --duration %g", duration);
	c = ctr_workload(spec, name, "cpu_hog", args, "0", true);
	if (weight > 0)
		cJSON_AddNumberToObject(c, "cpu_weight", (double)weight);
	return c;
}

static cJSON *pulse(cJSON *spec, const char *name, double duration, const char *sleep_ms, long weight)
{
	char args[256];
	cJSON *c, *wl;

	snprintf(args, sizeof(args), "--file /run/harness-guest/pulse --size 64k --file-size 1m --sleep-ms %s "
		 "--duration %g", sleep_ms, duration);
	c = ctr_workload(spec, name, "io_pulse", args, "0", true);
	cJSON_AddNumberToObject(c, "cpu_weight", (double)weight);
	/* Mostly asleep by design: never judged stalled. */
	wl = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(spec, "workloads"),
				cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(spec, "workloads")) - 1);
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	return c;
}

static int proportional_share_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct guest *g = ctr_guest(x);
	const char *scenario = exp_setting_value(x, "scenario");
	const char *weights = exp_setting_value(x, "weights");
	const char *cpu_max = exp_setting_value(x, "cpu_max");
	double duration = ctr_duration(x, 10), cap = 0;
	long w[2] = { 100, 100 };
	cJSON *spec, *doc = NULL, *list, *wl;
	double cpu[4] = { 0 }, sum = 0, expected[4] = { NAN, NAN, NAN, NAN };
	const char *names[4] = { NULL };
	size_t n = 0;
	int r;

	if (g == NULL)
		return error_setx(err, EINVAL, "proportional-share needs a guest");
	if (parse_weights(weights, w) < 0)
		return error_setx(err, EINVAL, "bad weights '%s'", weights);
	if (parse_double(cpu_max, 0.01, 1, &cap) < 0)
		return error_setx(err, EINVAL, "bad cpu_max '%s'", cpu_max);
	ctr_record_guest(record, g);
	spec = ctr_spec(exp_proportional_share_info.name, duration);
	if (strcmp(scenario, "weights") == 0 || strcmp(scenario, "idle") == 0) {
		hog(spec, "high", duration, w[0]);
		hog(spec, "low", duration, w[1]);
		names[n++] = "high";
		names[n++] = "low";
		expected[0] = (double)w[0] / (double)(w[0] + w[1]);
		expected[1] = (double)w[1] / (double)(w[0] + w[1]);
		if (strcmp(scenario, "idle") == 0) {
			pulse(spec, "idle", duration, "1000", IDLE_WEIGHT);
			names[n++] = "idle";
		}
	} else if (strcmp(scenario, "cap") == 0) {
		cJSON *c = hog(spec, "capped", duration, 0);
		cJSON_AddNumberToObject(c, "cpu_max", cap);
		names[n++] = "capped";
	} else {
		hog(spec, "cpu", duration, 100);
		pulse(spec, "io", duration, "20", 100);
		names[n++] = "cpu";
		names[n++] = "io";
	}
	progress_phase("containers running", 0, duration);
	r = ctr_run_runner(g, spec, duration + 120, &doc, err);
	cJSON_Delete(spec);
	if (r < 0)
		return r;
	ctr_record_errors(record, doc);
	list = cJSON_AddArrayToObject(record, "containers");
	/* The containers start one after the other (seconds apart under TCG), so
	 * the competing ones are compared over the span in which all ran; the
	 * whole-run figures when there is no such span. */
	double lo = -INFINITY, hi = INFINITY, f, l;
	size_t ncompete = strcmp(scenario, "cap") == 0 ? 1 : 2;
	bool span = true;
	for (size_t i = 0; i < ncompete; i++) {
		if (!run_span(ctr_doc_workload(doc, names[i]), &f, &l)) {
			span = false;
			break;
		}
		lo = f > lo ? f : lo;
		hi = l < hi ? l : hi;
	}
	span = span && hi - lo >= 1;
	cJSON_AddStringToObject(record, "measured_over", span ? "the span in which all competing containers ran"
							      : "each container's whole run");
	cJSON_AddItemToObject(record, "span_s", ctr_num(span ? hi - lo : NAN));
	for (size_t i = 0; i < n; i++) {
		wl = ctr_doc_workload(doc, names[i]);
		if (span && i < ncompete)
			cpu[i] = cpu_at(wl, hi) - cpu_at(wl, lo);
		else
			cpu[i] = container_cpu_s(wl);
		if (i < 2 || strcmp(names[i], "idle") != 0)
			sum += isfinite(cpu[i]) ? cpu[i] : 0;
	}
	cJSON_AddStringToObject(record, "scenario", scenario);
	for (size_t i = 0; i < n; i++) {
		cJSON *o;

		wl = ctr_doc_workload(doc, names[i]);
		o = wl ? ctr_trim_workload(wl) : cJSON_CreateObject();
		if (!wl)
			cJSON_AddStringToObject(o, "name", names[i]);
		cJSON_AddItemToObject(o, "cpu_s", ctr_num(cpu[i]));
		cJSON_AddItemToObject(o, "share", ctr_num(sum > 0 && strcmp(names[i], "idle") ? cpu[i] / sum : NAN));
		cJSON_AddItemToObject(o, "expected_share", ctr_num(expected[i]));
		cJSON_AddItemToArray(list, o);
	}
	/* The metrics, by role. */
	if (strcmp(scenario, "cap") == 0) {
		static const char *const el[] = { "elapsed_s", NULL };
		double elapsed = span ? hi - lo : ctr_jnum(ctr_doc_workload(doc, "capped"), el);
		cJSON_AddItemToObject(record, "utilization", ctr_num(elapsed > 0 ? cpu[0] / elapsed : NAN));
		cJSON_AddNumberToObject(record, "expected_utilization", cap);
	} else {
		cJSON_AddItemToObject(record, "share_first", ctr_num(sum > 0 ? cpu[0] / sum : NAN));
		cJSON_AddItemToObject(record, "share_second", ctr_num(sum > 0 ? cpu[1] / sum : NAN));
		if (isfinite(expected[0])) {
			cJSON_AddNumberToObject(record, "expected_share_first", expected[0]);
			cJSON_AddNumberToObject(record, "expected_share_second", expected[1]);
		}
		if (strcmp(scenario, "idle") == 0)
			cJSON_AddItemToObject(record, "idle_cpu_s", ctr_num(cpu[2]));
		if (strcmp(scenario, "io") == 0) {
			static const char *const cyc[] = { "output", "totals", "cycles", NULL };
			static const char *const el[] = { "elapsed_s", NULL };
			cJSON *io = ctr_doc_workload(doc, "io");
			double c = ctr_jnum(io, cyc), e = ctr_jnum(io, el);
			cJSON_AddItemToObject(record, "io_cycles_per_s", ctr_num(e > 0 ? c / e : NAN));
		}
	}
	{
		double over = span ? hi - lo : duration;
		struct tolerance tol;
		cJSON *tl = cJSON_AddObjectToObject(record, "tolerance");
		static const char *const judged[] = { "share_first", "share_second", "utilization" };

		tolerance_make(&share_tol, x->pv->accel.accel, over, over > 0 ? 1.0 / (CTR_SAMPLE_HZ * over) : 0, &tol);
		for (size_t i = 0; i < 3; i++)
			if (cJSON_GetObjectItemCaseSensitive(record, judged[i]))
				cJSON_AddItemToObject(tl, judged[i], tolerance_json(&tol, &share_tol,
										 "one sampling period of the runner over the span"));
	}
	r = 0;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok"))) {
		cleanup_free char *e = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
		r = error_setx(err, EIO, "the runner in '%s' reported errors: %.400s", g->dom_name, e ? e : "?");
	}
	cJSON_Delete(doc);
	return r;
}

static int check_weights(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long w[2];

	if (parse_weights(v, w) < 0) {
		snprintf(why, whylen, "'%s' must be two cpu.weight values 1..10000 as W1:W2", v);
		return -EINVAL;
	}
	return 0;
}

static int check_cpu_max(const char *v, const struct suite *s, char *why, size_t whylen)
{
	double c;

	if (parse_double(v, 0.01, 1, &c) < 0) {
		snprintf(why, whylen, "'%s' must be a number of CPUs in [0.01, 1]", v);
		return -EINVAL;
	}
	return 0;
}

static double proportional_share_estimate_s(const struct experiment_def *def)
{
	return (def->duration_s > 0 ? def->duration_s : 10) + 15;
}

static void proportional_share_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	FILE *f = d->f;
	const char *scenario = "?";
	cJSON *last = NULL, *c;

	for (size_t i = 0; i < nruns; i++)
		if (doc_run_in_group(runs[i], grp) &&
		    cJSON_GetObjectItemCaseSensitive(runs[i], "containers"))
			last = runs[i];
	if (last)
		scenario = doc_jstr(last, "scenario", "?");
	if (strcmp(scenario, "cap") == 0) {
		fprintf(f, " One CPU-bound container alone under cpu.max: utilization of one CPU %.3f "
			   "(95%% CI %.3f\\(en%.3f), cap %.3f.\n",
			doc_jstat(grp, "utilization", "mean"), doc_jstat(grp, "utilization", "ci95_low"),
			doc_jstat(grp, "utilization", "ci95_high"), doc_jstat(grp, "expected_utilization", "mean"));
	} else {
		fprintf(f, " Share of the CPU time of the CPU-bound containers: first %.3f (95%% CI %.3f\\(en%.3f), "
			   "second %.3f",
			doc_jstat(grp, "share_first", "mean"), doc_jstat(grp, "share_first", "ci95_low"),
			doc_jstat(grp, "share_first", "ci95_high"), doc_jstat(grp, "share_second", "mean"));
		if (isfinite(doc_jstat(grp, "expected_share_first", "mean")))
			fprintf(f, "; expected %.3f and %.3f", doc_jstat(grp, "expected_share_first", "mean"),
				doc_jstat(grp, "expected_share_second", "mean"));
		fputs(".\n", f);
		if (strcmp(scenario, "idle") == 0)
			fprintf(f, " The idle container (cpu.weight %d) used %.3f s of CPU: work conservation, its "
				   "weight takes nothing from the busy ones.\n", IDLE_WEIGHT,
				doc_jstat(grp, "idle_cpu_s", "mean"));
		if (strcmp(scenario, "io") == 0)
			fprintf(f, " The I/O-bound container completed %.1f write+fsync cycles/s beside the CPU-bound one.\n",
				doc_jstat(grp, "io_cycles_per_s", "mean"));
	}
	if (last == NULL)
		return;
	fputs(".TS\nbox;\nc c c c c c\nl n n n n l.\n"
	      "container (last run)\tcpu.weight\tcpu.max\tCPU s\tshare\tstate\n", f);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(last, "containers")) {
		cJSON *lim = cJSON_GetObjectItemCaseSensitive(c, "limits");
		doc_text(f, doc_jstr(c, "name", "?"));
		fputc('\t', f);
		doc_cell(f, 0, doc_jnum(lim, "cpu_weight"), "\\(em");
		fputc('\t', f);
		doc_cell(f, 2, doc_jnum(lim, "cpu_max"), "none");
		fputc('\t', f);
		doc_cell(f, 2, doc_jnum(c, "cpu_s"), "\\(em");
		fputc('\t', f);
		doc_cell(f, 3, doc_jnum(c, "share"), "\\(em");
		fputc('\t', f);
		doc_text(f, doc_jstr(c, "state", "?"));
		fputc('\n', f);
	}
	fputs(".TE\n", f);
}

/* Measured against expected, every scenario with an expectation. */
static void proportional_share_report_end(struct report_doc *d, cJSON *groups)
{
	char dat[4096], gp[4096], eps[4096];
	FILE *f;
	cJSON *grp;
	int row = 0;

	snprintf(dat, sizeof(dat), "%s/pshare.dat", d->tmp);
	snprintf(gp, sizeof(gp), "%s/pshare.gp", d->tmp);
	snprintf(eps, sizeof(eps), "%s/pshare.eps", d->tmp);
	f = fopen(dat, "w");
	if (f == NULL)
		return;
	cJSON_ArrayForEach(grp, groups) {
		char st[256];
		static const char *const m[][2] = { { "share_first", "expected_share_first" },
						    { "share_second", "expected_share_second" },
						    { "utilization", "expected_utilization" } };
		if (strcmp(doc_jstr(grp, "experiment", ""), exp_proportional_share_info.name) != 0)
			continue;
		doc_settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		for (char *c = st; *c; c++)
			if (*c == ' ' || *c == '"')
				*c = '_';
		for (size_t k = 0; k < 3; k++) {
			double mean = doc_jstat(grp, m[k][0], "mean"), ex = doc_jstat(grp, m[k][1], "mean");
			if (!isfinite(mean) || !isfinite(ex))
				continue;
			fprintf(f, "%d \"%s\\n%s\" %g %g %g %g\n", row++, m[k][0], st, mean,
				doc_jstat(grp, m[k][0], "ci95_low"), doc_jstat(grp, m[k][0], "ci95_high"), ex);
		}
	}
	fclose(f);
	if (row == 0)
		return;
	f = fopen(gp, "w");
	if (f == NULL)
		return;
	fprintf(f, "set terminal postscript eps enhanced color size 6in,3in font 'Helvetica,9'\n"
		   "set output '%s'\nset title 'Containers: measured CPU share or utilization (mean, 95%% CI) against expected'\n"
		   "set ylabel 'fraction of one CPU'\nset yrange [0:1.05]\nset style fill solid 0.5\n"
		   "set boxwidth 0.6\nset grid y\nset key outside right top\nset xtics rotate by -30 noenhanced\n"
		   "plot '%s' using 1:3:xtic(2) with boxes title 'measured', "
		   "'' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0 title '95%% CI', "
		   "'' using 1:6 with points pt 7 ps 1.5 lc rgb 'red' title 'expected'\n", eps, dat);
	fclose(f);
	if (doc_gnuplot(gp) == 0) {
		doc_heading(d, 2, "Proportional share: measured against expected", 3);
		fprintf(d->f, ".PSPIC %s 6i 3i\n", eps);
		d->plots++;
	}
}

static const char *const scenarios[] = { "weights", "idle", "cap", "io", NULL };

static const struct exp_setting proportional_share_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "scenario", .help = "weights: two CPU-bound containers; idle: plus an idle one; cap: one alone under "
				     "cpu.max; io: CPU-bound against I/O-bound",
	  .allowed = scenarios, .def = "weights" },
	{ .key = "weights", .help = "cpu.weight of the two CPU-bound containers (weights, idle)",
	  .syntax = "W1:W2 (1..10000 each)", .def = "300:100", .check = check_weights },
	{ .key = "cpu_max", .help = "cpu.max of the capped container, in CPUs (cap)", .syntax = "0.01..1",
	  .def = "0.3", .check = check_cpu_max },
};

#define SHARE_TOL_DOC                                                                                          \
	"per run: 0.01 (KVM) or 0.015 (TCG) + 3 sd of 10 s A/A runs (0.002) scaled to the span measured + one " \
	"sampling period (0.1 s) over that span"

static const struct exp_metric proportional_share_metrics[] = {
	{ .name = "share_first", .scope = METRIC_PER_RUN, .path = { "share_first" }, .unit = "fraction",
	  .better = 0, .use = METRIC_SUMMARY | METRIC_COMPARE, .expected = "expected_share_first",
	  .tolerance_metric = "tolerance_share_first", .tolerance_doc = SHARE_TOL_DOC,
	  .help = "the first CPU-bound container's part of the CPU time the CPU-bound containers used" },
	{ .name = "tolerance_share_first", .scope = METRIC_PER_RUN, .path = { "tolerance", "share_first", "value" },
	  .unit = "fraction", .better = 0, .use = METRIC_SUMMARY, .help = "the run's tolerance for share_first" },
	{ .name = "expected_share_first", .scope = METRIC_PER_RUN, .path = { "expected_share_first" },
	  .unit = "fraction", .better = 0, .use = METRIC_SUMMARY, .help = "w1 / (w1 + w2)" },
	{ .name = "share_second", .scope = METRIC_PER_RUN, .path = { "share_second" }, .unit = "fraction",
	  .better = 0, .use = METRIC_SUMMARY, .expected = "expected_share_second",
	  .tolerance_metric = "tolerance_share_second", .tolerance_doc = SHARE_TOL_DOC,
	  .help = "the second container's part" },
	{ .name = "tolerance_share_second", .scope = METRIC_PER_RUN, .path = { "tolerance", "share_second", "value" },
	  .unit = "fraction", .better = 0, .use = METRIC_SUMMARY, .help = "the run's tolerance for share_second" },
	{ .name = "expected_share_second", .scope = METRIC_PER_RUN, .path = { "expected_share_second" },
	  .unit = "fraction", .better = 0, .use = METRIC_SUMMARY, .help = "w2 / (w1 + w2)" },
	{ .name = "utilization", .scope = METRIC_PER_RUN, .path = { "utilization" }, .unit = "CPUs", .better = 0,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .expected = "expected_utilization",
	  .tolerance_metric = "tolerance_utilization", .tolerance_doc = SHARE_TOL_DOC,
	  .help = "CPU time per second of the container alone under cpu.max" },
	{ .name = "expected_utilization", .scope = METRIC_PER_RUN, .path = { "expected_utilization" },
	  .unit = "CPUs", .better = 0, .use = METRIC_SUMMARY, .help = "the cpu.max quota over its period" },
	{ .name = "tolerance_utilization", .scope = METRIC_PER_RUN, .path = { "tolerance", "utilization", "value" },
	  .unit = "CPUs", .better = 0, .use = METRIC_SUMMARY, .help = "the run's tolerance for utilization" },
	{ .name = "idle_cpu_s", .scope = METRIC_PER_RUN, .path = { "idle_cpu_s" }, .unit = "s", .better = 0,
	  .use = METRIC_SUMMARY, .help = "CPU time of the idle container of large weight" },
	{ .name = "io_cycles_per_s", .scope = METRIC_PER_RUN, .path = { "io_cycles_per_s" }, .unit = "cycles/s",
	  .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "write+fsync cycles per second of the I/O-bound container beside a CPU-bound one" },
};

const struct experiment exp_proportional_share_info = {
	.name = "proportional-share",
	.summary = "containers on one CPU under cgroup v2 cpu.weight and cpu.max",
	.theory = "CPU-bound containers on one CPU share it as w_i / sum w (300:100 gives 0.75/0.25); an idle "
		  "container changes nothing whatever its weight (work conservation); cpu.max Q/P caps a container "
		  "at Q/P of a CPU even when the CPU is otherwise idle",
	.guests = EXP_GUESTS_BORROWED,
	.settings = proportional_share_settings,
	.nsettings = sizeof(proportional_share_settings) / sizeof(proportional_share_settings[0]),
	.metrics = proportional_share_metrics,
	.nmetrics = sizeof(proportional_share_metrics) / sizeof(proportional_share_metrics[0]),
	.estimate_s = proportional_share_estimate_s,
	.run = proportional_share_run,
	.report_group = proportional_share_report_group,
	.report_end = proportional_share_report_end,
};
