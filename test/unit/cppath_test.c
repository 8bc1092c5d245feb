/*
 * cppath_test: unit tests for src/copy/cppath.c (test layer).
 *
 * Argument parsing (docker's splitCpArg cases, kettle's `:` after `/` rule, the errors),
 * the pair rule, POSIX base and dir names, `/.` and trailing-slash detection, and docker's
 * documented table (SRC file or directory x DST missing, a file, a directory, with `/`
 * or `/.`); then hostile input: empty strings, a lone `:`, paths longer than PATH_MAX,
 * `..` components and non-ASCII bytes, each giving a bounded result or a message.
 */
#include <limits.h>
#include <string.h>

#include "copy/cppath.h"
#include "harness.h"

/* Parses src and dst (both must parse) and plans; returns cppath_plan's result. */
static int plan(const char *s, bool src_dir, enum cppath_dst st, const char *d,
		struct cppath_plan *p, struct kerr *err)
{
	struct cppath_arg a, b;

	if (cppath_parse(s, &a, err) < 0 || cppath_parse(d, &b, err) < 0)
		return -2;
	return cppath_plan(&a, src_dir, st, &b, p, err);
}

TEST(parse_stdio_container_and_local)
{
	struct cppath_arg a;
	struct kerr err;

	ASSERT_EQ(cppath_parse("-", &a, &err), 0);
	ASSERT(a.stdio && !a.in_ctr);
	ASSERT_STREQ(a.path, "-");
	ASSERT_STREQ(a.ref, "");

	ASSERT_EQ(cppath_parse("box:/data/f", &a, &err), 0);
	ASSERT(a.in_ctr && !a.stdio);
	ASSERT_STREQ(a.ref, "box");
	ASSERT_STREQ(a.path, "/data/f");
	ASSERT_STREQ(a.arg, "box:/data/f");

	ASSERT_EQ(cppath_parse("box:rel/x", &a, &err), 0);
	ASSERT(a.in_ctr);
	ASSERT_STREQ(a.path, "rel/x");

	/* only the first `:` splits */
	ASSERT_EQ(cppath_parse("a:b:c", &a, &err), 0);
	ASSERT_STREQ(a.ref, "a");
	ASSERT_STREQ(a.path, "b:c");
	ASSERT_EQ(cppath_parse("box::x", &a, &err), 0);
	ASSERT_STREQ(a.ref, "box");
	ASSERT_STREQ(a.path, ":x");

	/* a `-` with more after it is a name, not stdio */
	ASSERT_EQ(cppath_parse("-:x", &a, &err), 0);
	ASSERT(a.in_ctr && !a.stdio);
	ASSERT_STREQ(a.ref, "-");
}

TEST(parse_local_forms)
{
	static const char *const local[] = {
		"plain", "/abs/path", "/abs:colon", "./a:b", ".hidden:x", "../up:x",
		"a/b:c", "dir/",      ".",	    "/",     "--",	  "a b",
	};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		struct cppath_arg a;
		struct kerr err;

		ASSERT_EQ(cppath_parse(local[i], &a, &err), 0);
		ASSERT(!a.in_ctr && !a.stdio);
		ASSERT(a.path == local[i]);
		ASSERT_STREQ(a.ref, "");
	}
}

TEST(parse_errors)
{
	struct cppath_arg a;
	struct kerr err;

	ASSERT_EQ(cppath_parse("", &a, &err), -1);
	ASSERT_STREQ(err.msg, "an empty argument names no path (`.` is the current directory)");
	ASSERT_EQ(cppath_parse(":", &a, &err), -1);
	ASSERT_STREQ(err.msg, "`:` has an empty container name (a local path with a `:` is "
			      "written `./:`)");
	ASSERT_EQ(cppath_parse(":x", &a, &err), -1);
	ASSERT_CONTAINS(err.msg, "`./:x`");
	ASSERT_EQ(cppath_parse("box:", &a, &err), -1);
	ASSERT_STREQ(err.msg, "`box:` has an empty path (the container's root is `box:/`)");
	ASSERT_EQ(cppath_parse("box:", &a, &err), -1);
	ASSERT(!a.in_ctr);
	ASSERT_STREQ(a.ref, "");
}

TEST(parse_ref_length_cap)
{
	char arg[CPPATH_REF_MAX + 8];
	struct cppath_arg a;
	struct kerr err;

	memset(arg, 'c', CPPATH_REF_MAX);
	strcpy(arg + CPPATH_REF_MAX, ":/x");
	ASSERT_EQ(cppath_parse(arg, &a, &err), 0);
	ASSERT(a.in_ctr);
	ASSERT_EQ(strlen(a.ref), CPPATH_REF_MAX);
	ASSERT_STREQ(a.path, "/x");

	memset(arg, 'c', CPPATH_REF_MAX + 1);
	strcpy(arg + CPPATH_REF_MAX + 1, ":/x");
	ASSERT_EQ(cppath_parse(arg, &a, &err), -1);
	ASSERT_CONTAINS(err.msg, "is 256 bytes, at most 255 are allowed");
	ASSERT(!a.in_ctr);
}

TEST(parse_weird_bytes)
{
	struct cppath_arg a;
	struct kerr err;

	ASSERT_EQ(cppath_parse("\x01\xff\t:\x7f\xc3\xa9 \n", &a, &err), 0);
	ASSERT(a.in_ctr);
	ASSERT_STREQ(a.ref, "\x01\xff\t");
	ASSERT_STREQ(a.path, "\x7f\xc3\xa9 \n");
}

TEST(pair_rule)
{
	struct cppath_arg c1, c2, l, s;
	struct kerr err;

	ASSERT_EQ(cppath_parse("box:/a", &c1, &err), 0);
	ASSERT_EQ(cppath_parse("other:/b", &c2, &err), 0);
	ASSERT_EQ(cppath_parse("/host", &l, &err), 0);
	ASSERT_EQ(cppath_parse("-", &s, &err), 0);
	ASSERT_EQ(cppath_check_pair(&c1, &l, &err), 0);
	ASSERT_EQ(cppath_check_pair(&l, &c1, &err), 0);
	ASSERT_EQ(cppath_check_pair(&s, &c1, &err), 0);
	ASSERT_EQ(cppath_check_pair(&c1, &s, &err), 0);
	ASSERT_EQ(cppath_check_pair(&c1, &c2, &err), -1);
	ASSERT_STREQ(err.msg, "copying between containers is not supported");
	ASSERT_EQ(cppath_check_pair(&l, &s, &err), -1);
	ASSERT_STREQ(err.msg, "one of SRC and DST must be CONTAINER:PATH (got `/host` and `-`)");
	ASSERT_EQ(cppath_check_pair(&s, &s, &err), -1);
}

TEST(base_and_dir_are_posix)
{
	static const struct {
		const char *path, *base, *dir;
	} cases[] = {
		{ "", ".", "." },	    { "/", "/", "/" },		 { "///", "/", "/" },
		{ "a", "a", "." },	    { "a/", "a", "." },		 { "a//", "a", "." },
		{ "/a", "a", "/" },	    { "//a", "a", "/" },	 { "/a/b", "b", "/a" },
		{ "a//b//", "b", "a" },	    { ".", ".", "." },		 { "..", "..", "." },
		{ "a/..", "..", "a" },	    { "../..", "..", ".." },	 { "x/.", ".", "x" },
		{ "/a/b/c/", "c", "/a/b" }, { "a:b/c:d", "c:d", "a:b" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[PATH_MAX];
		struct kerr err;

		ASSERT_EQ(cppath_base(cases[i].path, out, sizeof(out), &err), 0);
		ASSERT_STREQ(out, cases[i].base);
		ASSERT_EQ(cppath_dir(cases[i].path, out, sizeof(out), &err), 0);
		ASSERT_STREQ(out, cases[i].dir);
	}
}

TEST(entry_name_drops_dot_dotdot_and_root)
{
	static const struct {
		const char *path, *name;
	} cases[] = {
		{ "/", "" },	{ ".", "" },	 { "..", "" },	{ "x/.", "" },	  { "x/..", "" },
		{ "x/./", "" }, { "/a/b", "b" }, { "a/", "a" }, { "...", "..." }, { ".x", ".x" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[NAME_MAX + 1];
		struct kerr err;

		ASSERT_EQ(cppath_entry_name(cases[i].path, out, sizeof(out), &err), 0);
		ASSERT_STREQ(out, cases[i].name);
	}
}

TEST(contents_and_trailing_slash)
{
	ASSERT(cppath_is_contents("."));
	ASSERT(cppath_is_contents("x/."));
	ASSERT(cppath_is_contents("/."));
	ASSERT(cppath_is_contents("x/./"));
	ASSERT(cppath_is_contents("x/.//"));
	ASSERT(!cppath_is_contents(""));
	ASSERT(!cppath_is_contents("/"));
	ASSERT(!cppath_is_contents("x."));
	ASSERT(!cppath_is_contents(".."));
	ASSERT(!cppath_is_contents("x/.."));
	ASSERT(!cppath_is_contents(".x"));

	ASSERT(cppath_asserts_dir("x/"));
	ASSERT(cppath_asserts_dir("/"));
	ASSERT(cppath_asserts_dir("x/."));
	ASSERT(!cppath_asserts_dir("x"));
	ASSERT(!cppath_asserts_dir(""));
	ASSERT(!cppath_asserts_dir("x/.."));
}

TEST(small_buffers_fail_without_truncating)
{
	char out[4];
	struct kerr err;

	ASSERT_EQ(cppath_base("/a/abc", out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "abc");
	ASSERT_EQ(cppath_base("/a/abcd", out, sizeof(out), &err), -1);
	ASSERT_STREQ(out, "");
	ASSERT_CONTAINS(err.msg, "is 4 bytes, at most 3 are allowed");
	ASSERT_EQ(cppath_dir("abcd/x", out, sizeof(out), &err), -1);
	ASSERT_STREQ(out, "");
	ASSERT_EQ(cppath_dir("abc/x", out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "abc");
	ASSERT_EQ(cppath_base("x", out, 0, &err), -1);
	ASSERT(err.msg[0]);
}

/* docs.docker.com "docker container cp": SRC is a file. */
TEST(docker_table_src_file)
{
	struct cppath_plan p;
	struct kerr err;

	/* DST does not exist: saved to a file created at DST */
	ASSERT_EQ(plan("box:/data/f", false, CPPATH_DST_MISSING, "/out/f1", &p, &err), 0);
	ASSERT(!p.into_dst);
	ASSERT_STREQ(p.dir, "/out");
	ASSERT_STREQ(p.name, "f1");
	ASSERT_EQ(plan("box:/data/f", false, CPPATH_DST_MISSING, "f1", &p, &err), 0);
	ASSERT_STREQ(p.dir, ".");
	ASSERT_STREQ(p.name, "f1");
	/* DST does not exist and ends with `/`: the directory must exist */
	ASSERT_EQ(plan("box:/data/f", false, CPPATH_DST_MISSING, "/out/nodir/", &p, &err), -1);
	ASSERT_STREQ(err.msg, "destination directory `/out/nodir/` does not exist");
	ASSERT_EQ(plan("/in/h", false, CPPATH_DST_MISSING, "box:/nodir/.", &p, &err), -1);
	ASSERT_STREQ(err.msg, "destination directory `box:/nodir/.` does not exist");
	/* DST exists and is a file: overwritten */
	ASSERT_EQ(plan("box:/data/f", false, CPPATH_DST_FILE, "/out/repl", &p, &err), 0);
	ASSERT(!p.into_dst);
	ASSERT_STREQ(p.dir, "/out");
	ASSERT_STREQ(p.name, "repl");
	/* ... unless DST says it is a directory */
	ASSERT_EQ(plan("box:/data/f", false, CPPATH_DST_FILE, "/out/repl/", &p, &err), -1);
	ASSERT_STREQ(err.msg, "destination `/out/repl/` must be a directory (it ends in `/` or "
			      "`/.`) but is a file");
	/* DST exists and is a directory: copied into it under SRC's base name */
	ASSERT_EQ(plan("box:/data/f", false, CPPATH_DST_DIR, "/out/existing", &p, &err), 0);
	ASSERT(p.into_dst);
	ASSERT_STREQ(p.dir, "/out/existing");
	ASSERT_STREQ(p.name, "f");
	ASSERT_EQ(plan("/in/h", false, CPPATH_DST_DIR, "box:/tmp/", &p, &err), 0);
	ASSERT_STREQ(p.dir, "/tmp/");
	ASSERT_STREQ(p.name, "h");
	/* a file cannot be a directory's contents */
	ASSERT_EQ(plan("box:/data/f/.", false, CPPATH_DST_DIR, "/out", &p, &err), -1);
	ASSERT_STREQ(err.msg, "source `box:/data/f/.` is not a directory");
}

/* docs.docker.com "docker container cp": SRC is a directory. */
TEST(docker_table_src_dir)
{
	struct cppath_plan p;
	struct kerr err;

	/* DST does not exist: created as a directory holding SRC's contents */
	ASSERT_EQ(plan("box:/data", true, CPPATH_DST_MISSING, "/out/d1", &p, &err), 0);
	ASSERT(!p.into_dst);
	ASSERT_STREQ(p.dir, "/out");
	ASSERT_STREQ(p.name, "d1");
	ASSERT_EQ(plan("/in/dir", true, CPPATH_DST_MISSING, "box:/newdir/", &p, &err), 0);
	ASSERT_STREQ(p.dir, "/");
	ASSERT_STREQ(p.name, "newdir");
	ASSERT_EQ(plan("box:/data/.", true, CPPATH_DST_MISSING, "d2", &p, &err), 0);
	ASSERT_STREQ(p.dir, ".");
	ASSERT_STREQ(p.name, "d2");
	/* DST exists and is a file: an error */
	ASSERT_EQ(plan("box:/data", true, CPPATH_DST_FILE, "/out/f1", &p, &err), -1);
	ASSERT_STREQ(err.msg, "cannot copy directory `box:/data` onto file `/out/f1`");
	/* DST is a directory, SRC without `/.`: the directory itself goes in */
	ASSERT_EQ(plan("box:/data", true, CPPATH_DST_DIR, "/out/existing", &p, &err), 0);
	ASSERT(p.into_dst);
	ASSERT_STREQ(p.name, "data");
	ASSERT_EQ(plan("box:/data/", true, CPPATH_DST_DIR, "/out/existing", &p, &err), 0);
	ASSERT_STREQ(p.name, "data");
	/* ... with `/.`: only its contents */
	ASSERT_EQ(plan("box:/data/.", true, CPPATH_DST_DIR, "/out/d2", &p, &err), 0);
	ASSERT(p.into_dst);
	ASSERT_STREQ(p.dir, "/out/d2");
	ASSERT_STREQ(p.name, "");
	/* the root and `..` are contents too */
	ASSERT_EQ(plan("box:/", true, CPPATH_DST_DIR, "/out", &p, &err), 0);
	ASSERT_STREQ(p.name, "");
	ASSERT_EQ(plan("box:/a/..", true, CPPATH_DST_DIR, "/out", &p, &err), 0);
	ASSERT_STREQ(p.name, "");
}

TEST(dst_without_a_name)
{
	struct cppath_plan p;
	struct kerr err;

	ASSERT_EQ(plan("box:/data", true, CPPATH_DST_MISSING, "/out/new/.", &p, &err), -1);
	ASSERT_STREQ(err.msg, "destination `/out/new/.` has no name to copy to");
	ASSERT_EQ(plan("box:/data", true, CPPATH_DST_MISSING, "/out/x/..", &p, &err), -1);
	ASSERT_STREQ(err.msg, "destination `/out/x/..` has no name to copy to");
	ASSERT_EQ(plan("box:/f", false, CPPATH_DST_MISSING, "..", &p, &err), -1);
	ASSERT_STREQ(p.name, "");
	/* a contradictory state still never yields `..` */
	ASSERT_EQ(plan("box:/f", false, CPPATH_DST_FILE, "x/..", &p, &err), -1);
	ASSERT(err.msg[0]);
	ASSERT_EQ(plan("box:/f", false, (enum cppath_dst)7, "x", &p, &err), -1);
	ASSERT_CONTAINS(err.msg, "unknown state 7");
}

TEST(dotdot_components_are_names_not_escapes)
{
	struct cppath_plan p;
	struct kerr err;

	/* the name is the last component only; `..` earlier stays in dir for openat2 to
	 * resolve inside the root */
	ASSERT_EQ(plan("box:/../../etc/passwd", false, CPPATH_DST_MISSING, "../out/p", &p, &err),
		  0);
	ASSERT_STREQ(p.dir, "../out");
	ASSERT_STREQ(p.name, "p");
	ASSERT_EQ(plan("box:/../..", true, CPPATH_DST_DIR, "/out", &p, &err), 0);
	ASSERT_STREQ(p.name, "");
}

TEST(huge_paths_are_refused_not_truncated)
{
	static char big[PATH_MAX * 2];
	char out[PATH_MAX];
	struct cppath_plan p;
	struct kerr err;

	/* a 300-byte last component: longer than NAME_MAX */
	memset(big, 0, sizeof(big));
	big[0] = '/';
	memset(big + 1, 'n', 300);
	ASSERT_EQ(cppath_entry_name(big, p.name, sizeof(p.name), &err), -1);
	ASSERT_STREQ(p.name, "");
	ASSERT_CONTAINS(err.msg, "is 300 bytes, at most 255 are allowed");
	ASSERT_EQ(plan(big, false, CPPATH_DST_DIR, "box:/x", &p, &err), -1);
	ASSERT_CONTAINS(err.msg, "source `/nnnn");

	/* a directory longer than PATH_MAX */
	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "d/", 2);
	big[sizeof(big) - 2] = 'f';
	big[sizeof(big) - 1] = '\0';
	ASSERT_EQ(cppath_dir(big, out, sizeof(out), &err), -1);
	ASSERT_STREQ(out, "");
	ASSERT_CONTAINS(err.msg, "at most 4095 are allowed");
	ASSERT_EQ(cppath_base(big, out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "f");
	ASSERT_EQ(plan("box:/f", false, CPPATH_DST_MISSING, big, &p, &err), -1);
	ASSERT_CONTAINS(err.msg, "destination `d/d/d/");
	ASSERT_STREQ(p.dir, "");
	ASSERT_EQ(plan("box:/f", false, CPPATH_DST_DIR, big, &p, &err), -1);
	ASSERT_STREQ(p.dir, "");
	/* the argument itself may be long: parsing borrows it */
	struct cppath_arg a;
	ASSERT_EQ(cppath_parse(big, &a, &err), 0);
	ASSERT(a.path == big);
}

RUN_TESTS(T(parse_stdio_container_and_local), T(parse_local_forms), T(parse_errors),
	  T(parse_ref_length_cap), T(parse_weird_bytes), T(pair_rule), T(base_and_dir_are_posix),
	  T(entry_name_drops_dot_dotdot_and_root), T(contents_and_trailing_slash),
	  T(small_buffers_fail_without_truncating), T(docker_table_src_file),
	  T(docker_table_src_dir), T(dst_without_a_name),
	  T(dotdot_components_are_names_not_escapes), T(huge_paths_are_refused_not_truncated))
