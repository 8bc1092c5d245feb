/*
 * ids_test: id and name rules, random ids, generated names (test layer).
 */
#include "harness.h"
#include "store/ids.h"

static const char *const good_id =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(is_id)
{
	char s[IDS_ID_LEN + 2];

	ASSERT(ids_is_id(good_id));
	ASSERT(!ids_is_id(""));
	ASSERT(!ids_is_id("0123456789ab"));
	strcpy(s, good_id);
	s[IDS_ID_LEN - 1] = '\0'; /* 63 */
	ASSERT(!ids_is_id(s));
	strcpy(s, good_id);
	strcat(s, "0"); /* 65 */
	ASSERT(!ids_is_id(s));
	strcpy(s, good_id);
	s[10] = 'A';
	ASSERT(!ids_is_id(s));
	s[10] = 'g';
	ASSERT(!ids_is_id(s));
}

TEST(is_id_prefix)
{
	char s[IDS_ID_LEN + 2];

	ASSERT(ids_is_id_prefix("a"));
	ASSERT(ids_is_id_prefix("0123456789ab"));
	ASSERT(ids_is_id_prefix(good_id));
	ASSERT(!ids_is_id_prefix(""));
	ASSERT(!ids_is_id_prefix("ABC"));
	ASSERT(!ids_is_id_prefix("abc-"));
	ASSERT(!ids_is_id_prefix("web"));
	strcpy(s, good_id);
	strcat(s, "0");
	ASSERT(!ids_is_id_prefix(s));
}

TEST(check_name_accepts)
{
	static const char *const ok[] = { "a",
					  "Z",
					  "0",
					  "web",
					  "web-1",
					  "my_app.v2",
					  "A-b_c.d",
					  "0123456789abcdef0123456789abcdef0123456789abcdef01234567"
					  "89abcdef" };
	struct kerr err;
	char longest[IDS_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ids_check_name(ok[i], &err) != 0)
			HARNESS_FAIL("name `%s` rejected: %s", ok[i], err.msg);
	memset(longest, 'n', IDS_NAME_MAX);
	longest[IDS_NAME_MAX] = '\0';
	ASSERT_EQ(ids_check_name(longest, &err), 0);
}

TEST(check_name_rejects)
{
	static const char *const bad[] = { "-web", "_web",  ".web", "web app", "web/1", "web:1",
					   "wéb",  "web\n", "..",   "/web",    "a@b" };
	struct kerr err;
	char toolong[IDS_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ids_check_name(bad[i], &err) != -1)
			HARNESS_FAIL("name `%s` accepted", bad[i]);
		ASSERT_CONTAINS(err.msg, "[a-zA-Z0-9][a-zA-Z0-9_.-]*");
	}
	ASSERT_EQ(ids_check_name("web app", &err), -1);
	ASSERT_STREQ(
		err.msg,
		"invalid container name `web app`, only [a-zA-Z0-9][a-zA-Z0-9_.-]* is allowed");
	ASSERT_EQ(ids_check_name("web\n", &err), -1);
	ASSERT_CONTAINS(err.msg, "`web\\x0a`");
	ASSERT_EQ(ids_check_name("", &err), -1);
	ASSERT_STREQ(err.msg, "empty container name, allowed [a-zA-Z0-9][a-zA-Z0-9_.-]*");
	memset(toolong, 'n', IDS_NAME_MAX + 1);
	toolong[IDS_NAME_MAX + 1] = '\0';
	ASSERT_EQ(ids_check_name(toolong, &err), -1);
	ASSERT_CONTAINS(err.msg, "is longer than 128 bytes, the limit");
	ASSERT_CONTAINS(err.msg, "\xe2\x80\xa6`");
}

TEST(random_bytes)
{
	unsigned char a[64], b[64];
	struct kerr err;

	ASSERT_EQ(ids_random_bytes(a, sizeof(a), &err), 0);
	ASSERT_EQ(ids_random_bytes(b, sizeof(b), &err), 0);
	ASSERT(memcmp(a, b, sizeof(a)) != 0);
	ASSERT_EQ(ids_random_bytes(a, 0, &err), 0);
}

TEST(random_bytes_large)
{
	/* A large request: the loop must fill all of it, even if it arrives in pieces. */
	static unsigned char big[1 << 20];
	struct kerr err;
	size_t zeros = 0;

	ASSERT_EQ(ids_random_bytes(big, sizeof(big), &err), 0);
	for (size_t i = sizeof(big) - 4096; i < sizeof(big); i++)
		zeros += big[i] == 0;
	ASSERT(zeros < 100);
}

TEST(random_hex)
{
	char out[2 * 100 + 1];
	struct kerr err;

	memset(out, 'X', sizeof(out));
	ASSERT_EQ(ids_random_hex(out, 100, &err), 0);
	ASSERT_EQ(strlen(out), 200);
	ASSERT_EQ(strspn(out, "0123456789abcdef"), 200);
	ASSERT_EQ(ids_random_hex(out, 0, &err), 0);
	ASSERT_STREQ(out, "");
}

TEST(new_id)
{
	char a[IDS_ID_LEN + 1], b[IDS_ID_LEN + 1];
	struct kerr err;

	for (int i = 0; i < 200; i++) {
		ASSERT_EQ(ids_new_id(a, &err), 0);
		ASSERT(ids_is_id(a));
		/* The short form is never all digits. */
		ASSERT(strspn(a, "0123456789") < IDS_SHORT_LEN);
	}
	ASSERT_EQ(ids_new_id(b, &err), 0);
	ASSERT(strcmp(a, b) != 0);
}

TEST(name_from_id)
{
	char a[IDS_NAME_MAX + 1], b[IDS_NAME_MAX + 1];
	struct kerr err;
	char id[IDS_ID_LEN + 1];

	ids_name_from_id(good_id, a);
	ids_name_from_id(good_id, b);
	ASSERT_STREQ(a, b);
	ASSERT_EQ(ids_check_name(a, &err), 0);
	ASSERT(strchr(a, '_') != NULL);
	/* Different leading bytes usually give different names; many ids give many names. */
	int distinct = 0;
	char seen[64][IDS_NAME_MAX + 1];
	for (int i = 0; i < 64; i++) {
		ASSERT_EQ(ids_new_id(id, &err), 0);
		ids_name_from_id(id, seen[i]);
		ASSERT_EQ(ids_check_name(seen[i], &err), 0);
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup |= strcmp(seen[i], seen[j]) == 0;
		distinct += !dup;
	}
	ASSERT(distinct > 48);
	/* Hostile or short input still yields a valid name. */
	ids_name_from_id("", a);
	ASSERT_EQ(ids_check_name(a, &err), 0);
	ids_name_from_id("zz\n", a);
	ASSERT_EQ(ids_check_name(a, &err), 0);
}

RUN_TESTS(T(is_id), T(is_id_prefix), T(check_name_accepts), T(check_name_rejects), T(random_bytes),
	  T(random_bytes_large), T(random_hex), T(new_id), T(name_from_id))
