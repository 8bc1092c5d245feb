/*
 * str: bounded copies, strict number/size/duration parsing, log-safe rendering (base layer).
 *
 * Invariants: nothing allocates; every copy and rendering NUL-terminates within its cap;
 * every parser accepts only its documented grammar (no spaces, no signs unless stated, no
 * trailing bytes), detects overflow before it happens, and on failure quotes the input
 * sanitized and shortened, together with what would have been accepted. Never logs.
 */
#include <inttypes.h>
#include <string.h>

#include "base/str.h"

/* Longest rendering of user input quoted in an error message (bytes, before the NUL). */
#define SHOWN_MAX 64

/* Renders s for an error message: sanitized, cut to SHOWN_MAX bytes ending in "…". */
static const char *shown(char out[SHOWN_MAX + 1], const char *s)
{
	size_t n = strlen(s), need = 0;

	for (size_t i = 0; i < n && need <= SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		need += c == '\\' ? 2 : (c >= 0x20 && c < 0x7f) ? 1 : 4;
	}
	if (need <= SHOWN_MAX) {
		str_sanitize(out, SHOWN_MAX + 1, s, n);
		return out;
	}
	size_t w = str_sanitize(out, SHOWN_MAX + 1 - 3, s, n);
	memcpy(out + w, "\xe2\x80\xa6", 4);
	return out;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool str_copy(char *dst, size_t cap, const char *src)
{
	return str_copyn(dst, cap, src, strlen(src));
}

bool str_copyn(char *dst, size_t cap, const char *src, size_t n)
{
	if (cap == 0)
		return false;
	n = strnlen(src, n);
	bool fits = n < cap;
	if (!fits)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return fits;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/*
 * Reads a run of decimal digits at *p into *v, advancing *p. Returns the number of digits,
 * or -1 when the value would pass UINT64_MAX (then *p is left after the whole run).
 */
static int digits(const char **p, uint64_t *v)
{
	int count = 0;
	bool over = false;

	*v = 0;
	for (; is_digit(**p); (*p)++, count++) {
		unsigned d = (unsigned)(**p - '0');

		if (*v > (UINT64_MAX - d) / 10)
			over = true;
		else
			*v = *v * 10 + d;
	}
	return over ? -1 : count;
}

int str_to_u64(const char *s, uint64_t max, uint64_t *out, struct kerr *err)
{
	char q[SHOWN_MAX + 1];
	const char *p = s;
	uint64_t v;

	if (*s == '\0')
		return kerr_set(err, 0, "empty number, expected decimal digits 0-9");
	int n = digits(&p, &v);
	if (n == 0 || *p != '\0')
		return kerr_set(err, 0, "invalid number `%s`: expected only decimal digits 0-9",
				shown(q, s));
	if (n < 0 || v > max)
		return kerr_set(err, 0, "number `%s` is too large, maximum %" PRIu64, shown(q, s),
				max);
	*out = v;
	return 0;
}

int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out, struct kerr *err)
{
	char q[SHOWN_MAX + 1];
	const char *p = s;
	bool neg = false;
	uint64_t mag;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*s == '\0')
		return kerr_set(err, 0, "empty number, expected a decimal integer");
	int n = digits(&p, &mag);
	if (n == 0 || *p != '\0')
		return kerr_set(
			err, 0,
			"invalid number `%s`: expected an optional '-' and decimal digits 0-9",
			shown(q, s));
	/* |INT64_MIN| is INT64_MAX + 1; anything larger is out of every range. */
	bool fits = n > 0 && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX);
	int64_t v = 0;
	if (fits)
		v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	if (!fits || v < min || v > max)
		return kerr_set(err, 0,
				"number `%s` is out of range, allowed %" PRId64 " to %" PRId64,
				shown(q, s), min, max);
	*out = v;
	return 0;
}

/*
 * A decimal number "int[.frac]" where int or frac may be empty, not both (".5" is fine).
 * With lenient_dot, as Go's durations, a dot may also end the number ("1."). frac keeps
 * its first 9 digits (fdigits counts them); later fraction digits are checked and dropped.
 */
struct decimal {
	uint64_t whole;	 /* integer part */
	uint64_t frac;	 /* first fdigits fraction digits as an integer */
	int fdigits;	 /* 0..9 */
	int all_fdigits; /* fraction digits seen, including dropped ones */
	bool has_dot;	 /* a '.' was present */
};

/*
 * Returns 1 on success, 0 on a grammar error, -1 when the grammar holds but the integer
 * part passes UINT64_MAX. *p ends after the number either way.
 */
static int parse_decimal(const char **p, struct decimal *d, bool lenient_dot)
{
	*d = (struct decimal){ 0 };
	int n = digits(p, &d->whole);
	bool over = n < 0;
	bool ok;

	if (**p != '.') {
		ok = n != 0;
	} else {
		d->has_dot = true;
		(*p)++;
		while (is_digit(**p)) {
			if (d->fdigits < 9) {
				d->frac = d->frac * 10 + (uint64_t)(**p - '0');
				d->fdigits++;
			}
			d->all_fdigits++;
			(*p)++;
		}
		ok = d->all_fdigits > 0 || (lenient_dot && n != 0);
	}
	if (!ok)
		return 0;
	return over ? -1 : 1;
}

static const uint64_t pow10_tab[10] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

/* whole * unit + frac * unit / 10^fdigits, rounded down; false on overflow of limit. */
static bool scale(const struct decimal *d, uint64_t unit, uint64_t limit, uint64_t *out)
{
	if (d->whole != 0 && unit > limit / d->whole)
		return false;
	uint64_t v = d->whole * unit;
	unsigned __int128 f = (unsigned __int128)d->frac * unit / pow10_tab[d->fdigits];
	if (f > limit - v)
		return false;
	*out = v + (uint64_t)f;
	return true;
}

static int size_invalid(const char *s, struct kerr *err)
{
	char q[SHOWN_MAX + 1];

	return kerr_set(
		err, 0,
		"invalid size `%s`: expected a number with an optional unit b, k, m, g or t "
		"(for example 512m)",
		shown(q, s));
}

static int size_too_large(const char *s, struct kerr *err)
{
	char q[SHOWN_MAX + 1];

	return kerr_set(err, 0, "size `%s` is too large, maximum %" PRId64 " bytes", shown(q, s),
			INT64_MAX);
}

int str_parse_size(const char *s, uint64_t *bytes, struct kerr *err)
{
	static const char units[] = "bkmgt";
	char q[SHOWN_MAX + 1];
	const char *p = s;
	struct decimal d;
	uint64_t unit = 1;
	bool has_unit = false;

	if (*s == '\0')
		return kerr_set(err, 0,
				"empty size, expected a number with an optional unit "
				"b, k, m, g or t (for example 512m)");
	/* Grammar first, so "99999999999999999999x" is called invalid, not too large. */
	int r = parse_decimal(&p, &d, false);
	if (r == 0)
		return size_invalid(s, err);
	if (*p != '\0') {
		/* *p is not NUL, so *p | 0x20 is not NUL and cannot match the terminator. */
		const char *u = strchr(units, *p | 0x20);

		if (!u)
			return size_invalid(s, err);
		for (long i = 0; i < u - units; i++)
			unit <<= 10;
		has_unit = unit > 1;
		p++;
		/* "64mb" as docker allows; the b of a unit, never a second one. */
		if (has_unit && (*p | 0x20) == 'b')
			p++;
		if (*p != '\0')
			return size_invalid(s, err);
	}
	if (d.has_dot && !has_unit)
		return kerr_set(
			err, 0,
			"invalid size `%s`: a fraction needs a unit k, m, g or t (for example "
			"1.5g)",
			shown(q, s));
	/* INT64_MAX, not UINT64_MAX: sizes end up in signed fields (OCI, JSON readers). */
	if (r < 0 || !scale(&d, unit, INT64_MAX, bytes))
		return size_too_large(s, err);
	return 0;
}

/* Go's duration units, longest match first so "ms" is not read as "m". */
static const struct {
	const char *name; /* as written after the number */
	uint64_t ns;	  /* nanoseconds per unit */
} duration_units[] = {
	{ "ns", 1ULL },
	{ "us", 1000ULL },
	{ "\xc2\xb5s", 1000ULL }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000ULL }, /* U+03BC Greek small mu */
	{ "ms", 1000000ULL },
	{ "s", 1000000000ULL },
	{ "m", 60ULL * 1000000000ULL },
	{ "h", 3600ULL * 1000000000ULL },
};

static int duration_invalid(const char *s, struct kerr *err)
{
	char q[SHOWN_MAX + 1];

	return kerr_set(err, 0,
			"invalid duration `%s`: expected numbers with units ns, us, ms, s, m or h "
			"(for example 1m30s), or a plain number of seconds",
			shown(q, s));
}

static int duration_too_large(const char *s, struct kerr *err)
{
	char q[SHOWN_MAX + 1];

	return kerr_set(err, 0, "duration `%s` is too large, maximum %" PRIu64 "h", shown(q, s),
			(uint64_t)(UINT64_MAX / (3600ULL * 1000000000ULL)));
}

int str_parse_duration_ms(const char *s, uint64_t *ms, struct kerr *err)
{
	const size_t nunits = sizeof(duration_units) / sizeof(duration_units[0]);
	char q[SHOWN_MAX + 1];
	const char *p = s;
	uint64_t total = 0;
	struct decimal d;
	int r;

	if (*s == '\0')
		return kerr_set(err, 0,
				"empty duration, expected a number with a unit ns, "
				"us, ms, s, m or h (for example 1m30s)");
	if (*s == '-')
		return kerr_set(err, 0, "invalid duration `%s`: negative durations are not allowed",
				shown(q, s));
	/* A lone number is seconds, as docker's --stop-timeout and friends. */
	r = parse_decimal(&p, &d, true);
	if (r != 0 && *p == '\0') {
		if (r < 0 || !scale(&d, 1000, UINT64_MAX / 1000000, ms))
			return duration_too_large(s, err);
		return 0;
	}
	/* Grammar errors win over overflow, so the whole string is checked before either. */
	bool over = false;
	p = s;
	while (*p != '\0') {
		uint64_t part = 0;
		size_t i;

		r = parse_decimal(&p, &d, true);
		if (r == 0)
			return duration_invalid(s, err);
		/* The table lists "ms" before "m", so the longer unit wins. */
		for (i = 0; i < nunits; i++)
			if (str_has_prefix(p, duration_units[i].name))
				break;
		if (i == nunits)
			return duration_invalid(s, err);
		p += strlen(duration_units[i].name);
		if (r < 0 || !scale(&d, duration_units[i].ns, UINT64_MAX, &part) ||
		    part > UINT64_MAX - total)
			over = true;
		else
			total += part;
	}
	if (over)
		return duration_too_large(s, err);
	/* Sub-millisecond parts round down, as a timer with ms resolution would. */
	*ms = total / 1000000;
	return 0;
}

int str_parse_milli(const char *s, uint64_t max_milli, uint64_t *out, struct kerr *err)
{
	char q[SHOWN_MAX + 1];
	const char *p = s;
	struct decimal d;
	uint64_t v;

	if (*s == '\0')
		return kerr_set(err, 0, "empty number, expected a decimal like 1.5");
	int r = parse_decimal(&p, &d, false);
	if (r == 0 || *p != '\0')
		return kerr_set(err, 0,
				"invalid number `%s`: expected a decimal with up to 3 fraction "
				"digits (for example 1.5)",
				shown(q, s));
	if (d.all_fdigits > 3)
		return kerr_set(
			err, 0,
			"invalid number `%s`: more than 3 fraction digits, at most 3 allowed",
			shown(q, s));
	if (r < 0 || !scale(&d, 1000, max_milli, &v))
		return kerr_set(err, 0, "number `%s` is too large, maximum %" PRIu64 ".%03" PRIu64,
				shown(q, s), max_milli / 1000, max_milli % 1000);
	*out = v;
	return 0;
}

size_t str_sanitize(char *dst, size_t cap, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *in = src;
	size_t w = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = in[i];
		char esc[4];
		size_t len;

		if (c == '\\') {
			esc[0] = '\\';
			esc[1] = '\\';
			len = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			esc[0] = (char)c;
			len = 1;
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			len = 4;
		}
		/* Never emit half an escape: stop when the whole one does not fit. */
		if (len > cap - 1 - w)
			break;
		memcpy(dst + w, esc, len);
		w += len;
	}
	dst[w] = '\0';
	return w;
}
