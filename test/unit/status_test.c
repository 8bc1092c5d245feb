/*
 * status_test: unit tests for src/store/status.c (test layer).
 *
 * Round trips through JSON and through state files in a temp directory, the exact JSON
 * shape, and strict rejection of unknown keys, versions, types, ranges and truncation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "store/status.h"
#include "store/store.h"

static struct status full_status(void)
{
	struct status s;

	status_init(&s);
	s.kind = STATUS_RESTARTING;
	s.pid = 4242;
	s.shim_pid = 99;
	s.started_ns = 1700000000123456789LL;
	s.finished_ns = 1700000100000000001LL;
	s.exit_code = 137;
	s.signal = 9;
	s.oom_killed = true;
	s.restart_count = 4000000000u;
	s.restart_streak = 7;
	s.next_start_ns = -1; /* 1969, one ns before the epoch: still a timestamp */
	s.stopped_by_user = true;
	s.log_dropped = 18446744073709551615ull;
	snprintf(s.reason, sizeof(s.reason), "killed \"hard\"\n\t\\ é");
	snprintf(s.error, sizeof(s.error), "exec: \"bahs\": executable file not found in $PATH");
	s.health.kind = STATUS_HEALTH_UNHEALTHY;
	s.health.failing_streak = 3;
	s.health.nlog = STATUS_HEALTH_LOG;
	for (int i = 0; i < STATUS_HEALTH_LOG; i++) {
		s.health.log[i].start_ns = 1700000000000000000LL + i;
		s.health.log[i].end_ns = 1700000000500000000LL + i;
		s.health.log[i].exit_code = i - 1;
		snprintf(s.health.log[i].output, sizeof(s.health.log[i].output), "try %d\n\x01", i);
	}
	/* One full-size output of control bytes: the worst case for the document's size. */
	memset(s.health.log[0].output, 0x02, STATUS_HEALTH_OUT_MAX);
	s.health.log[0].output[STATUS_HEALTH_OUT_MAX] = '\0';
	return s;
}

static void expect_equal(const struct status *a, const struct status *b, int *bad)
{
	*bad = a->kind != b->kind || a->pid != b->pid || a->shim_pid != b->shim_pid ||
	       a->started_ns != b->started_ns || a->finished_ns != b->finished_ns ||
	       a->exit_code != b->exit_code || a->signal != b->signal ||
	       a->oom_killed != b->oom_killed || a->restart_count != b->restart_count ||
	       a->restart_streak != b->restart_streak || a->next_start_ns != b->next_start_ns ||
	       a->stopped_by_user != b->stopped_by_user || strcmp(a->reason, b->reason) != 0 ||
	       strcmp(a->error, b->error) != 0 || a->log_dropped != b->log_dropped ||
	       a->health.kind != b->health.kind ||
	       a->health.failing_streak != b->health.failing_streak ||
	       a->health.nlog != b->health.nlog;
	for (size_t i = 0; !*bad && i < a->health.nlog; i++) {
		const struct status_probe *p = &a->health.log[i], *q = &b->health.log[i];

		*bad = p->start_ns != q->start_ns || p->end_ns != q->end_ns ||
		       p->exit_code != q->exit_code || strcmp(p->output, q->output) != 0;
	}
}

/* Parses text (NUL-terminated) and returns the result; the error goes to err. */
static int parse(const char *text, struct status *s, struct kerr *err)
{
	return status_from_json(s, text, strlen(text), err);
}

TEST(round_trip)
{
	struct status a = full_status(), b;
	struct buf out;
	struct kerr err;
	int bad;

	buf_init(&out, STATUS_JSON_MAX);
	ASSERT_EQ(status_to_json(&a, &out, &err), 0);
	memset(&b, 0x5a, sizeof(b));
	ASSERT_EQ(status_from_json(&b, (const char *)out.data, out.len, &err), 0);
	expect_equal(&a, &b, &bad);
	ASSERT_EQ(bad, 0);
	/* Every kind survives. */
	for (int k = STATUS_CREATED; k <= STATUS_DEAD; k++) {
		a.kind = (enum status_kind)k;
		buf_clear(&out);
		ASSERT_EQ(status_to_json(&a, &out, &err), 0);
		ASSERT_EQ(status_from_json(&b, (const char *)out.data, out.len, &err), 0);
		ASSERT_EQ(b.kind, k);
	}
	buf_done(&out);
}

TEST(exact_json)
{
	struct status s;
	struct buf out;
	struct kerr err;

	status_init(&s);
	s.kind = STATUS_RUNNING;
	s.pid = 123;
	s.shim_pid = 99;
	s.started_ns = 1136214245000000000LL; /* 2006-01-02T15:04:05Z */
	buf_init(&out, 1 << 16);
	ASSERT_EQ(status_to_json(&s, &out, &err), 0);
	ASSERT_EQ(buf_append(&out, "", 1, &err), 0);
	ASSERT_STREQ((const char *)out.data,
		     "{\"version\":1,\"status\":\"running\",\"pid\":123,\"shim_pid\":99,"
		     "\"started_at\":\"2006-01-02T15:04:05.000000000Z\",\"finished_at\":null,"
		     "\"exit_code\":0,\"signal\":0,\"oom_killed\":false,\"restart_count\":0,"
		     "\"restart_streak\":0,\"next_start\":null,\"stopped_by_user\":false,"
		     "\"reason\":\"\",\"error\":\"\",\"log_dropped_bytes\":0,\"health\":null}");
	/* With a check: docker's State.Health shape. */
	s.health.kind = STATUS_HEALTH_HEALTHY;
	s.health.nlog = 1;
	s.health.log[0] = (struct status_probe){ .start_ns = 1136214245000000000LL,
						 .end_ns = 1136214245000000000LL + 1,
						 .exit_code = 0 };
	snprintf(s.health.log[0].output, sizeof(s.health.log[0].output), "ok\n");
	buf_clear(&out);
	ASSERT_EQ(status_to_json(&s, &out, &err), 0);
	ASSERT_EQ(buf_append(&out, "", 1, &err), 0);
	ASSERT_CONTAINS((const char *)out.data,
			"\"health\":{\"status\":\"healthy\",\"failing_streak\":0,\"log\":[{"
			"\"start\":\"2006-01-02T15:04:05.000000000Z\","
			"\"end\":\"2006-01-02T15:04:05.000000001Z\",\"exit_code\":0,"
			"\"output\":\"ok\\n\"}]}}");
	buf_done(&out);
}

/* Docker's rules: start period, retries, one success heals, the log keeps five. */
TEST(health_rules)
{
	struct status_health h = { .kind = STATUS_HEALTH_NONE };
	struct status_probe fail = { .exit_code = 1 }, pass = { .exit_code = 0 };

	status_health_reset(&h);
	ASSERT_EQ(h.kind, STATUS_HEALTH_STARTING);
	/* Failures in the start period do not count. */
	ASSERT_EQ(status_health_add(&h, &fail, true, 3), false);
	ASSERT_EQ(status_health_add(&h, &fail, true, 3), false);
	ASSERT_EQ(h.failing_streak, 0u);
	ASSERT_EQ(h.nlog, 2u);
	/* After it, retries failures in a row make it unhealthy. */
	ASSERT_EQ(status_health_add(&h, &fail, false, 3), false);
	ASSERT_EQ(status_health_add(&h, &fail, false, 3), false);
	ASSERT_EQ(h.kind, STATUS_HEALTH_STARTING);
	ASSERT_EQ(status_health_add(&h, &fail, false, 3), true);
	ASSERT_EQ(h.kind, STATUS_HEALTH_UNHEALTHY);
	ASSERT_EQ(h.failing_streak, 3u);
	ASSERT_EQ(h.nlog, (size_t)STATUS_HEALTH_LOG);
	/* One success heals; the log drops its oldest entry. */
	pass.start_ns = 42;
	ASSERT_EQ(status_health_add(&h, &pass, false, 3), true);
	ASSERT_EQ(h.kind, STATUS_HEALTH_HEALTHY);
	ASSERT_EQ(h.failing_streak, 0u);
	ASSERT_EQ(h.nlog, (size_t)STATUS_HEALTH_LOG);
	ASSERT_EQ(h.log[STATUS_HEALTH_LOG - 1].start_ns, 42);
	/* Healthy: the start period no longer protects; timeouts (-1) are failures. */
	fail.exit_code = -1;
	ASSERT_EQ(status_health_add(&h, &fail, true, 2), false);
	ASSERT_EQ(status_health_add(&h, &fail, true, 2), true);
	ASSERT_EQ(h.kind, STATUS_HEALTH_UNHEALTHY);
	/* A restart: starting again with the log kept. */
	status_health_reset(&h);
	ASSERT_EQ(h.kind, STATUS_HEALTH_STARTING);
	ASSERT_EQ(h.failing_streak, 0u);
	ASSERT_EQ(h.nlog, (size_t)STATUS_HEALTH_LOG);
	ASSERT_STREQ(status_health_name(STATUS_HEALTH_UNHEALTHY), "unhealthy");
	ASSERT_STREQ(status_health_name((enum status_health_kind)9), "unknown");
}

TEST(health_rejects)
{
	static const char *const bad[] = {
		"{\"version\":1,\"status\":\"running\",\"health\":1}",
		"{\"version\":1,\"status\":\"running\",\"health\":{}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"none\"}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"healthy\","
		"\"x\":1}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"healthy\","
		"\"failing_streak\":-1}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"healthy\","
		"\"log\":[{},{},{},{},{},{}]}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"healthy\","
		"\"log\":[1]}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"healthy\","
		"\"log\":[{\"exit_code\":256}]}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"healthy\","
		"\"log\":[{\"exit_code\":0,\"exit_code\":0}]}}",
		"{\"version\":1,\"status\":\"running\",\"health\":{\"status\":\"healthy\","
		"\"log\":[{\"output\":7}]}}",
	};
	struct status s;
	struct kerr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &s, &err) != -1)
			HARNESS_FAIL("accepted `%s`", bad[i]);
	ASSERT_EQ(parse("{\"version\":1,\"status\":\"running\",\"health\":{\"status\":"
			"\"starting\",\"log\":[{\"exit_code\":-1,\"output\":\"x\"}]}}",
			&s, &err),
		  0);
	ASSERT_EQ(s.health.kind, STATUS_HEALTH_STARTING);
	ASSERT_EQ(s.health.nlog, 1u);
	ASSERT_EQ(s.health.log[0].exit_code, -1);
	ASSERT_STREQ(s.health.log[0].output, "x");
}

TEST(minimal_and_defaults)
{
	struct status s;
	struct kerr err;

	ASSERT_EQ(parse("{\"version\":1,\"status\":\"exited\"}", &s, &err), 0);
	ASSERT_EQ(s.kind, STATUS_EXITED);
	ASSERT_EQ(s.pid, 0);
	ASSERT_EQ(s.started_ns, 0);
	ASSERT_STREQ(s.reason, "");
	/* Offsets are accepted and normalised to UTC; whitespace is fine. */
	ASSERT_EQ(parse(" { \"status\" : \"dead\" , \"version\" : 1 ,"
			"\"started_at\":\"2006-01-02T17:04:05+02:00\" } ",
			&s, &err),
		  0);
	ASSERT_EQ(s.kind, STATUS_DEAD);
	ASSERT_EQ(s.started_ns, 1136214245000000000LL);
}

TEST(rejects_unknown_key)
{
	struct status s = full_status(), before = full_status();
	struct kerr err;
	int bad;

	ASSERT_EQ(parse("{\"version\":1,\"status\":\"running\",\"colour\":\"red\"}", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "unknown key `colour`");
	ASSERT_CONTAINS(err.msg, "expected version, status, pid");
	/* A failed parse leaves the struct untouched. */
	expect_equal(&s, &before, &bad);
	ASSERT_EQ(bad, 0);
	/* Case matters, and an escaped spelling of a known key is that key. */
	ASSERT_EQ(parse("{\"version\":1,\"Status\":\"running\"}", &s, &err), -1);
	ASSERT_EQ(parse("{\"version\":1,\"st\\u0061tus\":\"running\"}", &s, &err), 0);
	ASSERT_EQ(parse("{\"version\":1,\"status\":\"running\",\"status\":\"exited\"}", &s, &err),
		  -1);
	ASSERT_CONTAINS(err.msg, "duplicate key");
	/* A hostile key is sanitized in the message. */
	ASSERT_EQ(parse("{\"version\":1,\"status\":\"running\",\"\\u001b[31m\":1}", &s, &err), -1);
	ASSERT(!strchr(err.msg, '\x1b'));
}

TEST(rejects_wrong_version)
{
	struct status s;
	struct kerr err;

	ASSERT_EQ(parse("{\"version\":2,\"status\":\"running\"}", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "status version 2, expected 1");
	ASSERT_EQ(parse("{\"version\":0,\"status\":\"running\"}", &s, &err), -1);
	ASSERT_EQ(parse("{\"version\":\"1\",\"status\":\"running\"}", &s, &err), -1);
	ASSERT_EQ(parse("{\"version\":1.0,\"status\":\"running\"}", &s, &err), -1);
	ASSERT_EQ(parse("{\"status\":\"running\"}", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "key `version` missing");
	ASSERT_EQ(parse("{\"version\":1}", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "key `status` missing");
}

TEST(rejects_wrong_types_and_ranges)
{
	static const char *const bad[] = {
		"\"status\":\"zombie\"",
		"\"status\":\"Running\"",
		"\"status\":1",
		"\"status\":null",
		"\"pid\":\"1\"",
		"\"pid\":-1",
		"\"pid\":2147483648",
		"\"pid\":1.5",
		"\"shim_pid\":true",
		"\"started_at\":5",
		"\"started_at\":\"yesterday\"",
		"\"started_at\":\"2006-01-02 15:04:05Z\"",
		"\"finished_at\":{}",
		"\"exit_code\":256",
		"\"exit_code\":-1",
		"\"signal\":65",
		"\"oom_killed\":1",
		"\"oom_killed\":\"true\"",
		"\"restart_count\":-1",
		"\"restart_count\":4294967296",
		"\"next_start\":[]",
		"\"stopped_by_user\":null",
		"\"reason\":1",
		"\"reason\":\"0123456789012345678901234567890123456789012345678901234567890123\"",
		"\"error\":null",
	};
	struct status s;
	struct kerr err;
	char text[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"version\":1,\"status\":\"running\",%s}", bad[i]);
		if (strncmp(bad[i], "\"status\"", 8) == 0)
			snprintf(text, sizeof(text), "{\"version\":1,%s}", bad[i]);
		if (parse(text, &s, &err) != -1)
			HARNESS_FAIL("accepted %s", text);
		ASSERT_CONTAINS(err.msg, "parse status");
	}
	ASSERT_EQ(parse("{\"version\":1,\"status\":\"running\",\"exit_code\":256}", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "key `exit_code`: 256 is out of range, expected 0..255");
	ASSERT_EQ(parse("{\"version\":1,\"status\":\"zombie\"}", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "unknown status `zombie`, expected one of created, running");
	/* The longest reason that fits is accepted. */
	ASSERT_EQ(parse("{\"version\":1,\"status\":\"running\",\"reason\":"
			"\"012345678901234567890123456789012345678901234567890123456789012\"}",
			&s, &err),
		  0);
	ASSERT_EQ(strlen(s.reason), 63);
}

TEST(rejects_truncated_and_non_objects)
{
	struct status a = full_status(), s;
	struct buf out;
	struct kerr err;

	buf_init(&out, 1 << 16);
	ASSERT_EQ(status_to_json(&a, &out, &err), 0);
	for (size_t n = 0; n < out.len; n++)
		if (status_from_json(&s, (const char *)out.data, n, &err) != -1)
			HARNESS_FAIL("accepted a prefix of %zu bytes", n);
	buf_done(&out);
	static const char *const bad[] = {
		"",
		"   ",
		"[]",
		"1",
		"null",
		"\"status\"",
		"{\"version\":1,\"status\":\"running\"}x",
		"{\"version\":1,\"status\":\"running\"",
		"{\"version\":1,\"status\":\"running\",}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &s, &err) != -1)
			HARNESS_FAIL("accepted `%s`", bad[i]);
	/* A NUL inside the document. */
	ASSERT_EQ(status_from_json(&s, "{\"version\":1,\0", 14, &err), -1);
}

TEST(invalid_utf8_text_still_round_trips)
{
	struct status a, b;
	struct buf out;
	struct kerr err;

	status_init(&a);
	memset(a.error, 0xff, sizeof(a.error) - 1);
	a.error[sizeof(a.error) - 1] = '\0';
	snprintf(a.reason, sizeof(a.reason), "%s", "ok \xc3\xa9 bad \xc3 \xed\xa0\x80 end");
	buf_init(&out, 1 << 16);
	ASSERT_EQ(status_to_json(&a, &out, &err), 0);
	ASSERT_EQ(status_from_json(&b, (const char *)out.data, out.len, &err), 0);
	ASSERT_EQ(strlen(b.error), sizeof(a.error) - 1);
	ASSERT_EQ(strspn(b.error, "?"), sizeof(a.error) - 1);
	ASSERT_STREQ(b.reason, "ok \xc3\xa9 bad ? ??? end");
	buf_done(&out);
}

TEST(kind_names)
{
	enum status_kind k;
	struct kerr err;

	ASSERT_STREQ(status_kind_name(STATUS_CREATED), "created");
	ASSERT_STREQ(status_kind_name(STATUS_DEAD), "dead");
	ASSERT_STREQ(status_kind_name((enum status_kind)99), "unknown");
	ASSERT_EQ(status_kind_parse("paused", &k, &err), 0);
	ASSERT_EQ(k, STATUS_PAUSED);
	ASSERT_EQ(status_kind_parse("", &k, &err), -1);
	ASSERT_EQ(status_kind_parse(NULL, &k, &err), -1);
}

TEST(files)
{
	char base[] = "/tmp/kettle-status-test.XXXXXX", p[64];
	struct status a = full_status(), b;
	struct kerr err;
	struct stat st;
	int bad;

	ASSERT(mkdtemp(base));
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	ASSERT_EQ(status_read(dfd, STORE_EXIT, &b, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_EQ(status_write(dfd, STORE_EXIT, &a, true, &err), 0);
	ASSERT_EQ(status_read(dfd, STORE_EXIT, &b, &err), 0);
	expect_equal(&a, &b, &bad);
	ASSERT_EQ(bad, 0);
	snprintf(p, sizeof(p), "%s/%s", base, STORE_EXIT);
	ASSERT_EQ(stat(p, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	/* A corrupt file is an error naming the file. */
	ASSERT_EQ(store_write_atomic(dfd, STORE_STATE, "{\"version\":1", 12, 0600, false, &err), 0);
	ASSERT_EQ(status_read(dfd, STORE_STATE, &b, &err), -1);
	ASSERT_CONTAINS(err.msg, "read `state.json`: parse status");
	unlinkat(dfd, STORE_EXIT, 0);
	unlinkat(dfd, STORE_STATE, 0);
	close(dfd);
	rmdir(base);
}

RUN_TESTS(T(round_trip), T(exact_json), T(minimal_and_defaults), T(rejects_unknown_key),
	  T(rejects_wrong_version), T(rejects_wrong_types_and_ranges),
	  T(rejects_truncated_and_non_objects), T(invalid_utf8_text_still_round_trips),
	  T(kind_names), T(files), T(health_rules), T(health_rejects))
