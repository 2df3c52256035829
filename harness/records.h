/* Run records (harness-run/1, harness/schema/run.schema.json) and the
 * results directory that holds them: the one module that reads and writes
 * them, for the run, statistics, compare and the report.
 *
 *   results/<run-id>/suite.yaml         the suite as run
 *   results/<run-id>/env.json           the host (harness-env/1)
 *   results/<run-id>/runs/<run>.json    one record per recorded run, compact
 *   results/<run-id>/failures/          console tails of failed runs
 *   results/<run-id>/summary.json       statistics (harness-summary/1)
 */
#ifndef HARNESS_RECORDS_H
#define HARNESS_RECORDS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define RECORD_SCHEMA "harness-run/1"

/* Whether id may name a run: [A-Za-z0-9._-], not empty, not "." or "..",
 * at most RUN_ID_MAX characters. It becomes a directory under the state
 * directory and part of domain and pool names; nothing under the state
 * directory's runs/ of another shape is ever touched. */
#define RUN_ID_MAX 128
bool run_id_valid(const char *id);

/* Create dir/runs and dir/failures. */
int results_create(const char *dir, struct herror *err);
/* Write dir/name atomically, indented for people (env.json, summary.json). */
int results_write_json(const char *dir, const char *name, const cJSON *j, struct herror *err);
/* Read and parse dir/name; NULL and err when absent or not JSON. */
cJSON *results_read_json(const char *dir, const char *name, struct herror *err);
/* Keep a failed run's console tail of one guest in dir/failures/. */
void results_write_failure(const char *dir, const char *run_id, const char *guest, const char *text);

/* Write dir/runs/<run_id>.json atomically, compact (no indentation). */
int record_write(const char *dir, const char *run_id, const cJSON *rec, struct herror *err);
/* A disturbed attempt kept when its run is run again: dir/disturbed/<id>.json
 * (runs/ holds one record per run of the plan). */
int record_write_disturbed(const char *dir, const char *id, const cJSON *rec, struct herror *err);
/* Whether dir/runs/<run_id>.json exists and says ok. */
bool record_done(const char *dir, const char *run_id);

struct run_records {
	cJSON **recs;
	char **files;		/* each record's file (DIR/runs/NAME.json), for messages */
	size_t n;
	size_t disturbed;	/* RECORDS_OK: successful runs marked disturbed (host_noise) that were seen */
};

#define RECORDS_ALL 0
/* Only successful runs with an experiment: what statistics pool. Runs
 * marked "disturbed": true are left out (counted in disturbed) unless
 * RECORDS_WITH_DISTURBED is given too. */
#define RECORDS_OK 1
#define RECORDS_WITH_DISTURBED 2

/* The records of dir/runs/, sorted by name. A file that is refused (a
 * link, not a regular file, too large, not JSON, not an object; with
 * RECORDS_OK a successful run without an experiment) is skipped with a
 * line on stderr naming it and why (so is a record holding a number
 * that is not finite, such as 1e999, and a record naming one guest twice
 * in "guests"); failed runs are left out silently under RECORDS_OK. Records
 * are keyed by run_id within their suite_run: a second record of one run (a
 * copy under another file name) is refused naming both files, the first
 * file by name kept. */
int records_load(const char *dir, unsigned flags, struct run_records *rr, struct herror *err);
void records_free(struct run_records *rr);
/* Leave out, with a line on stderr naming the file, the records of an
 * experiment that known() does not know (experiment_known). */
void records_filter(struct run_records *rr, bool (*known)(const char *experiment));
/* Same experiment and same settings: runs that statistics may pool. */
bool records_same_group(cJSON *a, cJSON *b);
/* The records of rr in groups (records_same_group): each group's records in
 * rr's order, the groups in the order of their first records. Sorted on a
 * key of experiment and settings, then compared within a key: near-linear
 * in the records (10^4 records of distinct settings no longer compare every
 * record with every group). The groups point into rr (files NULL). */
struct record_groups {
	struct run_records *g;
	size_t n;
	char **keys;		/* each group's key */
	size_t *order;		/* groups by key, for records_find_group */
};
void records_group(const struct run_records *rr, struct record_groups *out);
/* The group of gs whose records are in like's group, or NULL. */
const struct run_records *records_find_group(const struct record_groups *gs, cJSON *like);
void record_groups_free(struct record_groups *gs);
/* A growing array of numbers: as many as the records hold, whatever their
 * count of guest entries. */
struct record_values {
	double *v;
	size_t n, cap;
};
void record_values_push(struct record_values *x, double v);
/* What is at path (at most 4 keys) inside a record or a guest entry, or NULL. */
cJSON *record_at(cJSON *v, const char *const *path);
/* Append the numbers at path of one record: at its top (guest NULL) or in
 * each entry of "guests" named guest. */
void record_values_of(cJSON *rec, const char *guest, const char *const *path, struct record_values *out);
/* The numbers at path over the records of like's group (all records when
 * like is NULL): in the entry of guest in "guests", or at the top of the
 * record when guest is NULL. Returns how many were written to out (room
 * for one per record and guest entry). */
size_t records_values(const struct run_records *rr, cJSON *like, const char *guest, const char *const *path,
		      double *out);

#endif
