/*
 * fuzz_wire: libFuzzer target for the frame codec (test layer, fuzzes src/ipc/wire.c).
 *
 * The input is treated like a connection's receive buffer: frames are decoded one after
 * another until the decoder needs more or fails. Every decoded frame is checked against
 * the codec's invariants, run through every getter and strv iteration, and re-encoded
 * twice (as raw bytes, and through the typed encoders where a field parses as a type);
 * both must reproduce the input bytes exactly, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/wire.h"

static char sbuf[KETTLE_FRAME_MAX]; /* wire_get_str destination: any field fits */

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* Tags the getters are tried with: every known one, plus the frame's own. */
static const uint16_t known_tags[] = {
	WIRE_F_TOKEN,  WIRE_F_MSG,	 WIRE_F_CODE,	WIRE_F_ID,	   WIRE_F_NAME,
	WIRE_F_REF,    WIRE_F_JSON,	 WIRE_F_SIGNAL, WIRE_F_TIMEOUT_MS, WIRE_F_FORCE,
	WIRE_F_ALL,    WIRE_F_EXIT_CODE, WIRE_F_STREAM, WIRE_F_DATA,	   WIRE_F_NFDS,
	WIRE_F_ARGV,   WIRE_F_ADDR,	 WIRE_F_PID,	WIRE_F_SINCE,	   WIRE_F_UNTIL,
	WIRE_F_FILTER, WIRE_F_ROWS,	 WIRE_F_COLS,	WIRE_F_STREAMS,	   WIRE_F_STATUS,
};

static void try_getters(const struct wire_frame *f, uint16_t tag)
{
	struct kerr err;
	uint32_t u32;
	uint64_t u64;
	const uint8_t *p;
	size_t len;
	char small[8];
	const struct wire_field *fld = wire_find(f, tag);

	for (int req = 0; req < 2; req++) {
		int r = wire_get_u32(f, tag, req, &u32, &err);
		CHECK(fld ? (r == 1) == (fld->len == 4) : r == -req);
		r = wire_get_u64(f, tag, req, &u64, &err);
		CHECK(fld ? (r == 1) == (fld->len == 8) : r == -req);
		r = wire_get_str(f, tag, req, sbuf, sizeof(sbuf), &err);
		if (fld)
			CHECK((r == 1) == !memchr(fld->val, 0, fld->len) && r != 0);
		else
			CHECK(r == -req);
		if (r == 1)
			CHECK(strlen(sbuf) == fld->len);
		r = wire_get_str(f, tag, req, small, sizeof(small), &err);
		if (r == 1)
			CHECK(fld->len < sizeof(small));
		r = wire_get_bytes(f, tag, req, &p, &len, &err);
		CHECK(fld ? r == 1 && p == fld->val && len == fld->len : r == -req);
	}
	(void)wire_tag_name(tag);
}

/* Iterates a strv field; returns the item count, or -1 when malformed. Fills items (a
 * NUL-terminated copy of each, for re-encoding) when given room. */
static long walk_strv(const struct wire_field *fld, char **items, char *store)
{
	struct kerr err;
	uint32_t count;
	int rc = wire_strv_count(fld, &count, &err);
	size_t off = 0, len;
	const uint8_t *item;
	long n = 0;
	int r;

	while ((r = wire_strv_next(fld, &off, &item, &len, &err)) == 1) {
		CHECK(rc == 0 && (uint32_t)n < count);
		CHECK(item >= fld->val && len <= fld->len && item + len <= fld->val + fld->len);
		CHECK(!memchr(item, 0, len));
		if (items) {
			memcpy(store, item, len);
			store[len] = '\0';
			items[n] = store;
			store += len + 1;
		}
		n++;
	}
	CHECK(r == 0 ? rc == 0 && (uint32_t)n == count : rc == -1 && n == 0);
	return r == 0 ? n : -1;
}

/* Re-encodes f field by field and compares with the original bytes. typed chooses the
 * typed encoders over wire_enc_bytes wherever a field parses as that type. */
static void reencode(const uint8_t *orig, size_t used, const struct wire_frame *f, bool typed)
{
	static struct buf b;
	static bool ready;
	struct wire_enc e;
	struct kerr err;

	if (!ready) {
		buf_init(&b, KETTLE_FRAME_MAX);
		ready = true;
	}
	buf_clear(&b);
	wire_enc_begin(&e, &b, f->type, f->reqid, f->flags);
	for (uint16_t i = 0; i < f->nfields; i++) {
		const struct wire_field *fld = &f->fields[i];
		if (!typed) {
			wire_enc_bytes(&e, fld->tag, fld->val, fld->len);
			continue;
		}
		if (fld->len == 4) {
			wire_enc_u32(&e, fld->tag, buf_get_le32(fld->val));
			continue;
		}
		if (fld->len == 8) {
			wire_enc_u64(&e, fld->tag, buf_get_le64(fld->val));
			continue;
		}
		long n = walk_strv(fld, NULL, NULL);
		if (n >= 0) {
			char **items = malloc(((size_t)n + 1) * sizeof(*items));
			char *store = malloc((size_t)fld->len + 1);
			CHECK(items && store);
			CHECK(walk_strv(fld, items, store) == n);
			wire_enc_strv(&e, fld->tag, items, (size_t)n);
			free(items);
			free(store);
			continue;
		}
		if (!memchr(fld->val, 0, fld->len)) {
			memcpy(sbuf, fld->val, fld->len);
			sbuf[fld->len] = '\0';
			wire_enc_str(&e, fld->tag, sbuf);
			continue;
		}
		wire_enc_bytes(&e, fld->tag, fld->val, fld->len);
	}
	CHECK(wire_enc_end(&e, &err) == 0);
	CHECK(b.len == used);
	CHECK(memcmp(b.data, orig, used) == 0);
}

static void check_frame(const uint8_t *p, size_t n, size_t used, const struct wire_frame *f)
{
	struct wire_frame g;
	struct kerr err;
	size_t used2;

	CHECK(used == WIRE_HDR_LEN + (size_t)f->len && used <= n && used <= KETTLE_FRAME_MAX);
	CHECK(f->nfields <= WIRE_FIELDS_MAX && wire_type_known(f->type));
	CHECK(strcmp(wire_type_name(f->type), "unknown") != 0);
	for (uint16_t i = 0; i < f->nfields; i++) {
		const struct wire_field *fld = &f->fields[i];
		CHECK(fld->val >= p + WIRE_HDR_LEN && fld->val + fld->len <= p + used);
		CHECK(wire_find(f, fld->tag) == fld);
		try_getters(f, fld->tag);
		walk_strv(fld, NULL, NULL);
	}
	for (size_t i = 0; i < sizeof(known_tags) / sizeof(known_tags[0]); i++)
		try_getters(f, known_tags[i]);

	/* One byte short is "need more", never an error or a frame. */
	CHECK(wire_decode(p, used - 1, KETTLE_FRAME_MAX, &g, &used2, &err) == 0);

	reencode(p, used, f, false);
	reencode(p, used, f, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_frame f;
	struct kerr err;
	size_t off = 0;

	for (;;) {
		size_t used = 0;
		int r = wire_decode(data + off, size - off, KETTLE_FRAME_MAX, &f, &used, &err);

		/* The pre-authentication cap only ever refuses more. */
		struct wire_frame g;
		struct kerr err_auth;
		size_t used_auth = 0;
		int ra = wire_decode(data + off, size - off, WIRE_AUTH_FRAME_MAX, &g, &used_auth,
				     &err_auth);
		if (ra == 1)
			CHECK(r == 1 && used_auth == used && used <= WIRE_AUTH_FRAME_MAX);
		if (ra == 0)
			CHECK(r == 0);

		if (r <= 0) {
			CHECK(r == 0 || (err.msg[0] && memchr(err.msg, 0, sizeof(err.msg))));
			return 0;
		}
		check_frame(data + off, size - off, used, &f);
		off += used;
	}
}
