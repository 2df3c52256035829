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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
