/* harness doctor */
#ifndef HARNESS_DOCTOR_H
#define HARNESS_DOCTOR_H

/* Print one line per check; returns 0 when the host can run the harness. */
int doctor(const char *payload_root);

/* harness doctor --noise [SECONDS]: cpu_hog (top/build/bin/cpu_hog) pinned
 * on each host CPU for seconds; prints the host's own variability (the
 * coefficient of variation of per-interval work), steal time and CPU
 * frequencies, what else ran, and the smallest relative change a run of
 * the default length could detect here. 0, or 1 when it could not run. */
int doctor_noise(const char *cpu_hog, double seconds);

/* harness noise -- COMMAND [ARGS]: COMMAND stands in for a run (it is of
 * the harness's process tree, so not noise); prints the host_noise a run
 * recorded over that time would hold, as JSON. Exit status: 0 quiet, 1
 * disturbed, 2 COMMAND could not run. */
int doctor_noise_around(char **argv);

#endif
