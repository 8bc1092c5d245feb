/*
 * client: the commands a person types (layer 3). client*.c files share the plumbing
 * declared below (client.c); no other role includes this header.
 *
 * Conventions: a client_* helper that can fail has already printed its one line
 * ("kettle: <msg>" or "kettle <cmd>: <error> (usage: …)") when it returns, and returns
 * what to leave with: 0, a container's exit code (0..255, passed on as it is), or a
 * failure's class, CLIENT_FAILED(class), above 255, which client_exit.c's table turns
 * into the command's exit code as docker's CLI would (kettle.c applies it on the way
 * out). The client has one conversation at a time and nothing else to do, so it waits
 * for replies with poll (ipc_conn_wait_frame), never a loop.
 */
#ifndef KETTLE_CLIENT_H
#define KETTLE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "store/ids.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "base/kerr.h"
#include "ipc/wire.h"
#include "tmpl/tmpl.h"

struct json_doc;

/*
 * What failed, as far as an exit code goes. The daemon and the shim report the classes
 * that come from them in ERROR's CODE (docs/PROTOCOL.md: 1, 125, 126, 127); the client
 * adds its own (a bad command line, a daemon that stayed away).
 */
enum client_class {
	CLIENT_BAD_FLAG = 1,  /* an unknown option or an option value of the wrong form */
	CLIENT_BAD_ARGS,      /* wrong positional arguments, or nothing asked */
	CLIENT_NOT_FOUND,     /* no such container (CODE 1) */
	CLIENT_REFUSED,	      /* kettle refused or failed (CODE 125), daemon unreachable */
	CLIENT_CANNOT_EXEC,   /* the container command cannot be executed (CODE 126) */
	CLIENT_CMD_NOT_FOUND, /* the container command was not found (CODE 127) */
	CLIENT_DAEMON_GONE,   /* the daemon went away and stayed away past the bound */
	CLIENT_NCLASSES
};
#define CLIENT_FAILED(class) (0x100 | (int)(class))	   /* a failure's result: above 255 */
#define CLIENT_EXIT_FAIL     CLIENT_FAILED(CLIENT_REFUSED) /* kettle's own failure */

/* The exit code for what a command's main returned (client_exit.c): 0..255 as they are
 * (a container's code, or another role's), a failure's class by the command's row of the
 * table. command: the name it was run as ("run"), NULL for none. */
int client_exit_code(const char *command, int rc);
/* The class of an ERROR frame's CODE (absent or unknown: CLIENT_REFUSED). */
enum client_class client_exit_class(uint32_t code);
#define CLIENT_AUTH_TIMEOUT_MS 5000 /* a server that has not answered AUTH by then is stuck */

/* Each command: its table (kettle.c lists them) and its main. */
extern const struct cli_cmd client_attach_cmd, client_cp_cmd, client_create_cmd, client_events_cmd,
	client_exec_cmd, client_info_cmd, client_inspect_cmd, client_kill_cmd, client_logs_cmd,
	client_pause_cmd, client_prune_cmd, client_ps_cmd, client_rename_cmd, client_restart_cmd,
	client_rm_cmd, client_run_cmd, client_start_cmd, client_stats_cmd, client_stop_cmd,
	client_top_cmd, client_unpause_cmd, client_update_cmd, client_version_cmd, client_wait_cmd;
int client_attach_main(int argc, char **argv);
int client_cp_main(int argc, char **argv);
int client_create_main(int argc, char **argv);
int client_exec_main(int argc, char **argv);
int client_events_main(int argc, char **argv);
int client_inspect_main(int argc, char **argv);
int client_kill_main(int argc, char **argv);
int client_logs_main(int argc, char **argv);
int client_ps_main(int argc, char **argv);
int client_rm_main(int argc, char **argv);
int client_run_main(int argc, char **argv);
int client_start_main(int argc, char **argv);
int client_stop_main(int argc, char **argv);
int client_version_main(int argc, char **argv);
int client_wait_main(int argc, char **argv);
/* client_ops.c */
int client_info_main(int argc, char **argv);
int client_pause_main(int argc, char **argv);
int client_prune_main(int argc, char **argv);
int client_rename_main(int argc, char **argv);
int client_restart_main(int argc, char **argv);
int client_top_main(int argc, char **argv);
int client_unpause_main(int argc, char **argv);
int client_update_main(int argc, char **argv);
/* client_stats.c */
int client_stats_main(int argc, char **argv);
/* The version a running daemon reports (INFO), quietly; -1 when none answers. */
int client_daemon_version(char *out, size_t cap);

/* One authenticated connection to the daemon. */
struct client {
	const char *root;	       /* state root path; borrowed ($KETTLE_ROOT or default) */
	int rootfd;		       /* owned; the opened root, -1 before client_open */
	char token[IPC_TOKEN_HEX + 1]; /* the root's auth secret, NUL-terminated */
	struct ipc_conn conn;	       /* the daemon connection; conn.fd -1 when closed */
	uint32_t next_reqid;	       /* last request id used on conn (0 is AUTH's) */
};

/* Prints "kettle <cmd>: <error> (usage: <synopsis>)" on stderr and returns
 * CLIENT_FAILED(CLIENT_BAD_FLAG): the command line is malformed (docker's 125). */
int client_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same line for arguments that are wrong in number or asks nothing;
 * CLIENT_FAILED(CLIENT_BAD_ARGS) (docker's 1). */
int client_args_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One option of a command, in argv order: 0 to go on, else the exit code to leave with
 * (the failure printed, naming cmd). ctx is the command's own (its struct <cmd>_args). */
typedef int (*client_opt_fn)(const struct cli_cmd *cmd, void *ctx, int id, char *val);
/* Options run and exec share, word for word. */
#define CLIENT_OPT_ENV                                                                             \
	CLI_OPT('e', 'e', CLI_STRING, CLI_REPEAT, "env", "KEY=VALUE",                              \
		"Set a variable (KEY alone: take it from this environment)")
#define CLIENT_OPT_WORKDIR                                                                         \
	CLI_OPT('w', 'w', CLI_STRING, 0, "workdir", "DIR",                                         \
		"Working directory inside the container (absolute)")
#define CLIENT_OPT_DETACH_KEYS(id)                                                                 \
	CLI_OPT(id, 0, CLI_STRING, 0, "detach-keys", "KEYS",                                       \
		"Detach sequence with -t (default ctrl-p,ctrl-q)")

/* stop's options, which restart shares: -t SECONDS (--time, or --timeout) and the handler
 * that reads it into the uint64_t ctx (client_lifecycle.c). */
#define CLIENT_STOP_NOPTS 2
extern const struct cli_opt client_stop_opts[CLIENT_STOP_NOPTS];
int client_stop_grace(const struct cli_cmd *cmd, void *ctx, int id, char *val);
#define CLIENT_STOP_FOREVER UINT64_MAX /* -t -1: the grace period has no end */
/* A STOP's grace period of secs: TIMEOUT_MS, or FOREVER for CLIENT_STOP_FOREVER. */
void client_stop_encode(struct wire_enc *e, uint64_t secs);
/* The handler of a command whose one option is a flag: ctx is its bool. */
int client_opt_flag(const struct cli_cmd *cmd, void *ctx, int id, char *val);

/* The positional arguments once the options are parsed. */
struct client_args {
	char **v; /* borrowed from argv */
	int n;	  /* entries of v */
};

/*
 * Parses argv (argv[0] is the command) by cmd's table: each option goes to fn (NULL when
 * cmd has none but --help), --help prints the generated help, misuse and a positional
 * count outside the table's bounds print their usage line. Returns -1 to go on with
 * *args, else the exit code to leave with (0 after --help).
 */
int client_parse(const struct cli_cmd *cmd, int argc, char **argv, client_opt_fn fn, void *ctx,
		 struct client_args *args);

/* Resolves the root, opens it, loads the token, connects to the daemon and
 * authenticates. When the daemon is not running, says so and how to start it. On
 * failure everything is closed again (client_close is then a no-op). */
int client_open(struct client *cl);
/* client_open, except that a daemon that closes the connection before it answered AUTH
 * (it is stopping) returns CLIENT_OPEN_LOST with the root still open and nothing printed,
 * for client_redial_open to wait for the next one. */
#define CLIENT_OPEN_LOST (-2)
int client_open_lasting(struct client *cl);
/* Closes the connection and the root. Safe on a client that never opened. */
void client_close(struct client *cl);
/* Closes cl's daemon connection and makes one quiet attempt at a new one (the root is
 * kept open): the token, the address file, connect with the peer checks, AUTH answered
 * within auth_timeout_ms. Returns 0, or -1 with err (prints nothing). */
int client_reconnect(struct client *cl, int auth_timeout_ms, struct kerr *err);

/* ---- client_redial.c: finding the daemon again after it went away ---- */

#define CLIENT_RECONNECT_DEFAULT_MS 60000 /* --reconnect-timeout's default */

/* One wait for the daemon to come back. */
struct client_redial {
	int wfd;	      /* owned; inotify on the state root, -1 when unavailable */
	uint64_t deadline_ms; /* monotonic: give up then */
	uint64_t bound_ms;    /* how long that is after the loss (for the message) */
	uint64_t next_ms;     /* monotonic: the next attempt without a sighting */
	uint64_t gap_ms;      /* the wait before the attempt after that */
};

/* Starts waiting, bound_ms at most (0: one attempt only). Never fails: without inotify
 * the attempts are only the timed ones. */
void client_redial_begin(struct client *cl, struct client_redial *r, uint64_t bound_ms);
/* An attempt, when one is due or the daemon was seen publishing its address. Returns 1
 * connected, 0 not yet, -1 when the bound has passed (err says how long it waited). */
int client_redial_step(struct client *cl, struct client_redial *r, struct kerr *err);
/* Milliseconds the caller may wait (in poll, on r->wfd) before the next step. */
int client_redial_timeout(const struct client_redial *r);
void client_redial_end(struct client_redial *r);
/* begin, step until connected or the bound, end: for a command with nothing else to do
 * meanwhile (wait). Returns 0 or -1 with err. */
int client_redial_wait(struct client *cl, uint64_t bound_ms, struct kerr *err);
/* client_open for a command that outlasts a daemon restart (wait): a daemon stopping
 * while it authenticates us is waited for, bound_ms at most, as one that goes later. */
int client_redial_open(struct client *cl, uint64_t bound_ms);
/* --reconnect-timeout's value: a duration up to 24 h; usage error otherwise. */
int client_redial_option(const struct cli_cmd *cmd, const char *val, uint64_t *ms);
/* The --reconnect-timeout row every command that survives a daemon restart has. */
#define CLIENT_OPT_RECONNECT(id)                                                                   \
	CLI_OPT(id, 0, CLI_DURATION, 0, "reconnect-timeout", "D",                                  \
		"When the daemon goes away (a restart), wait this long for it to come back "       \
		"before giving up with exit 125 (default 60s; 0: do not wait)")

/* Connects to container id's shim (containers/<id>/shim.addr) with the same checks and
 * token as the daemon, and authenticates; *shim is initialized either way (closed on
 * failure). quiet: on failure fill err and return 125 without printing. */
int client_open_shim(struct client *cl, const char *id, struct ipc_conn *shim, bool quiet,
		     struct kerr *err);

/* Starts a request frame on conn's tx buffer; returns its request id. */
uint32_t client_begin(struct client *cl, struct ipc_conn *conn, struct wire_enc *e, uint16_t type);
/* Ends the frame started by client_begin (reports an encoding failure: 125). */
int client_end(struct wire_enc *e);

/*
 * Sends what is queued on the daemon connection and waits (no bound) for the reply
 * carrying reqid; frames for other request ids are skipped. OK: returns 0 with *reply
 * (valid until the next receive on the connection). ERROR: returns its CODE (125 when
 * absent) with the message in err, and prints nothing. Transport failures: 125 and err.
 */
int client_request(struct client *cl, uint32_t reqid, struct wire_frame *reply, struct kerr *err);
/* client_request that prints "kettle: <msg>" on failure. */
int client_call(struct client *cl, uint32_t reqid, struct wire_frame *reply);
/* Exit code carried by an ERROR frame (CODE, default 125) and its MSG in err. */
int client_frame_error(const struct wire_frame *f, struct kerr *err);

/* ---- client_session.c: sessions (foreground run, start -a, attach, exec -t); the
 * detach keys and client_resolve_running are client_attach.c's ---- */

#define CLIENT_DETACH_KEYS_MAX 16 /* keys in a detach sequence */

struct client_session {
	const char *id;				/* full container id; borrowed */
	bool start;				/* START it through the daemon once attached */
	bool want_stdin;			/* relay our stdin if the container takes input */
	bool sig_proxy;				/* forward our signals (--sig-proxy) */
	bool proxy_tty;				/* ... with a terminal too (run, as docker) */
	uint64_t reconnect_ms;			/* --reconnect-timeout */
	uint8_t detach[CLIENT_DETACH_KEYS_MAX]; /* detach sequence (with a terminal) */
	size_t ndetach;				/* its length; 0: no detaching */
};

/* Attaches to the container's stream through its shim (SHIM_ATTACH, then SHIM_STATE as a
 * barrier that also tells whether it has a terminal and a stdin), optionally starts it,
 * and relays until END (its exit code), a detach (0) or a failure (printed). Survives a
 * daemon restart; fails with CLIENT_DAEMON_GONE only while it still needs the daemon (a
 * START unanswered) and the daemon stays away past reconnect_ms. */
int client_session_attach(struct client *cl, const struct client_session *o);
/* The stream of a SHIM_EXEC already queued on shim under reqid: OK{PID} then END. */
struct client_relay;
int client_session_exec(struct client *cl, struct ipc_conn *shim, const char *id, uint32_t reqid,
			bool tty, bool want_stdin, const uint8_t *detach, size_t ndetach,
			struct client_relay *relay);
/* docker's --detach-keys ("ctrl-p,ctrl-q", "a,ctrl-x"); "" disables detaching. */
int client_detach_keys_parse(const char *spec, uint8_t *out, size_t *n, struct kerr *err);
/* RESOLVE ref to a full id and require it running; otherwise prints "cannot <what>
 * container `ref`: it is not running (status …)" and returns 125. */
int client_resolve_running(struct client *cl, const char *ref, const char *what,
			   char id[IDS_ID_LEN + 1]);

/* ---- client_runflags.c: `run`/`create` flag values -> record fields ---- */

/* The int functions return 0, or print the error (a usage error names cmd)
 * and return 125. */
struct record;
struct record_strv;

/* Prints "kettle: out of memory" and returns 125. */
int client_runflags_out_of_memory(void);
/* Appends owned (taking it, or freeing it on failure; NULL is out of memory). */
int client_runflags_strv_push(struct record_strv *v, char *owned);
/* a b c joined, malloc'd; NULL when out of memory. */
char *client_runflags_concat3(const char *a, const char *b, const char *c);
/* *out (freed first) = val made absolute against our cwd, normalized lexically. */
int client_runflags_abs_flag(const struct cli_cmd *cmd, const char *flag, const char *val,
			     char **out);
/* -e: "K=V", or "K" taking K's value from our environment (dropped when unset). */
int client_runflags_add_env(const struct cli_cmd *cmd, struct record *r, const char *kv,
			    const char *flag);
/* --env-file: docker's format, one KEY=VALUE per line. */
int client_runflags_add_env_file(const struct cli_cmd *cmd, struct record *r, const char *path);
/* -u NAME|UID[:GROUP|GID] (spec): uid and gid, names looked up in r->rootfs. */
int client_runflags_resolve_user(const struct cli_cmd *cmd, struct record *r, const char *spec);
/* -v HOST:CTR[:ro|rw]. */
int client_runflags_add_volume(const struct cli_cmd *cmd, struct record *r, const char *spec);
/* --runtime: a path made absolute, or a name looked up in our PATH. */
int client_runflags_set_runtime(const struct cli_cmd *cmd, struct record *r, const char *val);
/* --restart-delay and friends: a duration, 1 ms to 24 h. */
int client_runflags_restart_duration(const struct cli_cmd *cmd, const char *flag, const char *val,
				     uint64_t *out);
/* --health-interval and friends: a duration up to 24 h (0 keeps the default). */
int client_runflags_health_duration(const struct cli_cmd *cmd, const char *flag, const char *val,
				    uint64_t *out);
/* --cap-add, --cap-drop: the canonical capability name appended to v. */
int client_runflags_add_cap(const struct cli_cmd *cmd, struct record_strv *v, const char *flag,
			    const char *val);
/* --network none|host|ns:PATH. */
int client_runflags_set_network(const struct cli_cmd *cmd, struct record *r, const char *val);

/* Prints "kettle: <msg>" on stderr and returns code. */
int client_fail(int code, const struct kerr *err);

/* ---- client_relay.c: exec's stdio through pipes of ours (never a host descriptor) ---- */

struct pollfd;

struct client_relay {
	int far[3];	    /* the process's ends to send (owned until client_relay_sent), -1 */
	int in_w;	    /* our end of its stdin pipe, non-blocking; -1 when none or done */
	bool in_full;	    /* that pipe refused more: poll it for POLLOUT, not our stdin */
	char *in_buf;	    /* owned; stdin bytes read but not yet written (no splice) */
	size_t in_off;	    /* first unwritten byte of in_buf */
	size_t in_len;	    /* bytes in in_buf */
	bool splice_in;	    /* splice from our stdin still worth trying */
	int out_r[3];	    /* [1], [2]: our ends of its stdout/stderr pipes, or -1 */
	bool out_wait[3];   /* our fd i refused a write (O_NONBLOCK): poll it for POLLOUT */
	bool splice_out[3]; /* splice to our fd i still worth trying */
};

#define CLIENT_RELAY_POLLS 3 /* pollfds client_relay_poll adds at most */

void client_relay_init(struct client_relay *r);
/* For our stdin (with want_stdin), stdout and stderr: a regular file is handed over as it
 * is, anything else gets a pipe of ours; far[] is then what to send. */
int client_relay_setup(struct client_relay *r, bool want_stdin, struct kerr *err);
/* The far ends went to the shim: ours are closed, so only the process holds them. */
void client_relay_sent(struct client_relay *r);
bool client_relay_active(const struct client_relay *r);
/* Appends the pollfds the relay waits on to p; returns how many (<= CLIENT_RELAY_POLLS). */
int client_relay_poll(const struct client_relay *r, struct pollfd *p);
/* Moves what poll found ready (p: the n entries client_relay_poll added). */
void client_relay_ready(struct client_relay *r, const struct pollfd *p, int n);
/* The process ended: what it wrote is taken (at most a pipe's capacity more), then every
 * pipe of ours is closed, so nothing it left behind reaches our stdio again. */
void client_relay_finish(struct client_relay *r);
void client_relay_done(struct client_relay *r);

/* ---- client_secopt.c: `run`/`create --security-opt` -> record fields ---- */

/* seccomp=unconfined|builtin|PATH, no-new-privileges[=true|false]; misuse printed (125). */
int client_secopt_parse(const struct cli_cmd *cmd, struct record *r, const char *val);

/* ---- client_system.c: docker's info and version documents ---- */

/* docker's /info document from the daemon's INFO reply d and this host. */
int client_system_info_json(const struct json_doc *d, const char *runtime_version, struct buf *out,
			    struct kerr *err);
/* docker's /version document; Server null when daemon_version is NULL (no daemon). */
int client_system_version_json(const char *daemon_version, struct buf *out, struct kerr *err);

/* ---- client_size.c: `ps -s` ---- */

/* The bytes under path (apparent sizes, hard links once, one filesystem, no symlinks
 * followed). */
int client_size_tree(const char *path, uint64_t *bytes, struct kerr *err);
/* docker's go-units HumanSizeWithPrecision(v, 3): "0B", "4.1kB", "1.23MB". */
void client_size_human(uint64_t v, char *out, size_t cap);

/* ---- client_format.c: docker's --format (ps, inspect, stats, info, version, events) ---- */

#define CLIENT_FORMAT_LABEL_MAX 256 /* bytes of a header's `.Label "k"` column name */

enum client_format_kind {
	CLIENT_FORMAT_DEFAULT = 0, /* no --format, or "table" alone: the command's own output */
	CLIENT_FORMAT_JSON,	   /* "json": each document as one line of JSON */
	CLIENT_FORMAT_TEMPLATE,	   /* a Go template (table: with a header, laid out) */
};

struct client_format {
	enum client_format_kind kind; /* see above */
	bool table;		      /* "table …": rows laid out under a header */
	struct tmpl *t;		      /* owned; with CLIENT_FORMAT_TEMPLATE */
	struct json_tok *toks;	      /* owned; JSON_TOKENS_MAX, for each document */
	struct buf rows;	      /* a table's rows until client_format_table */
};

/* A document whose objects are all structs (docker's contexts): a missing field fails. */
extern const struct tmpl_schema client_format_struct;
/* Reads --format's value: docker_pre for ps, stats, info, version and events (docker's
 * formatter: "table", trimmed, \t and \n), false for inspect (the value as it is). A
 * template that does not parse prints "template parsing error: …"; returns 125 then. */
int client_format_init(struct client_format *f, const char *value, bool docker_pre);
void client_format_done(struct client_format *f);
/* Runs the template over one JSON document and a newline after it, into out (or held for
 * the table). On failure err reads "template parsing error: template: …" (docker's). */
int client_format_exec(struct client_format *f, const char *json, size_t len,
		       const struct tmpl_schema *schema, tmpl_method_fn method, void *ctx,
		       struct buf *out, struct kerr *err);
/* A table: the header (the template over header_json with docker's header functions;
 * `.Label` through method) and the rows held so far, laid out by Go's tabwriter, into
 * out. Not a table: the rows as they are. */
int client_format_table(struct client_format *f, const char *header_json, tmpl_method_fn method,
			void *ctx, struct buf *out, struct kerr *err);
/* "json": the document compact, as Go's encoding/json writes it, and a newline. */
int client_format_json(const char *json, size_t len, struct buf *out, struct kerr *err);
/* The header's Label method (ctx: CLIENT_FORMAT_LABEL_MAX bytes for the result). */
int client_format_header_label(void *ctx, const char *name, size_t nargs, const char *const *args,
			       const char **result, struct kerr *err);

#endif
