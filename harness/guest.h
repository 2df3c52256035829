/* A guest of a run: overlay, transient domain, agent readiness, clean-up. */
#ifndef HARNESS_GUEST_H
#define HARNESS_GUEST_H

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "accel.h"
#include "image.h"
#include "suite_types.h"

struct savestate_info;

/* How a fresh guest started: what a record says about it. */
struct savestate_info {
	bool restore_tried;
	bool restored;
	char *state;			/* "reused", "built", "rebuilt", or NULL */
	char *rebuild_reason;		/* why the saved state was rebuilt */
	double build_s;			/* time to build the state (cold boot, settle, save) */
	char *restore_error;		/* why the restore failed: then one cold boot */
	char *cold_reason;		/* why it booted cold */
	bool clock_corrected;
	double clock_behind_s;		/* host time minus guest time right after the restore */
	double clock_offset_after_s;	/* guest minus host after the correction */
	double clock_uncertainty_s;	/* half the agent round trip of that reading */
	char *clock_error;
};

struct guest {
	const struct guest_def *def;
	struct image img;
	char *dom_name;		/* libvirt name: <prefix><def->name> */
	char *pool_name;	/* the storage pool that holds the overlay */
	char *overlay;
	char *console_log;
	bool boot_panicked;	/* its kernel panicked before the agent answered */
	virDomainPtr dom;
	double started_at;	/* monotonic time of domain start */
	double boot_s;		/* start to agent-ready */
	unsigned long long qemu_rss_kib;	/* QEMU resident memory right after boot */
	bool ready;
	bool standing;		/* a `vm up` guest the run borrows and never removes */
	bool borrow_locked;	/* borrow_fd holds the standing guest's borrow lock */
	int borrow_fd;
	cJSON *borrow;		/* the check of a standing guest before it was borrowed (leftovers.h), or NULL */
	char *failure;		/* why it did not come up, NULL if it did */
	struct savestate_info *start;	/* how a fresh guest started (savestate.h), or NULL */
	const char *extra_devices_xml;	/* more <devices> children (hotplug.c), or NULL */
};

/* The domain XML of g's shape (g->img found) with these host-side names. */
char *guest_domain_xml(const struct guest *g, const char *name, const char *disk, const char *console_log,
		       enum accel accel, struct herror *err);

/* Create the overlay and start the domain (does not wait). */
int guest_start(virConnectPtr conn, struct guest *g, const char *prefix, const char *pool_name,
		const char *pool_dir, const char *payload_root, enum accel accel, struct herror *err);
/* Borrow the running standing guest of the same name (vm up) when its
 * settings equal the suite's, it runs this build's binaries, no other
 * harness borrows it (a lock held until guest_remove), and it carries none
 * of the project's leftovers once they are cleaned (leftovers.h; g->borrow
 * says what was found and done, also when it was not borrowed); returns
 * true when it did. */
bool guest_adopt_standing(virConnectPtr conn, struct guest *g, const char *payload_root);
/* Wait until every started guest's agent answers or timeout_s passes; guests
 * that fail get ->failure. Shows progress. Returns the number ready. */
int guests_wait_ready(struct guest *gs, size_t n, double timeout_s);
/* Wait until the ready guests' boot has settled (systemd no longer
 * "starting"; for an initramfs guest, /run/harness-booted written once its
 * modules are loaded): the guest agent answers early in the boot, and a
 * measurement taken while units still start measures the boot. A guest
 * without either, or one that does not settle within timeout_s (at most
 * 120 s), is used as it is, with a note. */
void guests_settle(struct guest *gs, size_t n, double timeout_s);
/* Compare the manifest inside the guest with this build's payload. */
int guest_verify_payload(struct guest *g, const char *payload_root, struct herror *err);
/* Destroy the domain and delete the overlay. */
void guest_remove(virConnectPtr conn, struct guest *g);
void guest_free(struct guest *g);
void savestate_info_free(struct savestate_info *i);
/* The last lines of a console log (malloc'd, may be empty). */
char *console_tail(const char *path, int lines);

#endif
