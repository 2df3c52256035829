/* The statistics against values computed independently. SciPy is not
 * installed here, so the references are exact values derived by hand
 * (enumerated permutations, closed forms of the F distribution with 2
 * numerator degrees of freedom) or computed by a separate pure-Python
 * program (exact enumeration; Simpson integration of Student's t density),
 * quoted beside each constant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>

#include "records.h"
#include "stats.h"

static void test_permutation_exact(void **state)
{
	double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 }, c[] = { 1, 2, 4 }, d[] = { 3, 5, 6 };
	double e[] = { 1, 2, 3, 4 }, f[] = { 5, 6, 7, 8 }, same[] = { 1, 1, 1 };
	struct perm_result r;

	(void)state;
	/* 20 splits of 6 values; only the observed one and its mirror reach |3|. */
	assert_int_equal(stats_permutation_test(a, 3, b, 3, 1, &r), 0);
	assert_true(r.exact);
	assert_float_equal(r.p, 2.0 / 20, 1e-12);
	assert_float_equal(r.min_p, 2.0 / 20, 1e-12);
	/* |mean difference| >= 7/3: side-a sums <= 7 ({1,2,3}, {1,2,4}) or >= 14: 4 of 20. */
	assert_int_equal(stats_permutation_test(c, 3, d, 3, 1, &r), 0);
	assert_float_equal(r.p, 4.0 / 20, 1e-12);
	/* 4 against 4: 2 of C(8,4) = 70. */
	assert_int_equal(stats_permutation_test(e, 4, f, 4, 1, &r), 0);
	assert_float_equal(r.p, 2.0 / 70, 1e-12);
	/* No difference at all: every split is as extreme. */
	assert_int_equal(stats_permutation_test(same, 3, same, 3, 1, &r), 0);
	assert_float_equal(r.p, 1.0, 1e-12);
	assert_int_equal(stats_permutation_test(a, 0, b, 3, 1, &r), -EINVAL);
}

static void test_permutation_limits(void **state)
{
	(void)state;
	/* 2 against 2: 6 splits, the smallest two-sided p is 2/6. */
	assert_float_equal(stats_permutation_min_p(2, 2), 1.0 / 3, 1e-12);
	/* 3 a side: 2/20 = 0.1; 4 a side: 2/70 < 0.05. */
	assert_int_equal(stats_permutation_runs_needed(0.05, 1), 4);
	/* Six tests under Holm: 2/252 * 6 = 0.048 < 0.05 at 5 a side; 2/70 * 6 is not. */
	assert_int_equal(stats_permutation_runs_needed(0.05, 6), 5);
	/* Twelve: 2/924 * 12 = 0.026 at 6 a side; 2/252 * 12 = 0.095 at 5. */
	assert_int_equal(stats_permutation_runs_needed(0.05, 12), 6);
}

static void test_permutation_resampled(void **state)
{
	double a[] = { 10.1, 9.8, 10.4, 10.0, 9.7, 10.3, 10.2, 9.9, 10.6, 10.0, 9.5, 10.1 };
	double b[] = { 10.5, 10.2, 10.9, 10.1, 10.4, 10.8, 9.9, 10.6, 10.3, 10.7, 10.2, 10.0 };
	struct perm_result r1, r2;

	(void)state;
	/* C(24,12) = 2704156 splits: resampled. Exact p by enumerating all of
	 * them in Python: 54348 / 2704156 = 0.020098; 10000 resamples have a
	 * standard error of sqrt(p(1-p)/10000) = 0.0014, so 0.006 is 4 of them. */
	assert_int_equal(stats_permutation_test(a, 12, b, 12, 42, &r1), 0);
	assert_false(r1.exact);
	assert_float_equal(r1.p, 0.020098, 0.006);
	/* The same seed gives the same p. */
	assert_int_equal(stats_permutation_test(a, 12, b, 12, 42, &r2), 0);
	assert_float_equal(r1.p, r2.p, 0);
}

static void test_holm(void **state)
{
	double p[] = { 0.01, 0.04, 0.03, 0.005 }, adj[4];

	(void)state;
	/* By hand (as R's p.adjust(method = "holm")): sorted 0.005, 0.01,
	 * 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04, then the
	 * running maximum: 0.02, 0.03, 0.06, 0.06. */
	stats_holm(p, 4, adj);
	assert_float_equal(adj[0], 0.03, 1e-12);
	assert_float_equal(adj[1], 0.06, 1e-12);
	assert_float_equal(adj[2], 0.06, 1e-12);
	assert_float_equal(adj[3], 0.02, 1e-12);
}

static void test_bootstrap(void **state)
{
	double a[] = { 100, 100, 100, 100 }, b[] = { 90, 90, 90, 90 };
	double c[] = { 98, 101, 103, 99, 100 }, d[] = { 88, 91, 90, 87, 92 };
	double lo, hi, lo2, hi2;

	(void)state;
	/* No spread: every resample gives -10%. */
	assert_int_equal(stats_bootstrap_rel_change(a, 4, b, 4, 7, 2000, &lo, &hi), 0);
	assert_float_equal(lo, -0.1, 1e-12);
	assert_float_equal(hi, -0.1, 1e-12);
	/* The interval holds the observed change (-10.2%), inside the extremes
	 * a resample can reach ((87 - 103) / 103 and (92 - 98) / 98). */
	assert_int_equal(stats_bootstrap_rel_change(c, 5, d, 5, 7, 5000, &lo, &hi), 0);
	assert_true(lo < -0.102 && hi > -0.102);
	assert_true(lo > -16.0 / 103 && hi < -6.0 / 98);
	assert_int_equal(stats_bootstrap_rel_change(c, 5, d, 5, 7, 5000, &lo2, &hi2), 0);
	assert_float_equal(lo, lo2, 0);
	assert_float_equal(hi, hi2, 0);
}

static void test_tost(void **state)
{
	double a[] = { 9, 10, 11 }, b[] = { 9.2, 10.2, 11.2 }, c[] = { 9.9, 10, 10.1 }, d[] = { 10, 10.1, 10.2 };
	double p;

	(void)state;
	/* Welch df = 4, t = (0.2 -+ 1) / sqrt(2/3) = 1.4697, -0.9798; the larger
	 * one-sided p is P(T4 < -0.9798) = 0.191331 (Simpson integration of
	 * the t density in Python): not shown equivalent within 10%. */
	assert_int_equal(stats_tost_rel(a, 3, b, 3, 0.1, &p), 0);
	assert_float_equal(p, 0.191331, 1e-5);
	/* Tight values 1% apart are equivalent within 10%. */
	assert_int_equal(stats_tost_rel(c, 3, d, 3, 0.1, &p), 0);
	assert_true(p < 0.05);
	assert_int_equal(stats_tost_rel(a, 1, b, 3, 0.1, &p), -EINVAL);
}

static void test_power(void **state)
{
	(void)state;
	/* (t(0.975, 18) + t(0.8, 18)) * sqrt(2/10) = (2.1009 + 0.8624) * 0.4472
	 * = 1.32508 (t quantiles by bisection on the integrated density in
	 * Python; tables give 2.101 and 0.862). */
	assert_float_equal(stats_detectable_sds(10, 0.05, 0.8), 1.32508, 1e-4);
	assert_true(isinf(stats_detectable_sds(1, 0.05, 0.8)));
	/* Needing what 10 a side detects takes 10 a side. */
	assert_int_equal(stats_runs_needed(1.32509, 0.05, 0.8, 1000), 10);
	assert_int_equal(stats_runs_needed(1e-6, 0.05, 0.8, 50), 50);
}

static void test_anova(void **state)
{
	/* 3 x 2 levels, 2 per cell. */
	double y[] = { 4, 6, 8, 10, 5, 9, 12, 14, 6, 8, 9, 13 };
	size_t la[] = { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, lb[] = { 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1 };
	size_t *levels[] = { la, lb }, nlevels[] = { 3, 2 };
	struct anova o;

	(void)state;
	/* By hand: grand mean 8.667; SS_A = 18.667, SS_B = 65.333,
	 * SS_AB = 2.667, SS_error = 24 (6 df), SS_total = 110.667.
	 * F_A = 9.333/4 = 2.3333 and F_AB = 1.3333/4 = 0.3333 on (2, 6) df,
	 * where Q(F; 2, d) = (1 + 2F/d)^(-d/2): p_A = (16/9)^-3 = 729/4096,
	 * p_AB = 0.9^3 = 0.729. F_B = 16.333 on (1, 6): p = 2 P(T6 > 4.0415)
	 * = 0.0067915 (integrated t density in Python). */
	assert_int_equal(stats_anova(y, 12, 2, nlevels, levels, &o), 0);
	assert_int_equal(o.nterms, 3);
	assert_float_equal(o.ss_total, 110.0 + 2.0 / 3, 1e-9);
	assert_float_equal(o.ss_error, 24, 1e-9);
	assert_float_equal(o.df_error, 6, 0);
	assert_int_equal(o.terms[0].f1, 0);
	assert_int_equal(o.terms[0].f2, -1);
	assert_float_equal(o.terms[0].ss, 18.0 + 2.0 / 3, 1e-9);
	assert_float_equal(o.terms[0].f, 7.0 / 3, 1e-9);
	assert_float_equal(o.terms[0].p, 729.0 / 4096, 1e-9);
	assert_float_equal(o.terms[0].eta2, 56.0 / 332, 1e-9);
	assert_float_equal(o.terms[1].ss, 65.0 + 1.0 / 3, 1e-9);
	assert_float_equal(o.terms[1].f, 49.0 / 3, 1e-9);
	assert_float_equal(o.terms[1].p, 0.0067915, 1e-6);
	assert_int_equal(o.terms[2].f1, 0);
	assert_int_equal(o.terms[2].f2, 1);
	assert_float_equal(o.terms[2].ss, 2.0 + 2.0 / 3, 1e-9);
	assert_float_equal(o.terms[2].f, 1.0 / 3, 1e-9);
	assert_float_equal(o.terms[2].p, 0.729, 1e-9);
	assert_float_equal(o.terms[2].partial_eta2, (8.0 / 3) / (8.0 / 3 + 24), 1e-9);
	/* One observation fewer: unbalanced, refused. */
	assert_int_equal(stats_anova(y, 11, 2, nlevels, levels, &o), -EINVAL);
}

/* The recorded A runs (tests/data/compare/a: 8 rounds of 2 shares, two
 * guests) with settings added as factors and host_cpu_util removed:
 * summary.json's ANOVA says "not recorded" for the metric the records do
 * not have (not "not a balanced design"), and with three factors names the
 * three-way interaction it pools into the error term. */
static cJSON *summary_of_recorded(const char *tmp, bool third)
{
	const char *d = getenv("HARNESS_TEST_DATA");
	cleanup_free char *src = xasprintf("%s/a", d && *d ? d : "tests/data/compare");
	cleanup_free char *path = NULL, *text = NULL;
	struct run_records rr;
	struct herror err = { 0 };
	cJSON *g, *j;

	assert_int_equal(records_load(src, RECORDS_OK, &rr, &err), 0);
	assert_int_equal(rr.n, 16);
	assert_int_equal(results_create(tmp, &err), 0);
	for (size_t i = 0; i < rr.n; i++) {
		cJSON *st = cJSON_GetObjectItem(rr.recs[i], "settings");
		int rep = cJSON_GetObjectItem(rr.recs[i], "repeat")->valueint;

		cJSON_ReplaceItemInObject(st, "pinning", cJSON_CreateString(rep <= 4 ? "same" : "different"));
		if (third)
			cJSON_AddStringToObject(st, "half", rep % 2 ? "odd" : "even");
		cJSON_ArrayForEach(g, cJSON_GetObjectItem(rr.recs[i], "guests"))
			cJSON_DeleteItemFromObject(g, "host_cpu_util");
		assert_int_equal(record_write(tmp, cJSON_GetObjectItem(rr.recs[i], "run_id")->valuestring, rr.recs[i],
					      &err), 0);
	}
	records_free(&rr);
	assert_int_equal(stats_summarize(tmp, &err), 0);
	path = xasprintf("%s/summary.json", tmp);
	text = read_text(path, NULL, &err);
	j = cJSON_Parse(text);
	assert_non_null(j);
	return cJSON_GetArrayItem(cJSON_GetObjectItem(j, "factorial"), 0) ? j : (cJSON_Delete(j), NULL);
}

static cJSON *analysis(cJSON *f, const char *metric, const char *guest)
{
	cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(f, "analyses"))
		if (strcmp(cJSON_GetObjectItem(a, "metric")->valuestring, metric) == 0 &&
		    strcmp(cJSON_GetObjectItem(a, "guest")->valuestring, guest) == 0)
			return a;
	fail_msg("no analysis of %s %s", guest, metric);
	return NULL;
}

static void test_anova_recorded(void **state)
{
	char tmp[] = "/tmp/harness-test-anova.XXXXXX";
	cleanup_free char *two = NULL, *three = NULL;
	cJSON *j, *f, *a, *pooled;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	two = xasprintf("%s/two", tmp);
	three = xasprintf("%s/three", tmp);
	/* shares x pinning, 4 runs a cell */
	j = summary_of_recorded(two, false);
	assert_non_null(j);
	f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "factorial"), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f, "factors")), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(f, "pooled_into_error")), 0);
	a = analysis(f, "host_cpu_util", "vm1");
	assert_string_equal(cJSON_GetObjectItem(a, "skipped")->valuestring, "not recorded: no run holds this metric");
	a = analysis(f, "units_per_s", "vm2");
	assert_null(cJSON_GetObjectItem(a, "skipped"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a, "terms")), 3);
	assert_float_equal(cJSON_GetObjectItem(a, "error_df")->valuedouble, 12, 0);
	cJSON_Delete(j);
	/* shares x pinning x half, 2 runs a cell: the three-way term is pooled */
	j = summary_of_recorded(three, true);
	assert_non_null(j);
	f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "factorial"), 0);
	pooled = cJSON_GetObjectItem(f, "pooled_into_error");
	assert_int_equal(cJSON_GetArraySize(pooled), 1);
	assert_string_equal(cJSON_GetArrayItem(pooled, 0)->valuestring, "shares x pinning x half");
	assert_non_null(strstr(cJSON_GetObjectItem(f, "method")->valuestring, "pooled into the error term"));
	a = analysis(f, "units_per_s", "vm1");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a, "terms")), 6);
	/* 16 - 1 - 6 model df: the three-way interaction's 1 and 8 within cells */
	assert_float_equal(cJSON_GetObjectItem(a, "error_df")->valuedouble, 9, 0);
	a = analysis(f, "host_cpu_util", "vm2");
	assert_string_equal(cJSON_GetObjectItem(a, "skipped")->valuestring, "not recorded: no run holds this metric");
	cJSON_Delete(j);
	remove_tree(tmp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permutation_exact),
		cmocka_unit_test(test_permutation_limits),
		cmocka_unit_test(test_permutation_resampled),
		cmocka_unit_test(test_holm),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_tost),
		cmocka_unit_test(test_power),
		cmocka_unit_test(test_anova),
		cmocka_unit_test(test_anova_recorded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
