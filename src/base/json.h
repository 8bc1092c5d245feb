/*
 * json: strict JSON reading and typed getters (mechanism M1, pure).
 *
 * The only file that includes jsmn (STYLE rule 7). Parsing is strict (RFC 8259 shapes,
 * no trailing garbage), capped by the caller's token array, and zero-copy: tokens are
 * offsets into the caller's text. Strings are unescaped on demand into caller buffers;
 * \u0000 and invalid UTF-16 surrogates are rejected. The writer is json_w.h.
 */
#ifndef KETTLE_JSON_H
#define KETTLE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

#define JSON_TOKENS_MAX 65536 /* largest token array any caller may ask for */
#define JSON_DEPTH_MAX	32    /* nesting depth, reader and writer */

enum json_type {
	JSON_OBJECT = 1,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_BOOL,
	JSON_NULL,
};

struct json_tok {
	enum json_type type; /* kind of value */
	int start;	     /* byte offset of the value in text (after the quote for strings) */
	int end;	     /* byte offset just past it (before the closing quote) */
	int size;	     /* members of an object (keys) or elements of an array */
	int parent;	     /* index of the enclosing token, -1 for the root */
};

struct json_doc {
	const char *text;      /* borrowed; must outlive the doc */
	size_t len;	       /* bytes of text */
	struct json_tok *toks; /* borrowed; caller-provided array */
	int ntoks;	       /* tokens used; toks[0] is the root value */
};

/* Parses text strictly into toks[0..max). Too many tokens, bad syntax or nesting deeper
 * than JSON_DEPTH_MAX fail with err naming the byte offset. */
int json_parse(struct json_doc *doc, const char *text, size_t len, struct json_tok *toks, int max,
	       struct kerr *err);
/* "an object", "a string", … for messages that say what was found and what was wanted. */
const char *json_type_name(enum json_type t);
/* Index of the token after the subtree rooted at i. */
int json_skip(const struct json_doc *doc, int i);
/* Value token of key in object obj, or -1 when absent (never fails). Keys are compared
 * after unescaping. */
int json_obj_get(const struct json_doc *doc, int obj, const char *key);
/* True when the string token i equals s (after unescaping). */
bool json_str_eq(const struct json_doc *doc, int i, const char *s);
int json_get_str(const struct json_doc *doc, int i, char *out, size_t cap, struct kerr *err);
int json_get_i64(const struct json_doc *doc, int i, int64_t *out, struct kerr *err);
int json_get_u64(const struct json_doc *doc, int i, uint64_t *out, struct kerr *err);
int json_get_bool(const struct json_doc *doc, int i, bool *out, struct kerr *err);

#endif
