/* wait NAME: returns once the container ended, with its exit status. */
#include "cli.h"

int cmd_wait(int argc, char **argv)
{
	cJSON *resp;
	int rc;

	if (argc != 2)
		return cli_usage(argv[0]);
	if (!(resp = cli_call(cli_request("wait", argv[1]))))
		return 1;
	cli_print_end(argv[1], resp);
	rc = cli_exit_status(resp);
	cJSON_Delete(resp);
	return rc;
}
