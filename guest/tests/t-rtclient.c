/* Unit tests of the runtime client's framing against runtime/src/proto.h:
 * a one-shot socket server in a thread stands in for the supervisor
 * (t-container.sh talks to the real one). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto.h"
#include "rtclient.h"

struct fake {
	char path[108];
	int lfd;
	unsigned char req_hdr[PROTO_HEADER_SIZE];
	char req[1024];
	size_t req_len;
	unsigned char resp_hdr[PROTO_HEADER_SIZE];
	const char *resp;
	pthread_t thread;
};

static void header(unsigned char *h, const char *magic, int version, int kind, uint32_t len)
{
	memcpy(h, magic, 4);
	h[4] = (unsigned char)version;
	h[5] = (unsigned char)kind;
	h[6] = h[7] = 0;
	h[8] = (unsigned char)(len >> 24);
	h[9] = (unsigned char)(len >> 16);
	h[10] = (unsigned char)(len >> 8);
	h[11] = (unsigned char)len;
}

static void *serve_one(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	uint32_t len;

	if (fd < 0)
		return NULL;
	if (recv(fd, f->req_hdr, sizeof(f->req_hdr), MSG_WAITALL) == (ssize_t)sizeof(f->req_hdr)) {
		len = (uint32_t)f->req_hdr[8] << 24 | (uint32_t)f->req_hdr[9] << 16 | (uint32_t)f->req_hdr[10] << 8 |
		      f->req_hdr[11];
		if (len < sizeof(f->req) && recv(fd, f->req, len, MSG_WAITALL) == (ssize_t)len)
			f->req_len = len;
	}
	/* The client may hang up after a bad header: no SIGPIPE. */
	if (send(fd, f->resp_hdr, sizeof(f->resp_hdr), MSG_NOSIGNAL) == (ssize_t)sizeof(f->resp_hdr))
		(void)!send(fd, f->resp, strlen(f->resp), MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

/* A server that answers resp with the given header fields. */
static void fake_start(struct fake *f, const char *magic, int version, int kind, const char *resp)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/t-rtclient.%d.sock", (int)getpid());
	unlink(f->path);
	memcpy(addr.sun_path, f->path, strlen(f->path) + 1);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	f->resp = resp;
	header(f->resp_hdr, magic, version, kind, (uint32_t)strlen(resp));
	assert_int_equal(pthread_create(&f->thread, NULL, serve_one, f), 0);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->path);
}

static cJSON *ps_request(void)
{
	cJSON *req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "op", "ps");
	return req;
}

static void test_request_framing_and_answer(void **state)
{
	struct herror err = { 0 };
	struct fake f;
	cJSON *req = ps_request(), *resp;

	fake_start(&f, "HRTP", PROTO_VERSION, PROTO_KIND_RESPONSE, "{\"ok\":true,\"containers\":[]}");
	resp = rt_request(f.path, req, 5, &err);
	fake_stop(&f);
	assert_non_null(resp);
	assert_int_equal(err.status, 0);
	assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(resp, "containers")));
	/* What the supervisor's proto_header_check checks (runtime/src/proto.h). */
	assert_memory_equal(f.req_hdr, "HRTP", 4);
	assert_int_equal(f.req_hdr[4], PROTO_VERSION);
	assert_int_equal(f.req_hdr[5], PROTO_KIND_REQUEST);
	assert_int_equal(f.req_hdr[6] | f.req_hdr[7], 0);
	assert_int_equal(f.req_len, strlen("{\"op\":\"ps\"}"));
	assert_memory_equal(f.req, "{\"op\":\"ps\"}", f.req_len);
	cJSON_Delete(resp);
	cJSON_Delete(req);
}

static void test_refusal_carries_the_runtime_message(void **state)
{
	struct herror err = { 0 };
	struct fake f;
	cJSON *req = ps_request();

	fake_start(&f, "HRTP", PROTO_VERSION, PROTO_KIND_RESPONSE, "{\"ok\":false,\"error\":\"no container 'x'\"}");
	assert_null(rt_request(f.path, req, 5, &err));
	fake_stop(&f);
	assert_string_equal(err.msg, "no container 'x'");
	assert_int_not_equal(err.status, 0);
	cJSON_Delete(req);
}

static void test_bad_response_headers(void **state)
{
	static const struct { const char *magic; int version, kind; const char *why; } bad[] = {
		{ "HRTX", PROTO_VERSION, PROTO_KIND_RESPONSE, "bad message magic" },
		{ "HRTP", PROTO_VERSION + 1, PROTO_KIND_RESPONSE, "unsupported protocol version 2" },
		{ "HRTP", PROTO_VERSION, PROTO_KIND_REQUEST, "unexpected message kind 1" },
	};
	cJSON *req = ps_request();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct herror err = { 0 };
		struct fake f;

		fake_start(&f, bad[i].magic, bad[i].version, bad[i].kind, "{\"ok\":true}");
		assert_null(rt_request(f.path, req, 5, &err));
		fake_stop(&f);
		assert_int_equal(err.status, EPROTO);
		assert_non_null(strstr(err.msg, "bad response header from the runtime at '"));
		assert_non_null(strstr(err.msg, bad[i].why));
	}
	cJSON_Delete(req);
}

static void test_no_supervisor(void **state)
{
	struct herror err = { 0 };
	cJSON *req = ps_request();

	assert_null(rt_request("/tmp/t-rtclient.no-such.sock", req, 1, &err));
	assert_int_equal(err.status, ENOENT);
	assert_string_equal(err.msg, "cannot connect to the runtime at '/tmp/t-rtclient.no-such.sock': "
				     "no such file or directory");
	cJSON_Delete(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_framing_and_answer),
		cmocka_unit_test(test_refusal_carries_the_runtime_message),
		cmocka_unit_test(test_bad_response_headers),
		cmocka_unit_test(test_no_supervisor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
