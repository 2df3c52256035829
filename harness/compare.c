#include "compare.h"

#include <errno.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments.h"
#include "records.h"
#include "stats.h"

/* ---- environment fingerprints ---- */

static const char *env_str(cJSON *env, const char *a, const char *b)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(env, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void env_diff(cJSON *out, const char *what, const char *x, const char *y)
{
	if (strcmp(x, y) != 0) {
		cleanup_free char *s = xasprintf("%s: '%s' vs '%s'", what, x, y);
		cJSON_AddItemToArray(out, cJSON_CreateString(s));
	}
}

static const char *env_image_digest(cJSON *env, const char *guest)
{
	cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(env, "images"))
		if (strcmp(env_str(it, "guest", NULL), guest) == 0)
			return env_str(it, "digest", NULL);
	return "";
}

cJSON *compare_env_differences(cJSON *a, cJSON *b)
{
	static const struct {
		const char *what, *key, *sub;
	} fields[] = {
		{ "accelerator", "accelerator", "name" },
		{ "host CPU model", "host_cpu", NULL },
		{ "host kernel", "host_kernel", NULL },
		{ "QEMU version", "qemu_version", NULL },
		{ "libvirt version", "libvirt_version", NULL },
		{ "guest payload digest", "guest_payload_digest", NULL },
	};
	cJSON *out = cJSON_CreateArray(), *it;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		env_diff(out, fields[i].what, env_str(a, fields[i].key, fields[i].sub),
			 env_str(b, fields[i].key, fields[i].sub));
	/* Images by guest, from both sides. */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(a, "images")) {
		const char *g = env_str(it, "guest", NULL);
		cleanup_free char *what = xasprintf("image digest of %s", g);

		env_diff(out, what, env_str(it, "digest", NULL), env_image_digest(b, g));
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(b, "images")) {
		const char *g = env_str(it, "guest", NULL);
		cleanup_free char *what = xasprintf("image digest of %s", g);

		if (*env_image_digest(a, g) == '\0')
			env_diff(out, what, "", env_str(it, "digest", NULL));
	}
	return out;
}

/* ---- one line: a metric of one guest (or of the run) in one group ---- */

/* The metric's numbers over the records of one group: one per record, or
 * one per guest entry named guest (the loader refuses a record naming a
 * guest twice). The array grows as needed. */
static void collect(const struct run_records *g, const char *guest, const char *const *path,
		    struct record_values *out)
{
	out->n = 0;
	for (size_t r = 0; r < g->n; r++)
		record_values_of(g->recs[r], guest, path, out);
}

struct line {
	const char *exp;
	char *settings;
	char *guest;		/* NULL: a per-run metric */
	const struct exp_metric *mt;
	size_t na, nb;
	double mean_a, mean_b, rel, ci_lo, ci_hi, floor;
	struct perm_result perm;
	double p_holm;
	double tost_p;		/* NAN without --equivalence or with too few runs */
	double metric_mean_rel;	/* the noise guard's mean over the metric's lines of this guest */
	bool cannot;		/* the test cannot reach significance here */
	size_t runs_needed;	/* runs a side that could; 0: none could */
	const char *verdict;
	bool regression;
};

struct lines {
	struct line *l;
	size_t n, cap;
};

static double mean_of(const double *x, size_t n)
{
	return n ? gsl_stats_mean(x, 1, n) : 0;
}

static char *settings_text(cJSON *rec)
{
	char *s = xstrdup("");
	cJSON *kv;

	cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(rec, "settings")) {
		char *t;

		if (!cJSON_IsString(kv))
			continue;
		t = xasprintf("%s%s%s=%s", s, *s ? "," : "", kv->string, kv->valuestring);
		free(s);
		s = t;
	}
	return s;
}

static void add_line(struct lines *ls, const struct run_records *a, const struct run_records *b, cJSON *rec,
		     const char *exp, const char *guest, const struct exp_metric *mt,
		     const struct compare_options *opt, struct record_values *xa, struct record_values *xb)
{
	struct line *l;
	unsigned long seed = opt->seed;

	collect(a, guest, mt->path, xa);
	collect(b, guest, mt->path, xb);
	if (xa->n == 0 || xb->n == 0)
		return;
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? 2 * ls->cap : 16;
		ls->l = realloc(ls->l, ls->cap * sizeof(*ls->l));
		if (ls->l == NULL)
			abort();
	}
	l = &ls->l[ls->n++];
	memset(l, 0, sizeof(*l));
	l->exp = exp;
	l->settings = settings_text(rec);
	l->guest = guest ? xstrdup(guest) : NULL;
	l->mt = mt;
	l->na = xa->n;
	l->nb = xb->n;
	l->mean_a = mean_of(xa->v, xa->n);
	l->mean_b = mean_of(xb->v, xb->n);
	l->rel = l->mean_a != 0 ? (l->mean_b - l->mean_a) / fabs(l->mean_a) : 0;
	l->floor = opt->threshold >= 0 ? opt->threshold : mt->min_change > 0 ? mt->min_change : COMPARE_DEFAULT_FLOOR;
	/* The same seed for every line: each line's numbers do not depend on
	 * which other lines were compared. */
	stats_permutation_test(xa->v, xa->n, xb->v, xb->n, seed, &l->perm);
	if (stats_bootstrap_rel_change(xa->v, xa->n, xb->v, xb->n, seed, COMPARE_BOOTSTRAP_RESAMPLES, &l->ci_lo,
				       &l->ci_hi) < 0)
		l->ci_lo = l->ci_hi = NAN;
	l->tost_p = NAN;
	if (opt->equivalence > 0 && stats_tost_rel(xa->v, xa->n, xb->v, xb->n, opt->equivalence, &l->tost_p) < 0)
		l->tost_p = NAN;
}

/* Lines in the order of their noise-guard group: experiment, metric, guest. */
static const struct lines *guard_lines;

static int cmp_guard_at(const struct lines *ls, size_t x, size_t y)
{
	const struct line *a = &ls->l[x], *b = &ls->l[y];
	int c = strcmp(a->exp, b->exp);

	if (c == 0)
		c = strcmp(a->mt->name, b->mt->name);
	if (c == 0)
		c = (a->guest != NULL) - (b->guest != NULL);
	if (c == 0 && a->guest)
		c = strcmp(a->guest, b->guest);
	return c;
}

static int cmp_guard(const void *x, const void *y)
{
	return cmp_guard_at(guard_lines, *(const size_t *)x, *(const size_t *)y);
}

/* Firecracker's noise guard, per guest: the mean relative change of a
 * metric over the lines of one experiment and one guest (over its settings),
 * or over the per-run lines of the experiment. A guest whose own numbers
 * swing widely cannot pull another guest's uniform change under the floor. */
static void noise_guard(struct lines *ls)
{
	size_t *o = xcalloc(ls->n + 1, sizeof(size_t));

	for (size_t i = 0; i < ls->n; i++)
		o[i] = i;
	guard_lines = ls;
	qsort(o, ls->n, sizeof(size_t), cmp_guard);
	guard_lines = NULL;
	for (size_t s = 0, e; s < ls->n; s = e) {
		double sum = 0;

		for (e = s; e < ls->n && (e == s || cmp_guard_at(ls, o[s], o[e]) == 0); e++)
			sum += ls->l[o[e]].rel;
		for (size_t k = s; k < e; k++)
			ls->l[o[k]].metric_mean_rel = sum / (double)(e - s);
	}
	free(o);
}

/* The Holm-adjusted p a line would get if its own p were q, the others'
 * as they are: sorted holds every line's p in order and prefix[r] the
 * largest (m - j) * sorted[j] for j < r. q below the line's own p ranks
 * it among the smaller p-values only. */
static double holm_if(const double *sorted, const double *prefix, size_t m, double q)
{
	size_t lo = 0, hi = m;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid] < q)
			lo = mid + 1;
		else
			hi = mid;
	}
	return fmin(1, fmax(prefix[lo], (double)(m - lo) * q));
}

/* The fewest runs a side (equal sides) whose smallest permutation p would
 * pass Holm's threshold for this line among the others; 0 when none would
 * (the test's resolution runs out first: too many comparisons). */
static size_t holm_runs_needed(const double *sorted, const double *prefix, size_t m, double alpha)
{
	double last = 2;

	for (size_t k = 1; k < 1000; k++) {
		double q = stats_permutation_min_p(k, k);

		if (holm_if(sorted, prefix, m, q) < alpha)
			return k;
		if (q == last)	/* resampled from here on: no smaller p */
			return 0;
		last = q;
	}
	return 0;
}

/* Holm across every line, the noise guard per guest, the verdicts. */
static int decide(struct lines *ls, const struct compare_options *opt)
{
	double *p = xcalloc(ls->n + 1, sizeof(double)), *adj = xcalloc(ls->n + 1, sizeof(double));
	double *sorted = xcalloc(ls->n + 1, sizeof(double)), *prefix = xcalloc(ls->n + 1, sizeof(double));
	size_t m = ls->n;
	int regressions = 0;

	for (size_t i = 0; i < m; i++)
		sorted[i] = p[i] = ls->l[i].perm.p;
	stats_holm(p, m, adj);
	gsl_sort(sorted, 1, m);
	for (size_t j = 0; j < m; j++)
		prefix[j + 1] = fmax(prefix[j], (double)(m - j) * sorted[j]);
	noise_guard(ls);
	for (size_t i = 0; i < m; i++) {
		struct line *l = &ls->l[i];

		l->p_holm = adj[i];
		/* Cannot detect: even the smallest p these runs can give would
		 * not pass Holm's threshold among the others' p-values. A line
		 * Holm rejects is never so (its own p passes). */
		if (holm_if(sorted, prefix, m, l->perm.min_p) >= opt->alpha) {
			l->runs_needed = holm_runs_needed(sorted, prefix, m, opt->alpha);
			l->cannot = true;
			l->verdict = "cannot detect";
		} else if (l->p_holm >= opt->alpha || fabs(l->rel) < l->floor) {
			l->verdict = "no change";
		} else if (l->mt->better == 0) {
			l->verdict = "changed";
		} else if ((l->rel > 0) == (l->mt->better > 0)) {
			l->verdict = "improvement";
		} else if (fabs(l->metric_mean_rel) < l->floor) {
			l->verdict = "within noise";
		} else {
			l->verdict = "REGRESSION";
			l->regression = true;
			regressions++;
		}
	}
	free(p);
	free(adj);
	free(sorted);
	free(prefix);
	return regressions;
}

static void print_table(const struct lines *ls, const struct compare_options *opt, int regressions)
{
	size_t cannot = 0, needed = 0;

	printf("%-14s %-28s %-5s %-15s %5s %11s %11s %8s %17s %8s %8s  %s\n", "experiment", "settings", "guest",
	       "metric", "runs", "base", "new", "change", "95% CI of change", "p", "p(Holm)", "verdict");
	for (size_t i = 0; i < ls->n; i++) {
		const struct line *l = &ls->l[i];
		char runs[32], ci[48], verdict[160];

		snprintf(runs, sizeof(runs), "%zu/%zu", l->na, l->nb);
		if (isnan(l->ci_lo) || isnan(l->ci_hi))
			snprintf(ci, sizeof(ci), "-");
		else if (!isfinite(l->ci_lo) || !isfinite(l->ci_hi))
			/* Too few runs (or no spread) for the studentized interval to close. */
			snprintf(ci, sizeof(ci), "unbounded");
		else
			snprintf(ci, sizeof(ci), "[%+.1f%%, %+.1f%%]", 100 * l->ci_lo, 100 * l->ci_hi);
		if (l->cannot && l->runs_needed) {
			snprintf(verdict, sizeof(verdict), "cannot detect: needs >= %zu runs a side", l->runs_needed);
			cannot++;
			needed = l->runs_needed > needed ? l->runs_needed : needed;
		} else if (l->cannot) {
			snprintf(verdict, sizeof(verdict), "cannot detect: too many comparisons for the test's resolution");
			cannot++;
		} else if (strcmp(l->verdict, "within noise") == 0) {
			snprintf(verdict, sizeof(verdict), "within noise (%s%s%s's mean change %+.1f%% < %.0f%%)",
				 l->guest ? l->guest : "", l->guest ? " " : "", l->mt->name, 100 * l->metric_mean_rel,
				 100 * l->floor);
		} else {
			snprintf(verdict, sizeof(verdict), "%s", l->verdict);
		}
		if (opt->equivalence > 0) {
			size_t o = strlen(verdict);
			if (isnan(l->tost_p))
				snprintf(verdict + o, sizeof(verdict) - o, "; equivalence untested (needs 2 runs a side)");
			else if (l->tost_p < opt->alpha)
				snprintf(verdict + o, sizeof(verdict) - o, "; equivalent within +-%g%%",
					 100 * opt->equivalence);
			else
				snprintf(verdict + o, sizeof(verdict) - o, "; not shown equivalent within +-%g%%",
					 100 * opt->equivalence);
		}
		printf("%-14s %-28s %-5s %-15s %5s %11.4g %11.4g %+7.1f%% %17s %8.3g %8.3g  %s\n", l->exp,
		       *l->settings ? l->settings : "-", l->guest ? l->guest : "-", l->mt->name, runs, l->mean_a,
		       l->mean_b, 100 * l->rel, ci, l->perm.p, l->p_holm, verdict);
	}
	printf("%d regression(s) in %zu comparison(s): permutation test of the difference of means, Holm-adjusted "
	       "p < %.3g, a change of at least each metric's floor, and the guest's mean change of the metric over "
	       "all its settings past the floor too (noise guard)\n",
	       regressions, ls->n, opt->alpha);
	if (cannot && needed)
		printf("%zu comparison(s) cannot detect any change: with %zu tests, the permutation test needs up to %zu "
		       "runs a side to reach Holm's threshold at %.3g\n",
		       cannot, ls->n, needed, opt->alpha);
	else if (cannot)
		printf("%zu comparison(s) cannot detect any change: with %zu tests, no run count lets the permutation "
		       "test reach Holm's threshold at %.3g\n", cannot, ls->n, opt->alpha);
}

static cJSON *lines_json(const struct lines *ls, const struct compare_options *opt, int regressions,
			 cJSON *envdiff)
{
	cJSON *o = cJSON_CreateObject(), *m, *arr;

	cJSON_AddStringToObject(o, "schema", "harness-compare/1");
	m = cJSON_AddObjectToObject(o, "method");
	cJSON_AddStringToObject(m, "test", "two-sided permutation test of the difference of means");
	cJSON_AddNumberToObject(m, "exact_up_to_splits", STATS_PERM_EXACT_MAX);
	cJSON_AddNumberToObject(m, "resamples", STATS_PERM_RESAMPLES);
	cJSON_AddStringToObject(m, "correction", "holm");
	cJSON_AddNumberToObject(m, "alpha", opt->alpha);
	cJSON_AddStringToObject(m, "ci", "studentized (bootstrap-t) bootstrap, 95%, of the relative change of the "
				"mean, delta-method standard errors");
	cJSON_AddNumberToObject(m, "bootstrap_resamples", COMPARE_BOOTSTRAP_RESAMPLES);
	cJSON_AddStringToObject(m, "noise_guard", "the mean relative change of the metric over the lines of one "
				"experiment and guest (its settings) must pass the floor");
	cJSON_AddStringToObject(m, "cannot_detect", "the smallest p the runs allow would not pass Holm's threshold "
				"among the other lines' p-values");
	if (opt->threshold >= 0)
		cJSON_AddNumberToObject(m, "threshold", opt->threshold);
	if (opt->equivalence > 0)
		cJSON_AddNumberToObject(m, "equivalence", opt->equivalence);
	cJSON_AddNumberToObject(m, "seed", (double)opt->seed);
	cJSON_AddItemToObject(o, "env_differences", cJSON_Duplicate(envdiff, 1));
	arr = cJSON_AddArrayToObject(o, "comparisons");
	for (size_t i = 0; i < ls->n; i++) {
		const struct line *l = &ls->l[i];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "experiment", l->exp);
		cJSON_AddStringToObject(j, "settings", l->settings);
		if (l->guest)
			cJSON_AddStringToObject(j, "guest", l->guest);
		else
			cJSON_AddNullToObject(j, "guest");
		cJSON_AddStringToObject(j, "metric", l->mt->name);
		cJSON_AddStringToObject(j, "unit", l->mt->unit);
		cJSON_AddNumberToObject(j, "better", l->mt->better);
		cJSON_AddNumberToObject(j, "runs_base", (double)l->na);
		cJSON_AddNumberToObject(j, "runs_new", (double)l->nb);
		cJSON_AddNumberToObject(j, "mean_base", l->mean_a);
		cJSON_AddNumberToObject(j, "mean_new", l->mean_b);
		cJSON_AddNumberToObject(j, "rel_change", l->rel);
		/* An unbounded side (resamples without spread) is null. */
		if (!isnan(l->ci_lo) && !isnan(l->ci_hi)) {
			if (isfinite(l->ci_lo))
				cJSON_AddNumberToObject(j, "rel_change_ci95_low", l->ci_lo);
			else
				cJSON_AddNullToObject(j, "rel_change_ci95_low");
			if (isfinite(l->ci_hi))
				cJSON_AddNumberToObject(j, "rel_change_ci95_high", l->ci_hi);
			else
				cJSON_AddNullToObject(j, "rel_change_ci95_high");
		}
		cJSON_AddNumberToObject(j, "p", l->perm.p);
		cJSON_AddBoolToObject(j, "p_exact", l->perm.exact);
		cJSON_AddNumberToObject(j, "p_min_possible", l->perm.min_p);
		cJSON_AddNumberToObject(j, "p_holm", l->p_holm);
		cJSON_AddNumberToObject(j, "floor", l->floor);
		cJSON_AddNumberToObject(j, "metric_mean_rel_change", l->metric_mean_rel);
		cJSON_AddStringToObject(j, "verdict", l->verdict);
		if (l->cannot && l->runs_needed)
			cJSON_AddNumberToObject(j, "runs_needed", (double)l->runs_needed);
		else if (l->cannot)
			cJSON_AddNullToObject(j, "runs_needed");
		if (opt->equivalence > 0 && !isnan(l->tost_p)) {
			cJSON_AddNumberToObject(j, "tost_p", l->tost_p);
			cJSON_AddBoolToObject(j, "equivalent", l->tost_p < opt->alpha);
		}
		cJSON_AddBoolToObject(j, "regression", l->regression);
		cJSON_AddItemToArray(arr, j);
	}
	cJSON_AddNumberToObject(o, "regressions", regressions);
	return o;
}

/* Refuse (or with allow, warn about) runs from different environments. */
static int check_env(const char *base_dir, const char *new_dir, const struct compare_options *opt, cJSON **diff,
		     struct herror *err)
{
	struct herror ra = { 0 }, rb = { 0 };
	cJSON *ea = results_read_json(base_dir, "env.json", &ra);
	cJSON *eb = results_read_json(new_dir, "env.json", &rb);
	cJSON *it;
	char *text = xstrdup("");
	int r = 0;

	if (ea == NULL || eb == NULL) {
		/* Absent, or refused (a link, not JSON): the reason is said. */
		hwarn("cannot check that both runs share an environment: %s", ea == NULL ? ra.msg : rb.msg);
		*diff = cJSON_CreateArray();
		goto out;
	}
	*diff = compare_env_differences(ea, eb);
	cJSON_ArrayForEach(it, *diff) {
		char *t = xasprintf("%s%s%s", text, *text ? "; " : "", it->valuestring);
		free(text);
		text = t;
	}
	if (*text && !opt->allow_env_change)
		r = error_setx(err, EINVAL, "the runs come from different environments (%s); --allow-env-change "
			       "compares them anyway", text);
	else if (*text)
		hwarn("comparing runs from different environments: %s", text);
out:
	free(text);
	cJSON_Delete(ea);
	cJSON_Delete(eb);
	return r;
}

int compare_results(const char *base_dir, const char *new_dir, const struct compare_options *opt,
		    struct herror *err)
{
	struct run_records a, b;
	struct record_groups ga = { 0 }, gb = { 0 };
	struct lines ls = { 0 };
	struct record_values xa = { 0 }, xb = { 0 };
	cJSON *envdiff = NULL;
	int regressions;
	unsigned load = RECORDS_OK | (opt->include_disturbed ? RECORDS_WITH_DISTURBED : 0);

	if (records_load(base_dir, load, &a, err) < 0)
		return -err->status;
	if (records_load(new_dir, load, &b, err) < 0) {
		records_free(&a);
		return -err->status;
	}
	records_filter(&a, experiment_known);
	records_filter(&b, experiment_known);
	if (a.n == 0 || b.n == 0) {
		/* Named before the records are freed (freeing zeroes the counts). */
		const char *empty = a.n == 0 ? base_dir : new_dir;

		error_setx(err, ENOENT, "no successful run records in '%s/runs'", empty);
		records_free(&a);
		records_free(&b);
		return -ENOENT;
	}
	if (check_env(base_dir, new_dir, opt, &envdiff, err) < 0) {
		records_free(&a);
		records_free(&b);
		cJSON_Delete(envdiff);
		return -err->status;
	}
	/* Each group of the base against the new run's group of its settings:
	 * both grouped once, so the work grows with the records, not with
	 * records times groups. */
	records_group(&a, &ga);
	records_group(&b, &gb);
	for (size_t k = 0; k < ga.n; k++) {
		const struct run_records *g = &ga.g[k], *h;
		cJSON *rec = g->recs[0], *it;
		const char *exp = cJSON_GetObjectItemCaseSensitive(rec, "experiment")->valuestring;
		const struct experiment *ops = experiment_find(exp);

		if (ops == NULL || (h = records_find_group(&gb, rec)) == NULL)
			continue;
		for (size_t m = 0; m < ops->nmetrics; m++) {
			const struct exp_metric *mt = &ops->metrics[m];

			if (!(mt->use & METRIC_COMPARE))
				continue;
			if (mt->scope == METRIC_PER_RUN) {
				add_line(&ls, g, h, rec, exp, NULL, mt, opt, &xa, &xb);
				continue;
			}
			/* Each guest once: the loader refused records naming one twice. */
			cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "guests")) {
				cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");

				if (cJSON_IsString(name))
					add_line(&ls, g, h, rec, exp, name->valuestring, mt, opt, &xa, &xb);
			}
		}
	}
	free(xa.v);
	free(xb.v);
	if (ls.n == 0) {
		regressions = error_setx(err, ENOENT, "the two runs have no experiment and settings in common");
		goto out;
	}
	regressions = decide(&ls, opt);
	if (opt->json) {
		cJSON *j = lines_json(&ls, opt, regressions, envdiff);
		char *text = cJSON_Print(j);

		puts(text);
		free(text);
		cJSON_Delete(j);
	} else {
		print_table(&ls, opt, regressions);
	}
out:
	for (size_t i = 0; i < ls.n; i++) {
		free(ls.l[i].settings);
		free(ls.l[i].guest);
	}
	free(ls.l);
	record_groups_free(&ga);
	record_groups_free(&gb);
	cJSON_Delete(envdiff);
	records_free(&a);
	records_free(&b);
	return regressions;
}
