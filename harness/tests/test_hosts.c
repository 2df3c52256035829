/* hosts: in suite files (names, URIs, addresses, a guest's host), the
 * address a migration goes to, and the migration experiment's "to". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "records.h"
#include "suite.h"

static const char two_hosts[] =
	"suite: t\n"
	"hosts:\n"
	"  - name: h1\n"
	"    uri: qemu:///system\n"
	"    address: 169.254.77.1\n"
	"  - name: h2\n"
	"    uri: qemu+ssh://bench@host-b.example/system?keyfile=/k\n"
	"guests:\n"
	"  - name: vm1\n"
	"    image: general\n"
	"  - name: vm2\n"
	"    image: general\n"
	"    host: h2\n"
	"experiments:\n"
	"  - type: migration\n"
	"    vary:\n"
	"      to: [h2]\n";

static int parse(const char *text, struct suite **s, struct herror *err)
{
	error_clear(err);
	return suite_parse("t.yaml", text, strlen(text), s, err);
}

static void expect_error(const char *text, const char *fragment)
{
	struct suite *s = NULL;
	struct herror err = { 0 };

	assert_int_equal(parse(text, &s, &err), -EINVAL);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("expected '%s' in '%s'", fragment, err.msg);
	assert_null(s);
}

static void test_two_hosts(void **state)
{
	struct suite *s;
	struct herror err = { 0 };
	char *a;

	(void)state;
	assert_int_equal(parse(two_hosts, &s, &err), 0);
	assert_int_equal(s->nhosts, 2);
	assert_string_equal(s->hosts[1].uri, "qemu+ssh://bench@host-b.example/system?keyfile=/k");
	assert_ptr_equal(hosts_of_guest(s, &s->guests[0]), &s->hosts[0]);
	assert_ptr_equal(hosts_of_guest(s, &s->guests[1]), &s->hosts[1]);
	assert_ptr_equal(hosts_find(s, "h2"), &s->hosts[1]);
	assert_null(hosts_find(s, "h3"));
	a = hosts_migration_address(&s->hosts[0], &err);
	assert_string_equal(a, "169.254.77.1");
	free(a);
	/* No address: the URI's host, without user or port. */
	a = hosts_migration_address(&s->hosts[1], &err);
	assert_string_equal(a, "host-b.example");
	free(a);
	suite_free(s);
}

static void test_default_host(void **state)
{
	struct suite *s;
	struct herror err = { 0 };
	char *a;

	(void)state;
	assert_int_equal(parse("suite: t\nguests:\n  - name: vm1\n    image: general\n"
			       "experiments:\n  - type: boot\n", &s, &err), 0);
	assert_int_equal(s->nhosts, 1);
	assert_string_equal(s->hosts[0].name, "local");
	assert_null(s->hosts[0].uri);
	assert_string_equal(hosts_uri(&s->hosts[0]), getenv("HARNESS_LIBVIRT_URI") ?: "qemu:///system");
	/* The local host has no address a migration could reach. */
	a = hosts_migration_address(&s->hosts[0], &err);
	assert_null(a);
	assert_non_null(strstr(err.msg, "address"));
	suite_free(s);
}

static void test_bad_hosts(void **state)
{
	(void)state;
	expect_error("suite: t\nhosts: h1\nguests:\n  - {name: vm1, image: general}\nexperiments:\n  - type: boot\n",
		     "t.yaml:2: hosts: expected a list of hosts");
	expect_error("suite: t\nhosts:\n  - {name: h1}\nguests:\n  - {name: vm1, image: general}\n"
		     "experiments:\n  - type: boot\n",
		     "t.yaml:3: hosts: host 'h1' needs a uri");
	expect_error("suite: t\nhosts:\n  - {name: h1, uri: not-a-uri}\nguests:\n  - {name: vm1, image: general}\n"
		     "experiments:\n  - type: boot\n",
		     "t.yaml:3: uri: 'not-a-uri' is not a libvirt URI");
	expect_error("suite: t\nhosts:\n  - {name: h1, uri: 'qemu:///system', port: 1}\nguests:\n"
		     "  - {name: vm1, image: general}\nexperiments:\n  - type: boot\n",
		     "t.yaml:3: port: unknown key in a host");
	expect_error("suite: t\nhosts:\n  - {name: h1, uri: 'qemu:///system'}\n  - {name: h1, uri: 'qemu:///session'}\n"
		     "guests:\n  - {name: vm1, image: general}\nexperiments:\n  - type: boot\n",
		     "duplicate host name 'h1'");
	expect_error("suite: t\nhosts:\n  - {name: H1, uri: 'qemu:///system'}\nguests:\n"
		     "  - {name: vm1, image: general}\nexperiments:\n  - type: boot\n",
		     "'H1' may hold only");
	expect_error("suite: t\nhosts:\n  - {name: h1, uri: 'qemu:///system', address: 'a b;c'}\nguests:\n"
		     "  - {name: vm1, image: general}\nexperiments:\n  - type: boot\n",
		     "address: 'a b;c' is not a host name or an IP address");
	expect_error("suite: t\nhosts:\n  - {name: h1, uri: 'qemu:///system'}\nguests:\n"
		     "  - {name: vm1, image: general, host: h9}\nexperiments:\n  - type: boot\n",
		     "t.yaml:5: host: 'h9' is not a host of the suite (hosts: h1)");
	/* The first host is this machine: its guests borrow the standing guests. */
	expect_error("suite: t\nhosts:\n  - {name: far, uri: 'qemu+ssh://bench@host-b/system'}\n"
		     "  - {name: h1, uri: 'qemu:///system'}\nguests:\n  - {name: vm1, image: general}\n"
		     "experiments:\n  - type: boot\n",
		     "t.yaml:3: uri: the first host must be this machine (qemu:///system)");
	/* A guest's host needs hosts: (the default host is "local"). */
	expect_error("suite: t\nguests:\n  - {name: vm1, image: general, host: h2}\nexperiments:\n  - type: boot\n",
		     "'h2' is not a host of the suite (hosts: local)");
	/* The migration's destination must be one of them. */
	expect_error("suite: t\nhosts:\n  - {name: h1, uri: 'qemu:///system'}\nguests:\n"
		     "  - {name: vm1, image: general}\nexperiments:\n  - type: migration\n    vary:\n      to: [h7]\n",
		     "to: 'h7' is not a host of the suite's hosts");
}

#define TWO_HOSTS "hosts:\n  - {name: h1, uri: 'qemu:///system'}\n  - {name: h2, uri: 'qemu+tcp://169.254.77.2/system'}\n"

/* parallel: hosts and pool_hosts: what is accepted and what is refused,
 * with file, line and key. */
static void test_parallel_hosts(void **state)
{
	struct suite *s;
	struct herror err = { 0 };

	(void)state;
	assert_int_equal(parse("suite: t\nparallel: hosts\n" TWO_HOSTS "guests:\n  - {name: vm1, image: general}\n"
			       "experiments:\n  - type: nice\n", &s, &err), 0);
	assert_true(s->parallel_hosts);
	assert_false(s->pool_hosts);
	suite_free(s);
	assert_int_equal(parse("suite: t\nparallel: hosts\npool_hosts: true\n" TWO_HOSTS
			       "guests:\n  - {name: vm1, image: general}\nexperiments:\n  - type: nice\n", &s, &err), 0);
	assert_true(s->parallel_hosts && s->pool_hosts);
	suite_free(s);
	assert_int_equal(parse("suite: t\nparallel: none\n" TWO_HOSTS "guests:\n  - {name: vm1, image: general}\n"
			       "experiments:\n  - type: nice\n", &s, &err), 0);
	assert_false(s->parallel_hosts);
	suite_free(s);

	expect_error("suite: t\nparallel: hosts\nguests:\n  - {name: vm1, image: general}\nexperiments:\n"
		     "  - type: nice\n", "t.yaml:2: parallel: 'hosts' needs at least two hosts");
	expect_error("suite: t\nparallel: everywhere\n" TWO_HOSTS "guests:\n  - {name: vm1, image: general}\n"
		     "experiments:\n  - type: nice\n", "t.yaml:2: parallel: 'everywhere' is not one of: none, hosts");
	expect_error("suite: t\npool_hosts: true\n" TWO_HOSTS "guests:\n  - {name: vm1, image: general}\n"
		     "experiments:\n  - type: nice\n", "t.yaml:2: pool_hosts: only means something with");
	expect_error("suite: t\nparallel: hosts\npool_hosts: maybe\n" TWO_HOSTS "guests:\n"
		     "  - {name: vm1, image: general}\nexperiments:\n  - type: nice\n",
		     "t.yaml:3: pool_hosts: 'maybe' is not one of: true, false");
	expect_error("suite: t\nparallel: hosts\nrepeats: auto\n" TWO_HOSTS "guests:\n"
		     "  - {name: vm1, image: general}\nexperiments:\n  - type: nice\n",
		     "t.yaml:2: parallel: 'hosts' cannot be used with 'repeats: auto'");
	expect_error("suite: t\nparallel: hosts\n" TWO_HOSTS "guests:\n  - {name: vm1, image: general, host: h2}\n"
		     "experiments:\n  - type: nice\n", "guest 'vm1' names a host");
	/* Runs that span hosts, or run without guests, cannot be spread. */
	expect_error("suite: t\nparallel: hosts\n" TWO_HOSTS "guests:\n  - {name: vm1, image: general}\n"
		     "experiments:\n  - type: nice\n  - type: migration\n    vary:\n      to: [h2]\n",
		     "t.yaml:10: type: migration cannot be spread over hosts by 'parallel: hosts' (its runs span hosts)");
}

/* Records of different hosts are never one group, unless the suite pooled them. */
static void test_groups_by_host(void **state)
{
	cJSON *h1 = cJSON_Parse("{\"experiment\":\"nice\",\"settings\":{},\"host\":\"h1\"}");
	cJSON *h1b = cJSON_Parse("{\"experiment\":\"nice\",\"settings\":{},\"host\":\"h1\"}");
	cJSON *h2 = cJSON_Parse("{\"experiment\":\"nice\",\"settings\":{},\"host\":\"h2\"}");
	cJSON *none = cJSON_Parse("{\"experiment\":\"nice\",\"settings\":{}}");
	cJSON *p1 = cJSON_Parse("{\"experiment\":\"nice\",\"settings\":{},\"host\":\"h1\",\"hosts_pooled\":true}");
	cJSON *p2 = cJSON_Parse("{\"experiment\":\"nice\",\"settings\":{},\"host\":\"h2\",\"hosts_pooled\":true}");

	(void)state;
	assert_true(records_same_group(h1, h1b));
	assert_false(records_same_group(h1, h2));
	assert_false(records_same_group(h1, none));
	assert_true(records_same_group(none, none));
	assert_true(records_same_group(p1, p2));
	cJSON_Delete(h1); cJSON_Delete(h1b); cJSON_Delete(h2); cJSON_Delete(none); cJSON_Delete(p1); cJSON_Delete(p2);
}

/* Whether an image on a host is taken as it is or (partly) sent again. */
static void test_image_state(void **state)
{
	const unsigned long long local[4] = { 356253696, 15925248, 12142528, 9405039 };
	const long long same[4] = { 356253696, 15925248, 12142528, 9405039 };
	const long long cut[4] = { 356253696, 15925248, 1 << 20, 9405039 };
	const long long none[4] = { -1, -1, -1, -1 };
	const long long no_kernel[4] = { 356253696, 15925248, -1, 9405039 };

	(void)state;
	assert_int_equal(hosts_image_state_of(local, same, 4, false), HOSTS_IMAGE_PRESENT);
	assert_int_equal(hosts_image_state_of(local, same, 4, true), HOSTS_IMAGE_REUSED);
	/* A completed upload whose file was cut later is not reused. */
	assert_int_equal(hosts_image_state_of(local, cut, 4, true), HOSTS_IMAGE_MISSING);
	assert_int_equal(hosts_image_state_of(local, none, 4, false), HOSTS_IMAGE_MISSING);
	assert_int_equal(hosts_image_state_of(local, no_kernel, 4, true), HOSTS_IMAGE_MISSING);
	assert_string_equal(hosts_image_state_name(HOSTS_IMAGE_UPLOADED), "uploaded");
	assert_string_equal(hosts_image_state_name(HOSTS_IMAGE_REUSED), "reused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_hosts),
		cmocka_unit_test(test_default_host),
		cmocka_unit_test(test_bad_hosts),
		cmocka_unit_test(test_image_state),
		cmocka_unit_test(test_parallel_hosts),
		cmocka_unit_test(test_groups_by_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
