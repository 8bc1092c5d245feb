/*
 * shim_state: the shim role's state, one struct shim per process (role layer, bottom band).
 * Every shim*.c file includes it: the lifecycle's states and events, the waiter table,
 * the runtime calls in flight, the container's stdio, struct shim, and the few helpers
 * on it (state names, state.json, the short id), which call nothing of the role. The
 * role's bands, lowest first: state and shared helpers (shim_state, reply, wait, emit,
 * next); mechanisms (tty, input, call, io, exec, health, oom, ops, trim); the lifecycle's
 * steps (create, stop, finish, restart, exit, start); at the top the table's dispatcher
 * (shim_supervise) and what feeds it (shim_rpc, shim.c). A file calls only files listed
 * before it, never one above; nothing blocks, anywhere.
 */
#ifndef KETTLE_SHIM_STATE_H
#define KETTLE_SHIM_STATE_H

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
#include "supervise/console.h"
#include "supervise/oomwatch.h"
#include "supervise/rtcall.h"

#define SHIM_WAITERS_MAX      256	     /* deferred replies and subscriptions, all kinds */
#define SHIM_READ_BUF	      (128u * 1024u) /* the one buffer container output is read into */
#define SHIM_PIPE_SIZE	      (1u << 20)     /* kernel buffer of each output pipe (F_SETPIPE_SZ) */
#define SHIM_DRAIN_MS	      1000	     /* wait for the pipes' EOF after the exit, at most */
#define SHIM_FLUSH_MS	      1000	     /* flush replies before exiting, at most */
#define SHIM_STOP_TIMEOUT_MS  10000	     /* SHIM_STOP grace period when none is given */
#define SHIM_STOP_FOREVER     UINT64_MAX     /* a grace period without end (FOREVER) */
#define SHIM_PS_OUT_MAX	      (512u * 1024u) /* `runc ps` output kept (bytes) */
#define SHIM_DROPS_SAVE_MS    1000	     /* state.json for new log drops, at most this often */
#define SHIM_INPUT_MAX	      (1u << 20)     /* input a process has not read yet (bytes) */
#define SHIM_INPUT_RETRY_MS   20	     /* retry of input the process did not take */
#define SHIM_INPUT_ACKS	      64	     /* STDIN frames waiting to be written */
#define SHIM_EXECS_MAX	      64	     /* exec processes at once */
#define SHIM_HOLD_MS	      10000	     /* --run: output and exit held for START, at most */
#define SHIM_TRIM_MS	      2000	     /* idle this long: unused memory is given back */
#define SHIM_EARLY_MAX	      8		     /* --run: unknown exits kept for the init's pid */
#define SHIM_EARLY_EVENTS_MAX 4096	     /* bytes of events held for the first subscriber */
#define SHIM_ERR_CODE	      125	     /* refusals and kettle's own failures (docker's 125) */
#define SHIM_UNLINKER_IDLE_MS 30000	     /* the unlinker ends after this long without a file */

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
	uint64_t timeout_ms;  /* STOP_REQ grace period, ms; SHIM_STOP_FOREVER: no end */
	bool shutdown;	      /* STOP_REQ: the host is shutting down (SHIM_STOP SHUTDOWN) */
	int status;	      /* EXIT: wait status of init */
	int code;	      /* *_FAILED: exit code a client should use (125/126/127) */
	const char *msg;      /* *_FAILED, DELETE_DONE: runtime's message, borrowed */
};

/* The loop timers of the lifecycle, each feeding one event when it fires (shim_next.c). */
enum shim_timer {
	SHIM_T_STOP,	/* the stop grace period: STOP_TIMEOUT */
	SHIM_T_DRAIN,	/* SHIM_DRAIN_MS after the exit: DRAINED */
	SHIM_T_HOLD,	/* SHIM_HOLD_MS of a --run hold: START_REQ without a requester */
	SHIM_T_RESTART, /* the restart policy's backoff: RESTART_TIMER */
};

/* What a transition leaves for the dispatcher to do once it has returned (shim_next.c):
 * a transition never feeds the table itself, and never names a callback of the top. */
struct shim_next {
	bool watch;		    /* register the container's output pipes in the loop */
	bool timer;		    /* arm timer_kind for timer_ms */
	enum shim_timer timer_kind; /* with timer */
	uint64_t timer_ms;	    /* with timer: its delay, ms */
	bool event;		    /* feed ev next */
	struct shim_ev ev;	    /* with event; its msg points into msg */
	char msg[KERR_MSG_MAX];	    /* ev's message, copied */
};

/* Deferred replies and subscriptions, all in one table (shim_wait.c). */
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

/* One of the container's output pipes (shim_io.c). */
struct shim_stream {
	int rfd;      /* read end, non-blocking; -1 once closed */
	int wfd;      /* write end until handed to `runc create`, then -1 */
	bool eof;     /* no more bytes will come */
	unsigned idx; /* 0 stdout, 1 stderr: logfile stream and WIRE_F_STREAM - 1 */
};

/* Bytes from attached clients on their way to a pty master or a stdin pipe (shim_input.c).
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
	pid_t unlinker;		   /* the child removing rotated-out logs (proc.h), or 0 */
	int unlinker_fd;	   /* owned; the write end of its pipe, -1 when none */
	uint64_t unlinker_timer;   /* closes unlinker_fd once idle (SHIM_UNLINKER_IDLE_MS), or 0 */

	/* input and terminal (-i, -t) */
	struct console console; /* rec.tty: `runc create`'s console socket */
	int stdin_rfd;		/* rec.stdin_open: read end until handed to runc, else -1 */
	struct shim_input in;	/* the container's input: pty master or stdin pipe */
	uint32_t rows;		/* terminal size last asked for (0: never) */
	uint32_t cols;		/* with rows */
};

struct shim_execs;
struct shim_health;

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
	struct shim_next next;	  /* what the running transition left for the dispatcher */
	struct status st;	  /* what state.json / exit.json / SHIM_STATE say */
	pid_t init_pid;		  /* container init (from the pid file); 0 unknown */
	bool init_reaped;	  /* init's exit seen (possibly before START_DONE) */
	int init_status;	  /* its wait status, with init_reaped */
	int start_error_code;	  /* nonzero: `runc start` failed with this code */
	bool exit_told;		  /* waiters, attachers, subscribers know the exit */
	bool stop_pending;	  /* a STOP arrived while starting */
	bool shutdown;		  /* a STOP of the host's shutdown arrived: supervision ends
				     without stopped_by_user, so the policy applies again at the
				     next boot (docker's unless-stopped) */
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

	/* `kettle run` (--run, shim_create.c) and the idle trim (shim_trim.c) */
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

	struct rtcall_set calls; /* runtime processes in flight (shim_call.c) */
	struct shim_waiter waiters[SHIM_WAITERS_MAX]; /* deferred replies, subscriptions */
	size_t nwaiters;			      /* used entries of waiters[] */
	uint64_t *conns;			      /* owned; ids of connections seen */
	size_t nconns;				      /* entries of conns */
	size_t conns_cap;			      /* allocated entries of conns */
	struct shim_io io;			      /* the container's stdio */
	struct shim_execs *execs;   /* owned; `kettle exec` processes (shim_exec.c), or NULL */
	struct shim_health *health; /* owned; health checks (shim_health.c), or NULL */
	bool health_exit;	    /* --health-on-failure ended this run (reason "unhealthy") */
	bool rootfs_mounted;	    /* this shim mounted the image's overlay (shim_rootfs.c) */
	bool health_restart;	    /* ...with restart: start it again whatever the policy */
	struct oomwatch oom;	    /* where OOM kills are counted (shim_oom.c) */
	/* Events emitted before the daemon's first EVENTS subscription (a restart's start
	 * can finish before the daemon has connected): handed to that first subscriber. */
	bool subscribed;    /* an EVENTS subscription has arrived: nothing is held any more */
	char *early_events; /* owned, or NULL; NUL-separated event documents */
	size_t early_len;   /* bytes used in early_events */
	/* Published ports (shim_ports.c): the host sockets held for the shim's whole life, so
	 * nobody else can take a port that is forwarded to this container. */
	int *port_fds;	  /* owned; nport_fds descriptors */
	size_t nport_fds; /* entries of port_fds */
};

/* "creating", "running", …: the state as SHIM_STATE and the logs name it. */
const char *shim_state_name(enum shim_state s);
/* Enters state s; the caller saves state.json when it is due (shim_state_set). */
void shim_state_enter(struct shim *sh, enum shim_state s);
/* Enters state s and saves state.json. */
void shim_state_set(struct shim *sh, enum shim_state s);
/* Writes state.json (never fails the caller: problems are logged). */
void shim_state_save(struct shim *sh);
/* "abcdef012345": the id as messages show it. */
const char *shim_state_short_id(const struct shim *sh);

#endif
