/* The run-record module: compact atomic records, loading in name order with
 * or without failed runs, groups, metric values, untrusted files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "records.h"

static char tmpdir[] = "/tmp/harness-test-records.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(tmpdir, NULL);
}

static cJSON *record(const char *id, const char *shares, bool ok, double share, double fairness)
{
	cJSON *r = cJSON_CreateObject(), *s, *gl, *g;

	cJSON_AddStringToObject(r, "schema", RECORD_SCHEMA);
	cJSON_AddStringToObject(r, "run_id", id);
	cJSON_AddStringToObject(r, "experiment", "cpu-contention");
	s = cJSON_AddObjectToObject(r, "settings");
	cJSON_AddStringToObject(s, "shares", shares);
	cJSON_AddBoolToObject(r, "ok", ok);
	gl = cJSON_AddArrayToObject(r, "guests");
	for (int i = 0; i < 2; i++) {
		g = cJSON_CreateObject();
		cJSON_AddStringToObject(g, "name", i ? "vm2" : "vm1");
		cJSON_AddNumberToObject(g, "measured_share", i ? 1 - share : share);
		cJSON_AddItemToObject(g, "guest", cJSON_CreateObject());
		cJSON_AddNumberToObject(cJSON_GetObjectItem(g, "guest"), "units_per_s", 100 * (i + 1));
		cJSON_AddItemToArray(gl, g);
	}
	cJSON_AddNumberToObject(r, "fairness_index", fairness);
	return r;
}

static void write_record(const char *id, const char *shares, bool ok, double share, double fairness)
{
	struct herror err = { 0 };
	cJSON *r = record(id, shares, ok, share, fairness);

	if (record_write(tmpdir, id, r, &err) < 0)
		fail_msg("%s", err.msg);
	cJSON_Delete(r);
}

static void test_write_compact(void **state)
{
	struct herror err = { 0 };
	char *path, *text;
	cJSON *back, *r = record("001-x-r1", "1024:1024", true, 0.5, 1);

	(void)state;
	assert_int_equal(results_create(tmpdir, &err), 0);
	assert_int_equal(record_write(tmpdir, "001-x-r1", r, &err), 0);
	path = xasprintf("%s/runs/001-x-r1.json", tmpdir);
	text = read_text(path, NULL, &err);
	assert_non_null(text);
	/* Compact: no indentation, no line breaks; the same document. */
	assert_null(strchr(text, '\n'));
	assert_null(strchr(text, '\t'));
	back = cJSON_Parse(text);
	assert_true(cJSON_Compare(back, r, 1));
	assert_true(record_done(tmpdir, "001-x-r1"));
	assert_false(record_done(tmpdir, "002-absent-r1"));
	cJSON_Delete(back);
	cJSON_Delete(r);
	free(text);
	free(path);
}

static void test_load_and_groups(void **state)
{
	struct herror err = { 0 };
	struct run_records all, ok;
	double x[16];
	char *junk;

	(void)state;
	write_record("003-b-r1", "2048:1024", true, 0.7, 0.9);
	write_record("002-a-r2", "1024:1024", true, 0.6, 0.8);
	write_record("004-b-r2", "2048:1024", false, 0.1, 0.1);
	/* Files that are not records are data, never trusted: skipped. */
	junk = xasprintf("%s/runs/005-junk.json", tmpdir);
	write_file_atomic(junk, "{not json", 9, 0644, NULL);
	free(junk);
	assert_int_equal(records_load(tmpdir, RECORDS_ALL, &all, &err), 0);
	assert_int_equal(all.n, 4);
	assert_string_equal(cJSON_GetObjectItem(all.recs[0], "run_id")->valuestring, "001-x-r1");
	assert_string_equal(cJSON_GetObjectItem(all.recs[3], "run_id")->valuestring, "004-b-r2");
	assert_int_equal(records_load(tmpdir, RECORDS_OK, &ok, &err), 0);
	assert_int_equal(ok.n, 3);
	assert_true(records_same_group(ok.recs[0], ok.recs[1]));
	assert_false(records_same_group(ok.recs[1], ok.recs[2]));
	/* Per guest, over one group. */
	assert_int_equal(records_values(&ok, ok.recs[0], "vm1", (const char *const[]){ "measured_share", NULL }, x),
			 2);
	assert_float_equal(x[0] + x[1], 1.1, 1e-12);
	assert_int_equal(records_values(&ok, ok.recs[2], "vm2",
					(const char *const[]){ "guest", "units_per_s", NULL }, x), 1);
	assert_float_equal(x[0], 200, 1e-12);
	/* Per run, over every record. */
	assert_int_equal(records_values(&ok, NULL, NULL, (const char *const[]){ "fairness_index", NULL }, x), 3);
	assert_int_equal(records_values(&ok, NULL, "vm9", (const char *const[]){ "measured_share", NULL }, x), 0);
	records_free(&all);
	records_free(&ok);
	error_clear(&err);
	assert_true(records_load("/nonexistent", RECORDS_ALL, &all, &err) < 0);
	assert_non_null(strstr(err.msg, "cannot open results '/nonexistent/runs'"));
}

/* A run marked disturbed (host_noise) is left out of what statistics pool,
 * and counted; RECORDS_WITH_DISTURBED pools it too; RECORDS_ALL keeps it. */
static void test_disturbed_left_out(void **state)
{
	char dir[] = "/tmp/harness-test-disturbed.XXXXXX";
	struct herror err = { 0 };
	struct run_records rr;
	cJSON *r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(results_create(dir, &err), 0);
	for (int i = 0; i < 3; i++) {
		char id[32];

		snprintf(id, sizeof(id), "00%d-x-r%d", i + 1, i + 1);
		r = record(id, "1024:1024", true, 0.5, 1);
		if (i == 1)
			cJSON_AddBoolToObject(r, "disturbed", true);
		if (i == 2)
			cJSON_AddBoolToObject(r, "disturbed", false);
		assert_int_equal(record_write(dir, id, r, &err), 0);
		cJSON_Delete(r);
	}
	/* The kept attempt of a re-run, marked. */
	r = record("002-x-r2.disturbed-1", "1024:1024", true, 0.5, 1);
	cJSON_AddBoolToObject(r, "disturbed", true);
	cJSON_AddNumberToObject(r, "disturbed_attempt", 1);
	assert_int_equal(record_write_disturbed(dir, "002-x-r2.disturbed-1", r, &err), 0);
	cJSON_Delete(r);

	assert_int_equal(records_load(dir, RECORDS_OK, &rr, &err), 0);
	assert_int_equal(rr.n, 2);
	assert_int_equal(rr.disturbed, 1);	/* disturbed/ is read only when asked */
	for (size_t i = 0; i < rr.n; i++)
		assert_false(cJSON_IsTrue(cJSON_GetObjectItem(rr.recs[i], "disturbed")));
	records_free(&rr);
	assert_int_equal(records_load(dir, RECORDS_OK | RECORDS_WITH_DISTURBED, &rr, &err), 0);
	assert_int_equal(rr.n, 4);
	assert_int_equal(rr.disturbed, 2);
	records_free(&rr);
	assert_int_equal(records_load(dir, RECORDS_ALL, &rr, &err), 0);
	assert_int_equal(rr.n, 3);	/* runs/ only: one record per run of the plan */
	records_free(&rr);
	assert_int_equal(remove_tree(dir, NULL), 0);
}

static void test_results_json(void **state)
{
	struct herror err = { 0 };
	cJSON *env = cJSON_CreateObject(), *back;

	(void)state;
	cJSON_AddStringToObject(env, "schema", "harness-env/1");
	assert_int_equal(results_write_json(tmpdir, "env.json", env, &err), 0);
	back = results_read_json(tmpdir, "env.json", &err);
	assert_true(cJSON_Compare(back, env, 1));
	assert_null(results_read_json(tmpdir, "absent.json", &err));
	assert_non_null(strstr(err.msg, "absent.json"));
	cJSON_Delete(back);
	cJSON_Delete(env);
}

/* Grouping by a sorted key gives the groups records_same_group gives, in
 * the order of their first records: settings in another key order are one
 * group, hosts apart unless pooled, and a group is found from any record. */
static void test_group_by_key(void **state)
{
	const char *shares[] = { "2:1", "1:1", "2:1", "3:1", "1:1", "2:1" };
	const char *host[] = { "h1", NULL, "h2", NULL, NULL, "h1" };
	struct run_records rr = { 0 };
	struct record_groups gs;
	const struct run_records *g;
	cJSON *like;

	(void)state;
	rr.n = 6;
	rr.recs = calloc(rr.n + 1, sizeof(cJSON *));
	rr.files = calloc(rr.n + 1, sizeof(char *));
	for (size_t i = 0; i < rr.n; i++) {
		rr.recs[i] = record("x", shares[i], true, 0.5, 1);
		if (i == 4) {	/* the same settings written in another order */
			cJSON *st = cJSON_GetObjectItem(rr.recs[i], "settings");
			cJSON_DeleteItemFromObject(st, "shares");
			cJSON_AddStringToObject(st, "pinning", "same");
			cJSON_AddStringToObject(st, "shares", shares[i]);
			cJSON_AddStringToObject(cJSON_GetObjectItem(rr.recs[1], "settings"), "pinning", "same");
		}
		if (host[i])
			cJSON_AddStringToObject(rr.recs[i], "host", host[i]);
		rr.files[i] = strdup("f");
	}
	records_group(&rr, &gs);
	/* 2:1@h1 (0, 5), 1:1 (1, 4), 2:1@h2 (2), 3:1 (3) */
	assert_int_equal(gs.n, 4);
	assert_int_equal(gs.g[0].n, 2);
	assert_ptr_equal(gs.g[0].recs[1], rr.recs[5]);
	assert_int_equal(gs.g[1].n, 2);
	assert_ptr_equal(gs.g[1].recs[1], rr.recs[4]);
	assert_ptr_equal(gs.g[2].recs[0], rr.recs[2]);
	assert_ptr_equal(gs.g[3].recs[0], rr.recs[3]);
	for (size_t i = 0; i < rr.n; i++) {
		g = records_find_group(&gs, rr.recs[i]);
		assert_non_null(g);
		for (size_t k = 0; k < g->n; k++)
			assert_true(records_same_group(g->recs[k], rr.recs[i]));
	}
	like = record("y", "2:1", true, 0.5, 1);
	cJSON_AddStringToObject(like, "host", "h3");
	assert_null(records_find_group(&gs, like));
	cJSON_AddTrueToObject(like, "hosts_pooled");
	assert_ptr_equal(records_find_group(&gs, like), &gs.g[0]);
	cJSON_Delete(like);
	record_groups_free(&gs);
	records_free(&rr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_compact),
		cmocka_unit_test(test_load_and_groups),
		cmocka_unit_test(test_group_by_key),
		cmocka_unit_test(test_results_json),
		cmocka_unit_test(test_disturbed_left_out),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
