/*
 * shim_supervise: the container's lifecycle in the shim (role layer, STYLE rule 15).
 *
 * A const table actions[state][event] names the one transition function for every pair,
 * as s6-supervise does; a NULL entry means the event cannot happen in that state (an
 * internal event is logged and ignored, a request is refused). This file holds the table,
 * the create/start/exit/delete transitions, the reaper and the event writer; the runtime
 * calls they start are shim_call.c's, stop and kill are shim_stop.c's, and the restart
 * policy's backoff is shim_restart.c's. Invariants: exit.json is written (durably) before
 * anyone is told of an exit; the container's output is drained to EOF (bounded by
 * SHIM_DRAIN_MS) before END frames go out; nothing here waits or sleeps.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/json_w.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "shim/shim.h"
#include "store/store.h"
#include "base/str.h"

/* Longest JSON event text. */
#define EVENT_JSON_MAX 512

typedef void (*shim_action)(struct shim *sh, const struct shim_ev *ev);

static const char *const state_names[SHIM_S_COUNT] = {
	[SHIM_S_CREATING] = "creating", [SHIM_S_CREATED] = "created",
	[SHIM_S_STARTING] = "starting", [SHIM_S_RUNNING] = "running",
	[SHIM_S_STOPPING] = "stopping", [SHIM_S_EXITED] = "exited",
	[SHIM_S_BACKOFF] = "backoff",	[SHIM_S_DELETING] = "deleting",
	[SHIM_S_GONE] = "gone",
};

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

const char *shim_state_name(enum shim_state s)
{
	return (unsigned)s < SHIM_S_COUNT ? state_names[s] : "unknown";
}

void shim_supervise_save(struct shim *sh)
{
	struct kerr err;

	sh->st.shim_pid = getpid();
	if (status_write(sh->dirfd, STORE_STATE, &sh->st, false, &err) < 0)
		log_warn("%s, ignoring", err.msg);
}

/* The transition alone; the caller saves state.json when it is due
 * (shim_supervise_set_state). */
static void enter_state(struct shim *sh, enum shim_state s)
{
	log_debug("%s -> %s", shim_state_name(sh->state), shim_state_name(s));
	sh->state = s;
}

void shim_supervise_set_state(struct shim *sh, enum shim_state s)
{
	enter_state(sh, s);
	shim_supervise_save(sh);
}

/* ---- completions: a runtime result becomes an event or a reply ---- */

static void create_done(struct shim *sh, struct shim_call *call, int status)
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

static void start_done(struct shim *sh, struct shim_call *call, int status)
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

static void delete_done(struct shim *sh, struct shim_call *call, int status)
{
	char msg[STATUS_ERROR_MAX];
	struct shim_ev ev = { .type = SHIM_E_DELETE_DONE };

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		ev.code = SHIM_ERR_CODE;
		ev.msg = msg;
	}
	shim_supervise_event(sh, &ev);
}

/*
 * --run holds a running container as "created" until START, its output unread, so that
 * the client attached before START sees every byte (the pipes, SHIM_PIPE_SIZE deep,
 * are the buffer). The hold ends at START, at a delete, or after SHIM_HOLD_MS when the
 * client that created it never came back; reading then starts with the first byte.
 */
static void release_hold(struct shim *sh)
{
	struct kerr err;

	if (!sh->held)
		return;
	if (sh->hold_timer)
		loop_cancel_timer(sh->loop, sh->hold_timer);
	sh->hold_timer = 0;
	sh->held = false;
	if (sh->state != SHIM_S_CREATING && shim_io_watch(sh, &err) < 0)
		log_error("%s", err.msg);
}

/* `runc delete --force`; when it cannot even start there is nothing left to wait for. */
static void delete_container(struct shim *sh, enum shim_state next)
{
	struct kerr err;

	release_hold(sh);
	shim_supervise_set_state(sh, next);
	if (shim_call_spawn_simple(sh, RUNTIME_DELETE, delete_done, 0, true, 0, 0, &err) < 0) {
		struct shim_ev ev = { .type = SHIM_E_DELETE_DONE, .code = SHIM_ERR_CODE };

		log_error("%s", err.msg);
		ev.msg = err.msg;
		shim_supervise_event(sh, &ev);
	}
}

/* ---- the exit ---- */

static void on_drain_timer(struct loop *l, void *data)
{
	struct shim *sh = data;
	struct shim_ev ev = { .type = SHIM_E_DRAINED };

	(void)l;
	sh->drain_timer = 0;
	log_warn("the container's output did not end within %d ms of its exit, ignoring the rest",
		 SHIM_DRAIN_MS);
	shim_supervise_event(sh, &ev);
}

/* Records the exit durably, then drains output; DRAINED tells everyone. */
static void container_exited(struct shim *sh, int status)
{
	struct status *st = &sh->st;
	struct kerr err;

	if (sh->stop_timer)
		loop_cancel_timer(sh->loop, sh->stop_timer);
	sh->stop_timer = 0;
	st->kind = STATUS_EXITED;
	st->pid = 0;
	st->finished_ns = clock_wall_ns();
	sh->run_ms = sh->run_start_ms ? clock_mono_ms() - sh->run_start_ms : 0;
	sh->run_start_ms = 0;
	st->exit_code = proc_exit_code(status);
	st->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	st->oom_killed = false;
	str_copy(st->reason, sizeof(st->reason), st->signal ? "killed" : "exited");
	if (sh->health_exit)
		str_copy(st->reason, sizeof(st->reason), "unhealthy");
	sh->health_exit = false;
	shim_health_stop(sh);
	/* Read before `runc delete` removes the cgroup (docker's OOMKilled). */
	st->oom_killed = shim_oom_check(sh);
	if (sh->start_error_code) {
		st->exit_code = sh->start_error_code;
		str_copy(st->reason, sizeof(st->reason), "start failed");
	}
	log_info("container exited with code %d (%s)", st->exit_code, st->reason);
	/* conmon's order: the exit file is on disk before anyone can ask about it. */
	if (status_write(sh->dirfd, STORE_EXIT, st, true, &err) < 0)
		log_error("%s", err.msg);
	shim_supervise_set_state(sh, SHIM_S_EXITED);
	/* Before the exit event (on_drained), as docker sends oom before die. */
	if (st->oom_killed)
		shim_supervise_emit(sh, "oom", NULL, NULL);
	if (shim_io_drain(sh)) {
		struct shim_ev ev = { .type = SHIM_E_DRAINED };

		shim_supervise_event(sh, &ev);
		return;
	}
	sh->drain_timer = loop_add_timer(sh->loop, SHIM_DRAIN_MS, on_drain_timer, sh, &err);
	if (!sh->drain_timer) {
		struct shim_ev ev = { .type = SHIM_E_DRAINED };

		log_error("%s", err.msg);
		shim_supervise_event(sh, &ev);
	}
}

void shim_supervise_emit(struct shim *sh, const char *type, const struct shim_ev_attr *attrs,
			 const char *reason)
{
	char ts[CLOCK_RFC3339NANO_LEN + 1];
	struct json_w w;
	struct buf b;
	struct kerr err;

	clock_format_rfc3339nano(clock_wall_ns(), ts);
	buf_init(&b, EVENT_JSON_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, type);
	json_w_key(&w, "time");
	json_w_str(&w, ts);
	for (; attrs && attrs->key; attrs++) {
		json_w_key(&w, attrs->key);
		json_w_i64(&w, attrs->value);
	}
	if (reason && reason[0]) {
		json_w_key(&w, "reason");
		json_w_str(&w, reason);
	}
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0 || buf_append(&b, "", 1, &err) < 0)
		log_warn("event `%s`: %s, not sent", type, err.msg);
	else
		shim_emit_event(sh, (const char *)b.data);
	buf_done(&b);
}

/* ---- transitions ---- */

static void reply_refused(struct shim *sh, const struct shim_ev *ev, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "container `%s` %s", shim_short_id(sh), what);
	shim_reply_error(sh, ev->conn, ev->reqid, SHIM_ERR_CODE, msg);
}

static void refuse_creating(struct shim *sh, const struct shim_ev *ev)
{
	reply_refused(sh, ev, "is still being created");
}

static void refuse_running(struct shim *sh, const struct shim_ev *ev)
{
	reply_refused(sh, ev, "is running");
}

static void refuse_exited(struct shim *sh, const struct shim_ev *ev)
{
	reply_refused(sh, ev, sh->state == SHIM_S_DELETING ? "is being removed" : "has exited");
}

static void refuse_not_running(struct shim *sh, const struct shim_ev *ev)
{
	reply_refused(sh, ev, "is not running");
}

/* Nothing to stop or delete any more: done at once. */
static void ok_now(struct shim *sh, const struct shim_ev *ev)
{
	shim_reply_ok(sh, ev->conn, ev->reqid);
}

/* Held for SHIM_HOLD_MS and nobody started it: the client that ran it is gone, and the
 * container runs on as it was asked to (a START with nobody to answer). */
static void on_hold_timer(struct loop *l, void *data)
{
	struct shim *sh = data;
	struct shim_ev ev = { .type = SHIM_E_START_REQ };

	(void)l;
	sh->hold_timer = 0;
	if (!sh->held || sh->state != SHIM_S_CREATED)
		return;
	log_warn("no START within %d ms of `runc run`: starting to read its output", SHIM_HOLD_MS);
	shim_supervise_event(sh, &ev);
}

static void on_created(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	(void)ev;
	sh->st.kind = STATUS_CREATED;
	sh->st.pid = sh->init_pid;
	shim_oom_watch(sh);
	enter_state(sh, SHIM_S_CREATED);
	log_info("container %s, init pid %d", sh->held ? "running, held until START" : "created",
		 (int)sh->init_pid);
	if (!sh->held && shim_io_watch(sh, &err) < 0)
		log_error("%s", err.msg);
	/* The daemon learns "created" from the ready frame itself: state.json follows, off
	 * the path of the client waiting for it (no request is read before it is written). */
	shim_report_ready(sh, 0, NULL);
	shim_supervise_save(sh);
	/* A DELETE that arrived while creating. */
	for (size_t i = 0; i < sh->nwaiters; i++)
		if (sh->waiters[i].kind == SHIM_W_DELETE) {
			delete_container(sh, SHIM_S_DELETING);
			return;
		}
	if (sh->held) {
		sh->hold_timer = loop_add_timer(sh->loop, SHIM_HOLD_MS, on_hold_timer, sh, &err);
		if (!sh->hold_timer) {
			log_error("%s: releasing the container at once", err.msg);
			on_hold_timer(sh->loop, sh);
		}
		return;
	}
	if (!sh->restarting)
		return;
	if (sh->st.stopped_by_user) {
		/* Stopped while the restart was being created: supervision ends here. */
		sh->st.kind = STATUS_EXITED;
		delete_container(sh, SHIM_S_DELETING);
		return;
	}
	if (shim_call_spawn_simple(sh, RUNTIME_START, start_done, 0, false, 0, 0, &err) < 0) {
		struct shim_ev fail = { .type = SHIM_E_START_FAILED, .code = SHIM_ERR_CODE };

		shim_supervise_set_state(sh, SHIM_S_STARTING);
		fail.msg = err.msg;
		shim_supervise_event(sh, &fail);
		return;
	}
	shim_supervise_set_state(sh, SHIM_S_STARTING);
}

static void on_create_failed(struct shim *sh, const struct shim_ev *ev)
{
	struct status *st = &sh->st;
	struct kerr err;

	log_error("create failed: %s", ev->msg);
	sh->held = false;
	st->kind = sh->restarting ? STATUS_EXITED : STATUS_CREATED;
	st->pid = 0;
	st->exit_code = ev->code;
	st->finished_ns = clock_wall_ns();
	str_copy(st->error, sizeof(st->error), ev->msg);
	str_copy(st->reason, sizeof(st->reason), "create failed");
	if (status_write(sh->dirfd, STORE_EXIT, st, true, &err) < 0)
		log_error("%s", err.msg);
	shim_supervise_save(sh);
	shim_report_ready(sh, (uint32_t)ev->code, ev->msg);
	shim_tell_exit(sh);
	/* runc cleans up after itself; the forced delete makes sure nothing is left. A
	 * restart that failed to create is an exit like any other: the policy decides. */
	sh->run_ms = 0;
	delete_container(sh, sh->restarting ? SHIM_S_EXITED : SHIM_S_DELETING);
}

static void on_start_req(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	if (sh->held) {
		/* `runc run` started it already: the requester (attached by now) only
		 * releases it. */
		struct shim_ev done = { .type = SHIM_E_START_DONE };

		if (!shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0))
			return;
		/* STARTING lasts no time here: on_started saves RUNNING at once. */
		sh->state = SHIM_S_STARTING;
		shim_supervise_event(sh, &done);
		return;
	}
	if (shim_call_spawn_simple(sh, RUNTIME_START, start_done, 0, false, 0, 0, &err) < 0) {
		shim_reply_error(sh, ev->conn, ev->reqid, SHIM_ERR_CODE, err.msg);
		return;
	}
	shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0);
	shim_supervise_set_state(sh, SHIM_S_STARTING);
}

static void join_start(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0);
}

static void on_started(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	sh->st.kind = STATUS_RUNNING;
	sh->st.started_ns = clock_wall_ns();
	sh->st.next_start_ns = 0;
	sh->st.pid = sh->init_pid;
	sh->run_start_ms = clock_mono_ms();
	sh->restarting = false;
	shim_health_start(sh);
	/* An init that is gone already: container_exited saves its exit next, and nobody
	 * can read a "running" state.json in between. */
	if (sh->init_reaped)
		enter_state(sh, SHIM_S_RUNNING);
	else
		shim_supervise_set_state(sh, SHIM_S_RUNNING);
	release_hold(sh);
	log_info("container started");
	shim_wait_finish(sh, SHIM_W_START, 0, NULL);
	shim_supervise_emit(
		sh, "start",
		(const struct shim_ev_attr[]){ { "pid", sh->init_pid },
					       { "restart_count", sh->st.restart_count },
					       { NULL, 0 } },
		NULL);
	if (sh->init_reaped) {
		container_exited(sh, sh->init_status);
		return;
	}
	if (sh->stop_pending) {
		sh->stop_pending = false;
		shim_stop_begin(sh, sh->stop_signal, sh->stop_timeout_ms);
	}
}

static void on_start_failed(struct shim *sh, const struct shim_ev *ev)
{
	log_error("start failed: %s", ev->msg);
	sh->start_error_code = ev->code;
	str_copy(sh->st.error, sizeof(sh->st.error), ev->msg);
	shim_wait_finish(sh, SHIM_W_START, (uint32_t)ev->code, ev->msg);
	sh->stop_pending = false;
	if (sh->init_reaped) {
		container_exited(sh, sh->init_status);
		return;
	}
	/* The init may still wait on runc's fifo: end it, its exit is recorded as usual. */
	shim_supervise_set_state(sh, SHIM_S_STOPPING);
	shim_stop_kill_quietly(sh, SIGKILL, true);
}

static void on_exit_running(struct shim *sh, const struct shim_ev *ev)
{
	container_exited(sh, ev->status);
}

/* Held (--run): the exit waits for START like the output (on_started tells it). */
static void on_exit_created(struct shim *sh, const struct shim_ev *ev)
{
	if (!sh->held)
		on_exit_running(sh, ev);
}

/* The init exited before `runc start` returned: told after START_DONE/FAILED. */
static void on_exit_starting(struct shim *sh, const struct shim_ev *ev)
{
	(void)sh;
	(void)ev;
}

/* The init of a created container ended by `runc delete --force`. */
static void on_exit_deleting(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	sh->st.pid = 0;
}

static void on_drained(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	if (sh->drain_timer)
		loop_cancel_timer(sh->loop, sh->drain_timer);
	sh->drain_timer = 0;
	shim_io_finish(sh);
	shim_tell_exit(sh);
	shim_supervise_emit(sh, "exit",
			    (const struct shim_ev_attr[]){ { "exit_code", sh->st.exit_code },
							   { "signal", sh->st.signal },
							   { "run_ms", (long long)sh->run_ms },
							   { NULL, 0 } },
			    sh->st.reason);
	/* The restart policy decides once the corpse is deleted (on_deleted). */
	delete_container(sh, SHIM_S_EXITED);
}

static void on_delete_req(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0);
	delete_container(sh, SHIM_S_DELETING);
}

/* Answered when the delete in flight (or still to come) finishes. */
static void join_delete(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0);
}

static void delete_running(struct shim *sh, const struct shim_ev *ev)
{
	if (!ev->force) {
		reply_refused(sh, ev, "is running: stop it first or use force");
		return;
	}
	if (!shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0))
		return;
	sh->st.stopped_by_user = true;
	shim_stop_kill_quietly(sh, SIGKILL, true);
}

/* Supervision is over: tell everyone and exit. */
void shim_supervise_finish(struct shim *sh)
{
	sh->restarting = false;
	sh->st.next_start_ns = 0;
	if (sh->st.kind == STATUS_RESTARTING)
		sh->st.kind = STATUS_EXITED;
	shim_supervise_set_state(sh, SHIM_S_GONE);
	shim_begin_exit(sh);
}

static void on_deleted(struct shim *sh, const struct shim_ev *ev)
{
	if (ev->code)
		log_warn("delete: %s", ev->msg);
	if (sh->state == SHIM_S_EXITED) {
		shim_restart_apply_policy(sh);
		return;
	}
	shim_wait_finish(sh, SHIM_W_DELETE, (uint32_t)ev->code, ev->msg);
	shim_supervise_finish(sh);
}

static const shim_action actions[SHIM_S_COUNT][SHIM_E_COUNT] = {
	[SHIM_S_CREATING] = {
		[SHIM_E_CREATE_DONE] = on_created,
		[SHIM_E_CREATE_FAILED] = on_create_failed,
		[SHIM_E_START_REQ] = refuse_creating,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = shim_stop_creating,
		[SHIM_E_DELETE_REQ] = join_delete,
	},
	[SHIM_S_CREATED] = {
		[SHIM_E_START_REQ] = on_start_req,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = ok_now,
		[SHIM_E_EXIT] = on_exit_created,
		[SHIM_E_DELETE_REQ] = on_delete_req,
	},
	[SHIM_S_STARTING] = {
		[SHIM_E_START_REQ] = join_start,
		[SHIM_E_START_DONE] = on_started,
		[SHIM_E_START_FAILED] = on_start_failed,
		[SHIM_E_KILL_REQ] = shim_stop_on_kill_req,
		[SHIM_E_STOP_REQ] = shim_stop_defer,
		[SHIM_E_EXIT] = on_exit_starting,
		[SHIM_E_DELETE_REQ] = delete_running,
	},
	[SHIM_S_RUNNING] = {
		[SHIM_E_START_REQ] = refuse_running,
		[SHIM_E_KILL_REQ] = shim_stop_on_kill_req,
		[SHIM_E_STOP_REQ] = shim_stop_on_stop_req,
		[SHIM_E_EXIT] = on_exit_running,
		[SHIM_E_DELETE_REQ] = delete_running,
		[SHIM_E_UNHEALTHY] = shim_stop_on_unhealthy,
	},
	[SHIM_S_STOPPING] = {
		[SHIM_E_START_REQ] = refuse_running,
		[SHIM_E_KILL_REQ] = shim_stop_on_kill_req,
		[SHIM_E_STOP_REQ] = shim_stop_join,
		[SHIM_E_STOP_TIMEOUT] = shim_stop_on_timeout,
		[SHIM_E_EXIT] = on_exit_running,
		[SHIM_E_DELETE_REQ] = delete_running,
	},
	[SHIM_S_EXITED] = {
		[SHIM_E_START_REQ] = refuse_exited,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = shim_stop_join,
		[SHIM_E_DRAINED] = on_drained,
		[SHIM_E_DELETE_REQ] = join_delete,
		[SHIM_E_DELETE_DONE] = on_deleted,
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
		[SHIM_E_EXIT] = on_exit_deleting,
		[SHIM_E_DELETE_REQ] = join_delete,
		[SHIM_E_DELETE_DONE] = on_deleted,
	},
	[SHIM_S_GONE] = {
		[SHIM_E_START_REQ] = refuse_exited,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = ok_now,
		[SHIM_E_DELETE_REQ] = ok_now,
	},
};

void shim_supervise_event(struct shim *sh, const struct shim_ev *ev)
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

/* `runc create` into state CREATING; a spawn failure becomes CREATE_FAILED. */
void shim_supervise_create(struct shim *sh)
{
	struct runtime_call rc = {
		.op = sh->run_first ? RUNTIME_RUN : RUNTIME_CREATE,
		.id = sh->id,
		.bundle = sh->bundle,
		.pid_file = sh->pid_file,
		.stdio = { shim_io_stdin_rfd(sh), shim_io_stdout_wfd(sh), shim_io_stderr_wfd(sh) },
		.console_socket = shim_io_console(sh),
	};
	struct kerr err;
	int r;

	sh->held = sh->run_first;
	sh->run_first = false;
	sh->init_pid = 0;
	sh->init_reaped = false;
	memset(sh->early_pid, 0, sizeof(sh->early_pid));
	enter_state(sh, SHIM_S_CREATING);
	/* A stale pid file from an earlier run must not be mistaken for this one's. */
	(void)unlinkat(sh->dirfd, STORE_PID_FILE, 0);
	r = shim_call_spawn(sh, &rc, create_done, 0, 0, &err) ? 0 : -1;
	/* Saved while the runtime starts, not before: nobody reads it before it returns. */
	shim_supervise_save(sh);
	/* Only runc (and then the container) may hold the write ends: EOF must mean the
	 * container's output has ended. */
	shim_io_close_write_ends(sh);
	if (r < 0) {
		struct shim_ev ev = { .type = SHIM_E_CREATE_FAILED, .code = SHIM_ERR_CODE };

		ev.msg = err.msg;
		shim_supervise_event(sh, &ev);
	}
}

int shim_supervise_start(struct shim *sh, bool restart, struct kerr *err)
{
	(void)err;
	shim_restart_load_backoff(sh);
	if (restart) {
		shim_restart_carry_counters(sh);
		sh->restarting = true;
	}
	shim_supervise_create(sh);
	return 0;
}

void shim_supervise_reap(struct shim *sh)
{
	pid_t pid;
	int status;

	while (proc_reap_any(&pid, &status) == 1) {
		struct shim_call *call = NULL;

		if (sh->init_pid > 0 && pid == sh->init_pid && !sh->init_reaped) {
			struct shim_ev ev = { .type = SHIM_E_EXIT, .status = status };

			sh->init_reaped = true;
			sh->init_status = status;
			shim_supervise_event(sh, &ev);
			continue;
		}
		for (size_t i = 0; i < SHIM_CALLS_MAX && !call; i++)
			if (sh->calls[i].pid == pid)
				call = &sh->calls[i];
		if (call) {
			shim_call_complete(sh, call, status);
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
	}
}
