/* Comparison: the verdicts on results directories made for the test. */
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

/* A results directory of n records of one cpu-contention setting; guests
 * entries per record (several with the same name when dup > 1). */
static void write_dir_dup(const char *dir, const double *ups, size_t n, int dup)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/runs", dir);
	mkdir(dir, 0755);
	mkdir(path, 0755);
	for (size_t i = 0; i < n; i++) {
		char text[4096], entry[256];
		size_t off;

		snprintf(path, sizeof(path), "%s/runs/%03zu.json", dir, i);
		off = (size_t)snprintf(text, sizeof(text), "{\"ok\":true,\"experiment\":\"cpu-contention\","
				       "\"settings\":{\"shares\":\"1024:1024\"},\"guests\":[");
		for (int d = 0; d < dup; d++) {
			snprintf(entry, sizeof(entry), "%s{\"name\":\"vm1\",\"measured_share\":0.5,"
				 "\"guest\":{\"units_per_s\":%g}}", d ? "," : "", ups[i]);
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s", entry);
		}
		snprintf(text + off, sizeof(text) - off, "]}");
		assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
	}
}

static void write_dir(const char *dir, const double *ups, size_t n)
{
	write_dir_dup(dir, ups, n, 1);
}

static void write_env(const char *dir, const char *qemu)
{
	char path[512], text[512];

	snprintf(path, sizeof(path), "%s/env.json", dir);
	snprintf(text, sizeof(text), "{\"schema\":\"harness-env/1\",\"accelerator\":{\"name\":\"tcg\"},\"host_cpu\":\"x\","
		 "\"host_kernel\":\"6.1\",\"qemu_version\":\"%s\",\"libvirt_version\":\"9.0.0\","
		 "\"guest_payload_digest\":\"abc\",\"images\":[{\"guest\":\"vm1\",\"digest\":\"d1\"}]}", qemu);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
}

static void test_verdicts(void **state)
{
	char tmp[] = "/tmp/harness-test-compare.XXXXXX";
	double base[] = { 1000, 1010, 990, 1005, 995 }, slower[] = { 800, 810, 790, 805, 795 },
	       noisy[] = { 1000, 1030, 970, 1012, 990 }, faster[] = { 1200, 1210, 1190, 1205, 1195 };
	struct compare_options o = { .alpha = 0.05, .threshold = -1, .seed = 1 };
	struct herror err = { 0 };
	char a[600], b[600], c[600], d[600], e[600], f[600];
	FILE *saved = stdout;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(a, sizeof(a), "%s/a", tmp);
	snprintf(b, sizeof(b), "%s/b", tmp);
	snprintf(c, sizeof(c), "%s/c", tmp);
	snprintf(d, sizeof(d), "%s/d", tmp);
	snprintf(e, sizeof(e), "%s/e", tmp);
	snprintf(f, sizeof(f), "%s/f", tmp);
	write_dir(a, base, 5);
	write_dir(b, slower, 5);
	write_dir(c, noisy, 5);
	write_dir(d, faster, 5);
	write_dir(e, slower, 2);
	/* Ten guest entries named vm1 in each record: bad input, refused. */
	write_dir_dup(f, slower, 5, 10);
	stdout = fopen("/dev/null", "w");
	/* 20% fewer work units per second, far outside the noise: 5 a side and
	 * 2 lines give a smallest Holm p of 2/252 * 2 */
	assert_int_equal(compare_results(a, b, &o, &err), 1);
	/* within noise and under the floor */
	assert_int_equal(compare_results(a, c, &o, &err), 0);
	/* faster is an improvement, not a regression */
	assert_int_equal(compare_results(a, d, &o, &err), 0);
	/* 5 against 2: C(7,2) = 21 splits, p >= 1/21 * 2 lines: cannot detect */
	assert_int_equal(compare_results(a, e, &o, &err), 0);
	/* records naming a guest twice are refused, not counted as runs */
	assert_int_equal(compare_results(a, f, &o, &err), -ENOENT);
	err = (struct herror){ 0 };
	/* a big threshold hides the slowdown */
	o.threshold = 0.5;
	assert_int_equal(compare_results(a, b, &o, &err), 0);
	o.threshold = -1;
	/* environments: the same passes, a different QEMU is refused and named */
	write_env(a, "8.2.0");
	write_env(b, "8.2.0");
	assert_int_equal(compare_results(a, b, &o, &err), 1);
	write_env(b, "9.0.0");
	assert_int_equal(compare_results(a, b, &o, &err), -EINVAL);
	o.allow_env_change = true;
	assert_int_equal(compare_results(a, b, &o, &err), 1);
	err = (struct herror){ 0 };
	assert_true(compare_results(a, "/nonexistent", &o, &err) < 0);
	fclose(stdout);
	stdout = saved;
	assert_non_null(strstr(err.msg, "/nonexistent/runs"));
	o.allow_env_change = false;
	err = (struct herror){ 0 };
	stdout = fopen("/dev/null", "w");
	compare_results(a, b, &o, &err);
	fclose(stdout);
	stdout = saved;
	assert_non_null(strstr(err.msg, "QEMU version: '8.2.0' vs '9.0.0'"));
	remove_tree(tmp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
