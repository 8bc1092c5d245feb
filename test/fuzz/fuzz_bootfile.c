/*
 * fuzz_bootfile: libFuzzer target for the containers file of `kettle daemon --boot` (test
 * layer, fuzzes src/boot/bootfile.c).
 *
 * Input: the whole file, copied into an exact-size heap buffer so ASan sees any read past
 * its end. Checked: every call makes progress and the entries end; each line holds 1 to
 * BOOTFILE_ARGS_MAX words, NULL-terminated, each a NUL-terminated string inside the line's
 * buffer, without a control character other than tab; line numbers never go back; every
 * refusal has a message that names its line; and each line's words, quoted again with
 * single quotes, split into the same words (a round trip through the splitter). Any
 * violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootfile.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct bootfile_line line, again; /* 64 KiB each: static */
static char quoted[4 * BOOTFILE_LINE_MAX + 2 * BOOTFILE_ARGS_MAX + 8];

/* Each word of l in '…' (a ' as '\''), separated by spaces, into quoted; its length. */
static size_t requote(const struct bootfile_line *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->argc; i++) {
		if (i)
			quoted[n++] = ' ';
		quoted[n++] = '\'';
		for (const char *p = l->argv[i]; *p; p++) {
			if (*p == '\'') {
				memcpy(quoted + n, "'\\''", 4);
				n += 4;
			} else {
				quoted[n++] = *p;
			}
		}
		quoted[n++] = '\'';
	}
	return n;
}

static void check_line(const struct bootfile_line *l)
{
	CHECK(l->argc >= 1 && l->argc <= BOOTFILE_ARGS_MAX);
	CHECK(l->argv[l->argc] == NULL);
	for (size_t i = 0; i < l->argc; i++) {
		const char *w = l->argv[i];

		CHECK(w >= l->buf && w < l->buf + sizeof(l->buf));
		const char *end = memchr(w, '\0', (size_t)(l->buf + sizeof(l->buf) - w));
		CHECK(end);
		for (const char *p = w; p < end; p++)
			CHECK(((unsigned char)*p >= 0x20 || *p == '\t') && *p != 0x7f);
		if (i + 1 < l->argc)
			CHECK(l->argv[i + 1] == end + 1);
	}
}

static void round_trip(const struct bootfile_line *l)
{
	struct bootfile bf;
	struct kerr err;
	size_t n = requote(l);
	char *copy = malloc(n ? n : 1);

	CHECK(copy);
	memcpy(copy, quoted, n);
	bootfile_init(&bf, copy, n);
	CHECK(bootfile_next(&bf, &again, &err) == 1);
	CHECK(again.argc == l->argc);
	for (size_t i = 0; i < l->argc; i++)
		CHECK(strcmp(again.argv[i], l->argv[i]) == 0);
	CHECK(bootfile_next(&bf, &again, &err) == 0);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct bootfile bf;
	struct kerr err;
	unsigned last = 1, entries = 0;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	bootfile_init(&bf, text, size);
	for (;;) {
		size_t before = bf.off;

		r = bootfile_next(&bf, &line, &err);
		CHECK(bf.off <= size);
		if (r == 0)
			break;
		CHECK(bf.off > before || bf.off == size);
		CHECK(++entries <= BOOTFILE_LINES_MAX + 1);
		if (r < 0) {
			CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
			CHECK(strncmp(err.msg, "line ", 5) == 0);
			continue;
		}
		CHECK(r == 1);
		CHECK(line.lineno >= last);
		last = line.lineno;
		check_line(&line);
		round_trip(&line);
	}
	/* At the end it stays at the end. */
	CHECK(bootfile_next(&bf, &line, &err) == 0);
	free(text);
	return 0;
}
