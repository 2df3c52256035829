/* Unit tests of the latency histogram used by disk, net and api:
 * exact small values, bounded relative error, merging, the summary shape. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lathist.h"
#include "wl.h"

static void test_small_values_exact(void **state)
{
	lathist h;
	uint64_t v;

	assert_int_equal(lathist_init(&h), 0);
	for (v = 1; v <= 100; v++)
		lathist_record(&h, v);
	assert_int_equal(h.count, 100);
	assert_int_equal(h.min_ns, 1);
	assert_int_equal(h.max_ns, 100);
	assert_true(lathist_percentile_ns(&h, 50) == 50.0);
	assert_true(lathist_percentile_ns(&h, 90) == 90.0);
	assert_true(lathist_percentile_ns(&h, 0) == 1.0);
	assert_true(lathist_percentile_ns(&h, 100) == 100.0);
	lathist_free(&h);
}

static void test_relative_error_bounded(void **state)
{
	lathist h;
	uint64_t v, i;

	/* one value per decade from 1 us to 10 s: each percentile lands
	 * within 1/128 of the true value */
	for (v = 1000; v <= 10000000000ull; v = v * 10 + 7) {
		assert_int_equal(lathist_init(&h), 0);
		for (i = 0; i < 10; i++)
			lathist_record(&h, v);
		lathist_record(&h, v / 2);   /* so that min != p50 */
		lathist_record(&h, v * 2);
		assert_true(fabs(lathist_percentile_ns(&h, 50) - (double)v) <= (double)v / 128.0);
		lathist_free(&h);
	}
}

static void test_index_monotonic(void **state)
{
	uint64_t v;
	unsigned prev = 0;

	for (v = 1; v < (1ull << 40); v += v / 64 + 1) {
		unsigned i = lathist_index(v);
		assert_true(i >= prev);
		assert_true(i < LATHIST_BUCKETS);
		prev = i;
	}
	assert_true(lathist_index(UINT64_MAX) < LATHIST_BUCKETS);
}

static void test_merge(void **state)
{
	lathist a, b;

	assert_int_equal(lathist_init(&a), 0);
	assert_int_equal(lathist_init(&b), 0);
	lathist_record(&a, 10);
	lathist_record(&a, 20);
	lathist_record(&b, 5);
	lathist_record(&b, 1000);
	lathist_merge(&a, &b);
	assert_int_equal(a.count, 4);
	assert_int_equal(a.min_ns, 5);
	assert_int_equal(a.max_ns, 1000);
	assert_int_equal(a.sum_ns, 1035);
	lathist_free(&a);
	lathist_free(&b);
}

static void test_summary_shape(void **state)
{
	const char *keys[] = { "count", "min", "mean", "p50", "p90", "p99", "p999", "max" };
	cJSON *o = cJSON_CreateObject(), *s;
	lathist h;
	size_t i;

	assert_int_equal(lathist_init(&h), 0);
	lathist_record(&h, 2000);
	lathist_record(&h, 4000);
	s = lathist_add_summary_us(o, "latency_us", &h);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(cJSON_GetObjectItemCaseSensitive(s, keys[i]));
	assert_true(cJSON_GetObjectItemCaseSensitive(s, "mean")->valuedouble == 3.0);
	assert_true(cJSON_GetObjectItemCaseSensitive(s, "max")->valuedouble == 4.0);
	lathist_free(&h);
	/* empty: zeros, not garbage */
	assert_int_equal(lathist_init(&h), 0);
	s = lathist_add_summary_us(o, "empty_us", &h);
	assert_true(cJSON_GetObjectItemCaseSensitive(s, "p99")->valuedouble == 0);
	lathist_free(&h);
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_relative_error_bounded),
		cmocka_unit_test(test_index_monotonic),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_summary_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
