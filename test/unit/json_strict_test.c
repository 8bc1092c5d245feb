/*
 * json_strict_test: unit tests of the strict getters (test layer, tests
 * src/base/json_strict.c).
 *
 * Each getter takes exactly its type, checks caps before copying, names the value by its
 * path and says what was found and what was allowed; unknown keys are quoted sanitized;
 * a failed list keeps what it had appended, NULL-terminated, for the caller to free.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/json_strict.h"

static const char doc_text[] = "{\"s\":\"h\\u00e9\",\"n\":null,\"a\":[\"x\",\"yy\",\"zzz\"],"
			       "\"i\":-7,\"b\":true,\"o\":{\"k\":1,\"\\u0001bad\":2}}";

static struct json_tok toks[64];

static int parse(struct json_doc *d)
{
	struct kerr err;

	return json_parse(d, doc_text, strlen(doc_text), toks, 64, &err);
}

TEST(getters)
{
	struct json_doc d;
	struct kerr err;
	char *s = NULL, **v = NULL;
	size_t n = 0;
	int64_t i;
	bool b;

	ASSERT_EQ(parse(&d), 0);
	ASSERT_EQ(json_strict_str(&d, json_obj_get(&d, 0, "s"), "s", 8, &s, &err), 0);
	ASSERT_STREQ(s, "h\xc3\xa9");
	free(s);
	ASSERT_EQ(json_strict_str(&d, json_obj_get(&d, 0, "s"), "s", 2, &s, &err), -1);
	ASSERT_STREQ(err.msg, "`s`: string of 3 bytes exceeds limit 2");
	ASSERT_EQ(json_strict_str(&d, json_obj_get(&d, 0, "n"), "n", 8, &s, &err), -1);
	ASSERT_STREQ(err.msg, "`n`: expected a string, found null");
	ASSERT_EQ(json_strict_opt_str(&d, json_obj_get(&d, 0, "n"), "n", 8, &s, &err), 0);
	ASSERT(s == NULL);
	ASSERT_EQ(json_strict_int(&d, json_obj_get(&d, 0, "i"), "i", -10, 0, &i, &err), 0);
	ASSERT_EQ(i, -7);
	ASSERT_EQ(json_strict_int(&d, json_obj_get(&d, 0, "i"), "i", 0, 10, &i, &err), -1);
	ASSERT_STREQ(err.msg, "`i`: -7 is out of range, expected 0..10");
	ASSERT_EQ(json_strict_bool(&d, json_obj_get(&d, 0, "b"), "b", &b, &err), 0);
	ASSERT(b);
	ASSERT_EQ(json_strict_strv(&d, json_obj_get(&d, 0, "a"), "a", 3, 8, &v, &n, &err), 0);
	ASSERT_EQ(n, 3);
	ASSERT(v[3] == NULL);
	/* Appending past the cap fails before anything is copied. */
	ASSERT_EQ(json_strict_strv(&d, json_obj_get(&d, 0, "a"), "a", 4, 8, &v, &n, &err), -1);
	ASSERT_STREQ(err.msg, "`a`: 6 entries exceed limit 4");
	ASSERT_EQ(n, 3);
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	v = NULL;
	n = 0;
	/* A string over its cap: the ones before stay, terminated. */
	ASSERT_EQ(json_strict_strv(&d, json_obj_get(&d, 0, "a"), "a", 8, 2, &v, &n, &err), -1);
	ASSERT_STREQ(err.msg, "`a[2]`: string of 3 bytes exceeds limit 2");
	ASSERT_EQ(n, 2);
	ASSERT(v[2] == NULL);
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
}

TEST(keys_and_paths)
{
	static const char *const keys[] = { "k", NULL };
	char p[JSON_STRICT_PATH_MAX];
	struct json_doc d;
	struct kerr err;

	ASSERT_EQ(parse(&d), 0);
	ASSERT_EQ(json_strict_keys(&d, json_obj_get(&d, 0, "o"), keys, "o", &err), -1);
	ASSERT_STREQ(err.msg, "unknown key `\\\\u0001bad` in `o`");
	ASSERT_EQ(json_strict_keys(&d, json_obj_get(&d, 0, "a"), keys, "a", &err), -1);
	ASSERT_STREQ(err.msg, "`a`: expected an object, found an array");
	ASSERT_STREQ(json_strict_path(p, "", "x"), "x");
	ASSERT_STREQ(json_strict_path(p, "a.b", "x"), "a.b.x");
	ASSERT_STREQ(json_strict_index(p, "a.b", 3), "a.b[3]");
}

RUN_TESTS(T(getters), T(keys_and_paths))
