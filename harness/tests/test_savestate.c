/* The saved state's key: what makes a saved state stale (image, payload,
 * the guest's shape as domain XML, QEMU's version), the reason given, and
 * key.json read back and refused when malformed. libvirt's own test driver
 * (test:///default) answers virConnectGetVersion; no daemon, no guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "savestate.h"

static char root[] = "/tmp/harness-test-savestate.XXXXXX";

static void write_manifest(const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/opt/harness/MANIFEST.sha256", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char dir[256];

	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/opt", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/opt/harness", root);
	mkdir(dir, 0755);
	write_manifest("abc  bin/one\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static struct guest_def def = {
	.name = "vm1", .image = "general", .vcpus = 1, .memory_mib = 768,
	.disk_bus = "virtio", .disk_cache = "default", .disk_io = "default", .nic_model = "virtio",
};

static void compute(virConnectPtr conn, const struct guest_def *d, const char *digest, struct savestate_key *k)
{
	struct guest g = { .def = d };
	struct herror err = { 0 };

	g.img.digest = (char *)digest;
	g.img.kernel = (char *)"/var/lib/harness/images/general-x/vmlinuz";
	g.img.initrd = (char *)"/var/lib/harness/images/general-x/initrd.img";
	assert_int_equal(savestate_key_compute(conn, &g, root, ACCEL_TCG, k, &err), 0);
}

static void test_key_changes(void **state)
{
	virConnectPtr conn = virConnectOpen("test:///default");
	struct savestate_key a, b;
	struct guest_def d2 = def;
	char *why;

	(void)state;
	assert_non_null(conn);
	compute(conn, &def, "d1", &a);
	compute(conn, &def, "d1", &b);
	assert_null(savestate_key_mismatch(&a, &b));
	assert_int_equal(strlen(a.xml_sha256), 64);
	assert_int_equal(strlen(a.payload_digest), 16);
	assert_true(a.qemu_version > 0);
	savestate_key_free(&b);

	/* Another image build. */
	compute(conn, &def, "d2", &b);
	why = savestate_key_mismatch(&a, &b);
	assert_non_null(why);
	assert_non_null(strstr(why, "image digest differs (saved d1, now d2)"));
	free(why);
	savestate_key_free(&b);

	/* Another shape: the domain XML differs. */
	d2.memory_mib = 1024;
	compute(conn, &d2, "d1", &b);
	why = savestate_key_mismatch(&a, &b);
	assert_non_null(why);
	assert_non_null(strstr(why, "domain XML differs"));
	free(why);
	savestate_key_free(&b);
	d2 = def;
	d2.disk_cache = "none";
	compute(conn, &d2, "d1", &b);
	why = savestate_key_mismatch(&a, &b);
	assert_non_null(strstr(why, "domain XML differs"));
	free(why);
	savestate_key_free(&b);

	/* Another build of the guest binaries. */
	write_manifest("abd  bin/one\n");
	compute(conn, &def, "d1", &b);
	why = savestate_key_mismatch(&a, &b);
	assert_non_null(why);
	assert_non_null(strstr(why, "payload digest differs"));
	free(why);
	write_manifest("abc  bin/one\n");
	savestate_key_free(&b);

	/* Another QEMU. */
	compute(conn, &def, "d1", &b);
	b.qemu_version++;
	why = savestate_key_mismatch(&a, &b);
	assert_non_null(strstr(why, "QEMU version differs"));
	free(why);
	savestate_key_free(&b);
	savestate_key_free(&a);
	virConnectClose(conn);
}

static void test_key_json(void **state)
{
	virConnectPtr conn = virConnectOpen("test:///default");
	struct savestate_key a, b;
	struct herror err = { 0 };
	cJSON *j;

	(void)state;
	compute(conn, &def, "d1", &a);
	j = savestate_key_json(&a);
	assert_int_equal(savestate_key_from_json(j, "key.json", &b, &err), 0);
	assert_null(savestate_key_mismatch(&a, &b));
	savestate_key_free(&b);

	/* Malformed: refused with the file and the field. */
	cJSON_DeleteItemFromObject(j, "xml_sha256");
	cJSON_AddNumberToObject(j, "xml_sha256", 3);
	assert_true(savestate_key_from_json(j, "key.json", &b, &err) < 0);
	assert_string_equal(err.msg, "key.json: xml_sha256: missing or not a string");
	cJSON_DeleteItemFromObject(j, "xml_sha256");
	cJSON_AddStringToObject(j, "xml_sha256", a.xml_sha256);
	cJSON_DeleteItemFromObject(j, "qemu_version");
	cJSON_AddStringToObject(j, "qemu_version", "9");
	error_clear(&err);
	assert_true(savestate_key_from_json(j, "key.json", &b, &err) < 0);
	assert_string_equal(err.msg, "key.json: qemu_version: missing or not a version number");
	cJSON_Delete(j);
	j = cJSON_CreateArray();
	assert_true(savestate_key_from_json(j, "key.json", &b, &err) < 0);
	error_clear(&err);
	assert_true(savestate_key_from_json(NULL, "key.json", &b, &err) < 0);
	assert_string_equal(err.msg, "key.json: not a JSON object");
	cJSON_Delete(j);
	savestate_key_free(&a);
	virConnectClose(conn);
}

static void test_info_json(void **state)
{
	struct guest g = { .def = &def };
	cJSON *o;

	(void)state;
	/* A guest that never tried a restore is a cold start. */
	o = savestate_info_json(&g);
	assert_string_equal(cJSON_GetObjectItem(o, "start")->valuestring, "cold");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "restored")));
	cJSON_Delete(o);
	savestate_note_cold(&g, "--no-restore");
	o = savestate_info_json(&g);
	assert_string_equal(cJSON_GetObjectItem(o, "cold_reason")->valuestring, "--no-restore");
	assert_null(cJSON_GetObjectItem(o, "saved_state"));
	cJSON_Delete(o);
	savestate_info_free(g.start);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_changes),
		cmocka_unit_test(test_key_json),
		cmocka_unit_test(test_info_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
