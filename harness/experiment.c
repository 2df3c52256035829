#include "experiment.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"

const struct exp_setting *exp_setting_find(const struct experiment *e, const char *key)
{
	for (size_t i = 0; i < e->nsettings; i++)
		if (strcmp(e->settings[i].key, key) == 0)
			return &e->settings[i];
	return NULL;
}

const char *exp_setting_value(const struct exp_run *x, const char *key)
{
	const struct experiment_def *d = x->def;
	const struct exp_setting *st;

	for (size_t a = 0; a < d->naxes; a++)
		if (strcmp(d->axes[a].key, key) == 0)
			return x->run->values[a];
	st = d->ops ? exp_setting_find(d->ops, key) : NULL;
	return st ? st->def : NULL;
}

const char *exp_values_get(const struct exp_values *v, const char *key)
{
	const struct experiment_def *d = v->def;
	const struct exp_setting *st;

	for (size_t a = 0; a < d->naxes; a++)
		if (strcmp(d->axes[a].key, key) == 0)
			return v->vals[a];
	st = d->ops ? exp_setting_find(d->ops, key) : NULL;
	return st ? st->def : NULL;
}

int exp_check_combinations(const struct suite *s, const struct experiment_def *def, char *why, size_t whylen)
{
	struct plan_combo it;

	if (def->ops == NULL || def->ops->check_combination == NULL)
		return 0;
	/* Too many axes or combinations: the plan's checks refuse the suite. */
	if (!plan_combo_first(&it, def, 100000))
		return 0;
	do {
		struct exp_values v = { def, it.vals, s };

		if (def->ops->check_combination(&v, why, whylen) < 0)
			return -EINVAL;
	} while (plan_combo_next(&it));
	return 0;
}

int exp_setting_check(const struct exp_setting *st, const char *value, const struct suite *s, char *why,
		      size_t whylen)
{
	if (st->allowed) {
		bool found = false;
		size_t off;

		for (size_t i = 0; st->allowed[i] && !found; i++)
			found = strcmp(value, st->allowed[i]) == 0;
		if (!found) {
			off = (size_t)snprintf(why, whylen, "'%s' is not one of: ", value);
			for (size_t i = 0; st->allowed[i] && off < whylen; i++)
				off += (size_t)snprintf(why + off, whylen - off, "%s%s", i ? ", " : "", st->allowed[i]);
			return -EINVAL;
		}
	}
	return st->check ? st->check(value, s, why, whylen) : 0;
}
