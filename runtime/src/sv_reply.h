/* Replies on a client connection, and the answer to every waiter of a
 * container once it has ended and its log is complete. */
#ifndef RT_SV_REPLY_H
#define RT_SV_REPLY_H

#include <cjson/cJSON.h>
#include "proto.h"
#include "sv_core.h"

/* Sends o as a response and frees it. */
void reply(int fd, cJSON *o);
/* Sends {"ok":false,"error":msg}. */
void reply_error(int fd, const char *msg);
/* {"ok":true}, to add to. */
cJSON *ok_obj(void);
/* The container's state, exit code and reason. */
void add_status(cJSON *o, const struct ctr *c);
/* Answers and closes every waiter once the container ended and its log is complete. */
void answer_waiters(struct ctr *c);

#endif
