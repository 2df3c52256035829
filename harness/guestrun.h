/* The in-guest runner (guest/SCHEMA.md) as the guest-kernel experiments use
 * it: the suite guest a run names, one harness-guest run with a spec, and
 * small readers of its document. */
#ifndef HARNESS_GUESTRUN_H
#define HARNESS_GUESTRUN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "experiment.h"
#include "guest.h"

#define GUESTRUN_RUNNER "/opt/harness/bin/harness-guest"

/* The "guest" setting of an experiment that runs in one guest. */
#define GUESTRUN_GUEST_SETTING                                                                         \
	{ .key = "guest", .help = "the suite guest the experiment runs in (by name)", .syntax = "a guest name", \
	  .def_doc = "the first guest of the suite", .check = guestrun_check_guest }

/* Setting check: value names one of the suite's guests. */
int guestrun_check_guest(const char *value, const struct suite *s, char *why, size_t whylen);
/* The guest a run uses: its "guest" setting, else the suite's first. */
struct guest *guestrun_pick(const struct exp_run *x, struct herror *err);
/* Run harness-guest with spec in g and wait up to timeout_s; *out is its
 * document (ok or not). Fails when the runner cannot be run or prints no
 * JSON, or (refused spec) exits 2. */
int guestrun_run(struct guest *g, cJSON *spec, double timeout_s, cJSON **out, struct herror *err);
/* {"name", "domain", "image", "standing", "kernel", "host" (when named)} of g and the runner's document. */
cJSON *guestrun_guest_json(const struct guest *g, cJSON *doc);
/* A workload entry of a spec: name, program, args (NULL-terminated). */
cJSON *guestrun_workload(cJSON *spec, const char *name, const char *program, const char *const *args);
/* The runner's workload named name, or NULL. */
cJSON *guestrun_doc_workload(cJSON *doc, const char *name);
/* A number at a path of keys (NULL-terminated), NaN when absent. */
double guestrun_num(cJSON *root, const char *const *path);
/* A number, or null when it is not finite. */
cJSON *guestrun_num_or_null(double v);

/* Report sections (a group's runs: doc_run_in_group, doc_group_first_run). */
/* The section's opening, " In guest NAME (kernel K", for the caller to go
 * on; without a run, " No successful run." and false. */
bool guestrun_report_guest(FILE *f, cJSON *first);

#endif
