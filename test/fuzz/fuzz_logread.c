/*
 * fuzz_logread: libFuzzer target for the CRI record parser (test layer, fuzzes
 * src/logs/logread.c).
 *
 * The input is cut at every '\n' and each line goes to logread_parse. Whatever parses
 * must rebuild the same line from its fields: clock.c's rendering of the timestamp equals
 * the 30 bytes read, the stream and tag words are the ones in the prefix, and the body is
 * the rest without a newline; any mismatch aborts. Nothing touches the disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "logs/logread.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void one_line(const uint8_t *p, size_t n)
{
	struct logread_rec rec;
	struct kerr err;
	char ts[CLOCK_RFC3339NANO_LEN + 1];

	if (logread_parse(p, n, &rec, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		return;
	}
	CHECK(n >= LOGFILE_PREFIX_LEN && rec.ts_ns >= 0);
	clock_format_rfc3339nano(rec.ts_ns, ts);
	CHECK(memcmp(ts, p, LOGREAD_TS_LEN) == 0);
	CHECK(rec.ts == (const char *)p);
	CHECK(memcmp(p + 31, rec.stream == LOGFILE_STDOUT ? "stdout" : "stderr", 6) == 0);
	CHECK(p[38] == (rec.partial ? 'P' : 'F'));
	CHECK(rec.body == p + LOGFILE_PREFIX_LEN && rec.len == n - LOGFILE_PREFIX_LEN);
	CHECK(!memchr(rec.body, '\n', rec.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;

	for (size_t i = 0; i < size; i++) {
		if (data[i] != '\n')
			continue;
		one_line(data + start, i - start);
		start = i + 1;
	}
	one_line(data + start, size - start);
	return 0;
}
