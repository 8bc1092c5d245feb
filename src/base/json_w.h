/*
 * json_w: the JSON writer (mechanism M1, pure).
 *
 * Appends one document to a buf, escaping everything a string may hold, so what it writes
 * always parses back with json.h. Errors are sticky and reported once by json_w_end.
 */
#ifndef KETTLE_JSON_W_H
#define KETTLE_JSON_W_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/kerr.h"

/* Writer: appends to a buf. Errors are sticky and reported once by json_w_end. */
struct json_w {
	struct buf *b;			/* borrowed: output */
	int depth;			/* open containers */
	bool first[JSON_DEPTH_MAX + 1]; /* no member written yet at this depth */
	bool obj[JSON_DEPTH_MAX + 1];	/* the container open at this depth is an object */
	bool after_key;			/* a key was written; its value comes next */
	bool failed;			/* sticky */
	struct kerr err;		/* first failure */
};

void json_w_init(struct json_w *w, struct buf *b);
void json_w_obj_begin(struct json_w *w);
void json_w_obj_end(struct json_w *w);
void json_w_arr_begin(struct json_w *w);
void json_w_arr_end(struct json_w *w);
void json_w_key(struct json_w *w, const char *key);
void json_w_str(struct json_w *w, const char *s);
void json_w_strn(struct json_w *w, const char *s, size_t n);
void json_w_i64(struct json_w *w, int64_t v);
void json_w_u64(struct json_w *w, uint64_t v);
void json_w_bool(struct json_w *w, bool v);
void json_w_null(struct json_w *w);
/* Writes text[0..n) as one value, unchanged: it must be one complete JSON value that
 * json_parse accepted (a token's subtree, from its first to its last byte). */
void json_w_raw(struct json_w *w, const char *text, size_t n);
/* Returns 0 when the document is complete and nothing failed. */
int json_w_end(struct json_w *w, struct kerr *err);

#endif
