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

int record_write(const char *dir, const char *run_id, const cJSON *rec, struct herror *err)
{
	cleanup_free char *path = xasprintf("%s/runs/%s.json", dir, run_id);
	cleanup_free char *text = cJSON_PrintUnformatted(rec);

	if (text == NULL)
		return error_setx(err, ENOMEM, "cannot serialize the record of run '%s'", run_id);
	return write_file_atomic(path, text, strlen(text), 0644, err);
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

int records_load(const char *dir, unsigned flags, struct run_records *rr, struct herror *err)
{
	cleanup_free char *runs = xasprintf("%s/runs", dir);
	cleanup_close int dfd = -1, rfd = -1;
	cleanup_dir DIR *d = NULL;
	struct dirent *e;
	char **names = NULL;
	size_t nnames = 0, cap = 0;

	memset(rr, 0, sizeof(*rr));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_set(err, errno, "cannot open results '%s'", runs);
	/* runs/ itself is not followed when it is a link out of the directory. */
	rfd = openat(dfd, "runs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0) {
		int oerr = errno;
		struct stat st;

		if (fstatat(dfd, "runs", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
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
	rr->recs = xcalloc(nnames + 1, sizeof(cJSON *));
	rr->files = xcalloc(nnames + 1, sizeof(char *));
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
	if (rr->disturbed && !(flags & RECORDS_WITH_DISTURBED))
		hwarn("'%s': %zu run(s) marked disturbed (other processes on the host, host_noise) left out of the "
		      "statistics", runs, rr->disturbed);
	return 0;
}

void records_filter(struct run_records *rr, bool (*known)(const char *experiment))
{
	size_t k = 0;

	for (size_t i = 0; i < rr->n; i++) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(rr->recs[i], "experiment");

		if (cJSON_IsString(e) && !known(e->valuestring)) {
			cleanup_free char *why = xasprintf("'%s' is a run of '%.100s', an experiment this build does "
							   "not have", rr->files[i], e->valuestring);
			skipped(why);
			cJSON_Delete(rr->recs[i]);
			free(rr->files[i]);
			continue;
		}
		rr->recs[k] = rr->recs[i];
		rr->files[k++] = rr->files[i];
	}
	rr->n = k;
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
