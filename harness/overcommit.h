/* vCPU:pCPU overcommit for cpu-contention: the ratio's syntax, which host
 * CPUs and how many vCPUs per guest make it real, and what share of a host
 * CPU each busy vCPU should get. Pure logic.
 *
 * Why pinning plus offline vCPUs, not fresh guests per ratio: on a 2-CPU
 * host, pinning alone makes two 1-vCPU guests 1:1 or 2:1 but never 3:1,
 * and a fresh guest per ratio costs a boot (a minute or more under TCG)
 * per run. So a suite gives its guests the most vCPUs any ratio needs, and
 * each run keeps only R busy vCPUs per host CPU online (the guest agent
 * takes the others offline: their threads sleep in QEMU) and pins them onto
 * the host CPUs it uses: one boot for the whole sweep, and every ratio a
 * real contention for real host CPUs. */
#ifndef HARNESS_OVERCOMMIT_H
#define HARNESS_OVERCOMMIT_H

#include <stddef.h>

#define OVERCOMMIT_MAX_RATIO 8

/* "R:1" with R in 1..OVERCOMMIT_MAX_RATIO into *ratio; -EINVAL otherwise. */
int overcommit_parse(const char *s, int *ratio);

/* The layout that makes ratio real for n guests with vcpus[i] vCPUs each
 * on a host with host_cpus CPUs: every guest runs the same number of busy
 * vCPUs (*active, at most its vCPUs; the rest are taken offline), all
 * pinned onto the first *pcpus host CPUs, with n * active = ratio * pcpus.
 * The most host CPUs that allow it are chosen. -ERANGE when none do. */
int overcommit_layout(int ratio, const int *vcpus, size_t n, int host_cpus, int *pcpus, int *active);

/* The host CPU each guest should get when guest i has active[i] busy vCPUs
 * (it can use at most that many CPUs) and weight w[i], all on pcpus CPUs:
 * weighted max-min fairness (a guest that cannot use its weighted part
 * leaves the rest to the others). alloc[i] in CPUs; per vCPU: alloc[i] / active[i]. */
void overcommit_expected(const unsigned long *w, const int *active, size_t n, double pcpus, double *alloc);

#endif
