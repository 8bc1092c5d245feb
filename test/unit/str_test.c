/*
 * str_test: bounded copies, strict parsers and sanitizing (test layer).
 *
 * Every parser is fed its accepted forms, its boundaries and a list of hostile inputs;
 * rejects are checked for the message, which must quote the input and say what is allowed.
 */

#include "harness.h"
#include "base/str.h"

#define GIB (1024ULL * 1024 * 1024)

TEST(copy)
{
	char d[6];

	ASSERT(str_copy(d, sizeof(d), "hello"));
	ASSERT_STREQ(d, "hello");
	ASSERT(!str_copy(d, sizeof(d), "hello!"));
	ASSERT_STREQ(d, "hello");
	ASSERT(str_copy(d, sizeof(d), ""));
	ASSERT_STREQ(d, "");
	ASSERT(!str_copy(d, 0, "x"));
	ASSERT(!str_copy(d, 1, "x"));
	ASSERT_STREQ(d, "");
}

TEST(copyn)
{
	char d[8];

	ASSERT(str_copyn(d, sizeof(d), "abcdef", 3));
	ASSERT_STREQ(d, "abc");
	/* n beyond the string stops at its NUL. */
	ASSERT(str_copyn(d, sizeof(d), "ab", 100));
	ASSERT_STREQ(d, "ab");
	ASSERT(!str_copyn(d, 4, "abcdef", 6));
	ASSERT_STREQ(d, "abc");
	ASSERT(str_copyn(d, 4, "abcdef", 3));
}

TEST(prefix_suffix)
{
	ASSERT(str_has_prefix("kettle-shim", "kettle-"));
	ASSERT(str_has_prefix("x", ""));
	ASSERT(!str_has_prefix("ket", "kettle"));
	ASSERT(str_has_suffix("a.json", ".json"));
	ASSERT(str_has_suffix("a", ""));
	ASSERT(!str_has_suffix("json", ".json"));
	ASSERT(!str_has_suffix("a.jso", ".json"));
}

TEST(to_u64)
{
	struct kerr err;
	uint64_t v;

	ASSERT_EQ(str_to_u64("0", 10, &v, &err), 0);
	ASSERT_U64_EQ(v, 0);
	ASSERT_EQ(str_to_u64("007", 10, &v, &err), 0);
	ASSERT_U64_EQ(v, 7);
	ASSERT_EQ(str_to_u64("18446744073709551615", UINT64_MAX, &v, &err), 0);
	ASSERT_U64_EQ(v, UINT64_MAX);
	ASSERT_EQ(str_to_u64("10", 10, &v, &err), 0);
}

TEST(to_u64_rejects)
{
	static const char *const bad[] = { "-1", "+1", " 1", "1 ", "1a", "0x10", "1.0", "١" };
	struct kerr err;
	uint64_t v = 5;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(str_to_u64(bad[i], UINT64_MAX, &v, &err), -1);
		ASSERT_CONTAINS(err.msg, "expected only decimal digits 0-9");
		ASSERT_EQ(err.code, 0);
	}
	ASSERT_EQ(v, 5);
	ASSERT_EQ(str_to_u64("", 10, &v, &err), -1);
	ASSERT_STREQ(err.msg, "empty number, expected decimal digits 0-9");
	ASSERT_EQ(str_to_u64("11", 10, &v, &err), -1);
	ASSERT_STREQ(err.msg, "number `11` is too large, maximum 10");
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_to_u64("18446744073709551616", UINT64_MAX, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "too large, maximum 18446744073709551615");
	ASSERT_EQ(str_to_u64("99999999999999999999999999", UINT64_MAX, &v, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_to_u64("1\n", 10, &v, &err), -1);
	ASSERT_STREQ(err.msg, "invalid number `1\\x0a`: expected only decimal digits 0-9");
}

TEST(to_i64)
{
	struct kerr err;
	int64_t v;

	ASSERT_EQ(str_to_i64("-5", -10, 10, &v, &err), 0);
	ASSERT_EQ(v, -5);
	ASSERT_EQ(str_to_i64("-0", -10, 10, &v, &err), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(str_to_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v, &err), 0);
	ASSERT(v == INT64_MIN);
	ASSERT_EQ(str_to_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v, &err), 0);
	ASSERT(v == INT64_MAX);
}

TEST(to_i64_rejects)
{
	struct kerr err;
	int64_t v;

	ASSERT_EQ(str_to_i64("", 0, 1, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "empty number");
	ASSERT_EQ(str_to_i64("-", 0, 1, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid number `-`");
	ASSERT_EQ(str_to_i64("--1", -5, 1, &v, &err), -1);
	ASSERT_EQ(str_to_i64("+1", -5, 5, &v, &err), -1);
	ASSERT_EQ(str_to_i64("1-", -5, 5, &v, &err), -1);
	ASSERT_EQ(str_to_i64("-11", -10, 10, &v, &err), -1);
	ASSERT_STREQ(err.msg, "number `-11` is out of range, allowed -10 to 10");
	ASSERT_EQ(str_to_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_to_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v, &err), -1);
	ASSERT_EQ(err.code, 0);
}

TEST(size)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = {
		{ "0", 0 },
		{ "1024", 1024 },
		{ "1b", 1 },
		{ "1B", 1 },
		{ "512k", 512 * 1024 },
		{ "512K", 512 * 1024 },
		{ "64m", 64ULL << 20 },
		{ "64mb", 64ULL << 20 },
		{ "64MB", 64ULL << 20 },
		{ "64Mb", 64ULL << 20 },
		{ "1g", GIB },
		{ "1.5g", GIB + GIB / 2 },
		{ "1.5G", GIB + GIB / 2 },
		{ ".5k", 512 },
		{ "1.1k", 1126 }, /* 1126.4 rounds down */
		{ "0.0000000001k", 0 },
		{ "2t", 2ULL << 40 },
		{ "2tb", 2ULL << 40 },
		{ "8388607t", 8388607ULL << 40 },
		{ "9223372036854775807", 9223372036854775807ULL },
	};
	struct kerr err;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 12345;

		if (str_parse_size(ok[i].in, &v, &err) != 0)
			HARNESS_FAIL("size `%s`: %s", ok[i].in, err.msg);
		if (v != ok[i].want)
			HARNESS_FAIL("size `%s`: %" PRIu64 " != %" PRIu64, ok[i].in, v, ok[i].want);
	}
}

TEST(size_rejects)
{
	static const char *const bad[] = {
		"-1", "12q", "1.5.5", "k",    "1kk", "1kbb", "1bb",  "1 k",   " 1",   "1k ",
		"1.", ".",   "1e3",   "0x10", "+1",  "1p",   "1,5k", "1..5k", "1m\n", "1\xc2\xb5",
	};
	struct kerr err;
	uint64_t v = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (str_parse_size(bad[i], &v, &err) != -1)
			HARNESS_FAIL("size `%s` accepted", bad[i]);
		ASSERT_CONTAINS(err.msg, "invalid size `");
		ASSERT_CONTAINS(err.msg, "b, k, m, g or t");
	}
	ASSERT_EQ(v, 7);
	ASSERT_EQ(str_parse_size("12q", &v, &err), -1);
	ASSERT_STREQ(err.msg, "invalid size `12q`: expected a number with an optional unit b, k, "
			      "m, g or t (for example 512m)");
	ASSERT_EQ(str_parse_size("", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "empty size");
	ASSERT_EQ(str_parse_size("1.5", &v, &err), -1);
	ASSERT_STREQ(err.msg, "invalid size `1.5`: a fraction needs a unit k, m, g or t (for "
			      "example 1.5g)");
	ASSERT_EQ(str_parse_size("1.5b", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "a fraction needs a unit");
}

TEST(size_overflow)
{
	struct kerr err;
	uint64_t v;

	ASSERT_EQ(str_parse_size("9223372036854775808", &v, &err), -1);
	ASSERT_STREQ(err.msg, "size `9223372036854775808` is too large, maximum "
			      "9223372036854775807 bytes");
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_parse_size("8388608t", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "too large");
	ASSERT_EQ(str_parse_size("8388607.99999t", &v, &err), 0);
	ASSERT_EQ(str_parse_size("99999999999999999999999g", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "too large");
	ASSERT_EQ(str_parse_size("99999999999999999999.5k", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "too large");
	ASSERT_EQ(str_parse_size("99999999999999999999x", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid size");
	ASSERT_EQ(str_parse_size("18014398509481984k", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "too large");
}

TEST(duration)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = {
		{ "0", 0 },
		{ "30", 30000 },
		{ "1.5", 1500 },
		{ "0s", 0 },
		{ "50ms", 50 },
		{ "1s", 1000 },
		{ "1.5s", 1500 },
		{ ".5s", 500 },
		{ "1.s", 1000 },
		{ "2h", 7200000 },
		{ "1m30s", 90000 },
		{ "1h2m3s", 3723000 },
		{ "1h2m3s4ms", 3723004 },
		{ "3s1h", 3603000 },
		{ "1.5h", 5400000 },
		{ "999us", 0 },
		{ "1000us", 1 },
		{ "1500\xc2\xb5s", 1 },
		{ "1500\xce\xbcs", 1 },
		{ "1999999ns", 1 },
		{ "0.0001s", 0 },
		{ "1ms1000us", 2 },
		{ "1.0000000001s", 1000 },
		{ "5124095h", 5124095ULL * 3600 * 1000 },
	};
	struct kerr err;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 12345;

		if (str_parse_duration_ms(ok[i].in, &v, &err) != 0)
			HARNESS_FAIL("duration `%s`: %s", ok[i].in, err.msg);
		if (v != ok[i].want)
			HARNESS_FAIL("duration `%s`: %" PRIu64 " != %" PRIu64, ok[i].in, v,
				     ok[i].want);
	}
}

TEST(duration_rejects)
{
	static const char *const bad[] = {
		"1h30", "s", "1x", "1 s", " 1s",  "1s ",   "1.5.5s", "1sec", "1S",   "1H",
		"+1s",	".", ".s", "1d",  "1ms-", "1h-1m", "1e3s",   "ms",   "1m\n", "1\xc2\xb5",
	};
	struct kerr err;
	uint64_t v = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (str_parse_duration_ms(bad[i], &v, &err) != -1)
			HARNESS_FAIL("duration `%s` accepted", bad[i]);
		ASSERT_CONTAINS(err.msg, "invalid duration `");
		ASSERT_CONTAINS(err.msg, "ns, us, ms, s, m or h");
	}
	ASSERT_EQ(v, 7);
	ASSERT_EQ(str_parse_duration_ms("1h30", &v, &err), -1);
	ASSERT_STREQ(err.msg, "invalid duration `1h30`: expected numbers with units ns, us, ms, s, "
			      "m or h (for example 1m30s), or a plain number of seconds");
	ASSERT_EQ(str_parse_duration_ms("", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "empty duration");
	ASSERT_EQ(str_parse_duration_ms("-1s", &v, &err), -1);
	ASSERT_STREQ(err.msg, "invalid duration `-1s`: negative durations are not allowed");
	ASSERT_EQ(str_parse_duration_ms("-5", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "negative");
}

TEST(duration_overflow)
{
	struct kerr err;
	uint64_t v;

	ASSERT_EQ(str_parse_duration_ms("5124096h", &v, &err), -1);
	ASSERT_STREQ(err.msg, "duration `5124096h` is too large, maximum 5124095h");
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_parse_duration_ms("5124095h5124095h", &v, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_parse_duration_ms("99999999999999999999999s", &v, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_parse_duration_ms("99999999999999999999999sx", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid duration");
	ASSERT_EQ(str_parse_duration_ms("5124095h5124095hx", &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "invalid duration");
	ASSERT_EQ(str_parse_duration_ms("99999999999999999999999", &v, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_parse_duration_ms("18446744073709552", &v, &err), -1);
	ASSERT_EQ(err.code, 0);
}

TEST(milli)
{
	struct kerr err;
	uint64_t v;

	ASSERT_EQ(str_parse_milli("1.5", 100000, &v, &err), 0);
	ASSERT_U64_EQ(v, 1500);
	ASSERT_EQ(str_parse_milli("2", 100000, &v, &err), 0);
	ASSERT_U64_EQ(v, 2000);
	ASSERT_EQ(str_parse_milli("0.001", 100000, &v, &err), 0);
	ASSERT_U64_EQ(v, 1);
	ASSERT_EQ(str_parse_milli(".25", 100000, &v, &err), 0);
	ASSERT_U64_EQ(v, 250);
	ASSERT_EQ(str_parse_milli("0", 100000, &v, &err), 0);
	ASSERT_U64_EQ(v, 0);
	ASSERT_EQ(str_parse_milli("4.000", 4000, &v, &err), 0);
	ASSERT_U64_EQ(v, 4000);
}

TEST(milli_rejects)
{
	static const char *const bad[] = { "",	"-1", "1.", ".",   "1.5.5",
					   "a", "1 ", "+1", "1e3", "0x1" };
	struct kerr err;
	uint64_t v = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (str_parse_milli(bad[i], 100000, &v, &err) != -1)
			HARNESS_FAIL("milli `%s` accepted", bad[i]);
	ASSERT_EQ(v, 7);
	ASSERT_EQ(str_parse_milli("1.2345", 100000, &v, &err), -1);
	ASSERT_STREQ(err.msg,
		     "invalid number `1.2345`: more than 3 fraction digits, at most 3 allowed");
	ASSERT_EQ(str_parse_milli("x", 100000, &v, &err), -1);
	ASSERT_STREQ(err.msg, "invalid number `x`: expected a decimal with up to 3 fraction digits "
			      "(for example 1.5)");
	ASSERT_EQ(str_parse_milli("4.001", 4000, &v, &err), -1);
	ASSERT_STREQ(err.msg, "number `4.001` is too large, maximum 4.000");
	ASSERT_EQ(str_parse_milli("99999999999999999999", UINT64_MAX, &v, &err), -1);
	ASSERT_EQ(err.code, 0);
	ASSERT_EQ(str_parse_milli("18446744073709552", UINT64_MAX, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "too large");
	ASSERT_EQ(str_parse_milli("99999999999999999999.5", UINT64_MAX, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "too large");
	ASSERT_EQ(err.code, 0);
}

TEST(long_input_is_shortened_in_message)
{
	char in[500];
	struct kerr err;
	uint64_t v;

	memset(in, '9', sizeof(in) - 1);
	in[10] = 'x';
	in[sizeof(in) - 1] = '\0';
	ASSERT_EQ(str_to_u64(in, UINT64_MAX, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "\xe2\x80\xa6`");
	ASSERT(strlen(err.msg) < 200);
}

TEST(sanitize)
{
	char d[64];

	ASSERT_EQ(str_sanitize(d, sizeof(d), "plain text", 10), 10);
	ASSERT_STREQ(d, "plain text");
	ASSERT_EQ(str_sanitize(d, sizeof(d), "a\nb\x1b[0m\\", 8), 15);
	ASSERT_STREQ(d, "a\\x0ab\\x1b[0m\\\\");
	ASSERT_EQ(str_sanitize(d, sizeof(d), "\xff\x7f\0", 3), 12);
	ASSERT_STREQ(d, "\\xff\\x7f\\x00");
	ASSERT_EQ(str_sanitize(d, sizeof(d), "", 0), 0);
	ASSERT_STREQ(d, "");
}

TEST(sanitize_truncates_whole_escapes)
{
	char d[8];

	/* cap 8: 7 bytes of room; "ab" + "\x0a" (4) = 6, the next escape does not fit. */
	ASSERT_EQ(str_sanitize(d, sizeof(d), "ab\n\n", 4), 6);
	ASSERT_STREQ(d, "ab\\x0a");
	ASSERT_EQ(str_sanitize(d, sizeof(d), "abcdefghij", 10), 7);
	ASSERT_STREQ(d, "abcdefg");
	ASSERT_EQ(str_sanitize(d, 1, "abc", 3), 0);
	ASSERT_STREQ(d, "");
	d[0] = 'q';
	ASSERT_EQ(str_sanitize(d, 0, "abc", 3), 0);
	ASSERT_EQ(d[0], 'q');
	ASSERT_EQ(str_sanitize(d, 3, "\\\\", 2), 2);
	ASSERT_STREQ(d, "\\\\");
	ASSERT_EQ(str_sanitize(d, 2, "\\", 1), 0);
}

RUN_TESTS(T(copy), T(copyn), T(prefix_suffix), T(to_u64), T(to_u64_rejects), T(to_i64),
	  T(to_i64_rejects), T(size), T(size_rejects), T(size_overflow), T(duration),
	  T(duration_rejects), T(duration_overflow), T(milli), T(milli_rejects),
	  T(long_input_is_shortened_in_message), T(sanitize), T(sanitize_truncates_whole_escapes))
