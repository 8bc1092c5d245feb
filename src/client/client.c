/*
 * client: plumbing every client command shares (layer 3, client role): finding the state
 * root, connecting and authenticating to the daemon (or to one container's shim), one
 * request and its reply, the parsing of a command's argv by its table (cli.h), and the
 * one-line usage and failure messages.
 *
 * Invariants: nothing here waits without need: a daemon that is not running is reported
 * at once (no address file, nothing bound at the recorded name), and authentication is
 * bounded by CLIENT_AUTH_TIMEOUT_MS. Every failure is printed once, as one line, by the
 * function that returns its exit code (client.h conventions).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "base/fd.h"
#include "store/store.h"

int client_fail(int code, const struct kerr *err)
{
	fprintf(stderr, "kettle: %s\n", err->msg);
	return code;
}

static void usage_line(const struct cli_cmd *cmd, const char *fmt, va_list ap)
{
	char msg[KERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "kettle %s: %s (usage: %s)\n", cmd->name, msg, cmd->synopsis);
}

int client_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usage_line(cmd, fmt, ap);
	va_end(ap);
	return CLIENT_FAILED(CLIENT_BAD_FLAG);
}

int client_args_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usage_line(cmd, fmt, ap);
	va_end(ap);
	return CLIENT_FAILED(CLIENT_BAD_ARGS);
}

int client_opt_flag(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	(void)cmd;
	(void)id;
	(void)val;
	*(bool *)ctx = true;
	return 0;
}

int client_parse(const struct cli_cmd *cmd, int argc, char **argv, client_opt_fn fn, void *ctx,
		 struct client_args *args)
{
	struct cli_parser p;
	struct kerr err;
	int id;

	cli_parse_init(&p, cmd, argc, argv);
	while ((id = cli_parse_next(&p, &err)) > 0) {
		if (id == CLI_HELP) {
			cli_help_write(cmd, stdout);
			return 0;
		}
		int rc = fn ? fn(cmd, ctx, id, p.val) : 0;
		if (rc != 0)
			return rc;
	}
	if (id < 0)
		return client_usage_error(cmd, "%s", err.msg);
	if (cli_check_args(cmd, p.nargs, p.args, &err) < 0)
		return client_args_error(cmd, "%s", err.msg);
	*args = (struct client_args){ .v = p.args, .n = p.nargs };
	return -1;
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

/* lasting: a daemon that closes the connection before it answered AUTH (it is going
 * away) makes this return CLIENT_OPEN_LOST, printing nothing. */
static int open_daemon(struct client *cl, bool lasting)
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
		bool closed = (err.code == 0 && cl->conn.eof) || err.code == ECONNRESET ||
			      err.code == EPIPE;
		if (closed && lasting)
			return CLIENT_OPEN_LOST;
		if (err.code == 0 && cl->conn.eof)
			return not_running(cl);
		kerr_wrap(&err, "kettle daemon at %s", cl->root);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	return 0;
}

int client_reconnect(struct client *cl, int auth_timeout_ms, struct kerr *err)
{
	struct wire_frame f;
	int fd = -1;

	ipc_conn_done(&cl->conn);
	ipc_conn_init(&cl->conn, -1);
	/* The token again: a daemon started on a fresh root may have written a new one. */
	if (ipc_token_load(cl->rootfd, cl->token, err) < 0 ||
	    ipc_connect(cl->rootfd, STORE_DAEMON_ADDR, &fd, err) < 0)
		return -1;
	ipc_conn_init(&cl->conn, fd);
	ipc_conn_set_authed(&cl->conn);
	if (ipc_conn_send_auth(&cl->conn, cl->token, err) < 0 ||
	    ipc_conn_wait_frame(&cl->conn, &f, auth_timeout_ms, err) < 0 || f.type != WIRE_T_OK ||
	    f.reqid != 0) {
		if (f.type == WIRE_T_ERROR)
			client_frame_error(&f, err);
		ipc_conn_done(&cl->conn);
		ipc_conn_init(&cl->conn, -1);
		return -1;
	}
	return 0;
}

static int open_client(struct client *cl, bool lasting)
{
	*cl = (struct client){ .rootfd = -1 };
	ipc_conn_init(&cl->conn, -1);
	cl->root = store_root_path(NULL);
	int rc = open_daemon(cl, lasting);
	if (rc == CLIENT_OPEN_LOST) {
		ipc_conn_done(&cl->conn);
		ipc_conn_init(&cl->conn, -1);
	} else if (rc != 0) {
		client_close(cl);
	}
	return rc;
}

int client_open(struct client *cl)
{
	return open_client(cl, false);
}

int client_open_lasting(struct client *cl)
{
	return open_client(cl, true);
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
	uint32_t code = WIRE_FAIL_KETTLE;

	if (wire_get_str(f, WIRE_F_MSG, false, err->msg, sizeof(err->msg), &ignored) <= 0 ||
	    err->msg[0] == '\0')
		kerr_set(err, 0, "request failed without a message");
	err->code = 0;
	if (wire_get_u32(f, WIRE_F_CODE, false, &code, &ignored) <= 0)
		code = WIRE_FAIL_KETTLE;
	return CLIENT_FAILED(client_exit_class(code));
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
