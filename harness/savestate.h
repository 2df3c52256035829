/* Saved guest states: boot a guest once per image and guest (its shape),
 * wait for its agent and for the boot to settle, save it through libvirt
 * (virDomainSave), and restore it per run onto a fresh copy-on-write overlay.
 *
 * The disk and the memory must match. The state is saved while the guest
 * runs on an overlay of the prepared image (the state's disk); after the
 * save nothing writes that overlay again: it is frozen. Each restore puts a
 * new overlay on top of it and restores the memory with the domain XML
 * pointing at that overlay (virDomainRestoreFlags with a changed XML: name,
 * disk and console paths only; the ABI stays). So every run starts from
 * the same disk and memory, and no run sees another's writes.
 *
 * States live in $STATE/savestates/<image>-<guest>/ (key.json, state.sav,
 * the frozen disk), keyed by the image digest, the payload digest, the
 * domain XML (with placeholder names) and QEMU's version; a state whose key
 * differs is never used: it is rebuilt and the guest's record says why. */
#ifndef HARNESS_SAVESTATE_H
#define HARNESS_SAVESTATE_H

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "accel.h"
#include "guest.h"

struct savestate_key {
	char *image;			/* recipe name */
	char *image_digest;
	char *payload_digest;
	char *xml_sha256;		/* of the domain XML with placeholder names */
	unsigned long long qemu_version;	/* virConnectGetVersion: major * 1e6 + minor * 1e3 + micro */
};


/* Where the harness starts fresh guests. */
struct savestate_place {
	const char *prefix;		/* domain name prefix */
	const char *pool_name;		/* the run's pool, for the overlay */
	const char *pool_dir;
	const char *payload_root;
	enum accel accel;
	double timeout_s;		/* for a cold boot (the state's build) */
};

/* The key of g's saved state (g->img found). */
int savestate_key_compute(virConnectPtr conn, const struct guest *g, const char *payload_root, enum accel accel,
			  struct savestate_key *key, struct herror *err);
/* Why a saved key differs from the current one (malloc'd), NULL if equal. */
char *savestate_key_mismatch(const struct savestate_key *saved, const struct savestate_key *now);
cJSON *savestate_key_json(const struct savestate_key *key);
/* Read a key.json; missing or malformed fields are an error naming the file. */
int savestate_key_from_json(const cJSON *j, const char *file, struct savestate_key *key, struct herror *err);
void savestate_key_free(struct savestate_key *key);

/* Start g from its saved state (building it first when missing or stale),
 * wait for its agent and correct its clock. When the restore fails,
 * everything of it is removed (domain, overlay, the state) and g boots cold
 * once (not waited for: guests_wait_ready does). An error only when the
 * cold boot cannot start either. */
int savestate_start(virConnectPtr conn, struct guest *g, const struct savestate_place *at, struct herror *err);
/* Record that g boots cold, and why. */
void savestate_note_cold(struct guest *g, const char *why);
/* The record's entry for g ({name, start, restored, ...}). */
cJSON *savestate_info_json(const struct guest *g);
/* A fresh-guest run's record: "guest_starts", one entry per guest started. */
void savestate_add_to_record(const struct guest *gs, size_t n, cJSON *record);
/* Remove state builds whose harness process is gone. */
void savestate_cleanup_stale(virConnectPtr conn);
/* The domain name a guest has while its state is built or once restored
 * (hs-<image>-<guest>), for telling its QEMU process apart (hostnoise). */
char *savestate_domain_name(const struct guest_def *def);

/* A saved state's domain XML (libvirt's, from the save image) with this
 * run's disk and console log: host-side paths only, so that libvirt's ABI
 * check passes (the name must stay too). NULL with err. */
char *savestate_restore_xml(const char *saved, const char *name, const char *disk, const char *console,
			    struct herror *err);

#endif
