/*
 * daemon_lifecycle: START STOP KILL REMOVE WAIT (role, layer 3; middle band of the daemon,
 * called by daemon_api.c). Slow work goes to the container's shim with a fresh request id
 * kept in the container's pending list (shim reqid -> client conn id + client reqid); when
 * the shim reports ready, answers or dies, or the container exits, daemon_watch.c hands
 * the event to daemon_complete.c, which replies to the client if it is still connected.
 * Calls only daemon_shimlink, daemon_spawn and the bottom band; never a completion or a
 * dispatcher. Never blocks.
 */
#include <signal.h>
#include <stdio.h>

#include "daemon/daemon_lifecycle.h"
#include "runtime/proc.h"
#include "daemon/daemon_events.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_request.h"
#include "daemon/daemon_shimlink.h"
#include "daemon/daemon_spawn.h"
#include "base/log.h"
#include "ipc/request.h"

#define SIGNAL_MAX 64 /* highest signal number */

#define STOP_TIMEOUT_MAX_MS (24ull * 3600 * 1000) /* longest grace period a STOP may ask */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(SIGNAL_MAX == REQUEST_SIGNAL_MAX, "signal cap differs from request.c's");
_Static_assert(STOP_TIMEOUT_MAX_MS == REQUEST_STOP_TIMEOUT_MAX_MS, "differs from request.c's");

static bool being_removed(const struct daemon_ctr *c)
{
	return c->removing || c->auto_removing;
}

/* ---- START ---- */

void daemon_lifecycle_start(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	uint32_t prepare = 0;
	struct kerr err;

	if (!c)
		return;
	if (daemon_request_get_flag(f, WIRE_F_PREPARE, &prepare, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (being_removed(c)) {
		kerr_set(&err, 0, "container `%.12s` is being removed", c->rec.id);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (c->broken) {
		kerr_set(&err, 0, "container `%.12s` is broken (%s): remove it with rm -f",
			 c->rec.id, c->st.error);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	/* PREPARE (start -a of a container that has no shim): set it up so the client can
	 * attach before anything runs, exactly as for a freshly created one. */
	if (daemon_ctr_running(c) ||
	    (prepare && daemon_ctr_shim_alive(c) && c->st.kind == STATUS_CREATED)) {
		rpc_conn_send_ok(conn, f->reqid);
		return;
	}
	struct daemon_pend *p = daemon_pend_add(c, prepare ? DAEMON_PEND_CREATE : DAEMON_PEND_START,
						0, rpc_conn_id(conn), f->reqid, &err);
	if (!p) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_spawning(c))
		return; /* daemon_complete_spawned sends SHIM_START, or answers a PREPARE */
	int rc = 0;
	if (!prepare && daemon_ctr_shim_alive(c) && c->st.kind == STATUS_CREATED) {
		rc = daemon_shimlink_start(d, c, p, &err);
	} else if (c->shim_pid > 0) {
		/* The last shim is winding down: daemon_complete_shim_gone spawns the next one. */
	} else {
		log_info("container %.12s: starting a new shim", c->rec.id);
		rc = daemon_spawn_shim(d, c, &err);
	}
	if (rc < 0) {
		daemon_pend_drop(c, p);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	}
}

/* ---- STOP, KILL ---- */

/* The signal a stop sends: the image's StopSignal (checked at create), else SIGTERM. */
static int stop_signal(const struct daemon_ctr *c)
{
	struct kerr err;
	int sig;

	/* run --stop-signal, then the image's StopSignal, then docker's default. */
	if (c->rec.stop_signal > 0)
		return c->rec.stop_signal;
	if (c->rec.image.stop_signal &&
	    proc_signal_parse(c->rec.image.stop_signal, &sig, &err) == 0)
		return sig;
	return SIGTERM;
}

void daemon_lifecycle_stop(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	uint64_t timeout = DAEMON_STOP_TIMEOUT_MS;
	uint32_t forever = 0;
	struct kerr err;

	if (!c)
		return;
	if (wire_get_u64(f, WIRE_F_TIMEOUT_MS, false, &timeout, &err) < 0 ||
	    daemon_request_get_flag(f, WIRE_F_FOREVER, &forever, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (timeout > STOP_TIMEOUT_MAX_MS) {
		kerr_set(&err, 0, "stop timeout %llu ms exceeds the limit of %llu ms",
			 (unsigned long long)timeout, STOP_TIMEOUT_MAX_MS);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	/* A shim between an exit and its restart may look exited: it is told all the same,
	 * or it would restart the container after the OK. */
	bool supervised = daemon_ctr_shim_alive(c) && !daemon_ctr_spawning(c) &&
			  c->rec.restart.policy != RESTART_NO;
	if (!daemon_ctr_running(c) && !supervised) {
		rpc_conn_send_ok(conn, f->reqid); /* docker: stopping a stopped one is fine */
		return;
	}
	struct daemon_shimlink_req req = {
		.type = WIRE_T_SHIM_STOP,
		.signal = stop_signal(c),
		.timeout_ms = timeout ? timeout : 1,
		.forever = forever == 1, /* stop -t -1 */
	};
	uint32_t reqid;
	daemon_events_publish(d, c, "stop", 0, NULL);
	if (daemon_shimlink_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_STOP, reqid, rpc_conn_id(conn), f->reqid, &err))
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

void daemon_lifecycle_kill(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	uint32_t sig = SIGKILL;
	struct kerr err;

	if (!c)
		return;
	if (wire_get_u32(f, WIRE_F_SIGNAL, false, &sig, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (sig == 0 || sig > SIGNAL_MAX) {
		kerr_set(&err, 0, "signal %u is out of range, expected 1..%d", sig, SIGNAL_MAX);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (!daemon_ctr_running(c)) {
		kerr_set(&err, 0, "container `%.12s` is not running", c->rec.id);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	struct daemon_shimlink_req req = { .type = WIRE_T_SHIM_KILL, .signal = sig };
	uint32_t reqid;
	char attrs[32];
	snprintf(attrs, sizeof(attrs), "\"signal\":%u", sig);
	daemon_events_publish(d, c, "kill", 0, attrs);
	if (daemon_shimlink_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_KILL, reqid, rpc_conn_id(conn), f->reqid, &err))
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

/* ---- REMOVE ---- */

/* Removes c now and answers the remove request and every waiter. */
static void remove_now(struct daemon *d, struct daemon_ctr *c, uint64_t client, uint32_t reqid)
{
	struct kerr err;
	int rc = daemon_ctr_remove(d, c, &err);

	if (!client)
		return;
	if (rc < 0)
		daemon_reply_error(client, reqid, DAEMON_FAIL_CODE, err.msg);
	else
		daemon_reply_ok(client, reqid);
}

void daemon_lifecycle_remove(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	uint32_t force = 0;
	struct kerr err;

	if (!c)
		return;
	if (daemon_request_get_flag(f, WIRE_F_FORCE, &force, &err) < 0) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_running(c) && !force) {
		kerr_set(&err, 0,
			 "cannot remove running container `%.12s`: stop it first or use "
			 "--force",
			 c->rec.id);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_spawning(c)) {
		kerr_set(&err, 0, "container `%.12s` is being created: try again once it is",
			 c->rec.id);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (c->shim_pid == 0) {
		remove_now(d, c, rpc_conn_id(conn), f->reqid);
		return;
	}
	/* A shim deletes its container and exits; the directory goes after it. */
	struct daemon_pend *p =
		daemon_pend_add(c, DAEMON_PEND_REMOVE, 0, rpc_conn_id(conn), f->reqid, &err);
	if (!p) {
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (being_removed(c))
		return; /* joins the removal in progress */
	if (!daemon_ctr_shim_alive(c) || c->st.kind == STATUS_DEAD) {
		c->removing = true;
		return;
	}
	/* DELETE even right after an exit: the shim may be about to restart the container
	 * (its policy decides once the exit is recorded), and a DELETE ends that; a shim that
	 * is winding down answers it at once (or has closed its socket: see below). */
	struct daemon_shimlink_req req = { .type = WIRE_T_SHIM_DELETE, .force = force != 0 };
	if (daemon_shimlink_send(d, c, &req, &p->shim_reqid, &err) < 0) {
		if (c->st.kind == STATUS_EXITED) {
			/* Winding down after an exit or a failed create: it is about to exit. */
			p->shim_reqid = 0;
			c->removing = true;
			return;
		}
		daemon_pend_drop(c, p);
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	}
}

/* ---- WAIT ---- */

void daemon_lifecycle_wait(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_request_resolve_ref(d, conn, f);
	struct kerr err;

	(void)d;
	if (!c)
		return;
	/* With --rm the answer waits for the exit, when the container is hidden at once
	 * (daemon_complete_exited), so a waiter never sees it linger. */
	if (daemon_ctr_has_exited(c) && !c->rec.auto_remove && !daemon_ctr_spawning(c)) {
		daemon_reply_exit(rpc_conn_id(conn), f->reqid, c->st.exit_code);
		return;
	}
	if (!daemon_pend_add(c, DAEMON_PEND_WAIT, 0, rpc_conn_id(conn), f->reqid, &err))
		daemon_reply_fail(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}
