/* Run ids: what may name a run's state directory, and the id of a results
 * directory given with a trailing slash (an empty id made the clean-up
 * remove every run's state). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

static void test_valid(void **state)
{
	char longid[RUN_ID_MAX + 2];

	(void)state;
	assert_true(run_id_valid("20261129-224508-quick"));
	assert_true(run_id_valid("a.b_c-D9"));
	assert_false(run_id_valid(""));
	assert_false(run_id_valid("."));
	assert_false(run_id_valid(".."));
	assert_false(run_id_valid("a/b"));
	assert_false(run_id_valid("a b"));
	assert_false(run_id_valid("x\n"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_false(run_id_valid(longid));
	longid[RUN_ID_MAX] = '\0';
	assert_true(run_id_valid(longid));
}

static void test_of_dir(void **state)
{
	char tmp[] = "/tmp/harness-test-runid.XXXXXX";
	char path[128], bad[256];
	struct herror err = { 0 };
	char *id, *dir;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/20261129-224508-quick", tmp);
	assert_int_equal(mkdir(path, 0755), 0);

	/* As shell completion writes it: a trailing slash, or two. */
	snprintf(bad, sizeof(bad), "%s/", path);
	assert_int_equal(run_id_of_dir(bad, &id, &dir, &err), 0);
	assert_string_equal(id, "20261129-224508-quick");
	assert_string_equal(dir, path);
	free(id);
	free(dir);
	snprintf(bad, sizeof(bad), "%s//.//", path);
	assert_int_equal(run_id_of_dir(bad, &id, &dir, &err), 0);
	assert_string_equal(id, "20261129-224508-quick");
	free(id);
	free(dir);

	/* A directory whose name is no run id, and one that does not exist. */
	snprintf(bad, sizeof(bad), "%s/a b", tmp);
	assert_int_equal(mkdir(bad, 0755), 0);
	assert_true(run_id_of_dir(bad, &id, &dir, &err) < 0);
	assert_null(id);
	assert_non_null(strstr(err.msg, "is not a run id"));
	rmdir(bad);
	error_clear(&err);
	snprintf(bad, sizeof(bad), "%s/none/", tmp);
	assert_true(run_id_of_dir(bad, &id, &dir, &err) < 0);
	assert_non_null(strstr(err.msg, "cannot resolve results directory"));
	rmdir(path);
	rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_of_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
