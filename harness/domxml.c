#include "domxml.h"

#include <errno.h>
#include <string.h>
#include <libxml/xmlwriter.h>

#define W(call) do { if ((call) < 0) goto fail; } while (0)

static int elem_text(xmlTextWriterPtr w, const char *name, const char *text)
{
	return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value);
}

static int start(xmlTextWriterPtr w, const char *name)
{
	return xmlTextWriterStartElement(w, BAD_CAST name);
}

static int end(xmlTextWriterPtr w)
{
	return xmlTextWriterEndElement(w);
}

static const char *disk_target(const char *bus)
{
	return strcmp(bus, "virtio") == 0 ? "vda" : "sda";
}

/* The guest's disk (the run's overlay) and the controller its bus needs. */
static int disk_xml(xmlTextWriterPtr w, const struct domain_spec *s)
{
#define D(call) do { if ((call) < 0) return -1; } while (0)
	if (strcmp(s->disk_bus, "scsi") == 0) {
		D(start(w, "controller"));
		D(attr(w, "type", "scsi"));
		D(attr(w, "model", "virtio-scsi"));
		D(end(w));
	}
	D(start(w, "disk"));
	D(attr(w, "type", "file"));
	D(attr(w, "device", "disk"));
	D(start(w, "driver"));
	D(attr(w, "name", "qemu"));
	D(attr(w, "type", "qcow2"));
	if (strcmp(s->disk_cache, "default") != 0)
		D(attr(w, "cache", s->disk_cache));
	if (strcmp(s->disk_io, "default") != 0)
		D(attr(w, "io", s->disk_io));
	D(end(w));
	D(start(w, "source"));
	D(attr(w, "file", s->disk_path));
	D(end(w));
	D(start(w, "target"));
	D(attr(w, "dev", disk_target(s->disk_bus)));
	D(attr(w, "bus", s->disk_bus));
	D(end(w));
	return end(w);
#undef D
}

char *domxml_build(const struct domain_spec *s, struct herror *err)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = NULL;
	char num[64];
	char *out = NULL;

	if (buf == NULL || (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		goto fail;
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	W(start(w, "domain"));
	W(attr(w, "type", accel_domain_type(s->accel)));
	W(elem_text(w, "name", s->name));
	W(start(w, "metadata"));
	W(xmlTextWriterStartElementNS(w, BAD_CAST "harness", BAD_CAST "guest",
				      BAD_CAST "https://harness.invalid/ns/guest/1"));
	W(attr(w, "accel", accel_name(s->accel)));
	W(end(w));
	W(end(w));
	snprintf(num, sizeof(num), "%d", s->memory_mib);
	W(start(w, "memory"));
	W(attr(w, "unit", "MiB"));
	W(xmlTextWriterWriteString(w, BAD_CAST num));
	W(end(w));
	snprintf(num, sizeof(num), "%d", s->vcpus);
	W(start(w, "vcpu"));
	W(attr(w, "placement", "static"));
	W(xmlTextWriterWriteString(w, BAD_CAST num));
	W(end(w));

	if (s->shares || s->vcpu_cpuset) {
		W(start(w, "cputune"));
		if (s->shares) {
			snprintf(num, sizeof(num), "%lu", s->shares);
			W(elem_text(w, "shares", num));
		}
		if (s->vcpu_cpuset) {
			for (int v = 0; v < s->vcpus; v++) {
				snprintf(num, sizeof(num), "%d", v);
				W(start(w, "vcpupin"));
				W(attr(w, "vcpu", num));
				W(attr(w, "cpuset", s->vcpu_cpuset));
				W(end(w));
			}
			W(start(w, "emulatorpin"));
			W(attr(w, "cpuset", s->vcpu_cpuset));
			W(end(w));
		}
		W(end(w));
	}

	W(start(w, "os"));
	W(start(w, "type"));
	W(attr(w, "arch", "x86_64"));
	W(attr(w, "machine", "pc"));
	W(xmlTextWriterWriteString(w, BAD_CAST "hvm"));
	W(end(w));
	W(elem_text(w, "kernel", s->kernel));
	if (s->initrd)
		W(elem_text(w, "initrd", s->initrd));
	W(elem_text(w, "cmdline", s->cmdline));
	W(end(w));
	W(start(w, "features"));
	W(start(w, "acpi"));
	W(end(w));
	W(end(w));
	if (s->accel == ACCEL_KVM) {
		W(start(w, "cpu"));
		W(attr(w, "mode", "host-passthrough"));
		W(end(w));
	}
	W(elem_text(w, "on_poweroff", "destroy"));
	W(elem_text(w, "on_reboot", "destroy"));
	W(elem_text(w, "on_crash", "destroy"));

	W(start(w, "devices"));
	if (s->disk_path)
		W(disk_xml(w, s));

	if (strcmp(s->nic_model, "none") != 0) {
		/* User-mode networking changes nothing on the host. */
		W(start(w, "interface"));
		W(attr(w, "type", "user"));
		W(start(w, "model"));
		W(attr(w, "type", s->nic_model));
		W(end(w));
		W(end(w));
	}

	W(start(w, "serial"));
	W(attr(w, "type", "file"));
	W(start(w, "source"));
	W(attr(w, "path", s->console_log));
	W(end(w));
	W(start(w, "target"));
	W(attr(w, "port", "0"));
	W(end(w));
	W(end(w));

	W(start(w, "channel"));
	W(attr(w, "type", "unix"));
	W(start(w, "target"));
	W(attr(w, "type", "virtio"));
	W(attr(w, "name", "org.qemu.guest_agent.0"));
	W(end(w));
	W(end(w));

	W(start(w, "memballoon"));
	W(attr(w, "model", "virtio"));
	W(start(w, "stats"));
	W(attr(w, "period", "1"));
	W(end(w));
	W(end(w));

	W(start(w, "rng"));
	W(attr(w, "model", "virtio"));
	W(start(w, "backend"));
	W(attr(w, "model", "random"));
	W(xmlTextWriterWriteString(w, BAD_CAST "/dev/urandom"));
	W(end(w));
	W(end(w));

	if (s->extra_devices_xml)
		W(xmlTextWriterWriteRaw(w, BAD_CAST s->extra_devices_xml));
	W(end(w)); /* devices */
	W(end(w)); /* domain */
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	w = NULL;
	out = xstrdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return out;
fail:
	if (w)
		xmlFreeTextWriter(w);
	if (buf)
		xmlBufferFree(buf);
	error_setx(err, ENOMEM, "cannot write the domain XML for '%s'", s->name);
	return NULL;
}

char *domxml_dest_disk(const char *xml, const char *src_disk, const char *dest_disk)
{
	/* libvirt writes file='...'; domxml_build writes file="...". */
	for (int q = 0; q < 2; q++) {
		cleanup_free char *from = xasprintf(q ? "file=\"%s\"" : "file='%s'", src_disk);
		cleanup_free char *to = xasprintf(q ? "file=\"%s\"" : "file='%s'", dest_disk);
		const char *at = strstr(xml, from);

		if (at)
			return xasprintf("%.*s%s%s", (int)(at - xml), xml, to, at + strlen(from));
	}
	return NULL;
}
