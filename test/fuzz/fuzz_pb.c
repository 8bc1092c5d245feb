/*
 * fuzz_pb: libFuzzer target for the protobuf codec (test layer, fuzzes src/ttrpc/pb.c).
 *
 * The input is one message. Every field it decodes to is checked (inside the input, a
 * legal number and wire type), put through every typed getter (exactly those of its wire
 * type succeed, strings only without NUL), decoded again as a nested message, a Timestamp
 * and an Any (depth-bounded), and re-encoded; the re-encoding must decode to the very same
 * fields, in order, or the target aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "ttrpc/pb.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define DEPTH_MAX  6
#define FIELDS_MAX 4096

struct seen {
	uint32_t num;	   /* field number */
	enum pb_wire wire; /* wire type */
	uint64_t v;	   /* scalar value */
	const uint8_t *p;  /* bytes */
	size_t n;	   /* their length */
};

static void getters(const struct pb_field *f)
{
	struct kerr err;
	uint64_t u64;
	uint32_t u32;
	int64_t i64;
	int32_t i32;
	bool b;
	struct pb_bytes bytes, url, val;
	char s[64];
	int64_t ns;

	CHECK((pb_get_u64(f, &u64, &err) == 0) == (f->wire == PB_VARINT));
	CHECK((pb_get_u32(f, &u32, &err) == 0) == (f->wire == PB_VARINT && f->v <= UINT32_MAX));
	CHECK((pb_get_i64(f, &i64, &err) == 0) == (f->wire == PB_VARINT));
	if (pb_get_i32(f, &i32, &err) == 0)
		CHECK(f->wire == PB_VARINT && (int64_t)f->v == i32);
	CHECK((pb_get_bool(f, &b, &err) == 0) == (f->wire == PB_VARINT));
	CHECK((pb_get_bytes(f, &bytes, &err) == 0) == (f->wire == PB_LEN));
	if (pb_get_str(f, s, sizeof(s), &err) == 0) {
		CHECK(f->wire == PB_LEN && f->b.n < sizeof(s));
		CHECK(strlen(s) == f->b.n);
	} else {
		CHECK(err.msg[0]);
	}
	if (pb_get_any(f, &url, &val, &err) == 0) {
		CHECK(f->wire == PB_LEN);
		CHECK(!url.n || (url.p >= f->b.p && url.p + url.n <= f->b.p + f->b.n));
		CHECK(!val.n || (val.p >= f->b.p && val.p + val.n <= f->b.p + f->b.n));
	}
	if (pb_get_timestamp(f, &ns, &err) == 0)
		CHECK(f->wire == PB_LEN);
}

/* Walks a message; returns its field count, or -1 when malformed. */
static int walk(const uint8_t *p, size_t n, int depth)
{
	static struct seen fields[DEPTH_MAX + 1][FIELDS_MAX];
	struct pb_dec d;
	struct pb_field f;
	struct kerr err;
	int k = 0, r;

	pb_dec_init(&d, p, n);
	while ((r = pb_dec_next(&d, &f, &err)) > 0) {
		CHECK(f.num >= 1 && f.num <= PB_FIELD_MAX);
		CHECK(f.wire == PB_VARINT || f.wire == PB_I64 || f.wire == PB_LEN ||
		      f.wire == PB_I32);
		CHECK(d.off <= n && f.off < d.off);
		if (f.wire == PB_LEN && f.b.n)
			CHECK(f.b.p >= p && f.b.p + f.b.n <= p + n);
		getters(&f);
		if (f.wire == PB_LEN && depth < DEPTH_MAX)
			(void)walk(f.b.p, f.b.n, depth + 1);
		if (k < FIELDS_MAX)
			fields[depth][k] = (struct seen){
				.num = f.num, .wire = f.wire, .v = f.v, .p = f.b.p, .n = f.b.n
			};
		k++;
	}
	if (r < 0) {
		CHECK(err.msg[0]);
		return -1;
	}
	if (depth > 0 || k > FIELDS_MAX)
		return k;

	/* Re-encode the top level and decode it again: the same fields, in order. */
	static struct buf b;
	static bool ready;
	struct pb_enc e;

	if (!ready) {
		buf_init(&b, 16u << 20);
		ready = true;
	}
	buf_clear(&b);
	pb_enc_init(&e, &b);
	for (int i = 0; i < k; i++) {
		const struct seen *s = &fields[0][i];
		uint8_t key[PB_VARINT_MAX], w[8];
		size_t kn = pb_varint_put(key, ((uint64_t)s->num << 3) | s->wire);

		/* The typed encoders omit zero values; write the raw key and value instead. */
		CHECK(buf_append(&b, key, kn, &err) == 0);
		if (s->wire == PB_VARINT) {
			kn = pb_varint_put(key, s->v);
			CHECK(buf_append(&b, key, kn, &err) == 0);
		} else if (s->wire == PB_LEN) {
			kn = pb_varint_put(key, s->n);
			CHECK(buf_append(&b, key, kn, &err) == 0);
			CHECK(buf_append(&b, s->p, s->n, &err) == 0);
		} else {
			size_t width = s->wire == PB_I64 ? 8 : 4;
			for (size_t j = 0; j < width; j++)
				w[j] = (uint8_t)(s->v >> (8 * j));
			CHECK(buf_append(&b, w, width, &err) == 0);
		}
	}
	CHECK(pb_enc_end(&e, &err) == 0);
	pb_dec_init(&d, b.data, b.len);
	for (int i = 0; i < k; i++) {
		const struct seen *s = &fields[0][i];

		CHECK(pb_dec_next(&d, &f, &err) == 1);
		CHECK(f.num == s->num && f.wire == s->wire);
		if (f.wire == PB_LEN)
			CHECK(f.b.n == s->n && (!s->n || memcmp(f.b.p, s->p, s->n) == 0));
		else
			CHECK(f.v == s->v);
	}
	CHECK(pb_dec_next(&d, &f, &err) == 0);
	/* Canonical input (minimal varints) re-encodes to itself. */
	if (b.len == n)
		CHECK(memcmp(b.data, p, n) == 0);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)walk(data, size, 0);
	return 0;
}
