/*
 * clock_test: RFC3339 formatting and parsing, calendar edges, human durations (test layer).
 */
#include "base/clock.h"
#include "harness.h"

#define SEC 1000000000LL

static void fmt(int64_t ns, char out[CLOCK_RFC3339NANO_LEN + 1])
{
	memset(out, 'X', CLOCK_RFC3339NANO_LEN + 1);
	clock_format_rfc3339nano(ns, out);
}

TEST(format_known)
{
	char s[CLOCK_RFC3339NANO_LEN + 1];

	fmt(0, s);
	ASSERT_STREQ(s, "1970-01-01T00:00:00.000000000Z");
	fmt(-1, s);
	ASSERT_STREQ(s, "1969-12-31T23:59:59.999999999Z");
	fmt(1136214245 * SEC + 123, s);
	ASSERT_STREQ(s, "2006-01-02T15:04:05.000000123Z");
	fmt(INT64_MAX, s);
	ASSERT_STREQ(s, "2262-04-11T23:47:16.854775807Z");
	fmt(INT64_MIN, s);
	ASSERT_STREQ(s, "1677-09-21T00:12:43.145224192Z");
	ASSERT_EQ(strlen(s), CLOCK_RFC3339NANO_LEN);
}

TEST(format_leap_years)
{
	char s[CLOCK_RFC3339NANO_LEN + 1];

	fmt(951782400 * SEC, s); /* 2000 is a leap year (divisible by 400) */
	ASSERT_STREQ(s, "2000-02-29T00:00:00.000000000Z");
	fmt(1709164800 * SEC, s);
	ASSERT_STREQ(s, "2024-02-29T00:00:00.000000000Z");
	fmt(1709251199 * SEC, s);
	ASSERT_STREQ(s, "2024-02-29T23:59:59.000000000Z");
	fmt(-2203891200 * SEC, s); /* 1900 is not (divisible by 100) */
	ASSERT_STREQ(s, "1900-03-01T00:00:00.000000000Z");
	fmt(4107542400 * SEC, s); /* nor is 2100 */
	ASSERT_STREQ(s, "2100-03-01T00:00:00.000000000Z");
	fmt(4107628799 * SEC, s);
	ASSERT_STREQ(s, "2100-03-01T23:59:59.000000000Z");
	fmt(1735689599 * SEC, s);
	ASSERT_STREQ(s, "2024-12-31T23:59:59.000000000Z");
}

TEST(parse_known)
{
	int64_t ns = 0;
	struct kerr err;

	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05Z", &ns, &err), 0);
	ASSERT_EQ(ns, 1136214245 * SEC);
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05.5Z", &ns, &err), 0);
	ASSERT_EQ(ns, 1136214245 * SEC + 500000000);
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05.000000001Z", &ns, &err), 0);
	ASSERT_EQ(ns, 1136214245 * SEC + 1);
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05.123456789Z", &ns, &err), 0);
	ASSERT_EQ(ns, 1136214245 * SEC + 123456789);
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05-07:00", &ns, &err), 0);
	ASSERT_EQ(ns, 1136239445 * SEC);
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05+07:00", &ns, &err), 0);
	ASSERT_EQ(ns, 1136189045 * SEC);
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05+00:00", &ns, &err), 0);
	ASSERT_EQ(ns, 1136214245 * SEC);
	ASSERT_EQ(clock_parse_rfc3339("1970-01-01T00:00:00Z", &ns, &err), 0);
	ASSERT_EQ(ns, 0);
	ASSERT_EQ(clock_parse_rfc3339("1969-12-31T23:59:59.999999999Z", &ns, &err), 0);
	ASSERT_EQ(ns, -1);
	ASSERT_EQ(clock_parse_rfc3339("2024-02-29T12:00:00Z", &ns, &err), 0);
	ASSERT_EQ(clock_parse_rfc3339("2000-02-29T12:00:00Z", &ns, &err), 0);
	/* The offset may move the day across a month and year boundary. */
	ASSERT_EQ(clock_parse_rfc3339("2025-01-01T01:00:00+02:00", &ns, &err), 0);
	ASSERT_EQ(ns, 1735686000 * SEC);
	ASSERT_EQ(clock_parse_rfc3339("0000-01-01T00:00:00Z", &ns, &err), -1);
}

TEST(parse_range_edges)
{
	int64_t ns = 0;
	struct kerr err;

	ASSERT_EQ(clock_parse_rfc3339("2262-04-11T23:47:16.854775807Z", &ns, &err), 0);
	ASSERT(ns == INT64_MAX);
	ASSERT_EQ(clock_parse_rfc3339("1677-09-21T00:12:43.145224192Z", &ns, &err), 0);
	ASSERT(ns == INT64_MIN);
	ASSERT_EQ(clock_parse_rfc3339("2262-04-11T23:47:16.854775808Z", &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "outside the representable range");
	ASSERT_EQ(clock_parse_rfc3339("1677-09-21T00:12:43.145224191Z", &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "outside the representable range");
	ASSERT_EQ(clock_parse_rfc3339("9999-12-31T23:59:59Z", &ns, &err), -1);
	ASSERT_EQ(clock_parse_rfc3339("2262-04-12T01:00:00+02:00", &ns, &err), 0);
}

TEST(parse_rejects)
{
	static const char *const bad[] = {
		"",
		"2006-01-02",
		"2006-01-02T15:04:05",
		"2006-01-02t15:04:05Z",
		"2006-01-02T15:04:05z",
		"2006-01-02 15:04:05Z",
		"2006-1-02T15:04:05Z",
		"206-01-02T15:04:05Z",
		"2006-01-02T15:04:05.Z",
		"2006-01-02T15:04:05.1234567890Z",
		"2006-01-02T15:04:05ZZ",
		"2006-01-02T15:04:05Z ",
		" 2006-01-02T15:04:05Z",
		"2006-01-02T15:04:05+0700",
		"2006-01-02T15:04:05+7:00",
		"2006-01-02T15:04:05+24:00",
		"2006-01-02T15:04:05+07:60",
		"2006-01-02T15:04:05+07:00:00",
		"2006-13-02T15:04:05Z",
		"2006-00-02T15:04:05Z",
		"2006-01-00T15:04:05Z",
		"2006-01-32T15:04:05Z",
		"2006-04-31T15:04:05Z",
		"2023-02-29T15:04:05Z",
		"1900-02-29T15:04:05Z",
		"2100-02-29T15:04:05Z",
		"2006-01-02T24:00:00Z",
		"2006-01-02T23:60:00Z",
		"2006-01-02T23:59:60Z",
		"2006-01-02T15:04:05.-1Z",
		"+2006-01-02T15:04:05Z",
		"2006-01-02T15:04:05\nZ",
	};
	struct kerr err;
	int64_t ns = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (clock_parse_rfc3339(bad[i], &ns, &err) != -1)
			HARNESS_FAIL("timestamp `%s` accepted", bad[i]);
		ASSERT_CONTAINS(err.msg, "invalid timestamp `");
		ASSERT_CONTAINS(err.msg, "expected RFC3339 like 2006-01-02T15:04:05Z");
	}
	ASSERT_EQ(ns, 42);
	ASSERT_EQ(clock_parse_rfc3339("2023-02-29T00:00:00Z", &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "`2023-02-29T00:00:00Z`: day out of range for that month");
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05.1234567890Z", &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "1 to 9 digits");
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05", &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "missing zone");
	ASSERT_EQ(clock_parse_rfc3339("2006-01-02T15:04:05\nZ", &ns, &err), -1);
	ASSERT_CONTAINS(err.msg, "\\x0a");
}

TEST(round_trip)
{
	char s[CLOCK_RFC3339NANO_LEN + 1];
	struct kerr err;
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 200000; i++) {
		int64_t ns, back = 0;

		/* xorshift64: spread over the whole int64 range, including negatives. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ns = (int64_t)x;
		if (i % 4 == 1)
			ns /= 1000000; /* near the epoch */
		clock_format_rfc3339nano(ns, s);
		if (clock_parse_rfc3339(s, &back, &err) != 0)
			HARNESS_FAIL("`%s` does not parse: %s", s, err.msg);
		if (back != ns)
			HARNESS_FAIL("`%s`: %lld != %lld", s, (long long)back, (long long)ns);
	}
}

TEST(day_by_day)
{
	/* Every day from 1678 to 2261 formats to a valid date that parses back to midnight. */
	char s[CLOCK_RFC3339NANO_LEN + 1];
	struct kerr err;
	int prev_day = 0;

	for (int64_t d = -106000; d < 106000; d++) {
		int64_t back;

		clock_format_rfc3339nano(d * 86400 * SEC, s);
		if (clock_parse_rfc3339(s, &back, &err) != 0 || back != d * 86400 * SEC)
			HARNESS_FAIL("day %lld: `%s`", (long long)d, s);
		int day = (s[8] - '0') * 10 + (s[9] - '0');
		ASSERT(prev_day == 0 || day == prev_day + 1 || day == 1);
		prev_day = day;
	}
}

TEST(mono_and_wall)
{
	uint64_t a = clock_mono_ms(), b = clock_mono_ms();
	int64_t w = clock_wall_ns();

	ASSERT(b >= a);
	ASSERT(w > 1600000000 * SEC);
}

static const char *human(int64_t ns)
{
	static char out[64];

	clock_human_duration(ns, out, sizeof(out));
	return out;
}

TEST(human_duration_thresholds)
{
	const int64_t M = 60 * SEC, H = 60 * M, D = 24 * H;

	ASSERT_STREQ(human(-5 * SEC), "Less than a second");
	ASSERT_STREQ(human(0), "Less than a second");
	ASSERT_STREQ(human(SEC - 1), "Less than a second");
	ASSERT_STREQ(human(SEC), "1 second");
	ASSERT_STREQ(human(2 * SEC - 1), "1 second");
	ASSERT_STREQ(human(2 * SEC), "2 seconds");
	ASSERT_STREQ(human(59 * SEC), "59 seconds");
	ASSERT_STREQ(human(M), "About a minute");
	ASSERT_STREQ(human(2 * M - 1), "About a minute");
	ASSERT_STREQ(human(2 * M), "2 minutes");
	ASSERT_STREQ(human(H - 1), "59 minutes");
	ASSERT_STREQ(human(H), "About an hour");
	/* Hours round to nearest. */
	ASSERT_STREQ(human(H + 30 * M - 1), "About an hour");
	ASSERT_STREQ(human(H + 30 * M), "2 hours");
	ASSERT_STREQ(human(47 * H + 30 * M - 1), "47 hours");
	ASSERT_STREQ(human(47 * H + 30 * M), "2 days");
	ASSERT_STREQ(human(13 * D + 23 * H), "13 days");
	ASSERT_STREQ(human(14 * D), "2 weeks");
	ASSERT_STREQ(human(59 * D), "8 weeks");
	ASSERT_STREQ(human(60 * D), "2 months");
	ASSERT_STREQ(human(729 * D), "24 months");
	ASSERT_STREQ(human(730 * D), "2 years");
	ASSERT_STREQ(human(10 * 365 * D), "10 years");
	ASSERT_STREQ(human(INT64_MAX), "292 years");
}

TEST(human_duration_small_cap)
{
	char out[5];

	memset(out, 'X', sizeof(out));
	clock_human_duration(3 * 60 * SEC, out, sizeof(out));
	ASSERT_STREQ(out, "3 mi");
	out[0] = 'Q';
	clock_human_duration(0, out, 0);
	ASSERT_EQ(out[0], 'Q');
}

RUN_TESTS(T(format_known), T(format_leap_years), T(parse_known), T(parse_range_edges),
	  T(parse_rejects), T(round_trip), T(day_by_day), T(mono_and_wall),
	  T(human_duration_thresholds), T(human_duration_small_cap))
