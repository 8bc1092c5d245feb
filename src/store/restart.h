/*
 * restart: restart policies and the crash-loop backoff as pure functions (mechanism M1).
 *
 * Policies have docker's names and meanings (`no`, `on-failure[:MAX]`, `always`,
 * `unless-stopped`); the backoff is the kubelet's: the first restart at once, then
 * base, doubling, capped at max, and the streak forgotten once a run lasted reset.
 * The shim asks restart_decide() after every exit and arms a loop timer with its delay;
 * the daemon asks it when a shim was lost. No I/O, no clock, no allocation: time comes
 * in as arguments, so the unit tests drive it with millisecond settings.
 */
#ifndef KETTLE_RESTART_H
#define KETTLE_RESTART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"

#define RESTART_DELAY_MS     10000u	   /* kubelet: first backoff delay */
#define RESTART_MAX_DELAY_MS 300000u	   /* kubelet: backoff cap (5 minutes) */
#define RESTART_RESET_MS     600000u	   /* kubelet: a run this long ends the streak */
#define RESTART_DURATION_MAX (86400000ull) /* longest delay, cap or reset accepted (1 day) */
#define RESTART_MAX_RETRIES  1000000u	   /* largest on-failure:MAX */
#define RESTART_POLICY_LEN   24		   /* "on-failure:1000000" plus NUL, rounded up */

enum restart_policy {
	RESTART_NO = 0,	       /* never (the default) */
	RESTART_ON_FAILURE,    /* non-zero exits only, at most max_retries times */
	RESTART_ALWAYS,	       /* every exit, unless a person stopped it */
	RESTART_UNLESS_STOPPED /* like always; also not brought back after a reboot once stopped */
};

struct restart_spec {
	enum restart_policy policy; /* see above */
	uint32_t max_retries;	    /* on-failure:MAX; 0 = no limit */
};

/* The three backoff knobs, ms. A zero base means "restart at once, every time". */
struct restart_backoff {
	uint64_t base_ms;  /* delay of the second restart of a streak */
	uint64_t max_ms;   /* cap of the doubling */
	uint64_t reset_ms; /* a run at least this long starts a new streak */
};

/* What happened and what came before. */
struct restart_input {
	int exit_code;	      /* 0..255; 128+N when killed by signal N */
	bool stopped_by_user; /* stop/kill/rm by a person ended this run */
	uint64_t run_ms;      /* how long the run that just ended lasted */
	unsigned streak;      /* restarts in the current crash loop so far */
	unsigned count;	      /* restarts since a person last started it (on-failure:MAX) */
};

struct restart_decision {
	bool restart;	   /* start it again */
	uint64_t delay_ms; /* after this long (0: at once) */
	unsigned streak;   /* the streak including this restart (0 when not restarting) */
};

/* "no", "on-failure", "on-failure:5", "always", "unless-stopped" (exact, lowercase). */
int restart_parse(const char *s, struct restart_spec *out, struct kerr *err);
/* The canonical text restart_parse accepts back; out holds RESTART_POLICY_LEN bytes. */
void restart_format(const struct restart_spec *spec, char *out, size_t cap);
/* Kubelet backoff for the n-th restart of a streak (n = 1 is the first): 0, base, 2 base,
 * … capped at max. */
uint64_t restart_delay(const struct restart_backoff *b, unsigned n);
/* Whether and when to start again after an exit. */
struct restart_decision restart_decide(const struct restart_spec *spec,
				       const struct restart_backoff *b,
				       const struct restart_input *in);

#endif
