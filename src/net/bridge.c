/*
 * bridge: kettle's default network, put together (mechanism, src/net).
 *
 * Order matters for crash safety: the lease is durable before the address is used (so no
 * other container can get it), the namespace exists before the veth whose peer is born in
 * it, and detach frees the lease last. The container's inside is configured through a
 * netlink socket made in its namespace (netns_socket), never by entering it. Sysctls are
 * written under /proc/sys/net, which is per network namespace: only ours changes.
 * Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/str.h"
#include "net/bridge.h"
#include "net/ip4.h"
#include "net/lease.h"
#include "net/netns.h"

#define SYSCTL_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define SUBNET_TRIES   168 /* 10.88/16 .. 10.255/16 */

void bridge_init(struct bridge *br)
{
	*br = (struct bridge){ .rt = { .fd = -1 }, .nf = { .fd = -1 } };
}

void bridge_done(struct bridge *br)
{
	if (br->rt.fd >= 0 || br->rt.rx)
		nl_close(&br->rt);
	if (br->nf.fd >= 0 || br->nf.rx)
		nl_close(&br->nf);
	bridge_init(br);
}

void bridge_veth_name(const char *id, char out[RTNL_IFNAME_MAX])
{
	snprintf(out, RTNL_IFNAME_MAX, BRIDGE_VETH_PREFIX "%.12s", id);
}

void bridge_mac(uint32_t ip, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, &ip, 4); /* network order: the bytes as written */
}

static int write_sysctl(const char *path, struct kerr *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return kerr_set(err, errno, "open `%s`", path);
	if (write(fd, "1\n", 2) != 2)
		return kerr_set(err, errno, "write 1 to `%s`", path);
	return 0;
}

struct overlap {
	struct rtnl_net4 cand; /* the subnet being tried */
	bool hit;	       /* a route overlaps it */
};

static int on_route(struct rtnl_net4 dst, void *data)
{
	struct overlap *o = data;

	if (rtnl_net4_overlap(dst, o->cand))
		o->hit = true;
	return 0;
}

static int free_of_routes(struct bridge *br, struct rtnl_net4 cand, bool *free_net,
			  struct kerr *err)
{
	struct overlap o = { .cand = cand };

	if (rtnl_routes4(&br->rt, on_route, &o, err) < 0)
		return -1;
	*free_net = !o.hit;
	return 0;
}

static int choose_subnet(struct bridge *br, int rootfd, struct rtnl_net4 want,
			 struct rtnl_net4 *out, struct kerr *err)
{
	struct rtnl_net4 cand;
	bool ok = false;
	char t[IP4_TEXT_MAX];

	if (want.prefix) {
		*out = want;
		return 0;
	}
	int has = lease_subnet(rootfd, &cand, err);
	if (has < 0)
		return -1;
	if (has && free_of_routes(br, cand, &ok, err) < 0)
		return -1;
	if (has && ok) {
		*out = cand;
		return 0;
	}
	if (ip4_parse_net(BRIDGE_SUBNET_FIRST, &cand, err) < 0)
		return -1;
	for (int i = 0; i < SUBNET_TRIES; i++) {
		if (free_of_routes(br, cand, &ok, err) < 0)
			return -1;
		if (ok) {
			*out = cand;
			return 0;
		}
		cand.addr = htonl(ntohl(cand.addr) + (1u << 16));
	}
	return kerr_set(err, EADDRINUSE,
			"no free /16 from " BRIDGE_SUBNET_FIRST " to %s: routes of the host "
			"overlap them all; choose one with `kettle daemon --bridge-subnet CIDR`",
			ip4_format_net(cand, t));
}

static int setup(struct bridge *br, int rootfd, struct rtnl_net4 want, struct kerr *err)
{
	struct rtnl_net4 have = { 0 };
	char a[IP4_TEXT_MAX], b[IP4_TEXT_MAX];
	int idx = 0;

	if (br->rt.fd < 0 && nl_open(&br->rt, NETLINK_ROUTE, err) < 0)
		return -1;
	if (br->nf.fd < 0 && nl_open(&br->nf, NETLINK_NETFILTER, err) < 0)
		return -1;
	int r = rtnl_link_index(&br->rt, BRIDGE_NAME, &idx, err);
	if (r < 0 && err->code != ENODEV)
		return -1;
	int addressed = 0;
	if (r == 0) {
		addressed = rtnl_addr_first(&br->rt, idx, &have, err);
		if (addressed < 0)
			return -1;
	}
	if (addressed) {
		/* The bridge an earlier daemon made: its subnet holds the leases in use. */
		have.addr &= htonl(rtnl_mask4(have.prefix));
		if (want.prefix && (want.addr != have.addr || want.prefix != have.prefix))
			return kerr_set(err, EEXIST,
					"bridge " BRIDGE_NAME " has subnet %s, not --bridge-subnet "
					"%s: delete it (ip link del " BRIDGE_NAME ") once no "
					"container uses it",
					ip4_format_net(have, a), ip4_format_net(want, b));
		br->subnet = have;
	} else if (choose_subnet(br, rootfd, want, &br->subnet, err) < 0) {
		return -1;
	}
	if (br->subnet.prefix > 30)
		return kerr_set(err, EINVAL, "subnet %s leaves no address for a container",
				ip4_format_net(br->subnet, a));
	br->gateway = htonl((ntohl(br->subnet.addr) & rtnl_mask4(br->subnet.prefix)) + 1);
	if (r < 0) {
		if (rtnl_bridge_add(&br->rt, BRIDGE_NAME, err) < 0 && err->code != EEXIST)
			return -1;
		if (rtnl_link_index(&br->rt, BRIDGE_NAME, &idx, err) < 0)
			return -1;
	}
	br->index = idx;
	if (!addressed &&
	    rtnl_addr_add(&br->rt, idx,
			  (struct rtnl_net4){ .addr = br->gateway, .prefix = br->subnet.prefix },
			  err) < 0)
		return kerr_wrap(err, "bridge " BRIDGE_NAME);
	if (rtnl_link_up(&br->rt, idx, err) < 0)
		return kerr_wrap(err, "bridge " BRIDGE_NAME);
	if (write_sysctl(SYSCTL_FORWARD, err) < 0)
		return -1;
	/* The host's own 127.0.0.1:PORT reaches a container only if the bridge may carry
	 * loopback sources; the guard chain (nft.c) keeps that from being abused. */
	if (write_sysctl("/proc/sys/net/ipv4/conf/" BRIDGE_NAME "/route_localnet", err) < 0)
		return -1;
	return 0;
}

int bridge_setup(struct bridge *br, int rootfd, struct rtnl_net4 want, struct kerr *err)
{
	br->ready = false;
	if (setup(br, rootfd, want, err) < 0)
		return kerr_wrap(err, "set up bridge " BRIDGE_NAME);
	br->ready = true;
	return 0;
}

/* The inside of a fresh pair: lo and eth0 up, the address, the default route. */
static int configure_inside(struct bridge *br, int sock, uint32_t ip, struct kerr *err)
{
	struct nl in;
	int lo = 0, eth = 0, rc = 0;

	if (nl_adopt(&in, sock, NETLINK_ROUTE, err) < 0)
		return -1;
	if (rtnl_link_index(&in, "lo", &lo, err) < 0 || rtnl_link_up(&in, lo, err) < 0 ||
	    rtnl_link_index(&in, BRIDGE_PEER_NAME, &eth, err) < 0 ||
	    rtnl_addr_add(&in, eth, (struct rtnl_net4){ .addr = ip, .prefix = br->subnet.prefix },
			  err) < 0 ||
	    rtnl_link_up(&in, eth, err) < 0 || rtnl_route_default(&in, br->gateway, err) < 0)
		rc = -1;
	nl_close(&in);
	return rc < 0 ? kerr_wrap(err, "inside the container's namespace") : 0;
}

int bridge_attach(struct bridge *br, int rootfd, int dirfd, const char *id, uint32_t *ip,
		  struct kerr *err)
{
	char veth[RTNL_IFNAME_MAX];
	uint8_t mac[6];
	int nsfd = -1, sock = -1, idx = 0;

	if (!br->ready)
		return kerr_set(err, ENETDOWN, "bridge " BRIDGE_NAME " is not set up");
	bridge_veth_name(id, veth);
	if (lease_take(rootfd, id, br->subnet, ip, err) < 0)
		return -1;
	int alive = netns_open(dirfd, NETNS_FILE, &nsfd, err);
	if (alive < 0)
		return kerr_wrap(err, "network namespace of %.12s", id);
	_cleanup_close_ int ns = nsfd;
	if (alive && rtnl_link_index(&br->rt, veth, &idx, err) == 0)
		return 0; /* attached before, and both ends are still there */
	if (alive && err->code != ENODEV)
		return -1;
	if (!alive) {
		/* A file without its mount (a reboot) or nothing yet; a veth left from an
		 * earlier namespace would block the name. */
		if (netns_remove(dirfd, NETNS_FILE, err) < 0)
			return -1;
		if (rtnl_link_del(&br->rt, veth, err) < 0 && err->code != ENODEV)
			return -1;
		if (netns_create(dirfd, NETNS_FILE, NETLINK_ROUTE, &nsfd, &sock, err) < 0)
			return kerr_wrap(err, "network namespace of %.12s", id);
		ns = nsfd;
	} else if (netns_socket(ns, NETLINK_ROUTE, &sock, err) < 0) {
		return kerr_wrap(err, "network namespace of %.12s", id);
	}
	bridge_mac(*ip, mac);
	if (rtnl_veth_add(&br->rt, veth, br->index, BRIDGE_PEER_NAME, ns, mac, err) < 0) {
		fd_close(sock);
		return -1;
	}
	if (rtnl_link_index(&br->rt, veth, &idx, err) < 0 ||
	    rtnl_brport_hairpin(&br->rt, idx, err) < 0) {
		fd_close(sock);
		return kerr_wrap(err, "veth `%s`", veth);
	}
	return configure_inside(br, sock, *ip, err);
}

int bridge_detach(struct bridge *br, int rootfd, int dirfd, const char *id, struct kerr *err)
{
	char veth[RTNL_IFNAME_MAX];

	bridge_veth_name(id, veth);
	/* Deleting one end deletes both; without a socket (no bridge ever set up in this
	 * daemon) the namespace's end goes with the namespace, taking ours along. */
	if (br->rt.fd >= 0 && rtnl_link_del(&br->rt, veth, err) < 0 && err->code != ENODEV)
		return -1;
	if (netns_remove(dirfd, NETNS_FILE, err) < 0)
		return kerr_wrap(err, "network namespace of %.12s", id);
	return lease_free(rootfd, id, err);
}

int bridge_ports(struct bridge *br, const struct nft_port *p, size_t n, struct kerr *err)
{
	struct nft_conf c = { .bridge = BRIDGE_NAME, .subnet = br->subnet, .port = p, .nports = n };

	if (!br->ready)
		return kerr_set(err, ENETDOWN, "bridge " BRIDGE_NAME " is not set up");
	return nft_apply(&br->nf, &c, err);
}
