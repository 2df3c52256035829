/* A run's guest settings applied to running guests (gsettings.h says
 * which setting goes how): a scratch disk with the disk settings under test,
 * created with libvirt's storage API and hot-plugged
 * (virDomainAttachDeviceFlags), or, for what cannot hot-plug (vCPUs, memory,
 * a SATA bus), a fresh guest from an overlay in the place of the suite's
 * guest until the run ends. Everything is removed by hotplug_release.
 * HARNESS_SETTINGS_FRESH=1 gives the scratch guest a fresh domain in every
 * run (the reboot-per-combination sweep of BENCHMARKS.md). */
#ifndef HARNESS_HOTPLUG_H
#define HARNESS_HOTPLUG_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "experiment.h"
#include "guest.h"

#define HOTPLUG_SCRATCH_SERIAL "hscratch"
#define HOTPLUG_SCRATCH_ALIAS "ua-hscratch"
/* A virtio-scsi controller 0 for a SCSI scratch disk when the guest has
 * none (the disk's address names controller 0: hotplug_disk_xml). */
#define HOTPLUG_SCSI_CTRL_XML \
	"<controller type='scsi' index='0' model='virtio-scsi'><alias name='ua-hscsi'/></controller>"

/* The scratch disk of a run. */
struct hotplug_scratch {
	char *guest;		/* suite guest name */
	char *vol_name;
	char *path;		/* host path of the raw volume */
	char *target;		/* libvirt target dev (vdz, sdz) */
	char *bus, *cache, *io;
	char *guest_path;	/* where the guest finds it (by-id, from the serial) */
	char *xml;		/* the <disk> element */
	bool attached;		/* hot-plugged (false: part of a fresh guest) */
	bool controller;	/* a virtio-scsi controller was hot-plugged for it */
	unsigned long long size_bytes;
};

struct hotplug_guest {
	bool swapped;		/* pv->guests[i] is a fresh guest until release */
	struct guest orig;	/* the suite's guest, put back by release */
	struct guest_def def;	/* the run's settings for this guest */
};

struct hotplug_state {
	struct hotplug_guest *g;	/* one per suite guest */
	size_t n;
	struct hotplug_scratch scratch;
	bool have_scratch;
	char *pool;			/* the run's settings pool: scratch volumes, fresh overlays */
	char *pool_dir;
	cJSON *applied;			/* [{guest, key, value, applied}] for the record */
};

/* Apply the run's guest settings. scratch_guest (NULL: none) gets a raw
 * scratch disk of scratch_mib MiB with its disk settings. Fresh guests are
 * booted and waited for. On failure what was done is undone. */
int hotplug_apply(const struct exp_run *x, const char *scratch_guest, unsigned scratch_mib,
		  struct hotplug_state *st, struct herror *err);
/* The guest whose name is name (pv's slot, swapped or not), or NULL. */
struct guest *hotplug_guest(const struct exp_run *x, const char *name);
/* Detach the scratch disk (waiting for the guest to let go) and delete its
 * volume, remove fresh guests and put the suite's back, remove the pool.
 * Adds "removed": true/false to the record's scratch entry when record. */
void hotplug_release(const struct exp_run *x, struct hotplug_state *st, cJSON *record);
/* {"guest_settings": [...], "scratch_disk": {...}} into record. */
void hotplug_record(const struct hotplug_state *st, cJSON *record);
/* The guest path of a scratch disk on bus, from its serial. */
char *hotplug_guest_path(const char *bus, const char *serial);
/* The <disk> element of a scratch disk. */
char *hotplug_disk_xml(const struct hotplug_scratch *s);

#endif
