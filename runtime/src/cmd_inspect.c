/* inspect NAME: one container's record, usage and kernel monitor state as JSON. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_inspect(int argc, char **argv)
{
	cJSON *resp;
	char *t;

	if (argc != 2)
		return cli_usage(argv[0]);
	if (!(resp = cli_call(cli_request("inspect", argv[1]))))
		return 1;
	t = cJSON_Print(resp);
	puts(t);
	free(t);
	cJSON_Delete(resp);
	return 0;
}
