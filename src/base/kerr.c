/*
 * kerr: setting and wrapping the one error type (base layer).
 *
 * Invariants: never allocates (the only scratch space is one KERR_MSG_MAX stack buffer),
 * always leaves msg NUL-terminated, and a message that does not fit ends in the UTF-8
 * ellipsis "…" cut on a character boundary. Keeps errno as the caller left it, so
 * `return kerr_set(err, errno, ...)` can be followed by code that still looks at errno.
 * Never prints, logs or exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/kerr.h"

#define ELLIPSIS     "\xe2\x80\xa6"
#define ELLIPSIS_LEN 3

/* Ends msg with "…" in place of whatever was cut, never splitting a UTF-8 sequence. */
static void mark_truncated(char *msg)
{
	size_t cut = KERR_MSG_MAX - 1 - ELLIPSIS_LEN;

	/* A continuation byte (10xxxxxx) at cut means its character started earlier. */
	while (cut > 0 && ((unsigned char)msg[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(msg + cut, ELLIPSIS, ELLIPSIS_LEN);
	msg[cut + ELLIPSIS_LEN] = '\0';
}

/* Appends n bytes of s at *len, stopping at the buffer's end; sets *trunc when it did. */
static void put(char *msg, size_t *len, const char *s, size_t n, bool *trunc)
{
	size_t room = KERR_MSG_MAX - 1 - *len;

	if (n > room) {
		n = room;
		*trunc = true;
	}
	memcpy(msg + *len, s, n);
	*len += n;
	msg[*len] = '\0';
}

/* Formats into tmp; returns the stored length and sets *trunc on overflow. */
static size_t format(char tmp[KERR_MSG_MAX], bool *trunc, const char *fmt, va_list ap)
{
	int n = vsnprintf(tmp, KERR_MSG_MAX, fmt, ap);

	if (n < 0) {
		tmp[0] = '\0';
		return 0;
	}
	if ((size_t)n >= KERR_MSG_MAX) {
		*trunc = true;
		return KERR_MSG_MAX - 1;
	}
	return (size_t)n;
}

int kerr_set(struct kerr *err, int code, const char *fmt, ...)
{
	int saved = errno;
	char tmp[KERR_MSG_MAX];
	bool trunc = false;
	size_t len = 0;
	va_list ap;

	if (!err)
		return -1;
	/* Format into scratch first: an argument may point into err->msg itself. */
	va_start(ap, fmt);
	size_t n = format(tmp, &trunc, fmt, ap);
	va_end(ap);

	err->code = code;
	err->msg[0] = '\0';
	put(err->msg, &len, tmp, n, &trunc);
	if (code != 0) {
		const char *why = strerror(code);

		put(err->msg, &len, ": ", 2, &trunc);
		put(err->msg, &len, why, strlen(why), &trunc);
	}
	if (trunc)
		mark_truncated(err->msg);
	errno = saved;
	return -1;
}

int kerr_wrap(struct kerr *err, const char *fmt, ...)
{
	int saved = errno;
	char ctx[KERR_MSG_MAX];
	bool trunc = false;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	size_t clen = format(ctx, &trunc, fmt, ap);
	va_end(ap);

	size_t olen = strnlen(err->msg, KERR_MSG_MAX - 1);
	if (olen == 0) {
		/* Nothing to wrap: the context becomes the message. */
		size_t len = 0;

		put(err->msg, &len, ctx, clen, &trunc);
	} else {
		const size_t limit = KERR_MSG_MAX - 1;
		size_t head = clen + 2; /* "ctx: " */
		size_t keep = 0;

		if (head < limit)
			keep = olen < limit - head ? olen : limit - head;
		if (keep < olen)
			trunc = true;
		/* Shift the old message right first; it may overlap its new place. */
		if (keep > 0)
			memmove(err->msg + head, err->msg, keep);
		if (head <= limit) {
			memcpy(err->msg, ctx, clen);
			memcpy(err->msg + clen, ": ", 2);
			err->msg[head + keep] = '\0';
		} else {
			/* The context alone fills the buffer. */
			size_t len = 0;

			put(err->msg, &len, ctx, clen, &trunc);
		}
	}
	if (trunc)
		mark_truncated(err->msg);
	errno = saved;
	return -1;
}

int kerr_set_code(struct kerr *err, int code)
{
	if (err)
		err->code = code;
	return -1;
}

void kerr_clear(struct kerr *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
