/* harness history: add, detect, mark, show, export, rerun-suite. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yaml.h>

#include "export.h"
#include "history.h"
#include "history_page.h"
#include "suite.h"

#define DETECT_METHOD "E-Divisive means with Student's t-test (Otava)"

static const char usage_history[] =
	"usage: harness history COMMAND [--history FILE] [OPTIONS]\n"
	"\n"
	"The results history: one SQLite file (default $HARNESS_STATE_DIR/history.db), one point a\n"
	"night per series (suite, experiment, settings, guest, metric, host, environment fingerprint).\n"
	"\n"
	"commands:\n"
	"  add RESULTS_DIR...     add runs (idempotent: a run already there adds nothing)\n"
	"      [--commit ID|none] [--commit-date DATE] [--rerun]\n"
	"  detect                 change points of every series; exit 1 when a regression is found\n"
	"      [--since N] [--json] [DETECTOR] [FILTERS]\n"
	"  mark --note TEXT       declare a known step at a night (--night RUN_ID, default the newest):\n"
	"      [FILTERS]           detection restarts there and the step is never a regression\n"
	"  show [--since N]       the series as a table; --png FILE draws them (change points marked,\n"
	"      [--png FILE] [--json] [DETECTOR] [FILTERS]   parameters in the caption); --json for the report\n"
	"  export --csv [-o FILE] [FILTERS]   one row per night and series (columns: harness(1))\n"
	"  rerun-suite RESULTS_DIR -o FILE [--since N] [DETECTOR]\n"
	"                         the night's suite cut to the combinations with a recent regression\n"
	"\n"
	"FILTERS: --suite S --experiment E --settings k=v[,k=v] --guest G --metric M --host H\n"
	"DETECTOR: E-Divisive means with Student's t-test in place of permutations (Apache Otava's\n"
	"  variant: deterministic); a change point is kept when its t-test against the neighbouring\n"
	"  change points gives p < --max-pvalue and its relative change is at least --min-magnitude.\n"
	"  --window N (30)  nights per E-Divisive window; windows overlap by half\n"
	"  --min-size N (3) fewest nights on either side of a change point\n"
	"  --max-pvalue P (0.001)  --min-magnitude F (0)\n"
	"  --floor F        smallest relative change that is a regression (default: each metric's own,\n"
	"                   as harness compare's: 5% unless its experiment says otherwise)\n"
	"  --since N        only the change points among each series' last N nights\n"
	"A new environment fingerprint (env.json: accelerator, host CPU and kernel, QEMU, libvirt,\n"
	"image and payload digests, as harness compare checks) starts a new series: shown, never a\n"
	"regression. Exit status: 0, 1 (detect: a regression), 2 bad input.";

enum {
	O_HISTORY = 'H', O_OUTPUT = 'o', O_HELP = 'h',
	O_SUITE = 1, O_EXPERIMENT, O_SETTINGS, O_GUEST, O_METRIC, O_HOST, O_SINCE, O_WINDOW, O_MIN_SIZE,
	O_MAX_PVALUE, O_MIN_MAGNITUDE, O_FLOOR, O_JSON, O_PNG, O_CSV, O_COMMIT, O_COMMIT_DATE, O_RERUN, O_NOTE,
	O_NIGHT,
};

static const struct option options[] = {
	{ "history", required_argument, NULL, O_HISTORY },
	{ "output", required_argument, NULL, O_OUTPUT },
	{ "help", no_argument, NULL, O_HELP },
	{ "suite", required_argument, NULL, O_SUITE },
	{ "experiment", required_argument, NULL, O_EXPERIMENT },
	{ "settings", required_argument, NULL, O_SETTINGS },
	{ "guest", required_argument, NULL, O_GUEST },
	{ "metric", required_argument, NULL, O_METRIC },
	{ "host", required_argument, NULL, O_HOST },
	{ "since", required_argument, NULL, O_SINCE },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "min-size", required_argument, NULL, O_MIN_SIZE },
	{ "max-pvalue", required_argument, NULL, O_MAX_PVALUE },
	{ "min-magnitude", required_argument, NULL, O_MIN_MAGNITUDE },
	{ "floor", required_argument, NULL, O_FLOOR },
	{ "json", no_argument, NULL, O_JSON },
	{ "png", required_argument, NULL, O_PNG },
	{ "csv", no_argument, NULL, O_CSV },
	{ "commit", required_argument, NULL, O_COMMIT },
	{ "commit-date", required_argument, NULL, O_COMMIT_DATE },
	{ "rerun", no_argument, NULL, O_RERUN },
	{ "note", required_argument, NULL, O_NOTE },
	{ "night", required_argument, NULL, O_NIGHT },
	{ NULL, 0, NULL, 0 },
};

struct hargs {
	const char *db, *output, *png, *commit, *commit_date, *note, *night;
	bool json, csv, rerun;
	struct history_detect_options d;
};

static const struct {
	const char *name;
	const char *allowed;	/* the options it takes, by value: a string of their codes */
} verbs[] = {
	{ "add", (const char[]){ O_HISTORY, O_COMMIT, O_COMMIT_DATE, O_RERUN, 0 } },
	{ "detect", (const char[]){ O_HISTORY, O_SUITE, O_EXPERIMENT, O_SETTINGS, O_GUEST, O_METRIC, O_HOST, O_SINCE,
				    O_WINDOW, O_MIN_SIZE, O_MAX_PVALUE, O_MIN_MAGNITUDE, O_FLOOR, O_JSON, 0 } },
	{ "mark", (const char[]){ O_HISTORY, O_EXPERIMENT, O_SETTINGS, O_GUEST, O_METRIC, O_NOTE, O_NIGHT, 0 } },
	{ "show", (const char[]){ O_HISTORY, O_SUITE, O_EXPERIMENT, O_SETTINGS, O_GUEST, O_METRIC, O_HOST, O_SINCE,
				  O_WINDOW, O_MIN_SIZE, O_MAX_PVALUE, O_MIN_MAGNITUDE, O_FLOOR, O_JSON, O_PNG, O_OUTPUT, 0 } },
	{ "export", (const char[]){ O_HISTORY, O_SUITE, O_EXPERIMENT, O_SETTINGS, O_GUEST, O_METRIC, O_HOST, O_CSV,
				    O_OUTPUT, 0 } },
	{ "rerun-suite", (const char[]){ O_HISTORY, O_SINCE, O_WINDOW, O_MIN_SIZE, O_MAX_PVALUE, O_MIN_MAGNITUDE,
					 O_FLOOR, O_OUTPUT, 0 } },
};

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("harness: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 2;
}

static int parse_size(const char *opt, const char *s, long min, long max, size_t *out)
{
	long v;

	if (parse_long(s, min, max, &v) < 0) {
		fprintf(stderr, "harness: %s must be a whole number in [%ld, %ld], not '%s'\n", opt, min, max, s);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

static int parse_frac(const char *opt, const char *s, double min, double max, double *out)
{
	if (parse_double(s, min, max, out) < 0) {
		fprintf(stderr, "harness: %s must be a number in [%g, %g], not '%s'\n", opt, min, max, s);
		return -1;
	}
	return 0;
}

/* A filter value names things made of a suite's names: printable, no comma
 * but in settings, bounded. */
static int filter_value(const char *opt, const char *s, const char **out)
{
	size_t n = strlen(s);

	if (n == 0 || n > 512) {
		fprintf(stderr, "harness: %s needs a value of 1 to 512 characters\n", opt);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(stderr, "harness: %s: control characters are not allowed\n", opt);
			return -1;
		}
	*out = s;
	return 0;
}

static int parse_args(int argc, char **argv, size_t verb, struct hargs *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "H:o:h", options, NULL)) != -1) {
		const char *name = NULL;
		int r = 0;

		for (const struct option *o = options; o->name; o++)
			if (o->val == c)
				name = o->name;
		if (c == '?' || c == ':')
			return 2;
		if (c == O_HELP) {
			puts(usage_history);
			return 1;
		}
		if (strchr(verbs[verb].allowed, c) == NULL)
			return bad("--%s does not apply to history %s (see harness history --help)", name,
				   verbs[verb].name);
		switch (c) {
		case O_HISTORY: a->db = optarg; break;
		case O_OUTPUT: a->output = optarg; break;
		case O_SUITE: r = filter_value("--suite", optarg, &a->d.f.suite); break;
		case O_EXPERIMENT: r = filter_value("--experiment", optarg, &a->d.f.experiment); break;
		case O_SETTINGS: r = filter_value("--settings", optarg, &a->d.f.settings); break;
		case O_GUEST: r = filter_value("--guest", optarg, &a->d.f.guest); break;
		case O_METRIC: r = filter_value("--metric", optarg, &a->d.f.metric); break;
		case O_HOST: r = filter_value("--host", optarg, &a->d.f.host); break;
		case O_SINCE: r = parse_size("--since", optarg, 1, 1000000, &a->d.since); break;
		case O_WINDOW: r = parse_size("--window", optarg, 4, 100000, &a->d.cp.window); break;
		case O_MIN_SIZE: r = parse_size("--min-size", optarg, 2, 50000, &a->d.cp.min_size); break;
		case O_MAX_PVALUE: r = parse_frac("--max-pvalue", optarg, 1e-300, 0.5, &a->d.cp.max_pvalue); break;
		case O_MIN_MAGNITUDE: r = parse_frac("--min-magnitude", optarg, 0, 100, &a->d.cp.min_magnitude); break;
		case O_FLOOR: r = parse_frac("--floor", optarg, 0, 100, &a->d.floor); break;
		case O_JSON: a->json = true; break;
		case O_PNG: a->png = optarg; break;
		case O_CSV: a->csv = true; break;
		case O_COMMIT: a->commit = optarg; break;
		case O_COMMIT_DATE: a->commit_date = optarg; break;
		case O_RERUN: a->rerun = true; break;
		case O_NOTE: a->note = optarg; break;
		case O_NIGHT: a->night = optarg; break;
		}
		if (r < 0)
			return 2;
	}
	if (a->d.cp.window < 2 * a->d.cp.min_size)
		return bad("--window must be at least twice --min-size");
	return 0;
}

/* ---- add ---- */

static bool commit_id_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

/* The first line git prints for args in the tree top, or NULL (no git, not
 * a checkout). */
static char *git_line(const char *top, const char *what)
{
	char tmp[] = "/tmp/harness-git.XXXXXX";
	int fd = mkstemp(tmp);
	char *text = NULL, *argv[] = { "git", "-C", (char *)top, "log", "-1", (char *)what, NULL };

	if (fd < 0)
		return NULL;
	close(fd);
	if (doc_run(argv, tmp) == 0 && read_file(tmp, 4096, &text, NULL, NULL) == 0)
		text[strcspn(text, "\n")] = '\0';
	unlink(tmp);
	if (text && !*text) {
		free(text);
		text = NULL;
	}
	return text;
}

static int cmd_add(struct hargs *a, int argc, char **argv, const char *top)
{
	struct history *h = NULL;
	struct herror err = { 0 };
	cleanup_free char *cid = NULL, *cdate = NULL;
	int added = 0, rc = 0;
	struct stat st;

	if (argc < 1)
		return bad("usage: harness history add [--history FILE] RESULTS_DIR...");
	if (a->commit && strcmp(a->commit, "none") != 0 && !commit_id_valid(a->commit))
		return bad("--commit must be a hexadecimal commit id (4 to 64 of 0-9a-f) or 'none', not '%s'",
			   a->commit);
	if (a->commit_date && (strlen(a->commit_date) > 64 || strpbrk(a->commit_date, "\n\r\t")))
		return bad("--commit-date '%s' is not a date", a->commit_date);
	if (a->commit == NULL) {
		cleanup_free char *dotgit = xasprintf("%s/.git", top);

		if (stat(dotgit, &st) == 0) {
			cid = git_line(top, "--format=%H");
			cdate = a->commit_date ? NULL : git_line(top, "--format=%cI");
			if (cid && !commit_id_valid(cid)) {
				free(cid);
				cid = NULL;
			}
		}
	} else if (strcmp(a->commit, "none") != 0) {
		cid = xstrdup(a->commit);
	}
	if (a->commit_date) {
		free(cdate);
		cdate = xstrdup(a->commit_date);
	}
	if (history_open(a->db, true, &h, &err) < 0)
		return bad("%s", err.msg);
	for (int i = 0; i < argc; i++) {
		struct history_night n;
		struct run_records rr;
		int r;

		error_clear(&err);
		if (history_night_read(argv[i], &n, &rr, &err) < 0) {
			fprintf(stderr, "harness: %s\n", err.msg);
			rc = 2;
			continue;
		}
		n.commit_id = cid;
		n.commit_date = cid ? cdate : NULL;
		n.rerun = a->rerun;
		r = history_add_night(h, &n, &err);
		if (r < 0) {
			fprintf(stderr, "harness: %s: %s\n", argv[i], err.msg);
			rc = 2;
		} else if (r == 0) {
			hinfo("history: run %s (host %s) is already in %s: nothing added", n.run_id, n.host, a->db);
		} else {
			hinfo("history: added run %s (suite %s, host %s%s%s) to %s", n.run_id, n.suite, n.host,
			      cid ? ", commit " : "", cid ? cid : "", a->db);
			added++;
		}
		history_night_free(&n, &rr);
	}
	history_close(h);
	return rc;
}

/* ---- detect ---- */

static void date_of(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!isfinite(t) || gmtime_r(&s, &tm) == NULL)
		snprintf(buf, len, "?");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

static void params_line(FILE *out, const struct history_detect_options *o)
{
	fprintf(out, "detector: %s: window %zu nights, min. segment %zu, max. p %g, min. magnitude %g%%; "
		     "regression floor ", DETECT_METHOD, o->cp.window, o->cp.min_size, o->cp.max_pvalue,
		100 * o->cp.min_magnitude);
	if (o->floor >= 0)
		fprintf(out, "%g%%", 100 * o->floor);
	else
		fputs("each metric's own", out);
	if (o->since)
		fprintf(out, "; change points among each series' last %zu nights", o->since);
	fputc('\n', out);
}

static int open_and_analyze(struct hargs *a, struct history **h, struct history_view *v)
{
	struct herror err = { 0 };

	memset(v, 0, sizeof(*v));
	*h = NULL;
	if (history_open(a->db, false, h, &err) < 0 || history_load(*h, &a->d.f, v, &err) < 0 ||
	    history_analyze(*h, v, &a->d, &err) < 0) {
		fprintf(stderr, "harness: %s\n", err.msg);
		history_view_free(v);
		history_close(*h);
		*h = NULL;
		return -1;
	}
	return 0;
}

static void print_json(cJSON *j, FILE *out)
{
	char *text = cJSON_Print(j);

	if (text)
		fprintf(out, "%s\n", text);
	free(text);
}

static int cmd_detect(struct hargs *a)
{
	struct history *h;
	struct history_view v;
	int regressions = 0;
	size_t shown = 0;

	if (open_and_analyze(a, &h, &v) < 0)
		return 2;
	for (size_t i = 0; i < v.ncps; i++)
		regressions += v.cps[i].kind == HCP_REGRESSION && history_cp_recent(&v, &v.cps[i], &a->d);
	if (a->json) {
		cJSON *j = history_view_json(&v, &a->d, 0);

		cJSON_AddNumberToObject(j, "regressions", regressions);
		print_json(j, stdout);
		cJSON_Delete(j);
	} else {
		params_line(stdout, &a->d);
		printf("history %s: %zu night(s), %zu series\n", a->db, v.nights, v.ns);
		printf("%-16s %-28s %-10s %-14s %-26s %-5s %-14s %11s %11s %8s %9s  %s\n", "date", "run", "commit",
		       "experiment", "settings", "guest", "metric", "before", "after", "change", "p", "verdict");
		for (size_t i = 0; i < v.ncps; i++) {
			const struct history_cp *c = &v.cps[i];
			const struct history_series *s = &v.s[c->series];
			const struct history_point *p = &s->pts[c->index];
			char date[32], pv[32];

			if (!history_cp_recent(&v, c, &a->d))
				continue;
			date_of(p->started, date, sizeof(date));
			if (isnan(c->st.p))
				snprintf(pv, sizeof(pv), "-");
			else
				snprintf(pv, sizeof(pv), "%.2g", c->st.p);
			printf("%-16s %-28s %-10.10s %-14s %-26s %-5s %-14s %11.4g %11.4g %+7.1f%% %9s  %s%s%s\n", date,
			       p->run_id, p->commit_id ? p->commit_id : "-", s->experiment, *s->settings ? s->settings : "-",
			       *s->guest ? s->guest : "-", s->metric, c->st.mean_before, c->st.mean_after,
			       100 * c->st.rel_change, pv,
			       c->kind == HCP_REGRESSION ? "REGRESSION" : history_cp_kind_name(c->kind), c->why ? ": " : "",
			       c->why ? c->why : "");
			shown++;
		}
		printf("%d regression(s) in %zu change(s) shown: a regression is a change point whose mean moved the "
		       "wrong way by at least the floor; a new environment starts a new series and is never one\n",
		       regressions, shown);
	}
	history_view_free(&v);
	history_close(h);
	return regressions ? 1 : 0;
}

/* ---- JSON, show ---- */

static void cp_json(cJSON *arr, const struct history_cp *c, const struct history_series *s, size_t index)
{
	cJSON *j = cJSON_CreateObject();
	const struct history_point *p = &s->pts[c->index];

	cJSON_AddNumberToObject(j, "index", (double)index);
	cJSON_AddStringToObject(j, "kind", history_cp_kind_name(c->kind));
	cJSON_AddStringToObject(j, "run_id", p->run_id);
	cJSON_AddNumberToObject(j, "started", p->started);
	if (p->commit_id)
		cJSON_AddStringToObject(j, "commit", p->commit_id);
	cJSON_AddNumberToObject(j, "mean_before", c->st.mean_before);
	cJSON_AddNumberToObject(j, "mean_after", c->st.mean_after);
	cJSON_AddNumberToObject(j, "n_before", (double)c->st.n_before);
	cJSON_AddNumberToObject(j, "n_after", (double)c->st.n_after);
	cJSON_AddNumberToObject(j, "rel_change", c->st.rel_change);
	if (isnan(c->st.p))
		cJSON_AddNullToObject(j, "p");
	else
		cJSON_AddNumberToObject(j, "p", c->st.p);
	if (c->why)
		cJSON_AddStringToObject(j, "why", c->why);
	cJSON_AddItemToArray(arr, j);
}

cJSON *history_view_json(const struct history_view *v, const struct history_detect_options *o, size_t since)
{
	cJSON *j = cJSON_CreateObject(), *d, *ls;

	cJSON_AddStringToObject(j, "schema", HISTORY_JSON_SCHEMA);
	d = cJSON_AddObjectToObject(j, "detector");
	cJSON_AddStringToObject(d, "method", DETECT_METHOD);
	cJSON_AddNumberToObject(d, "window", (double)o->cp.window);
	cJSON_AddNumberToObject(d, "min_size", (double)o->cp.min_size);
	cJSON_AddNumberToObject(d, "max_pvalue", o->cp.max_pvalue);
	cJSON_AddNumberToObject(d, "min_magnitude", o->cp.min_magnitude);
	if (o->floor >= 0)
		cJSON_AddNumberToObject(d, "floor", o->floor);
	else
		cJSON_AddNullToObject(d, "floor");
	cJSON_AddNumberToObject(d, "since", (double)o->since);
	cJSON_AddNumberToObject(j, "nights", (double)v->nights);
	ls = cJSON_AddArrayToObject(j, "lineages");
	for (size_t i = 0; i < v->ns;) {
		size_t end = i + 1, total = 0, first, off = 0;
		const struct history_series *s = &v->s[i];
		cJSON *l = cJSON_CreateObject(), *pts, *chg;

		while (end < v->ns && history_same_lineage(&v->s[end - 1], &v->s[end]))
			end++;
		for (size_t k = i; k < end; k++)
			total += v->s[k].npts;
		first = since && total > since ? total - since : 0;
		cJSON_AddStringToObject(l, "suite", s->suite);
		cJSON_AddStringToObject(l, "experiment", s->experiment);
		cJSON_AddStringToObject(l, "settings", s->settings);
		cJSON_AddStringToObject(l, "guest", s->guest);
		cJSON_AddStringToObject(l, "metric", s->metric);
		cJSON_AddStringToObject(l, "unit", s->unit);
		cJSON_AddNumberToObject(l, "better", s->better);
		cJSON_AddStringToObject(l, "host", s->host);
		cJSON_AddNumberToObject(l, "floor", o->floor >= 0 ? o->floor : s->floor);
		pts = cJSON_AddArrayToObject(l, "points");
		chg = cJSON_AddArrayToObject(l, "changes");
		for (size_t k = i; k < end; k++) {
			const struct history_series *t = &v->s[k];

			for (size_t q = 0; q < t->npts; q++) {
				const struct history_point *p = &t->pts[q];
				cJSON *pj;

				if (off + q < first)
					continue;
				pj = cJSON_CreateObject();
				cJSON_AddStringToObject(pj, "run_id", p->run_id);
				cJSON_AddNumberToObject(pj, "started", p->started);
				if (p->commit_id)
					cJSON_AddStringToObject(pj, "commit", p->commit_id);
				if (p->commit_date)
					cJSON_AddStringToObject(pj, "commit_date", p->commit_date);
				cJSON_AddBoolToObject(pj, "rerun", p->rerun);
				cJSON_AddNumberToObject(pj, "fingerprint", (double)t->env_id);
				cJSON_AddNumberToObject(pj, "n", (double)p->n);
				cJSON_AddNumberToObject(pj, "mean", p->mean);
				cJSON_AddNumberToObject(pj, "sd", p->sd);
				cJSON_AddItemToArray(pts, pj);
			}
			for (size_t c = 0; c < v->ncps; c++)
				if (v->cps[c].series == k && off + v->cps[c].index >= first &&
				    history_cp_recent(v, &v->cps[c], o))
					cp_json(chg, &v->cps[c], t, off + v->cps[c].index - first);
			off += t->npts;
		}
		cJSON_AddItemToArray(ls, l);
		i = end;
	}
	return j;
}

static int cmd_show(struct hargs *a)
{
	struct history *h;
	struct history_view v;
	size_t since = a->d.since ? a->d.since : 30;
	int rc = 0;

	/* show's --since is how many nights to show; every change among them. */
	a->d.since = 0;
	if (open_and_analyze(a, &h, &v) < 0)
		return 2;
	if (v.ns == 0) {
		fprintf(stderr, "harness: no series in %s matches\n", a->db);
		rc = 2;
		goto out;
	}
	if (a->json || a->png) {
		cJSON *j = history_view_json(&v, &a->d, since);

		if (a->png) {
			char tmp[] = "/tmp/harness-history.XXXXXX";
			size_t nl = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "lineages"));

			if (nl > HISTORY_PLOT_MAX)
				hwarn("%zu series match; the figure draws the first %d (narrow with --experiment, "
				      "--settings, --guest, --metric)", nl, HISTORY_PLOT_MAX);
			if (mkdtemp(tmp) == NULL || history_plot(j, 0, nl, tmp, a->png, true, 9) < 0) {
				fprintf(stderr, "harness: gnuplot could not draw '%s'\n", a->png);
				rc = 2;
			} else {
				hinfo("history: drew %s", a->png);
			}
			remove_tree(tmp, NULL);
		}
		if (a->json) {
			FILE *out = a->output ? fopen(a->output, "w") : stdout;

			if (out == NULL) {
				fprintf(stderr, "harness: cannot write '%s': %s\n", a->output, strerror(errno));
				rc = 2;
			} else {
				print_json(j, out);
				if (a->output && fclose(out) != 0) {
					fprintf(stderr, "harness: cannot write '%s'\n", a->output);
					rc = 2;
				}
			}
		}
		cJSON_Delete(j);
		goto out;
	}
	params_line(stdout, &a->d);
	for (size_t i = 0; i < v.ns; i++) {
		const struct history_series *s = &v.s[i];
		size_t first = s->npts > since ? s->npts - since : 0;

		printf("\n%s %s %s %s%s%s (%s, %s) host %s, fingerprint %lld: %zu night(s)\n", s->experiment,
		       *s->settings ? s->settings : "-", *s->guest ? s->guest : "-", s->metric, *s->unit ? " " : "",
		       s->unit, s->better > 0 ? "higher is better" : s->better < 0 ? "lower is better" : "no direction",
		       s->suite, s->host, s->env_id, s->npts);
		printf("  %-16s %-28s %-10s %4s %12s %12s  %s\n", "date", "run", "commit", "n", "mean", "sd", "change");
		for (size_t k = first; k < s->npts; k++) {
			const struct history_point *p = &s->pts[k];
			char date[32], change[1200] = "";

			date_of(p->started, date, sizeof(date));
			for (size_t c = 0; c < v.ncps; c++) {
				const struct history_cp *cp = &v.cps[c];
				size_t l = strlen(change);

				if (cp->series != i || cp->index != k)
					continue;
				if (isnan(cp->st.p))
					snprintf(change + l, sizeof(change) - l, "%s<- %s %+.1f%%%s%s", l ? "; " : "",
						 history_cp_kind_name(cp->kind), 100 * cp->st.rel_change,
						 cp->why ? ": " : "", cp->why ? cp->why : "");
				else
					snprintf(change + l, sizeof(change) - l, "%s<- %s %+.1f%% (p %.2g)%s%s",
						 l ? "; " : "", cp->kind == HCP_REGRESSION ? "REGRESSION"
											: history_cp_kind_name(cp->kind),
						 100 * cp->st.rel_change, cp->st.p, cp->why ? ": " : "",
						 cp->why ? cp->why : "");
			}
			printf("  %-16s %-28s %-10.10s %4zu %12.6g %12.4g  %s%s\n", date, p->run_id,
			       p->commit_id ? p->commit_id : "-", p->n, p->mean, p->sd, p->rerun ? "(re-run) " : "",
			       change);
		}
	}
out:
	history_view_free(&v);
	history_close(h);
	return rc;
}

/* ---- export ---- */

static int cmd_export(struct hargs *a)
{
	static const char *const header[] = {
		"run", "date", "started", "commit", "commit_date", "kind", "suite", "experiment", "settings", "guest",
		"metric", "unit", "better", "host", "fingerprint", "n", "mean", "sd", "median",
	};
	const size_t ncol = sizeof(header) / sizeof(header[0]);
	struct history *h;
	struct history_view v;
	struct herror err = { 0 };
	FILE *out = stdout;
	int rc = 0;

	if (!a->csv)
		return bad("history export needs --csv (the only format)");
	h = NULL;
	if (history_open(a->db, false, &h, &err) < 0 || history_load(h, &a->d.f, &v, &err) < 0) {
		history_close(h);
		return bad("%s", err.msg);
	}
	if (a->output && (out = fopen(a->output, "w")) == NULL) {
		fprintf(stderr, "harness: cannot write '%s': %s\n", a->output, strerror(errno));
		rc = 2;
		goto out;
	}
	for (size_t c = 0; c < ncol; c++)
		export_csv_field(out, header[c], c + 1 == ncol);
	for (size_t i = 0; i < v.ns; i++) {
		const struct history_series *s = &v.s[i];

		for (size_t k = 0; k < s->npts; k++) {
			const struct history_point *p = &s->pts[k];
			char date[32], started[32], better[8], fp[24], n[24], mean[32], sd[32], median[32];
			const char *row[19];

			date_of(p->started, date, sizeof(date));
			snprintf(started, sizeof(started), "%.3f", p->started);
			snprintf(better, sizeof(better), "%d", s->better);
			snprintf(fp, sizeof(fp), "%lld", s->env_id);
			snprintf(n, sizeof(n), "%zu", p->n);
			snprintf(mean, sizeof(mean), "%.17g", p->mean);
			snprintf(sd, sizeof(sd), "%.17g", p->sd);
			snprintf(median, sizeof(median), "%.17g", p->median);
			row[0] = p->run_id;
			row[1] = date;
			row[2] = started;
			row[3] = p->commit_id ? p->commit_id : "";
			row[4] = p->commit_date ? p->commit_date : "";
			row[5] = p->rerun ? "rerun" : "night";
			row[6] = s->suite;
			row[7] = s->experiment;
			row[8] = s->settings;
			row[9] = s->guest;
			row[10] = s->metric;
			row[11] = s->unit;
			row[12] = better;
			row[13] = s->host;
			row[14] = fp;
			row[15] = n;
			row[16] = mean;
			row[17] = sd;
			row[18] = median;
			for (size_t c = 0; c < ncol; c++) {
				/* Our own numbers (a mean may be negative); text from the
				 * records gets export_csv_field's formula quoting. */
				bool number = c == 2 || c == 12 || c >= 14;

				(number ? export_csv_number : export_csv_field)(out, row[c], c + 1 == ncol);
			}
		}
	}
	if (a->output && fclose(out) != 0) {
		fprintf(stderr, "harness: cannot write '%s'\n", a->output);
		rc = 2;
	}
out:
	history_view_free(&v);
	history_close(h);
	return rc;
}

/* ---- mark ---- */

static int cmd_mark(struct hargs *a)
{
	struct history *h;
	struct herror err = { 0 };
	int r;

	if (a->note == NULL || !*a->note || strlen(a->note) > 1000)
		return bad("history mark needs --note TEXT (1 to 1000 characters): why the step is known");
	if (history_open(a->db, false, &h, &err) < 0)
		return bad("%s", err.msg);
	r = history_mark(h, a->night, &a->d.f, a->note, &err);
	history_close(h);
	if (r < 0)
		return bad("%s", err.msg);
	hinfo("history: marked a known step at %s", a->night ? a->night : "the newest night");
	return 0;
}

/* ---- rerun-suite ---- */

/* Copy node n of src into dst; the new node's id, or 0. */
static int yaml_copy(yaml_document_t *dst, yaml_document_t *src, yaml_node_t *n, int depth)
{
	int id = 0;

	if (n == NULL || depth > 64)
		return 0;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return yaml_document_add_scalar(dst, NULL, n->data.scalar.value, (int)n->data.scalar.length,
						YAML_ANY_SCALAR_STYLE);
	case YAML_SEQUENCE_NODE:
		id = yaml_document_add_sequence(dst, NULL, YAML_ANY_SEQUENCE_STYLE);
		for (yaml_node_item_t *it = n->data.sequence.items.start; id && it < n->data.sequence.items.top; it++) {
			int c = yaml_copy(dst, src, yaml_document_get_node(src, *it), depth + 1);
			if (c == 0 || !yaml_document_append_sequence_item(dst, id, c))
				return 0;
		}
		return id;
	case YAML_MAPPING_NODE:
		id = yaml_document_add_mapping(dst, NULL, YAML_ANY_MAPPING_STYLE);
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; id && p < n->data.mapping.pairs.top; p++) {
			int k = yaml_copy(dst, src, yaml_document_get_node(src, p->key), depth + 1);
			int v = yaml_copy(dst, src, yaml_document_get_node(src, p->value), depth + 1);
			if (k == 0 || v == 0 || !yaml_document_append_mapping_pair(dst, id, k, v))
				return 0;
		}
		return id;
	default:
		return 0;
	}
}

static bool scalar_is(yaml_document_t *doc, int id, const char *s)
{
	yaml_node_t *n = yaml_document_get_node(doc, id);

	return n && n->type == YAML_SCALAR_NODE && strlen(s) == n->data.scalar.length &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

static int scalar(yaml_document_t *doc, const char *s)
{
	return yaml_document_add_scalar(doc, NULL, (yaml_char_t *)s, (int)strlen(s), YAML_ANY_SCALAR_STYLE);
}

/* An entry of the suite for one combination: the first entry of its
 * experiment's type, its vary replaced by the combination's values. */
static int combination_entry(yaml_document_t *dst, yaml_document_t *src, yaml_node_t *experiments, cJSON *rec)
{
	const char *type = cJSON_GetObjectItemCaseSensitive(rec, "experiment")->valuestring;
	cJSON *kv;

	for (yaml_node_item_t *it = experiments->data.sequence.items.start; it < experiments->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = yaml_document_get_node(src, *it);
		bool match = false;
		int id, vary;

		if (e == NULL || e->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++)
			match |= scalar_is(src, p->key, "type") && scalar_is(src, p->value, type);
		if (!match)
			continue;
		id = yaml_document_add_mapping(dst, NULL, YAML_BLOCK_MAPPING_STYLE);
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start; id && p < e->data.mapping.pairs.top; p++) {
			int k, v;

			if (scalar_is(src, p->key, "vary"))
				continue;
			k = yaml_copy(dst, src, yaml_document_get_node(src, p->key), 0);
			v = yaml_copy(dst, src, yaml_document_get_node(src, p->value), 0);
			if (!k || !v || !yaml_document_append_mapping_pair(dst, id, k, v))
				return 0;
		}
		vary = yaml_document_add_mapping(dst, NULL, YAML_BLOCK_MAPPING_STYLE);
		cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(rec, "settings"))
			if (cJSON_IsString(kv) && kv->string &&
			    !yaml_document_append_mapping_pair(dst, vary, scalar(dst, kv->string), scalar(dst, kv->valuestring)))
				return 0;
		if (!id || !vary || !yaml_document_append_mapping_pair(dst, id, scalar(dst, "vary"), vary))
			return 0;
		return id;
	}
	return 0;
}

static int emit(yaml_document_t *doc, const char *path, struct herror *err)
{
	yaml_emitter_t em;
	FILE *f = fopen(path, "w");
	int ok;

	if (f == NULL) {
		yaml_document_delete(doc);
		return error_set(err, errno, "cannot write '%s'", path);
	}
	yaml_emitter_initialize(&em);
	yaml_emitter_set_output_file(&em, f);
	yaml_emitter_set_unicode(&em, 1);
	fputs("# The combinations with a recent regression in the history, to run once more (harness history "
	      "rerun-suite)\n", f);
	ok = yaml_emitter_open(&em) && yaml_emitter_dump(&em, doc) && yaml_emitter_close(&em) && yaml_emitter_flush(&em);
	yaml_emitter_delete(&em);
	if (fclose(f) != 0 || !ok)
		return error_setx(err, EIO, "cannot write '%s'", path);
	return 0;
}

/* suite.yaml of the night, with experiments: only the combinations of
 * recs[0..n). */
static int write_rerun_suite(const char *dir, cJSON **recs, size_t n, const char *out, struct herror *err)
{
	cleanup_free char *path = xasprintf("%s/suite.yaml", dir);
	cleanup_free char *text = NULL;
	struct suite *check = NULL;
	yaml_parser_t parser;
	yaml_document_t src, dst;
	yaml_node_t *root;
	size_t len;
	int r = 0, droot, seq = 0;

	if ((text = suite_read(path, &len, err)) == NULL)
		return -err->status;
	if (suite_parse(path, text, len, &check, err) < 0)
		return error_wrap(err, "the night's suite cannot be run again");
	suite_free(check);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &src)) {
		yaml_parser_delete(&parser);
		return error_setx(err, EINVAL, "'%s' is not YAML", path);
	}
	yaml_parser_delete(&parser);
	yaml_document_initialize(&dst, NULL, NULL, NULL, 1, 1);
	root = yaml_document_get_root_node(&src);
	droot = yaml_document_add_mapping(&dst, NULL, YAML_BLOCK_MAPPING_STYLE);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && r == 0; p++) {
		int k = yaml_copy(&dst, &src, yaml_document_get_node(&src, p->key), 0), v;

		if (scalar_is(&src, p->key, "experiments")) {
			yaml_node_t *exps = yaml_document_get_node(&src, p->value);

			v = seq = yaml_document_add_sequence(&dst, NULL, YAML_BLOCK_SEQUENCE_STYLE);
			for (size_t i = 0; i < n && v; i++) {
				int e = combination_entry(&dst, &src, exps, recs[i]);
				if (e == 0 || !yaml_document_append_sequence_item(&dst, seq, e))
					v = 0;
			}
		} else {
			v = yaml_copy(&dst, &src, yaml_document_get_node(&src, p->value), 0);
		}
		if (!k || !v || !yaml_document_append_mapping_pair(&dst, droot, k, v))
			r = error_setx(err, EINVAL, "cannot cut '%s' to the combinations to run again", path);
	}
	yaml_document_delete(&src);
	if (r < 0 || seq == 0) {
		yaml_document_delete(&dst);
		return r < 0 ? r : error_setx(err, EINVAL, "'%s' has no experiments", path);
	}
	if ((r = emit(&dst, out, err)) < 0)
		return r;
	/* What was written must be a suite this harness runs. */
	if (suite_load(out, &check, err) < 0)
		return error_wrap(err, "the suite to run again is not valid");
	suite_free(check);
	return 0;
}

static int cmd_rerun_suite(struct hargs *a, int argc, char **argv)
{
	struct history *h = NULL;
	struct history_view v;
	struct history_night n;
	struct run_records rr;
	struct herror err = { 0 };
	cJSON **pick;
	size_t npick = 0;
	int rc = 0;

	if (argc != 1 || a->output == NULL)
		return bad("usage: harness history rerun-suite [--history FILE] [--since N] RESULTS_DIR -o FILE");
	if (history_night_read(argv[0], &n, &rr, &err) < 0)
		return bad("%s", err.msg);
	a->d.f.suite = n.suite;
	a->d.f.host = NULL;
	if (open_and_analyze(a, &h, &v) < 0) {
		history_night_free(&n, &rr);
		return 2;
	}
	pick = xcalloc(rr.n + 1, sizeof(cJSON *));
	for (size_t i = 0; i < rr.n; i++) {
		cJSON *rec = rr.recs[i];
		const char *exp = cJSON_GetObjectItemCaseSensitive(rec, "experiment")->valuestring;
		cleanup_free char *key = history_settings_key(cJSON_GetObjectItemCaseSensitive(rec, "settings"));
		bool hit = false, dup = false;

		for (size_t c = 0; c < v.ncps && !hit; c++) {
			const struct history_series *s = &v.s[v.cps[c].series];

			hit = v.cps[c].kind == HCP_REGRESSION && history_cp_recent(&v, &v.cps[c], &a->d) &&
			      strcmp(s->experiment, exp) == 0 && strcmp(s->settings, key) == 0;
		}
		for (size_t k = 0; k < npick && !dup; k++)
			dup = records_same_group(pick[k], rec);
		if (hit && !dup)
			pick[npick++] = rec;
	}
	if (npick == 0) {
		hinfo("history: no recent regression in suite %s: nothing to run again", n.suite);
		rc = 1;
	} else if (write_rerun_suite(argv[0], pick, npick, a->output, &err) < 0) {
		fprintf(stderr, "harness: %s\n", err.msg);
		rc = 2;
	} else {
		hinfo("history: %zu combination(s) to run again: %s", npick, a->output);
	}
	free(pick);
	history_view_free(&v);
	history_close(h);
	history_night_free(&n, &rr);
	return rc;
}

int history_main(int argc, char **argv, const char *top)
{
	struct hargs a = { .d = { .cp = CP_PARAMS_DEFAULT, .floor = -1 } };
	cleanup_free char *def = history_default_path();
	size_t verb;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "%s\n", usage_history);
		return argc < 2 ? 2 : 0;
	}
	for (verb = 0; verb < sizeof(verbs) / sizeof(verbs[0]); verb++)
		if (strcmp(argv[1], verbs[verb].name) == 0)
			break;
	if (verb == sizeof(verbs) / sizeof(verbs[0]))
		return bad("unknown history command '%s' (add, detect, mark, show, export, rerun-suite)", argv[1]);
	argc--;
	argv++;
	optind = 1;
	a.db = def;
	if ((r = parse_args(argc, argv, verb, &a)) != 0)
		return r == 1 ? 0 : r;
	argc -= optind;
	argv += optind;
	if (strcmp(verbs[verb].name, "add") == 0)
		return cmd_add(&a, argc, argv, top);
	if (strcmp(verbs[verb].name, "rerun-suite") == 0)
		return cmd_rerun_suite(&a, argc, argv);
	if (argc != 0)
		return bad("history %s takes no argument ('%s')", verbs[verb].name, argv[0]);
	if (strcmp(verbs[verb].name, "detect") == 0)
		return cmd_detect(&a);
	if (strcmp(verbs[verb].name, "mark") == 0)
		return cmd_mark(&a);
	if (strcmp(verbs[verb].name, "show") == 0)
		return cmd_show(&a);
	return cmd_export(&a);
}
