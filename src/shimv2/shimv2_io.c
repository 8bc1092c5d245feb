/*
 * shimv2_io: a process's stdio (role layer, mechanism band).
 *
 * containerd names each stream by path: a FIFO it created (ctr, CRI), "file:///path", or
 * "" for none. Output without a terminal costs the shim nothing: the FIFO is opened
 * O_RDWR (which never blocks on Linux, and keeps the FIFO writable while containerd is
 * away, as a restart needs) and handed to the runtime as the process's own stdout or
 * stderr, so bytes go from the container to containerd without passing through here, and
 * containerd sees EOF when the last process holding it exits. Input does pass through: the
 * stdin FIFO is relayed into a pipe, so CloseIO can end it (the FIFO's own EOF only comes
 * once every writer closed, and comes at once while none has opened yet: a read of 0 counts
 * as EOF only after bytes arrived or the FIFO hung up). A terminal's master is relayed both
 * ways. Relays never block: a write the other side does not take waits in a buffer
 * (SHIMV2_RELAY_BUF) while the read side is unwatched, which is the flow control. Calls
 * nothing else of the role; what a terminal's end means is told through a hook.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "base/str.h"
#include "shimv2/shimv2_io.h"

#define FILE_SCHEME "file://"
#define RELAY_TURNS 4 /* reads per relay and loop turn: fair to the other fds */
#define FILE_MODE   0640

static shimv2_io_ended_fn ended_hook;

void shimv2_io_set_ended(shimv2_io_ended_fn fn)
{
	ended_hook = fn;
}

/* ---- relays ---- */

static void relay_init(struct shimv2 *sv, struct shimv2_relay *r, struct shimv2_proc *p)
{
	*r = (struct shimv2_relay){ .src = -1, .dst = -1, .proc = p, .sv = sv };
}

static void on_src(struct loop *l, int fd, uint32_t events, void *data);
static void on_dst(struct loop *l, int fd, uint32_t events, void *data);
static void on_retry(struct loop *l, void *data);

/* Watches r's source for reading and its destination for writing, as asked. */
static void relay_watch(struct shimv2_relay *r, bool src, bool dst)
{
	struct loop *l = r->sv->loop;
	struct kerr err;

	src = src && r->src >= 0;
	dst = dst && r->dst >= 0;
	if (src != r->src_watched) {
		if (!src)
			loop_del_fd(l, r->src);
		else if (loop_add_fd(l, r->src, LOOP_READ, on_src, r, &err) < 0)
			log_warn("relay of `%s`: %s", shimv2_state_proc_name(r->proc), err.msg);
		else
			r->src_watched = true;
		if (!src)
			r->src_watched = false;
	}
	if (dst && r->dst_tty) {
		if (!r->retry_timer)
			r->retry_timer =
				loop_add_timer(l, SHIMV2_RELAY_RETRY_MS, on_retry, r, &err);
		return;
	}
	if (dst != r->dst_watched) {
		if (!dst)
			loop_del_fd(l, r->dst);
		else if (loop_add_fd(l, r->dst, LOOP_WRITE, on_dst, r, &err) < 0)
			log_warn("relay of `%s`: %s", shimv2_state_proc_name(r->proc), err.msg);
		else
			r->dst_watched = true;
		if (!dst)
			r->dst_watched = false;
	}
}

static void relay_end(struct shimv2_relay *r)
{
	bool output = r == &r->proc->out && (r->src >= 0 || r->dst >= 0);

	relay_watch(r, false, false);
	if (r->retry_timer)
		loop_cancel_timer(r->sv->loop, r->retry_timer);
	r->retry_timer = 0;
	if (r->src_owned)
		fd_close(r->src);
	if (r->dst_owned)
		fd_close(r->dst);
	r->src = r->dst = -1;
	free(r->buf);
	r->buf = NULL;
	r->off = r->len = 0;
	r->eof = true;
	if (output && ended_hook)
		ended_hook(r->sv, r->proc);
}

/* Writes what is pending; true when all of it went. */
static bool relay_flush(struct shimv2_relay *r)
{
	while (r->off < r->len) {
		ssize_t n = write(r->dst, r->buf + r->off, r->len - r->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n < 0) {
			/* The reader went away (EPIPE, EIO): what is left has nowhere to go. */
			log_debug("relay of `%s`: %s, dropping %zu bytes",
				  shimv2_state_proc_name(r->proc), strerror(errno),
				  r->len - r->off);
			r->off = r->len;
			break;
		}
		r->off += (size_t)n;
	}
	r->off = r->len = 0;
	return true;
}

/* Moves bytes until something would block, then watches what it waits for. */
static void relay_pump(struct shimv2_relay *r)
{
	struct shimv2 *sv = r->sv;

	if (!relay_flush(r)) {
		relay_watch(r, false, true);
		return;
	}
	for (int turn = 0; turn < RELAY_TURNS && !r->eof; turn++) {
		ssize_t n = read(r->src, sv->rbuf, sizeof(sv->rbuf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n == 0 && r->src_fifo && !r->seen_writer)
			break; /* no writer has opened the FIFO yet: that is not EOF */
		if (n <= 0) {
			/* EOF, or EIO from a master whose every slave is closed. */
			r->eof = true;
			break;
		}
		r->seen_writer = true;
		if (!r->buf)
			r->buf = malloc(SHIMV2_RELAY_BUF);
		if (!r->buf) {
			log_warn("relay of `%s`: out of memory, %zd bytes dropped",
				 shimv2_state_proc_name(r->proc), n);
			continue;
		}
		memcpy(r->buf, sv->rbuf, (size_t)n);
		r->len = (size_t)n;
		if (!relay_flush(r)) {
			relay_watch(r, false, true);
			return;
		}
	}
	/* Nothing pending: the buffer goes back until bytes come again. */
	free(r->buf);
	r->buf = NULL;
	if (r->eof) {
		if (r->close_dst_at_eof || r == &r->proc->out)
			relay_end(r);
		else
			relay_watch(r, false, false);
		return;
	}
	relay_watch(r, true, false);
}

static void on_src(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shimv2_relay *r = data;

	(void)l;
	(void)fd;
	/* A FIFO reports a hang-up only after a writer came and went. */
	if (events & LOOP_HUP)
		r->seen_writer = true;
	relay_pump(r);
}

static void on_dst(struct loop *l, int fd, uint32_t events, void *data)
{
	(void)l;
	(void)fd;
	(void)events;
	relay_pump(data);
}

static void on_retry(struct loop *l, void *data)
{
	struct shimv2_relay *r = data;

	(void)l;
	r->retry_timer = 0;
	relay_pump(r);
}

/* ---- opening ---- */

/* Opens an output stream. For the runtime (to_runtime) a FIFO is opened blocking, as the
 * process's own stdout; for the shim's terminal relay non-blocking. -1 for "". */
static int open_output(const char *path, bool to_runtime, int *fd, struct kerr *err)
{
	struct stat st;

	*fd = -1;
	if (!path[0])
		return 0;
	if (str_has_prefix(path, FILE_SCHEME)) {
		const char *file = path + strlen(FILE_SCHEME);
		char dir[PATH_MAX];

		if (file[0] != '/')
			return kerr_set(err, EINVAL, "stdio `%s`: not an absolute file:// path",
					path);
		if (str_copy(dir, sizeof(dir), file)) {
			char *slash = strrchr(dir, '/');

			*slash = '\0';
			for (char *c = dir + 1; *c; c++) {
				if (*c != '/')
					continue;
				*c = '\0';
				(void)mkdir(dir, 0755);
				*c = '/';
			}
			if (dir[0])
				(void)mkdir(dir, 0755);
		}
		*fd = open(file,
			   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
				   (to_runtime ? 0 : O_NONBLOCK),
			   FILE_MODE);
		if (*fd < 0)
			return kerr_set(err, errno, "open stdio file `%s`", file);
		return 0;
	}
	if (strstr(path, "://"))
		return kerr_set(err, EPROTONOSUPPORT,
				"stdio `%s`: unsupported scheme; allowed: a FIFO path, file://",
				path);
	if (path[0] != '/')
		return kerr_set(err, EINVAL, "stdio `%s` is not an absolute path", path);
	if (stat(path, &st) < 0)
		return kerr_set(err, errno, "stdio `%s`", path);
	if (S_ISFIFO(st.st_mode))
		/* O_RDWR never blocks on a FIFO, and keeps it writable while nobody reads. */
		*fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | (to_runtime ? 0 : O_NONBLOCK));
	else
		*fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY |
					 (to_runtime ? 0 : O_NONBLOCK));
	if (*fd < 0)
		return kerr_set(err, errno, "open stdio `%s`", path);
	return 0;
}

/* The stdin FIFO (non-blocking, never waits for a writer); a regular file is handed to the
 * process as it is (*direct). */
static int open_input(const char *path, int *fd, bool *direct, struct kerr *err)
{
	struct stat st;

	*fd = -1;
	*direct = false;
	if (!path[0])
		return 0;
	if (path[0] != '/')
		return kerr_set(err, EINVAL, "stdin `%s` is not an absolute path", path);
	if (stat(path, &st) < 0)
		return kerr_set(err, errno, "stdin `%s`", path);
	*direct = !S_ISFIFO(st.st_mode);
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (*direct ? 0 : O_NONBLOCK));
	if (*fd < 0)
		return kerr_set(err, errno, "open stdin `%s`", path);
	return 0;
}

/* ---- stdio containerd gave no path for ----
 * Never the shim's own /dev/null (a descriptor of the host's, issue 12): an empty pipe for
 * input (EOF at once) and, for output, a pipe of the shim's drained and dropped. */

static void on_sink(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shimv2 *sv = data;

	(void)l;
	(void)events;
	while (read(fd, sv->rbuf, sizeof(sv->rbuf)) > 0)
		;
}

static int sink_output(struct shimv2 *sv, int *fd, struct kerr *err)
{
	if (sv->sink_w < 0) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return kerr_set(err, errno, "create the output sink");
		if (fd_set_nonblock(p[0], true, err) < 0 ||
		    loop_add_fd(sv->loop, p[0], LOOP_READ, on_sink, sv, err) < 0) {
			fd_close(p[0]);
			fd_close(p[1]);
			return -1;
		}
		sv->sink_r = p[0];
		sv->sink_w = p[1];
	}
	*fd = fcntl(sv->sink_w, F_DUPFD_CLOEXEC, 3);
	if (*fd < 0)
		return kerr_set(err, errno, "duplicate the output sink");
	return 0;
}

static int empty_input(int *fd, struct kerr *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "create an empty stdin pipe");
	fd_close(p[1]);
	*fd = p[0];
	return 0;
}

int shimv2_io_open(struct shimv2 *sv, struct shimv2_proc *p, struct kerr *err)
{
	_cleanup_close_ int in = -1;
	bool direct;

	if (open_input(p->stdin_path, &in, &direct, err) < 0)
		return -1;
	if (p->terminal) {
		/* runc's own stdio is /dev/null; output comes from the master once it is here. */
		if (open_output(p->stdout_path, false, &p->out.dst, err) < 0)
			return -1;
		p->out.dst_owned = true;
		p->in.src = take_fd(&in);
		p->in.src_owned = p->in.src >= 0;
		p->in.src_fifo = !direct;
		return 0;
	}
	if (open_output(p->stdout_path, true, &p->stdout_fd, err) < 0 ||
	    open_output(p->stderr_path, true, &p->stderr_fd, err) < 0)
		return -1;
	if ((p->stdout_fd < 0 && sink_output(sv, &p->stdout_fd, err) < 0) ||
	    (p->stderr_fd < 0 && sink_output(sv, &p->stderr_fd, err) < 0))
		return -1;
	if (in < 0)
		return empty_input(&p->stdin_rfd, err);
	if (direct) {
		p->stdin_rfd = take_fd(&in);
		return 0;
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return kerr_set(err, errno, "stdin pipe");
	p->stdin_rfd = pp[0];
	if (fd_set_nonblock(pp[1], true, err) < 0) {
		fd_close(pp[1]);
		return -1;
	}
	p->in.src = take_fd(&in);
	p->in.src_owned = true;
	p->in.src_fifo = true;
	p->in.dst = pp[1];
	p->in.dst_owned = true;
	p->in.close_dst_at_eof = true;
	relay_watch(&p->in, true, false);
	return 0;
}

void shimv2_io_handed(struct shimv2_proc *p)
{
	p->stdin_rfd = fd_close(p->stdin_rfd);
	p->stdout_fd = fd_close(p->stdout_fd);
	p->stderr_fd = fd_close(p->stderr_fd);
}

int shimv2_io_terminal(struct shimv2 *sv, struct shimv2_proc *p, int master, struct kerr *err)
{
	(void)sv;
	p->master = master;
	if (p->rows && console_resize(master, p->rows, p->cols, err) < 0)
		log_warn("`%s`: %s, ignoring", shimv2_state_proc_name(p), err->msg);
	p->out.src = master;
	p->out.src_owned = false;
	if (p->out.dst >= 0)
		relay_watch(&p->out, true, false);
	if (p->in.src >= 0 && !p->in.eof) {
		p->in.dst = master;
		p->in.dst_owned = false;
		p->in.dst_tty = true;
		relay_watch(&p->in, true, false);
	}
	return 0;
}

void shimv2_io_close_stdin(struct shimv2 *sv, struct shimv2_proc *p)
{
	(void)sv;
	if (p->in.src < 0 && p->in.dst < 0)
		return;
	if (p->terminal) {
		/* The terminal stays (the master is not the relay's): only the FIFO ends. */
		relay_end(&p->in);
		return;
	}
	p->in.eof = true;
	relay_pump(&p->in); /* flushes what is pending, then closes the pipe */
}

int shimv2_io_resize(struct shimv2_proc *p, uint32_t width, uint32_t height, struct kerr *err)
{
	/* A client without a terminal of its own sends 0x0 (ctr under script(1)): no size. */
	if (width == 0 || height == 0)
		return 0;
	if (console_resize(-1, height, width, err) < 0)
		return -1;
	p->rows = height;
	p->cols = width;
	return console_resize(p->master, height, width, err);
}

bool shimv2_io_drained(const struct shimv2_proc *p)
{
	return !p->terminal || p->out.src < 0;
}

void shimv2_io_init(struct shimv2 *sv, struct shimv2_proc *p)
{
	relay_init(sv, &p->in, p);
	relay_init(sv, &p->out, p);
	console_init(&p->console);
	p->master = p->stdin_rfd = p->stdout_fd = p->stderr_fd = -1;
}

void shimv2_io_close(struct shimv2 *sv, struct shimv2_proc *p)
{
	(void)sv;
	relay_end(&p->in);
	/* Not relay_end: the process is going away, nobody is to be told its output ended. */
	relay_watch(&p->out, false, false);
	if (p->out.dst_owned)
		fd_close(p->out.dst);
	p->out.src = p->out.dst = -1;
	free(p->out.buf);
	p->out.buf = NULL;
	console_close(&p->console);
	p->master = fd_close(p->master);
	shimv2_io_handed(p);
}
