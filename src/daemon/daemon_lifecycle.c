/*
 * daemon_lifecycle: START STOP KILL REMOVE WAIT, and what every pending request becomes
 * (role, layer 3).
 *
 * Slow work goes to the container's shim with a fresh request id kept in the container's
 * pending list (shim reqid -> client conn id + client reqid); when the shim reports ready,
 * answers, or dies, or the container exits, the completion functions below reply to the
 * client if it is still connected. Never blocks.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/daemon.h"
#include "base/log.h"
#include "ipc/request.h"
#include "base/str.h"

#define SIGNAL_MAX 64 /* highest signal number */

#define STOP_TIMEOUT_MAX_MS (24ull * 3600 * 1000) /* longest grace period a STOP may ask */

/* request.c checks every request against the same limits before a handler runs. */
_Static_assert(SIGNAL_MAX == REQUEST_SIGNAL_MAX, "signal cap differs from request.c's");
_Static_assert(STOP_TIMEOUT_MAX_MS == REQUEST_STOP_TIMEOUT_MAX_MS, "differs from request.c's");

static bool being_removed(const struct daemon_ctr *c)
{
	return c->removing || c->auto_removing;
}

/* ---- START ---- */

/* Sends SHIM_START for p, sharing one already in flight. */
static int send_start(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
		      struct kerr *err)
{
	for (struct daemon_pend *q = c->pend; q; q = q->next) {
		if (q != p && q->kind == DAEMON_PEND_START && q->shim_reqid) {
			p->shim_reqid = q->shim_reqid;
			return 0;
		}
	}
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_START };
	return daemon_shim_send(d, c, &req, &p->shim_reqid, err);
}

void daemon_lifecycle_start(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_api_resolve_ref(d, conn, f);
	uint32_t prepare = 0;
	struct kerr err;

	if (!c)
		return;
	if (daemon_api_get_flag(f, WIRE_F_PREPARE, &prepare, &err) < 0) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (being_removed(c)) {
		kerr_set(&err, 0, "container `%.12s` is being removed", c->rec.id);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (c->broken) {
		kerr_set(&err, 0, "container `%.12s` is broken (%s): remove it with rm -f",
			 c->rec.id, c->st.error);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	/* PREPARE (start -a of a container that has no shim): set it up so the client can
	 * attach before anything runs, exactly as for a freshly created one. */
	if (daemon_ctr_running(c) ||
	    (prepare && daemon_ctr_shim_alive(c) && c->st.kind == STATUS_CREATED)) {
		rpc_conn_send_ok(conn, f->reqid);
		return;
	}
	struct daemon_pend *p = daemon_pend_add(c, prepare ? DAEMON_PEND_CREATE : DAEMON_PEND_START,
						0, rpc_conn_id(conn), f->reqid, &err);
	if (!p) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_spawning(c))
		return; /* daemon_lifecycle_spawned sends SHIM_START, or answers a PREPARE */
	int rc = 0;
	if (!prepare && daemon_ctr_shim_alive(c) && c->st.kind == STATUS_CREATED) {
		rc = send_start(d, c, p, &err);
	} else if (c->shim_pid > 0) {
		/* The last shim is winding down: daemon_lifecycle_shim_gone spawns the next one. */
	} else {
		log_info("container %.12s: starting a new shim", c->rec.id);
		rc = daemon_spawn_shim(d, c, &err);
	}
	if (rc < 0) {
		daemon_pend_drop(c, p);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	}
}

/* ---- STOP, KILL ---- */

void daemon_lifecycle_stop(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_api_resolve_ref(d, conn, f);
	uint64_t timeout = DAEMON_STOP_TIMEOUT_MS;
	struct kerr err;

	if (!c)
		return;
	if (wire_get_u64(f, WIRE_F_TIMEOUT_MS, false, &timeout, &err) < 0) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (timeout > STOP_TIMEOUT_MAX_MS) {
		kerr_set(&err, 0, "stop timeout %llu ms exceeds the limit of %llu ms",
			 (unsigned long long)timeout, STOP_TIMEOUT_MAX_MS);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	/* A shim between an exit and its restart may look exited: it is told all the same,
	 * or it would restart the container after the OK. */
	bool supervised = daemon_ctr_shim_alive(c) && !daemon_ctr_spawning(c) &&
			  c->rec.restart.policy != RESTART_NO;
	if (!daemon_ctr_running(c) && !supervised) {
		rpc_conn_send_ok(conn, f->reqid); /* docker: stopping a stopped one is fine */
		return;
	}
	struct daemon_shim_req req = {
		.type = WIRE_T_SHIM_STOP,
		.signal = SIGTERM,
		.timeout_ms = timeout ? timeout : 1,
	};
	uint32_t reqid;
	daemon_events_publish(d, c, "stop", 0, NULL);
	if (daemon_shim_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_STOP, reqid, rpc_conn_id(conn), f->reqid, &err))
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

void daemon_lifecycle_kill(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_api_resolve_ref(d, conn, f);
	uint32_t sig = SIGKILL;
	struct kerr err;

	if (!c)
		return;
	if (wire_get_u32(f, WIRE_F_SIGNAL, false, &sig, &err) < 0) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (sig == 0 || sig > SIGNAL_MAX) {
		kerr_set(&err, 0, "signal %u is out of range, expected 1..%d", sig, SIGNAL_MAX);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (!daemon_ctr_running(c)) {
		kerr_set(&err, 0, "container `%.12s` is not running", c->rec.id);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_KILL, .signal = sig };
	uint32_t reqid;
	char attrs[32];
	snprintf(attrs, sizeof(attrs), "\"signal\":%u", sig);
	daemon_events_publish(d, c, "kill", 0, attrs);
	if (daemon_shim_send(d, c, &req, &reqid, &err) < 0 ||
	    !daemon_pend_add(c, DAEMON_PEND_KILL, reqid, rpc_conn_id(conn), f->reqid, &err))
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

/* ---- REMOVE ---- */

/* Removes c now and answers the remove request and every waiter. */
static void remove_now(struct daemon *d, struct daemon_ctr *c, uint64_t client, uint32_t reqid)
{
	struct kerr err;
	int rc = daemon_ctr_remove(d, c, &err);

	if (!client)
		return;
	if (rc < 0)
		daemon_reply_error(client, reqid, DAEMON_FAIL_CODE, err.msg);
	else
		daemon_reply_ok(client, reqid);
}

void daemon_lifecycle_remove(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_api_resolve_ref(d, conn, f);
	uint32_t force = 0;
	struct kerr err;

	if (!c)
		return;
	if (daemon_api_get_flag(f, WIRE_F_FORCE, &force, &err) < 0) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_running(c) && !force) {
		kerr_set(&err, 0,
			 "cannot remove running container `%.12s`: stop it first or use "
			 "--force",
			 c->rec.id);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (daemon_ctr_spawning(c)) {
		kerr_set(&err, 0, "container `%.12s` is being created: try again once it is",
			 c->rec.id);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (c->shim_pid == 0) {
		remove_now(d, c, rpc_conn_id(conn), f->reqid);
		return;
	}
	/* A shim deletes its container and exits; the directory goes after it. */
	struct daemon_pend *p =
		daemon_pend_add(c, DAEMON_PEND_REMOVE, 0, rpc_conn_id(conn), f->reqid, &err);
	if (!p) {
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
		return;
	}
	if (being_removed(c))
		return; /* joins the removal in progress */
	if (!daemon_ctr_shim_alive(c) || c->st.kind == STATUS_DEAD) {
		c->removing = true;
		return;
	}
	/* DELETE even right after an exit: the shim may be about to restart the container
	 * (its policy decides once the exit is recorded), and a DELETE ends that; a shim that
	 * is winding down answers it at once (or has closed its socket: see below). */
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_DELETE, .force = force != 0 };
	if (daemon_shim_send(d, c, &req, &p->shim_reqid, &err) < 0) {
		if (c->st.kind == STATUS_EXITED) {
			/* Winding down after an exit or a failed create: it is about to exit. */
			p->shim_reqid = 0;
			c->removing = true;
			return;
		}
		daemon_pend_drop(c, p);
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
	}
}

/* ---- WAIT ---- */

static bool has_exited(const struct daemon_ctr *c)
{
	return c->st.kind == STATUS_EXITED || c->st.kind == STATUS_DEAD;
}

void daemon_lifecycle_wait(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_ctr *c = daemon_api_resolve_ref(d, conn, f);
	struct kerr err;

	(void)d;
	if (!c)
		return;
	/* With --rm the answer waits for the exit, when the container is hidden at once
	 * (daemon_lifecycle_exited), so a waiter never sees it linger. */
	if (has_exited(c) && !c->rec.auto_remove && !daemon_ctr_spawning(c)) {
		daemon_reply_exit(rpc_conn_id(conn), f->reqid, c->st.exit_code);
		return;
	}
	if (!daemon_pend_add(c, DAEMON_PEND_WAIT, 0, rpc_conn_id(conn), f->reqid, &err))
		daemon_api_reply_error(conn, f->reqid, DAEMON_FAIL_CODE, &err);
}

/* Answers every WAIT on c with its exit code. */
static void answer_waiters(struct daemon_ctr *c)
{
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->kind != DAEMON_PEND_WAIT)
			continue;
		daemon_reply_exit(p->client, p->client_reqid, c->st.exit_code);
		daemon_pend_drop(c, p);
	}
}

/* ---- completions ---- */

void daemon_lifecycle_spawned(struct daemon *d, struct daemon_ctr *c, bool ok, uint32_t code,
			      const char *msg)
{
	struct kerr err;

	if (!ok && c->rec.auto_remove) {
		/* --rm: gone before anyone hears of the failure, so nothing lingers. */
		struct daemon_pend *list = c->pend;
		char fail[KERR_MSG_MAX];

		str_copy(fail, sizeof(fail), msg);
		c->pend = NULL;
		c->npend = 0;
		if (daemon_ctr_remove(d, c, &err) < 0)
			log_error("%s", err.msg);
		while (list) {
			struct daemon_pend *p = list;

			list = p->next;
			if (p->client && p->kind == DAEMON_PEND_WAIT)
				daemon_reply_exit(p->client, p->client_reqid, (int)code);
			else if (p->client)
				daemon_reply_error(p->client, p->client_reqid, code, fail);
			free(p);
		}
		return;
	}
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->shim_reqid)
			continue;
		if (p->kind == DAEMON_PEND_CREATE) {
			struct rpc_conn *conn = rpc_conn_find(p->client);

			if (conn && ok) {
				struct wire_enc e;

				wire_enc_begin(&e, rpc_conn_txbuf(conn), WIRE_T_OK, p->client_reqid,
					       0);
				wire_enc_str(&e, WIRE_F_ID, c->rec.id);
				wire_enc_str(&e, WIRE_F_NAME, c->rec.name);
				if (wire_enc_end(&e, &err) == 0)
					rpc_conn_send(conn);
			} else if (conn) {
				rpc_conn_send_error(conn, p->client_reqid, code, msg);
			}
			daemon_pend_drop(c, p);
		} else if (p->kind == DAEMON_PEND_START) {
			if (!ok) {
				daemon_reply_error(p->client, p->client_reqid, code, msg);
				daemon_pend_drop(c, p);
			} else if (send_start(d, c, p, &err) < 0) {
				daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE,
						   err.msg);
				daemon_pend_drop(c, p);
			}
		}
	}
}

bool daemon_lifecycle_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
				 const struct wire_frame *f)
{
	bool ok = f->type == WIRE_T_OK;
	uint32_t code = DAEMON_FAIL_CODE;
	char msg[KERR_MSG_MAX] = "";
	struct kerr err;

	if (!ok) {
		if (wire_get_u32(f, WIRE_F_CODE, false, &code, &err) < 0 || code == 0 || code > 255)
			code = DAEMON_FAIL_CODE;
		if (wire_get_str(f, WIRE_F_MSG, false, msg, sizeof(msg), &err) < 0 || !msg[0])
			snprintf(msg, sizeof(msg), "the shim of `%.12s` failed without a message",
				 c->rec.id);
	}
	switch (p->kind) {
	case DAEMON_PEND_START:
		if (ok) {
			daemon_ctr_refresh(d, c);
			if (c->st.kind == STATUS_CREATED)
				c->st.kind = STATUS_RUNNING;
		}
		break;
	case DAEMON_PEND_STOP:
	case DAEMON_PEND_KILL:
		if (ok)
			daemon_ctr_refresh(d, c);
		break;
	case DAEMON_PEND_REMOVE:
		if (ok) {
			/* The shim deleted its container and exits: remove once it is gone. */
			c->removing = true;
			p->shim_reqid = 0;
			return true;
		}
		break;
	case DAEMON_PEND_PAUSE:
	case DAEMON_PEND_UPDATE:
		return daemon_ops_shim_reply(d, c, p, f);
	default:
		break;
	}
	if (ok)
		daemon_reply_ok(p->client, p->client_reqid);
	else
		daemon_reply_error(p->client, p->client_reqid, code, msg);
	daemon_pend_drop(c, p);
	return true;
}

void daemon_lifecycle_exited(struct daemon *d, struct daemon_ctr *c)
{
	struct kerr err;

	if (!c->rec.auto_remove) {
		answer_waiters(c);
		return;
	}
	if (c->auto_removing)
		return;
	/*
	 * --rm: the exit code is on disk (the shim wrote exit.json durably before its exit
	 * event), so the container is finished for every client now: it is hidden (names,
	 * references, LIST) and its waiters, `kettle run --rm` among them, are answered at
	 * once. `runc delete`, the shim's exit and the directory's removal go on in the
	 * background (daemon_lifecycle_shim_gone); a daemon stopped before that finishes removes
	 * the leftover when it loads the root again.
	 */
	c->auto_removing = true;
	answer_waiters(c);
	/* The shim exits by itself after its exit; DELETE makes sure it does not linger. */
	struct daemon_shim_req req = { .type = WIRE_T_SHIM_DELETE, .force = true };
	uint32_t reqid;
	if (daemon_shim_send(d, c, &req, &reqid, &err) == 0)
		daemon_pend_add(c, DAEMON_PEND_INTERNAL, reqid, 0, 0, &err);
}

/* STARTs that waited for the previous shim to go: spawn the next one now. */
static void start_queued(struct daemon *d, struct daemon_ctr *c)
{
	struct kerr err;
	bool queued = false;

	for (struct daemon_pend *p = c->pend; p; p = p->next)
		queued |= (p->kind == DAEMON_PEND_START || p->kind == DAEMON_PEND_CREATE) &&
			  !p->shim_reqid;
	if (!queued || daemon_ctr_spawning(c))
		return;
	log_info("container %.12s: starting a new shim", c->rec.id);
	if (daemon_spawn_shim(d, c, &err) == 0)
		return;
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if ((p->kind != DAEMON_PEND_START && p->kind != DAEMON_PEND_CREATE) ||
		    p->shim_reqid)
			continue;
		daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE, err.msg);
		daemon_pend_drop(c, p);
	}
}

void daemon_lifecycle_shim_gone(struct daemon *d, struct daemon_ctr *c)
{
	bool remove = c->removing || c->auto_removing ||
		      (c->rec.auto_remove && c->st.kind == STATUS_EXITED);
	uint64_t remover = 0;
	uint32_t remover_reqid = 0;

	/* Requests the shim never answered. */
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->kind == DAEMON_PEND_REMOVE) {
			remove = true;
			continue;
		}
		if (!p->shim_reqid)
			continue;
		if (p->kind == DAEMON_PEND_STOP)
			daemon_reply_ok(p->client, p->client_reqid);
		else if (p->client)
			daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE,
					   "the container's shim exited before answering");
		daemon_pend_drop(c, p);
	}
	if (!remove) {
		if (has_exited(c))
			answer_waiters(c);
		start_queued(d, c);
		return;
	}
	/* Answer the removers after the removal; waiters get the exit code from forget. */
	struct daemon_pend *removers = NULL;
	for (struct daemon_pend *p = c->pend, *next; p; p = next) {
		next = p->next;
		if (p->kind != DAEMON_PEND_REMOVE)
			continue;
		if (!remover) {
			remover = p->client;
			remover_reqid = p->client_reqid;
			daemon_pend_drop(c, p);
			continue;
		}
		/* Unlink by hand to keep it: later removers get the same answer. */
		struct daemon_pend **pp = &c->pend;
		while (*pp != p)
			pp = &(*pp)->next;
		*pp = p->next;
		c->npend--;
		p->next = removers;
		removers = p;
	}
	struct kerr err;
	int rc = daemon_ctr_remove(d, c, &err);
	if (rc < 0)
		log_error("%s", err.msg);
	if (remover) {
		if (rc < 0)
			daemon_reply_error(remover, remover_reqid, DAEMON_FAIL_CODE, err.msg);
		else
			daemon_reply_ok(remover, remover_reqid);
	}
	while (removers) {
		struct daemon_pend *p = removers;

		removers = p->next;
		if (rc < 0)
			daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE, err.msg);
		else
			daemon_reply_ok(p->client, p->client_reqid);
		free(p);
	}
}
