/* Progress on long waits: which run, which phase, time left. On a terminal
 * one line is redrawn in place; otherwise a line is printed per change. */
#ifndef HARNESS_PROGRESS_H
#define HARNESS_PROGRESS_H

void progress_set_run(int index, int total, const char *run_id, double suite_eta_s);
/* Phase with elapsed and expected seconds (expected may be 0). */
void progress_phase(const char *phase, double elapsed_s, double expected_s);
/* A finished event on its own line. */
void progress_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void progress_done(void);

#endif
