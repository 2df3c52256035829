#include "history_page.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

static const char *jstr(cJSON *o, const char *key)
{
	return doc_jstr(o, key, "?");
}

void history_params_text(cJSON *hist, char *buf, size_t len)
{
	cJSON *d = cJSON_GetObjectItemCaseSensitive(hist, "detector");
	double floor = doc_jnum(d, "floor");
	char fl[96];

	if (isfinite(floor))
		snprintf(fl, sizeof(fl), "%g%%", 100 * floor);
	else
		snprintf(fl, sizeof(fl), "each metric's");
	snprintf(buf, len, "%s: window %.0f, min. segment %.0f, max. p %g, min. magnitude %g%%; floor %s",
		 doc_jstr(d, "method", "?"), doc_jnum(d, "window"), doc_jnum(d, "min_size"), doc_jnum(d, "max_pvalue"),
		 100 * doc_jnum(d, "min_magnitude"), fl);
}

/* A lineage's title: experiment, settings, guest, metric, unit. */
static void lineage_title(cJSON *l, char *buf, size_t len)
{
	const char *guest = jstr(l, "guest"), *unit = jstr(l, "unit");

	snprintf(buf, len, "%s %s%s%s %s%s%s%s", jstr(l, "experiment"), jstr(l, "settings"), *guest ? " " : "", guest,
		 jstr(l, "metric"), *unit ? " (" : "", unit, *unit ? ")" : "");
}

/* The kinds history.json may name (any other reads as "change"), their
 * colour, and whether they are boundaries rather than change points. */
static const struct {
	const char *name, *colour;
	bool boundary;
} kinds[] = {
	{ "regression", "#d62728", false }, { "improvement", "#2ca02c", false }, { "changed", "#7f7f7f", false },
	{ "below floor", "#7f7f7f", false }, { "new series", "#1f77b4", true }, { "marked", "#1f77b4", true },
};

static size_t kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return i;
	return 2;
}

/* One panel: the nightly means with their standard errors, each level's
 * mean as a step line, a vertical line at every change. */
static void plot_lineage(FILE *gp, cJSON *l, const char *tmp, size_t k, const char *caption)
{
	char dat[4200], lev[4200], title[1024];
	cJSON *pts = cJSON_GetObjectItemCaseSensitive(l, "points");
	cJSON *chg = cJSON_GetObjectItemCaseSensitive(l, "changes"), *c, *p;
	size_t n = (size_t)cJSON_GetArraySize(pts), a = 0;
	double lo = INFINITY, hi = -INFINITY;
	FILE *f;

	snprintf(dat, sizeof(dat), "%s/history-%zu.dat", tmp, k);
	snprintf(lev, sizeof(lev), "%s/history-%zu-levels.dat", tmp, k);
	if ((f = fopen(dat, "w")) == NULL)
		return;
	size_t i = 0;
	cJSON_ArrayForEach(p, pts) {
		double m = doc_jnum(p, "mean"), sd = doc_jnum(p, "sd"), nn = doc_jnum(p, "n");

		if (isfinite(m)) {
			fprintf(f, "%zu %.10g %.10g\n", i, m, isfinite(sd) && nn >= 1 ? sd / sqrt(nn) : 0);
			lo = fmin(lo, m);
			hi = fmax(hi, m);
		}
		i++;
	}
	fclose(f);
	/* Levels: the mean of each stretch between changes. */
	if ((f = fopen(lev, "w")) == NULL)
		return;
	for (;;) {
		size_t b = n;
		double sum = 0;
		size_t cnt = 0;

		cJSON_ArrayForEach(c, chg) {
			double at = doc_jnum(c, "index");

			if (isfinite(at) && at > (double)a && at < (double)b)
				b = (size_t)at;
		}
		for (size_t j = a; j < b; j++) {
			double m = doc_jnum(cJSON_GetArrayItem(pts, (int)j), "mean");
			if (isfinite(m)) {
				sum += m;
				cnt++;
			}
		}
		if (cnt)
			fprintf(f, "%g %.10g\n%g %.10g\n\n", (double)a - 0.5, sum / (double)cnt, (double)b - 0.5,
				sum / (double)cnt);
		if (b >= n)
			break;
		a = b;
	}
	fclose(f);
	fputs("unset arrow\nunset label\n", gp);
	if (caption) {
		/* The detector's parameters, under the last panel. */
		fputs("set label 99 ", gp);
		doc_gp_string(gp, caption);
		fputs(" at screen 0.01, screen 0.01 left noenhanced font ',8'\n", gp);
	}
	cJSON_ArrayForEach(c, chg) {
		double at = doc_jnum(c, "index"), rel = doc_jnum(c, "rel_change");
		size_t kd = kind_of(jstr(c, "kind"));

		if (!isfinite(at) || at < 0 || at >= (double)n)
			continue;
		fprintf(gp, "set arrow from %g, graph 0 to %g, graph 1 nohead lw 2 dt %d lc rgb '%s'\n", at - 0.5,
			at - 0.5, kinds[kd].boundary ? 2 : 1, kinds[kd].colour);
		fprintf(gp, "set label '%s %+.1f%%' at %g, graph 0.08 left offset 0.5,0 font ',%d' tc rgb '%s'\n",
			kinds[kd].name, isfinite(rel) ? 100 * rel : 0.0, at - 0.5, DOC_FONT_PT - 1, kinds[kd].colour);
	}
	/* A constant series (a share that is always 1) gets a range around it. */
	if (isfinite(lo) && lo == hi)
		fprintf(gp, "set yrange [%.10g:%.10g]\n", lo - fmax(fabs(lo) * 0.01, 1e-9), hi + fmax(fabs(hi) * 0.01, 1e-9));
	else
		fputs("set autoscale y\n", gp);
	lineage_title(l, title, sizeof(title));
	fputs("set title ", gp);
	doc_gp_string(gp, title);
	fprintf(gp, " noenhanced\nset xrange [-0.5:%g]\nplot '%s' using 1:2:3 with yerrorbars pt 7 ps 0.6 lc rgb "
		    "'#4a7ebb' title 'nightly mean (± s.e.)', '%s' using 1:2 with lines lw 2 lc rgb '#ff7f0e' "
		    "title 'level between changes'\n",
		n > 0 ? (double)n - 0.5 : 0.5, dat, lev);
}

int history_plot(cJSON *hist, size_t first, size_t n, const char *tmp, const char *out, bool png, double w_in)
{
	char gp[4200], params[512];
	cJSON *ls = cJSON_GetObjectItemCaseSensitive(hist, "lineages");
	size_t total = (size_t)cJSON_GetArraySize(ls);
	double panel = 2.0;
	FILE *f;

	if (first >= total || n == 0)
		return -1;
	if (n > total - first)
		n = total - first;
	if (n > HISTORY_PLOT_MAX)
		n = HISTORY_PLOT_MAX;
	snprintf(gp, sizeof(gp), "%s/history-%zu.gp", tmp, first);
	if ((f = fopen(gp, "w")) == NULL)
		return -1;
	if (png) {
		fprintf(f, "set terminal pngcairo size %d,%d font 'Sans,9'\nset output ", (int)(w_in * 100),
			(int)(((double)n * panel * 72 + 30) * 100 / 72));
		doc_gp_string(f, out);
		fputc('\n', f);
	} else {
		doc_gp_terminal(f, out, w_in, (double)n * panel);
	}
	history_params_text(hist, params, sizeof(params));
	{
		/* Room at the top for the first title, between panels for the
		 * x label and the next title, at the bottom for the caption. */
		double hpt = (double)n * panel * 72 + (png ? 30 : 0);

		fprintf(f, "set grid y\nset key top right horizontal font ',%d'\nset xlabel 'night (oldest first)'\n"
			   "set multiplot layout %zu,1 margins 0.1,0.97,%g,%g spacing 0,%g\n",
			DOC_FONT_PT - 1, n, (png ? 52 : 30) / hpt, 1 - 22 / hpt, 50 / hpt);
	}
	for (size_t k = 0; k < n; k++)
		plot_lineage(f, cJSON_GetArrayItem(ls, (int)(first + k)), tmp, first + k,
			     png && k + 1 == n ? params : NULL);
	fputs("unset multiplot\n", f);
	fclose(f);
	return doc_gnuplot(gp);
}

static void date_text(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!isfinite(t) || t <= 0 || t > 1e11 || gmtime_r(&s, &tm) == NULL)
		snprintf(buf, len, "?");
	else
		strftime(buf, len, "%Y-%m-%d", &tm);
}

void report_history_page(struct report_doc *d, const char *dir)
{
	char *text = doc_read_file(dir, "history.json", 16 << 20);
	cJSON *hist = text ? cJSON_Parse(text) : NULL, *ls, *l, *c;
	FILE *f = d->f;
	char params[512];
	size_t nl, shown = 0, nchg = 0;

	free(text);
	ls = cJSON_GetObjectItemCaseSensitive(hist, "lineages");
	if (!cJSON_IsArray(ls) || strcmp(doc_jstr(hist, "schema", ""), "harness-history/1") != 0) {
		cJSON_Delete(hist);
		return;
	}
	nl = (size_t)cJSON_GetArraySize(ls);
	history_params_text(hist, params, sizeof(params));
	fputs(".bp\n", f);
	doc_heading(d, 1, "History: the recent nights of this run's series", 2);
	doc_para(d, "Each series is one experiment, settings, guest and metric on one host and environment "
		    "fingerprint, one point a night (the mean of that night's runs). Change points come from "
		    "E-Divisive means with a Student t-test (Apache Otava's variant); a change of the environment "
		    "fingerprint starts a new series and is never a regression; a marked step is one a user "
		    "declared known (harness history mark).");
	fputs(".PP\nDetector: ", f);
	doc_text(f, params);
	fprintf(f, ". %zu series over %.0f night(s) of the history.\n", nl, doc_jnum(hist, "nights"));
	/* The changes, newest last. */
	fputs(".ps 9\n.vs 11\n.TS H\nbox;\nlb | lb | lb | lb | lb | lb\nlw(2.3i) | l | l | n | n | lw(1.5i).\n"
	      "series\tnight\tcommit\tchange\tp\twhat\n_\n.TH\n", f);
	cJSON_ArrayForEach(l, ls) {
		char title[1024];

		lineage_title(l, title, sizeof(title));
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(l, "changes")) {
			char date[32];
			double p = doc_jnum(c, "p"), rel = doc_jnum(c, "rel_change");
			const char *commit = doc_jstr(c, "commit", "");

			date_text(doc_jnum(c, "started"), date, sizeof(date));
			fputs("T{\n", f);
			doc_text(f, title);
			fputs("\nT}\tT{\n", f);
			doc_text(f, date);
			fputs("\nT}\t", f);
			{
				char shortc[11];

				snprintf(shortc, sizeof(shortc), "%s", *commit ? commit : "-");
				doc_text(f, shortc);
			}
			fprintf(f, "\t%+.1f%%\t", isfinite(rel) ? 100 * rel : 0.0);
			if (isfinite(p))
				fprintf(f, "%.2g", p);
			else
				fputs("\\(em", f);
			fputs("\tT{\n", f);
			doc_text(f, jstr(c, "kind"));
			if (*doc_jstr(c, "why", "")) {
				fputs(": ", f);
				doc_text(f, doc_jstr(c, "why", ""));
			}
			fputs("\nT}\n", f);
			nchg++;
		}
	}
	if (nchg == 0)
		fputs("T{\nno change point in these series\nT}\t\t\t\t\t\n", f);
	fputs(".TE\n.ps\n.vs\n", f);
	/* One figure per lineage, so that a page break falls between them. */
	for (size_t k = 0; k < nl && shown < HISTORY_PLOT_MAX; k++) {
		char eps[4200];

		snprintf(eps, sizeof(eps), "%s/history-%zu.eps", d->tmp, k);
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ls, (int)k), "points")) == 0 ||
		    history_plot(hist, k, 1, d->tmp, eps, false, 6) < 0)
			continue;
		doc_figure(d, eps, 6, 2.0, shown == 0 ? params : NULL);
		shown++;
	}
	if (nl > shown)
		fprintf(f, ".PP\n%zu more series are in the history (harness history show draws them).\n", nl - shown);
	cJSON_Delete(hist);
}
