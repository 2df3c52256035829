#include "report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "experiments.h"
#include "records.h"

static int fail(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int report_build(const char *dir, const char *out_pdf, char *errbuf, size_t errlen)
{
	char tmp[] = "/tmp/harness-report.XXXXXX", ms[4200], ps[4200];
	cJSON *env, *summary, *groups, *grp, **runs;
	struct run_records rr = { 0 };
	struct report_doc doc = { 0 };
	struct herror err = { 0 };
	size_t nruns, nok = 0, nfail = 0;
	FILE *f;
	int r = -1;

	env = results_read_json(dir, "env.json", &err);
	if (env == NULL)
		return fail(errbuf, errlen, "cannot read '%s/env.json': not a results directory of a finished run", dir);
	summary = results_read_json(dir, "summary.json", &err);
	if (summary == NULL) {
		cJSON_Delete(env);
		return fail(errbuf, errlen, "cannot read '%s/summary.json'", dir);
	}
	groups = cJSON_GetObjectItemCaseSensitive(summary, "groups");
	if (records_load(dir, RECORDS_ALL, &rr, &err) < 0) {
		r = fail(errbuf, errlen, "%s", err.msg);
		goto out_json;
	}
	runs = rr.recs;
	nruns = rr.n;
	for (size_t i = 0; i < nruns; i++) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "ok")))
			nok++;
		else
			nfail++;
	}
	if (mkdtemp(tmp) == NULL) {
		r = fail(errbuf, errlen, "cannot create a temporary directory: %s", strerror(errno));
		goto out_json;
	}
	snprintf(ms, sizeof(ms), "%s/report.ms", tmp);
	snprintf(ps, sizeof(ps), "%s/report.ps", tmp);
	f = fopen(ms, "w");
	if (f == NULL) {
		r = fail(errbuf, errlen, "cannot write '%s'", ms);
		goto out_tmp;
	}

	cJSON *acc = cJSON_GetObjectItemCaseSensitive(env, "accelerator");
	const char *accname = doc_jstr(acc, "name", "unknown");
	fprintf(f, ".nr PS 10\n.nr VS 12\n.ds CH\n.ds CF Page %%\n.TL\nHypervisor benchmark report\n.AB no\n");
	const char *rid = strrchr(dir, '/');
	fputs("Results: ", f);
	doc_text(f, rid && rid[1] ? rid + 1 : dir);
	/* Ragged right: long values in narrow table cells read badly justified. */
	fputs("\n.AE\n.ad l\n", f);
	fprintf(f, ".NH\nEnvironment\n.PP\n");
	fprintf(f, ".B \"Accelerator: %s\"\n.br\n", strcmp(accname, "kvm") == 0 ? "KVM" : "TCG (software emulation)");
	doc_text(f, doc_jstr(acc, "reason", ""));
	fputs(".\n", f);
	if (strcmp(accname, "tcg") == 0)
		fputs(".PP\n.B \"These numbers measure QEMU's emulation (TCG), not hardware virtualization.\"\n", f);
	fputs(".TS\nbox;\nlb lw(3.9i).\n", f);
	static const char *const keys[] = { "host_cpu", "host_cpus", "host_mem_mib", "host_kernel", "libvirt_version",
					    "qemu_version", "libguestfs_version", "libvirt_uri", "guest_payload_digest",
					    "cpu_weight_mechanism", NULL };
	for (size_t k = 0; keys[k]; k++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(env, keys[k]);
		fprintf(f, "%s\tT{\n", keys[k]);
		if (cJSON_IsString(v))
			doc_text(f, v->valuestring);
		else if (cJSON_IsNumber(v))
			fprintf(f, "%.0f", v->valuedouble);
		fputs("\nT}\n", f);
	}
	cJSON *img;
	cJSON_ArrayForEach(img, cJSON_GetObjectItemCaseSensitive(env, "images")) {
		fputs("image ", f);
		doc_text(f, doc_jstr(img, "guest", "?"));
		fputs("\tT{\n", f);
		char line[512];
		snprintf(line, sizeof(line), "%s: Debian %s, kernel %s, digest %s", doc_jstr(img, "image", "?"),
			 doc_jstr(img, "suite", "?"), doc_jstr(img, "kernel", "?"), doc_jstr(img, "digest", "?"));
		doc_text(f, line);
		fputs("\nT}\n", f);
	}
	fputs(".TE\n", f);
	const char *wr = doc_jstr(env, "cpu_weight_reason", "");
	if (*wr) {
		fputs(".PP\nCPU weights: ", f);
		doc_text(f, wr);
		fputs(".\n", f);
	}
	fprintf(f, ".NH\nVerdict\n.PP\n%zu run(s) recorded: %zu succeeded, %zu failed.\n", nruns, nok, nfail);
	for (size_t i = 0; i < nruns; i++) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "ok")))
			continue;
		fputs(".IP \\(bu 2\n", f);
		doc_text(f, doc_jstr(runs[i], "run_id", "?"));
		fputs(": ", f);
		doc_text(f, doc_jstr(runs[i], "error", "failed"));
		fputc('\n', f);
	}

	/* Per experiment and settings: what the experiment's report section says. */
	doc.f = f;
	doc.tmp = tmp;
	cJSON_ArrayForEach(grp, groups) {
		char st[512];
		const char *exp = doc_jstr(grp, "experiment", "?");
		const struct experiment *ops = experiment_find(exp);

		doc_settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		fputs(".NH\n", f);
		doc_text(f, exp);
		fputs(": ", f);
		doc_text(f, st);
		fprintf(f, "\n.PP\n%.0f recorded run(s).", doc_jnum(grp, "runs"));
		if (ops && ops->report_group)
			ops->report_group(&doc, grp, runs, nruns);
		else
			fputs("\n", f);
		doc.group++;
	}
	/* Then once per experiment that ran: its sections over all settings. */
	for (size_t e = 0; e < experiments_count; e++) {
		bool ran = false;

		cJSON_ArrayForEach(grp, groups)
			ran |= strcmp(doc_jstr(grp, "experiment", ""), experiments[e]->name) == 0;
		if (ran && experiments[e]->report_end)
			experiments[e]->report_end(&doc, groups);
	}
	fclose(f);
	{
		/* Safer mode (no -U): no .sy, .pi, .pso, .open in any case. */
		char *argv[] = { "groff", "-ms", "-t", "-Tps", "-S", ms, NULL };
		if (doc_run(argv, ps) < 0) {
			r = fail(errbuf, errlen, "groff could not lay out the report (%s)", ms);
			goto out_tmp;
		}
	}
	{
		char *argv[] = { "ps2pdf", ps, (char *)out_pdf, NULL };
		if (doc_run(argv, NULL) < 0) {
			r = fail(errbuf, errlen, "ps2pdf could not write '%s'", out_pdf);
			goto out_tmp;
		}
	}
	r = 0;
out_tmp:
	if (r == 0 || getenv("HARNESS_KEEP_REPORT_TMP") == NULL) {
		char *argv[] = { "rm", "-rf", tmp, NULL };
		doc_run(argv, NULL);
	}
out_json:
	records_free(&rr);
	cJSON_Delete(env);
	cJSON_Delete(summary);
	return r;
}
