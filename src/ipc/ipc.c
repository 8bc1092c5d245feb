/*
 * ipc: locks, abstract-socket rendezvous and mutual checks (mechanism M3). See ipc.h and
 * ARCHITECTURE.md "Finding each other"; frame I/O on the connected socket is ipc_conn.c.
 *
 * Invariants: every fd is CLOEXEC from birth. Files other processes read (auth token,
 * address files) are replaced atomically, and the token is never replaced once it
 * exists. Never logs, never blocks except in the client-only ipc_connect (bounded at
 * 1 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/fd.h"
#include "store/ids.h"
#include "ipc/ipc.h"

#define TOKEN_FILE	  "auth.token"
#define NAME_PREFIX	  "kettle/"
#define NAME_PREFIX_LEN	  7
#define NAME_RANDOM_BYTES 16 /* 32 hex chars after the prefix */
#define NAME_LEN	  (NAME_PREFIX_LEN + 2 * NAME_RANDOM_BYTES)
#define CONNECT_TIMEOUT_S 1 /* a server whose backlog stays full is not answering */
#define LISTEN_BACKLOG	  128
#define PID_TEXT_MAX	  32 /* bytes read from a lock file when looking for its pid */

/* Strict positive decimal pid: digits only, no sign, no leading zero, at most INT_MAX. */
static bool parse_pid(const char *s, size_t n, pid_t *out)
{
	long long v = 0;

	if (n == 0 || n > 10 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > INT_MAX)
		return false;
	*out = (pid_t)v;
	return true;
}

static bool is_lower_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* The pid a lock holder wrote into fd, or 0 when it is not (yet) there. */
static pid_t read_lock_pid(int fd)
{
	char text[PID_TEXT_MAX];
	ssize_t n;
	pid_t pid = 0;

	do
		n = pread(fd, text, sizeof(text) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	size_t len = (size_t)n;
	if (text[len - 1] == '\n')
		len--;
	return parse_pid(text, len, &pid) ? pid : 0;
}

int ipc_lock_take(int dirfd, const char *name, int *lockfd, struct kerr *err)
{
	_cleanup_close_ int fd =
		openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return kerr_set(err, errno, "open lock `%s`", name);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return kerr_set(err, errno, "lock `%s`", name);
		pid_t holder = read_lock_pid(fd);
		if (holder > 0)
			kerr_set(err, 0, "`%s` is held by pid %d", name, (int)holder);
		else
			kerr_set(err, 0,
				 "`%s` is held by another process (its pid is not written yet)",
				 name);
		return kerr_set_code(err, EWOULDBLOCK);
	}
	char text[PID_TEXT_MAX];
	int len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0)
		return kerr_set(err, errno, "truncate lock `%s`", name);
	ssize_t n;
	do
		n = pwrite(fd, text, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return kerr_set(err, errno, "write pid into lock `%s`", name);
	if (n != len)
		return kerr_set(err, EIO, "write pid into lock `%s`: short write", name);
	*lockfd = take_fd(&fd);
	return 0;
}

int ipc_lock_probe(int dirfd, const char *name, pid_t *holder, struct kerr *err)
{
	*holder = 0;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return kerr_set(err, errno, "open lock `%s`", name);
	}
	/* A fresh open file description: flock conflicts with every other one, ours too. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return kerr_set(err, errno, "probe lock `%s`", name);
		*holder = read_lock_pid(fd);
		return 1;
	}
	(void)flock(fd, LOCK_UN);
	return 0;
}

/* fsyncs the directory that holds dirfd/name, so a rename in it is durable. */
static int fsync_parent(int dirfd, const char *name, struct kerr *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(name, '/');

	if (!slash) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		size_t n = slash == name ? 1 : (size_t)(slash - name);
		if (n >= sizeof(dir))
			return kerr_set(err, ENAMETOOLONG, "directory of `%s`", name);
		memcpy(dir, name, n);
		dir[n] = '\0';
	}
	/* Opened anew: dirfd may be an O_PATH descriptor, which fsync refuses. */
	_cleanup_close_ int fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(err, errno, "open directory `%s`", dir);
	if (fsync(fd) < 0)
		return kerr_set(err, errno, "fsync directory `%s`", dir);
	return 0;
}

/* Creates dirfd/tmp exclusively with exactly `mode` (umask aside), writes and (durable)
 * fsyncs it. */
static int write_tmp(int dirfd, const char *tmp, const void *data, size_t len, mode_t mode,
		     bool durable, struct kerr *err)
{
	_cleanup_close_ int fd =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return kerr_set(err, errno, "create `%s`", tmp);
	if (fchmod(fd, mode) < 0)
		return kerr_set(err, errno, "chmod `%s`", tmp);
	if (fd_write_full(fd, data, len, err) < 0)
		return kerr_wrap(err, "write `%s`", tmp);
	if (durable && fsync(fd) < 0)
		return kerr_set(err, errno, "fsync `%s`", tmp);
	return 0;
}

/*
 * Publishes data as dirfd/name (STYLE rule 16): a temporary in the same directory,
 * fsync, then renameat (replace) or linkat (never replace: fails with EEXIST when name
 * exists, so two racing creators cannot swap a secret under a reader), then fsync of
 * the directory. Without durable, no fsync: readers still see the old or the new file.
 */
static int publish_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			bool replace, bool durable, struct kerr *err)
{
	char rnd[2 * 8 + 1];
	char tmp[PATH_MAX];

	if (ids_random_hex(rnd, 8, err) < 0)
		return kerr_wrap(err, "name a temporary for `%s`", name);
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%s", name, rnd);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return kerr_set(err, ENAMETOOLONG, "temporary name for `%s`", name);
	if (write_tmp(dirfd, tmp, data, len, mode, durable, err) < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	if (replace) {
		if (renameat(dirfd, tmp, dirfd, name) < 0) {
			kerr_set(err, errno, "rename `%s` to `%s`", tmp, name);
			(void)unlinkat(dirfd, tmp, 0);
			return -1;
		}
	} else {
		int r = linkat(dirfd, tmp, dirfd, name, 0);
		int saved = errno;

		(void)unlinkat(dirfd, tmp, 0);
		if (r < 0)
			return kerr_set(err, saved, "link `%s` to `%s`", tmp, name);
	}
	return durable ? fsync_parent(dirfd, name, err) : 0;
}

int ipc_token_load(int dirfd, char token[IPC_TOKEN_HEX + 1], struct kerr *err)
{
	char text[IPC_TOKEN_HEX + 2];
	struct stat st;
	size_t got = 0;

	token[0] = '\0';
	/* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
	_cleanup_close_ int fd =
		openat(dirfd, TOKEN_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return kerr_set(
				err, errno,
				"open auth token `%s`: it is a symbolic link; only a regular "
				"file is accepted",
				TOKEN_FILE);
		return kerr_set(err, errno, "open auth token `%s`", TOKEN_FILE);
	}
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "stat auth token `%s`", TOKEN_FILE);
	if (!S_ISREG(st.st_mode)) {
		kerr_set(err, 0, "auth token `%s` is not a regular file (mode %o)", TOKEN_FILE,
			 (unsigned)st.st_mode);
		return kerr_set_code(err, EINVAL);
	}
	if (st.st_uid != geteuid()) {
		kerr_set(err, 0, "auth token `%s` is owned by uid %u; it must be owned by uid %u",
			 TOKEN_FILE, (unsigned)st.st_uid, (unsigned)geteuid());
		return kerr_set_code(err, EPERM);
	}
	if ((st.st_mode & 07777) != 0600) {
		kerr_set(err, 0, "auth token `%s` has mode %04o; it must be 0600", TOKEN_FILE,
			 (unsigned)(st.st_mode & 07777));
		return kerr_set_code(err, EPERM);
	}
	if (fd_read_full(fd, text, sizeof(text), &got, err) < 0)
		return kerr_wrap(err, "read auth token `%s`", TOKEN_FILE);
	bool newline_ok =
		got == IPC_TOKEN_HEX || (got == IPC_TOKEN_HEX + 1 && text[got - 1] == '\n');
	bool hex_ok = got >= IPC_TOKEN_HEX;
	for (size_t i = 0; hex_ok && i < IPC_TOKEN_HEX; i++)
		hex_ok = is_lower_hex(text[i]);
	if (!newline_ok || !hex_ok) {
		kerr_set(err, 0,
			 "auth token `%s` is malformed: it must hold exactly %d lowercase hex "
			 "characters and an optional newline",
			 TOKEN_FILE, IPC_TOKEN_HEX);
		return kerr_set_code(err, EINVAL);
	}
	memcpy(token, text, IPC_TOKEN_HEX);
	token[IPC_TOKEN_HEX] = '\0';
	return 0;
}

int ipc_token_ensure(int dirfd, char token[IPC_TOKEN_HEX + 1], struct kerr *err)
{
	char text[IPC_TOKEN_HEX + 2];
	struct kerr first;

	if (ipc_token_load(dirfd, token, &first) == 0)
		return 0;
	if (first.code != ENOENT) {
		if (err)
			*err = first;
		return -1;
	}
	if (ids_random_hex(text, IPC_TOKEN_BYTES, err) < 0)
		return kerr_wrap(err, "generate auth token");
	text[IPC_TOKEN_HEX] = '\n';
	text[IPC_TOKEN_HEX + 1] = '\0';
	int r = publish_file(dirfd, TOKEN_FILE, text, IPC_TOKEN_HEX + 1, 0600, false, true, err);
	explicit_bzero(text, sizeof(text));
	/* EEXIST: another process created it first; theirs is the one everybody reads. */
	if (r < 0 && (!err || err->code != EEXIST))
		return kerr_wrap(err, "create auth token");
	return ipc_token_load(dirfd, token, err);
}

/* Fills an abstract address for name (no leading NUL in name); returns its exact length. */
static socklen_t abstract_addr(struct sockaddr_un *sa, const char *name)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] stays NUL; the name has no terminator (unix(7) "abstract"). */
	memcpy(sa->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int listen_and_publish(int dirfd, const char *addr_file, char name[IPC_NAME_MAX], int *lfd,
			      bool durable, struct kerr *err)
{
	char rnd[2 * NAME_RANDOM_BYTES + 1];
	char text[IPC_NAME_MAX + PID_TEXT_MAX];
	struct sockaddr_un sa;

	name[0] = '\0';
	if (ids_random_hex(rnd, NAME_RANDOM_BYTES, err) < 0)
		return kerr_wrap(err, "choose a socket name");
	char chosen[IPC_NAME_MAX];
	snprintf(chosen, sizeof(chosen), NAME_PREFIX "%s", rnd);

	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(err, errno, "create socket");
	socklen_t len = abstract_addr(&sa, chosen);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		return kerr_set(err, errno, "bind @%s", chosen);
	if (listen(fd, LISTEN_BACKLOG) < 0)
		return kerr_set(err, errno, "listen on @%s", chosen);
	/* Recorded after listen: a client that reads the file can connect at once. */
	int n = snprintf(text, sizeof(text), "%s\n%d\n", chosen, (int)getpid());
	if (publish_file(dirfd, addr_file, text, (size_t)n, 0644, true, durable, err) < 0)
		return kerr_wrap(err, "record socket address in `%s`", addr_file);
	memcpy(name, chosen, strlen(chosen) + 1);
	*lfd = take_fd(&fd);
	return 0;
}

int ipc_listen(int dirfd, const char *addr_file, char name[IPC_NAME_MAX], int *lfd,
	       struct kerr *err)
{
	return listen_and_publish(dirfd, addr_file, name, lfd, true, err);
}

int ipc_listen_volatile(int dirfd, const char *addr_file, char name[IPC_NAME_MAX], int *lfd,
			struct kerr *err)
{
	return listen_and_publish(dirfd, addr_file, name, lfd, false, err);
}

int ipc_accept(int lfd, int *cfd, struct kerr *err)
{
	int fd;

	do
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		/* ECONNABORTED: the peer gave up while queued; nothing to do for it. */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
			return 0;
		return kerr_set(err, errno, "accept connection");
	}
	*cfd = fd;
	return 1;
}

/* True when both paths name the same object (stat follows the /proc magic links). */
static int same_object(const char *a, const char *b, bool *same, struct kerr *err)
{
	struct stat sa, sb;

	if (stat(a, &sa) < 0)
		return kerr_set(err, errno, "stat `%s`", a);
	if (stat(b, &sb) < 0)
		return kerr_set(err, errno, "stat `%s`", b);
	*same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return 0;
}

int ipc_check_client(int cfd, uid_t allowed_uid, struct kerr *err)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char path[64];
	bool same = false;

	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return kerr_set(err, errno, "read peer credentials");
	if (cr.uid != 0 && cr.uid != allowed_uid) {
		kerr_set(err, 0, "peer uid %u is not allowed (0 or %u)", (unsigned)cr.uid,
			 (unsigned)allowed_uid);
		return kerr_set_code(err, EACCES);
	}
	/* SO_PEERCRED reports pid 0 for a peer whose pid namespace is not below ours. */
	if (cr.pid <= 0) {
		kerr_set(err, 0, "peer pid is not visible: it is in another pid namespace");
		return kerr_set_code(err, EACCES);
	}
	/* A peer in a host-network container reaches our abstract name; it does not share
	 * our pid namespace or root directory. The pid could be reused between connect and
	 * here, which only matters for a peer that already exited. */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)cr.pid);
	if (same_object("/proc/self/ns/pid", path, &same, err) < 0)
		return kerr_wrap(err, "check pid namespace of peer pid %d", (int)cr.pid);
	if (!same) {
		kerr_set(err, 0, "peer pid %d is in another pid namespace", (int)cr.pid);
		return kerr_set_code(err, EACCES);
	}
	snprintf(path, sizeof(path), "/proc/%d/root", (int)cr.pid);
	if (same_object("/", path, &same, err) < 0)
		return kerr_wrap(err, "check root directory of peer pid %d", (int)cr.pid);
	if (!same) {
		kerr_set(err, 0, "peer pid %d has another root directory", (int)cr.pid);
		return kerr_set_code(err, EACCES);
	}
	return 0;
}

int ipc_check_auth_frame(const struct wire_frame *f, const char *token, struct kerr *err)
{
	if (f->type != WIRE_T_AUTH) {
		kerr_set(err, 0, "first frame must be AUTH, got %s (type %u)",
			 wire_type_name(f->type), (unsigned)f->type);
		return kerr_set_code(err, EACCES);
	}
	if (strnlen(token, IPC_TOKEN_HEX + 1) != IPC_TOKEN_HEX)
		return kerr_set(err, EINVAL, "expected auth token is not %d characters",
				IPC_TOKEN_HEX);
	const struct wire_field *fld = wire_find(f, WIRE_F_TOKEN);
	if (!fld) {
		kerr_set(err, 0, "AUTH frame has no TOKEN field");
		return kerr_set_code(err, EACCES);
	}
	if (fld->len != IPC_TOKEN_HEX) {
		kerr_set(err, 0, "auth token is %u bytes; it must be %d", (unsigned)fld->len,
			 IPC_TOKEN_HEX);
		return kerr_set_code(err, EACCES);
	}
	/* Constant time: every byte is compared whatever the first difference. */
	volatile uint8_t diff = 0;
	for (size_t i = 0; i < IPC_TOKEN_HEX; i++)
		diff |= fld->val[i] ^ (uint8_t)token[i];
	if (diff != 0) {
		kerr_set(err, 0, "wrong auth token");
		return kerr_set_code(err, EACCES);
	}
	return 0;
}

int ipc_read_addr(int dirfd, const char *addr_file, char name[IPC_NAME_MAX], pid_t *pid,
		  struct kerr *err)
{
	char text[IPC_NAME_MAX + PID_TEXT_MAX];
	size_t len = 0;

	name[0] = '\0';
	/* fd_read_small_file keeps ENOENT in err->code: "the daemon is not running". */
	if (fd_read_small_file(dirfd, addr_file, text, sizeof(text), &len, err) < 0)
		return -1;
	/* Exactly "kettle/<32 lowercase hex>\n<pid>\n", as ipc_listen writes it. */
	const char *nl = memchr(text, '\n', len);
	bool ok = nl && (size_t)(nl - text) == NAME_LEN &&
		  memcmp(text, NAME_PREFIX, NAME_PREFIX_LEN) == 0;
	for (size_t i = NAME_PREFIX_LEN; ok && i < NAME_LEN; i++)
		ok = is_lower_hex(text[i]);
	if (ok) {
		const char *p = nl + 1;
		size_t rest = len - (size_t)(p - text);

		ok = rest >= 2 && p[rest - 1] == '\n' && parse_pid(p, rest - 1, pid);
	}
	if (!ok) {
		kerr_set(err, 0,
			 "address file `%s` is malformed: expected `" NAME_PREFIX
			 "<32 hex>` and a positive pid, one per line",
			 addr_file);
		return kerr_set_code(err, EINVAL);
	}
	memcpy(name, text, NAME_LEN);
	name[NAME_LEN] = '\0';
	return 0;
}

/* The peer's socket name for messages: "@name" (abstract), the path, or "(unnamed)",
 * with anything unprintable replaced by '?'. */
static void peer_name(int fd, char *out, size_t cap)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	size_t o = 0;

	memset(&sa, 0, sizeof(sa));
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path)) {
		snprintf(out, cap, "(unnamed)");
		return;
	}
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	size_t i = 0;
	if (n > sizeof(sa.sun_path))
		n = sizeof(sa.sun_path);
	if (sa.sun_path[0] == '\0') {
		i = 1;
		if (o + 1 < cap)
			out[o++] = '@';
	}
	for (; i < n && sa.sun_path[i] != '\0' && o + 1 < cap; i++) {
		char ch = sa.sun_path[i];

		out[o++] = ch >= 0x20 && ch < 0x7f ? ch : '?';
	}
	out[o] = '\0';
}

int ipc_check_server(int fd, pid_t expected_pid, struct kerr *err)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char who[IPC_NAME_MAX + 16];
	uid_t me = geteuid();

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return kerr_set(err, errno, "read server credentials");
	/* The credentials are those of whoever called listen(), fixed at connect time. */
	if ((cr.uid == 0 || cr.uid == me) && cr.pid == expected_pid)
		return 0;
	peer_name(fd, who, sizeof(who));
	kerr_set(err, 0,
		 "server at %s is pid %d uid %u, expected pid %d and uid 0 or %u: refusing to "
		 "talk to it",
		 who, (int)cr.pid, (unsigned)cr.uid, (int)expected_pid, (unsigned)me);
	return kerr_set_code(err, EACCES);
}

int ipc_connect(int dirfd, const char *addr_file, int *fd, struct kerr *err)
{
	char name[IPC_NAME_MAX];
	struct sockaddr_un sa;
	pid_t pid = 0;

	if (ipc_read_addr(dirfd, addr_file, name, &pid, err) < 0)
		return -1;
	/*
	 * Blocking connect bounded by SO_SNDTIMEO, then non-blocking. A non-blocking
	 * AF_UNIX connect never returns EINPROGRESS: when the listener's backlog is full it
	 * fails with EAGAIN and nothing is pending, so polling for writability would wait
	 * on nothing. With a send timeout the kernel waits for room in the backlog itself
	 * (unix(7); net/unix/af_unix.c unix_stream_connect). Only the client role connects
	 * synchronously like this; servers never call it.
	 */
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return kerr_set(err, errno, "create socket");
	struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_S };
	if (setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return kerr_set(err, errno, "set connect timeout");
	socklen_t len = abstract_addr(&sa, name);
	int r;
	do
		r = connect(s, (struct sockaddr *)&sa, len);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN)
			return kerr_set(err, errno,
					"connect to @%s: its backlog stayed full for %d s", name,
					CONNECT_TIMEOUT_S);
		return kerr_set(err, errno, "connect to @%s", name);
	}
	if (fd_set_nonblock(s, true, err) < 0)
		return -1;
	if (ipc_check_server(s, pid, err) < 0)
		return -1;
	*fd = take_fd(&s);
	return 0;
}

int ipc_check_passed_fd(int fd, struct kerr *err)
{
	static const char allowed[] =
		"only pipes, sockets, character devices and regular files are accepted";
	struct stat st;
	const char *what;

	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "stat passed descriptor");
	switch (st.st_mode & S_IFMT) {
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFREG: {
		/* An O_PATH handle does no I/O; it is only good for reaching the file system. */
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0)
			return kerr_set(err, errno, "read flags of passed descriptor");
		if (fl & O_PATH) {
			kerr_set(err, 0, "passed descriptor is an O_PATH handle; %s", allowed);
			return kerr_set_code(err, EINVAL);
		}
		return 0;
	}
	case S_IFDIR:
		what = "a directory";
		break;
	case S_IFBLK:
		what = "a block device";
		break;
	case S_IFLNK:
		what = "a symbolic link";
		break;
	default:
		what = "of an unknown type";
		break;
	}
	kerr_set(err, 0, "passed descriptor is %s; %s", what, allowed);
	return kerr_set_code(err, EINVAL);
}

/* Filesystems whose regular files are kernel interfaces of the host (linux/magic.h). */
static const struct {
	unsigned long magic; /* statfs f_type */
	const char *name;    /* for the message */
} kernel_fs[] = {
	{ 0x9fa0, "proc" },	      { 0x62656572, "sysfs" },	 { 0x27e0eb, "cgroup" },
	{ 0x63677270, "cgroup2" },    { 0x64626720, "debugfs" }, { 0x74726163, "tracefs" },
	{ 0x73636673, "securityfs" }, { 0xcafe4a11, "bpf" },	 { 0x62656570, "configfs" },
	{ 0xde5e81e4, "efivarfs" },   { 0x6165676c, "pstore" },	 { 0xf97cff8c, "selinuxfs" },
	{ 0x6e736673, "nsfs" },	      { 0x43415d53, "smackfs" },
};

int ipc_check_stdio_fd(int fd, bool pipes, struct kerr *err)
{
	struct stat st;
	struct statfs sf;
	const char *what = "of an unknown type";

	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "stat the descriptor");
	switch (st.st_mode & S_IFMT) {
	case S_IFIFO:
		if (pipes)
			return 0;
		what = "a pipe";
		break;
	case S_IFREG:
		if (fstatfs(fd, &sf) < 0)
			return kerr_set(err, errno, "statfs the descriptor");
		for (size_t i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
			if ((unsigned long)sf.f_type == kernel_fs[i].magic)
				return kerr_set(err, 0, "it is a file of %s, a kernel interface",
						kernel_fs[i].name);
		return 0;
	case S_IFCHR:
		what = isatty(fd) ? "a terminal" : "a character device";
		break;
	case S_IFSOCK:
		what = "a socket";
		break;
	case S_IFDIR:
		what = "a directory";
		break;
	case S_IFBLK:
		what = "a block device";
		break;
	default:
		break;
	}
	return kerr_set(err, 0, "it is %s; only %sregular files go to a container", what,
			pipes ? "pipes and " : "");
}
