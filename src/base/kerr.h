/*
 * kerr: the one error type of kettle (base layer).
 *
 * A struct kerr carries an errno-style code and a fixed-size message that gathers
 * context on the way up ("load container `x`: open record.json: No such file").
 * Invariant: setting or wrapping an error never allocates, and the message always
 * fits one RPC error frame as it is; a message that would overflow ends in "…".
 * Never prints, logs or exits: reporting is the roles' job (STYLE rule 6).
 */
#ifndef KETTLE_KERR_H
#define KETTLE_KERR_H

#define KERR_MSG_MAX 1024

struct kerr {
	int code;		/* errno value of the root cause, 0 when none */
	char msg[KERR_MSG_MAX]; /* NUL-terminated, possibly truncated with "…" */
};

/* Sets the error; when code != 0 appends ": <strerror(code)>". Returns -1. */
int kerr_set(struct kerr *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes context: "<ctx>: <previous msg>". Keeps the code. Returns -1. */
int kerr_wrap(struct kerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets only the code, keeping the message: for an error worded without strerror that
 * callers still tell apart by its errno (EWOULDBLOCK, EPROTO, ENOSYS). Returns -1. */
int kerr_set_code(struct kerr *err, int code);

/* Resets to "no error". */
void kerr_clear(struct kerr *err);

#endif
