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

#include "proto.h"

/* proto.h spells the magic only inside runtime/src/proto.c. */
#ifndef PROTO_MAGIC
#define PROTO_MAGIC "HRTP"
#endif

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

static void make_header(unsigned char *hdr, uint32_t len)
{
	memcpy(hdr, PROTO_MAGIC, 4);
	hdr[4] = PROTO_VERSION;
	hdr[5] = PROTO_KIND_REQUEST;
	hdr[6] = hdr[7] = 0;
	hdr[8] = (unsigned char)(len >> 24);
	hdr[9] = (unsigned char)(len >> 16);
	hdr[10] = (unsigned char)(len >> 8);
	hdr[11] = (unsigned char)len;
}

/* The payload length of a response header, 0 when the header is not one. */
static uint32_t response_length(const unsigned char *hdr)
{
	uint32_t len = (uint32_t)hdr[8] << 24 | (uint32_t)hdr[9] << 16 | (uint32_t)hdr[10] << 8 | hdr[11];

	if (memcmp(hdr, PROTO_MAGIC, 4) || hdr[4] != PROTO_VERSION || hdr[5] != PROTO_KIND_RESPONSE || hdr[6] ||
	    hdr[7] || len > PROTO_MAX_PAYLOAD)
		return 0;
	return len;
}

cJSON *rt_request(const char *socket_path, const cJSON *req, double timeout_s, struct herror *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned char hdr[PROTO_HEADER_SIZE];
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
	make_header(hdr, len);
	if ((r = io_all(fd, hdr, sizeof(hdr), true)) < 0 || (r = io_all(fd, text, len, true)) < 0 ||
	    (r = io_all(fd, hdr, sizeof(hdr), false)) < 0) {
		error_set(err, r, "no answer from the runtime at '%s'", socket_path);
		goto out;
	}
	len = response_length(hdr);
	if (len == 0) {
		error_setx(err, EPROTO, "bad response header from the runtime at '%s'", socket_path);
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
