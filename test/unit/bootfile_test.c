/*
 * bootfile_test: the containers file's splitter (test layer).
 *
 * Each case is a whole file and what a shell would make of each line, written out as the
 * words joined by '|'; refusals are checked for their line, column and wording, and for the
 * lines after them still being read. The limits are hit exactly and one past.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "boot/bootfile.h"

static struct bootfile_line storage; /* 64 KiB: static, not on the stack */
static struct bootfile_line *const ln = &storage;

/* The words of out joined by '|' into buf. */
static const char *joined(const struct bootfile_line *out, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < out->argc; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? "|" : "", out->argv[i]);

		if (w < 0 || (size_t)w >= cap - n)
			return "(too long)";
		n += (size_t)w;
	}
	return buf;
}

/* Every entry of text, each "words" or "!message", joined by '\n'. */
static const char *entries(const char *text, char *buf, size_t cap)
{
	struct bootfile bf;
	struct kerr err;
	char words[1024];
	size_t n = 0;
	int r;

	buf[0] = '\0';
	bootfile_init(&bf, text, strlen(text));
	while ((r = bootfile_next(&bf, ln, &err)) != 0) {
		int w;

		if (r > 0)
			w = snprintf(buf + n, cap - n, "%s%u:%s", n ? "\n" : "", ln->lineno,
				     joined(ln, words, sizeof(words)));
		else
			w = snprintf(buf + n, cap - n, "%s!%s", n ? "\n" : "", err.msg);
		if (w < 0 || (size_t)w >= cap - n)
			return "(too long)";
		n += (size_t)w;
	}
	return buf;
}

#define EXPECT(text, want)                                                                         \
	do {                                                                                       \
		char harness_buf[4096];                                                            \
		ASSERT_STREQ(entries((text), harness_buf, sizeof(harness_buf)), (want));           \
	} while (0)

TEST(words_as_a_shell_splits_them)
{
	EXPECT("", "");
	EXPECT("\n\n  \t\n", "");
	EXPECT("--name web --rootfs /r httpd -f\n", "1:--name|web|--rootfs|/r|httpd|-f");
	EXPECT("a  b\t\tc", "1:a|b|c");
	EXPECT("\n\na\n\nb\n", "3:a\n5:b");
	EXPECT("'a b' \"c d\" e\\ f", "1:a b|c d|e f");
	EXPECT("'' \"\" x''y", "1:||xy");
	EXPECT("sh -c 'echo $HOME; ls | wc -l'", "1:sh|-c|echo $HOME; ls | wc -l");
	EXPECT("\"a\\\"b\\\\c\\$d\\`e\\nf\"", "1:a\"b\\c$d`e\\nf");
	EXPECT("'it'\\''s'", "1:it's");
	EXPECT("a\\$b \\*", "1:a$b|*");
	EXPECT("-e A=~ x~y", "1:-e|A=~|x~y");
	EXPECT("a#b # a comment\n# whole line\nc", "1:a#b\n3:c");
	EXPECT("{a,b} !x %y ^z @w", "1:{a,b}|!x|%y|^z|@w");
	EXPECT("caf\xc3\xa9 \xff", "1:caf\xc3\xa9|\xff");
}

TEST(continuation_lines)
{
	EXPECT("--name web \\\n  --rootfs /r \\\n  httpd\nnext",
	       "1:--name|web|--rootfs|/r|httpd\n4:next");
	EXPECT("ab\\\ncd", "1:abcd");
	EXPECT("\"ab\\\ncd\"", "1:abcd");
	EXPECT("a \\\n\nb", "1:a\n3:b");
}

TEST(refusals_name_line_and_column)
{
	EXPECT("echo $HOME",
	       "!line 1, column 6: `$` would be expanded by a shell: quote it with '…'");
	EXPECT("a\nb `x`\nc", "1:a\n!line 2, column 3: a backquote would be expanded by a shell: "
			      "quote it with '…'\n3:c");
	EXPECT("\"$x\"", "!line 1, column 2: `$` would be expanded by a shell inside \"…\": "
			 "quote it with '…'");
	EXPECT("a;b", "!line 1, column 2: `;` is a shell operator: quote it with '…'");
	EXPECT("a|b", "!line 1, column 2: `|` is a shell operator: quote it with '…'");
	EXPECT("a > f", "!line 1, column 3: `>` is a shell operator: quote it with '…'");
	EXPECT("x &", "!line 1, column 3: `&` is a shell operator: quote it with '…'");
	EXPECT("(x)", "!line 1, column 1: `(` is a shell operator: quote it with '…'");
	EXPECT("*.log", "!line 1, column 1: `*` would be a pattern to a shell: quote it with '…'");
	EXPECT("a?", "!line 1, column 2: `?` would be a pattern to a shell: quote it with '…'");
	EXPECT("[ab]", "!line 1, column 1: `[` would be a pattern to a shell: quote it with '…'");
	EXPECT("~/x", "!line 1, column 1: `~` at the start of a word would be expanded by a "
		      "shell: quote it with '…'");
	EXPECT("'abc\nnext", "!line 1, column 5: a single quote is not closed on its line\n2:next");
	EXPECT("x \"abc\nnext", "!line 1, column 7: a double quote is not closed on its line\n"
				"2:next");
	EXPECT("'abc", "!line 1, column 5: a single quote is not closed at the end of the file");
	EXPECT("\"abc", "!line 1, column 5: a double quote is not closed at the end of the file");
	EXPECT("abc\\", "!line 1, column 4: a backslash at the end of the file");
	EXPECT("a\rb\nc", "!line 1, column 2: a carriage return (DOS line endings?)\n2:c");
	EXPECT("a\x01 b\nc", "!line 1, column 2: a control character (0x01)\n2:c");
	EXPECT("'a\x7f'", "!line 1, column 3: a control character (0x7f)");
	EXPECT("\\\x02", "!line 1, column 2: a control character (0x02)");
}

TEST(refused_line_is_skipped_to_its_real_end)
{
	/* The bad line continues over two more lines: all three go, the fourth is read. */
	EXPECT("a $x \\\n b \\\n c\nd", "!line 1, column 3: `$` would be expanded by a shell: "
					"quote it with '…'\n4:d");
	EXPECT("a\nb;\nc;\nd", "1:a\n!line 2, column 2: `;` is a shell operator: quote it with "
			       "'…'\n!line 3, column 2: `;` is a shell operator: quote it with "
			       "'…'\n4:d");
}

TEST(nul_byte_is_refused)
{
	static const char text[] = "a\0b\nc";
	struct bootfile bf;
	struct kerr err;

	bootfile_init(&bf, text, sizeof(text) - 1);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), -1);
	ASSERT_STREQ(err.msg, "line 1, column 2: a NUL byte");
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 1);
	ASSERT_STREQ(ln->argv[0], "c");
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 0);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 0);
}

/* A backslash inside "…" before a NUL or a control byte: refused, never taken into the word
 * (strchr's set holds its own NUL: a fuzz_bootfile finding). */
TEST(backslash_before_a_control_byte_in_double_quotes)
{
	static const char text[] = "\"a\\\0b\"\n\"a\\\x01\"\nc";
	struct bootfile bf;
	struct kerr err;

	bootfile_init(&bf, text, sizeof(text) - 1);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), -1);
	ASSERT_STREQ(err.msg, "line 1, column 4: a NUL byte");
	ASSERT_EQ(bootfile_next(&bf, ln, &err), -1);
	ASSERT_STREQ(err.msg, "line 2, column 4: a control character (0x01)");
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 1);
	ASSERT_STREQ(ln->argv[0], "c");
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 0);
}

TEST(limits)
{
	size_t n = 2 * BOOTFILE_ARGS_MAX + 2;
	char *text = malloc(BOOTFILE_LINE_MAX + 16);
	struct bootfile bf;
	struct kerr err;

	ASSERT(text);
	/* BOOTFILE_ARGS_MAX words pass, one more is refused. */
	for (size_t i = 0; i < n; i += 2)
		memcpy(text + i, "x ", 2);
	bootfile_init(&bf, text, 2 * BOOTFILE_ARGS_MAX);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 1);
	ASSERT_EQ(ln->argc, BOOTFILE_ARGS_MAX);
	ASSERT(ln->argv[BOOTFILE_ARGS_MAX] == NULL);
	bootfile_init(&bf, text, n);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), -1);
	ASSERT_CONTAINS(err.msg, "more than 1024 words");
	/* One word of BOOTFILE_LINE_MAX - 1 bytes (its NUL fills the buffer) passes. */
	memset(text, 'y', BOOTFILE_LINE_MAX);
	bootfile_init(&bf, text, BOOTFILE_LINE_MAX - 1);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 1);
	ASSERT_EQ(strlen(ln->argv[0]), BOOTFILE_LINE_MAX - 1);
	bootfile_init(&bf, text, BOOTFILE_LINE_MAX);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), -1);
	ASSERT_CONTAINS(err.msg, "exceed 65536 bytes");
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 0);
	free(text);

	/* BOOTFILE_LINES_MAX entries pass; the next one ends the file. */
	text = malloc(2 * BOOTFILE_LINES_MAX + 8);
	ASSERT(text);
	for (size_t i = 0; i < BOOTFILE_LINES_MAX + 2; i++)
		memcpy(text + 2 * i, "z\n", 2);
	bootfile_init(&bf, text, 2 * (BOOTFILE_LINES_MAX + 2));
	for (int i = 0; i < BOOTFILE_LINES_MAX; i++)
		ASSERT_EQ(bootfile_next(&bf, ln, &err), 1);
	ASSERT_EQ(bootfile_next(&bf, ln, &err), -1);
	ASSERT_STREQ(err.msg, "line 1001: more than 1000 containers");
	ASSERT_EQ(bootfile_next(&bf, ln, &err), 0);
	free(text);
}

RUN_TESTS(T(words_as_a_shell_splits_them), T(continuation_lines), T(refusals_name_line_and_column),
	  T(refused_line_is_skipped_to_its_real_end), T(nul_byte_is_refused),
	  T(backslash_before_a_control_byte_in_double_quotes), T(limits))
