#include "report.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static cJSON *load_json(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;
	cJSON *j;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	j = cJSON_Parse(buf);
	free(buf);
	return j;
}

/* Run argv with stdout to out_path (or inherited); 0 when it exits 0. */
static int run_cmd(char *const argv[], const char *out_path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out_path) {
			int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				_exit(127);
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Text for groff: no leading '.' or '\'', backslashes escaped. */
static void roff_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static const char *jstr(cJSON *o, const char *key, const char *def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

static double jnum(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static double jstat(cJSON *o, const char *key, const char *field)
{
	return jnum(cJSON_GetObjectItemCaseSensitive(o, key), field);
}

static void settings_text(cJSON *settings, char *buf, size_t len)
{
	cJSON *it;
	size_t off = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, settings) {
		if (cJSON_IsString(it))
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s=%s", off ? ", " : "",
						it->string, it->valuestring);
	}
	if (off == 0)
		snprintf(buf, len, "defaults");
}

/* Runs of the results directory, sorted by name. */
static int load_runs(const char *dir, cJSON ***out, size_t *n)
{
	char path[4096];
	struct dirent **names;
	int k;

	snprintf(path, sizeof(path), "%s/runs", dir);
	k = scandir(path, &names, NULL, alphasort);
	if (k < 0)
		return -1;
	*out = calloc((size_t)k + 1, sizeof(cJSON *));
	*n = 0;
	for (int i = 0; i < k; i++) {
		size_t l = strlen(names[i]->d_name);
		if (l > 5 && strcmp(names[i]->d_name + l - 5, ".json") == 0) {
			snprintf(path, sizeof(path), "%s/runs/%s", dir, names[i]->d_name);
			cJSON *j = load_json(path);
			if (j)
				(*out)[(*n)++] = j;
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

/* The first recorded, successful run with these settings, for the time series. */
static cJSON *first_run_with(cJSON **runs, size_t n, cJSON *settings)
{
	for (size_t i = 0; i < n; i++)
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "ok")) &&
		    cJSON_Compare(cJSON_GetObjectItemCaseSensitive(runs[i], "settings"), settings, 1) &&
		    cJSON_GetObjectItemCaseSensitive(runs[i], "series"))
			return runs[i];
	return NULL;
}

static int plot_series(const char *tmp, int idx, cJSON *run, const char *title, char *eps, size_t epslen)
{
	cJSON *series = cJSON_GetObjectItemCaseSensitive(run, "series");
	cJSON *t = cJSON_GetObjectItemCaseSensitive(series, "t");
	cJSON *shares = cJSON_GetObjectItemCaseSensitive(series, "host_cpu_share");
	char dat[4096], gp[4096];
	FILE *f;
	int nguests = cJSON_GetArraySize(shares);

	snprintf(dat, sizeof(dat), "%s/series%d.dat", tmp, idx);
	snprintf(gp, sizeof(gp), "%s/series%d.gp", tmp, idx);
	snprintf(eps, epslen, "%s/series%d.eps", tmp, idx);
	f = fopen(dat, "w");
	if (f == NULL)
		return -1;
	for (int i = 0; i < cJSON_GetArraySize(t); i++) {
		cJSON *g;
		fprintf(f, "%g", cJSON_GetArrayItem(t, i)->valuedouble);
		cJSON_ArrayForEach(g, shares) {
			cJSON *v = cJSON_GetArrayItem(g, i);
			fprintf(f, " %g", cJSON_IsNumber(v) ? v->valuedouble : NAN);
		}
		fputc('\n', f);
	}
	fclose(f);
	f = fopen(gp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "set terminal postscript eps enhanced color size 6in,2.6in font 'Helvetica,11'\n"
		   "set output '%s'\nset title \"Host CPU share over time: %s\" noenhanced\n"
		   "set xlabel 'time (s)'\nset ylabel 'share of host CPU time'\nset yrange [0:1]\n"
		   "set key outside right\nset grid\nplot ", eps, title);
	int col = 2;
	cJSON *g;
	cJSON_ArrayForEach(g, shares) {
		fprintf(f, "%s'%s' using 1:%d with linespoints title '%s'", col > 2 ? ", " : "", dat, col, g->string);
		col++;
	}
	fputc('\n', f);
	fclose(f);
	(void)nguests;
	char *argv[] = { "gnuplot", gp, NULL };
	return run_cmd(argv, NULL);
}

static int plot_bars(const char *tmp, cJSON *groups, char *eps, size_t epslen)
{
	char dat[4096], gp[4096];
	FILE *f;
	cJSON *grp;
	int row = 0;

	snprintf(dat, sizeof(dat), "%s/bars.dat", tmp);
	snprintf(gp, sizeof(gp), "%s/bars.gp", tmp);
	snprintf(eps, epslen, "%s/bars.eps", tmp);
	f = fopen(dat, "w");
	if (f == NULL)
		return -1;
	cJSON_ArrayForEach(grp, groups) {
		char st[256];
		cJSON *g;
		if (strcmp(jstr(grp, "experiment", ""), "cpu-contention") != 0)
			continue;
		settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests")) {
			double mean = jstat(g, "measured_share", "mean");
			double lo = jstat(g, "measured_share", "ci95_low");
			double hi = jstat(g, "measured_share", "ci95_high");
			double ex = jstat(g, "expected_share", "mean");
			for (char *c = st; *c; c++)
				if (*c == ' ')
					*c = '_';
			fprintf(f, "%d \"%s\\n%s\" %g %g %g %g\n", row++, jstr(g, "name", "?"), st, mean, lo, hi, ex);
		}
	}
	fclose(f);
	if (row == 0)
		return 1;
	f = fopen(gp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "set terminal postscript eps enhanced color size 6in,3in font 'Helvetica,9'\n"
		   "set output '%s'\nset title 'Measured host CPU share (mean, 95%% CI) against expected'\n"
		   "set ylabel 'share of host CPU time'\nset yrange [0:1.05]\nset style fill solid 0.5\n"
		   "set boxwidth 0.6\nset grid y\nset key outside right top\nset xtics rotate by -30 noenhanced\n"
		   "plot '%s' using 1:3:xtic(2) with boxes title 'measured', "
		   "'' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0 title '95%% CI', "
		   "'' using 1:6 with points pt 7 ps 1.5 lc rgb 'red' title 'expected'\n", eps, dat);
	fclose(f);
	char *argv[] = { "gnuplot", gp, NULL };
	return run_cmd(argv, NULL);
}

int report_build(const char *dir, const char *out_pdf, char *errbuf, size_t errlen)
{
	char path[4096], tmp[] = "/tmp/harness-report.XXXXXX", ms[4200], ps[4200], eps[4200];
	cJSON *env, *summary, *groups, *grp, **runs = NULL;
	size_t nruns = 0, nok = 0, nfail = 0;
	FILE *f;
	int r = -1, plots = 0;

	snprintf(path, sizeof(path), "%s/env.json", dir);
	env = load_json(path);
	if (env == NULL)
		return fail(errbuf, errlen, "cannot read '%s': not a results directory of a finished run", path);
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	summary = load_json(path);
	if (summary == NULL) {
		cJSON_Delete(env);
		return fail(errbuf, errlen, "cannot read '%s'", path);
	}
	groups = cJSON_GetObjectItemCaseSensitive(summary, "groups");
	if (load_runs(dir, &runs, &nruns) < 0) {
		r = fail(errbuf, errlen, "cannot list '%s/runs'", dir);
		goto out_json;
	}
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
	const char *accname = jstr(acc, "name", "unknown");
	fprintf(f, ".nr PS 10\n.nr VS 12\n.ds CH\n.ds CF Page %%\n.TL\nHypervisor benchmark report\n.AB no\n");
	const char *rid = strrchr(dir, '/');
	fputs("Results: ", f);
	roff_text(f, rid && rid[1] ? rid + 1 : dir);
	/* Ragged right: long values in narrow table cells read badly justified. */
	fputs("\n.AE\n.ad l\n", f);
	fprintf(f, ".NH\nEnvironment\n.PP\n");
	fprintf(f, ".B \"Accelerator: %s\"\n.br\n", strcmp(accname, "kvm") == 0 ? "KVM" : "TCG (software emulation)");
	roff_text(f, jstr(acc, "reason", ""));
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
			roff_text(f, v->valuestring);
		else if (cJSON_IsNumber(v))
			fprintf(f, "%.0f", v->valuedouble);
		fputs("\nT}\n", f);
	}
	cJSON *img;
	cJSON_ArrayForEach(img, cJSON_GetObjectItemCaseSensitive(env, "images")) {
		fprintf(f, "image %s\tT{\n", jstr(img, "guest", "?"));
		char line[512];
		snprintf(line, sizeof(line), "%s: Debian %s, kernel %s, digest %s", jstr(img, "image", "?"),
			 jstr(img, "suite", "?"), jstr(img, "kernel", "?"), jstr(img, "digest", "?"));
		roff_text(f, line);
		fputs("\nT}\n", f);
	}
	fputs(".TE\n", f);
	const char *wr = jstr(env, "cpu_weight_reason", "");
	if (*wr) {
		fputs(".PP\nCPU weights: ", f);
		roff_text(f, wr);
		fputs(".\n", f);
	}
	fprintf(f, ".NH\nVerdict\n.PP\n%zu run(s) recorded: %zu succeeded, %zu failed.\n", nruns, nok, nfail);
	for (size_t i = 0; i < nruns; i++) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "ok")))
			continue;
		fputs(".IP \\(bu 2\n", f);
		roff_text(f, jstr(runs[i], "run_id", "?"));
		fputs(": ", f);
		roff_text(f, jstr(runs[i], "error", "failed"));
		fputc('\n', f);
	}

	/* Per experiment and settings: measured against expected. */
	int gi = 0;
	cJSON_ArrayForEach(grp, groups) {
		char st[512];
		const char *exp = jstr(grp, "experiment", "?");
		cJSON *g;

		settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		fputs(".NH\n", f);
		roff_text(f, exp);
		fputs(": ", f);
		roff_text(f, st);
		fprintf(f, "\n.PP\n%.0f recorded run(s).", jnum(grp, "runs"));
		if (strcmp(exp, "cpu-contention") == 0) {
			double fi = jstat(grp, "fairness_index", "mean");
			fprintf(f, " Fairness index (Jain, of measured/expected shares): %.3f.\n", fi);
			fputs(".TS\nbox;\nc c c c c c c\nl n n n n n n.\n"
			      "guest\tweight\texpected share\tmeasured share\t95% CI\twork units/s\tsteal %\n", f);
			cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests")) {
				fprintf(f, "%s\t%.0f\t%.3f\t%.3f\t%.3f\\(en%.3f\t%.0f\t%.1f\n", jstr(g, "name", "?"),
					jstat(g, "weight", "mean"), jstat(g, "expected_share", "mean"),
					jstat(g, "measured_share", "mean"), jstat(g, "measured_share", "ci95_low"),
					jstat(g, "measured_share", "ci95_high"), jstat(g, "units_per_s", "mean"),
					jstat(g, "steal_pct", "mean"));
			}
			fputs(".TE\n", f);
			cJSON *first = first_run_with(runs, nruns, cJSON_GetObjectItemCaseSensitive(grp, "settings"));
			if (first && plot_series(tmp, gi, first, st, eps, sizeof(eps)) == 0) {
				fprintf(f, ".PSPIC %s 6i 2.6i\n", eps);
				plots++;
			}
		} else if (strcmp(exp, "boot") == 0) {
			fputs("\n.TS\nbox;\nc c c\nl n n.\nguest\tstart to agent-ready (s)\tQEMU RSS at idle (MiB)\n", f);
			cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(grp, "guests"))
				fprintf(f, "%s\t%.1f \\(+- %.1f\t%.0f\n", jstr(g, "name", "?"), jstat(g, "boot_s", "mean"),
					jstat(g, "boot_s", "sd"), jstat(g, "qemu_rss_mib", "mean"));
			fputs(".TE\n", f);
		} else {
			fputs("\n", f);
		}
		gi++;
	}
	if (plot_bars(tmp, groups, eps, sizeof(eps)) == 0) {
		fputs(".NH\nMeasured against expected\n.PP\n", f);
		fprintf(f, ".PSPIC %s 6i 3i\n", eps);
		plots++;
	}
	fclose(f);
	{
		char *argv[] = { "groff", "-ms", "-t", "-Tps", "-U", ms, NULL };
		if (run_cmd(argv, ps) < 0) {
			r = fail(errbuf, errlen, "groff could not lay out the report (%s)", ms);
			goto out_tmp;
		}
	}
	{
		char *argv[] = { "ps2pdf", ps, (char *)out_pdf, NULL };
		if (run_cmd(argv, NULL) < 0) {
			r = fail(errbuf, errlen, "ps2pdf could not write '%s'", out_pdf);
			goto out_tmp;
		}
	}
	r = 0;
out_tmp:
	if (r == 0 || getenv("HARNESS_KEEP_REPORT_TMP") == NULL) {
		char *argv[] = { "rm", "-rf", tmp, NULL };
		run_cmd(argv, NULL);
	}
out_json:
	for (size_t i = 0; i < nruns; i++)
		cJSON_Delete(runs[i]);
	free(runs);
	cJSON_Delete(env);
	cJSON_Delete(summary);
	return r;
}
