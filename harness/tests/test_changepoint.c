/* The change-point detector on series whose answer is known: the energy
 * statistic and the t-test against values worked out by hand (and, for the
 * t-test, SciPy's ttest_ind quoted beside it), steps found where they are,
 * nothing found where there is none, and bad parameters refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "changepoint.h"

static const struct cp_params defaults = CP_PARAMS_DEFAULT;

static void test_energy_by_hand(void **state)
{
	double x[] = { 0, 0, 1, 1 }, y[] = { 0, 1, 0, 1 };

	(void)state;
	/* Split in the middle: between-side distances 4 x 1, within 0:
	 * 2 x 2 / 4 x (2 x 4 / 4 - 0 - 0) = 2. */
	assert_float_equal(cp_energy(x, 4, 2), 2.0, 1e-12);
	/* Alternating values: between 2 / 4 pairs, within 1 a side:
	 * 1 x (2 x 2 / 4 - 1 - 1) = -1. */
	assert_float_equal(cp_energy(y, 4, 2), -1.0, 1e-12);
	assert_float_equal(cp_energy(x, 4, 0), 0.0, 1e-12);
}

static void test_ttest_reference(void **state)
{
	double x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct cp_point p;

	(void)state;
	/* scipy.stats.ttest_ind([1..5], [6..10]): t = 5.0, p = 0.001052 (8 df). */
	cp_ttest(x, 0, 5, 10, &p);
	assert_float_equal(p.t, 5.0, 1e-12);
	assert_float_equal(p.p, 0.0010528, 1e-6);
	assert_float_equal(p.mean_before, 3, 1e-12);
	assert_float_equal(p.mean_after, 8, 1e-12);
	assert_float_equal(p.rel_change, 5.0 / 3, 1e-12);
	assert_int_equal(p.n_before, 5);
	assert_int_equal(p.n_after, 5);
}

/* 100 +- 1 alternating, then level + 1 alternating: noise of sd ~1. */
static void steps(double *x, size_t n, const size_t *at, const double *level, size_t nsteps)
{
	size_t s = 0;

	for (size_t i = 0; i < n; i++) {
		while (s < nsteps && i >= at[s])
			s++;
		x[i] = (s ? level[s - 1] : 100) + ((i * 7 + i / 3) % 5 - 2.0) * 0.5;
	}
}

static void test_one_step(void **state)
{
	double x[40];
	size_t at[] = { 20 };
	double lv[] = { 110 };
	struct cp_point *cp;
	size_t n;

	(void)state;
	steps(x, 40, at, lv, 1);
	assert_int_equal(cp_detect(x, 40, &defaults, &cp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0].index, 20);
	assert_float_equal(cp[0].rel_change, 0.1, 0.005);
	assert_true(cp[0].p < 1e-10);
	free(cp);
}

static void test_no_step(void **state)
{
	double x[60], flat[10] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	struct cp_point *cp;
	size_t n;

	(void)state;
	steps(x, 60, NULL, NULL, 0);
	assert_int_equal(cp_detect(x, 60, &defaults, &cp, &n), 0);
	assert_int_equal(n, 0);
	assert_null(cp);
	assert_int_equal(cp_detect(flat, 10, &defaults, &cp, &n), 0);
	assert_int_equal(n, 0);
	/* Too short to split: nothing, not an error. */
	assert_int_equal(cp_detect(x, 5, &defaults, &cp, &n), 0);
	assert_int_equal(n, 0);
}

static void test_two_steps_and_windows(void **state)
{
	double x[200];
	size_t at[] = { 30, 60 }, late[] = { 170 };
	double lv[] = { 110, 100 }, lv2[] = { 95 };
	struct cp_point *cp;
	size_t n;

	(void)state;
	steps(x, 90, at, lv, 2);
	assert_int_equal(cp_detect(x, 90, &defaults, &cp, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cp[0].index, 30);
	assert_int_equal(cp[1].index, 60);
	/* The statistics are against the neighbouring change points. */
	assert_int_equal(cp[1].n_before, 30);
	assert_int_equal(cp[1].n_after, 30);
	free(cp);
	/* Far past the first window: found by a later one. */
	steps(x, 200, late, lv2, 1);
	assert_int_equal(cp_detect(x, 200, &defaults, &cp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0].index, 170);
	assert_true(cp[0].rel_change < 0);
	free(cp);
}

static void test_magnitude_and_min_size(void **state)
{
	double x[40];
	size_t at[] = { 20 }, end[] = { 38 };
	double lv[] = { 102 }, big[] = { 150 };
	struct cp_params p = defaults;
	struct cp_point *cp;
	size_t n;

	(void)state;
	/* A 2% step on noise of 1: significant, and dropped by a 5% magnitude. */
	steps(x, 40, at, lv, 1);
	assert_int_equal(cp_detect(x, 40, &p, &cp, &n), 0);
	assert_int_equal(n, 1);
	free(cp);
	p.min_magnitude = 0.05;
	assert_int_equal(cp_detect(x, 40, &p, &cp, &n), 0);
	assert_int_equal(n, 0);
	/* Two points at a new level are fewer than min_size: no change point
	 * there (one may be put a point early, with the level's first three). */
	steps(x, 40, end, big, 1);
	assert_int_equal(cp_detect(x, 40, &defaults, &cp, &n), 0);
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(cp[k].index, 38);
	free(cp);
	p = defaults;
	p.min_size = 2;
	assert_int_equal(cp_detect(x, 40, &p, &cp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0].index, 38);
	free(cp);
}

static void test_bad_input(void **state)
{
	double x[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct cp_params p = defaults;
	struct cp_point *cp;
	size_t n;

	(void)state;
	p.min_size = 1;
	assert_int_equal(cp_detect(x, 10, &p, &cp, &n), -EINVAL);
	p = defaults;
	p.window = 5;
	assert_int_equal(cp_detect(x, 10, &p, &cp, &n), -EINVAL);
	p = defaults;
	p.max_pvalue = 1;
	assert_int_equal(cp_detect(x, 10, &p, &cp, &n), -EINVAL);
	p = defaults;
	p.min_magnitude = NAN;
	assert_int_equal(cp_detect(x, 10, &p, &cp, &n), -EINVAL);
	x[4] = NAN;
	assert_int_equal(cp_detect(x, 10, &defaults, &cp, &n), -EINVAL);
	x[4] = INFINITY;
	assert_int_equal(cp_detect(x, 10, &defaults, &cp, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_energy_by_hand),
		cmocka_unit_test(test_ttest_reference),
		cmocka_unit_test(test_one_step),
		cmocka_unit_test(test_no_step),
		cmocka_unit_test(test_two_steps_and_windows),
		cmocka_unit_test(test_magnitude_and_min_size),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
