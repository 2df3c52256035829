#include "records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
 * regular file of a bounded size is read (a FIFO named x.json would block,
 * a device would never end). */
static cJSON *read_json(const char *path, struct herror *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	cleanup_free char *text = NULL;
	struct stat st;
	size_t len;
	cJSON *j;

	if (fd < 0) {
		error_set(err, errno, "cannot open '%s'", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		error_set(err, errno, "cannot stat '%s'", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		error_setx(err, EINVAL, "'%s' is not a regular file", path);
		return NULL;
	}
	if ((uint64_t)st.st_size > RECORD_MAX_BYTES) {
		error_setx(err, EFBIG, "'%s' is larger than %u MiB", path, RECORD_MAX_BYTES >> 20);
		return NULL;
	}
	if (read_fd(fd, path, RECORD_MAX_BYTES, &text, &len, err) < 0)
		return NULL;
	j = cJSON_ParseWithLength(text, len);
	if (j == NULL)
		error_setx(err, EINVAL, "'%s' is not JSON", path);
	return j;
}

cJSON *results_read_json(const char *dir, const char *name, struct herror *err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);

	return read_json(path, err);
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
	cleanup_free char *path = xasprintf("%s/runs/%s.json", dir, run_id);
	cJSON *j = read_json(path, NULL);
	bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));

	cJSON_Delete(j);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int records_load(const char *dir, unsigned flags, struct run_records *rr, struct herror *err)
{
	cleanup_free char *runs = xasprintf("%s/runs", dir);
	DIR *d = opendir(runs);
	struct dirent *e;
	char **names = NULL;
	size_t nnames = 0, cap = 0;

	memset(rr, 0, sizeof(*rr));
	if (d == NULL)
		return error_set(err, errno, "cannot open results '%s'", runs);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(char *));
			if (names == NULL)
				abort();
		}
		names[nnames++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (nnames)
		qsort(names, nnames, sizeof(char *), cmp_names);
	rr->recs = xcalloc(nnames + 1, sizeof(cJSON *));
	for (size_t i = 0; i < nnames; i++) {
		cleanup_free char *path = xasprintf("%s/%s", runs, names[i]);
		cJSON *rec = read_json(path, NULL);

		free(names[i]);
		if (rec == NULL)
			continue;
		if ((flags & RECORDS_OK) && !(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "ok")) &&
					     cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "experiment")))) {
			cJSON_Delete(rec);
			continue;
		}
		rr->recs[rr->n++] = rec;
	}
	free(names);
	return 0;
}

void records_free(struct run_records *rr)
{
	for (size_t i = 0; i < rr->n; i++)
		cJSON_Delete(rr->recs[i]);
	free(rr->recs);
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
