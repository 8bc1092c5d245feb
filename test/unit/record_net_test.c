/* record_net_test: the record's network block: JSON both ways (a fixed point), requests
 * against stored records, and the rules that keep generated files and rules safe. */
#include <string.h>

#include "harness.h"
#include "base/buf.h"
#include "store/record.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int decode(struct record *r, const char *extra, bool request, struct kerr *err)
{
	char text[4096];

	snprintf(text, sizeof(text), "{\"version\":1,%s\"rootfs\":\"/r\",\"args\":[\"sh\"]%s}",
		 request ? ""
			 : "\"id\":\"" ID "\",\"name\":\"n\",\"created\":\"2024-05-06T07:08:09Z\",",
		 extra);
	return record_json_decode(r, text, strlen(text), request, err);
}

TEST(round_trip)
{
	struct record r, again;
	struct kerr err;
	struct buf b, b2;

	ASSERT_EQ(decode(&r,
			 ",\"network\":\"bridge\",\"ports\":[{\"host_ip\":\"127.0.0.1\","
			 "\"host_port\":8080,\"container_port\":80,\"proto\":\"tcp\"},"
			 "{\"host_ip\":\"\",\"host_port\":5353,\"container_port\":53,"
			 "\"proto\":\"udp\"}],\"publish_all\":true,\"expose\":[\"80/tcp\"],"
			 "\"dns\":[\"192.0.2.1\"],\"dns_search\":[\"a.test\"],"
			 "\"dns_options\":[\"ndots:2\"],\"add_hosts\":[\"db:192.0.2.7\"]",
			 false, &err),
		  0);
	ASSERT_EQ(r.network, RECORD_NET_BRIDGE);
	ASSERT_EQ(r.net.nports, 2u);
	ASSERT_EQ(r.net.ports[1].proto, RECORD_PROTO_UDP);
	buf_init(&b, RECORD_JSON_MAX);
	buf_init(&b2, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(record_json_decode(&again, (const char *)b.data, b.len, false, &err), 0);
	ASSERT_EQ(record_json_encode(&again, &b2, &err), 0);
	ASSERT_EQ(b.len, b2.len);
	ASSERT_MEMEQ(b.data, b2.data, b.len);
	record_done(&again);
	record_done(&r);
	buf_done(&b);
	buf_done(&b2);
}

TEST(container_mode)
{
	struct record r;
	struct kerr err;

	ASSERT_EQ(decode(&r, ",\"network\":\"container:web\"", true, &err), 0);
	ASSERT_EQ(r.network, RECORD_NET_CONTAINER);
	ASSERT_STREQ(r.net.container, "web");
	record_done(&r);
	/* Stored, it names the owner by id. */
	ASSERT_EQ(decode(&r, ",\"network\":\"container:web\"", false, &err), -1);
	ASSERT_CONTAINS(err.msg, "does not name a container");
	ASSERT_EQ(decode(&r, ",\"network\":\"container:" ID "\"", false, &err), 0);
	record_done(&r);
	ASSERT_EQ(decode(&r, ",\"network\":\"default\"", true, &err), 0);
	record_done(&r);
	ASSERT_EQ(decode(&r, ",\"network\":\"default\"", false, &err), -1);
}

TEST(rejections)
{
	static const struct {
		const char *extra; /* members added to a request */
		const char *msg;   /* part of the error */
	} cases[] = {
		{ ",\"network\":\"none\",\"ports\":[{\"host_port\":1,\"container_port\":2}]",
		  "publishing ports (-p, -P) needs --network bridge" },
		{ ",\"network\":\"host\",\"dns\":[\"192.0.2.1\"]", "need --network bridge" },
		{ ",\"network\":\"bridge\",\"ports\":[{\"host_port\":1,\"container_port\":0}]",
		  "ports[0].container_port`: 0 is out of range" },
		{ ",\"network\":\"bridge\",\"ports\":[{\"host_port\":70000,\"container_port\":1}]",
		  "out of range" },
		{ ",\"network\":\"bridge\",\"ports\":[{\"host_port\":1,\"container_port\":2,\"x\":"
		  "1}]",
		  "unknown key" },
		{ ",\"network\":\"bridge\",\"ports\":[{\"host_port\":1,\"container_port\":2,"
		  "\"proto\":\"sctp\"}]",
		  "expected \"tcp\" or \"udp\"" },
		{ ",\"network\":\"bridge\",\"ports\":[{\"host_ip\":\"::1\",\"host_port\":1,"
		  "\"container_port\":2}]",
		  "is not an IPv4 address" },
		{ ",\"network\":\"bridge\",\"ports\":[{\"host_port\":8,\"container_port\":1},{"
		  "\"host_ip\":\"127.0.0.1\","
		  "\"host_port\":8,\"container_port\":2}]",
		  "host port 8/tcp is published twice" },
		{ ",\"network\":\"bridge\",\"dns\":[\"8.8.8.8\\nnameserver 1.1.1.1\"]",
		  "is not an IP address" },
		{ ",\"network\":\"bridge\",\"dns_search\":[\"a b\"]", "is not a domain name" },
		{ ",\"network\":\"bridge\",\"dns_options\":[\"x\\ny\"]", "is not one option" },
		{ ",\"network\":\"bridge\",\"add_hosts\":[\"db\"]", "is not NAME:IP" },
		{ ",\"network\":\"bridge\",\"add_hosts\":[\"d b:1.2.3.4\"]", "is not NAME:IP" },
		{ ",\"network\":\"bridge\",\"expose\":[\"80/sctp\"]", "is not PORT[/tcp|/udp]" },
		{ ",\"network\":\"container:\"", "needs a container" },
		{ ",\"network\":\"bogus\"", "unknown mode" },
	};
	struct record r;
	struct kerr err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(decode(&r, cases[i].extra, true, &err), -1);
		ASSERT_CONTAINS(err.msg, cases[i].msg);
	}
	/* A stored record has every host port chosen. */
	ASSERT_EQ(decode(&r,
			 ",\"network\":\"bridge\",\"ports\":[{\"host_port\":0,"
			 "\"container_port\":80}]",
			 false, &err),
		  -1);
	ASSERT_CONTAINS(err.msg, "never chosen");
}

TEST(absent_block_writes_nothing_new)
{
	struct record r;
	struct kerr err;
	struct buf b;

	ASSERT_EQ(decode(&r, "", true, &err), 0);
	buf_init(&b, RECORD_JSON_MAX);
	ASSERT_EQ(record_json_encode(&r, &b, &err), 0);
	ASSERT_EQ(buf_append(&b, "", 1, &err), 0);
	ASSERT(strstr((const char *)b.data, "\"ports\"") == NULL);
	ASSERT(strstr((const char *)b.data, "\"dns\"") == NULL);
	record_done(&r);
	buf_done(&b);
}

RUN_TESTS(T(round_trip), T(container_mode), T(rejections), T(absent_block_writes_nothing_new))
