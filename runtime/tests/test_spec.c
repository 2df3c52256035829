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

/* Issue 24: what strtod and a loose list check let through. */
static void cpus_parse_decimal_only(void **state)
{
	static const char *const bad[] = { "nan", "inf", "-inf", "infinity", "-1", "", " 1", "0x10", "1e3",
					   "1.", ".5", "1.5m", "2 ", "1000001", "m" };
	uint64_t v;

	assert_int_equal(parse_cpus_milli("0.5", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(parse_cpus_milli("2", &v), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(parse_cpus_milli("1500m", &v), 0);
	assert_int_equal(v, 1500);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(parse_cpus_milli(bad[i], &v) < 0);
}

/* Validates a start request's spec given as JSON; returns spec_from_json's value. */
static int validate_json(const char *text, struct herror *err)
{
	struct container_spec s;
	cJSON *j = cJSON_Parse(text);
	int r;

	assert_non_null(j);
	spec_init(&s);
	r = spec_from_json(j, &s, err);
	cJSON_Delete(j);
	spec_free(&s);
	return r;
}

/* A spec {name, rootfs, argv} plus the JSON fragment BEFORE value AFTER
 * is refused with a message that contains why. */
#define BASE "{\"name\":\"c\",\"rootfs\":\"/r\",\"argv\":[\"true\"],"
static void assert_refused(const char *before, const char *value, const char *after, const char *why)
{
	struct herror err = { 0 };
	char text[512];

	snprintf(text, sizeof(text), BASE "%s%s%s}", before, value, after);
	assert_int_equal(validate_json(text, &err), -EINVAL);
	assert_non_null(strstr(err.msg, why));
}

static void cpusets_are_checked(void **state)
{
	static const char *const good[] = { "0", "0-3", "0-3,5,7-8", "8191", "2-2" };
	static const struct { const char *set, *why; } bad[] = {
		{ "5-1", "backwards" }, { "1-2-3", "','" }, { ",1", "CPU number" }, { "1,", "CPU number" },
		{ "1,,2", "CPU number" }, { "-1", "CPU number" }, { "1-", "after '-'" }, { "8192", "range" },
		{ "99999999999999999999", "range" }, { "a", "CPU number" }, { "1 ", "','" },
	};
	char text[256];

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct herror err = { 0 };

		snprintf(text, sizeof(text), BASE "\"limits\":{\"cpuset_cpus\":\"%s\"}}", good[i]);
		assert_int_equal(validate_json(text, &err), 0);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused("\"limits\":{\"cpuset_cpus\":\"", bad[i].set, "\"}", bad[i].why);
}

static void env_entries_need_a_name(void **state)
{
	static const char *const bad[] = { "=x", "=", "NOEQUALS", "" };
	struct herror err = { 0 };

	assert_int_equal(validate_json(BASE "\"env\":[\"A=\",\"B=c=d\"]}", &err), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused("\"env\":[\"", bad[i], "\"]", "NAME=VALUE");
	assert_int_equal(validate_json("{\"name\":\"e\",\"rootfs\":\"/r\",\"argv\":[\"\"]}", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "empty"));
}

/* 1e999 parses as infinity: the range is checked before any cast. */
static void nice_out_of_range_is_refused(void **state)
{
	static const char *const bad[] = { "1e999", "-1e999", "20", "-21", "2.5", "1e10" };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused("\"nice\":", bad[i], "", "nice");
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
		cmocka_unit_test(cpus_parse_decimal_only),
		cmocka_unit_test(cpusets_are_checked),
		cmocka_unit_test(env_entries_need_a_name),
		cmocka_unit_test(nice_out_of_range_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
