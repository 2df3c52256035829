/* Comparison: Welch's test against known values, and the verdicts on
 * results directories made for the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"

static void test_welch_known(void **state)
{
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 3, 4, 5, 6, 7 };
	struct welch w;

	(void)state;
	assert_int_equal(welch_test(a, 5, b, 5, &w), 0);
	assert_float_equal(w.t, 2.0, 1e-12);
	assert_float_equal(w.df, 8.0, 1e-12);
	/* two-sided p of t = 2 with 8 degrees of freedom */
	assert_float_equal(w.p, 0.08051623795726, 1e-9);
	assert_int_equal(welch_test(a, 1, b, 5, &w), -EINVAL);
}

static void write_dir(const char *dir, const double *ups, size_t n)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/runs", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	for (size_t i = 0; i < n; i++) {
		char text[512];
		snprintf(path, sizeof(path), "%s/runs/%03zu.json", dir, i);
		snprintf(text, sizeof(text),
			 "{\"ok\":true,\"experiment\":\"cpu-contention\",\"settings\":{\"shares\":\"1024:1024\"},"
			 "\"guests\":[{\"name\":\"vm1\",\"measured_share\":0.5,\"guest\":{\"units_per_s\":%g}}]}", ups[i]);
		assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
	}
}

static void test_verdicts(void **state)
{
	char tmp[] = "/tmp/harness-test-compare.XXXXXX";
	double base[] = { 1000, 1010, 990, 1005 }, slower[] = { 800, 810, 790, 805 },
	       noisy[] = { 1000, 1030, 970, 1012 }, faster[] = { 1200, 1210, 1190, 1205 };
	struct compare_options o = { .alpha = 0.05, .threshold = 0.05 };
	struct herror err = { 0 };
	char a[600], b[600], c[600], d[600];
	FILE *saved = stdout;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(a, sizeof(a), "%s/a", tmp);
	snprintf(b, sizeof(b), "%s/b", tmp);
	snprintf(c, sizeof(c), "%s/c", tmp);
	snprintf(d, sizeof(d), "%s/d", tmp);
	write_dir(a, base, 4);
	write_dir(b, slower, 4);
	write_dir(c, noisy, 4);
	write_dir(d, faster, 4);
	stdout = fopen("/dev/null", "w");
	/* 20% fewer work units per second, far outside the noise */
	assert_int_equal(compare_results(a, b, &o, &err), 1);
	/* within noise and under the threshold */
	assert_int_equal(compare_results(a, c, &o, &err), 0);
	/* faster is an improvement, not a regression */
	assert_int_equal(compare_results(a, d, &o, &err), 0);
	/* a big threshold hides the slowdown */
	o.threshold = 0.5;
	assert_int_equal(compare_results(a, b, &o, &err), 0);
	assert_true(compare_results(a, "/nonexistent", &o, &err) < 0);
	fclose(stdout);
	stdout = saved;
	assert_non_null(strstr(err.msg, "/nonexistent/runs"));
	remove_tree(tmp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_welch_known),
		cmocka_unit_test(test_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
