/*
 * logread: the container's CRI log, reader side (mechanism M3).
 *
 * Parses records strictly (a fixed 40-byte prefix: 30-byte RFC3339Nano UTC timestamp,
 * space, "stdout" or "stderr", space, 'F' or 'P', space; then the body up to '\n') and
 * walks ctr.log.N ... ctr.log.1, ctr.log as one stream, oldest first. Files are told
 * apart by inode, so a rotation that happens while the set is opened or followed never
 * shows a record twice, and a follower goes on in the next file once its own was
 * renamed. Filters (--tail, --since, --until) apply to whole lines: the first piece of a
 * line decides for all its P pieces. Malformed lines are skipped and counted, never
 * fatal. Records point into the reader's buffer (valid until the next call). Follow
 * waits on an inotify descriptor (IN_CLOEXEC) the caller polls: no sleeps. Never logs.
 */
#ifndef KETTLE_LOGREAD_H
#define KETTLE_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/kerr.h"
#include "logs/logfile.h"

#define LOGREAD_FILES_MAX LOGFILE_MAX_FILES /* ctr.log.1 .. ctr.log.N probed, at most */
#define LOGREAD_LINE_MAX  (64u * 1024u)	    /* longer lines are malformed and skipped */
#define LOGREAD_TAIL_ALL  (-1)		    /* --tail all */
#define LOGREAD_TS_LEN	  30		    /* "2006-01-02T15:04:05.000000000Z" */

/* One record. */
struct logread_rec {
	int64_t ts_ns;		    /* its timestamp, ns since the epoch (UTC) */
	const char *ts;		    /* borrowed; the LOGREAD_TS_LEN timestamp bytes */
	enum logfile_stream stream; /* stdout or stderr */
	bool partial;		    /* P: the line goes on in a later record */
	bool first;		    /* the first record of its line (print -t here) */
	const uint8_t *body;	    /* borrowed; the bytes, without the record's '\n' */
	size_t len;		    /* bytes at body */
};

struct logread_opts {
	int64_t tail;	  /* last lines to show; LOGREAD_TAIL_ALL for every line */
	int64_t since_ns; /* lines stamped before this are skipped; 0: no bound */
	int64_t until_ns; /* lines stamped after this are skipped; 0: no bound */
};

struct logread;

/* Parses one line (without its '\n'). Returns 0, or -1 with err saying what is wrong. */
int logread_parse(const uint8_t *line, size_t n, struct logread_rec *rec, struct kerr *err);
/* Parses exactly "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (LOGREAD_TS_LEN bytes, UTC). */
int logread_parse_ts(const char *s, size_t n, int64_t *ns, struct kerr *err);

/* Opens dirfd/name and its rotated siblings (dirfd is duplicated). A missing ctr.log is
 * not an error: there is nothing to read yet. */
struct logread *logread_open(int dirfd, const char *name, const struct logread_opts *o,
			     struct kerr *err);
struct logread *logread_close(struct logread *lr);
/*
 * The next record that passes the filters: 1 with *rec, 0 when everything written so
 * far has been returned, -1 with err on a read error. After 0 a follower polls
 * logread_watch's fd and calls again: renames, new files and truncation are found here.
 */
int logread_next(struct logread *lr, struct logread_rec *rec, struct kerr *err);
/* Starts watching the directory (inotify, IN_CLOEXEC|IN_NONBLOCK); returns the fd to poll
 * for readability (owned by lr), or -1 with err. */
int logread_watch(struct logread *lr, struct kerr *err);
/* Empties the inotify queue after poll said readable; true when something changed. */
bool logread_drain_events(struct logread *lr);
/* Lines skipped because they were not well-formed records. */
uint64_t logread_malformed(const struct logread *lr);

#endif
