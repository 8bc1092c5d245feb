/*
 * shimv2_task: the Task service containerd calls (role layer, upper band).
 *
 * One handler per method of containerd.task.v2.Task (and of v3, which has the same
 * messages): decode the request (containerd's field numbers, api/runtime/task/v2/
 * shim.proto), check it, act, answer. Every string is checked before it is used: ids by
 * containerd's identifier rule (they name files and runtime state), paths absolute,
 * specs and resources within SHIMV2_SPEC_MAX, mounts through shimv2_mount.c. Errors carry
 * the status codes containerd maps to its errdefs: NotFound for an unknown task or a
 * finished process, AlreadyExists, FailedPrecondition, InvalidArgument, Unimplemented
 * (Checkpoint, unknown methods). Steps that run the runtime answer when they complete
 * (shimv2_proc.c); Wait parks. Calls proc, io, mount, metrics, events, reply and state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/json.h"
#include "base/log.h"
#include "runtime/cgroup.h"
#include "shimv2/shimv2_events.h"
#include "shimv2/shimv2_io.h"
#include "shimv2/shimv2_metrics.h"
#include "shimv2/shimv2_mount.h"
#include "shimv2/shimv2_proc.h"
#include "shimv2/shimv2_reply.h"
#include "shimv2/shimv2_task.h"

#define RESOURCES_FILE "resources.json" /* Update's resources, in the bundle */
#define SHIM_VERSION   "kettle"		/* ConnectResponse.version */

/* The fields of any Task request kettle reads, decoded once. */
struct req {
	char id[SHIMV2_ID_MAX + 1];		       /* 1 */
	char exec_id[SHIMV2_ID_MAX + 1];	       /* 2 (most requests) */
	char bundle[PATH_MAX];			       /* Create 2 */
	struct shimv2_mount mounts[SHIMV2_MOUNTS_MAX]; /* Create 3 */
	size_t nmounts;				       /* entries of mounts */
	bool terminal;				       /* Create 4, Exec 3 */
	char stdio[3][PATH_MAX];		       /* Create 5..7, Exec 4..6 */
	bool checkpoint;			       /* Create 8 or 9 set */
	uint32_t u[2];		   /* Kill 3 signal; ResizePty 3 width, 4 height */
	bool flag;		   /* Kill 4 all; CloseIO 3 stdin; Shutdown 2 now */
	struct pb_bytes any_url;   /* Exec 7 spec, Update 2 resources */
	struct pb_bytes any_value; /* with any_url */
};

enum method {
	M_STATE,
	M_CREATE,
	M_START,
	M_DELETE,
	M_PIDS,
	M_PAUSE,
	M_RESUME,
	M_CHECKPOINT,
	M_KILL,
	M_EXEC,
	M_RESIZE,
	M_CLOSEIO,
	M_UPDATE,
	M_WAIT,
	M_STATS,
	M_CONNECT,
	M_SHUTDOWN,
};

static const char *const method_names[] = {
	[M_STATE] = "State",	   [M_CREATE] = "Create",
	[M_START] = "Start",	   [M_DELETE] = "Delete",
	[M_PIDS] = "Pids",	   [M_PAUSE] = "Pause",
	[M_RESUME] = "Resume",	   [M_CHECKPOINT] = "Checkpoint",
	[M_KILL] = "Kill",	   [M_EXEC] = "Exec",
	[M_RESIZE] = "ResizePty",  [M_CLOSEIO] = "CloseIO",
	[M_UPDATE] = "Update",	   [M_WAIT] = "Wait",
	[M_STATS] = "Stats",	   [M_CONNECT] = "Connect",
	[M_SHUTDOWN] = "Shutdown",
};

/* ---- decoding ---- */

static int get_id(const struct pb_field *f, char *out, const char *what, struct kerr *err)
{
	if (pb_get_str(f, out, SHIMV2_ID_MAX + 1, err) < 0)
		return kerr_wrap(err, "%s", what);
	if (out[0] && !shimv2_state_id_ok(out))
		return kerr_set(err, EINVAL,
				"%s `%.76s` is not an identifier ([A-Za-z0-9][A-Za-z0-9_.-]*)",
				what, out);
	return 0;
}

static int decode(enum method m, struct pb_bytes payload, struct req *q, struct kerr *err)
{
	struct pb_dec d;
	struct pb_field f;
	int r;

	memset(q, 0, sizeof(*q));
	pb_dec_init(&d, payload.p, payload.n);
	while ((r = pb_dec_next(&d, &f, err)) > 0) {
		int rc = 0;

		if (f.num == 1) {
			rc = get_id(&f, q->id, "id", err);
		} else if (m == M_CREATE) {
			if (f.num == 2)
				rc = pb_get_str(&f, q->bundle, sizeof(q->bundle), err);
			else if (f.num == 3 && q->nmounts == SHIMV2_MOUNTS_MAX)
				rc = kerr_set(err, E2BIG, "more than %d rootfs mounts",
					      SHIMV2_MOUNTS_MAX);
			else if (f.num == 3)
				rc = shimv2_mount_decode(&f, &q->mounts[q->nmounts++], err);
			else if (f.num == 4)
				rc = pb_get_bool(&f, &q->terminal, err);
			else if (f.num >= 5 && f.num <= 7)
				rc = pb_get_str(&f, q->stdio[f.num - 5], PATH_MAX, err);
			else if (f.num == 8 || f.num == 9)
				q->checkpoint = q->checkpoint || (f.wire == PB_LEN && f.b.n);
		} else if (f.num == 2 && m != M_PIDS && m != M_PAUSE && m != M_RESUME &&
			   m != M_STATS && m != M_CONNECT && m != M_SHUTDOWN && m != M_UPDATE) {
			rc = get_id(&f, q->exec_id, "exec id", err);
		} else if (m == M_EXEC) {
			if (f.num == 3)
				rc = pb_get_bool(&f, &q->terminal, err);
			else if (f.num >= 4 && f.num <= 6)
				rc = pb_get_str(&f, q->stdio[f.num - 4], PATH_MAX, err);
			else if (f.num == 7)
				rc = pb_get_any(&f, &q->any_url, &q->any_value, err);
		} else if (m == M_UPDATE && f.num == 2) {
			rc = pb_get_any(&f, &q->any_url, &q->any_value, err);
		} else if ((m == M_KILL || m == M_RESIZE) && (f.num == 3 || f.num == 4) &&
			   !(m == M_KILL && f.num == 4)) {
			rc = pb_get_u32(&f, &q->u[f.num - 3], err);
		} else if ((m == M_KILL && f.num == 4) || (m == M_CLOSEIO && f.num == 3) ||
			   (m == M_SHUTDOWN && f.num == 2)) {
			rc = pb_get_bool(&f, &q->flag, err);
		}
		if (rc < 0)
			return -1;
	}
	if (r < 0)
		return -1;
	if (!q->id[0])
		return kerr_set(err, EINVAL, "no task id");
	return 0;
}

/* ---- lookups that answer NotFound ---- */

static struct shimv2_task *find_task(struct shimv2 *sv, uint64_t conn, uint32_t sid,
				     const struct req *q)
{
	struct shimv2_task *t = shimv2_state_task(sv, q->id);

	if (!t)
		shimv2_reply_error(sv, conn, sid, TTRPC_NOT_FOUND, "task %s not found", q->id);
	return t;
}

static struct shimv2_proc *find_proc(struct shimv2 *sv, uint64_t conn, uint32_t sid,
				     const struct req *q)
{
	struct shimv2_task *t = find_task(sv, conn, sid, q);
	struct shimv2_proc *p = t ? shimv2_state_proc(t, q->exec_id) : NULL;

	if (t && !p)
		shimv2_reply_error(sv, conn, sid, TTRPC_NOT_FOUND, "process %s not found",
				   q->exec_id);
	return p;
}

/* ---- handlers ---- */

static void do_state(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_proc *p = find_proc(sv, conn, sid, q);
	struct shimv2_reply r;

	if (!p || !shimv2_reply_begin(sv, conn, sid, &r))
		return;
	pb_enc_str(&r.e, 1, p->exec_id[0] ? p->exec_id : p->task->id);
	pb_enc_str(&r.e, 2, p->task->bundle);
	pb_enc_u64(&r.e, 3, (uint64_t)(p->pid > 0 ? p->pid : 0));
	pb_enc_u64(&r.e, 4, p->told ? SHIMV2_STOPPED : p->status);
	pb_enc_str(&r.e, 5, p->stdin_path);
	pb_enc_str(&r.e, 6, p->stdout_path);
	pb_enc_str(&r.e, 7, p->stderr_path);
	pb_enc_bool(&r.e, 8, p->terminal);
	if (p->told) {
		pb_enc_u64(&r.e, 9, p->exit_status);
		pb_enc_timestamp_ns(&r.e, 10, p->exited_ns);
	} else {
		/* As Go's runc shim: the zero time.Time when there is no exit yet. */
		pb_enc_timestamp(&r.e, 10, PB_GO_ZERO_SEC, 0);
	}
	pb_enc_str(&r.e, 11, p->exec_id);
	shimv2_reply_end(sv, &r);
}

static int check_bundle(const char *bundle, struct kerr *err)
{
	size_t n = strlen(bundle);
	struct stat st;

	if (bundle[0] != '/' || strstr(bundle, "/../") ||
	    (n >= 3 && strcmp(bundle + n - 3, "/..") == 0))
		return kerr_set(err, EINVAL, "bundle `%s` is not an absolute path without `..`",
				bundle);
	if (stat(bundle, &st) < 0)
		return kerr_set(err, errno, "bundle `%s`", bundle);
	if (!S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "bundle `%s`", bundle);
	return 0;
}

static char *dup_str(const char *s)
{
	return strdup(s ? s : "");
}

static int proc_paths(struct shimv2_proc *p, const struct req *q)
{
	p->stdin_path = dup_str(q->stdio[0]);
	p->stdout_path = dup_str(q->stdio[1]);
	p->stderr_path = dup_str(q->stdio[2]);
	p->terminal = q->terminal;
	return p->stdin_path && p->stdout_path && p->stderr_path ? 0 : -1;
}

static void do_create(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q,
		      struct pb_bytes payload)
{
	struct shimv2_task *t = NULL;
	struct kerr err;
	size_t slot = SHIMV2_TASKS_MAX;

	if (q->checkpoint) {
		shimv2_reply_error(sv, conn, sid, TTRPC_UNIMPLEMENTED,
				   "create from a checkpoint is not implemented");
		return;
	}
	if (shimv2_state_task(sv, q->id)) {
		shimv2_reply_error(sv, conn, sid, TTRPC_ALREADY_EXISTS, "task %s already exists",
				   q->id);
		return;
	}
	if (check_bundle(q->bundle, &err) < 0) {
		shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT, "%s", err.msg);
		return;
	}
	for (size_t i = 0; i < SHIMV2_TASKS_MAX && slot == SHIMV2_TASKS_MAX; i++)
		if (!sv->tasks[i])
			slot = i;
	if (slot == SHIMV2_TASKS_MAX) {
		shimv2_reply_error(sv, conn, sid, TTRPC_RESOURCE_EXHAUSTED,
				   "this shim already supervises %d tasks", SHIMV2_TASKS_MAX);
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->create_req = malloc(payload.n ? payload.n : 1))) {
		free(t);
		shimv2_reply_error(sv, conn, sid, TTRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	memcpy(t->create_req, payload.p, payload.n);
	t->create_len = payload.n;
	snprintf(t->id, sizeof(t->id), "%s", q->id);
	snprintf(t->bundle, sizeof(t->bundle), "%s", q->bundle);
	oomwatch_clear(&t->oom);
	shimv2_proc_init(sv, t, &t->init, "");
	sv->tasks[slot] = t;
	if (proc_paths(&t->init, q) < 0) {
		kerr_set(&err, ENOMEM, "out of memory");
		goto out_fail;
	}
	/* The host runtime changes no root: the snapshot is not needed, nor mounted. */
	if (!sv->host && q->nmounts) {
		if (shimv2_mount_rootfs(t->bundle, q->mounts, q->nmounts, &err) < 0)
			goto out_fail;
		t->mounted = true;
	}
	if (shimv2_proc_create(sv, t, conn, sid, &err) < 0)
		goto out_fail;
	log_info("task %s: creating (bundle %s%s)", t->id, t->bundle,
		 t->init.terminal ? ", terminal" : "");
	return;
out_fail:
	log_error("task %s: %s", q->id, err.msg);
	shimv2_reply_error(sv, conn, sid, TTRPC_UNKNOWN, "create task %s: %s", q->id, err.msg);
	shimv2_proc_task_remove(sv, t);
}

static void do_start(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_proc *p = find_proc(sv, conn, sid, q);
	struct kerr err;

	if (p && shimv2_proc_start(sv, p, conn, sid, &err) < 0)
		shimv2_reply_error(sv, conn, sid,
				   err.code == EALREADY || err.code == ESRCH
					   ? TTRPC_FAILED_PRECONDITION
					   : TTRPC_UNKNOWN,
				   "%s", err.msg);
}

static void do_exec(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_task *t = find_task(sv, conn, sid, q);
	struct shimv2_event_enc x;
	size_t slot = SHIMV2_EXECS_MAX;

	if (!t)
		return;
	if (!q->exec_id[0]) {
		shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT, "exec: no exec id");
		return;
	}
	if (shimv2_state_proc(t, q->exec_id)) {
		shimv2_reply_error(sv, conn, sid, TTRPC_ALREADY_EXISTS, "exec %s already exists",
				   q->exec_id);
		return;
	}
	if (!q->any_value.n || q->any_value.n > SHIMV2_SPEC_MAX) {
		shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT,
				   "exec %s: process spec of %zu bytes; allowed: 1..%u", q->exec_id,
				   q->any_value.n, SHIMV2_SPEC_MAX);
		return;
	}
	if (t->init.told || t->init.reaped) {
		shimv2_reply_error(sv, conn, sid, TTRPC_FAILED_PRECONDITION, "task %s has exited",
				   t->id);
		return;
	}
	for (size_t i = 0; i < SHIMV2_EXECS_MAX && slot == SHIMV2_EXECS_MAX; i++)
		if (!t->execs[i])
			slot = i;
	struct shimv2_proc *p = slot < SHIMV2_EXECS_MAX ? calloc(1, sizeof(*p)) : NULL;
	if (!p) {
		shimv2_reply_error(sv, conn, sid, TTRPC_RESOURCE_EXHAUSTED,
				   "task %s: %d execs at most, or out of memory", t->id,
				   SHIMV2_EXECS_MAX);
		return;
	}
	shimv2_proc_init(sv, t, p, q->exec_id);
	p->serial = ++t->exec_serial;
	p->spec = malloc(q->any_value.n);
	if (!p->spec || proc_paths(p, q) < 0) {
		shimv2_state_proc_clear(p);
		free(p);
		shimv2_reply_error(sv, conn, sid, TTRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	memcpy(p->spec, q->any_value.p, q->any_value.n);
	p->spec_len = q->any_value.n;
	t->execs[slot] = p;
	shimv2_reply_empty(sv, conn, sid);
	shimv2_events_begin(sv, &x, "/tasks/exec-added", "containerd.events.TaskExecAdded");
	pb_enc_str(&x.e, 1, t->id);
	pb_enc_str(&x.e, 2, p->exec_id);
	shimv2_events_end(sv, &x);
}

static void do_kill(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_proc *p = find_proc(sv, conn, sid, q);

	if (p)
		shimv2_proc_kill(sv, p, q->u[0], q->flag, conn, sid);
}

static void do_delete(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_proc *p = find_proc(sv, conn, sid, q);

	if (p)
		shimv2_proc_delete(sv, p, conn, sid);
}

static void do_wait(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_proc *p = find_proc(sv, conn, sid, q);

	if (p)
		shimv2_proc_wait(sv, p, conn, sid);
}

static void do_resize(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_proc *p = find_proc(sv, conn, sid, q);
	struct kerr err;

	if (!p)
		return;
	if (!p->terminal) {
		shimv2_reply_error(sv, conn, sid, TTRPC_FAILED_PRECONDITION, "`%s` has no terminal",
				   shimv2_state_proc_name(p));
		return;
	}
	if (shimv2_io_resize(p, q->u[0], q->u[1], &err) < 0) {
		shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT, "%s", err.msg);
		return;
	}
	shimv2_reply_empty(sv, conn, sid);
}

static void do_closeio(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_proc *p = find_proc(sv, conn, sid, q);

	if (!p)
		return;
	if (q->flag)
		shimv2_io_close_stdin(sv, p);
	shimv2_reply_empty(sv, conn, sid);
}

static void do_connect(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_task *t = shimv2_state_task(sv, q->id);
	struct shimv2_reply r;

	if (!shimv2_reply_begin(sv, conn, sid, &r))
		return;
	pb_enc_u64(&r.e, 1, (uint64_t)getpid());
	pb_enc_u64(&r.e, 2, t && t->init.pid > 0 ? (uint64_t)t->init.pid : 0);
	pb_enc_str(&r.e, 3, SHIM_VERSION);
	shimv2_reply_end(sv, &r);
}

static void do_shutdown(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	(void)q;
	shimv2_reply_empty(sv, conn, sid);
	/* As containerd's runc shim: a shim still serving tasks (a pod) stays. */
	if (shimv2_state_ntasks(sv) > 0)
		return;
	log_info("shutdown: no task left");
	sv->shutting_down = true;
}

static void do_stats(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q)
{
	struct shimv2_task *t = find_task(sv, conn, sid, q);
	struct cgroup_stats s;
	struct shimv2_reply r;
	struct kerr err;

	if (!t)
		return;
	if (sv->host) {
		shimv2_reply_error(sv, conn, sid, TTRPC_UNIMPLEMENTED,
				   "stats: a host task has no cgroup of its own");
		return;
	}
	if (t->init.pid <= 0 || t->init.reaped) {
		shimv2_reply_error(sv, conn, sid, TTRPC_NOT_FOUND, "task %s is not running", t->id);
		return;
	}
	/* Our unreaped child: its pid names it. */
	if (cgroup_stats_pid(t->init.pid, NULL, false, &s, &err) < 0) {
		shimv2_reply_error(sv, conn, sid, TTRPC_INTERNAL, "stats of task %s: %s", t->id,
				   err.msg);
		return;
	}
	if (!shimv2_reply_begin(sv, conn, sid, &r))
		return;
	shimv2_metrics_encode(&r.e, 1, &s);
	shimv2_reply_end(sv, &r);
}

/* ---- runtime steps of the whole task: ps, pause, resume, update ---- */

static void pids_done(void *owner, struct rtcall *call, int status)
{
	struct shimv2 *sv = owner;
	char msg[KERR_MSG_MAX];
	struct kerr err, log_err;
	struct shimv2_reply r;

	if (rtcall_failed(call, status, msg, sizeof(msg), &log_err)) {
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_UNKNOWN, "%s", msg);
		return;
	}
	if (call->out_cut) {
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_RESOURCE_EXHAUSTED,
				   "runtime ps printed more than %u bytes", RTCALL_OUT_MAX);
		return;
	}
	/* `ps --format json`: [pid, ...], or null for none. */
	int ntok = 2;
	for (size_t i = 0; i < call->out.len; i++)
		ntok += call->out.data[i] == ',';
	if (ntok > JSON_TOKENS_MAX)
		ntok = JSON_TOKENS_MAX;
	_cleanup_free_ struct json_tok *toks = calloc((size_t)ntok, sizeof(*toks));
	struct json_doc doc;
	if (!toks ||
	    json_parse(&doc, (const char *)call->out.data, call->out.len, toks, ntok, &err) < 0 ||
	    (toks[0].type != JSON_ARRAY && toks[0].type != JSON_NULL)) {
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_INTERNAL,
				   "runtime ps: not a JSON array of pids");
		return;
	}
	if (!shimv2_reply_begin(sv, call->conn, call->reqid, &r))
		return;
	for (int i = 1; toks[0].type == JSON_ARRAY && i < doc.ntoks; i++) {
		uint64_t pid;

		if (json_get_u64(&doc, i, &pid, &err) < 0 || pid > INT32_MAX)
			continue;
		pb_enc_msg_begin(&r.e, 1);
		pb_enc_u64(&r.e, 1, pid);
		pb_enc_msg_end(&r.e);
	}
	shimv2_reply_end(sv, &r);
}

static void pause_done(void *owner, struct rtcall *call, int status)
{
	struct shimv2 *sv = owner;
	struct shimv2_task *t = call->data;
	char msg[KERR_MSG_MAX];
	struct kerr log_err;

	if (rtcall_failed(call, status, msg, sizeof(msg), &log_err)) {
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_UNKNOWN, "%s", msg);
		return;
	}
	shimv2_reply_empty(sv, call->conn, call->reqid);
	if (t)
		shimv2_proc_paused(sv, t, call->op == RUNTIME_PAUSE);
}

static void update_done(void *owner, struct rtcall *call, int status)
{
	struct shimv2 *sv = owner;
	char msg[KERR_MSG_MAX];
	struct kerr log_err;

	if (rtcall_failed(call, status, msg, sizeof(msg), &log_err)) {
		shimv2_reply_error(sv, call->conn, call->reqid, TTRPC_UNKNOWN, "%s", msg);
		return;
	}
	shimv2_reply_empty(sv, call->conn, call->reqid);
}

static void task_call(struct shimv2 *sv, uint64_t conn, uint32_t sid, const struct req *q,
		      enum method m)
{
	struct shimv2_task *t = find_task(sv, conn, sid, q);
	char file[PATH_MAX];
	struct kerr err;
	struct runtime_call rc = { .id = q->id, .stdio = { -1, -1, -1 } };
	rtcall_fn done = m == M_PIDS ? pids_done : m == M_UPDATE ? update_done : pause_done;

	if (!t)
		return;
	if (t->init.pid <= 0 || t->init.reaped) {
		if (m == M_PIDS) { /* nothing runs: no pids */
			shimv2_reply_empty(sv, conn, sid);
			return;
		}
		shimv2_reply_error(sv, conn, sid, TTRPC_FAILED_PRECONDITION,
				   "task %s is not running", t->id);
		return;
	}
	rc.op = m == M_PIDS	? RUNTIME_PS
		: m == M_PAUSE	? RUNTIME_PAUSE
		: m == M_RESUME ? RUNTIME_RESUME
				: RUNTIME_UPDATE;
	if (m == M_UPDATE) {
		if (!q->any_value.n || q->any_value.n > SHIMV2_SPEC_MAX) {
			shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT,
					   "update: resources of %zu bytes; allowed: 1..%u",
					   q->any_value.n, SHIMV2_SPEC_MAX);
			return;
		}
		if (snprintf(file, sizeof(file), "%s/%s", t->bundle, RESOURCES_FILE) >=
		    (int)sizeof(file)) {
			shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT,
					   "bundle path too long");
			return;
		}
		_cleanup_close_ int fd =
			open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || fd_write_full(fd, q->any_value.p, q->any_value.n, &err) < 0) {
			shimv2_reply_error(sv, conn, sid, TTRPC_INTERNAL, "write `%s`: %s", file,
					   fd < 0 ? strerror(errno) : err.msg);
			return;
		}
		rc.file = file;
	}
	struct rtcall *call = rtcall_spawn(&sv->calls, &rc, m == M_PIDS, done, t, &err);
	if (!call) {
		shimv2_reply_error(sv, conn, sid, TTRPC_UNAVAILABLE, "%s", err.msg);
		return;
	}
	call->conn = conn;
	call->reqid = sid;
}

void shimv2_task_call(struct shimv2 *sv, uint64_t conn, uint32_t sid,
		      const struct ttrpc_request *req)
{
	static struct req q; /* large (paths, mounts): one request at a time, never nested */
	struct kerr err;
	int m = -1;

	if (!pb_bytes_eq(req->service, "containerd.task.v2.Task") &&
	    !pb_bytes_eq(req->service, "containerd.task.v3.Task")) {
		shimv2_reply_error(sv, conn, sid, TTRPC_UNIMPLEMENTED, "service %.*s",
				   (int)req->service.n, (const char *)req->service.p);
		return;
	}
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]) && m < 0; i++)
		if (pb_bytes_eq(req->method, method_names[i]))
			m = (int)i;
	if (m < 0) {
		shimv2_reply_error(sv, conn, sid, TTRPC_UNIMPLEMENTED, "method %.*s",
				   (int)req->method.n, (const char *)req->method.p);
		return;
	}
	if (decode((enum method)m, req->payload, &q, &err) < 0) {
		shimv2_reply_error(sv, conn, sid, TTRPC_INVALID_ARGUMENT, "%s: %s", method_names[m],
				   err.msg);
		return;
	}
	log_debug("%s %s%s%s (stream %u)", method_names[m], q.id, q.exec_id[0] ? " " : "",
		  q.exec_id, sid);
	switch ((enum method)m) {
	case M_STATE:
		do_state(sv, conn, sid, &q);
		break;
	case M_CREATE:
		do_create(sv, conn, sid, &q, req->payload);
		break;
	case M_START:
		do_start(sv, conn, sid, &q);
		break;
	case M_DELETE:
		do_delete(sv, conn, sid, &q);
		break;
	case M_PIDS:
	case M_PAUSE:
	case M_RESUME:
	case M_UPDATE:
		task_call(sv, conn, sid, &q, (enum method)m);
		break;
	case M_CHECKPOINT:
		shimv2_reply_error(sv, conn, sid, TTRPC_UNIMPLEMENTED,
				   "checkpoint is not implemented by kettle");
		break;
	case M_KILL:
		do_kill(sv, conn, sid, &q);
		break;
	case M_EXEC:
		do_exec(sv, conn, sid, &q);
		break;
	case M_RESIZE:
		do_resize(sv, conn, sid, &q);
		break;
	case M_CLOSEIO:
		do_closeio(sv, conn, sid, &q);
		break;
	case M_WAIT:
		do_wait(sv, conn, sid, &q);
		break;
	case M_STATS:
		do_stats(sv, conn, sid, &q);
		break;
	case M_CONNECT:
		do_connect(sv, conn, sid, &q);
		break;
	case M_SHUTDOWN:
		do_shutdown(sv, conn, sid, &q);
		break;
	}
}
