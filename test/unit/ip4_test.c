/* ip4_test: strict IPv4 text both ways. */
#include <arpa/inet.h>

#include "harness.h"
#include "net/ip4.h"

TEST(parse)
{
	uint32_t ip;
	char t[IP4_TEXT_MAX];

	ASSERT(ip4_parse("10.88.0.2", &ip));
	ASSERT_STREQ(ip4_format(ip, t), "10.88.0.2");
	ASSERT(ip4_parse("0.0.0.0", &ip));
	ASSERT(ip4_parse("255.255.255.255", &ip));
	static const char *const bad[] = { "",		"1",	    "1.2.3",	"1.2.3.4.5",
					   "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",
					   "a.b.c.d",	"1..2.3",   "1.2.3.-4", "1234.1.1.1",
					   NULL };
	for (int i = 0; bad[i]; i++)
		ASSERT(!ip4_parse(bad[i], &ip));
	ASSERT(ip4_is_loopback(htonl(0x7f000001u)));
	ASSERT(!ip4_is_loopback(htonl(0x0a000001u)));
}

TEST(networks)
{
	struct rtnl_net4 n;
	struct kerr err;
	char t[IP4_TEXT_MAX];

	ASSERT_EQ(ip4_parse_net("10.88.0.0/16", &n, &err), 0);
	ASSERT_EQ(n.prefix, 16);
	ASSERT_STREQ(ip4_format_net(n, t), "10.88.0.0/16");
	ASSERT_EQ(ip4_parse_net("10.88.0.1/16", &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "host bits");
	ASSERT_EQ(ip4_parse_net("10.88.0.0/33", &n, &err), -1);
	ASSERT_EQ(ip4_parse_net("10.88.0.0/016", &n, &err), -1);
	ASSERT_EQ(ip4_parse_net("10.88.0.0", &n, &err), -1);
	ASSERT_EQ(ip4_parse_net("10.88.0.0/", &n, &err), -1);
	ASSERT_EQ(ip4_parse_net("0.0.0.0/0", &n, &err), 0);
	struct rtnl_net4 a = { .addr = htonl(0x0a580000u), .prefix = 16 };
	struct rtnl_net4 b = { .addr = htonl(0x0a000000u), .prefix = 8 };
	struct rtnl_net4 c = { .addr = htonl(0x0a590000u), .prefix = 16 };
	ASSERT(rtnl_net4_overlap(a, b));
	ASSERT(!rtnl_net4_overlap(a, c));
	ASSERT_EQ(rtnl_mask4(0), 0u);
	ASSERT_EQ(rtnl_mask4(32), 0xffffffffu);
	ASSERT_EQ(rtnl_mask4(16), 0xffff0000u);
}

RUN_TESTS(T(parse), T(networks))
