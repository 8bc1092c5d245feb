/*
 * selfexe: a read-only copy of the running binary for `run --init` (mechanism M3).
 *
 * The copy is written under a temporary name next to its final one, made 0555 with
 * fchmod on the open descriptor (never a window in which it is writable by name once
 * renamed), fsynced and renamed into place, so a container never sees half a binary.
 * Reads /proc/self/exe, which names the binary the process runs even when the file on
 * disk has been replaced by an upgrade since. Never logs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "runtime/selfexe.h"

#define COPY_CHUNK (1u << 20) /* bytes per sendfile call */

static int copy_fd(int src, int dst, off_t size, struct kerr *err)
{
	off_t done = 0;

	while (done < size) {
		size_t want =
			(size_t)(size - done) < COPY_CHUNK ? (size_t)(size - done) : COPY_CHUNK;
		ssize_t n = sendfile(dst, src, NULL, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kerr_set(err, errno, "copy");
		if (n == 0)
			return kerr_set(err, EIO, "copy: the source ended after %lld of %lld bytes",
					(long long)done, (long long)size);
		done += n;
	}
	return 0;
}

int selfexe_copy_from(const char *src, int dirfd, const char *name, struct kerr *err)
{
	char tmp[256];
	struct stat st;
	int n = snprintf(tmp, sizeof(tmp), ".%s.tmp", name);

	if (n < 0 || (size_t)n >= sizeof(tmp) || strchr(name, '/'))
		return kerr_set(err, EINVAL, "copy of the kettle binary: bad name `%s`", name);
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return kerr_set(err, errno, "open `%s`", src);
	if (fstat(in, &st) < 0)
		return kerr_set(err, errno, "stat `%s`", src);
	if (!S_ISREG(st.st_mode))
		return kerr_set(err, 0, "`%s` is not a regular file", src);
	if (st.st_size <= 0 || (uint64_t)st.st_size > SELFEXE_MAX)
		return kerr_set(err, 0, "`%s` has %lld bytes, allowed 1..%u", src,
				(long long)st.st_size, SELFEXE_MAX);
	(void)unlinkat(dirfd, tmp, 0);
	_cleanup_close_ int out =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return kerr_set(err, errno, "create `%s`", tmp);
	int rc = copy_fd(in, out, st.st_size, err);
	if (rc == 0 && fchmod(out, 0555) < 0)
		rc = kerr_set(err, errno, "chmod `%s`", tmp);
	if (rc == 0 && fsync(out) < 0)
		rc = kerr_set(err, errno, "fsync `%s`", tmp);
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = kerr_set(err, errno, "rename `%s` to `%s`", tmp, name);
	if (rc < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return kerr_wrap(err, "copy `%s`", src);
	}
	return 0;
}

int selfexe_check_static(const char *path, struct kerr *err)
{
	Elf64_Ehdr eh;
	size_t got = 0;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kerr_set(err, errno, "open `%s`", path);
	if (fd_read_full(fd, &eh, sizeof(eh), &got, err) < 0)
		return kerr_wrap(err, "`%s`", path);
	if (got != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phnum == 0 || eh.e_phnum > 256)
		return kerr_set(err, 0, "`%s` is not a 64-bit ELF executable", path);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t at = (off_t)eh.e_phoff + (off_t)i * (off_t)sizeof(ph);

		if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
			return kerr_set(err, EIO, "`%s`: program header %u", path, i);
		if (ph.p_type == PT_INTERP)
			return kerr_set(err, 0,
					"`%s` is dynamically linked (it asks for a program "
					"interpreter), so it cannot run inside a container; "
					"--init needs the static build",
					path);
	}
	return 0;
}

int selfexe_copy(int dirfd, const char *name, struct kerr *err)
{
	return selfexe_copy_from("/proc/self/exe", dirfd, name, err);
}
