/*
 * shim_supervise: the container's lifecycle in the shim (role layer, top band, STYLE 15).
 * A const table actions[state][event] names the one transition for every pair, as
 * s6-supervise does; a NULL entry means the event cannot happen in that state (an
 * internal event is logged and ignored, a request is refused). The transitions are the
 * steps' (shim_create, start, stop, exit, restart, finish); what one leaves in sh->next
 * (the output watch, a lifecycle timer, the next event) is applied here once it returned.
 * Here too is all that feeds the table from the loop: the SIGCHLD reaper (the init's
 * exit, the lifecycle's runtime calls), the output's end, the lifecycle timers, the
 * health verdict. Called only by shim.c and shim_rpc.c; nothing below calls back.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/str.h"
#include "runtime/proc.h"
#include "shim/shim_call.h"
#include "shim/shim_create.h"
#include "shim/shim_exec.h"
#include "shim/shim_exit.h"
#include "shim/shim_finish.h"
#include "shim/shim_health.h"
#include "shim/shim_io.h"
#include "shim/shim_reply.h"
#include "shim/shim_restart.h"
#include "shim/shim_start.h"
#include "shim/shim_stop.h"
#include "shim/shim_supervise.h"

typedef void (*shim_action)(struct shim *sh, const struct shim_ev *ev);

static const char *const event_names[SHIM_E_COUNT] = {
	[SHIM_E_CREATE_DONE] = "create-done",
	[SHIM_E_CREATE_FAILED] = "create-failed",
	[SHIM_E_START_REQ] = "start-request",
	[SHIM_E_START_DONE] = "start-done",
	[SHIM_E_START_FAILED] = "start-failed",
	[SHIM_E_KILL_REQ] = "kill-request",
	[SHIM_E_STOP_REQ] = "stop-request",
	[SHIM_E_STOP_TIMEOUT] = "stop-timeout",
	[SHIM_E_EXIT] = "exit",
	[SHIM_E_DRAINED] = "drained",
	[SHIM_E_DELETE_REQ] = "delete-request",
	[SHIM_E_DELETE_DONE] = "delete-done",
	[SHIM_E_RESTART_TIMER] = "restart-timer",
	[SHIM_E_UNHEALTHY] = "unhealthy",
};

/* ---- the table's own answers ---- */

static void refuse_creating(struct shim *sh, const struct shim_ev *ev)
{
	shim_reply_refused(sh, ev->conn, ev->reqid, "is still being created");
}

static void refuse_running(struct shim *sh, const struct shim_ev *ev)
{
	shim_reply_refused(sh, ev->conn, ev->reqid, "is running");
}

static void refuse_exited(struct shim *sh, const struct shim_ev *ev)
{
	shim_reply_refused(sh, ev->conn, ev->reqid,
			   sh->state == SHIM_S_DELETING ? "is being removed" : "has exited");
}

static void refuse_not_running(struct shim *sh, const struct shim_ev *ev)
{
	shim_reply_refused(sh, ev->conn, ev->reqid, "is not running");
}

/* Nothing to stop or delete any more: done at once. */
static void ok_now(struct shim *sh, const struct shim_ev *ev)
{
	shim_reply_ok(sh, ev->conn, ev->reqid);
}

/* ---- the table ---- */

static const shim_action actions[SHIM_S_COUNT][SHIM_E_COUNT] = {
	[SHIM_S_CREATING] = {
		[SHIM_E_CREATE_DONE] = shim_start_on_created,
		[SHIM_E_CREATE_FAILED] = shim_start_on_create_failed,
		[SHIM_E_START_REQ] = refuse_creating,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = shim_stop_creating,
		[SHIM_E_DELETE_REQ] = shim_exit_join_delete,
	},
	[SHIM_S_CREATED] = {
		[SHIM_E_START_REQ] = shim_start_on_start_req,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = shim_exit_stop_created,
		[SHIM_E_EXIT] = shim_exit_created,
		[SHIM_E_DELETE_REQ] = shim_exit_on_delete_req,
	},
	[SHIM_S_STARTING] = {
		[SHIM_E_START_REQ] = shim_start_join,
		[SHIM_E_START_DONE] = shim_start_on_started,
		[SHIM_E_START_FAILED] = shim_start_on_start_failed,
		[SHIM_E_KILL_REQ] = shim_stop_on_kill_req,
		[SHIM_E_STOP_REQ] = shim_stop_defer,
		[SHIM_E_EXIT] = shim_exit_starting,
		[SHIM_E_DELETE_REQ] = shim_exit_delete_running,
	},
	[SHIM_S_RUNNING] = {
		[SHIM_E_START_REQ] = refuse_running,
		[SHIM_E_KILL_REQ] = shim_stop_on_kill_req,
		[SHIM_E_STOP_REQ] = shim_stop_on_stop_req,
		[SHIM_E_EXIT] = shim_exit_running,
		[SHIM_E_DELETE_REQ] = shim_exit_delete_running,
		[SHIM_E_UNHEALTHY] = shim_stop_on_unhealthy,
	},
	[SHIM_S_STOPPING] = {
		[SHIM_E_START_REQ] = refuse_running,
		[SHIM_E_KILL_REQ] = shim_stop_on_kill_req,
		[SHIM_E_STOP_REQ] = shim_stop_join,
		[SHIM_E_STOP_TIMEOUT] = shim_stop_on_timeout,
		[SHIM_E_EXIT] = shim_exit_running,
		[SHIM_E_DELETE_REQ] = shim_exit_delete_running,
	},
	[SHIM_S_EXITED] = {
		[SHIM_E_START_REQ] = refuse_exited,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = shim_stop_join,
		[SHIM_E_DRAINED] = shim_exit_on_drained,
		[SHIM_E_DELETE_REQ] = shim_exit_join_delete,
		[SHIM_E_DELETE_DONE] = shim_exit_on_deleted,
	},
	[SHIM_S_BACKOFF] = {
		[SHIM_E_START_REQ] = shim_restart_start_backoff,
		[SHIM_E_KILL_REQ] = shim_restart_stop_backoff,
		[SHIM_E_STOP_REQ] = shim_restart_stop_backoff,
		[SHIM_E_DELETE_REQ] = shim_restart_delete_backoff,
		[SHIM_E_RESTART_TIMER] = shim_restart_begin,
	},
	[SHIM_S_DELETING] = {
		[SHIM_E_START_REQ] = refuse_exited,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = ok_now,
		[SHIM_E_EXIT] = shim_exit_deleting,
		[SHIM_E_DELETE_REQ] = shim_exit_join_delete,
		[SHIM_E_DELETE_DONE] = shim_exit_on_deleted,
	},
	[SHIM_S_GONE] = {
		[SHIM_E_START_REQ] = refuse_exited,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = ok_now,
		[SHIM_E_DELETE_REQ] = ok_now,
	},
};

/* One event through the table, its transition alone. */
static void dispatch(struct shim *sh, const struct shim_ev *ev)
{
	shim_action fn = NULL;

	if ((unsigned)ev->type < SHIM_E_COUNT && (unsigned)sh->state < SHIM_S_COUNT)
		fn = actions[sh->state][ev->type];
	log_debug("event %s in state %s",
		  (unsigned)ev->type < SHIM_E_COUNT ? event_names[ev->type] : "?",
		  shim_state_name(sh->state));
	if (fn) {
		fn(sh, ev);
		return;
	}
	if (ev->conn) {
		char msg[128];

		snprintf(msg, sizeof(msg), "request not allowed while the container is %s",
			 shim_state_name(sh->state));
		shim_reply_error(sh, ev->conn, ev->reqid, SHIM_ERR_CODE, msg);
		return;
	}
	log_warn("unexpected event %s in state %s, ignoring",
		 (unsigned)ev->type < SHIM_E_COUNT ? event_names[ev->type] : "?",
		 shim_state_name(sh->state));
}

/* ---- the loop's callbacks that feed the table ---- */

static void feed(struct shim *sh, enum shim_event type)
{
	struct shim_ev ev = { .type = type };

	shim_supervise_event(sh, &ev);
}

static void on_stop_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	sh->stop_timer = 0;
	feed(sh, SHIM_E_STOP_TIMEOUT);
}

static void on_drain_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	sh->drain_timer = 0;
	log_warn("the container's output did not end within %d ms of its exit, ignoring the rest",
		 SHIM_DRAIN_MS);
	feed(sh, SHIM_E_DRAINED);
}

/* Held for SHIM_HOLD_MS and nobody started it: the client that ran it is gone, and the
 * container runs on as it was asked to (a START with nobody to answer). */
static void on_hold_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	sh->hold_timer = 0;
	if (!sh->held || sh->state != SHIM_S_CREATED)
		return;
	log_warn("no START within %d ms of `runc run`: starting to read its output", SHIM_HOLD_MS);
	feed(sh, SHIM_E_START_REQ);
}

static void on_restart_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	sh->restart_timer = 0;
	feed(sh, SHIM_E_RESTART_TIMER);
}

/* One of the container's output pipes is readable, or at its end: once both ended after
 * the exit, the output is drained. */
static void on_output(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shim *sh = data;

	(void)l;
	(void)events;
	if (shim_io_read(sh, fd) < 0 && shim_io_eof(sh) && sh->state == SHIM_S_EXITED)
		feed(sh, SHIM_E_DRAINED);
}

static void on_health_timer(struct loop *l, void *data);

/* After health ran (a check started or ended): its next check's timer, and the verdict
 * of a check that turned the container unhealthy. */
static void health_after(struct shim *sh)
{
	shim_health_arm(sh, on_health_timer);
	if (shim_health_take_verdict(sh))
		feed(sh, SHIM_E_UNHEALTHY);
}

static void on_health_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	shim_health_tick(sh);
	health_after(sh);
}

/* ---- what a transition left ---- */

/* A lifecycle timer a transition asked for; when the loop cannot arm it, what it would
 * have led to happens now. */
static void arm(struct shim *sh, enum shim_timer t, uint64_t ms)
{
	struct kerr err;

	switch (t) {
	case SHIM_T_STOP:
		sh->stop_timer = loop_add_timer(sh->loop, ms, on_stop_timer, sh, &err);
		if (!sh->stop_timer) {
			log_error("%s", err.msg);
			shim_stop_kill_quietly(sh, SIGKILL, true);
		}
		return;
	case SHIM_T_DRAIN:
		sh->drain_timer = loop_add_timer(sh->loop, ms, on_drain_timer, sh, &err);
		if (!sh->drain_timer) {
			log_error("%s", err.msg);
			feed(sh, SHIM_E_DRAINED);
		}
		return;
	case SHIM_T_HOLD:
		sh->hold_timer = loop_add_timer(sh->loop, ms, on_hold_timer, sh, &err);
		if (!sh->hold_timer) {
			log_error("%s: releasing the container at once", err.msg);
			on_hold_timer(sh->loop, sh);
		}
		return;
	case SHIM_T_RESTART:
		sh->restart_timer = loop_add_timer(sh->loop, ms, on_restart_timer, sh, &err);
		if (!sh->restart_timer) {
			log_error("%s: not restarting", err.msg);
			shim_finish_supervision(sh);
		}
		return;
	}
}

/* Applies sh->next until the transitions leave nothing: the watch first, then the timer
 * or the next event (each was the last act of its transition, after any watch). */
static void apply(struct shim *sh)
{
	struct shim_next *n = &sh->next;
	struct kerr err;

	for (;;) {
		if (n->watch) {
			n->watch = false;
			if (shim_io_watch(sh, on_output, &err) < 0)
				log_error("%s", err.msg);
		} else if (n->timer) {
			n->timer = false;
			arm(sh, n->timer_kind, n->timer_ms);
		} else if (n->event) {
			struct shim_ev ev = n->ev;
			char msg[KERR_MSG_MAX];

			n->event = false;
			if (ev.msg) {
				str_copy(msg, sizeof(msg), ev.msg);
				ev.msg = msg;
			}
			dispatch(sh, &ev);
		} else {
			break;
		}
	}
	/* A run that started has its first check due. */
	shim_health_arm(sh, on_health_timer);
}

void shim_supervise_event(struct shim *sh, const struct shim_ev *ev)
{
	dispatch(sh, ev);
	apply(sh);
}

/* ---- the lifecycle's runtime calls: a result becomes an event ---- */

static void create_done(struct shim *sh, struct rtcall *call, int status)
{
	char msg[STATUS_ERROR_MAX];
	struct shim_ev ev = { .type = SHIM_E_CREATE_DONE };
	struct kerr err;

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		ev.type = SHIM_E_CREATE_FAILED;
		ev.code = (int)runtime_error_exit_code(msg);
		ev.msg = msg;
	} else if (runtime_read_pid_file(sh->pid_file, &sh->init_pid, &err) < 0) {
		str_copy(msg, sizeof(msg), err.msg);
		ev.type = SHIM_E_CREATE_FAILED;
		ev.code = SHIM_ERR_CODE;
		ev.msg = msg;
	} else {
		/* `runc run` returns after the start: a quick init may be reaped already. */
		for (size_t i = 0; i < SHIM_EARLY_MAX; i++) {
			if (sh->early_pid[i] == sh->init_pid) {
				sh->init_reaped = true;
				sh->init_status = sh->early_status[i];
			}
		}
	}
	memset(sh->early_pid, 0, sizeof(sh->early_pid));
	shim_supervise_event(sh, &ev);
}

static void start_done(struct shim *sh, struct rtcall *call, int status)
{
	char msg[STATUS_ERROR_MAX];
	struct shim_ev ev = { .type = SHIM_E_START_DONE };

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		ev.type = SHIM_E_START_FAILED;
		ev.code = runtime_error_exit_code(msg);
		ev.msg = msg;
	}
	shim_supervise_event(sh, &ev);
}

static void delete_done(struct shim *sh, struct rtcall *call, int status)
{
	char msg[STATUS_ERROR_MAX];
	struct shim_ev ev = { .type = SHIM_E_DELETE_DONE };

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		ev.code = SHIM_ERR_CODE;
		ev.msg = msg;
	}
	shim_supervise_event(sh, &ev);
}

/* A call the steps started without a completion (create, run, start, delete): its
 * result is fed while the slot still holds it (a terminal's master is collected from the
 * create's call). */
static void lifecycle_done(struct shim *sh, struct rtcall *call, int status)
{
	rtcall_reaped(call);
	switch (call->op) {
	case RUNTIME_CREATE:
	case RUNTIME_RUN:
		create_done(sh, call, status);
		break;
	case RUNTIME_START:
		start_done(sh, call, status);
		break;
	case RUNTIME_DELETE:
		delete_done(sh, call, status);
		break;
	default:
		break;
	}
	rtcall_free(call);
}

/* ---- entry points ---- */

int shim_supervise_start(struct shim *sh, bool restart, struct kerr *err)
{
	(void)err;
	shim_restart_load_backoff(sh);
	if (restart) {
		shim_restart_carry_counters(sh);
		sh->restarting = true;
	}
	shim_create_begin(sh);
	apply(sh);
	return 0;
}

void shim_supervise_reap(struct shim *sh)
{
	pid_t pid;
	int status;

	while (proc_reap_any(&pid, &status) == 1) {
		struct rtcall *call = rtcall_find(&sh->calls, pid);

		if (shim_io_reaped(sh, pid))
			continue; /* a rotated-out log removed */
		if (sh->init_pid > 0 && pid == sh->init_pid && !sh->init_reaped) {
			struct shim_ev ev = { .type = SHIM_E_EXIT, .status = status };

			sh->init_reaped = true;
			sh->init_status = status;
			shim_supervise_event(sh, &ev);
			continue;
		}
		if (call) {
			if (call->done) {
				rtcall_complete(call, status);
				/* A health check that exited before its `runtime exec` was reaped
				 * ends here, claimed from the exitlog: its next check is due. */
				health_after(sh);
			} else {
				lifecycle_done(sh, call, status);
			}
			continue;
		}
		if (sh->held && sh->init_pid == 0) {
			/* `runc run` in flight: this may be the init, its pid file unread. */
			memmove(sh->early_pid, sh->early_pid + 1,
				(SHIM_EARLY_MAX - 1) * sizeof(sh->early_pid[0]));
			memmove(sh->early_status, sh->early_status + 1,
				(SHIM_EARLY_MAX - 1) * sizeof(sh->early_status[0]));
			sh->early_pid[SHIM_EARLY_MAX - 1] = pid;
			sh->early_status[SHIM_EARLY_MAX - 1] = status;
		}
		shim_exec_reaped(sh, pid, status); /* runc exec, an exec'd process */
		/* A health check is an exec: it may have ended here. */
		health_after(sh);
	}
}
