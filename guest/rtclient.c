/* rtclient: the runtime's socket protocol from the client side. One
 * request per connection, as the supervisor expects; every wait bounded.
 * The wire format is the runtime's own header, runtime/src/proto.h. */
#include "rtclient.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "proto.h"	/* runtime/src/proto.h: magic, version, header, size limit */

static void set_timeout(int fd, double s)
{
	struct timeval tv = { .tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6) };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int io_all(int fd, void *buf, size_t len, bool writing)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = writing ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

cJSON *rt_request(const char *socket_path, const cJSON *req, double timeout_s, struct herror *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct proto_header hdr;
	char *text = NULL, *payload = NULL;
	cJSON *resp = NULL;
	uint32_t len;
	int fd, r;

	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		error_setx(err, ENAMETOOLONG, "runtime socket path '%s' is too long", socket_path);
		return NULL;
	}
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_set(err, errno, "cannot create a socket");
		return NULL;
	}
	set_timeout(fd, timeout_s);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		error_set(err, errno, "cannot connect to the runtime at '%s'", socket_path);
		goto out;
	}
	text = cJSON_PrintUnformatted(req);
	if (!text || strlen(text) > PROTO_MAX_PAYLOAD) {
		error_setx(err, EMSGSIZE, "cannot encode a runtime request");
		goto out;
	}
	len = (uint32_t)strlen(text);
	proto_header_build(&hdr, PROTO_KIND_REQUEST, len);
	if ((r = io_all(fd, &hdr, sizeof(hdr), true)) < 0 || (r = io_all(fd, text, len, true)) < 0 ||
	    (r = io_all(fd, &hdr, sizeof(hdr), false)) < 0) {
		error_set(err, r, "no answer from the runtime at '%s'", socket_path);
		goto out;
	}
	if (proto_header_check(&hdr, PROTO_KIND_RESPONSE, &len, err) < 0) {
		error_wrap(err, "bad response header from the runtime at '%s'", socket_path);
		goto out;
	}
	payload = malloc(len + 1);
	if (!payload)
		abort();
	if ((r = io_all(fd, payload, len, false)) < 0) {
		error_set(err, r, "truncated response from the runtime at '%s'", socket_path);
		goto out;
	}
	payload[len] = '\0';
	resp = cJSON_Parse(payload);
	if (!cJSON_IsObject(resp)) {
		error_setx(err, EPROTO, "the runtime at '%s' answered with something that is not a JSON object",
			   socket_path);
		cJSON_Delete(resp);
		resp = NULL;
	} else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "ok"))) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "error");
		error_setx(err, EIO, "%s", cJSON_IsString(e) ? e->valuestring : "the runtime refused the request");
		cJSON_Delete(resp);
		resp = NULL;
	}
out:
	free(text);
	free(payload);
	close(fd);
	return resp;
}
