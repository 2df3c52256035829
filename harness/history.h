/* The results history: nights in an embedded SQLite database, one point per
 * night and series (suite, experiment, settings, guest, metric, host and
 * environment fingerprint), change points over each series (changepoint.h),
 * marks of known steps, a table, a gnuplot figure, CSV, and the page the
 * PDF report draws from history.json. `harness history` is history_main. */
#ifndef HARNESS_HISTORY_H
#define HARNESS_HISTORY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

#include "changepoint.h"
#include "records.h"
#include "util.h"

/* The schema's version (PRAGMA user_version); history_open migrates older
 * databases to it and refuses newer ones. */
#define HISTORY_SCHEMA_VERSION 1
/* history.json, the report's page */
#define HISTORY_JSON_SCHEMA "harness-history/1"

struct history;

/* Open (create when create is true) the database at path, in WAL mode,
 * migrated to HISTORY_SCHEMA_VERSION; refuses a file that is not a
 * harness history. */
int history_open(const char *path, bool create, struct history **out, struct herror *err);
void history_close(struct history *h);
/* $HARNESS_STATE_DIR/history.db (default /var/lib/harness/history.db). */
char *history_default_path(void);

/* One night: a results directory's successful runs and its env.json. */
struct history_night {
	const char *run_id;	/* the records' suite_run */
	const char *suite;
	const char *host;	/* env.json's host_name */
	double started;		/* the first record's start, Unix time */
	const char *commit_id, *commit_date;	/* NULL when unknown */
	bool rerun;		/* a confirming re-run, not a night */
	cJSON *env;		/* env.json */
	const struct run_records *rr;
};

/* Add a night in one transaction: per group (experiment and settings),
 * guest and compared metric, the runs' n, mean, sd and median. Returns 1
 * when added, 0 when the run (run_id and host) is already there. */
int history_add_night(struct history *h, const struct history_night *n, struct herror *err);

/* The night of a results directory, read through records.c: refuses a
 * directory without env.json, successful records or a common suite_run.
 * commit_id/commit_date as given; the caller frees with history_night_free. */
int history_night_read(const char *dir, struct history_night *n, struct run_records *rr, struct herror *err);
void history_night_free(struct history_night *n, struct run_records *rr);

/* "k=v,k=v" of a record's settings, keys sorted: the series' settings. */
char *history_settings_key(cJSON *settings);

/* Which series a command looks at; NULL fields match any. */
struct history_filter {
	const char *suite, *experiment, *settings, *guest, *metric, *host;
};

enum history_cp_kind {
	HCP_REGRESSION,		/* worse by at least the metric's floor */
	HCP_IMPROVEMENT,	/* better by at least the floor */
	HCP_CHANGED,		/* past the floor, for a metric with no better direction */
	HCP_BELOW_FLOOR,	/* significant but smaller than the floor */
	HCP_ENVIRONMENT,	/* a new series: the environment fingerprint changed */
	HCP_MARKED,		/* a step a user marked (history mark) */
};

struct history_detect_options {
	struct history_filter f;
	struct cp_params cp;
	double floor;		/* < 0: each metric's own (compare's floor, default 5%) */
	size_t since;		/* > 0: only change points among each series' last since nights */
};

/* A series as loaded: its key, and one point per night in time order. */
struct history_point {
	long long night;
	char *run_id, *commit_id, *commit_date;	/* commit: NULL when unknown */
	double started;
	bool rerun;
	size_t n;
	double mean, sd, median;
};

struct history_series {
	long long id, env_id;
	char *suite, *experiment, *settings, *guest, *metric, *host, *unit;	/* guest "" for the run */
	int better;		/* +1 higher is better, -1 lower, 0 neither */
	double floor;		/* the smallest relative change that is a regression */
	struct history_point *pts;
	size_t npts;
};

/* What detection found in a series: a change point, or where a new
 * series starts (environment) or a user marked a step. */
struct history_cp {
	size_t series;		/* index in the view */
	size_t index;		/* the first point of the new level */
	enum history_cp_kind kind;
	struct cp_point st;	/* environment and marked: the means on both sides */
	char *why;		/* environment: what changed; marked: the note; else NULL */
};

struct history_view {
	struct history_series *s;
	size_t ns;
	struct history_cp *cps;
	size_t ncps;
	size_t nights;		/* distinct nights in the series loaded */
};

/* The series that match f, lineage by lineage (the same key but the
 * fingerprint, oldest environment first), with their points. */
int history_load(struct history *h, const struct history_filter *f, struct history_view *v, struct herror *err);
/* Change points, environment changes and marks of a loaded view. */
int history_analyze(struct history *h, struct history_view *v, const struct history_detect_options *o,
		    struct herror *err);
void history_view_free(struct history_view *v);
/* Whether c is among the last o->since points of its series (always when
 * since is 0). */
bool history_cp_recent(const struct history_view *v, const struct history_cp *c,
		       const struct history_detect_options *o);
const char *history_cp_kind_name(enum history_cp_kind k);
/* The same series key but the fingerprint: one lineage, shown together. */
bool history_same_lineage(const struct history_series *a, const struct history_series *b);
/* The view as harness-history/1 (what the report's page reads): lineage by
 * lineage, the last since points (all when 0) and the changes among them,
 * with the detector's parameters. */
cJSON *history_view_json(const struct history_view *v, const struct history_detect_options *o, size_t since);

/* Mark a known step at the night run_id (or the newest night when NULL)
 * for the series that match f; detection restarts there. */
int history_mark(struct history *h, const char *run_id, const struct history_filter *f, const char *note,
		 struct herror *err);

/* Change points of every series that matches, as a table or (json) as
 * harness-history-detect/1 on out. Returns the number of regressions
 * reported, or a negative error. */
int history_detect(struct history *h, const struct history_detect_options *o, bool json, FILE *out,
		   struct herror *err);

/* `harness history ARGS...`; top is the source tree (for the commit). */
int history_main(int argc, char **argv, const char *top);

#endif
