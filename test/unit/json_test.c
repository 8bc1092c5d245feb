/*
 * json_test: unit tests for json.c (test layer).
 *
 * Valid documents of every shape, every strictness rejection jsmn alone would let through
 * (each with its message), unicode escapes, the token and depth caps and the typed
 * getters. The writer's tests are json_w_test.c.
 */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "base/json.h"

#define NTOKS 256

static struct json_tok toks[NTOKS];

static int parse_n(struct json_doc *doc, const char *s, size_t n, struct kerr *err)
{
	kerr_clear(err);
	return json_parse(doc, s, n, toks, NTOKS, err);
}

static int parse(struct json_doc *doc, const char *s, struct kerr *err)
{
	return parse_n(doc, s, strlen(s), err);
}

TEST(scalars_at_top_level)
{
	static const struct {
		const char *text;
		enum json_type type;
	} cases[] = {
		{ "0", JSON_NUMBER },		{ " -12 ", JSON_NUMBER },
		{ "1.5e+10", JSON_NUMBER },	{ "-0.0E-2", JSON_NUMBER },
		{ "true", JSON_BOOL },		{ "\tfalse\n", JSON_BOOL },
		{ "null", JSON_NULL },		{ "\"s\"", JSON_STRING },
		{ " \"\" ", JSON_STRING },	{ "{}", JSON_OBJECT },
		{ "[]", JSON_ARRAY },		{ " [ ] ", JSON_ARRAY },
		{ "\r\n{ }\r\n", JSON_OBJECT },
	};
	struct json_doc doc;
	struct kerr err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(&doc, cases[i].text, &err) < 0)
			HARNESS_FAIL("`%s` rejected: %s", cases[i].text, err.msg);
		ASSERT_EQ(doc.ntoks, 1);
		ASSERT_EQ(toks[0].type, cases[i].type);
		ASSERT_EQ(toks[0].parent, -1);
		ASSERT_EQ(toks[0].size, 0);
		ASSERT_EQ(json_skip(&doc, 0), 1);
	}
}

TEST(config_object)
{
	static const char text[] = "{\n"
				   "  \"version\": 1,\n"
				   "  \"name\": \"web\",\n"
				   "  \"env\": [\"A=1\", \"B=two\"],\n"
				   "  \"limits\": {\"memory\": 67108864, \"cpus\": 1.5},\n"
				   "  \"tty\": false,\n"
				   "  \"user\": null,\n"
				   "  \"empty\": {}, \"none\": []\n"
				   "}";
	struct json_doc doc;
	struct kerr err;
	char s[64];
	uint64_t u;
	int64_t v;
	bool b;

	ASSERT_EQ(parse(&doc, text, &err), 0);
	ASSERT_EQ(toks[0].type, JSON_OBJECT);
	ASSERT_EQ(toks[0].size, 8);
	ASSERT_EQ(json_skip(&doc, 0), doc.ntoks);

	int ver = json_obj_get(&doc, 0, "version");
	ASSERT(ver > 0);
	ASSERT_EQ(toks[ver].parent, 0);
	ASSERT_EQ(toks[ver - 1].parent, 0); /* the key's parent is the object too */
	ASSERT_EQ(json_get_i64(&doc, ver, &v, &err), 0);
	ASSERT_EQ(v, 1);

	ASSERT_EQ(json_get_str(&doc, json_obj_get(&doc, 0, "name"), s, sizeof(s), &err), 0);
	ASSERT_STREQ(s, "web");

	int env = json_obj_get(&doc, 0, "env");
	ASSERT_EQ(toks[env].type, JSON_ARRAY);
	ASSERT_EQ(toks[env].size, 2);
	ASSERT_EQ(toks[env + 1].parent, env);
	ASSERT_EQ(json_get_str(&doc, env + 2, s, sizeof(s), &err), 0);
	ASSERT_STREQ(s, "B=two");
	ASSERT_EQ(json_skip(&doc, env), env + 3);

	int lim = json_obj_get(&doc, 0, "limits");
	ASSERT_EQ(toks[lim].type, JSON_OBJECT);
	ASSERT_EQ(json_get_u64(&doc, json_obj_get(&doc, lim, "memory"), &u, &err), 0);
	ASSERT_U64_EQ(u, 67108864);
	int cpus = json_obj_get(&doc, lim, "cpus");
	ASSERT_EQ(toks[cpus].type, JSON_NUMBER);
	ASSERT_EQ(json_get_u64(&doc, cpus, &u, &err), -1);
	ASSERT_CONTAINS(err.msg, "json number `1.5`");
	ASSERT_CONTAINS(err.msg, "is not an integer");

	ASSERT_EQ(json_get_bool(&doc, json_obj_get(&doc, 0, "tty"), &b, &err), 0);
	ASSERT(!b);
	ASSERT_EQ(toks[json_obj_get(&doc, 0, "user")].type, JSON_NULL);
	ASSERT_EQ(toks[json_obj_get(&doc, 0, "empty")].size, 0);
	ASSERT_EQ(toks[json_obj_get(&doc, 0, "none")].type, JSON_ARRAY);

	ASSERT_EQ(json_obj_get(&doc, 0, "missing"), -1);
	ASSERT_EQ(json_obj_get(&doc, 0, "memory"), -1); /* not a key of the root */
	ASSERT_EQ(json_obj_get(&doc, env, "A=1"), -1);	/* not an object */
	ASSERT_EQ(json_obj_get(&doc, -1, "name"), -1);
	ASSERT_EQ(json_obj_get(&doc, doc.ntoks, "name"), -1);
	ASSERT_EQ(json_obj_get(&doc, 0, NULL), -1);
	ASSERT_EQ(json_skip(&doc, -5), doc.ntoks);
}

TEST(offsets_point_into_text)
{
	static const char text[] = " {\"k\" : [ \"v\" , 12 ] } ";
	struct json_doc doc;
	struct kerr err;

	ASSERT_EQ(parse(&doc, text, &err), 0);
	ASSERT_EQ(doc.ntoks, 5);
	ASSERT_EQ(toks[0].start, 1);
	ASSERT_EQ(toks[0].end, 22);
	ASSERT_EQ(toks[1].start, 3); /* after the quote */
	ASSERT_EQ(toks[1].end, 4);   /* before the quote */
	ASSERT_EQ(toks[2].type, JSON_ARRAY);
	ASSERT_EQ(toks[3].start, 11);
	ASSERT_EQ(toks[4].start, 16);
	ASSERT_EQ(toks[4].end, 18);
	ASSERT_EQ(toks[4].parent, 2);
	ASSERT_EQ(toks[2].parent, 0);
}

TEST(rejections)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "", "empty document, expected a value" },
		{ "  \n", "empty document" },
		{ "tru", "byte 0: bad value `tru`" },
		{ "[tru]", "byte 1: bad value `tru`" },
		{ "[truex]", "bad value `truex`" },
		{ "[nul]", "bad value `nul`" },
		{ "[01]", "bad value `01`" },
		{ "[-01]", "bad value `-01`" },
		{ "[1.]", "bad value `1.`" },
		{ "[1.e5]", "bad value `1.e5`" },
		{ "[-]", "bad value `-`" },
		{ "[1e]", "bad value `1e`" },
		{ "[1e+]", "bad value `1e+`" },
		{ "[1:2]", "bad value `1:2`" },
		{ "[--1]", "bad value `--1`" },
		{ "[+1]", "byte 1: unexpected `+`" },
		{ "[.5]", "byte 1: unexpected `.`" },
		{ "+1", "bad value `+1`" },
		{ "x", "bad value `x`" },
		{ "]", "byte 0: found `]`, expected a value" },
		{ "{1:2}", "byte 1: unexpected `1`" },
		{ "{\"a\":}", "byte 5: found `}`, expected a value" },
		{ "{\"a\"}", "byte 4: found `}`, expected `:`" },
		{ "{\"a\" 1}", "byte 5: unexpected `1`" },
		{ "{\"a\":1,}", "byte 7: found `}`, expected a string key" },
		{ "{\"a\":1,\"b\"}", "byte 10: found `}`, expected `:`" },
		{ "{\"a\":1 \"b\":2}", "byte 7: found `\"`, expected `,` or `}`" },
		{ "{\"a\"::1}", "byte 5: found `:`, expected a value" },
		{ "{\"a\" \"b\"}", "byte 5: found `\"`, expected `:`" },
		{ "{,}", "byte 1: found `,`, expected a string key or `}`" },
		{ "[1,]", "byte 3: found `]`, expected a value" },
		{ "[,1]", "byte 1: found `,`, expected a value" },
		{ "[,]", "byte 1: found `,`, expected a value or `]`" },
		{ "[1,,2]", "byte 3: found `,`, expected a value" },
		{ "[1 2]", "byte 3: found `2`, expected `,` or `]`" },
		{ "[true false]", "byte 6: found `f`, expected `,` or `]`" },
		{ "[\"a\"\"b\"]", "byte 4: found `\"`, expected `,` or `]`" },
		{ "[\"a\":1]", "byte 4: found `:`, expected `,` or `]`" },
		{ "{} {}", "byte 3: found `{` after the value, expected the end of the input" },
		{ "[1] x", "unexpected `x`" },
		{ "1 2", "byte 2: found `2` after the value" },
		{ "\"a\" \"b\"", "byte 4: found `\"` after the value" },
		{ "\"a\"x", "unexpected `x`" },
		{ "{\"a\":1}}", "byte 7: unexpected `}`" },
		{ "[}", "unexpected `}`" },
		{ "{]", "unexpected `]`" },
		{ "[1", "input ends inside a value" },
		{ "{\"a\":1", "input ends inside a value" },
		{ "[[]", "input ends inside a value" },
		{ "\"abc", "byte 0: unterminated string" },
		{ "[\"abc]", "byte 1: unterminated string" },
		{ "[\"a\\x\"]", "byte 1: bad string" },
		{ "[\"\\u12\"]", "byte 1: bad string" },
		{ "[\"\\u0000\"]", "byte 2: \\u0000 is not allowed" },
		{ "[\"\\udc00\"]", "byte 2: lone low surrogate \\udc00" },
		{ "[\"\\ud800\"]", "byte 2: high surrogate \\ud800 is not followed" },
		{ "[\"\\ud800x\"]", "high surrogate" },
		{ "[\"\\ud800\\u0041\"]", "high surrogate \\ud800" },
		{ "[\"\\ud800\\ud800\"]", "high surrogate" },
		{ "[\"\\ud800\\n\"]", "high surrogate" },
		{ "[\"a\x01\"]", "byte 3: control character 0x01" },
		{ "[\"\t\"]", "control character 0x09" },
		{ "[\"\x1f\"]", "control character 0x1f" },
		{ "[\"\xff\"]", "byte 2: byte 0xff is not valid UTF-8" },
		{ "[\"\xc0\x80\"]", "byte 0xc0 is not valid UTF-8" },
		{ "[\"\xe2\x82\"]", "byte 0xe2 is not valid UTF-8" },
		{ "[\"\xed\xa0\x80\"]", "byte 0xed is not valid UTF-8" },
		{ "[\"\xf4\x90\x80\x80\"]", "byte 0xf4 is not valid UTF-8" },
		{ "[\"\x80\"]", "byte 0x80 is not valid UTF-8" },
		{ "{\"a\":1,\"a\":2}", "byte 7: duplicate key `a`" },
		{ "{\"a\":1,\"\\u0061\":2}", "duplicate key `\\\\u0061`" },
		{ "{\"\\/\":1,\"/\":2}", "duplicate key `/`" },
		{ "{\"x\":{\"b\":[],\"b\":{}}}", "duplicate key `b`" },
		{ "{\"a\":tru}", "bad value `tru`" },
		{ "[1]\x01", "unexpected byte 0x01" },
		{ "\xef\xbb\xbf{}", "bad value" }, /* a byte order mark is not JSON text */
	};
	struct json_doc doc;
	struct kerr err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(&doc, cases[i].text, &err) == 0)
			HARNESS_FAIL("case %zu `%s` accepted", i, cases[i].text);
		ASSERT_EQ(doc.ntoks, 0);
		if (!strstr(err.msg, cases[i].msg))
			HARNESS_FAIL("case %zu `%s`: \"%s\" lacks \"%s\"", i, cases[i].text,
				     err.msg, cases[i].msg);
	}
}

TEST(nul_bytes)
{
	struct json_doc doc;
	struct kerr err;

	ASSERT_EQ(parse_n(&doc, "[1]\0", 4, &err), -1);
	ASSERT_CONTAINS(err.msg, "byte 3: NUL byte");
	ASSERT_EQ(parse_n(&doc, "[\"a\0b\"]", 7, &err), -1);
	ASSERT_CONTAINS(err.msg, "byte 3: NUL byte");
	/* The length is what counts, not a terminator. */
	ASSERT_EQ(parse_n(&doc, "[1]garbage", 3, &err), 0);
	ASSERT_EQ(parse_n(&doc, "12345", 2, &err), 0);
	ASSERT_EQ(toks[0].end, 2);
}

TEST(unicode_escapes)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "\"\\u00e9\"", "\xc3\xa9" },
		{ "\"\\u00E9\"", "\xc3\xa9" },
		{ "\"\\u0041b\"", "Ab" },
		{ "\"\\u007f\\u0080\"", "\x7f\xc2\x80" },
		{ "\"\\u07ff\\u0800\"", "\xdf\xbf\xe0\xa0\x80" },
		{ "\"\\u20ac\"", "\xe2\x82\xac" },
		{ "\"\\uffff\"", "\xef\xbf\xbf" },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },
		{ "\"\\uD83D\\uDE00!\"", "\xf0\x9f\x98\x80!" },
		{ "\"\\ud800\\udc00\"", "\xf0\x90\x80\x80" },
		{ "\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf" },
		{ "\"\\u0001\\u001f\"", "\x01\x1f" },
		{ "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t" },
		{ "\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		  "raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "\"\"", "" },
	};
	struct json_doc doc;
	struct kerr err;
	char s[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(&doc, cases[i].text, &err) < 0)
			HARNESS_FAIL("`%s` rejected: %s", cases[i].text, err.msg);
		ASSERT_EQ(json_get_str(&doc, 0, s, sizeof(s), &err), 0);
		ASSERT_STREQ(s, cases[i].want);
		ASSERT(json_str_eq(&doc, 0, cases[i].want));
	}
}

TEST(get_str_capacity)
{
	struct json_doc doc;
	struct kerr err;
	char s[8];

	ASSERT_EQ(parse(&doc, "[\"1234567\", \"12345678\", \"\\u20ac\\u20ac\\u20ac\"]", &err), 0);
	ASSERT_EQ(json_get_str(&doc, 1, s, sizeof(s), &err), 0);
	ASSERT_STREQ(s, "1234567");
	memset(s, 'x', sizeof(s));
	ASSERT_EQ(json_get_str(&doc, 2, s, sizeof(s), &err), -1);
	ASSERT_STREQ(err.msg, "json string at byte 12 is 8 bytes long, expected at most 7");
	ASSERT_STREQ(s, "");
	ASSERT_EQ(json_get_str(&doc, 3, s, sizeof(s), &err), -1);
	ASSERT_CONTAINS(err.msg, "is 9 bytes long");
	ASSERT_EQ(json_get_str(&doc, 1, s, 0, &err), -1);
	ASSERT_CONTAINS(err.msg, "expected at most 0");
}

TEST(str_eq)
{
	struct json_doc doc;
	struct kerr err;

	ASSERT_EQ(parse(&doc, "[\"a\\tb\", \"abc\", 1, \"\"]", &err), 0);
	ASSERT(json_str_eq(&doc, 1, "a\tb"));
	ASSERT(!json_str_eq(&doc, 1, "a\\tb"));
	ASSERT(!json_str_eq(&doc, 1, "a\t"));
	ASSERT(!json_str_eq(&doc, 1, "a\tbc"));
	ASSERT(json_str_eq(&doc, 2, "abc"));
	ASSERT(!json_str_eq(&doc, 2, "ab"));
	ASSERT(!json_str_eq(&doc, 2, ""));
	ASSERT(!json_str_eq(&doc, 3, "1"));
	ASSERT(json_str_eq(&doc, 4, ""));
	ASSERT(!json_str_eq(&doc, 4, "x"));
	ASSERT(!json_str_eq(&doc, 0, ""));
	ASSERT(!json_str_eq(&doc, 9, ""));
	ASSERT(!json_str_eq(&doc, -1, ""));
	ASSERT(!json_str_eq(&doc, 2, NULL));
}

TEST(obj_get_unescapes_keys)
{
	struct json_doc doc;
	struct kerr err;
	int64_t v;

	ASSERT_EQ(parse(&doc,
			"{\"skip\":{\"a\":[1,{\"b\":2}]},\"a\\u00e9\":3,\"t\\tab\":4,\"\":5,"
			"\"ab\":6,\"a\":7}",
			&err),
		  0);
	ASSERT_EQ(json_get_i64(&doc, json_obj_get(&doc, 0, "a\xc3\xa9"), &v, &err), 0);
	ASSERT_EQ(v, 3);
	ASSERT_EQ(json_get_i64(&doc, json_obj_get(&doc, 0, "t\tab"), &v, &err), 0);
	ASSERT_EQ(v, 4);
	ASSERT_EQ(json_get_i64(&doc, json_obj_get(&doc, 0, ""), &v, &err), 0);
	ASSERT_EQ(v, 5);
	ASSERT_EQ(json_get_i64(&doc, json_obj_get(&doc, 0, "a"), &v, &err), 0);
	ASSERT_EQ(v, 7);
	ASSERT_EQ(json_obj_get(&doc, 0, "b"), -1);
	/* Similar keys at different levels or with different escapes are not duplicates. */
	ASSERT_EQ(parse(&doc, "{\"a\":{\"a\":1},\"A\":2,\"\\u00e9\":3,\"\\u00c9\":4}", &err), 0);
}

TEST(integers)
{
	struct json_doc doc;
	struct kerr err;
	int64_t v;
	uint64_t u;

	ASSERT_EQ(parse(&doc,
			"[9223372036854775807, -9223372036854775808, 9223372036854775808,"
			" -9223372036854775809, 18446744073709551615, 18446744073709551616,"
			" -0, 0, -1, 1e3, 2.0, 99999999999999999999999]",
			&err),
		  0);
	ASSERT_EQ(json_get_i64(&doc, 1, &v, &err), 0);
	ASSERT(v == INT64_MAX);
	ASSERT_EQ(json_get_i64(&doc, 2, &v, &err), 0);
	ASSERT(v == INT64_MIN);
	ASSERT_EQ(json_get_i64(&doc, 3, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "json number `9223372036854775808` at byte 44 is out of range");
	ASSERT_CONTAINS(err.msg, "-9223372036854775808..9223372036854775807");
	ASSERT_EQ(json_get_u64(&doc, 3, &u, &err), 0);
	ASSERT_U64_EQ(u, 9223372036854775808ull);
	ASSERT_EQ(json_get_i64(&doc, 4, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "out of range");
	ASSERT_EQ(json_get_u64(&doc, 5, &u, &err), 0);
	ASSERT_U64_EQ(u, UINT64_MAX);
	ASSERT_EQ(json_get_u64(&doc, 6, &u, &err), -1);
	ASSERT_CONTAINS(err.msg, "out of range, expected an integer in 0..18446744073709551615");
	ASSERT_EQ(json_get_i64(&doc, 7, &v, &err), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(json_get_u64(&doc, 8, &u, &err), 0);
	ASSERT_U64_EQ(u, 0);
	ASSERT_EQ(json_get_u64(&doc, 9, &u, &err), -1);
	ASSERT_CONTAINS(err.msg, "json number `-1` at byte 138 is negative");
	ASSERT_EQ(json_get_i64(&doc, 9, &v, &err), 0);
	ASSERT_EQ(v, -1);
	ASSERT_EQ(json_get_i64(&doc, 10, &v, &err), -1);
	ASSERT_CONTAINS(err.msg, "json number `1e3` at byte 142 is not an integer");
	ASSERT_EQ(json_get_u64(&doc, 11, &u, &err), -1);
	ASSERT_CONTAINS(err.msg, "`2.0`");
	ASSERT_EQ(json_get_u64(&doc, 12, &u, &err), -1);
	ASSERT_CONTAINS(err.msg, "out of range");
}

TEST(type_mismatch)
{
	struct json_doc doc;
	struct kerr err;
	char s[16];
	int64_t v;
	uint64_t u;
	bool b;

	ASSERT_EQ(parse(&doc, "{\"s\":\"x\",\"n\":null,\"b\":true,\"o\":{},\"a\":[1]}", &err), 0);
	ASSERT_EQ(json_get_i64(&doc, json_obj_get(&doc, 0, "s"), &v, &err), -1);
	ASSERT_STREQ(err.msg, "json value at byte 6 is a string, expected a number");
	ASSERT_EQ(json_get_bool(&doc, json_obj_get(&doc, 0, "n"), &b, &err), -1);
	ASSERT_STREQ(err.msg, "json value at byte 13 is null, expected a boolean");
	ASSERT_EQ(json_get_str(&doc, json_obj_get(&doc, 0, "b"), s, sizeof(s), &err), -1);
	ASSERT_STREQ(err.msg, "json value at byte 22 is a boolean, expected a string");
	ASSERT_EQ(json_get_u64(&doc, json_obj_get(&doc, 0, "o"), &u, &err), -1);
	ASSERT_STREQ(err.msg, "json value at byte 31 is an object, expected a number");
	ASSERT_EQ(json_get_str(&doc, json_obj_get(&doc, 0, "a"), s, sizeof(s), &err), -1);
	ASSERT_STREQ(err.msg, "json value at byte 38 is an array, expected a string");
	ASSERT_EQ(json_get_bool(&doc, json_obj_get(&doc, 0, "b"), &b, &err), 0);
	ASSERT(b);
	ASSERT_EQ(json_get_bool(&doc, 99, &b, &err), -1);
	ASSERT_STREQ(err.msg, "json value 99 does not exist, document has 12");
	ASSERT_EQ(json_get_str(&doc, json_obj_get(&doc, 0, "absent"), s, sizeof(s), &err), -1);
	ASSERT_CONTAINS(err.msg, "json value -1 does not exist");
}

TEST(failed_parse_leaves_empty_doc)
{
	struct json_doc doc;
	struct kerr err;
	bool b;

	ASSERT_EQ(parse(&doc, "[true, tru]", &err), -1);
	ASSERT_EQ(doc.ntoks, 0);
	ASSERT_EQ(json_get_bool(&doc, 0, &b, &err), -1);
	ASSERT_EQ(json_skip(&doc, 0), 0);
	ASSERT_EQ(json_obj_get(&doc, 0, "x"), -1);
}

TEST(token_cap)
{
	struct json_doc doc;
	struct kerr err;
	struct json_tok few[4];

	kerr_clear(&err);
	ASSERT_EQ(json_parse(&doc, "[1,2,3]", 7, few, 4, &err), 0);
	ASSERT_EQ(doc.ntoks, 4);
	ASSERT_EQ(json_parse(&doc, "[1,2,3,4]", 9, few, 4, &err), -1);
	ASSERT_STREQ(err.msg, "json document needs more than 4 tokens");
	ASSERT_EQ(json_parse(&doc, "{\"a\":1}", 7, few, 2, &err), -1);
	ASSERT_STREQ(err.msg, "json document needs more than 2 tokens");
	ASSERT_EQ(json_parse(&doc, "7", 1, few, 1, &err), 0);
	ASSERT_EQ(json_parse(&doc, "[]", 2, few, 0, &err), -1);
	ASSERT_CONTAINS(err.msg, "json token array of 0 entries, expected 1..65536");
	ASSERT_EQ(json_parse(&doc, "[]", 2, few, JSON_TOKENS_MAX + 1, &err), -1);
	ASSERT_CONTAINS(err.msg, "65537 entries");
}

static void nest(char *s, int depth, bool obj)
{
	size_t n = 0;

	for (int i = 0; i < depth; i++) {
		if (obj) {
			memcpy(s + n, "{\"k\":", 5);
			n += 5;
		} else {
			s[n++] = '[';
		}
	}
	s[n++] = '1';
	for (int i = 0; i < depth; i++)
		s[n++] = obj ? '}' : ']';
	s[n] = '\0';
}

TEST(depth_cap)
{
	struct json_doc doc;
	struct kerr err;
	char s[1024];

	nest(s, JSON_DEPTH_MAX, false);
	ASSERT_EQ(parse(&doc, s, &err), 0);
	ASSERT_EQ(doc.ntoks, JSON_DEPTH_MAX + 1);
	nest(s, JSON_DEPTH_MAX + 1, false);
	ASSERT_EQ(parse(&doc, s, &err), -1);
	ASSERT_STREQ(err.msg, "invalid json at byte 32: nesting deeper than 32 levels");
	nest(s, JSON_DEPTH_MAX, true);
	ASSERT_EQ(parse(&doc, s, &err), 0);
	nest(s, JSON_DEPTH_MAX + 1, true);
	ASSERT_EQ(parse(&doc, s, &err), -1);
	ASSERT_CONTAINS(err.msg, "nesting deeper than 32 levels");
	/* Far deeper than the cap fails the same way, without recursing that deep. */
	static struct json_tok big[512];
	memset(s, '[', 400);
	memset(s + 400, ']', 100);
	ASSERT_EQ(json_parse(&doc, s, 500, big, 512, &err), -1);
	ASSERT_CONTAINS(err.msg, "input ends inside a value");
	s[400] = '1';
	memset(s + 401, ']', 400);
	ASSERT_EQ(json_parse(&doc, s, 801, big, 512, &err), -1);
	ASSERT_STREQ(err.msg, "invalid json at byte 32: nesting deeper than 32 levels");
}

RUN_TESTS(T(scalars_at_top_level), T(config_object), T(offsets_point_into_text), T(rejections),
	  T(nul_bytes), T(unicode_escapes), T(get_str_capacity), T(str_eq),
	  T(obj_get_unescapes_keys), T(integers), T(type_mismatch),
	  T(failed_parse_leaves_empty_doc), T(token_cap), T(depth_cap))
