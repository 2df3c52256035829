/* shutdown: the supervisor stops every container and exits. */
#include "cli.h"

int cmd_shutdown(int argc, char **argv)
{
	cJSON *resp;

	if (argc != 1)
		return cli_usage(argv[0]);
	if (!(resp = cli_call(cli_request("shutdown", NULL))))
		return 1;
	cJSON_Delete(resp);
	return 0;
}
