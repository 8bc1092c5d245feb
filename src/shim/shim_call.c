/*
 * shim_call: the runtime processes the shim has in flight (role layer, mechanism band).
 * Every runc invocation of the lifecycle (create, start, kill, delete, ps) and of
 * shim_ops.c (pause, resume, update) is a slot in sh->calls keyed by the runtime's pid:
 * started without waiting, killed (SIGKILL) by a runtime_timeout_ms timer when it hangs,
 * and finished when shim_supervise_reap reaps it: by its completion, which answers a
 * requester, or (lifecycle calls, no completion) by the reaper feeding the table.
 * Invariants: at most SHIM_CALLS_MAX calls at once; a slot is free (pid 0) only once its
 * result was used; a call's stdout (ps) is kept up to SHIM_PS_OUT_MAX bytes and read
 * without blocking; nothing here waits. Calls only shim_reply and shim_state of the role.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "ipc/wire.h"
#include "shim/shim_call.h"
#include "shim/shim_reply.h"

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
struct shim_call *shim_call_spawn(struct shim *sh, struct runtime_call *rc, shim_call_fn done,
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
	 * deleted by the daemon (shim_lost), never created or started behind its back. */
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
bool shim_call_failed(struct shim *sh, const struct shim_call *call, int status, char *msg,
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

void shim_call_reaped(struct shim *sh, struct shim_call *call)
{
	if (call->timer)
		loop_cancel_timer(sh->loop, call->timer);
	call->timer = 0;
	if (call->out_fd >= 0) {
		/* The writer has exited: what it wrote is in the pipe now. */
		(void)call_read_out(sh, call);
		close_call_out(sh, call);
	}
}

void shim_call_free(struct shim *sh, struct shim_call *call)
{
	(void)sh;
	buf_done(&call->out);
	call->pid = 0;
}

void shim_call_complete(struct shim *sh, struct shim_call *call, int status)
{
	shim_call_reaped(sh, call);
	if (call->done)
		call->done(sh, call, status);
	shim_call_free(sh, call);
}

size_t shim_call_count(const struct shim *sh)
{
	size_t n = 0;

	for (size_t i = 0; i < SHIM_CALLS_MAX; i++)
		n += sh->calls[i].pid != 0;
	return n;
}

void shim_call_done(struct shim *sh)
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

static void ps_done(struct shim *sh, struct shim_call *call, int status)
{
	char msg[STATUS_ERROR_MAX];
	struct rpc_conn *c;
	struct wire_enc e;
	struct kerr err;

	if (shim_call_failed(sh, call, status, msg, sizeof(msg))) {
		shim_reply_error(sh, call->conn, call->reqid, SHIM_ERR_CODE, msg);
		return;
	}
	c = shim_reply_conn(call->conn);
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

int shim_call_spawn_simple(struct shim *sh, enum runtime_op op, shim_call_fn done, int sig,
			   bool flag, uint64_t conn, uint32_t reqid, struct kerr *err)
{
	struct runtime_call rc = {
		.op = op,
		.id = sh->id,
		.signal = sig,
		.all = op == RUNTIME_KILL && flag,
		.force = op == RUNTIME_DELETE && flag,
		.stdio = { -1, -1, -1 },
	};

	return shim_call_spawn(sh, &rc, done, conn, reqid, err) ? 0 : -1;
}

void shim_call_pids(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	struct kerr err;
	int p[2];

	if (sh->state < SHIM_S_CREATED || sh->state > SHIM_S_STOPPING) {
		struct rpc_conn *c = shim_reply_conn(conn);
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
		call = shim_call_spawn(sh, &rc, ps_done, conn, reqid, &err);
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
