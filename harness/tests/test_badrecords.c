/* Hostile results directories: records with many guests of one name (compare
 * sized its arrays by records and overflowed the heap: "double free or
 * corruption" with 300 guests named vm1), and files in runs/ that are not
 * regular files (a FIFO named x.json blocked the loader). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "records.h"
#include "stats.h"

static char tmpdir[] = "/tmp/harness-test-badrecords.XXXXXX";

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

static void write_many_guests(const char *dir, int nrec, int nguests, double share, bool same_name)
{
	struct herror err = { 0 };

	assert_int_equal(results_create(dir, &err), 0);
	for (int r = 0; r < nrec; r++) {
		cJSON *rec = cJSON_CreateObject(), *gl;
		char id[32];

		snprintf(id, sizeof(id), "00%d-cpu-contention-r%d", r + 1, r + 1);
		cJSON_AddStringToObject(rec, "schema", RECORD_SCHEMA);
		cJSON_AddStringToObject(rec, "run_id", id);
		cJSON_AddStringToObject(rec, "experiment", "cpu-contention");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(rec, "settings"), "shares", "1024:1024");
		cJSON_AddBoolToObject(rec, "ok", true);
		cJSON_AddNumberToObject(rec, "fairness_index", 0.9 + 0.01 * r);
		gl = cJSON_AddArrayToObject(rec, "guests");
		for (int g = 0; g < nguests; g++) {
			cJSON *o = cJSON_CreateObject();
			char name[32];

			snprintf(name, sizeof(name), "vm%d", same_name ? 1 : g + 1);
			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddNumberToObject(o, "measured_share", share + 0.001 * g);
			cJSON_AddNumberToObject(o, "host_cpu_util", share);
			cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "guest"), "units_per_s", 1000 + r + g);
			cJSON_AddItemToArray(gl, o);
		}
		assert_int_equal(record_write(dir, id, rec, &err), 0);
		cJSON_Delete(rec);
	}
}

/* A record naming one guest twice (300 times here) is bad input: refused
 * and named, never counted as extra runs (compare once sized its arrays by
 * records and overflowed the heap; later it counted 300 entries as 300
 * runs). A copy of a record (the same run_id) is refused naming both files. */
static void test_compare_same_guest_name(void **state)
{
	struct compare_options o = { .alpha = 0.05, .threshold = 0.05 };
	struct herror err = { 0 };
	struct run_records rr;
	char a[128], b[128], c[128], src[256], dst[256];
	FILE *saved = stdout;
	int r;

	(void)state;
	snprintf(a, sizeof(a), "%s/a", tmpdir);
	snprintf(b, sizeof(b), "%s/b", tmpdir);
	snprintf(c, sizeof(c), "%s/c2", tmpdir);
	write_many_guests(a, 1, 300, 0.5, true);
	write_many_guests(b, 3, 300, 0.5, true);
	assert_int_equal(records_load(b, RECORDS_OK, &rr, &err), 0);
	assert_int_equal(rr.n, 0);
	records_free(&rr);
	stdout = fopen("/dev/null", "w");
	r = compare_results(a, b, &o, &err);
	fclose(stdout);
	stdout = saved;
	assert_int_equal(r, -ENOENT);
	/* The same records with distinct names: loaded, one value per record. */
	write_many_guests(c, 3, 300, 0.5, false);
	assert_int_equal(records_load(c, RECORDS_OK, &rr, &err), 0);
	assert_int_equal(rr.n, 3);
	double x[8];
	static const char *const path[] = { "measured_share", NULL };
	assert_int_equal(records_values(&rr, NULL, "vm7", path, x), 3);
	records_free(&rr);
	/* A copy of a record under another file name: the first one is kept. */
	snprintf(src, sizeof(src), "%s/runs/001-cpu-contention-r1.json", c);
	snprintf(dst, sizeof(dst), "%s/runs/zz-copy.json", c);
	assert_int_equal(link(src, dst), 0);
	assert_int_equal(records_load(c, RECORDS_OK, &rr, &err), 0);
	assert_int_equal(rr.n, 3);
	for (size_t i = 0; i < rr.n; i++)
		assert_null(strstr(rr.files[i], "zz-copy"));
	records_free(&rr);
	assert_int_equal(stats_summarize(c, &err), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "the record loader blocked\n";
	ssize_t w = write(2, msg, sizeof(msg) - 1);
	(void)w;
	_exit(1);
}

static void test_loader_untrusted_files(void **state)
{
	struct herror err = { 0 };
	struct run_records rr;
	char d[128], p[256];

	(void)state;
	snprintf(d, sizeof(d), "%s/c", tmpdir);
	write_many_guests(d, 1, 2, 0.5, false);
	snprintf(p, sizeof(p), "%s/runs/fifo.json", d);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/runs/dir.json", d);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/runs/zero.json", d);
	assert_int_equal(symlink("/dev/zero", p), 0);
	snprintf(p, sizeof(p), "%s/runs/garbage.json", d);
	assert_int_equal(write_file_atomic(p, "{\"ok\":tr", 8, 0644, NULL), 0);
	signal(SIGALRM, on_alarm);
	alarm(20);
	assert_int_equal(records_load(d, RECORDS_ALL, &rr, &err), 0);
	alarm(0);
	assert_int_equal(rr.n, 1);
	records_free(&rr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_same_guest_name),
		cmocka_unit_test(test_loader_untrusted_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
