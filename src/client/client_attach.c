/*
 * client_attach: `kettle attach` (layer 3, client role): a running container's output, and
 * its input when it takes some, through the session of client_session.c; docker's
 * --detach-keys, which run, start -a and exec parse here too; and the RESOLVE check exec
 * uses (client_resolve_running).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "client/client.h"
#include "store/status.h"

#define DEFAULT_DETACH "ctrl-p,ctrl-q"

int client_detach_keys_parse(const char *spec, uint8_t *out, size_t *n, struct kerr *err)
{
	/* docker's --detach-keys: comma-separated single characters or ctrl-<c>. */
	char copy[128];

	*n = 0;
	if (!spec[0])
		return 0; /* empty: detaching is off */
	if (!str_copy(copy, sizeof(copy), spec))
		return kerr_set(err, 0, "detach keys `%s` are too long", spec);
	for (char *save = NULL, *k = strtok_r(copy, ",", &save); k;
	     k = strtok_r(NULL, ",", &save)) {
		uint8_t b;

		if (strlen(k) == 1) {
			b = (uint8_t)k[0];
		} else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
			char c = k[5];

			if (c >= 'a' && c <= 'z')
				b = (uint8_t)(c - 'a' + 1);
			else if (c == '@')
				b = 0;
			else if (c >= '[' && c <= '_')
				b = (uint8_t)(c - '[' + 27);
			else
				return kerr_set(err, EINVAL,
						"invalid detach key `%s`: after ctrl- a letter, @, "
						"[, \\, ], ^ or _ is allowed",
						k);
		} else {
			return kerr_set(err, EINVAL,
					"invalid detach key `%s`, expected one character or "
					"ctrl-<c> (e.g. ctrl-p,ctrl-q)",
					k);
		}
		if (*n == CLIENT_DETACH_KEYS_MAX)
			return kerr_set(err, 0, "detach sequence `%s` is longer than %d keys", spec,
					CLIENT_DETACH_KEYS_MAX);
		out[(*n)++] = b;
	}
	if (*n == 0)
		return kerr_set(err, 0, "invalid detach keys `%s`", spec);
	return 0;
}

/* ---- kettle attach ---- */

enum {
	ATTACH_DETACH_KEYS = 256,
	ATTACH_NO_STDIN,
	ATTACH_SIG_PROXY,
	ATTACH_RECONNECT,
};

static const struct cli_opt attach_opts[] CLI_TABLE = {
	CLI_OPT(ATTACH_DETACH_KEYS, 0, CLI_STRING, 0, "detach-keys", "KEYS",
		"Detach sequence (default " DEFAULT_DETACH "; empty: none)"),
	CLI_OPT(ATTACH_NO_STDIN, 0, CLI_FLAG, 0, "no-stdin", "", "Do not attach our stdin"),
	CLI_OPT(ATTACH_SIG_PROXY, 0, CLI_BOOL, 0, "sig-proxy", "",
		"Forward every signal kettle can catch to the container, but SIGCHLD, SIGPIPE, "
		"SIGWINCH (a resize) and SIGTSTP, SIGTTIN, SIGTTOU (default true, without a "
		"terminal only, as docker; --sig-proxy=false: a signal ends kettle, the "
		"container runs on)"),
	CLIENT_OPT_RECONNECT(ATTACH_RECONNECT),
};

const struct cli_cmd client_attach_cmd CLI_TABLE = {
	.name = "attach",
	.summary = "Attach to a running container's terminal or stdio",
	.synopsis = "kettle attach [OPTIONS] CONTAINER",
	.description = "Attach to a running container's output, and to its input when it was "
		       "created with -i or -t. With a terminal, ours is put in raw mode and its "
		       "size follows ours; the detach sequence leaves the container running. "
		       "Several clients may attach at once. Exits with the container's exit code "
		       "when it ends, across a restart of the daemon too.",
	.opts = attach_opts,
	.nopts = CLI_COUNT(attach_opts),
	/* the command checks them, after the detach keys */
	.pos = { .max = CLI_ARGS_MANY, .first = CLI_CONTAINER, .rest = CLI_STRING },
	.flags = CLI_INTERLEAVE,
};

struct attach_args {
	const char *keys;	       /* --detach-keys: the last one given */
	struct client_session session; /* what the attach asks for */
};

static int attach_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct attach_args *a = ctx;

	switch (id) {
	case ATTACH_NO_STDIN:
		a->session.want_stdin = false;
		return 0;
	case ATTACH_SIG_PROXY:
		a->session.sig_proxy = cli_bool(val);
		return 0;
	case ATTACH_RECONNECT:
		return client_redial_option(cmd, val, &a->session.reconnect_ms);
	default:
		a->keys = val;
		return 0;
	}
}

/* The full id of a running container through RESOLVE, or a failure already printed. */
int client_resolve_running(struct client *cl, const char *ref, const char *what,
			   char id[IDS_ID_LEN + 1])
{
	struct wire_frame reply;
	struct wire_enc e;
	struct status st;
	const uint8_t *json = NULL;
	size_t len = 0;
	struct kerr err;
	uint32_t reqid = client_begin(cl, &cl->conn, &e, WIRE_T_RESOLVE);

	wire_enc_str(&e, WIRE_F_REF, ref);
	if (client_end(&e) != 0)
		return CLIENT_EXIT_FAIL;
	int rc = client_request(cl, reqid, &reply, &err);
	if (rc != 0)
		return client_fail(rc, &err);
	if (wire_get_str(&reply, WIRE_F_ID, true, id, IDS_ID_LEN + 1, &err) < 0 ||
	    wire_get_bytes(&reply, WIRE_F_JSON, true, &json, &len, &err) < 0 ||
	    status_from_json(&st, (const char *)json, len, &err) < 0) {
		kerr_wrap(&err, "reply to RESOLVE");
		return client_fail(CLIENT_EXIT_FAIL, &err);
	}
	if (st.kind != STATUS_RUNNING) {
		fprintf(stderr, "kettle: cannot %s container `%s`: it is not running (status %s)\n",
			what, ref, status_kind_name(st.kind));
		return CLIENT_EXIT_FAIL;
	}
	return 0;
}

int client_attach_main(int argc, char **argv)
{
	const struct cli_cmd *cmd = &client_attach_cmd;
	struct attach_args a = {
		.keys = DEFAULT_DETACH,
		.session = { .want_stdin = true,
			     .sig_proxy = true,
			     .reconnect_ms = CLIENT_RECONNECT_DEFAULT_MS },
	};
	struct client_session *o = &a.session;
	struct client_args args;
	char id[IDS_ID_LEN + 1];
	struct client cl;
	struct kerr err;
	int rc = client_parse(cmd, argc, argv, attach_option, &a, &args);

	if (rc >= 0)
		return rc;
	if (client_detach_keys_parse(a.keys, o->detach, &o->ndetach, &err) < 0)
		return client_usage_error(cmd, "--detach-keys: %s", err.msg);
	if (args.n == 0)
		return client_args_error(cmd, "a container is required");
	if (args.n > 1)
		return client_args_error(cmd, "one container only; %d were given", args.n);
	rc = client_open(&cl);
	if (rc != 0)
		return rc;
	rc = client_resolve_running(&cl, args.v[0], "attach to", id);
	if (rc == 0) {
		o->id = id;
		fflush(stdout);
		rc = client_session_attach(&cl, o);
	}
	client_close(&cl);
	return rc;
}
