/* Replies on a client connection, and the answer to every waiter of a
 * container once it has ended and its log is complete. Replies are queued
 * on the client and sent without blocking (sv_clients.h). */
#ifndef RT_SV_REPLY_H
#define RT_SV_REPLY_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

struct client;

/* Queues o as a response and frees it; a reply too large for one frame
 * becomes an error reply saying so. */
void reply(struct client *cl, cJSON *o);
/* Queues {"ok":false,"error":msg}. */
void reply_error(struct client *cl, const char *msg);
/* {"ok":true}, to add to. */
cJSON *ok_obj(void);
/* The container's state, exit code and reason. */
void add_status(cJSON *o, const struct ctr *c);
/* Answers every waiter once the container ended and its log is complete. */
void answer_waiters(struct ctr *c);

#endif
