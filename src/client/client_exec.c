/*
 * client_exec: `kettle exec` (layer 3, client role): runs a command in a running container
 * through its shim and exits with the command's exit code.
 *
 * The daemon only resolves the reference (RESOLVE: the full id, and whether it runs); the
 * request then goes straight to the container's shim. Without -t the process's stdin (with
 * -i), stdout and stderr travel to the shim as SCM_RIGHTS descriptors, but only two kinds:
 * a regular file the user redirected, handed over as it is, and a pipe of ours that
 * client_relay.c copies to and from our own stdio and closes when the process ends, so a
 * terminal, a socket or the shell's pipe never reaches a container (issue 12). With -t the
 * shim keeps the pty and the session in client_session.c relays it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "client/client.h"
#include "ipc/reqbody.h"
#include "ipc/request.h"
#include "base/str.h"

#define EXEC_JSON_MAX (512u * 1024u) /* the exec request document (bytes) */
#define EXEC_ENV_MAX  1024	     /* -e flags */

_Static_assert(EXEC_JSON_MAX == REQUEST_EXEC_JSON_MAX, "the shim would refuse what exec sends");

struct exec_args {
	bool detach;	     /* -d */
	bool interactive;    /* -i */
	bool tty;	     /* -t */
	const char *user;    /* -u UID[:GID], or NULL */
	const char *workdir; /* -w, or NULL */
	char **env;	     /* owned array of -e values as "K=V" (strings owned) */
	size_t nenv;	     /* entries of env */
	const char *keys;    /* --detach-keys */
	const char *ref;     /* the container */
	char **cmd;	     /* borrowed from argv; the command and its arguments */
	int ncmd;	     /* entries of cmd */
};

enum {
	EXEC_DETACH_KEYS = 256,
};

static const struct cli_opt exec_opts[] CLI_TABLE = {
	CLI_OPT('d', 'd', CLI_FLAG, 0, "detach", "", "Run in the background"),
	CLI_OPT('i', 'i', CLI_FLAG, 0, "interactive", "", "Keep stdin attached"),
	CLI_OPT('t', 't', CLI_FLAG, 0, "tty", "",
		"Allocate a terminal (ours goes raw while attached)"),
	CLIENT_OPT_ENV,
	CLI_OPT('u', 'u', CLI_STRING, 0, "user", "UID[:GID]", "Run as this numeric user and group"),
	CLIENT_OPT_WORKDIR,
	CLIENT_OPT_DETACH_KEYS(EXEC_DETACH_KEYS),
};

const struct cli_cmd client_exec_cmd CLI_TABLE = {
	.name = "exec",
	.summary = "Run a command in a running container",
	.synopsis = "kettle exec [OPTIONS] CONTAINER COMMAND [ARG...]",
	.description = "Run a command in a running container and exit with its exit code (126: "
		       "not executable, 127: not found). Without -t the command uses kettle's own "
		       "stdin (with -i), stdout and stderr directly.",
	.opts = exec_opts,
	.nopts = CLI_COUNT(exec_opts),
	/* the command checks them: a container, then a command */
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_CONTAINER, .rest = CLI_ANYTHING },
};

static void args_done(struct exec_args *a)
{
	for (size_t i = 0; i < a->nenv; i++)
		free(a->env[i]);
	free(a->env);
}

static int add_env(struct exec_args *a, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char *v;

	if (kv[0] == '\0' || eq == kv)
		return client_usage_error(&client_exec_cmd,
					  "--env `%s` has an empty variable name, expected "
					  "KEY=VALUE or KEY",
					  kv);
	if (a->nenv == EXEC_ENV_MAX)
		return client_usage_error(&client_exec_cmd, "more than %d --env flags",
					  EXEC_ENV_MAX);
	if (eq) {
		v = strdup(kv);
	} else {
		const char *val = getenv(kv);

		if (!val)
			return 0;
		if (asprintf(&v, "%s=%s", kv, val) < 0)
			v = NULL;
	}
	char **nv = v ? realloc(a->env, (a->nenv + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(v);
		fputs("kettle: out of memory\n", stderr);
		return CLIENT_EXIT_FAIL;
	}
	a->env = nv;
	a->env[a->nenv++] = v;
	return 0;
}

static int parse_user(const char *s, uint32_t *uid, uint32_t *gid)
{
	char copy[64];
	struct kerr err;
	uint64_t v;

	if (!str_copy(copy, sizeof(copy), s))
		return client_usage_error(&client_exec_cmd, "--user `%.20s…` is too long", s);
	char *g = strchr(copy, ':');
	if (g)
		*g++ = '\0';
	if (str_to_u64(copy, UINT32_MAX - 1, &v, &err) < 0)
		return client_usage_error(&client_exec_cmd,
					  "invalid --user `%s`: expected a numeric UID[:GID] "
					  "(names are not resolved by exec)",
					  s);
	*uid = (uint32_t)v;
	*gid = 0;
	if (g) {
		if (str_to_u64(g, UINT32_MAX - 1, &v, &err) < 0)
			return client_usage_error(&client_exec_cmd,
						  "invalid --user `%s`: the group must be a "
						  "numeric GID",
						  s);
		*gid = (uint32_t)v;
	}
	return 0;
}

static int exec_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct exec_args *a = ctx;

	switch (id) {
	case 'd':
		a->detach = true;
		return 0;
	case 'i':
		a->interactive = true;
		return 0;
	case 't':
		a->tty = true;
		return 0;
	case 'e':
		return add_env(a, val);
	case 'u':
		a->user = val;
		return 0;
	case 'w':
		if (val[0] != '/')
			return client_usage_error(cmd,
						  "--workdir `%s` is not an absolute path, "
						  "expected one starting with /",
						  val);
		a->workdir = val;
		return 0;
	default:
		a->keys = val;
		return 0;
	}
}

/* Returns -1 to go on, else the exit code (0 after --help). */
static int parse_args(int argc, char **argv, struct exec_args *a)
{
	const struct cli_cmd *cmd = &client_exec_cmd;
	struct client_args args;
	/* The table stops at the container, so the command's own flags stay its own. */
	int rc = client_parse(cmd, argc, argv, exec_option, a, &args);

	if (rc >= 0)
		return rc;
	if (args.n == 0)
		return client_args_error(cmd, "a container and a command are required");
	if (args.n == 1)
		return client_args_error(cmd, "a command is required after `%s`", args.v[0]);
	a->ref = args.v[0];
	a->cmd = args.v + 1;
	a->ncmd = args.n - 1;
	if (a->detach && (a->tty || a->interactive))
		return client_usage_error(cmd, "-d cannot be combined with -i or -t");
	if (a->tty && a->interactive && !isatty(STDIN_FILENO))
		return client_usage_error(cmd, "the input device is not a TTY: -t with -i needs a "
					       "terminal on stdin (use -i alone for pipes)");
	return -1;
}

/* The request document: {args, env, cwd, user, tty}, as reqbody.h reads it. */
static int request_json(const struct exec_args *a, struct buf *out)
{
	struct reqbody_exec q = {
		.args = { .v = a->cmd, .n = (size_t)a->ncmd },
		.env = { .v = a->env, .n = a->nenv },
		.cwd = (char *)a->workdir,
		.tty = a->tty,
	};
	struct kerr err;

	if (a->user) {
		int rc = parse_user(a->user, &q.uid, &q.gid);
		if (rc != 0)
			return rc;
		q.user_set = true;
	}
	if (reqbody_encode_exec(&q, out, &err) < 0) {
		kerr_wrap(&err, "exec request");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	return 0;
}

/* Our stdio as the shim will get it: checked like the shim does, with a clear message. */
static int check_fds(const int *fds, size_t n)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	struct kerr err;

	for (size_t i = 0; i < n; i++) {
		if (ipc_check_passed_fd(fds[i], &err) == 0)
			continue;
		fprintf(stderr, "kettle: cannot hand our %s to the exec: %s\n",
			names[n == 3 ? i : i + 1], err.msg);
		return CLIENT_EXIT_FAIL;
	}
	return 0;
}

/* The process's stdio: our regular files as they are, pipes of ours for the rest. */
static int relay_setup(struct client_relay *relay, bool want_stdin, int fds[3], size_t *n)
{
	struct kerr err;
	int rc;

	/* What we cannot read or write is refused as before (a directory as stdin). */
	rc = check_fds(want_stdin ? (const int[]){ 0, 1, 2 } : (const int[]){ 1, 2 },
		       want_stdin ? 3 : 2);
	if (rc)
		return rc;
	if (client_relay_setup(relay, want_stdin, &err) < 0)
		return client_fail(CLIENT_EXIT_FAIL, &err);
	*n = 0;
	for (int i = want_stdin ? 0 : 1; i < 3; i++)
		fds[(*n)++] = relay->far[i];
	return 0;
}

/* -d: OK{PID} or ERROR, nothing more. */
static int wait_started(struct ipc_conn *shim, uint32_t reqid)
{
	struct wire_frame f;
	struct kerr err;

	for (;;) {
		if (ipc_conn_wait_frame(shim, &f, -1, &err) < 0) {
			if (err.code == 0 && shim->eof)
				kerr_set(&err, 0,
					 "the shim closed the connection before answering");
			return client_fail(CLIENT_EXIT_FAIL, &err);
		}
		if (f.reqid != reqid && !(f.reqid == 0 && f.type == WIRE_T_ERROR))
			continue;
		if (f.type == WIRE_T_ERROR)
			return client_fail(client_frame_error(&f, &err), &err);
		if (f.type == WIRE_T_OK)
			return 0;
	}
}

static int run_exec(struct client *cl, const struct exec_args *a, const char *id,
		    const uint8_t *keys, size_t nkeys, struct client_relay *relay)
{
	int send[3];
	size_t nfds = 0;
	struct ipc_conn shim;
	struct wire_enc e;
	struct kerr err;
	struct buf json;
	int rc;

	if (!a->detach && !a->tty) {
		rc = relay_setup(relay, a->interactive, send, &nfds);
		if (rc)
			return rc;
	}
	buf_init(&json, EXEC_JSON_MAX);
	rc = request_json(a, &json);
	if (rc) {
		buf_done(&json);
		return rc;
	}
	rc = client_open_shim(cl, id, &shim, false, &err);
	if (rc) {
		buf_done(&json);
		return rc;
	}
	if (nfds && ipc_conn_attach_fds(&shim, send, nfds, &err) < 0) {
		buf_done(&json);
		ipc_conn_done(&shim);
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	uint32_t reqid = ++cl->next_reqid;
	wire_enc_begin(&e, ipc_conn_txbuf(&shim), WIRE_T_SHIM_EXEC, reqid,
		       nfds ? WIRE_FLAG_FDS : 0);
	wire_enc_bytes(&e, WIRE_F_JSON, json.data, json.len);
	wire_enc_u32(&e, WIRE_F_NFDS, (uint32_t)nfds);
	buf_done(&json);
	rc = client_end(&e);
	/* Sent (queued with the frame, which holds its own references): from now on only the
	 * shim, runc and then the process have the far ends. */
	if (rc == 0 && nfds && ipc_conn_flush(&shim, &err) < 0)
		rc = client_fail(CLIENT_EXIT_FAIL, &err);
	if (shim.tx_nfds == 0)
		client_relay_sent(relay);
	if (rc == 0) {
		fflush(stdout);
		if (a->detach)
			rc = wait_started(&shim, reqid);
		else
			rc = client_session_exec(cl, &shim, id, reqid, a->tty, a->interactive, keys,
						 nkeys, nfds ? relay : NULL);
	}
	ipc_conn_done(&shim);
	return rc;
}

int client_exec_main(int argc, char **argv)
{
	struct exec_args a = { .keys = "ctrl-p,ctrl-q" };
	uint8_t keys[CLIENT_DETACH_KEYS_MAX];
	size_t nkeys = 0;
	char id[IDS_ID_LEN + 1];
	struct client cl;
	struct kerr err;
	int rc = parse_args(argc, argv, &a);

	if (rc < 0 && client_detach_keys_parse(a.keys, keys, &nkeys, &err) < 0)
		rc = client_usage_error(&client_exec_cmd, "--detach-keys: %s", err.msg);
	if (rc < 0 && a.user) {
		uint32_t u, g;

		int r = parse_user(a.user, &u, &g);
		if (r != 0)
			rc = r;
	}
	if (rc >= 0) {
		args_done(&a);
		return rc;
	}
	rc = client_open(&cl);
	if (rc == 0) {
		struct client_relay relay;

		client_relay_init(&relay);
		rc = client_resolve_running(&cl, a.ref, "exec in", id);
		if (rc == 0)
			rc = run_exec(&cl, &a, id, keys, nkeys, &relay);
		client_relay_done(&relay);
		client_close(&cl);
	}
	args_done(&a);
	return rc;
}
