/*
 * fuzz_record: libFuzzer target for the container record (test layer, fuzzes
 * src/store/record_json.c, record_validate.c, record.c and the config generator in src/runtime/spec.c).
 *
 * The input is parsed as a create request and as a stored record. Whatever parses must
 * encode, parse again in the same mode, and encode to the very same bytes (the record's
 * JSON is a fixed point); a record with a rootfs must yield a config.json that json.h
 * parses; ps's command line must stay within its buffer. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "store/record.h"
#include "runtime/spec.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct json_tok toks[JSON_TOKENS_MAX]; /* for parsing generated configs */

static void check_spec(const struct record *r)
{
	struct kerr err;
	struct json_doc doc;
	struct buf b;

	buf_init(&b, 4u * 1024u * 1024u);
	CHECK(spec_generate(r, "/kettle/fuzz", NULL, &b, &err) == 0);
	CHECK(json_parse(&doc, (const char *)b.data, b.len, toks, JSON_TOKENS_MAX, &err) == 0);
	buf_done(&b);
}

static void round_trip(const uint8_t *data, size_t size, bool request)
{
	struct record r, r2;
	struct kerr err;
	struct buf b1, b2;
	char line[64];

	if (record_json_decode(&r, (const char *)data, size, request, &err) < 0) {
		CHECK(err.msg[0] != '\0');
		record_done(&r);
		return;
	}
	buf_init(&b1, RECORD_JSON_MAX * 8);
	buf_init(&b2, RECORD_JSON_MAX * 8);
	CHECK(record_json_encode(&r, &b1, &err) == 0);
	CHECK(record_json_decode(&r2, (const char *)b1.data, b1.len, request, &err) == 0);
	CHECK(record_json_encode(&r2, &b2, &err) == 0);
	CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
	record_command_line(&r, line, sizeof(line));
	CHECK(strlen(line) < sizeof(line));
	if (r.rootfs)
		check_spec(&r);
	buf_done(&b1);
	buf_done(&b2);
	record_done(&r2);
	record_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip(data, size, true);
	round_trip(data, size, false);
	return 0;
}
