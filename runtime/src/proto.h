/* The supervisor's socket protocol, version 1: the one definition of the
 * wire format, for the runtime's supervisor and CLI and for the runner's
 * client (guest/rtclient.c).
 *
 * Every message is a 12-byte header and a JSON payload:
 *   bytes 0..3  magic "HRTP"
 *   byte  4     version (1)
 *   byte  5     kind: 1 request, 2 response, 3 data
 *   bytes 6..7  reserved, must be zero
 *   bytes 8..11 payload length, big-endian, 1..PROTO_MAX_PAYLOAD
 * A request is {"op": OP, ...}; a response is {"ok": true, ...} or
 * {"ok": false, "error": "..."}. A response that announces "data_bytes": N
 * (logs) is followed by one data frame of exactly N raw bytes, any bytes
 * at all (NUL, quotes, control bytes, invalid UTF-8). Both sides check
 * every bound. */
#ifndef RT_PROTO_H
#define RT_PROTO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "herror.h"
#include "spec.h"

#define PROTO_MAGIC         "HRTP"
#define PROTO_VERSION       1
#define PROTO_HEADER_SIZE   12
#define PROTO_MAX_PAYLOAD   (256u * 1024u)
#define PROTO_KIND_REQUEST  1
#define PROTO_KIND_RESPONSE 2
#define PROTO_KIND_DATA     3	/* raw bytes after a response that announces them */

/* The header as it travels: bytes only, so no padding and no alignment. */
struct proto_header {
	unsigned char magic[4];
	uint8_t version;
	uint8_t kind;
	uint8_t reserved[2];
	uint8_t length[4];	/* big-endian */
};
_Static_assert(sizeof(struct proto_header) == PROTO_HEADER_SIZE, "the wire header is 12 bytes");

/* Fills h for a message of the given kind with a payload of len bytes. */
static inline void proto_header_build(struct proto_header *h, int kind, uint32_t len)
{
	memcpy(h->magic, PROTO_MAGIC, sizeof(h->magic));
	h->version = PROTO_VERSION;
	h->kind = (uint8_t)kind;
	h->reserved[0] = h->reserved[1] = 0;
	h->length[0] = (uint8_t)(len >> 24);
	h->length[1] = (uint8_t)(len >> 16);
	h->length[2] = (uint8_t)(len >> 8);
	h->length[3] = (uint8_t)len;
}

/* Checks a received header against the kind expected; on success stores
 * the payload length (1..PROTO_MAX_PAYLOAD) in *len. -EPROTO or -EMSGSIZE
 * with the reason in err otherwise. */
static inline int proto_header_check(const struct proto_header *h, int kind, uint32_t *len, struct herror *err)
{
	uint32_t n;

	if (memcmp(h->magic, PROTO_MAGIC, sizeof(h->magic)))
		return error_setx(err, EPROTO, "bad message magic");
	if (h->version != PROTO_VERSION)
		return error_setx(err, EPROTO, "unsupported protocol version %u (this side speaks %u)", h->version,
				  PROTO_VERSION);
	if (h->kind != kind)
		return error_setx(err, EPROTO, "unexpected message kind %u", h->kind);
	if (h->reserved[0] || h->reserved[1])
		return error_setx(err, EPROTO, "reserved header bytes are not zero");
	n = (uint32_t)h->length[0] << 24 | (uint32_t)h->length[1] << 16 | (uint32_t)h->length[2] << 8 | h->length[3];
	if (n == 0 || n > PROTO_MAX_PAYLOAD)
		return error_setx(err, EMSGSIZE, "message length %u is outside 1..%u", n, PROTO_MAX_PAYLOAD);
	*len = n;
	return 0;
}

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
