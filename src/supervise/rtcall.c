/*
 * rtcall: runtime calls in flight, with deadlines (mechanism, rank 50).
 *
 * Moved here from kettle's shim (shim_call.c) so that the containerd shim v2 runs runc
 * the same way: one slot per runtime process, keyed by its pid. The deadline kills only
 * our unreaped child, so the pid cannot have been recycled. Captured stdout is read
 * without blocking from a loop watch and once more when the process is reaped (its writer
 * gone, what it wrote is in the pipe); bytes past RTCALL_OUT_MAX are dropped and the
 * owner sees out_cut. Slots are freed only after their completion ran.
 * Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.h"
#include "runtime/proc.h"
#include "supervise/rtcall.h"

#define READ_CHUNK 4096 /* bytes read from a call's stdout at a time */

const char *rtcall_op_name(enum runtime_op op)
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
	case RUNTIME_STATE:
		return "state";
	case RUNTIME_PS:
		return "ps";
	case RUNTIME_EXEC:
		return "exec";
	case RUNTIME_PAUSE:
		return "pause";
	case RUNTIME_RESUME:
		return "resume";
	case RUNTIME_UPDATE:
		return "update";
	}
	return "call";
}

void rtcall_set_init(struct rtcall_set *s, struct loop *l, const struct runtime *rt,
		     uint64_t timeout_ms, void *owner)
{
	*s = (struct rtcall_set){ .loop = l, .rt = rt, .timeout_ms = timeout_ms, .owner = owner };
	for (size_t i = 0; i < RTCALL_MAX; i++)
		s->calls[i].out_fd = -1;
}

static void on_timeout(struct loop *l, void *data)
{
	struct rtcall *call = data;

	(void)l;
	call->timer = 0;
	call->timed_out = true;
	/* Still our unreaped child, so the pid cannot have been recycled. */
	kill(call->pid, SIGKILL);
}

/* Reads what the call wrote to its stdout; true at EOF (or on an error). */
static bool read_out(struct rtcall *call)
{
	uint8_t chunk[READ_CHUNK];

	for (;;) {
		ssize_t n = read(call->out_fd, chunk, sizeof(chunk));
		struct kerr ignored;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n <= 0)
			return true;
		if (call->out.len + (size_t)n <= call->out.max)
			(void)buf_append(&call->out, chunk, (size_t)n, &ignored);
		else
			call->out_cut = true;
	}
}

static void close_out(struct rtcall *call)
{
	if (call->out_fd < 0)
		return;
	loop_del_fd(call->set->loop, call->out_fd);
	call->out_fd = fd_close(call->out_fd);
}

static void on_out(struct loop *l, int fd, uint32_t events, void *data)
{
	struct rtcall *call = data;

	(void)l;
	(void)fd;
	(void)events;
	if (read_out(call))
		close_out(call);
}

struct rtcall *rtcall_spawn(struct rtcall_set *s, struct runtime_call *rc, bool capture,
			    rtcall_fn done, void *data, struct kerr *err)
{
	struct rtcall *call = NULL;
	int p[2] = { -1, -1 };
	pid_t pid;

	for (size_t i = 0; i < RTCALL_MAX && !call; i++)
		if (s->calls[i].pid == 0)
			call = &s->calls[i];
	if (!call) {
		kerr_set(err, EAGAIN, "runtime %s: %d runtime calls already in flight",
			 rtcall_op_name(rc->op), RTCALL_MAX);
		return NULL;
	}
	if (capture && pipe2(p, O_CLOEXEC) < 0) {
		kerr_set(err, errno, "runtime %s: create its output pipe", rtcall_op_name(rc->op));
		return NULL;
	}
	_cleanup_close_ int rfd = p[0];
	_cleanup_close_ int wfd = p[1];
	if (capture) {
		if (fd_set_nonblock(rfd, true, err) < 0)
			return NULL;
		rc->stdio[1] = wfd;
	}
	off_t off = runtime_log_offset(s->rt);
	/* A supervisor that dies mid-call takes the call with it: nothing is created or
	 * started behind the back of whoever takes over. */
	rc->die_with_caller = true;
	if (runtime_spawn(s->rt, rc, &pid, err) < 0)
		return NULL;
	*call = (struct rtcall){
		.pid = pid,
		.op = rc->op,
		.log_off = off,
		.done = done,
		.data = data,
		.out_fd = -1,
		.set = s,
	};
	buf_init(&call->out, RTCALL_OUT_MAX);
	struct kerr ignored;
	/* Without a deadline a hung runtime is only ended by its caller's exit: the call
	 * still goes on, and the owner can tell from call->timer == 0. */
	call->timer = loop_add_timer(s->loop, s->timeout_ms, on_timeout, call, &ignored);
	if (capture) {
		/* Our copy of the write end goes now: EOF must mean the runtime closed its own. */
		wfd = fd_close(wfd);
		call->out_fd = take_fd(&rfd);
		/* Without the watch it is read once reaped; a large output then blocks the
		 * runtime until the deadline ends it. */
		if (loop_add_fd(s->loop, call->out_fd, LOOP_READ, on_out, call, &ignored) < 0)
			call->out_fd = fd_close(call->out_fd);
	}
	return call;
}

struct rtcall *rtcall_find(struct rtcall_set *s, pid_t pid)
{
	if (pid <= 0)
		return NULL;
	for (size_t i = 0; i < RTCALL_MAX; i++)
		if (s->calls[i].pid == pid)
			return &s->calls[i];
	return NULL;
}

void rtcall_reaped(struct rtcall *call)
{
	if (call->timer)
		loop_cancel_timer(call->set->loop, call->timer);
	call->timer = 0;
	if (call->out_fd >= 0) {
		(void)read_out(call);
		close_out(call);
	}
}

enum rtcall_result rtcall_failed(const struct rtcall *call, int status, char *msg, size_t cap,
				 struct kerr *log_err)
{
	const char *op = rtcall_op_name(call->op);
	struct kerr err;

	msg[0] = '\0';
	if (log_err)
		kerr_clear(log_err);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !call->timed_out)
		return RTCALL_OK;
	if (call->timed_out) {
		snprintf(msg, cap, "runtime %s timed out after %llu ms and was killed", op,
			 (unsigned long long)call->set->timeout_ms);
		return RTCALL_FAILED;
	}
	if (runtime_read_error(call->set->rt, call->log_off, msg, cap, &err) < 0 && log_err)
		*log_err = err;
	if (msg[0])
		return RTCALL_RUNTIME;
	if (WIFEXITED(status))
		snprintf(msg, cap, "runtime %s failed with exit status %d", op,
			 WEXITSTATUS(status));
	else
		snprintf(msg, cap, "runtime %s was killed by %s", op,
			 proc_signal_name(WTERMSIG(status)));
	return RTCALL_FAILED;
}

void rtcall_free(struct rtcall *call)
{
	close_out(call);
	buf_done(&call->out);
	call->pid = 0;
}

void rtcall_complete(struct rtcall *call, int status)
{
	rtcall_reaped(call);
	if (call->done)
		call->done(call->set->owner, call, status);
	rtcall_free(call);
}

size_t rtcall_count(const struct rtcall_set *s)
{
	size_t n = 0;

	for (size_t i = 0; i < RTCALL_MAX; i++)
		n += s->calls[i].pid != 0;
	return n;
}

void rtcall_set_done(struct rtcall_set *s)
{
	for (size_t i = 0; i < RTCALL_MAX; i++) {
		struct rtcall *call = &s->calls[i];

		if (!call->pid)
			continue;
		if (call->timer)
			loop_cancel_timer(s->loop, call->timer);
		call->timer = 0;
		rtcall_free(call);
	}
}
