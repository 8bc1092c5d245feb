/*
 * shim_supervise: the container's lifecycle in the shim (role layer, STYLE rule 15).
 *
 * A const table actions[state][event] names the one transition function for every pair,
 * as s6-supervise does; a NULL entry means the event cannot happen in that state (an
 * internal event is logged and ignored, a request is refused). Runtime calls are
 * asynchronous: each is a slot in sh->calls keyed by the runtime's pid, with a
 * runtime_timeout_ms timer that SIGKILLs a hung runtime and a completion that turns its
 * result into the next event. Invariants: exit.json is written (durably) before anyone
 * is told of an exit; the container's output is drained to EOF (bounded by
 * SHIM_DRAIN_MS) before END frames go out; nothing here waits or sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "json_w.h"
#include "log.h"
#include "proc.h"
#include "shim.h"
#include "store.h"
#include "str.h"
#include "wire.h"

/* Code of refusals and of kettle's own failures (docker's 125). */
#define SHIM_ERR_CODE  125
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

/* The transition alone; the caller saves state.json when it is due (set_state). */
static void enter_state(struct shim *sh, enum shim_state s)
{
	log_debug("%s -> %s", shim_state_name(sh->state), shim_state_name(s));
	sh->state = s;
}

static void set_state(struct shim *sh, enum shim_state s)
{
	enter_state(sh, s);
	shim_supervise_save(sh);
}

/* ---- runtime calls ---- */

static const char *op_name(enum runtime_op op)
{
	switch (op) {
	case RUNTIME_CREATE:
		return "create";
	case RUNTIME_RUN:
		return "run";
	case RUNTIME_START:
		return "start";
	case RUNTIME_KILL:
		return "kill";
	case RUNTIME_DELETE:
		return "delete";
	case RUNTIME_PS:
		return "ps";
	case RUNTIME_PAUSE:
		return "pause";
	case RUNTIME_RESUME:
		return "resume";
	case RUNTIME_UPDATE:
		return "update";
	default:
		return "call";
	}
}

static void call_timeout(struct loop *l, void *data)
{
	struct shim_call *call = data;

	(void)l;
	call->timer = 0;
	call->timed_out = true;
	log_warn("runtime %s (pid %d) still running after its timeout, killing it",
		 op_name(call->op), (int)call->pid);
	/* Still our unreaped child, so the pid cannot have been recycled. */
	kill(call->pid, SIGKILL);
}

/* Reads what the call wrote to its stdout; true at EOF. Bytes past the cap are dropped. */
static bool call_read_out(struct shim *sh, struct shim_call *call)
{
	for (;;) {
		ssize_t n = read(call->out_fd, sh->io.rbuf, SHIM_READ_BUF);
		struct kerr err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0)
			return true;
		if (call->out.len + (size_t)n <= call->out.max)
			(void)buf_append(&call->out, sh->io.rbuf, (size_t)n, &err);
	}
}

static void close_call_out(struct shim *sh, struct shim_call *call);

static void on_call_out(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shim *sh = data;

	(void)l;
	(void)events;
	for (size_t i = 0; i < SHIM_CALLS_MAX; i++) {
		struct shim_call *call = &sh->calls[i];

		if (call->pid && call->out_fd == fd) {
			if (call_read_out(sh, call))
				close_call_out(sh, call);
			return;
		}
	}
}

static void close_call_out(struct shim *sh, struct shim_call *call)
{
	if (call->out_fd < 0)
		return;
	loop_del_fd(sh->loop, call->out_fd);
	call->out_fd = fd_close(call->out_fd);
}

/* Starts one runtime process into a free slot; done runs when it is reaped. Returns the
 * slot, or NULL with err. */
static struct shim_call *call_spawn(struct shim *sh, struct runtime_call *rc, shim_call_fn done,
				    uint64_t conn, uint32_t reqid, struct kerr *err)
{
	struct shim_call *call = NULL;
	pid_t pid;

	for (size_t i = 0; i < SHIM_CALLS_MAX && !call; i++)
		if (sh->calls[i].pid == 0)
			call = &sh->calls[i];
	if (!call) {
		kerr_set(err, EAGAIN, "runtime %s: %d runtime calls already in flight",
			 op_name(rc->op), SHIM_CALLS_MAX);
		return NULL;
	}
	off_t off = runtime_log_offset(&sh->rt);
	/* A shim that dies mid-call takes the call with it: its container is then lost and
	 * deleted by the daemon (daemon_death_shim_lost), never created or started behind its back. */
	rc->die_with_caller = true;
	if (runtime_spawn(&sh->rt, rc, &pid, err) < 0)
		return NULL;
	*call = (struct shim_call){
		.pid = pid,
		.op = rc->op,
		.log_off = off,
		.done = done,
		.conn = conn,
		.reqid = reqid,
		.out_fd = -1,
	};
	buf_init(&call->out, SHIM_PS_OUT_MAX);
	call->timer = loop_add_timer(sh->loop, sh->runtime_timeout_ms, call_timeout, call, err);
	if (!call->timer)
		log_warn("%s: runtime %s has no timeout, ignoring", err->msg, op_name(rc->op));
	log_debug("runtime %s started as pid %d", op_name(rc->op), (int)pid);
	return call;
}

/* Fills msg when the call failed; returns true then. */
static bool call_failed(struct shim *sh, const struct shim_call *call, int status, char *msg,
			size_t cap)
{
	struct kerr err;

	msg[0] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !call->timed_out)
		return false;
	if (call->timed_out) {
		snprintf(msg, cap, "runtime %s timed out after %llu ms and was killed",
			 op_name(call->op), (unsigned long long)sh->runtime_timeout_ms);
		return true;
	}
	if (runtime_read_error(&sh->rt, call->log_off, msg, cap, &err) < 0)
		log_warn("%s, ignoring", err.msg);
	if (!msg[0]) {
		if (WIFEXITED(status))
			snprintf(msg, cap, "runtime %s failed with exit status %d",
				 op_name(call->op), WEXITSTATUS(status));
		else
			snprintf(msg, cap, "runtime %s was killed by %s", op_name(call->op),
				 proc_signal_name(WTERMSIG(status)));
	}
	return true;
}

static void call_complete(struct shim *sh, struct shim_call *call, int status)
{
	if (call->timer)
		loop_cancel_timer(sh->loop, call->timer);
	call->timer = 0;
	if (call->out_fd >= 0) {
		/* The writer has exited: what it wrote is in the pipe now. */
		(void)call_read_out(sh, call);
		close_call_out(sh, call);
	}
	if (call->done)
		call->done(sh, call, status);
	buf_done(&call->out);
	call->pid = 0;
}

size_t shim_supervise_calls(const struct shim *sh)
{
	size_t n = 0;

	for (size_t i = 0; i < SHIM_CALLS_MAX; i++)
		n += sh->calls[i].pid != 0;
	return n;
}

void shim_supervise_done(struct shim *sh)
{
	/* Runtime processes still running finish as orphans; we only drop our handles. */
	for (size_t i = 0; i < SHIM_CALLS_MAX; i++) {
		struct shim_call *call = &sh->calls[i];

		if (!call->pid)
			continue;
		if (call->timer)
			loop_cancel_timer(sh->loop, call->timer);
		close_call_out(sh, call);
		buf_done(&call->out);
		call->pid = 0;
	}
}

/* ---- completions: a runtime result becomes an event or a reply ---- */

static void create_done(struct shim *sh, struct shim_call *call, int status)
{
	char msg[STATUS_ERROR_MAX];
	struct shim_ev ev = { .type = SHIM_E_CREATE_DONE };
	struct kerr err;

	if (call_failed(sh, call, status, msg, sizeof(msg))) {
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

	if (call_failed(sh, call, status, msg, sizeof(msg))) {
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

	if (call_failed(sh, call, status, msg, sizeof(msg))) {
		ev.code = SHIM_ERR_CODE;
		ev.msg = msg;
	}
	shim_supervise_event(sh, &ev);
}

/* A kill the shim sent itself (stop, force) has no requester: failures are logged. */
static void kill_done(struct shim *sh, struct shim_call *call, int status)
{
	char msg[STATUS_ERROR_MAX];

	if (!call_failed(sh, call, status, msg, sizeof(msg))) {
		if (call->conn)
			shim_reply_ok(sh, call->conn, call->reqid);
		return;
	}
	if (call->conn)
		shim_reply_error(sh, call->conn, call->reqid, SHIM_ERR_CODE, msg);
	else
		log_warn("%s, ignoring", msg);
}

static void ps_done(struct shim *sh, struct shim_call *call, int status)
{
	char msg[STATUS_ERROR_MAX];
	struct rpc_conn *c;
	struct wire_enc e;
	struct kerr err;

	if (call_failed(sh, call, status, msg, sizeof(msg))) {
		shim_reply_error(sh, call->conn, call->reqid, SHIM_ERR_CODE, msg);
		return;
	}
	c = shim_conn(call->conn);
	if (!c)
		return;
	size_t len = call->out.len;
	while (len > 0 && (call->out.data[len - 1] == '\n' || call->out.data[len - 1] == ' '))
		len--;
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_OK, call->reqid, 0);
	if (len == 0 || len == call->out.max)
		wire_enc_str(&e, WIRE_F_JSON, len == 0 ? "[]" : "");
	else
		wire_enc_bytes(&e, WIRE_F_JSON, call->out.data, len);
	if (wire_enc_end(&e, &err) < 0) {
		shim_reply_error(sh, call->conn, call->reqid, SHIM_ERR_CODE, err.msg);
		return;
	}
	rpc_conn_send(c);
}

/* ---- runtime calls the transitions make ---- */

static int spawn_simple(struct shim *sh, enum runtime_op op, shim_call_fn done, int sig, bool flag,
			uint64_t conn, uint32_t reqid, struct kerr *err)
{
	struct runtime_call rc = {
		.op = op,
		.id = sh->id,
		.signal = sig,
		.all = op == RUNTIME_KILL && flag,
		.force = op == RUNTIME_DELETE && flag,
		.stdio = { -1, -1, -1 },
	};

	return call_spawn(sh, &rc, done, conn, reqid, err) ? 0 : -1;
}

/* Kill without a requester (stop, force delete, failed start). */
static void kill_quietly(struct shim *sh, int sig, bool all)
{
	struct kerr err;

	if (spawn_simple(sh, RUNTIME_KILL, kill_done, sig, all, 0, 0, &err) < 0)
		log_error("%s", err.msg);
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
	set_state(sh, next);
	if (spawn_simple(sh, RUNTIME_DELETE, delete_done, 0, true, 0, 0, &err) < 0) {
		struct shim_ev ev = { .type = SHIM_E_DELETE_DONE, .code = SHIM_ERR_CODE };

		log_error("%s", err.msg);
		ev.msg = err.msg;
		shim_supervise_event(sh, &ev);
	}
}

void shim_supervise_pids(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	struct kerr err;
	int p[2];

	if (sh->state < SHIM_S_CREATED || sh->state > SHIM_S_STOPPING) {
		struct rpc_conn *c = shim_conn(conn);
		struct wire_enc e;

		if (!c)
			return;
		wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_OK, reqid, 0);
		wire_enc_str(&e, WIRE_F_JSON, "[]");
		if (wire_enc_end(&e, &err) == 0)
			rpc_conn_send(c);
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		kerr_set(&err, errno, "runtime ps: create its output pipe");
		shim_reply_error(sh, conn, reqid, SHIM_ERR_CODE, err.msg);
		return;
	}
	_cleanup_close_ int rfd = p[0];
	_cleanup_close_ int wfd = p[1];
	struct runtime_call rc = {
		.op = RUNTIME_PS,
		.id = sh->id,
		.stdio = { -1, wfd, -1 },
	};
	struct shim_call *call = NULL;

	if (fd_set_nonblock(rfd, true, &err) == 0)
		call = call_spawn(sh, &rc, ps_done, conn, reqid, &err);
	if (!call) {
		shim_reply_error(sh, conn, reqid, SHIM_ERR_CODE, err.msg);
		return;
	}
	/* Our copy of the write end goes now: EOF must mean runc closed its own. */
	wfd = fd_close(wfd);
	call->out_fd = take_fd(&rfd);
	if (loop_add_fd(sh->loop, call->out_fd, LOOP_READ, on_call_out, sh, &err) < 0) {
		/* Without the watch a large output could block runc: the timeout ends it. */
		log_warn("%s, ignoring", err.msg);
		call->out_fd = fd_close(call->out_fd);
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
	set_state(sh, SHIM_S_EXITED);
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
	if (spawn_simple(sh, RUNTIME_START, start_done, 0, false, 0, 0, &err) < 0) {
		struct shim_ev fail = { .type = SHIM_E_START_FAILED, .code = SHIM_ERR_CODE };

		set_state(sh, SHIM_S_STARTING);
		fail.msg = err.msg;
		shim_supervise_event(sh, &fail);
		return;
	}
	set_state(sh, SHIM_S_STARTING);
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
	if (spawn_simple(sh, RUNTIME_START, start_done, 0, false, 0, 0, &err) < 0) {
		shim_reply_error(sh, ev->conn, ev->reqid, SHIM_ERR_CODE, err.msg);
		return;
	}
	shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0);
	set_state(sh, SHIM_S_STARTING);
}

static void join_start(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0);
}

static void on_stop_timer(struct loop *l, void *data)
{
	struct shim *sh = data;
	struct shim_ev ev = { .type = SHIM_E_STOP_TIMEOUT };

	(void)l;
	sh->stop_timer = 0;
	shim_supervise_event(sh, &ev);
}

/* docker stop: the signal to init, then SIGKILL to everything after the grace period. */
static void begin_stop(struct shim *sh, int sig, uint64_t timeout_ms)
{
	struct kerr err;

	sh->st.stopped_by_user = true;
	set_state(sh, SHIM_S_STOPPING);
	kill_quietly(sh, sig, false);
	sh->stop_timer = loop_add_timer(sh->loop, timeout_ms, on_stop_timer, sh, &err);
	if (!sh->stop_timer) {
		log_error("%s", err.msg);
		kill_quietly(sh, SIGKILL, true);
	}
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
		set_state(sh, SHIM_S_RUNNING);
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
		begin_stop(sh, sh->stop_signal, sh->stop_timeout_ms);
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
	set_state(sh, SHIM_S_STOPPING);
	kill_quietly(sh, SIGKILL, true);
}

static void on_kill_req(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	sh->st.stopped_by_user = true;
	if (spawn_simple(sh, RUNTIME_KILL, kill_done, ev->signal, ev->all, ev->conn, ev->reqid,
			 &err) < 0)
		shim_reply_error(sh, ev->conn, ev->reqid, SHIM_ERR_CODE, err.msg);
}

static void on_stop_req(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
	begin_stop(sh, ev->signal, ev->timeout_ms);
}

/* STOP while `runc start` is in flight: applied once it returned. Supervision ends now:
 * an init that exits before the start returns must not be restarted by the policy. */
static void defer_stop(struct shim *sh, const struct shim_ev *ev)
{
	shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
	sh->st.stopped_by_user = true;
	sh->stop_pending = true;
	sh->stop_signal = ev->signal;
	sh->stop_timeout_ms = ev->timeout_ms;
}

static void join_stop(struct shim *sh, const struct shim_ev *ev)
{
	/* Exited and about to apply the policy: a stop now still ends supervision. */
	sh->st.stopped_by_user = true;
	if (sh->exit_told)
		shim_reply_ok(sh, ev->conn, ev->reqid);
	else
		shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
}

static void on_stop_timeout(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	log_info("stop grace period over, killing every process of the container");
	kill_quietly(sh, SIGKILL, true);
}

/* --health-on-failure (podman's actions), once the check turned unhealthy. */
static void on_unhealthy(struct shim *sh, const struct shim_ev *ev)
{
	(void)ev;
	switch (sh->rec.health_on_failure) {
	case RECORD_HEALTH_KILL:
		/* Not a person's kill: the restart policy decides as after a crash. */
		log_info("unhealthy: killing the container (--health-on-failure kill)");
		sh->health_exit = true;
		kill_quietly(sh, SIGKILL, true);
		return;
	case RECORD_HEALTH_RESTART:
		log_info("unhealthy: restarting the container (--health-on-failure restart)");
		sh->health_exit = true;
		sh->health_restart = true;
		kill_quietly(sh, SIGKILL, true);
		return;
	case RECORD_HEALTH_STOP:
		/* `kettle stop` with its default grace: supervision ends. */
		log_info("unhealthy: stopping the container (--health-on-failure stop)");
		sh->health_exit = true;
		begin_stop(sh, SIGTERM, SHIM_STOP_TIMEOUT_MS);
		return;
	case RECORD_HEALTH_NONE:
		return;
	}
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
	kill_quietly(sh, SIGKILL, true);
}

/* Supervision is over: tell everyone and exit. */
static void finish(struct shim *sh)
{
	sh->restarting = false;
	sh->st.next_start_ns = 0;
	if (sh->st.kind == STATUS_RESTARTING)
		sh->st.kind = STATUS_EXITED;
	set_state(sh, SHIM_S_GONE);
	shim_begin_exit(sh);
}

static void on_restart_timer(struct loop *l, void *data)
{
	struct shim *sh = data;
	struct shim_ev ev = { .type = SHIM_E_RESTART_TIMER };

	(void)l;
	sh->restart_timer = 0;
	shim_supervise_event(sh, &ev);
}

static bool delete_requested(const struct shim *sh)
{
	for (size_t i = 0; i < sh->nwaiters; i++)
		if (sh->waiters[i].kind == SHIM_W_DELETE)
			return true;
	return false;
}

/* The exited container is deleted: the restart policy decides (STYLE rule 15). */
static void apply_policy(struct shim *sh)
{
	struct status *st = &sh->st;
	struct restart_input in = {
		.exit_code = st->exit_code,
		.stopped_by_user = st->stopped_by_user,
		.run_ms = sh->run_ms,
		.streak = st->restart_streak,
		.count = st->restart_count,
	};
	struct restart_decision d = restart_decide(&sh->rec.restart, &sh->backoff, &in);
	struct kerr err;

	if (!d.restart && sh->health_restart) {
		/* --health-on-failure restart: the same backoff as a crash, whatever the
		 * policy (a person's stop or kill meanwhile still ends it). */
		const struct restart_spec always = { .policy = RESTART_ALWAYS };

		d = restart_decide(&always, &sh->backoff, &in);
	}
	sh->health_restart = false;

	if (!d.restart || delete_requested(sh)) {
		finish(sh);
		return;
	}
	st->restart_streak = d.streak;
	st->kind = STATUS_RESTARTING;
	st->next_start_ns = clock_wall_ns() + (int64_t)(d.delay_ms * 1000000u);
	log_info("restart policy: restart %u in %llu ms (streak %u)", st->restart_count + 1,
		 (unsigned long long)d.delay_ms, d.streak);
	set_state(sh, SHIM_S_BACKOFF);
	shim_supervise_emit(sh, "restart",
			    (const struct shim_ev_attr[]){ { "attempt", st->restart_count + 1 },
							   { "delay_ms", (long long)d.delay_ms },
							   { "streak", d.streak },
							   { "exit_code", st->exit_code },
							   { NULL, 0 } },
			    NULL);
	sh->restart_timer = loop_add_timer(sh->loop, d.delay_ms, on_restart_timer, sh, &err);
	if (!sh->restart_timer) {
		log_error("%s: not restarting", err.msg);
		finish(sh);
	}
}

static void on_deleted(struct shim *sh, const struct shim_ev *ev)
{
	if (ev->code)
		log_warn("delete: %s", ev->msg);
	if (sh->state == SHIM_S_EXITED) {
		apply_policy(sh);
		return;
	}
	shim_wait_finish(sh, SHIM_W_DELETE, (uint32_t)ev->code, ev->msg);
	finish(sh);
}

static void spawn_create(struct shim *sh);

/* BACKOFF is over: the same id, the same log, fresh pipes. */
static void on_restart(struct shim *sh, const struct shim_ev *ev)
{
	struct kerr err;

	(void)ev;
	if (sh->restart_timer)
		loop_cancel_timer(sh->loop, sh->restart_timer);
	sh->restart_timer = 0;
	sh->st.restart_count++;
	sh->st.error[0] = '\0';
	sh->st.reason[0] = '\0';
	sh->exit_told = false;
	sh->init_reaped = false;
	sh->init_pid = 0;
	sh->start_error_code = 0;
	sh->stop_pending = false;
	sh->restarting = true;
	if (shim_io_reopen(sh, &err) < 0) {
		struct shim_ev fail = { .type = SHIM_E_CREATE_FAILED, .code = SHIM_ERR_CODE };

		log_error("%s", err.msg);
		set_state(sh, SHIM_S_CREATING);
		fail.msg = err.msg;
		shim_supervise_event(sh, &fail);
		return;
	}
	spawn_create(sh);
}

/* stop, kill or rm while waiting to restart: the person ends supervision. */
static void end_backoff(struct shim *sh)
{
	struct kerr err;

	if (sh->restart_timer)
		loop_cancel_timer(sh->loop, sh->restart_timer);
	sh->restart_timer = 0;
	sh->st.stopped_by_user = true;
	sh->st.kind = STATUS_EXITED;
	sh->st.next_start_ns = 0;
	/* unless-stopped after a reboot depends on this being on disk. */
	if (status_write(sh->dirfd, STORE_EXIT, &sh->st, true, &err) < 0)
		log_error("%s", err.msg);
}

static void stop_backoff(struct shim *sh, const struct shim_ev *ev)
{
	end_backoff(sh);
	/* state.json says exited before the requester hears OK and reads it. */
	finish(sh);
	shim_reply_ok(sh, ev->conn, ev->reqid);
}

static void delete_backoff(struct shim *sh, const struct shim_ev *ev)
{
	end_backoff(sh);
	if (shim_wait_add(sh, SHIM_W_DELETE, ev->conn, ev->reqid, 0))
		shim_wait_finish(sh, SHIM_W_DELETE, 0, NULL);
	finish(sh);
}

/* START while waiting: no reason to wait any longer. */
static void start_backoff(struct shim *sh, const struct shim_ev *ev)
{
	if (!shim_wait_add(sh, SHIM_W_START, ev->conn, ev->reqid, 0))
		return;
	on_restart(sh, ev);
}

/* STOP while a restart is being created: it is not started once created, and the
 * requester hears OK when the shim is done (shim_begin_exit tells STOP waiters). */
static void stop_creating(struct shim *sh, const struct shim_ev *ev)
{
	if (!sh->restarting) {
		shim_reply_ok(sh, ev->conn, ev->reqid);
		return;
	}
	sh->st.stopped_by_user = true;
	shim_wait_add(sh, SHIM_W_STOP, ev->conn, ev->reqid, 0);
}

static const shim_action actions[SHIM_S_COUNT][SHIM_E_COUNT] = {
	[SHIM_S_CREATING] = {
		[SHIM_E_CREATE_DONE] = on_created,
		[SHIM_E_CREATE_FAILED] = on_create_failed,
		[SHIM_E_START_REQ] = refuse_creating,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = stop_creating,
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
		[SHIM_E_KILL_REQ] = on_kill_req,
		[SHIM_E_STOP_REQ] = defer_stop,
		[SHIM_E_EXIT] = on_exit_starting,
		[SHIM_E_DELETE_REQ] = delete_running,
	},
	[SHIM_S_RUNNING] = {
		[SHIM_E_START_REQ] = refuse_running,
		[SHIM_E_KILL_REQ] = on_kill_req,
		[SHIM_E_STOP_REQ] = on_stop_req,
		[SHIM_E_EXIT] = on_exit_running,
		[SHIM_E_DELETE_REQ] = delete_running,
		[SHIM_E_UNHEALTHY] = on_unhealthy,
	},
	[SHIM_S_STOPPING] = {
		[SHIM_E_START_REQ] = refuse_running,
		[SHIM_E_KILL_REQ] = on_kill_req,
		[SHIM_E_STOP_REQ] = join_stop,
		[SHIM_E_STOP_TIMEOUT] = on_stop_timeout,
		[SHIM_E_EXIT] = on_exit_running,
		[SHIM_E_DELETE_REQ] = delete_running,
	},
	[SHIM_S_EXITED] = {
		[SHIM_E_START_REQ] = refuse_exited,
		[SHIM_E_KILL_REQ] = refuse_not_running,
		[SHIM_E_STOP_REQ] = join_stop,
		[SHIM_E_DRAINED] = on_drained,
		[SHIM_E_DELETE_REQ] = join_delete,
		[SHIM_E_DELETE_DONE] = on_deleted,
	},
	[SHIM_S_BACKOFF] = {
		[SHIM_E_START_REQ] = start_backoff,
		[SHIM_E_KILL_REQ] = stop_backoff,
		[SHIM_E_STOP_REQ] = stop_backoff,
		[SHIM_E_DELETE_REQ] = delete_backoff,
		[SHIM_E_RESTART_TIMER] = on_restart,
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
static void spawn_create(struct shim *sh)
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
	r = call_spawn(sh, &rc, create_done, 0, 0, &err) ? 0 : -1;
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

/* The record's backoff knobs; the daemon fills its defaults in at CREATE, these are the
 * last resort for a record that has none. */
static void load_backoff(struct shim *sh)
{
	const struct record *r = &sh->rec;

	sh->backoff = (struct restart_backoff){
		.base_ms = r->restart_delay_ms ? r->restart_delay_ms : RESTART_DELAY_MS,
		.max_ms = r->restart_max_delay_ms ? r->restart_max_delay_ms : RESTART_MAX_DELAY_MS,
		.reset_ms = r->restart_reset_ms ? r->restart_reset_ms : RESTART_RESET_MS,
	};
}

/* A policy restart by the daemon: the last exit and the counters go on (the daemon
 * wrote its decision to exit.json before spawning us). */
static void carry_counters(struct shim *sh)
{
	struct status last;
	struct kerr err;

	if (status_read(sh->dirfd, STORE_EXIT, &last, &err) < 0) {
		log_warn("%s: restart counters start at 0", err.msg);
		return;
	}
	sh->st.restart_count = last.restart_count + 1;
	sh->st.restart_streak = last.restart_streak;
	sh->st.started_ns = last.started_ns;
	sh->st.finished_ns = last.finished_ns;
	sh->st.exit_code = last.exit_code;
	sh->st.signal = last.signal;
}

int shim_supervise_start(struct shim *sh, bool restart, struct kerr *err)
{
	(void)err;
	load_backoff(sh);
	if (restart) {
		carry_counters(sh);
		sh->restarting = true;
	}
	spawn_create(sh);
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
			call_complete(sh, call, status);
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

/* ---- runtime calls for shim_ops.c (pause, resume, update) ---- */

struct shim_call *shim_supervise_call(struct shim *sh, struct runtime_call *rc, shim_call_fn done,
				      uint64_t conn, uint32_t reqid, struct kerr *err)
{
	return call_spawn(sh, rc, done, conn, reqid, err);
}

bool shim_supervise_failed(struct shim *sh, const struct shim_call *call, int status, char *msg,
			   size_t cap)
{
	return call_failed(sh, call, status, msg, cap);
}
