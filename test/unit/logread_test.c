/*
 * logread_test: unit tests for src/logs/logread.c, the CRI log reader (test layer).
 *
 * Log files are written by hand into a mkdtemp directory, so every case (rotated sets,
 * lines split across files, malformed lines, renames while following) is exact. Output
 * is rebuilt as `kettle logs` prints it: "O:" / "E:" per record's stream, P pieces joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "harness.h"
#include "logs/logread.h"

#define PATH_CAP 160
#define OUT_CAP	 (256u * 1024u)
#define SEC	 1000000000LL
#define T0	 (1700000000LL * SEC) /* 2023-11-14T22:13:20Z */

static int mkdir_tmp(char path[PATH_CAP])
{
	snprintf(path, PATH_CAP, "/tmp/kettle-logread-test.XXXXXX");
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

/* Appends one record "<ts> <stream> <tag> <body>\n" to dirfd/name. */
static void put(int dirfd, const char *name, int64_t ns, const char *stream, char tag,
		const char *body)
{
	char ts[CLOCK_RFC3339NANO_LEN + 1];
	char line[512];
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	clock_format_rfc3339nano(ns, ts);
	int n = snprintf(line, sizeof(line), "%s %s %c %s\n", ts, stream, tag, body);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) != n)
			fprintf(stderr, "short write\n");
		close(fd);
	}
}

static void put_raw(int dirfd, const char *name, const char *bytes, size_t n)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd >= 0) {
		if (write(fd, bytes, n) != (ssize_t)n)
			fprintf(stderr, "short write\n");
		close(fd);
	}
}

/* Everything lr returns now, as "O:text\n"/"E:text\n" (P pieces joined, no '\n' after
 * an unfinished line); with ts, each line's first piece is prefixed by its time. */
static char out[OUT_CAP];

static const char *drain(struct logread *lr, bool ts)
{
	struct logread_rec rec;
	struct kerr err;
	size_t n = 0;

	out[0] = '\0';
	while (logread_next(lr, &rec, &err) == 1 && n + rec.len + 64 < OUT_CAP) {
		if (rec.first) {
			n += (size_t)snprintf(out + n, OUT_CAP - n,
					      "%s:", rec.stream == LOGFILE_STDOUT ? "O" : "E");
			if (ts)
				n += (size_t)snprintf(out + n, OUT_CAP - n, "%.30s ", rec.ts);
		}
		memcpy(out + n, rec.body, rec.len);
		n += rec.len;
		if (!rec.partial)
			out[n++] = '\n';
		out[n] = '\0';
	}
	return out;
}

static const char *read_with(int dirfd, int64_t tail, int64_t since, int64_t until)
{
	struct logread_opts o = { .tail = tail, .since_ns = since, .until_ns = until };
	struct kerr err;
	struct logread *lr = logread_open(dirfd, "ctr.log", &o, &err);

	if (!lr) {
		snprintf(out, OUT_CAP, "%s", err.msg);
		return out;
	}
	drain(lr, false);
	logread_close(lr);
	return out;
}

TEST(parse_accepts_exact_records)
{
	static const char good[] = "2023-11-14T22:13:20.123456789Z stdout F hello";
	struct logread_rec rec;
	struct kerr err;

	ASSERT_EQ(logread_parse((const uint8_t *)good, strlen(good), &rec, &err), 0);
	ASSERT_EQ(rec.ts_ns, T0 + 123456789);
	ASSERT_EQ(rec.stream, LOGFILE_STDOUT);
	ASSERT(!rec.partial);
	ASSERT_EQ(rec.len, 5);
	ASSERT_MEMEQ(rec.body, "hello", 5);
	static const char empty[] = "1970-01-01T00:00:00.000000000Z stderr P ";
	ASSERT_EQ(logread_parse((const uint8_t *)empty, strlen(empty), &rec, &err), 0);
	ASSERT_EQ(rec.ts_ns, 0);
	ASSERT_EQ(rec.stream, LOGFILE_STDERR);
	ASSERT(rec.partial);
	ASSERT_EQ(rec.len, 0);
}

TEST(parse_rejects_everything_else)
{
	static const struct {
		const char *line;
		const char *why;
	} bad[] = {
		{ "", "shorter than its 40-byte prefix" },
		{ "2023-11-14T22:13:20.123456789Z stdout F", "shorter" },
		{ "2023-11-14T22:13:20.12345678Z stdout F  x", "timestamp byte 28" },
		{ "2023-11-14 22:13:20.123456789Z stdout F x", "timestamp byte 10" },
		{ "2023-11-14T22:13:20.123456789+ stdout F x", "timestamp byte 29" },
		{ "2023-13-14T22:13:20.123456789Z stdout F x", "not a valid UTC time" },
		{ "2023-02-29T22:13:20.123456789Z stdout F x", "not a valid UTC time" },
		{ "2023-11-14T24:13:20.123456789Z stdout F x", "not a valid UTC time" },
		{ "2023-11-14T22:60:20.123456789Z stdout F x", "not a valid UTC time" },
		{ "2023-11-14T22:13:60.123456789Z stdout F x", "not a valid UTC time" },
		{ "1969-12-31T23:59:59.999999999Z stdout F x", "not a valid UTC time" },
		{ "2023-11-14T22:13:20.123456789Z stdin  F x", "stream `stdin ` is unknown" },
		{ "2023-11-14T22:13:20.123456789Z stdout X x", "tag `X` is unknown" },
		{ "2023-11-14T22:13:20.123456789Z stdout  F x", "no space" },
		{ "2023-11-14T22:13:20.123456789Z stdout \x01 x", "tag `?` is unknown" },
		{ "2023-11-14T22:13:20.123456789Zxstdout F x", "no space at byte 30" },
		{ "2023-11-14T22:13:20.123456789Z stdout Fxx", "no space" },
		{ "2023-11-14T22:13:20.123456789Z stdout F a\nb", "holds a newline" },
	};
	struct logread_rec rec;
	struct kerr err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(logread_parse((const uint8_t *)bad[i].line, strlen(bad[i].line), &rec,
					&err),
			  -1);
		ASSERT_CONTAINS(err.msg, bad[i].why);
	}
	int64_t ns;
	ASSERT_EQ(logread_parse_ts("2024-02-29T00:00:00.000000000Z", 30, &ns, &err), 0);
	ASSERT_EQ(logread_parse_ts("2024-02-29T00:00:00.000000000Z", 29, &ns, &err), -1);
	/* The last nanosecond an int64 holds, and the second after it. */
	ASSERT_EQ(logread_parse_ts("2262-04-11T23:47:16.854775807Z", 30, &ns, &err), 0);
	ASSERT_EQ(ns, INT64_MAX);
	ASSERT_EQ(logread_parse_ts("2262-04-11T23:47:17.000000000Z", 30, &ns, &err), -1);
	ASSERT_EQ(logread_parse_ts("9999-12-31T23:59:59.999999999Z", 30, &ns, &err), -1);
}

/* Whatever clock.c writes, logread reads back to the same nanosecond. */
TEST(timestamps_round_trip)
{
	static const int64_t v[] = { 0,
				     1,
				     T0 + 999999999,
				     951782400LL * SEC + 5,	/* 2000-02-29 */
				     4102444799LL * SEC + 999,	/* 2099-12-31T23:59:59 */
				     7258118400LL * SEC + 42 }; /* 2200-01-01 */
	char ts[CLOCK_RFC3339NANO_LEN + 1];
	struct kerr err;
	int64_t ns;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		clock_format_rfc3339nano(v[i], ts);
		ASSERT_EQ(logread_parse_ts(ts, strlen(ts), &ns, &err), 0);
		ASSERT_EQ(ns, v[i]);
	}
	for (int64_t t = T0; t < T0 + 400LL * 86400 * SEC; t += 86399LL * SEC + 7) {
		clock_format_rfc3339nano(t, ts);
		ASSERT_EQ(logread_parse_ts(ts, strlen(ts), &ns, &err), 0);
		ASSERT_EQ(ns, t);
	}
}

/* Lines 1..8 over three files; line 6 is split by the rotation into P | F. */
static void rotated_set(int dirfd)
{
	put(dirfd, "ctr.log.2", T0 + 1, "stdout", 'F', "one");
	put(dirfd, "ctr.log.2", T0 + 2, "stderr", 'F', "two");
	put(dirfd, "ctr.log.2", T0 + 3, "stdout", 'F', "three");
	put(dirfd, "ctr.log.1", T0 + 4, "stdout", 'F', "four");
	put(dirfd, "ctr.log.1", T0 + 5, "stderr", 'F', "five");
	put(dirfd, "ctr.log.1", T0 + 6, "stdout", 'P', "si");
	put(dirfd, "ctr.log", T0 + 7, "stdout", 'F', "x");
	put(dirfd, "ctr.log", T0 + 8, "stdout", 'F', "seven");
	put(dirfd, "ctr.log", T0 + 9, "stderr", 'F', "eight");
}

TEST(tail_across_rotated_files)
{
	static const char *const all = "O:one\nE:two\nO:three\nO:four\nE:five\nO:six\n"
				       "O:seven\nE:eight\n";
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);

	ASSERT(dirfd >= 0);
	rotated_set(dirfd);
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, 0, 0), all);
	ASSERT_STREQ(read_with(dirfd, 0, 0, 0), "");
	ASSERT_STREQ(read_with(dirfd, 1, 0, 0), "E:eight\n");
	ASSERT_STREQ(read_with(dirfd, 2, 0, 0), "O:seven\nE:eight\n");
	/* The line whose pieces span two files comes whole. */
	ASSERT_STREQ(read_with(dirfd, 3, 0, 0), "O:six\nO:seven\nE:eight\n");
	ASSERT_STREQ(read_with(dirfd, 4, 0, 0), "E:five\nO:six\nO:seven\nE:eight\n");
	ASSERT_STREQ(read_with(dirfd, 6, 0, 0),
		     "O:three\nO:four\nE:five\nO:six\nO:seven\nE:eight\n");
	ASSERT_STREQ(read_with(dirfd, 8, 0, 0), all);
	ASSERT_STREQ(read_with(dirfd, 1000, 0, 0), all);
	/* An unfinished last line counts as one. */
	put(dirfd, "ctr.log", T0 + 10, "stdout", 'P', "nine");
	ASSERT_STREQ(read_with(dirfd, 1, 0, 0), "O:nine");
	ASSERT_STREQ(read_with(dirfd, 2, 0, 0), "E:eight\nO:nine");
	close(dirfd);
	rm_tmp(path);
}

TEST(since_and_until_are_inclusive_and_whole_lines)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);

	ASSERT(dirfd >= 0);
	rotated_set(dirfd);
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, T0 + 8, 0), "O:seven\nE:eight\n");
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, T0 + 9, 0), "E:eight\n");
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, T0 + 10, 0), "");
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, 0, T0 + 1), "O:one\n");
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, T0 + 2, T0 + 3), "E:two\nO:three\n");
	/* "six" starts at T0+6 and ends at T0+7: its first piece decides. */
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, T0 + 6, T0 + 6), "O:six\n");
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, T0 + 7, T0 + 7), "");
	/* tail then since, as docker */
	ASSERT_STREQ(read_with(dirfd, 3, T0 + 8, 0), "O:seven\nE:eight\n");
	close(dirfd);
	rm_tmp(path);
}

TEST(malformed_lines_are_skipped_and_counted)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct logread_opts o = { .tail = LOGREAD_TAIL_ALL };
	struct kerr err;
	char *huge = malloc(LOGREAD_LINE_MAX + 100);

	ASSERT(dirfd >= 0 && huge);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "a");
	put_raw(dirfd, "ctr.log", "garbage\n", 8);
	memset(huge, 'h', LOGREAD_LINE_MAX + 99);
	huge[LOGREAD_LINE_MAX + 99] = '\n';
	put_raw(dirfd, "ctr.log", huge, LOGREAD_LINE_MAX + 100);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "b");
	put_raw(dirfd, "ctr.log", "\n", 1);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "c");
	put_raw(dirfd, "ctr.log", "2023-11-14T22:13:20", 19); /* torn at the end */
	struct logread *lr = logread_open(dirfd, "ctr.log", &o, &err);
	ASSERT(lr);
	ASSERT_STREQ(drain(lr, false), "O:a\nO:b\nO:c\n");
	ASSERT_EQ(logread_malformed(lr), 3);
	logread_close(lr);
	/* Tail counts only records. */
	ASSERT_STREQ(read_with(dirfd, 2, 0, 0), "O:b\nO:c\n");
	free(huge);
	close(dirfd);
	rm_tmp(path);
}

TEST(timestamps_prefix_only_first_piece)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct logread_opts o = { .tail = LOGREAD_TAIL_ALL };
	struct kerr err;

	ASSERT(dirfd >= 0);
	put(dirfd, "ctr.log", T0, "stdout", 'P', "ab");
	put(dirfd, "ctr.log", T0 + 1, "stderr", 'F', "err");
	put(dirfd, "ctr.log", T0 + 2, "stdout", 'F', "cd");
	struct logread *lr = logread_open(dirfd, "ctr.log", &o, &err);
	ASSERT(lr);
	ASSERT_STREQ(drain(lr, true), "O:2023-11-14T22:13:20.000000000Z ab"
				      "E:2023-11-14T22:13:20.000000001Z err\ncd\n");
	logread_close(lr);
	close(dirfd);
	rm_tmp(path);
}

TEST(missing_log_is_empty)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct logread_opts o = { .tail = 10 };
	struct kerr err;

	ASSERT(dirfd >= 0);
	struct logread *lr = logread_open(dirfd, "ctr.log", &o, &err);
	ASSERT(lr);
	ASSERT_STREQ(drain(lr, false), "");
	/* A follower sees the file once it appears. */
	ASSERT(logread_watch(lr, &err) >= 0);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "first");
	ASSERT_STREQ(drain(lr, false), "O:first\n");
	logread_close(lr);
	char longname[100];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ASSERT(logread_open(dirfd, longname, &o, &err) == NULL);
	ASSERT_CONTAINS(err.msg, "too long");
	close(dirfd);
	rm_tmp(path);
}

/* True when the watch fd becomes readable within ms. */
static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

TEST(follow_across_rotations_without_duplicates)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);
	struct logread_opts o = { .tail = LOGREAD_TAIL_ALL };
	struct kerr err;

	ASSERT(dirfd >= 0);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "a");
	struct logread *lr = logread_open(dirfd, "ctr.log", &o, &err);
	ASSERT(lr);
	int wfd = logread_watch(lr, &err);
	ASSERT(wfd >= 0);
	ASSERT_STREQ(drain(lr, false), "O:a\n");
	ASSERT(!readable(wfd, 0));
	put(dirfd, "ctr.log", T0, "stdout", 'P', "b1");
	ASSERT(readable(wfd, 1000));
	ASSERT(logread_drain_events(lr));
	ASSERT(!logread_drain_events(lr));
	ASSERT_STREQ(drain(lr, false), "O:b1");
	/* The writer adds a record, rotates, writes the new file. */
	put(dirfd, "ctr.log", T0, "stdout", 'F', "b2");
	ASSERT(renameat(dirfd, "ctr.log", dirfd, "ctr.log.1") == 0);
	ASSERT_STREQ(drain(lr, false), "b2\n"); /* the renamed file, to its end */
	put(dirfd, "ctr.log", T0, "stdout", 'F', "c");
	ASSERT_STREQ(drain(lr, false), "O:c\n");
	/* Two rotations between two looks: the middle file is not skipped. */
	put(dirfd, "ctr.log", T0, "stdout", 'F', "d");
	ASSERT(renameat(dirfd, "ctr.log.1", dirfd, "ctr.log.2") == 0);
	ASSERT(renameat(dirfd, "ctr.log", dirfd, "ctr.log.1") == 0);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "e");
	ASSERT(renameat(dirfd, "ctr.log.2", dirfd, "ctr.log.3") == 0);
	ASSERT(renameat(dirfd, "ctr.log.1", dirfd, "ctr.log.2") == 0);
	ASSERT(renameat(dirfd, "ctr.log", dirfd, "ctr.log.1") == 0);
	put(dirfd, "ctr.log", T0, "stderr", 'F', "f");
	ASSERT_STREQ(drain(lr, false), "O:d\nO:e\nE:f\n");
	ASSERT_STREQ(drain(lr, false), "");
	/* Truncated in place (one file kept): starts over at 0. */
	char file[PATH_CAP + 16];
	snprintf(file, sizeof(file), "%s/ctr.log", path);
	ASSERT(truncate(file, 0) == 0);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "g");
	ASSERT_STREQ(drain(lr, false), "O:g\n");
	/* A torn record waits for its end. */
	put_raw(dirfd, "ctr.log", "2023-11-14T22:13:20.000000000Z stdout F h", 41);
	ASSERT_STREQ(drain(lr, false), "");
	put_raw(dirfd, "ctr.log", "i\n", 2);
	ASSERT_STREQ(drain(lr, false), "O:hi\n");
	ASSERT_EQ(logread_malformed(lr), 0);
	logread_close(lr);
	close(dirfd);
	rm_tmp(path);
}

/* Opening while names shift: a file seen under two names is read once. */
TEST(open_set_dedups_by_inode)
{
	char path[PATH_CAP];
	int dirfd = mkdir_tmp(path);

	ASSERT(dirfd >= 0);
	put(dirfd, "ctr.log.1", T0, "stdout", 'F', "old");
	ASSERT(linkat(dirfd, "ctr.log.1", dirfd, "ctr.log.2", 0) == 0);
	put(dirfd, "ctr.log", T0, "stdout", 'F', "new");
	ASSERT_STREQ(read_with(dirfd, LOGREAD_TAIL_ALL, 0, 0), "O:old\nO:new\n");
	close(dirfd);
	rm_tmp(path);
}

RUN_TESTS(T(parse_accepts_exact_records), T(parse_rejects_everything_else),
	  T(timestamps_round_trip), T(tail_across_rotated_files),
	  T(since_and_until_are_inclusive_and_whole_lines),
	  T(malformed_lines_are_skipped_and_counted), T(timestamps_prefix_only_first_piece),
	  T(missing_log_is_empty), T(follow_across_rotations_without_duplicates),
	  T(open_set_dedups_by_inode))
