/*
 * shim_stop: stop and kill in the shim's lifecycle (role layer, a lifecycle step of the
 * middle band). The transitions of the table (shim_supervise.c) for KILL and STOP
 * requests (docker's stop: the signal to init, then SIGKILL to every process after the
 * grace period), for a STOP that arrives while the container is being created or
 * started, and for --health-on-failure once the check turned unhealthy. Invariants: a
 * stop or a person's kill sets stopped_by_user, so the restart policy ends supervision
 * (the health actions kill and restart do not), except a stop of the host's shutdown,
 * which ends it for this boot only (sh->shutdown); the grace period is a loop timer, never a
 * sleep; a kill the shim sends itself has no requester and only logs a failure. Calls
 * only shim_call and the bottom band: never the dispatcher, never another step.
 */
#include <signal.h>

#include "base/log.h"
#include "shim/shim_call.h"
#include "shim/shim_next.h"
#include "shim/shim_reply.h"
#include "shim/shim_stop.h"
#include "shim/shim_wait.h"

/* A kill the shim sent itself (stop, force) has no requester: failures are logged. */
static void kill_done(void *owner, struct rtcall *call, int status)
{
	struct shim *sh = owner;
	char msg[STATUS_ERROR_MAX];

	if (!shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		if (call->conn)
			shim_reply_ok(sh, call->conn, call->reqid);
		return;
	}
	if (call->conn)
		shim_reply_error(sh, call->conn, call->reqid, SHIM_ERR_CODE, msg);
	else
		log_warn("%s, ignoring", msg);
}

/* Kill without a requester (stop, force delete, failed start). */
void shim_stop_kill_quietly(struct shim *sh, int sig, bool all)
{
	struct kerr err;

	if (shim_call_spawn_simple(sh, RUNTIME_KILL, kill_done, sig, all, 0, 0, &err) < 0)
		log_error("%s", err.msg);
}

void shim_stop_mark(struct shim *sh, const struct shim_ev *ev)
{
	if (ev->shutdown)
		sh->shutdown = true;
	else
		sh->st.stopped_by_user = true;
}

/* docker stop: the signal to init, then SIGKILL to everything after the grace period
 * (SHIM_T_STOP; the dispatcher kills at once when that timer cannot be armed), or never
 * with SHIM_STOP_FOREVER (stop -t -1). The caller has marked who stopped it. */
void shim_stop_begin(struct shim *sh, int sig, uint64_t timeout_ms)
{
	shim_state_set(sh, SHIM_S_STOPPING);
	shim_stop_kill_quietly(sh, sig, false);
	if (timeout_ms != SHIM_STOP_FOREVER)
		shim_next_timer(sh, SHIM_T_STOP, timeout_ms);
}

void shim_stop_on_kill_req(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	sh->st.stopped_by_user = true;
	if (shim_call_spawn_simple(sh, RUNTIME_KILL, kill_done, ev->signal, ev->all, ev->conn,
				   ev->reqid, &err) < 0)
		shim_reply_error(sh, ev->conn, ev->reqid, SHIM_ERR_CODE, err.msg);
}

void shim_stop_on_stop_req(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
	shim_stop_mark(sh, ev);
	shim_stop_begin(sh, ev->signal, ev->timeout_ms);
}

/* STOP while `runc start` is in flight: applied once it returned. Supervision ends now:
 * an init that exits before the start returns must not be restarted by the policy. */
void shim_stop_defer(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
	shim_stop_mark(sh, ev);
	sh->stop_pending = true;
	sh->stop_signal = ev->signal;
	sh->stop_timeout_ms = ev->timeout_ms;
}

void shim_stop_join(struct shim *sh, const struct shim_ev *ev)
{
	/* Exited and about to apply the policy: a stop now still ends supervision. */
	shim_stop_mark(sh, ev);
	if (sh->exit_told)
		shim_reply_ok(sh, ev->conn, ev->reqid);
	else
		shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
}

void shim_stop_on_timeout(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	log_info("stop grace period over, killing every process of the container");
	shim_stop_kill_quietly(sh, SIGKILL, true);
}

/* --health-on-failure (podman's actions), once the check turned unhealthy. */
void shim_stop_on_unhealthy(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	switch (sh->rec.health_on_failure) {
	case RECORD_HEALTH_KILL:
		/* Not a person's kill: the restart policy decides as after a crash. */
		log_info("unhealthy: killing the container (--health-on-failure kill)");
		sh->health_exit = true;
		shim_stop_kill_quietly(sh, SIGKILL, true);
		return;
	case RECORD_HEALTH_RESTART:
		log_info("unhealthy: restarting the container (--health-on-failure restart)");
		sh->health_exit = true;
		sh->health_restart = true;
		shim_stop_kill_quietly(sh, SIGKILL, true);
		return;
	case RECORD_HEALTH_STOP:
		/* `kettle stop` with its default grace: supervision ends. */
		log_info("unhealthy: stopping the container (--health-on-failure stop)");
		sh->health_exit = true;
		sh->st.stopped_by_user = true;
		shim_stop_begin(sh, SIGTERM, SHIM_STOP_TIMEOUT_MS);
		return;
	case RECORD_HEALTH_NONE:
		return;
	}
}

/* STOP while a restart is being created: it is not started once created, and the
 * requester hears OK when the shim is done (shim_finish.c tells STOP waiters). */
void shim_stop_creating(struct shim *sh, const struct shim_ev *ev)
{
	if (!sh->restarting && !ev->shutdown) {
		shim_reply_ok(sh, ev->conn, ev->reqid);
		return;
	}
	/* A shutdown ends even a first create: it is deleted once created. */
	shim_stop_mark(sh, ev);
	shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
}
