/*
 * reqbody_test: unit tests for src/ipc/reqbody.c (test layer).
 *
 * For each body: the documents kettle's client and daemon really send, then hostile ones
 * (wrong types, unknown keys, oversize, missing fields, NUL bytes, deep nesting), each
 * with the exact message the roles pass on. Encoders are checked byte for byte against
 * what the roles wrote before the move, and by parsing their output back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipc/reqbody.h"

#define S(lit) lit, sizeof(lit) - 1 /* a literal as (text, len), NULs included */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * n + tl + 1);
	char *p = s;

	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

/* ---- UPDATE ---- */

static const char *update_fails(const char *text, size_t len)
{
	static struct kerr err;
	struct reqbody_update u;

	if (reqbody_parse_update(text, len, &u, &err) == 0)
		return "(parsed)";
	return err.msg;
}

TEST(update_client_documents)
{
	struct reqbody_update u;
	struct kerr err;

	/* client_ops.c: `update --memory 128m --cpus 0.5 --pids-limit 20`. */
	ASSERT_EQ(reqbody_parse_update(S("{\"memory\":134217728,\"cpus\":500,\"pids_limit\":20}"),
				       &u, &err),
		  0);
	ASSERT(u.has_memory && u.has_cpus && u.has_pids && !u.has_restart);
	ASSERT_U64_EQ(u.memory_bytes, 134217728);
	ASSERT_U64_EQ(u.cpus_milli, 500);
	ASSERT_EQ(u.pids_limit, 20);
	ASSERT_EQ(reqbody_parse_update(S("{\"restart\":\"on-failure:3\"}"), &u, &err), 0);
	ASSERT(u.has_restart && !u.has_memory);
	ASSERT_EQ(u.restart.policy, RESTART_ON_FAILURE);
	ASSERT_EQ(u.restart.max_retries, 3);
	/* A key given twice is refused by json.h (the client writes one per flag given). */
	ASSERT_EQ(reqbody_parse_update(S("{\"memory\":0,\"memory\":7}"), &u, &err), -1);
	ASSERT_STREQ(err.msg, "update document: invalid json at byte 12: duplicate key `memory`, "
			      "expected each key once per object");
}

TEST(update_hostile)
{
	ASSERT_STREQ(update_fails(S("{}")), "nothing to update: give at least one of --memory, "
					    "--cpus, --pids-limit or --restart");
	ASSERT_STREQ(update_fails(S("[]")), "update document is not an object");
	ASSERT_STREQ(update_fails(S("{\"memory\":\"1g\"}")),
		     "update: `memory` is not a number of 0 or more");
	ASSERT_STREQ(update_fails(S("{\"memory\":-1}")),
		     "update: `memory` is not a number of 0 or more");
	ASSERT_STREQ(update_fails(S("{\"cpus\":1.5}")),
		     "update: `cpus` is not a number of 0 or more");
	ASSERT_STREQ(update_fails(S("{\"pids_limit\":true}")),
		     "update: `pids_limit` is not a number");
	ASSERT_CONTAINS(update_fails(S("{\"restart\":\"sometimes\"}")), "update: `restart`: ");
	ASSERT_CONTAINS(update_fails(S("{\"restart\":5}")), "update: `restart`");
	ASSERT_STREQ(update_fails(S("{\"memory\":1,\"image\":\"x\"}")),
		     "update: unknown key (allowed: `memory`, `cpus`, `pids_limit`, `restart`)");
	ASSERT_CONTAINS(update_fails(S("{\"memory\":1")), "update document: ");
	ASSERT_CONTAINS(update_fails(S("{\"memory\":1}\0")), "update document: ");
	ASSERT_STREQ(update_fails(S("{\"restart\":\"no\\u0000\"}")),
		     "update document: invalid json at byte 14: \\u0000 is not allowed in strings");
	ASSERT_CONTAINS(update_fails(S("")), "update document: ");

	char *big = repeat("{\"memory\":1", " ", REQBODY_UPDATE_JSON_MAX, "}");
	ASSERT_STREQ(update_fails(big, strlen(big)),
		     "update document of 16396 bytes exceeds the limit of 16384");
	free(big);
	char *deep = repeat("{\"memory\":", "[", 40, "");
	ASSERT_CONTAINS(update_fails(deep, strlen(deep)), "update document: ");
	free(deep);
	char *many = repeat("{\"memory\":[", "1,", 100, "1]}");
	ASSERT_CONTAINS(update_fails(many, strlen(many)), "update document: ");
	free(many);
}

static int encode_update(const struct reqbody_update *u, char *out, size_t cap)
{
	struct kerr err;
	struct buf b;

	buf_init(&b, REQBODY_UPDATE_JSON_MAX);
	if (reqbody_encode_shim_update(u, &b, &err) < 0 || b.len >= cap) {
		buf_done(&b);
		return -1;
	}
	memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	buf_done(&b);
	return 0;
}

TEST(update_shim_document_and_echo)
{
	struct reqbody_update u, e;
	struct reqbody_shim_update s;
	struct kerr err;
	char doc[512];

	ASSERT_EQ(reqbody_parse_update(S("{\"memory\":134217728,\"cpus\":500,\"pids_limit\":20,"
					 "\"restart\":\"always\"}"),
				       &u, &err),
		  0);
	ASSERT_EQ(encode_update(&u, doc, sizeof(doc)), 0);
	ASSERT_STREQ(doc,
		     "{\"resources\":{\"memory\":{\"limit\":134217728},\"cpu\":{\"quota\":50000,"
		     "\"period\":100000},\"pids\":{\"limit\":20}},\"restart\":\"always\"}");
	ASSERT_EQ(reqbody_parse_update_echo((const uint8_t *)doc, strlen(doc), &e, &err), 0);
	ASSERT(memcmp(&u, &e, sizeof(u)) == 0);
	ASSERT_EQ(reqbody_parse_shim_update(doc, strlen(doc), &s, &err), 0);
	ASSERT_STREQ(doc + s.res_end, ",\"restart\":\"always\"}");
	ASSERT_EQ(doc[s.res_end - 1], '}');
	ASSERT_EQ(doc[s.res_start], '{');
	ASSERT(s.has_restart && s.restart.policy == RESTART_ALWAYS);

	/* 0 removes a limit: -1 to the runtime, 0 back in the record. */
	ASSERT_EQ(reqbody_parse_update(S("{\"memory\":0,\"cpus\":0,\"pids_limit\":-4}"), &u, &err),
		  0);
	ASSERT_EQ(encode_update(&u, doc, sizeof(doc)), 0);
	ASSERT_STREQ(doc, "{\"resources\":{\"memory\":{\"limit\":-1},\"cpu\":{\"quota\":-1,"
			  "\"period\":100000},\"pids\":{\"limit\":-1}}}");
	ASSERT_EQ(reqbody_parse_update_echo((const uint8_t *)doc, strlen(doc), &e, &err), 0);
	ASSERT(e.has_memory && e.memory_bytes == 0 && e.cpus_milli == 0 && e.pids_limit == 0);
	ASSERT(!e.has_restart);

	/* Only the policy: no resources object at all. */
	ASSERT_EQ(reqbody_parse_update(S("{\"restart\":\"no\"}"), &u, &err), 0);
	ASSERT_EQ(encode_update(&u, doc, sizeof(doc)), 0);
	ASSERT_STREQ(doc, "{\"restart\":\"no\"}");
	ASSERT_EQ(reqbody_parse_shim_update(doc, strlen(doc), &s, &err), 0);
	ASSERT_EQ(s.res_start, -1);
	ASSERT_EQ(s.res_end, -1);

	/* Values no OCI number carries are refused rather than wrapped. */
	u = (struct reqbody_update){ .has_memory = true, .memory_bytes = UINT64_MAX };
	ASSERT_EQ(encode_update(&u, doc, sizeof(doc)), -1);
	struct buf b;
	buf_init(&b, 1024);
	ASSERT_EQ(reqbody_encode_shim_update(&u, &b, &err), -1);
	ASSERT_STREQ(err.msg, "update: memory of 18446744073709551615 bytes exceeds limit "
			      "9223372036854775807");
	u = (struct reqbody_update){ .has_cpus = true, .cpus_milli = UINT64_MAX / 2 };
	ASSERT_EQ(reqbody_encode_shim_update(&u, &b, &err), -1);
	ASSERT_STREQ(err.msg, "update: 9223372036854775807 thousandths of a CPU exceed limit "
			      "92233720368547758");
	ASSERT_EQ(b.len, 0);
	buf_done(&b);
}

static const char *echo_fails(const char *text, size_t len)
{
	static struct kerr err;
	struct reqbody_update u;

	if (reqbody_parse_update_echo((const uint8_t *)text, len, &u, &err) == 0)
		return "(parsed)";
	return err.msg;
}

TEST(update_echo_hostile)
{
	static const char alien[] = "the shim's update echo is not a document kettle wrote";

	ASSERT_STREQ(echo_fails(S("[1]")), alien);
	ASSERT_STREQ(echo_fails(S("{")), alien);
	ASSERT_STREQ(echo_fails(S("{}\0")), alien);
	ASSERT_STREQ(echo_fails(S("{}")), "(parsed)");
	ASSERT_STREQ(echo_fails(S("{\"resources\":{\"memory\":{}}}")),
		     "the shim's update echo lacks a numeric `limit`");
	ASSERT_STREQ(echo_fails(S("{\"resources\":{\"cpu\":{\"quota\":1}}}")),
		     "the shim's update echo lacks a numeric `period`");
	ASSERT_STREQ(echo_fails(S("{\"resources\":{\"cpu\":{\"quota\":\"1\",\"period\":1}}}")),
		     "the shim's update echo lacks a numeric `quota`");
	ASSERT_STREQ(echo_fails(S("{\"resources\":{\"cpu\":{\"quota\":1,\"period\":0}}}")),
		     "the shim's update echo has cpu period 0");
	ASSERT_STREQ(echo_fails(S("{\"resources\":{\"cpu\":{\"quota\":9223372036854775807,"
				  "\"period\":1}}}")),
		     "the shim's update echo has cpu quota 9223372036854775807");
	ASSERT_STREQ(echo_fails(S("{\"resources\":{\"pids\":{\"limit\":1.5}}}")),
		     "the shim's update echo lacks a numeric `limit`");
	ASSERT_CONTAINS(echo_fails(S("{\"restart\":\"maybe\"}")), "the shim's update echo: ");
	ASSERT_CONTAINS(echo_fails(S("{\"restart\":7}")), "the shim's update echo: ");
	char *big = repeat("{", " ", REQBODY_UPDATE_JSON_MAX, "}");
	ASSERT_STREQ(echo_fails(big, strlen(big)), alien);
	free(big);
}

/* ---- SHIM_UPDATE ---- */

static const char *shim_update_fails(const char *text, size_t len)
{
	static struct kerr err;
	struct reqbody_shim_update u;

	if (reqbody_parse_shim_update(text, len, &u, &err) == 0)
		return "(parsed)";
	return err.msg;
}

TEST(shim_update_hostile)
{
	ASSERT_STREQ(shim_update_fails(S("{}")), "(parsed)");
	ASSERT_STREQ(shim_update_fails(S("\"resources\"")), "update document is not an object");
	ASSERT_STREQ(shim_update_fails(S("{\"resources\":[]}")),
		     "update: `resources` is not an object");
	ASSERT_STREQ(shim_update_fails(S("{\"resources\":{},\"memory\":1}")),
		     "update: unknown key (allowed: `resources`, `restart`)");
	ASSERT_CONTAINS(shim_update_fails(S("{\"restart\":\"on-failure:x\"}")),
			"update: `restart`: ");
	ASSERT_CONTAINS(shim_update_fails(S("{\"resources\":{}}\0")), "update document: ");
	char *big = repeat("{\"resources\":{", " ", REQBODY_SHIM_UPDATE_JSON_MAX, "}}");
	ASSERT_STREQ(shim_update_fails(big, strlen(big)),
		     "update document of 65552 bytes exceeds the limit of 65536");
	free(big);
	char *deep = repeat("{\"resources\":", "{\"a\":", 40, "1}");
	ASSERT_CONTAINS(shim_update_fails(deep, strlen(deep)), "update document: ");
	free(deep);
	char *wide = repeat("{\"resources\":{\"a\":[", "1,", 300, "1]}}");
	ASSERT_CONTAINS(shim_update_fails(wide, strlen(wide)), "update document: ");
	free(wide);
}

/* ---- SHIM_EXEC ---- */

static const char *exec_fails(const char *text, size_t len)
{
	static struct kerr err;
	struct reqbody_exec q;

	if (reqbody_parse_exec(text, len, &q, &err) == 0) {
		reqbody_exec_done(&q);
		return "(parsed)";
	}
	/* Nothing is left to free after a failure. */
	if (q.args.v || q.env.v || q.cwd || q.args.n || q.env.n)
		return "(failure left memory behind)";
	return err.msg;
}

TEST(exec_client_document)
{
	char *cmd[] = { "sh", "-c", "echo \"hi\"\n\ttab", NULL };
	char *env[] = { "A=1", "B=\xc3\xa9", NULL };
	struct reqbody_exec in = {
		.args = { .v = cmd, .n = 3 },
		.env = { .v = env, .n = 2 },
		.cwd = "/tmp",
		.user_set = true,
		.uid = 1000,
		.gid = 100,
		.tty = true,
	};
	struct reqbody_exec q;
	struct kerr err;
	struct buf b;

	buf_init(&b, 4096);
	ASSERT_EQ(reqbody_encode_exec(&in, &b, &err), 0);
	ASSERT_EQ(b.len, strlen("{\"args\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\n\\ttab\"],\"env\":"
				"[\"A=1\",\"B=\xc3\xa9\"],\"cwd\":\"/tmp\",\"user\":{\"uid\":1000,"
				"\"gid\":100},\"tty\":true}"));
	ASSERT_EQ(reqbody_parse_exec((const char *)b.data, b.len, &q, &err), 0);
	ASSERT_EQ(q.args.n, 3);
	ASSERT_STREQ(q.args.v[2], "echo \"hi\"\n\ttab");
	ASSERT(q.args.v[3] == NULL);
	ASSERT_EQ(q.env.n, 2);
	ASSERT_STREQ(q.env.v[1], "B=\xc3\xa9");
	ASSERT_STREQ(q.cwd, "/tmp");
	ASSERT(q.user_set && q.uid == 1000 && q.gid == 100 && q.tty);
	reqbody_exec_done(&q);
	ASSERT(q.args.v == NULL && q.cwd == NULL);
	reqbody_exec_done(&q); /* harmless twice */

	/* What `kettle exec c true` sends: nothing optional set. */
	struct reqbody_exec bare = { .args = { .v = cmd, .n = 1 } };
	buf_clear(&b);
	ASSERT_EQ(reqbody_encode_exec(&bare, &b, &err), 0);
	ASSERT_EQ(b.len, strlen("{\"args\":[\"sh\"],\"env\":[],\"cwd\":null,\"user\":null,"
				"\"tty\":false}"));
	ASSERT(memcmp(b.data,
		      "{\"args\":[\"sh\"],\"env\":[],\"cwd\":null,\"user\":null,\"tty\":false}",
		      b.len) == 0);
	ASSERT_EQ(reqbody_parse_exec((const char *)b.data, b.len, &q, &err), 0);
	ASSERT(q.args.n == 1 && q.env.n == 0 && !q.cwd && !q.user_set && !q.tty);
	reqbody_exec_done(&q);
	buf_done(&b);

	/* Only args is required; unknown keys are ignored; gid defaults to 0. */
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"extra\":{\"x\":[1]}}")), "(parsed)");
	ASSERT_EQ(reqbody_parse_exec(S("{\"args\":[\"id\"],\"user\":{\"uid\":5}}"), &q, &err), 0);
	ASSERT(q.user_set && q.uid == 5 && q.gid == 0);
	reqbody_exec_done(&q);
}

TEST(exec_hostile)
{
	static const char bad_user[] = "exec request: `user` is not {\"uid\": N, \"gid\": N}";

	ASSERT_STREQ(exec_fails(S("[\"ls\"]")), "exec request is not a JSON object");
	ASSERT_STREQ(exec_fails(S("{}")), "exec request has no `args`");
	ASSERT_STREQ(exec_fails(S("{\"args\":[]}")),
		     "exec request: `args` is empty, expected a command");
	ASSERT_STREQ(exec_fails(S("{\"args\":\"ls\"}")),
		     "exec request: `args` is not an array of strings");
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\",1]}")),
		     "exec request: `args[1]` is not a string");
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"env\":{}}")),
		     "exec request: `env` is not an array of strings");
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"env\":[\"A=1\",null]}")),
		     "exec request: `env[1]` is not a string");
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"cwd\":5}")),
		     "exec request: `cwd` is not a string");
	ASSERT_CONTAINS(exec_fails(S("{\"args\":[\"ls\"],\"tty\":\"yes\"}")),
			"exec request: `tty`: ");
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"user\":5}")), bad_user);
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"user\":{\"gid\":5}}")), bad_user);
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"user\":{\"uid\":-1}}")), bad_user);
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"user\":{\"uid\":4294967295}}")), bad_user);
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"ls\"],\"user\":{\"uid\":1,\"gid\":4294967295}}")),
		     bad_user);
	/* NUL: escaped in a string, raw in a string, after the document. */
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"l\\u0000s\"]}")),
		     "exec request: invalid json at byte 11: \\u0000 is not allowed in strings");
	ASSERT_CONTAINS(exec_fails(S("{\"args\":[\"l\0s\"]}")), "exec request: ");
	ASSERT_CONTAINS(exec_fails(S("{\"args\":[\"ls\"]}\0")), "exec request: ");
	/* Failures after args was taken free it (exec_fails checks). */
	ASSERT_STREQ(exec_fails(S("{\"args\":[\"a\",\"b\"],\"env\":[\"X\"],\"cwd\":\"/\","
				  "\"tty\":1}")),
		     "exec request: `tty`: json value at byte 46 is a number, expected a boolean");

	char *many = repeat("{\"args\":[", "\"a\",", REQBODY_LIST_MAX, "\"a\"]}");
	ASSERT_STREQ(exec_fails(many, strlen(many)),
		     "exec request: `args` has 1025 entries, limit 1024");
	free(many);
	char *env = repeat("{\"args\":[\"a\"],\"env\":[", "\"a\",", REQBODY_LIST_MAX, "\"a\"]}");
	ASSERT_STREQ(exec_fails(env, strlen(env)),
		     "exec request: `env` has 1025 entries, limit 1024");
	free(env);
	char *toks = repeat("{\"args\":[\"a\"],\"x\":[", "1,", REQBODY_EXEC_TOKENS, "1]}");
	ASSERT_CONTAINS(exec_fails(toks, strlen(toks)), "exec request: ");
	free(toks);
	char *deep = repeat("{\"args\":[\"a\"],\"x\":", "[", 64, "");
	ASSERT_CONTAINS(exec_fails(deep, strlen(deep)), "exec request: ");
	free(deep);
}

/* ---- EVENTS' FILTER ---- */

static const char *filters_fail(const char *text)
{
	static struct kerr err;
	static struct reqbody_filters f;

	if (reqbody_parse_filters(text, &f, &err) == 0)
		return "(parsed)";
	return err.msg;
}

TEST(filters_valid)
{
	struct reqbody_filters f;
	struct kerr err;

	/* client_events.c joins the --filter flags with newlines. */
	ASSERT_EQ(reqbody_parse_filters("container=ev1\ncontainer=probe\nevent=destroy", &f, &err),
		  0);
	ASSERT_EQ(f.n, 3);
	ASSERT_EQ(f.f[0].key, REQBODY_FILTER_CONTAINER);
	ASSERT_STREQ(f.f[1].value, "probe");
	ASSERT_EQ(f.f[2].key, REQBODY_FILTER_EVENT);
	ASSERT_STREQ(f.f[2].value, "destroy");
	ASSERT_EQ(reqbody_parse_filters("\n\ntype=exit\n\n", &f, &err), 0);
	ASSERT_EQ(f.n, 1);
	ASSERT_EQ(f.f[0].key, REQBODY_FILTER_EVENT);
	ASSERT_EQ(reqbody_parse_filters("container=a=b", &f, &err), 0);
	ASSERT_STREQ(f.f[0].value, "a=b");
	ASSERT_EQ(reqbody_parse_filters("", &f, &err), 0);
	ASSERT_EQ(f.n, 0);

	char *most = repeat("", "event=x\n", REQBODY_FILTERS_MAX, "");
	ASSERT_EQ(reqbody_parse_filters(most, &f, &err), 0);
	ASSERT_EQ(f.n, REQBODY_FILTERS_MAX);
	free(most);
	char *longest = repeat("container=", "v", REQBODY_FILTER_VALUE_MAX, "");
	ASSERT_EQ(reqbody_parse_filters(longest, &f, &err), 0);
	ASSERT_EQ(strlen(f.f[0].value), REQBODY_FILTER_VALUE_MAX);
	free(longest);
}

TEST(filters_hostile)
{
	ASSERT_STREQ(filters_fail("image=x"),
		     "unknown filter `image=x`; allowed: container=NAME|ID, event=TYPE");
	ASSERT_STREQ(filters_fail("=x"), "unknown filter `=x`; allowed: container=NAME|ID, "
					 "event=TYPE");
	ASSERT_STREQ(filters_fail("x"), "filter `x` is not KEY=VALUE");
	ASSERT_STREQ(filters_fail("event="), "filter `event=` is not KEY=VALUE");
	ASSERT_STREQ(filters_fail("event=exit\ncontainer"), "filter `container` is not KEY=VALUE");
	ASSERT_STREQ(filters_fail("Container=x"),
		     "unknown filter `Container=x`; allowed: container=NAME|ID, event=TYPE");
	/* Control bytes are shown sanitized. */
	ASSERT_CONTAINS(filters_fail("ev\x1b[2Jent=x"), "unknown filter `ev");
	ASSERT(strchr(filters_fail("ev\x1b[2Jent=x"), '\x1b') == NULL);

	char *many = repeat("", "event=x\n", REQBODY_FILTERS_MAX + 1, "");
	ASSERT_STREQ(filters_fail(many), "more than 16 filters");
	free(many);
	char *value = repeat("container=", "v", REQBODY_FILTER_VALUE_MAX + 1, "");
	ASSERT_CONTAINS(filters_fail(value), "` is too long");
	ASSERT_CONTAINS(filters_fail(value), "filter `container=vvv");
	free(value);
	char *line = repeat("event=", "v", REQBODY_FILTER_VALUE_MAX + 40, "");
	ASSERT_CONTAINS(filters_fail(line), "` is too long");
	free(line);
}

RUN_TESTS(T(update_client_documents), T(update_hostile), T(update_shim_document_and_echo),
	  T(update_echo_hostile), T(shim_update_hostile), T(exec_client_document), T(exec_hostile),
	  T(filters_valid), T(filters_hostile));
