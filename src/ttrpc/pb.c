/*
 * pb: the protobuf wire format, decoded in place and encoded into a buf (mechanism, pure).
 *
 * Decoding never trusts a length: every varint is bounded at PB_VARINT_MAX bytes and every
 * slice is checked against what is left of its message before it is handed out, so a field
 * always lies inside the input. Encoding writes minimal varints; a nested message gets a
 * one-byte length placeholder that is widened (its content moved up) when it closes, which
 * keeps the output canonical without sizing a message twice. Errors are sticky in the
 * encoder and reported once by pb_enc_end. No allocation beyond the caller's buf, no I/O,
 * never logs.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "ttrpc/pb.h"

#define NS_PER_SEC 1000000000LL

void pb_dec_init(struct pb_dec *d, const void *p, size_t len)
{
	*d = (struct pb_dec){ .p = p, .len = len, .off = 0 };
}

/* Reads one varint at *off; false when it is truncated or longer than 10 bytes. */
static bool get_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < PB_VARINT_MAX; i++) {
		if (*off >= len)
			return false;
		uint8_t c = p[(*off)++];
		/* The tenth byte may only carry the top bit of a 64-bit value. */
		if (i == PB_VARINT_MAX - 1 && c > 1)
			return false;
		r |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

int pb_dec_next(struct pb_dec *d, struct pb_field *f, struct kerr *err)
{
	size_t start = d->off;
	uint64_t key, n;

	if (d->off >= d->len)
		return 0;
	if (!get_varint(d->p, d->len, &d->off, &key))
		return kerr_set(err, EPROTO, "protobuf: bad field key at byte %zu", start);
	if ((key >> 3) == 0 || (key >> 3) > PB_FIELD_MAX)
		return kerr_set(err, EPROTO,
				"protobuf: field number %llu at byte %zu; allowed: 1..%u",
				(unsigned long long)(key >> 3), start, PB_FIELD_MAX);
	*f = (struct pb_field){ .num = (uint32_t)(key >> 3),
				.wire = (enum pb_wire)(key & 7),
				.off = start };
	switch (key & 7) {
	case PB_VARINT:
		if (!get_varint(d->p, d->len, &d->off, &f->v))
			return kerr_set(err, EPROTO,
					"protobuf: field %u: truncated or overlong varint", f->num);
		return 1;
	case PB_I64:
	case PB_I32: {
		size_t w = (key & 7) == PB_I64 ? 8 : 4;

		if (d->len - d->off < w)
			return kerr_set(err, EPROTO, "protobuf: field %u: %zu-byte value truncated",
					f->num, w);
		f->v = 0;
		for (size_t i = 0; i < w; i++)
			f->v |= (uint64_t)d->p[d->off + i] << (8 * i);
		d->off += w;
		return 1;
	}
	case PB_LEN:
		if (!get_varint(d->p, d->len, &d->off, &n))
			return kerr_set(err, EPROTO, "protobuf: field %u: bad length", f->num);
		if (n > d->len - d->off)
			return kerr_set(
				err, EPROTO,
				"protobuf: field %u: length %llu exceeds the %zu bytes left",
				f->num, (unsigned long long)n, d->len - d->off);
		f->b = (struct pb_bytes){ .p = n ? d->p + d->off : NULL, .n = (size_t)n };
		d->off += (size_t)n;
		return 1;
	default:
		/* 3 and 4 are proto2 groups (nothing kettle speaks sends them), 6 and 7 unused. */
		return kerr_set(
			err, EPROTO,
			"protobuf: field %u: wire type %u; allowed: 0 (varint), 1 (64-bit), "
			"2 (length-delimited), 5 (32-bit)",
			f->num, (unsigned)(key & 7));
	}
}

static const char *wire_name(enum pb_wire w)
{
	switch (w) {
	case PB_VARINT:
		return "a varint";
	case PB_I64:
		return "a 64-bit word";
	case PB_LEN:
		return "length-delimited";
	case PB_I32:
		return "a 32-bit word";
	}
	return "?";
}

static int want(const struct pb_field *f, enum pb_wire w, struct kerr *err)
{
	if (f->wire == w)
		return 0;
	return kerr_set(err, EPROTO, "protobuf: field %u is %s; expected %s", f->num,
			wire_name(f->wire), wire_name(w));
}

int pb_get_u64(const struct pb_field *f, uint64_t *v, struct kerr *err)
{
	if (want(f, PB_VARINT, err) < 0)
		return -1;
	*v = f->v;
	return 0;
}

int pb_get_u32(const struct pb_field *f, uint32_t *v, struct kerr *err)
{
	if (want(f, PB_VARINT, err) < 0)
		return -1;
	if (f->v > UINT32_MAX)
		return kerr_set(err, EPROTO, "protobuf: field %u: %llu does not fit 32 bits",
				f->num, (unsigned long long)f->v);
	*v = (uint32_t)f->v;
	return 0;
}

int pb_get_i64(const struct pb_field *f, int64_t *v, struct kerr *err)
{
	if (want(f, PB_VARINT, err) < 0)
		return -1;
	*v = (int64_t)f->v;
	return 0;
}

int pb_get_i32(const struct pb_field *f, int32_t *v, struct kerr *err)
{
	int64_t x = (int64_t)f->v;

	if (want(f, PB_VARINT, err) < 0)
		return -1;
	if (x < INT32_MIN || x > INT32_MAX)
		return kerr_set(err, EPROTO, "protobuf: field %u: %lld does not fit int32", f->num,
				(long long)x);
	*v = (int32_t)x;
	return 0;
}

int pb_get_bool(const struct pb_field *f, bool *v, struct kerr *err)
{
	if (want(f, PB_VARINT, err) < 0)
		return -1;
	*v = f->v != 0;
	return 0;
}

int pb_get_bytes(const struct pb_field *f, struct pb_bytes *b, struct kerr *err)
{
	if (want(f, PB_LEN, err) < 0)
		return -1;
	*b = f->b;
	return 0;
}

int pb_get_str(const struct pb_field *f, char *out, size_t cap, struct kerr *err)
{
	if (want(f, PB_LEN, err) < 0)
		return -1;
	if (f->b.n && memchr(f->b.p, 0, f->b.n))
		return kerr_set(err, EPROTO, "protobuf: field %u: string holds a NUL byte", f->num);
	if (f->b.n >= cap)
		return kerr_set(err, ENAMETOOLONG,
				"protobuf: field %u: string of %zu bytes; at most %zu", f->num,
				f->b.n, cap ? cap - 1 : 0);
	if (f->b.n)
		memcpy(out, f->b.p, f->b.n);
	out[f->b.n] = '\0';
	return 0;
}

int pb_get_msg(const struct pb_field *f, struct pb_dec *sub, struct kerr *err)
{
	if (want(f, PB_LEN, err) < 0)
		return -1;
	pb_dec_init(sub, f->b.p, f->b.n);
	return 0;
}

int pb_get_timestamp(const struct pb_field *f, int64_t *ns, struct kerr *err)
{
	struct pb_dec d;
	struct pb_field g;
	int64_t sec = 0;
	int32_t nanos = 0;
	int r;

	if (pb_get_msg(f, &d, err) < 0)
		return -1;
	while ((r = pb_dec_next(&d, &g, err)) > 0) {
		if (g.num == 1 && pb_get_i64(&g, &sec, err) < 0)
			return -1;
		if (g.num == 2 && pb_get_i32(&g, &nanos, err) < 0)
			return -1;
	}
	if (r < 0)
		return kerr_wrap(err, "timestamp");
	if (nanos < 0 || nanos >= NS_PER_SEC)
		return kerr_set(err, EPROTO, "timestamp: nanos %d; allowed: 0..999999999", nanos);
	if (sec > INT64_MAX / NS_PER_SEC - 1 || sec < INT64_MIN / NS_PER_SEC + 1)
		return kerr_set(err, ERANGE, "timestamp: %lld seconds is out of range",
				(long long)sec);
	*ns = sec * NS_PER_SEC + nanos;
	return 0;
}

int pb_get_any(const struct pb_field *f, struct pb_bytes *type_url, struct pb_bytes *value,
	       struct kerr *err)
{
	struct pb_dec d;
	struct pb_field g;
	int r;

	*type_url = *value = (struct pb_bytes){ 0 };
	if (pb_get_msg(f, &d, err) < 0)
		return -1;
	while ((r = pb_dec_next(&d, &g, err)) > 0) {
		if (g.num == 1 && pb_get_bytes(&g, type_url, err) < 0)
			return -1;
		if (g.num == 2 && pb_get_bytes(&g, value, err) < 0)
			return -1;
	}
	return r < 0 ? kerr_wrap(err, "any") : 0;
}

bool pb_bytes_eq(struct pb_bytes b, const char *s)
{
	size_t n = strlen(s);

	return b.n == n && (n == 0 || memcmp(b.p, s, n) == 0);
}

/* ---- encoder ---- */

size_t pb_varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void pb_enc_init(struct pb_enc *e, struct buf *b)
{
	*e = (struct pb_enc){ .b = b };
}

static void put(struct pb_enc *e, const void *p, size_t n)
{
	if (e->failed)
		return;
	if (buf_append(e->b, p, n, &e->err) < 0)
		e->failed = true;
}

static void put_varint(struct pb_enc *e, uint64_t v)
{
	uint8_t tmp[PB_VARINT_MAX];

	put(e, tmp, pb_varint_put(tmp, v));
}

static void put_key(struct pb_enc *e, uint32_t num, enum pb_wire w)
{
	if (!e->failed && (num == 0 || num > PB_FIELD_MAX)) {
		kerr_set(&e->err, EINVAL, "protobuf: field number %u; allowed: 1..%u", num,
			 PB_FIELD_MAX);
		e->failed = true;
	}
	put_varint(e, ((uint64_t)num << 3) | (uint64_t)w);
}

void pb_enc_u64(struct pb_enc *e, uint32_t num, uint64_t v)
{
	if (!v)
		return;
	put_key(e, num, PB_VARINT);
	put_varint(e, v);
}

void pb_enc_i64(struct pb_enc *e, uint32_t num, int64_t v)
{
	/* Negative values are sign-extended to 64 bits: always ten bytes, as protobuf says. */
	pb_enc_u64(e, num, (uint64_t)v);
}

void pb_enc_bool(struct pb_enc *e, uint32_t num, bool v)
{
	pb_enc_u64(e, num, v ? 1 : 0);
}

void pb_enc_bytes(struct pb_enc *e, uint32_t num, const void *p, size_t n)
{
	if (!n)
		return;
	put_key(e, num, PB_LEN);
	put_varint(e, n);
	put(e, p, n);
}

void pb_enc_str(struct pb_enc *e, uint32_t num, const char *s)
{
	if (s)
		pb_enc_bytes(e, num, s, strlen(s));
}

void pb_enc_msg_begin(struct pb_enc *e, uint32_t num)
{
	uint8_t zero = 0;

	if (!e->failed && e->depth >= PB_DEPTH_MAX) {
		kerr_set(&e->err, EINVAL, "protobuf: more than %d nested messages", PB_DEPTH_MAX);
		e->failed = true;
	}
	put_key(e, num, PB_LEN);
	if (e->failed)
		return;
	e->open[e->depth++] = e->b->len;
	put(e, &zero, 1);
}

void pb_enc_msg_end(struct pb_enc *e)
{
	uint8_t tmp[PB_VARINT_MAX];

	if (e->failed)
		return;
	if (e->depth == 0) {
		kerr_set(&e->err, EINVAL, "protobuf: message end without a begin");
		e->failed = true;
		return;
	}
	size_t at = e->open[--e->depth];
	size_t n = e->b->len - at - 1;
	size_t k = pb_varint_put(tmp, n);
	if (k > 1) {
		/* Widen the placeholder: the content moves up by k - 1 bytes. */
		if (buf_reserve(e->b, k - 1, &e->err) < 0) {
			e->failed = true;
			return;
		}
		memmove(e->b->data + at + k, e->b->data + at + 1, n);
		e->b->len += k - 1;
	}
	memcpy(e->b->data + at, tmp, k);
}

void pb_enc_timestamp(struct pb_enc *e, uint32_t num, int64_t sec, int32_t nanos)
{
	pb_enc_msg_begin(e, num);
	pb_enc_i64(e, 1, sec);
	pb_enc_i64(e, 2, nanos);
	pb_enc_msg_end(e);
}

void pb_enc_timestamp_ns(struct pb_enc *e, uint32_t num, int64_t ns)
{
	int64_t sec = ns / NS_PER_SEC, rem = ns % NS_PER_SEC;

	if (rem < 0) {
		rem += NS_PER_SEC;
		sec--;
	}
	pb_enc_timestamp(e, num, sec, (int32_t)rem);
}

void pb_enc_any_begin(struct pb_enc *e, uint32_t num, const char *type_url)
{
	pb_enc_msg_begin(e, num);
	pb_enc_str(e, 1, type_url);
	pb_enc_msg_begin(e, 2);
}

void pb_enc_any_end(struct pb_enc *e)
{
	pb_enc_msg_end(e);
	pb_enc_msg_end(e);
}

int pb_enc_end(struct pb_enc *e, struct kerr *err)
{
	if (!e->failed && e->depth) {
		kerr_set(&e->err, EINVAL, "protobuf: %d messages left open", e->depth);
		e->failed = true;
	}
	if (!e->failed)
		return 0;
	*err = e->err;
	return -1;
}
