/* hproc: process helpers shared by the programs that start others. */
#ifndef HCOMMON_HPROC_H
#define HCOMMON_HPROC_H

/* In a child before exec: unblock every signal and put every disposition
 * back to the default. A blocked or ignored signal (SIGPIPE, the signals a
 * parent reads through a signalfd) would otherwise survive exec. */
void signals_reset_for_exec(void);

#endif
