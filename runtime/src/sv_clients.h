/* Client connections: requests read without blocking from the poll
 * loop, many at once, each within one deadline for the whole request. */
#ifndef RT_SV_CLIENTS_H
#define RT_SV_CLIENTS_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

struct pending {
	int fd;				/* -1: free slot */
	uint64_t deadline;		/* monotonic ns */
	struct proto_header hdr;
	size_t got;			/* bytes of header, then of payload */
	uint32_t len;			/* payload length once the header is in */
	char *payload;
};
extern struct pending pend[MAX_PENDING];

/* Answers msg (if any), closes the connection and frees the slot. */
void pending_drop(struct pending *p, const char *msg);
/* Checks the peer and gives the new connection a slot and a deadline. */
void client_accept(int fd);
/* Reads what has arrived; dispatches the request once it is whole. */
void client_readable(struct pending *p);

#endif
