/*
 * rtcall: the runtime processes a supervisor has in flight, each with a deadline
 * (mechanism, rank 50: what kettle's shim and the containerd shim v2 share).
 *
 * A call is one runtime process (runtime.h) in a slot keyed by its pid: started without
 * waiting, SIGKILLed by a loop timer when it outlives the set's timeout, its stdout kept
 * (ps, state) up to RTCALL_OUT_MAX without blocking, and finished when the owner's SIGCHLD
 * reaper hands its pid back: rtcall_complete runs its completion once and frees the slot.
 * A call's failure is worded from the runtime's JSON log (never the container's stderr),
 * or says how it ended (timed out, killed, exit status). Never logs, never waits.
 */
#ifndef KETTLE_RTCALL_H
#define KETTLE_RTCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/kerr.h"
#include "ipc/loop.h"
#include "runtime/runtime.h"

#define RTCALL_MAX                                                                                 \
	80 /* in flight at once per set: kettle's shim has 16 of its own and
			     * one `runc exec` per exec slot (64) */
#define RTCALL_OUT_MAX (512u * 1024u) /* stdout kept from one call (bytes) */

struct rtcall;
/* A call's completion: status is its wait status (rtcall_failed words a failure). */
typedef void (*rtcall_fn)(void *owner, struct rtcall *call, int status);

struct rtcall {
	pid_t pid;		/* the runtime process; 0 when the slot is free */
	enum runtime_op op;	/* what it runs */
	off_t log_off;		/* the runtime log's size before the call: its errors come after */
	uint64_t timer;		/* deadline timer id; 0 once fired or cancelled */
	bool timed_out;		/* the deadline killed it */
	rtcall_fn done;		/* completion, or NULL: the owner's reaper decides (rtcall_find) */
	void *data;		/* the owner's, for the completion (a task, a process) */
	uint64_t conn;		/* the requester to answer, opaque here (a connection id), or 0 */
	uint32_t reqid;		/* its request or stream id, opaque here */
	int out_fd;		/* read end of its stdout when captured, else -1 */
	struct buf out;		/* its stdout so far, at most RTCALL_OUT_MAX */
	bool out_cut;		/* bytes past RTCALL_OUT_MAX were dropped */
	struct rtcall_set *set; /* borrowed: the set it belongs to */
};

struct rtcall_set {
	struct loop *loop;		 /* borrowed: timers and stdout watches */
	const struct runtime *rt;	 /* borrowed: the runtime and its JSON log */
	uint64_t timeout_ms;		 /* a call still running after this is killed */
	void *owner;			 /* passed to every completion */
	struct rtcall calls[RTCALL_MAX]; /* slots; pid 0 = free */
};

void rtcall_set_init(struct rtcall_set *s, struct loop *l, const struct runtime *rt,
		     uint64_t timeout_ms, void *owner);
/* Starts rc in a free slot (PR_SET_PDEATHSIG: it dies with its caller). capture: its
 * stdout goes to call->out (rc->stdio[1] is then ours). Returns the slot, or NULL with err. */
struct rtcall *rtcall_spawn(struct rtcall_set *s, struct runtime_call *rc, bool capture,
			    rtcall_fn done, void *data, struct kerr *err);
/* The call whose process is pid, or NULL. */
struct rtcall *rtcall_find(struct rtcall_set *s, pid_t pid);
/* pid was reaped: the call's deadline is cancelled and the rest of its stdout read. */
void rtcall_reaped(struct rtcall *call);
/* How a call ended: nonzero is a failure, with msg saying why. */
enum rtcall_result {
	RTCALL_OK = 0,	/* exit status 0 */
	RTCALL_RUNTIME, /* failed; msg is the runtime's own error from its JSON log (runc
			      printed it on its stderr too) */
	RTCALL_FAILED,	/* failed; msg says how it ended (timed out, killed, exit status) */
};

/* How the call ended. *log_err is set when the runtime log could not be read (the message
 * then says how the process ended instead); it may be NULL. */
enum rtcall_result rtcall_failed(const struct rtcall *call, int status, char *msg, size_t cap,
				 struct kerr *log_err);
/* Frees the slot after its result was used. */
void rtcall_free(struct rtcall *call);
/* rtcall_reaped, the completion (when it has one), rtcall_free. */
void rtcall_complete(struct rtcall *call, int status);
/* Calls in flight. */
size_t rtcall_count(const struct rtcall_set *s);
/* Forgets every call (their processes finish as orphans); for the final teardown. */
void rtcall_set_done(struct rtcall_set *s);
/* "create", "kill", …: the runtime operation's name. */
const char *rtcall_op_name(enum runtime_op op);

#endif
