/*
 * store: the state root on disk: layout, atomic replace, reads, directory walks (mechanism M3).
 *
 * Invariants: every directory kettle creates is 0700 and owned by the effective uid; every
 * path below the root is opened relative to a directory fd with O_NOFOLLOW, so a symlink
 * planted in the state never redirects a read, a write or a removal; a file another process
 * reads is replaced atomically (temp name in the same directory, fsync, renameat, fsync of
 * the directory) and a failed write never leaves its temp file behind. The syscalls that
 * matter for durability go through store_ops so tests can inject faults (STYLE rule 21).
 * Never logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "store/store.h"
#include "base/str.h"

/* Deepest directory nesting store_remove_container descends into. */
#define STORE_REMOVE_DEPTH_MAX 64
/* Passes over one directory before its removal gives up on ENOTEMPTY. */
#define STORE_REMOVE_PASSES    4

/* openat(2) is variadic; the ops table wants a fixed signature. CLOEXEC always (rule 11). */
static int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags | O_CLOEXEC, mode);
}

struct store_ops store_ops = {
	.openat = sys_openat,
	.write = write,
	.fsync = fsync,
	.renameat = renameat,
};

static void closedirp(DIR **d)
{
	if (d && *d) {
		int saved = errno;

		(void)closedir(*d);
		*d = NULL;
		errno = saved;
	}
}

#define _cleanup_closedir_ _cleanup_(closedirp)

const char *store_root_path(const char *explicit_root)
{
	const char *env;

	if (explicit_root && explicit_root[0])
		return explicit_root;
	env = getenv("KETTLE_ROOT");
	if (env && env[0])
		return env;
	return STORE_DEFAULT_ROOT;
}

/* mkdir -p: creates every missing component of the absolute path with mode 0700. */
static int mkdir_parents(const char *path, struct kerr *err)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return kerr_set(err, ENAMETOOLONG, "path is longer than %zu bytes",
				sizeof(tmp) - 1);
	memcpy(tmp, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if ((tmp[i] != '/' && tmp[i] != '\0') || tmp[i - 1] == '/')
			continue; /* inside a component, or "//" and a trailing slash */
		char saved = tmp[i];

		tmp[i] = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return kerr_set(err, errno, "create directory `%s`", tmp);
		tmp[i] = saved;
	}
	return 0;
}

/*
 * Checks that fd (a directory called `what`) belongs to us and is private. A directory that
 * only others can read or traverse (0755 from a manual mkdir, or ours before umask) is fixed
 * to 0700 and kept: nobody else could have written into it, and kettle owns its state root.
 * One that group or others can WRITE (a shared directory like /tmp, mode 1777) is refused
 * instead: strangers may already have planted entries in it, and tightening a shared
 * directory would break everyone else using it.
 */
static int check_private(int fd, const char *what, struct kerr *err)
{
	struct stat st;
	uid_t me = geteuid();

	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "stat `%s`", what);
	if (!S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "`%s` is not a directory", what);
	if (st.st_uid != me)
		return kerr_set(
			err, EPERM,
			"`%s` is owned by uid %u, expected uid %u (the user running kettle)", what,
			(unsigned)st.st_uid, (unsigned)me);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return kerr_set(err, EPERM,
				"`%s` has mode %04o and others may write to it, expected a "
				"private directory (mode 0700)",
				what, (unsigned)(st.st_mode & 07777));
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return kerr_set(err, errno, "set mode 0700 on `%s` (it was %04o)", what,
				(unsigned)(st.st_mode & 07777));
	return 0;
}

/* Opens (creating with 0700 when asked) the subdirectory name of dirfd, private to us. */
static int open_subdir(int dirfd, const char *name, bool create, bool check, int *out,
		       struct kerr *err)
{
	if (create && mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return kerr_set(err, errno, "create directory `%s`", name);
	_cleanup_close_ int fd =
		store_ops.openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(err, errno, "open directory `%s`", name);
	if (check && check_private(fd, name, err) < 0)
		return -1;
	*out = take_fd(&fd);
	return 0;
}

int store_open_root(const char *path, bool create, int *rootfd, struct kerr *err)
{
	int sub;

	*rootfd = -1;
	if (!path || path[0] != '/')
		return kerr_set(err, EINVAL,
				"state root `%s` is not an absolute path, expected "
				"one starting with `/`",
				path ? path : "");
	if (create && mkdir_parents(path, err) < 0)
		return kerr_wrap(err, "create state root `%s`", path);
	_cleanup_close_ int fd = store_ops.openat(
		AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(err, errno, "open state root `%s`", path);
	/* One we created is 0700 already (mkdir under a umask can only clear bits). */
	if (check_private(fd, path, err) < 0)
		return kerr_wrap(err, "state root");
	if (create) {
		if (open_subdir(fd, STORE_CONTAINERS, true, true, &sub, err) < 0)
			return kerr_wrap(err, "state root `%s`", path);
		fd_close(sub);
		if (open_subdir(fd, STORE_RUNC_ROOT, true, true, &sub, err) < 0)
			return kerr_wrap(err, "state root `%s`", path);
		fd_close(sub);
	}
	*rootfd = take_fd(&fd);
	return 0;
}

static int check_id(const char *id, struct kerr *err)
{
	char shown[80];

	if (id && ids_is_id(id))
		return 0;
	str_sanitize(shown, sizeof(shown), id ? id : "", id ? strlen(id) : 0);
	return kerr_set(err, EINVAL,
			"invalid container id `%s`, expected %d lowercase hex characters", shown,
			IDS_ID_LEN);
}

int store_open_container(int rootfd, const char *id, bool create, int *dirfd, struct kerr *err)
{
	_cleanup_close_ int cfd = -1;
	int bfd;

	*dirfd = -1;
	if (check_id(id, err) < 0)
		return -1;
	if (open_subdir(rootfd, STORE_CONTAINERS, create, false, &cfd, err) < 0)
		return kerr_wrap(err, "open container `%.12s`", id);
	_cleanup_close_ int fd = -1;
	if (open_subdir(cfd, id, create, false, &fd, err) < 0)
		return kerr_wrap(err, "open container `%.12s`", id);
	if (create) {
		if (open_subdir(fd, STORE_BUNDLE, true, false, &bfd, err) < 0)
			return kerr_wrap(err, "create container `%.12s`", id);
		fd_close(bfd);
	}
	*dirfd = take_fd(&fd);
	return 0;
}

/* A plain file name: no '/', not empty, not "." or "..". */
static bool is_plain_name(const char *name)
{
	return name && name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static int write_all(int fd, const void *data, size_t len, struct kerr *err)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = store_ops.write(fd, (const char *)data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kerr_set(err, errno, "write (%zu of %zu bytes written)", off, len);
		}
		if (n == 0)
			return kerr_set(err, EIO,
					"write made no progress (%zu of %zu bytes written)", off,
					len);
		off += (size_t)n;
	}
	return 0;
}

/* Writes, syncs and closes the temp file; the caller unlinks it on failure. */
static int fill_temp(int fd, const void *data, size_t len, bool durable, struct kerr *err)
{
	if (write_all(fd, data, len, err) < 0)
		return -1;
	if (durable && store_ops.fsync(fd) < 0)
		return kerr_set(err, errno, "fsync");
	return 0;
}

int store_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		       bool durable, struct kerr *err)
{
	static unsigned counter;
	char tmp[NAME_MAX + 1];
	int n;

	if (!is_plain_name(name))
		return kerr_set(err, EINVAL,
				"write `%s`: not a plain file name, expected a name "
				"without `/`",
				name ? name : "");
	n = snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld.%u", name, (long)getpid(),
		     __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return kerr_set(err, ENAMETOOLONG,
				"write `%s`: name too long for a temporary "
				"file, expected at most %d bytes",
				name, NAME_MAX - 40);
	/* O_EXCL|O_NOFOLLOW: never write through a planted file or symlink of that name. */
	int fd = store_ops.openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
				  mode);
	if (fd < 0)
		return kerr_set(err, errno, "write `%s`: create temporary file `%s`", name, tmp);
	int rc = fill_temp(fd, data, len, durable, err);

	fd_close(fd);
	if (rc == 0 && store_ops.renameat(dirfd, tmp, dirfd, name) < 0)
		rc = kerr_set(err, errno, "rename `%s` into place", tmp);
	if (rc < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return kerr_wrap(err, "write `%s`", name);
	}
	/* The rename is durable only once the directory entry is (fsync(2), NOTES). */
	if (durable && store_ops.fsync(dirfd) < 0)
		return kerr_set(err, errno, "write `%s`: fsync directory", name);
	return 0;
}

int store_sync(int dirfd, const char *name, struct kerr *err)
{
	if (!is_plain_name(name))
		return kerr_set(err, EINVAL,
				"sync `%s`: not a plain file name, expected a name "
				"without `/`",
				name ? name : "");
	_cleanup_close_ int fd =
		store_ops.openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return kerr_set(err, errno, "sync `%s`: open", name);
	if (store_ops.fsync(fd) < 0)
		return kerr_set(err, errno, "sync `%s`: fsync", name);
	if (store_ops.fsync(dirfd) < 0)
		return kerr_set(err, errno, "sync `%s`: fsync directory", name);
	return 0;
}

int store_read_file(int dirfd, const char *name, size_t max, struct buf *out, struct kerr *err)
{
	struct stat st;
	size_t start = out->len;

	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2; /* keeps max + 1 below from wrapping */

	if (!is_plain_name(name))
		return kerr_set(err, EINVAL,
				"read `%s`: not a plain file name, expected a name "
				"without `/`",
				name ? name : "");
	/* O_NONBLOCK: opening a FIFO planted under this name must not block (it is refused). */
	_cleanup_close_ int fd =
		store_ops.openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return kerr_set(err, errno, "read `%s`", name);
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "read `%s`: stat", name);
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, EINVAL, "read `%s`: not a regular file", name);
	if ((uint64_t)st.st_size > max)
		return kerr_set(err, EFBIG, "read `%s`: file of %lld bytes exceeds limit %zu", name,
				(long long)st.st_size, max);
	if (buf_reserve(out, (size_t)st.st_size + 1, err) < 0)
		return kerr_wrap(err, "read `%s`", name);
	/* The file may grow after fstat: read until EOF, at most max + 1 bytes to notice it. */
	for (;;) {
		size_t got = out->len - start;

		if (got > max) {
			out->len = start;
			return kerr_set(err, EFBIG, "read `%s`: file grew past limit %zu", name,
					max);
		}
		size_t want = max + 1 - got;

		if (out->cap - out->len < 2 &&
		    buf_reserve(out, (want < 4096 ? want : 4096) + 1, err) < 0) {
			out->len = start;
			return kerr_wrap(err, "read `%s`", name);
		}
		size_t room = out->cap - out->len - 1;
		ssize_t n = read(fd, out->data + out->len, room < want ? room : want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			out->len = start;
			return kerr_set(err, errno, "read `%s`", name);
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->data[out->len] = '\0';
	return 0;
}

/* True when entry d of dirfd is a directory, without following a symlink. */
static bool entry_is_dir(int dirfd, const struct dirent *d)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	return fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/*
 * fn reports its own failure through data (it has no kerr); err is cleared before the walk,
 * so a callback that fills the caller's kerr keeps its message, and one that does not gets a
 * generic one.
 */
int store_each_container(int rootfd, int (*fn)(const char *id, void *data), void *data,
			 size_t *skipped, struct kerr *err)
{
	size_t seen = 0, other = 0;
	struct dirent *d;

	kerr_clear(err);
	if (skipped)
		*skipped = 0;
	int fd = store_ops.openat(rootfd, STORE_CONTAINERS,
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 && errno == ENOENT)
		return 0; /* a root opened without create: no container yet */
	if (fd < 0)
		return kerr_set(err, errno, "open directory `%s`", STORE_CONTAINERS);
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (!dir) {
		kerr_set(err, errno, "read directory `%s`", STORE_CONTAINERS);
		fd_close(fd);
		return -1;
	}
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (!d) {
			if (errno)
				return kerr_set(err, errno, "read directory `%s`",
						STORE_CONTAINERS);
			break;
		}
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (!ids_is_id(d->d_name) || !entry_is_dir(dirfd(dir), d)) {
			other++;
			continue;
		}
		if (++seen > STORE_CONTAINERS_MAX)
			return kerr_set(err, EMFILE,
					"`%s` holds more than %d containers, the limit",
					STORE_CONTAINERS, STORE_CONTAINERS_MAX);
		if (fn(d->d_name, data) < 0) {
			if (!err->msg[0])
				kerr_set(err, 0, "container `%.12s`: callback failed", d->d_name);
			return -1;
		}
	}
	if (skipped)
		*skipped = other;
	return 0;
}

/*
 * Removes name (in parentfd) and, when it is a directory, everything below it. Each level is
 * opened with O_NOFOLLOW|O_DIRECTORY, so a symlink is unlinked as a link and never entered.
 */
static int remove_tree(int parentfd, const char *name, int depth, struct kerr *err)
{
	if (depth > STORE_REMOVE_DEPTH_MAX)
		return kerr_set(err, ELOOP, "remove `%s`: nested deeper than %d directories", name,
				STORE_REMOVE_DEPTH_MAX);
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* ENOTDIR: a file; ELOOP: a symlink (O_NOFOLLOW on the last component). */
		if (errno != ENOTDIR && errno != ELOOP)
			return kerr_set(err, errno, "open `%s`", name);
		if (unlinkat(parentfd, name, 0) < 0 && errno != ENOENT)
			return kerr_set(err, errno, "remove `%s`", name);
		return 0;
	}
	_cleanup_closedir_ DIR *dir = fdopendir(fd);
	if (!dir) {
		kerr_set(err, errno, "read directory `%s`", name);
		fd_close(fd);
		return -1;
	}
	/* Entries removed during a readdir pass may make it skip others: pass again if needed. */
	for (int pass = 0;; pass++) {
		struct dirent *d;

		rewinddir(dir);
		for (;;) {
			errno = 0;
			d = readdir(dir);
			if (!d)
				break;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			if (entry_is_dir(dirfd(dir), d)) {
				if (remove_tree(dirfd(dir), d->d_name, depth + 1, err) < 0)
					return kerr_wrap(err, "in `%s`", name);
			} else if (unlinkat(dirfd(dir), d->d_name, 0) < 0 && errno != ENOENT) {
				return kerr_set(err, errno, "remove `%s/%s`", name, d->d_name);
			}
		}
		if (errno)
			return kerr_set(err, errno, "read directory `%s`", name);
		if (unlinkat(parentfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != ENOTEMPTY || pass + 1 >= STORE_REMOVE_PASSES)
			return kerr_set(err, errno, "remove directory `%s`", name);
	}
}

int store_remove_container(int rootfd, const char *id, struct kerr *err)
{
	if (check_id(id, err) < 0)
		return kerr_wrap(err, "remove container");
	_cleanup_close_ int cfd = store_ops.openat(
		rootfd, STORE_CONTAINERS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (cfd < 0)
		return kerr_set(err, errno, "remove container `%.12s`: open `%s`", id,
				STORE_CONTAINERS);
	/* An absent container keeps ENOENT, so callers may treat "already gone" as done. */
	if (faccessat(cfd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return kerr_set(err, errno, "remove container `%.12s`", id);
	if (remove_tree(cfd, id, 0, err) < 0)
		return kerr_wrap(err, "remove container `%.12s`", id);
	return 0;
}

int store_container_path(const char *root, const char *id, const char *file, char *out, size_t cap,
			 struct kerr *err)
{
	int n;

	if (check_id(id, err) < 0)
		return -1;
	if (file && file[0])
		n = snprintf(out, cap, "%s/%s/%s/%s", root, STORE_CONTAINERS, id, file);
	else
		n = snprintf(out, cap, "%s/%s/%s", root, STORE_CONTAINERS, id);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return kerr_set(err, ENAMETOOLONG,
				"path of `%s` in container `%.12s` under `%s` is longer than %zu "
				"bytes",
				file ? file : "", id, root, cap ? cap - 1 : 0);
	}
	return 0;
}
