#include "proto.h"

#include <errno.h>
#include <string.h>

static const char *const op_names[] = {
	[OP_START] = "start", [OP_STOP] = "stop", [OP_PS] = "ps", [OP_LOGS] = "logs",
	[OP_INSPECT] = "inspect", [OP_WAIT] = "wait", [OP_REMOVE] = "rm", [OP_SHUTDOWN] = "shutdown",
};

const char *proto_op_name(enum proto_op op)
{
	if ((unsigned)op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op])
		return op_names[op];
	return "?";
}

static int op_from_name(const char *s)
{
	for (unsigned i = 1; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i] && !strcmp(op_names[i], s))
			return (int)i;
	return -1;
}

int proto_decode_request(const char *payload, size_t len, struct proto_request *req,
			 struct herror *err)
{
	cJSON *root, *op, *v;
	int r = 0, o;

	memset(req, 0, sizeof(*req));
	spec_init(&req->spec);
	req->grace_s = -1;
	if (len == 0 || len > PROTO_MAX_PAYLOAD)
		return error_setx(err, EMSGSIZE, "request length %zu is outside 1..%u", len, PROTO_MAX_PAYLOAD);
	root = cJSON_ParseWithLength(payload, len);
	if (!root)
		return error_setx(err, EPROTO, "request is not valid JSON");
	if (!cJSON_IsObject(root)) {
		r = error_setx(err, EPROTO, "request is not a JSON object");
		goto cleanup;
	}
	op = cJSON_GetObjectItemCaseSensitive(root, "op");
	if (!cJSON_IsString(op) || (o = op_from_name(op->valuestring)) < 0) {
		r = error_setx(err, EPROTO, "request has no known 'op'");
		goto cleanup;
	}
	req->op = (enum proto_op)o;

	v = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (v) {
		if (!cJSON_IsString(v) || !name_is_valid(v->valuestring)) {
			r = error_setx(err, EINVAL, "invalid container name");
			goto cleanup;
		}
		memcpy(req->name, v->valuestring, strlen(v->valuestring) + 1);
	}
	switch (req->op) {
	case OP_START:
		v = cJSON_GetObjectItemCaseSensitive(root, "spec");
		if (!v) {
			r = error_setx(err, EINVAL, "start request has no 'spec'");
			goto cleanup;
		}
		if ((r = spec_from_json(v, &req->spec, err)) < 0)
			goto cleanup;
		memcpy(req->name, req->spec.name, sizeof(req->name));
		v = cJSON_GetObjectItemCaseSensitive(root, "wait");
		if (v && !cJSON_IsBool(v)) {
			r = error_setx(err, EINVAL, "field 'wait' must be a boolean");
			goto cleanup;
		}
		req->wait = cJSON_IsTrue(v);
		break;
	case OP_STOP:
		v = cJSON_GetObjectItemCaseSensitive(root, "grace");
		if (v) {
			if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 3600 ||
			    v->valuedouble != (double)(int)v->valuedouble) {
				r = error_setx(err, EINVAL, "field 'grace' must be 0..3600 seconds");
				goto cleanup;
			}
			req->grace_s = (int)v->valuedouble;
		}
		/* fall through */
	case OP_INSPECT:
	case OP_WAIT:
	case OP_REMOVE:
	case OP_LOGS:
		if (!req->name[0]) {
			r = error_setx(err, EINVAL, "%s request needs a container name", proto_op_name(req->op));
			goto cleanup;
		}
		v = cJSON_GetObjectItemCaseSensitive(root, "offset");
		if (req->op == OP_LOGS && v) {
			if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
			    v->valuedouble != (double)(uint64_t)v->valuedouble) {
				r = error_setx(err, EINVAL, "field 'offset' must be a non-negative integer");
				goto cleanup;
			}
			req->offset = (uint64_t)v->valuedouble;
		}
		break;
	case OP_PS:
	case OP_SHUTDOWN:
		break;
	}
cleanup:
	cJSON_Delete(root);
	if (r < 0)
		proto_request_free(req);
	return r;
}

void proto_request_free(struct proto_request *req)
{
	spec_free(&req->spec);
}

int proto_send(int fd, int kind, const cJSON *msg, struct herror *err)
{
	struct proto_header h;
	char *text = cJSON_PrintUnformatted(msg);
	size_t n;
	ssize_t w;

	if (!text)
		return error_set(err, ENOMEM, "cannot encode message");
	n = strlen(text);
	if (n == 0 || n > PROTO_MAX_PAYLOAD) {
		free(text);
		return error_setx(err, EMSGSIZE, "message of %zu bytes is larger than the protocol allows", n);
	}
	proto_header_build(&h, kind, (uint32_t)n);
	w = write_all(fd, &h, sizeof(h));
	if (w >= 0)
		w = write_all(fd, text, n);
	free(text);
	if (w < 0)
		return error_set(err, (int)-w, "cannot send message");
	return 0;
}

int proto_recv_raw(int fd, int kind, char **payload, uint32_t *len, struct herror *err)
{
	struct proto_header h;
	ssize_t n = read_all(fd, &h, sizeof(h));
	char *buf;
	int r;

	if (n < 0)
		return error_set(err, (int)-n, "cannot read message header");
	if (n != (ssize_t)sizeof(h))
		return error_setx(err, ECONNRESET, "peer closed the connection before a full message header");
	if ((r = proto_header_check(&h, kind, len, err)) < 0)
		return r;
	buf = malloc(*len + 1);
	if (!buf)
		return error_set(err, ENOMEM, "cannot allocate %u bytes for a message", *len);
	n = read_all(fd, buf, *len);
	if (n != (ssize_t)*len) {
		free(buf);
		if (n < 0)
			return error_set(err, (int)-n, "cannot read message payload");
		return error_setx(err, ECONNRESET, "peer closed the connection mid-message (%zd of %u bytes)", n, *len);
	}
	buf[*len] = '\0';
	*payload = buf;
	return 0;
}

int proto_recv(int fd, int kind, cJSON **msg, struct herror *err)
{
	char *p;
	uint32_t len;
	int r = proto_recv_raw(fd, kind, &p, &len, err);

	if (r < 0)
		return r;
	*msg = cJSON_ParseWithLength(p, len);
	free(p);
	if (!*msg || !cJSON_IsObject(*msg)) {
		cJSON_Delete(*msg);
		*msg = NULL;
		return error_setx(err, EPROTO, "message is not a JSON object");
	}
	return 0;
}
