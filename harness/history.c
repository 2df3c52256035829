#include "history.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "compare.h"
#include "experiments.h"
#include "run.h"
#include "stats.h"

/* "HnHy": what PRAGMA application_id says in a harness history. */
#define HISTORY_APPLICATION_ID 0x486e4879
/* Two adds at once: the second waits for the first's transaction. */
#define HISTORY_BUSY_TIMEOUT_MS 120000

struct history {
	sqlite3 *db;
	char *path;
};

/* Schema versions, each one step from the version before; history_open
 * applies the ones a database has not seen, in one transaction. */
static const char *const migrations[] = {
	/* 1: nights, the environments they ran in, series, points, marks */
	"CREATE TABLE envs ("
	"  id INTEGER PRIMARY KEY,"
	"  env TEXT NOT NULL"		/* env.json as recorded (harness-env/1) */
	");"
	"CREATE TABLE nights ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id TEXT NOT NULL,"
	"  suite TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  started REAL NOT NULL,"	/* Unix time of the first record */
	"  commit_id TEXT,"
	"  commit_date TEXT,"
	"  env_id INTEGER NOT NULL REFERENCES envs(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('night', 'rerun')),"
	"  added REAL NOT NULL,"
	"  UNIQUE (run_id, host)"
	");"
	"CREATE TABLE series ("
	"  id INTEGER PRIMARY KEY,"
	"  suite TEXT NOT NULL, experiment TEXT NOT NULL, settings TEXT NOT NULL,"
	"  guest TEXT NOT NULL,"	/* '' for a metric of the whole run */
	"  metric TEXT NOT NULL, host TEXT NOT NULL,"
	"  env_id INTEGER NOT NULL REFERENCES envs(id),"
	"  unit TEXT NOT NULL, better INTEGER NOT NULL, floor REAL NOT NULL,"
	"  UNIQUE (suite, experiment, settings, guest, metric, host, env_id)"
	");"
	"CREATE TABLE points ("
	"  series_id INTEGER NOT NULL REFERENCES series(id),"
	"  night_id INTEGER NOT NULL REFERENCES nights(id),"
	"  n INTEGER NOT NULL, mean REAL NOT NULL, sd REAL NOT NULL, median REAL NOT NULL,"
	"  PRIMARY KEY (series_id, night_id)"
	");"
	"CREATE INDEX points_night ON points(night_id);"
	"CREATE TABLE marks ("
	"  id INTEGER PRIMARY KEY,"
	"  night_id INTEGER NOT NULL REFERENCES nights(id),"
	"  experiment TEXT, settings TEXT, guest TEXT, metric TEXT,"	/* NULL: every one */
	"  note TEXT NOT NULL,"
	"  created REAL NOT NULL"
	");",
};

static int sql_fail(sqlite3 *db, struct herror *err, const char *path, const char *what)
{
	int code = sqlite3_extended_errcode(db) & 0xff;

	return error_setx(err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? EBUSY : EIO, "history '%s': %s: %s", path,
			  what, sqlite3_errmsg(db));
}

static int exec(struct history *h, const char *sql, const char *what, struct herror *err)
{
	if (sqlite3_exec(h->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(h->db, err, h->path, what);
	return 0;
}

static int pragma_int(struct history *h, const char *sql, long long *out, struct herror *err)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		r = sql_fail(h->db, err, h->path, sql);
	else
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

static int migrate(struct history *h, struct herror *err)
{
	const long long latest = sizeof(migrations) / sizeof(migrations[0]);
	long long version, app, tables;
	int r;

	/* IMMEDIATE: a second harness opening a new file waits here, then sees
	 * the schema the first one made. */
	if ((r = exec(h, "BEGIN IMMEDIATE", "cannot lock the database", err)) < 0)
		return r;
	if ((r = pragma_int(h, "PRAGMA user_version", &version, err)) < 0 ||
	    (r = pragma_int(h, "PRAGMA application_id", &app, err)) < 0 ||
	    (r = pragma_int(h, "SELECT count(*) FROM sqlite_master", &tables, err)) < 0)
		goto out;
	if (tables > 0 && app != HISTORY_APPLICATION_ID) {
		r = error_setx(err, EINVAL, "'%s' is an SQLite database, but not a harness history", h->path);
		goto out;
	}
	if (version > latest) {
		r = error_setx(err, EINVAL, "history '%s' has schema version %lld; this harness knows up to %lld: "
			       "use a newer harness", h->path, version, latest);
		goto out;
	}
	for (long long v = version; v < latest; v++)
		if ((r = exec(h, migrations[v], "cannot migrate the schema", err)) < 0)
			goto out;
	if (version < latest) {
		char sql[96];

		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld; PRAGMA application_id = %d", latest,
			 HISTORY_APPLICATION_ID);
		if ((r = exec(h, sql, "cannot record the schema version", err)) < 0)
			goto out;
	}
	return exec(h, "COMMIT", "cannot commit the schema", err);
out:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int history_open(const char *path, bool create, struct history **out, struct herror *err)
{
	struct history *h = xcalloc(1, sizeof(*h));
	struct stat st;
	int r, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);

	*out = NULL;
	h->path = xstrdup(path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		r = error_setx(err, EINVAL, "history '%s' is not a regular file", path);
		goto fail;
	}
	if (!create && stat(path, &st) < 0) {
		r = error_set(err, errno, "cannot open history '%s' (harness history add creates it)", path);
		goto fail;
	}
	if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
		r = error_setx(err, EIO, "cannot open history '%s': %s", path,
			       h->db ? sqlite3_errmsg(h->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(h->db, 1);
	/* WAL: a reader never blocks the writer, and a writer killed mid-way
	 * leaves a log that the next open rolls back. FULL: a commit survives
	 * a power cut too. */
	if ((r = exec(h, "PRAGMA journal_mode = WAL", "cannot use WAL mode (not a database?)", err)) < 0 ||
	    (r = exec(h, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "cannot set up", err)) < 0 ||
	    (r = migrate(h, err)) < 0)
		goto fail;
	*out = h;
	return 0;
fail:
	history_close(h);
	return r;
}

void history_close(struct history *h)
{
	if (h == NULL)
		return;
	sqlite3_close(h->db);
	free(h->path);
	free(h);
}

char *history_default_path(void)
{
	const char *state = getenv("HARNESS_STATE_DIR");

	return xasprintf("%s/history.db", state && *state ? state : "/var/lib/harness");
}

/* ---- statements ---- */

static sqlite3_stmt *prepare(struct history *h, const char *sql, struct herror *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sql_fail(h->db, err, h->path, "cannot prepare a query");
		return NULL;
	}
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

/* Step a statement that returns no row. */
static int step_done(struct history *h, sqlite3_stmt *st, const char *what, struct herror *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(h->db, err, h->path, what);
}

/* ---- adding a night ---- */

/* The fingerprint is compare's: two env.json that compare_env_differences
 * finds no difference in share an environment, and so an id. */
static int env_id_of(struct history *h, cJSON *env, long long *id, struct herror *err)
{
	sqlite3_stmt *st = prepare(h, "SELECT id, env FROM envs ORDER BY id", err);
	cleanup_free char *text = NULL;
	int rc, r = 0;

	if (st == NULL)
		return -err->status;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 1);
		cJSON *known = t ? cJSON_Parse(t) : NULL, *diff;
		bool same;

		if (known == NULL)
			continue;
		diff = compare_env_differences(env, known);
		same = cJSON_GetArraySize(diff) == 0;
		cJSON_Delete(diff);
		cJSON_Delete(known);
		if (same) {
			*id = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
			return 0;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_fail(h->db, err, h->path, "cannot read the environments");
	text = cJSON_PrintUnformatted(env);
	if ((st = prepare(h, "INSERT INTO envs (env) VALUES (?)", err)) == NULL)
		return -err->status;
	bind_text(st, 1, text);
	r = step_done(h, st, "cannot add an environment", err);
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(h->db);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "k=v,k=v" with the keys sorted: the same settings, the same series,
 * whatever order a suite listed its axes in. */
char *history_settings_key(cJSON *settings)
{
	char *items[64], *s = xstrdup("");
	size_t n = 0;
	cJSON *kv;

	cJSON_ArrayForEach(kv, settings) {
		if (n == 64 || kv->string == NULL)
			break;
		if (cJSON_IsString(kv)) {
			items[n++] = xasprintf("%s=%s", kv->string, kv->valuestring);
		} else {
			cleanup_free char *v = cJSON_PrintUnformatted(kv);
			items[n++] = xasprintf("%s=%s", kv->string, v ? v : "?");
		}
	}
	qsort(items, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s", s, i ? "," : "", items[i]);
		free(s);
		free(items[i]);
		s = t;
	}
	return s;
}

struct add_ctx {
	struct history *h;
	const struct history_night *n;
	long long night, env;
	sqlite3_stmt *series_ins, *series_get, *point_ins;
	size_t points;
	long kill_after;	/* tests: die by SIGKILL after this many points (< 0: never) */
};

static bool is_warmup(cJSON *rec)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "warmup"));
}

static int add_point(struct add_ctx *c, cJSON *like, const char *exp, const char *settings, const char *guest,
		     const struct exp_metric *mt, struct herror *err)
{
	struct record_values x = { 0 };
	struct summary_stats s;
	cJSON *host = cJSON_GetObjectItemCaseSensitive(like, "host");
	const char *h = cJSON_IsString(host) ? host->valuestring : c->n->host;
	long long sid;
	int r = 0;

	for (size_t i = 0; i < c->n->rr->n; i++) {
		cJSON *rec = c->n->rr->recs[i];

		if (!is_warmup(rec) && records_same_group(rec, like))
			record_values_of(rec, *guest ? guest : NULL, mt->path, &x);
	}
	for (size_t i = 0; i < x.n; i++)
		if (!isfinite(x.v[i])) {
			free(x.v);
			return error_setx(err, EINVAL, "run '%s': %s of %s is not a finite number", c->n->run_id,
					  mt->name, *guest ? guest : exp);
		}
	if (x.n == 0) {
		free(x.v);
		return 0;
	}
	stats_describe(x.v, x.n, &s);
	free(x.v);
	/* The series: made on its first night, found after. */
	const char *key[] = { c->n->suite, exp, settings, guest, mt->name, h };
	for (int i = 0; i < 6; i++) {
		bind_text(c->series_ins, i + 1, key[i]);
		bind_text(c->series_get, i + 1, key[i]);
	}
	sqlite3_bind_int64(c->series_ins, 7, c->env);
	sqlite3_bind_int64(c->series_get, 7, c->env);
	bind_text(c->series_ins, 8, mt->unit);
	sqlite3_bind_int(c->series_ins, 9, mt->better);
	sqlite3_bind_double(c->series_ins, 10, mt->min_change > 0 ? mt->min_change : COMPARE_DEFAULT_FLOOR);
	if ((r = step_done(c->h, c->series_ins, "cannot add a series", err)) < 0)
		return r;
	if (sqlite3_step(c->series_get) != SQLITE_ROW) {
		sqlite3_reset(c->series_get);
		return sql_fail(c->h->db, err, c->h->path, "cannot find a series");
	}
	sid = sqlite3_column_int64(c->series_get, 0);
	sqlite3_reset(c->series_get);
	sqlite3_bind_int64(c->point_ins, 1, sid);
	sqlite3_bind_int64(c->point_ins, 2, c->night);
	sqlite3_bind_int64(c->point_ins, 3, (sqlite3_int64)s.n);
	sqlite3_bind_double(c->point_ins, 4, s.mean);
	sqlite3_bind_double(c->point_ins, 5, s.sd);
	sqlite3_bind_double(c->point_ins, 6, s.median);
	if ((r = step_done(c->h, c->point_ins, "cannot add a point", err)) < 0)
		return r;
	if (++c->points == (size_t)c->kill_after)
		raise(SIGKILL);
	return 0;
}

/* Every compared metric of a group: per run, or per guest name (once
 * however many entries carry it). */
static int add_group(struct add_ctx *c, cJSON *like, struct herror *err)
{
	const char *exp = cJSON_GetObjectItemCaseSensitive(like, "experiment")->valuestring;
	const struct experiment *ops = experiment_find(exp);
	cleanup_free char *settings = history_settings_key(cJSON_GetObjectItemCaseSensitive(like, "settings"));
	cJSON *guests = cJSON_GetObjectItemCaseSensitive(like, "guests"), *g, *o;
	int r;

	if (ops == NULL) {
		hwarn("run '%s': not adding '%s': no such experiment in this build", c->n->run_id, exp);
		return 0;
	}
	for (size_t m = 0; m < ops->nmetrics; m++) {
		const struct exp_metric *mt = &ops->metrics[m];

		if (!(mt->use & METRIC_COMPARE))
			continue;
		if (mt->scope == METRIC_PER_RUN) {
			if ((r = add_point(c, like, exp, settings, "", mt, err)) < 0)
				return r;
			continue;
		}
		cJSON_ArrayForEach(g, guests) {
			cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
			bool seen = false;

			if (!cJSON_IsString(name) || !*name->valuestring)
				continue;
			cJSON_ArrayForEach(o, guests) {
				cJSON *on = cJSON_GetObjectItemCaseSensitive(o, "name");

				if (o == g)
					break;
				seen |= cJSON_IsString(on) && strcmp(on->valuestring, name->valuestring) == 0;
			}
			if (!seen && (r = add_point(c, like, exp, settings, name->valuestring, mt, err)) < 0)
				return r;
		}
	}
	return 0;
}

static int add_points(struct add_ctx *c, struct herror *err)
{
	const struct run_records *rr = c->n->rr;
	int r;

	c->series_ins = prepare(c->h, "INSERT OR IGNORE INTO series (suite, experiment, settings, guest, metric, "
				"host, env_id, unit, better, floor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
	c->series_get = prepare(c->h, "SELECT id FROM series WHERE suite = ? AND experiment = ? AND settings = ? "
				"AND guest = ? AND metric = ? AND host = ? AND env_id = ?", err);
	c->point_ins = prepare(c->h, "INSERT INTO points (series_id, night_id, n, mean, sd, median) "
			       "VALUES (?, ?, ?, ?, ?, ?)", err);
	r = c->series_ins && c->series_get && c->point_ins ? 0 : -err->status;
	for (size_t i = 0; i < rr->n && r == 0; i++) {
		bool first = !is_warmup(rr->recs[i]);

		/* Each group once: at its first recorded run. */
		for (size_t j = 0; j < i && first; j++)
			first = is_warmup(rr->recs[j]) || !records_same_group(rr->recs[j], rr->recs[i]);
		if (first)
			r = add_group(c, rr->recs[i], err);
	}
	sqlite3_finalize(c->series_ins);
	sqlite3_finalize(c->series_get);
	sqlite3_finalize(c->point_ins);
	if (r == 0 && c->points == 0)
		r = error_setx(err, EINVAL, "run '%s' has no compared metric of an experiment this harness knows",
			       c->n->run_id);
	return r;
}

int history_add_night(struct history *h, const struct history_night *n, struct herror *err)
{
	struct add_ctx c = { .h = h, .n = n, .kill_after = -1 };
	const char *kill = getenv("HARNESS_TEST_HISTORY_KILL_AFTER");
	sqlite3_stmt *st;
	long v;
	int r;

	if (kill && parse_long(kill, 1, 1000000, &v) == 0)
		c.kill_after = v;
	if ((r = exec(h, "BEGIN IMMEDIATE", "cannot lock the database", err)) < 0)
		return r;
	if ((st = prepare(h, "SELECT id FROM nights WHERE run_id = ? AND host = ?", err)) == NULL)
		goto fail;
	bind_text(st, 1, n->run_id);
	bind_text(st, 2, n->host);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW) {
		exec(h, "ROLLBACK", "cannot roll back", err);
		return 0;
	}
	if (r != SQLITE_DONE) {
		sql_fail(h->db, err, h->path, "cannot look the run up");
		goto fail;
	}
	if (env_id_of(h, n->env, &c.env, err) < 0)
		goto fail;
	st = prepare(h, "INSERT INTO nights (run_id, suite, host, started, commit_id, commit_date, env_id, kind, added) "
		     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
	if (st == NULL)
		goto fail;
	bind_text(st, 1, n->run_id);
	bind_text(st, 2, n->suite);
	bind_text(st, 3, n->host);
	sqlite3_bind_double(st, 4, n->started);
	bind_text(st, 5, n->commit_id);
	bind_text(st, 6, n->commit_date);
	sqlite3_bind_int64(st, 7, c.env);
	bind_text(st, 8, n->rerun ? "rerun" : "night");
	sqlite3_bind_double(st, 9, wall_s());
	r = step_done(h, st, "cannot add the night", err);
	sqlite3_finalize(st);
	if (r < 0)
		goto fail;
	c.night = sqlite3_last_insert_rowid(h->db);
	if (add_points(&c, err) < 0)
		goto fail;
	if (exec(h, "COMMIT", "cannot commit the night", err) < 0)
		goto fail;
	return 1;
fail:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return -(err && err->status ? err->status : EIO);
}

/* ---- a results directory ---- */

/* "YYYYMMDD-HHMMSS-SUITE", as harness run names its runs. */
static char *suite_of_run_id(const char *id)
{
	for (int i = 0; i < 15; i++)
		if (i == 8 ? id[i] != '-' : !(id[i] >= '0' && id[i] <= '9'))
			return NULL;
	return id[15] == '-' && id[16] ? xstrdup(id + 16) : NULL;
}

int history_night_read(const char *dir, struct history_night *n, struct run_records *rr, struct herror *err)
{
	cJSON *env, *schema, *host;
	const char *run_id = NULL;
	double started = INFINITY;
	int r;

	memset(n, 0, sizeof(*n));
	memset(rr, 0, sizeof(*rr));
	env = results_read_json(dir, "env.json", err);
	if (env == NULL)
		return error_wrap(err, "'%s' is not a results directory", dir);
	schema = cJSON_GetObjectItemCaseSensitive(env, "schema");
	host = cJSON_GetObjectItemCaseSensitive(env, "host_name");
	if (!cJSON_IsObject(env) || !cJSON_IsString(schema) || strcmp(schema->valuestring, "harness-env/1") != 0) {
		cJSON_Delete(env);
		return error_setx(err, EINVAL, "'%s/env.json' is not a harness environment (harness-env/1)", dir);
	}
	if ((r = records_load(dir, RECORDS_OK, rr, err)) < 0) {
		cJSON_Delete(env);
		return r;
	}
	records_filter(rr, experiment_known);
	for (size_t i = 0; i < rr->n; i++) {
		cJSON *sr = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "suite_run");
		cJSON *t = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "started");

		if (!cJSON_IsString(sr) || !run_id_valid(sr->valuestring)) {
			r = error_setx(err, EINVAL, "'%s': a record has no valid suite_run", dir);
			goto fail;
		}
		if (run_id && strcmp(run_id, sr->valuestring) != 0) {
			r = error_setx(err, EINVAL, "'%s' mixes the records of two runs ('%s' and '%s')", dir, run_id,
				       sr->valuestring);
			goto fail;
		}
		run_id = sr->valuestring;
		if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble) || t->valuedouble <= 0 || t->valuedouble > 1e11) {
			r = error_setx(err, EINVAL, "'%s': run '%s' has no valid start time", dir, run_id);
			goto fail;
		}
		started = fmin(started, t->valuedouble);
	}
	if (run_id == NULL) {
		r = error_setx(err, ENOENT, "'%s' has no successful run records", dir);
		goto fail;
	}
	n->suite = suite_of_run_id(run_id);
	if (n->suite == NULL) {
		r = error_setx(err, EINVAL, "'%s': run id '%s' does not name its suite (YYYYMMDD-HHMMSS-SUITE)", dir,
			       run_id);
		goto fail;
	}
	n->run_id = xstrdup(run_id);
	n->host = xstrdup(cJSON_IsString(host) && *host->valuestring ? host->valuestring : "unknown");
	n->started = started;
	n->env = env;
	n->rr = rr;
	return 0;
fail:
	records_free(rr);
	cJSON_Delete(env);
	return r;
}

void history_night_free(struct history_night *n, struct run_records *rr)
{
	free((char *)n->run_id);
	free((char *)n->suite);
	free((char *)n->host);
	cJSON_Delete(n->env);
	records_free(rr);
	memset(n, 0, sizeof(*n));
}

/* ---- loading and analysing series ---- */

/* Every "k=v" of want (comma-separated) is one of have's. */
static bool settings_match(const char *want, const char *have)
{
	cleanup_free char *w = want ? xstrdup(want) : NULL;
	cleanup_free char *hv = xasprintf(",%s,", have);
	char *save = NULL;

	if (w == NULL)
		return true;
	for (char *item = strtok_r(w, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		cleanup_free char *needle = xasprintf(",%s,", item);
		if (strstr(hv, needle) == NULL)
			return false;
	}
	return true;
}

int history_load(struct history *h, const struct history_filter *f, struct history_view *v, struct herror *err)
{
	/* A NULL parameter matches every value: (? IS NULL OR col = ?). */
	static const char sql_series[] =
		"SELECT s.id, s.env_id, s.suite, s.experiment, s.settings, s.guest, s.metric, s.host, s.unit, s.better, "
		"s.floor, (SELECT min(n.started) FROM points p JOIN nights n ON n.id = p.night_id WHERE p.series_id = s.id) "
		"AS first FROM series s WHERE (?1 IS NULL OR s.suite = ?1) AND (?2 IS NULL OR s.experiment = ?2) AND "
		"(?4 IS NULL OR s.guest = ?4) AND (?5 IS NULL OR s.metric = ?5) AND "
		"(?6 IS NULL OR s.host = ?6) "
		"ORDER BY s.suite, s.experiment, s.settings, s.guest, s.metric, s.host, first, s.env_id";
	static const char sql_points[] =
		"SELECT n.id, n.run_id, n.commit_id, n.commit_date, n.started, n.kind, p.n, p.mean, p.sd, p.median "
		"FROM points p JOIN nights n ON n.id = p.night_id WHERE p.series_id = ? ORDER BY n.started, n.id";
	const char *keys[] = { f->suite, f->experiment, f->settings, f->guest, f->metric, f->host };
	sqlite3_stmt *ss = prepare(h, sql_series, err), *ps = ss ? prepare(h, sql_points, err) : NULL;
	sqlite3_stmt *nn = ps ? prepare(h, "SELECT count(DISTINCT night_id) FROM points", err) : NULL;
	size_t cap = 0;
	int rc, r = 0;

	memset(v, 0, sizeof(*v));
	if (nn == NULL) {
		sqlite3_finalize(ss);
		sqlite3_finalize(ps);
		return -err->status;
	}
	for (int i = 0; i < 6; i++)
		if (i != 2)
			bind_text(ss, i + 1, keys[i]);
	while ((rc = sqlite3_step(ss)) == SQLITE_ROW) {
		struct history_series *s;
		size_t pcap = 0;

		if (!settings_match(f->settings, (const char *)sqlite3_column_text(ss, 4)))
			continue;

		if (v->ns == cap) {
			cap = cap ? 2 * cap : 16;
			v->s = realloc(v->s, cap * sizeof(*v->s));
			if (v->s == NULL)
				abort();
		}
		s = &v->s[v->ns++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(ss, 0);
		s->env_id = sqlite3_column_int64(ss, 1);
		s->suite = column_text(ss, 2);
		s->experiment = column_text(ss, 3);
		s->settings = column_text(ss, 4);
		s->guest = column_text(ss, 5);
		s->metric = column_text(ss, 6);
		s->host = column_text(ss, 7);
		s->unit = column_text(ss, 8);
		s->better = sqlite3_column_int(ss, 9);
		s->floor = sqlite3_column_double(ss, 10);
		sqlite3_bind_int64(ps, 1, s->id);
		while ((rc = sqlite3_step(ps)) == SQLITE_ROW) {
			struct history_point *p;
			const char *kind = (const char *)sqlite3_column_text(ps, 5);

			if (s->npts == pcap) {
				pcap = pcap ? 2 * pcap : 64;
				s->pts = realloc(s->pts, pcap * sizeof(*s->pts));
				if (s->pts == NULL)
					abort();
			}
			p = &s->pts[s->npts++];
			p->night = sqlite3_column_int64(ps, 0);
			p->run_id = column_text(ps, 1);
			p->commit_id = column_text(ps, 2);
			p->commit_date = column_text(ps, 3);
			p->started = sqlite3_column_double(ps, 4);
			p->rerun = kind && strcmp(kind, "rerun") == 0;
			p->n = (size_t)sqlite3_column_int64(ps, 6);
			p->mean = sqlite3_column_double(ps, 7);
			p->sd = sqlite3_column_double(ps, 8);
			p->median = sqlite3_column_double(ps, 9);
		}
		sqlite3_reset(ps);
		if (rc != SQLITE_DONE)
			break;
	}
	if (rc != SQLITE_DONE)
		r = sql_fail(h->db, err, h->path, "cannot read the series");
	else if (sqlite3_step(nn) == SQLITE_ROW)
		v->nights = (size_t)sqlite3_column_int64(nn, 0);
	sqlite3_finalize(ss);
	sqlite3_finalize(ps);
	sqlite3_finalize(nn);
	if (r < 0)
		history_view_free(v);
	return r;
}

void history_view_free(struct history_view *v)
{
	for (size_t i = 0; i < v->ns; i++) {
		struct history_series *s = &v->s[i];

		for (size_t k = 0; k < s->npts; k++) {
			free(s->pts[k].run_id);
			free(s->pts[k].commit_id);
			free(s->pts[k].commit_date);
		}
		free(s->pts);
		free(s->suite);
		free(s->experiment);
		free(s->settings);
		free(s->guest);
		free(s->metric);
		free(s->host);
		free(s->unit);
	}
	for (size_t i = 0; i < v->ncps; i++)
		free(v->cps[i].why);
	free(v->s);
	free(v->cps);
	memset(v, 0, sizeof(*v));
}

const char *history_cp_kind_name(enum history_cp_kind k)
{
	static const char *const names[] = {
		[HCP_REGRESSION] = "regression",   [HCP_IMPROVEMENT] = "improvement", [HCP_CHANGED] = "changed",
		[HCP_BELOW_FLOOR] = "below floor", [HCP_ENVIRONMENT] = "new series", [HCP_MARKED] = "marked",
	};

	return names[k];
}

bool history_cp_recent(const struct history_view *v, const struct history_cp *c, const struct history_detect_options *o)
{
	return o->since == 0 || c->index + o->since >= v->s[c->series].npts;
}

static void add_cp(struct history_view *v, size_t series, size_t index, enum history_cp_kind kind,
		   const struct cp_point *st, char *why)
{
	struct history_cp *c;

	v->cps = realloc(v->cps, (v->ncps + 1) * sizeof(*v->cps));
	if (v->cps == NULL)
		abort();
	c = &v->cps[v->ncps++];
	c->series = series;
	c->index = index;
	c->kind = kind;
	c->st = *st;
	c->why = why;
}

bool history_same_lineage(const struct history_series *a, const struct history_series *b)
{
	return strcmp(a->suite, b->suite) == 0 && strcmp(a->experiment, b->experiment) == 0 &&
	       strcmp(a->settings, b->settings) == 0 && strcmp(a->guest, b->guest) == 0 &&
	       strcmp(a->metric, b->metric) == 0 && strcmp(a->host, b->host) == 0;
}

static cJSON *env_json(struct history *h, long long id)
{
	sqlite3_stmt *st = prepare(h, "SELECT env FROM envs WHERE id = ?", NULL);
	cJSON *j = NULL;

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		j = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return j;
}

/* "QEMU version: '7.2' vs '8.0'; ...": what compare says changed. */
static char *env_change_text(struct history *h, long long from, long long to)
{
	cJSON *a = env_json(h, from), *b = env_json(h, to), *d, *it;
	char *s = xstrdup("");

	if (a && b) {
		d = compare_env_differences(a, b);
		cJSON_ArrayForEach(it, d) {
			char *t = xasprintf("%s%s%s", s, *s ? "; " : "", it->valuestring);
			free(s);
			s = t;
		}
		cJSON_Delete(d);
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	if (!*s) {
		free(s);
		s = xstrdup("environment fingerprint changed");
	}
	return s;
}

struct mark {
	long long night;
	char *experiment, *settings, *guest, *metric, *note;
};

static bool mark_matches(const struct mark *m, const struct history_series *s)
{
	return (!m->experiment || strcmp(m->experiment, s->experiment) == 0) &&
	       settings_match(m->settings, s->settings) && (!m->guest || strcmp(m->guest, s->guest) == 0) &&
	       (!m->metric || strcmp(m->metric, s->metric) == 0);
}

static enum history_cp_kind classify(const struct history_series *s, const struct cp_point *p, double floor)
{
	if (fabs(p->rel_change) < floor)
		return HCP_BELOW_FLOOR;
	if (s->better == 0)
		return HCP_CHANGED;
	return (p->rel_change > 0) == (s->better > 0) ? HCP_IMPROVEMENT : HCP_REGRESSION;
}

/* One series: detection between its marks, each mark a boundary. */
static int analyze_series(struct history_view *v, size_t si, const struct mark *marks, size_t nmarks,
			  const struct history_detect_options *o)
{
	struct history_series *s = &v->s[si];
	double *x = xcalloc(s->npts + 1, sizeof(double));
	size_t *cut = xcalloc(s->npts + 2, sizeof(size_t)), ncut = 0;
	int r = 0;

	for (size_t k = 0; k < s->npts; k++)
		x[k] = s->pts[k].mean;
	cut[ncut++] = 0;
	for (size_t k = 1; k < s->npts; k++)
		for (size_t m = 0; m < nmarks; m++)
			if (marks[m].night == s->pts[k].night && mark_matches(&marks[m], s)) {
				struct cp_point st;

				cp_ttest(x, cut[ncut - 1], k, s->npts, &st);
				add_cp(v, si, k, HCP_MARKED, &st, xstrdup(marks[m].note));
				cut[ncut++] = k;
				break;
			}
	cut[ncut++] = s->npts;
	for (size_t c = 0; c + 1 < ncut && r == 0; c++) {
		struct cp_point *pts;
		size_t np;

		r = cp_detect(x + cut[c], cut[c + 1] - cut[c], &o->cp, &pts, &np);
		for (size_t k = 0; k < np; k++) {
			pts[k].index += cut[c];
			add_cp(v, si, pts[k].index, classify(s, &pts[k], o->floor >= 0 ? o->floor : s->floor), &pts[k],
			       NULL);
		}
		free(pts);
	}
	free(x);
	free(cut);
	return r;
}

int history_analyze(struct history *h, struct history_view *v, const struct history_detect_options *o,
		    struct herror *err)
{
	sqlite3_stmt *st = prepare(h, "SELECT night_id, experiment, settings, guest, metric, note FROM marks "
				   "ORDER BY id", err);
	struct mark *marks = NULL;
	size_t nmarks = 0;
	int r = 0;

	if (st == NULL)
		return -err->status;
	while (sqlite3_step(st) == SQLITE_ROW) {
		marks = realloc(marks, (nmarks + 1) * sizeof(*marks));
		if (marks == NULL)
			abort();
		marks[nmarks++] = (struct mark){ sqlite3_column_int64(st, 0), column_text(st, 1), column_text(st, 2),
						 column_text(st, 3), column_text(st, 4), column_text(st, 5) };
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < v->ns && r == 0; i++) {
		/* A new fingerprint in the same lineage: a new series, never a
		 * change point; the step is shown, with what changed. */
		if (i > 0 && history_same_lineage(&v->s[i - 1], &v->s[i]) && v->s[i - 1].npts && v->s[i].npts) {
			const struct history_series *a = &v->s[i - 1], *b = &v->s[i];
			struct cp_point st2 = { 0 };
			double ma = 0, mb = 0;

			for (size_t k = 0; k < a->npts; k++)
				ma += a->pts[k].mean;
			for (size_t k = 0; k < b->npts; k++)
				mb += b->pts[k].mean;
			st2.n_before = a->npts;
			st2.n_after = b->npts;
			st2.mean_before = ma / (double)a->npts;
			st2.mean_after = mb / (double)b->npts;
			st2.rel_change = st2.mean_before != 0 ? (st2.mean_after - st2.mean_before) / fabs(st2.mean_before) : 0;
			st2.p = NAN;
			add_cp(v, i, 0, HCP_ENVIRONMENT, &st2, env_change_text(h, a->env_id, b->env_id));
		}
		r = analyze_series(v, i, marks, nmarks, o);
	}
	for (size_t m = 0; m < nmarks; m++) {
		free(marks[m].experiment);
		free(marks[m].settings);
		free(marks[m].guest);
		free(marks[m].metric);
		free(marks[m].note);
	}
	free(marks);
	if (r < 0)
		return error_setx(err, -r, "the detector's parameters are out of range (window >= 2 x min size >= 4, "
				  "0 < max p < 1)");
	return 0;
}

int history_mark(struct history *h, const char *run_id, const struct history_filter *f, const char *note,
		 struct herror *err)
{
	sqlite3_stmt *st;
	long long night;
	int r;

	st = prepare(h, run_id ? "SELECT id FROM nights WHERE run_id = ? ORDER BY started DESC LIMIT 1"
			       : "SELECT id FROM nights ORDER BY started DESC, id DESC LIMIT 1", err);
	if (st == NULL)
		return -err->status;
	if (run_id)
		bind_text(st, 1, run_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return run_id ? error_setx(err, ENOENT, "history '%s' has no night '%s'", h->path, run_id)
			      : error_setx(err, ENOENT, "history '%s' has no night yet", h->path);
	}
	night = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = prepare(h, "INSERT INTO marks (night_id, experiment, settings, guest, metric, note, created) "
		     "VALUES (?, ?, ?, ?, ?, ?, ?)", err);
	if (st == NULL)
		return -err->status;
	sqlite3_bind_int64(st, 1, night);
	bind_text(st, 2, f->experiment);
	bind_text(st, 3, f->settings);
	bind_text(st, 4, f->guest);
	bind_text(st, 5, f->metric);
	bind_text(st, 6, note);
	sqlite3_bind_double(st, 7, wall_s());
	r = step_done(h, st, "cannot add the mark", err);
	sqlite3_finalize(st);
	return r;
}
