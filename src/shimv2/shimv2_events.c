/*
 * shimv2_events: the publisher of task events (role layer, bottom band).
 *
 * containerd's runc shim forwards each event to containerd's TTRPC socket (TTRPC_ADDRESS)
 * as containerd.services.events.ttrpc.v1.Events/Forward {envelope {timestamp, namespace,
 * topic, event Any}} with the namespace in the metadata; so does this file. Order is the
 * contract (never an exit before its start): events wait in a queue and go out one at a
 * time, the next only once containerd has answered the previous, because containerd
 * handles concurrent requests concurrently. While containerd is away (restarting, killed)
 * the connection is retried with a doubling backoff (SHIMV2_RETRY_MIN_MS..SHIMV2_RETRY_MAX_MS) and
 * nothing is lost until the queue holds SHIMV2_EVENTS_MAX events; an event containerd refuses
 * is logged and dropped. Each send has an SHIMV2_EVENT_TIMEOUT deadline; a timed-out event is
 * sent again on a new connection (at least once, as the runc shim's retries). Calls
 * nothing else of the role; never blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/log.h"
#include "base/str.h"
#include "shimv2/shimv2_events.h"
#include "ttrpc/ttrpc.h"

#define EVENTS_SERVICE "containerd.services.events.ttrpc.v1.Events"
#define NS_KEY	       "containerd-namespace-ttrpc" /* the metadata key containerd reads */
#define EVENT_MAX      (256u * 1024u)		    /* bytes of one encoded event */

static void kick(struct shimv2 *sv);

void shimv2_events_init(struct shimv2 *sv, const char *addr)
{
	struct shimv2_events *ev = &sv->ev;

	memset(ev, 0, sizeof(*ev));
	ttrpc_conn_init(&ev->io, -1);
	ev->next_sid = 1;
	ev->retry_ms = SHIMV2_RETRY_MIN_MS;
	if (addr && !str_copy(ev->addr, sizeof(ev->addr), addr)) {
		ev->addr[0] = '\0';
		log_warn("TTRPC_ADDRESS `%.64s…` is longer than a socket path: no events", addr);
	}
}

void shimv2_events_begin(struct shimv2 *sv, struct shimv2_event_enc *x, const char *topic,
			 const char *type_url)
{
	buf_init(&x->b, EVENT_MAX);
	pb_enc_init(&x->e, &x->b);
	pb_enc_str(&x->e, 1, EVENTS_SERVICE);
	pb_enc_str(&x->e, 2, "Forward");
	pb_enc_msg_begin(&x->e, 3); /* payload: ForwardRequest */
	pb_enc_msg_begin(&x->e, 1); /* envelope */
	pb_enc_timestamp_ns(&x->e, 1, clock_wall_ns());
	pb_enc_str(&x->e, 2, sv->ns);
	pb_enc_str(&x->e, 3, topic);
	pb_enc_any_begin(&x->e, 4, type_url);
}

void shimv2_events_end(struct shimv2 *sv, struct shimv2_event_enc *x)
{
	struct shimv2_events *ev = &sv->ev;
	struct kerr err;

	pb_enc_any_end(&x->e);
	pb_enc_msg_end(&x->e); /* envelope */
	pb_enc_msg_end(&x->e); /* ForwardRequest */
	pb_enc_i64(&x->e, 4, (int64_t)SHIMV2_EVENT_TIMEOUT * 1000000);
	pb_enc_msg_begin(&x->e, 5);
	pb_enc_str(&x->e, 1, NS_KEY);
	pb_enc_str(&x->e, 2, sv->ns);
	pb_enc_msg_end(&x->e);
	if (pb_enc_end(&x->e, &err) < 0) {
		log_error("encode an event: %s, dropping it", err.msg);
		buf_done(&x->b);
		ev->dropped++;
		return;
	}
	if (!ev->addr[0]) {
		buf_done(&x->b);
		return;
	}
	if (ev->n == SHIMV2_EVENTS_MAX) {
		if (ev->dropped++ == 0)
			log_error("%d events wait for containerd: dropping new ones",
				  SHIMV2_EVENTS_MAX);
		buf_done(&x->b);
		return;
	}
	ev->q[(ev->head + ev->n) % SHIMV2_EVENTS_MAX] =
		(struct shimv2_event){ .body = x->b.data, .len = x->b.len };
	ev->n++;
	kick(sv);
}

bool shimv2_events_idle(const struct shimv2 *sv)
{
	return sv->ev.n == 0;
}

static void pop(struct shimv2_events *ev)
{
	free(ev->q[ev->head].body);
	ev->q[ev->head] = (struct shimv2_event){ 0 };
	ev->head = (ev->head + 1) % SHIMV2_EVENTS_MAX;
	ev->n--;
	ev->inflight = false;
}

static void disconnect(struct shimv2 *sv)
{
	struct shimv2_events *ev = &sv->ev;

	if (ev->io.fd >= 0 && ev->watched)
		loop_del_fd(sv->loop, ev->io.fd);
	ev->watched = false;
	ttrpc_conn_done(&ev->io);
	ttrpc_conn_init(&ev->io, -1);
	ev->connecting = false;
	ev->inflight = false;
}

static void on_timer(struct loop *l, void *data);

static void arm(struct shimv2 *sv, uint64_t ms)
{
	struct shimv2_events *ev = &sv->ev;
	struct kerr err;

	if (ev->timer)
		loop_cancel_timer(sv->loop, ev->timer);
	ev->timer = loop_add_timer(sv->loop, ms, on_timer, sv, &err);
	if (!ev->timer)
		log_warn("events: %s, no retry timer", err.msg);
}

/* The connection failed (or never came up): retry later with a longer wait. */
static void fail(struct shimv2 *sv, const char *why)
{
	struct shimv2_events *ev = &sv->ev;

	if (!ev->failing)
		log_warn("events to containerd at %s: %s; %zu queued, retrying", ev->addr, why,
			 ev->n);
	ev->failing = true;
	disconnect(sv);
	arm(sv, ev->retry_ms);
	ev->retry_ms =
		ev->retry_ms * 2 > SHIMV2_RETRY_MAX_MS ? SHIMV2_RETRY_MAX_MS : ev->retry_ms * 2;
}

static void on_io(struct loop *l, int fd, uint32_t events, void *data);

static void connect_now(struct shimv2 *sv)
{
	struct shimv2_events *ev = &sv->ev;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct kerr err;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		fail(sv, strerror(errno));
		return;
	}
	memcpy(sa.sun_path, ev->addr, strlen(ev->addr));
	ttrpc_conn_init(&ev->io, fd);
	int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno != EINPROGRESS) {
		fail(sv, strerror(errno));
		return;
	}
	/* A Unix socket connects at once or not at all; EINPROGRESS is waited for anyway. */
	ev->connecting = r < 0;
	if (loop_add_fd(sv->loop, fd, LOOP_READ | LOOP_WRITE, on_io, sv, &err) < 0) {
		fail(sv, err.msg);
		return;
	}
	ev->watched = true;
}

/* Sends the head of the queue when nothing is in flight. */
static void kick(struct shimv2 *sv)
{
	struct shimv2_events *ev = &sv->ev;
	struct kerr err;
	size_t left;

	if (ev->n == 0 || ev->inflight || ev->connecting)
		return;
	if (ev->io.fd < 0) {
		if (!ev->timer)
			connect_now(sv);
		if (ev->io.fd < 0 || ev->connecting)
			return;
	}
	struct shimv2_event *e = &ev->q[ev->head];
	struct ttrpc_hdr h = { .len = (uint32_t)e->len,
			       .sid = ev->next_sid,
			       .type = TTRPC_T_REQUEST };
	uint8_t hdr[TTRPC_HDR_LEN];

	ttrpc_hdr_put(hdr, &h);
	if (buf_append(&ev->io.tx, hdr, sizeof(hdr), &err) < 0 ||
	    buf_append(&ev->io.tx, e->body, e->len, &err) < 0) {
		fail(sv, err.msg);
		return;
	}
	ev->sid = ev->next_sid;
	ev->next_sid += 2;
	ev->inflight = true;
	if (ttrpc_conn_flush(&ev->io, &left, &err) < 0) {
		fail(sv, err.msg);
		return;
	}
	arm(sv, SHIMV2_EVENT_TIMEOUT);
}

static void on_timer(struct loop *l, void *data)
{
	struct shimv2 *sv = data;
	struct shimv2_events *ev = &sv->ev;

	(void)l;
	ev->timer = 0;
	if (ev->inflight) {
		fail(sv, "no answer in time");
		return;
	}
	kick(sv);
}

/* Reads containerd's answers; the one to the event in flight releases the next. */
static void read_answers(struct shimv2 *sv)
{
	struct shimv2_events *ev = &sv->ev;
	struct ttrpc_hdr h;
	const uint8_t *data;
	struct kerr err;
	int r;

	while ((r = ttrpc_conn_read(&ev->io, &err)) > 0) {
		enum ttrpc_conn_result k;

		while ((k = ttrpc_conn_next(&ev->io, &h, &data, &err)) == TTRPC_CONN_FRAME) {
			struct ttrpc_response resp;

			if (h.type != TTRPC_T_RESPONSE || !ev->inflight || h.sid != ev->sid)
				continue;
			if (ttrpc_response_decode(data, h.len, &resp, &err) < 0) {
				fail(sv, err.msg);
				return;
			}
			if (resp.code != TTRPC_OK) {
				log_warn("containerd refused an event: %s: %.*s, dropping it",
					 ttrpc_code_name(resp.code), (int)resp.message.n,
					 (const char *)resp.message.p);
				ev->dropped++;
			}
			if (ev->timer)
				loop_cancel_timer(sv->loop, ev->timer);
			ev->timer = 0;
			pop(ev);
			if (ev->failing)
				log_info("events to containerd flow again");
			ev->failing = false;
			ev->retry_ms = SHIMV2_RETRY_MIN_MS;
		}
		if (k != TTRPC_CONN_MORE) {
			fail(sv, k == TTRPC_CONN_ERROR ? err.msg : "oversized answer");
			return;
		}
	}
	if (r < 0 || ev->io.eof)
		fail(sv, r < 0 ? err.msg : "containerd closed the connection");
}

static void on_io(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shimv2 *sv = data;
	struct shimv2_events *ev = &sv->ev;
	struct kerr err;
	size_t left = 0;

	(void)fd;
	if (ev->connecting && (events & (LOOP_WRITE | LOOP_HUP))) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		if (getsockopt(ev->io.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
			fail(sv, strerror(soerr ? soerr : errno));
			return;
		}
		ev->connecting = false;
	}
	if (events & (LOOP_READ | LOOP_HUP)) {
		read_answers(sv);
		if (ev->io.fd < 0)
			return;
	}
	if (ttrpc_conn_flush(&ev->io, &left, &err) < 0) {
		fail(sv, err.msg);
		return;
	}
	if (loop_mod_fd(l, ev->io.fd, LOOP_READ | (left ? LOOP_WRITE : 0), &err) < 0) {
		fail(sv, err.msg);
		return;
	}
	kick(sv);
}

void shimv2_events_done(struct shimv2 *sv)
{
	struct shimv2_events *ev = &sv->ev;

	if (ev->timer && sv->loop)
		loop_cancel_timer(sv->loop, ev->timer);
	ev->timer = 0;
	if (sv->loop)
		disconnect(sv);
	else
		ttrpc_conn_done(&ev->io);
	while (ev->n)
		pop(ev);
}
