/*
 * fd: descriptor ownership and whole-buffer I/O (base layer).
 *
 * Invariants: close() is never retried, because on Linux the descriptor is released even
 * when close(2) reports EINTR and a retry could close a descriptor another thread just got
 * (see close(2), musl src/unistd/close.c). Every descriptor opened here is O_CLOEXEC from
 * birth. Reads and writes restart on EINTR and short counts. Never logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"

int fd_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;

		(void)close(fd);
		errno = saved;
	}
	return -1;
}

void fd_closep(int *fd)
{
	if (fd && *fd >= 0)
		*fd = fd_close(*fd);
}

void fd_freep(void *pp)
{
	void **p = pp;

	if (p) {
		free(*p);
		*p = NULL;
	}
}

int take_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

void *take_ptr_impl(void **pp)
{
	void *r = *pp;

	*pp = NULL;
	return r;
}

int fd_read_full(int fd, void *buf, size_t len, size_t *got, struct kerr *err)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (got)
				*got = off;
			return kerr_set(err, errno, "read from fd %d", fd);
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (got)
		*got = off;
	return 0;
}

int fd_write_full(int fd, const void *buf, size_t len, struct kerr *err)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, (const char *)buf + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kerr_set(err, errno, "write to fd %d (%zu of %zu bytes written)", fd,
					off, len);
		}
		/* write(2) returns 0 only for len 0; treat it as a device that accepts nothing. */
		if (n == 0)
			return kerr_set(err, EIO, "write to fd %d made no progress", fd);
		off += (size_t)n;
	}
	return 0;
}

int fd_set_nonblock(int fd, bool on, struct kerr *err)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return kerr_set(err, errno, "get flags of fd %d", fd);
	int want = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (want != flags && fcntl(fd, F_SETFL, want) < 0)
		return kerr_set(err, errno, "set O_NONBLOCK %s on fd %d", on ? "on" : "off", fd);
	return 0;
}

int fd_read_small_file(int dirfd, const char *path, char *buf, size_t cap, size_t *len,
		       struct kerr *err)
{
	struct stat st;
	size_t got = 0;

	if (cap == 0)
		return kerr_set(err, 0, "read `%s`: buffer of 0 bytes", path);
	buf[0] = '\0';
	/* O_NOFOLLOW: a symlink planted in a state directory must not redirect the read. */
	_cleanup_close_ int fd =
		openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return kerr_set(err, errno, "open `%s`", path);
	if (fstat(fd, &st) < 0)
		return kerr_set(err, errno, "stat `%s`", path);
	/* Only regular files: a FIFO would block the caller's loop forever. */
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, 0, "`%s` is not a regular file", path);
	/* st_size lies for /proc and cgroup files, so read one byte past the limit to know. */
	if (fd_read_full(fd, buf, cap, &got, err) < 0)
		return kerr_wrap(err, "read `%s`", path);
	if (got >= cap) {
		buf[0] = '\0';
		return kerr_set(err, 0, "file `%s` is larger than %zu bytes", path, cap - 1);
	}
	buf[got] = '\0';
	if (len)
		*len = got;
	return 0;
}
