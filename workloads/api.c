/* api: a tiny HTTP/1.1 JSON service and its load client, for the call
 * between two containers (the seeds' "kitchen" server and "diner" client).
 *
 *   api server --port P [--bind ADDR] [--timeout S]
 *   api client --url http://H:P/path [--requests N | --duration S] [--concurrency C]
 *
 * Plain sockets and a deliberately small HTTP subset (workloads/README.md, "api"):
 * requests and responses framed by Content-Length, keep-alive by default,
 * no chunked encoding, no TLS. Bodies are JSON built and read with cJSON.
 * The server runs one thread per connection; the client runs C threads,
 * each with one keep-alive connection and one request in flight.
 */
#include "lathist.h"
#include "netio.h"
#include "wl.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static const char usage[] =
	"usage: api server --port P [--bind ADDR] [--timeout S] [--ready-file PATH]\n"
	"       api client --url http://HOST:PORT/PATH [--requests N] [--duration S]\n"
	"                  [--concurrency C] [--method GET|POST] [--body-size BYTES]\n"
	"\n"
	"server (ends on SIGTERM, on POST /stop, or after --timeout):\n"
	"  --port P            TCP port (0 picks one; printed on stderr)\n"
	"  --bind ADDR         listen address (default 0.0.0.0)\n"
	"  --timeout S         exit after S seconds (default 0: never)\n"
	"  --ready-file PATH   write the port there once listening\n"
	"  routes: GET /health; GET or POST /api/order; POST /api/echo; POST /stop\n"
	"client:\n"
	"  --url URL           http://HOST[:PORT][/PATH] (default path /api/order)\n"
	"  --requests N        requests in all (default 1000 without --duration)\n"
	"  --duration S        run for S seconds (with --requests: whichever first)\n"
	"  --concurrency C     connections, one request in flight each (default 1)\n"
	"  --method M          GET (default) or POST\n"
	"  --body-size BYTES   size of the POST body (default 64)\n"
	"  --timeout S         per request (default 5)\n"
	"  --connect-timeout S bound on connecting (default 5)\n"
	"  --stop-server       send POST /stop when done\n"
	"both:\n"
	"  --interval-ms MS    sample period (default 1000)\n"
	"  --help              this text\n"
	"\n"
	"Each side prints one JSON document: requests, errors by kind, status\n"
	"codes, round-trip percentiles in us (client).\n";

#define MAX_HEAD 8192
#define MAX_BODY (1 << 20)

struct api_opts {
	bool server;
	int port;
	const char *bind, *ready_file, *url;
	double timeout_s, duration_s, connect_timeout_s;
	uint64_t requests;
	int concurrency;
	bool post;
	uint64_t body_size;
	bool stop_server;
	int interval_ms;
	/* from --url */
	char host[256];
	char path[1024];
	int url_port;
};

static volatile int run_over;

static const sigset_t *stop_signals(void)
{
	static sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return &set;
}

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* ---- a minimal HTTP/1.1 message reader, shared by both sides ----
 * Reads one message head into buf (which may already hold bytes of the
 * next message), then its body of Content-Length bytes. */

struct http_msg {
	char line[1100];        /* request or status line */
	size_t content_length;
	bool close;             /* "Connection: close", or HTTP/1.0 */
	bool chunked;
	bool expect_continue;   /* "Expect: 100-continue" (curl sends it for bodies over 1 KiB) */
	char *body;             /* inside the connection buffer */
};

struct http_conn {
	int fd;
	bool server;            /* answers "Expect: 100-continue" */
	char buf[MAX_HEAD + MAX_BODY];
	size_t len;             /* bytes in buf */
	size_t consumed;        /* bytes of the last message, dropped on the next read */
};

/* Returns 1 with a message, 0 on a clean end of stream before any byte of
 * a message, or a negative errno (-EPROTO for a malformed message,
 * -EMSGSIZE for one too large). */
static int http_read(struct http_conn *hc, struct http_msg *m)
{
	char *end = NULL, *p, *line_end;
	size_t head_len;
	ssize_t n;

	if (hc->consumed) {
		memmove(hc->buf, hc->buf + hc->consumed, hc->len - hc->consumed);
		hc->len -= hc->consumed;
		hc->consumed = 0;
	}
	for (;;) {
		if (hc->len >= 4 && (end = memmem(hc->buf, hc->len, "\r\n\r\n", 4)))
			break;
		if (hc->len >= MAX_HEAD)
			return -EMSGSIZE;
		n = read(hc->fd, hc->buf + hc->len, MAX_HEAD - hc->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return hc->len ? -EPROTO : 0;
		hc->len += (size_t)n;
	}
	head_len = (size_t)(end - hc->buf) + 4;
	*end = '\0';
	memset(m, 0, sizeof(*m));
	line_end = strstr(hc->buf, "\r\n");
	if (line_end)
		*line_end = '\0';
	{
		/* the line is cut at sizeof(m->line) - 1: long targets fail to parse */
		size_t ll = strnlen(hc->buf, sizeof(m->line) - 1);
		memcpy(m->line, hc->buf, ll);
		m->line[ll] = '\0';
	}
	if (strstr(m->line, "HTTP/1.0"))
		m->close = true;
	for (p = line_end ? line_end + 2 : end; p < end; ) {
		char *next = strstr(p, "\r\n");
		char *colon, *v;

		if (next)
			*next = '\0';
		colon = strchr(p, ':');
		if (colon) {
			*colon = '\0';
			for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
				;
			if (!strcasecmp(p, "Content-Length")) {
				char *e;
				unsigned long long cl = strtoull(v, &e, 10);
				if (*v < '0' || *v > '9' || (*e && *e != ' ') || cl > MAX_BODY)
					return cl > MAX_BODY ? -EMSGSIZE : -EPROTO;
				m->content_length = (size_t)cl;
			} else if (!strcasecmp(p, "Connection")) {
				if (!strncasecmp(v, "close", 5))
					m->close = true;
				else if (!strncasecmp(v, "keep-alive", 10))
					m->close = false;
			} else if (!strcasecmp(p, "Transfer-Encoding")) {
				m->chunked = true;
			} else if (!strcasecmp(p, "Expect")) {
				m->expect_continue = !strncasecmp(v, "100-continue", 12);
			}
		}
		if (!next)
			break;
		p = next + 2;
	}
	if (m->chunked)
		return -ENOTSUP;
	if (hc->server && m->expect_continue && m->content_length &&
	    hc->len < head_len + m->content_length) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		int r = netio_write_full(hc->fd, cont, sizeof(cont) - 1);
		if (r < 0)
			return r;
	}
	while (hc->len < head_len + m->content_length) {
		n = read(hc->fd, hc->buf + hc->len, sizeof(hc->buf) - hc->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -EPROTO;
		hc->len += (size_t)n;
	}
	m->body = hc->buf + head_len;
	hc->consumed = head_len + m->content_length;
	return 1;
}

/* ---- server ---- */

struct server_stats {
	uint64_t requests;      /* answered, malformed ones included, /stop excluded */
	uint64_t status_2xx, status_4xx, status_5xx;
	uint64_t bad_requests;  /* malformed: answered 400/413/501 and closed */
	uint64_t connections;
	uint64_t bytes_in, bytes_out;
	uint64_t orders;
};

struct server {
	const struct api_opts *o;
	wl_doc *doc;
	struct server_stats st;
	pthread_mutex_t lock;   /* guards fds[] and active */
	int *fds;
	size_t nfds, capfds;
	int active;
	volatile int stop;
};

struct server_conn {
	struct server *s;
	struct http_conn hc;
};

static int send_response(int fd, int status, const char *reason, const cJSON *body, bool close_conn,
			 uint64_t *bytes_out)
{
	char head[256], *text = cJSON_PrintUnformatted(body);
	size_t blen;
	int n, r;

	if (!text)
		return -ENOMEM;
	blen = strlen(text);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: %s\r\n\r\n", status, reason, blen, close_conn ? "close" : "keep-alive");
	{
		struct iovec iov[2] = { { head, (size_t)n }, { text, blen } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		/* a short sendmsg is rare: finish with plain writes */
		if (w < 0)
			r = -errno;
		else if ((size_t)w < (size_t)n + blen) {
			size_t done = (size_t)w;
			r = 0;
			if (done < (size_t)n) {
				r = netio_write_full(fd, head + done, (size_t)n - done);
				done = (size_t)n;
			}
			if (!r)
				r = netio_write_full(fd, text + (done - (size_t)n), blen - (done - (size_t)n));
		} else
			r = 0;
	}
	count(bytes_out, (uint64_t)n + blen);
	free(text);
	return r;
}

/* Answer one request; returns the status sent. */
static int route(struct server *s, int fd, const struct http_msg *m, bool *close_conn)
{
	char method[16] = "", path[1024] = "", version[16] = "";
	cJSON *resp = cJSON_CreateObject(), *req = NULL;
	int status = 200, r;
	const char *reason = "OK";
	bool is_stop = false;

	if (sscanf(m->line, "%15s %1023s %15s", method, path, version) != 3 || strncmp(version, "HTTP/1.", 7)) {
		status = 400;
		reason = "Bad Request";
		*close_conn = true;
		wl_add_str(resp, "error", "malformed request line");
		count(&s->st.bad_requests, 1);
	} else if (!strcmp(path, "/health")) {
		wl_add_str(resp, "status", "ok");
	} else if (!strcmp(path, "/api/order") || !strncmp(path, "/api/order?", 11)) {
		const cJSON *order = NULL;
		uint64_t seq = __atomic_add_fetch(&s->st.orders, 1, __ATOMIC_RELAXED);

		if (!strcmp(method, "POST") && m->content_length) {
			req = cJSON_ParseWithLength(m->body, m->content_length);
			order = cJSON_GetObjectItemCaseSensitive(req, "order");
		}
		wl_add_str(resp, "status", "received");
		wl_add_str(resp, "order", cJSON_IsString(order) ? order->valuestring : "GET_USER_DATA");
		wl_add_num(resp, "seq", (double)seq);
		wl_add_str(resp, "message", "Order Received! (This is the API response)");
	} else if (!strcmp(path, "/api/echo") && !strcmp(method, "POST")) {
		wl_add_num(resp, "received_bytes", (double)m->content_length);
	} else if (!strcmp(path, "/stop") && !strcmp(method, "POST")) {
		wl_add_str(resp, "status", "stopping");
		is_stop = true;
		*close_conn = true;
	} else {
		status = 404;
		reason = "Not Found";
		wl_add_str(resp, "error", "no such route");
	}
	r = send_response(fd, status, reason, resp, *close_conn, &s->st.bytes_out);
	cJSON_Delete(resp);
	cJSON_Delete(req);
	if (is_stop) {
		s->stop = 1;
		return status;
	}
	count(&s->st.requests, 1);
	count(status < 300 ? &s->st.status_2xx : status < 500 ? &s->st.status_4xx : &s->st.status_5xx, 1);
	return r < 0 ? r : status;
}

static void answer_error(struct server *s, int fd, int err)
{
	cJSON *resp = cJSON_CreateObject();
	int status = err == -EMSGSIZE ? 413 : err == -ENOTSUP ? 501 : 400;

	wl_add_str(resp, "error", status == 413 ? "message too large" :
		   status == 501 ? "chunked transfer encoding is not supported" : "malformed request");
	send_response(fd, status, status == 413 ? "Payload Too Large" : status == 501 ? "Not Implemented" :
		      "Bad Request", resp, true, &s->st.bytes_out);
	cJSON_Delete(resp);
	count(&s->st.bad_requests, 1);
	count(&s->st.status_4xx, status < 500);
	count(&s->st.status_5xx, status >= 500);
}

static void *server_conn_main(void *arg)
{
	struct server_conn *sc = arg;
	struct server *s = sc->s;
	struct http_msg m;
	size_t i;
	int r;

	for (;;) {
		bool close_conn;

		r = http_read(&sc->hc, &m);
		if (r <= 0) {
			if (r == -EPROTO || r == -EMSGSIZE || r == -ENOTSUP)
				answer_error(s, sc->hc.fd, r);
			break;
		}
		count(&s->st.bytes_in, sc->hc.consumed);
		close_conn = m.close;
		r = route(s, sc->hc.fd, &m, &close_conn);
		if (r < 0 || close_conn)
			break;
	}
	shutdown(sc->hc.fd, SHUT_RDWR);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nfds; i++)
		if (s->fds[i] == sc->hc.fd) {
			s->fds[i] = s->fds[--s->nfds];
			break;
		}
	s->active--;
	pthread_mutex_unlock(&s->lock);
	close(sc->hc.fd);
	free(sc);
	return NULL;
}

static void server_accept(struct server *s, int lfd)
{
	struct server_conn *sc;
	pthread_attr_t attr;
	pthread_t th;
	sigset_t old;
	int fd, r;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	sc = malloc(sizeof(*sc));
	pthread_mutex_lock(&s->lock);
	if (sc && s->nfds == s->capfds) {
		size_t cap = s->capfds ? s->capfds * 2 : 64;
		int *nf = realloc(s->fds, cap * sizeof(*nf));
		if (nf) {
			s->fds = nf;
			s->capfds = cap;
		}
	}
	if (!sc || s->nfds == s->capfds) {
		pthread_mutex_unlock(&s->lock);
		fprintf(stderr, "api: out of memory: dropping a connection\n");
		free(sc);
		close(fd);
		return;
	}
	s->fds[s->nfds++] = fd;
	s->active++;
	pthread_mutex_unlock(&s->lock);
	sc->s = s;
	sc->hc.fd = fd;
	sc->hc.server = true;
	sc->hc.len = sc->hc.consumed = 0;
	count(&s->st.connections, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_BLOCK, stop_signals(), &old);
	r = pthread_create(&th, &attr, server_conn_main, sc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		fprintf(stderr, "api: cannot start a connection thread: %s\n", strerror(r));
		pthread_mutex_lock(&s->lock);
		s->nfds--;
		s->active--;
		pthread_mutex_unlock(&s->lock);
		close(fd);
		free(sc);
	}
}

static void server_sample(struct server *s, uint64_t start, uint64_t now, uint64_t *last_t, uint64_t *last_req)
{
	uint64_t req = __atomic_load_n(&s->st.requests, __ATOMIC_RELAXED);
	double dt = (double)(now - *last_t) / 1e9;
	cJSON *smp = wl_arr_obj(s->doc->samples);

	wl_add_num(smp, "t", (double)(now - start) / 1e9);
	wl_add_num(smp, "requests", (double)(req - *last_req));
	wl_add_num(smp, "requests_per_s", dt > 0 ? (double)(req - *last_req) / dt : 0);
	*last_t = now;
	*last_req = req;
	wl_state_publish(req, NULL);
}

/* opts: the struct api_opts (wl_run_main). */
static int run_server(const void *opts, wl_doc *doc)
{
	const struct api_opts *o = opts;
	struct server s = { .o = o, .doc = doc, .lock = PTHREAD_MUTEX_INITIALIZER };
	uint64_t start = mono_ns(), interval = (uint64_t)o->interval_ms * 1000000ull;
	uint64_t deadline = o->timeout_s > 0 ? start + (uint64_t)(o->timeout_s * 1e9) : 0;
	uint64_t next = start + interval, last_t = start, last_req = 0, end;
	struct herror err = { 0 };
	size_t i;
	int lfd, port, active;

	lfd = netio_listen(o->bind, (uint16_t)o->port, &err);
	if (lfd < 0) {
		wl_doc_error(doc, "%s", err.msg);
		return -1;
	}
	port = netio_local_port(lfd);
	wl_add_num(doc->params, "listen_port", port);
	fprintf(stderr, "api: listening on %s:%d\n", o->bind ? o->bind : "0.0.0.0", port);
	if (o->ready_file && netio_write_ready_file(o->ready_file, port, &err) < 0) {
		wl_doc_error(doc, "%s", err.msg);
		close(lfd);
		return -1;
	}
	while (!wl_stopping() && !s.stop) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		uint64_t now = mono_ns(), wake = next;

		if (deadline && now >= deadline)
			break;
		if (now >= next) {
			server_sample(&s, start, now, &last_t, &last_req);
			while (next <= now)
				next += interval;
			continue;
		}
		if (deadline && deadline < wake)
			wake = deadline;
		/* wake at least every 100 ms to notice POST /stop */
		if (wake > now + 100000000ull)
			wake = now + 100000000ull;
		if (poll(&pfd, 1, (int)((wake - now + 999999) / 1000000)) > 0)
			server_accept(&s, lfd);
	}
	close(lfd);
	/* end every keep-alive connection, then wait for their threads */
	pthread_mutex_lock(&s.lock);
	for (i = 0; i < s.nfds; i++)
		shutdown(s.fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&s.lock);
	for (;;) {
		pthread_mutex_lock(&s.lock);
		active = s.active;
		pthread_mutex_unlock(&s.lock);
		if (!active)
			break;
		usleep(1000);
	}
	end = mono_ns();
	if (end > last_t)
		server_sample(&s, start, end, &last_t, &last_req);
	wl_add_num(doc->totals, "requests", (double)s.st.requests);
	wl_add_num(doc->totals, "status_2xx", (double)s.st.status_2xx);
	wl_add_num(doc->totals, "status_4xx", (double)s.st.status_4xx);
	wl_add_num(doc->totals, "status_5xx", (double)s.st.status_5xx);
	wl_add_num(doc->totals, "bad_requests", (double)s.st.bad_requests);
	wl_add_num(doc->totals, "connections", (double)s.st.connections);
	wl_add_num(doc->totals, "received_bytes", (double)s.st.bytes_in);
	wl_add_num(doc->totals, "sent_bytes", (double)s.st.bytes_out);
	wl_add_num(doc->totals, "elapsed_s", (double)(end - start) / 1e9);
	wl_add_bool(doc->totals, "stopped_by_request", s.stop);
	if (deadline && end >= deadline && !s.stop && !wl_stopping())
		wl_add_bool(doc->totals, "timed_out", true);
	free(s.fds);
	return 0;
}

/* ---- client ---- */

enum err_kind { ERR_CONNECT, ERR_TIMEOUT, ERR_IO, ERR_PROTOCOL, ERR_STATUS, ERR_KINDS };
static const char *const err_names[] = { "connect", "timeout", "io", "protocol", "http_status" };

struct client {
	const struct api_opts *o;
	netio_addr addr;
	char *request;          /* the whole request, sent as is */
	size_t request_len;
	uint64_t tickets;       /* requests claimed so far */
	uint64_t ok, failed, errors[ERR_KINDS];
	uint64_t status_2xx, status_3xx, status_4xx, status_5xx;
	char first_error[256];
	pthread_mutex_t lock;
};

struct client_worker {
	pthread_t thread;
	bool running;
	struct client *c;
	struct http_conn *hc;
	lathist rtt;
};

static void client_error(struct client *c, enum err_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void client_error(struct client *c, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	count(&c->errors[kind], 1);
	count(&c->failed, 1);
	pthread_mutex_lock(&c->lock);
	if (!c->first_error[0]) {
		va_start(ap, fmt);
		vsnprintf(c->first_error, sizeof(c->first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&c->lock);
}

static bool claim_request(struct client *c)
{
	if (run_over || wl_stopping())
		return false;
	if (!c->o->requests)
		return true;
	return __atomic_fetch_add(&c->tickets, 1, __ATOMIC_RELAXED) < c->o->requests;
}

static void *client_worker_main(void *arg)
{
	struct client_worker *w = arg;
	struct client *c = w->c;
	struct http_msg m;
	struct herror err = { 0 };
	char e[64];
	int fd = -1, r, status;
	int cto = (int)(c->o->connect_timeout_s * 1000), rto = (int)(c->o->timeout_s * 1000);

	while (claim_request(c)) {
		uint64_t t0 = mono_ns();

		if (fd < 0) {
			error_clear(&err);
			fd = netio_connect(&c->addr, cto, &err);
			if (fd < 0) {
				client_error(c, fd == -ETIMEDOUT ? ERR_TIMEOUT : ERR_CONNECT, "%s", err.msg);
				/* do not spin on a server that is down */
				usleep(10000);
				continue;
			}
			netio_set_io_timeout(fd, rto);
			w->hc->fd = fd;
			w->hc->len = w->hc->consumed = 0;
		}
		r = netio_write_full(fd, c->request, c->request_len);
		if (r >= 0)
			r = http_read(w->hc, &m);
		if (r <= 0) {
			if (r == 0)
				r = -EPIPE;
			client_error(c, r == -ETIMEDOUT ? ERR_TIMEOUT : r == -EPROTO || r == -EMSGSIZE ||
				     r == -ENOTSUP ? ERR_PROTOCOL : ERR_IO, "request to '%s': %s",
				     c->addr.text, netio_strerror(r, e, sizeof(e)));
			close(fd);
			fd = -1;
			continue;
		}
		lathist_record(&w->rtt, mono_ns() - t0);
		if (sscanf(m.line, "HTTP/1.%*d %d", &status) != 1) {
			client_error(c, ERR_PROTOCOL, "bad status line from '%s': '%.60s'", c->addr.text, m.line);
			close(fd);
			fd = -1;
			continue;
		}
		count(status < 300 ? &c->status_2xx : status < 400 ? &c->status_3xx :
		      status < 500 ? &c->status_4xx : &c->status_5xx, 1);
		if (status >= 200 && status < 300)
			count(&c->ok, 1);
		else
			client_error(c, ERR_STATUS, "'%s' answered '%.60s'", c->addr.text, m.line);
		if (m.close) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int build_request(struct client *c, const struct api_opts *o, const char *method, const char *path,
			 size_t body_size)
{
	cJSON *body = NULL;
	char *text = NULL, *pad = NULL;
	size_t blen = 0, cap;
	int n;

	if (body_size) {
		/* {"order":"GET_USER_DATA","pad":"xxx"} padded to body_size bytes */
		body = cJSON_CreateObject();
		wl_add_str(body, "order", "GET_USER_DATA");
		text = cJSON_PrintUnformatted(body);
		blen = text ? strlen(text) : 0;
		if (text && body_size > blen + 9) {
			pad = malloc(body_size - blen - 9 + 1);
			if (pad) {
				memset(pad, 'x', body_size - blen - 9);
				pad[body_size - blen - 9] = '\0';
				wl_add_str(body, "pad", pad);
				free(text);
				text = cJSON_PrintUnformatted(body);
				blen = text ? strlen(text) : 0;
			}
		}
		free(pad);
		cJSON_Delete(body);
		if (!text)
			return -ENOMEM;
	}
	cap = 512 + strlen(path) + strlen(o->host) + blen;
	c->request = malloc(cap);
	if (!c->request) {
		free(text);
		return -ENOMEM;
	}
	if (body_size)
		n = snprintf(c->request, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: wl-api/1\r\n"
			     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			     method, path, o->host, o->url_port, blen, text);
	else
		n = snprintf(c->request, cap, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: wl-api/1\r\n\r\n",
			     method, path, o->host, o->url_port);
	free(text);
	c->request_len = (size_t)n;
	return 0;
}

static void stop_server(struct client *c, const struct api_opts *o, wl_doc *doc)
{
	struct http_conn *hc = calloc(1, sizeof(*hc));
	struct http_msg m;
	struct herror err = { 0 };
	char e[64];
	int fd, r;

	if (!hc)
		return;
	free(c->request);
	c->request = NULL;
	fd = netio_connect(&c->addr, (int)(o->connect_timeout_s * 1000), &err);
	if (fd < 0) {
		wl_doc_error(doc, "cannot stop the server: %s", err.msg);
		free(hc);
		return;
	}
	netio_set_io_timeout(fd, (int)(o->timeout_s * 1000));
	hc->fd = fd;
	hc->len = hc->consumed = 0;
	r = build_request(c, o, "POST", "/stop", 0);
	if (!r)
		r = netio_write_full(fd, c->request, c->request_len);
	if (!r)
		r = http_read(hc, &m);
	if (r <= 0)
		wl_doc_error(doc, "cannot stop the server at '%s': %s", c->addr.text,
			     netio_strerror(r ? r : -EPIPE, e, sizeof(e)));
	close(fd);
	free(hc);
}

static void client_sample(wl_doc *doc, struct client *c, uint64_t start, uint64_t now,
			  uint64_t *last_t, uint64_t *last_ok, uint64_t *last_failed)
{
	uint64_t ok = __atomic_load_n(&c->ok, __ATOMIC_RELAXED);
	uint64_t failed = __atomic_load_n(&c->failed, __ATOMIC_RELAXED);
	double dt = (double)(now - *last_t) / 1e9;
	cJSON *smp = wl_arr_obj(doc->samples);

	wl_add_num(smp, "t", (double)(now - start) / 1e9);
	wl_add_num(smp, "ok", (double)(ok - *last_ok));
	wl_add_num(smp, "errors", (double)(failed - *last_failed));
	wl_add_num(smp, "requests_per_s", dt > 0 ? (double)(ok + failed - *last_ok - *last_failed) / dt : 0);
	*last_t = now;
	*last_ok = ok;
	*last_failed = failed;
	wl_state_publish(ok + failed, NULL);
}

/* opts: the struct api_opts (wl_run_main). */
static int run_client(const void *opts, wl_doc *doc)
{
	const struct api_opts *o = opts;
	struct client c = { .o = o, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct client_worker *ws;
	uint64_t start, end, interval = (uint64_t)o->interval_ms * 1000000ull, next, deadline = 0;
	uint64_t last_t, last_ok = 0, last_failed = 0;
	struct herror err = { 0 };
	lathist rtt;
	sigset_t old;
	cJSON *ej;
	int i, started = 0, done;

	if (netio_resolve(o->host, (uint16_t)o->url_port, &c.addr, &err) < 0) {
		wl_doc_error(doc, "%s", err.msg);
		return -1;
	}
	if (build_request(&c, o, o->post ? "POST" : "GET", o->path, o->post ? o->body_size : 0) < 0) {
		wl_doc_error(doc, "cannot allocate the request");
		return -1;
	}
	ws = calloc((size_t)o->concurrency, sizeof(*ws));
	if (!ws || lathist_init(&rtt) < 0) {
		wl_doc_error(doc, "cannot allocate %d workers", o->concurrency);
		free(ws);
		return -1;
	}
	/* an unreachable server is an error of the run, not of each request */
	{
		int fd = netio_connect(&c.addr, (int)(o->connect_timeout_s * 1000), &err);
		if (fd < 0) {
			wl_doc_error(doc, "%s", err.msg);
			goto out;
		}
		close(fd);
	}
	start = mono_ns();
	pthread_sigmask(SIG_BLOCK, stop_signals(), &old);
	for (i = 0; i < o->concurrency; i++) {
		ws[i].c = &c;
		ws[i].hc = calloc(1, sizeof(*ws[i].hc));
		if (!ws[i].hc || lathist_init(&ws[i].rtt) < 0) {
			wl_doc_error(doc, "cannot allocate worker %d", i);
			break;
		}
		ws[i].running = pthread_create(&ws[i].thread, NULL, client_worker_main, &ws[i]) == 0;
		if (!ws[i].running) {
			wl_doc_error(doc, "cannot start worker thread %d", i);
			break;
		}
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started < o->concurrency)
		run_over = 1;
	if (o->duration_s > 0)
		deadline = start + (uint64_t)(o->duration_s * 1e9);
	next = start + interval;
	last_t = start;
	for (;;) {
		uint64_t now = mono_ns(), wake;

		if (wl_stopping() || (deadline && now >= deadline))
			run_over = 1;
		done = o->requests && __atomic_load_n(&c.tickets, __ATOMIC_RELAXED) >= o->requests &&
		       __atomic_load_n(&c.ok, __ATOMIC_RELAXED) + __atomic_load_n(&c.failed, __ATOMIC_RELAXED) >=
		       o->requests;
		if (run_over || done)
			break;
		if (now >= next) {
			client_sample(doc, &c, start, now, &last_t, &last_ok, &last_failed);
			while (next <= now)
				next += interval;
		}
		/* poll the completion every 5 ms: cheap, and ends a --requests run promptly */
		wake = now + 5000000ull;
		if (wake > next)
			wake = next;
		wl_sleep_until_ns(wake);
	}
	run_over = 1;
	for (i = 0; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	end = mono_ns();
	/* the last, partial interval: the samples add up to the totals */
	if (c.ok + c.failed > last_ok + last_failed)
		client_sample(doc, &c, start, end, &last_t, &last_ok, &last_failed);
	for (i = 0; i < started; i++)
		lathist_merge(&rtt, &ws[i].rtt);
	wl_add_num(doc->totals, "requests", (double)(c.ok + c.failed));
	wl_add_num(doc->totals, "ok", (double)c.ok);
	wl_add_num(doc->totals, "errors", (double)c.failed);
	ej = wl_add_obj(doc->totals, "errors_by_kind");
	for (i = 0; i < ERR_KINDS; i++)
		wl_add_num(ej, err_names[i], (double)c.errors[i]);
	wl_add_num(doc->totals, "status_2xx", (double)c.status_2xx);
	wl_add_num(doc->totals, "status_3xx", (double)c.status_3xx);
	wl_add_num(doc->totals, "status_4xx", (double)c.status_4xx);
	wl_add_num(doc->totals, "status_5xx", (double)c.status_5xx);
	wl_add_num(doc->totals, "elapsed_s", (double)(end - start) / 1e9);
	wl_add_num(doc->totals, "requests_per_s", (double)c.ok / ((double)(end - start) / 1e9));
	lathist_add_summary_us(doc->totals, "rtt_us", &rtt);
	if (c.first_error[0])
		wl_add_str(doc->totals, "first_error", c.first_error);
	if (c.ok == 0 && c.failed > 0)
		wl_doc_error(doc, "no request succeeded: %s", c.first_error);
	if (o->stop_server)
		stop_server(&c, o, doc);
out:
	for (i = 0; i < o->concurrency; i++) {
		free(ws[i].hc);
		lathist_free(&ws[i].rtt);
	}
	free(ws);
	lathist_free(&rtt);
	free(c.request);
	return 0;
}

/* ---- command line ---- */

/* http://HOST[:PORT][/PATH], HOST may be [v6]. */
static int parse_url(struct api_opts *o, wl_doc *doc)
{
	const char *p = o->url, *host_end, *port_start = NULL, *path;
	size_t hlen;

	if (strncmp(p, "http://", 7)) {
		wl_doc_error(doc, "invalid value '%s' for option '--url': only http:// URLs are supported", o->url);
		return -EINVAL;
	}
	p += 7;
	path = strchr(p, '/');
	if (!path)
		path = p + strlen(p);
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(path - p));
		if (!host_end)
			goto bad;
		hlen = (size_t)(host_end - p - 1);
		p++;
		if (host_end[1] == ':')
			port_start = host_end + 2;
		else if (host_end + 1 != path)
			goto bad;
	} else {
		host_end = memchr(p, ':', (size_t)(path - p));
		if (host_end)
			port_start = host_end + 1;
		else
			host_end = path;
		hlen = (size_t)(host_end - p);
	}
	if (!hlen || hlen >= sizeof(o->host))
		goto bad;
	memcpy(o->host, p, hlen);
	o->host[hlen] = '\0';
	o->url_port = 80;
	if (port_start) {
		char port[8];
		size_t plen = (size_t)(path - port_start);
		if (!plen || plen >= sizeof(port))
			goto bad;
		memcpy(port, port_start, plen);
		port[plen] = '\0';
		if (wl_parse_int("--url", port, 1, 65535, &o->url_port, NULL) < 0)
			goto bad;
	}
	snprintf(o->path, sizeof(o->path), "%s", *path ? path : "/api/order");
	if (strchr(o->path, ' ') || strchr(o->path, '\r') || strchr(o->path, '\n'))
		goto bad;
	return 0;
bad:
	wl_doc_error(doc, "invalid value '%s' for option '--url': use http://HOST[:PORT][/PATH]", o->url);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct api_opts *o, wl_doc *doc)
{
	struct herror opt_err = { 0 };
	enum { OPT_PORT = 1, OPT_BIND, OPT_TIMEOUT, OPT_READY, OPT_URL, OPT_REQUESTS, OPT_DURATION,
	       OPT_CONC, OPT_METHOD, OPT_BODY, OPT_CTO, OPT_STOP, OPT_INTERVAL, OPT_HELP };
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, OPT_PORT },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "url", required_argument, NULL, OPT_URL },
		{ "requests", required_argument, NULL, OPT_REQUESTS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "concurrency", required_argument, NULL, OPT_CONC },
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "body-size", required_argument, NULL, OPT_BODY },
		{ "connect-timeout", required_argument, NULL, OPT_CTO },
		{ "stop-server", no_argument, NULL, OPT_STOP },
		{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	bool port_set = false, timeout_set = false;
	int c, r = 0, li = 0;

	r = wl_opt_role(doc, argc, argv, usage, &o->server);
	if (r < 0)
		return r;
	while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		bool server_only = c == OPT_PORT || c == OPT_BIND || c == OPT_READY;
		bool client_only = c == OPT_URL || c == OPT_REQUESTS || c == OPT_DURATION || c == OPT_CONC ||
				   c == OPT_METHOD || c == OPT_BODY || c == OPT_CTO || c == OPT_STOP;

		if ((o->server && client_only) || (!o->server && server_only))
			return wl_opt_wrong_role(doc, longopts[li].name, o->server);
		switch (c) {
		case OPT_PORT: r = wl_parse_int("--port", optarg, 0, 65535, &o->port, &opt_err); port_set = true; break;
		case OPT_BIND: o->bind = optarg; break;
		case OPT_TIMEOUT:
			r = wl_parse_double("--timeout", optarg, 0, 1e7, &o->timeout_s, &opt_err);
			timeout_set = true;
			break;
		case OPT_READY: o->ready_file = optarg; break;
		case OPT_URL: o->url = optarg; break;
		case OPT_REQUESTS: r = wl_parse_u64("--requests", optarg, 1, UINT64_MAX / 2, &o->requests, &opt_err); break;
		case OPT_DURATION: r = wl_parse_double("--duration", optarg, 0.01, 1e7, &o->duration_s, &opt_err); break;
		case OPT_CONC: r = wl_parse_int("--concurrency", optarg, 1, 1024, &o->concurrency, &opt_err); break;
		case OPT_METHOD:
			if (!strcmp(optarg, "GET")) {
				o->post = false;
			} else if (!strcmp(optarg, "POST")) {
				o->post = true;
			} else {
				wl_doc_error(doc, "invalid value '%s' for option '--method': use GET or POST", optarg);
				return -EINVAL;
			}
			break;
		case OPT_BODY: r = wl_parse_size("--body-size", optarg, 0, MAX_BODY, &o->body_size, &opt_err); break;
		case OPT_CTO: r = wl_parse_double("--connect-timeout", optarg, 0.001, 3600, &o->connect_timeout_s, &opt_err); break;
		case OPT_STOP: o->stop_server = true; break;
		case OPT_INTERVAL: r = wl_parse_int("--interval-ms", optarg, 10, 3600000, &o->interval_ms, &opt_err); break;
		case OPT_HELP: wl_help_exit(usage);
		default: return wl_opt_unknown(doc, argv);
		}
		if (r < 0)
			return wl_doc_fail(doc, r, "%s", opt_err.msg);
	}
	if ((r = wl_opt_end(doc, argc, argv)) < 0)
		return r;
	if (o->server) {
		if (!port_set)
			return wl_opt_required(doc, "port");
		return 0;
	}
	if (!o->url)
		return wl_opt_required(doc, "url");
	if (!timeout_set)
		o->timeout_s = 5;
	if (o->timeout_s <= 0) {
		wl_doc_error(doc, "option '--timeout' must be positive for the client");
		return -EINVAL;
	}
	if (!o->requests && !o->duration_s)
		o->requests = 1000;
	return parse_url(o, doc);
}

static void add_params(wl_doc *doc, const struct api_opts *o)
{
	wl_add_str(doc->params, "role", o->server ? "server" : "client");
	wl_add_num(doc->params, "timeout_s", o->timeout_s);
	wl_add_num(doc->params, "interval_ms", o->interval_ms);
	if (o->server) {
		wl_add_num(doc->params, "port", o->port);
		wl_add_str(doc->params, "bind", o->bind ? o->bind : "0.0.0.0");
		return;
	}
	wl_add_str(doc->params, "url", o->url);
	wl_add_num(doc->params, "requests", (double)o->requests);
	wl_add_num(doc->params, "duration_s", o->duration_s);
	wl_add_num(doc->params, "concurrency", o->concurrency);
	wl_add_str(doc->params, "method", o->post ? "POST" : "GET");
	wl_add_num(doc->params, "body_size_bytes", o->post ? (double)o->body_size : 0);
	wl_add_num(doc->params, "connect_timeout_s", o->connect_timeout_s);
	wl_add_bool(doc->params, "stop_server", o->stop_server);
}

int main(int argc, char **argv)
{
	struct api_opts o = {
		.concurrency = 1, .body_size = 64, .connect_timeout_s = 5, .interval_ms = 1000,
	};
	wl_doc doc;

	wl_doc_init(&doc, "api");
	if (parse_args(argc, argv, &o, &doc) < 0)
		return wl_doc_finish_usage(&doc);
	add_params(&doc, &o);
	return wl_run_main(&doc, o.server ? run_server : run_client, &o);
}
