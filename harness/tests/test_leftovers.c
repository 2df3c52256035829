/* The check of a standing guest before it is borrowed (leftovers.c): the
 * script's lines into the record's entry, and the script itself, checked
 * for syntax by the shell without running it (it would clean this host).
 * It runs in real guests in tests/t-spine.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "leftovers.h"

static void test_parse(void **state)
{
	cJSON *e = leftovers_parse("found memwatch loaded (interval_ms=1000)\nfound process cpu_hog (pid 12)\n"
				   "noise\nleft memwatch (rmmod failed: still in use)\nfound \nleft");
	cJSON *found = cJSON_GetObjectItemCaseSensitive(e, "found"), *left = cJSON_GetObjectItemCaseSensitive(e, "left");

	(void)state;
	assert_int_equal(cJSON_GetArraySize(found), 2);
	assert_string_equal(cJSON_GetArrayItem(found, 0)->valuestring, "memwatch loaded (interval_ms=1000)");
	assert_string_equal(cJSON_GetArrayItem(found, 1)->valuestring, "process cpu_hog (pid 12)");
	assert_int_equal(cJSON_GetArraySize(left), 1);
	assert_string_equal(cJSON_GetArrayItem(left, 0)->valuestring, "memwatch (rmmod failed: still in use)");
	cJSON_Delete(e);
	e = leftovers_parse("");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "found")), 0);
	cJSON_Delete(e);
}

static void test_script(void **state)
{
	FILE *sh = popen("sh -n", "w");
	static const char *const covers[] = { "/sys/module/memwatch", "rmmod memwatch", "/opt/harness/bin/",
					      "cgroup.kill", "/tmp/harness-guest.", "/run/harness-runtime",
					      "hrt-api0", "umount -l", NULL };

	(void)state;
	assert_non_null(sh);
	fputs(leftovers_script, sh);
	assert_int_equal(pclose(sh), 0);
	for (size_t i = 0; covers[i]; i++)
		if (strstr(leftovers_script, covers[i]) == NULL)
			fail_msg("the script does not handle '%s'", covers[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
