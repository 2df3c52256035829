/* Sizes, names and the spec's JSON round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "spec.h"

static void sizes_parse_with_binary_units(void **state)
{
	uint64_t v;

	assert_int_equal(parse_size("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_size("64M", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("-1", &v), -EINVAL);
	assert_int_equal(parse_size("12X", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
}

static void names_are_checked(void **state)
{
	assert_true(name_is_valid("web-1.a_b"));
	assert_false(name_is_valid(""));
	assert_false(name_is_valid(".hidden"));
	assert_false(name_is_valid("a/b"));
	assert_false(name_is_valid("-rf"));
	assert_false(name_is_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

static void spec_round_trips_through_json(void **state)
{
	struct container_spec a, b;
	struct herror err = { 0 };
	cJSON *j;

	spec_init(&a);
	snprintf(a.name, sizeof(a.name), "db");
	snprintf(a.rootfs, sizeof(a.rootfs), "/srv/db");
	a.argv[0] = strdup("postgres");
	a.argc = 1;
	a.limits.memory_max = 1 << 30;
	a.limits.memory_high = 1 << 29;
	a.limits.cpu_quota_us = 50000;
	a.claims.declared = 1;
	a.claims.memory = 2u << 30;
	a.claims.cpu_milli = 1000;
	a.claims.pids = 100;
	a.has_nice = 1;
	a.nice = -5;
	j = spec_to_json(&a);
	spec_init(&b);
	assert_int_equal(spec_from_json(j, &b, &err), 0);
	assert_string_equal(b.name, "db");
	assert_string_equal(b.argv[0], "postgres");
	assert_int_equal(b.limits.memory_max, 1 << 30);
	assert_int_equal(b.limits.cpu_quota_us, 50000);
	assert_int_equal(b.claims.memory, 2u << 30);
	assert_int_equal(b.nice, -5);
	assert_true(spec_wants_cgroup(&b));
	cJSON_Delete(j);
	spec_free(&a);
	spec_free(&b);
}

static void limit_above_claim_is_rejected(void **state)
{
	struct container_spec s;
	struct herror err = { 0 };

	spec_init(&s);
	snprintf(s.name, sizeof(s.name), "x");
	snprintf(s.rootfs, sizeof(s.rootfs), "/r");
	s.argv[0] = "true";
	s.argc = 1;
	s.claims.declared = 1;
	s.claims.memory = 100 << 20;
	s.limits.memory_max = 200 << 20;
	assert_int_equal(spec_validate(&s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "claim"));
}

/* 0 is "unset" inside: given explicitly it would mean no limit at all. */
static void limits_of_zero_are_refused(void **state)
{
	static const char *const keys[] = {
		"memory_max", "memory_high", "pids_max", "cpu_quota_us", "cpu_weight", "cpu_period_us",
	};

	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct container_spec s;
		struct herror err = { 0 };
		char text[256];
		cJSON *j;

		snprintf(text, sizeof(text),
			 "{\"name\":\"z\",\"rootfs\":\"/r\",\"argv\":[\"true\"],\"limits\":{\"%s\":0}}", keys[i]);
		j = cJSON_Parse(text);
		spec_init(&s);
		assert_int_equal(spec_from_json(j, &s, &err), -EINVAL);
		assert_non_null(strstr(err.msg, keys[i]));
		assert_non_null(strstr(err.msg, "of 0 refused"));
		cJSON_Delete(j);
		spec_free(&s);
	}
}

static void userns_round_trips(void **state)
{
	struct container_spec s;
	struct herror err = { 0 };
	cJSON *j = cJSON_Parse("{\"name\":\"u\",\"rootfs\":\"/r\",\"argv\":[\"true\"],\"userns\":true}");
	cJSON *back;

	spec_init(&s);
	assert_int_equal(spec_from_json(j, &s, &err), 0);
	assert_true(s.userns);
	back = spec_to_json(&s);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(back, "userns")));
	cJSON_Delete(back);
	cJSON_Delete(j);
	spec_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_parse_with_binary_units),
		cmocka_unit_test(names_are_checked),
		cmocka_unit_test(spec_round_trips_through_json),
		cmocka_unit_test(limit_above_claim_is_rejected),
		cmocka_unit_test(limits_of_zero_are_refused),
		cmocka_unit_test(userns_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
