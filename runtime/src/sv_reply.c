#include "sv_reply.h"

#include <stdio.h>

#include "sv_state.h"

void reply(int fd, cJSON *o)
{
	struct herror err = { 0 };

	if (proto_send(fd, PROTO_KIND_RESPONSE, o, &err) < 0)
		fprintf(stderr, "harness-runtime: cannot answer a client: %s\n", err.msg);
	cJSON_Delete(o);
}

void reply_error(int fd, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 0);
	cJSON_AddStringToObject(o, "error", msg);
	reply(fd, o);
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
	for (int i = 0; i < c->nwaiters; i++) {
		cJSON *o = ok_obj();

		add_status(o, c);
		reply(c->waiters[i], o);
		close(c->waiters[i]);
	}
	c->nwaiters = 0;
}
