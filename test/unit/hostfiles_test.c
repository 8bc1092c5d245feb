/* hostfiles_test: the generated /etc/hosts and resolv.conf from fixed host texts. */
#include <arpa/inet.h>
#include <string.h>

#include "harness.h"
#include "base/buf.h"
#include "net/hostfiles.h"

static const char *resolv(const char *host, const struct hostfiles_dns *dns, struct buf *b)
{
	struct kerr err;

	buf_clear(b);
	if (hostfiles_resolv(host, strlen(host), dns, b, &err) < 0 ||
	    buf_append(b, "", 1, &err) < 0)
		return "(failed)";
	return (const char *)b->data;
}

TEST(resolv_filters_loopback_and_keeps_the_rest)
{
	struct hostfiles_dns none = { 0 };
	struct buf b;

	buf_init(&b, 1 << 20);
	ASSERT_STREQ(resolv("# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.1\n"
			    "nameserver ::1\nsearch example.com corp\noptions edns0 trust-ad\n"
			    "sortlist 1.2.3.4\n",
			    &none, &b),
		     "search example.com corp\nnameserver 192.0.2.1\noptions edns0 trust-ad\n");
	/* Only loopback servers: docker's public defaults. */
	ASSERT_STREQ(resolv("nameserver 127.0.0.1\n", &none, &b),
		     "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	ASSERT_STREQ(resolv("", &none, &b), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	/* A server that is not an address is dropped, never copied. */
	ASSERT_STREQ(resolv("nameserver not-an-ip\nnameserver 192.0.2.9\n", &none, &b),
		     "nameserver 192.0.2.9\n");
	buf_done(&b);
}

TEST(resolv_flags_replace)
{
	char *servers[] = { "192.0.2.53", "2001:db8::1" };
	char *search[] = { "a.test" };
	char *options[] = { "ndots:2", "rotate" };
	struct hostfiles_dns dns = { .servers = servers,
				     .nservers = 2,
				     .search = search,
				     .nsearch = 1,
				     .options = options,
				     .noptions = 2 };
	struct buf b;

	buf_init(&b, 1 << 20);
	ASSERT_STREQ(resolv("nameserver 192.0.2.1\nsearch x\noptions edns0\n", &dns, &b),
		     "search a.test\nnameserver 192.0.2.53\nnameserver 2001:db8::1\n"
		     "options ndots:2 rotate\n");
	buf_done(&b);
}

TEST(stub_detection)
{
	static const char stub[] = "nameserver 127.0.0.53\noptions edns0\n";
	static const char mixed[] = "nameserver 127.0.0.53\nnameserver 192.0.2.1\n";

	ASSERT_EQ(hostfiles_only_stub(stub, strlen(stub)), 1);
	ASSERT_EQ(hostfiles_only_stub(mixed, strlen(mixed)), 0);
	ASSERT_EQ(hostfiles_only_stub("", 0), 0);
}

TEST(hosts)
{
	char *extra[] = { "db:192.0.2.7", "v6:2001:db8::2" };
	struct buf b;
	struct kerr err;

	buf_init(&b, 1 << 20);
	ASSERT_EQ(hostfiles_hosts("web", htonl(0x0a580002u), extra, 2, &b, &err), 0);
	ASSERT_EQ(buf_append(&b, "", 1, &err), 0);
	ASSERT_STREQ((const char *)b.data, "127.0.0.1\tlocalhost\n"
					   "::1\tlocalhost ip6-localhost ip6-loopback\n"
					   "fe00::0\tip6-localnet\n"
					   "ff00::0\tip6-mcastprefix\n"
					   "ff02::1\tip6-allnodes\n"
					   "ff02::2\tip6-allrouters\n"
					   "10.88.0.2\tweb\n"
					   "192.0.2.7\tdb\n"
					   "2001:db8::2\tv6\n");
	buf_done(&b);
}

RUN_TESTS(T(resolv_filters_loopback_and_keeps_the_rest), T(resolv_flags_replace), T(stub_detection),
	  T(hosts))
