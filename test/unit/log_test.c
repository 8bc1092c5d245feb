/*
 * log_test: line format, level filtering, escaping and truncation (test layer).
 *
 * Logs into a pipe and reads back exactly what one log_msg call wrote.
 */
#include <fcntl.h>
#include <unistd.h>

#include "base/clock.h"
#include "harness.h"
#include "base/log.h"

/* Reads what is in the pipe now (the log writes synchronously before we read). */
static size_t drain(int fd, char *buf, size_t cap)
{
	ssize_t n = read(fd, buf, cap - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

TEST(parse_level)
{
	enum log_level l = LOG_LVL_ERROR;

	ASSERT(log_parse_level("debug", &l));
	ASSERT_EQ(l, LOG_LVL_DEBUG);
	ASSERT(log_parse_level("warn", &l));
	ASSERT_EQ(l, LOG_LVL_WARN);
	ASSERT(log_parse_level("info", &l));
	ASSERT(log_parse_level("error", &l));
	ASSERT_EQ(l, LOG_LVL_ERROR);
	ASSERT(!log_parse_level("", &l));
	ASSERT(!log_parse_level("INFO", &l));
	ASSERT(!log_parse_level("warning", &l));
	ASSERT(!log_parse_level("info ", &l));
}

TEST(line_format_and_levels)
{
	int p[2];
	char line[8192], want[128];
	int64_t ns;
	struct kerr err;

	ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	log_setup("kettled", LOG_LVL_INFO, p[1]);
	log_info("container `%s` started", "web");
	size_t n = drain(p[0], line, sizeof(line));
	log_debug("hidden");
	size_t hidden = drain(p[0], line + n + 1, sizeof(line) - n - 1);
	log_setup("kettle", LOG_LVL_INFO, 2);
	close(p[0]);
	close(p[1]);
	ASSERT_EQ(hidden, 0);
	ASSERT(n > CLOCK_RFC3339NANO_LEN);
	snprintf(want, sizeof(want), " kettled[%ld] info: container `web` started\n",
		 (long)getpid());
	ASSERT_STREQ(line + CLOCK_RFC3339NANO_LEN, want);
	line[CLOCK_RFC3339NANO_LEN] = '\0';
	ASSERT_EQ(clock_parse_rfc3339(line, &ns, &err), 0);
}

TEST(message_stays_one_line)
{
	int p[2];
	char line[8192];

	ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	log_setup("shim", LOG_LVL_DEBUG, p[1]);
	log_warn("a\nfake 2006-01-02T15:04:05Z line\r\x1b[31m \xe2\x80\xa6 \\");
	size_t n = drain(p[0], line, sizeof(line));
	log_setup("kettle", LOG_LVL_INFO, 2);
	close(p[0]);
	close(p[1]);
	ASSERT(n > 0);
	ASSERT(strchr(line, '\n') == line + n - 1);
	ASSERT_CONTAINS(line, " warn: a\\x0afake 2006-01-02T15:04:05Z line\\x0d\\x1b[31m "
			      "\xe2\x80\xa6 \\\n");
}

TEST(long_message_truncated)
{
	int p[2];
	char line[16384];
	static char big[10000];

	memset(big, 'y', sizeof(big) - 1);
	ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	log_setup("shim", LOG_LVL_DEBUG, p[1]);
	log_error("%s", big);
	size_t n = drain(p[0], line, sizeof(line));
	/* Control bytes take 4 bytes each when escaped; the cut still fits. */
	memset(big, '\n', sizeof(big) - 1);
	log_error("%s", big);
	size_t n2 = drain(p[0], line + n, sizeof(line) - n);
	log_setup("kettle", LOG_LVL_INFO, 2);
	close(p[0]);
	close(p[1]);
	ASSERT(n <= 4096);
	ASSERT(n > 4000);
	ASSERT(n2 <= 4096);
	ASSERT_EQ(memcmp(line + n - 4, "\xe2\x80\xa6\n", 4), 0);
	ASSERT_EQ(memcmp(line + n + n2 - 4, "\xe2\x80\xa6\n", 4), 0);
}

TEST(long_utf8_cut_on_boundary)
{
	int p[2];
	char line[8192];
	static char big[6001];

	for (size_t i = 0; i + 3 <= 6000; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3); /* euro sign */
	ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	log_setup("x", LOG_LVL_DEBUG, p[1]);
	for (int shift = 0; shift < 3; shift++) {
		log_error("%.*s%s", shift, "ab", big);
		size_t n = drain(p[0], line, sizeof(line));
		ASSERT(n <= 4096);
		ASSERT_EQ(memcmp(line + n - 4, "\xe2\x80\xa6\n", 4), 0);
		/* The byte before the ellipsis ends a whole euro sign. */
		ASSERT_EQ((unsigned char)line[n - 5], 0xac);
	}
	log_setup("kettle", LOG_LVL_INFO, 2);
	close(p[0]);
	close(p[1]);
}

RUN_TESTS(T(parse_level), T(line_format_and_levels), T(message_stays_one_line),
	  T(long_message_truncated), T(long_utf8_cut_on_boundary))
