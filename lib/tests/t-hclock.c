/* Unit tests of the clocks and the cleanup attributes. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hcleanup.h"
#include "hclock.h"

static void test_mono_ns_advances(void **state)
{
	uint64_t a = mono_ns(), b;

	sleep_s(0.02);
	b = mono_ns();
	assert_true(b >= a + 20000000ull);
	assert_true(b < a + 2000000000ull);
}

static void test_mono_s_matches_mono_ns(void **state)
{
	double s = mono_s();
	double ns = (double)mono_ns() / 1e9;

	assert_true(ns >= s);
	assert_true(ns - s < 0.5);
}

static void test_sleep_s_bounds(void **state)
{
	double t0 = mono_s(), t1;

	sleep_s(0);
	sleep_s(-1);
	assert_true(mono_s() - t0 < 0.5);
	t0 = mono_s();
	sleep_s(0.05);
	t1 = mono_s();
	assert_true(t1 - t0 >= 0.05);
}

static void test_wall_s_is_epoch_seconds(void **state)
{
	double w = wall_s();
	time_t now = time(NULL);

	assert_true(w > 1.5e9);
	assert_true(w - (double)now < 2 && (double)now - w < 2);
}

static int still_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int open_in_scope(int keep)
{
	cleanup_close int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	if (keep)
		return steal_fd(&fd);
	return fd;      /* the number of a descriptor closed on return */
}

static void test_cleanup_close(void **state)
{
	int closed = open_in_scope(0), kept;

	assert_false(still_open(closed));
	kept = open_in_scope(1);
	assert_true(still_open(kept));
	close(kept);
}

static char *dup_in_scope(void)
{
	cleanup_free char *a = strdup("freed");
	cleanup_free char *b = strdup("kept");

	assert_non_null(a);
	return steal_pointer(&b);
}

static void test_cleanup_free_and_steal(void **state)
{
	char *s = dup_in_scope();

	assert_string_equal(s, "kept");
	free(s);
}

static void test_cleanup_fclose_and_dir(void **state)
{
	int fd;

	{
		cleanup_fclose FILE *f = fopen("/dev/null", "re");
		cleanup_dir DIR *d = opendir("/");
		cleanup_fclose FILE *none = NULL;

		assert_non_null(f);
		assert_non_null(d);
		assert_null(none);
		fd = fileno(f);
	}
	/* The FILE's descriptor was closed with it. */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mono_ns_advances),
		cmocka_unit_test(test_mono_s_matches_mono_ns),
		cmocka_unit_test(test_sleep_s_bounds),
		cmocka_unit_test(test_wall_s_is_epoch_seconds),
		cmocka_unit_test(test_cleanup_close),
		cmocka_unit_test(test_cleanup_free_and_steal),
		cmocka_unit_test(test_cleanup_fclose_and_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
