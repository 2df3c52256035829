/* Unit tests of the shared workload helpers: strict option parsing,
 * percentiles, the result document, the getopt_long() error helpers. */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wl.h"

static void test_parse_u64_strict(void **state)
{
	struct herror err = { 0 };
	uint64_t v = 0;

	assert_int_equal(wl_parse_u64("--n", "42", 0, 100, &v, NULL), 0);
	assert_int_equal(v, 42);
	assert_int_equal(wl_parse_u64("--n", "-1", 0, 100, &v, &err), -EINVAL);
	assert_int_equal(err.status, EINVAL);
	assert_non_null(strstr(err.msg, "--n"));
	assert_int_equal(wl_parse_u64("--n", " 4", 0, 100, &v, NULL), -EINVAL);
	assert_int_equal(wl_parse_u64("--n", "4x", 0, 100, &v, NULL), -EINVAL);
	assert_int_equal(wl_parse_u64("--n", "", 0, 100, &v, NULL), -EINVAL);
	assert_int_equal(wl_parse_u64("--n", "101", 0, 100, &v, NULL), -ERANGE);
	assert_int_equal(wl_parse_u64("--n", "99999999999999999999999", 0, UINT64_MAX, &v, NULL), -ERANGE);
}

static void test_parse_size_suffixes(void **state)
{
	struct herror err = { 0 };
	uint64_t v = 0;

	assert_int_equal(wl_parse_size("--s", "4k", 0, UINT64_MAX, &v, NULL), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(wl_parse_size("--s", "3M", 0, UINT64_MAX, &v, NULL), 0);
	assert_int_equal(v, 3u << 20);
	assert_int_equal(wl_parse_size("--s", "1g", 0, UINT64_MAX, &v, NULL), 0);
	assert_int_equal(v, 1u << 30);
	assert_int_equal(wl_parse_size("--s", "12q", 0, UINT64_MAX, &v, NULL), -EINVAL);
	assert_int_equal(wl_parse_size("--s", "k", 0, UINT64_MAX, &v, NULL), -EINVAL);
	assert_int_equal(wl_parse_size("--s", "2k", 4096, UINT64_MAX, &v, NULL), -ERANGE);
	/* The message names the size as given, not the number inside it. */
	assert_int_equal(wl_parse_size("--s", "12q", 0, UINT64_MAX, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid size '12q' for option '--s': use a number with an optional k, m, g or t suffix");
}

static void test_parse_double_and_int(void **state)
{
	double d = 0;
	int i = 0;

	assert_int_equal(wl_parse_double("--d", "1.5", 0, 10, &d, NULL), 0);
	assert_true(d == 1.5);
	assert_int_equal(wl_parse_double("--d", "nan", 0, 10, &d, NULL), -EINVAL);
	assert_int_equal(wl_parse_double("--d", "inf", 0, 10, &d, NULL), -EINVAL);
	assert_int_equal(wl_parse_double("--d", "11", 0, 10, &d, NULL), -ERANGE);
	assert_int_equal(wl_parse_int("--i", "-5", -20, 19, &i, NULL), 0);
	assert_int_equal(i, -5);
	assert_int_equal(wl_parse_int("--i", "20", -20, 19, &i, NULL), -ERANGE);
}

static void test_percentile(void **state)
{
	double v[] = { 5, 1, 4, 2, 3 };
	double one[] = { 7 };

	assert_true(wl_percentile(v, 5, 0) == 1);
	assert_true(wl_percentile(v, 5, 50) == 3);
	assert_true(wl_percentile(v, 5, 100) == 5);
	assert_true(wl_percentile(v, 5, 25) == 2);
	/* between ranks: 90th of 1..5 is 4.6 */
	assert_true(wl_percentile(v, 5, 90) > 4.59 && wl_percentile(v, 5, 90) < 4.61);
	assert_true(wl_percentile(one, 1, 99) == 7);
	assert_true(wl_percentile(NULL, 0, 50) == 0);
}

static void test_doc_error_keeps_first(void **state)
{
	wl_doc doc;

	wl_doc_init(&doc, "t");
	assert_false(wl_doc_failed(&doc));
	wl_doc_error(&doc, "first %d", 1);
	wl_doc_error(&doc, "second");
	assert_true(wl_doc_failed(&doc));
	assert_string_equal(cJSON_GetObjectItem(doc.root, "error")->valuestring, "first 1");
	assert_int_equal(cJSON_GetObjectItem(doc.root, "version")->valueint, 1);
	cJSON_Delete(doc.root);
}

static const char *doc_error(const wl_doc *doc)
{
	return cJSON_GetObjectItem(doc->root, "error")->valuestring;
}

/* Runs getopt_long() on {"prog", arg} and checks wl_opt_unknown()'s message. */
static void expect_unknown(char *arg, const char *msg)
{
	static const struct option opts[] = { { "n", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	char *argv[] = { "prog", arg, NULL };
	wl_doc doc;

	opterr = 0;
	optind = 0;
	wl_doc_init(&doc, "t");
	assert_int_equal(getopt_long(2, argv, "", opts, NULL), '?');
	assert_int_equal(wl_opt_unknown(&doc, argv), -EINVAL);
	assert_string_equal(doc_error(&doc), msg);
	cJSON_Delete(doc.root);
}

static void test_opt_unknown_wording(void **state)
{
	expect_unknown("--bogus", "unknown option '--bogus' (see --help)");
	expect_unknown("--n", "unknown option or missing value for '--n' (see --help)");
}

static void test_opt_role(void **state)
{
	char *client[] = { "prog", "client", "--x", NULL };
	char *none[] = { "prog", "--x", NULL };
	bool server = true;
	wl_doc doc;

	wl_doc_init(&doc, "t");
	assert_int_equal(wl_opt_role(&doc, 3, client, "usage", &server), 0);
	assert_false(server);
	assert_int_equal(optind, 2);
	assert_false(wl_doc_failed(&doc));
	assert_int_equal(wl_opt_role(&doc, 2, none, "usage", &server), -EINVAL);
	assert_string_equal(doc_error(&doc), "the first argument must be 'server' or 'client' (see --help)");
	cJSON_Delete(doc.root);

	wl_doc_init(&doc, "t");
	assert_int_equal(wl_opt_wrong_role(&doc, "url", true), -EINVAL);
	assert_string_equal(doc_error(&doc), "option '--url' is not a server option (see --help)");
	assert_int_equal(wl_doc_fail(&doc, -ERANGE, "later"), -ERANGE);
	assert_string_equal(doc_error(&doc), "option '--url' is not a server option (see --help)");
	cJSON_Delete(doc.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_strict),
		cmocka_unit_test(test_parse_size_suffixes),
		cmocka_unit_test(test_parse_double_and_int),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_doc_error_keeps_first),
		cmocka_unit_test(test_opt_unknown_wording),
		cmocka_unit_test(test_opt_role),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
