/*
 * selfexe_test: unit tests for src/runtime/selfexe.c (test layer).
 *
 * Copies this test binary into a mkdtemp directory and checks the copy: same bytes,
 * mode 0555, no temporary left behind, an existing copy replaced; and the refusals:
 * a missing source, a directory, a bad name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "runtime/selfexe.h"

static bool same_file_bytes(const char *a, int dirfd, const char *b)
{
	FILE *fa = fopen(a, "re");
	int fd = openat(dirfd, b, O_RDONLY | O_CLOEXEC);
	FILE *fb = fd >= 0 ? fdopen(fd, "r") : NULL;
	bool same = fa && fb;
	int ca, cb;

	while (same) {
		ca = fgetc(fa);
		cb = fgetc(fb);
		if (ca != cb)
			same = false;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

TEST(copy_self)
{
	char dir[] = "/tmp/selfexe_test.XXXXXX";
	struct kerr err;
	struct stat st;

	ASSERT(mkdtemp(dir) != NULL);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	ASSERT_EQ(selfexe_copy(dfd, "init", &err), 0);
	ASSERT_EQ(fstatat(dfd, "init", &st, AT_SYMLINK_NOFOLLOW), 0);
	ASSERT(S_ISREG(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0555);
	ASSERT(same_file_bytes("/proc/self/exe", dfd, "init"));
	ASSERT_EQ(faccessat(dfd, ".init.tmp", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	/* Again: the read-only copy is replaced, not written through. */
	ASSERT_EQ(selfexe_copy(dfd, "init", &err), 0);
	ASSERT(same_file_bytes("/proc/self/exe", dfd, "init"));
	/* Refusals. */
	ASSERT_EQ(selfexe_copy_from("/nonexistent/kettle", dfd, "x", &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_EQ(selfexe_copy_from("/tmp", dfd, "x", &err), -1);
	ASSERT_EQ(selfexe_copy_from("/proc/self/exe", dfd, "a/b", &err), -1);
	ASSERT_CONTAINS(err.msg, "bad name");
	ASSERT_EQ(selfexe_copy_from("/dev/null", dfd, "x", &err), -1);
	ASSERT_EQ(faccessat(dfd, "x", F_OK, 0), -1);
	ASSERT_EQ(unlinkat(dfd, "init", 0), 0);
	close(dfd);
	ASSERT_EQ(rmdir(dir), 0);
}

TEST(static_check)
{
	char dir[] = "/tmp/selfexe_test.XXXXXX";
	char path[64];
	struct kerr err;

	/* This test binary is static in the default (musl) build and dynamic in the
	 * sanitizer (glibc) build: either answer must be consistent with its program
	 * headers, which /bin/sh (dynamic on Debian) shows the other way. */
	int self = selfexe_check_static("/proc/self/exe", &err);
	ASSERT(self == 0 || strstr(err.msg, "dynamically linked") != NULL);
	ASSERT_EQ(selfexe_check_static("/nonexistent", &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notelf", dir);
	FILE *f = fopen(path, "we");
	ASSERT(f != NULL);
	fputs("#!/bin/sh\necho not an elf file at all, just text\n", f);
	fclose(f);
	ASSERT_EQ(selfexe_check_static(path, &err), -1);
	ASSERT_CONTAINS(err.msg, "is not a 64-bit ELF executable");
	unlink(path);
	ASSERT_EQ(rmdir(dir), 0);
}

RUN_TESTS(T(copy_self), T(static_check))
