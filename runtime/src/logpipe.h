/* Container logs: each container's stdout and stderr pipes are read by a
 * producer thread that cuts whole lines and pushes them into one bounded
 * buffer; a single writer thread appends them to per-container log files,
 * rotating a file at its size bound. Producers block when the buffer is
 * full, so nothing is dropped; a line is never split between writes unless
 * it is longer than LOG_LINE_MAX. */
#ifndef RT_LOGPIPE_H
#define RT_LOGPIPE_H

#include <stdint.h>
#include "util.h"

#define LOG_LINE_MAX 4096
#define LOG_SLOTS    64

struct log_stream;

/* Starts the writer thread. notify_fd receives a uint32_t id each time a
 * stream has written its last byte and closed its file. */
int logsys_start(int notify_fd, struct herror *err);

/* Takes ownership of out_fd and err_fd (read ends) and starts a producer. */
int log_stream_open(const char *path, uint64_t max_bytes, int out_fd, int err_fd, uint32_t id,
		    struct herror *err);

/* Waits until every open stream has finished, then stops the writer. */
void logsys_stop(void);

#endif
