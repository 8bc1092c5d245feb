/*
 * logfile: the container's CRI log, writer side (mechanism M3).
 *
 * Records are "<RFC3339Nano> <stdout|stderr> <F|P> <bytes>\n" with a fixed 40-byte
 * prefix. A line up to LOGFILE_LINE_MAX is one F record even when it arrives in several
 * reads; longer lines become P records and a final F; output without a trailing newline
 * is flushed as P when the stream ends. Rotation by size removes the oldest file, then
 * renames ctr.log.(k-1) -> ctr.log.k ... ctr.log -> ctr.log.1, between records, never
 * inside one. With a discard hook (logfile_set_discard) the oldest file is only renamed to
 * a fresh ".ctr.log.del.N" and the hook removes it away from the writer: unlinking a file
 * of 10 MB whose pages are cached takes up to milliseconds, which the writer must not spend
 * (its container would wait on a full pipe meanwhile). The leading dot keeps it out of
 * `ls` and of a collector's "ctr.log*" glob while it waits. Leftover ".ctr.log.del.N" files
 * (a hook that never finished) are removed by logfile_open. A failing write (ENOSPC, EIO)
 * never blocks and never fails the caller: the bytes are dropped and counted, and one marker record on
 * the stderr stream names how many once writing works again. A short write is cut back
 * (ftruncate) to the last whole record, so a reader never sees half a record. Allocates
 * its buffers once at open, nothing per byte. Syscalls go through logfile_ops so tests
 * can inject faults. Never logs.
 */
#ifndef KETTLE_LOGFILE_H
#define KETTLE_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>
#include <sys/uio.h>

#include "base/kerr.h"

#define LOGFILE_LINE_MAX	  (16u * 1024u) /* longest line kept whole in one F record */
#define LOGFILE_PREFIX_LEN	  40		/* timestamp, stream and tag, with spaces */
#define LOGFILE_DEFAULT_MAX_SIZE  (10u * 1024u * 1024u)
#define LOGFILE_DEFAULT_MAX_FILES 3
#define LOGFILE_MIN_SIZE	  1024u	       /* smallest --log-max-size accepted */
#define LOGFILE_MAX_SIZE	  (1ull << 40) /* largest --log-max-size accepted */
#define LOGFILE_MAX_FILES	  100	       /* largest --log-max-files accepted */
#define LOGFILE_TRASH_INFIX	  ".del."      /* ".ctr.log.del.N": a rotated-out file */

enum logfile_stream {
	LOGFILE_STDOUT = 0,
	LOGFILE_STDERR = 1,
};

struct logfile;

/* Syscalls logfile.c makes, overridable by tests (fault injection). */
struct logfile_ops {
	ssize_t (*writev)(int fd, const struct iovec *iov, int n);
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
	int (*ftruncate)(int fd, off_t len);
	int (*unlinkat)(int dirfd, const char *path, int flags);
};
extern struct logfile_ops logfile_ops;

/* Opens (appending) dirfd/name. max_size 0 disables rotation; max_files counts ctr.log
 * itself (3 keeps ctr.log, .1, .2). */
struct logfile *logfile_open(int dirfd, const char *name, uint64_t max_size, unsigned max_files,
			     struct kerr *err);
/*
 * Removes dirfd/name, a rotated-out file, away from the writer. Returns 0 when it will be
 * removed, -1 when the writer must unlink it itself (at once, as without a hook).
 */
typedef int (*logfile_discard_fn)(void *data, int dirfd, const char *name);
/* Sets (fn NULL: clears) the hook rotations hand the oldest file to; data is borrowed. */
void logfile_set_discard(struct logfile *lf, logfile_discard_fn fn, void *data);
/* Closes (after logfile_end_streams if the caller wants partial lines kept). */
struct logfile *logfile_close(struct logfile *lf);
/* Feeds bytes read from one stream. Never fails: problems are counted. */
void logfile_feed(struct logfile *lf, enum logfile_stream s, const uint8_t *p, size_t n,
		  int64_t now_ns);
/* The stream ended (EOF or container exit): a pending partial line becomes a P record. */
void logfile_end_stream(struct logfile *lf, enum logfile_stream s, int64_t now_ns);
/* Bytes dropped so far because writing failed. */
uint64_t logfile_dropped(const struct logfile *lf);

#endif
