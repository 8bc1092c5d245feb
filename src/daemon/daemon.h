/*
 * daemon: the `kettle daemon` role (layer 3). One per state root. daemon*.c files share
 * the declarations below, one section per file; no other role includes this header.
 * Files: daemon.c (flags, startup, signals, detach, shutdown); daemon_registry.c (the
 * index); daemon_shim.c, daemon_spawn.c, daemon_death.c, daemon_adopt.c (shims: talking,
 * starting, dying, re-adopting); daemon_api.c (the request table) and its handlers in
 * daemon_create.c, daemon_lifecycle.c (with every completion), daemon_query.c,
 * daemon_events.c and daemon_ops.c.
 * Invariants: the daemon never blocks on a shim or a client; a reply to a client always
 * goes through rpc_conn_find(client id), so a client that left is simply skipped.
 */
#ifndef KETTLE_DAEMON_H
#define KETTLE_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "base/kerr.h"
#include "ipc/loop.h"
#include "store/record.h"
#include "store/restart.h"
#include "ipc/rpc.h"
#include "store/status.h"
#include "ipc/wire.h"

int daemon_main(int argc, char **argv);

#define DAEMON_WAITERS_MAX	1024  /* pending requests one container holds */
#define DAEMON_READY_TIMEOUT_MS 45000 /* a shim that has not reported readiness is killed */
#define DAEMON_READY_MAX	65536 /* bytes of the shim's ready frame */
#define DAEMON_STOP_TIMEOUT_MS	10000 /* STOP's default grace period */
#define DAEMON_NOT_FOUND_CODE	1     /* docker exits 1 for "no such container" */
#define DAEMON_FAIL_CODE	125   /* kettle's own failure */

/* What a pending request is waiting for and what to answer when it completes. */
enum daemon_pend_kind {
	DAEMON_PEND_CREATE,   /* CREATE: the shim's ready frame */
	DAEMON_PEND_START,    /* START: the spawn's ready frame, then SHIM_START */
	DAEMON_PEND_STOP,     /* STOP: SHIM_STOP */
	DAEMON_PEND_KILL,     /* KILL: SHIM_KILL */
	DAEMON_PEND_REMOVE,   /* REMOVE: SHIM_DELETE, then the shim's exit, then removal */
	DAEMON_PEND_WAIT,     /* WAIT: the container's exit (or its removal with --rm) */
	DAEMON_PEND_STATE,    /* internal SHIM_STATE: refresh the status */
	DAEMON_PEND_INTERNAL, /* internal request whose reply only gets logged */
	DAEMON_PEND_PAUSE,    /* PAUSE/UNPAUSE: SHIM_PAUSE/SHIM_RESUME (daemon_ops.c) */
	DAEMON_PEND_UPDATE,   /* UPDATE: SHIM_UPDATE, whose echo is recorded (daemon_ops.c) */
};

struct daemon_pend {
	struct daemon_pend *next;   /* the container's list; owned by it */
	enum daemon_pend_kind kind; /* see above */
	uint32_t shim_reqid;	    /* id sent to the shim; 0 while waiting for something else */
	uint64_t client;	    /* rpc conn id of the requester; 0 for internal requests */
	uint32_t client_reqid;	    /* request id to answer with */
};

/* One container the daemon knows: its record, last known status and its shim. */
struct daemon_ctr {
	struct record rec;	  /* record.json; owned, record_done on free */
	struct status st;	  /* last known status (shim events, state/exit files) */
	pid_t shim_pid;		  /* the live shim, 0 when none */
	int pidfd;		  /* pidfd of shim_pid, watched in the loop; -1 when none */
	bool shim_dead;		  /* pidfd became readable: the shim has exited */
	bool shim_exiting;	  /* the shim reported a failed create and is exiting */
	uint64_t shim_conn;	  /* rpc conn id to the shim, 0 when not connected */
	uint32_t events_reqid;	  /* request id of our EVENTS subscription on shim_conn */
	int ready_fd;		  /* read end of a spawning shim's fd 3, -1 when none */
	struct buf ready;	  /* bytes read from ready_fd so far */
	uint64_t ready_timer;	  /* readiness deadline timer, 0 when none */
	uint64_t gone_timer;	  /* shim dead but its connection still open: force close */
	uint64_t restart_timer;	  /* lost shim: the policy's delay before a new one, or 0 */
	bool spawn_restart;	  /* the next spawn is a policy restart (shim --restart) */
	bool spawn_run;		  /* the next spawn runs it at once (CREATE RUN: shim --run) */
	bool removing;		  /* REMOVE accepted: the dir goes once the shim is gone */
	bool auto_removing;	  /* --rm container exited: hidden (daemon_ctr_hidden), its
				     dir goes once the shim is gone */
	bool broken;		  /* record.json unreadable: listed as Dead; rm and inspect only */
	size_t npend;		  /* entries of pend */
	struct daemon_pend *pend; /* requests waiting on this container; owned */
	struct daemon *d;	  /* the daemon; borrowed */
};

struct daemon {
	struct loop *loop;			 /* owned */
	struct rpc_server *server;		 /* owned; NULL before listening and after stop */
	int rootfd;				 /* the state root; owned */
	int lockfd;				 /* daemon.lock, held; owned */
	char root[PATH_MAX];			 /* absolute state root */
	char runc_root[PATH_MAX];		 /* <root>/runc */
	char runtime[PATH_MAX];			 /* default runtime as given (a name or a path) */
	char runtime_path[PATH_MAX];		 /* it resolved through PATH once, at startup; ""
						    when it was not found then */
	const char *log_level;			 /* level name passed on to shims */
	char token[IPC_TOKEN_HEX + 1];		 /* auth.token */
	struct daemon_ctr **ctrs;		 /* registry; owned, order of arrival */
	size_t nctrs;				 /* entries of ctrs */
	size_t cap;				 /* allocated entries of ctrs */
	uint32_t next_reqid;			 /* last request id used towards shims */
	bool stopping;				 /* SIGTERM/SIGINT seen */
	struct restart_backoff restart_defaults; /* --restart-delay/-max-delay/-reset, ms */
	uint64_t log_max_size;			 /* --log-max-size: bytes per log file, default */
	uint32_t log_max_files;			 /* --log-max-files: files kept, default */
	uint64_t runtime_timeout_ms;		 /* --runtime-timeout, passed to every shim */
	struct daemon_events *events;		 /* owned; history and subscribers */
};

/* ---- daemon_registry.c ---- */

/* Forgets every container (closing shim connections, leaving shims running). */
void daemon_registry_free(struct daemon *d);
/* Frees c, which is not (or no longer) in the registry: closes everything it holds;
 * pending requests get `why`, waiters the last exit code. */
void daemon_registry_ctr_free(struct daemon *d, struct daemon_ctr *c, const char *why);
/* A status under which the container may still run: running, paused, restarting or
 * removing. */
bool daemon_registry_kind_may_run(enum status_kind k);
/* A --rm container that has exited: its exit code is known and told, so to every client it
 * is already gone (LIST, INFO, names and references skip it) while its shim deletes it and
 * the directory is removed in the background. daemon_find_id still finds it: its id
 * names a directory that exists until then. */
bool daemon_ctr_hidden(const struct daemon_ctr *c);
/* The runtime binary for rec: its own (an absolute path), else the daemon's default as
 * resolved at startup (no PATH walk per request), else the default's name. */
const char *daemon_runtime_of(const struct daemon *d, const struct record *rec);
/* Name, then full id, then unique id prefix (hidden containers are skipped). On failure
 * *code is the client exit code. */
struct daemon_ctr *daemon_resolve(struct daemon *d, const char *ref, uint32_t *code,
				  struct kerr *err);
struct daemon_ctr *daemon_find_name(struct daemon *d, const char *name);
struct daemon_ctr *daemon_find_id(struct daemon *d, const char *id);
/* A new entry (not yet in the registry) owning *rec's contents (rec is reset). */
struct daemon_ctr *daemon_ctr_new(struct daemon *d, struct record *rec);
int daemon_ctr_add(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
/* Drops c from the registry and frees it; pending requests get `why` (code 125). */
void daemon_ctr_forget(struct daemon *d, struct daemon_ctr *c, const char *why);
/* Forgets c and removes its directory. */
int daemon_ctr_remove(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
bool daemon_ctr_spawning(const struct daemon_ctr *c);
/* A shim that serves requests: not dead, not exiting after a failed create. */
bool daemon_ctr_shim_alive(const struct daemon_ctr *c);
/* Running, paused or restarting under a live shim. */
bool daemon_ctr_running(const struct daemon_ctr *c);

struct daemon_pend *daemon_pend_add(struct daemon_ctr *c, enum daemon_pend_kind kind,
				    uint32_t shim_reqid, uint64_t client, uint32_t client_reqid,
				    struct kerr *err);
/* Unlinks p from c and frees it. */
void daemon_pend_drop(struct daemon_ctr *c, struct daemon_pend *p);

/* Reads state.json / exit.json into c->st (the newest word of the shim wins). */
void daemon_ctr_refresh(struct daemon *d, struct daemon_ctr *c);

/* Replies to a client by conn id; a client that has gone is skipped. */
void daemon_reply_ok(uint64_t client, uint32_t reqid);
void daemon_reply_error(uint64_t client, uint32_t reqid, uint32_t code, const char *msg);
void daemon_reply_exit(uint64_t client, uint32_t reqid, int exit_code);

/* ---- daemon_shim.c ---- */

struct daemon_shim_req {
	uint16_t type;	     /* WIRE_T_SHIM_* */
	uint32_t signal;     /* SHIM_KILL, SHIM_STOP; 0: not sent */
	bool all;	     /* SHIM_KILL */
	bool force;	     /* SHIM_DELETE */
	uint64_t timeout_ms; /* SHIM_STOP; 0: not sent */
	const char *json;    /* SHIM_UPDATE: the document, borrowed; NULL: not sent */
};
/* Connects to c's shim (c->shim_pid), subscribes to its events and asks its state. */
int daemon_shim_connect(struct daemon *d, struct daemon_ctr *c, struct kerr *err);
/* Sends req to c's shim (dialing again when the connection was lost) and returns its
 * request id in *reqid. */
int daemon_shim_send(struct daemon *d, struct daemon_ctr *c, const struct daemon_shim_req *req,
		     uint32_t *reqid, struct kerr *err);

/* ---- daemon_spawn.c ---- */

/* Spawns a shim for c (it creates the container); the ready frame arrives later. */
int daemon_spawn_shim(struct daemon *d, struct daemon_ctr *c, struct kerr *err);

/* ---- daemon_death.c ---- */

/* Watches pid (c's shim) through a pidfd in the loop. */
int daemon_death_watch_pidfd(struct daemon *d, struct daemon_ctr *c, pid_t pid, struct kerr *err);
/* Called when the shim might just have become fully gone: pidfd readable, connection and
 * ready pipe closed. Settles the container, then tells daemon_lifecycle_shim_gone. */
void daemon_death_check_gone(struct daemon *d, struct daemon_ctr *c);
/* The shim is gone and its container may still run: `runc delete --force`, exit 137
 * recorded (exit.json first) and a "die" event; then the restart policy decides as the
 * shim would have, or docker's boot rule when runc has no state left either (a reboot). */
void daemon_death_lost(struct daemon *d, struct daemon_ctr *c);
/* No shim and no runtime state (a host reboot): docker's boot rule for `always` and
 * `unless-stopped`. */
void daemon_death_policy_at_boot(struct daemon *d, struct daemon_ctr *c);
/* `runc delete --force ID`, reaped by the SIGCHLD handler; its log goes to the container's
 * runc log, or to /dev/null when !log_in_dir. */
void daemon_death_runtime_delete(struct daemon *d, struct daemon_ctr *c, bool log_in_dir);
/* Whether runc still has state for c (<root>/runc/<id>). */
bool daemon_death_runtime_state_exists(struct daemon *d, const struct daemon_ctr *c);

/* ---- daemon_adopt.c ---- */

/* Rebuilds the registry from disk, re-adopting live shims. */
int daemon_adopt_load(struct daemon *d, struct kerr *err);

/* ---- daemon_events.c ---- */

#define DAEMON_EVENTS_HISTORY 1024 /* events kept for --since */
#define DAEMON_EVENTS_SUBS    256  /* `kettle events` streams at once */

int daemon_events_init(struct daemon *d, struct kerr *err);
/* Records one event of c (ns: when; 0 = now) and sends it to matching subscribers.
 * attrs: extra JSON members without braces (`"exit_code":3,"reason":"exited"`), or NULL. */
void daemon_events_publish(struct daemon *d, const struct daemon_ctr *c, const char *type,
			   int64_t ns, const char *attrs);
/* An EVENTS request: history since SINCE, then live events until UNTIL. */
void daemon_events_subscribe(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
/* END to every subscriber; frees everything. */
void daemon_events_free(struct daemon *d);

/* ---- daemon_api.c ---- */

/* An authenticated client frame: checked against request.c's table, then routed. */
void daemon_api_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
/* Logs (debug) and sends an ERROR frame with err's message. */
void daemon_api_reply_error(struct rpc_conn *conn, uint32_t reqid, uint32_t code,
			    const struct kerr *err);
/* A 0-or-1 field (FORCE, ALL, PREPARE): anything else is refused, never taken as true. */
int daemon_api_get_flag(const struct wire_frame *f, uint16_t tag, uint32_t *out, struct kerr *err);
/* Reads REF and resolves it; replies the error itself and returns NULL on failure. */
struct daemon_ctr *daemon_api_resolve_ref(struct daemon *d, struct rpc_conn *conn,
					  const struct wire_frame *f);

/* ---- daemon_create.c ---- */

/* CREATE: validate, write the container dir, spawn its shim. */
void daemon_create_request(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
/* Writes bundle/config.json (for --rootfs, with the --init copy) and record.json. */
int daemon_create_write_container(struct daemon *d, const struct record *rec, struct kerr *err);

/* ---- daemon_lifecycle.c ---- */

/* START, STOP, KILL, REMOVE, WAIT. */
void daemon_lifecycle_start(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_stop(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_kill(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_remove(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_lifecycle_wait(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
/* The spawning shim reported: ok, or code and msg. */
void daemon_lifecycle_spawned(struct daemon *d, struct daemon_ctr *c, bool ok, uint32_t code,
			      const char *msg);
/* The shim answered request p (OK or ERROR frame f). p is dropped or re-queued with
 * shim_reqid 0. Returns false when c was forgotten. */
bool daemon_lifecycle_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
				 const struct wire_frame *f);
/* The container has exited (c->st refreshed). */
void daemon_lifecycle_exited(struct daemon *d, struct daemon_ctr *c);
/* The shim is gone (c->st final). May forget c. */
void daemon_lifecycle_shim_gone(struct daemon *d, struct daemon_ctr *c);

/* ---- daemon_query.c ---- */

/* LIST, INSPECT, RESOLVE. */
void daemon_query_list(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_query_inspect(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
void daemon_query_resolve(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);

/* ---- daemon_ops.c ---- */

/* PAUSE, UNPAUSE, UPDATE, RENAME, INFO. */
void daemon_ops_frame(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f);
/* The shim answered a DAEMON_PEND_PAUSE or DAEMON_PEND_UPDATE request (like
 * daemon_lifecycle_shim_reply, whose contract it keeps). */
bool daemon_ops_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
			   const struct wire_frame *f);

#endif
