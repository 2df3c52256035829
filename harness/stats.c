#include "stats.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments.h"
#include "records.h"

void stats_describe(const double *x, size_t n, struct summary_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->n = n;
	if (n == 0)
		return;
	double *s = xcalloc(n, sizeof(double));
	memcpy(s, x, n * sizeof(double));
	gsl_sort(s, 1, n);
	o->mean = gsl_stats_mean(x, 1, n);
	o->median = gsl_stats_median_from_sorted_data(s, 1, n);
	free(s);
	o->sd = n > 1 ? gsl_stats_sd_m(x, 1, n, o->mean) : 0;
	o->cv = o->mean != 0 ? o->sd / fabs(o->mean) : 0;
	double half = n > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * o->sd / sqrt((double)n) : 0;
	o->ci95_low = o->mean - half;
	o->ci95_high = o->mean + half;
}

static double binomial(size_t n, size_t k)
{
	double c = 1;

	if (k > n)
		return 0;
	for (size_t i = 1; i <= k; i++)
		c = c * (double)(n - k + i) / (double)i;
	return floor(c + 0.5);
}

double stats_permutation_min_p(size_t na, size_t nb)
{
	double splits = binomial(na + nb, na);

	if (na == 0 || nb == 0)
		return 1;
	if (splits > STATS_PERM_EXACT_MAX)
		return 1.0 / (STATS_PERM_RESAMPLES + 1);
	/* The observed split and, with equal sides, its mirror. */
	return (na == nb ? 2 : 1) / splits;
}

size_t stats_permutation_runs_needed(double alpha, size_t m)
{
	for (size_t k = 1; k < 1000; k++)
		if (stats_permutation_min_p(k, k) * (double)(m ? m : 1) < alpha)
			return k;
	return 1000;
}

/* |difference of means| of a split, and the tolerance for ties in floating point. */
static bool at_least(double d, double obs, double scale)
{
	return fabs(d) >= fabs(obs) - 1e-9 * scale;
}

int stats_permutation_test(const double *a, size_t na, const double *b, size_t nb, unsigned long seed,
			   struct perm_result *out)
{
	size_t n = na + nb, hits = 0, total = 0;
	double *pool, sum = 0, scale = 0, obs;

	memset(out, 0, sizeof(*out));
	if (na == 0 || nb == 0)
		return -EINVAL;
	pool = xcalloc(n, sizeof(double));
	memcpy(pool, a, na * sizeof(double));
	memcpy(pool + na, b, nb * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		sum += pool[i];
		scale = fmax(scale, fabs(pool[i]));
	}
	obs = gsl_stats_mean(b, 1, nb) - gsl_stats_mean(a, 1, na);
	out->min_p = stats_permutation_min_p(na, nb);
	if (binomial(n, na) <= STATS_PERM_EXACT_MAX) {
		/* Every choice of na values for side a, in lexicographic order. */
		size_t *idx = xcalloc(na, sizeof(size_t));

		for (size_t i = 0; i < na; i++)
			idx[i] = i;
		for (;;) {
			double sa = 0;
			size_t i;

			for (i = 0; i < na; i++)
				sa += pool[idx[i]];
			if (at_least((sum - sa) / (double)nb - sa / (double)na, obs, scale))
				hits++;
			total++;
			for (i = na; i-- > 0;)
				if (idx[i] != i + n - na)
					break;
			if (i == (size_t)-1)
				break;
			idx[i]++;
			for (size_t j = i + 1; j < na; j++)
				idx[j] = idx[j - 1] + 1;
		}
		free(idx);
		out->p = (double)hits / (double)total;
		out->exact = true;
	} else {
		gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);

		gsl_rng_set(rng, seed);
		for (size_t r = 0; r < STATS_PERM_RESAMPLES; r++) {
			double sa = 0;

			gsl_ran_shuffle(rng, pool, n, sizeof(double));
			for (size_t i = 0; i < na; i++)
				sa += pool[i];
			if (at_least((sum - sa) / (double)nb - sa / (double)na, obs, scale))
				hits++;
		}
		gsl_rng_free(rng);
		out->p = (double)(hits + 1) / (STATS_PERM_RESAMPLES + 1);
	}
	free(pool);
	return 0;
}

/* The relative change (mb - ma) / |ma| and its standard error by the delta
 * method: sqrt(vb/nb + (mb/ma)^2 va/na) / |ma|. */
static void rel_and_se(const double *a, size_t na, const double *b, size_t nb, double *rel, double *se)
{
	double ma = gsl_stats_mean(a, 1, na), mb = gsl_stats_mean(b, 1, nb);
	double va = na > 1 ? gsl_stats_variance_m(a, 1, na, ma) : 0, vb = nb > 1 ? gsl_stats_variance_m(b, 1, nb, mb) : 0;
	double r = ma != 0 ? mb / ma : 0;

	*rel = ma != 0 ? (mb - ma) / fabs(ma) : 0;
	*se = ma != 0 ? sqrt(vb / (double)nb + r * r * va / (double)na) / fabs(ma) : 0;
}

int stats_bootstrap_rel_change(const double *a, size_t na, const double *b, size_t nb, unsigned long seed,
			       size_t resamples, double *lo, double *hi)
{
	gsl_rng *rng;
	double *t, *ra, *rb, rel, se;
	size_t kl, kh;

	*lo = *hi = NAN;
	if (na == 0 || nb == 0 || resamples < 2 || gsl_stats_mean(a, 1, na) == 0)
		return -EINVAL;
	rel_and_se(a, na, b, nb, &rel, &se);
	if (se == 0) {
		/* No spread on either side: the change is what it is. */
		*lo = *hi = rel;
		return 0;
	}
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, seed);
	t = xcalloc(resamples, sizeof(double));
	ra = xcalloc(na, sizeof(double));
	rb = xcalloc(nb, sizeof(double));
	for (size_t r = 0; r < resamples; r++) {
		double rs, ss;

		for (size_t i = 0; i < na; i++)
			ra[i] = a[gsl_rng_uniform_int(rng, na)];
		for (size_t i = 0; i < nb; i++)
			rb[i] = b[gsl_rng_uniform_int(rng, nb)];
		rel_and_se(ra, na, rb, nb, &rs, &ss);
		/* A resample with no spread: its t is 0 when it sits on the
		 * estimate, else unbounded on its side. A resample of a with
		 * mean 0 has no relative change: counted as none. */
		if (gsl_stats_mean(ra, 1, na) == 0 || rs == rel)
			t[r] = 0;
		else
			t[r] = ss > 0 ? (rs - rel) / ss : copysign(INFINITY, rs - rel);
	}
	gsl_sort(t, 1, resamples);
	/* Order statistics (no interpolation: a tail may be unbounded). */
	kl = (size_t)floor(0.025 * (double)(resamples - 1) + 0.5);
	kh = (size_t)floor(0.975 * (double)(resamples - 1) + 0.5);
	*lo = rel - t[kh] * se;
	*hi = rel - t[kl] * se;
	free(t);
	free(ra);
	free(rb);
	gsl_rng_free(rng);
	return 0;
}

void stats_holm(const double *p, size_t m, double *adjusted)
{
	size_t *order = xcalloc(m + 1, sizeof(size_t));
	double run = 0;

	gsl_sort_index(order, p, 1, m);
	for (size_t i = 0; i < m; i++) {
		double v = fmin(1, (double)(m - i) * p[order[i]]);

		run = fmax(run, v);
		adjusted[order[i]] = run;
	}
	free(order);
}

int stats_tost_rel(const double *a, size_t na, const double *b, size_t nb, double margin, double *p)
{
	struct summary_stats sa, sb;
	double va, vb, se, df, d, delta, p1, p2;

	if (na < 2 || nb < 2)
		return -EINVAL;
	stats_describe(a, na, &sa);
	stats_describe(b, nb, &sb);
	va = sa.sd * sa.sd / (double)na;
	vb = sb.sd * sb.sd / (double)nb;
	se = sqrt(va + vb);
	d = sb.mean - sa.mean;
	delta = margin * fabs(sa.mean);
	if (se == 0) {
		*p = fabs(d) < delta ? 0 : 1;
		return 0;
	}
	df = (va + vb) * (va + vb) / (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
	p1 = gsl_cdf_tdist_Q((d + delta) / se, df);	/* H0: d <= -delta */
	p2 = gsl_cdf_tdist_P((d - delta) / se, df);	/* H0: d >= +delta */
	*p = fmax(p1, p2);
	return 0;
}

double stats_detectable_sds(size_t n, double alpha, double power)
{
	double df;

	if (n < 2)
		return INFINITY;
	df = 2.0 * (double)n - 2;
	return (gsl_cdf_tdist_Pinv(1 - alpha / 2, df) + gsl_cdf_tdist_Pinv(power, df)) * sqrt(2.0 / (double)n);
}

size_t stats_runs_needed(double d_sds, double alpha, double power, size_t cap)
{
	for (size_t n = 2; n < cap; n++)
		if (stats_detectable_sds(n, alpha, power) <= d_sds)
			return n;
	return cap;
}

int stats_anova(const double *y, size_t n, size_t nfactors, const size_t *nlevels, size_t *const *level,
		struct anova *o)
{
	size_t ncells = 1, *count, per = 0;
	double grand, df_model = 0, ss_model = 0;
	double *lm[ANOVA_MAX_FACTORS];
	int r = 0;

	memset(o, 0, sizeof(*o));
	if (nfactors < 2 || nfactors > ANOVA_MAX_FACTORS || n < 2)
		return -EINVAL;
	for (size_t f = 0; f < nfactors; f++) {
		if (nlevels[f] < 2 || ncells > 65536 / nlevels[f])
			return -EINVAL;
		ncells *= nlevels[f];
	}
	/* Balanced: every cell of the full design holds the same count. */
	count = xcalloc(ncells, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		size_t c = 0;
		for (size_t f = 0; f < nfactors; f++)
			c = c * nlevels[f] + level[f][i];
		count[c]++;
	}
	per = count[0];
	for (size_t c = 0; c < ncells; c++)
		if (count[c] != per || per == 0)
			r = -EINVAL;
	free(count);
	if (r < 0)
		return r;
	grand = gsl_stats_mean(y, 1, n);
	for (size_t i = 0; i < n; i++)
		o->ss_total += (y[i] - grand) * (y[i] - grand);
	for (size_t f = 0; f < nfactors; f++) {
		size_t *k = xcalloc(nlevels[f], sizeof(size_t));

		lm[f] = xcalloc(nlevels[f], sizeof(double));
		for (size_t i = 0; i < n; i++) {
			lm[f][level[f][i]] += y[i];
			k[level[f][i]]++;
		}
		for (size_t l = 0; l < nlevels[f]; l++)
			lm[f][l] /= (double)k[l];
		free(k);
	}
	for (size_t f = 0; f < nfactors; f++) {
		struct anova_term *t = &o->terms[o->nterms++];

		t->f1 = (int)f;
		t->f2 = -1;
		t->df = (double)(nlevels[f] - 1);
		for (size_t i = 0; i < n; i++)
			t->ss += (lm[f][level[f][i]] - grand) * (lm[f][level[f][i]] - grand);
	}
	for (size_t f = 0; f < nfactors; f++)
		for (size_t g = f + 1; g < nfactors; g++) {
			struct anova_term *t = &o->terms[o->nterms++];
			size_t L = nlevels[g];
			double *cm = xcalloc(nlevels[f] * L, sizeof(double));
			size_t *k = xcalloc(nlevels[f] * L, sizeof(size_t));

			t->f1 = (int)f;
			t->f2 = (int)g;
			t->df = (double)((nlevels[f] - 1) * (nlevels[g] - 1));
			for (size_t i = 0; i < n; i++) {
				cm[level[f][i] * L + level[g][i]] += y[i];
				k[level[f][i] * L + level[g][i]]++;
			}
			for (size_t c = 0; c < nlevels[f] * L; c++)
				cm[c] /= (double)k[c];
			for (size_t i = 0; i < n; i++) {
				double e = cm[level[f][i] * L + level[g][i]] - lm[f][level[f][i]] - lm[g][level[g][i]] +
					   grand;
				t->ss += e * e;
			}
			free(cm);
			free(k);
		}
	for (size_t f = 0; f < nfactors; f++)
		free(lm[f]);
	for (size_t t = 0; t < o->nterms; t++) {
		df_model += o->terms[t].df;
		ss_model += o->terms[t].ss;
	}
	o->df_error = (double)n - 1 - df_model;
	o->ss_error = fmax(0, o->ss_total - ss_model);
	if (o->df_error < 1)
		return -EINVAL;
	for (size_t i = 0; i < o->nterms; i++) {
		struct anova_term *t = &o->terms[i];
		double mse = o->ss_error / o->df_error;

		t->ms = t->ss / t->df;
		t->f = mse > 0 ? t->ms / mse : (t->ms > 0 ? INFINITY : 0);
		t->p = mse > 0 ? gsl_cdf_fdist_Q(t->f, t->df, o->df_error) : (t->ms > 0 ? 0 : 1);
		t->eta2 = o->ss_total > 0 ? t->ss / o->ss_total : 0;
		t->partial_eta2 = t->ss + o->ss_error > 0 ? t->ss / (t->ss + o->ss_error) : 0;
	}
	return 0;
}

/* What a run with n repeats of values of this spread could detect, against
 * another run like it: the two-sample power calculation at alpha 0.05 and
 * power 0.8, and the repeats needed for a 5% change; the permutation test
 * that compare runs needs at least stats_permutation_runs_needed a side. */
static cJSON *power_json(const struct summary_stats *st)
{
	cJSON *o = cJSON_CreateObject();
	double cv = st->cv;

	cJSON_AddNumberToObject(o, "alpha", STATS_POWER_ALPHA);
	cJSON_AddNumberToObject(o, "power", STATS_POWER);
	cJSON_AddNumberToObject(o, "runs", (double)st->n);
	if (st->n >= 2)
		cJSON_AddNumberToObject(o, "min_detectable_rel_change",
					stats_detectable_sds(st->n, STATS_POWER_ALPHA, STATS_POWER) * cv);
	else
		cJSON_AddNullToObject(o, "min_detectable_rel_change");
	cJSON_AddNumberToObject(o, "change", STATS_POWER_CHANGE);
	cJSON_AddNumberToObject(o, "runs_needed_for_change",
				(double)(cv > 0 ? stats_runs_needed(STATS_POWER_CHANGE / cv, STATS_POWER_ALPHA,
								   STATS_POWER, 100000) : 2));
	cJSON_AddNumberToObject(o, "permutation_min_runs", (double)stats_permutation_runs_needed(STATS_POWER_ALPHA, 1));
	if (st->n < stats_permutation_runs_needed(STATS_POWER_ALPHA, 1))
		cJSON_AddStringToObject(o, "note", "too few runs: a permutation test cannot reach p < 0.05 with fewer "
					"than 4 runs a side");
	return o;
}

static cJSON *stats_json(const double *x, size_t n, bool compared)
{
	struct summary_stats s;
	cJSON *o = cJSON_CreateObject();

	stats_describe(x, n, &s);
	cJSON_AddNumberToObject(o, "n", (double)s.n);
	cJSON_AddNumberToObject(o, "mean", s.mean);
	cJSON_AddNumberToObject(o, "median", s.median);
	cJSON_AddNumberToObject(o, "sd", s.sd);
	cJSON_AddNumberToObject(o, "cv", s.cv);
	cJSON_AddNumberToObject(o, "ci95_low", s.ci95_low);
	cJSON_AddNumberToObject(o, "ci95_high", s.ci95_high);
	if (compared)
		cJSON_AddItemToObject(o, "power", power_json(&s));
	return o;
}

static void group_values(const struct run_records *g, const char *guest, const struct exp_metric *mt,
			 struct record_values *out)
{
	out->n = 0;
	for (size_t r = 0; r < g->n; r++)
		record_values_of(g->recs[r], guest, mt->path, out);
}

/* One group: the records of one experiment with the same settings. */
static cJSON *group_json(const struct run_records *g)
{
	cJSON *first = g->recs[0], *o = cJSON_CreateObject(), *gl, *it;
	cJSON *exp = cJSON_GetObjectItemCaseSensitive(first, "experiment");
	const struct experiment *ops = experiment_find(exp->valuestring);
	struct record_values x = { 0 };

	cJSON_AddItemToObject(o, "experiment", cJSON_Duplicate(exp, 1));
	cJSON_AddItemToObject(o, "settings", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(first, "settings"), 1));
	/* A group of one host's runs (parallel: hosts) says which. */
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "host")) &&
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(first, "hosts_pooled")))
		cJSON_AddItemToObject(o, "host", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(first, "host"), 0));
	cJSON_AddNumberToObject(o, "runs", (double)g->n);
	gl = cJSON_AddArrayToObject(o, "guests");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(first, "guests")) {
		cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		cJSON *go;

		if (!cJSON_IsString(name))
			continue;
		go = cJSON_CreateObject();
		cJSON_AddStringToObject(go, "name", name->valuestring);
		for (size_t m = 0; ops && m < ops->nmetrics; m++) {
			const struct exp_metric *mt = &ops->metrics[m];

			if (mt->scope != METRIC_PER_GUEST || !(mt->use & (METRIC_SUMMARY | METRIC_COMPARE)))
				continue;
			group_values(g, name->valuestring, mt, &x);
			if (x.n > 0)
				cJSON_AddItemToObject(go, mt->name, stats_json(x.v, x.n, mt->use & METRIC_COMPARE));
		}
		cJSON_AddItemToArray(gl, go);
	}
	for (size_t m = 0; ops && m < ops->nmetrics; m++) {
		const struct exp_metric *mt = &ops->metrics[m];

		if (mt->scope != METRIC_PER_RUN || !(mt->use & (METRIC_SUMMARY | METRIC_COMPARE)))
			continue;
		group_values(g, NULL, mt, &x);
		if (x.n > 0)
			cJSON_AddItemToObject(o, mt->name, stats_json(x.v, x.n, mt->use & METRIC_COMPARE));
	}
	free(x.v);
	return o;
}

struct groups {
	struct run_records rr;
	struct run_records *g;
	size_t n;
	struct record_groups rg;
};

static int groups_load(const char *dir, struct groups *gs, struct herror *err)
{
	memset(gs, 0, sizeof(*gs));
	if (records_load(dir, RECORDS_OK, &gs->rr, err) < 0)
		return -err->status;
	records_filter(&gs->rr, experiment_known);
	records_group(&gs->rr, &gs->rg);
	gs->g = gs->rg.g;
	gs->n = gs->rg.n;
	return 0;
}

static void groups_free(struct groups *gs)
{
	record_groups_free(&gs->rg);
	records_free(&gs->rr);
}

int stats_widest_ci(const char *results_dir, double *widest, char *what, size_t whatlen, struct herror *err)
{
	struct groups gs;
	struct record_values x = { 0 };

	*widest = 0;
	if (whatlen)
		what[0] = '\0';
	if (groups_load(results_dir, &gs, err) < 0)
		return -err->status;
	if (gs.n == 0)
		*widest = INFINITY;
	for (size_t k = 0; k < gs.n; k++) {
		cJSON *first = gs.g[k].recs[0], *it;
		const struct experiment *ops =
			experiment_find(cJSON_GetObjectItemCaseSensitive(first, "experiment")->valuestring);

		for (size_t m = 0; ops && m < ops->nmetrics; m++) {
			const struct exp_metric *mt = &ops->metrics[m];

			if (!(mt->use & METRIC_COMPARE))
				continue;
			cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(first, "guests")) {
				cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
				const char *guest = mt->scope == METRIC_PER_RUN ? NULL :
						    cJSON_IsString(name) ? name->valuestring : "";
				struct summary_stats st;
				double rel;

				group_values(&gs.g[k], guest, mt, &x);
				if (x.n == 0)	/* not in these records at all: nothing to wait for */
					continue;
				stats_describe(x.v, x.n, &st);
				rel = x.n < 2 ? INFINITY : st.mean != 0 ? (st.ci95_high - st.mean) / fabs(st.mean) :
				      st.sd == 0 ? 0 : INFINITY;
				if (rel > *widest || (k == 0 && *what == '\0')) {
					*widest = fmax(rel, *widest);
					snprintf(what, whatlen, "%s %s%s%s", ops->name, guest ? guest : "",
						 guest ? " " : "", mt->name);
				}
				if (mt->scope == METRIC_PER_RUN)
					break;
			}
		}
	}
	free(x.v);
	groups_free(&gs);
	return 0;
}

/* Main effects and two-way interactions of the settings an experiment
 * varies (two or more, each with two or more values), per compared metric. */
static cJSON *factorial_json(const struct groups *gs, const char *exp)
{
	const struct experiment *ops = experiment_find(exp);
	const char *keys[ANOVA_MAX_FACTORS];
	char **vals[ANOVA_MAX_FACTORS] = { 0 };
	size_t nvals[ANOVA_MAX_FACTORS] = { 0 }, nf = 0, nrec = 0;
	cJSON **recs = xcalloc(gs->rr.n + 1, sizeof(cJSON *)), *o = NULL, *an, *kv, *it;
	struct record_values y = { 0 }, tmp = { 0 };

	for (size_t i = 0; i < gs->rr.n; i++)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(gs->rr.recs[i], "experiment")->valuestring, exp) == 0)
			recs[nrec++] = gs->rr.recs[i];
	/* The factors: settings keys with two or more values. */
	cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(recs[0], "settings")) {
		size_t f = nf;

		if (!cJSON_IsString(kv) || nf == ANOVA_MAX_FACTORS)
			continue;
		vals[f] = xcalloc(nrec + 1, sizeof(char *));
		nvals[f] = 0;
		for (size_t r = 0; r < nrec; r++) {
			cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(recs[r], "settings"),
								   kv->string);
			size_t l;

			if (!cJSON_IsString(v))
				continue;
			for (l = 0; l < nvals[f] && strcmp(vals[f][l], v->valuestring) != 0; l++)
				;
			if (l == nvals[f])
				vals[f][nvals[f]++] = v->valuestring;
		}
		if (nvals[f] >= 2) {
			keys[nf++] = kv->string;
		} else {
			free(vals[f]);
			vals[f] = NULL;
		}
	}
	if (nf < 2 || !ops)
		goto out;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "experiment", exp);
	cJSON_AddStringToObject(o, "method", nf > 2 ?
				"two-way ANOVA of a balanced design: main effects, two-way interactions, F-tests; "
				"the interactions of three or more factors (pooled_into_error) are pooled into the "
				"error term; eta2 = SS/SS_total, partial_eta2 = SS/(SS + SS_error)" :
				"two-way ANOVA of a balanced design: main effects, two-way interactions, "
				"F-tests; eta2 = SS/SS_total, partial_eta2 = SS/(SS + SS_error)");
	kv = cJSON_AddArrayToObject(o, "factors");
	for (size_t f = 0; f < nf; f++)
		cJSON_AddItemToArray(kv, cJSON_CreateString(keys[f]));
	/* With three or more factors the interactions of three or more are not
	 * estimated: they are pooled into the error term, and said so. */
	kv = cJSON_AddArrayToObject(o, "pooled_into_error");
	for (unsigned set = 0; set < (1u << nf); set++) {
		char name[ANOVA_MAX_FACTORS * 72] = "";
		size_t off = 0;

		if (__builtin_popcount(set) < 3)
			continue;
		for (size_t f = 0; f < nf; f++)
			if (set & (1u << f))
				off += (size_t)snprintf(name + off, sizeof(name) - off, "%s%.64s", off ? " x " : "",
							keys[f]);
		cJSON_AddItemToArray(kv, cJSON_CreateString(name));
	}
	an = cJSON_AddArrayToObject(o, "analyses");
	for (size_t m = 0; m < ops->nmetrics; m++) {
		const struct exp_metric *mt = &ops->metrics[m];

		if (!(mt->use & METRIC_COMPARE))
			continue;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(recs[0], "guests")) {
			cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
			const char *guest = mt->scope == METRIC_PER_RUN ? NULL :
					    cJSON_IsString(name) ? name->valuestring : "";
			size_t *lv[ANOVA_MAX_FACTORS];
			cJSON *a = cJSON_CreateObject(), *terms;
			struct anova res;
			size_t missing = 0;

			cJSON_AddStringToObject(a, "metric", mt->name);
			if (guest)
				cJSON_AddStringToObject(a, "guest", guest);
			y.n = 0;
			for (size_t f = 0; f < nf; f++)
				lv[f] = xcalloc(nrec + 1, sizeof(size_t));
			for (size_t r = 0; r < nrec; r++) {
				cJSON *st = cJSON_GetObjectItemCaseSensitive(recs[r], "settings");

				tmp.n = 0;
				record_values_of(recs[r], guest, mt->path, &tmp);
				if (tmp.n != 1) {
					missing++;
					continue;
				}
				for (size_t f = 0; f < nf; f++) {
					cJSON *v = cJSON_GetObjectItemCaseSensitive(st, keys[f]);
					size_t l = 0;
					while (l < nvals[f] && cJSON_IsString(v) && strcmp(vals[f][l], v->valuestring))
						l++;
					lv[f][y.n] = l;
				}
				record_values_push(&y, tmp.v[0]);
			}
			if (missing == nrec) {
				cJSON_AddStringToObject(a, "skipped", "not recorded: no run holds this metric");
			} else if (missing) {
				cleanup_free char *why = xasprintf("not recorded in %zu of %zu runs", missing, nrec);
				cJSON_AddStringToObject(a, "skipped", why);
			} else if (stats_anova(y.v, y.n, nf, nvals, lv, &res) < 0) {
				cJSON_AddStringToObject(a, "skipped", "not a balanced design: every combination needs "
							"the same number of runs, with one value each, and runs to spare");
			} else {
				terms = cJSON_AddArrayToObject(a, "terms");
				for (size_t t = 0; t < res.nterms; t++) {
					struct anova_term *tm = &res.terms[t];
					cJSON *j = cJSON_CreateObject();
					cleanup_free char *eff = tm->f2 < 0 ? xstrdup(keys[tm->f1]) :
						xasprintf("%s x %s", keys[tm->f1], keys[tm->f2]);

					cJSON_AddStringToObject(j, "effect", eff);
					cJSON_AddNumberToObject(j, "df", tm->df);
					cJSON_AddNumberToObject(j, "ss", tm->ss);
					cJSON_AddNumberToObject(j, "f", isfinite(tm->f) ? tm->f : 1e308);
					cJSON_AddNumberToObject(j, "p", tm->p);
					cJSON_AddNumberToObject(j, "eta2", tm->eta2);
					cJSON_AddNumberToObject(j, "partial_eta2", tm->partial_eta2);
					cJSON_AddItemToArray(terms, j);
				}
				cJSON_AddNumberToObject(a, "error_df", res.df_error);
				cJSON_AddNumberToObject(a, "error_ss", res.ss_error);
				cJSON_AddNumberToObject(a, "total_ss", res.ss_total);
			}
			for (size_t f = 0; f < nf; f++)
				free(lv[f]);
			cJSON_AddItemToArray(an, a);
			if (mt->scope == METRIC_PER_RUN)
				break;
		}
	}
out:
	for (size_t f = 0; f < ANOVA_MAX_FACTORS; f++)
		free(vals[f]);
	free(recs);
	free(y.v);
	free(tmp.v);
	return o;
}

/* The runs other processes on the host disturbed (host_noise): how many,
 * which and why; the groups above leave them out. */
static cJSON *disturbed_json(const char *results_dir)
{
	struct run_records all;
	struct herror lerr = { 0 };
	cJSON *o = cJSON_CreateObject(), *list;

	cJSON_AddBoolToObject(o, "left_out", true);
	list = cJSON_AddArrayToObject(o, "runs");
	if (records_load(results_dir, RECORDS_OK | RECORDS_WITH_DISTURBED, &all, &lerr) == 0) {
		for (size_t i = 0; i < all.n; i++) {
			cJSON *rec = all.recs[i], *d, *hn, *why;
			const char *file = strrchr(all.files[i], '/');

			if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "disturbed")))
				continue;
			hn = cJSON_GetObjectItemCaseSensitive(rec, "host_noise");
			why = cJSON_GetObjectItemCaseSensitive(hn, "reason");
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "file", file ? file + 1 : all.files[i]);
			cJSON_AddItemToObject(d, "run_id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "run_id"), 1));
			cJSON_AddBoolToObject(d, "rerun", cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "disturbed_attempt")));
			if (cJSON_IsString(why))
				cJSON_AddStringToObject(d, "reason", why->valuestring);
			cJSON_AddItemToArray(list, d);
		}
		records_free(&all);
	}
	cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(list));
	return o;
}

int stats_summarize_run(const char *results_dir, const cJSON *extra, struct herror *err)
{
	struct groups gs;
	cJSON *summary, *gj, *fj, *it;
	int r;

	if (groups_load(results_dir, &gs, err) < 0)
		return -err->status;
	summary = cJSON_CreateObject();
	cJSON_AddStringToObject(summary, "schema", "harness-summary/1");
	cJSON_ArrayForEach(it, extra)
		cJSON_AddItemToObject(summary, it->string, cJSON_Duplicate(it, 1));
	cJSON_AddItemToObject(summary, "disturbed", disturbed_json(results_dir));
	gj = cJSON_AddArrayToObject(summary, "groups");
	for (size_t k = 0; k < gs.n; k++)
		cJSON_AddItemToArray(gj, group_json(&gs.g[k]));
	fj = cJSON_AddArrayToObject(summary, "factorial");
	for (size_t k = 0; k < gs.n; k++) {
		const char *exp = cJSON_GetObjectItemCaseSensitive(gs.g[k].recs[0], "experiment")->valuestring;
		bool first = true;
		cJSON *f;

		for (size_t j = 0; j < k && first; j++)
			first = strcmp(cJSON_GetObjectItemCaseSensitive(gs.g[j].recs[0], "experiment")->valuestring,
				       exp) != 0;
		if (first && (f = factorial_json(&gs, exp)))
			cJSON_AddItemToArray(fj, f);
	}
	r = results_write_json(results_dir, "summary.json", summary, err);
	cJSON_Delete(summary);
	groups_free(&gs);
	return r;
}

int stats_summarize(const char *results_dir, struct herror *err)
{
	return stats_summarize_run(results_dir, NULL, err);
}
