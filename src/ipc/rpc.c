/*
 * rpc: loop-driven authenticated connections (mechanism M3). See rpc.h for the contract.
 *
 * A connection is live (registered, dispatching), then closing (on_close has run, the
 * role has forgotten it, queued bytes drain for at most DRAIN_MS), then freed. Frames are
 * dispatched one by one straight out of the receive buffer (ipc_conn_recv reads exactly
 * one frame at a time), at most FRAMES_PER_WAKEUP per readiness event so one busy peer
 * cannot starve the others; level-triggered epoll calls back for the rest. Every close
 * that happens inside a callback is deferred until that callback has returned; a send
 * that fails anywhere else (a role's own timer or fd handler) is finished by a zero-delay
 * timer, so the caller's pointer stays valid until it returns to the loop.
 *
 * The id registry is process-wide: a process runs one loop (ARCHITECTURE.md), and ids
 * must survive the connection they name so late replies can be dropped safely.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fd.h"
#include "ipc/rpc.h"
#include "base/str.h"

#define FRAMES_PER_WAKEUP 64
#define DRAIN_MS	  1000 /* a closing connection's queue gets this long to drain */
#define RPC_CONNS_MAX	  4096 /* connections one server holds */
#define REGISTRY_BUCKETS  256  /* hash buckets of the id registry */
#define AUTH_ERROR_CODE	  125  /* CODE of the one error frame an unauthenticated peer gets */
#define ACCEPT_PAUSE_MS	  100  /* listener off this long when we are out of descriptors */

struct rpc_conn {
	struct ipc_conn ipc;		/* socket and buffers; owned */
	uint64_t id;			/* never reused; 0 once unregistered */
	struct loop *loop;		/* borrowed */
	const struct rpc_conn_ops *ops; /* borrowed */
	void *data;			/* the role's pointer; borrowed */
	struct rpc_server *server;	/* accepting server, or NULL when dialed */
	struct rpc_conn *srv_next;	/* server's list */
	struct rpc_conn *srv_prev;	/* server's list */
	struct rpc_conn *hash_next;	/* registry bucket chain */
	char token[IPC_TOKEN_HEX + 1];	/* expected (server side) or sent (dialed) */
	uint64_t timer;			/* auth deadline or drain deadline, 0 when none */
	pid_t peer_pid;			/* SO_PEERCRED pid, 0 when unknown */
	bool dialed;			/* we connected out; the server authenticates us */
	bool auth_ok_pending;		/* dialed: the server's OK to AUTH not seen yet */
	bool write_armed;		/* LOOP_WRITE requested */
	bool closing;			/* on_close ran or is about to; no more dispatch */
	int in_cb;			/* nesting depth of our own callbacks */
};

struct rpc_server {
	struct loop *loop;		/* borrowed */
	int lfd;			/* listening socket; owned; -1 once stopped */
	char token[IPC_TOKEN_HEX + 1];	/* what AUTH frames must carry */
	uid_t allowed_uid;		/* peer uid allowed besides root */
	const struct rpc_conn_ops *ops; /* borrowed */
	void *data;			/* initial per-connection pointer */
	struct rpc_conn *conns;		/* accepted, live or draining */
	size_t nconns;			/* entries in conns */
	uint64_t pause_timer;		/* accepting resumes when it fires; 0 when not paused */
};

static struct rpc_conn *registry[REGISTRY_BUCKETS];
static uint64_t next_id = 1;

static void registry_add(struct rpc_conn *c)
{
	c->id = next_id++;
	c->hash_next = registry[c->id % REGISTRY_BUCKETS];
	registry[c->id % REGISTRY_BUCKETS] = c;
}

static void registry_del(struct rpc_conn *c)
{
	struct rpc_conn **pp = &registry[c->id % REGISTRY_BUCKETS];

	while (*pp && *pp != c)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = c->hash_next;
	c->hash_next = NULL;
}

struct rpc_conn *rpc_conn_find(uint64_t id)
{
	struct rpc_conn *c = id ? registry[id % REGISTRY_BUCKETS] : NULL;

	while (c && c->id != id)
		c = c->hash_next;
	return c && !c->closing ? c : NULL;
}

static void detach_from_server(struct rpc_conn *c)
{
	if (!c->server)
		return;
	if (c->srv_prev)
		c->srv_prev->srv_next = c->srv_next;
	else
		c->server->conns = c->srv_next;
	if (c->srv_next)
		c->srv_next->srv_prev = c->srv_prev;
	c->server->nconns--;
	c->server = NULL;
	c->srv_next = NULL;
	c->srv_prev = NULL;
}

static void conn_free(struct rpc_conn *c)
{
	if (c->timer)
		loop_cancel_timer(c->loop, c->timer);
	if (c->ipc.fd >= 0)
		loop_del_fd(c->loop, c->ipc.fd);
	registry_del(c);
	detach_from_server(c);
	ipc_conn_done(&c->ipc);
	free(c);
}

static void drain_timeout(struct loop *l, void *data)
{
	struct rpc_conn *c = data;

	(void)l;
	c->timer = 0;
	conn_free(c);
}

/* Second half of a close, outside any callback of ours: drain or free. */
static void conn_finish(struct rpc_conn *c)
{
	struct kerr err;

	if (c->in_cb > 0)
		return;
	if (c->ipc.tx.len > 0 && ipc_conn_flush(&c->ipc, &err) == 0) {
		if (c->timer)
			loop_cancel_timer(c->loop, c->timer);
		c->timer = loop_add_timer(c->loop, DRAIN_MS, drain_timeout, c, &err);
		if (c->timer && loop_mod_fd(c->loop, c->ipc.fd, LOOP_WRITE, &err) == 0)
			return;
	}
	conn_free(c);
}

/* Marks closing and tells the role once. */
static void conn_close(struct rpc_conn *c, const struct kerr *why)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->timer) {
		loop_cancel_timer(c->loop, c->timer);
		c->timer = 0;
	}
	c->in_cb++;
	if (c->ops && c->ops->on_close)
		c->ops->on_close(c, why, c->data);
	c->in_cb--;
	conn_finish(c);
}

static void finish_later(struct loop *l, void *data)
{
	struct rpc_conn *c = data;

	(void)l;
	c->timer = 0;
	conn_finish(c);
}

/*
 * A send failed: close, but keep c valid until the running callback has returned even
 * when that callback is not one of ours (a role's timer or pipe handler that called
 * rpc_conn_send and still holds c), so "closed (deferred)" holds wherever a send is made.
 */
static void conn_fail(struct rpc_conn *c, const struct kerr *why)
{
	struct kerr err;

	if (c->closing)
		return;
	c->in_cb++;
	conn_close(c, why);
	c->in_cb--;
	if (c->in_cb > 0)
		return; /* one of our callbacks is running: its epilogue finishes c */
	c->timer = loop_add_timer(c->loop, 0, finish_later, c, &err);
	if (!c->timer)
		conn_finish(c);
}

void rpc_conn_close(struct rpc_conn *c)
{
	struct kerr why = { .code = 0, .msg = "closed" };

	if (c)
		conn_close(c, &why);
}

static void arm_write(struct rpc_conn *c, bool on)
{
	struct kerr err;

	if (c->write_armed == on || c->ipc.fd < 0)
		return;
	if (loop_mod_fd(c->loop, c->ipc.fd, on ? LOOP_READ | LOOP_WRITE : LOOP_READ, &err) == 0)
		c->write_armed = on;
}

int rpc_conn_send(struct rpc_conn *c)
{
	struct kerr err;

	if (c->closing)
		return -1;
	int r = ipc_conn_flush(&c->ipc, &err);
	if (r < 0) {
		kerr_wrap(&err, "send to peer");
		conn_fail(c, &err);
		return -1;
	}
	if (r == 0 && c->ipc.tx.len > IPC_TX_MAX / 2) {
		kerr_set(&err, ENOBUFS, "peer is not reading: %zu bytes queued", c->ipc.tx.len);
		conn_fail(c, &err);
		return -1;
	}
	arm_write(c, r == 0);
	return 0;
}

int rpc_conn_send_ok(struct rpc_conn *c, uint32_t reqid)
{
	struct kerr err;

	if (c->closing)
		return -1;
	if (ipc_conn_send_ok(&c->ipc, reqid, &err) < 0) {
		conn_fail(c, &err);
		return -1;
	}
	return rpc_conn_send(c);
}

int rpc_conn_send_error(struct rpc_conn *c, uint32_t reqid, uint32_t code, const char *msg)
{
	struct kerr err;

	if (c->closing)
		return -1;
	if (ipc_conn_send_error(&c->ipc, reqid, code, msg, &err) < 0) {
		conn_fail(c, &err);
		return -1;
	}
	return rpc_conn_send(c);
}

int rpc_conn_send_fds(struct rpc_conn *c, const int *fds, size_t n, struct kerr *err)
{
	if (c->closing)
		return kerr_set(err, EPIPE, "connection is closing");
	return ipc_conn_attach_fds(&c->ipc, fds, n, err);
}

/* One error frame, then close: the fate of every peer that fails authentication. */
static void refuse(struct rpc_conn *c, uint32_t reqid, const struct kerr *why)
{
	struct kerr err;

	if (ipc_conn_send_error(&c->ipc, reqid, AUTH_ERROR_CODE, why->msg, &err) == 0)
		ipc_conn_flush(&c->ipc, &err);
	conn_close(c, why);
}

static void handle_frame(struct rpc_conn *c, const struct wire_frame *f)
{
	struct kerr err;

	if (!c->dialed && !c->ipc.authed) {
		if (ipc_check_auth_frame(f, c->token, &err) < 0) {
			kerr_wrap(&err, "authentication failed");
			refuse(c, f->reqid, &err);
			return;
		}
		ipc_conn_set_authed(&c->ipc);
		if (c->timer) {
			loop_cancel_timer(c->loop, c->timer);
			c->timer = 0;
		}
		rpc_conn_send_ok(c, f->reqid);
		return;
	}
	if (c->auth_ok_pending && f->reqid == 0) {
		c->auth_ok_pending = false;
		if (f->type == WIRE_T_OK)
			return;
		/* The server's words go to a person: escape them and cut them to fit. */
		const struct wire_field *m = wire_find(f, WIRE_F_MSG);
		char msg[KERR_MSG_MAX / 2] = "";
		if (m)
			str_sanitize(msg, sizeof(msg), m->val, m->len);
		kerr_set(&err, EACCES, "server refused authentication: %s", msg);
		conn_close(c, &err);
		return;
	}
	if (c->ops && c->ops->on_frame)
		c->ops->on_frame(c, f, c->data);
}

static void on_io(struct loop *l, int fd, uint32_t events, void *data)
{
	struct rpc_conn *c = data;
	struct kerr err;

	(void)l;
	(void)fd;
	c->in_cb++;
	if (c->closing) {
		/* Draining: only writes matter now. */
		if (ipc_conn_flush(&c->ipc, &err) != 0 || (events & LOOP_HUP)) {
			c->in_cb--;
			if (c->timer) {
				loop_cancel_timer(c->loop, c->timer);
				c->timer = 0;
			}
			conn_free(c);
			return;
		}
		c->in_cb--;
		return;
	}
	if (events & LOOP_WRITE)
		rpc_conn_send(c);
	for (int i = 0; i < FRAMES_PER_WAKEUP && !c->closing; i++) {
		struct wire_frame f;
		int r = ipc_conn_recv(&c->ipc, &f, &err);

		if (r == 0)
			break;
		if (r < 0) {
			/* A peer we serve is told what was wrong (STYLE rule 17), authed or not. */
			if (!c->ipc.eof && !c->dialed)
				refuse(c, 0, &err);
			else
				conn_close(c, &err);
			break;
		}
		handle_frame(c, &f);
	}
	c->in_cb--;
	if (c->closing)
		conn_finish(c);
}

static void auth_timeout(struct loop *l, void *data)
{
	struct rpc_conn *c = data;
	struct kerr why;

	(void)l;
	c->timer = 0;
	/* Code set apart: the peer reads "timed out after 2000 ms", not strerror twice. */
	kerr_set(&why, 0, "authentication timed out after %d ms", IPC_AUTH_DEADLINE_MS);
	why.code = ETIMEDOUT;
	refuse(c, 0, &why);
}

static struct rpc_conn *conn_new(struct loop *l, int fd, const char *token,
				 const struct rpc_conn_ops *ops, void *data, struct kerr *err)
{
	struct rpc_conn *c = calloc(1, sizeof(*c));
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!c) {
		fd_close(fd);
		kerr_set(err, ENOMEM, "new connection");
		return NULL;
	}
	ipc_conn_init(&c->ipc, fd);
	c->loop = l;
	c->ops = ops;
	c->data = data;
	str_copy(c->token, sizeof(c->token), token);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		c->peer_pid = cred.pid;
	if (loop_add_fd(l, fd, LOOP_READ, on_io, c, err) < 0) {
		ipc_conn_done(&c->ipc);
		free(c);
		return NULL;
	}
	registry_add(c);
	return c;
}

struct rpc_conn *rpc_conn_dial(struct loop *l, int dirfd, const char *addr_file, const char *token,
			       const struct rpc_conn_ops *ops, void *data, struct kerr *err)
{
	int fd;

	if (ipc_connect(dirfd, addr_file, &fd, err) < 0)
		return NULL;
	struct rpc_conn *c = conn_new(l, fd, token, ops, data, err);
	if (!c)
		return NULL;
	c->dialed = true;
	c->auth_ok_pending = true;
	/* The server passed ipc_check_server: its replies may be large and carry fds. */
	ipc_conn_set_authed(&c->ipc);
	/*
	 * Flushed here rather than through rpc_conn_send, whose failure path runs on_close
	 * and frees c: the caller has not seen c yet, so a failure is reported through err
	 * alone and c goes away without on_close.
	 */
	int r = ipc_conn_send_auth(&c->ipc, token, err);
	if (r == 0)
		r = ipc_conn_flush(&c->ipc, err);
	if (r < 0) {
		kerr_wrap(err, "authenticate to `%s`", addr_file);
		c->closing = true;
		conn_free(c);
		return NULL;
	}
	arm_write(c, r == 0);
	return c;
}

static void resume_accepting(struct loop *l, void *data)
{
	struct rpc_server *s = data;
	struct kerr err;

	s->pause_timer = 0;
	if (s->lfd >= 0)
		(void)loop_mod_fd(l, s->lfd, LOOP_READ, &err);
}

/*
 * Out of descriptors (EMFILE/ENFILE): the pending connection stays in the backlog and the
 * level-triggered listener would wake us at once, forever, while peers that hold our
 * descriptors (say 1,000 that never authenticate) wait for their deadline. Stop listening
 * for a moment instead of spinning; queued clients are accepted once descriptors free up.
 */
static void pause_accepting(struct rpc_server *s)
{
	struct kerr err;

	if (s->pause_timer || loop_mod_fd(s->loop, s->lfd, 0, &err) < 0)
		return;
	s->pause_timer = loop_add_timer(s->loop, ACCEPT_PAUSE_MS, resume_accepting, s, &err);
	if (!s->pause_timer)
		(void)loop_mod_fd(s->loop, s->lfd, LOOP_READ, &err);
}

static void on_accept(struct loop *l, int lfd, uint32_t events, void *data)
{
	struct rpc_server *s = data;
	struct kerr err;

	(void)events;
	for (int i = 0; i < FRAMES_PER_WAKEUP; i++) {
		int fd;
		int r = ipc_accept(lfd, &fd, &err);

		if (r < 0 && (err.code == EMFILE || err.code == ENFILE))
			pause_accepting(s);
		if (r <= 0)
			return; /* EAGAIN, or a transient accept error: try on the next wakeup */
		if (s->nconns >= RPC_CONNS_MAX) {
			fd_close(fd);
			continue;
		}
		struct rpc_conn *c = conn_new(l, fd, s->token, s->ops, s->data, &err);
		if (!c)
			continue;
		c->server = s;
		c->srv_next = s->conns;
		if (s->conns)
			s->conns->srv_prev = c;
		s->conns = c;
		s->nconns++;
		if (ipc_check_client(fd, s->allowed_uid, &err) < 0) {
			kerr_wrap(&err, "peer refused");
			refuse(c, 0, &err);
			continue;
		}
		c->timer = loop_add_timer(l, IPC_AUTH_DEADLINE_MS, auth_timeout, c, &err);
		if (!c->timer)
			refuse(c, 0, &err);
	}
}

struct rpc_server *rpc_server_new(struct loop *l, int lfd, const char *token, uid_t allowed_uid,
				  const struct rpc_conn_ops *ops, void *data, struct kerr *err)
{
	struct rpc_server *s = calloc(1, sizeof(*s));

	if (!s) {
		fd_close(lfd);
		kerr_set(err, ENOMEM, "new server");
		return NULL;
	}
	s->loop = l;
	s->lfd = lfd;
	s->allowed_uid = allowed_uid;
	s->ops = ops;
	s->data = data;
	str_copy(s->token, sizeof(s->token), token);
	if (loop_add_fd(l, lfd, LOOP_READ, on_accept, s, err) < 0) {
		fd_close(lfd);
		free(s);
		return NULL;
	}
	return s;
}

void rpc_server_stop(struct rpc_server *s)
{
	if (!s || s->lfd < 0)
		return;
	if (s->pause_timer) {
		loop_cancel_timer(s->loop, s->pause_timer);
		s->pause_timer = 0;
	}
	loop_del_fd(s->loop, s->lfd);
	s->lfd = fd_close(s->lfd);
}

struct rpc_server *rpc_server_free(struct rpc_server *s)
{
	if (!s)
		return NULL;
	rpc_server_stop(s);
	while (s->conns) {
		struct rpc_conn *c = s->conns;
		struct kerr why = { .code = 0, .msg = "server shutting down" };

		if (!c->closing) {
			c->closing = true;
			if (c->timer) {
				loop_cancel_timer(c->loop, c->timer);
				c->timer = 0;
			}
			c->in_cb++;
			if (c->ops && c->ops->on_close)
				c->ops->on_close(c, &why, c->data);
			c->in_cb--;
		}
		if (c->in_cb > 0) {
			/* Called from inside a callback of c: leave c to that callback's own
			 * epilogue (conn_finish), detached from s, with nothing left to drain. */
			detach_from_server(c);
			buf_clear(&c->ipc.tx);
			c->ipc.tx_nfds = 0;
			continue;
		}
		conn_free(c);
	}
	free(s);
	return NULL;
}

size_t rpc_server_conn_count(const struct rpc_server *s)
{
	return s ? s->nconns : 0;
}

uint64_t rpc_conn_id(const struct rpc_conn *c)
{
	return c->id;
}

void *rpc_conn_data(const struct rpc_conn *c)
{
	return c->data;
}

void rpc_conn_set_data(struct rpc_conn *c, void *data)
{
	c->data = data;
}

struct ipc_conn *rpc_conn_ipc(struct rpc_conn *c)
{
	return &c->ipc;
}

pid_t rpc_conn_peer_pid(const struct rpc_conn *c)
{
	return c->peer_pid;
}

struct buf *rpc_conn_txbuf(struct rpc_conn *c)
{
	return &c->ipc.tx;
}

size_t rpc_conn_pending(const struct rpc_conn *c)
{
	return c->ipc.tx.len;
}
