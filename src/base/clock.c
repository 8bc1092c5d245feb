/*
 * clock: monotonic milliseconds, wall-clock nanoseconds, RFC3339 text, human durations
 * (base layer).
 *
 * Invariants: formatting always yields exactly CLOCK_RFC3339NANO_LEN bytes in UTC, for
 * every int64 nanosecond value (years 1677..2262); parsing is strict (fixed-width fields,
 * real calendar dates, no leap second, no lowercase t/z) and checks int64 overflow.
 * Calendar arithmetic is proleptic Gregorian on day counts, not on libc's struct tm or
 * the TZ environment. Never logs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/str.h"

#define NS_PER_SEC   1000000000LL
#define SECS_PER_DAY 86400LL

uint64_t clock_mono_ms(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC with a valid pointer (clock_gettime(2)). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t clock_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Floor division for negative times: -1 ns is 1969-12-31T23:59:59.999999999Z. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date. Counting from March makes the leap
 * day the last day of the "year", so a 400-year era has a fixed 146097 days.
 */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	unsigned yoe = (unsigned)(y - era * 400);			/* 0..399 */
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;		/* 0..146096 */

	return era * 146097 + doe - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Writes v as exactly n decimal digits at p (v < 10^n). */
static void put_digits(char *p, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
}

void clock_format_rfc3339nano(int64_t ns, char *out)
{
	int64_t secs = floor_div(ns, NS_PER_SEC);
	uint32_t frac = (uint32_t)(ns - secs * NS_PER_SEC);
	int64_t days = floor_div(secs, SECS_PER_DAY);
	uint32_t sod = (uint32_t)(secs - days * SECS_PER_DAY);
	int64_t y;
	unsigned m, d;

	/* int64 ns spans 1677..2262, so the year always has exactly four digits. */
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000000000Z", CLOCK_RFC3339NANO_LEN + 1);
	put_digits(out, (uint32_t)y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, sod / 3600, 2);
	put_digits(out + 14, sod / 60 % 60, 2);
	put_digits(out + 17, sod % 60, 2);
	put_digits(out + 20, frac, 9);
}

/* Reads exactly n digits at *p; false when any is not a digit. */
static bool fixed(const char **p, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (unsigned)(**p - '0');
	}
	return true;
}

/* Reads the literal character c at *p. */
static bool lit(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int bad_stamp(const char *s, const char *why, struct kerr *err)
{
	char q[64 + 1];

	str_sanitize(q, sizeof(q), s, strlen(s));
	return kerr_set(err, 0,
			"invalid timestamp `%s`: %s, expected RFC3339 like 2006-01-02T15:04:05Z or "
			"2006-01-02T15:04:05.999999999+07:00",
			q, why);
}

int clock_parse_rfc3339(const char *s, int64_t *ns, struct kerr *err)
{
	unsigned year, mon, day, hh, mm, ss, oh = 0, om = 0;
	int64_t frac = 0;
	int sign = 0;
	const char *p = s;

	if (!(fixed(&p, 4, &year) && lit(&p, '-') && fixed(&p, 2, &mon) && lit(&p, '-') &&
	      fixed(&p, 2, &day)))
		return bad_stamp(s, "malformed date", err);
	if (!lit(&p, 'T'))
		return bad_stamp(s, "missing `T` between date and time", err);
	if (!(fixed(&p, 2, &hh) && lit(&p, ':') && fixed(&p, 2, &mm) && lit(&p, ':') &&
	      fixed(&p, 2, &ss)))
		return bad_stamp(s, "malformed time of day", err);
	if (lit(&p, '.')) {
		int n = 0;

		for (; *p >= '0' && *p <= '9' && n < 10; p++, n++)
			frac = frac * 10 + (*p - '0');
		if (n == 0 || n > 9)
			return bad_stamp(s, "fraction of a second needs 1 to 9 digits", err);
		for (; n < 9; n++)
			frac *= 10;
	}
	if (lit(&p, 'Z')) {
		sign = 0;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!(fixed(&p, 2, &oh) && lit(&p, ':') && fixed(&p, 2, &om)))
			return bad_stamp(s, "malformed zone offset", err);
		if (oh > 23 || om > 59)
			return bad_stamp(s, "zone offset out of range", err);
	} else {
		return bad_stamp(s, "missing zone (`Z` or `+hh:mm`)", err);
	}
	if (*p != '\0')
		return bad_stamp(s, "trailing characters", err);
	if (mon < 1 || mon > 12)
		return bad_stamp(s, "month out of range 01-12", err);
	if (day < 1 || day > days_in_month(year, mon))
		return bad_stamp(s, "day out of range for that month", err);
	if (hh > 23 || mm > 59 || ss > 59)
		return bad_stamp(s, "time of day out of range 00:00:00-23:59:59", err);

	/* Local time minus its offset is UTC: 10:00+02:00 is 08:00Z. */
	int64_t secs = days_from_civil(year, mon, day) * SECS_PER_DAY + hh * 3600 + mm * 60 + ss -
		       sign * (int64_t)(oh * 3600 + om * 60);
	/* int64 ns ends at 2262-04-11T23:47:16.854775807Z and starts at
	 * 1677-09-21T00:12:43.145224192Z, whose whole second lies one below INT64_MIN / 1e9. */
	const int64_t lo = INT64_MIN / NS_PER_SEC - 1, hi = INT64_MAX / NS_PER_SEC;
	if (secs < lo || secs > hi || (secs == lo && frac < NS_PER_SEC + INT64_MIN % NS_PER_SEC) ||
	    (secs == hi && frac > INT64_MAX % NS_PER_SEC))
		return bad_stamp(s, "outside the representable range 1677-09-21..2262-04-11", err);
	/* For the lowest second, secs * 1e9 alone would overflow: borrow one second. */
	*ns = secs >= 0 ? secs * NS_PER_SEC + frac : (secs + 1) * NS_PER_SEC + (frac - NS_PER_SEC);
	return 0;
}

void clock_human_duration(int64_t ns, char *out, unsigned cap)
{
	/* Thresholds as docker's go-units HumanDuration, which `docker ps` prints. */
	int64_t secs = ns / NS_PER_SEC;
	int64_t mins = secs / 60;
	/* Hours round to nearest, as go-units' int(d.Hours() + 0.5). */
	int64_t hours = ns / (3600 * NS_PER_SEC) + (ns % (3600 * NS_PER_SEC) >= 1800 * NS_PER_SEC);

	if (cap == 0)
		return;
	if (secs < 1)
		snprintf(out, cap, "Less than a second");
	else if (secs == 1)
		snprintf(out, cap, "1 second");
	else if (secs < 60)
		snprintf(out, cap, "%lld seconds", (long long)secs);
	else if (mins == 1)
		snprintf(out, cap, "About a minute");
	else if (mins < 60)
		snprintf(out, cap, "%lld minutes", (long long)mins);
	else if (hours == 1)
		snprintf(out, cap, "About an hour");
	else if (hours < 48)
		snprintf(out, cap, "%lld hours", (long long)hours);
	else if (hours < 24 * 7 * 2)
		snprintf(out, cap, "%lld days", (long long)(hours / 24));
	else if (hours < 24 * 30 * 2)
		snprintf(out, cap, "%lld weeks", (long long)(hours / 24 / 7));
	else if (hours < 24 * 365 * 2)
		snprintf(out, cap, "%lld months", (long long)(hours / 24 / 30));
	else
		snprintf(out, cap, "%lld years", (long long)(ns / (3600 * NS_PER_SEC) / 24 / 365));
}
