/* netio: TCP helpers shared by the net and api workloads.
 *
 * Functions return 0 (or a file descriptor) on success and a negative
 * errno-style value on failure, with one line saying what failed with which
 * address in err->msg (lib/herror.h), for wl_doc_error(doc, "%s", err.msg).
 */
#ifndef NETIO_H
#define NETIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "herror.h"

typedef struct netio_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[80];          /* "host:port" or "[v6]:port", for messages */
} netio_addr;

/* Resolve host (numeric IPv4/IPv6, "localhost", or a name in /etc/hosts:
 * no getaddrinfo, whose NSS modules a static binary lacks) and port. */
int netio_resolve(const char *host, uint16_t port, netio_addr *addr, struct herror *err);
/* Connect with a bounded wait, TCP_NODELAY set; the socket is blocking
 * again on return. A timeout gives -ETIMEDOUT. */
int netio_connect(const netio_addr *addr, int timeout_ms, struct herror *err);
/* Listen on bind_host (NULL or "" for every IPv4 address) and port (0 picks
 * a free port, see netio_local_port). */
int netio_listen(const char *bind_host, uint16_t port, struct herror *err);
int netio_local_port(int fd);
/* SO_RCVTIMEO and SO_SNDTIMEO, so that a silent peer cannot hang a thread. */
int netio_set_io_timeout(int fd, int timeout_ms);
/* Read exactly len bytes unless the peer closes first: returns the count
 * read (less than len only at end of stream) or a negative errno. */
ssize_t netio_read_full(int fd, void *buf, size_t len);
/* Write all of len bytes: 0 or a negative errno. */
int netio_write_full(int fd, const void *buf, size_t len);
/* Write the port to path (atomically, lib's write_file_replace), for scripts that start a server on
 * port 0 and wait for it to listen. */
int netio_write_ready_file(const char *path, int port, struct herror *err);
/* Describe a negative errno from connect/read/write ("connection refused",
 * "timed out"): lib's error_strerror, with a shorter word for a timeout. */
const char *netio_strerror(int neg_errno, char *buf, size_t len);

#endif
