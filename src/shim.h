/*
 * shim: the `kettle shim` role (layer 3). One per container: runs the runtime, is the
 * container's subreaper, holds its stdio, writes its log and exit status, and keeps it
 * supervised while the daemon is away. shim*.c files share the declarations below; no
 * other role includes this header.
 *
 * The three files split one process: shim.c parses arguments, starts up, serves the RPC
 * and decides when to exit; shim_supervise.c is the lifecycle (a const state x event
 * table) and the runtime calls it drives; shim_io.c carries the container's stdio to the
 * CRI log and to attached readers. Invariant shared by all three: nothing blocks, and a
 * request is answered exactly once (now, or later from a waiter entry).
 */
#ifndef KETTLE_SHIM_H
#define KETTLE_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "ids.h"
#include "ipc.h"
#include "kerr.h"
#include "loop.h"
#include "record.h"
#include "rpc.h"
#include "runtime.h"
#include "status.h"

int shim_main(int argc, char **argv);

#define SHIM_CALLS_MAX	     16		    /* runtime processes in flight at once */
#define SHIM_WAITERS_MAX     256	    /* deferred replies and subscriptions, all kinds */
#define SHIM_READ_BUF	     (64u * 1024u)  /* the one buffer container output is read into */
#define SHIM_DRAIN_MS	     1000	    /* wait for the pipes' EOF after the exit, at most */
#define SHIM_FLUSH_MS	     1000	    /* flush replies before exiting, at most */
#define SHIM_STOP_TIMEOUT_MS 10000	    /* SHIM_STOP grace period when none is given */
#define SHIM_PS_OUT_MAX	     (512u * 1024u) /* `runc ps` output kept (bytes) */

/*
 * Lifecycle states (shim_supervise.c). Issue 4 slots BACKOFF (exited, restart timer
 * armed) between EXITED and CREATING, and health checks as events on RUNNING.
 */
enum shim_state {
	SHIM_S_CREATING, /* `runc create` in flight */
	SHIM_S_CREATED,	 /* created, init waits on runc's exec fifo */
	SHIM_S_STARTING, /* `runc start` in flight */
	SHIM_S_RUNNING,	 /* started, init alive */
	SHIM_S_STOPPING, /* stop signal sent, grace timer armed */
	SHIM_S_EXITED,	 /* init reaped: draining output, then `runc delete` of the corpse */
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

/* A runtime process in flight (shim_supervise.c). */
struct shim;
struct shim_call;
typedef void (*shim_call_fn)(struct shim *sh, struct shim_call *call, int status);

struct shim_call {
	pid_t pid;	    /* runtime process; 0 when the slot is free */
	enum runtime_op op; /* what it runs */
	off_t log_off;	    /* runc.log size before the call: its errors come after */
	uint64_t timer;	    /* RUNTIME_TIMEOUT_MS timer id; 0 once fired */
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

struct shim_io {
	struct shim_stream out[2]; /* stdout, stderr */
	uint8_t *rbuf;		   /* owned; SHIM_READ_BUF bytes, allocated once */
	struct logfile *log;	   /* owned; ctr.log */
	bool watching;		   /* read ends are registered in the loop */
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

	struct shim_call calls[SHIM_CALLS_MAX];	      /* runtime processes in flight */
	struct shim_waiter waiters[SHIM_WAITERS_MAX]; /* deferred replies, subscriptions */
	size_t nwaiters;			      /* used entries of waiters[] */
	uint64_t *conns;			      /* owned; ids of connections seen */
	size_t nconns;				      /* entries of conns */
	size_t conns_cap;			      /* allocated entries of conns */
	struct shim_io io;			      /* the container's stdio */
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
/* The ready frame on fd 3 (once): OK{PID} when code is 0, else ERROR{CODE, MSG}. */
void shim_report_ready(struct shim *sh, uint32_t code, const char *msg);
/* Entered GONE: tells everyone, stops accepting, exits once replies are flushed. */
void shim_begin_exit(struct shim *sh);
/* A rpc connection by id, or NULL when it has closed. */
struct rpc_conn *shim_conn(uint64_t conn);
/* "abcdef012345": the id as messages show it. */
const char *shim_short_id(const struct shim *sh);

/* ---- shim_supervise.c: lifecycle table and runtime calls ---- */

const char *shim_state_name(enum shim_state s);
/* Feeds one event through the state x event table. */
void shim_supervise_event(struct shim *sh, const struct shim_ev *ev);
/* Starts the first `runc create` (state CREATING). */
int shim_supervise_start(struct shim *sh, struct kerr *err);
/* SIGCHLD: reaps every exited child until none is left. */
void shim_supervise_reap(struct shim *sh);
/* Starts `runc ps` for a SHIM_PIDS request; the reply is sent when it completes. */
void shim_supervise_pids(struct shim *sh, uint64_t conn, uint32_t reqid);
/* Runtime calls still in flight. */
size_t shim_supervise_calls(const struct shim *sh);
/* Kills (SIGKILL) and forgets every runtime call in flight; for the final teardown. */
void shim_supervise_done(struct shim *sh);
/* Writes state.json (never fails the caller: problems are logged). */
void shim_supervise_save(struct shim *sh);

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
/* Closes everything; safe on a half-opened io. */
void shim_io_done(struct shim *sh);

#endif
