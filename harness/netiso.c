#include "netiso.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "virt.h"

#define NETNS_DIR "/run/netns"

void netiso_names(struct netiso *n, pid_t pid)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), NETISO_PREFIX "%d", (int)pid);
	snprintf(n->bridge, sizeof(n->bridge), "hnb%d", (int)pid);
	snprintf(n->veth_host, sizeof(n->veth_host), "hnh%d", (int)pid);
	snprintf(n->veth_ns, sizeof(n->veth_ns), "hnn%d", (int)pid);
	snprintf(n->host_addr, sizeof(n->host_addr), NETISO_SUBNET ".1");
}

char *netiso_network_xml(const struct netiso *n)
{
	/* No <forward>: isolated; no <ip>: no host address, no DHCP, no DNS. */
	return xasprintf("<network>\n  <name>%s</name>\n  <bridge name='%s' stp='off' delay='0'/>\n</network>\n",
			 n->name, n->bridge);
}

char *netiso_nic_xml(const char *network, const char *mac, const char *model, bool vhost)
{
	bool virtio = strcmp(model, "virtio") == 0;

	return xasprintf("<interface type='network'>\n  <source network='%s'/>\n  <mac address='%s'/>\n"
			 "  <model type='%s'/>\n%s</interface>\n",
			 network, mac, model,
			 !virtio ? "" : vhost ? "  <driver name='vhost'/>\n" : "  <driver name='qemu'/>\n");
}

void netiso_mac(pid_t pid, int i, char *buf, size_t len)
{
	unsigned p = (unsigned)pid;

	snprintf(buf, len, "52:54:00:%02x:%02x:%02x", (p >> 8) & 0xff, p & 0xff, (unsigned)(i + 1) & 0xff);
}

void netiso_guest_addr(int i, char *buf, size_t len)
{
	snprintf(buf, len, NETISO_SUBNET ".%d", 11 + i);
}

pid_t netiso_name_pid(const char *name)
{
	size_t pl = strlen(NETISO_PREFIX);
	long v;

	if (strncmp(name, NETISO_PREFIX, pl) != 0 || parse_long(name + pl, 1, 4194304, &v) < 0)
		return -1;
	return (pid_t)v;
}

/* Run ip with the arguments (NULL-terminated); its stderr goes into err. */
static int run_ip(struct herror *err, ...)
{
	const char *argv[24] = { "ip" };
	int pfd[2], status = 0;
	size_t n = 1;
	char msg[512] = "";
	ssize_t got = 0, r;
	va_list ap;
	pid_t pid;

	va_start(ap, err);
	while (n < sizeof(argv) / sizeof(argv[0]) - 1 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return error_set(err, errno, "cannot make a pipe");
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return error_set(err, errno, "cannot fork");
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(pfd[1], 2);
		execvp("ip", (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((size_t)got < sizeof(msg) - 1 &&
	       ((r = read(pfd[0], msg + got, sizeof(msg) - 1 - (size_t)got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? r : 0;
	msg[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	msg[strcspn(msg, "\n")] = '\0';
	{
		char cmd[256];
		size_t off = 0;
		for (size_t i = 0; argv[i] && off < sizeof(cmd); i++)
			off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, "%s%s", i ? " " : "", argv[i]);
		return error_setx(err, EIO, "'%s' failed: %s", cmd, *msg ? msg : "no message");
	}
}

static int write_sysctl(const char *path, const char *val, struct herror *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return error_set(err, errno, "cannot open '%s'", path);
	w = write(fd, val, strlen(val));
	close(fd);
	if (w < 0)
		return error_set(err, errno, "cannot write '%s'", path);
	return 0;
}

int netiso_up(struct netiso *n, virConnectPtr conn, struct herror *err)
{
	cleanup_free char *xml = netiso_network_xml(n);
	cleanup_free char *v6 = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", n->veth_host);
	cleanup_free char *cidr = xasprintf("%s/24", n->host_addr);

	n->conn = conn;
	/* Transient: libvirt forgets it when it is destroyed or libvirtd stops. */
	n->net = virNetworkCreateXML(conn, xml);
	if (n->net == NULL)
		return error_setx(err, EIO, "cannot create the isolated network '%s': %s", n->name, virt_last_error());
	/* libvirt leaves IPv6 on for a bridge without <ip> on some versions:
	 * the bridge must not have even a link-local address. */
	{
		cleanup_free char *brv6 = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", n->bridge);
		if (access(brv6, F_OK) == 0 && write_sysctl(brv6, "1", err) < 0)
			goto fail;
	}
	if (run_ip(err, "netns", "add", n->name, NULL) < 0)
		goto fail;
	n->netns_made = true;
	if (run_ip(err, "link", "add", n->veth_host, "type", "veth", "peer", "name", n->veth_ns, "netns", n->name,
		   NULL) < 0)
		goto fail;
	/* The host end is a bridge port only: no address of any family. */
	if (access(v6, F_OK) == 0 && write_sysctl(v6, "1", err) < 0)
		goto fail;
	if (run_ip(err, "link", "set", n->veth_host, "master", n->bridge, "up", NULL) < 0 ||
	    run_ip(err, "-n", n->name, "link", "set", "lo", "up", NULL) < 0 ||
	    run_ip(err, "-n", n->name, "addr", "add", cidr, "dev", n->veth_ns, NULL) < 0 ||
	    run_ip(err, "-n", n->name, "link", "set", n->veth_ns, "up", NULL) < 0)
		goto fail;
	return 0;
fail:
	netiso_down(n);
	return -err->status;
}

void netiso_down(struct netiso *n)
{
	struct herror ignore = { 0 };

	/* Deleting the netns deletes the veth end in it, and with it the pair. */
	if (n->netns_made) {
		run_ip(&ignore, "netns", "del", n->name, NULL);
		n->netns_made = false;
	}
	if (netiso_link_exists(n->veth_host))
		run_ip(&ignore, "link", "del", n->veth_host, NULL);
	if (n->net) {
		if (virNetworkDestroy(n->net) < 0)
			hwarn("cannot remove the isolated network '%s': %s", n->name, virt_last_error());
		virNetworkFree(n->net);
		n->net = NULL;
	}
}

static bool pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

void netiso_cleanup_stale(virConnectPtr conn)
{
	virNetworkPtr *nets = NULL;
	int nn = conn ? virConnectListAllNetworks(conn, &nets, 0) : 0;
	struct herror ignore = { 0 };
	cleanup_dir DIR *d = NULL;
	struct dirent *e;

	for (int i = 0; i < nn; i++) {
		const char *name = virNetworkGetName(nets[i]);
		pid_t pid = name ? netiso_name_pid(name) : -1;
		if (pid > 0 && pid_gone(pid)) {
			hinfo("removing the leftover network '%s'", name);
			virNetworkDestroy(nets[i]);
			if (virNetworkIsPersistent(nets[i]) == 1)
				virNetworkUndefine(nets[i]);
		}
		virNetworkFree(nets[i]);
	}
	free(nets);
	d = opendir(NETNS_DIR);
	while (d && (e = readdir(d))) {
		pid_t pid = netiso_name_pid(e->d_name);
		if (pid > 0 && pid_gone(pid)) {
			struct netiso n;
			hinfo("removing the leftover network namespace '%s'", e->d_name);
			netiso_names(&n, pid);
			run_ip(&ignore, "netns", "del", n.name, NULL);
			if (netiso_link_exists(n.veth_host))
				run_ip(&ignore, "link", "del", n.veth_host, NULL);
		}
	}
}

pid_t netiso_spawn(const struct netiso *n, const char *const *argv, const char *out, const char *errf,
		   struct herror *err)
{
	cleanup_free char *path = xasprintf(NETNS_DIR "/%s", n->name);
	cleanup_close int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (nsfd < 0)
		return error_set(err, errno, "cannot open network namespace '%s'", path);
	pid = fork();
	if (pid < 0)
		return error_set(err, errno, "cannot fork");
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int devnull = open("/dev/null", O_RDONLY);
		if (o < 0 || e < 0 || devnull < 0 || setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		dup2(devnull, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int netiso_wait(pid_t pid, double timeout_s)
{
	double t0 = mono_s();
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (mono_s() - t0 > timeout_s || stop_requested) {
			bool stopped = stop_requested;
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return stopped ? -EINTR : -ETIMEDOUT;
		}
		usleep(50000);
	}
}

int netiso_count_addrs(const char *ifname)
{
	struct ifaddrs *ifa, *p;
	int count = 0;

	if (getifaddrs(&ifa) < 0)
		return -1;
	for (p = ifa; p; p = p->ifa_next)
		if (p->ifa_addr && p->ifa_name && strcmp(p->ifa_name, ifname) == 0 &&
		    p->ifa_addr->sa_family != AF_PACKET)
			count++;
	freeifaddrs(ifa);
	return count;
}

bool netiso_link_exists(const char *ifname)
{
	return if_nametoindex(ifname) != 0;
}

int netiso_ns_links(const struct netiso *n, char *buf, size_t len, struct herror *err)
{
	cleanup_free char *path = xasprintf(NETNS_DIR "/%s", n->name);
	cleanup_close int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct if_nameindex *idx, *p;
	size_t off = 0;

	buf[0] = '\0';
	if (nsfd < 0 || self < 0)
		return error_set(err, errno, "cannot open network namespace '%s'", path);
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return error_set(err, errno, "cannot enter network namespace '%s'", n->name);
	idx = if_nameindex();
	if (setns(self, CLONE_NEWNET) < 0)
		BUG("cannot return to the harness's network namespace");
	if (idx == NULL)
		return error_set(err, errno, "cannot list the links of '%s'", n->name);
	for (p = idx; p->if_index; p++)
		if (strcmp(p->if_name, "lo") != 0 && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", p->if_name);
	if_freenameindex(idx);
	return 0;
}

int netiso_nic_attach(virDomainPtr dom, const char *xml, struct herror *err)
{
	if (virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE) < 0)
		return error_setx(err, EIO, "cannot hot-plug a NIC into '%s': %s", virDomainGetName(dom),
				virt_last_error());
	return 0;
}

static bool domain_has_mac(virDomainPtr dom, const char *mac)
{
	cleanup_free char *xml = virDomainGetXMLDesc(dom, 0);

	return xml && strstr(xml, mac) != NULL;
}

int netiso_nic_detach(virDomainPtr dom, const char *xml, const char *mac, double timeout_s, struct herror *err)
{
	double t0 = mono_s();

	if (!domain_has_mac(dom, mac))
		return 0;
	if (virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE) < 0 && domain_has_mac(dom, mac))
		return error_setx(err, EIO, "cannot unplug NIC %s from '%s': %s", mac, virDomainGetName(dom),
				virt_last_error());
	/* The guest acknowledges the unplug (ACPI) in its own time. */
	while (domain_has_mac(dom, mac)) {
		if (mono_s() - t0 > timeout_s)
			return error_setx(err, ETIMEDOUT, "NIC %s was still in '%s' %.0f s after the unplug", mac,
					virDomainGetName(dom), timeout_s);
		usleep(200000);
	}
	return 0;
}

int netiso_nic_tap(virDomainPtr dom, const char *mac, char *buf, size_t len, struct herror *err)
{
	cleanup_free char *xml = virDomainGetXMLDesc(dom, 0);
	cleanup_free char *needle = xasprintf("<mac address='%s'/>", mac);
	const char *m = xml ? strstr(xml, needle) : NULL;
	const char *end = m ? strstr(m, "</interface>") : NULL;
	const char *t = m ? strstr(m, "<target dev='") : NULL;

	if (t == NULL || end == NULL || t > end)
		return error_setx(err, ENOENT, "no host tap for NIC %s in '%s'", mac, virDomainGetName(dom));
	t += strlen("<target dev='");
	snprintf(buf, len, "%.*s", (int)strcspn(t, "'"), t);
	return 0;
}

int netiso_no_ipv6(const char *ifname, struct herror *err)
{
	cleanup_free char *path = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);

	if (access(path, F_OK) != 0)
		return 0;	/* no IPv6 on this host at all */
	return write_sysctl(path, "1", err);
}
