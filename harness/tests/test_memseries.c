/* The memory experiment's series, balloon reach and reclaim, and the
 * overcommit layout and expected shares: pure logic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memseries.h"
#include "overcommit.h"
#include "suite.h"

static const char two_guests[] = "suite: t\nguests:\n  - name: vm1\n    image: general\n    vcpus: 1\n    memory_mib: 512\n"
				 "  - name: vm2\n    image: security\n    vcpus: 1\n    memory_mib: 512\nexperiments:\n";

/* Parse a suite with one experiment varying key; NULL and err when refused. */
static struct suite *parse_one(const char *type, const char *key, const char *value, struct herror *err)
{
	char text[2048];
	struct suite *s = NULL;

	snprintf(text, sizeof(text), "%s  - type: %s\n    vary:\n      %s: [\"%s\"]\n", two_guests, type, key, value);
	if (suite_parse("t.yaml", text, strlen(text), &s, err) < 0)
		return NULL;
	return s;
}

static void expect_refused(const char *type, const char *key, const char *value, const char *fragment)
{
	struct herror err = { 0 };
	struct suite *s = parse_one(type, key, value, &err);

	assert_null(s);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err.msg, fragment);
}

static void expect_ok(const char *type, const char *key, const char *value)
{
	struct herror err = { 0 };
	struct suite *s = parse_one(type, key, value, &err);

	if (s == NULL)
		fail_msg("suite refused: %s", err.msg);
	suite_free(s);
}

/* Bad values are refused before anything starts, with file, line and key. */
static void test_settings(void **state)
{
	(void)state;
	expect_refused("memory", "pressure_mib", "8", "t.yaml:14: pressure_mib: '8' must be a whole number of MiB");
	expect_refused("memory", "pressure_mib", "512", "'512' MiB is not less than the memory of guest 'vm1' (512 MiB)");
	expect_refused("memory", "balloon_pct", "5", "balloon_pct: '5' must be a whole percentage in 10..100");
	expect_refused("memory", "balloon_pct", "50%", "balloon_pct: '50%' must be");
	expect_ok("memory", "pressure_mib", "256");
	expect_ok("memory", "balloon_pct", "25");
	expect_refused("cpu-contention", "overcommit", "2:2", "overcommit: '2:2' must be none or R:1 with R in 1..8");
	expect_refused("cpu-contention", "overcommit", "9:1", "must be none or R:1");
	/* Two 1-vCPU guests cannot give 3 busy vCPUs per host CPU on any host. */
	expect_refused("cpu-contention", "overcommit", "3:1", "overcommit: '3:1' cannot be made on");
	expect_ok("cpu-contention", "overcommit", "2:1");
	expect_ok("cpu-contention", "overcommit", "none");
}

/* The shipped suites with the new experiment and axis parse. */
static void test_suites_parse(void **state)
{
	const char *dir = getenv("HARNESS_SUITES");
	const char *names[] = { "default", "overcommit" };

	(void)state;
	if (dir == NULL)
		skip();
	for (size_t i = 0; i < 2; i++) {
		struct suite *s = NULL;
		struct herror err = { 0 };
		char *path = suite_resolve(names[i], dir);
		if (suite_load(path, &s, &err) < 0)
			fail_msg("%s: %s", path, err.msg);
		suite_free(s);
		free(path);
	}
}

static void test_series_json(void **state)
{
	static const char *const cols[] = { "a", "b" };
	struct mem_series s;
	double v1[] = { 1.04, NAN }, v2[] = { 2.0, 3.26 };
	char *text;
	cJSON *j;

	(void)state;
	mem_series_init(&s, cols, 2);
	for (int k = 0; k < 300; k++)	/* past the first growth */
		mem_series_push(&s, k * 0.2, k % 2 ? v2 : v1);
	assert_int_equal(s.n, 300);
	assert_non_null(mem_series_column(&s, "b"));
	assert_null(mem_series_column(&s, "c"));
	j = mem_series_json(&s);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "t")), 300);
	text = cJSON_PrintUnformatted(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "b"), 0));
	assert_string_equal(text, "null");	/* NaN: no value, not 0 */
	free(text);
	assert_float_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "a"), 0)->valuedouble, 1.0, 1e-9);
	assert_float_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "b"), 1)->valuedouble, 3.3, 1e-9);
	assert_float_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "t"), 1)->valuedouble, 0.2, 1e-9);
	cJSON_Delete(j);
	mem_series_free(&s);
}

static void test_balloon_reach(void **state)
{
	double t[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	double v[] = { 1024, 1024, 1000, 800, 600, 515, NAN, 512 };
	struct balloon_reach br;

	(void)state;
	/* Target 512 set at 1.5: within 8 MiB first at t = 5 (515). */
	balloon_reach(t, v, 8, 1.5, 7, 512, 8, &br);
	assert_true(br.reached);
	assert_float_equal(br.time_to_target_s, 3.5, 1e-12);
	assert_float_equal(br.final_error, 0, 1e-12);
	assert_int_equal(br.samples, 5);	/* the NaN sample does not count */
	/* A window that ends before the balloon got there. */
	balloon_reach(t, v, 8, 1.5, 4, 512, 8, &br);
	assert_false(br.reached);
	assert_true(isnan(br.time_to_target_s));
	assert_float_equal(br.final_error, 88, 1e-12);
	/* No sample in the window. */
	balloon_reach(t, v, 8, 10, 20, 512, 8, &br);
	assert_false(br.reached);
	assert_true(isnan(br.final_error));
	assert_int_equal(br.samples, 0);
}

static void test_reclaim(void **state)
{
	struct reclaim r;

	(void)state;
	reclaim_judge(8000, 6000, 7950, 100, &r);
	assert_true(r.within);
	assert_float_equal(r.error_kib, 50, 1e-12);
	assert_float_equal(r.reclaimed_frac, 0.975, 1e-12);
	reclaim_judge(8000, 6000, 7000, 100, &r);
	assert_false(r.within);
	reclaim_judge(8000, 6000, 8500, 100, &r);	/* more than before: fine */
	assert_true(r.within);
	reclaim_judge(8000, 8000, 8000, 100, &r);	/* nothing taken: no fraction */
	assert_true(isnan(r.reclaimed_frac));
	reclaim_judge(NAN, 6000, 8000, 100, &r);
	assert_false(r.within);
}

/* cmocka's assert_float_equal compares in single precision. */
#define assert_near(a, b, eps) assert_near_at((a), (b), (eps), __FILE__, __LINE__)
static void assert_near_at(double a, double b, double eps, const char *file, int line)
{
	if (!(fabs(a - b) <= eps))
		fail_msg("%s:%d: %.17g is not within %g of %.17g", file, line, a, eps, b);
}

/* By attribution, another program's allocation cannot fail the check: in
 * issue 20 the host came out 3047 MiB "short" while other programs
 * allocated. Here the guests hold 2048 MiB and another process allocates
 * 3000 MiB meanwhile: the host's available memory falls, yet everything
 * the guests held came back. */
static void test_reclaim_attributed(void **state)
{
	const double MiB = 1024;
	struct reclaim_attr a;

	(void)state;
	reclaim_attribute(2048 * MiB, 9000 * MiB, (9000 + 2048 - 3000 + 5) * MiB, 500 * MiB, 3500 * MiB, 40 * MiB, &a);
	assert_near(a.host_change_kib, -947 * MiB, 1e-9);
	assert_near(a.others_kib, -3000 * MiB, 1e-9);
	assert_near(a.returned_kib, 2053 * MiB, 1e-9);
	assert_near(a.error_kib, -5 * MiB, 1e-9);
	assert_true(a.within);
	/* The whole host's view would have called it 947 MiB short of the
	 * guests' memory and failed. */
	assert_true(a.guests_frac < 0);
	/* Another process freeing memory cannot pass a leak either: the
	 * guests' memory did not come back, while others freed 2048 MiB. */
	reclaim_attribute(2048 * MiB, 9000 * MiB, 11048 * MiB, 2548 * MiB, 500 * MiB, 40 * MiB, &a);
	assert_near(a.returned_kib, 0, 1e-9);
	assert_near(a.error_kib, 2048 * MiB, 1e-9);
	assert_false(a.within);
	/* A quiet host: the host's change is the guests'. */
	reclaim_attribute(2048 * MiB, 9000 * MiB, 11040 * MiB, 500 * MiB, 500 * MiB, 40 * MiB, &a);
	assert_near(a.guests_frac, 2048.0 / 2040.0, 1e-12);
	assert_near(a.error_kib, 8 * MiB, 1e-9);
	assert_true(a.within);
	/* More back than held, beyond the tolerance, is as wrong as less. */
	reclaim_attribute(2048 * MiB, 9000 * MiB, 11300 * MiB, 500 * MiB, 500 * MiB, 40 * MiB, &a);
	assert_false(a.within);
	/* Nothing moved: no fraction; a missing reading fails. */
	reclaim_attribute(0, 9000 * MiB, 9000 * MiB, 500 * MiB, 500 * MiB, 40 * MiB, &a);
	assert_true(isnan(a.guests_frac));
	assert_true(a.within);
	reclaim_attribute(NAN, 9000 * MiB, 9000 * MiB, 500 * MiB, 500 * MiB, 40 * MiB, &a);
	assert_false(a.within);
}

static void test_proc_fields(void **state)
{
	const char *meminfo = "MemTotal:       16318016 kB\nMemFree:  1 kB\nMemAvailable:   9321044 kB\n";
	const char *status = "Name:\tqemu-system-x86\nVmPeak:\t 2000 kB\nVmRSS:\t  412345 kB\nBad:\tx kB\n";
	unsigned long long k;

	(void)state;
	assert_int_equal(proc_kib_field(meminfo, "MemAvailable", &k), 0);
	assert_int_equal(k, 9321044);
	assert_int_equal(proc_kib_field(meminfo, "MemFree", &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(proc_kib_field(status, "VmRSS", &k), 0);
	assert_int_equal(k, 412345);
	assert_int_equal(proc_kib_field(status, "VmHWM", &k), -ENOENT);
	assert_int_equal(proc_kib_field(status, "Bad", &k), -EINVAL);
	assert_int_equal(proc_kib_field(meminfo, "Mem", &k), -ENOENT);	/* a prefix is not a key */
}

static void test_overcommit_parse(void **state)
{
	int r;

	(void)state;
	assert_int_equal(overcommit_parse("1:1", &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(overcommit_parse("3:1", &r), 0);
	assert_int_equal(r, 3);
	assert_int_equal(overcommit_parse("0:1", &r), -EINVAL);
	assert_int_equal(overcommit_parse("9:1", &r), -EINVAL);
	assert_int_equal(overcommit_parse("2:2", &r), -EINVAL);
	assert_int_equal(overcommit_parse("2", &r), -EINVAL);
	assert_int_equal(overcommit_parse("x:1", &r), -EINVAL);
	assert_int_equal(overcommit_parse("2:1x", &r), -EINVAL);
}

static void test_overcommit_layout(void **state)
{
	int one[] = { 1, 1 }, three[] = { 3, 3 }, mixed[] = { 4, 2 }, p, a;

	(void)state;
	/* Two 1-vCPU guests on 2 host CPUs: 1:1 on both, 2:1 on one, 3:1 impossible. */
	assert_int_equal(overcommit_layout(1, one, 2, 2, &p, &a), 0);
	assert_int_equal(p, 2);
	assert_int_equal(a, 1);
	assert_int_equal(overcommit_layout(2, one, 2, 2, &p, &a), 0);
	assert_int_equal(p, 1);
	assert_int_equal(a, 1);
	assert_int_equal(overcommit_layout(3, one, 2, 2, &p, &a), -ERANGE);
	/* Two 3-vCPU guests on 2 host CPUs: every ratio on both CPUs. */
	for (int r = 1; r <= 3; r++) {
		assert_int_equal(overcommit_layout(r, three, 2, 2, &p, &a), 0);
		assert_int_equal(p, 2);
		assert_int_equal(a, r);
	}
	/* The smaller guest bounds the busy vCPUs of each. */
	assert_int_equal(overcommit_layout(2, mixed, 2, 2, &p, &a), 0);
	assert_int_equal(p, 2);
	assert_int_equal(a, 2);
	assert_int_equal(overcommit_layout(1, mixed, 2, 4, &p, &a), 0);
	assert_int_equal(p, 4);
	assert_int_equal(a, 2);
	/* 3:1 needs 3 busy vCPUs per CPU: 3 (odd) or 6 (3 each, more than 2). */
	assert_int_equal(overcommit_layout(3, mixed, 2, 4, &p, &a), -ERANGE);
}

static void test_overcommit_expected(void **state)
{
	unsigned long eq[] = { 1024, 1024 }, w21[] = { 2048, 1024 }, w41[] = { 4096, 1024 };
	int a1[] = { 1, 1 }, a3[] = { 3, 3 }, a12[] = { 1, 2 };
	double al[2];

	(void)state;
	/* 3:1 on 2 CPUs, equal weights: each guest 1 CPU, each vCPU 1/3. */
	overcommit_expected(eq, a3, 2, 2, al);
	assert_float_equal(al[0], 1, 1e-12);
	assert_float_equal(al[0] / 3, 1.0 / 3, 1e-12);
	/* 2:1 on one CPU, 2:1 weights: 2/3 and 1/3. */
	overcommit_expected(w21, a1, 2, 1, al);
	assert_float_equal(al[0], 2.0 / 3, 1e-12);
	assert_float_equal(al[1], 1.0 / 3, 1e-12);
	/* 1:1 on two CPUs, 4:1 weights: a vCPU cannot use more than one CPU,
	 * so both get a whole one. */
	overcommit_expected(w41, a1, 2, 2, al);
	assert_float_equal(al[0], 1, 1e-12);
	assert_float_equal(al[1], 1, 1e-12);
	/* 3 vCPUs on 2 CPUs, 4:1 weights: the first is capped at its 1 vCPU,
	 * the second gets the other CPU. */
	overcommit_expected(w41, a12, 2, 2, al);
	assert_float_equal(al[0], 1, 1e-12);
	assert_float_equal(al[1], 1, 1e-12);
	/* Same with equal weights on 1.5 CPUs: 0.75 each (neither capped). */
	overcommit_expected(eq, a12, 2, 1.5, al);
	assert_float_equal(al[0], 0.75, 1e-12);
	assert_float_equal(al[1], 0.75, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series_json),
		cmocka_unit_test(test_balloon_reach),
		cmocka_unit_test(test_reclaim),
		cmocka_unit_test(test_reclaim_attributed),
		cmocka_unit_test(test_proc_fields),
		cmocka_unit_test(test_overcommit_parse),
		cmocka_unit_test(test_overcommit_layout),
		cmocka_unit_test(test_overcommit_expected),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_suites_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
