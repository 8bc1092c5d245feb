/*
 * rpc_test: unit tests of rpc.c (test layer).
 *
 * One real loop, real abstract sockets: a server made with ipc_listen + rpc_server_new in a
 * temporary state directory, and clients dialed from this same process with rpc_conn_dial
 * (same pid namespace and root, so ipc_check_client passes as root and as non-root) or
 * connected by hand ("raw") to play a hostile peer. Time is driven by the loop only: every
 * wait is run_until(predicate) bounded by a guard deadline, never a sleep. Fd counts of
 * /proc/self/fd before and after catch leaked sockets; ASan catches use after free.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/fd.h"
#include "ipc/ipc.h"
#include "ipc/ipc_conn.h"
#include "ipc/loop.h"
#include "ipc/rpc.h"
#include "ipc/wire.h"

#define ADDR_FILE    "rpc.addr"
#define GUARD_MS     5000	  /* no wait in this file may take longer */
#define CLIENTS	     8		  /* dialed connections a test can track */
#define STREAM_CHUNK (64u * 1024) /* DATA payload per streamed frame (bytes) */

/* What the server side saw, for every accepted connection together. */
struct srv_state {
	int frames;		/* on_frame calls */
	int closes;		/* on_close calls */
	struct kerr why;	/* the last on_close reason */
	uint16_t type;		/* type of the last frame */
	uint32_t reqid;		/* request id of the last frame */
	char ref[64];		/* REF field of the last frame, "" when absent */
	uint64_t last_id;	/* rpc_conn_id of the last conn that sent a frame */
	pid_t last_peer;	/* rpc_conn_peer_pid of that conn */
	bool reply;		/* answer each frame with OK {MSG "pong"} */
	bool reply_twice;	/* ... and a second OK with the same reqid */
	bool close_in_frame;	/* rpc_conn_close from on_frame, after the reply */
	bool free_in_frame;	/* rpc_server_free from on_frame */
	bool stream;		/* answer with DATA frames until rpc_conn_send fails */
	int streamed;		/* DATA frames queued by the stream */
	int send_failed;	/* rpc_conn_send returned -1 */
	size_t max_pending;	/* largest rpc_conn_pending seen while streaming (bytes) */
	bool found_after_close; /* rpc_conn_find(id) still answered after rpc_conn_close */
};

/* One dialed connection. */
struct client {
	struct rpc_conn *c;	/* NULL once on_close ran */
	uint64_t id;		/* rpc_conn_id */
	int frames;		/* on_frame calls */
	int closes;		/* on_close calls */
	struct kerr why;	/* on_close reason */
	uint16_t type;		/* type of the last frame */
	uint32_t reqid;		/* request id of the last frame */
	char msg[128];		/* MSG of the last frame */
	bool close_in_frame;	/* rpc_conn_close from on_frame */
	bool found_after_close; /* rpc_conn_find(id) answered inside on_frame after closing */
};

static struct loop *lp;
static struct rpc_server *srv;
static int state_dirfd = -1;
static char tmp_path[64];
static char token[IPC_TOKEN_HEX + 1];
static struct srv_state seen;
static struct client cli[CLIENTS];

/* ---- server and client callbacks ---- */

static void srv_on_frame(struct rpc_conn *c, const struct wire_frame *f, void *data)
{
	struct kerr err;
	struct wire_enc e;

	(void)data;
	seen.frames++;
	seen.type = f->type;
	seen.reqid = f->reqid;
	seen.last_id = rpc_conn_id(c);
	seen.last_peer = rpc_conn_peer_pid(c);
	seen.ref[0] = '\0';
	wire_get_str(f, WIRE_F_REF, false, seen.ref, sizeof(seen.ref), &err);
	if (seen.free_in_frame) {
		srv = rpc_server_free(srv);
		return;
	}
	if (seen.stream) {
		static uint8_t chunk[STREAM_CHUNK];

		for (int i = 0; i < 1000; i++) {
			wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_DATA, f->reqid, 0);
			wire_enc_u32(&e, WIRE_F_STREAM, 1);
			wire_enc_bytes(&e, WIRE_F_DATA, chunk, sizeof(chunk));
			if (wire_enc_end(&e, &err) < 0)
				break;
			seen.streamed++;
			if (rpc_conn_pending(c) > seen.max_pending)
				seen.max_pending = rpc_conn_pending(c);
			if (rpc_conn_send(c) < 0) {
				seen.send_failed++;
				break;
			}
		}
		return;
	}
	for (int i = 0; seen.reply && i < (seen.reply_twice ? 2 : 1); i++) {
		wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_OK, f->reqid, 0);
		wire_enc_str(&e, WIRE_F_MSG, "pong");
		if (wire_enc_end(&e, &err) == 0)
			rpc_conn_send(c);
	}
	if (seen.close_in_frame) {
		uint64_t id = rpc_conn_id(c);

		rpc_conn_close(c);
		seen.found_after_close = rpc_conn_find(id) != NULL;
	}
}

static void srv_on_close(struct rpc_conn *c, const struct kerr *why, void *data)
{
	(void)c;
	(void)data;
	seen.closes++;
	seen.why = *why;
}

static const struct rpc_conn_ops srv_ops = {
	.on_frame = srv_on_frame,
	.on_close = srv_on_close,
};

static void cli_on_frame(struct rpc_conn *c, const struct wire_frame *f, void *data)
{
	struct client *k = data;
	struct kerr err;

	k->frames++;
	k->type = f->type;
	k->reqid = f->reqid;
	k->msg[0] = '\0';
	wire_get_str(f, WIRE_F_MSG, false, k->msg, sizeof(k->msg), &err);
	if (k->close_in_frame) {
		rpc_conn_close(c);
		/* c is still valid here (freed after this callback), but no longer found. */
		k->found_after_close = rpc_conn_find(rpc_conn_id(c)) != NULL;
	}
}

static void cli_on_close(struct rpc_conn *c, const struct kerr *why, void *data)
{
	struct client *k = data;

	(void)c;
	k->closes++;
	k->why = *why;
	k->c = NULL;
}

static const struct rpc_conn_ops cli_ops = {
	.on_frame = cli_on_frame,
	.on_close = cli_on_close,
};

/* ---- driving the loop ---- */

static bool (*until_pred)(void);
static uint64_t until_deadline;

static void until_tick(struct loop *l, void *data)
{
	struct kerr err;

	(void)data;
	if (until_pred() || clock_mono_ms() >= until_deadline) {
		loop_stop(l);
		return;
	}
	if (!loop_add_timer(l, 1, until_tick, NULL, &err))
		loop_stop(l);
}

/* Runs the loop until pred() holds or timeout_ms passed; returns pred(). */
static bool run_until(bool (*pred)(void), int timeout_ms)
{
	struct kerr err;

	if (pred())
		return true;
	until_pred = pred;
	until_deadline = clock_mono_ms() + (uint64_t)timeout_ms;
	if (!loop_add_timer(lp, 0, until_tick, NULL, &err))
		return false;
	if (loop_run(lp, &err) < 0)
		return false;
	return pred();
}

/* ---- fixtures ---- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int count_fds(void)
{
	int fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	int n = 0;

	if (!d) {
		fd_close(fd);
		return -1;
	}
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void teardown(void);

/* Fresh state dir, token, loop and server. Returns 0 or -1 (printing why). */
static int setup(void)
{
	struct kerr err;
	char name[IPC_NAME_MAX];
	int lfd;

	teardown(); /* what a failed test left behind */
	memset(&seen, 0, sizeof(seen));
	memset(cli, 0, sizeof(cli));
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/rpc_test.XXXXXX");
	if (!mkdtemp(tmp_path))
		return -1;
	state_dirfd = open(tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state_dirfd < 0)
		return -1;
	lp = loop_new(&err);
	if (!lp || ipc_token_ensure(state_dirfd, token, &err) < 0 ||
	    ipc_listen(state_dirfd, ADDR_FILE, name, &lfd, &err) < 0) {
		fprintf(stderr, "  setup: %s\n", err.msg);
		return -1;
	}
	srv = rpc_server_new(lp, lfd, token, geteuid(), &srv_ops, &seen, &err);
	if (!srv) {
		fprintf(stderr, "  setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static bool no_client_pending(void)
{
	for (int i = 0; i < CLIENTS; i++)
		if (cli[i].c && rpc_conn_pending(cli[i].c) > 0)
			return false;
	return true;
}

/* Closes what a test left open, so ASan's leak check and the next test start clean. */
static void teardown(void)
{
	if (!lp)
		return;
	run_until(no_client_pending, GUARD_MS);
	for (int i = 0; i < CLIENTS; i++)
		if (cli[i].c)
			rpc_conn_close(cli[i].c);
	srv = rpc_server_free(srv);
	lp = loop_free(lp);
	state_dirfd = fd_close(state_dirfd);
	if (tmp_path[0])
		nftw(tmp_path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	tmp_path[0] = '\0';
}

/* After the last test, failed or not. */
__attribute__((destructor)) static void teardown_at_exit(void)
{
	teardown();
}

static struct rpc_conn *dial(int i, const char *tok, struct kerr *err)
{
	cli[i].c = rpc_conn_dial(lp, state_dirfd, ADDR_FILE, tok, &cli_ops, &cli[i], err);
	if (cli[i].c)
		cli[i].id = rpc_conn_id(cli[i].c);
	return cli[i].c;
}

/* Queues one request frame {REF ref} and sends it. */
static int request(struct rpc_conn *c, uint16_t type, uint32_t reqid, const char *ref)
{
	struct wire_enc e;
	struct kerr err;

	wire_enc_begin(&e, rpc_conn_txbuf(c), type, reqid, 0);
	wire_enc_str(&e, WIRE_F_REF, ref);
	if (wire_enc_end(&e, &err) < 0)
		return -1;
	return rpc_conn_send(c);
}

/* A hand-made peer: a blocking socket connected to the recorded name, reads bounded. */
static int raw_connect(void)
{
	char name[IPC_NAME_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 3 };
	struct kerr err;
	pid_t pid;

	if (ipc_read_addr(state_dirfd, ADDR_FILE, name, &pid, &err) < 0)
		return -1;
	size_t n = strlen(name);
	memcpy(sa.sun_path + 1, name, n);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0)
		return -1;
	return take_fd(&fd);
}

static int raw_write(int fd, const void *p, size_t n)
{
	struct kerr err;

	return fd_write_full(fd, p, n, &err);
}

/* Encodes one frame {TOKEN tok} or {REF "x"} and writes it. */
static int raw_send(int fd, uint16_t type, uint32_t reqid, const char *tok)
{
	struct buf b;
	struct wire_enc e;
	struct kerr err;
	int r = -1;

	buf_init(&b, KETTLE_FRAME_MAX);
	wire_enc_begin(&e, &b, type, reqid, 0);
	if (tok)
		wire_enc_bytes(&e, WIRE_F_TOKEN, tok, strlen(tok));
	else
		wire_enc_str(&e, WIRE_F_REF, "x");
	if (wire_enc_end(&e, &err) == 0)
		r = raw_write(fd, b.data, b.len);
	buf_done(&b);
	return r;
}

static int read_n(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

/* Reads one frame from a raw peer into p (cap bytes): 1 frame, 0 clean EOF, -1 otherwise. */
static int raw_read_frame(int fd, uint8_t *p, size_t cap, struct wire_frame *f)
{
	struct kerr err;
	size_t used;

	int r = read_n(fd, p, WIRE_HDR_LEN);
	if (r <= 0)
		return r;
	size_t len = buf_get_le32(p);
	if (len > cap - WIRE_HDR_LEN || read_n(fd, p + WIRE_HDR_LEN, len) != 1)
		return -1;
	return wire_decode(p, WIRE_HDR_LEN + len, cap, f, &used, &err) == 1 ? 1 : -1;
}

static int raw_fd = -1; /* the raw peer a predicate looks at */

static bool raw_readable(void)
{
	struct pollfd p = { .fd = raw_fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static bool srv_closed_one(void)
{
	return seen.closes >= 1;
}

static bool srv_empty(void)
{
	return rpc_server_conn_count(srv) == 0;
}

/* ---- tests ---- */

static bool cli0_answered_twice(void);
static bool cli1_answered(void);

static bool cli0_answered(void)
{
	return cli[0].frames >= 1 || cli[0].closes > 0;
}

TEST(happy_path)
{
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	seen.reply = true;
	struct rpc_conn *c = dial(0, token, &err);
	ASSERT(c != NULL);
	ASSERT(rpc_conn_data(c) == &cli[0]);
	ASSERT(rpc_conn_find(cli[0].id) == c);
	ASSERT_EQ(request(c, WIRE_T_INFO, 42, "hello"), 0);
	ASSERT(run_until(cli0_answered, GUARD_MS));
	/* The server saw the request after AUTH; the client saw the reply but not the OK
	 * to AUTH (reqid 0), which rpc consumed. */
	ASSERT_EQ(seen.frames, 1);
	ASSERT_EQ(seen.type, WIRE_T_INFO);
	ASSERT_EQ(seen.reqid, 42);
	ASSERT_STREQ(seen.ref, "hello");
	ASSERT_EQ(seen.last_peer, getpid());
	ASSERT(seen.last_id != cli[0].id);
	ASSERT_EQ(cli[0].closes, 0);
	ASSERT_EQ(cli[0].frames, 1);
	ASSERT_EQ(cli[0].type, WIRE_T_OK);
	ASSERT_EQ(cli[0].reqid, 42);
	ASSERT_STREQ(cli[0].msg, "pong");
	ASSERT_EQ(rpc_conn_peer_pid(c), getpid());
	ASSERT_EQ(rpc_server_conn_count(srv), 1);
	ASSERT(rpc_conn_find(seen.last_id) != NULL);

	/* A second request on the same connection, then a clean close from our side. */
	ASSERT_EQ(request(c, WIRE_T_INSPECT, 43, "again"), 0);
	ASSERT(run_until(cli0_answered_twice, GUARD_MS));
	ASSERT_EQ(seen.frames, 2);
	ASSERT_EQ(seen.reqid, 43);
	ASSERT_EQ(cli[0].reqid, 43);
	rpc_conn_close(c);
	ASSERT_EQ(cli[0].closes, 1);
	ASSERT_EQ(cli[0].why.code, 0);
	ASSERT(rpc_conn_find(cli[0].id) == NULL);
	ASSERT(run_until(srv_closed_one, GUARD_MS));
	ASSERT_EQ(seen.why.code, 0);
	ASSERT_CONTAINS(seen.why.msg, "closed by peer");
	ASSERT_EQ(rpc_server_conn_count(srv), 0);
	ASSERT(rpc_conn_find(seen.last_id) == NULL);
	teardown();
}

static bool cli0_closed(void)
{
	return cli[0].closes > 0;
}

TEST(wrong_token_refused)
{
	struct kerr err;
	char bad[IPC_TOKEN_HEX + 1];

	ASSERT_EQ(setup(), 0);
	seen.reply = true;
	memcpy(bad, token, sizeof(bad));
	bad[7] = bad[7] == 'a' ? 'b' : 'a';
	ASSERT(dial(0, bad, &err) != NULL);
	ASSERT(run_until(cli0_closed, GUARD_MS));
	ASSERT_EQ(cli[0].closes, 1);
	ASSERT_EQ(cli[0].frames, 0);
	ASSERT_EQ(cli[0].why.code, EACCES);
	ASSERT_CONTAINS(cli[0].why.msg, "server refused authentication: ");
	ASSERT_CONTAINS(cli[0].why.msg, "wrong auth token");
	ASSERT(run_until(srv_empty, GUARD_MS));
	ASSERT_EQ(seen.frames, 0);
	ASSERT_EQ(seen.closes, 1);
	ASSERT_CONTAINS(seen.why.msg, "wrong auth token");
	teardown();
}

TEST(short_token_refused)
{
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	ASSERT(dial(0, "abc", &err) != NULL);
	ASSERT(run_until(cli0_closed, GUARD_MS));
	ASSERT_EQ(cli[0].frames, 0);
	ASSERT_CONTAINS(cli[0].why.msg, "server refused authentication: ");
	ASSERT_CONTAINS(cli[0].why.msg, "auth token is 3 bytes; it must be 64");
	teardown();
}

TEST(dial_failure_reports_through_err_only)
{
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	cli[0].c = rpc_conn_dial(lp, state_dirfd, "missing.addr", token, &cli_ops, &cli[0], &err);
	ASSERT(cli[0].c == NULL);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_EQ(cli[0].closes, 0);
	teardown();
}

TEST(silent_peer_dropped_after_deadline)
{
	uint8_t p[WIRE_AUTH_FRAME_MAX];
	struct wire_frame f;
	char msg[WIRE_AUTH_FRAME_MAX];
	struct kerr err;
	uint32_t code = 0;

	ASSERT_EQ(setup(), 0);
	_cleanup_close_ int fd = raw_connect();
	ASSERT(fd >= 0);
	uint64_t t0 = clock_mono_ms();
	ASSERT(run_until(srv_closed_one, GUARD_MS));
	uint64_t waited = clock_mono_ms() - t0;
	/* Dropped by the deadline, not before it, and well before the guard. */
	ASSERT(waited + 50 >= IPC_AUTH_DEADLINE_MS);
	ASSERT(waited < GUARD_MS);
	ASSERT_EQ(seen.why.code, ETIMEDOUT);
	ASSERT_EQ(seen.frames, 0);
	ASSERT_EQ(rpc_server_conn_count(srv), 0);
	/* Exactly one ERROR frame saying why, then end of input. */
	ASSERT_EQ(raw_read_frame(fd, p, sizeof(p), &f), 1);
	ASSERT_EQ(f.type, WIRE_T_ERROR);
	ASSERT_EQ(f.reqid, 0);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_MSG, true, msg, sizeof(msg), &err), 1);
	ASSERT_CONTAINS(msg, "timed out");
	ASSERT_EQ(wire_get_u32(&f, WIRE_F_CODE, true, &code, &err), 1);
	ASSERT_EQ(code, 125);
	ASSERT_EQ(raw_read_frame(fd, p, sizeof(p), &f), 0);
	teardown();
}

TEST(first_frame_not_auth_refused)
{
	uint8_t p[WIRE_AUTH_FRAME_MAX];
	struct wire_frame f;
	char msg[WIRE_AUTH_FRAME_MAX];
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	_cleanup_close_ int fd = raw_connect();
	ASSERT(fd >= 0);
	ASSERT_EQ(raw_send(fd, WIRE_T_INFO, 7, NULL), 0);
	ASSERT(run_until(srv_closed_one, GUARD_MS));
	ASSERT_EQ(seen.frames, 0);
	ASSERT_EQ(rpc_server_conn_count(srv), 0);
	ASSERT_EQ(raw_read_frame(fd, p, sizeof(p), &f), 1);
	ASSERT_EQ(f.type, WIRE_T_ERROR);
	ASSERT_EQ(f.reqid, 7);
	ASSERT_EQ(wire_get_str(&f, WIRE_F_MSG, true, msg, sizeof(msg), &err), 1);
	ASSERT_CONTAINS(msg, "first frame must be AUTH, got INFO");
	ASSERT_EQ(raw_read_frame(fd, p, sizeof(p), &f), 0);
	teardown();
}

/* Reads what a refused raw peer gets: at most one ERROR frame, then end of input. */
static int drain_refusal(int fd, char *msg, size_t cap)
{
	uint8_t p[KETTLE_FRAME_MAX];
	struct wire_frame f;
	struct kerr err;
	int frames = 0;

	msg[0] = '\0';
	for (;;) {
		int r = raw_read_frame(fd, p, sizeof(p), &f);
		if (r == 0)
			return frames;
		/* A Unix socket closed with unread input resets its peer (net/unix/af_unix.c
		 * unix_release_sock): the server stopped reading mid-frame, which is fine. */
		if (r < 0 && errno == ECONNRESET)
			return frames;
		if (r < 0 || f.type != WIRE_T_ERROR || ++frames > 1)
			return -1;
		wire_get_str(&f, WIRE_F_MSG, true, msg, cap, &err);
	}
}

TEST(huge_header_before_auth_closed)
{
	uint8_t hdr[WIRE_HDR_LEN];
	char msg[KERR_MSG_MAX];

	ASSERT_EQ(setup(), 0);
	_cleanup_close_ int fd = raw_connect();
	ASSERT(fd >= 0);
	buf_put_le32(hdr, UINT32_MAX); /* 4 GiB of payload announced */
	buf_put_le32(hdr + 4, 1);
	buf_put_le16(hdr + 8, WIRE_T_AUTH);
	buf_put_le16(hdr + 10, 0);
	ASSERT_EQ(raw_write(fd, hdr, sizeof(hdr)), 0);
	ASSERT(run_until(srv_closed_one, GUARD_MS));
	ASSERT_EQ(rpc_server_conn_count(srv), 0);
	ASSERT_CONTAINS(seen.why.msg, "exceeds limit 256");
	ASSERT_EQ(drain_refusal(fd, msg, sizeof(msg)), 1);
	ASSERT_CONTAINS(msg, "exceeds limit");
	teardown();
}

TEST(huge_header_after_auth_closed)
{
	uint8_t hdr[WIRE_HDR_LEN];
	uint8_t p[WIRE_AUTH_FRAME_MAX];
	struct wire_frame f;
	char msg[KERR_MSG_MAX];

	ASSERT_EQ(setup(), 0);
	_cleanup_close_ int fd = raw_connect();
	ASSERT(fd >= 0);
	raw_fd = fd;
	ASSERT_EQ(raw_send(fd, WIRE_T_AUTH, 0, token), 0);
	ASSERT(run_until(raw_readable, GUARD_MS));
	ASSERT_EQ(raw_read_frame(fd, p, sizeof(p), &f), 1);
	ASSERT_EQ(f.type, WIRE_T_OK);
	ASSERT_EQ(f.reqid, 0);
	buf_put_le32(hdr, UINT32_MAX);
	buf_put_le32(hdr + 4, 3);
	buf_put_le16(hdr + 8, WIRE_T_INFO);
	buf_put_le16(hdr + 10, 0);
	ASSERT_EQ(raw_write(fd, hdr, sizeof(hdr)), 0);
	ASSERT(run_until(srv_closed_one, GUARD_MS));
	ASSERT_EQ(seen.frames, 0);
	ASSERT_EQ(rpc_server_conn_count(srv), 0);
	ASSERT_CONTAINS(seen.why.msg, "exceeds limit 1048576");
	/* Authenticated or not, a protocol error is answered once, then closed. */
	ASSERT_EQ(drain_refusal(fd, msg, sizeof(msg)), 1);
	ASSERT_CONTAINS(msg, "exceeds limit 1048576");
	teardown();
}

TEST(fds_before_auth_refused_and_closed)
{
	uint8_t frame[WIRE_AUTH_FRAME_MAX];
	char msg[KERR_MSG_MAX];
	struct buf b;
	struct wire_enc e;
	struct kerr err;
	int pfd[2];

	ASSERT_EQ(setup(), 0);
	_cleanup_close_ int fd = raw_connect();
	ASSERT(fd >= 0);
	ASSERT_EQ(pipe2(pfd, O_CLOEXEC), 0);
	buf_init(&b, sizeof(frame));
	wire_enc_begin(&e, &b, WIRE_T_AUTH, 0, WIRE_FLAG_FDS);
	wire_enc_bytes(&e, WIRE_F_TOKEN, token, IPC_TOKEN_HEX);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	memcpy(frame, b.data, b.len);
	size_t len = b.len;
	buf_done(&b);
	int before = count_fds();
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { .iov_base = frame, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), pfd, sizeof(pfd));
	ASSERT_EQ(sendmsg(fd, &m, MSG_NOSIGNAL), (ssize_t)len);
	fd_close(pfd[0]);
	fd_close(pfd[1]);
	ASSERT(run_until(srv_closed_one, GUARD_MS));
	ASSERT_EQ(seen.frames, 0);
	ASSERT_CONTAINS(seen.why.msg, "descriptors sent before authentication");
	ASSERT_EQ(drain_refusal(fd, msg, sizeof(msg)), 1);
	ASSERT_CONTAINS(msg, "before authentication");
	/* Only our two pipe ends went: the received copies and the accepted socket too. */
	ASSERT_EQ(count_fds(), before - 2);
	teardown();
}

TEST(close_inside_client_on_frame)
{
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	seen.reply = true;
	seen.reply_twice = true;
	cli[0].close_in_frame = true;
	struct rpc_conn *c = dial(0, token, &err);
	ASSERT(c != NULL);
	uint64_t id = cli[0].id;
	ASSERT_EQ(request(c, WIRE_T_INFO, 5, "x"), 0);
	ASSERT(run_until(cli0_closed, GUARD_MS));
	/* Two replies arrived together; after the close only the first was dispatched. */
	ASSERT_EQ(cli[0].frames, 1);
	ASSERT_EQ(cli[0].closes, 1);
	ASSERT_EQ(cli[0].why.code, 0);
	ASSERT(!cli[0].found_after_close);
	ASSERT(rpc_conn_find(id) == NULL);
	ASSERT(run_until(srv_empty, GUARD_MS));
	ASSERT_EQ(seen.closes, 1);
	ASSERT(rpc_conn_find(seen.last_id) == NULL);

	/* Ids are never reused: a new connection gets a fresh one on both sides. */
	uint64_t old_srv = seen.last_id;
	memset(&cli[1], 0, sizeof(cli[1]));
	ASSERT(dial(1, token, &err) != NULL);
	ASSERT(cli[1].id > id && cli[1].id > old_srv);
	ASSERT(rpc_conn_find(id) == NULL);
	ASSERT_EQ(request(cli[1].c, WIRE_T_INFO, 6, "y"), 0);
	cli[0].frames = 0;
	seen.reply_twice = false;
	ASSERT(run_until(cli1_answered, GUARD_MS));
	ASSERT(seen.last_id > cli[1].id);
	ASSERT(rpc_conn_find(old_srv) == NULL);
	ASSERT(rpc_conn_find(seen.last_id) != NULL);
	teardown();
}

TEST(close_inside_server_on_frame_flushes_reply)
{
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	seen.reply = true;
	seen.close_in_frame = true;
	struct rpc_conn *c = dial(0, token, &err);
	ASSERT(c != NULL);
	ASSERT_EQ(request(c, WIRE_T_INFO, 9, "x"), 0);
	ASSERT(run_until(cli0_closed, GUARD_MS));
	/* The reply queued before rpc_conn_close still went out, then the peer closed. */
	ASSERT_EQ(cli[0].frames, 1);
	ASSERT_EQ(cli[0].reqid, 9);
	ASSERT_STREQ(cli[0].msg, "pong");
	ASSERT_CONTAINS(cli[0].why.msg, "closed by peer");
	ASSERT_EQ(seen.closes, 1);
	ASSERT_EQ(seen.why.code, 0);
	ASSERT(!seen.found_after_close);
	ASSERT(run_until(srv_empty, GUARD_MS));
	teardown();
}

static bool srv_closed_stream(void)
{
	return seen.closes >= 1 && rpc_server_conn_count(srv) == 0;
}

TEST(peer_not_reading_is_dropped)
{
	uint8_t p[WIRE_AUTH_FRAME_MAX];
	struct wire_frame f;

	ASSERT_EQ(setup(), 0);
	seen.stream = true;
	_cleanup_close_ int fd = raw_connect();
	ASSERT(fd >= 0);
	raw_fd = fd;
	ASSERT_EQ(raw_send(fd, WIRE_T_AUTH, 0, token), 0);
	ASSERT(run_until(raw_readable, GUARD_MS));
	ASSERT_EQ(raw_read_frame(fd, p, sizeof(p), &f), 1);
	ASSERT_EQ(f.type, WIRE_T_OK);
	/* Ask for a stream, then never read again. */
	ASSERT_EQ(raw_send(fd, WIRE_T_SHIM_ATTACH, 11, NULL), 0);
	ASSERT(run_until(srv_closed_stream, GUARD_MS));
	ASSERT_EQ(seen.frames, 1);
	ASSERT_EQ(seen.send_failed, 1);
	ASSERT_EQ(seen.why.code, ENOBUFS);
	ASSERT_CONTAINS(seen.why.msg, "peer is not reading");
	/* The queue stopped growing just past half of IPC_TX_MAX: memory stayed bounded. */
	ASSERT(seen.max_pending > IPC_TX_MAX / 2);
	ASSERT(seen.max_pending <= IPC_TX_MAX / 2 + STREAM_CHUNK + 64);
	ASSERT(seen.streamed < 1000);
	teardown();
}

static bool srv_saw_frame(void)
{
	return seen.frames >= 1;
}

TEST(send_failure_outside_callbacks_is_deferred)
{
	struct wire_enc e;
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	int fd = raw_connect();
	ASSERT(fd >= 0);
	ASSERT_EQ(raw_send(fd, WIRE_T_AUTH, 0, token), 0);
	ASSERT_EQ(raw_send(fd, WIRE_T_INFO, 1, NULL), 0);
	ASSERT(run_until(srv_saw_frame, GUARD_MS));
	struct rpc_conn *c = rpc_conn_find(seen.last_id);
	ASSERT(c != NULL);
	fd_close(fd);
	/* Like a role's own timer or pipe handler: not inside any rpc callback. The peer is
	 * gone, so the send fails, on_close runs at once, and c stays valid until the loop
	 * runs again. */
	wire_enc_begin(&e, rpc_conn_txbuf(c), WIRE_T_DATA, 1, 0);
	wire_enc_u32(&e, WIRE_F_STREAM, 1);
	ASSERT_EQ(wire_enc_end(&e, &err), 0);
	ASSERT_EQ(rpc_conn_send(c), -1);
	ASSERT_EQ(seen.closes, 1);
	ASSERT_EQ(seen.why.code, EPIPE);
	ASSERT(rpc_conn_find(seen.last_id) == NULL);
	ASSERT_EQ(rpc_conn_id(c), seen.last_id); /* ASan: still allocated */
	ASSERT_EQ(rpc_conn_send_ok(c, 2), -1);
	ASSERT_EQ(rpc_conn_send_error(c, 3, 125, "late"), -1);
	rpc_conn_close(c); /* a no-op now, and still safe */
	ASSERT_EQ(seen.closes, 1);
	ASSERT(run_until(srv_empty, GUARD_MS));
	teardown();
}

static bool srv_has(size_t n)
{
	return rpc_server_conn_count(srv) == n;
}

static bool srv_has_four(void)
{
	return srv_has(4);
}

static bool three_answered(void)
{
	return cli[0].frames && cli[1].frames && cli[2].frames;
}

static bool three_closed(void)
{
	return cli[0].closes && cli[1].closes && cli[2].closes;
}

TEST(server_free_closes_every_conn)
{
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	seen.reply = true;
	for (int i = 0; i < 3; i++) {
		ASSERT(dial(i, token, &err) != NULL);
		ASSERT_EQ(request(cli[i].c, WIRE_T_INFO, (uint32_t)i + 1, "x"), 0);
	}
	ASSERT(run_until(three_answered, GUARD_MS));
	_cleanup_close_ int fd = raw_connect(); /* one more, never authenticated */
	ASSERT(fd >= 0);
	ASSERT(run_until(srv_has_four, GUARD_MS));
	srv = rpc_server_free(srv);
	ASSERT(srv == NULL);
	ASSERT_EQ(seen.closes, 4);
	ASSERT_EQ(seen.why.code, 0);
	ASSERT_STREQ(seen.why.msg, "server shutting down");
	ASSERT(rpc_conn_find(seen.last_id) == NULL);
	/* The dialed side sees end of input on each. */
	ASSERT(run_until(three_closed, GUARD_MS));
	for (int i = 0; i < 3; i++)
		ASSERT_CONTAINS(cli[i].why.msg, "closed by peer");
	char msg[KERR_MSG_MAX];
	ASSERT_EQ(drain_refusal(fd, msg, sizeof(msg)), 0);
	teardown();
}

static bool srv_gone(void)
{
	return srv == NULL && three_closed();
}

TEST(server_free_inside_on_frame)
{
	struct kerr err;

	ASSERT_EQ(setup(), 0);
	seen.reply = true;
	for (int i = 0; i < 3; i++) {
		ASSERT(dial(i, token, &err) != NULL);
		ASSERT_EQ(request(cli[i].c, WIRE_T_INFO, (uint32_t)i + 1, "x"), 0);
	}
	ASSERT(run_until(three_answered, GUARD_MS));
	seen.free_in_frame = true;
	ASSERT_EQ(request(cli[1].c, WIRE_T_INFO, 99, "bye"), 0);
	ASSERT(run_until(srv_gone, GUARD_MS));
	ASSERT_EQ(seen.closes, 3);
	ASSERT_STREQ(seen.why.msg, "server shutting down");
	for (int i = 0; i < 3; i++)
		ASSERT_CONTAINS(cli[i].why.msg, "closed by peer");
	teardown();
}

#define MANY  200
#define BATCH 50 /* under the listen backlog: connects must not wait for accept */

static int batch_answered;

static bool batch_done(void)
{
	return batch_answered == BATCH;
}

static void many_on_frame(struct rpc_conn *c, const struct wire_frame *f, void *data)
{
	(void)c;
	(void)f;
	(void)data;
	batch_answered++;
}

static void many_on_close(struct rpc_conn *c, const struct kerr *why, void *data)
{
	(void)c;
	(void)why;
	*(struct rpc_conn **)data = NULL;
}

static const struct rpc_conn_ops many_ops = {
	.on_frame = many_on_frame,
	.on_close = many_on_close,
};

TEST(many_connections_no_leak)
{
	struct rpc_conn *conns[BATCH];
	struct kerr err;
	uint64_t last_id = 0;

	int before = count_fds();
	ASSERT_EQ(setup(), 0);
	seen.reply = true;
	int with_server = count_fds();
	for (int round = 0; round < MANY / BATCH; round++) {
		batch_answered = 0;
		for (int i = 0; i < BATCH; i++) {
			conns[i] = rpc_conn_dial(lp, state_dirfd, ADDR_FILE, token, &many_ops,
						 &conns[i], &err);
			ASSERT(conns[i] != NULL);
			ASSERT(rpc_conn_id(conns[i]) > last_id);
			last_id = rpc_conn_id(conns[i]);
			ASSERT_EQ(request(conns[i], WIRE_T_INFO, (uint32_t)i, "x"), 0);
		}
		ASSERT(run_until(batch_done, GUARD_MS));
		ASSERT_EQ(rpc_server_conn_count(srv), BATCH);
		for (int i = 0; i < BATCH; i++) {
			ASSERT(conns[i] != NULL);
			rpc_conn_close(conns[i]);
			ASSERT(conns[i] == NULL);
		}
		ASSERT(run_until(srv_empty, GUARD_MS));
		ASSERT_EQ(count_fds(), with_server);
	}
	ASSERT_EQ(seen.frames, MANY);
	ASSERT_EQ(seen.closes, MANY);
	teardown();
	ASSERT_EQ(count_fds(), before);
}

static bool cli0_answered_twice(void)
{
	return cli[0].frames >= 2 || cli[0].closes > 0;
}

static bool cli1_answered(void)
{
	return cli[1].frames >= 1 || cli[1].closes > 0;
}

RUN_TESTS(T(happy_path), T(wrong_token_refused), T(short_token_refused),
	  T(dial_failure_reports_through_err_only), T(silent_peer_dropped_after_deadline),
	  T(first_frame_not_auth_refused), T(huge_header_before_auth_closed),
	  T(huge_header_after_auth_closed), T(fds_before_auth_refused_and_closed),
	  T(close_inside_client_on_frame), T(close_inside_server_on_frame_flushes_reply),
	  T(peer_not_reading_is_dropped), T(send_failure_outside_callbacks_is_deferred),
	  T(server_free_closes_every_conn), T(server_free_inside_on_frame),
	  T(many_connections_no_leak))
