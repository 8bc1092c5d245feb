/*
 * shimv2_serve: the shim v2 server (role layer, top band).
 *
 * One loop (ipc/loop.c) holds everything: the listening socket containerd connects to,
 * each connection's frames, SIGCHLD (the server is the subreaper of every process its
 * runtime starts), runtime call deadlines, relays and the event publisher. Hostile
 * peers: only a peer with our uid is served (the socket file is 0600 as well); a frame
 * announcing more than TTRPC_MSG_MAX is answered ResourceExhausted and its data skipped;
 * a request whose protobuf does not decode is answered InvalidArgument and one that asks
 * for streaming Unimplemented; a response or an unknown message type from the client, or
 * a malformed header ends the connection; none of it ends the server. Once a Shutdown
 * leaves no task, the server stops accepting, flushes its replies and events
 * (SHIMV2_FLUSH_MS at most), removes its socket file and returns. Calls task, proc,
 * events, reply and state.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/log.h"
#include "runtime/proc.h"
#include "shimv2/shimv2_events.h"
#include "shimv2/shimv2_proc.h"
#include "shimv2/shimv2_reply.h"
#include "shimv2/shimv2_serve.h"
#include "shimv2/shimv2_task.h"

#define TRIM_MS 2000 /* idle this long: connection buffers are given back */

static void close_conn(struct shimv2 *sv, struct shimv2_conn *c, const char *why)
{
	log_debug("connection %llu closed: %s", (unsigned long long)c->id, why);
	loop_del_fd(sv->loop, c->io.fd);
	ttrpc_conn_done(&c->io);
	shimv2_proc_forget_conn(sv, c->id);
	*c = (struct shimv2_conn){ .id = 0 };
	c->io.fd = -1;
}

/* One whole frame from the client. */
static void handle_frame(struct shimv2 *sv, struct shimv2_conn *c, const struct ttrpc_hdr *h,
			 const uint8_t *data)
{
	struct ttrpc_request req;
	struct kerr err;

	if (h->type == TTRPC_T_DATA) {
		/* Data belongs to a streaming call, and no method here streams. */
		log_debug("connection %llu: data on stream %u ignored: no stream is open",
			  (unsigned long long)c->id, h->sid);
		return;
	}
	if (h->type != TTRPC_T_REQUEST) {
		log_warn("connection %llu: a client sent a response (stream %u), closing it",
			 (unsigned long long)c->id, h->sid);
		c->closing = true;
		return;
	}
	if (h->flags) {
		shimv2_reply_error(sv, c->id, h->sid, TTRPC_UNIMPLEMENTED,
				   "streaming requests (flags %#x) are not supported", h->flags);
		return;
	}
	if (ttrpc_request_decode(data, h->len, &req, &err) < 0) {
		shimv2_reply_error(sv, c->id, h->sid, TTRPC_INVALID_ARGUMENT, "%s", err.msg);
		return;
	}
	shimv2_task_call(sv, c->id, h->sid, &req);
}

static void arm_trim(struct shimv2 *sv);

static void on_conn(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shimv2 *sv = data;
	struct shimv2_conn *c = NULL;
	struct kerr err;

	(void)l;
	for (size_t i = 0; i < SHIMV2_CONNS_MAX && !c; i++)
		if (sv->conns[i].id && sv->conns[i].io.fd == fd)
			c = &sv->conns[i];
	if (!c)
		return;
	arm_trim(sv);
	if (events & (LOOP_READ | LOOP_HUP)) {
		int r = ttrpc_conn_read(&c->io, &err);

		if (r < 0) {
			close_conn(sv, c, err.msg);
			return;
		}
		for (;;) {
			struct ttrpc_hdr h;
			const uint8_t *body;
			enum ttrpc_conn_result k = ttrpc_conn_next(&c->io, &h, &body, &err);
			uint64_t id = c->id;

			if (k == TTRPC_CONN_MORE)
				break;
			if (k == TTRPC_CONN_ERROR) {
				close_conn(sv, c, err.msg);
				return;
			}
			if (k == TTRPC_CONN_OVERSIZE)
				shimv2_reply_error(sv, id, h.sid, TTRPC_RESOURCE_EXHAUSTED, "%s",
						   err.msg);
			else
				handle_frame(sv, c, &h, body);
			/* The handler may have closed or reused nothing: c is still ours. */
			if (c->id != id || c->closing)
				break;
		}
		if (c->io.eof && !c->closing) {
			close_conn(sv, c, "the peer closed it");
			return;
		}
	}
	shimv2_reply_flush(sv, c);
	if (c->closing && c->io.tx.len == 0)
		close_conn(sv, c, "protocol error");
}

static void on_accept(struct loop *l, int fd, uint32_t events, void *data)
{
	struct shimv2 *sv = data;
	struct shimv2_conn *c = NULL;
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	struct kerr err;

	(void)events;
	_cleanup_close_ int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	/* The file is 0600 already; a peer of another uid (a container's root mapped
	 * elsewhere, say) is refused all the same. */
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
		log_warn("refused a connection from uid %u pid %d: only uid %u is served",
			 (unsigned)cred.uid, (int)cred.pid, (unsigned)geteuid());
		return;
	}
	for (size_t i = 0; i < SHIMV2_CONNS_MAX && !c; i++)
		if (!sv->conns[i].id)
			c = &sv->conns[i];
	if (!c) {
		log_warn("refused a connection: %d are open already", SHIMV2_CONNS_MAX);
		return;
	}
	if (loop_add_fd(l, cfd, LOOP_READ, on_conn, sv, &err) < 0) {
		log_warn("refused a connection: %s", err.msg);
		return;
	}
	c->id = ++sv->next_conn;
	ttrpc_conn_init(&c->io, take_fd(&cfd));
	log_debug("connection %llu from pid %d", (unsigned long long)c->id, (int)cred.pid);
}

static void on_sigchld(struct loop *l, const struct signalfd_siginfo *si, void *data)
{
	struct shimv2 *sv = data;
	pid_t pid;
	int status;

	(void)l;
	(void)si;
	while (proc_reap_any(&pid, &status) == 1) {
		struct rtcall *call = rtcall_find(&sv->calls, pid);

		if (call)
			rtcall_complete(call, status);
		else
			shimv2_proc_reaped(sv, pid, status);
	}
}

static void on_flush_timeout(struct loop *l, void *data)
{
	struct shimv2 *sv = data;

	sv->flush_timer = 0;
	log_warn("exiting with %zu events unsent after %d ms", sv->ev.n, SHIMV2_FLUSH_MS);
	loop_stop(l);
}

static void stop_listening(struct shimv2 *sv)
{
	if (sv->lfd < 0)
		return;
	loop_del_fd(sv->loop, sv->lfd);
	sv->lfd = fd_close(sv->lfd);
	/* No new connection can reach a server that is going: the file goes first. */
	if (sv->sock_path[0] && unlink(sv->sock_path) < 0 && errno != ENOENT)
		log_warn("remove socket `%s`: %m, ignoring", sv->sock_path);
}

static bool replies_flushed(const struct shimv2 *sv)
{
	for (size_t i = 0; i < SHIMV2_CONNS_MAX; i++)
		if (sv->conns[i].id && sv->conns[i].io.tx.len)
			return false;
	return true;
}

static void before_sleep(struct loop *l, void *data)
{
	struct shimv2 *sv = data;
	struct kerr err;

	if (!sv->shutting_down)
		return;
	if (sv->lfd >= 0) {
		stop_listening(sv);
		sv->flush_timer = loop_add_timer(l, SHIMV2_FLUSH_MS, on_flush_timeout, sv, &err);
	}
	if (shimv2_events_idle(sv) && replies_flushed(sv) && rtcall_count(&sv->calls) == 0)
		loop_stop(l);
}

static uint64_t trim_timer; /* armed by activity, fires once the server is idle */

/* Connection buffers grow with the largest frame; idle, they are given back. */
static void on_trim(struct loop *l, void *data)
{
	struct shimv2 *sv = data;

	(void)l;
	trim_timer = 0;
	for (size_t i = 0; i < SHIMV2_CONNS_MAX; i++)
		if (sv->conns[i].id)
			ttrpc_conn_trim(&sv->conns[i].io);
}

static void arm_trim(struct shimv2 *sv)
{
	struct kerr err;

	if (trim_timer)
		loop_cancel_timer(sv->loop, trim_timer);
	trim_timer = loop_add_timer(sv->loop, TRIM_MS, on_trim, sv, &err);
}

int shimv2_serve_run(struct shimv2 *sv, int lfd, struct kerr *err)
{
	int rc = 0;

	sv->lfd = lfd;
	for (size_t i = 0; i < SHIMV2_CONNS_MAX; i++)
		sv->conns[i].io.fd = -1;
	sv->loop = loop_new(err);
	if (!sv->loop)
		return -1;
	rtcall_set_init(&sv->calls, sv->loop, &sv->rt, SHIMV2_RUNTIME_TIMEOUT, sv);
	exitlog_init(&sv->exits);
	shimv2_proc_setup(sv);
	shimv2_events_init(sv, getenv("TTRPC_ADDRESS"));
	if (fd_set_nonblock(lfd, true, err) < 0 ||
	    loop_add_signal(sv->loop, SIGCHLD, on_sigchld, sv, err) < 0 ||
	    loop_add_fd(sv->loop, lfd, LOOP_READ, on_accept, sv, err) < 0)
		rc = -1;
	loop_set_before_sleep(sv->loop, before_sleep, sv);
	if (rc == 0 && loop_run(sv->loop, err) < 0)
		rc = -1;
	stop_listening(sv);
	for (size_t i = 0; i < SHIMV2_TASKS_MAX; i++)
		if (sv->tasks[i])
			shimv2_proc_task_remove(sv, sv->tasks[i]);
	for (size_t i = 0; i < SHIMV2_CONNS_MAX; i++)
		if (sv->conns[i].id)
			close_conn(sv, &sv->conns[i], "the shim exits");
	rtcall_set_done(&sv->calls);
	shimv2_events_done(sv);
	sv->loop = loop_free(sv->loop);
	return rc;
}
