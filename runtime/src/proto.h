/* The supervisor's socket protocol, version 1.
 *
 * Every message is a 12-byte header and a JSON payload:
 *   bytes 0..3  magic "HRTP"
 *   byte  4     version (1)
 *   byte  5     kind: 1 request, 2 response
 *   bytes 6..7  reserved, must be zero
 *   bytes 8..11 payload length, big-endian, at most PROTO_MAX_PAYLOAD
 * A request is {"op": OP, ...}; a response is {"ok": true, ...} or
 * {"ok": false, "error": "..."}. Both sides check every bound. */
#ifndef RT_PROTO_H
#define RT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "spec.h"
#include "util.h"

#define PROTO_VERSION      1
#define PROTO_HEADER_SIZE  12
#define PROTO_MAX_PAYLOAD  (256u * 1024u)
#define PROTO_KIND_REQUEST  1
#define PROTO_KIND_RESPONSE 2

enum proto_op {
	OP_START = 1,	/* spec; with "wait": reply when the container ended */
	OP_STOP,	/* name, grace */
	OP_PS,
	OP_LOGS,	/* name, offset */
	OP_INSPECT,	/* name */
	OP_WAIT,	/* name: reply when the container ended */
	OP_REMOVE,	/* name: forget an ended container */
	OP_SHUTDOWN,
};

struct proto_request {
	enum proto_op op;
	char name[64];
	int wait;			/* start: hold the reply until exit */
	int grace_s;			/* stop: -1 = the container's own */
	uint64_t offset;		/* logs */
	struct container_spec spec;	/* start */
};

/* Checks a header; on success stores the payload length. */
int proto_parse_header(const unsigned char *hdr, int kind, uint32_t *len, struct herror *err);
void proto_make_header(unsigned char *hdr, int kind, uint32_t len);

/* Decodes and validates a request payload (not NUL-terminated). */
int proto_decode_request(const char *payload, size_t len, struct proto_request *req,
			 struct herror *err);
void proto_request_free(struct proto_request *req);

/* Sends one message: header and the printed JSON. */
int proto_send(int fd, int kind, const cJSON *msg, struct herror *err);

/* Receives one message of the given kind; *msg is the parsed payload. */
int proto_recv(int fd, int kind, cJSON **msg, struct herror *err);

/* Receives the raw payload, for the supervisor which decodes it itself. */
int proto_recv_raw(int fd, int kind, char **payload, uint32_t *len, struct herror *err);

const char *proto_op_name(enum proto_op op);

#endif
