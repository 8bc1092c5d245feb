/*
 * daemon_watch: everything a shim sends, fed to the handlers (role, layer 3; top band of
 * the daemon, the shim-side dispatcher). The loop callbacks live here: a spawning shim's
 * ready pipe (one frame, OK with the container's pid or ERROR with a code and message; EOF
 * first is a failure), its pidfd, and its connection's frames and close: SHIM_STATE
 * replies become the status, events are published and refresh it, other replies complete
 * their request. A shim counts as gone once its pidfd is readable and its pipe and
 * connection are closed. Calls the middle band (completions, daemon_ops, daemon_death,
 * daemon_shimlink) and the bottom; never daemon_api.c or daemon.c. Never blocks.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "daemon/daemon_watch.h"
#include "daemon/daemon_complete.h"
#include "daemon/daemon_death.h"
#include "daemon/daemon_events.h"
#include "daemon/daemon_ops.h"
#include "daemon/daemon_registry.h"
#include "daemon/daemon_reply.h"
#include "daemon/daemon_shimlink.h"
#include "base/fd.h"
#include "store/ids.h"
#include "base/json.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "base/str.h"

#define READ_CHUNK	4096 /* bytes read from a ready pipe per call */
#define GONE_GRACE_MS	2000 /* dead shim whose socket stays open: closed after this */
#define EVENT_TOKENS	64   /* tokens of one shim EVENT document */
#define EVENT_TYPE_MAX	32   /* bytes of an event's "type" */
#define EVENT_ATTRS_MAX 2048 /* bytes of the attributes forwarded from a shim event */

static void shim_on_frame(struct rpc_conn *conn, const struct wire_frame *f, void *data);
static void shim_on_close(struct rpc_conn *conn, const struct kerr *why, void *data);

static const struct rpc_conn_ops shim_ops = {
	.on_frame = shim_on_frame,
	.on_close = shim_on_close,
};

/* The shim may be fully gone now: settle c (daemon_death.c), then complete its requests. */
static void check_gone(struct daemon *d, struct daemon_ctr *c)
{
	if (daemon_death_check_gone(d, c))
		daemon_complete_shim_gone(d, c);
}

/* ---- the ready pipe of a spawning shim ---- */

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

/* The spawn failed: record the error the way the shim does and complete the requests. */
static void ready_failed(struct daemon *d, struct daemon_ctr *c, uint32_t code, const char *msg)
{
	ready_close(d, c);
	if (c->shim_pid > 0)
		c->shim_exiting = true; /* it writes its state and exits by itself */
	if (!daemon_registry_kind_may_run(c->st.kind)) {
		c->st.kind = STATUS_CREATED;
		c->st.pid = 0;
		c->st.exit_code = (int)code;
		str_copy(c->st.error, sizeof(c->st.error), msg);
		str_copy(c->st.reason, sizeof(c->st.reason), "create failed");
	}
	log_info("container %.12s: create failed: %s", c->rec.id, msg);
	char id[IDS_ID_LEN + 1];
	str_copy(id, sizeof(id), c->rec.id);
	daemon_complete_spawned(d, c, false, code, msg);
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
	if (daemon_shimlink_connect(d, c, &err) < 0) {
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
	daemon_complete_spawned(d, c, true, 0, NULL);
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

/* ---- the pidfd: the shim has exited ---- */

static void gone_timeout(struct loop *l, void *data)
{
	struct daemon_ctr *c = data;
	struct rpc_conn *conn = rpc_conn_find(c->shim_conn);

	(void)l;
	c->gone_timer = 0;
	if (conn) {
		log_warn("container %.12s: its shim died but its socket stayed open, closing it",
			 c->rec.id);
		rpc_conn_close(conn); /* shim_on_close runs check_gone */
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

/* ---- the shim connection: its frames and its close ---- */

static struct daemon_pend *pend_find(struct daemon_ctr *c, uint32_t shim_reqid)
{
	for (struct daemon_pend *p = c->pend; p; p = p->next)
		if (p->shim_reqid == shim_reqid)
			return p;
	return NULL;
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
		daemon_complete_exited(d, c);
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
		bool kept = p->kind == DAEMON_PEND_PAUSE || p->kind == DAEMON_PEND_UPDATE
				    ? daemon_ops_shim_reply(d, c, p, f)
				    : daemon_complete_shim_reply(d, c, p, f);
		if (!kept)
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
				 * readable: keep the removal, daemon_complete_shim_gone finishes it
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

void daemon_watch_init(struct daemon *d)
{
	d->shim_cbs = (struct daemon_shim_cbs){
		.on_ready = on_ready,
		.on_pidfd = on_pidfd,
		.conn = &shim_ops,
	};
}
