/* The client verbs: start, run, stop, ps, logs, inspect, wait, rm, shutdown. */
#ifndef RT_CLI_H
#define RT_CLI_H

#include <stdint.h>

int cli_main(int argc, char **argv);

/* "0.5" or "2" CPUs, or "1500m", into thousandths of a CPU. */
int parse_cpus_milli(const char *s, uint64_t *out);

#endif
