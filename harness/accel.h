/* Choice of the QEMU accelerator: KVM only where it really works. */
#ifndef HARNESS_ACCEL_H
#define HARNESS_ACCEL_H

#include <stdbool.h>

enum accel { ACCEL_TCG, ACCEL_KVM };

/* What the host shows; filled by accel_probe(), or by a test. */
struct accel_facts {
	bool dev_kvm;		/* /dev/kvm exists and opens */
	bool hw_virt;		/* vmx or svm in /proc/cpuinfo */
	bool kvm_hw_module;	/* kvm_intel or kvm_amd loaded */
	bool kvm_pvm;		/* the paravirtual nested module is loaded */
	const char *forced;	/* HARNESS_ACCEL value, or NULL */
};

struct accel_choice {
	enum accel accel;
	bool forced;
	char reason[256];
};

/* Read the facts from /proc, /sys and /dev. */
void accel_probe(struct accel_facts *f);
/* Decide from the facts alone; returns -EINVAL for a bad HARNESS_ACCEL. */
int accel_decide(const struct accel_facts *f, struct accel_choice *out);
const char *accel_name(enum accel a);
/* "kvm" or "qemu": the libvirt domain type for the accelerator. */
const char *accel_domain_type(enum accel a);

#endif
