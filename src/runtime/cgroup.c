/*
 * cgroup: finding a container's cgroups and reading its usage (mechanism M3).
 *
 * The parsers (mountinfo, /proc/<pid>/cgroup, net/dev, the cgroup files' own formats) are
 * pure and bounded: every line and number is checked, nothing is trusted to be short or
 * well-formed. The readers join a mount point and a cgroup path that never holds ".." and
 * read each file once into one heap buffer of CGROUP_FILE_MAX bytes. Usage is computed
 * the way docker computes it (memory without the inactive page cache; "max" and v1's
 * huge sentinel limits mean unlimited), so `kettle stats` and `docker stats` agree.
 * Never logs, never writes to a cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/cgroup.h"
#include "base/fd.h"
#include "base/str.h"

#define LINE_MAX_FIELDS 64	     /* fields looked at in one mountinfo line */
#define NUM_MAX		32	     /* digits of one number token, with room */
#define V1_UNLIMITED	(1ull << 62) /* v1 reports "no limit" as a page-rounded LLONG_MAX */

static const char *const ctrl_names[CGROUP_C_COUNT] = {
	[CGROUP_C_MEMORY] = "memory", [CGROUP_C_CPUACCT] = "cpuacct", [CGROUP_C_PIDS] = "pids",
	[CGROUP_C_BLKIO] = "blkio",   [CGROUP_C_FREEZER] = "freezer",
};

const char *cgroup_version_name(enum cgroup_version v)
{
	switch (v) {
	case CGROUP_V1:
		return "v1";
	case CGROUP_HYBRID:
		return "hybrid";
	case CGROUP_V2:
		return "v2";
	case CGROUP_NONE:
		break;
	}
	return "none";
}

enum cgroup_version cgroup_version_of(const struct cgroup_mounts *m)
{
	if (m->any_v1)
		return m->v2[0] ? CGROUP_HYBRID : CGROUP_V1;
	return m->v2[0] ? CGROUP_V2 : CGROUP_NONE;
}

static int ctrl_index(const char *name, size_t n)
{
	for (int i = 0; i < CGROUP_C_COUNT; i++)
		if (strlen(ctrl_names[i]) == n && memcmp(ctrl_names[i], name, n) == 0)
			return i;
	return -1;
}

/* ---- line splitting ---- */

/* The next line of text[*off..len) without its newline; false at the end. */
static bool next_line(const char *text, size_t len, size_t *off, const char **line, size_t *n)
{
	if (*off >= len)
		return false;
	const char *p = text + *off;
	const char *nl = memchr(p, '\n', len - *off);
	*line = p;
	*n = nl ? (size_t)(nl - p) : len - *off;
	*off += *n + (nl ? 1 : 0);
	return true;
}

/* Splits a line on runs of spaces/tabs into at most max fields (pointers into line). */
static size_t split_fields(const char *line, size_t n, const char **f, size_t *flen, size_t max)
{
	size_t k = 0, i = 0;

	while (i < n && k < max) {
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == n)
			break;
		size_t s = i;
		while (i < n && line[i] != ' ' && line[i] != '\t')
			i++;
		f[k] = line + s;
		flen[k] = i - s;
		k++;
	}
	return k;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)). */
static bool unescape_path(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) |
				   (s[i + 3] - '0'));
			i += 3;
		}
		if (c == '\0' || o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

/* An absolute path without "." or ".." components (what the kernel reports). */
static bool clean_abs_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
	}
	return true;
}

/* ---- mountinfo ---- */

static bool has_option(const char *opts, size_t n, const char *want)
{
	size_t wl = strlen(want), i = 0;

	while (i < n) {
		size_t e = i;
		while (e < n && opts[e] != ',')
			e++;
		if (e - i == wl && memcmp(opts + i, want, wl) == 0)
			return true;
		i = e + 1;
	}
	return false;
}

int cgroup_parse_mountinfo(const char *text, size_t len, struct cgroup_mounts *m, struct kerr *err)
{
	const char *line, *f[LINE_MAX_FIELDS];
	size_t n, flen[LINE_MAX_FIELDS], off = 0, lineno = 0;

	memset(m, 0, sizeof(*m));
	while (next_line(text, len, &off, &line, &n)) {
		lineno++;
		size_t k = split_fields(line, n, f, flen, LINE_MAX_FIELDS);
		size_t sep = 0;

		if (k == 0)
			continue;
		for (size_t i = 6; i < k; i++) {
			if (flen[i] == 1 && f[i][0] == '-') {
				sep = i;
				break;
			}
		}
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SOURCE SUPER */
		if (k < 10 || sep == 0 || sep + 3 >= k)
			return kerr_set(err, 0,
					"mountinfo line %zu has %zu fields, expected at least 10 "
					"with a `-` separator",
					lineno, k);
		const char *type = f[sep + 1], *super = f[sep + 3];
		size_t tl = flen[sep + 1], sl = flen[sep + 3];
		bool v1 = tl == 6 && memcmp(type, "cgroup", 6) == 0;
		bool v2 = tl == 7 && memcmp(type, "cgroup2", 7) == 0;
		char mnt[PATH_MAX];

		if (!v1 && !v2)
			continue;
		/* A bind of a subtree maps paths differently: only whole hierarchies count. */
		if (flen[3] != 1 || f[3][0] != '/')
			continue;
		if (!unescape_path(f[4], flen[4], mnt, sizeof(mnt)) || mnt[0] != '/')
			return kerr_set(err, 0, "mountinfo line %zu: bad mount point", lineno);
		if (v2) {
			if (!m->v2[0])
				str_copy(m->v2, sizeof(m->v2), mnt);
			continue;
		}
		m->any_v1 = true;
		for (int c = 0; c < CGROUP_C_COUNT; c++)
			if (!m->v1[c][0] && has_option(super, sl, ctrl_names[c]))
				str_copy(m->v1[c], sizeof(m->v1[c]), mnt);
	}
	return 0;
}

/* ---- /proc/<pid>/cgroup ---- */

int cgroup_parse_proc(const char *text, size_t len, struct cgroup_loc *loc, struct kerr *err)
{
	const char *line;
	size_t n, off = 0, lineno = 0;

	memset(loc, 0, sizeof(*loc));
	while (next_line(text, len, &off, &line, &n)) {
		lineno++;
		if (n == 0)
			continue;
		const char *c1 = memchr(line, ':', n);
		const char *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line)) : NULL;
		if (!c2)
			return kerr_set(err, 0, "cgroup line %zu is not `ID:CONTROLLERS:PATH`",
					lineno);
		const char *ctrls = c1 + 1, *path = c2 + 1;
		size_t cl = (size_t)(c2 - ctrls), pl = n - (size_t)(path - line);
		char p[PATH_MAX];

		if (pl == 0 || pl >= sizeof(p) || memchr(path, '\0', pl))
			return kerr_set(err, 0, "cgroup line %zu: path of %zu bytes", lineno, pl);
		memcpy(p, path, pl);
		p[pl] = '\0';
		if (!clean_abs_path(p))
			return kerr_set(err, 0,
					"cgroup line %zu: path `%.64s` is not a clean absolute "
					"path",
					lineno, p);
		if (cl == 0) {
			if (c1 - line == 1 && line[0] == '0')
				str_copy(loc->v2, sizeof(loc->v2), p);
			continue;
		}
		for (size_t i = 0; i < cl;) {
			size_t e = i;
			while (e < cl && ctrls[e] != ',')
				e++;
			int c = ctrl_index(ctrls + i, e - i);
			if (c >= 0)
				str_copy(loc->v1[c], sizeof(loc->v1[c]), p);
			i = e + 1;
		}
	}
	return 0;
}

/* ---- net/dev ---- */

int cgroup_parse_net_dev(const char *text, size_t len, uint64_t *rx, uint64_t *tx, struct kerr *err)
{
	const char *line, *f[17];
	size_t n, flen[17], off = 0, lineno = 0, ifaces = 0;

	*rx = *tx = 0;
	while (next_line(text, len, &off, &line, &n)) {
		lineno++;
		const char *colon = memchr(line, ':', n);

		/* Two header lines hold '|' and no ':'. */
		if (lineno <= 2 && !colon)
			continue;
		if (!colon)
			return kerr_set(err, 0, "net/dev line %zu has no `:`", lineno);
		if (++ifaces > CGROUP_NET_IFACES_MAX)
			return kerr_set(err, 0, "net/dev lists more than %d interfaces",
					CGROUP_NET_IFACES_MAX);
		const char *name = line;
		size_t nl = (size_t)(colon - line);
		while (nl > 0 && *name == ' ') {
			name++;
			nl--;
		}
		const char *rest = colon + 1;
		size_t k = split_fields(rest, n - (size_t)(rest - line), f, flen, 17);
		if (k != 16)
			return kerr_set(err, 0, "net/dev line %zu has %zu counters, expected 16",
					lineno, k);
		if (nl == 2 && memcmp(name, "lo", 2) == 0)
			continue;
		uint64_t v[2];
		for (int i = 0; i < 2; i++) {
			char num[NUM_MAX];
			size_t idx = i == 0 ? 0 : 8;

			if (!str_copyn(num, sizeof(num), f[idx], flen[idx]) ||
			    str_to_u64(num, UINT64_MAX, &v[i], err) < 0)
				return kerr_wrap(err, "net/dev line %zu", lineno);
		}
		*rx += v[0];
		*tx += v[1];
	}
	return 0;
}

/* ---- reading cgroup files ---- */

/* Reads dir/name into buf (cap CGROUP_FILE_MAX). Returns 1, 0 when absent, -1. */
static int read_file(const char *dir, const char *name, char *buf, size_t *len, struct kerr *err)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return kerr_set(err, ENAMETOOLONG, "cgroup file `%s/%s`", dir, name);
	if (fd_read_small_file(AT_FDCWD, path, buf, CGROUP_FILE_MAX, len, err) < 0) {
		if (err->code == ENOENT)
			return 0;
		return -1;
	}
	return 1;
}

static int parse_num(const char *s, size_t n, uint64_t *v, struct kerr *err)
{
	char num[NUM_MAX];

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	if (n == 3 && memcmp(s, "max", 3) == 0) {
		*v = 0;
		return 0;
	}
	if (!str_copyn(num, sizeof(num), s, n))
		return kerr_set(err, 0, "number of %zu bytes is too long", n);
	return str_to_u64(num, UINT64_MAX, v, err);
}

/* A file holding one number ("max" reads as 0); absent reads as 0. */
static int read_u64(const char *dir, const char *name, char *buf, uint64_t *v, struct kerr *err)
{
	size_t len = 0;
	int r = read_file(dir, name, buf, &len, err);

	*v = 0;
	if (r <= 0)
		return r;
	if (parse_num(buf, len, v, err) < 0)
		return kerr_wrap(err, "`%s/%s`", dir, name);
	return 0;
}

/* The value of "key N" in a flat keyed file (memory.stat, cpu.stat); 0 when absent. */
static int keyed_u64(const char *text, size_t len, const char *key, uint64_t *v, struct kerr *err)
{
	const char *line, *f[3];
	size_t n, flen[3], off = 0, kl = strlen(key);

	*v = 0;
	while (next_line(text, len, &off, &line, &n)) {
		if (split_fields(line, n, f, flen, 3) != 2 || flen[0] != kl ||
		    memcmp(f[0], key, kl) != 0)
			continue;
		if (parse_num(f[1], flen[1], v, err) < 0)
			return kerr_wrap(err, "`%s`", key);
		return 0;
	}
	return 0;
}

static int read_keyed(const char *dir, const char *name, const char *key, char *buf, uint64_t *v,
		      struct kerr *err)
{
	size_t len = 0;
	int r = read_file(dir, name, buf, &len, err);

	*v = 0;
	if (r <= 0)
		return r;
	if (keyed_u64(buf, len, key, v, err) < 0)
		return kerr_wrap(err, "`%s/%s`", dir, name);
	return 0;
}

static int join_dir(const char *mnt, const char *path, char *out, size_t cap, struct kerr *err)
{
	int n = snprintf(out, cap, "%s%s", mnt, strcmp(path, "/") == 0 ? "" : path);

	if (n < 0 || (size_t)n >= cap)
		return kerr_set(err, ENAMETOOLONG, "cgroup directory `%s%s`", mnt, path);
	return 0;
}

static int check_dir(const char *dir, struct kerr *err)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return kerr_set(err, errno, "cgroup `%s`", dir);
	if (!S_ISDIR(st.st_mode))
		return kerr_set(err, ENOTDIR, "cgroup `%s`", dir);
	return 0;
}

/* Memory in use without the inactive page cache, as docker reports it. */
static uint64_t minus_cache(uint64_t usage, uint64_t inactive)
{
	return inactive < usage ? usage - inactive : usage;
}

/* blkio.throttle.io_service_bytes: "MAJ:MIN Read N" / "MAJ:MIN Write N" / "Total N". */
static int parse_blkio_v1(const char *text, size_t len, uint64_t *rd, uint64_t *wr,
			  struct kerr *err)
{
	const char *line, *f[4];
	size_t n, flen[4], off = 0;

	*rd = *wr = 0;
	while (next_line(text, len, &off, &line, &n)) {
		uint64_t v;

		if (split_fields(line, n, f, flen, 4) != 3)
			continue;
		bool is_read = flen[1] == 4 && memcmp(f[1], "Read", 4) == 0;
		bool is_write = flen[1] == 5 && memcmp(f[1], "Write", 5) == 0;
		if (!is_read && !is_write)
			continue;
		if (parse_num(f[2], flen[2], &v, err) < 0)
			return -1;
		*(is_read ? rd : wr) += v;
	}
	return 0;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." per device. */
static int parse_io_stat(const char *text, size_t len, uint64_t *rd, uint64_t *wr, struct kerr *err)
{
	const char *line, *f[LINE_MAX_FIELDS];
	size_t n, flen[LINE_MAX_FIELDS], off = 0;

	*rd = *wr = 0;
	while (next_line(text, len, &off, &line, &n)) {
		size_t k = split_fields(line, n, f, flen, LINE_MAX_FIELDS);

		for (size_t i = 1; i < k; i++) {
			uint64_t v;
			uint64_t *dst = NULL;
			size_t skip = 0;

			if (flen[i] > 7 && memcmp(f[i], "rbytes=", 7) == 0) {
				dst = rd;
				skip = 7;
			} else if (flen[i] > 7 && memcmp(f[i], "wbytes=", 7) == 0) {
				dst = wr;
				skip = 7;
			}
			if (!dst)
				continue;
			if (parse_num(f[i] + skip, flen[i] - skip, &v, err) < 0)
				return -1;
			*dst += v;
		}
	}
	return 0;
}

/* The directory of controller c, or "" when the process has none there. */
static int v1_dir(const struct cgroup_mounts *m, const struct cgroup_loc *loc, int c, char *out,
		  size_t cap, struct kerr *err)
{
	out[0] = '\0';
	if (!m->v1[c][0] || !loc->v1[c][0])
		return 0;
	return join_dir(m->v1[c], loc->v1[c], out, cap, err);
}

static int read_v1_with(const struct cgroup_mounts *m, const struct cgroup_loc *loc,
			struct cgroup_stats *s, char *buf, struct kerr *err)
{
	char dir[PATH_MAX];
	uint64_t inactive = 0;
	size_t len = 0;
	int r;

	if (v1_dir(m, loc, CGROUP_C_MEMORY, dir, sizeof(dir), err) < 0)
		return -1;
	if (!dir[0])
		return kerr_set(err, ENOENT, "the process has no v1 memory cgroup");
	if (check_dir(dir, err) < 0)
		return -1;
	if (read_u64(dir, "memory.usage_in_bytes", buf, &s->mem_usage, err) < 0 ||
	    read_u64(dir, "memory.limit_in_bytes", buf, &s->mem_limit, err) < 0 ||
	    read_keyed(dir, "memory.stat", "total_inactive_file", buf, &inactive, err) < 0)
		return -1;
	s->mem_usage = minus_cache(s->mem_usage, inactive);
	if (s->mem_limit >= V1_UNLIMITED)
		s->mem_limit = 0;
	if (v1_dir(m, loc, CGROUP_C_CPUACCT, dir, sizeof(dir), err) < 0 ||
	    (dir[0] && read_u64(dir, "cpuacct.usage", buf, &s->cpu_ns, err) < 0))
		return -1;
	if (v1_dir(m, loc, CGROUP_C_PIDS, dir, sizeof(dir), err) < 0 ||
	    (dir[0] && (read_u64(dir, "pids.current", buf, &s->pids, err) < 0 ||
			read_u64(dir, "pids.max", buf, &s->pids_limit, err) < 0)))
		return -1;
	if (v1_dir(m, loc, CGROUP_C_BLKIO, dir, sizeof(dir), err) < 0)
		return -1;
	if (dir[0]) {
		r = read_file(dir, "blkio.throttle.io_service_bytes", buf, &len, err);
		if (r < 0 ||
		    (r > 0 && parse_blkio_v1(buf, len, &s->blk_read, &s->blk_write, err) < 0))
			return r < 0 ? -1
				     : kerr_wrap(err, "`%s/blkio.throttle.io_service_bytes`", dir);
	}
	if (v1_dir(m, loc, CGROUP_C_FREEZER, dir, sizeof(dir), err) < 0)
		return -1;
	if (dir[0]) {
		r = read_file(dir, "freezer.state", buf, &len, err);
		if (r < 0)
			return -1;
		s->frozen = r > 0 && str_has_prefix(buf, "FROZEN");
	}
	s->source = CGROUP_V1;
	return 0;
}

static int read_v2_with(const char *dir, struct cgroup_stats *s, char *buf, struct kerr *err)
{
	uint64_t usec = 0, inactive = 0, frozen = 0;
	size_t len = 0;
	int r;

	if (check_dir(dir, err) < 0)
		return -1;
	if (read_keyed(dir, "cpu.stat", "usage_usec", buf, &usec, err) < 0 ||
	    read_u64(dir, "memory.current", buf, &s->mem_usage, err) < 0 ||
	    read_u64(dir, "memory.max", buf, &s->mem_limit, err) < 0 ||
	    read_keyed(dir, "memory.stat", "inactive_file", buf, &inactive, err) < 0 ||
	    read_u64(dir, "pids.current", buf, &s->pids, err) < 0 ||
	    read_u64(dir, "pids.max", buf, &s->pids_limit, err) < 0 ||
	    read_keyed(dir, "cgroup.events", "frozen", buf, &frozen, err) < 0)
		return -1;
	if (usec > UINT64_MAX / 1000)
		return kerr_set(err, ERANGE, "`%s/cpu.stat`: usage_usec %llu overflows", dir,
				(unsigned long long)usec);
	s->cpu_ns = usec * 1000;
	s->mem_usage = minus_cache(s->mem_usage, inactive);
	s->frozen = frozen != 0;
	r = read_file(dir, "io.stat", buf, &len, err);
	if (r < 0)
		return -1;
	if (r > 0 && parse_io_stat(buf, len, &s->blk_read, &s->blk_write, err) < 0)
		return kerr_wrap(err, "`%s/io.stat`", dir);
	s->source = CGROUP_V2;
	return 0;
}

int cgroup_read_v1(const struct cgroup_mounts *m, const struct cgroup_loc *loc,
		   struct cgroup_stats *s, struct kerr *err)
{
	_cleanup_free_ char *buf = malloc(CGROUP_FILE_MAX);

	*s = (struct cgroup_stats){ .source = CGROUP_NONE };
	if (!buf)
		return kerr_set(err, ENOMEM, "read cgroup");
	return read_v1_with(m, loc, s, buf, err);
}

int cgroup_read_v2(const char *dir, struct cgroup_stats *s, struct kerr *err)
{
	_cleanup_free_ char *buf = malloc(CGROUP_FILE_MAX);

	*s = (struct cgroup_stats){ .source = CGROUP_NONE };
	if (!buf)
		return kerr_set(err, ENOMEM, "read cgroup");
	return read_v2_with(dir, s, buf, err);
}

int cgroup_read(const struct cgroup_mounts *m, const struct cgroup_loc *loc, struct cgroup_stats *s,
		struct kerr *err)
{
	char dir[PATH_MAX];

	if (m->v1[CGROUP_C_MEMORY][0] && loc->v1[CGROUP_C_MEMORY][0])
		return cgroup_read_v1(m, loc, s, err);
	if (!m->v2[0] || !loc->v2[0])
		return kerr_set(err, ENOENT,
				"the process has neither a v1 memory cgroup nor a v2 cgroup");
	if (join_dir(m->v2, loc->v2, dir, sizeof(dir), err) < 0)
		return -1;
	return cgroup_read_v2(dir, s, err);
}

int cgroup_memory_dir(const struct cgroup_mounts *m, const struct cgroup_loc *loc, char *dir,
		      size_t cap, bool *v2, struct kerr *err)
{
	*v2 = false;
	if (m->v1[CGROUP_C_MEMORY][0] && loc->v1[CGROUP_C_MEMORY][0])
		return v1_dir(m, loc, CGROUP_C_MEMORY, dir, cap, err);
	if (!m->v2[0] || !loc->v2[0])
		return kerr_set(err, ENOENT,
				"the process has neither a v1 memory cgroup nor a v2 cgroup");
	*v2 = true;
	return join_dir(m->v2, loc->v2, dir, cap, err);
}

int cgroup_oom_kills(const char *dir, bool v2, uint64_t *n, struct kerr *err)
{
	_cleanup_free_ char *buf = malloc(CGROUP_FILE_MAX);

	*n = 0;
	if (!buf)
		return kerr_set(err, ENOMEM, "read cgroup");
	if (check_dir(dir, err) < 0)
		return -1;
	return read_keyed(dir, v2 ? "memory.events" : "memory.oom_control", "oom_kill", buf, n,
			  err);
}

/* ---- the live host ---- */

static int read_proc(const char *path, char **text, size_t *len, struct kerr *err)
{
	char *buf = malloc(CGROUP_FILE_MAX);

	if (!buf)
		return kerr_set(err, ENOMEM, "read `%s`", path);
	if (fd_read_small_file(AT_FDCWD, path, buf, CGROUP_FILE_MAX, len, err) < 0) {
		free(buf);
		return -1;
	}
	*text = buf;
	return 0;
}

int cgroup_host_mounts(struct cgroup_mounts *m, struct kerr *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (read_proc("/proc/self/mountinfo", &text, &len, err) < 0)
		return -1;
	if (cgroup_parse_mountinfo(text, len, m, err) < 0)
		return kerr_wrap(err, "/proc/self/mountinfo");
	return 0;
}

/* The host's cgroup mounts and pid's place in them; with expect, pid's cgroup path must
 * contain it (so a recycled pid is never read as the container). */
static int locate_pid(pid_t pid, const char *expect, struct cgroup_mounts *m,
		      struct cgroup_loc *loc, struct kerr *err)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	size_t len = 0;

	if (pid <= 0)
		return kerr_set(err, ESRCH, "pid %d is not a process", (int)pid);
	if (cgroup_host_mounts(m, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_proc(path, &text, &len, err) < 0)
		return -1;
	if (cgroup_parse_proc(text, len, loc, err) < 0)
		return kerr_wrap(err, "%s", path);
	if (expect && !strstr(loc->v1[CGROUP_C_MEMORY], expect) && !strstr(loc->v2, expect))
		return kerr_set(err, ESRCH, "pid %d is not in a cgroup of `%s`", (int)pid, expect);
	return 0;
}

int cgroup_memory_dir_pid(pid_t pid, const char *expect, char *dir, size_t cap, bool *v2,
			  struct kerr *err)
{
	_cleanup_free_ struct cgroup_mounts *m = malloc(sizeof(*m));
	_cleanup_free_ struct cgroup_loc *loc = malloc(sizeof(*loc));

	if (!m || !loc)
		return kerr_set(err, ENOMEM, "find the memory cgroup of pid %d", (int)pid);
	if (locate_pid(pid, expect, m, loc, err) < 0)
		return -1;
	return cgroup_memory_dir(m, loc, dir, cap, v2, err);
}

int cgroup_stats_pid(pid_t pid, const char *expect, bool net, struct cgroup_stats *s,
		     struct kerr *err)
{
	_cleanup_free_ struct cgroup_mounts *m = malloc(sizeof(*m));
	_cleanup_free_ struct cgroup_loc *loc = malloc(sizeof(*loc));

	if (!m || !loc)
		return kerr_set(err, ENOMEM, "read the cgroups of pid %d", (int)pid);
	if (locate_pid(pid, expect, m, loc, err) < 0)
		return -1;
	if (cgroup_read(m, loc, s, err) < 0)
		return kerr_wrap(err, "pid %d", (int)pid);
	if (!net)
		return 0;

	_cleanup_free_ char *text = NULL;
	char path[64];
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	if (read_proc(path, &text, &len, err) < 0)
		return -1;
	if (cgroup_parse_net_dev(text, len, &s->net_rx, &s->net_tx, err) < 0)
		return kerr_wrap(err, "%s", path);
	return 0;
}
