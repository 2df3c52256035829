/* libFuzzer target: the supervisor's request decoder (header and payload). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request req;
	struct herror err = { 0 };
	struct proto_header h;
	uint32_t len;

	if (size >= PROTO_HEADER_SIZE) {
		memcpy(&h, data, sizeof(h));
		proto_header_check(&h, PROTO_KIND_REQUEST, &len, &err);
		error_clear(&err);
		data += PROTO_HEADER_SIZE;
		size -= PROTO_HEADER_SIZE;
	}
	if (proto_decode_request((const char *)data, size, &req, &err) == 0)
		proto_request_free(&req);
	return 0;
}
