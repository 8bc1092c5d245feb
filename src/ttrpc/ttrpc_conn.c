/*
 * ttrpc_conn: non-blocking frame I/O for one TTRPC connection (mechanism).
 *
 * Reads go straight into the receive buffer, grown to what the frame at its front needs
 * (never past TTRPC_CONN_RX_MAX, so a peer that announces 4 MiB costs 4 MiB only while it
 * actually sends them). Whole frames are cut off the front by ttrpc_conn_next and
 * ttrpc_conn_consume; the data of an oversized frame is counted down in `skip` and
 * dropped as it arrives. Writes never block: what the socket does not take stays in the
 * send buffer for the next writable event. Nothing here knows a service. Never logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fd.h"
#include "ttrpc/ttrpc_conn.h"

#define READ_CHUNK (16u * 1024u) /* bytes asked of one read beyond what a frame needs */

void ttrpc_conn_init(struct ttrpc_conn *c, int fd)
{
	*c = (struct ttrpc_conn){ .fd = fd };
	buf_init(&c->rx, TTRPC_CONN_RX_MAX);
	buf_init(&c->tx, TTRPC_CONN_TX_MAX);
}

void ttrpc_conn_done(struct ttrpc_conn *c)
{
	c->fd = fd_close(c->fd);
	buf_done(&c->rx);
	buf_done(&c->tx);
	c->skip = c->framed = 0;
}

/* Throws away up to the rx front's bytes of a skipped frame. */
static void skip_front(struct ttrpc_conn *c)
{
	size_t n = c->skip < c->rx.len ? c->skip : c->rx.len;

	buf_consume(&c->rx, n);
	c->skip -= n;
}

int ttrpc_conn_read(struct ttrpc_conn *c, struct kerr *err)
{
	size_t room;
	ssize_t n;

	if (c->eof)
		return 0;
	/* Room for a chunk, but never past the cap: a full buffer holds a whole frame. */
	room = c->rx.max - c->rx.len;
	if (room > READ_CHUNK)
		room = READ_CHUNK;
	if (room == 0)
		return 0;
	if (buf_reserve(&c->rx, room, err) < 0)
		return -1;
	do
		n = recv(c->fd, c->rx.data + c->rx.len, room, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return kerr_set(err, errno, "ttrpc: read");
	}
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	c->rx.len += (size_t)n;
	if (c->skip)
		skip_front(c);
	return 1;
}

enum ttrpc_conn_result ttrpc_conn_next(struct ttrpc_conn *c, struct ttrpc_hdr *h,
				       const uint8_t **data, struct kerr *err)
{
	if (c->framed)
		ttrpc_conn_consume(c);
	if (c->skip)
		skip_front(c);
	if (c->skip || c->rx.len < TTRPC_HDR_LEN)
		return TTRPC_CONN_MORE;
	ttrpc_hdr_get(c->rx.data, h);
	if (ttrpc_hdr_check(h, err) < 0) {
		if (err->code != EMSGSIZE)
			return TTRPC_CONN_ERROR;
		buf_consume(&c->rx, TTRPC_HDR_LEN);
		c->skip = h->len;
		skip_front(c);
		return TTRPC_CONN_OVERSIZE;
	}
	if (c->rx.len - TTRPC_HDR_LEN < h->len)
		return TTRPC_CONN_MORE;
	*data = c->rx.data + TTRPC_HDR_LEN;
	c->framed = TTRPC_HDR_LEN + (size_t)h->len;
	return TTRPC_CONN_FRAME;
}

void ttrpc_conn_consume(struct ttrpc_conn *c)
{
	buf_consume(&c->rx, c->framed);
	c->framed = 0;
}

int ttrpc_conn_flush(struct ttrpc_conn *c, size_t *left, struct kerr *err)
{
	while (c->tx.len) {
		ssize_t n = send(c->fd, c->tx.data, c->tx.len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return kerr_set(err, errno, "ttrpc: write");
		buf_consume(&c->tx, (size_t)n);
	}
	*left = c->tx.len;
	return 0;
}

static void trim(struct buf *b)
{
	if (b->len == 0) {
		size_t max = b->max;

		buf_done(b);
		buf_init(b, max);
	}
}

void ttrpc_conn_trim(struct ttrpc_conn *c)
{
	if (!c->framed)
		trim(&c->rx);
	trim(&c->tx);
}
