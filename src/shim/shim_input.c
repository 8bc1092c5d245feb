/*
 * shim_input: input from attached clients to a pty master or a stdin pipe (role layer,
 * mechanism band).
 *
 * STDIN frames of the container's attach streams and of terminal execs are queued and
 * written without blocking; what the process has not read yet waits (at most
 * SHIM_INPUT_MAX bytes in SHIM_INPUT_ACKS frames) and is retried on a
 * SHIM_INPUT_RETRY_MS timer. Each frame is acknowledged (STDIN_ACK) once written, which
 * is the flow control that keeps a fast writer from overrunning the process; input that
 * is refused or cannot be written is acknowledged at once, so no writer ever stalls.
 * Calls only shim_reply of the role.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "ipc/wire.h"
#include "shim/shim_input.h"
#include "shim/shim_reply.h"

void shim_input_init(struct shim_input *in, struct shim *sh)
{
	*in = (struct shim_input){ .fd = -1, .sh = sh };
	buf_init(&in->pending, SHIM_INPUT_MAX);
}

/* STDIN_ACK{COUNT}: the writer may send that much more. */
static void send_ack(uint64_t conn, uint32_t reqid, size_t n)
{
	struct rpc_conn *c = conn ? shim_reply_conn(conn) : NULL;
	struct wire_enc e;
	struct kerr err;

	if (!c)
		return;
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_STDIN_ACK, reqid, 0);
	wire_enc_u64(&e, WIRE_F_COUNT, n);
	if (wire_enc_end(&e, &err) == 0)
		rpc_conn_send(c);
}

/* written bytes left the front of pending: acknowledge the frames now complete. */
static void account(struct shim_input *in, size_t written)
{
	while (written > 0 && in->nacks > 0) {
		struct shim_input_ack *a = &in->acks[0];
		size_t k = written < a->left ? written : a->left;

		a->left -= k;
		written -= k;
		if (a->left > 0)
			break;
		send_ack(a->conn, a->reqid, a->len);
		memmove(&in->acks[0], &in->acks[1], (--in->nacks) * sizeof(in->acks[0]));
	}
}

static void input_retry(struct loop *l, void *data);

/* Writes what is pending; re-arms the retry timer while some remains. */
static void input_flush(struct shim_input *in)
{
	struct kerr err;

	while (in->fd >= 0 && in->pending.len > 0) {
		ssize_t n = write(in->fd, in->pending.data, in->pending.len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			/* EPIPE (nobody reads stdin any more) or EIO (the terminal closed):
			 * dropped, and acknowledged so no writer waits for it. */
			log_debug("write input to fd %d: %m, dropping %zu bytes", in->fd,
				  in->pending.len);
			account(in, in->pending.len);
			buf_clear(&in->pending);
			break;
		}
		account(in, (size_t)n);
		buf_consume(&in->pending, (size_t)n);
	}
	if (in->pending.len == 0 && in->close_when_empty && in->owned) {
		in->fd = fd_close(in->fd);
		in->close_when_empty = false;
	}
	if (in->fd >= 0 && in->pending.len > 0 && !in->timer) {
		in->timer =
			loop_add_timer(in->sh->loop, SHIM_INPUT_RETRY_MS, input_retry, in, &err);
		if (!in->timer)
			log_warn("%s, input waits for the next write", err.msg);
	}
}

static void input_retry(struct loop *l, void *data)
{
	struct shim_input *in = data;

	(void)l;
	in->timer = 0;
	input_flush(in);
}

int shim_input_write(struct shim_input *in, const uint8_t *p, size_t n, uint64_t conn,
		     uint32_t reqid, struct kerr *err)
{
	static const uint8_t eot = 4; /* VEOF of a terminal in canonical mode */
	bool tty_eof = n == 0 && !in->owned;

	if (in->fd < 0 || (n == 0 && in->owned) || in->nacks == SHIM_INPUT_ACKS ||
	    in->pending.len + n + 1 > SHIM_INPUT_MAX) {
		/* Refused or nothing to queue: acknowledged at once, so no writer stalls. */
		send_ack(conn, reqid, n);
		if (in->fd < 0)
			return kerr_set(err, EPIPE, "the process's input is closed");
		if (n == 0) {
			in->close_when_empty = true; /* EOF of a pipe: close once written */
			input_flush(in);
			return 0;
		}
		return kerr_set(err, ENOBUFS,
				"input of %zu bytes dropped: %zu bytes in %zu frames are still "
				"waiting for the process (limits %u bytes, %d frames)",
				n, in->pending.len, in->nacks, SHIM_INPUT_MAX, SHIM_INPUT_ACKS);
	}
	if (tty_eof) {
		p = &eot;
		n = 1;
	}
	if (buf_append(&in->pending, p, n, err) < 0) {
		send_ack(conn, reqid, n);
		return -1;
	}
	in->acks[in->nacks++] = (struct shim_input_ack){
		.conn = tty_eof ? 0 : conn,
		.reqid = reqid,
		.len = n,
		.left = n,
	};
	input_flush(in);
	return 0;
}

void shim_input_done(struct shim_input *in)
{
	if (in->timer && in->sh && in->sh->loop)
		loop_cancel_timer(in->sh->loop, in->timer);
	in->timer = 0;
	if (in->owned)
		in->fd = fd_close(in->fd);
	in->fd = -1;
	in->nacks = 0;
	buf_done(&in->pending);
}
