#include "changepoint.h"

#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The sums of |x_i - x_j| over the pairs of x[s..e) within [s, tau), within
 * [tau, e) and between the two. */
static void distance_sums(const double *x, size_t s, size_t e, size_t tau, double *wl, double *wr, double *between)
{
	*wl = *wr = *between = 0;
	for (size_t i = s; i < e; i++)
		for (size_t j = i + 1; j < e; j++) {
			double d = fabs(x[i] - x[j]);

			if (j < tau)
				*wl += d;
			else if (i >= tau)
				*wr += d;
			else
				*between += d;
		}
}

double cp_energy(const double *x, size_t n, size_t tau)
{
	double between, wl, wr, m = (double)tau, k = (double)(n - tau), e;

	if (tau == 0 || tau >= n)
		return 0;
	distance_sums(x, 0, n, tau, &wl, &wr, &between);
	e = 2 * between / (m * k) - (tau > 1 ? wl / (m * (m - 1) / 2) : 0) - (n - tau > 1 ? wr / (k * (k - 1) / 2) : 0);
	return m * k / (m + k) * e;
}

/* The tau in [s + min, e - min] with the largest energy statistic over
 * x[s..e), in O((e - s)^2): each step moves one point from the right side
 * to the left and updates the three sums of distances by its row. */
static bool best_split(const double *x, size_t s, size_t e, size_t min, size_t *tau_out, double *q_out)
{
	double between, wl, wr, best = -INFINITY;
	size_t t0 = s + min, tau;

	if (e - s < 2 * min)
		return false;
	distance_sums(x, s, e, t0, &wl, &wr, &between);
	for (tau = t0; tau + min <= e; tau++) {
		double m = (double)(tau - s), k = (double)(e - tau), rl = 0, rr = 0;
		double q = m * k / (m + k) * (2 * between / (m * k) - wl / (m * (m - 1) / 2) - wr / (k * (k - 1) / 2));

		if (q > best) {
			best = q;
			*tau_out = tau;
		}
		/* x[tau] joins the left side. */
		for (size_t i = s; i < tau; i++)
			rl += fabs(x[tau] - x[i]);
		for (size_t j = tau + 1; j < e; j++)
			rr += fabs(x[tau] - x[j]);
		wl += rl;
		wr -= rr;
		between += rr - rl;
	}
	*q_out = best;
	return true;
}

static void mean_sd(const double *x, size_t a, size_t b, double *mean, double *ss)
{
	double m = 0, s = 0;

	for (size_t i = a; i < b; i++)
		m += x[i];
	m = b > a ? m / (double)(b - a) : NAN;
	for (size_t i = a; i < b; i++)
		s += (x[i] - m) * (x[i] - m);
	*mean = m;
	*ss = s;
}

void cp_ttest(const double *x, size_t a, size_t b, size_t c, struct cp_point *o)
{
	double ssl, ssr, nl = (double)(b - a), nr = (double)(c - b), df = nl + nr - 2, pooled, se;

	memset(o, 0, sizeof(*o));
	o->index = b;
	o->n_before = b - a;
	o->n_after = c - b;
	mean_sd(x, a, b, &o->mean_before, &ssl);
	mean_sd(x, b, c, &o->mean_after, &ssr);
	o->sd_before = nl > 1 ? sqrt(ssl / (nl - 1)) : 0;
	o->sd_after = nr > 1 ? sqrt(ssr / (nr - 1)) : 0;
	o->rel_change = o->mean_before != 0 ? (o->mean_after - o->mean_before) / fabs(o->mean_before) : 0;
	if (nl < 1 || nr < 1 || df < 1) {
		o->p = 1;
		return;
	}
	pooled = (ssl + ssr) / df;
	se = sqrt(pooled * (1 / nl + 1 / nr));
	if (se == 0) {
		/* No spread on either side: a difference is certain, none is nothing. */
		o->t = o->mean_after == o->mean_before ? 0 : copysign(INFINITY, o->mean_after - o->mean_before);
		o->p = o->mean_after == o->mean_before ? 1 : 0;
		return;
	}
	o->t = (o->mean_after - o->mean_before) / se;
	o->p = 2 * gsl_cdf_tdist_Q(fabs(o->t), df);
}

/* A sorted set of indexes. */
struct idx_set {
	size_t *v;
	size_t n, cap;
};

static void idx_add(struct idx_set *s, size_t i)
{
	size_t k = 0;

	while (k < s->n && s->v[k] < i)
		k++;
	if (k < s->n && s->v[k] == i)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = realloc(s->v, s->cap * sizeof(size_t));
		if (s->v == NULL)
			abort();
	}
	memmove(s->v + k + 1, s->v + k, (s->n - k) * sizeof(size_t));
	s->v[k] = i;
	s->n++;
}

/* Hierarchical E-Divisive over x[s..e): the best split of any current
 * segment, kept while the t-test between its neighbours says p < pmax. */
static void edivisive(const double *x, size_t s, size_t e, size_t min, double pmax, struct idx_set *found)
{
	struct idx_set b = { 0 };

	idx_add(&b, s);
	idx_add(&b, e);
	for (;;) {
		double best = -INFINITY, q;
		size_t tau = 0, at = 0, t;
		struct cp_point cp;

		for (size_t k = 0; k + 1 < b.n; k++)
			if (best_split(x, b.v[k], b.v[k + 1], min, &t, &q) && q > best) {
				best = q;
				tau = t;
				at = k;
			}
		if (best == -INFINITY)
			break;
		cp_ttest(x, b.v[at], tau, b.v[at + 1], &cp);
		if (!(cp.p < pmax))
			break;
		idx_add(&b, tau);
		idx_add(found, tau);
	}
	free(b.v);
}

/* Each change point's statistics against its neighbours. */
static void point_stats(const double *x, size_t n, const struct idx_set *s, struct cp_point *out)
{
	for (size_t k = 0; k < s->n; k++)
		cp_ttest(x, k ? s->v[k - 1] : 0, s->v[k], k + 1 < s->n ? s->v[k + 1] : n, &out[k]);
}

int cp_detect(const double *x, size_t n, const struct cp_params *p, struct cp_point **out, size_t *nout)
{
	struct idx_set found = { 0 };
	struct cp_point *pts;
	size_t start = 0, step;

	*out = NULL;
	*nout = 0;
	if (p->min_size < 2 || p->window < 2 * p->min_size || !(p->max_pvalue > 0 && p->max_pvalue < 1) ||
	    !(p->min_magnitude >= 0))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	/* Otava: candidates from overlapping windows at a p ten times looser,
	 * each window starting at the last change point found or half a window on. */
	step = p->window / 2;
	while (start < n) {
		size_t end = start + p->window < n ? start + p->window : n, before = found.n, last = 0;

		edivisive(x, start, end, p->min_size, fmin(10 * p->max_pvalue, 0.5), &found);
		for (size_t k = 0; k < found.n; k++)
			if (found.v[k] >= start && found.v[k] < end && found.v[k] > last)
				last = found.v[k];
		if (end == n)
			break;
		start = found.n > before && last > start + step ? last : start + step;
	}
	/* Then the weakest goes, one at a time, while any fails the p-value
	 * or the magnitude: its neighbours' statistics change with it. */
	pts = xcalloc(found.n + 1, sizeof(*pts));
	while (found.n) {
		size_t weak = 0;

		point_stats(x, n, &found, pts);
		for (size_t k = 1; k < found.n; k++)
			if (pts[k].p > pts[weak].p)
				weak = k;
		if (pts[weak].p < p->max_pvalue) {
			weak = 0;
			for (size_t k = 1; k < found.n; k++)
				if (fabs(pts[k].rel_change) < fabs(pts[weak].rel_change))
					weak = k;
			if (fabs(pts[weak].rel_change) >= p->min_magnitude)
				break;
		}
		memmove(found.v + weak, found.v + weak + 1, (found.n - weak - 1) * sizeof(size_t));
		found.n--;
	}
	free(found.v);
	if (found.n == 0) {
		free(pts);
		return 0;
	}
	*out = pts;
	*nout = found.n;
	return 0;
}
