/* start NAME ROOTFS|--bundle DIR [options] -- CMD...: a container in the
 * background; run: the same, then wait for its end, print its log and
 * exit with its status. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "spec.h"
#include "util.h"

static int size_opt(const char *what, const char *v, cJSON *obj, const char *key)
{
	uint64_t n;

	if (parse_size(v, &n) < 0)
		return cli_bad(what, v);
	cJSON_DeleteItemFromObject(obj, key);
	cJSON_AddNumberToObject(obj, key, (double)n);
	return 0;
}
/* An integer option in min..max into obj[key]. */
static int int_opt(const char *what, const char *v, long min, long max, cJSON *obj, const char *key)
{
	long n;

	if (cli_parse_long(v, min, max, &n) < 0)
		return cli_bad(what, v);
	cJSON_DeleteItemFromObject(obj, key);
	cJSON_AddNumberToObject(obj, key, (double)n);
	return 0;
}

/* A string option that may not be empty: "" would read as "not given". */
static int str_opt(const char *what, const char *v, cJSON *obj, const char *key)
{
	if (!v[0])
		return cli_bad(what, v);
	cJSON_DeleteItemFromObject(obj, key);
	cJSON_AddStringToObject(obj, key, v);
	return 0;
}

/* "memory=SIZE,cpu=CPUS,pids=N" into claims as PREFIX + memory, cpu_milli, pids. */
static int resource_list(const char *what, const char *arg, cJSON *claims, const char *prefix)
{
	char buf[256], key[32], *save = NULL;

	if (!arg[0] || (size_t)snprintf(buf, sizeof(buf), "%s", arg) >= sizeof(buf))
		return cli_bad(what, arg);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		uint64_t n;
		int r;

		if (!eq)
			return cli_bad(what, arg);
		*eq++ = '\0';
		if (!strcmp(t, "cpu")) {
			if (parse_cpus_milli(eq, &n) < 0)
				return cli_bad(what, eq);
			snprintf(key, sizeof(key), "%scpu_milli", prefix);
			cJSON_AddNumberToObject(claims, key, (double)n);
		} else if (!strcmp(t, "memory") || !strcmp(t, "pids")) {
			snprintf(key, sizeof(key), "%s%s", prefix, t);
			if ((r = size_opt(what, eq, claims, key)))
				return r;
		} else {
			return cli_bad(what, t);
		}
	}
	return 0;
}

static int start_or_run(int argc, char **argv, int run)
{
	static const struct option opts[] = {
		{ "cpu-weight", required_argument, NULL, 'w' }, { "cpus", required_argument, NULL, 'c' },
		{ "cpu-max", required_argument, NULL, 'q' }, { "cpuset", required_argument, NULL, 'S' },
		{ "memory-high", required_argument, NULL, 'H' }, { "memory-max", required_argument, NULL, 'M' },
		{ "pids-max", required_argument, NULL, 'p' }, { "nice", required_argument, NULL, 'n' },
		{ "hostname", required_argument, NULL, 'h' }, { "net", no_argument, NULL, 'N' },
		{ "ip", required_argument, NULL, 'i' }, { "claim", required_argument, NULL, 'C' },
		{ "admit", required_argument, NULL, 'a' }, { "kmon-soft", required_argument, NULL, 'k' },
		{ "kmon-hard", required_argument, NULL, 'K' }, { "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'W' }, { "read-only", no_argument, NULL, 'r' },
		{ "stop-grace", required_argument, NULL, 'g' }, { "bundle", required_argument, NULL, 'b' },
		{ "rm", no_argument, NULL, 'R' }, { "hold", required_argument, NULL, 'O' },
		{ "userns", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	cJSON *req, *spec, *lim, *claims = NULL, *kmon = NULL, *env, *resp;
	const char *name, *bundle = NULL;
	int o, rc, remove_after = 0;

	if (argc < 2 || argv[1][0] == '-')
		return cli_usage(argv[0]);
	name = argv[1];
	req = cli_request("start", NULL);
	spec = cJSON_AddObjectToObject(req, "spec");
	cJSON_AddStringToObject(spec, "name", name);
	lim = cJSON_AddObjectToObject(spec, "limits");
	env = cJSON_AddArrayToObject(spec, "env");
	optind = 2;
	if (argc > 2 && argv[2][0] != '-') {
		char abs[PATH_MAX];

		if (argv[2][0] != '/' && realpath(argv[2], abs))
			cJSON_AddStringToObject(spec, "rootfs", abs);
		else
			cJSON_AddStringToObject(spec, "rootfs", argv[2]);
		optind = 3;
	}
#define FAIL(x) do { rc = (x); if (rc) { cJSON_Delete(req); return rc; } } while (0)
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 'w':
			FAIL(int_opt("cpu weight (1..10000)", optarg, 1, 10000, lim, "cpu_weight"));
			break;
		case 'c': {
			uint64_t m;
			if (parse_cpus_milli(optarg, &m) < 0 || m == 0)
				FAIL(cli_bad("cpus", optarg));
			cJSON_AddNumberToObject(lim, "cpu_quota_us", (double)(m * 100));
			cJSON_AddNumberToObject(lim, "cpu_period_us", 100000);
			break;
		}
		case 'q': {
			char *slash = strchr(optarg, '/'), quota[32];
			long q, per = 100000;

			/* 0 goes through: the supervisor says why it is refused. */
			snprintf(quota, sizeof(quota), "%.*s", slash ? (int)(slash - optarg) : 31, optarg);
			if (cli_parse_long(quota, 0, 1L << 40, &q) < 0 ||
			    (slash && cli_parse_long(slash + 1, 0, 1L << 40, &per) < 0))
				FAIL(cli_bad("cpu max (QUOTA[/PERIOD] in microseconds)", optarg));
			cJSON_AddNumberToObject(lim, "cpu_quota_us", (double)q);
			cJSON_AddNumberToObject(lim, "cpu_period_us", (double)per);
			break;
		}
		case 'S': FAIL(str_opt("cpuset", optarg, lim, "cpuset_cpus")); break;
		case 'H': FAIL(size_opt("memory high", optarg, lim, "memory_high")); break;
		case 'M': FAIL(size_opt("memory max", optarg, lim, "memory_max")); break;
		case 'p': FAIL(size_opt("pids max", optarg, lim, "pids_max")); break;
		case 'n':
			FAIL(int_opt("nice value (-20..19)", optarg, -20, 19, spec, "nice"));
			break;
		case 'h': FAIL(str_opt("hostname", optarg, spec, "hostname")); break;
		case 'N': cJSON_AddBoolToObject(spec, "network", 1); break;
		case 'U': cJSON_AddBoolToObject(spec, "userns", 1); break;
		case 'i': FAIL(str_opt("address", optarg, spec, "ip")); break;
		case 'C':
			claims = cJSON_AddObjectToObject(spec, "claims");
			FAIL(resource_list("claim", optarg, claims, ""));
			break;
		case 'O':
			if (!claims)
				FAIL(cli_bad("--hold before --claim", optarg));
			FAIL(resource_list("hold", optarg, claims, "hold_"));
			break;
		case 'a': FAIL(str_opt("admission policy (queue|refuse)", optarg, spec, "admit")); break;
		case 'k':
			if (!kmon)
				kmon = cJSON_AddObjectToObject(spec, "kmon");
			FAIL(size_opt("kernel monitor soft limit", optarg, kmon, "soft"));
			break;
		case 'K':
			if (!kmon)
				kmon = cJSON_AddObjectToObject(spec, "kmon");
			FAIL(size_opt("kernel monitor hard limit", optarg, kmon, "hard"));
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				FAIL(cli_bad("environment entry (NAME=VALUE)", optarg));
			cJSON_AddItemToArray(env, cJSON_CreateString(optarg));
			break;
		case 'W': FAIL(str_opt("working directory", optarg, spec, "cwd")); break;
		case 'r': cJSON_AddBoolToObject(spec, "readonly", 1); break;
		case 'g':
			FAIL(int_opt("stop grace (0..3600 s)", optarg, 0, 3600, spec, "stop_grace"));
			break;
		case 'b': {
			char abs[PATH_MAX];
			bundle = optarg;
			cJSON_AddStringToObject(spec, "bundle", realpath(optarg, abs) ? abs : optarg);
			break;
		}
		case 'R': remove_after = 1; break;
		default:
			FAIL(cli_usage(argv[0]));
		}
	}
	if (cJSON_GetArraySize(env) == 0)
		cJSON_DeleteItemFromObject(spec, "env");
	if (optind < argc) {
		cJSON *a = cJSON_AddArrayToObject(spec, "argv");
		for (int i = optind; i < argc; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
	} else if (!bundle) {
		fprintf(stderr, "harness-runtime: %s needs a command after '--'\n", run ? "run" : "start");
		FAIL(2);
	}
	if (run)
		cJSON_AddBoolToObject(req, "wait", 1);
	if (!(resp = cli_call(req)))
		return 1;
	if (!run) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "state");
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(resp, "pid");
		const cJSON *rs = cJSON_GetObjectItemCaseSensitive(resp, "reason");

		printf("%s %s pid %d%s%s\n", name, cJSON_IsString(st) ? st->valuestring : "?",
		       cJSON_IsNumber(pid) ? pid->valueint : 0, cJSON_IsString(rs) ? " " : "",
		       cJSON_IsString(rs) ? rs->valuestring : "");
		cJSON_Delete(resp);
		return 0;
	}
	rc = cli_exit_status(resp);
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "state");
		const cJSON *rs = cJSON_GetObjectItemCaseSensitive(resp, "reason");
		if (cJSON_IsString(st) && !strcmp(st->valuestring, "failed"))
			fprintf(stderr, "harness-runtime: container '%s' failed: %s\n", name,
				cJSON_IsString(rs) ? rs->valuestring : "unknown reason");
	}
	cJSON_Delete(resp);
	if (cli_print_logs(name, 0))
		rc = rc ? rc : 1;
	if (remove_after) {
		cJSON *r2 = cli_call(cli_request("rm", name));
		cJSON_Delete(r2);
	}
	return rc;
#undef FAIL
}

int cmd_start(int argc, char **argv)
{
	return start_or_run(argc, argv, 0);
}

int cmd_run(int argc, char **argv)
{
	return start_or_run(argc, argv, 1);
}
