/* run: start an experiment's workloads, sample while they run, detect
 * stalls, stop everything, and build the runner's output document. */
#ifndef GUEST_RUN_H
#define GUEST_RUN_H

#include <signal.h>
#include <cjson/cJSON.h>
#include "spec.h"

/* Set by the runner's SIGTERM/SIGINT handler: stop the workloads and report. */
extern volatile sig_atomic_t run_stop_requested;

/* Run the experiment and fill out (the output document of guest/SCHEMA.md:
 * "elapsed_s", "samples", "summary", "workloads", "runner") and errors (an
 * array of strings). Returns 0 when every workload ended as expected, 1
 * otherwise. Never waits longer than duration_s + grace_s + stall/kill
 * bounds: whatever is still running then is killed. */
int run_experiment(const struct spec *spec, cJSON *out, cJSON *errors);

#endif
