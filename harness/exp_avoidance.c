/* avoidance: the Banker's algorithm (runtime/src/banker.c, the runtime's
 * admission control, compiled in) on the textbook state of the seeds or on a
 * state the suite gives, and optionally on one request: a safe sequence or
 * "unsafe", with the walk-through (need, work before and after each step).
 * Deadlock avoidance beside the deadlock experiment; no guest needed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "banker.h"
#include "doc.h"
#include "experiment.h"

extern const struct experiment exp_avoidance_info;

/* Silberschatz's example, as in the seeds' lab report: 5 processes, 3
 * resource types, Available 3,3,2; safe sequence P1 P3 P4 P0 P2. */
static const char textbook[] = "available=3,3,2;max=7,5,3/3,2,2/9,0,2/2,2,2/4,3,3;"
			       "alloc=0,1,0/2,0,0/3,0,2/2,1,1/0,0,2";

/* "a,b,c" into v; the count, or -EINVAL. */
static int parse_vector(const char *s, uint64_t *v, int max)
{
	cleanup_free char *copy = xstrdup(s);
	char *save = NULL;
	int n = 0;

	if (*s == '\0' || s[strlen(s) - 1] == ',')
		return -EINVAL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long x;
		if (n >= max || parse_long(tok, 0, 1000000, &x) < 0)
			return -EINVAL;
		v[n++] = (uint64_t)x;
	}
	return n;
}

/* "r/r/r" of vectors into rows of m; the number of rows, or -EINVAL. */
static int parse_matrix(const char *s, uint64_t rows[][BANKER_MAX_RES], int m)
{
	cleanup_free char *copy = xstrdup(s);
	char *save = NULL;
	int n = 0;

	if (*s == '\0' || s[strlen(s) - 1] == '/')
		return -EINVAL;
	for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n >= BANKER_MAX_PROCS || parse_vector(tok, rows[n], BANKER_MAX_RES) != m)
			return -EINVAL;
		n++;
	}
	return n;
}

/* A state setting into b; 0, or -EINVAL with why. */
static int parse_state(const char *v, struct banker *b, char *why, size_t whylen)
{
	cleanup_free char *copy = xstrdup(strcmp(v, "textbook") == 0 ? textbook : v);
	char *save = NULL, *avail = NULL, *max = NULL, *alloc = NULL;
	int np;

	memset(b, 0, sizeof(*b));
	for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(part, '=');
		if (eq == NULL)
			goto bad;
		*eq = '\0';
		if (strcmp(part, "available") == 0)
			avail = eq + 1;
		else if (strcmp(part, "max") == 0)
			max = eq + 1;
		else if (strcmp(part, "alloc") == 0)
			alloc = eq + 1;
		else
			goto bad;
	}
	if (avail == NULL || max == NULL || alloc == NULL)
		goto bad;
	b->nres = parse_vector(avail, b->available, BANKER_MAX_RES);
	if (b->nres < 1)
		goto bad;
	np = parse_matrix(max, b->max, b->nres);
	if (np < 1 || parse_matrix(alloc, b->alloc, b->nres) != np)
		goto bad;
	b->nproc = np;
	for (int p = 0; p < np; p++)
		for (int r = 0; r < b->nres; r++)
			if (b->alloc[p][r] > b->max[p][r]) {
				snprintf(why, whylen, "'%s': P%d holds more of resource %d than it claims", v, p, r);
				return -EINVAL;
			}
	return 0;
bad:
	snprintf(why, whylen,
		 "'%s' must be textbook or available=a,b,...;max=row/row/...;alloc=row/row/... (up to %d processes, "
		 "%d resources, rows of one length)", v, BANKER_MAX_PROCS, BANKER_MAX_RES);
	return -EINVAL;
}

/* "none" or "P<i>:a,b,c": process and amounts; 0 for none, 1 for a request. */
static int parse_request(const char *v, int *p, uint64_t *req, int nres)
{
	long x;
	const char *colon;
	char num[16];

	if (strcmp(v, "none") == 0)
		return 0;
	colon = strchr(v, ':');
	if (v[0] != 'P' || colon == NULL || colon - v - 1 < 1 || colon - v - 1 >= (long)sizeof(num))
		return -EINVAL;
	memcpy(num, v + 1, (size_t)(colon - v - 1));
	num[colon - v - 1] = '\0';
	if (parse_long(num, 0, BANKER_MAX_PROCS - 1, &x) < 0)
		return -EINVAL;
	*p = (int)x;
	uint64_t tmp[BANKER_MAX_RES];
	int n = parse_vector(colon + 1, tmp, BANKER_MAX_RES);
	if (n < 1 || (nres > 0 && n != nres))
		return -EINVAL;
	memcpy(req, tmp, sizeof(tmp));
	return 1;
}

static int check_state(const char *v, const struct suite *s, char *why, size_t whylen)
{
	struct banker b;

	return parse_state(v, &b, why, whylen);
}

static int check_request(const char *v, const struct suite *s, char *why, size_t whylen)
{
	uint64_t req[BANKER_MAX_RES];
	int p;

	if (parse_request(v, &p, req, 0) < 0) {
		snprintf(why, whylen, "'%s' must be none or P<i>:a,b,... (process i asks for a, b, ... more)", v);
		return -EINVAL;
	}
	return 0;
}

static cJSON *vector_json(const uint64_t *v, int n)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
	return a;
}

static void vector_text(const uint64_t *v, int n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
}

static int avoidance_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	const char *state_v = exp_setting_value(x, "state"), *req_v = exp_setting_value(x, "request");
	struct banker b, t;
	uint64_t req[BANKER_MAX_RES] = { 0 }, work[BANKER_MAX_RES];
	int seq[BANKER_MAX_PROCS], p = -1, has_req, safe;
	char why[512], result[1024], vec[256];
	cJSON *o, *a, *steps;
	size_t off;

	if (parse_state(state_v, &b, why, sizeof(why)) < 0)
		return error_setx(err, EINVAL, "state: %s", why);
	has_req = parse_request(req_v, &p, req, b.nres);
	if (has_req < 0 || (has_req && p >= b.nproc))
		return error_setx(err, EINVAL, "request '%s' does not fit the state (%d processes, %d resources)", req_v,
				b.nproc, b.nres);
	o = cJSON_AddObjectToObject(record, "avoidance");
	cJSON_AddStringToObject(o, "state", strcmp(state_v, "textbook") == 0 ? "textbook" : "suite");
	cJSON_AddNumberToObject(o, "processes", b.nproc);
	cJSON_AddNumberToObject(o, "resources", b.nres);
	cJSON_AddItemToObject(o, "available", vector_json(b.available, b.nres));
	a = cJSON_AddArrayToObject(o, "max");
	for (int i = 0; i < b.nproc; i++)
		cJSON_AddItemToArray(a, vector_json(b.max[i], b.nres));
	a = cJSON_AddArrayToObject(o, "allocation");
	for (int i = 0; i < b.nproc; i++)
		cJSON_AddItemToArray(a, vector_json(b.alloc[i], b.nres));
	a = cJSON_AddArrayToObject(o, "need");
	for (int i = 0; i < b.nproc; i++) {
		uint64_t need[BANKER_MAX_RES];
		for (int r = 0; r < b.nres; r++)
			need[r] = b.max[i][r] - b.alloc[i][r];
		cJSON_AddItemToArray(a, vector_json(need, b.nres));
	}
	t = b;
	if (has_req) {
		cJSON *rq = cJSON_AddObjectToObject(o, "request");
		char pn[16];
		snprintf(pn, sizeof(pn), "P%d", p);
		cJSON_AddStringToObject(rq, "process", pn);
		cJSON_AddItemToObject(rq, "amount", vector_json(req, b.nres));
		safe = banker_request_is_safe(&b, p, req, seq);
		bool fits = true, within = true;
		for (int r = 0; r < b.nres; r++) {
			within &= req[r] <= b.max[p][r] - b.alloc[p][r];
			fits &= req[r] <= b.available[r];
		}
		const char *verdict = !within ? "refused: more than its remaining claim" :
				      !fits  ? "wait: not available now" :
				      safe == 1 ? "granted: the state stays safe" : "wait: granting it would be unsafe";
		cJSON_AddStringToObject(rq, "verdict", verdict);
		if (within && fits)
			for (int r = 0; r < b.nres; r++) {
				t.available[r] -= req[r];
				t.alloc[p][r] += req[r];
			}
		if (!within || !fits)
			safe = banker_safe_sequence(&t, seq);
	} else {
		safe = banker_safe_sequence(&t, seq);
	}
	if (safe < 0)
		return error_setx(err, EINVAL, "the Banker's algorithm refused the state '%s'", state_v);
	/* The result for the state as it stands after a granted request. */
	cJSON_AddBoolToObject(o, "safe", safe == 1);
	cJSON_AddNumberToObject(o, "safe_value", safe == 1);
	if (safe == 1) {
		a = cJSON_AddArrayToObject(o, "sequence");
		off = (size_t)snprintf(result, sizeof(result), "safe:");
		for (int i = 0; i < t.nproc; i++) {
			char pn[16];
			snprintf(pn, sizeof(pn), "P%d", seq[i]);
			cJSON_AddItemToArray(a, cJSON_CreateString(pn));
			if (off < sizeof(result))
				off += (size_t)snprintf(result + off, sizeof(result) - off, " %s", pn);
		}
		/* The walk-through: each process's need against the work, and
		 * the work after it finishes and releases what it holds. */
		steps = cJSON_AddArrayToObject(o, "steps");
		memcpy(work, t.available, sizeof(work));
		for (int i = 0; i < t.nproc; i++) {
			cJSON *s = cJSON_CreateObject();
			uint64_t need[BANKER_MAX_RES];
			int q = seq[i];
			for (int r = 0; r < t.nres; r++)
				need[r] = t.max[q][r] - t.alloc[q][r];
			snprintf(vec, sizeof(vec), "P%d", q);
			cJSON_AddStringToObject(s, "process", vec);
			cJSON_AddItemToObject(s, "need", vector_json(need, t.nres));
			cJSON_AddItemToObject(s, "work_before", vector_json(work, t.nres));
			for (int r = 0; r < t.nres; r++)
				work[r] += t.alloc[q][r];
			cJSON_AddItemToObject(s, "work_after", vector_json(work, t.nres));
			cJSON_AddItemToArray(steps, s);
		}
	} else {
		cJSON_AddNullToObject(o, "sequence");
		snprintf(result, sizeof(result), "unsafe");
	}
	cJSON_AddStringToObject(o, "result", result);
	vector_text(t.available, t.nres, vec, sizeof(vec));
	cJSON_AddStringToObject(o, "available_text", vec);
	return 0;
}

static double avoidance_estimate_s(const struct experiment_def *def)
{
	return 0.1;
}

static void row_text(FILE *f, cJSON *row)
{
	cJSON *v;
	int i = 0;

	cJSON_ArrayForEach(v, row)
		fprintf(f, "%s%.0f", i++ ? "," : "", cJSON_IsNumber(v) ? v->valuedouble : -1);
}

static void avoidance_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	cJSON *run = NULL, *o, *rq, *s;
	FILE *f = d->f;
	int np;

	for (size_t i = 0; i < nruns && run == NULL; i++)
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(runs[i], "ok")) && doc_run_in_group(runs[i], grp))
			run = runs[i];
	if (run == NULL) {
		fputs(" No successful run.\n", f);
		return;
	}
	o = cJSON_GetObjectItemCaseSensitive(run, "avoidance");
	np = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "max"));
	fprintf(f, " The Banker's algorithm (deadlock avoidance: a state is safe when some order lets every process "
		   "get its maximum claim and finish) on the %s state: Available ",
		strcmp(doc_jstr(o, "state", ""), "textbook") == 0 ? "textbook" : "given");
	row_text(f, cJSON_GetObjectItemCaseSensitive(o, "available"));
	fputs(".\n.TS\nbox;\nc c c c\nl l l l.\nprocess\tallocation\tmax\tneed\n", f);
	for (int i = 0; i < np && i < BANKER_MAX_PROCS; i++) {
		fprintf(f, "P%d\t", i);
		row_text(f, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "allocation"), i));
		fputc('\t', f);
		row_text(f, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "max"), i));
		fputc('\t', f);
		row_text(f, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "need"), i));
		fputc('\n', f);
	}
	fputs(".TE\n", f);
	rq = cJSON_GetObjectItemCaseSensitive(o, "request");
	if (rq) {
		fputs(".PP\nRequest: ", f);
		doc_text(f, doc_jstr(rq, "process", "?"));
		fputs(" asks for ", f);
		row_text(f, cJSON_GetObjectItemCaseSensitive(rq, "amount"));
		fputs(": ", f);
		doc_text(f, doc_jstr(rq, "verdict", "?"));
		fputs(".\n", f);
	}
	fputs(".PP\n.B \"Result: ", f);
	doc_text(f, doc_jstr(o, "result", "?"));
	fputs("\"\n", f);
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "steps")) > 0) {
		fputs(".TS\nbox;\nc c c c\nl l l l.\nstep\tneed\twork before\twork after it releases\n", f);
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(o, "steps")) {
			doc_text(f, doc_jstr(s, "process", "?"));
			fputc('\t', f);
			row_text(f, cJSON_GetObjectItemCaseSensitive(s, "need"));
			fputc('\t', f);
			row_text(f, cJSON_GetObjectItemCaseSensitive(s, "work_before"));
			fputc('\t', f);
			row_text(f, cJSON_GetObjectItemCaseSensitive(s, "work_after"));
			fputc('\n', f);
		}
		fputs(".TE\n", f);
	}
}

static const struct exp_setting avoidance_settings[] = {
	{ .key = "state", .help = "the resource state: the seeds' textbook example or one of the suite's",
	  .syntax = "textbook | available=a,b,...;max=row/row/...;alloc=row/row/...", .def = "textbook",
	  .check = check_state },
	{ .key = "request", .help = "a request to judge before the state (granted only if the state stays safe)",
	  .syntax = "none | P<i>:a,b,...", .def = "none", .check = check_request },
};

static const struct exp_metric avoidance_metrics[] = {
	{ .name = "safe", .scope = METRIC_PER_RUN, .path = { "avoidance", "safe_value" }, .unit = "", .better = 0,
	  .use = METRIC_SUMMARY, .help = "1 when a safe sequence exists, 0 when the state is unsafe" },
};

const struct experiment exp_avoidance_info = {
	.name = "avoidance",
	.summary = "the Banker's algorithm on the textbook state or the suite's: a safe sequence or unsafe",
	.theory = "the textbook state (Available 3,3,2) is safe with the sequence P1 P3 P4 P0 P2",
	.guests = EXP_GUESTS_NONE,
	.settings = avoidance_settings,
	.nsettings = sizeof(avoidance_settings) / sizeof(avoidance_settings[0]),
	.metrics = avoidance_metrics,
	.nmetrics = sizeof(avoidance_metrics) / sizeof(avoidance_metrics[0]),
	.estimate_s = avoidance_estimate_s,
	.run = avoidance_run,
	.report_group = avoidance_report_group,
};
