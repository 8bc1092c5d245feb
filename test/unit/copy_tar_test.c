/*
 * copy_tar_test: unit tests for src/copy/copy_tar.c, the tar header decoder (test layer).
 *
 * pax records (lengths that must match, numbers and fractions, unsupported sparse keys) and
 * member-name cleaning (leading '/', '.' and empty components dropped, `..` refused, the
 * output cap). Headers built by hand, with their rejections, are tested through the
 * extractor in copy_test.c. Pure: no files.
 */
#include <string.h>

#include "copy/copy_tar.h"
#include "harness.h"

TEST(pax_records)
{
	struct copy_ext e;
	struct kerr err;

	memset(&e, 0, sizeof(e));
	const char ok[] = "16 path=a/b/c/d\n19 size=1234567890\n22 mtime=1700000000.5\n";
	ASSERT_EQ(copy_tar_pax_parse(ok, strlen(ok), &e, &err), 0);
	ASSERT_STREQ(e.path, "a/b/c/d");
	ASSERT_U64_EQ(e.size, 1234567890ULL);
	ASSERT_EQ(e.mtime, 1700000000);
	ASSERT_EQ(e.mtime_ns, 500000000);
	ASSERT_EQ(copy_tar_pax_parse("99 path=x\n", 10, &e, &err), -1);
	ASSERT_CONTAINS(err.msg, "malformed pax record");
	ASSERT_EQ(copy_tar_pax_parse("9 path=x\n", 9, &e, &err), 0);
	ASSERT_EQ(copy_tar_pax_parse("12 size=-1\n", 11, &e, &err), -1);
	ASSERT_EQ(copy_tar_pax_parse("10 =value\n", 10, &e, &err), -1);
	ASSERT_EQ(copy_tar_pax_parse("8 size=\n", 8, &e, &err), -1);
	ASSERT_EQ(copy_tar_pax_parse("22 GNU.sparse.major=1\n", 22, &e, &err), -1);
	ASSERT_CONTAINS(err.msg, "sparse");
}

TEST(clean_names)
{
	char out[64];
	struct kerr err;

	ASSERT_EQ(copy_tar_clean_name("/a//b/./c/", out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "a/b/c");
	ASSERT_EQ(copy_tar_clean_name("./", out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "");
	ASSERT_EQ(copy_tar_clean_name("a/..", out, sizeof(out), &err), -1);
	ASSERT_EQ(copy_tar_clean_name("..a/b..", out, sizeof(out), &err), 0);
	ASSERT_STREQ(out, "..a/b..");
	ASSERT_EQ(copy_tar_clean_name(
			  "0123456789012345678901234567890123456789012345678901234567890123", out,
			  sizeof(out), &err),
		  -1);
}

RUN_TESTS(T(pax_records), T(clean_names))
