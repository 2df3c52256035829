#include "compare.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* Metrics compared, where they live in a run record's guest entry, and
 * which direction is better (+1 higher, -1 lower, 0 neither). */
static const struct metric {
	const char *name;
	const char *path[3];
	int better;
} metrics[] = {
	{ "units_per_s", { "guest", "units_per_s", NULL }, +1 },
	{ "measured_share", { "measured_share", NULL, NULL }, 0 },
	{ "host_cpu_util", { "host_cpu_util", NULL, NULL }, 0 },
	{ "boot_s", { "boot_s", NULL, NULL }, -1 },
	{ "qemu_rss_mib", { "qemu_rss_mib", NULL, NULL }, -1 },
};

/* Values of a metric for a guest over the runs of one group. */
static size_t collect(const struct run_records *rs, cJSON *like, const char *guest, const struct metric *m, double *out)
{
	size_t k = 0;

	for (size_t r = 0; r < rs->n; r++) {
		cJSON *g;
		if (!run_records_same_group(rs->recs[r], like))
			continue;
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rs->recs[r], "guests")) {
			cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name"), *v = g;
			if (!cJSON_IsString(name) || strcmp(name->valuestring, guest) != 0)
				continue;
			for (size_t p = 0; p < 3 && m->path[p] && v; p++)
				v = cJSON_GetObjectItemCaseSensitive(v, m->path[p]);
			if (cJSON_IsNumber(v))
				out[k++] = v->valuedouble;
		}
	}
	return k;
}

int compare_results(const char *base_dir, const char *new_dir, const struct compare_options *opt,
		    struct herr *err)
{
	struct run_records a, b;
	int regressions = 0, compared = 0;

	if (run_records_load(base_dir, &a, err) < 0)
		return -err->code;
	if (run_records_load(new_dir, &b, err) < 0) {
		run_records_free(&a);
		return -err->code;
	}
	if (a.n == 0 || b.n == 0) {
		run_records_free(&a);
		run_records_free(&b);
		return herr_set(err, ENOENT, "no successful run records in '%s/runs'", a.n ? new_dir : base_dir);
	}
	double *xa = xcalloc(a.n, sizeof(double)), *xb = xcalloc(b.n, sizeof(double));

	printf("%-14s %-30s %-6s %-15s %11s %11s %8s %8s  %s\n", "experiment", "settings", "guest", "metric",
	       "base", "new", "change", "p", "verdict");
	for (size_t i = 0; i < a.n; i++) {
		cJSON *rec = a.recs[i], *g;
		bool first = true;

		/* One line per group: only for its first record in the base. */
		for (size_t j = 0; j < i && first; j++)
			first = !run_records_same_group(a.recs[j], rec);
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
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rec, "guests")) {
			cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
			if (!cJSON_IsString(name))
				continue;
			for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
				size_t na = collect(&a, rec, name->valuestring, &metrics[m], xa);
				size_t nb = collect(&b, rec, name->valuestring, &metrics[m], xb);
				struct summary_stats sa, sb;
				struct welch w;
				const char *verdict;
				double rel;

				if (na == 0 || nb == 0)
					continue;
				stats_describe(xa, na, &sa);
				stats_describe(xb, nb, &sb);
				rel = sa.mean != 0 ? (sb.mean - sa.mean) / fabs(sa.mean) : 0;
				if (welch_test(xa, na, xb, nb, &w) < 0) {
					verdict = "too few runs (need 2 on each side)";
					w.p = NAN;
				} else if (w.p >= opt->alpha || fabs(rel) < opt->threshold) {
					verdict = "no change";
				} else if (metrics[m].better == 0) {
					verdict = "changed";
				} else if ((rel > 0) == (metrics[m].better > 0)) {
					verdict = "improvement";
				} else {
					verdict = "REGRESSION";
					regressions++;
				}
				compared++;
				printf("%-14s %-30s %-6s %-15s %11.4g %11.4g %+7.1f%% %8.3g  %s\n", exp,
				       *settings ? settings : "-", name->valuestring, metrics[m].name, sa.mean, sb.mean,
				       100 * rel, w.p, verdict);
			}
		}
	}
	free(xa);
	free(xb);
	run_records_free(&a);
	run_records_free(&b);
	if (compared == 0)
		return herr_set(err, ENOENT, "the two runs have no experiment and settings in common");
	printf("%d regression(s) (significance %.3g, smallest change %.0f%%)\n", regressions, opt->alpha,
	       100 * opt->threshold);
	return regressions;
}
