/*
 * shimv2_state: the containerd shim v2 role's state, one struct shimv2 per server process
 * (role layer, bottom band). Every shimv2*.c file includes it: the tasks (containers) the
 * server supervises, their processes (the init and execs), the TTRPC connections, the
 * parked Wait calls and the event queue, and lookups on them that call nothing of the role.
 * The role's bands, lowest first: state, reply, events; io, mount, metrics, proc; task
 * (the Task service's handlers); serve (the loop, the connections, the dispatch) and
 * shimv2.c (containerd's bootstrap: start, delete, serve). A file calls only files listed
 * before it. Nothing blocks once the server runs.
 */
#ifndef KETTLE_SHIMV2_STATE_H
#define KETTLE_SHIMV2_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "ipc/loop.h"
#include "runtime/runtime.h"
#include "supervise/console.h"
#include "supervise/exitlog.h"
#include "supervise/oomwatch.h"
#include "supervise/rtcall.h"
#include "ttrpc/ttrpc_conn.h"

#define SHIMV2_ID_MAX	       76	     /* containerd's identifier limit (bytes) */
#define SHIMV2_NS_MAX	       76	     /* a namespace name (bytes) */
#define SHIMV2_TASKS_MAX       64	     /* containers one server supervises (one pod) */
#define SHIMV2_EXECS_MAX       64	     /* exec processes of one task */
#define SHIMV2_CONNS_MAX       32	     /* TTRPC connections at once */
#define SHIMV2_WAITS_MAX       1024	     /* parked Wait calls, all connections */
#define SHIMV2_SPEC_MAX	       (1u << 20)    /* an exec's process spec or Update's resources */
#define SHIMV2_MOUNTS_MAX      16	     /* Create.rootfs mounts */
#define SHIMV2_MOUNT_OPTS_MAX  4096	     /* one mount's options joined (bytes) */
#define SHIMV2_EVENTS_MAX      1024	     /* events queued for containerd */
#define SHIMV2_EVENT_TIMEOUT   5000	     /* ms for containerd to take one event */
#define SHIMV2_RETRY_MIN_MS    100	     /* first retry of the event connection */
#define SHIMV2_RETRY_MAX_MS    5000	     /* longest wait between retries */
#define SHIMV2_FLUSH_MS	       5000	     /* events and replies flushed at exit, at most */
#define SHIMV2_DRAIN_MS	       1000	     /* a terminal's output after the exit, at most */
#define SHIMV2_RELAY_RETRY_MS  20	     /* a full pty master is written again after (ms) */
#define SHIMV2_RELAY_BUF       (32u * 1024u) /* bytes a relay holds between read and write */
#define SHIMV2_STATUS_137      137	     /* what `delete` reports: SIGKILL, as runc's shim */
#define SHIMV2_RUNTIME_TIMEOUT RUNTIME_TIMEOUT_MS /* a runtime call is killed after (ms) */

/* containerd.v1.types.Status */
enum shimv2_status {
	SHIMV2_UNKNOWN = 0,
	SHIMV2_CREATED = 1, /* created (init) or added (exec), not started */
	SHIMV2_RUNNING = 2,
	SHIMV2_STOPPED = 3,
	SHIMV2_PAUSED = 4,
	SHIMV2_PAUSING = 5,
};

struct shimv2_task;

/* Bytes from one descriptor to another without blocking (shimv2_io.c): a process's stdin
 * (its FIFO to its pipe or terminal) and a terminal's output (the master to its FIFO). */
struct shimv2_relay {
	int src;		  /* read side, or -1 once closed */
	int dst;		  /* write side, or -1 once closed */
	bool src_owned;		  /* src is closed with the relay (not a borrowed master) */
	bool dst_owned;		  /* dst likewise */
	bool close_dst_at_eof;	  /* EOF of src closes dst (stdin pipe: the process sees EOF) */
	bool src_fifo;		  /* src is a FIFO: read 0 is EOF only after a writer was seen */
	bool seen_writer;	  /* src (a FIFO) delivered bytes or hung up at least once */
	bool src_watched;	  /* src is registered in the loop */
	bool dst_watched;	  /* dst is registered for writability */
	bool eof;		  /* src ended (or CloseIO): no more reads */
	bool dst_tty;		  /* dst is a pty master, also read by another relay: a full
				   one is retried on a timer, not watched (one callback per fd) */
	uint64_t retry_timer;	  /* with dst_tty: the retry, or 0 */
	uint8_t *buf;		  /* owned, SHIMV2_RELAY_BUF bytes, allocated on first data */
	size_t off;		  /* first unwritten byte of buf */
	size_t len;		  /* bytes read into buf */
	struct shimv2_proc *proc; /* borrowed: the process it serves */
	struct shimv2 *sv;	  /* borrowed: the server (its loop, its scratch buffer) */
};

/* A process of a task: its init (exec_id "") or an exec. */
struct shimv2_proc {
	struct shimv2_task *task;	 /* borrowed: the task it belongs to */
	char exec_id[SHIMV2_ID_MAX + 1]; /* "" for the init */
	enum shimv2_status status;	 /* as State reports it */
	pid_t pid;			 /* 0 until created (init) or started (exec) */
	bool busy;			 /* a runtime call for it is in flight (create/start) */
	bool started;			 /* its start was told (TaskStart, TaskExecStarted) */
	bool reaped;			 /* its exit was seen */
	int wstatus;			 /* its wait status, with reaped */
	int64_t exited_ns;		 /* wall clock of the reap, ns */
	uint32_t exit_status;		 /* 128+signal or the exit code, with reaped */
	bool told;			 /* TaskExit sent and Waits answered */
	uint64_t seq;			 /* exits logged from here on may be its (exitlog) */
	bool terminal;			 /* it has a pty */
	char *stdin_path;		 /* owned; "" when none */
	char *stdout_path;		 /* owned */
	char *stderr_path;		 /* owned */
	char *spec;			 /* owned; exec: the process spec JSON, until started */
	size_t spec_len;		 /* bytes of spec */
	unsigned serial;		 /* exec: names its files in the bundle */
	struct console console;		 /* terminal: the console socket runc sends it to */
	int master;			 /* terminal: the pty master, owned; -1 */
	uint32_t rows, cols;		 /* terminal size asked before the master came */
	struct shimv2_relay in;		 /* stdin FIFO to the process */
	struct shimv2_relay out;	 /* terminal master to the stdout FIFO */
	int stdin_rfd;			 /* read end of its stdin pipe until handed to runc */
	int stdout_fd;			 /* its stdout until handed to runc (-1: /dev/null) */
	int stderr_fd;			 /* its stderr likewise */
	uint64_t drain_timer;		 /* SHIMV2_DRAIN_MS after the exit (terminal), or 0 */
	bool drain_over;		 /* that bound passed: the exit is told anyway */
};

/* One container (a Create). */
struct shimv2_task {
	char id[SHIMV2_ID_MAX + 1];		     /* container id */
	char bundle[PATH_MAX];			     /* its bundle directory */
	struct shimv2_proc init;		     /* its init process */
	struct shimv2_proc *execs[SHIMV2_EXECS_MAX]; /* owned; NULL: free slot */
	bool mounted;				     /* we mounted Create.rootfs on bundle/rootfs */
	struct oomwatch oom;			     /* the init's memory cgroup */
	unsigned exec_serial;			     /* last exec file serial */
	uint8_t *create_req;			     /* owned; the Create request, for TaskCreate */
	size_t create_len;			     /* bytes of create_req */
	bool deleting;				     /* runc delete in flight */
};

/* A TTRPC connection from containerd. */
struct shimv2_conn {
	uint64_t id;	      /* unique for the server's life; 0 = free slot */
	struct ttrpc_conn io; /* the fd and its buffers */
	bool want_write;      /* registered for writability */
	bool closing;	      /* close once the send buffer is empty */
};

/* A parked Wait. */
struct shimv2_wait {
	uint64_t conn;		  /* connection id; 0 = free */
	uint32_t sid;		  /* stream id to answer */
	struct shimv2_proc *proc; /* what it waits for */
};

/* One event for containerd's event service, encoded (a whole Request without its header). */
struct shimv2_event {
	uint8_t *body; /* owned */
	size_t len;    /* bytes */
};

/* The events publisher: a TTRPC client of containerd's TTRPC_ADDRESS. */
struct shimv2_events {
	char addr[108];	      /* socket path, "" when events go nowhere */
	struct ttrpc_conn io; /* the connection (fd -1 when closed) */
	bool connecting;      /* connect in progress (waiting for writability) */
	bool watched;	      /* io.fd is registered in the loop */
	struct shimv2_event q[SHIMV2_EVENTS_MAX]; /* ring: head..head+n */
	size_t head;				  /* first queued */
	size_t n;				  /* queued */
	bool inflight;				  /* q[head] sent, its response not read yet */
	uint32_t sid;				  /* stream id of the event in flight */
	uint32_t next_sid;			  /* next stream id (odd) */
	uint64_t timer;				  /* retry or response deadline, or 0 */
	uint64_t retry_ms;			  /* current backoff */
	uint64_t dropped;			  /* events dropped (queue full, refused) */
	bool failing; /* the last attempt failed (logged once per streak) */
};

struct shimv2 {
	bool host;		    /* the host runtime (no namespaces, no rootfs) */
	char ns[SHIMV2_NS_MAX + 1]; /* containerd namespace */
	char id[SHIMV2_ID_MAX + 1]; /* the id the server was started for */
	char sock_path[108];	    /* our socket file, removed at exit */
	struct runtime rt;	    /* runc (or kettle's host runtime) */
	struct loop *loop;	    /* owned */
	int lfd;		    /* owned; the listening socket */
	int sink_r;		    /* owned; the output sink's read end (in the loop), or -1 */
	int sink_w;		    /* owned; its write end, duplicated for output without a path */
	struct rtcall_set calls;    /* runtime calls in flight */
	struct exitlog exits;	    /* exits of children not yet claimed */
	struct shimv2_task *tasks[SHIMV2_TASKS_MAX]; /* owned; NULL: free */
	struct shimv2_conn conns[SHIMV2_CONNS_MAX];  /* connections */
	uint64_t next_conn;			     /* last connection id handed out */
	struct shimv2_wait waits[SHIMV2_WAITS_MAX];  /* parked Waits */
	struct shimv2_events ev;		     /* the publisher */
	bool shutting_down;		/* Shutdown with no task left: flush, then exit */
	uint64_t flush_timer;		/* SHIMV2_FLUSH_MS bound on that, or 0 */
	uint8_t rbuf[SHIMV2_RELAY_BUF]; /* scratch for reads that hold nothing across turns */
};

/* The task named id, or NULL. */
struct shimv2_task *shimv2_state_task(struct shimv2 *sv, const char *id);
/* Its init for exec_id "", else the exec, or NULL. */
struct shimv2_proc *shimv2_state_proc(struct shimv2_task *t, const char *exec_id);
/* Tasks left. */
size_t shimv2_state_ntasks(const struct shimv2 *sv);
/* A connection by id, NULL when it has gone. */
struct shimv2_conn *shimv2_state_conn(struct shimv2 *sv, uint64_t id);
/* Frees a process's strings and resets it (its fds must be closed already). */
void shimv2_state_proc_clear(struct shimv2_proc *p);
/* containerd's identifier rule: [A-Za-z0-9] first, then [A-Za-z0-9_.-], 1..76 bytes. */
bool shimv2_state_id_ok(const char *id);
/* "" when the process is its task's init, else its exec id: what events call "id". */
const char *shimv2_state_proc_name(const struct shimv2_proc *p);

#endif
