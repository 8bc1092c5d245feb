/*
 * shim_exec: `kettle exec` processes in the shim (role layer, mechanism band).
 * A SHIM_EXEC request becomes process.json (a fresh name per exec) and `runc exec
 * --detach`; runc leaves the process behind and the shim, as subreaper, reaps it. Without
 * a terminal its stdio is what the client handed over (SCM_RIGHTS: only pipes and regular
 * files are accepted; handed to runc and closed here at once), and an empty pipe or the
 * sink for what it did not; with one, runc sends the pty master to a per-exec console socket
 * and the shim relays DATA and STDIN. Each exec is answered once: ERROR, or OK{PID} then
 * END{EXIT_CODE} after the exit (and a terminal's output end, SHIM_DRAIN_MS at most).
 * Exits of unknown children are kept briefly in an exitlog (the pid file may be read after
 * the exit); `runc exec` itself is a call of sh->calls (supervise/rtcall.c).
 * The shim's own execs (health checks) report to a callback instead of frames. Calls
 * only tty, input and the bottom band of the role; never the lifecycle.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "ipc/reqbody.h"
#include "ipc/wire.h"
#include "runtime/spec.h"
#include "shim/shim_exec.h"
#include "shim/shim_input.h"
#include "shim/shim_reply.h"
#include "shim/shim_tty.h"
#include "store/store.h"
#include "base/str.h"
#include "supervise/exitlog.h"

#define EXEC_ERR_CODE	 125	 /* kettle's own failures */
#define EXEC_FILE_PREFIX "exec-" /* exec-<serial>.json / .pid */
#define EXEC_NAME_MAX	 32	 /* those names */

struct shim_exec {
	bool used;		      /* slot taken */
	unsigned serial;	      /* names this exec's files */
	uint64_t conn;		      /* requester: OK, DATA, END go there; 0 once gone */
	uint32_t reqid;		      /* requester's request id */
	pid_t runc_pid;		      /* `runc exec` in flight (a call of sh->calls), else 0 */
	uint64_t seq;		      /* unclaimed exits logged from here on may be ours */
	bool printed;		      /* runc's stderr is the client's */
	pid_t pid;		      /* the exec'd process, 0 until known */
	bool reaped;		      /* its exit was seen */
	int status;		      /* its wait status, with reaped */
	bool tty;		      /* process.terminal */
	struct console console;	      /* tty: the console socket runc sends the master to */
	int master;		      /* tty: pty master, owned; -1 once closed */
	bool watching;		      /* master registered in the loop */
	struct shim_input in;	      /* tty: input to master */
	uint64_t drain_timer;	      /* after the exit: bound on the output's end */
	uint32_t rows;		      /* size asked for before the master arrived (0: none) */
	uint32_t cols;		      /* with rows */
	char files[2][EXEC_NAME_MAX]; /* process.json and pid file names in the dir */
	shim_exec_fn done;	      /* internal exec: told the outcome instead of conn */
	void *done_data;	      /* done's argument */
	bool kill_asked;	      /* internal exec: SIGKILL it once its pid is known */
};

struct shim_execs {
	struct shim_exec x[SHIM_EXECS_MAX]; /* slots */
	int sink_r;			    /* owned; the sink's read end (in the loop), or -1 */
	int sink_w;			    /* owned; its write end, given as unwanted output */
	struct exitlog exits;		    /* exits of children nobody claimed yet */
	unsigned serial;		    /* last file serial used */
};

static struct shim_execs *execs(struct shim *sh)
{
	if (!sh->execs) {
		sh->execs = calloc(1, sizeof(*sh->execs));
		if (sh->execs)
			sh->execs->sink_r = sh->execs->sink_w = -1;
	}
	return sh->execs;
}

/* ---- the sink: output nobody reads (exec -d), drained and dropped ---- */

static void on_sink(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shim *sh = data;

	(void)l;
	(void)events;
	/* Bounded: a process writing without pause must not hold the loop. */
	for (int i = 0; i < 16; i++)
		if (read(fd, sh->io.rbuf, SHIM_READ_BUF) <= 0)
			break;
}

/*
 * The write end of one pipe per shim whose read end the loop drains: stdout and stderr of
 * an exec that keeps no output (-d). docker gives such a process the host's /dev/null;
 * kettle gives it only what it made (issue 12). Shared by those execs: nothing flows back.
 */
static int sink_fd(struct shim *sh, struct kerr *err)
{
	struct shim_execs *xs = sh->execs;
	int p[2];

	if (xs->sink_w >= 0)
		return xs->sink_w;
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "exec: create the output sink");
	if (fd_set_nonblock(p[0], true, err) < 0 ||
	    loop_add_fd(sh->loop, p[0], LOOP_READ, on_sink, sh, err) < 0) {
		fd_close(p[0]);
		fd_close(p[1]);
		return -1;
	}
	xs->sink_r = p[0];
	xs->sink_w = p[1];
	return xs->sink_w;
}

static void sink_close(struct shim *sh, struct shim_execs *xs)
{
	if (xs->sink_r >= 0)
		loop_del_fd(sh->loop, xs->sink_r);
	xs->sink_r = fd_close(xs->sink_r);
	xs->sink_w = fd_close(xs->sink_w);
}

/* ---- replies ---- */

static void exec_error(struct shim *sh, struct shim_exec *x, uint32_t code, const char *msg,
		       bool printed)
{
	struct rpc_conn *c = shim_reply_conn(x->conn);
	struct wire_enc e;
	struct kerr err;

	log_info("exec %u failed: %s", x->serial, msg);
	if (x->done) {
		shim_exec_fn fn = x->done;

		x->done = NULL;
		fn(sh, x->done_data, x->serial, 0, msg);
		return;
	}
	if (!c)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_ERROR, x->reqid, 0);
	wire_enc_u32(&e, WIRE_F_CODE, code);
	wire_enc_str(&e, WIRE_F_MSG, msg);
	if (printed)
		wire_enc_u32(&e, WIRE_F_PRINTED, 1);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

static void send_frame_u32(uint64_t conn, uint32_t reqid, uint16_t type, uint16_t tag, uint32_t v)
{
	struct rpc_conn *c = shim_reply_conn(conn);
	struct wire_enc e;
	struct kerr err;

	if (!c)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(c), type, reqid, 0);
	wire_enc_u32(&e, tag, v);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

/* ---- slots ---- */

static void unlink_files(struct shim *sh, struct shim_exec *x)
{
	for (int i = 0; i < 2; i++)
		if (x->files[i][0])
			(void)unlinkat(sh->dirfd, x->files[i], 0);
	x->files[0][0] = x->files[1][0] = '\0';
}

static void close_master(struct shim *sh, struct shim_exec *x)
{
	x->in.fd = -1;
	if (x->master >= 0 && x->watching)
		loop_del_fd(sh->loop, x->master);
	x->watching = false;
	x->master = fd_close(x->master);
}

static void slot_free(struct shim *sh, struct shim_exec *x)
{
	if (x->drain_timer)
		loop_cancel_timer(sh->loop, x->drain_timer);
	close_master(sh, x);
	shim_input_done(&x->in);
	console_close(&x->console);
	unlink_files(sh, x);
	*x = (struct shim_exec){ .master = -1 };
}

/* END{EXIT_CODE} once the process exited and (tty) its output ended. */
static void maybe_finish(struct shim *sh, struct shim_exec *x)
{
	if (!x->reaped || x->runc_pid || (x->tty && x->master >= 0))
		return;
	int code = proc_exit_code(x->status), status = x->status;
	unsigned serial = x->serial;
	shim_exec_fn fn = x->done;
	void *data = x->done_data;

	if (fn) {
		log_debug("exec %u (pid %d) exited with code %d", serial, (int)x->pid, code);
		slot_free(sh, x);
		fn(sh, data, serial, status, NULL);
		return;
	}
	log_info("exec %u (pid %d) exited with code %d", x->serial, (int)x->pid, code);
	send_frame_u32(x->conn, x->reqid, WIRE_T_END, WIRE_F_EXIT_CODE, (uint32_t)code);
	slot_free(sh, x);
}

static void on_drain_timer(struct loop *l, void *data)
{
	struct shim_exec *x = data;
	struct shim *sh = x->in.sh;

	(void)l;
	x->drain_timer = 0;
	log_debug("exec %u: output did not end within %d ms of the exit", x->serial, SHIM_DRAIN_MS);
	close_master(sh, x);
	maybe_finish(sh, x);
}

/* ---- the terminal ---- */

static void on_master(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shim_exec *x = data;
	struct shim *sh = x->in.sh;
	ssize_t n;

	(void)l;
	(void)fd;
	(void)events;
	n = read(x->master, sh->io.rbuf, SHIM_READ_BUF);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EIO: every slave descriptor is closed, the terminal's output is over. */
		close_master(sh, x);
		maybe_finish(sh, x);
		return;
	}
	struct rpc_conn *c = shim_reply_conn(x->conn);
	if (!c || rpc_conn_pending(c) > IPC_TX_MAX / 2)
		return; /* nobody listening, or too far behind: dropped, the process goes on */
	struct wire_enc e;
	struct kerr err;
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_DATA, x->reqid, 0);
	wire_enc_u32(&e, WIRE_F_STREAM, 1);
	wire_enc_bytes(&e, WIRE_F_DATA, sh->io.rbuf, (size_t)n);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

/* ---- runc exec completion ---- */

static void claim_orphan(struct shim_execs *xs, struct shim_exec *x)
{
	if (exitlog_claim(&xs->exits, x->pid, x->seq, &x->status))
		x->reaped = true;
}

static int take_master(struct shim *sh, struct shim_exec *x, struct kerr *err)
{
	struct kerr refused;
	int r = console_receive(&x->console, x->runc_pid, &x->master, &refused, err);

	if (refused.msg[0])
		log_warn("exec %u: %s, ignoring", x->serial, refused.msg);
	if (r < 0)
		return -1;
	if (r == 0)
		return kerr_set(err, 0, "runtime exec returned without sending the terminal");
	console_close(&x->console);
	x->in.fd = x->master;
	if (x->rows && console_resize(x->master, x->rows, x->cols, err) < 0)
		log_warn("%s, ignoring", err->msg);
	if (loop_add_fd(sh->loop, x->master, LOOP_READ, on_master, x, err) < 0)
		return -1;
	x->watching = true;
	return 0;
}

/* `runc exec` was reaped (a completion of sh->calls). */
static void runc_done(void *owner, struct rtcall *call, int status)
{
	struct shim *sh = owner;
	struct shim_exec *x = call->data;
	char msg[KERR_MSG_MAX];
	char path[PATH_MAX];
	struct kerr err, log_err;

	enum rtcall_result how = rtcall_failed(call, status, msg, sizeof(msg), &log_err);

	if (how != RTCALL_OK) {
		/* runc printed its own error on the client's stderr too. */
		bool printed = x->printed && how == RTCALL_RUNTIME;

		if (log_err.msg[0])
			log_warn("%s, ignoring", log_err.msg);
		if (call->timed_out)
			log_warn("runtime exec (pid %d) was still running after its timeout: "
				 "killed",
				 (int)call->pid);
		x->runc_pid = 0;
		/* docker: an exec whose command could not be started exits 126, or 127 when
		 * it was not found; never 125, which says kettle failed before trying. */
		int code = runtime_error_exit_code(msg);
		exec_error(sh, x, code == WIRE_FAIL_KETTLE ? WIRE_FAIL_CANNOT_EXEC : (uint32_t)code,
			   msg, printed);
		slot_free(sh, x);
		return;
	}
	if (store_container_path(sh->root, sh->id, x->files[1], path, sizeof(path), &err) < 0 ||
	    runtime_read_pid_file(path, &x->pid, &err) < 0 ||
	    (x->tty && take_master(sh, x, &err) < 0)) {
		/* The process may be running: it must not outlive the failed request. */
		if (x->pid > 0 && !x->reaped)
			kill(x->pid, SIGKILL);
		x->runc_pid = 0;
		exec_error(sh, x, EXEC_ERR_CODE, err.msg, false);
		if (x->pid > 0 && !x->reaped) {
			/* Keep the slot until the reap, without a requester. */
			x->conn = 0;
			close_master(sh, x);
			x->tty = false;
			unlink_files(sh, x);
			return;
		}
		slot_free(sh, x);
		return;
	}
	x->runc_pid = 0;
	unlink_files(sh, x);
	claim_orphan(sh->execs, x);
	if (x->done)
		log_debug("exec %u started as pid %d", x->serial, (int)x->pid);
	else
		log_info("exec %u started as pid %d", x->serial, (int)x->pid);
	if (x->kill_asked && !x->reaped)
		kill(x->pid, SIGKILL); /* reparented to us and not reaped: still this process */
	send_frame_u32(x->conn, x->reqid, WIRE_T_OK, WIRE_F_PID, (uint32_t)x->pid);
	if (x->reaped && x->tty && x->master >= 0) {
		x->drain_timer = loop_add_timer(sh->loop, SHIM_DRAIN_MS, on_drain_timer, x, &err);
		if (!x->drain_timer)
			close_master(sh, x);
	}
	maybe_finish(sh, x);
}

void shim_exec_reaped(struct shim *sh, pid_t pid, int status)
{
	struct shim_execs *xs = sh->execs;
	bool calls = false;

	if (!xs) {
		log_debug("reaped orphan pid %d (code %d)", (int)pid, proc_exit_code(status));
		return;
	}
	for (size_t i = 0; i < SHIM_EXECS_MAX; i++) {
		struct shim_exec *x = &xs->x[i];

		if (!x->used)
			continue;
		if (x->pid == pid && !x->reaped) {
			x->reaped = true;
			x->status = status;
			if (x->tty && x->master >= 0) {
				struct kerr err;

				x->drain_timer = loop_add_timer(sh->loop, SHIM_DRAIN_MS,
								on_drain_timer, x, &err);
				if (!x->drain_timer)
					close_master(sh, x);
			}
			maybe_finish(sh, x);
			return;
		}
		calls = calls || x->runc_pid != 0;
	}
	if (!calls) {
		log_debug("reaped orphan pid %d (code %d)", (int)pid, proc_exit_code(status));
		return;
	}
	/* An exec'd process whose runc exec has not been reaped yet, perhaps. */
	exitlog_add(&xs->exits, pid, status);
}

/* ---- the request ---- */

/* The request's caps are the record's: an exec runs what `run` could have. */
_Static_assert(REQBODY_LIST_MAX == RECORD_LIST_MAX, "exec request caps follow the record's");

static struct shim_exec *slot_new(struct shim *sh, struct kerr *err)
{
	struct shim_execs *xs = execs(sh);

	if (!xs) {
		kerr_set(err, ENOMEM, "exec");
		return NULL;
	}
	for (size_t i = 0; i < SHIM_EXECS_MAX; i++) {
		struct shim_exec *x = &xs->x[i];

		if (x->used)
			continue;
		*x = (struct shim_exec){ .used = true, .master = -1, .serial = ++xs->serial };
		shim_input_init(&x->in, sh);
		console_init(&x->console);
		snprintf(x->files[0], EXEC_NAME_MAX, EXEC_FILE_PREFIX "%u.json", x->serial);
		snprintf(x->files[1], EXEC_NAME_MAX, EXEC_FILE_PREFIX "%u.pid", x->serial);
		return x;
	}
	kerr_set(err, 0, "%d exec processes are already running in container `%s`", SHIM_EXECS_MAX,
		 shim_state_short_id(sh));
	return NULL;
}

/*
 * Writes process.json and starts runc exec. fds: the process's stdio; without a terminal a
 * missing stdin becomes an empty pipe (EOF at once) and missing output the sink, so the
 * process holds only descriptors made for it, never the shim's /dev/null.
 */
static int start_exec(struct shim *sh, struct shim_exec *x, const struct reqbody_exec *q,
		      const int given[3], struct kerr *err)
{
	int fds[3] = { given[0], given[1], given[2] };
	_cleanup_close_ int empty = -1;

	if (!x->tty && fds[0] < 0) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_set(err, errno, "exec: create the stdin pipe");
		fd_close(p[1]);
		fds[0] = empty = p[0];
	}
	for (int i = 1; i < 3 && !x->tty; i++)
		if (fds[i] < 0 && (fds[i] = sink_fd(sh, err)) < 0)
			return -1;
	struct spec_exec se = {
		.args = q->args.v,
		.nargs = q->args.n,
		.env = q->env.v,
		.nenv = q->env.n,
		.cwd = q->cwd,
		.user_set = q->user_set,
		.uid = q->uid,
		.gid = q->gid,
		.tty = q->tty,
	};
	char file[PATH_MAX], pid_file[PATH_MAX];
	struct buf b;
	int r;

	buf_init(&b, RECORD_JSON_MAX);
	r = spec_exec_process(&sh->rec, &se, &b, err);
	if (r == 0)
		r = store_write_atomic(sh->dirfd, x->files[0], b.data, b.len, 0600, false, err);
	buf_done(&b);
	if (r < 0)
		return -1;
	(void)unlinkat(sh->dirfd, x->files[1], 0);
	if (store_container_path(sh->root, sh->id, x->files[0], file, sizeof(file), err) < 0 ||
	    store_container_path(sh->root, sh->id, x->files[1], pid_file, sizeof(pid_file), err) <
		    0)
		return -1;
	if (x->tty && console_listen(&x->console, err) < 0)
		return -1;
	struct runtime_call rc = {
		.op = RUNTIME_EXEC,
		.id = sh->id,
		.pid_file = pid_file,
		.file = file,
		.console_socket = console_arg(&x->console),
		.detach = true,
		.stdio = { fds[0], fds[1], fds[2] },
	};
	x->seq = exitlog_next(&sh->execs->exits);
	struct rtcall *call = rtcall_spawn(&sh->calls, &rc, false, runc_done, x, err);
	if (!call)
		return -1;
	if (!call->timer)
		log_warn("runtime exec has no timeout, ignoring");
	x->runc_pid = call->pid;
	return 0;
}

void shim_exec_request(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f)
{
	struct reqbody_exec q = { 0 };
	struct shim_exec *x = NULL;
	const uint8_t *json = NULL;
	size_t len = 0, nfds;
	uint32_t want = 0;
	int got[IPC_FDS_MAX];
	int fds[3] = { -1, -1, -1 };
	struct kerr err;
	int code = EXEC_ERR_CODE;

	nfds = ipc_conn_take_fds(rpc_conn_ipc(c), got, IPC_FDS_MAX);
	if (sh->state != SHIM_S_RUNNING) {
		kerr_set(&err, 0, "container `%s` is not running (it is %s)",
			 shim_state_short_id(sh), shim_state_name(sh->state));
		goto out_refuse;
	}
	if (wire_get_bytes(f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
	    wire_get_u32(f, WIRE_F_NFDS, false, &want, &err) < 0 ||
	    reqbody_parse_exec((const char *)json, len, &q, &err) < 0)
		goto out_refuse;
	if (want != nfds) {
		kerr_set(&err, 0, "exec: NFDS says %u descriptors, %zu arrived", want, nfds);
		goto out_refuse;
	}
	if (nfds != 0 && nfds != 2 && nfds != 3) {
		kerr_set(&err, 0,
			 "exec: %zu descriptors; allowed: 0, 2 (stdout, stderr) or 3 (stdin, "
			 "stdout, stderr)",
			 nfds);
		goto out_refuse;
	}
	if (q.tty && nfds) {
		kerr_set(&err, 0, "exec: a terminal exec takes no descriptors, %zu arrived", nfds);
		goto out_refuse;
	}
	for (size_t i = 0; i < nfds; i++) {
		static const char *const names[] = { "stdin", "stdout", "stderr" };
		int k = nfds == 3 ? (int)i : (int)i + 1;

		/* A client hands over pipes it made and regular files (client_relay.c); a
		 * terminal or a socket would give the container a live handle on the host. */
		if (ipc_check_stdio_fd(got[i], true, &err) < 0) {
			kerr_wrap(&err, "exec: the %s handed over is refused", names[k]);
			goto out_refuse;
		}
		fds[k] = got[i];
	}
	x = slot_new(sh, &err);
	if (!x)
		goto out_refuse;
	x->conn = rpc_conn_id(c);
	x->reqid = f->reqid;
	x->tty = q.tty;
	x->printed = fds[2] >= 0;
	if (start_exec(sh, x, &q, fds, &err) < 0) {
		slot_free(sh, x);
		goto out_refuse;
	}
	log_info("exec %u: `%s`%s, runtime pid %d", x->serial, q.args.v[0],
		 q.tty ? " with a terminal" : "", (int)x->runc_pid);
	reqbody_exec_done(&q);
	/* runc holds them now; ours would keep the client's pipes open past the exit. */
	for (size_t i = 0; i < nfds; i++)
		fd_close(got[i]);
	return;

out_refuse:
	for (size_t i = 0; i < nfds; i++)
		fd_close(got[i]);
	reqbody_exec_done(&q);
	shim_reply_error(sh, rpc_conn_id(c), f->reqid, (uint32_t)code, err.msg);
}

/* ---- the shim's own execs ---- */

unsigned shim_exec_internal(struct shim *sh, char *const *argv, size_t argc, int out_fd,
			    shim_exec_fn done, void *data, struct kerr *err)
{
	struct reqbody_exec q = { .args = { .v = (char **)argv, .n = argc } };
	int fds[3] = { -1, out_fd, out_fd };
	struct shim_exec *x;

	if (sh->state != SHIM_S_RUNNING) {
		kerr_set(err, 0, "container `%s` is not running (it is %s)",
			 shim_state_short_id(sh), shim_state_name(sh->state));
		return 0;
	}
	x = slot_new(sh, err);
	if (!x)
		return 0;
	x->done = done;
	x->done_data = data;
	if (start_exec(sh, x, &q, fds, err) < 0) {
		slot_free(sh, x);
		return 0;
	}
	return x->serial;
}

void shim_exec_kill(struct shim *sh, unsigned serial)
{
	if (!sh->execs || !serial)
		return;
	for (size_t i = 0; i < SHIM_EXECS_MAX; i++) {
		struct shim_exec *x = &sh->execs->x[i];

		if (!x->used || x->serial != serial || !x->done)
			continue;
		if (x->pid > 0 && !x->reaped)
			kill(x->pid, SIGKILL); /* our unreaped child: the pid is still its */
		else
			x->kill_asked = true;
		return;
	}
}

/* ---- stream frames ---- */

static struct shim_exec *find(struct shim *sh, uint64_t conn, uint32_t reqid)
{
	if (!sh->execs)
		return NULL;
	for (size_t i = 0; i < SHIM_EXECS_MAX; i++) {
		struct shim_exec *x = &sh->execs->x[i];

		if (x->used && x->conn == conn && x->reqid == reqid)
			return x;
	}
	return NULL;
}

bool shim_exec_stream_frame(struct shim *sh, uint64_t conn, const struct wire_frame *f)
{
	struct shim_exec *x = find(sh, conn, f->reqid);
	const uint8_t *p = NULL;
	size_t n = 0;
	uint32_t a, b;
	struct kerr err;

	if (!x)
		return false;
	switch (f->type) {
	case WIRE_T_STDIN:
		if (wire_get_bytes(f, WIRE_F_DATA, true, &p, &n, &err) < 0 ||
		    (x->tty && x->in.fd >= 0 &&
		     shim_input_write(&x->in, p, n, conn, f->reqid, &err) < 0))
			log_debug("exec %u input: %s, ignoring", x->serial, err.msg);
		break;
	case WIRE_T_RESIZE:
		if (shim_tty_get_resize(f, &a, &b, &err) < 0) {
			log_debug("exec %u resize: %s, ignoring", x->serial, err.msg);
			break;
		}
		x->rows = a;
		x->cols = b;
		if (x->master >= 0 && console_resize(x->master, a, b, &err) < 0)
			log_debug("exec %u: %s, ignoring", x->serial, err.msg);
		break;
	case WIRE_T_SIGNAL:
		if (wire_get_u32(f, WIRE_F_SIGNAL, true, &a, &err) < 0 || a < 1 || a > 64)
			break;
		/* Reparented to us and not reaped: the pid still names this process. */
		if (x->pid > 0 && !x->reaped && kill(x->pid, (int)a) < 0)
			log_debug("exec %u: signal %u: %m, ignoring", x->serial, a);
		break;
	default:
		return false;
	}
	return true;
}

size_t shim_exec_calls(const struct shim *sh)
{
	size_t n = 0;

	if (!sh->execs)
		return 0;
	for (size_t i = 0; i < SHIM_EXECS_MAX; i++)
		n += sh->execs->x[i].used && sh->execs->x[i].runc_pid != 0;
	return n;
}

void shim_exec_done(struct shim *sh)
{
	if (!sh->execs)
		return;
	for (size_t i = 0; i < SHIM_EXECS_MAX; i++)
		if (sh->execs->x[i].used)
			slot_free(sh, &sh->execs->x[i]);
	sink_close(sh, sh->execs);
	free(sh->execs);
	sh->execs = NULL;
}
