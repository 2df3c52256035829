/* OCI config.json parsing: the fields the runtime honours, and clear
 * errors for everything it does not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/mount.h>
#include <cmocka.h>
#include "oci.h"
#include "secfilter.h"

static const char good[] =
	"{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},"
	"\"args\":[\"/bin/true\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/\"},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"bench\","
	"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\",\"mode=1777\",\"size=64k\"]}],"
	"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\"}],"
	"\"resources\":{\"memory\":{\"limit\":67108864},\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000},"
	"\"pids\":{\"limit\":64}}}}";

static int parse(const char *text, struct container_spec *s, struct herror *err)
{
	spec_init(s);
	memset(err, 0, sizeof(*err));
	return oci_parse_config(text, strlen(text), "/b", s, err);
}

static void crun_style_config_parses(void **state)
{
	struct container_spec s;
	struct herror err = { 0 };

	assert_int_equal(parse(good, &s, &err), 0);
	assert_string_equal(s.rootfs, "/b/rootfs");
	assert_true(s.readonly_rootfs);
	assert_string_equal(s.hostname, "bench");
	assert_int_equal(s.argc, 1);
	assert_string_equal(s.argv[0], "/bin/true");
	assert_int_equal(s.nmounts, 2);
	assert_int_equal(s.mounts[1].flags & (MS_NOSUID | MS_NODEV), MS_NOSUID | MS_NODEV);
	assert_string_equal(s.mounts[1].data, "mode=1777,size=64k");
	assert_int_equal(s.limits.memory_max, 67108864);
	assert_int_equal(s.limits.cpu_weight, 39);	/* crun's shares-to-weight */
	assert_int_equal(s.limits.cpu_quota_us, 50000);
	assert_int_equal(s.limits.pids_max, 64);
	spec_free(&s);
}

static void bad_configs_are_rejected(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "{\"ociVersion\":\"2.0\"}",
		"{\"ociVersion\":\"1.0\",\"root\":{\"path\":\"r\"}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[]},\"root\":{\"path\":\"r\"}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"]}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"],\"terminal\":true},\"root\":{\"path\":\"r\"}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":1000}},\"root\":{\"path\":\"r\"}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"mounts\":[{\"type\":\"tmpfs\"}]}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"rel\"}]}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"net\",\"path\":\"/x\"}]}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"cpu\":{\"shares\":1}}}}",
		"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"x\"]},\"root\":{\"path\":\"r\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":-5}}}}",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct container_spec s;
		struct herror err = { 0 };

		if (parse(bad[i], &s, &err) >= 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err.msg, "bundle config"));
		spec_free(&s);
	}
}

static void capabilities_and_seccomp_are_read(void **state)
{
	static const char cfg[] =
		"{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],"
		"\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"]}},"
		"\"root\":{\"path\":\"rootfs\"},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}}}";
	struct container_spec s;
	struct sock_fprog prog;
	struct herror err = { 0 };

	assert_int_equal(parse(cfg, &s, &err), 0);
	assert_true(s.has_caps);
	assert_int_equal(s.caps[CAPSET_BOUNDING], (1ull << 5) | (1ull << 0));
	assert_int_equal(s.caps[CAPSET_EFFECTIVE], 1ull << 5);
	assert_int_equal(s.caps[CAPSET_AMBIENT], 0);
	assert_non_null(s.seccomp);
	assert_int_equal(secfilter_build(&s, &prog, &err), 0);
	assert_true(prog.len > 4);
	secfilter_free(&prog);
	spec_free(&s);
}

static void bad_capabilities_and_seccomp_are_refused(void **state)
{
	static const char *const bad[] = {
		"\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}},\"linux\":{}}",
		"\"capabilities\":{\"bounding\":\"CAP_KILL\"}},\"linux\":{}}",
		"\"cwd\":\"/\"},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}}}",
		"\"cwd\":\"/\"},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1e30,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
		"\"cwd\":\"/\"},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":7,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct container_spec s;
		struct herror err = { 0 };
		char cfg[1024];

		snprintf(cfg, sizeof(cfg), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},"
			 "\"process\":{\"args\":[\"sh\"],%s", bad[i]);
		assert_true(parse(cfg, &s, &err) < 0);
		assert_non_null(strstr(err.msg, "bundle config"));
		spec_free(&s);
	}
}

static void default_filter_compiles(void **state)
{
	struct container_spec s;
	struct sock_fprog a, b;
	struct herror err = { 0 };

	spec_init(&s);
	assert_int_equal(secfilter_build(&s, &a, &err), 0);
	assert_int_equal(secfilter_build(&s, &b, &err), 0);	/* the cached copy */
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.filter, b.filter, a.len * sizeof(struct sock_filter));
	secfilter_free(&a);
	secfilter_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crun_style_config_parses),
		cmocka_unit_test(bad_configs_are_rejected),
		cmocka_unit_test(capabilities_and_seccomp_are_read),
		cmocka_unit_test(bad_capabilities_and_seccomp_are_refused),
		cmocka_unit_test(default_filter_compiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
