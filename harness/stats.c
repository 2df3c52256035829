#include "stats.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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

static cJSON *stats_json(const double *x, size_t n)
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
	return o;
}

struct group {
	cJSON *first;		/* a record of the group, for settings and guests */
	cJSON **recs;
	size_t n;
};

/* Collect one metric of guest gi over a group's runs. */
static size_t collect(const struct group *g, const char *guest, const char *const *path, double *out)
{
	size_t k = 0;

	for (size_t r = 0; r < g->n; r++) {
		cJSON *gl = cJSON_GetObjectItemCaseSensitive(g->recs[r], "guests"), *it;
		cJSON_ArrayForEach(it, gl) {
			cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
			if (!cJSON_IsString(name) || strcmp(name->valuestring, guest) != 0)
				continue;
			cJSON *v = it;
			for (size_t p = 0; path[p] && v; p++)
				v = cJSON_GetObjectItemCaseSensitive(v, path[p]);
			if (cJSON_IsNumber(v))
				out[k++] = v->valuedouble;
		}
	}
	return k;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int run_records_load(const char *results_dir, struct run_records *rr, struct herr *err)
{
	cleanup_free char *runs = xasprintf("%s/runs", results_dir);
	DIR *d = opendir(runs);
	struct dirent *e;
	char **names = NULL;
	size_t nnames = 0, cap = 0;

	memset(rr, 0, sizeof(*rr));
	if (d == NULL)
		return herr_sys(err, errno, "cannot open results '%s'", runs);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(char *));
			if (names == NULL)
				abort();
		}
		names[nnames++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (nnames)
		qsort(names, nnames, sizeof(char *), cmp_names);
	rr->recs = xcalloc(nnames, sizeof(cJSON *));
	for (size_t i = 0; i < nnames; i++) {
		cleanup_free char *path = xasprintf("%s/%s", runs, names[i]);
		cleanup_free char *text = read_file(path, NULL, NULL);
		cJSON *rec = text ? cJSON_Parse(text) : NULL;

		free(names[i]);
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "ok")) &&
		    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "experiment")))
			rr->recs[rr->n++] = rec;
		else
			cJSON_Delete(rec);
	}
	free(names);
	return 0;
}

void run_records_free(struct run_records *rr)
{
	for (size_t i = 0; i < rr->n; i++)
		cJSON_Delete(rr->recs[i]);
	free(rr->recs);
	memset(rr, 0, sizeof(*rr));
}

bool run_records_same_group(cJSON *a, cJSON *b)
{
	cJSON *ea = cJSON_GetObjectItemCaseSensitive(a, "experiment");
	cJSON *eb = cJSON_GetObjectItemCaseSensitive(b, "experiment");

	return cJSON_IsString(ea) && cJSON_IsString(eb) && strcmp(ea->valuestring, eb->valuestring) == 0 &&
	       cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a, "settings"),
			     cJSON_GetObjectItemCaseSensitive(b, "settings"), 1);
}

int stats_summarize(const char *results_dir, struct herr *err)
{
	struct run_records rr;
	struct group *groups = NULL;
	size_t ngroups = 0;
	cJSON *summary, *gj;
	int r;

	if (run_records_load(results_dir, &rr, err) < 0)
		return -err->code;
	groups = xcalloc(rr.n, sizeof(*groups));
	for (size_t i = 0; i < rr.n; i++) {
		cJSON *rec = rr.recs[i];
		struct group *g = NULL;

		for (size_t k = 0; k < ngroups && !g; k++)
			if (run_records_same_group(groups[k].first, rec))
				g = &groups[k];
		if (g == NULL) {
			g = &groups[ngroups++];
			g->first = rec;
			g->recs = xcalloc(rr.n, sizeof(cJSON *));
		}
		g->recs[g->n++] = rec;
	}

	summary = cJSON_CreateObject();
	cJSON_AddStringToObject(summary, "schema", "harness-summary/1");
	gj = cJSON_AddArrayToObject(summary, "groups");
	for (size_t k = 0; k < ngroups; k++) {
		struct group *g = &groups[k];
		cJSON *o = cJSON_CreateObject(), *gl, *it;
		double *x = xcalloc(g->n + 1, sizeof(double));

		cJSON_AddItemToObject(o, "experiment",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(g->first, "experiment"), 1));
		cJSON_AddItemToObject(o, "settings",
				      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(g->first, "settings"), 1));
		cJSON_AddNumberToObject(o, "runs", (double)g->n);
		gl = cJSON_AddArrayToObject(o, "guests");
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(g->first, "guests")) {
			cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
			cJSON *go = cJSON_CreateObject();
			static const char *const ms[] = { "measured_share", NULL };
			static const char *const es[] = { "expected_share", NULL };
			static const char *const up[] = { "guest", "units_per_s", NULL };
			static const char *const st[] = { "guest", "steal_pct", NULL };
			static const char *const bs[] = { "boot_s", NULL };
			static const char *const rss[] = { "qemu_rss_mib", NULL };
			static const char *const wt[] = { "weight", NULL };
			static const struct { const char *key; const char *const *path; } metrics[] = {
				{ "measured_share", ms }, { "expected_share", es }, { "units_per_s", up },
				{ "steal_pct", st }, { "boot_s", bs }, { "qemu_rss_mib", rss }, { "weight", wt },
			};
			if (!cJSON_IsString(name)) {
				cJSON_Delete(go);
				continue;
			}
			cJSON_AddStringToObject(go, "name", name->valuestring);
			for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
				size_t n = collect(g, name->valuestring, metrics[m].path, x);
				if (n > 0)
					cJSON_AddItemToObject(go, metrics[m].key, stats_json(x, n));
			}
			cJSON_AddItemToArray(gl, go);
		}
		size_t nf = 0;
		for (size_t r2 = 0; r2 < g->n; r2++) {
			cJSON *f = cJSON_GetObjectItemCaseSensitive(g->recs[r2], "fairness_index");
			if (cJSON_IsNumber(f))
				x[nf++] = f->valuedouble;
		}
		if (nf)
			cJSON_AddItemToObject(o, "fairness_index", stats_json(x, nf));
		free(x);
		cJSON_AddItemToArray(gj, o);
	}
	{
		cleanup_free char *path = xasprintf("%s/summary.json", results_dir);
		cleanup_free char *text = cJSON_Print(summary);
		r = write_file_atomic(path, text, strlen(text), err);
	}
	cJSON_Delete(summary);
	for (size_t k = 0; k < ngroups; k++)
		free(groups[k].recs);
	free(groups);
	run_records_free(&rr);
	return r;
}
