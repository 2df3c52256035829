/* memory-limits: memory_hog in a busybox container of one guest under
 * one mechanism: the memwatch kernel module's soft limit (a warning) or hard
 * limit (a kill), or cgroup v2 memory.high (throttling) or memory.max (the
 * OOM killer). The record says which mechanism acted, the memory at the
 * warning and at the kill, the overshoot past the limit and the detection
 * latency. A kill the mechanism should cause is a result, not an error. */
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

extern const struct experiment exp_memory_limits_info;

/* memwatch's lines in the kernel log: "[  12.345678] memwatch: pid P (comm):
 * rss N bytes reached soft|hard limit L...". */
static void parse_kmon_log(const char *log, int pid, double *t_warn, double *rss_warn, double *t_kill,
			   double *rss_kill)
{
	char needle[64];
	const char *line = log;

	snprintf(needle, sizeof(needle), "memwatch: pid %d (", pid);
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *hit = strstr(line, needle);
		if (hit && (nl == NULL || hit < nl)) {
			double t = NAN;
			unsigned long long rss = 0;
			const char *r = strstr(hit, "): rss ");
			if (line[0] == '[')
				t = strtod(line + 1, NULL);
			if (r && sscanf(r, "): rss %llu", &rss) == 1) {
				const char *soft = strstr(r, "soft limit"), *hard = strstr(r, "hard limit");
				if (soft && (nl == NULL || soft < nl) && !isfinite(*t_warn)) {
					*t_warn = t;
					*rss_warn = (double)rss;
				} else if (hard && (nl == NULL || hard < nl) && !isfinite(*t_kill)) {
					*t_kill = t;
					*rss_kill = (double)rss;
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

static int memory_limits_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct guest *g = ctr_guest(x);
	const char *mech = exp_setting_value(x, "mechanism");
	const char *limit_s = exp_setting_value(x, "limit");
	const char *target_s = exp_setting_value(x, "target");
	double duration = ctr_duration(x, 10);
	unsigned long long limit, target;
	bool kmon = strncmp(mech, "kmon", 4) == 0, expect_kill;
	bool loaded_here = false;
	cleanup_free char *out = NULL;
	char args[256];
	cJSON *spec, *c, *wl, *doc = NULL;
	int r, pid;

	if (g == NULL)
		return error_setx(err, EINVAL, "memory-limits needs a guest");
	if (ctr_parse_size(limit_s, &limit) < 0 || ctr_parse_size(target_s, &target) < 0)
		return error_setx(err, EINVAL, "bad limit '%s' or target '%s'", limit_s, target_s);
	if (target <= limit)
		return error_setx(err, EINVAL, "target %s must be above limit %s", target_s, limit_s);
	ctr_record_guest(record, g);
	expect_kill = strcmp(mech, "kmon-hard") == 0 || strcmp(mech, "memory-max") == 0;

	if (kmon) {
		/* The module of the guest's own kernel, injected by make images. */
		r = ctr_sh(g, "if [ -e /dev/memwatch ]; then echo present; else "
			      "insmod /opt/harness/kmod/$(uname -r)/memwatch.ko interval_ms=10 && echo loaded; fi; "
			      "cat /sys/module/memwatch/parameters/interval_ms", 30, &out, err);
		if (r < 0)
			return r;
		if (r != 0)
			return error_setx(err, ENODEV, "cannot load memwatch.ko in '%s' (exit %d): %.200s", g->dom_name, r,
					out);
		loaded_here = strstr(out, "loaded") != NULL;
		const char *nl = strchr(out, '\n');
		cJSON_AddItemToObject(record, "kmon_interval_ms", ctr_num(nl ? atof(nl + 1) : NAN));
	}

	spec = ctr_spec(exp_memory_limits_info.name, duration);
	snprintf(args, sizeof(args), "--target %llu --step 8m --step-ms 100 --duration %g", target, duration);
	c = ctr_workload(spec, "hog", "memory_hog", args, NULL, true);
	wl = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(spec, "workloads"), 0);
	/* Throttled or held: no progress for a while is not a stall. */
	cJSON_AddNumberToObject(wl, "stall_timeout_s", 0);
	if (strcmp(mech, "kmon-soft") == 0) {
		cJSON_AddNumberToObject(c, "kmon_soft", (double)limit);
		cJSON_AddNumberToObject(c, "kmon_hard", (double)target * 4);
	} else if (strcmp(mech, "kmon-hard") == 0) {
		cJSON_AddNumberToObject(c, "kmon_soft", (double)(limit / 2));
		cJSON_AddNumberToObject(c, "kmon_hard", (double)limit);
	} else if (strcmp(mech, "memory-high") == 0) {
		cJSON_AddNumberToObject(c, "memory_high", (double)limit);
	} else {
		cJSON_AddNumberToObject(c, "memory_max", (double)limit);
	}
	progress_phase("memory_hog in a container", 0, duration);
	r = ctr_run_runner(g, spec, duration + 120, &doc, err);
	cJSON_Delete(spec);
	if (r < 0)
		goto out;

	wl = ctr_doc_workload(doc, "hog");
	ctr_record_errors(record, doc);
	cJSON_AddItemToObject(record, "container", wl ? ctr_trim_workload(wl) : cJSON_CreateNull());
	{
		static const char *const p_pid[] = { "container", "init_pid", NULL };
		static const char *const p_peak[] = { "container", "usage", "memory_peak", NULL };
		static const char *const p_hpeak[] = { "output", "totals", "peak_rss_bytes", NULL };
		static const char *const p_rss[] = { "output", "totals", "rss_bytes", NULL };
		static const char *const p_reach[] = { "output", "totals", "reached_target_s", NULL };
		static const char *const p_high[] = { "container", "usage", "memory_events", "high", NULL };
		static const char *const p_oom[] = { "container", "usage", "memory_events", "oom_kill", NULL };
		cJSON *sig = cJSON_GetObjectItemCaseSensitive(wl, "signal");
		bool killed = cJSON_IsString(sig) && strcmp(sig->valuestring, "SIGKILL") == 0;
		double t_warn = NAN, rss_warn = NAN, t_kill = NAN, rss_kill = NAN, peak, overshoot = NAN,
		       latency = NAN;
		const char *acted = "none";

		pid = (int)ctr_jnum(wl, p_pid);
		peak = ctr_jnum(wl, p_peak);
		if (!isfinite(peak))
			peak = ctr_jnum(wl, p_hpeak);
		if (kmon) {
			cJSON *km = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(wl, "container"),
								     "kernel_monitor");
			static const char *const w_t[] = { "warned", "time_s", NULL };
			static const char *const w_rss[] = { "warned", "rss", NULL };
			static const char *const k_t[] = { "killed", "time_s", NULL };
			static const char *const k_rss[] = { "killed", "rss", NULL };

			if (km) {
				/* The module's own events, through the runtime and the runner. */
				t_warn = ctr_jnum(km, w_t);
				rss_warn = ctr_jnum(km, w_rss);
				t_kill = ctr_jnum(km, k_t);
				rss_kill = ctr_jnum(km, k_rss);
				cJSON_AddStringToObject(record, "kmon_source", "memwatch events (/dev/memwatch)");
			} else {
				/* A runtime without them, or no event: the kernel log. */
				cleanup_free char *log = NULL;
				if (ctr_sh(g, "dmesg | grep 'memwatch: pid '", 30, &log, err) < 0) {
					r = -err->status;
					goto out;
				}
				parse_kmon_log(log, pid, &t_warn, &rss_warn, &t_kill, &rss_kill);
				cJSON_AddStringToObject(record, "kmon_source", "kernel log (dmesg)");
			}
			if (isfinite(t_kill)) {
				acted = "memwatch hard limit (SIGKILL)";
				peak = isfinite(peak) && peak > rss_kill ? peak : rss_kill;
				overshoot = rss_kill - (double)limit;
				/* How long the RSS was past the limit before the kill, at the
				 * rate it grew from the warning to the kill. */
				if (isfinite(t_warn) && t_kill > t_warn && rss_kill > rss_warn)
					latency = 1000 * overshoot / ((rss_kill - rss_warn) / (t_kill - t_warn));
			} else if (isfinite(t_warn)) {
				acted = "memwatch soft limit (warning)";
				double reach = ctr_jnum(wl, p_reach), rss = ctr_jnum(wl, p_rss);
				overshoot = rss_warn - (double)limit;
				if (reach > 0 && rss > 0)
					latency = 1000 * overshoot / (rss / reach);
			}
		} else if (strcmp(mech, "memory-max") == 0) {
			if (ctr_jnum(wl, p_oom) > 0 || killed)
				acted = "cgroup memory.max (OOM killer)";
			overshoot = peak - (double)limit;
			if (killed)
				rss_kill = peak;
		} else {
			double high = ctr_jnum(wl, p_high);
			cJSON_AddItemToObject(record, "memory_high_events", ctr_num(high));
			if (high > 0)
				acted = "cgroup memory.high (reclaim and throttling)";
			overshoot = peak - (double)limit;
		}
		cJSON_AddStringToObject(record, "mechanism", mech);
		cJSON_AddNumberToObject(record, "limit_bytes", (double)limit);
		cJSON_AddNumberToObject(record, "target_bytes", (double)target);
		cJSON_AddStringToObject(record, "acted", acted);
		cJSON_AddBoolToObject(record, "killed", killed);
		cJSON_AddBoolToObject(record, "expected_killed", expect_kill);
		cJSON_AddNumberToObject(record, "killed_num", killed ? 1 : 0);
		cJSON_AddItemToObject(record, "peak_bytes", ctr_num(peak));
		cJSON_AddItemToObject(record, "warning_bytes", ctr_num(rss_warn));
		cJSON_AddItemToObject(record, "kill_bytes", ctr_num(rss_kill));
		cJSON_AddItemToObject(record, "overshoot_bytes", ctr_num(overshoot));
		cJSON_AddItemToObject(record, "detection_latency_ms", ctr_num(latency));
		r = 0;
		if (wl == NULL)
			r = error_setx(err, EIO, "the runner in '%s' did not report the container", g->dom_name);
		else if (killed != expect_kill)
			r = error_setx(err, EIO, "memory_hog under %s %s", mech,
				     killed ? "was killed, which it should not have been" : "was not killed");
		else if (!killed && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ok"))) {
			cleanup_free char *e = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
			r = error_setx(err, EIO, "the runner in '%s' reported errors: %.400s", g->dom_name, e ? e : "?");
		}
	}
out:
	cJSON_Delete(doc);
	if (loaded_here) {
		cleanup_free char *ignored = NULL;
		struct herror e2 = { 0 };
		ctr_sh(g, "rmmod memwatch", 30, &ignored, &e2);
	}
	return r;
}

static double memory_limits_estimate_s(const struct experiment_def *def)
{
	return (def->duration_s > 0 ? def->duration_s : 10) + 15;
}

static void memory_limits_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	FILE *f = d->f;
	const double mib = 1024.0 * 1024.0;

	fputs("\n.TS\nbox;\nc c c c c c c\nl n n n n n n.\n"
	      "repeat\tlimit MiB\twarning MiB\tkill MiB\tpeak MiB\tovershoot MiB\tlatency ms\n", f);
	for (size_t i = 0; i < nruns; i++) {
		if (!doc_run_in_group(runs[i], grp))
			continue;
		static const char *const mib_keys[] = { "limit_bytes", "warning_bytes", "kill_bytes", "peak_bytes",
							"overshoot_bytes" };

		doc_cell(f, 0, doc_jnum(runs[i], "repeat"), "\\(em");
		for (size_t k = 0; k < sizeof(mib_keys) / sizeof(mib_keys[0]); k++) {
			fputc('\t', f);
			doc_cell(f, 1, doc_jnum(runs[i], mib_keys[k]) / mib, "\\(em");
		}
		fputc('\t', f);
		doc_cell(f, 0, doc_jnum(runs[i], "detection_latency_ms"), "\\(em");
		fputc('\n', f);
	}
	fputs(".TE\n.PP\n\\(em: not reached (the mechanism gave no warning or did not kill), so nothing to "
	      "measure.\n", f);
	for (size_t i = 0; i < nruns; i++)
		if (doc_run_in_group(runs[i], grp)) {
			fputs(".PP\nWhat acted: ", f);
			doc_text(f, doc_jstr(runs[i], "acted", "?"));
			fprintf(f, "; killed: %s (expected: %s).\n",
				cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "killed")) ? "yes" : "no",
				cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "expected_killed")) ? "yes" : "no");
			break;
		}
}

static const char *const mechanisms[] = { "kmon-soft", "kmon-hard", "memory-high", "memory-max", NULL };

static const struct exp_setting memory_limits_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "mechanism", .help = "the memwatch module's soft or hard limit, or cgroup v2 memory.high or memory.max",
	  .allowed = mechanisms, .def = "kmon-hard" },
	{ .key = "limit", .help = "the limit (kmon-hard: the soft limit is half of it)", .syntax = "SIZE (64M)",
	  .def = "64M", .check = ctr_check_size },
	{ .key = "target", .help = "what memory_hog allocates and touches, above the limit", .syntax = "SIZE",
	  .def = "160M", .check = ctr_check_size },
};

static const struct exp_metric memory_limits_metrics[] = {
	{ .name = "peak_bytes", .scope = METRIC_PER_RUN, .path = { "peak_bytes" }, .unit = "bytes", .better = 0,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "the highest memory seen (memory.peak or memwatch's RSS)" },
	{ .name = "overshoot_bytes", .scope = METRIC_PER_RUN, .path = { "overshoot_bytes" }, .unit = "bytes",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "memory past the limit when the mechanism acted" },
	{ .name = "warning_bytes", .scope = METRIC_PER_RUN, .path = { "warning_bytes" }, .unit = "bytes", .better = 0,
	  .use = METRIC_SUMMARY, .help = "RSS at memwatch's soft-limit warning" },
	{ .name = "kill_bytes", .scope = METRIC_PER_RUN, .path = { "kill_bytes" }, .unit = "bytes", .better = 0,
	  .use = METRIC_SUMMARY, .help = "RSS (memory) at the kill" },
	{ .name = "detection_latency_ms", .scope = METRIC_PER_RUN, .path = { "detection_latency_ms" }, .unit = "ms",
	  .better = -1, .use = METRIC_SUMMARY | METRIC_COMPARE,
	  .help = "time past the limit before memwatch acted, from the growth rate" },
	{ .name = "killed", .scope = METRIC_PER_RUN, .path = { "killed_num" }, .unit = "", .better = 0,
	  .use = METRIC_SUMMARY, .help = "1 when the container was killed" },
};

const struct experiment exp_memory_limits_info = {
	.name = "memory-limits",
	.summary = "memory_hog in a container under memwatch's soft/hard limits or memory.high/memory.max",
	.theory = "memwatch samples RSS every interval_ms: it warns at the soft limit and kills at the hard one, "
		  "past the limit by at most the growth in one interval; memory.max is enforced at allocation "
		  "(no overshoot, the OOM killer); memory.high throttles and reclaims but never kills",
	.guests = EXP_GUESTS_BORROWED,
	.settings = memory_limits_settings,
	.nsettings = sizeof(memory_limits_settings) / sizeof(memory_limits_settings[0]),
	.metrics = memory_limits_metrics,
	.nmetrics = sizeof(memory_limits_metrics) / sizeof(memory_limits_metrics[0]),
	.estimate_s = memory_limits_estimate_s,
	.run = memory_limits_run,
	.report_group = memory_limits_report_group,
};
