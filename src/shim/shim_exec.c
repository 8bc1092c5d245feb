/*
 * shim_exec: `kettle exec` processes in the shim (role layer, mechanism band).
 * A SHIM_EXEC request becomes process.json (a fresh name per exec) and `runc exec
 * --detach`; runc leaves the process behind and the shim, as subreaper, reaps it. Without
 * a terminal its stdio is the client's own descriptors (SCM_RIGHTS, handed to runc and
 * closed here at once); with one, runc sends the pty master to a per-exec console socket
 * and the shim relays DATA and STDIN. Each exec is answered once: ERROR, or OK{PID} then
 * END{EXIT_CODE} after the exit (and a terminal's output end, SHIM_DRAIN_MS at most).
 * Exits of unknown children are kept briefly (the pid file may be read after the exit).
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

#define EXEC_ERR_CODE	 125	 /* kettle's own failures */
#define ORPHANS_MAX	 64	 /* exits of unknown children remembered */
#define EXEC_FILE_PREFIX "exec-" /* exec-<serial>.json / .pid */
#define EXEC_NAME_MAX	 32	 /* those names */

struct shim_exec {
	bool used;		      /* slot taken */
	unsigned serial;	      /* names this exec's files */
	uint64_t conn;		      /* requester: OK, DATA, END go there; 0 once gone */
	uint32_t reqid;		      /* requester's request id */
	pid_t runc_pid;		      /* `runc exec` in flight, else 0 */
	uint64_t runc_timer;	      /* runtime_timeout_ms timer id, or 0 */
	bool runc_timed_out;	      /* the timer killed runc */
	off_t log_off;		      /* runc.log size before the call */
	uint64_t seq;		      /* orphan exits numbered from here may be ours */
	bool printed;		      /* runc's stderr is the client's */
	pid_t pid;		      /* the exec'd process, 0 until known */
	bool reaped;		      /* its exit was seen */
	int status;		      /* its wait status, with reaped */
	bool tty;		      /* process.terminal */
	struct shim_console console;  /* tty: the console socket runc sends the master to */
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

struct orphan {
	pid_t pid;    /* reaped child nobody claimed */
	int status;   /* its wait status */
	uint64_t seq; /* when (monotonic counter) */
};

struct shim_execs {
	struct shim_exec x[SHIM_EXECS_MAX]; /* slots */
	struct orphan orphans[ORPHANS_MAX]; /* ring of unclaimed exits */
	size_t norphans;		    /* entries ever written (ring position) */
	uint64_t seq;			    /* counter for orphans and exec calls */
	unsigned serial;		    /* last file serial used */
};

static struct shim_execs *execs(struct shim *sh)
{
	if (!sh->execs)
		sh->execs = calloc(1, sizeof(*sh->execs));
	return sh->execs;
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
	if (x->runc_timer)
		loop_cancel_timer(sh->loop, x->runc_timer);
	if (x->drain_timer)
		loop_cancel_timer(sh->loop, x->drain_timer);
	close_master(sh, x);
	shim_input_done(&x->in);
	shim_tty_close(&x->console);
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

static void runc_timeout(struct loop *l, void *data)
{
	struct shim_exec *x = data;

	(void)l;
	x->runc_timer = 0;
	x->runc_timed_out = true;
	log_warn("runtime exec (pid %d) still running after its timeout, killing it",
		 (int)x->runc_pid);
	kill(x->runc_pid, SIGKILL); /* our unreaped child: the pid cannot be recycled */
}

static void claim_orphan(struct shim_execs *xs, struct shim_exec *x)
{
	size_t n = xs->norphans < ORPHANS_MAX ? xs->norphans : ORPHANS_MAX;

	for (size_t i = 0; i < n; i++) {
		struct orphan *o = &xs->orphans[i];

		if (o->pid == x->pid && o->seq >= x->seq) {
			x->reaped = true;
			x->status = o->status;
			o->pid = 0;
			return;
		}
	}
}

static int take_master(struct shim *sh, struct shim_exec *x, struct kerr *err)
{
	int r = shim_tty_receive(&x->console, x->runc_pid, &x->master, err);

	if (r < 0)
		return -1;
	if (r == 0)
		return kerr_set(err, 0, "runtime exec returned without sending the terminal");
	shim_tty_close(&x->console);
	x->in.fd = x->master;
	if (x->rows && shim_tty_resize(x->master, x->rows, x->cols, err) < 0)
		log_warn("%s, ignoring", err->msg);
	if (loop_add_fd(sh->loop, x->master, LOOP_READ, on_master, x, err) < 0)
		return -1;
	x->watching = true;
	return 0;
}

static void runc_done(struct shim *sh, struct shim_exec *x, int status)
{
	char msg[KERR_MSG_MAX];
	char path[PATH_MAX];
	struct kerr err;

	if (x->runc_timer)
		loop_cancel_timer(sh->loop, x->runc_timer);
	x->runc_timer = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || x->runc_timed_out) {
		bool printed = x->printed && WIFEXITED(status) && !x->runc_timed_out;

		if (x->runc_timed_out) {
			snprintf(msg, sizeof(msg), "runtime exec timed out after %llu ms",
				 (unsigned long long)sh->runtime_timeout_ms);
		} else {
			if (runtime_read_error(&sh->rt, x->log_off, msg, sizeof(msg), &err) < 0)
				log_warn("%s, ignoring", err.msg);
			if (!msg[0]) {
				snprintf(msg, sizeof(msg), "runtime exec failed with %s %d",
					 WIFEXITED(status) ? "exit status" : "signal",
					 WIFEXITED(status) ? WEXITSTATUS(status)
							   : WTERMSIG(status));
				printed = false;
			}
		}
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
		if (x->runc_pid == pid) {
			runc_done(sh, x, status);
			return;
		}
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
	xs->orphans[xs->norphans % ORPHANS_MAX] = (struct orphan){
		.pid = pid,
		.status = status,
		.seq = ++xs->seq,
	};
	xs->norphans++;
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
		shim_tty_init(&x->console);
		snprintf(x->files[0], EXEC_NAME_MAX, EXEC_FILE_PREFIX "%u.json", x->serial);
		snprintf(x->files[1], EXEC_NAME_MAX, EXEC_FILE_PREFIX "%u.pid", x->serial);
		return x;
	}
	kerr_set(err, 0, "%d exec processes are already running in container `%s`", SHIM_EXECS_MAX,
		 shim_state_short_id(sh));
	return NULL;
}

/* Writes process.json and starts runc exec. fds: the process's stdio (-1: /dev/null). */
static int start_exec(struct shim *sh, struct shim_exec *x, const struct reqbody_exec *q,
		      const int fds[3], struct kerr *err)
{
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
	if (x->tty && shim_tty_listen(&x->console, err) < 0)
		return -1;
	struct runtime_call rc = {
		.op = RUNTIME_EXEC,
		.id = sh->id,
		.pid_file = pid_file,
		.file = file,
		.console_socket = shim_tty_arg(&x->console),
		.detach = true,
		.stdio = { fds[0], fds[1], fds[2] },
	};
	x->log_off = runtime_log_offset(&sh->rt);
	x->seq = sh->execs->seq + 1;
	if (runtime_spawn(&sh->rt, &rc, &x->runc_pid, err) < 0)
		return -1;
	x->runc_timer = loop_add_timer(sh->loop, sh->runtime_timeout_ms, runc_timeout, x, err);
	if (!x->runc_timer)
		log_warn("%s: runtime exec has no timeout, ignoring", err->msg);
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
	for (size_t i = 0; i < nfds; i++)
		fds[nfds == 3 ? i : i + 1] = got[i];
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
		if (x->master >= 0 && shim_tty_resize(x->master, a, b, &err) < 0)
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
	free(sh->execs);
	sh->execs = NULL;
}
