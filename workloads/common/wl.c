/* wl: shared helpers of the workload programs (see wl.h). */
#include "wl.h"
#include "hcleanup.h"
#include "hfile.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t wl_stop_requested;

int wl_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out, struct herror *err)
{
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return error_setx(err, EINVAL, "option '%s' needs a value", opt);
	/* strtoull accepts "-1" and leading blanks: refuse both. */
	if (*s < '0' || *s > '9')
		return error_setx(err, EINVAL, "invalid value '%s' for option '%s': not a non-negative integer", s, opt);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return error_setx(err, ERANGE, "value '%s' for option '%s' is too large", s, opt);
	if (*end)
		return error_setx(err, EINVAL, "invalid value '%s' for option '%s': not a non-negative integer", s, opt);
	if (v < min || v > max)
		return error_setx(err, ERANGE, "value '%s' for option '%s' is out of range [%llu, %llu]", s, opt,
			    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int wl_parse_int(const char *opt, const char *s, int min, int max, int *out, struct herror *err)
{
	char *end;
	long v;

	if (!s || !*s)
		return error_setx(err, EINVAL, "option '%s' needs a value", opt);
	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return error_setx(err, EINVAL, "invalid value '%s' for option '%s': not an integer", s, opt);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE || *end)
		return error_setx(err, EINVAL, "invalid value '%s' for option '%s': not an integer", s, opt);
	if (v < min || v > max)
		return error_setx(err, ERANGE, "value '%s' for option '%s' is out of range [%d, %d]", s, opt, min, max);
	*out = (int)v;
	return 0;
}

int wl_parse_double(const char *opt, const char *s, double min, double max, double *out, struct herror *err)
{
	char *end;
	double v;

	if (!s || !*s)
		return error_setx(err, EINVAL, "option '%s' needs a value", opt);
	if (!(*s == '-' || *s == '.' || (*s >= '0' && *s <= '9')))
		return error_setx(err, EINVAL, "invalid value '%s' for option '%s': not a number", s, opt);
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE || *end || !isfinite(v))
		return error_setx(err, EINVAL, "invalid value '%s' for option '%s': not a number", s, opt);
	if (v < min || v > max)
		return error_setx(err, ERANGE, "value '%s' for option '%s' is out of range [%g, %g]", s, opt, min, max);
	*out = v;
	return 0;
}

int wl_parse_size(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out, struct herror *err)
{
	char num[32];
	size_t len;
	unsigned shift = 0;
	uint64_t v;
	int r;

	if (!s || !*s)
		return error_setx(err, EINVAL, "option '%s' needs a value", opt);
	len = strlen(s);
	if (len >= sizeof(num))
		return error_setx(err, EINVAL, "invalid size '%s' for option '%s'", s, opt);
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	}
	if (shift)
		num[--len] = '\0';
	/* The number alone, without its message: this one names the size. */
	r = wl_parse_u64(opt, num, 0, UINT64_MAX >> shift, &v, NULL);
	if (r < 0)
		return error_setx(err, -r, "invalid size '%s' for option '%s': use a number with an optional k, m, g or t suffix", s, opt);
	v <<= shift;
	if (v < min || v > max)
		return error_setx(err, ERANGE, "size '%s' for option '%s' is out of range [%llu, %llu] bytes", s, opt,
			    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

uint64_t wl_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void wl_sleep_until_ns(uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};

	/* EINTR from the stop signal ends the sleep: the caller checks the flag. */
	while (!wl_stopping()) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (r != EINTR)
			break;
	}
}

static void on_stop_signal(int sig)
{
	(void)sig;
	wl_stop_requested = 1;
}

int wl_install_stop_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	/* No SA_RESTART: blocking calls return EINTR so loops notice the flag. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
		int err = -errno;
		fprintf(stderr, "cannot install signal handlers: %s\n", strerror(errno));
		return err;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void *check_alloc(void *p)
{
	if (!p) {
		fputs("out of memory building the JSON result\n", stderr);
		abort();
	}
	return p;
}

int wl_doc_init(wl_doc *doc, const char *tool)
{
	doc->root = check_alloc(cJSON_CreateObject());
	wl_add_str(doc->root, "tool", tool);
	wl_add_num(doc->root, "version", 1);
	doc->params = wl_add_obj(doc->root, "params");
	doc->samples = wl_add_arr(doc->root, "samples");
	doc->totals = wl_add_obj(doc->root, "totals");
	check_alloc(cJSON_AddNullToObject(doc->root, "error"));
	return 0;
}

static void doc_verror(wl_doc *doc, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void doc_verror(wl_doc *doc, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s\n", msg);
	if (!wl_doc_failed(doc))
		cJSON_ReplaceItemInObject(doc->root, "error", check_alloc(cJSON_CreateString(msg)));
}

void wl_doc_error(wl_doc *doc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verror(doc, fmt, ap);
	va_end(ap);
}

int wl_doc_fail(wl_doc *doc, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verror(doc, fmt, ap);
	va_end(ap);
	return err;
}

int wl_doc_finish_error(wl_doc *doc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verror(doc, fmt, ap);
	va_end(ap);
	return wl_doc_finish(doc);
}

int wl_doc_finish_usage(wl_doc *doc)
{
	wl_doc_finish(doc);
	return WL_EXIT_USAGE;
}

int wl_usage_error(wl_doc *doc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doc_verror(doc, fmt, ap);
	va_end(ap);
	return wl_doc_finish_usage(doc);
}

int wl_opt_unknown(wl_doc *doc, char *const *argv)
{
	/* optopt is set for a known option missing its value, 0 for an unknown one. */
	if (optopt)
		return wl_doc_fail(doc, -EINVAL, "unknown option or missing value for '%s' (see --help)",
				   argv[optind - 1]);
	return wl_doc_fail(doc, -EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
}

int wl_opt_role(wl_doc *doc, int argc, char *const *argv, const char *usage, bool *server)
{
	if (argc >= 2 && !strcmp(argv[1], "--help"))
		wl_help_exit(usage);
	if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client")))
		return wl_doc_fail(doc, -EINVAL, "the first argument must be 'server' or 'client' (see --help)");
	*server = !strcmp(argv[1], "server");
	opterr = 0;
	optind = 2;
	return 0;
}

int wl_opt_wrong_role(wl_doc *doc, const char *name, bool server)
{
	return wl_doc_fail(doc, -EINVAL, "option '--%s' is not a %s option (see --help)", name,
			   server ? "server" : "client");
}

int wl_opt_end(wl_doc *doc, int argc, char *const *argv)
{
	if (optind < argc)
		return wl_doc_fail(doc, -EINVAL, "unexpected argument '%s' (see --help)", argv[optind]);
	return 0;
}

int wl_opt_required(wl_doc *doc, const char *name)
{
	return wl_doc_fail(doc, -EINVAL, "option '--%s' is required (see --help)", name);
}

int wl_run_main(wl_doc *doc, int (*run)(const void *opts, wl_doc *doc), const void *opts)
{
	if (wl_install_stop_handlers() < 0)
		return wl_doc_finish_error(doc, "cannot install the signal handlers");
	run(opts, doc);
	return wl_doc_finish(doc);
}

bool wl_doc_failed(const wl_doc *doc)
{
	return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc->root, "error"));
}

int wl_doc_finish(wl_doc *doc)
{
	char *text;
	int status = wl_doc_failed(doc) ? 1 : 0;

	wl_add_bool(doc->root, "stopped_early", wl_stopping());
	text = check_alloc(cJSON_PrintUnformatted(doc->root));
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
		status = 1;
	free(text);
	cJSON_Delete(doc->root);
	doc->root = doc->params = doc->samples = doc->totals = NULL;
	return status;
}

cJSON *wl_add_num(cJSON *obj, const char *key, double v)
{
	return check_alloc(cJSON_AddNumberToObject(obj, key, v));
}

cJSON *wl_add_str(cJSON *obj, const char *key, const char *v)
{
	return check_alloc(cJSON_AddStringToObject(obj, key, v));
}

cJSON *wl_add_bool(cJSON *obj, const char *key, bool v)
{
	return check_alloc(cJSON_AddBoolToObject(obj, key, v));
}

cJSON *wl_add_obj(cJSON *obj, const char *key)
{
	return check_alloc(cJSON_AddObjectToObject(obj, key));
}

cJSON *wl_add_arr(cJSON *obj, const char *key)
{
	return check_alloc(cJSON_AddArrayToObject(obj, key));
}

void wl_arr_num(cJSON *arr, double v)
{
	cJSON_AddItemToArray(arr, check_alloc(cJSON_CreateNumber(v)));
}

cJSON *wl_arr_obj(cJSON *arr)
{
	cJSON *o = check_alloc(cJSON_CreateObject());

	cJSON_AddItemToArray(arr, o);
	return o;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double wl_percentile(double *v, size_t n, double p)
{
	double rank, frac;
	size_t lo;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	if (p <= 0)
		return v[0];
	if (p >= 100)
		return v[n - 1];
	rank = p / 100.0 * (double)(n - 1);
	lo = (size_t)rank;
	frac = rank - (double)lo;
	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

cJSON *wl_add_summary(cJSON *obj, const char *key, double *v, size_t n)
{
	cJSON *s = wl_add_obj(obj, key);
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += v[i];
	wl_add_num(s, "count", (double)n);
	wl_add_num(s, "min", wl_percentile(v, n, 0));
	wl_add_num(s, "mean", n ? sum / (double)n : 0);
	wl_add_num(s, "p50", wl_percentile(v, n, 50));
	wl_add_num(s, "p90", wl_percentile(v, n, 90));
	wl_add_num(s, "p99", wl_percentile(v, n, 99));
	wl_add_num(s, "p999", wl_percentile(v, n, 99.9));
	wl_add_num(s, "max", wl_percentile(v, n, 100));
	return s;
}

int wl_vec_push(wl_vec *vec, double x)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 1024;
		double *nv = realloc(vec->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		vec->v = nv;
		vec->cap = cap;
	}
	vec->v[vec->n++] = x;
	return 0;
}

void wl_vec_free(wl_vec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->cap = 0;
}

bool wl_state_enabled(void)
{
	const char *p = getenv("WL_STATE_FILE");

	return p && *p;
}

int wl_state_publish(uint64_t progress, cJSON *extra)
{
	const char *path = getenv("WL_STATE_FILE");
	struct herror err = { 0 };
	cleanup_free char *text = NULL;
	cJSON *o, *it;
	int r;

	if (!path || !*path)
		return 0;
	o = check_alloc(cJSON_CreateObject());
	wl_add_num(o, "pid", (double)getpid());
	wl_add_num(o, "t", mono_s());
	wl_add_num(o, "progress", (double)progress);
	if (extra)
		cJSON_ArrayForEach(it, extra)
			cJSON_AddItemToObject(o, it->string, check_alloc(cJSON_Duplicate(it, 1)));
	text = check_alloc(cJSON_PrintUnformatted(o));
	cJSON_Delete(o);
	/* Replaced many times a second: atomic for the reader, no fsync. */
	r = write_file_replace(path, text, strlen(text), 0644, &err);
	if (r < 0)
		fprintf(stderr, "cannot write state file: %s\n", err.msg);
	return r;
}

void wl_help_exit(const char *usage)
{
	fputs(usage, stdout);
	exit(0);
}
