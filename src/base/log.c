/*
 * log: one-line process log for the long-lived roles (base layer; only roles call it).
 *
 * Invariants: a message becomes exactly one line of at most LOG_LINE_MAX bytes written
 * with a single write(2) (PIPE_BUF-sized, so lines from several processes on one pipe
 * never interleave); control bytes in the message are escaped as \xNN so a message can
 * never forge a second line; nothing allocates; errno is preserved. A failed log write is
 * dropped: there is nowhere left to report it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/str.h"

/* One line, including its newline; PIPE_BUF so a write to a pipe is atomic (pipe(7)). */
#define LOG_LINE_MAX 4096
/* Program name as shown in each line (bytes, before the NUL). */
#define LOG_PROG_MAX 31

static char log_prog[LOG_PROG_MAX + 1] = "kettle"; /* set by log_setup */
static enum log_level log_level = LOG_LVL_INFO;	   /* messages above it are dropped */
static int log_fd = 2;				   /* borrowed; never closed here */

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void log_setup(const char *prog, enum log_level level, int fd)
{
	if (prog)
		str_copy(log_prog, sizeof(log_prog), prog);
	log_level = level;
	log_fd = fd;
}

bool log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

/*
 * Copies msg into line at w, escaping control bytes (below 0x20 and DEL) as \xNN and
 * keeping UTF-8 as it is; stops before limit and marks a cut with "…". Returns the new w.
 */
static size_t put_escaped(char *line, size_t w, size_t limit, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	/* Room kept back for the ellipsis when the message is cut. */
	const size_t reserve = 3;

	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		bool ctl = *p < 0x20 || *p == 0x7f;
		size_t need = ctl ? 4 : 1;

		if (w + need > limit - reserve) {
			/* A continuation byte next means the character so far is incomplete:
			 * drop it rather than leave half a UTF-8 sequence before the ellipsis. */
			if ((*p & 0xc0) == 0x80) {
				while (w > 0 && ((unsigned char)line[w - 1] & 0xc0) == 0x80)
					w--;
				if (w > 0 && ((unsigned char)line[w - 1] & 0xc0) == 0xc0)
					w--;
			}
			memcpy(line + w, "\xe2\x80\xa6", 3);
			return w + 3;
		}
		if (ctl) {
			line[w++] = '\\';
			line[w++] = 'x';
			line[w++] = hex[*p >> 4];
			line[w++] = hex[*p & 15];
		} else {
			line[w++] = (char)*p;
		}
	}
	return w;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	int saved = errno;
	char msg[LOG_LINE_MAX];
	char line[LOG_LINE_MAX];
	va_list ap;

	if (level > log_level || log_fd < 0)
		return;
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		level = LOG_LVL_ERROR;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_format_rfc3339nano(clock_wall_ns(), line);
	size_t w = CLOCK_RFC3339NANO_LEN;
	int n = snprintf(line + w, sizeof(line) - w, " %s[%ld] %s: ", log_prog, (long)getpid(),
			 level_names[level]);
	if (n > 0)
		w += (size_t)n;
	/* Keep one byte for the newline. */
	w = put_escaped(line, w, sizeof(line) - 1, msg);
	line[w++] = '\n';
	while (write(log_fd, line, w) < 0 && errno == EINTR)
		;
	errno = saved;
}
