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

/* The supervisor's own error when it closed the connection on us (a
 * refused or dropped request), else a sentence that says what happened. */
static void report_send_failure(int fd, const struct herror *send_err)
{
	struct herror err = { 0 };
	cJSON *resp = NULL, *e;

	if (proto_recv(fd, PROTO_KIND_RESPONSE, &resp, &err) == 0 &&
	    cJSON_IsString(e = cJSON_GetObjectItemCaseSensitive(resp, "error")))
		fprintf(stderr, "harness-runtime: %s\n", e->valuestring);
	else if (send_err->status == EPIPE || send_err->status == ECONNRESET)
		fprintf(stderr, "harness-runtime: the supervisor closed the connection before the whole request "
				"was sent (%s)\n", send_err->msg);
	else
		fprintf(stderr, "harness-runtime: %s\n", send_err->msg);
	cJSON_Delete(resp);
}

/* One exchange on a new connection: the response when it says ok (and the
 * open connection in *fdp, for a data frame to follow), else NULL after
 * printing the error. req is consumed. */
static cJSON *exchange(cJSON *req, int *fdp)
{
	struct herror err = { 0 };
	cJSON *resp = NULL, *ok;
	int fd = connect_supervisor();

	if (fd < 0) {
		cJSON_Delete(req);
		return NULL;
	}
	if (proto_send(fd, PROTO_KIND_REQUEST, req, &err) < 0) {
		report_send_failure(fd, &err);
		close(fd);
		cJSON_Delete(req);
		return NULL;
	}
	cJSON_Delete(req);
	if (proto_recv(fd, PROTO_KIND_RESPONSE, &resp, &err) < 0) {
		fprintf(stderr, "harness-runtime: %s\n", err.msg);
		close(fd);
		return NULL;
	}
	ok = cJSON_GetObjectItemCaseSensitive(resp, "ok");
	if (!cJSON_IsTrue(ok)) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "error");
		fprintf(stderr, "harness-runtime: %s\n", cJSON_IsString(e) ? e->valuestring : "request failed");
		cJSON_Delete(resp);
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return resp;
}

cJSON *cli_call(cJSON *req)
{
	int fd = -1;
	cJSON *resp = exchange(req, &fd);

	if (fd >= 0)
		close(fd);
	return resp;
}

cJSON *cli_call_data(cJSON *req, char **data, size_t *len)
{
	struct herror err = { 0 };
	cleanup_close int fd = -1;
	cJSON *resp = exchange(req, &fd), *n;
	uint32_t got;

	*data = NULL;
	*len = 0;
	if (!resp)
		return NULL;
	n = cJSON_GetObjectItemCaseSensitive(resp, "data_bytes");
	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > PROTO_MAX_PAYLOAD) {
		fprintf(stderr, "harness-runtime: the supervisor's reply has no valid 'data_bytes'\n");
		cJSON_Delete(resp);
		return NULL;
	}
	if (n->valuedouble == 0)
		return resp;
	if (proto_recv_raw(fd, PROTO_KIND_DATA, data, &got, &err) < 0 || got != (uint32_t)n->valuedouble) {
		fprintf(stderr, "harness-runtime: %s\n", err.msg[0] ? err.msg : "the data frame is not as long as announced");
		free(*data);
		*data = NULL;
		cJSON_Delete(resp);
		return NULL;
	}
	*len = got;
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

int cli_parse_long(const char *s, long min, long max, long *out)
{
	const char *p = s + (s[0] == '-');
	char *end;
	long v;

	/* Digits only: strtol would take "", " 5" and "+5". */
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
