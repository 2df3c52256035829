#include "net.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

struct nlreq {
	struct nlmsghdr h;
	char buf[1024];
};

static struct rtattr *add_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));

	if (NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len) > sizeof(*r))
		return NULL;	/* the fixed messages below never get here */
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_SPACE(len);
	return a;
}

static void end_nest(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)&r->h + r->h.nlmsg_len - (char *)nest);
}

static void *append(struct nlreq *r, size_t len)
{
	void *p = (char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);

	memset(p, 0, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + (unsigned)NLMSG_ALIGN(len);
	return p;
}

/* Sends one request and returns the kernel's errno from its ACK. */
static int talk(struct nlreq *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char ack[4096];
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ssize_t n;

	if (fd < 0)
		return -errno;
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	n = recv(fd, ack, sizeof(ack), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)ack; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n))
		if (h->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	return -EPROTO;
}

static void start_msg(struct nlreq *r, unsigned short type, unsigned short flags)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(0);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = flags;
}

static int link_up(const char *ifname)
{
	struct nlreq r;
	struct ifinfomsg *ifi;
	unsigned idx = if_nametoindex(ifname);

	if (!idx)
		return -errno;
	start_msg(&r, RTM_NEWLINK, 0);
	ifi = append(&r, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return talk(&r);
}

int net_ensure_bridge(const char *bridge, uint32_t gateway, int prefix, bool *created, struct herror *err)
{
	struct nlreq r;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct rtattr *li;
	unsigned idx;
	int e;

	start_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = append(&r, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	add_attr(&r, IFLA_IFNAME, bridge, strlen(bridge) + 1);
	li = add_attr(&r, IFLA_LINKINFO, NULL, 0);
	add_attr(&r, IFLA_INFO_KIND, "bridge", 7);
	end_nest(&r, li);
	e = talk(&r);
	if (e < 0 && e != -EEXIST)
		return error_set(err, -e, "cannot create bridge '%s'", bridge);
	*created = e == 0;
	idx = if_nametoindex(bridge);
	if (!idx)
		return error_set(err, errno, "cannot find bridge '%s'", bridge);
	start_msg(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = append(&r, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = idx;
	add_attr(&r, IFA_LOCAL, &gateway, 4);
	add_attr(&r, IFA_ADDRESS, &gateway, 4);
	e = talk(&r);
	if (e < 0 && e != -EEXIST)
		return error_set(err, -e, "cannot give bridge '%s' its address", bridge);
	if ((e = link_up(bridge)) < 0)
		return error_set(err, -e, "cannot bring up bridge '%s'", bridge);
	return 0;
}

int net_attach_container(const char *bridge, const char *host_if, pid_t pid, struct herror *err)
{
	struct nlreq r;
	struct ifinfomsg *ifi, *peer;
	struct rtattr *li, *data, *pe;
	unsigned master = if_nametoindex(bridge);
	uint32_t p = (uint32_t)pid;
	int e;

	if (!master)
		return error_set(err, errno, "cannot find bridge '%s'", bridge);
	start_msg(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = append(&r, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	add_attr(&r, IFLA_IFNAME, host_if, strlen(host_if) + 1);
	add_attr(&r, IFLA_MASTER, &master, 4);
	li = add_attr(&r, IFLA_LINKINFO, NULL, 0);
	add_attr(&r, IFLA_INFO_KIND, "veth", 5);
	data = add_attr(&r, IFLA_INFO_DATA, NULL, 0);
	pe = add_attr(&r, VETH_INFO_PEER, NULL, 0);
	peer = append(&r, sizeof(*peer));
	peer->ifi_family = AF_UNSPEC;
	add_attr(&r, IFLA_IFNAME, "eth0", 5);
	add_attr(&r, IFLA_NET_NS_PID, &p, 4);
	end_nest(&r, pe);
	end_nest(&r, data);
	end_nest(&r, li);
	e = talk(&r);
	if (e < 0)
		return error_set(err, -e, "cannot create veth pair '%s' for process %d", host_if, (int)pid);
	if ((e = link_up(host_if)) < 0) {
		net_detach(host_if);
		return error_set(err, -e, "cannot bring up '%s'", host_if);
	}
	return 0;
}

int net_detach(const char *host_if)
{
	struct nlreq r;
	struct ifinfomsg *ifi;
	int e;

	start_msg(&r, RTM_DELLINK, 0);
	ifi = append(&r, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	add_attr(&r, IFLA_IFNAME, host_if, strlen(host_if) + 1);
	e = talk(&r);
	return e == -ENODEV ? 0 : e;
}
