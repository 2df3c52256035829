/* Unit tests of the error type: the message and code error_set records,
 * the first error kept, context added by error_wrap, bounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "herror.h"

static void test_set_appends_lowercase_strerror(void **state)
{
	struct herror err = { 0 };

	assert_int_equal(error_set(&err, ENOENT, "cannot open '%s'", "x.json"), -ENOENT);
	assert_int_equal(err.status, ENOENT);
	assert_string_equal(err.msg, "cannot open 'x.json': no such file or directory");
}

static void test_negative_errnum_is_the_same(void **state)
{
	struct herror err = { 0 };

	assert_int_equal(error_set(&err, -EACCES, "cannot write '%s'", "f"), -EACCES);
	assert_int_equal(err.status, EACCES);
	assert_string_equal(err.msg, "cannot write 'f': permission denied");
}

static void test_setx_has_no_strerror(void **state)
{
	struct herror err = { 0 };

	assert_int_equal(error_setx(&err, EPROTO, "bad header from '%s'", "sock"), -EPROTO);
	assert_int_equal(err.status, EPROTO);
	assert_string_equal(err.msg, "bad header from 'sock'");
}

static void test_zero_errnum_is_einval_without_text(void **state)
{
	struct herror err = { 0 };

	assert_int_equal(error_set(&err, 0, "'%s' must be a number", "n"), -EINVAL);
	assert_int_equal(err.status, EINVAL);
	assert_string_equal(err.msg, "'n' must be a number");
}

static void test_first_error_wins(void **state)
{
	struct herror err = { 0 };

	error_set(&err, ENOSPC, "cannot write 'a'");
	/* The code returned is this call's; the message stays the first's. */
	assert_int_equal(error_set(&err, EBADF, "cannot close 'a'"), -EBADF);
	assert_int_equal(err.status, ENOSPC);
	assert_string_equal(err.msg, "cannot write 'a': no space left on device");
	error_clear(&err);
	assert_int_equal(err.status, 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(error_setx(&err, EBADF, "second"), -EBADF);
	assert_string_equal(err.msg, "second");
}

static void test_wrap_prefixes_context(void **state)
{
	struct herror err = { 0 };

	error_set(&err, ENOENT, "cannot open '%s'", "/p/spec.json");
	assert_int_equal(error_wrap(&err, "spec '%s'", "quick"), -ENOENT);
	assert_int_equal(error_wrap(&err, "run %d", 3), -ENOENT);
	assert_string_equal(err.msg, "run 3: spec 'quick': cannot open '/p/spec.json': no such file or directory");
	assert_int_equal(err.status, ENOENT);
}

static void test_wrap_without_error_records_context(void **state)
{
	struct herror err = { 0 };

	assert_int_equal(error_wrap(&err, "step %s", "two"), -EINVAL);
	assert_int_equal(err.status, EINVAL);
	assert_string_equal(err.msg, "step two");
}

static void test_wrap_stays_bounded(void **state)
{
	struct herror err = { 0 };
	char big[3 * HERROR_MSG_MAX];

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_setx(&err, EIO, "%s", big);
	assert_int_equal(strlen(err.msg), HERROR_MSG_MAX - 1);
	error_wrap(&err, "ctx");
	assert_int_equal(strlen(err.msg), HERROR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "ctx: mmm", 8);
	error_wrap(&err, "%s", big);
	assert_int_equal(strlen(err.msg), HERROR_MSG_MAX - 1);
	assert_int_equal(err.status, EIO);
}

static void test_null_err_returns_the_code(void **state)
{
	assert_int_equal(error_set(NULL, EEXIST, "x"), -EEXIST);
	assert_int_equal(error_setx(NULL, 0, "x"), -EINVAL);
	assert_int_equal(error_wrap(NULL, "x"), -EINVAL);
	error_clear(NULL);
}

static void test_strerror_lowercase(void **state)
{
	char buf[64];

	assert_string_equal(error_strerror(ECONNREFUSED, buf, sizeof(buf)), "connection refused");
	assert_string_equal(error_strerror(-ETIMEDOUT, buf, sizeof(buf)), "connection timed out");
	assert_string_equal(error_strerror(ENOENT, buf, 8), "no such");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_appends_lowercase_strerror),
		cmocka_unit_test(test_negative_errnum_is_the_same),
		cmocka_unit_test(test_setx_has_no_strerror),
		cmocka_unit_test(test_zero_errnum_is_einval_without_text),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_wrap_prefixes_context),
		cmocka_unit_test(test_wrap_without_error_records_context),
		cmocka_unit_test(test_wrap_stays_bounded),
		cmocka_unit_test(test_null_err_returns_the_code),
		cmocka_unit_test(test_strerror_lowercase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
