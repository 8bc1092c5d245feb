/*
 * client_attach_test: unit tests of the detach-key parser (test layer, tests
 * src/client/client_attach.c).
 *
 * docker's --detach-keys syntax: single characters and ctrl-<c>, comma-separated; the
 * empty string disables detaching; everything else is refused with the offending key and
 * what is allowed.
 */
#include <string.h>

#include "client/client.h"
#include "harness.h"

TEST(detach_keys_valid)
{
	uint8_t k[CLIENT_DETACH_KEYS_MAX];
	size_t n = 99;
	struct kerr err;

	ASSERT_EQ(client_detach_keys_parse("ctrl-p,ctrl-q", k, &n, &err), 0);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(k[0], 0x10);
	ASSERT_EQ(k[1], 0x11);
	ASSERT_EQ(client_detach_keys_parse("a,ctrl-@,ctrl-[,ctrl-_,ctrl-z", k, &n, &err), 0);
	ASSERT_EQ(n, 5);
	ASSERT_EQ(k[0], 'a');
	ASSERT_EQ(k[1], 0);
	ASSERT_EQ(k[2], 27);
	ASSERT_EQ(k[3], 31);
	ASSERT_EQ(k[4], 26);
	ASSERT_EQ(client_detach_keys_parse("", k, &n, &err), 0);
	ASSERT_EQ(n, 0);
}

TEST(detach_keys_refused)
{
	uint8_t k[CLIENT_DETACH_KEYS_MAX];
	size_t n;
	struct kerr err;
	char long_seq[80];

	ASSERT_EQ(client_detach_keys_parse("ctrl-1", k, &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid detach key `ctrl-1`");
	ASSERT_EQ(client_detach_keys_parse("ab", k, &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "expected one character or ctrl-<c>");
	ASSERT_EQ(client_detach_keys_parse(",", k, &n, &err), -1);
	ASSERT_EQ(client_detach_keys_parse("ctrl-", k, &n, &err), -1);
	/* 17 keys: one more than a sequence may hold. */
	strcpy(long_seq, "a");
	for (int i = 0; i < CLIENT_DETACH_KEYS_MAX; i++)
		strcat(long_seq, ",b");
	ASSERT_EQ(client_detach_keys_parse(long_seq, k, &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "longer than 16 keys");
	memset(long_seq, 'x', sizeof(long_seq) - 1);
	long_seq[sizeof(long_seq) - 1] = '\0';
	char huge[200];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ASSERT_EQ(client_detach_keys_parse(huge, k, &n, &err), -1);
	ASSERT_CONTAINS(err.msg, "too long");
}

RUN_TESTS(T(detach_keys_valid), T(detach_keys_refused))
