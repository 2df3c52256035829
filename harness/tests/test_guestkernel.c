/* The guest-kernel experiments' settings and the Banker's avoidance: bad
 * values are refused at parse time with file, line and key; the textbook
 * state gives the seeds' safe sequence and its exercises their verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments.h"
#include "plan.h"
#include "suite.h"

static const char two_guests[] =
	"suite: t\nguests:\n  - name: vm1\n    image: general\n  - name: vm2\n    image: security\nexperiments:\n";

static void expect_refused(const char *type, const char *key, const char *value, const char *fragment)
{
	char text[2048];
	struct suite *s = NULL;
	struct herror err = { 0 };

	snprintf(text, sizeof(text), "%s  - type: %s\n    vary:\n      %s: [\"%s\"]\n", two_guests, type, key, value);
	assert_true(suite_parse("t.yaml", text, strlen(text), &s, &err) < 0);
	assert_null(s);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("error '%s' does not contain '%s'", err.msg, fragment);
}

static struct suite *parse_ok(const char *type, const char *key, const char *value)
{
	char text[2048];
	struct suite *s = NULL;
	struct herror err = { 0 };

	snprintf(text, sizeof(text), "%s  - type: %s\n    vary:\n      %s: [\"%s\"]\n", two_guests, type, key, value);
	if (suite_parse("t.yaml", text, strlen(text), &s, &err) < 0)
		fail_msg("suite refused: %s", err.msg);
	return s;
}

static void test_bad_settings_refused(void **state)
{
	(void)state;
	expect_refused("nice", "nice", "0", "t.yaml:10: nice: '0' must be 2 to 8 nice values in -20..19");
	expect_refused("nice", "nice", "0:20", "nice: '0:20' must be");
	expect_refused("nice", "nice", "0:x", "nice: '0:x' must be");
	expect_refused("nice", "nice", "0:3:", "nice: '0:3:' must be");
	expect_refused("nice", "cpu", "-1", "cpu: '-1' must be a CPU number");
	expect_refused("nice", "guest", "vm3", "t.yaml:10: guest: 'vm3' is not a guest of the suite (guests: vm1, vm2)");
	expect_refused("sched-mix", "cpu_threads", "0", "cpu_threads: '0' must be a whole number of threads in 1..64");
	expect_refused("sched-mix", "io_sleep_us", "10", "io_sleep_us: '10' must be");
	expect_refused("deadlock", "threads", "1", "threads: '1' must be a whole number in 2..64");
	expect_refused("deadlock", "order", "random", "order: 'random' is not one of: circular, global");
	expect_refused("deadlock", "stall_timeout_s", "0", "stall_timeout_s: '0' must be seconds");
	expect_refused("avoidance", "state", "available=1,1;max=1,1", "state: 'available=1,1;max=1,1' must be textbook or");
	expect_refused("avoidance", "state", "available=1;max=1/2;alloc=2/0", "P0 holds more of resource 0 than it claims");
	expect_refused("avoidance", "state", "available=1,1;max=1,1/2;alloc=0,0/0,0", "must be textbook or");
	expect_refused("avoidance", "request", "P1:", "request: 'P1:' must be none or P<i>");
	suite_free(parse_ok("nice", "nice", "-5:5"));
	suite_free(parse_ok("nice", "guest", "vm2"));
	suite_free(parse_ok("deadlock", "stall_timeout_s", "0.5"));
}

/* The textbook state after P1's request 1,0,2 was granted, where the
 * textbook's next two exercises start. */
static const char after_p1[] = "available=2,3,0;max=7,5,3/3,2,2/9,0,2/2,2,2/4,3,3;"
			       "alloc=0,1,0/3,0,2/3,0,2/2,1,1/0,0,2";

/* Run avoidance with one request on a state. */
static cJSON *avoid(const char *state_v, const char *request)
{
	char text[2048];
	struct suite *s = NULL;
	struct herror perr = { 0 };

	snprintf(text, sizeof(text), "%s  - type: avoidance\n    vary:\n      state: \"%s\"\n      request: \"%s\"\n",
		 two_guests, state_v, request);
	if (suite_parse("t.yaml", text, strlen(text), &s, &perr) < 0)
		fail_msg("suite refused: %s", perr.msg);
	struct plan p;
	struct herror err = { 0 };
	cJSON *rec = cJSON_CreateObject();

	plan_build(s, &p);
	struct exp_run x = { .suite = s, .def = &s->exps[0], .run = &p.runs[0] };
	if (s->exps[0].ops->run(&x, rec, &err) < 0)
		fail_msg("avoidance failed: %s", err.msg);
	plan_free(&p);
	suite_free(s);
	return rec;
}

static const char *result_of(cJSON *rec, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(rec, "avoidance");

	if (strcmp(key, "verdict") == 0)
		o = cJSON_GetObjectItemCaseSensitive(o, "request");
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void test_bankers_textbook(void **state)
{
	cJSON *rec;

	(void)state;
	rec = avoid("textbook", "none");
	assert_string_equal(result_of(rec, "result"), "safe: P1 P3 P4 P0 P2");
	/* The walk-through of the seed: P1's need 1,2,2 against work 3,3,2, work 5,3,2 after it. */
	cJSON *step = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "avoidance"), "steps"), 0);
	char *txt = cJSON_PrintUnformatted(step);
	assert_string_equal(txt, "{\"process\":\"P1\",\"need\":[1,2,2],\"work_before\":[3,3,2],\"work_after\":[5,3,2]}");
	free(txt);
	cJSON_Delete(rec);
	rec = avoid("textbook", "P1:1,0,2");
	assert_string_equal(result_of(rec, "verdict"), "granted: the state stays safe");
	assert_string_equal(result_of(rec, "result"), "safe: P1 P3 P4 P0 P2");
	cJSON_Delete(rec);
	rec = avoid(after_p1, "none");
	assert_string_equal(result_of(rec, "result"), "safe: P1 P3 P4 P0 P2");
	cJSON_Delete(rec);
	rec = avoid(after_p1, "P4:3,3,0");
	assert_string_equal(result_of(rec, "verdict"), "wait: not available now");
	cJSON_Delete(rec);
	rec = avoid(after_p1, "P0:0,2,0");
	assert_string_equal(result_of(rec, "verdict"), "wait: granting it would be unsafe");
	assert_string_equal(result_of(rec, "result"), "unsafe");
	cJSON_Delete(rec);
	rec = avoid("textbook", "P1:3,0,0");
	assert_string_equal(result_of(rec, "verdict"), "refused: more than its remaining claim");
	cJSON_Delete(rec);
}

/* The teaching suite, the whole catalogue with the seeds' settings, parses. */
static void test_teaching_suite_parses(void **state)
{
	const char *dir = getenv("HARNESS_SUITES");
	struct suite *s = NULL;
	struct herror err = { 0 };
	char *path;

	(void)state;
	if (dir == NULL)
		skip();
	path = suite_resolve("teaching", dir);
	if (suite_load(path, &s, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	assert_true(s->nexps >= 4);
	suite_free(s);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_settings_refused),
		cmocka_unit_test(test_bankers_textbook),
		cmocka_unit_test(test_teaching_suite_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
