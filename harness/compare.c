#include "compare.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments.h"
#include "records.h"
#include "stats.h"

int welch_test(const double *a, size_t na, const double *b, size_t nb, struct welch *out)
{
	struct summary_stats sa, sb;
	double va, vb, se2;

	if (na < 2 || nb < 2)
		return -EINVAL;
	stats_describe(a, na, &sa);
	stats_describe(b, nb, &sb);
	va = sa.sd * sa.sd / (double)na;
	vb = sb.sd * sb.sd / (double)nb;
	se2 = va + vb;
	if (se2 == 0) {
		/* No spread at all: any difference is certain, none is nothing. */
		out->t = sa.mean == sb.mean ? 0 : INFINITY;
		out->df = (double)(na + nb - 2);
		out->p = sa.mean == sb.mean ? 1 : 0;
		return 0;
	}
	out->t = (sb.mean - sa.mean) / sqrt(se2);
	out->df = se2 * se2 / (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
	out->p = 2 * gsl_cdf_tdist_Q(fabs(out->t), out->df);
	return 0;
}

/* One line of the comparison: a metric of one guest (or of the run, guest
 * NULL) over the runs of rec's group in both results. */
static int compare_metric(const struct run_records *a, const struct run_records *b, cJSON *rec, const char *guest,
			  const struct exp_metric *mt, const char *exp, const char *settings,
			  const struct compare_options *opt, double *xa, double *xb)
{
	size_t na = records_values(a, rec, guest, mt->path, xa);
	size_t nb = records_values(b, rec, guest, mt->path, xb);
	struct summary_stats sa, sb;
	struct welch w;
	const char *verdict;
	int regression = 0;
	double rel;

	if (na == 0 || nb == 0)
		return -ENOENT;
	stats_describe(xa, na, &sa);
	stats_describe(xb, nb, &sb);
	rel = sa.mean != 0 ? (sb.mean - sa.mean) / fabs(sa.mean) : 0;
	if (welch_test(xa, na, xb, nb, &w) < 0) {
		verdict = "too few runs (need 2 on each side)";
		w.p = NAN;
	} else if (w.p >= opt->alpha || fabs(rel) < opt->threshold) {
		verdict = "no change";
	} else if (mt->better == 0) {
		verdict = "changed";
	} else if ((rel > 0) == (mt->better > 0)) {
		verdict = "improvement";
	} else {
		verdict = "REGRESSION";
		regression = 1;
	}
	printf("%-14s %-30s %-6s %-15s %11.4g %11.4g %+7.1f%% %8.3g  %s\n", exp, *settings ? settings : "-",
	       guest ? guest : "-", mt->name, sa.mean, sb.mean, 100 * rel, w.p, verdict);
	return regression;
}

/* Room for one value per record and guest entry. */
static size_t values_room(const struct run_records *rr)
{
	size_t n = rr->n + 1;

	for (size_t r = 0; r < rr->n; r++)
		n += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rr->recs[r], "guests"));
	return n;
}

int compare_results(const char *base_dir, const char *new_dir, const struct compare_options *opt,
		    struct herror *err)
{
	struct run_records a, b;
	int regressions = 0, compared = 0;

	if (records_load(base_dir, RECORDS_OK, &a, err) < 0)
		return -err->status;
	if (records_load(new_dir, RECORDS_OK, &b, err) < 0) {
		records_free(&a);
		return -err->status;
	}
	if (a.n == 0 || b.n == 0) {
		records_free(&a);
		records_free(&b);
		return error_setx(err, ENOENT, "no successful run records in '%s/runs'", a.n ? new_dir : base_dir);
	}
	double *xa = xcalloc(values_room(&a), sizeof(double)), *xb = xcalloc(values_room(&b), sizeof(double));

	printf("%-14s %-30s %-6s %-15s %11s %11s %8s %8s  %s\n", "experiment", "settings", "guest", "metric",
	       "base", "new", "change", "p", "verdict");
	for (size_t i = 0; i < a.n; i++) {
		cJSON *rec = a.recs[i], *g;
		bool first = true;

		/* One line per group: only for its first record in the base. */
		for (size_t j = 0; j < i && first; j++)
			first = !records_same_group(a.recs[j], rec);
		if (!first)
			continue;
		char settings[256] = "";
		size_t off = 0;
		cJSON *kv;
		cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(rec, "settings"))
			if (cJSON_IsString(kv) && off < sizeof(settings))
				off += (size_t)snprintf(settings + off, sizeof(settings) - off, "%s%s=%s",
							off ? "," : "", kv->string, kv->valuestring);
		const char *exp = cJSON_GetObjectItemCaseSensitive(rec, "experiment")->valuestring;
		const struct experiment *ops = experiment_find(exp);
		if (ops == NULL) {
			hwarn("not comparing '%s': no such experiment in this build", exp);
			continue;
		}
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rec, "guests")) {
			cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
			if (!cJSON_IsString(name))
				continue;
			for (size_t m = 0; m < ops->nmetrics; m++) {
				const struct exp_metric *mt = &ops->metrics[m];
				int res;

				if (mt->scope != METRIC_PER_GUEST || !(mt->use & METRIC_COMPARE))
					continue;
				res = compare_metric(&a, &b, rec, name->valuestring, mt, exp, settings, opt, xa, xb);
				if (res >= 0) {
					compared++;
					regressions += res;
				}
			}
		}
		for (size_t m = 0; m < ops->nmetrics; m++) {
			const struct exp_metric *mt = &ops->metrics[m];
			int res;

			if (mt->scope != METRIC_PER_RUN || !(mt->use & METRIC_COMPARE))
				continue;
			res = compare_metric(&a, &b, rec, NULL, mt, exp, settings, opt, xa, xb);
			if (res >= 0) {
				compared++;
				regressions += res;
			}
		}
	}
	free(xa);
	free(xb);
	records_free(&a);
	records_free(&b);
	if (compared == 0)
		return error_setx(err, ENOENT, "the two runs have no experiment and settings in common");
	printf("%d regression(s) (significance %.3g, smallest change %.0f%%)\n", regressions, opt->alpha,
	       100 * opt->threshold);
	return regressions;
}
