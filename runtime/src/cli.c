#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "proto.h"
#include "spec.h"
#include "util.h"

static const char *socket_path;

static void usage(FILE *f)
{
	fputs("usage: harness-runtime [--socket PATH] VERB ...\n"
	      "  supervisor [options]                 run the supervisor (see supervisor --help)\n"
	      "  start NAME ROOTFS [opts] -- CMD...   start in the background (ROOTFS: directory or tarball)\n"
	      "  start NAME --bundle DIR [opts]       start an OCI bundle\n"
	      "  run   NAME ROOTFS [opts] [--rm] -- CMD...   start, wait, print logs, exit with its status\n"
	      "  stop NAME [-t GRACE]                 SIGTERM, GRACE seconds, then SIGKILL\n"
	      "  ps [--json] | logs NAME [-f] | inspect NAME | wait NAME | rm NAME | shutdown\n"
	      "start/run options: --cpu-weight N --cpus CPUS --cpu-max QUOTA/PERIOD --cpuset LIST\n"
	      "  --memory-high SIZE --memory-max SIZE --pids-max N --nice N --hostname H --net --ip A\n"
	      "  --claim memory=SIZE,cpu=CPUS,pids=N [--hold memory=SIZE,cpu=CPUS,pids=N] --admit queue|refuse --kmon-soft SIZE --kmon-hard SIZE\n"
	      "  --env K=V --cwd DIR --read-only --stop-grace S --userns\n", f);
}

int parse_cpus_milli(const char *s, uint64_t *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e6)
		return -EINVAL;
	if (*end == 'm' && end[1] == '\0') {
		*out = (uint64_t)v;
		return 0;
	}
	if (*end)
		return -EINVAL;
	*out = (uint64_t)(v * 1000 + 0.5);
	return 0;
}

static int connect_supervisor(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "harness-runtime: socket path too long: '%s'\n", socket_path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		char eb[128];

		fprintf(stderr, "harness-runtime: cannot connect to the supervisor at '%s': %s "
				"(start it with 'harness-runtime supervisor')\n",
			socket_path, error_strerror(e, eb, sizeof(eb)));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

/* Sends req, returns the response or NULL after printing the error. */
static cJSON *call(cJSON *req)
{
	struct herror err = { 0 };
	cJSON *resp = NULL, *ok;
	int fd = connect_supervisor();

	if (fd < 0) {
		cJSON_Delete(req);
		return NULL;
	}
	if (proto_send(fd, PROTO_KIND_REQUEST, req, &err) < 0 ||
	    proto_recv(fd, PROTO_KIND_RESPONSE, &resp, &err) < 0) {
		fprintf(stderr, "harness-runtime: %s\n", err.msg);
		close(fd);
		cJSON_Delete(req);
		return NULL;
	}
	close(fd);
	cJSON_Delete(req);
	ok = cJSON_GetObjectItemCaseSensitive(resp, "ok");
	if (!cJSON_IsTrue(ok)) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "error");
		fprintf(stderr, "harness-runtime: %s\n", cJSON_IsString(e) ? e->valuestring : "request failed");
		cJSON_Delete(resp);
		return NULL;
	}
	return resp;
}

static cJSON *simple(const char *op, const char *name)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "op", op);
	if (name)
		cJSON_AddStringToObject(r, "name", name);
	return r;
}

static int bad(const char *what, const char *value)
{
	fprintf(stderr, "harness-runtime: invalid %s '%s'\n", what, value);
	return 2;
}

static int size_opt(const char *what, const char *v, cJSON *obj, const char *key)
{
	uint64_t n;

	if (parse_size(v, &n) < 0)
		return bad(what, v);
	cJSON_DeleteItemFromObject(obj, key);
	cJSON_AddNumberToObject(obj, key, (double)n);
	return 0;
}

static int exit_status_of(const cJSON *resp)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "exit_code");

	return cJSON_IsNumber(e) && e->valueint >= 0 ? e->valueint : 255;
}

static int print_logs(const char *name, int follow)
{
	uint64_t off = 0;

	for (;;) {
		cJSON *req = simple("logs", name), *resp, *d, *nx;
		int ended;

		cJSON_AddNumberToObject(req, "offset", (double)off);
		if (!(resp = call(req)))
			return 1;
		d = cJSON_GetObjectItemCaseSensitive(resp, "data");
		nx = cJSON_GetObjectItemCaseSensitive(resp, "next");
		if (cJSON_IsString(d) && d->valuestring[0])
			fputs(d->valuestring, stdout);
		fflush(stdout);
		ended = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ended"));
		uint64_t next = cJSON_IsNumber(nx) ? (uint64_t)nx->valuedouble : off;
		int more = next != off;
		off = next;
		cJSON_Delete(resp);
		if (more)
			continue;
		if (!follow || ended)
			return 0;
		struct timespec ts = { 0, 200 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static int cmd_start(int argc, char **argv, int run)
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
	char *endp;
	long v;

	if (argc < 2 || argv[1][0] == '-') {
		usage(stderr);
		return 2;
	}
	name = argv[1];
	req = simple("start", NULL);
	spec = cJSON_AddObjectToObject(req, "spec");
	cJSON_AddStringToObject(spec, "name", name);
	lim = cJSON_AddObjectToObject(spec, "limits");
	env = cJSON_AddArrayToObject(spec, "env");
	optind = 2;
	if (argc > 2 && argv[2][0] != '-') {
		char abs[4096];

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
			v = strtol(optarg, &endp, 10);
			if (*endp || v < 1 || v > 10000)
				FAIL(bad("cpu weight (1..10000)", optarg));
			cJSON_AddNumberToObject(lim, "cpu_weight", (double)v);
			break;
		case 'c': {
			uint64_t m;
			if (parse_cpus_milli(optarg, &m) < 0 || m == 0)
				FAIL(bad("cpus", optarg));
			cJSON_AddNumberToObject(lim, "cpu_quota_us", (double)(m * 100));
			cJSON_AddNumberToObject(lim, "cpu_period_us", 100000);
			break;
		}
		case 'q': {
			unsigned long long q, p = 100000;
			int n = sscanf(optarg, "%llu/%llu", &q, &p);
			if (n < 1)
				FAIL(bad("cpu max (QUOTA[/PERIOD] in microseconds)", optarg));
			cJSON_AddNumberToObject(lim, "cpu_quota_us", (double)q);
			cJSON_AddNumberToObject(lim, "cpu_period_us", (double)p);
			break;
		}
		case 'S': cJSON_AddStringToObject(lim, "cpuset_cpus", optarg); break;
		case 'H': FAIL(size_opt("memory high", optarg, lim, "memory_high")); break;
		case 'M': FAIL(size_opt("memory max", optarg, lim, "memory_max")); break;
		case 'p': FAIL(size_opt("pids max", optarg, lim, "pids_max")); break;
		case 'n':
			v = strtol(optarg, &endp, 10);
			if (*endp || v < -20 || v > 19)
				FAIL(bad("nice value (-20..19)", optarg));
			cJSON_AddNumberToObject(spec, "nice", (double)v);
			break;
		case 'h': cJSON_AddStringToObject(spec, "hostname", optarg); break;
		case 'N': cJSON_AddBoolToObject(spec, "network", 1); break;
		case 'U': cJSON_AddBoolToObject(spec, "userns", 1); break;
		case 'i': cJSON_AddStringToObject(spec, "ip", optarg); break;
		case 'C': {
			char buf[256], *save = NULL;
			claims = cJSON_AddObjectToObject(spec, "claims");
			snprintf(buf, sizeof(buf), "%s", optarg);
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				char *eq = strchr(t, '=');
				uint64_t n;
				if (!eq)
					FAIL(bad("claim (memory=SIZE,cpu=CPUS,pids=N)", optarg));
				*eq++ = '\0';
				if (!strcmp(t, "cpu")) {
					if (parse_cpus_milli(eq, &n) < 0)
						FAIL(bad("cpu claim", eq));
					cJSON_AddNumberToObject(claims, "cpu_milli", (double)n);
				} else if (!strcmp(t, "memory") || !strcmp(t, "pids")) {
					FAIL(size_opt("claim", eq, claims, t));
				} else {
					FAIL(bad("claim resource", t));
				}
			}
			break;
		}
		case 'O': {
			char buf[256], *save = NULL;
			if (!claims)
				FAIL(bad("--hold before --claim", optarg));
			snprintf(buf, sizeof(buf), "%s", optarg);
			for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				char *eq = strchr(t, '=');
				uint64_t n;
				if (!eq)
					FAIL(bad("hold (memory=SIZE,cpu=CPUS,pids=N)", optarg));
				*eq++ = '\0';
				if (!strcmp(t, "cpu")) {
					if (parse_cpus_milli(eq, &n) < 0)
						FAIL(bad("cpu hold", eq));
					cJSON_AddNumberToObject(claims, "hold_cpu_milli", (double)n);
				} else if (!strcmp(t, "memory")) {
					FAIL(size_opt("hold", eq, claims, "hold_memory"));
				} else if (!strcmp(t, "pids")) {
					FAIL(size_opt("hold", eq, claims, "hold_pids"));
				} else {
					FAIL(bad("hold resource", t));
				}
			}
			break;
		}
		case 'a': cJSON_AddStringToObject(spec, "admit", optarg); break;
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
			if (!strchr(optarg, '='))
				FAIL(bad("environment entry (K=V)", optarg));
			cJSON_AddItemToArray(env, cJSON_CreateString(optarg));
			break;
		case 'W': cJSON_AddStringToObject(spec, "cwd", optarg); break;
		case 'r': cJSON_AddBoolToObject(spec, "readonly", 1); break;
		case 'g':
			v = strtol(optarg, &endp, 10);
			if (*endp || v < 0 || v > 3600)
				FAIL(bad("stop grace (0..3600 s)", optarg));
			cJSON_AddNumberToObject(spec, "stop_grace", (double)v);
			break;
		case 'b': {
			char abs[4096];
			bundle = optarg;
			cJSON_AddStringToObject(spec, "bundle", realpath(optarg, abs) ? abs : optarg);
			break;
		}
		case 'R': remove_after = 1; break;
		default:
			usage(stderr);
			FAIL(2);
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
	if (!(resp = call(req)))
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
	rc = exit_status_of(resp);
	{
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "state");
		const cJSON *rs = cJSON_GetObjectItemCaseSensitive(resp, "reason");
		if (cJSON_IsString(st) && !strcmp(st->valuestring, "failed"))
			fprintf(stderr, "harness-runtime: container '%s' failed: %s\n", name,
				cJSON_IsString(rs) ? rs->valuestring : "unknown reason");
	}
	cJSON_Delete(resp);
	if (print_logs(name, 0))
		rc = rc ? rc : 1;
	if (remove_after) {
		cJSON *r2 = call(simple("rm", name));
		cJSON_Delete(r2);
	}
	return rc;
#undef FAIL
}

static void print_ps(const cJSON *resp)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(resp, "containers"), *c;
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(resp, "safe_sequence");

	printf("%-20s %-11s %8s %9s %6s  %s\n", "NAME", "STATE", "PID", "UPTIME", "EXIT", "LIMITS / USAGE");
	cJSON_ArrayForEach(c, a) {
		const cJSON *n = cJSON_GetObjectItem(c, "name"), *s = cJSON_GetObjectItem(c, "state");
		const cJSON *p = cJSON_GetObjectItem(c, "pid"), *u = cJSON_GetObjectItem(c, "uptime_s");
		const cJSON *e = cJSON_GetObjectItem(c, "exit_code");
		char *lim = cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "limits"));
		char *use = cJSON_GetObjectItem(c, "usage") ? cJSON_PrintUnformatted(cJSON_GetObjectItem(c, "usage")) : NULL;
		char ex[16] = "-";

		if (cJSON_IsNumber(e))
			snprintf(ex, sizeof(ex), "%d", e->valueint);
		printf("%-20s %-11s %8d %8ds %6s  %s%s%s\n", n->valuestring, s->valuestring,
		       cJSON_IsNumber(p) ? p->valueint : 0, cJSON_IsNumber(u) ? u->valueint : 0, ex,
		       lim ? lim : "{}", use ? " " : "", use ? use : "");
		free(lim);
		free(use);
	}
	if (cJSON_IsArray(seq)) {
		printf("safe sequence:");
		cJSON_ArrayForEach(c, seq)
			printf(" %s", c->valuestring);
		printf("\n");
	} else if (cJSON_IsString(seq)) {
		printf("safe sequence: %s\n", seq->valuestring);
	}
}

int cli_main(int argc, char **argv)
{
	const char *verb;
	cJSON *resp;
	int i = 1;

	socket_path = getenv("HARNESS_RUNTIME_SOCKET");
	if (!socket_path)
		socket_path = "/run/harness-runtime/sock";
	if (argc > 2 && !strcmp(argv[1], "--socket")) {
		socket_path = argv[2];
		i = 3;
	}
	if (i >= argc || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	verb = argv[i];
	argc -= i;
	argv += i;
	if (!strcmp(verb, "start") || !strcmp(verb, "run"))
		return cmd_start(argc, argv, verb[0] == 'r');
	if (!strcmp(verb, "ps")) {
		if (!(resp = call(simple("ps", NULL))))
			return 1;
		if (argc > 1 && !strcmp(argv[1], "--json")) {
			char *t = cJSON_Print(resp);
			puts(t);
			free(t);
		} else {
			print_ps(resp);
		}
		cJSON_Delete(resp);
		return 0;
	}
	if (!strcmp(verb, "shutdown")) {
		if (!(resp = call(simple("shutdown", NULL))))
			return 1;
		cJSON_Delete(resp);
		return 0;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(verb, "logs")) {
		int follow = argc > 2 && (!strcmp(argv[2], "-f") || !strcmp(argv[2], "--follow"));
		return print_logs(argv[1], follow);
	}
	if (!strcmp(verb, "inspect")) {
		char *t;
		if (!(resp = call(simple("inspect", argv[1]))))
			return 1;
		t = cJSON_Print(resp);
		puts(t);
		free(t);
		cJSON_Delete(resp);
		return 0;
	}
	if (!strcmp(verb, "stop") || !strcmp(verb, "wait") || !strcmp(verb, "rm")) {
		cJSON *req = simple(verb, argv[1]);
		int rc = 0;

		if (!strcmp(verb, "stop") && argc > 3 && !strcmp(argv[2], "-t")) {
			char *end;
			long g = strtol(argv[3], &end, 10);
			if (*end || g < 0 || g > 3600) {
				cJSON_Delete(req);
				return bad("grace period", argv[3]);
			}
			cJSON_AddNumberToObject(req, "grace", (double)g);
		}
		if (!(resp = call(req)))
			return 1;
		if (strcmp(verb, "rm")) {
			const cJSON *s = cJSON_GetObjectItem(resp, "state");
			printf("%s %s exit %d\n", argv[1], cJSON_IsString(s) ? s->valuestring : "?", exit_status_of(resp));
			if (!strcmp(verb, "wait"))
				rc = exit_status_of(resp);
		}
		cJSON_Delete(resp);
		return rc;
	}
	fprintf(stderr, "harness-runtime: unknown verb '%s'\n", verb);
	usage(stderr);
	return 2;
}
