/*
 * logread: the CRI log reader (mechanism M3).
 *
 * The files of one log are kept oldest first, each with its inode; one buffer of
 * LOGREAD_LINE_MAX + LOGREAD_BUF bytes is read into with pread at the file's own offset,
 * so a truncated file (max files 1) is noticed by its size falling below the offset.
 * Invariants: a record is returned at most once (files are deduplicated by inode, a
 * renamed file is read to its end before its successors); a torn or over-long line is
 * skipped and counted; nothing is allocated per record.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.h"
#include "logs/logread.h"
#include "base/str.h"

#define LOGREAD_BUF  (128u * 1024u) /* bytes read per pread */
#define NAME_CAP     64		    /* "ctr.log" plus ".NNN" */
#define FILES_CAP    (LOGREAD_FILES_MAX + 1)
#define INOTIFY_MASK (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB)

struct lfile {
	int fd;				  /* owned; read-only */
	dev_t dev;			  /* identity of the file, */
	ino_t ino;			  /* whatever its name is now */
	uint8_t head[LOGFILE_PREFIX_LEN]; /* its first bytes when opened: a file cut and */
	size_t head_len;		  /* written again is told apart by its first stamp */
};

struct logread {
	int dirfd;		       /* owned dup of the log directory */
	char name[NAME_CAP];	       /* base name, e.g. "ctr.log" */
	struct logread_opts o;	       /* filters */
	struct lfile files[FILES_CAP]; /* oldest first; entries before cur are closed */
	size_t nfiles;		       /* entries of files */
	size_t cur;		       /* file being read; == nfiles when there is none */
	uint64_t off;		       /* offset in files[cur] of buf[blen] */
	uint8_t *buf;		       /* owned; LOGREAD_LINE_MAX + LOGREAD_BUF bytes */
	size_t blen;		       /* valid bytes in buf */
	size_t bpos;		       /* bytes of buf already consumed */
	bool skipping;		       /* inside an over-long line: drop up to its '\n' */
	bool in_line[2];	       /* per stream: the last record was P */
	bool keep[2];		       /* per stream: the open line passed the filters */
	int infd;		       /* owned inotify fd, -1 until logread_watch */
	uint64_t malformed;	       /* lines skipped */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of n decimal digits at s, or -1 when one is not a digit. */
static int64_t digits(const char *s, int n)
{
	int64_t v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int month_days(int64_t y, int64_t m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int logread_parse_ts(const char *s, size_t n, int64_t *ns, struct kerr *err)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";

	if (n != LOGREAD_TS_LEN)
		return kerr_set(err, 0, "timestamp is %zu bytes, expected %d", n, LOGREAD_TS_LEN);
	for (size_t i = 0; i < LOGREAD_TS_LEN; i++) {
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			return kerr_set(err, 0,
					"timestamp byte %zu is wrong, expected the form "
					"2006-01-02T15:04:05.000000000Z",
					i);
	}
	int64_t y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int64_t h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	int64_t frac = digits(s + 20, 9);

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 ||
	    sec > 59)
		return kerr_set(err, 0, "timestamp `%.30s` is not a valid UTC time after 1970", s);
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;

	/* Nanoseconds since 1970 fit an int64 until 2262-04-11T23:47:16.854775807Z. */
	if (secs > INT64_MAX / 1000000000 ||
	    (secs == INT64_MAX / 1000000000 && frac > INT64_MAX % 1000000000))
		return kerr_set(err, ERANGE, "timestamp `%.30s` is after 2262, the last time kept",
				s);
	*ns = secs * 1000000000 + frac;
	return 0;
}

int logread_parse(const uint8_t *line, size_t n, struct logread_rec *rec, struct kerr *err)
{
	const char *s = (const char *)line;

	if (n < LOGFILE_PREFIX_LEN)
		return kerr_set(err, 0, "record of %zu bytes is shorter than its %d-byte prefix", n,
				LOGFILE_PREFIX_LEN);
	if (logread_parse_ts(s, LOGREAD_TS_LEN, &rec->ts_ns, err) < 0)
		return -1;
	if (s[30] != ' ' || s[37] != ' ' || s[39] != ' ')
		return kerr_set(err, 0, "record prefix has no space at byte 30, 37 or 39");
	if (memcmp(s + 31, "stdout", 6) == 0)
		rec->stream = LOGFILE_STDOUT;
	else if (memcmp(s + 31, "stderr", 6) == 0)
		rec->stream = LOGFILE_STDERR;
	else
		return kerr_set(err, 0,
				"record stream `%.6s` is unknown, expected stdout or stderr",
				s + 31);
	if (s[38] != 'F' && s[38] != 'P')
		return kerr_set(err, 0, "record tag `%c` is unknown, expected F or P",
				s[38] > ' ' && s[38] < 127 ? s[38] : '?');
	rec->partial = s[38] == 'P';
	rec->ts = s;
	rec->body = line + LOGFILE_PREFIX_LEN;
	rec->len = n - LOGFILE_PREFIX_LEN;
	rec->first = true;
	if (memchr(rec->body, '\n', rec->len))
		return kerr_set(err, 0, "record body holds a newline");
	return 0;
}

/* ---- the set of files ---- */

static int open_file(struct logread *lr, const char *name, struct lfile *out)
{
	struct stat st;
	int fd = openat(lr->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fd_close(fd);
		errno = EINVAL;
		return -1;
	}
	*out = (struct lfile){ .fd = fd, .dev = st.st_dev, .ino = st.st_ino };
	ssize_t n = pread(fd, out->head, sizeof(out->head), 0);
	out->head_len = n > 0 ? (size_t)n : 0;
	return 0;
}

static void rotated_name(const struct logread *lr, unsigned k, char *out, size_t cap)
{
	if (k == 0)
		snprintf(out, cap, "%s", lr->name);
	else
		snprintf(out, cap, "%s.%u", lr->name, k);
}

static bool known(const struct lfile *v, size_t n, const struct lfile *f)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].fd >= 0 && v[i].dev == f->dev && v[i].ino == f->ino)
			return true;
	return false;
}

/* Opens name, name.1, ... newest first, skipping inodes seen already (a rotation during
 * the walk shows one file under two names), then puts them oldest first. */
static int open_set(struct logread *lr, struct kerr *err)
{
	struct lfile v[FILES_CAP];
	size_t n = 0;
	char nm[NAME_CAP + 8];

	for (unsigned k = 0; k <= LOGREAD_FILES_MAX; k++) {
		struct lfile f;

		rotated_name(lr, k, nm, sizeof(nm));
		if (open_file(lr, nm, &f) < 0) {
			if (errno == ENOENT)
				continue;
			int e = errno;
			for (size_t i = 0; i < n; i++)
				fd_close(v[i].fd);
			return kerr_set(err, e, "open log `%s`", nm);
		}
		if (known(v, n, &f)) {
			fd_close(f.fd);
			continue;
		}
		v[n++] = f;
	}
	for (size_t i = 0; i < n; i++)
		lr->files[i] = v[n - 1 - i];
	lr->nfiles = n;
	lr->cur = 0;
	return 0;
}

/* ---- lines ---- */

enum line_result {
	LINE_OK,  /* *line, *n hold one line without its '\n' */
	LINE_EOF, /* the current file has no whole line left */
	LINE_ERR, /* read error (err) */
};

static enum line_result next_line(struct logread *lr, const uint8_t **line, size_t *n,
				  struct kerr *err)
{
	struct lfile *f = &lr->files[lr->cur];

	for (;;) {
		uint8_t *start = lr->buf + lr->bpos;
		uint8_t *nl = memchr(start, '\n', lr->blen - lr->bpos);

		if (nl) {
			lr->bpos = (size_t)(nl - lr->buf) + 1;
			if (lr->skipping) {
				lr->skipping = false;
				continue;
			}
			*line = start;
			*n = (size_t)(nl - start);
			return LINE_OK;
		}
		/* No whole line buffered: keep the piece, make room, read more. */
		size_t keep = lr->blen - lr->bpos;

		if (keep >= LOGREAD_LINE_MAX) {
			if (!lr->skipping)
				lr->malformed++;
			lr->skipping = true;
			keep = 0;
		}
		memmove(lr->buf, lr->buf + lr->bpos, keep);
		lr->blen = keep;
		lr->bpos = 0;

		ssize_t got = pread(f->fd, lr->buf + lr->blen, LOGREAD_BUF, (off_t)lr->off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			kerr_set(err, errno, "read log `%s`", lr->name);
			return LINE_ERR;
		}
		if (got == 0)
			return LINE_EOF;
		lr->blen += (size_t)got;
		lr->off += (uint64_t)got;
	}
}

/* Forgets what is buffered of the current file and starts reading at off. */
static void reset_buffer(struct logread *lr, uint64_t off)
{
	lr->blen = lr->bpos = 0;
	lr->skipping = false;
	lr->off = off;
}

/* Leaves the current file: a torn last line is counted, the next file starts at 0. */
static void advance(struct logread *lr)
{
	if (lr->blen > lr->bpos || lr->skipping)
		lr->malformed++;
	lr->files[lr->cur].fd = fd_close(lr->files[lr->cur].fd);
	lr->cur++;
	reset_buffer(lr, 0);
}

/*
 * At the end of the newest file while following: was it renamed (rotation) or cut
 * (rotation with one file)? Returns true when there is something new to read.
 */
static bool check_rotation(struct logread *lr)
{
	struct lfile *me = lr->cur < lr->nfiles ? &lr->files[lr->cur] : NULL;
	struct lfile found[FILES_CAP];
	size_t nfound = 0;
	struct stat st;
	char nm[NAME_CAP + 8];

	if (fstatat(lr->dirfd, lr->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false; /* renamed, the new one not created yet: inotify says when */
	if (me && st.st_dev == me->dev && st.st_ino == me->ino) {
		struct stat now;
		uint8_t head[LOGFILE_PREFIX_LEN];
		ssize_t n;

		if (fstat(me->fd, &now) < 0)
			return false;
		/* Truncated in place (one file kept): shorter than what we read, or
		 * refilled past it with other first bytes. */
		if ((uint64_t)now.st_size < lr->off) {
			reset_buffer(lr, 0);
			me->head_len = 0;
			return true;
		}
		n = pread(me->fd, head, sizeof(head), 0);
		if (n < 0 || (size_t)n < me->head_len) {
			return false;
		}
		if (me->head_len && memcmp(head, me->head, me->head_len) != 0) {
			reset_buffer(lr, 0);
			memcpy(me->head, head, (size_t)n);
			me->head_len = (size_t)n;
			return true;
		}
		if (me->head_len < (size_t)n) {
			memcpy(me->head, head, (size_t)n);
			me->head_len = (size_t)n;
		}
		return false;
	}
	/* Renamed away. Our file may have grown after our last read and before the
	 * rename: read it to its end first (a rotated file never grows again). */
	if (me) {
		struct stat now;

		if (fstat(me->fd, &now) == 0 && (uint64_t)now.st_size > lr->off)
			return true;
	}
	/* The successors: every name newer than the one our file has now; all of them
	 * when ours fell off the end. Newest first while collecting. */
	for (unsigned k = 0; k <= LOGREAD_FILES_MAX; k++) {
		struct lfile f;

		rotated_name(lr, k, nm, sizeof(nm));
		if (open_file(lr, nm, &f) < 0)
			continue;
		if (me && f.dev == me->dev && f.ino == me->ino) {
			fd_close(f.fd);
			break;
		}
		if (known(found, nfound, &f)) {
			fd_close(f.fd);
			continue;
		}
		found[nfound++] = f;
	}
	if (nfound == 0)
		return false;
	/* We were at the newest file, so it is the only one open: replace the list. */
	advance(lr);
	lr->nfiles = 0;
	lr->cur = 0;
	for (size_t i = nfound; i-- > 0;)
		lr->files[lr->nfiles++] = found[i];
	return true;
}

/* ---- --tail ---- */

/* Scans file f from 0: counts F records (stop_after > 0: stops after that many and
 * returns the offset after it). *last_p: the last well-formed record is P. */
static int scan_file(struct logread *lr, size_t fi, uint64_t stop_after, uint64_t *count,
		     bool *last_p, uint64_t *off_after, struct kerr *err)
{
	size_t saved_cur = lr->cur;
	const uint8_t *line;
	size_t n;
	enum line_result r;

	lr->cur = fi;
	reset_buffer(lr, 0);
	*count = 0;
	*last_p = false;
	*off_after = 0;
	while ((r = next_line(lr, &line, &n, err)) == LINE_OK) {
		struct logread_rec rec;
		struct kerr ignored;

		if (logread_parse(line, n, &rec, &ignored) < 0)
			continue;
		*last_p = rec.partial;
		if (rec.partial)
			continue;
		(*count)++;
		if (stop_after && *count == stop_after) {
			*off_after = lr->off - (lr->blen - lr->bpos);
			break;
		}
	}
	lr->cur = saved_cur;
	reset_buffer(lr, 0);
	return r == LINE_ERR ? -1 : 0;
}

/* Positions the reader at the first record of the last o.tail lines. */
static int seek_tail(struct logread *lr, struct kerr *err)
{
	uint64_t need = (uint64_t)lr->o.tail;
	uint64_t count, off;
	bool last_p;

	if (lr->nfiles == 0)
		return 0;
	if (need == 0) {
		struct stat st;
		size_t last = lr->nfiles - 1;

		for (size_t i = 0; i < last; i++)
			lr->files[i].fd = fd_close(lr->files[i].fd);
		lr->cur = last;
		if (fstat(lr->files[last].fd, &st) < 0)
			return kerr_set(err, errno, "stat log `%s`", lr->name);
		reset_buffer(lr, (uint64_t)st.st_size);
		return 0;
	}
	for (size_t fi = lr->nfiles; fi-- > 0;) {
		if (scan_file(lr, fi, 0, &count, &last_p, &off, err) < 0)
			return -1;
		if (fi == lr->nfiles - 1 && last_p)
			need--; /* the unfinished last line is one of them */
		if (count > need) {
			if (scan_file(lr, fi, count - need, &count, &last_p, &off, err) < 0)
				return -1;
			for (size_t i = 0; i < fi; i++)
				lr->files[i].fd = fd_close(lr->files[i].fd);
			lr->cur = fi;
			reset_buffer(lr, off);
			return 0;
		}
		need -= count;
	}
	lr->cur = 0;
	reset_buffer(lr, 0);
	return 0;
}

/* ---- public ---- */

struct logread *logread_open(int dirfd, const char *name, const struct logread_opts *o,
			     struct kerr *err)
{
	_cleanup_free_ struct logread *lr = calloc(1, sizeof(*lr));

	if (!lr) {
		kerr_set(err, ENOMEM, "read log");
		return NULL;
	}
	lr->dirfd = -1;
	lr->infd = -1;
	lr->o = *o;
	if (!str_copy(lr->name, sizeof(lr->name), name)) {
		kerr_set(err, ENAMETOOLONG, "log name `%s` too long", name);
		return NULL;
	}
	lr->buf = malloc(LOGREAD_LINE_MAX + LOGREAD_BUF);
	if (!lr->buf) {
		kerr_set(err, ENOMEM, "read log `%s`", name);
		return NULL;
	}
	lr->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (lr->dirfd < 0) {
		kerr_set(err, errno, "read log `%s`", name);
		logread_close(take_ptr(&lr));
		return NULL;
	}
	if (open_set(lr, err) < 0 || (o->tail >= 0 && seek_tail(lr, err) < 0)) {
		logread_close(take_ptr(&lr));
		return NULL;
	}
	return take_ptr(&lr);
}

struct logread *logread_close(struct logread *lr)
{
	if (!lr)
		return NULL;
	for (size_t i = 0; i < lr->nfiles; i++)
		fd_close(lr->files[i].fd);
	fd_close(lr->infd);
	fd_close(lr->dirfd);
	free(lr->buf);
	free(lr);
	return NULL;
}

/* Applies the line filters; true when rec is to be shown. */
static bool admit(struct logread *lr, struct logread_rec *rec)
{
	unsigned s = rec->stream;

	rec->first = !lr->in_line[s];
	if (rec->first)
		lr->keep[s] = (lr->o.since_ns == 0 || rec->ts_ns >= lr->o.since_ns) &&
			      (lr->o.until_ns == 0 || rec->ts_ns <= lr->o.until_ns);
	lr->in_line[s] = rec->partial;
	return lr->keep[s];
}

int logread_next(struct logread *lr, struct logread_rec *rec, struct kerr *err)
{
	const uint8_t *line;
	size_t n;

	for (;;) {
		if (lr->cur >= lr->nfiles) {
			/* Nothing open (no log yet): a follower looks for the first file. */
			if (lr->infd < 0)
				return 0;
			struct lfile f;

			if (open_file(lr, lr->name, &f) < 0)
				return 0;
			lr->nfiles = 0;
			lr->files[lr->nfiles++] = f;
			lr->cur = 0;
			reset_buffer(lr, 0);
		}
		switch (next_line(lr, &line, &n, err)) {
		case LINE_ERR:
			return -1;
		case LINE_EOF:
			if (lr->cur + 1 < lr->nfiles) {
				advance(lr);
				continue;
			}
			if (lr->infd >= 0 && check_rotation(lr))
				continue;
			return 0;
		case LINE_OK:
			break;
		}
		struct kerr ignored;

		if (logread_parse(line, n, rec, &ignored) < 0) {
			lr->malformed++;
			continue;
		}
		if (admit(lr, rec))
			return 1;
	}
}

int logread_watch(struct logread *lr, struct kerr *err)
{
	char path[64];

	if (lr->infd >= 0)
		return lr->infd;
	lr->infd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (lr->infd < 0)
		return kerr_set(err, errno, "watch log `%s`", lr->name);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", lr->dirfd);
	if (inotify_add_watch(lr->infd, path, INOTIFY_MASK | IN_ONLYDIR) < 0) {
		int e = errno;

		lr->infd = fd_close(lr->infd);
		return kerr_set(err, e, "watch log `%s`", lr->name);
	}
	return lr->infd;
}

bool logread_drain_events(struct logread *lr)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;

	if (lr->infd < 0)
		return false;
	for (;;) {
		ssize_t n = read(lr->infd, ev, sizeof(ev));

		if (n <= 0)
			return any;
		any = true;
	}
}

uint64_t logread_malformed(const struct logread *lr)
{
	return lr ? lr->malformed : 0;
}
