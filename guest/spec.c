/* spec: validate the experiment description; unknown keys and bad values
 * are refused with a message naming the key, before anything starts. */
#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool key_known(const char *key, const char *const *known)
{
	for (; *known; known++)
		if (strcmp(key, *known) == 0)
			return true;
	return false;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

/* Optional number in [min, max]; missing keeps *out. */
static int get_number(const cJSON *obj, const char *key, const char *where, double min, double max,
		      double *out, char *err, size_t errlen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!it)
		return 0;
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
		return bad(err, errlen, "%s'%s' must be a number", where, key);
	if (it->valuedouble < min || it->valuedouble > max)
		return bad(err, errlen, "%s'%s' is %g, must be in [%g, %g]", where, key, it->valuedouble, min, max);
	*out = it->valuedouble;
	return 0;
}

int spec_parse_cpulist(const char *text, cpu_set_t *set)
{
	const char *p = text;

	CPU_ZERO(set);
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		long a, b;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		a = strtol(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtol(p, &end, 10);
			p = end;
		}
		if (a > b || b >= CPU_SETSIZE)
			return -EINVAL;
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, set);
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	return 0;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static int load_workload(struct spec_workload *w, const cJSON *obj, size_t idx, const char *bindir,
			 double stall_timeout_s, char *err, size_t errlen)
{
	static const char *const known[] = { "name", "program", "args", "nice", "cpus", "env",
					     "expect_stall", "stall_timeout_s", NULL };
	char where[48];
	const cJSON *it, *a;
	size_t nargs = 0, i;
	double nice = 0;
	int r;

	snprintf(where, sizeof(where), "workloads[%zu]: ", idx);
	if (!cJSON_IsObject(obj))
		return bad(err, errlen, "workloads[%zu] must be an object", idx);
	cJSON_ArrayForEach(it, obj)
		if (!key_known(it->string, known)) {
			if (strcmp(it->string, "container") == 0)
				return bad(err, errlen, "%skey 'container' is not supported yet", where);
			return bad(err, errlen, "%sunknown key '%s'", where, it->string);
		}

	it = cJSON_GetObjectItemCaseSensitive(obj, "name");
	if (!cJSON_IsString(it) || !valid_name(it->valuestring))
		return bad(err, errlen, "%s'name' must be a string of letters, digits, '_', '-', '.' (1-64)", where);
	w->name = xstrdup(it->valuestring);

	it = cJSON_GetObjectItemCaseSensitive(obj, "program");
	if (!cJSON_IsString(it) || !*it->valuestring)
		return bad(err, errlen, "%s'program' must be a non-empty string", where);
	w->program_name = xstrdup(it->valuestring);
	if (it->valuestring[0] == '/') {
		w->program = xstrdup(it->valuestring);
	} else {
		size_t len;
		if (!valid_name(it->valuestring))
			return bad(err, errlen, "%s'program' must be a program name in %s or an absolute path",
				   where, bindir);
		len = strlen(bindir) + strlen(it->valuestring) + 2;
		w->program = malloc(len);
		if (!w->program)
			abort();
		snprintf(w->program, len, "%s/%s", bindir, it->valuestring);
	}
	if (access(w->program, X_OK) < 0)
		return bad(err, errlen, "%s'program': cannot execute '%s': %s", where, w->program, strerror(errno));

	a = cJSON_GetObjectItemCaseSensitive(obj, "args");
	if (a && !cJSON_IsArray(a))
		return bad(err, errlen, "%s'args' must be an array of strings", where);
	nargs = a ? (size_t)cJSON_GetArraySize(a) : 0;
	w->argv = calloc(nargs + 2, sizeof(char *));
	if (!w->argv)
		abort();
	w->argv[0] = xstrdup(w->program_name);
	i = 1;
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it))
			return bad(err, errlen, "%s'args[%zu]' must be a string", where, i - 1);
		w->argv[i++] = xstrdup(it->valuestring);
	}

	a = cJSON_GetObjectItemCaseSensitive(obj, "env");
	if (a && !cJSON_IsObject(a))
		return bad(err, errlen, "%s'env' must be an object of strings", where);
	nargs = a ? (size_t)cJSON_GetArraySize(a) : 0;
	w->envp_extra = calloc(nargs + 1, sizeof(char *));
	if (!w->envp_extra)
		abort();
	i = 0;
	cJSON_ArrayForEach(it, a) {
		size_t len;
		if (!cJSON_IsString(it) || !*it->string || strchr(it->string, '='))
			return bad(err, errlen, "%s'env.%s' must be a string with a name without '='", where,
				   it->string);
		len = strlen(it->string) + strlen(it->valuestring) + 2;
		w->envp_extra[i] = malloc(len);
		if (!w->envp_extra[i])
			abort();
		snprintf(w->envp_extra[i], len, "%s=%s", it->string, it->valuestring);
		i++;
	}

	r = get_number(obj, "nice", where, -20, 19, &nice, err, errlen);
	if (r < 0)
		return r;
	if (nice != floor(nice))
		return bad(err, errlen, "%s'nice' must be an integer", where);
	w->nice = (int)nice;

	it = cJSON_GetObjectItemCaseSensitive(obj, "cpus");
	if (it) {
		if (!cJSON_IsString(it) || spec_parse_cpulist(it->valuestring, &w->cpus) < 0)
			return bad(err, errlen, "%s'cpus' must be a cpu list such as \"0-1,3\"", where);
		w->has_cpus = true;
		w->cpus_text = xstrdup(it->valuestring);
	}

	it = cJSON_GetObjectItemCaseSensitive(obj, "expect_stall");
	if (it && !cJSON_IsBool(it))
		return bad(err, errlen, "%s'expect_stall' must be true or false", where);
	w->expect_stall = cJSON_IsTrue(it);
	w->stall_timeout_s = stall_timeout_s;
	return get_number(obj, "stall_timeout_s", where, 0, 3600, &w->stall_timeout_s, err, errlen);
}

int spec_load(struct spec *spec, const cJSON *json, const char *bindir, char *err, size_t errlen)
{
	static const char *const known[] = { "experiment", "duration_s", "sample_hz", "stall_timeout_s",
					     "grace_s", "kill_after_s", "workloads", NULL };
	const cJSON *it, *wls;
	int r;

	memset(spec, 0, sizeof(*spec));
	spec->sample_hz = 10;
	spec->stall_timeout_s = 5;
	spec->grace_s = 2;
	spec->kill_after_s = 2;
	if (!cJSON_IsObject(json))
		return bad(err, errlen, "the experiment spec must be a JSON object");
	cJSON_ArrayForEach(it, json)
		if (!key_known(it->string, known))
			return bad(err, errlen, "unknown key '%s' in the experiment spec", it->string);

	it = cJSON_GetObjectItemCaseSensitive(json, "experiment");
	if (!cJSON_IsString(it) || !*it->valuestring)
		return bad(err, errlen, "'experiment' must be a non-empty string");
	spec->experiment = xstrdup(it->valuestring);

	if (!cJSON_GetObjectItemCaseSensitive(json, "duration_s"))
		return bad(err, errlen, "'duration_s' is required");
	if ((r = get_number(json, "duration_s", "", 0.001, 86400, &spec->duration_s, err, errlen)) < 0 ||
	    (r = get_number(json, "sample_hz", "", 0.01, 100, &spec->sample_hz, err, errlen)) < 0 ||
	    (r = get_number(json, "stall_timeout_s", "", 0.1, 3600, &spec->stall_timeout_s, err, errlen)) < 0 ||
	    (r = get_number(json, "grace_s", "", 0, 3600, &spec->grace_s, err, errlen)) < 0 ||
	    (r = get_number(json, "kill_after_s", "", 0.1, 60, &spec->kill_after_s, err, errlen)) < 0)
		return r;

	wls = cJSON_GetObjectItemCaseSensitive(json, "workloads");
	if (!cJSON_IsArray(wls) || cJSON_GetArraySize(wls) < 1)
		return bad(err, errlen, "'workloads' must be a non-empty array");
	if (cJSON_GetArraySize(wls) > SPEC_MAX_WORKLOADS)
		return bad(err, errlen, "'workloads' has more than %d entries", SPEC_MAX_WORKLOADS);
	cJSON_ArrayForEach(it, wls) {
		size_t idx = spec->nworkloads++;
		r = load_workload(&spec->workloads[idx], it, idx, bindir, spec->stall_timeout_s, err, errlen);
		if (r < 0)
			return r;
		for (size_t j = 0; j < idx; j++)
			if (strcmp(spec->workloads[j].name, spec->workloads[idx].name) == 0)
				return bad(err, errlen, "workloads[%zu]: 'name' '%s' is used twice", idx,
					   spec->workloads[idx].name);
	}
	return 0;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void spec_free(struct spec *spec)
{
	free(spec->experiment);
	for (size_t i = 0; i < spec->nworkloads; i++) {
		struct spec_workload *w = &spec->workloads[i];
		free(w->name);
		free(w->program);
		free(w->program_name);
		free(w->cpus_text);
		free_strv(w->argv);
		free_strv(w->envp_extra);
	}
	memset(spec, 0, sizeof(*spec));
}
