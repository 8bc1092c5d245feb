/*
 * daemon_complete: what every pending request becomes (role, layer 3; middle band of the
 * daemon). When a spawning shim reports ready, a shim answers a request, the container
 * exits or the shim is gone, daemon_watch.c (the top band, which received the event) calls
 * the completion here: it answers the clients still connected, in the order they asked,
 * sends the next step to the shim or spawns the next shim. Calls only daemon_shimlink,
 * daemon_spawn and the bottom band; never a handler or a dispatcher. Never blocks.
 */
#include <stdio.h>
#include <stdlib.h>

#include "daemon/daemon_complete.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_shimlink.h"
#include "daemon/daemon_spawn.h"
#include "base/log.h"
#include "base/str.h"

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

void daemon_complete_spawned(struct daemon *d, struct daemon_ctr *c, bool ok, uint32_t code,
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
			} else if (daemon_shimlink_start(d, c, p, &err) < 0) {
				daemon_reply_error(p->client, p->client_reqid, DAEMON_FAIL_CODE,
						   err.msg);
				daemon_pend_drop(c, p);
			}
		}
	}
}

bool daemon_complete_shim_reply(struct daemon *d, struct daemon_ctr *c, struct daemon_pend *p,
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

void daemon_complete_exited(struct daemon *d, struct daemon_ctr *c)
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
	 * background (daemon_complete_shim_gone); a daemon stopped before that finishes removes
	 * the leftover when it loads the root again.
	 */
	c->auto_removing = true;
	answer_waiters(c);
	/* The shim exits by itself after its exit; DELETE makes sure it does not linger. */
	struct daemon_shimlink_req req = { .type = WIRE_T_SHIM_DELETE, .force = true };
	uint32_t reqid;
	if (daemon_shimlink_send(d, c, &req, &reqid, &err) == 0)
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

void daemon_complete_shim_gone(struct daemon *d, struct daemon_ctr *c)
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
		if (daemon_ctr_has_exited(c))
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
