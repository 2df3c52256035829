/* stop NAME [-t GRACE]: SIGTERM, GRACE seconds, SIGKILL; returns once it ended. */
#include <string.h>

#include "cli.h"

int cmd_stop(int argc, char **argv)
{
	cJSON *req, *resp;

	if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "-t")))
		return cli_usage(argv[0]);
	req = cli_request("stop", argv[1]);
	if (argc == 4) {
		long g;

		if (cli_parse_long(argv[3], 0, 3600, &g) < 0) {
			cJSON_Delete(req);
			return cli_bad("grace period (0..3600 s)", argv[3]);
		}
		cJSON_AddNumberToObject(req, "grace", (double)g);
	}
	if (!(resp = cli_call(req)))
		return 1;
	cli_print_end(argv[1], resp);
	cJSON_Delete(resp);
	return 0;
}
