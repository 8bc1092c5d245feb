/*
 * daemon_registry: the daemon's in-memory index of containers and their shims (role,
 * layer 3).
 *
 * Knows, for every container dir on disk, its record, its last known status and its
 * shim: spawning one (ready frame on a pipe), re-adopting live ones after a restart
 * (lock held -> pidfd + authenticated connection checked against the lock holder's pid),
 * following their EVENT stream, and noticing their death. A shim is gone only when its
 * pidfd is readable AND its connection and ready pipe are closed, so every frame it sent
 * before dying is handled first. A shim that dies while its container may still run is
 * "lost": its runc container is deleted and exit 137 recorded (exit.json first).
 * Never blocks: pidfds, pipes and sockets are all in the one loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "fd.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "proc.h"
#include "runtime.h"
#include "spec.h"
#include "store.h"
#include "str.h"

#define EVENT_TOKENS	64   /* tokens of one shim EVENT document */
#define EVENT_TYPE_MAX	32   /* bytes of an event's "type" */
#define SHIM_LOST_EXIT	137  /* exit code recorded for a lost shim (SIGKILL'd container) */
#define GONE_GRACE_MS	2000 /* dead shim whose socket stays open: closed after this */
#define AMBIGUOUS_SHOWN 10   /* ids listed in an "ambiguous prefix" error */
#define REF_SHOWN	128  /* bytes of a reference quoted in a message */
#define READ_CHUNK	4096 /* bytes read from a ready pipe per call */
#define RESTART_WAIT_MS 5000 /* a lost shim's container delete, waited for at most */
#define RESTART_POLL_MS 50   /* how often that delete is checked */
#define EVENT_ATTRS_MAX 2048 /* bytes of the attributes forwarded from a shim event */

static void shim_on_frame(struct rpc_conn *conn, const struct wire_frame *f, void *data);
static void shim_on_close(struct rpc_conn *conn, const struct kerr *why, void *data);

static const struct rpc_conn_ops shim_ops = {
	.on_frame = shim_on_frame,
	.on_close = shim_on_close,
};

/* ---- replies ---- */

void daemon_reply_ok(uint64_t client, uint32_t reqid)
{
	struct rpc_conn *conn = rpc_conn_find(client);

	if (conn)
		rpc_conn_send_ok(conn, reqid);
}

void daemon_reply_error(uint64_t client, uint32_t reqid, uint32_t code, const char *msg)
{
	struct rpc_conn *conn = rpc_conn_find(client);

	if (conn)
		rpc_conn_send_error(conn, reqid, code, msg);
}

void daemon_reply_exit(uint64_t client, uint32_t reqid, int exit_code)
{
	struct rpc_conn *conn = rpc_conn_find(client);
	struct wire_enc e;
	struct kerr err;

	if (!conn)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, reqid, 0);
	wire_enc_u32(&e, WIRE_F_EXIT_CODE, (uint32_t)(exit_code & 0xff));
	if (wire_enc_end(&e, &err) < 0) {
		rpc_conn_send_error(conn, reqid, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	rpc_conn_send(conn);
}

/* ---- pending requests ---- */

struct daemon_pend *daemon_pend_add(struct daemon_ctr *c, enum daemon_pend_kind kind,
				    uint32_t shim_reqid, uint64_t client, uint32_t client_reqid,
				    struct kerr *err)
{
	if (c->npend >= DAEMON_WAITERS_MAX) {
		kerr_set(err, 0, "container `%.12s` has %zu requests waiting, limit %d", c->rec.id,
			 c->npend, DAEMON_WAITERS_MAX);
		return NULL;
	}
	struct daemon_pend *p = calloc(1, sizeof(*p));
	if (!p) {
		kerr_set(err, ENOMEM, "queue a request for `%.12s`", c->rec.id);
		return NULL;
	}
	p->kind = kind;
	p->shim_reqid = shim_reqid;
	p->client = client;
	p->client_reqid = client_reqid;
	/* Appended: requests are answered in the order they came. */
	struct daemon_pend **pp = &c->pend;
	while (*pp)
		pp = &(*pp)->next;
	*pp = p;
	c->npend++;
	return p;
}

void daemon_pend_drop(struct daemon_ctr *c, struct daemon_pend *p)
{
	struct daemon_pend **pp = &c->pend;

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = p->next;
		c->npend--;
	}
	free(p);
}

static struct daemon_pend *pend_find(struct daemon_ctr *c, uint32_t shim_reqid)
{
	for (struct daemon_pend *p = c->pend; p; p = p->next)
		if (p->shim_reqid == shim_reqid)
			return p;
	return NULL;
}

/* ---- the registry ---- */

struct daemon_ctr *daemon_ctr_new(struct daemon *d, struct record *rec)
{
	struct daemon_ctr *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rec = *rec;
	record_init(rec);
	status_init(&c->st);
	c->pidfd = -1;
	c->ready_fd = -1;
	buf_init(&c->ready, DAEMON_READY_MAX);
	c->d = d;
	return c;
}

int daemon_ctr_add(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	if (d->nctrs >= STORE_CONTAINERS_MAX)
		return kerr_set(err, 0, "the state root holds %zu containers, limit %u", d->nctrs,
				STORE_CONTAINERS_MAX);
	if (d->nctrs == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct daemon_ctr **n = realloc(d->ctrs, cap * sizeof(*n));

		if (!n)
			return kerr_set(err, ENOMEM, "grow the container registry");
		d->ctrs = n;
		d->cap = cap;
	}
	d->ctrs[d->nctrs++] = c;
	return 0;
}

/* Closes everything c holds; pending requests get `why`, waiters the last exit code. */
static void ctr_free(struct daemon *d, struct daemon_ctr *c, const char *why)
{
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);

	if (conn) {
		/* Detach first: the close callback must not find a freed container. */
		rpc_conn_set_data(conn, NULL);
		rpc_conn_close(conn);
	}
	if (c->pidfd >= 0) {
		loop_del_fd(d->loop, c->pidfd);
		c->pidfd = fd_close(c->pidfd);
	}
	if (c->ready_fd >= 0) {
		loop_del_fd(d->loop, c->ready_fd);
		c->ready_fd = fd_close(c->ready_fd);
	}
	if (c->ready_timer)
		loop_cancel_timer(d->loop, c->ready_timer);
	if (c->gone_timer)
		loop_cancel_timer(d->loop, c->gone_timer);
	if (c->restart_timer)
		loop_cancel_timer(d->loop, c->restart_timer);
	while (c->pend) {
		struct daemon_pend *p = c->pend;

		if (p->client && p->kind == DAEMON_PEND_WAIT)
			daemon_reply_exit(p->client, p->client_reqid, c->st.exit_code);
		else if (p->client)
			daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE, why);
		daemon_pend_drop(c, p);
	}
	buf_done(&c->ready);
	record_done(&c->rec);
	free(c);
}

void daemon_ctr_forget(struct daemon *d, struct daemon_ctr *c, const char *why)
{
	for (size_t i = 0; i < d->nctrs; i++) {
		if (d->ctrs[i] == c) {
			memmove(&d->ctrs[i], &d->ctrs[i + 1],
				(d->nctrs - i - 1) * sizeof(*d->ctrs));
			d->nctrs--;
			break;
		}
	}
	ctr_free(d, c, why);
}

static void runtime_delete(struct daemon *d, struct daemon_ctr *c, bool log_in_dir);
static bool runtime_state_exists(struct daemon *d, const struct daemon_ctr *c);

int daemon_ctr_remove(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	char id[IDS_ID_LEN + 1];

	str_copy(id, sizeof(id), c->rec.id);
	/* Runtime state its shim could not delete (the shim died, or `runc delete` failed):
	 * nothing may outlive the record. Logged to /dev/null: the directory goes now. */
	if (c->shim_pid == 0 && runtime_state_exists(d, c))
		runtime_delete(d, c, false);
	daemon_events_publish(d, c, "destroy", 0, NULL);
	int rc = store_remove_container(d->rootfd, id, err);
	daemon_ctr_forget(d, c, "the container was removed");
	if (rc < 0)
		return kerr_wrap(err, "remove container `%.12s`", id);
	log_info("removed container %.12s", id);
	return 0;
}

void daemon_registry_free(struct daemon *d)
{
	while (d->nctrs > 0)
		ctr_free(d, d->ctrs[--d->nctrs], "the daemon is shutting down");
	free(d->ctrs);
	d->ctrs = NULL;
	d->cap = 0;
}

const char *daemon_runtime_of(const struct daemon *d, const struct record *rec)
{
	if (rec->runtime)
		return rec->runtime;
	return d->runtime_path[0] ? d->runtime_path : d->runtime;
}

bool daemon_ctr_hidden(const struct daemon_ctr *c)
{
	return c->auto_removing;
}

struct daemon_ctr *daemon_find_name(struct daemon *d, const char *name)
{
	/* A --rm container that has exited gave its name back at its exit (daemon.h). */
	for (size_t i = 0; i < d->nctrs; i++)
		if (!daemon_ctr_hidden(d->ctrs[i]) && strcmp(d->ctrs[i]->rec.name, name) == 0)
			return d->ctrs[i];
	return NULL;
}

struct daemon_ctr *daemon_find_id(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->nctrs; i++)
		if (strcmp(d->ctrs[i]->rec.id, id) == 0)
			return d->ctrs[i];
	return NULL;
}

struct daemon_ctr *daemon_resolve(struct daemon *d, const char *ref, uint32_t *code,
				  struct kerr *err)
{
	char shown[REF_SHOWN];
	struct daemon_ctr *c;

	*code = DAEMON_FAIL_CODE;
	if (!ref[0]) {
		kerr_set(err, 0,
			 "empty container reference, expected a name, an id or an id prefix");
		return NULL;
	}
	c = daemon_find_name(d, ref);
	if (c)
		return c;
	if (ids_is_id_prefix(ref)) {
		size_t n = strlen(ref), matches = 0;
		struct daemon_ctr *first = NULL;

		for (size_t i = 0; i < d->nctrs; i++) {
			if (!daemon_ctr_hidden(d->ctrs[i]) &&
			    strncmp(d->ctrs[i]->rec.id, ref, n) == 0) {
				if (!first)
					first = d->ctrs[i];
				matches++;
			}
		}
		if (matches == 1)
			return first;
		if (matches > 1) {
			char list[AMBIGUOUS_SHOWN * (IDS_SHORT_LEN + 2) + 8] = "";
			size_t shown_n = 0, off = 0;

			for (size_t i = 0; i < d->nctrs && shown_n < AMBIGUOUS_SHOWN; i++) {
				if (daemon_ctr_hidden(d->ctrs[i]) ||
				    strncmp(d->ctrs[i]->rec.id, ref, n) != 0)
					continue;
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%.12s",
							shown_n ? ", " : "", d->ctrs[i]->rec.id);
				shown_n++;
			}
			if (matches > shown_n)
				snprintf(list + off, sizeof(list) - off, ", …");
			kerr_set(err, 0,
				 "ambiguous container prefix `%s` matches %zu containers: %s", ref,
				 matches, list);
			return NULL;
		}
	}
	str_sanitize(shown, sizeof(shown), ref, strlen(ref));
	*code = DAEMON_NOT_FOUND_CODE;
	kerr_set(err, 0, "no such container: `%s`", shown);
	return NULL;
}

bool daemon_ctr_spawning(const struct daemon_ctr *c)
{
	return c->ready_fd >= 0;
}

bool daemon_ctr_shim_alive(const struct daemon_ctr *c)
{
	return c->shim_pid > 0 && !c->shim_dead && !c->shim_exiting;
}

static bool kind_may_run(enum status_kind k)
{
	return k == STATUS_RUNNING || k == STATUS_PAUSED || k == STATUS_RESTARTING ||
	       k == STATUS_REMOVING;
}

bool daemon_ctr_running(const struct daemon_ctr *c)
{
	return daemon_ctr_shim_alive(c) && kind_may_run(c->st.kind) &&
	       c->st.kind != STATUS_REMOVING;
}

/* ---- status from disk ---- */

void daemon_ctr_refresh(struct daemon *d, struct daemon_ctr *c)
{
	struct status st, ex;
	struct kerr err;
	_cleanup_close_ int dirfd = -1;

	if (c->broken)
		return; /* Dead with the record's damage as the reason, whatever else says */
	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, &err) < 0) {
		log_warn("container %.12s: %s, ignoring", c->rec.id, err.msg);
		return;
	}
	char broken[STATUS_ERROR_MAX] = "";
	bool have_st = status_read(dirfd, STORE_STATE, &st, &err) == 0;
	if (!have_st && err.code != ENOENT)
		str_copy(broken, sizeof(broken), err.msg);
	bool have_ex = status_read(dirfd, STORE_EXIT, &ex, &err) == 0;
	if (!have_ex && err.code != ENOENT && !broken[0])
		str_copy(broken, sizeof(broken), err.msg);
	/*
	 * state.json is the shim's current view and wins, except when it still claims a
	 * running container that exit.json shows exited since its start: the shim writes
	 * exit.json first and may have died before rewriting state.json. An exit it already
	 * knows of (restarting: the same finished time) is not newer.
	 */
	if (have_st && have_ex && kind_may_run(st.kind) && ex.finished_ns >= st.started_ns &&
	    ex.finished_ns > st.finished_ns)
		c->st = ex;
	else if (have_st)
		c->st = st;
	else if (have_ex)
		c->st = ex;
	if (broken[0] && c->shim_pid == 0) {
		/* Files are replaced atomically, so a torn one is damage, not a race: shown
		 * as Dead with the reason until a shim writes it anew or `rm` removes it. */
		log_warn("container %.12s is broken: %s", c->rec.id, broken);
		c->st.kind = STATUS_DEAD;
		c->st.pid = 0;
		str_copy(c->st.error, sizeof(c->st.error), broken);
		str_copy(c->st.reason, sizeof(c->st.reason), "broken");
	} else if (broken[0]) {
		log_warn("container %.12s: %s, ignoring", c->rec.id, broken);
	}
}

static int write_status(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, err) < 0)
		return -1;
	if (status_write(dirfd, STORE_EXIT, &c->st, true, err) < 0)
		return -1;
	return status_write(dirfd, STORE_STATE, &c->st, true, err);
}

/* `runc delete --force ID`, reaped by the SIGCHLD handler. */
static void runtime_delete(struct daemon *d, struct daemon_ctr *c, bool log_in_dir)
{
	struct runtime rt;
	struct kerr err;
	char log_path[PATH_MAX];
	pid_t pid;
	struct runtime_call call = {
		.op = RUNTIME_DELETE,
		.id = c->rec.id,
		.force = true,
		.stdio = { -1, -1, -1 },
	};

	if (!log_in_dir)
		str_copy(log_path, sizeof(log_path), "/dev/null");
	else if (store_container_path(d->root, c->rec.id, STORE_RUNC_LOG, log_path,
				      sizeof(log_path), &err) < 0)
		log_path[0] = '\0';
	if (!log_path[0] ||
	    runtime_init(&rt, daemon_runtime_of(d, &c->rec), d->runc_root, log_path, &err) < 0 ||
	    runtime_spawn(&rt, &call, &pid, &err) < 0) {
		log_error("container %.12s: delete its runtime container: %s", c->rec.id, err.msg);
		return;
	}
	log_debug("container %.12s: runtime delete --force is pid %d", c->rec.id, (int)pid);
}

/* The shim is gone and its container may still run: nothing may stay unsupervised. */
static void shim_lost(struct daemon *d, struct daemon_ctr *c)
{
	struct kerr err;

	log_warn("container %.12s: its shim is gone while the container may still run: "
		 "deleting it and recording exit %d",
		 c->rec.id, SHIM_LOST_EXIT);
	runtime_delete(d, c, true);
	c->st.kind = STATUS_EXITED;
	c->st.pid = 0;
	c->st.shim_pid = 0;
	c->st.exit_code = SHIM_LOST_EXIT;
	c->st.signal = SIGKILL;
	c->st.finished_ns = clock_wall_ns();
	str_copy(c->st.reason, sizeof(c->st.reason), "shim lost");
	if (write_status(d, c, &err) < 0)
		log_error("container %.12s: record its exit: %s", c->rec.id, err.msg);
	char attrs[96];
	snprintf(attrs, sizeof(attrs), "\"exit_code\":%d,\"reason\":\"shim lost\"", SHIM_LOST_EXIT);
	daemon_events_publish(d, c, "die", 0, attrs);
}

/* ---- the restart policy for containers without a shim ---- */

static void restart_timeout(struct loop *l, void *data)
{
	struct daemon_ctr *c = data;
	struct daemon *d = c->d;
	struct kerr err;

	(void)l;
	c->restart_timer = 0;
	if (c->shim_pid > 0 || daemon_ctr_spawning(c) || c->removing)
		return;
	/* The forced delete of the lost shim's container must finish before runc can
	 * create the same id again; it is bounded by RESTART_WAIT_MS. */
	if (runtime_state_exists(d, c) &&
	    clock_wall_ns() - c->st.finished_ns < RESTART_WAIT_MS * 1000000LL) {
		c->restart_timer =
			loop_add_timer(d->loop, RESTART_POLL_MS, restart_timeout, c, &err);
		if (c->restart_timer)
			return;
	}
	log_info("container %.12s: restarting it with a new shim (restart policy)", c->rec.id);
	c->spawn_restart = true;
	if (daemon_spawn_shim(d, c, &err) < 0) {
		log_error("container %.12s: %s", c->rec.id, err.msg);
		c->st.kind = STATUS_EXITED;
		c->st.next_start_ns = 0;
		str_copy(c->st.error, sizeof(c->st.error), err.msg);
		if (write_status(d, c, &err) < 0)
			log_error("container %.12s: %s", c->rec.id, err.msg);
	}
}

/* Arms a new shim after delay_ms; the decision is on disk first (the shim reads it). */
static void schedule_restart(struct daemon *d, struct daemon_ctr *c, unsigned streak,
			     uint64_t delay_ms)
{
	struct kerr err;
	char attrs[128];

	c->st.restart_streak = streak;
	c->st.kind = STATUS_RESTARTING;
	c->st.next_start_ns = clock_wall_ns() + (int64_t)(delay_ms * 1000000u);
	if (write_status(d, c, &err) < 0)
		log_error("container %.12s: %s", c->rec.id, err.msg);
	snprintf(attrs, sizeof(attrs), "\"attempt\":%u,\"delay_ms\":%llu,\"streak\":%u",
		 c->st.restart_count + 1, (unsigned long long)delay_ms, streak);
	daemon_events_publish(d, c, "restart", 0, attrs);
	c->restart_timer = loop_add_timer(d->loop, delay_ms, restart_timeout, c, &err);
	if (!c->restart_timer)
		log_error("container %.12s: %s: not restarting it", c->rec.id, err.msg);
}

/* The shim died while its container ran: the policy decides, as the shim would have. */
static void policy_after_loss(struct daemon *d, struct daemon_ctr *c)
{
	const struct record *r = &c->rec;
	struct restart_backoff b = {
		.base_ms = r->restart_delay_ms ? r->restart_delay_ms : d->restart_defaults.base_ms,
		.max_ms = r->restart_max_delay_ms ? r->restart_max_delay_ms
						  : d->restart_defaults.max_ms,
		.reset_ms =
			r->restart_reset_ms ? r->restart_reset_ms : d->restart_defaults.reset_ms,
	};
	int64_t ran = c->st.finished_ns - c->st.started_ns;
	struct restart_input in = {
		.exit_code = c->st.exit_code,
		.stopped_by_user = c->st.stopped_by_user,
		.run_ms = c->st.started_ns > 0 && ran > 0 ? (uint64_t)ran / 1000000u : 0,
		.streak = c->st.restart_streak,
		.count = c->st.restart_count,
	};
	struct restart_decision dec = restart_decide(&r->restart, &b, &in);

	if (dec.restart && !c->removing && !c->rec.auto_remove)
		schedule_restart(d, c, dec.streak, dec.delay_ms);
}

/*
 * Daemon start without a shim and without runtime state (a host reboot, or the daemon
 * restarted after the container ended): docker's rule, `always` containers come back,
 * `unless-stopped` ones too unless a person stopped them. At once, as at boot.
 */
static void policy_at_boot(struct daemon *d, struct daemon_ctr *c)
{
	enum restart_policy p = c->rec.restart.policy;

	if (c->st.started_ns == 0 || c->rec.auto_remove)
		return; /* never started: nothing to bring back */
	if (p == RESTART_ALWAYS || (p == RESTART_UNLESS_STOPPED && !c->st.stopped_by_user)) {
		c->st.stopped_by_user = false;
		schedule_restart(d, c, 0, 0);
	}
}

/* Called when the shim might just have become fully gone. */
static void check_gone(struct daemon *d, struct daemon_ctr *c)
{
	if (!c->shim_dead || c->ready_fd >= 0)
		return;
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);
	if (conn)
		return; /* its last frames and EOF are still to come */
	c->shim_conn = 0;
	c->events_reqid = 0;
	if (c->gone_timer) {
		loop_cancel_timer(d->loop, c->gone_timer);
		c->gone_timer = 0;
	}
	log_debug("container %.12s: shim pid %d is gone", c->rec.id, (int)c->shim_pid);
	c->shim_dead = false;
	c->shim_exiting = false;
	c->shim_pid = 0;
	daemon_ctr_refresh(d, c);
	if (!c->removing && kind_may_run(c->st.kind)) {
		/* No runtime state left either: everything died at once (a reboot seen by a
		 * daemon that came up before the old shims were reaped). */
		bool rebooted = c->st.kind != STATUS_RESTARTING && !runtime_state_exists(d, c);

		shim_lost(d, c);
		if (rebooted)
			policy_at_boot(d, c);
		else
			policy_after_loss(d, c);
	} else if (!c->removing && c->st.kind == STATUS_CREATED &&
		   (!c->st.error[0] || runtime_state_exists(d, c))) {
		/* A created container without a shim: delete it so START can create it anew
		 * (also what a shim that died in the middle of its create left behind). */
		runtime_delete(d, c, true);
	} else if (!c->removing && c->st.kind == STATUS_EXITED && runtime_state_exists(d, c)) {
		/* The shim died inside its own `runc delete`: finish it for the shim. */
		runtime_delete(d, c, true);
	}
	daemon_api_shim_gone(d, c);
}

static void gone_timeout(struct loop *l, void *data)
{
	struct daemon_ctr *c = data;
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);

	(void)l;
	c->gone_timer = 0;
	if (conn) {
		log_warn("container %.12s: its shim died but its socket stayed open, closing it",
			 c->rec.id);
		rpc_conn_close(conn); /* on_close runs check_gone */
	}
}

static void on_pidfd(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon_ctr *c = data;
	struct kerr err;

	(void)fd;
	(void)events;
	loop_del_fd(l, c->pidfd);
	c->pidfd = fd_close(c->pidfd);
	c->shim_dead = true;
	if (rpc_conn_find(c->shim_conn))
		c->gone_timer = loop_add_timer(l, GONE_GRACE_MS, gone_timeout, c, &err);
	check_gone(c->d, c);
}

static int watch_pidfd(struct daemon *d, struct daemon_ctr *c, pid_t pid, struct kerr *err)
{
	_cleanup_close_ int pidfd = -1;

	if (proc_pidfd_open(pid, &pidfd, err) < 0)
		return -1;
	if (loop_add_fd(d->loop, pidfd, LOOP_READ, on_pidfd, c, err) < 0)
		return -1;
	c->pidfd = take_fd(&pidfd);
	c->shim_pid = pid;
	c->shim_dead = false;
	c->shim_exiting = false;
	return 0;
}

/* ---- talking to shims ---- */

static uint32_t new_reqid(struct daemon *d)
{
	if (++d->next_reqid == 0)
		d->next_reqid = 1;
	return d->next_reqid;
}

static int encode_req(struct rpc_conn *conn, const struct daemon_shim_req *req, uint32_t reqid,
		      struct kerr *err)
{
	struct wire_enc e;

	wire_enc_begin(&e, rpc_conn_txbuf(conn), req->type, reqid, 0);
	if (req->signal)
		wire_enc_u32(&e, WIRE_F_SIGNAL, req->signal);
	if (req->type == WIRE_T_SHIM_KILL)
		wire_enc_u32(&e, WIRE_F_ALL, req->all ? 1 : 0);
	if (req->type == WIRE_T_SHIM_DELETE)
		wire_enc_u32(&e, WIRE_F_FORCE, req->force ? 1 : 0);
	if (req->timeout_ms)
		wire_enc_u64(&e, WIRE_F_TIMEOUT_MS, req->timeout_ms);
	if (req->json)
		wire_enc_str(&e, WIRE_F_JSON, req->json);
	return wire_enc_end(&e, err);
}

/* Connects to c's shim (c->shim_pid), subscribes to its events and asks its state. */
static int shim_connect(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, c->rec.id, false, &dirfd, err) < 0)
		return -1;
	struct rpc_conn *conn =
		rpc_conn_dial(d->loop, dirfd, STORE_SHIM_ADDR, d->token, &shim_ops, c, err);
	if (!conn)
		return kerr_wrap(err, "connect to the shim of `%.12s`", c->rec.id);
	pid_t peer = rpc_conn_peer_pid(conn);
	if (peer != c->shim_pid) {
		rpc_conn_set_data(conn, NULL);
		rpc_conn_close(conn);
		return kerr_set(err, EACCES,
				"the shim of `%.12s` answers as pid %d but pid %d holds its lock",
				c->rec.id, (int)peer, (int)c->shim_pid);
	}
	c->shim_conn = rpc_conn_id(conn);
	c->events_reqid = new_reqid(d);
	struct daemon_shim_req events = { .type = WIRE_T_EVENTS };
	struct daemon_shim_req state = { .type = WIRE_T_SHIM_STATE };
	uint32_t state_id = new_reqid(d);
	if (encode_req(conn, &events, c->events_reqid, err) < 0 ||
	    encode_req(conn, &state, state_id, err) < 0)
		return kerr_wrap(err, "subscribe to the shim of `%.12s`", c->rec.id);
	if (!daemon_pend_add(c, DAEMON_PEND_STATE, state_id, 0, 0, err))
		return -1;
	if (rpc_conn_send(conn) < 0)
		return kerr_set(err, EPIPE, "send to the shim of `%.12s`", c->rec.id);
	return 0;
}

int daemon_shim_send(struct daemon *d, struct daemon_ctr *c, const struct daemon_shim_req *req,
		     uint32_t *reqid, struct kerr *err)
{
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);

	if (!conn) {
		if (!daemon_ctr_shim_alive(c) || daemon_ctr_spawning(c))
			return kerr_set(err, 0, "the shim of container `%.12s` is not running",
					c->rec.id);
		if (shim_connect(d, c, err) < 0)
			return -1;
		conn = rpc_conn_find(c->shim_conn);
		if (!conn)
			return kerr_set(err, EPIPE, "the shim of `%.12s` closed the connection",
					c->rec.id);
	}
	*reqid = new_reqid(d);
	if (encode_req(conn, req, *reqid, err) < 0)
		return -1;
	if (rpc_conn_send(conn) < 0)
		return kerr_set(err, EPIPE, "send %s to the shim of `%.12s`",
				wire_type_name(req->type), c->rec.id);
	return 0;
}

/* Publishes a shim's event: its members but type and time, copied as the shim wrote them
 * (json_parse accepted the document, so each member is well-formed JSON). */
static void forward_event(struct daemon *d, struct daemon_ctr *c, const struct json_doc *doc,
			  const char *type)
{
	char attrs[EVENT_ATTRS_MAX];
	char stamp[CLOCK_RFC3339NANO_LEN + 8];
	int64_t ns = 0;
	size_t off = 0;
	struct kerr err;
	int k = 1;

	for (int m = 0; m < doc->toks[0].size; m++) {
		const struct json_tok *key = &doc->toks[k], *val = &doc->toks[k + 1];
		int next = json_skip(doc, k + 1);

		if (json_str_eq(doc, k, "time")) {
			if (json_get_str(doc, k + 1, stamp, sizeof(stamp), &err) < 0 ||
			    clock_parse_rfc3339(stamp, &ns, &err) < 0)
				ns = 0;
		} else if (!json_str_eq(doc, k, "type") && !json_str_eq(doc, k, "id") &&
			   !json_str_eq(doc, k, "name")) {
			/* From the key's opening quote to the value's last byte. */
			int from = key->start - 1;
			int to = val->end + (val->type == JSON_STRING ? 1 : 0);
			size_t n = (size_t)(to - from);

			if (off + n + 2 >= sizeof(attrs))
				break;
			if (off)
				attrs[off++] = ',';
			memcpy(attrs + off, doc->text + from, n);
			off += n;
		}
		k = next;
	}
	attrs[off] = '\0';
	daemon_events_publish(d, c, type, ns, attrs);
}

static void on_event(struct daemon *d, struct daemon_ctr *c, const struct wire_frame *f)
{
	struct json_tok toks[EVENT_TOKENS];
	struct json_doc doc;
	char type[EVENT_TYPE_MAX] = "";
	const uint8_t *p;
	size_t n;
	struct kerr err;

	if (wire_get_bytes(f, WIRE_F_JSON, true, &p, &n, &err) < 0 ||
	    json_parse(&doc, (const char *)p, n, toks, EVENT_TOKENS, &err) < 0) {
		log_warn("container %.12s: malformed event from its shim: %s, ignoring", c->rec.id,
			 err.msg);
		return;
	}
	int t = doc.ntoks > 0 && toks[0].type == JSON_OBJECT ? json_obj_get(&doc, 0, "type") : -1;
	if (t < 0 || json_get_str(&doc, t, type, sizeof(type), &err) < 0) {
		log_warn("container %.12s: event without a type from its shim, ignoring",
			 c->rec.id);
		return;
	}
	log_debug("container %.12s: event `%s`", c->rec.id, type);
	forward_event(d, c, &doc, type);
	daemon_ctr_refresh(d, c);
	if (strcmp(type, "start") == 0) {
		if (c->st.kind == STATUS_CREATED || c->st.kind == STATUS_EXITED) {
			int64_t pid = 0;
			int pt = json_obj_get(&doc, 0, "pid");

			c->st.kind = STATUS_RUNNING;
			if (pt >= 0 && json_get_i64(&doc, pt, &pid, &err) == 0 && pid > 0)
				c->st.pid = (pid_t)pid;
		}
		log_info("container %.12s started (pid %d)", c->rec.id, (int)c->st.pid);
	} else if (strcmp(type, "exit") == 0) {
		if (c->st.kind != STATUS_EXITED && c->st.kind != STATUS_RESTARTING) {
			/* The exit file was not readable: trust the event itself. */
			int64_t code = 0;
			int ct = json_obj_get(&doc, 0, "exit_code");

			if (ct >= 0 && json_get_i64(&doc, ct, &code, &err) == 0)
				c->st.exit_code = (int)(code & 0xff);
			c->st.kind = STATUS_EXITED;
			c->st.pid = 0;
		}
		log_info("container %.12s exited with code %d", c->rec.id, c->st.exit_code);
		daemon_api_exited(d, c);
	}
}

static void shim_on_frame(struct rpc_conn *conn, const struct wire_frame *f, void *data)
{
	struct daemon_ctr *c = data;
	struct kerr err;

	if (!c || rpc_conn_id(conn) != c->shim_conn)
		return;
	struct daemon *d = c->d;
	if (c->events_reqid && f->reqid == c->events_reqid) {
		if (f->type == WIRE_T_EVENT) {
			on_event(d, c, f);
		} else if (f->type == WIRE_T_END) {
			c->events_reqid = 0;
		} else if (f->type == WIRE_T_ERROR) {
			char msg[256] = "";
			wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err);
			log_warn("container %.12s: its shim refused the event subscription: %s",
				 c->rec.id, msg);
			c->events_reqid = 0;
		}
		return;
	}
	if (f->type != WIRE_T_OK && f->type != WIRE_T_ERROR) {
		log_debug("container %.12s: unexpected %s frame from its shim, ignoring", c->rec.id,
			  wire_type_name(f->type));
		return;
	}
	for (;;) {
		struct daemon_pend *p = f->reqid ? pend_find(c, f->reqid) : NULL;

		if (!p)
			return;
		if (p->kind == DAEMON_PEND_STATE || p->kind == DAEMON_PEND_INTERNAL) {
			char msg[256] = "";
			const uint8_t *json;
			size_t n;

			if (f->type == WIRE_T_ERROR) {
				wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err);
				log_debug("container %.12s: shim request failed: %s", c->rec.id,
					  msg);
			} else if (p->kind == DAEMON_PEND_STATE &&
				   wire_get_bytes(f, WIRE_F_JSON, true, &json, &n, &err) == 1) {
				struct status st;

				if (status_from_json(&st, (const char *)json, n, &err) == 0)
					c->st = st;
				else
					log_warn("container %.12s: shim state: %s, ignoring",
						 c->rec.id, err.msg);
			}
			daemon_pend_drop(c, p);
			continue;
		}
		if (!daemon_api_shim_reply(d, c, p, f))
			return;
	}
}

static void shim_on_close(struct rpc_conn *conn, const struct kerr *why, void *data)
{
	struct daemon_ctr *c = data;

	if (!c || rpc_conn_id(conn) != c->shim_conn)
		return;
	struct daemon *d = c->d;
	c->shim_conn = 0;
	c->events_reqid = 0;
	if (c->pidfd >= 0 && !c->shim_dead) {
		struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };

		if (poll(&pfd, 1, 0) == 1) {
			/* Dead: on_pidfd finishes the job in this very turn or the next. */
			return;
		}
		if (why->code != 0)
			log_warn("container %.12s: lost the connection to its shim: %s", c->rec.id,
				 why->msg);
		/* Alive and unreachable: requests in flight on that connection failed. */
		for (struct daemon_pend *p = c->pend, *next; p; p = next) {
			next = p->next;
			if (!p->shim_reqid)
				continue;
			if (p->kind == DAEMON_PEND_REMOVE) {
				/* A SIGKILLed shim's socket closes before its pidfd turns
				 * readable: keep the removal, daemon_api_shim_gone finishes it
				 * once the shim is seen dead. */
				p->shim_reqid = 0;
				continue;
			}
			if (p->client)
				daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE,
						   "lost the connection to the container's shim");
			daemon_pend_drop(c, p);
		}
		return;
	}
	check_gone(d, c);
}

/* ---- spawning ---- */

static void ready_close(struct daemon *d, struct daemon_ctr *c)
{
	if (c->ready_fd >= 0) {
		loop_del_fd(d->loop, c->ready_fd);
		c->ready_fd = fd_close(c->ready_fd);
	}
	if (c->ready_timer) {
		loop_cancel_timer(d->loop, c->ready_timer);
		c->ready_timer = 0;
	}
	buf_done(&c->ready);
	buf_init(&c->ready, DAEMON_READY_MAX);
}

/* The spawn failed: record the error the way the shim does and tell the API. */
static void ready_failed(struct daemon *d, struct daemon_ctr *c, uint32_t code, const char *msg)
{
	ready_close(d, c);
	if (c->shim_pid > 0)
		c->shim_exiting = true; /* it writes its state and exits by itself */
	if (!kind_may_run(c->st.kind)) {
		c->st.kind = STATUS_CREATED;
		c->st.pid = 0;
		c->st.exit_code = (int)code;
		str_copy(c->st.error, sizeof(c->st.error), msg);
		str_copy(c->st.reason, sizeof(c->st.reason), "create failed");
	}
	log_info("container %.12s: create failed: %s", c->rec.id, msg);
	char id[IDS_ID_LEN + 1];
	str_copy(id, sizeof(id), c->rec.id);
	daemon_api_spawned(d, c, false, code, msg);
	/* c may be gone now (auto remove); find it again before looking at its shim. */
	c = daemon_find_id(d, id);
	if (c)
		check_gone(d, c);
}

static void ready_frame(struct daemon *d, struct daemon_ctr *c, const struct wire_frame *f)
{
	struct kerr err;

	if (f->type == WIRE_T_ERROR) {
		uint32_t code = DAEMON_FAIL_CODE;
		char msg[KERR_MSG_MAX] = "";

		if (wire_get_u32(f, WIRE_F_CODE, false, &code, &err) < 0 || code == 0 || code > 255)
			code = DAEMON_FAIL_CODE;
		if (wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err) < 0 || !msg[0])
			snprintf(msg, sizeof(msg), "the shim of `%.12s` failed without a message",
				 c->rec.id);
		ready_failed(d, c, code, msg);
		return;
	}
	if (f->type != WIRE_T_OK) {
		char msg[128];
		snprintf(msg, sizeof(msg), "the shim of `%.12s` sent %s instead of its ready frame",
			 c->rec.id, wire_type_name(f->type));
		ready_failed(d, c, DAEMON_FAIL_CODE, msg);
		return;
	}
	/* f points into c->ready: read it before ready_close frees that. */
	uint32_t pid = 0;
	if (wire_get_u32(f, WIRE_F_PID, false, &pid, &err) == 1 && pid > 0)
		c->st.pid = (pid_t)pid;
	ready_close(d, c);
	if (shim_connect(d, c, &err) < 0) {
		struct kerr kerr2;

		log_error("container %.12s: %s: killing the shim", c->rec.id, err.msg);
		if (c->pidfd >= 0)
			proc_pidfd_signal(c->pidfd, SIGKILL, &kerr2);
		ready_failed(d, c, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	c->st.kind = STATUS_CREATED;
	c->st.error[0] = '\0';
	log_info("container %.12s created (shim pid %d)", c->rec.id, (int)c->shim_pid);
	daemon_api_spawned(d, c, true, 0, NULL);
}

static void on_ready(struct loop *l, int fd, uint32_t events, void *data)
{
	struct daemon_ctr *c = data;
	struct daemon *d = c->d;
	struct wire_frame f;
	struct kerr err;
	bool eof = false;
	size_t used;

	(void)l;
	(void)events;
	for (;;) {
		if (buf_reserve(&c->ready, READ_CHUNK, &err) < 0) {
			if (c->ready.len >= c->ready.max) {
				ready_failed(d, c, DAEMON_FAIL_CODE,
					     "the shim's ready frame is too large");
				return;
			}
		}
		size_t room = c->ready.cap - c->ready.len;
		ssize_t n = read(fd, c->ready.data + c->ready.len, room);

		if (n > 0) {
			c->ready.len += (size_t)n;
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		kerr_set(&err, errno, "read the ready frame of the shim of `%.12s`", c->rec.id);
		ready_failed(d, c, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	int r = wire_decode(c->ready.data, c->ready.len, DAEMON_READY_MAX, &f, &used, &err);
	if (r == 1) {
		ready_frame(d, c, &f);
		return;
	}
	if (r < 0) {
		kerr_wrap(&err, "the shim of `%.12s` sent a malformed ready frame", c->rec.id);
		ready_failed(d, c, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	if (eof) {
		char msg[128];

		snprintf(msg, sizeof(msg), "shim for `%.12s` exited before it was ready",
			 c->rec.id);
		ready_failed(d, c, DAEMON_FAIL_CODE, msg);
	}
}

static void ready_timeout(struct loop *l, void *data)
{
	struct daemon_ctr *c = data;
	struct kerr err;

	(void)l;
	c->ready_timer = 0;
	log_error("container %.12s: its shim did not report readiness within %d ms: killing it",
		  c->rec.id, DAEMON_READY_TIMEOUT_MS);
	/* The pipe then reaches EOF and on_ready reports the failure. */
	if (c->pidfd >= 0 && proc_pidfd_signal(c->pidfd, SIGKILL, &err) < 0)
		log_error("container %.12s: kill its shim: %s", c->rec.id, err.msg);
}

int daemon_spawn_shim(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
{
	struct runtime rt;
	char runc_log[PATH_MAX];
	char timeout[24];
	int p[2];
	pid_t pid;

	if (c->shim_pid > 0 || daemon_ctr_spawning(c))
		return kerr_set(err, 0, "the shim of `%.12s` (pid %d) is still running", c->rec.id,
				(int)c->shim_pid);
	if (store_container_path(d->root, c->rec.id, STORE_RUNC_LOG, runc_log, sizeof(runc_log),
				 err) < 0)
		return -1;
	if (runtime_init(&rt, daemon_runtime_of(d, &c->rec), d->runc_root, runc_log, err) < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "create the ready pipe of a shim");
	_cleanup_close_ int rfd = p[0];
	_cleanup_close_ int wfd = p[1];
	snprintf(timeout, sizeof(timeout), "%llu", (unsigned long long)d->runtime_timeout_ms);
	/* A policy restart, or `kettle run`'s CREATE: never both. */
	char *mode = c->spawn_restart ? "--restart" : NULL;
	if (!mode && c->spawn_run)
		mode = "--run";
	char *argv[] = {
		"kettle-shim",
		"--root",
		d->root,
		"--id",
		c->rec.id,
		"--runtime",
		rt.path,
		"--log-level",
		(char *)d->log_level,
		"--runtime-timeout",
		timeout,
		mode,
		NULL,
	};
	c->spawn_restart = false;
	c->spawn_run = false;
	struct proc_spawn sp = {
		.path = "/proc/self/exe",
		.argv = argv,
		.envp = NULL,
		.stdio = { -1, -1, -1 },
		.keep_fd = wfd,
		.detach = true,
	};
	if (proc_spawn(&sp, &pid, err) < 0)
		return kerr_wrap(err, "start the shim of `%.12s`", c->rec.id);
	wfd = fd_close(wfd);
	if (fd_set_nonblock(rfd, true, err) < 0 || watch_pidfd(d, c, pid, err) < 0)
		return kerr_wrap(err, "watch the shim of `%.12s` (pid %d)", c->rec.id, (int)pid);
	if (loop_add_fd(d->loop, rfd, LOOP_READ, on_ready, c, err) < 0)
		return -1;
	c->ready_fd = take_fd(&rfd);
	/* The shim's own runtime timeout must fire first: its error names the cause. */
	uint64_t ready_ms = d->runtime_timeout_ms + DAEMON_READY_TIMEOUT_MS - RUNTIME_TIMEOUT_MS;
	if (ready_ms < DAEMON_READY_TIMEOUT_MS)
		ready_ms = DAEMON_READY_TIMEOUT_MS;
	c->ready_timer = loop_add_timer(d->loop, ready_ms, ready_timeout, c, err);
	if (!c->ready_timer)
		log_warn("container %.12s: %s, no readiness deadline", c->rec.id, err->msg);
	log_debug("container %.12s: spawned shim pid %d", c->rec.id, (int)pid);
	return 0;
}

/* ---- loading ---- */

static void adopt(struct daemon *d, struct daemon_ctr *c, pid_t holder)
{
	struct kerr err;

	if (watch_pidfd(d, c, holder, &err) < 0) {
		log_warn("container %.12s: watch its shim (pid %d): %s", c->rec.id, (int)holder,
			 err.msg);
		return;
	}
	if (shim_connect(d, c, &err) < 0) {
		log_warn("container %.12s: %s; retrying on the next request", c->rec.id, err.msg);
		return;
	}
	log_info("container %.12s: re-adopted its shim (pid %d)", c->rec.id, (int)holder);
}

/* Whether runc still has state for c (<root>/runc/<id>). */
static bool runtime_state_exists(struct daemon *d, const struct daemon_ctr *c)
{
	char path[PATH_MAX];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s", d->runc_root, c->rec.id) >= (int)sizeof(path))
		return true;
	return stat(path, &sb) == 0 || errno != ENOENT;
}

/*
 * bundle/config.json is written without fsync (daemon_write_container): after a crash of
 * the machine it may be missing or empty while record.json, which is durable, is intact.
 * It is derived from the record alone, so it is simply written again.
 */
static void repair_config(struct daemon *d, struct daemon_ctr *c, int dirfd)
{
	struct stat sb;
	struct kerr err;

	if (!c->rec.rootfs ||
	    (fstatat(dirfd, STORE_BUNDLE "/" SPEC_CONFIG, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	     sb.st_size > 0))
		return;
	log_warn("container %.12s: its " STORE_BUNDLE "/" SPEC_CONFIG " is missing or empty "
		 "(a crash before it reached the disk), writing it again",
		 c->rec.id);
	if (daemon_write_container(d, &c->rec, &err) < 0)
		log_error("container %.12s: %s", c->rec.id, err.msg);
}

static int load_one(const char *id, void *data)
{
	struct daemon *d = data;
	struct record rec;
	struct buf text;
	struct kerr err;
	pid_t holder = 0;
	_cleanup_close_ int dirfd = -1;

	if (store_open_container(d->rootfd, id, false, &dirfd, &err) < 0) {
		log_warn("skipping container %.12s: %s", id, err.msg);
		return 0;
	}
	buf_init(&text, RECORD_JSON_MAX + 1);
	record_init(&rec);
	int rc = store_read_file(dirfd, STORE_RECORD, RECORD_JSON_MAX, &text, &err);
	if (rc == 0)
		rc = record_json_decode(&rec, (const char *)text.data, text.len, false, &err);
	buf_done(&text);
	if (rc == 0 && strcmp(rec.id, id) != 0)
		rc = kerr_set(&err, 0, "record.json names container `%.12s`", rec.id);
	if (rc < 0) {
		/* Listed as Dead with the reason, so a person sees it and `rm -f` can remove
		 * it; it keeps no name (a torn one could collide) and is never started. */
		char why[STATUS_ERROR_MAX];

		snprintf(why, sizeof(why), "`%s`: %.480s", STORE_RECORD, err.msg);
		log_warn("container %.12s is broken: %s", id, why);
		record_done(&rec);
		record_init(&rec);
		str_copy(rec.id, sizeof(rec.id), id);
		struct daemon_ctr *b = daemon_ctr_new(d, &rec);
		if (!b || daemon_ctr_add(d, b, &err) < 0) {
			log_error("skipping container %.12s: %s", id,
				  b ? err.msg : "out of memory");
			if (b)
				ctr_free(d, b, "");
			return 0;
		}
		b->broken = true;
		b->st.kind = STATUS_DEAD;
		str_copy(b->st.error, sizeof(b->st.error), why);
		str_copy(b->st.reason, sizeof(b->st.reason), "broken");
		return 0;
	}
	struct daemon_ctr *c = daemon_ctr_new(d, &rec);
	if (!c || daemon_ctr_add(d, c, &err) < 0) {
		log_error("skipping container %.12s: %s", id, c ? err.msg : "out of memory");
		if (c)
			ctr_free(d, c, "");
		record_done(&rec);
		return 0;
	}
	daemon_ctr_refresh(d, c);
	repair_config(d, c, dirfd);
	/* An exited --rm container left behind (the daemon stopped during its removal) is
	 * hidden at once: its name may belong to a newer container already. */
	if (c->rec.auto_remove && c->st.kind == STATUS_EXITED) {
		c->auto_removing = true;
	} else {
		struct daemon_ctr *other = daemon_find_name(d, c->rec.name);

		if (other && other != c) {
			log_warn("skipping container %.12s: its name `%s` is taken by container "
				 "%.12s",
				 id, c->rec.name, other->rec.id);
			daemon_ctr_forget(d, c, "");
			return 0;
		}
	}
	int held = ipc_lock_probe(dirfd, STORE_SHIM_LOCK, &holder, &err);
	if (held < 0)
		log_warn("container %.12s: %s, assuming no shim", id, err.msg);
	if (held == 1 && holder > 0) {
		adopt(d, c, holder);
		return 0;
	}
	if (held == 1)
		log_warn("container %.12s: its shim lock is held by an unknown pid, assuming no "
			 "shim",
			 id);
	if (kind_may_run(c->st.kind)) {
		/* Runtime state left: the shim alone died (its container may run on). None:
		 * the host rebooted, and only docker's boot rule applies. */
		bool rebooted = c->st.kind != STATUS_RESTARTING && !runtime_state_exists(d, c);

		shim_lost(d, c);
		if (rebooted)
			policy_at_boot(d, c);
		else
			policy_after_loss(d, c);
	} else if (c->st.kind == STATUS_CREATED &&
		   ((!c->st.error[0] && c->st.shim_pid > 0) || runtime_state_exists(d, c))) {
		runtime_delete(d, c, true);
	} else if (c->st.kind == STATUS_EXITED) {
		policy_at_boot(d, c);
	}
	if (c->rec.auto_remove && c->st.kind == STATUS_EXITED) {
		if (daemon_ctr_remove(d, c, &err) < 0)
			log_error("%s", err.msg);
	}
	return 0;
}

int daemon_registry_load(struct daemon *d, struct kerr *err)
{
	size_t skipped = 0;

	if (store_each_container(d->rootfd, load_one, d, &skipped, err) < 0)
		return kerr_wrap(err, "load containers");
	if (skipped)
		log_warn("skipped %zu entries of %s/" STORE_CONTAINERS " that are not containers",
			 skipped, d->root);
	return 0;
}
