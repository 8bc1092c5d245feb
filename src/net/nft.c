/*
 * nft: kettle's nf_tables table `inet kettle`, spoken over netlink (mechanism, src/net).
 *
 * Expressions are written the way nft(8) itself would compile the rules in nft.h: a
 * `meta nfproto ipv4` guard before every IPv4 payload load (the table is inet), numbers
 * in attributes in network byte order, register values in the byte order of what they are
 * compared with (payloads big-endian, fib and ct results host-endian). Register 1 and 2
 * carry the DNAT address and port. Batch framing: nfnetlink's BATCH_BEGIN/END around
 * messages that each ask for an ack, so a refusal names the message that failed.
 * Never logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>

#include "net/nft.h"

#define IFNAME_BYTES 16	  /* IFNAMSIZ: a meta iifname/oifname register */
#define PRIO_RAW     -300 /* NF_IP_PRI_RAW */
#define PRIO_DSTNAT  -100 /* NF_IP_PRI_NAT_DST */
#define PRIO_SRCNAT  100  /* NF_IP_PRI_NAT_SRC */

struct enc {
	struct nlmsg_b *b; /* where messages go */
	uint32_t seq;	   /* the next message's sequence number */
	uint32_t n;	   /* messages written */
	unsigned acks;	   /* of them asking for an ack */
};

static void begin(struct enc *e, uint16_t type, uint16_t flags, uint8_t family, uint16_t res)
{
	struct nfgenmsg g = { .nfgen_family = family,
			      .version = NFNETLINK_V0,
			      .res_id = htons(res) };

	nlmsg_begin(e->b, type, NLM_F_REQUEST | flags, e->seq++);
	nlmsg_put(e->b, &g, sizeof(g));
	e->n++;
	if (flags & NLM_F_ACK)
		e->acks++;
}

static void begin_obj(struct enc *e, uint8_t msg, uint16_t flags)
{
	begin(e, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | msg), NLM_F_ACK | flags, NFPROTO_INET, 0);
	nlmsg_attr_str(e->b,
		       msg == NFT_MSG_NEWCHAIN	? NFTA_CHAIN_TABLE
		       : msg == NFT_MSG_NEWRULE ? NFTA_RULE_TABLE
						: NFTA_TABLE_NAME,
		       NFT_TABLE);
}

static void table(struct enc *e, uint8_t msg, uint16_t flags)
{
	begin_obj(e, msg, flags);
	nlmsg_end(e->b);
}

static void chain(struct enc *e, const char *name, const char *type, uint32_t hook, int prio)
{
	begin_obj(e, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nlmsg_attr_str(e->b, NFTA_CHAIN_NAME, name);
	nlmsg_nest_begin(e->b, NFTA_CHAIN_HOOK);
	nlmsg_attr_be32(e->b, NFTA_HOOK_HOOKNUM, hook);
	nlmsg_attr_be32(e->b, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	nlmsg_nest_end(e->b);
	nlmsg_attr_str(e->b, NFTA_CHAIN_TYPE, type);
	nlmsg_attr_be32(e->b, NFTA_CHAIN_POLICY, NF_ACCEPT);
	nlmsg_end(e->b);
}

/* ---- expressions ---- */

static void expr_begin(struct enc *e, const char *name)
{
	nlmsg_nest_begin(e->b, NFTA_LIST_ELEM);
	nlmsg_attr_str(e->b, NFTA_EXPR_NAME, name);
	nlmsg_nest_begin(e->b, NFTA_EXPR_DATA);
}

static void expr_end(struct enc *e)
{
	nlmsg_nest_end(e->b);
	nlmsg_nest_end(e->b);
}

static void data_value(struct enc *e, uint16_t type, const void *v, size_t n)
{
	nlmsg_nest_begin(e->b, type);
	nlmsg_attr(e->b, NFTA_DATA_VALUE, v, n);
	nlmsg_nest_end(e->b);
}

static void meta(struct enc *e, uint32_t key)
{
	expr_begin(e, "meta");
	nlmsg_attr_be32(e->b, NFTA_META_KEY, key);
	nlmsg_attr_be32(e->b, NFTA_META_DREG, NFT_REG_1);
	expr_end(e);
}

static void cmp(struct enc *e, uint32_t op, const void *v, size_t n)
{
	expr_begin(e, "cmp");
	nlmsg_attr_be32(e->b, NFTA_CMP_SREG, NFT_REG_1);
	nlmsg_attr_be32(e->b, NFTA_CMP_OP, op);
	data_value(e, NFTA_CMP_DATA, v, n);
	expr_end(e);
}

static void payload(struct enc *e, uint32_t base, uint32_t off, uint32_t len)
{
	expr_begin(e, "payload");
	nlmsg_attr_be32(e->b, NFTA_PAYLOAD_DREG, NFT_REG_1);
	nlmsg_attr_be32(e->b, NFTA_PAYLOAD_BASE, base);
	nlmsg_attr_be32(e->b, NFTA_PAYLOAD_OFFSET, off);
	nlmsg_attr_be32(e->b, NFTA_PAYLOAD_LEN, len);
	expr_end(e);
}

/* reg1 = reg1 & mask (len bytes). */
static void and_mask(struct enc *e, const void *mask, size_t n)
{
	uint8_t zero[16] = { 0 };

	expr_begin(e, "bitwise");
	nlmsg_attr_be32(e->b, NFTA_BITWISE_SREG, NFT_REG_1);
	nlmsg_attr_be32(e->b, NFTA_BITWISE_DREG, NFT_REG_1);
	nlmsg_attr_be32(e->b, NFTA_BITWISE_LEN, (uint32_t)n);
	data_value(e, NFTA_BITWISE_MASK, mask, n);
	data_value(e, NFTA_BITWISE_XOR, zero, n);
	expr_end(e);
}

static void match_ipv4(struct enc *e)
{
	uint8_t v = NFPROTO_IPV4;

	meta(e, NFT_META_NFPROTO);
	cmp(e, NFT_CMP_EQ, &v, 1);
}

static void match_ifname(struct enc *e, uint32_t key, uint32_t op, const char *name)
{
	char v[IFNAME_BYTES] = { 0 };
	size_t n = strnlen(name, IFNAME_BYTES - 1);

	memcpy(v, name, n);
	meta(e, key);
	cmp(e, op, v, n + 1); /* with the NUL: the whole name, not a prefix */
}

/* ip saddr/daddr in net (off 12: source, 16: destination). */
static void match_net(struct enc *e, uint32_t off, struct rtnl_net4 net)
{
	uint32_t mask = htonl(rtnl_mask4(net.prefix)), v = net.addr & mask;

	payload(e, NFT_PAYLOAD_NETWORK_HEADER, off, 4);
	if (net.prefix < 32)
		and_mask(e, &mask, 4);
	cmp(e, NFT_CMP_EQ, &v, 4);
}

static void masquerade(struct enc *e)
{
	nlmsg_nest_begin(e->b, NFTA_LIST_ELEM);
	nlmsg_attr_str(e->b, NFTA_EXPR_NAME, "masq");
	nlmsg_nest_end(e->b);
}

static void rule_begin(struct enc *e, const char *chain_name)
{
	begin_obj(e, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nlmsg_attr_str(e->b, NFTA_RULE_CHAIN, chain_name);
	nlmsg_nest_begin(e->b, NFTA_RULE_EXPRESSIONS);
}

static void rule_end(struct enc *e)
{
	nlmsg_nest_end(e->b);
	nlmsg_end(e->b);
}

/* ---- the rules ---- */

/* iifname != "lo" ip daddr 127.0.0.0/8 drop */
static void rule_guard(struct enc *e)
{
	struct rtnl_net4 loop = { .addr = htonl(0x7f000000u), .prefix = 8 };
	uint32_t drop = (uint32_t)NF_DROP;

	rule_begin(e, "guard");
	match_ipv4(e);
	match_ifname(e, NFT_META_IIFNAME, NFT_CMP_NEQ, "lo");
	match_net(e, 16, loop);
	expr_begin(e, "immediate");
	nlmsg_attr_be32(e->b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	nlmsg_nest_begin(e->b, NFTA_IMMEDIATE_DATA);
	nlmsg_nest_begin(e->b, NFTA_DATA_VERDICT);
	nlmsg_attr_be32(e->b, NFTA_VERDICT_CODE, drop);
	nlmsg_nest_end(e->b);
	nlmsg_nest_end(e->b);
	expr_end(e);
	rule_end(e);
}

/* [ip daddr HOST | fib daddr type local] meta l4proto P th dport H dnat ip to C:P */
static void rule_dnat(struct enc *e, const char *chain_name, const struct nft_port *p)
{
	uint16_t hport = htons(p->host_port), cport = htons(p->ctr_port);
	uint32_t local = RTN_LOCAL;

	rule_begin(e, chain_name);
	match_ipv4(e);
	if (p->host_ip) {
		match_net(e, 16, (struct rtnl_net4){ .addr = p->host_ip, .prefix = 32 });
	} else {
		expr_begin(e, "fib");
		nlmsg_attr_be32(e->b, NFTA_FIB_DREG, NFT_REG_1);
		nlmsg_attr_be32(e->b, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nlmsg_attr_be32(e->b, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
		expr_end(e);
		cmp(e, NFT_CMP_EQ, &local, 4);
	}
	meta(e, NFT_META_L4PROTO);
	cmp(e, NFT_CMP_EQ, &p->proto, 1);
	payload(e, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	cmp(e, NFT_CMP_EQ, &hport, 2);
	expr_begin(e, "immediate");
	nlmsg_attr_be32(e->b, NFTA_IMMEDIATE_DREG, NFT_REG_1);
	data_value(e, NFTA_IMMEDIATE_DATA, &p->ctr_ip, 4);
	expr_end(e);
	expr_begin(e, "immediate");
	nlmsg_attr_be32(e->b, NFTA_IMMEDIATE_DREG, NFT_REG_2);
	data_value(e, NFTA_IMMEDIATE_DATA, &cport, 2);
	expr_end(e);
	expr_begin(e, "nat");
	nlmsg_attr_be32(e->b, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	nlmsg_attr_be32(e->b, NFTA_NAT_FAMILY, NFPROTO_IPV4);
	nlmsg_attr_be32(e->b, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
	nlmsg_attr_be32(e->b, NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
	expr_end(e);
	rule_end(e);
}

static void rules_masquerade(struct enc *e, const struct nft_conf *c)
{
	struct rtnl_net4 loop = { .addr = htonl(0x7f000000u), .prefix = 8 };
	uint32_t dnat = IPS_DST_NAT, zero = 0;

	/* oifname BR ip saddr 127.0.0.0/8 masquerade: the host's 127.0.0.1 to a container */
	rule_begin(e, "postrouting");
	match_ipv4(e);
	match_ifname(e, NFT_META_OIFNAME, NFT_CMP_EQ, c->bridge);
	match_net(e, 12, loop);
	masquerade(e);
	rule_end(e);
	/* oifname BR ip saddr SUBNET ct status dnat masquerade: hairpin, so the reply comes
	 * back through the host and is translated again */
	rule_begin(e, "postrouting");
	match_ipv4(e);
	match_ifname(e, NFT_META_OIFNAME, NFT_CMP_EQ, c->bridge);
	match_net(e, 12, c->subnet);
	expr_begin(e, "ct");
	nlmsg_attr_be32(e->b, NFTA_CT_DREG, NFT_REG_1);
	nlmsg_attr_be32(e->b, NFTA_CT_KEY, NFT_CT_STATUS);
	expr_end(e);
	and_mask(e, &dnat, 4);
	cmp(e, NFT_CMP_NEQ, &zero, 4);
	masquerade(e);
	rule_end(e);
	/* oifname != BR ip saddr SUBNET masquerade: everything leaving for elsewhere */
	rule_begin(e, "postrouting");
	match_ipv4(e);
	match_ifname(e, NFT_META_OIFNAME, NFT_CMP_NEQ, c->bridge);
	match_net(e, 12, c->subnet);
	masquerade(e);
	rule_end(e);
}

int nft_encode(struct nlmsg_b *b, const struct nft_conf *c, uint32_t seq, uint32_t *nmsgs,
	       unsigned *acks, struct kerr *err)
{
	struct enc e = { .b = b, .seq = seq };

	if (!c->bridge || !c->bridge[0] || strlen(c->bridge) >= IFNAME_BYTES)
		return kerr_set(err, EINVAL, "nf_tables: bridge name missing or too long");
	begin(&e, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nlmsg_end(b);
	/* Create (a no-op when it exists), delete, create: the old table goes, whatever it
	 * held, in the same transaction that brings the new one. */
	table(&e, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	table(&e, NFT_MSG_DELTABLE, 0);
	table(&e, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	chain(&e, "guard", "filter", NF_INET_PRE_ROUTING, PRIO_RAW);
	chain(&e, "prerouting", "nat", NF_INET_PRE_ROUTING, PRIO_DSTNAT);
	chain(&e, "output", "nat", NF_INET_LOCAL_OUT, PRIO_DSTNAT);
	chain(&e, "postrouting", "nat", NF_INET_POST_ROUTING, PRIO_SRCNAT);
	rule_guard(&e);
	for (size_t i = 0; i < c->nports; i++) {
		rule_dnat(&e, "prerouting", &c->port[i]);
		rule_dnat(&e, "output", &c->port[i]);
	}
	rules_masquerade(&e, c);
	begin(&e, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nlmsg_end(b);
	if (nlmsg_b_check(b, err) < 0)
		return kerr_wrap(err, "nf_tables table of %zu published ports", c->nports);
	*nmsgs = e.n;
	*acks = e.acks;
	return 0;
}

int nft_apply(struct nl *nl, const struct nft_conf *c, struct kerr *err)
{
	struct nlmsg_b b;
	uint32_t first = nl->seq + 1, n = 0;
	unsigned acks = 0;

	nl_builder(nl, &b);
	if (nft_encode(&b, c, first, &n, &acks, err) < 0)
		return -1;
	nl->seq += n;
	if (nl_call(nl, &b, first, first + n - 1, acks, false, NULL, NULL, err) < 0)
		return kerr_wrap(err, "replace nf_tables table `inet " NFT_TABLE "`");
	return 0;
}

int nft_remove(struct nl *nl, struct kerr *err)
{
	struct nlmsg_b b;
	struct enc e = { .b = &b, .seq = nl->seq + 1 };
	uint32_t first = e.seq;

	nl_builder(nl, &b);
	begin(&e, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nlmsg_end(&b);
	table(&e, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	table(&e, NFT_MSG_DELTABLE, 0);
	begin(&e, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	nlmsg_end(&b);
	nl->seq += e.n;
	if (nl_call(nl, &b, first, first + e.n - 1, e.acks, false, NULL, NULL, err) < 0)
		return kerr_wrap(err, "delete nf_tables table `inet " NFT_TABLE "`");
	return 0;
}
