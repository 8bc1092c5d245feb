/*
 * shim: the `kettle shim` role (layer 3). One per container: runs the runtime, is the
 * container's subreaper, holds its stdio, writes its log and exit status, and keeps it
 * supervised while the daemon is away. shim*.c files share the declarations below; no
 * other role includes this header.
 *
 * The files split one process: shim.c parses arguments, starts up, serves the RPC and
 * decides when to exit; shim_supervise.c is the lifecycle (a const state x event table),
 * with shim_call.c (the runtime calls it drives), shim_stop.c (stop and kill) and
 * shim_restart.c (the restart policy's backoff); shim_io.c carries the container's stdio
 * to the CRI log and to attached readers; the sections below name the rest. Invariant
 * shared by all: nothing blocks, and a request is answered exactly once (now, or later
 * from a waiter entry).
 */
#ifndef KETTLE_SHIM_H
#define KETTLE_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "store/ids.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "base/kerr.h"
#include "ipc/loop.h"
#include "store/record.h"
#include "store/restart.h"
#include "ipc/rpc.h"
#include "runtime/runtime.h"
#include "store/status.h"

int shim_main(int argc, char **argv);

#define SHIM_CALLS_MAX	      16	     /* runtime processes in flight at once */
#define SHIM_WAITERS_MAX      256	     /* deferred replies and subscriptions, all kinds */
#define SHIM_READ_BUF	      (128u * 1024u) /* the one buffer container output is read into */
#define SHIM_PIPE_SIZE	      (1u << 20)     /* kernel buffer of each output pipe (F_SETPIPE_SZ) */
#define SHIM_DRAIN_MS	      1000	     /* wait for the pipes' EOF after the exit, at most */
#define SHIM_FLUSH_MS	      1000	     /* flush replies before exiting, at most */
#define SHIM_STOP_TIMEOUT_MS  10000	     /* SHIM_STOP grace period when none is given */
#define SHIM_PS_OUT_MAX	      (512u * 1024u) /* `runc ps` output kept (bytes) */
#define SHIM_DROPS_SAVE_MS    1000	     /* state.json for new log drops, at most this often */
#define SHIM_INPUT_MAX	      (1u << 20)     /* input a process has not read yet (bytes) */
#define SHIM_INPUT_RETRY_MS   20	     /* retry of input the process did not take */
#define SHIM_INPUT_ACKS	      64	     /* STDIN frames waiting to be written */
#define SHIM_TTY_DIM_MAX      4096	     /* terminal rows or columns accepted */
#define SHIM_EXECS_MAX	      64	     /* exec processes at once */
#define SHIM_HOLD_MS	      10000	     /* --run: output and exit held for START, at most */
#define SHIM_TRIM_MS	      2000	     /* idle this long: unused memory is given back */
#define SHIM_EARLY_MAX	      8		     /* --run: unknown exits kept for the init's pid */
#define SHIM_EARLY_EVENTS_MAX 4096	     /* bytes of events held for the first subscriber */
#define SHIM_ERR_CODE	      125	     /* refusals and kettle's own failures (docker's 125) */

/*
 * Lifecycle states (shim_supervise.c). BACKOFF (exited and deleted, restart timer armed)
 * sits between EXITED and CREATING: a policy restart goes EXITED -> BACKOFF -> CREATING.
 */
enum shim_state {
	SHIM_S_CREATING, /* `runc create` in flight */
	SHIM_S_CREATED,	 /* created, init waits on runc's exec fifo */
	SHIM_S_STARTING, /* `runc start` in flight */
	SHIM_S_RUNNING,	 /* started, init alive */
	SHIM_S_STOPPING, /* stop signal sent, grace timer armed */
	SHIM_S_EXITED,	 /* init reaped: draining output, then `runc delete` of the corpse */
	SHIM_S_BACKOFF,	 /* exited and deleted; the restart policy's timer is armed */
	SHIM_S_DELETING, /* `runc delete` asked for by a person (DELETE/SHUTDOWN) in flight */
	SHIM_S_GONE,	 /* nothing left to supervise: flushing replies, then exit */
	SHIM_S_COUNT,
};

enum shim_event {
	SHIM_E_CREATE_DONE,   /* `runc create` succeeded and the pid file was read */
	SHIM_E_CREATE_FAILED, /* `runc create` failed (ev.code, ev.msg) */
	SHIM_E_START_REQ,     /* SHIM_START */
	SHIM_E_START_DONE,    /* `runc start` succeeded */
	SHIM_E_START_FAILED,  /* `runc start` failed (ev.code, ev.msg) */
	SHIM_E_KILL_REQ,      /* SHIM_KILL (ev.signal, ev.all) */
	SHIM_E_STOP_REQ,      /* SHIM_STOP (ev.signal, ev.timeout_ms) */
	SHIM_E_STOP_TIMEOUT,  /* the stop grace period ran out */
	SHIM_E_EXIT,	      /* the container's init was reaped (ev.status) */
	SHIM_E_DRAINED,	      /* both output pipes reached EOF, or the drain bound passed */
	SHIM_E_DELETE_REQ,    /* SHIM_DELETE (ev.force) or SHIM_SHUTDOWN (force) */
	SHIM_E_DELETE_DONE,   /* `runc delete` finished (ev.code 0, or failed with ev.msg) */
	SHIM_E_RESTART_TIMER, /* the backoff delay is over: create and start again */
	SHIM_E_UNHEALTHY,     /* the health check turned unhealthy: --health-on-failure acts */
	SHIM_E_COUNT,
};

/* One event with its arguments; request events carry who to answer. */
struct shim_ev {
	enum shim_event type; /* what happened */
	uint64_t conn;	      /* requester's rpc connection id; 0 for internal events */
	uint32_t reqid;	      /* requester's request id */
	int signal;	      /* KILL_REQ, STOP_REQ */
	bool all;	      /* KILL_REQ: every process of the container */
	bool force;	      /* DELETE_REQ */
	uint64_t timeout_ms;  /* STOP_REQ grace period, ms */
	int status;	      /* EXIT: wait status of init */
	int code;	      /* *_FAILED: exit code a client should use (125/126/127) */
	const char *msg;      /* *_FAILED, DELETE_DONE: runtime's message, borrowed */
};

/* Deferred replies and subscriptions, all in one table (shim.c). */
enum shim_wait_kind {
	SHIM_W_WAIT,   /* SHIM_WAIT: OK{EXIT_CODE} when the exit is told */
	SHIM_W_START,  /* SHIM_START: OK once `runc start` returned */
	SHIM_W_STOP,   /* SHIM_STOP: OK once exited */
	SHIM_W_DELETE, /* SHIM_DELETE/SHUTDOWN: OK once `runc delete` finished */
	SHIM_W_ATTACH, /* SHIM_ATTACH: DATA* then END{EXIT_CODE} */
	SHIM_W_EVENTS, /* EVENTS: EVENT{JSON}* then END when the shim exits */
};

struct shim_waiter {
	enum shim_wait_kind kind; /* which reply this entry owes */
	uint64_t conn;		  /* rpc connection id (rpc_conn_find) */
	uint32_t reqid;		  /* request id of every frame sent for this entry */
	uint32_t streams;	  /* ATTACH: WIRE_F_STREAMS bits */
};

/* A runtime process in flight (shim_call.c). */
struct shim;
struct shim_call;
typedef void (*shim_call_fn)(struct shim *sh, struct shim_call *call, int status);

struct shim_call {
	pid_t pid;	    /* runtime process; 0 when the slot is free */
	enum runtime_op op; /* what it runs */
	off_t log_off;	    /* runc.log size before the call: its errors come after */
	uint64_t timer;	    /* runtime_timeout_ms timer id; 0 once fired */
	bool timed_out;	    /* the timer killed it */
	shim_call_fn done;  /* completion, called once when reaped */
	uint64_t conn;	    /* requester to answer (KILL, PIDS), or 0 */
	uint32_t reqid;	    /* requester's request id */
	int out_fd;	    /* read end of its stdout (PS), or -1 */
	struct buf out;	    /* its stdout so far, capped at SHIM_PS_OUT_MAX */
};

/* One of the container's output pipes (shim_io.c). */
struct shim_stream {
	int rfd;      /* read end, non-blocking; -1 once closed */
	int wfd;      /* write end until handed to `runc create`, then -1 */
	bool eof;     /* no more bytes will come */
	unsigned idx; /* 0 stdout, 1 stderr: logfile stream and WIRE_F_STREAM - 1 */
};

/* A console socket for one runtime call with a terminal (shim_tty.c). */
struct shim_console {
	int lfd;		    /* owned; listening abstract socket, -1 when none */
	char name[IPC_NAME_MAX];    /* abstract name without the leading NUL */
	char arg[IPC_NAME_MAX + 1]; /* "@" + name: runc's --console-socket value */
};

/* Bytes from attached clients on their way to a pty master or a stdin pipe (shim_tty.c).
 * Written without blocking; what the process has not read yet waits here (at most
 * SHIM_INPUT_MAX) and is retried on a SHIM_INPUT_RETRY_MS timer. */
/* One STDIN frame whose bytes are not all written yet: acknowledged (STDIN_ACK) once
 * they are, which is the flow control that keeps a fast writer from overrunning us. */
struct shim_input_ack {
	uint64_t conn;	/* the writer's connection id */
	uint32_t reqid; /* its stream's request id */
	size_t len;	/* bytes the frame carried */
	size_t left;	/* of them not yet written */
};

struct shim_input {
	int fd;		       /* pty master (borrowed) or pipe write end (owned); -1 closed */
	bool owned;	       /* fd is a pipe: closed at EOF and by shim_input_done */
	bool close_when_empty; /* EOF asked for: close the pipe once pending is written */
	struct buf pending;    /* not yet written, capped at SHIM_INPUT_MAX */
	uint64_t timer;	       /* retry timer id, or 0 */
	struct shim *sh;       /* borrowed; its loop arms the timer */
	struct shim_input_ack acks[SHIM_INPUT_ACKS]; /* frames in pending, oldest first */
	size_t nacks;				     /* used entries of acks */
};

struct shim_io {
	struct shim_stream out[2]; /* stdout, stderr */
	uint8_t *rbuf;		   /* owned; SHIM_READ_BUF bytes, allocated once; scratch that
				      holds nothing between loop turns (shim_trim.c drops it) */
	struct logfile *log;	   /* owned; ctr.log */
	bool watching;		   /* read ends are registered in the loop */
	uint64_t drops_saved_ms;   /* monotonic ms of the last state.json for log drops */
	uint64_t drops_saved;	   /* the drop count state.json holds (written successfully) */
	uint64_t drops_timer;	   /* timer saving a count not yet on disk, or 0 */

	/* input and terminal (-i, -t) */
	struct shim_console console; /* rec.tty: `runc create`'s console socket */
	int stdin_rfd;		     /* rec.stdin_open: read end until handed to runc, else -1 */
	struct shim_input in;	     /* the container's input: pty master or stdin pipe */
	uint32_t rows;		     /* terminal size last asked for (0: never) */
	uint32_t cols;		     /* with rows */
};

struct shim_execs;
struct shim_health;

/* The container's memory cgroup, for OOM kills (shim_oom.c). */
struct shim_oom {
	char dir[PATH_MAX]; /* its memory cgroup directory, "" when unknown */
	bool v2;	    /* dir is a v2 cgroup (memory.events, else memory.oom_control) */
	uint64_t base;	    /* the kernel's oom_kill count when this run was created */
};

struct shim {
	char id[IDS_ID_LEN + 1];       /* container id */
	char root[PATH_MAX];	       /* state root path */
	char bundle[PATH_MAX];	       /* OCI bundle directory */
	char pid_file[PATH_MAX];       /* <dir>/ctr.pid */
	int rootfd;		       /* owned; the state root */
	int dirfd;		       /* owned; the container directory */
	int lockfd;		       /* owned; flock on shim.lock for our whole life */
	int readyfd;		       /* owned; fd 3 until the one ready frame is sent */
	char token[IPC_TOKEN_HEX + 1]; /* auth.token of the root */
	struct record rec;	       /* owned; record.json */
	struct runtime rt;	       /* runc path, root and JSON log */
	uint64_t runtime_timeout_ms;   /* --runtime-timeout: a runtime call is killed after */
	struct loop *loop;	       /* owned */
	struct rpc_server *server;     /* owned; NULL once stopped and freed */

	enum shim_state state;	  /* lifecycle state */
	struct status st;	  /* what state.json / exit.json / SHIM_STATE say */
	pid_t init_pid;		  /* container init (from the pid file); 0 unknown */
	bool init_reaped;	  /* init's exit seen (possibly before START_DONE) */
	int init_status;	  /* its wait status, with init_reaped */
	int start_error_code;	  /* nonzero: `runc start` failed with this code */
	bool exit_told;		  /* waiters, attachers, subscribers know the exit */
	bool stop_pending;	  /* a STOP arrived while starting */
	int stop_signal;	  /* with stop_pending */
	uint64_t stop_timeout_ms; /* with stop_pending */
	uint64_t stop_timer;	  /* grace timer id, or 0 */
	uint64_t drain_timer;	  /* SHIM_DRAIN_MS timer id, or 0 */
	uint64_t flush_timer;	  /* SHIM_FLUSH_MS timer id, or 0 */
	bool exiting;		  /* GONE: stop the loop once flushed */
	bool restarting;	  /* this create is a policy restart: start it once created */
	uint64_t restart_timer;	  /* BACKOFF timer id, or 0 */
	uint64_t run_start_ms;	  /* monotonic ms of the last start (the run's length) */
	uint64_t run_ms;	  /* length of the run that ended last, ms (0: never started) */
	struct restart_backoff backoff; /* the record's knobs, defaults filled in (ms) */

	/* `kettle run` (--run, shim_supervise.c) and the idle trim (shim_trim.c) */
	bool run_first;			  /* the first create is `runc run --detach` */
	bool held;			  /* running but "created" until START: output unread,
					     exit untold */
	uint64_t hold_timer;		  /* SHIM_HOLD_MS while held (client lost), or 0 */
	pid_t early_pid[SHIM_EARLY_MAX];  /* reaped before the pid file was read (the init
					     may be among them); 0: free */
	int early_status[SHIM_EARLY_MAX]; /* their wait statuses */
	uint64_t turns;			  /* loop turns so far */
	uint64_t trim_timer;		  /* SHIM_TRIM_MS idle timer, or 0 */
	uint64_t trim_armed_turn;	  /* turns when it was armed: unchanged means idle */
	uint64_t trim_done_turn;	  /* turns at the last trim */
	bool trim_due;			  /* idle long enough: trim at the end of this turn */

	struct shim_call calls[SHIM_CALLS_MAX];	      /* runtime processes in flight */
	struct shim_waiter waiters[SHIM_WAITERS_MAX]; /* deferred replies, subscriptions */
	size_t nwaiters;			      /* used entries of waiters[] */
	uint64_t *conns;			      /* owned; ids of connections seen */
	size_t nconns;				      /* entries of conns */
	size_t conns_cap;			      /* allocated entries of conns */
	struct shim_io io;			      /* the container's stdio */
	struct shim_execs *execs;   /* owned; `kettle exec` processes (shim_exec.c), or NULL */
	struct shim_health *health; /* owned; health checks (shim_health.c), or NULL */
	bool health_exit;	    /* --health-on-failure ended this run (reason "unhealthy") */
	bool health_restart;	    /* ...with restart: start it again whatever the policy */
	struct shim_oom oom;	    /* where OOM kills are counted */
	/* Events emitted before the daemon's first EVENTS subscription (a restart's start
	 * can finish before the daemon has connected): handed to that first subscriber. */
	bool subscribed;    /* an EVENTS subscription has arrived: nothing is held any more */
	char *early_events; /* owned, or NULL; NUL-separated event documents */
	size_t early_len;   /* bytes used in early_events */
};

/* ---- shim.c: replies, waiters, events ---- */

/* Answers a request (the connection may have gone: then nothing happens). */
void shim_reply_ok(struct shim *sh, uint64_t conn, uint32_t reqid);
void shim_reply_error(struct shim *sh, uint64_t conn, uint32_t reqid, uint32_t code,
		      const char *msg);
/* Defers a reply; when the table is full the request is answered with an error. */
bool shim_wait_add(struct shim *sh, enum shim_wait_kind kind, uint64_t conn, uint32_t reqid,
		   uint32_t streams);
/* Answers and removes every waiter of kind: code 0 -> OK, else ERROR{code, msg}. */
void shim_wait_finish(struct shim *sh, enum shim_wait_kind kind, uint32_t code, const char *msg);
/* The exit is known and written: answers WAIT/STOP, ends ATTACH, emits the exit event. */
void shim_tell_exit(struct shim *sh);
/* Pushes EVENT{JSON} to every EVENTS subscriber. */
void shim_emit_event(struct shim *sh, const char *json);

/* One numeric attribute of an event. */
struct shim_ev_attr {
	const char *key; /* JSON key; NULL ends the list */
	long long value; /* its value */
};

/* Builds {"type","time",attrs…,"reason"} (attrs and reason may be NULL) and pushes it to
 * the EVENTS subscribers (the daemon); the one place shim events are written. */
void shim_supervise_emit(struct shim *sh, const char *type, const struct shim_ev_attr *attrs,
			 const char *reason);
/* The ready frame on fd 3 (once): OK{PID} when code is 0, else ERROR{CODE, MSG}. */
void shim_report_ready(struct shim *sh, uint32_t code, const char *msg);
/* Entered GONE: tells everyone, stops accepting, exits once replies are flushed. */
void shim_begin_exit(struct shim *sh);
/* A rpc connection by id, or NULL when it has closed. */
struct rpc_conn *shim_conn(uint64_t conn);
/* "abcdef012345": the id as messages show it. */
const char *shim_short_id(const struct shim *sh);

/* ---- shim_supervise.c: the lifecycle table ---- */

const char *shim_state_name(enum shim_state s);
/* Feeds one event through the state x event table. */
void shim_supervise_event(struct shim *sh, const struct shim_ev *ev);
/* Starts the first `runc create` (state CREATING). restart: started by the daemon to
 * apply the restart policy (after a lost shim or a reboot): the counters of the last
 * exit are carried on and the container is started as soon as it is created. With
 * sh->run_first (`--run`, for `kettle run`) it is `runc run --detach` instead, and the
 * running container is held as "created" until SHIM_START (shim_supervise.c). */
int shim_supervise_start(struct shim *sh, bool restart, struct kerr *err);
/* SIGCHLD: reaps every exited child until none is left. */
void shim_supervise_reap(struct shim *sh);
/* Writes state.json (never fails the caller: problems are logged). */
void shim_supervise_save(struct shim *sh);
/* Enters state s and saves state.json. */
void shim_supervise_set_state(struct shim *sh, enum shim_state s);
/* `runc create` (or run) into state CREATING; a spawn failure becomes CREATE_FAILED. */
void shim_supervise_create(struct shim *sh);
/* Supervision is over: state GONE, everyone is told and the shim exits. */
void shim_supervise_finish(struct shim *sh);

/* ---- shim_call.c: runtime processes in flight ---- */

/* Starts one runtime process into a free slot on behalf of conn/reqid (0 for none): done
 * runs once it is reaped. Returns the call's slot, or NULL with err when it could not be
 * started. */
struct shim_call *shim_call_spawn(struct shim *sh, struct runtime_call *rc, shim_call_fn done,
				  uint64_t conn, uint32_t reqid, struct kerr *err);
/* shim_call_spawn of op on the container without stdio: sig for KILL, flag is --all for
 * KILL and --force for DELETE. */
int shim_call_spawn_simple(struct shim *sh, enum runtime_op op, shim_call_fn done, int sig,
			   bool flag, uint64_t conn, uint32_t reqid, struct kerr *err);
/* True when the call failed; msg then holds the runtime's own error (or how it ended). */
bool shim_call_failed(struct shim *sh, const struct shim_call *call, int status, char *msg,
		      size_t cap);
/* The call's process was reaped with status: reads the rest of its output, runs its
 * completion and frees the slot. */
void shim_call_complete(struct shim *sh, struct shim_call *call, int status);
/* Starts `runc ps` for a SHIM_PIDS request; the reply is sent when it completes. */
void shim_call_pids(struct shim *sh, uint64_t conn, uint32_t reqid);
/* Runtime calls still in flight. */
size_t shim_call_count(const struct shim *sh);
/* Forgets every runtime call in flight (they finish as orphans); for the final teardown. */
void shim_call_done(struct shim *sh);

/* ---- shim_stop.c: stop and kill (transitions of the lifecycle table) ---- */

/* `runc kill` without a requester (stop, force delete, failed start): failures logged. */
void shim_stop_kill_quietly(struct shim *sh, int sig, bool all);
/* docker stop: sig to init, then SIGKILL to everything after timeout_ms (STOPPING). */
void shim_stop_begin(struct shim *sh, int sig, uint64_t timeout_ms);
/* KILL_REQ while starting, running or stopping. */
void shim_stop_on_kill_req(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while running. */
void shim_stop_on_stop_req(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while `runc start` is in flight: applied once it returned. */
void shim_stop_defer(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while stopping or exited: answered once the exit is told. */
void shim_stop_join(struct shim *sh, const struct shim_ev *ev);
/* STOP_TIMEOUT: SIGKILL to every process of the container. */
void shim_stop_on_timeout(struct shim *sh, const struct shim_ev *ev);
/* UNHEALTHY: the --health-on-failure action. */
void shim_stop_on_unhealthy(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ while creating: a restart being created is not started. */
void shim_stop_creating(struct shim *sh, const struct shim_ev *ev);

/* ---- shim_restart.c: the restart policy and its backoff ---- */

/* The exited container is deleted: restart after a backoff (BACKOFF) or finish. */
void shim_restart_apply_policy(struct shim *sh);
/* RESTART_TIMER: BACKOFF is over, the container is created again. */
void shim_restart_begin(struct shim *sh, const struct shim_ev *ev);
/* STOP_REQ or KILL_REQ in BACKOFF: supervision ends, the requester hears OK. */
void shim_restart_stop_backoff(struct shim *sh, const struct shim_ev *ev);
/* DELETE_REQ in BACKOFF: supervision ends, the requester hears OK. */
void shim_restart_delete_backoff(struct shim *sh, const struct shim_ev *ev);
/* START_REQ in BACKOFF: restart now. */
void shim_restart_start_backoff(struct shim *sh, const struct shim_ev *ev);
/* sh->backoff from the record's knobs (restart.c's defaults for those unset). */
void shim_restart_load_backoff(struct shim *sh);
/* A restart by the daemon: restart counters and the last exit from exit.json. */
void shim_restart_carry_counters(struct shim *sh);

/* ---- shim_ops.c: pause, resume, live update ---- */

/* SHIM_PAUSE, SHIM_RESUME, SHIM_UPDATE. */
void shim_ops_frame(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f);
/* A paused container is about to be signalled (kill, stop, delete): thaw it so the
 * signal can act (a frozen task cannot even die of SIGKILL under the v1 freezer). */
void shim_ops_thaw_for_signal(struct shim *sh);

/* ---- shim_trim.c: idle memory ---- */

/* From the loop's before-sleep hook: after SHIM_TRIM_MS without an event, the pages the
 * idle shim does not use (read-only segments, the read buffer, deep stack) are dropped. */
void shim_trim_before_sleep(struct shim *sh);

/* ---- shim_io.c: the container's stdio ---- */

/* Creates both pipes and opens ctr.log. */
int shim_io_open(struct shim *sh, struct kerr *err);
/* Write ends for the runtime's stdio[1], stdio[2]. */
int shim_io_stdout_wfd(const struct shim *sh);
int shim_io_stderr_wfd(const struct shim *sh);
/* Closes our copies of the write ends (after `runc create` was spawned). */
void shim_io_close_write_ends(struct shim *sh);
/* Registers the read ends in the loop (after a successful create). */
int shim_io_watch(struct shim *sh, struct kerr *err);
/* Reads what is there now without blocking; true when both streams reached EOF. */
bool shim_io_drain(struct shim *sh);
/* True when both streams reached EOF (or were never opened). */
bool shim_io_eof(const struct shim *sh);
/* Ends partial lines in the log and closes the read ends. */
void shim_io_finish(struct shim *sh);
/* Fresh pipes for a restart (the log stays open): the previous ones must have ended. */
int shim_io_reopen(struct shim *sh, struct kerr *err);
/* Closes everything; safe on a half-opened io. */
void shim_io_done(struct shim *sh);
/* rec.stdin_open: the read end of the stdin pipe for `runc create`, else -1. */
int shim_io_stdin_rfd(const struct shim *sh);
/* rec.tty: the --console-socket value for `runc create` (listening), else NULL. */
const char *shim_io_console(const struct shim *sh);
/* STDIN{DATA} for the container (empty DATA: EOF). */
int shim_io_input(struct shim *sh, const uint8_t *p, size_t n, uint64_t conn, uint32_t reqid,
		  struct kerr *err);
/* RESIZE for the container's terminal; kept and applied when the master arrives. */
int shim_io_resize(struct shim *sh, uint32_t rows, uint32_t cols, struct kerr *err);

/* ---- shim_tty.c: console sockets, terminal size, input ---- */

void shim_tty_init(struct shim_console *c);
/* Binds a fresh "@kettle-console/<hex>" listener (closing any previous one). */
int shim_tty_listen(struct shim_console *c, struct kerr *err);
/* The --console-socket argument, or NULL when not listening. */
const char *shim_tty_arg(const struct shim_console *c);
/* Collects the pty master that runtime process runc_pid sent: 1 with *master (CLOEXEC,
 * non-blocking, a character device), 0 when none has arrived, -1 on error. Connections
 * from any other pid are closed. */
int shim_tty_receive(struct shim_console *c, pid_t runc_pid, int *master, struct kerr *err);
void shim_tty_close(struct shim_console *c);
/* TIOCSWINSZ on master (only checks the size when master is -1). */
int shim_tty_resize(int master, uint32_t rows, uint32_t cols, struct kerr *err);
/* ROWS and COLS of a RESIZE frame, checked. */
int shim_tty_get_resize(const struct wire_frame *f, uint32_t *rows, uint32_t *cols,
			struct kerr *err);
void shim_input_init(struct shim_input *in, struct shim *sh);
/* Queues and writes one STDIN frame's bytes from (conn, reqid), acknowledged once written;
 * n == 0 is EOF (a pipe closes, a terminal gets ^D). */
int shim_input_write(struct shim_input *in, const uint8_t *p, size_t n, uint64_t conn,
		     uint32_t reqid, struct kerr *err);
void shim_input_done(struct shim_input *in);

/* ---- shim_exec.c: `kettle exec` processes ---- */

/* SHIM_EXEC: JSON {args, env, cwd, user, tty} plus 0, 2 (stdout, stderr) or 3 (stdin,
 * stdout, stderr) descriptors; OK{PID} once runc exec returned, END{EXIT_CODE} at exit. */
void shim_exec_request(struct shim *sh, struct rpc_conn *c, const struct wire_frame *f);
/* STDIN, RESIZE, SIGNAL for an exec stream; false when reqid names no exec of conn. */
bool shim_exec_stream_frame(struct shim *sh, uint64_t conn, const struct wire_frame *f);
/* A reaped child that is neither init nor a supervise call: runc exec or an exec'd
 * process (or an orphan kept briefly, in case it is one whose pid file is not read yet). */
void shim_exec_reaped(struct shim *sh, pid_t pid, int status);
/* Runtime exec calls in flight (the shim waits for them before exiting). */
size_t shim_exec_calls(const struct shim *sh);
/* Frees everything; for the final teardown. */
void shim_exec_done(struct shim *sh);
/* An exec on the shim's own behalf ended: status is its wait status, or msg says why it
 * could not run. Called once per serial (not at all once the shim tears down). */
typedef void (*shim_exec_fn)(struct shim *sh, void *data, unsigned serial, int status,
			     const char *msg);
/* Runs argv in the running container without a requester: stdin /dev/null, stdout and
 * stderr on out_fd (borrowed; -1 for /dev/null). Returns the exec's serial (> 0), or 0
 * with err when it could not be started (done is then never called). */
unsigned shim_exec_internal(struct shim *sh, char *const *argv, size_t argc, int out_fd,
			    shim_exec_fn done, void *data, struct kerr *err);
/* SIGKILL to an internal exec, now or as soon as its pid is known; done still runs. */
void shim_exec_kill(struct shim *sh, unsigned serial);

/* ---- shim_health.c: health checks (--health-cmd) ---- */

/* The container started: status starting, the first check after the interval. */
void shim_health_start(struct shim *sh);
/* The container exited: no more checks; a check in flight is forgotten. */
void shim_health_stop(struct shim *sh);
/* Frees everything; for the final teardown. */
void shim_health_done(struct shim *sh);

/* ---- shim_oom.c: OOM kills ---- */

/* The container was created: find its memory cgroup and its oom_kill count so far. */
void shim_oom_watch(struct shim *sh);
/* The container exited: true when the kernel OOM-killed a process of it during the run. */
bool shim_oom_check(struct shim *sh);

#endif
