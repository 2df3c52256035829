/* net: TCP stream throughput and request/response latency, server and client.
 *
 *   net server --port P [--bind ADDR] [--timeout S]
 *   net client --host H --port P --mode stream|rr --connections N --duration S
 *
 * A session is one control connection plus N data connections, each opened
 * with a fixed 32-byte hello (below). Stream: the client writes --size bytes
 * per call for the duration. rr: the client writes a --size request and
 * waits for the --size response, timing each round trip. At the end the
 * client half-closes every data connection; the server answers with the
 * bytes it received there (8 bytes) and closes, so both sides count exactly
 * the same bytes and the client reports the server's figure next to its own.
 * The server ends its session when the control connection closes.
 */
#include "lathist.h"
#include "netio.h"
#include "wl.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: net server --port P [--bind ADDR] [--timeout S] [--ready-file PATH]\n"
	"       net client --host H --port P [--mode stream|rr] [--connections N]\n"
	"                  [--duration S] [--size BYTES] [--connect-timeout S]\n"
	"\n"
	"server:\n"
	"  --port P            TCP port (0 picks one; it is printed on stderr)\n"
	"  --bind ADDR         listen address (default 0.0.0.0)\n"
	"  --timeout S         give up after S seconds in all (default 0: never);\n"
	"                      the server otherwise exits when its client is done\n"
	"  --ready-file PATH   write the port there once listening\n"
	"client:\n"
	"  --host H            server address (numeric, localhost or /etc/hosts)\n"
	"  --port P            server port\n"
	"  --mode M            stream (throughput, default) or rr (request/response)\n"
	"  --connections N     parallel connections, one thread each (default 1)\n"
	"  --duration S        seconds (default 10)\n"
	"  --size BYTES        write size in stream mode (default 128k), request and\n"
	"                      response size in rr mode (default 1)\n"
	"  --connect-timeout S bound on connecting (default 5)\n"
	"both:\n"
	"  --io-timeout S      a peer silent for this long is an error (default 10)\n"
	"  --interval-ms MS    sample period (default 1000)\n"
	"  --help              this text\n"
	"\n"
	"Each side prints one JSON document; the byte counts of the two agree.\n";

#define HELLO_MAGIC 0x574c4e31u  /* "WLN1" */
#define HELLO_LEN 32
enum { KIND_CONTROL = 1, KIND_DATA = 2 };
enum { MODE_STREAM = 1, MODE_RR = 2 };

struct hello {
	uint32_t kind, mode, conns, size, index;
	uint64_t cookie;
};

struct net_opts {
	bool server;
	const char *host, *bind, *ready_file;
	int port;
	int mode;
	int conns;
	double duration_s, timeout_s, connect_timeout_s, io_timeout_s;
	uint64_t size;
	bool size_set;
	int interval_ms;
};

/* One data connection, on either side. Counters are written by its thread
 * and read by the sampler. */
struct conn {
	pthread_t thread;
	bool running;
	int fd;
	int index;
	int mode;
	size_t size;
	uint64_t sent, received, transactions;
	uint64_t peer_received;   /* client: what the server says it received */
	bool peer_reported;
	lathist rtt;
	int err;
	const char *err_what;
	int io_timeout_ms;
};

static volatile int run_over;
static int conns_ended;         /* client threads that have returned */

static void hello_pack(const struct hello *h, unsigned char *b)
{
	uint32_t v[6] = { htobe32(HELLO_MAGIC), htobe32(h->kind), htobe32(h->mode),
			  htobe32(h->conns), htobe32(h->size), htobe32(h->index) };
	uint64_t c = htobe64(h->cookie);

	memcpy(b, v, sizeof(v));
	memcpy(b + 24, &c, 8);
}

static int hello_unpack(const unsigned char *b, struct hello *h)
{
	uint32_t v[6];
	uint64_t c;

	memcpy(v, b, sizeof(v));
	memcpy(&c, b + 24, 8);
	if (be32toh(v[0]) != HELLO_MAGIC)
		return -EPROTO;
	h->kind = be32toh(v[1]);
	h->mode = be32toh(v[2]);
	h->conns = be32toh(v[3]);
	h->size = be32toh(v[4]);
	h->index = be32toh(v[5]);
	h->cookie = be64toh(c);
	if ((h->kind != KIND_CONTROL && h->kind != KIND_DATA) ||
	    (h->mode != MODE_STREAM && h->mode != MODE_RR) ||
	    h->conns < 1 || h->conns > 1024 || h->size < 1 || h->size > (64u << 20))
		return -EPROTO;
	return 0;
}

static void add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* -ESHUTDOWN stands for "the peer closed the connection early" */
static const char *conn_strerror(int err, char *buf, size_t len)
{
	if (err == -ESHUTDOWN)
		return "the peer closed the connection";
	return netio_strerror(err, buf, len);
}

static void conn_fail(struct conn *c, int err, const char *what)
{
	if (!c->err) {
		c->err = err;
		c->err_what = what;
	}
}

/* ---- server side ---- */

static void *server_conn_main(void *arg)
{
	struct conn *c = arg;
	size_t buflen = c->size > 131072 ? c->size : 131072;
	char *buf = malloc(buflen);
	uint64_t be;
	ssize_t n;
	int r;

	if (!buf) {
		conn_fail(c, -ENOMEM, "allocate a buffer");
		goto out;
	}
	if (c->mode == MODE_STREAM) {
		for (;;) {
			n = read(c->fd, buf, buflen);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				conn_fail(c, errno == EAGAIN ? -ETIMEDOUT : -errno, "receive");
				goto out;
			}
			if (n == 0)
				break;
			add(&c->received, (uint64_t)n);
		}
	} else {
		for (;;) {
			n = netio_read_full(c->fd, buf, c->size);
			if (n < 0) {
				conn_fail(c, (int)n, "receive a request");
				goto out;
			}
			if (n > 0)
				add(&c->received, (uint64_t)n);
			if ((size_t)n < c->size) {
				if (n)
					conn_fail(c, -EPROTO, "receive a whole request");
				break;
			}
			r = netio_write_full(c->fd, buf, c->size);
			if (r < 0) {
				conn_fail(c, r, "send a response");
				goto out;
			}
			add(&c->sent, c->size);
			add(&c->transactions, 1);
		}
	}
	/* the client half-closed: tell it what arrived, then close */
	be = htobe64(load(&c->received));
	r = netio_write_full(c->fd, &be, sizeof(be));
	if (r < 0)
		conn_fail(c, r, "send the byte count");
out:
	free(buf);
	shutdown(c->fd, SHUT_RDWR);
	return NULL;
}

struct server {
	const struct net_opts *o;
	wl_doc *doc;
	int lfd, cfd;
	struct hello session;
	struct conn *conns;
	int nconns;
	uint64_t start;
	bool have_session;
	bool cut;               /* the server ended the session (SIGTERM, timeout) */
};

static void server_samples(struct server *s, uint64_t now, uint64_t *last_t, uint64_t *last_rx, uint64_t *last_tx)
{
	uint64_t rx = 0, tx = 0;
	double dt = (double)(now - *last_t) / 1e9;
	cJSON *smp;
	int i;

	for (i = 0; i < s->nconns; i++) {
		rx += load(&s->conns[i].received);
		tx += load(&s->conns[i].sent);
	}
	smp = wl_arr_obj(s->doc->samples);
	wl_add_num(smp, "t", (double)(now - s->start) / 1e9);
	wl_add_num(smp, "received_bytes", (double)(rx - *last_rx));
	wl_add_num(smp, "sent_bytes", (double)(tx - *last_tx));
	wl_add_num(smp, "received_bits_per_s", dt > 0 ? (double)(rx - *last_rx) * 8 / dt : 0);
	*last_t = now;
	*last_rx = rx;
	*last_tx = tx;
	wl_state_publish(rx + tx, NULL);
}

/* Read the hello of a new connection and attach it to the session. */
static void server_accept(struct server *s, sigset_t *old)
{
	unsigned char b[HELLO_LEN];
	struct hello h;
	struct conn *c;
	sigset_t block;
	ssize_t n;
	int fd;

	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	netio_set_io_timeout(fd, (int)(s->o->io_timeout_s * 1000));
	n = netio_read_full(fd, b, sizeof(b));
	if (n != HELLO_LEN || hello_unpack(b, &h) < 0) {
		fprintf(stderr, "net: ignoring a connection without a valid hello\n");
		close(fd);
		return;
	}
	if (h.kind == KIND_CONTROL) {
		if (s->have_session) {
			fprintf(stderr, "net: ignoring a second client while a session runs\n");
			close(fd);
			return;
		}
		s->session = h;
		s->have_session = true;
		s->cfd = fd;
		s->start = mono_ns();
		s->conns = calloc(h.conns, sizeof(*s->conns));
		if (!s->conns) {
			wl_doc_error(s->doc, "cannot allocate %u connections", h.conns);
			run_over = 1;
		}
		return;
	}
	if (!s->have_session || h.cookie != s->session.cookie || h.index >= s->session.conns ||
	    s->conns[h.index].running) {
		fprintf(stderr, "net: ignoring a data connection outside the session\n");
		close(fd);
		return;
	}
	c = &s->conns[h.index];
	c->fd = fd;
	c->index = (int)h.index;
	c->mode = (int)s->session.mode;
	c->size = s->session.size;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, old);
	c->running = pthread_create(&c->thread, NULL, server_conn_main, c) == 0;
	pthread_sigmask(SIG_SETMASK, old, NULL);
	if (!c->running) {
		wl_doc_error(s->doc, "cannot start a thread for connection %u", h.index);
		close(fd);
		return;
	}
	s->nconns = s->nconns > (int)h.index + 1 ? s->nconns : (int)h.index + 1;
}

static void server_totals(struct server *s, double elapsed)
{
	uint64_t rx = 0, tx = 0, tr = 0;
	cJSON *per, *pc;
	int i, nconn = 0;
	char e[64];

	per = wl_add_arr(s->doc->totals, "per_connection");
	for (i = 0; i < s->nconns; i++) {
		struct conn *c = &s->conns[i];
		if (!c->running)
			continue;
		nconn++;
		rx += c->received;
		tx += c->sent;
		tr += c->transactions;
		pc = wl_arr_obj(per);
		wl_add_num(pc, "index", i);
		wl_add_num(pc, "received_bytes", (double)c->received);
		wl_add_num(pc, "sent_bytes", (double)c->sent);
		/* errors after the server cut the session itself are its doing */
		if (c->err && !s->cut)
			wl_doc_error(s->doc, "connection %d: cannot %s: %s", i, c->err_what,
				     conn_strerror(c->err, e, sizeof(e)));
	}
	wl_add_str(s->doc->totals, "mode", !s->have_session ? "none" :
		   s->session.mode == MODE_STREAM ? "stream" : "rr");
	wl_add_num(s->doc->totals, "connections", nconn);
	wl_add_num(s->doc->totals, "received_bytes", (double)rx);
	wl_add_num(s->doc->totals, "sent_bytes", (double)tx);
	wl_add_num(s->doc->totals, "transactions", (double)tr);
	wl_add_num(s->doc->totals, "elapsed_s", elapsed);
	wl_add_num(s->doc->totals, "received_bits_per_s", elapsed > 0 ? (double)rx * 8 / elapsed : 0);
}

/* opts: the struct net_opts (wl_run_main). */
static int run_server(const void *opts, wl_doc *doc)
{
	const struct net_opts *o = opts;
	struct server s = { .o = o, .doc = doc, .lfd = -1, .cfd = -1 };
	uint64_t t0 = mono_ns(), deadline, interval, next = 0, last_t = 0, last_rx = 0, last_tx = 0;
	uint64_t end = 0;
	struct herror err = { 0 };
	sigset_t old;
	int port, i;

	deadline = o->timeout_s > 0 ? t0 + (uint64_t)(o->timeout_s * 1e9) : 0;
	interval = (uint64_t)o->interval_ms * 1000000ull;
	s.lfd = netio_listen(o->bind, (uint16_t)o->port, &err);
	if (s.lfd < 0) {
		wl_doc_error(doc, "%s", err.msg);
		return -1;
	}
	port = netio_local_port(s.lfd);
	wl_add_num(doc->params, "listen_port", port);
	fprintf(stderr, "net: listening on %s:%d\n", o->bind ? o->bind : "0.0.0.0", port);
	if (o->ready_file && netio_write_ready_file(o->ready_file, port, &err) < 0) {
		wl_doc_error(doc, "%s", err.msg);
		close(s.lfd);
		return -1;
	}
	while (!run_over && !wl_stopping()) {
		struct pollfd pfd[2] = { { .fd = s.lfd, .events = POLLIN }, { .fd = s.cfd, .events = POLLIN } };
		uint64_t now = mono_ns(), wake = UINT64_MAX;
		int timeout_ms, r;

		if (s.have_session && !next) {
			next = s.start + interval;
			last_t = s.start;
		}
		if (next && now >= next) {
			server_samples(&s, now, &last_t, &last_rx, &last_tx);
			while (next <= now)
				next += interval;
		}
		if (deadline && now >= deadline) {
			if (s.have_session)
				wl_doc_error(doc, "session not finished within --timeout %g s", o->timeout_s);
			else
				wl_doc_error(doc, "no client connected within --timeout %g s", o->timeout_s);
			break;
		}
		if (next)
			wake = next;
		if (deadline && deadline < wake)
			wake = deadline;
		timeout_ms = wake == UINT64_MAX ? -1 : (int)((wake - now + 999999) / 1000000);
		r = poll(pfd, s.cfd >= 0 ? 2 : 1, timeout_ms);
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			server_accept(&s, &old);
		if (s.cfd >= 0 && pfd[1].revents) {
			char b[64];
			ssize_t n = read(s.cfd, b, sizeof(b));
			/* the control connection closed: the client is done */
			if (n <= 0 && !(n < 0 && errno == EINTR))
				break;
		}
	}
	if (!s.have_session && !wl_doc_failed(doc) && wl_stopping())
		wl_doc_error(doc, "stopped before any client connected");
	/* wake the data threads if the session was cut short */
	s.cut = run_over || wl_stopping() || wl_doc_failed(doc);
	if (s.cut)
		for (i = 0; i < s.nconns; i++)
			if (s.conns[i].running)
				shutdown(s.conns[i].fd, SHUT_RDWR);
	for (i = 0; i < s.nconns; i++)
		if (s.conns[i].running)
			pthread_join(s.conns[i].thread, NULL);
	end = mono_ns();
	if (s.have_session && end > last_t)
		server_samples(&s, end, &last_t, &last_rx, &last_tx);
	server_totals(&s, s.have_session ? (double)(end - s.start) / 1e9 : 0);
	for (i = 0; i < s.nconns; i++)
		if (s.conns[i].running)
			close(s.conns[i].fd);
	free(s.conns);
	if (s.cfd >= 0)
		close(s.cfd);
	close(s.lfd);
	return 0;
}

/* ---- client side ---- */

static void *client_conn_main(void *arg)
{
	struct conn *c = arg;
	char *buf = malloc(c->size);
	uint64_t be, t0;
	ssize_t n;
	int r;

	if (!buf) {
		conn_fail(c, -ENOMEM, "allocate a buffer");
		goto out;
	}
	memset(buf, 'x', c->size);
	while (!run_over && !wl_stopping()) {
		if (c->mode == MODE_STREAM) {
			n = send(c->fd, buf, c->size, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				conn_fail(c, errno == EAGAIN ? -ETIMEDOUT : -errno, "send");
				goto out;
			}
			add(&c->sent, (uint64_t)n);
			continue;
		}
		t0 = mono_ns();
		r = netio_write_full(c->fd, buf, c->size);
		if (r < 0) {
			conn_fail(c, r, "send a request");
			goto out;
		}
		add(&c->sent, c->size);
		n = netio_read_full(c->fd, buf, c->size);
		if (n >= 0 && (size_t)n < c->size)
			n = -ESHUTDOWN;
		if (n < 0) {
			conn_fail(c, (int)n, "receive a response");
			goto out;
		}
		lathist_record(&c->rtt, mono_ns() - t0);
		add(&c->received, c->size);
		add(&c->transactions, 1);
	}
	/* half-close and wait for the server's count of what it received */
	if (shutdown(c->fd, SHUT_WR) < 0) {
		conn_fail(c, -errno, "half-close");
		goto out;
	}
	n = netio_read_full(c->fd, &be, sizeof(be));
	if (n == sizeof(be)) {
		c->peer_received = be64toh(be);
		c->peer_reported = true;
	} else {
		conn_fail(c, n < 0 ? (int)n : -ESHUTDOWN, "read the server's byte count");
	}
out:
	free(buf);
	__atomic_add_fetch(&conns_ended, 1, __ATOMIC_RELAXED);
	return NULL;
}

static int send_hello(int fd, const struct hello *h)
{
	unsigned char b[HELLO_LEN];

	hello_pack(h, b);
	return netio_write_full(fd, b, sizeof(b));
}

static void client_samples(wl_doc *doc, struct conn *cs, int n, uint64_t start, uint64_t now,
			   uint64_t *last_t, uint64_t *last_tx, uint64_t *last_tr)
{
	uint64_t tx = 0, tr = 0;
	double dt = (double)(now - *last_t) / 1e9;
	cJSON *smp;
	int i;

	for (i = 0; i < n; i++) {
		tx += load(&cs[i].sent);
		tr += load(&cs[i].transactions);
	}
	smp = wl_arr_obj(doc->samples);
	wl_add_num(smp, "t", (double)(now - start) / 1e9);
	wl_add_num(smp, "sent_bytes", (double)(tx - *last_tx));
	wl_add_num(smp, "sent_bits_per_s", dt > 0 ? (double)(tx - *last_tx) * 8 / dt : 0);
	wl_add_num(smp, "transactions", (double)(tr - *last_tr));
	wl_add_num(smp, "transactions_per_s", dt > 0 ? (double)(tr - *last_tr) / dt : 0);
	*last_t = now;
	*last_tx = tx;
	*last_tr = tr;
	wl_state_publish(tx + tr, NULL);
}

static void client_totals(wl_doc *doc, const struct net_opts *o, struct conn *cs, double elapsed)
{
	uint64_t tx = 0, rx = 0, tr = 0, peer = 0;
	bool all_reported = true;
	lathist rtt;
	cJSON *per, *pc;
	char e[64];
	int i;

	if (lathist_init(&rtt) < 0) {
		wl_doc_error(doc, "cannot allocate the latency histogram");
		return;
	}
	per = wl_add_arr(doc->totals, "per_connection");
	for (i = 0; i < o->conns; i++) {
		struct conn *c = &cs[i];
		tx += c->sent;
		rx += c->received;
		tr += c->transactions;
		peer += c->peer_received;
		all_reported &= c->peer_reported;
		lathist_merge(&rtt, &c->rtt);
		pc = wl_arr_obj(per);
		wl_add_num(pc, "index", i);
		wl_add_num(pc, "sent_bytes", (double)c->sent);
		wl_add_num(pc, "received_bytes", (double)c->received);
		if (c->peer_reported)
			wl_add_num(pc, "server_received_bytes", (double)c->peer_received);
		if (c->err)
			wl_doc_error(doc, "connection %d: cannot %s: %s", i, c->err_what,
				     conn_strerror(c->err, e, sizeof(e)));
	}
	wl_add_num(doc->totals, "connections", o->conns);
	wl_add_num(doc->totals, "sent_bytes", (double)tx);
	wl_add_num(doc->totals, "received_bytes", (double)rx);
	if (all_reported)
		wl_add_num(doc->totals, "server_received_bytes", (double)peer);
	else
		cJSON_AddNullToObject(doc->totals, "server_received_bytes");
	wl_add_num(doc->totals, "elapsed_s", elapsed);
	wl_add_num(doc->totals, "sent_bits_per_s", elapsed > 0 ? (double)tx * 8 / elapsed : 0);
	wl_add_num(doc->totals, "transactions", (double)tr);
	wl_add_num(doc->totals, "transactions_per_s", elapsed > 0 ? (double)tr / elapsed : 0);
	if (o->mode == MODE_RR)
		lathist_add_summary_us(doc->totals, "rtt_us", &rtt);
	lathist_free(&rtt);
}

/* opts: the struct net_opts (wl_run_main). */
static int run_client(const void *opts, wl_doc *doc)
{
	const struct net_opts *o = opts;
	struct hello h = { .kind = KIND_CONTROL, .mode = (uint32_t)o->mode, .conns = (uint32_t)o->conns,
			   .size = (uint32_t)o->size };
	struct conn *cs;
	netio_addr addr;
	struct herror err = { 0 };
	sigset_t block, old;
	uint64_t start, end, deadline, interval, next, last_t, last_tx = 0, last_tr = 0;
	int cfd, i, started = 0, r;
	int cto = (int)(o->connect_timeout_s * 1000), ito = (int)(o->io_timeout_s * 1000);

	if (netio_resolve(o->host, (uint16_t)o->port, &addr, &err) < 0) {
		wl_doc_error(doc, "%s", err.msg);
		return -1;
	}
	cs = calloc((size_t)o->conns, sizeof(*cs));
	if (!cs) {
		wl_doc_error(doc, "cannot allocate %d connections", o->conns);
		return -1;
	}
	for (i = 0; i < o->conns; i++)
		cs[i].fd = -1;
	cfd = netio_connect(&addr, cto, &err);
	if (cfd < 0) {
		wl_doc_error(doc, "%s", err.msg);
		goto out;
	}
	h.cookie = ((uint64_t)getpid() << 32) ^ mono_ns();
	netio_set_io_timeout(cfd, ito);
	if ((r = send_hello(cfd, &h)) < 0) {
		wl_doc_error(doc, "cannot send the hello to '%s': %s", addr.text, strerror(-r));
		goto out;
	}
	for (i = 0; i < o->conns; i++) {
		struct conn *c = &cs[i];

		c->index = i;
		c->mode = o->mode;
		c->size = o->size;
		if (lathist_init(&c->rtt) < 0) {
			wl_doc_error(doc, "cannot allocate the latency histogram");
			goto out;
		}
		c->fd = netio_connect(&addr, cto, &err);
		if (c->fd < 0) {
			wl_doc_error(doc, "connection %d: %s", i, err.msg);
			goto out;
		}
		netio_set_io_timeout(c->fd, ito);
		h.kind = KIND_DATA;
		h.index = (uint32_t)i;
		if ((r = send_hello(c->fd, &h)) < 0) {
			wl_doc_error(doc, "cannot send the hello to '%s': %s", addr.text, strerror(-r));
			goto out;
		}
	}
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	start = mono_ns();
	for (i = 0; i < o->conns; i++) {
		cs[i].running = pthread_create(&cs[i].thread, NULL, client_conn_main, &cs[i]) == 0;
		if (!cs[i].running) {
			wl_doc_error(doc, "cannot start the thread of connection %d", i);
			run_over = 1;
			break;
		}
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	interval = (uint64_t)o->interval_ms * 1000000ull;
	deadline = start + (uint64_t)(o->duration_s * 1e9);
	next = start + interval;
	last_t = start;
	while (!run_over && !wl_stopping()) {
		uint64_t now = mono_ns(), wake;

		/* every connection failed: nothing left to measure */
		if (now >= deadline || __atomic_load_n(&conns_ended, __ATOMIC_RELAXED) == started)
			break;
		if (now >= next) {
			client_samples(doc, cs, o->conns, start, now, &last_t, &last_tx, &last_tr);
			while (next <= now)
				next += interval;
		}
		wake = next < deadline ? next : deadline;
		if (wake > now + 50000000ull)
			wake = now + 50000000ull;
		wl_sleep_until_ns(wake);
	}
	run_over = 1;
	end = mono_ns();
	for (i = 0; i < started; i++)
		pthread_join(cs[i].thread, NULL);
	/* the last, partial interval, with the writes that were in flight at
	 * the end: the samples add up to the totals */
	client_samples(doc, cs, o->conns, start, end > last_t ? end : last_t, &last_t, &last_tx, &last_tr);
	client_totals(doc, o, cs, (double)(end - start) / 1e9);
out:
	for (i = 0; i < o->conns; i++) {
		if (cs[i].fd >= 0)
			close(cs[i].fd);
		lathist_free(&cs[i].rtt);
	}
	free(cs);
	if (cfd >= 0)
		close(cfd);
	return 0;
}

/* ---- command line ---- */

static int parse_args(int argc, char **argv, struct net_opts *o, wl_doc *doc)
{
	struct herror opt_err = { 0 };
	enum { OPT_PORT = 1, OPT_BIND, OPT_TIMEOUT, OPT_READY, OPT_HOST, OPT_MODE, OPT_CONNS,
	       OPT_DURATION, OPT_SIZE, OPT_CTO, OPT_ITO, OPT_INTERVAL, OPT_HELP };
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, OPT_PORT },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "connections", required_argument, NULL, OPT_CONNS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "connect-timeout", required_argument, NULL, OPT_CTO },
		{ "io-timeout", required_argument, NULL, OPT_ITO },
		{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	bool port_set = false;
	int c, r = 0, li = 0;

	r = wl_opt_role(doc, argc, argv, usage, &o->server);
	if (r < 0)
		return r;
	while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		bool server_only = c == OPT_BIND || c == OPT_TIMEOUT || c == OPT_READY;
		bool client_only = c == OPT_HOST || c == OPT_MODE || c == OPT_CONNS || c == OPT_DURATION ||
				   c == OPT_SIZE || c == OPT_CTO;

		if ((o->server && client_only) || (!o->server && server_only))
			return wl_opt_wrong_role(doc, longopts[li].name, o->server);
		switch (c) {
		case OPT_PORT: r = wl_parse_int("--port", optarg, 0, 65535, &o->port, &opt_err); port_set = true; break;
		case OPT_BIND: o->bind = optarg; break;
		case OPT_TIMEOUT: r = wl_parse_double("--timeout", optarg, 0, 1e7, &o->timeout_s, &opt_err); break;
		case OPT_READY: o->ready_file = optarg; break;
		case OPT_HOST: o->host = optarg; break;
		case OPT_MODE:
			if (!strcmp(optarg, "stream")) {
				o->mode = MODE_STREAM;
			} else if (!strcmp(optarg, "rr")) {
				o->mode = MODE_RR;
			} else {
				wl_doc_error(doc, "invalid value '%s' for option '--mode': use stream or rr", optarg);
				return -EINVAL;
			}
			break;
		case OPT_CONNS: r = wl_parse_int("--connections", optarg, 1, 1024, &o->conns, &opt_err); break;
		case OPT_DURATION: r = wl_parse_double("--duration", optarg, 0.01, 1e7, &o->duration_s, &opt_err); break;
		case OPT_SIZE: r = wl_parse_size("--size", optarg, 1, 64u << 20, &o->size, &opt_err); o->size_set = true; break;
		case OPT_CTO: r = wl_parse_double("--connect-timeout", optarg, 0.001, 3600, &o->connect_timeout_s, &opt_err); break;
		case OPT_ITO: r = wl_parse_double("--io-timeout", optarg, 0.001, 3600, &o->io_timeout_s, &opt_err); break;
		case OPT_INTERVAL: r = wl_parse_int("--interval-ms", optarg, 10, 3600000, &o->interval_ms, &opt_err); break;
		case OPT_HELP: wl_help_exit(usage);
		default: return wl_opt_unknown(doc, argv);
		}
		if (r < 0)
			return wl_doc_fail(doc, r, "%s", opt_err.msg);
	}
	if ((r = wl_opt_end(doc, argc, argv)) < 0)
		return r;
	if (!port_set)
		return wl_opt_required(doc, "port");
	if (!o->server && !o->host)
		return wl_opt_required(doc, "host");
	if (!o->server && o->port == 0) {
		wl_doc_error(doc, "option '--port' must not be 0 for the client");
		return -EINVAL;
	}
	if (!o->size_set)
		o->size = o->mode == MODE_RR ? 1 : 128 * 1024;
	return 0;
}

static void add_params(wl_doc *doc, const struct net_opts *o)
{
	wl_add_str(doc->params, "role", o->server ? "server" : "client");
	wl_add_num(doc->params, "port", o->port);
	wl_add_num(doc->params, "io_timeout_s", o->io_timeout_s);
	wl_add_num(doc->params, "interval_ms", o->interval_ms);
	if (o->server) {
		wl_add_str(doc->params, "bind", o->bind ? o->bind : "0.0.0.0");
		wl_add_num(doc->params, "timeout_s", o->timeout_s);
		return;
	}
	wl_add_str(doc->params, "host", o->host);
	wl_add_str(doc->params, "mode", o->mode == MODE_RR ? "rr" : "stream");
	wl_add_num(doc->params, "connections", o->conns);
	wl_add_num(doc->params, "duration_s", o->duration_s);
	wl_add_num(doc->params, "size_bytes", (double)o->size);
	wl_add_num(doc->params, "connect_timeout_s", o->connect_timeout_s);
}

int main(int argc, char **argv)
{
	struct net_opts o = {
		.mode = MODE_STREAM, .conns = 1, .duration_s = 10, .connect_timeout_s = 5,
		.io_timeout_s = 10, .interval_ms = 1000,
	};
	wl_doc doc;

	wl_doc_init(&doc, "net");
	if (parse_args(argc, argv, &o, &doc) < 0)
		return wl_doc_finish_usage(&doc);
	add_params(&doc, &o);
	return wl_run_main(&doc, o.server ? run_server : run_client, &o);
}
