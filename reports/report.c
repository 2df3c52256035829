#include "report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc.h"
#include "history_page.h"
#include "hfile.h"
#include "experiments.h"
#include "records.h"

/* What the report reads: every part of it is untrusted data. */
struct report_in {
	const char *dir;
	cJSON *env, *summary, *groups;
	struct run_records rr;
	size_t nok, nfail, nwarm;
};

/* A number for a table: three significant places where that is readable;
 * a dash when there is none (never "nan"). */
static void fmt_num(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "\\(em");
	else if (fabs(v) < 10)
		snprintf(buf, len, "%.3f", v);
	else if (fabs(v) < 1000)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

/* A whole number for text, or "?". */
static void fmt_count(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "?");
}

/* The run's name: the last component of dir, trailing slashes ignored. */
static void run_dir_name(const char *dir, char *buf, size_t len)
{
	size_t n = strlen(dir), b;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	b = n;
	while (b > 0 && dir[b - 1] != '/')
		b--;
	snprintf(buf, len, "%.*s", (int)(n - b), dir + b);
}

static bool rec_ok(cJSON *rec)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "ok"));
}

/* Distinct values of each settings key over an experiment's groups, as
 * {"key": ["v1", "v2"], ...}, in the order they first appear. */
static cJSON *distinct_settings(cJSON *groups, const char *exp)
{
	cJSON *seen = cJSON_CreateObject(), *grp, *kv, *vals;

	cJSON_ArrayForEach(grp, groups) {
		if (strcmp(doc_jstr(grp, "experiment", ""), exp) != 0)
			continue;
		cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(grp, "settings")) {
			bool dup = false;
			cJSON *v;

			if (!cJSON_IsString(kv) || kv->string == NULL)
				continue;
			vals = cJSON_GetObjectItemCaseSensitive(seen, kv->string);
			if (vals == NULL)
				vals = cJSON_AddArrayToObject(seen, kv->string);
			cJSON_ArrayForEach(v, vals)
				dup |= strcmp(v->valuestring, kv->valuestring) == 0;
			if (!dup)
				cJSON_AddItemToArray(vals, cJSON_CreateString(kv->valuestring));
		}
	}
	return seen;
}

/* "shares 1024:1024, 2048:1024; pinning same". */
static void settings_values(cJSON *groups, const char *exp, char *buf, size_t len)
{
	cJSON *seen = distinct_settings(groups, exp), *vals;
	size_t off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(vals, seen) {
		cJSON *v;
		bool first = true;

		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s ", off ? "; " : "", vals->string);
		cJSON_ArrayForEach(v, vals) {
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", first ? "" : ", ",
						v->valuestring);
			first = false;
		}
	}
	if (off == 0)
		snprintf(buf, len, "defaults only");
	cJSON_Delete(seen);
}

/* The experiments of the run, each once, in the order of summary.json. */
static size_t run_experiment_names(cJSON *groups, const char **names, size_t max)
{
	size_t n = 0;
	cJSON *grp;

	cJSON_ArrayForEach(grp, groups) {
		const char *e = doc_jstr(grp, "experiment", "?");
		bool dup = false;

		for (size_t i = 0; i < n; i++)
			dup |= strcmp(names[i], e) == 0;
		if (!dup && n < max)
			names[n++] = e;
	}
	return n;
}

/* The "suite:" line of the suite file as run, into buf ("" when none). */
static void suite_name(const char *dir, char *buf, size_t len)
{
	char *text = doc_read_file(dir, "suite.yaml", 1 << 20), *p;

	buf[0] = '\0';
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "suite:", 6) == 0) {
			p += 6;
			p += strspn(p, " \t\"'");
			snprintf(buf, len, "%.*s", (int)strcspn(p, "\"'\r\n #"), p);
			break;
		}
	}
	free(text);
}

/* repeats: auto: the bounds and why the rounds stopped (summary.json), so
 * that a reader knows whether the run reached its precision. */
static void write_repeats(FILE *f, const struct report_in *in)
{
	cJSON *rep = cJSON_GetObjectItemCaseSensitive(in->summary, "repeats");
	char line[256];

	if (strcmp(doc_jstr(rep, "mode", ""), "auto") != 0)
		return;
	snprintf(line, sizeof(line),
		 "Repeats: auto, at least %.0f and at most %.0f rounds, until every compared metric's relative 95%% CI "
		 "half-width is at most %.3g%% (stopped: ", doc_jnum(rep, "min"), doc_jnum(rep, "max"),
		 100 * doc_jnum(rep, "target_ci"));
	doc_text(f, line);
	doc_text(f, doc_jstr(rep, "stopped", "not recorded"));
	fputs(").\n", f);
}

static void write_baseline(FILE *f, const char *dir);

/* Page 1's box: the suite, its runs, the host and accelerator in one line
 * each, the checks against theory, the baseline, the failed runs. */
static void write_summary_box(FILE *f, const struct report_in *in, const char *suite, size_t npass, size_t nbad)
{
	cJSON *acc = cJSON_GetObjectItemCaseSensitive(in->env, "accelerator");
	const char *accname = doc_jstr(acc, "name", "unknown");
	char line[1024], cpus[32], mem[32];
	size_t listed = 0;

	fputs(".TS\nbox;\nlb | lw(5.2i).\n", f);
	fputs("suite\tT{\n", f);
	doc_text(f, *suite ? suite : "?");
	fprintf(f, ": %zu recorded run(s), %zu succeeded, \\fB%zu failed\\fP", in->rr.n, in->nok, in->nfail);
	if (in->nwarm)
		fprintf(f, " (%zu warm-up)", in->nwarm);
	fputs("\nT}\n_\nhost\tT{\n", f);
	fmt_count(cpus, sizeof(cpus), doc_jnum(in->env, "host_cpus"));
	fmt_count(mem, sizeof(mem), doc_jnum(in->env, "host_mem_mib"));
	snprintf(line, sizeof(line), "%s, %s CPUs, %s MiB; kernel %s; QEMU %s, libvirt %s; CPU weights: %s",
		 doc_jstr(in->env, "host_cpu", "?"), cpus, mem, doc_jstr(in->env, "host_kernel", "?"),
		 doc_jstr(in->env, "qemu_version", "?"), doc_jstr(in->env, "libvirt_version", "?"),
		 doc_jstr(in->env, "cpu_weight_mechanism", "?"));
	doc_text(f, line);
	fputs(". The whole environment is in the appendix.\nT}\n_\naccelerator\tT{\n", f);
	/* The warning a reader must not miss, before any number. */
	if (strcmp(accname, "kvm") == 0) {
		fputs("\\fBAccelerator: KVM (hardware virtualization).\\fP\n", f);
	} else {
		fprintf(f, "\\fBAccelerator: %s\\fP\n",
			strcmp(accname, "tcg") == 0 ? "TCG (software emulation)." : "unknown.");
		fputs("\\fBThese numbers measure QEMU's emulation (TCG), not hardware virtualization:\\fP\n"
		      "compare them only with other TCG runs, never with KVM numbers.\n", f);
	}
	fputs(".br\n", f);
	doc_text(f, doc_jstr(acc, "reason", ""));
	fputs("\nT}\n_\nchecks\tT{\n", f);
	if (npass + nbad == 0)
		fputs("none: no metric measured here has a theoretical value", f);
	else
		fprintf(f, "%zu of %zu check(s) against theory pass, \\fB%zu fail\\fP (the verdict table below)", npass,
			npass + nbad, nbad);
	fputs("\nT}\n_\nbaseline\tT{\n", f);
	write_baseline(f, in->dir);
	fputs("T}\n", f);
	if (in->nfail) {
		fputs("_\nfailed runs\tT{\n", f);
		for (size_t i = 0; i < in->rr.n && listed < 6; i++) {
			if (rec_ok(in->rr.recs[i]))
				continue;
			if (listed++)
				fputs(", ", f);
			doc_text(f, doc_jstr(in->rr.recs[i], "run_id", "?"));
		}
		if (in->nfail > listed)
			fprintf(f, " and %zu more", in->nfail - listed);
		fputs(" (reasons under the verdict)\nT}\n", f);
	}
	{
		cJSON *d = cJSON_GetObjectItemCaseSensitive(in->summary, "disturbed");
		cJSON *druns = cJSON_GetObjectItemCaseSensitive(d, "runs");
		int nd = cJSON_IsArray(druns) ? cJSON_GetArraySize(druns) : 0;

		if (cJSON_IsObject(d)) {
			fputs("_\ndisturbed\tT{\n", f);
			if (nd) {
				int again = 0;
				cJSON *it;

				cJSON_ArrayForEach(it, druns)
					again += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "rerun"));
				if (again)
					fprintf(f, "\\fB%d attempt(s)\\fP disturbed by other processes on the host and run "
						   "again; the attempts are left out of the statistics", again);
				if (nd > again)
					fprintf(f, "%s\\fB%d run(s)\\fP disturbed and left out of the statistics",
						again ? "; " : "", nd - again);
				fputs(" (who, under the verdict)", f);
			}
			else
				fputs("none: no other process on the host took enough CPU or memory to disturb a run", f);
			fputs("\nT}\n", f);
		}
	}
	fputs(".TE\n", f);
}

static void write_title(FILE *f, const struct report_in *in, size_t npass, size_t nbad)
{
	double first = NAN, last = NAN;
	char when[128] = "?", name[256];
	char suite[128];

	for (size_t i = 0; i < in->rr.n; i++) {
		double s = doc_jnum(in->rr.recs[i], "started"), e = doc_jnum(in->rr.recs[i], "finished");

		if (isfinite(s) && !(s >= first))
			first = s;
		if (isfinite(e) && !(e <= last))
			last = e;
	}
	if (isfinite(first) && first > 0 && first < 1e11) {
		time_t t = (time_t)first;
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	}
	/* Ragged right: long values in narrow table cells read badly justified. */
	fputs(".pl 29.7c\n.nr PS 10\n.nr VS 12\n.nr PO 1i\n.nr LL 6.5i\n.ll 6.5i\n.nr HY 0\n.hy 0\n.ds CH\n.ds CF Page %\n.ad l\n.TL\nHypervisor benchmark report\n.LP\n.ce 1\n", f);
	run_dir_name(in->dir, name, sizeof(name));
	doc_text(f, name);
	fputs("\n.sp 0.5\n", f);
	suite_name(in->dir, suite, sizeof(suite));
	write_summary_box(f, in, suite, npass, nbad);
	fputs(".NH 1\nWhat was run\n.PP\n", f);
	fprintf(f, "%zu recorded run(s), %zu succeeded, %zu failed", in->rr.n, in->nok, in->nfail);
	if (in->nwarm)
		fprintf(f, " (%zu warm-up runs, not in the statistics)", in->nwarm);
	if (strcmp(when, "?") != 0) {
		fputs(", started ", f);
		doc_text(f, when);
	}
	if (isfinite(first) && isfinite(last) && last >= first)
		fprintf(f, " and lasting %.0f min", (last - first) / 60);
	fputs(". Suite ", f);
	doc_text(f, *suite ? suite : "?");
	fputs(" (its exact file and the commands to repeat it are in the appendix). A dash (\\(em) in a table or "
	      "text stands for a value that was not measured or does not apply (a mechanism that did not act, a "
	      "confidence interval of one run).\n", f);
	write_repeats(f, in);
}

/* Each experiment of the run: what it measures, the settings varied, how
 * many groups (after the verdicts: page 1 is the summary). */
static void write_experiment_table(FILE *f, const struct report_in *in)
{
	const char *names[64];
	size_t ne = run_experiment_names(in->groups, names, 64);
	/* .TS H: a long table breaks across pages with its header repeated,
	 * instead of moving whole to the next page. */
	fputs(".ne 1.5i\n.NH 1\nExperiments in this run\n.LP\n"
	      ".TS H\nbox;\nlb | lb | lb | lb\nl | lw(2.2i) | lw(1.8i) | n.\n"
	      "experiment\twhat it measures\tsettings varied\tgroups\n_\n.TH\n", f);
	for (size_t e = 0; e < ne; e++) {
		const struct experiment *ops = experiment_find(names[e]);
		char vals[1024];
		size_t ngroups = 0;
		cJSON *grp;

		cJSON_ArrayForEach(grp, in->groups)
			ngroups += strcmp(doc_jstr(grp, "experiment", ""), names[e]) == 0;
		settings_values(in->groups, names[e], vals, sizeof(vals));
		doc_text(f, names[e]);
		fputs("\tT{\n", f);
		doc_text(f, ops && ops->summary ? ops->summary : "not an experiment this harness knows");
		fputs("\nT}\tT{\n", f);
		doc_text(f, vals);
		fprintf(f, "\nT}\t%zu\n", ngroups);
	}
	fputs(".TE\n", f);
}


/* A group's settings, and its host when its runs are one host's
 * (parallel: hosts): groups of different hosts are told apart. */
static void group_title(cJSON *grp, char *buf, size_t len)
{
	const char *host = doc_jstr(grp, "host", NULL);
	size_t n;

	doc_settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), buf, len);
	n = strlen(buf);
	if (host && n < len)
		snprintf(buf + n, len - n, " on host %s", host);
}

/* A metric's tolerance in a group: the mean of its runs' own tolerances
 * (tolerance_metric) when they have them, else the descriptor's. */
static double metric_tolerance(const struct exp_metric *mt, cJSON *g)
{
	double t = mt->tolerance_metric ? doc_jstat(g, mt->tolerance_metric, "mean") : NAN;

	return isfinite(t) && t > 0 ? t : mt->tolerance;
}

/* One row of the verdict table per guest and metric that theory predicts:
 * measured mean and 95% CI beside expected, pass when within tolerance. */
/* The first cell of a row: *lead (the experiment's name, bold) before the
 * settings in the first row of an experiment, so that the name is never
 * a row of its own at a page's foot; *lead is cleared once written. */
static void verdict_first_cell(FILE *f, const char **lead, const char *settings)
{
	fputs("T{\n", f);
	if (*lead) {
		fputs("\\fB", f);
		doc_text(f, *lead);
		fputs(":\\fP ", f);
		*lead = NULL;
	}
	doc_text(f, settings);
	fputs("\nT}\t", f);
}

static bool verdict_rows(FILE *f, cJSON *grp, const struct experiment *ops, const char **lead, size_t *npass,
			 size_t *nfail_checks)
{
	char st[512], ex[32], me[32], lo[32], hi[32], tol[32];
	bool any = false;
	cJSON *g;

	group_title(grp, st, sizeof(st));
	for (size_t m = 0; ops && m < ops->nmetrics; m++) {
		const struct exp_metric *mt = &ops->metrics[m];
		/* Per guest: each entry of "guests"; per run: the group itself. */
		bool per_run = mt->scope == METRIC_PER_RUN;
		cJSON *holders = per_run ? NULL : cJSON_GetObjectItemCaseSensitive(grp, "guests");

		if (mt->expected == NULL || (!per_run && holders == NULL))
			continue;
		for (g = per_run ? grp : holders->child; g; g = per_run ? NULL : g->next) {
			double mean = doc_jstat(g, mt->name, "mean"), e = doc_jstat(g, mt->expected, "mean");
			double tolv = metric_tolerance(mt, g);
			bool pass = fabs(mean - e) <= tolv;

			if (!isfinite(mean) && !isfinite(e))
				continue;
			fmt_num(ex, sizeof(ex), e);
			fmt_num(me, sizeof(me), mean);
			fmt_num(lo, sizeof(lo), doc_jstat(g, mt->name, "ci95_low"));
			fmt_num(hi, sizeof(hi), doc_jstat(g, mt->name, "ci95_high"));
			snprintf(tol, sizeof(tol), "\\(+-%.3g", tolv);
			verdict_first_cell(f, lead, st);
			fputs("T{\n", f);
			doc_text(f, per_run ? "all" : doc_jstr(g, "name", "?"));
			fprintf(f, "\nT}\t%s\t%s\t", mt->name, ex);
			/* Without a mean, "not measured"; without a CI, the mean alone. */
			if (!isfinite(mean))
				fputs("not measured", f);
			else if (!isfinite(doc_jstat(g, mt->name, "ci95_low")) ||
				 !isfinite(doc_jstat(g, mt->name, "ci95_high")))
				fputs(me, f);
			else
				fprintf(f, "%s (%s\\(en%s)", me, lo, hi);
			fprintf(f, "\t%s\t", tolv > 0 ? tol : "\\(em");
			if (!(tolv > 0) || !isfinite(mean) || !isfinite(e)) {
				fputs("\\(em\n", f);
			} else if (pass) {
				fputs("pass\n", f);
				(*npass)++;
			} else {
				fputs("\\fBFAIL\\fP\n", f);
				(*nfail_checks)++;
			}
			any = true;
		}
	}
	if (!any) {
		verdict_first_cell(f, lead, st);
		fprintf(f, "all\t\\(em\t\\(em\tT{\n%s\nT}\t\\(em\t\\(em\n",
			ops ? "measured only (no theoretical value)" : "unknown experiment");
	}
	return any;
}

/* compare.json beside the results, read as doc_read_file reads (a FIFO or
 * a huge file there is ignored, not waited for). */
static cJSON *read_compare_json(const char *dir)
{
	char *text = doc_read_file(dir, "compare.json", 16 << 20);
	cJSON *j = text ? cJSON_Parse(text) : NULL;

	free(text);
	return j;
}

/* The runs other processes on the host disturbed (summary.json's
 * disturbed): how many, left out of the table, and why. */
static void write_disturbed(FILE *f, const struct report_in *in)
{
	cJSON *d = cJSON_GetObjectItemCaseSensitive(in->summary, "disturbed"), *it;
	cJSON *runs = cJSON_GetObjectItemCaseSensitive(d, "runs");
	int n = cJSON_IsArray(runs) ? cJSON_GetArraySize(runs) : 0, shown = 0;

	if (n == 0) {
		if (cJSON_IsObject(d))
			fputs(" No run was disturbed by other processes on the host.", f);
		return;
	}
	fprintf(f, " \\fB%d run(s) or attempt(s) were disturbed\\fP by other processes on the host and are "
		   "left out of the statistics and this table (an attempt was run again where the suite asked, "
		   "rerun_disturbed):", n);
	cJSON_ArrayForEach(it, runs) {
		if (shown++ == 5) {
			fprintf(f, " and %d more.", n - 5);
			break;
		}
		fputs(shown > 1 ? "; " : " ", f);
		doc_text(f, doc_jstr(it, "run_id", "?"));
		fputs(": ", f);
		doc_text(f, doc_jstr(it, "reason", "no reason recorded"));
	}
	if (shown <= 5)
		fputc('.', f);
}

/* The verdict table's rows (tbl input) and the counts of checks that
 * pass and fail, computed once: page 1's summary needs the counts before
 * the table. An experiment none of whose groups has a theoretical value
 * gets no rows: its name goes into *measured_only (", "-separated) instead
 * of a row per group saying so. NULL rows when out of memory. */
static char *verdict_table_rows(const struct report_in *in, size_t *npass, size_t *nbad, char **measured_only)
{
	const char *names[64];
	size_t ne = run_experiment_names(in->groups, names, 64), n, nonly = 0, nrows = 0;
	char *buf = NULL, *only = NULL;
	FILE *rows = open_memstream(&buf, &n), *onlyf = open_memstream(&only, &n);

	*npass = *nbad = 0;
	*measured_only = NULL;
	if (rows == NULL || onlyf == NULL) {
		if (rows)
			fclose(rows);
		if (onlyf)
			fclose(onlyf);
		free(buf);
		free(only);
		return NULL;
	}
	/* Per experiment: its name across the table, then its rows. */
	for (size_t e = 0; e < ne; e++) {
		char *part = NULL;
		size_t plen;
		FILE *pf = open_memstream(&part, &plen);
		bool checked = false;
		const char *lead = names[e];
		cJSON *grp;

		if (pf == NULL)
			continue;
		cJSON_ArrayForEach(grp, in->groups)
			if (strcmp(doc_jstr(grp, "experiment", "?"), names[e]) == 0)
				checked |= verdict_rows(pf, grp, experiment_find(names[e]), &lead, npass, nbad);
		fclose(pf);
		if (checked) {
			if (nrows++)
				fputs("_\n", rows);
			fputs(part ? part : "", rows);
		} else {
			fputs(nonly++ ? ", " : "", onlyf);
			doc_text(onlyf, names[e]);
		}
		free(part);
	}
	fclose(rows);
	fclose(onlyf);
	if (nonly)
		*measured_only = only;
	else
		free(only);
	return buf;
}

/* Whether the run was compared with a baseline, and the verdict if so. */
static void write_baseline(FILE *f, const char *dir)
{
	cJSON *cmp = read_compare_json(dir);
	char *ctxt = doc_read_file(dir, "compare.txt", 1 << 20);

	if (cmp) {
		cJSON *reg = cJSON_GetObjectItemCaseSensitive(cmp, "regressions");
		const char *v = doc_jstr(cmp, "verdict", NULL);

		if (v) {
			doc_text(f, v);
			fputs(". ", f);
		}
		if (cJSON_IsNumber(reg))
			fprintf(f, "%.0f regression(s) against the baseline. ", reg->valuedouble);
		else if (cJSON_IsArray(reg))
			fprintf(f, "%d regression(s) against the baseline. ", cJSON_GetArraySize(reg));
		fputs("The comparison's section gives the details.\n", f);
	} else if (ctxt) {
		fputs("this run was compared with a baseline; see the comparison's section.\n", f);
	} else {
		fputs("not compared with a baseline (harness compare BASE THIS, or ci/nightly, which keeps "
		      "compare.txt or compare.json in the results directory).\n", f);
	}
	cJSON_Delete(cmp);
	free(ctxt);
}

static void write_verdicts(FILE *f, const struct report_in *in, const char *buf, const char *measured_only,
			   size_t npass, size_t nbad)
{
	fputs(".ne 1.5i\n.NH 1\nVerdict\n.PP\n", f);
	if (in->nfail == 0 && nbad == 0 && npass == 0)
		fprintf(f, "\\fBAll %zu run(s) succeeded.\\fP No metric measured here has a theoretical value to "
			   "check; compare runs with each other instead.", in->nok);
	else if (in->nfail == 0 && nbad == 0)
		fprintf(f, "\\fBAll %zu run(s) succeeded; %zu of %zu check(s) against theory pass.\\fP", in->nok, npass,
			npass + nbad);
	else
		fprintf(f, "\\fB%zu run(s) failed; %zu check(s) against theory fail, %zu pass.\\fP", in->nfail, nbad,
			npass);
	if (npass + nbad)
		fputs(" A check passes when the measured mean is within the tolerance of theory's value: the "
		      "experiment's fixed one, or the mean of its runs' own (an allowance for the accelerator, the "
		      "noise of its A/A runs and the sampling period; each record's tolerance says which); the 95% "
		      "confidence interval says how much the mean itself could move between runs.", f);
	write_disturbed(f, in);
	fputc('\n', f);
	/* Narrow gaps (1n): seven columns on 6.5 in. */
	if (buf && *buf) {
		fputs(".ps 9\n.vs 11\n.TS H\nbox;\nlb1 | lb1 | lb1 | lb1 | lb1 | lb1 | lb\n"
		      "lw(1.9i)1 | lw(0.45i)1 | l1 | n1 | lw(1.1i)1 | l1 | l.\n"
		      "experiment, settings\tguest\tmetric\texpected\tmeasured (95% CI)\ttol.\tverdict\n_\n.TH\n",
		      f);
		fputs(buf, f);
		fputs(".TE\n.ps\n.vs\n", f);
	}
	if (measured_only) {
		/* Already escaped (doc_text) when it was collected. */
		fputs(".PP\nMeasured only, with no theoretical value to check (their sections give the numbers): ", f);
		fputs(measured_only, f);
		fputs(".\n", f);
	}

	/* Regressions: only a comparison with a baseline can say. */
	fputs(".PP\nRegressions: ", f);
	write_baseline(f, in->dir);

	if (in->nfail) {
		fputs(".PP\nFailed runs:\n", f);
		for (size_t i = 0; i < in->rr.n; i++) {
			if (rec_ok(in->rr.recs[i]))
				continue;
			fputs(".IP \\(bu 2\n", f);
			doc_text(f, doc_jstr(in->rr.recs[i], "run_id", "?"));
			fputs(": ", f);
			doc_text(f, doc_jstr(in->rr.recs[i], "error", "failed"));
			fputc('\n', f);
		}
	}
}

/* The group of exp whose settings have a at key ka and b at key kb. */
static cJSON *group_at(cJSON *groups, const char *exp, const char *ka, const char *a, const char *kb, const char *b)
{
	cJSON *grp;

	cJSON_ArrayForEach(grp, groups) {
		cJSON *st = cJSON_GetObjectItemCaseSensitive(grp, "settings");

		if (strcmp(doc_jstr(grp, "experiment", ""), exp) == 0 && strcmp(doc_jstr(st, ka, ""), a) == 0 &&
		    strcmp(doc_jstr(st, kb, ""), b) == 0)
			return grp;
	}
	return NULL;
}

/* When two settings vary, an interaction plot of the experiment's first
 * compared metric: one line per value of the second setting (and guest),
 * the first setting along x. Parallel lines: no interaction. */
static void write_interaction(struct report_doc *doc, const struct report_in *in, const struct experiment *ops)
{
	cJSON *seen = distinct_settings(in->groups, ops->name), *ax = NULL, *bx = NULL, *vals, *a, *b, *grp;
	const struct exp_metric *mt = NULL;
	char dat[4096], gp[4096], eps[4096];
	int nsets = 0, i;
	FILE *f;

	cJSON_ArrayForEach(vals, seen) {
		if (cJSON_GetArraySize(vals) < 2)
			continue;
		if (ax == NULL)
			ax = vals;
		else if (bx == NULL)
			bx = vals;
	}
	for (size_t m = 0; m < ops->nmetrics && mt == NULL; m++)
		if ((ops->metrics[m].use & METRIC_COMPARE) && ops->metrics[m].better != 0)
			mt = &ops->metrics[m];
	if (ax == NULL || bx == NULL || mt == NULL)
		goto out;
	snprintf(dat, sizeof(dat), "%s/interaction%d.dat", doc->tmp, doc->plots);
	snprintf(gp, sizeof(gp), "%s/interaction%d.gp", doc->tmp, doc->plots);
	snprintf(eps, sizeof(eps), "%s/interaction%d.eps", doc->tmp, doc->plots);
	f = fopen(gp, "w");
	if (f == NULL)
		goto out;
	FILE *d = fopen(dat, "w");
	if (d == NULL) {
		fclose(f);
		goto out;
	}
	doc_gp_terminal(f, eps, 6, 2.8);
	fputs("set title ", f);
	{
		cleanup_free char *t = xasprintf("Interaction of %s and %s: %s", ax->string, bx->string, mt->name);
		doc_gp_string(f, t);
	}
	fputs(" noenhanced\nset xlabel ", f);
	doc_gp_string(f, ax->string);
	fputs(" noenhanced\nset ylabel ", f);
	{
		cleanup_free char *t = xasprintf("%s%s%s%s", mt->name, *mt->unit ? " (" : "", mt->unit, *mt->unit ? ")" : "");
		doc_gp_string(f, t);
	}
	fprintf(f, " noenhanced\nset key below horizontal\nset grid\nset yrange [0:*]\nset offsets 0.3, 0.3, 0, 0\n"
		   "set xtics (");
	i = 0;
	cJSON_ArrayForEach(a, ax) {
		fprintf(f, "%s", i ? ", " : "");
		doc_gp_string(f, a->valuestring);
		fprintf(f, " %d", i++);
	}
	fputs(") noenhanced\nplot ", f);
	/* One data set per value of the second setting and guest (two blank
	 * lines between sets: gnuplot's "index"). */
	cJSON_ArrayForEach(b, bx) {
		cJSON *names = cJSON_CreateArray(), *nm;

		cJSON_ArrayForEach(grp, in->groups) {
			cJSON *g;

			if (strcmp(doc_jstr(grp, "experiment", ""), ops->name) != 0)
				continue;
			cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests")) {
				bool dup = false;
				cJSON *x;

				cJSON_ArrayForEach(x, names)
					dup |= strcmp(x->valuestring, doc_jstr(g, "name", "?")) == 0;
				if (!dup && mt->scope == METRIC_PER_GUEST)
					cJSON_AddItemToArray(names, cJSON_CreateString(doc_jstr(g, "name", "?")));
			}
		}
		if (mt->scope == METRIC_PER_RUN)
			cJSON_AddItemToArray(names, cJSON_CreateString(""));
		cJSON_ArrayForEach(nm, names) {
			i = 0;
			cJSON_ArrayForEach(a, ax) {
				cJSON *gg = group_at(in->groups, ops->name, ax->string, a->valuestring, bx->string,
						     b->valuestring), *h = gg;
				cJSON *g;

				if (mt->scope == METRIC_PER_GUEST) {
					h = NULL;
					cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(gg, "guests"))
						if (strcmp(doc_jstr(g, "name", ""), nm->valuestring) == 0)
							h = g;
				}
				fprintf(d, "%d %g %g %g\n", i++, doc_jstat(h, mt->name, "mean"),
					doc_jstat(h, mt->name, "ci95_low"), doc_jstat(h, mt->name, "ci95_high"));
			}
			fputs("\n\n", d);
			cleanup_free char *t = xasprintf("%s=%s%s%s", bx->string, b->valuestring, *nm->valuestring ? " " : "",
							 nm->valuestring);
			fprintf(f, "%s'%s' index %d using 1:2:3:4 with yerrorlines lw 2 title ", nsets ? ", " : "", dat,
				nsets);
			doc_gp_string(f, t);
			fputs(" noenhanced", f);
			nsets++;
		}
		cJSON_Delete(names);
	}
	fputc('\n', f);
	fclose(f);
	fclose(d);
	if (nsets == 0 || doc_gnuplot(gp) < 0)
		goto out;
	{
		cleanup_free char *t = xasprintf("Interaction of %s and %s", ax->string, bx->string);
		doc_heading(doc, 2, t, 3.6);
	}
	doc_para(doc, "Each line follows one value of the second setting across the values of the first. "
		      "Parallel lines mean the two settings act independently; lines that converge, diverge or "
		      "cross mean the best value of one depends on the other (an interaction). Error bars are "
		      "95% confidence intervals.");
	doc_figure(doc, eps, 6, 2.8, NULL);
out:
	cJSON_Delete(seen);
}

/* One section per experiment: what it shows, then its groups, then the
 * plots over all of them. */
static void write_sections(struct report_doc *doc, const struct report_in *in, cJSON *const *runs)
{
	FILE *f = doc->f;
	const char *names[64];
	size_t ne = run_experiment_names(in->groups, names, 64);

	for (size_t e = 0; e < ne; e++) {
		const struct experiment *ops = experiment_find(names[e]);
		cJSON *grp;

		doc_heading(doc, 1, names[e], 1.5);
		if (ops && ops->explain)
			doc_para(doc, ops->explain);
		else if (ops && ops->summary)
			doc_para(doc, ops->summary);
		else
			doc_para(doc, "Not an experiment this harness knows: its groups are listed without plots.");
		if (ops && ops->theory) {
			fputs(".PP\n\\fITheory:\\fP ", f);
			doc_text(f, ops->theory);
			fputs(".\n", f);
		}
		cJSON_ArrayForEach(grp, in->groups) {
			char st[512];

			if (strcmp(doc_jstr(grp, "experiment", "?"), names[e]) != 0)
				continue;
			group_title(grp, st, sizeof(st));
			doc_heading(doc, 2, st, 1.2);
			fprintf(f, ".PP\n%.0f recorded run(s).", doc_jnum(grp, "runs"));
			if (ops && ops->report_group)
				ops->report_group(doc, grp, runs, in->rr.n);
			else
				fputs("\n", f);
			doc->group++;
		}
		if (ops && ops->report_end)
			ops->report_end(doc, in->groups);
		if (ops)
			write_interaction(doc, in, ops);
	}
}

static void write_comparison(struct report_doc *doc, const struct report_in *in)
{
	char *txt = doc_read_file(in->dir, "compare.txt", 1 << 20);
	cJSON *cmp = NULL;

	if (txt == NULL) {
		cmp = read_compare_json(in->dir);
		if (cmp)
			txt = cJSON_Print(cmp);
	}
	if (txt) {
		doc_heading(doc, 1, "Comparison with a baseline", 1.5);
		doc_para(doc, "The output of harness compare for this run against its baseline, as it was written to "
			      "the results directory.");
		doc_verbatim(doc->f, txt, 400);
	}
	free(txt);
	cJSON_Delete(cmp);
}

static void env_row(FILE *f, const char *key, cJSON *v)
{
	fprintf(f, "%s\tT{\n", key);
	if (cJSON_IsString(v))
		doc_text(f, v->valuestring);
	else if (cJSON_IsNumber(v))
		fprintf(f, "%.0f", v->valuedouble);
	else
		doc_text(f, "?");
	fputs("\nT}\n", f);
}

/* Domain XML digests where the records carry them (a guest's string field
 * named like "domain_xml_digest"); 0 when none. */
static size_t xml_digest_rows(FILE *f, const struct report_in *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->rr.n; i++) {
		cJSON *g, *kv;

		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(in->rr.recs[i], "guests")) {
			cJSON_ArrayForEach(kv, g) {
				if (!cJSON_IsString(kv) || kv->string == NULL || strstr(kv->string, "xml") == NULL ||
				    (strstr(kv->string, "digest") == NULL && strstr(kv->string, "sha") == NULL))
					continue;
				if (n++ == 0)
					fputs(".ps 9\n.vs 11\n.TS H\nbox;\nlb | lb | lb\nlw(2.9i) | l | lw(2i).\n"
					      "run\tguest\tdomain XML digest\n_\n.TH\n", f);
				fputs("T{\n", f);
				doc_text(f, doc_jstr(in->rr.recs[i], "run_id", "?"));
				fputs("\nT}\t", f);
				doc_text(f, doc_jstr(g, "name", "?"));
				fputs("\tT{\n", f);
				doc_text(f, kv->valuestring);
				fputs("\nT}\n", f);
			}
		}
	}
	if (n)
		fputs(".TE\n.ps\n.vs\n", f);
	return n;
}

static void write_appendix(struct report_doc *doc, const struct report_in *in)
{
	FILE *f = doc->f;
	char *suite = doc_read_file(in->dir, "suite.yaml", 1 << 20);
	cJSON *img;

	/* No page of its own: the heading's .ne keeps it with what follows. */
	doc_heading(doc, 1, "Appendix: settings, digests and how to reproduce", 2);
	doc_heading(doc, 2, "Commands to reproduce", 1.2);
	doc_para(doc, "The suite file as run is kept in the results directory. Run it again on a host with the "
		      "same accelerator (HARNESS_ACCEL=kvm or tcg forces one), then make this report for the new "
		      "run and compare the two:");
	{
		/* The absolute path: the commands work from any directory. */
		cleanup_free char *abs = realpath(in->dir, NULL);
		const char *dir = abs ? abs : in->dir;
		cleanup_free char *cmds = xasprintf("harness run suite %s/suite.yaml\n"
						    "harness report results/<new-run-id> -o report.pdf\n"
						    "harness compare %s results/<new-run-id>",
						    dir, dir);
		doc_verbatim(f, cmds, 10);
	}
	if (suite) {
		doc_heading(doc, 2, "The suite as run (suite.yaml)", 1.5);
		doc_verbatim(f, suite, 300);
	}

	doc_heading(doc, 2, "Every recorded run and its settings", 1.2);
	fputs(".LP\n.ps 9\n.vs 11\n.TS H\nbox;\nlb | lb | lb\nlw(3.1i) | lw(2.2i) | l.\nrun\tsettings\tresult\n_\n.TH\n", f);
	for (size_t i = 0; i < in->rr.n; i++) {
		char st[512];
		cJSON *rec = in->rr.recs[i];

		doc_settings_text(cJSON_GetObjectItemCaseSensitive(rec, "settings"), st, sizeof(st));
		fputs("T{\n", f);
		doc_text(f, doc_jstr(rec, "run_id", "?"));
		fputs("\nT}\tT{\n", f);
		doc_text(f, st);
		fprintf(f, "\nT}\t%s%s\n", rec_ok(rec) ? "ok" : "failed",
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "warmup")) ? " (warm-up)" : "");
	}
	fputs(".TE\n.ps\n.vs\n", f);

	doc_heading(doc, 2, "Environment", 2);
	fputs(".LP\n.ps 9\n.vs 11\n.TS\nbox;\nlb lw(4.2i).\n", f);
	static const char *const keys[] = { "host_cpu", "host_cpus", "host_mem_mib", "host_kernel", "libvirt_version",
					    "qemu_version", "libguestfs_version", "libvirt_uri", "cpu_weight_mechanism",
					    NULL };
	env_row(f, "accelerator", cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(in->env,
											      "accelerator"),
								     "name"));
	for (size_t k = 0; keys[k]; k++)
		env_row(f, keys[k], cJSON_GetObjectItemCaseSensitive(in->env, keys[k]));
	fputs(".TE\n.ps\n.vs\n", f);
	const char *ar = doc_jstr(cJSON_GetObjectItemCaseSensitive(in->env, "accelerator"), "reason", "");
	if (*ar) {
		fputs(".PP\nAccelerator: ", f);
		doc_text(f, ar);
		fputs(".\n", f);
	}
	const char *wr = doc_jstr(in->env, "cpu_weight_reason", "");
	if (*wr) {
		fputs(".PP\nCPU weights: ", f);
		doc_text(f, wr);
		fputs(".\n", f);
	}

	doc_heading(doc, 2, "Digests", 1.5);
	fputs(".PP\n", f);
	if (xml_digest_rows(f, in) == 0)
		fputs("The records carry no domain XML digests; the guests are identified by their images' and "
		      "the guest payload's digests:\n", f);
	else
		fputs(".PP\nThe images and the guest payload:\n", f);
	fputs(".ps 9\n.vs 11\n.TS\nbox;\nlb | lb | lb | lb\nl | l | lw(2.4i) | l.\n"
	      "guest\timage\tDebian suite, kernel\tdigest\n_\n", f);
	cJSON_ArrayForEach(img, cJSON_GetObjectItemCaseSensitive(in->env, "images")) {
		char line[512];

		doc_text(f, doc_jstr(img, "guest", "?"));
		fputc('\t', f);
		doc_text(f, doc_jstr(img, "image", "?"));
		fputs("\tT{\n", f);
		snprintf(line, sizeof(line), "%s, %s", doc_jstr(img, "suite", "?"), doc_jstr(img, "kernel", "?"));
		doc_text(f, line);
		fputs("\nT}\t", f);
		doc_text(f, doc_jstr(img, "digest", "?"));
		fputc('\n', f);
	}
	fputs("guest payload\t\\(em\tT{\nthe project's binaries put into every image\nT}\t", f);
	doc_text(f, doc_jstr(in->env, "guest_payload_digest", "?"));
	fputs("\n.TE\n.ps\n.vs\n", f);
	free(suite);
}

/* The PDF made in the scratch directory, put in place at out_pdf as a new
 * file renamed over it: a symbolic link planted at out_pdf (report.pdf ->
 * FILE in a results directory) is replaced, never written through. */
static int install_pdf(const char *made, const char *out_pdf, struct herror *err)
{
	cleanup_free char *pdf = NULL;
	size_t len;

	if (read_file(made, 1u << 30, &pdf, &len, err) < 0)
		return -err->status;
	return write_file_atomic(out_pdf, pdf, len, 0644, err);
}

static int interrupted(struct herror *err)
{
	return error_setx(err, EINTR, "interrupted; nothing was written");
}

int report_build(const char *dir, const char *out_pdf, bool *bad_input, struct herror *err)
{
	char tmp[4096], ms[4200], ps[4200], pdf[4200];
	const char *tmpdir = getenv("TMPDIR");
	struct report_in in = { .dir = dir };
	struct report_doc doc = { 0 };
	struct herror read_err = { 0 };	/* replaced by what it means here */
	FILE *f;
	char *vrows, *vonly;
	size_t npass, nbad;
	int r = -1;

	*bad_input = true;
	in.env = results_read_json(dir, "env.json", &read_err);
	if (in.env == NULL)
		return error_setx(err, read_err.status, "cannot read '%s/env.json' (%s): not a results directory of a "
				  "finished run", dir, read_err.msg);
	error_clear(&read_err);
	in.summary = results_read_json(dir, "summary.json", &read_err);
	if (in.summary == NULL) {
		cJSON_Delete(in.env);
		return error_setx(err, read_err.status, "cannot read '%s/summary.json' (%s)", dir, read_err.msg);
	}
	in.groups = cJSON_GetObjectItemCaseSensitive(in.summary, "groups");
	if (!cJSON_IsArray(in.groups))
		in.groups = NULL;
	if ((r = records_load(dir, RECORDS_ALL, &in.rr, err)) < 0)
		goto out_json;
	records_filter(&in.rr, experiment_known);
	*bad_input = false;
	for (size_t i = 0; i < in.rr.n; i++) {
		if (rec_ok(in.rr.recs[i]))
			in.nok++;
		else
			in.nfail++;
		in.nwarm += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in.rr.recs[i], "warmup"));
	}
	if (stop_requested) {
		r = interrupted(err);
		goto out_json;
	}
	snprintf(tmp, sizeof(tmp), "%s/harness-report.XXXXXX",
		 tmpdir && *tmpdir == '/' && strlen(tmpdir) < 1024 ? tmpdir : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		r = error_set(err, errno, "cannot create a temporary directory");
		goto out_json;
	}
	snprintf(ms, sizeof(ms), "%s/report.ms", tmp);
	snprintf(ps, sizeof(ps), "%s/report.ps", tmp);
	snprintf(pdf, sizeof(pdf), "%s/report.pdf", tmp);
	f = fopen(ms, "w");
	if (f == NULL) {
		r = error_set(err, errno, "cannot write '%s'", ms);
		goto out_tmp;
	}
	doc.f = f;
	doc.tmp = tmp;

	/* Page 1: what ran, where, and whether it agrees with theory. */
	vrows = verdict_table_rows(&in, &npass, &nbad, &vonly);
	write_title(f, &in, npass, nbad);
	write_verdicts(f, &in, vrows, vonly, npass, nbad);
	free(vrows);
	free(vonly);
	/* Then the experiments' table, one section per experiment, the
	 * comparison, the appendix, each where the last ended (headings keep
	 * their body with them: doc_heading's .ne). */
	write_experiment_table(f, &in);
	write_sections(&doc, &in, in.rr.recs);
	write_comparison(&doc, &in);
	report_history_page(&doc, dir);
	write_appendix(&doc, &in);
	if (fclose(f) != 0 || doc_no_nan(ms) < 0) {
		r = error_set(err, errno ? errno : EIO, "cannot write '%s'", ms);
		goto out_tmp;
	}
	if (stop_requested) {
		r = interrupted(err);
		goto out_tmp;
	}
	{
		/* Safer mode (no -U): no .sy, .pi, .pso, .open in any case. */
		/* A4 whatever /etc/papersize says, and the page length to match
		 * (.pl in write_title): ms alone assumes 11 in and leaves 0.7 in
		 * of every A4 page empty. */
		char *argv[] = { "groff", "-ms", "-t", "-Tps", "-P-pa4", "-S", ms, NULL };
		if (doc_run(argv, ps) < 0) {
			r = stop_requested ? interrupted(err) :
			    error_setx(err, EIO, "groff could not lay out the report (%s)", ms);
			goto out_tmp;
		}
	}
	{
		char *argv[] = { "ps2pdf", ps, pdf, NULL };
		if (doc_run(argv, NULL) < 0) {
			r = stop_requested ? interrupted(err) : error_setx(err, EIO, "ps2pdf could not write '%s'", pdf);
			goto out_tmp;
		}
	}
	if (stop_requested) {
		r = interrupted(err);
		goto out_tmp;
	}
	r = install_pdf(pdf, out_pdf, err);
out_tmp:
	/* Interrupted or not, nothing stays in /tmp (but on request, to debug). */
	if (r == 0 || stop_requested || getenv("HARNESS_KEEP_REPORT_TMP") == NULL)
		remove_tree(tmp, NULL);
out_json:
	records_free(&in.rr);
	cJSON_Delete(in.env);
	cJSON_Delete(in.summary);
	return r;
}
