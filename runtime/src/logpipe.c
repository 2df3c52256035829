#include "logpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct log_stream {
	char path[4096];
	uint64_t max_bytes;
	uint64_t size;
	int fd[2];		/* stdout, stderr read ends */
	int file;
	uint32_t id;
	pthread_t producer;
};

struct log_item {
	struct log_stream *s;
	int end;
	size_t len;
	char data[LOG_LINE_MAX];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty, idle;
	struct log_item slots[LOG_SLOTS];
	unsigned head, count;
	int open_streams;
	int stopping;
	int notify_fd;
	int running;
	pthread_t writer;
} lb = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static void push(struct log_stream *s, const char *data, size_t len, int end)
{
	struct log_item *it;

	pthread_mutex_lock(&lb.lock);
	while (lb.count == LOG_SLOTS)
		pthread_cond_wait(&lb.not_full, &lb.lock);
	it = &lb.slots[(lb.head + lb.count) % LOG_SLOTS];
	it->s = s;
	it->end = end;
	it->len = len;
	if (len)
		memcpy(it->data, data, len);
	lb.count++;
	pthread_cond_signal(&lb.not_empty);
	pthread_mutex_unlock(&lb.lock);
}

static void rotate(struct log_stream *s)
{
	char old[4200];

	close(s->file);
	snprintf(old, sizeof(old), "%s.1", s->path);
	if (rename(s->path, old) < 0)
		fprintf(stderr, "harness-runtime: cannot rotate log '%s': %s\n", s->path, strerror(errno));
	s->file = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	s->size = 0;
}

static void *writer_main(void *arg)
{
	struct log_item it;

	for (;;) {
		pthread_mutex_lock(&lb.lock);
		while (lb.count == 0 && !(lb.stopping && lb.open_streams == 0))
			pthread_cond_wait(&lb.not_empty, &lb.lock);
		if (lb.count == 0) {
			pthread_mutex_unlock(&lb.lock);
			return NULL;
		}
		/* Copy out so the slot is free while the disk write happens. */
		it.s = lb.slots[lb.head].s;
		it.end = lb.slots[lb.head].end;
		it.len = lb.slots[lb.head].len;
		memcpy(it.data, lb.slots[lb.head].data, it.len);
		lb.head = (lb.head + 1) % LOG_SLOTS;
		lb.count--;
		pthread_cond_signal(&lb.not_full);
		pthread_mutex_unlock(&lb.lock);

		struct log_stream *s = it.s;
		if (it.end) {
			uint32_t id = s->id;

			if (s->file >= 0)
				close(s->file);
			pthread_join(s->producer, NULL);
			free(s);
			if (lb.notify_fd >= 0 && write_all(lb.notify_fd, &id, sizeof(id)) < 0)
				fprintf(stderr, "harness-runtime: cannot notify end of log %u\n", id);
			pthread_mutex_lock(&lb.lock);
			lb.open_streams--;
			pthread_cond_broadcast(&lb.idle);
			pthread_cond_broadcast(&lb.not_empty);
			pthread_mutex_unlock(&lb.lock);
			continue;
		}
		if (s->max_bytes && s->size > 0 && s->size + it.len > s->max_bytes)
			rotate(s);
		if (s->file >= 0) {
			ssize_t w = write_all(s->file, it.data, it.len);
			if (w > 0)
				s->size += (uint64_t)w;
		}
	}
}

static void *producer_main(void *arg)
{
	struct log_stream *s = arg;
	char buf[2][LOG_LINE_MAX];
	size_t fill[2] = { 0, 0 };
	struct pollfd pfd[2];
	int open_fds = 2;

	for (int i = 0; i < 2; i++) {
		pfd[i].fd = s->fd[i];
		pfd[i].events = POLLIN;
		if (s->fd[i] < 0)
			open_fds--;
	}
	while (open_fds > 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = read(pfd[i].fd, buf[i] + fill[i], sizeof(buf[i]) - fill[i]);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				if (fill[i])
					push(s, buf[i], fill[i], 0);
				fill[i] = 0;
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			fill[i] += (size_t)n;
			/* Push every complete line; keep the partial tail. */
			size_t start = 0;
			for (size_t k = 0; k < fill[i]; k++) {
				if (buf[i][k] == '\n') {
					push(s, buf[i] + start, k + 1 - start, 0);
					start = k + 1;
				}
			}
			if (start == 0 && fill[i] == sizeof(buf[i])) {
				push(s, buf[i], fill[i], 0);	/* over-long line */
				start = fill[i];
			}
			memmove(buf[i], buf[i] + start, fill[i] - start);
			fill[i] -= start;
		}
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	push(s, NULL, 0, 1);
	return NULL;
}

int logsys_start(int notify_fd, struct herror *err)
{
	int r;

	lb.notify_fd = notify_fd;
	lb.stopping = 0;
	r = pthread_create(&lb.writer, NULL, writer_main, NULL);
	if (r)
		return error_set(err, r, "cannot start the log writer thread");
	lb.running = 1;
	return 0;
}

int log_stream_open(const char *path, uint64_t max_bytes, int out_fd, int err_fd, uint32_t id,
		    struct herror *err)
{
	struct log_stream *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return error_set(err, ENOMEM, "cannot open log '%s'", path);
	if (strlen(path) >= sizeof(s->path)) {
		free(s);
		return error_setx(err, ENAMETOOLONG, "log path too long: '%s'", path);
	}
	memcpy(s->path, path, strlen(path) + 1);
	s->max_bytes = max_bytes;
	s->fd[0] = out_fd;
	s->fd[1] = err_fd;
	s->id = id;
	s->file = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->file < 0) {
		r = error_set(err, errno, "cannot open log '%s'", path);
		free(s);
		return r;
	}
	s->size = (uint64_t)lseek(s->file, 0, SEEK_END);
	pthread_mutex_lock(&lb.lock);
	lb.open_streams++;
	pthread_mutex_unlock(&lb.lock);
	r = pthread_create(&s->producer, NULL, producer_main, s);
	if (r) {
		pthread_mutex_lock(&lb.lock);
		lb.open_streams--;
		pthread_mutex_unlock(&lb.lock);
		close(s->file);
		free(s);
		return error_set(err, r, "cannot start the log reader for '%s'", path);
	}
	return 0;
}

void logsys_stop(void)
{
	if (!lb.running)
		return;
	pthread_mutex_lock(&lb.lock);
	lb.stopping = 1;
	while (lb.open_streams > 0)
		pthread_cond_wait(&lb.idle, &lb.lock);
	pthread_cond_broadcast(&lb.not_empty);
	pthread_mutex_unlock(&lb.lock);
	pthread_join(lb.writer, NULL);
	lb.running = 0;
}
