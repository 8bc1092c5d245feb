/*
 * restart_test: unit tests for src/store/restart.c (test layer).
 *
 * Policy parsing (canonical forms, hostile input), the kubelet delay sequence with 50 ms
 * settings (at once, base, doubling, cap, no overflow), and every policy against exit 0,
 * exit 3, a kill, a person's stop, on-failure:MAX and the streak reset after a long run.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "store/restart.h"

static const struct restart_backoff fast = { .base_ms = 50, .max_ms = 400, .reset_ms = 1000 };

static struct restart_decision decide(const char *policy, int code, bool stopped, uint64_t run,
				      unsigned streak, unsigned count)
{
	struct restart_spec spec;
	struct kerr err;
	struct restart_input in = {
		.exit_code = code,
		.stopped_by_user = stopped,
		.run_ms = run,
		.streak = streak,
		.count = count,
	};

	if (restart_parse(policy, &spec, &err) < 0)
		return (struct restart_decision){ .restart = false, .delay_ms = UINT64_MAX };
	return restart_decide(&spec, &fast, &in);
}

TEST(parse_canonical_round_trip)
{
	static const char *const ok[] = { "no",	    "on-failure",     "on-failure:5",
					  "always", "unless-stopped", "on-failure:1000000" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct restart_spec s;
		struct kerr err;
		char out[RESTART_POLICY_LEN];

		ASSERT_EQ(restart_parse(ok[i], &s, &err), 0);
		restart_format(&s, out, sizeof(out));
		ASSERT_STREQ(out, ok[i]);
	}
}

TEST(parse_values)
{
	struct restart_spec s;
	struct kerr err;

	ASSERT_EQ(restart_parse("on-failure:3", &s, &err), 0);
	ASSERT_EQ(s.policy, RESTART_ON_FAILURE);
	ASSERT_EQ(s.max_retries, 3);
	ASSERT_EQ(restart_parse("on-failure:0", &s, &err), 0);
	ASSERT_EQ(s.max_retries, 0);
	ASSERT_EQ(restart_parse("unless-stopped", &s, &err), 0);
	ASSERT_EQ(s.policy, RESTART_UNLESS_STOPPED);
}

TEST(parse_rejects_hostile_input)
{
	static const char *const bad[] = { "",
					   "No",
					   "always ",
					   "on-failure:",
					   "on-failure:-1",
					   "on-failure:x",
					   "on-failure:1000001",
					   "on-failure:99999999999999999999",
					   "never",
					   "always:3",
					   "on-failure:3:4",
					   "\x01\xff" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct restart_spec s;
		struct kerr err;

		ASSERT_EQ(restart_parse(bad[i], &s, &err), -1);
		ASSERT_EQ(s.policy, RESTART_NO);
	}
	struct restart_spec s;
	struct kerr err;
	ASSERT_EQ(restart_parse("sometimes", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "unknown restart policy `sometimes`");
	ASSERT_CONTAINS(err.msg, "allowed: no, on-failure[:MAX], always, unless-stopped");
	ASSERT_EQ(restart_parse("\x01", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "`\\x01`");
	ASSERT_EQ(restart_parse("on-failure:x", &s, &err), -1);
	ASSERT_CONTAINS(err.msg, "on-failure:MAX");
}

TEST(delay_sequence_kubelet)
{
	static const uint64_t want[] = { 0, 0, 50, 100, 200, 400, 400, 400 };

	for (unsigned n = 0; n < sizeof(want) / sizeof(want[0]); n++)
		ASSERT_U64_EQ(restart_delay(&fast, n), want[n]);
	struct restart_backoff k = { RESTART_DELAY_MS, RESTART_MAX_DELAY_MS, RESTART_RESET_MS };
	ASSERT_U64_EQ(restart_delay(&k, 1), 0);
	ASSERT_U64_EQ(restart_delay(&k, 2), 10000);
	ASSERT_U64_EQ(restart_delay(&k, 6), 160000);
	ASSERT_U64_EQ(restart_delay(&k, 7), 300000);
}

TEST(delay_no_overflow)
{
	struct restart_backoff huge = { .base_ms = UINT64_MAX / 3,
					.max_ms = UINT64_MAX,
					.reset_ms = 1 };
	struct restart_backoff zero = { .base_ms = 0, .max_ms = 400, .reset_ms = 1 };
	struct restart_backoff low_cap = { .base_ms = 500, .max_ms = 100, .reset_ms = 1 };

	ASSERT_U64_EQ(restart_delay(&huge, 4000000000u), UINT64_MAX);
	ASSERT_U64_EQ(restart_delay(&fast, UINT32_MAX), 400);
	ASSERT_U64_EQ(restart_delay(&zero, 9), 0);
	ASSERT_U64_EQ(restart_delay(&low_cap, 2), 100);
}

TEST(policy_no)
{
	ASSERT_EQ(decide("no", 0, false, 10, 0, 0).restart, false);
	ASSERT_EQ(decide("no", 3, false, 10, 0, 0).restart, false);
	ASSERT_EQ(decide("no", 137, false, 10, 0, 0).restart, false);
}

TEST(policy_on_failure)
{
	ASSERT_EQ(decide("on-failure", 0, false, 10, 0, 0).restart, false);
	ASSERT_EQ(decide("on-failure", 3, false, 10, 0, 0).restart, true);
	ASSERT_EQ(decide("on-failure", 137, false, 10, 0, 0).restart, true);
	ASSERT_EQ(decide("on-failure", 3, true, 10, 0, 0).restart, false);
	/* MAX restarts at most: the MAXth is allowed, the next is not. */
	ASSERT_EQ(decide("on-failure:2", 3, false, 10, 1, 1).restart, true);
	ASSERT_EQ(decide("on-failure:2", 3, false, 10, 2, 2).restart, false);
	ASSERT_EQ(decide("on-failure:0", 3, false, 10, 50, 50).restart, true);
}

TEST(policy_always_and_unless_stopped)
{
	static const char *const p[] = { "always", "unless-stopped" };

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(decide(p[i], 0, false, 10, 0, 0).restart, true);
		ASSERT_EQ(decide(p[i], 3, false, 10, 0, 0).restart, true);
		ASSERT_EQ(decide(p[i], 137, false, 10, 0, 0).restart, true);
		ASSERT_EQ(decide(p[i], 137, true, 10, 0, 0).restart, false);
		ASSERT_EQ(decide(p[i], 0, true, 10, 0, 0).restart, false);
	}
}

TEST(backoff_doubles_to_cap)
{
	static const uint64_t want[] = { 0, 50, 100, 200, 400, 400 };
	unsigned streak = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct restart_decision d = decide("always", 1, false, 5, streak, streak);

		ASSERT_EQ(d.restart, true);
		ASSERT_U64_EQ(d.delay_ms, want[i]);
		ASSERT_EQ(d.streak, streak + 1);
		streak = d.streak;
	}
}

TEST(backoff_resets_after_long_run)
{
	struct restart_decision d = decide("always", 1, false, 999, 4, 4);

	ASSERT_U64_EQ(d.delay_ms, 400);
	ASSERT_EQ(d.streak, 5);
	d = decide("always", 1, false, 1000, 5, 5);
	ASSERT_U64_EQ(d.delay_ms, 0);
	ASSERT_EQ(d.streak, 1);
	d = decide("always", 1, false, 3, d.streak, 6);
	ASSERT_U64_EQ(d.delay_ms, 50);
}

TEST(unknown_policy_value_never_restarts)
{
	struct restart_spec s = { .policy = (enum restart_policy)77 };
	struct restart_input in = { .exit_code = 1 };

	ASSERT_EQ(restart_decide(&s, &fast, &in).restart, false);
}

RUN_TESTS(T(parse_canonical_round_trip), T(parse_values), T(parse_rejects_hostile_input),
	  T(delay_sequence_kubelet), T(delay_no_overflow), T(policy_no), T(policy_on_failure),
	  T(policy_always_and_unless_stopped), T(backoff_doubles_to_cap),
	  T(backoff_resets_after_long_run), T(unknown_policy_value_never_restarts))
