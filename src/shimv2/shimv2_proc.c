/*
 * shimv2_proc: the life of a task's processes (role layer, mechanism band).
 *
 * Every runtime step is a call of sv->calls (supervise/rtcall.c, the calls kettle's own
 * shim makes too): `create` for an init, `start`, `exec --detach` for an exec, `kill`,
 * `delete`. A step answers its TTRPC stream when the call completes, so calls are
 * answered out of order while others go on. The server is every process's subreaper; a
 * reaped child that is no call is matched to its process by pid (or kept in an exitlog,
 * since `runc exec` may return after its process has already exited).
 *
 * An exit is told once: TaskOOM first when the OOM killer struck the container, then
 * TaskExit, then every parked Wait is answered. It is told only after the process's start
 * was (never an exit before its start: a quick process may be reaped while `runc start`
 * is still running) and after a terminal's output ended (SHIMV2_DRAIN_MS at most). Events go
 * out in the order they are made (shimv2_events.c). Calls io, mount, events, reply and
 * state of the role; never the Task service's dispatcher.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "shimv2/shimv2_events.h"
#include "shimv2/shimv2_io.h"
#include "shimv2/shimv2_mount.h"
#include "shimv2/shimv2_proc.h"
#include "shimv2/shimv2_reply.h"

#define INIT_PID_FILE "init.pid"
#define EXEC_PREFIX   "exec-" /* exec-<serial>.json and .pid in the bundle */

static void maybe_tell(struct shimv2 *sv, struct shimv2_proc *p);

static void on_io_ended(struct shimv2 *sv, struct shimv2_proc *p)
{
	maybe_tell(sv, p);
}

void shimv2_proc_setup(struct shimv2 *sv)
{
	(void)sv;
	shimv2_io_set_ended(on_io_ended);
}

void shimv2_proc_init(struct shimv2 *sv, struct shimv2_task *t, struct shimv2_proc *p,
		      const char *exec_id)
{
	*p = (struct shimv2_proc){ .task = t, .status = SHIMV2_CREATED };
	snprintf(p->exec_id, sizeof(p->exec_id), "%s", exec_id);
	shimv2_io_init(sv, p);
}

static int bundle_path(const struct shimv2_task *t, const char *name, char *out, struct kerr *err)
{
	if (snprintf(out, PATH_MAX, "%s/%s", t->bundle, name) >= PATH_MAX)
		return kerr_set(err, ENAMETOOLONG, "path in bundle `%s`", t->bundle);
	return 0;
}

static void exec_files(const struct shimv2_proc *p, char json[64], char pid[64])
{
	snprintf(json, 64, EXEC_PREFIX "%u.json", p->serial);
	snprintf(pid, 64, EXEC_PREFIX "%u.pid", p->serial);
}

/* Error messages of a failed runtime call that mean the process is already gone. */
static bool gone_message(const char *msg)
{
	return strstr(msg, "not running") || strstr(msg, "no such process") ||
	       strstr(msg, "process already finished") || strstr(msg, "does not exist");
}

/* ---- telling exits ---- */

static void answer_wait(struct shimv2 *sv, const struct shimv2_proc *p, uint64_t conn, uint32_t sid)
{
	struct shimv2_reply r;

	if (!shimv2_reply_begin(sv, conn, sid, &r))
		return;
	pb_enc_u64(&r.e, 1, p->exit_status);
	pb_enc_timestamp_ns(&r.e, 2, p->exited_ns);
	shimv2_reply_end(sv, &r);
}

static void publish_exit(struct shimv2 *sv, struct shimv2_proc *p)
{
	struct shimv2_event_enc x;

	shimv2_events_begin(sv, &x, "/tasks/exit", "containerd.events.TaskExit");
	pb_enc_str(&x.e, 1, p->task->id);
	pb_enc_str(&x.e, 2, shimv2_state_proc_name(p));
	pb_enc_u64(&x.e, 3, (uint64_t)p->pid);
	pb_enc_u64(&x.e, 4, p->exit_status);
	pb_enc_timestamp_ns(&x.e, 5, p->exited_ns);
	shimv2_events_end(sv, &x);
}

static void publish_oom(struct shimv2 *sv, struct shimv2_task *t)
{
	struct shimv2_event_enc x;

	shimv2_events_begin(sv, &x, "/tasks/oom", "containerd.events.TaskOOM");
	pb_enc_str(&x.e, 1, t->id);
	shimv2_events_end(sv, &x);
}

static void on_drain(struct loop *l, void *data)
{
	struct shimv2_proc *p = data;

	(void)l;
	p->drain_timer = 0;
	p->drain_over = true;
	log_debug("`%s`: the terminal's output did not end within %d ms of the exit",
		  shimv2_state_proc_name(p), SHIMV2_DRAIN_MS);
	maybe_tell(p->in.sv, p);
}

/* Tells the exit once everything before it was told. */
static void maybe_tell(struct shimv2 *sv, struct shimv2_proc *p)
{
	struct kerr err;
	uint64_t kills = 0;

	/* busy: its create or start is in flight, whose event must go first. */
	if (!p->reaped || p->told || p->busy)
		return;
	if (!shimv2_io_drained(p) && !p->drain_over) {
		if (!p->drain_timer)
			p->drain_timer =
				loop_add_timer(sv->loop, SHIMV2_DRAIN_MS, on_drain, p, &err);
		if (p->drain_timer)
			return;
	}
	if (p->drain_timer)
		loop_cancel_timer(sv->loop, p->drain_timer);
	p->drain_timer = 0;
	p->told = true;
	p->status = SHIMV2_STOPPED;
	if (p == &p->task->init) {
		if (oomwatch_check(&p->task->oom, &kills, &err) < 0)
			log_warn("task %s: %s: cannot tell whether it was OOM-killed, ignoring",
				 p->task->id, err.msg);
		if (kills) {
			log_info("task %s: the OOM killer ended %llu process(es)", p->task->id,
				 (unsigned long long)kills);
			publish_oom(sv, p->task);
		}
	}
	log_info("task %s: `%s` (pid %d) exited with status %u", p->task->id,
		 shimv2_state_proc_name(p), (int)p->pid, p->exit_status);
	publish_exit(sv, p);
	for (size_t i = 0; i < SHIMV2_WAITS_MAX; i++) {
		struct shimv2_wait *w = &sv->waits[i];

		if (!w->conn || w->proc != p)
			continue;
		answer_wait(sv, p, w->conn, w->sid);
		*w = (struct shimv2_wait){ 0 };
	}
}

static void mark_reaped(struct shimv2 *sv, struct shimv2_proc *p, int status)
{
	p->reaped = true;
	p->wstatus = status;
	p->exit_status = (uint32_t)proc_exit_code(status);
	p->exited_ns = clock_wall_ns();
	maybe_tell(sv, p);
}

void shimv2_proc_reaped(struct shimv2 *sv, pid_t pid, int status)
{
	for (size_t i = 0; i < SHIMV2_TASKS_MAX; i++) {
		struct shimv2_task *t = sv->tasks[i];

		if (!t)
			continue;
		if (t->init.pid == pid && !t->init.reaped) {
			mark_reaped(sv, &t->init, status);
			return;
		}
		for (size_t k = 0; k < SHIMV2_EXECS_MAX; k++) {
			struct shimv2_proc *p = t->execs[k];

			if (p && p->pid == pid && !p->reaped) {
				mark_reaped(sv, p, status);
				return;
			}
		}
	}
	/* Perhaps a process whose pid file is not read yet. */
	exitlog_add(&sv->exits, pid, status);
}

void shimv2_proc_wait(struct shimv2 *sv, struct shimv2_proc *p, uint64_t conn, uint32_t sid)
{
	if (p->told) {
		answer_wait(sv, p, conn, sid);
		return;
	}
	for (size_t i = 0; i < SHIMV2_WAITS_MAX; i++) {
		struct shimv2_wait *w = &sv->waits[i];

		if (w->conn)
			continue;
		*w = (struct shimv2_wait){ .conn = conn, .sid = sid, .proc = p };
		return;
	}
	shimv2_reply_error(sv, conn, sid, TTRPC_RESOURCE_EXHAUSTED, "%d calls already wait",
			   SHIMV2_WAITS_MAX);
}

/* Answers and forgets the waits parked on p (which is going away untold). */
static void drop_waits(struct shimv2 *sv, const struct shimv2_proc *p)
{
	for (size_t i = 0; i < SHIMV2_WAITS_MAX; i++) {
		struct shimv2_wait *w = &sv->waits[i];

		if (!w->conn || w->proc != p)
			continue;
		shimv2_reply_error(sv, w->conn, w->sid, TTRPC_NOT_FOUND, "process `%s` was deleted",
				   shimv2_state_proc_name(p));
		*w = (struct shimv2_wait){ 0 };
	}
}

void shimv2_proc_forget_conn(struct shimv2 *sv, uint64_t conn)
{
	for (size_t i = 0; i < SHIMV2_WAITS_MAX; i++)
		if (sv->waits[i].conn == conn)
			sv->waits[i] = (struct shimv2_wait){ 0 };
	for (size_t i = 0; i < RTCALL_MAX; i++)
		if (sv->calls.calls[i].pid && sv->calls.calls[i].conn == conn)
			sv->calls.calls[i].conn = 0; /* it completes, unanswered */
}

/* ---- removing ---- */

static void proc_free(struct shimv2 *sv, struct shimv2_proc *p)
{
	char json[64], pid[64], path[PATH_MAX];
	struct kerr err;

	drop_waits(sv, p);
	shimv2_io_close(sv, p);
	if (p->drain_timer)
		loop_cancel_timer(sv->loop, p->drain_timer);
	p->drain_timer = 0;
	if (p->exec_id[0]) {
		exec_files(p, json, pid);
		if (bundle_path(p->task, json, path, &err) == 0)
			(void)unlink(path);
		if (bundle_path(p->task, pid, path, &err) == 0)
			(void)unlink(path);
	}
	shimv2_state_proc_clear(p);
}

/* Calls still running for data complete without it. */
static void orphan_calls(struct shimv2 *sv, const void *data)
{
	for (size_t i = 0; i < RTCALL_MAX; i++)
		if (sv->calls.calls[i].pid && sv->calls.calls[i].data == data)
			sv->calls.calls[i].data = NULL;
}

void shimv2_proc_task_remove(struct shimv2 *sv, struct shimv2_task *t)
{
	struct kerr err;

	for (size_t i = 0; i < SHIMV2_EXECS_MAX; i++) {
		struct shimv2_proc *p = t->execs[i];

		if (!p)
			continue;
		/* Reparented to us and not reaped: the pid is still this process's. */
		if (p->pid > 0 && !p->reaped)
			kill(p->pid, SIGKILL);
		orphan_calls(sv, p);
		proc_free(sv, p);
		free(p);
		t->execs[i] = NULL;
	}
	orphan_calls(sv, t);
	orphan_calls(sv, &t->init);
	proc_free(sv, &t->init);
	if (t->mounted && shimv2_mount_cleanup(t->bundle, &err) < 0)
		log_warn("task %s: %s, ignoring", t->id, err.msg);
	for (size_t i = 0; i < SHIMV2_TASKS_MAX; i++)
		if (sv->tasks[i] == t)
			sv->tasks[i] = NULL;
	free(t->create_req);
	free(t);
}

/* ---- create ---- */

static void publish_create(struct shimv2 *sv, struct shimv2_task *t)
{
	struct shimv2_event_enc x;
	struct pb_dec d;
	struct pb_field f;
	struct kerr err;

	shimv2_events_begin(sv, &x, "/tasks/create", "containerd.events.TaskCreate");
	pb_enc_str(&x.e, 1, t->id);
	pb_enc_str(&x.e, 2, t->bundle);
	/* The rootfs mounts as containerd sent them (Create field 3, the same Mount type). */
	pb_dec_init(&d, t->create_req, t->create_len);
	while (pb_dec_next(&d, &f, &err) > 0)
		if (f.num == 3 && f.wire == PB_LEN)
			pb_enc_bytes(&x.e, 3, f.b.p, f.b.n);
	pb_enc_msg_begin(&x.e, 4); /* io */
	pb_enc_str(&x.e, 1, t->init.stdin_path);
	pb_enc_str(&x.e, 2, t->init.stdout_path);
	pb_enc_str(&x.e, 3, t->init.stderr_path);
	pb_enc_bool(&x.e, 4, t->init.terminal);
	pb_enc_msg_end(&x.e);
	pb_enc_u64(&x.e, 6, (uint64_t)t->init.pid);
	shimv2_events_end(sv, &x);
}

/* The pty master the runtime sent for the call that just completed. */
static int take_master(struct shimv2 *sv, struct shimv2_proc *p, pid_t runtime_pid,
		       struct kerr *err)
{
	struct kerr refused;
	int master = -1;
	int r = console_receive(&p->console, runtime_pid, &master, &refused, err);

	if (refused.msg[0])
		log_warn("`%s`: %s, ignoring", shimv2_state_proc_name(p), refused.msg);
	if (r < 0)
		return kerr_wrap(err, "the terminal of `%s`", shimv2_state_proc_name(p));
	if (r == 0)
		return kerr_set(err, 0, "the runtime did not send the terminal of `%s`",
				shimv2_state_proc_name(p));
	console_close(&p->console);
	return shimv2_io_terminal(sv, p, master, err);
}

static void create_done(void *owner, struct rtcall *call, int status)
{
	struct shimv2 *sv = owner;
	struct shimv2_task *t = call->data;
	char msg[KERR_MSG_MAX], path[PATH_MAX];
	struct kerr err, log_err;
	int st;

	if (!t)
		return;
	t->init.busy = false;
	if (rtcall_failed(call, status, msg, sizeof(msg), &log_err)) {
		if (log_err.msg[0])
			log_warn("%s, ignoring", log_err.msg);
		log_error("task %s: %s", t->id, msg);
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_UNKNOWN, "%s", msg);
		shimv2_proc_task_remove(sv, t);
		return;
	}
	if (bundle_path(t, INIT_PID_FILE, path, &err) < 0 ||
	    runtime_read_pid_file(path, &t->init.pid, &err) < 0 ||
	    (t->init.terminal && take_master(sv, &t->init, call->pid, &err) < 0)) {
		log_error("task %s: %s", t->id, err.msg);
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_UNKNOWN, "%s", err.msg);
		/* The init may wait on its exec FIFO: it must not outlive the failed create
		 * (reparented to us, so the pid is still its). */
		if (t->init.pid > 0)
			kill(t->init.pid, SIGKILL);
		shimv2_proc_task_remove(sv, t);
		return;
	}
	if (oomwatch_begin(&t->oom, t->init.pid, &err) < 0)
		log_debug("task %s: no OOM detection: %s", t->id, err.msg);
	log_info("task %s created, init pid %d", t->id, (int)t->init.pid);
	struct shimv2_reply r;
	if (shimv2_reply_begin(sv, call->conn, call->reqid, &r)) {
		pb_enc_u64(&r.e, 1, (uint64_t)t->init.pid);
		shimv2_reply_end(sv, &r);
	}
	publish_create(sv, t);
	if (exitlog_claim(&sv->exits, t->init.pid, t->init.seq, &st))
		mark_reaped(sv, &t->init, st);
}

int shimv2_proc_create(struct shimv2 *sv, struct shimv2_task *t, uint64_t conn, uint32_t sid,
		       struct kerr *err)
{
	struct shimv2_proc *p = &t->init;
	char pid_file[PATH_MAX];

	if (bundle_path(t, INIT_PID_FILE, pid_file, err) < 0)
		return -1;
	(void)unlink(pid_file);
	if (shimv2_io_open(sv, p, err) < 0)
		return -1;
	if (p->terminal && console_listen(&p->console, err) < 0)
		return -1;
	struct runtime_call rc = {
		.op = RUNTIME_CREATE,
		.id = t->id,
		.bundle = t->bundle,
		.pid_file = pid_file,
		.console_socket = console_arg(&p->console),
		.stdio = { p->stdin_rfd, p->stdout_fd, p->stderr_fd },
	};
	p->seq = exitlog_next(&sv->exits);
	struct rtcall *call = rtcall_spawn(&sv->calls, &rc, false, create_done, t, err);
	if (!call)
		return -1;
	call->conn = conn;
	call->reqid = sid;
	p->busy = true;
	shimv2_io_handed(p);
	return 0;
}

/* ---- start ---- */

static void publish_start(struct shimv2 *sv, struct shimv2_proc *p)
{
	struct shimv2_event_enc x;

	if (p->exec_id[0]) {
		shimv2_events_begin(sv, &x, "/tasks/exec-started",
				    "containerd.events.TaskExecStarted");
		pb_enc_str(&x.e, 1, p->task->id);
		pb_enc_str(&x.e, 2, p->exec_id);
		pb_enc_u64(&x.e, 3, (uint64_t)p->pid);
	} else {
		shimv2_events_begin(sv, &x, "/tasks/start", "containerd.events.TaskStart");
		pb_enc_str(&x.e, 1, p->task->id);
		pb_enc_u64(&x.e, 2, (uint64_t)p->pid);
	}
	shimv2_events_end(sv, &x);
}

static void answer_pid(struct shimv2 *sv, uint64_t conn, uint32_t sid, pid_t pid)
{
	struct shimv2_reply r;

	if (!shimv2_reply_begin(sv, conn, sid, &r))
		return;
	pb_enc_u64(&r.e, 1, (uint64_t)pid);
	shimv2_reply_end(sv, &r);
}

/* A start that failed: no start event, but the waits learn an exit (the process did not
 * run: docker's 127/126/125 after the runtime's message). */
static void start_failed(struct shimv2 *sv, struct shimv2_proc *p, uint64_t conn, uint32_t sid,
			 const char *msg)
{
	log_error("task %s: start `%s`: %s", p->task->id, shimv2_state_proc_name(p), msg);
	shimv2_reply_error(sv, conn, sid, TTRPC_UNKNOWN, "%s", msg);
	p->started = true;
	if (!p->reaped) {
		/* The init of a failed `runc start` is reaped later; an exec never ran. */
		if (p->exec_id[0] || p->pid <= 0) {
			p->reaped = true;
			p->exit_status = (uint32_t)runtime_error_exit_code(msg);
			p->exited_ns = clock_wall_ns();
		}
	}
	maybe_tell(sv, p);
}

static void start_done(void *owner, struct rtcall *call, int status)
{
	struct shimv2 *sv = owner;
	struct shimv2_proc *p = call->data;
	char msg[KERR_MSG_MAX], json[64], pidname[64], path[PATH_MAX];
	struct kerr err, log_err;
	int st;

	if (!p)
		return;
	p->busy = false;
	if (rtcall_failed(call, status, msg, sizeof(msg), &log_err)) {
		if (log_err.msg[0])
			log_warn("%s, ignoring", log_err.msg);
		start_failed(sv, p, call->conn, call->reqid, msg);
		return;
	}
	if (p->exec_id[0]) {
		exec_files(p, json, pidname);
		if (bundle_path(p->task, pidname, path, &err) < 0 ||
		    runtime_read_pid_file(path, &p->pid, &err) < 0 ||
		    (p->terminal && take_master(sv, p, call->pid, &err) < 0)) {
			if (p->pid > 0 && !p->reaped)
				kill(p->pid, SIGKILL); /* our unreaped child */
			start_failed(sv, p, call->conn, call->reqid, err.msg);
			return;
		}
		if (exitlog_claim(&sv->exits, p->pid, p->seq, &st)) {
			p->reaped = true;
			p->wstatus = st;
			p->exit_status = (uint32_t)proc_exit_code(st);
			p->exited_ns = clock_wall_ns();
		}
		free(p->spec);
		p->spec = NULL;
		p->spec_len = 0;
	}
	if (!p->reaped)
		p->status = SHIMV2_RUNNING;
	p->started = true;
	log_info("task %s: `%s` started, pid %d", p->task->id, shimv2_state_proc_name(p),
		 (int)p->pid);
	/* The event first: an exec's waiter acts on the answer. */
	publish_start(sv, p);
	answer_pid(sv, call->conn, call->reqid, p->pid);
	maybe_tell(sv, p);
}

static int start_exec(struct shimv2 *sv, struct shimv2_proc *p, struct runtime_call *rc, char *file,
		      char *pid_file, struct kerr *err)
{
	struct shimv2_task *t = p->task;
	char json[64], pidname[64];

	exec_files(p, json, pidname);
	if (bundle_path(t, json, file, err) < 0 || bundle_path(t, pidname, pid_file, err) < 0)
		return -1;
	(void)unlink(pid_file);
	_cleanup_close_ int fd =
		open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return kerr_set(err, errno, "write `%s`", file);
	if (fd_write_full(fd, p->spec, p->spec_len, err) < 0)
		return kerr_wrap(err, "write `%s`", file);
	if (shimv2_io_open(sv, p, err) < 0)
		return -1;
	if (p->terminal && console_listen(&p->console, err) < 0)
		return -1;
	*rc = (struct runtime_call){
		.op = RUNTIME_EXEC,
		.id = t->id,
		.pid_file = pid_file,
		.file = file,
		.detach = true,
		.console_socket = console_arg(&p->console),
		.stdio = { p->stdin_rfd, p->stdout_fd, p->stderr_fd },
	};
	return 0;
}

int shimv2_proc_start(struct shimv2 *sv, struct shimv2_proc *p, uint64_t conn, uint32_t sid,
		      struct kerr *err)
{
	char file[PATH_MAX], pid_file[PATH_MAX];
	struct runtime_call rc = {
		.op = RUNTIME_START,
		.id = p->task->id,
		.stdio = { -1, -1, -1 },
	};

	if (p->busy || p->started || p->reaped)
		return kerr_set(err, EALREADY, "`%s` was started already",
				shimv2_state_proc_name(p));
	if (p->exec_id[0]) {
		if (p->task->init.reaped || !p->task->init.started)
			return kerr_set(err, ESRCH, "task `%s` is not running", p->task->id);
		if (start_exec(sv, p, &rc, file, pid_file, err) < 0) {
			shimv2_io_close(sv, p);
			return -1;
		}
	}
	p->seq = exitlog_next(&sv->exits);
	struct rtcall *call = rtcall_spawn(&sv->calls, &rc, false, start_done, p, err);
	if (!call) {
		if (p->exec_id[0])
			shimv2_io_close(sv, p);
		return -1;
	}
	call->conn = conn;
	call->reqid = sid;
	p->busy = true;
	shimv2_io_handed(p);
	return 0;
}

/* ---- kill ---- */

static void kill_done(void *owner, struct rtcall *call, int status)
{
	struct shimv2 *sv = owner;
	char msg[KERR_MSG_MAX];
	struct kerr log_err;

	if (!rtcall_failed(call, status, msg, sizeof(msg), &log_err)) {
		shimv2_reply_empty(sv, call->conn, call->reqid);
		return;
	}
	if (log_err.msg[0])
		log_warn("%s, ignoring", log_err.msg);
	if (gone_message(msg))
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_NOT_FOUND,
				   "process already finished: not found");
	else
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_UNKNOWN, "%s", msg);
}

void shimv2_proc_kill(struct shimv2 *sv, struct shimv2_proc *p, uint32_t sig, bool all,
		      uint64_t conn, uint32_t sid)
{
	struct kerr err;

	if (sig < 1 || sig > 64) {
		shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT,
				   "signal %u; allowed: 1..64", sig);
		return;
	}
	if (p->exec_id[0]) {
		if (p->pid <= 0) {
			shimv2_reply_error(sv, conn, sid, TTRPC_FAILED_PRECONDITION,
					   "process `%s` is not started", p->exec_id);
			return;
		}
		/* Our unreaped child (reparented by `runtime exec --detach`): still it. */
		if (p->reaped || kill(p->pid, (int)sig) < 0) {
			shimv2_reply_error(sv, conn, sid, TTRPC_NOT_FOUND,
					   "process already finished: not found");
			return;
		}
		shimv2_reply_empty(sv, conn, sid);
		return;
	}
	if (p->busy && !p->started && p->pid <= 0) {
		shimv2_reply_error(sv, conn, sid, TTRPC_FAILED_PRECONDITION,
				   "task `%s` is still being created", p->task->id);
		return;
	}
	if (p->reaped) {
		/* --all on a stopped container kills nothing and is fine, as with runc. */
		if (all)
			shimv2_reply_empty(sv, conn, sid);
		else
			shimv2_reply_error(sv, conn, sid, TTRPC_NOT_FOUND,
					   "process already finished: not found");
		return;
	}
	struct runtime_call rc = {
		.op = RUNTIME_KILL,
		.id = p->task->id,
		.signal = (int)sig,
		.all = all,
		.stdio = { -1, -1, -1 },
	};
	struct rtcall *call = rtcall_spawn(&sv->calls, &rc, false, kill_done, p, &err);
	if (!call) {
		shimv2_reply_error(sv, conn, sid, TTRPC_UNAVAILABLE, "%s", err.msg);
		return;
	}
	call->conn = conn;
	call->reqid = sid;
}

/* ---- delete ---- */

static void answer_delete(struct shimv2 *sv, uint64_t conn, uint32_t sid, pid_t pid,
			  uint32_t status, int64_t at)
{
	struct shimv2_reply r;

	if (!shimv2_reply_begin(sv, conn, sid, &r))
		return;
	pb_enc_u64(&r.e, 1, (uint64_t)pid);
	pb_enc_u64(&r.e, 2, status);
	pb_enc_timestamp_ns(&r.e, 3, at);
	shimv2_reply_end(sv, &r);
}

static void delete_done(void *owner, struct rtcall *call, int status)
{
	struct shimv2 *sv = owner;
	struct shimv2_task *t = call->data;
	char msg[KERR_MSG_MAX];
	struct kerr log_err;
	struct shimv2_event_enc x;

	if (!t)
		return;
	t->deleting = false;
	if (rtcall_failed(call, status, msg, sizeof(msg), &log_err)) {
		if (log_err.msg[0])
			log_warn("%s, ignoring", log_err.msg);
		if (!gone_message(msg)) {
			log_error("task %s: %s", t->id, msg);
			shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_UNKNOWN, "%s", msg);
			return;
		}
	}
	struct shimv2_proc *p = &t->init;
	uint32_t st = p->reaped ? p->exit_status : SHIMV2_STATUS_137;
	int64_t at = p->reaped ? p->exited_ns : clock_wall_ns();
	pid_t pid = p->pid;

	log_info("task %s deleted", t->id);
	answer_delete(sv, call->conn, call->reqid, pid, st, at);
	shimv2_events_begin(sv, &x, "/tasks/delete", "containerd.events.TaskDelete");
	pb_enc_str(&x.e, 1, t->id);
	pb_enc_u64(&x.e, 2, (uint64_t)pid);
	pb_enc_u64(&x.e, 3, st);
	pb_enc_timestamp_ns(&x.e, 4, at);
	shimv2_events_end(sv, &x);
	shimv2_proc_task_remove(sv, t);
}

void shimv2_proc_delete(struct shimv2 *sv, struct shimv2_proc *p, uint64_t conn, uint32_t sid)
{
	struct shimv2_task *t = p->task;
	struct kerr err;

	if (p->exec_id[0]) {
		if (p->started && !p->reaped) {
			shimv2_reply_error(
				sv, conn, sid, TTRPC_FAILED_PRECONDITION,
				"process `%s` is running: it must exit before it is deleted",
				p->exec_id);
			return;
		}
		answer_delete(sv, conn, sid, p->pid, p->exit_status,
			      p->reaped ? p->exited_ns : clock_wall_ns());
		for (size_t i = 0; i < SHIMV2_EXECS_MAX; i++)
			if (t->execs[i] == p)
				t->execs[i] = NULL;
		orphan_calls(sv, p);
		proc_free(sv, p);
		free(p);
		return;
	}
	if (t->deleting || p->busy) {
		shimv2_reply_error(sv, conn, sid, TTRPC_FAILED_PRECONDITION,
				   "task `%s` is busy (being created, started or deleted)", t->id);
		return;
	}
	if (p->started && !p->reaped) {
		shimv2_reply_error(sv, conn, sid, TTRPC_FAILED_PRECONDITION,
				   "task `%s` is running: it must exit before it is deleted",
				   t->id);
		return;
	}
	struct runtime_call rc = {
		.op = RUNTIME_DELETE,
		.id = t->id,
		/* Created and never started: the init waits on its FIFO and goes with it. */
		.force = !p->started,
		.stdio = { -1, -1, -1 },
	};
	struct rtcall *call = rtcall_spawn(&sv->calls, &rc, false, delete_done, t, &err);
	if (!call) {
		shimv2_reply_error(sv, conn, sid, TTRPC_UNAVAILABLE, "%s", err.msg);
		return;
	}
	call->conn = conn;
	call->reqid = sid;
	t->deleting = true;
}

/* ---- pause, resume ---- */

void shimv2_proc_paused(struct shimv2 *sv, struct shimv2_task *t, bool paused)
{
	struct shimv2_event_enc x;

	if (t->init.status == SHIMV2_RUNNING || t->init.status == SHIMV2_PAUSED)
		t->init.status = paused ? SHIMV2_PAUSED : SHIMV2_RUNNING;
	if (paused)
		shimv2_events_begin(sv, &x, "/tasks/paused", "containerd.events.TaskPaused");
	else
		shimv2_events_begin(sv, &x, "/tasks/resumed", "containerd.events.TaskResumed");
	pb_enc_str(&x.e, 1, t->id);
	shimv2_events_end(sv, &x);
}
