/* The requests of the socket protocol (proto.h), one handler per op. */
#ifndef RT_SV_REQUESTS_H
#define RT_SV_REQUESTS_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

/* Is the peer root or the supervisor's own user? */
int peer_allowed(int fd);
struct client;
/* Decodes a whole request and answers it (or holds the client until its
 * container ends), then client_finish. */
void handle_request(struct client *cl, const char *payload, uint32_t len);

#endif
