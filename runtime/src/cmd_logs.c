/* logs NAME [-f]: a container's log, from the start; -f follows it. The
 * bytes come in data frames and go out as they are (NUL, control bytes,
 * invalid UTF-8 alike). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_print_logs(const char *name, int follow)
{
	uint64_t off = 0;

	for (;;) {
		cJSON *req = cli_request("logs", name), *resp, *nx;
		char *data;
		size_t len;
		int ended;

		cJSON_AddNumberToObject(req, "offset", (double)off);
		if (!(resp = cli_call_data(req, &data, &len)))
			return 1;
		if (len && fwrite(data, 1, len, stdout) != len) {
			free(data);
			cJSON_Delete(resp);
			break;
		}
		free(data);
		if (fflush(stdout) == EOF)
			break;
		nx = cJSON_GetObjectItemCaseSensitive(resp, "next");
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
	fprintf(stderr, "harness-runtime: cannot write the log of '%s' to standard output: %s\n", name,
		strerror(errno));
	return 1;
}

int cmd_logs(int argc, char **argv)
{
	int follow = argc > 2 && (!strcmp(argv[2], "-f") || !strcmp(argv[2], "--follow"));

	if (argc < 2 || argc > 3 || (argc == 3 && !follow))
		return cli_usage(argv[0]);
	return cli_print_logs(argv[1], follow);
}
