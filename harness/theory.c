#include "theory.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

double tolerance_noise(double aa_sd, double aa_duration_s, double duration_s)
{
	double sd = isfinite(aa_sd) && aa_sd > 0 ? aa_sd : 0;

	if (aa_duration_s > 0 && duration_s > 0)
		sd *= sqrt(aa_duration_s / duration_s);
	return TOLERANCE_NOISE_K * sd;
}

void tolerance_make(const struct tolerance_src *src, enum accel a, double duration_s, double sampling,
		    struct tolerance *out)
{
	out->accelerator = a;
	out->accel = a == ACCEL_KVM ? src->accel_kvm : src->accel_tcg;
	out->noise = tolerance_noise(src->aa_sd, src->aa_duration_s, duration_s);
	out->sampling = isfinite(sampling) && sampling > 0 ? sampling : 0;
	out->value = out->accel + out->noise + out->sampling;
}

cJSON *tolerance_json(const struct tolerance *t, const struct tolerance_src *src, const char *sampling_from)
{
	cJSON *o = cJSON_CreateObject();
	char rule[160];

	cJSON_AddNumberToObject(o, "value", t->value);
	cJSON_AddStringToObject(o, "accelerator", accel_name(t->accelerator));
	cJSON_AddNumberToObject(o, "accelerator_allowance", t->accel);
	cJSON_AddNumberToObject(o, "noise", t->noise);
	cJSON_AddStringToObject(o, "noise_from", src->aa_from ? src->aa_from : "no A/A runs");
	cJSON_AddNumberToObject(o, "sampling", t->sampling);
	cJSON_AddStringToObject(o, "sampling_from", sampling_from ? sampling_from : "none");
	snprintf(rule, sizeof(rule), "accelerator allowance + %g sd of one A/A run%s + sampling", TOLERANCE_NOISE_K,
		 src->aa_duration_s > 0 ? " (times sqrt(A/A duration / duration))" : "");
	cJSON_AddStringToObject(o, "rule", rule);
	return o;
}

int mix_budget_compute(double vcpus, double elapsed_s, double busy_s, double steal_s, double idle_s,
		       double mix_s, double io_s, int ncpu, struct mix_budget *out)
{
	double left, usable;

	if (!(vcpus > 0) || !(elapsed_s > 0) || ncpu < 1 || !isfinite(busy_s) || !isfinite(steal_s) ||
	    !isfinite(idle_s) || !isfinite(mix_s) || !isfinite(io_s))
		return -EINVAL;
	out->vcpus = vcpus;
	out->busy = busy_s / elapsed_s;
	out->steal = steal_s / elapsed_s;
	out->idle = idle_s / elapsed_s;
	out->mix = mix_s / elapsed_s;
	out->io = io_s / elapsed_s;
	/* /proc/stat counts in ticks, schedstat in nanoseconds: the rest of
	 * the guest can come out a tick below zero, never really is. */
	out->other = fmax(0, out->busy - out->mix);
	out->uncounted = vcpus - out->busy - out->steal - out->idle;
	/* What the vCPUs had for the mix; the CPU-bound threads can use at
	 * most one CPU each beside what the I/O-bound threads took. */
	left = fmax(0, vcpus - out->steal - out->other);
	usable = fmin(left, ncpu + out->io);
	out->cpu_each = fmin(1.0, fmax(0.0, (usable - out->io) / ncpu));
	return 0;
}
