/*
 * json_w: the JSON writer (mechanism M1, pure).
 *
 * Appends one document to a caller's buf through a small state machine that refuses what
 * would not parse back: a second top-level value, a value without its key, a key outside
 * an object, unbalanced ends, nesting deeper than JSON_DEPTH_MAX. Strings are escaped so
 * anything a C string holds comes out as valid JSON (json_string.c for UTF-8). Errors are
 * sticky: the first one is kept and reported once by json_w_end. No I/O, no logging.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/json_string.h"
#include "base/json_w.h"

static void w_fail(struct json_w *w, const char *msg)
{
	if (w->failed)
		return;
	w->failed = true;
	kerr_set(&w->err, 0, "json writer: %s", msg);
}

static void w_put(struct json_w *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	if (buf_append(w->b, p, n, &w->err) < 0) {
		w->failed = true;
		kerr_wrap(&w->err, "json writer");
	}
}

/* Checks that a value may come now and writes the comma before it. */
static bool w_value(struct json_w *w)
{
	if (w->failed)
		return false;
	if (w->depth == 0) {
		if (!w->first[0]) {
			w_fail(w, "second top-level value, expected one value per document");
			return false;
		}
		w->first[0] = false;
		return true;
	}
	if (w->obj[w->depth]) {
		if (!w->after_key) {
			w_fail(w, "value without a key inside an object, expected a key first");
			return false;
		}
		w->after_key = false;
		return true;
	}
	if (!w->first[w->depth])
		w_put(w, ",", 1);
	w->first[w->depth] = false;
	return !w->failed;
}

void json_w_init(struct json_w *w, struct buf *b)
{
	*w = (struct json_w){ .b = b, .depth = 0 };
	w->first[0] = true;
	kerr_clear(&w->err);
}

static void w_begin(struct json_w *w, bool obj)
{
	if (!w_value(w))
		return;
	if (w->depth >= JSON_DEPTH_MAX) {
		char msg[64];

		snprintf(msg, sizeof(msg), "nesting deeper than %d levels", JSON_DEPTH_MAX);
		w_fail(w, msg);
		return;
	}
	w->depth++;
	w->first[w->depth] = true;
	w->obj[w->depth] = obj;
	w_put(w, obj ? "{" : "[", 1);
}

static void w_end(struct json_w *w, bool obj)
{
	if (w->failed)
		return;
	if (w->depth == 0 || w->obj[w->depth] != obj) {
		w_fail(w, obj ? "end of an object that was not begun"
			      : "end of an array that was not begun");
		return;
	}
	if (w->after_key) {
		w_fail(w, "end of an object right after a key, expected its value");
		return;
	}
	w->depth--;
	w_put(w, obj ? "}" : "]", 1);
}

void json_w_obj_begin(struct json_w *w)
{
	w_begin(w, true);
}

void json_w_obj_end(struct json_w *w)
{
	w_end(w, true);
}

void json_w_arr_begin(struct json_w *w)
{
	w_begin(w, false);
}

void json_w_arr_end(struct json_w *w)
{
	w_end(w, false);
}

/*
 * Writes s[0..n) as a quoted JSON string. Quote, backslash, controls and DEL are escaped;
 * valid UTF-8 passes through; each byte that is not part of a valid UTF-8 sequence, and
 * each NUL (which the reader rejects as \u0000), becomes \ufffd.
 */
static void w_string(struct json_w *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0;

	w_put(w, "\"", 1);
	for (size_t i = 0; i < n && !w->failed;) {
		unsigned char c = u[i];
		char esc[8];
		size_t elen = 2, slen = 1;

		if (c >= 0x80) {
			slen = json_string_utf8_len(u + i, n - i);
			if (slen > 0) {
				i += slen;
				continue;
			}
			slen = 1;
			memcpy(esc, "\\ufffd", 6);
			elen = 6;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			esc[0] = '\\';
			esc[1] = c == '\n'   ? 'n'
				 : c == '\r' ? 'r'
				 : c == '\t' ? 't'
				 : c == '\b' ? 'b'
					     : 'f';
		} else if (c == 0) {
			memcpy(esc, "\\ufffd", 6);
			elen = 6;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		} else {
			i++;
			continue;
		}
		w_put(w, s + run, i - run);
		w_put(w, esc, elen);
		i += slen;
		run = i;
	}
	w_put(w, s + run, n - run);
	w_put(w, "\"", 1);
}

void json_w_key(struct json_w *w, const char *key)
{
	if (w->failed)
		return;
	if (w->depth == 0 || !w->obj[w->depth]) {
		w_fail(w, "key outside an object, expected keys only inside objects");
		return;
	}
	if (w->after_key) {
		w_fail(w, "key right after a key, expected a value");
		return;
	}
	if (!key) {
		w_fail(w, "NULL key, expected a string");
		return;
	}
	if (!w->first[w->depth])
		w_put(w, ",", 1);
	w->first[w->depth] = false;
	w_string(w, key, strlen(key));
	w_put(w, ":", 1);
	w->after_key = true;
}

void json_w_strn(struct json_w *w, const char *s, size_t n)
{
	if (!s && n > 0) {
		w_fail(w, "NULL string, expected a string");
		return;
	}
	if (w_value(w))
		w_string(w, s ? s : "", n);
}

void json_w_str(struct json_w *w, const char *s)
{
	if (!s) {
		w_fail(w, "NULL string, expected a string");
		return;
	}
	json_w_strn(w, s, strlen(s));
}

void json_w_i64(struct json_w *w, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	if (w_value(w))
		w_put(w, num, (size_t)n);
}

void json_w_u64(struct json_w *w, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	if (w_value(w))
		w_put(w, num, (size_t)n);
}

void json_w_bool(struct json_w *w, bool v)
{
	if (w_value(w))
		w_put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_w_null(struct json_w *w)
{
	if (w_value(w))
		w_put(w, "null", 4);
}

int json_w_end(struct json_w *w, struct kerr *err)
{
	if (w->failed) {
		if (err != &w->err)
			*err = w->err;
		return -1;
	}
	if (w->depth != 0)
		return kerr_set(err, 0, "json writer: %d containers left open, expected all closed",
				w->depth);
	if (w->first[0])
		return kerr_set(err, 0, "json writer: no value written, expected one");
	return 0;
}

/* ---- a value copied as it is (a subtree of a document json_parse accepted) ---- */

void json_w_raw(struct json_w *w, const char *text, size_t n)
{
	if (w_value(w))
		w_put(w, text, n);
}
