/* CPU weights: libvirt shares, and the kernel's nice-to-weight table used
 * when libvirt cannot apply shares (no cgroup CPU controller). */
#ifndef HARNESS_WEIGHTS_H
#define HARNESS_WEIGHTS_H

#include <stddef.h>

/* How CPU weights reach the guests: libvirt cpu_shares where libvirt has the
 * cgroup CPU controller (cpu.weight on cgroup v2), else nice values of the
 * QEMU threads (harness/exp_cpu.c). */
enum weight_mechanism { WEIGHTS_UNKNOWN, WEIGHTS_CGROUP, WEIGHTS_NICE };

/* Weight of a nice value, from the kernel's sched_prio_to_weight table. */
unsigned long nice_to_weight(int nice);
/* The nice value whose weight is closest to w (1024 is nice 0). */
int weight_to_nice(unsigned long w);
/* Parse "W1:W2:..." into n weights; -EINVAL if malformed or count differs. */
int weights_parse(const char *s, unsigned long *w, size_t n);
/* Expected share of each of n competitors with weights w (sums to 1). */
void expected_shares(const unsigned long *w, size_t n, double *share);
/* Jain's fairness index of x[i]/expected[i]: 1 when every one gets its due. */
double fairness_index(const double *x, const double *expected, size_t n);

#endif
