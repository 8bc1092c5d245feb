/*
 * daemon_death: a shim's death and what its container becomes (role, layer 3; middle band
 * of the daemon). A shim is gone only when its pidfd is readable AND its connection and
 * ready pipe are closed, so every frame it sent before dying is handled first; the caller
 * (daemon_watch.c) then completes the requests. A shim that dies while its container may
 * still run is "lost": runc's container is deleted, exit 137 recorded (exit.json first),
 * then the restart policy decides as the shim would have, or docker's boot rule after a
 * host reboot. Calls only daemon_spawn and the bottom band; never a handler, a completion
 * or a dispatcher. Never blocks: `runc delete` is reaped by SIGCHLD, delays are timers.
 */
#include <signal.h>
#include <stdio.h>

#include "base/clock.h"
#include "daemon/daemon_death.h"
#include "daemon/daemon_events.h"
#include "daemon/daemon_net.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_runtime.h"
#include "daemon/daemon_spawn.h"
#include "base/fd.h"
#include "base/log.h"
#include "store/store.h"
#include "base/str.h"

#define SHIM_LOST_EXIT	137  /* exit code recorded for a lost shim (SIGKILL'd container) */
#define RESTART_WAIT_MS 5000 /* a lost shim's container delete, waited for at most */
#define RESTART_POLL_MS 50   /* how often that delete is checked */

static int write_status(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, err) < 0)
		return -1;
	if (status_write(dirfd, STORE_EXIT, &c->st, true, err) < 0)
		return -1;
	return status_write(dirfd, STORE_STATE, &c->st, true, err);
}

/* The shim is gone and its container may still run: nothing may stay unsupervised. */
static void shim_lost(struct daemon *d, struct daemon_ctr *c)
{
	struct kerr err;

	log_warn("container %.12s: its shim is gone while the container may still run: "
		 "deleting it and recording exit %d",
		 c->rec.id, SHIM_LOST_EXIT);
	daemon_runtime_delete(d, c, true);
	c->st.kind = STATUS_EXITED;
	c->st.pid = 0;
	c->st.shim_pid = 0;
	c->st.exit_code = SHIM_LOST_EXIT;
	c->st.signal = SIGKILL;
	c->st.finished_ns = clock_wall_ns();
	str_copy(c->st.reason, sizeof(c->st.reason), "shim lost");
	if (write_status(d, c, &err) < 0)
		log_error("container %.12s: record its exit: %s", c->rec.id, err.msg);
	char attrs[96];
	snprintf(attrs, sizeof(attrs), "\"exit_code\":%d,\"reason\":\"shim lost\"", SHIM_LOST_EXIT);
	daemon_events_publish(d, c, "die", 0, attrs);
}

/* ---- the restart policy for containers without a shim ---- */

static void restart_timeout(struct loop *l, void *data)
{
	struct daemon_ctr *c = data;
	struct daemon *d = c->d;
	struct kerr err;

	(void)l;
	c->restart_timer = 0;
	if (c->shim_pid > 0 || daemon_ctr_spawning(c) || c->removing)
		return;
	/* The forced delete of the lost shim's container must finish before runc can
	 * create the same id again; it is bounded by RESTART_WAIT_MS. */
	if (daemon_runtime_state_exists(d, c) &&
	    clock_wall_ns() - c->st.finished_ns < RESTART_WAIT_MS * 1000000LL) {
		c->restart_timer =
			loop_add_timer(d->loop, RESTART_POLL_MS, restart_timeout, c, &err);
		if (c->restart_timer)
			return;
	}
	log_info("container %.12s: restarting it with a new shim (restart policy)", c->rec.id);
	c->spawn_restart = true;
	if (daemon_spawn_shim(d, c, &err) < 0) {
		log_error("container %.12s: %s", c->rec.id, err.msg);
		c->st.kind = STATUS_EXITED;
		c->st.next_start_ns = 0;
		str_copy(c->st.error, sizeof(c->st.error), err.msg);
		if (write_status(d, c, &err) < 0)
			log_error("container %.12s: %s", c->rec.id, err.msg);
	}
}

/* Arms a new shim after delay_ms; the decision is on disk first (the shim reads it). */
static void schedule_restart(struct daemon *d, struct daemon_ctr *c, unsigned streak,
			     uint64_t delay_ms)
{
	struct kerr err;
	char attrs[128];

	c->st.restart_streak = streak;
	c->st.kind = STATUS_RESTARTING;
	c->st.next_start_ns = clock_wall_ns() + (int64_t)(delay_ms * 1000000u);
	if (write_status(d, c, &err) < 0)
		log_error("container %.12s: %s", c->rec.id, err.msg);
	snprintf(attrs, sizeof(attrs), "\"attempt\":%u,\"delay_ms\":%llu,\"streak\":%u",
		 c->st.restart_count + 1, (unsigned long long)delay_ms, streak);
	daemon_events_publish(d, c, "restart", 0, attrs);
	c->restart_timer = loop_add_timer(d->loop, delay_ms, restart_timeout, c, &err);
	if (!c->restart_timer)
		log_error("container %.12s: %s: not restarting it", c->rec.id, err.msg);
}

/* The shim died while its container ran: the policy decides, as the shim would have. */
static void policy_after_loss(struct daemon *d, struct daemon_ctr *c)
{
	const struct record *r = &c->rec;
	struct restart_backoff b = {
		.base_ms = r->restart_delay_ms ? r->restart_delay_ms : d->restart_defaults.base_ms,
		.max_ms = r->restart_max_delay_ms ? r->restart_max_delay_ms
						  : d->restart_defaults.max_ms,
		.reset_ms =
			r->restart_reset_ms ? r->restart_reset_ms : d->restart_defaults.reset_ms,
	};
	int64_t ran = c->st.finished_ns - c->st.started_ns;
	struct restart_input in = {
		.exit_code = c->st.exit_code,
		.stopped_by_user = c->st.stopped_by_user,
		.run_ms = c->st.started_ns > 0 && ran > 0 ? (uint64_t)ran / 1000000u : 0,
		.streak = c->st.restart_streak,
		.count = c->st.restart_count,
	};
	struct restart_decision dec = restart_decide(&r->restart, &b, &in);

	if (dec.restart && !c->removing && !c->rec.auto_remove)
		schedule_restart(d, c, dec.streak, dec.delay_ms);
}

/*
 * Daemon start without a shim and without runtime state (a host reboot, or the daemon
 * restarted after the container ended): docker's rule, `always` containers come back,
 * `unless-stopped` ones too unless a person stopped them. At once, as at boot.
 */
void daemon_death_policy_at_boot(struct daemon *d, struct daemon_ctr *c)
{
	enum restart_policy p = c->rec.restart.policy;

	if (c->st.started_ns == 0 || c->rec.auto_remove)
		return; /* never started: nothing to bring back */
	if (p == RESTART_ALWAYS || (p == RESTART_UNLESS_STOPPED && !c->st.stopped_by_user)) {
		c->st.stopped_by_user = false;
		schedule_restart(d, c, 0, 0);
	}
}

void daemon_death_lost(struct daemon *d, struct daemon_ctr *c)
{
	/* Decided first: shim_lost marks c exited and starts deleting runc's state. With
	 * --boot, whatever runc's state says was left by the previous boot. */
	bool rebooted = (d->boot && d->adopting) ||
			(c->st.kind != STATUS_RESTARTING && !daemon_runtime_state_exists(d, c));

	shim_lost(d, c);
	if (rebooted)
		daemon_death_policy_at_boot(d, c);
	else
		policy_after_loss(d, c);
}

/* Called when the shim might just have become fully gone. */
bool daemon_death_check_gone(struct daemon *d, struct daemon_ctr *c)
{
	if (!c->shim_dead || c->ready_fd >= 0)
		return false;
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);
	if (conn)
		return false; /* its last frames and EOF are still to come */
	c->shim_conn = 0;
	c->events_reqid = 0;
	if (c->gone_timer) {
		loop_cancel_timer(d->loop, c->gone_timer);
		c->gone_timer = 0;
	}
	log_debug("container %.12s: shim pid %d is gone", c->rec.id, (int)c->shim_pid);
	c->shim_dead = false;
	c->shim_exiting = false;
	c->shim_pid = 0;
	daemon_ctr_refresh(d, c);
	/* Its host ports are free again: no forwarding to a container nobody supervises. */
	daemon_net_changed(d, c);
	if (!c->removing && daemon_registry_kind_may_run(c->st.kind)) {
		/* No runtime state left means everything died at once (a reboot seen by a
		 * daemon that came up before the old shims were reaped). */
		daemon_death_lost(d, c);
	} else if (!c->removing && c->st.kind == STATUS_CREATED &&
		   (!c->st.error[0] || daemon_runtime_state_exists(d, c))) {
		/* A created container without a shim: delete it so START can create it anew
		 * (also what a shim that died in the middle of its create left behind). */
		daemon_runtime_delete(d, c, true);
	} else if (!c->removing && c->st.kind == STATUS_EXITED &&
		   daemon_runtime_state_exists(d, c)) {
		/* The shim died inside its own `runc delete`: finish it for the shim. */
		daemon_runtime_delete(d, c, true);
	}
	return true;
}
