/*
 * fuzz_reqbody: libFuzzer target for the request bodies (test layer, fuzzes src/ipc/reqbody.c).
 *
 * The first byte picks the parser (0 UPDATE request, 1 the shim's update echo, 2 a
 * SHIM_UPDATE document, 3 an exec request, 4 EVENTS' filter text; modulo 5), the rest is
 * the body. A failure must leave a non-empty NUL-terminated message and nothing allocated
 * (the leak check runs in the fuzzer and in the ASan replay). A success must respect the
 * caps, and where an encoder exists encode, parse again and give the same values: the
 * request through the daemon's SHIM_UPDATE document and back through the echo and the
 * shim's parser, the exec request through the client's encoder. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/reqbody.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_failed(const struct kerr *err)
{
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(err->msg[0] != '\0');
}

static bool same_restart(const struct restart_spec *a, const struct restart_spec *b)
{
	return a->policy == b->policy && a->max_retries == b->max_retries;
}

/* u through the daemon's SHIM_UPDATE document: the shim accepts it, and its echo parses
 * back to u with "no limit" spelled 0. */
static void update_round_trip(const struct reqbody_update *u)
{
	struct reqbody_update e;
	struct reqbody_shim_update s;
	struct kerr err;
	struct buf b;

	buf_init(&b, REQBODY_UPDATE_JSON_MAX);
	if (reqbody_encode_shim_update(u, &b, &err) < 0) {
		check_failed(&err);
		/* Only values record_validate refuses first may fail. */
		CHECK((u->has_memory && u->memory_bytes > INT64_MAX) ||
		      (u->has_cpus && u->cpus_milli > INT64_MAX / 100));
		CHECK(b.len == 0);
		buf_done(&b);
		return;
	}
	CHECK(reqbody_parse_update_echo(b.data, b.len, &e, &err) == 0);
	CHECK(e.has_memory == u->has_memory && e.has_cpus == u->has_cpus);
	CHECK(e.has_pids == u->has_pids && e.has_restart == u->has_restart);
	CHECK(!u->has_memory || e.memory_bytes == u->memory_bytes);
	CHECK(!u->has_cpus || e.cpus_milli == u->cpus_milli);
	CHECK(!u->has_pids || e.pids_limit == (u->pids_limit > 0 ? u->pids_limit : 0));
	CHECK(!u->has_restart || same_restart(&e.restart, &u->restart));

	CHECK(reqbody_parse_shim_update((const char *)b.data, b.len, &s, &err) == 0);
	CHECK((s.res_start >= 0) == (u->has_memory || u->has_cpus || u->has_pids));
	if (s.res_start >= 0) {
		CHECK(s.res_start < s.res_end && (size_t)s.res_end <= b.len);
		CHECK(b.data[s.res_start] == '{' && b.data[s.res_end - 1] == '}');
	} else {
		CHECK(s.res_end == -1);
	}
	CHECK(s.has_restart == u->has_restart);
	CHECK(!u->has_restart || same_restart(&s.restart, &u->restart));
	buf_done(&b);
}

static void fuzz_update(const uint8_t *data, size_t size)
{
	struct reqbody_update u;
	struct kerr err;

	if (reqbody_parse_update((const char *)data, size, &u, &err) < 0) {
		check_failed(&err);
		return;
	}
	CHECK(size <= REQBODY_UPDATE_JSON_MAX);
	CHECK(u.has_memory || u.has_cpus || u.has_pids || u.has_restart);
	update_round_trip(&u);
}

static void fuzz_echo(const uint8_t *data, size_t size)
{
	struct reqbody_update u;
	struct kerr err;

	if (reqbody_parse_update_echo(data, size, &u, &err) < 0) {
		check_failed(&err);
		return;
	}
	CHECK(size <= REQBODY_UPDATE_JSON_MAX);
	/* The echo is the daemon's own document: it is a fixed point of the round trip. */
	CHECK(!u.has_memory || u.memory_bytes <= INT64_MAX);
	CHECK(!u.has_pids || u.pids_limit >= 0);
	update_round_trip(&u);
}

static void fuzz_shim_update(const uint8_t *data, size_t size)
{
	struct reqbody_shim_update s;
	struct kerr err;

	if (reqbody_parse_shim_update((const char *)data, size, &s, &err) < 0) {
		check_failed(&err);
		return;
	}
	CHECK(size <= REQBODY_SHIM_UPDATE_JSON_MAX);
	if (s.res_start < 0) {
		CHECK(s.res_end == -1);
		return;
	}
	/* The resources object's bytes go to runc as a file of their own. */
	CHECK(s.res_start < s.res_end && (size_t)s.res_end <= size);
	CHECK(data[s.res_start] == '{' && data[s.res_end - 1] == '}');
}

static void check_strv(const struct reqbody_strv *v)
{
	CHECK(v->n <= REQBODY_LIST_MAX);
	CHECK(v->n == 0 || v->v != NULL);
	for (size_t i = 0; i < v->n; i++)
		CHECK(v->v[i] != NULL);
	CHECK(v->v == NULL || v->v[v->n] == NULL);
}

static bool same_strv(const struct reqbody_strv *a, const struct reqbody_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static void fuzz_exec(const uint8_t *data, size_t size)
{
	struct reqbody_exec q, q2;
	struct kerr err;
	struct buf b;

	if (reqbody_parse_exec((const char *)data, size, &q, &err) < 0) {
		check_failed(&err);
		CHECK(!q.args.v && !q.env.v && !q.cwd && !q.args.n && !q.env.n);
		return;
	}
	CHECK(q.args.n >= 1);
	check_strv(&q.args);
	check_strv(&q.env);
	CHECK(!q.user_set || (q.uid < UINT32_MAX && q.gid < UINT32_MAX));
	CHECK(q.user_set || (q.uid == 0 && q.gid == 0));
	/* The client's encoder writes it back; the shim reads the very same request. A NUL
	 * inside a string would shorten it here and show up as a difference. */
	buf_init(&b, 8 * size + 256);
	CHECK(reqbody_encode_exec(&q, &b, &err) == 0);
	CHECK(reqbody_parse_exec((const char *)b.data, b.len, &q2, &err) == 0);
	CHECK(same_strv(&q.args, &q2.args) && same_strv(&q.env, &q2.env));
	CHECK((q.cwd == NULL) == (q2.cwd == NULL));
	CHECK(!q.cwd || strcmp(q.cwd, q2.cwd) == 0);
	CHECK(q.user_set == q2.user_set && q.uid == q2.uid && q.gid == q2.gid);
	CHECK(q.tty == q2.tty);
	buf_done(&b);
	reqbody_exec_done(&q2);
	reqbody_exec_done(&q);
	CHECK(!q.args.v && !q.cwd);
}

static void fuzz_filters(const uint8_t *data, size_t size)
{
	static struct reqbody_filters f;
	char text[REQBODY_FILTER_TEXT_MAX];
	struct kerr err;

	/* The daemon reads FILTER as a string into a buffer this big. */
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (reqbody_parse_filters(text, &f, &err) < 0) {
		check_failed(&err);
		return;
	}
	CHECK(f.n <= REQBODY_FILTERS_MAX);
	for (size_t i = 0; i < f.n; i++) {
		size_t len = strnlen(f.f[i].value, sizeof(f.f[i].value));

		CHECK(f.f[i].key == REQBODY_FILTER_CONTAINER || f.f[i].key == REQBODY_FILTER_EVENT);
		CHECK(len >= 1 && len <= REQBODY_FILTER_VALUE_MAX);
		CHECK(strchr(f.f[i].value, '\n') == NULL);
		CHECK(strstr(text, f.f[i].value) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 5) {
	case 0:
		fuzz_update(data + 1, size - 1);
		break;
	case 1:
		fuzz_echo(data + 1, size - 1);
		break;
	case 2:
		fuzz_shim_update(data + 1, size - 1);
		break;
	case 3:
		fuzz_exec(data + 1, size - 1);
		break;
	default:
		fuzz_filters(data + 1, size - 1);
		break;
	}
	return 0;
}
