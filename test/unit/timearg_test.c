/*
 * timearg_test: --since/--until values (test layer): Unix seconds with and without a
 * fraction, RFC 3339 with every part that may be left out, zoneless times in a fixed
 * zone and across daylight saving, durations before now, and each refusal's errno.
 */
#include <errno.h>
#include <time.h>

#include "base/timearg.h"
#include "harness.h"

#define SEC   1000000000LL
#define T2023 1700000000LL * SEC /* 2023-11-14T22:13:20Z */
#define NOW   (T2023 + 123456789)

static int64_t parse(const char *s)
{
	struct kerr err;
	int64_t ns = -42;

	if (timearg_parse(s, NOW, &ns, &err) < 0)
		return -1;
	return ns;
}

static int code(const char *s)
{
	struct kerr err = { 0 };
	int64_t ns;

	return timearg_parse(s, NOW, &ns, &err) < 0 ? err.code : 0;
}

static void zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

TEST(unix_seconds)
{
	ASSERT_EQ(parse("1700000000"), T2023);
	ASSERT_EQ(parse("0"), 0);
	ASSERT_EQ(parse("1700000000.5"), T2023 + SEC / 2);
	ASSERT_EQ(parse("1700000000.000000001"), T2023 + 1);
	ASSERT_EQ(parse("9223372035.999999999"), 9223372035 * SEC + 999999999);
	ASSERT_EQ(code("9223372036"), ERANGE);
	ASSERT_EQ(code("99999999999999999999999999"), ERANGE);
	ASSERT_EQ(code("1700000000."), EINVAL);
	ASSERT_EQ(code("1700000000.1234567890"), EINVAL);
	ASSERT_EQ(code("1700000000.5x"), EINVAL);
	ASSERT_EQ(code("17000000001.2.3"), EINVAL);
}

TEST(rfc3339_with_zone)
{
	ASSERT_EQ(parse("2023-11-14T22:13:20Z"), T2023);
	ASSERT_EQ(parse("2023-11-14T22:13:20.25Z"), T2023 + SEC / 4);
	ASSERT_EQ(parse("2023-11-15T00:13:20+02:00"), T2023);
	ASSERT_EQ(parse("2023-11-14T22:13Z"), T2023 - 20 * SEC);
	ASSERT_EQ(parse("2023-11-14T22Z"), T2023 - (13 * 60 + 20) * SEC);
	ASSERT_EQ(parse("2023-11-14Z"), T2023 - (22 * 3600 + 13 * 60 + 20) * SEC);
	ASSERT_EQ(parse("2023-11-15-01:00"), T2023 + (2 * 3600 + 46 * 60 + 40) * SEC);
	ASSERT_EQ(parse("1970-01-01T00:00:00Z"), 0);
	ASSERT_EQ(code("1969-12-31T23:59:59Z"), ERANGE);
}

TEST(rfc3339_local)
{
	zone("UTC0");
	ASSERT_EQ(parse("2023-11-14T22:13:20"), T2023);
	ASSERT_EQ(parse("2023-11-14T22:13:20.5"), T2023 + SEC / 2);
	ASSERT_EQ(parse("2023-11-14T22:13"), T2023 - 20 * SEC);
	ASSERT_EQ(parse("2023-11-14"), T2023 - (22 * 3600 + 13 * 60 + 20) * SEC);
	/* Two hours east of UTC: local 00:13:20 the next day is the same instant. */
	zone("XXX-2");
	ASSERT_EQ(parse("2023-11-15T00:13:20"), T2023);
	/* Central Europe: +1 in winter, +2 in summer, the rule taken for the date given. */
	zone("CET-1CEST,M3.5.0,M10.5.0/3");
	ASSERT_EQ(parse("2023-01-15T13:00:00"), parse("2023-01-15T12:00:00Z"));
	ASSERT_EQ(parse("2023-07-15T14:00:00"), parse("2023-07-15T12:00:00Z"));
	zone("UTC0");
}

TEST(durations)
{
	ASSERT_EQ(parse("10m"), NOW - 600 * SEC);
	ASSERT_EQ(parse("1h30m"), NOW - 5400 * SEC);
	ASSERT_EQ(parse("1.5h"), NOW - 5400 * SEC);
	ASSERT_EQ(parse("0s"), NOW);
	ASSERT_EQ(parse("250ms"), NOW - SEC / 4);
	ASSERT_EQ(code("1000000h"), ERANGE); /* 114 years: before 1970 */
	ASSERT_EQ(code("-10m"), EINVAL);
}

TEST(refusals)
{
	static const char *const bad[] = {
		"",
		"yesterday",
		"2023-11-14T",
		"2023-11-14T2",
		"2023-11-14T22:1",
		"2023-11-14T22:13:2",
		"2023-11-14T22.5",
		"2023-11-14T22:13:20.",
		"2023-11-14T22:13:20.1234567890Z",
		"2023-02-30",
		"2023-11-14 22:13:20",
		"2023-11-14T22:13:20+2",
		"2023-11-14T22:13:20+02:00:00",
		"2023-11-14T24:00:00Z",
		"2023-13-01",
		"23-11-14",
		"10 m",
	};
	struct kerr err;
	int64_t ns;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (timearg_parse(bad[i], NOW, &ns, &err) == 0)
			HARNESS_FAIL("`%s` was accepted as %lld", bad[i], (long long)ns);
		if (err.code != EINVAL)
			HARNESS_FAIL("`%s`: code %d, expected EINVAL", bad[i], err.code);
	}
	timearg_parse("yesterday", NOW, &ns, &err);
	ASSERT_CONTAINS(err.msg, "`yesterday` is not a time: expected RFC 3339");
}

RUN_TESTS(T(unix_seconds), T(rfc3339_with_zone), T(rfc3339_local), T(durations), T(refusals))
