/*
 * rtnl: the rtnetlink requests kettle's networks need (mechanism, src/net).
 *
 * Each function builds one message with nlmsg, sends it with nl_call and waits for the
 * kernel's ack (or its dump). Creation asks NLM_F_EXCL so that "exists" is the caller's to
 * decide; addresses and routes ask NLM_F_REPLACE so that setting them again is harmless
 * (a restart, a daemon that died halfway). Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "net/rtnl.h"

#define REQ_FLAGS (NLM_F_REQUEST | NLM_F_ACK)

static int ask(struct nl *nl, struct nlmsg_b *b, uint32_t seq, const char *what, struct kerr *err)
{
	if (nl_call(nl, b, seq, seq, 1, false, NULL, NULL, err) < 0)
		return kerr_wrap(err, "%s", what);
	return 0;
}

static int name_ok(const char *name, struct kerr *err)
{
	size_t n = strlen(name);

	if (n == 0 || n >= RTNL_IFNAME_MAX)
		return kerr_set(err, EINVAL, "link name `%s` is %zu bytes, expected 1..%d", name, n,
				RTNL_IFNAME_MAX - 1);
	return 0;
}

struct index_out {
	int index; /* from the reply */
};

static int on_link(const struct nlmsg_msg *m, void *data, struct kerr *err)
{
	struct index_out *o = data;
	struct ifinfomsg ifi;

	if (m->type != RTM_NEWLINK || m->len < sizeof(ifi))
		return kerr_set(err, EPROTO, "link reply of type %u and %zu bytes", m->type,
				m->len);
	memcpy(&ifi, m->payload, sizeof(ifi));
	o->index = ifi.ifi_index;
	return 0;
}

int rtnl_link_index(struct nl *nl, const char *name, int *index, struct kerr *err)
{
	struct nlmsg_b b;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct index_out o = { 0 };
	uint32_t seq = nl_seq(nl);

	if (name_ok(name, err) < 0)
		return -1;
	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_GETLINK, REQ_FLAGS, seq);
	nlmsg_put(&b, &ifi, sizeof(ifi));
	nlmsg_attr_str(&b, IFLA_IFNAME, name);
	nlmsg_end(&b);
	if (nl_call(nl, &b, seq, seq, 1, false, on_link, &o, err) < 0)
		return kerr_wrap(err, "look up link `%s`", name);
	if (o.index <= 0)
		return kerr_set(err, ENODEV, "look up link `%s`: no index in the reply", name);
	*index = o.index;
	return 0;
}

int rtnl_bridge_add(struct nl *nl, const char *name, struct kerr *err)
{
	struct nlmsg_b b;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	uint32_t seq = nl_seq(nl);

	if (name_ok(name, err) < 0)
		return -1;
	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_NEWLINK, REQ_FLAGS | NLM_F_CREATE | NLM_F_EXCL, seq);
	nlmsg_put(&b, &ifi, sizeof(ifi));
	nlmsg_attr_str(&b, IFLA_IFNAME, name);
	nlmsg_nest_begin(&b, IFLA_LINKINFO);
	nlmsg_attr_str(&b, IFLA_INFO_KIND, "bridge");
	nlmsg_nest_end(&b);
	nlmsg_end(&b);
	if (nl_call(nl, &b, seq, seq, 1, false, NULL, NULL, err) < 0)
		return kerr_wrap(err, "create bridge `%s`", name);
	return 0;
}

int rtnl_link_up(struct nl *nl, int index, struct kerr *err)
{
	struct nlmsg_b b;
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = index,
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	uint32_t seq = nl_seq(nl);

	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_NEWLINK, REQ_FLAGS, seq);
	nlmsg_put(&b, &ifi, sizeof(ifi));
	nlmsg_end(&b);
	return ask(nl, &b, seq, "set a link up", err);
}

int rtnl_link_del(struct nl *nl, const char *name, struct kerr *err)
{
	struct nlmsg_b b;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	uint32_t seq = nl_seq(nl);

	if (name_ok(name, err) < 0)
		return -1;
	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_DELLINK, REQ_FLAGS, seq);
	nlmsg_put(&b, &ifi, sizeof(ifi));
	nlmsg_attr_str(&b, IFLA_IFNAME, name);
	nlmsg_end(&b);
	if (nl_call(nl, &b, seq, seq, 1, false, NULL, NULL, err) < 0)
		return kerr_wrap(err, "delete link `%s`", name);
	return 0;
}

int rtnl_veth_add(struct nl *nl, const char *host, int master, const char *peer_name, int peer_nsfd,
		  const uint8_t mac[6], struct kerr *err)
{
	struct nlmsg_b b;
	/* Up at birth: rtnl_configure_link applies the flags once it is registered. */
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	uint32_t seq = nl_seq(nl);

	if (name_ok(host, err) < 0 || name_ok(peer_name, err) < 0)
		return -1;
	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_NEWLINK, REQ_FLAGS | NLM_F_CREATE | NLM_F_EXCL, seq);
	nlmsg_put(&b, &ifi, sizeof(ifi));
	nlmsg_attr_str(&b, IFLA_IFNAME, host);
	nlmsg_attr_u32(&b, IFLA_MASTER, (uint32_t)master);
	nlmsg_nest_begin(&b, IFLA_LINKINFO);
	nlmsg_attr_str(&b, IFLA_INFO_KIND, "veth");
	nlmsg_nest_begin(&b, IFLA_INFO_DATA);
	/* VETH_INFO_PEER: an ifinfomsg followed by the peer's own attributes (veth.c). */
	nlmsg_nest_begin(&b, VETH_INFO_PEER);
	nlmsg_put(&b, &peer, sizeof(peer));
	nlmsg_attr_str(&b, IFLA_IFNAME, peer_name);
	nlmsg_attr(&b, IFLA_ADDRESS, mac, 6);
	nlmsg_attr_u32(&b, IFLA_NET_NS_FD, (uint32_t)peer_nsfd);
	nlmsg_nest_end(&b);
	nlmsg_nest_end(&b);
	nlmsg_nest_end(&b);
	nlmsg_end(&b);
	if (nl_call(nl, &b, seq, seq, 1, false, NULL, NULL, err) < 0)
		return kerr_wrap(err, "create veth pair `%s`", host);
	return 0;
}

int rtnl_brport_hairpin(struct nl *nl, int index, struct kerr *err)
{
	struct nlmsg_b b;
	/* AF_BRIDGE: the bridge's own setlink, which reads IFLA_PROTINFO's port options. */
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = index };
	uint32_t seq = nl_seq(nl);

	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_SETLINK, REQ_FLAGS, seq);
	nlmsg_put(&b, &ifi, sizeof(ifi));
	nlmsg_nest_begin(&b, IFLA_PROTINFO);
	nlmsg_attr_u8(&b, IFLA_BRPORT_MODE, 1);
	nlmsg_nest_end(&b);
	nlmsg_end(&b);
	return ask(nl, &b, seq, "set hairpin mode on a bridge port", err);
}

uint32_t rtnl_mask4(uint8_t prefix)
{
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

bool rtnl_net4_overlap(struct rtnl_net4 a, struct rtnl_net4 b)
{
	uint8_t p = a.prefix < b.prefix ? a.prefix : b.prefix;
	uint32_t m = rtnl_mask4(p);

	return (ntohl(a.addr) & m) == (ntohl(b.addr) & m);
}

int rtnl_addr_add(struct nl *nl, int index, struct rtnl_net4 a, struct kerr *err)
{
	struct nlmsg_b b;
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = a.prefix,
		.ifa_index = (uint32_t)index,
	};
	uint32_t seq = nl_seq(nl);
	uint32_t bcast = a.addr | htonl(~rtnl_mask4(a.prefix));

	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_NEWADDR, REQ_FLAGS | NLM_F_CREATE | NLM_F_REPLACE, seq);
	nlmsg_put(&b, &ifa, sizeof(ifa));
	nlmsg_attr(&b, IFA_LOCAL, &a.addr, 4);
	nlmsg_attr(&b, IFA_ADDRESS, &a.addr, 4);
	if (a.prefix < 31)
		nlmsg_attr(&b, IFA_BROADCAST, &bcast, 4);
	nlmsg_end(&b);
	return ask(nl, &b, seq, "add an address", err);
}

struct addr_out {
	int index;	    /* the link asked about */
	bool found;	    /* a first address was seen */
	struct rtnl_net4 a; /* it */
};

static int on_addr(const struct nlmsg_msg *m, void *data, struct kerr *err)
{
	struct addr_out *o = data;
	struct ifaddrmsg ifa;
	struct nlmsg_attr tb[IFA_MAX + 1];

	if (m->type != RTM_NEWADDR || m->len < sizeof(ifa))
		return 0;
	memcpy(&ifa, m->payload, sizeof(ifa));
	if (o->found || ifa.ifa_family != AF_INET || (int)ifa.ifa_index != o->index)
		return 0;
	if (nlmsg_parse_msg(m, sizeof(ifa), tb, IFA_MAX + 1, err) < 0)
		return -1;
	const struct nlmsg_attr *a = nlmsg_has(&tb[IFA_LOCAL]) ? &tb[IFA_LOCAL] : &tb[IFA_ADDRESS];
	if (!nlmsg_get_u32(a, &o->a.addr))
		return 0;
	o->a.prefix = ifa.ifa_prefixlen > 32 ? 32 : ifa.ifa_prefixlen;
	o->found = true;
	return 0;
}

int rtnl_addr_first(struct nl *nl, int index, struct rtnl_net4 *a, struct kerr *err)
{
	struct nlmsg_b b;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET };
	struct addr_out o = { .index = index };
	uint32_t seq = nl_seq(nl);

	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq);
	nlmsg_put(&b, &ifa, sizeof(ifa));
	nlmsg_end(&b);
	if (nl_call(nl, &b, seq, seq, 0, true, on_addr, &o, err) < 0)
		return kerr_wrap(err, "list addresses");
	if (!o.found)
		return 0;
	*a = o.a;
	return 1;
}

int rtnl_route_default(struct nl *nl, uint32_t gw, struct kerr *err)
{
	struct nlmsg_b b;
	struct rtmsg rt = {
		.rtm_family = AF_INET,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	uint32_t seq = nl_seq(nl);

	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_NEWROUTE, REQ_FLAGS | NLM_F_CREATE | NLM_F_REPLACE, seq);
	nlmsg_put(&b, &rt, sizeof(rt));
	nlmsg_attr(&b, RTA_GATEWAY, &gw, 4);
	nlmsg_end(&b);
	return ask(nl, &b, seq, "add the default route", err);
}

struct routes_ctx {
	int (*fn)(struct rtnl_net4 dst, void *data); /* the caller's */
	void *data;				     /* its data */
};

static int on_route(const struct nlmsg_msg *m, void *data, struct kerr *err)
{
	struct routes_ctx *c = data;
	struct rtmsg rt;
	struct nlmsg_attr tb[RTA_MAX + 1];
	uint32_t table, dst = 0;

	if (m->type != RTM_NEWROUTE || m->len < sizeof(rt))
		return 0;
	memcpy(&rt, m->payload, sizeof(rt));
	if (rt.rtm_family != AF_INET || rt.rtm_dst_len == 0 || rt.rtm_dst_len > 32)
		return 0;
	if (nlmsg_parse_msg(m, sizeof(rt), tb, RTA_MAX + 1, err) < 0)
		return -1;
	table = rt.rtm_table;
	if (nlmsg_has(&tb[RTA_TABLE]))
		(void)nlmsg_get_u32(&tb[RTA_TABLE], &table);
	if (table != RT_TABLE_MAIN || !nlmsg_get_u32(&tb[RTA_DST], &dst))
		return 0;
	return c->fn((struct rtnl_net4){ .addr = dst, .prefix = rt.rtm_dst_len }, c->data);
}

int rtnl_routes4(struct nl *nl, int (*fn)(struct rtnl_net4 dst, void *data), void *data,
		 struct kerr *err)
{
	struct nlmsg_b b;
	struct rtmsg rt = { .rtm_family = AF_INET };
	struct routes_ctx c = { .fn = fn, .data = data };
	uint32_t seq = nl_seq(nl);

	nl_builder(nl, &b);
	nlmsg_begin(&b, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq);
	nlmsg_put(&b, &rt, sizeof(rt));
	nlmsg_end(&b);
	if (nl_call(nl, &b, seq, seq, 0, true, on_route, &c, err) < 0)
		return kerr_wrap(err, "list routes");
	return 0;
}
