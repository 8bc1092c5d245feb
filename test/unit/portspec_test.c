/* portspec_test: docker's -p and --expose forms, and what is refused. */
#include "harness.h"
#include "net/portspec.h"

TEST(forms)
{
	struct record_port p;
	struct kerr err;
	char line[PORTSPEC_TEXT_MAX];

	ASSERT_EQ(portspec_parse("8080:80", &p, &err), 0);
	ASSERT_EQ(p.host_port, 8080);
	ASSERT_EQ(p.ctr_port, 80);
	ASSERT_EQ(p.proto, RECORD_PROTO_TCP);
	ASSERT_STREQ(p.host_ip, "");
	ASSERT_EQ(portspec_parse("80", &p, &err), 0);
	ASSERT_EQ(p.host_port, 0);
	ASSERT_EQ(p.ctr_port, 80);
	ASSERT_EQ(portspec_parse("127.0.0.1:8080:80/udp", &p, &err), 0);
	ASSERT_STREQ(p.host_ip, "127.0.0.1");
	ASSERT_EQ(p.proto, RECORD_PROTO_UDP);
	portspec_format(&p, line);
	ASSERT_STREQ(line, "80/udp -> 127.0.0.1:8080");
	ASSERT_EQ(portspec_parse("127.0.0.1::53/UDP", &p, &err), 0);
	ASSERT_EQ(p.host_port, 0);
	ASSERT_EQ(portspec_parse("0.0.0.0:1:2", &p, &err), 0);
	ASSERT_STREQ(p.host_ip, "");
	ASSERT_EQ(portspec_parse_expose("443", &p, &err), 0);
	ASSERT_EQ(p.ctr_port, 443);
	ASSERT_EQ(portspec_parse_expose("53/udp", &p, &err), 0);
	ASSERT_EQ(p.proto, RECORD_PROTO_UDP);
}

TEST(refusals)
{
	struct record_port p;
	struct kerr err;
	static const char *const bad[] = { "",
					   "0",
					   "65536",
					   "8080:0",
					   "x:80",
					   "8080:80/sctp",
					   "8000-8010:80",
					   ":80",
					   "1.2.3:8080:80",
					   "::80",
					   "080:80",
					   "1:2:3:4",
					   "8080:80/",
					   NULL };

	for (int i = 0; bad[i]; i++)
		ASSERT_EQ(portspec_parse(bad[i], &p, &err), -1);
	ASSERT_EQ(portspec_parse("8000-8010:80", &p, &err), -1);
	ASSERT_CONTAINS(err.msg, "ranges are not supported");
	ASSERT_EQ(portspec_parse_expose("80:80", &p, &err), -1);
	ASSERT_EQ(portspec_parse_expose("http", &p, &err), -1);
}

RUN_TESTS(T(forms), T(refusals))
