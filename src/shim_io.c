/*
 * shim_io: the container's stdout and stderr in the shim (role layer).
 *
 * Two pipe2(O_CLOEXEC) pairs: the write ends go to `runc create` as the container's fd 1
 * and 2 and are closed here right after the spawn, so only the container holds them and
 * EOF means the container (and everything that inherited its stdio) is gone. The read
 * ends are non-blocking in the loop; every read lands in one fixed SHIM_READ_BUF buffer
 * (nothing is allocated per byte), goes to the CRI log (logfile_feed) and to every
 * attached reader as DATA frames. A reader that falls more than IPC_TX_MAX/2 behind is
 * ended and dropped: the container never waits for anyone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "log.h"
#include "logfile.h"
#include "shim.h"
#include "store.h"
#include "wire.h"

/* Reads of one stream per drain call at most: bounds a drain of a still-writing peer. */
#define DRAIN_READS_MAX 64

int shim_io_open(struct shim *sh, struct kerr *err)
{
	struct shim_io *io = &sh->io;

	for (unsigned i = 0; i < 2; i++) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_set(err, errno, "create the container's %s pipe",
					i ? "stderr" : "stdout");
		io->out[i].rfd = p[0];
		io->out[i].wfd = p[1];
		io->out[i].idx = i;
		if (fd_set_nonblock(p[0], true, err) < 0)
			return -1;
	}
	io->rbuf = malloc(SHIM_READ_BUF);
	if (!io->rbuf)
		return kerr_set(err, ENOMEM, "allocate the output buffer");
	io->log = logfile_open(sh->dirfd, STORE_CTR_LOG, LOGFILE_DEFAULT_MAX_SIZE,
			       LOGFILE_DEFAULT_MAX_FILES, err);
	if (!io->log)
		return kerr_wrap(err, "open `%s`", STORE_CTR_LOG);
	return 0;
}

int shim_io_stdout_wfd(const struct shim *sh)
{
	return sh->io.out[0].wfd;
}

int shim_io_stderr_wfd(const struct shim *sh)
{
	return sh->io.out[1].wfd;
}

void shim_io_close_write_ends(struct shim *sh)
{
	for (unsigned i = 0; i < 2; i++)
		sh->io.out[i].wfd = fd_close(sh->io.out[i].wfd);
}

/* Ends one attach subscription with END{MSG} (no exit code: the stream was cut). */
static void drop_reader(struct shim *sh, size_t w)
{
	struct shim_waiter *sw = &sh->waiters[w];
	struct rpc_conn *c = shim_conn(sw->conn);

	log_warn("attach reader on connection %llu fell %u bytes behind, dropping it",
		 (unsigned long long)sw->conn, IPC_TX_MAX / 2);
	if (c) {
		struct wire_enc e;
		struct kerr err;

		wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_END, sw->reqid, 0);
		wire_enc_str(&e, WIRE_F_MSG, "output dropped: the reader fell too far behind");
		if (wire_enc_end(&e, &err) == 0)
			rpc_conn_send(c);
	}
	sh->waiters[w] = sh->waiters[--sh->nwaiters];
}

/* Sends bytes of one stream to every reader attached to it. */
static void fan_out(struct shim *sh, unsigned idx, const uint8_t *p, size_t n)
{
	size_t w = 0;

	while (w < sh->nwaiters) {
		struct shim_waiter *sw = &sh->waiters[w];
		struct rpc_conn *c;
		struct wire_enc e;
		struct kerr err;

		if (sw->kind != SHIM_W_ATTACH || !(sw->streams & (1u << idx))) {
			w++;
			continue;
		}
		c = shim_conn(sw->conn);
		if (!c) {
			sh->waiters[w] = sh->waiters[--sh->nwaiters];
			continue;
		}
		if (rpc_conn_pending(c) > IPC_TX_MAX / 2) {
			drop_reader(sh, w);
			continue;
		}
		wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_DATA, sw->reqid, 0);
		wire_enc_u32(&e, WIRE_F_STREAM, idx + 1);
		wire_enc_bytes(&e, WIRE_F_DATA, p, n);
		if (wire_enc_end(&e, &err) < 0) {
			drop_reader(sh, w);
			continue;
		}
		rpc_conn_send(c);
		w++;
	}
}

/* End of one stream: unregister, close, end a partial line in the log. */
static void stream_eof(struct shim *sh, struct shim_stream *s)
{
	if (s->rfd >= 0) {
		if (sh->io.watching)
			loop_del_fd(sh->loop, s->rfd);
		s->rfd = fd_close(s->rfd);
	}
	if (!s->eof && sh->io.log)
		logfile_end_stream(sh->io.log, s->idx ? LOGFILE_STDERR : LOGFILE_STDOUT,
				   clock_wall_ns());
	s->eof = true;
}

/* One read. Returns 1 when bytes were read, 0 on EAGAIN, -1 at EOF (or a read error). */
static int read_once(struct shim *sh, struct shim_stream *s)
{
	ssize_t n;

	if (s->rfd < 0)
		return -1;
	n = read(s->rfd, sh->io.rbuf, SHIM_READ_BUF);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		if (n < 0)
			log_warn("read the container's %s: %m, treating it as ended",
				 s->idx ? "stderr" : "stdout");
		stream_eof(sh, s);
		return -1;
	}
	if (sh->io.log)
		logfile_feed(sh->io.log, s->idx ? LOGFILE_STDERR : LOGFILE_STDOUT, sh->io.rbuf,
			     (size_t)n, clock_wall_ns());
	fan_out(sh, s->idx, sh->io.rbuf, (size_t)n);
	return 1;
}

static void on_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shim *sh = data;
	struct shim_stream *s = sh->io.out[0].rfd == fd ? &sh->io.out[0] : &sh->io.out[1];

	(void)l;
	(void)events;
	/* One read per turn and stream keeps the loop fair to requests; level-triggered
	 * epoll brings us back while bytes remain. */
	if (read_once(sh, s) < 0 && shim_io_eof(sh) && sh->state == SHIM_S_EXITED) {
		struct shim_ev ev = { .type = SHIM_E_DRAINED };

		shim_supervise_event(sh, &ev);
	}
}

int shim_io_watch(struct shim *sh, struct kerr *err)
{
	for (unsigned i = 0; i < 2; i++) {
		struct shim_stream *s = &sh->io.out[i];

		if (s->rfd < 0)
			continue;
		if (loop_add_fd(sh->loop, s->rfd, LOOP_READ, on_readable, sh, err) < 0)
			return kerr_wrap(err, "watch the container's output");
	}
	sh->io.watching = true;
	return 0;
}

bool shim_io_drain(struct shim *sh)
{
	for (unsigned i = 0; i < 2; i++) {
		struct shim_stream *s = &sh->io.out[i];

		for (unsigned r = 0; r < DRAIN_READS_MAX && read_once(sh, s) > 0; r++)
			;
	}
	return shim_io_eof(sh);
}

bool shim_io_eof(const struct shim *sh)
{
	return sh->io.out[0].rfd < 0 && sh->io.out[1].rfd < 0;
}

void shim_io_finish(struct shim *sh)
{
	for (unsigned i = 0; i < 2; i++)
		stream_eof(sh, &sh->io.out[i]);
}

void shim_io_done(struct shim *sh)
{
	struct shim_io *io = &sh->io;

	for (unsigned i = 0; i < 2; i++) {
		if (io->out[i].rfd >= 0 && io->watching)
			loop_del_fd(sh->loop, io->out[i].rfd);
		io->out[i].rfd = fd_close(io->out[i].rfd);
		io->out[i].wfd = fd_close(io->out[i].wfd);
	}
	io->watching = false;
	io->log = logfile_close(io->log);
	free(io->rbuf);
	io->rbuf = NULL;
}
