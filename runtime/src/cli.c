#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "proto.h"
#include "util.h"

const char *cli_socket_path = "/run/harness-runtime/sock";

static int connect_supervisor(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(cli_socket_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "harness-runtime: socket path too long: '%s'\n", cli_socket_path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, cli_socket_path, strlen(cli_socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		char eb[128];

		fprintf(stderr, "harness-runtime: cannot connect to the supervisor at '%s': %s "
				"(start it with 'harness-runtime supervisor')\n",
			cli_socket_path, error_strerror(e, eb, sizeof(eb)));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

cJSON *cli_call(cJSON *req)
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

cJSON *cli_request(const char *op, const char *name)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "op", op);
	if (name)
		cJSON_AddStringToObject(r, "name", name);
	return r;
}

int cli_bad(const char *what, const char *value)
{
	fprintf(stderr, "harness-runtime: invalid %s '%s'\n", what, value);
	return 2;
}

int cli_exit_status(const cJSON *resp)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "exit_code");

	return cJSON_IsNumber(e) && e->valueint >= 0 ? e->valueint : 255;
}

void cli_print_end(const char *name, const cJSON *resp)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(resp, "state");

	printf("%s %s exit %d\n", name, cJSON_IsString(s) ? s->valuestring : "?", cli_exit_status(resp));
}
