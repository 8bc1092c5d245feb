/* lease_test: the lease file's text, address choice, and its life on disk (a temporary
 * state root; no root needed). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "base/buf.h"
#include "net/ip4.h"
#include "net/lease.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static int temp_root(char *path, size_t cap)
{
	snprintf(path, cap, "/tmp/lease_test.XXXXXX");
	if (!mkdtemp(path))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

TEST(parse_and_format)
{
	static const char text[] =
		"kettle-leases 1\nsubnet 10.88.0.0/16\n" ID_A " 10.88.0.2\n" ID_B " 10.88.0.3\n";
	struct lease_set s;
	struct kerr err;
	struct buf b;

	ASSERT_EQ(lease_parse(text, strlen(text), &s, &err), 0);
	ASSERT_EQ(s.n, 2u);
	ASSERT(s.has_subnet);
	buf_init(&b, LEASE_FILE_MAX);
	ASSERT_EQ(lease_format(&s, &b, &err), 0);
	ASSERT_EQ(b.len, strlen(text));
	ASSERT_MEMEQ(b.data, text, b.len);
	buf_done(&b);
	lease_set_done(&s);
}

TEST(parse_refuses_damage)
{
	static const char *const bad[] = {
		"",
		"kettle-leases 2\n",
		"kettle-leases 1",
		"kettle-leases 1\n" ID_A " 10.88.0.2",
		"kettle-leases 1\n" ID_A " 10.88.0.2\n" ID_A " 10.88.0.3\n",
		"kettle-leases 1\n" ID_A " 10.88.0.2\n" ID_B " 10.88.0.2\n",
		"kettle-leases 1\nxyz 10.88.0.2\n",
		"kettle-leases 1\n" ID_A " 10.88.0.256\n",
		"kettle-leases 1\nsubnet 10.88.0.0/16\nsubnet 10.89.0.0/16\n",
		"kettle-leases 1\n" ID_A "\n",
		NULL,
	};
	struct lease_set s;
	struct kerr err;

	for (int i = 0; bad[i]; i++) {
		ASSERT_EQ(lease_parse(bad[i], strlen(bad[i]), &s, &err), -1);
		ASSERT(s.v == NULL && s.n == 0);
	}
}

TEST(pick_skips_network_gateway_and_used)
{
	struct lease_set s = { 0 };
	struct rtnl_net4 net = { .addr = htonl(0x0a580000u), .prefix = 30 };
	struct kerr err;
	uint32_t ip;
	char t[IP4_TEXT_MAX];

	ASSERT_EQ(lease_pick(&s, net, &ip, &err), 0);
	ASSERT_STREQ(ip4_format(ip, t), "10.88.0.2");
	struct lease_ent e = { .id = ID_A, .ip = ip };
	s.v = &e;
	s.n = 1;
	/* A /30 has one host address besides the gateway: now none is left. */
	ASSERT_EQ(lease_pick(&s, net, &ip, &err), -1);
	ASSERT_CONTAINS(err.msg, "no free address left in 10.88.0.0/30");
}

static bool keep_a(const char *id, void *data)
{
	(void)data;
	return strcmp(id, ID_A) == 0;
}

TEST(take_get_free_gc)
{
	char path[64], cmd[96];
	struct rtnl_net4 net = { .addr = htonl(0x0a580000u), .prefix = 16 }, got;
	struct kerr err;
	uint32_t a, b, c, again;
	size_t freed;
	int rootfd = temp_root(path, sizeof(path));

	ASSERT(rootfd >= 0);
	ASSERT_EQ(lease_get(rootfd, ID_A, &a, &err), 0); /* no file yet */
	ASSERT_EQ(lease_gc(rootfd, keep_a, NULL, &freed, &err), 0);
	ASSERT_EQ(freed, 0u);
	ASSERT_EQ(lease_take(rootfd, ID_A, net, &a, &err), 0);
	ASSERT_EQ(lease_take(rootfd, ID_B, net, &b, &err), 0);
	ASSERT_NE(a, b);
	ASSERT_EQ(lease_take(rootfd, ID_A, net, &again, &err), 0);
	ASSERT_EQ(again, a); /* the same container keeps its address */
	ASSERT_EQ(lease_get(rootfd, ID_B, &again, &err), 1);
	ASSERT_EQ(again, b);
	ASSERT_EQ(lease_subnet(rootfd, &got, &err), 1);
	ASSERT_EQ(got.prefix, 16);
	ASSERT_EQ(lease_free(rootfd, ID_B, &err), 0);
	ASSERT_EQ(lease_get(rootfd, ID_B, &again, &err), 0);
	/* The freed address is handed out again, never a used one. */
	ASSERT_EQ(lease_take(rootfd, ID_C, net, &c, &err), 0);
	ASSERT_EQ(c, b);
	ASSERT_EQ(lease_gc(rootfd, keep_a, NULL, &freed, &err), 0);
	ASSERT_EQ(freed, 1u);
	ASSERT_EQ(lease_get(rootfd, ID_C, &again, &err), 0);
	ASSERT_EQ(lease_take(rootfd, "nope", net, &again, &err), -1);
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
	ASSERT_EQ(system(cmd), 0);
}

TEST(damaged_file_is_an_error_not_an_empty_set)
{
	char path[64], file[96], cmd[96];
	struct rtnl_net4 net = { .addr = htonl(0x0a580000u), .prefix = 16 };
	struct kerr err;
	uint32_t ip;
	int rootfd = temp_root(path, sizeof(path));

	ASSERT(rootfd >= 0);
	ASSERT_EQ(lease_take(rootfd, ID_A, net, &ip, &err), 0);
	snprintf(file, sizeof(file), "%s/net/leases", path);
	FILE *f = fopen(file, "w");
	ASSERT(f != NULL);
	fputs("garbage\n", f);
	fclose(f);
	ASSERT_EQ(lease_take(rootfd, ID_B, net, &ip, &err), -1);
	ASSERT_CONTAINS(err.msg, "first line");
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", path);
	ASSERT_EQ(system(cmd), 0);
}

RUN_TESTS(T(parse_and_format), T(parse_refuses_damage), T(pick_skips_network_gateway_and_used),
	  T(take_get_free_gc), T(damaged_file_is_an_error_not_an_empty_set))
