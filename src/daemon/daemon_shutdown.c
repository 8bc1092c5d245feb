/*
 * daemon_shutdown: kettle as PID 1 stopping everything before the machine goes down (role,
 * layer 3; middle band of the daemon, called by daemon.c). All containers at once, each with
 * its own stop signal and grace period (docker's --stop-signal and --stop-timeout; SIGTERM
 * and 10 s without), through its shim as `kettle stop` would, except that the stop is
 * marked SHUTDOWN: the shim ends supervision without recording a stop by a person, so the
 * restart policies bring the containers back at the next boot. Invariants: nothing waits
 * (the shims' deaths arrive through their pidfds, daemon_shutdown_poll runs before each
 * sleep); one deadline bounds it all, the longest grace period plus a margin for runc's
 * kill and delete, after which the shims still there are killed. Calls daemon_shimlink,
 * daemon_boot and the bottom band; never a handler, a completion or a dispatcher.
 */
#include <signal.h>

#include "base/log.h"
#include "daemon/daemon_boot.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_shimlink.h"
#include "daemon/daemon_shutdown.h"
#include "runtime/proc.h"

/* Beyond the longest grace period: `runc kill`, the output's drain (1 s), `runc delete`
 * and the shim's last flush (1 s) under a loaded machine. */
#define SHUTDOWN_MARGIN_MS 10000

static int stop_signal(const struct daemon_ctr *c)
{
	return c->rec.stop_signal > 0 ? c->rec.stop_signal : SIGTERM;
}

static uint64_t stop_timeout_ms(const struct daemon_ctr *c)
{
	return c->rec.stop_timeout_ms >= 0 ? (uint64_t)c->rec.stop_timeout_ms
					   : DAEMON_STOP_TIMEOUT_MS;
}

static void deadline(struct loop *l, void *data)
{
	struct daemon *d = data;
	struct kerr err;

	(void)l;
	d->shutdown_timer = 0;
	d->shutdown_expired = true;
	for (size_t i = 0; i < d->nctrs; i++) {
		struct daemon_ctr *c = d->ctrs[i];

		if (c->shim_pid <= 0)
			continue;
		log_error("container %.12s: its shim (pid %d) is still there at the shutdown's "
			  "deadline: killing it",
			  c->rec.id, (int)c->shim_pid);
		if (c->pidfd >= 0 && proc_pidfd_signal(c->pidfd, SIGKILL, &err) < 0)
			log_error("container %.12s: %s", c->rec.id, err.msg);
	}
}

/* Tells c's shim to stop for the shutdown, once. */
static void send_stop(struct daemon *d, struct daemon_ctr *c)
{
	struct daemon_shimlink_req req = {
		.type = WIRE_T_SHIM_STOP,
		.signal = (uint32_t)stop_signal(c),
		/* 0 is not sent: the shim's own default would apply. */
		.timeout_ms = stop_timeout_ms(c) ? stop_timeout_ms(c) : 1,
		.shutdown = true,
	};
	uint32_t reqid;
	struct kerr err;

	c->shutdown_sent = true;
	if (daemon_shimlink_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_INTERNAL, reqid, 0, 0, &err)) {
		log_error("container %.12s: stop it for the shutdown: %s", c->rec.id, err.msg);
		return;
	}
	log_debug("container %.12s: stopping it (%s, %llu ms)", c->rec.id,
		  proc_signal_name((int)req.signal), (unsigned long long)req.timeout_ms);
}

void daemon_shutdown_begin(struct daemon *d, int sig)
{
	uint64_t longest = 0;
	size_t shims = 0;
	struct kerr err;

	if (d->shutting_down) {
		log_info("received %s: already shutting down", proc_signal_name(sig));
		return;
	}
	d->shutting_down = true;
	d->stopping = true;
	daemon_boot_stop(d);
	for (size_t i = 0; i < d->nctrs; i++) {
		struct daemon_ctr *c = d->ctrs[i];

		/* A lost shim's restart by the daemon: not any more. */
		if (c->restart_timer) {
			loop_cancel_timer(d->loop, c->restart_timer);
			c->restart_timer = 0;
		}
		if (c->shim_pid <= 0)
			continue;
		shims++;
		if (stop_timeout_ms(c) > longest)
			longest = stop_timeout_ms(c);
	}
	log_info("received %s: shutting down, stopping %zu containers (at most %llu ms)",
		 proc_signal_name(sig), shims, (unsigned long long)(longest + SHUTDOWN_MARGIN_MS));
	d->shutdown_timer =
		loop_add_timer(d->loop, longest + SHUTDOWN_MARGIN_MS, deadline, d, &err);
	if (!d->shutdown_timer)
		log_error("%s: no deadline for the shutdown", err.msg);
}

bool daemon_shutdown_poll(struct daemon *d)
{
	bool left = false;

	for (size_t i = 0; i < d->nctrs; i++) {
		struct daemon_ctr *c = d->ctrs[i];

		if (c->shim_pid <= 0)
			continue;
		left = true;
		/* A shim being spawned is told once it is ready and connected. */
		if (!c->shutdown_sent && daemon_ctr_shim_alive(c) && !daemon_ctr_spawning(c))
			send_stop(d, c);
	}
	if (left && !d->shutdown_expired)
		return false;
	if (d->shutdown_timer) {
		loop_cancel_timer(d->loop, d->shutdown_timer);
		d->shutdown_timer = 0;
	}
	return true;
}
