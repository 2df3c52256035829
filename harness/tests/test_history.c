/* The results history on real records: the schema and its refusals,
 * idempotent adds, a new environment fingerprint starting a new series,
 * marks, and the detector's rates on 60 synthetic nights made by
 * resampling the recorded A/A runs of tests/data/compare (so that the
 * noise is this machine's): a 5% step at night 40 is found within 3 nights
 * in >= 90% of 100 seeded histories, and step-free histories give <= 1
 * false change point per 100 series-nights.
 *
 * test_history --write-night DIR SEED NIGHT STEP writes one synthetic night
 * as a results directory (harness/bench/history-rates.sh runs harness
 * compare on them: the two-run comparison on the same data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "history.h"

#define NIGHTS 60
#define STEP_NIGHT 40
#define TRIALS 100
#define STEP (-0.05)	/* a regression of units_per_s (higher is better) */
/* The series the step goes into: the quick suite's 2:1 setting, vm1's work rate. */
#define TARGET_SETTINGS "pinning=same,shares=2048:1024"
#define TARGET_GUEST "vm1"
#define TARGET_METRIC "units_per_s"

static const char *data_dir(void)
{
	const char *d = getenv("HARNESS_TEST_DATA");

	return d && *d ? d : "tests/data/compare";
}

/* The two recorded runs, A and A'. */
struct recorded {
	struct history_night night[2];
	struct run_records rr[2];
};

static struct recorded rec;

static int load_recorded(void **state)
{
	for (int i = 0; i < 2; i++) {
		cleanup_free char *dir = xasprintf("%s/%s", data_dir(), i ? "b" : "a");
		struct herror err = { 0 };

		if (history_night_read(dir, &rec.night[i], &rec.rr[i], &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return -1;
		}
	}
	(void)state;
	return 0;
}

static int free_recorded(void **state)
{
	for (int i = 0; i < 2; i++)
		history_night_free(&rec.night[i], &rec.rr[i]);
	(void)state;
	return 0;
}

static bool is_target_group(cJSON *r)
{
	cleanup_free char *k = history_settings_key(cJSON_GetObjectItemCaseSensitive(r, "settings"));

	return strcmp(k, TARGET_SETTINGS) == 0;
}

/* A night: per group, one of the two recorded runs at random, then as many
 * of its records as it has, drawn with replacement; from STEP_NIGHT on,
 * the target's value scaled by 1 + step. Records that change (the target's,
 * or every one when copy) are copies, marked in owned; the others are the
 * recorded ones. */
struct synth {
	struct run_records rr;
	bool owned[64];
};

static void synth_night(gsl_rng *rng, int night, double step, bool copy, struct synth *out)
{
	const struct run_records *a = &rec.rr[0];

	memset(out, 0, sizeof(*out));
	out->rr.recs = xcalloc(64, sizeof(cJSON *));
	for (size_t i = 0; i < a->n; i++) {
		bool first = true;
		const struct run_records *src = &rec.rr[gsl_rng_uniform_int(rng, 2)];
		cJSON *pool[64];
		size_t np = 0;

		for (size_t j = 0; j < i && first; j++)
			first = !records_same_group(a->recs[j], a->recs[i]);
		if (!first)
			continue;
		for (size_t j = 0; j < src->n && np < 64; j++)
			if (records_same_group(src->recs[j], a->recs[i]))
				pool[np++] = src->recs[j];
		for (size_t k = 0; k < np && out->rr.n < 64; k++) {
			cJSON *r = pool[gsl_rng_uniform_int(rng, np)], *g;
			bool scale = night >= STEP_NIGHT && step != 0 && is_target_group(r);

			if (scale || copy) {
				r = cJSON_Duplicate(r, 1);
				out->owned[out->rr.n] = true;
			}
			if (scale)
				cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(r, "guests")) {
					cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
					cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(g, "guest"),
										    TARGET_METRIC);

					if (cJSON_IsString(name) && strcmp(name->valuestring, TARGET_GUEST) == 0 && cJSON_IsNumber(v))
						cJSON_SetNumberValue(v, v->valuedouble * (1 + step));
				}
			out->rr.recs[out->rr.n++] = r;
		}
	}
}

static void synth_free(struct synth *s)
{
	for (size_t i = 0; i < s->rr.n; i++)
		if (s->owned[i])
			cJSON_Delete(s->rr.recs[i]);
	free(s->rr.recs);
}

static void add_synth(struct history *h, gsl_rng *rng, int night, double step, cJSON *env)
{
	struct synth sy;
	cleanup_free char *id = xasprintf("20260101-%06d-synth", night);
	struct history_night n = { .run_id = id, .suite = "synth", .host = "vm", .env = env, .rr = &sy.rr,
				   .started = 1767225600.0 + 86400.0 * night };
	struct herror err = { 0 };

	synth_night(rng, night, step, false, &sy);
	assert_int_equal(history_add_night(h, &n, &err), 1);
	synth_free(&sy);
}

static char *temp_db(void)
{
	char *p = xasprintf("/tmp/test-history-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(p);

	assert_true(fd >= 0);
	close(fd);
	unlink(p);
	return p;
}

static void remove_db(const char *p)
{
	cleanup_free char *wal = xasprintf("%s-wal", p), *shm = xasprintf("%s-shm", p);

	unlink(p);
	unlink(wal);
	unlink(shm);
}

static void test_schema_and_refusals(void **state)
{
	cleanup_free char *p = temp_db();
	struct history *h;
	struct herror err = { 0 };
	sqlite3 *db;
	FILE *f;

	(void)state;
	assert_int_equal(history_open(p, false, &h, &err), -ENOENT);
	error_clear(&err);
	assert_int_equal(history_open(p, true, &h, &err), 0);
	history_close(h);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	{
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), HISTORY_SCHEMA_VERSION);
		sqlite3_finalize(st);
	}
	/* From a newer harness: refused, not written. */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_true(history_open(p, false, &h, &err) < 0);
	assert_non_null(strstr(err.msg, "newer harness"));
	remove_db(p);
	/* Another program's database, and a file that is no database. */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	error_clear(&err);
	assert_true(history_open(p, false, &h, &err) < 0);
	assert_non_null(strstr(err.msg, "not a harness history"));
	remove_db(p);
	f = fopen(p, "w");
	fputs("this is not a database, it is text long enough to be a header of one........", f);
	fclose(f);
	error_clear(&err);
	assert_true(history_open(p, false, &h, &err) < 0);
	remove_db(p);
	/* A directory is no history. */
	error_clear(&err);
	assert_true(history_open("/tmp", true, &h, &err) < 0);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_add_idempotent(void **state)
{
	cleanup_free char *p = temp_db();
	struct history *h;
	struct history_view v;
	struct history_filter all = { 0 };
	struct herror err = { 0 };

	(void)state;
	assert_int_equal(history_open(p, true, &h, &err), 0);
	assert_int_equal(history_add_night(h, &rec.night[0], &err), 1);
	assert_int_equal(history_add_night(h, &rec.night[0], &err), 0);
	assert_int_equal(history_add_night(h, &rec.night[1], &err), 1);
	assert_int_equal(history_load(h, &all, &v, &err), 0);
	/* 2 settings x 2 guests x 3 compared metrics, two nights each. */
	assert_int_equal(v.ns, 12);
	assert_int_equal(v.nights, 2);
	for (size_t i = 0; i < v.ns; i++) {
		assert_int_equal(v.s[i].npts, 2);
		assert_int_equal(v.s[i].pts[0].n, 8);
	}
	history_view_free(&v);
	history_close(h);
	remove_db(p);
}

/* Forty nights, then a new QEMU version with a 20% drop: a new series
 * starts, shown, and nothing is a regression. */
static void test_fingerprint_new_series(void **state)
{
	cleanup_free char *p = temp_db();
	struct history *h;
	struct history_view v;
	struct history_filter f = { .metric = TARGET_METRIC, .guest = TARGET_GUEST, .settings = TARGET_SETTINGS };
	struct history_detect_options o = { .cp = CP_PARAMS_DEFAULT, .floor = -1 };
	struct herror err = { 0 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	cJSON *env2 = cJSON_Duplicate(rec.night[0].env, 1);
	size_t envs = 0;

	(void)state;
	gsl_rng_set(rng, 7);
	cJSON_ReplaceItemInObjectCaseSensitive(env2, "qemu_version", cJSON_CreateString("8.2.0"));
	assert_int_equal(history_open(p, true, &h, &err), 0);
	for (int night = 0; night < NIGHTS; night++)
		add_synth(h, rng, night, night >= STEP_NIGHT ? -0.20 : 0, night >= STEP_NIGHT ? env2 : rec.night[0].env);
	assert_int_equal(history_load(h, &f, &v, &err), 0);
	assert_int_equal(history_analyze(h, &v, &o, &err), 0);
	assert_int_equal(v.ns, 2);
	assert_true(history_same_lineage(&v.s[0], &v.s[1]));
	assert_int_equal(v.s[0].npts, STEP_NIGHT);
	assert_int_equal(v.s[1].npts, NIGHTS - STEP_NIGHT);
	for (size_t i = 0; i < v.ncps; i++) {
		assert_int_not_equal(v.cps[i].kind, HCP_REGRESSION);
		if (v.cps[i].kind == HCP_ENVIRONMENT) {
			envs++;
			assert_int_equal(v.cps[i].series, 1);
			assert_non_null(strstr(v.cps[i].why, "QEMU version: '7.2.22' vs '8.2.0'"));
			assert_true(v.cps[i].st.rel_change < -0.15);
		}
	}
	assert_int_equal(envs, 1);
	history_view_free(&v);
	history_close(h);
	remove_db(p);
	cJSON_Delete(env2);
	gsl_rng_free(rng);
}

/* A known step marked: detection restarts there and reports it as marked. */
static void test_mark(void **state)
{
	cleanup_free char *p = temp_db();
	struct history *h;
	struct history_view v;
	struct history_filter f = { .metric = TARGET_METRIC, .guest = TARGET_GUEST, .settings = TARGET_SETTINGS };
	struct history_filter mf = { .metric = TARGET_METRIC };
	struct history_detect_options o = { .cp = CP_PARAMS_DEFAULT, .floor = -1 };
	struct herror err = { 0 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	size_t marked = 0;

	(void)state;
	gsl_rng_set(rng, 11);
	assert_int_equal(history_open(p, true, &h, &err), 0);
	for (int night = 0; night < NIGHTS; night++)
		add_synth(h, rng, night, -0.20, rec.night[0].env);
	assert_int_equal(history_mark(h, "20260101-000099-synth", &mf, "no such night", &err), -ENOENT);
	error_clear(&err);
	assert_int_equal(history_mark(h, "20260101-000040-synth", &mf, "new workload build", &err), 0);
	assert_int_equal(history_load(h, &f, &v, &err), 0);
	assert_int_equal(history_analyze(h, &v, &o, &err), 0);
	for (size_t i = 0; i < v.ncps; i++) {
		assert_int_not_equal(v.cps[i].kind, HCP_REGRESSION);
		if (v.cps[i].kind == HCP_MARKED) {
			marked++;
			assert_int_equal(v.cps[i].index, STEP_NIGHT);
			assert_string_equal(v.cps[i].why, "new workload build");
		}
	}
	assert_int_equal(marked, 1);
	history_view_free(&v);
	history_close(h);
	remove_db(p);
	gsl_rng_free(rng);
}

struct rates {
	size_t found, past_floor, found_gate, trials, false_cps, series_nights;
};

/* One history of NIGHTS synthetic nights through the store and the
 * detector, as harness history detect runs it. */
static void trial(unsigned long seed, double step, struct rates *r)
{
	struct history *h;
	struct history_view v;
	struct history_filter all = { 0 };
	struct history_detect_options o = { .cp = CP_PARAMS_DEFAULT, .floor = -1 };
	struct herror err = { 0 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	bool hit = false;

	gsl_rng_set(rng, seed);
	assert_int_equal(history_open(":memory:", true, &h, &err), 0);
	for (int night = 0; night < NIGHTS; night++)
		add_synth(h, rng, night, step, rec.night[0].env);
	assert_int_equal(history_load(h, &all, &v, &err), 0);
	assert_int_equal(history_analyze(h, &v, &o, &err), 0);
	for (size_t i = 0; i < v.ns; i++)
		r->series_nights += v.s[i].npts;
	for (size_t i = 0; i < v.ncps; i++) {
		const struct history_series *s = &v.s[v.cps[i].series];
		bool target = strcmp(s->settings, TARGET_SETTINGS) == 0 && strcmp(s->guest, TARGET_GUEST) == 0 &&
			      strcmp(s->metric, TARGET_METRIC) == 0;

		if (step != 0 && target && v.cps[i].index + 3 >= STEP_NIGHT && v.cps[i].index <= STEP_NIGHT + 3 &&
		    v.cps[i].st.rel_change < 0) {
			hit = true;
			r->past_floor += v.cps[i].kind == HCP_REGRESSION;
		}
		else
			r->false_cps++;
	}
	/* The gate's view: the history as it stood after the third night of
	 * the step, a regression among its last nights. */
	for (size_t i = 0; i < v.ns && step != 0; i++) {
		const struct history_series *s = &v.s[i];
		double x[NIGHTS];
		struct cp_point *cp;
		size_t ncp;

		if (strcmp(s->settings, TARGET_SETTINGS) != 0 || strcmp(s->guest, TARGET_GUEST) != 0 ||
		    strcmp(s->metric, TARGET_METRIC) != 0)
			continue;
		for (size_t k = 0; k < STEP_NIGHT + 3; k++)
			x[k] = s->pts[k].mean;
		assert_int_equal(cp_detect(x, STEP_NIGHT + 3, &o.cp, &cp, &ncp), 0);
		for (size_t k = 0; k < ncp; k++)
			if (cp[k].index + 3 >= STEP_NIGHT && cp[k].rel_change < 0)
				r->found_gate++;
		free(cp);
	}
	r->found += hit;
	r->trials++;
	history_view_free(&v);
	history_close(h);
	gsl_rng_free(rng);
}

static void test_rates(void **state)
{
	struct rates step = { 0 }, flat = { 0 };
	double per100;

	(void)state;
	for (unsigned long t = 1; t <= TRIALS; t++)
		trial(t, STEP, &step);
	for (unsigned long t = 1; t <= TRIALS; t++)
		trial(1000 + t, 0, &flat);
	per100 = 100.0 * (double)flat.false_cps / (double)flat.series_nights;
	printf("# 5%% step at night %d of %d (%s %s %s): found within 3 nights in %zu of %zu histories "
	       "(%zu of them measured past the 5%% floor); found by detection run after the step's 3rd night in %zu\n",
	       STEP_NIGHT, NIGHTS, TARGET_SETTINGS, TARGET_GUEST, TARGET_METRIC, step.found, step.trials,
	       step.past_floor, step.found_gate);
	printf("# step-free: %zu false change point(s) in %zu series-nights (%.3f per 100); with the step, %zu "
	       "elsewhere in %zu\n",
	       flat.false_cps, flat.series_nights, per100, step.false_cps, step.series_nights);
	assert_true(step.found * 100 >= 90 * step.trials);
	assert_true(per100 <= 1.0);
}

/* --write-night DIR SEED NIGHT STEP */
static int write_night(char **argv)
{
	struct synth sy;
	struct herror err = { 0 };
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	long seed, night;
	double step;
	int r = 0;

	if (parse_long(argv[1], 0, 1L << 30, &seed) < 0 || parse_long(argv[2], 0, 999999, &night) < 0 ||
	    parse_double(argv[3], -0.9, 10, &step) < 0) {
		fputs("usage: test_history --write-night DIR SEED NIGHT STEP\n", stderr);
		return 2;
	}
	if (load_recorded(NULL) < 0)
		return 1;
	/* The same draws as the trials: nights 0..night of seed. */
	gsl_rng_set(rng, (unsigned long)seed);
	for (long k = 0; k <= night; k++) {
		synth_night(rng, (int)k, step, k == night, &sy);
		if (k < night)
			synth_free(&sy);
	}
	r = results_create(argv[0], &err);
	for (size_t i = 0; i < sy.rr.n && r == 0; i++) {
		cJSON *rc = sy.rr.recs[i];
		cleanup_free char *id = xasprintf("%03zu-%s", i, cJSON_GetObjectItemCaseSensitive(rc, "run_id")->valuestring);
		cleanup_free char *run = xasprintf("20260101-%06ld-synth", night);

		cJSON_ReplaceItemInObjectCaseSensitive(rc, "run_id", cJSON_CreateString(id));
		cJSON_ReplaceItemInObjectCaseSensitive(rc, "suite_run", cJSON_CreateString(run));
		cJSON_ReplaceItemInObjectCaseSensitive(rc, "started", cJSON_CreateNumber(1767225600.0 + 86400.0 * (double)night + (double)i));
		r = record_write(argv[0], id, rc, &err);
	}
	if (r == 0)
		r = results_write_json(argv[0], "env.json", rec.night[0].env, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", err.msg);
	synth_free(&sy);
	free_recorded(NULL);
	gsl_rng_free(rng);
	return r < 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_and_refusals),
		cmocka_unit_test(test_add_idempotent),
		cmocka_unit_test(test_fingerprint_new_series),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_rates),
	};

	if (argc == 6 && strcmp(argv[1], "--write-night") == 0)
		return write_night(argv + 2);
	return cmocka_run_group_tests(tests, load_recorded, free_recorded);
}
