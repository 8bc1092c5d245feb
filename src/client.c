/*
 * client: plumbing every client command shares (layer 3, client role): finding the state
 * root, connecting and authenticating to the daemon (or to one container's shim), one
 * request and its reply, and the one-line usage and failure messages.
 *
 * Invariants: nothing here waits without need: a daemon that is not running is reported
 * at once (no address file, nothing bound at the recorded name), and authentication is
 * bounded by CLIENT_AUTH_TIMEOUT_MS. Every failure is printed once, as one line, by the
 * function that returns its exit code (client.h conventions).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "client.h"
#include "fd.h"
#include "store.h"

#define USAGE_PREFIX "Usage: "

int client_fail(int code, const struct kerr *err)
{
	fprintf(stderr, "kettle: %s\n", err->msg);
	return code;
}

int client_usage_error(const char *usage, const char *fmt, ...)
{
	char msg[KERR_MSG_MAX];
	const char *syn = usage;
	va_list ap;

	if (strncmp(syn, USAGE_PREFIX, strlen(USAGE_PREFIX)) == 0)
		syn += strlen(USAGE_PREFIX);
	int synlen = (int)strcspn(syn, "\n");
	/* "kettle run [OPTIONS] …" -> the command is the second word. */
	const char *cmd = syn + strcspn(syn, " \n");
	cmd += strspn(cmd, " ");
	int cmdlen = (int)strcspn(cmd, " \n");

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "kettle %.*s: %s (usage: %.*s)\n", cmdlen, cmd, msg, synlen, syn);
	return CLIENT_EXIT_FAIL;
}

int client_option_error(const char *usage, int c, int argc, char **argv)
{
	/* What getopt_long leaves behind differs by case: optopt is 0 for an unknown long
	 * option, the option's val for a long one missing its value (a letter when it has a
	 * short form too), the letter for a short one; the long option itself is the last
	 * argument consumed, but a short one missing its value at the end of argv leaves
	 * optind past argc. */
	const char *arg = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : NULL;
	bool arg_long = arg && strncmp(arg, "--", 2) == 0 && arg[2] != '\0';

	if (arg_long && (optopt == 0 || optopt >= 256 || c == ':')) {
		int n = (int)strcspn(arg, "=");
		if (c == ':')
			return client_usage_error(usage, "option `%.*s` needs a value", n, arg);
		if (optopt != 0 && arg[n] == '=')
			return client_usage_error(usage, "option `%.*s` takes no value", n, arg);
		return client_usage_error(usage, "unknown option `%.*s`", n, arg);
	}
	if (c == ':')
		return client_usage_error(usage, "option `-%c` needs a value", optopt);
	if (arg_long && strchr(arg, '='))
		return client_usage_error(usage, "option `%.*s` takes no value",
					  (int)strcspn(arg, "="), arg);
	if (optopt > ' ' && optopt < 127)
		return client_usage_error(usage, "unknown option `-%c`", optopt);
	return client_usage_error(usage, "unknown option `%s`", arg ? arg : "?");
}

/* ENOENT (no root, no token, no address file) and ECONNREFUSED (nothing bound at the
 * recorded name: the daemon died) mean the same thing to a person. */
static int not_running(const struct client *cl)
{
	fprintf(stderr,
		"kettle: cannot connect to the kettle daemon at %s: is it running? (start it "
		"with `kettle daemon -d`)\n",
		cl->root);
	return CLIENT_EXIT_FAIL;
}

static bool means_not_running(int code)
{
	return code == ENOENT || code == ECONNREFUSED;
}

/* Sends AUTH on a freshly connected conn and waits for the server's OK. */
static int authenticate(struct ipc_conn *conn, const char *token, struct kerr *err)
{
	struct wire_frame f;

	/* The server proved itself in ipc_connect (SO_PEERCRED, recorded pid), so its
	 * frames may be as large as any authenticated peer's. */
	ipc_conn_set_authed(conn);
	if (ipc_conn_send_auth(conn, token, err) < 0)
		return kerr_wrap(err, "authenticate");
	if (ipc_conn_wait_frame(conn, &f, CLIENT_AUTH_TIMEOUT_MS, err) < 0)
		return kerr_wrap(err, "authenticate");
	if (f.type == WIRE_T_ERROR) {
		client_frame_error(&f, err);
		return kerr_wrap(err, "authenticate");
	}
	if (f.type != WIRE_T_OK || f.reqid != 0)
		return kerr_set(err, EPROTO,
				"authenticate: expected OK for request 0, got %s for "
				"request %u",
				wire_type_name(f.type), f.reqid);
	return 0;
}

static int open_daemon(struct client *cl)
{
	struct kerr err;
	int fd = -1;

	if (store_open_root(cl->root, false, &cl->rootfd, &err) < 0) {
		if (means_not_running(err.code))
			return not_running(cl);
		kerr_wrap(&err, "open the state root");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (ipc_token_load(cl->rootfd, cl->token, &err) < 0) {
		if (means_not_running(err.code))
			return not_running(cl);
		kerr_wrap(&err, "load the auth token of %s", cl->root);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (ipc_connect(cl->rootfd, STORE_DAEMON_ADDR, &fd, &err) < 0) {
		if (means_not_running(err.code))
			return not_running(cl);
		kerr_wrap(&err, "cannot connect to the kettle daemon at %s", cl->root);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	ipc_conn_init(&cl->conn, fd);
	if (authenticate(&cl->conn, cl->token, &err) < 0) {
		if (err.code == 0 && cl->conn.eof)
			return not_running(cl);
		kerr_wrap(&err, "kettle daemon at %s", cl->root);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	return 0;
}

int client_open(struct client *cl)
{
	*cl = (struct client){ .rootfd = -1 };
	ipc_conn_init(&cl->conn, -1);
	cl->root = store_root_path(NULL);
	int rc = open_daemon(cl);
	if (rc != 0)
		client_close(cl);
	return rc;
}

void client_close(struct client *cl)
{
	ipc_conn_done(&cl->conn);
	cl->rootfd = fd_close(cl->rootfd);
}

int client_open_shim(struct client *cl, const char *id, struct ipc_conn *shim, bool quiet,
		     struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;
	int fd = -1;

	ipc_conn_init(shim, -1);
	if (store_open_container(cl->rootfd, id, false, &dirfd, err) < 0 ||
	    ipc_connect(dirfd, STORE_SHIM_ADDR, &fd, err) < 0) {
		kerr_wrap(err, "connect to the shim of container %.12s", id);
		return quiet ? CLIENT_EXIT_FAIL : client_fail(CLIENT_EXIT_FAIL, err);
	}
	ipc_conn_init(shim, fd);
	if (authenticate(shim, cl->token, err) < 0) {
		ipc_conn_done(shim);
		kerr_wrap(err, "shim of container %.12s", id);
		return quiet ? CLIENT_EXIT_FAIL : client_fail(CLIENT_EXIT_FAIL, err);
	}
	return 0;
}

uint32_t client_begin(struct client *cl, struct ipc_conn *conn, struct wire_enc *e, uint16_t type)
{
	uint32_t reqid = ++cl->next_reqid;

	wire_enc_begin(e, ipc_conn_txbuf(conn), type, reqid, 0);
	return reqid;
}

int client_end(struct wire_enc *e)
{
	struct kerr err;

	if (wire_enc_end(e, &err) < 0) {
		kerr_wrap(&err, "encode request");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	return 0;
}

int client_frame_error(const struct wire_frame *f, struct kerr *err)
{
	struct kerr ignored;
	uint32_t code = CLIENT_EXIT_FAIL;

	if (wire_get_str(f, WIRE_F_MSG, false, err->msg, sizeof(err->msg), &ignored) <= 0 ||
	    err->msg[0] == '\0')
		kerr_set(err, 0, "request failed without a message");
	err->code = 0;
	if (wire_get_u32(f, WIRE_F_CODE, false, &code, &ignored) <= 0 || code == 0 || code > 255)
		code = CLIENT_EXIT_FAIL;
	return (int)code;
}

int client_request(struct client *cl, uint32_t reqid, struct wire_frame *reply, struct kerr *err)
{
	for (;;) {
		if (ipc_conn_wait_frame(&cl->conn, reply, -1, err) < 0) {
			if (err->code == 0 && cl->conn.eof)
				kerr_set(err, 0,
					 "the kettle daemon closed the connection before "
					 "answering");
			return CLIENT_EXIT_FAIL;
		}
		if (reply->reqid != reqid)
			continue;
		if (reply->type == WIRE_T_OK)
			return 0;
		if (reply->type == WIRE_T_ERROR)
			return client_frame_error(reply, err);
		kerr_set(err, EPROTO, "expected OK or ERROR from the daemon, got %s",
			 wire_type_name(reply->type));
		return CLIENT_EXIT_FAIL;
	}
}

int client_call(struct client *cl, uint32_t reqid, struct wire_frame *reply)
{
	struct kerr err;
	int rc = client_request(cl, reqid, reply, &err);

	return rc ? client_fail(rc, &err) : 0;
}

/* ---- foreground run and start -a ---- */

/* One attach session: the daemon conversation (cl->conn) and the shim stream. */
struct attach {
	struct client *cl;    /* borrowed */
	const char *id;	      /* borrowed; the container's full id */
	struct ipc_conn shim; /* stream connection to the shim; fd -1 when closed */
	int sfd;	      /* signalfd for the forwarded signals; owned */
	uint32_t attach_req;  /* SHIM_ATTACH's request id on shim; 0 when not sent */
	uint32_t barrier_req; /* SHIM_STATE's request id while awaited, else 0 */
	uint32_t start_req;   /* START's request id on the daemon; 0 before it is sent */
	uint32_t wait_req;    /* WAIT's request id on the daemon */
	int pending_sig;      /* a signal that arrived before START was sent, else 0 */
	bool started;	      /* START answered OK */
	bool ended;	      /* END arrived on the attach stream */
	int end_code;	      /* its EXIT_CODE */
	bool waited;	      /* WAIT answered */
	int wait_code;	      /* WAIT's exit code; -1 when it failed */
	struct kerr wait_err; /* why WAIT failed */
	int wait_fail;	      /* exit code WAIT's failure carried */
	bool daemon_gone;     /* the daemon connection closed or failed */
	bool out_closed[3];   /* our stdout (1) or stderr (2) refused a write */
	int fail;	      /* exit code of a failure already printed, 0 while none */
};

static void attach_queue_kill(struct attach *a, int sig)
{
	struct wire_enc e;

	if (a->daemon_gone)
		return;
	client_begin(a->cl, &a->cl->conn, &e, WIRE_T_KILL);
	wire_enc_str(&e, WIRE_F_REF, a->id);
	wire_enc_u32(&e, WIRE_F_SIGNAL, (uint32_t)sig);
	client_end(&e);
}

/* START and, pipelined behind it so the daemon registers it before the container can
 * possibly exit, WAIT. */
static void attach_queue_start(struct attach *a)
{
	struct wire_enc e;

	a->start_req = client_begin(a->cl, &a->cl->conn, &e, WIRE_T_START);
	wire_enc_str(&e, WIRE_F_REF, a->id);
	if (client_end(&e) != 0) {
		a->fail = CLIENT_EXIT_FAIL;
		return;
	}
	a->wait_req = client_begin(a->cl, &a->cl->conn, &e, WIRE_T_WAIT);
	wire_enc_str(&e, WIRE_F_REF, a->id);
	if (client_end(&e) != 0) {
		a->fail = CLIENT_EXIT_FAIL;
		return;
	}
	if (a->pending_sig) {
		attach_queue_kill(a, a->pending_sig);
		a->pending_sig = 0;
	}
}

/* SHIM_ATTACH for stdout and stderr, plus (barrier) a SHIM_STATE whose reply proves the
 * shim has registered us before the container is started. */
static void attach_queue_attach(struct attach *a, bool barrier)
{
	struct wire_enc e;

	a->attach_req = client_begin(a->cl, &a->shim, &e, WIRE_T_SHIM_ATTACH);
	wire_enc_u32(&e, WIRE_F_STREAMS, 3);
	if (client_end(&e) != 0) {
		a->fail = CLIENT_EXIT_FAIL;
		return;
	}
	if (!barrier)
		return;
	a->barrier_req = client_begin(a->cl, &a->shim, &e, WIRE_T_SHIM_STATE);
	if (client_end(&e) != 0)
		a->fail = CLIENT_EXIT_FAIL;
}

static void attach_close_shim(struct attach *a)
{
	ipc_conn_done(&a->shim);
	ipc_conn_init(&a->shim, -1);
	/* Without a shim there is no barrier to wait for: START decides what happens. */
	if (a->barrier_req) {
		a->barrier_req = 0;
		attach_queue_start(a);
	}
}

static void attach_on_shim_frame(struct attach *a, const struct wire_frame *f)
{
	struct kerr err;

	if (a->barrier_req && f->reqid == a->barrier_req) {
		if (f->type == WIRE_T_ERROR) {
			a->fail = client_fail(client_frame_error(f, &err), &err);
			return;
		}
		a->barrier_req = 0;
		attach_queue_start(a);
		return;
	}
	if (f->reqid != a->attach_req)
		return;
	switch (f->type) {
	case WIRE_T_DATA: {
		const uint8_t *p = NULL;
		size_t len = 0;
		uint32_t stream = 0;

		if (wire_get_u32(f, WIRE_F_STREAM, true, &stream, &err) < 0 ||
		    wire_get_bytes(f, WIRE_F_DATA, true, &p, &len, &err) < 0 ||
		    (stream != 1 && stream != 2) || a->out_closed[stream] || len == 0)
			return;
		if (fd_write_full((int)stream, p, len, &err) < 0)
			a->out_closed[stream] = true; /* e.g. EPIPE: keep draining, drop output */
		return;
	}
	case WIRE_T_END: {
		uint32_t code = 0;

		if (wire_get_u32(f, WIRE_F_EXIT_CODE, false, &code, &err) == 1 && code <= 255) {
			a->ended = true;
			a->end_code = (int)code;
		}
		/* No exit code: the daemon's WAIT reply supplies it. */
		attach_close_shim(a);
		return;
	}
	case WIRE_T_ERROR:
		client_frame_error(f, &err);
		fprintf(stderr, "kettle: cannot attach to the output of container %.12s: %s\n",
			a->id, err.msg);
		attach_close_shim(a);
		return;
	default:
		return;
	}
}

static void attach_on_daemon_frame(struct attach *a, const struct wire_frame *f)
{
	struct kerr err;

	if (f->reqid == a->start_req && a->start_req) {
		if (f->type == WIRE_T_ERROR) {
			a->fail = client_fail(client_frame_error(f, &err), &err);
			return;
		}
		a->started = true;
		/* Late attach: the container had no shim before START gave it one. */
		if (a->shim.fd < 0 && !a->ended && !a->attach_req &&
		    client_open_shim(a->cl, a->id, &a->shim, true, &err) == 0)
			attach_queue_attach(a, false);
		return;
	}
	if (f->reqid == a->wait_req && a->wait_req) {
		uint32_t code = 0;

		a->waited = true;
		a->wait_code = -1;
		if (f->type == WIRE_T_ERROR) {
			a->wait_fail = client_frame_error(f, &a->wait_err);
		} else if (wire_get_u32(f, WIRE_F_EXIT_CODE, true, &code, &a->wait_err) < 0 ||
			   code > 255) {
			a->wait_fail = CLIENT_EXIT_FAIL;
			if (code > 255)
				kerr_set(&a->wait_err, 0, "exit code %u out of range 0..255", code);
		} else {
			a->wait_code = (int)code;
		}
	}
	/* KILL replies: a signal that arrives as the container exits may fail; nothing to
	 * tell the person. */
}

/* Reads every frame available on conn; returns false when it closed or failed. */
static bool attach_drain(struct attach *a, struct ipc_conn *conn, bool shim)
{
	struct wire_frame f;
	struct kerr err;

	for (;;) {
		if (a->fail || conn->fd < 0)
			return true;
		int r = ipc_conn_recv(conn, &f, &err);
		if (r == 0)
			return true;
		if (r < 0)
			return false;
		if (shim)
			attach_on_shim_frame(a, &f);
		else
			attach_on_daemon_frame(a, &f);
	}
}

static void attach_on_signals(struct attach *a)
{
	struct signalfd_siginfo si;

	while (read(a->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (a->start_req)
			attach_queue_kill(a, (int)si.ssi_signo);
		else
			a->pending_sig = (int)si.ssi_signo;
	}
}

/* The exit code once the session is over, else -1. */
static int attach_result(struct attach *a)
{
	if (a->fail)
		return a->fail;
	/* Even without --rm, return only once the daemon has answered WAIT: it has then
	 * taken the exit in, so the next command (ps, cp, inspect) sees it exited. */
	if (a->ended && (a->waited || a->daemon_gone))
		return a->end_code;
	if (!a->ended && a->shim.fd < 0 && a->waited) {
		if (a->wait_code >= 0)
			return a->wait_code;
		return client_fail(a->wait_fail, &a->wait_err);
	}
	if (a->daemon_gone && (!a->started || a->shim.fd < 0)) {
		fprintf(stderr,
			"kettle: the kettle daemon at %s closed the connection before "
			"container %.12s exited\n",
			a->cl->root, a->id);
		return CLIENT_EXIT_FAIL;
	}
	return -1;
}

static int attach_loop(struct attach *a)
{
	struct kerr err;

	for (;;) {
		int rc = attach_result(a);
		if (rc >= 0)
			return rc;
		if (!a->daemon_gone && a->cl->conn.tx.len > 0 &&
		    ipc_conn_flush(&a->cl->conn, &err) < 0)
			a->daemon_gone = true;
		if (a->shim.fd >= 0 && a->shim.tx.len > 0 && ipc_conn_flush(&a->shim, &err) < 0)
			attach_close_shim(a);

		struct pollfd p[3];
		int n = 0, di = -1, si = -1;
		if (!a->daemon_gone) {
			di = n;
			p[n++] = (struct pollfd){
				.fd = a->cl->conn.fd,
				.events = POLLIN | (a->cl->conn.tx.len ? POLLOUT : 0),
			};
		}
		if (a->shim.fd >= 0) {
			si = n;
			p[n++] = (struct pollfd){
				.fd = a->shim.fd,
				.events = POLLIN | (a->shim.tx.len ? POLLOUT : 0),
			};
		}
		p[n++] = (struct pollfd){ .fd = a->sfd, .events = POLLIN };
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			kerr_set(&err, errno, "poll");
			return client_fail(CLIENT_EXIT_FAIL, &err);
		}
		if (di >= 0 && (p[di].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !attach_drain(a, &a->cl->conn, false))
			a->daemon_gone = true;
		if (si >= 0 && a->shim.fd >= 0 && (p[si].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !attach_drain(a, &a->shim, true))
			attach_close_shim(a);
		if (p[n - 1].revents & POLLIN)
			attach_on_signals(a);
	}
}

int client_attach_start(struct client *cl, const char *id)
{
	struct attach a = { .cl = cl, .id = id, .sfd = -1 };
	sigset_t set, old;
	struct kerr err;
	int rc;

	ipc_conn_init(&a.shim, -1);
	/* Blocked from now on, so a Ctrl-C during setup is forwarded too, not fatal. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	/* A reader of our stdout that goes away must not kill us: the exit code matters. */
	signal(SIGPIPE, SIG_IGN);
	a.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (a.sfd < 0) {
		kerr_set(&err, errno, "signalfd");
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
		goto out_restore_mask;
	}
	if (client_open_shim(cl, id, &a.shim, true, &err) == 0)
		attach_queue_attach(&a, true);
	else
		attach_queue_start(&a);
	rc = attach_loop(&a);
	ipc_conn_done(&a.shim);
	a.sfd = fd_close(a.sfd);
out_restore_mask:
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
