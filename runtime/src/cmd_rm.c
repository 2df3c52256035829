/* rm NAME: forget an ended container and remove its state directory. */
#include "cli.h"

int cmd_rm(int argc, char **argv)
{
	cJSON *resp;

	if (argc != 2)
		return cli_usage(argv[0]);
	if (!(resp = cli_call(cli_request("rm", argv[1]))))
		return 1;
	cJSON_Delete(resp);
	return 0;
}
