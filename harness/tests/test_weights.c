/* Weights: the kernel's nice table, expected shares, fairness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "weights.h"

static void test_nice_table(void **state)
{
	(void)state;
	assert_int_equal(nice_to_weight(0), 1024);
	assert_int_equal(nice_to_weight(-20), 88761);
	assert_int_equal(nice_to_weight(19), 15);
	assert_int_equal(nice_to_weight(-99), 88761);
	assert_int_equal(weight_to_nice(1024), 0);
	assert_int_equal(weight_to_nice(2048), -3);	/* 1991 is the closest */
	assert_int_equal(weight_to_nice(4096), -6);	/* 3906 */
	assert_int_equal(weight_to_nice(512), 3);	/* 526 */
	assert_int_equal(weight_to_nice(1), 19);
}

static void test_parse(void **state)
{
	unsigned long w[3];

	(void)state;
	assert_int_equal(weights_parse("2048:1024", w, 2), 0);
	assert_int_equal(w[0], 2048);
	assert_int_equal(w[1], 1024);
	assert_int_equal(weights_parse("2048:1024", w, 3), -EINVAL);
	assert_int_equal(weights_parse("1:1024", w, 2), -EINVAL);
	assert_int_equal(weights_parse("a:b", w, 2), -EINVAL);
	assert_int_equal(weights_parse("1024:1024:1024", w, 2), -EINVAL);
}

static void test_expected_and_fairness(void **state)
{
	unsigned long w[] = { 2048, 1024 };
	double share[2], even[] = { 0.5, 0.5 }, off[] = { 0.9, 0.1 };

	(void)state;
	expected_shares(w, 2, share);
	assert_float_equal(share[0], 2.0 / 3.0, 1e-12);
	assert_float_equal(share[1], 1.0 / 3.0, 1e-12);
	assert_float_equal(fairness_index(share, share, 2), 1.0, 1e-12);
	assert_float_equal(fairness_index(even, even, 2), 1.0, 1e-12);
	/* ratios 1.8 and 0.2: (2.0)^2 / (2 * (3.24 + 0.04)) */
	assert_float_equal(fairness_index(off, even, 2), 4.0 / 6.56, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nice_table),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_expected_and_fairness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
