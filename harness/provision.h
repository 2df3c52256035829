/* The guests of a suite run: booted from fresh overlays or borrowed from the
 * standing guests, the CPU-weight mechanism they allow, and their removal.
 * The run loop and the experiments use it; it calls nothing above it. */
#ifndef HARNESS_PROVISION_H
#define HARNESS_PROVISION_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "accel.h"
#include "guest.h"
#include "suite_types.h"
#include "weights.h"


/* How provision_up(fresh) starts the guests: restore a saved state where
 * the guest allows it (savestate.h), or boot cold. */
enum provision_start { PROVISION_START_AUTO, PROVISION_START_COLD, PROVISION_START_RESTORE };

struct provision {
	const struct suite *suite;
	virConnectPtr conn;
	virConnectPtr *host_conns;	/* per suite host (hosts:), [0] unused: conn; opened when first needed */
	struct accel_choice *host_accel;	/* per suite host, decided on that host when its connection opens */
	struct accel_choice accel;
	const char *payload_root;
	struct guest *guests;	/* one per suite guest, in order */
	size_t nguests;
	bool guests_up;
	int boot_failures;
	int host_cpus;
	char *state_run_dir;	/* $STATE/runs/<id>: overlays, console logs */
	char *pool_name;
	enum weight_mechanism weights;
	char weights_reason[256];
	bool no_restore;		/* --no-restore: fresh guests boot cold */
	enum provision_start start;	/* set by an experiment for one provision_up */
};

/* One guest slot per suite guest; checks that every image is prepared for
 * this build's payload. Nothing is started. */
int provision_init(struct provision *pv, const struct suite *s, const char *payload_root, struct herror *err);
/* The run's state directory, storage pool name and owner mark (owner.pid:
 * pid and start time). -EBUSY, naming the pid, while another process that
 * still runs owns it. */
int provision_claim(struct provision *pv, const char *run_id, struct herror *err);
/* 0, or -EBUSY with the owner's pid while a live process other than this
 * one owns run_id's state directory (checked before a --resume starts). */
int provision_check_owner(const char *run_id, struct herror *err);
/* Provision (or re-provision) the suite's guests; unless fresh, borrow the
 * standing guests (vm up) that match the suite. */
int provision_up(struct provision *pv, bool fresh, struct herror *err);
/* Remove the run's own guests; let go of borrowed ones. */
void provision_down(struct provision *pv);
/* When the libvirt connection died (the daemon restarted), connect again,
 * waiting up to a minute for the daemon, and look the guests' domains up
 * anew. Does nothing on a live connection; 0 or a negative errno. */
int provision_reconnect(struct provision *pv);
/* Whether every guest is up and its agent answers. */
bool provision_healthy(const struct provision *pv);
/* The weight mechanism's name in records: cgroup (libvirt cpu_shares, which
 * is cpu.weight on cgroup v2), nice, unknown. */
const char *provision_weights_name(const struct provision *pv);
/* Remove the guests, the pool and the state directory; free the slots. */
void provision_release(struct provision *pv);
/* Remove leftovers of runs whose harness process is gone. */
void provision_cleanup_stale(virConnectPtr conn);

#endif
