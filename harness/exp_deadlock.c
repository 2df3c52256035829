/* deadlock: the deadlock workload takes N locks in circular order in a
 * guest; the runner sees its progress stop, reads its lock table, builds the
 * wait-for graph and ends it. The record holds the cycle, the time to
 * detection against the bound, and whether anything was left running. With
 * the global lock order (prevention) nothing may stall. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "doc.h"
#include "experiment.h"
#include "guestrun.h"
#include "provision.h"
#include "theory.h"

#define SAMPLE_HZ 10

/* Tolerance (theory.h) of the detection time. Theory puts it in
 * [stall_timeout_s, bound_s]: the stall is seen at a sample, and the last
 * progress seen at an earlier one; expected is the middle of that window
 * and its half-width (one sampling period) the sampling part. Under TCG
 * the runner's samples come late by tens of ms, under KVM by less. The
 * time to detection does not grow with the run. */
static const struct tolerance_src detection_tol = {
	.accel_kvm = 0.02, .accel_tcg = 0.05, .aa_sd = 0.005, .aa_duration_s = 0,
	.aa_from = "deadlock defaults (2 threads, circular, stall_timeout_s 1), vm1, 3 runs under TCG (1.090 to "
		   "1.099 s), 2-CPU host, 2026-12-07",
};

extern const struct experiment exp_deadlock_info;

static int check_range(const char *v, long lo, long hi, char *why, size_t whylen)
{
	long x;

	if (parse_long(v, lo, hi, &x) < 0) {
		snprintf(why, whylen, "'%s' must be a whole number in %ld..%ld", v, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int check_threads(const char *v, const struct suite *s, char *why, size_t whylen)
{
	return check_range(v, 2, 64, why, whylen);
}

static int check_hold(const char *v, const struct suite *s, char *why, size_t whylen)
{
	return check_range(v, 1, 10000, why, whylen);
}

static int check_bound(const char *v, const struct suite *s, char *why, size_t whylen)
{
	double x;

	if (parse_double(v, 0.2, 600, &x) < 0) {
		snprintf(why, whylen, "'%s' must be seconds in [0.2, 600]", v);
		return -EINVAL;
	}
	return 0;
}

/* How many processes named comm are left in the guest (-1: cannot tell). */
static int guest_count_comm(struct guest *g, const char *comm)
{
	cleanup_free char *script = xasprintf("n=0; for c in /proc/[0-9]*/comm; do "
					      "[ \"$(cat \"$c\" 2>/dev/null)\" = %s ] && n=$((n+1)); done; echo $n",
					      comm);
	const char *argv[] = { "-c", script, NULL };
	struct agent_exec_result res = { 0 };
	struct herror err = { 0 };
	int n = -1;

	if (agent_run(g->dom, "/bin/sh", argv, NULL, 60, &res, &err) == 0 && res.exited && res.exit_code == 0 &&
	    res.out)
		n = atoi(res.out);
	agent_exec_result_free(&res);
	return n;
}

static int deadlock_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	const char *threads = exp_setting_value(x, "threads"), *hold = exp_setting_value(x, "hold_ms");
	const char *order = exp_setting_value(x, "order"), *bound_v = exp_setting_value(x, "stall_timeout_s");
	double duration = x->def->duration_s, stall_timeout = atof(bound_v);
	double bound = stall_timeout + 2.0 / SAMPLE_HZ;
	bool expect = strcmp(order, "circular") == 0;
	char dur[32];
	cJSON *spec, *doc = NULL, *wl, *dl, *stall, *cl;
	struct guest *g;
	int r, left;

	g = guestrun_pick(x, err);
	if (g == NULL)
		return -err->status;
	/* A circular run ends when the runner finds the stall; the workload's
	 * own deadline lies beyond the run so that only detection ends it. */
	snprintf(dur, sizeof(dur), "%g", expect ? duration + 60 : duration);
	spec = cJSON_CreateObject();
	cJSON_AddStringToObject(spec, "experiment", exp_deadlock_info.name);
	cJSON_AddNumberToObject(spec, "duration_s", duration);
	cJSON_AddNumberToObject(spec, "sample_hz", SAMPLE_HZ);
	cJSON_AddNumberToObject(spec, "stall_timeout_s", stall_timeout);
	{
		const char *args[] = { "--threads", threads, "--hold-ms", hold, "--order", order,
				       "--duration", dur, "--interval-ms", "100", NULL };
		wl = guestrun_workload(spec, "deadlock", "deadlock", args);
		cJSON_AddBoolToObject(wl, "expect_stall", expect);
	}
	r = guestrun_run(g, spec, duration + 120, &doc, err);
	cJSON_Delete(spec);
	cJSON_AddItemToObject(record, "guest", guestrun_guest_json(g, doc));
	if (r < 0) {
		cJSON_Delete(doc);
		return r;
	}
	wl = guestrun_doc_workload(doc, "deadlock");
	stall = cJSON_GetObjectItemCaseSensitive(wl, "stall");
	dl = cJSON_AddObjectToObject(record, "deadlock");
	cJSON_AddBoolToObject(dl, "expected", expect);
	cJSON_AddBoolToObject(dl, "detected", cJSON_IsObject(stall));
	cJSON_AddNumberToObject(dl, "bound_s", bound);
	if (cJSON_IsObject(stall)) {
		double after = guestrun_num(stall, (const char *const[]){ "detected_after_s", NULL });
		double lat = guestrun_num(stall, (const char *const[]){ "no_progress_s", NULL });
		cJSON *wf = cJSON_GetObjectItemCaseSensitive(stall, "wait_for");
		cJSON *cycle = cJSON_GetObjectItemCaseSensitive(wf, "cycle");

		cJSON_AddItemToObject(dl, "detected_after_s", guestrun_num_or_null(after));
		cJSON_AddItemToObject(dl, "detection_s", guestrun_num_or_null(lat));
		cJSON_AddBoolToObject(dl, "within_bound", isfinite(lat) && lat <= bound);
		if (expect) {
			struct tolerance tol;

			tolerance_make(&detection_tol, x->pv->accel.accel, duration, 1.0 / SAMPLE_HZ, &tol);
			cJSON_AddNumberToObject(dl, "expected_detection_s", stall_timeout + 1.0 / SAMPLE_HZ);
			cJSON_AddItemToObject(cJSON_AddObjectToObject(record, "tolerance"), "detection_s",
					      tolerance_json(&tol, &detection_tol,
							     "one sampling period: half the window [stall_timeout_s, bound_s]"));
		}
		cJSON_AddNumberToObject(dl, "cycle_length", cJSON_IsArray(cycle) ? cJSON_GetArraySize(cycle) - 1 : 0);
		if (wf)
			cJSON_AddItemToObject(dl, "wait_for", cJSON_Duplicate(wf, 1));
	}
	/* Clean-up: how the workload ended, and whether any of it is left. */
	cl = cJSON_AddObjectToObject(record, "cleanup");
	cJSON_AddBoolToObject(cl, "terminated", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(wl, "terminated")));
	cJSON_AddBoolToObject(cl, "killed", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(wl, "killed")));
	cJSON_AddStringToObject(cl, "signal", doc_jstr(wl, "signal", "none"));
	left = guest_count_comm(g, "deadlock");
	cJSON_AddNumberToObject(cl, "left_running", left);
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "samples");
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok"))) {
		cleanup_free char *why = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
		r = error_setx(err, EIO, "the runner in '%s' reported failure: %.300s", g->dom_name, why ? why : "?");
	} else if (left != 0) {
		r = error_setx(err, EIO, "%d deadlock process(es) left running in '%s'", left, g->dom_name);
	} else if (expect && doc_jnum(dl, "cycle_length") < 2) {
		r = error_setx(err, EIO, "the stall in '%s' came without a wait-for cycle", g->dom_name);
	}
	cJSON_AddItemToObject(record, "runner", doc);
	return r;
}

static double deadlock_estimate_s(const struct experiment_def *def)
{
	return def->duration_s / 2 + 8;
}

/* Thread and lock names come from the guest: only [A-Za-z0-9_-] reach gnuplot. */
static void safe_label(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 1 < len; s++)
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		    *s == '-')
			out[o++] = *s;
	out[o] = '\0';
}

static int node_index(cJSON *nodes, const char *id)
{
	int i = 0;
	cJSON *n;

	cJSON_ArrayForEach(n, nodes) {
		if (cJSON_IsString(n) && strcmp(n->valuestring, id) == 0)
			return i;
		i++;
	}
	return -1;
}

/* The wait-for graph of a run: threads on a circle, an arrow from each
 * waiting thread to the holder of the lock it waits for, labelled with the
 * lock; edges of the cycle in red. */
static int plot_waitfor(struct report_doc *d, cJSON *wf, char *eps, size_t epslen)
{
	cJSON *nodes = cJSON_GetObjectItemCaseSensitive(wf, "nodes");
	cJSON *edges = cJSON_GetObjectItemCaseSensitive(wf, "edges");
	cJSON *cycle = cJSON_GetObjectItemCaseSensitive(wf, "cycle"), *e;
	int n = cJSON_GetArraySize(nodes);
	char gp[4096], lab[64], lab2[64];
	FILE *f;

	if (n < 1 || n > 64)
		return -1;
	snprintf(gp, sizeof(gp), "%s/waitfor%d.gp", d->tmp, d->group);
	snprintf(eps, epslen, "%s/waitfor%d.eps", d->tmp, d->group);
	f = fopen(gp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "set terminal postscript eps enhanced color size 4in,3.2in font 'Helvetica,11'\n"
		   "set output '%s'\nset title 'Wait-for graph when the stall was detected'\n"
		   "unset border\nunset tics\nunset key\nset size ratio -1\nset xrange [-1.6:1.6]\nset yrange [-1.4:1.4]\n",
		   eps);
	for (int i = 0; i < n; i++) {
		double a = M_PI / 2 - 2 * M_PI * i / n;
		safe_label(cJSON_GetArrayItem(nodes, i)->valuestring ? cJSON_GetArrayItem(nodes, i)->valuestring : "?",
			   lab, sizeof(lab));
		fprintf(f, "set object %d circle at %.3f,%.3f size 0.17 fc rgb '#dde6ff' fs solid border lc rgb 'black' front\n",
			i + 1, cos(a), sin(a));
		fprintf(f, "set label %d '%s' at %.3f,%.3f center front\n", i + 1, lab, cos(a), sin(a));
	}
	int k = 0;
	cJSON_ArrayForEach(e, edges) {
		int from = node_index(nodes, doc_jstr(e, "from", "")), to = node_index(nodes, doc_jstr(e, "to", ""));
		bool in_cycle = false;
		cJSON *c;
		if (from < 0 || to < 0 || k >= 200)
			continue;
		cJSON_ArrayForEach(c, cycle)
			in_cycle |= cJSON_IsString(c) && strcmp(c->valuestring, doc_jstr(e, "from", "")) == 0;
		double a1 = M_PI / 2 - 2 * M_PI * from / n, a2 = M_PI / 2 - 2 * M_PI * to / n;
		double x1 = cos(a1), y1 = sin(a1), x2 = cos(a2), y2 = sin(a2);
		double dx = x2 - x1, dy = y2 - y1, len = sqrt(dx * dx + dy * dy);
		if (len < 1e-6)
			continue;
		/* From circle edge to circle edge, bowed a little so that two
		 * opposite arrows (two threads) do not lie on each other. */
		double ox = -dy / len * 0.12, oy = dx / len * 0.12;
		fprintf(f, "set arrow %d from %.3f,%.3f to %.3f,%.3f head filled lw 2 lc rgb '%s' front\n", k + 1,
			x1 + dx / len * 0.2 + ox, y1 + dy / len * 0.2 + oy, x2 - dx / len * 0.2 + ox, y2 - dy / len * 0.2 + oy,
			in_cycle ? "#cc0000" : "#444444");
		safe_label(doc_jstr(e, "lock", "?"), lab2, sizeof(lab2));
		fprintf(f, "set label %d 'waits for %s' at %.3f,%.3f center font 'Helvetica,9'\n", 100 + k + 1, lab2,
			(x1 + x2) / 2 + ox * 2.2, (y1 + y2) / 2 + oy * 2.2);
		k++;
	}
	fputs("plot NaN\n", f);
	fclose(f);
	return doc_gnuplot(gp);
}

static void deadlock_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	cJSON *first = doc_group_first_run(grp, runs, nruns);
	cJSON *dl = cJSON_GetObjectItemCaseSensitive(first, "deadlock");
	cJSON *wf = cJSON_GetObjectItemCaseSensitive(dl, "wait_for");
	FILE *f = d->f;
	char eps[4200];

	if (!guestrun_report_guest(f, first))
		return;
	fputs("). ", f);
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dl, "expected"))) {
		fputs("The threads took their locks in one global order (lower index first): no circular wait can "
		      "form, and none was seen.\n", f);
		return;
	}
	fputs("Each thread holds its lock and asks for the next one's: a circular wait. The runner judges a "
	      "workload stalled when its progress has not changed for the stall timeout, and is bound to see it "
	      "within the timeout plus two sampling periods.\n", f);
	fputs(".TS\nbox;\nc c c c c\nn n n n n.\n"
	      "detection after last progress (s)\t\\(+- sd\tbound (s)\tsince start (s)\tprocesses left\n", f);
	fprintf(f, "%.2f\t%.2f\t%.2f\t%.2f\t%.0f\n", doc_jstat(grp, "detection_s", "mean"),
		doc_jstat(grp, "detection_s", "sd"), doc_jnum(dl, "bound_s"), doc_jstat(grp, "detected_after_s", "mean"),
		doc_jstat(grp, "left_running", "mean"));
	fputs(".TE\n.PP\nThe cycle found: ", f);
	doc_text(f, doc_jstr(wf, "text", "none"));
	fputs(".\n", f);
	if (wf && plot_waitfor(d, wf, eps, sizeof(eps)) == 0) {
		fprintf(f, ".PSPIC %s 4i 3.2i\n", eps);
		d->plots++;
	}
}

static const char *const orders[] = { "circular", "global", NULL };

static const struct exp_setting deadlock_settings[] = {
	{ .key = "threads", .help = "threads, and locks: thread i holds lock i and then asks for lock i+1 mod N",
	  .syntax = "2..64", .def = "2", .check = check_threads },
	{ .key = "hold_ms", .help = "how long a thread holds its first lock before asking for the second",
	  .syntax = "1..10000 ms", .def = "100", .check = check_hold },
	{ .key = "order", .help = "circular: a circular wait; global: lower index first, never a deadlock",
	  .allowed = orders, .def = "circular" },
	{ .key = "stall_timeout_s", .help = "no progress for this long is a stall (detection bound minus 0.2 s)",
	  .syntax = "seconds in [0.2, 600]", .def = "1", .check = check_bound },
	GUESTRUN_GUEST_SETTING,
};

static const struct exp_metric deadlock_metrics[] = {
	{ .name = "detection_s", .scope = METRIC_PER_RUN, .path = { "deadlock", "detection_s" }, .unit = "s",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE, .expected = "expected_detection_s",
	  .tolerance_metric = "tolerance_detection_s",
	  .tolerance_doc = "per run: 0.02 s (KVM) or 0.05 s (TCG: the runner's samples come late) + 3 sd of A/A runs "
			   "(0.005 s) + one sampling period (0.1 s, half the window theory gives)",
	  .help = "from the last progress of the workload to the runner's detection of the stall" },
	{ .name = "expected_detection_s", .scope = METRIC_PER_RUN, .path = { "deadlock", "expected_detection_s" },
	  .unit = "s", .better = 0, .use = METRIC_SUMMARY,
	  .help = "the middle of the window theory gives: stall timeout plus one sampling period" },
	{ .name = "tolerance_detection_s", .scope = METRIC_PER_RUN, .path = { "tolerance", "detection_s", "value" },
	  .unit = "s", .better = 0, .use = METRIC_SUMMARY, .help = "the run's tolerance for detection_s" },
	{ .name = "bound_s", .scope = METRIC_PER_RUN, .path = { "deadlock", "bound_s" }, .unit = "s", .better = 0,
	  .use = METRIC_SUMMARY, .help = "the detection bound: stall timeout plus two sampling periods" },
	{ .name = "detected_after_s", .scope = METRIC_PER_RUN, .path = { "deadlock", "detected_after_s" },
	  .unit = "s", .better = -1, .use = METRIC_SUMMARY, .help = "from the workload's start to the detection" },
	{ .name = "cycle_length", .scope = METRIC_PER_RUN, .path = { "deadlock", "cycle_length" }, .unit = "threads",
	  .better = 0, .use = METRIC_SUMMARY, .help = "threads in the wait-for cycle" },
	{ .name = "left_running", .scope = METRIC_PER_RUN, .path = { "cleanup", "left_running" }, .unit = "processes",
	  .better = -1, .use = METRIC_SUMMARY, .help = "deadlock processes still in the guest after the run (0)" },
};

const struct experiment exp_deadlock_info = {
	.name = "deadlock",
	.summary = "a circular wait in a guest, detected within a bound, drawn as a wait-for graph, cleaned up",
	.theory = "with circular lock order every thread waits for the next (a cycle of N threads); the runner "
		  "detects the stall within stall_timeout_s plus two sampling periods; global order never deadlocks",
	.guests = EXP_GUESTS_BORROWED,
	.settings = deadlock_settings,
	.nsettings = sizeof(deadlock_settings) / sizeof(deadlock_settings[0]),
	.metrics = deadlock_metrics,
	.nmetrics = sizeof(deadlock_metrics) / sizeof(deadlock_metrics[0]),
	.estimate_s = deadlock_estimate_s,
	.run = deadlock_run,
	.report_group = deadlock_report_group,
};
