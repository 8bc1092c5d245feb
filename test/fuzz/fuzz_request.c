/*
 * fuzz_request: libFuzzer target for the request table and checker (test layer, fuzzes
 * src/ipc/request.c on frames from src/ipc/wire.c).
 *
 * Input: two selector bytes, then a byte stream decoded frame after frame as a server's
 * receive buffer would be. Each frame is checked as it came and again re-stamped to a
 * request type picked by the selector (so every row is reached, whatever type the bytes
 * carry). request_check must agree with an independent reading of the table through the
 * wire getters: it passes exactly when every listed field is present if required, reads
 * back without error and lies within its limits; a failure has a non-empty, terminated
 * message naming the first bad field; checking twice gives the same answer. Else abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/request.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static char sbuf[KETTLE_FRAME_MAX]; /* wire_get_str destination: any field fits */

/* The oracle for one field: present when required, well-formed, within limits. */
static bool field_ok(const struct wire_frame *f, const struct request_field *fld)
{
	const struct wire_field *w = wire_find(f, fld->tag);
	struct kerr err;
	uint32_t u32, count;
	uint64_t u64;

	if (!w)
		return !fld->required;
	switch (fld->kind) {
	case REQUEST_U32:
		if (w->len != 4)
			return false;
		CHECK(wire_get_u32(f, fld->tag, true, &u32, &err) == 1);
		return u32 >= fld->min && u32 <= fld->max;
	case REQUEST_U64:
		if (w->len != 8)
			return false;
		CHECK(wire_get_u64(f, fld->tag, true, &u64, &err) == 1);
		return u64 >= fld->min && u64 <= fld->max;
	case REQUEST_STR:
		if (w->len > fld->max || memchr(w->val, 0, w->len))
			return false;
		CHECK(wire_get_str(f, fld->tag, true, sbuf, (size_t)fld->max + 1, &err) == 1);
		CHECK(strlen(sbuf) == w->len && memcmp(sbuf, w->val, w->len) == 0);
		return true;
	case REQUEST_BYTES:
		return w->len <= fld->max;
	case REQUEST_STRV:
		return wire_strv_count(w, &count, &err) == 0 && count <= fld->max;
	default:
		CHECK(0); /* the table holds only known kinds */
		return false;
	}
}

static void check_frame(const struct wire_frame *f)
{
	struct kerr e1, e2;
	size_t n;
	const struct request_field *fl = request_fields(f->type, &n);

	memset(e1.msg, 'x', sizeof(e1.msg)); /* a missing terminator would show */
	int r1 = request_check(f, &e1);
	int r2 = request_check(f, &e2);

	CHECK(r1 == 0 || r1 == -1);
	CHECK(r1 == r2);
	if (r1 < 0) {
		CHECK(e1.msg[0] != '\0' && memchr(e1.msg, 0, sizeof(e1.msg)));
		CHECK(strcmp(e1.msg, e2.msg) == 0);
	}
	CHECK((fl != NULL) == (request_servers(f->type) != 0));
	if (!fl) {
		CHECK(r1 < 0 && n == 0);
		return;
	}
	/* Table order: the first field the oracle refuses is the one the message names. */
	for (size_t i = 0; i < n; i++) {
		if (field_ok(f, &fl[i]))
			continue;
		CHECK(r1 < 0);
		CHECK(strstr(e1.msg, wire_tag_name(fl[i].tag)) != NULL);
		return;
	}
	CHECK(r1 == 0);
	/* Each field alone agrees too. */
	for (size_t i = 0; i < n; i++)
		CHECK(request_check_field(f, &fl[i], &e2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_frame f;
	size_t ntypes, off = 2;
	const uint16_t *types = request_types(&ntypes);

	if (size < 2)
		return 0;
	size_t pick = (size_t)data[0] | (size_t)data[1] << 8;
	for (size_t i = 0;; i++) {
		struct kerr err;
		size_t used = 0;
		int r = wire_decode(data + off, size - off, KETTLE_FRAME_MAX, &f, &used, &err);

		if (r <= 0)
			return 0;
		CHECK(used >= WIRE_HDR_LEN && used <= size - off);
		check_frame(&f);
		f.type = types[(pick + i) % ntypes];
		check_frame(&f);
		off += used;
	}
}
