/* Why a run's guest stopped: what its console tail and its domain say, to be
 * added to the run's error (the agent only says it stopped answering). */
#ifndef HARNESS_FAILCAUSE_H
#define HARNESS_FAILCAUSE_H

/* "kernel panic: <the panic line>" when the console tail shows a guest kernel
 * panic or oops, else NULL. The caller frees the result. */
char *failcause_console(const char *tail);

#endif
