#include "sv_clients.h"

#include <arpa/inet.h>
#include <errno.h>

#include "sv_reply.h"
#include "sv_requests.h"

/* Requests are read without blocking, many at once, each within one
 * deadline for the whole request: a client trickling bytes holds nobody
 * and is cut off CLIENT_TIMEOUT_S after it connected. */
struct pending pend[MAX_PENDING];

void pending_drop(struct pending *p, const char *msg)
{
	if (msg)
		reply_error(p->fd, msg);
	close(p->fd);
	free(p->payload);
	*p = (struct pending){ .fd = -1 };
}

void client_accept(int fd)
{
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
	struct pending *p = NULL;

	/* Replies are written blocking, bounded by the send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!peer_allowed(fd)) {
		reply_error(fd, "permission denied: the supervisor only answers root or its own user");
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_PENDING && !p; i++)
		if (pend[i].fd < 0)
			p = &pend[i];
	if (!p) {
		reply_error(fd, "too many clients at once: try again");
		close(fd);
		return;
	}
	*p = (struct pending){ .fd = fd, .deadline = mono_ns() + CLIENT_TIMEOUT_S * 1000000000ull };
}

/* Reads what has arrived; dispatches the request once it is whole. */
void client_readable(struct pending *p)
{
	struct herror err = { 0 };

	for (;;) {
		int in_header = !p->payload;
		char *dst = in_header ? (char *)&p->hdr + p->got : p->payload + p->got;
		size_t want = in_header ? PROTO_HEADER_SIZE - p->got : p->len - p->got;
		ssize_t n = recv(p->fd, dst, want, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			pending_drop(p, NULL);	/* gone mid-request: nothing to answer */
			return;
		}
		p->got += (size_t)n;
		if (in_header && p->got == PROTO_HEADER_SIZE) {
			if (proto_header_check(&p->hdr, PROTO_KIND_REQUEST, &p->len, &err) < 0) {
				pending_drop(p, err.msg);
				return;
			}
			if (!(p->payload = malloc(p->len + 1))) {
				pending_drop(p, "out of memory");
				return;
			}
			p->got = 0;
		} else if (!in_header && p->got == p->len) {
			int fd = p->fd;
			char *payload = p->payload;
			uint32_t len = p->len;

			payload[len] = '\0';
			*p = (struct pending){ .fd = -1 };
			handle_request(fd, payload, len);
			free(payload);
			return;
		}
	}
}
