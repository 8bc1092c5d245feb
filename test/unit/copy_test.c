/*
 * copy_test: unit tests for src/copy/copy.c, copy_archive.c and copy_extract.c (test layer).
 *
 * Round trips (tree -> tar -> tree) check names (pax for long ones), modes, mtimes,
 * symlinks, fifos, `SRC/.`; hand-built hostile streams check that `..` members, absolute
 * names, symlink-then-file and hard-link tricks stay inside the extraction root and never
 * touch the canary beside it, and that malformed headers fail with a clear error. Each
 * test works in its own mkdtemp directory; no root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy/copy.h"
#include "copy/copy_tar.h"
#include "harness.h"

#define P 512 /* a path in a test directory */

static char base[P];

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/copy_test.XXXXXX");
	if (!mkdtemp(base))
		abort();
}

static void teardown(void)
{
	char cmd[P * 2 + 32];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", base, base);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", base);
}

static const char *at(const char *rel)
{
	static char bufs[4][P * 2];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, P * 2, "%s/%s", base, rel);
	return b;
}

static void put_file(const char *rel, const char *content, mode_t mode)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
		abort();
	fchmod(fd, mode);
	close(fd);
}

static char *get_file(const char *rel)
{
	static char b[4096];
	int fd = open(at(rel), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	b[n < 0 ? 0 : n] = '\0';
	return b;
}

static int stream(void)
{
	int fd = memfd_create("tar", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	return fd;
}

/* ---- building hostile streams by hand ---- */

static void octal(uint8_t *f, size_t width, unsigned long long v)
{
	char t[32];
	snprintf(t, sizeof(t), "%0*llo", (int)width - 1, v);
	memcpy(f, t, width - 1);
}

static void checksum(uint8_t *b)
{
	unsigned sum = 0;
	memset(b + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += b[i];
	octal(b + 148, 7, sum);
}

static void hdr(uint8_t *b, const char *name, char type, unsigned long long size, const char *link)
{
	memset(b, 0, 512);
	memcpy(b, name, strlen(name) < 100 ? strlen(name) : 100);
	octal(b + 100, 8, 0644);
	octal(b + 108, 8, 0);
	octal(b + 116, 8, 0);
	octal(b + 124, 12, size);
	octal(b + 136, 12, 1000000000);
	b[156] = (uint8_t)type;
	if (link)
		memcpy(b + 157, link, strlen(link));
	memcpy(b + 257,
	       "ustar\0"
	       "00",
	       8);
	checksum(b);
}

/* Appends a member with data (padded) to fd. */
static void add(int fd, const char *name, char type, const char *data, const char *link)
{
	uint8_t b[512];
	size_t n = data ? strlen(data) : 0;

	hdr(b, name, type, n, link);
	if (write(fd, b, 512) != 512)
		abort();
	if (n) {
		memset(b, 0, 512);
		if (write(fd, data, n) != (ssize_t)n || write(fd, b, (512 - n % 512) % 512) < 0)
			abort();
	}
}

static void end(int fd)
{
	uint8_t z[1024] = { 0 };
	if (write(fd, z, sizeof(z)) != sizeof(z) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
}

/* Extracts fd's stream into base/dest. */
static int extract(int fd, bool keep, struct kerr *err)
{
	struct copy_opts o = { .keep_owner = keep };
	int dfd = open(at("dest"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rc;
	if (dfd < 0)
		abort();
	rc = copy_extract(dfd, fd, &o, err);
	close(dfd);
	return rc;
}

static int archive(const char *path, const char *as, bool follow, int out, struct kerr *err)
{
	int rfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct copy_root r = { .fd = rfd, .contained = true };
	struct copy_opts o = { .follow = follow };
	int rc = copy_archive(&r, path, as, &o, out, err);
	close(rfd);
	lseek(out, 0, SEEK_SET);
	return rc;
}

static bool canary_intact(void)
{
	char *c = get_file("canary");
	return c && strcmp(c, "host secret\n") == 0;
}

static void hostile_setup(void)
{
	setup();
	mkdir(at("dest"), 0755);
	put_file("canary", "host secret\n", 0644);
}

/* ---- round trips ---- */

#define D1 "d1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "d2222222222222222222222222222222222222222222222222222222222222222222222"
#define F3 "f3333333333333333333333333333333333333333333333333333333333333333333333333333333333"

TEST(round_trip_tree)
{
	struct kerr err;
	struct stat st;
	struct timespec ts[2] = { { 1234567890, 0 }, { 1234567890, 0 } };
	int fd = stream();

	setup();
	mkdir(at("src"), 0755);
	mkdir(at("src/sub"), 0750);
	put_file("src/a.txt", "alpha\n", 0640);
	put_file("src/sub/exe", "#!/bin/sh\n", 04755);
	symlink("../a.txt", at("src/sub/link"));
	symlink("/nonexistent/abs", at("src/abs"));
	mkfifo(at("src/fifo"), 0600);
	/* Components stay under NAME_MAX; nesting makes a 250+ byte path (pax `path`). */
	mkdir(at("src/sub/" D1), 0755);
	mkdir(at("src/sub/" D1 "/" D2), 0755);
	put_file("src/sub/" D1 "/" D2 "/" F3, "deep\n", 0600);
	utimensat(AT_FDCWD, at("src/a.txt"), ts, 0);
	utimensat(AT_FDCWD, at("src/sub"), ts, 0);
	ASSERT_EQ(archive("src", "copied", false, fd, &err), 0);
	mkdir(at("dest"), 0755);
	ASSERT_EQ(extract(fd, false, &err), 0);
	ASSERT_STREQ(get_file("dest/copied/a.txt"), "alpha\n");
	ASSERT_EQ(stat(at("dest/copied/a.txt"), &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0640);
	ASSERT_EQ(st.st_mtim.tv_sec, 1234567890);
	ASSERT_EQ(stat(at("dest/copied/sub"), &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0750);
	ASSERT_EQ(st.st_mtim.tv_sec, 1234567890);
	ASSERT_EQ(stat(at("dest/copied/sub/exe"), &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0755); /* set-id dropped without -a */
	char lb[64] = { 0 };
	ASSERT_EQ(readlink(at("dest/copied/sub/link"), lb, sizeof(lb)), 8);
	ASSERT_STREQ(lb, "../a.txt");
	ASSERT_EQ(readlink(at("dest/copied/abs"), lb, sizeof(lb)), 16);
	ASSERT_EQ(lstat(at("dest/copied/fifo"), &st), 0);
	ASSERT(S_ISFIFO(st.st_mode));
	ASSERT_STREQ(get_file("dest/copied/sub/" D1 "/" D2 "/" F3), "deep\n");
	close(fd);
	teardown();
}

TEST(keep_owner_keeps_setid)
{
	struct kerr err;
	struct stat st;
	int fd = stream();

	setup();
	put_file("suid", "x", 04755);
	ASSERT_EQ(archive("suid", "suid", false, fd, &err), 0);
	mkdir(at("dest"), 0755);
	ASSERT_EQ(extract(fd, true, &err), 0);
	ASSERT_EQ(stat(at("dest/suid"), &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 04755);
	close(fd);
	teardown();
}

TEST(contents_only_and_not_a_directory)
{
	struct kerr err;
	int fd = stream();

	setup();
	mkdir(at("src"), 0755);
	put_file("src/f", "f\n", 0644);
	ASSERT_EQ(archive("src", "", false, fd, &err), 0);
	mkdir(at("dest"), 0755);
	ASSERT_EQ(extract(fd, false, &err), 0);
	ASSERT_STREQ(get_file("dest/f"), "f\n");
	ASSERT_EQ(archive("src/f", "", false, fd, &err), -1);
	ASSERT_CONTAINS(err.msg, "is not a directory");
	close(fd);
	teardown();
}

TEST(symlink_source_and_follow)
{
	struct kerr err;
	int fd = stream(), fd2 = stream();
	char lb[64] = { 0 };

	setup();
	put_file("target", "t\n", 0644);
	symlink("target", at("lnk"));
	mkdir(at("dest"), 0755);
	ASSERT_EQ(archive("lnk", "l1", false, fd, &err), 0);
	ASSERT_EQ(extract(fd, false, &err), 0);
	ASSERT_EQ(readlink(at("dest/l1"), lb, sizeof(lb)), 6);
	ASSERT_EQ(archive("lnk", "l2", true, fd2, &err), 0);
	ASSERT_EQ(extract(fd2, false, &err), 0);
	ASSERT_STREQ(get_file("dest/l2"), "t\n");
	close(fd);
	close(fd2);
	teardown();
}

/* The source side: a symlink to / inside the root resolves to the root, not the host. */
TEST(archive_stays_in_root)
{
	struct kerr err;
	int fd = stream();

	setup();
	mkdir(at("root"), 0755);
	symlink("/", at("root/evil"));
	put_file("canary", "host secret\n", 0644);
	int rfd = open(at("root"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct copy_root r = { .fd = rfd, .contained = true };
	struct copy_opts o = { 0 };
	char p[P * 2];
	snprintf(p, sizeof(p), "evil%s/canary", base);
	ASSERT_EQ(copy_archive(&r, p, "x", &o, fd, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	snprintf(p, sizeof(p), "../../../../..%s/canary", base);
	ASSERT_EQ(copy_archive(&r, p, "x", &o, fd, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	close(rfd);
	close(fd);
	teardown();
}

TEST(gnu_long_name_accepted)
{
	struct kerr err;
	char name[300];
	uint8_t b[512];
	int fd = stream();

	hostile_setup();
	memset(name, 'g', 250);
	name[250] = '\0';
	hdr(b, "././@LongLink", 'L', 251, NULL);
	memcpy(b + 257, "ustar  \0", 8);
	checksum(b);
	ASSERT_EQ(write(fd, b, 512), 512);
	memset(b, 0, 512);
	memcpy(b, name, 251);
	ASSERT_EQ(write(fd, b, 512), 512);
	add(fd, "truncated-name", '0', "long\n", NULL);
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), 0);
	char rel[400];
	snprintf(rel, sizeof(rel), "dest/%s", name);
	ASSERT_STREQ(get_file(rel), "long\n");
	close(fd);
	teardown();
}

/* ---- hostile streams ---- */

TEST(dotdot_member_rejected)
{
	struct kerr err;
	int fd = stream();

	hostile_setup();
	add(fd, "../canary", '0', "owned\n", NULL);
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), -1);
	ASSERT_CONTAINS(err.msg, "`..` is not allowed");
	ASSERT(canary_intact());
	close(fd);
	fd = stream();
	add(fd, "a/b/../../../canary", '0', "owned\n", NULL);
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), -1);
	ASSERT(canary_intact());
	close(fd);
	teardown();
}

TEST(absolute_member_made_relative)
{
	struct kerr err;
	char name[P * 2];
	int fd = stream();

	hostile_setup();
	snprintf(name, sizeof(name), "%s/canary", base); /* absolute: the canary's own path */
	ASSERT(strlen(name) < 100);
	add(fd, name, '0', "owned\n", NULL);
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), 0);
	ASSERT(canary_intact());
	char rel[P * 2];
	snprintf(rel, sizeof(rel), "dest%s/canary", base);
	ASSERT_STREQ(get_file(rel), "owned\n");
	close(fd);
	teardown();
}

TEST(symlink_then_file_stays_inside)
{
	struct kerr err;
	char target[P * 2];
	int fd = stream();

	hostile_setup();
	add(fd, "up", '2', NULL, "/");
	add(fd, "dots", '2', NULL, "../../../../../../..");
	snprintf(target, sizeof(target), "%s", base);
	add(fd, "hostdir", '2', NULL, target);
	add(fd, "up/canary", '0', "one\n", NULL);
	add(fd, "dots/canary", '0', "two\n", NULL);
	add(fd, "hostdir/canary", '0', "three\n", NULL);
	end(fd);
	int rc = extract(fd, false, &err);
	/* hostdir points to a path that does not exist inside dest: refused, not followed. */
	ASSERT_EQ(rc, -1);
	ASSERT(canary_intact());
	ASSERT_STREQ(get_file("dest/canary"), "two\n");
	close(fd);
	teardown();
}

TEST(file_over_symlink_replaces_it)
{
	struct kerr err;
	char target[P * 2];
	int fd = stream();

	hostile_setup();
	snprintf(target, sizeof(target), "%s/canary", base);
	add(fd, "lnk", '2', NULL, target);
	add(fd, "lnk", '0', "replaced\n", NULL);
	add(fd, "d", '2', NULL, base);
	add(fd, "d", '5', NULL, NULL);
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), 0);
	ASSERT(canary_intact());
	ASSERT_STREQ(get_file("dest/lnk"), "replaced\n");
	struct stat st;
	ASSERT_EQ(lstat(at("dest/d"), &st), 0);
	ASSERT(S_ISDIR(st.st_mode));
	close(fd);
	teardown();
}

TEST(hard_link_outside_refused)
{
	struct kerr err;
	char target[P * 2];
	int fd = stream();

	hostile_setup();
	snprintf(target, sizeof(target), "%s/canary", base);
	add(fd, "hl", '1', NULL, target); /* made relative: dest/<base>/canary does not exist */
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	struct stat st;
	ASSERT_EQ(stat(at("canary"), &st), 0);
	ASSERT_EQ(st.st_nlink, 1);
	close(fd);
	fd = stream();
	add(fd, "hl", '1', NULL, "../canary");
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), -1);
	ASSERT_CONTAINS(err.msg, "`..` is not allowed");
	close(fd);
	fd = stream();
	add(fd, "real", '0', "r\n", NULL);
	add(fd, "hl2", '1', NULL, "real");
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), 0);
	ASSERT_STREQ(get_file("dest/hl2"), "r\n");
	close(fd);
	teardown();
}

TEST(file_over_directory_refused)
{
	struct kerr err;
	int fd = stream();

	hostile_setup();
	mkdir(at("dest/d"), 0755);
	add(fd, "d", '0', "x", NULL);
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), -1);
	ASSERT_CONTAINS(err.msg, "cannot replace directory `d`");
	close(fd);
	teardown();
}

TEST(device_nodes_skipped_without_devices)
{
	struct kerr err;
	struct stat st;
	int fd = stream();

	hostile_setup();
	add(fd, "sda", '4', NULL, NULL);
	add(fd, "mem", '3', NULL, NULL);
	add(fd, "after", '0', "ok\n", NULL);
	end(fd);
	ASSERT_EQ(extract(fd, false, &err), 0);
	ASSERT_EQ(lstat(at("dest/sda"), &st), -1);
	ASSERT_EQ(lstat(at("dest/mem"), &st), -1);
	ASSERT_STREQ(get_file("dest/after"), "ok\n");
	close(fd);
	teardown();
}

static void expect_bad(uint8_t *b, const char *want)
{
	struct kerr err;
	int fd = stream();

	if (write(fd, b, 512) != 512)
		abort();
	if (strcmp(want, "ends early") == 0) /* nothing after the header */
		lseek(fd, 0, SEEK_SET);
	else
		end(fd);
	if (extract(fd, false, &err) != -1 || !strstr(err.msg, want)) {
		fprintf(stderr, "  want `%s`, got `%s`\n", want, err.msg);
		harness_failed_here = 1;
	}
	close(fd);
}

TEST(malformed_headers_rejected)
{
	uint8_t b[512];

	hostile_setup();
	hdr(b, "f", '0', 0, NULL);
	b[0] = 'g'; /* checksum no longer matches */
	expect_bad(b, "checksum mismatch");
	hdr(b, "f", '0', 0, NULL);
	memcpy(b + 124, "0000000009x", 11);
	checksum(b);
	expect_bad(b, "invalid byte");
	hdr(b, "f", '0', 0, NULL);
	memcpy(b + 257, "nope!", 5);
	checksum(b);
	expect_bad(b, "ustar magic");
	hdr(b, "f", '0', 0, NULL);
	memset(b + 124, 0, 12);
	b[124] = 0x80; /* GNU base-256: 1 << 43 bytes */
	b[130] = 0x08;
	checksum(b);
	expect_bad(b, "over the limit");
	hdr(b, "f", 'S', 0, NULL);
	expect_bad(b, "unsupported type `S`");
	hdr(b, "x", 'x', COPY_PAX_MAX + 1, NULL);
	expect_bad(b, "pax record");
	hdr(b, "f", '0', 100, NULL); /* data promised, stream ends */
	expect_bad(b, "ends early");
	hdr(b, "l", '2', 0, NULL);
	expect_bad(b, "without a target");
	ASSERT(canary_intact());
	teardown();
}

TEST(open_missing_says_enoent)
{
	struct kerr err;
	int fd;

	setup();
	int rfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct copy_root r = { .fd = rfd, .contained = true };
	ASSERT_EQ(copy_open(&r, "nope", 0, true, &fd, &err), -1);
	ASSERT_EQ(err.code, ENOENT);
	ASSERT_CONTAINS(err.msg, "open `nope`");
	ASSERT_EQ(copy_open(&r, "", 0, true, &fd, &err), 0);
	close(fd);
	close(rfd);
	teardown();
}

/* A 10 MiB file with a non-trivial pattern survives, and big sizes go through pax. */
TEST(large_file_and_pax_size)
{
	struct kerr err;
	struct copy_hdr h;
	struct copy_ext e;
	char type;
	uint8_t b[512];
	int fd = stream();

	setup();
	int f = open(at("big"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	for (int i = 0; i < 10 * 256; i++) {
		char chunk[4096];
		for (int j = 0; j < 4096; j++)
			chunk[j] = (char)(i * 31 + j);
		ASSERT_EQ(write(f, chunk, sizeof(chunk)), 4096);
	}
	close(f);
	ASSERT_EQ(archive("big", "big", false, fd, &err), 0);
	mkdir(at("dest"), 0755);
	ASSERT_EQ(extract(fd, false, &err), 0);
	char cmd[P * 3];
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", at("big"), at("dest/big"));
	ASSERT_EQ(system(cmd), 0);
	/* pax size= overrides a header whose octal size field cannot hold it */
	memset(&e, 0, sizeof(e));
	e.has_size = true;
	e.size = 100ULL << 30;
	hdr(b, "huge", '0', 0, NULL);
	ASSERT_EQ(copy_tar_hdr_parse(b, &e, &h, &type, &err), 1);
	ASSERT_U64_EQ(h.size, 100ULL << 30);
	close(fd);
	teardown();
}

RUN_TESTS(T(round_trip_tree), T(keep_owner_keeps_setid), T(contents_only_and_not_a_directory),
	  T(symlink_source_and_follow), T(archive_stays_in_root), T(gnu_long_name_accepted),
	  T(dotdot_member_rejected), T(absolute_member_made_relative),
	  T(symlink_then_file_stays_inside), T(file_over_symlink_replaces_it),
	  T(hard_link_outside_refused), T(file_over_directory_refused),
	  T(device_nodes_skipped_without_devices), T(malformed_headers_rejected),
	  T(open_missing_says_enoent), T(large_file_and_pax_size))
