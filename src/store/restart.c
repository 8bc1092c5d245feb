/*
 * restart: restart policies and the kubelet's crash-loop backoff (mechanism M1, pure).
 *
 * Why the kubelet's numbers and not docker's: docker waits 100 ms, doubles to a 1 minute
 * cap and forgets the streak after 10 s of running, so a container that crashes after 11 s
 * is restarted every 100 ms forever. The kubelet (10 s, doubling, 5 minute cap, reset
 * after 10 minutes) keeps a crash loop cheap for the host and visible as CrashLoopBackOff.
 * Invariants: no I/O, no clock, no allocation; every sum and shift is overflow-checked.
 */
#include <stdio.h>
#include <string.h>

#include "store/restart.h"
#include "base/str.h"

int restart_parse(const char *s, struct restart_spec *out, struct kerr *err)
{
	static const char allowed[] = "allowed: no, on-failure[:MAX], always, unless-stopped";
	char shown[RESTART_POLICY_LEN + 8];

	*out = (struct restart_spec){ .policy = RESTART_NO };
	if (strcmp(s, "no") == 0)
		return 0;
	if (strcmp(s, "always") == 0) {
		out->policy = RESTART_ALWAYS;
		return 0;
	}
	if (strcmp(s, "unless-stopped") == 0) {
		out->policy = RESTART_UNLESS_STOPPED;
		return 0;
	}
	if (strcmp(s, "on-failure") == 0) {
		out->policy = RESTART_ON_FAILURE;
		return 0;
	}
	if (str_has_prefix(s, "on-failure:")) {
		uint64_t n;

		if (str_to_u64(s + strlen("on-failure:"), RESTART_MAX_RETRIES, &n, err) < 0)
			return kerr_wrap(err, "restart policy `on-failure:MAX`, MAX 0..%u",
					 RESTART_MAX_RETRIES);
		out->policy = RESTART_ON_FAILURE;
		out->max_retries = (uint32_t)n;
		return 0;
	}
	str_sanitize(shown, sizeof(shown), s, strlen(s));
	return kerr_set(err, 0, "unknown restart policy `%s`; %s", shown, allowed);
}

void restart_format(const struct restart_spec *spec, char *out, size_t cap)
{
	switch (spec->policy) {
	case RESTART_ON_FAILURE:
		if (spec->max_retries)
			snprintf(out, cap, "on-failure:%u", spec->max_retries);
		else
			snprintf(out, cap, "on-failure");
		return;
	case RESTART_ALWAYS:
		snprintf(out, cap, "always");
		return;
	case RESTART_UNLESS_STOPPED:
		snprintf(out, cap, "unless-stopped");
		return;
	default:
		snprintf(out, cap, "no");
		return;
	}
}

uint64_t restart_delay(const struct restart_backoff *b, unsigned n)
{
	uint64_t d = b->base_ms;

	if (n <= 1 || d == 0)
		return 0;
	/* base << (n - 2), stopping at the cap before the shift could overflow. */
	for (unsigned i = 2; i < n && d < b->max_ms; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	return d < b->max_ms ? d : b->max_ms;
}

struct restart_decision restart_decide(const struct restart_spec *spec,
				       const struct restart_backoff *b,
				       const struct restart_input *in)
{
	struct restart_decision no = { .restart = false };
	unsigned streak = in->streak;

	switch (spec->policy) {
	case RESTART_NO:
		return no;
	case RESTART_ON_FAILURE:
		if (in->exit_code == 0)
			return no;
		if (spec->max_retries && in->count >= spec->max_retries)
			return no;
		break;
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		break;
	default:
		return no;
	}
	/* docker: a container a person stopped or killed stays down whatever its policy. */
	if (in->stopped_by_user)
		return no;
	/* The kubelet forgets the streak once a run lasted the reset time. */
	if (in->run_ms >= b->reset_ms)
		streak = 0;
	if (streak < UINT32_MAX)
		streak++;
	return (struct restart_decision){
		.restart = true,
		.delay_ms = restart_delay(b, streak),
		.streak = streak,
	};
}
