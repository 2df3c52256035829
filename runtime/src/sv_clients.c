#include "sv_clients.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include "sv_reply.h"
#include "sv_requests.h"

struct client clients[MAX_CLIENTS];

#define CLIENT_TIMEOUT_NS ((uint64_t)CLIENT_TIMEOUT_S * 1000000000ull)

void clients_init(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i] = (struct client){ .fd = -1 };
}

static void unhold(struct client *cl)
{
	struct ctr *c = cl->waiting_on;
	int j = 0;

	for (int i = 0; i < c->nwaiters; i++)
		if (c->waiters[i] != cl)
			c->waiters[j++] = c->waiters[i];
	c->nwaiters = j;
	cl->waiting_on = NULL;
}

static void client_free(struct client *cl)
{
	if (cl->waiting_on)
		unhold(cl);
	close(cl->fd);
	free(cl->payload);
	free(cl->out);
	*cl = (struct client){ .fd = -1 };
}

/* Sends what the socket takes now: 1 when all has gone, 0 when some is
 * left for the next POLLOUT, -1 when the peer is gone. */
static int flush(struct client *cl)
{
	while (cl->out_sent < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_sent, cl->out_len - cl->out_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		cl->out_sent += (size_t)n;
	}
	free(cl->out);
	cl->out = NULL;
	cl->out_len = cl->out_sent = 0;
	return 1;
}

int client_queue(struct client *cl, int kind, const void *payload, size_t len)
{
	struct proto_header h;
	char *p;

	if (len == 0 || len > PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;
	p = realloc(cl->out, cl->out_len + sizeof(h) + len);
	if (!p)
		return -ENOMEM;
	proto_header_build(&h, kind, (uint32_t)len);
	memcpy(p + cl->out_len, &h, sizeof(h));
	memcpy(p + cl->out_len + sizeof(h), payload, len);
	cl->out = p;
	cl->out_len += sizeof(h) + len;
	return 0;
}

void client_finish(struct client *cl)
{
	int r = flush(cl);

	if (r < 0) {
		client_free(cl);
	} else if (r == 0) {
		/* The reply gets its own deadline, from the first write that
		 * did not go through at once. */
		if (!cl->deadline)
			cl->deadline = mono_ns() + CLIENT_TIMEOUT_NS;
	} else if (!cl->waiting_on) {
		client_free(cl);
	}
}

void client_hold(struct client *cl, struct ctr *c)
{
	cl->waiting_on = c;
	c->waiters[c->nwaiters++] = cl;
}

void client_drop(struct client *cl, const char *msg)
{
	if (msg && !cl->out) {
		if (cl->waiting_on)
			unhold(cl);
		reply_error(cl, msg);
		flush(cl);
	}
	client_free(cl);
}

/* The slot of the connection that has been reading or writing the
 * longest: a held client waits for a container by design. */
static struct client *oldest_busy(void)
{
	struct client *best = NULL;

	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = &clients[i];

		if (cl->fd >= 0 && (!cl->request_done || cl->out) && (!best || cl->since < best->since))
			best = cl;
	}
	return best;
}

void client_accept(int fd)
{
	struct client *cl = NULL, *victim;

	if (!peer_allowed(fd)) {
		struct client tmp = { .fd = fd };

		client_drop(&tmp, "permission denied: the supervisor only answers root or its own user");
		return;
	}
	for (int i = 0; i < MAX_CLIENTS && !cl; i++)
		if (clients[i].fd < 0)
			cl = &clients[i];
	/* Stalled clients cannot lock everyone out: the oldest one goes. */
	if (!cl && (victim = oldest_busy())) {
		fprintf(stderr, "harness-runtime: all %d client slots taken: dropping the oldest connection\n",
			MAX_CLIENTS);
		client_drop(victim, "dropped: every client slot was taken and this connection was the oldest "
				    "still reading its request or its reply");
		cl = victim;
	}
	if (!cl) {
		struct client tmp = { .fd = fd };

		client_drop(&tmp, "too many clients waiting for containers at once: try again");
		return;
	}
	*cl = (struct client){ .fd = fd, .since = mono_ns() };
	cl->deadline = cl->since + CLIENT_TIMEOUT_NS;
}

short client_poll_events(const struct client *cl)
{
	if (!cl->request_done)
		return POLLIN;
	if (cl->out)
		return POLLOUT;
	return cl->read_closed ? 0 : POLLIN;
}

/* Reads what has arrived; dispatches the request once it is whole. */
static void read_request(struct client *cl)
{
	struct herror err = { 0 };

	for (;;) {
		int in_header = !cl->payload;
		char *dst = in_header ? (char *)&cl->hdr + cl->got : cl->payload + cl->got;
		size_t want = in_header ? PROTO_HEADER_SIZE - cl->got : cl->len - cl->got;
		ssize_t n = recv(cl->fd, dst, want, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_free(cl);	/* gone mid-request: nothing to answer */
			return;
		}
		cl->got += (size_t)n;
		if (in_header && cl->got == PROTO_HEADER_SIZE) {
			if (proto_header_check(&cl->hdr, PROTO_KIND_REQUEST, &cl->len, &err) < 0) {
				client_drop(cl, err.msg);
				return;
			}
			if (!(cl->payload = malloc(cl->len + 1))) {
				client_drop(cl, "out of memory");
				return;
			}
			cl->got = 0;
		} else if (!in_header && cl->got == cl->len) {
			char *payload = cl->payload;

			payload[cl->len] = '\0';
			cl->payload = NULL;
			cl->request_done = 1;
			cl->deadline = 0;
			handle_request(cl, payload, cl->len);
			free(payload);
			return;
		}
	}
}

void client_ready(struct client *cl, short revents)
{
	char b[64];
	ssize_t n;

	if (!cl->request_done) {
		read_request(cl);
	} else if (cl->out) {
		client_finish(cl);
	} else if (revents & (POLLHUP | POLLERR)) {
		client_free(cl);	/* a held client that left */
	} else if (revents & POLLIN) {
		n = recv(cl->fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0)
			cl->read_closed = 1;	/* shut its writing side; still waits */
		else if (n > 0)
			client_drop(cl, "one request per connection: bytes after the request");
	}
}

void clients_expire(uint64_t now, int *timeout_ms)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *cl = &clients[i];
		int ms;

		if (cl->fd < 0 || !cl->deadline)
			continue;
		if (cl->deadline <= now) {
			if (!cl->request_done) {
				client_drop(cl, "request not complete within the time limit");
			} else {
				fprintf(stderr, "harness-runtime: dropping a client that did not read its reply within %d s\n",
					CLIENT_TIMEOUT_S);
				client_free(cl);
			}
			continue;
		}
		ms = (int)((cl->deadline - now) / 1000000) + 1;
		if (*timeout_ms < 0 || ms < *timeout_ms)
			*timeout_ms = ms;
	}
}
