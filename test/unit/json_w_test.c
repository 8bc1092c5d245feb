/*
 * json_w_test: unit tests for json_w.c, the JSON writer (test layer).
 *
 * Exact output, invalid UTF-8 replaced, a write → parse → read round trip over every byte
 * (read back with json.h), its sticky misuse errors and the buffer cap.
 */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "base/json.h"
#include "base/json_w.h"

#define NTOKS 256

static struct json_tok toks[NTOKS];

static int parse_n(struct json_doc *doc, const char *s, size_t n, struct kerr *err)
{
	kerr_clear(err);
	return json_parse(doc, s, n, toks, NTOKS, err);
}

TEST(writer_exact_output)
{
	struct buf b;
	struct json_w w;
	struct kerr err;

	buf_init(&b, 4096);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "a");
	json_w_arr_begin(&w);
	json_w_i64(&w, 1);
	json_w_i64(&w, INT64_MIN);
	json_w_u64(&w, UINT64_MAX);
	json_w_bool(&w, true);
	json_w_bool(&w, false);
	json_w_null(&w);
	json_w_arr_begin(&w);
	json_w_arr_end(&w);
	json_w_obj_begin(&w);
	json_w_obj_end(&w);
	json_w_arr_end(&w);
	json_w_key(&w, "b\"");
	json_w_obj_begin(&w);
	json_w_key(&w, "c");
	json_w_str(&w, "x\n\x01\x7f\\/");
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	ASSERT_EQ(json_w_end(&w, &err), 0);
	ASSERT_EQ(b.len, strlen("{\"a\":[1,-9223372036854775808,18446744073709551615,true,false,"
				"null,[],{}],\"b\\\"\":{\"c\":\"x\\n\\u0001\\u007f\\\\/\"}}"));
	ASSERT_MEMEQ(b.data,
		     "{\"a\":[1,-9223372036854775808,18446744073709551615,true,false,null,[],{}],"
		     "\"b\\\"\":{\"c\":\"x\\n\\u0001\\u007f\\\\/\"}}",
		     b.len);

	/* A bare top-level value is a document too. */
	buf_clear(&b);
	json_w_init(&w, &b);
	json_w_str(&w, "s");
	ASSERT_EQ(json_w_end(&w, &err), 0);
	ASSERT_EQ(b.len, 3);
	ASSERT_MEMEQ(b.data, "\"s\"", 3);
	buf_done(&b);
}

TEST(writer_invalid_utf8)
{
	struct buf b;
	struct json_w w;
	struct kerr err;
	static const char want[] =
		"[\"\\ufffd\\ufffd\\ufffdA\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd\"]";

	buf_init(&b, 4096);
	json_w_init(&w, &b);
	json_w_arr_begin(&w);
	/* 0xff; a cut 3-byte sequence (2 bytes); A; é; an encoded surrogate (3 bytes); NUL */
	json_w_strn(&w,
		    "\xff\xe2\x82"
		    "A\xc3\xa9\xed\xa0\x80\0",
		    10);
	json_w_arr_end(&w);
	ASSERT_EQ(json_w_end(&w, &err), 0);
	ASSERT_EQ(b.len, strlen(want));
	ASSERT_MEMEQ(b.data, want, b.len);
	buf_done(&b);
}

TEST(writer_round_trip)
{
	char all[256];
	struct buf b;
	struct json_w w;
	struct kerr err;
	struct json_doc doc;
	char s[1024];
	static const char *const strs[] = {
		"",
		"plain",
		"quote \" backslash \\ slash /",
		"\n\r\t\b\f",
		"\x01\x02\x1e\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"{\"not\":\"json\"}",
	};

	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	buf_init(&b, 1 << 16);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, all);
	json_w_str(&w, all);
	json_w_key(&w, "list");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		json_w_str(&w, strs[i]);
	json_w_arr_end(&w);
	json_w_key(&w, "n");
	json_w_i64(&w, -42);
	json_w_obj_end(&w);
	ASSERT_EQ(json_w_end(&w, &err), 0);

	ASSERT_EQ(parse_n(&doc, (const char *)b.data, b.len, &err), 0);
	/* Bytes 0x80..0xff are not UTF-8 on their own: each came back as U+FFFD. */
	char want[1024];
	size_t n = 0;
	for (int i = 1; i < 256; i++) {
		if (i < 0x80) {
			want[n++] = (char)i;
		} else {
			memcpy(want + n, "\xef\xbf\xbd", 3);
			n += 3;
		}
	}
	want[n] = '\0';
	int v = json_obj_get(&doc, 0, want);
	ASSERT(v > 0);
	ASSERT_EQ(json_get_str(&doc, v, s, sizeof(s), &err), 0);
	ASSERT_STREQ(s, want);
	int list = json_obj_get(&doc, 0, "list");
	ASSERT_EQ(toks[list].size, (int)(sizeof(strs) / sizeof(strs[0])));
	for (int i = 0; i < toks[list].size; i++) {
		ASSERT_EQ(json_get_str(&doc, list + 1 + i, s, sizeof(s), &err), 0);
		ASSERT_STREQ(s, strs[i]);
	}
	int64_t num;
	ASSERT_EQ(json_get_i64(&doc, json_obj_get(&doc, 0, "n"), &num, &err), 0);
	ASSERT_EQ(num, -42);
	buf_done(&b);
}

typedef void (*misuse_fn)(struct json_w *w);

static void m_value_without_key(struct json_w *w)
{
	json_w_obj_begin(w);
	json_w_i64(w, 1);
}
static void m_end_without_begin(struct json_w *w)
{
	json_w_obj_end(w);
}
static void m_arr_end_without_begin(struct json_w *w)
{
	json_w_arr_end(w);
}
static void m_wrong_end(struct json_w *w)
{
	json_w_arr_begin(w);
	json_w_obj_end(w);
}
static void m_key_in_array(struct json_w *w)
{
	json_w_arr_begin(w);
	json_w_key(w, "k");
}
static void m_key_at_top(struct json_w *w)
{
	json_w_key(w, "k");
}
static void m_key_after_key(struct json_w *w)
{
	json_w_obj_begin(w);
	json_w_key(w, "a");
	json_w_key(w, "b");
}
static void m_end_after_key(struct json_w *w)
{
	json_w_obj_begin(w);
	json_w_key(w, "a");
	json_w_obj_end(w);
}
static void m_too_deep(struct json_w *w)
{
	for (int i = 0; i <= JSON_DEPTH_MAX; i++)
		json_w_arr_begin(w);
	for (int i = 0; i <= JSON_DEPTH_MAX; i++)
		json_w_arr_end(w);
}
static void m_two_values(struct json_w *w)
{
	json_w_null(w);
	json_w_null(w);
}
static void m_null_string(struct json_w *w)
{
	json_w_str(w, NULL);
}
static void m_nothing(struct json_w *w)
{
	(void)w;
}
static void m_unclosed(struct json_w *w)
{
	json_w_obj_begin(w);
	json_w_key(w, "a");
	json_w_arr_begin(w);
}

TEST(writer_sticky_errors)
{
	static const struct {
		misuse_fn fn;
		const char *msg;
	} cases[] = {
		{ m_value_without_key, "json writer: value without a key inside an object" },
		{ m_end_without_begin, "json writer: end of an object that was not begun" },
		{ m_arr_end_without_begin, "json writer: end of an array that was not begun" },
		{ m_wrong_end, "end of an object that was not begun" },
		{ m_key_in_array, "key outside an object" },
		{ m_key_at_top, "key outside an object" },
		{ m_key_after_key, "key right after a key" },
		{ m_end_after_key, "end of an object right after a key" },
		{ m_too_deep, "json writer: nesting deeper than 32 levels" },
		{ m_two_values, "second top-level value" },
		{ m_null_string, "NULL string" },
		{ m_nothing, "json writer: no value written, expected one" },
		{ m_unclosed, "json writer: 2 containers left open" },
	};
	struct buf b;
	struct json_w w;
	struct kerr err;

	buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_clear(&b);
		json_w_init(&w, &b);
		cases[i].fn(&w);
		kerr_clear(&err);
		if (json_w_end(&w, &err) == 0)
			HARNESS_FAIL("case %zu accepted", i);
		if (!strstr(err.msg, cases[i].msg))
			HARNESS_FAIL("case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].msg);
	}

	/* Sticky: later calls change nothing and the first failure is what is reported. */
	buf_clear(&b);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_str(&w, "no key");
	size_t len = b.len;
	json_w_key(&w, "k");
	json_w_str(&w, "v");
	json_w_obj_end(&w);
	ASSERT_EQ(b.len, len);
	ASSERT_EQ(json_w_end(&w, &err), -1);
	ASSERT_CONTAINS(err.msg, "value without a key");
	ASSERT_EQ(json_w_end(&w, &w.err), -1); /* err may be the writer's own */
	ASSERT_CONTAINS(w.err.msg, "value without a key");
	buf_done(&b);
}

TEST(writer_buffer_cap)
{
	struct buf b;
	struct json_w w;
	struct kerr err;

	buf_init(&b, 16);
	json_w_init(&w, &b);
	json_w_arr_begin(&w);
	json_w_str(&w, "this string is longer than sixteen bytes");
	json_w_arr_end(&w);
	ASSERT_EQ(json_w_end(&w, &err), -1);
	ASSERT_CONTAINS(err.msg, "json writer: ");
	ASSERT(b.len <= 16);
	buf_done(&b);
}

RUN_TESTS(T(writer_exact_output), T(writer_invalid_utf8), T(writer_round_trip),
	  T(writer_sticky_errors), T(writer_buffer_cap))
