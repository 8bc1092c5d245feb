/*
 * shim_io: the container's stdout and stderr in the shim (role layer, mechanism band).
 * Two pipe2(O_CLOEXEC) pairs: the write ends go to `runc create` as fd 1 and 2 and are
 * closed here right after the spawn, so EOF means the container (and all that inherited
 * its stdio) is gone. Every read lands in one SHIM_READ_BUF buffer and goes to the CRI log
 * (logfile_feed) and to every attached reader as DATA; a reader more than IPC_TX_MAX/2
 * behind is dropped: the container never waits. With -t the pty master from the console
 * socket is stdout and the input; with -i the shim keeps a stdin pipe's write end (input
 * goes through shim_input.c), without -i an empty pipe (EOF). The container never gets a
 * descriptor the shim did not make for it. The read ends' loop callback is the top's
 * (their end can be DRAINED): it reads through shim_io_read. A rotated-out log file is
 * removed by a child (proc_unlinker_start), never in the loop: freeing a 10 MB file's
 * cached pages takes milliseconds, during which the container would wait on a full pipe.
 * Calls only tty, input and the bottom band.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fd.h"
#include "base/log.h"
#include "logs/logfile.h"
#include "runtime/proc.h"
#include "ipc/wire.h"
#include "shim/shim_input.h"
#include "shim/shim_io.h"
#include "shim/shim_reply.h"
#include "shim/shim_tty.h"
#include "store/store.h"

/* Reads of one stream per drain call at most: bounds a drain of a still-writing peer. */
#define DRAIN_READS_MAX 64

/*
 * The container's stdio for one `runc create`: two output pipes, or with a terminal a
 * fresh console socket (the master arrives at create and serves as stdout, stderr and
 * input at once); with -i and no terminal a stdin pipe whose write end the shim keeps, so
 * the container's stdin stays open until a client sends EOF.
 */
static int open_stdio(struct shim *sh, struct kerr *err)
{
	struct shim_io *io = &sh->io;

	for (unsigned i = 0; i < 2; i++) {
		int p[2];

		io->out[i].idx = i;
		io->out[i].eof = false;
		if (sh->rec.tty)
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_set(err, errno, "create the container's %s pipe",
					i ? "stderr" : "stdout");
		io->out[i].rfd = p[0];
		io->out[i].wfd = p[1];
		if (fd_set_nonblock(p[0], true, err) < 0)
			return -1;
		/* A deeper pipe keeps the container writing while the shim is in a log
		 * write (test/bench/logs.sh: 10% faster); its pages exist only while full.
		 * Best effort: above pipe-max-size the default stays. */
		(void)fcntl(p[0], F_SETPIPE_SZ, (int)SHIM_PIPE_SIZE);
	}
	shim_input_done(&io->in);
	shim_input_init(&io->in, sh);
	io->stdin_rfd = fd_close(io->stdin_rfd);
	if (sh->rec.tty)
		return console_listen(&io->console, err);
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "create the container's stdin pipe");
	io->stdin_rfd = p[0];
	if (!sh->rec.stdin_open) {
		/* No input: an empty pipe, EOF at once as /dev/null reads, but made here: the
		 * shim's own /dev/null would be a descriptor of the host's (issue 12). */
		fd_close(p[1]);
		return 0;
	}
	io->in.fd = p[1];
	io->in.owned = true;
	if (fd_set_nonblock(p[1], true, err) < 0)
		return -1;
	return 0;
}

/* The unlinker had nothing to do for SHIM_UNLINKER_IDLE_MS: EOF ends it once it has removed
 * all it was sent (no file is ever lost between), the next rotation starts another. */
static void unlinker_idle(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	sh->io.unlinker_timer = 0;
	sh->io.unlinker_fd = fd_close(sh->io.unlinker_fd);
}

/* logfile's discard hook: the rotated-out file goes to the unlinker, a child started at a
 * rotation and kept while rotations go on. When it cannot be started or is far behind, the
 * log removes the file itself. */
static int discard(void *data, int dirfd, const char *name)
{
	struct shim *sh = data;
	struct shim_io *io = &sh->io;
	struct kerr err;

	if (io->unlinker_timer)
		loop_cancel_timer(sh->loop, io->unlinker_timer);
	io->unlinker_timer = 0;

	if (io->unlinker_fd < 0) {
		if (io->unlinker)
			return -1; /* the last one is not reaped yet */
		if (proc_unlinker_start(dirfd, &io->unlinker, &io->unlinker_fd, &err) < 0) {
			log_warn("%s, removing rotated-out logs in the shim", err.msg);
			if (io->unlinker < 0)
				io->unlinker = 0;
			return -1;
		}
		log_debug("rotated-out logs are removed by pid %d", (int)io->unlinker);
	}
	if (proc_unlinker_send(io->unlinker_fd, name, &err) == 0) {
		/* Without a timer it stays until the shim exits: harmless. */
		io->unlinker_timer =
			loop_add_timer(sh->loop, SHIM_UNLINKER_IDLE_MS, unlinker_idle, sh, &err);
		return 0;
	}
	if (err.code != EAGAIN) {
		log_warn("%s, removing it in the shim", err.msg);
		io->unlinker_fd = fd_close(io->unlinker_fd);
	}
	return -1;
}

bool shim_io_reaped(struct shim *sh, pid_t pid)
{
	struct shim_io *io = &sh->io;

	if (pid <= 0 || pid != io->unlinker)
		return false;
	io->unlinker = 0;
	io->unlinker_fd = fd_close(io->unlinker_fd);
	return true;
}

int shim_io_open(struct shim *sh, struct kerr *err)
{
	struct shim_io *io = &sh->io;

	if (open_stdio(sh, err) < 0)
		return -1;
	io->rbuf = malloc(SHIM_READ_BUF);
	if (!io->rbuf)
		return kerr_set(err, ENOMEM, "allocate the output buffer");
	/* The daemon wrote its defaults into the record; an older record has zeros. */
	uint64_t max_size = sh->rec.log_max_size ? sh->rec.log_max_size : LOGFILE_DEFAULT_MAX_SIZE;
	unsigned max_files =
		sh->rec.log_max_files ? sh->rec.log_max_files : LOGFILE_DEFAULT_MAX_FILES;

	io->log = logfile_open(sh->dirfd, STORE_CTR_LOG, max_size, max_files, err);
	if (!io->log)
		return kerr_wrap(err, "open `%s`", STORE_CTR_LOG);
	logfile_set_discard(io->log, discard, sh);
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
	sh->io.stdin_rfd = fd_close(sh->io.stdin_rfd);
}

int shim_io_stdin_rfd(const struct shim *sh)
{
	return sh->io.stdin_rfd;
}

const char *shim_io_console(const struct shim *sh)
{
	return sh->rec.tty ? console_arg(&sh->io.console) : NULL;
}

int shim_io_input(struct shim *sh, const uint8_t *p, size_t n, uint64_t conn, uint32_t reqid,
		  struct kerr *err)
{
	if (!sh->rec.tty && !sh->rec.stdin_open)
		return kerr_set(err, 0,
				"container `%s` has no stdin: it was not created with -i or -t",
				shim_state_short_id(sh));
	return shim_input_write(&sh->io.in, p, n, conn, reqid, err);
}

int shim_io_resize(struct shim *sh, uint32_t rows, uint32_t cols, struct kerr *err)
{
	if (!sh->rec.tty)
		return kerr_set(err, 0,
				"container `%s` has no terminal: it was not created with -t",
				shim_state_short_id(sh));
	if (console_resize(-1, rows, cols, err) < 0)
		return -1;
	sh->io.rows = rows;
	sh->io.cols = cols;
	return console_resize(sh->io.in.fd, rows, cols, err);
}

/* Ends one attach subscription with END{MSG} (no exit code: the stream was cut). */
static void drop_reader(struct shim *sh, size_t w)
{
	struct shim_waiter *sw = &sh->waiters[w];
	struct rpc_conn *c = shim_reply_conn(sw->conn);

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
		c = shim_reply_conn(sw->conn);
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

static void note_drops(struct shim *sh);

static void on_drops_timer(struct loop *l, void *data)
{
	struct shim *sh = data;

	(void)l;
	sh->io.drops_timer = 0;
	note_drops(sh);
}

/* Bytes the log lost go to state.json (inspect's log_dropped_bytes), at most once per
 * SHIM_DROPS_SAVE_MS. A count not on disk yet (saved too recently, or the save failed:
 * the disk that fills the log fills state.json's too) is saved again by a timer, so the
 * daemon learns the final count once space returns, not only at the next transition. */
static void note_drops(struct shim *sh)
{
	uint64_t now = clock_mono_ms();
	struct kerr err;

	sh->st.log_dropped = logfile_dropped(sh->io.log);
	if (sh->st.log_dropped == sh->io.drops_saved || sh->io.drops_timer)
		return;
	if (now - sh->io.drops_saved_ms >= SHIM_DROPS_SAVE_MS) {
		sh->io.drops_saved_ms = now;
		sh->st.shim_pid = getpid();
		if (status_write(sh->dirfd, STORE_STATE, &sh->st, false, &err) == 0) {
			sh->io.drops_saved = sh->st.log_dropped;
			return;
		}
		log_warn("%s, retrying in %d ms", err.msg, SHIM_DROPS_SAVE_MS);
	}
	sh->io.drops_timer = loop_add_timer(sh->loop, SHIM_DROPS_SAVE_MS, on_drops_timer, sh, &err);
	if (!sh->io.drops_timer)
		log_warn("%s, ignoring", err.msg);
}

/* End of one stream: unregister, close, end a partial line in the log. */
static void stream_eof(struct shim *sh, struct shim_stream *s)
{
	if (s->rfd >= 0) {
		if (sh->io.watching)
			loop_del_fd(sh->loop, s->rfd);
		s->rfd = fd_close(s->rfd);
		if (sh->rec.tty)
			sh->io.in.fd = -1; /* the master was the input too */
	}
	if (!s->eof && sh->io.log) {
		logfile_end_stream(sh->io.log, s->idx ? LOGFILE_STDERR : LOGFILE_STDOUT,
				   clock_wall_ns());
		note_drops(sh);
	}
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
		/* A pty master reads EIO once every slave descriptor is closed: its EOF. */
		if (n < 0 && !(sh->rec.tty && errno == EIO))
			log_warn("read the container's %s: %m, treating it as ended",
				 s->idx ? "stderr" : "stdout");
		stream_eof(sh, s);
		return -1;
	}
	if (sh->io.log) {
		logfile_feed(sh->io.log, s->idx ? LOGFILE_STDERR : LOGFILE_STDOUT, sh->io.rbuf,
			     (size_t)n, clock_wall_ns());
		note_drops(sh);
	}
	fan_out(sh, s->idx, sh->io.rbuf, (size_t)n);
	return 1;
}

int shim_io_read(struct shim *sh, int fd)
{
	struct shim_stream *s = sh->io.out[0].rfd == fd ? &sh->io.out[0] : &sh->io.out[1];

	/* One read per turn and stream keeps the loop fair to requests; level-triggered
	 * epoll brings us back while bytes remain. */
	return read_once(sh, s);
}

/* The pty master `runc create` sent (it is sent before create returns, so it is there
 * when the create completes); it becomes stdout and the input. */
static int take_master(struct shim *sh, struct kerr *err)
{
	struct shim_io *io = &sh->io;
	int master = -1, r = 0;
	struct kerr refused;

	for (size_t i = 0; i < RTCALL_MAX && r == 0; i++) {
		const struct rtcall *call = &sh->calls.calls[i];

		if (!call->pid || call->op != RUNTIME_CREATE)
			continue;
		r = console_receive(&io->console, call->pid, &master, &refused, err);
		if (refused.msg[0])
			log_warn("%s, ignoring", refused.msg);
	}
	if (r < 0)
		return kerr_wrap(err, "the container's terminal");
	if (r == 0)
		return kerr_set(err, 0, "runtime create did not send the container's terminal");
	console_close(&io->console);
	io->out[0].rfd = master;
	io->in.fd = master;
	io->in.owned = false;
	if (io->rows && console_resize(master, io->rows, io->cols, err) < 0)
		log_warn("%s, ignoring", err->msg);
	return 0;
}

int shim_io_watch(struct shim *sh, loop_fd_fn fn, struct kerr *err)
{
	if (sh->rec.tty && sh->io.out[0].rfd < 0 && take_master(sh, err) < 0)
		return -1;
	for (unsigned i = 0; i < 2; i++) {
		struct shim_stream *s = &sh->io.out[i];

		if (s->rfd < 0)
			continue;
		if (loop_add_fd(sh->loop, s->rfd, LOOP_READ, fn, sh, err) < 0)
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

int shim_io_reopen(struct shim *sh, struct kerr *err)
{
	struct shim_io *io = &sh->io;

	for (unsigned i = 0; i < 2; i++) {
		struct shim_stream *st = &io->out[i];

		if (st->rfd >= 0 && io->watching)
			loop_del_fd(sh->loop, st->rfd);
		st->rfd = fd_close(st->rfd);
		st->wfd = fd_close(st->wfd);
		st->eof = false;
	}
	io->watching = false;
	return open_stdio(sh, err);
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
	if (io->drops_timer)
		loop_cancel_timer(sh->loop, io->drops_timer);
	io->drops_timer = 0;
	io->stdin_rfd = fd_close(io->stdin_rfd);
	shim_input_done(&io->in);
	console_close(&io->console);
	io->log = logfile_close(io->log);
	/* EOF ends the unlinker once it has removed what it was given. */
	if (io->unlinker_timer)
		loop_cancel_timer(sh->loop, io->unlinker_timer);
	io->unlinker_timer = 0;
	io->unlinker_fd = fd_close(io->unlinker_fd);
	free(io->rbuf);
	io->rbuf = NULL;
}
