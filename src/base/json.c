/*
 * json: strict JSON reading on top of jsmn, and typed getters (mechanism M1, pure).
 *
 * The only includer of jsmn.h (STYLE rule 7): jsmn's enum errors and its token type never
 * leave this file. jsmn only tokenizes; it accepts commas and colons almost anywhere, any
 * printable run as a primitive and several top-level values. So every parse is followed by
 * a walk that re-reads the text between tokens and enforces RFC 8259 exactly: separators,
 * literals, numbers, string escapes and UTF-8 (json_string.c), string keys, no duplicate
 * keys, depth, and nothing after the value. Invariants: a doc that parsed holds only valid
 * tokens (getters never see a bad escape); nothing allocates; no I/O, no logging. The
 * writer is json_w.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "base/json.h"
#include "base/json_string.h"
#include "base/str.h"

#define SHOWN_MAX 40 /* bytes of a value quoted in an error message */

/*
 * jsmn writes its tokens straight into the caller's json_tok array, and each slot is then
 * converted in place (read with memcpy as jsmntok_t, written back with memcpy as json_tok),
 * so parsing needs no memory of its own. That needs the two types to have the same size
 * and compatible alignment; the type codes that coincide are asserted so the conversion
 * cannot silently drift if either enum changes.
 */
_Static_assert(sizeof(jsmntok_t) == sizeof(struct json_tok), "jsmntok_t and json_tok size");
_Static_assert(alignof(jsmntok_t) <= alignof(struct json_tok), "jsmntok_t alignment");
_Static_assert((int)JSMN_OBJECT == (int)JSON_OBJECT && (int)JSMN_ARRAY == (int)JSON_ARRAY &&
		       (int)JSMN_STRING == (int)JSON_STRING,
	       "jsmn and json type codes");

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_NUMBER:
		return "a number";
	case JSON_BOOL:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "an unknown value";
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Log-safe rendering of a value's text, at most SHOWN_MAX bytes, ending in "…" if cut. */
static const char *shown(char out[4 * SHOWN_MAX + 4], const char *s, size_t n)
{
	size_t w = str_sanitize(out, 4 * SHOWN_MAX + 1, s, n > SHOWN_MAX ? SHOWN_MAX : n);

	if (n > SHOWN_MAX)
		memcpy(out + w, "\xe2\x80\xa6", 4);
	return out;
}

/* Names the byte at text[pos] for "found ..." messages. */
static const char *found(char out[32], const char *text, size_t len, size_t pos)
{
	unsigned char c;

	if (pos >= len)
		return "the end of the input";
	c = (unsigned char)text[pos];
	if (c > 0x20 && c < 0x7f && c != '`')
		snprintf(out, 32, "`%c`", c);
	else
		snprintf(out, 32, "byte 0x%02x", c);
	return out;
}

/* State of the validating walk over jsmn's tokens. */
struct walk {
	const char *text;      /* borrowed: the document */
	int len;	       /* bytes of text */
	struct json_tok *toks; /* borrowed: jsmn's output, converted slot by slot */
	int ntoks;	       /* tokens jsmn produced */
	int next;	       /* index of the next token to visit, in document order */
	int pos;	       /* byte offset of the cursor in text */
	struct kerr *err;      /* where failures go */
};

static void skip_ws(struct walk *w)
{
	while (w->pos < w->len && is_ws(w->text[w->pos]))
		w->pos++;
}

static int unexpected(struct walk *w, const char *expected)
{
	char f[32];

	return kerr_set(w->err, 0, "invalid json at byte %d: found %s, expected %s", w->pos,
			found(f, w->text, (size_t)w->len, (size_t)w->pos), expected);
}

static bool number_ok(const char *s, size_t n)
{
	size_t i = 0, digits;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else if (i < n && s[i] >= '1' && s[i] <= '9') {
		while (i < n && is_digit(s[i]))
			i++;
	} else {
		return false;
	}
	if (i < n && s[i] == '.') {
		digits = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == digits)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		digits = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == digits)
			return false;
	}
	return i == n;
}

/* Type of the primitive text[start..end), or fails naming it. */
static int check_primitive(const char *text, int start, int end, enum json_type *type,
			   struct kerr *err)
{
	const char *s = text + start;
	size_t n = (size_t)(end - start);
	char q[4 * SHOWN_MAX + 4];

	if (n == 4 && memcmp(s, "true", 4) == 0)
		*type = JSON_BOOL;
	else if (n == 5 && memcmp(s, "false", 5) == 0)
		*type = JSON_BOOL;
	else if (n == 4 && memcmp(s, "null", 4) == 0)
		*type = JSON_NULL;
	else if (number_ok(s, n))
		*type = JSON_NUMBER;
	else
		return kerr_set(err, 0,
				"invalid json at byte %d: bad value `%s`, expected a string, an "
				"RFC 8259 number, `true`, `false`, `null`, an object or an array",
				start, shown(q, s, n));
	return 0;
}

/* Reads slot i as jsmn left it. */
static jsmntok_t raw_get(const struct walk *w, int i)
{
	jsmntok_t t;

	memcpy(&t, &w->toks[i], sizeof(t));
	return t;
}

static void tok_put(struct walk *w, int i, enum json_type type, int start, int end, int size,
		    int parent)
{
	struct json_tok t = {
		.type = type,
		.start = start,
		.end = end,
		.size = size,
		.parent = parent,
	};

	memcpy(&w->toks[i], &t, sizeof(t));
}

/* Compares two validated string tokens after unescaping. */
static bool tok_str_equal(const char *text, const struct json_tok *a, const struct json_tok *b)
{
	unsigned char ca[4], cb[4];
	size_t na = 0, ia = 0, nb = 0, ib = 0;
	int pa = a->start, pb = b->start;

	if (!memchr(text + a->start, '\\', (size_t)(a->end - a->start)) &&
	    !memchr(text + b->start, '\\', (size_t)(b->end - b->start)))
		return a->end - a->start == b->end - b->start &&
		       memcmp(text + a->start, text + b->start, (size_t)(a->end - a->start)) == 0;
	for (;;) {
		if (ia == na && pa < a->end) {
			na = json_string_next(text, &pa, ca);
			ia = 0;
		}
		if (ib == nb && pb < b->end) {
			nb = json_string_next(text, &pb, cb);
			ib = 0;
		}
		bool ea = ia == na, eb = ib == nb;

		if (ea || eb)
			return ea && eb;
		if (ca[ia++] != cb[ib++])
			return false;
	}
}

/* FNV-1a over the unescaped bytes: a cheap filter before comparing keys in full. */
static int key_hash(const char *text, const struct json_tok *t)
{
	uint32_t h = 2166136261u;
	unsigned char c[4];

	for (int p = t->start; p < t->end;) {
		size_t n = json_string_next(text, &p, c);

		for (size_t k = 0; k < n; k++)
			h = (h ^ c[k]) * 16777619u;
	}
	return (int)(h & 0x7fffffff);
}

static int skip_toks(const struct json_tok *toks, int ntoks, int i)
{
	long pending = 1;

	while (pending > 0 && i < ntoks) {
		pending--;
		if (toks[i].type == JSON_OBJECT)
			pending += 2L * toks[i].size;
		else if (toks[i].type == JSON_ARRAY)
			pending += toks[i].size;
		i++;
	}
	return i;
}

/*
 * Rejects an object (already walked and converted) with two equal keys. Pairwise, so
 * O(keys^2): about 1 s for 32767 keys at the JSON_TOKENS_MAX cap, milliseconds at the caps
 * callers use. While it runs, each key token's size (0 by definition) holds the key's hash
 * and its parent (the object, by definition) links to the next key, so the scan needs no
 * memory and no subtree skipping; both are restored before returning.
 */
static int check_dup_keys(struct walk *w, int obj)
{
	struct json_tok *toks = w->toks;
	int first = obj + 1, prev = -1, rc = 0;
	int a = first;

	if (toks[obj].size == 0)
		return 0;
	for (int k = 0; k < toks[obj].size; k++) {
		toks[a].size = key_hash(w->text, &toks[a]);
		toks[a].parent = -1;
		if (prev >= 0)
			toks[prev].parent = a;
		prev = a;
		a = skip_toks(toks, w->ntoks, a + 1);
	}
	for (a = first; a >= 0 && rc == 0; a = toks[a].parent) {
		for (int b = first; b != a; b = toks[b].parent) {
			if (toks[a].size != toks[b].size ||
			    !tok_str_equal(w->text, &toks[a], &toks[b]))
				continue;
			char q[4 * SHOWN_MAX + 4];

			rc = kerr_set(w->err, 0,
				      "invalid json at byte %d: duplicate key `%s`, expected each "
				      "key once per object",
				      toks[a].start - 1,
				      shown(q, w->text + toks[a].start,
					    (size_t)(toks[a].end - toks[a].start)));
			break;
		}
	}
	for (a = first; a >= 0;) {
		int next = toks[a].parent;

		toks[a].size = 0;
		toks[a].parent = obj;
		a = next;
	}
	return rc;
}

static int walk_value(struct walk *w, int parent, int depth);

/* Walks the members of the container in slot i, whose jsmn token is t. */
static int walk_members(struct walk *w, int i, jsmntok_t t, int depth)
{
	bool obj = t.type == JSMN_OBJECT;
	const char *sep = obj ? "`,` or `}`" : "`,` or `]`";

	w->pos = t.start + 1;
	for (int k = 0; k < t.size; k++) {
		skip_ws(w);
		if (k > 0) {
			if (w->pos >= w->len || w->text[w->pos] != ',')
				return unexpected(w, sep);
			w->pos++;
			skip_ws(w);
		}
		if (obj) {
			if (w->pos >= w->len || w->text[w->pos] != '"')
				return unexpected(w, "a string key");
			if (walk_value(w, i, depth + 1) < 0)
				return -1;
			skip_ws(w);
			if (w->pos >= w->len || w->text[w->pos] != ':')
				return unexpected(w, "`:`");
			w->pos++;
		}
		if (walk_value(w, i, depth + 1) < 0)
			return -1;
	}
	skip_ws(w);
	if (w->pos < w->len && w->text[w->pos] == ',' && t.size > 0) {
		/* A trailing comma: name what is missing after it. */
		w->pos++;
		skip_ws(w);
		return unexpected(w, obj ? "a string key" : "a value");
	}
	if (w->pos != t.end - 1 || w->text[w->pos] != (obj ? '}' : ']'))
		return unexpected(w, t.size > 0 ? sep
				     : obj	? "a string key or `}`"
						: "a value or `]`");
	w->pos = t.end;
	return obj ? check_dup_keys(w, i) : 0;
}

/* Visits the next token, which must start at the cursor (after whitespace). */
static int walk_value(struct walk *w, int parent, int depth)
{
	enum json_type type;
	jsmntok_t t;
	int i = w->next;

	skip_ws(w);
	if (i >= w->ntoks)
		return unexpected(w, "a value");
	t = raw_get(w, i);
	if (t.start < 0 || t.end < t.start || t.end > w->len ||
	    (t.type == JSMN_STRING ? t.start - 1 : t.start) != w->pos)
		return unexpected(w, "a value");
	w->next++;
	switch (t.type) {
	case JSMN_PRIMITIVE:
		if (check_primitive(w->text, t.start, t.end, &type, w->err) < 0)
			return -1;
		tok_put(w, i, type, t.start, t.end, 0, parent);
		w->pos = t.end;
		return 0;
	case JSMN_STRING:
		if (t.end >= w->len || w->text[t.end] != '"')
			return unexpected(w, "a value");
		if (json_string_check(w->text, t.start, t.end, w->err) < 0)
			return -1;
		tok_put(w, i, JSON_STRING, t.start, t.end, 0, parent);
		w->pos = t.end + 1;
		return 0;
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		if (depth > JSON_DEPTH_MAX)
			return kerr_set(w->err, 0,
					"invalid json at byte %d: nesting deeper than %d levels",
					t.start, JSON_DEPTH_MAX);
		if (t.size < 0 || t.end < t.start + 2)
			return unexpected(w, "a value");
		tok_put(w, i, (enum json_type)t.type, t.start, t.end, t.size, parent);
		return walk_members(w, i, t, depth);
	default:
		return unexpected(w, "a value");
	}
}

/* A document whose value is a bare number or literal: jsmn's strict mode wants a
 * delimiter after every primitive, so these never reach it. */
static int parse_scalar(struct json_doc *doc, int start, struct kerr *err)
{
	static const char delims[] = " \t\r\n,:[]{}\"";
	const char *text = doc->text;
	int len = (int)doc->len, end = start;
	enum json_type type;
	char f[32];

	while (end < len && !strchr(delims, text[end]))
		end++;
	if (end == start)
		return kerr_set(err, 0, "invalid json at byte %d: found %s, expected a value",
				start, found(f, text, doc->len, (size_t)start));
	if (check_primitive(text, start, end, &type, err) < 0)
		return -1;
	for (int p = end; p < len; p++)
		if (!is_ws(text[p]))
			return kerr_set(err, 0,
					"invalid json at byte %d: found %s after the value, "
					"expected the end of the input",
					p, found(f, text, doc->len, (size_t)p));
	doc->toks[0] = (struct json_tok){
		.type = type,
		.start = start,
		.end = end,
		.size = 0,
		.parent = -1,
	};
	doc->ntoks = 1;
	return 0;
}

/* Turns jsmn's enum error into a kerr naming the byte (the one place it is seen). */
static int jsmn_error(const struct json_doc *doc, int r, unsigned int pos, int max,
		      struct kerr *err)
{
	char f[32];

	switch (r) {
	case JSMN_ERROR_NOMEM:
		return kerr_set(err, 0, "json document needs more than %d tokens", max);
	case JSMN_ERROR_PART:
		if (pos < doc->len && doc->text[pos] == '"')
			return kerr_set(err, 0,
					"invalid json at byte %u: unterminated string, expected "
					"a closing quote",
					pos);
		return kerr_set(err, 0,
				"invalid json at byte %zu: input ends inside a value, expected "
				"more",
				doc->len);
	case JSMN_ERROR_INVAL:
	default:
		if (pos < doc->len && doc->text[pos] == '"')
			return kerr_set(err, 0,
					"invalid json at byte %u: bad string, expected escapes "
					"\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX",
					pos);
		return kerr_set(err, 0, "invalid json at byte %u: unexpected %s", pos,
				found(f, doc->text, doc->len, pos));
	}
}

int json_parse(struct json_doc *doc, const char *text, size_t len, struct json_tok *toks, int max,
	       struct kerr *err)
{
	jsmn_parser p;
	const char *nul;
	struct walk w;
	char f[32];
	int start = 0, r;

	*doc = (struct json_doc){ .text = text, .len = len, .toks = toks, .ntoks = 0 };
	if (max < 1 || max > JSON_TOKENS_MAX)
		return kerr_set(err, 0, "json token array of %d entries, expected 1..%d", max,
				JSON_TOKENS_MAX);
	if (len > (size_t)INT32_MAX - 2)
		return kerr_set(err, 0, "json document of %zu bytes exceeds limit %d", len,
				INT32_MAX - 2);
	/* jsmn stops at a NUL as if the input ended there. */
	nul = memchr(text, '\0', len);
	if (nul)
		return kerr_set(err, 0, "invalid json at byte %td: NUL byte, expected JSON text",
				nul - text);
	while ((size_t)start < len && is_ws(text[start]))
		start++;
	if ((size_t)start == len)
		return kerr_set(err, 0, "invalid json: empty document, expected a value");
	if (text[start] != '{' && text[start] != '[' && text[start] != '"')
		return parse_scalar(doc, start, err);

	jsmn_init(&p);
	r = jsmn_parse(&p, text, len, (jsmntok_t *)(void *)toks, (unsigned int)max);
	if (r < 0)
		return jsmn_error(doc, r, p.pos, max, err);

	w = (struct walk){
		.text = text,
		.len = (int)len,
		.toks = toks,
		.ntoks = (int)p.toknext,
		.next = 0,
		.pos = 0,
		.err = err,
	};
	if (walk_value(&w, -1, 1) < 0)
		return -1;
	skip_ws(&w);
	if (w.pos != w.len)
		return kerr_set(err, 0,
				"invalid json at byte %d: found %s after the value, expected the "
				"end of the input",
				w.pos, found(f, text, len, (size_t)w.pos));
	if (w.next != w.ntoks)
		return kerr_set(err, 0, "invalid json: %d tokens left over after the value",
				w.ntoks - w.next);
	doc->ntoks = w.ntoks;
	return 0;
}

int json_skip(const struct json_doc *doc, int i)
{
	if (i < 0 || i >= doc->ntoks)
		return doc->ntoks;
	return skip_toks(doc->toks, doc->ntoks, i);
}

bool json_str_eq(const struct json_doc *doc, int i, const char *s)
{
	const struct json_tok *t;
	unsigned char c[4];
	size_t k = 0;

	if (i < 0 || i >= doc->ntoks || !s || doc->toks[i].type != JSON_STRING)
		return false;
	t = &doc->toks[i];
	for (int p = t->start; p < t->end;) {
		size_t n = json_string_next(doc->text, &p, c);

		for (size_t j = 0; j < n; j++, k++)
			if ((unsigned char)s[k] != c[j])
				return false; /* also stops at s's NUL: content has none */
	}
	return s[k] == '\0';
}

int json_obj_get(const struct json_doc *doc, int obj, const char *key)
{
	int k;

	if (obj < 0 || obj >= doc->ntoks || !key || doc->toks[obj].type != JSON_OBJECT)
		return -1;
	k = obj + 1;
	for (int m = 0; m < doc->toks[obj].size && k + 1 < doc->ntoks; m++) {
		if (json_str_eq(doc, k, key))
			return k + 1;
		k = skip_toks(doc->toks, doc->ntoks, k + 1);
	}
	return -1;
}

/* Token i must exist and be of type want. */
static int expect_type(const struct json_doc *doc, int i, enum json_type want, struct kerr *err)
{
	if (i < 0 || i >= doc->ntoks)
		return kerr_set(err, 0, "json value %d does not exist, document has %d", i,
				doc->ntoks);
	if (doc->toks[i].type != want)
		return kerr_set(err, 0, "json value at byte %d is %s, expected %s",
				doc->toks[i].start, json_type_name(doc->toks[i].type),
				json_type_name(want));
	return 0;
}

int json_get_str(const struct json_doc *doc, int i, char *out, size_t cap, struct kerr *err)
{
	const struct json_tok *t;
	unsigned char c[4];
	size_t w = 0;

	if (expect_type(doc, i, JSON_STRING, err) < 0)
		return -1;
	t = &doc->toks[i];
	for (int p = t->start; p < t->end;) {
		size_t n = json_string_next(doc->text, &p, c);

		if (w + n < cap)
			memcpy(out + w, c, n);
		w += n;
	}
	if (w >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return kerr_set(err, 0,
				"json string at byte %d is %zu bytes long, expected at most %zu",
				t->start - 1, w, cap ? cap - 1 : 0);
	}
	out[w] = '\0';
	return 0;
}

/* Reads an integer token: sign and magnitude, rejecting fractions, exponents, overflow. */
static int get_int(const struct json_doc *doc, int i, bool *neg, uint64_t *mag, const char *range,
		   struct kerr *err)
{
	const struct json_tok *t;
	const char *s;
	size_t n, k = 0;
	char q[4 * SHOWN_MAX + 4];
	uint64_t v = 0;

	if (expect_type(doc, i, JSON_NUMBER, err) < 0)
		return -1;
	t = &doc->toks[i];
	s = doc->text + t->start;
	n = (size_t)(t->end - t->start);
	*neg = s[0] == '-';
	if (*neg)
		k++;
	for (; k < n; k++) {
		if (!is_digit(s[k]))
			return kerr_set(err, 0,
					"json number `%s` at byte %d is not an integer, "
					"expected %s",
					shown(q, s, n), t->start, range);
		unsigned d = (unsigned)(s[k] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return kerr_set(err, 0,
					"json number `%s` at byte %d is out of range, "
					"expected %s",
					shown(q, s, n), t->start, range);
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

int json_get_i64(const struct json_doc *doc, int i, int64_t *out, struct kerr *err)
{
	static const char range[] = "an integer in -9223372036854775808..9223372036854775807";
	char q[4 * SHOWN_MAX + 4];
	uint64_t mag;
	bool neg;

	if (get_int(doc, i, &neg, &mag, range, err) < 0)
		return -1;
	if (mag > (uint64_t)INT64_MAX + (neg ? 1 : 0)) {
		const struct json_tok *t = &doc->toks[i];

		return kerr_set(err, 0, "json number `%s` at byte %d is out of range, expected %s",
				shown(q, doc->text + t->start, (size_t)(t->end - t->start)),
				t->start, range);
	}
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return 0;
}

int json_get_u64(const struct json_doc *doc, int i, uint64_t *out, struct kerr *err)
{
	static const char range[] = "an integer in 0..18446744073709551615";
	char q[4 * SHOWN_MAX + 4];
	uint64_t mag;
	bool neg;

	if (get_int(doc, i, &neg, &mag, range, err) < 0)
		return -1;
	if (neg) {
		const struct json_tok *t = &doc->toks[i];

		return kerr_set(err, 0, "json number `%s` at byte %d is negative, expected %s",
				shown(q, doc->text + t->start, (size_t)(t->end - t->start)),
				t->start, range);
	}
	*out = mag;
	return 0;
}

int json_get_bool(const struct json_doc *doc, int i, bool *out, struct kerr *err)
{
	if (expect_type(doc, i, JSON_BOOL, err) < 0)
		return -1;
	*out = doc->text[doc->toks[i].start] == 't';
	return 0;
}
