/*
 * store_test: unit tests for src/store/store.c (test layer).
 *
 * Each test works in its own mkdtemp directory. Faults are injected through store_ops;
 * every test that overrides an op restores the default table before returning.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "store/store.h"

#define BASE_LEN 64  /* mkdtemp path under /tmp */
#define ROOT_LEN 128 /* a root or file below it */

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct store_ops saved_ops; /* the default table, saved on first use */
static bool saved;		   /* saved_ops holds the defaults */

/* Saves the default ops (once) and starts from them, so a test overrides one op only. */
static void ops_save(void)
{
	if (!saved) {
		saved_ops = store_ops;
		saved = true;
	}
	store_ops = saved_ops;
}

static void ops_restore(void)
{
	if (saved)
		store_ops = saved_ops;
}

/* A fresh private directory under /tmp; its path is written to out. */
static char *mktmp(char out[BASE_LEN])
{
	snprintf(out, BASE_LEN, "/tmp/kettle-store-test.XXXXXX");
	return mkdtemp(out);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Number of entries whose name starts with '.' (other than . and ..) in dir. */
static int count_dot_files(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "  (could not remove %s)\n", path);
}

/* Opens a fresh root in a new temp directory; *base receives the temp directory. */
static int fresh_root(char base[BASE_LEN], char root[ROOT_LEN], int *rootfd)
{
	struct kerr err;

	if (!mktmp(base))
		return -1;
	snprintf(root, ROOT_LEN, "%s/root", base);
	return store_open_root(root, true, rootfd, &err);
}

static int read_str(int dirfd, const char *name, char *out, size_t cap)
{
	struct buf b;
	struct kerr err;
	int rc;

	buf_init(&b, 1 << 20);
	rc = store_read_file(dirfd, name, 1 << 20, &b, &err);
	if (rc == 0)
		snprintf(out, cap, "%s", (const char *)b.data);
	buf_done(&b);
	return rc;
}

TEST(root_path_resolution)
{
	unsetenv("KETTLE_ROOT");
	ASSERT_STREQ(store_root_path(NULL), STORE_DEFAULT_ROOT);
	ASSERT_STREQ(store_root_path(""), STORE_DEFAULT_ROOT);
	setenv("KETTLE_ROOT", "/x/env", 1);
	ASSERT_STREQ(store_root_path(NULL), "/x/env");
	ASSERT_STREQ(store_root_path("/x/explicit"), "/x/explicit");
	unsetenv("KETTLE_ROOT");
}

TEST(root_created_private)
{
	char base[BASE_LEN], root[ROOT_LEN], p[PATH_MAX + 32];
	struct kerr err;
	int fd = -1;
	mode_t old = umask(0);

	ASSERT(mktmp(base));
	snprintf(root, sizeof(root), "%s/a/b//root/", base);
	int rc = store_open_root(root, true, &fd, &err);
	umask(old);
	ASSERT_EQ(rc, 0);
	ASSERT(fd >= 0);
	snprintf(p, sizeof(p), "%s/a/b/root", base);
	ASSERT_EQ(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/a", base);
	ASSERT_EQ(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/a/b/root/containers", base);
	ASSERT_EQ(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/a/b/root/runc", base);
	ASSERT_EQ(mode_of(p), 0700);
	ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* Opening again (create or not) works and changes nothing. */
	ASSERT_EQ(store_open_root(root, true, &fd, &err), 0);
	close(fd);
	ASSERT_EQ(store_open_root(root, false, &fd, &err), 0);
	close(fd);
	rm_rf(base);
}

TEST(root_loose_mode_fixed)
{
	char base[BASE_LEN], root[ROOT_LEN];
	struct kerr err;
	int fd = -1;

	ASSERT(mktmp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	ASSERT_EQ(mkdir(root, 0755), 0);
	ASSERT_EQ(chmod(root, 0755), 0);
	ASSERT_EQ(store_open_root(root, true, &fd, &err), 0);
	ASSERT_EQ(mode_of(root), 0700);
	close(fd);
	rm_rf(base);
}

TEST(root_shared_writable_refused)
{
	char base[BASE_LEN], root[ROOT_LEN];
	struct kerr err;
	int fd = -1;

	ASSERT(mktmp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	ASSERT_EQ(mkdir(root, 0700), 0);
	ASSERT_EQ(chmod(root, 01777), 0);
	ASSERT_EQ(store_open_root(root, true, &fd, &err), -1);
	ASSERT_EQ(fd, -1);
	ASSERT_CONTAINS(err.msg, "others may write");
	ASSERT_CONTAINS(err.msg, "expected a private directory (mode 0700)");
	ASSERT_EQ(mode_of(root), 01777); /* left alone */
	rm_rf(base);
}

TEST(root_bad_paths)
{
	char base[BASE_LEN], p[PATH_MAX];
	struct kerr err;
	int fd = -1;

	ASSERT_EQ(store_open_root("relative/root", true, &fd, &err), -1);
	ASSERT_CONTAINS(err.msg, "not an absolute path");
	ASSERT_EQ(store_open_root(NULL, true, &fd, &err), -1);
	ASSERT(mktmp(base));
	snprintf(p, sizeof(p), "%s/missing", base);
	ASSERT_EQ(store_open_root(p, false, &fd, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT(!exists(p));
	/* A file, and a symlink to a directory, are not roots. */
	snprintf(p, sizeof(p), "%s/file", base);
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	ASSERT_EQ(store_open_root(p, true, &fd, &err), -1);
	snprintf(p, sizeof(p), "%s/link", base);
	ASSERT_EQ(symlink(base, p), 0);
	ASSERT_EQ(store_open_root(p, true, &fd, &err), -1);
	ASSERT(err.code == ENOTDIR || err.code == ELOOP); /* O_DIRECTORY|O_NOFOLLOW: ENOTDIR */
	rm_rf(base);
}

TEST(invalid_ids_refused)
{
	char base[BASE_LEN], root[ROOT_LEN], out[PATH_MAX];
	static const char *const bad[] = {
		"",	     "abc",
		"../../etc", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		ID_A "a",    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/.",
	};
	struct kerr err;
	int rootfd, fd = -1;

	ASSERT_EQ(fresh_root(base, root, &rootfd), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(store_open_container(rootfd, bad[i], true, &fd, &err), -1);
		ASSERT_CONTAINS(err.msg, "invalid container id");
		ASSERT_EQ(fd, -1);
		ASSERT_EQ(store_remove_container(rootfd, bad[i], &err), -1);
		ASSERT_CONTAINS(err.msg, "invalid container id");
		ASSERT_EQ(store_container_path(root, bad[i], "x", out, sizeof(out), &err), -1);
	}
	ASSERT_EQ(store_open_container(rootfd, NULL, true, &fd, &err), -1);
	ASSERT_CONTAINS(err.msg, "expected 64 lowercase hex characters");
	close(rootfd);
	rm_rf(base);
}

TEST(open_container)
{
	char base[BASE_LEN], root[ROOT_LEN], p[PATH_MAX + 200];
	struct kerr err;
	int rootfd, fd = -1;

	ASSERT_EQ(fresh_root(base, root, &rootfd), 0);
	ASSERT_EQ(store_open_container(rootfd, ID_A, false, &fd, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_EQ(store_open_container(rootfd, ID_A, true, &fd, &err), 0);
	ASSERT(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/containers/%s", root, ID_A);
	ASSERT_EQ(mode_of(p), 0700);
	snprintf(p, sizeof(p), "%s/containers/%s/bundle", root, ID_A);
	ASSERT_EQ(mode_of(p), 0700);
	ASSERT_EQ(store_open_container(rootfd, ID_A, false, &fd, &err), 0);
	close(fd);
	/* A symlink in place of a container directory is not followed. */
	snprintf(p, sizeof(p), "%s/containers/%s", root, ID_B);
	ASSERT_EQ(symlink(base, p), 0);
	ASSERT_EQ(store_open_container(rootfd, ID_B, false, &fd, &err), -1);
	ASSERT(err.code == ENOTDIR || err.code == ELOOP);
	close(rootfd);
	rm_rf(base);
}

TEST(container_path)
{
	char out[PATH_MAX], small[40];
	struct kerr err;

	ASSERT_EQ(store_container_path("/r", ID_A, STORE_RUNC_LOG, out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "/r/containers/" ID_A "/runc.log");
	ASSERT_EQ(store_container_path("/r", ID_A, NULL, out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "/r/containers/" ID_A);
	ASSERT_EQ(store_container_path("/r", ID_A, "x", small, sizeof(small), &err), -1);
	ASSERT_EQ(err.code, ENAMETOOLONG);
	ASSERT_STREQ(small, "");
}

TEST(atomic_write_and_read)
{
	char base[BASE_LEN], p[PATH_MAX + 8], got[64];
	struct kerr err;

	ASSERT(mktmp(base));
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	ASSERT_EQ(store_write_atomic(dfd, "f", "hello", 5, 0600, true, &err), 0);
	ASSERT_EQ(read_str(dfd, "f", got, sizeof(got)), 0);
	ASSERT_STREQ(got, "hello");
	snprintf(p, sizeof(p), "%s/f", base);
	ASSERT_EQ(mode_of(p), 0600);
	ASSERT_EQ(store_write_atomic(dfd, "f", "bye", 3, 0600, false, &err), 0);
	ASSERT_EQ(read_str(dfd, "f", got, sizeof(got)), 0);
	ASSERT_STREQ(got, "bye");
	ASSERT_EQ(store_write_atomic(dfd, "f", "", 0, 0600, true, &err), 0);
	ASSERT_EQ(read_str(dfd, "f", got, sizeof(got)), 0);
	ASSERT_STREQ(got, "");
	ASSERT_EQ(count_dot_files(dfd), 0);
	/* Names with a slash or dot-dot are refused. */
	ASSERT_EQ(store_write_atomic(dfd, "../f", "x", 1, 0600, true, &err), -1);
	ASSERT_CONTAINS(err.msg, "not a plain file name");
	ASSERT_EQ(store_write_atomic(dfd, "..", "x", 1, 0600, true, &err), -1);
	ASSERT_EQ(store_write_atomic(dfd, "", "x", 1, 0600, true, &err), -1);
	close(dfd);
	rm_rf(base);
}

/* Fault injection state. */
static int fail_after;	/* calls that succeed before the failure */
static int fail_errno;	/* errno of the injected failure */
static int fsync_calls; /* fsync calls seen */

static ssize_t bad_write(int fd, const void *b, size_t n)
{
	if (fail_after-- > 0)
		return write(fd, b, n < 2 ? n : 2); /* short writes until then */
	errno = fail_errno;
	return -1;
}

static int bad_fsync(int fd)
{
	fsync_calls++;
	if (fail_after-- > 0)
		return fsync(fd);
	errno = fail_errno;
	return -1;
}

static int bad_renameat(int a, const char *b, int c, const char *d)
{
	(void)a, (void)b, (void)c, (void)d;
	errno = fail_errno;
	return -1;
}

static int bad_openat(int a, const char *b, int c, mode_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	errno = fail_errno;
	return -1;
}

/* Writes "new content" with the current ops over "old"; checks old is intact, no temp. */
static int faulty_write(int dfd, const char *expect_msg)
{
	char got[64];
	struct kerr err;
	int rc = store_write_atomic(dfd, "state.json", "new content", 11, 0600, true, &err);

	ops_restore();
	if (rc != -1) {
		fprintf(stderr, "  write succeeded despite the fault\n");
		return -1;
	}
	if (!strstr(err.msg, "write `state.json`") || !strstr(err.msg, expect_msg)) {
		fprintf(stderr, "  unexpected message: %s\n", err.msg);
		return -1;
	}
	if (read_str(dfd, "state.json", got, sizeof(got)) != 0 || strcmp(got, "old") != 0) {
		fprintf(stderr, "  old content lost: `%s`\n", got);
		return -1;
	}
	if (count_dot_files(dfd) != 0) {
		fprintf(stderr, "  temporary file left behind\n");
		return -1;
	}
	return 0;
}

TEST(atomic_write_faults_keep_old_content)
{
	char base[BASE_LEN];
	struct kerr err;

	ASSERT(mktmp(base));
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	ASSERT_EQ(store_write_atomic(dfd, "state.json", "old", 3, 0600, true, &err), 0);

	ops_save();
	store_ops.write = bad_write;
	fail_after = 0;
	fail_errno = ENOSPC;
	ASSERT_EQ(faulty_write(dfd, "No space left on device"), 0);

	ops_save();
	store_ops.write = bad_write;
	fail_after = 3; /* a few short writes, then the failure mid-file */
	fail_errno = EIO;
	ASSERT_EQ(faulty_write(dfd, "(6 of 11 bytes written)"), 0);

	ops_save();
	store_ops.fsync = bad_fsync;
	fail_after = 0;
	fail_errno = EIO;
	ASSERT_EQ(faulty_write(dfd, "fsync"), 0);

	ops_save();
	store_ops.renameat = bad_renameat;
	fail_errno = EXDEV;
	ASSERT_EQ(faulty_write(dfd, "rename"), 0);

	ops_save();
	store_ops.openat = bad_openat;
	fail_errno = EACCES;
	ASSERT_EQ(faulty_write(dfd, "create temporary file"), 0);
	close(dfd);
	rm_rf(base);
}

TEST(atomic_write_short_writes_and_dir_fsync)
{
	char base[BASE_LEN], got[64];
	struct kerr err;

	ASSERT(mktmp(base));
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	/* Short writes only: the whole content still lands. */
	ops_save();
	store_ops.write = bad_write;
	fail_after = 1000;
	ASSERT_EQ(store_write_atomic(dfd, "f", "0123456789", 10, 0600, false, &err), 0);
	ops_restore();
	ASSERT_EQ(read_str(dfd, "f", got, sizeof(got)), 0);
	ASSERT_STREQ(got, "0123456789");
	/* durable: file then directory are fsynced; a directory fsync failure is reported. */
	ops_save();
	store_ops.fsync = bad_fsync;
	fsync_calls = 0;
	fail_after = 1;
	fail_errno = EIO;
	ASSERT_EQ(store_write_atomic(dfd, "f", "abc", 3, 0600, true, &err), -1);
	ops_restore();
	ASSERT_EQ(fsync_calls, 2);
	ASSERT_CONTAINS(err.msg, "fsync directory");
	ASSERT_EQ(count_dot_files(dfd), 0);
	/* not durable: no fsync at all */
	ops_save();
	store_ops.fsync = bad_fsync;
	fsync_calls = 0;
	ASSERT_EQ(store_write_atomic(dfd, "f", "abc", 3, 0600, false, &err), 0);
	ops_restore();
	ASSERT_EQ(fsync_calls, 0);
	close(dfd);
	rm_rf(base);
}

TEST(sync_after_volatile_write)
{
	char base[BASE_LEN], got[64];
	struct kerr err;

	ASSERT(mktmp(base));
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	ASSERT_EQ(store_write_atomic(dfd, "record.json", "{}", 2, 0600, false, &err), 0);
	/* file, then directory */
	ops_save();
	store_ops.fsync = bad_fsync;
	fsync_calls = 0;
	fail_after = 2;
	ASSERT_EQ(store_sync(dfd, "record.json", &err), 0);
	ops_restore();
	ASSERT_EQ(fsync_calls, 2);
	ASSERT_EQ(read_str(dfd, "record.json", got, sizeof(got)), 0);
	ASSERT_STREQ(got, "{}");
	/* each failure is named */
	ops_save();
	store_ops.fsync = bad_fsync;
	fail_after = 0;
	fail_errno = EIO;
	ASSERT_EQ(store_sync(dfd, "record.json", &err), -1);
	ASSERT_CONTAINS(err.msg, "sync `record.json`: fsync: ");
	fail_after = 1;
	ASSERT_EQ(store_sync(dfd, "record.json", &err), -1);
	ops_restore();
	ASSERT_CONTAINS(err.msg, "sync `record.json`: fsync directory");
	ASSERT_EQ(store_sync(dfd, "missing.json", &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_EQ(store_sync(dfd, "../record.json", &err), -1);
	ASSERT_CONTAINS(err.msg, "not a plain file name");
	/* never through a symlink */
	ASSERT_EQ(symlinkat("record.json", dfd, "link"), 0);
	ASSERT_EQ(store_sync(dfd, "link", &err), -1);
	ASSERT_EQ(err.code, ELOOP);
	close(dfd);
	rm_rf(base);
}

TEST(atomic_write_never_follows_symlink)
{
	char base[BASE_LEN], p[PATH_MAX + 16], target[ROOT_LEN], got[64];
	struct kerr err;

	ASSERT(mktmp(base));
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	snprintf(target, sizeof(target), "%s/target", base);
	ASSERT_EQ(store_write_atomic(dfd, "target", "keep", 4, 0600, false, &err), 0);
	snprintf(p, sizeof(p), "%s/f", base);
	ASSERT_EQ(symlink(target, p), 0);
	/* The rename replaces the link itself; the target keeps its content. */
	ASSERT_EQ(store_write_atomic(dfd, "f", "new", 3, 0600, false, &err), 0);
	ASSERT_EQ(read_str(dfd, "target", got, sizeof(got)), 0);
	ASSERT_STREQ(got, "keep");
	ASSERT_EQ(read_str(dfd, "f", got, sizeof(got)), 0);
	ASSERT_STREQ(got, "new");
	close(dfd);
	rm_rf(base);
}

TEST(read_file_limits)
{
	char base[BASE_LEN], p[PATH_MAX + 16], data[100];
	struct buf b;
	struct kerr err;

	ASSERT(mktmp(base));
	int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(dfd >= 0);
	memset(data, 'x', sizeof(data));
	ASSERT_EQ(store_write_atomic(dfd, "f", data, sizeof(data), 0600, false, &err), 0);
	buf_init(&b, 1 << 20);
	ASSERT_EQ(store_read_file(dfd, "f", 99, &b, &err), -1);
	ASSERT_EQ(err.code, EFBIG);
	ASSERT_CONTAINS(err.msg, "exceeds limit 99");
	ASSERT_EQ(b.len, 0);
	ASSERT_EQ(store_read_file(dfd, "f", 100, &b, &err), 0);
	ASSERT_EQ(b.len, 100);
	ASSERT_EQ(b.data[100], '\0');
	/* Appends after what the buffer held. */
	ASSERT_EQ(store_read_file(dfd, "f", 100, &b, &err), 0);
	ASSERT_EQ(b.len, 200);
	buf_done(&b);
	/* The buffer's own cap applies too. */
	buf_init(&b, 50);
	ASSERT_EQ(store_read_file(dfd, "f", 1000, &b, &err), -1);
	ASSERT_EQ(b.len, 0);
	buf_done(&b);
	buf_init(&b, 1 << 20);
	ASSERT_EQ(store_read_file(dfd, "missing", 100, &b, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_CONTAINS(err.msg, "read `missing`");
	/* Not followed: a symlink; not read: a FIFO (and opening it does not block). */
	snprintf(p, sizeof(p), "%s/link", base);
	ASSERT_EQ(symlink("f", p), 0);
	ASSERT_EQ(store_read_file(dfd, "link", 100, &b, &err), -1);
	ASSERT_EQ(err.code, ELOOP);
	snprintf(p, sizeof(p), "%s/fifo", base);
	ASSERT_EQ(mkfifo(p, 0600), 0);
	ASSERT_EQ(store_read_file(dfd, "fifo", 100, &b, &err), -1);
	ASSERT_CONTAINS(err.msg, "not a regular file");
	ASSERT_EQ(store_read_file(dfd, "../f", 100, &b, &err), -1);
	ASSERT_EQ(b.len, 0);
	buf_done(&b);
	close(dfd);
	rm_rf(base);
}

struct walk {
	int calls;	  /* fn calls */
	char ids[8][65];  /* ids seen */
	int fail_at;	  /* call number that fails, 0 never */
	struct kerr *err; /* filled by the failing call when not NULL */
};

static int walk_fn(const char *id, void *data)
{
	struct walk *w = data;

	if (w->calls < 8)
		snprintf(w->ids[w->calls], sizeof(w->ids[0]), "%s", id);
	if (++w->calls == w->fail_at)
		return w->err ? kerr_set(w->err, 0, "custom failure for %.4s", id) : -1;
	return 0;
}

TEST(each_container)
{
	char base[BASE_LEN], root[ROOT_LEN], p[PATH_MAX + 100];
	struct walk w = { 0 };
	struct kerr err;
	size_t skipped = 99;
	int rootfd, fd;

	ASSERT_EQ(fresh_root(base, root, &rootfd), 0);
	ASSERT_EQ(store_each_container(rootfd, walk_fn, &w, &skipped, &err), 0);
	ASSERT_EQ(w.calls, 0);
	ASSERT_EQ(skipped, 0);
	ASSERT_EQ(store_open_container(rootfd, ID_A, true, &fd, &err), 0);
	close(fd);
	ASSERT_EQ(store_open_container(rootfd, ID_B, true, &fd, &err), 0);
	close(fd);
	/* Skipped: a file with an id's name, a symlink with an id's name, a junk dir. */
	snprintf(p, sizeof(p), "%s/containers/%s", root, ID_C);
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	snprintf(p, sizeof(p),
		 "%s/containers/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
		 root);
	ASSERT_EQ(symlink(base, p), 0);
	snprintf(p, sizeof(p), "%s/containers/junk", root);
	ASSERT_EQ(mkdir(p, 0700), 0);
	ASSERT_EQ(store_each_container(rootfd, walk_fn, &w, &skipped, &err), 0);
	ASSERT_EQ(w.calls, 2);
	ASSERT_EQ(skipped, 3);
	ASSERT((strcmp(w.ids[0], ID_A) == 0 && strcmp(w.ids[1], ID_B) == 0) ||
	       (strcmp(w.ids[0], ID_B) == 0 && strcmp(w.ids[1], ID_A) == 0));
	/* A failing callback stops the walk; its own message is kept. */
	w = (struct walk){ .fail_at = 1, .err = &err };
	ASSERT_EQ(store_each_container(rootfd, walk_fn, &w, NULL, &err), -1);
	ASSERT_EQ(w.calls, 1);
	ASSERT_CONTAINS(err.msg, "custom failure");
	w = (struct walk){ .fail_at = 1 };
	ASSERT_EQ(store_each_container(rootfd, walk_fn, &w, NULL, &err), -1);
	ASSERT_CONTAINS(err.msg, "callback failed");
	close(rootfd);
	rm_rf(base);
}

TEST(remove_does_not_follow_symlinks)
{
	char base[BASE_LEN], root[ROOT_LEN], outside[ROOT_LEN], secret[ROOT_LEN + 16];
	char p[PATH_MAX + 200];
	struct kerr err;
	int rootfd, fd;

	ASSERT_EQ(fresh_root(base, root, &rootfd), 0);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	ASSERT_EQ(mkdir(outside, 0700), 0);
	snprintf(secret, sizeof(secret), "%s/secret", outside);
	close(open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	ASSERT(exists(secret));

	ASSERT_EQ(store_open_container(rootfd, ID_A, true, &fd, &err), 0);
	ASSERT_EQ(store_write_atomic(fd, STORE_STATE, "{}", 2, 0600, false, &err), 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/containers/%s/link", root, ID_A);
	ASSERT_EQ(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/containers/%s/bundle/rootfs", root, ID_A);
	ASSERT_EQ(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/containers/%s/bundle/rootfs/filelink", root, ID_A);
	ASSERT_EQ(symlink(secret, p), 0);
	snprintf(p, sizeof(p), "%s/containers/%s/bundle/rootfs/dirlink", root, ID_A);
	ASSERT_EQ(symlink(outside, p), 0);

	ASSERT_EQ(store_remove_container(rootfd, ID_A, &err), 0);
	snprintf(p, sizeof(p), "%s/containers/%s", root, ID_A);
	ASSERT(!exists(p));
	ASSERT(exists(secret));
	ASSERT(exists(outside));
	/* Gone already: ENOENT, so callers can tell. */
	ASSERT_EQ(store_remove_container(rootfd, ID_A, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	/* A container that is itself a symlink: the link goes, not its target. */
	snprintf(p, sizeof(p), "%s/containers/%s", root, ID_B);
	ASSERT_EQ(symlink(outside, p), 0);
	ASSERT_EQ(store_remove_container(rootfd, ID_B, &err), 0);
	ASSERT(!exists(p));
	ASSERT(exists(secret));
	close(rootfd);
	rm_rf(base);
}

TEST(remove_depth_capped)
{
	char base[BASE_LEN], root[ROOT_LEN], p[PATH_MAX * 2];
	struct kerr err;
	int rootfd, fd;
	size_t len;

	ASSERT_EQ(fresh_root(base, root, &rootfd), 0);
	ASSERT_EQ(store_open_container(rootfd, ID_A, true, &fd, &err), 0);
	close(fd);
	len = (size_t)snprintf(p, sizeof(p), "%s/containers/%s", root, ID_A);
	for (int i = 0; i < 70; i++) {
		len += (size_t)snprintf(p + len, sizeof(p) - len, "/d");
		ASSERT_EQ(mkdir(p, 0700), 0);
	}
	ASSERT_EQ(store_remove_container(rootfd, ID_A, &err), -1);
	ASSERT_CONTAINS(err.msg, "nested deeper than 64");
	close(rootfd);
	rm_rf(base);
}

RUN_TESTS(T(root_path_resolution), T(root_created_private), T(root_loose_mode_fixed),
	  T(root_shared_writable_refused), T(root_bad_paths), T(invalid_ids_refused),
	  T(open_container), T(container_path), T(atomic_write_and_read),
	  T(atomic_write_faults_keep_old_content), T(atomic_write_short_writes_and_dir_fsync),
	  T(sync_after_volatile_write), T(atomic_write_never_follows_symlink), T(read_file_limits),
	  T(each_container), T(remove_does_not_follow_symlinks), T(remove_depth_capped))
