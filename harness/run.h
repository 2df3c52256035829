/* Running a suite: provisioning, the plan's runs, results, clean-up. */
#ifndef HARNESS_RUN_H
#define HARNESS_RUN_H

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>

#include "accel.h"
#include "guest.h"
#include "suite.h"

struct run_options {
	const char *suite;		/* name or path */
	const char *suites_dir;
	const char *results_root;	/* results/ */
	const char *resume_dir;		/* results/<id> to resume, or NULL */
	const char *payload_root;	/* build/guest-root */
};

enum weight_mechanism { WEIGHTS_UNKNOWN, WEIGHTS_CGROUP, WEIGHTS_NICE };

struct runctx {
	struct suite *suite;
	struct plan plan;
	virConnectPtr conn;
	struct accel_choice accel;
	struct guest *guests;
	size_t nguests;
	bool guests_up;
	int boot_failures;
	char *run_id;
	char *results_dir;
	char *state_run_dir;	/* $STATE/runs/<id>: overlays, console logs */
	char *pool_name;
	const char *payload_root;
	enum weight_mechanism weights;
	char weights_reason[256];
	int host_cpus;
};

/* harness run suite NAME|FILE */
int run_suite(const struct run_options *opt, struct herr *err);

/* Experiments: fill record for one run; a returned error fails the run. */
int exp_cpu_contention(struct runctx *rc, const struct plan_run *run, cJSON *record, struct herr *err);
int exp_boot(struct runctx *rc, const struct plan_run *run, cJSON *record, struct herr *err);

/* Provision (or re-provision) the suite's guests; unless fresh, borrow the
 * standing guests (vm up) that match the suite. */
int run_guests_up(struct runctx *rc, bool fresh, struct herr *err);
void run_guests_down(struct runctx *rc);

/* Remove leftovers of runs whose harness process is gone. */
void run_cleanup_stale(virConnectPtr conn);

#endif
