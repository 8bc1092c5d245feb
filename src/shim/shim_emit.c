/*
 * shim_emit: the shim's events to its EVENTS subscribers (role layer, bottom band).
 *
 * start, exit, oom, restart, pause, health_status: one JSON document per event, sent as
 * an EVENT frame to every subscriber (the daemon). Events emitted before the first
 * subscription (a restart's start can finish before the daemon has connected) are held
 * for that first subscriber, at most SHIM_EARLY_EVENTS_MAX bytes. Bottom band: calls only
 * shim_wait and shim_reply of the role; an event that cannot be built is logged, never an
 * error of its caller.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/json_w.h"
#include "base/log.h"
#include "ipc/wire.h"
#include "shim/shim_emit.h"
#include "shim/shim_reply.h"
#include "shim/shim_wait.h"

/* Longest JSON event text. */
#define EVENT_JSON_MAX 512

/* One EVENT frame to one subscriber. */
static void send_event(struct rpc_conn *c, uint32_t reqid, const char *json)
{
	struct wire_enc e;
	struct kerr err;

	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_EVENT, reqid, 0);
	wire_enc_str(&e, WIRE_F_JSON, json);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

/* Keeps an event for the first subscriber; the oldest stay, later ones are dropped once
 * SHIM_EARLY_EVENTS_MAX bytes are held (a daemon that never subscribes costs no more). */
static void hold_event(struct shim *sh, const char *json)
{
	size_t n = strlen(json) + 1;

	if (!sh->early_events && !(sh->early_events = malloc(SHIM_EARLY_EVENTS_MAX)))
		return;
	if (sh->early_len + n > SHIM_EARLY_EVENTS_MAX) {
		log_warn("no event subscriber yet and %u bytes of events held: dropping one",
			 SHIM_EARLY_EVENTS_MAX);
		return;
	}
	memcpy(sh->early_events + sh->early_len, json, n);
	sh->early_len += n;
}

void shim_emit_subscribe(struct shim *sh, struct rpc_conn *c, uint32_t reqid)
{
	if (!shim_wait_add(sh, SHIM_W_EVENTS, rpc_conn_id(c), reqid, 0))
		return;
	if (sh->subscribed)
		return;
	sh->subscribed = true;
	for (size_t off = 0; off < sh->early_len;) {
		const char *json = sh->early_events + off;

		send_event(c, reqid, json);
		off += strlen(json) + 1;
	}
	free(sh->early_events);
	sh->early_events = NULL;
	sh->early_len = 0;
}

/* Pushes EVENT{JSON} to every EVENTS subscriber (held while there is none yet). */
static void push_event(struct shim *sh, const char *json)
{
	if (!sh->subscribed)
		hold_event(sh, json);
	for (size_t i = 0; i < sh->nwaiters; i++) {
		struct shim_waiter *w = &sh->waiters[i];
		struct rpc_conn *c;

		if (w->kind == SHIM_W_EVENTS && (c = shim_reply_conn(w->conn)))
			send_event(c, w->reqid, json);
	}
}

void shim_emit_event(struct shim *sh, const char *type, const struct shim_emit_attr *attrs,
		     const char *reason)
{
	char ts[CLOCK_RFC3339NANO_LEN + 1];
	struct json_w w;
	struct buf b;
	struct kerr err;

	clock_format_rfc3339nano(clock_wall_ns(), ts);
	buf_init(&b, EVENT_JSON_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "type");
	json_w_str(&w, type);
	json_w_key(&w, "time");
	json_w_str(&w, ts);
	for (; attrs && attrs->key; attrs++) {
		json_w_key(&w, attrs->key);
		json_w_i64(&w, attrs->value);
	}
	if (reason && reason[0]) {
		json_w_key(&w, "reason");
		json_w_str(&w, reason);
	}
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0 || buf_append(&b, "", 1, &err) < 0)
		log_warn("event `%s`: %s, not sent", type, err.msg);
	else
		push_event(sh, (const char *)b.data);
	buf_done(&b);
}
