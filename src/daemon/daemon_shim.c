/*
 * daemon_shim: the daemon's connection to each shim (role, layer 3).
 *
 * Dials a shim's recorded address, checks that the peer is the pid that holds its lock,
 * subscribes to its EVENT stream and asks its state; sends requests with fresh ids kept
 * in the container's pending list; applies what comes back: a SHIM_STATE reply becomes
 * the container's status, events are published (daemon_events.c) and refresh it, other
 * replies complete their request (daemon_lifecycle.c). A lost connection fails the
 * requests in flight on it while the shim lives; a dead shim is daemon_death.c's.
 * Never blocks.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/daemon.h"
#include "base/fd.h"
#include "base/json.h"
#include "base/log.h"
#include "store/store.h"

#define EVENT_TOKENS	64   /* tokens of one shim EVENT document */
#define EVENT_TYPE_MAX	32   /* bytes of an event's "type" */
#define EVENT_ATTRS_MAX 2048 /* bytes of the attributes forwarded from a shim event */

static void shim_on_frame(struct rpc_conn *conn, const struct wire_frame *f, void *data);
static void shim_on_close(struct rpc_conn *conn, const struct kerr *why, void *data);

static const struct rpc_conn_ops shim_ops = {
	.on_frame = shim_on_frame,
	.on_close = shim_on_close,
};

static struct daemon_pend *pend_find(struct daemon_ctr *c, uint32_t shim_reqid)
{
	for (struct daemon_pend *p = c->pend; p; p = p->next)
		if (p->shim_reqid == shim_reqid)
			return p;
	return NULL;
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
int daemon_shim_connect(struct daemon *d, struct daemon_ctr *c, struct kerr *err)
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
		if (daemon_shim_connect(d, c, err) < 0)
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
		daemon_lifecycle_exited(d, c);
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
		if (!daemon_lifecycle_shim_reply(d, c, p, f))
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
				 * readable: keep the removal, daemon_lifecycle_shim_gone finishes it
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
	daemon_death_check_gone(d, c);
}
