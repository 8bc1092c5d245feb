/* nft_test: the batch that replaces table inet kettle, read back with the netlink reader:
 * framing, sequence numbers, acks, and the DNAT of a published port in both nat chains. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <string.h>

#include "harness.h"
#include "net/nft.h"

static uint8_t area[NL_TX_MAX];

/* Counts rules per chain and remembers whether a rule's bytes hold needle. */
struct seen {
	unsigned rules[4]; /* guard, prerouting, output, postrouting */
	unsigned with_needle[4];
};

static int chain_slot(const struct nlmsg_attr *a)
{
	static const char *const names[] = { "guard", "prerouting", "output", "postrouting" };
	char s[32];

	if (!nlmsg_get_str(a, s, sizeof(s)))
		return -1;
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static bool has_bytes(const uint8_t *p, size_t n, const void *needle, size_t k)
{
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, needle, k) == 0)
			return true;
	return false;
}

TEST(batch_shape)
{
	struct nft_port port = { .host_port = 8080,
				 .ctr_ip = htonl(0x0a580002u),
				 .ctr_port = 80,
				 .proto = IPPROTO_TCP };
	struct nft_conf c = { .bridge = "kettle0",
			      .subnet = { .addr = htonl(0x0a580000u), .prefix = 16 },
			      .port = &port,
			      .nports = 1 };
	struct nlmsg_b b;
	struct nlmsg_iter it;
	struct nlmsg_msg m;
	struct kerr err;
	struct seen s = { 0 };
	uint32_t n = 0, seq = 100;
	unsigned acks = 0, msgs = 0, tables = 0, chains = 0;
	/* dnat's data: the address, then the port, each in an immediate. */
	uint32_t ip = htonl(0x0a580002u);
	uint16_t p80 = htons(80);

	nlmsg_b_init(&b, area, sizeof(area));
	ASSERT_EQ(nft_encode(&b, &c, seq, &n, &acks, &err), 0);
	/* begin, 3 table ops, 4 chains, guard, 2 dnat, 3 masquerade, end */
	ASSERT_EQ(n, 15u);
	ASSERT_EQ(acks, 13u);
	nlmsg_iter_init(&it, area, b.len);
	while (nlmsg_next(&it, &m, &err) == 1) {
		ASSERT_EQ(m.seq, seq + msgs);
		msgs++;
		if (msgs == 1) {
			ASSERT_EQ(m.type, NFNL_MSG_BATCH_BEGIN);
			continue;
		}
		if (msgs == n) {
			ASSERT_EQ(m.type, NFNL_MSG_BATCH_END);
			continue;
		}
		ASSERT(m.flags & NLM_F_ACK);
		uint8_t msg = (uint8_t)(m.type & 0xff);
		ASSERT_EQ(m.type >> 8, NFNL_SUBSYS_NFTABLES);
		if (msg == NFT_MSG_NEWTABLE || msg == NFT_MSG_DELTABLE)
			tables++;
		if (msg == NFT_MSG_NEWCHAIN)
			chains++;
		if (msg != NFT_MSG_NEWRULE)
			continue;
		struct nlmsg_attr tb[NFTA_RULE_MAX + 1];
		ASSERT_EQ(nlmsg_parse_msg(&m, sizeof(struct nfgenmsg), tb, NFTA_RULE_MAX + 1, &err),
			  0);
		int slot = chain_slot(&tb[NFTA_RULE_CHAIN]);
		ASSERT(slot >= 0);
		s.rules[slot]++;
		const struct nlmsg_attr *x = &tb[NFTA_RULE_EXPRESSIONS];
		if (has_bytes(x->data, x->len, &ip, 4) && has_bytes(x->data, x->len, &p80, 2))
			s.with_needle[slot]++;
	}
	ASSERT_EQ(msgs, n);
	ASSERT_EQ(tables, 3u);
	ASSERT_EQ(chains, 4u);
	ASSERT_EQ(s.rules[0], 1u);
	ASSERT_EQ(s.rules[1], 1u);
	ASSERT_EQ(s.rules[2], 1u);
	ASSERT_EQ(s.rules[3], 3u);
	ASSERT_EQ(s.with_needle[1], 1u);
	ASSERT_EQ(s.with_needle[2], 1u);
}

TEST(refusals)
{
	struct nft_conf c = { .bridge = "" };
	struct nlmsg_b b;
	struct kerr err;
	uint32_t n;
	unsigned acks;
	uint8_t small[64];

	nlmsg_b_init(&b, area, sizeof(area));
	ASSERT_EQ(nft_encode(&b, &c, 1, &n, &acks, &err), -1);
	c.bridge = "kettle0";
	nlmsg_b_init(&b, small, sizeof(small));
	ASSERT_EQ(nft_encode(&b, &c, 1, &n, &acks, &err), -1);
	ASSERT_EQ(err.code, ENOBUFS);
}

RUN_TESTS(T(batch_shape), T(refusals))
