/* How far a measurement may be from theory, and where that allowance comes
 * from: pure logic, unit-tested (tests/test_theory.c).
 *
 * A tolerance is the sum of three parts, each stated in the record:
 *   accelerator  what emulation or virtualization adds that theory leaves out
 *                (TCG emulates timers, interrupts and system calls at a cost
 *                a CPU never has); one figure for KVM, one for TCG, from the
 *                experiment's own runs on each;
 *   noise        TOLERANCE_NOISE_K standard deviations of one run in the
 *                experiment's A/A runs (the same settings repeated), scaled
 *                from the A/A runs' duration to this run's by sqrt (a share
 *                averaged over twice the time varies 1/sqrt(2) as much);
 *   sampling     what the sampling period can hide (a window's ends fall
 *                between two samples), computed by the experiment.
 * The experiment writes the parts into its record (tolerance_json) and names
 * the value in its metric's tolerance_metric, so the verdict table uses the
 * run's own tolerance. */
#ifndef HARNESS_THEORY_H
#define HARNESS_THEORY_H

#include <cjson/cJSON.h>

#include "accel.h"

/* Standard deviations of one A/A run in a tolerance: 3 keeps a single
 * undisturbed run inside in all but about 3 of 1000. */
#define TOLERANCE_NOISE_K 3.0

/* A metric's tolerance sources, as its experiment measured them. */
struct tolerance_src {
	double accel_kvm;	/* the accelerator's allowance under KVM, in the metric's unit */
	double accel_tcg;	/* ... under TCG */
	double aa_sd;		/* sd of one run in the A/A runs */
	double aa_duration_s;	/* their duration_s (0: the noise does not scale with the duration) */
	const char *aa_from;	/* which A/A runs, in words: suite, repeats, accelerator, date */
};

struct tolerance {
	double value;		/* accel + noise + sampling */
	double accel;
	double noise;
	double sampling;
	enum accel accelerator;
};

/* The noise part: TOLERANCE_NOISE_K * aa_sd, scaled by sqrt(aa_duration_s /
 * duration_s) when both are positive. */
double tolerance_noise(double aa_sd, double aa_duration_s, double duration_s);
/* The tolerance of one run: src's allowance for a, its noise at duration_s,
 * and sampling (>= 0; NaN counts as 0). */
void tolerance_make(const struct tolerance_src *src, enum accel a, double duration_s, double sampling,
		    struct tolerance *out);
/* {"value", "accelerator", "accelerator_allowance", "noise", "noise_from",
 * "sampling", "sampling_from", "rule"}: the record's account of a tolerance. */
cJSON *tolerance_json(const struct tolerance *t, const struct tolerance_src *src, const char *sampling_from);

/* sched-mix: where a guest's CPU went over the mix's run, in CPUs (CPU
 * seconds per second of the run), and the share theory gives each
 * CPU-bound thread. */
struct mix_budget {
	double vcpus;		/* the guest's CPUs */
	double busy;		/* non-idle time of all the guest's CPUs (/proc/stat), steal excluded */
	double steal;		/* time the hypervisor gave the vCPUs to something else */
	double idle;		/* idle and iowait */
	double mix;		/* the mix's threads together (schedstat) */
	double io;		/* the I/O-bound threads together */
	double other;		/* busy minus mix: the guest's kernel, interrupts and other processes */
	double uncounted;	/* vcpus - busy - steal - idle: ticks the guest never counted (under TCG, the
				 * host did not run the vCPU when a tick was due; no steal clock says so) */
	double cpu_each;	/* theory: a CPU-bound thread's share */
};
/* From the window's deltas (seconds over elapsed_s) and the thread counts:
 * the CPU-bound threads share equally what the vCPUs have left after steal,
 * the rest of the guest and the I/O-bound threads (as measured), at most one
 * CPU each. -EINVAL when the figures cannot make a budget (elapsed or vCPUs
 * not positive, ncpu < 1, a figure not finite). */
int mix_budget_compute(double vcpus, double elapsed_s, double busy_s, double steal_s, double idle_s,
		       double mix_s, double io_s, int ncpu, struct mix_budget *out);

#endif
