/* The network experiment's pure parts: the isolated network's XML has no
 * address and no forwarding, the NIC's XML carries the model and the vhost
 * back-end only for virtio, names fit the kernel's 15 characters for any
 * pid and lead back to it, bad settings and combinations are refused, and
 * latency summaries become CDF points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_network.h"
#include "netiso.h"
#include "suite.h"

static void test_network_xml_isolated(void **state)
{
	struct netiso n;
	char *xml;

	(void)state;
	netiso_names(&n, 4194304);
	xml = netiso_network_xml(&n);
	assert_non_null(strstr(xml, "<name>harness-net-4194304</name>"));
	assert_non_null(strstr(xml, "<bridge name='hnb4194304'"));
	/* No <forward>: isolated; no <ip>: the host has no address on it. */
	assert_null(strstr(xml, "<forward"));
	assert_null(strstr(xml, "<ip"));
	assert_null(strstr(xml, "<dhcp"));
	free(xml);
}

static void test_names_fit_and_lead_back(void **state)
{
	static const pid_t pids[] = { 1, 42, 99999, 4194304 };

	(void)state;
	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		struct netiso n;
		netiso_names(&n, pids[i]);
		/* IFNAMSIZ - 1 */
		assert_true(strlen(n.bridge) <= 15);
		assert_true(strlen(n.veth_host) <= 15);
		assert_true(strlen(n.veth_ns) <= 15);
		assert_int_equal(netiso_name_pid(n.name), pids[i]);
	}
	assert_int_equal(netiso_name_pid("harness-net-"), -1);
	assert_int_equal(netiso_name_pid("harness-net-12x"), -1);
	assert_int_equal(netiso_name_pid("harness-net--3"), -1);
	assert_int_equal(netiso_name_pid("default"), -1);
	assert_int_equal(netiso_name_pid("harness-net-99999999"), -1);
}

static void test_nic_xml(void **state)
{
	char *on = netiso_nic_xml("harness-net-7", "52:54:00:00:07:01", "virtio", true);
	char *off = netiso_nic_xml("harness-net-7", "52:54:00:00:07:01", "virtio", false);
	char *e1000e = netiso_nic_xml("harness-net-7", "52:54:00:00:07:02", "e1000e", true);
	char *rtl = netiso_nic_xml("harness-net-7", "52:54:00:00:07:02", "rtl8139", false);

	(void)state;
	assert_non_null(strstr(on, "<source network='harness-net-7'/>"));
	assert_non_null(strstr(on, "<mac address='52:54:00:00:07:01'/>"));
	assert_non_null(strstr(on, "<model type='virtio'/>"));
	assert_non_null(strstr(on, "<driver name='vhost'/>"));
	assert_non_null(strstr(off, "<driver name='qemu'/>"));
	assert_non_null(strstr(e1000e, "<model type='e1000e'/>"));
	assert_null(strstr(e1000e, "<driver"));
	assert_non_null(strstr(rtl, "<model type='rtl8139'/>"));
	assert_null(strstr(rtl, "<driver"));
	free(on);
	free(off);
	free(e1000e);
	free(rtl);
}

static void test_mac_and_addr(void **state)
{
	char a[24], b[24], addr[20];

	(void)state;
	netiso_mac(0x1234, 0, a, sizeof(a));
	netiso_mac(0x1234, 1, b, sizeof(b));
	assert_string_equal(a, "52:54:00:12:34:01");
	assert_string_equal(b, "52:54:00:12:34:02");
	netiso_guest_addr(1, addr, sizeof(addr));
	assert_string_equal(addr, NETISO_SUBNET ".12");
}

static void test_combination(void **state)
{
	char why[200];

	(void)state;
	assert_int_equal(network_check_combination("virtio", "on", why, sizeof(why)), 0);
	assert_int_equal(network_check_combination("virtio", "off", why, sizeof(why)), 0);
	assert_int_equal(network_check_combination("e1000e", "off", why, sizeof(why)), 0);
	assert_int_equal(network_check_combination("rtl8139", "on", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "vhost=on needs nic_model virtio, not 'rtl8139'"));
}

/* A value the descriptor does not list is refused with file, line and key. */
static void test_bad_settings_refused(void **state)
{
	static const char *const bad[][2] = { { "nic_model", "e1000" }, { "nic_model", "ne2k_pci" }, { "vhost", "yes" } };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024], want[128];
		struct suite *s = NULL;
		struct herror err = { 0 };

		snprintf(text, sizeof(text),
			 "suite: t\nguests:\n  - name: vm1\n    image: general\n  - name: vm2\n    image: security\n"
			 "experiments:\n  - type: network\n    vary:\n      %s: [\"%s\"]\n",
			 bad[i][0], bad[i][1]);
		assert_true(suite_parse("t.yaml", text, strlen(text), &s, &err) < 0);
		assert_null(s);
		snprintf(want, sizeof(want), "t.yaml:10: %s", bad[i][0]);
		if (strstr(err.msg, want) == NULL)
			fail_msg("error '%s' does not contain '%s'", err.msg, want);
	}
}

/* Settings that pass alone but not together are refused before anything
 * starts, in any combination of the axes, with file, line and key; the
 * combinations that work are accepted. */
static void test_bad_combination_refused(void **state)
{
	static const char *const vary[] = {
		"      nic_model: [virtio, e1000e]\n      vhost: [\"off\", \"on\"]\n",
		"      nic_model: rtl8139\n      vhost: \"on\"\n",
	};
	const char *good = "      nic_model: virtio\n      vhost: [\"on\", \"off\"]\n";
	char text[1024];
	struct suite *s = NULL;
	struct herror err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(vary) / sizeof(vary[0]); i++) {
		snprintf(text, sizeof(text),
			 "suite: t\nguests:\n  - name: vm1\n    image: general\n  - name: vm2\n    image: security\n"
			 "experiments:\n  - type: network\n    vary:\n%s", vary[i]);
		error_clear(&err);
		assert_true(suite_parse("t.yaml", text, strlen(text), &s, &err) < 0);
		assert_null(s);
		if (strstr(err.msg, "t.yaml:10: vary: vhost=on needs nic_model virtio, not '") == NULL)
			fail_msg("error '%s' does not name the combination", err.msg);
	}
	snprintf(text, sizeof(text),
		 "suite: t\nguests:\n  - name: vm1\n    image: general\n  - name: vm2\n    image: security\n"
		 "experiments:\n  - type: network\n    vary:\n%s", good);
	error_clear(&err);
	if (suite_parse("t.yaml", text, strlen(text), &s, &err) < 0)
		fail_msg("virtio with vhost on and off refused: %s", err.msg);
	suite_free(s);
}

static void test_cdf_points(void **state)
{
	cJSON *rtt = cJSON_Parse("{\"count\": 100, \"min\": 80, \"mean\": 120, \"p50\": 100, \"p90\": 150, "
				 "\"p99\": 400, \"p999\": 900, \"max\": 1000}");
	cJSON *partial = cJSON_Parse("{\"p50\": 100, \"p90\": null, \"p99\": 90, \"max\": 300}");
	double x[8], y[8];

	(void)state;
	assert_int_equal(network_cdf_points(rtt, x, y, 8), 6);
	assert_true(x[0] == 80 && y[0] == 0);
	assert_true(x[1] == 100 && y[1] == 0.5);
	assert_true(x[3] == 400 && y[3] == 0.99);
	assert_true(x[5] == 1000 && y[5] == 1);
	/* Missing and out-of-order values are left out, never plotted backwards. */
	assert_int_equal(network_cdf_points(partial, x, y, 8), 2);
	assert_true(x[0] == 100 && x[1] == 300 && y[1] == 1);
	assert_int_equal(network_cdf_points(NULL, x, y, 8), 0);
	assert_int_equal(network_cdf_points(rtt, x, y, 3), 3);
	cJSON_Delete(rtt);
	cJSON_Delete(partial);
}

/* The settings suite's network entries parse. */
static void test_settings_suite_parses(void **state)
{
	const char *dir = getenv("HARNESS_SUITES");
	struct suite *s = NULL;
	struct herror err = { 0 };
	char *path;

	(void)state;
	if (dir == NULL)
		skip();
	path = suite_resolve("settings", dir);
	if (suite_load(path, &s, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	suite_free(s);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_xml_isolated),
		cmocka_unit_test(test_names_fit_and_lead_back),
		cmocka_unit_test(test_nic_xml),
		cmocka_unit_test(test_mac_and_addr),
		cmocka_unit_test(test_combination),
		cmocka_unit_test(test_bad_combination_refused),
		cmocka_unit_test(test_bad_settings_refused),
		cmocka_unit_test(test_cdf_points),
		cmocka_unit_test(test_settings_suite_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
