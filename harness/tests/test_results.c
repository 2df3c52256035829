/* Results: atomic writes, statistics, the summary of a results directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "stats.h"
#include "util.h"

static char tmpdir[] = "/tmp/harness-test-results.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(tmpdir, NULL);
}

static void test_atomic_write(void **state)
{
	struct herror err = { 0 };
	char *path = xasprintf("%s/a.json", tmpdir), *text;
	DIR *d;
	struct dirent *e;
	int files = 0;

	(void)state;
	assert_int_equal(write_file_atomic(path, "one", 3, 0644, &err), 0);
	assert_int_equal(write_file_atomic(path, "second", 6, 0644, &err), 0);
	text = read_text(path, NULL, &err);
	assert_string_equal(text, "second");
	/* No temporary file is left beside it. */
	d = opendir(tmpdir);
	while ((e = readdir(d)))
		files += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(files, 1);
	free(text);
	free(path);
	error_clear(&err);
	assert_true(write_file_atomic("/nonexistent-dir/x", "x", 1, 0644, &err) < 0);
	assert_non_null(strstr(err.msg, "cannot create '/nonexistent-dir/x.tmp"));
}

static void test_describe(void **state)
{
	double x[] = { 1, 2, 3, 4 };
	struct summary_stats s;

	(void)state;
	stats_describe(x, 4, &s);
	assert_float_equal(s.mean, 2.5, 1e-12);
	assert_float_equal(s.median, 2.5, 1e-12);
	assert_float_equal(s.sd, 1.2909944487358056, 1e-12);
	/* t(0.975, 3) = 3.182446305 */
	assert_float_equal(s.ci95_high - s.mean, 3.182446305284263 * 1.2909944487358056 / 2.0, 1e-9);
	stats_describe(x, 1, &s);
	assert_float_equal(s.sd, 0, 0);
	assert_float_equal(s.ci95_low, s.ci95_high, 0);
}

static void write_run(const char *name, const char *shares, double m1, int ok)
{
	char *path = xasprintf("%s/runs/%s.json", tmpdir, name);
	char *text = xasprintf("{\"experiment\":\"cpu-contention\",\"ok\":%s,\"settings\":{\"shares\":\"%s\"},"
			       "\"fairness_index\":0.9,\"guests\":["
			       "{\"name\":\"vm1\",\"measured_share\":%g,\"expected_share\":0.5,\"guest\":{\"units_per_s\":10}},"
			       "{\"name\":\"vm2\",\"measured_share\":%g,\"expected_share\":0.5}]}",
			       ok ? "true" : "false", shares, m1, 1 - m1);

	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
	free(path);
	free(text);
}

static void test_summary(void **state)
{
	struct herror err = { 0 };
	char *runs = xasprintf("%s/runs", tmpdir), *path, *text;
	cJSON *j, *groups, *g0, *vm1;

	(void)state;
	mkdir(runs, 0755);
	write_run("001-a-r1", "1024:1024", 0.4, 1);
	write_run("002-a-r2", "1024:1024", 0.6, 1);
	write_run("003-b-r1", "2048:1024", 0.7, 1);
	write_run("004-b-r2", "2048:1024", 0.1, 0);	/* failed: not counted */
	assert_int_equal(stats_summarize(tmpdir, &err), 0);
	path = xasprintf("%s/summary.json", tmpdir);
	text = read_text(path, NULL, &err);
	j = cJSON_Parse(text);
	groups = cJSON_GetObjectItem(j, "groups");
	assert_int_equal(cJSON_GetArraySize(groups), 2);
	g0 = cJSON_GetArrayItem(groups, 0);
	assert_int_equal(cJSON_GetObjectItem(g0, "runs")->valueint, 2);
	vm1 = cJSON_GetArrayItem(cJSON_GetObjectItem(g0, "guests"), 0);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(vm1, "measured_share"), "mean")->valuedouble, 0.5, 1e-12);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(vm1, "units_per_s"), "n")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(groups, 1), "runs")->valueint, 1);
	cJSON_Delete(j);
	free(text);
	free(path);
	free(runs);
}

/* Two settings varied, two runs a cell: the summary holds the ANOVA and the
 * power estimate. */
static void test_factorial_summary(void **state)
{
	static const struct {
		const char *shares, *pinning;
		double m;
	} runs[] = {
		{ "1024:1024", "same", 0.4 }, { "1024:1024", "same", 0.6 },
		{ "1024:1024", "different", 0.5 }, { "1024:1024", "different", 0.7 },
		{ "2048:1024", "same", 0.6 }, { "2048:1024", "same", 0.8 },
		{ "2048:1024", "different", 0.9 }, { "2048:1024", "different", 1.1 },
	};
	char dir[] = "/tmp/harness-test-factorial.XXXXXX";
	struct herror err = { 0 };
	char *runsdir, *path, *text, what[256];
	cJSON *j, *f, *an, *terms, *t, *g0, *pw;
	double widest;

	(void)state;
	assert_non_null(mkdtemp(dir));
	runsdir = xasprintf("%s/runs", dir);
	mkdir(runsdir, 0755);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		char *rp = xasprintf("%s/%03zu.json", runsdir, i);
		char *rt = xasprintf("{\"experiment\":\"cpu-contention\",\"ok\":true,\"settings\":{\"shares\":\"%s\","
				     "\"pinning\":\"%s\"},\"guests\":[{\"name\":\"vm1\",\"measured_share\":%g,"
				     "\"guest\":{\"units_per_s\":%g}}]}", runs[i].shares, runs[i].pinning, runs[i].m,
				     1000 + 10.0 * (double)(i % 2));
		assert_int_equal(write_file_atomic(rp, rt, strlen(rt), 0644, NULL), 0);
		free(rp);
		free(rt);
	}
	assert_int_equal(stats_summarize(dir, &err), 0);
	path = xasprintf("%s/summary.json", dir);
	text = read_text(path, NULL, &err);
	j = cJSON_Parse(text);
	f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "factorial"), 0);
	assert_non_null(f);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(f, "factors"), 0)->valuestring, "shares");
	an = cJSON_GetObjectItem(f, "analyses");
	/* measured_share of vm1 (the second compared metric, after units_per_s).
	 * By hand: grand mean 0.7; SS shares = 8 * 0.15^2 = 0.18, SS pinning =
	 * 8 * 0.1^2 = 0.08, SS interaction = 8 * 0.05^2 = 0.02, SS error = 8 *
	 * 0.1^2 = 0.08 on 4 df: F = 9, 4 and 1 on (1, 4) df; p = 2 P(T4 > sqrt F)
	 * = 0.0399420, 0.1161165, 0.3739010 (integrated t density in Python). */
	t = NULL;
	for (int i = 0; i < cJSON_GetArraySize(an); i++)
		if (strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(an, i), "metric")->valuestring, "measured_share") == 0)
			t = cJSON_GetArrayItem(an, i);
	assert_non_null(t);
	terms = cJSON_GetObjectItem(t, "terms");
	assert_int_equal(cJSON_GetArraySize(terms), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(terms, 2), "effect")->valuestring,
			    "shares x pinning");
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(terms, 0), "f")->valuedouble, 9, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(terms, 0), "p")->valuedouble, 0.0399420, 1e-6);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(terms, 1), "f")->valuedouble, 4, 1e-9);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(terms, 1), "p")->valuedouble, 0.1161165, 1e-6);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(terms, 2), "p")->valuedouble, 0.3739010, 1e-6);
	assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(terms, 0), "eta2")->valuedouble, 0.18 / 0.36, 1e-9);
	/* The power estimate of a compared metric: 2 runs a group are too few. */
	g0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
	pw = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(g0, "guests"), 0),
						     "measured_share"), "power");
	assert_non_null(pw);
	assert_non_null(cJSON_GetObjectItem(pw, "note"));
	assert_int_equal(cJSON_GetObjectItem(pw, "permutation_min_runs")->valueint, 4);
	/* 0.4, 0.6: mean 0.5, sd 0.1414, n 2: t(0.975, 1) = 12.7062 * 0.1 / 0.5 = 2.541 */
	assert_int_equal(stats_widest_ci(dir, &widest, what, sizeof(what), &err), 0);
	assert_float_equal(widest, 12.7062047 * 0.1 / 0.5, 1e-6);
	if (strstr(what, "measured_share") == NULL)
		fail_msg("widest %g at %s", widest, what);
	cJSON_Delete(j);
	free(text);
	free(path);
	free(runsdir);
	remove_tree(dir, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_factorial_summary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
