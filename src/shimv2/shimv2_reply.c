/*
 * shimv2_reply: TTRPC responses (role layer, bottom band). A Response {1 status, 2 payload}
 * is encoded straight into the connection's send buffer and written at once as far as the
 * socket takes it; the rest waits for writability, which the connection's callback
 * (shimv2_serve.c) flushes. A reply to a connection that has gone is dropped: requests
 * are answered by connection id, never by pointer. Calls nothing else of the role.
 */
#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"
#include "shimv2/shimv2_reply.h"

void shimv2_reply_flush(struct shimv2 *sv, struct shimv2_conn *c)
{
	struct kerr err;
	size_t left = 0;

	if (ttrpc_conn_flush(&c->io, &left, &err) < 0) {
		log_debug("connection %llu: %s", (unsigned long long)c->id, err.msg);
		c->closing = true;
		left = 1; /* the callback runs and closes it */
	}
	if ((left > 0) != c->want_write) {
		c->want_write = left > 0;
		if (loop_mod_fd(sv->loop, c->io.fd, LOOP_READ | (c->want_write ? LOOP_WRITE : 0),
				&err) < 0) {
			log_warn("connection %llu: %s, closing it", (unsigned long long)c->id,
				 err.msg);
			c->closing = true;
		}
	}
}

bool shimv2_reply_begin(struct shimv2 *sv, uint64_t conn, uint32_t sid, struct shimv2_reply *r)
{
	r->c = shimv2_state_conn(sv, conn);
	if (!r->c || r->c->closing)
		return false;
	r->sid = sid;
	ttrpc_frame_begin(&r->c->io.tx, &r->mark);
	pb_enc_init(&r->e, &r->c->io.tx);
	pb_enc_msg_begin(&r->e, 2);
	return true;
}

void shimv2_reply_end(struct shimv2 *sv, struct shimv2_reply *r)
{
	struct kerr err;

	pb_enc_msg_end(&r->e);
	if (ttrpc_frame_end(&r->c->io.tx, r->mark, r->sid, TTRPC_T_RESPONSE, &r->e, &err) < 0) {
		log_warn("connection %llu: answer stream %u: %s", (unsigned long long)r->c->id,
			 r->sid, err.msg);
		if (ttrpc_put_error(&r->c->io.tx, r->sid, TTRPC_INTERNAL, err.msg, &err) < 0)
			r->c->closing = true;
	}
	shimv2_reply_flush(sv, r->c);
}

void shimv2_reply_empty(struct shimv2 *sv, uint64_t conn, uint32_t sid)
{
	struct shimv2_reply r;

	if (shimv2_reply_begin(sv, conn, sid, &r))
		shimv2_reply_end(sv, &r);
}

void shimv2_reply_error(struct shimv2 *sv, uint64_t conn, uint32_t sid, enum ttrpc_code code,
			const char *fmt, ...)
{
	struct shimv2_conn *c = shimv2_state_conn(sv, conn);
	char msg[KERR_MSG_MAX];
	struct kerr err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("stream %u: %s: %s", sid, ttrpc_code_name(code), msg);
	if (!c || c->closing)
		return;
	if (ttrpc_put_error(&c->io.tx, sid, code, msg, &err) < 0) {
		log_warn("connection %llu: %s, closing it", (unsigned long long)c->id, err.msg);
		c->closing = true;
	}
	shimv2_reply_flush(sv, c);
}
