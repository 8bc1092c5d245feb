/*
 * json_string: the content of a JSON string, escapes and UTF-8 (mechanism M1, pure).
 *
 * One place knows RFC 8259 string escapes and RFC 3629 UTF-8: the reader (json.c) checks
 * every string once while it parses and decodes it on demand afterwards, and the writer
 * (json_w.c) lets valid UTF-8 through unescaped. Invariant: json_string_next is only ever
 * given content json_string_check accepted. Nothing allocates; no I/O, no logging.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/json_string.h"

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Value of four hex digits at s (n bytes available), or -1. */
static long hex4(const char *s, size_t n)
{
	long v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = hex_val(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Length (1-4) of the valid UTF-8 sequence at s, or 0 when it is invalid (overlong forms,
 * encoded surrogates and code points above U+10FFFF included). RFC 3629 section 4. */
size_t json_string_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static size_t utf8_put(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes one character of validated string content at *pos into out (1-4 UTF-8 bytes)
 * and advances *pos past it. Only ever called on content the parse walk accepted, so
 * every escape is complete and every surrogate paired.
 */
size_t json_string_next(const char *s, int *pos, unsigned char out[4])
{
	const char *p = s + *pos;
	long cp, lo;

	if (p[0] != '\\') {
		out[0] = (unsigned char)p[0];
		*pos += 1;
		return 1;
	}
	*pos += 2;
	switch (p[1]) {
	case 'b':
		out[0] = '\b';
		return 1;
	case 'f':
		out[0] = '\f';
		return 1;
	case 'n':
		out[0] = '\n';
		return 1;
	case 'r':
		out[0] = '\r';
		return 1;
	case 't':
		out[0] = '\t';
		return 1;
	case 'u':
		cp = hex4(p + 2, 4);
		*pos += 4;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			lo = hex4(p + 8, 4);
			*pos += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		return utf8_put((uint32_t)cp, out);
	default: /* '"', '\\' and '/' stand for themselves */
		out[0] = (unsigned char)p[1];
		return 1;
	}
}

/* Checks string content text[start..end): escapes, surrogates, UTF-8, no raw controls. */
int json_string_check(const char *text, int start, int end, struct kerr *err)
{
	const unsigned char *u = (const unsigned char *)text;

	for (int p = start; p < end;) {
		unsigned char c = u[p];
		long cp, lo;
		size_t n;

		if (c < 0x20)
			return kerr_set(err, 0,
					"invalid json at byte %d: control character 0x%02x in a "
					"string, expected it escaped",
					p, c);
		if (c == '"')
			return kerr_set(err, 0, "invalid json at byte %d: stray quote in a string",
					p);
		if (c >= 0x80) {
			n = json_string_utf8_len(u + p, (size_t)(end - p));
			if (n == 0)
				return kerr_set(err, 0,
						"invalid json at byte %d: byte 0x%02x is not valid "
						"UTF-8, expected UTF-8 text",
						p, c);
			p += (int)n;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		c = p + 1 < end ? u[p + 1] : 0;
		if (c && strchr("\"\\/bfnrt", c)) {
			p += 2;
			continue;
		}
		if (c != 'u')
			return kerr_set(err, 0,
					"invalid json at byte %d: bad escape, expected one of "
					"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
					p);
		cp = hex4(text + p + 2, (size_t)(end - p - 2));
		if (cp < 0)
			return kerr_set(
				err, 0,
				"invalid json at byte %d: bad \\u escape, expected four hex "
				"digits",
				p);
		if (cp == 0)
			return kerr_set(
				err, 0,
				"invalid json at byte %d: \\u0000 is not allowed in strings", p);
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return kerr_set(err, 0,
					"invalid json at byte %d: lone low surrogate \\u%04lx, "
					"expected it after a high surrogate",
					p, cp);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			lo = -1;
			if (end - p >= 12 && text[p + 6] == '\\' && text[p + 7] == 'u')
				lo = hex4(text + p + 8, 4);
			if (lo < 0xdc00 || lo > 0xdfff)
				return kerr_set(
					err, 0,
					"invalid json at byte %d: high surrogate \\u%04lx "
					"is not followed by a low surrogate \\uDC00..\\uDFFF",
					p, cp);
			p += 12;
			continue;
		}
		p += 6;
	}
	return 0;
}
