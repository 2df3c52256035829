/* The network experiment's pure helpers, for its unit test. */
#ifndef HARNESS_EXP_NETWORK_H
#define HARNESS_EXP_NETWORK_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Whether nic_model and vhost go together (vhost is a virtio back-end):
 * 0, or -EINVAL with why. */
int network_check_combination(const char *model, const char *vhost, char *why, size_t whylen);
/* The CDF points a latency summary gives: (value, fraction) for min, p50,
 * p90, p99, p99.9 and max, those present and not decreasing; the count. */
size_t network_cdf_points(cJSON *rtt, double *x, double *y, size_t max);

#endif
