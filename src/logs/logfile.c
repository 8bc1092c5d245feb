/*
 * logfile: the CRI log writer (mechanism M3).
 *
 * Each feed is cut into records that are copied, prefix and body, into one contiguous
 * BATCH_BYTES buffer and written with one write per buffer: every record of one feed
 * shares one timestamp, so one prefix per stream and tag serves them all. (An iovec per
 * prefix and per line avoided the copy but cost more: the kernel's per-segment setup for
 * ~10 million 40- and 100-byte segments took most of a 512 MiB run's time.) A line still
 * open at the end of a feed waits in its stream's LOGFILE_LINE_MAX buffer. Invariants: the file only ever holds whole records (short writes are cut back
 * to the last record boundary; when even that fails, the next write starts with a '\n'
 * so the torn record stays one malformed line and never swallows the next); rotation
 * happens between records; nothing is allocated after open; a failing write is counted
 * in bytes of container output (not record bytes), never retried in a loop, never fatal;
 * a log that could not be reopened after a rotation is retried at the next batch. With a
 * discard hook a rotation is renames only: the oldest file becomes ".ctr.log.del.N" and
 * the hook removes it, so freeing its blocks and cached pages never stalls the writer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/clock.h"
#include "base/fd.h"
#include "logs/logfile.h"
#include "base/str.h"

#define BATCH_BYTES   (64u * 1024u) /* one write's worth of records; any record fits */
#define BATCH_RECORDS 2048	    /* records per batch (a record is at least 41 bytes) */
#define NAME_MAX_LEN  64	    /* "ctr.log" plus ".NN" */

static ssize_t sys_writev(int fd, const struct iovec *iov, int n)
{
	return writev(fd, iov, n);
}

static int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags | O_CLOEXEC, mode);
}

struct logfile_ops logfile_ops = {
	.writev = sys_writev,
	.openat = sys_openat,
	.renameat = renameat,
	.ftruncate = ftruncate,
	.unlinkat = unlinkat,
};

struct pending {
	uint8_t *line; /* owned; LOGFILE_LINE_MAX bytes: an unfinished line */
	size_t len;    /* bytes held in line */
};

struct logfile {
	int dirfd;		    /* owned dup of the directory fd */
	int fd;			    /* owned; the current log file, O_APPEND */
	char name[NAME_MAX_LEN];    /* base name, e.g. "ctr.log" */
	uint64_t max_size;	    /* bytes per file before rotation; 0 = never */
	unsigned max_files;	    /* files kept, the current one included */
	uint64_t size;		    /* bytes in the current file */
	uint64_t dropped;	    /* bytes lost to failed writes, total */
	uint64_t unreported;	    /* dropped bytes not yet named in a marker record */
	int last_errno;		    /* why the last write failed */
	bool torn;		    /* the file ends inside a record: write '\n' first */
	bool rotate_failed;	    /* a rotation failed during this feed: not again */
	logfile_discard_fn discard; /* removes a rotated-out file, or NULL: unlink it here */
	void *discard_data;	    /* borrowed; passed to discard */
	unsigned trash_seq;	    /* N of the next ".ctr.log.del.N" */
	struct pending pend[2];	    /* per stream */
	/* the batch being built */
	uint8_t *batch;				   /* owned; BATCH_BYTES of whole records */
	uint32_t rec_len[BATCH_RECORDS];	   /* total bytes of each record in the batch */
	uint32_t rec_payload[BATCH_RECORDS];	   /* container bytes in it (0: the marker) */
	size_t nrec;				   /* records in the batch */
	size_t batch_bytes;			   /* bytes used in batch: sum of rec_len */
	char prefix[2][2][LOGFILE_PREFIX_LEN + 1]; /* [stream][0=F,1=P], this feed's time */
	int64_t prefix_ns;			   /* time the prefixes were formatted for */
	char marker[160];			   /* the drop marker record's text */
};

static void format_prefixes(struct logfile *lf, int64_t now_ns)
{
	static const char *const stream_names[2] = { "stdout", "stderr" };
	char ts[CLOCK_RFC3339NANO_LEN + 1];

	if (lf->prefix_ns == now_ns && lf->prefix[0][0][0])
		return;
	clock_format_rfc3339nano(now_ns, ts);
	for (int s = 0; s < 2; s++) {
		for (int t = 0; t < 2; t++)
			snprintf(lf->prefix[s][t], sizeof(lf->prefix[s][t]), "%s %s %c ", ts,
				 stream_names[s], t ? 'P' : 'F');
	}
	lf->prefix_ns = now_ns;
}

static int open_current(struct logfile *lf, struct kerr *err)
{
	struct stat st;
	int fd = logfile_ops.openat(lf->dirfd, lf->name,
				    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return kerr_set(err, errno, "open log `%s`", lf->name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fd_close(fd);
		return kerr_set(err, EINVAL, "log `%s` is not a regular file", lf->name);
	}
	lf->fd = fd;
	lf->size = (uint64_t)st.st_size;
	return 0;
}

/* Whether d is one of lf's rotated-out files: ".<name>.del.<digits>". */
static bool is_trash(const struct logfile *lf, const char *d)
{
	size_t n = strlen(lf->name), k = strlen(LOGFILE_TRASH_INFIX);

	if (*d++ != '.' || strncmp(d, lf->name, n) != 0 ||
	    strncmp(d + n, LOGFILE_TRASH_INFIX, k) != 0 || !d[n + k])
		return false;
	return strspn(d + n + k, "0123456789") == strlen(d + n + k);
}

/* Removes rotated-out files a discard hook left behind (it was killed, or its process
 * was): at open only, where the time is nobody's. Best effort. */
static void remove_trash(struct logfile *lf)
{
	int fd = openat(lf->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!dir) {
		fd_close(fd);
		return;
	}
	while ((e = readdir(dir)))
		if (is_trash(lf, e->d_name))
			(void)logfile_ops.unlinkat(lf->dirfd, e->d_name, 0);
	closedir(dir);
}

/*
 * The oldest file (of name) leaves: renamed to a fresh ".<name>.del.N" for the discard hook
 * (trash gets that name, or "" when there was no such file), or without a hook unlinked at
 * once. -1 when it is still there: the rotation must not go on, no rename may replace it.
 */
static int drop_oldest(struct logfile *lf, const char *oldest, char *trash, size_t cap)
{
	trash[0] = '\0';
	if (!lf->discard)
		return logfile_ops.unlinkat(lf->dirfd, oldest, 0) < 0 && errno != ENOENT ? -1 : 0;
	snprintf(trash, cap, ".%s" LOGFILE_TRASH_INFIX "%u", lf->name, lf->trash_seq++);
	if (logfile_ops.renameat(lf->dirfd, oldest, lf->dirfd, trash) == 0)
		return 0;
	trash[0] = '\0';
	return errno == ENOENT ? 0 : -1;
}

/* ctr.log.(k-1) -> ctr.log.k, …, ctr.log -> ctr.log.1; the oldest falls off. */
static int rotate(struct logfile *lf)
{
	char from[NAME_MAX_LEN + 16], to[NAME_MAX_LEN + 16], trash[NAME_MAX_LEN + 24];
	struct kerr err;

	if (lf->max_files <= 1 && !lf->discard) {
		if (logfile_ops.ftruncate(lf->fd, 0) < 0)
			return -1;
		lf->size = 0;
		return 0;
	}
	/* The oldest goes first, so no rename replaces a file: ext4 flushes the source of a
	 * rename over an existing file at once (auto_da_alloc), which stalled the shim for
	 * ~5 ms per rotation and cost a third of the throughput. With one file, the oldest
	 * is ctr.log itself (a truncate would free its pages here, as an unlink does). */
	if (lf->max_files <= 1)
		snprintf(to, sizeof(to), "%s", lf->name);
	else
		snprintf(to, sizeof(to), "%s.%u", lf->name, lf->max_files - 1);
	if (drop_oldest(lf, to, trash, sizeof(trash)) < 0)
		return -1;
	for (unsigned k = lf->max_files - 1; k >= 1; k--) {
		if (k == 1)
			snprintf(from, sizeof(from), "%s", lf->name);
		else
			snprintf(from, sizeof(from), "%s.%u", lf->name, k - 1);
		snprintf(to, sizeof(to), "%s.%u", lf->name, k);
		if (logfile_ops.renameat(lf->dirfd, from, lf->dirfd, to) < 0 && errno != ENOENT)
			return -1;
	}
	lf->fd = fd_close(lf->fd);
	lf->size = 0; /* a failed reopen is retried by flush_batch, never rotated again */
	int rc = open_current(lf, &err);
	int saved = errno; /* the caller reads a failed reopen's errno */
	/* A hook that cannot take it: unlinked here after all (a failure leaves it for the
	 * next open's remove_trash). */
	if (trash[0] && lf->discard(lf->discard_data, lf->dirfd, trash) < 0)
		(void)logfile_ops.unlinkat(lf->dirfd, trash, 0);
	errno = saved;
	return rc;
}

/* Drops records [from, nrec) of the batch: counts their container bytes. */
static void drop_records(struct logfile *lf, size_t from)
{
	for (size_t i = from; i < lf->nrec; i++) {
		lf->dropped += lf->rec_payload[i];
		lf->unreported += lf->rec_payload[i];
	}
}

/* Writes the batch; on a short or failed write cuts the file back to the last whole
 * record and counts the rest as dropped. True when every record was written. */
static bool flush_batch(struct logfile *lf)
{
	static const char newline = '\n';
	struct kerr err;

	if (lf->nrec == 0)
		return true;
	if (lf->fd < 0 && open_current(lf, &err) < 0)
		lf->last_errno = err.code ? err.code : EIO;
	size_t lead = lf->torn ? 1 : 0;
	struct iovec iov[2] = {
		{ (void *)&newline, lead },
		{ lf->batch, lf->batch_bytes },
	};
	ssize_t n = lf->fd >= 0 ? logfile_ops.writev(lf->fd, iov, 2) : -1;
	size_t wrote = n > 0 ? (size_t)n : 0;
	bool all = true;

	if (n < 0 && lf->fd >= 0)
		lf->last_errno = errno;
	if (wrote >= lead && lead) {
		lf->torn = false;
		lf->size += lead;
		wrote -= lead;
	} else if (lead) {
		wrote = 0;
	}
	if (wrote < lf->batch_bytes) {
		size_t whole = 0, i = 0;

		for (; i < lf->nrec && whole + lf->rec_len[i] <= wrote; i++)
			whole += lf->rec_len[i];
		if (n >= 0 && lf->last_errno == 0)
			lf->last_errno = ENOSPC;
		if (wrote > whole && logfile_ops.ftruncate(lf->fd, (off_t)(lf->size + whole)) < 0) {
			/* Cannot cut back: the torn record stays, the next write ends it. */
			lf->torn = true;
			whole = wrote;
		}
		drop_records(lf, i);
		wrote = whole;
		all = false;
	}
	lf->size += wrote;
	lf->nrec = lf->batch_bytes = 0;
	return all;
}

static void add_record(struct logfile *lf, enum logfile_stream s, bool partial, const uint8_t *p,
		       size_t n, size_t payload);

/* After drops, once a write works again, say so in the log itself (stderr stream).
 * The marker carries no container bytes: if it fails too, nothing more is counted and
 * it is tried again at the next feed. */
static void report_drops(struct logfile *lf)
{
	if (lf->unreported == 0 || !flush_batch(lf))
		return;
	int len = snprintf(lf->marker, sizeof(lf->marker),
			   "kettle: %llu bytes of container output were not logged (%s)\n",
			   (unsigned long long)lf->unreported, strerror(lf->last_errno));

	add_record(lf, LOGFILE_STDERR, false, (const uint8_t *)lf->marker, (size_t)len, 0);
	if (flush_batch(lf)) {
		lf->unreported = 0;
		lf->last_errno = 0;
	}
}

/*
 * Copies src[0..max) into dst up to and including the first '\n'. Returns the bytes copied
 * and sets *nl when a newline ended them. One pass that looks for the newline and copies at
 * once: a separate memchr and memcpy per 100-byte line were most of the shim's own time
 * in test/bench/logs.sh. The SSE2 path stores whole 16-byte blocks, so dst may receive up
 * to 15 bytes past the newline, never past dst[max).
 */
static size_t copy_line(uint8_t *dst, const uint8_t *src, size_t max, bool *nl)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i newline = _mm_set1_epi8('\n');

	for (; i + 16 <= max; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
		unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline));

		_mm_storeu_si128((__m128i *)(void *)(dst + i), v);
		if (hit) {
			*nl = true;
			return i + (size_t)__builtin_ctz(hit) + 1;
		}
	}
#endif
	for (; i < max; i++) {
		dst[i] = src[i];
		if (src[i] == '\n') {
			*nl = true;
			return i + 1;
		}
	}
	*nl = false;
	return max;
}

/* Makes room in the batch for a record with a body of up to n bytes: afterwards
 * record_body(lf) has n + 1 bytes free behind it. */
static void reserve_record(struct logfile *lf, size_t n)
{
	if (lf->nrec == BATCH_RECORDS || lf->batch_bytes + LOGFILE_PREFIX_LEN + n + 1 > BATCH_BYTES)
		flush_batch(lf);
}

/* Where the body of the next record goes: behind its prefix, at the end of the batch. */
static uint8_t *record_body(struct logfile *lf)
{
	return lf->batch + lf->batch_bytes + LOGFILE_PREFIX_LEN;
}

/* Queues the record whose n body bytes are already at record_body(lf): adds the prefix and
 * (for a P record, or an F record without one) the final '\n'. An F record's body ends in
 * the line's own newline, or gets one appended. payload is what the record carries of the
 * container's output: n, or 0 for the drop marker. When the record would cross max_size,
 * the records before it are written, the file rotates, and the body moves to the front. */
static void commit_record(struct logfile *lf, enum logfile_stream s, bool partial, size_t n,
			  size_t payload)
{
	uint8_t *body = record_body(lf);
	bool has_nl = n > 0 && body[n - 1] == '\n';
	size_t rec = LOGFILE_PREFIX_LEN + n + (has_nl ? 0 : 1);

	if (lf->max_size && lf->size + lf->batch_bytes + rec > lf->max_size &&
	    lf->size + lf->batch_bytes > 0 && !lf->rotate_failed) {
		/* flush_batch writes batch[0..batch_bytes) only: the body behind it waits. */
		size_t at = lf->batch_bytes;

		flush_batch(lf);
		memmove(record_body(lf), lf->batch + at + LOGFILE_PREFIX_LEN, n);
		body = record_body(lf);
		/* A failed rotation keeps writing to the current file (or, when it could
		 * not be reopened, lets flush_batch retry and count); once per feed. */
		if (rotate(lf) < 0) {
			lf->rotate_failed = true;
			if (lf->fd < 0)
				lf->last_errno = errno;
		}
	}
	memcpy(body - LOGFILE_PREFIX_LEN, lf->prefix[s][partial], LOGFILE_PREFIX_LEN);
	if (!has_nl)
		body[n] = '\n';
	lf->rec_payload[lf->nrec] = (uint32_t)payload;
	lf->rec_len[lf->nrec++] = (uint32_t)rec;
	lf->batch_bytes += rec;
}

/* Queues one record of n bytes from p (at most LOGFILE_LINE_MAX, or the marker's size:
 * a record always fits an empty batch). */
static void add_record(struct logfile *lf, enum logfile_stream s, bool partial, const uint8_t *p,
		       size_t n, size_t payload)
{
	reserve_record(lf, n);
	memcpy(record_body(lf), p, n);
	commit_record(lf, s, partial, n, payload);
}

struct logfile *logfile_open(int dirfd, const char *name, uint64_t max_size, unsigned max_files,
			     struct kerr *err)
{
	_cleanup_free_ struct logfile *lf = calloc(1, sizeof(*lf));

	if (!lf) {
		kerr_set(err, ENOMEM, "open log");
		return NULL;
	}
	lf->fd = -1;
	lf->dirfd = -1;
	if (!str_copy(lf->name, sizeof(lf->name), name)) {
		kerr_set(err, ENAMETOOLONG, "log name `%s` too long", name);
		return NULL;
	}
	lf->max_size = max_size;
	lf->max_files = max_files ? max_files : 1;
	lf->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (lf->dirfd < 0) {
		kerr_set(err, errno, "open log `%s`", name);
		return NULL;
	}
	lf->batch = malloc(BATCH_BYTES);
	for (int s = 0; s < 2; s++) {
		lf->pend[s].line = malloc(LOGFILE_LINE_MAX);
		if (!lf->pend[s].line || !lf->batch) {
			kerr_set(err, ENOMEM, "open log `%s`", name);
			logfile_close(take_ptr(&lf));
			return NULL;
		}
	}
	if (open_current(lf, err) < 0) {
		logfile_close(take_ptr(&lf));
		return NULL;
	}
	remove_trash(lf);
	return take_ptr(&lf);
}

void logfile_set_discard(struct logfile *lf, logfile_discard_fn fn, void *data)
{
	if (!lf)
		return;
	lf->discard = fn;
	lf->discard_data = data;
}

struct logfile *logfile_close(struct logfile *lf)
{
	if (!lf)
		return NULL;
	flush_batch(lf);
	if (lf->unreported && lf->fd >= 0) {
		format_prefixes(lf, clock_wall_ns());
		report_drops(lf);
	}
	fd_close(lf->fd);
	fd_close(lf->dirfd);
	free(lf->pend[0].line);
	free(lf->pend[1].line);
	free(lf->batch);
	free(lf);
	return NULL;
}

/* The pending line of s is written as one record and emptied. */
static void emit_pending(struct logfile *lf, enum logfile_stream s, bool partial)
{
	struct pending *pd = &lf->pend[s];

	if (pd->len == 0)
		return;
	add_record(lf, s, partial, pd->line, pd->len, pd->len);
	pd->len = 0;
}

void logfile_feed(struct logfile *lf, enum logfile_stream s, const uint8_t *p, size_t n,
		  int64_t now_ns)
{
	if (!lf || (s != LOGFILE_STDOUT && s != LOGFILE_STDERR))
		return;

	struct pending *pd = &lf->pend[s];

	format_prefixes(lf, now_ns);
	lf->rotate_failed = false;
	if (lf->unreported)
		report_drops(lf);
	while (n > 0) {
		if (pd->len > 0) {
			const uint8_t *nl = memchr(p, '\n', n);
			size_t line = nl ? (size_t)(nl - p) + 1 : n;

			/* Continue the open line; it closes here or grows toward the cap. */
			size_t room = LOGFILE_LINE_MAX - pd->len;
			size_t take = line < room ? line : room;

			memcpy(pd->line + pd->len, p, take);
			pd->len += take;
			p += take;
			n -= take;
			if (take == line && nl)
				emit_pending(lf, s, false);
			else if (pd->len == LOGFILE_LINE_MAX)
				emit_pending(lf, s, true);
			continue;
		}
		/* A line starts here: copy it straight into the batch, finding its end. */
		size_t max = n < LOGFILE_LINE_MAX ? n : LOGFILE_LINE_MAX;
		bool nl;

		reserve_record(lf, max);
		size_t line = copy_line(record_body(lf), p, max, &nl);
		if (nl) {
			commit_record(lf, s, false, line, line);
		} else if (line == LOGFILE_LINE_MAX) {
			/* A line longer than the cap: P pieces of exactly the cap. */
			commit_record(lf, s, true, line, line);
		} else {
			/* Unfinished line at the end of this feed: keep it for the next. */
			memcpy(pd->line, p, line);
			pd->len = line;
		}
		p += line;
		n -= line;
	}
	flush_batch(lf);
}

void logfile_end_stream(struct logfile *lf, enum logfile_stream s, int64_t now_ns)
{
	if (!lf || (s != LOGFILE_STDOUT && s != LOGFILE_STDERR))
		return;
	format_prefixes(lf, now_ns);
	lf->rotate_failed = false;
	if (lf->unreported)
		report_drops(lf);
	emit_pending(lf, s, true);
	flush_batch(lf); /* readers (logs -f, the exit) must see it now, not at the next feed */
}

uint64_t logfile_dropped(const struct logfile *lf)
{
	return lf ? lf->dropped : 0;
}
