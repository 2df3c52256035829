#include "plan.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void plan_combo_values(struct plan_combo *it)
{
	for (size_t a = 0; a < it->def->naxes; a++)
		it->vals[a] = it->def->axes[a].values[it->idx[a]];
}

bool plan_combo_first(struct plan_combo *it, const struct experiment_def *def, size_t max)
{
	size_t total = 1;

	it->def = def;
	if (def->naxes > PLAN_AXES_MAX)
		return false;
	for (size_t a = 0; a < def->naxes; a++) {
		if (def->axes[a].nvalues == 0 || total > max / def->axes[a].nvalues)
			return false;
		total *= def->axes[a].nvalues;
		it->idx[a] = 0;
	}
	plan_combo_values(it);
	return true;
}

bool plan_combo_next(struct plan_combo *it)
{
	size_t a = 0, na = it->def->naxes;

	while (a < na && ++it->idx[a] == it->def->axes[a].nvalues)
		it->idx[a++] = 0;
	if (a == na)
		return false;
	plan_combo_values(it);
	return true;
}

/* Warm-ups first, then round by round; each round shuffled from the seed
 * when the order is shuffled. */
static void plan_reorder(const struct suite *s, struct plan *p)
{
	struct plan_run *out = xcalloc(p->nruns + 1, sizeof(*out));
	size_t n = 0;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	int last = 0;	/* the highest repeat: experiments may set their own */

	for (size_t i = 0; i < p->nruns; i++)
		if (p->runs[i].repeat > last)
			last = p->runs[i].repeat;
	gsl_rng_set(rng, s->seed);
	for (int rep = 0; rep <= last; rep++) {
		size_t first = n;

		for (size_t i = 0; i < p->nruns; i++)
			if (p->runs[i].repeat == rep)
				out[n++] = p->runs[i];
		if (rep > 0 && s->order == ORDER_SHUFFLED && n - first > 1)
			gsl_ran_shuffle(rng, out + first, n - first, sizeof(*out));
	}
	gsl_rng_free(rng);
	free(p->runs);
	p->runs = out;
}

int plan_build(const struct suite *s, struct plan *p)
{
	size_t cap = 0;

	memset(p, 0, sizeof(*p));
	for (size_t e = 0; e < s->nexps; e++) {
		size_t combos = 1;
		for (size_t a = 0; a < s->exps[e].naxes; a++)
			combos *= s->exps[e].axes[a].nvalues;
		cap += combos * (size_t)(experiment_warmup(s, &s->exps[e]) + experiment_repeats(s, &s->exps[e]));
	}
	p->runs = xcalloc(cap, sizeof(*p->runs));
	for (size_t e = 0; e < s->nexps; e++) {
		const struct experiment_def *ex = &s->exps[e];
		int warmup = experiment_warmup(s, ex), repeats = experiment_repeats(s, ex);
		size_t combos = 1;

		for (size_t a = 0; a < ex->naxes; a++)
			combos *= ex->axes[a].nvalues;
		for (size_t k = 0; k < combos; k++) {
			/* Warm-ups run once per combination, before its repeats. */
			for (int rep = (warmup ? -warmup + 1 : 1); rep <= repeats; rep++) {
				struct plan_run *r = &p->runs[p->nruns];
				size_t idx = k;
				char buf[512];
				int off;

				r->exp = e;
				r->repeat = rep > 0 ? rep : 0;
				r->values = xcalloc(ex->naxes, sizeof(char *));
				off = snprintf(buf, sizeof(buf), "%03zu-%s", p->nruns + 1, ex->type);
				for (size_t a = ex->naxes; a-- > 0;) {
					r->values[a] = ex->axes[a].values[idx % ex->axes[a].nvalues];
					idx /= ex->axes[a].nvalues;
				}
				for (size_t a = 0; a < ex->naxes && off < (int)sizeof(buf); a++)
					off += snprintf(buf + off, sizeof(buf) - off, "-%s=%s", ex->axes[a].key, r->values[a]);
				if (off < (int)sizeof(buf)) {
					if (rep > 0)
						snprintf(buf + off, sizeof(buf) - off, "-r%d", rep);
					else
						snprintf(buf + off, sizeof(buf) - off, "-warmup%d", rep + warmup);
				}
				for (char *c = buf; *c; c++)
					if (*c == ':' || *c == '/' || *c == ' ')
						*c = '_';
				r->id = xstrdup(buf);
				p->nruns++;
			}
		}
	}
	p->order = s->order;
	p->seed = s->seed;
	p->rounds = s->order == ORDER_SHUFFLED || s->repeats_auto;
	if (p->rounds)
		plan_reorder(s, p);
	return 0;
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nruns; i++) {
		free(p->runs[i].values);
		free(p->runs[i].id);
	}
	free(p->runs);
	memset(p, 0, sizeof(*p));
}

const char *plan_value(const struct suite *s, const struct plan_run *r, const char *key)
{
	const struct experiment_def *e = &s->exps[r->exp];

	for (size_t a = 0; a < e->naxes; a++)
		if (strcmp(e->axes[a].key, key) == 0)
			return r->values[a];
	return NULL;
}
