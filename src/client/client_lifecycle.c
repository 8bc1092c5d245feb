/*
 * client_lifecycle: `start`, `stop`, `kill`, `rm`, `wait` and `inspect` (layer 3, client
 * role): one daemon request per container named on the command line.
 *
 * The requests for all containers are sent at once, so slow ones (STOP's grace period,
 * WAIT) run side by side in the daemon as docker runs them in parallel; the results are
 * printed afterwards in the order the containers were named. A failure for one container
 * is printed as one line and the others go on; the command then exits with the code the
 * last failure carried (docker's behaviour of continuing past failures).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "client/client.h"
#include "store/ids.h"
#include "base/json.h"
#include "runtime/proc.h"
#include "tmpl/tmpl.h"
#include "base/str.h"

#define STOP_DEFAULT_SECS 10		     /* docker's default grace period */
#define STOP_MAX_SECS	  (365u * 24 * 3600) /* a grace period longer than a year is a typo */

/* What one request produced. */
struct ref_result {
	const char *ref;	 /* borrowed from argv: as the person typed it */
	uint32_t reqid;		 /* request id it went out with */
	bool done;		 /* a reply arrived */
	int rc;			 /* 0 OK, else the exit code its failure carries */
	struct kerr err;	 /* the failure's message */
	uint32_t exit_code;	 /* WAIT: EXIT_CODE */
	char *json;		 /* INSPECT: the object, owned (malloc'd), NUL-terminated */
	char id[IDS_ID_LEN + 1]; /* RESOLVE: the full id */
};

/* Request fields beyond REF. */
struct ref_req {
	uint16_t type;	     /* WIRE_T_* */
	bool has_grace;	     /* STOP: TIMEOUT_MS or FOREVER */
	uint64_t grace_secs; /* with has_grace; CLIENT_STOP_FOREVER: no end */
	int signal;	     /* KILL: SIGNAL when > 0 */
	bool has_force;	     /* REMOVE: FORCE */
	bool force;	     /* with has_force */
	bool prepare;	     /* START: PREPARE (set up only, for start -a) */
};

static void keep_reply(struct ref_result *r, const struct ref_req *q, const struct wire_frame *f)
{
	struct kerr err;

	r->done = true;
	if (f->type == WIRE_T_ERROR) {
		r->rc = client_frame_error(f, &r->err);
		return;
	}
	if (f->type != WIRE_T_OK) {
		r->rc = CLIENT_EXIT_FAIL;
		kerr_set(&r->err, 0, "expected OK or ERROR from the daemon, got %s",
			 wire_type_name(f->type));
		return;
	}
	switch (q->type) {
	case WIRE_T_WAIT:
		if (wire_get_u32(f, WIRE_F_EXIT_CODE, true, &r->exit_code, &err) < 0) {
			r->rc = CLIENT_EXIT_FAIL;
			r->err = err;
		}
		return;
	case WIRE_T_RESOLVE:
		if (wire_get_str(f, WIRE_F_ID, true, r->id, sizeof(r->id), &err) < 0) {
			r->rc = CLIENT_EXIT_FAIL;
			r->err = err;
		}
		return;
	case WIRE_T_INSPECT: {
		const uint8_t *p = NULL;
		size_t len = 0;

		if (wire_get_bytes(f, WIRE_F_JSON, true, &p, &len, &err) < 0) {
			r->rc = CLIENT_EXIT_FAIL;
			r->err = err;
			return;
		}
		r->json = malloc(len + 1);
		if (!r->json) {
			r->rc = CLIENT_EXIT_FAIL;
			kerr_set(&r->err, 0, "out of memory");
			return;
		}
		memcpy(r->json, p, len);
		r->json[len] = '\0';
		return;
	}
	default:
		return;
	}
}

/* Sends q for every ref without a reply yet, all at once. Returns 0, or an exit code
 * (printed) when a request could not be encoded. */
static int send_refs(struct client *cl, const struct ref_req *q, struct ref_result *res, int n)
{
	struct wire_enc e;

	for (int i = 0; i < n; i++) {
		if (res[i].done)
			continue;
		res[i].reqid = client_begin(cl, &cl->conn, &e, q->type);
		wire_enc_str(&e, WIRE_F_REF, res[i].ref);
		if (q->has_grace)
			client_stop_encode(&e, q->grace_secs);
		if (q->signal > 0)
			wire_enc_u32(&e, WIRE_F_SIGNAL, (uint32_t)q->signal);
		if (q->has_force)
			wire_enc_u32(&e, WIRE_F_FORCE, q->force);
		if (q->prepare)
			wire_enc_u32(&e, WIRE_F_PREPARE, 1);
		if (client_end(&e) != 0)
			return CLIENT_EXIT_FAIL;
	}
	return 0;
}

/* Collects the replies to what send_refs sent. Returns 0 once every ref has one, -1 with
 * lost when the connection ended first (the daemon went away). */
static int collect(struct client *cl, const struct ref_req *q, struct ref_result *res, int n,
		   struct kerr *lost)
{
	struct wire_frame f;
	int left = 0;

	for (int i = 0; i < n; i++)
		left += !res[i].done;
	while (left > 0) {
		if (ipc_conn_wait_frame(&cl->conn, &f, -1, lost) < 0) {
			if (lost->code == 0 && cl->conn.eof)
				kerr_set(lost, 0,
					 "the kettle daemon closed the connection before "
					 "answering");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (res[i].done || res[i].reqid != f.reqid)
				continue;
			keep_reply(&res[i], q, &f);
			left--;
			break;
		}
	}
	return 0;
}

/* Every ref without a reply fails with rc and err. */
static void fail_rest(struct ref_result *res, int n, int rc, const struct kerr *err)
{
	for (int i = 0; i < n; i++) {
		if (res[i].done)
			continue;
		res[i].done = true;
		res[i].rc = rc;
		res[i].err = *err;
	}
}

/*
 * Sends one request per ref at once and collects every reply. Returns 0 when the
 * requests went out and every reply (or the connection's end) was accounted for;
 * per-ref outcomes are in res[]. Returns an exit code (printed) when nothing could be
 * sent.
 */
static int each_ref(struct client *cl, const struct ref_req *q, struct ref_result *res, int n)
{
	struct kerr err;
	int rc = send_refs(cl, q, res, n);

	if (rc == 0 && collect(cl, q, res, n, &err) < 0)
		fail_rest(res, n, CLIENT_EXIT_FAIL, &err);
	return rc;
}

static struct ref_result *new_results(int argc, char **argv)
{
	struct ref_result *res = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*res));

	if (!res) {
		fputs("kettle: out of memory\n", stderr);
		return NULL;
	}
	for (int i = 0; i < argc; i++)
		res[i].ref = argv[i];
	return res;
}

static void free_results(struct ref_result *res, int n)
{
	for (int i = 0; res && i < n; i++)
		free(res[i].json);
	free(res);
}

/* The exit code of the last container that failed, 0 when none did. */
static int last_failure(const struct ref_result *res, int n)
{
	int rc = 0;

	for (int i = 0; i < n; i++)
		if (res[i].rc != 0)
			rc = res[i].rc;
	return rc;
}

/*
 * The common shape of start, stop, kill and rm: connect, one request per ref, print each
 * ref that succeeded (as typed, like docker) and one line per failure.
 */
static int simple_each(const struct ref_req *q, int n, char **refs)
{
	struct client cl;
	int rc = client_open(&cl);

	if (rc != 0)
		return rc;
	struct ref_result *res = new_results(n, refs);
	if (!res) {
		client_close(&cl);
		return CLIENT_EXIT_FAIL;
	}
	rc = each_ref(&cl, q, res, n);
	for (int i = 0; rc == 0 && i < n; i++) {
		if (res[i].rc == 0) {
			printf("%s\n", res[i].ref);
			continue;
		}
		fflush(stdout);
		fprintf(stderr, "kettle: %s\n", res[i].err.msg);
	}
	if (rc == 0)
		rc = last_failure(res, n);
	free_results(res, n);
	client_close(&cl);
	return rc;
}

/* ---- start ---- */

/* start -a: the full id (RESOLVE), a shim set up without starting (START with PREPARE,
 * for a container that exited and has none), then the same attach as a foreground run,
 * so not a byte of output is missed. */
static int start_attached(const char *ref, uint64_t reconnect_ms)
{
	struct ref_req q = { .type = WIRE_T_RESOLVE };
	struct ref_req prep = { .type = WIRE_T_START, .prepare = true };
	struct ref_result r = { .ref = ref };
	struct client cl;
	int rc = client_open(&cl);

	if (rc != 0)
		return rc;
	rc = each_ref(&cl, &q, &r, 1);
	if (rc == 0 && r.rc != 0)
		rc = client_fail(r.rc, &r.err);
	if (rc == 0) {
		struct ref_result pr = { .ref = r.id };

		rc = each_ref(&cl, &prep, &pr, 1);
		if (rc == 0 && pr.rc != 0)
			rc = client_fail(pr.rc, &pr.err);
	}
	if (rc == 0) {
		/* The terminal session: raw mode and detach keys when the container has a
		 * tty, plain stdout/stderr relay when it has not (docker's start -a). */
		/* Signals are forwarded without a terminal only, as docker's start -a. */
		struct client_session o = {
			.id = r.id,
			.start = true,
			.sig_proxy = true,
			.reconnect_ms = reconnect_ms,
		};
		struct kerr err;

		if (client_detach_keys_parse("ctrl-p,ctrl-q", o.detach, &o.ndetach, &err) < 0)
			rc = client_fail(CLIENT_EXIT_FAIL, &err);
		fflush(stdout);
		if (rc == 0)
			rc = client_session_attach(&cl, &o);
	}
	client_close(&cl);
	return rc;
}

enum {
	START_RECONNECT = 256,
};

static const struct cli_opt start_opts[] CLI_TABLE = {
	CLI_OPT('a', 'a', CLI_FLAG, 0, "attach", "",
		"Relay the container's stdout and stderr and exit with its exit code (one "
		"container only), across a restart of the daemon too"),
	CLIENT_OPT_RECONNECT(START_RECONNECT),
};

struct start_args {
	bool attach;	       /* -a */
	uint64_t reconnect_ms; /* --reconnect-timeout */
};

static int start_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct start_args *a = ctx;

	if (id == START_RECONNECT)
		return client_redial_option(cmd, val, &a->reconnect_ms);
	a->attach = true;
	return 0;
}

const struct cli_cmd client_start_cmd CLI_TABLE = {
	.name = "start",
	.summary = "Start created or stopped containers",
	.synopsis = "kettle start [-a] CONTAINER [CONTAINER...]",
	.description = "Start created or exited containers and print each name as given. A "
		       "running one is left as it is.",
	.opts = start_opts,
	.nopts = CLI_COUNT(start_opts),
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

int client_start_main(int argc, char **argv)
{
	struct start_args a = { .reconnect_ms = CLIENT_RECONNECT_DEFAULT_MS };
	struct client_args args;
	int rc = client_parse(&client_start_cmd, argc, argv, start_option, &a, &args);

	if (rc >= 0)
		return rc;
	if (a.attach && args.n > 1)
		return client_args_error(&client_start_cmd,
					 "-a attaches to one container; %d were given", args.n);
	if (a.attach)
		return start_attached(args.v[0], a.reconnect_ms);
	struct ref_req q = { .type = WIRE_T_START };
	return simple_each(&q, args.n, args.v);
}

/* ---- stop ---- */

/* restart's too. */
const struct cli_opt client_stop_opts[CLIENT_STOP_NOPTS] CLI_TABLE = {
	CLI_OPT('t', 't', CLI_NUMBER, 0, "time", "SECONDS",
		"Grace period before SIGKILL (default 10; -1: no limit, never SIGKILL)"),
	CLI_OPT('t', 0, CLI_NUMBER, CLI_HIDDEN, "timeout", "", ""),
};

const struct cli_cmd client_stop_cmd CLI_TABLE = {
	.name = "stop",
	.summary = "Stop containers (SIGTERM, then SIGKILL)",
	.synopsis = "kettle stop [-t SECONDS] CONTAINER [CONTAINER...]",
	.description = "Stop running containers: SIGTERM, then SIGKILL after the grace period. "
		       "Prints each name as given.",
	.opts = client_stop_opts,
	.nopts = CLIENT_STOP_NOPTS,
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

int client_stop_grace(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct kerr err;

	(void)id;
	/* docker's -1: no grace limit, SIGKILL never comes. */
	if (strcmp(val, "-1") == 0) {
		*(uint64_t *)ctx = CLIENT_STOP_FOREVER;
		return 0;
	}
	if (str_to_u64(val, STOP_MAX_SECS, ctx, &err) < 0)
		return client_usage_error(cmd, "-t: %s", err.msg);
	return 0;
}

void client_stop_encode(struct wire_enc *e, uint64_t secs)
{
	if (secs == CLIENT_STOP_FOREVER)
		wire_enc_u32(e, WIRE_F_FOREVER, 1);
	else
		wire_enc_u64(e, WIRE_F_TIMEOUT_MS, secs * 1000);
}

int client_stop_main(int argc, char **argv)
{
	uint64_t secs = STOP_DEFAULT_SECS; /* -t: grace period before SIGKILL */
	struct client_args args;
	int rc = client_parse(&client_stop_cmd, argc, argv, client_stop_grace, &secs, &args);

	if (rc >= 0)
		return rc;
	struct ref_req q = {
		.type = WIRE_T_STOP,
		.has_grace = true,
		.grace_secs = secs,
	};
	return simple_each(&q, args.n, args.v);
}

/* ---- kill ---- */

struct kill_args {
	int signal; /* -s */
};

static const struct cli_opt kill_opts[] CLI_TABLE = {
	CLI_OPT('s', 's', CLI_STRING, 0, "signal", "SIGNAL",
		"Signal name or number (KILL, SIGTERM, hup, 15, ...)"),
};

const struct cli_cmd client_kill_cmd CLI_TABLE = {
	.name = "kill",
	.summary = "Send a signal to containers",
	.synopsis = "kettle kill [-s SIGNAL] CONTAINER [CONTAINER...]",
	.description = "Send a signal to running containers (default SIGKILL). Prints each name "
		       "as given.",
	.opts = kill_opts,
	.nopts = CLI_COUNT(kill_opts),
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

static int kill_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	struct kill_args *a = ctx;
	struct kerr err;

	(void)id;
	if (proc_signal_parse(val, &a->signal, &err) < 0)
		return client_usage_error(cmd, "-s: %s", err.msg);
	return 0;
}

int client_kill_main(int argc, char **argv)
{
	struct kill_args a = { .signal = 9 };
	struct client_args args;
	int rc = client_parse(&client_kill_cmd, argc, argv, kill_option, &a, &args);

	if (rc >= 0)
		return rc;
	struct ref_req q = { .type = WIRE_T_KILL, .signal = a.signal };
	return simple_each(&q, args.n, args.v);
}

/* ---- rm ---- */

static const struct cli_opt rm_opts[] CLI_TABLE = {
	CLI_OPT('f', 'f', CLI_FLAG, 0, "force", "", "Kill a running container first"),
};

const struct cli_cmd client_rm_cmd CLI_TABLE = {
	.name = "rm",
	.summary = "Remove containers",
	.synopsis = "kettle rm [-f] CONTAINER [CONTAINER...]",
	.description = "Remove containers and print each name as given.",
	.opts = rm_opts,
	.nopts = CLI_COUNT(rm_opts),
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

int client_rm_main(int argc, char **argv)
{
	bool force = false; /* -f */
	struct client_args args;
	int rc = client_parse(&client_rm_cmd, argc, argv, client_opt_flag, &force, &args);

	if (rc >= 0)
		return rc;
	struct ref_req q = { .type = WIRE_T_REMOVE, .has_force = true, .force = force };
	return simple_each(&q, args.n, args.v);
}

/* ---- wait ---- */

enum {
	WAIT_RECONNECT = 256,
};

static const struct cli_opt wait_opts[] CLI_TABLE = {
	CLIENT_OPT_RECONNECT(WAIT_RECONNECT),
};

const struct cli_cmd client_wait_cmd CLI_TABLE = {
	.name = "wait",
	.summary = "Wait for containers to exit and print their exit codes",
	.synopsis = "kettle wait CONTAINER [CONTAINER...]",
	.description = "Wait until containers exit and print each one's exit code on its own "
		       "line. A restart of the daemon meanwhile is waited out.",
	.opts = wait_opts,
	.nopts = CLI_COUNT(wait_opts),
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

static int wait_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	(void)id;
	return client_redial_option(cmd, val, ctx);
}

/* WAIT for every ref; when the daemon goes away (a restart), the WAITs not answered are
 * sent again to the next one, which has the exit from exit.json if it came meanwhile. */
static int wait_refs(struct client *cl, struct ref_result *res, int n, uint64_t reconnect_ms)
{
	struct ref_req q = { .type = WIRE_T_WAIT };
	struct kerr err;

	for (;;) {
		int rc = send_refs(cl, &q, res, n);

		if (rc != 0 || collect(cl, &q, res, n, &err) == 0)
			return rc;
		if (client_redial_wait(cl, reconnect_ms, &err) < 0) {
			fail_rest(res, n, CLIENT_FAILED(CLIENT_DAEMON_GONE), &err);
			return 0;
		}
	}
}

int client_wait_main(int argc, char **argv)
{
	uint64_t reconnect_ms = CLIENT_RECONNECT_DEFAULT_MS; /* --reconnect-timeout */
	struct client_args args;
	struct client cl;
	int rc = client_parse(&client_wait_cmd, argc, argv, wait_option, &reconnect_ms, &args);

	if (rc >= 0)
		return rc;
	rc = client_redial_open(&cl, reconnect_ms);
	if (rc != 0)
		return rc;
	int n = args.n;
	struct ref_result *res = new_results(n, args.v);
	rc = res ? wait_refs(&cl, res, n, reconnect_ms) : CLIENT_EXIT_FAIL;
	for (int i = 0; rc == 0 && i < n; i++) {
		if (res[i].rc == 0) {
			printf("%u\n", res[i].exit_code);
			continue;
		}
		fflush(stdout);
		fprintf(stderr, "kettle: %s\n", res[i].err.msg);
	}
	if (rc == 0)
		rc = last_failure(res, n);
	free_results(res, n);
	client_close(&cl);
	return rc;
}

/* ---- inspect ---- */

/* docker's types behind the INSPECT document (docs/PROTOCOL.md): the objects that are Go
 * maps, and the struct fields docker's JSON leaves out when empty (a template still finds
 * them, as nil). */
static const char *const inspect_maps[] = {
	"Config.Labels",	 "Config.Volumes",
	"Config.ExposedPorts",	 "HostConfig.PortBindings",
	"HostConfig.Tmpfs",	 "HostConfig.LogConfig.Config",
	"NetworkSettings.Ports", "NetworkSettings.Networks",
	"GraphDriver.Data",	 NULL,
};
static const char *const inspect_optional[] = {
	"State.Health",	       "HostConfig.Tmpfs",   "HostConfig.Init", "Config.Healthcheck",
	"Config.ExposedPorts", "Config.StopTimeout", "Config.Shell",	NULL,
};
static const struct tmpl_schema inspect_schema = {
	.maps = inspect_maps,
	.optional = inspect_optional,
};

/* docker prints "Error: No such object: x" for a name that is nothing. */
static bool is_not_found(const struct ref_result *r)
{
	return r->rc == CLIENT_FAILED(CLIENT_NOT_FOUND) ||
	       str_has_prefix(r->err.msg, "no such container");
}

static const struct cli_opt inspect_opts[] CLI_TABLE = {
	CLI_OPT('f', 'f', CLI_STRING, 0, "format", "FORMAT",
		"json (one line), or a Go template run for each container "
		"('{{.State.Pid}}', '{{json .Config.Env}}')"),
};

const struct cli_cmd client_inspect_cmd CLI_TABLE = {
	.name = "inspect",
	.summary = "Show containers' details as JSON",
	.synopsis = "kettle inspect [-f FORMAT] CONTAINER [CONTAINER...]",
	.description = "Print the containers' details as a JSON array in the shape of docker's "
		       "Engine API (Id, Created, State, Config, HostConfig, Mounts, "
		       "NetworkSettings, ...; what only kettle has under Kettle), or each "
		       "through --format.",
	.opts = inspect_opts,
	.nopts = CLI_COUNT(inspect_opts),
	.pos = CLI_CONTAINERS,
	.flags = CLI_INTERLEAVE,
};

static int inspect_option(const struct cli_cmd *cmd, void *ctx, int id, char *val)
{
	(void)cmd, (void)id;
	*(const char **)ctx = val;
	return 0;
}

/* One container's document, as the format wants it, onto out. */
static int inspect_one(struct client_format *fmt, struct ref_result *r, struct json_tok *toks,
		       int shown, struct buf *out)
{
	struct json_doc d;
	struct kerr perr;
	size_t len = strlen(r->json);

	if (fmt->kind == CLIENT_FORMAT_TEMPLATE) {
		if (client_format_exec(fmt, r->json, len, &inspect_schema, NULL, NULL, out,
				       &perr) == 0)
			return 1;
		r->rc = CLIENT_EXIT_FAIL;
		r->err = perr;
		return 0;
	}
	if (json_parse(&d, r->json, len, toks, JSON_TOKENS_MAX, &perr) < 0) {
		r->rc = CLIENT_EXIT_FAIL;
		kerr_wrap(&perr, "inspect `%s`: the daemon's reply", r->ref);
		r->err = perr;
		return 0;
	}
	if (fmt->kind == CLIENT_FORMAT_JSON) {
		buf_append_str(out, shown ? "," : "", &perr);
		tmpl_json_compact(&d, 0, out, &perr);
		return 1;
	}
	/* json.Indent(…, "", "    ") of the array docker's inspect prints. */
	buf_append_str(out, shown ? ",\n    " : "\n    ", &perr);
	tmpl_json_indent(&d, 0, 1, "    ", out, &perr);
	return 1;
}

int client_inspect_main(int argc, char **argv)
{
	struct ref_req q = { .type = WIRE_T_INSPECT };
	struct json_tok *toks = NULL;
	struct client_format fmt;
	struct client_args args;
	const char *format = NULL;
	struct client cl;
	struct buf out;
	struct kerr err;
	int rc = client_parse(&client_inspect_cmd, argc, argv, inspect_option, &format, &args);

	if (rc >= 0)
		return rc;
	rc = client_format_init(&fmt, format, false);
	if (rc != 0)
		return rc;
	rc = client_open(&cl);
	if (rc != 0) {
		client_format_done(&fmt);
		return rc;
	}
	int n = args.n;
	struct ref_result *res = new_results(n, args.v);
	toks = malloc(sizeof(*toks) * JSON_TOKENS_MAX);
	rc = res && toks ? each_ref(&cl, &q, res, n) : CLIENT_EXIT_FAIL;
	if (!toks)
		fputs("kettle: out of memory\n", stderr);
	buf_init(&out, SIZE_MAX);
	kerr_clear(&err);
	bool array = fmt.kind != CLIENT_FORMAT_TEMPLATE;
	if (array)
		buf_append_str(&out, "[", &err);
	int shown = 0;
	for (int i = 0; rc == 0 && i < n; i++)
		if (res[i].rc == 0)
			shown += inspect_one(&fmt, &res[i], toks, shown, &out);
	if (array)
		buf_append_str(&out, shown && fmt.kind == CLIENT_FORMAT_DEFAULT ? "\n]\n" : "]\n",
			       &err);
	else if (out.len == 0)
		buf_append_str(&out, "\n", &err); /* docker's Flush of an empty template run */
	if (rc == 0) {
		if (out.len) /* an empty buffer has no data pointer */
			fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
	}
	for (int i = 0; rc == 0 && i < n; i++) {
		if (res[i].rc == 0)
			continue;
		if (is_not_found(&res[i]))
			fprintf(stderr, "Error: No such object: %s\n", res[i].ref);
		else if (str_has_prefix(res[i].err.msg, "template parsing error"))
			fprintf(stderr, "%s\n", res[i].err.msg);
		else
			fprintf(stderr, "kettle: %s\n", res[i].err.msg);
	}
	/* The first failure's class: inspect exits 1 for any (client_exit.c), as docker. */
	for (int i = 0; rc == 0 && i < n; i++)
		if (res[i].rc != 0)
			rc = res[i].rc;
	buf_done(&out);
	free(toks);
	free_results(res, n);
	client_format_done(&fmt);
	client_close(&cl);
	return rc;
}
