/*
 * fuzz_json: fuzz target for the JSON reader (json.c) and writer (json_w.c) (test layer).
 *
 * Parses the input into 512 tokens; for a document that parsed, checks every token's
 * shape, calls every getter on every token (exactly the matching one must succeed), looks
 * every object key back up, then re-serializes the whole tree through the writer, re-parses
 * it and compares it value by value. Any inconsistency abort()s so libFuzzer reports it;
 * built without libFuzzer, replay_main.c runs the corpus in test/fuzz/corpus/fuzz_json/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/json_w.h"

#define FUZZ_TOKS 512

static struct json_tok toks_in[FUZZ_TOKS];
static struct json_tok toks_out[FUZZ_TOKS];

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* Unescapes string token i into s (cap bytes, always large enough). */
static void get_str(const struct json_doc *doc, int i, char *s, size_t cap)
{
	struct kerr err;

	check(json_get_str(doc, i, s, cap, &err) == 0);
	check(json_str_eq(doc, i, s));
}

static void check_token(const struct json_doc *doc, int i, char *s, size_t cap)
{
	const struct json_tok *t = &doc->toks[i];
	struct kerr err;
	int64_t v;
	uint64_t u;
	bool b;

	check(t->start >= 0 && t->start <= t->end && (size_t)t->end <= doc->len);
	check(i == 0 ? t->parent == -1 : (t->parent >= 0 && t->parent < i));
	if (t->parent >= 0)
		check(doc->toks[t->parent].type == JSON_OBJECT ||
		      doc->toks[t->parent].type == JSON_ARRAY);
	check(json_skip(doc, i) > i && json_skip(doc, i) <= doc->ntoks);

	bool is_str = json_get_str(doc, i, s, cap, &err) == 0;
	bool is_bool = json_get_bool(doc, i, &b, &err) == 0;
	bool is_i64 = json_get_i64(doc, i, &v, &err) == 0;
	bool is_u64 = json_get_u64(doc, i, &u, &err) == 0;

	check(is_str == (t->type == JSON_STRING));
	check(is_bool == (t->type == JSON_BOOL));
	if (is_i64 || is_u64)
		check(t->type == JSON_NUMBER);
	if (is_i64 && is_u64)
		check(v >= 0 && (uint64_t)v == u);
	if (is_i64 && v >= 0 && doc->text[t->start] != '-') /* "-0" is no u64 */
		check(is_u64);
	if (is_bool)
		check(b == (doc->text[t->start] == 't'));
	if (is_str) {
		check(strlen(s) <= (size_t)(t->end - t->start));
		check(json_str_eq(doc, i, s));
	}
	if (t->type == JSON_OBJECT || t->type == JSON_ARRAY) {
		check(t->size >= 0 && t->size <= doc->ntoks);
		int k = i + 1;

		for (int m = 0; m < t->size; m++) {
			check(k < doc->ntoks && doc->toks[k].parent == i);
			if (t->type == JSON_OBJECT) {
				check(doc->toks[k].type == JSON_STRING && k + 1 < doc->ntoks);
				get_str(doc, k, s, cap);
				/* Keys are unique, so each finds its own value. */
				check(json_obj_get(doc, i, s) == k + 1);
				k++;
			}
			k = json_skip(doc, k);
		}
		check(k == json_skip(doc, i));
	} else {
		check(t->size == 0 && json_skip(doc, i) == i + 1);
	}
}

/* Writes the value at i; returns the index after it. */
static int write_value(struct json_w *w, const struct json_doc *doc, int i, char *s, size_t cap)
{
	const struct json_tok *t = &doc->toks[i];
	struct kerr err;
	int64_t v;
	uint64_t u;
	bool b;
	int k = i + 1;

	switch (t->type) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (t->type == JSON_OBJECT)
			json_w_obj_begin(w);
		else
			json_w_arr_begin(w);
		for (int m = 0; m < t->size; m++) {
			if (t->type == JSON_OBJECT) {
				get_str(doc, k, s, cap);
				json_w_key(w, s);
				k++;
			}
			k = write_value(w, doc, k, s, cap);
		}
		if (t->type == JSON_OBJECT)
			json_w_obj_end(w);
		else
			json_w_arr_end(w);
		return k;
	case JSON_STRING:
		get_str(doc, i, s, cap);
		json_w_str(w, s);
		return k;
	case JSON_NUMBER:
		if (json_get_i64(doc, i, &v, &err) == 0)
			json_w_i64(w, v);
		else if (json_get_u64(doc, i, &u, &err) == 0)
			json_w_u64(w, u);
		else
			json_w_null(w); /* the writer has no floats */
		return k;
	case JSON_BOOL:
		check(json_get_bool(doc, i, &b, &err) == 0);
		json_w_bool(w, b);
		return k;
	case JSON_NULL:
		json_w_null(w);
		return k;
	}
	abort();
}

/* Compares value i of a with value j of b; returns the indexes after them. */
static void same_value(const struct json_doc *a, int *i, const struct json_doc *b, int *j, char *s1,
		       char *s2, size_t cap)
{
	const struct json_tok *ta = &a->toks[*i], *tb = &b->toks[*j];
	struct kerr err;
	int64_t v1, v2;
	uint64_t u1, u2;
	bool b1, b2;

	(*i)++;
	(*j)++;
	if (ta->type == JSON_NUMBER && json_get_i64(a, *i - 1, &v1, &err) == 0) {
		check(json_get_i64(b, *j - 1, &v2, &err) == 0 && v1 == v2);
		return;
	}
	if (ta->type == JSON_NUMBER && json_get_u64(a, *i - 1, &u1, &err) == 0) {
		check(json_get_u64(b, *j - 1, &u2, &err) == 0 && u1 == u2);
		return;
	}
	if (ta->type == JSON_NUMBER) {
		check(tb->type == JSON_NULL);
		return;
	}
	check(ta->type == tb->type && ta->size == tb->size);
	switch (ta->type) {
	case JSON_STRING:
		get_str(a, *i - 1, s1, cap);
		get_str(b, *j - 1, s2, cap);
		check(strcmp(s1, s2) == 0);
		return;
	case JSON_BOOL:
		check(json_get_bool(a, *i - 1, &b1, &err) == 0);
		check(json_get_bool(b, *j - 1, &b2, &err) == 0 && b1 == b2);
		return;
	case JSON_OBJECT:
	case JSON_ARRAY:
		for (int m = 0; m < ta->size; m++) {
			if (ta->type == JSON_OBJECT) {
				get_str(a, *i, s1, cap);
				get_str(b, *j, s2, cap);
				check(strcmp(s1, s2) == 0);
				(*i)++;
				(*j)++;
			}
			same_value(a, i, b, j, s1, s2, cap);
		}
		return;
	default:
		return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc in, out;
	struct kerr err;
	struct json_w w;
	struct buf b;

	if (json_parse(&in, (const char *)data, size, toks_in, FUZZ_TOKS, &err) < 0) {
		check(err.msg[0] != '\0' && in.ntoks == 0);
		return 0;
	}
	check(in.ntoks >= 1 && in.ntoks <= FUZZ_TOKS && json_skip(&in, 0) == in.ntoks);

	/* Unescaping never grows a string, so size + 1 always fits. */
	size_t cap = size + 1;
	char *s1 = malloc(cap), *s2 = malloc(cap);

	check(s1 && s2);
	for (int i = 0; i < in.ntoks; i++)
		check_token(&in, i, s1, cap);

	/* A string byte becomes at most 6 (\u00XX); parsed strings are valid UTF-8 without NULs,
	 * so the writer never needs U+FFFD and the round trip is exact. */
	buf_init(&b, 8 * size + 64);
	json_w_init(&w, &b);
	check(write_value(&w, &in, 0, s1, cap) == in.ntoks);
	check(json_w_end(&w, &err) == 0);
	check(json_parse(&out, (const char *)b.data, b.len, toks_out, FUZZ_TOKS, &err) == 0);
	check(out.ntoks == in.ntoks);

	int i = 0, j = 0;
	size_t cap2 = b.len + 1 > cap ? b.len + 1 : cap;
	char *t1 = malloc(cap2), *t2 = malloc(cap2);

	check(t1 && t2);
	same_value(&in, &i, &out, &j, t1, t2, cap2);
	check(i == in.ntoks && j == out.ntoks);

	free(t1);
	free(t2);
	buf_done(&b);
	free(s1);
	free(s2);
	return 0;
}
