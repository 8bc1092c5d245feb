/*
 * kerr_test: setting, wrapping and truncating errors (test layer).
 *
 * Checks that messages gather context in order, that the code survives wrapping, and that
 * overflow always ends in a whole "…" without splitting a UTF-8 character.
 */
#include <errno.h>
#include <stdbool.h>

#include "harness.h"
#include "base/kerr.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* True when s is well-formed UTF-8 (enough for 2- and 3-byte sequences used here). */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : -1;

		if (n < 0)
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

TEST(set_plain)
{
	struct kerr err;

	ASSERT_EQ(kerr_set(&err, 0, "bad flag `%s`", "-x"), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT_STREQ(err.msg, "bad flag `-x`");
}

TEST(set_with_code)
{
	struct kerr err;

	ASSERT_EQ(kerr_set(&err, ENOENT, "open `%s`", "a.json"), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_STREQ(err.msg, "open `a.json`: No such file or directory");
}

TEST(wrap_prefixes_and_keeps_code)
{
	struct kerr err;

	kerr_set(&err, EACCES, "open record.json");
	ASSERT_EQ(kerr_wrap(&err, "load container `%s`", "web"), -1);
	ASSERT_EQ(err.code, EACCES);
	ASSERT_STREQ(err.msg, "load container `web`: open record.json: Permission denied");
	kerr_wrap(&err, "start");
	ASSERT_STREQ(err.msg, "start: load container `web`: open record.json: Permission denied");
}

TEST(wrap_empty_message)
{
	struct kerr err;

	kerr_clear(&err);
	kerr_wrap(&err, "context only");
	ASSERT_STREQ(err.msg, "context only");
	ASSERT_EQ(err.code, 0);
}

TEST(clear)
{
	struct kerr err;

	kerr_set(&err, EIO, "x");
	kerr_clear(&err);
	ASSERT_EQ(err.code, 0);
	ASSERT_STREQ(err.msg, "");
}

TEST(set_code_keeps_message)
{
	struct kerr err;

	kerr_set(&err, 0, "peer uid 7 is not allowed");
	ASSERT_EQ(kerr_set_code(&err, EACCES), -1);
	ASSERT_EQ(err.code, EACCES);
	ASSERT_STREQ(err.msg, "peer uid 7 is not allowed");
}

TEST(set_truncates_long_format)
{
	struct kerr err;
	char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kerr_set(&err, 0, "%s", big);
	ASSERT_EQ(strlen(err.msg), KERR_MSG_MAX - 1);
	ASSERT(ends_with(err.msg, ELLIPSIS));
	ASSERT_EQ(err.msg[0], 'a');
}

TEST(set_truncates_errno_suffix)
{
	struct kerr err;
	char big[KERR_MSG_MAX - 5];

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kerr_set(&err, ENOENT, "%s", big);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT(strlen(err.msg) <= KERR_MSG_MAX - 1);
	ASSERT(ends_with(err.msg, ELLIPSIS));
}

TEST(set_exactly_fits)
{
	struct kerr err;
	char big[KERR_MSG_MAX];

	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kerr_set(&err, 0, "%s", big);
	/* KERR_MSG_MAX - 1 bytes fit exactly: no ellipsis. */
	ASSERT_STREQ(err.msg, big);
}

TEST(truncation_never_splits_utf8)
{
	struct kerr err;
	char big[2000];

	/* "é" is 2 bytes; shift by one ASCII byte to try both parities of the cut. */
	for (int shift = 0; shift < 3; shift++) {
		size_t w = 0;

		for (int i = 0; i < shift; i++)
			big[w++] = 'x';
		while (w + 2 < sizeof(big)) {
			big[w++] = (char)0xc3;
			big[w++] = (char)0xa9;
		}
		big[w] = '\0';
		kerr_set(&err, 0, "%s", big);
		ASSERT(utf8_ok(err.msg));
		ASSERT(ends_with(err.msg, ELLIPSIS));
		ASSERT(strlen(err.msg) <= KERR_MSG_MAX - 1);
		kerr_set(&err, 0, "short");
		kerr_wrap(&err, "%s", big);
		ASSERT(utf8_ok(err.msg));
		ASSERT(ends_with(err.msg, ELLIPSIS));
	}
}

TEST(wrap_overflow_keeps_context_and_cuts_tail)
{
	struct kerr err;
	char old[1000], ctx[100];

	memset(old, 'o', sizeof(old) - 1);
	old[sizeof(old) - 1] = '\0';
	memset(ctx, 'C', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	kerr_set(&err, EPERM, "%s", old);
	kerr_wrap(&err, "%s", ctx);
	ASSERT_EQ(err.code, EPERM);
	ASSERT_EQ(strncmp(err.msg, ctx, strlen(ctx)), 0);
	ASSERT_EQ(strncmp(err.msg + strlen(ctx), ": ooo", 5), 0);
	ASSERT(ends_with(err.msg, ELLIPSIS));
	ASSERT(strlen(err.msg) <= KERR_MSG_MAX - 1);
	ASSERT(strlen(err.msg) >= KERR_MSG_MAX - 4);
}

TEST(wrap_huge_context)
{
	struct kerr err;
	char ctx[3000];

	memset(ctx, 'Z', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	kerr_set(&err, 0, "inner");
	kerr_wrap(&err, "%s", ctx);
	ASSERT_EQ(err.msg[0], 'Z');
	ASSERT(ends_with(err.msg, ELLIPSIS));
	ASSERT(strlen(err.msg) <= KERR_MSG_MAX - 1);
	ASSERT(strstr(err.msg, "inner") == NULL);
}

TEST(wrap_context_fills_exactly)
{
	struct kerr err;
	/* ctx + ": " takes the whole buffer: no room for the old message. */
	char ctx[KERR_MSG_MAX - 2];

	memset(ctx, 'q', sizeof(ctx) - 1);
	ctx[sizeof(ctx) - 1] = '\0';
	kerr_set(&err, 0, "old");
	kerr_wrap(&err, "%s", ctx);
	ASSERT(ends_with(err.msg, ELLIPSIS));
	ASSERT(strlen(err.msg) <= KERR_MSG_MAX - 1);
}

TEST(wrap_exactly_fits)
{
	struct kerr err;
	char old[KERR_MSG_MAX - 1 - 5];

	memset(old, 'o', sizeof(old) - 1);
	old[sizeof(old) - 1] = '\0';
	kerr_set(&err, 0, "%s", old);
	kerr_wrap(&err, "ctx"); /* 3 + 2 + (KERR_MSG_MAX - 7) = KERR_MSG_MAX - 2 */
	ASSERT_EQ(strlen(err.msg), KERR_MSG_MAX - 2);
	ASSERT(!ends_with(err.msg, ELLIPSIS));
	kerr_wrap(&err, "x"); /* one byte too many */
	ASSERT(ends_with(err.msg, ELLIPSIS));
	ASSERT_EQ(strncmp(err.msg, "x: ctx: ooo", 11), 0);
}

TEST(argument_may_alias_message)
{
	struct kerr err;

	kerr_set(&err, 0, "inner");
	kerr_set(&err, 0, "outer (%s)", err.msg);
	ASSERT_STREQ(err.msg, "outer (inner)");
	kerr_wrap(&err, "again %s", err.msg);
	ASSERT_STREQ(err.msg, "again outer (inner): outer (inner)");
}

TEST(errno_preserved)
{
	struct kerr err;

	errno = EBADF;
	kerr_set(&err, EINVAL, "x");
	ASSERT_EQ(errno, EBADF);
	kerr_wrap(&err, "y");
	ASSERT_EQ(errno, EBADF);
}

TEST(null_err_is_allowed)
{
	ASSERT_EQ(kerr_set(NULL, EIO, "ignored"), -1);
	ASSERT_EQ(kerr_wrap(NULL, "ignored"), -1);
	ASSERT_EQ(kerr_set_code(NULL, EIO), -1);
	kerr_clear(NULL);
}

RUN_TESTS(T(set_plain), T(set_with_code), T(wrap_prefixes_and_keeps_code), T(wrap_empty_message),
	  T(clear), T(set_code_keeps_message), T(set_truncates_long_format),
	  T(set_truncates_errno_suffix), T(set_exactly_fits), T(truncation_never_splits_utf8),
	  T(wrap_overflow_keeps_context_and_cuts_tail), T(wrap_huge_context),
	  T(wrap_context_fills_exactly), T(wrap_exactly_fits), T(argument_may_alias_message),
	  T(errno_preserved), T(null_err_is_allowed))
