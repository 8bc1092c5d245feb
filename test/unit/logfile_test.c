/*
 * logfile_test: unit tests for src/logs/logfile.c, the CRI log writer (test layer).
 *
 * Each test writes into its own mkdtemp directory and reads the result back raw (exact
 * record bytes) and through logread (the bytes each stream carried). Faults are injected
 * through logfile_ops (ENOSPC, short writes, failing truncate, renames and reopens); every
 * test that overrides an op restores the defaults before returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "harness.h"
#include "logs/logfile.h"
#include "logs/logread.h"

#define T0	 1700000000123456789LL /* 2023-11-14T22:13:20.123456789Z */
#define T0_TEXT	 "2023-11-14T22:13:20.123456789Z"
#define BIG	 (1024u * 1024u)
#define PATH_CAP 160

static struct logfile_ops saved_ops;
static bool saved;

static void ops_save(void)
{
	if (!saved) {
		saved_ops = logfile_ops;
		saved = true;
	}
	logfile_ops = saved_ops;
}

static void ops_restore(void)
{
	if (saved)
		logfile_ops = saved_ops;
}

/* A fresh directory, opened; its path goes to path. */
static int mkdir_tmp(char path[PATH_CAP])
{
	snprintf(path, PATH_CAP, "/tmp/kettle-logfile-test.XXXXXX");
	if (!mkdtemp(path))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void rm_tmp(const char *path)
{
	char cmd[PATH_CAP + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

/* Whole file dirfd/name into a malloc'd buffer (NUL-terminated), length in *n. */
static char *slurp(int dirfd, const char *name, size_t *n)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *b;

	*n = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !(b = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	ssize_t got = read(fd, b, (size_t)st.st_size);
	close(fd);
	*n = got > 0 ? (size_t)got : 0;
	b[*n] = '\0';
	return b;
}

/* What the two streams carried, read back through logread. */
struct streams {
	uint8_t *b[2];	    /* owned */
	size_t n[2];	    /* bytes */
	size_t records;	    /* records read */
	size_t partials;    /* of which P */
	uint64_t malformed; /* lines logread skipped */
};

static void streams_done(struct streams *s)
{
	free(s->b[0]);
	free(s->b[1]);
}

static int read_back(int dirfd, struct streams *s)
{
	struct logread_opts o = { .tail = LOGREAD_TAIL_ALL };
	struct logread_rec rec;
	struct kerr err;
	struct logread *lr = logread_open(dirfd, "ctr.log", &o, &err);
	int r;

	memset(s, 0, sizeof(*s));
	if (!lr)
		return -1;
	s->b[0] = malloc(4 * BIG);
	s->b[1] = malloc(4 * BIG);
	while ((r = logread_next(lr, &rec, &err)) == 1) {
		uint8_t *out = s->b[rec.stream];

		if (s->n[rec.stream] + rec.len + 1 > 4 * BIG)
			break;
		memcpy(out + s->n[rec.stream], rec.body, rec.len);
		s->n[rec.stream] += rec.len;
		if (!rec.partial)
			out[s->n[rec.stream]++] = '\n';
		s->records++;
		s->partials += rec.partial;
	}
	s->malformed = logread_malformed(lr);
	logread_close(lr);
	return r;
}

/* Every line of the file is a well-formed record. */
static bool all_records_whole(int dirfd, const char *name)
{
	size_t n;
	char *b = slurp(dirfd, name, &n);
	bool ok = b != NULL;

	for (size_t i = 0; ok && i < n;) {
		char *nl = memchr(b + i, '\n', n - i);
		struct logread_rec rec;
		struct kerr err;

		if (!nl || logread_parse((uint8_t *)b + i, (size_t)(nl - (b + i)), &rec, &err) < 0)
			ok = false;
		else
			i = (size_t)(nl - b) + 1;
	}
	free(b);
	return ok;
}

TEST(one_line_is_one_f_record)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct kerr err;
	size_t n;

	ASSERT(dirfd >= 0);
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 3, &err);
	ASSERT(lf);
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"hello\nwor", 9, T0);
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"ld\n", 3, T0);
	logfile_feed(lf, LOGFILE_STDERR, (const uint8_t *)"oops", 4, T0);
	logfile_end_stream(lf, LOGFILE_STDERR, T0);
	/* On disk at once, before close: logs -f and the exit path read it right away. */
	char *b = slurp(dirfd, "ctr.log", &n);
	ASSERT_STREQ(b, T0_TEXT " stdout F hello\n" T0_TEXT " stdout F world\n" T0_TEXT
				" stderr P oops\n");
	free(b);
	logfile_close(lf);
	close(dirfd);
	rm_tmp(path);
}

/* Lines of 16 KiB - 1, = and + 1 (newline included), and a cap-sized piece without one. */
TEST(line_cap_boundaries)
{
	static const size_t lens[] = { LOGFILE_LINE_MAX - 1, LOGFILE_LINE_MAX,
				       LOGFILE_LINE_MAX + 1 };
	static const size_t want_records[] = { 1, 1, 2 };

	for (size_t k = 0; k < 3; k++) {
		char path[PATH_CAP];
		int dirfd = mkdir_tmp(path);
		struct streams s;
		struct kerr err;
		uint8_t *line = malloc(lens[k]);

		ASSERT(dirfd >= 0 && line);
		memset(line, 'x', lens[k] - 1);
		line[lens[k] - 1] = '\n';
		struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 3, &err);
		ASSERT(lf);
		/* In two reads: still one F record up to the cap. */
		logfile_feed(lf, LOGFILE_STDOUT, line, 1000, T0);
		logfile_feed(lf, LOGFILE_STDOUT, line + 1000, lens[k] - 1000, T0);
		logfile_close(lf);
		ASSERT_EQ(read_back(dirfd, &s), 0);
		ASSERT_EQ(s.records, want_records[k]);
		ASSERT_EQ(s.n[0], lens[k]);
		ASSERT_MEMEQ(s.b[0], line, lens[k]);
		streams_done(&s);
		free(line);
		close(dirfd);
		rm_tmp(path);
	}
	/* Exactly the cap without a newline, then the stream ends: one P record. */
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;
	uint8_t *line = malloc(LOGFILE_LINE_MAX);

	memset(line, 'y', LOGFILE_LINE_MAX);
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 3, &err);
	ASSERT(lf);
	logfile_feed(lf, LOGFILE_STDOUT, line, LOGFILE_LINE_MAX, T0);
	logfile_end_stream(lf, LOGFILE_STDOUT, T0);
	logfile_close(lf);
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.records, 1);
	ASSERT_EQ(s.partials, 1);
	ASSERT_EQ(s.n[0], LOGFILE_LINE_MAX);
	streams_done(&s);
	free(line);
	close(dirfd);
	rm_tmp(path);
}

/* 1 MiB without a newline, arriving in odd-sized reads, and binary bytes. */
TEST(long_line_and_binary_round_trip)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;
	uint8_t *big = malloc(BIG);
	uint8_t bin[256 * 4];

	ASSERT(dirfd >= 0 && big);
	for (size_t i = 0; i < BIG; i++)
		big[i] = (uint8_t)('a' + i % 26);
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7);
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 3, &err);
	ASSERT(lf);
	for (size_t off = 0; off < BIG;) {
		size_t n = BIG - off < 12345 ? BIG - off : 12345;

		logfile_feed(lf, LOGFILE_STDOUT, big + off, n, T0);
		off += n;
	}
	logfile_end_stream(lf, LOGFILE_STDOUT, T0);
	for (size_t off = 0; off < sizeof(bin); off += 100)
		logfile_feed(lf, LOGFILE_STDERR, bin + off,
			     sizeof(bin) - off < 100 ? sizeof(bin) - off : 100, T0);
	logfile_end_stream(lf, LOGFILE_STDERR, T0);
	logfile_close(lf);
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], BIG);
	ASSERT_MEMEQ(s.b[0], big, BIG);
	ASSERT_EQ(s.n[1], sizeof(bin));
	ASSERT_MEMEQ(s.b[1], bin, sizeof(bin));
	ASSERT_EQ(s.malformed, 0);
	streams_done(&s);
	free(big);
	close(dirfd);
	rm_tmp(path);
}

/* Lines of every length 0..200 at every alignment, a few around the cap, cut into feeds of
 * random sizes, across rotations: each line up to the cap is exactly one F record, a longer
 * one P pieces and an F, and the bytes come back exactly (the scanner copies 16 bytes at a
 * time: its block edges must never show). */
TEST(every_length_and_alignment_round_trips)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;
	size_t cap = 3 * BIG, len = 0, lines = 0, records = 0;
	uint8_t *all = malloc(cap);
	uint32_t seed = 12345;

	ASSERT(dirfd >= 0 && all);
	while (len < 2 * BIG) {
		seed = seed * 1103515245u + 12345u;
		size_t l = (seed >> 16) % 201;

		if (lines % 97 == 0)
			l = LOGFILE_LINE_MAX - 2 + lines / 97 % 5; /* cap - 2 .. cap + 2 */
		for (size_t i = 0; i < l; i++)
			all[len + i] = (uint8_t)('!' + (len + i) % 90);
		all[len + l] = '\n';
		/* bytes incl. newline; a line of more than the cap takes its P pieces too */
		records += (l + 1 + LOGFILE_LINE_MAX - 1) / LOGFILE_LINE_MAX;
		len += l + 1;
		lines++;
	}
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 256 * 1024, 100, &err);
	ASSERT(lf);
	for (size_t off = 0; off < len;) {
		seed = seed * 1103515245u + 12345u;
		size_t n = 1 + (seed >> 8) % (40 * 1024);

		if (n > len - off)
			n = len - off;
		logfile_feed(lf, LOGFILE_STDOUT, all + off, n, T0);
		off += n;
	}
	logfile_close(lf);
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	ASSERT(all_records_whole(dirfd, "ctr.log.1"));
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], len);
	ASSERT_MEMEQ(s.b[0], all, len);
	ASSERT_EQ(s.records, records);
	ASSERT_EQ(s.malformed, 0);
	streams_done(&s);
	free(all);
	close(dirfd);
	rm_tmp(path);
}

/* Rotation: never inside a record, never more than max_files, nothing lost between. */
TEST(rotation_keeps_whole_records)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;
	char line[64];
	struct stat st;

	ASSERT(dirfd >= 0);
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 4096, 3, &err);
	ASSERT(lf);
	/* 60 lines of 50 bytes (90-byte records): 5400 bytes, about two files. */
	for (int i = 0; i < 60; i++) {
		snprintf(line, sizeof(line), "%048d\n", i);
		/* half a line per feed: rotation between the two halves of one line */
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 20, T0);
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line + 20, 29, T0);
	}
	logfile_close(lf);
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	ASSERT(all_records_whole(dirfd, "ctr.log.1"));
	ASSERT(fstatat(dirfd, "ctr.log.1", &st, 0) == 0 && st.st_size <= 4096);
	ASSERT(fstatat(dirfd, "ctr.log.2", &st, 0) < 0);
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], 60 * 49);
	for (int i = 0; i < 60; i++) {
		snprintf(line, sizeof(line), "%048d\n", i);
		ASSERT_MEMEQ(s.b[0] + i * 49, line, 49);
	}
	streams_done(&s);
	/* Far more output: only three files stay, the newest lines intact. */
	lf = logfile_open(dirfd, "ctr.log", 4096, 3, &err);
	ASSERT(lf);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "%048d\n", i);
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	}
	logfile_close(lf);
	ASSERT(fstatat(dirfd, "ctr.log.2", &st, 0) == 0);
	ASSERT(fstatat(dirfd, "ctr.log.3", &st, 0) < 0);
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0] % 49, 0);
	snprintf(line, sizeof(line), "%048d\n", 999);
	ASSERT_MEMEQ(s.b[0] + s.n[0] - 49, line, 49);
	streams_done(&s);
	close(dirfd);
	rm_tmp(path);
}

TEST(rotation_with_one_file_truncates)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct kerr err;
	struct stat st;
	char line[64];

	ASSERT(dirfd >= 0);
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 1000, 1, &err);
	ASSERT(lf);
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "%048d\n", i);
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	}
	logfile_close(lf);
	ASSERT(fstatat(dirfd, "ctr.log", &st, 0) == 0 && st.st_size <= 1000);
	ASSERT(fstatat(dirfd, "ctr.log.1", &st, 0) < 0);
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	close(dirfd);
	rm_tmp(path);
}

/* ---- faults ---- */

static int fail_writes;	  /* writev calls still to fail */
static int fail_errno;	  /* with this errno */
static ssize_t short_at;  /* > 0: the next writev writes only this many bytes */
static int fail_truncate; /* ftruncate calls still to fail */
static int fail_opens;	  /* openat calls still to fail */
static int fail_unlinks;  /* unlinkat calls still to fail */
static int fail_renames;  /* renameat calls still to fail */

static ssize_t fake_writev(int fd, const struct iovec *iov, int n)
{
	if (fail_writes > 0) {
		fail_writes--;
		errno = fail_errno;
		return -1;
	}
	if (short_at > 0) {
		ssize_t left = short_at, done = 0;

		short_at = 0;
		for (int i = 0; i < n && left > 0; i++) {
			size_t k = iov[i].iov_len < (size_t)left ? iov[i].iov_len : (size_t)left;
			ssize_t w = write(fd, iov[i].iov_base, k);

			if (w < 0)
				return -1;
			done += w;
			left -= w;
		}
		return done;
	}
	return saved_ops.writev(fd, iov, n);
}

static int fake_ftruncate(int fd, off_t len)
{
	if (fail_truncate > 0) {
		fail_truncate--;
		errno = EIO;
		return -1;
	}
	return saved_ops.ftruncate(fd, len);
}

static int fake_openat(int dirfd, const char *p, int flags, mode_t mode)
{
	if (fail_opens > 0) {
		fail_opens--;
		errno = EMFILE;
		return -1;
	}
	return saved_ops.openat(dirfd, p, flags, mode);
}

static int fake_unlinkat(int dirfd, const char *p, int flags)
{
	if (fail_unlinks > 0) {
		fail_unlinks--;
		errno = EACCES;
		return -1;
	}
	return saved_ops.unlinkat(dirfd, p, flags);
}

static int fake_renameat(int olddirfd, const char *from, int newdirfd, const char *to)
{
	if (fail_renames > 0) {
		fail_renames--;
		errno = EACCES;
		return -1;
	}
	return saved_ops.renameat(olddirfd, from, newdirfd, to);
}

static void faults_on(void)
{
	ops_save();
	logfile_ops.writev = fake_writev;
	logfile_ops.ftruncate = fake_ftruncate;
	logfile_ops.openat = fake_openat;
	logfile_ops.unlinkat = fake_unlinkat;
	logfile_ops.renameat = fake_renameat;
	fail_writes = fail_truncate = fail_opens = fail_unlinks = fail_renames = 0;
	short_at = 0;
	fail_errno = ENOSPC;
}

/* Count occurrences of needle in the whole file. */
static int count_in(int dirfd, const char *name, const char *needle)
{
	size_t n;
	char *b = slurp(dirfd, name, &n);
	int c = 0;

	for (char *p = b; p && (p = strstr(p, needle)); p++)
		c++;
	free(b);
	return c;
}

TEST(enospc_is_counted_and_marked_once)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;

	ASSERT(dirfd >= 0);
	faults_on();
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 3, &err);
	ASSERT(lf);
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"before\n", 7, T0);
	fail_writes = 3;
	/* 3 failing feeds: 11 + 3 + 16 container bytes lost, P pieces included. */
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"lost line\nab", 12, T0);
	ASSERT_U64_EQ(logfile_dropped(lf), 10);
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"c\n", 2, T0); /* "abc\n" */
	ASSERT_U64_EQ(logfile_dropped(lf), 14);
	/* The marker attempt fails (not counted), then the feed itself */
	fail_writes = 2;
	logfile_feed(lf, LOGFILE_STDERR, (const uint8_t *)"0123456789abcde\n", 16, T0);
	ASSERT_U64_EQ(logfile_dropped(lf), 30);
	ASSERT_EQ(count_in(dirfd, "ctr.log", "not logged"), 0);
	/* Writing works again: one marker, then the line. */
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"after\n", 6, T0);
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"again\n", 6, T0);
	ASSERT_U64_EQ(logfile_dropped(lf), 30);
	logfile_close(lf);
	ops_restore();
	ASSERT_EQ(count_in(dirfd, "ctr.log",
			   " stderr F kettle: 30 bytes of container output were not logged "
			   "(No space left on device)\n"),
		  1);
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], 7 + 12);
	ASSERT_MEMEQ(s.b[0], "before\nafter\nagain\n", 19);
	streams_done(&s);
	close(dirfd);
	rm_tmp(path);
}

TEST(short_write_is_cut_back_to_whole_records)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;

	ASSERT(dirfd >= 0);
	faults_on();
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 3, &err);
	ASSERT(lf);
	/* Two records of 40+4 bytes; the write stops 10 bytes into the second. */
	short_at = 44 + 10;
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"one\ntwo\n", 8, T0);
	ASSERT_U64_EQ(logfile_dropped(lf), 4);
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"three\n", 6, T0);
	logfile_close(lf);
	ops_restore();
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], 10);
	ASSERT_MEMEQ(s.b[0], "one\nthree\n", 10);
	ASSERT_EQ(s.n[1], strlen("kettle: 4 bytes of container output were not logged "
				 "(No space left on device)\n"));
	streams_done(&s);
	close(dirfd);
	rm_tmp(path);
}

/* A short write that cannot be cut back leaves one malformed line, never a merged one. */
TEST(torn_record_stays_one_bad_line)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;

	ASSERT(dirfd >= 0);
	faults_on();
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 3, &err);
	ASSERT(lf);
	short_at = 44 + 10;
	fail_truncate = 1;
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"one\ntwo\n", 8, T0);
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"three\n", 6, T0);
	logfile_close(lf);
	ops_restore();
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.malformed, 1);
	ASSERT_EQ(s.n[0], 10);
	ASSERT_MEMEQ(s.b[0], "one\nthree\n", 10);
	streams_done(&s);
	close(dirfd);
	rm_tmp(path);
}

/* The new ctr.log cannot be opened after a rotation: counted, then reopened later. */
TEST(reopen_after_failed_rotation)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;
	char line[64];

	ASSERT(dirfd >= 0);
	faults_on();
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 200, 3, &err);
	ASSERT(lf);
	snprintf(line, sizeof(line), "%048d\n", 1);
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	fail_opens = 2; /* the reopen in rotate() and the retry in the same batch */
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	ASSERT_U64_EQ(logfile_dropped(lf), 49);
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	ASSERT_U64_EQ(logfile_dropped(lf), 49);
	logfile_close(lf);
	ops_restore();
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], 3 * 49);
	ASSERT_CONTAINS((char *)s.b[1], "kettle: 49 bytes of container output were not logged");
	streams_done(&s);
	close(dirfd);
	rm_tmp(path);
}

/* The oldest file cannot be removed: no rotation this feed, nothing lost, retried later. */
TEST(failed_rotation_keeps_writing)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct streams s;
	struct kerr err;
	struct stat st;
	char line[64];

	ASSERT(dirfd >= 0);
	faults_on();
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 200, 2, &err);
	ASSERT(lf);
	snprintf(line, sizeof(line), "%048d\n", 7);
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	fail_unlinks = 1;
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	ASSERT(fstatat(dirfd, "ctr.log.1", &st, 0) < 0);
	ASSERT(fstatat(dirfd, "ctr.log", &st, 0) == 0 && st.st_size == 3 * 89);
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	ASSERT(fstatat(dirfd, "ctr.log.1", &st, 0) == 0 && st.st_size == 3 * 89);
	ASSERT_U64_EQ(logfile_dropped(lf), 0);
	logfile_close(lf);
	ops_restore();
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], 4 * 49);
	streams_done(&s);
	close(dirfd);
	rm_tmp(path);
}

/* ---- the discard hook: rotation by renames only ---- */

struct discarded {
	char names[8][64]; /* what the hook was given, in order */
	int n;		   /* entries of names */
	int refuse;	   /* the hook returns -1 (the log unlinks the file itself) */
};

static int keep_discard(void *data, int dirfd, const char *name)
{
	struct discarded *d = data;

	(void)dirfd;
	if (d->n < 8)
		snprintf(d->names[d->n++], sizeof(d->names[0]), "%s", name);
	return d->refuse ? -1 : 0;
}

/* The oldest file goes to the hook under a fresh name, never unlinked by the writer; the
 * files that stay are the ones without a hook, and a reader sees the same bytes. */
TEST(rotation_hands_the_oldest_to_the_hook)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct discarded d = { .n = 0 };
	struct streams s;
	struct kerr err;
	struct stat st;
	char line[64];

	ASSERT(dirfd >= 0);
	faults_on();
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 200, 3, &err);
	ASSERT(lf);
	logfile_set_discard(lf, keep_discard, &d);
	/* 89-byte records, two per file: the 7th record makes the 4th file, ctr.log.2's old
	 * content (records 1-2) falls off. */
	for (int i = 0; i < 7; i++) {
		snprintf(line, sizeof(line), "%048d\n", i);
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	}
	ASSERT_EQ(fail_unlinks, 0);
	ASSERT_EQ(d.n, 1);
	ASSERT_STREQ(d.names[0], ".ctr.log.del.2");
	ASSERT(fstatat(dirfd, ".ctr.log.del.2", &st, 0) == 0 && st.st_size == 2 * 89);
	ASSERT(fstatat(dirfd, "ctr.log.2", &st, 0) == 0 && st.st_size == 2 * 89);
	ASSERT(fstatat(dirfd, "ctr.log.3", &st, 0) < 0);
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], 5 * 49);
	snprintf(line, sizeof(line), "%048d\n", 2);
	ASSERT_MEMEQ(s.b[0], line, 49);
	streams_done(&s);
	/* A hook that refuses: the writer unlinks it at once. */
	d.refuse = 1;
	for (int i = 7; i < 9; i++) {
		snprintf(line, sizeof(line), "%048d\n", i);
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	}
	ASSERT_EQ(d.n, 2);
	ASSERT_STREQ(d.names[1], ".ctr.log.del.3");
	ASSERT(fstatat(dirfd, ".ctr.log.del.3", &st, 0) < 0);
	logfile_close(lf);
	/* The next open removes what a hook left behind, and nothing else. */
	ASSERT(symlinkat("x", dirfd, ".ctr.log.del.") == 0);
	ASSERT(symlinkat("x", dirfd, ".ctr.log.del.7x") == 0);
	lf = logfile_open(dirfd, "ctr.log", 200, 3, &err);
	ASSERT(lf);
	ASSERT(fstatat(dirfd, ".ctr.log.del.2", &st, AT_SYMLINK_NOFOLLOW) < 0);
	ASSERT(fstatat(dirfd, ".ctr.log.del.", &st, AT_SYMLINK_NOFOLLOW) == 0);
	ASSERT(fstatat(dirfd, ".ctr.log.del.7x", &st, AT_SYMLINK_NOFOLLOW) == 0);
	ASSERT(fstatat(dirfd, "ctr.log.2", &st, 0) == 0);
	logfile_close(lf);
	ops_restore();
	close(dirfd);
	rm_tmp(path);
}

/* With one file, ctr.log itself goes to the hook and a fresh one starts. */
TEST(rotation_with_one_file_and_a_hook)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct discarded d = { .n = 0 };
	struct kerr err;
	struct stat st;
	char line[64];

	ASSERT(dirfd >= 0);
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 200, 1, &err);
	ASSERT(lf);
	logfile_set_discard(lf, keep_discard, &d);
	for (int i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "%048d\n", i);
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	}
	logfile_close(lf);
	ASSERT_EQ(d.n, 1);
	ASSERT_STREQ(d.names[0], ".ctr.log.del.0");
	ASSERT(fstatat(dirfd, ".ctr.log.del.0", &st, 0) == 0 && st.st_size == 2 * 89);
	ASSERT(fstatat(dirfd, "ctr.log", &st, 0) == 0 && st.st_size == 89);
	ASSERT(all_records_whole(dirfd, "ctr.log"));
	close(dirfd);
	rm_tmp(path);
}

/* The oldest cannot be renamed away: no rotation this feed (no rename may replace it),
 * nothing lost, the next feed rotates. */
TEST(failed_rename_to_the_hook_keeps_writing)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct discarded d = { .n = 0 };
	struct streams s;
	struct kerr err;
	struct stat st;
	char line[64];

	ASSERT(dirfd >= 0);
	faults_on();
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 200, 2, &err);
	ASSERT(lf);
	logfile_set_discard(lf, keep_discard, &d);
	snprintf(line, sizeof(line), "%048d\n", 5);
	for (int i = 0; i < 4; i++)
		logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	/* ctr.log.1 and ctr.log hold two records each; the 5th record's rotation fails. */
	ASSERT_EQ(d.n, 0);
	fail_renames = 1;
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	ASSERT_EQ(d.n, 0);
	ASSERT(fstatat(dirfd, "ctr.log", &st, 0) == 0 && st.st_size == 3 * 89);
	logfile_feed(lf, LOGFILE_STDOUT, (uint8_t *)line, 49, T0);
	ASSERT_EQ(d.n, 1);
	ASSERT(fstatat(dirfd, "ctr.log.1", &st, 0) == 0 && st.st_size == 3 * 89);
	ASSERT_U64_EQ(logfile_dropped(lf), 0);
	logfile_close(lf);
	ops_restore();
	ASSERT_EQ(read_back(dirfd, &s), 0);
	ASSERT_EQ(s.n[0], 4 * 49);
	streams_done(&s);
	close(dirfd);
	rm_tmp(path);
}

TEST(hostile_arguments)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct kerr err;
	char longname[200];

	ASSERT(dirfd >= 0);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ASSERT(logfile_open(dirfd, longname, 0, 3, &err) == NULL);
	ASSERT_CONTAINS(err.msg, "too long");
	ASSERT(mkdirat(dirfd, "dir.log", 0700) == 0);
	ASSERT(logfile_open(dirfd, "dir.log", 0, 3, &err) == NULL);
	ASSERT(symlinkat("/etc/passwd", dirfd, "link.log") == 0);
	ASSERT(logfile_open(dirfd, "link.log", 0, 3, &err) == NULL);
	ASSERT(logfile_open(-1, "ctr.log", 0, 3, &err) == NULL);
	/* NULL and bad streams are ignored. */
	logfile_feed(NULL, LOGFILE_STDOUT, (const uint8_t *)"x", 1, T0);
	struct logfile *lf = logfile_open(dirfd, "ctr.log", 0, 0, &err);
	ASSERT(lf);
	logfile_feed(lf, (enum logfile_stream)7, (const uint8_t *)"x\n", 2, T0);
	logfile_end_stream(lf, (enum logfile_stream)7, T0);
	logfile_feed(lf, LOGFILE_STDOUT, (const uint8_t *)"", 0, T0);
	ASSERT_U64_EQ(logfile_dropped(lf), 0);
	ASSERT(logfile_close(lf) == NULL);
	ASSERT(logfile_close(NULL) == NULL);
	close(dirfd);
	rm_tmp(path);
}

RUN_TESTS(T(one_line_is_one_f_record), T(line_cap_boundaries), T(long_line_and_binary_round_trip),
	  T(every_length_and_alignment_round_trips), T(rotation_keeps_whole_records),
	  T(rotation_with_one_file_truncates), T(enospc_is_counted_and_marked_once),
	  T(short_write_is_cut_back_to_whole_records), T(torn_record_stays_one_bad_line),
	  T(reopen_after_failed_rotation), T(failed_rotation_keeps_writing),
	  T(rotation_hands_the_oldest_to_the_hook), T(rotation_with_one_file_and_a_hook),
	  T(failed_rename_to_the_hook_keeps_writing), T(hostile_arguments))
