/* Libvirt domain XML from a guest's settings, written with libxml2. */
#ifndef HARNESS_DOMXML_H
#define HARNESS_DOMXML_H

#include "accel.h"
#include "util.h"

struct domain_spec {
	const char *name;
	enum accel accel;
	int vcpus;
	int memory_mib;
	const char *kernel;		/* direct kernel boot */
	const char *initrd;
	const char *cmdline;
	const char *disk_path;		/* the run's qcow2 overlay; NULL: no disk (an initramfs guest) */
	const char *disk_bus;		/* virtio, sata, scsi */
	const char *disk_cache;		/* none, writeback, ..., default */
	const char *disk_io;		/* native, threads, io_uring, default */
	const char *nic_model;		/* none, virtio, e1000, rtl8139 */
	const char *console_log;	/* serial console written to this file */
	unsigned long shares;		/* <cputune><shares>; 0 leaves it out */
	const char *extra_devices_xml;	/* trusted XML written inside <devices>, or NULL */
	const char *vcpu_cpuset;	/* pin every vCPU and the emulator here; NULL: no pinning */
};

/* Returns a malloc'd XML document, or NULL with err set. */
char *domxml_build(const struct domain_spec *spec, struct herror *err);

/* A migration's destination XML (storage: copy): xml (the domain's
 * migratable XML) with its disk source src_disk replaced by dest_disk, the
 * overlay the destination made. NULL when xml has no such disk. */
char *domxml_dest_disk(const char *xml, const char *src_disk, const char *dest_disk);

#endif
