#include "records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record holds the runner's samples: allow a long run's worth (no more
 * than the harness reads of any file). */
#define RECORD_MAX_BYTES HARNESS_FILE_MAX

int results_create(const char *dir, struct herror *err)
{
	cleanup_free char *runs = xasprintf("%s/runs", dir);
	cleanup_free char *fails = xasprintf("%s/failures", dir);

	if (mkdir_p(runs, 0755, err) < 0 || mkdir_p(fails, 0755, err) < 0)
		return -err->status;
	return 0;
}

int results_write_json(const char *dir, const char *name, const cJSON *j, struct herror *err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	cleanup_free char *text = cJSON_Print(j);

	if (text == NULL)
		return error_setx(err, ENOMEM, "cannot serialize '%s'", path);
	return write_file_atomic(path, text, strlen(text), 0644, err);
}

/* Results directories are shared: any file there is untrusted. Only a
 * regular file of a bounded size inside the directory is read: no link is
 * followed (suite.yaml -> /etc/shadow), nothing but a regular file opened (a
 * FIFO named x.json would block, a device would never end). */
static cJSON *read_json_in(const char *dir, const char *rel, struct herror *err)
{
	cleanup_free char *text = NULL;
	size_t len;
	cJSON *j;

	if (read_file_beneath(dir, rel, RECORD_MAX_BYTES, &text, &len, err) < 0)
		return NULL;
	j = cJSON_ParseWithLength(text, len);
	if (j == NULL)
		error_setx(err, EINVAL, "'%s/%s' is not JSON", dir, rel);
	return j;
}

cJSON *results_read_json(const char *dir, const char *name, struct herror *err)
{
	return read_json_in(dir, name, err);
}

void results_write_failure(const char *dir, const char *run_id, const char *guest, const char *text)
{
	cleanup_free char *path = xasprintf("%s/failures/%s.%s.console.txt", dir, run_id, guest);

	write_file_atomic(path, text, strlen(text), 0644, NULL);
}

static int record_write_in(const char *dir, const char *sub, const char *run_id, const cJSON *rec,
			   struct herror *err)
{
	cleanup_free char *path = xasprintf("%s/%s/%s.json", dir, sub, run_id);
	cleanup_free char *text = cJSON_PrintUnformatted(rec);

	if (text == NULL)
		return error_setx(err, ENOMEM, "cannot serialize the record of run '%s'", run_id);
	return write_file_atomic(path, text, strlen(text), 0644, err);
}

int record_write(const char *dir, const char *run_id, const cJSON *rec, struct herror *err)
{
	return record_write_in(dir, "runs", run_id, rec, err);
}

int record_write_disturbed(const char *dir, const char *id, const cJSON *rec, struct herror *err)
{
	cleanup_free char *sub = xasprintf("%s/disturbed", dir);

	if (mkdir(sub, 0755) < 0 && errno != EEXIST)
		return error_set(err, errno, "cannot create '%s'", sub);
	return record_write_in(dir, "disturbed", id, rec, err);
}

bool record_done(const char *dir, const char *run_id)
{
	cleanup_free char *rel = xasprintf("runs/%s.json", run_id);
	cJSON *j = read_json_in(dir, rel, NULL);
	bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));

	cJSON_Delete(j);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first number of j that is not finite (1e999 parses as infinity),
 * with its path into where; false when there is none. cJSON bounds the
 * nesting (CJSON_NESTING_LIMIT), so the recursion is bounded too. */
static bool find_non_finite(const cJSON *j, char *where, size_t len)
{
	const cJSON *c;
	size_t i = 0;

	if (cJSON_IsNumber(j))
		return !isfinite(j->valuedouble);
	for (c = j ? j->child : NULL; c; c = c->next, i++) {
		if (find_non_finite(c, where, len)) {
			char seg[128];
			size_t n = strlen(where), m;

			if (c->string)
				snprintf(seg, sizeof(seg), ".%.100s", c->string);
			else
				snprintf(seg, sizeof(seg), "[%zu]", i);
			m = strlen(seg);
			/* Prepended; the deepest part is what is cut when it is long. */
			if (m + n + 1 > len)
				n = len - 1 - m;
			memmove(where + m, where, n);
			memcpy(where, seg, m);
			where[m + n] = '\0';
			return true;
		}
	}
	return false;
}

/* A refused or unreadable record is never dropped without a word: the
 * statistics would change with nobody told. */
static void skipped(const char *why)
{
	hwarn("%s; skipped", why);
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether two entries of the record's "guests" carry one name (the first
 * such name into name): sorted, so a record of many guests stays linear. */
static bool duplicate_guest(cJSON *rec, char *name, size_t len)
{
	cJSON *gl = cJSON_GetObjectItemCaseSensitive(rec, "guests"), *g;
	size_t n = 0, k = 0;
	const char **v;
	bool dup = false;

	cJSON_ArrayForEach(g, gl)
		n++;
	if (n < 2)
		return false;
	v = xcalloc(n, sizeof(char *));
	cJSON_ArrayForEach(g, gl) {
		cJSON *nm = cJSON_GetObjectItemCaseSensitive(g, "name");

		if (cJSON_IsString(nm))
			v[k++] = nm->valuestring;
	}
	qsort(v, k, sizeof(char *), cmp_str_ptr);
	for (size_t i = 1; i < k && !dup; i++)
		if (strcmp(v[i - 1], v[i]) == 0) {
			snprintf(name, len, "%.200s", v[i]);
			dup = true;
		}
	free(v);
	return dup;
}

/* Free the records marked in drop, keeping the others in order. */
static void records_drop(struct run_records *rr, const bool *drop)
{
	size_t k = 0;

	for (size_t i = 0; i < rr->n; i++) {
		if (drop[i]) {
			cJSON_Delete(rr->recs[i]);
			free(rr->files[i]);
			continue;
		}
		rr->recs[k] = rr->recs[i];
		rr->files[k++] = rr->files[i];
	}
	rr->n = k;
}

struct id_at {
	const char *run, *id;
	size_t i;
};

static int cmp_id_at(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;
	int c = strcmp(x->run, y->run) ?: strcmp(x->id, y->id);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* Records are keyed by run_id (within their suite_run: records of two
 * runs mixed in one directory are for their readers to refuse): a second
 * record of one run (a copy) would count its numbers twice. The first file
 * (by name) is kept, each later one refused naming both. Sorted: linear in
 * the records but for the sort. */
static void drop_duplicate_run_ids(struct run_records *rr)
{
	struct id_at *ids = xcalloc(rr->n + 1, sizeof(*ids));
	bool *drop = xcalloc(rr->n + 1, sizeof(bool));
	size_t n = 0;

	for (size_t i = 0; i < rr->n; i++) {
		cJSON *id = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "run_id");
		cJSON *run = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "suite_run");

		if (cJSON_IsString(id))
			ids[n++] = (struct id_at){ cJSON_IsString(run) ? run->valuestring : "", id->valuestring, i };
	}
	qsort(ids, n, sizeof(*ids), cmp_id_at);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(ids[i].run, ids[first].run) != 0 || strcmp(ids[i].id, ids[first].id) != 0) {
			first = i;
			continue;
		}
		cleanup_free char *why = xasprintf("'%s' has the run_id '%.200s' of '%s' (a duplicate record, bad "
						   "input)", rr->files[ids[i].i], ids[i].id, rr->files[ids[first].i]);
		skipped(why);
		drop[ids[i].i] = true;
	}
	records_drop(rr, drop);
	free(ids);
	free(drop);
}

/* The records in dir/sub, appended to rr; a missing sub is an error only
 * when required. */
static int load_from(const char *dir, const char *sub, bool required, unsigned flags, struct run_records *rr,
		     struct herror *err)
{
	cleanup_free char *runs = xasprintf("%s/%s", dir, sub);
	cleanup_close int dfd = -1, rfd = -1;
	cleanup_dir DIR *d = NULL;
	struct dirent *e;
	char **names = NULL;
	size_t nnames = 0, cap = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_set(err, errno, "cannot open results '%s'", runs);
	/* runs/ itself is not followed when it is a link out of the directory. */
	rfd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0) {
		int oerr = errno;
		struct stat st;

		if (oerr == ENOENT && !required)
			return 0;
		if (fstatat(dfd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			return error_setx(err, ELOOP, "cannot open results '%s': a symbolic link, not followed", runs);
		return error_set(err, oerr, "cannot open results '%s'", runs);
	}
	d = fdopendir(fcntl(rfd, F_DUPFD_CLOEXEC, 0));
	if (d == NULL)
		return error_set(err, errno, "cannot list results '%s'", runs);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.')
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(char *));
			if (names == NULL)
				abort();
		}
		names[nnames++] = xstrdup(e->d_name);
	}
	if (nnames)
		qsort(names, nnames, sizeof(char *), cmp_names);
	rr->recs = realloc(rr->recs, (rr->n + nnames + 1) * sizeof(cJSON *));
	rr->files = realloc(rr->files, (rr->n + nnames + 1) * sizeof(char *));
	if (rr->recs == NULL || rr->files == NULL)
		abort();
	for (size_t i = 0; i < nnames; i++) {
		struct herror rerr = { 0 };
		cleanup_free char *text = NULL;
		char where[512];
		cJSON *rec = NULL;
		size_t len;
		int fd = open_beneath_fd(rfd, runs, names[i], RECORD_MAX_BYTES, &rerr);

		if (fd >= 0) {
			if (read_fd(fd, names[i], RECORD_MAX_BYTES, &text, &len, &rerr) == 0 &&
			    (rec = cJSON_ParseWithLength(text, len)) == NULL)
				error_setx(&rerr, EINVAL, "'%s/%s' is not JSON", runs, names[i]);
			close(fd);
		}
		if (rec == NULL) {
			skipped(rerr.msg);
		} else if (!cJSON_IsObject(rec)) {
			cleanup_free char *why = xasprintf("'%s/%s' is not a run record (not a JSON object)", runs,
							   names[i]);
			skipped(why);
			cJSON_Delete(rec);
			rec = NULL;
		} else if (where[0] = '\0', find_non_finite(rec, where, sizeof(where))) {
			/* A metric of +-infinity would make every statistic of its
			 * group infinite or NaN (and a test's p 0): bad input. */
			cleanup_free char *why = xasprintf("'%s/%s' holds a number that is not finite (at %s)", runs,
							   names[i], where[0] == '.' ? where + 1 : where);
			skipped(why);
			cJSON_Delete(rec);
			rec = NULL;
		} else if ((flags & RECORDS_OK) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "ok")) &&
			   !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "experiment"))) {
			cleanup_free char *why = xasprintf("'%s/%s' names no experiment", runs, names[i]);
			skipped(why);
			cJSON_Delete(rec);
			rec = NULL;
		} else if ((flags & RECORDS_OK) && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "ok"))) {
			/* A failed run: not a bad file, just nothing to pool. */
			cJSON_Delete(rec);
			rec = NULL;
		} else if (duplicate_guest(rec, where, sizeof(where))) {
			/* Two entries of one guest would count as two runs of it. */
			cleanup_free char *why = xasprintf("'%s/%s' names guest '%s' twice (bad input)", runs,
							   names[i], where);
			skipped(why);
			cJSON_Delete(rec);
			rec = NULL;
		} else if ((flags & RECORDS_OK) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "disturbed"))) {
			/* Other processes on the host took part in it: counted, pooled only when asked. */
			rr->disturbed++;
			if (!(flags & RECORDS_WITH_DISTURBED)) {
				cJSON_Delete(rec);
				rec = NULL;
			}
		}
		if (rec) {
			rr->files[rr->n] = xasprintf("%s/%s", runs, names[i]);
			rr->recs[rr->n++] = rec;
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

/* How many records dir/sub holds (0 when there is no such directory, or it
 * is a link). */
static size_t count_json(const char *dir, const char *sub)
{
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = NULL;
	struct dirent *e;
	size_t n = 0;
	int fd;

	if (dfd < 0 || (fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		n += l > 5 && e->d_name[0] != '.' && strcmp(e->d_name + l - 5, ".json") == 0;
	}
	return n;
}

int records_load(const char *dir, unsigned flags, struct run_records *rr, struct herror *err)
{
	memset(rr, 0, sizeof(*rr));
	if (load_from(dir, "runs", true, flags, rr, err) < 0)
		return -err->status;
	/* The attempts a disturbed run was run again after (run.c keeps them
	 * apart: runs/ holds one record per run of the plan). */
	if ((flags & RECORDS_WITH_DISTURBED) && load_from(dir, "disturbed", false, flags, rr, err) < 0) {
		records_free(rr);
		return -err->status;
	}
	drop_duplicate_run_ids(rr);
	if (!(flags & RECORDS_WITH_DISTURBED)) {
		size_t kept = count_json(dir, "disturbed");

		if (rr->disturbed)
			hwarn("'%s/runs': %zu run(s) marked disturbed (other processes on the host, host_noise) left out "
			      "of the statistics", dir, rr->disturbed);
		if (kept)
			hwarn("'%s/disturbed': %zu disturbed attempt(s) of runs that were run again, left out", dir, kept);
	}
	return 0;
}

void records_filter(struct run_records *rr, bool (*known)(const char *experiment))
{
	bool *drop = xcalloc(rr->n + 1, sizeof(bool));

	for (size_t i = 0; i < rr->n; i++) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "experiment");

		if (cJSON_IsString(e) && !known(e->valuestring)) {
			cleanup_free char *why = xasprintf("'%s' is a run of '%.100s', an experiment this build does "
							   "not have", rr->files[i], e->valuestring);
			skipped(why);
			drop[i] = true;
		}
	}
	records_drop(rr, drop);
	free(drop);
}

void records_free(struct run_records *rr)
{
	for (size_t i = 0; i < rr->n; i++) {
		cJSON_Delete(rr->recs[i]);
		if (rr->files)
			free(rr->files[i]);
	}
	free(rr->recs);
	free(rr->files);
	memset(rr, 0, sizeof(*rr));
}

/* Runs of different hosts (parallel: hosts) are never pooled unless the
 * suite said so (hosts_pooled). */
static bool same_host_group(cJSON *a, cJSON *b)
{
	cJSON *ha = cJSON_GetObjectItemCaseSensitive(a, "host");
	cJSON *hb = cJSON_GetObjectItemCaseSensitive(b, "host");

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "hosts_pooled")) ||
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "hosts_pooled")))
		return true;
	if (!cJSON_IsString(ha) || !cJSON_IsString(hb))
		return !cJSON_IsString(ha) && !cJSON_IsString(hb);
	return strcmp(ha->valuestring, hb->valuestring) == 0;
}

bool records_same_group(cJSON *a, cJSON *b)
{
	cJSON *ea = cJSON_GetObjectItemCaseSensitive(a, "experiment");
	cJSON *eb = cJSON_GetObjectItemCaseSensitive(b, "experiment");

	return cJSON_IsString(ea) && cJSON_IsString(eb) && strcmp(ea->valuestring, eb->valuestring) == 0 &&
	       same_host_group(a, b) && cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a, "settings"),
			     cJSON_GetObjectItemCaseSensitive(b, "settings"), 1);
}

/* A key equal for any two records of one group (records_same_group): the
 * experiment and the settings' names with their string values, sorted and
 * each name once (cJSON_Compare ignores order and sees a name's first
 * item). The host is left out: pooled and unpooled hosts do not partition,
 * so records of one key are told apart by records_same_group itself. */
static char *group_key(cJSON *rec)
{
	cJSON *e = cJSON_GetObjectItemCaseSensitive(rec, "experiment");
	cJSON *st = cJSON_GetObjectItemCaseSensitive(rec, "settings"), *kv;
	size_t n = 0, k = 0, len = 0, off = 0;
	const char **names;
	char *key;

	cJSON_ArrayForEach(kv, st)
		n++;
	names = xcalloc(n + 1, sizeof(char *));
	cJSON_ArrayForEach(kv, st)
		if (kv->string)
			names[k++] = kv->string;
	qsort(names, k, sizeof(char *), cmp_str_ptr);
	len = strlen(cJSON_IsString(e) ? e->valuestring : "") + 2;
	for (size_t i = 0; i < k; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(st, names[i]);

		len += strlen(names[i]) + 3 + (cJSON_IsString(v) ? strlen(v->valuestring) : 0);
	}
	key = xcalloc(len + 1, 1);
	off += (size_t)snprintf(key, len + 1, "%s\x1f", cJSON_IsString(e) ? e->valuestring : "");
	for (size_t i = 0; i < k; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(st, names[i]);

		if (i && strcmp(names[i], names[i - 1]) == 0)
			continue;
		off += (size_t)snprintf(key + off, len + 1 - off, "%s\x1e%c%s\x1d", names[i],
					cJSON_IsString(v) ? 's' : 'o', cJSON_IsString(v) ? v->valuestring : "");
	}
	free(names);
	return key;
}

struct key_at {
	const char *key;
	size_t i;
};

static int cmp_key_at(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

struct group_at {
	struct run_records g;
	char *key;
	size_t first;
};

static int cmp_group_first(const void *a, const void *b)
{
	const struct group_at *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static const char *const *sort_keys;

static int cmp_group_key(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_keys[x], sort_keys[y]);

	return c ? c : x < y ? -1 : x > y;
}

void records_group(const struct run_records *rr, struct record_groups *out)
{
	struct key_at *ka = xcalloc(rr->n + 1, sizeof(*ka));
	struct group_at *ga = xcalloc(rr->n + 1, sizeof(*ga));
	size_t ng = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < rr->n; i++)
		ka[i] = (struct key_at){ group_key(rr->recs[i]), i };
	qsort(ka, rr->n, sizeof(*ka), cmp_key_at);
	for (size_t s = 0, e; s < rr->n; s = e) {
		size_t start = ng;

		for (e = s + 1; e < rr->n && strcmp(ka[e].key, ka[s].key) == 0; e++)
			;
		/* One key, in rr's order: the groups it holds (one but for hosts). */
		for (size_t j = s; j < e; j++) {
			cJSON *rec = rr->recs[ka[j].i];
			struct group_at *g = NULL;

			for (size_t k = start; k < ng && !g; k++)
				if (records_same_group(ga[k].g.recs[0], rec))
					g = &ga[k];
			if (g == NULL) {
				g = &ga[ng++];
				g->g.recs = xcalloc(e - s, sizeof(cJSON *));
				g->key = xstrdup(ka[s].key);
				g->first = ka[j].i;
			}
			g->g.recs[g->g.n++] = rec;
		}
	}
	for (size_t i = 0; i < rr->n; i++)
		free((char *)ka[i].key);
	free(ka);
	qsort(ga, ng, sizeof(*ga), cmp_group_first);
	out->n = ng;
	out->g = xcalloc(ng + 1, sizeof(*out->g));
	out->keys = xcalloc(ng + 1, sizeof(char *));
	out->order = xcalloc(ng + 1, sizeof(size_t));
	for (size_t k = 0; k < ng; k++) {
		out->g[k] = ga[k].g;
		out->keys[k] = ga[k].key;
		out->order[k] = k;
	}
	free(ga);
	sort_keys = (const char *const *)out->keys;
	qsort(out->order, ng, sizeof(size_t), cmp_group_key);
	sort_keys = NULL;
}

const struct run_records *records_find_group(const struct record_groups *gs, cJSON *like)
{
	cleanup_free char *key = group_key(like);
	size_t lo = 0, hi = gs->n;

	/* The first group of the key, then each of that key in turn. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(gs->keys[gs->order[mid]], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < gs->n && strcmp(gs->keys[gs->order[lo]], key) == 0; lo++)
		if (records_same_group(gs->g[gs->order[lo]].recs[0], like))
			return &gs->g[gs->order[lo]];
	return NULL;
}

void record_groups_free(struct record_groups *gs)
{
	for (size_t k = 0; k < gs->n; k++) {
		free(gs->g[k].recs);
		free(gs->keys[k]);
	}
	free(gs->g);
	free(gs->keys);
	free(gs->order);
	memset(gs, 0, sizeof(*gs));
}

void record_values_push(struct record_values *x, double v)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		x->v = realloc(x->v, x->cap * sizeof(double));
		if (x->v == NULL)
			abort();
	}
	x->v[x->n++] = v;
}

cJSON *record_at(cJSON *v, const char *const *path)
{
	for (size_t p = 0; p < 4 && path[p] && v; p++)
		v = cJSON_GetObjectItemCaseSensitive(v, path[p]);
	return v;
}

void record_values_of(cJSON *rec, const char *guest, const char *const *path, struct record_values *out)
{
	cJSON *g, *v;

	if (guest == NULL) {
		v = record_at(rec, path);
		if (cJSON_IsNumber(v))
			record_values_push(out, v->valuedouble);
		return;
	}
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rec, "guests")) {
		cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");

		if (!cJSON_IsString(name) || strcmp(name->valuestring, guest) != 0)
			continue;
		v = record_at(g, path);
		if (cJSON_IsNumber(v))
			record_values_push(out, v->valuedouble);
	}
}

size_t records_values(const struct run_records *rr, cJSON *like, const char *guest, const char *const *path,
		      double *out)
{
	struct record_values x = { 0 };
	size_t k;

	for (size_t r = 0; r < rr->n; r++)
		if (like == NULL || records_same_group(rr->recs[r], like))
			record_values_of(rr->recs[r], guest, path, &x);
	k = x.n;
	if (k)
		memcpy(out, x.v, k * sizeof(double));
	free(x.v);
	return k;
}

bool run_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > RUN_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}
