#include "overcommit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int overcommit_parse(const char *s, int *ratio)
{
	const char *colon = strchr(s, ':');
	cleanup_free char *left = NULL;
	long r;

	if (colon == NULL || strcmp(colon + 1, "1") != 0)
		return -EINVAL;
	left = xstrdup(s);
	left[colon - s] = '\0';
	if (parse_long(left, 1, OVERCOMMIT_MAX_RATIO, &r) < 0)
		return -EINVAL;
	*ratio = (int)r;
	return 0;
}

int overcommit_layout(int ratio, const int *vcpus, size_t n, int host_cpus, int *pcpus, int *active)
{
	int least = 0;

	if (n == 0 || ratio < 1)
		return -ERANGE;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || vcpus[i] < least)
			least = vcpus[i];
	for (int p = host_cpus; p >= 1; p--) {
		int busy = ratio * p;
		if (busy % (int)n != 0 || busy / (int)n > least)
			continue;
		*pcpus = p;
		*active = busy / (int)n;
		return 0;
	}
	return -ERANGE;
}

void overcommit_expected(const unsigned long *w, const int *active, size_t n, double pcpus, double *alloc)
{
	bool capped[64] = { false };
	double left = pcpus;

	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		alloc[i] = 0;
	/* Water-filling: share what is left by weight among the guests not yet
	 * at their demand; cap those whose part exceeds it; repeat. */
	for (;;) {
		double sumw = 0;
		bool changed = false;

		for (size_t i = 0; i < n; i++)
			if (!capped[i])
				sumw += (double)w[i];
		if (sumw <= 0 || left <= 0)
			break;
		double round_left = left;
		for (size_t i = 0; i < n; i++) {
			if (capped[i] || round_left * (double)w[i] / sumw < (double)active[i])
				continue;
			alloc[i] = active[i];
			left -= active[i];
			capped[i] = true;
			changed = true;
		}
		if (changed)
			continue;
		for (size_t i = 0; i < n; i++)
			if (!capped[i])
				alloc[i] = left * (double)w[i] / sumw;
		break;
	}
}
