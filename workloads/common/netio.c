/* netio: TCP helpers of the net and api workloads (see netio.h). */
#include "netio.h"
#include "hcleanup.h"
#include "hfile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

const char *netio_strerror(int neg_errno, char *buf, size_t len)
{
	if (neg_errno == -ETIMEDOUT) {
		snprintf(buf, len, "timed out");
		return buf;
	}
	return error_strerror(neg_errno, buf, len);
}

static void addr_text(netio_addr *a)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (a->ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(a->text, sizeof(a->text), "%s:%d", host, port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(a->text, sizeof(a->text), "[%s]:%d", host, port);
	}
}

/* Look host up in /etc/hosts; returns 0 and the address text, or -ENOENT. */
static int hosts_lookup(const char *host, char *out, size_t outlen)
{
	char line[512], *save, *tok, *addr;
	cleanup_fclose FILE *f = fopen("/etc/hosts", "re");
	int r = -ENOENT;

	if (!f)
		return -ENOENT;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#\n")] = '\0';
		addr = strtok_r(line, " \t", &save);
		if (!addr)
			continue;
		while ((tok = strtok_r(NULL, " \t", &save)))
			if (!strcasecmp(tok, host)) {
				snprintf(out, outlen, "%s", addr);
				r = 0;
				break;
			}
	}
	return r;
}

int netio_resolve(const char *host, uint16_t port, netio_addr *addr, struct herror *err)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&addr->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr->ss;
	char found[INET6_ADDRSTRLEN + 1];
	const char *numeric = host;

	memset(addr, 0, sizeof(*addr));
	if (!host || !*host)
		return error_setx(err, -EINVAL, "empty host name");
	/* No getaddrinfo: in a static binary it needs the libc's NSS modules
	 * at run time, which a busybox/musl container lacks. Numeric addresses
	 * and /etc/hosts names cover the guests and the containers. */
	if (!strcmp(host, "localhost"))
		numeric = "127.0.0.1";
	else if (inet_pton(AF_INET, host, &in->sin_addr) != 1 &&
		 inet_pton(AF_INET6, host, &in6->sin6_addr) != 1) {
		if (hosts_lookup(host, found, sizeof(found)) < 0)
			return error_setx(err, -ENOENT, "cannot resolve host '%s': not a numeric address nor in /etc/hosts", host);
		numeric = found;
	}
	memset(&addr->ss, 0, sizeof(addr->ss));
	if (inet_pton(AF_INET, numeric, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		addr->len = sizeof(*in);
	} else if (inet_pton(AF_INET6, numeric, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		addr->len = sizeof(*in6);
	} else {
		return error_setx(err, -EINVAL, "cannot resolve host '%s': bad address '%s' in /etc/hosts", host, numeric);
	}
	addr_text(addr);
	return 0;
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int netio_connect(const netio_addr *addr, int timeout_ms, struct herror *err)
{
	struct pollfd pfd;
	char e[64];
	int fd, r, soerr = 0;
	socklen_t sl = sizeof(soerr);

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_setx(err, -errno, "cannot create a socket for '%s': %s", addr->text,
			    netio_strerror(-errno, e, sizeof(e)));
	r = connect(fd, (const struct sockaddr *)&addr->ss, addr->len);
	if (r < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto fail;
	}
	if (r < 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			r = -ETIMEDOUT;
			goto fail;
		}
		if (r < 0) {
			r = -errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
			r = -errno;
			goto fail;
		}
		if (soerr) {
			r = -soerr;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	set_nodelay(fd);
	return fd;
fail:
	close(fd);
	if (r == -ETIMEDOUT)
		return error_setx(err, r, "cannot connect to '%s': no answer within %d ms", addr->text, timeout_ms);
	return error_setx(err, r, "cannot connect to '%s': %s", addr->text, netio_strerror(r, e, sizeof(e)));
}

int netio_listen(const char *bind_host, uint16_t port, struct herror *err)
{
	netio_addr a;
	char e[64];
	int fd, one = 1, r;

	r = netio_resolve(bind_host && *bind_host ? bind_host : "0.0.0.0", port, &a, err);
	if (r < 0)
		return r;
	fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_setx(err, -errno, "cannot create a socket for '%s': %s", a.text,
			    netio_strerror(-errno, e, sizeof(e)));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0) {
		r = -errno;
		close(fd);
		return error_setx(err, r, "cannot bind to '%s': %s", a.text, netio_strerror(r, e, sizeof(e)));
	}
	if (listen(fd, 1024) < 0) {
		r = -errno;
		close(fd);
		return error_setx(err, r, "cannot listen on '%s': %s", a.text, netio_strerror(r, e, sizeof(e)));
	}
	return fd;
}

int netio_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int netio_set_io_timeout(int fd, int timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

ssize_t netio_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* SO_RCVTIMEO expiry */
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int netio_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

int netio_write_ready_file(const char *path, int port, struct herror *err)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%d\n", port);

	if (write_file_replace(path, text, (size_t)n, 0644, err) < 0)
		return error_wrap(err, "cannot write ready file '%s'", path);
	return 0;
}
