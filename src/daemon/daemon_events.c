/*
 * daemon_events: the daemon's event stream (role, layer 3; bottom band of the daemon: every
 * band publishes, and daemon_api.c routes EVENTS subscriptions here). Every container event
 * (the daemon's own: create, stop, destroy, die; its shims': start, exit, restart) is kept
 * in a ring of DAEMON_EVENTS_HISTORY entries and fanned out to `kettle events` subscribers
 * as EVENT{JSON} frames; a subscription replays the history since SINCE, then follows until
 * UNTIL (a loop timer) or the daemon's stop (END to everyone). Memory is bounded; a
 * subscriber more than IPC_TX_MAX/2 behind is ended, never waited for; nothing blocks.
 * Calls no other daemon file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "daemon/daemon_events.h"
#include "store/ids.h"
#include "base/json_w.h"
#include "base/log.h"
#include "ipc/reqbody.h"
#include "ipc/request.h"
#include "base/str.h"

#define EVENT_JSON_MAX 2048 /* one event document (bytes) */
#define EVENT_TYPE_MAX 16   /* bytes of an event type */

_Static_assert(REQBODY_FILTER_TEXT_MAX == REQUEST_FILTER_MAX + 1,
	       "FILTER cap differs from request.c's");

struct event {
	int64_t ns;		     /* when, wall clock ns */
	char id[IDS_ID_LEN + 1];     /* container id */
	char name[IDS_NAME_MAX + 1]; /* its name then */
	char type[EVENT_TYPE_MAX];   /* "create", "start", "exit", … */
	char *json;		     /* owned; the document subscribers receive */
};

struct sub {
	uint64_t conn;			/* rpc conn id of the subscriber */
	uint32_t reqid;			/* its EVENTS request id */
	int64_t until;			/* ns; 0 = follow until the daemon stops */
	uint64_t timer;			/* UNTIL timer id, or 0 */
	struct reqbody_filters filters; /* all keys must match, any value of a key */
	struct daemon_events *ev;	/* back pointer for the timer; borrowed */
};

struct daemon_events {
	struct daemon *d;			  /* borrowed */
	struct event ring[DAEMON_EVENTS_HISTORY]; /* oldest at (head + n) % size … */
	size_t head;				  /* next slot written */
	size_t n;				  /* entries in use */
	struct sub *subs[DAEMON_EVENTS_SUBS];	  /* owned; live subscriptions */
	size_t nsubs;				  /* used entries of subs */
};

int daemon_events_init(struct daemon *d, struct kerr *err)
{
	d->events = calloc(1, sizeof(*d->events));
	if (!d->events)
		return kerr_set(err, ENOMEM, "allocate the event history");
	d->events->d = d;
	return 0;
}

/* ---- subscribers ---- */

static bool filter_match(const struct sub *s, const struct event *e)
{
	bool have[2] = { false, false }, hit[2] = { false, false };

	for (size_t i = 0; i < s->filters.n; i++) {
		const struct reqbody_filter *f = &s->filters.f[i];
		bool m;

		if (f->key == REQBODY_FILTER_CONTAINER)
			m = strcmp(f->value, e->name) == 0 ||
			    (ids_is_id_prefix(f->value) &&
			     strncmp(e->id, f->value, strlen(f->value)) == 0);
		else
			m = strcmp(f->value, e->type) == 0;
		have[f->key] = true;
		hit[f->key] |= m;
	}
	return (!have[0] || hit[0]) && (!have[1] || hit[1]);
}

/* END (with msg when not NULL) to the subscriber; the entry is freed by the caller. */
static void send_end(const struct sub *s, const char *msg)
{
	struct rpc_conn *c = rpc_conn_find(s->conn);
	struct wire_enc e;
	struct kerr err;

	if (!c)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_END, s->reqid, 0);
	if (msg)
		wire_enc_str(&e, WIRE_F_MSG, msg);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

static void sub_free(struct daemon_events *ev, struct sub *s)
{
	if (s->timer)
		loop_cancel_timer(ev->d->loop, s->timer);
	free(s);
}

static void sub_drop(struct daemon_events *ev, size_t i, const char *msg)
{
	struct sub *s = ev->subs[i];

	send_end(s, msg);
	ev->subs[i] = ev->subs[--ev->nsubs];
	sub_free(ev, s);
}

/* Sends e to s. Returns false when s must be dropped (gone or too slow). */
static bool send_event(const struct sub *s, const struct event *e)
{
	struct rpc_conn *c = rpc_conn_find(s->conn);
	struct wire_enc enc;
	struct kerr err;

	if (!c)
		return false;
	if (rpc_conn_pending(c) > IPC_TX_MAX / 2)
		return false;
	wire_enc_begin(&enc, rpc_conn_txbuf(c), WIRE_T_EVENT, s->reqid, 0);
	wire_enc_str(&enc, WIRE_F_JSON, e->json);
	if (wire_enc_end(&enc, &err) < 0)
		return false;
	return rpc_conn_send(c) == 0;
}

static void until_timeout(struct loop *l, void *data)
{
	struct sub *s = data;
	struct daemon_events *ev = s->ev;

	(void)l;
	s->timer = 0;
	for (size_t i = 0; i < ev->nsubs; i++)
		if (ev->subs[i] == s) {
			sub_drop(ev, i, NULL);
			return;
		}
}

/* ---- publishing ---- */

void daemon_events_publish(struct daemon *d, const struct daemon_ctr *c, const char *type,
			   int64_t ns, const char *attrs)
{
	struct daemon_events *ev = d->events;
	char stamp[CLOCK_RFC3339NANO_LEN + 1];
	struct json_w w;
	struct buf b;
	struct kerr err;

	if (!ev)
		return;
	if (ns <= 0)
		ns = clock_wall_ns();
	clock_format_rfc3339nano(ns, stamp);
	buf_init(&b, EVENT_JSON_MAX);
	json_w_init(&w, &b);
	json_w_obj_begin(&w);
	json_w_key(&w, "time");
	json_w_str(&w, stamp);
	json_w_key(&w, "type");
	json_w_str(&w, type);
	json_w_key(&w, "id");
	json_w_str(&w, c->rec.id);
	json_w_key(&w, "name");
	json_w_str(&w, c->rec.name);
	json_w_obj_end(&w);
	if (json_w_end(&w, &err) < 0) {
		log_warn("event `%s` of %.12s: %s, dropped", type, c->rec.id, err.msg);
		buf_done(&b);
		return;
	}
	/* Splice the attributes in before the closing brace; they come from our own code
	 * or from a shim's document that json_parse accepted, member by member. */
	if (attrs && attrs[0]) {
		b.len--;
		if (buf_append_str(&b, ",", &err) < 0 || buf_append_str(&b, attrs, &err) < 0 ||
		    buf_append_str(&b, "}", &err) < 0) {
			log_warn("event `%s` of %.12s: %s, dropped", type, c->rec.id, err.msg);
			buf_done(&b);
			return;
		}
	}
	char *json = strndup((const char *)b.data, b.len);
	buf_done(&b);
	if (!json) {
		log_warn("event `%s` of %.12s: out of memory, dropped", type, c->rec.id);
		return;
	}
	struct event *e = &ev->ring[ev->head];
	free(e->json);
	*e = (struct event){ .ns = ns, .json = json };
	str_copy(e->id, sizeof(e->id), c->rec.id);
	str_copy(e->name, sizeof(e->name), c->rec.name);
	/* docker: `--filter event=health_status` matches "health_status: healthy". */
	str_copyn(e->type, sizeof(e->type), type, strcspn(type, ":"));
	ev->head = (ev->head + 1) % DAEMON_EVENTS_HISTORY;
	if (ev->n < DAEMON_EVENTS_HISTORY)
		ev->n++;
	log_debug("event %s", json);
	size_t i = 0;
	while (i < ev->nsubs) {
		struct sub *s = ev->subs[i];

		if (s->until && ns > s->until) {
			i++;
			continue;
		}
		if (filter_match(s, e) && !send_event(s, e)) {
			sub_drop(ev, i, "events dropped: the reader fell too far behind");
			continue;
		}
		i++;
	}
}

/* ---- subscribing ---- */

void daemon_events_subscribe(struct daemon *d, struct rpc_conn *conn, const struct wire_frame *f)
{
	struct daemon_events *ev = d->events;
	char filter[REQBODY_FILTER_TEXT_MAX] = "";
	uint64_t since = 0, until = 0;
	struct kerr err;
	int64_t now = clock_wall_ns();

	if (wire_get_u64(f, WIRE_F_SINCE, false, &since, &err) < 0 ||
	    wire_get_u64(f, WIRE_F_UNTIL, false, &until, &err) < 0 ||
	    wire_get_str(f, WIRE_F_FILTER, false, filter, sizeof(filter), &err) < 0) {
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	if (since > INT64_MAX || until > INT64_MAX) {
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE,
				    "SINCE and UNTIL must be at most 2^63-1 ns");
		return;
	}
	if (!ev || ev->nsubs == DAEMON_EVENTS_SUBS) {
		char msg[96];

		snprintf(msg, sizeof(msg), "too many event streams open, limit %d",
			 DAEMON_EVENTS_SUBS);
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE, msg);
		return;
	}
	struct sub *s = calloc(1, sizeof(*s));
	if (!s) {
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE, "out of memory");
		return;
	}
	*s = (struct sub){
		.conn = rpc_conn_id(conn), .reqid = f->reqid, .until = (int64_t)until, .ev = ev
	};
	if (reqbody_parse_filters(filter, &s->filters, &err) < 0) {
		free(s);
		kerr_wrap(&err, "events --filter");
		rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE, err.msg);
		return;
	}
	/* The history first, oldest first: only with SINCE, as docker does. */
	bool alive = true;
	if (since) {
		size_t first = (ev->head + DAEMON_EVENTS_HISTORY - ev->n) % DAEMON_EVENTS_HISTORY;

		for (size_t k = 0; k < ev->n && alive; k++) {
			const struct event *e = &ev->ring[(first + k) % DAEMON_EVENTS_HISTORY];

			if (e->ns < (int64_t)since || (until && e->ns > (int64_t)until))
				continue;
			if (filter_match(s, e))
				alive = send_event(s, e);
		}
	}
	if (!alive || (until && (int64_t)until <= now)) {
		send_end(s, alive ? NULL : "events dropped: the reader fell too far behind");
		free(s);
		return;
	}
	if (until) {
		uint64_t ms = ((uint64_t)((int64_t)until - now) + 999999u) / 1000000u;

		s->timer = loop_add_timer(d->loop, ms, until_timeout, s, &err);
		if (!s->timer) {
			rpc_conn_send_error(conn, f->reqid, DAEMON_FAIL_CODE, err.msg);
			free(s);
			return;
		}
	}
	ev->subs[ev->nsubs++] = s;
	/* Subscribers whose connection closed leave here rather than at the next event. */
	for (size_t i = 0; i < ev->nsubs;) {
		if (!rpc_conn_find(ev->subs[i]->conn)) {
			struct sub *gone = ev->subs[i];

			ev->subs[i] = ev->subs[--ev->nsubs];
			sub_free(ev, gone);
			continue;
		}
		i++;
	}
}

void daemon_events_free(struct daemon *d)
{
	struct daemon_events *ev = d->events;

	if (!ev)
		return;
	/* Said, so that a client tells a daemon that stopped from an --until that came. */
	while (ev->nsubs > 0)
		sub_drop(ev, ev->nsubs - 1, "the kettle daemon is shutting down");
	for (size_t i = 0; i < DAEMON_EVENTS_HISTORY; i++)
		free(ev->ring[i].json);
	free(ev);
	d->events = NULL;
}
