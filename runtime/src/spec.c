#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <stdlib.h>

void spec_init(struct container_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->limits.cpu_period_us = 100000;
	s->stop_grace_s = 10;
	snprintf(s->cwd, sizeof(s->cwd), "/");
}

void spec_free(struct container_spec *s)
{
	for (int i = 0; i < s->argc; i++)
		free(s->argv[i]);
	for (int i = 0; i < s->envc; i++)
		free(s->env[i]);
	s->argc = s->envc = 0;
	s->argv[0] = s->env[0] = NULL;
	cJSON_Delete(s->seccomp);
	s->seccomp = NULL;
}

static int get_str(const cJSON *o, const char *key, char *dst, size_t len, int required,
		   struct herror *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v) {
		if (required)
			return error_setx(err, EINVAL, "missing field '%s'", key);
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return error_setx(err, EINVAL, "field '%s' must be a string", key);
	if (strlen(v->valuestring) >= len)
		return error_setx(err, EINVAL, "field '%s' is longer than %zu characters", key, len - 1);
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* Numbers travel as JSON numbers; doubles carry integers exactly to 2^53. */
static int get_u64(const cJSON *o, const char *key, uint64_t *dst, struct herror *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return error_setx(err, EINVAL, "field '%s' must be a non-negative integer", key);
	*dst = (uint64_t)v->valuedouble;
	return 0;
}

static int get_str_array(const cJSON *o, const char *key, char **dst, int *n, int max,
			 struct herror *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *it;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return error_setx(err, EINVAL, "field '%s' must be an array of strings", key);
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsString(it) || !it->valuestring)
			return error_setx(err, EINVAL, "field '%s' must be an array of strings", key);
		if (*n >= max)
			return error_setx(err, E2BIG, "field '%s' has more than %d entries", key, max);
		if (strlen(it->valuestring) >= SPEC_MAX_STR)
			return error_setx(err, E2BIG, "an entry of '%s' is too long", key);
		dst[*n] = strdup(it->valuestring);
		if (!dst[*n])
			return error_set(err, ENOMEM, "cannot copy '%s'", key);
		(*n)++;
		dst[*n] = NULL;
	}
	return 0;
}

int spec_from_json(const cJSON *o, struct container_spec *s, struct herror *err)
{
	const cJSON *lim, *cl, *km, *v;
	uint64_t u;
	int r;

	if (!cJSON_IsObject(o))
		return error_setx(err, EINVAL, "container spec must be a JSON object");
	if ((r = get_str(o, "name", s->name, sizeof(s->name), 1, err)) < 0 ||
	    (r = get_str(o, "rootfs", s->rootfs, sizeof(s->rootfs), 0, err)) < 0 ||
	    (r = get_str(o, "bundle", s->bundle, sizeof(s->bundle), 0, err)) < 0 ||
	    (r = get_str(o, "hostname", s->hostname, sizeof(s->hostname), 0, err)) < 0 ||
	    (r = get_str(o, "cwd", s->cwd, sizeof(s->cwd), 0, err)) < 0 ||
	    (r = get_str(o, "ip", s->ip, sizeof(s->ip), 0, err)) < 0 ||
	    (r = get_str_array(o, "argv", s->argv, &s->argc, SPEC_MAX_ARGS, err)) < 0 ||
	    (r = get_str_array(o, "env", s->env, &s->envc, SPEC_MAX_ENV, err)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "nice"))) {
		/* The range first: casting 1e999 to int is undefined. */
		if (!cJSON_IsNumber(v) || !(v->valuedouble >= -20 && v->valuedouble <= 19) ||
		    v->valuedouble != (double)(int)v->valuedouble)
			return error_setx(err, EINVAL, "field 'nice' must be an integer in -20..19");
		s->nice = (int)v->valuedouble;
		s->has_nice = 1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "network"))) {
		if (!cJSON_IsBool(v))
			return error_setx(err, EINVAL, "field 'network' must be a boolean");
		s->network = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "readonly"))) {
		if (!cJSON_IsBool(v))
			return error_setx(err, EINVAL, "field 'readonly' must be a boolean");
		s->readonly_rootfs = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "admit"))) {
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "queue") && strcmp(v->valuestring, "refuse")))
			return error_setx(err, EINVAL, "field 'admit' must be \"queue\" or \"refuse\"");
		s->admit_queue = !strcmp(v->valuestring, "queue");
	}
	u = (uint64_t)s->stop_grace_s;
	if ((r = get_u64(o, "stop_grace", &u, err)) < 0)
		return r;
	if (u > 3600)
		return error_setx(err, EINVAL, "field 'stop_grace' must be at most 3600 seconds");
	s->stop_grace_s = (int)u;

	if ((lim = cJSON_GetObjectItemCaseSensitive(o, "limits"))) {
		uint64_t q = 0;

		if (!cJSON_IsObject(lim))
			return error_setx(err, EINVAL, "field 'limits' must be an object");
		if ((r = get_u64(lim, "cpu_weight", &s->limits.cpu_weight, err)) < 0 ||
		    (r = get_u64(lim, "cpu_quota_us", &q, err)) < 0 ||
		    (r = get_u64(lim, "cpu_period_us", &s->limits.cpu_period_us, err)) < 0 ||
		    (r = get_str(lim, "cpuset_cpus", s->limits.cpuset_cpus, sizeof(s->limits.cpuset_cpus), 0, err)) < 0 ||
		    (r = get_u64(lim, "memory_high", &s->limits.memory_high, err)) < 0 ||
		    (r = get_u64(lim, "memory_max", &s->limits.memory_max, err)) < 0 ||
		    (r = get_u64(lim, "pids_max", &s->limits.pids_max, err)) < 0)
			return r;
		if (q > INT64_MAX)
			return error_setx(err, EINVAL, "field 'cpu_quota_us' is out of range");
		s->limits.cpu_quota_us = (int64_t)q;
		/* 0 stands for "unset" inside: given explicitly it would start
		 * the container with no limit at all. */
		static const char *const nonzero[] = {
			"cpu_weight", "cpu_quota_us", "cpu_period_us", "memory_high", "memory_max", "pids_max",
		};
		for (unsigned i = 0; i < sizeof(nonzero) / sizeof(nonzero[0]); i++) {
			const cJSON *z = cJSON_GetObjectItemCaseSensitive(lim, nonzero[i]);

			if (cJSON_IsNumber(z) && z->valuedouble == 0)
				return error_setx(err, EINVAL, "limit '%s' of 0 refused: it would mean no limit at all", nonzero[i]);
		}
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "userns"))) {
		if (!cJSON_IsBool(v))
			return error_setx(err, EINVAL, "field 'userns' must be a boolean");
		s->userns = cJSON_IsTrue(v);
	}
	if ((cl = cJSON_GetObjectItemCaseSensitive(o, "claims"))) {
		if (!cJSON_IsObject(cl))
			return error_setx(err, EINVAL, "field 'claims' must be an object");
		if ((r = get_u64(cl, "memory", &s->claims.memory, err)) < 0 ||
		    (r = get_u64(cl, "cpu_milli", &s->claims.cpu_milli, err)) < 0 ||
		    (r = get_u64(cl, "pids", &s->claims.pids, err)) < 0 ||
		    (r = get_u64(cl, "hold_memory", &s->claims.hold_memory, err)) < 0 ||
		    (r = get_u64(cl, "hold_cpu_milli", &s->claims.hold_cpu_milli, err)) < 0 ||
		    (r = get_u64(cl, "hold_pids", &s->claims.hold_pids, err)) < 0)
			return r;
		s->claims.declared = 1;
	}
	if ((km = cJSON_GetObjectItemCaseSensitive(o, "kmon"))) {
		if (!cJSON_IsObject(km))
			return error_setx(err, EINVAL, "field 'kmon' must be an object");
		if ((r = get_u64(km, "soft", &s->kmon_soft, err)) < 0 ||
		    (r = get_u64(km, "hard", &s->kmon_hard, err)) < 0)
			return r;
		s->kmon_requested = 1;
	}
	return spec_validate(s, err);
}

/* A cpuset list as the kernel reads it: "0-3,5,7-8", each range low to
 * high, below CPUSET_MAX; NULL when it is one, else what is wrong. */
#define CPUSET_MAX 8192
static const char *cpuset_problem(const char *c)
{
	for (;;) {
		unsigned long lo, hi;
		char *end;

		if (*c < '0' || *c > '9')
			return "expected a CPU number";
		lo = hi = strtoul(c, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return "expected a CPU number after '-'";
			hi = strtoul(end + 1, &end, 10);
		}
		if (lo >= CPUSET_MAX || hi >= CPUSET_MAX)
			return "CPU number out of range (0..8191)";
		if (hi < lo)
			return "a range runs backwards";
		if (!*end)
			return NULL;
		if (*end != ',')
			return "expected ',' between CPUs";
		c = end + 1;
	}
}

/* NAME=VALUE with a name that is not empty. */
static int env_is_valid(const char *e)
{
	const char *eq = strchr(e, '=');

	return eq && eq != e;
}

int spec_validate(const struct container_spec *s, struct herror *err)
{
	const struct spec_limits *l = &s->limits;
	const char *problem;
	struct in_addr a;

	if (!name_is_valid(s->name))
		return error_setx(err, EINVAL, "invalid container name '%s': use 1 to 63 of [A-Za-z0-9_.-]", s->name);
	if (!s->rootfs[0] && !s->bundle[0])
		return error_setx(err, EINVAL, "container '%s' needs a root filesystem or a bundle", s->name);
	if (s->rootfs[0] && s->rootfs[0] != '/')
		return error_setx(err, EINVAL, "root filesystem '%s' must be an absolute path", s->rootfs);
	if (s->argc == 0 && !s->bundle[0])
		return error_setx(err, EINVAL, "container '%s' has no command", s->name);
	if (s->argc > 0 && !s->argv[0][0])
		return error_setx(err, EINVAL, "container '%s': the command is an empty string", s->name);
	for (int i = 0; i < s->envc; i++)
		if (!env_is_valid(s->env[i]))
			return error_setx(err, EINVAL, "environment entry '%.64s' is not NAME=VALUE with a name", s->env[i]);
	if (s->has_nice && (s->nice < -20 || s->nice > 19))
		return error_setx(err, EINVAL, "nice value %d is out of range -20..19", s->nice);
	if (l->cpu_weight && (l->cpu_weight < 1 || l->cpu_weight > 10000))
		return error_setx(err, EINVAL, "cpu weight %llu is out of range 1..10000", (unsigned long long)l->cpu_weight);
	if (l->cpu_quota_us && (l->cpu_quota_us < 1000 || l->cpu_period_us < 1000 || l->cpu_period_us > 1000000))
		return error_setx(err, EINVAL, "cpu max %lld/%llu is out of range (quota >= 1000 us, period 1000..1000000 us)",
				(long long)l->cpu_quota_us, (unsigned long long)l->cpu_period_us);
	if (l->cpuset_cpus[0] && (problem = cpuset_problem(l->cpuset_cpus)))
		return error_setx(err, EINVAL, "invalid cpuset '%s': %s", l->cpuset_cpus, problem);
	if (l->memory_high && l->memory_max && l->memory_high > l->memory_max)
		return error_setx(err, EINVAL, "memory high %llu is above memory max %llu",
				(unsigned long long)l->memory_high, (unsigned long long)l->memory_max);
	if ((l->memory_high && l->memory_high < 4096) || (l->memory_max && l->memory_max < 4096))
		return error_setx(err, EINVAL, "memory limits below one page are not usable");
	if (s->kmon_requested && (!s->kmon_hard || s->kmon_soft > s->kmon_hard))
		return error_setx(err, EINVAL, "kernel monitor limits need soft <= hard and a hard limit");
	if (s->ip[0] && inet_pton(AF_INET, s->ip, &a) != 1)
		return error_setx(err, EINVAL, "invalid IPv4 address '%s'", s->ip);
	if (s->ip[0] && !s->network)
		return error_setx(err, EINVAL, "an address needs the network option");
	if (s->hostname[0] && !name_is_valid(s->hostname))
		return error_setx(err, EINVAL, "invalid hostname '%s'", s->hostname);
	if (s->cwd[0] != '/')
		return error_setx(err, EINVAL, "working directory '%s' must be absolute", s->cwd);
	if (s->claims.declared) {
		if (l->memory_max && l->memory_max > s->claims.memory)
			return error_setx(err, EINVAL, "memory max is above the declared memory claim");
		if (l->pids_max && l->pids_max > s->claims.pids)
			return error_setx(err, EINVAL, "pids max is above the declared pids claim");
		if (s->claims.hold_memory > s->claims.memory || s->claims.hold_cpu_milli > s->claims.cpu_milli ||
		    s->claims.hold_pids > s->claims.pids)
			return error_setx(err, EINVAL, "a held amount is above its declared claim");
		if (l->cpu_quota_us && (uint64_t)l->cpu_quota_us * 1000 / l->cpu_period_us > s->claims.cpu_milli)
			return error_setx(err, EINVAL, "cpu max is above the declared cpu claim");
	}
	return 0;
}

int spec_wants_cgroup(const struct container_spec *s)
{
	const struct spec_limits *l = &s->limits;

	return l->cpu_weight || l->cpu_quota_us || l->cpuset_cpus[0] || l->memory_high ||
	       l->memory_max || l->pids_max;
}

static cJSON *str_array(char *const *v, int n)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

cJSON *spec_to_json(const struct container_spec *s)
{
	cJSON *o = cJSON_CreateObject(), *l, *c;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	if (s->rootfs[0])
		cJSON_AddStringToObject(o, "rootfs", s->rootfs);
	if (s->bundle[0])
		cJSON_AddStringToObject(o, "bundle", s->bundle);
	if (s->hostname[0])
		cJSON_AddStringToObject(o, "hostname", s->hostname);
	cJSON_AddStringToObject(o, "cwd", s->cwd);
	cJSON_AddItemToObject(o, "argv", str_array(s->argv, s->argc));
	cJSON_AddItemToObject(o, "env", str_array(s->env, s->envc));
	if (s->has_nice)
		cJSON_AddNumberToObject(o, "nice", s->nice);
	cJSON_AddBoolToObject(o, "network", s->network);
	cJSON_AddBoolToObject(o, "readonly", s->readonly_rootfs);
	if (s->userns)
		cJSON_AddBoolToObject(o, "userns", 1);
	if (s->ip[0])
		cJSON_AddStringToObject(o, "ip", s->ip);
	cJSON_AddNumberToObject(o, "stop_grace", s->stop_grace_s);
	cJSON_AddStringToObject(o, "admit", s->admit_queue ? "queue" : "refuse");
	l = cJSON_AddObjectToObject(o, "limits");
	if (s->limits.cpu_weight)
		cJSON_AddNumberToObject(l, "cpu_weight", (double)s->limits.cpu_weight);
	if (s->limits.cpu_quota_us) {
		cJSON_AddNumberToObject(l, "cpu_quota_us", (double)s->limits.cpu_quota_us);
		cJSON_AddNumberToObject(l, "cpu_period_us", (double)s->limits.cpu_period_us);
	}
	if (s->limits.cpuset_cpus[0])
		cJSON_AddStringToObject(l, "cpuset_cpus", s->limits.cpuset_cpus);
	if (s->limits.memory_high)
		cJSON_AddNumberToObject(l, "memory_high", (double)s->limits.memory_high);
	if (s->limits.memory_max)
		cJSON_AddNumberToObject(l, "memory_max", (double)s->limits.memory_max);
	if (s->limits.pids_max)
		cJSON_AddNumberToObject(l, "pids_max", (double)s->limits.pids_max);
	if (s->claims.declared) {
		c = cJSON_AddObjectToObject(o, "claims");
		cJSON_AddNumberToObject(c, "memory", (double)s->claims.memory);
		cJSON_AddNumberToObject(c, "cpu_milli", (double)s->claims.cpu_milli);
		cJSON_AddNumberToObject(c, "pids", (double)s->claims.pids);
		cJSON_AddNumberToObject(c, "hold_memory", (double)s->claims.hold_memory);
		cJSON_AddNumberToObject(c, "hold_cpu_milli", (double)s->claims.hold_cpu_milli);
		cJSON_AddNumberToObject(c, "hold_pids", (double)s->claims.hold_pids);
	}
	if (s->kmon_requested) {
		c = cJSON_AddObjectToObject(o, "kmon");
		cJSON_AddNumberToObject(c, "soft", (double)s->kmon_soft);
		cJSON_AddNumberToObject(c, "hard", (double)s->kmon_hard);
	}
	return o;
}

int parse_cpus_milli(const char *s, uint64_t *out)
{
	const char *p = s;
	char *end;
	double v;

	/* Decimal digits only: strtod would also take "nan", "inf", "-1",
	 * " 1", "0x10" and "1e3". */
	if (!s || !*s)
		return -EINVAL;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return -EINVAL;
	if (*p == 'm' && p[1] == '\0') {
		errno = 0;
		unsigned long long m = strtoull(s, &end, 10);

		if (errno || m > 1000000000ull)
			return -ERANGE;
		*out = m;
		return 0;
	}
	if (*p == '.') {
		const char *f = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == f)
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	v = strtod(s, &end);
	if (end != p || !(v <= 1e6))
		return -ERANGE;
	*out = (uint64_t)(v * 1000 + 0.5);
	return 0;
}
