#include "accel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool cpuinfo_has_hw_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[8192];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
			if (strcmp(tok, "vmx") == 0 || strcmp(tok, "svm") == 0)
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static bool module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

void accel_probe(struct accel_facts *f)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	memset(f, 0, sizeof(*f));
	f->dev_kvm = fd >= 0;
	if (fd >= 0)
		close(fd);
	f->hw_virt = cpuinfo_has_hw_virt();
	f->kvm_hw_module = module_loaded("kvm_intel") || module_loaded("kvm_amd");
	f->kvm_pvm = module_loaded("kvm_pvm");
	f->forced = getenv("HARNESS_ACCEL");
	if (f->forced && *f->forced == '\0')
		f->forced = NULL;
}

int accel_decide(const struct accel_facts *f, struct accel_choice *out)
{
	memset(out, 0, sizeof(*out));
	if (f->forced) {
		out->forced = true;
		if (strcmp(f->forced, "tcg") == 0) {
			out->accel = ACCEL_TCG;
			snprintf(out->reason, sizeof(out->reason), "forced by HARNESS_ACCEL=tcg");
			return 0;
		}
		if (strcmp(f->forced, "kvm") == 0) {
			out->accel = ACCEL_KVM;
			snprintf(out->reason, sizeof(out->reason), "forced by HARNESS_ACCEL=kvm");
			return 0;
		}
		snprintf(out->reason, sizeof(out->reason),
			 "HARNESS_ACCEL must be 'kvm' or 'tcg', not '%s'", f->forced);
		return -EINVAL;
	}
	out->accel = ACCEL_TCG;
	if (!f->dev_kvm)
		snprintf(out->reason, sizeof(out->reason), "no usable /dev/kvm");
	else if (!f->hw_virt && f->kvm_pvm)
		snprintf(out->reason, sizeof(out->reason),
			 "/dev/kvm is the paravirtual nested hypervisor kvm_pvm, which cannot run a stock guest kernel");
	else if (!f->hw_virt)
		snprintf(out->reason, sizeof(out->reason),
			 "/dev/kvm exists but the CPU shows no hardware virtualization (vmx/svm)");
	else if (!f->kvm_hw_module)
		snprintf(out->reason, sizeof(out->reason),
			 "the CPU has vmx/svm but neither kvm_intel nor kvm_amd is loaded");
	else {
		out->accel = ACCEL_KVM;
		snprintf(out->reason, sizeof(out->reason),
			 "hardware virtualization (vmx/svm) with kvm_intel/kvm_amd loaded");
	}
	return 0;
}

const char *accel_name(enum accel a)
{
	return a == ACCEL_KVM ? "kvm" : "tcg";
}

const char *accel_domain_type(enum accel a)
{
	return a == ACCEL_KVM ? "kvm" : "qemu";
}
