/* Domain XML: parsed back with libxml2 and checked with XPath. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "domxml.h"

static struct domain_spec base(void)
{
	return (struct domain_spec){
		.name = "hr-x-vm1", .accel = ACCEL_TCG, .vcpus = 2, .memory_mib = 768,
		.kernel = "/img/vmlinuz", .initrd = "/img/initrd.img", .cmdline = "root=LABEL=harness-root",
		.disk_path = "/ov/vm1.qcow2", .disk_bus = "virtio", .disk_cache = "none", .disk_io = "default",
		.nic_model = "none", .console_log = "/ov/vm1.console.log",
	};
}

static char *xpath(const char *xml, const char *expr)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "d.xml", NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	char *out;

	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	out = (char *)xmlXPathCastToString(obj);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return out;
}

static void check(const char *xml, const char *expr, const char *want)
{
	char *got = xpath(xml, expr);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got '%s', want '%s'", expr, got, want);
	xmlFree(got);
}

static void test_tcg_defaults(void **state)
{
	struct domain_spec s = base();
	struct herror err = { 0 };
	char *xml = domxml_build(&s, &err);

	(void)state;
	assert_non_null(xml);
	check(xml, "string(/domain/@type)", "qemu");
	check(xml, "string(/domain/name)", "hr-x-vm1");
	check(xml, "string(/domain/memory)", "768");
	check(xml, "string(/domain/memory/@unit)", "MiB");
	check(xml, "string(/domain/vcpu)", "2");
	check(xml, "string(/domain/os/kernel)", "/img/vmlinuz");
	check(xml, "string(/domain/os/cmdline)", "root=LABEL=harness-root");
	check(xml, "string(/domain/devices/disk/driver/@cache)", "none");
	check(xml, "string(/domain/devices/disk/driver/@io)", "");
	check(xml, "string(/domain/devices/disk/target/@bus)", "virtio");
	check(xml, "string(/domain/devices/disk/target/@dev)", "vda");
	check(xml, "string(/domain/devices/disk/source/@file)", "/ov/vm1.qcow2");
	check(xml, "count(/domain/devices/interface)", "0");
	check(xml, "count(/domain/cputune)", "0");
	check(xml, "count(/domain/cpu)", "0");
	check(xml, "string(/domain/devices/channel/target/@name)", "org.qemu.guest_agent.0");
	check(xml, "string(/domain/devices/serial/source/@path)", "/ov/vm1.console.log");
	free(xml);
}

static void test_settings(void **state)
{
	struct domain_spec s = base();
	struct herror err = { 0 };
	char *xml;

	(void)state;
	s.accel = ACCEL_KVM;
	s.disk_bus = "scsi";
	s.disk_cache = "writeback";
	s.disk_io = "threads";
	s.nic_model = "e1000";
	s.shares = 2048;
	s.vcpu_cpuset = "1";
	xml = domxml_build(&s, &err);
	assert_non_null(xml);
	check(xml, "string(/domain/@type)", "kvm");
	check(xml, "string(/domain/cpu/@mode)", "host-passthrough");
	check(xml, "string(/domain/devices/controller[@type='scsi']/@model)", "virtio-scsi");
	check(xml, "string(/domain/devices/disk/target/@dev)", "sda");
	check(xml, "string(/domain/devices/disk/driver/@cache)", "writeback");
	check(xml, "string(/domain/devices/disk/driver/@io)", "threads");
	check(xml, "string(/domain/devices/interface/model/@type)", "e1000");
	check(xml, "string(/domain/cputune/shares)", "2048");
	check(xml, "count(/domain/cputune/vcpupin[@cpuset='1'])", "2");
	check(xml, "string(/domain/cputune/emulatorpin/@cpuset)", "1");
	free(xml);
}

static void test_escaping(void **state)
{
	struct domain_spec s = base();
	struct herror err = { 0 };
	char *xml;

	(void)state;
	s.disk_path = "/odd/<&>'\".qcow2";
	xml = domxml_build(&s, &err);
	assert_non_null(xml);
	check(xml, "string(/domain/devices/disk/source/@file)", "/odd/<&>'\".qcow2");
	free(xml);
}

/* An initramfs guest (image tiny): no disk and no controller, the prepared
 * initramfs as its initrd. */
static void test_no_disk(void **state)
{
	struct domain_spec s = base();
	struct herror err = { 0 };
	char *xml;

	(void)state;
	s.disk_path = NULL;
	s.disk_bus = "scsi";
	s.initrd = "/img/prepared-x.initrd";
	s.cmdline = "console=ttyS0";
	xml = domxml_build(&s, &err);
	assert_non_null(xml);
	check(xml, "count(//disk)", "0");
	check(xml, "count(//controller[@type='scsi'])", "0");
	check(xml, "string(/domain/os/initrd)", "/img/prepared-x.initrd");
	check(xml, "string(/domain/os/cmdline)", "console=ttyS0");
	check(xml, "count(//channel[target/@name='org.qemu.guest_agent.0'])", "1");
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcg_defaults),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_no_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
