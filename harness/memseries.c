#include "memseries.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void mem_series_init(struct mem_series *s, const char *const *names, size_t ncol)
{
	memset(s, 0, sizeof(*s));
	if (ncol > MEM_SERIES_MAX_COLUMNS)
		ncol = MEM_SERIES_MAX_COLUMNS;
	for (size_t i = 0; i < ncol; i++)
		s->col[i].name = names[i];
	s->ncol = ncol;
}

static void *grow(void *p, size_t cap)
{
	void *q = realloc(p, cap * sizeof(double));

	if (q == NULL)
		abort();
	return q;
}

void mem_series_push(struct mem_series *s, double t, const double *values)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->t = grow(s->t, s->cap);
		for (size_t i = 0; i < s->ncol; i++)
			s->col[i].v = grow(s->col[i].v, s->cap);
	}
	s->t[s->n] = t;
	for (size_t i = 0; i < s->ncol; i++)
		s->col[i].v[s->n] = values[i];
	s->n++;
}

const double *mem_series_column(const struct mem_series *s, const char *name)
{
	for (size_t i = 0; i < s->ncol; i++)
		if (strcmp(s->col[i].name, name) == 0)
			return s->col[i].v;
	return NULL;
}

void mem_series_free(struct mem_series *s)
{
	free(s->t);
	for (size_t i = 0; i < s->ncol; i++)
		free(s->col[i].v);
	memset(s, 0, sizeof(*s));
}

static cJSON *rounded(double v, double unit)
{
	return isfinite(v) ? cJSON_CreateNumber(round(v / unit) * unit) : cJSON_CreateNull();
}

cJSON *mem_series_json(const struct mem_series *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *t = cJSON_AddArrayToObject(o, "t");

	for (size_t k = 0; k < s->n; k++)
		cJSON_AddItemToArray(t, rounded(s->t[k], 0.001));
	for (size_t i = 0; i < s->ncol; i++) {
		cJSON *a = cJSON_AddArrayToObject(o, s->col[i].name);
		for (size_t k = 0; k < s->n; k++)
			cJSON_AddItemToArray(a, rounded(s->col[i].v[k], 0.1));
	}
	return o;
}

void balloon_reach(const double *t, const double *v, size_t n, double t_set, double t_end, double target,
		   double tol, struct balloon_reach *out)
{
	out->reached = false;
	out->time_to_target_s = NAN;
	out->final_error = NAN;
	out->samples = 0;
	for (size_t k = 0; k < n; k++) {
		if (t[k] < t_set || t[k] > t_end || !isfinite(v[k]))
			continue;
		out->samples++;
		out->final_error = v[k] - target;
		if (!out->reached && fabs(v[k] - target) <= tol) {
			out->reached = true;
			out->time_to_target_s = t[k] - t_set;
		}
	}
}

void reclaim_judge(double before_kib, double low_kib, double after_kib, double tol_kib, struct reclaim *out)
{
	out->before_kib = before_kib;
	out->after_kib = after_kib;
	out->low_kib = low_kib;
	out->error_kib = before_kib - after_kib;
	out->reclaimed_frac = before_kib > low_kib ? (after_kib - low_kib) / (before_kib - low_kib) : NAN;
	out->within = isfinite(out->error_kib) && out->error_kib <= tol_kib;
}

void reclaim_attribute(double qemu_held_kib, double avail_before_kib, double avail_after_kib,
		       double others_before_kib, double others_after_kib, double tol_kib, struct reclaim_attr *out)
{
	out->guests_kib = qemu_held_kib;
	out->host_change_kib = avail_after_kib - avail_before_kib;
	out->others_kib = -(others_after_kib - others_before_kib);
	out->returned_kib = out->host_change_kib - out->others_kib;
	out->error_kib = qemu_held_kib - out->returned_kib;
	/* Below a MiB the change is noise, and the fraction meaningless. */
	out->guests_frac = fabs(out->host_change_kib) >= 1024 ? qemu_held_kib / out->host_change_kib : NAN;
	out->within = isfinite(out->error_kib) && fabs(out->error_kib) <= tol_kib;
}

int proc_kib_field(const char *text, const char *key, unsigned long long *kib)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(p + klen + 1, &end, 10);
			if (errno || end == p + klen + 1)
				return -EINVAL;
			*kib = v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}
