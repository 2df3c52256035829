/* nice: two or more CPU-bound processes pinned to one CPU of a guest at
 * given nice values; each one's share of the CPU time they used together,
 * beside the share the kernel's weight table predicts (weights.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "experiment.h"
#include "guestrun.h"
#include "provision.h"
#include "theory.h"
#include "weights.h"

#define NICE_MAX_PROCS 8

extern const struct experiment exp_nice_info;

/* Tolerance (theory.h) of the first process's share. The processes start
 * one after the other and the first runs alone until the next has started:
 * milliseconds on hardware, tens of them under TCG, hence 0.01 and 0.02.
 * CPU time comes from wait4 (nanoseconds): no sampling part. */
static const struct tolerance_src share_tol = {
	.accel_kvm = 0.01, .accel_tcg = 0.02, .aa_sd = 0.002, .aa_duration_s = 10,
	.aa_from = "nice 0:3, vm1, 3 runs of 10 s under TCG (0.656 to 0.659 against 0.661), 2-CPU host, 2026-12-07",
};

/* "0:3" -> {0, 3}; the count, or -EINVAL. */
static int parse_nices(const char *v, int *nices)
{
	cleanup_free char *copy = xstrdup(v);
	char *save = NULL;
	int n = 0;

	for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		long x;
		if (n >= NICE_MAX_PROCS || parse_long(tok, -20, 19, &x) < 0)
			return -EINVAL;
		nices[n++] = (int)x;
	}
	return n >= 2 && v[strlen(v) - 1] != ':' && v[0] != ':' ? n : -EINVAL;
}

static int check_nices(const char *v, const struct suite *s, char *why, size_t whylen)
{
	int nices[NICE_MAX_PROCS];

	(void)s;
	if (parse_nices(v, nices) < 0) {
		snprintf(why, whylen, "'%s' must be 2 to %d nice values in -20..19 separated by ':'", v, NICE_MAX_PROCS);
		return -EINVAL;
	}
	return 0;
}

static int check_cpu(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long c;

	(void)s;
	if (parse_long(v, 0, 63, &c) < 0) {
		snprintf(why, whylen, "'%s' must be a CPU number 0..63", v);
		return -EINVAL;
	}
	return 0;
}

/* CPU seconds of a workload: its whole life (wait4), else its own count. */
static double workload_cpu_s(cJSON *w)
{
	double u = guestrun_num(w, (const char *const[]){ "rusage", "user_s", NULL });
	double s = guestrun_num(w, (const char *const[]){ "rusage", "system_s", NULL });

	if (isfinite(u) && isfinite(s))
		return u + s;
	return guestrun_num(w, (const char *const[]){ "output", "totals", "cpu_s", NULL });
}

static int nice_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	const char *nv = exp_setting_value(x, "nice"), *cpu = exp_setting_value(x, "cpu");
	double duration = x->def->duration_s, cpu_s[NICE_MAX_PROCS], total = 0, ups = 0;
	unsigned long w[NICE_MAX_PROCS];
	double expected[NICE_MAX_PROCS], measured[NICE_MAX_PROCS], maxerr = 0;
	int nices[NICE_MAX_PROCS], n, r;
	char dur[32], name[16];
	cJSON *spec, *doc = NULL, *procs;
	struct guest *g;

	n = parse_nices(nv, nices);
	if (n < 0)
		return error_setx(err, EINVAL, "bad nice values '%s'", nv);
	g = guestrun_pick(x, err);
	if (g == NULL)
		return -err->status;
	if (atoi(cpu) >= g->def->vcpus)
		return error_setx(err, EINVAL, "guest '%s' has %d vCPU(s): no CPU %s", g->def->name, g->def->vcpus, cpu);
	for (int i = 0; i < n; i++)
		w[i] = nice_to_weight(nices[i]);
	expected_shares(w, (size_t)n, expected);

	spec = cJSON_CreateObject();
	cJSON_AddStringToObject(spec, "experiment", exp_nice_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", duration);
	cJSON_AddNumberToObject(spec, "sample_hz", 4);
	snprintf(dur, sizeof(dur), "%g", duration);
	for (int i = 0; i < n; i++) {
		const char *args[] = { "--threads", "1", "--duration", dur, "--interval-ms", "250", NULL };
		snprintf(name, sizeof(name), "p%d", i);
		cJSON *wl = guestrun_workload(spec, name, "cpu_hog", args);
		cJSON_AddNumberToObject(wl, "nice", nices[i]);
		cJSON_AddStringToObject(wl, "cpus", cpu);
	}
	r = guestrun_run(g, spec, duration + 120, &doc, err);
	cJSON_Delete(spec);
	cJSON_AddItemToObject(record, "guest", guestrun_guest_json(g, doc));
	cJSON_AddStringToObject(record, "cpu", cpu);
	if (r < 0) {
		cJSON_Delete(doc);
		return r;
	}
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		cpu_s[i] = workload_cpu_s(guestrun_doc_workload(doc, name));
		if (!isfinite(cpu_s[i]))
			cpu_s[i] = 0;
		total += cpu_s[i];
	}
	procs = cJSON_AddArrayToObject(record, "processes");
	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		double u;

		snprintf(name, sizeof(name), "p%d", i);
		u = guestrun_num(guestrun_doc_workload(doc, name), (const char *const[]){ "output", "totals", "units_per_s", NULL });
		measured[i] = total > 0 ? cpu_s[i] / total : 0;
		if (fabs(measured[i] - expected[i]) > maxerr)
			maxerr = fabs(measured[i] - expected[i]);
		if (isfinite(u))
			ups += u;
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddNumberToObject(o, "nice", nices[i]);
		cJSON_AddNumberToObject(o, "weight", (double)w[i]);
		cJSON_AddNumberToObject(o, "cpu_s", cpu_s[i]);
		cJSON_AddItemToObject(o, "units_per_s", guestrun_num_or_null(u));
		cJSON_AddNumberToObject(o, "measured_share", measured[i]);
		cJSON_AddNumberToObject(o, "expected_share", expected[i]);
		cJSON_AddItemToArray(procs, o);
	}
	cJSON_AddNumberToObject(record, "measured_share_first", measured[0]);
	cJSON_AddNumberToObject(record, "expected_share_first", expected[0]);
	cJSON_AddNumberToObject(record, "max_share_error", maxerr);
	cJSON_AddNumberToObject(record, "fairness_index", fairness_index(measured, expected, (size_t)n));
	{
		struct tolerance tol;

		tolerance_make(&share_tol, x->pv->accel.accel, duration, 0, &tol);
		cJSON_AddItemToObject(cJSON_AddObjectToObject(record, "tolerance"), "measured_share_first",
				      tolerance_json(&tol, &share_tol, "none: CPU time from wait4"));
	}
	cJSON_AddNumberToObject(record, "units_per_s", ups);
	cJSON_AddNumberToObject(record, "cpu_s", total);
	/* The system samples are the bulk of the document and say little here. */
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "samples");
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok"))) {
		cleanup_free char *why = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
		r = error_setx(err, EIO, "the runner in '%s' reported failure: %.300s", g->dom_name, why ? why : "?");
	}
	cJSON_AddItemToObject(record, "runner", doc);
	if (r == 0 && total <= 0)
		r = error_setx(err, EIO, "the processes in '%s' used no CPU time", g->dom_name);
	return r;
}

static double nice_estimate_s(const struct experiment_def *def)
{
	return def->duration_s + 8;
}

/* Mean and standard deviation of processes[i].key over the group's runs. */
static void proc_stat(cJSON *const *runs, size_t nruns, cJSON *grp, int i, const char *key, double *mean,
		      double *sd)
{
	double sum = 0, sumsq = 0;
	int n = 0;

	for (size_t r = 0; r < nruns; r++) {
		cJSON *p;
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[r], "ok")) || !doc_run_in_group(runs[r], grp))
			continue;
		p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(runs[r], "processes"), i);
		if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, key)))
			continue;
		sum += doc_jnum(p, key);
		sumsq += doc_jnum(p, key) * doc_jnum(p, key);
		n++;
	}
	*mean = n ? sum / n : NAN;
	*sd = n > 1 ? sqrt(fmax(0, (sumsq - sum * sum / n) / (n - 1))) : 0;
}

/* Each process's share of the CPU per sampling interval, from the runner's
 * cumulative CPU seconds per workload. */
static int plot_shares(struct report_doc *d, cJSON *run, char *eps, size_t epslen)
{
	char dat[4096], gp[4096];
	cJSON *wls = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(run, "runner"), "workloads");
	cJSON *procs = cJSON_GetObjectItemCaseSensitive(run, "processes");
	cJSON *prev[NICE_MAX_PROCS], *cur[NICE_MAX_PROCS], *wl;
	int n = cJSON_GetArraySize(procs), rows, i = 0, step;
	FILE *f;

	if (n < 2 || n > NICE_MAX_PROCS || cJSON_GetArraySize(wls) != n)
		return -1;
	/* Each workload's samples walked once, side by side (->next): linear
	 * in the samples; past DOC_SERIES_ROWS, the shares of longer
	 * intervals (every step-th sample), at most that many points. */
	cJSON_ArrayForEach(wl, wls) {
		prev[i] = cJSON_GetObjectItemCaseSensitive(wl, "samples");
		prev[i] = cJSON_IsArray(prev[i]) ? prev[i]->child : NULL;
		cur[i++] = NULL;
	}
	rows = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(wls, 0), "samples"));
	step = rows > DOC_SERIES_ROWS ? (rows + DOC_SERIES_ROWS - 1) / DOC_SERIES_ROWS : 1;
	snprintf(dat, sizeof(dat), "%s/nice%d.dat", d->tmp, d->group);
	snprintf(gp, sizeof(gp), "%s/nice%d.gp", d->tmp, d->group);
	snprintf(eps, epslen, "%s/nice%d.eps", d->tmp, d->group);
	f = fopen(dat, "w");
	if (f == NULL)
		return -1;
	for (int k = step; k < rows; k += step) {
		double delta[NICE_MAX_PROCS], sum = 0, t = NAN;
		for (i = 0; i < n; i++) {
			cJSON *a = prev[i], *b = a;
			for (int j = 0; j < step && b; j++)
				b = b->next;
			cur[i] = b;
			delta[i] = doc_jnum(b, "cpu_s") - doc_jnum(a, "cpu_s");
			if (!isfinite(delta[i]) || delta[i] < 0)
				delta[i] = 0;
			sum += delta[i];
			if (i == 0)
				t = doc_jnum(b, "t");
		}
		for (i = 0; i < n; i++)
			prev[i] = cur[i];
		if (sum <= 0 || !isfinite(t))
			continue;
		fprintf(f, "%g", t);
		for (i = 0; i < n; i++)
			fprintf(f, " %g", delta[i] / sum);
		fputc('\n', f);
	}
	fclose(f);
	f = fopen(gp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "set terminal postscript eps enhanced color size 6in,2.4in font 'Helvetica,11'\n"
		   "set output '%s'\nset title 'Share of the CPU per interval'\nset xlabel 'time (s)'\n"
		   "set ylabel 'share of the CPU'\nset yrange [0:1]\nset key outside right\nset grid\nplot ", eps);
	for (i = 0; i < n; i++) {
		cJSON *p = cJSON_GetArrayItem(procs, i);
		fprintf(f, "%s'%s' using 1:%d with lines lw 2 title 'p%d (nice %.0f)', %.4f with lines dt 2 lc %d notitle",
			i ? ", " : "", dat, i + 2, i, doc_jnum(p, "nice"), doc_jnum(p, "expected_share"), i + 1);
	}
	fputc('\n', f);
	fclose(f);
	return doc_gnuplot(gp);
}

static void nice_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	cJSON *first = doc_group_first_run(grp, runs, nruns);
	cJSON *procs = cJSON_GetObjectItemCaseSensitive(first, "processes");
	char eps[4200];
	FILE *f = d->f;

	if (!guestrun_report_guest(f, first))
		return;
	fprintf(f, "), every process pinned to CPU %s. Fairness index (Jain, of measured/expected): %.3f.\n",
		doc_jstr(first, "cpu", "?"), doc_jstat(grp, "fairness_index", "mean"));
	fputs(".TS\nbox;\nc c c c c c\nl n n n n n.\n"
	      "process\tnice\tweight\texpected share\tmeasured share\t\\(+- sd\n", f);
	for (int i = 0; i < cJSON_GetArraySize(procs) && i < NICE_MAX_PROCS; i++) {
		cJSON *p = cJSON_GetArrayItem(procs, i);
		double mean, sd;
		proc_stat(runs, nruns, grp, i, "measured_share", &mean, &sd);
		fprintf(f, "p%d\t%.0f\t%.0f\t%.3f\t%.3f\t%.3f\n", i, doc_jnum(p, "nice"), doc_jnum(p, "weight"),
			doc_jnum(p, "expected_share"), mean, sd);
	}
	fputs(".TE\n", f);
	if (plot_shares(d, first, eps, sizeof(eps)) == 0) {
		fprintf(f, ".PSPIC %s 6i 2.4i\n", eps);
		d->plots++;
	}
}

/* The share of the first of two processes at nice 0 and +diff. */
static double pair_share(int a, int b)
{
	return (double)nice_to_weight(a) / (double)(nice_to_weight(a) + nice_to_weight(b));
}

/* The weight table, the seed's 60/40 claim against it, and every setting's
 * measured shares beside the expected ones. */
static void nice_report_end(struct report_doc *d, cJSON *groups)
{
	FILE *f = d->f, *dat;
	char datp[4096], gp[4096], eps[4096];
	int best = 1, row = 0;
	cJSON *grp;

	doc_heading(d, 2, "nice: the kernel's weight table", 1.5);
	fputs(".PP\n"
	      "CFS and EEVDF give each runnable task a weight from its nice value "
	      "(sched_prio_to_weight in the kernel's kernel/sched/core.c); tasks that compete for one CPU "
	      "share it in proportion to their weights, each nice step being about 1.25 times the next.\n"
	      ".TS\nbox;\nc c c c c c c c c c c\nn n n n n n n n n n n.\n", f);
	for (int n = -5; n <= 5; n++)
		fprintf(f, "%s%d", n > -5 ? "\t" : "", n);
	fputc('\n', f);
	for (int n = -5; n <= 5; n++)
		fprintf(f, "%s%lu", n > -5 ? "\t" : "", nice_to_weight(n));
	fputs("\n.TE\n", f);
	for (int k = 1; k <= 39; k++)
		if (fabs(pair_share(0, k) - 0.6) < fabs(pair_share(0, best) - 0.6))
			best = k;
	fprintf(f, ".PP\nSeed 003 reports a 60/40 split for two CPU-bound processes at nice \\-5 and +5 and "
		   "calls it consistent with the weight table. The table gives %lu/(%lu+%lu) = %.3f against %.3f for "
		   "that pair. A 60/40 split is what a nice difference of %d gives: nice 0 against +%d is "
		   "%lu/(%lu+%lu) = %.3f against %.3f (a difference of %d gives %.3f, of %d gives %.3f).\n",
		nice_to_weight(-5), nice_to_weight(-5), nice_to_weight(5), pair_share(-5, 5), 1 - pair_share(-5, 5),
		best, best, nice_to_weight(0), nice_to_weight(0), nice_to_weight(best), pair_share(0, best),
		1 - pair_share(0, best), best - 1, pair_share(0, best - 1), best + 1, pair_share(0, best + 1));

	/* Bars: the first process's measured share (mean, 95% CI) per setting. */
	snprintf(datp, sizeof(datp), "%s/nicebars.dat", d->tmp);
	snprintf(gp, sizeof(gp), "%s/nicebars.gp", d->tmp);
	snprintf(eps, sizeof(eps), "%s/nicebars.eps", d->tmp);
	dat = fopen(datp, "w");
	if (dat == NULL)
		return;
	cJSON_ArrayForEach(grp, groups) {
		char st[256], *o = st;
		const char *s;
		if (strcmp(doc_jstr(grp, "experiment", ""), exp_nice_info.name) != 0)
			continue;
		doc_settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		/* Only characters that cannot end gnuplot's quoted string. */
		for (s = st; *s && o < st + sizeof(st) - 1; s++)
			if (strchr("\"\\'`", *s) == NULL)
				*o++ = *s == ' ' ? '_' : *s;
		*o = '\0';
		fprintf(dat, "%d \"%s\" %g %g %g %g\n", row++, st, doc_jstat(grp, "measured_share_first", "mean"),
			doc_jstat(grp, "measured_share_first", "ci95_low"), doc_jstat(grp, "measured_share_first", "ci95_high"),
			doc_jstat(grp, "expected_share_first", "mean"));
	}
	fclose(dat);
	if (row == 0 || (dat = fopen(gp, "w")) == NULL)
		return;
	fprintf(dat, "set terminal postscript eps enhanced color size 6in,2.8in font 'Helvetica,9'\n"
		     "set output '%s'\nset title 'Share of the first process (mean, 95%% CI) against the weight table'\n"
		     "set ylabel 'share of the CPU'\nset yrange [0:1.05]\nset style fill solid 0.5\nset boxwidth 0.6\n"
		     "set grid y\nset key outside right top\nset xtics rotate by -30 noenhanced\n"
		     "plot '%s' using 1:3:xtic(2) with boxes title 'measured', "
		     "'' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0 title '95%% CI', "
		     "'' using 1:6 with points pt 7 ps 1.5 lc rgb 'red' title 'expected'\n", eps, datp);
	fclose(dat);
	if (doc_gnuplot(gp) == 0) {
		fprintf(f, ".PSPIC %s 6i 2.8i\n", eps);
		d->plots++;
	}
}

static const struct exp_setting nice_settings[] = {
	{ .key = "nice", .help = "one CPU-bound process per value, at that nice value, all on one CPU",
	  .syntax = "N1:N2[:...] (2 to 8 values in -20..19)", .def = "0:3", .check = check_nices },
	{ .key = "cpu", .help = "the guest CPU every process is pinned to", .syntax = "a CPU number 0..63",
	  .def = "0", .check = check_cpu },
	GUESTRUN_GUEST_SETTING,
};

static const struct exp_metric nice_metrics[] = {
	{ .name = "measured_share_first", .scope = METRIC_PER_RUN, .path = { "measured_share_first" },
	  .unit = "fraction", .better = 0, .use = METRIC_SUMMARY | METRIC_COMPARE, .expected = "expected_share_first",
	  .tolerance_metric = "tolerance_share_first",
	  .tolerance_doc = "per run: 0.01 (KVM) or 0.02 (TCG: the processes start tens of ms apart) + 3 sd of 10 s "
			   "A/A runs (0.002) scaled to the duration",
	  .help = "the first process's part of the CPU time all of them used" },
	{ .name = "expected_share_first", .scope = METRIC_PER_RUN, .path = { "expected_share_first" },
	  .unit = "fraction", .better = 0, .use = METRIC_SUMMARY, .help = "its weight over the sum of the weights" },
	{ .name = "tolerance_share_first", .scope = METRIC_PER_RUN,
	  .path = { "tolerance", "measured_share_first", "value" }, .unit = "fraction", .better = 0,
	  .use = METRIC_SUMMARY, .help = "the run's tolerance for measured_share_first" },
	{ .name = "max_share_error", .scope = METRIC_PER_RUN, .path = { "max_share_error" }, .unit = "fraction",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "the largest distance between a process's measured and expected share" },
	{ .name = "fairness_index", .scope = METRIC_PER_RUN, .path = { "fairness_index" }, .unit = "", .better = +1,
	  .use = METRIC_SUMMARY, .help = "Jain's index of measured/expected shares (1: all get their due)" },
	{ .name = "units_per_s", .scope = METRIC_PER_RUN, .path = { "units_per_s" }, .unit = "work units/s",
	  .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "cpu_hog's throughput, all processes together" },
};

const struct experiment exp_nice_info = {
	.name = "nice",
	.summary = "CPU-bound processes at given nice values on one guest CPU; share against the weight table",
	.theory = "a process's share of the CPU is its weight over the sum of the weights "
		  "(sched_prio_to_weight: nice 0 is 1024, each step about 1.25 times); nice 0 against +3 gives 0.661",
	.guests = EXP_GUESTS_BORROWED,
	.settings = nice_settings,
	.nsettings = sizeof(nice_settings) / sizeof(nice_settings[0]),
	.metrics = nice_metrics,
	.nmetrics = sizeof(nice_metrics) / sizeof(nice_metrics[0]),
	.estimate_s = nice_estimate_s,
	.run = nice_run,
	.report_group = nice_report_group,
	.report_end = nice_report_end,
};
