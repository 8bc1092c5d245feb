/*
 * client_session: the terminal sessions of run, start -a, attach and exec -t (layer 3,
 * client role). A session relays one shim stream (SHIM_ATTACH or SHIM_EXEC) to our
 * stdout/stderr and, when the process takes input, our stdin to STDIN frames. With a
 * terminal ours is put in raw mode and restored on every way out: signals arrive only
 * through a signalfd (never a handler that could exit with the terminal raw), and every
 * return goes through one restore. The window size is sent at the start and on each
 * SIGWINCH. The detach sequence (ctrl-p,ctrl-q unless --detach-keys says otherwise) ends
 * the session and leaves the process running; bytes that only began it are sent after all.
 *
 * The signal proxy forwards every signal a process can catch but those the terminal
 * needs (SIGCHLD, SIGPIPE, SIGTSTP/SIGTTIN/SIGTTOU; SIGWINCH is a resize), as docker's
 * does; without it (--sig-proxy=false, attach and start -a with a terminal, exec -t) a
 * signal ends the session instead, the terminal restored. The stream comes from the
 * shim, never through the daemon, so a daemon restart loses no byte: the session redials
 * the daemon (client_redial.c), asks again what it still needs (a START that was never
 * answered, found out with RESOLVE; the WAIT), and forwards signals to the shim itself
 * meanwhile.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "base/fd.h"
#include "client/client.h"
#include "store/status.h"

#define STDIN_CHUNK  (32u * 1024u)  /* bytes of our stdin per STDIN frame */
#define STDIN_WINDOW (256u * 1024u) /* stdin bytes sent and not yet acknowledged, at most */

/* One session; all fds are owned by the caller except sfd. */
struct sess {
	struct client *cl;	     /* borrowed; the daemon conversation (start, kill) */
	struct ipc_conn *shim;	     /* borrowed; the stream's connection */
	const char *id;		     /* container id for messages and KILL; borrowed */
	uint32_t req;		     /* the stream's request id (ATTACH or EXEC) */
	uint32_t barrier_req;	     /* SHIM_STATE awaited before going on, or 0 */
	uint32_t start_req;	     /* START on the daemon, or 0 */
	uint32_t wait_req;	     /* WAIT on the daemon (when it starts the container), or 0 */
	uint32_t resolve_req;	     /* RESOLVE after a redial while START was unanswered, or 0 */
	bool exec;		     /* the stream is an exec (OK{PID} first, SIGNAL frames) */
	bool start;		     /* START once the barrier is passed */
	bool live;		     /* the barrier passed: START may go out */
	bool start_acked;	     /* START was answered OK */
	bool sig_proxy;		     /* forward our signals to the container */
	bool proxy_tty;		     /* ... with a terminal too (run; attach and start -a do not) */
	uint64_t reconnect_ms;	     /* how long a daemon that went away is waited for */
	bool dlost;		     /* the daemon connection broke: redialing */
	struct client_redial redial; /* while dlost */
	bool want_stdin;	     /* relay stdin if the process takes it */
	bool tty;		     /* the process has a terminal */
	bool relay_stdin;	     /* reading our stdin now */
	size_t inflight;	     /* stdin bytes sent and not acknowledged (STDIN_ACK) */
	bool stdin_eof;		     /* our stdin ended (EOF sent) */
	bool raw;		     /* our terminal is in raw mode (saved holds the old mode) */
	struct termios saved;	     /* our terminal's mode before raw */
	int sfd;		     /* owned; signalfd */
	const uint8_t *detach;	     /* detach sequence (tty only); borrowed */
	size_t ndetach;		     /* its length; 0 disables */
	size_t matched;		     /* bytes of it typed so far (held back) */
	bool ended;		     /* END arrived */
	int end_code;		     /* its exit code, -1 when it had none */
	bool waited;		     /* WAIT answered */
	bool detached;		     /* the person detached */
	int result;		     /* exit code once decided, else -1 */
	bool out_closed[3];	     /* our stdout/stderr refused a write */
	struct client_relay *relay;  /* exec without -t: its stdio pipes (borrowed), or NULL */
};

/* ---- the terminal ---- */

static void term_raw(struct sess *s)
{
	struct termios t;

	if (s->raw || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &s->saved) < 0)
		return;
	t = s->saved;
	cfmakeraw(&t);
	/* Output processing stays on: the container's terminal already did it, but a
	 * message of ours ("\n") must still come out right. */
	t.c_oflag = s->saved.c_oflag;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) == 0)
		s->raw = true;
}

static void term_restore(struct sess *s)
{
	if (!s->raw)
		return;
	(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &s->saved);
	s->raw = false;
}

static bool term_size(uint32_t *rows, uint32_t *cols)
{
	struct winsize ws;
	int fds[] = { STDOUT_FILENO, STDIN_FILENO, STDERR_FILENO };

	for (size_t i = 0; i < 3; i++)
		if (ioctl(fds[i], TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
			*rows = ws.ws_row;
			*cols = ws.ws_col;
			return true;
		}
	return false;
}

static void send_resize(struct sess *s)
{
	uint32_t rows, cols;
	struct wire_enc e;

	if (!s->tty || s->shim->fd < 0 || !term_size(&rows, &cols))
		return;
	wire_enc_begin(&e, ipc_conn_txbuf(s->shim), WIRE_T_RESIZE, s->req, 0);
	wire_enc_u32(&e, WIRE_F_ROWS, rows);
	wire_enc_u32(&e, WIRE_F_COLS, cols);
	(void)client_end(&e);
}

static void send_stdin(struct sess *s, const uint8_t *p, size_t n)
{
	struct wire_enc e;

	if (s->shim->fd < 0)
		return;
	wire_enc_begin(&e, ipc_conn_txbuf(s->shim), WIRE_T_STDIN, s->req, 0);
	wire_enc_bytes(&e, WIRE_F_DATA, p, n);
	if (client_end(&e) == 0)
		s->inflight += n;
}

/* The session is going live: terminal mode, size, input. */
static void go_live(struct sess *s, bool takes_stdin)
{
	if (s->tty) {
		term_raw(s);
		send_resize(s);
	}
	s->relay_stdin = s->want_stdin && takes_stdin;
}

/* Reads our stdin once: STDIN frames, the detach sequence, EOF. */
static void on_stdin(struct sess *s)
{
	uint8_t in[STDIN_CHUNK];
	uint8_t out[STDIN_CHUNK + CLIENT_DETACH_KEYS_MAX];
	size_t o = 0;
	ssize_t n = read(STDIN_FILENO, in, sizeof(in));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		s->relay_stdin = false;
		s->stdin_eof = true;
		if (s->matched)
			send_stdin(s, s->detach, s->matched);
		s->matched = 0;
		send_stdin(s, NULL, 0);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint8_t b = in[i];

		if (s->tty && s->ndetach) {
			if (b == s->detach[s->matched]) {
				if (++s->matched == s->ndetach) {
					s->detached = true;
					break;
				}
				continue;
			}
			/* Not the sequence after all: what was held goes on. */
			memcpy(out + o, s->detach, s->matched);
			o += s->matched;
			s->matched = 0;
			if (b == s->detach[0]) {
				s->matched = 1;
				continue;
			}
		}
		out[o++] = b;
	}
	if (o)
		send_stdin(s, out, o);
}

/* ---- requests to the daemon ---- */

/* One request with REF on the daemon connection; its request id, 0 when it could not be
 * queued (the session then fails). */
static uint32_t send_ref(struct sess *s, uint16_t type)
{
	struct wire_enc e;
	uint32_t reqid = client_begin(s->cl, &s->cl->conn, &e, type);

	wire_enc_str(&e, WIRE_F_REF, s->id);
	if (client_end(&e) != 0) {
		s->result = CLIENT_EXIT_FAIL;
		return 0;
	}
	return reqid;
}

/* WAIT: END alone comes before the daemon has taken the exit in (and, with --rm,
 * removed the container), so the next command could still see it running. */
static void send_wait(struct sess *s)
{
	s->waited = false;
	s->wait_req = send_ref(s, WIRE_T_WAIT);
}

static void send_start(struct sess *s)
{
	s->start_req = send_ref(s, WIRE_T_START);
	if (s->start_req)
		send_wait(s);
}

/* ---- frames ---- */

static void on_shim_frame(struct sess *s, const struct wire_frame *f)
{
	struct kerr err;

	if (s->barrier_req && f->reqid == s->barrier_req) {
		uint32_t tty = 0, streams = 3;

		s->barrier_req = 0;
		if (f->type == WIRE_T_ERROR) {
			s->result = client_fail(client_frame_error(f, &err), &err);
			return;
		}
		(void)wire_get_u32(f, WIRE_F_TTY, false, &tty, &err);
		(void)wire_get_u32(f, WIRE_F_STREAMS, false, &streams, &err);
		s->tty = tty == 1;
		s->live = true;
		go_live(s, streams & 4u);
		/* With the daemon away the redial sends it (RESOLVE first: see relink). */
		if (s->start && s->cl->conn.fd >= 0)
			send_start(s);
		return;
	}
	if (f->reqid != s->req && !(f->reqid == 0 && f->type == WIRE_T_ERROR))
		return;
	switch (f->type) {
	case WIRE_T_STDIN_ACK: {
		uint64_t n = 0;

		if (wire_get_u64(f, WIRE_F_COUNT, true, &n, &err) == 1)
			s->inflight -= n < s->inflight ? (size_t)n : s->inflight;
		return;
	}
	case WIRE_T_OK: /* exec: OK{PID}, the process runs */
		if (s->exec)
			go_live(s, true);
		return;
	case WIRE_T_DATA: {
		const uint8_t *p = NULL;
		size_t len = 0;
		uint32_t stream = 0;

		if (wire_get_u32(f, WIRE_F_STREAM, true, &stream, &err) < 0 ||
		    wire_get_bytes(f, WIRE_F_DATA, true, &p, &len, &err) < 0 ||
		    (stream != 1 && stream != 2) || s->out_closed[stream] || len == 0)
			return;
		if (fd_write_full((int)stream, p, len, &err) < 0)
			s->out_closed[stream] = true;
		return;
	}
	case WIRE_T_END: {
		uint32_t code = 0;

		s->ended = true;
		s->end_code = -1;
		if (wire_get_u32(f, WIRE_F_EXIT_CODE, false, &code, &err) == 1 && code <= 255) {
			s->end_code = (int)code;
			return;
		}
		term_restore(s);
		if (wire_get_str(f, WIRE_F_MSG, false, err.msg, sizeof(err.msg), &err) != 1)
			snprintf(err.msg, sizeof(err.msg), "the stream ended without an exit code");
		fprintf(stderr, "kettle: container %.12s: %s\n", s->id, err.msg);
		s->result = CLIENT_EXIT_FAIL;
		return;
	}
	case WIRE_T_ERROR: {
		uint32_t printed = 0;
		int code = client_frame_error(f, &err);

		term_restore(s);
		(void)wire_get_u32(f, WIRE_F_PRINTED, false, &printed, &err);
		/* runc already wrote its message on our own stderr (exec without -t). */
		if (printed == 1)
			s->result = code;
		else
			s->result = client_fail(code, &err);
		return;
	}
	default:
		return;
	}
}

/* RESOLVE's answer after a redial: was the START that went unanswered carried out? A
 * container still created was not started (send it again); any other state was. */
static void on_resolved(struct sess *s, const struct wire_frame *f)
{
	const uint8_t *json = NULL;
	size_t len = 0;
	struct status st;
	struct kerr err;

	s->resolve_req = 0;
	if (f->type == WIRE_T_ERROR) {
		if (s->ended)
			return; /* --rm: gone already, and END told the code */
		term_restore(s);
		s->result = client_fail(client_frame_error(f, &err), &err);
		return;
	}
	if (wire_get_bytes(f, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
	    status_from_json(&st, (const char *)json, len, &err) < 0) {
		term_restore(s);
		kerr_wrap(&err, "reply to RESOLVE");
		s->result = client_fail(CLIENT_EXIT_FAIL, &err);
		return;
	}
	if (st.kind == STATUS_CREATED) {
		send_start(s);
		return;
	}
	s->start_acked = true;
	send_wait(s);
}

static void on_daemon_frame(struct sess *s, const struct wire_frame *f)
{
	struct kerr err;

	if (s->resolve_req && f->reqid == s->resolve_req) {
		on_resolved(s, f);
		return;
	}
	if (s->start_req && f->reqid == s->start_req) {
		if (f->type == WIRE_T_ERROR) {
			term_restore(s);
			s->result = client_fail(client_frame_error(f, &err), &err);
			return;
		}
		s->start_acked = true;
		return;
	}
	if (s->wait_req && f->reqid == s->wait_req)
		s->waited = true;
	/* KILL replies: a signal racing the exit may fail; nothing to tell. */
}

/* Every frame available on conn; false when it closed or failed. */
static bool drain(struct sess *s, struct ipc_conn *conn, bool shim)
{
	struct wire_frame f;
	struct kerr err;

	for (;;) {
		if (s->result >= 0 || conn->fd < 0)
			return true;
		int r = ipc_conn_recv(conn, &f, &err);
		if (r == 0)
			return true;
		if (r < 0)
			return false;
		if (shim)
			on_shim_frame(s, &f);
		else
			on_daemon_frame(s, &f);
	}
}

/* ---- the daemon going away and coming back ---- */

/* Whether the session still needs the daemon: a START it has not seen answered. */
static bool needs_daemon(const struct sess *s)
{
	return s->start && !s->start_acked;
}

/* The daemon connection broke (a restart, most likely): replies owed on it are gone. */
static void lose_daemon(struct sess *s)
{
	ipc_conn_done(&s->cl->conn);
	ipc_conn_init(&s->cl->conn, -1);
	s->start_req = s->wait_req = s->resolve_req = 0;
	s->waited = false;
	if (s->exec || s->ended || s->dlost)
		return;
	s->dlost = true;
	client_redial_begin(s->cl, &s->redial, s->reconnect_ms);
}

/* Connected again: ask for what was owed. */
static void relink(struct sess *s)
{
	s->dlost = false;
	client_redial_end(&s->redial);
	if (!s->start || !s->live)
		return; /* attach asks nothing; before the barrier, it sends START itself */
	if (s->start_acked)
		send_wait(s);
	else
		s->resolve_req = send_ref(s, WIRE_T_RESOLVE);
}

static void redial(struct sess *s)
{
	struct kerr err;
	int r = client_redial_step(s->cl, &s->redial, &err);

	if (r > 0) {
		relink(s);
	} else if (r < 0) {
		s->dlost = false;
		client_redial_end(&s->redial);
		/* Not needed any more (the stream and the signals go through the shim): the
		 * session goes on without it and ends with END's code. */
		if (needs_daemon(s)) {
			term_restore(s);
			s->result = client_fail(CLIENT_FAILED(CLIENT_DAEMON_GONE), &err);
		}
	}
}

/* ---- signals ---- */

/* What the terminal and our own life need: never taken from them. SIGKILL and SIGSTOP
 * cannot be; SIGCHLD and SIGPIPE are ours; SIGTSTP/SIGTTIN/SIGTTOU suspend us as a job. */
static bool left_alone(int sig)
{
	return sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGPIPE ||
	       sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Every signal the session takes through its signalfd: the standard ones but those, and
 * the real-time ones libc leaves to programs (SIGRTMIN..SIGRTMAX). */
static void session_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig < 32; sig++)
		if (!left_alone(sig))
			sigaddset(set, sig);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

static void forward_signal(struct sess *s, int sig)
{
	struct wire_enc e;

	if (s->exec) {
		wire_enc_begin(&e, ipc_conn_txbuf(s->shim), WIRE_T_SIGNAL, s->req, 0);
		wire_enc_u32(&e, WIRE_F_SIGNAL, (uint32_t)sig);
		(void)client_end(&e);
		return;
	}
	if (s->cl->conn.fd >= 0) {
		/* Through the daemon, which tells `kettle events` (docker's `kill` event). */
		client_begin(s->cl, &s->cl->conn, &e, WIRE_T_KILL);
		wire_enc_str(&e, WIRE_F_REF, s->id);
	} else {
		/* The daemon is away: its shim signals the container all the same. */
		client_begin(s->cl, s->shim, &e, WIRE_T_SHIM_KILL);
	}
	wire_enc_u32(&e, WIRE_F_SIGNAL, (uint32_t)sig);
	(void)client_end(&e);
}

/* Proxied: run, and attach or start -a without a terminal, unless --sig-proxy=false; an
 * exec without a terminal (its stdio are ours, so is the job's ^C). */
static bool proxying(const struct sess *s)
{
	if (s->exec)
		return !s->tty;
	return s->sig_proxy && (!s->tty || s->proxy_tty);
}

static void on_signals(struct sess *s)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGWINCH) {
			send_resize(s);
			continue;
		}
		if (proxying(s)) {
			forward_signal(s, sig);
			continue;
		}
		/* Not forwarded: what the signal would have done to us (SIGURG and SIGCONT
		 * do nothing), but with the terminal restored; the process keeps running. */
		if (sig == SIGURG || sig == SIGCONT)
			continue;
		s->result = 128 + sig;
		return;
	}
}

/* ---- the loop ---- */

/* What the daemon still owes for the session to end after END: the WAIT (or the START
 * and RESOLVE that come before it). */
static bool daemon_owes(const struct sess *s)
{
	return s->resolve_req || (s->start_req && !s->start_acked) || (s->wait_req && !s->waited);
}

static int session_result(struct sess *s)
{
	if (s->result >= 0)
		return s->result;
	if (s->detached) {
		term_restore(s);
		fprintf(stderr, "kettle: detached from %s %.12s; it keeps running\n",
			s->exec ? "the exec in container" : "container", s->id);
		return 0;
	}
	/* Without a daemon (away, or not needed) END's code is the answer. */
	if (s->ended && (s->cl->conn.fd < 0 || !daemon_owes(s)))
		return s->end_code;
	return -1;
}

static int session_loop(struct sess *s)
{
	struct kerr err;

	for (;;) {
		int rc = session_result(s);
		if (rc >= 0) {
			/* The process ended: its output up to now, then our pipes are closed. */
			if (s->relay)
				client_relay_finish(s->relay);
			return rc;
		}
		bool dconn = s->cl->conn.fd >= 0 &&
			     (s->start_req || s->wait_req || s->resolve_req || !s->exec);
		if (dconn && s->cl->conn.tx.len > 0 && ipc_conn_flush(&s->cl->conn, &err) < 0) {
			lose_daemon(s);
			continue;
		}
		if (s->shim->fd >= 0 && s->shim->tx.len > 0 && ipc_conn_flush(s->shim, &err) < 0) {
			term_restore(s);
			kerr_wrap(&err, "container %.12s", s->id);
			return client_fail(CLIENT_EXIT_FAIL, &err);
		}

		struct pollfd p[5 + CLIENT_RELAY_POLLS];
		int n = 0, di = -1, si = -1, ii = -1, ri = -1, xi = 0, xn = 0, timeout = -1;
		if (dconn) {
			di = n;
			p[n++] = (struct pollfd){
				.fd = s->cl->conn.fd,
				.events = POLLIN | (s->cl->conn.tx.len ? POLLOUT : 0),
			};
		}
		if (s->shim->fd >= 0 && !s->ended) {
			si = n;
			p[n++] = (struct pollfd){
				.fd = s->shim->fd,
				.events = POLLIN | (s->shim->tx.len ? POLLOUT : 0),
			};
		}
		/* Flow control: the shim acknowledges what reached the process. */
		if (s->relay_stdin && s->inflight < STDIN_WINDOW) {
			ii = n;
			p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		}
		if (s->relay && !s->ended) {
			xi = n;
			xn = client_relay_poll(s->relay, p + n);
			n += xn;
		}
		if (s->dlost) {
			ri = n;
			p[n++] = (struct pollfd){ .fd = s->redial.wfd, .events = POLLIN };
			timeout = client_redial_timeout(&s->redial);
		}
		p[n++] = (struct pollfd){ .fd = s->sfd, .events = POLLIN };
		if (poll(p, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			term_restore(s);
			kerr_set(&err, errno, "poll");
			return client_fail(CLIENT_EXIT_FAIL, &err);
		}
		if (di >= 0 && (p[di].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !drain(s, &s->cl->conn, false))
			lose_daemon(s);
		if (si >= 0 && (p[si].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !drain(s, s->shim, true) && s->result < 0 && !s->ended) {
			term_restore(s);
			fprintf(stderr,
				"kettle: the shim of container %.12s closed the connection before "
				"the %s ended\n",
				s->id, s->exec ? "exec" : "container");
			return CLIENT_EXIT_FAIL;
		}
		if (ii >= 0 && (p[ii].revents & (POLLIN | POLLHUP | POLLERR)))
			on_stdin(s);
		if (xn > 0)
			client_relay_ready(s->relay, p + xi, xn);
		if (ri >= 0 && s->dlost && s->result < 0)
			redial(s);
		if (p[n - 1].revents & POLLIN)
			on_signals(s);
	}
}

/* Blocks the signals the session handles and runs it; restores mask and terminal. */
static int session_run(struct sess *s)
{
	sigset_t set, old;
	struct kerr err;
	int rc;

	session_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	s->result = -1;
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sfd < 0) {
		kerr_set(&err, errno, "signalfd");
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	} else {
		rc = session_loop(s);
	}
	term_restore(s);
	if (s->dlost)
		client_redial_end(&s->redial);
	s->sfd = fd_close(s->sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int client_session_attach(struct client *cl, const struct client_session *o)
{
	struct ipc_conn shim;
	struct sess s = {
		.cl = cl,
		.shim = &shim,
		.id = o->id,
		.start = o->start,
		.want_stdin = o->want_stdin,
		.detach = o->detach,
		.ndetach = o->ndetach,
		.sig_proxy = o->sig_proxy,
		.proxy_tty = o->proxy_tty,
		.reconnect_ms = o->reconnect_ms,
		.sfd = -1,
	};
	struct wire_enc e;
	struct kerr err;
	int rc;

	rc = client_open_shim(cl, o->id, &shim, false, &err);
	if (rc != 0)
		return rc;
	s.req = client_begin(cl, &shim, &e, WIRE_T_SHIM_ATTACH);
	wire_enc_u32(&e, WIRE_F_STREAMS, o->want_stdin ? 7u : 3u);
	rc = client_end(&e);
	if (rc == 0) {
		/* Its reply proves the attach is registered before anything is started, and
		 * says whether there is a terminal and a stdin. */
		s.barrier_req = client_begin(cl, &shim, &e, WIRE_T_SHIM_STATE);
		rc = client_end(&e);
	}
	if (rc == 0)
		rc = session_run(&s);
	ipc_conn_done(&shim);
	return rc;
}

int client_session_exec(struct client *cl, struct ipc_conn *shim, const char *id, uint32_t reqid,
			bool tty, bool want_stdin, const uint8_t *detach, size_t ndetach,
			struct client_relay *relay)
{
	struct sess s = {
		.cl = cl,
		.shim = shim,
		.id = id,
		.req = reqid,
		.exec = true,
		.tty = tty,
		.live = true,
		.want_stdin = want_stdin && tty,
		.detach = detach,
		.ndetach = ndetach,
		.sfd = -1,
		.relay = relay,
	};

	return session_run(&s);
}
