#include "hotplug.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/virterror.h>

#include "gsettings.h"
#include "progress.h"
#include "provision.h"
#include "virt.h"

char *hotplug_guest_path(const char *bus, const char *serial)
{
	/* udev's names from the serial: virtio-blk, SCSI (QEMU's scsi-hd) and ATA. */
	if (strcmp(bus, "virtio") == 0)
		return xasprintf("/dev/disk/by-id/virtio-%s", serial);
	if (strcmp(bus, "scsi") == 0)
		return xasprintf("/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_%s", serial);
	return xasprintf("/dev/disk/by-id/ata-QEMU_HARDDISK_%s", serial);
}

char *hotplug_disk_xml(const struct hotplug_scratch *s)
{
	cleanup_free char *cache = strcmp(s->cache, "default") ? xasprintf(" cache='%s'", s->cache) : xstrdup("");
	cleanup_free char *io = strcmp(s->io, "default") ? xasprintf(" io='%s'", s->io) : xstrdup("");
	/* SCSI: on controller 0 (the guest's, or the one attach_scratch
	 * plugs), unit 1 (a SCSI boot disk is unit 0). Without an address
	 * libvirt derives one from the target name (sdz: controller 3) and
	 * hot-plugs controllers 1 to 3 for it, which nothing removes after. */
	const char *addr = strcmp(s->bus, "scsi") == 0 ?
		"<address type='drive' controller='0' bus='0' target='0' unit='1'/>" : "";

	/* Values come from gsettings' lists and our own paths, never free text. */
	return xasprintf("<disk type='file' device='disk'><driver name='qemu' type='raw'%s%s/>"
			 "<source file='%s'/><target dev='%s' bus='%s'/><serial>%s</serial>"
			 "<alias name='%s'/>%s</disk>",
			 cache, io, s->path, s->target, s->bus, HOTPLUG_SCRATCH_SERIAL, HOTPLUG_SCRATCH_ALIAS, addr);
}

struct guest *hotplug_guest(const struct exp_run *x, const char *name)
{
	for (size_t i = 0; i < x->pv->nguests; i++)
		if (strcmp(x->pv->guests[i].def->name, name) == 0)
			return &x->pv->guests[i];
	return NULL;
}

static void add_applied(struct hotplug_state *st, const char *guest, const char *key, const char *value,
			const char *how)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "guest", guest);
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "value", value);
	cJSON_AddStringToObject(o, "applied", how);
	cJSON_AddItemToArray(st->applied, o);
}

static bool xml_has(virDomainPtr dom, const char *what)
{
	cleanup_free char *xml = virDomainGetXMLDesc(dom, 0);

	return xml && strstr(xml, what);
}


static int attach_scratch(virDomainPtr dom, struct hotplug_scratch *s, struct herror *err)
{
	if (strcmp(s->bus, "scsi") == 0 && !xml_has(dom, "<controller type='scsi' index='0'")) {
		if (virDomainAttachDeviceFlags(dom, HOTPLUG_SCSI_CTRL_XML, VIR_DOMAIN_AFFECT_LIVE) < 0)
			return error_setx(err, EIO, "cannot hot-plug a virtio-scsi controller into '%s': %s",
					  virDomainGetName(dom), virt_last_error());
		s->controller = true;
	}
	if (virDomainAttachDeviceFlags(dom, s->xml, VIR_DOMAIN_AFFECT_LIVE) < 0)
		return error_setx(err, EIO, "cannot hot-plug the scratch disk (bus %s, cache %s, io %s) into '%s': %s",
				  s->bus, s->cache, s->io, virDomainGetName(dom), virt_last_error());
	s->attached = true;
	return 0;
}

/* Detach and wait until the domain no longer has it: the guest must
 * acknowledge the unplug (ACPI), which may take seconds under TCG. */
static bool detach_wait(virDomainPtr dom, const char *xml, const char *alias)
{
	if (virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE) < 0 && !xml_has(dom, alias))
		return true;
	for (int i = 0; i < 600; i++) {
		if (!xml_has(dom, alias))
			return true;
		if (!sleep_unless_stopped(0.1))
			break;
	}
	return !xml_has(dom, alias);
}

static int create_volume(virConnectPtr conn, struct hotplug_state *st, struct hotplug_scratch *s,
			 struct herror *err)
{
	virStoragePoolPtr pool = virt_pool_create(conn, st->pool, st->pool_dir, err);
	cleanup_free char *xml = NULL;
	virStorageVolPtr v;

	if (pool == NULL)
		return -err->status;
	s->vol_name = xasprintf("scratch-%s.raw", s->guest);
	v = virStorageVolLookupByName(pool, s->vol_name);
	if (v) {
		virStorageVolDelete(v, 0);
		virStorageVolFree(v);
	}
	/* Raw and sparse: every guest byte is one byte in the file, no format
	 * metadata between them (theory's ratio 1 below). */
	xml = xasprintf("<volume><name>%s</name><capacity unit='bytes'>%llu</capacity>"
			"<allocation unit='bytes'>0</allocation><target><format type='raw'/></target></volume>",
			s->vol_name, s->size_bytes);
	v = virStorageVolCreateXML(pool, xml, 0);
	virStoragePoolFree(pool);
	if (v == NULL)
		return error_setx(err, EIO, "cannot create the scratch volume '%s' in pool '%s': %s", s->vol_name,
				  st->pool, virt_last_error());
	s->path = virStorageVolGetPath(v);
	virStorageVolFree(v);
	return s->path ? 0 : error_setx(err, EIO, "no path for the scratch volume '%s'", s->vol_name);
}

static void delete_volume(virConnectPtr conn, struct hotplug_state *st, struct hotplug_scratch *s)
{
	virStoragePoolPtr pool = st->pool ? virStoragePoolLookupByName(conn, st->pool) : NULL;
	virStorageVolPtr v = pool && s->vol_name ? virStorageVolLookupByName(pool, s->vol_name) : NULL;

	if (v) {
		if (virStorageVolDelete(v, 0) < 0)
			hwarn("cannot delete the scratch volume '%s': %s", s->vol_name, virt_last_error());
		virStorageVolFree(v);
	}
	if (pool)
		virStoragePoolFree(pool);
}

static void scratch_free(struct hotplug_scratch *s)
{
	free(s->guest); free(s->vol_name); free(s->path); free(s->target);
	free(s->bus); free(s->cache); free(s->io); free(s->guest_path); free(s->xml);
	memset(s, 0, sizeof(*s));
}

int hotplug_apply(const struct exp_run *x, const char *scratch_guest, unsigned scratch_mib,
		  struct hotplug_state *st, struct herror *err)
{
	struct provision *pv = x->pv;
	size_t ns = gsettings_count();
	bool changed[32];
	char why[300];
	int r;

	memset(st, 0, sizeof(*st));
	st->n = pv->nguests;
	st->g = xcalloc(st->n, sizeof(*st->g));
	st->applied = cJSON_CreateArray();
	st->pool = xasprintf("%s-gs", pv->pool_name);
	st->pool_dir = xasprintf("%s/gs", pv->state_run_dir);
	if (ns > sizeof(changed) / sizeof(changed[0]))
		BUG("more guest settings than hotplug_apply knows");
	for (size_t i = 0; i < st->n; i++) {
		struct hotplug_guest *hg = &st->g[i];
		const struct guest_def *base = pv->guests[i].def;
		bool fresh = false, scratch = scratch_guest && strcmp(scratch_guest, base->name) == 0;
		struct guest_def *fdef;

		if (gsettings_effective(pv->suite, x->def, x->run->values, base, &hg->def, changed, why,
					sizeof(why)) < 0) {
			r = error_setx(err, EINVAL, "%s", why);
			goto fail;
		}
		/* A fresh guest: a setting only a new domain can have, or a
		 * scratch disk on a bus without hot-plug. */
		for (size_t k = 0; k < ns; k++) {
			char now[64], want[64];
			gsettings[k].get(base, now, sizeof(now));
			gsettings[k].get(&hg->def, want, sizeof(want));
			if (gsettings[k].apply == GSETTING_FRESH && strcmp(now, want) != 0)
				fresh = true;
			if (scratch && gsettings[k].apply == GSETTING_SCRATCH_DISK &&
			    !gsetting_hotpluggable(&gsettings[k], want))
				fresh = true;
		}
		/* The benchmark's reboot-per-combination sweep (BENCHMARKS.md). */
		if (scratch && getenv("HARNESS_SETTINGS_FRESH") && strcmp(getenv("HARNESS_SETTINGS_FRESH"), "1") == 0)
			fresh = true;
		if (scratch) {
			struct hotplug_scratch *s = &st->scratch;
			s->guest = xstrdup(base->name);
			s->bus = xstrdup(hg->def.disk_bus);
			s->cache = xstrdup(hg->def.disk_cache);
			s->io = xstrdup(hg->def.disk_io);
			/* After the boot disk (vda or sda) on every bus. */
			s->target = xstrdup(strcmp(s->bus, "virtio") == 0 ? "vdz" : "sdz");
			s->size_bytes = (unsigned long long)scratch_mib << 20;
			s->guest_path = hotplug_guest_path(s->bus, HOTPLUG_SCRATCH_SERIAL);
			st->have_scratch = true;
			if ((r = create_volume(pv->conn, st, s, err)) < 0)
				goto fail;
			s->xml = hotplug_disk_xml(s);
		}
		for (size_t k = 0; k < ns; k++) {
			char want[64];
			if (!changed[k] && !(scratch && gsettings[k].apply == GSETTING_SCRATCH_DISK))
				continue;
			gsettings[k].get(&hg->def, want, sizeof(want));
			add_applied(st, base->name, gsettings[k].key, want,
				    gsettings[k].apply == GSETTING_FRESH || fresh ? "fresh-guest" :
				    gsettings[k].apply == GSETTING_SCRATCH_DISK && scratch ? "hot-plug" :
				    changed[k] ? "not-used" : "hot-plug");
		}
		if (!fresh)
			continue;
		/* The boot disk keeps the suite's settings: the disk settings
		 * belong to the scratch disk. */
		fdef = &hg->def;
		free(fdef->disk_bus); fdef->disk_bus = xstrdup(base->disk_bus);
		free(fdef->disk_cache); fdef->disk_cache = xstrdup(base->disk_cache);
		free(fdef->disk_io); fdef->disk_io = xstrdup(base->disk_io);
		{
			cleanup_free char *prefix = xasprintf("%s-gs-", pv->pool_name);
			struct guest fg = { .def = fdef };

			if (scratch)
				fg.extra_devices_xml = st->scratch.xml;
			progress_note("%s: a fresh guest for this run's settings", base->name);
			hg->orig = pv->guests[i];
			hg->swapped = true;
			pv->guests[i] = fg;
			r = guest_start(pv->conn, &pv->guests[i], prefix, st->pool, st->pool_dir, pv->payload_root,
					pv->accel.accel, err);
			if (r < 0)
				goto fail;
			if (guests_wait_ready(&pv->guests[i], 1, pv->suite->boot_timeout_s) != 1) {
				r = error_setx(err, ETIMEDOUT, "%s", pv->guests[i].failure ? pv->guests[i].failure :
					       "the fresh guest did not come up");
				goto fail;
			}
			guests_settle(&pv->guests[i], 1, pv->suite->boot_timeout_s);
		}
	}
	if (st->have_scratch && !st->scratch.attached) {
		struct guest *g = hotplug_guest(x, st->scratch.guest);
		bool in_fresh = false;
		for (size_t i = 0; i < st->n; i++)
			in_fresh |= st->g[i].swapped && strcmp(st->g[i].def.name, st->scratch.guest) == 0;
		if (!in_fresh && (g == NULL || g->dom == NULL)) {
			r = error_setx(err, EIO, "guest '%s' is not running: no scratch disk", st->scratch.guest);
			goto fail;
		}
		if (!in_fresh && (r = attach_scratch(g->dom, &st->scratch, err)) < 0)
			goto fail;
	}
	return 0;
fail:
	hotplug_release(x, st, NULL);
	return r;
}

void hotplug_record(const struct hotplug_state *st, cJSON *record)
{
	cJSON_AddItemToObject(record, "guest_settings", cJSON_Duplicate(st->applied, 1));
	if (st->have_scratch) {
		const struct hotplug_scratch *s = &st->scratch;
		cJSON *o = cJSON_AddObjectToObject(record, "scratch_disk");
		cJSON_AddStringToObject(o, "guest", s->guest);
		cJSON_AddStringToObject(o, "bus", s->bus);
		cJSON_AddStringToObject(o, "cache", s->cache);
		cJSON_AddStringToObject(o, "io", s->io);
		cJSON_AddStringToObject(o, "format", "raw");
		cJSON_AddNumberToObject(o, "size_bytes", (double)s->size_bytes);
		cJSON_AddStringToObject(o, "target", s->target);
		cJSON_AddStringToObject(o, "guest_path", s->guest_path);
		cJSON_AddStringToObject(o, "applied", s->attached ? "hot-plug" : "fresh-guest");
	}
}

void hotplug_release(const struct exp_run *x, struct hotplug_state *st, cJSON *record)
{
	struct provision *pv = x->pv;
	bool removed = true;

	if (st->g == NULL)
		return;
	if (st->scratch.attached) {
		struct guest *g = hotplug_guest(x, st->scratch.guest);
		if (g && g->dom) {
			removed = detach_wait(g->dom, st->scratch.xml, HOTPLUG_SCRATCH_ALIAS);
			if (!removed)
				hwarn("the scratch disk of '%s' was not released by the guest", g->dom_name);
			if (st->scratch.controller &&
			    !detach_wait(g->dom, HOTPLUG_SCSI_CTRL_XML, "ua-hscsi"))
				hwarn("the scratch SCSI controller of '%s' was not released", g->dom_name);
		}
	}
	for (size_t i = 0; i < st->n; i++) {
		if (st->g[i].swapped) {
			guest_remove(pv->conn, &pv->guests[i]);
			guest_free(&pv->guests[i]);
			pv->guests[i] = st->g[i].orig;
		}
		gsettings_def_free(&st->g[i].def);
	}
	if (st->have_scratch && removed)
		delete_volume(pv->conn, st, &st->scratch);
	if (removed && st->pool)
		virt_pool_remove(pv->conn, st->pool);
	if (record && st->have_scratch) {
		cJSON *o = cJSON_GetObjectItemCaseSensitive(record, "scratch_disk");
		if (o) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, "removed");
			cJSON_AddBoolToObject(o, "removed", removed);
		}
	}
	if (st->pool_dir && removed)
		remove_tree(st->pool_dir, NULL);
	scratch_free(&st->scratch);
	cJSON_Delete(st->applied);
	free(st->g);
	free(st->pool);
	free(st->pool_dir);
	memset(st, 0, sizeof(*st));
}
