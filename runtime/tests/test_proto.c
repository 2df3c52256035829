/* The protocol decoder rejects every malformed frame and request. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "proto.h"

static int decode(const char *json, struct proto_request *req, struct herror *err)
{
	memset(err, 0, sizeof(*err));
	return proto_decode_request(json, strlen(json), req, err);
}

static void good_header_round_trips(void **state)
{
	struct proto_header h;
	uint32_t len = 0;

	proto_header_build(&h, PROTO_KIND_REQUEST, 1234);
	assert_int_equal(proto_header_check(&h, PROTO_KIND_REQUEST, &len, NULL), 0);
	assert_int_equal(len, 1234);
}

/* The bytes on the wire are the documented ones (the runner's client
 * speaks the same header from this file). */
static void header_bytes_are_the_documented_ones(void **state)
{
	static const unsigned char want[PROTO_HEADER_SIZE] = { 'H', 'R', 'T', 'P', 1, 2, 0, 0, 0, 0x01, 0x02, 0x03 };
	struct proto_header h;

	proto_header_build(&h, PROTO_KIND_RESPONSE, 0x010203);
	assert_memory_equal(&h, want, sizeof(want));
}

static void bad_headers_are_rejected(void **state)
{
	struct proto_header h;
	uint32_t len;
	struct herror err = { 0 };

	proto_header_build(&h, PROTO_KIND_REQUEST, PROTO_MAX_PAYLOAD + 1);
	assert_int_equal(proto_header_check(&h, PROTO_KIND_REQUEST, &len, &err), -EMSGSIZE);
	assert_non_null(strstr(err.msg, "outside"));
	proto_header_build(&h, PROTO_KIND_REQUEST, 0);
	assert_int_equal(proto_header_check(&h, PROTO_KIND_REQUEST, &len, NULL), -EMSGSIZE);
	proto_header_build(&h, PROTO_KIND_REQUEST, 10);
	h.version = 2;
	error_clear(&err);	/* the first error recorded is kept */
	assert_int_equal(proto_header_check(&h, PROTO_KIND_REQUEST, &len, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "version 2"));
	proto_header_build(&h, PROTO_KIND_REQUEST, 10);
	h.magic[0] = 'X';
	assert_int_equal(proto_header_check(&h, PROTO_KIND_REQUEST, &len, NULL), -EPROTO);
	proto_header_build(&h, PROTO_KIND_REQUEST, 10);
	h.reserved[1] = 1;
	assert_int_equal(proto_header_check(&h, PROTO_KIND_REQUEST, &len, NULL), -EPROTO);
	proto_header_build(&h, PROTO_KIND_RESPONSE, 10);
	assert_int_equal(proto_header_check(&h, PROTO_KIND_REQUEST, &len, NULL), -EPROTO);
}

static void start_request_decodes(void **state)
{
	struct proto_request req;
	struct herror err = { 0 };

	assert_int_equal(decode("{\"op\":\"start\",\"wait\":true,\"spec\":{\"name\":\"web-1\","
				"\"rootfs\":\"/srv/rootfs\",\"argv\":[\"/bin/sh\",\"-c\",\"true\"],"
				"\"limits\":{\"memory_max\":67108864,\"cpu_weight\":200},\"nice\":5}}",
				&req, &err), 0);
	assert_int_equal(req.op, OP_START);
	assert_true(req.wait);
	assert_string_equal(req.name, "web-1");
	assert_int_equal(req.spec.argc, 3);
	assert_string_equal(req.spec.argv[2], "true");
	assert_null(req.spec.argv[3]);
	assert_int_equal(req.spec.limits.memory_max, 67108864);
	assert_int_equal(req.spec.nice, 5);
	proto_request_free(&req);
}

static void malformed_requests_are_rejected(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{}", "{\"op\":7}", "{\"op\":\"explode\"}",
		"{\"op\":\"stop\"}", "{\"op\":\"stop\",\"name\":\"../etc\"}",
		"{\"op\":\"logs\",\"name\":\"a\",\"offset\":-1}",
		"{\"op\":\"stop\",\"name\":\"a\",\"grace\":1.5}",
		"{\"op\":\"start\"}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\"}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"rel\",\"argv\":[\"x\"]}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[1]}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"nice\":40}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"limits\":{\"cpu_weight\":0.5}}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"limits\":{\"cpu_weight\":20000}}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"limits\":{\"memory_high\":8192,\"memory_max\":4096}}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"limits\":{\"cpuset_cpus\":\"0-;\"}}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"ip\":\"10.0.0.300\",\"network\":true}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"kmon\":{\"soft\":10}}}",
		"{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[\"x\"],\"admit\":\"maybe\"}}",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proto_request req;
		struct herror err = { 0 };

		if (decode(bad[i], &req, &err) >= 0)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err.msg[0] != '\0' || bad[i][0] == '\0');
	}
}

static void too_many_arguments_are_rejected(void **state)
{
	char buf[16384];
	size_t n = 0;
	struct proto_request req;
	struct herror err = { 0 };

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"op\":\"start\",\"spec\":{\"name\":\"a\",\"rootfs\":\"/r\",\"argv\":[");
	for (int i = 0; i <= SPEC_MAX_ARGS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"x\"", i ? "," : "");
	snprintf(buf + n, sizeof(buf) - n, "]}}");
	assert_int_equal(decode(buf, &req, &err), -E2BIG);
}

static void send_and_receive_over_a_socket(void **state)
{
	int sp[2];
	cJSON *msg = cJSON_CreateObject(), *got = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	cJSON_AddStringToObject(msg, "op", "ps");
	assert_int_equal(proto_send(sp[0], PROTO_KIND_REQUEST, msg, NULL), 0);
	assert_int_equal(proto_recv(sp[1], PROTO_KIND_REQUEST, &got, NULL), 0);
	assert_string_equal(cJSON_GetObjectItem(got, "op")->valuestring, "ps");
	cJSON_Delete(msg);
	cJSON_Delete(got);
	close(sp[0]);
	close(sp[1]);
}

static void truncated_message_is_an_error(void **state)
{
	int sp[2];
	struct proto_header h;
	char *p = NULL;
	uint32_t len;
	struct herror err = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	proto_header_build(&h, PROTO_KIND_REQUEST, 100);
	assert_int_equal(write(sp[0], &h, sizeof(h)), (ssize_t)sizeof(h));
	assert_int_equal(write(sp[0], "{\"op\"", 5), 5);
	close(sp[0]);	/* the client disconnects mid-request */
	assert_int_equal(proto_recv_raw(sp[1], PROTO_KIND_REQUEST, &p, &len, &err), -ECONNRESET);
	assert_non_null(strstr(err.msg, "mid-message"));
	close(sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_header_round_trips),
		cmocka_unit_test(header_bytes_are_the_documented_ones),
		cmocka_unit_test(bad_headers_are_rejected),
		cmocka_unit_test(start_request_decodes),
		cmocka_unit_test(malformed_requests_are_rejected),
		cmocka_unit_test(too_many_arguments_are_rejected),
		cmocka_unit_test(send_and_receive_over_a_socket),
		cmocka_unit_test(truncated_message_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
