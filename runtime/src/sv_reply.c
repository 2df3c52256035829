#include "sv_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv_clients.h"
#include "sv_state.h"

static cJSON *error_obj(const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 0);
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

void reply(struct client *cl, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	size_t n = text ? strlen(text) : 0;

	cJSON_Delete(o);
	if (n > PROTO_MAX_PAYLOAD) {
		char msg[128];

		free(text);
		snprintf(msg, sizeof(msg), "the reply of %zu bytes is larger than the protocol allows (%u)", n,
			 PROTO_MAX_PAYLOAD);
		text = cJSON_PrintUnformatted(o = error_obj(msg));
		cJSON_Delete(o);
		n = text ? strlen(text) : 0;
	}
	if (!text || client_queue(cl, PROTO_KIND_RESPONSE, text, n) < 0)
		fprintf(stderr, "harness-runtime: cannot answer a client: out of memory\n");
	free(text);
}

void reply_error(struct client *cl, const char *msg)
{
	reply(cl, error_obj(msg));
}

cJSON *ok_obj(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 1);
	return o;
}

void add_status(cJSON *o, const struct ctr *c)
{
	cJSON_AddStringToObject(o, "name", c->spec.name);
	cJSON_AddStringToObject(o, "state", state_names[c->state]);
	cJSON_AddNumberToObject(o, "pid", c->pid);
	if (c->started)
		cJSON_AddNumberToObject(o, "uptime_s", (double)((has_ended(c) ? c->ended : time(NULL)) - c->started));
	if (has_ended(c)) {
		cJSON_AddNumberToObject(o, "exit_code", c->exit_code);
		if (c->term_signal)
			cJSON_AddNumberToObject(o, "signal", c->term_signal);
	}
	if (c->reason[0])
		cJSON_AddStringToObject(o, "reason", c->reason);
}

void answer_waiters(struct ctr *c)
{
	if (!has_ended(c) || !c->log_done)
		return;
	while (c->nwaiters > 0) {
		struct client *cl = c->waiters[--c->nwaiters];
		cJSON *o = ok_obj();

		cl->waiting_on = NULL;
		add_status(o, c);
		reply(cl, o);
		client_finish(cl);
	}
}
