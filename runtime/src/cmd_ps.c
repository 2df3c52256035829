/* ps [--json]: every container with its state, limits and usage, and the
 * Banker's safe sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_table(const cJSON *resp)
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
		printf("%-20s %-11s %8d %8ds %6s  %s%s%s\n", cJSON_IsString(n) ? n->valuestring : "?",
		       cJSON_IsString(s) ? s->valuestring : "?",
		       cJSON_IsNumber(p) ? p->valueint : 0, cJSON_IsNumber(u) ? u->valueint : 0, ex,
		       lim ? lim : "{}", use ? " " : "", use ? use : "");
		free(lim);
		free(use);
	}
	if (cJSON_IsArray(seq)) {
		printf("safe sequence:");
		cJSON_ArrayForEach(c, seq)
			if (cJSON_IsString(c))
				printf(" %s", c->valuestring);
		printf("\n");
	} else if (cJSON_IsString(seq)) {
		printf("safe sequence: %s\n", seq->valuestring);
	}
}

int cmd_ps(int argc, char **argv)
{
	int json = argc == 2 && !strcmp(argv[1], "--json");
	cJSON *resp;

	if (argc > 2 || (argc == 2 && !json))
		return cli_usage(argv[0]);
	if (!(resp = cli_call(cli_request("ps", NULL))))
		return 1;
	if (json) {
		char *t = cJSON_Print(resp);

		puts(t);
		free(t);
	} else {
		print_table(resp);
	}
	cJSON_Delete(resp);
	return 0;
}
