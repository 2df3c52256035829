/* The requests of the socket protocol (proto.h), one handler per op. */
#ifndef RT_SV_REQUESTS_H
#define RT_SV_REQUESTS_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

/* Is the peer root or the supervisor's own user? */
int peer_allowed(int fd);
/* Decodes a whole request and answers it; closes fd unless it waits. */
void handle_request(int fd, const char *payload, uint32_t len);

#endif
