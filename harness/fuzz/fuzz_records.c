/* libFuzzer: the run-record loader as statistics, compare and the report
 * use it. The input is written as a record into a scratch results
 * directory, then loaded (all records, successful ones), grouped, its
 * metrics read, its time series written as the report writes them,
 * summarized (stats) and compared with itself (compare). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "doc.h"
#include "experiments.h"
#include "records.h"
#include "stats.h"

static char dir[] = "/tmp/harness-fuzz-records.XXXXXX";
static char path[128];
static FILE *devnull;

static void remove_scratch(void)
{
	remove_tree(dir, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL || results_create(dir, NULL) < 0)
		abort();
	atexit(remove_scratch);
	snprintf(path, sizeof(path), "%s/runs/001-fuzz-r1.json", dir);
	devnull = fopen("/dev/null", "w");
	return 0;
}

static void read_metrics(const struct run_records *rr)
{
	for (size_t i = 0; i < rr->n; i++) {
		cJSON *exp = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "experiment");
		const struct experiment *ops = cJSON_IsString(exp) ? experiment_find(exp->valuestring) : NULL;
		size_t room = rr->n + 1;
		double *x;

		for (size_t r = 0; r < rr->n; r++)
			room += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rr->recs[r], "guests"));
		x = calloc(room, sizeof(double));
		for (size_t m = 0; ops && m < ops->nmetrics; m++) {
			(void)records_same_group(rr->recs[i], rr->recs[0]);
			(void)records_values(rr, rr->recs[i], NULL, ops->metrics[m].path, x);
			(void)records_values(rr, NULL, "vm1", ops->metrics[m].path, x);
		}
		free(x);
		/* The report's time series, as exp_cpu.c and exp_memory.c write
		 * them for gnuplot: linear in the samples (it was quadratic). */
		{
			cJSON *series = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "series"), *g;
			cJSON *cols[DOC_SERIES_COLS];
			size_t n = 0;

			cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(series, "host_cpu_share"))
				if (n < DOC_SERIES_COLS)
					cols[n++] = g;
			doc_series_write(devnull, cJSON_GetObjectItemCaseSensitive(series, "t"), cols, n, DOC_SERIES_ROWS);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct compare_options o = { .alpha = 0.05, .threshold = 0.05 };
	struct run_records rr;
	struct herror err = { 0 };
	FILE *saved = stdout;

	if (write_file(path, data, size, 0644, NULL) < 0)
		abort();
	if (records_load(dir, RECORDS_ALL, &rr, &err) == 0) {
		read_metrics(&rr);
		records_free(&rr);
	}
	if (records_load(dir, RECORDS_OK, &rr, &err) == 0) {
		read_metrics(&rr);
		records_free(&rr);
	}
	error_clear(&err);
	(void)stats_summarize(dir, &err);
	error_clear(&err);
	stdout = devnull;
	(void)compare_results(dir, dir, &o, &err);
	stdout = saved;
	return 0;
}
