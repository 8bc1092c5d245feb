/*
 * daemon_state: the daemon role's state (role, layer 3; bottom band of the daemon): struct
 * daemon, one struct daemon_ctr per container and the requests pending on it. Declarations
 * only. The role's files call downward in three bands: bottom (this state, replies, the
 * registry, events, runtime helpers, a container's files), middle (talking to shims,
 * spawning, the request handlers and their completions), top (daemon.c, daemon_api.c,
 * daemon_watch.c, daemon_adopt.c). A lower file never calls a higher one.
 * Invariants: the daemon never blocks on a shim or a client; a reply to a client always
 * goes through rpc_conn_find(client id), so a client that left is simply skipped.
 */
#ifndef KETTLE_DAEMON_STATE_H
#define KETTLE_DAEMON_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "base/kerr.h"
#include "cdi/cdi.h"
#include "ipc/loop.h"
#include "store/record.h"
#include "store/restart.h"
#include "ipc/rpc.h"
#include "store/status.h"
#include "ipc/wire.h"

#define DAEMON_WAITERS_MAX	1024  /* pending requests one container holds */
#define DAEMON_READY_TIMEOUT_MS 45000 /* a shim that has not reported readiness is killed */
#define DAEMON_READY_MAX	65536 /* bytes of the shim's ready frame */
#define DAEMON_STOP_TIMEOUT_MS	10000 /* STOP's default grace period */
#define DAEMON_NOT_FOUND_CODE	1     /* docker exits 1 for "no such container" */
#define DAEMON_FAIL_CODE	125   /* kettle's own failure */

struct daemon_net;

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
	struct record rec;	/* record.json; owned, record_done on free */
	struct status st;	/* last known status (shim events, state/exit files) */
	pid_t shim_pid;		/* the live shim, 0 when none */
	int pidfd;		/* pidfd of shim_pid, watched in the loop; -1 when none */
	bool shim_dead;		/* pidfd became readable: the shim has exited */
	bool shim_exiting;	/* the shim reported a failed create and is exiting */
	uint64_t shim_conn;	/* rpc conn id to the shim, 0 when not connected */
	uint32_t events_reqid;	/* request id of our EVENTS subscription on shim_conn */
	int ready_fd;		/* read end of a spawning shim's fd 3, -1 when none */
	struct buf ready;	/* bytes read from ready_fd so far */
	uint64_t ready_timer;	/* readiness deadline timer, 0 when none */
	uint64_t gone_timer;	/* shim dead but its connection still open: force close */
	uint64_t restart_timer; /* lost shim: the policy's delay before a new one, or 0 */
	bool spawn_restart;	/* the next spawn is a policy restart (shim --restart) */
	bool spawn_run;		/* the next spawn runs it at once (CREATE RUN: shim --run) */
	bool removing;		/* REMOVE accepted: the dir goes once the shim is gone */
	bool auto_removing;	/* --rm container exited: hidden (daemon_ctr_hidden), its
				     dir goes once the shim is gone */
	bool broken;		/* record.json unreadable: listed as Dead; rm and inspect only */
	bool shutdown_sent;	/* the init's shutdown sent its shim the stop (daemon_shutdown.c) */
	size_t npend;		/* entries of pend */
	struct daemon_pend *pend; /* requests waiting on this container; owned */
	struct daemon *d;	  /* the daemon; borrowed */
};

/*
 * The loop and rpc callbacks of a shim, filled once at startup by daemon_watch_init (top
 * band). Lower files hand them to loop.c and rpc.c when they spawn, watch or dial a shim
 * and never call them: only the loop does, when the event comes. So a shim's completions
 * reach the handlers through the top band alone.
 */
struct daemon_shim_cbs {
	loop_fd_fn on_ready;		 /* a spawning shim's ready pipe is readable */
	loop_fd_fn on_pidfd;		 /* a shim's pidfd is readable: it has exited */
	const struct rpc_conn_ops *conn; /* frames and close of a shim connection; static */
};

struct daemon_boot;

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
	struct daemon_shim_cbs shim_cbs;	 /* set by daemon_watch_init before any shim */
	struct daemon_net *net;			 /* owned; networks (daemon_net.c) */
	/* --seccomp-profile (daemon_seccomp.c) */
	char *seccomp_default; /* owned; "builtin", "unconfined" or an absolute profile path */
	char *seccomp_text;    /* owned; that file's bytes as checked at startup, or NULL */
	size_t seccomp_len;    /* bytes of seccomp_text */
	const char *cdi_dirs[CDI_DIRS_MAX]; /* --cdi-spec-dir (borrowed from argv) or the
						    defaults; a later one wins */
	size_t ncdi_dirs;		    /* entries of cdi_dirs */

	/* kettle as a system's first process (daemon_boot.c, daemon_shutdown.c) */
	bool init;		  /* PID 1: reaps every orphan; SIGTERM/INT/PWR stop everything */
	bool boot;		  /* --boot: what is on disk was left by the previous boot */
	bool adopting;		  /* the registry is being rebuilt (daemon_adopt_load) */
	bool shutting_down;	  /* the init's shutdown began: containers are being stopped */
	bool shutdown_expired;	  /* its deadline passed: shims still there are killed */
	int shutdown_signal;	  /* the signal that began it (SIGINT reboots, else power off) */
	uint64_t shutdown_timer;  /* that deadline's timer, 0 when none */
	struct daemon_boot *jobs; /* --containers: the lines still to run; owned, or NULL */
	struct daemon_images *images; /* owned; the image store (daemon_images.c) */
};

#endif
