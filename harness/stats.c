#include "stats.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
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

/* One group: the records of one experiment with the same settings. */
static cJSON *group_json(const struct run_records *g)
{
	cJSON *first = g->recs[0], *o = cJSON_CreateObject(), *gl, *it;
	cJSON *exp = cJSON_GetObjectItemCaseSensitive(first, "experiment");
	const struct experiment *ops = experiment_find(exp->valuestring);
	size_t cap = g->n + 1;
	double *x;

	/* Room for one value per record and guest entry. */
	for (size_t r = 0; r < g->n; r++)
		cap += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g->recs[r], "guests"));
	x = xcalloc(cap, sizeof(double));
	cJSON_AddItemToObject(o, "experiment", cJSON_Duplicate(exp, 1));
	cJSON_AddItemToObject(o, "settings", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(first, "settings"), 1));
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
			size_t n;

			if (mt->scope != METRIC_PER_GUEST || !(mt->use & METRIC_SUMMARY))
				continue;
			n = records_values(g, NULL, name->valuestring, mt->path, x);
			if (n > 0)
				cJSON_AddItemToObject(go, mt->name, stats_json(x, n));
		}
		cJSON_AddItemToArray(gl, go);
	}
	for (size_t m = 0; ops && m < ops->nmetrics; m++) {
		const struct exp_metric *mt = &ops->metrics[m];
		size_t n;

		if (mt->scope != METRIC_PER_RUN || !(mt->use & METRIC_SUMMARY))
			continue;
		n = records_values(g, NULL, NULL, mt->path, x);
		if (n > 0)
			cJSON_AddItemToObject(o, mt->name, stats_json(x, n));
	}
	free(x);
	return o;
}

int stats_summarize(const char *results_dir, struct herror *err)
{
	struct run_records rr;
	struct run_records *groups;
	size_t ngroups = 0;
	cJSON *summary, *gj;
	int r;

	if (records_load(results_dir, RECORDS_OK, &rr, err) < 0)
		return -err->status;
	groups = xcalloc(rr.n + 1, sizeof(*groups));
	for (size_t i = 0; i < rr.n; i++) {
		cJSON *rec = rr.recs[i];
		struct run_records *g = NULL;

		for (size_t k = 0; k < ngroups && !g; k++)
			if (records_same_group(groups[k].recs[0], rec))
				g = &groups[k];
		if (g == NULL) {
			g = &groups[ngroups++];
			g->recs = xcalloc(rr.n, sizeof(cJSON *));
		}
		g->recs[g->n++] = rec;
	}

	summary = cJSON_CreateObject();
	cJSON_AddStringToObject(summary, "schema", "harness-summary/1");
	gj = cJSON_AddArrayToObject(summary, "groups");
	for (size_t k = 0; k < ngroups; k++)
		cJSON_AddItemToArray(gj, group_json(&groups[k]));
	r = results_write_json(results_dir, "summary.json", summary, err);
	cJSON_Delete(summary);
	for (size_t k = 0; k < ngroups; k++)
		free(groups[k].recs);
	free(groups);
	records_free(&rr);
	return r;
}
