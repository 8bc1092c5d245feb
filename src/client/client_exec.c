/*
 * client_exec: `kettle exec` (layer 3, client role): runs a command in a running container
 * through its shim and exits with the command's exit code.
 *
 * The daemon only resolves the reference (RESOLVE: the full id, and whether it runs); the
 * request then goes straight to the container's shim. Without -t our own stdin (with -i),
 * stdout and stderr travel to the shim as SCM_RIGHTS descriptors and become the process's
 * stdio, so its output never passes through kettle; with -t the shim keeps the pty and
 * the session in client_attach.c relays it. Descriptors are checked here first (a directory
 * or an O_PATH handle as stdin is refused with a clear message; the shim checks again).
 */
#include <errno.h>
#include <getopt.h>
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

static const char exec_usage[] =
	"Usage: kettle exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
	"\n"
	"Run a command in a running container and exit with its exit code (126: not\n"
	"executable, 127: not found). Without -t the command uses kettle's own stdin (with\n"
	"-i), stdout and stderr directly.\n"
	"\n"
	"Options:\n"
	"  -d, --detach             Run in the background\n"
	"  -i, --interactive        Keep stdin attached\n"
	"  -t, --tty                Allocate a terminal (ours goes raw while attached)\n"
	"  -e, --env KEY=VALUE      Set a variable (KEY alone: take it from this environment)\n"
	"  -u, --user UID[:GID]     Run as this numeric user and group\n"
	"  -w, --workdir DIR        Working directory inside the container (absolute)\n"
	"      --detach-keys KEYS   Detach sequence with -t (default ctrl-p,ctrl-q)\n"
	"      --help               Print this help\n";

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
		return client_usage_error(exec_usage,
					  "--env `%s` has an empty variable name, expected "
					  "KEY=VALUE or KEY",
					  kv);
	if (a->nenv == EXEC_ENV_MAX)
		return client_usage_error(exec_usage, "more than %d --env flags", EXEC_ENV_MAX);
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
		return client_usage_error(exec_usage, "--user `%.20s…` is too long", s);
	char *g = strchr(copy, ':');
	if (g)
		*g++ = '\0';
	if (str_to_u64(copy, UINT32_MAX - 1, &v, &err) < 0)
		return client_usage_error(exec_usage,
					  "invalid --user `%s`: expected a numeric UID[:GID] "
					  "(names are not resolved by exec)",
					  s);
	*uid = (uint32_t)v;
	*gid = 0;
	if (g) {
		if (str_to_u64(g, UINT32_MAX - 1, &v, &err) < 0)
			return client_usage_error(exec_usage,
						  "invalid --user `%s`: the group must be a "
						  "numeric GID",
						  s);
		*gid = (uint32_t)v;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct exec_args *a, bool *help)
{
	enum {
		OPT_DETACH_KEYS = 256,
		OPT_HELP
	};
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "detach-keys", required_argument, NULL, OPT_DETACH_KEYS },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	opterr = 0;
	optind = 0;
	/* "+": parsing stops at the container, so the command's own flags stay its own. */
	while ((c = getopt_long(argc, argv, "+:dite:u:w:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->detach = true;
			break;
		case 'i':
			a->interactive = true;
			break;
		case 't':
			a->tty = true;
			break;
		case 'e':
			rc = add_env(a, optarg);
			if (rc)
				return rc;
			break;
		case 'u':
			a->user = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return client_usage_error(exec_usage,
							  "--workdir `%s` is not an absolute path, "
							  "expected one starting with /",
							  optarg);
			a->workdir = optarg;
			break;
		case OPT_DETACH_KEYS:
			a->keys = optarg;
			break;
		case OPT_HELP:
			fputs(exec_usage, stdout);
			*help = true;
			return 0;
		default:
			return client_option_error(exec_usage, c, argc, argv);
		}
	}
	if (optind >= argc)
		return client_usage_error(exec_usage, "a container and a command are required");
	if (optind + 1 >= argc)
		return client_usage_error(exec_usage, "a command is required after `%s`",
					  argv[optind]);
	a->ref = argv[optind];
	a->cmd = argv + optind + 1;
	a->ncmd = argc - optind - 1;
	if (a->detach && (a->tty || a->interactive))
		return client_usage_error(exec_usage, "-d cannot be combined with -i or -t");
	if (a->tty && a->interactive && !isatty(STDIN_FILENO))
		return client_usage_error(exec_usage,
					  "the input device is not a TTY: -t with -i needs a "
					  "terminal on stdin (use -i alone for pipes)");
	return 0;
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
		if (parse_user(a->user, &q.uid, &q.gid) != 0)
			return CLIENT_EXIT_FAIL;
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
		    const uint8_t *keys, size_t nkeys)
{
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	const int *send = NULL;
	size_t nfds = 0;
	struct ipc_conn shim;
	struct wire_enc e;
	struct kerr err;
	struct buf json;
	int rc;

	if (!a->detach && !a->tty) {
		send = a->interactive ? fds : fds + 1;
		nfds = a->interactive ? 3 : 2;
		rc = check_fds(send, nfds);
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
	if (rc == 0) {
		fflush(stdout);
		if (a->detach)
			rc = wait_started(&shim, reqid);
		else
			rc = client_session_exec(cl, &shim, id, reqid, a->tty, a->interactive, keys,
						 nkeys);
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
	bool help = false;
	int rc;

	rc = parse_args(argc, argv, &a, &help);
	if (rc == 0 && !help && client_detach_keys_parse(a.keys, keys, &nkeys, &err) < 0)
		rc = client_usage_error(exec_usage, "--detach-keys: %s", err.msg);
	if (rc == 0 && a.user) {
		uint32_t u, g;

		rc = parse_user(a.user, &u, &g);
	}
	if (rc != 0 || help) {
		args_done(&a);
		return rc;
	}
	rc = client_open(&cl);
	if (rc == 0) {
		rc = client_resolve_running(&cl, a.ref, "exec in", id);
		if (rc == 0)
			rc = run_exec(&cl, &a, id, keys, nkeys);
		client_close(&cl);
	}
	args_done(&a);
	return rc;
}
