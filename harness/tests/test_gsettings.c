/* Guest settings as axes (gsettings.c): the table, the checks a suite gets
 * before anything starts (file, line, key), the settings of one run, and the
 * scratch disk's XML (hotplug.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments.h"
#include "gsettings.h"
#include "hotplug.h"
#include "plan.h"
#include "suite.h"

#define GUESTS                      \
	"suite: t\n"                \
	"repeats: 1\n"              \
	"guests:\n"                 \
	"  - name: vm1\n"           \
	"    image: general\n"      \
	"  - name: vm2\n"           \
	"    image: security\n"     \
	"    disk_cache: writeback\n" \
	"experiments:\n"            \
	"  - type: disk\n"          \
	"    vary:\n"

static int parse(const char *text, struct suite **s, struct herror *err)
{
	error_clear(err);
	*s = NULL;
	return suite_parse("t.yaml", text, strlen(text), s, err);
}

static void refused(const char *text, const char *msg)
{
	struct suite *s;
	struct herror err = { 0 };

	assert_int_equal(parse(text, &s, &err), -EINVAL);
	assert_null(s);
	if (strcmp(err.msg, msg) != 0)
		fail_msg("got '%s', want '%s'", err.msg, msg);
}

static void test_table(void **state)
{
	const struct gsetting *gs;

	(void)state;
	assert_int_equal(gsettings_count(), 5);
	gs = gsetting_find("disk_bus");
	assert_non_null(gs);
	assert_int_equal(gs->apply, GSETTING_SCRATCH_DISK);
	assert_true(gsetting_hotpluggable(gs, "virtio"));
	assert_true(gsetting_hotpluggable(gs, "scsi"));
	assert_false(gsetting_hotpluggable(gs, "sata"));
	gs = gsetting_find("vcpus");
	assert_int_equal(gs->apply, GSETTING_FRESH);
	assert_false(gsetting_hotpluggable(gs, "2"));
	assert_string_equal(gsetting_apply_name(gs->apply), "fresh-guest");
	assert_null(gsetting_find("nic_colour"));
	/* Every entry can be read and written back. */
	for (size_t i = 0; gsettings[i].key; i++) {
		struct guest_def g = { .name = "x", .image = "general", .vcpus = 1, .memory_mib = 1024,
				       .disk_bus = "virtio", .disk_cache = "none", .disk_io = "default", .nic_model = "none" };
		struct guest_def c;
		char v[64], back[64];
		bool changed[8];

		assert_non_null(gsettings[i].get);
		assert_non_null(gsettings[i].set);
		assert_true(gsettings[i].allowed || gsettings[i].check);
		gsettings[i].get(&g, v, sizeof(v));
		assert_int_equal(gsettings_effective(NULL, &(struct experiment_def){ 0 }, NULL, &g, &c, changed, v, 1), 0);
		assert_int_equal(gsettings[i].set(&c, v), 0);
		gsettings[i].get(&c, back, sizeof(back));
		assert_string_equal(v, back);
		gsettings_def_free(&c);
	}
}

static void test_accepted(void **state)
{
	struct suite *s;
	struct herror err = { 0 };
	struct plan p;

	(void)state;
	assert_int_equal(parse(GUESTS "      disk_cache: [none, writeback, unsafe]\n"
				      "      disk_bus: [virtio, sata]\n", &s, &err), 0);
	plan_build(s, &p);
	/* Every combination is a run: 3 x 2 x (1 warm-up + 1 repeat). */
	assert_int_equal(p.nruns, 12);
	plan_free(&p);
	suite_free(s);
	assert_int_equal(parse(GUESTS "      vm1.disk_cache: [none, unsafe]\n"
				      "      vm2.vcpus: [1, 2]\n"
				      "      disk_io: [threads, native]\n", &s, &err), -EINVAL);
	/* native is fine with vm1's none, not with unsafe, nor vm2's writeback. */
	assert_non_null(strstr(err.msg, "disk_io native needs disk_cache none or directsync"));
	assert_int_equal(parse(GUESTS "      vm1.disk_cache: [none, directsync]\n"
				      "      vm1.disk_io: [threads, native]\n"
				      "      memory_mib: [512, 1024]\n", &s, &err), 0);
	suite_free(s);
}

static void test_refused(void **state)
{
	(void)state;
	refused(GUESTS "      disk_io: native\n      disk_cache: [none, writeback]\n",
		"t.yaml:12: vary: disk_io native needs disk_cache none or directsync, not 'writeback' (guest 'vm1')");
	/* vm2's own cache mode is writeback. */
	refused(GUESTS "      disk_io: native\n",
		"t.yaml:12: vary: disk_io native needs disk_cache none or directsync, not 'writeback' (guest 'vm2')");
	refused(GUESTS "      vm3.disk_cache: none\n", "t.yaml:12: vm3.disk_cache: 'vm3' is not a guest of the suite");
	refused(GUESTS "      vm1.disk_colour: red\n",
		"t.yaml:12: vm1.disk_colour: 'disk_colour' is not a guest setting (guest settings: disk_cache, "
		"disk_bus, disk_io, vcpus, memory_mib, and those the table adds)");
	refused(GUESTS "      disk_cache: [none, sometimes]\n",
		"t.yaml:12: disk_cache: 'sometimes' is not one of: none, writeback, writethrough, directsync, unsafe, default");
	refused(GUESTS "      vcpus: [1, 0]\n", "t.yaml:12: vcpus: '0' is not a whole number in 1..64");
	refused(GUESTS "      disk_cache: none\n      vm1.disk_cache: unsafe\n",
		"t.yaml:12: vary: 'disk_cache' is varied both for every guest and for guest 'vm1'");
	/* An experiment that does not list a guest setting does not accept it. */
	refused("suite: t\nguests:\n  - name: vm1\n    image: general\nexperiments:\n  - type: nice\n    vary:\n"
		"      vm1.disk_cache: none\n",
		"t.yaml:8: vm1.disk_cache: nice does not vary the guest setting 'disk_cache'");
}

static void test_effective(void **state)
{
	struct suite *s;
	struct herror err = { 0 };
	struct guest_def g;
	bool changed[8];
	char why[200];
	const char *vals[] = { "unsafe", "2", "sata" };

	(void)state;
	assert_int_equal(parse(GUESTS "      disk_cache: none\n      vm2.vcpus: 1\n      vm1.disk_bus: virtio\n", &s,
			       &err), 0);
	/* vm1 gets the cache for all and its own bus; vm2 the cache and its vCPUs. */
	assert_int_equal(gsettings_effective(s, &s->exps[0], vals, &s->guests[0], &g, changed, why, sizeof(why)), 0);
	assert_string_equal(g.disk_cache, "unsafe");
	assert_string_equal(g.disk_bus, "sata");
	assert_int_equal(g.vcpus, 1);
	assert_true(changed[gsetting_find("disk_cache") - gsettings]);
	assert_false(changed[gsetting_find("vcpus") - gsettings]);
	gsettings_def_free(&g);
	assert_int_equal(gsettings_effective(s, &s->exps[0], vals, &s->guests[1], &g, changed, why, sizeof(why)), 0);
	assert_string_equal(g.disk_cache, "unsafe");
	assert_string_equal(g.disk_bus, "virtio");
	assert_int_equal(g.vcpus, 2);
	assert_true(changed[gsetting_find("vcpus") - gsettings]);
	assert_false(changed[gsetting_find("disk_bus") - gsettings]);
	gsettings_def_free(&g);
	suite_free(s);
}

static void test_scratch_xml(void **state)
{
	struct hotplug_scratch sc = { .path = "/var/lib/x/scratch-vm1.raw", .target = "vdz", .bus = "virtio",
				      .cache = "writeback", .io = "default" };
	char *xml = hotplug_disk_xml(&sc), *p;

	(void)state;
	assert_non_null(strstr(xml, "<driver name='qemu' type='raw' cache='writeback'/>"));
	assert_non_null(strstr(xml, "<target dev='vdz' bus='virtio'/>"));
	assert_non_null(strstr(xml, "<serial>" HOTPLUG_SCRATCH_SERIAL "</serial>"));
	assert_non_null(strstr(xml, "<alias name='" HOTPLUG_SCRATCH_ALIAS "'/>"));
	free(xml);
	sc.cache = "none";
	sc.io = "native";
	xml = hotplug_disk_xml(&sc);
	assert_non_null(strstr(xml, "cache='none' io='native'"));
	/* No address but for SCSI: controller 0 unit 1, so that libvirt adds
	 * no controllers of its own for the target name. */
	assert_null(strstr(xml, "<address"));
	free(xml);
	sc.bus = "scsi";
	sc.target = "sdz";
	xml = hotplug_disk_xml(&sc);
	assert_non_null(strstr(xml, "<target dev='sdz' bus='scsi'/>"));
	assert_non_null(strstr(xml, "<address type='drive' controller='0' bus='0' target='0' unit='1'/></disk>"));
	free(xml);
	p = hotplug_guest_path("virtio", "s");
	assert_string_equal(p, "/dev/disk/by-id/virtio-s");
	free(p);
	p = hotplug_guest_path("sata", "s");
	assert_string_equal(p, "/dev/disk/by-id/ata-QEMU_HARDDISK_s");
	free(p);
	p = hotplug_guest_path("scsi", "s");
	assert_string_equal(p, "/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_s");
	free(p);
}

/* The settings suite sweeps cache x bus for vm1 (and dd per cache mode). */
static void test_settings_suite(void **state)
{
	const char *dir = getenv("HARNESS_SUITES");
	struct suite *s = NULL;
	struct herror err = { 0 };
	struct plan p;
	char *path;

	(void)state;
	if (dir == NULL)
		skip();
	path = suite_resolve("settings", dir);
	if (suite_load(path, &s, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	plan_build(s, &p);
	/* disk: 3 x 3 cache x bus + 3 dd; network: vhost on/off + 2 NIC models;
	 * each combination x (1 warm-up + 3 repeats) */
	assert_int_equal(p.nruns, (3 * 3 + 3 + 2 + 2) * 4);
	plan_free(&p);
	suite_free(s);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_scratch_xml),
		cmocka_unit_test(test_settings_suite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
