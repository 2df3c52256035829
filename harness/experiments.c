#include "experiments.h"

#include <stdio.h>
#include <string.h>

/* Each defined in its harness/exp_<name>.c. */
extern const struct experiment exp_boot_info;
extern const struct experiment exp_cpu_contention_info;
extern const struct experiment exp_sched_mix_info;
extern const struct experiment exp_nice_info;
extern const struct experiment exp_deadlock_info;
extern const struct experiment exp_avoidance_info;
extern const struct experiment exp_proportional_share_info;
extern const struct experiment exp_memory_limits_info;
extern const struct experiment exp_isolation_info;
extern const struct experiment exp_api_call_info;
extern const struct experiment exp_admission_info;
extern const struct experiment exp_overhead_info;
extern const struct experiment exp_migration_info;
extern const struct experiment exp_disk_info;
extern const struct experiment exp_network_info;
extern const struct experiment exp_memory_info;

/* Adding an experiment: its file, one line here, its docs and tests. */
const struct experiment *const experiments[] = {
	&exp_boot_info,
	&exp_cpu_contention_info,
	&exp_sched_mix_info,
	&exp_nice_info,
	&exp_deadlock_info,
	&exp_avoidance_info,
	&exp_proportional_share_info,
	&exp_memory_limits_info,
	&exp_isolation_info,
	&exp_api_call_info,
	&exp_admission_info,
	&exp_overhead_info,
	&exp_migration_info,
	&exp_disk_info,
	&exp_network_info,
	&exp_memory_info,
};
const size_t experiments_count = sizeof(experiments) / sizeof(experiments[0]);

const struct experiment *experiment_find(const char *name)
{
	for (size_t i = 0; i < experiments_count; i++)
		if (strcmp(experiments[i]->name, name) == 0)
			return experiments[i];
	return NULL;
}

bool experiment_known(const char *name)
{
	return experiment_find(name) != NULL;
}

const char *experiment_names(void)
{
	static char names[1024];
	size_t off = 0;

	if (names[0])
		return names;
	for (size_t i = 0; i < experiments_count && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "",
					experiments[i]->name);
	return names;
}
