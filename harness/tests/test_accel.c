/* Accelerator choice: KVM only with hardware virtualization and its module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "accel.h"

static struct accel_choice decide(struct accel_facts f)
{
	struct accel_choice c;

	assert_int_equal(accel_decide(&f, &c), 0);
	return c;
}

static void test_real_kvm(void **state)
{
	struct accel_choice c = decide((struct accel_facts){ .dev_kvm = true, .hw_virt = true, .kvm_hw_module = true });

	(void)state;
	assert_int_equal(c.accel, ACCEL_KVM);
	assert_string_equal(accel_domain_type(c.accel), "kvm");
}

static void test_pvm_is_not_enough(void **state)
{
	struct accel_choice c = decide((struct accel_facts){ .dev_kvm = true, .kvm_pvm = true });

	(void)state;
	assert_int_equal(c.accel, ACCEL_TCG);
	assert_non_null(strstr(c.reason, "kvm_pvm"));
	assert_string_equal(accel_domain_type(c.accel), "qemu");
}

static void test_other_tcg_cases(void **state)
{
	(void)state;
	assert_int_equal(decide((struct accel_facts){ .hw_virt = true, .kvm_hw_module = true }).accel, ACCEL_TCG);
	assert_non_null(strstr(decide((struct accel_facts){ .dev_kvm = true }).reason, "vmx/svm"));
	assert_non_null(strstr(decide((struct accel_facts){ .dev_kvm = true, .hw_virt = true }).reason,
			       "kvm_intel"));
}

static void test_forced(void **state)
{
	struct accel_choice c;
	struct accel_facts f = { .forced = "tcg", .dev_kvm = true, .hw_virt = true, .kvm_hw_module = true };

	(void)state;
	assert_int_equal(decide(f).accel, ACCEL_TCG);
	assert_true(decide(f).forced);
	f.forced = "kvm";
	f.dev_kvm = false;
	assert_int_equal(decide(f).accel, ACCEL_KVM);
	f.forced = "xen";
	assert_int_equal(accel_decide(&f, &c), -EINVAL);
	assert_non_null(strstr(c.reason, "'xen'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_kvm),
		cmocka_unit_test(test_pvm_is_not_enough),
		cmocka_unit_test(test_other_tcg_cases),
		cmocka_unit_test(test_forced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
