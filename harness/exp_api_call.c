/* api-call: a client container calls a server container (the api workload,
 * the seeds' kitchen and diner) over harness-runtime's private network by
 * name, in one guest: round-trip percentiles and requests per second
 * for a request size and a concurrency. The experiment drives the runtime's
 * own CLI: a private supervisor with its own bridge and subnet (apart from
 * the runner's, whose networked containers share hrt-br0), the api binary
 * copied into a busybox root. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "exp_containers.h"
#include "experiment.h"
#include "guestrun.h"
#include "progress.h"
#include "provision.h"

extern const struct experiment exp_api_call_info;

static const char body_fmt[] =
	"cp /opt/harness/bin/api $T/root/bin/api || exit 3\n"
	"$R start server $T/root --net --ip 10.89.0.10 --stop-grace 1 -- /bin/api server --port 8080 --timeout 600 "
	">/dev/null 2>$T/err || { echo \"error server: $(head -c 300 $T/err)\"; exit 0; }\n"
	"up=0; for i in $(seq 30); do $R run hc$i $T/root --net --rm -- /bin/api client --url http://server:8080/health "
	"--requests 1 >/dev/null 2>&1 && { up=1; break; }; sleep 0.3; done\n"
	"[ $up = 1 ] || { echo \"error server: not answering on server:8080: $($R logs server 2>&1 | tail -c 300)\"; exit 0; }\n"
	"$R run client $T/root --net --rm -- /bin/sh -c '/bin/api client --url http://server:8080/api/echo --method POST "
	"--body-size %ld --concurrency %ld --duration %g >/client.json 2>/client.err' >/dev/null 2>$T/err\n"
	"echo \"CLIENT $(cat $T/root/client.json 2>/dev/null)\"\n"
	"[ -s $T/root/client.err ] && echo \"STDERR $(tail -c 300 $T/root/client.err | tr '\\n' ' ')\"\n"
	"$R stop server -t 1 >/dev/null 2>&1; true";

static int api_call_run(const struct exp_run *x, cJSON *record, struct herror *err)
{
	struct guest *g = ctr_guest(x);
	long size = 0, conc = 0;
	double duration = ctr_duration(x, 10);
	cleanup_free char *body = NULL, *script = NULL, *out = NULL;
	cJSON *doc = NULL, *totals, *rtt;
	const char *line;
	int r;

	if (g == NULL)
		return error_setx(err, EINVAL, "api-call needs a guest");
	if (parse_long(exp_setting_value(x, "request_size"), 1, 1048576, &size) < 0 ||
	    parse_long(exp_setting_value(x, "concurrency"), 1, 64, &conc) < 0)
		return error_setx(err, EINVAL, "bad request_size or concurrency");
	ctr_record_guest(record, g);
	body = xasprintf(body_fmt, size, conc, duration);
	script = ctr_sv_script("api-call", "--bridge hrt-api0 --subnet 10.89.0.0/24", body);
	progress_phase("client container calling the server container", 0, duration);
	r = ctr_sh(g, script, duration + 180, &out, err);
	if (r < 0)
		return r;
	cJSON_AddStringToObject(record, "network", "harness-runtime bridge hrt-api0, 10.89.0.0/24, server by name");
	cJSON_AddNumberToObject(record, "request_size", (double)size);
	cJSON_AddNumberToObject(record, "concurrency", (double)conc);
	if ((line = strstr(out, "error ")) != NULL && (line == out || line[-1] == '\n'))
		return error_setx(err, EIO, "in '%s': %.400s", g->dom_name, line + 6);
	line = strstr(out, "CLIENT ");
	doc = line ? cJSON_Parse(line + 7) : NULL;
	if (doc == NULL)
		return error_setx(err, EIO, "the api client in '%s' printed no JSON (exit %d): %.400s", g->dom_name, r, out);
	totals = cJSON_GetObjectItemCaseSensitive(doc, "totals");
	rtt = cJSON_GetObjectItemCaseSensitive(totals, "rtt_us");
	cJSON_AddItemToObject(record, "client_totals", totals ? cJSON_Duplicate(totals, 1) : cJSON_CreateNull());
	cJSON_AddItemToObject(record, "requests_per_s", ctr_num(doc_jnum(totals, "requests_per_s")));
	cJSON_AddItemToObject(record, "requests", ctr_num(doc_jnum(totals, "requests")));
	cJSON_AddItemToObject(record, "errors", ctr_num(doc_jnum(totals, "errors")));
	cJSON_AddItemToObject(record, "rtt_p50_us", ctr_num(doc_jnum(rtt, "p50")));
	cJSON_AddItemToObject(record, "rtt_p90_us", ctr_num(doc_jnum(rtt, "p90")));
	cJSON_AddItemToObject(record, "rtt_p99_us", ctr_num(doc_jnum(rtt, "p99")));
	cJSON_AddItemToObject(record, "rtt_max_us", ctr_num(doc_jnum(rtt, "max")));
	r = 0;
	if (!(doc_jnum(totals, "ok") > 0))
		r = error_setx(err, EIO, "no request of the client container succeeded: %.300s",
			     doc_jstr(totals, "first_error", doc_jstr(doc, "error", "?")));
	cJSON_Delete(doc);
	return r;
}

static int check_size(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;

	if (parse_long(v, 1, 1048576, &n) < 0) {
		snprintf(why, whylen, "'%s' must be a byte count 1..1048576", v);
		return -EINVAL;
	}
	return 0;
}

static int check_conc(const char *v, const struct suite *s, char *why, size_t whylen)
{
	long n;

	if (parse_long(v, 1, 64, &n) < 0) {
		snprintf(why, whylen, "'%s' must be 1..64 connections", v);
		return -EINVAL;
	}
	return 0;
}

static double api_call_estimate_s(const struct experiment_def *def)
{
	return (def->duration_s > 0 ? def->duration_s : 10) + 30;
}

/* One row per settings: the percentiles and the rate; after all groups, the
 * RTT percentiles against the settings. */
static void api_call_report_group(struct report_doc *d, cJSON *grp, cJSON *const *runs, size_t nruns)
{
	fprintf(d->f, " Requests/s %.0f (95%% CI %.0f\\(en%.0f); round trip p50 %.0f \\(*ms, p90 %.0f \\(*ms, "
		      "p99 %.0f \\(*ms (means over the runs); errors %.0f.\n",
		doc_jstat(grp, "requests_per_s", "mean"), doc_jstat(grp, "requests_per_s", "ci95_low"),
		doc_jstat(grp, "requests_per_s", "ci95_high"), doc_jstat(grp, "rtt_p50_us", "mean"),
		doc_jstat(grp, "rtt_p90_us", "mean"), doc_jstat(grp, "rtt_p99_us", "mean"),
		doc_jstat(grp, "errors", "mean"));
}

static void api_call_report_end(struct report_doc *d, cJSON *groups)
{
	char dat[4096], gp[4096], eps[4096];
	FILE *f;
	cJSON *grp;
	int row = 0;

	snprintf(dat, sizeof(dat), "%s/api.dat", d->tmp);
	snprintf(gp, sizeof(gp), "%s/api.gp", d->tmp);
	snprintf(eps, sizeof(eps), "%s/api.eps", d->tmp);
	f = fopen(dat, "w");
	if (f == NULL)
		return;
	cJSON_ArrayForEach(grp, groups) {
		char st[256];
		if (strcmp(doc_jstr(grp, "experiment", ""), exp_api_call_info.name) != 0)
			continue;
		doc_settings_text(cJSON_GetObjectItemCaseSensitive(grp, "settings"), st, sizeof(st));
		for (char *c = st; *c; c++)
			if (*c == ' ' || *c == '"')
				*c = '_';
		fprintf(f, "%d \"%s\" %g %g %g\n", row++, st, doc_jstat(grp, "rtt_p50_us", "mean"),
			doc_jstat(grp, "rtt_p90_us", "mean"), doc_jstat(grp, "rtt_p99_us", "mean"));
	}
	fclose(f);
	if (row == 0)
		return;
	f = fopen(gp, "w");
	if (f == NULL)
		return;
	fprintf(f, "set terminal postscript eps enhanced color size 6in,3in font 'Helvetica,9'\n"
		   "set output '%s'\nset title 'API call between containers: round-trip percentiles'\n"
		   "set ylabel 'round trip (us)'\nset style data histogram\nset style histogram clustered\n"
		   "set style fill solid 0.5\nset grid y\nset key outside right top\nset xtics rotate by -30 noenhanced\n"
		   "plot '%s' using 3:xtic(2) title 'p50', '' using 4 title 'p90', '' using 5 title 'p99'\n", eps, dat);
	fclose(f);
	if (doc_gnuplot(gp) == 0) {
		doc_heading(d, 2, "API call: round-trip percentiles", 3);
		fprintf(d->f, ".PSPIC %s 6i 3i\n", eps);
		d->plots++;
	}
}

static const struct exp_setting api_call_settings[] = {
	GUESTRUN_GUEST_SETTING,
	{ .key = "request_size", .help = "bytes of the POST body of each request (the echo answers as much)",
	  .syntax = "1..1048576", .def = "64", .check = check_size },
	{ .key = "concurrency", .help = "client connections, each with one request in flight", .syntax = "1..64",
	  .def = "1", .check = check_conc },
};

static const struct exp_metric api_call_metrics[] = {
	{ .name = "requests_per_s", .scope = METRIC_PER_RUN, .path = { "requests_per_s" }, .unit = "requests/s",
	  .better = +1, .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "successful requests per second" },
	{ .name = "rtt_p50_us", .scope = METRIC_PER_RUN, .path = { "rtt_p50_us" }, .unit = "us", .better = -1,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "median round trip" },
	{ .name = "rtt_p90_us", .scope = METRIC_PER_RUN, .path = { "rtt_p90_us" }, .unit = "us", .better = -1,
	  .use = METRIC_SUMMARY, .help = "90th percentile round trip" },
	{ .name = "rtt_p99_us", .scope = METRIC_PER_RUN, .path = { "rtt_p99_us" }, .unit = "us", .better = -1,
	  .use = METRIC_SUMMARY | METRIC_COMPARE, .help = "99th percentile round trip" },
	{ .name = "errors", .scope = METRIC_PER_RUN, .path = { "errors" }, .unit = "requests", .better = -1,
	  .use = METRIC_SUMMARY, .help = "failed requests" },
};

const struct experiment exp_api_call_info = {
	.name = "api-call",
	.summary = "a client container calls a server container by name over the runtime's private network",
	.theory = "with one request in flight per connection, requests/s = concurrency / mean round trip until "
		  "the server's CPU saturates; larger bodies add copy and transfer time on the veth and bridge",
	.guests = EXP_GUESTS_BORROWED,
	.settings = api_call_settings,
	.nsettings = sizeof(api_call_settings) / sizeof(api_call_settings[0]),
	.metrics = api_call_metrics,
	.nmetrics = sizeof(api_call_metrics) / sizeof(api_call_metrics[0]),
	.estimate_s = api_call_estimate_s,
	.run = api_call_run,
	.report_group = api_call_report_group,
	.report_end = api_call_report_end,
};
