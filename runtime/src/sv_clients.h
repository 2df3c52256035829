/* Client connections, none of which can hold the supervisor: the request
 * is read and the reply written without blocking, from the poll loop,
 * each within its own deadline; a connection waiting for a container's
 * end is held without a deadline. When every slot is taken, the oldest
 * connection still reading or writing gives its slot to the new one. */
#ifndef RT_SV_CLIENTS_H
#define RT_SV_CLIENTS_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

struct client {
	int fd;				/* -1: free slot */
	uint64_t since;			/* monotonic ns of the accept: who is oldest */
	uint64_t deadline;		/* monotonic ns: end of reading, then of writing; 0 while held */
	/* The request, as it arrives. */
	struct proto_header hdr;
	size_t got;			/* bytes of header, then of payload */
	uint32_t len;			/* payload length once the header is in */
	char *payload;
	int request_done;
	/* Held until this container has ended (start --wait, stop, wait). */
	struct ctr *waiting_on;
	int read_closed;		/* a held client shut its writing side */
	/* The reply: whole frames, sent as the socket takes them. */
	char *out;
	size_t out_len, out_sent;
};
extern struct client clients[MAX_CLIENTS];

/* Frees every slot (at start-up). */
void clients_init(void);
/* Checks the peer and gives the new connection a slot and a deadline. */
void client_accept(int fd);
/* The events to poll the client's socket for. */
short client_poll_events(const struct client *cl);
/* Reads the request, writes the reply or notices a held client leave. */
void client_ready(struct client *cl, short revents);
/* Drops clients past their deadline; lowers *timeout_ms to the next one. */
void clients_expire(uint64_t now, int *timeout_ms);

/* Appends one frame (header and payload) to the client's reply. */
int client_queue(struct client *cl, int kind, const void *payload, size_t len);
/* After a request or a container's end: holds the client for its
 * container, or sends what is queued and closes it once all has gone. */
void client_finish(struct client *cl);
/* Holds the client until c has ended (its waiter list has room). */
void client_hold(struct client *cl, struct ctr *c);
/* Best effort: queues {"ok":false,"error":msg} (when msg is not NULL and
 * nothing is queued yet), sends what the socket takes now, closes. */
void client_drop(struct client *cl, const char *msg);

#endif
