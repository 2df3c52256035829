/* spec: validate the experiment description; unknown keys and bad values
 * are refused with a message naming the key, before anything starts. */
#include "spec.h"
#include "herror.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		      double *out, struct herror *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!it)
		return 0;
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
		return error_setx(err, EINVAL, "%s'%s' must be a number", where, key);
	if (it->valuedouble < min || it->valuedouble > max)
		return error_setx(err, EINVAL, "%s'%s' is %g, must be in [%g, %g]", where, key, it->valuedouble, min, max);
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
	/* Names become file names: "." and ".." would be directories. */
	if (!*s || strlen(s) > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* A size: a non-negative integer of bytes or a string "512M" (K, M, G, T:
 * powers of 1024). */
static int get_size(const cJSON *obj, const char *key, const char *where, uint64_t *out, struct herror *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	double v;

	if (!it)
		return 0;
	if (cJSON_IsNumber(it)) {
		v = it->valuedouble;
	} else if (cJSON_IsString(it) && it->valuestring[0] >= '0' && it->valuestring[0] <= '9') {
		char *end;
		v = strtod(it->valuestring, &end);
		switch (*end) {
		case 'k': case 'K': v *= 1024.0; end++; break;
		case 'm': case 'M': v *= 1024.0 * 1024; end++; break;
		case 'g': case 'G': v *= 1024.0 * 1024 * 1024; end++; break;
		case 't': case 'T': v *= 1024.0 * 1024 * 1024 * 1024; end++; break;
		default: break;
		}
		if (*end)
			v = -1;
	} else {
		v = -1;
	}
	if (!isfinite(v) || v < 1 || v > 9007199254740992.0 || v != floor(v))
		return error_setx(err, EINVAL, "%s'%s' must be a positive number of bytes or a size such as \"256M\"",
			          where, key);
	*out = (uint64_t)v;
	return 0;
}

static int get_uint(const cJSON *obj, const char *key, const char *where, double min, double max,
		    uint64_t *out, struct herror *err)
{
	double v = -1;
	int r = get_number(obj, key, where, min, max, &v, err);

	if (r < 0 || v < 0)
		return r;
	if (v != floor(v))
		return error_setx(err, EINVAL, "%s'%s' must be an integer", where, key);
	*out = (uint64_t)v;
	return 0;
}

/* "cpu_max": a number of CPUs (0.5) or "QUOTA/PERIOD" in microseconds. */
static int get_cpu_max(const cJSON *obj, const char *where, struct spec_container *c, struct herror *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "cpu_max");
	long long q = 0, p = 0;
	int n = 0;

	if (!it)
		return 0;
	if (cJSON_IsNumber(it) && isfinite(it->valuedouble) && it->valuedouble >= 0.01 &&
	    it->valuedouble <= 1024) {
		c->cpu_period_us = 100000;
		c->cpu_quota_us = (int64_t)(it->valuedouble * 100000 + 0.5);
		return 0;
	}
	if (cJSON_IsString(it) && sscanf(it->valuestring, "%lld/%lld%n", &q, &p, &n) == 2 &&
	    it->valuestring[n] == '\0' && q >= 1000 && p >= 1000 && p <= 1000000) {
		c->cpu_quota_us = q;
		c->cpu_period_us = (uint64_t)p;
		return 0;
	}
	return error_setx(err, EINVAL, "%s'cpu_max' must be a number of CPUs in [0.01, 1024] or \"QUOTA/PERIOD\" "
		          "in microseconds (quota >= 1000, period 1000..1000000)", where);
}

static bool valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}

static int get_bool(const cJSON *obj, const char *key, const char *where, bool *out, struct herror *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!it)
		return 0;
	if (!cJSON_IsBool(it))
		return error_setx(err, EINVAL, "%s'%s' must be true or false", where, key);
	*out = cJSON_IsTrue(it);
	return 0;
}

/* hostname, read_only, network, ip and claims: what the runtime's start
 * request takes beside the limits (runtime/src/spec.c). */
static int load_container_more(struct spec_container *c, const cJSON *obj, const char *cwhere, struct herror *err)
{
	const cJSON *it, *cl;
	struct in_addr a;
	int r;

	it = cJSON_GetObjectItemCaseSensitive(obj, "hostname");
	if (it) {
		if (!cJSON_IsString(it) || !valid_hostname(it->valuestring))
			return error_setx(err, EINVAL, "%s'hostname' must be 1 to 63 letters, digits, '-' and '.', "
					  "not starting or ending with '-' or '.'", cwhere);
		c->hostname = xstrdup(it->valuestring);
	}
	if ((r = get_bool(obj, "read_only", cwhere, &c->read_only, err)) < 0 ||
	    (r = get_bool(obj, "network", cwhere, &c->network, err)) < 0)
		return r;
	it = cJSON_GetObjectItemCaseSensitive(obj, "ip");
	if (it) {
		if (!cJSON_IsString(it) || inet_pton(AF_INET, it->valuestring, &a) != 1)
			return error_setx(err, EINVAL, "%s'ip' must be an IPv4 address such as \"10.88.0.10\"", cwhere);
		if (!c->network)
			return error_setx(err, EINVAL, "%s'ip' needs 'network': true", cwhere);
		c->ip = xstrdup(it->valuestring);
	}
	cl = cJSON_GetObjectItemCaseSensitive(obj, "claims");
	if (cl) {
		static const char *const ckeys[] = { "memory", "cpu", "pids", NULL };
		char clwhere[96];
		double cpu = -1;

		snprintf(clwhere, sizeof(clwhere), "%sclaims: ", cwhere);
		if (!cJSON_IsObject(cl) || cJSON_GetArraySize(cl) == 0)
			return error_setx(err, EINVAL, "%s'claims' must be an object with memory, cpu or pids", cwhere);
		cJSON_ArrayForEach(it, cl)
			if (!key_known(it->string, ckeys))
				return error_setx(err, EINVAL, "%sunknown key '%s'", clwhere, it->string);
		if ((r = get_size(cl, "memory", clwhere, &c->claim_memory, err)) < 0 ||
		    (r = get_number(cl, "cpu", clwhere, 0.001, 1024, &cpu, err)) < 0 ||
		    (r = get_uint(cl, "pids", clwhere, 1, 4194304, &c->claim_pids, err)) < 0)
			return r;
		if (cpu > 0)
			c->claim_cpu_milli = (uint64_t)(cpu * 1000 + 0.5);
		c->has_claims = true;
		/* The runtime's own rule: a limit never above the claim. */
		if (c->memory_max && c->memory_max > c->claim_memory)
			return error_setx(err, EINVAL, "%s'memory_max' is above the memory claim", cwhere);
		if (c->pids_max && c->pids_max > c->claim_pids)
			return error_setx(err, EINVAL, "%s'pids_max' is above the pids claim", cwhere);
		if (c->cpu_quota_us && (uint64_t)c->cpu_quota_us * 1000 / c->cpu_period_us > c->claim_cpu_milli)
			return error_setx(err, EINVAL, "%s'cpu_max' is above the cpu claim", cwhere);
		/* Admission needs a supervisor with a capacity; the runner's own
		 * is started without one. */
		const char *shared = getenv("HARNESS_RUNTIME_SOCKET");
		if (shared == NULL || *shared == '\0')
			return error_setx(err, EINVAL, "%s'claims' need a shared supervisor started with --capacity "
					  "(HARNESS_RUNTIME_SOCKET); the runner's own has no capacity", cwhere);
	}
	return 0;
}

static int load_container(struct spec_workload *w, const cJSON *obj, const char *where, const char *bindir,
			  struct herror *err)
{
	static const char *const known[] = { "rootfs", "name", "cpu_weight", "cpu_max", "cpuset", "memory_max",
					     "memory_high", "pids_max", "kmon_soft", "kmon_hard", "hostname",
					     "read_only", "network", "ip", "claims", NULL };
	struct spec_container *c;
	const cJSON *it;
	char cwhere[80];
	struct stat st;
	int r;

	snprintf(cwhere, sizeof(cwhere), "%scontainer: ", where);
	if (!cJSON_IsObject(obj))
		return error_setx(err, EINVAL, "%s'container' must be an object", where);
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	w->container = c;
	c->asked = cJSON_Duplicate(obj, 1);
	cJSON_ArrayForEach(it, obj)
		if (!key_known(it->string, known))
			return error_setx(err, EINVAL, "%sunknown key '%s'", cwhere, it->string);

	it = cJSON_GetObjectItemCaseSensitive(obj, "rootfs");
	if (!cJSON_IsString(it) || !*it->valuestring)
		return error_setx(err, EINVAL, "%s'rootfs' must be \"busybox\" or an absolute path", cwhere);
	c->rootfs_given = xstrdup(it->valuestring);
	if (it->valuestring[0] == '/') {
		c->rootfs = xstrdup(it->valuestring);
	} else if (strcmp(it->valuestring, "busybox") == 0) {
		const char *dir = getenv("HARNESS_GUEST_ROOTFS_DIR");
		size_t len;
		if (dir && *dir) {
			len = strlen(dir) + sizeof("/busybox.tar.gz");
			c->rootfs = malloc(len);
			if (!c->rootfs)
				abort();
			snprintf(c->rootfs, len, "%s/busybox.tar.gz", dir);
		} else {
			len = strlen(bindir) + sizeof("/../rootfs/busybox.tar.gz");
			c->rootfs = malloc(len);
			if (!c->rootfs)
				abort();
			snprintf(c->rootfs, len, "%s/../rootfs/busybox.tar.gz", bindir);
		}
	} else {
		return error_setx(err, EINVAL, "%s'rootfs' must be \"busybox\" or an absolute path", cwhere);
	}
	if (stat(c->rootfs, &st) < 0)
		return error_set(err, errno, "%s'rootfs': cannot use '%s'", cwhere, c->rootfs);

	it = cJSON_GetObjectItemCaseSensitive(obj, "name");
	if (it && (!cJSON_IsString(it) || !valid_name(it->valuestring) || strlen(it->valuestring) > 63))
		return error_setx(err, EINVAL, "%s'name' must be 1 to 63 letters, digits, '_', '-', '.'", cwhere);
	if (!it && strlen(w->name) > 63)
		return error_setx(err, EINVAL, "%sa workload name longer than 63 characters needs a container 'name'",
			          cwhere);
	c->name = xstrdup(it ? it->valuestring : w->name);

	if ((r = get_uint(obj, "cpu_weight", cwhere, 1, 10000, &c->cpu_weight, err)) < 0 ||
	    (r = get_cpu_max(obj, cwhere, c, err)) < 0 ||
	    (r = get_size(obj, "memory_max", cwhere, &c->memory_max, err)) < 0 ||
	    (r = get_size(obj, "memory_high", cwhere, &c->memory_high, err)) < 0 ||
	    (r = get_uint(obj, "pids_max", cwhere, 1, 4194304, &c->pids_max, err)) < 0 ||
	    (r = get_size(obj, "kmon_soft", cwhere, &c->kmon_soft, err)) < 0 ||
	    (r = get_size(obj, "kmon_hard", cwhere, &c->kmon_hard, err)) < 0)
		return r;
	if ((c->memory_max && c->memory_max < 4096) || (c->memory_high && c->memory_high < 4096))
		return error_setx(err, EINVAL, "%smemory limits below one page (4096 bytes) are not usable", cwhere);
	if (c->memory_max && c->memory_high > c->memory_max)
		return error_setx(err, EINVAL, "%s'memory_high' is above 'memory_max'", cwhere);
	if (c->kmon_soft && !c->kmon_hard)
		return error_setx(err, EINVAL, "%s'kmon_soft' needs 'kmon_hard'", cwhere);
	if (c->kmon_soft > c->kmon_hard && c->kmon_hard)
		return error_setx(err, EINVAL, "%s'kmon_soft' is above 'kmon_hard'", cwhere);
	it = cJSON_GetObjectItemCaseSensitive(obj, "cpuset");
	if (it) {
		cpu_set_t set;
		if (!cJSON_IsString(it) || spec_parse_cpulist(it->valuestring, &set) < 0)
			return error_setx(err, EINVAL, "%s'cpuset' must be a cpu list such as \"0-1,3\"", cwhere);
		c->cpuset = xstrdup(it->valuestring);
	}
	return load_container_more(c, obj, cwhere, err);
}

/* Where the program is seen inside the container: bindir is bind-mounted
 * on /opt/harness/bin; a program elsewhere on /opt/harness/extra/NAME. */
static void container_program_path(struct spec_workload *w, const char *bindir)
{
	size_t blen = strlen(bindir), len;
	const char *base = strrchr(w->program, '/');

	base = base ? base + 1 : w->program;
	len = strlen(base) + sizeof("/opt/harness/extra/");
	w->program_in_container = malloc(len);
	if (!w->program_in_container)
		abort();
	if (strncmp(w->program, bindir, blen) == 0 && w->program[blen] == '/' && !strchr(w->program + blen + 1, '/'))
		snprintf(w->program_in_container, len, "/opt/harness/bin/%s", base);
	else
		snprintf(w->program_in_container, len, "/opt/harness/extra/%s", base);
}

static int load_workload(struct spec_workload *w, const cJSON *obj, size_t idx, const char *bindir,
			 double stall_timeout_s, struct herror *err)
{
	static const char *const known[] = { "name", "program", "args", "nice", "cpus", "env",
					     "expect_stall", "stall_timeout_s", "container", NULL };
	char where[48];
	const cJSON *it, *a;
	size_t nargs = 0, i;
	double nice = 0;
	int r;

	snprintf(where, sizeof(where), "workloads[%zu]: ", idx);
	if (!cJSON_IsObject(obj))
		return error_setx(err, EINVAL, "workloads[%zu] must be an object", idx);
	cJSON_ArrayForEach(it, obj)
		if (!key_known(it->string, known))
			return error_setx(err, EINVAL, "%sunknown key '%s'", where, it->string);

	it = cJSON_GetObjectItemCaseSensitive(obj, "name");
	if (!cJSON_IsString(it) || !valid_name(it->valuestring))
		return error_setx(err, EINVAL, "%s'name' must be a string of letters, digits, '_', '-', '.' (1-64)", where);
	w->name = xstrdup(it->valuestring);

	it = cJSON_GetObjectItemCaseSensitive(obj, "program");
	if (!cJSON_IsString(it) || !*it->valuestring)
		return error_setx(err, EINVAL, "%s'program' must be a non-empty string", where);
	w->program_name = xstrdup(it->valuestring);
	if (it->valuestring[0] == '/') {
		w->program = xstrdup(it->valuestring);
	} else {
		size_t len;
		if (!valid_name(it->valuestring))
			return error_setx(err, EINVAL, "%s'program' must be a program name in %s or an absolute path",
				          where, bindir);
		len = strlen(bindir) + strlen(it->valuestring) + 2;
		w->program = malloc(len);
		if (!w->program)
			abort();
		snprintf(w->program, len, "%s/%s", bindir, it->valuestring);
	}
	{
		struct stat st;

		if (stat(w->program, &st) < 0)
			return error_set(err, errno, "%s'program': cannot execute '%s'", where, w->program);
		if (!S_ISREG(st.st_mode))
			return error_setx(err, EINVAL, "%s'program': '%s' is not a regular file", where, w->program);
	}
	if (access(w->program, X_OK) < 0)
		return error_set(err, errno, "%s'program': cannot execute '%s'", where, w->program);

	a = cJSON_GetObjectItemCaseSensitive(obj, "args");
	if (a && !cJSON_IsArray(a))
		return error_setx(err, EINVAL, "%s'args' must be an array of strings", where);
	nargs = a ? (size_t)cJSON_GetArraySize(a) : 0;
	w->argv = calloc(nargs + 2, sizeof(char *));
	if (!w->argv)
		abort();
	w->argv[0] = xstrdup(w->program_name);
	i = 1;
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it))
			return error_setx(err, EINVAL, "%s'args[%zu]' must be a string", where, i - 1);
		w->argv[i++] = xstrdup(it->valuestring);
	}

	a = cJSON_GetObjectItemCaseSensitive(obj, "env");
	if (a && !cJSON_IsObject(a))
		return error_setx(err, EINVAL, "%s'env' must be an object of strings", where);
	nargs = a ? (size_t)cJSON_GetArraySize(a) : 0;
	w->envp_extra = calloc(nargs + 1, sizeof(char *));
	if (!w->envp_extra)
		abort();
	i = 0;
	cJSON_ArrayForEach(it, a) {
		size_t len;
		if (!cJSON_IsString(it) || !*it->string || strchr(it->string, '='))
			return error_setx(err, EINVAL, "%s'env.%s' must be a string with a name without '='", where,
				          it->string);
		len = strlen(it->string) + strlen(it->valuestring) + 2;
		w->envp_extra[i] = malloc(len);
		if (!w->envp_extra[i])
			abort();
		snprintf(w->envp_extra[i], len, "%s=%s", it->string, it->valuestring);
		i++;
	}

	r = get_number(obj, "nice", where, -20, 19, &nice, err);
	if (r < 0)
		return r;
	if (nice != floor(nice))
		return error_setx(err, EINVAL, "%s'nice' must be an integer", where);
	w->nice = (int)nice;

	it = cJSON_GetObjectItemCaseSensitive(obj, "cpus");
	if (it) {
		if (!cJSON_IsString(it) || spec_parse_cpulist(it->valuestring, &w->cpus) < 0)
			return error_setx(err, EINVAL, "%s'cpus' must be a cpu list such as \"0-1,3\"", where);
		w->has_cpus = true;
		w->cpus_text = xstrdup(it->valuestring);
	}

	it = cJSON_GetObjectItemCaseSensitive(obj, "expect_stall");
	if (it && !cJSON_IsBool(it))
		return error_setx(err, EINVAL, "%s'expect_stall' must be true or false", where);
	w->expect_stall = cJSON_IsTrue(it);
	w->stall_timeout_s = stall_timeout_s;
	r = get_number(obj, "stall_timeout_s", where, 0, 3600, &w->stall_timeout_s, err);
	if (r < 0)
		return r;
	it = cJSON_GetObjectItemCaseSensitive(obj, "container");
	if (!it)
		return 0;
	if ((r = load_container(w, it, where, bindir, err)) < 0)
		return r;
	container_program_path(w, bindir);
	return 0;
}

/* The runtime binary, needed only when a workload asks for a container. */
static int find_runtime(struct spec *spec, struct herror *err)
{
	const char *env = getenv("HARNESS_RUNTIME");
	size_t len;

	if (env && *env) {
		spec->runtime_bin = xstrdup(env);
	} else {
		len = strlen(spec->bindir) + sizeof("/harness-runtime");
		spec->runtime_bin = malloc(len);
		if (!spec->runtime_bin)
			abort();
		snprintf(spec->runtime_bin, len, "%s/harness-runtime", spec->bindir);
	}
	if (access(spec->runtime_bin, X_OK) < 0)
		return error_set(err, errno, "a workload asks for a container, but the runtime '%s' cannot be executed",
				 spec->runtime_bin);
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* cJSON keeps both of two equal keys and finds the first: a spec that says
 * a thing twice is refused, in every object of it. */
static int check_duplicate_keys(const cJSON *j, const char *where, struct herror *err)
{
	const cJSON *it;
	size_t n = 0, i = 0;
	const char **keys;
	int r = 0;

	cJSON_ArrayForEach(it, j) {
		if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
			char sub[128];
			if (it->string)
				snprintf(sub, sizeof(sub), "%s%s%s", where, *where ? "." : "", it->string);
			else
				snprintf(sub, sizeof(sub), "%s[%zu]", where, n);
			if ((r = check_duplicate_keys(it, sub, err)) < 0)
				return r;
		}
		n++;
	}
	if (!cJSON_IsObject(j) || n < 2)
		return 0;
	keys = calloc(n, sizeof(*keys));
	if (keys == NULL)
		abort();
	cJSON_ArrayForEach(it, j)
		keys[i++] = it->string ? it->string : "";
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (i = 1; i < n && r == 0; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			r = error_setx(err, EINVAL, "%s%skey '%s' given twice", where, *where ? ": " : "", keys[i]);
	free(keys);
	return r;
}

int spec_load(struct spec *spec, const cJSON *json, const char *bindir, struct herror *err)
{
	static const char *const known[] = { "experiment", "duration_s", "sample_hz", "stall_timeout_s",
					     "grace_s", "kill_after_s", "workloads", NULL };
	const cJSON *it, *wls;
	bool containers = false;
	int r;

	memset(spec, 0, sizeof(*spec));
	spec->bindir = xstrdup(bindir);
	spec->sample_hz = 10;
	spec->stall_timeout_s = 5;
	spec->grace_s = 2;
	spec->kill_after_s = 2;
	if (!cJSON_IsObject(json))
		return error_setx(err, EINVAL, "the experiment spec must be a JSON object");
	if ((r = check_duplicate_keys(json, "", err)) < 0)
		return r;
	cJSON_ArrayForEach(it, json)
		if (!key_known(it->string, known))
			return error_setx(err, EINVAL, "unknown key '%s' in the experiment spec", it->string);

	it = cJSON_GetObjectItemCaseSensitive(json, "experiment");
	if (!cJSON_IsString(it) || !*it->valuestring)
		return error_setx(err, EINVAL, "'experiment' must be a non-empty string");
	spec->experiment = xstrdup(it->valuestring);

	if (!cJSON_GetObjectItemCaseSensitive(json, "duration_s"))
		return error_setx(err, EINVAL, "'duration_s' is required");
	if ((r = get_number(json, "duration_s", "", 0.001, 86400, &spec->duration_s, err)) < 0 ||
	    (r = get_number(json, "sample_hz", "", 0.01, 100, &spec->sample_hz, err)) < 0 ||
	    (r = get_number(json, "stall_timeout_s", "", 0.1, 3600, &spec->stall_timeout_s, err)) < 0 ||
	    (r = get_number(json, "grace_s", "", 0, 3600, &spec->grace_s, err)) < 0 ||
	    (r = get_number(json, "kill_after_s", "", 0.1, 60, &spec->kill_after_s, err)) < 0)
		return r;

	wls = cJSON_GetObjectItemCaseSensitive(json, "workloads");
	if (!cJSON_IsArray(wls) || cJSON_GetArraySize(wls) < 1)
		return error_setx(err, EINVAL, "'workloads' must be a non-empty array");
	if (cJSON_GetArraySize(wls) > SPEC_MAX_WORKLOADS)
		return error_setx(err, EINVAL, "'workloads' has more than %d entries", SPEC_MAX_WORKLOADS);
	cJSON_ArrayForEach(it, wls) {
		size_t idx = spec->nworkloads++;
		r = load_workload(&spec->workloads[idx], it, idx, bindir, spec->stall_timeout_s, err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < idx; j++)
			if (strcmp(spec->workloads[j].name, spec->workloads[idx].name) == 0)
				return error_setx(err, EINVAL, "workloads[%zu]: 'name' '%s' is used twice", idx,
					          spec->workloads[idx].name);
		if (!spec->workloads[idx].container)
			continue;
		containers = true;
		for (size_t j = 0; j < idx; j++)
			if (spec->workloads[j].container &&
			    strcmp(spec->workloads[j].container->name, spec->workloads[idx].container->name) == 0)
				return error_setx(err, EINVAL, "workloads[%zu]: container name '%s' is used twice", idx,
					          spec->workloads[idx].container->name);
	}
	return containers ? find_runtime(spec, err) : 0;
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
		free(w->program_in_container);
		if (w->container) {
			free(w->container->name);
			free(w->container->rootfs);
			free(w->container->rootfs_given);
			free(w->container->cpuset);
			free(w->container->hostname);
			free(w->container->ip);
			cJSON_Delete(w->container->asked);
			free(w->container);
		}
	}
	free(spec->bindir);
	free(spec->runtime_bin);
	memset(spec, 0, sizeof(*spec));
}
