/*
 * copy: path resolution for `kettle cp`, the one way in to the filesystem (mechanism M3).
 *
 * Every lookup of copy_archive.c and copy_extract.c goes through openat2 with
 * RESOLVE_NO_MAGICLINKS (plus RESOLVE_IN_ROOT under a container's root and under an
 * extraction root), retried while a rename races the walk, so a symlink planted or swapped
 * in by a container is never followed out of its root (docker cp's CVE-2018-15664 race).
 * Without openat2 (before Linux 5.6) every lookup fails with COPY_NOOPENAT2: there is no
 * weaker fallback. Never prints or exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "copy/copy.h"

/* The kernel's struct open_how (linux/openat2.h), which musl's headers lack. */
struct copy_open_how {
	uint64_t flags;	  /* open(2) flags */
	uint64_t mode;	  /* creation mode; 0 unless O_CREAT */
	uint64_t resolve; /* RESOLVE_* */
};

#define OPENAT2_RETRIES 64 /* EAGAIN: a rename raced a RESOLVE_IN_ROOT walk (openat2(2)) */

int copy_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct copy_open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = resolve,
	};
	long r = -1;

	for (int i = 0; i < OPENAT2_RETRIES; i++) {
		r = syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how, sizeof(how));
		if (r >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	return (int)r;
}

int copy_open_fail(const char *path, struct kerr *err)
{
	if (errno == ENOSYS) {
		kerr_set(err, 0, COPY_NOOPENAT2);
		return kerr_set_code(err, ENOSYS);
	}
	return kerr_set(err, errno, "open `%s`", path[0] ? path : ".");
}

int copy_open(const struct copy_root *root, const char *path, int flags, bool follow, int *fd,
	      struct kerr *err)
{
	uint64_t resolve = RESOLVE_NO_MAGICLINKS | (root->contained ? RESOLVE_IN_ROOT : 0);

	if (flags == 0)
		flags = O_PATH;
	if (!follow)
		flags |= O_NOFOLLOW;
	*fd = copy_openat2(root->fd, path, flags, resolve);
	if (*fd < 0)
		return copy_open_fail(path, err);
	return 0;
}
