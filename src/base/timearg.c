/*
 * timearg: --since/--until values as docker's CLI reads them (base layer; timearg.h has
 * the forms).
 *
 * Invariants: a value is read as exactly one form, decided by its shape before any
 * parsing (digits, or digits '.' digits, are Unix seconds; four digits and '-' are a date;
 * anything else is a duration), so "1700000000" is never taken for seconds before now.
 * A date is completed to a full RFC 3339 text and checked by clock_parse_rfc3339, the
 * one strict calendar parser; only a zoneless time consults libc's local time (mktime),
 * since that is what the person meant. Never allocates, never logs.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/str.h"
#include "base/timearg.h"

#define NS_PER_SEC    1000000000LL
#define UNIX_SECS_MAX (INT64_MAX / NS_PER_SEC - 1) /* a fraction on top still fits int64 */
#define FRAC_DIGITS   9				   /* nanoseconds */
#define ZONE_LEN      6				   /* "+hh:mm" */
#define SHOWN_MAX     64			   /* bytes of the value quoted in a message */

static int fail(struct kerr *err, int code, const char *s, const char *why)
{
	char q[SHOWN_MAX + 1];

	str_sanitize(q, sizeof(q), s, strlen(s));
	kerr_set(err, 0, "`%s` %s", q, why);
	return kerr_set_code(err, code);
}

static int not_a_time(const char *s, struct kerr *err)
{
	return fail(err, EINVAL, s,
		    "is not a time: expected RFC 3339 (2006-01-02T15:04:05Z; the zone, the "
		    "seconds or the whole time of day may be left out), Unix seconds "
		    "(1700000000.5) or a duration before now (10m, 1h30m)");
}

/* "1700000000" or "1700000000.123": digits before the '.' are known to be there. */
static int unix_seconds(const char *s, int64_t *ns, struct kerr *err)
{
	const char *p = s;
	int64_t secs = 0, frac = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (secs > UNIX_SECS_MAX)
			break; /* keeps reading digits without overflowing */
		secs = secs * 10 + (*p - '0');
	}
	p += strspn(p, "0123456789");
	if (*p == '.') {
		size_t n = strspn(++p, "0123456789");

		if (n == 0 || n > FRAC_DIGITS || p[n] != '\0')
			return fail(err, EINVAL, s,
				    "is not a time: Unix seconds take 1 to 9 fractional digits");
		for (size_t i = 0; i < FRAC_DIGITS; i++)
			frac = frac * 10 + (i < n ? p[i] - '0' : 0);
	}
	if (secs > UNIX_SECS_MAX)
		return fail(err, ERANGE, s, "lies past 2262, the last time kettle can represent");
	*ns = secs * NS_PER_SEC + frac;
	return 0;
}

/* Copies n characters of src to *out (bounded by end); false when they do not fit. */
static bool put(char **out, const char *end, const char *src, size_t n)
{
	if ((size_t)(end - *out) <= n)
		return false;
	memcpy(*out, src, n);
	*out += n;
	**out = '\0';
	return true;
}

/* ":MM" or ":SS" at *p when there (*given), else ":00"; false on a malformed one. */
static bool time_part(const char **p, char **out, const char *end, bool *given)
{
	*given = **p == ':';
	if (!*given)
		return put(out, end, ":00", 3);
	if (strspn(*p + 1, "0123456789") < 2)
		return false;
	bool ok = put(out, end, *p, 3);
	*p += 3;
	return ok;
}

/* A date, an optional time of day, an optional zone (see timearg.h). */
static int date_time(const char *s, int64_t *ns, struct kerr *err)
{
	char full[CLOCK_RFC3339NANO_LEN + ZONE_LEN + 2];
	char *out = full;
	const char *end = full + sizeof(full), *p = s + 10;
	bool local;

	full[0] = '\0';
	if (strlen(s) < 10 || !put(&out, end, s, 10))
		return not_a_time(s, err);
	if (*p == 'T') {
		if (strspn(p + 1, "0123456789") < 2 || !put(&out, end, p, 3))
			return not_a_time(s, err);
		p += 3;
		bool minutes, seconds;
		/* Minutes, then seconds: each ":00" when left out; a fraction needs both. */
		if (!time_part(&p, &out, end, &minutes) || !time_part(&p, &out, end, &seconds))
			return not_a_time(s, err);
		if (*p == '.') {
			if (!seconds)
				return not_a_time(s, err);

			size_t n = 1 + strspn(p + 1, "0123456789");

			/* clock_parse_rfc3339 checks the digits' count; this bounds the copy. */
			if (n > FRAC_DIGITS + 2 || !put(&out, end, p, n))
				return not_a_time(s, err);
			p += n;
		}
	} else if (!put(&out, end, "T00:00:00", 9)) {
		return not_a_time(s, err);
	}
	local = *p == '\0';
	if (local ? !put(&out, end, "Z", 1)
		  : (strlen(p) > ZONE_LEN || !put(&out, end, p, strlen(p))))
		return not_a_time(s, err);
	if (clock_parse_rfc3339(full, ns, err) < 0)
		return not_a_time(s, err);
	if (local) {
		/* The fields as UTC, then read again as local time: mktime applies the zone
		 * and its daylight saving rule for that date (tm_isdst -1: find out). */
		int64_t utc = *ns / NS_PER_SEC, frac = *ns % NS_PER_SEC;
		time_t t = (time_t)utc;
		struct tm tm;

		if (*ns < 0 || !gmtime_r(&t, &tm))
			return fail(err, ERANGE, s, "lies before 1970");
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t < 0 || (int64_t)t > UNIX_SECS_MAX)
			return fail(err, ERANGE, s, "lies outside 1970..2262 in the local zone");
		*ns = (int64_t)t * NS_PER_SEC + frac;
	}
	if (*ns < 0)
		return fail(err, ERANGE, s, "lies before 1970");
	return 0;
}

int timearg_parse(const char *s, int64_t now_ns, int64_t *ns, struct kerr *err)
{
	size_t digits = strspn(s, "0123456789");
	struct kerr derr;
	uint64_t ms;

	const char *rest = s + digits;

	/* "1700000000" or "1700000000.5": never a duration ("1.5h" is one). */
	if (digits > 0 &&
	    (*rest == '\0' || (*rest == '.' && rest[1 + strspn(rest + 1, "0123456789")] == '\0')))
		return unix_seconds(s, ns, err);
	if (digits == 4 && s[4] == '-')
		return date_time(s, ns, err);
	if (str_parse_duration_ms(s, &ms, &derr) < 0)
		return not_a_time(s, err);
	if (now_ns < 0 || ms > (uint64_t)(now_ns / 1000000))
		return fail(err, ERANGE, s, "reaches back before 1970");
	*ns = now_ns - (int64_t)ms * 1000000;
	return 0;
}
