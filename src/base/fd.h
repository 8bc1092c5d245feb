/*
 * fd: descriptor and ownership helpers (base layer).
 *
 * Cleanup attributes for locals, named ownership transfers (take_fd/take_ptr),
 * fd_close() that never retries (EINTR means closed on Linux: see close(2)),
 * and full reads/writes that restart on EINTR. Never logs.
 */
#ifndef KETTLE_FD_H
#define KETTLE_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/kerr.h"

#define _cleanup_(f)	__attribute__((cleanup(f)))
#define _cleanup_close_ _cleanup_(fd_closep)
#define _cleanup_free_	_cleanup_(fd_freep)

/* Closes fd if >= 0, never retries; returns -1 so `fd = fd_close(fd)` resets it. */
int fd_close(int fd);
void fd_closep(int *fd);
void fd_freep(void *pp);

/* Hands ownership out: returns *fd and sets *fd = -1. */
int take_fd(int *fd) __attribute__((warn_unused_result));
void *take_ptr_impl(void **pp) __attribute__((warn_unused_result));
#define take_ptr(pp) take_ptr_impl((void **)(pp))

/* Reads until len bytes or EOF; *got receives the count. Restarts on EINTR. */
int fd_read_full(int fd, void *buf, size_t len, size_t *got, struct kerr *err);
/* Writes all len bytes, restarting on EINTR and short writes. */
int fd_write_full(int fd, const void *buf, size_t len, struct kerr *err);
int fd_set_nonblock(int fd, bool on, struct kerr *err);
/* Reads a whole small file (at most cap-1 bytes, NUL-terminated) relative to dirfd. */
int fd_read_small_file(int dirfd, const char *path, char *buf, size_t cap, size_t *len,
		       struct kerr *err);

#endif
