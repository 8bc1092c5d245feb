/*
 * fuzz_cppath: libFuzzer target for the `kettle cp` path rules (test layer, fuzzes
 * src/copy/cppath.c and copy_tar_clean_name in src/copy/copy_tar.c).
 *
 * Input: byte 0 is flags (bit 0 SRC is a directory, bits 1-2 DST's state, 3 being an
 * invalid one, bits 3-5 a small buffer size); the rest is SRC, a NUL, then DST, each
 * copied into an exact-size heap buffer so ASan sees any read past its NUL. Checked:
 * parses are exact splits of the argument with one kind each; base and dir rejoin to the
 * path; small buffers fail rather than truncate; the plan is deterministic, follows
 * docker's table and never names `/`, `.` or `..`; cleaned member names are relative,
 * free of `.`/`..`/empty components and stable. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "copy/copy_tar.h"
#include "copy/cppath.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_msg(const struct kerr *err)
{
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) && err->msg[0]);
}

/* True when NUL-terminated inside buf[cap]. */
static bool terminated(const char *buf, size_t cap)
{
	return memchr(buf, '\0', cap) != NULL;
}

/* Collapses runs of `/` into one, in place. */
static void collapse(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++)
		if (*r != '/' || w == s || w[-1] != '/')
			*w++ = *r;
	*w = '\0';
}

static bool same_arg(const struct cppath_arg *a, const struct cppath_arg *b)
{
	return a->arg == b->arg && a->path == b->path && a->stdio == b->stdio &&
	       a->in_ctr == b->in_ctr && strcmp(a->ref, b->ref) == 0;
}

/* Parses arg twice; checks the split. Returns true when it parsed. */
static bool check_parse(const char *arg, struct cppath_arg *a)
{
	struct cppath_arg again;
	struct kerr err, err2;
	size_t len = strlen(arg);
	int r = cppath_parse(arg, a, &err);

	CHECK(cppath_parse(arg, &again, &err2) == r);
	CHECK(terminated(a->ref, sizeof(a->ref)));
	if (r < 0) {
		check_msg(&err);
		CHECK(strcmp(err.msg, err2.msg) == 0 && !a->in_ctr && !a->stdio);
		return false;
	}
	CHECK(r == 0 && same_arg(a, &again) && a->arg == arg && len > 0);
	CHECK(!(a->stdio && a->in_ctr));
	if (a->stdio) {
		CHECK(strcmp(arg, "-") == 0 && a->path == arg && !a->ref[0]);
	} else if (a->in_ctr) {
		size_t n = strlen(a->ref);
		CHECK(n > 0 && n <= CPPATH_REF_MAX && arg[0] != '/' && a->ref[0] != '.');
		CHECK(!strchr(a->ref, '/') && !strchr(a->ref, ':'));
		CHECK(memcmp(arg, a->ref, n) == 0 && arg[n] == ':' && a->path == arg + n + 1);
		CHECK(a->path[0] != '\0');
	} else {
		const char *colon = strchr(arg, ':');
		CHECK(a->path == arg && !a->ref[0] && strcmp(arg, "-") != 0);
		CHECK(arg[0] == '/' || arg[0] == '.' || !colon ||
		      memchr(arg, '/', (size_t)(colon - arg)));
	}
	return true;
}

static char base[PATH_MAX], dir[PATH_MAX], small[8], joined[2 * PATH_MAX + 2];
static char trimmed[COPY_NAME_MAX * 2 + 8];

/* base, dir, entry name and the `/.` and `/` predicates of one path. */
static void check_names(const char *path, size_t cap)
{
	struct kerr err;
	size_t n = strlen(path);
	int rb = cppath_base(path, base, sizeof(base), &err);
	int rd = cppath_dir(path, dir, sizeof(dir), &err);

	CHECK(terminated(base, sizeof(base)) && terminated(dir, sizeof(dir)));
	if (rb == 0) {
		CHECK(base[0] && (!strchr(base, '/') || strcmp(base, "/") == 0));
		/* a small buffer gives the same answer or fails without truncating */
		int rs = cppath_base(path, small, cap, &err);
		CHECK(terminated(small, cap));
		if (rs == 0)
			CHECK(strcmp(small, base) == 0);
		else
			CHECK(!small[0] && strlen(base) >= cap && err.msg[0]);
		char name[NAME_MAX + 1];
		int re = cppath_entry_name(path, name, sizeof(name), &err);
		CHECK(terminated(name, sizeof(name)));
		if (re == 0) {
			bool special =
				!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..");
			CHECK(special ? !name[0] : strcmp(name, base) == 0);
		} else {
			CHECK(strlen(base) > NAME_MAX && !name[0]);
		}
		CHECK(cppath_is_contents(path) == (n > 0 && strcmp(base, ".") == 0));
	} else {
		check_msg(&err);
		CHECK(!base[0]);
	}
	CHECK(cppath_asserts_dir(path) ==
	      ((n > 0 && path[n - 1] == '/') || cppath_is_contents(path)));
	if (rd == 0) {
		CHECK(dir[0]);
		int rs = cppath_dir(path, small, cap, &err);
		CHECK(terminated(small, cap));
		if (rs == 0)
			CHECK(strcmp(small, dir) == 0);
		else
			CHECK(!small[0] && strlen(dir) >= cap);
	} else {
		check_msg(&err);
		CHECK(!dir[0]);
	}
	if (rb < 0 || rd < 0 || n >= sizeof(trimmed))
		return;
	/* dir and base rejoin to the path, up to repeated and trailing slashes */
	memcpy(trimmed, path, n + 1);
	while (n > 1 && trimmed[n - 1] == '/')
		trimmed[--n] = '\0';
	if (n == 0) {
		CHECK(!strcmp(base, ".") && !strcmp(dir, "."));
	} else if (strcmp(base, "/") == 0) {
		CHECK(!strcmp(trimmed, "/") && !strcmp(dir, "/"));
	} else if (!strchr(trimmed, '/')) {
		CHECK(!strcmp(dir, ".") && !strcmp(base, trimmed));
	} else {
		strcpy(joined, dir);
		strcat(joined, "/");
		strcat(joined, base);
		collapse(joined);
		collapse(trimmed);
		CHECK(strcmp(joined, trimmed) == 0);
	}
}

static void check_plan(const struct cppath_arg *src, bool src_dir, int state,
		       const struct cppath_arg *dst)
{
	static struct cppath_plan p, q;
	struct kerr err, err2;
	char sname[NAME_MAX + 1];

	memset(&p, 0xa5, sizeof(p));
	memset(&q, 0x5a, sizeof(q));
	int r = cppath_plan(src, src_dir, (enum cppath_dst)state, dst, &p, &err);
	CHECK(cppath_plan(src, src_dir, (enum cppath_dst)state, dst, &q, &err2) == r);
	CHECK(terminated(p.dir, sizeof(p.dir)) && terminated(p.name, sizeof(p.name)));
	CHECK(p.into_dst == q.into_dst && !strcmp(p.dir, q.dir) && !strcmp(p.name, q.name));
	CHECK(!strchr(p.name, '/') && strcmp(p.name, "..") != 0 && strcmp(p.name, ".") != 0);
	if (r < 0) {
		check_msg(&err);
		CHECK(strcmp(err.msg, err2.msg) == 0);
		return;
	}
	CHECK(r == 0 && state <= CPPATH_DST_DIR && p.dir[0]);
	CHECK(cppath_src_name(src, src_dir, sname, &err) == 0);
	if (p.into_dst) {
		CHECK(state == CPPATH_DST_DIR && !strcmp(p.dir, dst->path));
		CHECK(!strcmp(p.name, sname));
		return;
	}
	/* under DST's own name in DST's parent; never a directory onto a file, never a
	 * file into a missing directory */
	CHECK(state != CPPATH_DST_DIR && p.name[0]);
	CHECK(!(src_dir && state == CPPATH_DST_FILE));
	CHECK(!(state == CPPATH_DST_MISSING && !src_dir && cppath_asserts_dir(dst->path)));
	CHECK(!(state == CPPATH_DST_FILE && cppath_asserts_dir(dst->path)));
	CHECK(cppath_dir(dst->path, dir, sizeof(dir), &err) == 0 && !strcmp(dir, p.dir));
	CHECK(cppath_base(dst->path, base, sizeof(base), &err) == 0 && !strcmp(base, p.name));
}

/* Member-name cleaning: relative, no `.`/`..`/empty components, stable. */
static void check_clean(const char *name, size_t cap)
{
	static char out[COPY_NAME_MAX + 1], again[COPY_NAME_MAX + 1];
	char tiny[8];
	struct kerr err;
	int r = copy_tar_clean_name(name, out, sizeof(out), &err);

	if (r < 0) {
		check_msg(&err);
		CHECK(copy_tar_clean_name(name, tiny, cap, &err) < 0);
		return;
	}
	size_t n = strlen(out);
	CHECK(n <= strlen(name) && out[0] != '/' && (n == 0 || out[n - 1] != '/'));
	CHECK(!strstr(out, "//"));
	for (const char *c = out; *c;) {
		size_t len = strcspn(c, "/");
		CHECK(len > 0 && !(len == 1 && c[0] == '.') &&
		      !(len == 2 && c[0] == '.' && c[1] == '.'));
		c += len + (c[len] == '/');
	}
	CHECK(copy_tar_clean_name(out, again, sizeof(again), &err) == 0 && !strcmp(again, out));
	int rs = copy_tar_clean_name(name, tiny, cap, &err);
	CHECK(rs == 0 ? !strcmp(tiny, out) : n + 1 > cap);
}

/* An exact-size NUL-terminated copy, so reading past the NUL is an ASan report. */
static char *dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cppath_arg a, b;
	struct kerr err;

	if (size == 0)
		return 0;
	uint8_t flags = data[0];
	bool src_dir = flags & 1;
	int state = (flags >> 1) & 3;
	size_t cap = 1 + ((flags >> 3) & 7);
	data++;
	size--;
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	const uint8_t *d2 = nul ? nul + 1 : data + size;
	size_t rest = nul ? size - n1 - 1 : 0;
	const uint8_t *nul2 = memchr(d2, 0, rest);
	size_t n2 = nul2 ? (size_t)(nul2 - d2) : rest;
	char *src = dup_n(data, n1), *dst = dup_n(d2, n2);

	if (!src || !dst) {
		free(src);
		free(dst);
		return 0;
	}
	bool ok_a = check_parse(src, &a), ok_b = check_parse(dst, &b);
	if (ok_a && ok_b) {
		int r = cppath_check_pair(&a, &b, &err);
		CHECK((r == 0) == (a.in_ctr != b.in_ctr));
		if (r < 0)
			check_msg(&err);
		check_plan(&a, src_dir, state, &b);
		check_names(a.path, cap);
		check_names(b.path, cap);
	}
	check_names(src, cap);
	check_names(dst, cap);
	check_clean(src, cap);
	check_clean(dst, cap);
	free(src);
	free(dst);
	return 0;
}
