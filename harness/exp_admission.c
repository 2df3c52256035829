/* admission: containers declare maximum memory claims to a harness-runtime
 * supervisor with a capacity; it admits a start only when the Banker's
 * algorithm finds a safe sequence with the new allocation. In the first
 * guest: the claims of the suite (by default the runtime's textbook case:
 * capacity 1000M, P0 and P1 claim 600M holding 300M, P2 claims 500M holding
 * 200M) are started in order with --admit refuse, the last one again with
 * --admit queue; then P0 ends and the queued start is seen to run. The
 * record holds each outcome, the safe sequences, and what the harness's own
 * Banker's computation expected. The runner has no claim keys, so the
 * experiment drives the runtime's CLI. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banker.h"
#include "doc.h"
#include "exp_containers.h"
#include "experiment.h"
#include "guestrun.h"
#include "progress.h"
#include "provision.h"

extern const struct experiment exp_admission_info;

#define MAX_PROCS 8

struct claim {
	unsigned long long max, hold;
};

static int parse_claims(const char *v, struct claim *c, size_t *n)
{
	cleanup_free char *copy = xstrdup(v);
	char *save = NULL;

	*n = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/');
		if (*n >= MAX_PROCS || slash == NULL)
			return -EINVAL;
		*slash = '\0';
		if (ctr_parse_size(tok, &c[*n].max) < 0 || ctr_parse_size(slash + 1, &c[*n].hold) < 0 ||
		    c[*n].hold > c[*n].max)
			return -EINVAL;
		(*n)++;
	}
	return *n >= 2 ? 0 : -EINVAL;
}

/* Banker's algorithm on one resource (the runtime's banker.c, which the
 * supervisor's admission uses too): true with the sequence when the first n
 * claims, each holding its allocation, are safe within cap. */
static bool banker_safe(const struct claim *c, const size_t *ids, size_t n, unsigned long long cap, char *seq,
			size_t seqlen)
{
	struct banker b = { .nproc = (int)n, .nres = 1 };
	unsigned long long used = 0;
	int order[BANKER_MAX_PROCS];
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		used += c[i].hold;
		b.max[i][0] = c[i].max;
		b.alloc[i][0] = c[i].hold;
	}
	seq[0] = '\0';
	if (used > cap)
		return false;
	b.available[0] = cap - used;
	if (banker_safe_sequence(&b, order) != 1)
		return false;
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(seq + off, seqlen > off ? seqlen - off : 0, "%sP%zu", off ? " " : "",
					ids[order[i]]);
	return true;
}

static int admission_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct guest *g = ctr_guest(x);
	const char *cap_s = exp_setting_value(x, "capacity"), *claims_s = exp_setting_value(x, "claims");
	struct claim c[MAX_PROCS];
	unsigned long long cap;
	size_t n, off = 0;
	char body[4096], opts[128], seq[128];
	cleanup_free char *script = NULL, *out = NULL;
	cJSON *starts, *exp_list;
	size_t admitted = 0;
	int r;

	if (g == NULL)
		return error_setx(err, EINVAL, "admission needs a guest");
	if (ctr_parse_size(cap_s, &cap) < 0 || parse_claims(claims_s, c, &n) < 0)
		return error_setx(err, EINVAL, "bad capacity '%s' or claims '%s'", cap_s, claims_s);
	ctr_record_guest(record, g);

	/* What theory expects, start by start, each beside those admitted before. */
	exp_list = cJSON_AddArrayToObject(record, "expected");
	struct claim running[MAX_PROCS];
	size_t ids[MAX_PROCS];
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		char name[24];
		running[admitted] = c[i];
		ids[admitted] = i;
		bool safe = banker_safe(running, ids, admitted + 1, cap, seq, sizeof(seq));
		snprintf(name, sizeof(name), "P%zu", i);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "outcome", safe ? "admitted" : "refused");
		cJSON_AddItemToObject(o, "safe_sequence", safe ? cJSON_CreateString(seq) : cJSON_CreateNull());
		cJSON_AddItemToArray(exp_list, o);
		if (safe)
			admitted++;
	}

	snprintf(opts, sizeof(opts), "--capacity memory=%llu,cpu=64,pids=100000", cap);
	off += (size_t)snprintf(body + off, sizeof(body) - off,
				"c() { $R start \"$1\" $T/root --claim memory=$2 --hold memory=$3 --stop-grace 1 --admit $4 "
				"-- sleep 600 >/dev/null 2>$T/err; }\n"
				"st() { $R ps | awk -v n=\"$1\" '$1 == n {print $2}'; }\n"
				"sq() { $R ps | sed -n 's/^safe sequence: *//p'; }\n");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(body + off, sizeof(body) - off,
					"if c P%zu %llu %llu refuse; then echo \"START P%zu refuse $(st P%zu) | $(sq)\"; "
					"else echo \"START P%zu refuse refused | $(head -c 200 $T/err | tr '\\n' ' ')\"; fi\n",
					i, c[i].max, c[i].hold, i, i, i);
	off += (size_t)snprintf(body + off, sizeof(body) - off,
				"if c Q %llu %llu queue; then echo \"START Q queue $(st Q) | $(sq)\"; "
				"else echo \"START Q queue failed | $(head -c 200 $T/err | tr '\\n' ' ')\"; fi\n"
				"t0=$(date +%%s%%N); $R stop P0 -t 0 >/dev/null 2>&1\n"
				"for i in $(seq 100); do [ \"$(st Q)\" = running ] && break; sleep 0.1; done\n"
				"echo \"AFTER Q $(st Q) $(( ($(date +%%s%%N) - t0) / 1000000 )) | $(sq)\"\n",
				c[n - 1].max, c[n - 1].hold);
	script = ctr_sv_script("admission", opts, body);
	progress_phase("admission control", 0, 0);
	r = ctr_sh(g, script, 180, &out, err);
	if (r < 0)
		return r;
	cJSON_AddNumberToObject(record, "capacity_bytes", (double)cap);
	starts = cJSON_AddArrayToObject(record, "starts");
	bool got_admitted = false, got_refused = false, got_queued = false, q_ran = false, match = true;
	double q_wait = NAN;
	for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		char name[16], mode[16], outcome[32];
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "error ", 6) == 0)
			return error_setx(err, EIO, "in '%s': %.400s", g->dom_name, line + 6);
		const char *bar = strstr(line, " | ");
		if (sscanf(line, "START %15s %15s %31s", name, mode, outcome) == 3) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", name);
			cJSON_AddStringToObject(o, "admit", mode);
			cJSON_AddStringToObject(o, "outcome", strcmp(outcome, "running") == 0 ? "admitted" : outcome);
			cJSON_AddStringToObject(o, strcmp(outcome, "refused") == 0 ? "reason" : "safe_sequence",
						bar ? bar + 3 : "");
			cJSON_AddItemToArray(starts, o);
			got_admitted |= strcmp(outcome, "running") == 0;
			got_refused |= strcmp(outcome, "refused") == 0;
			got_queued |= strcmp(outcome, "queued") == 0;
			if (name[0] == 'P') {
				cJSON *e = cJSON_GetArrayItem(exp_list, atoi(name + 1));
				bool want = strcmp(doc_jstr(e, "outcome", ""), "admitted") == 0;
				match = match && want == (strcmp(outcome, "running") == 0);
			}
		} else if (sscanf(line, "AFTER Q %31s", outcome) == 1) {
			double ms = NAN;
			sscanf(line, "AFTER Q %*s %lf", &ms);
			q_ran = strcmp(outcome, "running") == 0;
			q_wait = ms;
			cJSON_AddStringToObject(record, "sequence_after", bar ? bar + 3 : "");
		}
	}
	cJSON_AddBoolToObject(record, "shown_admitted", got_admitted);
	cJSON_AddBoolToObject(record, "shown_refused", got_refused);
	cJSON_AddBoolToObject(record, "shown_queued", got_queued);
	cJSON_AddBoolToObject(record, "queued_ran_after_release", q_ran);
	cJSON_AddItemToObject(record, "queued_wait_ms", ctr_num(q_ran ? q_wait : NAN));
	cJSON_AddBoolToObject(record, "matches_expected", match);
	cJSON_AddNumberToObject(record, "matches_expected_num", match ? 1 : 0);
	if (cJSON_GetArraySize(starts) != (int)n + 1)
		return error_setx(err, EIO, "admission in '%s': %d of %zu starts reported: %.300s", g->dom_name,
				cJSON_GetArraySize(starts), n + 1, out);
	return 0;
}

static int check_claims(const char *v, const struct suite *s, char *why, size_t whylen)
{
	struct claim c[MAX_PROCS];
	size_t n;

	if (parse_claims(v, c, &n) < 0) {
		snprintf(why, whylen, "'%s' must be 2..%d MAX/HOLD sizes separated by ',' (hold <= max)", v, MAX_PROCS);
		return -EINVAL;
	}
	return 0;
}

static double admission_estimate_s(const struct experiment_def *def)
{
	return 30;
}

static void admission_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	FILE *f = d->f;
	cJSON *last = NULL, *s;

	for (size_t i = 0; i < nruns; i++)
		if (doc_run_in_group(runs[i], grp))
			last = runs[i];
	if (last == NULL)
		return;
	fprintf(f, " Capacity %.0f MiB of memory. Starts in order (last run), with the Banker's algorithm's "
		   "verdict; matches what the harness computed: %s.\n",
		doc_jnum(last, "capacity_bytes") / 1048576.0,
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(last, "matches_expected")) ? "yes" : "NO");
	fputs(".TS\nbox;\nc c c l\nl l l l.\nstart\t--admit\toutcome\tsafe sequence or reason\n", f);
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(last, "starts")) {
		doc_text(f, doc_jstr(s, "name", "?"));
		fputc('\t', f);
		doc_text(f, doc_jstr(s, "admit", "?"));
		fputc('\t', f);
		doc_text(f, doc_jstr(s, "outcome", "?"));
		fputs("\tT{\n", f);
		doc_text(f, doc_jstr(s, "safe_sequence", doc_jstr(s, "reason", "")));
		fputs("\nT}\n", f);
	}
	fputs(".TE\n", f);
	fprintf(f, ".PP\nAfter P0 ended the queued start ran: %s, after %.0f ms; safe sequence then: ",
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(last, "queued_ran_after_release")) ? "yes" : "no",
		doc_jnum(last, "queued_wait_ms"));
	doc_text(f, doc_jstr(last, "sequence_after", "?"));
	fputs(".\n", f);
}

static const struct exp_setting admission_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "capacity", .help = "the supervisor's memory capacity", .syntax = "SIZE", .def = "1000M",
	  .check = ctr_check_size },
	{ .key = "claims", .help = "each container's maximum claim and the allocation it holds, started in order; "
				   "the last is started again with --admit queue",
	  .syntax = "MAX/HOLD,MAX/HOLD,...", .def = "600M/300M,600M/300M,500M/200M", .check = check_claims },
};

static const struct exp_metric admission_metrics[] = {
	{ .name = "matches_expected", .scope = METRIC_PER_RUN, .path = { "matches_expected_num" }, .unit = "",
	  .better = +1, .use = METRIC_SUMMARY, .help = "1 when every verdict is the one the Banker's algorithm gives" },
	{ .name = "queued_wait_ms", .scope = METRIC_PER_RUN, .path = { "queued_wait_ms" }, .unit = "ms", .better = -1,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "from P0's stop to the queued container running" },
};

const struct experiment exp_admission_info = {
	.name = "admission",
	.summary = "Banker's admission of containers with declared maximum claims: admitted, queued, refused",
	.theory = "a start is safe when some order lets every container reach its maximum claim with what the "
		  "others release (the Banker's algorithm); with 1000M, P0 and P1 (600M, holding 300M) are safe "
		  "in the order P0 P1, and P2 (500M holding 200M) would leave 200M, less than anyone's need",
	.guests = EXP_GUESTS_BORROWED,
	.settings = admission_settings,
	.nsettings = sizeof(admission_settings) / sizeof(admission_settings[0]),
	.metrics = admission_metrics,
	.nmetrics = sizeof(admission_metrics) / sizeof(admission_metrics[0]),
	.estimate_s = admission_estimate_s,
	.run = admission_run,
	.report_group = admission_report_group,
};
